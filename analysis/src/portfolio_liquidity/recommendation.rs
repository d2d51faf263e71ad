//! The buffer recommendation: which composition the report recommends, and which of the searched
//! compositions are the fund's static buffer and the use case's (`portfolio_liquidity.buffer`'s
//! `recommended`, `static_index` and `use_case_index` in `summary.json`).

use serde::Serialize;

use super::buffer::CompositionResult;
use super::config::seed_recommendation;

/// Why a composition is recommended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BufferBasis {
    /// The cheapest composition meeting the coverage target.
    CheapestMeetingTarget,
    /// None meets the target: the best by the weighted objective.
    BestRanked,
}

/// The recommended composition: an index into the search's `results`, and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct BufferRecommendation {
    pub index: usize,
    pub basis: BufferBasis,
}

/// The cheapest composition meeting the target when one does, else the best ranked.
pub fn recommend(
    cheapest_meeting_target: Option<usize>,
    best_ranked: Option<usize>,
) -> Option<BufferRecommendation> {
    match (cheapest_meeting_target, best_ranked) {
        (Some(index), _) => Some(BufferRecommendation {
            index,
            basis: BufferBasis::CheapestMeetingTarget,
        }),
        (None, Some(index)) => Some(BufferRecommendation {
            index,
            basis: BufferBasis::BestRanked,
        }),
        (None, None) => None,
    }
}

/// The fund's static buffer: the search evaluates it first.
pub fn static_index(results: &[CompositionResult]) -> Option<usize> {
    (!results.is_empty()).then_some(0)
}

/// The use case's recommended composition among the results (the last so labelled).
pub fn use_case_index(results: &[CompositionResult]) -> Option<usize> {
    let label = seed_recommendation().label;
    results.iter().rposition(|r| r.label == label)
}

/// Hand-built search results for the tests of the buffer decisions.
#[cfg(test)]
pub(crate) mod testing {
    use super::super::buffer::{rank, BufferSearch, CompositionResult, Yields};
    use super::super::config::BufferConfig;
    use crate::stats::{verdict, wilson, Verdict, Z95};

    /// Scenarios behind a hand-built result's coverage interval.
    pub(crate) const N: u64 = 10_000;

    /// A composition of `cash` alone with the given coverage (of [`N`] scenarios, with its
    /// Wilson interval) and opportunity cost; it meets the default 98.5% target when the
    /// interval's lower end does.
    pub(crate) fn result(
        label: &str,
        cash: f64,
        coverage: f64,
        cost_bps: f64,
    ) -> CompositionResult {
        let (lo, hi) = wilson((coverage * N as f64).round() as u64, N, Z95).unwrap();
        let target_verdict = verdict(lo, hi, BufferConfig::default().target_coverage);
        CompositionResult {
            label: label.into(),
            cash,
            sovereign: 0.0,
            etf: 0.0,
            total: cash,
            coverage,
            coverage_low: lo,
            coverage_high: hi,
            target_verdict,
            survival: 1.0,
            gate_frequency: 0.0,
            shortfall_frequency: 0.0,
            opportunity_cost_bps: cost_bps,
            expected_cost_bps: 0.0,
            cost_p99_bps: 0.0,
            meets_target: target_verdict == Verdict::Meets,
            on_frontier: false,
            safety_score: 0.0,
            cost_score: 0.0,
            operational_score: 0.0,
            score: 0.0,
            rank: 0,
        }
    }

    /// The search over `results`, ranked as the stage ranks it.
    pub(crate) fn search(results: Vec<CompositionResult>) -> BufferSearch {
        let yields = Yields {
            expected_return: 0.05,
            cash: 0.03,
            sovereign: 0.035,
            etf: 0.04,
        };
        rank(results, &BufferConfig::default(), yields, N)
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{result, search};
    use super::*;

    #[test]
    fn the_cheapest_meeting_the_target_is_recommended_when_one_does() {
        let s = search(vec![
            result("static 7% cash", 0.07, 0.60, 14.0),
            result("use case recommendation", 0.17, 0.99, 30.0),
            result("grid", 0.20, 1.00, 40.0),
        ]);
        let rec = s.recommended.expect("a recommendation");
        assert_eq!(rec.basis, BufferBasis::CheapestMeetingTarget);
        assert_eq!(rec.index, 1, "the cheaper of the two meeting 98.5%");
        assert_eq!(s.static_index, Some(0));
        assert_eq!(s.use_case_index, Some(1));
    }

    #[test]
    fn the_best_ranked_is_recommended_as_such_when_none_meets_the_target() {
        let s = search(vec![
            result("static 7% cash", 0.07, 0.60, 14.0),
            result("grid", 0.10, 0.90, 20.0),
        ]);
        assert_eq!(s.cheapest_meeting_target, None);
        let rec = s.recommended.expect("a recommendation");
        assert_eq!(rec.basis, BufferBasis::BestRanked);
        assert_eq!(Some(rec.index), s.best_ranked);
        assert_eq!(
            s.use_case_index, None,
            "the use case's composition was not searched"
        );
        assert_eq!(recommend(None, None), None);
    }

    #[test]
    fn the_use_case_composition_is_the_last_so_labelled() {
        let label = seed_recommendation().label;
        let s = search(vec![
            result("static", 0.07, 0.6, 14.0),
            result(&label, 0.17, 0.9, 30.0),
            result(&label, 0.17, 0.9, 30.0),
        ]);
        assert_eq!(s.use_case_index, Some(2));
        assert_eq!(static_index(&[]), None);
    }
}

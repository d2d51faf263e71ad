//! The early-warning indicator that warns earliest (`redemption_policy.early_warning.longest_lead`
//! in `summary.json`), quoted by the report under the lead-time chart.

use serde::Serialize;

use super::early_warning::EarlyWarningRow;

/// The indicator with the longest median lead time.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LongestLead {
    pub indicator: String,
    /// Median lead, business days: at the calibrated threshold, else at the fund's own.
    pub days: f64,
    /// Hit rate at the calibrated threshold (`None` when the indicator has none).
    pub hit_rate: Option<f64>,
}

/// The indicator whose median lead (at the calibrated threshold, else at the fund's own) is
/// longest; on a tie the first; `None` when no indicator has a lead time.
pub fn longest_lead(rows: &[EarlyWarningRow]) -> Option<LongestLead> {
    let finite = |x: Option<f64>| x.filter(|v| v.is_finite());
    let mut longest: Option<LongestLead> = None;
    for r in rows {
        let Some(days) = finite(r.best_median_lead_days).or(finite(r.median_lead_days)) else {
            continue;
        };
        if longest.as_ref().is_none_or(|l| days > l.days) {
            longest = Some(LongestLead {
                indicator: r.indicator.to_string(),
                days,
                hit_rate: r.best_hit_rate,
            });
        }
    }
    longest
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redemption_policy::early_warning::Direction;

    fn row(name: &'static str, lead: Option<f64>, best_lead: Option<f64>) -> EarlyWarningRow {
        EarlyWarningRow {
            indicator: name,
            direction: Direction::Above,
            enabled: true,
            threshold: 0.05,
            hit_rate: 0.5,
            false_alarm_rate: 0.2,
            median_lead_days: lead,
            mean_lead_days: lead,
            best_threshold: best_lead.map(|_| 0.07),
            best_hit_rate: best_lead.map(|_| 0.4),
            best_false_alarm_rate: best_lead.map(|_| 0.1),
            best_median_lead_days: best_lead,
            best_mean_lead_days: best_lead,
            levels: Vec::new(),
        }
    }

    #[test]
    fn the_longest_lead_prefers_the_calibrated_one_and_the_first_on_a_tie() {
        let rows = [
            row("a", Some(9.0), Some(2.0)),
            row("b", Some(4.0), None),
            row("c", None, Some(4.0)),
            row("d", None, None),
        ];
        // a counts 2 (calibrated), b 4 (its own), c 4 (a tie: b stays).
        let l = longest_lead(&rows).unwrap();
        assert_eq!((l.indicator.as_str(), l.days, l.hit_rate), ("b", 4.0, None));
        let l = longest_lead(&rows[2..]).unwrap();
        assert_eq!((l.indicator.as_str(), l.hit_rate), ("c", Some(0.4)));
        assert_eq!(longest_lead(&rows[3..]), None);
        assert_eq!(longest_lead(&[row("e", Some(f64::NAN), None)]), None);
    }
}

//! Shared statistics for the verdicts: the Wilson score interval for a binomial proportion and the
//! three-way verdict of a proportion against a target.
//!
//! **Wilson score interval** (Wilson, E. B., 1927, "Probable inference, the law of succession,
//! and statistical inference", JASA 22: 209–212; recommended over the Wald interval by Newcombe,
//! R. G., 1998, "Two-sided confidence intervals for the single proportion: comparison of seven
//! methods", Statistics in Medicine 17: 857–872, method 3). With `x` successes in `n` trials,
//! `p̂ = x/n` and `z` the normal quantile (1.959964 for 95%):
//!
//! ```text
//! centre = (p̂ + z²/2n) / (1 + z²/n)
//! half   = z √(p̂(1 − p̂)/n + z²/4n²) / (1 + z²/n)
//! ```
//!
//! Unlike the Wald interval it never leaves [0, 1] and does not collapse to a point at `x = 0`
//! or `x = n` (Newcombe's Table I: 0/10 gives 0–0.2775, 81/263 gives 0.2553–0.3662).

use serde::Serialize;

/// The normal quantile of a two-sided 95% interval.
pub const Z95: f64 = 1.959964;

/// What the stages that read the main sweep are conditional on: its scenario set.
pub const STRESS_LIBRARY: &str = "the stress library";

/// [`wilson`] as `[lo, hi]` (the shape the early-warning and liquidation records keep).
pub fn wilson_bounds(x: u64, n: u64, z: f64) -> Option<[f64; 2]> {
    wilson(x, n, z).map(|(lo, hi)| [lo, hi])
}

/// A proportion with its Wilson interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Proportion {
    pub successes: u64,
    pub trials: u64,
    /// `successes / trials`.
    pub estimate: f64,
    /// Lower and upper ends of the interval.
    pub low: f64,
    pub high: f64,
    /// Confidence of the interval (0.95).
    pub confidence: f64,
}

/// The Wilson score interval of `x` successes in `n` trials at normal quantile `z`; `None` when
/// `n = 0` (no trial: nothing is known) or `x > n`.
pub fn wilson(x: u64, n: u64, z: f64) -> Option<(f64, f64)> {
    if n == 0 || x > n || !(z.is_finite() && z >= 0.0) {
        return None;
    }
    let nf = n as f64;
    let p = x as f64 / nf;
    let z2 = z * z;
    let denom = 1.0 + z2 / nf;
    let centre = (p + z2 / (2.0 * nf)) / denom;
    let half = z * (p * (1.0 - p) / nf + z2 / (4.0 * nf * nf)).sqrt() / denom;
    // At x = 0 and x = n the closed form gives exactly 0 and 1 up to rounding.
    let low = if x == 0 {
        0.0
    } else {
        (centre - half).max(0.0)
    };
    let high = if x == n {
        1.0
    } else {
        (centre + half).min(1.0)
    };
    Some((low, high))
}

impl Proportion {
    /// `x` of `n` with its 95% Wilson interval; `None` when `n = 0` or `x > n`.
    pub fn of(x: u64, n: u64) -> Option<Proportion> {
        let (low, high) = wilson(x, n, Z95)?;
        Some(Proportion {
            successes: x,
            trials: n,
            estimate: x as f64 / n as f64,
            low,
            high,
            confidence: 0.95,
        })
    }

    /// The share of `items` for which `f` holds, with its interval.
    pub fn share<T>(items: &[T], f: impl Fn(&T) -> bool) -> Option<Proportion> {
        let x = items.iter().filter(|o| f(o)).count() as u64;
        Proportion::of(x, items.len() as u64)
    }

    /// A proportion given as a fraction of `n` (rounded to the nearest count), for records that
    /// keep only the share.
    pub fn from_share(share: f64, n: u64) -> Option<Proportion> {
        if !(0.0..=1.0).contains(&share) {
            return None;
        }
        Proportion::of((share * n as f64).round() as u64, n)
    }

    /// The three-way verdict against a target the proportion should reach.
    pub fn against(&self, target: f64) -> Verdict {
        verdict(self.low, self.high, target)
    }
}

/// A proportion judged against a target with its interval.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The interval's lower end clears the target.
    Meets,
    /// The interval contains the target: the scenarios cannot tell.
    NotDistinguishable,
    /// The interval's upper end is below the target.
    Misses,
}

impl Verdict {
    /// Whether the verdict is decisive (meets or misses).
    pub fn decisive(self) -> bool {
        self != Verdict::NotDistinguishable
    }

    /// "meets", "is not distinguishable from", "misses" (followed by "the target").
    pub fn words(self) -> &'static str {
        match self {
            Verdict::Meets => "meets",
            Verdict::NotDistinguishable => "is not distinguishable from",
            Verdict::Misses => "misses",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Verdict::Meets => "meets",
            Verdict::NotDistinguishable => "not_distinguishable",
            Verdict::Misses => "misses",
        }
    }
}

/// Meets when `low ≥ target`, misses when `high < target`, else not distinguishable.
pub fn verdict(low: f64, high: f64, target: f64) -> Verdict {
    if low >= target {
        Verdict::Meets
    } else if high < target {
        Verdict::Misses
    } else {
        Verdict::NotDistinguishable
    }
}

/// Whether two proportions' intervals are disjoint (a difference the scenarios can tell).
pub fn distinguishable(a: &Proportion, b: &Proportion) -> bool {
    a.high < b.low || b.high < a.low
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 5e-5
    }

    #[test]
    fn wilson_matches_newcombe_1998_table_one() {
        // Newcombe (1998), Table I, method 3 (score interval without continuity correction).
        let (lo, hi) = wilson(0, 10, Z95).unwrap();
        assert!(close(lo, 0.0) && close(hi, 0.2775), "{lo} {hi}");
        let (lo, hi) = wilson(81, 263, Z95).unwrap();
        assert!(close(lo, 0.2553) && close(hi, 0.3662), "{lo} {hi}");
        let (lo, hi) = wilson(15, 148, Z95).unwrap();
        assert!(close(lo, 0.0624) && close(hi, 0.1605), "{lo} {hi}");
        let (lo, hi) = wilson(1, 29, Z95).unwrap();
        assert!(close(lo, 0.0061) && close(hi, 0.1718), "{lo} {hi}");
    }

    #[test]
    fn wilson_edges() {
        assert_eq!(wilson(0, 0, Z95), None, "no trial, no interval");
        assert_eq!(wilson(3, 2, Z95), None, "more successes than trials");
        assert_eq!(Proportion::of(0, 0), None);
        let (lo, hi) = wilson(10, 10, Z95).unwrap();
        assert!(
            close(lo, 1.0 - 0.2775) && hi == 1.0,
            "mirror of 0/10: {lo} {hi}"
        );
        // z = 0 collapses to the point estimate.
        assert_eq!(wilson(3, 10, 0.0), Some((0.3, 0.3)));
        // The interval narrows with n at the same share and always holds the estimate.
        let (a, b) = wilson(50, 100, Z95).unwrap();
        let (c, d) = wilson(5000, 10000, Z95).unwrap();
        assert!(a < c && d < b && a < 0.5 && 0.5 < b);
    }

    #[test]
    fn verdicts_come_out_three_ways() {
        // 9870 of 10000 (98.70%) against 98.5%: the interval straddles.
        let p = Proportion::of(9870, 10_000).unwrap();
        assert_eq!(p.against(0.985), Verdict::NotDistinguishable);
        assert_eq!(
            Proportion::of(9950, 10_000).unwrap().against(0.985),
            Verdict::Meets
        );
        assert_eq!(
            Proportion::of(9700, 10_000).unwrap().against(0.985),
            Verdict::Misses
        );
        // A corrupted bound flips the verdict.
        assert_eq!(verdict(0.986, 0.99, 0.985), Verdict::Meets);
        assert_eq!(verdict(0.984, 0.99, 0.985), Verdict::NotDistinguishable);
        assert_eq!(verdict(0.98, 0.984, 0.985), Verdict::Misses);
        assert!(Verdict::Meets.decisive() && !Verdict::NotDistinguishable.decisive());
    }

    #[test]
    fn shares_and_distinguishability() {
        let p = Proportion::share(&[1, 2, 3, 4], |x| *x > 2).unwrap();
        assert_eq!((p.successes, p.trials, p.estimate), (2, 4, 0.5));
        assert_eq!(Proportion::from_share(0.25, 8).unwrap().successes, 2);
        assert_eq!(Proportion::from_share(1.5, 8), None);
        let a = Proportion::of(10, 1000).unwrap();
        let b = Proportion::of(100, 1000).unwrap();
        let c = Proportion::of(12, 1000).unwrap();
        assert!(distinguishable(&a, &b));
        assert!(!distinguishable(&a, &c));
    }
}

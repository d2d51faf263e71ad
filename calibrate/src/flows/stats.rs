//! The backtest's statistics, as regulators backtest VaR:
//!
//! - Kupiec (1995), "Techniques for verifying the accuracy of risk measurement models", Journal of
//!   Derivatives 3(2): the proportion-of-failures likelihood ratio
//!   `LR = −2 ln[(1−p)^(n−x) p^x] + 2 ln[(1−x/n)^(n−x) (x/n)^x]`, chi-squared with 1 degree of
//!   freedom under a correct coverage `p`;
//! - Christoffersen (1998), "Evaluating interval forecasts", International Economic Review 39(4):
//!   the independence likelihood ratio from the hit sequence's transition counts,
//!   `LR = −2 ln[(1−π)^(n00+n10) π^(n01+n11)] + 2 ln[(1−π01)^n00 π01^n01 (1−π11)^n10 π11^n11]`,
//!   chi-squared with 1 degree of freedom under independent hits.
//!
//! p-values through `statrs`' chi-squared distribution.

use serde::Serialize;
use statrs::distribution::{ChiSquared, ContinuousCDF};

/// `a ln b`, with `0 ln 0 = 0`.
fn xlny(a: f64, b: f64) -> f64 {
    if a == 0.0 {
        0.0
    } else {
        a * b.ln()
    }
}

/// Upper tail of the chi-squared distribution with 1 degree of freedom.
pub fn chi2_1_pvalue(lr: f64) -> f64 {
    if !lr.is_finite() {
        return 0.0;
    }
    let chi = ChiSquared::new(1.0).expect("1 degree of freedom is valid");
    (1.0 - chi.cdf(lr.max(0.0))).clamp(0.0, 1.0)
}

/// A likelihood-ratio test.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct LrTest {
    pub lr: f64,
    pub p_value: f64,
}

/// Kupiec's proportion-of-failures test of `x` exceedances in `n` windows at exceedance
/// probability `p`.
pub fn kupiec(n: usize, x: usize, p: f64) -> LrTest {
    let (nf, xf) = (n as f64, x as f64);
    let phat = if n > 0 { xf / nf } else { 0.0 };
    let lr = -2.0 * (xlny(nf - xf, 1.0 - p) + xlny(xf, p))
        + 2.0 * (xlny(nf - xf, 1.0 - phat) + xlny(xf, phat));
    let lr = lr.max(0.0);
    LrTest {
        lr,
        p_value: chi2_1_pvalue(lr),
    }
}

/// The transition counts `[n00, n01, n10, n11]` of a hit sequence.
pub fn transitions(hits: &[bool]) -> [usize; 4] {
    let mut c = [0usize; 4];
    for w in hits.windows(2) {
        c[(w[0] as usize) * 2 + w[1] as usize] += 1;
    }
    c
}

/// Christoffersen's independence test from transition counts `[n00, n01, n10, n11]`.
pub fn christoffersen(c: [usize; 4]) -> LrTest {
    let [n00, n01, n10, n11] = c.map(|v| v as f64);
    let p01 = if n00 + n01 > 0.0 {
        n01 / (n00 + n01)
    } else {
        0.0
    };
    let p11 = if n10 + n11 > 0.0 {
        n11 / (n10 + n11)
    } else {
        0.0
    };
    let tot = n00 + n01 + n10 + n11;
    let p = if tot > 0.0 { (n01 + n11) / tot } else { 0.0 };
    let lr = -2.0 * (xlny(n00 + n10, 1.0 - p) + xlny(n01 + n11, p))
        + 2.0 * (xlny(n00, 1.0 - p01) + xlny(n01, p01) + xlny(n10, 1.0 - p11) + xlny(n11, p11));
    let lr = lr.max(0.0);
    LrTest {
        lr,
        p_value: chi2_1_pvalue(lr),
    }
}

/// The mid-rank probability integral transform of `x` in the sample `draws` (sorted ascending):
/// the share of draws below `x` plus half of those equal to it.
pub fn pit(sorted: &[f64], x: f64) -> f64 {
    let below = sorted.partition_point(|v| *v < x);
    let upto = sorted.partition_point(|v| *v <= x);
    (below as f64 + 0.5 * (upto - below) as f64) / sorted.len().max(1) as f64
}

/// The empirical `q` quantile of a sorted sample (the value at rank `ceil(q n)`).
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let k = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[k - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kupiec_matches_its_closed_form() {
        // n = 250, x = 5 at p = 0.01.
        let t = kupiec(250, 5, 0.01);
        let lr = -2.0 * (245.0 * 0.99f64.ln() + 5.0 * 0.01f64.ln())
            + 2.0 * (245.0 * (0.98f64).ln() + 5.0 * 0.02f64.ln());
        assert!((t.lr - lr).abs() < 1e-10, "{} {}", t.lr, lr);
        // chi2(1) upper tail of LR = 1.9568: 2 (1 − Φ(sqrt(LR))).
        assert!((t.p_value - 0.1619).abs() < 2e-3, "{}", t.p_value);
        // The expected count gives LR 0, p 1.
        let t = kupiec(200, 10, 0.05);
        assert!(t.lr.abs() < 1e-12 && (t.p_value - 1.0).abs() < 1e-12);
        // No exceedance: LR = -2 n ln(1 - p).
        let t = kupiec(100, 0, 0.05);
        assert!((t.lr + 200.0 * 0.95f64.ln()).abs() < 1e-10);
    }

    #[test]
    fn christoffersen_matches_a_hand_counted_table() {
        let hits = [
            false, false, true, true, false, false, false, true, false, false,
        ];
        // Pairs: 00 01 11 10 00 00 01 10 00.
        let c = transitions(&hits);
        assert_eq!(c, [4, 2, 2, 1]);
        let t = christoffersen(c);
        let (p01, p11, p) = (2.0 / 6.0, 1.0 / 3.0, 3.0 / 9.0);
        let lr = -2.0 * (6.0 * (1.0f64 - p).ln() + 3.0 * f64::ln(p))
            + 2.0
                * (4.0 * (1.0f64 - p01).ln()
                    + 2.0 * f64::ln(p01)
                    + 2.0 * (1.0f64 - p11).ln()
                    + f64::ln(p11));
        assert!((t.lr - lr).abs() < 1e-12);
        assert!(t.lr < 1e-12, "p01 = p11: no evidence of clustering");
        // Clustered hits: strong rejection.
        let mut h = vec![false; 200];
        for v in h.iter_mut().skip(50).take(10) {
            *v = true;
        }
        assert!(christoffersen(transitions(&h)).p_value < 0.001);
    }

    #[test]
    fn pit_and_quantile_of_a_small_sample() {
        let s = [1.0, 2.0, 2.0, 3.0];
        assert_eq!(pit(&s, 2.0), 0.5);
        assert_eq!(pit(&s, 0.0), 0.0);
        assert_eq!(pit(&s, 9.0), 1.0);
        assert_eq!(quantile(&s, 0.5), 2.0);
        assert_eq!(quantile(&s, 0.95), 3.0);
    }
}

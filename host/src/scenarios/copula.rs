//! The copula that couples market severity and redemption severity: a correlated pair drawn from
//! a bivariate Student-t (default, 4 degrees of freedom) or Gaussian distribution, each margin
//! mapped through its own CDF to a uniform in [0, 1].
//!
//! Why a t copula: with the same correlation, a Gaussian copula makes joint extremes rare (its
//! tail dependence is zero), while in real stress episodes the worst market days and the worst
//! redemption days come together. The t copula keeps the rank correlation and fattens the joint
//! tail.

use rand::Rng;
use rand_distr::{ChiSquared, Distribution, StandardNormal};
use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, StudentsT};

use super::config::CopulaConfig;

/// Which copula couples market and redemption severity.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CopulaKind {
    #[default]
    StudentT,
    Gaussian,
}

/// A ready-to-draw copula. Construction never fails: a correlation outside (-1, 1) is clamped and
/// degrees of freedom that are not positive fall back to the Gaussian copula, so that an
/// unvalidated configuration cannot panic ([`super::ScenarioConfig::validate`] reports them).
#[derive(Clone, Debug)]
pub struct SeverityCopula {
    rho: f64,
    /// Scale of the independent part of the second normal, `sqrt(1 - rho^2)`.
    rho_c: f64,
    t: Option<StudentT>,
}

#[derive(Clone, Debug)]
struct StudentT {
    dof: f64,
    chi2: ChiSquared<f64>,
    cdf: StudentsT,
}

impl SeverityCopula {
    pub fn new(cfg: &CopulaConfig) -> Self {
        let rho = if cfg.rho.is_finite() {
            cfg.rho.clamp(-0.999, 0.999)
        } else {
            0.0
        };
        let t = match cfg.kind {
            CopulaKind::Gaussian => None,
            CopulaKind::StudentT => {
                let dof = cfg.dof;
                match (ChiSquared::new(dof), StudentsT::new(0.0, 1.0, dof)) {
                    (Ok(chi2), Ok(cdf)) if dof.is_finite() && dof > 0.0 => {
                        Some(StudentT { dof, chi2, cdf })
                    }
                    _ => None,
                }
            }
        };
        SeverityCopula {
            rho,
            rho_c: (1.0 - rho * rho).sqrt(),
            t,
        }
    }

    /// One `(market, redemption)` pair of uniforms in [0, 1].
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> (f64, f64) {
        let z1: f64 = StandardNormal.sample(rng);
        let z2: f64 = StandardNormal.sample(rng);
        let x1 = z1;
        let x2 = self.rho * z1 + self.rho_c * z2;
        match &self.t {
            None => (normal_cdf(x1), normal_cdf(x2)),
            Some(t) => {
                // One common chi-square mixing variable: it is what makes both margins large at
                // once (a low draw scales the whole pair up).
                let w = (t.chi2.sample(rng) / t.dof).max(f64::MIN_POSITIVE);
                let s = w.sqrt().recip();
                (unit(t.cdf.cdf(x1 * s)), unit(t.cdf.cdf(x2 * s)))
            }
        }
    }
}

/// Standard normal CDF.
fn normal_cdf(x: f64) -> f64 {
    unit(0.5 * statrs::function::erf::erfc(-x / std::f64::consts::SQRT_2))
}

fn unit(u: f64) -> f64 {
    if u.is_nan() {
        0.5
    } else {
        u.clamp(0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn draws(kind: CopulaKind, n: usize, seed: u64) -> Vec<(f64, f64)> {
        let copula = SeverityCopula::new(&CopulaConfig {
            kind,
            dof: 4.0,
            rho: 0.6,
        });
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        (0..n).map(|_| copula.sample(&mut rng)).collect()
    }

    #[test]
    fn margins_are_uniform() {
        for kind in [CopulaKind::StudentT, CopulaKind::Gaussian] {
            let d = draws(kind, 20_000, 11);
            for margin in [0, 1] {
                let mut xs: Vec<f64> = d
                    .iter()
                    .map(|p| if margin == 0 { p.0 } else { p.1 })
                    .collect();
                xs.sort_by(f64::total_cmp);
                // Kolmogorov-Smirnov distance against U(0, 1); 1.95/sqrt(n) is the 0.1% level.
                let n = xs.len() as f64;
                let ks = xs
                    .iter()
                    .enumerate()
                    .map(|(i, &x)| {
                        ((i as f64 + 1.0) / n - x)
                            .abs()
                            .max((x - i as f64 / n).abs())
                    })
                    .fold(0.0, f64::max);
                assert!(
                    ks < 1.95 / n.sqrt(),
                    "{kind:?} margin {margin}: KS distance {ks}"
                );
            }
        }
    }

    /// The t copula puts more mass in the joint upper tail than the Gaussian one with the same
    /// correlation: at the 95% level, 1.55% of draws lie beyond both thresholds for the Gaussian
    /// (by quadrature) and about 2.0% for t(4). With 200k draws each the standard error of the
    /// difference is 0.04 points, so the 0.25-point margin below is five standard errors inside
    /// the expected gap, and each level is checked to about seven standard errors.
    #[test]
    fn student_t_has_more_joint_tail_than_gaussian() {
        let n = 200_000;
        let co_exceed = |kind| {
            draws(kind, n, 5)
                .iter()
                .filter(|(a, b)| *a > 0.95 && *b > 0.95)
                .count() as f64
                / n as f64
        };
        let t = co_exceed(CopulaKind::StudentT);
        let g = co_exceed(CopulaKind::Gaussian);
        assert!((0.0135..0.0175).contains(&g), "gaussian co-exceedance {g}");
        assert!((0.018..0.0225).contains(&t), "t(4) co-exceedance {t}");
        assert!(t > g + 0.0025, "t co-exceedance {t} not above gaussian {g}");
    }

    #[test]
    fn bad_settings_do_not_panic() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        for cfg in [
            CopulaConfig {
                kind: CopulaKind::StudentT,
                dof: -1.0,
                rho: 2.0,
            },
            CopulaConfig {
                kind: CopulaKind::StudentT,
                dof: f64::NAN,
                rho: f64::NAN,
            },
            CopulaConfig {
                kind: CopulaKind::Gaussian,
                dof: 0.0,
                rho: -1.0,
            },
        ] {
            let (a, b) = SeverityCopula::new(&cfg).sample(&mut rng);
            assert!((0.0..=1.0).contains(&a) && (0.0..=1.0).contains(&b));
        }
    }
}

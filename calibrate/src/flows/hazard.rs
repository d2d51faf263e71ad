//! Large holders' redemption hazards (docs/calibration.md "Large holders").
//!
//! Pooled fit: each large-holder day at risk (free shares above 0) is an observation, the event
//! `y = 1` a day with a redemption request. The kernel's intensity, with the history's
//! `m = M = 1`, is `λ = h + f g(t−1) + o`, where `o = a DD + c OUT5 + e LIQ` uses the holder's own
//! fund-file betas (kept). `(h, f)` is the Poisson maximum-likelihood estimate (Cameron & Trivedi
//! 2013, Regression Analysis of Count Data, ch. 3) with the identity link, by Newton's method with
//! step halving, and robust (sandwich) standard errors; `f` is fitted only with a market file and
//! at least `min_stress_events` events on stressed days, otherwise each holder's fund-file `f`
//! joins the offset.
//!
//! Holder by holder: a multiplicative frailty `r_i ~ Gamma(α, α)` on the pooled intensity, its
//! empirical-Bayes (gamma-Poisson) posterior mean `r_i = (n_i + α) / (E_i + α)` with `n_i` the
//! holder's events and `E_i` its expected count under the pooled fit (Clayton & Kaldor 1987,
//! Biometrics 43(3), "Empirical Bayes estimates of age-standardized relative risks for use in
//! disease mapping"), `1/α` by their method of moments. The shrinkage weight on the holder's own
//! data is `w_i = E_i / (E_i + α)`; `h_i = r_i h`, `f_i = r_i f`.

use nalgebra::{Matrix2, Vector2};
use serde::Serialize;
use undertow_host::fund::FundFile;

use super::fit::{Estimate, FitOptions, WARM_UP_DAYS};
use super::history::{FlowHistory, HolderKind, HolderSeries};
use super::signals::FundTrack;

/// One large holder's fit.
#[derive(Clone, Debug, Serialize)]
pub struct LargeHolderFit {
    pub name: String,
    pub estimates: Vec<Estimate>,
    pub events: usize,
    pub exposure_days: usize,
    /// Events expected under the pooled fit.
    pub expected_events: f64,
    /// Weight on the holder's own data (0: fully pooled, 1: its own rate).
    pub shrinkage_weight: f64,
    /// The empirical-Bayes relative rate `r_i`.
    pub relative_rate: f64,
}

impl LargeHolderFit {
    pub fn get(&self, field: &str) -> Option<&Estimate> {
        self.estimates.iter().find(|e| e.field == field)
    }
}

/// The large holders' fit.
#[derive(Clone, Debug, Serialize)]
pub struct LargeFit {
    pub pooled_hazard: Option<Estimate>,
    pub pooled_beta_stress: Option<Estimate>,
    pub pooled_fraction: Option<Estimate>,
    pub events: usize,
    pub stress_events: usize,
    pub exposure_days: usize,
    /// The gamma prior's `1/α` (0: no heterogeneity beyond Poisson noise: full pooling).
    pub inverse_alpha: f64,
    pub holders: Vec<LargeHolderFit>,
    pub notes: Vec<String>,
}

struct Obs {
    holder: usize,
    y: f64,
    g: f64,
    offset: f64,
    size: f64,
}

/// Poisson ML of `λ = h + f g + o` (identity link); `fit_f` false holds `f` at 0. Returns the
/// estimate, its sandwich covariance and whether it converged.
pub fn poisson_identity(
    y: &[f64],
    g: &[f64],
    o: &[f64],
    fit_f: bool,
) -> Option<(Vector2<f64>, Matrix2<f64>)> {
    let n = y.len();
    let events: f64 = y.iter().sum();
    if events <= 0.0 || n == 0 {
        return None;
    }
    let off: f64 = o.iter().sum();
    let mut th = Vector2::new(((events - off).max(0.5 * events)) / n as f64, 0.0);
    let ll = |th: &Vector2<f64>| -> f64 {
        let mut s = 0.0;
        for i in 0..n {
            let l = th[0] + th[1] * g[i] + o[i];
            if l <= 0.0 {
                return f64::NEG_INFINITY;
            }
            s += y[i] * l.ln() - l;
        }
        s
    };
    let parts = |th: &Vector2<f64>| {
        let mut grad = Vector2::zeros();
        let mut info = Matrix2::zeros();
        let mut meat = Matrix2::zeros();
        for i in 0..n {
            let l = th[0] + th[1] * g[i] + o[i];
            let x = Vector2::new(1.0, g[i]);
            let sc = y[i] / l - 1.0;
            grad += x * sc;
            info += x * x.transpose() * (y[i] / (l * l));
            meat += x * x.transpose() * (sc * sc);
        }
        if !fit_f {
            grad[1] = 0.0;
            info[(0, 1)] = 0.0;
            info[(1, 0)] = 0.0;
            info[(1, 1)] = 1.0;
            meat[(0, 1)] = 0.0;
            meat[(1, 0)] = 0.0;
            meat[(1, 1)] = 0.0;
        }
        (grad, info, meat)
    };
    let mut cur = ll(&th);
    for _ in 0..200 {
        let (grad, info, _) = parts(&th);
        let step = info.lu().solve(&grad)?;
        let mut a = 1.0;
        let mut moved = false;
        for _ in 0..60 {
            let mut next = th + step * a;
            next[0] = next[0].max(1e-12);
            next[1] = next[1].max(0.0);
            let v = ll(&next);
            if v.is_finite() && v >= cur - 1e-12 {
                moved = (next - th).norm() > 1e-15 * (1.0 + th.norm());
                th = next;
                cur = v;
                break;
            }
            a *= 0.5;
        }
        if !moved {
            break;
        }
    }
    let (_, info, meat) = parts(&th);
    let inv = info.try_inverse()?;
    let mut cov = inv * meat * inv;
    if !fit_f {
        cov[(1, 1)] = 0.0;
    }
    Some((th, cov))
}

/// Fits the large holders of `fund` to the history.
pub fn fit_large(
    h: &FlowHistory,
    fund: &FundFile,
    track: &FundTrack,
    market: bool,
    has_nav: bool,
    o: &FitOptions,
) -> LargeFit {
    let _ = has_nav;
    let large: Vec<_> = h
        .holders
        .iter()
        .filter(|s| s.kind == HolderKind::Large)
        .collect();
    let mut notes = Vec::new();
    let mut obs = Vec::new();
    let mut stress_events = 0usize;
    for s in &large {
        let spec = &fund.large_investors[s.index];
        for t in WARM_UP_DAYS..h.len() {
            if s.shares[t] <= 0.0 {
                continue;
            }
            let sig = &track.signals[t];
            let y = if s.redemptions[t] > 0.0 { 1.0 } else { 0.0 };
            if y > 0.0 && sig.stress >= o.calm_threshold {
                stress_events += 1;
            }
            obs.push(Obs {
                holder: s.index,
                y,
                g: sig.stress,
                offset: spec.beta_perf * sig.drawdown
                    + spec.beta_herd * sig.outflow_5d
                    + spec.beta_liq * sig.liquidity,
                size: s.redemptions[t] / s.shares[t],
            });
        }
    }
    let events = obs.iter().filter(|x| x.y > 0.0).count();
    let fit_f = market && stress_events >= o.min_stress_events;
    if market && !fit_f {
        notes.push(format!(
            "{stress_events} large-holder events on stressed days (fewer than {}): each holder's beta_stress is kept from the fund file",
            o.min_stress_events
        ));
    }
    let offsets: Vec<f64> = obs
        .iter()
        .map(|x| {
            x.offset
                + if fit_f {
                    0.0
                } else {
                    fund.large_investors[x.holder].beta_stress * x.g
                }
        })
        .collect();
    let y: Vec<f64> = obs.iter().map(|x| x.y).collect();
    let g: Vec<f64> = obs.iter().map(|x| x.g).collect();
    let fitted = poisson_identity(&y, &g, &offsets, fit_f);
    let Some((th, cov)) = fitted else {
        let why = "no large-holder redemption in the history: hazards, stress sensitivities and fractions are kept from the fund file";
        notes.push(why.into());
        let holders = kept_holders(&large, fund, &obs, why);
        return LargeFit {
            pooled_hazard: None,
            pooled_beta_stress: None,
            pooled_fraction: None,
            events,
            stress_events,
            exposure_days: obs.len(),
            inverse_alpha: f64::NAN,
            holders,
            notes,
        };
    };
    let method = "Poisson ML (identity link), sandwich SE";
    let pooled_hazard = Estimate::fitted("hazard", th[0], cov[(0, 0)].sqrt(), obs.len(), method);
    let pooled_beta_stress = fit_f
        .then(|| Estimate::fitted("beta_stress", th[1], cov[(1, 1)].sqrt(), obs.len(), method));
    let sizes: Vec<f64> = obs.iter().filter(|x| x.y > 0.0).map(|x| x.size).collect();
    let (fm, fse) = mean_se(&sizes);
    let pooled_fraction = Estimate::fitted("fraction", fm, fse, sizes.len(), "mean event size");

    // Empirical Bayes by holder.
    let nh = fund.large_investors.len();
    let mut n_i = vec![0.0; nh];
    let mut e_i = vec![0.0; nh];
    let mut days_i = vec![0usize; nh];
    for (x, off) in obs.iter().zip(&offsets) {
        n_i[x.holder] += x.y;
        e_i[x.holder] += th[0] + th[1] * x.g + off;
        days_i[x.holder] += 1;
    }
    let num: f64 = (0..nh).map(|i| (n_i[i] - e_i[i]).powi(2) - n_i[i]).sum();
    let den: f64 = e_i.iter().map(|e| e * e).sum();
    let inverse_alpha = if den > 0.0 { (num / den).max(0.0) } else { 0.0 };
    let counts = Counts { n_i, e_i, days_i };
    let pooled = Pooled {
        th,
        cov,
        fit_f,
        market,
        fraction: pooled_fraction.clone(),
    };
    let holders = large
        .iter()
        .map(|s| holder_fit(s, fund, &obs, &counts, inverse_alpha, &pooled, o))
        .collect();
    LargeFit {
        pooled_hazard: Some(pooled_hazard),
        pooled_beta_stress,
        pooled_fraction: Some(pooled_fraction),
        events,
        stress_events,
        exposure_days: obs.len(),
        inverse_alpha,
        holders,
        notes,
    }
}

/// Events, expected events and days at risk by holder.
struct Counts {
    n_i: Vec<f64>,
    e_i: Vec<f64>,
    days_i: Vec<usize>,
}

/// The pooled fit.
struct Pooled {
    th: Vector2<f64>,
    cov: Matrix2<f64>,
    fit_f: bool,
    market: bool,
    fraction: Estimate,
}

/// One holder's empirical-Bayes shrunk values.
fn holder_fit(
    s: &HolderSeries,
    fund: &FundFile,
    obs: &[Obs],
    c: &Counts,
    inverse_alpha: f64,
    pooled: &Pooled,
    o: &FitOptions,
) -> LargeHolderFit {
    let i = s.index;
    let spec = &fund.large_investors[i];
    let (w, r, sd_r) = if inverse_alpha > 0.0 && c.e_i[i] > 0.0 {
        let a = 1.0 / inverse_alpha;
        let r = (c.n_i[i] + a) / (c.e_i[i] + a);
        (
            c.e_i[i] / (c.e_i[i] + a),
            r,
            (c.n_i[i] + a).sqrt() / (c.e_i[i] + a),
        )
    } else {
        (0.0, 1.0, 0.0)
    };
    let shrunk = |field: &str, v: f64, se: f64| {
        let se = ((r * se).powi(2) + (v * sd_r).powi(2)).sqrt();
        let mut e = Estimate::fitted(
            field,
            r * v,
            se,
            c.days_i[i],
            "pooled Poisson ML x empirical-Bayes relative rate (Clayton & Kaldor 1987)",
        );
        e.note = format!("shrinkage weight on own data {w:.3}");
        e
    };
    let mut est = vec![shrunk("hazard", pooled.th[0], pooled.cov[(0, 0)].sqrt())];
    if pooled.fit_f {
        est.push(shrunk(
            "beta_stress",
            pooled.th[1],
            pooled.cov[(1, 1)].sqrt(),
        ));
    } else {
        est.push(Estimate::kept(
            "beta_stress",
            spec.beta_stress,
            if pooled.market {
                "too few events on stressed days"
            } else {
                "no market file"
            },
        ));
    }
    let own: Vec<f64> = obs
        .iter()
        .filter(|x| x.holder == i && x.y > 0.0)
        .map(|x| x.size)
        .collect();
    if own.len() >= o.min_fraction_events {
        let (m, se) = mean_se(&own);
        est.push(Estimate::fitted(
            "fraction",
            m,
            se,
            own.len(),
            "mean event size",
        ));
    } else {
        let mut e = pooled.fraction.clone();
        e.method = "pooled mean event size".into();
        e.note = format!(
            "{} own events (fewer than {}): the pooled mean",
            own.len(),
            o.min_fraction_events
        );
        est.push(e);
    }
    LargeHolderFit {
        name: s.name.clone(),
        estimates: est,
        events: c.n_i[i] as usize,
        exposure_days: c.days_i[i],
        expected_events: c.e_i[i],
        shrinkage_weight: w,
        relative_rate: r,
    }
}

/// Every holder with the fund file's values, for `why`.
fn kept_holders(
    large: &[&HolderSeries],
    fund: &FundFile,
    obs: &[Obs],
    why: &str,
) -> Vec<LargeHolderFit> {
    large
        .iter()
        .map(|s| {
            let spec = &fund.large_investors[s.index];
            LargeHolderFit {
                name: s.name.clone(),
                estimates: vec![
                    Estimate::kept("hazard", spec.hazard, why),
                    Estimate::kept("beta_stress", spec.beta_stress, why),
                    Estimate::kept("fraction", spec.fraction, why),
                ],
                events: obs
                    .iter()
                    .filter(|x| x.holder == s.index && x.y > 0.0)
                    .count(),
                exposure_days: obs.iter().filter(|x| x.holder == s.index).count(),
                expected_events: f64::NAN,
                shrinkage_weight: 0.0,
                relative_rate: 1.0,
            }
        })
        .collect()
}

/// Mean and its standard error (0 for one value).
fn mean_se(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    if v.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let m = v.iter().sum::<f64>() / n;
    if v.len() < 2 {
        return (m, 0.0);
    }
    let var = v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0);
    (m, (var / n).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_covariate_the_ml_rate_is_events_over_exposure() {
        let mut y = vec![0.0; 1000];
        for i in (0..1000).step_by(100) {
            y[i] = 1.0;
        }
        let g = vec![0.0; 1000];
        let (th, cov) = poisson_identity(&y, &g, &vec![0.0; 1000], false).unwrap();
        assert!((th[0] - 0.01).abs() < 1e-9, "{th}");
        // Sandwich variance with Bernoulli data: sum (y/l - 1)^2 / (sum y / l^2)^2.
        let l: f64 = 0.01;
        let meat = 10.0 * (1.0 / l - 1.0).powi(2) + 990.0;
        let info = 10.0 / (l * l);
        assert!((cov[(0, 0)] - meat / (info * info)).abs() < 1e-12);
    }

    #[test]
    fn two_groups_give_the_rate_and_the_slope() {
        // g = 0: 5 events in 1000 days; g = 1: 30 events in 1000 days. ML: h = 0.005, f = 0.025.
        let mut y = vec![0.0; 2000];
        let mut g = vec![0.0; 2000];
        for i in 0..5 {
            y[i * 100] = 1.0;
        }
        for v in g.iter_mut().skip(1000) {
            *v = 1.0;
        }
        for i in 0..30 {
            y[1000 + i * 30] = 1.0;
        }
        let (th, _) = poisson_identity(&y, &g, &vec![0.0; 2000], true).unwrap();
        assert!(
            (th[0] - 0.005).abs() < 1e-7 && (th[1] - 0.025).abs() < 1e-7,
            "{th}"
        );
    }
}

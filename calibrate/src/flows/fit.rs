//! Segments' flow parameters by least squares on the kernel's equation (docs/calibration.md
//! "Segments"). With the history's `m(t) = 1` the kernel's segment rate is linear in its
//! parameters:
//!
//! `redemptions(t) / free shares(t) − beta_liq LIQ(t) = b + beta_perf DD(t) + beta_herd OUT5(t)
//!  + beta_stress g(t−1) + flow_vol Z(t)`,
//!
//! so ordinary least squares estimates `b` and the betas, with Newey-West standard errors
//! ([`super::ols`]); `flow_vol` is the residuals' standard deviation on calm days (`g(t−1)` below
//! [`FitOptions::calm_threshold`]). `beta_liq` is kept from the fund file (the ALR trigger is not
//! in a flow history) and enters as a known offset.

use serde::Serialize;
use undertow_host::fund::spec::SegmentSpec;
use undertow_host::fund::FundFile;

use super::hazard::{fit_large, LargeFit};
use super::history::{FlowHistory, HolderKind, HolderSeries};
use super::ols::ols_hac;
use super::signals::{FundTrack, SignalParams};
use crate::error::CalibrateError;

/// Days at the start of a history that only fill the signals' trailing windows (30-day requests).
pub const WARM_UP_DAYS: usize = 30;

/// Fewest days a fit accepts after the warm-up.
pub const MIN_DAYS: usize = 60;

/// Settings of a fit.
#[derive(Clone, Debug)]
pub struct FitOptions {
    /// A day is calm when yesterday's composite is below this (judgement: 0.1, a tenth of a full
    /// stress).
    pub calm_threshold: f64,
    /// Fewest large-holder events on stressed days (composite at or above the calm threshold) for
    /// the large holders' stress sensitivity to be fitted.
    pub min_stress_events: usize,
    /// Fewest events of one large holder for its own redemption fraction.
    pub min_fraction_events: usize,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            calm_threshold: 0.1,
            min_stress_events: 5,
            min_fraction_events: 3,
        }
    }
}

/// One estimated (or kept) fund-file value.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Estimate {
    /// The fund-file field, e.g. `beta_stress`.
    pub field: String,
    /// The value written to the fund file (an estimate below a bound is written at the bound).
    pub value: f64,
    /// The estimate before any bound.
    pub estimate: f64,
    /// Its standard error (`None` when kept).
    pub se: Option<f64>,
    /// Observations behind it (days, holder-days or events).
    pub n: usize,
    /// `fitted`, or `kept` (the fund file's value, not fitted).
    pub status: &'static str,
    pub method: String,
    pub note: String,
}

impl Estimate {
    pub fn fitted(field: &str, estimate: f64, se: f64, n: usize, method: &str) -> Self {
        let value = estimate.max(0.0);
        Estimate {
            field: field.into(),
            value,
            estimate,
            se: Some(se),
            n,
            status: "fitted",
            method: method.into(),
            note: if estimate < 0.0 {
                "negative estimate written as 0 (the fund file needs 0 or more)".into()
            } else {
                String::new()
            },
        }
    }

    pub fn kept(field: &str, value: f64, why: &str) -> Self {
        Estimate {
            field: field.into(),
            value,
            estimate: value,
            se: None,
            n: 0,
            status: "kept",
            method: "fund file".into(),
            note: why.into(),
        }
    }

    pub fn is_fitted(&self) -> bool {
        self.status == "fitted"
    }
}

/// One segment's fit.
#[derive(Clone, Debug, Serialize)]
pub struct SegmentFit {
    pub name: String,
    pub estimates: Vec<Estimate>,
    /// Days in the regression.
    pub n_days: usize,
    /// Calm days behind `flow_vol`.
    pub calm_days: usize,
    pub newey_west_lag: usize,
    pub r_squared: f64,
}

impl SegmentFit {
    pub fn get(&self, field: &str) -> Option<&Estimate> {
        self.estimates.iter().find(|e| e.field == field)
    }
}

/// A whole fit.
#[derive(Clone, Debug, Serialize)]
pub struct FlowFit {
    pub flows_file: String,
    pub first_date: String,
    pub last_date: String,
    /// Days after the warm-up.
    pub n_days: usize,
    pub market: bool,
    pub nav: bool,
    pub calm_threshold: f64,
    pub segments: Vec<SegmentFit>,
    pub large: LargeFit,
    pub notes: Vec<String>,
}

/// Fits the segments and large holders of `fund` to `h`; `g` is the market stress composite on
/// the history's dates, when a market file is given.
pub fn fit_flows(
    h: &FlowHistory,
    fund: &FundFile,
    g: Option<&[f64]>,
    o: &FitOptions,
) -> Result<FlowFit, CalibrateError> {
    let n = h.len();
    if n < WARM_UP_DAYS + MIN_DAYS {
        return Err(CalibrateError::file(
            &h.file,
            format!(
                "{n} dates: a fit needs at least {} ({WARM_UP_DAYS} to fill the 30-day signals, then {MIN_DAYS})",
                WARM_UP_DAYS + MIN_DAYS
            ),
        ));
    }
    let zeros = vec![0.0; n];
    let gs = g.unwrap_or(&zeros);
    let p = SignalParams::from_fund(fund);
    let track = FundTrack::new(h, gs, &p);
    let has_nav = h.nav.is_some() && track.drawdown.iter().any(|d| *d > 0.0);
    let mut notes = Vec::new();
    if g.is_none() {
        notes.push(
            "no market file: beta_stress (segments and large holders) is not fitted and the fund file's values are kept; all days count as calm".into(),
        );
    }
    if !has_nav {
        notes.push(
            "no NAV per share (or no drawdown) in the history: beta_perf is not fitted and the fund file's values are kept".into(),
        );
    }
    notes.push("beta_liq is kept from the fund file: the liquidity concern's ALR trigger is not in a flow history (its 30-day-requests and stress triggers enter as a known offset)".into());

    let segments = h
        .holders
        .iter()
        .filter(|s| s.kind == HolderKind::Segment)
        .map(|s| fit_segment(h, s, &fund.segments[s.index], &track, has_nav, g, o))
        .collect::<Result<Vec<_>, _>>()?;
    let large = fit_large(h, fund, &track, g.is_some(), has_nav, o);
    Ok(FlowFit {
        flows_file: h.file.clone(),
        first_date: h.dates[WARM_UP_DAYS].format("%Y-%m-%d").to_string(),
        last_date: h.dates[n - 1].format("%Y-%m-%d").to_string(),
        n_days: n - WARM_UP_DAYS,
        market: g.is_some(),
        nav: has_nav,
        calm_threshold: o.calm_threshold,
        segments,
        large,
        notes,
    })
}

/// One segment's least squares (docs/calibration.md "Segments").
fn fit_segment(
    h: &FlowHistory,
    s: &HolderSeries,
    spec: &SegmentSpec,
    track: &FundTrack,
    has_nav: bool,
    g: Option<&[f64]>,
    o: &FitOptions,
) -> Result<SegmentFit, CalibrateError> {
    let n = h.len();
    let mut y = Vec::new();
    let mut cols: Vec<Vec<f64>> = Vec::new();
    let mut names: Vec<&str> = vec!["base_rate"];
    if has_nav {
        names.push("beta_perf");
    }
    names.push("beta_herd");
    if g.is_some() {
        names.push("beta_stress");
    }
    cols.resize(names.len(), Vec::new());
    let mut calm = Vec::new();
    for t in WARM_UP_DAYS..n {
        let free = s.shares[t];
        if free <= 0.0 {
            continue;
        }
        let sig = &track.signals[t];
        let mut off = spec.beta_liq * sig.liquidity;
        if !has_nav {
            off += spec.beta_perf * sig.drawdown;
        }
        y.push(s.redemptions[t] / free - off);
        for (c, name) in names.iter().enumerate() {
            cols[c].push(match *name {
                "base_rate" => 1.0,
                "beta_perf" => sig.drawdown,
                "beta_herd" => sig.outflow_5d,
                _ => sig.stress,
            });
        }
        calm.push(sig.stress < o.calm_threshold);
    }
    if y.len() < MIN_DAYS {
        return Err(CalibrateError::file(
            &h.file,
            format!(
                "segment {}: {} days with shares held after the warm-up; a fit needs {MIN_DAYS}",
                s.name,
                y.len()
            ),
        ));
    }
    let fit = ols_hac(&y, &cols).ok_or_else(|| {
        CalibrateError::file(
            &h.file,
            format!(
                "segment {}: the history does not separate the effects of {} (their signals are constant or collinear)",
                s.name,
                names[1..].join(", ")
            ),
        )
    })?;
    let method = format!("OLS, Newey-West (lag {})", fit.lag);
    let mut est: Vec<Estimate> = names
        .iter()
        .enumerate()
        .map(|(c, name)| Estimate::fitted(name, fit.coef[c], fit.se[c], fit.n, &method))
        .collect();
    let k = names.len() as f64;
    let nn = fit.n as f64;
    let calm_e: Vec<f64> = fit
        .residuals
        .iter()
        .zip(&calm)
        .filter(|(_, c)| **c)
        .map(|(e, _)| *e)
        .collect();
    let nc = calm_e.len();
    let sigma = if nc > 1 {
        (calm_e.iter().map(|e| e * e).sum::<f64>() / nc as f64 * nn / (nn - k)).sqrt()
    } else {
        f64::NAN
    };
    if nc > 1 {
        est.push(Estimate::fitted(
            "flow_vol",
            sigma,
            sigma / (2.0 * nc as f64).sqrt(),
            nc,
            "residual standard deviation on calm days",
        ));
    } else {
        est.push(Estimate::kept(
            "flow_vol",
            spec.flow_vol,
            "fewer than two calm days",
        ));
    }
    if !has_nav {
        est.push(Estimate::kept(
            "beta_perf",
            spec.beta_perf,
            "no NAV per share in the history",
        ));
    }
    if g.is_none() {
        est.push(Estimate::kept(
            "beta_stress",
            spec.beta_stress,
            "no market file",
        ));
    }
    est.push(Estimate::kept(
        "beta_liq",
        spec.beta_liq,
        "the ALR trigger is not in a flow history",
    ));
    let mean = y.iter().sum::<f64>() / nn;
    let tss: f64 = y.iter().map(|v| (v - mean).powi(2)).sum();
    let rss: f64 = fit.residuals.iter().map(|e| e * e).sum();
    Ok(SegmentFit {
        name: s.name.clone(),
        estimates: est,
        n_days: fit.n,
        calm_days: nc,
        newey_west_lag: fit.lag,
        r_squared: if tss > 0.0 { 1.0 - rss / tss } else { 0.0 },
    })
}

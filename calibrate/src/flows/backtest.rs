//! The backtest of the flow model's outflow forecasts (docs/calibration.md "The backtest").
//!
//! At each start date `s` (after the signals' 30-day warm-up), the model's predictive
//! distribution of the next `H`-day outflow — redemption requests valued at each day's NAV per
//! share, as a fraction of the NAV at the start — is a Monte Carlo of the kernel's investor
//! equations ([`super::synth::segment_rate`], [`super::synth::large_intensity`], the kernel's
//! Philox noise), started from the history up to `s` (free shares, requests still in their notice,
//! the trailing outflows behind the herding and liquidity-concern signals) and run with the
//! realised NAV per share and market stress composite over the window. It tests the flow model
//! given the market, not the market scenarios. Herding is endogenous: each draw's own outflows
//! feed its signals. Subscriptions are not modelled (the kernel has none): the forecast and the
//! realised outflow are both gross redemptions.
//!
//! Windows do not overlap: starts every `H` days, so each horizon's hits are one sequence for
//! Christoffersen's test. The realised outflow's PIT in its predictive sample, its exceedance of
//! the 95% and 99% liquidity at risk, Kupiec's and Christoffersen's tests ([`super::stats`]).

use serde::Serialize;
use undertow_host::fund::FundFile;

use super::fit::WARM_UP_DAYS;
use super::history::{FlowHistory, HolderKind};
use super::signals::{signals_at, FundTrack, SignalParams};
use super::stats::{christoffersen, kupiec, pit, quantile, transitions, LrTest};
use super::synth::{fill_flow_normals, fill_large_uniforms, key, large_intensity, segment_rate};

/// Settings of a backtest.
#[derive(Clone, Debug)]
pub struct BacktestOptions {
    pub draws: usize,
    pub seed: u64,
    pub horizons: Vec<usize>,
    /// Significance of each test.
    pub alpha: f64,
}

impl Default for BacktestOptions {
    fn default() -> Self {
        BacktestOptions {
            draws: 2000,
            seed: 1,
            horizons: vec![1, 7, 30],
            alpha: 0.05,
        }
    }
}

/// One LaR level's exceedances and tests.
#[derive(Clone, Debug, Serialize)]
pub struct LevelResult {
    pub level: f64,
    pub exceedances: usize,
    pub expected: f64,
    pub kupiec: LrTest,
    pub christoffersen: LrTest,
    /// `[n00, n01, n10, n11]`.
    pub transitions: [usize; 4],
}

/// One horizon's results.
#[derive(Clone, Debug, Serialize)]
pub struct HorizonResult {
    pub horizon_days: usize,
    pub windows: usize,
    pub first_start: String,
    pub levels: Vec<LevelResult>,
    /// Counts of the PIT in ten equal bins of [0, 1].
    pub pit_histogram: Vec<usize>,
    /// `(nominal q, share of windows with PIT ≤ q)` for q = 0.05, 0.1, ..., 0.95.
    pub calibration: Vec<(f64, f64)>,
    pub mean_forecast: f64,
    pub mean_realised: f64,
    /// Realised outflow, its 95% and 99% LaR, and its PIT, per window.
    pub windows_detail: Vec<WindowDetail>,
    /// Both 95% tests have p above the significance.
    pub passed: bool,
}

/// One window.
#[derive(Clone, Debug, Serialize)]
pub struct WindowDetail {
    pub start: String,
    pub realised: f64,
    pub lar95: f64,
    pub lar99: f64,
    pub pit: f64,
}

/// The whole backtest.
#[derive(Clone, Debug, Serialize)]
pub struct BacktestReport {
    pub flows_file: String,
    pub draws: usize,
    pub seed: u64,
    pub market: bool,
    pub alpha: f64,
    pub conditional_on: String,
    pub horizons: Vec<HorizonResult>,
    /// `not rejected` or `rejected`.
    pub verdict: String,
    pub passed: bool,
    pub verdict_rule: String,
}

/// What every window's simulation reads.
struct Sim<'a> {
    h: &'a FlowHistory,
    fund: &'a FundFile,
    p: SignalParams,
    track: FundTrack,
    g: Vec<f64>,
    key: [u32; 2],
    /// Days of history before each start in the local window.
    back: usize,
}

impl Sim<'_> {
    /// Realised outflow of the `hz` days from `s`, over the NAV at the start.
    fn realised(&self, s: usize, hz: usize) -> f64 {
        let nav0 = self.track.nav[s - 1] * self.track.held_total[s];
        (s..s + hz)
            .map(|t| {
                self.h
                    .holders
                    .iter()
                    .map(|x| x.redemptions[t] * self.track.nav[t])
                    .sum::<f64>()
            })
            .sum::<f64>()
            / nav0
    }

    /// The predictive sample (sorted) of the `hz`-day outflow from `s`: `draws` runs of the
    /// kernel's investor equations from the history up to `s`, on the realised NAV and composite.
    fn sample(&self, s: usize, hz: usize, draws: usize) -> Vec<f64> {
        let (h, track, back) = (self.h, &self.track, self.back);
        let nh = h.holders.len();
        let nav0 = track.nav[s - 1] * track.held_total[s];
        // Local window: `back` days of history, then `hz` simulated days.
        let len = back + hz;
        let base = s - back;
        let mut reds = vec![vec![0.0; len]; nh];
        let mut acc = vec![0.0; len];
        let mut req = vec![0.0; len];
        let gl: Vec<f64> = self.g[base..s + hz].to_vec();
        // The history part is the same for every draw; each draw overwrites the rest.
        for (hi, x) in h.holders.iter().enumerate() {
            reds[hi][..back].copy_from_slice(&x.redemptions[base..s]);
        }
        acc[..back].copy_from_slice(&track.accepted[base..s]);
        req[..back].copy_from_slice(&track.requested[base..s]);
        let mut zs = vec![0.0; self.fund.segments.len()];
        let mut us = vec![0.0; self.fund.large_investors.len()];
        let mut sample = Vec::with_capacity(draws);
        for d in 0..draws {
            let mut free: Vec<f64> = h.holders.iter().map(|x| x.shares[s]).collect();
            let mut gone = vec![false; nh];
            let mut out = 0.0;
            for j in back..len {
                let t = base + j;
                let held_total: f64 = h
                    .holders
                    .iter()
                    .enumerate()
                    .map(|(hi, x)| free[hi] + (1..=x.notice).map(|q| reds[hi][j - q]).sum::<f64>())
                    .sum();
                let nav_prev = track.nav[t - 1] * held_total;
                let sig = signals_at(&self.p, j, track.drawdown[t], nav_prev, &acc, &req, &gl);
                let scen = d as u32 + 1;
                fill_flow_normals(self.key, scen, t, &mut zs);
                fill_large_uniforms(self.key, scen, t, &mut us);
                let mut r_day = 0.0;
                for (hi, x) in h.holders.iter().enumerate() {
                    let r = match x.kind {
                        HolderKind::Segment => {
                            let seg = &self.fund.segments[x.index];
                            segment_rate(seg, &sig, zs[x.index], self.p.lam_max) * free[hi]
                        }
                        HolderKind::Large => {
                            let l = &self.fund.large_investors[x.index];
                            let hzd = 1.0 - (-large_intensity(l, &sig)).exp();
                            if !gone[hi] && free[hi] > 0.0 && us[x.index] < hzd {
                                gone[hi] = true;
                                l.fraction * free[hi]
                            } else {
                                0.0
                            }
                        }
                    };
                    reds[hi][j] = r;
                    free[hi] -= r;
                    r_day += r;
                }
                req[j] = r_day * track.nav[t];
                acc[j] = h
                    .holders
                    .iter()
                    .enumerate()
                    .map(|(hi, x)| reds[hi][j - x.notice])
                    .sum::<f64>()
                    * track.nav[t];
                out += r_day * track.nav[t];
            }
            sample.push(out / nav0);
        }
        sample.sort_by(|a, b| a.total_cmp(b));
        sample
    }

    /// One horizon: every non-overlapping window, its hits and the tests.
    fn horizon(&self, hz: usize, o: &BacktestOptions) -> HorizonResult {
        let n = self.h.len();
        let starts: Vec<usize> = (self.back..n)
            .step_by(hz.max(1))
            .filter(|s| s + hz <= n)
            .collect();
        let mut details = Vec::new();
        let mut sum_fc = 0.0;
        for &s in &starts {
            let realised = self.realised(s, hz);
            let sample = self.sample(s, hz, o.draws);
            sum_fc += sample.iter().sum::<f64>() / sample.len().max(1) as f64;
            details.push(WindowDetail {
                start: self.h.dates[s].format("%Y-%m-%d").to_string(),
                realised,
                lar95: quantile(&sample, 0.95),
                lar99: quantile(&sample, 0.99),
                pit: pit(&sample, realised),
            });
        }
        let nw = details.len();
        let hits95: Vec<bool> = details.iter().map(|w| w.realised > w.lar95).collect();
        let hits99: Vec<bool> = details.iter().map(|w| w.realised > w.lar99).collect();
        let levels = vec![level(0.95, &hits95), level(0.99, &hits99)];
        let mut pit_histogram = vec![0usize; 10];
        for w in &details {
            pit_histogram[((w.pit * 10.0) as usize).min(9)] += 1;
        }
        let calibration = (1..20)
            .map(|i| {
                let q = i as f64 * 0.05;
                let share = details.iter().filter(|w| w.pit <= q).count() as f64 / nw.max(1) as f64;
                (q, share)
            })
            .collect();
        let passed =
            levels[0].kupiec.p_value > o.alpha && levels[0].christoffersen.p_value > o.alpha;
        HorizonResult {
            horizon_days: hz,
            windows: nw,
            first_start: details.first().map_or(String::new(), |w| w.start.clone()),
            mean_forecast: sum_fc / nw.max(1) as f64,
            mean_realised: details.iter().map(|w| w.realised).sum::<f64>() / nw.max(1) as f64,
            levels,
            pit_histogram,
            calibration,
            windows_detail: details,
            passed,
        }
    }
}

/// Exceedances and tests of one LaR level from its hit sequence.
fn level(lv: f64, hits: &[bool]) -> LevelResult {
    let nw = hits.len();
    let x = hits.iter().filter(|v| **v).count();
    let tr = transitions(hits);
    LevelResult {
        level: lv,
        exceedances: x,
        expected: (1.0 - lv) * nw as f64,
        kupiec: kupiec(nw, x, 1.0 - lv),
        christoffersen: christoffersen(tr),
        transitions: tr,
    }
}

/// Backtests `fund`'s flow parameters on the history `h`; `g` is the composite on its dates.
pub fn backtest(
    h: &FlowHistory,
    fund: &FundFile,
    g: Option<&[f64]>,
    o: &BacktestOptions,
) -> BacktestReport {
    let n = h.len();
    let gs = g.map_or_else(|| vec![0.0; n], <[f64]>::to_vec);
    let p = SignalParams::from_fund(fund);
    let max_notice = h.holders.iter().map(|s| s.notice).max().unwrap_or(0);
    let sim = Sim {
        h,
        fund,
        p,
        track: FundTrack::new(h, &gs, &p),
        g: gs,
        key: key(o.seed),
        back: WARM_UP_DAYS.max(max_notice + 1),
    };
    let horizons: Vec<HorizonResult> = o.horizons.iter().map(|&hz| sim.horizon(hz, o)).collect();
    let bonferroni = o.alpha / horizons.len().max(1) as f64;
    let passed = horizons.iter().all(|r| {
        r.levels[0].kupiec.p_value > bonferroni && r.levels[0].christoffersen.p_value > bonferroni
    });
    BacktestReport {
        flows_file: h.file.clone(),
        draws: o.draws,
        seed: o.seed,
        market: g.is_some(),
        alpha: o.alpha,
        conditional_on: if g.is_some() {
            "the history up to each start date and the realised NAV per share and market stress composite over the window: it tests the flow model given the market, not the market scenarios".into()
        } else {
            "the history up to each start date and the realised NAV per share over the window; no market file, so the stress terms are zero: it tests the flow model in calm conditions only".into()
        },
        horizons,
        verdict: if passed { "not rejected" } else { "rejected" }.into(),
        passed,
        verdict_rule: format!(
            "rejected when Kupiec's or Christoffersen's test of the 95% LaR has p below {:.4} at any horizon (significance {} shared by the {} horizons, Bonferroni); the 99% tests are reported",
            bonferroni, o.alpha, o.horizons.len()
        ),
    }
}

//! Synthetic flow histories of known parameters: the kernel's investor equations
//! (kernel/src/investors.rs `requests`) run over a given market stress composite path, with the
//! kernel's noise (Philox 4x32-10 normals and uniforms on the flow and large-investor streams),
//! deterministic in a seed. What the kernel does not model is synthetic judgement, documented in
//! docs/calibration.md "Synthetic histories": the NAV per share (a random walk that loses
//! `nav_stress_loss` over a full stress), segments' subscriptions (their calm base rate, scaled by
//! `1 − g`, with noise) and large holders topping back up `return_days` after a redemption.

use chrono::{Datelike, NaiveDate, Weekday};
use undertow_host::fund::spec::{LargeInvestorSpec, SegmentSpec};
use undertow_host::fund::FundFile;
use undertow_kernel::philox::{normal4, philox4x32_10, stream, uniform};

use super::history::{fund_holders, FlowHistory, HolderKind, HolderSeries};
use super::signals::{drawdowns, pending, signals_at, SignalParams, Signals};

/// Philox stream of the synthetic NAV's normals.
pub const STREAM_NAV: u32 = 101;
/// Philox stream of the synthetic subscriptions' normals.
pub const STREAM_SUBS: u32 = 102;
/// Philox stream of the synthetic calm stress composite.
pub const STREAM_G: u32 = 103;

/// How a synthetic history is made.
#[derive(Clone, Debug)]
pub struct SynthOptions {
    pub seed: u64,
    /// Daily volatility of the NAV per share (judgement: a 60/40-like multi-asset fund, ~8% a year).
    pub nav_vol: f64,
    /// Log NAV lost as the composite goes from 0 to 1 (judgement: ~20%, March 2020 multi-asset).
    pub nav_stress_loss: f64,
    /// Business days after a large holder's redemption before it tops back up.
    pub return_days: usize,
    /// Relative noise of segments' daily subscriptions.
    pub subs_noise: f64,
    /// A NAV per share path to use instead of the random walk (e.g. from a market file).
    pub nav: Option<Vec<f64>>,
}

impl SynthOptions {
    pub fn new(seed: u64) -> Self {
        SynthOptions {
            seed,
            nav_vol: 0.005,
            nav_stress_loss: 0.20,
            return_days: 60,
            subs_noise: 0.5,
            nav: None,
        }
    }
}

/// The Philox key of a seed.
pub fn key(seed: u64) -> [u32; 2] {
    [seed as u32, (seed >> 32) as u32]
}

/// Weekdays from `start` to `end` inclusive.
pub fn business_days(start: NaiveDate, end: NaiveDate) -> Vec<NaiveDate> {
    start
        .iter_days()
        .take_while(|d| *d <= end)
        .filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
        .collect()
}

/// A synthetic market stress composite on `dates` (used until a market file is given): a calm
/// level around 0.05 with AR(1) noise, a March 2020 episode (2020-02-24 to 2020-04-30, peak 0.9 on
/// 2020-03-23) and two milder ones (December 2018, peak 0.3; May to July 2022, peak 0.35).
pub fn synthetic_stress_path(dates: &[NaiveDate], seed: u64) -> Vec<f64> {
    let k = key(seed);
    let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).expect("a fixed valid date");
    let episodes = [
        (d(2018, 12, 3), d(2018, 12, 24), d(2019, 1, 15), 0.3),
        (d(2020, 2, 24), d(2020, 3, 23), d(2020, 4, 30), 0.9),
        (d(2022, 5, 2), d(2022, 6, 16), d(2022, 7, 29), 0.35),
    ];
    let mut ar = 0.0;
    dates
        .iter()
        .enumerate()
        .map(|(t, date)| {
            let z: f64 = normal4([0, t as u32, STREAM_G, 0], k)[0];
            ar = 0.9 * ar + 0.02 * z;
            let mut g: f64 = 0.05 + ar;
            for (a, peak, b, h) in episodes {
                if *date >= a && *date <= b {
                    let x = if *date <= peak {
                        (*date - a).num_days() as f64 / (peak - a).num_days().max(1) as f64
                    } else {
                        (b - *date).num_days() as f64 / (b - peak).num_days().max(1) as f64
                    };
                    g += h * x;
                }
            }
            g.clamp(0.0, 1.0)
        })
        .collect()
}

/// A segment's redemption rate (kernel: `m(t) b + Σ beta signal + sig_flow Z`, clamped to
/// `[0, lam_max]`, with the history's `m(t) = 1`).
pub fn segment_rate(seg: &SegmentSpec, s: &Signals, z: f64, lam_max: f64) -> f64 {
    (seg.base_rate
        + seg.beta_perf * s.drawdown
        + seg.beta_herd * s.outflow_5d
        + seg.beta_liq * s.liquidity
        + seg.beta_stress * s.stress
        + seg.flow_vol * z)
        .clamp(0.0, lam_max)
}

/// A large holder's intensity (kernel: `m M h0 + a DD + c OUT5 + e LIQ + f S`, with the history's
/// `m = M = 1`); the day's probability of a redemption is `1 − exp(−intensity)`.
pub fn large_intensity(l: &LargeInvestorSpec, s: &Signals) -> f64 {
    (l.hazard
        + l.beta_perf * s.drawdown
        + l.beta_herd * s.outflow_5d
        + l.beta_liq * s.liquidity
        + l.beta_stress * s.stress)
        .max(0.0)
}

/// The kernel's segment noise for holder `s` on day `t` of scenario `scenario`.
pub fn flow_normal(k: [u32; 2], scenario: u32, t: usize, s: usize) -> f64 {
    normal4::<f64>([scenario, t as u32, stream::FLOWS, (s / 4) as u32], k)[s % 4]
}

/// The kernel's large-investor uniform for holder `i` on day `t` of scenario `scenario`.
pub fn large_uniform(k: [u32; 2], scenario: u32, t: usize, i: usize) -> f64 {
    uniform::<f64>(philox4x32_10([scenario, t as u32, stream::LARGE, (i / 4) as u32], k)[i % 4])
}

/// The kernel's segment noises of day `t` for `out.len()` segments, four to a Philox block.
pub fn fill_flow_normals(k: [u32; 2], scenario: u32, t: usize, out: &mut [f64]) {
    for (b, chunk) in out.chunks_mut(4).enumerate() {
        let z: [f64; 4] = normal4([scenario, t as u32, stream::FLOWS, b as u32], k);
        chunk.copy_from_slice(&z[..chunk.len()]);
    }
}

/// The kernel's large-investor uniforms of day `t` for `out.len()` holders, four to a block.
pub fn fill_large_uniforms(k: [u32; 2], scenario: u32, t: usize, out: &mut [f64]) {
    for (b, chunk) in out.chunks_mut(4).enumerate() {
        let u = philox4x32_10([scenario, t as u32, stream::LARGE, b as u32], k);
        for (o, x) in chunk.iter_mut().zip(u) {
            *o = uniform::<f64>(x);
        }
    }
}

/// A flow history of `fund`'s holders on `dates`, driven by the composite `g` (one value per
/// date), from the fund's own parameters (the "true" values a fit should recover).
pub fn synthesize(
    fund: &FundFile,
    dates: &[NaiveDate],
    g: &[f64],
    o: &SynthOptions,
) -> FlowHistory {
    let n = dates.len();
    let k = key(o.seed);
    let p = SignalParams::from_fund(fund);
    let holders = fund_holders(fund);
    let mu = fund.fund.expected_return / 252.0;
    let nav = match &o.nav {
        Some(v) => v.clone(),
        None => {
            let mut nav = Vec::with_capacity(n);
            let mut x = 1.0f64;
            for t in 0..n {
                if t > 0 {
                    let z: f64 = normal4([0, t as u32, STREAM_NAV, 0], k)[0];
                    x *= (mu + o.nav_vol * z - o.nav_stress_loss * (g[t] - g[t - 1])).exp();
                }
                nav.push(x);
            }
            nav
        }
    };
    let dd = drawdowns(&nav);
    let initial: Vec<f64> = fund
        .segments
        .iter()
        .map(|s| s.share * fund.fund.aum)
        .chain(fund.large_investors.iter().map(|l| l.stake * fund.fund.aum))
        .collect();
    let mut free = initial.clone();
    let mut last_event = vec![None::<usize>; holders.len()];
    let mut series: Vec<HolderSeries> = holders
        .iter()
        .map(|(name, kind, index, notice)| HolderSeries {
            name: name.clone(),
            kind: *kind,
            index: *index,
            notice: *notice,
            shares: vec![0.0; n],
            subscriptions: vec![0.0; n],
            redemptions: vec![0.0; n],
        })
        .collect();
    let mut accepted = vec![0.0; n];
    let mut requested = vec![0.0; n];
    for t in 0..n {
        let held_total: f64 = series
            .iter()
            .enumerate()
            .map(|(h, s)| free[h] + pending(&s.redemptions, s.notice, t))
            .sum();
        let nav_prev = nav[t.saturating_sub(1)] * held_total;
        let sig = signals_at(&p, t, dd[t], nav_prev, &accepted, &requested, g);
        let subs_z: [f64; 4] = normal4([0, t as u32, STREAM_SUBS, 0], k);
        for (h, s) in series.iter_mut().enumerate() {
            s.shares[t] = free[h];
            let reds = match s.kind {
                HolderKind::Segment => {
                    let seg = &fund.segments[s.index];
                    let z = flow_normal(k, 0, t, s.index);
                    segment_rate(seg, &sig, z, p.lam_max) * free[h]
                }
                HolderKind::Large => {
                    let l = &fund.large_investors[s.index];
                    let hz = 1.0 - (-large_intensity(l, &sig)).exp();
                    if free[h] > 0.0 && large_uniform(k, 0, t, s.index) < hz {
                        last_event[h] = Some(t);
                        l.fraction * free[h]
                    } else {
                        0.0
                    }
                }
            };
            let subs = match s.kind {
                HolderKind::Segment => {
                    let b = fund.segments[s.index].base_rate;
                    let z = subs_z[s.index % 4];
                    b * free[h] * (1.0 + o.subs_noise * z).max(0.0) * (1.0 - g[t]).max(0.0)
                }
                HolderKind::Large => match last_event[h] {
                    Some(e) if t >= e + o.return_days && free[h] < initial[h] => {
                        last_event[h] = None;
                        initial[h] - (free[h] - reds)
                    }
                    _ => 0.0,
                },
            };
            s.redemptions[t] = reds;
            s.subscriptions[t] = subs;
            free[h] = free[h] - reds + subs;
            requested[t] += reds * nav[t];
        }
        for s in &series {
            if t >= s.notice {
                accepted[t] += s.redemptions[t - s.notice] * nav[t];
            }
        }
    }
    FlowHistory {
        file: format!("synthetic (seed {})", o.seed),
        dates: dates.to_vec(),
        holders: series,
        nav: Some(nav),
    }
}

/// The seed of the shipped example flow history.
pub const EXAMPLE_FLOWS_SEED: u64 = 2020;

/// The shipped example's inputs and history: the built-in example fund's investors on the
/// synthetic example market history's dates (`examples/market_history.csv`, made in memory by
/// [`crate::market::synthetic::example_market_csv`]), driven by its stress composite, with the
/// NAV per share from its closes and the fund's weights.
pub fn example_flows() -> (FlowHistory, Vec<f64>) {
    let fund = undertow_host::fund::example_spec();
    let text = crate::market::synthetic::example_market_csv();
    let market = crate::market::parse_market_csv(&text, "examples/market_history.csv")
        .expect("the generator's market history reads back");
    let comp = market.stress_composite();
    let dates = market.dates.clone();
    let g = super::inputs::composite_on(&dates, &comp, &market.file)
        .expect("the composite covers its own dates");
    let mut o = SynthOptions::new(EXAMPLE_FLOWS_SEED);
    o.nav = Some(super::inputs::nav_from_market(&market, &fund, &dates));
    let mut h = synthesize(&fund, &dates, &g, &o);
    h.file = "examples/flows_history.csv".into();
    (h, g)
}

/// The shipped example file's text (`examples/flows_history.csv`), with its synthetic label.
pub fn example_flows_csv() -> String {
    format!(
        "# SYNTHETIC flow history for the built-in example fund, generated from the model itself (kernel investor equations, seed {EXAMPLE_FLOWS_SEED}) over examples/market_history.csv: cargo run -p undertow-calibrate --example flows_history > examples/flows_history.csv\n{}",
        example_flows().0.to_csv()
    )
}

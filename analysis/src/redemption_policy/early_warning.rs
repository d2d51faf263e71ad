//! Stage 5, the redemption policy formulator: the early-warning system (MODEL.md sections 5 and
//! 6). For each of the kernel's 14 indicators, how far ahead of a liquidity event it warns, how
//! often it warns, how often it cries wolf, and the threshold at which it warns best.
//!
//! **Events and breaches.** The kernel records, per scenario, the liquidity event day `E` (first
//! gate, first shortfall, or first day the trailing 5-day accepted outflow exceeds the fund's
//! `event_outflow_5d`) and, per indicator `k`, the first day `B_k` it was beyond its threshold
//! (above, or below for the `BREACH_BELOW` indicators). Days are the model's days: business
//! (dealing) days, 5 to a week.
//!
//! **Statistics** of indicator `k` over a set of records (a pure function of the records,
//! [`indicator_stats`]):
//! - lead time `E − B_k`, for event scenarios with `B_k ≤ E` (a breach after the event warns of
//!   nothing); mean and median over those scenarios;
//! - hit rate: the share of event scenarios with `E − B_k ≥ min_lead_days` (default 1: a breach on
//!   the event day itself is too late to act on);
//! - false-alarm rate: the share of scenarios without an event in which `k` breached at all.
//!
//! **Calibration.** The kernel records one first breach per indicator and run, so the thresholds
//! are calibrated by rerunning the same scenarios (same records, seed and indices) with a ladder
//! of threshold vectors: level `j` of `L` puts every indicator at `lo_k + (hi_k − lo_k) j/(L−1)`
//! of its range (`lo_k (hi_k/lo_k)^(j/(L−1))` for a geometric range), all 14 at once. This is sound because thresholds do not feed back into the
//! dynamics: in the kernel, `FundParams::indicator_thresholds` is read in one place only, the
//! breach test of `metrics::record`, which writes nothing but the `EW_FIRST` slots, and those are
//! read only by `finish` (the WGSL twin likewise). Every other output is bit-identical across
//! threshold vectors (tested in `host/tests/analysis_policy.rs`; the report counts scenarios whose
//! event day differs between the sweep and the reruns, 0 on the CPU backend).
//!
//! The best threshold of an indicator is the level with the highest median lead time among the
//! levels whose false-alarm rate is at most `max_false_alarm_rate` (default 10%, MODEL.md 6) and
//! whose hit rate is at least `min_hit_rate` (default 25%: an indicator that warns of fewer than
//! one event in four is not an early-warning system, however early its rare warnings come);
//! ties go to the higher hit rate, then the lower false-alarm rate, then the lower threshold.
//!
//! **Default ranges** (`ranges`, overridable per indicator; linear unless said): flows as
//! fractions of NAV — `requests_5d` 1–10%, `requests_30d` 2–20%, `queued_redemptions` 0.5–10%;
//! large-investor notices 0.5–9.5 (at least 1 to at least 10 notices); market indices 0.02–0.4
//! (spread), 0.05–0.7 (volume), 0.05–0.9 (depth); 30-day LCR 1–20 (geometric, below); relative
//! to the fund's day-0 value `v0`: top-10 share `v0` + 1 to 10 points, investor HHI 1.05–1.5 `v0`,
//! cash-and-buffer share and funding headroom 0.2–0.9 `v0` (below); and from the main sweep's
//! per-scenario extremes, where the kernel records them: ALR from the 1st to the 75th percentile
//! of `min_alr` (geometric, below), drawdown from the 25th to the 99th percentile of
//! `max_drawdown`. (On the example fund a fixed ALR ladder of 1–4 would never warn: in 2,000
//! scenarios the ALR fell below 4 only after a liquidity event had begun.)
//!
//! **The seed's claim** ("14 leading indicators that have historically preceded redemption spikes
//! by 3–4 weeks") is judged as: every one of the 14 indicators has a calibrated threshold whose
//! median lead is at least `claim_lead_days` (default 15: 3 weeks are 15 business days, 21
//! calendar days, and the model counts business days; the report also counts those reaching 20,
//! 4 weeks). Leads cannot exceed the event day, so the report gives the median event day and the
//! share of events late enough for a 3-week lead to be possible at all.

use serde::Serialize;
use undertow_kernel::{
    funding, indicator, pflag, switch, tier, ScenarioOutput, ScenarioParams, N_INDICATORS,
};

use super::config::EarlyWarningConfig;
use crate::findings::{finding, p1, Finding};
use crate::graph::StageId;
use crate::sim::Simulator;
use crate::table::{header, num, opt, Table};
use undertow_host::aggregate::quantile;
use undertow_host::fund::Fund;

/// Business days in a week: the model's days are dealing days.
pub const BUSINESS_DAYS_PER_WEEK: f64 = 5.0;

/// Which way an indicator breaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Breached when the indicator rises above its threshold.
    Above,
    /// Breached when it falls below.
    Below,
}

impl Direction {
    /// The direction of kernel indicator `k`.
    pub fn of(k: usize) -> Direction {
        if indicator::BREACH_BELOW[k] {
            Direction::Below
        } else {
            Direction::Above
        }
    }

    /// "above" or "below", as in the outputs.
    pub fn name(self) -> &'static str {
        match self {
            Direction::Above => "above",
            Direction::Below => "below",
        }
    }
}

/// The range a threshold ladder spans for one indicator (`0 < lo ≤ hi` when geometric, else
/// `lo ≤ hi`, in the indicator's units).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct LadderRange {
    pub lo: f64,
    pub hi: f64,
    /// Levels evenly spaced in the logarithm (for ratios spanning an order of magnitude).
    pub geometric: bool,
}

impl LadderRange {
    /// Evenly spaced levels.
    pub fn linear(lo: f64, hi: f64) -> LadderRange {
        LadderRange {
            lo,
            hi,
            geometric: false,
        }
    }

    /// Levels evenly spaced in the logarithm.
    pub fn geometric(lo: f64, hi: f64) -> LadderRange {
        LadderRange {
            lo,
            hi,
            geometric: true,
        }
    }

    /// Level `j` of `levels` (ends included).
    pub fn level(&self, j: usize, levels: usize) -> f64 {
        if levels <= 1 {
            return self.lo;
        }
        let t = j as f64 / (levels - 1) as f64;
        if self.geometric && self.lo > 0.0 && self.hi > 0.0 {
            self.lo * (self.hi / self.lo).powf(t)
        } else {
            self.lo + (self.hi - self.lo) * t
        }
    }
}

/// The day-0 values of the indicators whose default ranges are relative to the fund: top-10
/// share, investor HHI, cash-and-buffer share, funding headroom (0 when funding is off).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct StartingPoint {
    pub top10_share: f64,
    pub investor_hhi: f64,
    pub buffer_share: f64,
    pub funding_headroom: f64,
}

impl StartingPoint {
    /// Computed as the kernel's metrics compute them on day 0.
    pub fn of(fund: &Fund) -> StartingPoint {
        let m = &fund.model;
        let p = &m.params;
        let stakes: Vec<f64> = m.large.iter().map(|l| l.stake as f64).collect();
        let top10 = stakes
            .iter()
            .take(undertow_kernel::metrics::TOP_N as usize)
            .sum();
        let hhi = stakes.iter().map(|s| s * s).sum();
        let buffer = p.initial_cash as f64
            + m.positions
                .iter()
                .filter(|q| q.tier != tier::NONE)
                .map(|q| q.weight as f64)
                .sum::<f64>();
        let funding_on = p.switches & switch::FUNDING != 0 && p.funding_policy != funding::NEVER;
        let headroom = if funding_on {
            let repo: f64 = m
                .positions
                .iter()
                .filter(|q| q.flags & pflag::REPO_ELIGIBLE != 0)
                .map(|q| q.weight as f64)
                .sum();
            (p.credit_line as f64 + repo * (1.0 - p.repo_haircut as f64))
                .min(p.borrowing_cap as f64)
        } else {
            0.0
        };
        StartingPoint {
            top10_share: top10,
            investor_hhi: hhi,
            buffer_share: buffer,
            funding_headroom: headroom,
        }
    }
}

/// Quantiles of the main sweep's per-scenario extremes that bound the data-driven ladders: the
/// ALR ladder runs from the 1st to the 75th percentile of `min_alr`, the drawdown ladder from the
/// 25th to the 99th percentile of `max_drawdown` (where the 10% false-alarm level sits on any
/// fund whose events are not extremely rare).
pub const ALR_QUANTILES: (f64, f64) = (0.01, 0.75);
/// Quantiles of `max_drawdown` bounding the drawdown ladder (see [`ALR_QUANTILES`]).
pub const DRAWDOWN_QUANTILES: (f64, f64) = (0.25, 0.99);

fn quantiles_of(
    base: &[ScenarioOutput],
    field: impl Fn(&ScenarioOutput) -> f32,
    q: (f64, f64),
) -> Option<(f64, f64)> {
    let mut v: Vec<f64> = base
        .iter()
        .map(|o| field(o) as f64)
        .filter(|x| x.is_finite())
        .collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    Some((quantile(&v, q.0), quantile(&v, q.1)))
}

/// The default ladder range of indicator `k` on `fund` (module documentation); the ALR and
/// drawdown ranges come from the main sweep's records `base` ([`ALR_QUANTILES`],
/// [`DRAWDOWN_QUANTILES`]), with fixed fallbacks when `base` is empty or degenerate.
pub fn default_range(fund: &Fund, base: &[ScenarioOutput], k: usize) -> LadderRange {
    let s = StartingPoint::of(fund);
    let lin = LadderRange::linear;
    match k {
        indicator::REQUESTS_5D => lin(0.01, 0.10),
        indicator::REQUESTS_30D => lin(0.02, 0.20),
        indicator::QUEUED => lin(0.005, 0.10),
        // 0.5, 1.5, ..., 9.5 at the default 10 levels: at least 1 to at least 10 notices.
        indicator::LARGE_NOTICES => lin(0.5, 9.5),
        indicator::TOP10_SHARE => lin(
            (s.top10_share + 0.01).min(1.0),
            (s.top10_share + 0.10).min(1.0),
        ),
        indicator::INVESTOR_HHI => lin(s.investor_hhi * 1.05, s.investor_hhi * 1.5),
        indicator::BUFFER_SHARE => lin(s.buffer_share * 0.2, s.buffer_share * 0.9),
        indicator::ALR => {
            let cap = undertow_kernel::ledger::ALR_CAP as f64;
            match quantiles_of(base, |o| o.min_alr, ALR_QUANTILES) {
                Some((lo, hi)) if lo > 0.0 && hi.min(cap) > lo => {
                    LadderRange::geometric(lo, hi.min(cap))
                }
                _ => LadderRange::geometric(1.0, 20.0),
            }
        }
        indicator::LCR_30D => LadderRange::geometric(1.0, 20.0),
        indicator::SPREAD_INDEX => lin(0.02, 0.40),
        indicator::VOLUME_INDEX => lin(0.05, 0.70),
        indicator::DEPTH_INDEX => lin(0.05, 0.90),
        indicator::DRAWDOWN => match quantiles_of(base, |o| o.max_drawdown, DRAWDOWN_QUANTILES) {
            Some((lo, hi)) if hi > lo && lo >= 0.0 => lin(lo, hi),
            _ => lin(0.01, 0.30),
        },
        _ => lin(s.funding_headroom * 0.2, s.funding_headroom * 0.9),
    }
}

/// Whether indicator `k` can breach on this fund (the kernel skips funding headroom when funding
/// is off or the policy never draws).
pub fn indicator_enabled(fund: &Fund, k: usize) -> bool {
    let p = &fund.model.params;
    k != indicator::FUNDING_HEADROOM
        || (p.switches & switch::FUNDING != 0 && p.funding_policy != funding::NEVER)
}

/// One indicator's record at one threshold.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct IndicatorStats {
    /// Scenarios with a liquidity event.
    pub events: u64,
    /// Scenarios without one.
    pub non_events: u64,
    /// Event scenarios in which the indicator breached on or before the event day.
    pub warned: u64,
    /// Event scenarios in which it breached at least `min_lead_days` before.
    pub hits: u64,
    /// Scenarios without an event in which it breached.
    pub false_alarms: u64,
    /// `hits / events` (0 without events).
    pub hit_rate: f64,
    /// `false_alarms / non_events` (0 when every scenario has an event).
    pub false_alarm_rate: f64,
    /// Over the warned scenarios; `None` when none.
    pub mean_lead_days: Option<f64>,
    pub median_lead_days: Option<f64>,
}

fn happened(day: f32) -> bool {
    day >= 0.0
}

/// The statistics of indicator `k` over `records` (module documentation): a pure function of the
/// records' `event_day` and `ew_first_breach[k]`.
pub fn indicator_stats(records: &[ScenarioOutput], k: usize, min_lead_days: u32) -> IndicatorStats {
    let (mut events, mut non_events, mut hits, mut false_alarms) = (0u64, 0u64, 0u64, 0u64);
    let mut leads = Vec::new();
    for o in records {
        let breach = o.ew_first_breach[k];
        if happened(o.event_day) {
            events += 1;
            if happened(breach) && breach <= o.event_day {
                let lead = (o.event_day - breach) as f64;
                leads.push(lead);
                if lead >= min_lead_days as f64 {
                    hits += 1;
                }
            }
        } else {
            non_events += 1;
            if happened(breach) {
                false_alarms += 1;
            }
        }
    }
    leads.sort_by(|a, b| a.total_cmp(b));
    let share = |a: u64, b: u64| if b > 0 { a as f64 / b as f64 } else { 0.0 };
    IndicatorStats {
        events,
        non_events,
        warned: leads.len() as u64,
        hits,
        false_alarms,
        hit_rate: share(hits, events),
        false_alarm_rate: share(false_alarms, non_events),
        mean_lead_days: (!leads.is_empty()).then(|| leads.iter().sum::<f64>() / leads.len() as f64),
        median_lead_days: median(&leads),
    }
}

/// The median of sorted values (the mean of the middle two for an even count).
fn median(sorted: &[f64]) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        None
    } else if n % 2 == 1 {
        Some(sorted[n / 2])
    } else {
        Some(0.5 * (sorted[n / 2 - 1] + sorted[n / 2]))
    }
}

/// One rung of an indicator's ladder.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct LevelStats {
    pub threshold: f64,
    pub stats: IndicatorStats,
}

/// The best level (module documentation): highest median lead among the levels with
/// `false_alarm_rate ≤ max_false_alarm_rate` and `hit_rate ≥ min_hit_rate`; ties to the higher
/// hit rate, the lower false-alarm rate, then the earlier level. `None` when no level qualifies.
pub fn best_level(
    levels: &[LevelStats],
    max_false_alarm_rate: f64,
    min_hit_rate: f64,
) -> Option<usize> {
    let mut best: Option<(usize, f64)> = None;
    for (j, l) in levels.iter().enumerate() {
        let s = &l.stats;
        let Some(lead) = s.median_lead_days else {
            continue;
        };
        if s.false_alarm_rate > max_false_alarm_rate + 1e-12 || s.hit_rate + 1e-12 < min_hit_rate {
            continue;
        }
        let better = match best {
            None => true,
            Some((b, b_lead)) => {
                let o = &levels[b].stats;
                lead > b_lead
                    || (lead == b_lead
                        && (s.hit_rate > o.hit_rate
                            || (s.hit_rate == o.hit_rate
                                && s.false_alarm_rate < o.false_alarm_rate)))
            }
        };
        if better {
            best = Some((j, lead));
        }
    }
    best.map(|(j, _)| j)
}

/// One level of the ladder in the report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LevelRow {
    pub threshold: f64,
    pub hit_rate: f64,
    pub false_alarm_rate: f64,
    pub median_lead_days: Option<f64>,
    pub mean_lead_days: Option<f64>,
}

impl From<&LevelStats> for LevelRow {
    fn from(l: &LevelStats) -> LevelRow {
        LevelRow {
            threshold: l.threshold,
            hit_rate: l.stats.hit_rate,
            false_alarm_rate: l.stats.false_alarm_rate,
            median_lead_days: l.stats.median_lead_days,
            mean_lead_days: l.stats.mean_lead_days,
        }
    }
}

/// One indicator: its record at the fund's own threshold and at the calibrated one.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EarlyWarningRow {
    pub indicator: &'static str,
    pub direction: Direction,
    /// Whether the indicator can breach on this fund (funding headroom needs funding on).
    pub enabled: bool,
    /// The fund's own threshold and its record on the main sweep.
    pub threshold: f64,
    pub hit_rate: f64,
    pub false_alarm_rate: f64,
    pub median_lead_days: Option<f64>,
    pub mean_lead_days: Option<f64>,
    /// The calibrated threshold and its record (`None` when no level qualifies).
    pub best_threshold: Option<f64>,
    pub best_hit_rate: Option<f64>,
    pub best_false_alarm_rate: Option<f64>,
    pub best_median_lead_days: Option<f64>,
    pub best_mean_lead_days: Option<f64>,
    /// Every level of the ladder.
    pub levels: Vec<LevelRow>,
}

impl EarlyWarningRow {
    /// Calibrated threshold as a trigger `(indicator, direction, threshold)`, when there is one.
    pub fn calibrated(&self) -> Option<(&'static str, Direction, f64)> {
        self.best_threshold
            .map(|t| (self.indicator, self.direction, t))
    }
}

/// The seed's lead-time claim judged on this fund.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LeadClaim {
    /// Indicators the claim speaks of (14).
    pub indicators: u64,
    /// Business days that count as 3 weeks.
    pub claim_lead_days: f64,
    /// Indicators with a calibrated threshold.
    pub calibrated: u64,
    /// Calibrated indicators whose median lead reaches `claim_lead_days`.
    pub leading_3w: u64,
    /// Indicators with some level of their ladder whose median lead reaches `claim_lead_days`
    /// at the hit-rate floor, whatever its false alarms: long leads bought with false alarms.
    pub leading_3w_any_false_alarms: u64,
    /// ... and 4 weeks (`claim_lead_days × 4/3`).
    pub leading_4w: u64,
    /// The longest calibrated median lead, business days.
    pub max_median_lead_days: Option<f64>,
    /// Median event day of the event scenarios (a lead cannot exceed it).
    pub median_event_day: Option<f64>,
    /// Share of event scenarios whose event comes at or after `claim_lead_days` (those where a
    /// 3-week lead is possible at all).
    pub events_late_enough: f64,
    /// Every one of the 14 indicators reaches the claimed lead.
    pub holds: bool,
    /// The unit of every day count: the model's days are business (dealing) days.
    pub unit: &'static str,
}

/// The early-warning report (`redemption_policy.early_warning`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EarlyWarning {
    pub scenarios: u64,
    pub events: u64,
    pub event_rate: f64,
    pub min_lead_days: u32,
    pub max_false_alarm_rate: f64,
    pub min_hit_rate: f64,
    pub levels: usize,
    /// Scenarios whose event day on the reruns differs from the main sweep's (0 on the CPU
    /// backend: thresholds do not move the dynamics; a GPU sweep may differ in rare f32 ties).
    pub event_day_mismatches: u64,
    /// Scenarios simulated for the calibration.
    pub simulated: u64,
    pub rows: Vec<EarlyWarningRow>,
    /// The calibrated indicators as one signal: a scenario warns on the first day any of them is
    /// beyond its calibrated threshold (`None` when no indicator is calibrated).
    pub combined: Option<IndicatorStats>,
    pub claim: LeadClaim,
    /// The indicator with the longest median lead ([`super::lead::longest_lead`]).
    pub longest_lead: Option<super::lead::LongestLead>,
}

/// The calibration from records already simulated: `base` at the fund's thresholds `own`, and one
/// set of records per threshold vector of `ladder` (same scenarios). A pure function: the
/// stage's [`early_warning`] feeds it reruns; tests feed it hand-built records.
pub fn calibrate(
    base: &[ScenarioOutput],
    own: &[f32; N_INDICATORS],
    ladder: &[[f32; N_INDICATORS]],
    reruns: &[Vec<ScenarioOutput>],
    enabled: &[bool; N_INDICATORS],
    cfg: &EarlyWarningConfig,
) -> EarlyWarning {
    let n = base.len();
    let events = base.iter().filter(|o| happened(o.event_day)).count() as u64;
    let mismatches = reruns
        .iter()
        .flat_map(|r| {
            r.iter()
                .zip(base)
                .filter(|(a, b)| a.event_day != b.event_day)
        })
        .count() as u64;
    let mut rows = Vec::with_capacity(N_INDICATORS);
    let mut chosen: Vec<(usize, usize)> = Vec::new();
    for k in 0..N_INDICATORS {
        let at_own = indicator_stats(base, k, cfg.min_lead_days);
        let levels: Vec<LevelStats> = ladder
            .iter()
            .zip(reruns)
            .map(|(thr, outs)| LevelStats {
                threshold: thr[k] as f64,
                stats: indicator_stats(outs, k, cfg.min_lead_days),
            })
            .collect();
        let best = if enabled[k] {
            best_level(&levels, cfg.max_false_alarm_rate, cfg.min_hit_rate)
        } else {
            None
        };
        if let Some(j) = best {
            chosen.push((k, j));
        }
        let b = best.map(|j| levels[j]);
        rows.push(EarlyWarningRow {
            indicator: indicator::NAMES[k],
            direction: Direction::of(k),
            enabled: enabled[k],
            threshold: own[k] as f64,
            hit_rate: at_own.hit_rate,
            false_alarm_rate: at_own.false_alarm_rate,
            median_lead_days: at_own.median_lead_days,
            mean_lead_days: at_own.mean_lead_days,
            best_threshold: b.map(|l| l.threshold),
            best_hit_rate: b.map(|l| l.stats.hit_rate),
            best_false_alarm_rate: b.map(|l| l.stats.false_alarm_rate),
            best_median_lead_days: b.and_then(|l| l.stats.median_lead_days),
            best_mean_lead_days: b.and_then(|l| l.stats.mean_lead_days),
            levels: levels.iter().map(LevelRow::from).collect(),
        });
    }
    let combined = (!chosen.is_empty()).then(|| {
        let earliest: Vec<ScenarioOutput> = base
            .iter()
            .enumerate()
            .map(|(i, o)| {
                let mut rec = *o;
                rec.ew_first_breach[0] = chosen
                    .iter()
                    .map(|&(k, j)| reruns[j][i].ew_first_breach[k])
                    .filter(|&d| happened(d))
                    .reduce(f32::min)
                    .unwrap_or(undertow_kernel::NEVER);
                rec
            })
            .collect();
        indicator_stats(&earliest, 0, cfg.min_lead_days)
    });
    let claim = judge_claim(base, &rows, cfg.claim_lead_days, cfg.min_hit_rate);
    EarlyWarning {
        scenarios: n as u64,
        events,
        event_rate: if n > 0 { events as f64 / n as f64 } else { 0.0 },
        min_lead_days: cfg.min_lead_days,
        max_false_alarm_rate: cfg.max_false_alarm_rate,
        min_hit_rate: cfg.min_hit_rate,
        levels: ladder.len(),
        event_day_mismatches: mismatches,
        simulated: reruns.iter().map(|r| r.len() as u64).sum(),
        longest_lead: super::lead::longest_lead(&rows),
        rows,
        combined,
        claim,
    }
}

fn judge_claim(
    base: &[ScenarioOutput],
    rows: &[EarlyWarningRow],
    lead_3w: f64,
    min_hit_rate: f64,
) -> LeadClaim {
    let lead_4w = lead_3w * 4.0 / 3.0;
    let leads: Vec<f64> = rows
        .iter()
        .filter_map(|r| r.best_median_lead_days)
        .collect();
    let mut event_days: Vec<f64> = base
        .iter()
        .filter(|o| happened(o.event_day))
        .map(|o| o.event_day as f64)
        .collect();
    event_days.sort_by(|a, b| a.total_cmp(b));
    let late = event_days.iter().filter(|&&d| d >= lead_3w).count();
    let leading_3w = leads.iter().filter(|&&l| l >= lead_3w).count() as u64;
    let unconstrained = rows
        .iter()
        .filter(|r| {
            r.enabled
                && r.levels.iter().any(|l| {
                    l.hit_rate + 1e-12 >= min_hit_rate
                        && l.median_lead_days.is_some_and(|d| d >= lead_3w)
                })
        })
        .count() as u64;
    LeadClaim {
        indicators: N_INDICATORS as u64,
        claim_lead_days: lead_3w,
        calibrated: leads.len() as u64,
        leading_3w,
        leading_3w_any_false_alarms: unconstrained,
        leading_4w: leads.iter().filter(|&&l| l >= lead_4w).count() as u64,
        max_median_lead_days: leads.iter().copied().reduce(f64::max),
        median_event_day: median(&event_days),
        events_late_enough: if event_days.is_empty() {
            0.0
        } else {
            late as f64 / event_days.len() as f64
        },
        holds: leading_3w == N_INDICATORS as u64,
        unit: "business days",
    }
}

/// The early-warning analysis on the first `cfg.scenarios` scenarios of the run (never more than
/// `scenarios` and `base_outputs` hold): the fund's own thresholds read from the main sweep's
/// records, the ladder from reruns of the same scenarios (same records, seed and indices).
pub fn early_warning(
    fund: &Fund,
    base_outputs: &[ScenarioOutput],
    scenarios: &[ScenarioParams],
    seed: u64,
    sim: &Simulator,
    cfg: &EarlyWarningConfig,
) -> EarlyWarning {
    let n = (cfg.scenarios as usize)
        .min(scenarios.len())
        .min(base_outputs.len());
    let ladder = cfg.ladder(fund, &base_outputs[..n]);
    let reruns: Vec<Vec<ScenarioOutput>> = ladder
        .iter()
        .map(|thr| {
            let mut model = fund.model.clone();
            model.params.indicator_thresholds = *thr;
            sim.run(&model, &scenarios[..n], 0, seed)
        })
        .collect();
    let enabled = std::array::from_fn(|k| indicator_enabled(fund, k));
    calibrate(
        &base_outputs[..n],
        &fund.model.params.indicator_thresholds,
        &ladder,
        &reruns,
        &enabled,
        cfg,
    )
}

fn days(x: Option<f64>) -> String {
    x.map_or_else(|| "n/a".to_string(), |d| format!("{d:.1}"))
}

/// The early-warning findings.
pub fn findings(ew: &EarlyWarning) -> Vec<Finding> {
    let s = StageId::RedemptionPolicy;
    let c = &ew.claim;
    let mut out = Vec::new();
    out.push(finding(
        s,
        "early_warning_events",
        format!(
            "{} of {} scenarios ({}) had a liquidity event (first gate, shortfall or 5-day outflow \
             above the event level); the median event came on business day {}, and {} of the \
             events came late enough (day {} or later) for a {}-business-day warning to be possible",
            ew.events,
            ew.scenarios,
            p1(ew.event_rate),
            days(c.median_event_day),
            p1(c.events_late_enough),
            c.claim_lead_days,
            c.claim_lead_days
        ),
        &[
            ("events", ew.events as f64),
            ("scenarios", ew.scenarios as f64),
            ("event_rate", ew.event_rate),
            ("median_event_day", c.median_event_day.unwrap_or(f64::NAN)),
            ("events_late_enough", c.events_late_enough),
        ],
    ));
    let verdict = if c.holds { "holds" } else { "does not hold" };
    out.push(finding(
        s,
        "early_warning_claim",
        format!(
            "The use case's claim that 14 leading indicators precede redemption spikes by 3-4 weeks \
             {verdict} on this fund: at a false-alarm rate of at most {} and a hit rate of at least \
             {}, {} of the 14 indicators can be calibrated, {} reach a median lead of {} business \
             days (3 weeks) and {} of {} business days (4 weeks); the longest calibrated median \
             lead is {} business days. Ignoring false alarms, {} indicator(s) reach a median lead \
             of {} business days at that hit rate{}",
            p1(ew.max_false_alarm_rate),
            p1(ew.min_hit_rate),
            c.calibrated,
            c.leading_3w,
            c.claim_lead_days,
            c.leading_4w,
            c.claim_lead_days * 4.0 / 3.0,
            days(c.max_median_lead_days),
            c.leading_3w_any_false_alarms,
            c.claim_lead_days,
            if c.leading_3w_any_false_alarms > c.leading_3w {
                format!(
                    ": the longer leads come with false alarms above {}",
                    p1(ew.max_false_alarm_rate)
                )
            } else {
                String::new()
            }
        ),
        &[
            ("calibrated", c.calibrated as f64),
            ("leading_3w", c.leading_3w as f64),
            ("leading_4w", c.leading_4w as f64),
            (
                "leading_3w_any_false_alarms",
                c.leading_3w_any_false_alarms as f64,
            ),
            ("claim_lead_days", c.claim_lead_days),
            ("max_median_lead_days", c.max_median_lead_days.unwrap_or(f64::NAN)),
            ("holds", if c.holds { 1.0 } else { 0.0 }),
        ],
    ));
    let mut ranked: Vec<&EarlyWarningRow> = ew
        .rows
        .iter()
        .filter(|r| r.best_threshold.is_some())
        .collect();
    ranked.sort_by(|a, b| {
        b.best_median_lead_days
            .unwrap_or(0.0)
            .total_cmp(&a.best_median_lead_days.unwrap_or(0.0))
            .then(
                b.best_hit_rate
                    .unwrap_or(0.0)
                    .total_cmp(&a.best_hit_rate.unwrap_or(0.0)),
            )
    });
    for r in ranked.iter().take(3) {
        let (t, h, f, l) = (
            r.best_threshold.unwrap_or(f64::NAN),
            r.best_hit_rate.unwrap_or(f64::NAN),
            r.best_false_alarm_rate.unwrap_or(f64::NAN),
            r.best_median_lead_days.unwrap_or(f64::NAN),
        );
        out.push(finding(
            s,
            &format!("early_warning_{}", r.indicator),
            format!(
                "{} {} {:.4} warned of {} of liquidity events at least {} business day(s) ahead, \
                 a median of {:.1} business days ahead, with false alarms in {} of scenarios \
                 without an event (the fund's own threshold {:.4}: hit rate {}, false alarms {}, \
                 median lead {})",
                r.indicator,
                r.direction.name(),
                t,
                p1(h),
                ew.min_lead_days,
                l,
                p1(f),
                r.threshold,
                p1(r.hit_rate),
                p1(r.false_alarm_rate),
                days(r.median_lead_days)
            ),
            &[
                ("best_threshold", t),
                ("best_hit_rate", h),
                ("best_false_alarm_rate", f),
                ("best_median_lead_days", l),
                ("threshold", r.threshold),
                ("hit_rate", r.hit_rate),
                ("false_alarm_rate", r.false_alarm_rate),
            ],
        ));
    }
    let missing: Vec<&str> = ew
        .rows
        .iter()
        .filter(|r| r.best_threshold.is_none())
        .map(|r| r.indicator)
        .collect();
    if !missing.is_empty() {
        out.push(finding(
            s,
            "early_warning_uncalibrated",
            format!(
                "{} indicator(s) have no threshold in their range meeting both criteria (false \
                 alarms at most {}, hit rate at least {}): {}",
                missing.len(),
                p1(ew.max_false_alarm_rate),
                p1(ew.min_hit_rate),
                missing.join(", ")
            ),
            &[("uncalibrated", missing.len() as f64)],
        ));
    }
    out
}

/// `early_warning.csv`: one row per indicator.
pub fn tables(ew: &EarlyWarning) -> Vec<Table> {
    let rows = ew
        .rows
        .iter()
        .map(|r| {
            vec![
                r.indicator.to_string(),
                r.direction.name().to_string(),
                r.enabled.to_string(),
                num(r.threshold),
                num(r.hit_rate),
                num(r.false_alarm_rate),
                opt(r.median_lead_days),
                opt(r.mean_lead_days),
                opt(r.best_threshold),
                opt(r.best_hit_rate),
                opt(r.best_false_alarm_rate),
                opt(r.best_median_lead_days),
                opt(r.best_mean_lead_days),
            ]
        })
        .collect();
    vec![Table {
        file: "early_warning.csv",
        header: header(&[
            "indicator",
            "direction",
            "enabled",
            "threshold",
            "hit_rate",
            "false_alarm_rate",
            "median_lead_days",
            "mean_lead_days",
            "best_threshold",
            "best_hit_rate",
            "best_false_alarm_rate",
            "best_median_lead_days",
            "best_mean_lead_days",
        ]),
        rows,
    }]
}

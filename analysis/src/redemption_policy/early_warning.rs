//! Stage 5, the redemption policy formulator: the early-warning system (MODEL.md sections 5 and
//! 6). For each of the kernel's 14 indicators, how far ahead of a liquidity event it warns, how
//! often it warns, how often it cries wolf, and the threshold at which it warns best.
//!
//! **Events and breaches.** The kernel records, per scenario, the liquidity event day `E`, defined
//! by outcomes and not by the fund's own gate: the first shortfall day, the first day the
//! trailing 5-day accepted outflow exceeds `event_outflow_5d`, or the first day the NAV drawdown
//! exceeds `event_drawdown`. The records name one component: `first_shortfall_day` (the report
//! counts events on that day, and, as a check, events on the first gate day); the outflow spike
//! and the drawdown cannot be told apart from the records. Per indicator `k`, the kernel records
//! the first day `B_k` it was beyond its threshold (above, or below for the `BREACH_BELOW`
//! indicators). Days are the model's days: business (dealing) days, 5 to a week.
//!
//! **Flagged indicators** ([`shared_series`]) share a series with the event or with a gate
//! trigger: `requests_5d` (the event's 5-day outflow), `requests_30d` (the gate's redemption
//! trigger), `alr` (the gate's ALR trigger), `nav_drawdown` (the event's drawdown). Their "lead"
//! partly measures one series crossing a lower level before a higher one, so they are shown but
//! never credited in the lead-time claim, the longest lead or the credited combined signal.
//! (`lcr_30d` has trailing 30-day requests in its denominator beside cash and sellable assets; it
//! is not flagged — judgement.)
//!
//! **Held-out judgement.** Thresholds are chosen on the calibration half (even scenario
//! indices, [`calibrates`]) and judged on the held-out half (odd indices): `best_*` in a row are
//! held-out figures, the in-sample ones are in [`IndicatorVerdict::in_sample`]. Hit and
//! false-alarm rates carry Wilson 95% intervals ([`wilson`]). The split depends on the index
//! only, never on threads.
//!
//! **Statistics** of indicator `k` over a set of records (a pure function of the records,
//! [`indicator_stats`]):
//! - lead time `E − B_k`, for event scenarios with `B_k ≤ E` (a breach after the event warns of
//!   nothing); mean and median over those scenarios;
//! - hit rate: the share of event scenarios with `E − B_k ≥ min_lead_days` (default 1: a breach on
//!   the event day itself is too late to act on);
//! - false-alarm rate: the share of scenarios without an event in which `k` breached at all.
//!
//! **Calibration.** The kernel records one first breach per indicator and run; the thresholds
//! are calibrated on what reruns of the same scenarios (same records, seed and indices) with a
//! ladder of threshold vectors would record, read from one observed run of the fund
//! (`Simulator::run_threshold_ladder`: each day's indicator values tested against every level
//! exactly as the kernel tests the fund's own, `DayView::breaches`): level `j` of `L` puts every indicator at `lo_k + (hi_k − lo_k) j/(L−1)`
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
//! by 3–4 weeks") is judged on the held-out half with credited indicators only: an indicator
//! reaches the claim when its calibrated threshold's held-out median lead is at least
//! `claim_lead_days` (default 15: 3 weeks are 15 business days, 21 calendar days, and the model
//! counts business days; the report also counts those reaching 20, 4 weeks) and its held-out hit
//! rate is at least `min_hit_rate`. The claim holds when all 14 do, which cannot happen while any
//! indicator is flagged; the report gives the in-sample count beside the held-out one, and the
//! flagged indicators that would reach it. Leads cannot exceed the event day, so the report gives
//! the median event day and the share of events late enough for a 3-week lead to be possible.

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

/// Whether the scenario at index `i` of the run calibrates (even indices) or judges (odd
/// indices, the held-out half). A split by index parity is deterministic and independent of
/// threads and chunking; the scenario generator draws each index independently, so the two
/// halves are exchangeable samples of the same scenario distribution.
pub fn calibrates(i: usize) -> bool {
    i.is_multiple_of(2)
}

/// The calibration half (even indices) and the held-out half (odd indices) of `records`, which
/// start at scenario index 0.
pub fn split<T: Copy>(records: &[T]) -> (Vec<T>, Vec<T>) {
    let mut cal = Vec::with_capacity(records.len().div_ceil(2));
    let mut held = Vec::with_capacity(records.len() / 2);
    for (i, r) in records.iter().enumerate() {
        if calibrates(i) {
            cal.push(*r);
        } else {
            held.push(*r);
        }
    }
    (cal, held)
}

/// Why indicator `k` cannot be credited with warning of the event: it shares a series with the
/// event definition or with a gate trigger, so its "lead" partly measures the series reaching
/// one level before it reaches another. `None` for the indicators that do not.
///
/// - `requests_5d`: trailing 5-day *requested* outflow, the series behind the event's 5-day
///   *accepted* outflow spike (`event_outflow_5d`).
/// - `requests_30d`: trailing 30-day requests, the gate's redemption trigger series.
/// - `alr`: the available liquidity ratio, the gate's ALR trigger series.
/// - `nav_drawdown`: the series of the event's NAV drawdown (`event_drawdown`).
pub fn shared_series(k: usize) -> Option<&'static str> {
    match k {
        indicator::REQUESTS_5D => Some("event: 5-day outflow"),
        indicator::REQUESTS_30D => Some("gate trigger: 30-day redemptions"),
        indicator::ALR => Some("gate trigger: ALR"),
        indicator::DRAWDOWN => Some("event: NAV drawdown"),
        _ => None,
    }
}

pub use crate::stats::{wilson_bounds as wilson, Z95};

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

/// The seed's lead-time claim judged on this fund, on the held-out half with the credited
/// (unflagged) indicators.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LeadClaim {
    /// Indicators the claim speaks of (14).
    pub indicators: u64,
    /// Business days that count as 3 weeks.
    pub claim_lead_days: f64,
    /// Indicators with a calibrated threshold (flagged ones included).
    pub calibrated: u64,
    /// Indicators that can be credited: enabled and sharing no series with the event or a gate
    /// trigger ([`shared_series`]).
    pub credited: u64,
    /// The flagged indicators, shown but never credited.
    pub flagged: Vec<&'static str>,
    /// Credited indicators whose held-out median lead reaches `claim_lead_days` with a held-out
    /// hit rate of at least `min_hit_rate`.
    pub leading_3w: u64,
    /// The same count in sample (calibration half): what a same-sample judgement would claim.
    pub in_sample_leading_3w: u64,
    /// Flagged indicators that would reach it on the held-out half (not credited).
    pub flagged_leading_3w: u64,
    /// Credited indicators with some level of their ladder whose held-out median lead reaches
    /// `claim_lead_days` at the hit-rate floor, whatever its false alarms.
    pub leading_3w_any_false_alarms: u64,
    /// ... and 4 weeks (`claim_lead_days × 4/3`), credited, held out.
    pub leading_4w: u64,
    /// The longest held-out median lead of a credited calibrated indicator, business days.
    pub max_median_lead_days: Option<f64>,
    /// Median event day of the event scenarios (a lead cannot exceed it).
    pub median_event_day: Option<f64>,
    /// Share of event scenarios whose event comes at or after `claim_lead_days` (those where a
    /// 3-week lead is possible at all).
    pub events_late_enough: f64,
    /// Every one of the 14 indicators reaches the claimed lead held out and is credited (so the
    /// claim cannot hold while any indicator is flagged).
    pub holds: bool,
    /// What the verdict is computed on.
    pub basis: &'static str,
    /// The unit of every day count: the model's days are business (dealing) days.
    pub unit: &'static str,
}

/// One indicator's verdict: the flag, and its calibrated threshold in sample and held out.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct IndicatorVerdict {
    pub indicator: &'static str,
    /// Why it is not credited ([`shared_series`]); `None` when it is.
    pub shared_series: Option<&'static str>,
    /// Enabled and unflagged.
    pub credited: bool,
    /// At the calibrated threshold on the calibration half (`None`: not calibrated).
    pub in_sample: Option<IndicatorStats>,
    /// At the calibrated threshold on the held-out half (`None`: not calibrated).
    pub held_out: Option<IndicatorStats>,
    /// Wilson 95% interval of the held-out hit rate.
    pub held_out_hit_rate_ci: Option<[f64; 2]>,
    /// Wilson 95% interval of the held-out false-alarm rate.
    pub held_out_false_alarm_rate_ci: Option<[f64; 2]>,
}

/// The calibrated indicators as one signal on the held-out half.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct CombinedSignal {
    pub stats: IndicatorStats,
    /// Wilson 95% interval of the hit rate.
    pub hit_rate_ci: Option<[f64; 2]>,
    /// Indicators in the signal.
    pub indicators: u64,
}

/// The early-warning report (`redemption_policy.early_warning`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EarlyWarning {
    /// The scenario set the statistics are conditional on (the main sweep's: the stress library).
    pub conditional_on: &'static str,
    pub scenarios: u64,
    pub events: u64,
    pub event_rate: f64,
    /// How scenarios are split into calibration and held-out halves.
    pub split: &'static str,
    /// Scenarios (and events) in the calibration half and the held-out half.
    pub calibration_scenarios: u64,
    pub calibration_events: u64,
    pub held_out_scenarios: u64,
    pub held_out_events: u64,
    /// Events whose day is the first shortfall day (the one component of the event the records
    /// name; the 5-day outflow spike and the NAV drawdown cannot be told apart from them).
    pub events_on_shortfall_day: u64,
    /// Events on the day of the fund's first gate (the gate is no part of the event; this counts
    /// coincidences, and events the gate's own outflow or drawdown may have caused).
    pub events_on_gate_day: u64,
    pub min_lead_days: u32,
    pub max_false_alarm_rate: f64,
    pub min_hit_rate: f64,
    pub levels: usize,
    /// Scenarios whose event day on the reruns differs from the main sweep's (0 on the CPU
    /// backend: thresholds do not move the dynamics; a GPU sweep may differ in rare f32 ties).
    pub event_day_mismatches: u64,
    /// Scenarios simulated for the calibration.
    pub simulated: u64,
    /// Per indicator: the fund's own threshold on every scenario, the threshold calibrated on
    /// the calibration half, and its record on the held-out half (`best_*`); the ladder's
    /// levels on the calibration half.
    pub rows: Vec<EarlyWarningRow>,
    /// Per indicator: the flag and the in-sample and held-out records with intervals.
    pub verdicts: Vec<IndicatorVerdict>,
    /// Every calibrated indicator (flagged ones included: the playbook watches them all) as one
    /// signal on the held-out half: a scenario warns on the first day any of them is beyond its
    /// calibrated threshold (`None` when no indicator is calibrated).
    pub combined: Option<IndicatorStats>,
    /// The same with its hit-rate interval.
    pub combined_with_flagged: Option<CombinedSignal>,
    /// The credited calibrated indicators only, as one held-out signal: what the lead-time
    /// claim credits.
    pub combined_credited: Option<CombinedSignal>,
    pub claim: LeadClaim,
    /// The credited indicator with the longest held-out median lead
    /// ([`super::lead::longest_lead`]).
    pub longest_lead: Option<super::lead::LongestLead>,
}

/// The split the report states.
pub const SPLIT: &str = "scenario index parity: even indices calibrate, odd indices judge";

/// The earliest breach among `chosen` `(indicator, level)` pairs, as indicator 0's breach of a
/// copy of `base`, for [`indicator_stats`].
fn earliest_of(
    base: &[ScenarioOutput],
    reruns: &[Vec<ScenarioOutput>],
    chosen: &[(usize, usize)],
) -> Vec<ScenarioOutput> {
    base.iter()
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
        .collect()
}

fn combined_signal(
    held: &[ScenarioOutput],
    reruns_held: &[Vec<ScenarioOutput>],
    chosen: &[(usize, usize)],
    min_lead_days: u32,
) -> Option<CombinedSignal> {
    (!chosen.is_empty()).then(|| {
        let stats = indicator_stats(&earliest_of(held, reruns_held, chosen), 0, min_lead_days);
        CombinedSignal {
            hit_rate_ci: wilson(stats.hits, stats.events, Z95),
            stats,
            indicators: chosen.len() as u64,
        }
    })
}

/// The calibration from records already simulated: `base` at the fund's thresholds `own`, and one
/// set of records per threshold vector of `ladder` (same scenarios, indices from 0). Thresholds
/// are chosen on the calibration half ([`calibrates`]) and judged on the held-out half. A pure
/// function: the stage's [`early_warning`] feeds it reruns; tests feed it hand-built records.
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
    let (base_cal, base_held) = split(base);
    let (reruns_cal, reruns_held): (Vec<_>, Vec<_>) = reruns.iter().map(|r| split(r)).unzip();
    let count_events = |r: &[ScenarioOutput]| r.iter().filter(|o| happened(o.event_day)).count();
    let mut rows = Vec::with_capacity(N_INDICATORS);
    let mut verdicts = Vec::with_capacity(N_INDICATORS);
    let mut chosen: Vec<(usize, usize)> = Vec::new();
    let mut held_levels: Vec<Vec<IndicatorStats>> = Vec::with_capacity(N_INDICATORS);
    for k in 0..N_INDICATORS {
        let at_own = indicator_stats(base, k, cfg.min_lead_days);
        let levels: Vec<LevelStats> = ladder
            .iter()
            .zip(&reruns_cal)
            .map(|(thr, outs)| LevelStats {
                threshold: thr[k] as f64,
                stats: indicator_stats(outs, k, cfg.min_lead_days),
            })
            .collect();
        let held: Vec<IndicatorStats> = reruns_held
            .iter()
            .map(|outs| indicator_stats(outs, k, cfg.min_lead_days))
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
        let h = best.map(|j| held[j]);
        let flag = shared_series(k);
        verdicts.push(IndicatorVerdict {
            indicator: indicator::NAMES[k],
            shared_series: flag,
            credited: enabled[k] && flag.is_none(),
            in_sample: b.map(|l| l.stats),
            held_out: h,
            held_out_hit_rate_ci: h.and_then(|s| wilson(s.hits, s.events, Z95)),
            held_out_false_alarm_rate_ci: h.and_then(|s| wilson(s.false_alarms, s.non_events, Z95)),
        });
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
            best_hit_rate: h.map(|s| s.hit_rate),
            best_false_alarm_rate: h.map(|s| s.false_alarm_rate),
            best_median_lead_days: h.and_then(|s| s.median_lead_days),
            best_mean_lead_days: h.and_then(|s| s.mean_lead_days),
            levels: levels.iter().map(LevelRow::from).collect(),
        });
        held_levels.push(held);
    }
    let credited: Vec<(usize, usize)> = chosen
        .iter()
        .copied()
        .filter(|&(k, _)| shared_series(k).is_none())
        .collect();
    let combined_credited = combined_signal(&base_held, &reruns_held, &credited, cfg.min_lead_days);
    let combined_with_flagged =
        combined_signal(&base_held, &reruns_held, &chosen, cfg.min_lead_days);
    let claim = judge_claim(base, &verdicts, &held_levels, cfg);
    EarlyWarning {
        scenarios: n as u64,
        conditional_on: crate::stats::STRESS_LIBRARY,
        events,
        event_rate: if n > 0 { events as f64 / n as f64 } else { 0.0 },
        split: SPLIT,
        calibration_scenarios: base_cal.len() as u64,
        calibration_events: count_events(&base_cal) as u64,
        held_out_scenarios: base_held.len() as u64,
        held_out_events: count_events(&base_held) as u64,
        events_on_shortfall_day: base
            .iter()
            .filter(|o| happened(o.event_day) && o.first_shortfall_day == o.event_day)
            .count() as u64,
        events_on_gate_day: base
            .iter()
            .filter(|o| happened(o.event_day) && o.first_gate_day == o.event_day)
            .count() as u64,
        min_lead_days: cfg.min_lead_days,
        max_false_alarm_rate: cfg.max_false_alarm_rate,
        min_hit_rate: cfg.min_hit_rate,
        levels: ladder.len(),
        event_day_mismatches: mismatches,
        simulated: reruns.iter().map(|r| r.len() as u64).sum(),
        longest_lead: super::lead::longest_lead(&rows),
        rows,
        verdicts,
        combined: combined_with_flagged.map(|c| c.stats),
        combined_with_flagged,
        combined_credited,
        claim,
    }
}

/// The claim judged (module documentation): held-out records of the calibrated thresholds,
/// credited indicators only; `held_levels[k][j]` is indicator `k` at level `j` on the held-out
/// half.
fn judge_claim(
    base: &[ScenarioOutput],
    verdicts: &[IndicatorVerdict],
    held_levels: &[Vec<IndicatorStats>],
    cfg: &EarlyWarningConfig,
) -> LeadClaim {
    let lead_3w = cfg.claim_lead_days;
    let lead_4w = lead_3w * 4.0 / 3.0;
    let floor = cfg.min_hit_rate - 1e-12;
    let reaches = |s: &IndicatorStats, lead: f64| {
        s.hit_rate >= floor && s.median_lead_days.is_some_and(|d| d >= lead)
    };
    let count = |f: &dyn Fn(&IndicatorVerdict) -> bool| verdicts.iter().filter(|v| f(v)).count();
    let mut event_days: Vec<f64> = base
        .iter()
        .filter(|o| happened(o.event_day))
        .map(|o| o.event_day as f64)
        .collect();
    event_days.sort_by(|a, b| a.total_cmp(b));
    let late = event_days.iter().filter(|&&d| d >= lead_3w).count();
    let leading_3w =
        count(&|v| v.credited && v.held_out.is_some_and(|s| reaches(&s, lead_3w))) as u64;
    LeadClaim {
        indicators: N_INDICATORS as u64,
        claim_lead_days: lead_3w,
        calibrated: count(&|v| v.in_sample.is_some()) as u64,
        credited: count(&|v| v.credited) as u64,
        flagged: verdicts
            .iter()
            .filter(|v| v.shared_series.is_some())
            .map(|v| v.indicator)
            .collect(),
        leading_3w,
        in_sample_leading_3w: count(&|v| {
            v.credited && v.in_sample.is_some_and(|s| reaches(&s, lead_3w))
        }) as u64,
        flagged_leading_3w: count(&|v| {
            v.shared_series.is_some() && v.held_out.is_some_and(|s| reaches(&s, lead_3w))
        }) as u64,
        leading_3w_any_false_alarms: verdicts
            .iter()
            .zip(held_levels)
            .filter(|(v, levels)| v.credited && levels.iter().any(|s| reaches(s, lead_3w)))
            .count() as u64,
        leading_4w: count(&|v| v.credited && v.held_out.is_some_and(|s| reaches(&s, lead_4w)))
            as u64,
        max_median_lead_days: verdicts
            .iter()
            .filter(|v| v.credited)
            .filter_map(|v| v.held_out.and_then(|s| s.median_lead_days))
            .reduce(f64::max),
        median_event_day: median(&event_days),
        events_late_enough: if event_days.is_empty() {
            0.0
        } else {
            late as f64 / event_days.len() as f64
        },
        holds: leading_3w == N_INDICATORS as u64,
        basis: "held-out half (odd scenario indices), indicators sharing no series with the event or a gate trigger",
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
    // What a rerun at each level would record, read from one observed run (thresholds feed
    // nothing but the breach days).
    let reruns = sim.run_threshold_ladder(&fund.model, &scenarios[..n], 0, seed, &ladder);
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
    let mut out = vec![events_finding(ew), claim_finding(ew)];
    out.extend(indicator_findings(ew));
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

/// How many scenarios had a liquidity event, when, and how the scenarios were split.
fn events_finding(ew: &EarlyWarning) -> Finding {
    let s = StageId::RedemptionPolicy;
    let c = &ew.claim;
    finding(
        s,
        "early_warning_events",
        format!(
            "{} of {} scenarios ({}) had a liquidity event (first shortfall, 5-day outflow above \
             the event level or NAV drawdown above the event level; the fund's own gate is no \
             part of it; {} events fell on the first shortfall day, {} on the first gate day); the \
             median event came on business day {}, and {} of the events came late enough (day {} \
             or later) for a {}-business-day warning to be possible. Thresholds are calibrated on \
             {} scenarios ({} events) and judged on {} others ({} events; {SPLIT})",
            ew.events,
            ew.scenarios,
            p1(ew.event_rate),
            ew.events_on_shortfall_day,
            ew.events_on_gate_day,
            days(c.median_event_day),
            p1(c.events_late_enough),
            c.claim_lead_days,
            c.claim_lead_days,
            ew.calibration_scenarios,
            ew.calibration_events,
            ew.held_out_scenarios,
            ew.held_out_events,
        ),
        &[
            ("events", ew.events as f64),
            ("scenarios", ew.scenarios as f64),
            ("event_rate", ew.event_rate),
            ("median_event_day", c.median_event_day.unwrap_or(f64::NAN)),
            ("events_late_enough", c.events_late_enough),
            ("held_out_scenarios", ew.held_out_scenarios as f64),
            ("held_out_events", ew.held_out_events as f64),
            ("events_on_gate_day", ew.events_on_gate_day as f64),
        ],
    )
}

/// The use case's lead-time claim, re-judged held out on the credited indicators.
fn claim_finding(ew: &EarlyWarning) -> Finding {
    let s = StageId::RedemptionPolicy;
    let c = &ew.claim;
    let verdict = if c.holds { "holds" } else { "does not hold" };
    let combined = ew.combined_credited.as_ref();
    let ci = |x: Option<[f64; 2]>| {
        x.map_or_else(
            || "n/a".to_string(),
            |[lo, hi]| format!("{}-{}", p1(lo), p1(hi)),
        )
    };

    finding(
        s,
        "early_warning_claim",
        format!(
            "Re-judged on held-out scenarios with only the indicators that share no series with \
             the event or a gate trigger, the use case's claim that 14 leading indicators precede \
             redemption spikes by 3-4 weeks {verdict} on this fund: {} indicator(s) are flagged \
             and not credited ({}); of the {} credited, at a false-alarm rate of at most {} and a \
             hit rate of at least {} (chosen on the calibration half), {} reach a held-out median \
             lead of {} business days (3 weeks; {} in sample) and {} of {} business days (4 \
             weeks); the longest credited held-out median lead is {} business days. Flagged \
             indicators reaching 3 weeks held out: {}. Ignoring false alarms, {} credited \
             indicator(s) reach {} business days held out. The credited indicators together warn \
             of {} of held-out events at least {} business day(s) ahead (95% interval {}), median \
             lead {} business days",
            c.flagged.len(),
            c.flagged.join(", "),
            c.credited,
            p1(ew.max_false_alarm_rate),
            p1(ew.min_hit_rate),
            c.leading_3w,
            c.claim_lead_days,
            c.in_sample_leading_3w,
            c.leading_4w,
            c.claim_lead_days * 4.0 / 3.0,
            days(c.max_median_lead_days),
            c.flagged_leading_3w,
            c.leading_3w_any_false_alarms,
            c.claim_lead_days,
            combined.map_or_else(|| "n/a".to_string(), |x| p1(x.stats.hit_rate)),
            ew.min_lead_days,
            ci(combined.and_then(|x| x.hit_rate_ci)),
            days(combined.and_then(|x| x.stats.median_lead_days)),
        ),
        &[
            ("calibrated", c.calibrated as f64),
            ("credited", c.credited as f64),
            ("flagged", c.flagged.len() as f64),
            ("leading_3w", c.leading_3w as f64),
            ("in_sample_leading_3w", c.in_sample_leading_3w as f64),
            ("flagged_leading_3w", c.flagged_leading_3w as f64),
            ("leading_4w", c.leading_4w as f64),
            (
                "leading_3w_any_false_alarms",
                c.leading_3w_any_false_alarms as f64,
            ),
            ("claim_lead_days", c.claim_lead_days),
            (
                "max_median_lead_days",
                c.max_median_lead_days.unwrap_or(f64::NAN),
            ),
            (
                "combined_hit_rate",
                combined.map_or(f64::NAN, |x| x.stats.hit_rate),
            ),
            (
                "combined_hit_rate_lo",
                combined
                    .and_then(|x| x.hit_rate_ci)
                    .map_or(f64::NAN, |x| x[0]),
            ),
            (
                "combined_hit_rate_hi",
                combined
                    .and_then(|x| x.hit_rate_ci)
                    .map_or(f64::NAN, |x| x[1]),
            ),
            ("holds", if c.holds { 1.0 } else { 0.0 }),
        ],
    )
}

/// The three credited indicators with the longest held-out median lead.
fn indicator_findings(ew: &EarlyWarning) -> Vec<Finding> {
    let s = StageId::RedemptionPolicy;
    let mut out = Vec::new();
    let mut ranked: Vec<(&EarlyWarningRow, &IndicatorVerdict)> = ew
        .rows
        .iter()
        .zip(&ew.verdicts)
        .filter(|(r, v)| r.best_threshold.is_some() && v.credited)
        .collect();
    ranked.sort_by(|(a, _), (b, _)| {
        b.best_median_lead_days
            .unwrap_or(0.0)
            .total_cmp(&a.best_median_lead_days.unwrap_or(0.0))
            .then(
                b.best_hit_rate
                    .unwrap_or(0.0)
                    .total_cmp(&a.best_hit_rate.unwrap_or(0.0)),
            )
    });
    for (r, v) in ranked.iter().take(3) {
        let (t, h, f, l) = (
            r.best_threshold.unwrap_or(f64::NAN),
            r.best_hit_rate.unwrap_or(f64::NAN),
            r.best_false_alarm_rate.unwrap_or(f64::NAN),
            r.best_median_lead_days.unwrap_or(f64::NAN),
        );
        let [lo, hi] = v.held_out_hit_rate_ci.unwrap_or([f64::NAN; 2]);
        let ins = v.in_sample;
        out.push(finding(
            s,
            &format!("early_warning_{}", r.indicator),
            format!(
                "{} {} {:.4} (calibrated on the calibration half) warned of {} of held-out \
                 liquidity events at least {} business day(s) ahead (95% interval {}-{}), a median \
                 of {:.1} business days ahead, with false alarms in {} of held-out scenarios \
                 without an event (in sample: hit rate {}, false alarms {}; the fund's own \
                 threshold {:.4} on every scenario: hit rate {}, false alarms {}, median lead {})",
                r.indicator,
                r.direction.name(),
                t,
                p1(h),
                ew.min_lead_days,
                p1(lo),
                p1(hi),
                l,
                p1(f),
                ins.map_or_else(|| "n/a".to_string(), |x| p1(x.hit_rate)),
                ins.map_or_else(|| "n/a".to_string(), |x| p1(x.false_alarm_rate)),
                r.threshold,
                p1(r.hit_rate),
                p1(r.false_alarm_rate),
                days(r.median_lead_days)
            ),
            &[
                ("best_threshold", t),
                ("best_hit_rate", h),
                ("best_hit_rate_lo", lo),
                ("best_hit_rate_hi", hi),
                ("best_false_alarm_rate", f),
                ("best_median_lead_days", l),
                ("in_sample_hit_rate", ins.map_or(f64::NAN, |x| x.hit_rate)),
                ("threshold", r.threshold),
                ("hit_rate", r.hit_rate),
                ("false_alarm_rate", r.false_alarm_rate),
            ],
        ));
    }
    out
}

/// `early_warning.csv`: one row per indicator.
pub fn tables(ew: &EarlyWarning) -> Vec<Table> {
    let rows = ew
        .rows
        .iter()
        .zip(&ew.verdicts)
        .map(|(r, v)| {
            let ins = v.in_sample;
            let ci = v.held_out_hit_rate_ci;
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
                v.shared_series.unwrap_or("").to_string(),
                v.credited.to_string(),
                opt(ins.map(|x| x.hit_rate)),
                opt(ins.map(|x| x.false_alarm_rate)),
                opt(ins.and_then(|x| x.median_lead_days)),
                opt(ci.map(|x| x[0])),
                opt(ci.map(|x| x[1])),
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
            "shared_series",
            "credited",
            "in_sample_hit_rate",
            "in_sample_false_alarm_rate",
            "in_sample_median_lead_days",
            "best_hit_rate_lo",
            "best_hit_rate_hi",
        ]),
        rows,
    }]
}

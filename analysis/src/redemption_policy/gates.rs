//! Stage 5, part one: gate-trigger calibration and swing-pricing calibration (MODEL.md sections
//! 1.4, 3.7 and 7.5; the use case's redemption policy formulator).
//!
//! **Method.** Every policy is a variant of the fund's kernel parameters — gate triggers
//! (`gate_triggers`, `gate_redemptions_30d`, `gate_alr`, `gate_stress`), the gate cap
//! (`gate_cap`), the `GATES` switch, and optionally the investor-level gate (`INVESTOR_GATE`,
//! `gate_investor_cap`) and the fund's notice period (`fund_notice`) — rerun on the *same*
//! scenario records, seed and indices (common random numbers). Nothing of the model is
//! re-implemented here: a policy's effect is the difference between two kernel runs.
//!
//! **Gate grid.** The baseline is the fund with no gate of any kind (`GATES` and `INVESTOR_GATE`
//! off, the fund's own notice). Each grid point combines one level of each trigger (or "off") —
//! trailing 30-day requests above `r` of NAV, available liquidity ratio below `a`, stress
//! composite above `s` — under the rule *any* (a gate when any enabled trigger fires), with a cap
//! `g` of NAV paid per dealing day; the fund's minimum gate duration is kept. Per point, over the
//! `n` scenarios (`o_k` the point's record of scenario `k`, `b_k` the baseline's):
//!
//! - gate frequency `#{k: gate_days_k > 0} / n`; mean gate days `Σ gate_days_k / n`;
//! - shortfall frequency and mean shortfall (peak unpaid arrears, fraction of NAV);
//! - mean dilution (liquidation costs not recovered by swing pricing), bps of NAV;
//! - shortfall avoided `S̄_b − S̄`, dilution avoided `D̄_b − D̄` (fractions of NAV; negative when
//!   the gate made things worse, which feedback can do: a gate raises investors' liquidity
//!   concern);
//! - unnecessary gates: gated scenarios whose baseline had no shortfall — their share of the gated
//!   scenarios (`unnecessary_gate_share`) and of all scenarios (`unnecessary_gate_frequency`);
//! - mean redemptions still owed at the horizon (`mean_deferred_end`): a gate defers, and what it
//!   defers past the horizon is neither paid nor sold within it. It is **harm, not harm
//!   avoided**: the investors are still owed, so a tight cap that pushes redemptions past the
//!   horizon must not score as if it had paid them. `deferred_avoided = Ē_b − Ē` enters the
//!   harm avoided below (negative when the gate leaves more owed than no gate does).
//! - the frequencies (gate, shortfall, and the baseline's shortfall) carry Wilson 95% intervals
//!   ([`crate::stats`]); `shortfall_differs` says whether a point's shortfall frequency and the
//!   baseline's have disjoint intervals (conservative: the scenarios are paired on common random
//!   numbers, which a paired test would exploit). Every number is conditional on the scenario set
//!   the grid ran (the stress library).
//!
//! **Scores** (each 1 at the best grid point and 0 at the no-gate baseline, so that a criterion's
//! weight means what it says whatever the grid):
//!
//! ```text
//! harm avoided  A   = (S̄_b − S̄) + (D̄_b − D̄) + (Ē_b − Ē)
//!                                                      a unit of NAV unpaid on time, or still
//!                                                      owed at the horizon, counts like a unit
//!                                                      of NAV lost to costs
//! protection        = A / max_points A                 when some point avoids harm (a point that
//!                                                      adds harm scores below 0);
//!                   = A / max_points |A|               when none does (0 for harmless points, −1
//!                                                      for the most harmful); 0 when A = 0 for all
//! operational       = 1 − gate_days / max_points gate_days
//! reputation        = 1 − U / max_points U,  U = unnecessary_gate_frequency
//! score             = (w_p protection + w_o operational + w_r reputation) / (w_p + w_o + w_r)
//! ```
//!
//! Reputation uses the frequency of unnecessary gates over all scenarios, not their share of the
//! gated ones: what harms a fund's name is how often it gates without need, and a policy that
//! gates once, needlessly, is not as bad as one that does so in a fifth of all scenarios. Ranks
//! follow the score (ties: more protection, then fewer gate days, then grid order). The use
//! case's trigger — requests above 15% of NAV within 30 days or ALR below 1.2, at the fund's own
//! gate cap — is always one of the points (added when the grid lacks it). A point whose trigger
//! never fires is the baseline in all but name (operational and reputation 1, protection 0): on a
//! fund that never falls short it wins, and the findings then say that no gate protects and name
//! the best point that does fire (`best_firing`).
//!
//! The ALR threshold is also the yardstick of the investors' liquidity concern (MODEL.md 3.5:
//! `LIQ = max(0, 1 − ALR / g_alr) + [gated yesterday]`), so a point with a higher ALR threshold
//! makes investors warier even on days it does not fire, and every gate that fires adds to their
//! concern the next day; the grid measures both, as the kernel models them. A gate can therefore
//! raise a scenario's shortfall (`shortfall_raised_share`); so can one that defers redemptions
//! into a market drying up, because the liquidation target covers only accepted redemptions.
//!
//! **Swing pricing.** The baseline is the fund with swing pricing off (gates as the fund has
//! them). Each point sets a threshold `θ` (accepted net outflow above `θ` of NAV in a day swings
//! the price) and a factor `f` (0: the kernel's dynamic factor, the estimated cost rate of the
//! day's liquidation; otherwise fixed), both capped at the cap. Per scenario, with `C_k` the
//! liquidation cost and `I_k` the swing income, dilution is `max(0, C_k − I_k)` (the kernel's
//! record) and overcharge is `max(0, I_k − C_k)`: what redeemers paid beyond the costs they
//! caused, a transfer to the remaining investors. The score is the share of the baseline's
//! dilution removed, net of overcharging:
//!
//! ```text
//! score = 1 − (D̄ + Ō) / D̄_no swing
//! ```
//!
//! 1 is a swing that charges redeemers exactly the costs they cause; 0 is no better than no
//! swing; negative, worse (over-swinging). **Anti-dilution levy**: the fund in this model has no
//! subscriptions, so every dealing day with a swing is an outflow day, and a levy of `x` charged
//! on redemptions above the threshold and paid into the fund is the same cash flow as a fixed
//! swing of `x`: the fixed-factor rows *are* the levy. The output says so (`levy_note`).

use serde::Serialize;
use undertow_kernel::{gate, switch, FundModel, ScenarioOutput, ScenarioParams};

use super::config::{GateConfig, GateWeights};
use crate::portfolio_liquidity::buffer::interval;
use crate::sim::Simulator;
use undertow_format::text::pct;
use undertow_host::aggregate::total_cost;
use undertow_host::fund::Fund;

/// The use case's redemption trigger: requests above 15% of NAV within 30 days...
pub const USE_CASE_REDEMPTIONS_30D: f64 = 0.15;
/// ...or an available liquidity ratio below 1.2.
pub const USE_CASE_ALR: f64 = 1.2;
/// The use case's trigger is "at or near the top" when it ranks within this many places of the
/// best, or within [`NEAR_TOP_SHARE`] of the grid, whichever is more.
pub const NEAR_TOP_RANKS: u32 = 3;
/// See [`NEAR_TOP_RANKS`].
pub const NEAR_TOP_SHARE: f64 = 0.10;
/// Two thresholds closer than this are the same grid value (settings arrive through `f32`).
const SAME: f64 = 1e-6;
/// Most grid points a calibration may evaluate (each is a full rerun of the scenarios).
pub const MAX_GRID_POINTS: usize = 2_000;
/// Longest notice period the notice dimension accepts, days.
pub const MAX_NOTICE_DAYS: u32 = 3_650;

/// One gate policy of the grid.
#[derive(Clone, Copy, Debug, Serialize, PartialEq)]
pub struct GatePoint {
    pub redemptions_30d: Option<f64>,
    pub alr: Option<f64>,
    pub stress: Option<f64>,
    pub cap: f64,
    /// Investor-level gate cap (`None`: no investor gate).
    pub investor_cap: Option<f64>,
    /// Fund-level notice days.
    pub notice_days: u32,
}

pub(crate) fn same_level(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(x), Some(y)) => (x - y).abs() < SAME,
        _ => false,
    }
}

impl GatePoint {
    /// The use case's trigger (30-day requests above 15% of NAV or ALR below 1.2) at the fund's
    /// own cap, investor-gate setting and notice.
    pub fn use_case(model: &FundModel) -> GatePoint {
        let p = &model.params;
        GatePoint {
            redemptions_30d: Some(USE_CASE_REDEMPTIONS_30D),
            alr: Some(USE_CASE_ALR),
            stress: None,
            cap: p.gate_cap as f64,
            investor_cap: if p.switches & switch::INVESTOR_GATE != 0 {
                Some(p.gate_investor_cap as f64)
            } else {
                None
            },
            notice_days: p.fund_notice,
        }
    }

    /// Whether any fund-level trigger is enabled.
    pub fn has_trigger(&self) -> bool {
        self.redemptions_30d.is_some() || self.alr.is_some() || self.stress.is_some()
    }

    /// Whether two points are the same policy (thresholds within 1e-6).
    pub fn same(&self, other: &GatePoint) -> bool {
        same_level(self.redemptions_30d, other.redemptions_30d)
            && same_level(self.alr, other.alr)
            && same_level(self.stress, other.stress)
            && (self.cap - other.cap).abs() < SAME
            && same_level(self.investor_cap, other.investor_cap)
            && self.notice_days == other.notice_days
    }

    /// Whether this is the use case's trigger (at whatever cap, investor gate and notice).
    pub fn is_use_case_trigger(&self) -> bool {
        same_level(self.redemptions_30d, Some(USE_CASE_REDEMPTIONS_30D))
            && same_level(self.alr, Some(USE_CASE_ALR))
            && self.stress.is_none()
    }

    /// "30d > 15% or ALR < 1.2, cap 10%".
    pub fn describe(&self) -> String {
        let mut triggers = Vec::new();
        if let Some(r) = self.redemptions_30d {
            triggers.push(format!("30d requests > {}", pct(r)));
        }
        if let Some(a) = self.alr {
            triggers.push(format!("ALR < {a}"));
        }
        if let Some(s) = self.stress {
            triggers.push(format!("stress > {s}"));
        }
        let mut text = if triggers.is_empty() {
            "no fund-level gate".to_string()
        } else {
            format!("{}, cap {} a day", triggers.join(" or "), pct(self.cap))
        };
        if let Some(c) = self.investor_cap {
            text += &format!(", investor gate {}", pct(c));
        }
        if self.notice_days > 0 {
            text += &format!(", {} days' notice", self.notice_days);
        }
        text
    }

    /// The fund's model with this policy: triggers, thresholds, cap, rule "any", the minimum
    /// duration (`min_days`, or the fund's own), investor gate and notice. The rings are
    /// lengthened when a longer notice needs it (the layout only; no random number changes).
    pub fn apply(&self, model: &FundModel, min_days: Option<u32>) -> FundModel {
        let mut m = model.clone();
        let p = &mut m.params;
        let mut triggers = 0;
        if let Some(r) = self.redemptions_30d {
            triggers |= gate::REDEMPTIONS_30D;
            p.gate_redemptions_30d = r as f32;
        }
        if let Some(a) = self.alr {
            triggers |= gate::ALR;
            p.gate_alr = a as f32;
        }
        if let Some(s) = self.stress {
            triggers |= gate::STRESS;
            p.gate_stress = s as f32;
        }
        p.gate_triggers = triggers;
        p.gate_rule = gate::RULE_ANY;
        p.gate_cap = self.cap as f32;
        if let Some(d) = min_days {
            p.gate_min_days = d;
        }
        if triggers != 0 {
            p.switches |= switch::GATES;
        } else {
            p.switches &= !switch::GATES;
        }
        match self.investor_cap {
            Some(c) => {
                p.switches |= switch::INVESTOR_GATE;
                p.gate_investor_cap = c as f32;
            }
            None => p.switches &= !switch::INVESTOR_GATE,
        }
        set_notice(&mut m, self.notice_days);
        m
    }
}

/// Sets the fund-level notice, lengthening the rings when the longest delay needs it.
pub(crate) fn set_notice(m: &mut FundModel, notice: u32) {
    let holder_notice = m
        .segments
        .iter()
        .map(|s| s.notice)
        .chain(m.large.iter().map(|l| l.notice))
        .max()
        .unwrap_or(0);
    m.params.fund_notice = notice;
    let need = (notice + holder_notice).max(m.params.redemption_settlement) + 2;
    m.params.ring = m.params.ring.max(need);
}

/// The gate calibration's baseline: no gate of any kind (fund-level and investor-level off).
pub fn baseline_model(model: &FundModel) -> FundModel {
    let mut m = model.clone();
    m.params.switches &= !(switch::GATES | switch::INVESTOR_GATE);
    m
}

/// The no-gate baseline's numbers.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct GateBaseline {
    pub shortfall_frequency: f64,
    /// Wilson 95% interval of the shortfall frequency.
    pub shortfall_frequency_low: f64,
    pub shortfall_frequency_high: f64,
    /// Mean peak unpaid arrears, fraction of NAV.
    pub mean_shortfall: f64,
    pub mean_dilution_bps: f64,
    /// Mean liquidation cost, bps of NAV.
    pub mean_cost_bps: f64,
    /// Mean redemptions still owed at the horizon, fraction of NAV.
    pub mean_deferred_end: f64,
}

/// One grid point's results.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct GateRow {
    /// "30d requests > 15% or ALR < 1.2, cap 10% a day".
    pub label: String,
    pub redemptions_30d: Option<f64>,
    pub alr: Option<f64>,
    pub stress: Option<f64>,
    pub gate_cap: f64,
    /// Investor-level gate cap (`None`: none).
    pub investor_gate_cap: Option<f64>,
    pub fund_notice_days: u32,
    /// The use case's trigger at the fund's own cap, investor gate and notice.
    pub use_case: bool,
    pub gate_frequency: f64,
    /// Wilson 95% interval of the gate frequency.
    pub gate_frequency_low: f64,
    pub gate_frequency_high: f64,
    pub mean_gate_days: f64,
    pub shortfall_frequency: f64,
    /// Wilson 95% interval of the shortfall frequency.
    pub shortfall_frequency_low: f64,
    pub shortfall_frequency_high: f64,
    /// The shortfall frequency's interval and the baseline's are disjoint.
    pub shortfall_differs: bool,
    pub mean_shortfall: f64,
    pub mean_dilution_bps: f64,
    pub mean_cost_bps: f64,
    /// Mean redemptions still queued at the horizon, fraction of NAV: owed, not avoided.
    pub mean_deferred_end: f64,
    /// Baseline mean shortfall minus this point's, fraction of NAV.
    pub shortfall_avoided: f64,
    /// Baseline mean dilution minus this point's, fraction of NAV.
    pub dilution_avoided: f64,
    /// Baseline mean redemptions owed at the horizon minus this point's, fraction of NAV
    /// (negative: the gate leaves more owed).
    pub deferred_avoided: f64,
    /// `shortfall_avoided + dilution_avoided + deferred_avoided`: the harm the protection score
    /// reads.
    pub harm_avoided: f64,
    /// Share of the gated scenarios whose baseline had no shortfall.
    pub unnecessary_gate_share: f64,
    /// Share of all scenarios gated without a baseline shortfall.
    pub unnecessary_gate_frequency: f64,
    /// Share of scenarios whose shortfall this gate raised (through feedback: a gate adds to the
    /// liquidity concern investors respond to).
    pub shortfall_raised_share: f64,
    pub protection_score: f64,
    pub operational_score: f64,
    pub reputation_score: f64,
    pub score: f64,
    pub rank: u32,
}

/// Whether the use case's trigger ranks at or near the top.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct GateClaim {
    pub rank: u32,
    pub of: u32,
    /// Best score minus the use case's.
    pub score_gap: f64,
    /// Ranks within the larger of [`NEAR_TOP_RANKS`] and [`NEAR_TOP_SHARE`] of the grid.
    pub near_top_ranks: u32,
    pub holds: bool,
    /// How the claim was judged (issue 10): [`JUDGED_WITH`].
    pub judged_with: &'static str,
    /// The scenario set the verdict is conditional on.
    pub conditional_on: &'static str,
}

/// How the gate scores and the use case's claim are judged since issue 10.
pub const JUDGED_WITH: &str =
    "redemptions still deferred at the horizon counted as harm, frequencies with Wilson 95% intervals";

/// What the gate verdicts are conditional on.
pub const CONDITIONAL_ON: &str = crate::stats::STRESS_LIBRARY;

/// The gate calibration.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct GateGrid {
    pub scenarios: u64,
    pub horizon_days: u32,
    /// How enabled triggers combine ("any").
    pub rule: &'static str,
    pub min_days: u32,
    pub weights: GateWeights,
    pub baseline: GateBaseline,
    /// In grid order.
    pub rows: Vec<GateRow>,
    pub best: Option<GateRow>,
    /// The best-ranked point that gated at least once (the best may be a trigger that never
    /// fires, which is no gate at all).
    pub best_firing: Option<GateRow>,
    pub use_case: Option<GateRow>,
    pub use_case_claim: Option<GateClaim>,
}

impl GateGrid {
    /// Rows by rank, best first.
    pub fn ranked(&self) -> Vec<&GateRow> {
        let mut v: Vec<&GateRow> = self.rows.iter().collect();
        v.sort_by_key(|r| r.rank);
        v
    }
}

pub(crate) fn mean(outs: &[ScenarioOutput], f: impl Fn(&ScenarioOutput) -> f64) -> f64 {
    outs.iter().map(f).sum::<f64>() / outs.len().max(1) as f64
}

/// A shortfall: accepted redemptions left unpaid at some point.
pub(crate) fn fell_short(o: &ScenarioOutput) -> bool {
    o.shortfall > 0.0
}

/// Whether two intervals are disjoint.
pub(crate) fn disjoint((a_lo, a_hi): (f64, f64), (b_lo, b_hi): (f64, f64)) -> bool {
    a_hi < b_lo || b_hi < a_lo
}

pub(crate) fn share(outs: &[ScenarioOutput], f: impl Fn(&ScenarioOutput) -> bool) -> f64 {
    outs.iter().filter(|o| f(o)).count() as f64 / outs.len().max(1) as f64
}

/// Summarises the baseline's records.
pub fn baseline_of(outs: &[ScenarioOutput]) -> GateBaseline {
    let (lo, hi) = interval(outs, fell_short);
    GateBaseline {
        shortfall_frequency: share(outs, fell_short),
        shortfall_frequency_low: lo,
        shortfall_frequency_high: hi,
        mean_shortfall: mean(outs, |o| o.shortfall as f64),
        mean_dilution_bps: mean(outs, |o| o.dilution as f64) * 1e4,
        mean_cost_bps: mean(outs, total_cost) * 1e4,
        mean_deferred_end: mean(outs, |o| o.deferred_end as f64),
    }
}

/// Summarises one point's records against the baseline's (same scenarios, same order); the
/// scores and rank are filled by [`rank_gates`].
pub fn gate_row(
    point: &GatePoint,
    use_case: bool,
    outs: &[ScenarioOutput],
    base: &[ScenarioOutput],
) -> GateRow {
    let n = outs.len().max(1) as f64;
    let b = baseline_of(base);
    let gated = outs.iter().filter(|o| o.gate_days > 0.0).count();
    let unnecessary = outs
        .iter()
        .zip(base)
        .filter(|(o, b)| o.gate_days > 0.0 && b.shortfall <= 0.0)
        .count();
    let raised = outs
        .iter()
        .zip(base)
        .filter(|(o, b)| o.shortfall > b.shortfall)
        .count();
    let mean_shortfall = mean(outs, |o| o.shortfall as f64);
    let mean_dilution = mean(outs, |o| o.dilution as f64);
    let mean_deferred_end = mean(outs, |o| o.deferred_end as f64);
    let shortfall_avoided = b.mean_shortfall - mean_shortfall;
    let dilution_avoided = b.mean_dilution_bps / 1e4 - mean_dilution;
    let deferred_avoided = b.mean_deferred_end - mean_deferred_end;
    let (gate_lo, gate_hi) = interval(outs, |o| o.gate_days > 0.0);
    let (short_lo, short_hi) = interval(outs, fell_short);
    GateRow {
        label: point.describe(),
        redemptions_30d: point.redemptions_30d,
        alr: point.alr,
        stress: point.stress,
        gate_cap: point.cap,
        investor_gate_cap: point.investor_cap,
        fund_notice_days: point.notice_days,
        use_case,
        gate_frequency: gated as f64 / n,
        gate_frequency_low: gate_lo,
        gate_frequency_high: gate_hi,
        mean_gate_days: mean(outs, |o| o.gate_days as f64),
        shortfall_frequency: share(outs, fell_short),
        shortfall_frequency_low: short_lo,
        shortfall_frequency_high: short_hi,
        shortfall_differs: disjoint(
            (short_lo, short_hi),
            (b.shortfall_frequency_low, b.shortfall_frequency_high),
        ),
        mean_shortfall,
        mean_dilution_bps: mean_dilution * 1e4,
        mean_cost_bps: mean(outs, total_cost) * 1e4,
        mean_deferred_end,
        shortfall_avoided,
        dilution_avoided,
        deferred_avoided,
        harm_avoided: shortfall_avoided + dilution_avoided + deferred_avoided,
        unnecessary_gate_share: if gated > 0 {
            unnecessary as f64 / gated as f64
        } else {
            0.0
        },
        unnecessary_gate_frequency: unnecessary as f64 / n,
        shortfall_raised_share: raised as f64 / n,
        protection_score: 0.0,
        operational_score: 0.0,
        reputation_score: 0.0,
        score: 0.0,
        rank: 0,
    }
}

/// Scores and ranks the rows (module doc: each criterion 1 at the best point, 0 at the baseline).
pub fn rank_gates(rows: &mut [GateRow], weights: &GateWeights) {
    let most = |f: &dyn Fn(&GateRow) -> f64| rows.iter().map(f).fold(0.0f64, f64::max);
    let best_avoided = most(&|r| r.harm_avoided);
    let protection_scale = if best_avoided > 1e-12 {
        best_avoided
    } else {
        most(&|r| r.harm_avoided.abs())
    };
    let most_days = most(&|r| r.mean_gate_days);
    let most_unnecessary = most(&|r| r.unnecessary_gate_frequency);
    let w_sum = weights.protection + weights.operational + weights.reputation;
    for r in rows.iter_mut() {
        let avoided = r.harm_avoided;
        r.protection_score = if protection_scale > 1e-12 {
            avoided / protection_scale
        } else {
            0.0
        };
        r.operational_score = if most_days > 0.0 {
            1.0 - r.mean_gate_days / most_days
        } else {
            1.0
        };
        r.reputation_score = if most_unnecessary > 0.0 {
            1.0 - r.unnecessary_gate_frequency / most_unnecessary
        } else {
            1.0
        };
        r.score = if w_sum > 0.0 {
            (weights.protection * r.protection_score
                + weights.operational * r.operational_score
                + weights.reputation * r.reputation_score)
                / w_sum
        } else {
            0.0
        };
    }
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by(|&a, &b| {
        rows[b]
            .score
            .total_cmp(&rows[a].score)
            .then(
                rows[b]
                    .protection_score
                    .total_cmp(&rows[a].protection_score),
            )
            .then(rows[a].mean_gate_days.total_cmp(&rows[b].mean_gate_days))
            .then(a.cmp(&b))
    });
    for (k, &i) in order.iter().enumerate() {
        rows[i].rank = k as u32 + 1;
    }
}

/// Judges the use case's trigger against the ranked rows.
pub(crate) fn claim(rows: &[GateRow]) -> Option<GateClaim> {
    let u = rows.iter().find(|r| r.use_case)?;
    let best = rows.iter().find(|r| r.rank == 1)?;
    let of = rows.len() as u32;
    let near = NEAR_TOP_RANKS.max((NEAR_TOP_SHARE * of as f64).ceil() as u32);
    Some(GateClaim {
        rank: u.rank,
        of,
        score_gap: best.score - u.score,
        near_top_ranks: near,
        holds: u.rank <= near,
        judged_with: JUDGED_WITH,
        conditional_on: CONDITIONAL_ON,
    })
}

/// Ranks rows that were already summarised, and picks the best and the use case's row.
pub fn grid_of(
    mut rows: Vec<GateRow>,
    baseline: GateBaseline,
    weights: GateWeights,
    scenarios: u64,
    horizon_days: u32,
    min_days: u32,
) -> GateGrid {
    rank_gates(&mut rows, &weights);
    let best = rows.iter().find(|r| r.rank == 1).cloned();
    let best_firing = rows
        .iter()
        .filter(|r| r.gate_frequency > 0.0)
        .min_by_key(|r| r.rank)
        .cloned();
    let use_case = rows.iter().find(|r| r.use_case).cloned();
    let use_case_claim = claim(&rows);
    GateGrid {
        scenarios,
        horizon_days,
        rule: "any",
        min_days,
        weights,
        baseline,
        rows,
        best,
        best_firing,
        use_case,
        use_case_claim,
    }
}

/// Reruns the first `cfg.scenarios` of `scenarios` (indices from 0, seed `seed`) under the
/// baseline and every grid point, and scores the points.
pub fn calibrate_gates(
    fund: &Fund,
    scenarios: &[ScenarioParams],
    seed: u64,
    sim: &Simulator,
    cfg: &GateConfig,
) -> GateGrid {
    let scenarios = &scenarios[..(cfg.scenarios as usize).min(scenarios.len())];
    let model = &fund.model;
    let use_case = GatePoint::use_case(model);
    let points = cfg.points(model);
    let models: Vec<FundModel> = points
        .iter()
        .map(|point| point.apply(model, cfg.min_days))
        .collect();
    // Every point is a policy variant of the no-gate baseline: followed along its run, each is
    // simulated only where its gate or its investors' concern departs from it (`Simulator::run_variants`).
    let (base, outs) = sim.run_variants(&baseline_model(model), &models, scenarios, 0, seed);
    let rows = points
        .iter()
        .zip(&outs)
        .map(|(point, outs)| gate_row(point, point.same(&use_case), outs, &base))
        .collect();
    grid_of(
        rows,
        baseline_of(&base),
        cfg.weights,
        scenarios.len() as u64,
        model.params.horizon,
        cfg.min_days.unwrap_or(model.params.gate_min_days),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out(shortfall: f32, deferred_end: f32, gate_days: f32) -> ScenarioOutput {
        ScenarioOutput {
            shortfall,
            deferred_end,
            gate_days,
            ..ScenarioOutput::default()
        }
    }

    impl GatePoint {
        fn use_case_like() -> GatePoint {
            GatePoint {
                alr: Some(USE_CASE_ALR),
                ..point(USE_CASE_REDEMPTIONS_30D)
            }
        }
    }

    fn point(r30: f64) -> GatePoint {
        GatePoint {
            redemptions_30d: Some(r30),
            alr: None,
            stress: None,
            cap: 0.02,
            investor_cap: None,
            notice_days: 0,
        }
    }

    /// Two gates that both remove the baseline's 10% shortfall: one pays within the horizon,
    /// the other pushes 10% of NAV past it. Counting what is still owed as harm, only the first
    /// protects; counting it as avoided (the old score), they would tie.
    #[test]
    fn redemptions_deferred_past_the_horizon_count_as_harm() {
        let base = vec![out(0.1, 0.0, 0.0), out(0.0, 0.0, 0.0)];
        let pays = vec![out(0.0, 0.0, 5.0), out(0.0, 0.0, 0.0)];
        let defers = vec![out(0.0, 0.1, 5.0), out(0.0, 0.0, 0.0)];
        let mut rows = vec![
            gate_row(&point(0.1), false, &defers, &base),
            gate_row(&point(0.2), false, &pays, &base),
        ];
        for r in &rows {
            assert!((r.shortfall_avoided - 0.05).abs() < 1e-7, "{r:?}");
        }
        assert!((rows[0].deferred_avoided + 0.05).abs() < 1e-7);
        assert!(rows[0].harm_avoided.abs() < 1e-7, "postponed, not avoided");
        assert!((rows[1].harm_avoided - 0.05).abs() < 1e-7);
        rank_gates(&mut rows, &GateWeights::default());
        assert!(rows[0].protection_score.abs() < 1e-6);
        assert!((rows[1].protection_score - 1.0).abs() < 1e-6);
        assert_eq!((rows[1].rank, rows[0].rank), (1, 2));
        // A corrupted record (the deferral dropped) makes the two tie on protection again.
        let corrupted = vec![out(0.0, 0.0, 5.0), out(0.0, 0.0, 0.0)];
        let r = gate_row(&point(0.1), false, &corrupted, &base);
        assert!((r.harm_avoided - rows[1].harm_avoided).abs() < 1e-7);
    }

    /// The use case's claim comes out either way, and a use-case trigger that only postpones
    /// (its redemptions still owed at the horizon) loses the claim it would hold if what it
    /// postpones counted as avoided.
    #[test]
    fn the_use_case_gate_claim_holds_or_not_and_deferral_can_flip_it() {
        let base = vec![out(0.1, 0.0, 0.0), out(0.0, 0.0, 0.0)];
        // Four policies that never fire (no harm avoided, no gate days) and two that fire.
        let quiet = vec![out(0.1, 0.0, 0.0), out(0.0, 0.0, 0.0)];
        let pays = vec![out(0.0, 0.0, 5.0), out(0.0, 0.0, 0.0)];
        let grid_with = |use_case: &[ScenarioOutput]| {
            let mut rows: Vec<GateRow> = (0..4)
                .map(|k| gate_row(&point(0.5 + k as f64 * 0.1), false, &quiet, &base))
                .collect();
            rows.push(gate_row(&point(0.2), false, &pays, &base));
            rows.push(gate_row(&GatePoint::use_case_like(), true, use_case, &base));
            let weights = GateWeights {
                protection: 1.0,
                operational: 0.0,
                reputation: 0.0,
            };
            rank_gates(&mut rows, &weights);
            claim(&rows).unwrap()
        };
        // Paying within the horizon: best protection, rank 1 or 2 of 6: the claim holds.
        let holds = grid_with(&pays);
        assert!(holds.holds && holds.rank <= 2, "{holds:?}");
        assert_eq!(holds.conditional_on, "the stress library");
        assert!(holds.judged_with.contains("deferred"));
        // Postponing the same 10% past the horizon: no harm avoided, tied with the quiet ones.
        let defers = vec![out(0.0, 0.1, 5.0), out(0.0, 0.0, 0.0)];
        let postponed = grid_with(&defers);
        assert!(postponed.rank > holds.rank, "{postponed:?}");
        assert!(
            !postponed.holds,
            "behind the policies that never fire: {postponed:?}"
        );
        // Made worse still (owing more than the shortfall it removed): last, the claim fails.
        let worse = vec![out(0.0, 0.2, 5.0), out(0.0, 0.0, 0.0)];
        let fails = grid_with(&worse);
        assert_eq!(fails.rank, 6);
        assert!(!fails.holds, "{fails:?}");
    }

    #[test]
    fn gate_and_shortfall_frequencies_carry_wilson_intervals() {
        // Baseline: 40 of 100 fall short; the gate: 5 of 100 do (disjoint intervals), and a
        // weaker gate: 35 of 100 (overlapping).
        let recs = |short: usize, gated: usize| -> Vec<ScenarioOutput> {
            (0..100)
                .map(|k| {
                    out(
                        if k < short { 0.01 } else { 0.0 },
                        0.0,
                        if k < gated { 3.0 } else { 0.0 },
                    )
                })
                .collect()
        };
        let base = recs(40, 0);
        let b = baseline_of(&base);
        assert!(b.shortfall_frequency_low < 0.4 && 0.4 < b.shortfall_frequency_high);
        let strong = gate_row(&point(0.1), false, &recs(5, 50), &base);
        assert!(strong.shortfall_differs);
        assert!(strong.gate_frequency_low < 0.5 && 0.5 < strong.gate_frequency_high);
        let (lo, hi) = crate::stats::wilson(5, 100, crate::stats::Z95).unwrap();
        assert_eq!(
            (
                strong.shortfall_frequency_low,
                strong.shortfall_frequency_high
            ),
            (lo, hi)
        );
        let weak = gate_row(&point(0.2), false, &recs(35, 10), &base);
        assert!(
            !weak.shortfall_differs,
            "35% against 40% of 100: not told apart"
        );
        assert!(disjoint((0.0, 0.1), (0.2, 0.3)) && !disjoint((0.0, 0.25), (0.2, 0.3)));
    }
}

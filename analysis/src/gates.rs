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
//!   defers past the horizon is neither paid nor sold within it, so part of what a tight cap
//!   "avoids" is only postponed — read the two together.
//!
//! **Scores** (each 1 at the best grid point and 0 at the no-gate baseline, so that a criterion's
//! weight means what it says whatever the grid):
//!
//! ```text
//! harm avoided  A   = (S̄_b − S̄) + (D̄_b − D̄)          a unit of NAV unpaid on time counts like
//!                                                      a unit of NAV lost to costs
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

use super::config::{bad, pct, ConfigError};
use super::findings::{finding, p1, p2, Finding};
use super::graph::StageId;
use super::sim::Simulator;
use super::tables::{header, num, opt, text, Table};
use undertow_format::text::bps;
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

/// Weights of the gate ranking's objective (the use case's 60/20/20).
#[derive(Clone, Copy, Debug, Serialize, PartialEq)]
pub struct GateWeights {
    /// Investor protection: shortfall and dilution avoided.
    pub protection: f64,
    /// Operational feasibility: few gated days.
    pub operational: f64,
    /// Reputational impact: few gates in scenarios that would have had no shortfall.
    pub reputation: f64,
}

impl Default for GateWeights {
    fn default() -> Self {
        GateWeights {
            protection: 0.6,
            operational: 0.2,
            reputation: 0.2,
        }
    }
}

/// Settings of the gate-trigger calibration (setting paths `gates.<field>`).
///
/// Defaults: 1,000 scenarios (the use case's "1000+"); 30-day request thresholds off, 15, 20,
/// 25% of NAV; ALR off or below 1.2 (the use case's); the stress composite off or above 0.6;
/// caps of 5% and 10% of NAV per dealing day (10% is MODEL.md's default; the fund's own cap is
/// added for the use case's point when it differs); weights 0.6 / 0.2 / 0.2. That is 15 trigger
/// combinations × 2 caps = 30 reruns plus the baseline, about 5 s on two cores for the
/// example's 1,000 scenarios of 90 days (0.15 s a rerun). On the example the stress composite
/// exceeds 0.5 in about half the scenarios and 0.7 in a few percent; 0.6 sits between. Wider
/// grids (`redemptions_30d = [off, 0.10, ...]`, `alr = [off, 1.0, 1.2, 1.5]`, more caps, the
/// investor-gate and notice dimensions) cost one rerun per point.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct GateConfig {
    /// Scenarios rerun per grid point (the first ones of the run).
    pub scenarios: u64,
    /// Thresholds of trailing 30-day requests, fractions of NAV (`None`: trigger off).
    pub redemptions_30d: Vec<Option<f64>>,
    /// Thresholds of the available liquidity ratio (`None`: trigger off).
    pub alr: Vec<Option<f64>>,
    /// Thresholds of the stress composite, 0 to 1 (`None`: trigger off).
    pub stress: Vec<Option<f64>>,
    /// Gate caps: most of NAV paid per dealing day while gated.
    pub caps: Vec<f64>,
    pub weights: GateWeights,
    /// Optional grid dimension: investor-level gate caps (a large investor receives at most this
    /// share of its holding per dealing day; `None`: no investor gate). Empty: the dimension is
    /// off and every point keeps the fund's own investor-gate setting.
    pub investor_caps: Vec<Option<f64>>,
    /// Optional grid dimension: fund-level notice periods, days. Empty: the fund's own.
    pub notice_days: Vec<u32>,
    /// Minimum gate duration, days; `None`: the fund's own.
    pub min_days: Option<u32>,
}

impl Default for GateConfig {
    fn default() -> Self {
        GateConfig {
            scenarios: 1_000,
            redemptions_30d: vec![None, Some(0.15), Some(0.20), Some(0.25)],
            alr: vec![None, Some(USE_CASE_ALR)],
            stress: vec![None, Some(0.6)],
            caps: vec![0.05, 0.10],
            weights: GateWeights::default(),
            investor_caps: Vec::new(),
            notice_days: Vec::new(),
            min_days: None,
        }
    }
}

fn list(v: &[f64]) -> String {
    let items: Vec<String> = v.iter().map(|x| x.to_string()).collect();
    format!("[{}]", items.join(", "))
}

fn opt_list(v: &[Option<f64>]) -> String {
    let items: Vec<String> = v
        .iter()
        .map(|x| x.map_or("off".to_string(), |x| x.to_string()))
        .collect();
    format!("[{}]", items.join(", "))
}

fn check_levels(
    setting: &str,
    levels: &[Option<f64>],
    ok: impl Fn(f64) -> bool,
    reason: &str,
) -> Result<(), ConfigError> {
    if levels.is_empty() || levels.iter().flatten().any(|&x| !(x.is_finite() && ok(x))) {
        return Err(bad(setting, opt_list(levels), reason));
    }
    Ok(())
}

impl GateConfig {
    /// Checks every setting; the first problem found names its path and value.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.scenarios == 0 || self.scenarios > 10_000_000 {
            return Err(bad(
                "gates.scenarios",
                self.scenarios,
                "must be from 1 to 10,000,000",
            ));
        }
        check_levels(
            "gates.redemptions_30d",
            &self.redemptions_30d,
            |x| x > 0.0 && x <= 1.0,
            "give at least one level (off or a fraction of NAV in (0, 1])",
        )?;
        check_levels(
            "gates.alr",
            &self.alr,
            |x| x > 0.0 && x <= 100.0,
            "give at least one level (off or a ratio in (0, 100])",
        )?;
        check_levels(
            "gates.stress",
            &self.stress,
            |x| (0.0..1.0).contains(&x),
            "give at least one level (off or a stress composite level in [0, 1))",
        )?;
        if self.caps.is_empty() || self.caps.iter().any(|&c| !(c > 0.0 && c <= 1.0)) {
            return Err(bad(
                "gates.caps",
                list(&self.caps),
                "give at least one cap, each in (0, 1] (a fraction of NAV per dealing day)",
            ));
        }
        let w = &self.weights;
        let ws = [w.protection, w.operational, w.reputation];
        if ws.iter().any(|x| !(*x >= 0.0 && x.is_finite())) || ws.iter().sum::<f64>() <= 0.0 {
            return Err(bad(
                "gates.weights",
                list(&ws),
                "three weights (protection, operational, reputation), none negative, not all zero",
            ));
        }
        if self
            .investor_caps
            .iter()
            .flatten()
            .any(|&c| !(c > 0.0 && c <= 1.0))
        {
            return Err(bad(
                "gates.investor_caps",
                opt_list(&self.investor_caps),
                "each cap must be off or in (0, 1] (a share of the investor's holding per dealing day)",
            ));
        }
        if let Some(&n) = self.notice_days.iter().find(|&&n| n > MAX_NOTICE_DAYS) {
            return Err(bad(
                "gates.notice_days",
                n,
                "each notice period must be from 0 to 3650 days",
            ));
        }
        if let Some(m) = self.min_days {
            if m > MAX_NOTICE_DAYS {
                return Err(bad("gates.min_days", m, "must be from 0 to 3650 days"));
            }
        }
        let any_trigger = [&self.redemptions_30d, &self.alr, &self.stress]
            .iter()
            .any(|levels| levels.iter().any(|l| l.is_some()));
        let other_dimension =
            self.investor_caps.iter().any(|c| c.is_some()) || !self.notice_days.is_empty();
        if !any_trigger && !other_dimension {
            return Err(bad(
                "gates.redemptions_30d/alr/stress",
                format!(
                    "{} / {} / {}",
                    opt_list(&self.redemptions_30d),
                    opt_list(&self.alr),
                    opt_list(&self.stress)
                ),
                "every trigger is off at every level: the grid holds no gate to calibrate",
            ));
        }
        let size = self.redemptions_30d.len()
            * self.alr.len()
            * self.stress.len()
            * self.caps.len()
            * self.investor_caps.len().max(1)
            * self.notice_days.len().max(1);
        if size > MAX_GRID_POINTS {
            return Err(bad(
                "gates.grid",
                size,
                "too many grid points (each reruns every scenario): at most 2,000",
            ));
        }
        Ok(())
    }

    /// The grid points on `model`: every combination of the levels, without the one that is the
    /// baseline (no trigger, no investor gate, the fund's notice) and without duplicates, then
    /// the use case's point at the fund's cap when the grid lacks it.
    pub fn points(&self, model: &FundModel) -> Vec<GatePoint> {
        let p = &model.params;
        let fund_investor_cap = if p.switches & switch::INVESTOR_GATE != 0 {
            Some(p.gate_investor_cap as f64)
        } else {
            None
        };
        let investor_caps = if self.investor_caps.is_empty() {
            vec![fund_investor_cap]
        } else {
            self.investor_caps.clone()
        };
        let notices = if self.notice_days.is_empty() {
            vec![p.fund_notice]
        } else {
            self.notice_days.clone()
        };
        let mut points: Vec<GatePoint> = Vec::new();
        for &notice in &notices {
            for &investor_cap in &investor_caps {
                for &cap in &self.caps {
                    for &r in &self.redemptions_30d {
                        for &a in &self.alr {
                            for &s in &self.stress {
                                let point = GatePoint {
                                    redemptions_30d: r,
                                    alr: a,
                                    stress: s,
                                    cap,
                                    investor_cap,
                                    notice_days: notice,
                                };
                                let baseline_like = !point.has_trigger()
                                    && point.investor_cap.is_none()
                                    && notice == p.fund_notice;
                                if !baseline_like && !points.iter().any(|q| q.same(&point)) {
                                    points.push(point);
                                }
                            }
                        }
                    }
                }
            }
        }
        let use_case = GatePoint::use_case(model);
        if !points.iter().any(|q| q.same(&use_case)) {
            points.push(use_case);
        }
        points
    }
}

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

fn same_level(a: Option<f64>, b: Option<f64>) -> bool {
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
fn set_notice(m: &mut FundModel, notice: u32) {
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
    pub mean_gate_days: f64,
    pub shortfall_frequency: f64,
    pub mean_shortfall: f64,
    pub mean_dilution_bps: f64,
    pub mean_cost_bps: f64,
    /// Mean redemptions still queued at the horizon (a gate defers; part of what it "avoids"
    /// within the horizon is paid after it).
    pub mean_deferred_end: f64,
    /// Baseline mean shortfall minus this point's, fraction of NAV.
    pub shortfall_avoided: f64,
    /// Baseline mean dilution minus this point's, fraction of NAV.
    pub dilution_avoided: f64,
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
}

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

fn mean(outs: &[ScenarioOutput], f: impl Fn(&ScenarioOutput) -> f64) -> f64 {
    outs.iter().map(f).sum::<f64>() / outs.len().max(1) as f64
}

fn share(outs: &[ScenarioOutput], f: impl Fn(&ScenarioOutput) -> bool) -> f64 {
    outs.iter().filter(|o| f(o)).count() as f64 / outs.len().max(1) as f64
}

/// Summarises the baseline's records.
pub fn baseline_of(outs: &[ScenarioOutput]) -> GateBaseline {
    GateBaseline {
        shortfall_frequency: share(outs, |o| o.shortfall > 0.0),
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
        mean_gate_days: mean(outs, |o| o.gate_days as f64),
        shortfall_frequency: share(outs, |o| o.shortfall > 0.0),
        mean_shortfall,
        mean_dilution_bps: mean_dilution * 1e4,
        mean_cost_bps: mean(outs, total_cost) * 1e4,
        mean_deferred_end: mean(outs, |o| o.deferred_end as f64),
        shortfall_avoided: b.mean_shortfall - mean_shortfall,
        dilution_avoided: b.mean_dilution_bps / 1e4 - mean_dilution,
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
    let best_avoided = most(&|r| r.shortfall_avoided + r.dilution_avoided);
    let protection_scale = if best_avoided > 1e-12 {
        best_avoided
    } else {
        most(&|r| (r.shortfall_avoided + r.dilution_avoided).abs())
    };
    let most_days = most(&|r| r.mean_gate_days);
    let most_unnecessary = most(&|r| r.unnecessary_gate_frequency);
    let w_sum = weights.protection + weights.operational + weights.reputation;
    for r in rows.iter_mut() {
        let avoided = r.shortfall_avoided + r.dilution_avoided;
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
fn claim(rows: &[GateRow]) -> Option<GateClaim> {
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
    let base = sim.run(&baseline_model(model), scenarios, 0, seed);
    let use_case = GatePoint::use_case(model);
    let rows = cfg
        .points(model)
        .iter()
        .map(|point| {
            let outs = sim.run(&point.apply(model, cfg.min_days), scenarios, 0, seed);
            gate_row(point, point.same(&use_case), &outs, &base)
        })
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

/// Settings of the swing-pricing calibration (setting paths `swing.<field>`).
///
/// Defaults: 1,000 scenarios; thresholds 0, 0.5%, 1%, 2% of NAV of net outflow in a day; factors
/// dynamic (0: the day's estimated cost rate) and fixed 0.25%, 0.5%, 1% (a fixed 2%, the cap,
/// overcharged redeemers on the example by about 40 bps of NAV against 5 bps of dilution to
/// recover; add 0.02 to see it); a cap of 2% (the fund file's default). 16 points plus the
/// no-swing baseline, about 2.5 s on two cores for the example.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct SwingConfig {
    /// Scenarios rerun per point (the first ones of the run).
    pub scenarios: u64,
    /// Net outflow accepted in a day above this fraction of NAV swings the price.
    pub thresholds: Vec<f64>,
    /// Swing factors: 0 is the dynamic factor (the estimated cost rate of the day's
    /// liquidation), others fixed fractions (an anti-dilution levy is one of these).
    pub factors: Vec<f64>,
    /// Largest swing factor (caps the dynamic one; no fixed factor may exceed it).
    pub cap: f64,
}

impl Default for SwingConfig {
    fn default() -> Self {
        SwingConfig {
            scenarios: 1_000,
            thresholds: vec![0.0, 0.005, 0.01, 0.02],
            factors: vec![0.0, 0.0025, 0.005, 0.01],
            cap: 0.02,
        }
    }
}

impl SwingConfig {
    /// Checks every setting; the first problem found names its path and value.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.scenarios == 0 || self.scenarios > 10_000_000 {
            return Err(bad(
                "swing.scenarios",
                self.scenarios,
                "must be from 1 to 10,000,000",
            ));
        }
        if !(self.cap > 0.0 && self.cap < 1.0) {
            return Err(bad(
                "swing.cap",
                self.cap,
                "must be in (0, 1) (a fraction of the NAV per share)",
            ));
        }
        if self.thresholds.is_empty() || self.thresholds.iter().any(|&t| !(0.0..1.0).contains(&t)) {
            return Err(bad(
                "swing.thresholds",
                list(&self.thresholds),
                "give at least one threshold, each in [0, 1) (a fraction of NAV)",
            ));
        }
        if self.factors.is_empty() || self.factors.iter().any(|&f| !(f >= 0.0 && f <= self.cap)) {
            return Err(bad(
                "swing.factors",
                list(&self.factors),
                "give at least one factor, each from 0 (dynamic) to the cap",
            ));
        }
        if self.thresholds.len() * self.factors.len() > MAX_GRID_POINTS {
            return Err(bad(
                "swing.grid",
                self.thresholds.len() * self.factors.len(),
                "too many points (each reruns every scenario): at most 2,000",
            ));
        }
        Ok(())
    }
}

/// The fund's model with swing pricing at `threshold` and `factor` (0: dynamic), capped at `cap`.
pub fn swing_model(model: &FundModel, threshold: f64, factor: f64, cap: f64) -> FundModel {
    let mut m = model.clone();
    m.params.switches |= switch::SWING;
    m.params.swing_threshold = threshold as f32;
    m.params.swing_fixed = factor as f32;
    m.params.swing_cap = cap as f32;
    m
}

/// One swing setting's results.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct SwingRow {
    pub threshold: f64,
    /// 0: the dynamic factor (the day's estimated cost rate).
    pub factor: f64,
    /// "dynamic" or "fixed" (a fixed factor is also an anti-dilution levy: see `levy_note`).
    pub kind: &'static str,
    pub mean_dilution_bps: f64,
    /// No-swing mean dilution minus this setting's, fraction of NAV.
    pub dilution_avoided: f64,
    pub mean_swing_income_bps: f64,
    /// Mean of what redeemers paid beyond the costs they caused, bps of NAV.
    pub mean_overcharge_bps: f64,
    pub mean_cost_bps: f64,
    /// Share of scenarios in which the price swung at least once.
    pub swing_frequency: f64,
    pub score: f64,
    pub rank: u32,
}

/// The no-swing baseline.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct SwingBaseline {
    pub mean_dilution_bps: f64,
    pub mean_cost_bps: f64,
}

/// The swing-pricing calibration.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct SwingCalibration {
    pub scenarios: u64,
    pub cap: f64,
    pub baseline: SwingBaseline,
    /// Thresholds outer, factors inner, in the order given.
    pub rows: Vec<SwingRow>,
    pub best: Option<SwingRow>,
    pub score_note: &'static str,
    pub levy_note: &'static str,
}

/// How the swing score is computed.
pub const SWING_SCORE_NOTE: &str = "score = 1 - (mean dilution + mean overcharge) / mean dilution \
without swing; per scenario dilution = max(0, cost - swing income), overcharge = max(0, swing \
income - cost); 1 charges redeemers exactly the costs they cause, 0 is no better than no swing";

/// Why the anti-dilution levy has no rows of its own.
pub const LEVY_NOTE: &str =
    "The model's fund has no subscriptions, so a swing only ever applies on \
outflow days; an anti-dilution levy of x on redemptions above the threshold, paid into the fund, \
is then the same cash flow as a fixed swing factor of x. The fixed-factor rows are the levy.";

/// Summarises one swing setting's records against the no-swing baseline's.
pub fn swing_row(
    threshold: f64,
    factor: f64,
    outs: &[ScenarioOutput],
    base: &[ScenarioOutput],
) -> SwingRow {
    let base_dilution = mean(base, |o| o.dilution as f64);
    let dilution = mean(outs, |o| o.dilution as f64);
    let overcharge = mean(outs, |o| (o.swing_income as f64 - total_cost(o)).max(0.0));
    let mismatch = dilution + overcharge;
    let score = if base_dilution > 1e-12 {
        1.0 - mismatch / base_dilution
    } else if mismatch <= 1e-12 {
        1.0
    } else {
        0.0
    };
    SwingRow {
        threshold,
        factor,
        kind: if factor > 0.0 { "fixed" } else { "dynamic" },
        mean_dilution_bps: dilution * 1e4,
        dilution_avoided: base_dilution - dilution,
        mean_swing_income_bps: mean(outs, |o| o.swing_income as f64) * 1e4,
        mean_overcharge_bps: overcharge * 1e4,
        mean_cost_bps: mean(outs, total_cost) * 1e4,
        swing_frequency: share(outs, |o| o.swing_income > 0.0),
        score,
        rank: 0,
    }
}

/// Ranks swing rows by score (ties: less dilution, then the order given).
pub fn rank_swing(rows: &mut [SwingRow]) {
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by(|&a, &b| {
        rows[b]
            .score
            .total_cmp(&rows[a].score)
            .then(
                rows[a]
                    .mean_dilution_bps
                    .total_cmp(&rows[b].mean_dilution_bps),
            )
            .then(a.cmp(&b))
    });
    for (k, &i) in order.iter().enumerate() {
        rows[i].rank = k as u32 + 1;
    }
}

/// Reruns the first `cfg.scenarios` of `scenarios` without swing pricing and at every
/// threshold × factor, gates and everything else as the fund has them.
pub fn calibrate_swing(
    fund: &Fund,
    scenarios: &[ScenarioParams],
    seed: u64,
    sim: &Simulator,
    cfg: &SwingConfig,
) -> SwingCalibration {
    let scenarios = &scenarios[..(cfg.scenarios as usize).min(scenarios.len())];
    let model = &fund.model;
    let mut no_swing = model.clone();
    no_swing.params.switches &= !switch::SWING;
    let base = sim.run(&no_swing, scenarios, 0, seed);
    let mut rows = Vec::new();
    for &threshold in &cfg.thresholds {
        for &factor in &cfg.factors {
            let m = swing_model(model, threshold, factor, cfg.cap);
            let outs = sim.run(&m, scenarios, 0, seed);
            rows.push(swing_row(threshold, factor, &outs, &base));
        }
    }
    rank_swing(&mut rows);
    SwingCalibration {
        scenarios: scenarios.len() as u64,
        cap: cfg.cap,
        baseline: SwingBaseline {
            mean_dilution_bps: mean(&base, |o| o.dilution as f64) * 1e4,
            mean_cost_bps: mean(&base, total_cost) * 1e4,
        },
        best: rows.iter().find(|r| r.rank == 1).cloned(),
        rows,
        score_note: SWING_SCORE_NOTE,
        levy_note: LEVY_NOTE,
    }
}

fn factor_text(r: &SwingRow) -> String {
    if r.factor > 0.0 {
        format!("a fixed {} factor", pct(r.factor))
    } else {
        "the dynamic factor (the day's estimated cost rate)".to_string()
    }
}

/// The stage's findings on gates and swing pricing: the recommended trigger and cap, the use
/// case's trigger judged against it, and the recommended swing setting.
pub fn findings(grid: &GateGrid, swing: &SwingCalibration) -> Vec<Finding> {
    let s = StageId::RedemptionPolicy;
    let mut out = Vec::new();
    let b = &grid.baseline;
    if let Some(r) = &grid.best {
        let protects = r.protection_score > 0.0 && r.gate_frequency > 0.0;
        let any_protects = grid
            .rows
            .iter()
            .any(|x| x.protection_score > 0.0 && x.gate_frequency > 0.0);
        let lead = if protects {
            format!(
                "The best gate of {} policies on {} scenarios over {} days is {}",
                grid.rows.len(),
                grid.scenarios,
                grid.horizon_days,
                r.label
            )
        } else if any_protects {
            format!(
                "The best-scoring of {} policies on {} scenarios over {} days is {}, although it does not reduce harm: with these weights, fewer gated days and needless gates count for more than the protection other gates give",
                grid.rows.len(),
                grid.scenarios,
                grid.horizon_days,
                r.label
            )
        } else {
            format!(
                "No gate of the {} policies protects remaining investors on {} scenarios over {} days: without a gate the fund falls short in {} of scenarios (mean {} of NAV) with {} of dilution, and no trigger level avoids more harm than it adds. The best-scoring policy is {}",
                grid.rows.len(),
                grid.scenarios,
                grid.horizon_days,
                p1(b.shortfall_frequency),
                p2(b.mean_shortfall),
                bps(b.mean_dilution_bps),
                r.label
            )
        };
        let scores = format!(
            "score {:.3}: protection {:.2}, operational {:.2}, reputation {:.2}",
            r.score, r.protection_score, r.operational_score, r.reputation_score
        );
        let text = if r.gate_frequency > 0.0 {
            format!(
                "{lead} ({scores}). It gates in {} of scenarios for {:.1} days on average, takes the shortfall frequency from {} to {} and the mean shortfall from {} to {} of NAV, and dilution from {} to {}; {} of its gates fall in scenarios that had no shortfall without a gate.",
                p1(r.gate_frequency),
                r.mean_gate_days,
                p1(b.shortfall_frequency),
                p1(r.shortfall_frequency),
                p2(b.mean_shortfall),
                p2(r.mean_shortfall),
                bps(b.mean_dilution_bps),
                bps(r.mean_dilution_bps),
                p1(r.unnecessary_gate_share),
            )
        } else {
            format!("{lead} ({scores}), whose trigger never fired: in effect, no gate.")
        };
        let mut values = trigger_values(r);
        values.extend([
            ("protects", protects as u8 as f64),
            ("gate_cap", r.gate_cap),
            ("score", r.score),
            ("gate_frequency", r.gate_frequency),
            ("mean_gate_days", r.mean_gate_days),
            ("baseline_shortfall_frequency", b.shortfall_frequency),
            ("shortfall_frequency", r.shortfall_frequency),
            ("baseline_mean_shortfall", b.mean_shortfall),
            ("mean_shortfall", r.mean_shortfall),
            ("baseline_mean_dilution_bps", b.mean_dilution_bps),
            ("mean_dilution_bps", r.mean_dilution_bps),
            ("unnecessary_gate_share", r.unnecessary_gate_share),
        ]);
        out.push(finding(s, "recommended_gate", text, &values));
        if let Some(f) = grid.best_firing.as_ref().filter(|f| f.rank != r.rank) {
            let mut values = trigger_values(f);
            values.extend([
                ("gate_cap", f.gate_cap),
                ("rank", f.rank as f64),
                ("score", f.score),
                ("gate_frequency", f.gate_frequency),
                ("mean_gate_days", f.mean_gate_days),
                ("shortfall_frequency", f.shortfall_frequency),
                ("mean_dilution_bps", f.mean_dilution_bps),
                ("unnecessary_gate_share", f.unnecessary_gate_share),
            ]);
            out.push(finding(
                s,
                "best_firing_gate",
                format!(
                    "If a gate is wanted all the same, the best that fires is {} (rank {}, score {:.3}): it gates in {} of scenarios for {:.1} days on average, shortfall frequency {} against {} without a gate, dilution {} against {}, and {} of its gates fall in scenarios that had no shortfall without one.",
                    f.label,
                    f.rank,
                    f.score,
                    p1(f.gate_frequency),
                    f.mean_gate_days,
                    p1(f.shortfall_frequency),
                    p1(b.shortfall_frequency),
                    bps(f.mean_dilution_bps),
                    bps(b.mean_dilution_bps),
                    p1(f.unnecessary_gate_share),
                ),
                &values,
            ));
        }
    }
    if let (Some(u), Some(best), Some(c)) = (&grid.use_case, &grid.best, &grid.use_case_claim) {
        let verdict = if c.rank == 1 {
            "is the best of the grid".to_string()
        } else if c.holds {
            format!("ranks near the top (within the top {})", c.near_top_ranks)
        } else {
            format!(
                "does NOT rank near the top (outside the top {})",
                c.near_top_ranks
            )
        };
        out.push(finding(
            s,
            "use_case_gate_claim",
            format!(
                "The use case's trigger — {} — {}: rank {} of {}, score {:.3} against {:.3} for the best. Against the best: protection {:.2} vs {:.2} (shortfall frequency {} vs {}, dilution {} vs {}), operational {:.2} vs {:.2} ({:.1} vs {:.1} gated days), reputation {:.2} vs {:.2} ({} vs {} of scenarios gated without need).",
                u.label,
                verdict,
                c.rank,
                c.of,
                u.score,
                best.score,
                u.protection_score,
                best.protection_score,
                p1(u.shortfall_frequency),
                p1(best.shortfall_frequency),
                bps(u.mean_dilution_bps),
                bps(best.mean_dilution_bps),
                u.operational_score,
                best.operational_score,
                u.mean_gate_days,
                best.mean_gate_days,
                u.reputation_score,
                best.reputation_score,
                p1(u.unnecessary_gate_frequency),
                p1(best.unnecessary_gate_frequency),
            ),
            &[
                ("holds", c.holds as u8 as f64),
                ("rank", c.rank as f64),
                ("of", c.of as f64),
                ("score", u.score),
                ("best_score", best.score),
                ("protection_score", u.protection_score),
                ("best_protection_score", best.protection_score),
                ("operational_score", u.operational_score),
                ("best_operational_score", best.operational_score),
                ("reputation_score", u.reputation_score),
                ("best_reputation_score", best.reputation_score),
                ("shortfall_frequency", u.shortfall_frequency),
                ("gate_frequency", u.gate_frequency),
                ("mean_gate_days", u.mean_gate_days),
            ],
        ));
    }
    let raised = grid
        .rows
        .iter()
        .filter(|r| r.shortfall_raised_share > 0.0)
        .max_by(|a, b| {
            a.shortfall_raised_share
                .total_cmp(&b.shortfall_raised_share)
        });
    if let Some(r) = raised {
        out.push(finding(
            s,
            "gate_feedback",
            format!(
                "A gate can make things worse here: under {} the shortfall grew in {} of scenarios compared with no gate (a gate feeds investors' liquidity concern, and so their requests).",
                r.label,
                p1(r.shortfall_raised_share)
            ),
            &[("shortfall_raised_share", r.shortfall_raised_share)],
        ));
    }
    if let Some(r) = &swing.best {
        out.push(finding(
            s,
            "recommended_swing",
            format!(
                "The best swing setting of {} is {} above {} of NAV of net outflow a day (cap {}): dilution falls from {} to {} ({} of NAV avoided), swing income {}, overcharge {}, score {:.3}. {}",
                swing.rows.len(),
                factor_text(r),
                pct(r.threshold),
                pct(swing.cap),
                bps(swing.baseline.mean_dilution_bps),
                bps(r.mean_dilution_bps),
                bps(r.dilution_avoided * 1e4),
                bps(r.mean_swing_income_bps),
                bps(r.mean_overcharge_bps),
                r.score,
                LEVY_NOTE,
            ),
            &[
                ("threshold", r.threshold),
                ("factor", r.factor),
                ("cap", swing.cap),
                ("baseline_mean_dilution_bps", swing.baseline.mean_dilution_bps),
                ("mean_dilution_bps", r.mean_dilution_bps),
                ("dilution_avoided", r.dilution_avoided),
                ("mean_swing_income_bps", r.mean_swing_income_bps),
                ("mean_overcharge_bps", r.mean_overcharge_bps),
                ("score", r.score),
            ],
        ));
    }
    out
}

/// The enabled triggers' thresholds (a trigger that is off has no value).
fn trigger_values(r: &GateRow) -> Vec<(&'static str, f64)> {
    [
        ("redemptions_30d", r.redemptions_30d),
        ("alr", r.alr),
        ("stress", r.stress),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| (k, v)))
    .collect()
}

/// `gate_grid.csv` (one row per grid point, in grid order) and `swing_calibration.csv`.
pub fn tables(grid: &GateGrid, swing: &SwingCalibration) -> Vec<Table> {
    let gate_rows = grid
        .rows
        .iter()
        .map(|r| {
            vec![
                text(&r.label),
                opt(r.redemptions_30d),
                opt(r.alr),
                opt(r.stress),
                num(r.gate_cap),
                opt(r.investor_gate_cap),
                r.fund_notice_days.to_string(),
                r.use_case.to_string(),
                num(r.gate_frequency),
                num(r.mean_gate_days),
                num(r.shortfall_frequency),
                num(r.mean_shortfall),
                num(r.mean_dilution_bps),
                num(r.mean_cost_bps),
                num(r.mean_deferred_end),
                num(r.shortfall_avoided),
                num(r.dilution_avoided),
                num(r.unnecessary_gate_share),
                num(r.unnecessary_gate_frequency),
                num(r.shortfall_raised_share),
                num(r.protection_score),
                num(r.operational_score),
                num(r.reputation_score),
                num(r.score),
                r.rank.to_string(),
            ]
        })
        .collect();
    let swing_rows = swing
        .rows
        .iter()
        .map(|r| {
            vec![
                num(r.threshold),
                num(r.factor),
                r.kind.to_string(),
                num(r.mean_dilution_bps),
                num(r.dilution_avoided),
                num(r.mean_swing_income_bps),
                num(r.mean_overcharge_bps),
                num(r.mean_cost_bps),
                num(r.swing_frequency),
                num(r.score),
                r.rank.to_string(),
            ]
        })
        .collect();
    vec![
        Table {
            file: "gate_grid.csv",
            header: header(&[
                "label",
                "redemptions_30d",
                "alr",
                "stress",
                "gate_cap",
                "investor_gate_cap",
                "fund_notice_days",
                "use_case",
                "gate_frequency",
                "mean_gate_days",
                "shortfall_frequency",
                "mean_shortfall",
                "mean_dilution_bps",
                "mean_cost_bps",
                "mean_deferred_end",
                "shortfall_avoided",
                "dilution_avoided",
                "unnecessary_gate_share",
                "unnecessary_gate_frequency",
                "shortfall_raised_share",
                "protection_score",
                "operational_score",
                "reputation_score",
                "score",
                "rank",
            ]),
            rows: gate_rows,
        },
        Table {
            file: "swing_calibration.csv",
            header: header(&[
                "threshold",
                "factor",
                "kind",
                "mean_dilution_bps",
                "dilution_avoided",
                "mean_swing_income_bps",
                "mean_overcharge_bps",
                "mean_cost_bps",
                "swing_frequency",
                "score",
                "rank",
            ]),
            rows: swing_rows,
        },
    ]
}

//! The records the GPU reads and writes: fund parameters, positions, investors, scenarios and the
//! per-scenario output. All `#[repr(C)]` + `bytemuck::Pod`, only `u32`/`f32` fields, explicit
//! padding, sizes checked at compile time.
//!
//! WGSL twin: `shaders/wgsl/params.wgsl` declares the same structs field for field.
//! Money is in units of the fund's initial NAV (NAV at day 0 = 1.0); rates are per day.

use bytemuck::{Pod, Zeroable};

/// Asset classes a scenario can shock separately (user classes map onto these indices).
pub const MAX_CLASSES: usize = 8;
/// Scripted redemption events a scenario can carry.
pub const MAX_SCRIPT_EVENTS: usize = 8;
/// Reported horizons, in days.
pub const HORIZONS: [u32; 4] = [1, 7, 30, 90];
/// Number of early-warning indicators (MODEL.md section 6).
pub const N_INDICATORS: usize = 14;
/// Components of the stress composite S.
pub const N_STRESS_COMPONENTS: usize = 6;
/// "Never happened" for a day field of the output record.
pub const NEVER: f32 = -1.0;

/// Mechanism switches (`FundParams::switches`). Each can be turned off alone so that every
/// mechanism can be checked against a closed form.
pub mod switch {
    /// Market noise (factor and class draws) and segment flow noise.
    pub const NOISE: u32 = 1 << 0;
    /// Redemptions respond to drawdown.
    pub const FEEDBACK_PERF: u32 = 1 << 1;
    /// Redemptions respond to recent fund outflows (herding).
    pub const FEEDBACK_HERD: u32 = 1 << 2;
    /// Redemptions respond to the liquidity concern signal.
    pub const FEEDBACK_LIQ: u32 = 1 << 3;
    /// Redemptions respond to the market stress composite.
    pub const FEEDBACK_STRESS: u32 = 1 << 4;
    /// Other holders sell alongside the fund's redeemers.
    pub const CROWDING: u32 = 1 << 5;
    /// Selling moves the price permanently.
    pub const PERM_IMPACT: u32 = 1 << 6;
    /// Credit line and repo.
    pub const FUNDING: u32 = 1 << 7;
    /// Fund-level redemption gates.
    pub const GATES: u32 = 1 << 8;
    /// Swing pricing.
    pub const SWING: u32 = 1 << 9;
    /// In-kind redemptions for large investors.
    pub const IN_KIND: u32 = 1 << 10;
    /// Investor-level gate on large investors.
    pub const INVESTOR_GATE: u32 = 1 << 11;
    /// Idiosyncratic per-position price noise.
    pub const IDIO_NOISE: u32 = 1 << 12;
    /// Large investors redeem (their hazards are evaluated).
    pub const LARGE_INVESTORS: u32 = 1 << 13;
    /// Segment base redemption flows.
    pub const BASE_FLOWS: u32 = 1 << 14;
    /// Other holders' selling follows the stress profile: `q_crowd = chi g(t) v0` (off:
    /// MODEL.md's `chi o(t) v0`, driven by the fund's own outflow).
    pub const STRESS_CROWDING: u32 = 1 << 15;
    /// The price impact booked is only the fund's own increment `phi (I(q + crowd) - I(crowd))`
    /// (off: `phi I(u)` whenever the fund or the crowd sells).
    pub const OWN_IMPACT_ONLY: u32 = 1 << 16;
    /// Redemption pressure follows the stress profile: `m(t) = 1 + (m_k - 1) g(t)` (off: `m_k`).
    pub const STRESS_FLOWS: u32 = 1 << 17;
    /// Liquidity concern is the proximity to the fund's gate triggers (off: MODEL.md's ALR
    /// shortfall plus the gate flag).
    pub const PROXIMITY_CONCERN: u32 = 1 << 18;
    /// All feedback channels.
    pub const FEEDBACK: u32 = FEEDBACK_PERF | FEEDBACK_HERD | FEEDBACK_LIQ | FEEDBACK_STRESS;
    /// Everything on except the options that are off by default (in-kind, investor gate,
    /// idiosyncratic noise).
    pub const DEFAULT: u32 = NOISE
        | FEEDBACK
        | CROWDING
        | PERM_IMPACT
        | FUNDING
        | GATES
        | SWING
        | LARGE_INVESTORS
        | BASE_FLOWS
        | STRESS_CROWDING
        | OWN_IMPACT_ONLY
        | STRESS_FLOWS
        | PROXIMITY_CONCERN;
}

/// Impact models (MODEL.md section 3.3).
pub mod impact {
    pub const LINEAR: u32 = 0;
    pub const SQUARE_ROOT: u32 = 1;
    pub const THRESHOLD: u32 = 2;
    pub const ADAPTIVE: u32 = 3;
}

/// Liquidation strategies (MODEL.md section 4).
pub mod strategy {
    pub const WATERFALL: u32 = 0;
    pub const PRO_RATA: u32 = 1;
    pub const MIN_COST: u32 = 2;
    pub const BALANCED: u32 = 3;
}

/// Gate trigger bits (`FundParams::gate_triggers`).
pub mod gate {
    pub const REDEMPTIONS_30D: u32 = 1 << 0;
    pub const ALR: u32 = 1 << 1;
    pub const STRESS: u32 = 1 << 2;
    /// `gate_rule`: a gate when any enabled trigger fires.
    pub const RULE_ANY: u32 = 0;
    /// `gate_rule`: a gate only when every enabled trigger fires.
    pub const RULE_ALL: u32 = 1;
}

/// Funding policies (`FundParams::funding_policy`).
pub mod funding {
    /// Draw only to cover settlement gaps and shortfalls.
    pub const BRIDGE: u32 = 0;
    /// Draw before selling: headroom counts as planned funding in the liquidation target.
    pub const FIRST: u32 = 1;
    /// Never draw.
    pub const NEVER: u32 = 2;
}

/// Buffer tiers (`PositionParams::tier`).
pub mod tier {
    pub const NONE: u32 = 0;
    pub const CASH_LIKE: u32 = 1;
    pub const SOVEREIGN: u32 = 2;
    pub const ETF: u32 = 3;
}

/// Position flags (`PositionParams::flags`).
pub mod pflag {
    /// Eligible as repo collateral.
    pub const REPO_ELIGIBLE: u32 = 1 << 0;
    /// Counts toward the illiquid share (SEC 22e-4 "illiquid" bucket, set by the host).
    pub const ILLIQUID: u32 = 1 << 1;
    /// Price shock from the rate shock through duration and convexity (sovereigns).
    pub const RATE_ROUTE: u32 = 1 << 2;
    /// Price shock from rate plus credit-spread shock through duration and convexity (credit).
    pub const SPREAD_ROUTE: u32 = 1 << 3;
}

/// Scenario flags (`ScenarioParams::flags`).
pub mod sflag {
    /// A scripted scenario: runs without noise.
    pub const SCRIPTED: u32 = 1 << 0;
    /// Bond prices follow rate and spread shocks through duration (positions with a route flag).
    pub const DURATION_ROUTE: u32 = 1 << 1;
}

/// The 14 early-warning indicators, in output order.
pub mod indicator {
    pub const REQUESTS_5D: usize = 0;
    pub const REQUESTS_30D: usize = 1;
    pub const QUEUED: usize = 2;
    pub const LARGE_NOTICES: usize = 3;
    pub const TOP10_SHARE: usize = 4;
    pub const INVESTOR_HHI: usize = 5;
    pub const BUFFER_SHARE: usize = 6;
    pub const ALR: usize = 7;
    pub const LCR_30D: usize = 8;
    pub const SPREAD_INDEX: usize = 9;
    pub const VOLUME_INDEX: usize = 10;
    pub const DEPTH_INDEX: usize = 11;
    pub const DRAWDOWN: usize = 12;
    pub const FUNDING_HEADROOM: usize = 13;
    /// Names as they appear in outputs.
    pub const NAMES: [&str; super::N_INDICATORS] = [
        "requests_5d",
        "requests_30d",
        "queued_redemptions",
        "large_investor_notices",
        "top10_share",
        "investor_hhi",
        "buffer_share",
        "alr",
        "lcr_30d",
        "spread_index",
        "volume_index",
        "depth_index",
        "nav_drawdown",
        "funding_headroom",
    ];
    /// Whether the indicator breaches when it falls *below* its threshold (otherwise above).
    pub const BREACH_BELOW: [bool; super::N_INDICATORS] = [
        false, false, false, false, false, false, true, true, true, false, false, false, false,
        true,
    ];
}

/// Fund-wide parameters: sizes, policy, funding, liquidation settings and switches.
/// WGSL twin: `FundParams` in `shaders/wgsl/params.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Pod, Zeroable)]
pub struct FundParams {
    pub n_positions: u32,
    pub n_classes: u32,
    pub n_segments: u32,
    pub n_large: u32,
    pub horizon: u32,
    /// Dealing days are `t % dealing_every == dealing_every - 1`.
    pub dealing_every: u32,
    /// Redemption settlement `r_set`: accepted redemptions are paid this many days later.
    pub redemption_settlement: u32,
    /// Fund-level notice days, added to every holder's own notice.
    pub fund_notice: u32,
    /// Length of the receivable/payable/request rings (> every lag, notice and `r_set`).
    pub ring: u32,
    pub switches: u32,
    pub impact_model: u32,
    pub strategy: u32,
    pub gate_triggers: u32,
    pub gate_rule: u32,
    pub gate_min_days: u32,
    pub funding_policy: u32,

    /// Max participation `pr`, fraction of the day's volume.
    pub participation_cap: f32,
    /// Permanent share of impact `phi_perm`.
    pub perm_fraction: f32,
    /// Threshold model's free participation `theta`.
    pub impact_threshold: f32,
    /// Adaptive model's daily decay `kappa` of past selling.
    pub adaptive_decay: f32,
    /// Fraction of the gap to the initial cash level rebuilt per dealing day (0 = off).
    pub buffer_rebuild_rate: f32,
    /// `balanced`: a class's weight may drift this far (relative) from its target.
    pub max_style_drift: f32,
    /// Cash at day 0 (fraction of NAV).
    pub initial_cash: f32,
    /// Marginal-cost penalty that ranks positions settling after the due date last.
    pub late_settlement_penalty: f32,

    /// Cap on a segment's daily redemption rate.
    pub lam_max: f32,
    pub gate_redemptions_30d: f32,
    pub gate_alr: f32,
    pub gate_stress: f32,
    /// Most of NAV paid per dealing day while gated.
    pub gate_cap: f32,
    /// Most of its holding a large investor receives per dealing day under the investor gate.
    pub gate_investor_cap: f32,
    pub swing_threshold: f32,
    pub swing_cap: f32,
    /// Fixed swing factor; 0 means "the estimated cost rate of today's liquidation".
    pub swing_fixed: f32,
    /// A large investor's redemption above this share of NAV is paid in kind.
    pub in_kind_threshold: f32,
    /// Committed credit line `L_cl`.
    pub credit_line: f32,
    /// Borrowing cap `L_max`.
    pub borrowing_cap: f32,
    /// Base repo haircut `hc0`.
    pub repo_haircut: f32,
    /// Daily interest on debt.
    pub funding_rate: f32,
    /// Trailing 5-day accepted outflow that counts as a liquidity event.
    pub event_outflow_5d: f32,
    /// Illiquid-share limit (15%).
    pub illiquid_limit: f32,
    /// Operating minimum of the buffer (fraction of initial NAV): the buffer counts as exhausted
    /// once cumulative cash redemptions leave less than this of it.
    pub buffer_exhausted_level: f32,
    /// Half-life in days of the transient part of the fund's own price impact (0: no decay, all
    /// of it permanent, the MODEL.md behaviour).
    pub impact_half_life: f32,
    /// Share of the fund's own price impact that never decays.
    pub impact_permanent_share: f32,
    /// Liquidity concern added while a fund-level gate is active (MODEL.md: 1).
    pub gate_concern: f32,
    /// Proximity to a gate trigger (value over trigger level) at which concern starts.
    pub concern_start: f32,
    /// NAV drawdown that counts as a liquidity event (outcome-based event definition).
    pub event_drawdown: f32,
    pub _pad0: [f32; 2],

    /// Weights of the stress composite: spread, volume, depth, drawdown, outflow, funding.
    pub stress_weights: [f32; N_STRESS_COMPONENTS],
    pub _pad1: [f32; 2],
    /// Thresholds of the 14 early-warning indicators (see [`indicator`]).
    pub indicator_thresholds: [f32; N_INDICATORS],
    pub _pad2: [f32; 2],
    /// Target weight of each class in the invested portfolio (for `balanced`).
    pub class_target_weight: [f32; MAX_CLASSES],
}

/// One position. WGSL twin: `PositionParams` in `shaders/wgsl/params.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct PositionParams {
    pub class: u32,
    /// Buffer tier ([`tier`]).
    pub tier: u32,
    /// [`pflag`] bits.
    pub flags: u32,
    /// Sale allowed only every `window` days (0 or 1: every day).
    pub window: u32,
    /// Settlement lag of sale proceeds, days.
    pub lag: u32,
    pub _pad: [u32; 3],
    /// Weight `w_p`, fraction of NAV (also the initial holding in units: prices start at 1).
    pub weight: f32,
    /// Market ADV `v0_p`, NAV units per day.
    pub adv: f32,
    /// Bid-ask spread `s0_p` (fraction).
    pub spread: f32,
    /// Daily volatility `sig0_p`.
    pub vol: f32,
    /// Impact coefficient: `Y_p` (square root, adaptive) or `eta_p` (linear, threshold).
    pub impact: f32,
    /// Modified duration (years), for the rate route.
    pub duration: f32,
    pub convexity: f32,
    /// Expected annual alpha, for the liquidation designer.
    pub alpha: f32,
}

/// One investor segment. WGSL twin: `SegmentParams`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct SegmentParams {
    /// Share of NAV `pi_s`.
    pub share: f32,
    /// Base daily redemption rate `b_s`.
    pub base_rate: f32,
    pub beta_perf: f32,
    pub beta_herd: f32,
    pub beta_liq: f32,
    pub beta_stress: f32,
    /// Daily flow noise `sig_flow_s`.
    pub flow_vol: f32,
    /// Notice days `n_s`.
    pub notice: u32,
}

/// One large investor. WGSL twin: `LargeInvestorParams`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct LargeInvestorParams {
    /// Stake `pi_i`, fraction of NAV.
    pub stake: f32,
    /// Base daily hazard `h0_i`.
    pub hazard: f32,
    /// Sensitivity to drawdown `a_i`.
    pub beta_perf: f32,
    /// Sensitivity to recent outflows `c_i`.
    pub beta_herd: f32,
    /// Sensitivity to liquidity concern `e_i`.
    pub beta_liq: f32,
    /// Sensitivity to stress `f_i`.
    pub beta_stress: f32,
    /// Fraction redeemed when it goes `phi_i`.
    pub fraction: f32,
    pub notice: u32,
}

/// One scenario's parameters, drawn on the host. WGSL twin: `ScenarioParams`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct ScenarioParams {
    /// Scenario family (host's numbering; carried for reporting).
    pub family: u32,
    /// Correlation regime: 0 normal, 1 stressed, 2 crisis.
    pub regime: u32,
    /// [`sflag`] bits.
    pub flags: u32,
    /// Number of scripted redemption events in use.
    pub n_events: u32,
    /// Onset day `t_on`.
    pub onset: u32,
    /// Ramp days `r`.
    pub ramp: u32,
    /// Plateau days `L`.
    pub plateau: u32,
    pub _pad0: u32,
    /// Recovery half-life `tau`, days.
    pub half_life: f32,
    /// Market-factor weight `rho_k`.
    pub rho: f32,
    /// Redemption intensity multiplier `m_k`.
    pub redemption_mult: f32,
    /// Redemption severity `sev_k` in [0, 1].
    pub redemption_severity: f32,
    /// Large-investor hazard multiplier.
    pub large_mult: f32,
    /// Funding shock `F_k` in [0, 1].
    pub funding_shock: f32,
    /// Repo haircut add-on `dhc_k`.
    pub haircut_addon: f32,
    /// Market severity in [0, 1] (for reporting and reverse stress).
    pub market_severity: f32,
    /// Sovereign rate shock `dy` (absolute, e.g. 0.01 = 100 bp).
    pub rate_shock: f32,
    /// Credit-spread shock added to `dy` for the spread route.
    pub credit_spread_shock: f32,
    /// Share of the ramp's price fall recovered as the stress profile decays (0: none).
    pub recovery: f32,
    pub _pad1: f32,
    /// Depth reduction `D_kc` per class.
    pub depth_cut: [f32; MAX_CLASSES],
    /// Spread widening multiple `W_kc`.
    pub spread_mult: [f32; MAX_CLASSES],
    /// Volume reduction `U_kc`.
    pub volume_cut: [f32; MAX_CLASSES],
    /// Total log-return over the ramp `R_kc`.
    pub price_shock: [f32; MAX_CLASSES],
    /// Volatility multiple `M_kc`.
    pub vol_mult: [f32; MAX_CLASSES],
    /// Crowding intensity `chi_kc`.
    pub crowding: [f32; MAX_CLASSES],
    /// Scripted events: day of the request.
    pub event_day: [u32; MAX_SCRIPT_EVENTS],
    /// Scripted events: holder (segments `0..S`, then large investors `S..S+I`).
    pub event_holder: [u32; MAX_SCRIPT_EVENTS],
    /// Scripted events: fraction of the holder's shares requested.
    pub event_fraction: [f32; MAX_SCRIPT_EVENTS],
}

/// The fixed-size per-scenario result (MODEL.md section 5). Money in initial-NAV units; days as
/// `f32` with [`NEVER`] for "did not happen". WGSL twin: `ScenarioOutput`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Pod, Zeroable)]
pub struct ScenarioOutput {
    pub requested: f32,
    pub accepted: f32,
    pub paid: f32,
    pub deferred_end: f32,
    pub gate_days: f32,
    pub first_gate_day: f32,
    /// Peak unpaid arrears.
    pub shortfall: f32,
    pub first_shortfall_day: f32,
    pub suspended: f32,
    pub cost_spread: f32,
    pub cost_impact: f32,
    /// Mark-to-market loss on what remains from the fund's own permanent impact.
    pub mtm_loss: f32,
    /// Final NAV per share over initial.
    pub nav_end: f32,
    pub max_drawdown: f32,
    pub min_alr: f32,
    pub min_cash: f32,
    pub buffer_exhausted_day: f32,
    pub peak_funding: f32,
    pub swing_income: f32,
    /// Liquidation costs borne by remaining investors, not recovered by swing pricing.
    pub dilution: f32,
    pub illiquid_end: f32,
    pub first_illiquid_breach_day: f32,
    pub large_redeemed: f32,
    /// Liquidity event: first shortfall, 5-day outflow above `event_outflow_5d` or NAV drawdown
    /// above `event_drawdown`.
    pub event_day: f32,
    /// Gross sales of positions outside the buffer tiers.
    pub portfolio_sold: f32,
    /// Paid in kind.
    pub in_kind: f32,
    pub funding_cost: f32,
    pub debt_end: f32,
    /// Accepted outflow (value) up to each horizon of [`HORIZONS`].
    pub cum_outflow: [f32; 4],
    /// Requested outflow (value) up to each horizon.
    pub cum_requested: [f32; 4],
    /// Liquidation cost up to each horizon.
    pub cum_cost: [f32; 4],
    /// First breach day of each early-warning indicator.
    pub ew_first_breach: [f32; N_INDICATORS],
    /// Shares redeemed (accepted), as a fraction of the shares in issue at day 0.
    pub accepted_shares: f32,
    pub _pad: f32,
}

const _: () = assert!(std::mem::size_of::<FundParams>() == 4 * (16 + 25 + 5 + 2 + 8 + 16 + 8));
const _: () = assert!(std::mem::size_of::<PositionParams>() == 64);
const _: () = assert!(std::mem::size_of::<SegmentParams>() == 32);
const _: () = assert!(std::mem::size_of::<LargeInvestorParams>() == 32);
const _: () = assert!(
    std::mem::size_of::<ScenarioParams>() == 4 * (8 + 12 + 6 * MAX_CLASSES + 3 * MAX_SCRIPT_EVENTS)
);
const _: () = assert!(std::mem::size_of::<ScenarioOutput>() == 4 * 56);
const _: () = assert!(std::mem::size_of::<FundParams>().is_multiple_of(16));
const _: () = assert!(std::mem::size_of::<ScenarioParams>().is_multiple_of(16));
const _: () = assert!(std::mem::size_of::<ScenarioOutput>().is_multiple_of(16));

/// Field names of [`ScenarioOutput`] in memory order, for CSV headers and comparators.
pub fn output_field_names() -> Vec<String> {
    let mut v: Vec<String> = [
        "requested",
        "accepted",
        "paid",
        "deferred_end",
        "gate_days",
        "first_gate_day",
        "shortfall",
        "first_shortfall_day",
        "suspended",
        "cost_spread",
        "cost_impact",
        "mtm_loss",
        "nav_end",
        "max_drawdown",
        "min_alr",
        "min_cash",
        "buffer_exhausted_day",
        "peak_funding",
        "swing_income",
        "dilution",
        "illiquid_end",
        "first_illiquid_breach_day",
        "large_redeemed",
        "event_day",
        "portfolio_sold",
        "in_kind",
        "funding_cost",
        "debt_end",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for prefix in ["cum_outflow", "cum_requested", "cum_cost"] {
        for h in HORIZONS {
            v.push(format!("{prefix}_{h}d"));
        }
    }
    for name in indicator::NAMES {
        v.push(format!("ew_{name}"));
    }
    v.push("accepted_shares".to_string());
    v
}

impl ScenarioOutput {
    /// Meaningful words of the record (padding dropped).
    pub const WORDS: usize = 55;
    /// The record as a flat slice of its 55 meaningful words (padding dropped).
    pub fn as_words(&self) -> &[f32] {
        &bytemuck::cast_slice::<ScenarioOutput, f32>(std::slice::from_ref(self))[..Self::WORDS]
    }
    /// Mutable access to the same words (tests corrupt results through this).
    pub fn as_words_mut(&mut self) -> &mut [f32] {
        &mut bytemuck::cast_slice_mut::<ScenarioOutput, f32>(std::slice::from_mut(self))
            [..Self::WORDS]
    }
}

/// Everything about a fund the kernel needs, in GPU-ready form.
#[derive(Clone, Debug, PartialEq)]
pub struct FundModel {
    pub params: FundParams,
    pub positions: Vec<PositionParams>,
    pub segments: Vec<SegmentParams>,
    pub large: Vec<LargeInvestorParams>,
    /// Waterfall sale order: position indices, first sold first.
    pub waterfall_order: Vec<u32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_names_cover_every_word() {
        let names = output_field_names();
        assert_eq!(names.len(), 55);
        assert_eq!(names.len(), ScenarioOutput::WORDS);
        let mut o = ScenarioOutput::default();
        o.ew_first_breach[13] = 7.0;
        assert_eq!(o.as_words()[53], 7.0);
        assert_eq!(names[53], "ew_funding_headroom");
        o.cum_outflow[0] = 3.0;
        assert_eq!(o.as_words()[28], 3.0);
        assert_eq!(names[28], "cum_outflow_1d");
        o.accepted_shares = 0.25;
        assert_eq!(o.as_words()[54], 0.25);
        assert_eq!(names[54], "accepted_shares");
    }
}

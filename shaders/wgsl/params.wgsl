// The records the GPU reads and writes: fund parameters, positions, investors, scenarios and the
// per-scenario output.
//
// Rust twin: `kernel/src/params.rs`. Every struct here declares the fields of its `#[repr(C)]`
// twin in the same order, with the same names and the same padding. All of them are used in
// storage buffers, where scalars and `array<f32, N>` have 4-byte alignment and stride, so the
// WGSL layout is exactly the Rust one (a uniform buffer would impose 16-byte array strides; these
// records are never bound as uniforms). `undertow-shaders`' tests parse this file with naga and
// compare every member's name and offset, and every struct's size, with the Rust structs.
//
// Shared code: no bindings, no entry points; composed in front of the stages that use it.

// Sizes of the fixed arrays (twins of the Rust constants of the same names).
const MAX_CLASSES: u32 = 8u;
const MAX_SCRIPT_EVENTS: u32 = 8u;
const N_INDICATORS: u32 = 14u;
const N_STRESS_COMPONENTS: u32 = 6u;
// "Never happened" for a day field of the output record.
const NEVER: f32 = -1.0;

// Mechanism switches (`FundParams::switches`). Twin: `kernel::params::switch`.
const SWITCH_NOISE: u32 = 1u << 0u;
const SWITCH_FEEDBACK_PERF: u32 = 1u << 1u;
const SWITCH_FEEDBACK_HERD: u32 = 1u << 2u;
const SWITCH_FEEDBACK_LIQ: u32 = 1u << 3u;
const SWITCH_FEEDBACK_STRESS: u32 = 1u << 4u;
const SWITCH_CROWDING: u32 = 1u << 5u;
const SWITCH_PERM_IMPACT: u32 = 1u << 6u;
const SWITCH_FUNDING: u32 = 1u << 7u;
const SWITCH_GATES: u32 = 1u << 8u;
const SWITCH_SWING: u32 = 1u << 9u;
const SWITCH_IN_KIND: u32 = 1u << 10u;
const SWITCH_INVESTOR_GATE: u32 = 1u << 11u;
const SWITCH_IDIO_NOISE: u32 = 1u << 12u;
const SWITCH_LARGE_INVESTORS: u32 = 1u << 13u;
const SWITCH_BASE_FLOWS: u32 = 1u << 14u;
const SWITCH_STRESS_CROWDING: u32 = 1u << 15u;
const SWITCH_OWN_IMPACT_ONLY: u32 = 1u << 16u;
const SWITCH_STRESS_FLOWS: u32 = 1u << 17u;
const SWITCH_PROXIMITY_CONCERN: u32 = 1u << 18u;

// Impact models (`FundParams::impact_model`). Twin: `kernel::params::impact`.
const IMPACT_LINEAR: u32 = 0u;
const IMPACT_SQUARE_ROOT: u32 = 1u;
const IMPACT_THRESHOLD: u32 = 2u;
const IMPACT_ADAPTIVE: u32 = 3u;

// Liquidation strategies (`FundParams::strategy`). Twin: `kernel::params::strategy`.
const STRATEGY_WATERFALL: u32 = 0u;
const STRATEGY_PRO_RATA: u32 = 1u;
const STRATEGY_MIN_COST: u32 = 2u;
const STRATEGY_BALANCED: u32 = 3u;

// Gate trigger bits and rules. Twin: `kernel::params::gate`.
const GATE_REDEMPTIONS_30D: u32 = 1u << 0u;
const GATE_ALR: u32 = 1u << 1u;
const GATE_STRESS: u32 = 1u << 2u;
const GATE_RULE_ANY: u32 = 0u;
const GATE_RULE_ALL: u32 = 1u;

// Funding policies (`FundParams::funding_policy`). Twin: `kernel::params::funding`.
const FUNDING_BRIDGE: u32 = 0u;
const FUNDING_FIRST: u32 = 1u;
const FUNDING_NEVER: u32 = 2u;

// Buffer tiers (`PositionParams::tier`). Twin: `kernel::params::tier`.
const TIER_NONE: u32 = 0u;
const TIER_CASH_LIKE: u32 = 1u;
const TIER_SOVEREIGN: u32 = 2u;
const TIER_ETF: u32 = 3u;

// Position flags (`PositionParams::flags`). Twin: `kernel::params::pflag`.
const PFLAG_REPO_ELIGIBLE: u32 = 1u << 0u;
const PFLAG_ILLIQUID: u32 = 1u << 1u;
const PFLAG_RATE_ROUTE: u32 = 1u << 2u;
const PFLAG_SPREAD_ROUTE: u32 = 1u << 3u;

// Scenario flags (`ScenarioParams::flags`). Twin: `kernel::params::sflag`.
const SFLAG_SCRIPTED: u32 = 1u << 0u;
const SFLAG_DURATION_ROUTE: u32 = 1u << 1u;

// Fund-wide parameters: sizes, policy, funding, liquidation settings and switches.
// Rust twin: `kernel::params::FundParams`.
struct FundParams {
    n_positions: u32,
    n_classes: u32,
    n_segments: u32,
    n_large: u32,
    horizon: u32,
    dealing_every: u32,
    redemption_settlement: u32,
    fund_notice: u32,
    ring: u32,
    switches: u32,
    impact_model: u32,
    strategy: u32,
    gate_triggers: u32,
    gate_rule: u32,
    gate_min_days: u32,
    funding_policy: u32,

    participation_cap: f32,
    perm_fraction: f32,
    impact_threshold: f32,
    adaptive_decay: f32,
    buffer_rebuild_rate: f32,
    max_style_drift: f32,
    initial_cash: f32,
    late_settlement_penalty: f32,

    lam_max: f32,
    gate_redemptions_30d: f32,
    gate_alr: f32,
    gate_stress: f32,
    gate_cap: f32,
    gate_investor_cap: f32,
    swing_threshold: f32,
    swing_cap: f32,
    swing_fixed: f32,
    in_kind_threshold: f32,
    credit_line: f32,
    borrowing_cap: f32,
    repo_haircut: f32,
    funding_rate: f32,
    event_outflow_5d: f32,
    illiquid_limit: f32,
    buffer_exhausted_level: f32,
    impact_half_life: f32,
    impact_permanent_share: f32,
    gate_concern: f32,
    concern_start: f32,
    event_drawdown: f32,
    _pad0: array<f32, 2>,

    stress_weights: array<f32, N_STRESS_COMPONENTS>,
    _pad1: array<f32, 2>,
    indicator_thresholds: array<f32, N_INDICATORS>,
    _pad2: array<f32, 2>,
    class_target_weight: array<f32, MAX_CLASSES>,
}

// One position. Rust twin: `kernel::params::PositionParams`. WGSL reserves `class`, so the Rust
// field `class` is `asset_class` here.
struct PositionParams {
    asset_class: u32,
    tier: u32,
    flags: u32,
    window: u32,
    lag: u32,
    _pad: array<u32, 3>,
    weight: f32,
    adv: f32,
    spread: f32,
    vol: f32,
    impact: f32,
    duration: f32,
    convexity: f32,
    alpha: f32,
}

// One investor segment. Rust twin: `kernel::params::SegmentParams`.
struct SegmentParams {
    share: f32,
    base_rate: f32,
    beta_perf: f32,
    beta_herd: f32,
    beta_liq: f32,
    beta_stress: f32,
    flow_vol: f32,
    notice: u32,
}

// One large investor. Rust twin: `kernel::params::LargeInvestorParams`.
struct LargeInvestorParams {
    stake: f32,
    hazard: f32,
    beta_perf: f32,
    beta_herd: f32,
    beta_liq: f32,
    beta_stress: f32,
    fraction: f32,
    notice: u32,
}

// One scenario's parameters, drawn on the host. Rust twin: `kernel::params::ScenarioParams`.
struct ScenarioParams {
    family: u32,
    regime: u32,
    flags: u32,
    n_events: u32,
    onset: u32,
    ramp: u32,
    plateau: u32,
    _pad0: u32,
    half_life: f32,
    rho: f32,
    redemption_mult: f32,
    redemption_severity: f32,
    large_mult: f32,
    funding_shock: f32,
    haircut_addon: f32,
    market_severity: f32,
    rate_shock: f32,
    credit_spread_shock: f32,
    recovery: f32,
    _pad1: f32,
    depth_cut: array<f32, MAX_CLASSES>,
    spread_mult: array<f32, MAX_CLASSES>,
    volume_cut: array<f32, MAX_CLASSES>,
    price_shock: array<f32, MAX_CLASSES>,
    vol_mult: array<f32, MAX_CLASSES>,
    crowding: array<f32, MAX_CLASSES>,
    event_day: array<u32, MAX_SCRIPT_EVENTS>,
    event_holder: array<u32, MAX_SCRIPT_EVENTS>,
    event_fraction: array<f32, MAX_SCRIPT_EVENTS>,
}

// The fixed-size per-scenario result (MODEL.md section 5). Money in initial-NAV units; days as
// f32 with NEVER for "did not happen". Rust twin: `kernel::params::ScenarioOutput`.
struct ScenarioOutput {
    requested: f32,
    accepted: f32,
    paid: f32,
    deferred_end: f32,
    gate_days: f32,
    first_gate_day: f32,
    shortfall: f32,
    first_shortfall_day: f32,
    suspended: f32,
    cost_spread: f32,
    cost_impact: f32,
    mtm_loss: f32,
    nav_end: f32,
    max_drawdown: f32,
    min_alr: f32,
    min_cash: f32,
    buffer_exhausted_day: f32,
    peak_funding: f32,
    swing_income: f32,
    dilution: f32,
    illiquid_end: f32,
    first_illiquid_breach_day: f32,
    large_redeemed: f32,
    event_day: f32,
    portfolio_sold: f32,
    in_kind: f32,
    funding_cost: f32,
    debt_end: f32,
    cum_outflow: array<f32, 4>,
    cum_requested: array<f32, 4>,
    cum_cost: array<f32, 4>,
    ew_first_breach: array<f32, N_INDICATORS>,
    accepted_shares: f32,
    _pad: f32,
}

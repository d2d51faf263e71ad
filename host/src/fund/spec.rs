//! The fund file as a user writes it: the TOML schema in the units a risk team uses (currency,
//! basis points, annual volatilities and rates, named options). Nothing here is checked beyond
//! its type; `validate` checks values and `convert` turns them into kernel units.
//!
//! Every section denies unknown fields, so a misspelt key is an error rather than a silently
//! ignored setting. Defaults live in one place per section: its `Default` impl or the
//! `default_*` functions below, and `docs/fund-file.md` repeats them.

use std::fmt;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;
use undertow_kernel::{funding, gate, impact, pflag, strategy, switch, tier};

use super::ClassKind;
use crate::scenarios::ScenarioConfig;

/// Declares a closed set of names read from the fund file (and from the positions CSV), with the
/// name each variant is written as and the kernel code it stands for.
macro_rules! named_enum {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $text:literal => $code:expr, )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $text)] $variant, )+
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The name as written in a fund file.
            pub fn name(self) -> &'static str {
                match self { $($name::$variant => $text,)+ }
            }

            /// The kernel's code for this option.
            pub fn code(self) -> u32 {
                match self { $($name::$variant => $code,)+ }
            }

            /// The variant a kernel code stands for, if any.
            pub fn from_code(code: u32) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.code() == code)
            }

            /// The fund-file name of a kernel code, or "unknown" for a code no variant has
            /// (outputs name the options a run used this way).
            pub fn name_of_code(code: u32) -> &'static str {
                Self::from_code(code).map_or("unknown", Self::name)
            }

            /// Every name, in declaration order.
            pub fn names() -> Vec<&'static str> {
                Self::ALL.iter().map(|v| v.name()).collect()
            }

            /// Looks a name up (exact match, as in the TOML file).
            pub fn from_name(text: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|v| v.name() == text)
            }

            /// The accepted names, quoted and separated for an error message.
            pub fn expected() -> String {
                let names: Vec<String> = Self::ALL.iter().map(|v| format!("\"{}\"", v.name())).collect();
                names.join(", ")
            }
        }
    };
}

named_enum! {
    /// How often the fund deals. The code is the kernel's `dealing_every`, in days.
    Dealing {
        Daily = "daily" => 1,
        /// Five business days.
        Weekly = "weekly" => 5,
        /// Twenty-one business days.
        Monthly = "monthly" => 21,
    }
}

named_enum! {
    /// Buffer tier of a position (`PositionParams::tier`).
    Tier {
        None = "none" => tier::NONE,
        CashLike = "cash_like" => tier::CASH_LIKE,
        Sovereign = "sovereign" => tier::SOVEREIGN,
        Etf = "etf" => tier::ETF,
    }
}

named_enum! {
    /// Where a position's scenario price shock comes from. The code is its [`pflag`] bit.
    PriceRoute {
        /// The asset-class price shock `R_kc`.
        None = "none" => 0,
        /// The sovereign rate shock through duration and convexity.
        Rate = "rate" => pflag::RATE_ROUTE,
        /// Rate plus credit-spread shock through duration and convexity.
        Spread = "spread" => pflag::SPREAD_ROUTE,
    }
}

named_enum! {
    /// Liquidation strategy (MODEL.md section 4).
    Strategy {
        Waterfall = "waterfall" => strategy::WATERFALL,
        ProRata = "pro_rata" => strategy::PRO_RATA,
        MinCost = "min_cost" => strategy::MIN_COST,
        Balanced = "balanced" => strategy::BALANCED,
    }
}

named_enum! {
    /// Market-impact model (MODEL.md section 3.3).
    ImpactModel {
        Linear = "linear" => impact::LINEAR,
        SquareRoot = "square_root" => impact::SQUARE_ROOT,
        Threshold = "threshold" => impact::THRESHOLD,
        Adaptive = "adaptive" => impact::ADAPTIVE,
    }
}

named_enum! {
    /// When the fund borrows (MODEL.md section 1.5).
    FundingPolicy {
        Bridge = "bridge" => funding::BRIDGE,
        First = "first" => funding::FIRST,
        Never = "never" => funding::NEVER,
    }
}

named_enum! {
    /// How enabled gate triggers combine.
    GateRule {
        Any = "any" => gate::RULE_ANY,
        All = "all" => gate::RULE_ALL,
    }
}

named_enum! {
    /// A gate trigger. The code is its bit in `FundParams::gate_triggers`.
    GateTrigger {
        Redemptions30d = "redemptions_30d" => gate::REDEMPTIONS_30D,
        Alr = "alr" => gate::ALR,
        Stress = "stress" => gate::STRESS,
    }
}

/// The whole fund file.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FundFile {
    /// Positions in a CSV file instead of `[[positions]]`; the path is relative to the fund file.
    #[serde(default)]
    pub positions_csv: Option<String>,
    pub fund: FundSection,
    /// Asset classes in kernel index order; the four default classes when absent.
    #[serde(default = "default_classes")]
    pub classes: Vec<ClassSpec>,
    #[serde(default)]
    pub positions: Vec<PositionSpec>,
    #[serde(default)]
    pub segments: Vec<SegmentSpec>,
    #[serde(default)]
    pub large_investors: Vec<LargeInvestorSpec>,
    #[serde(default)]
    pub policy: PolicySection,
    #[serde(default)]
    pub funding: FundingSection,
    #[serde(default)]
    pub liquidation: LiquidationSection,
    #[serde(default)]
    pub model: ModelSection,
    #[serde(default)]
    pub indicators: IndicatorSection,
    #[serde(default)]
    pub scenarios: ScenarioConfig,
}

/// `[fund]`: who the fund is and how it deals.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FundSection {
    pub name: String,
    /// ISO 4217 code of the base currency; labels only, no conversion.
    #[serde(default = "default_currency")]
    pub currency: String,
    /// Assets under management, in currency.
    pub aum: f64,
    #[serde(default = "default_dealing")]
    pub dealing: Dealing,
    /// Days from dealing to payment of an accepted redemption (`r_set`).
    #[serde(default = "default_redemption_settlement_days")]
    pub redemption_settlement_days: u32,
    /// Fund-level notice days, added to every holder's own notice.
    #[serde(default)]
    pub notice_days: u32,
    /// Expected annual portfolio return (for the opportunity cost of buffers).
    #[serde(default = "default_expected_return")]
    pub expected_return: f64,
    /// Simulated days.
    #[serde(default = "default_horizon_days")]
    pub horizon_days: u32,
    /// Cash at day 0, fraction of NAV. Position weights plus cash sum to 1.
    #[serde(default)]
    pub cash: f64,
}

/// `[[classes]]`: one asset class.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassSpec {
    pub name: String,
    pub kind: ClassKind,
}

/// `[[positions]]` (or one row of the positions CSV).
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PositionSpec {
    pub id: String,
    /// Name of one of the fund's classes.
    pub class: String,
    /// Segment label for reports ("large cap", "high yield"); the id when empty.
    #[serde(default)]
    pub label: String,
    /// Fraction of NAV.
    pub weight: f64,
    /// Average daily traded value of what the position holds, in currency per day.
    pub adv: f64,
    /// Quoted bid-ask spread, basis points of price.
    pub spread_bps: f64,
    /// Annualised volatility (0.16 = 16%).
    pub vol_annual: f64,
    /// Impact coefficient: `Y` for square-root and adaptive impact, `eta` for linear and
    /// threshold impact.
    pub impact: f64,
    /// Days from sale to cash.
    #[serde(default = "default_settlement_days")]
    pub settlement_days: u32,
    /// The holding can be sold only every this many days (fund-of-fund and alternative holdings);
    /// 0 or 1 means every day.
    #[serde(default)]
    pub redemption_window_days: u32,
    #[serde(default = "default_tier")]
    pub tier: Tier,
    #[serde(default)]
    pub repo_eligible: bool,
    /// Modified duration, years.
    #[serde(default)]
    pub duration: f64,
    /// Convexity, years squared.
    #[serde(default)]
    pub convexity: f64,
    #[serde(default = "default_price_route")]
    pub price_route: PriceRoute,
    /// Expected annual alpha over the portfolio (for the liquidation designer).
    #[serde(default)]
    pub alpha: f64,
    /// Overrides the computed SEC 22e-4 "illiquid" classification.
    #[serde(default)]
    pub illiquid: Option<bool>,
}

/// `[[segments]]`: a group of many small investors.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentSpec {
    pub name: String,
    /// Fraction of NAV held.
    pub share: f64,
    /// Base daily redemption rate, fraction of the segment's shares per day.
    pub base_rate: f64,
    #[serde(default)]
    pub beta_perf: f64,
    #[serde(default)]
    pub beta_herd: f64,
    #[serde(default)]
    pub beta_liq: f64,
    #[serde(default)]
    pub beta_stress: f64,
    /// Standard deviation of the daily flow noise, fraction of shares per day.
    #[serde(default)]
    pub flow_vol: f64,
    #[serde(default)]
    pub notice_days: u32,
}

/// `[[large_investors]]`: one large holder, modelled individually.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LargeInvestorSpec {
    pub name: String,
    /// Fraction of NAV held.
    pub stake: f64,
    /// Base daily redemption hazard.
    pub hazard: f64,
    #[serde(default)]
    pub beta_perf: f64,
    #[serde(default)]
    pub beta_herd: f64,
    #[serde(default)]
    pub beta_liq: f64,
    #[serde(default)]
    pub beta_stress: f64,
    /// Fraction of its shares redeemed when it goes.
    #[serde(default = "default_fraction")]
    pub fraction: f64,
    #[serde(default)]
    pub notice_days: u32,
}

/// `[policy]`: gates, swing pricing and in-kind redemptions.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PolicySection {
    pub gates: GateSection,
    pub swing: SwingSection,
    pub in_kind: InKindSection,
}

/// `[policy.gates]`. Whether gates run at all is `[model] gates`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GateSection {
    /// The triggers in use.
    pub triggers: Vec<GateTrigger>,
    pub rule: GateRule,
    /// Trailing 30-day redemption requests above this fraction of NAV.
    pub redemptions_30d: f64,
    /// Available liquidity ratio below this.
    pub alr: f64,
    /// Stress composite (0 to 1) above this.
    pub stress: f64,
    /// Most of NAV paid per dealing day while gated.
    pub cap: f64,
    /// A gate, once on, stays on at least this many days.
    pub min_days: u32,
    /// Investor-level gate: most of its holding a large investor receives per dealing day.
    pub investor_cap: f64,
}

impl Default for GateSection {
    fn default() -> Self {
        GateSection {
            triggers: vec![GateTrigger::Redemptions30d, GateTrigger::Alr],
            rule: GateRule::Any,
            redemptions_30d: 0.15,
            alr: 1.2,
            stress: 0.7,
            cap: 0.10,
            min_days: 5,
            investor_cap: 0.25,
        }
    }
}

/// `[policy.swing]`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SwingSection {
    /// Net outflow accepted in a day above this fraction of NAV swings the price.
    pub threshold: f64,
    /// Largest swing factor.
    pub cap: f64,
    /// Fixed swing factor; 0 uses the estimated cost rate of the day's liquidation.
    pub fixed: f64,
}

impl Default for SwingSection {
    fn default() -> Self {
        SwingSection {
            threshold: 0.01,
            cap: 0.02,
            fixed: 0.0,
        }
    }
}

/// `[policy.in_kind]`. Whether in-kind redemptions run at all is `[model] in_kind`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InKindSection {
    /// A large investor's redemption above this fraction of NAV is paid in kind.
    pub threshold: f64,
}

impl Default for InKindSection {
    fn default() -> Self {
        InKindSection { threshold: 0.05 }
    }
}

/// `[funding]`: credit line and repo. Whether funding runs at all is `[model] funding`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FundingSection {
    pub policy: FundingPolicy,
    /// Committed credit line, fraction of NAV.
    pub credit_line: f64,
    /// Most the fund may borrow, fraction of NAV (UCITS: 10% temporary borrowing).
    pub borrowing_cap: f64,
    /// Base repo haircut on eligible holdings.
    pub repo_haircut: f64,
    /// Annual interest rate on borrowing.
    pub rate: f64,
}

impl Default for FundingSection {
    fn default() -> Self {
        FundingSection {
            policy: FundingPolicy::Bridge,
            credit_line: 0.0,
            borrowing_cap: 0.10,
            repo_haircut: 0.05,
            rate: 0.05,
        }
    }
}

/// `[liquidation]`.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LiquidationSection {
    pub strategy: Strategy,
    pub impact_model: ImpactModel,
    /// Most of a day's volume the fund sells, per position.
    pub participation_cap: f64,
    /// Share of impact that moves the price permanently.
    pub permanent_fraction: f64,
    /// Threshold model: participation (fraction of depth) traded without impact.
    pub threshold: f64,
    /// Adaptive model: daily decay rate of the memory of past selling.
    pub adaptive_decay: f64,
    /// Fraction of the gap to the initial cash level rebuilt per dealing day (0 = off).
    pub buffer_rebuild_rate: f64,
    /// `balanced`: a class's weight may drift this far (relative) from its target.
    pub max_style_drift: f64,
    /// Marginal-cost penalty (fraction of the amount sold) that ranks positions settling after
    /// the redemption due date last.
    pub late_settlement_penalty: f64,
    /// Half-life in days of the transient part of the fund's own price impact (0: never decays).
    pub impact_half_life_days: f64,
    /// Share of the fund's own price impact that never decays.
    pub impact_permanent_share: f64,
    pub waterfall_order: WaterfallOrder,
}

impl Default for LiquidationSection {
    fn default() -> Self {
        LiquidationSection {
            strategy: Strategy::MinCost,
            impact_model: ImpactModel::SquareRoot,
            participation_cap: 0.2,
            permanent_fraction: 0.5,
            threshold: 0.05,
            adaptive_decay: 0.5,
            buffer_rebuild_rate: 0.0,
            max_style_drift: 0.10,
            late_settlement_penalty: 0.10,
            impact_half_life_days: 10.0,
            impact_permanent_share: 0.5,
            waterfall_order: WaterfallOrder::StressedCost,
        }
    }
}

/// `waterfall_order`: the sale order for the `waterfall` strategy.
#[derive(Clone, Debug, PartialEq)]
pub enum WaterfallOrder {
    /// The order of the positions in the file.
    Given,
    /// Cheapest first by stressed cost per unit sold; positions that settle late go last.
    StressedCost,
    /// These position ids first, in this order; the rest follow by stressed cost.
    Ids(Vec<String>),
}

impl<'de> Deserialize<'de> for WaterfallOrder {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct OrderVisitor;

        impl<'de> Visitor<'de> for OrderVisitor {
            type Value = WaterfallOrder;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("\"given\", \"stressed_cost\" or a list of position ids")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                match v {
                    "given" => Ok(WaterfallOrder::Given),
                    "stressed_cost" => Ok(WaterfallOrder::StressedCost),
                    other => Err(E::custom(format!(
                        "unknown waterfall order `{other}`, expected \"given\", \"stressed_cost\" \
                         or a list of position ids"
                    ))),
                }
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut ids = Vec::new();
                while let Some(id) = seq.next_element::<String>()? {
                    ids.push(id);
                }
                Ok(WaterfallOrder::Ids(ids))
            }
        }

        deserializer.deserialize_any(OrderVisitor)
    }
}

/// `[model]`: one switch per mechanism (kernel `switch` module), plus the cap on segment rates.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModelSection {
    pub noise: bool,
    pub feedback_performance: bool,
    pub feedback_herding: bool,
    pub feedback_liquidity: bool,
    pub feedback_stress: bool,
    pub crowding: bool,
    pub permanent_impact: bool,
    pub funding: bool,
    pub gates: bool,
    pub swing_pricing: bool,
    pub in_kind: bool,
    pub investor_gate: bool,
    pub idiosyncratic_noise: bool,
    pub large_investors: bool,
    pub base_flows: bool,
    /// Other holders' selling follows the stress profile (`chi g(t) v0`).
    pub crowding_follows_stress: bool,
    /// Book only the fund's own increment of price impact.
    pub own_impact_only: bool,
    /// Redemption pressure follows the stress profile (`m(t) = 1 + (m_k - 1) g(t)`).
    pub flows_follow_stress: bool,
    /// Liquidity concern is the proximity to the gate triggers.
    pub concern_from_triggers: bool,
    /// Cap on a segment's daily redemption rate `lam_max`.
    pub lam_max: f64,
    /// Proximity to a gate trigger (value over level) at which liquidity concern starts.
    pub concern_start: f64,
    /// Liquidity concern added while a gate is active (MODEL.md: 1).
    pub gate_concern: f64,
}

impl ModelSection {
    /// Each switch with its kernel bit, in the order the file lists them.
    pub fn switches(&self) -> [(&'static str, bool, u32); 19] {
        [
            ("noise", self.noise, switch::NOISE),
            (
                "feedback_performance",
                self.feedback_performance,
                switch::FEEDBACK_PERF,
            ),
            (
                "feedback_herding",
                self.feedback_herding,
                switch::FEEDBACK_HERD,
            ),
            (
                "feedback_liquidity",
                self.feedback_liquidity,
                switch::FEEDBACK_LIQ,
            ),
            (
                "feedback_stress",
                self.feedback_stress,
                switch::FEEDBACK_STRESS,
            ),
            ("crowding", self.crowding, switch::CROWDING),
            (
                "permanent_impact",
                self.permanent_impact,
                switch::PERM_IMPACT,
            ),
            ("funding", self.funding, switch::FUNDING),
            ("gates", self.gates, switch::GATES),
            ("swing_pricing", self.swing_pricing, switch::SWING),
            ("in_kind", self.in_kind, switch::IN_KIND),
            ("investor_gate", self.investor_gate, switch::INVESTOR_GATE),
            (
                "idiosyncratic_noise",
                self.idiosyncratic_noise,
                switch::IDIO_NOISE,
            ),
            (
                "large_investors",
                self.large_investors,
                switch::LARGE_INVESTORS,
            ),
            ("base_flows", self.base_flows, switch::BASE_FLOWS),
            (
                "crowding_follows_stress",
                self.crowding_follows_stress,
                switch::STRESS_CROWDING,
            ),
            (
                "own_impact_only",
                self.own_impact_only,
                switch::OWN_IMPACT_ONLY,
            ),
            (
                "flows_follow_stress",
                self.flows_follow_stress,
                switch::STRESS_FLOWS,
            ),
            (
                "concern_from_triggers",
                self.concern_from_triggers,
                switch::PROXIMITY_CONCERN,
            ),
        ]
    }

    /// The kernel's `switches` word.
    pub fn bits(&self) -> u32 {
        self.switches()
            .iter()
            .filter(|(_, on, _)| *on)
            .fold(0, |bits, (_, _, bit)| bits | bit)
    }

    /// The switches set from a kernel `switches` word, with the default `lam_max`,
    /// `concern_start` and `gate_concern`.
    pub fn from_bits(bits: u32) -> Self {
        let on = |bit: u32| bits & bit != 0;
        ModelSection {
            noise: on(switch::NOISE),
            feedback_performance: on(switch::FEEDBACK_PERF),
            feedback_herding: on(switch::FEEDBACK_HERD),
            feedback_liquidity: on(switch::FEEDBACK_LIQ),
            feedback_stress: on(switch::FEEDBACK_STRESS),
            crowding: on(switch::CROWDING),
            permanent_impact: on(switch::PERM_IMPACT),
            funding: on(switch::FUNDING),
            gates: on(switch::GATES),
            swing_pricing: on(switch::SWING),
            in_kind: on(switch::IN_KIND),
            investor_gate: on(switch::INVESTOR_GATE),
            idiosyncratic_noise: on(switch::IDIO_NOISE),
            large_investors: on(switch::LARGE_INVESTORS),
            base_flows: on(switch::BASE_FLOWS),
            crowding_follows_stress: on(switch::STRESS_CROWDING),
            own_impact_only: on(switch::OWN_IMPACT_ONLY),
            flows_follow_stress: on(switch::STRESS_FLOWS),
            concern_from_triggers: on(switch::PROXIMITY_CONCERN),
            lam_max: 0.2,
            concern_start: 0.75,
            gate_concern: 0.0,
        }
    }
}

impl Default for ModelSection {
    fn default() -> Self {
        ModelSection::from_bits(switch::DEFAULT)
    }
}

/// `[indicators]`: early-warning thresholds, the stress composite and event definitions.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IndicatorSection {
    pub thresholds: IndicatorThresholds,
    pub stress_weights: StressWeights,
    /// Trailing 5-day accepted outflow (fraction of NAV) that counts as a liquidity event.
    pub event_outflow_5d: f64,
    /// Illiquid-share limit (SEC 22e-4: 15%).
    pub illiquid_limit: f64,
    /// Cash plus buffer tiers below this fraction of NAV: buffer exhausted.
    pub buffer_exhausted_level: f64,
    /// NAV drawdown that counts as a liquidity event (0: drawdown is not an event).
    pub event_drawdown: f64,
}

impl Default for IndicatorSection {
    fn default() -> Self {
        IndicatorSection {
            thresholds: IndicatorThresholds::default(),
            stress_weights: StressWeights::default(),
            event_outflow_5d: 0.10,
            illiquid_limit: 0.15,
            buffer_exhausted_level: 0.01,
            event_drawdown: 0.25,
        }
    }
}

/// `[indicators.thresholds]`: one threshold per early-warning indicator, named as in the kernel's
/// `indicator::NAMES`. `None` takes a default relative to the fund's own starting point (see
/// `docs/fund-file.md`), because a fixed number cannot suit every investor base or buffer.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IndicatorThresholds {
    pub requests_5d: f64,
    pub requests_30d: f64,
    pub queued_redemptions: f64,
    pub large_investor_notices: f64,
    pub top10_share: Option<f64>,
    pub investor_hhi: Option<f64>,
    pub buffer_share: Option<f64>,
    pub alr: f64,
    pub lcr_30d: f64,
    pub spread_index: f64,
    pub volume_index: f64,
    pub depth_index: f64,
    pub nav_drawdown: f64,
    pub funding_headroom: Option<f64>,
}

impl Default for IndicatorThresholds {
    fn default() -> Self {
        IndicatorThresholds {
            requests_5d: 0.05,
            requests_30d: 0.10,
            queued_redemptions: 0.05,
            large_investor_notices: 0.5,
            top10_share: None,
            investor_hhi: None,
            buffer_share: None,
            alr: 1.5,
            lcr_30d: 1.0,
            spread_index: 0.10,
            volume_index: 0.30,
            depth_index: 0.40,
            nav_drawdown: 0.05,
            funding_headroom: None,
        }
    }
}

impl IndicatorThresholds {
    /// Each threshold under its indicator name, in the kernel's indicator order.
    pub fn entries(&self) -> [(&'static str, Option<f64>); 14] {
        [
            ("requests_5d", Some(self.requests_5d)),
            ("requests_30d", Some(self.requests_30d)),
            ("queued_redemptions", Some(self.queued_redemptions)),
            ("large_investor_notices", Some(self.large_investor_notices)),
            ("top10_share", self.top10_share),
            ("investor_hhi", self.investor_hhi),
            ("buffer_share", self.buffer_share),
            ("alr", Some(self.alr)),
            ("lcr_30d", Some(self.lcr_30d)),
            ("spread_index", Some(self.spread_index)),
            ("volume_index", Some(self.volume_index)),
            ("depth_index", Some(self.depth_index)),
            ("nav_drawdown", Some(self.nav_drawdown)),
            ("funding_headroom", self.funding_headroom),
        ]
    }
}

/// `[indicators.stress_weights]`: weights of the stress composite's components; they sum to 1 so
/// that the composite stays in [0, 1].
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StressWeights {
    pub spread: f64,
    pub volume: f64,
    pub depth: f64,
    pub drawdown: f64,
    pub outflow: f64,
    pub funding: f64,
}

impl Default for StressWeights {
    fn default() -> Self {
        StressWeights {
            spread: 0.25,
            volume: 0.15,
            depth: 0.20,
            drawdown: 0.15,
            outflow: 0.15,
            funding: 0.10,
        }
    }
}

impl StressWeights {
    /// The weights under their names, in the kernel's component order.
    pub fn entries(&self) -> [(&'static str, f64); 6] {
        [
            ("spread", self.spread),
            ("volume", self.volume),
            ("depth", self.depth),
            ("drawdown", self.drawdown),
            ("outflow", self.outflow),
            ("funding", self.funding),
        ]
    }
}

/// The classes a fund has when its file lists none.
pub fn default_classes() -> Vec<ClassSpec> {
    [
        ("equities", ClassKind::Equity),
        ("fixed_income", ClassKind::FixedIncome),
        ("credit", ClassKind::Credit),
        ("alternatives", ClassKind::Alternative),
    ]
    .into_iter()
    .map(|(name, kind)| ClassSpec {
        name: name.to_string(),
        kind,
    })
    .collect()
}

/// Default `[fund] currency`.
pub fn default_currency() -> String {
    "USD".to_string()
}
/// Default `[fund] dealing`.
pub fn default_dealing() -> Dealing {
    Dealing::Daily
}
/// Default `[fund] redemption_settlement_days`: T+2.
pub fn default_redemption_settlement_days() -> u32 {
    2
}
/// Default `[fund] expected_return`.
pub fn default_expected_return() -> f64 {
    0.05
}
/// Default `[fund] horizon_days`.
pub fn default_horizon_days() -> u32 {
    90
}
/// Default position `settlement_days`: T+2.
pub fn default_settlement_days() -> u32 {
    2
}
/// Default position `tier`.
pub fn default_tier() -> Tier {
    Tier::None
}
/// Default position `price_route`.
pub fn default_price_route() -> PriceRoute {
    PriceRoute::None
}
/// Default large-investor `fraction`: the whole holding.
pub fn default_fraction() -> f64 {
    1.0
}

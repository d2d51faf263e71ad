//! The run-level analysis knobs (`undertow run`'s analysis flags) on top of
//! [`AnalysisConfig`], and the flag that sets each configuration path, so that a bad setting is
//! reported by the name the user typed.

use undertow_analysis::AnalysisConfig;
use undertow_host::fund::Fund;

/// What a full run changes in the analysis' defaults. Stage commands set [`AnalysisConfig`]
/// fields directly; a run sets only these.
#[derive(Clone, Debug, PartialEq)]
pub struct AnalysisSettings {
    /// Scenarios rerun per variant by every stage (`None`: each stage's own default).
    pub stage_scenarios: Option<u64>,
    /// Reverse stress test: scenarios per point of the severity grid.
    pub reverse_stress_per_point: u64,
    /// Scenarios rerun per feedback channel for the cascade attribution (0 skips it).
    pub attribution_scenarios: u64,
    /// Coverage target of the buffer search (share of scenarios).
    pub target: f64,
    /// Days over which buffer coverage, survival and costs are measured (`None`:
    /// [`DEFAULT_BUFFER_HORIZON`], or the fund's horizon when shorter). One asked for may not
    /// exceed the fund's horizon ([`crate::run::check_buffer_horizon`]).
    pub buffer_horizon: Option<u32>,
}

impl Default for AnalysisSettings {
    fn default() -> Self {
        AnalysisSettings {
            stage_scenarios: None,
            reverse_stress_per_point: 100,
            attribution_scenarios: 2_000,
            target: 0.985,
            buffer_horizon: None,
        }
    }
}

impl AnalysisSettings {
    /// The analysis configuration for `fund`: the defaults with these settings applied.
    pub fn config(&self, fund: &Fund) -> AnalysisConfig {
        let mut cfg = AnalysisConfig::default();
        self.apply(&mut cfg, fund);
        cfg
    }

    /// Applies these settings to `cfg` for `fund`.
    pub fn apply(&self, cfg: &mut AnalysisConfig, fund: &Fund) {
        if let Some(n) = self.stage_scenarios {
            cfg.buffer.scenarios = n;
            cfg.liquidation.scenarios = n;
            cfg.gates.scenarios = n;
            cfg.swing.scenarios = n;
            cfg.early_warning.scenarios = n;
        }
        cfg.reverse_stress.scenarios_per_point = self.reverse_stress_per_point;
        cfg.investors.attribution_scenarios = self.attribution_scenarios;
        cfg.buffer.target_coverage = self.target;
        cfg.buffer.horizon_days = buffer_horizon(self.buffer_horizon, fund);
    }
}

/// The buffer horizon when none is asked for, days.
pub const DEFAULT_BUFFER_HORIZON: u32 = 30;

/// The buffer horizon for `fund`: the one asked for, else [`DEFAULT_BUFFER_HORIZON`] or the
/// fund's horizon when shorter.
pub fn buffer_horizon(asked: Option<u32>, fund: &Fund) -> u32 {
    asked.unwrap_or_else(|| DEFAULT_BUFFER_HORIZON.min(fund.model.params.horizon.max(1)))
}

/// Configuration paths and the flags that set them (`undertow run` and the stage commands).
const FLAGS: &[(&str, &str)] = &[
    ("profile.horizons", "--horizons"),
    ("profile.participation_rates", "--participation"),
    ("profile.stressed_quantiles", "--stressed-quantiles"),
    ("profile.scenarios", "--scenarios"),
    ("profile.target_days", "--target-days"),
    ("profile.cost_threshold_bps", "--cost-threshold-bps"),
    ("profile.buckets.trade_size", "--trade-size"),
    ("profile.buckets.participation", "--bucket-participation"),
    (
        "profile.buckets.significant_impact_bps",
        "--significant-impact-bps",
    ),
    ("profile.buckets.hlim", "--hlim"),
    ("buffer.scenarios", "--stage-scenarios"),
    ("investors.attribution_scenarios", "--attribution-scenarios"),
    (
        "reverse_stress.scenarios_per_point",
        "--reverse-stress-per-point",
    ),
    ("buffer.horizon_days", "--buffer-horizon"),
    ("buffer.target_coverage", "--target"),
    ("buffer.weights", "--weights"),
    ("buffer.cash_yield", "--cash-yield"),
    ("buffer.sovereign.annual_yield", "--sovereign-yield"),
    ("buffer.etf.annual_yield", "--etf-yield"),
    ("buffer.grid.cash", "--grid-cash"),
    ("buffer.grid.sovereign", "--grid-sovereign"),
    ("buffer.grid.etf", "--grid-etf"),
    ("construction.max_illiquid", "--max-illiquid"),
    ("construction.min_daily_liquid", "--min-daily-liquid"),
    ("construction.max_asset_class", "--max-asset-class"),
    ("construction.min_liquidity_score", "--min-liquidity-score"),
    ("liquidation.scenarios", "--stage-scenarios"),
    ("liquidation.weights", "--weights"),
    ("liquidation.max_style_drift", "--max-style-drift"),
    (
        "liquidation.significant_redemption",
        "--significant-redemption",
    ),
    ("liquidation.risk_aversion", "--risk-aversion"),
    ("liquidation.time_slicing_days", "--time-slicing-days"),
    ("liquidation.block_discount", "--block-discount"),
    ("liquidation.execution_amount", "--execution-amount"),
    ("gates.scenarios", "--stage-scenarios"),
    ("swing.scenarios", "--stage-scenarios"),
    ("gates.redemptions_30d", "--redemptions-30d"),
    ("gates.alr", "--alr"),
    ("gates.stress", "--stress"),
    ("gates.caps", "--caps"),
    ("gates.weights", "--weights"),
    ("gates.investor_caps", "--investor-caps"),
    ("gates.notice_days", "--notice-days"),
    ("swing.thresholds", "--swing-thresholds"),
    ("swing.factors", "--swing-factors"),
    ("early_warning.scenarios", "--stage-scenarios"),
    ("early_warning.levels", "--ew-levels"),
    ("early_warning.max_false_alarm_rate", "--max-false-alarm"),
    ("reverse_stress.market_severity", "--grid"),
    ("reverse_stress.redemption_severity", "--grid"),
    ("reverse_stress.level", "--level"),
    ("reverse_stress.bisection_steps", "--bisection-steps"),
];

/// The flag that sets a configuration path, for error messages ("" when none does).
pub fn flag_of(setting: &str) -> &'static str {
    FLAGS
        .iter()
        .find(|(s, _)| *s == setting)
        .map(|(_, f)| *f)
        .unwrap_or("")
}

/// As [`flag_of`], for `undertow reverse-stress`, whose scenarios per point are `--per-point`.
pub fn reverse_stress_flag_of(setting: &str) -> &'static str {
    match setting {
        "reverse_stress.scenarios_per_point" => "--per-point",
        other => flag_of(other),
    }
}

//! Stage 4's settings: the strategy objective's weights, the horizon and scenarios, the
//! hierarchy's layer rules and the execution approaches' parameters, with their checks.

use serde::Serialize;

use crate::setting::{bad, check_days, check_scenarios, ConfigError};

/// Weights of the strategy objective.
#[derive(Clone, Copy, Debug, Serialize, PartialEq)]
pub struct LiquidationWeights {
    pub impact: f64,
    pub alpha: f64,
    pub balance: f64,
}

impl Default for LiquidationWeights {
    /// The use case's `minimize_impact` 0.5, `preserve_alpha` 0.3, `maintain_balance` 0.2.
    fn default() -> Self {
        LiquidationWeights {
            impact: 0.5,
            alpha: 0.3,
            balance: 0.2,
        }
    }
}

/// Stage 4's settings.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct LiquidationConfig {
    /// Scenarios each strategy reruns (the first ones of the run, same seed). Default 2,000.
    pub scenarios: u64,
    /// Objective weights: impact 0.5, alpha 0.3, balance 0.2 (the use case's).
    pub weights: LiquidationWeights,
    /// Largest relative drift of a class's weight from its target, 0.10 (the use case's
    /// `max_style_drift`); the `balanced` run keeps to it.
    pub max_style_drift: f64,
    /// Largest relative change of a factor exposure, 0.20 (the use case's
    /// `max_factor_deviation`).
    pub max_factor_deviation: f64,
    /// Share of scenarios allowed past either limit for a strategy to count as within its
    /// limits, 0.05.
    pub limit_tolerance: f64,
    /// A scenario is a significant redemption when its requested outflow within 30 days reaches
    /// this fraction of NAV: 0.10 (more than a 7% cash buffer pays).
    pub significant_redemption: f64,
    /// "About 30%": the band of reductions within which the use case's claim holds, [0.2, 0.4].
    pub claim_band: [f64; 2],
    /// Bins of the cost histograms, 20.
    pub histogram_bins: u32,
    /// Scenario-set quantile of the class shocks for the stressed condition, 0.5 (stage 1's).
    pub stressed_quantile: f64,
    /// ... and for the highly stressed one, which also ranks the hierarchy: 0.95.
    pub highly_stressed_quantile: f64,
    /// Amount to execute, fraction of NAV; `None`: the `execution_quantile` of what the
    /// recommended strategy sold over the horizon.
    pub execution_amount: Option<f64>,
    /// Quantile of sales that sets the amount to execute, 0.95.
    pub execution_quantile: f64,
    /// Participation of the volume-participation schedule and cap of every schedule; `None`: the
    /// fund's participation cap.
    pub participation: Option<f64>,
    /// Days of the time-slicing schedule, 5 (a trading week).
    pub time_slicing_days: u32,
    /// Almgren–Chriss risk aversion `λ`, 1/NAV: 20 (a cost standard deviation of 1% of NAV,
    /// a variance of 1e-4, weighs as 20 bps of expected cost; on the example's large caps the
    /// trajectory's urgency `κ` is then about 0.8 a day, a clearly front-loaded schedule).
    pub risk_aversion: f64,
    /// Block discount under normal, stressed and highly stressed conditions: 1%, 2.5%, 5%
    /// (dealers' risk-transfer discounts widen in stress).
    pub block_discount: [f64; 3],
    /// Largest block, share of the day's volume: 0.5.
    pub block_limit_adv: f64,
    /// Rate-route fixed income of at most this duration (years) is a short-duration sovereign: 3.
    pub short_duration_years: f64,
    /// Stage 1's liquidity score at or above which a holding is liquid: 3.
    pub liquid_min_score: f64,
}

impl Default for LiquidationConfig {
    fn default() -> Self {
        LiquidationConfig {
            scenarios: 2_000,
            weights: LiquidationWeights::default(),
            max_style_drift: 0.10,
            max_factor_deviation: 0.20,
            limit_tolerance: 0.05,
            significant_redemption: 0.10,
            claim_band: [0.20, 0.40],
            histogram_bins: 20,
            stressed_quantile: 0.50,
            highly_stressed_quantile: 0.95,
            execution_amount: None,
            execution_quantile: 0.95,
            participation: None,
            time_slicing_days: 5,
            risk_aversion: 20.0,
            block_discount: [0.01, 0.025, 0.05],
            block_limit_adv: 0.5,
            short_duration_years: 3.0,
            liquid_min_score: 3.0,
        }
    }
}

pub(crate) fn unit_interval(setting: &str, x: f64, open_low: bool) -> Result<(), ConfigError> {
    let ok = if open_low {
        x > 0.0 && x <= 1.0
    } else {
        (0.0..=1.0).contains(&x)
    };
    if ok {
        Ok(())
    } else {
        let range = if open_low { "(0, 1]" } else { "[0, 1]" };
        Err(bad(setting, x, &format!("must be in {range}")))
    }
}

impl LiquidationConfig {
    /// Checks every setting; the first problem found names its path (`liquidation.<field>`).
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_scenarios("liquidation.scenarios", self.scenarios, 1)?;
        let w = &self.weights;
        let ws = [w.impact, w.alpha, w.balance];
        if ws.iter().any(|x| !(x.is_finite() && *x >= 0.0)) || ws.iter().sum::<f64>() <= 0.0 {
            return Err(bad(
                "liquidation.weights",
                format!("[{}, {}, {}]", w.impact, w.alpha, w.balance),
                "weights must be non-negative and not all zero",
            ));
        }
        for (name, x) in [
            ("liquidation.max_style_drift", self.max_style_drift),
            (
                "liquidation.max_factor_deviation",
                self.max_factor_deviation,
            ),
        ] {
            if !(x > 0.0 && x.is_finite()) {
                return Err(bad(name, x, "must be a positive fraction"));
            }
        }
        unit_interval("liquidation.limit_tolerance", self.limit_tolerance, false)?;
        if !(self.significant_redemption > 0.0 && self.significant_redemption <= 1.0) {
            return Err(bad(
                "liquidation.significant_redemption",
                self.significant_redemption,
                "must be in (0, 1] (requested outflow within 30 days, fraction of NAV)",
            ));
        }
        let [lo, hi] = self.claim_band;
        if !(lo.is_finite() && hi.is_finite() && lo < hi && lo > -1.0 && hi <= 1.0) {
            return Err(bad(
                "liquidation.claim_band",
                format!("[{lo}, {hi}]"),
                "give [low, high] with -1 < low < high <= 1 (reductions as fractions)",
            ));
        }
        if self.histogram_bins == 0 || self.histogram_bins > 1_000 {
            return Err(bad(
                "liquidation.histogram_bins",
                self.histogram_bins,
                "must be from 1 to 1000",
            ));
        }
        unit_interval(
            "liquidation.stressed_quantile",
            self.stressed_quantile,
            false,
        )?;
        unit_interval(
            "liquidation.highly_stressed_quantile",
            self.highly_stressed_quantile,
            false,
        )?;
        if let Some(a) = self.execution_amount {
            unit_interval("liquidation.execution_amount", a, false)?;
        }
        unit_interval(
            "liquidation.execution_quantile",
            self.execution_quantile,
            false,
        )?;
        if let Some(r) = self.participation {
            unit_interval("liquidation.participation", r, true)?;
        }
        check_days("liquidation.time_slicing_days", self.time_slicing_days, 1)?;
        if !(self.risk_aversion >= 0.0 && self.risk_aversion.is_finite()) {
            return Err(bad(
                "liquidation.risk_aversion",
                self.risk_aversion,
                "must be a non-negative number (1/NAV)",
            ));
        }
        let d = self.block_discount;
        if d.iter().any(|x| !(0.0..1.0).contains(x)) {
            return Err(bad(
                "liquidation.block_discount",
                format!("[{}, {}, {}]", d[0], d[1], d[2]),
                "each discount must be in [0, 1) (normal, stressed, highly stressed)",
            ));
        }
        if !(self.block_limit_adv >= 0.0 && self.block_limit_adv.is_finite()) {
            return Err(bad(
                "liquidation.block_limit_adv",
                self.block_limit_adv,
                "must be a non-negative share of the day's volume",
            ));
        }
        if !(self.short_duration_years >= 0.0 && self.short_duration_years.is_finite()) {
            return Err(bad(
                "liquidation.short_duration_years",
                self.short_duration_years,
                "must be a non-negative number of years",
            ));
        }
        if !(1.0..=5.0).contains(&self.liquid_min_score) {
            return Err(bad(
                "liquidation.liquid_min_score",
                self.liquid_min_score,
                "must be a liquidity score from 1 to 5",
            ));
        }
        Ok(())
    }
}

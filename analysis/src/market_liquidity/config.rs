//! Stage 1's settings: the liquidity profile's horizons, participation rates and stressed
//! conditions, the inverse queries, and the SEC Rule 22e-4 classification.

use serde::Serialize;

use crate::setting::{bad, check_scenarios, list, ConfigError, MAX_DAYS};

/// Stage 1, the market liquidity analyst.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ProfileConfig {
    /// Liquidation horizons, days.
    pub horizons: Vec<u32>,
    /// Participation rates, fractions of the day's volume.
    pub participation_rates: Vec<f64>,
    /// Quantiles of the scenario set's per-class shocks that define the stressed conditions.
    pub stressed_quantiles: Vec<f64>,
    /// Scenario records drawn to measure those quantiles (records only: nothing is simulated).
    pub scenarios: u64,
    pub buckets: BucketConfig,
    /// Inverse query: the cost of liquidating each position in this many days.
    pub target_days: f64,
    /// Inverse query: the days needed to liquidate each position at no more than this cost per
    /// unit sold, basis points.
    pub cost_threshold_bps: f64,
}

impl Default for ProfileConfig {
    fn default() -> Self {
        ProfileConfig {
            horizons: vec![1, 3, 5, 10, 20, 30],
            participation_rates: vec![0.10, 0.20, 0.30, 0.50],
            stressed_quantiles: vec![0.50, 0.95],
            scenarios: 10_000,
            buckets: BucketConfig::default(),
            target_days: 5.0,
            cost_threshold_bps: 50.0,
        }
    }
}

impl ProfileConfig {
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        if self.horizons.is_empty() || self.horizons.iter().any(|&h| h == 0 || h > MAX_DAYS) {
            let v: Vec<String> = self.horizons.iter().map(|h| h.to_string()).collect();
            return Err(bad(
                "profile.horizons",
                format!("[{}]", v.join(", ")),
                &format!("give at least one horizon, each from 1 to {MAX_DAYS} days (the longest fund horizon)"),
            ));
        }
        if self.participation_rates.is_empty()
            || self
                .participation_rates
                .iter()
                .any(|&r| !(r > 0.0 && r <= 1.0))
        {
            return Err(bad(
                "profile.participation_rates",
                list(&self.participation_rates),
                "give at least one rate, each in (0, 1] (a fraction of the day's volume)",
            ));
        }
        if self
            .stressed_quantiles
            .iter()
            .any(|&q| !(0.0..=1.0).contains(&q))
        {
            return Err(bad(
                "profile.stressed_quantiles",
                list(&self.stressed_quantiles),
                "each quantile must lie in [0, 1]",
            ));
        }
        check_scenarios("profile.scenarios", self.scenarios, 1)?;
        if !(self.target_days > 0.0 && self.target_days.is_finite()) {
            return Err(bad(
                "profile.target_days",
                self.target_days,
                "must be a positive number of days",
            ));
        }
        if !(self.cost_threshold_bps > 0.0 && self.cost_threshold_bps.is_finite()) {
            return Err(bad(
                "profile.cost_threshold_bps",
                self.cost_threshold_bps,
                "must be a positive number of basis points",
            ));
        }
        self.buckets.validate()
    }
}

/// SEC Rule 22e-4 classification settings.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct BucketConfig {
    /// Reasonably anticipated trade size, as a fraction of each position (1 = the whole position).
    pub trade_size: f64,
    /// Participation rate assumed when classifying; `None` uses the fund's participation cap.
    pub participation: Option<f64>,
    /// A sale whose cost per unit exceeds this many basis points "significantly changes the market
    /// value": the classification then assumes slower selling.
    pub significant_impact_bps: f64,
    /// Highly liquid investment minimum: the share of NAV that must be highly liquid.
    pub hlim: f64,
}

impl Default for BucketConfig {
    fn default() -> Self {
        BucketConfig {
            trade_size: 1.0,
            participation: None,
            significant_impact_bps: 100.0,
            hlim: 0.10,
        }
    }
}

impl BucketConfig {
    pub(crate) fn validate(&self) -> Result<(), ConfigError> {
        if !(self.trade_size > 0.0 && self.trade_size <= 1.0) {
            return Err(bad(
                "profile.buckets.trade_size",
                self.trade_size,
                "must be in (0, 1] (a fraction of each position)",
            ));
        }
        if let Some(r) = self.participation {
            if !(r > 0.0 && r <= 1.0) {
                return Err(bad("profile.buckets.participation", r, "must be in (0, 1]"));
            }
        }
        if !(self.significant_impact_bps > 0.0 && self.significant_impact_bps.is_finite()) {
            return Err(bad(
                "profile.buckets.significant_impact_bps",
                self.significant_impact_bps,
                "must be a positive number of basis points",
            ));
        }
        if !(0.0..=1.0).contains(&self.hlim) {
            return Err(bad("profile.buckets.hlim", self.hlim, "must be in [0, 1]"));
        }
        Ok(())
    }
}

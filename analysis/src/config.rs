//! Settings of the analysis stages, with the defaults a fund's risk team starts from and a
//! validation that names the setting, the value and what is wrong with it.
//!
//! Every default is documented in `docs/analysis.md`. Settings are named by their path here
//! (`buffer.target_coverage`); the CLI maps each path to its flag.

use serde::Serialize;

use undertow_host::fund::spec::PriceRoute;
use undertow_host::fund::ClassKind;

/// A setting that cannot be used.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{setting} = {value}: {reason}")]
pub struct ConfigError {
    /// The setting's path, e.g. `buffer.target_coverage`.
    pub setting: String,
    /// The value given, formatted.
    pub value: String,
    pub reason: String,
}

pub(crate) fn bad(setting: &str, value: impl std::fmt::Display, reason: &str) -> ConfigError {
    ConfigError {
        setting: setting.to_string(),
        value: value.to_string(),
        reason: reason.to_string(),
    }
}

fn list(v: &[f64]) -> String {
    let items: Vec<String> = v.iter().map(|x| x.to_string()).collect();
    format!("[{}]", items.join(", "))
}

/// Every stage's settings.
#[derive(Clone, Debug, Serialize, PartialEq, Default)]
pub struct AnalysisConfig {
    pub profile: ProfileConfig,
    pub investors: InvestorConfig,
    pub buffer: BufferConfig,
    pub construction: ConstructionConfig,
    pub liquidation: super::liquidation::LiquidationConfig,
    pub gates: super::gates::GateConfig,
    pub swing: super::gates::SwingConfig,
    pub early_warning: super::early_warning::EarlyWarningConfig,
    pub reverse_stress: super::reverse_stress::ReverseStressConfig,
}

impl AnalysisConfig {
    /// Checks every setting; the first problem found is returned.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.profile.validate()?;
        self.buffer.validate()?;
        self.construction.validate()?;
        self.liquidation.validate()?;
        self.gates.validate()?;
        self.swing.validate()?;
        self.early_warning.validate()?;
        self.reverse_stress.validate()
    }
}

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
    fn validate(&self) -> Result<(), ConfigError> {
        if self.horizons.is_empty() || self.horizons.iter().any(|&h| h == 0 || h > 3650) {
            let v: Vec<String> = self.horizons.iter().map(|h| h.to_string()).collect();
            return Err(bad(
                "profile.horizons",
                format!("[{}]", v.join(", ")),
                "give at least one horizon, each from 1 to 3650 days",
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
        if self.scenarios == 0 || self.scenarios > 10_000_000 {
            return Err(bad(
                "profile.scenarios",
                self.scenarios,
                "must be from 1 to 10,000,000",
            ));
        }
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
    fn validate(&self) -> Result<(), ConfigError> {
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

/// Stage 2, the investor behaviour modeller.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct InvestorConfig {
    /// Scenarios rerun per feedback variant for the cascade attribution (0 skips it).
    pub attribution_scenarios: u64,
}

impl Default for InvestorConfig {
    fn default() -> Self {
        InvestorConfig {
            attribution_scenarios: 2_000,
        }
    }
}

/// Weights of the buffer ranking's objective.
#[derive(Clone, Copy, Debug, Serialize, PartialEq)]
pub struct ObjectiveWeights {
    pub safety: f64,
    pub opportunity_cost: f64,
    pub operational: f64,
}

impl Default for ObjectiveWeights {
    fn default() -> Self {
        ObjectiveWeights {
            safety: 0.6,
            opportunity_cost: 0.3,
            operational: 0.1,
        }
    }
}

/// A buffer composition: fractions of NAV in cash, short sovereigns and liquid ETFs.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Composition {
    pub label: String,
    pub cash: f64,
    pub sovereign: f64,
    pub etf: f64,
}

impl Composition {
    pub fn new(label: &str, cash: f64, sovereign: f64, etf: f64) -> Composition {
        Composition {
            label: label.to_string(),
            cash,
            sovereign,
            etf,
        }
    }

    pub fn total(&self) -> f64 {
        self.cash + self.sovereign + self.etf
    }

    /// "8% cash + 5% sovereigns + 4% ETFs".
    pub fn describe(&self) -> String {
        let mut parts = vec![format!("{} cash", pct(self.cash))];
        if self.sovereign > 0.0 {
            parts.push(format!("{} sovereigns", pct(self.sovereign)));
        }
        if self.etf > 0.0 {
            parts.push(format!("{} ETFs", pct(self.etf)));
        }
        parts.join(" + ")
    }

    fn same_mix(&self, other: &Composition) -> bool {
        (self.cash - other.cash).abs() < 1e-9
            && (self.sovereign - other.sovereign).abs() < 1e-9
            && (self.etf - other.etf).abs() < 1e-9
    }
}

pub use undertow_format::text::pct;

/// A buffer instrument the search adds to the fund (the cash tier is the fund's `cash`).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct BufferInstrument {
    pub id: String,
    pub label: String,
    /// The fund class it joins; `None` picks the fund's first class of `kind`. Buffer positions
    /// join existing classes so that the scenario records stay the same for every composition.
    pub class: Option<String>,
    pub kind: ClassKind,
    /// Average daily traded value, currency.
    pub adv: f64,
    pub spread_bps: f64,
    pub vol_annual: f64,
    pub impact: f64,
    pub settlement_days: u32,
    pub duration: f64,
    pub convexity: f64,
    #[serde(skip)]
    pub price_route: PriceRoute,
    pub repo_eligible: bool,
    /// Expected annual yield (total return) of the instrument, for its opportunity cost.
    pub annual_yield: f64,
}

impl BufferInstrument {
    /// Short-duration (1–3 year) government bonds and bills: the deepest market there is.
    pub fn short_sovereigns() -> BufferInstrument {
        BufferInstrument {
            id: "BUFFER_SOV".to_string(),
            label: "short sovereigns (1-3y)".to_string(),
            class: None,
            kind: ClassKind::FixedIncome,
            adv: 100e9,
            spread_bps: 1.0,
            vol_annual: 0.015,
            impact: 0.2,
            settlement_days: 1,
            duration: 1.9,
            convexity: 5.0,
            price_route: PriceRoute::Rate,
            repo_eligible: true,
            annual_yield: 0.0425,
        }
    }

    /// Broad, heavily traded index ETFs (cash equitisation: the buffer keeps market exposure,
    /// so it earns close to the portfolio but loses value in a sell-off).
    pub fn liquid_etfs() -> BufferInstrument {
        BufferInstrument {
            id: "BUFFER_ETF".to_string(),
            label: "liquid index ETFs".to_string(),
            class: None,
            kind: ClassKind::Equity,
            adv: 25e9,
            spread_bps: 1.0,
            vol_annual: 0.16,
            impact: 0.5,
            settlement_days: 1,
            duration: 0.0,
            convexity: 0.0,
            price_route: PriceRoute::None,
            repo_eligible: false,
            annual_yield: 0.055,
        }
    }
}

/// The grid of compositions searched besides the named ones.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct BufferGrid {
    pub cash: Vec<f64>,
    pub sovereign: Vec<f64>,
    pub etf: Vec<f64>,
}

impl Default for BufferGrid {
    fn default() -> Self {
        BufferGrid {
            cash: vec![0.03, 0.05, 0.07, 0.09, 0.11, 0.13],
            sovereign: vec![0.0, 0.03, 0.06],
            etf: vec![0.0, 0.03],
        }
    }
}

/// Stage 3, the buffer search.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct BufferConfig {
    /// Scenarios simulated per composition (the first ones of the run, same seed).
    pub scenarios: u64,
    /// Coverage, survival and costs are measured over this many days.
    pub horizon_days: u32,
    /// Coverage a composition must reach to count as meeting the target.
    pub target_coverage: f64,
    pub weights: ObjectiveWeights,
    /// Expected annual yield of cash (money-market rate).
    pub cash_yield: f64,
    pub sovereign: BufferInstrument,
    pub etf: BufferInstrument,
    pub grid: BufferGrid,
    /// Compositions of the use case, searched by name in addition to the grid. The fund's own
    /// static cash buffer is always added first.
    pub named: Vec<Composition>,
    /// Keep the buffer tiers the fund file gives its own holdings (by default they count as
    /// investments, so that each composition's buffer is exactly what it says).
    pub keep_fund_tiers: bool,
    /// Keep the fund's gates on while measuring coverage. Off by default: coverage asks whether
    /// the buffer alone meets the redemptions, and a gate that defers them (fired by the volume of
    /// requests whatever the buffer) would cap every composition's coverage at the same level.
    pub with_gates: bool,
}

/// The seed's recommended composition: 8% cash, 5% short sovereigns, 4% liquid ETFs.
pub fn seed_recommendation() -> Composition {
    Composition::new("use case recommendation", 0.08, 0.05, 0.04)
}

/// The four compositions the use case searched ("liquid credit" read as the liquid-ETF tier).
pub fn use_case_compositions() -> Vec<Composition> {
    vec![
        Composition::new("use case 5/3/2", 0.05, 0.03, 0.02),
        Composition::new("use case 7/5/3", 0.07, 0.05, 0.03),
        Composition::new("use case 10/7/5", 0.10, 0.07, 0.05),
        Composition::new("use case 15/10/5", 0.15, 0.10, 0.05),
    ]
}

impl Default for BufferConfig {
    fn default() -> Self {
        let mut named = use_case_compositions();
        named.push(seed_recommendation());
        BufferConfig {
            scenarios: 2_000,
            horizon_days: 30,
            target_coverage: 0.985,
            weights: ObjectiveWeights::default(),
            cash_yield: 0.04,
            sovereign: BufferInstrument::short_sovereigns(),
            etf: BufferInstrument::liquid_etfs(),
            grid: BufferGrid::default(),
            named,
            keep_fund_tiers: false,
            with_gates: false,
        }
    }
}

impl BufferConfig {
    /// The compositions to evaluate: the fund's static cash buffer, the named ones, then the
    /// grid, without duplicates (the first label of a mix wins).
    pub fn compositions(&self, fund_cash: f64) -> Vec<Composition> {
        let mut all = vec![Composition::new(
            &format!("static {} cash", pct(fund_cash)),
            fund_cash,
            0.0,
            0.0,
        )];
        all.extend(self.named.iter().cloned());
        for &c in &self.grid.cash {
            for &s in &self.grid.sovereign {
                for &e in &self.grid.etf {
                    all.push(Composition::new("grid", c, s, e));
                }
            }
        }
        let mut unique: Vec<Composition> = Vec::new();
        for c in all {
            if !unique.iter().any(|u| u.same_mix(&c)) {
                unique.push(c);
            }
        }
        unique
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if self.scenarios == 0 || self.scenarios > 10_000_000 {
            return Err(bad(
                "buffer.scenarios",
                self.scenarios,
                "must be from 1 to 10,000,000",
            ));
        }
        if self.horizon_days == 0 || self.horizon_days > 3650 {
            return Err(bad(
                "buffer.horizon_days",
                self.horizon_days,
                "must be from 1 to 3650 days",
            ));
        }
        if !(self.target_coverage > 0.0 && self.target_coverage <= 1.0) {
            return Err(bad(
                "buffer.target_coverage",
                self.target_coverage,
                "must be in (0, 1] (a share of scenarios)",
            ));
        }
        let w = &self.weights;
        let ws = [w.safety, w.opportunity_cost, w.operational];
        if ws.iter().any(|x| !(*x >= 0.0 && x.is_finite())) || ws.iter().sum::<f64>() <= 0.0 {
            return Err(bad(
                "buffer.weights",
                list(&ws),
                "three weights (safety, opportunity cost, operational), none negative, not all zero",
            ));
        }
        for (name, y) in [
            ("buffer.cash_yield", self.cash_yield),
            ("buffer.sovereign.annual_yield", self.sovereign.annual_yield),
            ("buffer.etf.annual_yield", self.etf.annual_yield),
        ] {
            if !(y > -1.0 && y < 1.0) {
                return Err(bad(
                    name,
                    y,
                    "an annual yield as a fraction (0.04 = 4%), between -1 and 1",
                ));
            }
        }
        for (name, grid) in [
            ("buffer.grid.cash", &self.grid.cash),
            ("buffer.grid.sovereign", &self.grid.sovereign),
            ("buffer.grid.etf", &self.grid.etf),
        ] {
            if grid.iter().any(|x| !(0.0..1.0).contains(x)) {
                return Err(bad(
                    name,
                    list(grid),
                    "each weight must be in [0, 1) (a fraction of NAV)",
                ));
            }
        }
        for c in &self.named {
            for (part, v) in [("cash", c.cash), ("sovereign", c.sovereign), ("etf", c.etf)] {
                if !(0.0..1.0).contains(&v) {
                    return Err(bad(
                        &format!("buffer.named[{:?}].{part}", c.label),
                        v,
                        "must be in [0, 1) (a fraction of NAV)",
                    ));
                }
            }
        }
        for (name, inst) in [
            ("buffer.sovereign", &self.sovereign),
            ("buffer.etf", &self.etf),
        ] {
            if !(inst.adv > 0.0 && inst.adv.is_finite()) {
                return Err(bad(
                    &format!("{name}.adv"),
                    inst.adv,
                    "must be a positive amount per day",
                ));
            }
            if !(inst.spread_bps >= 0.0 && inst.vol_annual >= 0.0 && inst.impact >= 0.0) {
                return Err(bad(
                    &format!("{name}.spread_bps/vol_annual/impact"),
                    list(&[inst.spread_bps, inst.vol_annual, inst.impact]),
                    "must not be negative",
                ));
            }
        }
        Ok(())
    }
}

/// Liquidity-aware portfolio construction: the constraints of the use case.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ConstructionConfig {
    /// Most of NAV that may be illiquid (not sellable within 7 days).
    pub max_illiquid: f64,
    /// Least of NAV that must be daily-liquid (cash plus what sells in one day and settles by
    /// the redemption settlement date).
    pub min_daily_liquid: f64,
    /// Most of NAV in any one asset class.
    pub max_asset_class: f64,
    /// Least portfolio liquidity score (1 to 5).
    pub min_liquidity_score: f64,
    /// Keep the cash weight as it is (the buffer is the buffer search's decision); otherwise cash
    /// is one more weight to change.
    pub hold_cash: bool,
}

impl Default for ConstructionConfig {
    fn default() -> Self {
        ConstructionConfig {
            max_illiquid: 0.25,
            min_daily_liquid: 0.15,
            max_asset_class: 0.50,
            min_liquidity_score: 3.0,
            hold_cash: true,
        }
    }
}

impl ConstructionConfig {
    fn validate(&self) -> Result<(), ConfigError> {
        for (name, v) in [
            ("construction.max_illiquid", self.max_illiquid),
            ("construction.min_daily_liquid", self.min_daily_liquid),
            ("construction.max_asset_class", self.max_asset_class),
        ] {
            if !(0.0..=1.0).contains(&v) {
                return Err(bad(name, v, "must be in [0, 1] (a fraction of NAV)"));
            }
        }
        if !(1.0..=5.0).contains(&self.min_liquidity_score) {
            return Err(bad(
                "construction.min_liquidity_score",
                self.min_liquidity_score,
                "must be in [1, 5] (the score's range)",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_the_static_buffer_comes_first() {
        let cfg = AnalysisConfig::default();
        cfg.validate().unwrap();
        let comps = cfg.buffer.compositions(0.07);
        assert_eq!(comps[0].label, "static 7% cash");
        // 7/0/0 is also a grid point: it appears once.
        let sevens = comps
            .iter()
            .filter(|c| c.same_mix(&Composition::new("", 0.07, 0.0, 0.0)))
            .count();
        assert_eq!(sevens, 1);
        assert!(comps.iter().any(|c| c.label == "use case recommendation"));
    }

    #[test]
    fn errors_name_the_setting_and_value() {
        let mut cfg = AnalysisConfig::default();
        cfg.buffer.target_coverage = 1.5;
        let e = cfg.validate().unwrap_err();
        assert_eq!(e.setting, "buffer.target_coverage");
        assert_eq!(e.value, "1.5");
        let mut cfg = AnalysisConfig::default();
        cfg.buffer.grid.cash = vec![0.05, -0.1];
        let e = cfg.validate().unwrap_err();
        assert!(
            e.to_string().contains("buffer.grid.cash = [0.05, -0.1]"),
            "{e}"
        );
    }

    #[test]
    fn compositions_describe_themselves() {
        assert_eq!(
            seed_recommendation().describe(),
            "8% cash + 5% sovereigns + 4% ETFs"
        );
        assert_eq!(
            Composition::new("x", 0.075, 0.0, 0.0).describe(),
            "7.5% cash"
        );
    }
}

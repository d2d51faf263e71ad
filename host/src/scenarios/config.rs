//! `ScenarioConfig`, the `[scenarios]` table of a fund file: family weights, severity bands, the
//! per-class shock ranges, timing, regimes, redemption and funding ranges and the copula, with
//! defaults for every field and a validation that names the field and the value that is wrong.
//!
//! Every table may give any subset of its keys; missing keys keep their defaults. The one
//! exception is a weights table (`weights`, `market_wide.mix`): a table that is given replaces
//! the default mix entirely, so families it leaves out get weight 0 (a risk team that lists three
//! families expects those three, not those three plus the defaults).
//!
//! The default weights are the *stress library*: every scenario is a stress scenario, and
//! frequencies over it are conditional on stress. [`ScenarioConfig::unconditional`] gives the
//! mixture of `[scenarios.mixture]` instead (calm markets most of the time, stress at its
//! historical frequency). [`ScenarioConfig::judgement_ranges`] and
//! [`ScenarioConfig::with_range_scaled`] serve the sensitivity table: every range that
//! docs/scenarios.md marks "judgement", and a configuration with one of them widened or narrowed.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::copula::CopulaKind;

/// A closed interval, written `[lo, hi]` in TOML: exactly two numbers (a third is refused, not
/// dropped).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Span<T>(pub T, pub T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Span<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let items = Vec::<T>::deserialize(d)?;
        let n = items.len();
        let mut it = items.into_iter();
        match (it.next(), it.next(), n) {
            (Some(lo), Some(hi), 2) => Ok(Span(lo, hi)),
            _ => Err(serde::de::Error::invalid_length(
                n,
                &"a range [lo, hi] of two numbers",
            )),
        }
    }
}

impl<T: Copy> Span<T> {
    pub fn lo(&self) -> T {
        self.0
    }
    pub fn hi(&self) -> T {
        self.1
    }
}

impl Span<f64> {
    /// The point a fraction `t` (in [0, 1]) of the way from `lo` to `hi`.
    pub fn lerp(&self, t: f64) -> f64 {
        self.0 + (self.1 - self.0) * t
    }

    /// Geometric interpolation, for multiples such as spread widening: a move from 2x to 20x is
    /// an order of magnitude, and a moderate scenario should sit near 4.5x, not near 11x.
    /// Falls back to [`Span::lerp`] when an end is not positive.
    pub fn lerp_log(&self, t: f64) -> f64 {
        if self.0 > 0.0 && self.1 > 0.0 {
            self.0 * (self.1 / self.0).powf(t)
        } else {
            self.lerp(t)
        }
    }

    /// Whether `x` lies in the interval (inclusive), with a little room for f32 rounding.
    pub fn contains(&self, x: f64) -> bool {
        let slack = 1e-6 * (1.0 + self.0.abs().max(self.1.abs()));
        x >= self.0 - slack && x <= self.1 + slack
    }
}

impl<T: fmt::Display> fmt::Display for Span<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}, {}]", self.0, self.1)
    }
}

/// Scenario generation settings, the `[scenarios]` table of a fund file.
#[derive(Clone, Debug, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ScenarioConfig {
    /// Relative weight of each family (normalised when drawing; need not sum to 1).
    pub weights: FamilyWeights,
    pub market_wide: MarketWideConfig,
    pub asset_class_specific: AssetClassSpecificConfig,
    pub flight_to_quality: FlightToQualityConfig,
    pub funding_liquidity_shock: FundingFamilyConfig,
    /// Per-class market shock ranges for risk classes (cash-like classes use a fixed mild table).
    pub market: MarketRanges,
    pub timing: TimingConfig,
    pub regimes: RegimeConfig,
    pub redemption: RedemptionRanges,
    /// Background funding stress of the families other than `funding_liquidity_shock`.
    pub funding: FundingRanges,
    pub copula: CopulaConfig,
    /// Historical frequency of each stress family, for [`ScenarioConfig::unconditional`].
    pub mixture: MixtureConfig,
}

/// Family weights. A table that is given replaces the default mix: missing families get 0.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FamilyWeights {
    #[serde(default)]
    pub market_wide: f64,
    #[serde(default)]
    pub asset_class_specific: f64,
    #[serde(default)]
    pub flight_to_quality: f64,
    #[serde(default)]
    pub funding_liquidity_shock: f64,
    #[serde(default)]
    pub gfc_2008: f64,
    #[serde(default)]
    pub taper_tantrum_2013: f64,
    #[serde(default)]
    pub dash_for_cash_2020: f64,
    #[serde(default)]
    pub uk_ldi_2022: f64,
    /// No market shock (`family::CALM`); 0 in the stress library.
    #[serde(default)]
    pub calm: f64,
}

impl Default for FamilyWeights {
    fn default() -> Self {
        FamilyWeights {
            market_wide: 0.40,
            asset_class_specific: 0.15,
            flight_to_quality: 0.15,
            funding_liquidity_shock: 0.10,
            gfc_2008: 0.05,
            taper_tantrum_2013: 0.05,
            dash_for_cash_2020: 0.05,
            uk_ldi_2022: 0.05,
            calm: 0.0,
        }
    }
}

impl FamilyWeights {
    /// `(key, weight)` in the order families are drawn; the key is the TOML key. `calm` comes
    /// last, so that a calm weight of 0 leaves every other family's draw as it was before calm
    /// existed.
    pub fn entries(&self) -> [(&'static str, f64); 9] {
        [
            ("market_wide", self.market_wide),
            ("asset_class_specific", self.asset_class_specific),
            ("flight_to_quality", self.flight_to_quality),
            ("funding_liquidity_shock", self.funding_liquidity_shock),
            ("gfc_2008", self.gfc_2008),
            ("taper_tantrum_2013", self.taper_tantrum_2013),
            ("dash_for_cash_2020", self.dash_for_cash_2020),
            ("uk_ldi_2022", self.uk_ldi_2022),
            ("calm", self.calm),
        ]
    }
}

/// `market_wide`: how often each tier occurs, the band of market severity each tier covers, and
/// the family's crowding and recovery ranges.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MarketWideConfig {
    pub mix: TierMix,
    pub severity: TierBands,
    /// Crowding `chi`: share of a class's normal ADV sold by other holders at full stress, at
    /// the class's severity in this range.
    pub crowding: Span<f64>,
    /// Share of the ramp's price fall recovered as the stress profile decays, drawn uniformly.
    pub recovery: Span<f64>,
}

impl Default for MarketWideConfig {
    fn default() -> Self {
        MarketWideConfig {
            mix: TierMix::default(),
            severity: TierBands::default(),
            crowding: Span(0.02, 0.25),
            recovery: Span(0.0, 0.8),
        }
    }
}

/// Relative frequency of the market-wide tiers. A table that is given replaces the default mix.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierMix {
    #[serde(default)]
    pub moderate: f64,
    #[serde(default)]
    pub severe: f64,
    #[serde(default)]
    pub extreme: f64,
}

impl Default for TierMix {
    fn default() -> Self {
        TierMix {
            moderate: 0.50,
            severe: 0.35,
            extreme: 0.15,
        }
    }
}

/// Market-severity band of each tier. Bands must go up and not overlap, so that market severity
/// is an increasing function of the copula's uniform and the copula's dependence survives.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TierBands {
    pub moderate: Span<f64>,
    pub severe: Span<f64>,
    pub extreme: Span<f64>,
}

impl Default for TierBands {
    fn default() -> Self {
        TierBands {
            moderate: Span(0.0, 0.35),
            severe: Span(0.35, 0.70),
            extreme: Span(0.70, 1.0),
        }
    }
}

/// `asset_class_specific`: one class hit hard, the others mildly.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AssetClassSpecificConfig {
    /// Severity band of the class that is hit.
    pub severity: Span<f64>,
    /// The other classes' severity as a multiple of the hit class's.
    pub others_scale: f64,
    /// Crowding `chi` (share of normal ADV sold by other holders at full stress).
    pub crowding: Span<f64>,
    /// Share of the ramp's price fall recovered as the stress profile decays.
    pub recovery: Span<f64>,
}

impl Default for AssetClassSpecificConfig {
    fn default() -> Self {
        AssetClassSpecificConfig {
            severity: Span(0.5, 1.0),
            others_scale: 0.2,
            crowding: Span(0.05, 0.30),
            recovery: Span(0.2, 0.9),
        }
    }
}

/// `flight_to_quality`: sovereigns rally, credit is hit hardest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FlightToQualityConfig {
    pub severity: Span<f64>,
    /// Sovereign yield change `dy` (negative: a rally); the most severe scenarios reach `lo`.
    pub rate_shock: Span<f64>,
    /// Credit-spread change added to `dy` for the spread route; the most severe reach `hi`.
    pub credit_spread_shock: Span<f64>,
    /// Modified duration (years) that turns `dy` into the class-level price shock of
    /// fixed-income classes, for positions without a route flag of their own.
    pub reference_duration_fixed_income: f64,
    /// The same for credit classes, applied to `dy + credit_spread_shock`.
    pub reference_duration_credit: f64,
    /// Crowding `chi` (share of normal ADV sold by other holders at full stress).
    pub crowding: Span<f64>,
    /// Share of the ramp's price fall recovered as the stress profile decays.
    pub recovery: Span<f64>,
}

impl Default for FlightToQualityConfig {
    fn default() -> Self {
        FlightToQualityConfig {
            severity: Span(0.3, 0.9),
            rate_shock: Span(-0.015, -0.003),
            credit_spread_shock: Span(0.005, 0.04),
            reference_duration_fixed_income: 6.0,
            reference_duration_credit: 4.5,
            crowding: Span(0.02, 0.20),
            recovery: Span(0.2, 0.9),
        }
    }
}

/// `funding_liquidity_shock`: funding availability cut, repo haircuts up, markets moderately hit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FundingFamilyConfig {
    /// Market severity band (the market side is moderate; the stress is in funding).
    pub severity: Span<f64>,
    pub funding_shock: Span<f64>,
    pub haircut_addon: Span<f64>,
    /// Crowding `chi` (share of normal ADV sold by other holders at full stress).
    pub crowding: Span<f64>,
    /// Share of the ramp's price fall recovered as the stress profile decays.
    pub recovery: Span<f64>,
}

impl Default for FundingFamilyConfig {
    fn default() -> Self {
        FundingFamilyConfig {
            severity: Span(0.2, 0.6),
            funding_shock: Span(0.5, 1.0),
            haircut_addon: Span(0.05, 0.25),
            crowding: Span(0.02, 0.15),
            recovery: Span(0.3, 0.9),
        }
    }
}

/// Per-class shock ranges for risk classes; a class's severity picks the point in each range.
/// Crowding is not here: its range is the family's (`market_wide.crowding`, ...).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MarketRanges {
    /// Depth reduction `D` (fraction of depth lost at full stress).
    pub depth_cut: Span<f64>,
    /// Spread widening multiple `W` (interpolated geometrically).
    pub spread_mult: Span<f64>,
    /// Volume reduction `U`.
    pub volume_cut: Span<f64>,
    /// Volatility multiple `M` (interpolated geometrically).
    pub vol_mult: Span<f64>,
    /// Standard deviation of the class-level noise added to each class's severity, so that
    /// classes of the same kind in one scenario are not hit identically.
    pub class_dispersion: f64,
    pub price_shock: PriceShockRanges,
}

impl Default for MarketRanges {
    fn default() -> Self {
        MarketRanges {
            depth_cut: Span(0.5, 0.95),
            spread_mult: Span(2.0, 20.0),
            volume_cut: Span(0.3, 0.9),
            vol_mult: Span(1.5, 5.0),
            class_dispersion: 0.1,
            price_shock: PriceShockRanges::default(),
        }
    }
}

/// Price shock `R` (total log return over the ramp) by class kind, `[worst, mildest]`: the more
/// severe the scenario, the closer to `lo`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PriceShockRanges {
    pub equity: Span<f64>,
    pub fixed_income: Span<f64>,
    pub credit: Span<f64>,
    pub alternative: Span<f64>,
}

impl Default for PriceShockRanges {
    fn default() -> Self {
        PriceShockRanges {
            equity: Span(-0.50, -0.05),
            fixed_income: Span(-0.12, -0.01),
            credit: Span(-0.30, -0.02),
            alternative: Span(-0.40, -0.03),
        }
    }
}

/// Timing of the stress profile `g(t)` (MODEL.md section 3).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TimingConfig {
    /// Onset day `t_on`; clamped to the fund's horizon at draw time.
    pub onset: Span<u32>,
    /// Ramp days `r` (at least 1).
    pub ramp: Span<u32>,
    /// Plateau days `L`.
    pub plateau: Span<u32>,
    /// Recovery half-life `tau`, days.
    pub half_life: Span<f64>,
    /// Onset day of the historical replays (fixed so that a replay is one documented path).
    pub replay_onset: u32,
}

impl Default for TimingConfig {
    fn default() -> Self {
        TimingConfig {
            onset: Span(1, 30),
            ramp: Span(2, 20),
            plateau: Span(0, 20),
            half_life: Span(5.0, 40.0),
            replay_onset: 5,
        }
    }
}

/// Market-factor weight `rho` of each correlation regime.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RegimeConfig {
    pub normal: f64,
    pub stressed: f64,
    pub crisis: f64,
}

impl Default for RegimeConfig {
    fn default() -> Self {
        RegimeConfig {
            normal: 0.3,
            stressed: 0.6,
            crisis: 0.85,
        }
    }
}

impl RegimeConfig {
    /// `rho` of a regime code (0 normal, 1 stressed, anything else crisis).
    pub fn rho(&self, regime: u32) -> f64 {
        match regime {
            0 => self.normal,
            1 => self.stressed,
            _ => self.crisis,
        }
    }
}

/// Redemption shock ranges; the copula's redemption uniform picks the point in each.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RedemptionRanges {
    /// Redemption severity `sev_k`.
    pub severity: Span<f64>,
    /// Intensity multiplier `m_k` of base redemption rates (interpolated geometrically).
    pub mult: Span<f64>,
    /// Large-investor hazard multiplier (interpolated geometrically). The kernel applies it on
    /// top of `m_k` (a large investor's base hazard is scaled by `m_k * large_mult`), so it
    /// measures how much more than the crowd the large holders react.
    pub large_mult: Span<f64>,
}

impl Default for RedemptionRanges {
    fn default() -> Self {
        RedemptionRanges {
            severity: Span(0.0, 1.0),
            mult: Span(1.0, 3.0),
            large_mult: Span(1.0, 3.0),
        }
    }
}

/// Background funding stress, scaled by the scenario's systemic severity.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FundingRanges {
    /// Funding shock `F`.
    pub shock: Span<f64>,
    /// Repo haircut add-on `dhc`.
    pub haircut_addon: Span<f64>,
}

impl Default for FundingRanges {
    fn default() -> Self {
        FundingRanges {
            shock: Span(0.0, 0.3),
            haircut_addon: Span(0.0, 0.03),
        }
    }
}

/// The copula coupling market severity and redemption severity.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CopulaConfig {
    pub kind: CopulaKind,
    /// Degrees of freedom of the Student-t copula.
    pub dof: f64,
    /// Correlation of the underlying pair.
    pub rho: f64,
}

impl Default for CopulaConfig {
    fn default() -> Self {
        CopulaConfig {
            kind: CopulaKind::StudentT,
            dof: 4.0,
            rho: 0.6,
        }
    }
}

/// `[scenarios.mixture]`: how often each stress family has occurred, as episodes over a sample
/// of years, and the window a scenario covers. An episode rate `lambda_f = episodes_f / years`
/// per year and Poisson arrivals give the probability that a window of `window_days` business
/// days holds no episode onset, `exp(-Lambda W / B)` with `Lambda` the sum of the rates, `W` the
/// window and `B` business days a year: the calm family's weight. The rest is shared among the
/// stress families in proportion to their rates. Sources and the episode list: docs/scenarios.md,
/// section 10.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MixtureConfig {
    /// Business days a scenario covers; absent, the fund's horizon
    /// ([`ScenarioConfig::unconditional_for`]), or [`DEFAULT_WINDOW_DAYS`] where no horizon is
    /// given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window_days: Option<u32>,
    /// Business days in a year.
    pub business_days_per_year: f64,
    /// Length of the sample the episodes were counted over, years.
    pub years: f64,
    /// Episodes of each stress family in the sample. A table that is given replaces the default
    /// counts: families it leaves out get 0.
    pub episodes: EpisodeCounts,
}

/// The window of [`MixtureConfig::calm_probability`] when neither the fund file nor a horizon
/// gives one: the example's 90 business days.
pub const DEFAULT_WINDOW_DAYS: u32 = 90;

impl Default for MixtureConfig {
    fn default() -> Self {
        MixtureConfig {
            window_days: None,
            business_days_per_year: 252.0,
            years: 38.0,
            episodes: EpisodeCounts::default(),
        }
    }
}

/// Episodes per stress family (docs/scenarios.md, section 10, lists them).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EpisodeCounts {
    #[serde(default)]
    pub market_wide: f64,
    #[serde(default)]
    pub asset_class_specific: f64,
    #[serde(default)]
    pub flight_to_quality: f64,
    #[serde(default)]
    pub funding_liquidity_shock: f64,
    #[serde(default)]
    pub gfc_2008: f64,
    #[serde(default)]
    pub taper_tantrum_2013: f64,
    #[serde(default)]
    pub dash_for_cash_2020: f64,
    #[serde(default)]
    pub uk_ldi_2022: f64,
}

impl Default for EpisodeCounts {
    fn default() -> Self {
        EpisodeCounts {
            market_wide: 3.0,
            asset_class_specific: 2.0,
            flight_to_quality: 1.0,
            funding_liquidity_shock: 2.0,
            gfc_2008: 1.0,
            taper_tantrum_2013: 1.0,
            dash_for_cash_2020: 1.0,
            uk_ldi_2022: 1.0,
        }
    }
}

impl EpisodeCounts {
    /// `(key, count)` in the order of [`FamilyWeights::entries`] (without `calm`).
    pub fn entries(&self) -> [(&'static str, f64); 8] {
        [
            ("market_wide", self.market_wide),
            ("asset_class_specific", self.asset_class_specific),
            ("flight_to_quality", self.flight_to_quality),
            ("funding_liquidity_shock", self.funding_liquidity_shock),
            ("gfc_2008", self.gfc_2008),
            ("taper_tantrum_2013", self.taper_tantrum_2013),
            ("dash_for_cash_2020", self.dash_for_cash_2020),
            ("uk_ldi_2022", self.uk_ldi_2022),
        ]
    }
}

impl MixtureConfig {
    /// Stress episodes per year, all families together (`Lambda`).
    pub fn episodes_per_year(&self) -> f64 {
        let total: f64 = self.episodes.entries().iter().map(|(_, n)| n).sum();
        total / self.years
    }

    /// The probability that a window holds no episode onset: `exp(-Lambda W / B)`.
    pub fn calm_probability(&self) -> f64 {
        let window = self.window_days.unwrap_or(DEFAULT_WINDOW_DAYS);
        let window_years = window as f64 / self.business_days_per_year;
        (-self.episodes_per_year() * window_years).exp()
    }

    /// The probability of each family for one scenario, in the order of
    /// [`FamilyWeights::entries`] (`calm` last); they sum to 1.
    pub fn probabilities(&self) -> FamilyWeights {
        let calm = self.calm_probability();
        let total: f64 = self.episodes.entries().iter().map(|(_, n)| n).sum();
        let share = |n: f64| {
            if total > 0.0 {
                (1.0 - calm) * n / total
            } else {
                0.0
            }
        };
        let e = &self.episodes;
        FamilyWeights {
            market_wide: share(e.market_wide),
            asset_class_specific: share(e.asset_class_specific),
            flight_to_quality: share(e.flight_to_quality),
            funding_liquidity_shock: share(e.funding_liquidity_shock),
            gfc_2008: share(e.gfc_2008),
            taper_tantrum_2013: share(e.taper_tantrum_2013),
            dash_for_cash_2020: share(e.dash_for_cash_2020),
            uk_ldi_2022: share(e.uk_ldi_2022),
            calm: if total > 0.0 { calm } else { 1.0 },
        }
    }
}

/// A setting that is out of range: names the field (as a TOML path under `scenarios`) and the
/// value.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("scenarios.{field} = {value}: {reason}")]
pub struct ConfigError {
    pub field: String,
    pub value: String,
    pub reason: String,
}

fn fail<T, V: fmt::Display>(
    field: &str,
    value: V,
    reason: impl Into<String>,
) -> Result<T, ConfigError> {
    Err(ConfigError {
        field: field.to_string(),
        value: value.to_string(),
        reason: reason.into(),
    })
}

/// Largest crowding accepted: ten times a class's normal daily volume sold by other holders.
pub const CROWDING_MAX: f64 = 10.0;

/// A finite number within `[min, max]`.
fn number(field: &str, x: f64, min: f64, max: f64) -> Result<(), ConfigError> {
    if !x.is_finite() || x < min || x > max {
        return fail(field, x, format!("must be a number within [{min}, {max}]"));
    }
    Ok(())
}

/// An ordered interval of finite numbers within `[min, max]`.
fn span(field: &str, s: Span<f64>, min: f64, max: f64) -> Result<(), ConfigError> {
    if !s.0.is_finite() || !s.1.is_finite() {
        return fail(field, s, "both ends must be finite numbers");
    }
    if s.0 > s.1 {
        return fail(field, s, "the lower end is above the upper end");
    }
    if s.0 < min || s.1 > max {
        return fail(field, s, format!("must lie within [{min}, {max}]"));
    }
    Ok(())
}

/// Weights: each finite and non-negative, not all zero.
fn weights(table: &str, entries: &[(&str, f64)]) -> Result<(), ConfigError> {
    for &(key, w) in entries {
        if !w.is_finite() || w < 0.0 {
            return fail(
                &format!("{table}.{key}"),
                w,
                "a weight must be a non-negative number",
            );
        }
    }
    if entries.iter().all(|&(_, w)| w == 0.0) {
        let all: Vec<String> = entries.iter().map(|(k, w)| format!("{k} = {w}")).collect();
        return fail(
            table,
            format!("{{ {} }}", all.join(", ")),
            "all weights are zero",
        );
    }
    Ok(())
}

impl ScenarioConfig {
    /// The same configuration with the family weights of `[scenarios.mixture]`: calm markets with
    /// the probability that a window holds no stress episode, each stress family with its share
    /// of the rest (docs/scenarios.md, section 10). Every range, the tier mix and the copula are
    /// the stress library's. The default configuration stays the stress library (calm weight 0):
    /// frequencies over it are conditional on stress; over this one they are unconditional.
    pub fn unconditional(&self) -> ScenarioConfig {
        ScenarioConfig {
            weights: self.mixture.probabilities(),
            ..self.clone()
        }
    }

    /// [`ScenarioConfig::unconditional`] for scenarios of `horizon_days`: a mixture without its
    /// own `window_days` takes the horizon as its window, so that the calm weight is the
    /// probability that the simulated window holds no episode.
    pub fn unconditional_for(&self, horizon_days: u32) -> ScenarioConfig {
        let mut cfg = self.clone();
        cfg.mixture.window_days = Some(self.mixture.window_days.unwrap_or(horizon_days));
        cfg.unconditional()
    }

    /// Checks every setting; the error names the first field that is wrong and its value.
    pub fn validate(&self) -> Result<(), ConfigError> {
        weights("weights", &self.weights.entries())?;

        self.validate_families()?;
        self.validate_market()?;

        let t = &self.timing;
        for (field, s) in [
            ("timing.onset", t.onset),
            ("timing.ramp", t.ramp),
            ("timing.plateau", t.plateau),
        ] {
            if s.0 > s.1 {
                return fail(field, s, "the lower end is above the upper end");
            }
        }
        if t.ramp.0 < 1 {
            return fail("timing.ramp", t.ramp, "a ramp lasts at least 1 day");
        }
        span("timing.half_life", t.half_life, 1e-3, 1e6)?;

        number("regimes.normal", self.regimes.normal, 0.0, 1.0)?;
        number("regimes.stressed", self.regimes.stressed, 0.0, 1.0)?;
        number("regimes.crisis", self.regimes.crisis, 0.0, 1.0)?;

        span("redemption.severity", self.redemption.severity, 0.0, 1.0)?;
        span("redemption.mult", self.redemption.mult, 1.0, 1000.0)?;
        span(
            "redemption.large_mult",
            self.redemption.large_mult,
            1.0,
            1000.0,
        )?;

        span("funding.shock", self.funding.shock, 0.0, 1.0)?;
        span(
            "funding.haircut_addon",
            self.funding.haircut_addon,
            0.0,
            1.0,
        )?;

        number("copula.rho", self.copula.rho, -0.999, 0.999)?;
        number("copula.dof", self.copula.dof, 0.5, 1e6)?;
        self.validate_mixture()
    }

    /// `[scenarios.mixture]`: a positive window, year and sample, non-negative counts.
    fn validate_mixture(&self) -> Result<(), ConfigError> {
        let m = &self.mixture;
        if let Some(w) = m.window_days.filter(|w| *w < 1) {
            return fail("mixture.window_days", w, "a window lasts at least 1 day");
        }
        number(
            "mixture.business_days_per_year",
            m.business_days_per_year,
            1.0,
            366.0,
        )?;
        number("mixture.years", m.years, 1e-3, 1e6)?;
        for (key, n) in m.episodes.entries() {
            number(&format!("mixture.episodes.{key}"), n, 0.0, 1e6)?;
        }
        Ok(())
    }

    /// The four drawn families' own settings (the market-wide mix only when it is drawn).
    fn validate_families(&self) -> Result<(), ConfigError> {
        let mw = &self.market_wide;
        if self.weights.market_wide > 0.0 {
            weights(
                "market_wide.mix",
                &[
                    ("moderate", mw.mix.moderate),
                    ("severe", mw.mix.severe),
                    ("extreme", mw.mix.extreme),
                ],
            )?;
        }
        span(
            "market_wide.severity.moderate",
            mw.severity.moderate,
            0.0,
            1.0,
        )?;
        span("market_wide.severity.severe", mw.severity.severe, 0.0, 1.0)?;
        span(
            "market_wide.severity.extreme",
            mw.severity.extreme,
            0.0,
            1.0,
        )?;
        if mw.severity.severe.0 < mw.severity.moderate.1 {
            return fail(
                "market_wide.severity.severe",
                mw.severity.severe,
                format!(
                    "must start at or above the end of the moderate band ({})",
                    mw.severity.moderate.1
                ),
            );
        }
        if mw.severity.extreme.0 < mw.severity.severe.1 {
            return fail(
                "market_wide.severity.extreme",
                mw.severity.extreme,
                format!(
                    "must start at or above the end of the severe band ({})",
                    mw.severity.severe.1
                ),
            );
        }

        let acs = &self.asset_class_specific;
        span("asset_class_specific.severity", acs.severity, 0.0, 1.0)?;
        for (family, crowding, recovery) in [
            ("market_wide", mw.crowding, mw.recovery),
            ("asset_class_specific", acs.crowding, acs.recovery),
            (
                "flight_to_quality",
                self.flight_to_quality.crowding,
                self.flight_to_quality.recovery,
            ),
            (
                "funding_liquidity_shock",
                self.funding_liquidity_shock.crowding,
                self.funding_liquidity_shock.recovery,
            ),
        ] {
            span(&format!("{family}.crowding"), crowding, 0.0, CROWDING_MAX)?;
            span(&format!("{family}.recovery"), recovery, 0.0, 1.0)?;
        }
        number(
            "asset_class_specific.others_scale",
            acs.others_scale,
            0.0,
            1.0,
        )?;

        let ftq = &self.flight_to_quality;
        span("flight_to_quality.severity", ftq.severity, 0.0, 1.0)?;
        span("flight_to_quality.rate_shock", ftq.rate_shock, -0.2, 0.2)?;
        span(
            "flight_to_quality.credit_spread_shock",
            ftq.credit_spread_shock,
            -0.2,
            0.5,
        )?;
        number(
            "flight_to_quality.reference_duration_fixed_income",
            ftq.reference_duration_fixed_income,
            0.0,
            50.0,
        )?;
        number(
            "flight_to_quality.reference_duration_credit",
            ftq.reference_duration_credit,
            0.0,
            50.0,
        )?;

        let fls = &self.funding_liquidity_shock;
        span("funding_liquidity_shock.severity", fls.severity, 0.0, 1.0)?;
        span(
            "funding_liquidity_shock.funding_shock",
            fls.funding_shock,
            0.0,
            1.0,
        )?;
        span(
            "funding_liquidity_shock.haircut_addon",
            fls.haircut_addon,
            0.0,
            1.0,
        )?;
        Ok(())
    }

    /// The `[scenarios.market]` ranges every risk class's shock is drawn from.
    fn validate_market(&self) -> Result<(), ConfigError> {
        // Depth and volume cuts stay below 1: the kernel divides by the remaining depth.
        let m = &self.market;
        span("market.depth_cut", m.depth_cut, 0.0, 0.99)?;
        span("market.spread_mult", m.spread_mult, 1.0, 1000.0)?;
        span("market.volume_cut", m.volume_cut, 0.0, 0.99)?;
        span("market.vol_mult", m.vol_mult, 1.0, 100.0)?;
        number("market.class_dispersion", m.class_dispersion, 0.0, 1.0)?;
        span("market.price_shock.equity", m.price_shock.equity, -5.0, 1.0)?;
        span(
            "market.price_shock.fixed_income",
            m.price_shock.fixed_income,
            -5.0,
            1.0,
        )?;
        span("market.price_shock.credit", m.price_shock.credit, -5.0, 1.0)?;
        span(
            "market.price_shock.alternative",
            m.price_shock.alternative,
            -5.0,
            1.0,
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ScenarioConfig, toml::de::Error> {
        toml::from_str(text)
    }

    #[test]
    fn defaults_are_valid_and_match_the_model() {
        let cfg = ScenarioConfig::default();
        cfg.validate().unwrap();
        assert_eq!(cfg.market.depth_cut, Span(0.5, 0.95));
        assert_eq!(cfg.market.spread_mult, Span(2.0, 20.0));
        assert_eq!(cfg.market.volume_cut, Span(0.3, 0.9));
        assert_eq!(
            (cfg.regimes.normal, cfg.regimes.stressed, cfg.regimes.crisis),
            (0.3, 0.6, 0.85)
        );
        assert_eq!(cfg.copula.kind, CopulaKind::StudentT);
        assert_eq!((cfg.copula.dof, cfg.copula.rho), (4.0, 0.6));
    }

    #[test]
    fn empty_table_gives_defaults_and_round_trips() {
        assert_eq!(parse("").unwrap(), ScenarioConfig::default());
        let text = toml::to_string(&ScenarioConfig::default()).unwrap();
        assert_eq!(parse(&text).unwrap(), ScenarioConfig::default());
    }

    #[test]
    fn a_subset_keeps_the_other_defaults() {
        let cfg = parse(
            "[market]\nspread_mult = [3, 12]\n[copula]\nkind = \"gaussian\"\n[timing]\nhalf_life = [10, 20]\n",
        )
        .unwrap();
        assert_eq!(cfg.market.spread_mult, Span(3.0, 12.0));
        assert_eq!(cfg.market.depth_cut, Span(0.5, 0.95));
        assert_eq!(cfg.copula.kind, CopulaKind::Gaussian);
        assert_eq!(cfg.copula.rho, 0.6);
        assert_eq!(cfg.timing.half_life, Span(10.0, 20.0));
        assert_eq!(cfg.timing.onset, Span(1, 30));
        cfg.validate().unwrap();
    }

    #[test]
    fn a_weights_table_replaces_the_default_mix() {
        let cfg = parse("[weights]\nmarket_wide = 1.0\n[market_wide.mix]\nextreme = 2\n").unwrap();
        assert_eq!(cfg.weights.market_wide, 1.0);
        assert_eq!(cfg.weights.gfc_2008, 0.0);
        assert_eq!(
            cfg.market_wide.mix,
            TierMix {
                moderate: 0.0,
                severe: 0.0,
                extreme: 2.0
            }
        );
        cfg.validate().unwrap();
    }

    #[test]
    fn unknown_fields_are_rejected_with_their_name() {
        let err = parse("[market]\ndepth_cutt = [0.5, 0.9]\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("depth_cutt"), "{err}");
        let err = parse("severity = 3\n").unwrap_err().to_string();
        assert!(err.contains("severity"), "{err}");
        let err = parse("[copula]\nkind = \"clayton\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("clayton"), "{err}");
    }

    fn invalid(text: &str) -> ConfigError {
        parse(text).unwrap().validate().unwrap_err()
    }

    #[test]
    fn validation_names_the_field_and_the_value() {
        let e = invalid("[weights]\nmarket_wide = -1\ngfc_2008 = 1\n");
        assert_eq!(e.field, "weights.market_wide");
        assert_eq!(e.value, "-1");

        let e = invalid("[weights]\nmarket_wide = 0\n");
        assert_eq!(e.field, "weights");
        assert!(e.reason.contains("all weights are zero"));

        let e = invalid("[market]\ndepth_cut = [0.9, 0.5]\n");
        assert_eq!(e.field, "market.depth_cut");
        assert_eq!(e.value, "[0.9, 0.5]");
        assert!(
            e.to_string()
                .starts_with("scenarios.market.depth_cut = [0.9, 0.5]: "),
            "{e}"
        );

        let e = invalid("[market]\ndepth_cut = [0.5, 1.0]\n");
        assert_eq!(e.field, "market.depth_cut");

        let e = invalid("[market_wide.severity]\nsevere = [0.2, 0.7]\n");
        assert_eq!(e.field, "market_wide.severity.severe");

        let e = invalid("[timing]\nramp = [0, 5]\n");
        assert_eq!(e.field, "timing.ramp");

        let e = invalid("[timing]\nonset = [40, 5]\n");
        assert_eq!(e.field, "timing.onset");
        assert_eq!(e.value, "[40, 5]");

        let e = invalid("[redemption]\nmult = [0.5, 3]\n");
        assert_eq!(e.field, "redemption.mult");

        let e = invalid("[copula]\nrho = 1.0\n");
        assert_eq!(e.field, "copula.rho");

        let e = invalid("[regimes]\ncrisis = nan\n");
        assert_eq!(e.field, "regimes.crisis");
        assert_eq!(e.value, "NaN");

        // The mix only matters when market-wide scenarios are drawn at all.
        let e = invalid("[market_wide.mix]\nmoderate = 0\n");
        assert_eq!(e.field, "market_wide.mix");
        parse("[weights]\ngfc_2008 = 1\n[market_wide.mix]\nmoderate = 0\n")
            .unwrap()
            .validate()
            .unwrap();
    }
}

//! The ranges docs/scenarios.md marks "judgement", for the sensitivity table: their names
//! ([`ScenarioConfig::judgement_ranges`]) and a configuration with one of them moved by a factor
//! about its centre ([`ScenarioConfig::with_range_scaled`]).
//!
//! A range `[lo, hi]` scaled by `f` becomes `[c - f h, c + f h]`, with `c` its centre and `h`
//! its half-width, clipped to the bounds that [`ScenarioConfig::validate`] accepts for it. A
//! factor above 1 widens the range, below 1 narrows it, 0 collapses it to its centre.

use super::config::{ConfigError, ScenarioConfig, Span, CROWDING_MAX};

/// Every judgement range: its name (its TOML path under `scenarios.`) and the bounds the
/// validation accepts for it. The order is the order of docs/scenarios.md, section 11.
const JUDGEMENT: [(&str, f64, f64); 18] = [
    ("market.depth_cut", 0.0, 0.99),
    ("market.spread_mult", 1.0, 1000.0),
    ("market.volume_cut", 0.0, 0.99),
    ("market_wide.recovery", 0.0, 1.0),
    ("asset_class_specific.severity", 0.0, 1.0),
    ("asset_class_specific.crowding", 0.0, CROWDING_MAX),
    ("asset_class_specific.recovery", 0.0, 1.0),
    ("flight_to_quality.severity", 0.0, 1.0),
    ("flight_to_quality.crowding", 0.0, CROWDING_MAX),
    ("flight_to_quality.recovery", 0.0, 1.0),
    ("funding_liquidity_shock.severity", 0.0, 1.0),
    ("funding_liquidity_shock.funding_shock", 0.0, 1.0),
    ("funding_liquidity_shock.haircut_addon", 0.0, 1.0),
    ("funding_liquidity_shock.crowding", 0.0, CROWDING_MAX),
    ("funding_liquidity_shock.recovery", 0.0, 1.0),
    ("redemption.large_mult", 1.0, 1000.0),
    ("funding.shock", 0.0, 1.0),
    ("funding.haircut_addon", 0.0, 1.0),
];

impl ScenarioConfig {
    /// The names of every range docs/scenarios.md marks "judgement" (section 11), as TOML paths
    /// under `scenarios.`: the ranges the sensitivity table moves one at a time.
    pub fn judgement_ranges() -> Vec<&'static str> {
        JUDGEMENT.iter().map(|(name, _, _)| *name).collect()
    }

    /// This configuration with the judgement range `name` scaled by `factor` about its centre
    /// (`[c - f h, c + f h]`, clipped to the range's valid bounds). An unknown name, or a factor
    /// that is not a finite number at least 0, is an error naming it.
    pub fn with_range_scaled(
        &self,
        name: &str,
        factor: f64,
    ) -> Result<ScenarioConfig, ConfigError> {
        let Some(&(_, min, max)) = JUDGEMENT.iter().find(|(n, _, _)| *n == name) else {
            return Err(ConfigError {
                field: name.to_string(),
                value: factor.to_string(),
                reason: format!(
                    "not a judgement range (they are: {})",
                    Self::judgement_ranges().join(", ")
                ),
            });
        };
        if !factor.is_finite() || factor < 0.0 {
            return Err(ConfigError {
                field: name.to_string(),
                value: factor.to_string(),
                reason: "a scaling factor must be a finite number at least 0".into(),
            });
        }
        let mut cfg = self.clone();
        let range = cfg
            .judgement_range_mut(name)
            .expect("every listed name has a range");
        *range = scaled(*range, factor, min, max);
        Ok(cfg)
    }

    /// The range a judgement name refers to.
    fn judgement_range_mut(&mut self, name: &str) -> Option<&mut Span<f64>> {
        Some(match name {
            "market.depth_cut" => &mut self.market.depth_cut,
            "market.spread_mult" => &mut self.market.spread_mult,
            "market.volume_cut" => &mut self.market.volume_cut,
            "market_wide.recovery" => &mut self.market_wide.recovery,
            "asset_class_specific.severity" => &mut self.asset_class_specific.severity,
            "asset_class_specific.crowding" => &mut self.asset_class_specific.crowding,
            "asset_class_specific.recovery" => &mut self.asset_class_specific.recovery,
            "flight_to_quality.severity" => &mut self.flight_to_quality.severity,
            "flight_to_quality.crowding" => &mut self.flight_to_quality.crowding,
            "flight_to_quality.recovery" => &mut self.flight_to_quality.recovery,
            "funding_liquidity_shock.severity" => &mut self.funding_liquidity_shock.severity,
            "funding_liquidity_shock.funding_shock" => {
                &mut self.funding_liquidity_shock.funding_shock
            }
            "funding_liquidity_shock.haircut_addon" => {
                &mut self.funding_liquidity_shock.haircut_addon
            }
            "funding_liquidity_shock.crowding" => &mut self.funding_liquidity_shock.crowding,
            "funding_liquidity_shock.recovery" => &mut self.funding_liquidity_shock.recovery,
            "redemption.large_mult" => &mut self.redemption.large_mult,
            "funding.shock" => &mut self.funding.shock,
            "funding.haircut_addon" => &mut self.funding.haircut_addon,
            _ => return None,
        })
    }
}

/// `[c - f h, c + f h]` clipped to `[min, max]`, written as `[lo - (f - 1) h, hi + (f - 1) h]`
/// so that a factor of 1 gives the range back bit for bit.
fn scaled(range: Span<f64>, factor: f64, min: f64, max: f64) -> Span<f64> {
    let move_by = (factor - 1.0) * 0.5 * (range.1 - range.0);
    let clip = |x: f64| x.clamp(min, max);
    let (lo, hi) = (clip(range.0 - move_by), clip(range.1 + move_by));
    // A factor near 0 can cross the ends by rounding: they meet at the centre.
    if lo > hi {
        let centre = 0.5 * (lo + hi);
        return Span(centre, centre);
    }
    Span(lo, hi)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_is_accepted_and_gives_a_valid_configuration() {
        let base = ScenarioConfig::default();
        let names = ScenarioConfig::judgement_ranges();
        assert_eq!(names.len(), JUDGEMENT.len());
        for name in names {
            for factor in [0.0, 0.5, 1.0, 1.5, 3.0] {
                let cfg = base
                    .with_range_scaled(name, factor)
                    .unwrap_or_else(|e| panic!("{name} x {factor}: {e}"));
                cfg.validate()
                    .unwrap_or_else(|e| panic!("{name} x {factor}: {e}"));
            }
        }
    }

    #[test]
    fn scaling_by_one_is_the_identity() {
        let base = ScenarioConfig::default();
        for name in ScenarioConfig::judgement_ranges() {
            assert_eq!(base.with_range_scaled(name, 1.0).unwrap(), base, "{name}");
        }
    }

    #[test]
    fn scaling_by_one_and_a_half_widens_about_the_centre_and_touches_nothing_else() {
        let base = ScenarioConfig::default();
        for name in ScenarioConfig::judgement_ranges() {
            let mut wide = base.with_range_scaled(name, 1.5).unwrap();
            let before = *base.clone().judgement_range_mut(name).unwrap();
            let after = *wide.judgement_range_mut(name).unwrap();
            let width = |s: Span<f64>| s.1 - s.0;
            assert!(width(after) > width(before), "{name}: {before} -> {after}");
            assert!(
                after.0 <= before.0 && after.1 >= before.1,
                "{name}: {before} -> {after}"
            );
            // Unclipped ends sit at exactly 1.5 half-widths from the centre.
            let (c, h) = (0.5 * (before.0 + before.1), 0.5 * width(before));
            let (_, min, max) = JUDGEMENT.iter().find(|(n, _, _)| *n == name).unwrap();
            if c - 1.5 * h > *min {
                assert!((after.0 - (c - 1.5 * h)).abs() < 1e-12, "{name}: {after}");
            } else {
                assert_eq!(after.0, *min, "{name}: clipped to the bound");
            }
            if c + 1.5 * h < *max {
                assert!((after.1 - (c + 1.5 * h)).abs() < 1e-12, "{name}: {after}");
            } else {
                assert_eq!(after.1, *max, "{name}: clipped to the bound");
            }
            // Only that range moved.
            *wide.judgement_range_mut(name).unwrap() = before;
            assert_eq!(wide, base, "{name}: something else changed");
        }
        // A closed form: [0.5, 0.95] x 1.5 = 0.725 -+ 0.3375 = [0.3875, 1.0625], clipped at 0.99.
        let cfg = base.with_range_scaled("market.depth_cut", 1.5).unwrap();
        assert!((cfg.market.depth_cut.0 - 0.3875).abs() < 1e-12);
        assert_eq!(cfg.market.depth_cut.1, 0.99);
        // And 0.5 narrows: [0.6125, 0.8375].
        let cfg = base.with_range_scaled("market.depth_cut", 0.5).unwrap();
        assert!((cfg.market.depth_cut.0 - 0.6125).abs() < 1e-12);
        assert!((cfg.market.depth_cut.1 - 0.8375).abs() < 1e-12);
    }

    #[test]
    fn an_unknown_name_or_a_bad_factor_is_an_error_naming_it() {
        let base = ScenarioConfig::default();
        let e = base
            .with_range_scaled("market.depth_cutt", 1.5)
            .unwrap_err();
        assert_eq!(e.field, "market.depth_cutt");
        assert!(e.reason.contains("market.depth_cut,"), "{e}");
        // Ranges with a data source are not judgement ranges.
        assert!(base.with_range_scaled("market.vol_mult", 1.5).is_err());
        for bad in [f64::NAN, -0.5, f64::INFINITY] {
            let e = base.with_range_scaled("funding.shock", bad).unwrap_err();
            assert_eq!(e.field, "funding.shock");
            assert_eq!(e.value, bad.to_string());
        }
    }
}

//! Settings of the analysis: [`AnalysisConfig`] composes each stage's settings (defined in the
//! stage's `config` module, with the defaults a fund's risk team starts from) and validates them
//! with errors that name the setting, the value and what is wrong with it.
//!
//! Every default is documented in `docs/analysis.md`. Settings are named by their path here
//! (`buffer.target_coverage`); the CLI maps each path to its flag.

use serde::Serialize;

pub use crate::setting::ConfigError;
pub use undertow_format::text::pct;

use crate::investor_behaviour::config::InvestorConfig;
use crate::liquidation_design::config::LiquidationConfig;
use crate::market_liquidity::config::ProfileConfig;
use crate::portfolio_liquidity::config::{BufferConfig, ConstructionConfig};
use crate::redemption_policy::config::{
    EarlyWarningConfig, GateConfig, ReverseStressConfig, SwingConfig,
};

/// Every stage's settings.
#[derive(Clone, Debug, Serialize, PartialEq, Default)]
pub struct AnalysisConfig {
    pub profile: ProfileConfig,
    pub investors: InvestorConfig,
    pub buffer: BufferConfig,
    pub construction: ConstructionConfig,
    pub liquidation: LiquidationConfig,
    pub gates: GateConfig,
    pub swing: SwingConfig,
    pub early_warning: EarlyWarningConfig,
    pub reverse_stress: ReverseStressConfig,
}

impl AnalysisConfig {
    /// Checks every setting; the first problem found is returned.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.profile.validate()?;
        self.investors.validate()?;
        self.buffer.validate()?;
        self.construction.validate()?;
        self.liquidation.validate()?;
        self.gates.validate()?;
        self.swing.validate()?;
        self.early_warning.validate()?;
        self.reverse_stress.validate()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::portfolio_liquidity::config::{seed_recommendation, Composition};

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

    /// Every scenario count and every day count is bounded, and the error names the setting.
    #[test]
    fn counts_and_days_beyond_their_bounds_are_refused_by_name() {
        type Set = fn(&mut AnalysisConfig, u64);
        let counts: [(&str, Set); 7] = [
            ("investors.attribution_scenarios", |c, n| {
                c.investors.attribution_scenarios = n
            }),
            ("profile.scenarios", |c, n| c.profile.scenarios = n),
            ("buffer.scenarios", |c, n| c.buffer.scenarios = n),
            ("liquidation.scenarios", |c, n| c.liquidation.scenarios = n),
            ("gates.scenarios", |c, n| c.gates.scenarios = n),
            ("swing.scenarios", |c, n| c.swing.scenarios = n),
            ("early_warning.scenarios", |c, n| {
                c.early_warning.scenarios = n
            }),
        ];
        for (setting, set) in counts {
            for n in [crate::setting::MAX_SCENARIOS + 1, u64::MAX] {
                let mut cfg = AnalysisConfig::default();
                set(&mut cfg, n);
                let e = cfg.validate().unwrap_err();
                assert_eq!(
                    (e.setting.as_str(), e.value.clone()),
                    (setting, n.to_string())
                );
            }
            let mut cfg = AnalysisConfig::default();
            set(&mut cfg, crate::setting::MAX_SCENARIOS);
            cfg.validate().unwrap();
        }
        let mut cfg = AnalysisConfig::default();
        cfg.reverse_stress.scenarios_per_point = u64::MAX;
        assert_eq!(
            cfg.validate().unwrap_err().setting,
            "reverse_stress.scenarios_per_point"
        );

        type SetDays = fn(&mut AnalysisConfig, u32);
        let days: [(&str, SetDays); 6] = [
            ("profile.horizons", |c, d| c.profile.horizons = vec![1, d]),
            ("buffer.horizon_days", |c, d| c.buffer.horizon_days = d),
            ("liquidation.time_slicing_days", |c, d| {
                c.liquidation.time_slicing_days = d
            }),
            ("gates.notice_days", |c, d| c.gates.notice_days = vec![d]),
            ("gates.min_days", |c, d| c.gates.min_days = Some(d)),
            ("early_warning.min_lead_days", |c, d| {
                c.early_warning.min_lead_days = d
            }),
        ];
        let max = undertow_host::fund::MAX_HORIZON_DAYS;
        for (setting, set) in days {
            for d in [max + 1, 3650, u32::MAX] {
                let mut cfg = AnalysisConfig::default();
                set(&mut cfg, d);
                let e = cfg.validate().unwrap_err();
                assert_eq!(e.setting, setting, "{e}");
                assert!(e.to_string().contains(&max.to_string()), "{e}");
            }
            let mut cfg = AnalysisConfig::default();
            set(&mut cfg, max);
            cfg.validate().unwrap();
        }
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

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

//! Stage 2's settings.

use serde::Serialize;

use crate::setting::{check_scenarios, ConfigError};

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

impl InvestorConfig {
    /// Checks every setting; the error names the setting and the value.
    pub fn validate(&self) -> Result<(), ConfigError> {
        check_scenarios(
            "investors.attribution_scenarios",
            self.attribution_scenarios,
            0,
        )
    }
}

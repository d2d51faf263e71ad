//! Stage 2's settings.

use serde::Serialize;

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

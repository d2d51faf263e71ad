//! Helpers shared by the analysis' integration tests (each test binary compiles this module).

use undertow_analysis::AnalysisConfig;

/// Every stage on a few scenarios: 40 per rerun, 4 per reverse stress point.
pub fn small_config() -> AnalysisConfig {
    let mut cfg = AnalysisConfig::default();
    cfg.profile.scenarios = 200;
    cfg.investors.attribution_scenarios = 40;
    cfg.buffer.scenarios = 40;
    cfg.liquidation.scenarios = 40;
    cfg.gates.scenarios = 40;
    cfg.swing.scenarios = 40;
    cfg.early_warning.scenarios = 40;
    cfg.reverse_stress.scenarios_per_point = 4;
    cfg
}

//! Scenario generation (MODEL.md section 2): families, severities, per-class shocks, timing,
//! correlation regimes, redemption and funding shocks, the market/redemption copula, historical
//! replays and scripted scenarios. A scenario's parameters depend only on the run seed and its index.

/// Scenario generation settings, the `[scenarios]` table of a fund file.
#[derive(Clone, Debug, PartialEq, Default, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioConfig {}

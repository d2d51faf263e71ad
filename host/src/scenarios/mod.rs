//! Scenario generation (MODEL.md section 2): families, severities, per-class shocks, timing,
//! correlation regimes, redemption and funding shocks, the market/redemption copula, historical
//! replays and scripted scenarios. A scenario's parameters depend only on the run seed and its index.
//!
//! Code map: `config` (the `[scenarios]` table and its validation), `copula` (the severity
//! copula), `generate` (drawing one scenario), `replay` (historical episodes), `script`
//! (hand-written deterministic scenarios), `family` (family codes and names), `shape` (class
//! kinds and the few facts about a fund that generation and scripts use), `sensitivity` (the
//! judgement ranges and a configuration with one of them scaled). The documentation
//! with ranges and sources is docs/scenarios.md.

pub mod config;
pub mod copula;
pub mod family;
pub mod generate;
pub mod replay;
pub mod script;
mod sensitivity;
pub mod shape;

#[cfg(test)]
mod tests;

use std::ops::Range;

use rayon::prelude::*;
use undertow_kernel::ScenarioParams;

pub use config::{ConfigError, EpisodeCounts, FamilyWeights, MixtureConfig, ScenarioConfig, Span};
pub use copula::CopulaKind;
pub use generate::{ClassShock, ScenarioGenerator};
pub use replay::{Replay, REPLAYS};
pub use script::{
    load_script_file, load_scripts, parse_script_file, parse_scripts, ScriptError, ScriptedScenario,
};
pub use shape::{ClassInfo, ClassKind, FundShape};

/// Correlation regime codes, carried in `ScenarioParams::regime`.
pub mod regime {
    pub const NORMAL: u32 = 0;
    pub const STRESSED: u32 = 1;
    pub const CRISIS: u32 = 2;
    /// Names as they appear in outputs and script files, indexed by code.
    pub const NAMES: [&str; 3] = ["normal", "stressed", "crisis"];
}

/// Scenario `index` of the run with `seed`. Deterministic: the same `(seed, index)` always gives
/// the same record, whatever else is generated. For many scenarios, build a
/// [`ScenarioGenerator`] once or call [`generate()`].
pub fn scenario<'a>(
    fund: impl Into<FundShape<'a>>,
    cfg: &ScenarioConfig,
    seed: u64,
    index: u64,
) -> ScenarioParams {
    ScenarioGenerator::new(fund, cfg).scenario(seed, index)
}

/// Scenarios `range` of the run with `seed`, in index order, generated in parallel. Equal to the
/// concatenation of any split of the range, and to calling [`scenario`] index by index.
pub fn generate<'a>(
    fund: impl Into<FundShape<'a>>,
    cfg: &ScenarioConfig,
    seed: u64,
    range: Range<u64>,
) -> Vec<ScenarioParams> {
    let generator = ScenarioGenerator::new(fund, cfg);
    range
        .into_par_iter()
        .map(|index| generator.scenario(seed, index))
        .collect()
}

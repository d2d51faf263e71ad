//! A run end to end, as a library: the fund with the caller's overrides ([`fund`]), the backend
//! ([`backend`]), the sweep and the analysis stages ([`mod@run`]), `summary.json` ([`summary`]), the
//! stage commands' pipelines ([`stages`]), backend checks and timings ([`measure`]), every output written atomically, and the report
//! ([`files`]). The `undertow` binary (and any binding) wraps this crate: it parses flags, drives
//! a progress bar and prints; the domain logic is here. Errors say whether the caller's input is
//! at fault ([`EngineError::is_bad_input`]).

pub mod backend;
pub mod error;
pub mod files;
pub mod fund;
pub mod measure;
mod output;
pub mod run;
pub mod settings;
pub mod stages;
pub mod summary;

pub use error::EngineError;
pub use fund::FundOverrides;
pub use output::{SCENARIOS_CSV, SUMMARY_JSON};
pub use run::{run, RunOutcome, RunRequest};
pub use settings::AnalysisSettings;
pub use summary::Summary;

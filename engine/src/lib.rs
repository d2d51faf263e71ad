//! A run end to end, as a library: the fund with the caller's overrides ([`fund`]), the backend
//! ([`backend`]), the sweep and the analysis stages ([`mod@run`]), `summary.json` ([`summary`]), the
//! stage commands' pipelines ([`stages`]), sharded runs and their exact merge ([`shard`]), backend checks and timings ([`measure`]), every output written atomically, and the report
//! ([`files`]). The `undertow` binary (and any binding) wraps this crate: it parses flags, drives
//! a progress bar and prints; the domain logic is here. Errors say whether the caller's input is
//! at fault ([`EngineError::is_bad_input`]).
//!
//! ```no_run
//! use undertow_engine::{fund, run, AnalysisSettings, FundOverrides, RunRequest, StageReruns};
//! use undertow_host::backend::BackendChoice;
//!
//! # fn main() -> Result<(), undertow_engine::EngineError> {
//! // The built-in example with a 60-day horizon, re-validated by the fund file's rules.
//! let overrides = FundOverrides { horizon: Some(60), strategy: None };
//! let fund = overrides.apply(fund::load(None)?)?;
//! let (backend, _why) = undertow_engine::backend::open(BackendChoice::Auto, None, 64)?;
//! let request = RunRequest {
//!     scenarios: 10_000,
//!     seed: 1,
//!     paths: 200,
//!     threads: None,
//!     analysis: Some(AnalysisSettings::default()),
//!     unconditional: true,
//!     stage_reruns: StageReruns::Cpu,
//! };
//! let outcome = run(&fund, &request, backend.as_ref(), |_done| {})?; // nothing written yet
//! outcome.write("undertow-out".as_ref())?; // every file at once, atomically
//! # Ok(())
//! # }
//! ```

pub mod backend;
pub mod calibrate;
pub mod cancel;
pub mod error;
pub mod files;
pub mod finite;
pub mod fund;
pub mod manifest;
pub mod market_data;
pub mod measure;
pub mod memory;
mod output;
pub mod run;
pub mod sensitivity;
pub mod settings;
pub mod shard;
pub mod stages;
pub mod summary;
pub mod what_if;

pub use error::EngineError;
pub use fund::FundOverrides;
pub use memory::MemoryEstimate;
pub use output::{check_out, SCENARIOS_CSV, SCENARIOS_UNCONDITIONAL_CSV, SUMMARY_JSON};
pub use run::{finish, run, RunOutcome, RunRequest, StageReruns, Swept};
pub use settings::AnalysisSettings;
pub use shard::{merge, run_shard, ShardSpec};
pub use summary::Summary;

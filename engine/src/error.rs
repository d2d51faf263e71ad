//! What can go wrong in a run, split the way a caller must act on it: bad input (the fund file, a
//! flag or setting: fix it and retry; exit code 2 in the CLI) or a failure while running (an I/O
//! error, a GPU fault: exit code 1).

use std::error::Error;

use undertow_analysis::config::ConfigError;
use undertow_analysis::AnalysisError;

/// An engine error. Its text is the message shown to the user; a runtime failure keeps its cause
/// as [`Error::source`], so that `{:#}` (anyhow) prints "what we were doing: why".
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// What the caller gave is wrong: a fund file, a flag, a setting. The message names it.
    #[error("{0}")]
    BadInput(String),
    /// The run was asked to stop ([`crate::cancel`]); nothing was written.
    #[error("interrupted: nothing was written")]
    Interrupted,
    /// Something failed while running: `context` says what was being done.
    #[error("{context}")]
    Failed {
        context: String,
        #[source]
        source: Box<dyn Error + Send + Sync + 'static>,
    },
}

impl EngineError {
    /// Whether the caller's input is at fault (exit code 2) rather than the run (exit code 1).
    pub fn is_bad_input(&self) -> bool {
        matches!(self, EngineError::BadInput(_))
    }

    /// A runtime failure while doing `context`.
    pub fn failed(
        context: impl Into<String>,
        source: impl Into<Box<dyn Error + Send + Sync + 'static>>,
    ) -> EngineError {
        EngineError::Failed {
            context: context.into(),
            source: source.into(),
        }
    }

    /// An analysis setting that is wrong, named by the flag that sets it (`flag_of`), or by its
    /// setting path when no flag does.
    pub fn config(e: &ConfigError, flag_of: impl Fn(&str) -> &'static str) -> EngineError {
        let flag = flag_of(&e.setting);
        let name = if flag.is_empty() {
            format!("setting {}", e.setting)
        } else {
            format!("flag {flag}")
        };
        EngineError::BadInput(format!("{name}: {}: {}", e.value, e.reason))
    }

    /// An analysis error: bad input for a setting or a buffer composition, otherwise a failure
    /// "running the analysis". Settings are named by the flags of [`crate::settings::flag_of`].
    pub fn analysis(e: AnalysisError) -> EngineError {
        match &e {
            AnalysisError::Config(c) => EngineError::config(c, crate::settings::flag_of),
            AnalysisError::Composition { .. } => EngineError::BadInput(e.to_string()),
            _ => EngineError::failed("running the analysis", e),
        }
    }
}

/// Adds what was being done to an I/O or other runtime error.
pub(crate) trait Context<T> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T, EngineError>;
}

impl<T, E: Into<Box<dyn Error + Send + Sync + 'static>>> Context<T> for Result<T, E> {
    fn context(self, what: impl FnOnce() -> String) -> Result<T, EngineError> {
        self.map_err(|e| EngineError::failed(what(), e))
    }
}

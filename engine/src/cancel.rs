//! Interruption: a caller (the CLI's signal handler) installs a check that says whether the run
//! should stop. The engine asks it between sweep blocks, between the stages of a run, between the
//! files it writes and between blocks of `scenarios.csv`; once it says stop, the run returns
//! [`EngineError::Interrupted`] and its pending output files are removed, so an interrupted run
//! leaves nothing new and earlier outputs untouched. Without a check installed nothing stops.

use std::sync::OnceLock;

use crate::error::EngineError;

static CHECK: OnceLock<fn() -> bool> = OnceLock::new();

/// Installs the process-wide check (once; later calls are ignored).
pub fn install(check: fn() -> bool) {
    let _ = CHECK.set(check);
}

/// Whether a stop was asked for.
pub fn requested() -> bool {
    CHECK.get().is_some_and(|check| check())
}

/// [`EngineError::Interrupted`] when a stop was asked for.
pub fn check() -> Result<(), EngineError> {
    if requested() {
        Err(EngineError::Interrupted)
    } else {
        Ok(())
    }
}

/// An I/O error of kind `Interrupted` when a stop was asked for: for callbacks that return
/// `std::io::Result` (sweep sinks, file writers), to abort them between blocks.
pub(crate) fn io_check() -> std::io::Result<()> {
    if requested() {
        Err(std::io::Error::new(
            std::io::ErrorKind::Interrupted,
            "interrupted",
        ))
    } else {
        Ok(())
    }
}

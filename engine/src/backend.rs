//! Opening the backend a run simulates on, with its errors split into bad input (a GPU asked for
//! that is not there) and runtime failures.

use undertow_gpu::open_backend;
use undertow_host::backend::{cpu_backend, Backend, BackendChoice, BackendError};

use crate::error::EngineError;

/// The name of a choice as the `--backend` flag spells it.
pub fn choice_name(choice: BackendChoice) -> &'static str {
    match choice {
        BackendChoice::Auto => "auto",
        BackendChoice::Cpu => "cpu",
        BackendChoice::Gpu => "gpu",
    }
}

/// Opens the backend `choice` names (the CPU one with `threads` and `chunk`), with a sentence on
/// why it was chosen. "No adapter" is bad input (the caller asked for a GPU that is not there);
/// any other GPU failure is a runtime error.
pub fn open(
    choice: BackendChoice,
    threads: Option<usize>,
    chunk: usize,
) -> Result<(Box<dyn Backend>, String), EngineError> {
    crate::run::check_threads(threads)?;
    if chunk == 0 {
        return Err(EngineError::BadInput(
            "flag --chunk: 0 (must be at least 1)".into(),
        ));
    }
    match open_backend(choice, || cpu_backend(threads, chunk)) {
        Ok(b) => Ok(b),
        Err(e @ BackendError::Unavailable(_)) => Err(EngineError::BadInput(format!(
            "flag --backend {}: {e}",
            choice_name(choice)
        ))),
        Err(e) => Err(EngineError::failed("opening the GPU", e)),
    }
}

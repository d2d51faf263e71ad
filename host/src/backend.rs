//! The backends a sweep can run on, behind one trait. The CPU reference (rayon) lives here; the
//! GPU backend (WGSL through wgpu) implements the same trait in `undertow-gpu`, which also holds
//! the `auto` choice between them.

use undertow_kernel::{FundModel, ScenarioOutput, ScenarioParams};

use crate::cpu::{CpuBackend, DEFAULT_CHUNK};

/// Why a backend could not simulate a block, whatever the backend.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// The device is not there (a GPU asked for that no adapter offers): bad input when a user
    /// asked for it.
    #[error("{0}")]
    Unavailable(String),
    /// The device failed while running: device loss, a failed allocation, a validation error.
    #[error("{backend}: {source}")]
    Failed {
        backend: String,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// `e`'s message and its causes', skipping a cause its parent's message already ends with (as
/// `BackendError::Failed` prints its source): the text a notice gives of a backend's failure.
pub fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let line = c.to_string();
        if !text.ends_with(&line) {
            text.push_str(": ");
            text.push_str(&line);
        }
        cause = c.source();
    }
    text
}

/// Something that turns scenarios into output records. `Send` as well as `Sync`, so that the
/// analysis can hold one behind an `Arc` for the stages' reruns (`undertow_analysis::sim`).
pub trait Backend: Send + Sync {
    /// What it is, for logs and `summary.json` ("cpu (2 threads, avx2)", "gpu: NVIDIA H100 ...").
    fn describe(&self) -> String;
    /// Short kind: "cpu" or "gpu".
    fn kind(&self) -> &'static str;
    /// Scenarios a sweep hands it at once: enough to keep it busy, few enough to bound memory.
    fn preferred_block(&self) -> u64;
    /// Simulates `scenarios`, the first having index `first_index`.
    fn simulate(
        &self,
        model: &FundModel,
        scenarios: &[ScenarioParams],
        first_index: u64,
        seed: u64,
    ) -> Result<Vec<ScenarioOutput>, BackendError>;
}

/// Scenarios a sweep generates and simulates together on the CPU.
pub const CPU_BLOCK: u64 = 8192;

impl Backend for CpuBackend {
    fn describe(&self) -> String {
        // The instruction set of the day loop (`undertow_kernel::isa`): the same bits on each.
        format!(
            "cpu ({} threads, {})",
            self.threads(),
            undertow_kernel::isa::Isa::current().name()
        )
    }
    fn kind(&self) -> &'static str {
        "cpu"
    }
    fn preferred_block(&self) -> u64 {
        CPU_BLOCK
    }
    fn simulate(
        &self,
        model: &FundModel,
        scenarios: &[ScenarioParams],
        first_index: u64,
        seed: u64,
    ) -> Result<Vec<ScenarioOutput>, BackendError> {
        Ok(self.run::<f32>(model, scenarios, first_index, seed))
    }
}

/// Which backend the user asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendChoice {
    /// A hardware GPU when there is one, otherwise the CPU.
    Auto,
    Cpu,
    /// A GPU adapter (hardware first, a software one such as lavapipe if it is the only one).
    Gpu,
}

/// The CPU backend a run asks for: `threads = None` uses every core.
pub fn cpu_backend(threads: Option<usize>, chunk: usize) -> Result<CpuBackend, BackendError> {
    CpuBackend::new(threads, chunk.max(1)).map_err(|e| BackendError::Failed {
        backend: "cpu".into(),
        source: Box::new(e),
    })
}

/// The CPU backend with every core and the default chunk.
pub fn default_cpu() -> Result<CpuBackend, BackendError> {
    cpu_backend(None, DEFAULT_CHUNK)
}

//! Opening the backend a run simulates on, with its errors split into bad input (a GPU asked for
//! that is not there) and runtime failures.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use undertow_gpu::{open_backend, GpuRunOptions, GpuSimulator};
use undertow_host::backend::{cpu_backend, with_causes, Backend, BackendChoice, BackendError};
use undertow_host::cpu::CpuBackend;
use undertow_kernel::{FundModel, ScenarioOutput, ScenarioParams};

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
    // Debug fault injection (`UNDERTOW_GPU_FAIL_CHUNK`, `UNDERTOW_GPU_MAX_CHUNK`): unset, these
    // are the default options and nothing changes.
    let gpu_options = GpuRunOptions::from_env().map_err(EngineError::BadInput)?;
    match open_backend(choice, || cpu_backend(threads, chunk)) {
        Ok((b, why)) if b.kind() == "gpu" => {
            // Reopen nothing: the simulator is rebuilt with the options only when they differ.
            let b = with_gpu_options(b, gpu_options)?;
            if choice == BackendChoice::Auto {
                let cpu = cpu_backend(threads, chunk)
                    .map_err(|e| EngineError::failed("opening the CPU backend", e))?;
                Ok((Box::new(FallbackBackend::new(b, cpu)), why))
            } else {
                Ok((b, why))
            }
        }
        Ok(b) => Ok(b),
        Err(e @ BackendError::Unavailable(_)) => Err(EngineError::BadInput(format!(
            "flag --backend {}: {e}",
            choice_name(choice)
        ))),
        Err(e) => Err(EngineError::failed("opening the GPU", e)),
    }
}

/// `--stage-reruns auto`: the GPU for the stages' plain reruns only when the sweep runs on a
/// hardware GPU (`backend`); a software adapter such as lavapipe runs them far slower than the
/// CPU pool (docs/performance.md, "Sixth step").
pub fn auto_stage_reruns(backend: &dyn Backend) -> crate::run::StageReruns {
    if backend.kind() == "gpu" {
        hardware_stage_reruns()
    } else {
        crate::run::StageReruns::Cpu
    }
}

/// The GPU for the stages' plain reruns when this machine has a hardware one, otherwise the CPU
/// (`undertow merge --stage-reruns auto`, which has no sweep of its own to go by).
pub fn hardware_stage_reruns() -> crate::run::StageReruns {
    if undertow_gpu::hardware_gpu_present() {
        crate::run::StageReruns::Gpu
    } else {
        crate::run::StageReruns::Cpu
    }
}

/// The GPU the analysis stages' plain reruns run on (`--stage-reruns gpu`,
/// [`crate::run::StageReruns`]), with the debug options [`open`] applies; the reason as text when
/// none opens.
pub fn open_stage_device() -> Result<Arc<dyn Backend>, String> {
    let opts = GpuRunOptions::from_env()?;
    let ctx = undertow_gpu::GpuContext::new().map_err(|e| e.to_string())?;
    let sim = GpuSimulator::new(ctx).map_err(|e| e.to_string())?;
    Ok(Arc::new(sim.with_backend_options(opts)))
}

/// The GPU backend `b` with `opts` for its runs (the defaults leave it as it is).
fn with_gpu_options(
    b: Box<dyn Backend>,
    opts: GpuRunOptions,
) -> Result<Box<dyn Backend>, EngineError> {
    if opts.fail_chunk.is_none() && opts.max_scenarios_per_chunk.is_none() {
        return Ok(b);
    }
    // `open_backend` hands back a trait object; reopen the GPU to set the debug options.
    drop(b);
    let ctx =
        undertow_gpu::GpuContext::new().map_err(|e| EngineError::failed("opening the GPU", e))?;
    let sim = GpuSimulator::new(ctx).map_err(|e| EngineError::failed("opening the GPU", e))?;
    Ok(Box::new(sim.with_backend_options(opts)))
}

/// The signal a [`FallbackBackend`] gives when its GPU fails: the sweep must restart from its
/// first block (the backend now runs on the CPU), so that every result comes from one backend.
/// [`crate::run`] restarts on it and reports `notice`.
#[derive(Debug, thiserror::Error)]
#[error("{notice}")]
pub struct FallbackRestart {
    /// "GPU failed at chunk K (...); falling back to the CPU".
    pub notice: String,
}

/// What `--backend auto` runs on when it picked a GPU: the GPU until it fails, then the CPU.
/// On the first GPU failure it switches to the CPU for good and returns [`FallbackRestart`]
/// (as the source of a [`BackendError::Failed`]); the engine then reruns the sweep from block 0,
/// so the result is exactly the CPU reference (a scenario depends only on the seed and its
/// index). `describe` and `kind` name the CPU once it has fallen back.
pub struct FallbackBackend {
    gpu: Box<dyn Backend>,
    cpu: CpuBackend,
    fell_back: AtomicBool,
    notice: Mutex<Option<String>>,
}

impl FallbackBackend {
    /// Runs on `gpu`, falling back to `cpu`.
    pub fn new(gpu: Box<dyn Backend>, cpu: CpuBackend) -> FallbackBackend {
        FallbackBackend {
            gpu,
            cpu,
            fell_back: AtomicBool::new(false),
            notice: Mutex::new(None),
        }
    }

    /// Whether the GPU failed and the CPU runs from now on.
    pub fn fell_back(&self) -> bool {
        self.fell_back.load(Ordering::SeqCst)
    }

    /// The notice of the fallback, if there was one.
    pub fn notice(&self) -> Option<String> {
        self.notice.lock().ok().and_then(|n| n.clone())
    }

    fn active(&self) -> &dyn Backend {
        if self.fell_back() {
            &self.cpu
        } else {
            self.gpu.as_ref()
        }
    }
}

impl Backend for FallbackBackend {
    fn describe(&self) -> String {
        self.active().describe()
    }
    fn kind(&self) -> &'static str {
        self.active().kind()
    }
    fn preferred_block(&self) -> u64 {
        self.active().preferred_block()
    }
    fn simulate(
        &self,
        model: &FundModel,
        scenarios: &[ScenarioParams],
        first_index: u64,
        seed: u64,
    ) -> Result<Vec<ScenarioOutput>, BackendError> {
        if self.fell_back() {
            return self.cpu.simulate(model, scenarios, first_index, seed);
        }
        match self.gpu.simulate(model, scenarios, first_index, seed) {
            Ok(outs) => Ok(outs),
            Err(e) => {
                let notice = format!(
                    "the GPU failed ({}); falling back to the CPU ({})",
                    with_causes(&e),
                    self.cpu.describe()
                );
                self.fell_back.store(true, Ordering::SeqCst);
                if let Ok(mut n) = self.notice.lock() {
                    *n = Some(notice.clone());
                }
                Err(BackendError::Failed {
                    backend: "auto".into(),
                    source: Box::new(FallbackRestart { notice }),
                })
            }
        }
    }
}

/// The fallback notice when `e` is a [`FallbackBackend`]'s restart signal.
pub fn fallback_notice(e: &BackendError) -> Option<&str> {
    match e {
        BackendError::Failed { source, .. } => source
            .downcast_ref::<FallbackRestart>()
            .map(|r| r.notice.as_str()),
        BackendError::Unavailable(_) => None,
    }
}

//! The GPU as a [`Backend`], and the `auto` choice: a hardware GPU when there is one, otherwise
//! the CPU.

use undertow_host::backend::{Backend, BackendChoice, BackendError};
use undertow_host::cpu::CpuBackend;
use undertow_kernel::{FundModel, ScenarioOutput, ScenarioParams};

use crate::device::{list_adapters, AdapterRequest, GpuContext, GpuError};
use crate::sim::GpuSimulator;

/// GPU blocks are larger than the CPU's: fewer, fuller submissions.
pub const GPU_BLOCK: u64 = 16 * undertow_host::backend::CPU_BLOCK;

impl From<GpuError> for BackendError {
    fn from(e: GpuError) -> BackendError {
        match e {
            GpuError::NoAdapter(_) => BackendError::Unavailable(e.to_string()),
            other => BackendError::Failed {
                backend: "gpu".into(),
                source: Box::new(other),
            },
        }
    }
}

impl Backend for GpuSimulator {
    fn describe(&self) -> String {
        format!("gpu: {}", self.ctx.summary())
    }
    fn kind(&self) -> &'static str {
        "gpu"
    }
    fn preferred_block(&self) -> u64 {
        GPU_BLOCK
    }
    fn simulate(
        &self,
        model: &FundModel,
        scenarios: &[ScenarioParams],
        first_index: u64,
        seed: u64,
    ) -> Result<Vec<ScenarioOutput>, BackendError> {
        Ok(self.run(model, scenarios, first_index, seed, &self.backend_options)?)
    }
}

/// Whether the environment offers a hardware (not software) GPU adapter with compute.
pub fn hardware_gpu_present() -> bool {
    list_adapters(&AdapterRequest::from_env())
        .iter()
        .any(|a| a.compute && a.device_type != wgpu::DeviceType::Cpu)
}

/// Opens the backend for `choice`, with the reason it was picked. `Gpu` without any adapter is an
/// error ([`BackendError::Unavailable`]); `Auto` falls back to the CPU.
pub fn open_backend(
    choice: BackendChoice,
    cpu: impl FnOnce() -> Result<CpuBackend, BackendError>,
) -> Result<(Box<dyn Backend>, String), BackendError> {
    match choice {
        BackendChoice::Cpu => Ok((Box::new(cpu()?), "asked for the CPU".into())),
        BackendChoice::Gpu => {
            let sim = GpuSimulator::new(GpuContext::new()?)?;
            Ok((Box::new(sim), "asked for the GPU".into()))
        }
        BackendChoice::Auto => {
            if hardware_gpu_present() {
                let sim = GpuSimulator::new(GpuContext::new()?)?;
                Ok((Box::new(sim), "a hardware GPU adapter was found".into()))
            } else {
                Ok((
                    Box::new(cpu()?),
                    "no hardware GPU adapter (a software adapter such as lavapipe runs slower than rayon on the same cores)".into(),
                ))
            }
        }
    }
}

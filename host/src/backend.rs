//! The backends a sweep can run on, behind one trait: the CPU reference (rayon) and the GPU
//! (WGSL through wgpu). `auto` prefers a hardware GPU and otherwise the CPU.

use undertow_kernel::{FundModel, ScenarioOutput, ScenarioParams};

use crate::cpu::CpuBackend;
use crate::gpu::device::{list_adapters, AdapterRequest, GpuContext, GpuError};
use crate::gpu::sim::{GpuRunOptions, GpuSimulator};

/// Something that turns scenarios into output records.
pub trait Backend: Sync {
    /// What it is, for logs and `summary.json` ("cpu (2 threads)", "gpu: NVIDIA H100 ...").
    fn describe(&self) -> String;
    /// Short kind: "cpu" or "gpu".
    fn kind(&self) -> &'static str;
    /// Simulates `scenarios`, the first having index `first_index`.
    fn simulate(
        &self,
        model: &FundModel,
        scenarios: &[ScenarioParams],
        first_index: u64,
        seed: u64,
    ) -> Result<Vec<ScenarioOutput>, GpuError>;
}

impl Backend for CpuBackend {
    fn describe(&self) -> String {
        format!("cpu ({} threads)", self.threads())
    }
    fn kind(&self) -> &'static str {
        "cpu"
    }
    fn simulate(
        &self,
        model: &FundModel,
        scenarios: &[ScenarioParams],
        first_index: u64,
        seed: u64,
    ) -> Result<Vec<ScenarioOutput>, GpuError> {
        Ok(self.run::<f32>(model, scenarios, first_index, seed))
    }
}

impl Backend for GpuSimulator {
    fn describe(&self) -> String {
        format!("gpu: {}", self.ctx.summary())
    }
    fn kind(&self) -> &'static str {
        "gpu"
    }
    fn simulate(
        &self,
        model: &FundModel,
        scenarios: &[ScenarioParams],
        first_index: u64,
        seed: u64,
    ) -> Result<Vec<ScenarioOutput>, GpuError> {
        self.run(
            model,
            scenarios,
            first_index,
            seed,
            &GpuRunOptions::default(),
        )
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

/// Whether the environment offers a hardware (not software) GPU adapter with compute.
pub fn hardware_gpu_present() -> bool {
    list_adapters(&AdapterRequest::from_env())
        .iter()
        .any(|a| a.compute && a.device_type != wgpu::DeviceType::Cpu)
}

/// Opens the backend for `choice`, with the reason it was picked. `Gpu` without any adapter is an
/// error; `Auto` falls back to the CPU.
pub fn open_backend(
    choice: BackendChoice,
    cpu: impl FnOnce() -> CpuBackend,
) -> Result<(Box<dyn Backend>, String), GpuError> {
    match choice {
        BackendChoice::Cpu => Ok((Box::new(cpu()), "asked for the CPU".into())),
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
                    Box::new(cpu()),
                    "no hardware GPU adapter (a software adapter such as lavapipe runs slower than rayon on the same cores)".into(),
                ))
            }
        }
    }
}

//! Shared helpers for the integration tests: the backends a test body runs on, and the sweeps the
//! tests share. A test body is written once and instantiated per backend, so the CPU and GPU paths
//! cannot drift apart unseen.

use undertow_host::cpu::CpuBackend;
use undertow_host::fund::{example_fund, Fund};
use undertow_host::run::scenario_block;
use undertow_kernel::{FundModel, ScenarioOutput, ScenarioParams};

/// Something that turns scenarios into output records.
pub trait Runner {
    fn name(&self) -> &'static str;
    /// Simulates `scenarios`, the first having index 0.
    fn run(&self, model: &FundModel, scenarios: &[ScenarioParams], seed: u64) -> Vec<ScenarioOutput>;
}

/// The CPU reference in `f32`.
pub struct CpuF32(pub CpuBackend);
/// The CPU reference in `f64`.
pub struct CpuF64(pub CpuBackend);

impl Runner for CpuF32 {
    fn name(&self) -> &'static str {
        "cpu-f32"
    }
    fn run(&self, model: &FundModel, scenarios: &[ScenarioParams], seed: u64) -> Vec<ScenarioOutput> {
        self.0.run::<f32>(model, scenarios, 0, seed)
    }
}

impl Runner for CpuF64 {
    fn name(&self) -> &'static str {
        "cpu-f64"
    }
    fn run(&self, model: &FundModel, scenarios: &[ScenarioParams], seed: u64) -> Vec<ScenarioOutput> {
        self.0.run::<f64>(model, scenarios, 0, seed)
    }
}

pub fn cpu_f32() -> CpuF32 {
    CpuF32(CpuBackend::new(None, 64).expect("thread pool"))
}

pub fn cpu_f64() -> CpuF64 {
    CpuF64(CpuBackend::new(None, 64).expect("thread pool"))
}

/// The built-in example fund and its first `n` scenarios for `seed`.
pub fn example_sweep(n: u64, seed: u64) -> (Fund, Vec<ScenarioParams>) {
    let fund = example_fund();
    let scenarios = scenario_block(&fund, seed, 0..n);
    (fund, scenarios)
}

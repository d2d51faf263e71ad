//! Shared helpers for the integration tests: the backends a test body runs on, and the sweeps the
//! tests share. A test body is written once and instantiated per backend by [`backend_tests!`],
//! so the CPU and GPU paths cannot drift apart unseen.

use std::io::Write;
use std::sync::OnceLock;

use undertow_gpu::testing::{gpu_or_skip, gpu_required, REQUIRE_GPU_ENV};
use undertow_gpu::{GpuError, GpuRunOptions, GpuSimulator};
use undertow_host::cpu::CpuBackend;
use undertow_host::fund::{example_fund, Fund};
use undertow_host::run::scenario_block;
use undertow_kernel::{FundModel, ScenarioOutput, ScenarioParams};

/// The float type a backend computes in (every backend writes `f32` output records).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precision {
    F32,
    F64,
}

/// Something that turns scenarios into output records.
pub trait Runner: Sync {
    fn name(&self) -> &'static str;
    /// The precision of its arithmetic, which decides how close it comes to a closed form.
    fn precision(&self) -> Precision;
    /// Simulates `scenarios`, the first having index 0.
    fn run(
        &self,
        model: &FundModel,
        scenarios: &[ScenarioParams],
        seed: u64,
    ) -> Vec<ScenarioOutput>;
}

/// The CPU reference in `f32`.
pub struct CpuF32(pub CpuBackend);
/// The CPU reference in `f64`.
pub struct CpuF64(pub CpuBackend);

impl Runner for CpuF32 {
    fn name(&self) -> &'static str {
        "cpu-f32"
    }
    fn precision(&self) -> Precision {
        Precision::F32
    }
    fn run(
        &self,
        model: &FundModel,
        scenarios: &[ScenarioParams],
        seed: u64,
    ) -> Vec<ScenarioOutput> {
        self.0.run::<f32>(model, scenarios, 0, seed)
    }
}

impl Runner for CpuF64 {
    fn name(&self) -> &'static str {
        "cpu-f64"
    }
    fn precision(&self) -> Precision {
        Precision::F64
    }
    fn run(
        &self,
        model: &FundModel,
        scenarios: &[ScenarioParams],
        seed: u64,
    ) -> Vec<ScenarioOutput> {
        self.0.run::<f64>(model, scenarios, 0, seed)
    }
}

pub fn cpu_f32() -> CpuF32 {
    CpuF32(CpuBackend::new(None, 64).expect("thread pool"))
}

pub fn cpu_f64() -> CpuF64 {
    CpuF64(CpuBackend::new(None, 64).expect("thread pool"))
}

/// Every output word's bits, for comparisons that must be exact.
pub fn bits(v: &[ScenarioOutput]) -> Vec<u32> {
    v.iter()
        .flat_map(|o| o.as_words().iter().map(|x| x.to_bits()))
        .collect()
}

/// The built-in example fund and its first `n` scenarios for `seed`.
pub fn example_sweep(n: u64, seed: u64) -> (Fund, Vec<ScenarioParams>) {
    let fund = example_fund();
    let scenarios = scenario_block(&fund, seed, 0..n);
    (fund, scenarios)
}

/// The GPU backend (the WGSL twin of the kernel, in `f32`) on the adapter the environment selects.
pub struct Gpu {
    pub sim: GpuSimulator,
}

impl Gpu {
    /// Simulates `scenarios` (the first having index 0) with explicit run options.
    pub fn run_with(
        &self,
        model: &FundModel,
        scenarios: &[ScenarioParams],
        seed: u64,
        opts: &GpuRunOptions,
    ) -> Result<Vec<ScenarioOutput>, GpuError> {
        self.sim.run(model, scenarios, 0, seed, opts)
    }

    /// Whether the adapter is a software rasteriser such as Mesa's lavapipe (llvmpipe), which
    /// silently stops looping after 65,535 loop iterations in one invocation (all loops
    /// together) and runs at CPU speed.
    pub fn is_software(&self) -> bool {
        let info = &self.sim.ctx.info;
        info.device_type == wgpu::DeviceType::Cpu || info.name.to_lowercase().contains("llvmpipe")
    }

    /// The adapter as `undertow devices` shows it.
    pub fn describe(&self) -> String {
        self.sim.ctx.summary().to_string()
    }
}

impl Runner for Gpu {
    fn name(&self) -> &'static str {
        "gpu"
    }
    fn precision(&self) -> Precision {
        Precision::F32
    }
    fn run(
        &self,
        model: &FundModel,
        scenarios: &[ScenarioParams],
        seed: u64,
    ) -> Vec<ScenarioOutput> {
        self.run_with(model, scenarios, seed, &GpuRunOptions::default())
            .unwrap_or_else(|e| panic!("GPU run on {}: {e}", self.describe()))
    }
}

/// The GPU of this test binary, opened and compiled once (device set-up and shader compilation
/// take seconds on lavapipe); `None` when there is no adapter.
static GPU: OnceLock<Option<Gpu>> = OnceLock::new();

/// The shared GPU backend for `test_name`, or `None` after a loud `SKIP` line when no adapter can
/// be opened.
///
/// # Panics
/// When no adapter can be opened (or the pipelines do not compile) and `UNDERTOW_REQUIRE_GPU` is
/// set: a test that must run on a GPU fails rather than passes without one.
pub fn gpu(test_name: &str) -> Option<&'static Gpu> {
    let mut opened_here = false;
    let opened = GPU.get_or_init(|| {
        opened_here = true;
        // Says which adapter it opened, or SKIP.
        let ctx = gpu_or_skip(test_name)?;
        match GpuSimulator::new(ctx) {
            Ok(sim) => Some(Gpu { sim }),
            Err(e) if gpu_required() => panic!(
                "{test_name}: {REQUIRE_GPU_ENV} is set but the simulation pipelines failed: {e}"
            ),
            Err(e) => {
                loud(&format!("SKIP (GPU pipelines failed): {test_name}: {e}"));
                None
            }
        }
    });
    match opened {
        Some(g) => {
            if !opened_here {
                eprintln!("{test_name}: running on {}", g.describe());
            }
            Some(g)
        }
        None => {
            // An earlier GPU test of this binary found no adapter and said why. The OnceLock is
            // only ever `None` when no GPU was required, so this is a skip too.
            if !opened_here {
                loud(&format!("SKIP (no GPU adapter, see above): {test_name}"));
            }
            None
        }
    }
}

/// Writes a line straight to stderr, past the test harness's capture: a skip must be seen even
/// though the test passes.
fn loud(line: &str) {
    // Nothing sensible to do if stderr is closed.
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// Instantiates each test body once per backend: `backend_tests!(body_a, body_b)` turns every
/// `fn body(runner: &dyn Runner)` in scope into a module `body` with the tests `cpu_f32`,
/// `cpu_f64` and `gpu`. The GPU instance goes through [`gpu`]: without an adapter it prints
/// `SKIP` and passes, unless `UNDERTOW_REQUIRE_GPU=1`, when it fails.
#[macro_export]
macro_rules! backend_tests {
    ($($body:ident),+ $(,)?) => {
        $(
            mod $body {
                #[test]
                fn cpu_f32() {
                    super::$body(&$crate::cpu_f32());
                }

                #[test]
                fn cpu_f64() {
                    super::$body(&$crate::cpu_f64());
                }

                #[test]
                fn gpu() {
                    let name = concat!(module_path!(), "::gpu");
                    if let Some(gpu) = $crate::gpu(name) {
                        super::$body(gpu);
                    }
                }
            }
        )+
    };
}

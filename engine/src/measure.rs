//! Checking and timing the backends (`undertow validate`, `undertow bench`): the GPU against the
//! CPU reference on the same scenarios, and a backend's time on a fixed workload.

use std::time::Instant;

use undertow_host::backend::Backend;
use undertow_host::cpu::{CpuBackend, DEFAULT_CHUNK};
use undertow_host::fund::{split_positions, Fund};
use undertow_host::run::scenario_block;
use undertow_host::validate::{compare, Agreement, Tolerances};
use undertow_kernel::ScenarioParams;

use crate::error::{Context, EngineError};
use crate::run::check_scenarios;

/// The GPU checked against the CPU on the same scenarios.
pub struct BackendAgreement {
    /// The GPU against the CPU reference, both in `f32`: `passed` says whether they agree.
    pub gpu_vs_cpu: Agreement,
    /// The CPU in `f32` against `f64`: bounds the error `f32` itself makes.
    pub f32_vs_f64: Agreement,
}

/// The CPU backend with `threads` workers (`None`: every core).
pub fn cpu(threads: Option<usize>) -> Result<CpuBackend, EngineError> {
    crate::run::check_threads(threads)?;
    CpuBackend::new(threads, DEFAULT_CHUNK).context(|| "starting the CPU thread pool".into())
}

/// Runs `scenarios` scenarios of `seed` on `gpu` and on the CPU (in `f32` and `f64`) and
/// compares them with the default tolerances.
pub fn agreement(
    fund: &Fund,
    scenarios: u64,
    seed: u64,
    gpu: &dyn Backend,
) -> Result<BackendAgreement, EngineError> {
    check_scenarios(scenarios)?;
    let params = scenario_block(fund, seed, 0..scenarios);
    let cpu = cpu(None)?;
    let reference = cpu.run::<f32>(&fund.model, &params, 0, seed);
    let wide = cpu.run::<f64>(&fund.model, &params, 0, seed);
    let gpu_out = gpu
        .simulate(&fund.model, &params, 0, seed)
        .context(|| "running the GPU backend".into())?;
    Ok(BackendAgreement {
        gpu_vs_cpu: compare(&reference, &gpu_out, &Tolerances::default()),
        f32_vs_f64: compare(&wide, &reference, &Tolerances::default()),
    })
}

/// The fund with its positions split into `n` issues (for scaling measurements); bad input
/// naming `--positions` outside 1..=100000 or when the fund cannot be split so.
pub fn split(fund: &Fund, n: usize) -> Result<Fund, EngineError> {
    if n == 0 || n > 100_000 {
        return Err(EngineError::BadInput(format!(
            "flag --positions: {n} is outside 1..=100000"
        )));
    }
    split_positions(fund, n)
        .map_err(|e| EngineError::BadInput(format!("flag --positions {n}: {e}")))
}

/// A fixed workload for timing: the first `scenarios` scenarios of seed 1.
pub struct Workload<'a> {
    fund: &'a Fund,
    params: Vec<ScenarioParams>,
}

impl<'a> Workload<'a> {
    pub fn new(fund: &'a Fund, scenarios: u64) -> Result<Workload<'a>, EngineError> {
        check_scenarios(scenarios)?;
        Ok(Workload {
            fund,
            params: scenario_block(fund, 1, 0..scenarios),
        })
    }

    /// Scenario-day-positions of the workload (the unit of throughput).
    pub fn size(&self) -> f64 {
        let p = &self.fund.model.params;
        self.params.len() as f64 * p.horizon as f64 * p.n_positions as f64
    }

    /// Seconds `backend` takes on the workload, after one small warm-up run so that pipeline
    /// compilation and thread start-up are not timed.
    pub fn time(&self, backend: &dyn Backend) -> Result<f64, EngineError> {
        let model = &self.fund.model;
        let what = || format!("running {}", backend.describe());
        let warm_up = &self.params[..self.params.len().min(64)];
        backend.simulate(model, warm_up, 0, 1).context(what)?;
        let start = Instant::now();
        backend.simulate(model, &self.params, 0, 1).context(what)?;
        Ok(start.elapsed().as_secs_f64())
    }

    /// Seconds the CPU takes on the workload in `f64` (the error bound's precision), after the
    /// same warm-up.
    pub fn time_f64(&self, cpu: &CpuBackend) -> f64 {
        let model = &self.fund.model;
        cpu.run::<f64>(model, &self.params[..self.params.len().min(64)], 0, 1);
        let start = Instant::now();
        cpu.run::<f64>(model, &self.params, 0, 1);
        start.elapsed().as_secs_f64()
    }
}

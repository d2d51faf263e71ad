//! A sweep: scenarios generated block by block, simulated on a backend, streamed to a sink, and
//! fan-chart paths traced for a subset. Memory stays bounded by the block size plus one record per
//! scenario.

use std::time::Instant;

use undertow_kernel::{simulate_traced, FundModel, ScenarioOutput, ScenarioParams, Workspace};

use crate::aggregate::bands;
use crate::backend::{Backend, BackendError};
use crate::cpu::{key_of, CpuBackend};
use crate::fund::Fund;
use crate::scenarios;

/// What to run.
#[derive(Clone, Debug)]
pub struct SweepOptions {
    pub scenarios: u64,
    pub seed: u64,
    /// Scenarios whose daily paths are traced for the fan charts.
    pub paths: usize,
}

/// Per-day quantile bands of the traced subset.
#[derive(Clone, Debug, Default, serde::Serialize, PartialEq)]
pub struct FanCharts {
    pub scenarios: usize,
    /// NAV per share over initial; bands are 5/25/50/75/95%.
    pub nav_per_share: Vec<[f64; 5]>,
    /// Cash as a share of NAV.
    pub cash_ratio: Vec<[f64; 5]>,
    /// Cumulative accepted outflow, fraction of initial NAV.
    pub cumulative_outflow: Vec<[f64; 5]>,
}

/// The outcome of a sweep.
pub struct Sweep {
    pub outputs: Vec<ScenarioOutput>,
    pub fan: FanCharts,
    pub seconds: f64,
}

/// The scenario parameters of indices `range`.
pub fn scenario_block(fund: &Fund, seed: u64, range: std::ops::Range<u64>) -> Vec<ScenarioParams> {
    scenarios::generate(fund, &fund.scenarios, seed, range)
}

/// Why a sweep stopped.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error("writing the per-scenario output: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Backend(#[from] BackendError),
}

/// Runs a sweep on the CPU backend in `f32` (see [`sweep`]).
pub fn sweep_cpu(
    fund: &Fund,
    backend: &CpuBackend,
    opts: &SweepOptions,
    sink: impl FnMut(u64, &[ScenarioParams], &[ScenarioOutput]) -> std::io::Result<()>,
    progress: impl FnMut(u64),
) -> std::io::Result<Sweep> {
    sweep(fund, backend, opts, sink, progress).map_err(|e| match e {
        SweepError::Io(e) => e,
        SweepError::Backend(e) => std::io::Error::other(e),
    })
}

/// Runs a sweep on `backend`, calling `sink(first_index, params, outputs)` for every block in
/// order and `progress(done)` as blocks finish.
pub fn sweep(
    fund: &Fund,
    backend: &dyn Backend,
    opts: &SweepOptions,
    sink: impl FnMut(u64, &[ScenarioParams], &[ScenarioOutput]) -> std::io::Result<()>,
    progress: impl FnMut(u64),
) -> Result<Sweep, SweepError> {
    let (outputs, seconds) =
        sweep_range(fund, backend, opts.seed, 0..opts.scenarios, sink, progress)?;
    let traced = scenario_block(fund, opts.seed, 0..(opts.paths as u64).min(opts.scenarios));
    let fan = fan_charts(&fund.model, &traced, opts.seed);
    Ok(Sweep {
        outputs,
        fan,
        seconds,
    })
}

/// Sweeps the scenarios of indices `range` (a shard of a larger sweep: the records are those
/// of the same indices in a sweep from 0), calling `sink(first_index, params, outputs)` for
/// every block in order and `progress(done)` (scenarios done since `range.start`). Returns the
/// records in index order and the seconds taken.
pub fn sweep_range(
    fund: &Fund,
    backend: &dyn Backend,
    seed: u64,
    range: std::ops::Range<u64>,
    mut sink: impl FnMut(u64, &[ScenarioParams], &[ScenarioOutput]) -> std::io::Result<()>,
    mut progress: impl FnMut(u64),
) -> Result<(Vec<ScenarioOutput>, f64), SweepError> {
    let start = Instant::now();
    let mut outputs = Vec::with_capacity(range.end.saturating_sub(range.start) as usize);
    let mut first = range.start;
    let block = backend.preferred_block();
    while first < range.end {
        let end = (first + block).min(range.end);
        let params = scenario_block(fund, seed, first..end);
        let outs = backend.simulate(&fund.model, &params, first, seed)?;
        sink(first, &params, &outs)?;
        outputs.extend_from_slice(&outs);
        first = end;
        progress(first - range.start);
    }
    Ok((outputs, start.elapsed().as_secs_f64()))
}

/// One traced scenario's daily path: what the fan charts are drawn from.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TracedPath {
    /// NAV per share over initial, each day.
    pub nav_per_share: Vec<f64>,
    /// Cash as a share of NAV, each day.
    pub cash_ratio: Vec<f64>,
    /// Cumulative accepted outflow, fraction of initial NAV, each day.
    pub cumulative_outflow: Vec<f64>,
}

/// Traces the given scenarios (indices from 0) in `f32` and summarises their daily paths.
pub fn fan_charts(model: &FundModel, scenarios: &[ScenarioParams], seed: u64) -> FanCharts {
    fan_from_paths(&trace_paths(model, scenarios, 0, seed))
}

/// Traces the given scenarios (indices from `first_index`) in `f32`, day by day.
pub fn trace_paths(
    model: &FundModel,
    scenarios: &[ScenarioParams],
    first_index: u64,
    seed: u64,
) -> Vec<TracedPath> {
    let mut ws = Workspace::<f32>::new(model);
    let mut paths = Vec::with_capacity(scenarios.len());
    for (k, sc) in scenarios.iter().enumerate() {
        let mut p = TracedPath::default();
        let index = (first_index + k as u64) as u32;
        simulate_traced(model, sc, index, key_of(seed), &mut ws, |d| {
            p.nav_per_share.push(d.nav_per_share);
            p.cash_ratio
                .push(if d.nav > 0.0 { d.cash / d.nav } else { 0.0 });
            p.cumulative_outflow.push(d.accepted);
        });
        paths.push(p);
    }
    paths
}

/// The fan charts of traced paths (scenario indices from 0, in order).
pub fn fan_from_paths(paths: &[TracedPath]) -> FanCharts {
    let nav: Vec<Vec<f64>> = paths.iter().map(|p| p.nav_per_share.clone()).collect();
    let cash: Vec<Vec<f64>> = paths.iter().map(|p| p.cash_ratio.clone()).collect();
    let outflow: Vec<Vec<f64>> = paths.iter().map(|p| p.cumulative_outflow.clone()).collect();
    FanCharts {
        scenarios: paths.len(),
        nav_per_share: bands(&nav),
        cash_ratio: bands(&cash),
        cumulative_outflow: bands(&outflow),
    }
}

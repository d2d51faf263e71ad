//! Criterion benchmark of the CPU sweep on the built-in example fund (`min_cost`, 90 days),
//! reported in scenario-day-positions per second. Scenario generation happens outside the timed
//! loop. `UNDERTOW_BENCH_SCENARIOS` overrides the scenario count (default 10,000).
//!
//! Groups: `cpu_sweep` (the example's 16 positions in `f32`, the headline; and in `f64`) and
//! `cpu_sweep_positions` (the example split into 112 and 1,008 positions, each position into 7
//! and 63 equal lots, on a tenth of the scenarios): how throughput scales with the book's size.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use undertow_host::cpu::{CpuBackend, DEFAULT_CHUNK};
use undertow_host::fund::{example_fund, split_positions, Fund};
use undertow_host::run::scenario_block;
use undertow_kernel::strategy;

fn scenarios() -> u64 {
    std::env::var("UNDERTOW_BENCH_SCENARIOS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000)
}

fn min_cost_example() -> Fund {
    let mut fund = example_fund();
    fund.model.params.strategy = strategy::MIN_COST;
    fund
}

fn sdp(fund: &Fund, n: u64) -> u64 {
    let p = &fund.model.params;
    n * p.horizon as u64 * p.n_positions as u64
}

fn cpu_sweep(c: &mut Criterion) {
    let n = scenarios();
    let fund = min_cost_example();
    let scenarios = scenario_block(&fund, 1, 0..n);
    let backend = CpuBackend::new(None, DEFAULT_CHUNK).unwrap();
    let horizon = fund.model.params.horizon;
    let mut g = c.benchmark_group("cpu_sweep");
    g.sample_size(10);
    g.throughput(Throughput::Elements(sdp(&fund, n)));
    g.bench_function(format!("example_{n}x{horizon}d_min_cost"), |b| {
        b.iter(|| backend.run::<f32>(&fund.model, &scenarios, 0, 1))
    });
    g.bench_function(format!("example_{n}x{horizon}d_min_cost_f64"), |b| {
        b.iter(|| backend.run::<f64>(&fund.model, &scenarios, 0, 1))
    });
    g.finish();
}

fn cpu_sweep_positions(c: &mut Criterion) {
    let n = (scenarios() / 10).max(1);
    let example = min_cost_example();
    let backend = CpuBackend::new(None, DEFAULT_CHUNK).unwrap();
    let mut g = c.benchmark_group("cpu_sweep_positions");
    g.sample_size(10);
    for lots in [7, 63] {
        let target = example.model.positions.len() * lots;
        let fund = split_positions(&example, target).unwrap();
        let scenarios = scenario_block(&fund, 1, 0..n);
        g.throughput(Throughput::Elements(sdp(&fund, n)));
        g.bench_function(format!("example_{n}x{target}positions_min_cost"), |b| {
            b.iter(|| backend.run::<f32>(&fund.model, &scenarios, 0, 1))
        });
    }
    g.finish();
}

criterion_group!(benches, cpu_sweep, cpu_sweep_positions);
criterion_main!(benches);

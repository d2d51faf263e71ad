//! Criterion benchmark of the CPU sweep on the built-in example fund (`min_cost`, 90 days),
//! reported in scenario-day-positions per second. Scenario generation happens outside the timed
//! loop. `UNDERTOW_BENCH_SCENARIOS` overrides the scenario count (default 10,000).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use undertow_host::cpu::{CpuBackend, DEFAULT_CHUNK};
use undertow_host::fund::example_fund;
use undertow_host::run::scenario_block;
use undertow_kernel::strategy;

fn cpu_sweep(c: &mut Criterion) {
    let n: u64 = std::env::var("UNDERTOW_BENCH_SCENARIOS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let mut fund = example_fund();
    fund.model.params.strategy = strategy::MIN_COST;
    let scenarios = scenario_block(&fund, 1, 0..n);
    let backend = CpuBackend::new(None, DEFAULT_CHUNK).unwrap();
    let p = &fund.model.params;
    let sdp = n * p.horizon as u64 * p.n_positions as u64;
    let mut g = c.benchmark_group("cpu_sweep");
    g.sample_size(10);
    g.throughput(Throughput::Elements(sdp));
    g.bench_function(format!("example_{n}x{}d_min_cost", p.horizon), |b| {
        b.iter(|| backend.run::<f32>(&fund.model, &scenarios, 0, 1))
    });
    g.finish();
}

criterion_group!(benches, cpu_sweep);
criterion_main!(benches);

//! Criterion benchmark of the GPU sweep on the built-in example fund (`min_cost`, 90 days): the
//! workload of `cpu_sweep.rs` on the GPU backend, reported in scenario-day-positions per second.
//! The device, the pipelines and the scenarios are made outside the timed loop; each iteration
//! uploads the scenarios, simulates every day and reads the outputs back.
//!
//! `UNDERTOW_BENCH_SCENARIOS` sets the scenario count: 10,000 by default, 2,000 on a software
//! adapter such as lavapipe, which runs at CPU speed. Without an adapter it prints `SKIP`.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use undertow_gpu::{GpuContext, GpuRunOptions, GpuSimulator};
use undertow_host::fund::example_fund;
use undertow_host::run::scenario_block;
use undertow_kernel::strategy;

/// Scenarios per iteration on a hardware GPU (the CPU benchmark's default).
const SCENARIOS: u64 = 10_000;
/// Scenarios per iteration on a software adapter: about five seconds on lavapipe with two cores.
const SOFTWARE_SCENARIOS: u64 = 2_000;

fn gpu_sweep(c: &mut Criterion) {
    let ctx = match GpuContext::new() {
        Ok(ctx) => ctx,
        Err(e) => {
            eprintln!("SKIP gpu_sweep: {e}");
            return;
        }
    };
    let software = ctx.info.device_type == wgpu::DeviceType::Cpu;
    eprintln!("gpu_sweep on {}", ctx.summary());
    let sim = GpuSimulator::new(ctx).expect("compiling the simulation pipelines");

    let n = match std::env::var("UNDERTOW_BENCH_SCENARIOS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        Some(n) => n,
        None if software => {
            eprintln!(
                "gpu_sweep: software adapter, {SOFTWARE_SCENARIOS} scenarios instead of {SCENARIOS} \
                 (it runs at CPU speed; set UNDERTOW_BENCH_SCENARIOS to override)"
            );
            SOFTWARE_SCENARIOS
        }
        None => SCENARIOS,
    };
    let mut fund = example_fund();
    fund.model.params.strategy = strategy::MIN_COST;
    let scenarios = scenario_block(&fund, 1, 0..n);
    let p = &fund.model.params;
    let sdp = n * p.horizon as u64 * p.n_positions as u64;
    let opts = GpuRunOptions::default();
    let mut g = c.benchmark_group("gpu_sweep");
    g.sample_size(10);
    g.throughput(Throughput::Elements(sdp));
    g.bench_function(format!("example_{n}x{}d_min_cost", p.horizon), |b| {
        b.iter(|| {
            sim.run(&fund.model, &scenarios, 0, 1, &opts)
                .expect("GPU run")
        })
    });
    g.finish();
}

criterion_group!(benches, gpu_sweep);
criterion_main!(benches);

//! Criterion benchmark of what `undertow run` does on the built-in example with default settings:
//! the 10,000-scenario CPU sweep followed by all five analysis stages (target: 60 s on the 2-core
//! machine; measured 27.2 s). Ten samples of a
//! run of several seconds: run it on purpose (`cargo bench -p undertow-benches --bench full_run`).

use criterion::{criterion_group, criterion_main, Criterion};
use undertow_analysis::{run_analysis, AnalysisConfig, AnalysisInputs, StageId};
use undertow_host::cpu::{CpuBackend, DEFAULT_CHUNK};
use undertow_host::fund::example_fund;
use undertow_host::run::{sweep_cpu, SweepOptions};

fn full_run(c: &mut Criterion) {
    let fund = example_fund();
    let backend = CpuBackend::new(None, DEFAULT_CHUNK).unwrap();
    let opts = SweepOptions {
        scenarios: 10_000,
        seed: 1,
        paths: 200,
    };
    let cfg = AnalysisConfig::default();
    let mut g = c.benchmark_group("full_run");
    g.sample_size(10);
    g.bench_function("example_10000_sweep_and_stages", |b| {
        b.iter(|| {
            let sweep = sweep_cpu(&fund, &backend, &opts, |_, _, _| Ok(()), |_| {}).unwrap();
            let inputs = AnalysisInputs {
                fund: &fund,
                base_outputs: &sweep.outputs,
                seed: 1,
            };
            run_analysis(inputs, &cfg, &StageId::ALL, None).unwrap()
        })
    });
    g.finish();
}

criterion_group!(benches, full_run);
criterion_main!(benches);

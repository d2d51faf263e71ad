//! GPU failures mid-run: under an explicit GPU the run fails naming the chunk; under `auto`
//! ([`FallbackBackend`]) the sweep restarts on the CPU, its results are exactly the CPU
//! reference, `summary.json` names the CPU and a notice names the chunk. The fault is injected
//! (`GpuRunOptions::fail_chunk`) with small chunks, on whatever adapter there is (lavapipe in CI;
//! `auto` itself would pick the CPU there, so the fallback is built with the GPU explicitly).

use undertow_engine::backend::FallbackBackend;
use undertow_engine::fund::FundOverrides;
use undertow_engine::{run, RunRequest, StageReruns};
use undertow_gpu::testing::gpu_or_skip;
use undertow_gpu::{GpuRunOptions, GpuSimulator};
use undertow_host::backend::cpu_backend;
use undertow_host::cpu::DEFAULT_CHUNK;
use undertow_host::fund::{example_fund, Fund};

fn small_fund() -> Fund {
    FundOverrides {
        horizon: Some(45),
        strategy: None,
    }
    .apply(example_fund())
    .unwrap()
}

fn request() -> RunRequest {
    RunRequest {
        scenarios: 150,
        seed: 11,
        paths: 2,
        threads: Some(1),
        unconditional: false,
        analysis: None,
        stage_reruns: StageReruns::Cpu,
    }
}

fn faulty_gpu(name: &str) -> Option<GpuSimulator> {
    let ctx = gpu_or_skip(name)?;
    let opts = GpuRunOptions {
        max_scenarios_per_chunk: Some(64),
        fail_chunk: Some(1),
        ..Default::default()
    };
    Some(GpuSimulator::new(ctx).unwrap().with_backend_options(opts))
}

/// The error and its causes, as `{:#}` in the CLI prints them.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

#[test]
fn an_explicit_gpu_failure_is_a_runtime_error_naming_the_chunk() {
    let Some(gpu) = faulty_gpu("an_explicit_gpu_failure_is_a_runtime_error_naming_the_chunk")
    else {
        return;
    };
    let err = match run(&small_fund(), &request(), &gpu, |_| {}) {
        Err(e) => e,
        Ok(_) => panic!("the injected fault was not reported"),
    };
    assert!(!err.is_bad_input(), "{err}");
    let text = chain(&err);
    assert!(
        text.contains("GPU chunk 1 (scenarios 64..128): GPU device lost (injected)"),
        "{text}"
    );
}

#[test]
fn auto_falls_back_to_the_cpu_with_exactly_the_cpu_results_and_says_so() {
    let Some(gpu) =
        faulty_gpu("auto_falls_back_to_the_cpu_with_exactly_the_cpu_results_and_says_so")
    else {
        return;
    };
    let fund = small_fund();
    let fallback =
        FallbackBackend::new(Box::new(gpu), cpu_backend(Some(1), DEFAULT_CHUNK).unwrap());
    assert_eq!(undertow_host::backend::Backend::kind(&fallback), "gpu");
    let mut last = 0;
    let outcome = run(&fund, &request(), &fallback, |done| last = done).unwrap();
    assert_eq!(last, 150);
    assert!(fallback.fell_back());

    let cpu = cpu_backend(Some(1), DEFAULT_CHUNK).unwrap();
    let reference = run(&fund, &request(), &cpu, |_| {}).unwrap();
    assert_eq!(
        bytemuck::cast_slice::<_, u8>(&outcome.outputs),
        bytemuck::cast_slice::<_, u8>(&reference.outputs),
        "the fallback's results differ from a pure CPU run"
    );
    assert!(
        outcome.summary.run.backend.starts_with("cpu"),
        "{}",
        outcome.summary.run.backend
    );
    assert_eq!(outcome.notices.len(), 1, "{:?}", outcome.notices);
    let notice = &outcome.notices[0];
    assert!(
        notice.contains("GPU chunk 1 (scenarios 64..128)")
            && notice.contains("falling back to the CPU"),
        "{notice}"
    );
    assert!(reference.notices.is_empty());
}

#[test]
fn both_sets_fall_back_to_exactly_the_cpu_results() {
    let Some(gpu) = faulty_gpu("both_sets_fall_back_to_exactly_the_cpu_results") else {
        return;
    };
    let fund = small_fund();
    let req = RunRequest {
        unconditional: true,
        ..request()
    };
    let fallback =
        FallbackBackend::new(Box::new(gpu), cpu_backend(Some(1), DEFAULT_CHUNK).unwrap());
    let mut last = 0;
    let outcome = run(&fund, &req, &fallback, |done| last = done).unwrap();
    assert_eq!(last, 300, "progress counts both sets");
    assert!(fallback.fell_back());
    let cpu = cpu_backend(Some(1), DEFAULT_CHUNK).unwrap();
    let reference = run(&fund, &req, &cpu, |_| {}).unwrap();
    assert_eq!(outcome.outputs, reference.outputs, "stress library");
    assert_eq!(
        outcome.unconditional_outputs, reference.unconditional_outputs,
        "unconditional mixture"
    );
    assert_eq!(outcome.notices.len(), 1, "{:?}", outcome.notices);
}

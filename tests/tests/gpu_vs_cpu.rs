//! The GPU backend against the CPU reference in `f32` (MODEL.md section 8): per-scenario outputs,
//! discrete outcomes and aggregates within the default tolerances of `validate::compare`, on the
//! example fund and on a generated fund of 500 positions, with the `f64` run's distance to the
//! `f32` run printed beside; chunked runs bit-identical to one chunk; and proof that the
//! comparison can fail: a corrupted GPU result, and on lavapipe a single dispatch whose loops
//! run past the driver's iteration cap.
//!
//! Every test skips loudly without an adapter and fails when `UNDERTOW_REQUIRE_GPU=1`.

use std::time::Instant;

use undertow_gpu::{plan_chunks, ChunkLimits, ChunkRequest, GpuRunOptions, PerScenarioBuffer};
use undertow_host::fund::split_positions;
use undertow_host::validate::{compare, Agreement, Tolerances};
use undertow_kernel::layout::Layout;
use undertow_kernel::{switch, FundModel, ScenarioOutput, ScenarioParams};
use undertow_tests::{bits, cpu_f32, cpu_f64, example_sweep, gpu, Gpu, Runner};

/// Scenarios of the example fund in the main comparison: enough to measure MODEL.md's 99.9%
/// agreement to a tenth of a percent. lavapipe on two cores simulates them in about 45 seconds.
const EXAMPLE_SCENARIOS: u64 = 20_000;

/// Positions of the generated fund (the example's split into smaller issues with varied spreads
/// and impact, `fund::split_positions`): the per-position loops (pricing, the min-cost search,
/// valuation) dominate.
const MANY_POSITIONS: usize = 500;

/// Scenarios of the generated fund.
const MANY_POSITION_SCENARIOS: u64 = 256;

/// Scenarios of the chunking and corruption tests: small, to keep lavapipe fast.
const SMALL_SWEEP: u64 = 300;

/// Positions of the fund run in a single dispatch: enough for 90 days of loops to pass lavapipe's
/// cap many times over.
const SINGLE_DISPATCH_POSITIONS: usize = 100;

/// Scenarios of the single-dispatch test.
const SINGLE_DISPATCH_SCENARIOS: u64 = 128;

/// Runs `scenarios` on the GPU with `opts`, timing it.
fn run_gpu(
    gpu: &Gpu,
    model: &FundModel,
    scenarios: &[ScenarioParams],
    seed: u64,
    opts: &GpuRunOptions,
) -> Vec<ScenarioOutput> {
    let start = Instant::now();
    let out = gpu
        .run_with(model, scenarios, seed, opts)
        .unwrap_or_else(|e| panic!("GPU run on {}: {e}", gpu.describe()));
    let s = start.elapsed().as_secs_f64();
    println!(
        "gpu: {} scenarios x {} positions in {s:.2} s ({:.0} scenarios/s)",
        scenarios.len(),
        model.params.n_positions,
        scenarios.len() as f64 / s
    );
    out
}

/// Runs `scenarios` on a CPU runner, timing it.
fn run_cpu(
    r: &dyn Runner,
    model: &FundModel,
    scenarios: &[ScenarioParams],
    seed: u64,
) -> Vec<ScenarioOutput> {
    let start = Instant::now();
    let out = r.run(model, scenarios, seed);
    println!(
        "{}: {} scenarios in {:.2} s",
        r.name(),
        scenarios.len(),
        start.elapsed().as_secs_f64()
    );
    out
}

/// GPU against the `f32` reference with the default tolerances, printing the `f64` run's
/// distance to the `f32` run beside it (how much of the GPU's distance is `f32` itself).
fn gpu_against_cpu(
    gpu: &Gpu,
    model: &FundModel,
    scenarios: &[ScenarioParams],
    seed: u64,
) -> Agreement {
    let reference = run_cpu(&cpu_f32(), model, scenarios, seed);
    let precise = run_cpu(&cpu_f64(), model, scenarios, seed);
    let on_gpu = run_gpu(gpu, model, scenarios, seed, &GpuRunOptions::default());
    let t = Tolerances::default();
    let agreement = compare(&reference, &on_gpu, &t);
    println!("GPU ({}) against CPU f32:\n{agreement}", gpu.describe());
    println!(
        "for scale, CPU f32 against CPU f64 (same tolerances):\n{}",
        compare(&precise, &reference, &t)
    );
    println!(
        "and GPU against CPU f64:\n{}",
        compare(&precise, &on_gpu, &t)
    );
    agreement
}

#[test]
fn gpu_agrees_with_cpu_on_the_example_fund() {
    let Some(gpu) = gpu("gpu_agrees_with_cpu_on_the_example_fund") else {
        return;
    };
    let (fund, scenarios) = example_sweep(EXAMPLE_SCENARIOS, 31);
    let agreement = gpu_against_cpu(gpu, &fund.model, &scenarios, 31);
    assert!(agreement.passed, "{agreement}");
}

/// Scenarios of each variant of the issue-10 comparison.
const VARIANT_SCENARIOS: u64 = 2_000;

/// The twins agree on both sides of every issue-10 switch: MODEL.md's behaviour (the four
/// switches off, no impact decay, concern from the gate flag), and the new economics with weekly
/// dealing (the gate flag between dealing days), a recovery leg and the drawdown event.
#[test]
fn gpu_agrees_with_cpu_on_both_sides_of_the_issue_10_switches() {
    let Some(gpu) = gpu("gpu_agrees_with_cpu_on_both_sides_of_the_issue_10_switches") else {
        return;
    };
    let (fund, mut scenarios) = example_sweep(VARIANT_SCENARIOS, 53);
    for sc in &mut scenarios {
        sc.recovery = 0.6;
    }
    let mut old = fund.model.clone();
    old.params.switches &= !(switch::STRESS_CROWDING
        | switch::OWN_IMPACT_ONLY
        | switch::STRESS_FLOWS
        | switch::PROXIMITY_CONCERN);
    old.params.impact_half_life = 0.0;
    old.params.impact_permanent_share = 1.0;
    old.params.gate_concern = 1.0;
    old.params.event_drawdown = 0.0;
    let agreement = gpu_against_cpu(gpu, &old, &scenarios, 53);
    assert!(agreement.passed, "MODEL.md behaviour: {agreement}");
    let mut weekly = fund.model.clone();
    weekly.params.dealing_every = 5;
    weekly.params.gate_concern = 0.5;
    let agreement = gpu_against_cpu(gpu, &weekly, &scenarios, 53);
    assert!(agreement.passed, "weekly dealing: {agreement}");
}

#[test]
fn gpu_agrees_with_cpu_on_a_fund_of_500_positions() {
    let Some(gpu) = gpu("gpu_agrees_with_cpu_on_a_fund_of_500_positions") else {
        return;
    };
    let (fund, scenarios) = example_sweep(MANY_POSITION_SCENARIOS, 37);
    let model = split_positions(&fund, MANY_POSITIONS)
        .expect("split fund")
        .model;
    assert_eq!(model.positions.len(), MANY_POSITIONS);
    let agreement = gpu_against_cpu(gpu, &model, &scenarios, 37);
    assert!(agreement.passed, "{agreement}");
}

#[test]
fn chunked_gpu_runs_are_bit_identical_to_one_chunk() {
    let Some(gpu) = gpu("chunked_gpu_runs_are_bit_identical_to_one_chunk") else {
        return;
    };
    let (fund, scenarios) = example_sweep(SMALL_SWEEP, 41);
    let model = &fund.model;
    let whole = run_gpu(gpu, model, &scenarios, 41, &GpuRunOptions::default());

    // A binding limit that holds the state of 128 scenarios: chunks of 128, 128 and 44.
    let real = gpu.sim.ctx.chunk_limits();
    let state_bytes = Layout::new(&model.params).len as u64 * 4;
    let small_binding = ChunkLimits {
        max_storage_buffer_binding_size: 128 * state_bytes,
        ..real
    };
    let state = [PerScenarioBuffer {
        name: "state",
        bytes_per_scenario: state_bytes,
    }];
    let planned = plan_chunks(&ChunkRequest {
        n_scenarios: SMALL_SWEEP as u32,
        buffers: &state,
        workgroup_size: undertow_gpu::sim::WORKGROUP,
        limits: small_binding,
        max_scenarios_per_chunk: None,
    })
    .expect("plan");
    assert_eq!(planned.len(), 3, "{planned:?}");

    let variants = [
        (
            "binding limit of 128 scenarios",
            GpuRunOptions {
                limits: Some(small_binding),
                ..Default::default()
            },
        ),
        (
            "one workgroup per dispatch",
            GpuRunOptions {
                limits: Some(ChunkLimits {
                    max_workgroups_per_dim: 1,
                    ..real
                }),
                ..Default::default()
            },
        ),
        (
            "at most 100 scenarios per chunk",
            GpuRunOptions {
                max_scenarios_per_chunk: Some(100),
                ..Default::default()
            },
        ),
    ];
    for (what, opts) in &variants {
        let chunked = run_gpu(gpu, model, &scenarios, 41, opts);
        assert_eq!(chunked.len(), whole.len(), "{what}");
        assert!(
            bits(&chunked) == bits(&whole),
            "{what}: chunked outputs differ from one chunk"
        );
    }
    // And the chunked runs agree with the CPU, so the identity is not of two wrong answers.
    let reference = cpu_f32().run(model, &scenarios, 41);
    let agreement = compare(&reference, &whole, &Tolerances::default());
    println!("{agreement}");
    assert!(agreement.passed, "{agreement}");
}

#[test]
fn the_comparison_fails_on_a_corrupted_gpu_result() {
    let Some(gpu) = gpu("the_comparison_fails_on_a_corrupted_gpu_result") else {
        return;
    };
    let (fund, scenarios) = example_sweep(SMALL_SWEEP * 2, 43);
    let reference = cpu_f32().run(&fund.model, &scenarios, 43);
    let mut on_gpu = run_gpu(gpu, &fund.model, &scenarios, 43, &GpuRunOptions::default());
    let clean = compare(&reference, &on_gpu, &Tolerances::default());
    assert!(clean.passed, "before corruption: {clean}");

    // One scenario in a hundred with its final NAV per share 1% off: ten times the tolerance.
    for o in on_gpu.iter_mut().step_by(100) {
        o.nav_end *= 1.01;
    }
    let corrupted = compare(&reference, &on_gpu, &Tolerances::default());
    println!("after corrupting nav_end in 1% of the GPU records:\n{corrupted}");
    assert!(!corrupted.passed, "{corrupted}");
    assert!(
        corrupted.continuous < Tolerances::default().min_agreement,
        "{corrupted}"
    );
    let worst = corrupted.worst.as_ref().expect("a worst disagreement");
    assert_eq!(worst.field, "nav_end", "{corrupted}");
    assert_eq!(worst.scenario % 100, 0, "{corrupted}");
}

/// Every day of the run in one dispatch: each invocation loops over all 90 days of a fund of
/// [`SINGLE_DISPATCH_POSITIONS`] positions, far past the 65,535 loop iterations (all loops of an
/// invocation together) after which lavapipe silently stops looping. The numbers that come back
/// are wrong without any error, and only the comparison with the CPU can tell: on lavapipe it
/// must fail, while the same fund run a day per dispatch passes. A real GPU has no such cap (only
/// a watchdog), so there the result is printed.
///
/// The example fund itself is not enough: lavapipe unrolls the Philox rounds and the fixed-step
/// searches, so the loops it counts over 90 days of 16 positions stay under the cap (the run
/// agrees with the CPU) although `stage_loop_estimate`, which counts those too, is well above it.
#[test]
fn a_single_long_dispatch_is_caught_on_lavapipe() {
    let Some(gpu) = gpu("a_single_long_dispatch_is_caught_on_lavapipe") else {
        return;
    };
    let (fund, scenarios) = example_sweep(SINGLE_DISPATCH_SCENARIOS, 47);
    let model = split_positions(&fund, SINGLE_DISPATCH_POSITIONS)
        .expect("split fund")
        .model;
    let per_day = undertow_gpu::sim::stage_loop_estimate(&model);
    println!(
        "loop estimate: {per_day} iterations per stage-day, about {} for 90 days in one invocation",
        per_day * model.params.horizon as u64
    );
    let reference = cpu_f32().run(&model, &scenarios, 47);

    let by_day = run_gpu(gpu, &model, &scenarios, 47, &GpuRunOptions::default());
    let agreement = compare(&reference, &by_day, &Tolerances::default());
    println!("a day per dispatch against CPU f32:\n{agreement}");
    assert!(agreement.passed, "{agreement}");

    let opts = GpuRunOptions {
        single_dispatch: true,
        ..Default::default()
    };
    let start = Instant::now();
    let result = gpu.run_with(&model, &scenarios, 47, &opts);
    let seconds = start.elapsed().as_secs_f64();
    match result {
        Ok(single) => {
            let agreement = compare(&reference, &single, &Tolerances::default());
            // The report lists every aggregate that moved (dozens here): show its head.
            let report = agreement.to_string();
            let lines: Vec<&str> = report.lines().collect();
            println!(
                "single dispatch on {} ({seconds:.2} s) against CPU f32:\n{}",
                gpu.describe(),
                lines[..lines.len().min(6)].join("\n")
            );
            println!(
                "... {} lines in all, ending: {}",
                lines.len(),
                lines.last().unwrap_or(&"")
            );
            if gpu.is_software() {
                assert!(!agreement.passed, "the loops of a single dispatch ran past lavapipe's cap, yet the comparison passed: {agreement}");
            }
        }
        // Only a real GPU may refuse the run (a watchdog, a lost device); lavapipe returns numbers.
        Err(e) => {
            println!(
                "single dispatch on {} failed after {seconds:.2} s: {e}",
                gpu.describe()
            );
            assert!(
                !gpu.is_software(),
                "lavapipe was expected to return wrong numbers, not an error: {e}"
            );
        }
    }
}

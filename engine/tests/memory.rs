//! The memory estimate: its parts add up, each grows with what it counts, and the limit check
//! refuses an estimate over the limit with the estimate and what to change.

use undertow_engine::memory::{check_limit, estimate};
use undertow_engine::{AnalysisSettings, RunRequest};
use undertow_host::backend::CPU_BLOCK;
use undertow_host::fund::example_fund;
use undertow_kernel::ScenarioOutput;

fn request(scenarios: u64, paths: usize, analysis: bool) -> RunRequest {
    RunRequest {
        scenarios,
        seed: 1,
        paths,
        threads: Some(2),
        unconditional: false,
        analysis: analysis.then(AnalysisSettings::default),
        stage_reruns: undertow_engine::StageReruns::Cpu,
    }
}

#[test]
fn the_estimate_grows_with_what_it_counts() {
    let fund = example_fund();
    let mut last = 0;
    for n in [1u64, 10, 1_000, 100_000, 1_000_000, 4_294_967_295] {
        let e = estimate(&fund, &request(n, 200, false), CPU_BLOCK, 2);
        let sum = e.records
            + e.summary
            + e.block
            + e.workspaces
            + e.fan
            + e.analysis
            + e.output
            + e.overhead;
        assert_eq!(e.total(), sum);
        assert_eq!(e.records, n * std::mem::size_of::<ScenarioOutput>() as u64);
        assert_eq!(e.analysis, 0);
        assert!(e.workspaces > 0 && e.overhead > 0);
        assert!(e.total() > last, "{n}: {e}");
        last = e.total();
    }
    let sweep = estimate(&fund, &request(10_000, 200, false), CPU_BLOCK, 2);
    let full = estimate(&fund, &request(10_000, 200, true), CPU_BLOCK, 2);
    assert!(full.analysis > 0 && full.total() > sweep.total());
    let fewer_paths = estimate(&fund, &request(10_000, 10, false), CPU_BLOCK, 2);
    assert!(fewer_paths.fan < sweep.fan);
    let more_threads = estimate(&fund, &request(10_000, 200, false), CPU_BLOCK, 16);
    assert_eq!(more_threads.workspaces, sweep.workspaces * 8);
    // The unconditional mixture's records are held beside the stress library's.
    let both = RunRequest {
        unconditional: true,
        ..request(10_000, 200, false)
    };
    let both = estimate(&fund, &both, CPU_BLOCK, 2);
    assert_eq!(both.records, 2 * sweep.records);
    assert_eq!(both.total() - sweep.total(), sweep.records);
}

#[test]
fn the_limit_refuses_an_estimate_over_it() {
    let fund = example_fund();
    let e = estimate(&fund, &request(1_000_000, 200, true), CPU_BLOCK, 2);
    assert!(check_limit(&e, e.total()).is_ok());
    let err = check_limit(&e, e.total() - 1).unwrap_err();
    assert!(err.is_bad_input());
    let msg = err.to_string();
    for needle in [
        "--max-memory",
        "records",
        "--no-analysis",
        "--paths",
        "--scenarios",
    ] {
        assert!(msg.contains(needle), "no `{needle}` in {msg}");
    }
}

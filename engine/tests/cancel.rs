//! A stop asked for through `undertow_engine::cancel`: the sweep and the writing of outputs stop
//! with `EngineError::Interrupted`, and nothing new is left in the output folder.

use std::sync::atomic::{AtomicBool, Ordering};

use undertow_engine::{cancel, run, EngineError, RunRequest};
use undertow_host::backend::cpu_backend;
use undertow_host::cpu::DEFAULT_CHUNK;
use undertow_host::fund::example_fund;

static STOP: AtomicBool = AtomicBool::new(false);

fn stop() -> bool {
    STOP.load(Ordering::SeqCst)
}

#[test]
fn a_stop_interrupts_the_sweep_and_the_write_and_leaves_nothing() {
    cancel::install(stop);
    let fund = example_fund();
    let backend = cpu_backend(Some(1), DEFAULT_CHUNK).unwrap();
    let request = RunRequest {
        scenarios: 100,
        seed: 1,
        paths: 10,
        threads: Some(1),
        unconditional: false,
        analysis: None,
        stage_reruns: undertow_engine::StageReruns::Cpu,
    };
    let outcome = run(&fund, &request, &backend, |_| {}).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    outcome.write(&out).unwrap();
    let before: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let bytes: Vec<_> = before.iter().map(|p| std::fs::read(p).unwrap()).collect();

    STOP.store(true, Ordering::SeqCst);
    let e = run(&fund, &request, &backend, |_| {})
        .err()
        .expect("a stopped sweep");
    assert!(matches!(e, EngineError::Interrupted), "{e}");
    assert!(!e.is_bad_input());
    // Into the earlier output, and into a fresh folder.
    let e = outcome.write(&out).unwrap_err();
    assert!(matches!(e, EngineError::Interrupted), "{e}");
    let fresh = dir.path().join("fresh");
    assert!(matches!(
        outcome.write(&fresh),
        Err(EngineError::Interrupted)
    ));
    assert!(!fresh.exists(), "an interrupted write left its folder");
    let after: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(after, before, "an interrupted write left files");
    for (p, b) in before.iter().zip(&bytes) {
        assert_eq!(&std::fs::read(p).unwrap(), b, "{} changed", p.display());
    }
    STOP.store(false, Ordering::SeqCst);
}

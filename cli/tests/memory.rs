//! `undertow run --max-memory`: a run whose estimated peak memory is over the limit is refused
//! before anything is created (exit 2, the flag, the estimate and what to change); the default
//! limit (from the machine's available memory) lets the example run; bad sizes name the flag.

mod common;

use common::{assert_bad_input, text, undertow};

#[test]
fn a_run_over_max_memory_is_refused_with_the_estimate_and_nothing_written() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = out.to_str().unwrap();
    for (limit, analysis) in [
        ("1MiB", false),
        ("1000", true),
        ("20MB", true),
        ("1 KiB", false),
    ] {
        let mut args = vec![
            "run",
            "--scenarios",
            "1000",
            "--max-memory",
            limit,
            "--out",
            o,
        ];
        if !analysis {
            args.push("--no-analysis");
        }
        let r = undertow(&args);
        let err = text(&r.stderr);
        assert_eq!(r.status.code(), Some(2), "{args:?}: {err}");
        for needle in [
            "flag --max-memory",
            "needs an estimated",
            "records",
            "--scenarios",
        ] {
            assert!(err.contains(needle), "{args:?}: no `{needle}` in {err}");
        }
        assert!(!out.exists(), "{args:?} created output");
    }
}

#[test]
fn the_limit_is_checked_against_the_estimate() {
    // A million scenarios need far more than 100 MB; a thousand fit in 1 GiB.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = out.to_str().unwrap();
    assert_bad_input(
        &[
            "run",
            "--scenarios",
            "1000000",
            "--no-analysis",
            "--max-memory",
            "100MB",
            "--out",
            o,
        ],
        "flag --max-memory",
        &out,
    );
    let args = [
        "run",
        "--scenarios",
        "1000",
        "--no-analysis",
        "--max-memory",
        "1GiB",
        "--out",
        o,
    ];
    let r = undertow(&args);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    assert!(out.join("summary.json").exists());
}

#[test]
fn the_default_limit_lets_the_example_run() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let r = undertow(&["run", "--scenarios", "2000", "--out", out.to_str().unwrap()]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    assert!(out.join("scenarios.csv").exists());
}

#[test]
fn bad_sizes_name_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = out.to_str().unwrap();
    for bad in ["0", "-5", "2parsecs", "GiB", ""] {
        assert_bad_input(
            &["run", "--scenarios", "10", "--max-memory", bad, "--out", o],
            "--max-memory",
            &out,
        );
    }
}

//! A real signal on a real process: `undertow run` interrupted by SIGINT or SIGTERM stops within
//! about a second, exits 130 or 143, and leaves the output folder as it was (earlier complete
//! output intact, no temporaries).
#![cfg(unix)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{text, undertow};

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut all = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else {
                all.insert(p.clone(), std::fs::read(&p).unwrap());
            }
        }
    }
    all
}

/// Starts `undertow args`, sends `signal` after `after`, and returns the exit code and how long
/// the process took to end after the signal.
fn interrupt(args: &[&str], after: Duration, signal: &str) -> (Option<i32>, Duration, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_undertow"))
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start undertow");
    std::thread::sleep(after);
    assert!(
        child.try_wait().unwrap().is_none(),
        "{args:?} finished before the signal: make it longer"
    );
    let sent = Instant::now();
    let kill = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(kill.success());
    let deadline = sent + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let took = sent.elapsed();
            let out = child.wait_with_output().unwrap();
            return (status.code(), took, text(&out.stderr));
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{args:?} still running 10 s after {signal}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn a_signal_stops_the_run_promptly_and_leaves_earlier_output_intact() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = out.to_str().unwrap();
    let earlier = undertow(&["run", "--scenarios", "50", "--no-analysis", "--out", o]);
    assert!(earlier.status.success(), "{}", text(&earlier.stderr));
    let before = snapshot(dir.path());
    assert!(before.len() >= 3, "{before:?}");
    // The sweep (minutes in this profile), then the analysis stages (sweep of moments, then
    // stages for many seconds), each interrupted by each signal.
    let long_sweep = ["run", "--scenarios", "200000", "--no-analysis", "--out", o];
    let in_analysis = ["run", "--scenarios", "2000", "--out", o];
    let mut cases = 0;
    for (args, after) in [
        (&long_sweep[..], Duration::from_millis(800)),
        (&in_analysis[..], Duration::from_millis(2500)),
    ] {
        for (signal, code) in [("-INT", 130), ("-TERM", 143)] {
            let (got, took, err) = interrupt(args, after, signal);
            assert_eq!(got, Some(code), "{args:?} {signal}: {err}");
            assert!(
                took < Duration::from_millis(1500),
                "{args:?} {signal}: took {took:?}"
            );
            assert!(err.contains("interrupted"), "{args:?} {signal}: {err}");
            assert!(!err.contains("panicked"), "{err}");
            let after_run = snapshot(dir.path());
            assert!(
                after_run == before,
                "{args:?} {signal}: the output folder changed: {:?}",
                after_run.keys().collect::<Vec<_>>()
            );
            cases += 1;
        }
    }
    assert_eq!(cases, 4);
}

#[test]
fn a_signal_into_a_fresh_folder_leaves_no_folder() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("new");
    let o = out.to_str().unwrap();
    let args = ["run", "--scenarios", "200000", "--no-analysis", "--out", o];
    let (got, _, err) = interrupt(&args, Duration::from_millis(800), "-INT");
    assert_eq!(got, Some(130), "{err}");
    assert!(!out.exists(), "an interrupted run created {o}");
}

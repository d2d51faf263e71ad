//! The `undertow` binary end to end: exit codes, no output on bad input, determinism of
//! `scenarios.csv`, and the example fund's TOML round trip.

mod common;

use std::path::{Path, PathBuf};

use common::{assert_bad_input, text, undertow};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures")
}

#[test]
fn malformed_fund_files_exit_2_name_the_field_and_leave_no_output() {
    let bad = fixtures().join("bad");
    let list =
        std::fs::read_to_string(bad.join("expected.txt")).expect("tests/fixtures/bad/expected.txt");
    let mut cases = 0;
    for line in list
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
    {
        let mut fields = line.split('\t');
        let file = fields.next().expect("NAME<TAB>substring...");
        let needles: Vec<&str> = fields.collect();
        assert!(!needles.is_empty(), "{line}");
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let path = bad.join(file);
        let o = undertow(&[
            "run",
            "--fund",
            path.to_str().unwrap(),
            "--scenarios",
            "10",
            "--out",
            out.to_str().unwrap(),
        ]);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{file}: {err}");
        for needle in needles {
            assert!(
                err.contains(needle),
                "{file}: expected `{needle}` in: {err}"
            );
        }
        assert!(
            err.contains(file.trim_end_matches(".toml")),
            "{file}: the message should name the file: {err}"
        );
        assert!(
            !out.exists(),
            "{file}: output directory created on bad input"
        );
        assert!(!err.contains("panicked"), "{file}: {err}");
        cases += 1;
    }
    assert!(cases >= 15, "only {cases} malformed fund files");
}

#[test]
fn bad_flags_exit_2_without_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let out = out.to_str().unwrap();
    for args in [
        vec!["run", "--strategy", "fastest", "--out", out],
        vec!["run", "--scenarios", "0", "--out", out],
        vec!["run", "--horizon", "0", "--out", out],
        vec!["run", "--fund", "/no/such/fund.toml", "--out", out],
        vec!["run", "--bogus-flag"],
    ] {
        let o = undertow(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o.stderr));
        assert!(!Path::new(out).exists(), "{args:?} created output");
    }
}

#[test]
fn horizon_follows_the_fund_files_rules_and_names_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = out.to_str().unwrap();
    fn run<'a>(h: &'a str, o: &'a str) -> Vec<&'a str> {
        vec!["run", "--horizon", h, "--no-analysis", "--out", o]
    }
    // The fund file's bound (2520 days), with the fund file's wording.
    assert_bad_input(
        &run("0", o),
        "flag --horizon: 0: must be between 1 and 2520 days",
        &out,
    );
    assert_bad_input(
        &run("2521", o),
        "flag --horizon: 2521: must be between 1 and 2520 days",
        &out,
    );
    // Not longer than the example's longest settlement lag (ALT_PE, 42 days).
    assert_bad_input(
        &run("42", o),
        "flag --horizon: 42: built-in example: positions[13].settlement_days (id \"ALT_PE\") = 42: \
         settlement must be shorter than the horizon (42 days)",
        &out,
    );
    assert_bad_input(
        &["validate", "--horizon", "9999"],
        "flag --horizon: 9999: must be between 1 and 2520 days",
        &out,
    );
}

fn csv_of(args: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut all = args.to_vec();
    all.extend(["--out", out.to_str().unwrap(), "--paths", "5"]);
    let o = undertow(&all);
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}", text(&o.stderr));
    assert!(out.join("summary.json").exists());
    std::fs::read_to_string(out.join("scenarios.csv")).unwrap()
}

#[test]
fn scenarios_csv_is_identical_for_any_threads_and_chunks() {
    let one = csv_of(&["run", "--scenarios", "300", "--threads", "1"]);
    let two = csv_of(&[
        "run",
        "--scenarios",
        "300",
        "--threads",
        "2",
        "--chunk",
        "7",
    ]);
    assert_eq!(one.lines().count(), 301);
    assert!(one == two, "scenarios.csv differs between 1 and 2 threads");
}

#[test]
fn the_example_fund_file_reads_back_to_the_same_run() {
    let o = undertow(&["example-fund"]);
    assert_eq!(o.status.code(), Some(0));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("example.toml");
    std::fs::write(&path, &o.stdout).unwrap();
    let built_in = csv_of(&["run", "--scenarios", "200"]);
    let from_file = csv_of(&[
        "run",
        "--scenarios",
        "200",
        "--fund",
        path.to_str().unwrap(),
    ]);
    assert!(
        built_in == from_file,
        "the printed example fund does not reproduce the built-in run"
    );
}

#[test]
fn summary_json_has_the_documented_shape() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = undertow(&[
        "run",
        "--scenarios",
        "500",
        "--paths",
        "20",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let text = std::fs::read_to_string(out.join("summary.json")).unwrap();
    for key in [
        "\"schema_version\": 1",
        "\"coverage\"",
        "\"survival\"",
        "\"liquidity_at_risk\"",
        "\"fan_charts\"",
        "\"throughput\"",
    ] {
        assert!(text.contains(key), "summary.json lacks {key}");
    }
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        stdout.contains("coverage") && stdout.contains("liquidity at risk"),
        "{stdout}"
    );
}

/// Reads the throughput figure off one of `undertow bench`'s lines.
fn throughput_of(line: &str) -> f64 {
    let words: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(words.last(), Some(&"scenario-day-positions/s"), "{line}");
    words[words.len() - 2].parse().unwrap()
}

/// `bench --repeat N` times the workload N times and reports the fastest run on the usual line
/// (the median and the slowest beside it); out-of-bounds repeats are refused with exit 2.
#[test]
fn bench_repeats_report_the_fastest_run_and_the_median() {
    let out = undertow(&[
        "bench",
        "--scenarios",
        "30",
        "--cpu-only",
        "--threads",
        "1",
        "--repeat",
        "3",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    let best = throughput_of(lines[1]);
    let detail = lines[2];
    assert!(detail.contains("fastest of 3 runs; median"), "{stdout}");
    // The median's throughput, in brackets, is at most the fastest run's.
    let median: f64 = detail
        .split(['(', '/'])
        .nth(1)
        .and_then(|w| w.parse().ok())
        .unwrap_or_else(|| panic!("{detail}"));
    assert!(median > 0.0 && median <= best, "{stdout}");
    let once = undertow(&["bench", "--scenarios", "30", "--cpu-only"]);
    assert!(
        !text(&once.stdout).contains("fastest of"),
        "{}",
        text(&once.stdout)
    );
    let dir = tempfile::tempdir().unwrap();
    let none = dir.path().join("none");
    for n in ["0", "1001"] {
        assert_bad_input(
            &["bench", "--scenarios", "10", "--cpu-only", "--repeat", n],
            &format!("flag --repeat: {n} is outside 1..=1000"),
            &none,
        );
    }
}

/// `bench --f64` times the CPU in both precisions on the same workload and says their ratio;
/// without the flag only `f32` is timed.
#[test]
fn bench_times_f32_and_on_request_f64() {
    let out = undertow(&[
        "bench",
        "--scenarios",
        "40",
        "--cpu-only",
        "--threads",
        "1",
        "--f64",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines[0].contains("40 scenarios × 90 days × 16 positions"),
        "{stdout}"
    );
    assert!(
        lines[1].trim_start().starts_with("cpu (1 threads, "),
        "{stdout}"
    );
    assert!(lines[2].contains("in f64"), "{stdout}");
    let (f32_rate, f64_rate) = (throughput_of(lines[1]), throughput_of(lines[2]));
    assert!(f32_rate > 0.0 && f64_rate > 0.0, "{stdout}");
    assert!(lines[3].contains("f64 / f32 time ratio"), "{stdout}");
    let plain = undertow(&["bench", "--scenarios", "40", "--cpu-only"]);
    assert!(
        !text(&plain.stdout).contains("f64"),
        "{}",
        text(&plain.stdout)
    );
}

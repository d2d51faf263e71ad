//! The golden run: `undertow run` on the built-in example with a fixed seed writes exactly the
//! files in `cli/tests/golden/`, timing fields aside. Any change to any output — a number in
//! `summary.json`, a row of `scenarios.csv` or of a stage table, a byte of `report.html` — fails
//! here until the golden files are updated on purpose:
//!
//! ```text
//! UNDERTOW_BLESS=1 cargo test -p undertow-cli --test golden
//! ```
//!
//! and the diff of `cli/tests/golden/` is reviewed in the commit. The report is compared as
//! rendered from the normalised summary, since it prints the stages' run times.

mod common;

use std::path::{Path, PathBuf};

use common::{text, undertow};

/// The run's settings: small enough for CI, large enough that every stage has something to say.
const ARGS: &[&str] = &[
    "run",
    "--scenarios",
    "1000",
    "--seed",
    "7",
    "--paths",
    "20",
    "--stage-scenarios",
    "200",
    "--attribution-scenarios",
    "200",
    "--reverse-stress-per-point",
    "10",
    "--backend",
    "cpu",
];

/// `summary.json` fields that measure the machine rather than the fund: replaced before comparing.
/// The stages' work counters are among them: stages of one wave run concurrently, so which of two
/// asking for the same rerun simulates it and which is served from the memo can change run to run
/// (their totals are tested in `analysis/tests/sim_memo.rs`).
const TIMING_FIELDS: &[&str] = &[
    "seconds",
    "throughput",
    "threads",
    "backend",
    "simulated_scenario_days",
    "reruns",
    "reruns_shared",
    "shared_scenario_days",
];

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// `summary.json` with every timing field's value replaced by `0` (or `"normalised"` for text),
/// line by line, so that everything else stays byte for byte as written.
fn normalise_summary(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let trimmed = line.trim_start();
        let key = TIMING_FIELDS
            .iter()
            .find(|k| trimmed.starts_with(&format!("\"{k}\": ")));
        match key {
            Some(k) => {
                let indent = &line[..line.len() - trimmed.len()];
                let comma = if trimmed.ends_with(',') { "," } else { "" };
                let value = if trimmed[k.len() + 4..].starts_with('"') {
                    "\"normalised\""
                } else {
                    "0"
                };
                out.push_str(&format!("{indent}\"{k}\": {value}{comma}"));
            }
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// The files of a run directory to compare: the normalised summary, the report rendered from it,
/// and every CSV, by name.
fn outputs(run_dir: &Path, scratch: &Path) -> Vec<(String, String)> {
    let summary =
        normalise_summary(&std::fs::read_to_string(run_dir.join("summary.json")).unwrap());
    std::fs::create_dir_all(scratch).unwrap();
    std::fs::write(scratch.join("summary.json"), &summary).unwrap();
    let o = undertow(&["report", "--from", scratch.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let report = std::fs::read_to_string(scratch.join("report.html")).unwrap();
    let mut files = vec![
        ("summary.json".to_string(), summary),
        ("report.html".to_string(), report),
    ];
    let mut csvs: Vec<PathBuf> = std::fs::read_dir(run_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .collect();
    csvs.sort();
    for p in csvs {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        files.push((name, std::fs::read_to_string(&p).unwrap()));
    }
    files
}

/// Where `actual` differs from the golden files: a missing or extra file, or the first line
/// that differs in each file.
fn differences(golden: &Path, actual: &[(String, String)]) -> Vec<String> {
    let mut diffs = Vec::new();
    let mut expected: Vec<String> = std::fs::read_dir(golden)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    expected.sort();
    let names: Vec<&String> = actual.iter().map(|(n, _)| n).collect();
    for name in &expected {
        if !names.contains(&name) {
            diffs.push(format!(
                "{name}: in the golden files, not written by the run"
            ));
        }
    }
    for (name, body) in actual {
        let Ok(want) = std::fs::read_to_string(golden.join(name)) else {
            diffs.push(format!(
                "{name}: written by the run, not in the golden files"
            ));
            continue;
        };
        if &want == body {
            continue;
        }
        let line = want
            .lines()
            .zip(body.lines())
            .position(|(a, b)| a != b)
            .unwrap_or_else(|| want.lines().count().min(body.lines().count()));
        let show = |s: &str| {
            s.lines()
                .nth(line)
                .unwrap_or("(end of file)")
                .chars()
                .take(160)
                .collect::<String>()
        };
        diffs.push(format!(
            "{name}: line {}: golden `{}`, run `{}`",
            line + 1,
            show(&want),
            show(body)
        ));
    }
    diffs
}

#[test]
fn the_example_run_matches_its_golden_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut args = ARGS.to_vec();
    args.extend(["--out", out.to_str().unwrap()]);
    let o = undertow(&args);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let actual = outputs(&out, &dir.path().join("normalised"));
    let golden = golden_dir();
    if std::env::var_os("UNDERTOW_BLESS").is_some() {
        let _ = std::fs::remove_dir_all(&golden);
        std::fs::create_dir_all(&golden).unwrap();
        for (name, body) in &actual {
            std::fs::write(golden.join(name), body).unwrap();
        }
        eprintln!(
            "BLESSED: wrote {} golden files into {}",
            actual.len(),
            golden.display()
        );
        return;
    }
    let diffs = differences(&golden, &actual);
    assert!(
        diffs.is_empty(),
        "the run's outputs changed (if on purpose: UNDERTOW_BLESS=1 cargo test -p undertow-cli --test golden):\n  {}",
        diffs.join("\n  ")
    );
}

#[test]
fn normalising_touches_only_the_timing_fields() {
    let text = "{\n  \"run\": {\n    \"backend\": \"cpu (2 threads)\",\n    \"threads\": 2,\n    \"seconds\": 1.5,\n    \"coverage\": 0.98\n  },\n  \"stages\": [{\"x\": 1}],\n  \"seconds\": 3.25\n}\n";
    let n = normalise_summary(text);
    assert_eq!(
        n,
        "{\n  \"run\": {\n    \"backend\": \"normalised\",\n    \"threads\": 0,\n    \"seconds\": 0,\n    \"coverage\": 0.98\n  },\n  \"stages\": [{\"x\": 1}],\n  \"seconds\": 0\n}\n"
    );
}

#[test]
fn a_corrupted_output_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let golden = dir.path().join("golden");
    std::fs::create_dir(&golden).unwrap();
    std::fs::write(golden.join("summary.json"), "{\n  \"coverage\": 0.987\n}\n").unwrap();
    std::fs::write(golden.join("lar.csv"), "h,q\n1,0.5\n").unwrap();
    let same = vec![
        (
            "summary.json".to_string(),
            "{\n  \"coverage\": 0.987\n}\n".to_string(),
        ),
        ("lar.csv".to_string(), "h,q\n1,0.5\n".to_string()),
    ];
    assert!(differences(&golden, &same).is_empty());
    // One digit changed, a file missing, a file added: each is named.
    let corrupted = vec![
        (
            "summary.json".to_string(),
            "{\n  \"coverage\": 0.988\n}\n".to_string(),
        ),
        ("extra.csv".to_string(), "x\n".to_string()),
    ];
    let d = differences(&golden, &corrupted);
    assert_eq!(d.len(), 3, "{d:?}");
    assert!(
        d.iter().any(|m| m.starts_with("summary.json: line 2")),
        "{d:?}"
    );
    assert!(
        d.iter().any(|m| m.starts_with("lar.csv: in the golden")),
        "{d:?}"
    );
    assert!(
        d.iter()
            .any(|m| m.starts_with("extra.csv: written by the run")),
        "{d:?}"
    );
}

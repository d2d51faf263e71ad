//! `undertow what-if FILE` and `undertow run --scripts FILE` end to end: the files written and
//! their contents, determinism across thread counts, and exit 2 on a bad script (nothing
//! written).

mod common;

use std::path::{Path, PathBuf};

use common::{assert_bad_input, json, text, undertow};

fn example_scripts() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/what_if.toml")
}

#[test]
fn what_if_writes_summary_csv_and_report() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = undertow(&[
        "what-if",
        example_scripts().to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let stdout = text(&o.stdout);
    assert!(
        stdout.contains("Largest holder leaves into a sell-off"),
        "{stdout}"
    );
    let summary = json(&out.join("summary.json"));
    let scripts = summary["what_if"]["scripts"].as_array().unwrap();
    assert_eq!(scripts.len(), 4);
    let horizon = summary["what_if"]["horizon_days"].as_u64().unwrap() as usize;
    for s in scripts {
        assert_eq!(s["buffer"].as_array().unwrap().len(), horizon);
    }
    let csv = std::fs::read_to_string(out.join("what_if.csv")).unwrap();
    assert!(csv.starts_with("script,requested,paid,first_request_day,paid_by_day,days_to_pay"));
    assert_eq!(csv.lines().count(), 5);
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("Scripted what-ifs"));
    assert!(html.contains("what-if-buffer"));
}

#[test]
fn what_if_is_the_same_on_one_thread_and_on_several() {
    let dir = tempfile::tempdir().unwrap();
    let run = |threads: &str, name: &str| {
        let out = dir.path().join(name);
        let o = undertow(&[
            "what-if",
            example_scripts().to_str().unwrap(),
            "--threads",
            threads,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", text(&o.stderr));
        (
            std::fs::read(out.join("what_if.csv")).unwrap(),
            std::fs::read(out.join("summary.json")).unwrap(),
        )
    };
    assert_eq!(run("1", "a"), run("2", "b"));
}

#[test]
fn a_bad_script_exits_2_naming_the_field_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[[script]]\nredemptions = [ { day = 200, investor = \"Fund-of-funds D\", fraction = 0.1 } ]\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let needle = "script[0].redemptions[0].day = 200: beyond the horizon";
    assert_bad_input(
        &[
            "what-if",
            bad.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        needle,
        &out,
    );
    assert_bad_input(
        &[
            "run",
            "--scenarios",
            "10",
            "--scripts",
            bad.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        needle,
        &out,
    );
    std::fs::write(&bad, "[[script]]\nonsett = 3\n").unwrap();
    assert_bad_input(
        &[
            "what-if",
            bad.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        "onsett",
        &out,
    );
}

#[test]
fn run_with_scripts_adds_the_what_if_key_csv_and_section() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = undertow(&[
        "run",
        "--scenarios",
        "64",
        "--backend",
        "cpu",
        "--scripts",
        example_scripts().to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let summary = json(&out.join("summary.json"));
    assert_eq!(summary["what_if"]["scripts"].as_array().unwrap().len(), 4);
    assert!(summary["headline"].is_object());
    assert!(out.join("what_if.csv").exists());
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(html.contains("Scripted what-ifs"));
    // Without --scripts nothing of it appears.
    let plain = dir.path().join("plain");
    let o = undertow(&[
        "run",
        "--scenarios",
        "64",
        "--backend",
        "cpu",
        "--out",
        plain.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(json(&plain.join("summary.json")).get("what_if").is_none());
    assert!(!plain.join("what_if.csv").exists());
    let html = std::fs::read_to_string(plain.join("report.html")).unwrap();
    assert!(!html.contains("Scripted what-ifs"));
}

//! `undertow run`'s two scenario sets (`--no-unconditional`) and `undertow sensitivity`: exit
//! codes, files and messages.

mod common;

use common::{assert_bad_input, json, text, undertow};

#[test]
fn run_writes_both_sets_unless_told_not_to() {
    let dir = tempfile::tempdir().unwrap();
    let both = dir.path().join("both");
    let o = undertow(&[
        "run",
        "--scenarios",
        "60",
        "--no-analysis",
        "--backend",
        "cpu",
        "--out",
        both.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(
        out.contains("under stress (conditional on the stress library"),
        "{out}"
    );
    assert!(out.contains("over a year of business days"), "{out}");
    let s = json(&both.join("summary.json"));
    assert_eq!(s["set"], "stress");
    assert_eq!(s["unconditional"]["scenarios"], 60);
    let csv = std::fs::read_to_string(both.join("scenarios_unconditional.csv")).unwrap();
    assert_eq!(csv.lines().count(), 61);
    let html = std::fs::read_to_string(both.join("report.html")).unwrap();
    assert!(html.contains("over a year of business days: unconditional mixture"));

    let one = dir.path().join("one");
    let o = undertow(&[
        "run",
        "--scenarios",
        "60",
        "--no-analysis",
        "--backend",
        "cpu",
        "--no-unconditional",
        "--out",
        one.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(!text(&o.stdout).contains("over a year of business days"));
    assert!(!one.join("scenarios_unconditional.csv").exists());
    let s1 = json(&one.join("summary.json"));
    assert!(s1.get("unconditional").is_none());
    // The stress library is the same with or without the second set.
    assert_eq!(s1["headline"], s["headline"]);
    assert_eq!(
        std::fs::read(one.join("scenarios.csv")).unwrap(),
        std::fs::read(both.join("scenarios.csv")).unwrap()
    );
    // A value after the flag is a usage error.
    let o = undertow(&[
        "run",
        "--no-unconditional=yes",
        "--out",
        one.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn sensitivity_writes_its_table_and_refuses_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s");
    let o = undertow(&[
        "sensitivity",
        "--scenarios",
        "80",
        "--range",
        "market.depth_cut",
        "--range",
        "funding.shock",
        "--factors",
        "0.5,1.0",
        "--backend",
        "cpu",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let csv = std::fs::read_to_string(out.join("sensitivity.csv")).unwrap();
    undertow_engine::sensitivity::check_csv(&csv, 1e-12).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 1 + 1 + 4, "{csv}");
    assert!(lines[1].starts_with("base,1,"));
    // Factor 1 rows carry zero deltas.
    for l in lines
        .iter()
        .filter(|l| l.contains(",1,") && !l.starts_with("base"))
    {
        let cells: Vec<&str> = l.split(',').collect();
        assert!(
            cells[9..].iter().all(|c| c.parse::<f64>().unwrap() == 0.0),
            "{l}"
        );
    }

    let bad = dir.path().join("bad");
    let b = bad.to_str().unwrap();
    assert_bad_input(
        &["sensitivity", "--range", "market.nope", "--out", b],
        "flag --range: market.nope: not a judgement range",
        &bad,
    );
    assert_bad_input(
        &["sensitivity", "--factors", "-0.5", "--out", b],
        "flag --factors: -0.5",
        &bad,
    );
    assert_bad_input(
        &["sensitivity", "--scenarios", "0", "--out", b],
        "flag --scenarios",
        &bad,
    );
}

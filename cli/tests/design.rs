//! The Analysis II commands end to end, each alone: `undertow optimize liquidation`,
//! `undertow optimize gates` and `undertow reverse-stress` write their JSON, tables and findings;
//! bad flags exit 2 naming the flag and the value, and leave no output. `undertow report --from`
//! rebuilds a run's report from its summary alone.

mod common;

use common::{assert_bad_input, json, text, undertow};

fn findings_of(v: &serde_json::Value, stage: &str) -> usize {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["stage"] == stage)
        .count()
}

#[test]
fn optimize_liquidation_alone_compares_strategies_and_writes_its_tables() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = undertow(&[
        "optimize",
        "liquidation",
        "--stage-scenarios",
        "200",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let stdout = text(&o.stdout);
    assert!(stdout.contains("Liquidation strategy designer"), "{stdout}");
    for s in ["waterfall", "pro_rata", "min_cost", "balanced"] {
        assert!(stdout.contains(s), "{s} missing from:\n{stdout}");
    }
    let v = json(&out.join("liquidation.json"));
    let l = &v["liquidation_design"];
    assert_eq!(l["scenarios"], 200);
    assert_eq!(l["strategies"].as_array().unwrap().len(), 4);
    assert!(v.get("market_liquidity").is_none());
    assert!(findings_of(&v, "liquidation_design") > 0);
    for f in [
        "strategy_comparison.csv",
        "execution_comparison.csv",
        "hierarchy.csv",
    ] {
        assert!(out.join(f).exists(), "{f} missing");
    }
    // Four approaches under three conditions, plus the header.
    let exec = std::fs::read_to_string(out.join("execution_comparison.csv")).unwrap();
    assert_eq!(exec.lines().count(), 1 + 4 * 3);
}

#[test]
fn optimize_gates_alone_calibrates_the_policy_and_writes_its_tables() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = undertow(&[
        "optimize",
        "gates",
        "--scenarios",
        "200",
        "--redemptions-30d",
        "off,0.15",
        "--alr",
        "off,1.2",
        "--stress",
        "off",
        "--caps",
        "0.1",
        "--swing-thresholds",
        "0,0.01",
        "--swing-factors",
        "0,0.005",
        "--ew-levels",
        "3",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let stdout = text(&o.stdout);
    assert!(stdout.contains("Redemption policy formulator"), "{stdout}");
    let v = json(&out.join("policy.json"));
    let r = &v["redemption_policy"];
    // (off or 15%) × (off or 1.2) without the all-off point, one cap.
    assert_eq!(r["gate_grid"]["rows"].as_array().unwrap().len(), 3);
    assert_eq!(r["gate_grid"]["scenarios"], 200);
    assert_eq!(r["swing"]["rows"].as_array().unwrap().len(), 4);
    assert_eq!(r["early_warning"]["rows"].as_array().unwrap().len(), 14);
    assert_eq!(r["playbook"].as_array().unwrap().len(), 5);
    assert!(findings_of(&v, "redemption_policy") > 0);
    for f in [
        "gate_grid.csv",
        "swing_calibration.csv",
        "early_warning.csv",
        "reverse_stress_map.csv",
        "playbook.csv",
    ] {
        assert!(out.join(f).exists(), "{f} missing");
    }
}

#[test]
fn reverse_stress_alone_maps_failure_over_the_grid() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = undertow(&[
        "reverse-stress",
        "--grid",
        "4",
        "--per-point",
        "20",
        "--bisection-steps",
        "4",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let v = json(&out.join("reverse_stress.json"));
    let map = v["reverse_stress"]["failure_probability"]
        .as_array()
        .unwrap();
    assert_eq!(map.len(), 4);
    let p = |r: usize, m: usize| map[r].as_array().unwrap()[m].as_f64().unwrap();
    // The calm corner fails no more often than the worst one.
    assert!(p(0, 0) <= p(3, 3), "{map:?}");
    assert!(findings_of(&v, "redemption_policy") > 0);
    let csv = std::fs::read_to_string(out.join("reverse_stress_map.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 16);
}

#[test]
fn bad_design_flags_exit_2_name_the_flag_and_leave_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o_str = out.to_str().unwrap();
    for (args, needle) in [
        (
            vec![
                "optimize",
                "liquidation",
                "--weights",
                "0.5,0.5",
                "--out",
                o_str,
            ],
            "--weights",
        ),
        (
            vec![
                "optimize",
                "liquidation",
                "--max-style-drift=-1",
                "--out",
                o_str,
            ],
            "--max-style-drift: -1",
        ),
        (
            vec!["optimize", "gates", "--caps", "0", "--out", o_str],
            "--caps",
        ),
        (
            vec![
                "optimize",
                "gates",
                "--redemptions-30d",
                "lots",
                "--out",
                o_str,
            ],
            "lots",
        ),
        (
            vec!["reverse-stress", "--level", "1.5", "--out", o_str],
            "--level: 1.5",
        ),
        (
            vec!["reverse-stress", "--per-point", "0", "--out", o_str],
            "--per-point: 0",
        ),
        (
            vec![
                "reverse-stress",
                "--fund",
                "/no/such/fund.toml",
                "--out",
                o_str,
            ],
            "/no/such/fund.toml",
        ),
    ] {
        assert_bad_input(&args, needle, &out);
    }
}

#[test]
fn report_from_a_saved_run_rebuilds_the_same_page_without_simulating() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = undertow(&[
        "run",
        "--scenarios",
        "120",
        "--paths",
        "5",
        "--stage-scenarios",
        "60",
        "--attribution-scenarios",
        "60",
        "--reverse-stress-per-point",
        "5",
        "--backend",
        "cpu",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let page = out.join("report.html");
    let first = std::fs::read_to_string(&page).unwrap();
    // A fresh run fills every section and chart of the report.
    assert_eq!(first.matches("<svg class=\"chart\"").count(), 13, "charts");
    assert!(!first.contains("not-run"), "a section was not run");
    std::fs::remove_file(&page).unwrap();
    // Only summary.json is read: the scenarios and tables may be gone.
    std::fs::remove_file(out.join("scenarios.csv")).unwrap();
    let o = undertow(&["report", "--from", out.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let again = std::fs::read_to_string(&page).unwrap();
    assert!(again == first, "the rebuilt report differs from the run's");

    // A directory without a summary, or with a broken one, is bad input and writes nothing.
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let o = undertow(&["report", "--from", empty.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("summary.json"));
    std::fs::write(
        empty.join("summary.json"),
        "{\"schema_version\": 1, \"run\": 7}",
    )
    .unwrap();
    let o = undertow(&["report", "--from", empty.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(!empty.join("report.html").exists());
}

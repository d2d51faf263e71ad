//! The analysis commands end to end: `undertow profile` and `undertow optimize buffer` alone,
//! `undertow run` with its stages (findings printed, sections in summary.json, one CSV per
//! table), and bad flags exiting 2 with the flag and the value named and no output.

mod common;

use common::{assert_bad_input, json, text, undertow};

#[test]
fn profile_alone_writes_its_tables_and_findings() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = undertow(&[
        "profile",
        "--scenarios",
        "500",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let stdout = text(&o.stdout);
    assert!(stdout.contains("highly liquid"), "{stdout}");
    for f in [
        "liquidity_profile.csv",
        "buckets.csv",
        "impact_models.csv",
        "inverse_queries.csv",
        "profile.json",
    ] {
        assert!(out.join(f).exists(), "{f} missing");
    }
    let v = json(&out.join("profile.json"));
    assert!(v["market_liquidity"]["buckets"].as_array().unwrap().len() >= 16);
    assert!(
        v.get("portfolio_liquidity").is_none(),
        "profile ran stage 3"
    );
    let csv = std::fs::read_to_string(out.join("liquidity_profile.csv")).unwrap();
    assert!(csv
        .lines()
        .next()
        .unwrap()
        .starts_with("position,condition,participation"));
    assert!(csv.contains("PORTFOLIO,stressed_p95"));
}

#[test]
fn optimize_buffer_alone_searches_and_judges_the_use_case_claim() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = undertow(&[
        "optimize",
        "buffer",
        "--scenarios",
        "400",
        "--stage-scenarios",
        "150",
        "--grid-cash",
        "0.05,0.2",
        "--grid-sovereign",
        "0",
        "--grid-etf",
        "0",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let stdout = text(&o.stdout);
    assert!(
        stdout.contains("8% cash + 5% sovereigns + 4% ETFs covers"),
        "{stdout}"
    );
    assert!(stdout.contains("The use case's buffer claim"), "{stdout}");
    let v = json(&out.join("buffer.json"));
    let p = &v["portfolio_liquidity"];
    // The static buffer, the five named compositions and two grid points.
    assert_eq!(p["buffer"]["results"].as_array().unwrap().len(), 8);
    assert_eq!(p["buffer"]["scenarios"], 150);
    assert!(p["use_case_claim"]["holds"].is_boolean());
    let frontier = std::fs::read_to_string(out.join("frontier.csv")).unwrap();
    assert_eq!(frontier.lines().count(), 9);
    let lar = std::fs::read_to_string(out.join("lar.csv")).unwrap();
    assert_eq!(lar.lines().count(), 1 + 4 * 3);
}

#[test]
fn run_prints_findings_and_writes_every_section_and_table() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = undertow(&[
        "run",
        "--scenarios",
        "300",
        "--paths",
        "5",
        "--stage-scenarios",
        "100",
        "--attribution-scenarios",
        "100",
        "--reverse-stress-per-point",
        "10",
        "--backend",
        "cpu",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let stdout = text(&o.stdout);
    for role in [
        "Market liquidity analyst",
        "Investor behaviour modeller",
        "Portfolio liquidity optimiser",
        "Liquidation strategy designer",
        "Redemption policy formulator",
    ] {
        assert!(stdout.contains(role), "{role} missing from:\n{stdout}");
    }
    assert!(stdout.contains("Feedback adds"), "{stdout}");
    let v = json(&out.join("summary.json"));
    for key in [
        "market_liquidity",
        "investor_behaviour",
        "portfolio_liquidity",
        "liquidation_design",
        "redemption_policy",
        "findings",
        "stages",
    ] {
        assert!(v.get(key).is_some(), "summary.json lacks {key}");
    }
    for stage in v["stages"].as_array().unwrap() {
        assert_eq!(stage["status"], "done", "{stage}");
    }
    for stage in ["liquidation_design", "redemption_policy"] {
        assert!(
            v["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["stage"] == stage),
            "no {stage} finding"
        );
    }
    let stages = v["stages"].as_array().unwrap();
    assert_eq!(stages.len(), 6);
    let used = |name: &str| {
        stages.iter().find(|s| s["stage"] == name).unwrap()["scenarios_used"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(used("portfolio_liquidity"), 100);
    assert_eq!(used("investor_behaviour"), 100);
    assert_eq!(used("liquidation_design"), 100);
    assert_eq!(used("redemption_policy"), 100);
    assert_eq!(v["liquidation_design"]["scenarios"], 100);
    assert_eq!(v["redemption_policy"]["gate_grid"]["scenarios"], 100);
    for f in [
        "liquidity_profile.csv",
        "buckets.csv",
        "lar.csv",
        "frontier.csv",
        "attribution.csv",
        "strategy_comparison.csv",
        "execution_comparison.csv",
        "hierarchy.csv",
        "gate_grid.csv",
        "swing_calibration.csv",
        "early_warning.csv",
        "reverse_stress_map.csv",
        "playbook.csv",
    ] {
        assert!(out.join(f).exists(), "{f} missing");
    }
    let attribution = std::fs::read_to_string(out.join("attribution.csv")).unwrap();
    assert!(attribution.contains("herding"));
}

#[test]
fn bad_analysis_flags_exit_2_name_the_flag_and_leave_no_output() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o_str = out.to_str().unwrap();
    for (args, needle) in [
        (
            vec!["optimize", "buffer", "--target", "1.5", "--out", o_str],
            "--target: 1.5",
        ),
        (
            vec![
                "optimize",
                "buffer",
                "--grid-cash",
                "0.05,-0.1",
                "--out",
                o_str,
            ],
            "--grid-cash",
        ),
        (
            vec!["optimize", "buffer", "--weights", "0.5,0.5", "--out", o_str],
            "--weights",
        ),
        (
            vec![
                "optimize",
                "buffer",
                "--min-liquidity-score",
                "7",
                "--out",
                o_str,
            ],
            "--min-liquidity-score: 7",
        ),
        (
            vec!["profile", "--participation", "0", "--out", o_str],
            "--participation",
        ),
        (vec!["profile", "--hlim", "2", "--out", o_str], "--hlim: 2"),
        (
            vec!["profile", "--fund", "/no/such/fund.toml", "--out", o_str],
            "/no/such/fund.toml",
        ),
        (
            vec![
                "run",
                "--stage-scenarios",
                "0",
                "--scenarios",
                "50",
                "--out",
                o_str,
            ],
            "--stage-scenarios: 0",
        ),
    ] {
        assert_bad_input(&args, needle, &out);
    }
}

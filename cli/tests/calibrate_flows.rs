//! `undertow calibrate flows` and `undertow backtest`: exit codes and the written files.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn undertow(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_undertow"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

fn example_fund(dir: &Path) -> PathBuf {
    let out = undertow(&["example-fund"]);
    assert!(out.status.success());
    let p = dir.join("fund.toml");
    std::fs::write(&p, out.stdout).unwrap();
    p
}

#[test]
fn calibrate_flows_writes_a_valid_fund_file_and_its_report_and_backtest_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    let fund = example_fund(dir.path());
    let flows = examples().join("flows_history.csv");
    let market = examples().join("market_history.csv");
    let out = dir.path().join("cal").join("calibrated.toml");
    let o = undertow(&[
        "calibrate",
        "flows",
        "--flows",
        flows.to_str().unwrap(),
        "--market",
        market.to_str().unwrap(),
        "--fund",
        fund.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(&out).unwrap();
    assert!(
        text.contains("# fitted: "),
        "the fitted fields carry their comment"
    );
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("cal/calibration.json")).unwrap(),
    )
    .unwrap();
    assert!(json["calibration"]["segments"].as_array().unwrap().len() == 6);
    let html = std::fs::read_to_string(dir.path().join("cal/calibration.html")).unwrap();
    assert!(html.contains("Flow calibration"));
    // The calibrated file passes the fund file's rules.
    let v = undertow(&[
        "validate",
        "--fund",
        out.to_str().unwrap(),
        "--scenarios",
        "200",
    ]);
    assert!(v.status.success(), "{}", String::from_utf8_lossy(&v.stderr));

    let bt = dir.path().join("bt");
    let o = undertow(&[
        "backtest",
        "--flows",
        flows.to_str().unwrap(),
        "--fund",
        out.to_str().unwrap(),
        "--market",
        market.to_str().unwrap(),
        "--draws",
        "200",
        "--out",
        bt.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(bt.join("backtest.json")).unwrap()).unwrap();
    assert_eq!(json["backtest"]["horizons"].as_array().unwrap().len(), 3);
    assert!(std::fs::read_to_string(bt.join("backtest.html"))
        .unwrap()
        .contains("Outflow backtest"));
}

#[test]
fn bad_input_exits_2_naming_it_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let fund = example_fund(dir.path());
    let flows = dir.path().join("flows.csv");
    std::fs::write(
        &flows,
        "date,holder,kind,shares,subscriptions,redemptions\n2020-01-02,nobody,segment,1,0,0\n",
    )
    .unwrap();
    let out = dir.path().join("calibrated.toml");
    let o = undertow(&[
        "calibrate",
        "flows",
        "--flows",
        flows.to_str().unwrap(),
        "--fund",
        fund.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("flows.csv:2: holder = \"nobody\""), "{err}");
    assert!(!out.exists());
    assert!(!dir.path().join("calibration.json").exists());

    let o = undertow(&[
        "backtest",
        "--flows",
        flows.to_str().unwrap(),
        "--fund",
        fund.to_str().unwrap(),
        "--draws",
        "5",
        "--out",
        dir.path().join("bt").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--draws"));

    let o = undertow(&[
        "backtest",
        "--flows",
        dir.path().join("missing.csv").to_str().unwrap(),
        "--fund",
        fund.to_str().unwrap(),
        "--out",
        dir.path().join("bt").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("missing.csv"));

    let o = undertow(&["calibrate", "flows", "--fund", fund.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("flag --flows is required"));
}

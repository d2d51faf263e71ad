//! `undertow calibrate market` end to end: the shipped example file calibrates the example fund
//! and writes the fund file and the fit report; bad market files and flags exit 2 and write
//! nothing.

mod common;

use std::path::{Path, PathBuf};

use common::{assert_bad_input, json, text, undertow};

fn example_market() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/market_history.csv")
}

#[test]
fn the_example_market_file_calibrates_the_example_fund() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sub/calibrated.toml");
    let o = undertow(&[
        "calibrate",
        "market",
        "--market",
        example_market().to_str().unwrap(),
        "--stress-window",
        "covid:2020-03-02..2020-04-09",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let stdout = text(&o.stdout);
    assert!(stdout.contains("EQ_LARGE"), "{stdout}");
    assert!(stdout.contains("scenarios.market.spread_mult"), "{stdout}");
    let toml = std::fs::read_to_string(&out).unwrap();
    assert!(toml.contains("# calibrated from market_history.csv"));
    // The written file is a valid fund file.
    let fund = undertow_host_fund_check(&out, &dir.path().join("profile"));
    assert!(fund.contains("Quantum Multi-Strategy Fund"), "{fund}");
    let report = json(&dir.path().join("sub/market_calibration.json"));
    let positions = report["market_calibration"]["positions"]
        .as_array()
        .unwrap();
    assert_eq!(positions.len(), 16);
    let adv = positions[0]["adv"]["value"].as_f64().unwrap();
    assert!((adv / 4e10 - 1.0).abs() < 0.05, "{adv}");
    assert_eq!(
        report["market_calibration"]["windows"][0]["from"],
        "2020-03-02"
    );
}

/// The written fund runs through `undertow profile` (the fund file's rules, via the binary).
fn undertow_host_fund_check(path: &Path, out: &Path) -> String {
    let o = undertow(&[
        "profile",
        "--fund",
        path.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    text(&o.stdout)
}

#[test]
fn a_bad_market_file_exits_2_naming_line_field_and_value() {
    let dir = tempfile::tempdir().unwrap();
    let market = dir.path().join("m.csv");
    std::fs::write(
        &market,
        "date,id,close,volume,bid,ask\n2020-01-02,EQ_LARGE,100,10,101,99\n",
    )
    .unwrap();
    let out = dir.path().join("out.toml");
    assert_bad_input(
        &[
            "calibrate",
            "market",
            "--market",
            market.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        "m.csv:2: bid = 101: above the ask (99)",
        &out,
    );
}

#[test]
fn an_unknown_id_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let market = dir.path().join("m.csv");
    std::fs::write(
        &market,
        "date,id,close,volume,bid,ask\n2020-01-02,NOPE,100,10,99,101\n",
    )
    .unwrap();
    let out = dir.path().join("out.toml");
    assert_bad_input(
        &[
            "calibrate",
            "market",
            "--market",
            market.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
        "id = \"NOPE\": not a position of the fund",
        &out,
    );
}

#[test]
fn a_missing_market_file_and_a_bad_window_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out.toml");
    assert_bad_input(
        &[
            "calibrate",
            "market",
            "--market",
            "/nonexistent/m.csv",
            "--out",
            out.to_str().unwrap(),
        ],
        "cannot read /nonexistent/m.csv",
        &out,
    );
    assert_bad_input(
        &[
            "calibrate",
            "market",
            "--market",
            example_market().to_str().unwrap(),
            "--stress-window",
            "covid:2020-03-31..2020-03-01",
            "--out",
            out.to_str().unwrap(),
        ],
        "--stress-window: \"covid:2020-03-31..2020-03-01\": the last date is before the first",
        &out,
    );
}

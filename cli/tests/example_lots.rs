//! `undertow example-fund --lots N`: the 1,008-position fund of issue 13 from the command line,
//! run back through `undertow run`, and bad N as exit 2 naming the flag.

mod common;

use common::{json, text, undertow};

#[test]
fn example_fund_in_lots_runs_and_keeps_the_weights() {
    let dir = tempfile::tempdir().unwrap();
    let o = undertow(&["example-fund", "--lots", "2"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let toml = dir.path().join("lots2.toml");
    std::fs::write(&toml, &o.stdout).unwrap();
    let plain = undertow(&["example-fund"]);
    let count = |b: &[u8]| text(b).matches("[[positions]]").count();
    assert_eq!(count(&plain.stdout), 16);
    assert_eq!(count(&o.stdout), 32);
    let out = dir.path().join("out");
    let r = undertow(&[
        "run",
        "--fund",
        toml.to_str().unwrap(),
        "--scenarios",
        "20",
        "--no-analysis",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.status.code(), Some(0), "{}", text(&r.stderr));
    let s = json(&out.join("summary.json"));
    assert_eq!(s["fund"]["positions"].as_u64(), Some(32));
}

#[test]
fn lots_outside_1_to_1000_exit_2_naming_the_flag() {
    for bad in ["0", "1001", "-3", "many"] {
        let o = undertow(&["example-fund", "--lots", bad]);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{bad}: {err}");
        assert!(err.contains("--lots"), "{bad}: {err}");
        assert!(o.stdout.is_empty(), "{bad}: printed a fund");
        assert!(!err.contains("panicked"), "{bad}: {err}");
    }
}

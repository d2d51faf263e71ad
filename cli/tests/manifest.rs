//! `manifest.json`: a run records the fund's hash, the seed, the version, the switches, the
//! command line and every output's hash; `undertow report --from` refuses a folder whose files no
//! longer match it, and accepts one without a manifest with a warning.

mod common;

use std::path::Path;

use common::{json, text, undertow};
use undertow_engine::manifest::{sha256, sha256_file};

fn run_into(out: &Path, fund: Option<&Path>) {
    let mut args = vec!["run", "--scenarios", "40", "--no-analysis", "--seed", "7"];
    if let Some(f) = fund {
        args.extend(["--fund", f.to_str().unwrap()]);
    }
    args.extend(["--out", out.to_str().unwrap()]);
    let o = undertow(&args);
    assert!(o.status.success(), "{}", text(&o.stderr));
}

#[test]
fn a_run_writes_a_manifest_of_what_produced_its_files() {
    let dir = tempfile::tempdir().unwrap();
    let fund = dir.path().join("fund.toml");
    let example = undertow(&["example-fund"]).stdout;
    std::fs::write(&fund, &example).unwrap();
    for (out, path) in [
        (dir.path().join("example"), None),
        (dir.path().join("file"), Some(fund.as_path())),
    ] {
        run_into(&out, path);
        let m = json(&out.join("manifest.json"));
        assert_eq!(m["seed"], 7);
        assert_eq!(m["version"], env!("CARGO_PKG_VERSION"));
        assert_eq!(m["fund"]["sha256"], sha256(&example));
        assert_eq!(
            m["fund"]["path"].as_str(),
            path.map(|p| p.to_str().unwrap())
        );
        assert_eq!(m["switches"]["gates"], true);
        let cl: Vec<&str> = m["command_line"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert!(cl.windows(2).any(|w| w == ["--seed", "7"]), "{cl:?}");
        let files = m["files"].as_object().unwrap();
        let mut names: Vec<&str> = files.keys().map(String::as_str).collect();
        names.sort();
        assert_eq!(
            names,
            [
                "report.html",
                "scenarios.csv",
                "scenarios_unconditional.csv",
                "summary.json"
            ]
        );
        for (name, hash) in files {
            assert_eq!(
                hash.as_str().unwrap(),
                sha256_file(&out.join(name)).unwrap(),
                "{name}"
            );
        }
    }
}

#[test]
fn report_refuses_a_folder_whose_files_changed_and_warns_without_a_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let clean = dir.path().join("clean");
    run_into(&clean, None);
    let o = undertow(&["report", "--from", clean.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(!text(&o.stderr).contains("warning"), "{}", text(&o.stderr));
    // Each checked file changed (a byte added, a byte flipped, emptied), or summary.json
    // missing: refused, naming it, report.html left as it was.
    let mut cases = 0;
    for name in ["summary.json", "scenarios.csv"] {
        for change in ["append", "flip", "empty", "delete"] {
            if name == "scenarios.csv" && change == "delete" {
                continue;
            }
            let out = dir.path().join(format!("{name}-{change}"));
            run_into(&out, None);
            let file = out.join(name);
            let mut bytes = std::fs::read(&file).unwrap();
            match change {
                "append" => bytes.push(b' '),
                "flip" => bytes[10] ^= 1,
                "empty" => bytes.clear(),
                _ => {}
            }
            if change == "delete" {
                std::fs::remove_file(&file).unwrap();
            } else {
                std::fs::write(&file, &bytes).unwrap();
            }
            let report = std::fs::read(out.join("report.html")).unwrap();
            let o = undertow(&["report", "--from", out.to_str().unwrap()]);
            let err = text(&o.stderr);
            assert_eq!(o.status.code(), Some(2), "{name} {change}: {err}");
            assert!(
                err.contains(file.to_str().unwrap()),
                "{name} {change}: {err}"
            );
            assert!(err.contains("manifest.json"), "{name} {change}: {err}");
            assert_eq!(std::fs::read(out.join("report.html")).unwrap(), report);
            cases += 1;
        }
    }
    assert_eq!(cases, 7);
    // scenarios.csv deleted (the report reads summary.json alone): accepted, with a warning.
    let out = dir.path().join("deleted-csv");
    run_into(&out, None);
    std::fs::remove_file(out.join("scenarios.csv")).unwrap();
    let o = undertow(&["report", "--from", out.to_str().unwrap()]);
    let err = text(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("warning") && err.contains("scenarios.csv"),
        "{err}"
    );
    // A run from before manifests: accepted, with a warning.
    std::fs::remove_file(clean.join("manifest.json")).unwrap();
    let o = undertow(&["report", "--from", clean.to_str().unwrap()]);
    let err = text(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("warning") && err.contains("manifest.json"),
        "{err}"
    );
}

//! Sharded runs and their merge: a merge of shards equals a single run (every output file,
//! byte for byte, timing fields aside), shards are deterministic, every refusal names the shard
//! directory, and a shard directory appears whole or not at all.

use std::path::{Path, PathBuf};

use serde_json::Value;
use undertow_engine::shard::{
    fund_toml_checked, merge, reload_fund, run_shard, ShardContext, ShardOutcome, ShardSpec,
    FUND_TOML, PATHS_ARROW, STRESS_ARROW, UNCONDITIONAL_ARROW,
};
use undertow_engine::{run, AnalysisSettings, EngineError, RunOutcome, RunRequest, StageReruns};
use undertow_host::backend::cpu_backend;
use undertow_host::cpu::DEFAULT_CHUNK;
use undertow_host::fund::{example_fund, Fund};

fn request(scenarios: u64, analysis: bool) -> RunRequest {
    RunRequest {
        scenarios,
        seed: 11,
        paths: 13,
        threads: Some(2),
        analysis: analysis.then(|| AnalysisSettings {
            stage_scenarios: Some(60),
            reverse_stress_per_point: 4,
            attribution_scenarios: 60,
            ..AnalysisSettings::default()
        }),
        unconditional: true,
        stage_reruns: StageReruns::Cpu,
    }
}

fn single(fund: &Fund, req: &RunRequest) -> RunOutcome {
    let backend = cpu_backend(Some(2), DEFAULT_CHUNK).unwrap();
    run(fund, req, &backend, |_| {}).unwrap()
}

fn shard(fund: &Fund, req: &RunRequest, k: u64, n: u64, threads: usize) -> ShardOutcome {
    let backend = cpu_backend(Some(threads), DEFAULT_CHUNK).unwrap();
    let ctx = ShardContext {
        shard_source: "--shard".into(),
        ..ShardContext::default()
    };
    run_shard(fund, req, ShardSpec { k, n }, &ctx, &backend, |_| {}).unwrap()
}

/// Writes every shard of `n` into `dir`, returning their directories.
fn write_shards(fund: &Fund, req: &RunRequest, n: u64, dir: &Path) -> Vec<PathBuf> {
    (0..n)
        .map(|k| shard(fund, req, k, n, 2).write(dir).unwrap())
        .collect()
}

/// Every timing value (`seconds`, `throughput`) and the stages' work counters
/// (`simulated_scenario_days`, `reruns`, `reruns_shared`: a single CPU run reads two reruns from
/// its sweep, a merge simulates them) replaced by 0, everywhere in the summary.
fn normalise(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                if matches!(
                    k.as_str(),
                    "seconds"
                        | "throughput"
                        | "simulated_scenario_days"
                        | "reruns"
                        | "reruns_shared"
                ) {
                    *x = Value::from(0);
                } else {
                    normalise(x);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(normalise),
        _ => {}
    }
}

/// The files a run writes, by name, with `summary.json` normalised and `report.html` rendered
/// from the normalised summary (it prints the stages' run times); `manifest.json` left out (it
/// holds the command line and the summary's hash).
fn files(outcome: &RunOutcome, dir: &Path) -> Vec<(String, Vec<u8>)> {
    outcome.write(dir).unwrap();
    let mut out = Vec::new();
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for name in names {
        let bytes = std::fs::read(dir.join(&name)).unwrap();
        match name.as_str() {
            "manifest.json" => {}
            "report.html" => {}
            "summary.json" => {
                let mut v: Value = serde_json::from_slice(&bytes).unwrap();
                normalise(&mut v);
                let page = undertow_report::render(&v).unwrap();
                out.push(("report.html".into(), page.into_bytes()));
                out.push((name, serde_json::to_vec_pretty(&v).unwrap()));
            }
            _ => out.push((name, bytes)),
        }
    }
    out
}

fn assert_same(a: &[(String, Vec<u8>)], b: &[(String, Vec<u8>)], what: &str) {
    let names = |x: &[(String, Vec<u8>)]| x.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(a), names(b), "{what}: files");
    for ((name, x), (_, y)) in a.iter().zip(b) {
        assert!(x == y, "{what}: {name} differs");
    }
}

fn merged(dirs: &[PathBuf]) -> Result<RunOutcome, EngineError> {
    merge(
        dirs,
        Some(2),
        StageReruns::Cpu,
        vec!["undertow".into(), "merge".into()],
    )
    .map(|m| m.outcome)
}

#[test]
fn a_merge_equals_a_single_run_for_several_shard_counts() {
    let fund = example_fund();
    let req = request(230, false);
    let tmp = tempfile::tempdir().unwrap();
    let want = files(&single(&fund, &req), &tmp.path().join("single"));
    assert!(want.iter().any(|(n, _)| n == "scenarios_unconditional.csv"));
    for n in [1u64, 2, 3, 7] {
        let dir = tmp.path().join(format!("shards-{n}"));
        write_shards(&fund, &req, n, &dir);
        let got = files(
            &merged(&[dir]).unwrap(),
            &tmp.path().join(format!("merged-{n}")),
        );
        assert_same(&want, &got, &format!("N = {n}"));
    }
    // The comparison can fail: one record changed in one shard's file changes the merge.
    let dir = tmp.path().join("shards-7");
    let mut out = merged(&[dir]).unwrap();
    out.outputs[100].nav_end += 1e-3;
    let got = files(&out, &tmp.path().join("changed"));
    let same = want.iter().zip(&got).all(|(a, b)| a == b);
    assert!(!same, "a changed record went unnoticed");
}

#[test]
fn a_merge_with_the_analysis_equals_a_single_run() {
    let fund = example_fund();
    let req = request(240, true);
    let tmp = tempfile::tempdir().unwrap();
    let want = files(&single(&fund, &req), &tmp.path().join("single"));
    assert!(want.iter().any(|(n, _)| n == "lar.csv"), "the analysis ran");
    let dir = tmp.path().join("shards");
    // Unequal shard sizes: 240 / 7 is not whole; and shards given one by one, out of order.
    let mut dirs = write_shards(&fund, &req, 7, &dir);
    dirs.reverse();
    let got = files(&merged(&dirs).unwrap(), &tmp.path().join("merged"));
    assert_same(&want, &got, "N = 7 with the analysis");
}

#[test]
fn more_shards_than_scenarios_leave_empty_shards_that_merge() {
    let fund = example_fund();
    let req = request(9, false);
    let tmp = tempfile::tempdir().unwrap();
    let want = files(&single(&fund, &req), &tmp.path().join("single"));
    let dir = tmp.path().join("shards");
    write_shards(&fund, &req, 16, &dir);
    let empty = shard(&fund, &req, 0, 16, 2);
    assert_eq!(empty.manifest.shard.first, empty.manifest.shard.end);
    let got = files(&merged(&[dir]).unwrap(), &tmp.path().join("merged"));
    assert_same(&want, &got, "N = 16 > 9 scenarios");
}

#[test]
fn shards_are_deterministic_across_runs_and_thread_counts() {
    let fund = example_fund();
    let req = request(150, false);
    let a = shard(&fund, &req, 1, 3, 2);
    let b = shard(&fund, &req, 1, 3, 2);
    let c = shard(&fund, &req, 1, 3, 1);
    assert_eq!(a.files.len(), 3);
    for ((name, x), ((_, y), (_, z))) in a.files.iter().zip(b.files.iter().zip(&c.files)) {
        assert!(x == y, "{name}: two runs differ");
        assert!(x == z, "{name}: 1 and 2 threads differ");
    }
    assert_eq!(a.fund_toml, c.fund_toml);
    // A shard of another seed differs (the comparison can fail).
    let mut other = req.clone();
    other.seed += 1;
    let d = shard(&fund, &other, 1, 3, 2);
    assert!(a.files[0].1 != d.files[0].1);
}

#[test]
fn the_fund_file_written_reloads_to_the_same_fund_and_results() {
    let base = example_fund();
    let overridden = undertow_engine::FundOverrides {
        horizon: Some(60),
        strategy: Some("pro_rata".into()),
    }
    .apply(example_fund())
    .unwrap();
    // A fund whose positions come from a CSV file beside it: fund.toml inlines them.
    let csv = undertow_host::fund::load_fund(Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/small_fund_csv.toml"
    )))
    .unwrap();
    for fund in [base, overridden, csv] {
        let text = fund_toml_checked(&fund).unwrap();
        let back = reload_fund(&text, &fund.source, Path::new(FUND_TOML)).unwrap();
        assert_eq!(format!("{back:?}"), format!("{fund:?}"));
        let req = request(64, false);
        let a = single(&fund, &req);
        let b = single(&back, &req);
        let bits = |o: &RunOutcome| -> Vec<u32> {
            o.outputs
                .iter()
                .flat_map(|x| x.as_words().iter().map(|w| w.to_bits()).collect::<Vec<_>>())
                .collect()
        };
        assert_eq!(bits(&a), bits(&b));
    }
    // A fund that does not read back the same is noticed: the comparison is by every field.
    let mut f = example_fund();
    let text = fund_toml_checked(&f).unwrap();
    f.aum *= 1.0 + 1e-12;
    let back = reload_fund(&text, &f.source, Path::new(FUND_TOML)).unwrap();
    assert_ne!(format!("{back:?}"), format!("{f:?}"));
}

/// Three shards of a small sweep in a fresh folder.
fn three_shards(tmp: &Path) -> (PathBuf, Vec<PathBuf>) {
    let fund = example_fund();
    let dir = tmp.join("shards");
    let dirs = write_shards(&fund, &request(60, false), 3, &dir);
    (dir, dirs)
}

fn refused(r: Result<RunOutcome, EngineError>, names: &[&str]) -> String {
    let e = match r {
        Ok(_) => panic!("merged"),
        Err(e) => e,
    };
    assert!(e.is_bad_input(), "not bad input: {e}");
    let msg = e.to_string();
    for n in names {
        assert!(msg.contains(n), "expected `{n}` in: {msg}");
    }
    msg
}

#[test]
fn a_missing_shard_is_refused_naming_it_and_its_range() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, dirs) = three_shards(tmp.path());
    std::fs::remove_dir_all(&dirs[1]).unwrap();
    refused(
        merged(&[dir]),
        &["shard-00001-of-00003", "scenarios 20..40", "missing"],
    );
    // Given one by one, the same.
    refused(
        merged(&[dirs[0].clone(), dirs[2].clone()]),
        &["shard-00001-of-00003", "missing"],
    );
}

#[test]
fn a_duplicated_shard_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, dirs) = three_shards(tmp.path());
    let copy = tmp.path().join("copy");
    std::fs::create_dir(&copy).unwrap();
    for f in std::fs::read_dir(&dirs[2]).unwrap() {
        let f = f.unwrap();
        std::fs::copy(f.path(), copy.join(f.file_name())).unwrap();
    }
    let mut all = dirs.clone();
    all.push(copy.clone());
    refused(merged(&all), &["duplicated", "copy", "shard 2/3"]);
}

#[test]
fn overlapping_ranges_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let fund = example_fund();
    let req = request(60, false);
    let dir = tmp.path().join("mixed");
    // 0/2 (0..30), 1/2 (30..60) and 1/3 (20..40) overlap.
    let a = shard(&fund, &req, 0, 2, 2).write(&dir).unwrap();
    let b = shard(&fund, &req, 1, 2, 2).write(&dir).unwrap();
    let c = shard(&fund, &req, 1, 3, 2).write(&dir).unwrap();
    refused(
        merged(&[a.clone(), b, c]),
        &[
            "overlapping",
            "shard-00001-of-00003",
            "shard-00000-of-00002",
        ],
    );
    // Mixed counts that tile exactly merge: 0/2 (0..30) with 2/4 (30..45) and 3/4 (45..60).
    let d = shard(&fund, &req, 2, 4, 2).write(&dir).unwrap();
    let e = shard(&fund, &req, 3, 4, 2).write(&dir).unwrap();
    let tiled = merged(&[a.clone(), d, e.clone()]).unwrap();
    assert_eq!(tiled.outputs.len(), 60);
    // A gap is missing scenarios, named by shard when the counts agree, by range otherwise.
    refused(
        merged(std::slice::from_ref(&a)),
        &["missing", "shard-00001-of-00002 (scenarios 30..60)"],
    );
    refused(merged(&[a, e]), &["scenarios 30..45 missing"]);
}

/// A change to a manifest.
type Edit = Box<dyn Fn(&mut Value)>;

/// Edits `dir`'s manifest with `edit`.
fn edit_manifest(dir: &Path, edit: impl FnOnce(&mut Value)) {
    let path = dir.join("manifest.json");
    let mut v: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    edit(&mut v);
    std::fs::write(&path, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
}

#[test]
fn shards_that_differ_in_what_changes_results_are_refused() {
    let cases: Vec<(&str, Edit)> = vec![
        ("fund", Box::new(|v| v["fund"]["sha256"] = "00".into())),
        ("fund", Box::new(|v| v["fund"]["toml_sha256"] = "00".into())),
        ("seed", Box::new(|v| v["seed"] = 12.into())),
        ("version", Box::new(|v| v["version"] = "0.0.1".into())),
        (
            "switches",
            Box::new(|v| v["switches"]["crowding"] = false.into()),
        ),
        ("run flags", Box::new(|v| v["flags"]["paths"] = 3.into())),
        (
            "run flags",
            Box::new(|v| v["flags"]["unconditional"] = false.into()),
        ),
        ("run flags", Box::new(|v| v["flags"]["horizon"] = 30.into())),
        (
            "backend float type",
            Box::new(|v| v["backend"]["float"] = "f64".into()),
        ),
        (
            "backend kind",
            Box::new(|v| v["backend"]["kind"] = "gpu".into()),
        ),
    ];
    for (what, edit) in cases {
        let tmp = tempfile::tempdir().unwrap();
        let (dir, dirs) = three_shards(tmp.path());
        edit_manifest(&dirs[2], edit);
        refused(merged(&[dir]), &[what, "shard-00002-of-00003"]);
    }
    // The unedited set merges (so the refusals above come from the edits).
    let tmp = tempfile::tempdir().unwrap();
    let (dir, _) = three_shards(tmp.path());
    assert!(merged(&[dir]).is_ok());
}

#[test]
fn a_manifest_that_does_not_parse_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, dirs) = three_shards(tmp.path());
    std::fs::write(dirs[1].join("manifest.json"), "{ not json").unwrap();
    refused(
        merged(std::slice::from_ref(&dir)),
        &["shard-00001-of-00003", "does not parse"],
    );
    edit_manifest(&dirs[0], |v| v["shard"]["first"] = 5.into());
    std::fs::remove_dir_all(&dirs[1]).unwrap();
    refused(
        merged(&[dir]),
        &["shard-00000-of-00003", "covers 0..20, not 5..20"],
    );
    refused(
        merged(&[tmp.path().join("nowhere")]),
        &["nowhere", "not a directory"],
    );
    let empty = tmp.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    refused(merged(&[empty]), &["empty", "shard-*-of-*"]);
}

#[test]
fn corrupt_or_truncated_arrow_files_are_refused() {
    for name in [STRESS_ARROW, UNCONDITIONAL_ARROW, PATHS_ARROW, FUND_TOML] {
        let tmp = tempfile::tempdir().unwrap();
        let (dir, dirs) = three_shards(tmp.path());
        let path = dirs[0].join(name);
        let mut bytes = std::fs::read(&path).unwrap();
        let mid = bytes.len() / 2;
        bytes[mid] ^= 0x5a;
        std::fs::write(&path, &bytes).unwrap();
        refused(
            merged(std::slice::from_ref(&dir)),
            &["shard-00000-of-00003", name, "corrupt"],
        );
        bytes.truncate(mid);
        std::fs::write(&path, &bytes).unwrap();
        refused(merged(&[dir]), &["shard-00000-of-00003", name]);
    }
    // A truncated Arrow file whose manifest hash was updated to match: the reader refuses it.
    let tmp = tempfile::tempdir().unwrap();
    let (dir, dirs) = three_shards(tmp.path());
    let path = dirs[1].join(STRESS_ARROW);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.truncate(bytes.len() - 40);
    std::fs::write(&path, &bytes).unwrap();
    let hash = undertow_engine::manifest::sha256(&bytes);
    edit_manifest(&dirs[1], |v| v["files"][STRESS_ARROW] = hash.into());
    refused(merged(&[dir]), &["shard-00001-of-00003", "Arrow"]);
}

#[test]
fn a_failure_before_the_rename_leaves_no_shard_directory() {
    let fund = example_fund();
    let req = request(30, false);
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("out");
    let s = shard(&fund, &req, 1, 2, 2);
    let listing = |d: &Path| -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(d)
            .map(|r| {
                r.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default();
        v.sort();
        v
    };
    // None before: none after, and no temporary.
    let e = s
        .write_with(&dir, || Err(std::io::Error::other("killed")))
        .unwrap_err();
    assert!(!e.is_bad_input());
    assert_eq!(listing(&dir), Vec::<String>::new());
    // An earlier one stays as it was.
    let first = s.write(&dir).unwrap();
    let before = std::fs::read(first.join("manifest.json")).unwrap();
    let mut other = req.clone();
    other.seed += 1;
    let s2 = shard(&fund, &other, 1, 2, 2);
    assert!(s2
        .write_with(&dir, || Err(std::io::Error::other("killed")))
        .is_err());
    assert_eq!(listing(&dir), vec!["shard-00001-of-00002".to_string()]);
    assert_eq!(std::fs::read(first.join("manifest.json")).unwrap(), before);
    // A rerun replaces it whole.
    s2.write(&dir).unwrap();
    assert_eq!(listing(&dir), vec!["shard-00001-of-00002".to_string()]);
    assert_ne!(std::fs::read(first.join("manifest.json")).unwrap(), before);
    assert_eq!(listing(&first).len(), 5);
}

#[test]
fn a_tree_merge_through_combined_shards_equals_a_single_run() {
    let fund = example_fund();
    let req = request(101, false);
    let tmp = tempfile::tempdir().unwrap();
    let want = files(&single(&fund, &req), &tmp.path().join("single"));
    let leaves = write_shards(&fund, &req, 8, &tmp.path().join("leaves"));
    let level = tmp.path().join("level1");
    // Shards 0-3 of 8 are shard 0 of 2; 4-7 are shard 1 of 2.
    for (k, group) in leaves.chunks(4).enumerate() {
        let spec = ShardSpec { k: k as u64, n: 2 };
        let c = undertow_engine::shard::combine(group, spec, vec![]).unwrap();
        assert_eq!(c.manifest.shard.first, spec.range(101).start);
        c.write(&level).unwrap();
    }
    // The combined shard's records are those of a shard run directly as 0/2.
    let direct = shard(&fund, &req, 0, 2, 2);
    let combined =
        undertow_engine::shard::combine(&leaves[..4], ShardSpec { k: 0, n: 2 }, vec![]).unwrap();
    for ((name, a), (_, b)) in direct.files.iter().zip(&combined.files) {
        assert!(
            a == b,
            "{name}: combined differs from the shard run directly"
        );
    }
    let got = files(&merged(&[level]).unwrap(), &tmp.path().join("merged"));
    assert_same(&want, &got, "tree merge 8 -> 2 -> 1");
    // A combine missing a shard of its range, or given one outside it, is refused.
    let r = undertow_engine::shard::combine(&leaves[..3], ShardSpec { k: 0, n: 2 }, vec![]);
    let e = r.err().expect("refused");
    assert!(
        e.is_bad_input() && e.to_string().contains("shard-00003-of-00008"),
        "{e}"
    );
    let r = undertow_engine::shard::combine(&leaves[..5], ShardSpec { k: 0, n: 2 }, vec![]);
    let e = r.err().expect("refused");
    assert!(e.is_bad_input() && e.to_string().contains("outside"), "{e}");
}

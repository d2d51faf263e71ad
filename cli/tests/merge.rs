//! `undertow run --shard K/N` and `undertow merge`: shards run by flag and by each
//! environment source merge into exactly what a single run writes (timing fields and the
//! command line aside); refusals exit 2 naming the shard and create nothing.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::{text, undertow};

const RUN: &[&str] = &[
    "run",
    "--scenarios",
    "250",
    "--seed",
    "5",
    "--paths",
    "12",
    "--stage-scenarios",
    "60",
    "--attribution-scenarios",
    "60",
    "--reverse-stress-per-point",
    "4",
    "--backend",
    "cpu",
    "--threads",
    "2",
];

/// Extra flags, environment variables, and what stderr must say.
type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);

/// Every variable a shard's K/N may come from.
const SHARD_VARS: &[&str] = &[
    "SLURM_ARRAY_TASK_ID",
    "SLURM_ARRAY_TASK_COUNT",
    "SLURM_ARRAY_TASK_MIN",
    "JOB_COMPLETION_INDEX",
    "AWS_BATCH_JOB_ARRAY_INDEX",
    "UNDERTOW_SHARDS",
];

/// Runs `undertow` with `args` and only the environment variables `vars` of the shard sources.
fn undertow_env(args: &[&str], vars: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_undertow"));
    c.args(args);
    for v in SHARD_VARS {
        c.env_remove(v);
    }
    for (k, v) in vars {
        c.env(k, v);
    }
    c.output().expect("run undertow")
}

fn with_out<'a>(args: &[&'a str], extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = args.to_vec();
    v.extend_from_slice(extra);
    v
}

/// `summary.json` with the timing values (`seconds`, `throughput`) and the stages' work counters
/// (a single CPU run reads two reruns from its sweep, a merge simulates them) set to 0, line by
/// line.
fn normalise(summary: &str) -> String {
    summary
        .lines()
        .map(|line| {
            let t = line.trim_start();
            for k in [
                "\"seconds\": ",
                "\"throughput\": ",
                "\"simulated_scenario_days\": ",
                "\"reruns\": ",
                "\"reruns_shared\": ",
            ] {
                if t.starts_with(k) {
                    let comma = if t.ends_with(',') { "," } else { "" };
                    return format!("{}{k}0{comma}\n", &line[..line.len() - t.len()]);
                }
            }
            format!("{line}\n")
        })
        .collect()
}

/// The files of a run directory to compare: the normalised summary, the report rendered from
/// it, every CSV; and the manifest without its command line and output hashes.
fn outputs(dir: &Path, scratch: &Path) -> Vec<(String, String)> {
    let summary = normalise(&std::fs::read_to_string(dir.join("summary.json")).unwrap());
    std::fs::create_dir_all(scratch).unwrap();
    std::fs::write(scratch.join("summary.json"), &summary).unwrap();
    let o = undertow(&["report", "--from", scratch.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let report = std::fs::read_to_string(scratch.join("report.html")).unwrap();
    let mut manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    let m = manifest.as_object_mut().unwrap();
    m.remove("command_line");
    let files: Vec<String> = m["files"].as_object().unwrap().keys().cloned().collect();
    m.remove("files");
    let mut out = vec![
        ("summary.json".into(), summary),
        ("report.html".into(), report),
        ("manifest.json".into(), format!("{manifest}")),
        ("manifest files".into(), files.join(",")),
    ];
    let mut csvs: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .collect();
    csvs.sort();
    for p in csvs {
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        out.push((name, std::fs::read_to_string(&p).unwrap()));
    }
    out
}

#[test]
fn shards_from_the_flag_and_every_environment_source_merge_into_the_single_run() {
    let tmp = tempfile::tempdir().unwrap();
    let p = |s: &str| tmp.path().join(s).to_string_lossy().into_owned();
    let (single, shards, merged) = (p("single"), p("shards"), p("merged"));
    let o = undertow_env(&with_out(RUN, &["--out", &single]), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let sources: [Case; 4] = [
        (&["--shard", "0/4"], &[], "shard 0/4 (from --shard)"),
        (
            &[],
            &[
                ("SLURM_ARRAY_TASK_ID", "1"),
                ("SLURM_ARRAY_TASK_COUNT", "4"),
            ],
            "shard 1/4 (from SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT)",
        ),
        (
            &[],
            &[("JOB_COMPLETION_INDEX", "2"), ("UNDERTOW_SHARDS", "4")],
            "shard 2/4 (from JOB_COMPLETION_INDEX/UNDERTOW_SHARDS)",
        ),
        (
            &[],
            &[("AWS_BATCH_JOB_ARRAY_INDEX", "3"), ("UNDERTOW_SHARDS", "4")],
            "shard 3/4 (from AWS_BATCH_JOB_ARRAY_INDEX/UNDERTOW_SHARDS)",
        ),
    ];
    for (flags, vars, says) in sources {
        let mut args = with_out(RUN, flags);
        args.extend(["--out", &shards]);
        let o = undertow_env(&args, vars);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
        assert!(
            text(&o.stderr).contains(says),
            "{says}: {}",
            text(&o.stderr)
        );
    }
    let mut names: Vec<String> = std::fs::read_dir(&shards)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        (0..4)
            .map(|k| format!("shard-0000{k}-of-00004"))
            .collect::<Vec<_>>()
    );
    let o = undertow_env(&["merge", &shards, "--out", &merged, "--threads", "2"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let want = outputs(Path::new(&single), &tmp.path().join("scratch-single"));
    let got = outputs(Path::new(&merged), &tmp.path().join("scratch-merged"));
    assert!(want.len() > 10, "the analysis' tables are compared");
    for ((name, a), (name_b, b)) in want.iter().zip(&got) {
        assert_eq!(name, name_b);
        assert!(
            a == b,
            "{name} differs between the single run and the merge"
        );
    }
    assert_eq!(want.len(), got.len());

    // A rerun of a shard replaces it; the merge still matches.
    let mut args = with_out(RUN, &["--shard", "2/4", "--out", &shards]);
    args.push("--no-analysis");
    let o = undertow_env(&args, &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    // ... but now its flags differ from the others': refused, naming it.
    let o = undertow_env(&["merge", &shards, "--out", &p("refused")], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("shard-00002-of-00004"),
        "{}",
        text(&o.stderr)
    );
    assert!(text(&o.stderr).contains("run flags"), "{}", text(&o.stderr));
    assert!(!tmp.path().join("refused").exists());
}

#[test]
fn a_missing_shard_exits_2_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let shards = tmp.path().join("s").to_string_lossy().into_owned();
    for k in ["0/3", "2/3"] {
        let o = undertow_env(
            &[
                "run",
                "--scenarios",
                "30",
                "--no-analysis",
                "--backend",
                "cpu",
                "--paths",
                "3",
                "--shard",
                k,
                "--out",
                &shards,
            ],
            &[],
        );
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    }
    let out = tmp.path().join("m");
    let o = undertow_env(&["merge", &shards, "--out", out.to_str().unwrap()], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(
        err.contains("shard-00001-of-00003 (scenarios 10..20)"),
        "{err}"
    );
    assert!(!out.exists());
}

#[test]
fn bad_shard_flags_and_variables_exit_2_and_create_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o");
    let o_s = out.to_str().unwrap();
    let cases: [Case; 4] = [
        (&["--shard", "4/4"], &[], "--shard"),
        (&["--shard", "two/4"], &[], "two/4"),
        (
            &[],
            &[
                ("SLURM_ARRAY_TASK_ID", "4"),
                ("SLURM_ARRAY_TASK_COUNT", "4"),
            ],
            "SLURM_ARRAY_TASK_ID=4",
        ),
        (&[], &[("JOB_COMPLETION_INDEX", "1")], "UNDERTOW_SHARDS"),
    ];
    for (flags, vars, needle) in cases {
        let mut args = vec!["run", "--scenarios", "10", "--backend", "cpu", "--out", o_s];
        args.extend_from_slice(flags);
        let o = undertow_env(&args, vars);
        assert_eq!(
            o.status.code(),
            Some(2),
            "{args:?} {vars:?}: {}",
            text(&o.stderr)
        );
        assert!(
            text(&o.stderr).contains(needle),
            "{needle}: {}",
            text(&o.stderr)
        );
        assert!(!out.exists());
    }
    // merge with no directory at all.
    let o = undertow_env(&["merge", "--out", o_s], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("no shard directory"),
        "{}",
        text(&o.stderr)
    );
    assert!(!out.exists());
    // merge with nothing to merge.
    let o = undertow_env(&["merge", tmp.path().to_str().unwrap(), "--out", o_s], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(!out.exists());
}

#[test]
fn a_tree_merge_with_as_shard_gives_the_single_runs_records() {
    let tmp = tempfile::tempdir().unwrap();
    let p = |s: &str| tmp.path().join(s).to_string_lossy().into_owned();
    let base = [
        "run",
        "--scenarios",
        "40",
        "--seed",
        "2",
        "--paths",
        "5",
        "--no-analysis",
        "--backend",
        "cpu",
    ];
    let o = undertow_env(&with_out(&base, &["--out", &p("single")]), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    for k in 0..4 {
        let shard = format!("{k}/4");
        let o = undertow_env(
            &with_out(&base, &["--shard", &shard, "--out", &p("leaves")]),
            &[],
        );
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    }
    for (k, leaves) in [(0, ["00000", "00001"]), (1, ["00002", "00003"])] {
        let dirs: Vec<String> = leaves
            .iter()
            .map(|l| p(&format!("leaves/shard-{l}-of-00004")))
            .collect();
        let shard = format!("{k}/2");
        let mut args = vec!["merge", "--as-shard", &shard, "--out"];
        let level = p("level");
        args.push(&level);
        args.extend(dirs.iter().map(String::as_str));
        let o = undertow_env(&args, &[]);
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    }
    let o = undertow_env(&["merge", &p("level"), "--out", &p("merged")], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    for f in ["scenarios.csv", "scenarios_unconditional.csv"] {
        let a = std::fs::read(tmp.path().join("single").join(f)).unwrap();
        let b = std::fs::read(tmp.path().join("merged").join(f)).unwrap();
        assert!(a == b, "{f} differs");
    }
    // A bad --as-shard is bad input naming the flag.
    let o = undertow_env(
        &["merge", "--as-shard", "2/2", "--out", &p("x"), &p("leaves")],
        &[],
    );
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("--as-shard"),
        "{}",
        text(&o.stderr)
    );
}

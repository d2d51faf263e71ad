//! The stage commands that sweep (`optimize buffer`, `optimize gates`) read a sharded sweep's
//! records with `--from-shards` instead of sweeping: their JSON equals, timing fields aside, the
//! same command's own sweep of the same count and seed, and shards of another fund are refused.

mod common;

use std::path::Path;

use common::{assert_bad_input, text, undertow};

/// Three shards of the stress library (no analysis: the stage commands run their own).
fn three_shards(dir: &Path, fund: Option<&Path>) {
    for k in 0..3 {
        let shard = format!("{k}/3");
        let mut args = vec![
            "run",
            "--scenarios",
            "240",
            "--seed",
            "9",
            "--no-analysis",
            "--no-unconditional",
            "--backend",
            "cpu",
            "--shard",
            &shard,
            "--out",
            dir.to_str().unwrap(),
        ];
        if let Some(f) = fund {
            args.extend(["--fund", f.to_str().unwrap()]);
        }
        let o = undertow(&args);
        assert!(o.status.success(), "{}", text(&o.stderr));
    }
}

/// A stage's JSON without its timing fields (`seconds`), which no two runs share, and the
/// stages' work counters (a stage's own CPU sweep serves reruns that shards' records do not).
fn untimed(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(m) => {
            for k in [
                "seconds",
                "simulated_scenario_days",
                "reruns",
                "reruns_shared",
            ] {
                m.remove(k);
            }
            m.values_mut().for_each(untimed);
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(untimed),
        _ => {}
    }
}

fn stage(args: &[&str], out: &Path) -> serde_json::Value {
    let mut v = args.to_vec();
    v.extend(["--threads", "2", "--out", out.to_str().unwrap()]);
    let o = undertow(&v);
    assert!(o.status.success(), "{v:?}: {}", text(&o.stderr));
    let name = if args[1] == "buffer" {
        "buffer.json"
    } else {
        "policy.json"
    };
    let mut v = common::json(&out.join(name));
    untimed(&mut v);
    v
}

#[test]
fn stages_read_shards_into_the_same_results_as_their_own_sweep() {
    let tmp = tempfile::tempdir().unwrap();
    let shards = tmp.path().join("shards");
    three_shards(&shards, None);
    let s = shards.to_str().unwrap();
    let buffer = ["optimize", "buffer", "--stage-scenarios", "120"];
    let gates = ["optimize", "gates", "--stage-scenarios", "40"];
    for (i, base) in [&buffer[..], &gates[..]].into_iter().enumerate() {
        let own = [base, &["--scenarios", "240", "--seed", "9"]].concat();
        let from = [base, &["--from-shards", s]].concat();
        let a = stage(&own, &tmp.path().join(format!("own{i}")));
        let b = stage(&from, &tmp.path().join(format!("from{i}")));
        assert!(a == b, "{base:?}: --from-shards differs from the own sweep");
        // A different seed gives a different file, so the equality above is not vacuous.
        let other = [base, &["--scenarios", "240", "--seed", "10"]].concat();
        let c = stage(&other, &tmp.path().join(format!("other{i}")));
        assert!(a != c, "{base:?}: the seed changed nothing");
    }
}

#[test]
fn shards_of_another_fund_or_with_a_seed_flag_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let fund = tmp.path().join("fund.toml");
    let o = undertow(&["example-fund"]);
    let example = text(&o.stdout);
    let name = "Quantum Multi-Strategy Fund";
    assert!(example.contains(name), "the example's name moved");
    std::fs::write(&fund, example.replacen(name, "Quantum II", 1)).unwrap();
    let shards = tmp.path().join("shards");
    three_shards(&shards, Some(&fund));
    let s = shards.to_str().unwrap();
    let out = tmp.path().join("out");
    let o = out.to_str().unwrap();
    // The shards ran another fund (another name); the command has the built-in example.
    assert_bad_input(
        &["optimize", "buffer", "--from-shards", s, "--out", o],
        "is not this command's fund",
        &out,
    );
    assert_bad_input(
        &[
            "optimize",
            "gates",
            "--from-shards",
            s,
            "--seed",
            "3",
            "--out",
            o,
        ],
        "--seed",
        &out,
    );
    // A missing shard is refused by name, as by the merge.
    std::fs::remove_dir_all(shards.join("shard-00001-of-00003")).unwrap();
    let f = fund.to_str().unwrap();
    assert_bad_input(
        &[
            "optimize",
            "buffer",
            "--fund",
            f,
            "--from-shards",
            s,
            "--out",
            o,
        ],
        "shard-00001-of-00003",
        &out,
    );
}

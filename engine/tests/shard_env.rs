//! Where a shard's K/N come from without `--shard`: Slurm array jobs, Kubernetes Indexed Jobs,
//! AWS Batch array jobs, first match wins; bad values are bad input naming the variable.

use std::collections::HashMap;

use undertow_engine::ShardSpec;

fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn from(
    pairs: &[(&str, &str)],
) -> Result<Option<(ShardSpec, String)>, undertow_engine::EngineError> {
    let e = env(pairs);
    ShardSpec::from_env(&|name| e.get(name).cloned())
}

fn ok(pairs: &[(&str, &str)]) -> (u64, u64, String) {
    let (s, source) = from(pairs).unwrap().expect("a shard");
    (s.k, s.n, source)
}

fn bad(pairs: &[(&str, &str)], needles: &[&str]) {
    let e = from(pairs).unwrap_err();
    assert!(e.is_bad_input());
    for n in needles {
        assert!(e.to_string().contains(n), "expected `{n}` in: {e}");
    }
}

#[test]
fn each_source_gives_its_shard() {
    assert_eq!(
        ok(&[
            ("SLURM_ARRAY_TASK_ID", "2"),
            ("SLURM_ARRAY_TASK_COUNT", "4")
        ]),
        (2, 4, "SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT".into())
    );
    assert_eq!(
        ok(&[("JOB_COMPLETION_INDEX", "0"), ("UNDERTOW_SHARDS", "3")]),
        (0, 3, "JOB_COMPLETION_INDEX/UNDERTOW_SHARDS".into())
    );
    assert_eq!(
        ok(&[
            ("AWS_BATCH_JOB_ARRAY_INDEX", "9"),
            ("UNDERTOW_SHARDS", "10")
        ]),
        (9, 10, "AWS_BATCH_JOB_ARRAY_INDEX/UNDERTOW_SHARDS".into())
    );
    // Slurm's minimum index may be given, as 0.
    assert_eq!(
        ok(&[
            ("SLURM_ARRAY_TASK_ID", "1"),
            ("SLURM_ARRAY_TASK_COUNT", "2"),
            ("SLURM_ARRAY_TASK_MIN", "0")
        ])
        .0,
        1
    );
}

#[test]
fn nothing_set_is_no_shard() {
    assert!(from(&[]).unwrap().is_none());
    // A count alone, or an empty index, is no shard either.
    assert!(from(&[("UNDERTOW_SHARDS", "4")]).unwrap().is_none());
    assert!(
        from(&[("SLURM_ARRAY_TASK_ID", ""), ("UNDERTOW_SHARDS", "4")])
            .unwrap()
            .is_none()
    );
}

#[test]
fn the_first_source_set_wins() {
    let all = [
        ("SLURM_ARRAY_TASK_ID", "1"),
        ("SLURM_ARRAY_TASK_COUNT", "5"),
        ("JOB_COMPLETION_INDEX", "2"),
        ("AWS_BATCH_JOB_ARRAY_INDEX", "3"),
        ("UNDERTOW_SHARDS", "6"),
    ];
    assert_eq!(ok(&all).0, 1);
    assert_eq!(ok(&all[2..]).0, 2);
    assert_eq!(
        ok(&all[3..]),
        (3, 6, "AWS_BATCH_JOB_ARRAY_INDEX/UNDERTOW_SHARDS".into())
    );
    // The first source set decides, even when it is broken.
    bad(
        &[
            ("SLURM_ARRAY_TASK_ID", "1"),
            ("JOB_COMPLETION_INDEX", "2"),
            ("UNDERTOW_SHARDS", "6"),
        ],
        &["SLURM_ARRAY_TASK_ID=1", "SLURM_ARRAY_TASK_COUNT"],
    );
}

#[test]
fn an_index_without_its_count_is_refused() {
    bad(
        &[("SLURM_ARRAY_TASK_ID", "3")],
        &["SLURM_ARRAY_TASK_ID=3", "SLURM_ARRAY_TASK_COUNT"],
    );
    bad(
        &[("JOB_COMPLETION_INDEX", "0")],
        &["JOB_COMPLETION_INDEX=0", "UNDERTOW_SHARDS"],
    );
    bad(
        &[("AWS_BATCH_JOB_ARRAY_INDEX", "7")],
        &["AWS_BATCH_JOB_ARRAY_INDEX=7", "UNDERTOW_SHARDS"],
    );
    // Slurm's count is its own: UNDERTOW_SHARDS does not stand in for it.
    bad(
        &[("SLURM_ARRAY_TASK_ID", "0"), ("UNDERTOW_SHARDS", "2")],
        &["SLURM_ARRAY_TASK_COUNT"],
    );
}

#[test]
fn an_index_not_below_the_count_is_refused() {
    bad(
        &[
            ("SLURM_ARRAY_TASK_ID", "4"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ],
        &["SLURM_ARRAY_TASK_ID=4", "SLURM_ARRAY_TASK_COUNT=4", "below"],
    );
    bad(
        &[("JOB_COMPLETION_INDEX", "5"), ("UNDERTOW_SHARDS", "3")],
        &["JOB_COMPLETION_INDEX=5", "UNDERTOW_SHARDS=3"],
    );
    bad(
        &[("AWS_BATCH_JOB_ARRAY_INDEX", "0"), ("UNDERTOW_SHARDS", "0")],
        &["UNDERTOW_SHARDS=0", "1..="],
    );
    bad(
        &[
            ("AWS_BATCH_JOB_ARRAY_INDEX", "0"),
            ("UNDERTOW_SHARDS", "100000"),
        ],
        &["UNDERTOW_SHARDS=100000"],
    );
    // A Slurm array that does not start at 0.
    bad(
        &[
            ("SLURM_ARRAY_TASK_ID", "1"),
            ("SLURM_ARRAY_TASK_COUNT", "2"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
        ],
        &["SLURM_ARRAY_TASK_MIN=1", "--array=0-(N-1)"],
    );
}

#[test]
fn garbage_values_are_refused_naming_the_variable() {
    for v in ["x", "-1", "1.5", "2/4", "18446744073709551616"] {
        bad(
            &[("SLURM_ARRAY_TASK_ID", v), ("SLURM_ARRAY_TASK_COUNT", "4")],
            &["SLURM_ARRAY_TASK_ID", v, "not a whole number"],
        );
        bad(
            &[("JOB_COMPLETION_INDEX", "0"), ("UNDERTOW_SHARDS", v)],
            &["UNDERTOW_SHARDS", v],
        );
    }
}

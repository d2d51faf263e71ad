//! Every command's bounded flags refuse what is out of bounds: exit 2, a message naming the flag
//! and the value, nothing written. Generated over the commands that take each flag.

mod common;

use common::assert_bad_input;

/// The commands with `--threads`, each with flags that keep it short.
const THREADED: &[&[&str]] = &[
    &["run", "--scenarios", "10", "--no-analysis"],
    &["bench", "--scenarios", "10", "--cpu-only"],
    &["optimize", "buffer", "--scenarios", "10"],
    &["optimize", "liquidation", "--stage-scenarios", "10"],
    &["optimize", "gates", "--scenarios", "10"],
    &["reverse-stress", "--per-point", "2"],
];

#[test]
fn threads_out_of_bounds_are_refused_by_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let mut cases = 0;
    for base in THREADED {
        for n in ["0", "4097", "18446744073709551615"] {
            let mut args: Vec<&str> = base.to_vec();
            args.extend(["--threads", n]);
            if base[0] != "bench" {
                args.extend(["--out", out.to_str().unwrap()]);
            }
            assert_bad_input(
                &args,
                &format!("flag --threads: {n} is outside 1..=4096"),
                &out,
            );
            cases += 1;
        }
    }
    assert_eq!(cases, 18);
}

#[test]
fn chunk_and_buffer_horizon_out_of_bounds_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = out.to_str().unwrap();
    assert_bad_input(
        &["run", "--scenarios", "10", "--chunk", "0", "--out", o],
        "flag --chunk: 0 (must be at least 1)",
        &out,
    );
    // The example fund simulates 90 days.
    for days in ["91", "500", "4294967295"] {
        assert_bad_input(
            &[
                "run",
                "--scenarios",
                "10",
                "--buffer-horizon",
                days,
                "--out",
                o,
            ],
            &format!("flag --buffer-horizon: {days} is longer than the fund's horizon of 90 days"),
            &out,
        );
        assert_bad_input(
            &["optimize", "buffer", "--buffer-horizon", days, "--out", o],
            &format!("flag --buffer-horizon: {days} is longer than the fund's horizon of 90 days"),
            &out,
        );
    }
}

#[test]
fn negative_numbers_name_their_flag() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = out.to_str().unwrap();
    for (flag, value) in [("--scenarios", "-5"), ("--seed", "-1"), ("--threads", "-2")] {
        assert_bad_input(
            &["run", flag, value, "--out", o],
            &format!("invalid value '{value}' for '{flag}"),
            &out,
        );
    }
}

/// The commands with `--out`, each with flags that keep it short.
const WRITING: &[&[&str]] = &[
    &["run", "--scenarios", "10", "--no-analysis"],
    &["profile", "--scenarios", "10"],
    &[
        "optimize",
        "buffer",
        "--scenarios",
        "10",
        "--stage-scenarios",
        "10",
    ],
    &["optimize", "liquidation", "--stage-scenarios", "10"],
    &[
        "optimize",
        "gates",
        "--scenarios",
        "10",
        "--stage-scenarios",
        "10",
    ],
    &["reverse-stress", "--per-point", "2", "--grid", "2"],
];

/// Every file and folder under `dir`, sorted.
fn tree(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut all = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p.clone());
            }
            all.push(p);
        }
    }
    all.sort();
    all
}

#[test]
fn out_problems_are_bad_input_found_before_anything_runs() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file");
    std::fs::write(&file, "not a folder").unwrap();
    let locked = dir.path().join("locked");
    std::fs::create_dir(&locked).unwrap();
    let mut perms = std::fs::metadata(&locked).unwrap().permissions();
    perms.set_readonly(true);
    std::fs::set_permissions(&locked, perms).unwrap();
    // Root writes anywhere: the read-only folder is only a case where permissions hold.
    let enforced = std::fs::write(locked.join("probe"), "").is_err();
    let mut outs = vec![
        (file.clone(), "exists and is not a folder".to_string()),
        (
            file.join("sub"),
            format!("{} is not a folder", file.display()),
        ),
        (
            file.join("a/b"),
            format!("{} is not a folder", file.display()),
        ),
        // Nothing can be created in /proc, whoever runs.
        (
            "/proc/undertow-out".into(),
            "cannot create a folder in /proc".into(),
        ),
    ];
    if enforced {
        outs.push((locked.clone(), "cannot write there".into()));
        outs.push((
            locked.join("x"),
            format!("cannot create a folder in {}", locked.display()),
        ));
    }
    let before = tree(dir.path());
    let mut cases = 0;
    for base in WRITING {
        for (out, why) in &outs {
            let mut args: Vec<&str> = base.to_vec();
            args.extend(["--out", out.to_str().unwrap()]);
            let o = common::undertow(&args);
            let err = common::text(&o.stderr);
            assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
            let needle = format!("flag --out: {}: {why}", out.display());
            assert!(
                err.contains(&needle),
                "{args:?}: expected `{needle}` in {err}"
            );
            cases += 1;
        }
    }
    assert_eq!(
        tree(dir.path()),
        before,
        "a refused --out created something"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "not a folder");
    assert!(cases >= 24, "{cases}");
}

#[test]
fn the_reverse_stress_grid_is_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    for n in ["0", "1", "102", "4294967295", "18446744073709551615"] {
        assert_bad_input(
            &[
                "reverse-stress",
                "--grid",
                n,
                "--out",
                out.to_str().unwrap(),
            ],
            &format!("flag --grid: {n}: give 2 to 101 points"),
            &out,
        );
    }
}

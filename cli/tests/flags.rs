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

//! The final guard: a non-finite number in a finished run stops the write (a runtime failure
//! naming the scenario, the field and the scenario's inputs) and nothing is written.

use undertow_engine::{run, RunOutcome, RunRequest};
use undertow_host::backend::cpu_backend;
use undertow_host::fund::example_fund;

fn outcome() -> RunOutcome {
    let backend = cpu_backend(Some(1), 64).unwrap();
    let request = RunRequest {
        scenarios: 20,
        seed: 3,
        paths: 2,
        threads: Some(1),
        unconditional: false,
        analysis: None,
        stage_reruns: undertow_engine::StageReruns::Cpu,
    };
    run(&example_fund(), &request, &backend, |_| {}).unwrap()
}

/// Writes into a fresh folder: the error's message and cause, and what the folder holds after.
fn write_fails(out: &RunOutcome) -> (String, usize) {
    let dir = tempfile::tempdir().unwrap();
    let err = out
        .write(dir.path())
        .expect_err("a non-finite output was written");
    assert!(!err.is_bad_input(), "{err}");
    let cause = std::error::Error::source(&err)
        .map(|s| s.to_string())
        .unwrap_or_default();
    let left = std::fs::read_dir(dir.path()).unwrap().count();
    (format!("{err}: {cause}"), left)
}

#[test]
fn a_non_finite_scenario_field_stops_the_write_and_names_it() {
    let clean = outcome();
    let dir = tempfile::tempdir().unwrap();
    clean.write(dir.path()).unwrap();
    assert!(std::fs::read_dir(dir.path()).unwrap().count() > 0);

    for (k, v) in [
        (3usize, f32::NAN),
        (7, f32::INFINITY),
        (19, f32::NEG_INFINITY),
    ] {
        let mut bad = outcome();
        bad.outputs[k].nav_end = v;
        let (msg, left) = write_fails(&bad);
        assert_eq!(left, 0, "files were written");
        assert!(
            msg.starts_with(&format!(
                "checking the outputs: scenarios.csv: scenario {k}, nav_end (family "
            )),
            "{msg}"
        );
        assert!(
            msg.contains("market severity") && msg.contains("redemption severity"),
            "{msg}"
        );
        assert!(msg.contains(&format!("= {v}")), "{msg}");
    }
    let mut bad = outcome();
    bad.outputs[0].cum_cost[2] = f32::NAN;
    let (msg, _) = write_fails(&bad);
    assert!(
        msg.contains("scenario 0, cum_cost_2") || msg.contains("scenario 0, cum_cost"),
        "{msg}"
    );
}

#[test]
fn a_non_finite_summary_number_stops_the_write_and_names_it() {
    let mut bad = outcome();
    bad.summary.aggregate.mean_cost = f64::NAN;
    let (msg, left) = write_fails(&bad);
    assert_eq!(left, 0);
    assert!(
        msg.contains("summary.json: aggregate.mean_cost = NaN"),
        "{msg}"
    );

    let mut bad = outcome();
    bad.summary.aggregate.liquidity_at_risk[0].lar[1] = f64::INFINITY;
    let (msg, _) = write_fails(&bad);
    assert!(
        msg.contains("summary.json: aggregate.liquidity_at_risk[0].lar[1] = inf"),
        "{msg}"
    );
}

//! The two scenario sets of a run (the stress library and the unconditional mixture) and the
//! sensitivity table (`undertow sensitivity`).

use std::path::Path;

use undertow_engine::run::unconditional_fund;
use undertow_engine::sensitivity::{
    check_csv, compare, sensitivity, Metrics, SensitivityRequest, BASE, SENSITIVITY_CSV,
};
use undertow_engine::{run, RunOutcome, RunRequest, SCENARIOS_CSV, SCENARIOS_UNCONDITIONAL_CSV};
use undertow_host::backend::cpu_backend;
use undertow_host::cpu::DEFAULT_CHUNK;
use undertow_host::fund::{example_fund, Fund};
use undertow_host::run::{scenario_block, sweep_cpu, SweepOptions};
use undertow_host::scenarios::family;

const SCENARIOS: u64 = 2_000;

fn request(scenarios: u64, unconditional: bool) -> RunRequest {
    RunRequest {
        scenarios,
        seed: 7,
        paths: 4,
        threads: Some(2),
        unconditional,
        analysis: None,
        stage_reruns: undertow_engine::StageReruns::Cpu,
    }
}

fn run_of(fund: &Fund, req: &RunRequest) -> (RunOutcome, u64) {
    let backend = cpu_backend(Some(2), DEFAULT_CHUNK).unwrap();
    let mut last = 0;
    let outcome = run(fund, req, &backend, |done| last = done).unwrap();
    (outcome, last)
}

/// A `scenarios.csv`-style file's rows as `(header, rows)`.
fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap().split(',').map(String::from).collect();
    let rows = lines
        .map(|l| l.split(',').map(String::from).collect())
        .collect();
    (header, rows)
}

/// The headline numbers recomputed from a written records file: (survival, gate frequency,
/// shortfall frequency, mean cost in bps).
fn recomputed(path: &Path) -> (f64, f64, f64, f64) {
    let (header, rows) = read_csv(path);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let (gate, short) = (col("gate_days"), col("shortfall"));
    let (spread, impact) = (col("cost_spread"), col("cost_impact"));
    let v = |r: &Vec<String>, k: usize| r[k].parse::<f32>().unwrap() as f64;
    let n = rows.len() as f64;
    let share = |f: &dyn Fn(&Vec<String>) -> bool| rows.iter().filter(|r| f(r)).count() as f64 / n;
    (
        share(&|r| v(r, short) <= 0.0 && v(r, gate) == 0.0),
        share(&|r| v(r, gate) > 0.0),
        share(&|r| v(r, short) > 0.0),
        rows.iter()
            .map(|r| v(r, spread) + v(r, impact))
            .sum::<f64>()
            / n
            * 1e4,
    )
}

#[test]
fn a_run_sweeps_both_sets_and_writes_both_records() {
    let fund = example_fund();
    let req = request(SCENARIOS, true);
    let (outcome, last) = run_of(&fund, &req);
    assert_eq!(last, 2 * SCENARIOS, "progress counts both sets");
    let s = &outcome.summary;
    assert_eq!(s.set, "stress");
    let u = s.unconditional.as_ref().expect("the unconditional set");
    assert_eq!(u.set, "unconditional");
    assert_eq!(u.scenarios, SCENARIOS);
    let outs_u = outcome.unconditional_outputs.as_ref().unwrap();
    assert_eq!(outs_u.len() as u64, SCENARIOS);

    // The calm share is a binomial draw with the mixture's probability: within 4 standard
    // deviations (a false alarm about once in 16,000 runs).
    let p = fund.scenarios.mixture.probabilities().calm;
    assert!(p > 0.5 && p < 1.0, "calm probability {p}");
    assert!((u.family_probabilities["calm"] - p).abs() < 1e-12);
    let calm = u.family_shares.get("calm").copied().unwrap_or(0.0);
    let bound = 4.0 * (p * (1.0 - p) / SCENARIOS as f64).sqrt();
    assert!(
        (calm - p).abs() <= bound,
        "calm share {calm} against {p} ± {bound}"
    );
    let shares: f64 = u.family_shares.values().sum();
    assert!((shares - 1.0).abs() < 1e-9, "family shares sum to {shares}");
    // The stress library draws no calm scenario.
    let stress_params = scenario_block(&fund, req.seed, 0..SCENARIOS);
    assert!(stress_params.iter().all(|p| p.family != family::CALM));
    // A calm-heavy set is calmer than the stress library.
    assert!(u.headline.gate_frequency < s.headline.gate_frequency);

    // The unconditional records are the host's sweep of the mixture, bit for bit, and the
    // stress library's are those of a run without the second set.
    let cpu = undertow_host::cpu::CpuBackend::new(Some(1), DEFAULT_CHUNK).unwrap();
    let opts = SweepOptions {
        scenarios: SCENARIOS,
        seed: req.seed,
        paths: 0,
    };
    let direct = sweep_cpu(
        &unconditional_fund(&fund),
        &cpu,
        &opts,
        |_, _, _| Ok(()),
        |_| {},
    )
    .unwrap();
    assert_eq!(&direct.outputs, outs_u);
    let (alone, _) = run_of(&fund, &request(SCENARIOS, false));
    assert_eq!(alone.outputs, outcome.outputs);
    assert_eq!(alone.summary.headline.coverage, s.headline.coverage);

    // Written: both records files; the headline numbers of each set recomputed from its file.
    let dir = tempfile::tempdir().unwrap();
    outcome.write(dir.path()).unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(json["set"], "stress");
    assert_eq!(json["unconditional"]["set"], "unconditional");
    let (h_s, _) = read_csv(&dir.path().join(SCENARIOS_CSV));
    let (h_u, rows_u) = read_csv(&dir.path().join(SCENARIOS_UNCONDITIONAL_CSV));
    assert_eq!(h_s, h_u, "the same columns");
    assert_eq!(rows_u.len() as u64, SCENARIOS);
    let calm_rows = rows_u.iter().filter(|r| r[2] == "calm").count() as f64;
    assert_eq!(calm_rows / SCENARIOS as f64, calm);
    for (file, h) in [
        (SCENARIOS_CSV, &json["headline"]),
        (
            SCENARIOS_UNCONDITIONAL_CSV,
            &json["unconditional"]["headline"],
        ),
    ] {
        let (survival, gate, shortfall, cost) = recomputed(&dir.path().join(file));
        let close = |a: f64, key: &str| {
            let b = h[key].as_f64().unwrap();
            assert!(
                (a - b).abs() <= 1e-9 * (1.0 + b.abs()),
                "{file} {key}: {a} against {b}"
            );
        };
        close(survival, "survival");
        close(gate, "gate_frequency");
        close(shortfall, "shortfall_frequency");
        close(cost, "mean_cost_bps");
    }
    let manifest = std::fs::read_to_string(dir.path().join("manifest.json")).unwrap();
    assert!(manifest.contains(SCENARIOS_UNCONDITIONAL_CSV));
}

#[test]
fn without_the_unconditional_set_nothing_of_it_is_written() {
    let (outcome, last) = run_of(&example_fund(), &request(50, false));
    assert_eq!(last, 50);
    assert!(outcome.summary.unconditional.is_none());
    assert!(outcome.unconditional_outputs.is_none());
    let dir = tempfile::tempdir().unwrap();
    outcome.write(dir.path()).unwrap();
    assert!(!dir.path().join(SCENARIOS_UNCONDITIONAL_CSV).exists());
    let text = std::fs::read_to_string(dir.path().join("summary.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["set"], "stress");
    assert!(json.get("unconditional").is_none());
}

#[test]
fn a_non_finite_unconditional_record_fails_naming_its_file() {
    let fund = example_fund();
    let (mut outcome, _) = run_of(&fund, &request(20, true));
    outcome.unconditional_outputs.as_mut().unwrap()[3].nav_end = f32::NAN;
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let e = outcome.write(&out).unwrap_err();
    assert!(!e.is_bad_input());
    let msg = std::error::Error::source(&e)
        .map(|s| s.to_string())
        .unwrap_or_default();
    assert!(
        msg.contains("scenarios_unconditional.csv: scenario 3, nav_end"),
        "{msg}"
    );
    assert!(!out.exists(), "nothing written");
}

fn sens_request(ranges: &[&str], factors: &[f64]) -> SensitivityRequest {
    SensitivityRequest {
        scenarios: 300,
        seed: 7,
        ranges: ranges.iter().map(|s| s.to_string()).collect(),
        factors: factors.to_vec(),
    }
}

#[test]
fn the_sensitivity_base_is_a_plain_run_and_factor_one_reproduces_it() {
    let fund = example_fund();
    let backend = cpu_backend(Some(2), DEFAULT_CHUNK).unwrap();
    let req = sens_request(&["market.depth_cut", "redemption.large_mult"], &[1.0, 1.5]);
    let mut calls = Vec::new();
    let out = sensitivity(&fund, &req, &backend, |done, total| {
        calls.push((done, total))
    })
    .unwrap();
    assert_eq!(calls.last(), Some(&(5, 5)));
    assert_eq!(out.rows.len(), 4);

    // The base row is a plain run's numbers (same seed and scenarios).
    let (plain, _) = run_of(&fund, &request(300, false));
    let h = &plain.summary.headline;
    let lar = |days: u32| {
        plain
            .summary
            .aggregate
            .liquidity_at_risk
            .iter()
            .find(|r| r.horizon_days == days)
            .unwrap()
            .lar[1]
    };
    let expected = Metrics {
        coverage: h.coverage,
        gate_frequency: h.gate_frequency,
        shortfall_frequency: h.shortfall_frequency,
        mean_cost_bps: h.mean_cost_bps,
        mean_mtm_loss_bps: plain
            .summary
            .aggregate
            .fields
            .iter()
            .find(|f| f.field == "mtm_loss")
            .unwrap()
            .mean
            * 1e4,
        lar_30d_95: lar(30),
        lar_90d_95: lar(90),
    };
    compare(&out.base, &expected, 1e-9).unwrap();

    // Factor 1 leaves the range as it is: the same numbers exactly.
    for r in out.rows.iter().filter(|r| r.factor == 1.0) {
        compare(&r.metrics, &out.base, 0.0).unwrap_or_else(|e| panic!("{}: {e}", r.range));
    }
    // Widening the large investors' multiplier moves the outflows.
    let wide = out
        .rows
        .iter()
        .find(|r| r.range == "redemption.large_mult" && r.factor == 1.5)
        .unwrap();
    assert!(compare(&wide.metrics, &out.base, 0.0).is_err());

    // The comparator sees a corrupted row: one scenario's worth of coverage.
    let mut bad = out.base;
    bad.coverage += 1.0 / 300.0;
    let e = compare(&bad, &out.base, 1e-9).unwrap_err();
    assert!(e.starts_with("coverage"), "{e}");
    let mut bad = out.base;
    bad.lar_90d_95 = f64::NAN;
    assert!(compare(&bad, &out.base, 1e-9).is_err());

    // Written atomically and self-consistent; a corrupted delta is found.
    let dir = tempfile::tempdir().unwrap();
    out.write(dir.path()).unwrap();
    let text = std::fs::read_to_string(dir.path().join(SENSITIVITY_CSV)).unwrap();
    check_csv(&text, 1e-12).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    assert!(lines[1].starts_with(&format!("{BASE},1,")));
    assert_eq!(lines.len(), 1 + 1 + 4);
    let mut cells: Vec<String> = lines[3].split(',').map(String::from).collect();
    let v: f64 = cells[2].parse().unwrap();
    cells[2] = (v + 0.01).to_string();
    lines[3] = cells.join(",");
    let e = check_csv(&lines.join("\n"), 1e-12).unwrap_err();
    assert!(e.contains("line 4") && e.contains("delta_coverage"), "{e}");
}

#[test]
fn bad_sensitivity_input_is_refused_before_anything_runs() {
    let fund = example_fund();
    let backend = cpu_backend(Some(1), DEFAULT_CHUNK).unwrap();
    for (req, needle) in [
        (
            sens_request(&["market.nope"], &[0.5]),
            "flag --range: market.nope",
        ),
        (
            sens_request(&["market.depth_cut"], &[-1.0]),
            "flag --factors: -1",
        ),
        (
            sens_request(&["market.depth_cut"], &[f64::NAN]),
            "flag --factors: NaN",
        ),
        (sens_request(&[], &[]), "flag --factors"),
        (
            SensitivityRequest {
                scenarios: 0,
                ..sens_request(&[], &[0.5])
            },
            "flag --scenarios",
        ),
    ] {
        let e = sensitivity(&fund, &req, &backend, |_, _| panic!("ran")).unwrap_err();
        assert!(e.is_bad_input(), "{e}");
        assert!(e.to_string().contains(needle), "{e}");
    }
}

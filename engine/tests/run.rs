//! The run as a library: fund overrides checked by the fund file's rules, the summary assembled
//! from the sweep, and the outputs written all at once or not at all.

use std::collections::BTreeMap;
use std::path::Path;

use undertow_engine::fund::FundOverrides;
use undertow_engine::run::{check_scenarios, check_threads};
use undertow_engine::{run, AnalysisSettings, EngineError, RunOutcome, RunRequest};
use undertow_host::backend::cpu_backend;
use undertow_host::cpu::DEFAULT_CHUNK;
use undertow_host::fund::{example_fund, Fund, MAX_HORIZON_DAYS};
use undertow_kernel::strategy;

fn bad_input(r: Result<Fund, EngineError>) -> String {
    match r {
        Err(e) => {
            assert!(e.is_bad_input(), "{e}");
            e.to_string()
        }
        Ok(_) => panic!("accepted"),
    }
}

fn horizon(h: u32) -> FundOverrides {
    FundOverrides {
        horizon: Some(h),
        strategy: None,
    }
}

#[test]
fn overrides_are_checked_by_the_fund_files_rules_and_name_the_flag() {
    let fund = example_fund();
    for h in [0, MAX_HORIZON_DAYS + 1] {
        let msg = bad_input(horizon(h).apply(fund.clone()));
        assert_eq!(
            msg,
            format!("flag --horizon: {h}: must be between 1 and {MAX_HORIZON_DAYS} days")
        );
    }
    // Not longer than the longest settlement lag: refused on the position's own field.
    let lag = fund.model.positions.iter().map(|p| p.lag).max().unwrap();
    let msg = bad_input(horizon(lag).apply(fund.clone()));
    assert!(
        msg.starts_with(&format!("flag --horizon: {lag}: ")),
        "{msg}"
    );
    assert!(
        msg.contains(&format!(
            "settlement_days (id \"ALT_PE\") = {lag}: settlement must be shorter than the horizon"
        )),
        "{msg}"
    );

    let msg = bad_input(
        FundOverrides {
            horizon: None,
            strategy: Some("fastest".into()),
        }
        .apply(fund.clone()),
    );
    assert_eq!(
        msg,
        "flag --strategy: unknown strategy `fastest` (expected one of waterfall, pro_rata, \
         min_cost, balanced)"
    );

    // Accepted overrides change only what they name.
    let longest = horizon(MAX_HORIZON_DAYS).apply(fund.clone()).unwrap();
    assert_eq!(longest.model.params.horizon, MAX_HORIZON_DAYS);
    assert_eq!(longest.spec.fund.horizon_days, MAX_HORIZON_DAYS);
    let both = FundOverrides {
        horizon: Some(120),
        strategy: Some("min_cost".into()),
    }
    .apply(fund.clone())
    .unwrap();
    let mut expected = fund.model.clone();
    expected.params.horizon = 120;
    expected.params.strategy = strategy::MIN_COST;
    assert_eq!(format!("{:?}", both.model), format!("{expected:?}"));
    let none = FundOverrides::default().apply(fund.clone()).unwrap();
    assert_eq!(format!("{:?}", none.model), format!("{:?}", fund.model));
}

#[test]
fn request_checks_name_the_flag() {
    let e = check_scenarios(0).unwrap_err();
    assert!(e.is_bad_input());
    assert_eq!(
        e.to_string(),
        "flag --scenarios: 0 is outside 1..=4294967295"
    );
    assert!(check_scenarios(u32::MAX as u64 + 1).is_err());
    assert!(check_scenarios(1).is_ok());
    let e = check_threads(Some(0)).unwrap_err();
    assert_eq!(e.to_string(), "flag --threads: 0 is outside 1..=4096");
    assert!(check_threads(Some(4097)).is_err());
    assert!(check_threads(Some(usize::MAX)).is_err());
    assert!(check_threads(Some(4096)).is_ok());
    assert!(check_threads(None).is_ok());
    let request = RunRequest {
        scenarios: 10,
        seed: 1,
        paths: 0,
        threads: Some(1),
        unconditional: false,
        analysis: Some(AnalysisSettings {
            target: 1.5,
            ..AnalysisSettings::default()
        }),
        stage_reruns: undertow_engine::StageReruns::Cpu,
    };
    let e = request.check(&example_fund()).unwrap_err();
    assert!(e.is_bad_input());
    assert!(e.to_string().starts_with("flag --target: 1.5"), "{e}");
}

/// A small run of the example, with every analysis stage.
fn small_run() -> RunOutcome {
    let request = RunRequest {
        scenarios: 200,
        seed: 3,
        paths: 5,
        threads: Some(1),
        unconditional: false,
        analysis: Some(AnalysisSettings {
            stage_scenarios: Some(40),
            reverse_stress_per_point: 4,
            attribution_scenarios: 40,
            ..AnalysisSettings::default()
        }),
        stage_reruns: undertow_engine::StageReruns::Cpu,
    };
    let backend = cpu_backend(Some(1), DEFAULT_CHUNK).unwrap();
    let mut last = 0;
    let outcome = run(&example_fund(), &request, &backend, |done| last = done).unwrap();
    assert_eq!(last, 200, "progress reaches the scenario count");
    outcome
}

/// Every file of a folder, by name, with its bytes.
fn contents(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            (name, std::fs::read(e.path()).unwrap())
        })
        .collect()
}

#[test]
fn a_run_is_summarised_and_written_all_at_once_or_not_at_all() {
    let mut outcome = small_run();
    let fund = &outcome.fund;

    // The summary, assembled in the engine: headline money is fractions of NAV times AUM.
    let s = &outcome.summary;
    assert_eq!(s.run.scenarios, 200);
    assert_eq!(s.run.seed, 3);
    assert_eq!(s.run.threads, 1);
    assert_eq!(outcome.outputs.len(), 200);
    assert_eq!(s.fund.aum, fund.aum);
    assert_eq!(s.fund.positions, fund.model.positions.len());
    assert_eq!(s.headline.mean_cost_bps, s.aggregate.mean_cost * 1e4);
    assert_eq!(s.headline.cost_p99_bps, s.aggregate.cost_p99 * 1e4);
    assert_eq!(s.headline.coverage, s.aggregate.coverage);
    let lar = &s.aggregate.liquidity_at_risk;
    assert!(!lar.is_empty());
    assert_eq!(lar.len(), s.headline.liquidity_at_risk_currency.len());
    for (row, (days, money)) in lar.iter().zip(&s.headline.liquidity_at_risk_currency) {
        assert_eq!(row.horizon_days, *days);
        for (m, fraction) in money.iter().zip(row.lar) {
            assert_eq!(*m, fraction * fund.aum);
        }
    }
    assert!(s.analysis.is_some());

    // Written: every table, the summary, the records and the report; no temporaries.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    outcome.write(&out).unwrap();
    let first = contents(&out);
    let tables = outcome.tables();
    assert!(tables.len() > 10, "{} tables", tables.len());
    for name in [
        "summary.json",
        "scenarios.csv",
        "report.html",
        "manifest.json",
    ]
    .into_iter()
    .chain(tables.iter().map(|t| t.file))
    {
        assert!(first.contains_key(name), "{name} missing");
    }
    assert_eq!(first.len(), tables.len() + 4, "{:?}", first.keys());
    // The manifest lists every other file with the SHA-256 of its bytes.
    let manifest: serde_json::Value = serde_json::from_slice(&first["manifest.json"]).unwrap();
    let listed = manifest["files"].as_object().unwrap();
    assert_eq!(listed.len(), first.len() - 1);
    for (name, hash) in listed {
        assert_eq!(
            hash.as_str().unwrap(),
            undertow_engine::manifest::sha256(&first[name.as_str()])
        );
    }
    let csv = String::from_utf8(first["scenarios.csv"].clone()).unwrap();
    assert_eq!(csv.lines().count(), 201);

    // A summary the report cannot render: nothing is written, the earlier run stays as it was,
    // and a new folder is not left behind.
    outcome.summary.schema_version = 99;
    outcome.summary.run.seed = 4;
    let e = outcome.write(&out).unwrap_err();
    assert!(!e.is_bad_input(), "{e}");
    assert!(e.to_string().contains("rendering report.html"), "{e}");
    assert_eq!(contents(&out), first, "the earlier outputs changed");
    let fresh = dir.path().join("fresh");
    assert!(outcome.write(&fresh).is_err());
    assert!(!fresh.exists(), "a failed write left its folder");
}

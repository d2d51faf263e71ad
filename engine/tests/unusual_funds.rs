//! The analysis on unusual funds: a stage that cannot apply says so, and the run goes on.

use std::path::Path;

use undertow_engine::{run, AnalysisSettings, EngineError, RunOutcome, RunRequest};
use undertow_host::backend::cpu_backend;
use undertow_host::fund::{build_fund, example_fund, Fund};

fn analyse(fund: &Fund) -> Result<RunOutcome, EngineError> {
    let request = RunRequest {
        scenarios: 60,
        seed: 5,
        paths: 2,
        threads: Some(1),
        unconditional: false,
        analysis: Some(AnalysisSettings {
            stage_scenarios: Some(30),
            reverse_stress_per_point: 2,
            attribution_scenarios: 20,
            ..AnalysisSettings::default()
        }),
        stage_reruns: undertow_engine::StageReruns::Cpu,
    };
    let backend = cpu_backend(Some(1), 64).unwrap();
    run(fund, &request, &backend, |_| {})
}

fn all_cash() -> Fund {
    let mut spec = example_fund().spec;
    for p in &mut spec.positions {
        p.weight = 0.0;
    }
    spec.fund.cash = 1.0;
    build_fund(spec, "cash.toml", Path::new("")).expect("a fund of 100% cash is valid")
}

/// The example reshaped for a one-day horizon: everything settles the same day.
fn one_day() -> Fund {
    let mut spec = example_fund().spec;
    spec.fund.horizon_days = 1;
    spec.fund.redemption_settlement_days = 0;
    spec.fund.notice_days = 0;
    spec.policy.gates.min_days = 1;
    for p in &mut spec.positions {
        p.settlement_days = 0;
    }
    for s in &mut spec.segments {
        s.notice_days = 0;
    }
    for l in &mut spec.large_investors {
        l.notice_days = 0;
    }
    build_fund(spec, "one_day.toml", Path::new("")).unwrap_or_else(|e| panic!("{e}"))
}

/// Runs the analysis, writes the outputs, and returns the stage-3 findings' texts.
fn analysed_and_written(fund: &Fund) -> (RunOutcome, Vec<String>) {
    let outcome =
        analyse(fund).unwrap_or_else(|e| panic!("{e}: {:?}", std::error::Error::source(&e)));
    let dir = tempfile::tempdir().unwrap();
    outcome
        .write(dir.path())
        .unwrap_or_else(|e| panic!("{e}: {:?}", std::error::Error::source(&e)));
    assert!(dir.path().join("report.html").exists());
    let findings = outcome
        .summary
        .analysis
        .as_ref()
        .expect("the analysis ran")
        .findings
        .iter()
        .map(|f| f.text.clone())
        .collect();
    (outcome, findings)
}

#[test]
fn a_fund_of_only_cash_skips_the_buffer_search_and_says_so() {
    let (outcome, findings) = analysed_and_written(&all_cash());
    let a = outcome.summary.analysis.as_ref().unwrap();
    let search = &a.portfolio_liquidity.as_ref().unwrap().buffer;
    assert_eq!(
        search.not_applicable.as_deref(),
        Some("not applicable: the fund holds only cash")
    );
    assert!(search.results.is_empty());
    assert!(
        findings
            .iter()
            .any(|f| f == "Buffer search not applicable: the fund holds only cash."),
        "{findings:?}"
    );
}

#[test]
fn a_one_day_horizon_skips_the_buffer_search_and_names_nothing_the_user_did_not_write() {
    let fund = one_day();
    let (outcome, findings) = analysed_and_written(&fund);
    let a = outcome.summary.analysis.as_ref().unwrap();
    let search = &a.portfolio_liquidity.as_ref().unwrap().buffer;
    let why = search.not_applicable.as_deref().expect("skipped");
    assert_eq!(
        why,
        "not applicable: the buffer instruments settle in 1 day, not within the fund's horizon of 1 day"
    );
    // The buffer instruments' ids are the search's own (echoed with its settings), never in a
    // sentence.
    assert!(
        findings.iter().all(|f| !f.contains("BUFFER_")),
        "{findings:?}"
    );
    assert!(findings.iter().any(|f| f.contains(why)), "{findings:?}");
}

//! Known-answer tests: flow histories generated from the model itself with known parameters
//! (calibrate/src/flows/synth.rs). The fit must recover each parameter within three standard
//! errors, with standard errors that are not absurdly wide; the backtest must pass on a history
//! from the same parameters and reject one generated with doubled stress sensitivities. Each
//! comparator is also fed a corrupted result and must fail.

use chrono::NaiveDate;
use undertow_calibrate::flows::backtest::{backtest, BacktestOptions, BacktestReport};
use undertow_calibrate::flows::fit::{fit_flows, Estimate, FitOptions};
use undertow_calibrate::flows::synth::{
    business_days, synthesize, synthetic_stress_path, SynthOptions,
};
use undertow_host::fund::example_spec;
use undertow_host::fund::spec::FundFile;

fn dates() -> Vec<NaiveDate> {
    business_days(
        NaiveDate::from_ymd_opt(2018, 1, 2).unwrap(),
        NaiveDate::from_ymd_opt(2023, 12, 29).unwrap(),
    )
}

/// The recovery check: within `k` standard errors of the truth, with a standard error below
/// `max_rel` of the true value.
fn recovered(e: &Estimate, truth: f64, k: f64, max_rel: f64) -> Result<(), String> {
    let se =
        e.se.ok_or_else(|| format!("{}: no standard error", e.field))?;
    if se.is_nan() || se <= 0.0 {
        return Err(format!("{}: SE {se} not positive", e.field));
    }
    if (e.estimate - truth).abs() > k * se {
        return Err(format!(
            "{}: estimate {:.4e} is {:.1} SE from the true {truth:.4e}",
            e.field,
            e.estimate,
            (e.estimate - truth) / se
        ));
    }
    if se > max_rel * truth.abs() {
        return Err(format!(
            "{}: SE {se:.3e} wider than {max_rel} of the true {truth:.3e}",
            e.field
        ));
    }
    Ok(())
}

fn segment_truth(f: &FundFile, name: &str, field: &str) -> f64 {
    let s = f.segments.iter().find(|s| s.name == name).unwrap();
    match field {
        "base_rate" => s.base_rate,
        "beta_perf" => s.beta_perf,
        "beta_herd" => s.beta_herd,
        "beta_stress" => s.beta_stress,
        "flow_vol" => s.flow_vol,
        "beta_liq" => s.beta_liq,
        other => panic!("unexpected field {other}"),
    }
}

#[test]
fn the_segment_fit_recovers_the_example_funds_parameters() {
    let fund = example_spec();
    let d = dates();
    let g = synthetic_stress_path(&d, 7);
    let h = synthesize(&fund, &d, &g, &SynthOptions::new(11));
    let fit = fit_flows(&h, &fund, Some(&g), &FitOptions::default()).unwrap();
    assert_eq!(fit.segments.len(), fund.segments.len());
    let mut checked = 0;
    for s in &fit.segments {
        for e in s.estimates.iter().filter(|e| e.is_fitted()) {
            let truth = segment_truth(&fund, &s.name, &e.field);
            // Rates and noise are pinned down tightly; the sensitivities by the stress episodes.
            let max_rel = if e.field == "base_rate" || e.field == "flow_vol" {
                0.05
            } else {
                0.5
            };
            recovered(e, truth, 3.0, max_rel).unwrap_or_else(|m| panic!("{}: {m}", s.name));
            checked += 1;
        }
        let liq = s.get("beta_liq").unwrap();
        assert!(!liq.is_fitted() && liq.value == segment_truth(&fund, &s.name, "beta_liq"));
    }
    assert_eq!(checked, 6 * 5, "five fitted values per segment");
}

#[test]
fn the_recovery_check_fails_on_a_fit_off_by_five_standard_errors() {
    let e = Estimate::fitted("beta_stress", 0.0012 + 5.0 * 1e-4, 1e-4, 1000, "test");
    assert!(recovered(&e, 0.0012, 3.0, 0.5).is_err());
    let e = Estimate::fitted("beta_stress", 0.0012 + 2.0 * 1e-4, 1e-4, 1000, "test");
    assert!(recovered(&e, 0.0012, 3.0, 0.5).is_ok());
    // An absurdly wide standard error fails too, however close the estimate.
    let e = Estimate::fitted("beta_stress", 0.0012, 0.01, 1000, "test");
    assert!(recovered(&e, 0.0012, 3.0, 0.5).is_err());
}

#[test]
fn without_a_market_file_stress_terms_are_kept_not_fitted() {
    let fund = example_spec();
    let d = dates();
    let g = vec![0.0; d.len()];
    let h = synthesize(&fund, &d[..400], &g[..400], &SynthOptions::new(3));
    let fit = fit_flows(&h, &fund, None, &FitOptions::default()).unwrap();
    for s in &fit.segments {
        let e = s.get("beta_stress").unwrap();
        assert_eq!(e.status, "kept");
        assert!(s.get("base_rate").unwrap().is_fitted());
    }
    assert!(fit.notes.iter().any(|n| n.contains("no market file")));
}

/// A fund whose large holders redeem often enough to be fitted: every holder with hazard 0.004,
/// stress sensitivity 0.02 and fraction 0.3 (the same intensity, so pooling is exact).
fn busy_large_holders() -> FundFile {
    let mut f = example_spec();
    for l in &mut f.large_investors {
        l.hazard = 0.004;
        l.beta_stress = 0.02;
        l.beta_perf = 0.0;
        l.beta_herd = 0.0;
        l.beta_liq = 0.0;
        l.fraction = 0.3;
    }
    f
}

#[test]
fn the_hazard_fit_recovers_large_holders_rates_and_shrinks_toward_the_pool() {
    let fund = busy_large_holders();
    let d = dates();
    let g = synthetic_stress_path(&d, 7);
    let h = synthesize(&fund, &d, &g, &SynthOptions::new(5));
    let fit = fit_flows(&h, &fund, Some(&g), &FitOptions::default()).unwrap();
    let l = &fit.large;
    assert!(l.events > 50, "{} events", l.events);
    recovered(l.pooled_hazard.as_ref().unwrap(), 0.004, 3.0, 0.2).unwrap();
    recovered(l.pooled_beta_stress.as_ref().unwrap(), 0.02, 3.0, 0.5).unwrap();
    // Every event redeems exactly the fraction: its mean is exact.
    assert!((l.pooled_fraction.as_ref().unwrap().estimate - 0.3).abs() < 1e-9);
    for x in &l.holders {
        let hz = x.get("hazard").unwrap();
        recovered(hz, 0.004, 3.0, 0.5).unwrap_or_else(|m| panic!("{}: {m}", x.name));
        assert!((0.0..=1.0).contains(&x.shrinkage_weight));
    }
    // Shrinkage: each holder's relative rate lies between the pool's (1) and its own n_i / E_i,
    // at the weight reported.
    for x in &l.holders {
        let own = x.events as f64 / x.expected_events;
        let w = x.shrinkage_weight;
        assert!(
            (x.relative_rate - (w * own + (1.0 - w))).abs() < 1e-9,
            "{}: r {} own {own} w {w}",
            x.name,
            x.relative_rate
        );
    }
}

fn bt(h: &undertow_calibrate::flows::FlowHistory, f: &FundFile, g: &[f64]) -> BacktestReport {
    let o = BacktestOptions {
        draws: 1000,
        seed: 9,
        ..BacktestOptions::default()
    };
    backtest(h, f, Some(g), &o)
}

#[test]
fn the_backtest_passes_on_the_model_and_rejects_doubled_stress_sensitivity() {
    let fund = example_spec();
    let d = dates();
    let g = synthetic_stress_path(&d, 7);
    let o = SynthOptions::new(11);
    let h = synthesize(&fund, &d, &g, &o);
    let r = bt(&h, &fund, &g);
    let one = &r.horizons[0];
    assert_eq!(one.horizon_days, 1);
    let l95 = &one.levels[0];
    assert!(
        l95.kupiec.p_value > 0.05 && l95.christoffersen.p_value > 0.05,
        "same parameters: {:?}",
        l95
    );
    assert!(r.passed, "{}", r.verdict);
    assert_eq!(r.verdict, "not rejected");

    let mut doubled = fund.clone();
    for s in &mut doubled.segments {
        s.beta_stress *= 2.0;
    }
    for l in &mut doubled.large_investors {
        l.beta_stress *= 2.0;
    }
    let h2 = synthesize(&doubled, &d, &g, &o);
    let r2 = bt(&h2, &fund, &g);
    assert!(!r2.passed, "doubled stress sensitivity was not rejected");
    assert_eq!(r2.verdict, "rejected");
    let l95 = &r2.horizons[0].levels[0];
    assert!(l95.kupiec.p_value < 0.01, "{:?}", l95);
    assert!(l95.exceedances as f64 > 1.5 * l95.expected);
}

//! Known-answer tests: histories generated from the model with known parameters.

use chrono::NaiveDate;
use undertow_calibrate::flows::backtest::{backtest, BacktestOptions};
use undertow_calibrate::flows::fit::{fit_flows, FitOptions};
use undertow_calibrate::flows::synth::{business_days, synthesize, synthetic_stress_path, SynthOptions};
use undertow_host::fund::example_spec;

fn dates() -> Vec<NaiveDate> {
    business_days(
        NaiveDate::from_ymd_opt(2018, 1, 2).unwrap(),
        NaiveDate::from_ymd_opt(2023, 12, 29).unwrap(),
    )
}

#[test]
fn explore() {
    let fund = example_spec();
    let d = dates();
    let g = synthetic_stress_path(&d, 7);
    let h = synthesize(&fund, &d, &g, &SynthOptions::new(11));
    let fit = fit_flows(&h, &fund, Some(&g), &FitOptions::default()).unwrap();
    for s in &fit.segments {
        let spec = fund.segments.iter().find(|x| x.name == s.name).unwrap();
        for e in &s.estimates {
            let tv = match e.field.as_str() { "base_rate" => spec.base_rate, "beta_perf" => spec.beta_perf, "beta_herd" => spec.beta_herd, "beta_stress" => spec.beta_stress, "flow_vol" => spec.flow_vol, _ => spec.beta_liq };
            println!("{:14} {:12} true {:.3e} est {:.3e} se {:?} z {:.2}", s.name, e.field, tv, e.estimate, e.se, (e.estimate - tv) / e.se.unwrap_or(f64::NAN));
        }
    }
    println!("large events {} stress {} alpha^-1 {}", fit.large.events, fit.large.stress_events, fit.large.inverse_alpha);
    println!("{:?} {:?}", fit.large.pooled_hazard, fit.large.pooled_beta_stress);
    let t = std::time::Instant::now();
    let bt = backtest(&h, &fund, Some(&g), &BacktestOptions::default());
    for r in &bt.horizons { println!("H{} n {} {:?} pass {}", r.horizon_days, r.windows, r.levels.iter().map(|l| (l.exceedances, l.kupiec.p_value, l.christoffersen.p_value)).collect::<Vec<_>>(), r.passed); }
    println!("bt {:?} {}", t.elapsed(), bt.verdict);
    let mut f2 = fund.clone();
    for s in &mut f2.segments { s.beta_stress *= 2.0; }
    for s in &mut f2.large_investors { s.beta_stress *= 2.0; }
    let h2 = synthesize(&f2, &d, &g, &SynthOptions::new(11));
    let bt = backtest(&h2, &fund, Some(&g), &BacktestOptions::default());
    for r in &bt.horizons { println!("H{} n {} {:?} pass {}", r.horizon_days, r.windows, r.levels.iter().map(|l| (l.exceedances, l.kupiec.p_value, l.christoffersen.p_value)).collect::<Vec<_>>(), r.passed); }
    println!("{}", bt.verdict);
}

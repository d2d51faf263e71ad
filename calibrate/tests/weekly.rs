//! Weekly flow histories (docs/calibration.md "Weekly histories"): a daily synthetic history of
//! known parameters, aggregated to weekly rows here (dated on each week's last business day,
//! shares at the week's start, subscriptions and redemptions summed, the composite averaged as
//! `composite_on` does for weekly dates), is fitted by the weekly estimator. It must recover the
//! segments' base rates and stress sensitivities within three standard errors; herding and the
//! flow noise must come out with standard errors wider than the daily fit's (the base rate's and
//! the stress sensitivity's are of the same order as the daily ones, not reliably wider: the
//! composite moves slowly, so weekly sums lose little of it); the same rows fitted as if each were
//! one day must fail. The large holders' Poisson fit with 5 days of exposure per row recovers the
//! hazard; the weekly composite is checked on a closed form.

use chrono::{Datelike, NaiveDate};
use undertow_calibrate::flows::backtest::{backtest, BacktestOptions};
use undertow_calibrate::flows::fit::{fit_flows, Estimate, FitOptions, FlowFit};
use undertow_calibrate::flows::history::{parse_flows_csv, row_days, Frequency};
use undertow_calibrate::flows::synth::{
    business_days, synthesize, synthetic_stress_path, SynthOptions,
};
use undertow_calibrate::flows::FlowHistory;
use undertow_host::fund::example_spec;
use undertow_host::fund::spec::FundFile;

/// 2018-01-01 (a Monday) to 2023-12-29 (a Friday): whole weeks.
fn dates() -> Vec<NaiveDate> {
    business_days(
        NaiveDate::from_ymd_opt(2018, 1, 1).unwrap(),
        NaiveDate::from_ymd_opt(2023, 12, 29).unwrap(),
    )
}

/// The daily history `h` (composite `g`) as weekly rows, and the weekly composite: each row's
/// value the mean of the daily `g(t−1)` over its days.
fn to_weekly(h: &FlowHistory, g: &[f64]) -> (FlowHistory, Vec<f64>) {
    let mut weeks: Vec<Vec<usize>> = Vec::new();
    for (t, d) in h.dates.iter().enumerate() {
        let wk = d.iso_week();
        match weeks.last_mut() {
            Some(w) if h.dates[w[0]].iso_week() == wk => w.push(t),
            _ => weeks.push(vec![t]),
        }
    }
    let dates: Vec<NaiveDate> = weeks.iter().map(|w| h.dates[*w.last().unwrap()]).collect();
    let holders = h
        .holders
        .iter()
        .map(|s| {
            let mut o = s.clone();
            o.shares = weeks.iter().map(|w| s.shares[w[0]]).collect();
            o.subscriptions = weeks
                .iter()
                .map(|w| w.iter().map(|&t| s.subscriptions[t]).sum())
                .collect();
            o.redemptions = weeks
                .iter()
                .map(|w| w.iter().map(|&t| s.redemptions[t]).sum())
                .collect();
            o
        })
        .collect();
    let nav = h
        .nav
        .as_ref()
        .map(|n| weeks.iter().map(|w| n[*w.last().unwrap()]).collect());
    let gw = weeks
        .iter()
        .map(|w| w.iter().map(|&t| g[t.saturating_sub(1)]).sum::<f64>() / w.len() as f64)
        .collect();
    let days = row_days(&dates, Frequency::Weekly);
    (
        FlowHistory {
            file: "weekly (test)".into(),
            dates,
            holders,
            nav,
            frequency: Frequency::Weekly,
            days,
        },
        gw,
    )
}

/// Within `k` standard errors of the truth, with a positive standard error.
fn within(e: &Estimate, truth: f64, k: f64) -> Result<(), String> {
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
    Ok(())
}

fn truth(f: &FundFile, seg: &str, field: &str) -> f64 {
    let s = f.segments.iter().find(|s| s.name == seg).unwrap();
    match field {
        "base_rate" => s.base_rate,
        "beta_stress" => s.beta_stress,
        other => panic!("unexpected field {other}"),
    }
}

/// The weekly SE over the daily one lies in `(lo, hi]`.
fn wider(weekly: f64, daily: f64, lo: f64, hi: f64) -> Result<(), String> {
    let r = weekly / daily;
    if r > lo && r <= hi {
        Ok(())
    } else {
        Err(format!(
            "weekly SE {weekly:.3e} is {r:.2} times the daily {daily:.3e}, outside ({lo}, {hi}]"
        ))
    }
}

/// Every segment's base rate and stress sensitivity within 3 SE of the truth.
fn recovers(fit: &FlowFit, fund: &FundFile) -> Result<(), String> {
    for s in &fit.segments {
        for field in ["base_rate", "beta_stress"] {
            within(s.get(field).unwrap(), truth(fund, &s.name, field), 3.0)
                .map_err(|m| format!("{}: {m}", s.name))?;
        }
    }
    Ok(())
}

struct Case {
    fund: FundFile,
    daily: FlowHistory,
    g: Vec<f64>,
    weekly: FlowHistory,
    gw: Vec<f64>,
}

fn case() -> Case {
    let fund = example_spec();
    let d = dates();
    let g = synthetic_stress_path(&d, 7);
    let daily = synthesize(&fund, &d, &g, &SynthOptions::new(11));
    let (weekly, gw) = to_weekly(&daily, &g);
    Case {
        fund,
        daily,
        g,
        weekly,
        gw,
    }
}

#[test]
fn the_weekly_fit_recovers_base_rates_and_stress_sensitivities_and_loses_precision_on_herding() {
    let c = case();
    assert!(c.weekly.days.iter().all(|d| *d == 5));
    let o = FitOptions::default();
    let fw = fit_flows(&c.weekly, &c.fund, Some(&c.gw), &o).unwrap();
    assert_eq!(fw.frequency, Frequency::Weekly);
    recovers(&fw, &c.fund).unwrap();
    let fd = fit_flows(&c.daily, &c.fund, Some(&c.g), &o).unwrap();
    for w in &fw.segments {
        let se = |f: &FlowFit, field: &str| -> f64 {
            let s = f.segments.iter().find(|s| s.name == w.name).unwrap();
            s.get(field).unwrap().se.unwrap()
        };
        // Herding (its within-week variation is lost) and the noise (a fifth of the
        // observations) are estimated less precisely from weekly rows.
        for field in ["beta_herd", "flow_vol"] {
            wider(se(&fw, field), se(&fd, field), 1.0, 10.0)
                .map_err(|m| format!("{} {field}: {m}", w.name))
                .unwrap();
        }
        // The base rate and the stress sensitivity lose little: the composite moves slowly, so
        // its weekly sums keep most of its variation; their Newey-West SEs are estimates of the
        // same order as the daily ones, not reliably larger (docs/calibration.md).
        for field in ["base_rate", "beta_stress"] {
            wider(se(&fw, field), se(&fd, field), 0.5, 3.0)
                .map_err(|m| format!("{} {field}: {m}", w.name))
                .unwrap();
        }
        // flow_vol is per day: the weekly residuals over √5 estimate it.
        let fv = w.get("flow_vol").unwrap();
        let t = c
            .fund
            .segments
            .iter()
            .find(|s| s.name == w.name)
            .unwrap()
            .flow_vol;
        assert!(
            (fv.estimate / t - 1.0).abs() < 0.25,
            "{}: weekly flow_vol {:.3e}, true {t:.3e}",
            w.name,
            fv.estimate
        );
    }
}

#[test]
fn weekly_rows_fitted_as_days_fail_the_recovery_check() {
    let c = case();
    let o = FitOptions::default();
    // Rows treated as days: d forced to 1.
    let mut as_days = c.weekly.clone();
    as_days.days = vec![1; as_days.len()];
    let f = fit_flows(&as_days, &c.fund, Some(&c.gw), &o).unwrap();
    assert!(recovers(&f, &c.fund).is_err(), "rows as days passed");
    // And read as a daily history (the old reader's reading).
    let mut daily = c.weekly.clone();
    daily.days = vec![1; daily.len()];
    daily.frequency = Frequency::Daily;
    let f = fit_flows(&daily, &c.fund, Some(&c.gw), &o).unwrap();
    assert!(
        recovers(&f, &c.fund).is_err(),
        "weekly read as daily passed"
    );
}

#[test]
fn the_recovery_check_fails_on_a_corrupted_estimate() {
    let e = Estimate::fitted("base_rate", 1e-3 + 4.0 * 1e-5, 1e-5, 300, "test");
    assert!(within(&e, 1e-3, 3.0).is_err());
    let e = Estimate::fitted("base_rate", 1e-3 + 2.0 * 1e-5, 1e-5, 300, "test");
    assert!(within(&e, 1e-3, 3.0).is_ok());
    let e = Estimate::fitted("base_rate", 1e-3, 0.0, 300, "test");
    assert!(within(&e, 1e-3, 3.0).is_err());
    // The SE comparison: a weekly SE narrower than the daily one fails "wider".
    assert!(wider(0.9e-5, 1e-5, 1.0, 10.0).is_err());
    assert!(wider(2e-5, 1e-5, 1.0, 10.0).is_ok());
    assert!(wider(2e-4, 1e-5, 1.0, 10.0).is_err());
}

#[test]
fn a_weekly_history_reads_back_and_is_refused_by_the_backtest() {
    let c = case();
    let text = c.weekly.to_csv();
    let back = parse_flows_csv(&text, "weekly.csv", &c.fund).unwrap();
    assert_eq!(back.frequency, Frequency::Weekly);
    assert_eq!(back.days, c.weekly.days);
    let e = backtest(&back, &c.fund, Some(&c.gw), &BacktestOptions::default()).unwrap_err();
    let m = e.to_string();
    assert!(
        m.starts_with("weekly.csv: a weekly history cannot be backtested"),
        "{m}"
    );
}

/// Every large holder with hazard 0.004, stress sensitivity 0.02 and fraction 0.3 (as in
/// known_answer.rs), so that the pooled fit has events to work with.
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
fn the_weekly_hazard_fit_uses_five_days_of_exposure_per_row() {
    let fund = busy_large_holders();
    let d = dates();
    let g = synthetic_stress_path(&d, 7);
    let daily = synthesize(&fund, &d, &g, &SynthOptions::new(5));
    let (weekly, gw) = to_weekly(&daily, &g);
    let o = FitOptions::default();
    let l = fit_flows(&weekly, &fund, Some(&gw), &o).unwrap().large;
    assert!(l.events > 50, "{} events", l.events);
    // Exposure counts business days: 5 per row at risk.
    let rows_at_risk = l.pooled_hazard.as_ref().unwrap().n;
    assert_eq!(l.exposure_days, 5 * rows_at_risk);
    let hz = l.pooled_hazard.as_ref().unwrap();
    let bs = l.pooled_beta_stress.as_ref().unwrap();
    within(hz, 0.004, 3.0).unwrap();
    within(bs, 0.02, 3.0).unwrap();
    // Rows treated as days: the per-row rate is about five times the daily hazard.
    let mut as_days = weekly.clone();
    as_days.days = vec![1; as_days.len()];
    let l = fit_flows(&as_days, &fund, Some(&gw), &o).unwrap().large;
    assert!(within(l.pooled_hazard.as_ref().unwrap(), 0.004, 3.0).is_err());
}

#[test]
fn a_weekly_rows_composite_is_the_mean_of_the_daily_values_before_its_days() {
    use undertow_calibrate::flows::inputs::composite_on;
    use undertow_calibrate::market::StressComposite;
    // Daily composite 0, 1, 2, ... on the business days from Monday 2020-01-06 to 2020-01-24.
    let days = business_days(
        NaiveDate::from_ymd_opt(2020, 1, 6).unwrap(),
        NaiveDate::from_ymd_opt(2020, 1, 24).unwrap(),
    );
    let g: Vec<f64> = (0..days.len()).map(|i| i as f64).collect();
    let comp = StressComposite {
        dates: days.clone(),
        g: g.clone(),
        g_spread: g.clone(),
        g_vol: g.clone(),
    };
    let fri = |d| NaiveDate::from_ymd_opt(2020, 1, d).unwrap();
    // Week 2 (13th-17th, business-day indices 5..=9) reads g(t−1): indices 4..=8, mean 6; week 3
    // indices 9..=13, mean 11. Week 1's Monday has no market day before it: an error.
    let w = composite_on(&[fri(17), fri(24)], &comp, "m.csv");
    // Two dates 7 days apart are weekly.
    let w = w.unwrap();
    assert!(
        (w[0] - 6.0).abs() < 1e-12 && (w[1] - 11.0).abs() < 1e-12,
        "{w:?}"
    );
    assert!(composite_on(&[fri(10), fri(17)], &comp, "m.csv").is_err());
    // Daily dates keep the value on the date itself.
    let d = composite_on(&[fri(16), fri(17)], &comp, "m.csv").unwrap();
    assert_eq!(d, vec![8.0, 9.0]);
}

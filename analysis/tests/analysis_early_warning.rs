//! The early warning's held-out judgement on constructed records: thresholds chosen on the even
//! scenario indices and judged on the odd ones, indicators sharing a series with the event or a
//! gate trigger flagged and never credited, and Wilson intervals against their closed forms.

use undertow_analysis::redemption_policy::config::EarlyWarningConfig;
use undertow_analysis::redemption_policy::early_warning::{
    calibrate, calibrates, findings, shared_series, split, tables, wilson, Z95,
};
use undertow_kernel::{indicator, ScenarioOutput, NEVER, N_INDICATORS};

/// Six events on day 25 (indices 0..6), two calm scenarios (6, 7); breaches set per indicator.
fn records(breach: impl Fn(usize, usize) -> Option<f32>) -> Vec<ScenarioOutput> {
    (0..8)
        .map(|i| {
            let mut o = ScenarioOutput {
                event_day: if i < 6 { 25.0 } else { NEVER },
                first_shortfall_day: NEVER,
                first_gate_day: NEVER,
                ..ScenarioOutput::default()
            };
            o.ew_first_breach = std::array::from_fn(|k| breach(i, k).unwrap_or(NEVER));
            o
        })
        .collect()
}

#[test]
fn wilson_matches_its_closed_forms() {
    let z2 = Z95 * Z95;
    // 0 of n: [0, z²/(n+z²)]; n of n: [n/(n+z²), 1].
    let [lo, hi] = wilson(0, 10, Z95).unwrap();
    assert_eq!(lo, 0.0);
    assert!((hi - z2 / (10.0 + z2)).abs() < 1e-12, "{hi}");
    let [lo, hi] = wilson(10, 10, Z95).unwrap();
    assert!((lo - 10.0 / (10.0 + z2)).abs() < 1e-12, "{lo}");
    assert_eq!(hi, 1.0);
    // Half: symmetric about 1/2; the textbook 5 of 10 interval is [0.2366, 0.7634].
    let [lo, hi] = wilson(5, 10, Z95).unwrap();
    assert!((lo + hi - 1.0).abs() < 1e-12);
    assert!((lo - 0.236_6).abs() < 1e-4, "{lo}");
    // A corrupted count moves the interval off the known answer.
    let [bad, _] = wilson(6, 10, Z95).unwrap();
    assert!((bad - 0.236_6).abs() > 1e-2);
    assert_eq!(wilson(1, 0, Z95), None);
}

#[test]
fn the_split_is_by_index_parity() {
    assert!(calibrates(0) && !calibrates(1) && calibrates(4));
    let (cal, held) = split(&[0, 1, 2, 3, 4]);
    assert_eq!((cal, held), (vec![0, 2, 4], vec![1, 3]));
}

#[test]
fn exactly_the_event_and_gate_series_are_flagged() {
    let flagged: Vec<usize> = (0..N_INDICATORS)
        .filter(|&k| shared_series(k).is_some())
        .collect();
    assert_eq!(
        flagged,
        vec![
            indicator::REQUESTS_5D,
            indicator::REQUESTS_30D,
            indicator::ALR,
            indicator::DRAWDOWN
        ]
    );
}

/// depth_index and requests_30d warn of every event 20 days ahead; spread_index warns only on
/// the calibration half (even indices), so its in-sample lead does not survive held out.
fn constructed() -> undertow_analysis::redemption_policy::early_warning::EarlyWarning {
    let recs = records(|i, k| match k {
        indicator::DEPTH_INDEX | indicator::REQUESTS_30D if i < 6 => Some(5.0),
        indicator::SPREAD_INDEX if i < 6 && i % 2 == 0 => Some(5.0),
        _ => None,
    });
    let mut base = recs.clone();
    // One event falls on the gate's first day and one on the first shortfall day.
    base[0].first_gate_day = 25.0;
    base[1].first_shortfall_day = 25.0;
    let ladder = [[0.1f32; N_INDICATORS], [0.2f32; N_INDICATORS]];
    let reruns = vec![base.clone(), base.clone()];
    let mut enabled = [true; N_INDICATORS];
    enabled[indicator::FUNDING_HEADROOM] = false;
    calibrate(
        &base,
        &ladder[0],
        &ladder,
        &reruns,
        &enabled,
        &EarlyWarningConfig::default(),
    )
}

#[test]
fn the_claim_is_judged_held_out_on_credited_indicators_only() {
    let ew = constructed();
    assert_eq!((ew.calibration_scenarios, ew.held_out_scenarios), (4, 4));
    assert_eq!((ew.calibration_events, ew.held_out_events), (3, 3));
    assert_eq!((ew.events_on_gate_day, ew.events_on_shortfall_day), (1, 1));
    let row = |k: usize| (&ew.rows[k], &ew.verdicts[k]);
    // spread_index: in sample 3 of 3 events 20 days ahead; held out 0 of 3.
    let (r, v) = row(indicator::SPREAD_INDEX);
    assert_eq!(v.in_sample.map(|s| s.hit_rate), Some(1.0));
    assert_eq!(r.best_hit_rate, Some(0.0));
    assert_eq!(r.best_median_lead_days, None);
    let [lo, hi] = v.held_out_hit_rate_ci.unwrap();
    assert_eq!(lo, 0.0);
    assert!((hi - Z95 * Z95 / (3.0 + Z95 * Z95)).abs() < 1e-12);
    // depth_index: 20 days ahead in both halves, credited.
    let (r, v) = row(indicator::DEPTH_INDEX);
    assert!(v.credited);
    assert_eq!(
        (r.best_hit_rate, r.best_median_lead_days),
        (Some(1.0), Some(20.0))
    );
    // requests_30d: the same record, but the gate's trigger series: flagged.
    let (r, v) = row(indicator::REQUESTS_30D);
    assert_eq!(r.best_median_lead_days, Some(20.0));
    assert!(!v.credited);
    let c = &ew.claim;
    assert_eq!(c.credited, 9);
    assert_eq!(c.leading_3w, 1, "depth only");
    assert_eq!(c.in_sample_leading_3w, 2, "depth and spread in sample");
    assert_eq!(c.flagged_leading_3w, 1, "requests_30d");
    assert_eq!(c.max_median_lead_days, Some(20.0));
    assert!(!c.holds);
    // The longest credited lead is depth's, not requests_30d's.
    let l = ew.longest_lead.as_ref().unwrap();
    assert_eq!((l.indicator.as_str(), l.days), ("depth_index", 20.0));
    // The credited combined signal (depth, spread) warns of all 3 held-out events.
    let comb = ew.combined_credited.unwrap();
    assert_eq!(
        (comb.stats.hits, comb.stats.events, comb.indicators),
        (3, 3, 2)
    );
    assert_eq!(ew.combined_with_flagged.unwrap().indicators, 3);
    // Findings carry the held-out numbers and say what is flagged.
    let f = findings(&ew);
    let claim = f.iter().find(|f| f.topic == "early_warning_claim").unwrap();
    assert_eq!(claim.values["leading_3w"], 1.0);
    assert_eq!(claim.values["in_sample_leading_3w"], 2.0);
    assert_eq!(claim.values["combined_hit_rate"], 1.0);
    assert!(claim.text.contains("held-out"), "{}", claim.text);
    assert!(claim.text.contains("requests_30d"), "{}", claim.text);
    assert!(!f.iter().any(|f| f.topic == "early_warning_requests_30d"));
    let t = &tables(&ew)[0];
    assert!(t.rows.iter().all(|r| r.len() == t.header.len()));
}

#[test]
fn a_corrupted_held_out_record_changes_the_verdict() {
    // Remove depth's warning on one held-out event: its held-out hit rate falls to 2/3 and its
    // in-sample figures stay.
    let ew = constructed();
    let mut recs = records(|i, k| match k {
        indicator::DEPTH_INDEX if i < 6 && i != 3 => Some(5.0),
        _ => None,
    });
    recs[0].first_gate_day = 25.0;
    let ladder = [[0.1f32; N_INDICATORS], [0.2f32; N_INDICATORS]];
    let enabled = [true; N_INDICATORS];
    let bad = calibrate(
        &recs,
        &ladder[0],
        &ladder,
        &[recs.clone(), recs.clone()],
        &enabled,
        &EarlyWarningConfig::default(),
    );
    let k = indicator::DEPTH_INDEX;
    assert_eq!(
        bad.verdicts[k].in_sample.map(|s| s.hit_rate),
        ew.verdicts[k].in_sample.map(|s| s.hit_rate)
    );
    assert_ne!(bad.rows[k].best_hit_rate, ew.rows[k].best_hit_rate);
    assert!((bad.rows[k].best_hit_rate.unwrap() - 2.0 / 3.0).abs() < 1e-12);
}

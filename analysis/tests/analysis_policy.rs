//! Known answers of the redemption policy stage's early warning, reverse stress test and
//! communication playbook: lead times, hit and false-alarm rates and the best threshold on
//! hand-built records; bisection against known roots and against a constructed fund whose
//! failure point has a closed form; monotonicity of the severity generator and of the failure
//! probability on common random numbers; indicator thresholds leaving the dynamics untouched;
//! setting errors that name the setting and the value; playbook triggers equal to the calibrated
//! thresholds they were given.

use std::path::Path;

use undertow_analysis::redemption_policy::config::{EarlyWarningConfig, ReverseStressConfig};
use undertow_analysis::redemption_policy::early_warning::{
    best_level, calibrate, early_warning, findings as ew_findings, indicator_stats,
    tables as ew_tables, Direction, EarlyWarning, IndicatorStats, LadderRange, LevelStats,
};
use undertow_analysis::redemption_policy::playbook::{
    findings as playbook_findings, playbook, tables as playbook_tables, GateTriggerChoice,
    CHANNELS, STAGES,
};
use undertow_analysis::redemption_policy::reverse_stress::{
    bisect_crossing, bisect_from_grid, failure_probability, fell_short, findings as rs_findings,
    gated, maps_of, report_of, reverse_stress, tables as rs_tables,
};
use undertow_analysis::sim::Simulator;
use undertow_analysis::stats::Verdict;
use undertow_analysis::StageId;
use undertow_host::fund::{example_fund, parse_fund, Fund};
use undertow_host::run::scenario_block;
use undertow_host::scenarios::ScenarioGenerator;
use undertow_kernel::{indicator, ScenarioOutput, NEVER, N_INDICATORS};

// ---------------------------------------------------------------------------------------------
// Hand-built records.

/// A record with the event on `event` (or none) and indicator 0 first breached on `breach`.
fn record(event: Option<f32>, breach: Option<f32>) -> ScenarioOutput {
    let mut o = ScenarioOutput {
        event_day: event.unwrap_or(NEVER),
        ..ScenarioOutput::default()
    };
    o.ew_first_breach = [NEVER; N_INDICATORS];
    o.ew_first_breach[0] = breach.unwrap_or(NEVER);
    o
}

/// Records with the same events and the given breaches of indicator 0.
fn with_breaches(events: &[Option<f32>], breaches: &[Option<f32>]) -> Vec<ScenarioOutput> {
    events
        .iter()
        .zip(breaches)
        .map(|(&e, &b)| record(e, b))
        .collect()
}

#[test]
fn lead_hit_and_false_alarm_rates_on_hand_built_records() {
    // Four events (days 10, 10, 20, 5) and three calm scenarios.
    let events = [
        Some(10.0),
        Some(10.0),
        Some(20.0),
        Some(5.0),
        None,
        None,
        None,
    ];
    // Leads: 10 - 4 = 6; 10 - 10 = 0 (same day); 25 > 20: after the event, no warning; never.
    // Calm: one breach (a false alarm), two never.
    let breaches = [
        Some(4.0),
        Some(10.0),
        Some(25.0),
        None,
        Some(3.0),
        None,
        None,
    ];
    let recs = with_breaches(&events, &breaches);
    let s = indicator_stats(&recs, 0, 1);
    assert_eq!((s.events, s.non_events), (4, 3));
    // Warned: leads 6 and 0; a hit needs a lead of at least 1 day: only the first.
    assert_eq!((s.warned, s.hits, s.false_alarms), (2, 1, 1));
    assert_eq!(s.hit_rate, 1.0 / 4.0);
    assert_eq!(s.false_alarm_rate, 1.0 / 3.0);
    assert_eq!(s.mean_lead_days, Some((6.0 + 0.0) / 2.0));
    assert_eq!(s.median_lead_days, Some(3.0));
    // With no minimum lead the same-day breach counts too.
    let s0 = indicator_stats(&recs, 0, 0);
    assert_eq!(s0.hit_rate, 2.0 / 4.0);
    // With a minimum of 7 days no breach is early enough.
    assert_eq!(indicator_stats(&recs, 0, 7).hit_rate, 0.0);
    // Indicator 1 never breached: no warning, no false alarm, no lead.
    let s1 = indicator_stats(&recs, 1, 1);
    assert_eq!(
        (s1.hits, s1.false_alarms, s1.median_lead_days),
        (0, 0, None)
    );
    // An odd number of leads: the middle one.
    let odd = with_breaches(
        &[Some(10.0), Some(10.0), Some(10.0)],
        &[Some(9.0), Some(2.0), Some(7.0)],
    );
    assert_eq!(indicator_stats(&odd, 0, 1).median_lead_days, Some(3.0));
}

fn stats(hit_rate: f64, false_alarm_rate: f64, median: Option<f64>) -> IndicatorStats {
    IndicatorStats {
        events: 100,
        non_events: 100,
        warned: 0,
        hits: 0,
        false_alarms: 0,
        hit_rate,
        false_alarm_rate,
        mean_lead_days: median,
        median_lead_days: median,
    }
}

#[test]
fn best_level_takes_the_longest_median_lead_within_the_false_alarm_cap() {
    let levels = [
        // Longest lead, but too many false alarms.
        (0.1, stats(0.9, 0.30, Some(20.0))),
        // Qualifies: lead 8.
        (0.2, stats(0.4, 0.05, Some(8.0))),
        // Same lead, higher hit rate: preferred.
        (0.3, stats(0.6, 0.08, Some(8.0))),
        // Longer lead but under the hit-rate floor.
        (0.4, stats(0.1, 0.00, Some(12.0))),
        // Shorter lead.
        (0.5, stats(0.7, 0.01, Some(4.0))),
    ]
    .map(|(threshold, stats)| LevelStats { threshold, stats });
    assert_eq!(best_level(&levels, 0.10, 0.25), Some(2));
    // Exactly at the cap and at the floor still qualifies.
    assert_eq!(best_level(&levels, 0.30, 0.25), Some(0));
    assert_eq!(best_level(&levels, 0.10, 0.10), Some(3));
    // Nothing qualifies.
    assert_eq!(best_level(&levels, 0.0, 0.95), None);
}

/// A calibration from hand-built reruns: four events, four calm scenarios, three levels of
/// indicator 0; the best is the middle level (lead 4, no false alarm, hit rate 3/4).
fn hand_calibration() -> (EarlyWarning, [[f32; N_INDICATORS]; 3]) {
    let events = [
        Some(10.0),
        Some(12.0),
        Some(20.0),
        Some(8.0),
        None,
        None,
        None,
        None,
    ];
    // Level 0 (lowest threshold): long leads (9, 11, 19, 7), but false alarms in 2 of 4 calm.
    let low = [
        Some(1.0),
        Some(1.0),
        Some(1.0),
        Some(1.0),
        Some(2.0),
        Some(3.0),
        None,
        None,
    ];
    // Level 1: leads 4, 4, 4 and a miss; no false alarm.
    let mid = [
        Some(6.0),
        Some(8.0),
        Some(16.0),
        None,
        None,
        None,
        None,
        None,
    ];
    // Level 2: leads 1 and a same-day breach; no false alarm.
    let high = [Some(9.0), Some(12.0), None, None, None, None, None, None];
    // The fund's own threshold: the middle level.
    let base = with_breaches(&events, &mid);
    let reruns = vec![
        with_breaches(&events, &low),
        with_breaches(&events, &mid),
        with_breaches(&events, &high),
    ];
    let mut ladder = [[0.5f32; N_INDICATORS]; 3];
    for (j, thr) in [0.02f32, 0.05, 0.08].iter().enumerate() {
        ladder[j][0] = *thr;
    }
    let own = ladder[1];
    let mut enabled = [true; N_INDICATORS];
    enabled[indicator::FUNDING_HEADROOM] = false;
    let cfg = EarlyWarningConfig::default();
    let ew = calibrate(&base, &own, &ladder, &reruns, &enabled, &cfg);
    (ew, ladder)
}

#[test]
fn calibration_picks_the_known_best_threshold_and_judges_the_claim() {
    let (ew, ladder) = hand_calibration();
    assert_eq!((ew.scenarios, ew.events, ew.event_rate), (8, 4, 0.5));
    assert_eq!(ew.event_day_mismatches, 0);
    assert_eq!(ew.rows.len(), N_INDICATORS);
    let r = &ew.rows[0];
    assert_eq!(r.indicator, "requests_5d");
    assert_eq!(r.direction, Direction::Above);
    // At the fund's own threshold: 3 hits of 4 events, leads 4, 4, 4.
    assert_eq!(r.threshold, ladder[1][0] as f64);
    assert_eq!((r.hit_rate, r.false_alarm_rate), (0.75, 0.0));
    assert_eq!(r.median_lead_days, Some(4.0));
    // Calibration half (even indices: events on days 10 and 20, two calm): level 0 has a false
    // alarm in 1 of 2 calm scenarios (50% > 10%); level 2's median lead is 1 (one lead of 1);
    // level 1 wins (leads 4, 4, hit rate 1).
    assert_eq!(r.levels[0].false_alarm_rate, 0.5);
    assert_eq!(r.levels[2].median_lead_days, Some(1.0));
    assert_eq!(r.best_threshold, Some(ladder[1][0] as f64));
    let v = &ew.verdicts[0];
    assert_eq!(v.in_sample.map(|s| s.hit_rate), Some(1.0));
    // Held out (odd indices: events on days 12 and 8): level 1 warns of the first 4 days ahead
    // and misses the second: hit rate 1/2, no false alarm, median lead 4.
    assert_eq!(r.best_hit_rate, Some(0.5));
    assert_eq!(r.best_false_alarm_rate, Some(0.0));
    assert_eq!(r.best_median_lead_days, Some(4.0));
    let [lo, hi] = v.held_out_hit_rate_ci.unwrap();
    assert!(lo < 0.5 && hi > 0.5, "{lo} {hi}");
    assert_eq!((ew.held_out_scenarios, ew.held_out_events), (4, 2));
    // No other indicator ever breached: none calibrated. requests_5d shares the event's 5-day
    // outflow series: flagged, so the credited combined signal is empty; with the flagged ones
    // it is requests_5d's held-out record.
    assert!(ew.rows[1..].iter().all(|r| r.best_threshold.is_none()));
    assert_eq!(v.shared_series, Some("event: 5-day outflow"));
    assert!(!v.credited);
    assert_eq!(ew.combined_credited, None);
    assert_eq!(ew.combined.map(|c| c.median_lead_days), Some(Some(4.0)));
    assert_eq!(
        ew.combined_with_flagged.map(|c| c.stats.hit_rate),
        Some(0.5)
    );
    // The claim: 1 of 14 calibrated, 4 flagged, 9 credited (funding headroom is off), none with
    // a 15-day median lead.
    assert_eq!(ew.claim.calibrated, 1);
    assert_eq!(ew.claim.credited, 9);
    assert_eq!(ew.claim.flagged.len(), 4);
    assert_eq!(ew.claim.leading_3w, 0);
    assert_eq!(ew.claim.leading_3w_any_false_alarms, 0);
    assert!(!ew.claim.holds);
    // Event days 8, 10, 12, 20: median 11; one of four at or after day 15.
    assert_eq!(ew.claim.median_event_day, Some(11.0));
    assert_eq!(ew.claim.events_late_enough, 0.25);
    // Findings and the table.
    let f = ew_findings(&ew);
    assert!(f.iter().all(|f| f.stage == StageId::RedemptionPolicy));
    let claim = f.iter().find(|f| f.topic == "early_warning_claim").unwrap();
    assert_eq!(claim.values["calibrated"], 1.0);
    assert!(claim.text.contains("does not hold"), "{}", claim.text);
    let t = &ew_tables(&ew)[0];
    assert_eq!(t.file, "early_warning.csv");
    assert_eq!(t.rows.len(), N_INDICATORS);
    assert!(t.rows.iter().all(|r| r.len() == t.header.len()));
}

#[test]
fn a_disabled_indicator_is_never_calibrated() {
    let (ew, _) = hand_calibration();
    let row = &ew.rows[indicator::FUNDING_HEADROOM];
    assert!(!row.enabled);
    assert_eq!(row.best_threshold, None);
}

// ---------------------------------------------------------------------------------------------
// Bisection.

#[test]
fn bisection_finds_known_roots() {
    // A step at a root that is not a dyadic fraction.
    let root = 0.371_9;
    for steps in [4u32, 10, 20] {
        let c = bisect_crossing(|x| if x >= root { 1.0 } else { 0.0 }, 0.5, steps);
        let hi = c.severity.unwrap();
        let lo = c.lower.unwrap();
        assert!(lo < root && root <= hi, "{lo} < {root} <= {hi}");
        assert!((hi - lo - 0.5f64.powi(steps as i32)).abs() < 1e-15);
        assert_eq!(c.probability, Some(1.0));
        assert_eq!(c.evaluations, 2 + steps);
    }
    // A continuous monotone function: p(x) = x^2 crosses 0.3 at sqrt(0.3).
    let c = bisect_crossing(|x| x * x, 0.3, 16);
    assert!((c.severity.unwrap() - 0.3f64.sqrt()).abs() <= 0.5f64.powi(16));
    // Never reaching the level, and reaching it at 0.
    assert_eq!(bisect_crossing(|_| 0.2, 0.5, 10).severity, None);
    assert_eq!(bisect_crossing(|_| 0.9, 0.5, 10).severity, Some(0.0));
    // Starting from a grid: the bracket is the first grid interval that reaches the level, and
    // the resolution is its width over 2^steps.
    let grid: Vec<(f64, f64)> = (0..7)
        .map(|i| {
            let x = i as f64 / 6.0;
            (x, if x >= root { 1.0 } else { 0.0 })
        })
        .collect();
    let c = bisect_from_grid(&grid, |x| if x >= root { 1.0 } else { 0.0 }, 0.5, 8);
    let (lo, hi) = (c.lower.unwrap(), c.severity.unwrap());
    assert!(lo < root && root <= hi);
    assert!((hi - lo - (1.0 / 6.0) / 256.0).abs() < 1e-12);
    // Only the bisection steps are evaluated: the grid's points are known.
    assert_eq!(c.evaluations, 8);
}

/// A fund whose only redemptions are one segment's base flow, all noise and feedback off, one day
/// simulated, gates on the 30-day request trigger alone. A scenario at redemption severity `r`
/// asks for `m(r) b` of NAV on day 0, with `m(r) = m_lo (m_hi / m_lo)^r` the redemption
/// multiplier's geometric interpolation, so the gate fires exactly when `m(r) b > g` (above the
/// kernel's relative threshold margin), whatever the market severity.
fn constructed_gate_fund(base_rate: f64, gate: f64, mult: (f64, f64)) -> Fund {
    let text = format!(
        r#"
[fund]
name = "Reverse stress known answer"
aum = 1.0e9
cash = 0.5
horizon_days = 1
redemption_settlement_days = 0

[[positions]]
id = "EQ"
class = "equities"
weight = 0.5
adv = 1.0e12
spread_bps = 1.0
vol_annual = 0.15
impact = 0.1
settlement_days = 0

[[segments]]
name = "all"
share = 1.0
base_rate = {base_rate}

[model]
noise = false
feedback_performance = false
feedback_herding = false
feedback_liquidity = false
feedback_stress = false
crowding = false
permanent_impact = false
funding = false
swing_pricing = false
lam_max = 1.0
flows_follow_stress = false

[policy.gates]
triggers = ["redemptions_30d"]
redemptions_30d = {gate}
min_days = 1

[scenarios.redemption]
mult = [{lo}, {hi}]
"#,
        lo = mult.0,
        hi = mult.1,
    );
    parse_fund(&text, "reverse-stress.toml", Path::new("")).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn reverse_stress_finds_the_constructed_failure_point() {
    let (b, g, mult) = (0.01, 0.15, (1.0, 32.0));
    let fund = constructed_gate_fund(b, g, mult);
    // m(r) b = g (1 + 1e-5): r* = ln(g (1 + 1e-5) / (b m_lo)) / ln(m_hi / m_lo) = 0.7814...
    let margin = 1.0 + undertow_kernel::metrics::THRESHOLD_MARGIN as f64;
    let root = (g * margin / (b * mult.0)).ln() / (mult.1 / mult.0).ln();
    let sim = Simulator::new(Some(2)).unwrap();
    let cfg = ReverseStressConfig {
        scenarios_per_point: 8,
        bisection_steps: 12,
        ..ReverseStressConfig::default()
    };
    cfg.validate().unwrap();
    let rs = reverse_stress(&fund, 3, &sim, &cfg).unwrap();
    // This fund gates and never falls short: the shortfall map (the headline) is empty and the
    // gate map holds the constructed point, on the grid rows at or above the root.
    for (i, &r) in rs.redemption_severity.iter().enumerate() {
        let expected = if r > root { 1.0 } else { 0.0 };
        assert!(
            rs.gate.probability[i].iter().all(|&p| p == expected),
            "r = {r}: {:?}",
            rs.gate.probability[i]
        );
        assert!(rs.gate.count[i].iter().all(|&c| c as f64 == expected * 8.0));
        assert!(rs.shortfall.probability[i].iter().all(|&p| p == 0.0));
        assert_eq!(rs.failure_probability[i], rs.shortfall.probability[i]);
    }
    assert_eq!(rs.failure, "shortfall");
    assert_eq!(rs.least_severe, None, "gates are not failures to pay");
    assert!(rs.frontier.iter().all(|f| f.redemption_severity.is_none()));
    // The first grid row above the root is 5/6; the least severe gating point sits at market
    // severity 0 on it, with the Wilson interval of 8 of 8.
    let least = rs.gate_least_severe.unwrap();
    assert_eq!(least.market_severity, 0.0);
    assert_eq!(least.redemption_severity, 5.0 / 6.0);
    assert_eq!(least.failure_probability, 1.0);
    assert_eq!(least.high, 1.0);
    assert!((least.low - 0.6756).abs() < 1e-3, "{least:?}");
    // 8 of 8 against the 50% level: the interval (67.6% to 100%) clears it.
    assert_eq!(least.level_verdict, Verdict::Meets);
    // Every column's bisection of the gate map brackets the root within (1/6) / 2^12.
    let resolution = (1.0 / 6.0) / 4096.0;
    for f in &rs.gate_frontier {
        let (lo, hi) = (f.bracket_low.unwrap(), f.redemption_severity.unwrap());
        assert!(lo < root && root <= hi, "{lo} < {root} <= {hi}");
        assert!(hi - lo <= resolution * (1.0 + 1e-9));
    }
    assert_eq!(rs.monotone_violations + rs.gate_monotone_violations, 0);
    // The flag no longer changes the headline.
    let only = ReverseStressConfig {
        shortfall_only: true,
        ..cfg.clone()
    };
    assert_eq!(reverse_stress(&fund, 3, &sim, &only).unwrap(), rs);
    // Findings: the headline says no shortfall; the gate map sits beside it.
    let f = rs_findings(&fund, &rs);
    let least_finding = f
        .iter()
        .find(|f| f.topic == "reverse_stress_least_severe")
        .unwrap();
    assert!(
        least_finding.text.contains("no shock"),
        "{}",
        least_finding.text
    );
    assert!(least_finding
        .text
        .contains("conditional on the severity grid"));
    let gate_finding = f
        .iter()
        .find(|f| f.topic == "reverse_stress_gate_map")
        .unwrap();
    assert_eq!(gate_finding.values["redemption_severity"], 5.0 / 6.0);
    let t = &rs_tables(&rs)[0];
    assert_eq!(t.file, "reverse_stress_map.csv");
    assert_eq!(t.rows.len(), 49);
    let col = |name: &str| t.header.iter().position(|h| h == name).unwrap();
    let top = t.rows.last().unwrap();
    assert_eq!(
        (
            top[col("gate_count")].as_str(),
            top[col("shortfall_count")].as_str()
        ),
        ("8", "0")
    );
    assert_eq!(top[col("scenarios")], "8");
}

fn outcome(first_shortfall: f32, suspended: f32, first_gate: f32) -> ScenarioOutput {
    ScenarioOutput {
        first_shortfall_day: first_shortfall,
        suspended,
        first_gate_day: first_gate,
        ..ScenarioOutput::default()
    }
}

#[test]
fn shortfall_and_gate_are_read_apart() {
    let calm = outcome(NEVER, 0.0, NEVER);
    assert!(!fell_short(&calm) && !gated(&calm));
    let gate = outcome(NEVER, 0.0, 4.0);
    assert!(!fell_short(&gate) && gated(&gate));
    assert!(fell_short(&outcome(3.0, 1.0, NEVER)));
    assert!(fell_short(&outcome(0.0, 0.0, NEVER)), "day 0 is a day");
    assert!(fell_short(&outcome(NEVER, 1.0, NEVER)), "suspended");
}

/// A 2x2 grid of constructed records: the maps count each scenario where it belongs, and one
/// shortfall flag flipped changes the shortfall map, its interval and its least severe point,
/// and nothing of the gate map.
#[test]
fn the_maps_follow_the_records_and_a_flipped_flag_changes_the_shortfall_map() {
    let cfg = ReverseStressConfig {
        market_severity: vec![0.0, 1.0],
        redemption_severity: vec![0.0, 1.0],
        scenarios_per_point: 4,
        level: 0.5,
        ..ReverseStressConfig::default()
    };
    let cell = |short: usize, gate: usize| -> Vec<ScenarioOutput> {
        (0..4)
            .map(|k| {
                outcome(
                    if k < short { 2.0 } else { NEVER },
                    0.0,
                    if k < gate { 1.0 } else { NEVER },
                )
            })
            .collect()
    };
    // [redemption][market]: gates everywhere but the calm corner; shortfalls only at the worst.
    let mut records = vec![vec![cell(0, 0), cell(0, 4)], vec![cell(0, 4), cell(2, 4)]];
    let (short, gate) = maps_of(&records);
    assert_eq!(short.count, vec![vec![0, 0], vec![0, 2]]);
    assert_eq!(gate.count, vec![vec![0, 4], vec![4, 4]]);
    let rs = report_of(&cfg, short, gate, vec![], vec![], 16);
    let least = rs.least_severe.unwrap();
    assert_eq!(
        (least.market_severity, least.redemption_severity),
        (1.0, 1.0)
    );
    // 2 of 4 at the 50% level: the interval straddles it.
    assert_eq!(least.level_verdict, Verdict::NotDistinguishable);
    // Two gate cells at norm 1 tie on probability: the lower market severity wins.
    let gl = rs.gate_least_severe.unwrap();
    assert_eq!((gl.market_severity, gl.redemption_severity), (0.0, 1.0));
    // Corrupt one record: a shortfall flag set at the calm end of the redemption axis.
    records[1][0][3].first_shortfall_day = 5.0;
    records[1][0][2].suspended = 1.0;
    let (short2, gate2) = maps_of(&records);
    assert_eq!(short2.count[1][0], 2);
    assert_ne!(short2.high[1][0], rs.shortfall.high[1][0]);
    assert_eq!(gate2, rs.gate, "the gate map does not move");
    let rs2 = report_of(&cfg, short2, gate2, vec![], vec![], 16);
    let least2 = rs2.least_severe.unwrap();
    assert_eq!(
        (least2.market_severity, least2.redemption_severity),
        (0.0, 1.0)
    );
}

// ---------------------------------------------------------------------------------------------
// Monotonicity on common random numbers.

#[test]
fn the_severity_generator_is_monotone_in_both_severities() {
    let fund = example_fund();
    let generator = ScenarioGenerator::new(&fund, &fund.scenarios);
    let n_classes = fund.classes.len();
    let steps = [0.0, 0.2, 0.45, 0.7, 1.0];
    for index in 0..200u64 {
        for w in steps.windows(2) {
            let (a, b) = (w[0], w[1]);
            for r in [0.0, 0.5, 1.0] {
                let (p, q) = (
                    generator.at_severity(1, index, a, r),
                    generator.at_severity(1, index, b, r),
                );
                assert_eq!((p.market_severity, q.market_severity), (a as f32, b as f32));
                for c in 0..n_classes {
                    assert!(q.depth_cut[c] >= p.depth_cut[c], "index {index} class {c}");
                    assert!(q.spread_mult[c] >= p.spread_mult[c]);
                    assert!(q.volume_cut[c] >= p.volume_cut[c]);
                    assert!(q.vol_mult[c] >= p.vol_mult[c]);
                    assert!(q.crowding[c] >= p.crowding[c]);
                    assert!(q.price_shock[c] <= p.price_shock[c]);
                }
                assert!(q.regime >= p.regime && q.rho >= p.rho);
                assert!(q.funding_shock >= p.funding_shock);
                assert!(q.haircut_addon >= p.haircut_addon);
                // Timing and the redemption side do not move with market severity.
                assert_eq!((p.onset, p.ramp, p.plateau), (q.onset, q.ramp, q.plateau));
                assert_eq!(p.half_life, q.half_life);
                assert_eq!(p.redemption_mult, q.redemption_mult);
            }
            for s in [0.0, 0.5, 1.0] {
                let (p, q) = (
                    generator.at_severity(1, index, s, a),
                    generator.at_severity(1, index, s, b),
                );
                assert!(q.redemption_severity > p.redemption_severity);
                assert!(q.redemption_mult > p.redemption_mult);
                assert!(q.large_mult > p.large_mult);
                // The market side does not move with redemption severity.
                assert_eq!(p.depth_cut, q.depth_cut);
                assert_eq!(p.regime, q.regime);
            }
        }
    }
    // Out-of-range severities are clamped; not a number reads as 0.
    let top = generator.at_severity(1, 5, 7.0, -1.0);
    assert_eq!((top.market_severity, top.redemption_severity), (1.0, 0.0));
    assert_eq!(
        generator.at_severity(1, 5, f64::NAN, 0.0).market_severity,
        0.0
    );
}

#[test]
fn failure_probability_rises_with_each_severity_on_the_example() {
    // Failure is failure to pay, which the example's liquid book and gates prevent: the
    // probability is measured with its gates off, its markets 500 times thinner and 80% of
    // its cash moved into its first position (the kernel's records, changed in place).
    let mut fund = example_fund();
    let p = &mut fund.model.params;
    p.switches &= !(undertow_kernel::switch::GATES | undertow_kernel::switch::INVESTOR_GATE);
    let moved = p.initial_cash * 0.8;
    p.initial_cash -= moved;
    fund.model.positions[0].weight += moved;
    for pos in &mut fund.model.positions {
        pos.adv *= 0.002;
    }
    let sim = Simulator::new(None).unwrap();
    let n = 150;
    let p = |s: f64, r: f64| failure_probability(&fund, &sim, 1, (s, r), n).unwrap();
    let along_r: Vec<f64> = [0.3, 0.6, 0.9].iter().map(|&r| p(0.5, r)).collect();
    let along_s: Vec<f64> = [0.1, 0.5, 0.9].iter().map(|&s| p(s, 0.6)).collect();
    for v in [&along_r, &along_s] {
        assert!(v.windows(2).all(|w| w[0] <= w[1]), "{v:?}");
        // The range matters: the calm end and the severe end differ.
        assert!(v[2] > v[0], "{v:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Thresholds and the dynamics.

/// Words of the output record before the 14 first-breach days.
const DYNAMIC_WORDS: usize = 54 - N_INDICATORS;

#[test]
fn indicator_thresholds_do_not_change_the_dynamics() {
    let fund = example_fund();
    let sim = Simulator::new(None).unwrap();
    let scenarios = scenario_block(&fund, 1, 0..300);
    let base = sim.run(&fund.model, &scenarios, 0, 1);
    let cfg = EarlyWarningConfig::default();
    let ladder = cfg.ladder(&fund, &base);
    let mut breach_days_moved = false;
    for thr in [ladder[0], ladder[ladder.len() - 1]] {
        let mut model = fund.model.clone();
        model.params.indicator_thresholds = thr;
        let outs = sim.run(&model, &scenarios, 0, 1);
        for (i, (a, b)) in base.iter().zip(&outs).enumerate() {
            let (wa, wb) = (a.as_words(), b.as_words());
            for w in 0..DYNAMIC_WORDS {
                assert_eq!(
                    wa[w].to_bits(),
                    wb[w].to_bits(),
                    "scenario {i} word {w}: {} vs {}",
                    wa[w],
                    wb[w]
                );
            }
            breach_days_moved |= a.ew_first_breach != b.ew_first_breach;
        }
    }
    // The comparison is not vacuous: the thresholds did move the breach days.
    assert!(breach_days_moved);
}

#[test]
fn the_stage_reads_the_sweep_at_the_funds_thresholds() {
    let fund = example_fund();
    let sim = Simulator::new(None).unwrap();
    let scenarios = scenario_block(&fund, 1, 0..300);
    let base = sim.run(&fund.model, &scenarios, 0, 1);
    let cfg = EarlyWarningConfig {
        scenarios: 250,
        levels: 3,
        ..EarlyWarningConfig::default()
    };
    let ew = early_warning(&fund, &base, &scenarios, 1, &sim, &cfg);
    assert_eq!(ew.scenarios, 250);
    assert_eq!(ew.simulated, 3 * 250);
    assert_eq!(ew.event_day_mismatches, 0);
    for (k, row) in ew.rows.iter().enumerate() {
        let own = indicator_stats(&base[..250], k, cfg.min_lead_days);
        assert_eq!(row.hit_rate, own.hit_rate, "{}", row.indicator);
        assert_eq!(row.false_alarm_rate, own.false_alarm_rate);
        assert_eq!(row.median_lead_days, own.median_lead_days);
        assert_eq!(row.levels.len(), 3);
        assert_eq!(
            row.threshold,
            fund.model.params.indicator_thresholds[k] as f64
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Settings.

#[test]
fn settings_errors_name_the_setting_and_the_value() {
    EarlyWarningConfig::default().validate().unwrap();
    ReverseStressConfig::default().validate().unwrap();
    let e = EarlyWarningConfig {
        levels: 1,
        ..EarlyWarningConfig::default()
    }
    .validate()
    .unwrap_err();
    assert_eq!(
        (e.setting.as_str(), e.value.as_str()),
        ("early_warning.levels", "1")
    );
    let e = EarlyWarningConfig {
        max_false_alarm_rate: 1.5,
        ..EarlyWarningConfig::default()
    }
    .validate()
    .unwrap_err();
    assert_eq!(e.setting, "early_warning.max_false_alarm_rate");
    assert_eq!(e.value, "1.5");
    let mut ranges = [None; N_INDICATORS];
    ranges[indicator::ALR] = Some(LadderRange::linear(3.0, 1.0));
    let e = EarlyWarningConfig {
        ranges,
        ..EarlyWarningConfig::default()
    }
    .validate()
    .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("early_warning.ranges.alr = [3, 1]"),
        "{e}"
    );
    let e = ReverseStressConfig {
        market_severity: vec![0.5, 0.2],
        ..ReverseStressConfig::default()
    }
    .validate()
    .unwrap_err();
    assert_eq!(e.setting, "reverse_stress.market_severity");
    assert_eq!(e.value, "[0.5, 0.2]");
    let e = ReverseStressConfig {
        level: 0.0,
        ..ReverseStressConfig::default()
    }
    .validate()
    .unwrap_err();
    assert_eq!(
        (e.setting.as_str(), e.value.as_str()),
        ("reverse_stress.level", "0")
    );
    let e = ReverseStressConfig {
        scenarios_per_point: 0,
        ..ReverseStressConfig::default()
    }
    .validate()
    .unwrap_err();
    assert_eq!(e.setting, "reverse_stress.scenarios_per_point");
}

// ---------------------------------------------------------------------------------------------
// The playbook.

#[test]
fn playbook_triggers_are_the_calibrated_thresholds() {
    let fund = example_fund();
    let (ew, _) = hand_calibration();
    let choice = GateTriggerChoice {
        redemptions_30d: Some(0.12),
        alr: None,
        stress: Some(0.4),
        gate_cap: 0.05,
        all_triggers: false,
        mean_gate_days: Some(7.5),
        min_days: Some(3),
    };
    let stages = playbook(&ew, Some(choice), &fund);
    let names: Vec<&str> = stages.iter().map(|s| s.stage).collect();
    assert_eq!(names, STAGES);
    for s in &stages {
        assert!(s.channels.iter().all(|c| CHANNELS.contains(c)), "{s:?}");
        assert!(!s.channels.is_empty() && !s.message.is_empty() && !s.cadence.is_empty());
    }
    // Early warning: exactly the calibrated thresholds of credited indicators (one sharing a
    // series with the event or a gate trigger would announce the event, not warn of it).
    let calibrated: Vec<(String, f64)> = ew
        .rows
        .iter()
        .zip(&ew.verdicts)
        .filter(|(_, v)| v.credited)
        .filter_map(|(r, _)| r.best_threshold.map(|t| (r.indicator.to_string(), t)))
        .collect();
    // Crediting or uncrediting a calibrated indicator puts it in or takes it out of the
    // playbook's triggers.
    let k = ew
        .rows
        .iter()
        .position(|r| r.best_threshold.is_some())
        .unwrap();
    let name = ew.rows[k].indicator;
    let early_of = |e: &undertow_analysis::redemption_policy::early_warning::EarlyWarning| {
        playbook(e, Some(choice), &fund)
            .into_iter()
            .find(|s| s.stage == "early_warning")
            .unwrap()
            .triggers
            .into_iter()
            .map(|t| t.indicator)
            .collect::<Vec<_>>()
    };
    let mut toggled = ew.clone();
    toggled.verdicts[k].credited = !ew.verdicts[k].credited;
    let (before, after) = (early_of(&ew), early_of(&toggled));
    assert_eq!(before.iter().any(|t| t == name), ew.verdicts[k].credited);
    assert_eq!(
        after.iter().any(|t| t == name),
        toggled.verdicts[k].credited
    );
    let got = |stage: &str| -> Vec<(String, f64)> {
        stages
            .iter()
            .find(|s| s.stage == stage)
            .unwrap()
            .triggers
            .iter()
            .map(|t| (t.indicator.clone(), t.threshold))
            .collect()
    };
    assert_eq!(got("early_warning"), calibrated);
    // Gate implementation: exactly the gate trigger passed in.
    let gate = vec![
        ("redemptions_30d".to_string(), 0.12),
        ("stress".to_string(), 0.4),
    ];
    assert_eq!(got("gate_implementation"), gate);
    assert_eq!(got("ongoing"), gate);
    let mut exit = gate.clone();
    exit.extend(calibrated.iter().cloned());
    assert_eq!(got("resolution"), exit);
    assert!(got("pre_crisis").is_empty());
    // The text carries the numbers: the cap, the gate's mean duration, the lead time.
    let gi = &stages[2];
    assert!(gi.message.contains("5.0% of NAV"), "{}", gi.message);
    assert!(gi.message.contains("7.5 dealing days"), "{}", gi.message);
    assert!(
        gi.message.contains("at least 3 dealing day(s)"),
        "{}",
        gi.message
    );
    assert!(
        stages[1].message.contains("4.0 business days"),
        "{}",
        stages[1].message
    );
    // Without a choice: the fund's own gate policy (30-day requests 15%, ALR 1.2, cap 10%).
    let own = playbook(&ew, None, &fund);
    let p = &fund.model.params;
    let own_gate: Vec<(String, f64)> = own[2]
        .triggers
        .iter()
        .map(|t| (t.indicator.clone(), t.threshold))
        .collect();
    assert_eq!(
        own_gate,
        vec![
            ("redemptions_30d".to_string(), p.gate_redemptions_30d as f64),
            ("alr".to_string(), p.gate_alr as f64),
        ]
    );
    assert!(own[2].message.contains("10.0% of NAV"));
    // Findings and table.
    let f = playbook_findings(&stages);
    assert_eq!(f[0].values["threshold_stress"], 0.4);
    assert_eq!(
        f[0].values["early_warning_triggers"],
        calibrated.len() as f64
    );
    let t = &playbook_tables(&stages)[0];
    assert_eq!((t.file, t.rows.len()), ("playbook.csv", 5));
}

//! Known answers of the gate-trigger and swing-pricing calibration (stage 5): a constructed fund
//! whose scripted redemptions let every grid point's gates, shortfalls and scores be worked out
//! by hand; common-random-number properties (a gate never raises a shortfall, a lower threshold
//! never gates less often, a larger swing factor never dilutes more); the weights changing the
//! winner; settings errors that name the setting and the value; the default grid on the example.

use std::path::Path;

use undertow_analysis::redemption_policy::config::{GateConfig, GateWeights, SwingConfig};
use undertow_analysis::redemption_policy::findings::gate_findings as findings;
use undertow_analysis::redemption_policy::gates::{
    baseline_model, calibrate_gates, GatePoint, GateRow,
};
use undertow_analysis::redemption_policy::swing::{calibrate_swing, swing_model};
use undertow_analysis::redemption_policy::tables::gate_tables as tables;
use undertow_analysis::sim::Simulator;
use undertow_analysis::StageId;
use undertow_host::fund::{example_fund, parse_fund, Fund};
use undertow_host::run::scenario_block;
use undertow_kernel::testing::redemption_scenario;
use undertow_kernel::ScenarioParams;

/// Per-mille slack for sums of `f32` records.
const TOL: f64 = 1e-5;

/// One segment holding the whole fund, one position and cash; every random and feedback
/// mechanism off, no funding, no swing; the fund's own gate (the use case's trigger at a 2% cap,
/// lasting one day past its trigger) on or off. AUM 1bn, so
/// an ADV of `adv` sells at most `0.2 × adv / 1e9` of NAV a day (participation cap 20%), and its
/// proceeds arrive the same day.
fn scripted_fund(cash: f64, adv: f64, spread_bps: f64, horizon: u32, gates: bool) -> Fund {
    let text = format!(
        r#"
[fund]
name = "Scripted"
aum = 1.0e9
cash = {cash}
redemption_settlement_days = 1
horizon_days = {horizon}

[[positions]]
id = "BOND"
class = "fixed_income"
weight = {weight}
adv = {adv}
spread_bps = {spread_bps}
vol_annual = 0.05
impact = 0.0
settlement_days = 0

[[segments]]
name = "all"
share = 1.0
base_rate = 0.0

[model]
noise = false
feedback_performance = false
feedback_herding = false
feedback_liquidity = false
feedback_stress = false
crowding = false
permanent_impact = false
funding = false
gates = {gates}
swing_pricing = false
large_investors = false
base_flows = false

[liquidation]
strategy = "waterfall"
impact_model = "linear"
participation_cap = 0.2

[policy.gates]
triggers = ["redemptions_30d", "alr"]
redemptions_30d = 0.15
alr = 1.2
cap = 0.02
min_days = 1
"#,
        weight = 1.0 - cash,
    );
    parse_fund(&text, "scripted.toml", Path::new("")).unwrap_or_else(|e| panic!("{e}"))
}

/// The segment (holder 0) redeems `fraction` of the fund on day 2.
fn redemption(fraction: f32) -> ScenarioParams {
    redemption_scenario(0, 2, fraction)
}

fn thresholds_config(levels: &[f64], weights: GateWeights) -> GateConfig {
    GateConfig {
        scenarios: 10,
        redemptions_30d: levels.iter().map(|&x| Some(x)).collect(),
        alr: vec![None],
        stress: vec![None],
        caps: vec![0.02],
        weights,
        ..GateConfig::default()
    }
}

fn close(a: f64, b: f64, what: &str) {
    assert!((a - b).abs() < TOL, "{what}: {a} against {b}");
}

/// The row of the 30-day threshold `r30` with the other triggers off.
fn row(rows: &[GateRow], r30: f64) -> &GateRow {
    rows.iter()
        .find(|r| {
            r.redemptions_30d.is_some_and(|x| (x - r30).abs() < 1e-9)
                && r.alr.is_none()
                && r.stress.is_none()
        })
        .unwrap_or_else(|| panic!("no row with only 30d > {r30}"))
}

/// Cash 10%, sales of at most 2% of NAV a day, three redemptions on day 2: 5% (cash pays it),
/// 11% (cash plus that day's sale pays it) and 25% (without a gate 0.25 − 0.10 − 0.02 = 13% of
/// NAV goes unpaid the next day). A gate capped at 2% a day never outruns cash plus the day's
/// sale, so a gated scenario has no shortfall; a gate fires on the request day and stays up
/// while the request is in the trailing 30-day window: days 2 to 31, 30 days.
///
/// Thresholds 4%, 10%, 20%, 40% gate {5, 11, 25}, {11, 25}, {25} and nothing (after paying 25%
/// the ratio is 0.25 / 0.75 = 33%, still under 40%; after 11%, 0.11 / 0.89 = 12.4% < 20%). The
/// use case's trigger (15% or ALR < 1.2) gates only the 25% scenario: the 11% one has ALR
/// (0.10 cash + 2 days × 2% sellable) / 0.11 = 1.27.
#[test]
fn the_calibration_picks_the_hand_computed_trigger() {
    let fund = scripted_fund(0.10, 0.1e9, 0.0, 40, true);
    let scenarios = [redemption(0.05), redemption(0.11), redemption(0.25)];
    let sim = Simulator::new(Some(2)).unwrap();
    let cfg = thresholds_config(&[0.04, 0.10, 0.20, 0.40], GateWeights::default());
    cfg.validate().unwrap();
    let grid = calibrate_gates(&fund, &scenarios, 1, &sim, &cfg);

    // Baseline: only the 25% redemption falls short, by 13% of NAV.
    let base_shortfall = (0.25 - 0.10 - 0.02) / 3.0;
    close(
        grid.baseline.shortfall_frequency,
        1.0 / 3.0,
        "baseline shortfall frequency",
    );
    close(
        grid.baseline.mean_shortfall,
        base_shortfall,
        "baseline mean shortfall",
    );
    close(
        grid.baseline.mean_dilution_bps,
        0.0,
        "no spread, no impact: no dilution",
    );

    // The four thresholds plus the use case's trigger, added at the fund's cap (2%).
    assert_eq!(grid.rows.len(), 5);
    let gated_days = 30.0;
    // (threshold, scenarios gated, of them without a baseline shortfall, shortfall left)
    let by_hand = [
        (0.04, 3.0, 2.0, 0.0),
        (0.10, 2.0, 1.0, 0.0),
        (0.20, 1.0, 0.0, 0.0),
        (0.40, 0.0, 0.0, base_shortfall),
    ];
    let w = GateWeights::default();
    let max_days = 3.0 * gated_days / 3.0;
    let max_unnecessary = 2.0 / 3.0;
    let mut expected_scores = Vec::new();
    for (thr, gated, unnecessary, shortfall) in by_hand {
        let r = row(&grid.rows, thr);
        close(
            r.gate_frequency,
            gated / 3.0,
            &format!("{thr}: gate frequency"),
        );
        close(
            r.mean_gate_days,
            gated * gated_days / 3.0,
            &format!("{thr}: gate days"),
        );
        close(r.mean_shortfall, shortfall, &format!("{thr}: shortfall"));
        close(
            r.shortfall_avoided,
            base_shortfall - shortfall,
            &format!("{thr}: avoided"),
        );
        close(r.dilution_avoided, 0.0, &format!("{thr}: dilution avoided"));
        close(
            r.unnecessary_gate_frequency,
            unnecessary / 3.0,
            &format!("{thr}: unnecessary"),
        );
        let share = if gated > 0.0 {
            unnecessary / gated
        } else {
            0.0
        };
        close(r.unnecessary_gate_share, share, &format!("{thr}: share"));
        // Scores: protection relative to the best avoided shortfall (every gate but 40% avoids
        // all of it), operational against 30 days, reputation against 2/3.
        let protection = (base_shortfall - shortfall) / base_shortfall;
        let operational = 1.0 - gated * gated_days / 3.0 / max_days;
        let reputation = 1.0 - unnecessary / 3.0 / max_unnecessary;
        close(
            r.protection_score,
            protection,
            &format!("{thr}: protection"),
        );
        close(
            r.operational_score,
            operational,
            &format!("{thr}: operational"),
        );
        close(
            r.reputation_score,
            reputation,
            &format!("{thr}: reputation"),
        );
        let score =
            w.protection * protection + w.operational * operational + w.reputation * reputation;
        close(r.score, score, &format!("{thr}: score"));
        expected_scores.push((thr, score));
    }
    // 0.6 / 0.7667 / 0.9333 / 0.4: the 20% threshold wins; the use case's trigger gates the same
    // scenario, so it ties and ranks second (grid order breaks the tie).
    let best = grid.best.as_ref().unwrap();
    assert_eq!(best.redemptions_30d, Some(0.20));
    assert_eq!(best.alr, None);
    assert_eq!(best.rank, 1);
    close(best.score, 0.6 + 0.2 * (2.0 / 3.0) + 0.2, "winning score");
    let u = grid.use_case.as_ref().unwrap();
    assert!(u.use_case && u.redemptions_30d == Some(0.15) && u.alr == Some(1.2));
    close(
        u.gate_frequency,
        1.0 / 3.0,
        "use case gates the 25% scenario only",
    );
    close(u.score, best.score, "use case ties the winner");
    assert_eq!(u.rank, 2);
    let c = grid.use_case_claim.as_ref().unwrap();
    assert!(c.holds && c.rank == 2 && c.of == 5, "{c:?}");
    let ranks: Vec<(f64, u32)> = [0.04, 0.10, 0.20, 0.40]
        .iter()
        .map(|&t| (t, row(&grid.rows, t).rank))
        .collect();
    assert_eq!(ranks, vec![(0.04, 4), (0.10, 3), (0.20, 1), (0.40, 5)]);

    // The findings quote the winner and judge the use case's trigger.
    let f = findings(
        &grid,
        &calibrate_swing(&fund, &scenarios, 1, &sim, &SwingConfig::default()),
    );
    assert!(f.iter().all(|x| x.stage == StageId::RedemptionPolicy));
    let rec = f.iter().find(|x| x.topic == "recommended_gate").unwrap();
    assert_eq!(rec.values["redemptions_30d"], 0.20);
    assert!(!rec.values.contains_key("alr"), "{:?}", rec.values);
    assert!(rec.text.contains("30d requests > 20%"), "{}", rec.text);
    let claim = f.iter().find(|x| x.topic == "use_case_gate_claim").unwrap();
    assert_eq!(claim.values["holds"], 1.0);
    assert_eq!(claim.values["rank"], 2.0);
    // The tables: one row per grid point, one per swing setting.
    let t = tables(
        &grid,
        &calibrate_swing(&fund, &scenarios, 1, &sim, &SwingConfig::default()),
    );
    assert_eq!(t[0].file, "gate_grid.csv");
    assert_eq!(t[0].rows.len(), 5);
    assert!(t[0].rows.iter().all(|r| r.len() == t[0].header.len()));
    assert_eq!(t[1].file, "swing_calibration.csv");
    assert_eq!(t[1].rows.len(), 16);
}

/// The same fund and scenarios with weights 0.1 / 0.7 / 0.2: operational feasibility now
/// dominates, and the trigger that never fires (40%: protection 0, operational 1, reputation 1,
/// score 0.9) beats the 20% one (0.1 + 0.7 × 2/3 + 0.2 = 0.7667).
#[test]
fn the_weights_change_the_winner_when_they_must() {
    let fund = scripted_fund(0.10, 0.1e9, 0.0, 40, true);
    let scenarios = [redemption(0.05), redemption(0.11), redemption(0.25)];
    let sim = Simulator::new(Some(2)).unwrap();
    let weights = GateWeights {
        protection: 0.1,
        operational: 0.7,
        reputation: 0.2,
    };
    let grid = calibrate_gates(
        &fund,
        &scenarios,
        1,
        &sim,
        &thresholds_config(&[0.04, 0.10, 0.20, 0.40], weights),
    );
    let best = grid.best.as_ref().unwrap();
    assert_eq!(best.redemptions_30d, Some(0.40));
    close(best.score, 0.7 + 0.2, "never-firing gate's score");
    let swing = calibrate_swing(&fund, &scenarios, 1, &sim, &SwingConfig::default());
    let f = findings(&grid, &swing);
    let rec = f.iter().find(|x| x.topic == "recommended_gate").unwrap();
    assert_eq!(rec.values["protects"], 0.0);
    assert!(rec.text.contains("does not reduce harm"), "{}", rec.text);
    assert!(rec.text.contains("never fired"), "{}", rec.text);
    // The best gate that does fire is the 20% one, rank 2.
    let firing = f.iter().find(|x| x.topic == "best_firing_gate").unwrap();
    assert_eq!(firing.values["redemptions_30d"], 0.20);
    assert_eq!(firing.values["rank"], 2.0);
    close(
        row(&grid.rows, 0.20).score,
        0.1 + 0.7 * (2.0 / 3.0) + 0.2,
        "20% gate's score",
    );
    // Weights that do not sum to one are normalised: 3 / 14 / 4 is the same ranking.
    let scaled = GateWeights {
        protection: 1.0,
        operational: 7.0,
        reputation: 2.0,
    };
    let again = calibrate_gates(
        &fund,
        &scenarios,
        1,
        &sim,
        &thresholds_config(&[0.04, 0.10, 0.20, 0.40], scaled),
    );
    close(
        again.best.as_ref().unwrap().score,
        best.score,
        "normalised weights",
    );
    assert_eq!(again.best.as_ref().unwrap().redemptions_30d, Some(0.40));
}

/// One redemption of 25% on day 2, cash 10%, a deep market (no participation limit in reach)
/// with a 20 bp spread and no impact: without swing the fund sells `0.15 / (1 − 0.001)` and
/// loses 10 bp of it, `D = 0.001 × 0.15 / 0.999`. A swing of `f` pays redeemers `0.25 (1 − f)`,
/// shrinks the sale to `(0.15 − 0.25 f) / 0.999`, and brings income `0.25 f`; the dynamic factor
/// is the day's cost rate, 10 bp. A threshold of 30% never swings.
#[test]
fn swing_rows_match_the_hand_calculation() {
    let fund = scripted_fund(0.10, 1.0e12, 20.0, 10, false);
    let scenarios = [redemption(0.25)];
    let sim = Simulator::new(Some(2)).unwrap();
    let cfg = SwingConfig {
        scenarios: 10,
        thresholds: vec![0.0, 0.30],
        factors: vec![0.0, 0.0004, 0.0005, 0.001],
        cap: 0.02,
    };
    cfg.validate().unwrap();
    let s = calibrate_swing(&fund, &scenarios, 1, &sim, &cfg);
    let half = 0.001;
    let base = half * 0.15 / (1.0 - half);
    close(
        s.baseline.mean_dilution_bps,
        base * 1e4,
        "no-swing dilution",
    );
    assert_eq!(s.rows.len(), 8);
    for r in &s.rows {
        let f = if r.threshold > 0.25 {
            0.0
        } else if r.factor == 0.0 {
            half
        } else {
            r.factor
        };
        let income = 0.25 * f;
        let cost = half * (0.15 - income) / (1.0 - half);
        let dilution = (cost - income).max(0.0);
        let overcharge = (income - cost).max(0.0);
        let what = format!("threshold {} factor {}", r.threshold, r.factor);
        close(
            r.mean_swing_income_bps,
            income * 1e4,
            &format!("{what}: income"),
        );
        close(
            r.mean_dilution_bps,
            dilution * 1e4,
            &format!("{what}: dilution"),
        );
        close(
            r.mean_overcharge_bps,
            overcharge * 1e4,
            &format!("{what}: overcharge"),
        );
        close(
            r.dilution_avoided,
            base - dilution,
            &format!("{what}: avoided"),
        );
        let score = 1.0 - (dilution + overcharge) / base;
        assert!(
            (r.score - score).abs() < 1e-3,
            "{what}: score {} against {score}",
            r.score
        );
    }
    // 4 bp leaves a third of the dilution, 5 bp a sixth; 10 bp (fixed, or the dynamic factor)
    // overcharges by two thirds of it: 5 bp at threshold 0 is best, with a score of 5/6.
    let best = s.best.as_ref().unwrap();
    assert_eq!((best.threshold, best.factor), (0.0, 0.0005));
    assert!((best.score - 5.0 / 6.0).abs() < 1e-3, "{}", best.score);
    assert!(s.levy_note.contains("fixed swing"));
}

/// A fund with liquidity risk and random scenarios, redemptions exogenous (every feedback channel
/// off) so that a policy changes only what the fund pays, not what investors ask.
fn exogenous_fund() -> Fund {
    let text = r#"
[fund]
name = "Exogenous"
aum = 1.0e9
cash = 0.04
redemption_settlement_days = 2
horizon_days = 60

[[positions]]
id = "EQ"
class = "equities"
weight = 0.50
adv = 0.5e9
spread_bps = 5.0
vol_annual = 0.2
impact = 0.5
settlement_days = 2

[[positions]]
id = "HY"
class = "credit"
weight = 0.31
adv = 0.05e9
spread_bps = 60.0
vol_annual = 0.1
impact = 0.8
settlement_days = 3

[[positions]]
id = "PE"
class = "alternatives"
weight = 0.15
adv = 0.005e9
spread_bps = 200.0
vol_annual = 0.2
impact = 1.0
settlement_days = 5

[[segments]]
name = "retail"
share = 0.55
base_rate = 0.004
flow_vol = 0.006

[[large_investors]]
name = "A"
stake = 0.25
hazard = 0.01

[[large_investors]]
name = "B"
stake = 0.20
hazard = 0.01

[model]
feedback_performance = false
feedback_herding = false
feedback_liquidity = false
feedback_stress = false
crowding = false
permanent_impact = false
funding = false

[liquidation]
strategy = "waterfall"
"#;
    parse_fund(text, "exogenous.toml", Path::new("")).unwrap_or_else(|e| panic!("{e}"))
}

/// A scripted scenario: the segment redeems `first` of the fund on `day`, and `second` of what
/// it still holds five days later.
fn two_redemptions(day: u32, first: f32, second: f32) -> ScenarioParams {
    let mut s = redemption_scenario(0, day, first);
    s.n_events = 2;
    s.event_day[1] = day + 5;
    s.event_holder[1] = 0;
    s.event_fraction[1] = second;
    s
}

fn point(r30: Option<f64>, alr: Option<f64>, cap: f64) -> GatePoint {
    GatePoint {
        redemptions_30d: r30,
        alr,
        stress: None,
        cap,
        investor_cap: None,
        notice_days: 0,
    }
}

/// In a market that stays as it is (the same sale capacity every day), a gate only moves
/// payments later while the fund sells as much each day as it needs or can, so on the same
/// scenario it never leaves more unpaid: checked scenario by scenario over redemption sizes,
/// days and grid points on the scripted fund.
#[test]
fn in_a_steady_market_a_gate_never_raises_the_shortfall() {
    let fund = scripted_fund(0.10, 0.1e9, 0.0, 40, false);
    let mut scenarios = Vec::new();
    for day in [0, 2, 7] {
        for x in [0.05, 0.11, 0.2, 0.25, 0.4, 0.6] {
            scenarios.push(redemption_scenario(0, day, x));
            scenarios.push(two_redemptions(day, x, 0.3));
        }
    }
    let sim = Simulator::new(Some(2)).unwrap();
    let base = sim.run(&baseline_model(&fund.model), &scenarios, 0, 1);
    assert!(base.iter().filter(|o| o.shortfall > 0.0).count() >= 10);
    let mut checked = 0;
    for r30 in [None, Some(0.04), Some(0.10), Some(0.20)] {
        for alr in [None, Some(1.2), Some(1.5)] {
            if r30.is_none() && alr.is_none() {
                continue;
            }
            for cap in [0.01, 0.02, 0.05, 0.10] {
                let p = point(r30, alr, cap);
                let outs = sim.run(&p.apply(&fund.model, None), &scenarios, 0, 1);
                for (k, (o, b)) in outs.iter().zip(&base).enumerate() {
                    assert!(
                        o.shortfall as f64 <= b.shortfall as f64 + 1e-6,
                        "{}: scenario {k}: shortfall {} with the gate, {} without",
                        p.describe(),
                        o.shortfall,
                        b.shortfall
                    );
                    checked += (o.shortfall < b.shortfall) as usize;
                }
            }
        }
    }
    assert!(checked > 0, "some gate must actually cut a shortfall");
}

/// But a gate that defers redemptions into a market drying up *can* raise the shortfall: the
/// liquidation target covers only redemptions accepted, so the gated fund leaves the capacity of
/// the last liquid day unused. Cash 10%; the market sells 5% of NAV a day until day 2 and 0.5%
/// from day 3 (volume cut 90%); 30% is redeemed on day 2.
///
/// - No gate: day 2 accepts 30% and sells 5%; day 3 pays 30% from 15%: arrears 15%, the peak
///   (sales of 0.5% a day then pay them down).
/// - Gate (30-day requests > 20%, cap 10% of NAV a day): day 2 accepts 10% (cash covers it, no
///   sale); day 3 accepts 9% (NAV 0.90) and sells 0.5%; day 4 accepts 8.1% (NAV 0.81), sells
///   0.5%; day 5 accepts the last 2.9%, sells 0.5%; by day 6 all 30% is due against 10% cash
///   and 1.5% of sales: arrears 18.5%.
#[test]
fn a_gate_deferring_redemptions_into_a_drying_market_can_raise_the_shortfall() {
    let mut fund = scripted_fund(0.10, 0.25e9, 0.0, 20, false);
    // The fund's own cap at 10%, so that the use case's trigger (added to the grid at that cap)
    // fires on the same day as the 20% one and runs the same path.
    fund.model.params.gate_cap = 0.10;
    let mut sc = redemption_scenario(0, 2, 0.30);
    sc.onset = 3;
    sc.ramp = 1;
    sc.plateau = 100;
    sc.volume_cut[1] = 0.9;
    assert_eq!(fund.classes[1].name, "fixed_income");
    let sim = Simulator::new(Some(2)).unwrap();
    let base = sim.run(&baseline_model(&fund.model), &[sc], 0, 1);
    close(base[0].shortfall as f64, 0.30 - 0.10 - 0.05, "no gate");
    let p = point(Some(0.20), None, 0.10);
    let gated = sim.run(&p.apply(&fund.model, None), &[sc], 0, 1);
    close(
        gated[0].shortfall as f64,
        0.30 - 0.10 - 3.0 * 0.005,
        "gated",
    );
    // The grid reports it: the shortfall rose in the one scenario, the protection is negative.
    let cfg = GateConfig {
        scenarios: 1,
        redemptions_30d: vec![Some(0.20)],
        alr: vec![None],
        stress: vec![None],
        caps: vec![0.10],
        ..GateConfig::default()
    };
    let grid = calibrate_gates(&fund, &[sc], 1, &sim, &cfg);
    assert_eq!(grid.rows.len(), 2);
    for r in &grid.rows {
        close(r.shortfall_raised_share, 1.0, "shortfall raised");
        close(r.shortfall_avoided, 0.15 - 0.185, "shortfall avoided");
        // No point avoids harm: protection is scaled by the largest harm added, -1 here.
        close(r.protection_score, -1.0, "protection");
    }
    let f = findings(
        &grid,
        &calibrate_swing(&fund, &[sc], 1, &sim, &SwingConfig::default()),
    );
    assert!(f.iter().any(|x| x.topic == "gate_feedback"));
}

/// Random scenarios on a fund with liquidity risk, redemptions exogenous: a lower 30-day
/// threshold gates every scenario a higher one gates (both fire on the same state, and the paths
/// agree until the first gate); a larger fixed swing factor never dilutes more, scenario by
/// scenario; the grid's count of raised shortfalls is the scenario-by-scenario count.
#[test]
fn on_common_random_numbers_thresholds_and_swing_move_the_right_way() {
    let fund = exogenous_fund();
    let seed = 5;
    let scenarios = scenario_block(&fund, seed, 0..300);
    let sim = Simulator::new(Some(2)).unwrap();
    let base = sim.run(&baseline_model(&fund.model), &scenarios, 0, seed);
    assert!(
        base.iter().any(|o| o.shortfall > 0.0),
        "the fund must fall short somewhere for the test to mean anything"
    );

    for alr in [None, Some(1.2)] {
        for cap in [0.02, 0.10] {
            let mut gated_before: Option<Vec<bool>> = None;
            for r in [0.05, 0.10, 0.15, 0.25] {
                let p = point(Some(r), alr, cap);
                let outs = sim.run(&p.apply(&fund.model, None), &scenarios, 0, seed);
                let gated: Vec<bool> = outs.iter().map(|o| o.gate_days > 0.0).collect();
                if let Some(before) = &gated_before {
                    for (k, (&low, &high)) in before.iter().zip(&gated).enumerate() {
                        assert!(
                            low || !high,
                            "{}: scenario {k} gated at a higher threshold only",
                            p.describe()
                        );
                    }
                }
                gated_before = Some(gated);
            }
        }
    }

    let cfg = GateConfig {
        scenarios: 300,
        ..GateConfig::default()
    };
    let grid = calibrate_gates(&fund, &scenarios, seed, &sim, &cfg);
    assert!(grid.rows.iter().any(|r| r.shortfall_avoided > 0.0));
    for a in &grid.rows {
        for b in &grid.rows {
            let same_rest = a.alr == b.alr && a.stress == b.stress && a.gate_cap == b.gate_cap;
            if let (true, Some(ra), Some(rb)) = (same_rest, a.redemptions_30d, b.redemptions_30d) {
                if ra < rb {
                    assert!(
                        a.gate_frequency >= b.gate_frequency,
                        "{} gates less often than {}",
                        a.label,
                        b.label
                    );
                }
            }
        }
    }
    let use_case = grid.use_case.as_ref().unwrap();
    let p = GatePoint::use_case(&fund.model);
    let outs = sim.run(&p.apply(&fund.model, None), &scenarios, 0, seed);
    let raised = outs
        .iter()
        .zip(&base)
        .filter(|(o, b)| o.shortfall > b.shortfall)
        .count();
    close(
        use_case.shortfall_raised_share,
        raised as f64 / 300.0,
        "raised shortfalls",
    );

    // A larger fixed swing factor never dilutes more, scenario by scenario.
    for threshold in [0.0, 0.01] {
        let mut before: Option<Vec<f32>> = None;
        for factor in [0.001, 0.0025, 0.005, 0.01, 0.02] {
            let m = swing_model(&fund.model, threshold, factor, 0.02);
            let outs = sim.run(&m, &scenarios, 0, seed);
            let dilution: Vec<f32> = outs.iter().map(|o| o.dilution).collect();
            if let Some(prev) = &before {
                for (k, (a, b)) in prev.iter().zip(&dilution).enumerate() {
                    assert!(
                        *b as f64 <= *a as f64 + 1e-6,
                        "threshold {threshold}, factor {factor}: scenario {k} dilution {b} > {a}"
                    );
                }
            }
            before = Some(dilution);
        }
    }
}

#[test]
fn settings_errors_name_the_setting_and_the_value() {
    GateConfig::default().validate().unwrap();
    SwingConfig::default().validate().unwrap();

    let cfg = GateConfig {
        caps: vec![0.05, 1.5],
        ..GateConfig::default()
    };
    let e = cfg.validate().unwrap_err();
    assert_eq!(
        (e.setting.as_str(), e.value.as_str()),
        ("gates.caps", "[0.05, 1.5]")
    );

    let cfg = GateConfig {
        redemptions_30d: vec![None, Some(-0.1)],
        ..GateConfig::default()
    };
    let e = cfg.validate().unwrap_err();
    assert_eq!(e.setting, "gates.redemptions_30d");
    assert_eq!(e.value, "[off, -0.1]");

    let cfg = GateConfig {
        weights: GateWeights {
            protection: 0.6,
            operational: -0.2,
            reputation: 0.2,
        },
        ..GateConfig::default()
    };
    let e = cfg.validate().unwrap_err();
    assert!(
        e.to_string()
            .starts_with("gates.weights = [0.6, -0.2, 0.2]"),
        "{e}"
    );

    let cfg = GateConfig {
        redemptions_30d: vec![None],
        alr: vec![None],
        stress: vec![None],
        ..GateConfig::default()
    };
    let e = cfg.validate().unwrap_err();
    assert!(e.reason.contains("no gate"), "{e}");

    let cfg = GateConfig {
        scenarios: 0,
        ..GateConfig::default()
    };
    assert_eq!(cfg.validate().unwrap_err().setting, "gates.scenarios");

    let cfg = GateConfig {
        notice_days: vec![0, 5000],
        ..GateConfig::default()
    };
    let e = cfg.validate().unwrap_err();
    assert_eq!(
        (e.setting.as_str(), e.value.as_str()),
        ("gates.notice_days", "5000")
    );

    let cfg = SwingConfig {
        factors: vec![0.0, 0.03],
        ..SwingConfig::default()
    };
    let e = cfg.validate().unwrap_err();
    assert_eq!(
        (e.setting.as_str(), e.value.as_str()),
        ("swing.factors", "[0, 0.03]")
    );

    let cfg = SwingConfig {
        cap: 0.0,
        ..SwingConfig::default()
    };
    assert_eq!(cfg.validate().unwrap_err().setting, "swing.cap");

    let cfg = SwingConfig {
        thresholds: vec![],
        ..SwingConfig::default()
    };
    assert_eq!(cfg.validate().unwrap_err().setting, "swing.thresholds");
}

/// The default grid on the example: 15 trigger combinations (4 levels of 30-day requests × 2 of
/// ALR × 2 of stress, less "all off") × 2 caps, the use case's trigger among them at the fund's
/// 10% cap.
#[test]
fn the_default_grid_holds_the_use_case_trigger_on_the_example() {
    let fund = example_fund();
    let cfg = GateConfig::default();
    let points = cfg.points(&fund.model);
    assert_eq!(points.len(), (4 * 2 * 2 - 1) * 2);
    let use_case = GatePoint::use_case(&fund.model);
    assert!((use_case.cap - 0.10).abs() < 1e-6);
    assert_eq!(points.iter().filter(|p| p.same(&use_case)).count(), 1);

    // The optional dimensions multiply the grid and keep the use case's point.
    let wider = GateConfig {
        investor_caps: vec![None, Some(0.25)],
        notice_days: vec![0, 30],
        ..GateConfig::default()
    };
    wider.validate().unwrap();
    let wide = wider.points(&fund.model);
    // 16 trigger combinations × 2 caps × 2 investor settings × 2 notices, less the baseline
    // (no trigger, no investor gate, the fund's notice) at each cap.
    assert_eq!(wide.len(), 16 * 2 * 2 * 2 - 2);
    assert!(wide.iter().any(|p| p.same(&use_case)));
    let with_notice = wide
        .iter()
        .find(|p| p.notice_days == 30 && p.investor_cap == Some(0.25))
        .unwrap()
        .apply(&fund.model, Some(3));
    assert_eq!(with_notice.params.fund_notice, 30);
    assert!(with_notice.params.ring > 30);
    assert_eq!(with_notice.params.gate_min_days, 3);
    assert_ne!(
        with_notice.params.switches & undertow_kernel::switch::INVESTOR_GATE,
        0
    );

    let sim = Simulator::new(Some(2)).unwrap();
    let scenarios = scenario_block(&fund, 1, 0..150);
    let small = GateConfig {
        scenarios: 150,
        ..GateConfig::default()
    };
    let grid = calibrate_gates(&fund, &scenarios, 1, &sim, &small);
    assert_eq!(grid.rows.len(), 30);
    let u = grid.use_case.as_ref().unwrap();
    assert_eq!((u.redemptions_30d, u.alr), (Some(0.15), Some(1.2)));
    let mut ranks: Vec<u32> = grid.rows.iter().map(|r| r.rank).collect();
    ranks.sort_unstable();
    assert_eq!(ranks, (1..=30).collect::<Vec<u32>>());
    assert!(grid
        .rows
        .iter()
        .all(|r| r.score <= grid.best.as_ref().unwrap().score));
    let json = serde_json::to_value(&grid).unwrap();
    for key in [
        "scenarios",
        "weights",
        "baseline",
        "rows",
        "best",
        "use_case",
    ] {
        assert!(json.get(key).is_some(), "gate_grid.{key}");
    }
}

/// A horizon too short for a 2%-a-day gate to pay a 25% redemption: what it still owes at the
/// horizon is harm, so its harm avoided is the shortfall it avoided less what it left owed.
#[test]
fn redemptions_a_gate_leaves_owed_at_the_horizon_are_not_avoided_harm() {
    let fund = scripted_fund(0.10, 0.1e9, 0.0, 10, true);
    let scenarios = [redemption(0.05), redemption(0.25)];
    let sim = Simulator::new(Some(2)).unwrap();
    let cfg = thresholds_config(&[0.20], GateWeights::default());
    let grid = calibrate_gates(&fund, &scenarios, 1, &sim, &cfg);
    let r = row(&grid.rows, 0.20);
    assert!(r.gate_frequency > 0.0, "{r:?}");
    assert!(
        r.mean_deferred_end > grid.baseline.mean_deferred_end + 1e-4,
        "the gate leaves redemptions owed at day 10: {r:?}"
    );
    close(
        r.deferred_avoided,
        grid.baseline.mean_deferred_end - r.mean_deferred_end,
        "deferred avoided",
    );
    close(
        r.harm_avoided,
        r.shortfall_avoided + r.dilution_avoided + r.deferred_avoided,
        "harm avoided",
    );
    assert!(r.harm_avoided < r.shortfall_avoided - 1e-4, "{r:?}");
    let f = findings(
        &grid,
        &calibrate_swing(&fund, &scenarios, 1, &sim, &SwingConfig::default()),
    );
    let rec = f.iter().find(|x| x.topic == "recommended_gate").unwrap();
    assert!(
        rec.text.contains("still owed at the horizon"),
        "{}",
        rec.text
    );
    assert!(rec.text.contains("re-judged"), "{}", rec.text);
    assert!(
        rec.text.contains("conditional on the stress library")
            || rec.text.contains("Conditional on the stress library")
    );
    assert!(rec.values.contains_key("shortfall_frequency_low"));
}

//! Reruns that share work (issue 13): a memoised or sweep-served rerun returns exactly what a
//! fresh simulation returns, the comparator that says so catches a corrupted entry, each view
//! counts its own scenario-days, and the whole analysis is the same with or without reading the
//! sweep's records.

mod support;

use support::small_config;
use undertow_analysis::sim::{same_outputs, with_horizon, without, Simulator, Work};
use undertow_analysis::{run_analysis, run_analysis_from, AnalysisInputs};
use undertow_analysis::{StageId, SweepOrigin};
use undertow_host::cpu::CpuBackend;
use undertow_host::fund::{example_fund, Fund};
use undertow_host::run::scenario_block;
use undertow_kernel::{switch, ScenarioOutput, ScenarioParams};

const SEED: u64 = 11;

fn setup(n: u64) -> (Fund, Vec<ScenarioParams>) {
    let fund = example_fund();
    let scenarios = scenario_block(&fund, SEED, 0..n);
    (fund, scenarios)
}

/// A simulation nobody has memoised: a new simulator each time.
fn fresh(fund: &Fund, scenarios: &[ScenarioParams]) -> Vec<ScenarioOutput> {
    Simulator::new(Some(2))
        .unwrap()
        .run(&fund.model, scenarios, 0, SEED)
}

#[test]
fn a_memoised_rerun_is_the_fresh_rerun_and_is_simulated_once() {
    let (fund, scenarios) = setup(48);
    let days = 48 * fund.model.params.horizon as u64;
    let sim = Simulator::new(Some(2)).unwrap();
    let first = sim.run(&fund.model, &scenarios, 0, SEED);
    assert_eq!(
        sim.work(),
        Work {
            simulated_scenario_days: days,
            reruns: 1,
            reruns_shared: 0,
            shared_scenario_days: 0,
            device_scenario_days: 0,
            device_reruns: 0,
        }
    );
    let again = sim.run(&fund.model, &scenarios, 0, SEED);
    assert_eq!(sim.work().simulated_scenario_days, days, "simulated twice");
    assert_eq!((sim.work().reruns, sim.work().reruns_shared), (2, 1));
    assert_eq!(sim.work().shared_scenario_days, days);
    let reference = fresh(&fund, &scenarios);
    assert!(same_outputs(&first, &reference));
    assert!(same_outputs(&again, &reference));

    // A different model, seed, first index or scenario slice is its own rerun.
    let off = without(&fund.model, switch::GATES);
    assert_ne!(off, fund.model, "the example has gates on");
    sim.run(&off, &scenarios, 0, SEED);
    sim.run(&fund.model, &scenarios, 0, SEED + 1);
    sim.run(&fund.model, &scenarios, 1, SEED);
    sim.run(&fund.model, &scenarios[..40], 0, SEED);
    let w = sim.work();
    assert_eq!((w.reruns, w.reruns_shared), (6, 1));
    assert_eq!(w.simulated_scenario_days, 4 * days + 40 * days / 48);
}

#[test]
fn observed_reruns_are_memoised_and_serve_plain_ones() {
    let (fund, scenarios) = setup(40);
    let sim = Simulator::new(Some(2)).unwrap();
    let other = Simulator::new(Some(1)).unwrap();
    let (h_outs, h_ends) = sim.run_with_holders(&fund.model, &scenarios, 0, SEED);
    let (h_outs2, h_ends2) = sim.run_with_holders(&fund.model, &scenarios, 0, SEED);
    let (f_outs, f_ends) = other.run_with_holders(&fund.model, &scenarios, 0, SEED);
    assert!(same_outputs(&h_outs, &f_outs) && same_outputs(&h_outs2, &f_outs));
    assert_eq!(h_ends, f_ends);
    assert_eq!(h_ends2, f_ends);
    // The observer only reads: its outputs are the plain run's, and serve it.
    let plain = sim.run(&fund.model, &scenarios, 0, SEED);
    assert!(same_outputs(&plain, &fresh(&fund, &scenarios)));
    assert_eq!(sim.work().reruns_shared, 2);

    let short = with_horizon(&fund.model, 20);
    let (p_outs, p_ends) = sim.run_with_positions(&short, &scenarios, 0, SEED);
    let (p_outs2, p_ends2) = sim.run_with_positions(&short, &scenarios, 0, SEED);
    let (f_outs, f_ends) = other.run_with_positions(&short, &scenarios, 0, SEED);
    assert!(same_outputs(&p_outs, &f_outs) && same_outputs(&p_outs2, &f_outs));
    assert_eq!(p_ends, f_ends);
    assert_eq!(p_ends2, f_ends);
    let w = sim.work();
    assert_eq!(w.reruns_shared, 3);
    // 40 scenarios of 90 days (holders) and of 20 days (positions) simulated once each.
    assert_eq!(w.simulated_scenario_days, 40 * 90 + 40 * 20);
}

#[test]
fn observer_records_past_the_memo_budget_are_simulated_again_and_equal() {
    let (fund, scenarios) = setup(32);
    let sim = Simulator::with_record_limit(Some(2), 0).unwrap();
    let (a, ea) = sim.run_with_positions(&fund.model, &scenarios, 0, SEED);
    let (b, eb) = sim.run_with_positions(&fund.model, &scenarios, 0, SEED);
    assert!(same_outputs(&a, &b));
    assert_eq!(ea, eb);
    let w = sim.work();
    assert_eq!((w.reruns, w.reruns_shared), (2, 0), "nothing kept");
    // Their outputs are kept (small), and serve a plain rerun.
    sim.run(&fund.model, &scenarios, 0, SEED);
    assert_eq!(sim.work().reruns_shared, 1);
}

#[test]
fn views_share_the_memo_and_count_their_own_work() {
    let (fund, scenarios) = setup(32);
    let sim = Simulator::new(Some(2)).unwrap();
    let (a, b) = (sim.view(), sim.view());
    let from_a = a.run(&fund.model, &scenarios, 0, SEED);
    let from_b = b.run(&fund.model, &scenarios, 0, SEED);
    assert!(same_outputs(&from_a, &from_b));
    let days = 32 * fund.model.params.horizon as u64;
    assert_eq!(a.work().simulated_scenario_days, days);
    assert_eq!(b.work().simulated_scenario_days, 0);
    assert_eq!(b.work().reruns_shared, 1);
    assert_eq!(sim.total_work().reruns, 2);
    assert_eq!(sim.total_work().simulated_scenario_days, days);
    assert_eq!(sim.work().reruns, 0, "the parent view asked for nothing");
}

#[test]
fn reruns_of_the_unchanged_fund_are_read_from_the_sweep() {
    let (fund, scenarios) = setup(64);
    let sweep = CpuBackend::new(Some(2), 16)
        .unwrap()
        .run::<f32>(&fund.model, &scenarios, 0, SEED);
    let sim = Simulator::new(Some(2)).unwrap();
    assert!(sim.reuse_sweep(&fund.model, &scenarios, SEED, &sweep));
    let guard = sim.total_work().simulated_scenario_days;
    assert_eq!(
        guard,
        32 * fund.model.params.horizon as u64,
        "the guard's 32"
    );
    let view = sim.view();
    let first = view.run(&fund.model, &scenarios[..50], 0, SEED);
    assert!(same_outputs(&first, &fresh(&fund, &scenarios[..50])));
    assert_eq!(view.work().simulated_scenario_days, 0);
    assert_eq!(view.work().reruns_shared, 1);
    // Not for another model, another seed, or scenarios that are not the sweep's first.
    view.run(&without(&fund.model, switch::GATES), &scenarios, 0, SEED);
    view.run(&fund.model, &scenarios[1..], 1, SEED);
    view.run(&fund.model, &scenarios, 0, SEED + 1);
    assert_eq!(view.work().reruns_shared, 1);
}

#[test]
fn records_that_are_not_the_simulators_own_are_refused_by_the_guard() {
    let (fund, scenarios) = setup(64);
    let mut sweep = fresh(&fund, &scenarios);
    sweep[3].shortfall += 1e-3;
    let sim = Simulator::new(Some(2)).unwrap();
    assert!(!sim.reuse_sweep(&fund.model, &scenarios, SEED, &sweep));
    let outs = sim.run(&fund.model, &scenarios, 0, SEED);
    assert!(same_outputs(&outs, &fresh(&fund, &scenarios)));
    assert_eq!(sim.work().reruns_shared, 0);
}

/// The comparator the memo's tests rely on: an entry corrupted past the guard's scenarios is
/// served (the guard reads only the first 32), and comparing it with a fresh rerun finds it.
#[test]
fn a_corrupted_entry_is_caught_by_the_comparison_with_a_fresh_rerun() {
    let (fund, scenarios) = setup(64);
    let reference = fresh(&fund, &scenarios);
    let mut corrupt = reference.clone();
    corrupt[50].cost_impact = f32::from_bits(corrupt[50].cost_impact.to_bits() ^ 1);
    let sim = Simulator::new(Some(2)).unwrap();
    assert!(sim.reuse_sweep(&fund.model, &scenarios, SEED, &corrupt));
    let served = sim.run(&fund.model, &scenarios, 0, SEED);
    assert!(!same_outputs(&served, &reference), "one bit off must show");
    assert!(same_outputs(&served[..50], &reference[..50]));
    // NaN payloads count too: the comparison is of bits, not of values.
    let mut nan = reference.clone();
    nan[0].shortfall = f32::NAN;
    let mut other_nan = reference.clone();
    other_nan[0].shortfall = f32::from_bits(f32::NAN.to_bits() | 1);
    assert!(same_outputs(&nan, &nan.clone()));
    assert!(!same_outputs(&nan, &other_nan));
    assert!(!same_outputs(&reference, &reference[..63]));
}

/// summary.json's analysis part less what may differ: seconds and the work counters.
fn comparable(s: &undertow_analysis::AnalysisSummary) -> serde_json::Value {
    let mut v = serde_json::to_value(s).unwrap();
    for st in v["stages"].as_array_mut().unwrap() {
        let st = st.as_object_mut().unwrap();
        for k in [
            "seconds",
            "simulated_scenario_days",
            "reruns",
            "reruns_shared",
        ] {
            assert!(st.remove(k).is_some(), "{k}");
        }
    }
    v
}

#[test]
fn the_analysis_reading_the_sweep_is_the_analysis_rerunning_everything() {
    let (fund, scenarios) = setup(60);
    let sweep = CpuBackend::new(Some(2), 16)
        .unwrap()
        .run::<f32>(&fund.model, &scenarios, 0, SEED);
    let inputs = AnalysisInputs {
        fund: &fund,
        base_outputs: &sweep,
        seed: SEED,
    };
    let cfg = small_config();
    let all = run_analysis(inputs, &cfg, &StageId::ALL, Some(2)).unwrap();
    let read =
        run_analysis_from(inputs, SweepOrigin::CpuF32, &cfg, &StageId::ALL, Some(2)).unwrap();
    assert_eq!(comparable(&all), comparable(&read));
    let sum = |s: &undertow_analysis::AnalysisSummary,
               f: fn(&undertow_analysis::StageRun) -> u64| {
        s.stages.iter().map(f).sum::<u64>()
    };
    assert_eq!(sum(&all, |r| r.reruns), sum(&read, |r| r.reruns));
    // The stages' reruns of the fund as given (the swing grid's no-swing baseline, when the fund
    // has swing pricing off) are now simulated anyway, as the reference their grid's points are
    // followed along (`Simulator::run_variants`): reading the sweep may save nothing, never
    // costs anything.
    assert!(sum(&read, |r| r.reruns_shared) >= sum(&all, |r| r.reruns_shared));
    assert!(sum(&read, |r| r.simulated_scenario_days) <= sum(&all, |r| r.simulated_scenario_days));
    // Every rerun was either simulated or shared.
    for r in &all.stages {
        assert!(r.reruns_shared <= r.reruns, "{:?}", r.stage);
    }
    assert!(sum(&all, |r| r.simulated_scenario_days) > 0);
}

#[test]
fn the_runs_block_is_known_by_content_not_by_where_it_lives() {
    let (fund, scenarios) = setup(40);
    let sim = Simulator::new(Some(2)).unwrap();
    let block = sim.share_scenarios(scenarios.clone());
    let a = sim.run(&fund.model, &block[..30], 0, SEED);
    // The same records in another vector are the same rerun.
    let copy: Vec<ScenarioParams> = scenarios[..30].to_vec();
    let b = sim.run(&fund.model, &copy, 0, SEED);
    assert!(same_outputs(&a, &b));
    assert_eq!(sim.work().reruns_shared, 1);
    // Records that differ in one word are not.
    let mut changed = copy.clone();
    changed[29].redemption_mult += 0.5;
    let c = sim.run(&fund.model, &changed, 0, SEED);
    assert!(!same_outputs(&a, &c) || changed[29] == copy[29]);
    assert_eq!(sim.work().reruns_shared, 1);
    let fresh_c = fresh(&fund, &changed);
    assert!(same_outputs(&c, &fresh_c));
    // A second block is dropped: the first stays.
    let again = sim.share_scenarios(changed.clone());
    assert_eq!(again, &scenarios[..]);
}

/// The threshold ladder read from one observed run is, level by level, what real reruns with
/// those thresholds record, bit for bit (breach days included, and some do breach); one run's
/// work is counted, not one per level; and a corrupted breach day is caught by the comparator.
#[test]
fn the_threshold_ladder_from_one_run_is_the_reruns() {
    let (fund, scenarios) = setup(96);
    let own = fund.model.params.indicator_thresholds;
    let ladder: Vec<[f32; undertow_kernel::N_INDICATORS]> = [0.25f32, 0.6, 1.0, 1.7, 3.0]
        .iter()
        .map(|f| own.map(|x| x * f))
        .collect();
    let sim = Simulator::new(Some(2)).unwrap();
    let levels = sim.run_threshold_ladder(&fund.model, &scenarios, 0, SEED, &ladder);
    assert_eq!(
        sim.work().simulated_scenario_days,
        96 * fund.model.params.horizon as u64
    );
    assert_eq!(levels.len(), ladder.len());
    let mut breaches = 0;
    for (thresholds, level) in ladder.iter().zip(&levels) {
        let mut model = fund.model.clone();
        model.params.indicator_thresholds = *thresholds;
        let rerun = fresh_model(&model, &scenarios);
        assert!(same_outputs(level, &rerun), "level {thresholds:?}");
        breaches += level
            .iter()
            .flat_map(|o| o.ew_first_breach)
            .filter(|d| *d >= 0.0)
            .count();
    }
    assert!(breaches > 50, "{breaches} breaches in the ladder");
    let mut corrupted = levels[2].clone();
    let o = corrupted
        .iter_mut()
        .find(|o| o.ew_first_breach.iter().any(|d| *d >= 0.0))
        .expect("a breach at the fund's own thresholds");
    let k = o.ew_first_breach.iter().position(|d| *d >= 0.0).unwrap();
    o.ew_first_breach[k] += 1.0;
    assert!(!same_outputs(&corrupted, &levels[2]));
}

fn fresh_model(
    model: &undertow_kernel::FundModel,
    scenarios: &[ScenarioParams],
) -> Vec<ScenarioOutput> {
    Simulator::new(Some(2))
        .unwrap()
        .run(model, scenarios, 0, SEED)
}

/// The gate grid and swing grid as the stages ask for them: every point served by
/// `run_variants` (followed along the baseline, simulated only where it departs) is the fresh
/// rerun of that point bit for bit; the work counted is the scenarios simulated, fewer than the
/// plain reruns'; a point that is not a policy variant (a longer notice) is a plain rerun; and a
/// variant asked again is served from the memo.
#[test]
fn policy_variants_followed_along_one_run_are_the_fresh_reruns() {
    use undertow_analysis::redemption_policy::config::{GateConfig, SwingConfig};
    use undertow_analysis::redemption_policy::gates::baseline_model;
    use undertow_analysis::redemption_policy::swing::swing_model;

    let n = 300;
    let (fund, scenarios) = setup(n);
    let h = fund.model.params.horizon as u64;
    let cfg = GateConfig::default();
    let base = baseline_model(&fund.model);
    let mut variants: Vec<_> = cfg
        .points(&fund.model)
        .iter()
        .map(|p| p.apply(&fund.model, None))
        .collect();
    let sc = SwingConfig::default();
    variants.push(swing_model(&fund.model, 0.01, 0.005, sc.cap));
    variants.push(swing_model(&fund.model, 0.0, 0.0, sc.cap));
    // Not a policy variant of the baseline: its notice lengthens the rings.
    let mut notice = variants[0].clone();
    notice.params.fund_notice += 5;
    notice.params.ring += 5;
    variants.push(notice);

    let sim = Simulator::new(Some(2)).unwrap();
    let (b, outs) = sim.run_variants(&base, &variants, &scenarios, 0, SEED);
    let w = sim.work();
    assert_eq!(w.reruns, 1 + variants.len() as u64);
    assert_eq!(w.reruns_shared, 0);
    assert_eq!(
        w.simulated_scenario_days + w.shared_scenario_days,
        (1 + variants.len() as u64) * n * h,
        "every scenario-day asked for is simulated or read from the baseline"
    );
    assert!(
        w.simulated_scenario_days * 2 < (1 + variants.len() as u64) * n * h,
        "following should save at least half the work on the example: {w:?}"
    );

    let plain = Simulator::new(Some(2)).unwrap();
    assert!(same_outputs(&b, &plain.run(&base, &scenarios, 0, SEED)));
    let mut differs = 0;
    for (v, o) in variants.iter().zip(&outs) {
        let fresh = plain.run(v, &scenarios, 0, SEED);
        assert!(
            same_outputs(o, &fresh),
            "a followed variant differs from its rerun"
        );
        if !same_outputs(o, &b) {
            differs += 1;
        }
    }
    assert!(
        differs > variants.len() / 2,
        "the grid must move the records: {differs}"
    );

    // Asked again: every variant from the memo.
    let (_, again) = sim.run_variants(&base, &variants, &scenarios, 0, SEED);
    assert_eq!(
        sim.work().simulated_scenario_days,
        w.simulated_scenario_days
    );
    assert!(again.iter().zip(&outs).all(|(a, o)| same_outputs(a, o)));

    // The comparator sees a corrupted record of a followed variant.
    let mut corrupted = outs[3].clone();
    corrupted[n as usize / 2].shortfall += 1e-6;
    assert!(!same_outputs(
        &corrupted,
        &plain.run(&variants[3], &scenarios, 0, SEED)
    ));
}

/// The ladder's one observed run of the fund also serves the attribution's all-on holders run
/// and the fund's own strategy run on the same scenarios: both come from the memo, equal to
/// fresh observed runs (holders' and positions' ends included), and simulate nothing more; with
/// no budget for positions' ends, the positions run is simulated again and still equal.
#[test]
fn the_ladders_run_serves_the_holders_and_positions_runs() {
    let (fund, scenarios) = setup(64);
    let days = 64 * fund.model.params.horizon as u64;
    let ladder = [fund.model.params.indicator_thresholds];
    let fresh = Simulator::new(Some(2)).unwrap();
    let (outs_h, holders) = fresh.run_with_holders(&fund.model, &scenarios, 0, SEED);
    let (outs_p, positions) = fresh.run_with_positions(&fund.model, &scenarios, 0, SEED);

    let sim = Simulator::new(Some(2)).unwrap();
    sim.run_threshold_ladder(&fund.model, &scenarios, 0, SEED, &ladder);
    let (o, h) = sim.run_with_holders(&fund.model, &scenarios, 0, SEED);
    let (o2, p) = sim.run_with_positions(&fund.model, &scenarios, 0, SEED);
    assert_eq!(
        sim.work().simulated_scenario_days,
        days,
        "served, not simulated"
    );
    assert_eq!((sim.work().reruns, sim.work().reruns_shared), (3, 2));
    assert!(same_outputs(&o, &outs_h) && same_outputs(&o2, &outs_p));
    assert_eq!(h, holders);
    assert_eq!(p, positions);
    // A corrupted end is seen.
    let mut bad = p.clone();
    bad[3].sold[1] += 1e-9;
    assert_ne!(bad, positions);

    let tight = Simulator::with_record_limit(Some(2), 1024).unwrap();
    tight.run_threshold_ladder(&fund.model, &scenarios, 0, SEED, &ladder);
    let (_, p) = tight.run_with_positions(&fund.model, &scenarios, 0, SEED);
    assert_eq!(tight.work().simulated_scenario_days, 2 * days);
    assert_eq!(p, positions);
}

/// The liquidation designer's strategies as the stage asks for them: every model served by
/// `run_variants_with_positions` (the fund's own strategy from the ladder's run, the first other
/// one simulated, the rest followed along it and simulated only where they depart) is the fresh
/// observed rerun of that model bit for bit, positions' ends included; a model that is not a
/// strategy variant (the reference, its channels off) is a plain rerun; a model asked twice is
/// served; the work counted is the scenarios simulated, less than the plain reruns'; and a
/// corrupted end is seen.
#[test]
fn strategy_variants_followed_along_one_run_are_the_fresh_observed_reruns() {
    use undertow_analysis::liquidation_design::reference_model;
    use undertow_analysis::liquidation_design::strategies::end_measures;
    use undertow_analysis::liquidation_design::{config::LiquidationConfig, variant_models};

    let n = 200;
    let (fund, scenarios) = setup(n);
    let h = fund.model.params.horizon as u64;
    let mut models = variant_models(&fund, None, &LiquidationConfig::default());
    let mut reversed = fund.model.waterfall_order.clone();
    reversed.reverse();
    models.extend(variant_models(&fund, Some(&reversed), &LiquidationConfig::default()).pop());
    models.push(reference_model(&fund));
    models.push(models[1].clone());
    let m = models.len() as u64;

    let sim = Simulator::new(Some(2)).unwrap();
    sim.run_threshold_ladder(
        &fund.model,
        &scenarios,
        0,
        SEED,
        &[fund.model.params.indicator_thresholds],
    );
    let before = sim.work();
    // Reduced to the ends themselves, so that every position's are compared.
    let runs = sim.run_variants_with_positions(&models, &scenarios, 0, SEED, |_, e| e.clone());
    let w = sim.work();
    let asked = w.reruns - before.reruns;
    let simulated = w.simulated_scenario_days - before.simulated_scenario_days;
    let served = w.shared_scenario_days - before.shared_scenario_days;
    assert_eq!(asked, m);
    assert_eq!(
        simulated + served,
        m * n * h,
        "every scenario-day is simulated or served"
    );
    assert!(
        simulated + 2 * n * h < (m - 1) * n * h,
        "following saves more than two runs' work on the example: {simulated} of {}",
        (m - 1) * n * h
    );
    assert_eq!(
        w.reruns_shared - before.reruns_shared,
        2,
        "the fund's own strategy and the model asked twice"
    );

    let plain = Simulator::new(Some(2)).unwrap();
    let mut differs = 0;
    for (i, (model, (outs, ends))) in models.iter().zip(&runs).enumerate() {
        let (fresh, fresh_ends) = plain.run_with_positions(model, &scenarios, 0, SEED);
        assert!(
            same_outputs(outs, &fresh),
            "model {i}: records differ from a fresh rerun"
        );
        assert_eq!(
            ends, &fresh_ends,
            "model {i}: positions' ends differ from a fresh rerun"
        );
        if !same_outputs(outs, &runs[0].0) {
            differs += 1;
        }
    }
    assert!(
        differs >= 3,
        "the strategies must move the records: {differs}"
    );

    // A corrupted end of a followed strategy is seen.
    let (_, fresh_ends) = plain.run_with_positions(&models[2], &scenarios, 0, SEED);
    let mut bad = runs[2].1.clone();
    let k = bad
        .iter()
        .position(|e| e.sold.iter().any(|&s| s > 0.0))
        .unwrap();
    bad[k].sold[0] += 1e-9;
    assert_ne!(bad, fresh_ends);

    // The stage's own reduction, on a fresh simulator: each model's measures are those of its
    // fresh rerun's ends.
    let sim = Simulator::new(Some(2)).unwrap();
    let reduced = sim.run_variants_with_positions(&models, &scenarios, 0, SEED, end_measures);
    for (i, ((_, measures), (_, ends))) in reduced.iter().zip(&runs).enumerate() {
        let fresh: Vec<_> = ends.iter().map(|e| end_measures(&models[i], e)).collect();
        assert_eq!(measures, &fresh, "model {i}: measures differ");
    }
}

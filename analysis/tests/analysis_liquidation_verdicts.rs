//! Stage 4's re-judged verdicts on constructed inputs: the hierarchy claim's paired reduction,
//! interval and win share against closed forms; what an interval supports against the band; the
//! significant-redemption scenarios chosen on a reference run that is none of the compared
//! strategies; and the MTM loss of an execution against its closed form.

use std::path::Path;

use undertow_analysis::liquidation_design::execution::{ac_params, execute, ExecutionSettings};
use undertow_analysis::liquidation_design::hierarchy::{interval_verdict, paired_reduction};
use undertow_analysis::liquidation_design::{
    reference_model, significant_scenarios, REFERENCE_OFF,
};
use undertow_analysis::market_liquidity::{Condition, Pricing};
use undertow_analysis::redemption_policy::early_warning::Z95;
use undertow_host::fund::{parse_fund, Fund};
use undertow_kernel::testing::redemption_scenario;
use undertow_kernel::{switch, ScenarioOutput};

#[test]
fn the_paired_reduction_matches_its_closed_forms() {
    // h = p / 2 in every scenario: reduction exactly 1/2 with a zero-width interval; differences
    // −1, −2, −3 (mean −2, sd 1, s.e. 1/√3); the hierarchy wins all 3: Wilson [3/(3+z²), 1].
    let h = [1.0, 2.0, 3.0];
    let p = [2.0, 4.0, 6.0];
    let r = paired_reduction(&h, &p);
    assert!((r.reduction - 0.5).abs() < 1e-12);
    assert!((r.ci[0] - 0.5).abs() < 1e-12 && (r.ci[1] - 0.5).abs() < 1e-12);
    assert!((r.difference + 2.0).abs() < 1e-12);
    assert!((r.difference_se - 1.0 / 3f64.sqrt()).abs() < 1e-12);
    assert_eq!(r.wins, 1.0);
    assert!((r.wins_ci[0] - 3.0 / (3.0 + Z95 * Z95)).abs() < 1e-12);
    assert_eq!(r.wins_ci[1], 1.0);
    // A corrupted scenario widens the interval around a different reduction and loses a win.
    let bad = paired_reduction(&[1.0, 2.0, 7.0], &p);
    assert!((bad.reduction - (1.0 - 10.0 / 12.0)).abs() < 1e-12);
    assert!(bad.ci[1] - bad.ci[0] > 0.1);
    assert!((bad.wins - 2.0 / 3.0).abs() < 1e-12);
    // Delta method: se = sd(h − r p) / (√n p̄).
    let ratio = 10.0 / 12.0;
    let lin: Vec<f64> = [1.0, 2.0, 7.0]
        .iter()
        .zip(&p)
        .map(|(a, b)| a - ratio * b)
        .collect();
    let m = lin.iter().sum::<f64>() / 3.0;
    let sd = (lin.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / 2.0).sqrt();
    let se = sd / (3f64.sqrt() * 4.0);
    assert!((bad.ci[1] - bad.reduction - Z95 * se).abs() < 1e-12);
    assert!(paired_reduction(&[], &[]).reduction.is_nan());
}

#[test]
fn an_interval_supports_a_verdict_only_when_both_ends_agree() {
    let band = [0.2, 0.4];
    assert_eq!(interval_verdict([0.25, 0.35], band), "holds");
    assert_eq!(interval_verdict([0.1, 0.3], band), "undecided");
    assert_eq!(interval_verdict([0.5, 0.6], band), "understated");
    assert_eq!(interval_verdict([0.05, 0.1], band), "overstated");
    assert_eq!(interval_verdict([-0.1, -0.05], band), "no_reduction");
    assert_eq!(interval_verdict([-0.1, 0.1], band), "undecided");
    assert_eq!(interval_verdict([f64::NAN, 0.3], band), "undecided");
}

#[test]
fn significant_scenarios_come_from_the_reference_records() {
    let rec = |r30: f32| {
        let mut o = ScenarioOutput::default();
        o.cum_requested[2] = r30;
        o
    };
    let reference = [rec(0.05), rec(0.10), rec(0.2), rec(0.099_9)];
    assert_eq!(significant_scenarios(&reference, 0.10), vec![1, 2]);
    assert!(significant_scenarios(&reference, 0.5).is_empty());
}

/// One position, linear impact, permanent impact on (half of the impact stays in the price).
fn perm_fund(permanent: bool) -> Fund {
    let text = format!(
        r#"
[fund]
name = "Perm"
aum = 1.0e9
cash = 0.02
redemption_settlement_days = 1
horizon_days = 5

[[positions]]
id = "A"
class = "equities"
weight = 0.98
adv = 0.5e9
spread_bps = 10
vol_annual = 0.15
impact = 0.05
settlement_days = 1

[[segments]]
name = "holders"
share = 1.0
base_rate = 0.0

[liquidation]
impact_model = "linear"
participation_cap = 1.0
permanent_fraction = 0.5

[model]
noise = false
permanent_impact = {permanent}
"#
    );
    parse_fund(&text, "perm.toml", Path::new("")).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_reference_run_switches_off_only_the_endogenous_channels() {
    let fund = perm_fund(true);
    let m = reference_model(&fund);
    assert_eq!(m.params.switches & REFERENCE_OFF, 0);
    assert_eq!(
        m.params.switches | REFERENCE_OFF,
        fund.model.params.switches | REFERENCE_OFF
    );
    // The exogenous channels stay as the fund has them.
    let exo = switch::FEEDBACK_STRESS | switch::FEEDBACK_PERF;
    assert_eq!(m.params.switches & exo, fund.model.params.switches & exo);
}

#[test]
fn an_executions_mtm_loss_is_its_permanent_impact_on_what_is_kept() {
    let fund = perm_fund(true);
    let pricing = Pricing::of(&fund);
    let cond = Condition::stressed(&[redemption_scenario(0, 0, 0.0)], fund.classes.len(), 0.5);
    let s = ExecutionSettings {
        participation: 0.5,
        time_slicing_days: 5,
        risk_aversion: 0.0,
        block_discount: 0.01,
        block_limit_adv: 0.5,
        max_days: 90.0,
    };
    let pos = &fund.model.positions[0];
    let p = ac_params(&fund, &pricing, pos, &cond, s.participation);
    assert!(p.gamma > 0.0);
    let x = 0.3;
    let kept = pos.weight as f64 - x;
    let e = execute(&fund, &pricing, pos, &cond, x, "volume_participation", &s);
    assert!(
        (e.mtm_loss - p.gamma * x * kept).abs() < 1e-15,
        "{}",
        e.mtm_loss
    );
    // A block sold to a dealer moves no price: only the rest counts.
    let b = execute(&fund, &pricing, pos, &cond, x, "block_trade", &s);
    let block = x.min(s.block_limit_adv * cond.market(pos).volume);
    assert!((b.mtm_loss - p.gamma * (x - block) * kept).abs() < 1e-15);
    assert!(b.mtm_loss < e.mtm_loss);
    // Without permanent impact there is none.
    let off = perm_fund(false);
    let e0 = execute(
        &off,
        &Pricing::of(&off),
        &off.model.positions[0],
        &cond,
        x,
        "volume_participation",
        &s,
    );
    assert_eq!(e0.mtm_loss, 0.0);
}

#[test]
fn the_recommendation_is_compared_scenario_by_scenario_with_the_runner_up() {
    use undertow_analysis::liquidation_design::{design, LiquidationConfig};
    use undertow_analysis::market_liquidity::config::ProfileConfig;
    use undertow_analysis::market_liquidity::profile;
    use undertow_analysis::sim::Simulator;
    let fund = perm_fund(true);
    let scenarios = vec![
        redemption_scenario(0, 0, 0.2),
        redemption_scenario(1, 0, 0.05),
    ];
    let sim = Simulator::new(Some(1)).unwrap();
    let market = profile(&fund, &scenarios, &ProfileConfig::default());
    let r = design(
        &fund,
        &market,
        &scenarios,
        3,
        &sim,
        &LiquidationConfig::default(),
    );
    let c = r.recommended_vs_runner_up.as_ref().unwrap();
    assert_eq!(c.strategy, r.recommended);
    assert_ne!(c.other, r.recommended);
    let runner_up = r.strategy(&c.other).unwrap();
    let best = r.recommended_result().unwrap();
    // The mean paired difference is the difference of the means.
    assert!(
        (c.difference_bps - (best.mean_cost_with_mtm_bps - runner_up.mean_cost_with_mtm_bps)).abs()
            < 1e-9
    );
    assert!(c.wins_ci[0] <= c.wins && c.wins <= c.wins_ci[1]);
    // Only the 20% scenario asked for 10% of NAV in the reference run.
    assert_eq!(r.significant_scenarios, 1);
}

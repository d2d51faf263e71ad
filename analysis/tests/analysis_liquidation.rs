//! Known answers of stage 4, the liquidation strategy designer: strategy costs of a two-position
//! fund against their closed forms, the Almgren–Chriss schedules against theirs, monotonicity on
//! common random numbers, the hierarchy's layers on a constructed fund, the settings' validation,
//! the position-level rerun against the plain one, and the report's shape on the example fund.

use std::path::Path;

use undertow_analysis::liquidation_design::execution::{
    ac_kappa, ac_schedule, cost_variance, execute, execution_row, expected_cost, linear_schedule,
    AcParams, ExecutionSettings,
};
use undertow_analysis::liquidation_design::findings::findings;
use undertow_analysis::liquidation_design::tables::tables;
use undertow_analysis::liquidation_design::{
    design, LiquidationConfig, LiquidationReport, LAYERS, STRATEGIES,
};
use undertow_analysis::market_liquidity::config::ProfileConfig;
use undertow_analysis::market_liquidity::{profile, Condition, Pricing};
use undertow_analysis::sim::Simulator;
use undertow_analysis::StageId;
use undertow_host::fund::{example_fund, parse_fund, Fund};
use undertow_host::run::scenario_block;
use undertow_kernel::testing::redemption_scenario;
use undertow_kernel::ScenarioParams;

/// Two positions in two classes, linear impact, every mechanism but the scripted redemption off,
/// one quiet segment holding the whole fund, proceeds and redemptions settling the next day.
/// `DEEP`: depth 1 NAV a day, 10 bp spread; `SHALLOW`: depth 0.2 NAV a day, 20 bp spread; both
/// with a linear impact coefficient of 0.05. `spread_scale` widens both spreads.
fn two_position_fund(spread_scale: f64) -> Fund {
    let text = format!(
        r#"
[fund]
name = "Two positions"
aum = 1.0e9
cash = 0.02
redemption_settlement_days = 1
horizon_days = 5

[[positions]]
id = "DEEP"
class = "equities"
weight = 0.49
adv = 1.0e9
spread_bps = {deep}
vol_annual = 0.15
impact = 0.05
settlement_days = 1
alpha = 0.02

[[positions]]
id = "SHALLOW"
class = "credit"
weight = 0.49
adv = 0.2e9
spread_bps = {shallow}
vol_annual = 0.10
impact = 0.05
settlement_days = 1
alpha = 0.05

[[segments]]
name = "holders"
share = 1.0
base_rate = 0.0

[liquidation]
impact_model = "linear"
participation_cap = 1.0
waterfall_order = "given"

[model]
noise = false
feedback_performance = false
feedback_herding = false
feedback_liquidity = false
feedback_stress = false
crowding = false
permanent_impact = false
funding = false
gates = false
swing_pricing = false
large_investors = false
base_flows = false
"#,
        deep = 10.0 * spread_scale,
        shallow = 20.0 * spread_scale,
    );
    parse_fund(&text, "two-positions.toml", Path::new("")).unwrap_or_else(|e| panic!("{e}"))
}

/// The fund's positions as (half spread, linear impact per unit of depth, depth, weight, alpha),
/// read back from the kernel model so that the closed forms use the simulated numbers.
fn terms(fund: &Fund) -> Vec<(f64, f64, f64, f64, f64)> {
    fund.model
        .positions
        .iter()
        .map(|p| {
            (
                0.5 * p.spread as f64,
                p.impact as f64,
                p.adv as f64,
                p.weight as f64,
                p.alpha as f64,
            )
        })
        .collect()
}

/// The root of `a x² + b x + c = 0` on the branch where the left side increases with `x` from
/// below zero (net proceeds rising with the sale).
fn rising_root(a: f64, b: f64, c: f64) -> f64 {
    let disc = (b * b - 4.0 * a * c).sqrt();
    let roots = [(-b + disc) / (2.0 * a), (-b - disc) / (2.0 * a)];
    roots
        .into_iter()
        .filter(|&x| 2.0 * a * x + b > 0.0)
        .fold(f64::NAN, |_, x| x)
}

fn cost(t: &[(f64, f64, f64, f64, f64)], q: &[f64]) -> f64 {
    t.iter()
        .zip(q)
        .map(|(&(c, eta, d, _, _), &q)| q * (c + eta * q / d))
        .sum()
}

fn net(t: &(f64, f64, f64, f64, f64), q: f64) -> f64 {
    q * (1.0 - t.0 - t.1 * q / t.2)
}

fn run_design(
    fund: &Fund,
    scenarios: &[ScenarioParams],
    cfg: &LiquidationConfig,
) -> LiquidationReport {
    let sim = Simulator::new(Some(2)).unwrap();
    let market = profile(fund, scenarios, &ProfileConfig::default());
    design(fund, &market, scenarios, 3, &sim, cfg)
}

fn close(a: f64, b: f64, rel: f64, what: &str) {
    assert!(
        (a - b).abs() <= rel * b.abs().max(1e-12),
        "{what}: {a} against {b} (relative tolerance {rel})"
    );
}

#[test]
fn two_position_strategy_costs_match_their_closed_forms() {
    let fund = two_position_fund(1.0);
    let redemption = 0.2;
    let scenarios = vec![redemption_scenario(0, 0, redemption as f32)];
    let cfg = LiquidationConfig::default();
    let r = run_design(&fund, &scenarios, &cfg);
    let t = terms(&fund);
    let cash = fund.model.params.initial_cash as f64;
    // Day 0 sells net proceeds equal to the redemption less the cash; nothing else happens.
    let goal = redemption - cash;

    // Waterfall in the given order: DEEP alone, q (1 − c − η q / d) = goal.
    let (c, eta, d, _, _) = t[0];
    let q_wf = rising_root(-eta / d, 1.0 - c, -goal);
    let wf = cost(&t, &[q_wf, 0.0]);

    // Pro rata: the same fraction f of both holdings.
    let (a, b) = t.iter().fold((0.0, 0.0), |(a, b), &(c, eta, d, w, _)| {
        (a - eta * w * w / d, b + w * (1.0 - c))
    });
    let f = rising_root(a, b, -goal);
    let q_pr: Vec<f64> = t.iter().map(|x| f * x.3).collect();
    let pr = cost(&t, &q_pr);

    // Min cost: marginal costs c + 2 η q / d equal at μ, q_p = k_p (μ − c_p) with k_p = d/(2η);
    // net = Σ k_p (μ − c_p)(1 − c_p) − k_p (μ − c_p)² / 2, a quadratic in μ.
    let (mut qa, mut qb, mut qc) = (0.0, 0.0, -goal);
    for &(c, eta, d, _, _) in &t {
        let k = d / (2.0 * eta);
        qa -= k / 2.0;
        qb += k * (1.0 - c) + k * c;
        qc += -k * c * (1.0 - c) - k * c * c / 2.0;
    }
    let mu = rising_root(qa, qb, qc);
    let q_mc: Vec<f64> = t
        .iter()
        .map(|&(c, eta, d, _, _)| d / (2.0 * eta) * (mu - c))
        .collect();
    assert!(
        q_mc.iter().all(|&q| q > 0.0),
        "both positions sell: {q_mc:?}"
    );
    let mc = cost(&t, &q_mc);

    // Balanced: each class keeps at least (1 − 10%) of its target share of what remains, so a
    // class may sell at most its value − target × 0.9 × (holdings − goal). Here DEEP's min-cost
    // sale is above that, so DEEP sells exactly its allowance and SHALLOW raises the rest.
    let holdings: f64 = t.iter().map(|x| x.3).sum();
    let target = fund.model.params.class_target_weight[0] as f64;
    let allowance = t[0].3 - target * (1.0 - cfg.max_style_drift) * (holdings - goal);
    assert!(
        q_mc[0] > allowance,
        "the class limit binds: {} > {allowance}",
        q_mc[0]
    );
    let (c1, eta1, d1, _, _) = t[1];
    let q_s = rising_root(-eta1 / d1, 1.0 - c1, -(goal - net(&t[0], allowance)));
    let bal = cost(&t, &[allowance, q_s]);

    assert!(
        mc < bal && bal < wf && wf < pr,
        "{mc} < {bal} < {wf} < {pr}"
    );
    let by = |name: &str| r.strategy(name).unwrap();
    close(by("waterfall").mean_cost_bps, wf * 1e4, 1e-4, "waterfall");
    close(by("pro_rata").mean_cost_bps, pr * 1e4, 1e-4, "pro_rata");
    close(by("min_cost").mean_cost_bps, mc * 1e4, 1e-4, "min_cost");
    close(by("balanced").mean_cost_bps, bal * 1e4, 1e-4, "balanced");
    close(
        by("min_cost").reduction_vs_pro_rata,
        1.0 - mc / pr,
        1e-3,
        "min_cost reduction",
    );
    // The one scenario asked for 20% of NAV: it is the significant-redemption set.
    assert_eq!(r.significant_scenarios, 1);
    close(
        by("min_cost").stressed_mean_cost_bps,
        mc * 1e4,
        1e-4,
        "stressed",
    );

    // Alpha forgone: sold on day 0, alpha lost for the H − 1 days left.
    let days_left = (fund.model.params.horizon - 1) as f64;
    let alpha = |q: &[f64]| {
        t.iter()
            .zip(q)
            .map(|(x, q)| x.4 / 252.0 * q * days_left)
            .sum::<f64>()
            * 1e4
    };
    close(
        by("min_cost").alpha_forgone_bps,
        alpha(&q_mc),
        1e-3,
        "alpha min_cost",
    );
    close(
        by("pro_rata").alpha_forgone_bps,
        alpha(&q_pr),
        1e-3,
        "alpha pro_rata",
    );
    // Style drift (prices never move here): class weights of what remains against an even split.
    let drift = |q: &[f64]| {
        let left: Vec<f64> = t.iter().zip(q).map(|(x, q)| x.3 - q).collect();
        let total: f64 = left.iter().sum();
        left.iter()
            .map(|v| (v / total / 0.5 - 1.0).abs())
            .fold(0.0, f64::max)
    };
    close(
        by("waterfall").style_drift,
        drift(&[q_wf, 0.0]),
        1e-3,
        "drift waterfall",
    );
    assert!(
        by("pro_rata").style_drift < 1e-4,
        "a vertical slice keeps the mix"
    );
    // The claim's measure: market impact of the hierarchy's waterfall (here the fund's own order,
    // DEEP first) against the pro-rata slice, η q² / d summed over positions.
    assert!(r.claim.same_order_as_fund);
    let impact = |q: &[f64]| t.iter().zip(q).map(|(x, q)| x.1 * q * q / x.2).sum::<f64>();
    let claimed = 1.0 - impact(&[q_wf, 0.0]) / impact(&q_pr);
    close(
        r.claim.reduction_vs_pro_rata,
        claimed,
        1e-3,
        "claim reduction",
    );
    close(
        r.claim.total_cost_reduction_vs_pro_rata,
        1.0 - wf / pr,
        1e-3,
        "total reduction",
    );
    let verdict = |band: [f64; 2]| {
        let cfg = LiquidationConfig {
            claim_band: band,
            ..LiquidationConfig::default()
        };
        run_design(&fund, &scenarios, &cfg).claim.verdict
    };
    assert_eq!(verdict([claimed - 0.05, claimed + 0.05]), "holds");
    assert_eq!(verdict([claimed + 0.05, claimed + 0.1]), "overstated");
    assert_eq!(verdict([claimed - 0.1, claimed - 0.05]), "understated");

    // Ranked by the weighted objective; min_cost is cheapest on both cost and alpha.
    let mut ranks: Vec<u32> = r.strategies.iter().map(|s| s.rank).collect();
    ranks.sort();
    assert_eq!(ranks, vec![1, 2, 3, 4]);
    assert_eq!(by("min_cost").impact_score, 1.0);
    assert_eq!(by("pro_rata").impact_score, 0.0);
}

#[test]
fn a_linear_fund_executes_a_day_at_the_cap_at_the_kernels_cost() {
    // For a linear-impact fund the Almgren–Chriss mapping is exact: one day's sale q costs
    // q (s/2 + η q / d), the kernel's own cost.
    let fund = two_position_fund(1.0);
    let pricing = Pricing::of(&fund);
    let normal = Condition::stressed(&[redemption_scenario(0, 0, 0.0)], fund.classes.len(), 0.5);
    let s = ExecutionSettings {
        participation: 0.5,
        time_slicing_days: 5,
        risk_aversion: 0.0,
        block_discount: 0.01,
        block_limit_adv: 0.0,
        max_days: 90.0,
    };
    let t = terms(&fund);
    for (p, x) in fund.model.positions.iter().zip(&t) {
        let q = 0.5 * x.2 * 0.6; // 60% of a day at the cap
        let e = execute(&fund, &pricing, p, &normal, q, "volume_participation", &s);
        close(e.cost, q * (x.0 + x.1 * q / x.2), 1e-9, "one day");
        assert_eq!(e.cost_sd, 0.0, "nothing is held after the only day");
        assert!(e.feasible && (e.days - 0.6).abs() < 1e-12);
    }
}

fn ac_params() -> AcParams {
    AcParams {
        epsilon: 0.0005,
        eta: 0.002,
        gamma: 0.001,
        sigma: 0.01,
        tau: 0.5,
    }
}

#[test]
fn almgren_chriss_linear_schedule_cost_matches_its_closed_form() {
    let p = ac_params();
    let (x, n) = (0.3, 10usize);
    let big_t = n as f64 * p.tau;
    let closed =
        0.5 * p.gamma * x * x + p.epsilon * x + (p.eta - p.gamma * p.tau / 2.0) * x * x / big_t;
    let schedule = linear_schedule(x, n);
    assert_eq!(schedule.len(), n + 1);
    close(
        expected_cost(&p, &schedule),
        closed,
        1e-12,
        "linear schedule",
    );
    // Its variance: σ² τ Σ_{k=1..N} (X (1 − k/N))² = σ² τ X² (N − 1)(2N − 1) / (6N).
    let nf = n as f64;
    let var = p.sigma * p.sigma * p.tau * x * x * (nf - 1.0) * (2.0 * nf - 1.0) / (6.0 * nf);
    close(cost_variance(&p, &schedule), var, 1e-12, "linear variance");
}

#[test]
fn almgren_chriss_trajectory_tends_to_linear_and_front_loads_with_risk_aversion() {
    let p = ac_params();
    let (x, n) = (0.3, 10usize);
    let linear = linear_schedule(x, n);
    let near_zero = ac_schedule(&p, x, n, 1e-10);
    for (a, b) in near_zero.iter().zip(&linear) {
        assert!(
            (a - b).abs() < 1e-7 * x,
            "λ → 0: {near_zero:?} against {linear:?}"
        );
    }
    let lambda = 50.0;
    let kappa = ac_kappa(&p, lambda);
    // κ solves (2/τ²)(cosh(κτ) − 1) = λσ²/η̃.
    let eta_tilde = p.eta - 0.5 * p.gamma * p.tau;
    close(
        2.0 / (p.tau * p.tau) * ((kappa * p.tau).cosh() - 1.0),
        lambda * p.sigma * p.sigma / eta_tilde,
        1e-9,
        "kappa",
    );
    let ac = ac_schedule(&p, x, n, lambda);
    assert_eq!((ac[0], ac[n]), (x, 0.0));
    for k in 1..n {
        assert!(
            ac[k] < linear[k],
            "front-loaded at {k}: {} < {}",
            ac[k],
            linear[k]
        );
        assert!(ac[k] < ac[k - 1], "selling every period");
    }
    let (e_ac, v_ac) = (expected_cost(&p, &ac), cost_variance(&p, &ac));
    let (e_lin, v_lin) = (expected_cost(&p, &linear), cost_variance(&p, &linear));
    assert!(
        v_ac < v_lin && e_ac > e_lin,
        "lower risk for a higher expected cost"
    );
    // And it is the optimum of E + λ V: moving any holding either way does worse.
    let objective = |s: &[f64]| expected_cost(&p, s) + lambda * cost_variance(&p, s);
    let best = objective(&ac);
    assert!(best < objective(&linear));
    for k in 1..n {
        for step in [-1e-4, 1e-4] {
            let mut s = ac.clone();
            s[k] += step;
            assert!(objective(&s) > best, "perturbing x_{k} by {step}");
        }
    }
}

#[test]
fn wider_spreads_never_lower_any_strategys_mean_cost() {
    let scenarios: Vec<ScenarioParams> = [0.05f32, 0.1, 0.2, 0.3, 0.4]
        .iter()
        .enumerate()
        .map(|(k, &f)| redemption_scenario(0, k as u32, f))
        .collect();
    let cfg = LiquidationConfig::default();
    let base = run_design(&two_position_fund(1.0), &scenarios, &cfg);
    let wide = run_design(&two_position_fund(1.5), &scenarios, &cfg);
    for (name, _) in STRATEGIES {
        let (b, w) = (base.strategy(name).unwrap(), wide.strategy(name).unwrap());
        assert!(
            w.mean_cost_bps > b.mean_cost_bps,
            "{name}: {} -> {}",
            b.mean_cost_bps,
            w.mean_cost_bps
        );
        assert!(w.p99_cost_bps >= b.p99_cost_bps, "{name} p99");
    }
}

#[test]
fn a_higher_block_discount_never_lowers_the_block_cost() {
    let fund = example_fund();
    let scenarios = scenario_block(&fund, 1, 0..200);
    let stressed = Condition::stressed(&scenarios, fund.classes.len(), 0.95);
    let sales: Vec<(usize, f64)> = (0..fund.model.positions.len())
        .map(|p| (p, 0.5 * fund.model.positions[p].weight as f64))
        .collect();
    let mut previous = f64::NEG_INFINITY;
    for discount in [0.0, 0.005, 0.01, 0.03, 0.1] {
        let s = ExecutionSettings {
            participation: 0.2,
            time_slicing_days: 5,
            risk_aversion: 20.0,
            block_discount: discount,
            block_limit_adv: 0.5,
            max_days: 90.0,
        };
        let row = execution_row(
            &fund,
            &stressed,
            "highly_stressed",
            &sales,
            "block_trade",
            &s,
        );
        assert!(
            row.cost_bps >= previous,
            "discount {discount}: {} < {previous}",
            row.cost_bps
        );
        previous = row.cost_bps;
    }
}

/// Positions of every layer, listed out of order.
fn layered_fund() -> Fund {
    let position = |id: &str, class: &str, weight: f64, extra: &str| {
        format!(
            "[[positions]]\nid = \"{id}\"\nclass = \"{class}\"\nweight = {weight}\nvol_annual = 0.1\n\
             impact = 0.5\n{extra}\n"
        )
    };
    let deep = "adv = 5.0e9\nsettlement_days = 1";
    let text = [
        "[fund]\nname = \"Layers\"\naum = 1.0e9\ncash = 0.05\nredemption_settlement_days = 2\n"
            .to_string(),
        position(
            "PE",
            "alternatives",
            0.1,
            "adv = 0.1e9\nspread_bps = 300.0\nsettlement_days = 30\nredemption_window_days = 63",
        ),
        position(
            "CR_SLOW",
            "credit",
            0.1,
            "adv = 2.0e9\nspread_bps = 20.0\nsettlement_days = 5",
        ),
        position(
            "EQ_DEAR",
            "equities",
            0.1,
            &format!("{deep}\nspread_bps = 15.0"),
        ),
        position(
            "MMF",
            "fixed_income",
            0.1,
            &format!("{deep}\nspread_bps = 1.0\ntier = \"cash_like\""),
        ),
        position(
            "EQ_SLOW",
            "equities",
            0.1,
            "adv = 2.0e9\nspread_bps = 5.0\nsettlement_days = 5",
        ),
        position("IG", "credit", 0.15, &format!("{deep}\nspread_bps = 10.0")),
        position(
            "EQ_CHEAP",
            "equities",
            0.1,
            &format!("{deep}\nspread_bps = 2.0"),
        ),
        position(
            "SOV",
            "fixed_income",
            0.2,
            &format!("{deep}\nspread_bps = 2.0\ntier = \"sovereign\""),
        ),
        "[[segments]]\nname = \"all\"\nshare = 1.0\nbase_rate = 0.0\n".to_string(),
    ]
    .join("\n");
    parse_fund(&text, "layers.toml", Path::new("")).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_hierarchy_puts_each_position_in_its_layer_in_sale_order() {
    let fund = layered_fund();
    let scenarios = scenario_block(&fund, 5, 0..50);
    let cfg = LiquidationConfig {
        scenarios: 20,
        ..LiquidationConfig::default()
    };
    let r = run_design(&fund, &scenarios, &cfg);
    let got: Vec<(&str, u32)> = r
        .hierarchy
        .iter()
        .map(|h| (h.position.as_str(), h.layer))
        .collect();
    assert_eq!(
        got,
        vec![
            ("MMF", 1),
            ("SOV", 2),
            ("EQ_CHEAP", 3),
            ("EQ_DEAR", 3),
            ("IG", 4),
            ("EQ_SLOW", 5),
            ("CR_SLOW", 6),
            ("PE", 7),
        ]
    );
    for (k, h) in r.hierarchy.iter().enumerate() {
        assert_eq!(h.rank as usize, k + 1);
        assert_eq!(h.layer_name, LAYERS[h.layer as usize - 1]);
    }
    // Cumulative weights add up to everything invested.
    let last = r.hierarchy.last().unwrap().cumulative_weight;
    close(last, 0.95, 1e-6, "cumulative weight");
    let (cheap, dear) = (&r.hierarchy[2], &r.hierarchy[3]);
    assert!(cheap.stressed_cost_bps < dear.stressed_cost_bps);
}

#[test]
fn settings_errors_name_the_setting_and_the_value() {
    assert_eq!(LiquidationConfig::default().validate(), Ok(()));
    let e = LiquidationConfig {
        max_style_drift: -0.1,
        ..LiquidationConfig::default()
    }
    .validate()
    .unwrap_err();
    assert_eq!(
        (e.setting.as_str(), e.value.as_str()),
        ("liquidation.max_style_drift", "-0.1")
    );
    let e = LiquidationConfig {
        block_discount: [0.01, 1.5, 0.05],
        ..LiquidationConfig::default()
    }
    .validate()
    .unwrap_err();
    assert_eq!(e.setting, "liquidation.block_discount");
    assert!(e.value.contains("1.5"), "{}", e.value);
    let e = LiquidationConfig {
        time_slicing_days: 0,
        ..LiquidationConfig::default()
    }
    .validate()
    .unwrap_err();
    assert_eq!(
        (e.setting.as_str(), e.value.as_str()),
        ("liquidation.time_slicing_days", "0")
    );
    let e = LiquidationConfig {
        claim_band: [0.4, 0.2],
        ..LiquidationConfig::default()
    }
    .validate()
    .unwrap_err();
    assert_eq!(e.setting, "liquidation.claim_band");
    assert!(
        e.to_string()
            .contains("liquidation.claim_band = [0.4, 0.2]"),
        "{e}"
    );
}

#[test]
fn the_position_rerun_reproduces_the_plain_run_and_conserves_holdings() {
    let fund = example_fund();
    let scenarios = scenario_block(&fund, 9, 0..64);
    let sim = Simulator::new(Some(2)).unwrap();
    let plain = sim.run(&fund.model, &scenarios, 0, 9);
    let (outs, ends) = sim.run_with_positions(&fund.model, &scenarios, 0, 9);
    assert_eq!(plain, outs);
    // With prices fixed (no noise, no permanent impact, calm market) what is sold plus what is
    // left is the day-0 holding.
    let quiet = two_position_fund(1.0);
    let sc = [redemption_scenario(0, 1, 0.3)];
    let (_, ends_quiet) = sim.run_with_positions(&quiet.model, &sc, 0, 9);
    for (p, pos) in quiet.model.positions.iter().enumerate() {
        let e = &ends_quiet[0];
        close(
            e.value[p] + e.sold[p],
            pos.weight as f64,
            1e-6,
            "holding conserved",
        );
        // Sold on day 1 of 5: three days left.
        close(e.sold_days_left[p], 3.0 * e.sold[p], 1e-9, "days left");
    }
    let lowest = ends
        .iter()
        .flat_map(|e| e.value.iter().copied())
        .fold(f64::INFINITY, f64::min);
    // Holdings never go negative beyond f32 rounding of a position sold out.
    assert!(lowest > -1e-9, "lowest holding value {lowest}");
}

#[test]
fn the_example_report_has_the_contracts_shape() {
    let fund = example_fund();
    let scenarios = scenario_block(&fund, 1, 0..300);
    let cfg = LiquidationConfig {
        scenarios: 300,
        ..LiquidationConfig::default()
    };
    let r = run_design(&fund, &scenarios, &cfg);
    let names: Vec<&str> = r.strategies.iter().map(|s| s.strategy.as_str()).collect();
    assert_eq!(names, vec!["waterfall", "pro_rata", "min_cost", "balanced"]);
    let edges = &r.strategies[0].cost_histogram.edges_bps;
    assert_eq!(edges.len(), cfg.histogram_bins as usize + 1);
    for s in r.strategies.iter().chain([&r.hierarchy_waterfall]) {
        assert_eq!(&s.cost_histogram.edges_bps, edges, "common edges");
        assert_eq!(s.cost_histogram.counts.iter().sum::<u64>(), 300);
        assert!(s.p50_cost_bps <= s.p90_cost_bps && s.p90_cost_bps <= s.p99_cost_bps);
    }
    assert_eq!(r.strategy("pro_rata").unwrap().reduction_vs_pro_rata, 0.0);
    assert!(r.strategy(&r.recommended).is_some());
    assert_eq!(r.execution.len(), 12);
    assert!(r
        .execution
        .iter()
        .all(|e| e.amount > 0.0 && e.cost_bps >= 0.0));
    // Hierarchy: every position once, layers never go back, cumulative weights rise.
    assert_eq!(r.hierarchy.len(), fund.model.positions.len());
    assert!(r
        .hierarchy
        .windows(2)
        .all(|w| w[0].layer <= w[1].layer && w[0].cumulative_weight < w[1].cumulative_weight));
    let json = serde_json::to_value(&r).unwrap();
    for key in [
        "scenarios",
        "horizon_days",
        "objective_weights",
        "strategies",
        "recommended",
        "execution",
        "hierarchy",
        "residual",
    ] {
        assert!(json.get(key).is_some(), "missing {key}");
    }
    assert_eq!(json["objective_weights"]["impact"], 0.5);
    let f = findings(&fund, &r);
    assert!(f.iter().all(|x| x.stage == StageId::LiquidationDesign));
    assert!(f.iter().any(|x| x.topic == "hierarchy_claim"));
    let t = tables(&r);
    let files: Vec<&str> = t.iter().map(|t| t.file).collect();
    assert_eq!(
        files,
        vec![
            "strategy_comparison.csv",
            "execution_comparison.csv",
            "hierarchy.csv"
        ]
    );
    assert!(t
        .iter()
        .all(|t| t.rows.iter().all(|row| row.len() == t.header.len())));
}

//! Known answers of the analysis stages on small funds: buffer coverage against a lone large
//! investor's closed-form redemption probability, SEC bucket edges at exactly 3 and 4 days, the
//! buffer search's choice, attribution shares that add up, and portfolio construction against a
//! hand-solved optimum.

use std::path::Path;
use undertow_analysis::stats::{wilson, Verdict, Z95};

use undertow_analysis::investor_behaviour::investor_behaviour;
use undertow_analysis::market_liquidity::config::ProfileConfig;
use undertow_analysis::market_liquidity::{profile, Bucket, PositionLiquidity};
use undertow_analysis::portfolio_liquidity::buffer::{
    evaluate, rank, search, CompositionResult, Yields,
};
use undertow_analysis::portfolio_liquidity::config::{
    BufferConfig, BufferGrid, Composition, ConstructionConfig,
};
use undertow_analysis::portfolio_liquidity::construct::{construct, Measures, TOLERANCE};
use undertow_analysis::sim::Simulator;
use undertow_analysis::AnalysisConfig;
use undertow_host::fund::{example_fund, parse_fund, Fund};
use undertow_host::run::scenario_block;

/// A fund whose only redemption risk is one large investor with a constant daily hazard: every
/// feedback channel off, the quiet segment never redeems, and the scenario multipliers of
/// redemption intensity fixed at 1 (random families only: the historical replays carry their own
/// multipliers).
fn lone_investor_fund(cash: f64, hazard: f64, stake: f64) -> Fund {
    let weight = 1.0 - cash;
    let text = format!(
        r#"
[fund]
name = "Lone investor"
aum = 1.0e9
cash = {cash}
redemption_settlement_days = 1

[[positions]]
id = "EQ"
class = "equities"
weight = {weight}
adv = 1.0e12
spread_bps = 1.0
vol_annual = 0.15
impact = 0.1
settlement_days = 1

[[segments]]
name = "quiet"
share = {segment}
base_rate = 0.0

[[large_investors]]
name = "Anchor"
stake = {stake}
hazard = {hazard}

[model]
feedback_performance = false
feedback_herding = false
feedback_liquidity = false
feedback_stress = false
crowding = false
permanent_impact = false
gates = false
funding = false

[scenarios.weights]
market_wide = 1.0

[scenarios.redemption]
mult = [1.0, 1.0]
large_mult = [1.0, 1.0]
"#,
        segment = 1.0 - stake,
    );
    parse_fund(&text, "lone-investor.toml", Path::new("")).unwrap_or_else(|e| panic!("{e}"))
}

fn static_cash(fund: &Fund) -> Composition {
    Composition::new("static", fund.model.params.initial_cash as f64, 0.0, 0.0)
}

fn yields(fund: &Fund, cfg: &BufferConfig) -> Yields {
    Yields {
        expected_return: fund.expected_return,
        cash: cfg.cash_yield,
        sovereign: cfg.sovereign.annual_yield,
        etf: cfg.etf.annual_yield,
    }
}

#[test]
fn coverage_of_a_lone_large_investor_is_one_minus_its_redemption_probability() {
    let (hazard, horizon, n) = (0.02, 30u32, 4_000u64);
    let fund = lone_investor_fund(0.10, hazard, 0.30);
    let cfg = BufferConfig {
        horizon_days: horizon,
        scenarios: n,
        ..BufferConfig::default()
    };
    let sim = Simulator::new(None).unwrap();
    let scenarios = scenario_block(&fund, 7, 0..n);
    let r = evaluate(
        &fund,
        &static_cash(&fund),
        &cfg,
        &yields(&fund, &cfg),
        &scenarios,
        7,
        &sim,
    )
    .unwrap();
    // Daily hazard 1 - e^-h, H independent days: P(redeem) = 1 - (1 - (1 - e^-h))^H = 1 - e^-hH.
    let p_redeem = 1.0 - (-(hazard * horizon as f64)).exp();
    let expected = 1.0 - p_redeem;
    let se = (expected * (1.0 - expected) / n as f64).sqrt();
    assert!(
        (r.coverage - expected).abs() < 4.0 * se,
        "coverage {} against 1 - P(redeem) = {expected} (4 SE = {})",
        r.coverage,
        4.0 * se
    );
    // The same investor against a buffer larger than its stake: always covered.
    let big = lone_investor_fund(0.40, hazard, 0.30);
    let r = evaluate(
        &big,
        &static_cash(&big),
        &cfg,
        &yields(&big, &cfg),
        &scenarios,
        7,
        &sim,
    )
    .unwrap();
    assert_eq!(r.coverage, 1.0);
}

#[test]
fn sec_buckets_split_exactly_at_three_and_four_days() {
    // AUM 1bn, 20% participation: days to sell = weight x 1e9 / (0.2 x ADV).
    let text = r#"
[fund]
name = "Bucket edges"
aum = 1.0e9
cash = 0.2

[[positions]]
id = "THREE_DAYS"
class = "equities"
weight = 0.3
adv = 0.5e9
spread_bps = 1.0
vol_annual = 0.1
impact = 0.1
settlement_days = 0

[[positions]]
id = "FOUR_DAYS"
class = "equities"
weight = 0.2
adv = 0.25e9
spread_bps = 1.0
vol_annual = 0.1
impact = 0.1
settlement_days = 0

[[positions]]
id = "SOLD_IN_7_SETTLES_LATER"
class = "credit"
weight = 0.14
adv = 0.1e9
spread_bps = 1.0
vol_annual = 0.1
impact = 0.1
settlement_days = 1

[[positions]]
id = "EIGHT_DAYS"
class = "credit"
weight = 0.16
adv = 0.1e9
spread_bps = 1.0
vol_annual = 0.1
impact = 0.1
settlement_days = 0

[[segments]]
name = "all"
share = 1.0
base_rate = 0.001
"#;
    let fund = parse_fund(text, "edges.toml", Path::new("")).unwrap_or_else(|e| panic!("{e}"));
    let report = profile(&fund, &[], &ProfileConfig::default());
    let bucket = |id: &str| {
        let row = report
            .buckets
            .iter()
            .find(|b| b.position == id && b.condition == "normal")
            .unwrap();
        (row.sale_days, row.cash_days, row.bucket)
    };
    assert_eq!(bucket("THREE_DAYS"), (3.0, 3.0, Bucket::HighlyLiquid));
    assert_eq!(bucket("FOUR_DAYS"), (4.0, 4.0, Bucket::ModeratelyLiquid));
    assert_eq!(
        bucket("SOLD_IN_7_SETTLES_LATER"),
        (7.0, 8.0, Bucket::LessLiquid)
    );
    assert_eq!(bucket("EIGHT_DAYS").2, Bucket::Illiquid);
    let totals = report.totals("normal").unwrap();
    let expect = [0.2 + 0.3, 0.2, 0.14, 0.16];
    for (got, want) in totals.shares.iter().zip(expect) {
        assert!((got - want).abs() < 1e-6, "{:?}", totals.shares);
    }
    assert!(
        totals.illiquid_breach,
        "16% illiquid breaches the 15% limit"
    );
    // A trade size of half the position halves the days: FOUR_DAYS becomes highly liquid.
    let mut cfg = ProfileConfig::default();
    cfg.buckets.trade_size = 0.5;
    let half = profile(&fund, &[], &cfg);
    let row = half
        .buckets
        .iter()
        .find(|b| b.position == "FOUR_DAYS")
        .unwrap();
    assert_eq!((row.sale_days, row.bucket), (2.0, Bucket::HighlyLiquid));
}

#[test]
fn the_buffer_search_picks_the_cheapest_grid_point_that_meets_the_target() {
    let fund = lone_investor_fund(0.05, 0.01, 0.15);
    let cfg = BufferConfig {
        scenarios: 600,
        horizon_days: 30,
        target_coverage: 0.8,
        named: vec![],
        grid: BufferGrid {
            cash: vec![0.02, 0.06, 0.10, 0.14, 0.18],
            sovereign: vec![0.0, 0.04],
            etf: vec![0.0],
        },
        ..BufferConfig::default()
    };
    let sim = Simulator::new(None).unwrap();
    let scenarios = scenario_block(&fund, 3, 0..cfg.scenarios);
    let comps = cfg.compositions(fund.model.params.initial_cash as f64);
    let s = search(&fund, &comps, &cfg, &scenarios, 3, &sim).unwrap();
    // Meeting the target means the coverage's Wilson 95% lower end clears it.
    let pick = s.cheapest().expect("some grid point meets 80%");
    assert!(pick.coverage_low >= cfg.target_coverage, "{pick:?}");
    assert_eq!(pick.target_verdict, Verdict::Meets);
    for r in &s.results {
        let (lo, hi) = wilson((r.coverage * 600.0).round() as u64, 600, Z95).unwrap();
        assert!((lo - r.coverage_low).abs() < 1e-12 && (hi - r.coverage_high).abs() < 1e-12);
        if r.opportunity_cost_bps < pick.opportunity_cost_bps - 1e-9 {
            assert!(
                r.coverage_low < cfg.target_coverage,
                "{} is cheaper and meets the target",
                r.label
            );
        }
    }
    // A bigger buffer never covers less on common random numbers.
    let cash_only: Vec<&CompositionResult> = s
        .results
        .iter()
        .filter(|r| r.sovereign == 0.0 && r.label == "grid")
        .collect();
    for w in cash_only.windows(2) {
        assert!(
            w[1].coverage >= w[0].coverage,
            "{} then {}",
            w[0].coverage,
            w[1].coverage
        );
    }
    // The frontier is cheapest-first with strictly rising coverage, and nothing off it dominates.
    for w in s.frontier.windows(2) {
        let (a, b) = (&s.results[w[0]], &s.results[w[1]]);
        assert!(b.opportunity_cost_bps >= a.opportunity_cost_bps && b.coverage > a.coverage);
    }
}

#[test]
fn ranking_and_choice_on_known_results() {
    let cfg = BufferConfig {
        target_coverage: 0.9,
        ..BufferConfig::default()
    };
    let y = Yields {
        expected_return: 0.06,
        cash: 0.04,
        sovereign: 0.04,
        etf: 0.06,
    };
    let result = |label: &str, cash: f64, etf: f64, coverage: f64| {
        let c = Composition::new(label, cash, 0.0, etf);
        let mut r = undertow_analysis::portfolio_liquidity::buffer::result_of(
            &c,
            &[],
            &y,
            cfg.target_coverage,
        );
        r.coverage = coverage;
        r.meets_target = coverage >= cfg.target_coverage;
        r
    };
    // Opportunity costs: 10 bps x cash points; ETFs cost nothing here.
    let results = vec![
        result("a", 0.05, 0.0, 0.80),  // 10 bps
        result("b", 0.08, 0.0, 0.92),  // 16 bps: cheapest meeting 90%
        result("c", 0.10, 0.0, 0.95),  // 20 bps
        result("d", 0.09, 0.0, 0.85),  // 18 bps, dominated by b
        result("e", 0.05, 0.05, 0.93), // 10 bps but an ETF tier: cheapest of all meeting it
    ];
    let s = rank(results, &cfg, y, 0);
    assert_eq!(s.cheapest().unwrap().label, "e");
    let on: Vec<&str> = s
        .frontier
        .iter()
        .map(|&i| s.results[i].label.as_str())
        .collect();
    assert_eq!(on, ["e", "c"]);
    assert!(!s.by_label("d").unwrap().on_frontier);
    // Safety dominates the weights: the best-covered cheap composition ranks first.
    let ranks: Vec<usize> = s.results.iter().map(|r| r.rank).collect();
    let mut sorted = ranks.clone();
    sorted.sort();
    assert_eq!(sorted, vec![1, 2, 3, 4, 5]);
    assert_eq!(s.best().unwrap().label, "e");
}

/// The lone-investor fund with herding as its only redemption feedback, and optionally the
/// price channels (crowding, permanent impact) on as well.
fn herding_fund(price_channels: bool) -> Fund {
    let mut fund = lone_investor_fund(0.05, 0.002, 0.2);
    fund.spec.segments[0].base_rate = 0.002;
    fund.spec.segments[0].beta_herd = 0.2;
    fund.spec.segments[0].beta_perf = 0.05;
    fund.spec.segments[0].flow_vol = 0.001;
    fund.spec.large_investors[0].beta_herd = 0.5;
    fund.spec.model.feedback_herding = true;
    fund.spec.model.feedback_performance = price_channels;
    fund.spec.model.crowding = price_channels;
    fund.spec.model.permanent_impact = price_channels;
    undertow_host::fund::build_fund(fund.spec.clone(), "herding.toml", Path::new("")).unwrap()
}

fn attribution_of(
    fund: &Fund,
    n: u64,
) -> (undertow_analysis::investor_behaviour::InvestorReport, f64) {
    let sim = Simulator::new(None).unwrap();
    let scenarios = scenario_block(fund, 11, 0..n);
    let base = sim.run(&fund.model, &scenarios, 0, 11);
    let mean = base.iter().map(|o| o.requested as f64).sum::<f64>() / n as f64;
    (investor_behaviour(fund, &base, &scenarios, 11, &sim), mean)
}

#[test]
fn attribution_shares_add_up() {
    let (report, sweep_mean) = attribution_of(&herding_fund(true), 300);
    let a = report.attribution.as_ref().expect("attribution ran");
    assert!(a.total_outflow > 0.0 && a.total_cost > 0.0, "{a:?}");
    let shares: f64 =
        a.channels.iter().map(|c| c.outflow_share).sum::<f64>() + a.interaction_outflow_share;
    assert!(
        (shares - 1.0).abs() < 1e-9,
        "outflow shares sum to {shares}"
    );
    let cost_shares: f64 =
        a.channels.iter().map(|c| c.cost_share).sum::<f64>() + a.interaction_cost_share;
    assert!(
        (cost_shares - 1.0).abs() < 1e-9,
        "cost shares sum to {cost_shares}"
    );
    let contributions: f64 =
        a.channels.iter().map(|c| c.outflow).sum::<f64>() + a.interaction_outflow;
    assert!((contributions - (a.all_on.requested - a.all_off.requested)).abs() < 1e-12);
    // Channels the fund has off contribute nothing.
    for c in a.channels.iter().filter(|c| !c.enabled) {
        assert_eq!((c.outflow, c.cost), (0.0, 0.0), "{}", c.channel);
    }
    // The rerun with every channel on reproduces the main sweep (common random numbers).
    assert!((a.all_on.requested - sweep_mean).abs() < 1e-12);
    // Holders' requests add up to the fund's.
    let holders: f64 = report.holders.iter().map(|h| h.mean).sum();
    assert!(
        (holders - a.all_on.requested).abs() < 1e-9,
        "{holders} vs {}",
        a.all_on.requested
    );
    // The large investor redeems its whole stake when it goes: its mean request is about its
    // stake times its probability of going (valued at the day's NAV per share).
    let anchor = report
        .holders
        .iter()
        .find(|h| h.kind == "large_investor")
        .unwrap();
    assert!(anchor.probability > 0.0 && anchor.mean <= anchor.stake * anchor.probability * 1.5);
}

#[test]
fn a_lone_feedback_channel_takes_the_whole_attribution() {
    let (report, _) = attribution_of(&herding_fund(false), 300);
    let a = report.attribution.expect("attribution ran");
    assert!(a.total_outflow > 0.0);
    let herding = a.channels.iter().find(|c| c.channel == "herding").unwrap();
    assert!((herding.outflow_share - 1.0).abs() < 1e-12, "{herding:?}");
    assert!((herding.cost_share - 1.0).abs() < 1e-12, "{herding:?}");
    assert_eq!(a.interaction_outflow, 0.0);
    for c in a.channels.iter().filter(|c| c.channel != "herding") {
        assert_eq!(
            (c.outflow, c.cost),
            (0.0, 0.0),
            "{} is off yet contributed",
            c.channel
        );
    }
}

fn slot(position: &str, class: usize, weight: f64, liquid: bool) -> PositionLiquidity {
    let cap = if liquid { 10.0 } else { 0.0 };
    PositionLiquidity {
        position: position.into(),
        class,
        weight,
        one_day_capacity: cap,
        settles_in_time: liquid,
        seven_day_capacity: cap,
        capacity_within: [cap; 4],
        score_cap: if liquid { 5 } else { 1 },
        score: if liquid { 5.0 } else { 1.0 },
    }
}

#[test]
fn construction_matches_a_hand_solved_optimum() {
    // Two illiquid holdings (40% and 30%) and a liquid one (30%), no cash; at most 25% illiquid.
    // Least squares moves the 45% excess equally out of A and B into C:
    // A = 0.4 - 0.225 = 0.175, B = 0.3 - 0.225 = 0.075, C = 0.75.
    let liq = vec![
        slot("A", 0, 0.4, false),
        slot("B", 1, 0.3, false),
        slot("C", 2, 0.3, true),
    ];
    let classes = vec!["x".to_string(), "y".to_string(), "z".to_string()];
    let cfg = ConstructionConfig {
        max_illiquid: 0.25,
        min_daily_liquid: 0.0,
        max_asset_class: 1.0,
        min_liquidity_score: 1.0,
        hold_cash: true,
    };
    let c = construct(&liq, &classes, 0.0, &cfg);
    assert!(c.feasible, "{}", c.status);
    let w: Vec<f64> = c.positions.iter().map(|p| p.after).collect();
    for (got, want) in w.iter().zip([0.175, 0.075, 0.75]) {
        assert!((got - want).abs() < 1e-5, "{w:?}");
    }
    assert_eq!(c.binding, vec!["max_illiquid".to_string()]);
    assert!((c.turnover - 0.45).abs() < 1e-5);
    // Cap every class at 60% as well: C would need 75%, and cash is held at 0, so no weights
    // meet both limits. That is reported, not hidden.
    let tight = ConstructionConfig {
        max_asset_class: 0.6,
        ..cfg.clone()
    };
    let c = construct(&liq, &classes, 0.0, &tight);
    assert!(!c.feasible, "{c:?}");
}

#[test]
fn construction_meets_every_constraint_on_the_example_fund() {
    let fund = example_fund();
    let report = profile(&fund, &[], &ProfileConfig::default());
    let classes: Vec<String> = fund.classes.iter().map(|c| c.name.clone()).collect();
    let cash = fund.model.params.initial_cash as f64;
    // The defaults hold already: nothing moves.
    let c = construct(
        &report.liquidity,
        &classes,
        cash,
        &AnalysisConfig::default().construction,
    );
    assert!(
        c.feasible && c.already_met && c.turnover < 1e-6 && c.binding.is_empty(),
        "{c:?}"
    );
    // Tightened until three of them bind.
    let cfg = ConstructionConfig {
        max_illiquid: 0.06,
        min_daily_liquid: 0.60,
        max_asset_class: 0.33,
        min_liquidity_score: 3.6,
        hold_cash: true,
    };
    let c = construct(&report.liquidity, &classes, cash, &cfg);
    assert!(c.feasible, "{}", c.status);
    assert!(!c.already_met && c.turnover > 0.0);
    let w: Vec<f64> = c.positions.iter().map(|p| p.after).collect();
    assert!(w.iter().all(|x| *x >= -TOLERANCE));
    assert!((w.iter().sum::<f64>() + c.cash_after - 1.0).abs() < 1e-6);
    assert!((c.cash_after - cash).abs() < 1e-6, "cash is held");
    let m = Measures::at(&report.liquidity, classes.len(), &w, c.cash_after);
    assert!(
        m.illiquid <= cfg.max_illiquid + 1e-5,
        "illiquid {}",
        m.illiquid
    );
    assert!(
        m.daily_liquid >= cfg.min_daily_liquid - 1e-5,
        "daily {}",
        m.daily_liquid
    );
    assert!(
        m.class_weights
            .iter()
            .all(|x| *x <= cfg.max_asset_class + 1e-5),
        "{:?}",
        m.class_weights
    );
    assert!(
        m.score >= cfg.min_liquidity_score - 1e-5,
        "score {}",
        m.score
    );
    assert!(
        c.constraints.iter().all(|k| k.met_after),
        "{:?}",
        c.constraints
    );
    assert!(!c.binding.is_empty());
    for name in &c.binding {
        if let Some(k) = c.check(name) {
            assert!(k.slack.abs() < 1e-4, "{name} binds with slack {}", k.slack);
        }
    }
}

//! Monotonicity on common random numbers (MODEL.md 8): the same scenarios rerun with one input
//! changed. Redemption feedback is off so that the flows are the same in both runs and the
//! comparison isolates the mechanism under test. For the cost comparisons permanent impact,
//! crowding and swing pricing are off too: with them, dearer selling lowers prices (and so the
//! value of later redemptions) or charges redeemers more (and so shrinks what must be sold) —
//! channels through which a dearer market can lower the fund's own selling on a path. The full
//! model is checked on the mean. The per-scenario cost checks use the waterfall (a fixed sale
//! order): `min_cost` optimises each day on its own, so on a path a dearer market can move today's
//! sales to positions whose markets recover, and the path's cost can fall; its single-day
//! monotonicity is a kernel unit test.

use undertow_host::aggregate::{aggregate, covered, total_cost};
use undertow_kernel::{strategy, switch, FundModel, ScenarioParams, MAX_CLASSES};
use undertow_tests::{cpu_f64, example_sweep, Runner};

const SEED: u64 = 31;

fn exogenous_flows(model: &mut FundModel) {
    model.params.switches &= !(switch::FEEDBACK | switch::GATES);
}

fn fixed_prices(model: &mut FundModel) {
    exogenous_flows(model);
    model.params.switches &= !(switch::PERM_IMPACT | switch::CROWDING | switch::SWING);
    model.params.strategy = strategy::WATERFALL;
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

fn costs(model: &FundModel, scenarios: &[ScenarioParams]) -> Vec<f64> {
    cpu_f64()
        .run(model, scenarios, SEED)
        .iter()
        .map(total_cost)
        .collect()
}

fn assert_never_lower(low: &[f64], high: &[f64], what: &str) {
    let mut raised = 0;
    for (k, (a, b)) in low.iter().zip(high).enumerate() {
        assert!(
            *b >= *a - 1e-12,
            "{what}: scenario {k} cost fell from {a} to {b}"
        );
        raised += (*b > *a) as usize;
    }
    assert!(
        raised > low.len() / 10,
        "{what} changed too few scenarios ({raised}) to test anything"
    );
}

fn stressed(
    scenarios: &[ScenarioParams],
    f: impl Fn(&mut ScenarioParams, usize),
) -> Vec<ScenarioParams> {
    scenarios
        .iter()
        .map(|s| {
            let mut s = *s;
            for c in 0..MAX_CLASSES {
                f(&mut s, c);
            }
            s
        })
        .collect()
}

#[test]
fn wider_spreads_never_lower_cost() {
    let (fund, scenarios) = example_sweep(1500, SEED);
    let wider = stressed(&scenarios, |s, c| s.spread_mult[c] *= 1.5);
    let mut model = fund.model.clone();
    fixed_prices(&mut model);
    assert_never_lower(
        &costs(&model, &scenarios),
        &costs(&model, &wider),
        "spread widening",
    );
    let (before, after) = (
        mean(&costs(&fund.model, &scenarios)),
        mean(&costs(&fund.model, &wider)),
    );
    assert!(after > before, "full model: mean cost {before} -> {after}");
}

#[test]
fn thinner_depth_never_lowers_cost() {
    let (fund, scenarios) = example_sweep(1500, SEED);
    let thinner = stressed(&scenarios, |s, c| {
        s.depth_cut[c] = 1.0 - 0.5 * (1.0 - s.depth_cut[c])
    });
    let mut model = fund.model.clone();
    fixed_prices(&mut model);
    assert_never_lower(
        &costs(&model, &scenarios),
        &costs(&model, &thinner),
        "depth reduction",
    );
    let (before, after) = (
        mean(&costs(&fund.model, &scenarios)),
        mean(&costs(&fund.model, &thinner)),
    );
    assert!(after > before, "full model: mean cost {before} -> {after}");
}

#[test]
fn a_larger_buffer_never_lowers_coverage() {
    let (mut fund, scenarios) = example_sweep(1500, SEED);
    exogenous_flows(&mut fund.model);
    let small = cpu_f64().run(&fund.model, &scenarios, SEED);
    // Move 5% of NAV from the largest position into cash.
    let mut big = fund.model.clone();
    let (k, _) = big
        .positions
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.weight.total_cmp(&b.1.weight))
        .unwrap();
    big.positions[k].weight -= 0.05;
    big.params.initial_cash += 0.05;
    let large = cpu_f64().run(&big, &scenarios, SEED);
    for (i, (a, b)) in small.iter().zip(&large).enumerate() {
        assert!(
            !covered(a) || covered(b),
            "scenario {i} covered with the small buffer only"
        );
    }
    let (cs, cl) = (aggregate(&small).coverage, aggregate(&large).coverage);
    assert!(cl > cs, "coverage {cs} -> {cl}");
}

#[test]
fn a_gate_never_raises_the_shortfall() {
    let (mut fund, scenarios) = example_sweep(1500, SEED);
    exogenous_flows(&mut fund.model);
    let ungated = cpu_f64().run(&fund.model, &scenarios, SEED);
    let mut gated_model = fund.model.clone();
    gated_model.params.switches |= switch::GATES;
    let gated = cpu_f64().run(&gated_model, &scenarios, SEED);
    for (i, (a, b)) in ungated.iter().zip(&gated).enumerate() {
        assert!(
            b.shortfall <= a.shortfall + 1e-9,
            "scenario {i}: shortfall {} with gate, {} without",
            b.shortfall,
            a.shortfall
        );
    }
}

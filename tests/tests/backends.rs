//! The closed forms of MODEL.md section 8 and output-level conservation, written once and run on
//! every backend (CPU in `f32`, CPU in `f64`, GPU) by `backend_tests!`. Unlike
//! `kernel/tests/closed_forms.rs`, which reads per-day traces of the CPU kernel, these read only
//! the output record, the one thing every backend returns.

use undertow_kernel::testing::{
    buffered_fund, calm_scenario, even_redemptions, fund, gated_fund, linear_sale, one_position,
    position, quiet_params, redemption_scenario, square_root_sale, swing_fund,
};
use undertow_kernel::{impact, switch, FundModel, ScenarioOutput, NEVER};
use undertow_tests::{backend_tests, example_sweep, Precision, Runner};

/// Relative distance to a closed form allowed to a backend computing in `f32` (the GPU and the
/// CPU reference it is validated against): about 80 ulps of `f32`, room for the fixed-step
/// searches (12 Illinois steps) and the day's sums to round differently than the closed form.
pub const F32_CLOSED_FORM_REL: f64 = 1e-5;

/// Relative distance to a closed form allowed to the CPU in `f64`: its arithmetic is far finer,
/// but the output record is `f32` (rounding 6e-8) and the searches stop after a fixed step count.
pub const F64_CLOSED_FORM_REL: f64 = 1e-6;

/// Absolute slack of the output-level conservation inequalities in `f32`, in fractions of
/// initial NAV: sums of 90 days of flows rounded in `f32` (the per-day NAV audit of
/// `conservation.rs` allows 2e-4 in `f32`).
pub const F32_CONSERVATION_ABS: f64 = 2e-4;

/// The same slack in `f64`: rounding the record to `f32` only.
pub const F64_CONSERVATION_ABS: f64 = 1e-6;

/// Scenarios of the example fund in the conservation check. With
/// [`DEALT_AT_ONCE_SCENARIOS`], two thousand, which lavapipe simulates in about half a minute.
const CONSERVATION_SCENARIOS: u64 = 1500;

/// Scenarios of the variant of the example fund that deals every request at once.
const DEALT_AT_ONCE_SCENARIOS: u64 = 500;

fn closed_form_rel(r: &dyn Runner) -> f64 {
    match r.precision() {
        Precision::F32 => F32_CLOSED_FORM_REL,
        Precision::F64 => F64_CLOSED_FORM_REL,
    }
}

fn conservation_abs(r: &dyn Runner) -> f64 {
    match r.precision() {
        Precision::F32 => F32_CONSERVATION_ABS,
        Precision::F64 => F64_CONSERVATION_ABS,
    }
}

/// Asserts `got` is within `rel` of `want`, naming the backend and the quantity when not.
fn assert_close(r: &dyn Runner, what: &str, got: f32, want: f64, rel: f64) {
    let err = (got as f64 - want).abs() / want.abs().max(f64::MIN_POSITIVE);
    println!(
        "{}: {what} = {got} (closed form {want}, relative error {err:.2e})",
        r.name()
    );
    assert!(
        err <= rel,
        "{}: {what} = {got}, closed form {want}: relative error {err:.3e} above {rel:e}",
        r.name()
    );
}

/// Runs one scenario on `r` (index 0, a fixed seed: scripted scenarios draw no noise).
fn run_one(
    r: &dyn Runner,
    model: &FundModel,
    sc: undertow_kernel::ScenarioParams,
) -> ScenarioOutput {
    r.run(model, &[sc], 7)[0]
}

/// Linear impact: net proceeds `x` need gross sales `q` with `q (1 - s/2 - eta q / d) = x`, at a
/// cost of `q (s/2 + eta q / d)`.
fn linear_cost_of_one_redemption(r: &dyn Runner) {
    let (s, eta, d, x) = (0.002f64, 0.1f64, 2.0f64, 0.1f64);
    let model = one_position(impact::LINEAR, s as f32, eta as f32, d as f32);
    let out = run_one(r, &model, redemption_scenario(0, 0, x as f32));
    let (q, cost) = linear_sale(s, eta, d, x);
    let rel = closed_form_rel(r);
    assert_close(r, "portfolio_sold", out.portfolio_sold, q, rel);
    assert_close(
        r,
        "cost_spread + cost_impact",
        out.cost_spread + out.cost_impact,
        cost,
        rel,
    );
    assert_close(r, "cost_spread", out.cost_spread, q * s / 2.0, rel);
    assert_close(r, "cost_impact", out.cost_impact, eta * q * q / d, rel);
    assert_close(r, "paid", out.paid, x, rel);
    assert_eq!(out.first_shortfall_day, NEVER, "{}: {out:?}", r.name());
}

/// Square-root impact: net proceeds `x` need gross sales `q` with `q - cost(q) = x`, where
/// `cost(q) = q (s/2 + Y sig sqrt(q / d))`.
fn square_root_cost_of_one_redemption(r: &dyn Runner) {
    let (s, y, sig, d, x) = (0.001f64, 0.5f64, 0.02f64, 0.5f64, 0.08f64);
    let model = one_position(impact::SQUARE_ROOT, s as f32, y as f32, d as f32);
    let out = run_one(r, &model, redemption_scenario(0, 0, x as f32));
    let (q, cost) = square_root_sale(s, y, sig, d, x);
    let rel = closed_form_rel(r);
    assert_close(r, "portfolio_sold", out.portfolio_sold, q, rel);
    assert_close(
        r,
        "cost_spread + cost_impact",
        out.cost_spread + out.cost_impact,
        cost,
        rel,
    );
    assert_close(
        r,
        "cost_impact",
        out.cost_impact,
        y * sig * q * (q / d).sqrt(),
        rel,
    );
    assert_close(r, "paid", out.paid, x, rel);
}

/// A gate with cap `g_cap` accepts exactly `g_cap` of NAV on the day it fires and queues the
/// rest: a request for 30% meets 10% on day 0 (the 1-day cumulative outflow) and 9% of the
/// remaining 0.9 NAV on day 1.
fn gate_pays_its_cap_and_queues_the_rest(r: &dyn Runner) {
    let model = gated_fund(2);
    let out = run_one(r, &model, redemption_scenario(0, 0, 0.3));
    let rel = closed_form_rel(r);
    assert_close(r, "cum_requested_1d", out.cum_requested[0], 0.3, rel);
    assert_close(
        r,
        "cum_outflow_1d (day 0 accepted)",
        out.cum_outflow[0],
        0.1,
        rel,
    );
    // The 2-day horizon ends the run, so every longer horizon reports the same total.
    for k in 1..4 {
        assert_close(
            r,
            &format!("cum_outflow[{k}] (days 0 and 1)"),
            out.cum_outflow[k],
            0.19,
            rel,
        );
    }
    assert_close(r, "accepted", out.accepted, 0.19, rel);
    assert_eq!(
        (out.gate_days, out.first_gate_day),
        (2.0, 0.0),
        "{}: {out:?}",
        r.name()
    );
    assert_eq!(out.first_shortfall_day, NEVER, "{}: {out:?}", r.name());
    // Settlement is T+1: day 0's acceptance is paid on day 1, day 1's after the horizon.
    assert_close(r, "paid", out.paid, 0.1, rel);
}

/// A cash buffer of 7% against redemptions spread evenly over [0, 14%]: the share of scenarios
/// it covers is the redemption CDF at the buffer, one half, and exactly those at or below 7%.
fn buffer_coverage_equals_the_redemption_cdf(r: &dyn Runner) {
    let model = buffered_fund();
    let n = 200;
    let sizes = even_redemptions(n);
    let scenarios: Vec<_> = sizes
        .iter()
        .map(|&x| redemption_scenario(0, 0, x as f32))
        .collect();
    let outputs = r.run(&model, &scenarios, 7);
    let mut covered = 0;
    for (x, out) in sizes.iter().zip(&outputs) {
        let is_covered =
            out.buffer_exhausted_day == NEVER && out.shortfall == 0.0 && out.gate_days == 0.0;
        assert_eq!(
            is_covered,
            *x <= 0.07,
            "{}: redemption {x}: {out:?}",
            r.name()
        );
        covered += is_covered as usize;
    }
    println!(
        "{}: the 7% buffer covers {covered} of {n} redemptions",
        r.name()
    );
    assert_eq!(covered, n / 2, "{}", r.name());
}

/// Swing pricing at the liquidation's cost rate (`s/2` here, estimated or fixed) charges the
/// redeemers exactly what their sales cost: NAV per share stays at 1 and nothing is diluted.
/// Without it the remaining investors bear the cost.
fn swing_at_the_cost_rate_leaves_nav_per_share_at_one(r: &dyn Runner) {
    let rel = closed_form_rel(r);
    for fixed in [0.0f32, 0.0015] {
        let model = swing_fund(Some(fixed));
        let out = run_one(r, &model, redemption_scenario(0, 0, 0.2));
        assert_close(
            r,
            &format!("nav_end (swing_fixed {fixed})"),
            out.nav_end,
            1.0,
            rel,
        );
        assert_close(
            r,
            &format!("swing_income (swing_fixed {fixed})"),
            out.swing_income,
            0.2 * 0.0015,
            rel,
        );
        assert!(
            out.dilution.abs() < 1e-6,
            "{}: swing_fixed {fixed}: {out:?}",
            r.name()
        );
    }
    let model = swing_fund(None);
    let out = run_one(r, &model, redemption_scenario(0, 0, 0.2));
    assert!(
        out.nav_end < 1.0 - 1e-4,
        "{}: no swing, yet NAV per share {}",
        r.name(),
        out.nav_end
    );
}

/// A calm scenario with every mechanism off changes nothing: the record is all zeros and
/// "never"s, with NAV per share 1 (so a backend that writes nothing cannot pass the forms above
/// by accident of zeroed memory).
fn a_quiet_fund_on_a_calm_day_stays_whole(r: &dyn Runner) {
    let model = fund(
        quiet_params(5),
        0.1,
        vec![position(0.9, 1.0, 0.001, 0.02, 0.5)],
        vec![],
    );
    let out = run_one(r, &model, calm_scenario());
    assert_eq!(out.nav_end, 1.0, "{}: {out:?}", r.name());
    assert_eq!(
        (out.requested, out.accepted, out.paid, out.portfolio_sold),
        (0.0, 0.0, 0.0, 0.0),
        "{}",
        r.name()
    );
    assert_eq!(
        (out.first_gate_day, out.first_shortfall_day),
        (NEVER, NEVER),
        "{}",
        r.name()
    );
}

/// The output-level conservation laws every record obeys: every field finite, paid ≤ accepted,
/// cumulative outflows, requests and costs non-decreasing over the reported horizons, NAV per
/// share positive. Returns how many scenarios lost more than 5% of NAV in 90 days.
fn check_conservation(r: &dyn Runner, outputs: &[ScenarioOutput], tol: f64) -> usize {
    let mut stressed = 0;
    for (k, o) in outputs.iter().enumerate() {
        let ctx = || format!("{}: scenario {k}: {o:?}", r.name());
        assert!(
            o.as_words().iter().all(|v| v.is_finite()),
            "NaN or infinity: {}",
            ctx()
        );
        assert!(
            o.paid as f64 <= o.accepted as f64 + tol,
            "paid > accepted: {}",
            ctx()
        );
        assert!(
            o.paid >= 0.0 && o.portfolio_sold >= 0.0 && o.cost_spread >= 0.0,
            "negative flow: {}",
            ctx()
        );
        assert!(o.nav_end > 0.0, "NAV per share not positive: {}", ctx());
        for (name, cum) in [
            ("cum_outflow", o.cum_outflow),
            ("cum_requested", o.cum_requested),
            ("cum_cost", o.cum_cost),
        ] {
            assert!(
                cum.windows(2).all(|w| w[0] <= w[1]),
                "{name} falls over the horizons: {}",
                ctx()
            );
        }
        // The example's horizon is 90 days, so the 90-day figures are the run's totals.
        assert!(
            (o.cum_outflow[3] as f64 - o.accepted as f64).abs() <= tol,
            "90-day outflow != accepted: {}",
            ctx()
        );
        assert!(
            (o.cum_requested[3] as f64 - o.requested as f64).abs() <= tol,
            "90-day requests != requested: {}",
            ctx()
        );
        stressed += (o.cum_outflow[3] > 0.05) as usize;
    }
    stressed
}

/// Output-level conservation on random scenarios of the example fund (see
/// [`check_conservation`]).
///
/// Accepted ≤ requested holds in shares, not in value: a request is valued at the NAV per share
/// of the day it is made, and a request that waits out a notice period or a gate is accepted at
/// a later, possibly higher, NAV per share (by up to 3% in the example's sweeps). The record
/// holds values only, so that inequality is checked in
/// [`accepted_never_exceeds_requested_when_dealt_at_once`].
fn outputs_conserve_on_random_scenarios(r: &dyn Runner) {
    let (fund, scenarios) = example_sweep(CONSERVATION_SCENARIOS, 13);
    let outputs = r.run(&fund.model, &scenarios, 13);
    assert_eq!(outputs.len(), scenarios.len());
    let stressed = check_conservation(r, &outputs, conservation_abs(r));
    println!(
        "{}: {} scenarios conserve; {stressed} lost more than 5% of NAV in 90 days",
        r.name(),
        outputs.len()
    );
    // The check means something only if the sweep contains runs.
    assert!(
        stressed > 0,
        "{}: no scenario with a material outflow",
        r.name()
    );
}

/// The example fund with every request dealt the day it is made, at the NAV per share it was
/// valued at (no notice periods, no gates, no swing): there, in value as in shares,
/// paid ≤ accepted ≤ requested.
fn accepted_never_exceeds_requested_when_dealt_at_once(r: &dyn Runner) {
    let (mut fund, scenarios) = example_sweep(DEALT_AT_ONCE_SCENARIOS, 17);
    let m = &mut fund.model;
    m.params.fund_notice = 0;
    m.params.switches &= !(switch::GATES | switch::SWING | switch::INVESTOR_GATE);
    m.segments.iter_mut().for_each(|s| s.notice = 0);
    m.large.iter_mut().for_each(|l| l.notice = 0);
    let outputs = r.run(&fund.model, &scenarios, 17);
    let tol = conservation_abs(r);
    let stressed = check_conservation(r, &outputs, tol);
    for (k, o) in outputs.iter().enumerate() {
        assert!(
            o.accepted as f64 <= o.requested as f64 + tol,
            "{}: accepted > requested: scenario {k}: {o:?}",
            r.name()
        );
        assert_eq!(
            o.gate_days,
            0.0,
            "{}: gated with gates off: scenario {k}",
            r.name()
        );
    }
    println!(
        "{}: {} scenarios dealt at once conserve; {stressed} lost more than 5% of NAV",
        r.name(),
        outputs.len()
    );
    assert!(
        stressed > 0,
        "{}: no scenario with a material outflow",
        r.name()
    );
}

backend_tests!(
    linear_cost_of_one_redemption,
    square_root_cost_of_one_redemption,
    gate_pays_its_cap_and_queues_the_rest,
    buffer_coverage_equals_the_redemption_cdf,
    swing_at_the_cost_rate_leaves_nav_per_share_at_one,
    a_quiet_fund_on_a_calm_day_stays_whole,
    outputs_conserve_on_random_scenarios,
    accepted_never_exceeds_requested_when_dealt_at_once,
);

/// The comparator reads every word of the record, the 55th (`accepted_shares`, issue 10)
/// included: a corrupted value there fails the comparison and is named.
#[test]
fn the_comparator_catches_a_corrupted_accepted_shares() {
    use undertow_host::validate::{compare, Tolerances};
    let (fund, scenarios) = example_sweep(200, 59);
    let cpu = undertow_tests::cpu_f32();
    let reference = cpu.run(&fund.model, &scenarios, 59);
    let mut actual = reference.clone();
    assert!(compare(&reference, &actual, &Tolerances::default()).passed);
    assert!(reference.iter().any(|o| o.accepted_shares > 0.0));
    for o in actual.iter_mut().step_by(50) {
        o.as_words_mut()[ScenarioOutput::WORDS - 1] = o.accepted_shares * 1.05 + 0.01;
    }
    let corrupted = compare(&reference, &actual, &Tolerances::default());
    assert!(!corrupted.passed, "{corrupted}");
    let worst = corrupted.worst.as_ref().expect("a worst disagreement");
    assert_eq!(worst.field, "accepted_shares", "{corrupted}");
}

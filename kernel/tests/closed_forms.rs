//! The closed forms of MODEL.md section 8, with noise, feedback and crowding off, at both
//! precisions of the reference kernel.

use approx::assert_relative_eq;
use undertow_kernel::testing::*;
use undertow_kernel::*;

const KEY: [u32; 2] = [7, 0];

fn run<T: Real>(model: &FundModel, sc: &ScenarioParams) -> (ScenarioOutput, Vec<DayTrace>) {
    let mut ws = Workspace::<T>::new(model);
    let mut days = Vec::new();
    let out = simulate_traced(model, sc, 0, KEY, &mut ws, |d| days.push(*d));
    (out, days)
}

#[test]
fn linear_cost_of_one_redemption() {
    let (s, eta, d, x) = (0.002f64, 0.1f64, 2.0f64, 0.1f64);
    let model = one_position(impact::LINEAR, s as f32, eta as f32, d as f32);
    let (out, _) = run::<f64>(&model, &redemption_scenario(0, 0, x as f32));
    let (q, cost) = linear_sale(s, eta, d, x);
    assert_relative_eq!(out.portfolio_sold as f64, q, max_relative = 1e-6);
    assert_relative_eq!(
        (out.cost_spread + out.cost_impact) as f64,
        cost,
        max_relative = 1e-5
    );
    assert_relative_eq!(out.cost_spread as f64, q * s / 2.0, max_relative = 1e-6);
    assert_relative_eq!(out.paid as f64, x, max_relative = 1e-6);
    assert_eq!(out.first_shortfall_day, NEVER);
}

#[test]
fn square_root_cost_of_one_redemption() {
    let (s, y, sig, d, x) = (0.001f64, 0.5f64, 0.02f64, 0.5f64, 0.08f64);
    let model = one_position(impact::SQUARE_ROOT, s as f32, y as f32, d as f32);
    let (out, _) = run::<f64>(&model, &redemption_scenario(0, 0, x as f32));
    let (q, cost) = square_root_sale(s, y, sig, d, x);
    assert_relative_eq!(out.portfolio_sold as f64, q, max_relative = 1e-6);
    assert_relative_eq!(
        (out.cost_spread + out.cost_impact) as f64,
        cost,
        max_relative = 1e-5
    );
}

#[test]
fn days_to_sell_under_participation_cap() {
    let mut p = quiet_params(20);
    p.participation_cap = 0.2;
    let (adv, x) = (0.06f32, 0.1f64);
    let model = fund(p, 0.0, vec![position(1.0, adv, 0.0, 0.02, 0.0)], vec![]);
    let (_, days) = run::<f64>(&model, &redemption_scenario(0, 0, x as f32));
    let mut selling_days = 0;
    let mut last = 1.0;
    for d in &days {
        if d.holdings < last - 1e-12 {
            selling_days += 1;
        }
        last = d.holdings;
    }
    let expected = (x / (0.2 * adv as f64)).ceil() as usize;
    assert_eq!(selling_days, expected, "{days:#?}");
    // The unmet part is a shortfall carried as arrears until the sales settle.
    assert!(days.iter().any(|d| d.shortfall));
    assert!(days.last().unwrap().arrears < 1e-12);
}

#[test]
fn gate_pays_exactly_its_cap_and_queues_the_rest() {
    let model = gated_fund(4);
    let (out, days) = run::<f64>(&model, &redemption_scenario(0, 0, 0.3));
    assert_relative_eq!(days[0].accepted, 0.1, max_relative = 1e-6);
    assert_relative_eq!(days[0].requested, 0.3, max_relative = 1e-6);
    // Day 1: NAV is 0.9, so the cap pays 0.09 more.
    assert_relative_eq!(days[1].accepted, 0.19, max_relative = 1e-6);
    assert!(days[0].gate && days[1].gate);
    assert_eq!(out.first_gate_day, 0.0);
    assert_eq!(out.first_shortfall_day, NEVER);
}

#[test]
fn buffer_coverage_matches_the_redemption_cdf() {
    // Redemptions spread evenly over [0, 0.14]; a 7% cash buffer covers exactly those <= 7%.
    let model = buffered_fund();
    let n = 200;
    let mut covered = 0;
    for x in even_redemptions(n) {
        let (out, _) = run::<f64>(&model, &redemption_scenario(0, 0, x as f32));
        let is_covered =
            out.buffer_exhausted_day == NEVER && out.shortfall == 0.0 && out.gate_days == 0.0;
        assert_eq!(is_covered, x <= 0.07, "x = {x}: {out:?}");
        covered += is_covered as usize;
    }
    assert_eq!(covered, n / 2);
}

#[test]
fn swing_at_the_cost_rate_leaves_remaining_investors_whole() {
    for fixed in [0.0f32, 0.0015] {
        let model = swing_fund(Some(fixed));
        let (out, days) = run::<f64>(&model, &redemption_scenario(0, 0, 0.2));
        assert_relative_eq!(days.last().unwrap().nav_per_share, 1.0, max_relative = 1e-9);
        assert_relative_eq!(out.swing_income as f64, 0.2 * 0.0015, max_relative = 1e-5);
        assert!(out.dilution.abs() < 1e-6, "{out:?}");
    }
    // Without swing pricing the remaining investors bear the cost.
    let model = swing_fund(None);
    let (_, days) = run::<f64>(&model, &redemption_scenario(0, 0, 0.2));
    assert!(days.last().unwrap().nav_per_share < 1.0 - 1e-4);
}

#[test]
fn f32_tracks_f64_on_a_closed_form() {
    let model = one_position(impact::SQUARE_ROOT, 0.001, 0.5, 0.5);
    let sc = redemption_scenario(0, 0, 0.08);
    let (a, _) = run::<f32>(&model, &sc);
    let (b, _) = run::<f64>(&model, &sc);
    assert_relative_eq!(a.cost_impact, b.cost_impact, max_relative = 1e-4);
    assert_relative_eq!(a.nav_end, b.nav_end, max_relative = 1e-6);
}

//! Small funds and scenarios built in code, for closed-form tests of the model (used by the kernel's
//! own tests and the integration tests of every backend).

use crate::params::*;

/// Fund parameters with every mechanism off, daily dealing, `r_set = 1`, and neutral policy.
pub fn quiet_params(horizon: u32) -> FundParams {
    let mut p: FundParams = bytemuck::Zeroable::zeroed();
    p.horizon = horizon;
    p.dealing_every = 1;
    p.redemption_settlement = 1;
    p.ring = 8;
    p.switches = 0;
    p.impact_model = impact::LINEAR;
    p.strategy = strategy::MIN_COST;
    p.participation_cap = 1.0;
    p.perm_fraction = 0.5;
    p.late_settlement_penalty = 1.0;
    p.lam_max = 1.0;
    p.gate_redemptions_30d = 0.15;
    p.gate_alr = 1.2;
    p.gate_stress = 0.8;
    p.gate_cap = 0.1;
    p.gate_investor_cap = 1.0;
    p.swing_cap = 0.05;
    p.in_kind_threshold = 0.05;
    p.borrowing_cap = 0.1;
    p.event_outflow_5d = 0.1;
    p.illiquid_limit = 0.15;
    p.max_style_drift = 0.1;
    p.stress_weights = [0.25, 0.15, 0.2, 0.15, 0.15, 0.1];
    p.indicator_thresholds = [
        0.05, 0.1, 0.05, 0.5, 0.6, 0.05, 0.03, 1.2, 1.0, 0.3, 0.3, 0.3, 0.1, 0.02,
    ];
    p
}

/// A position of class 0 with the given weight, ADV, spread, vol and impact coefficient, T+1.
pub fn position(weight: f32, adv: f32, spread: f32, vol: f32, impact: f32) -> PositionParams {
    PositionParams {
        weight,
        adv,
        spread,
        vol,
        impact,
        lag: 1,
        ..Default::default()
    }
}

/// A fund of the given positions and cash, held by one quiet segment (share 1 minus the large
/// stakes) and the given large investors.
pub fn fund(
    params: FundParams,
    cash: f32,
    positions: Vec<PositionParams>,
    large: Vec<LargeInvestorParams>,
) -> FundModel {
    let mut params = params;
    let stakes: f32 = large.iter().map(|l| l.stake).sum();
    params.n_positions = positions.len() as u32;
    params.n_classes = 1 + positions.iter().map(|p| p.class).max().unwrap_or(0);
    params.n_segments = 1;
    params.n_large = large.len() as u32;
    params.initial_cash = cash;
    let invested: f32 = positions.iter().map(|p| p.weight).sum();
    for p in &positions {
        params.class_target_weight[p.class as usize] += p.weight / invested.max(1e-12);
    }
    let segments = vec![SegmentParams {
        share: 1.0 - stakes,
        ..Default::default()
    }];
    let order = (0..positions.len() as u32).collect();
    FundModel {
        params,
        positions,
        segments,
        large,
        waterfall_order: order,
    }
}

/// A calm scenario: no stress, all multipliers neutral.
pub fn calm_scenario() -> ScenarioParams {
    ScenarioParams {
        onset: 10_000,
        ramp: 1,
        half_life: 10.0,
        rho: 0.5,
        redemption_mult: 1.0,
        large_mult: 1.0,
        spread_mult: [1.0; MAX_CLASSES],
        vol_mult: [1.0; MAX_CLASSES],
        ..Default::default()
    }
}

/// A scenario in which holder `holder` requests `fraction` of its shares on `day`.
pub fn redemption_scenario(holder: u32, day: u32, fraction: f32) -> ScenarioParams {
    let mut s = calm_scenario();
    s.flags = sflag::SCRIPTED;
    s.n_events = 1;
    s.event_day[0] = day;
    s.event_holder[0] = holder;
    s.event_fraction[0] = fraction;
    s
}

/// Two positions, noise, base flows and permanent impact on, one large investor holding 20%:
/// sales happen and the state moves every day, for tests of what observers see.
pub fn busy_fund(horizon: u32) -> FundModel {
    let mut params = quiet_params(horizon);
    params.switches = switch::NOISE | switch::BASE_FLOWS | switch::PERM_IMPACT;
    let large = LargeInvestorParams {
        stake: 0.2,
        ..Default::default()
    };
    fund(
        params,
        0.02,
        vec![
            position(0.5, 0.1, 0.002, 0.2, 0.1),
            position(0.48, 0.02, 0.01, 0.3, 0.5),
        ],
        vec![large],
    )
}

// The closed forms of MODEL.md section 8, shared by the kernel's own tests and the tests that
// run them on every backend.

/// One position, no cash: a redemption on day 0 is met by one sale.
pub fn one_position(impact_model: u32, spread: f32, impact_coef: f32, depth: f32) -> FundModel {
    let mut p = quiet_params(5);
    p.impact_model = impact_model;
    fund(
        p,
        0.0,
        vec![position(1.0, depth, spread, 0.02, impact_coef)],
        vec![],
    )
}

/// Linear impact: the gross sale `q` whose net proceeds are `x`, from
/// `q (1 - s/2 - eta q / d) = x`, and its cost `q (s/2 + eta q / d)`.
pub fn linear_sale(s: f64, eta: f64, d: f64, x: f64) -> (f64, f64) {
    let a = eta / d;
    let b = 1.0 - s / 2.0;
    let q = (b - (b * b - 4.0 * a * x).sqrt()) / (2.0 * a);
    (q, q * (s / 2.0 + eta * q / d))
}

/// Square-root impact: the gross sale `q` with `q - cost(q) = x`, where
/// `cost(q) = q (s/2 + Y sig sqrt(q / d))`, solved by bisection independently of the kernel;
/// and its cost.
pub fn square_root_sale(s: f64, y: f64, sig: f64, d: f64, x: f64) -> (f64, f64) {
    let cost_of = |q: f64| q * (s / 2.0 + y * sig * (q / d).sqrt());
    let (mut lo, mut hi) = (x, 2.0 * x);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if mid - cost_of(mid) < x {
            lo = mid
        } else {
            hi = mid
        }
    }
    let q = 0.5 * (lo + hi);
    (q, cost_of(q))
}

/// Half cash, half one position, gated on 30-day redemptions with a 10% cap.
pub fn gated_fund(horizon: u32) -> FundModel {
    let mut p = quiet_params(horizon);
    p.switches = switch::GATES;
    p.gate_triggers = gate::REDEMPTIONS_30D;
    p.gate_cap = 0.1;
    fund(p, 0.5, vec![position(0.5, 10.0, 0.0, 0.02, 0.0)], vec![])
}

/// A 7% cash buffer and one position, over 10 days.
pub fn buffered_fund() -> FundModel {
    fund(
        quiet_params(10),
        0.07,
        vec![position(0.93, 5.0, 0.001, 0.02, 0.0)],
        vec![],
    )
}

/// `n` redemption sizes spread evenly over [0, 14%]: twice the buffer of [`buffered_fund`], so
/// that it covers exactly half of them.
pub fn even_redemptions(n: usize) -> Vec<f64> {
    (0..n).map(|k| 0.14 * (k as f64 + 0.5) / n as f64).collect()
}

/// One position with a 30 bp spread, no cash, over 5 days; with swing pricing at `swing_fixed`
/// (0: the estimated cost rate) from the first redemption, or none.
pub fn swing_fund(swing_fixed: Option<f32>) -> FundModel {
    let mut p = quiet_params(5);
    if let Some(fixed) = swing_fixed {
        p.switches = switch::SWING;
        p.swing_threshold = 0.0;
        p.swing_fixed = fixed;
    }
    fund(p, 0.0, vec![position(1.0, 10.0, 0.003, 0.02, 0.0)], vec![])
}

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

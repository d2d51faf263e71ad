//! Turns a validated fund file into the kernel's [`FundModel`]: currency into fractions of NAV,
//! basis points into fractions, annual rates and volatilities into daily ones, names into indices,
//! and the derived settings (illiquid flags, ring length, class targets, waterfall order,
//! fund-relative indicator thresholds).
//!
//! Everything here assumes [`super::validate`] passed: conversion cannot fail.

use std::collections::HashMap;

use undertow_kernel::{
    indicator, pflag, FundModel, FundParams, LargeInvestorParams, PositionParams, SegmentParams,
    MAX_CLASSES, N_INDICATORS,
};

use super::spec::{
    FundFile, FundingPolicy, ImpactModel, LiquidationSection, PositionSpec, Tier, WaterfallOrder,
};
use super::{ClassInfo, Fund};

/// Business days in a year: annual volatilities are divided by its square root, annual rates by it.
pub const TRADING_DAYS_PER_YEAR: f64 = 252.0;

/// A position that takes longer than this many days to sell at the participation cap, or that
/// can only be sold on windows further apart, is "illiquid" (SEC Rule 22e-4: cannot be sold in
/// seven days without significantly changing its market value). Days here are business days.
pub const ILLIQUID_DAYS: f64 = 7.0;

/// Spread widening assumed when ranking positions by stressed cost (the middle of MODEL.md's
/// `W` range of 2 to 20, on a log scale roughly).
pub const STRESSED_SPREAD_MULTIPLE: f64 = 5.0;

/// Volatility multiple assumed when ranking positions by stressed cost.
pub const STRESSED_VOL_MULTIPLE: f64 = 2.0;

/// Fund-relative indicator defaults (see `docs/fund-file.md`): the top-10 share may rise this much
/// above its starting level before it warns...
pub const TOP10_SHARE_MARGIN: f64 = 0.05;
/// ...the investor HHI may grow by this factor...
pub const HHI_GROWTH: f64 = 1.25;
/// ...and the buffer share and funding headroom may fall to this fraction of their starting level.
pub const BUFFER_HEADROOM_FLOOR: f64 = 0.5;

/// Builds the fund from a validated file whose positions are `positions` (inline or from CSV).
pub(crate) fn to_fund(spec: FundFile, positions: Vec<PositionSpec>, source: &str) -> Fund {
    let f = &spec.fund;
    let liq = &spec.liquidation;
    let class_index: HashMap<&str, usize> = spec
        .classes
        .iter()
        .enumerate()
        .map(|(i, c)| (c.name.as_str(), i))
        .collect();

    let kernel_positions: Vec<PositionParams> = positions
        .iter()
        .map(|p| {
            position_params(
                p,
                class_index.get(p.class.as_str()).copied().unwrap_or(0),
                f.aum,
                liq,
            )
        })
        .collect();

    let segments: Vec<SegmentParams> = spec
        .segments
        .iter()
        .map(|s| SegmentParams {
            share: s.share as f32,
            base_rate: s.base_rate as f32,
            beta_perf: s.beta_perf as f32,
            beta_herd: s.beta_herd as f32,
            beta_liq: s.beta_liq as f32,
            beta_stress: s.beta_stress as f32,
            flow_vol: s.flow_vol as f32,
            notice: s.notice_days,
        })
        .collect();

    // Largest stake first, so that the kernel's "first ten" are the top ten. The sort is stable:
    // equal stakes keep the file's order.
    let mut large_order: Vec<usize> = (0..spec.large_investors.len()).collect();
    large_order.sort_by(|&a, &b| {
        spec.large_investors[b]
            .stake
            .total_cmp(&spec.large_investors[a].stake)
    });
    let large: Vec<LargeInvestorParams> = large_order
        .iter()
        .map(|&i| {
            let l = &spec.large_investors[i];
            LargeInvestorParams {
                stake: l.stake as f32,
                hazard: l.hazard as f32,
                beta_perf: l.beta_perf as f32,
                beta_herd: l.beta_herd as f32,
                beta_liq: l.beta_liq as f32,
                beta_stress: l.beta_stress as f32,
                fraction: l.fraction as f32,
                notice: l.notice_days,
            }
        })
        .collect();
    let large_names: Vec<String> = large_order
        .iter()
        .map(|&i| spec.large_investors[i].name.clone())
        .collect();

    let params = fund_params(&spec, &positions, &kernel_positions, &segments, &large);
    let waterfall_order = waterfall_order(
        &positions,
        &liq.waterfall_order,
        f.redemption_settlement_days,
        liq,
    );

    Fund {
        source: source.to_string(),
        name: f.name.clone(),
        currency: f.currency.clone(),
        aum: f.aum,
        expected_return: f.expected_return,
        model: FundModel {
            params,
            positions: kernel_positions,
            segments,
            large,
            waterfall_order,
        },
        classes: spec
            .classes
            .iter()
            .map(|c| ClassInfo {
                name: c.name.clone(),
                kind: c.kind,
            })
            .collect(),
        position_ids: positions.iter().map(|p| p.id.clone()).collect(),
        position_labels: positions
            .iter()
            .map(|p| {
                if p.label.is_empty() {
                    p.id.clone()
                } else {
                    p.label.clone()
                }
            })
            .collect(),
        segment_names: spec.segments.iter().map(|s| s.name.clone()).collect(),
        large_names,
        scenarios: spec.scenarios.clone(),
        spec: FundFile {
            positions_csv: None,
            positions,
            ..spec
        },
    }
}

/// Days to sell a position at the participation cap in normal markets.
pub fn days_to_liquidate(p: &PositionSpec, aum: f64, participation_cap: f64) -> f64 {
    p.weight * aum / (participation_cap * p.adv)
}

/// Whether a position counts as illiquid: the file's `illiquid` if given, otherwise more than
/// [`ILLIQUID_DAYS`] to sell at the participation cap, or sale windows further apart than that.
pub fn is_illiquid(p: &PositionSpec, aum: f64, participation_cap: f64) -> bool {
    p.illiquid.unwrap_or_else(|| {
        days_to_liquidate(p, aum, participation_cap) > ILLIQUID_DAYS
            || f64::from(p.redemption_window_days) > ILLIQUID_DAYS
    })
}

fn position_params(
    p: &PositionSpec,
    class: usize,
    aum: f64,
    liq: &LiquidationSection,
) -> PositionParams {
    let mut flags = p.price_route.code();
    if p.repo_eligible {
        flags |= pflag::REPO_ELIGIBLE;
    }
    if is_illiquid(p, aum, liq.participation_cap) {
        flags |= pflag::ILLIQUID;
    }
    PositionParams {
        class: class as u32,
        tier: p.tier.code(),
        flags,
        window: p.redemption_window_days,
        lag: p.settlement_days,
        _pad: [0; 3],
        weight: p.weight as f32,
        adv: (p.adv / aum) as f32,
        spread: (p.spread_bps * 1e-4) as f32,
        vol: (p.vol_annual / TRADING_DAYS_PER_YEAR.sqrt()) as f32,
        impact: p.impact as f32,
        duration: p.duration as f32,
        convexity: p.convexity as f32,
        alpha: p.alpha as f32,
    }
}

fn fund_params(
    spec: &FundFile,
    positions: &[PositionSpec],
    kernel_positions: &[PositionParams],
    segments: &[SegmentParams],
    large: &[LargeInvestorParams],
) -> FundParams {
    let f = &spec.fund;
    let gates = &spec.policy.gates;
    let swing = &spec.policy.swing;
    let fu = &spec.funding;
    let liq = &spec.liquidation;
    let ind = &spec.indicators;

    // The rings must outlast every delay an amount can wait in them.
    let max_lag = kernel_positions.iter().map(|p| p.lag).max().unwrap_or(0);
    let max_notice = segments
        .iter()
        .map(|s| s.notice)
        .chain(large.iter().map(|l| l.notice))
        .max()
        .unwrap_or(0);
    let ring = max_lag
        .max(f.redemption_settlement_days)
        .max(f.notice_days + max_notice)
        + 2;

    let invested: f64 = positions.iter().map(|p| p.weight).sum();
    let mut class_target_weight = [0.0f32; MAX_CLASSES];
    if invested > 0.0 {
        let mut by_class = [0.0f64; MAX_CLASSES];
        for (p, kp) in positions.iter().zip(kernel_positions) {
            by_class[kp.class as usize] += p.weight;
        }
        for (target, class_weight) in class_target_weight.iter_mut().zip(by_class) {
            *target = (class_weight / invested) as f32;
        }
    }

    let mut stress_weights = [0.0f32; 6];
    for (w, (_, v)) in stress_weights.iter_mut().zip(ind.stress_weights.entries()) {
        *w = v as f32;
    }

    FundParams {
        n_positions: kernel_positions.len() as u32,
        n_classes: spec.classes.len() as u32,
        n_segments: segments.len() as u32,
        n_large: large.len() as u32,
        horizon: f.horizon_days,
        dealing_every: f.dealing.code(),
        redemption_settlement: f.redemption_settlement_days,
        fund_notice: f.notice_days,
        ring,
        switches: spec.model.bits(),
        impact_model: liq.impact_model.code(),
        strategy: liq.strategy.code(),
        gate_triggers: gates.triggers.iter().fold(0, |bits, t| bits | t.code()),
        gate_rule: gates.rule.code(),
        gate_min_days: gates.min_days,
        funding_policy: fu.policy.code(),
        participation_cap: liq.participation_cap as f32,
        perm_fraction: liq.permanent_fraction as f32,
        impact_threshold: liq.threshold as f32,
        adaptive_decay: liq.adaptive_decay as f32,
        buffer_rebuild_rate: liq.buffer_rebuild_rate as f32,
        max_style_drift: liq.max_style_drift as f32,
        initial_cash: f.cash as f32,
        late_settlement_penalty: liq.late_settlement_penalty as f32,
        lam_max: spec.model.lam_max as f32,
        gate_redemptions_30d: gates.redemptions_30d as f32,
        gate_alr: gates.alr as f32,
        gate_stress: gates.stress as f32,
        gate_cap: gates.cap as f32,
        gate_investor_cap: gates.investor_cap as f32,
        swing_threshold: swing.threshold as f32,
        swing_cap: swing.cap as f32,
        swing_fixed: swing.fixed as f32,
        in_kind_threshold: spec.policy.in_kind.threshold as f32,
        credit_line: fu.credit_line as f32,
        borrowing_cap: fu.borrowing_cap as f32,
        repo_haircut: fu.repo_haircut as f32,
        funding_rate: (fu.rate / TRADING_DAYS_PER_YEAR) as f32,
        event_outflow_5d: ind.event_outflow_5d as f32,
        illiquid_limit: ind.illiquid_limit as f32,
        buffer_exhausted_level: ind.buffer_exhausted_level as f32,
        impact_half_life: liq.impact_half_life_days as f32,
        impact_permanent_share: liq.impact_permanent_share as f32,
        gate_concern: spec.model.gate_concern as f32,
        concern_start: spec.model.concern_start as f32,
        event_drawdown: ind.event_drawdown as f32,
        _pad0: [0.0; 2],
        stress_weights,
        _pad1: [0.0; 2],
        indicator_thresholds: indicator_thresholds(spec, positions),
        _pad2: [0.0; 2],
        class_target_weight,
    }
}

/// The 14 thresholds, with the fund-relative defaults filled in.
fn indicator_thresholds(spec: &FundFile, positions: &[PositionSpec]) -> [f32; N_INDICATORS] {
    let mut out = [0.0f32; N_INDICATORS];
    for (k, (name, value)) in spec.indicators.thresholds.entries().into_iter().enumerate() {
        debug_assert_eq!(name, indicator::NAMES[k]);
        let resolved = value
            .or_else(|| relative_default(spec, positions, k).map(|(v, _)| v))
            .unwrap_or(0.0);
        out[k] = resolved as f32;
    }
    out
}

/// The default threshold of indicator `k` when it is relative to the fund's day-0 state, with the
/// rule in words; `None` for indicators whose default is a fixed number.
pub(crate) fn relative_default(
    spec: &FundFile,
    positions: &[PositionSpec],
    k: usize,
) -> Option<(f64, &'static str)> {
    let stakes: Vec<f64> = spec.large_investors.iter().map(|l| l.stake).collect();
    let start = StartingPoint::of(spec, positions, &stakes);
    match k {
        indicator::TOP10_SHARE => Some((
            (start.top10_share + TOP10_SHARE_MARGIN).min(1.0),
            "day-0 top-10 share + 0.05",
        )),
        indicator::INVESTOR_HHI => {
            Some((start.investor_hhi * HHI_GROWTH, "day-0 investor HHI x 1.25"))
        }
        indicator::BUFFER_SHARE => Some((
            start.buffer_share * BUFFER_HEADROOM_FLOOR,
            "half the day-0 cash + buffer-tier share",
        )),
        indicator::FUNDING_HEADROOM => Some((
            start.funding_headroom * BUFFER_HEADROOM_FLOOR,
            "half the day-0 funding headroom",
        )),
        _ => None,
    }
}

/// The day-0 values of the indicators whose default thresholds are relative to them.
struct StartingPoint {
    top10_share: f64,
    investor_hhi: f64,
    buffer_share: f64,
    funding_headroom: f64,
}

impl StartingPoint {
    fn of(spec: &FundFile, positions: &[PositionSpec], stakes: &[f64]) -> Self {
        let fu = &spec.funding;
        let buffer_share = spec.fund.cash
            + positions
                .iter()
                .filter(|p| p.tier != Tier::None)
                .map(|p| p.weight)
                .sum::<f64>();
        let repo: f64 = positions
            .iter()
            .filter(|p| p.repo_eligible)
            .map(|p| p.weight)
            .sum();
        let funding_on = spec.model.funding && fu.policy != FundingPolicy::Never;
        let funding_headroom = if funding_on {
            (fu.credit_line + repo * (1.0 - fu.repo_haircut)).min(fu.borrowing_cap)
        } else {
            0.0
        };
        StartingPoint {
            top10_share: top10_share(stakes),
            investor_hhi: investor_hhi(stakes),
            buffer_share,
            funding_headroom,
        }
    }
}

/// Share of NAV held by the ten largest large investors. Segments are taken as many small
/// holders, none of whom is in the top ten.
pub fn top10_share(stakes: &[f64]) -> f64 {
    let mut sorted = stakes.to_vec();
    sorted.sort_by(|a, b| b.total_cmp(a));
    sorted.iter().take(10).sum()
}

/// Herfindahl index of the investor base: the sum of squared large stakes (segments, being many
/// small holders, add nothing measurable).
pub fn investor_hhi(stakes: &[f64]) -> f64 {
    stakes.iter().map(|s| s * s).sum()
}

/// Stressed cost per unit sold, used to rank the liquidity hierarchy: half the spread widened by
/// [`STRESSED_SPREAD_MULTIPLE`], plus the impact of selling at the participation cap with
/// volatility raised by [`STRESSED_VOL_MULTIPLE`] (a fraction of the amount sold).
pub fn stressed_cost_per_unit(p: &PositionSpec, liq: &LiquidationSection) -> f64 {
    let spread = p.spread_bps * 1e-4 * STRESSED_SPREAD_MULTIPLE;
    let vol = p.vol_annual / TRADING_DAYS_PER_YEAR.sqrt() * STRESSED_VOL_MULTIPLE;
    let u = liq.participation_cap;
    let impact = match liq.impact_model {
        ImpactModel::SquareRoot | ImpactModel::Adaptive => p.impact * vol * u.sqrt(),
        ImpactModel::Linear => p.impact * u,
        ImpactModel::Threshold => p.impact * (u - liq.threshold).max(0.0),
    };
    spread / 2.0 + impact
}

/// Whether a sale's cash arrives after the redemption it pays for is due: proceeds settle after
/// `r_set`, or the holding can only be sold on windows. Such positions go to the end of the
/// liquidity hierarchy whatever their cost.
pub fn settles_late(p: &PositionSpec, redemption_settlement_days: u32) -> bool {
    p.settlement_days > redemption_settlement_days || p.redemption_window_days > 1
}

/// Position indices, cheapest stressed cost first, late-settling positions last; ties keep the
/// file's order.
pub fn liquidity_hierarchy(
    positions: &[PositionSpec],
    redemption_settlement_days: u32,
    liq: &LiquidationSection,
) -> Vec<u32> {
    let mut order: Vec<u32> = (0..positions.len() as u32).collect();
    order.sort_by(|&a, &b| {
        let (pa, pb) = (&positions[a as usize], &positions[b as usize]);
        settles_late(pa, redemption_settlement_days)
            .cmp(&settles_late(pb, redemption_settlement_days))
            .then(stressed_cost_per_unit(pa, liq).total_cmp(&stressed_cost_per_unit(pb, liq)))
    });
    order
}

fn waterfall_order(
    positions: &[PositionSpec],
    order: &WaterfallOrder,
    redemption_settlement_days: u32,
    liq: &LiquidationSection,
) -> Vec<u32> {
    match order {
        WaterfallOrder::Given => (0..positions.len() as u32).collect(),
        WaterfallOrder::StressedCost => {
            liquidity_hierarchy(positions, redemption_settlement_days, liq)
        }
        WaterfallOrder::Ids(ids) => {
            let index: HashMap<&str, u32> = positions
                .iter()
                .enumerate()
                .map(|(i, p)| (p.id.as_str(), i as u32))
                .collect();
            let mut listed: Vec<u32> = ids
                .iter()
                .filter_map(|id| index.get(id.as_str()).copied())
                .collect();
            let mut is_listed = vec![false; positions.len()];
            for &i in &listed {
                is_listed[i as usize] = true;
            }
            let rest = liquidity_hierarchy(positions, redemption_settlement_days, liq);
            listed.extend(rest.into_iter().filter(|&i| !is_listed[i as usize]));
            listed
        }
    }
}

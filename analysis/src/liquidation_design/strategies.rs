//! Stage 4's strategy comparison: what each liquidation strategy's run did to the fund (cost,
//! style drift, factor exposures, residual liquidity), summarised over scenarios and ranked.

use undertow_kernel::{pflag, FundModel, ScenarioOutput, MAX_CLASSES};

use super::config::{LiquidationConfig, LiquidationWeights};
use super::{Histogram, StrategyResult};
use crate::sim::PositionEnd;
use undertow_host::aggregate::quantile;
use undertow_host::fund::TRADING_DAYS_PER_YEAR;

/// Per-scenario measures of one run.
pub(crate) struct RunMeasures {
    pub(crate) cost_bps: Vec<f64>,
    pub(crate) impact_bps: Vec<f64>,
    /// Mark-to-market loss on what remains from the fund's own impact at the horizon, bps.
    pub(crate) mtm_bps: Vec<f64>,
    pub(crate) alpha_bps: Vec<f64>,
    pub(crate) style: Vec<f64>,
    pub(crate) style_vs_target: Vec<f64>,
    pub(crate) factor: Vec<f64>,
    pub(crate) sold: Vec<f64>,
    pub(crate) outputs: Vec<ScenarioOutput>,
}

/// Value-weighted factor exposures of a set of holding values: rates duration, spread duration,
/// volatility.
pub(crate) fn exposures(model: &FundModel, values: &[f64]) -> [f64; 3] {
    let total: f64 = values.iter().sum();
    if total <= 0.0 {
        return [0.0; 3];
    }
    let mut e = [0.0; 3];
    for (pos, v) in model.positions.iter().zip(values) {
        e[0] += v * pos.duration as f64;
        if pos.flags & pflag::SPREAD_ROUTE != 0 {
            e[1] += v * pos.duration as f64;
        }
        e[2] += v * pos.vol as f64;
    }
    e.map(|x| x / total)
}

/// Each class's share of the holdings' value (all zero when nothing is held).
pub fn class_weights(model: &FundModel, values: &[f64]) -> [f64; MAX_CLASSES] {
    let total: f64 = values.iter().sum();
    let mut w = [0.0f64; MAX_CLASSES];
    if total > 0.0 {
        for (pos, v) in model.positions.iter().zip(values) {
            w[(pos.class as usize).min(MAX_CLASSES - 1)] += v / total;
        }
    }
    w
}

/// Style drift: the largest relative deviation `|w_c / target_c − 1|` of the class weights of
/// `values` from `target`, over the classes with a positive target.
pub fn style_drift(model: &FundModel, values: &[f64], target: &[f64; MAX_CLASSES]) -> f64 {
    let w = class_weights(model, values);
    target
        .iter()
        .zip(w)
        .filter(|(t, _)| **t > 0.0)
        .map(|(t, w)| (w / t - 1.0).abs())
        .fold(0.0, f64::max)
}

/// Largest relative change of the factor exposures from `start` (zero exposures skipped).
pub(crate) fn factor_deviation(start: &[f64; 3], end: &[f64; 3]) -> f64 {
    start
        .iter()
        .zip(end)
        .filter(|(s, _)| s.abs() > 1e-12)
        .map(|(s, e)| (e / s - 1.0).abs())
        .fold(0.0, f64::max)
}

/// What one scenario's positions' ends say about a run, computed as soon as the scenario ends
/// (`Simulator::run_variants_with_positions` keeps only these).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EndMeasures {
    /// Alpha forgone on what was sold, for the days left after each sale, bps of initial NAV.
    pub alpha_bps: f64,
    /// Style drift against the day-0 holdings at the horizon's prices.
    pub style: f64,
    /// Style drift against the class targets.
    pub style_vs_target: f64,
    /// Largest relative change of the factor exposures.
    pub factor: f64,
    /// Value sold over the run, fraction of initial NAV.
    pub sold: f64,
}

/// [`EndMeasures`] of one scenario's positions' ends on `model`.
pub fn end_measures(model: &FundModel, e: &PositionEnd) -> EndMeasures {
    let targets = model.params.class_target_weight.map(|t| t as f64);
    let alpha: f64 = model
        .positions
        .iter()
        .map(|p| p.alpha as f64 / TRADING_DAYS_PER_YEAR)
        .zip(&e.sold_days_left)
        .map(|(a, s)| a * s)
        .sum();
    // The portfolio had nothing been sold: the day-0 holdings at the horizon's prices.
    let kept: Vec<f64> = model
        .positions
        .iter()
        .zip(&e.price)
        .map(|(p, price)| p.weight as f64 * price)
        .collect();
    EndMeasures {
        alpha_bps: alpha * 1e4,
        style: style_drift(model, &e.value, &class_weights(model, &kept)),
        style_vs_target: style_drift(model, &e.value, &targets),
        factor: factor_deviation(&exposures(model, &kept), &exposures(model, &e.value)),
        sold: e.sold.iter().sum(),
    }
}

pub(crate) fn measure(outputs: Vec<ScenarioOutput>, ends: &[EndMeasures]) -> RunMeasures {
    let mut m = RunMeasures {
        cost_bps: Vec::with_capacity(outputs.len()),
        impact_bps: Vec::with_capacity(outputs.len()),
        mtm_bps: Vec::with_capacity(outputs.len()),
        alpha_bps: Vec::with_capacity(outputs.len()),
        style: Vec::with_capacity(outputs.len()),
        style_vs_target: Vec::with_capacity(outputs.len()),
        factor: Vec::with_capacity(outputs.len()),
        sold: Vec::with_capacity(outputs.len()),
        outputs: Vec::new(),
    };
    for (o, e) in outputs.iter().zip(ends) {
        m.cost_bps
            .push((o.cost_spread as f64 + o.cost_impact as f64) * 1e4);
        m.impact_bps.push(o.cost_impact as f64 * 1e4);
        m.mtm_bps.push(o.mtm_loss as f64 * 1e4);
        m.alpha_bps.push(e.alpha_bps);
        m.style.push(e.style);
        m.style_vs_target.push(e.style_vs_target);
        m.factor.push(e.factor);
        m.sold.push(e.sold);
    }
    m.outputs = outputs;
    m
}

pub(crate) fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        0.0
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    }
}

pub(crate) fn mean_over(v: &[f64], subset: &[usize]) -> f64 {
    if subset.is_empty() {
        f64::NAN
    } else {
        subset.iter().map(|&i| v[i]).sum::<f64>() / subset.len() as f64
    }
}

pub(crate) fn sorted(v: &[f64]) -> Vec<f64> {
    let mut s = v.to_vec();
    s.sort_by(|a, b| a.total_cmp(b));
    s
}

pub(crate) fn share(n: usize, of: usize) -> f64 {
    if of == 0 {
        0.0
    } else {
        n as f64 / of as f64
    }
}

pub(crate) fn reduction(x: f64, reference: f64) -> f64 {
    if reference > 0.0 {
        1.0 - x / reference
    } else if x <= 0.0 {
        0.0
    } else {
        f64::NAN
    }
}

/// Summary of one run; scores and ranks are filled in later.
pub(crate) fn summarise(
    name: &str,
    m: &RunMeasures,
    significant: &[usize],
    edges: &[f64],
    cfg: &LiquidationConfig,
) -> StrategyResult {
    let n = m.cost_bps.len();
    let s = sorted(&m.cost_bps);
    let q = |p: f64| if s.is_empty() { 0.0 } else { quantile(&s, p) };
    let with_mtm: Vec<f64> = m
        .cost_bps
        .iter()
        .zip(&m.mtm_bps)
        .map(|(c, x)| c + x)
        .collect();
    let impact_mtm: Vec<f64> = m
        .impact_bps
        .iter()
        .zip(&m.mtm_bps)
        .map(|(c, x)| c + x)
        .collect();
    let balance: Vec<f64> = m
        .style
        .iter()
        .zip(&m.factor)
        .map(|(s, f)| (s / cfg.max_style_drift).max(f / cfg.max_factor_deviation))
        .collect();
    let style_breach = share(
        m.style.iter().filter(|&&x| x > cfg.max_style_drift).count(),
        n,
    );
    let factor_breach = share(
        m.factor
            .iter()
            .filter(|&&x| x > cfg.max_factor_deviation)
            .count(),
        n,
    );
    StrategyResult {
        strategy: name.to_string(),
        mean_cost_bps: mean(&m.cost_bps),
        p50_cost_bps: q(0.50),
        p90_cost_bps: q(0.90),
        p95_cost_bps: q(0.95),
        p99_cost_bps: q(0.99),
        mean_impact_bps: mean(&m.impact_bps),
        mean_mtm_loss_bps: mean(&m.mtm_bps),
        mean_cost_with_mtm_bps: mean(&with_mtm),
        reduction_vs_pro_rata: 0.0,
        reduction_with_mtm_vs_pro_rata: 0.0,
        stressed_mean_cost_bps: mean_over(&m.cost_bps, significant),
        stressed_reduction_vs_pro_rata: 0.0,
        stressed_mean_impact_bps: mean_over(&m.impact_bps, significant),
        stressed_mean_mtm_loss_bps: mean_over(&m.mtm_bps, significant),
        stressed_mean_impact_with_mtm_bps: mean_over(&impact_mtm, significant),
        stressed_mean_cost_with_mtm_bps: mean_over(&with_mtm, significant),
        alpha_forgone_bps: mean(&m.alpha_bps),
        style_drift: mean(&m.style),
        factor_deviation: mean(&m.factor),
        style_drift_vs_target: mean(&m.style_vs_target),
        balance: mean(&balance),
        style_breach_frequency: style_breach,
        factor_breach_frequency: factor_breach,
        within_limits: style_breach <= cfg.limit_tolerance + 1e-12
            && factor_breach <= cfg.limit_tolerance + 1e-12,
        shortfall_frequency: share(m.outputs.iter().filter(|o| o.shortfall > 0.0).count(), n),
        gate_frequency: share(m.outputs.iter().filter(|o| o.gate_days > 0.0).count(), n),
        mean_sold: mean(&m.sold),
        impact_score: 0.0,
        alpha_score: 0.0,
        balance_score: 0.0,
        score: 0.0,
        rank: 0,
        cost_histogram: Histogram::of(&m.cost_bps, edges),
    }
}

/// Min–max normalisation, lower is better: 1 for the best, 0 for the worst, all 1 on a tie.
pub(crate) fn normalised(x: f64, best: f64, worst: f64) -> f64 {
    if worst - best > 1e-12 * worst.abs().max(1e-12) {
        (worst - x) / (worst - best)
    } else {
        1.0
    }
}

/// Scores and ranks the strategies (module doc); returns the recommended one's index.
pub(crate) fn score_and_rank(
    rows: &mut [StrategyResult],
    extra: &mut StrategyResult,
    w: &LiquidationWeights,
) -> usize {
    let range = |f: &dyn Fn(&StrategyResult) -> f64| {
        rows.iter()
            .map(f)
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
                (lo.min(x), hi.max(x))
            })
    };
    // Impact criterion: trading cost plus the MTM loss the fund's own impact leaves on what it
    // keeps.
    let ri = range(&|r| r.mean_cost_with_mtm_bps);
    let ra = range(&|r| r.alpha_forgone_bps);
    let rb = range(&|r| r.balance);
    let total = w.impact + w.alpha + w.balance;
    let score = |r: &mut StrategyResult| {
        r.impact_score = normalised(r.mean_cost_with_mtm_bps, ri.0, ri.1);
        r.alpha_score = normalised(r.alpha_forgone_bps, ra.0, ra.1);
        r.balance_score = normalised(r.balance, rb.0, rb.1);
        r.score =
            (w.impact * r.impact_score + w.alpha * r.alpha_score + w.balance * r.balance_score)
                / total;
    };
    for r in rows.iter_mut() {
        score(r);
    }
    score(extra);
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by(|&a, &b| {
        rows[b].score.total_cmp(&rows[a].score).then(
            rows[a]
                .mean_cost_with_mtm_bps
                .total_cmp(&rows[b].mean_cost_with_mtm_bps),
        )
    });
    for (k, &i) in order.iter().enumerate() {
        rows[i].rank = k as u32 + 1;
    }
    order
        .iter()
        .copied()
        .find(|&i| rows[i].within_limits)
        .unwrap_or(order[0])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(cost: f64, mtm: f64) -> RunMeasures {
        let n = 4;
        RunMeasures {
            cost_bps: vec![cost; n],
            impact_bps: vec![cost / 2.0; n],
            mtm_bps: vec![mtm; n],
            alpha_bps: vec![1.0; n],
            style: vec![0.0; n],
            style_vs_target: vec![0.0; n],
            factor: vec![0.0; n],
            sold: vec![0.1; n],
            outputs: vec![ScenarioOutput::default(); n],
        }
    }

    fn ranked(a: (f64, f64), b: (f64, f64)) -> (Vec<StrategyResult>, usize) {
        let cfg = LiquidationConfig::default();
        let edges = [0.0, 10.0, 20.0];
        let mut rows: Vec<StrategyResult> = [("a", a), ("b", b)]
            .iter()
            .map(|(name, (c, m))| summarise(name, &run(*c, *m), &[0, 1], &edges, &cfg))
            .collect();
        let mut extra = rows[0].clone();
        let best = score_and_rank(&mut rows, &mut extra, &cfg.weights);
        (rows, best)
    }

    #[test]
    fn the_mtm_loss_counts_in_the_ranking() {
        // b trades more cheaply (8 < 10 bps) but leaves 5 bps of its own impact in the price of
        // what it keeps: a wins on cost plus MTM loss (10 < 13).
        let (rows, best) = ranked((10.0, 0.0), (8.0, 5.0));
        assert_eq!(best, 0);
        assert_eq!((rows[0].rank, rows[1].rank), (1, 2));
        assert_eq!(rows[1].mean_mtm_loss_bps, 5.0);
        assert_eq!(rows[1].mean_cost_with_mtm_bps, 13.0);
        assert_eq!(rows[1].stressed_mean_impact_with_mtm_bps, 9.0);
        // With no MTM loss the cheaper trade wins: the MTM loss is what turned it.
        let (_, best) = ranked((10.0, 0.0), (8.0, 0.0));
        assert_eq!(best, 1);
    }
}

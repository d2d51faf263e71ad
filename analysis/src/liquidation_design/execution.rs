//! Execution approaches for an amount the fund must sell over several days (stage 4's execution
//! modeller): volume participation, time slicing, implementation shortfall (Almgren–Chriss) and
//! block trades, each under normal, stressed and highly stressed conditions. Host-side analytics:
//! nothing is simulated and the kernel is unchanged.
//!
//! # The cost model
//!
//! Every approach is a *schedule*: holdings `x_0 = X, x_1, …, x_N = 0` of one position, one trade
//! `n_k = x_{k−1} − x_k` every `τ` days (`t_k = k τ`, `T = N τ`). All four are priced by one
//! model, Almgren and Chriss's (2000) linear-impact model, so they differ only in their schedules:
//!
//! ```text
//! E[cost] = ½ γ X² + ε Σ|n_k| + (η̃ / τ) Σ n_k²,     η̃ = η − ½ γ τ
//! Var[cost] = σ² τ Σ_{k=1..N} x_k²
//! ```
//!
//! (ε: half the spread; η: temporary impact per unit of trading rate; γ: permanent impact per
//! unit sold; σ: daily volatility of the price, as a fraction.) Costs are in the units of `X`
//! (fractions of initial NAV), measured against the price when execution starts
//! (implementation shortfall). The variance is the price risk of what is still held.
//!
//! **Mapping from the fund's impact model** (per position, under each condition; `v` the day's
//! volume, `r` the participation cap, `I(u)` the kernel's impact at `u = r v / d`, computed with
//! the kernel's own `cost_rate`): `ε = s/2`, `η = I(r v / d) / (r v)`, `γ = φ_perm η` (the kernel
//! moves the price by `φ_perm I` after a day's selling; 0 when permanent impact is switched off),
//! `σ` the condition's daily volatility. The linear model then charges exactly the fund's own
//! impact for a day's sale at the participation cap (for a linear-impact fund it *is* the fund's
//! model), the same calibration stage 1 uses to compare impact models. Sales smaller than a day
//! at the cap are charged less per unit than the square-root model would: the linearisation
//! favours slow schedules slightly, equally for every approach.
//!
//! # The approaches
//!
//! - **volume participation**: sell `r v` a day (the fund's participation cap, or the setting),
//!   the last day partial; days `X / (r v)`.
//! - **time slicing**: `N` equal daily slices (default 5 days) whatever the volume; infeasible
//!   when a slice is more than the participation cap allows.
//! - **implementation shortfall**: the Almgren–Chriss optimal trajectory minimising
//!   `E + λ Var`, `x_k = X sinh(κ (T − t_k)) / sinh(κ T)` with
//!   `(2/τ²)(cosh(κτ) − 1) = λ σ² / η̃`, over `T = max(N, ⌈X / (r v)⌉)` days; it front-loads
//!   more the higher the risk aversion `λ` (in 1/NAV: a variance of one NAV² costs `λ` NAV) and
//!   tends to the linear schedule as `λ → 0`. No day may sell more than the participation cap:
//!   where the trajectory would, the cap binds (`x_k ≥ x_{k−1} − r v`) and the schedule rejoins
//!   the trajectory once it can; it still ends by `T`, since `X ≤ T r v`.
//! - **block trade**: up to `b v` (default half the day's volume) sold on day one to a dealer at a
//!   negotiated discount (per condition, default 1%, 2.5%, 5%), with no market impact and no
//!   price risk; the remainder by volume participation from the same day.
//!
//! Holdings sold only on redemption windows (funds of funds, property funds) cannot be executed
//! by any of these: every approach redeems them at each window, up to a day's cap, and carries
//! the price risk between windows (`τ` = the window).
//!
//! **Mark-to-market loss.** Selling `n` in the market moves the price permanently by `γ n`
//! (per unit of the position's value); what the fund still holds of the position, `w − X`, is
//! marked down by that much: `MTM = γ n (w − X)`, `n = X` except for a block trade, whose dealer
//! sale moves no price (`n` = the remainder sold in the market). The kernel lets part of the
//! permanent impact decay; here none does (an upper bound over the execution horizon —
//! judgement). The same for every schedule of the same amount, it separates block trades from
//! the others. The execution choice ranks by cost plus MTM loss (`cost_with_mtm_bps`).
//!
//! **Aggregation** over the positions the hierarchy sells (the amount walks down the hierarchy,
//! each position giving up to its whole weight): days are the slowest position's (positions are
//! sold side by side), costs add up, and cost standard deviations add up too — prices are taken
//! as perfectly correlated, which is what correlations approach in a stress (an upper bound).

use serde::Serialize;
use undertow_kernel::{switch, PositionParams};

use crate::market_liquidity::{Condition, Pricing};
use undertow_host::fund::Fund;

/// Almgren–Chriss parameters of one position under one condition.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct AcParams {
    /// Fixed cost per unit sold: half the spread.
    pub epsilon: f64,
    /// Temporary impact per unit of trading rate (fraction of price per NAV a day).
    pub eta: f64,
    /// Permanent impact per unit sold (fraction of price per NAV).
    pub gamma: f64,
    /// Daily volatility of the price.
    pub sigma: f64,
    /// Days between trades.
    pub tau: f64,
}

impl AcParams {
    /// `η̃ = η − ½ γ τ`, kept positive (the model needs it; `γ = φ η` with `φ < 2` keeps it so).
    pub fn eta_tilde(&self) -> f64 {
        (self.eta - 0.5 * self.gamma * self.tau).max(1e-300)
    }
}

/// Trades of a schedule of holdings `x_0 … x_N`.
fn trades(x: &[f64]) -> impl Iterator<Item = f64> + '_ {
    x.windows(2).map(|w| w[0] - w[1])
}

/// Expected cost of a schedule of holdings `x_0 = X … x_N` (module doc).
pub fn expected_cost(p: &AcParams, x: &[f64]) -> f64 {
    let total = x.first().copied().unwrap_or(0.0);
    let (abs, sq) = trades(x).fold((0.0, 0.0), |(a, s), n| (a + n.abs(), s + n * n));
    0.5 * p.gamma * total * total + p.epsilon * abs + p.eta_tilde() / p.tau * sq
}

/// Variance of the cost of a schedule: `σ² τ Σ_{k≥1} x_k²`.
pub fn cost_variance(p: &AcParams, x: &[f64]) -> f64 {
    p.sigma * p.sigma * p.tau * x.iter().skip(1).map(|h| h * h).sum::<f64>()
}

/// `X` in `n` equal trades (time slicing): `x_k = X (1 − k/n)`.
pub fn linear_schedule(total: f64, n: usize) -> Vec<f64> {
    let n = n.max(1);
    (0..=n)
        .map(|k| total * (1.0 - k as f64 / n as f64))
        .collect()
}

/// The urgency `κ` of the optimal trajectory: `(2/τ²)(cosh(κτ) − 1) = λ σ² / η̃`.
pub fn ac_kappa(p: &AcParams, lambda: f64) -> f64 {
    let kappa_tilde_sq = (lambda * p.sigma * p.sigma / p.eta_tilde()).max(0.0);
    (1.0 + 0.5 * kappa_tilde_sq * p.tau * p.tau).acosh() / p.tau
}

/// The Almgren–Chriss optimal trajectory over `n` trades:
/// `x_k = X sinh(κ (T − t_k)) / sinh(κ T)`; the linear schedule when `κ T` is negligible.
pub fn ac_schedule(p: &AcParams, total: f64, n: usize, lambda: f64) -> Vec<f64> {
    let n = n.max(1);
    let big_t = n as f64 * p.tau;
    let kappa = ac_kappa(p, lambda);
    if kappa * big_t < 1e-9 {
        return linear_schedule(total, n);
    }
    if kappa * big_t > 700.0 {
        // sinh overflows; the trajectory is "everything in the first trade" to within 1e-300.
        let mut x = vec![0.0; n + 1];
        x[0] = total;
        return x;
    }
    let denom = (kappa * big_t).sinh();
    let mut x: Vec<f64> = (0..=n)
        .map(|k| total * (kappa * (big_t - k as f64 * p.tau)).sinh() / denom)
        .collect();
    x[0] = total;
    x[n] = 0.0;
    x
}

/// Sells `per_trade` at each trade until `total` is gone (the last trade partial).
pub fn participation_schedule(total: f64, per_trade: f64) -> Vec<f64> {
    let mut x = vec![total];
    let mut left = total;
    while left > 0.0 && per_trade > 0.0 {
        left = (left - per_trade).max(0.0);
        if left <= total * 1e-12 {
            left = 0.0;
        }
        x.push(left);
    }
    x
}

/// No trade above `cap`: `x_k = max(x_k, x_{k−1} − cap)`, keeping the end at zero.
pub fn capped(x: &[f64], cap: f64) -> Vec<f64> {
    let mut out = Vec::with_capacity(x.len());
    for (k, &h) in x.iter().enumerate() {
        if k == 0 {
            out.push(h);
        } else {
            out.push(h.max(out[k - 1] - cap).max(0.0));
        }
    }
    // Rounding may leave a crumb at the end: sell it in one more trade rather than never.
    while out.last().copied().unwrap_or(0.0) > 0.0 {
        let last = out[out.len() - 1];
        out.push((last - cap).max(0.0));
    }
    out
}

/// Execution approaches.
pub const APPROACHES: [&str; 4] = [
    "volume_participation",
    "time_slicing",
    "implementation_shortfall",
    "block_trade",
];

/// Settings of the execution analytics.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ExecutionSettings {
    /// Participation rate of the volume-participation schedule and the cap every schedule
    /// respects (fraction of the day's volume).
    pub participation: f64,
    /// Days of the time-slicing schedule (and the shortest implementation-shortfall horizon).
    pub time_slicing_days: u32,
    /// Almgren–Chriss risk aversion `λ`, 1/NAV.
    pub risk_aversion: f64,
    /// Block discount for the condition (fraction of the block's value).
    pub block_discount: f64,
    /// Largest block, a share of the day's volume.
    pub block_limit_adv: f64,
    /// A schedule longer than this many days is infeasible (the fund's horizon).
    pub max_days: f64,
}

/// One position's execution under one approach and condition.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Execution {
    /// Days until the last sale (fractional for volume participation, as stage 1 counts).
    pub days: f64,
    /// Expected cost, fraction of initial NAV.
    pub cost: f64,
    /// Standard deviation of the cost (price risk while holding), fraction of initial NAV.
    pub cost_sd: f64,
    /// Mark-to-market loss on what the fund still holds of the position after the sale, from
    /// its own permanent impact: `γ × (sold in the market) × (weight − amount)` (module doc).
    pub mtm_loss: f64,
    pub feasible: bool,
}

/// The Almgren–Chriss parameters of `pos` in market `cond` (module doc).
pub fn ac_params(
    fund: &Fund,
    pricing: &Pricing,
    pos: &PositionParams,
    cond: &Condition,
    participation: f64,
) -> AcParams {
    let m = cond.market(pos);
    let q_ref = participation * m.volume;
    let half_spread = 0.5 * m.spread;
    let impact = if q_ref > 0.0 {
        (pricing.unit_cost(pos, &m, q_ref) - half_spread).max(0.0)
    } else {
        0.0
    };
    let eta = if q_ref > 0.0 { impact / q_ref } else { 0.0 };
    let perm_on = fund.model.params.switches & switch::PERM_IMPACT != 0;
    let phi = if perm_on {
        fund.model.params.perm_fraction as f64
    } else {
        0.0
    };
    AcParams {
        epsilon: half_spread,
        eta,
        gamma: phi * eta,
        sigma: m.vol,
        tau: pos.window.max(1) as f64,
    }
}

/// Executes `amount` of `pos` under `cond` with one approach.
pub fn execute(
    fund: &Fund,
    pricing: &Pricing,
    pos: &PositionParams,
    cond: &Condition,
    amount: f64,
    approach: &str,
    s: &ExecutionSettings,
) -> Execution {
    if amount <= 0.0 {
        return Execution {
            days: 0.0,
            cost: 0.0,
            cost_sd: 0.0,
            mtm_loss: 0.0,
            feasible: true,
        };
    }
    let p = ac_params(fund, pricing, pos, cond, s.participation);
    let cap = s.participation * cond.market(pos).volume;
    if cap <= 0.0 {
        return Execution {
            days: f64::INFINITY,
            cost: f64::NAN,
            cost_sd: f64::NAN,
            mtm_loss: f64::NAN,
            feasible: false,
        };
    }
    let windowed = pos.window > 1;
    // What the fund keeps of the position, marked down by the permanent impact of what it sold
    // in the market (a block sold to a dealer moves no price).
    let kept = (pos.weight as f64 - amount).max(0.0);
    let mtm = |in_market: f64| p.gamma * in_market * kept;
    // A windowed holding is sold in one day at each window: its trades last a day, while its
    // price risk runs from window to window.
    let p_trade = AcParams { tau: 1.0, ..p };
    let eval = |x: &[f64], days: f64, within_cap: bool| {
        let cost = expected_cost(&p_trade, x);
        let sd = cost_variance(&p, x).sqrt();
        Execution {
            days,
            cost,
            cost_sd: sd,
            mtm_loss: mtm(amount),
            feasible: within_cap && days <= s.max_days + 1e-9,
        }
    };
    let participation_days = |x: f64| {
        if windowed {
            (x / cap - 1e-9).ceil().max(1.0) * p.tau
        } else {
            x / cap
        }
    };
    if windowed || approach == "volume_participation" {
        let x = participation_schedule(amount, cap);
        return eval(&x, participation_days(amount), true);
    }
    let n_cap = (amount / cap - 1e-9).ceil().max(1.0) as usize;
    match approach {
        "time_slicing" => {
            let n = s.time_slicing_days.max(1) as usize;
            let x = linear_schedule(amount, n);
            eval(&x, n as f64, amount / n as f64 <= cap * (1.0 + 1e-9))
        }
        "implementation_shortfall" => {
            let n = n_cap.max(s.time_slicing_days.max(1) as usize);
            let x = capped(&ac_schedule(&p, amount, n, s.risk_aversion), cap);
            let days = (x.len() - 1) as f64;
            eval(&x, days, true)
        }
        _ => {
            // Block trade: a negotiated discount on up to the block limit, no impact, no risk;
            // the rest by volume participation from the same day.
            let block = amount.min(s.block_limit_adv * cond.market(pos).volume);
            let rest = amount - block;
            let x = participation_schedule(rest, cap);
            let mut e = eval(&x, participation_days(rest).max(1.0), true);
            e.cost += s.block_discount * block;
            e.mtm_loss = mtm(rest);
            e
        }
    }
}

/// One row of the execution table: an approach under a condition, over every position sold.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ExecutionRow {
    pub approach: String,
    pub condition: String,
    /// Amount sold, fraction of initial NAV.
    pub amount: f64,
    /// Days until the slowest position is sold.
    pub days: f64,
    /// Expected cost, bps of initial NAV.
    pub cost_bps: f64,
    /// Standard deviation of the cost, bps of initial NAV (positions perfectly correlated).
    pub cost_sd_bps: f64,
    /// Mark-to-market loss on what the fund keeps, from its own permanent impact, bps of
    /// initial NAV.
    pub mtm_loss_bps: f64,
    /// Expected cost plus MTM loss, bps of initial NAV: what the execution choice ranks.
    pub cost_with_mtm_bps: f64,
    /// Expected cost plus MTM loss plus `λ` times the variance, bps of initial NAV (the
    /// execution schedule itself minimises cost plus `λ` variance; the MTM loss depends on the
    /// amount sold in the market, not on the schedule).
    pub risk_adjusted_cost_bps: f64,
    /// Expected cost per unit sold, bps of the amount.
    pub cost_bps_of_amount: f64,
    pub feasible: bool,
}

/// Executes the positions' amounts (`(position index, amount)`) under `cond` with `approach`.
pub fn execution_row(
    fund: &Fund,
    cond: &Condition,
    condition_name: &str,
    sales: &[(usize, f64)],
    approach: &str,
    s: &ExecutionSettings,
) -> ExecutionRow {
    let pricing = Pricing::of(fund);
    let (mut days, mut cost, mut sd, mut feasible, mut total) = (0.0f64, 0.0, 0.0, true, 0.0);
    let mut mtm = 0.0;
    for &(p, amount) in sales {
        let pos = &fund.model.positions[p];
        let e = execute(fund, &pricing, pos, cond, amount, approach, s);
        days = days.max(e.days);
        cost += e.cost;
        sd += e.cost_sd;
        mtm += e.mtm_loss;
        feasible &= e.feasible;
        total += amount;
    }
    ExecutionRow {
        approach: approach.to_string(),
        condition: condition_name.to_string(),
        amount: total,
        days,
        cost_bps: cost * 1e4,
        cost_sd_bps: sd * 1e4,
        mtm_loss_bps: mtm * 1e4,
        cost_with_mtm_bps: (cost + mtm) * 1e4,
        risk_adjusted_cost_bps: (cost + mtm + s.risk_aversion * sd * sd) * 1e4,
        cost_bps_of_amount: if total > 0.0 { cost / total * 1e4 } else { 0.0 },
        feasible,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn participation_schedule_sells_full_days_then_the_rest() {
        let x = participation_schedule(0.25, 0.1);
        assert_eq!(x.len(), 4);
        assert!((x[1] - 0.15).abs() < 1e-15 && (x[2] - 0.05).abs() < 1e-15 && x[3] == 0.0);
    }

    #[test]
    fn capping_keeps_every_trade_within_the_cap_and_ends_at_zero() {
        let x = capped(&[1.0, 0.2, 0.05, 0.0], 0.4);
        let expected = [1.0, 0.6, 0.2, 0.0];
        assert_eq!(x.len(), expected.len());
        assert!(
            x.iter().zip(expected).all(|(a, b)| (a - b).abs() < 1e-15),
            "{x:?}"
        );
        let y = capped(&[1.0, 0.0], 0.3);
        assert_eq!(y.last(), Some(&0.0));
        assert!(y.windows(2).all(|w| w[0] - w[1] <= 0.3 + 1e-15));
    }
}

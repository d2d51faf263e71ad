//! Stage 5 of a day: end-of-day valuation, the 14 early-warning indicators, the stress composite
//! for tomorrow's signals, and the output accumulators (MODEL.md sections 5 and 6).
//!
//! WGSL twin: `shaders/wgsl/metrics.wgsl`.

use crate::ctx::{Ctx, St, Trailing};
use crate::investors::trailing;
use crate::layout::{slot, TRAIL};
use crate::ledger;
use crate::params::*;
use crate::real::Real;
use crate::shadow::same;

/// Spread widening that maps the spread index to 1 (the top of MODEL.md's `W` range).
pub const SPREAD_INDEX_FULL: f32 = 20.0;
/// Drawdown and 5-day outflow that map their stress components to 1.
pub const DRAWDOWN_FULL: f32 = 0.2;
pub const OUTFLOW_FULL: f32 = 0.1;
/// Days of selling counted in the 30-day liquidity coverage ratio.
pub const LCR_DAYS: u32 = 30;
/// Large investors counted in the top-10 share.
pub const TOP_N: u32 = 10;
/// A value within this relative distance of its threshold is not a breach. Replayed scenarios have
/// fixed parameters that can land an index exactly on a threshold; the margin makes the f32, f64
/// and GPU runs agree on such knife-edge ties instead of splitting on the last bit.
pub const THRESHOLD_MARGIN: f32 = 1e-5;

/// Whether `v` is beyond `thr` (above, or below when `below`) by more than the margin.
#[inline(always)]
pub fn beyond<T: Real>(v: T, thr: T, below: bool) -> bool {
    let margin = T::p(THRESHOLD_MARGIN) * thr.abs();
    if below {
        v < thr - margin
    } else {
        v > thr + margin
    }
}

/// Whether indicator `k` at value `v` breaches `threshold`, as the kernel records it: beyond the
/// threshold by more than the margin, in the indicator's direction; the funding-headroom
/// indicator never breaches when the fund has no funding. Thresholds feed nothing else.
#[inline(always)]
pub fn breaches<T: Real>(c: &Ctx, k: usize, v: T, threshold: f32) -> bool {
    if k == indicator::FUNDING_HEADROOM
        && (!c.on(switch::FUNDING) || c.fund.funding_policy == funding::NEVER)
    {
        return false;
    }
    beyond(v, T::p(threshold), indicator::BREACH_BELOW[k])
}

#[inline(always)]
fn first_day<T: Real>(st: &mut St<T>, at: u32, t: u32) {
    if st.get(at) < T::zero() {
        st.set(at, T::n(t));
    }
}

/// Records day `t`: indicators, accumulators, and the state tomorrow's signals read.
#[inline(always)]
pub fn record<T: Real>(c: &Ctx, st: &mut St<T>, t: u32) {
    let l = &c.lay;
    let f = c.fund;
    // One pass over the positions for every per-position sum of the day's end: the holdings value
    // (the NAV's), the market indices, the buffer's, illiquid and LCR-sellable values, the ALR's
    // sellable proceeds, the repo-eligible value (the funding headroom's) and the initial buffer's
    // capacity. Each sum runs in position order, so it has the bits of a pass of its own
    // (`ledger::nav`, `ledger::alr`, `ledger::funding_headroom` are the same sums).
    let g = st.get(slot::G);
    let (mut w_sum, mut spread_ix, mut volume_ix, mut depth_ix) =
        (T::zero(), T::zero(), T::zero(), T::zero());
    let (mut buffer, mut illiquid, mut lcr_sellable) = (T::zero(), T::zero(), T::zero());
    let (mut holdings, mut alr_sellable, mut repo) = (T::zero(), T::zero(), T::zero());
    // Buffer exhausted: cumulative cash redemptions beyond what the initial buffer (cash plus the
    // buffer tiers, at today's prices less half the spread) could have paid.
    let mut capacity = T::p(f.initial_cash);
    let n = l.n_positions as usize;
    let prices = &st.w[l.price as usize..l.price as usize + n];
    // Positions, their constants, today's market, price and value zipped: no per-position bounds
    // check.
    let positions = c
        .positions
        .iter()
        .zip(st.k.iter())
        .zip(st.m.iter())
        .zip(prices);
    for ((((pos, k), m), &price), value) in positions.zip(ledger::position_values(c, st)) {
        holdings = holdings + value;
        let w = k.weight;
        let v0 = k.adv;
        w_sum = w_sum + w;
        spread_ix = spread_ix + w * (m.spread / k.spread_floor - T::one());
        volume_ix = volume_ix + w * (T::one() - m.volume / v0.max(T::p(1e-12)));
        // Depth relative to the day's volume (MODEL.md): the volume cut is the volume index.
        depth_ix = depth_ix + w * k.depth_cut * g;
        if pos.tier != tier::NONE {
            buffer = buffer + value;
            capacity = capacity + w * price * (T::one() - T::p(0.5) * m.spread);
        }
        if pos.flags & pflag::ILLIQUID != 0 {
            illiquid = illiquid + value;
        }
        lcr_sellable = lcr_sellable + ledger::sellable_in(c, m, value, k.sale_days_lcr);
        alr_sellable = alr_sellable + ledger::sellable_in(c, m, value, k.sale_days_r_set);
        repo = repo + ledger::repo_value(pos, value);
    }
    let w_sum = w_sum.max(T::p(1e-12));
    let spread_ix = (spread_ix / w_sum / T::p(SPREAD_INDEX_FULL - 1.0)).min(T::one());
    let volume_ix = volume_ix / w_sum;
    let depth_ix = depth_ix / w_sum;

    let nav = ledger::nav_from(st, holdings);
    let nav_safe = nav.max(T::p(1e-9));
    st.set(slot::NAV, nav);
    let shares = st.get(slot::SHARES);
    let nu = nav / shares.max(T::p(1e-12));
    let peak = st.get(slot::NU_PEAK).max(nu);
    st.set(slot::NU_PEAK, peak);
    let drawdown = (T::one() - nu / peak).max(T::zero());
    st.set(slot::MAX_DD, st.get(slot::MAX_DD).max(drawdown));
    st.set(slot::NU, nu);

    let cash = st.get(slot::CASH);
    let receivables = st.get(slot::RCV_TOTAL);
    let payables = st.get(slot::PAY_TOTAL) + st.get(slot::ARREARS);
    let headroom = ledger::headroom_from_repo(c, st, repo, nav);
    let alr = ledger::alr_from(c, st, t, alr_sellable, headroom);
    st.set(slot::ALR_PREV, alr);
    st.set(slot::MIN_ALR, st.get(slot::MIN_ALR).min(alr));
    st.set(slot::MIN_CASH, st.get(slot::MIN_CASH).min(cash / nav_safe));
    st.set(slot::GATE_PREV, st.get(slot::GATE_TODAY));
    let buffer_share = (cash + buffer) / nav_safe;
    let illiquid_share = illiquid / nav_safe;
    st.set(slot::ILLIQUID_SHARE, illiquid_share);
    if illiquid_share > T::p(f.illiquid_limit) {
        first_day(st, slot::FIRST_ILLIQUID, t);
    }

    // Exhausted once less than the operating minimum of it is left.
    let usable = capacity - T::p(f.buffer_exhausted_level);
    if st.get(slot::CUM_ACC_CASH) > usable * (T::one() + T::p(1e-6)) {
        first_day(st, slot::BUFFER_EXHAUSTED, t);
    }

    // Investor base.
    let mut queued = T::zero();
    let (_, due, queued_shares) = st.holders(l);
    for (&d, &q) in due.iter().zip(queued_shares) {
        queued = queued + d + q;
    }
    let queued_value = queued * nu;
    let (mut top, mut hhi) = (T::zero(), T::zero());
    for i in 0..f.n_large {
        let s = st.get(l.held + c.n_segments() + i) / shares.max(T::p(1e-12));
        if i < TOP_N {
            top = top + s;
        }
        hhi = hhi + s * s;
    }

    // Trailing flows, today included.
    let req_today = st.get(l.req_trail + t % TRAIL);
    let acc_today = st.get(l.acc_trail + t % TRAIL);
    // The days before today from the day's shared sums (`St::trail`).
    let Trailing {
        req_4,
        req_29,
        acc_4,
        ..
    } = st.trail;
    debug_assert!(same(req_4, trailing(st, l.req_trail, t, 4)));
    debug_assert!(same(req_29, trailing(st, l.req_trail, t, 29)));
    debug_assert!(same(acc_4, trailing(st, l.acc_trail, t, 4)));
    let requests_5d = (req_4 + req_today) / nav_safe;
    let requests_30d = (req_29 + req_today) / nav_safe;
    let outflow_5d = (acc_4 + acc_today) / nav_safe;
    let lcr_den = queued_value + payables + requests_30d * nav_safe;
    let lcr = if lcr_den > T::p(1e-9) {
        ((cash + receivables + lcr_sellable) / lcr_den).min(T::p(ledger::ALR_CAP))
    } else {
        T::p(ledger::ALR_CAP)
    };

    let values: [T; N_INDICATORS] = [
        requests_5d,
        requests_30d,
        queued_value / nav_safe,
        st.get(slot::LARGE_NOTICES),
        top,
        hhi,
        buffer_share,
        alr,
        lcr,
        spread_ix,
        volume_ix,
        depth_ix,
        drawdown,
        headroom / nav_safe,
    ];
    for (k, v) in values.iter().enumerate() {
        if breaches(c, k, *v, f.indicator_thresholds[k]) {
            first_day(st, slot::EW_FIRST + k as u32, t);
        }
    }
    st.ind = values;

    // Stress composite for tomorrow's signals.
    let wts = &f.stress_weights;
    let mut w_total = T::zero();
    for w in wts {
        w_total = w_total + T::p(*w);
    }
    let components = [
        spread_ix,
        volume_ix,
        depth_ix,
        (drawdown / T::p(DRAWDOWN_FULL)).min(T::one()),
        (outflow_5d / T::p(OUTFLOW_FULL)).min(T::one()),
        T::p(c.sc.funding_shock) * g,
    ];
    let mut stress = T::zero();
    for k in 0..N_STRESS_COMPONENTS {
        stress = stress + T::p(wts[k]) * components[k];
    }
    if w_total > T::zero() {
        stress = stress / w_total;
    }
    st.set(slot::STRESS_PREV, stress);

    // Gate days, liquidity event, horizons.
    // Gate days count dealing days gated (the flag persists between them).
    let gated = st.get(slot::GATE_TODAY) > T::zero();
    if gated && c.is_dealing_day(t) {
        st.add(slot::GATE_DAYS, T::one());
        first_day(st, slot::FIRST_GATE, t);
    }
    // Liquidity event from outcomes, not from the fund's own gate: a shortfall, a 5-day outflow
    // or a NAV drawdown beyond their levels (`event_drawdown` 0 leaves the drawdown out).
    let shortfall = st.get(slot::SHORTFALL_TODAY) > T::zero();
    let dd_event = f.event_drawdown > 0.0 && drawdown > T::p(f.event_drawdown);
    if shortfall || outflow_5d > T::p(f.event_outflow_5d) || dd_event {
        first_day(st, slot::EVENT_DAY, t);
    }
    for (k, h) in HORIZONS.iter().enumerate() {
        if t + 1 == *h || (t + 1 == f.horizon && *h > f.horizon) {
            snapshot_horizon(st, k as u32);
        }
    }
    st.set(slot::NU_PREV, nu);
}

#[inline(always)]
fn snapshot_horizon<T: Real>(st: &mut St<T>, k: u32) {
    st.set(slot::CUM_OUTFLOW + k, st.get(slot::ACCEPTED));
    st.set(slot::CUM_REQUESTED + k, st.get(slot::REQUESTED));
    st.set(
        slot::CUM_COST + k,
        st.get(slot::COST_SPREAD) + st.get(slot::COST_IMPACT),
    );
}

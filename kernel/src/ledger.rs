//! The ledger (MODEL.md section 3.4): valuation, settlement of receivables, payment of due
//! redemptions, funding draws and repayment, shortfall and arrears.
//!
//! WGSL twin: `shaders/wgsl/ledger.wgsl`.

use crate::ctx::{Ctx, St};
use crate::layout::slot;
use crate::market::MarketState;
use crate::params::*;
use crate::real::Real;

/// Amounts below this (in initial-NAV units) are treated as zero when deciding shortfalls.
pub const MONEY_EPS: f32 = 1e-7;

/// Each position's holding times its price, in position order, read through zipped slices (one
/// bounds check per array, none per position).
#[inline(always)]
pub fn position_values<'a, T: Real>(c: &Ctx, st: &'a St<T>) -> impl Iterator<Item = T> + 'a {
    let l = &c.lay;
    let n = l.n_positions as usize;
    let hold = &st.w[l.hold as usize..l.hold as usize + n];
    let price = &st.w[l.price as usize..l.price as usize + n];
    hold.iter().zip(price).map(|(&h, &x)| h * x)
}

/// Value of all holdings at today's prices.
#[inline(always)]
pub fn holdings_value<T: Real>(c: &Ctx, st: &St<T>) -> T {
    let mut v = T::zero();
    for value in position_values(c, st) {
        v = v + value;
    }
    v
}

/// Sum of a ring's slots.
#[inline(always)]
pub fn ring_sum<T: Real>(st: &St<T>, base: u32, len: u32) -> T {
    let mut s = T::zero();
    for j in 0..len {
        s = s + st.get(base + j);
    }
    s
}

/// Receivables settling on days `t..=t+days`.
#[inline(always)]
pub fn receivables_within<T: Real>(c: &Ctx, st: &St<T>, t: u32, days: u32) -> T {
    let l = &c.lay;
    let mut s = T::zero();
    for j in 0..=days.min(l.ring - 1) {
        s = s + st.get(l.receivables + (t + j) % l.ring);
    }
    s
}

/// NAV = cash + holdings + receivables - payables - arrears - debt.
#[inline(always)]
pub fn nav<T: Real>(c: &Ctx, st: &St<T>) -> T {
    nav_from(st, holdings_value(c, st))
}

/// [`nav`] from the holdings' value (summed in position order, as [`holdings_value`] does).
#[inline(always)]
pub fn nav_from<T: Real>(st: &St<T>, holdings: T) -> T {
    st.get(slot::CASH) + holdings + st.get(slot::RCV_TOTAL)
        - st.get(slot::PAY_TOTAL)
        - st.get(slot::ARREARS)
        - st.get(slot::DEBT)
}

/// Most the fund could still borrow today: the credit line and repo on eligible holdings, both cut
/// by the funding shock, within the borrowing cap, less what is drawn.
#[inline(always)]
pub fn funding_headroom<T: Real>(c: &Ctx, st: &St<T>, nav_now: T) -> T {
    if !has_funding(c) {
        return T::zero();
    }
    let mut repo = T::zero();
    for (pos, value) in c.positions.iter().zip(position_values(c, st)) {
        repo = repo + repo_value(pos, value);
    }
    headroom_from_repo(c, st, repo, nav_now)
}

/// Whether the fund can borrow at all (funding switched on and a policy other than never).
#[inline(always)]
pub fn has_funding(c: &Ctx) -> bool {
    c.on(switch::FUNDING) && c.fund.funding_policy != funding::NEVER
}

/// A position's value as it counts towards repo: its value when repo-eligible, else 0 (adding an
/// exact +0 leaves a sum's bits unchanged, so a sum over every position equals the sum over the
/// eligible ones).
#[inline(always)]
pub fn repo_value<T: Real>(pos: &PositionParams, value: T) -> T {
    if pos.flags & pflag::REPO_ELIGIBLE != 0 {
        value
    } else {
        T::zero()
    }
}

/// [`funding_headroom`] from the repo-eligible holdings' value `repo` (summed in position order),
/// for callers that sum it in a pass over the positions they make anyway.
#[inline(always)]
pub fn headroom_from_repo<T: Real>(c: &Ctx, st: &St<T>, repo: T, nav_now: T) -> T {
    if !has_funding(c) {
        return T::zero();
    }
    let g = st.get(slot::G);
    let access = (T::one() - T::p(c.sc.funding_shock) * g).max(T::zero());
    let haircut = (T::p(c.fund.repo_haircut) + T::p(c.sc.haircut_addon) * g).min(T::one());
    let available = (T::p(c.fund.credit_line) + repo * (T::one() - haircut)) * access;
    let limit = available.min(T::p(c.fund.borrowing_cap) * nav_now.max(T::zero()));
    (limit - st.get(slot::DEBT)).max(T::zero())
}

/// Settles today's receivables, charges interest, pays today's payables and the arrears, bridges
/// a gap with funding where policy allows, and records a shortfall otherwise.
#[inline(always)]
pub fn settle<T: Real>(c: &Ctx, st: &mut St<T>, t: u32) {
    let l = &c.lay;
    let r = l.receivables + t % l.ring;
    st.add(slot::CASH, st.get(r));
    st.add(slot::RCV_TOTAL, -st.get(r));
    st.set(r, T::zero());

    let interest = st.get(slot::DEBT) * T::p(c.fund.funding_rate);
    st.add(slot::CASH, -interest);
    st.add(slot::FUNDING_COST, interest);
    st.add(slot::NAV_PNL, -interest);

    let pay = l.payables + t % l.ring;
    let due = st.get(pay) + st.get(slot::ARREARS);
    st.add(slot::PAY_TOTAL, -st.get(pay));
    st.set(pay, T::zero());
    let cash = st.get(slot::CASH);
    let from_cash = due.min(cash.max(T::zero()));
    let mut gap = due - from_cash;
    st.set(slot::CASH, cash - from_cash);
    st.add(slot::PAID, from_cash);
    // The unpaid part stays a liability while funding is sought.
    st.set(slot::ARREARS, gap);
    if gap > T::p(MONEY_EPS) {
        let nav_now = nav(c, st);
        let draw = gap.min(funding_headroom(c, st, nav_now));
        st.add(slot::DEBT, draw);
        st.add(slot::PAID, draw);
        gap = gap - draw;
    }
    // What is still unpaid stays owed; only an amount above the noise floor is a shortfall.
    st.set(slot::ARREARS, gap);
    if gap > T::p(MONEY_EPS) {
        st.set(slot::SHORTFALL_TODAY, T::one());
        if st.get(slot::SHORTFALL_PEAK) < gap {
            st.set(slot::SHORTFALL_PEAK, gap);
        }
        if st.get(slot::FIRST_SHORTFALL) < T::zero() {
            st.set(slot::FIRST_SHORTFALL, T::n(t));
        }
    } else {
        st.set(slot::SHORTFALL_TODAY, T::zero());
    }
    let peak = st.get(slot::PEAK_FUNDING).max(st.get(slot::DEBT));
    st.set(slot::PEAK_FUNDING, peak);
}

/// Repays debt from cash that no payable or arrears is waiting for.
#[inline(always)]
pub fn repay<T: Real>(st: &mut St<T>) {
    let debt = st.get(slot::DEBT);
    if debt <= T::zero() {
        return;
    }
    let spare = st.get(slot::CASH) - st.get(slot::PAY_TOTAL) - st.get(slot::ARREARS);
    let repay = debt.min(spare.max(T::zero()));
    st.add(slot::DEBT, -repay);
    st.add(slot::CASH, -repay);
}

/// Net proceeds the fund could raise from position `p` within `days` days at the participation
/// cap (half spread paid, impact ignored), counting only sales that settle in time.
/// The market is today's (`St::m`, at the stress level in `slot::G`).
#[inline(always)]
pub fn sellable_within<T: Real>(c: &Ctx, st: &St<T>, p: u32, days: u32) -> T {
    let l = &c.lay;
    let value = st.get(l.hold + p) * st.get(l.price + p);
    sellable(c, &c.positions[p as usize], &st.m[p as usize], value, days)
}

/// [`sellable_within`] from the position, its market today and its value.
#[inline(always)]
pub fn sellable<T: Real>(
    c: &Ctx,
    pos: &PositionParams,
    m: &MarketState<T>,
    value: T,
    days: u32,
) -> T {
    sellable_in(c, m, value, sale_days(pos, days))
}

/// The days position `pos` can sell on and settle within `days` days: 0 when it cannot (a
/// redemption window, or a settlement lag beyond `days`).
#[inline(always)]
pub fn sale_days<T: Real>(pos: &PositionParams, days: u32) -> T {
    if pos.window > 1 || pos.lag > days {
        T::zero()
    } else {
        T::n(days - pos.lag + 1)
    }
}

/// [`sellable`] from the position's [`sale_days`] (kept per scenario in `PositionConsts`).
#[inline(always)]
pub fn sellable_in<T: Real>(c: &Ctx, m: &MarketState<T>, value: T, sale_days: T) -> T {
    let gross = value.min(T::p(c.fund.participation_cap) * m.volume * sale_days);
    if sale_days > T::zero() {
        gross * (T::one() - T::p(0.5) * m.spread)
    } else {
        T::zero()
    }
}

/// Available liquidity ratio: (cash + receivables within `r_set` + funding headroom + net
/// proceeds sellable within `r_set`) / (due redemptions + payables + arrears).
#[inline(always)]
pub fn alr<T: Real>(c: &Ctx, st: &St<T>, t: u32, nav_now: T) -> T {
    // One pass for the sellable proceeds (the positions' sale days within `r_set` kept in their
    // constants) and the repo-eligible value (two independent sums, each
    // in position order: the bits of two separate passes).
    let (mut sellable_sum, mut repo) = (T::zero(), T::zero());
    debug_assert_eq!(st.k.len(), c.positions.len());
    for (((pos, k), m), value) in c
        .positions
        .iter()
        .zip(st.k.iter())
        .zip(st.m.iter())
        .zip(position_values(c, st))
    {
        sellable_sum = sellable_sum + sellable_in(c, m, value, k.sale_days_r_set);
        repo = repo + repo_value(pos, value);
    }
    let headroom = headroom_from_repo(c, st, repo, nav_now);
    alr_from(c, st, t, sellable_sum, headroom)
}

/// [`alr`] from the proceeds sellable within the redemption settlement (summed in position order)
/// and the funding headroom.
#[inline(always)]
pub fn alr_from<T: Real>(c: &Ctx, st: &St<T>, t: u32, sellable_sum: T, headroom: T) -> T {
    let l = &c.lay;
    let r_set = c.fund.redemption_settlement;
    let num = st.get(slot::CASH) + receivables_within(c, st, t, r_set) + headroom + sellable_sum;
    let mut due_shares = T::zero();
    for &d in st.holders(l).1 {
        due_shares = due_shares + d;
    }
    let den = due_shares * st.get(slot::NU) + st.get(slot::PAY_TOTAL) + st.get(slot::ARREARS);
    if den > T::p(1e-9) {
        (num / den).min(T::p(ALR_CAP))
    } else {
        T::p(ALR_CAP)
    }
}

/// ALR reported when nothing is due (and the ceiling of the ratio).
pub const ALR_CAP: f32 = 100.0;

//! Stage 3 of a dealing day: the gate check, acceptance of due redemptions (pro rata under a gate,
//! with the investor-level cap), in-kind payment of large redemptions (MODEL.md sections 1.4 and
//! 3.7, steps 3 to 5). Swing pricing is settled in the liquidation stage, where the day's cost
//! rate is known.
//!
//! WGSL twin: `shaders/wgsl/policy.wgsl`.

use crate::ctx::{Ctx, St};
use crate::investors::trailing;
use crate::layout::{slot, TRAIL};
use crate::ledger;
use crate::metrics::beyond;
use crate::params::*;
use crate::real::Real;
use crate::shadow::same;

/// Whether the gate triggers fire today, by the fund's rule.
#[inline(always)]
pub fn gate_triggered<T: Real>(c: &Ctx, st: &St<T>, t: u32, alr: T) -> bool {
    let f = c.fund;
    let enabled = f.gate_triggers & (gate::REDEMPTIONS_30D | gate::ALR | gate::STRESS);
    if !c.on(switch::GATES) || enabled == 0 {
        return false;
    }
    let nav = st.get(slot::NAV).max(T::p(1e-9));
    // Trailing 30 days including today's requests.
    // The 29 days before today from the day's shared sums (`St::trail`).
    debug_assert!(same(st.trail.req_29, trailing(st, c.lay.req_trail, t, 29)));
    let requests_30d = (st.trail.req_29 + st.get(c.lay.req_trail + t % TRAIL)) / nav;
    let mut fired = 0u32;
    if beyond(requests_30d, T::p(f.gate_redemptions_30d), false) {
        fired |= gate::REDEMPTIONS_30D;
    }
    if beyond(alr, T::p(f.gate_alr), true) {
        fired |= gate::ALR;
    }
    if beyond(st.get(slot::STRESS_PREV), T::p(f.gate_stress), false) {
        fired |= gate::STRESS;
    }
    fired &= enabled;
    if f.gate_rule == gate::RULE_ALL {
        fired == enabled
    } else {
        fired != 0
    }
}

/// Whether the fund's gate reads the ALR: gates on, with the ALR among the triggers.
#[inline(always)]
pub fn reads_alr(c: &Ctx) -> bool {
    c.on(switch::GATES) && c.fund.gate_triggers & gate::ALR != 0
}

/// Shares of holder `h` eligible today: what is due, within the investor-level cap.
#[inline(always)]
pub fn eligible<T: Real>(c: &Ctx, st: &St<T>, h: u32) -> T {
    let (held, due, _) = st.holders(&c.lay);
    eligible_of(c, h, due[h as usize], held[h as usize])
}

/// [`eligible`] from holder `h`'s due and held shares.
#[inline(always)]
fn eligible_of<T: Real>(c: &Ctx, h: u32, due: T, held: T) -> T {
    if c.on(switch::INVESTOR_GATE) && h >= c.n_segments() {
        due.min(T::p(c.fund.gate_investor_cap) * held)
    } else {
        due
    }
}

/// Deals today's due redemptions: gate, acceptance, share cancellation and in-kind payment.
/// Leaves the accepted cash value in `ACC_TODAY_CASH` for the liquidation stage.
#[inline(always)]
pub fn deal<T: Real>(c: &Ctx, st: &mut St<T>, t: u32) {
    let l = &c.lay;
    st.set(slot::ACC_TODAY_CASH, T::zero());
    st.set(slot::ACC_TODAY, T::zero());
    // Between dealing days the gate flag keeps the last dealing day's decision.
    if !c.is_dealing_day(t) {
        return;
    }
    st.set(slot::GATE_TODAY, T::zero());
    let nav = st.get(slot::NAV);
    let nu = st.get(slot::NU);
    // The ALR (a pass over the positions) only where a gate trigger reads it: with gates off, or
    // no ALR trigger, `gate_triggered` masks it out (the portfolio liquidity stage's reruns run
    // with gates off). Shadows may have an ALR trigger of their own.
    let alr = if reads_alr(c) || !c.shadows.is_empty() {
        ledger::alr(c, st, t, nav)
    } else {
        T::p(ledger::ALR_CAP)
    };

    // Gate: triggers, or a gate still inside its minimum duration.
    let mut gated = gate_triggered(c, st, t, alr);
    if !c.shadows.is_empty() {
        crate::shadow::check_gate(c, st, t, alr, gated);
    }
    if gated {
        st.set(slot::GATE_DAYS_LEFT, T::n(c.fund.gate_min_days));
    } else if st.get(slot::GATE_DAYS_LEFT) > T::zero() {
        gated = true;
    }
    if st.get(slot::GATE_DAYS_LEFT) > T::zero() {
        st.add(slot::GATE_DAYS_LEFT, -T::one());
    }

    // Eligible shares per holder: what is due, within the investor-level cap.
    let mut eligible_total = T::zero();
    let (held, due, _) = st.holders(l);
    for (h, (&d, &held)) in (0..).zip(due.iter().zip(held)) {
        eligible_total = eligible_total + eligible_of(c, h, d, held);
    }
    if eligible_total <= T::zero() {
        st.set(slot::GATE_TODAY, if gated { T::one() } else { T::zero() });
        return;
    }
    let mut fraction = T::one();
    if gated {
        let cap_shares = T::p(c.fund.gate_cap) * nav / nu;
        fraction = (cap_shares / eligible_total).min(T::one());
        st.set(slot::GATE_TODAY, T::one());
    }

    // Accept pro rata; the rest stays due and keeps its place.
    let in_kind = c.on(switch::IN_KIND);
    let mut accepted_shares = T::zero();
    let mut in_kind_value = T::zero();
    let hs = st.holders_mut(l);
    for (h, (due, held)) in (0..).zip(hs.due.iter_mut().zip(hs.held.iter_mut())) {
        let a = eligible_of(c, h, *due, *held) * fraction;
        *due = *due + -a;
        *held = *held + -a;
        accepted_shares = accepted_shares + a;
        let value = a * nu;
        if in_kind && h >= c.n_segments() && value > T::p(c.fund.in_kind_threshold) * nav {
            in_kind_value = in_kind_value + value;
        }
    }
    let accepted = accepted_shares * nu;
    st.add(slot::SHARES, -accepted_shares);
    st.add(slot::ACC_SHARES, accepted_shares);
    st.add(slot::ACCEPTED, accepted);
    st.add(l.acc_trail + t % TRAIL, accepted);
    st.set(slot::ACC_TODAY, accepted);

    // In kind: a pro-rata slice of every position, no cash, no liquidation cost. The holdings are
    // valued only when something was found to pay in kind (with none, `0.min(holdings)` is the
    // same 0 without the pass over the positions).
    let mut holdings = T::zero();
    if in_kind_value != T::zero() {
        holdings = ledger::holdings_value(c, st);
        in_kind_value = in_kind_value.min(holdings);
    }
    if in_kind_value > T::zero() {
        let slice = in_kind_value / holdings;
        for p in 0..l.n_positions {
            let h = st.get(l.hold + p);
            st.set(l.hold + p, h * (T::one() - slice));
        }
        st.add(slot::IN_KIND, in_kind_value);
        st.add(slot::PAID, in_kind_value);
        st.add(slot::NAV_PNL, -in_kind_value);
    }
    st.set(slot::ACC_TODAY_CASH, accepted - in_kind_value);
}

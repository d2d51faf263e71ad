//! Stage 2 of a day: valuation, the feedback signals and new redemption requests from segments,
//! large investors and scripted events (MODEL.md sections 3.5 and 3.6).
//!
//! WGSL twin: `shaders/wgsl/investors.wgsl`.

use crate::ctx::{Ctx, St, Trailing};
use crate::lanes::map;
use crate::layout::{slot, Layout, TRAIL};
use crate::ledger;
use crate::params::*;
use crate::philox::{normal_seq, philox4x32_10, stream, uniform};
use crate::real::Real;

/// The feedback signals of MODEL.md 3.5, all from the end of the previous day.
#[derive(Clone, Copy, Debug)]
pub struct Signals<T> {
    /// Drawdown of NAV per share from its peak.
    pub drawdown: T,
    /// Accepted outflows over the last 5 days, as a share of NAV.
    pub outflow_5d: T,
    /// Liquidity concern: proximity to the gate triggers (or MODEL.md's ALR shortfall against the
    /// gate level), plus `gate_concern` while gated.
    pub liquidity: T,
    /// Stress composite in [0, 1].
    pub stress: T,
}

/// Large investors whose hazards are taken on lanes at once (`requests`).
const LARGE_LANES: usize = 8;

/// Sum of the last `days` entries of a trailing ring, ending yesterday (`t - 1`).
#[inline(always)]
pub fn trailing<T: Real>(st: &St<T>, base: u32, t: u32, days: u32) -> T {
    sum_back(ring(st, base), t, 1, days, T::zero())
}

/// Day `t`'s trailing sums ([`Trailing`]): each longer sum goes on from the shorter, the same
/// terms in the same order, so each has the bits of [`trailing`] over its days.
#[inline(always)]
pub fn trailing_sums<T: Real>(l: &Layout, st: &St<T>, t: u32) -> Trailing<T> {
    let (req, acc) = (ring(st, l.req_trail), ring(st, l.acc_trail));
    let req_4 = sum_back(req, t, 1, 4, T::zero());
    let req_29 = sum_back(req, t, 5, 29, req_4);
    let req_30 = sum_back(req, t, 30, 30, req_29);
    let acc_4 = sum_back(acc, t, 1, 4, T::zero());
    let acc_5 = sum_back(acc, t, 5, 5, acc_4);
    Trailing {
        req_4,
        req_29,
        req_30,
        acc_4,
        acc_5,
    }
}

/// A trailing ring's `TRAIL` words (one bounds check; the day's indices are then in range).
#[inline(always)]
fn ring<'a, T: Real>(st: &'a St<T>, base: u32) -> &'a [T; TRAIL as usize] {
    let base = base as usize;
    st.w[base..base + TRAIL as usize]
        .try_into()
        .expect("a trailing ring holds TRAIL words")
}

/// `s` plus the ring's entries `t - from` down to `t - to` (none before day 0), in that order.
#[inline(always)]
fn sum_back<T: Real>(ring: &[T; TRAIL as usize], t: u32, from: u32, to: u32, mut s: T) -> T {
    for j in from..=to.min(t) {
        s = s + ring[((t - j) % TRAIL) as usize];
    }
    s
}

/// Proximity of a value to its gate trigger: `clamp((r - c0) / (1 - c0), 0, 1)` for the ratio
/// `r` (value over trigger level, 1 at the trigger) and the start `c0`.
#[inline(always)]
pub fn proximity<T: Real>(r: T, c0: T) -> T {
    let span = (T::one() - c0).max(T::p(1e-6));
    ((r - c0) / span).max(T::zero()).min(T::one())
}

/// Liquidity concern from the proximity to the fund's enabled gate triggers (whether or not gates
/// run), all from the end of the previous day: requests over the 30 days ending yesterday over
/// yesterday's closing NAV, the ALR and the stress composite.
#[inline(always)]
pub fn trigger_concern<T: Real>(c: &Ctx, st: &St<T>, t: u32, nav_prev: T) -> T {
    let f = c.fund;
    let c0 = T::p(f.concern_start);
    let mut concern = T::zero();
    if f.gate_triggers & gate::REDEMPTIONS_30D != 0 {
        debug_assert!(crate::shadow::same(
            st.trail.req_30,
            trailing(st, c.lay.req_trail, t, 30)
        ));
        let requests_30d = st.trail.req_30 / nav_prev;
        let r = requests_30d / T::p(f.gate_redemptions_30d.max(1e-6));
        concern = concern.max(proximity(r, c0));
    }
    if f.gate_triggers & gate::ALR != 0 {
        let r = T::p(f.gate_alr) / st.get(slot::ALR_PREV).max(T::p(1e-9));
        concern = concern.max(proximity(r, c0));
    }
    if f.gate_triggers & gate::STRESS != 0 {
        let r = st.get(slot::STRESS_PREV) / T::p(f.gate_stress.max(1e-6));
        concern = concern.max(proximity(r, c0));
    }
    concern
}

/// The signals at the start of day `t`.
#[inline(always)]
pub fn signals<T: Real>(c: &Ctx, st: &St<T>, t: u32) -> Signals<T> {
    let l = &c.lay;
    let nu_prev = st.get(slot::NU_PREV);
    let peak = st.get(slot::NU_PEAK);
    let drawdown = (T::one() - nu_prev / peak).max(T::zero());
    let nav_prev = nav_prev(st);
    debug_assert!(crate::shadow::same(
        st.trail.acc_5,
        trailing(st, l.acc_trail, t, 5)
    ));
    let outflow_5d = st.trail.acc_5 / nav_prev;
    Signals {
        drawdown,
        outflow_5d,
        liquidity: liquidity_concern(c, st, t, nav_prev),
        stress: st.get(slot::STRESS_PREV),
    }
}

/// The liquidity-concern signal at the start of day `t` (`nav_prev`: yesterday's closing NAV):
/// the only signal that reads the gate policy.
#[inline(always)]
pub fn liquidity_concern<T: Real>(c: &Ctx, st: &St<T>, t: u32, nav_prev: T) -> T {
    let gate_flag = T::p(c.fund.gate_concern) * st.get(slot::GATE_PREV);
    if c.on(switch::PROXIMITY_CONCERN) {
        trigger_concern(c, st, t, nav_prev) + gate_flag
    } else {
        let gate_alr = T::p(c.fund.gate_alr.max(1e-6));
        (T::one() - st.get(slot::ALR_PREV) / gate_alr).max(T::zero()) + gate_flag
    }
}

/// Yesterday's closing NAV, as the signals read it: shares change only when redemptions are
/// dealt, later today.
#[inline(always)]
pub fn nav_prev<T: Real>(st: &St<T>) -> T {
    (st.get(slot::NU_PREV) * st.get(slot::SHARES)).max(T::p(1e-9))
}

/// Queues `shares` of holder `h`, due `notice` days after `t`.
#[inline(always)]
fn queue_request<T: Real>(c: &Ctx, st: &mut St<T>, h: u32, shares: T, t: u32, notice: u32) {
    let l = &c.lay;
    let notice = (notice + c.fund.fund_notice).min(l.ring - 1);
    if notice == 0 {
        st.add(l.due + h, shares);
    } else {
        st.add(l.queue + h * l.ring + (t + notice) % l.ring, shares);
        st.add(l.queued + h, shares);
    }
    st.add(slot::REQ_SHARES, shares);
    let value = shares * st.get(slot::NU);
    st.add(slot::REQUESTED, value);
    st.add(l.req_trail + t % TRAIL, value);
}

/// Shares of holder `h` not already requested.
#[inline(always)]
pub fn free_shares<T: Real>(c: &Ctx, st: &St<T>, h: u32) -> T {
    let l = &c.lay;
    (st.get(l.held + h) - st.get(l.due + h) - st.get(l.queued + h)).max(T::zero())
}

/// Values the fund, moves requests whose notice has run into the due pool, then draws today's
/// new requests.
#[inline(always)]
pub fn requests<T: Real>(c: &Ctx, st: &mut St<T>, t: u32) {
    let l = &c.lay;
    // The holdings are as `market::advance` valued them (settlement moves no holding).
    debug_assert!(
        st.holdings.to_f64().to_bits() == ledger::holdings_value(c, st).to_f64().to_bits()
    );
    let nav = ledger::nav_from(st, st.holdings);
    st.set(slot::NAV, nav);
    st.set(slot::NU, nav / st.get(slot::SHARES));
    st.set(l.req_trail + t % TRAIL, T::zero());
    st.set(l.acc_trail + t % TRAIL, T::zero());
    // The days before today's, for every stage of the day to read.
    st.trail = trailing_sums(l, st, t);

    notices_run_out(l, st, t);

    let sig = signals(c, st, t);
    let perf = if c.on(switch::FEEDBACK_PERF) {
        sig.drawdown
    } else {
        T::zero()
    };
    let herd = if c.on(switch::FEEDBACK_HERD) {
        sig.outflow_5d
    } else {
        T::zero()
    };
    let liq = if c.on(switch::FEEDBACK_LIQ) {
        sig.liquidity
    } else {
        T::zero()
    };
    if !c.shadows.is_empty() && c.on(switch::FEEDBACK_LIQ) {
        crate::shadow::check_concern(c, st, t, liq);
    }
    let stress = if c.on(switch::FEEDBACK_STRESS) {
        sig.stress * T::p(c.sc.redemption_severity)
    } else {
        T::zero()
    };
    // Base redemption pressure: `m_k`, or with stress flows `m(t) = 1 + (m_k - 1) g(t)` (calm
    // rates before onset).
    let g = st.get(slot::G);
    let stress_flows = c.on(switch::STRESS_FLOWS);
    let base = if !c.on(switch::BASE_FLOWS) {
        T::zero()
    } else if stress_flows {
        T::one() + (T::p(c.sc.redemption_mult) - T::one()) * g
    } else {
        T::p(c.sc.redemption_mult)
    };
    let large_mult = if stress_flows {
        T::one() + (T::p(c.sc.large_mult) - T::one()) * g
    } else {
        T::p(c.sc.large_mult)
    };
    let noisy = c.noisy();

    // Segment flow noise: normal `s` of the day's flow stream, four to a Philox block, drawn
    // eight at a time (their Box-Muller pairs on lanes).
    let mut flow_normals = [T::zero(); 8];
    for s in 0..c.n_segments() {
        let seg = &c.segments[s as usize];
        if noisy && s % 8 == 0 {
            let used = (c.n_segments() - s).min(8);
            let first = [c.scenario, t, stream::FLOWS, s / 4];
            normal_seq::<T, 4>(first, c.key, used, &mut flow_normals);
        }
        let z = flow_normals[(s % 8) as usize];
        let rate = base * T::p(seg.base_rate)
            + T::p(seg.beta_perf) * perf
            + T::p(seg.beta_herd) * herd
            + T::p(seg.beta_liq) * liq
            + T::p(seg.beta_stress) * stress
            + T::p(seg.flow_vol) * z;
        let rate = rate.max(T::zero()).min(T::p(c.fund.lam_max));
        let shares = rate * free_shares(c, st, s);
        if shares > T::zero() {
            queue_request(c, st, s, shares, t, seg.notice);
        }
    }

    // Large investors' own decisions are random draws: a scripted scenario has none (its script
    // says who redeems).
    if c.on(switch::LARGE_INVESTORS) && noisy {
        let base_large = base * large_mult;
        // Large investor `i` draws uniform `i` of the day's stream, four to a Philox block. The
        // hazards' exponentials are taken `LARGE_LANES` investors at a time on lanes (the same
        // bits as one at a time), those of investors already gone included and not read.
        let mut draws = [0u32; 4];
        let mut survive = [T::zero(); LARGE_LANES];
        for i in 0..c.fund.n_large {
            let j = i as usize % LARGE_LANES;
            if j == 0 {
                let first = i as usize;
                let large = &c.large[first..(first + LARGE_LANES).min(c.large.len())];
                survive = T::exp_lanes(map(|j| {
                    large.get(j).map_or(T::zero(), |inv| {
                        let intensity = base_large * T::p(inv.hazard)
                            + T::p(inv.beta_perf) * perf
                            + T::p(inv.beta_herd) * herd
                            + T::p(inv.beta_liq) * liq
                            + T::p(inv.beta_stress) * stress;
                        -intensity.max(T::zero())
                    })
                }));
            }
            if i % 4 == 0 {
                draws = philox4x32_10([c.scenario, t, stream::LARGE, i / 4], c.key);
            }
            if st.get(l.gone + i) > T::zero() {
                continue;
            }
            let inv = &c.large[i as usize];
            let hazard = T::one() - survive[j];
            let u: T = uniform(draws[(i % 4) as usize]);
            if u < hazard {
                let h = c.n_segments() + i;
                let shares = T::p(inv.fraction) * free_shares(c, st, h);
                st.set(l.gone + i, T::one());
                st.add(slot::LARGE_NOTICES, T::one());
                if shares > T::zero() {
                    queue_request(c, st, h, shares, t, inv.notice);
                }
            }
        }
    }

    scripted_requests(c, st, t);
}

/// Notice run out today: the shares join the due pool (dealt on the next dealing day).
#[inline(always)]
fn notices_run_out<T: Real>(l: &Layout, st: &mut St<T>, t: u32) {
    let today = (t % l.ring) as usize;
    let hs = st.holders_mut(l);
    let queues = hs.queue.chunks_exact_mut(l.ring as usize);
    for ((due, queued), queue) in hs.due.iter_mut().zip(hs.queued.iter_mut()).zip(queues) {
        let q = queue[today];
        *due = *due + q;
        *queued = *queued + -q;
        queue[today] = T::zero();
    }
}

/// The scenario's scripted redemption schedule for day `t`.
#[inline(always)]
fn scripted_requests<T: Real>(c: &Ctx, st: &mut St<T>, t: u32) {
    let l = &c.lay;
    for e in 0..c.sc.n_events.min(MAX_SCRIPT_EVENTS as u32) {
        let e = e as usize;
        let h = c.sc.event_holder[e];
        if c.sc.event_day[e] == t && h < l.n_holders {
            let shares = T::p(c.sc.event_fraction[e]) * free_shares(c, st, h);
            let notice = if h < c.n_segments() {
                c.segments[h as usize].notice
            } else {
                c.large[(h - c.n_segments()) as usize].notice
            };
            if shares > T::zero() {
                queue_request(c, st, h, shares, t, notice);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::market::MarketState;
    use crate::params::N_INDICATORS;
    use crate::testing::busy_fund;

    #[test]
    fn the_days_trailing_sums_have_the_bits_of_their_own_passes() {
        let l = Layout::new(&busy_fund(6).params);
        // Values of mixed magnitudes, so that another order of the sum would change its bits.
        let mut w: Vec<f32> = (0..l.len)
            .map(|i| {
                (i.wrapping_mul(2_654_435_761) >> 7) as f32 * if i % 3 == 0 { 1e-7 } else { 1.3 }
            })
            .collect();
        let (mut m, mut d) = (Vec::<MarketState<f32>>::new(), Vec::new());
        let st = St {
            w: &mut w,
            k: &[],
            m: &mut m,
            ind: [0.0; N_INDICATORS],
            departed: &mut d,
            holdings: 0.0,
            trail: Trailing::default(),
            idio: &mut [],
        };
        let mut differs = false;
        for t in 0..3 * TRAIL {
            let s = trailing_sums(&l, &st, t);
            for (sum, base, days) in [
                (s.req_4, l.req_trail, 4),
                (s.req_29, l.req_trail, 29),
                (s.req_30, l.req_trail, 30),
                (s.acc_4, l.acc_trail, 4),
                (s.acc_5, l.acc_trail, 5),
            ] {
                assert_eq!(
                    sum.to_bits(),
                    trailing(&st, base, t, days).to_bits(),
                    "t {t}, {days} days"
                );
                // The reverse order of the same terms, to show that the order is tested.
                let mut r = 0.0f32;
                for j in (1..=days.min(t)).rev() {
                    r += st.get(base + (t - j) % TRAIL);
                }
                differs |= r.to_bits() != sum.to_bits();
            }
        }
        assert!(
            differs,
            "the sums' order never mattered: the test shows nothing"
        );
    }
}

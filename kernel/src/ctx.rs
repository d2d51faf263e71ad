//! What every stage reads: the fund, the scenario, the random key and the state layout, plus a thin
//! accessor over one scenario's state words.
//!
//! WGSL twin: the bindings and `st_get`/`st_set` helpers in `shaders/wgsl/ctx.wgsl`.

use crate::layout::Layout;
use crate::market::{MarketState, PositionConsts};
use crate::params::*;
use crate::real::Real;

/// Read-only inputs of one scenario's simulation.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    pub fund: &'a FundParams,
    pub positions: &'a [PositionParams],
    pub segments: &'a [SegmentParams],
    pub large: &'a [LargeInvestorParams],
    pub order: &'a [u32],
    pub sc: &'a ScenarioParams,
    /// Scenario index (the Philox counter's first word).
    pub scenario: u32,
    /// Philox key (the run seed).
    pub key: [u32; 2],
    pub lay: Layout,
    /// Policy and strategy variants followed along this run (`crate::shadow`; CPU only, empty
    /// elsewhere).
    pub shadows: &'a [Ctx<'a>],
    /// As a shadow: whether its redemption policy is its lead's (`crate::shadow::same_policy`),
    /// so that the policy's decisions cannot depart it. False elsewhere.
    pub policy_of_lead: bool,
}

impl<'a> Ctx<'a> {
    pub fn new(
        model: &'a FundModel,
        sc: &'a ScenarioParams,
        scenario: u32,
        key: [u32; 2],
    ) -> Ctx<'a> {
        Ctx {
            fund: &model.params,
            positions: &model.positions,
            segments: &model.segments,
            large: &model.large,
            order: &model.waterfall_order,
            sc,
            scenario,
            key,
            lay: Layout::new(&model.params),
            shadows: &[],
            policy_of_lead: false,
        }
    }

    /// Whether a mechanism switch is on.
    #[inline(always)]
    pub fn on(&self, bit: u32) -> bool {
        self.fund.switches & bit != 0
    }

    /// Whether noise is drawn at all in this scenario (scripted scenarios run without it).
    #[inline(always)]
    pub fn noisy(&self) -> bool {
        self.on(switch::NOISE) && self.sc.flags & sflag::SCRIPTED == 0
    }

    #[inline(always)]
    pub fn is_dealing_day(&self, t: u32) -> bool {
        let every = self.fund.dealing_every.max(1);
        t % every == every - 1
    }

    #[inline(always)]
    pub fn n_segments(&self) -> u32 {
        self.fund.n_segments
    }

    #[inline(always)]
    pub fn n_holders(&self) -> u32 {
        self.fund.n_segments + self.fund.n_large
    }
}

/// One scenario's state words, with two CPU-side tables the WGSL twin does not have (it
/// recomputes both from the records): the per-position constants of the scenario, converted once
/// before day 0, and each position's market on the current day, computed once by
/// `market::advance` for every stage of the day to read.
pub struct St<'s, T> {
    pub w: &'s mut [T],
    /// Per-position constants of this scenario (`PositionConsts::new`), in position order.
    pub k: &'s [PositionConsts<T>],
    /// Each position's market at today's stress level `slot::G` (`PositionConsts::market`).
    pub m: &'s mut [MarketState<T>],
    /// Today's 14 early-warning indicator values, as `metrics::record` tested them against their
    /// thresholds (CPU only: `DayView::breaches` lets an observer test other thresholds on the
    /// same run, which is how the early-warning ladder is calibrated without rerunning).
    pub ind: [T; N_INDICATORS],
    /// Each shadow's departure day (`crate::shadow`; CPU only): [`crate::shadow::STAYED`] while
    /// its decisions equal this run's.
    pub departed: &'s mut [u32],
    /// The holdings' value at today's prices before any sale (`ledger::holdings_value`, summed
    /// by `market::advance` in its pass over the positions; CPU only, like `m`), read by the
    /// investors' valuation before dealing.
    pub holdings: T,
    /// Today's trailing sums ([`Trailing`]).
    pub trail: Trailing<T>,
    /// The day's idiosyncratic normal of each position (CPU only: `market::advance` draws them
    /// in a pass of their own before moving the prices on lanes).
    pub idio: &'s mut [T],
}

/// The trailing flows' sums over the days before today, summed once a day by
/// `investors::requests` before anything reads them (`investors::trailing_sums`): the requested
/// value over the last 4, 29 and 30 days and the accepted value over the last 4 and 5. Each
/// longer sum goes on from the shorter one (the same terms in the same order), so each has the
/// bits of `investors::trailing`. CPU only: the WGSL twin sums each where it is read.
#[derive(Clone, Copy, Debug, Default)]
pub struct Trailing<T> {
    pub req_4: T,
    pub req_29: T,
    pub req_30: T,
    pub acc_4: T,
    pub acc_5: T,
}

/// The holders' words of one scenario's state, each a slice of `n_holders` words (the notice
/// queues `n_holders × ring`), so that the per-holder loops index nothing unchecked: the layout
/// keeps `held`, `due`, `queued` and `queue` one after another (`Layout::new`).
pub struct HoldersMut<'a, T> {
    pub held: &'a mut [T],
    pub due: &'a mut [T],
    pub queued: &'a mut [T],
    pub queue: &'a mut [T],
}

impl<T: Real> St<'_, T> {
    /// The holders' `held`, `due` and `queued` words.
    #[inline(always)]
    pub fn holders(&self, l: &Layout) -> (&[T], &[T], &[T]) {
        let nh = l.n_holders as usize;
        debug_assert!(l.due == l.held + l.n_holders && l.queued == l.due + l.n_holders);
        let w = &self.w[l.held as usize..l.held as usize + 3 * nh];
        let (held, w) = w.split_at(nh);
        let (due, queued) = w.split_at(nh);
        (held, due, queued)
    }

    /// The holders' words, writable.
    #[inline(always)]
    pub fn holders_mut(&mut self, l: &Layout) -> HoldersMut<'_, T> {
        let nh = l.n_holders as usize;
        debug_assert!(l.due == l.held + l.n_holders && l.queued == l.due + l.n_holders);
        debug_assert!(l.queue == l.queued + l.n_holders);
        let end = l.held as usize + nh * (3 + l.ring as usize);
        let w = &mut self.w[l.held as usize..end];
        let (held, w) = w.split_at_mut(nh);
        let (due, w) = w.split_at_mut(nh);
        let (queued, queue) = w.split_at_mut(nh);
        HoldersMut {
            held,
            due,
            queued,
            queue,
        }
    }

    #[inline(always)]
    pub fn get(&self, i: u32) -> T {
        self.w[i as usize]
    }
    #[inline(always)]
    pub fn set(&mut self, i: u32, v: T) {
        self.w[i as usize] = v;
    }
    #[inline(always)]
    pub fn add(&mut self, i: u32, v: T) {
        self.w[i as usize] = self.w[i as usize] + v;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::busy_fund;

    /// A state whose every word is its own index, for the busy fund's layout.
    fn numbered(l: &Layout) -> Vec<f64> {
        (0..l.len).map(f64::from).collect()
    }

    fn state<'a>(w: &'a mut [f64], m: &'a mut [MarketState<f64>], d: &'a mut [u32]) -> St<'a, f64> {
        St {
            w,
            k: &[],
            m,
            ind: [0.0; N_INDICATORS],
            departed: d,
            holdings: 0.0,
            trail: Trailing::default(),
            idio: &mut [],
        }
    }

    #[test]
    fn the_holders_slices_are_the_holders_words() {
        let model = busy_fund(6);
        let l = Layout::new(&model.params);
        assert!(l.n_holders > 1 && l.ring > 1);
        let mut w = numbered(&l);
        let (mut m, mut d) = (Vec::new(), Vec::new());
        let mut st = state(&mut w, &mut m, &mut d);
        let nh = l.n_holders as usize;
        let (held, due, queued) = st.holders(&l);
        for h in 0..l.n_holders {
            let i = h as usize;
            assert_eq!(held[i], st.get(l.held + h));
            assert_eq!(due[i], st.get(l.due + h));
            assert_eq!(queued[i], st.get(l.queued + h));
        }
        assert_eq!((held.len(), due.len(), queued.len()), (nh, nh, nh));
        let hs = st.holders_mut(&l);
        let queue: Vec<f64> = hs.queue.to_vec();
        hs.due[nh - 1] = -1.0;
        assert_eq!(queue.len(), nh * l.ring as usize);
        for h in 0..l.n_holders {
            for day in 0..l.ring {
                let i = (h * l.ring + day) as usize;
                assert_eq!(queue[i], f64::from(l.queue + h * l.ring + day));
            }
        }
        assert_eq!(st.get(l.due + l.n_holders - 1), -1.0);
    }
}

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
    /// The day's idiosyncratic normal of each position (CPU only: `market::advance` draws them
    /// in a pass of their own before moving the prices on lanes).
    pub idio: &'s mut [T],
}

impl<T: Real> St<'_, T> {
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

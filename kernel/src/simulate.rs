//! One scenario from day 0 to the horizon: the initial state, the day's stages in MODEL.md 3.7's
//! order, and the output record.
//!
//! The GPU runs the same stages as separate dispatches per day (`shaders/wgsl/*.wgsl`), keeping
//! the state in storage buffers between them.

use crate::ctx::{Ctx, St};
use crate::isa::Isa;
use crate::lanes::LANES;
use crate::layout::{slot, Layout};
use crate::market::{MarketState, PositionConsts};
use crate::params::*;
use crate::real::Real;
use crate::{investors, ledger, liquidation, market, metrics, policy, shadow};

/// The state at day 0: holdings at their weights, prices 1, cash, one share in issue split among
/// holders by their stakes.
#[inline(always)]
pub fn init_state<T: Real>(c: &Ctx, st: &mut St<T>) {
    let l = &c.lay;
    for w in st.w.iter_mut() {
        *w = T::zero();
    }
    st.set(slot::CASH, T::p(c.fund.initial_cash));
    st.set(slot::SHARES, T::one());
    st.set(slot::NAV, T::one());
    st.set(slot::NU, T::one());
    st.set(slot::NU_PEAK, T::one());
    st.set(slot::NU_PREV, T::one());
    st.set(slot::ALR_PREV, T::p(ledger::ALR_CAP));
    st.set(slot::NAV_PNL, T::one());
    st.set(slot::MIN_ALR, T::p(ledger::ALR_CAP));
    st.set(slot::MIN_CASH, T::p(c.fund.initial_cash));
    let never = T::p(NEVER);
    for s in [
        slot::FIRST_GATE,
        slot::FIRST_SHORTFALL,
        slot::BUFFER_EXHAUSTED,
        slot::FIRST_ILLIQUID,
        slot::EVENT_DAY,
    ] {
        st.set(s, never);
    }
    for k in 0..N_INDICATORS as u32 {
        st.set(slot::EW_FIRST + k, never);
    }
    for p in 0..l.n_positions {
        st.set(l.hold + p, T::p(c.positions[p as usize].weight));
        st.set(l.price + p, T::one());
    }
    for s in 0..c.fund.n_segments {
        st.set(l.held + s, T::p(c.segments[s as usize].share));
    }
    for i in 0..c.fund.n_large {
        st.set(
            l.held + c.fund.n_segments + i,
            T::p(c.large[i as usize].stake),
        );
    }
    // The audit starts from the balance sheet as built (weights plus cash, 1 up to rounding).
    st.set(slot::NAV_PNL, ledger::nav(c, st));
    // The market at the stress level of the zeroed `slot::G`, until day 0's `market::advance`.
    let g = st.get(slot::G);
    for (m, k) in st.m.iter_mut().zip(st.k) {
        *m = k.market(g);
    }
}

/// One simulated day, in MODEL.md 3.7's order, with the CPU's lanes of [`LANES`] positions.
pub fn day<T: Real>(c: &Ctx, st: &mut St<T>, t: u32) {
    day_lanes::<T, LANES>(c, st, t);
}

/// [`day`] with lanes of `W` positions (`crate::lanes`): the same bits at every width.
#[inline(always)]
pub fn day_lanes<T: Real, const W: usize>(c: &Ctx, st: &mut St<T>, t: u32) {
    market::advance::<T, W>(c, st, t);
    ledger::settle(c, st, t);
    investors::requests(c, st, t);
    policy::deal(c, st, t);
    liquidation::liquidate::<T, W>(c, st, t);
    metrics::record(c, st, t);
}

/// The output record from the final state.
#[inline(always)]
pub fn finish<T: Real>(c: &Ctx, st: &St<T>) -> ScenarioOutput {
    let l = &c.lay;
    let nu = st.get(slot::NU);
    let mut deferred = T::zero();
    for h in 0..l.n_holders {
        deferred = deferred + st.get(l.due + h) + st.get(l.queued + h);
    }
    let mut mtm = T::zero();
    for p in 0..l.n_positions {
        let value = st.get(l.hold + p) * st.get(l.price + p);
        // A position sold out carries no mark-to-market loss, and 0 × exp(large) would be NaN.
        if value > T::zero() {
            // Own impact still in the price at the horizon: the permanent part, the transient
            // part not yet decayed, and the last day's impact not yet shown.
            let own = st.get(l.perm_cum + p) + st.get(l.trans + p) + st.get(l.perm + p);
            mtm = mtm + value * own.exp_k() - value;
        }
    }
    let cost = st.get(slot::COST_SPREAD) + st.get(slot::COST_IMPACT);
    let f = |s: u32| st.get(s).to_f32();
    let mut o = ScenarioOutput {
        requested: f(slot::REQUESTED),
        accepted: f(slot::ACCEPTED),
        paid: f(slot::PAID),
        deferred_end: (deferred * nu).to_f32(),
        gate_days: f(slot::GATE_DAYS),
        first_gate_day: f(slot::FIRST_GATE),
        shortfall: f(slot::SHORTFALL_PEAK),
        first_shortfall_day: f(slot::FIRST_SHORTFALL),
        suspended: if st.get(slot::FIRST_SHORTFALL) >= T::zero() {
            1.0
        } else {
            0.0
        },
        cost_spread: f(slot::COST_SPREAD),
        cost_impact: f(slot::COST_IMPACT),
        mtm_loss: mtm.to_f32(),
        nav_end: nu.to_f32(),
        max_drawdown: f(slot::MAX_DD),
        min_alr: f(slot::MIN_ALR),
        min_cash: f(slot::MIN_CASH),
        buffer_exhausted_day: f(slot::BUFFER_EXHAUSTED),
        peak_funding: f(slot::PEAK_FUNDING),
        swing_income: f(slot::SWING_INCOME),
        dilution: (cost - st.get(slot::SWING_INCOME)).max(T::zero()).to_f32(),
        illiquid_end: f(slot::ILLIQUID_SHARE),
        first_illiquid_breach_day: f(slot::FIRST_ILLIQUID),
        large_redeemed: f(slot::LARGE_NOTICES),
        event_day: f(slot::EVENT_DAY),
        portfolio_sold: f(slot::PORTFOLIO_SOLD),
        in_kind: f(slot::IN_KIND),
        funding_cost: f(slot::FUNDING_COST),
        debt_end: f(slot::DEBT),
        // Day-0 shares in issue are 1.
        accepted_shares: f(slot::ACC_SHARES),
        ..Default::default()
    };
    for k in 0..4u32 {
        o.cum_outflow[k as usize] = f(slot::CUM_OUTFLOW + k);
        o.cum_requested[k as usize] = f(slot::CUM_REQUESTED + k);
        o.cum_cost[k as usize] = f(slot::CUM_COST + k);
    }
    for k in 0..N_INDICATORS as u32 {
        o.ew_first_breach[k as usize] = f(slot::EW_FIRST + k);
    }
    o
}

/// The end-of-day ledger of one scenario, for fan charts and conservation checks.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct DayTrace {
    pub day: u32,
    pub nav: f64,
    /// NAV per share.
    pub nav_per_share: f64,
    /// The independent NAV audit: initial NAV plus every profit and loss booked.
    pub nav_audit: f64,
    pub cash: f64,
    pub holdings: f64,
    pub receivables: f64,
    pub payables: f64,
    pub arrears: f64,
    pub debt: f64,
    pub shares: f64,
    pub requested_shares: f64,
    pub accepted_shares: f64,
    pub requested: f64,
    pub accepted: f64,
    pub paid: f64,
    /// Smallest holding in units (never negative).
    pub min_holding: f64,
    pub gate: bool,
    pub shortfall: bool,
}

fn trace<T: Real>(c: &Ctx, st: &St<T>, t: u32) -> DayTrace {
    let l = &c.lay;
    let mut min_holding = f64::INFINITY;
    for p in 0..l.n_positions {
        min_holding = min_holding.min(st.get(l.hold + p).to_f64());
    }
    DayTrace {
        day: t,
        nav: st.get(slot::NAV).to_f64(),
        nav_per_share: st.get(slot::NU).to_f64(),
        nav_audit: st.get(slot::NAV_PNL).to_f64(),
        cash: st.get(slot::CASH).to_f64(),
        holdings: ledger::holdings_value(c, st).to_f64(),
        receivables: ledger::ring_sum(st, l.receivables, l.ring).to_f64(),
        payables: ledger::ring_sum(st, l.payables, l.ring).to_f64(),
        arrears: st.get(slot::ARREARS).to_f64(),
        debt: st.get(slot::DEBT).to_f64(),
        shares: st.get(slot::SHARES).to_f64(),
        requested_shares: st.get(slot::REQ_SHARES).to_f64(),
        accepted_shares: st.get(slot::ACC_SHARES).to_f64(),
        requested: st.get(slot::REQUESTED).to_f64(),
        accepted: st.get(slot::ACCEPTED).to_f64(),
        paid: st.get(slot::PAID).to_f64(),
        min_holding: if l.n_positions == 0 { 0.0 } else { min_holding },
        gate: st.get(slot::GATE_TODAY) > T::zero(),
        shortfall: st.get(slot::SHORTFALL_TODAY) > T::zero(),
    }
}

/// Reusable per-thread working memory for [`simulate_into`].
pub struct Workspace<T> {
    pub words: Vec<T>,
    /// Per-position constants of the scenario being simulated (`St::k`).
    consts: Vec<PositionConsts<T>>,
    /// Each position's market on the current day (`St::m`).
    market: Vec<MarketState<T>>,
    /// Each shadow's departure day (`St::departed`).
    departed: Vec<u32>,
    /// The day's idiosyncratic normals, one per position (`St::idio`).
    idio: Vec<T>,
}

impl<T: Real> Workspace<T> {
    pub fn new(model: &FundModel) -> Workspace<T> {
        let n = model.params.n_positions as usize;
        Workspace {
            words: vec![T::zero(); Workspace::<T>::words(model)],
            consts: vec![PositionConsts::zero(); n],
            market: vec![MarketState::zero(); n],
            departed: Vec::new(),
            idio: vec![T::zero(); n],
        }
    }

    /// The state of the scenario `c` describes: its words sized to the layout (their values are
    /// left for [`init_state`]) and its per-position constants converted once.
    pub fn state(&mut self, c: &Ctx) -> St<'_, T> {
        let need = c.lay.len as usize;
        if self.words.len() != need {
            self.words.resize(need, T::zero());
        }
        let n = c.lay.n_positions as usize;
        self.consts.clear();
        self.consts.extend(
            c.positions[..n]
                .iter()
                .map(|pos| PositionConsts::new(pos, c.sc, c.fund)),
        );
        self.market.clear();
        self.market.resize(n, MarketState::zero());
        self.departed.clear();
        self.departed.resize(c.shadows.len(), shadow::STAYED);
        self.idio.resize(n, T::zero());
        St {
            w: &mut self.words[..],
            k: &self.consts,
            m: &mut self.market,
            ind: [T::zero(); N_INDICATORS],
            departed: &mut self.departed,
            holdings: T::zero(),
            trail: Default::default(),
            idio: &mut self.idio[..n],
        }
    }

    /// The state words one scenario of `model` needs (for memory estimates; the layout of the
    /// words stays the kernel's).
    pub fn words(model: &FundModel) -> usize {
        Layout::new(&model.params).len as usize
    }
}

/// A read-only view of one scenario's state at the end of a day, handed to the observer of
/// [`simulate_observed`]. Observers read the state through these named accessors (widened to
/// `f64`), so that only the kernel knows where a value lives among the state words.
pub struct DayView<'a, T> {
    c: &'a Ctx<'a>,
    st: &'a St<'a, T>,
    day: u32,
}

impl<T: Real> DayView<'_, T> {
    /// The day just simulated, from 0.
    pub fn day(&self) -> u32 {
        self.day
    }

    /// Days simulated in all.
    pub fn horizon(&self) -> u32 {
        self.c.fund.horizon
    }

    /// Whether this is the horizon's last day, the final state of the scenario.
    pub fn is_last_day(&self) -> bool {
        self.day + 1 == self.c.fund.horizon
    }

    /// Positions, in kernel order.
    pub fn n_positions(&self) -> u32 {
        self.c.lay.n_positions
    }

    /// Holders: segments first, then large investors in the kernel's order.
    pub fn n_holders(&self) -> u32 {
        self.c.lay.n_holders
    }

    /// Units held of position `p` (its day-0 weight at price 1).
    pub fn holding(&self, p: u32) -> f64 {
        self.st.get(self.c.lay.hold + p).to_f64()
    }

    /// Price of position `p` (1 at day 0).
    pub fn price(&self, p: u32) -> f64 {
        self.st.get(self.c.lay.price + p).to_f64()
    }

    /// Value of position `p` sold today, at today's mid price (the kernel's `last_sale`, kept
    /// until the next day's market update).
    pub fn sold_today(&self, p: u32) -> f64 {
        self.st.get(self.c.lay.last_sale + p).to_f64()
    }

    /// Shares holder `h` still holds (shares are cancelled at acceptance).
    pub fn held(&self, h: u32) -> f64 {
        self.st.get(self.c.lay.held + h).to_f64()
    }

    /// Shares holder `h` has asked to redeem that are not yet accepted: due at the next dealing
    /// day plus queued behind a gate or a notice period.
    pub fn pending(&self, h: u32) -> f64 {
        let l = &self.c.lay;
        self.st.get(l.due + h).to_f64() + self.st.get(l.queued + h).to_f64()
    }

    /// Whether early-warning indicator `k` breached `threshold` today, tested exactly as
    /// `metrics::record` tests the fund's own thresholds (same value, same precision, same
    /// margin). Thresholds do not feed the dynamics, so the first day this is true is the
    /// `ew_first_breach[k]` a run with that threshold would record.
    pub fn breaches(&self, k: usize, threshold: f32) -> bool {
        metrics::breaches(self.c, k, self.st.ind[k], threshold)
    }

    /// The day's ledger, computed on demand.
    pub fn trace(&self) -> DayTrace {
        trace(self.c, self.st, self.day)
    }
}

/// Simulates scenario `index` and returns its output record.
pub fn simulate<T: Real>(
    model: &FundModel,
    sc: &ScenarioParams,
    index: u32,
    key: [u32; 2],
    ws: &mut Workspace<T>,
) -> ScenarioOutput {
    simulate_observed(model, sc, index, key, ws, |_| {})
}

/// Simulates scenario `index`, calling `observe` with the ledger at the end of every day.
pub fn simulate_traced<T: Real>(
    model: &FundModel,
    sc: &ScenarioParams,
    index: u32,
    key: [u32; 2],
    ws: &mut Workspace<T>,
    mut observe: impl FnMut(&DayTrace),
) -> ScenarioOutput {
    simulate_observed(model, sc, index, key, ws, |v| observe(&v.trace()))
}

/// Simulates scenario `index`, calling `observe` with a read-only view of the state at the end of
/// every day. The view computes nothing until asked, so an observer pays only for what it reads.
pub fn simulate_observed<T: Real>(
    model: &FundModel,
    sc: &ScenarioParams,
    index: u32,
    key: [u32; 2],
    ws: &mut Workspace<T>,
    mut observe: impl FnMut(&DayView<'_, T>),
) -> ScenarioOutput {
    simulate_lanes::<T, LANES>(model, sc, index, key, ws, &mut observe)
}

/// [`simulate_observed`] with the liquidation's lanes `W` positions wide. Every width gives the
/// same bits (`crate::lanes`); tests run several to prove it.
pub fn simulate_lanes<T: Real, const W: usize>(
    model: &FundModel,
    sc: &ScenarioParams,
    index: u32,
    key: [u32; 2],
    ws: &mut Workspace<T>,
    mut observe: impl FnMut(&DayView<'_, T>),
) -> ScenarioOutput {
    let c = Ctx::new(model, sc, index, key);
    run_days::<T, W>(&c, ws, &mut observe)
}

/// Simulates scenario `index` of `model` and follows each of `shadows` along it
/// (`crate::shadow`): returns the output record and each shadow's departure day,
/// [`shadow::STAYED`] for a shadow whose run would have been this one bit for bit. Every shadow
/// must be [`shadow::shadowable`] from `model` (checked in debug builds).
pub fn simulate_shadowed<'w, T: Real>(
    model: &FundModel,
    shadows: &[&FundModel],
    sc: &ScenarioParams,
    index: u32,
    key: [u32; 2],
    ws: &'w mut Workspace<T>,
) -> (ScenarioOutput, &'w [u32]) {
    simulate_shadowed_observed(model, shadows, sc, index, key, ws, |_| {})
}

/// [`simulate_shadowed`], calling `observe` at the end of every day as
/// [`simulate_observed`] does. A shadow that stays would have shown its observer the same
/// views: the state is the same.
pub fn simulate_shadowed_observed<'w, T: Real>(
    model: &FundModel,
    shadows: &[&FundModel],
    sc: &ScenarioParams,
    index: u32,
    key: [u32; 2],
    ws: &'w mut Workspace<T>,
    observe: impl FnMut(&DayView<'_, T>),
) -> (ScenarioOutput, &'w [u32]) {
    debug_assert!(shadows.iter().all(|m| shadow::shadowable(model, m)));
    let ctxs: Vec<Ctx> = shadows
        .iter()
        .map(|m| Ctx {
            policy_of_lead: shadow::same_policy(&m.params, &model.params),
            ..Ctx::new(m, sc, index, key)
        })
        .collect();
    let mut c = Ctx::new(model, sc, index, key);
    // The shadows read this run's state words: the same layout (it depends on the counts and
    // the rings only, which `shadowable` requires equal).
    assert!(
        ctxs.iter().all(|s| s.lay == c.lay),
        "a shadow with another state layout"
    );
    c.shadows = &ctxs;
    let out = run_days::<T, LANES>(&c, ws, observe);
    (out, &ws.departed[..])
}

fn run_days<T: Real, const W: usize>(
    c: &Ctx,
    ws: &mut Workspace<T>,
    observe: impl FnMut(&DayView<'_, T>),
) -> ScenarioOutput {
    run_days_on::<T, W>(Isa::current(), c, ws, observe)
}

/// [`run_days`] on the instruction set `isa` (`crate::isa`): the same bits on every one.
fn run_days_on<T: Real, const W: usize>(
    isa: Isa,
    c: &Ctx,
    ws: &mut Workspace<T>,
    observe: impl FnMut(&DayView<'_, T>),
) -> ScenarioOutput {
    #[cfg(target_arch = "x86_64")]
    if isa.is_avx2() {
        // SAFETY: an `Isa` on the AVX2 path is only made where the CPU has AVX2 and FMA.
        return unsafe { run_days_avx2::<T, W>(c, ws, observe) };
    }
    let _ = isa;
    run_days_body::<T, W>(c, ws, observe)
}

/// [`run_days_body`] compiled for AVX2 and FMA: the stage functions are `#[inline(always)]`, so
/// they are compiled into it for those features.
///
/// # Safety
/// The CPU must have AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn run_days_avx2<T: Real, const W: usize>(
    c: &Ctx,
    ws: &mut Workspace<T>,
    observe: impl FnMut(&DayView<'_, T>),
) -> ScenarioOutput {
    run_days_body::<T, W>(c, ws, observe)
}

#[inline(always)]
fn run_days_body<T: Real, const W: usize>(
    c: &Ctx,
    ws: &mut Workspace<T>,
    mut observe: impl FnMut(&DayView<'_, T>),
) -> ScenarioOutput {
    let mut st = ws.state(c);
    init_state(c, &mut st);
    for t in 0..c.fund.horizon {
        day_lanes::<T, W>(c, &mut st, t);
        observe(&DayView { c, st: &st, day: t });
    }
    finish(c, &st)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{busy_fund, calm_scenario, redemption_scenario};

    fn bits(o: &ScenarioOutput) -> Vec<u8> {
        bytemuck::bytes_of(o).to_vec()
    }

    /// A position sold out carries no mark-to-market loss, however large its permanent impact:
    /// `0 × exp(huge)` must not become `0 × inf = NaN` (found by the generated-input tests).
    #[test]
    fn a_sold_out_position_adds_no_mark_to_market_loss() {
        let model = busy_fund(5);
        let sc = calm_scenario();
        let c = Ctx::new(&model, &sc, 0, [1, 2]);
        let mut ws = Workspace::<f32>::new(&model);
        let mut st = ws.state(&c);
        init_state(&c, &mut st);
        let l = c.lay;
        st.set(l.hold, 0.0);
        st.set(l.perm_cum, 1.0e30);
        let out = finish(&c, &st);
        assert!(out.mtm_loss.is_finite(), "{out:?}");
        assert_eq!(
            out.mtm_loss, 0.0,
            "nothing held, no permanent impact elsewhere"
        );
    }

    /// `simulate` (no observer) and `simulate_observed` give the same record bit for bit, and the
    /// view's trace is `simulate_traced`'s every day.
    #[test]
    fn observing_changes_nothing_and_the_view_traces_every_day() {
        let model = busy_fund(20);
        for (i, sc) in [calm_scenario(), redemption_scenario(0, 3, 0.4)]
            .iter()
            .enumerate()
        {
            let key = [7, 0];
            let mut ws = Workspace::<f32>::new(&model);
            let plain = simulate(&model, sc, i as u32, key, &mut ws);
            let mut traced = Vec::new();
            let via_trace =
                simulate_traced(&model, sc, i as u32, key, &mut ws, |t| traced.push(*t));
            let mut viewed = Vec::new();
            let mut days = Vec::new();
            let observed = simulate_observed(&model, sc, i as u32, key, &mut ws, |v| {
                viewed.push(v.trace());
                days.push(v.day());
            });
            assert_eq!(bits(&plain), bits(&observed));
            assert_eq!(bits(&plain), bits(&via_trace));
            assert_eq!(traced.len(), model.params.horizon as usize);
            assert_eq!(traced, viewed);
            assert_eq!(days, (0..model.params.horizon).collect::<Vec<_>>());
        }
    }

    /// A fund of 21 positions (two lanes of 8 and a remainder of 5 at the default width) with
    /// every branch of the sale math in play: late settlement (a penalty), dealing windows,
    /// classes with their own crowding, a position with no depth to speak of.
    fn lane_fund(model_code: u32, strategy_code: u32) -> FundModel {
        let mut params = crate::testing::quiet_params(30);
        params.switches = switch::NOISE
            | switch::IDIO_NOISE
            | switch::BASE_FLOWS
            | switch::PERM_IMPACT
            | switch::CROWDING
            | switch::FUNDING
            | switch::SWING;
        params.impact_model = model_code;
        params.strategy = strategy_code;
        params.impact_threshold = 0.02;
        params.participation_cap = 0.25;
        params.impact_half_life = 5.0;
        params.adaptive_decay = 0.2;
        let positions = (0..21u32)
            .map(|p| {
                let mut pos = crate::testing::position(
                    0.9 / 21.0,
                    if p == 13 {
                        1e-9
                    } else {
                        0.002 + 0.003 * (p % 5) as f32
                    },
                    0.0005 + 0.0004 * (p % 7) as f32,
                    0.01 + 0.002 * (p % 3) as f32,
                    0.2 + 0.05 * (p % 4) as f32,
                );
                pos.class = p % 3;
                pos.lag = [0, 1, 3][(p % 3) as usize];
                pos.window = if p % 10 == 9 { 5 } else { 1 };
                pos
            })
            .collect();
        let large = vec![LargeInvestorParams {
            stake: 0.3,
            ..Default::default()
        }];
        crate::testing::fund(params, 0.02, positions, large)
    }

    fn lane_scenarios() -> Vec<ScenarioParams> {
        let mut stressed = calm_scenario();
        stressed.onset = 2;
        stressed.ramp = 3;
        stressed.plateau = 10;
        stressed.redemption_mult = 4.0;
        for c in 0..MAX_CLASSES {
            stressed.spread_mult[c] = 3.0;
            stressed.vol_mult[c] = 2.0;
            stressed.volume_cut[c] = 0.5;
            stressed.depth_cut[c] = 0.4;
            stressed.crowding[c] = 0.3;
            stressed.price_shock[c] = -0.1;
        }
        vec![
            stressed,
            redemption_scenario(1, 2, 0.9),
            redemption_scenario(0, 4, 0.3),
        ]
    }

    /// Every impact model × every strategy × [`lane_scenarios`]: 48 runs.
    fn lane_cases() -> Vec<(FundModel, ScenarioParams)> {
        let models = [
            impact::LINEAR,
            impact::SQUARE_ROOT,
            impact::THRESHOLD,
            impact::ADAPTIVE,
        ];
        let strategies = [
            strategy::MIN_COST,
            strategy::WATERFALL,
            strategy::PRO_RATA,
            strategy::BALANCED,
        ];
        let mut cases = Vec::new();
        for model_code in models {
            for strategy_code in strategies {
                let model = lane_fund(model_code, strategy_code);
                for sc in lane_scenarios() {
                    cases.push((model.clone(), sc));
                }
            }
        }
        cases
    }

    fn run_width<T: Real, const W: usize>(model: &FundModel, sc: &ScenarioParams) -> Vec<u8> {
        let mut ws = Workspace::<T>::new(model);
        bits(&simulate_lanes::<T, W>(
            model,
            sc,
            3,
            [11, 5],
            &mut ws,
            |_| {},
        ))
    }

    /// The liquidation's and the market's lanes give the same record bit for bit at widths 1
    /// (the scalar reference), 4, 8 (the default) and 16, in `f32` and in `f64`, for every impact
    /// model and every strategy, on scenarios that sell every day, with idiosyncratic noise (21
    /// positions: a partial batch of draws and a tail at every width).
    #[test]
    fn every_lane_width_gives_the_same_bits() {
        let mut sold = 0;
        for (model, sc) in lane_cases() {
            let reference = run_width::<f32, 1>(&model, &sc);
            assert_eq!(reference, run_width::<f32, 4>(&model, &sc));
            assert_eq!(reference, run_width::<f32, 8>(&model, &sc));
            assert_eq!(reference, run_width::<f32, 16>(&model, &sc));
            let mut ws = Workspace::<f32>::new(&model);
            assert_eq!(reference, bits(&simulate(&model, &sc, 3, [11, 5], &mut ws)));
            let wide = run_width::<f64, 1>(&model, &sc);
            assert_eq!(wide, run_width::<f64, 4>(&model, &sc));
            assert_eq!(wide, run_width::<f64, 8>(&model, &sc));
            assert_eq!(wide, run_width::<f64, 16>(&model, &sc));
            let out: ScenarioOutput = bytemuck::pod_read_unaligned(&reference);
            if out.cost_spread > 0.0 {
                sold += 1;
            }
        }
        // The comparison is not idle: two runs in three sold something.
        assert!(sold >= 32, "{sold} of 48 runs sold");
    }

    fn run_on<T: Real>(isa: Isa, model: &FundModel, sc: &ScenarioParams) -> Vec<u8> {
        let mut ws = Workspace::<T>::new(model);
        let c = Ctx::new(model, sc, 3, [11, 5]);
        bits(&run_days_on::<T, LANES>(isa, &c, &mut ws, |_| {}))
    }

    /// The AVX2 path (`crate::isa`) gives the baseline path's records bit for bit, in `f32` and
    /// `f64`, for every impact model and strategy, with idiosyncratic noise on. On a CPU without
    /// AVX2 there is only one path and nothing to compare: the test says so loudly.
    #[test]
    fn every_isa_gives_the_same_bits() {
        let Some(avx2) = Isa::avx2() else {
            eprintln!("SKIP every_isa_gives_the_same_bits: this CPU has no AVX2 and FMA");
            return;
        };
        assert!(avx2.is_avx2() && !Isa::baseline().is_avx2());
        let mut compared = 0;
        for (model, sc) in lane_cases() {
            let base = run_on::<f32>(Isa::baseline(), &model, &sc);
            assert_eq!(base, run_on::<f32>(avx2, &model, &sc));
            assert_eq!(base, run_width::<f32, LANES>(&model, &sc));
            let base = run_on::<f64>(Isa::baseline(), &model, &sc);
            assert_eq!(base, run_on::<f64>(avx2, &model, &sc));
            compared += 1;
        }
        assert_eq!(compared, 48);
    }

    /// The comparison can fail: one bit flipped in a record is a difference.
    #[test]
    fn a_flipped_bit_in_a_record_is_a_difference() {
        let model = lane_fund(impact::SQUARE_ROOT, strategy::MIN_COST);
        let sc = &lane_scenarios()[0];
        let reference = run_width::<f32, 1>(&model, sc);
        let mut corrupted = run_width::<f32, 8>(&model, sc);
        assert_eq!(reference, corrupted);
        corrupted[4] ^= 1;
        assert_ne!(reference, corrupted);
    }

    /// First-breach days read by an observer through `DayView::breaches` equal the record's
    /// `ew_first_breach` at the fund's own thresholds, and a rerun's at other thresholds (the
    /// early-warning ladder's calibration without reruns), in `f32` and `f64`.
    #[test]
    fn observed_breaches_are_what_a_rerun_with_those_thresholds_records() {
        fn first_breaches<T: Real>(
            model: &FundModel,
            sc: &ScenarioParams,
            ladder: &[[f32; N_INDICATORS]],
        ) -> (ScenarioOutput, Vec<[f32; N_INDICATORS]>) {
            let mut ws = Workspace::<T>::new(model);
            let mut first = vec![[NEVER; N_INDICATORS]; ladder.len()];
            let out = simulate_observed(model, sc, 3, [11, 5], &mut ws, |v| {
                for (level, thr) in first.iter_mut().zip(ladder) {
                    for k in 0..N_INDICATORS {
                        if level[k] < 0.0 && v.breaches(k, thr[k]) {
                            level[k] = v.day() as f32;
                        }
                    }
                }
            });
            (out, first)
        }
        fn check<T: Real>() -> usize {
            let mut breached = 0;
            let model = lane_fund(impact::SQUARE_ROOT, strategy::MIN_COST);
            let own = model.params.indicator_thresholds;
            let ladder: Vec<[f32; N_INDICATORS]> = [0.5f32, 1.0, 2.0]
                .iter()
                .map(|f| own.map(|x| x * f))
                .collect();
            for sc in lane_scenarios() {
                let (out, first) = first_breaches::<T>(&model, &sc, &ladder);
                assert_eq!(first[1], out.ew_first_breach, "own thresholds");
                for (thr, observed) in ladder.iter().zip(&first) {
                    let mut rerun = model.clone();
                    rerun.params.indicator_thresholds = *thr;
                    let mut ws = Workspace::<T>::new(&rerun);
                    let o = simulate(&rerun, &sc, 3, [11, 5], &mut ws);
                    assert_eq!(&o.ew_first_breach, observed);
                    breached += observed.iter().filter(|d| **d >= 0.0).count();
                }
            }
            breached
        }
        let (a, b) = (check::<f32>(), check::<f64>());
        // Not idle: indicators breach on these scenarios, at some levels and not at others.
        assert!(a >= 20 && b >= 20, "{a} {b}");
        assert!(a < 3 * 3 * N_INDICATORS, "{a}");
    }
}

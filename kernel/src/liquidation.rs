//! Stage 4 of a dealing day: the liquidation goal, its allocation across positions by the
//! strategy, swing pricing, and the booking of sales (MODEL.md sections 3.3, 3.7 step 6 and 4).
//!
//! Every search runs a fixed number of steps so that both twins follow the same control flow.
//! WGSL twin: `shaders/wgsl/liquidation.wgsl`.

use crate::ctx::{Ctx, St};
use crate::lanes::{load, PositionSum, SaleLanes, Scratch};
use crate::layout::slot;
use crate::ledger;
use crate::params::*;
use crate::real::Real;

/// Steps of the bracketing search (Illinois false position) for the pro-rata fraction. It
/// converges superlinearly on these monotone, piecewise-smooth functions; a final interpolation
/// between the bracket's ends meets the target exactly.
pub const BISECTION_STEPS: u32 = 12;
/// Steps of the same search for the min-cost multiplier, whose bracket starts at the lowest
/// marginal cost of a first sale. Measured on the example and its 1,008-lot split (docs/model.md,
/// "The min-cost search"): after 10 steps 98% of the searches hold the multiplier within a
/// relative 1e-4 (12 steps: 99.6%; 8 steps: 96% on the example but 40% on the split fund).
pub const MIN_COST_STEPS: u32 = 10;
/// Fixed-point steps turning a net amount into the gross sale that raises it.
pub const NET_TO_GROSS_STEPS: u32 = 8;
/// Smallest depth used in `u = Q / d`, so that a dried-up market gives huge (not infinite) impact.
pub const MIN_DEPTH: f32 = 1e-12;

/// How selling one position costs: the inputs of [`impact`] and [`cost_rate`].
#[derive(Clone, Copy, Debug)]
pub struct SaleTerms<T> {
    pub model: u32,
    /// Half the day's spread.
    pub half_spread: T,
    /// `Y sig(t)` for square-root models, `eta` for linear ones.
    pub scale: T,
    pub depth: T,
    /// Selling by others (crowding) and, for the adaptive model, decayed past selling.
    pub offset: T,
    pub theta: T,
    /// `1 / depth` and `1 / scale`, taken once a day (`prepare`) so that the searches multiply
    /// where they would divide.
    pub inv_depth: T,
    pub inv_scale: T,
}

impl<T: Real> SaleTerms<T> {
    /// Terms with their reciprocals (`1 / depth`, `1 / scale`: the values `prepare` stores).
    #[inline(always)]
    pub fn new(model: u32, half_spread: T, scale: T, depth: T, offset: T, theta: T) -> Self {
        SaleTerms {
            model,
            half_spread,
            scale,
            depth,
            offset,
            theta,
            inv_depth: T::one() / depth,
            inv_scale: T::one() / scale,
        }
    }
}

/// Impact `I(u)` of selling `q` (MODEL.md 3.3), with `u = (q + offset) / depth` (taken as
/// `(q + offset) (1 / depth)`).
#[inline(always)]
pub fn impact<T: Real>(k: &SaleTerms<T>, q: T) -> T {
    let u = (q + k.offset) * k.inv_depth;
    if k.model == impact::LINEAR {
        k.scale * u
    } else if k.model == impact::THRESHOLD {
        k.scale * (u - k.theta).max(T::zero())
    } else {
        k.scale * u.max(T::zero()).sqrt()
    }
}

/// Cost per unit sold: `s/2 + I(u)`.
#[inline(always)]
pub fn cost_rate<T: Real>(k: &SaleTerms<T>, q: T) -> T {
    k.half_spread + impact(k, q)
}

/// Marginal cost `dC/dq = s/2 + I(u) + q I'(u) / d`.
#[inline(always)]
pub fn marginal_cost<T: Real>(k: &SaleTerms<T>, q: T) -> T {
    let u = (q + k.offset) * k.inv_depth;
    let slope = if k.model == impact::LINEAR {
        k.scale
    } else if k.model == impact::THRESHOLD {
        if u > k.theta {
            k.scale
        } else {
            T::zero()
        }
    } else if u > T::zero() {
        k.scale / (T::p(2.0) * u.sqrt())
    } else {
        T::zero()
    };
    cost_rate(k, q) + q * slope * k.inv_depth
}

/// The sale at which the marginal cost equals `mu` (closed form per model, before caps), with
/// the reciprocals multiplied where the formulas divide.
#[inline(always)]
pub fn sale_at_marginal<T: Real>(k: &SaleTerms<T>, mu: T, cap: T) -> T {
    let excess = mu - k.half_spread;
    if excess <= T::zero() {
        return T::zero();
    }
    let half = T::p(0.5);
    let q = if k.scale <= T::zero() {
        cap
    } else if k.model == impact::LINEAR {
        (excess * k.depth * k.inv_scale - k.offset) * half
    } else if k.model == impact::THRESHOLD {
        let free = k.theta * k.depth - k.offset;
        let upper = ((excess * k.inv_scale + k.theta) * k.depth - k.offset) * half;
        free.max(upper)
    } else {
        // mc = s/2 + K (1.5 z - offset / (2 d z)) with z = sqrt((q + offset) / d).
        let m = excess * k.inv_scale;
        let third = T::one() / T::p(3.0);
        let z = (m + (m * m + T::p(3.0) * k.offset * k.inv_depth).sqrt()) * third;
        k.depth * z * z - k.offset
    };
    q.max(T::zero()).min(cap)
}

/// The gross sale, at most `cap`, whose net proceeds are `net`.
#[inline(always)]
pub fn gross_for_net<T: Real>(k: &SaleTerms<T>, net: T, cap: T) -> T {
    let mut q = net;
    for _ in 0..NET_TO_GROSS_STEPS {
        let keep = (T::one() - cost_rate(k, q.min(cap))).max(T::p(1e-6));
        q = net / keep;
    }
    q.min(cap)
}

#[inline(always)]
fn terms<T: Real>(c: &Ctx, st: &St<T>, p: u32) -> SaleTerms<T> {
    let l = &c.lay;
    SaleTerms {
        model: c.fund.impact_model,
        half_spread: st.get(l.lq_half_spread + p),
        scale: st.get(l.lq_scale + p),
        depth: st.get(l.lq_depth + p),
        offset: st.get(l.lq_offset + p),
        theta: T::p(c.fund.impact_threshold),
        inv_depth: st.get(l.lq_inv_depth + p),
        inv_scale: st.get(l.lq_inv_scale + p),
    }
}

#[inline(always)]
pub fn net_of<T: Real>(k: &SaleTerms<T>, q: T) -> T {
    q * (T::one() - cost_rate(k, q))
}

/// Fills today's per-position terms of sale (half spread, impact scale, depth, offset, and the
/// reciprocals of depth and scale; no sale yet), and returns the repo-eligible holdings' value (`ledger::repo_value` summed in
/// position order, in the same pass: the funding headroom's sum, before any sale). The caps and
/// penalties only a sale reads come from [`caps`], on days with something to sell.
#[inline(always)]
pub fn prepare<T: Real>(c: &Ctx, st: &mut St<T>, outflow_share: T) -> T {
    let l = &c.lay;
    let g = st.get(slot::G);
    let crowding = c.on(switch::CROWDING);
    let stress_crowding = c.on(switch::STRESS_CROWDING);
    let adaptive = c.fund.impact_model == impact::ADAPTIVE;
    let sqrt_model = c.fund.impact_model == impact::SQUARE_ROOT || adaptive;
    let n = l.n_positions as usize;
    // The per-position words this pass reads (holdings, prices, the adaptive memory) and the
    // scratch it writes, as slices of exactly `n` words: no bounds check per position.
    let (base, _) = scratch_words(c);
    let St { w, m: markets, .. } = st;
    assert!(
        l.price == l.hold + 2 * l.n_positions
            && l.adapt == l.hold + 6 * l.n_positions
            && (l.adapt as usize + n) <= base,
        "the position arrays lie before the liquidation scratch"
    );
    let (state, scratch) = w.split_at_mut(base);
    let hold = &state[l.hold as usize..l.hold as usize + n];
    let price = &state[l.price as usize..l.price as usize + n];
    let adapt = &state[l.adapt as usize..l.adapt as usize + n];
    let (hs_w, r) = scratch[..9 * n].split_at_mut(n);
    let (scale_w, r) = r.split_at_mut(n);
    let (depth_w, r) = r.split_at_mut(n);
    let (offset_w, r) = r.split_at_mut(n);
    let (sale_w, r) = r[2 * n..].split_at_mut(n);
    let (inv_depth_w, inv_scale_w) = r[..2 * n].split_at_mut(n);
    let (positions, markets) = (&c.positions[..n], &markets[..n]);
    let mut repo = T::zero();
    for p in 0..n {
        let pos = &positions[p];
        let m = markets[p];
        let value = hold[p] * price[p];
        repo = repo + ledger::repo_value(pos, value);
        // Other holders' selling: `chi g(t) v0` (stress crowding) or `chi o(t) v0` (MODEL.md).
        let mut offset = T::zero();
        if crowding {
            let driver = if stress_crowding { g } else { outflow_share };
            offset = T::p(c.sc.crowding[pos.class as usize]) * driver * T::p(pos.adv);
        }
        if adaptive {
            offset = offset + adapt[p];
        }
        let scale = if sqrt_model {
            T::p(pos.impact) * m.vol
        } else {
            T::p(pos.impact)
        };
        hs_w[p] = T::p(0.5) * m.spread;
        scale_w[p] = scale;
        let depth = m.depth.max(T::p(MIN_DEPTH));
        depth_w[p] = depth;
        offset_w[p] = offset;
        sale_w[p] = T::zero();
        inv_depth_w[p] = T::one() / depth;
        inv_scale_w[p] = T::one() / scale;
    }
    repo
}

/// Fills each position's cap and late-settlement penalty for day `t`, after [`prepare`]: what the
/// strategies read, so only on a day with something to sell (on the others nothing reads them).
#[inline(always)]
pub fn caps<T: Real, const W: usize>(c: &Ctx, st: &mut St<T>, t: u32) {
    let l = &c.lay;
    let (participation, penalty_late) = (
        T::p(c.fund.participation_cap),
        T::p(c.fund.late_settlement_penalty),
    );
    let (base, n) = scratch_words(c);
    {
        let St { w, m: markets, .. } = &mut *st;
        let (state, scratch) = w.split_at_mut(base);
        let hold = &state[l.hold as usize..l.hold as usize + n];
        let price = &state[l.price as usize..l.price as usize + n];
        let (cap_w, penalty_w) = scratch[4 * n..6 * n].split_at_mut(n);
        let (positions, markets) = (&c.positions[..n], &markets[..n]);
        for p in 0..n {
            let pos = &positions[p];
            let value = hold[p] * price[p];
            let window_open = pos.window <= 1 || t % pos.window == pos.window - 1;
            let cap = if window_open {
                (participation * markets[p].volume).min(value)
            } else {
                T::zero()
            };
            let late = pos.lag > c.fund.redemption_settlement;
            // The participation cap for now; the lanes below tighten it.
            cap_w[p] = cap.max(T::zero());
            penalty_w[p] = if late { penalty_late } else { T::zero() };
        }
    }
    // Never sell past the point where the next unit raises nothing (marginal cost 1): in a
    // market that has dried up, net proceeds would fall as the sale grows.
    let (read, rest) = st.w[base..base + 9 * n].split_at_mut(4 * n);
    let (cap, rest) = rest.split_at_mut(n);
    let (penalty, rest) = rest.split_at_mut(n);
    let inv = &rest[n..3 * n];
    let terms = [
        &read[..n],
        &read[n..2 * n],
        &read[2 * n..3 * n],
        &read[3 * n..4 * n],
        &inv[..n],
        &inv[n..],
    ];
    let (model, theta) = (c.fund.impact_model, T::p(c.fund.impact_threshold));
    // The cap of positions `p..p + V` at a marginal cost of 1, in lanes of `V` (the remainder in
    // lanes of one: the same operations).
    #[inline(always)]
    fn tighten<T: Real, const V: usize>(
        model: u32,
        theta: T,
        [hs, scale, depth, offset, inv_depth, inv_scale]: [&[T]; 6],
        cap: &mut [T],
        penalty: &[T],
        p: usize,
    ) {
        let k = SaleLanes::<T, V>::load(
            model,
            theta,
            [hs, scale, depth, offset, cap, penalty, inv_depth, inv_scale],
            p,
        );
        let tight = k.sale_at_marginal(&[T::one(); V], &k.cap);
        cap[p..p + V].copy_from_slice(&tight);
    }
    let mut p = 0;
    while p + W <= n {
        tighten::<T, W>(model, theta, terms, cap, penalty, p);
        p += W;
    }
    for p in p..n {
        tighten::<T, 1>(model, theta, terms, cap, penalty, p);
    }
}

/// `waterfall`: positions in the fund's order, each sold up to its cap until the goal is met;
/// positions settling after the due date go last.
#[inline(always)]
pub fn waterfall<T: Real>(c: &Ctx, st: &mut St<T>, goal: T) {
    let l = &c.lay;
    let mut need = goal;
    for sweep in 0..2u32 {
        for j in 0..l.n_positions {
            let p = c.order[j as usize];
            let late = st.get(l.lq_penalty + p) > T::zero();
            if (sweep == 0) == late || need <= T::zero() {
                continue;
            }
            let k = terms(c, st, p);
            let cap = st.get(l.lq_cap + p);
            let full = net_of(&k, cap);
            let q = if full <= need {
                cap
            } else {
                gross_for_net(&k, need, cap)
            };
            st.set(l.lq_sale + p, q);
            need = need - net_of(&k, q);
        }
    }
}

#[inline(always)]
fn pro_rata_sale<T: Real>(c: &Ctx, st: &St<T>, p: u32, fraction: T) -> T {
    let l = &c.lay;
    let value = st.get(l.hold + p) * st.get(l.price + p);
    (fraction * value).min(st.get(l.lq_cap + p))
}

#[inline(always)]
fn pro_rata_net<T: Real>(c: &Ctx, st: &St<T>, fraction: T) -> T {
    let mut net = T::zero();
    for p in 0..c.lay.n_positions {
        net = net + net_of(&terms(c, st, p), pro_rata_sale(c, st, p, fraction));
    }
    net
}

/// `pro_rata`: the same fraction of every sellable position; what a capped position cannot sell is
/// spread over the others (a bisection on the fraction).
#[inline(always)]
pub fn pro_rata<T: Real>(c: &Ctx, st: &mut St<T>, goal: T) {
    let mut b = Bracket::new(
        T::zero(),
        T::one(),
        pro_rata_net(c, st, T::zero()),
        pro_rata_net(c, st, T::one()),
        goal,
    );
    if b.n_hi > goal {
        for _ in 0..BISECTION_STEPS {
            let x = b.next();
            b.update(x, pro_rata_net(c, st, x));
        }
    } else {
        b.collapse_to_hi();
    }
    let (lo, hi) = (b.lo, b.hi);
    let w = interpolation_weight(goal, b.n_lo, b.n_hi);
    for p in 0..c.lay.n_positions {
        let q_lo = pro_rata_sale(c, st, p, lo);
        let q_hi = pro_rata_sale(c, st, p, hi);
        st.set(c.lay.lq_sale + p, q_lo + w * (q_hi - q_lo));
    }
}

/// A bracket `[lo, hi]` around the root of `net(x) = goal`, narrowed by false position with the
/// Illinois modification (the retained end's weight is halved when it is kept twice), so one
/// end cannot stall. `n_lo`, `n_hi` are the true values of `net` at the ends.
#[derive(Clone, Copy, Debug)]
pub struct Bracket<T> {
    pub lo: T,
    pub hi: T,
    pub n_lo: T,
    pub n_hi: T,
    f_lo: T,
    f_hi: T,
    side: i32,
    goal: T,
}

impl<T: Real> Bracket<T> {
    #[inline(always)]
    pub fn new(lo: T, hi: T, n_lo: T, n_hi: T, goal: T) -> Bracket<T> {
        Bracket {
            lo,
            hi,
            n_lo,
            n_hi,
            f_lo: n_lo - goal,
            f_hi: n_hi - goal,
            side: 0,
            goal,
        }
    }

    /// The next point to try: false position, or the midpoint when that falls outside.
    #[inline(always)]
    pub fn next(&self) -> T {
        let mid = T::p(0.5) * (self.lo + self.hi);
        let span = self.f_hi - self.f_lo;
        if span > T::zero() {
            let x = (self.lo * self.f_hi - self.hi * self.f_lo) / span;
            if x > self.lo && x < self.hi {
                return x;
            }
        }
        mid
    }

    #[inline(always)]
    pub fn update(&mut self, x: T, net: T) {
        let f = net - self.goal;
        if f < T::zero() {
            self.lo = x;
            self.n_lo = net;
            self.f_lo = f;
            if self.side == -1 {
                self.f_hi = self.f_hi * T::p(0.5);
            }
            self.side = -1;
        } else {
            self.hi = x;
            self.n_hi = net;
            self.f_hi = f;
            if self.side == 1 {
                self.f_lo = self.f_lo * T::p(0.5);
            }
            self.side = 1;
        }
    }

    /// The target cannot be reached: both ends at the top.
    #[inline(always)]
    pub fn collapse_to_hi(&mut self) {
        self.lo = self.hi;
        self.n_lo = self.n_hi;
    }
}

#[inline(always)]
fn interpolation_weight<T: Real>(goal: T, n_lo: T, n_hi: T) -> T {
    if n_hi > n_lo {
        ((goal - n_lo) / (n_hi - n_lo)).max(T::zero()).min(T::one())
    } else {
        T::one()
    }
}

/// Net proceeds of the min-cost allocation at multiplier `mu`: positions `W` at a time in lanes
/// ([`crate::lanes`]), summed in [`PositionSum`]'s order (the search evaluates this 13 times per
/// dealing day, so a sum in position order would be its longest chain of dependent additions).
#[inline(always)]
fn min_cost_net<T: Real, const W: usize>(s: &Scratch<T>, mu: T) -> T {
    let mut net = PositionSum::default();
    let mut p = 0;
    while p + W <= s.n {
        let k = s.lanes::<W>(p);
        net.add_lanes(p, &k.net_of(&k.min_cost_sale(mu)));
        p += W;
    }
    for p in p..s.n {
        let k = s.lanes::<1>(p);
        net.add(p, k.net_of(&k.min_cost_sale(mu))[0]);
    }
    net.total()
}

/// The liquidation scratch `prepare` and `caps` filled (terms of sale and their reciprocals,
/// caps, late-settlement penalty), as
/// slices of exactly `n` words: the same values as [`terms`] and the `lq_cap`/`lq_penalty`
/// words, read with one bounds check per array.
#[inline(always)]
fn scratch<'a, T: Real>(c: &Ctx, st: &'a St<T>) -> Scratch<'a, T> {
    let (base, n) = scratch_words(c);
    scratch_of(
        c,
        &st.w[base..base + 6 * n],
        &st.w[base + 7 * n..base + 9 * n],
    )
}

/// [`scratch`] and, beside it, the `lq_sale` words to write.
#[inline(always)]
fn scratch_and_sales<'a, T: Real>(c: &Ctx, st: &'a mut St<T>) -> (Scratch<'a, T>, &'a mut [T]) {
    let (base, n) = scratch_words(c);
    let (read, rest) = st.w[base..base + 9 * n].split_at_mut(6 * n);
    let (sale, inv) = rest.split_at_mut(n);
    (scratch_of(c, read, inv), sale)
}

/// Where the scratch starts and how many positions it holds: its nine arrays lie one after
/// the other in the layout (`lq_half_spread` first, then the cap, penalty and sale, then the
/// reciprocals `lq_inv_depth` and `lq_inv_scale`).
#[inline(always)]
fn scratch_words(c: &Ctx) -> (usize, usize) {
    let l = &c.lay;
    assert!(
        l.lq_scale == l.lq_half_spread + l.n_positions
            && l.lq_depth == l.lq_scale + l.n_positions
            && l.lq_offset == l.lq_depth + l.n_positions
            && l.lq_cap == l.lq_offset + l.n_positions
            && l.lq_penalty == l.lq_cap + l.n_positions
            && l.lq_sale == l.lq_penalty + l.n_positions
            && l.lq_inv_depth == l.lq_sale + l.n_positions
            && l.lq_inv_scale == l.lq_inv_depth + l.n_positions,
        "the liquidation scratch arrays are consecutive"
    );
    (l.lq_half_spread as usize, l.n_positions as usize)
}

#[inline(always)]
fn scratch_of<'a, T: Real>(c: &Ctx, read: &'a [T], inv: &'a [T]) -> Scratch<'a, T> {
    let n = read.len() / 6;
    let arr = |i: usize| &read[i * n..(i + 1) * n];
    Scratch {
        n,
        model: c.fund.impact_model,
        theta: T::p(c.fund.impact_threshold),
        half_spread: arr(0),
        scale: arr(1),
        depth: arr(2),
        offset: arr(3),
        cap: arr(4),
        penalty: arr(5),
        inv_depth: &inv[..n],
        inv_scale: &inv[n..2 * n],
    }
}

/// `min_cost`: equalises marginal cost across positions under their caps (water-filling on the
/// multiplier, found by bisection). Returns false when even every cap falls short of the goal.
#[inline(always)]
pub fn min_cost<T: Real, const W: usize>(c: &Ctx, st: &mut St<T>, goal: T) -> bool {
    let s = scratch(c, st);
    // The bracket's ends, penalties included: the lowest marginal cost of a first sale (the cost
    // rate at nothing sold, `s/2 + I(offset / depth)`: below it nothing sells, so the net
    // proceeds there are zero) and the highest marginal cost at a cap, over the positions with
    // room to sell.
    #[inline(always)]
    fn ends<T: Real, const V: usize>(k: &SaleLanes<T, V>, (mut lo, mut hi): (T, T)) -> (T, T) {
        let (first, at_cap) = (k.impact(&[T::zero(); V]), k.marginal_cost(&k.cap));
        for j in 0..V {
            if k.cap[j] > T::zero() {
                lo = lo.min((k.half_spread[j] + first[j]) + k.penalty[j]);
                hi = hi.max(at_cap[j] + k.penalty[j]);
            }
        }
        (lo, hi)
    }
    let mut mu = (T::infinity(), T::zero());
    let mut p = 0;
    while p + W <= s.n {
        mu = ends(&s.lanes::<W>(p), mu);
        p += W;
    }
    for p in p..s.n {
        mu = ends(&s.lanes::<1>(p), mu);
    }
    let mu_hi = mu.1 * T::p(1.0001) + T::p(1e-9);
    // No room to sell anywhere leaves the low end at infinity: the search is then infeasible and
    // the low end unused.
    let mu_lo = if mu.0 < mu_hi { mu.0 } else { T::zero() };
    let mut b = Bracket::new(
        mu_lo,
        mu_hi,
        T::zero(),
        min_cost_net::<T, W>(&s, mu_hi),
        goal,
    );
    let feasible = b.n_hi >= goal;
    if feasible {
        for _ in 0..MIN_COST_STEPS {
            let x = b.next();
            b.update(x, min_cost_net::<T, W>(&s, x));
        }
    } else {
        b.collapse_to_hi();
    }
    let (lo, hi) = (b.lo, b.hi);
    let w = interpolation_weight(goal, b.n_lo, b.n_hi);
    let (s, sale) = scratch_and_sales(c, st);
    // Each position's sale, interpolated between the bracket's ends.
    #[inline(always)]
    fn allocate<T: Real, const V: usize>(k: &SaleLanes<T, V>, out: &mut [T], lo: T, hi: T, w: T) {
        let (q_lo, q_hi) = (k.min_cost_sale(lo), k.min_cost_sale(hi));
        for ((q, &a), &b) in out.iter_mut().zip(&q_lo).zip(&q_hi) {
            *q = a + w * (b - a);
        }
    }
    let mut p = 0;
    while p + W <= s.n {
        allocate(&s.lanes::<W>(p), &mut sale[p..p + W], lo, hi, w);
        p += W;
    }
    for p in p..s.n {
        allocate(&s.lanes::<1>(p), &mut sale[p..p + 1], lo, hi, w);
    }
    feasible
}

/// `balanced`: `min_cost` with each class's sales limited so that its weight in what remains stays
/// within `max_style_drift` (relative) of its goal; when that cannot raise the goal, plain
/// `min_cost` (the limit gives way only when it must).
#[inline(always)]
pub fn balanced<T: Real, const W: usize>(c: &Ctx, st: &mut St<T>, goal: T) {
    let l = &c.lay;
    let mut class_value = [T::zero(); MAX_CLASSES];
    let mut total = T::zero();
    for p in 0..l.n_positions {
        let v = st.get(l.hold + p) * st.get(l.price + p);
        let k = c.positions[p as usize].class as usize;
        class_value[k] = class_value[k] + v;
        total = total + v;
    }
    let remaining = (total - goal).max(T::zero());
    let floor = T::one() - T::p(c.fund.max_style_drift);
    for p in 0..l.n_positions {
        let k = c.positions[p as usize].class as usize;
        let allowance = (class_value[k] - T::p(c.fund.class_target_weight[k]) * floor * remaining)
            .max(T::zero());
        let v = st.get(l.hold + p) * st.get(l.price + p);
        let share = if class_value[k] > T::zero() {
            v / class_value[k]
        } else {
            T::zero()
        };
        // Keep the true cap in the sale slot while the tightened one is tried.
        let cap = st.get(l.lq_cap + p);
        st.set(l.lq_sale + p, cap);
        st.set(l.lq_cap + p, cap.min(allowance * share));
    }
    let mut fits = T::zero();
    for p in 0..l.n_positions {
        fits = fits + net_of(&terms(c, st, p), st.get(l.lq_cap + p));
    }
    if fits < goal {
        for p in 0..l.n_positions {
            st.set(l.lq_cap + p, st.get(l.lq_sale + p));
        }
    }
    min_cost::<T, W>(c, st, goal);
}

/// Books the sales of positions `p..p + W` (their allocation scaled by `scale`): proceeds settle
/// after each position's lag; costs; price impact. The sale and its impact are computed in lanes,
/// the bookings one position at a time in position order.
#[inline(always)]
fn book<T: Real, const W: usize>(c: &Ctx, st: &mut St<T>, t: u32, p: usize, scale: T) {
    let l = &c.lay;
    let f = c.fund;
    let n = l.n_positions as usize;
    let (q, i, i0, k) = {
        let k = scratch(c, st).lanes::<W>(p);
        let hold: [T; W] = load(&st.w[l.hold as usize..l.hold as usize + n], p);
        let price: [T; W] = load(&st.w[l.price as usize..l.price as usize + n], p);
        let sale: [T; W] = load(&st.w[l.lq_sale as usize..l.lq_sale as usize + n], p);
        let q: [T; W] =
            std::array::from_fn(|j| (sale[j] * scale).min(hold[j] * price[j]).max(T::zero()));
        let (i, i0) = (k.impact(&q), k.impact(&[T::zero(); W]));
        (q, i, i0, k)
    };
    let perm_on = c.on(switch::PERM_IMPACT);
    let own_only = c.on(switch::OWN_IMPACT_ONLY);
    for j in 0..W {
        let pi = (p + j) as u32;
        let (q, i) = (q[j], i[j]);
        if q > T::zero() {
            let price = st.get(l.price + pi);
            let spread_cost = q * k.half_spread[j];
            let impact_cost = q * i;
            let proceeds = q - spread_cost - impact_cost;
            let pos = &c.positions[p + j];
            if pos.lag == 0 {
                st.add(slot::CASH, proceeds);
            } else {
                st.add(l.receivables + (t + pos.lag) % l.ring, proceeds);
                st.add(slot::RCV_TOTAL, proceeds);
            }
            st.add(l.hold + pi, -q / price);
            st.add(slot::COST_SPREAD, spread_cost);
            st.add(slot::COST_IMPACT, impact_cost);
            st.add(slot::NAV_PNL, -(spread_cost + impact_cost));
            if pos.tier == tier::NONE {
                st.add(slot::PORTFOLIO_SOLD, q);
            }
            st.set(l.last_sale + pi, q);
        }
        if own_only {
            // Only the fund's own increment `J = phi (I(q + crowd) - I(crowd))`: other holders'
            // selling is already in the scenario's price path.
            if perm_on && q > T::zero() {
                let jump = T::p(f.perm_fraction) * (i - i0[j]);
                st.set(l.perm + pi, jump.max(T::zero()));
            }
        } else {
            let mut crowd = k.offset[j];
            if f.impact_model == impact::ADAPTIVE {
                crowd = crowd - st.get(l.adapt + pi);
            }
            if perm_on && (q > T::zero() || crowd > T::zero()) {
                st.set(l.perm + pi, T::p(f.perm_fraction) * i);
            }
        }
    }
}

/// Whether the booking writes anything on a day with nothing to sell: only the other holders'
/// impact (`book`'s last branch), so not with the fund's own impact alone, nor without permanent
/// impact.
#[inline(always)]
pub fn books_without_sales(c: &Ctx) -> bool {
    c.on(switch::PERM_IMPACT) && !c.on(switch::OWN_IMPACT_ONLY)
}

/// Swing pricing: the share of the accepted redemptions' value that redeemers bear today — the
/// day's estimated cost rate of the planned sales, or the fixed factor, within the cap — when
/// swing pricing is on and accepted redemptions pass the threshold; 0 otherwise. `selling`: the
/// day has planned sales (`lq_sale`, filled by the strategy); without them every sale is zero and
/// so is the estimated cost rate, and the scratch is not read (nor filled that day).
#[inline(always)]
pub fn swing_factor<T: Real>(c: &Ctx, st: &St<T>, accepted: T, nav: T, selling: bool) -> T {
    let l = &c.lay;
    let f = c.fund;
    let mut swing = T::zero();
    if c.on(switch::SWING) && accepted > T::p(f.swing_threshold) * nav {
        if f.swing_fixed > 0.0 {
            swing = T::p(f.swing_fixed);
        } else if selling {
            let (mut gross, mut cost) = (T::zero(), T::zero());
            for p in 0..l.n_positions {
                let q = st.get(l.lq_sale + p);
                gross = gross + q;
                cost = cost + q * cost_rate(&terms(c, st, p), q);
            }
            if gross > T::zero() {
                swing = cost / gross;
            }
        }
        swing = swing.min(T::p(f.swing_cap));
    }
    swing
}

/// Today's liquidation: goal, allocation, swing pricing, booking of sales and impact.
#[inline(always)]
pub fn liquidate<T: Real, const W: usize>(c: &Ctx, st: &mut St<T>, t: u32) {
    if !c.is_dealing_day(t) {
        return;
    }
    let l = &c.lay;
    let f = c.fund;
    let nav = st.get(slot::NAV).max(T::p(1e-9));
    let accepted_cash = st.get(slot::ACC_TODAY_CASH);
    let accepted = st.get(slot::ACC_TODAY);

    // Target: payables (today's included) and arrears not met by cash, money on its way, or
    // planned funding; plus the buffer rebuild.
    let cash = st.get(slot::CASH);
    let receivables = st.get(slot::RCV_TOTAL);
    let payables = st.get(slot::PAY_TOTAL) + accepted_cash + st.get(slot::ARREARS);
    let debt = st.get(slot::DEBT);
    // Where the funding headroom enters the goal, the terms of sale first: their pass over the
    // positions also sums the repo-eligible value that the headroom needs (nothing it writes is
    // read by the headroom). Elsewhere the goal needs no pass over the positions, and the terms
    // are filled below only where something reads them.
    let funding_first = f.funding_policy == funding::FIRST;
    let need = if funding_first {
        let repo = prepare(c, st, accepted / nav);
        let headroom = ledger::headroom_from_repo(c, st, repo, nav);
        payables - cash - receivables - headroom
    } else {
        payables + debt - cash - receivables
    };
    let net_cash = cash + receivables - payables - debt;
    let rebuild =
        T::p(f.buffer_rebuild_rate) * (T::p(f.initial_cash) * nav - net_cash).max(T::zero());
    let goal = need.max(T::zero()) + rebuild;

    let selling = goal > T::zero();
    let books = selling || books_without_sales(c);
    if !funding_first && books {
        prepare(c, st, accepted / nav);
    }
    if selling {
        caps::<T, W>(c, st, t);
        if !c.shadows.is_empty() {
            crate::shadow::check_strategy(c, st, t);
        }
        if f.strategy == strategy::WATERFALL {
            waterfall(c, st, goal);
        } else if f.strategy == strategy::PRO_RATA {
            pro_rata(c, st, goal);
        } else if f.strategy == strategy::BALANCED {
            balanced::<T, W>(c, st, goal);
        } else {
            min_cost::<T, W>(c, st, goal);
        }
    }

    let swing = swing_factor(c, st, accepted, nav, selling);
    if !c.shadows.is_empty() {
        crate::shadow::check_swing(c, st, t, accepted, nav, swing, selling);
    }
    let payable = accepted_cash * (T::one() - swing);
    let pay_slot = l.payables + (t + f.redemption_settlement) % l.ring;
    st.add(pay_slot, payable);
    st.add(slot::PAY_TOTAL, payable);
    st.add(slot::SWING_INCOME, accepted_cash * swing);
    st.add(slot::NAV_PNL, -payable);
    st.add(slot::CUM_ACC_CASH, payable);
    let scale = if selling {
        ((goal - accepted_cash * swing) / goal)
            .max(T::zero())
            .min(T::one())
    } else {
        T::zero()
    };

    // Book the sales: proceeds settle after each position's lag; costs; price impact. With
    // nothing to sell every sale is zero: skipped where that books nothing.
    if books {
        let n = l.n_positions as usize;
        let mut p = 0;
        while p + W <= n {
            book::<T, W>(c, st, t, p, scale);
            p += W;
        }
        for p in p..n {
            book::<T, 1>(c, st, t, p, scale);
        }
    }
    ledger::repay(st);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulate::{init_state, Workspace};
    use crate::testing::{calm_scenario, fund, position, quiet_params};

    /// Allocates `goal` on day 0 of a three-position fund; returns the sales, the total cost, and
    /// each position's marginal cost at its sale, its cap and its marginal cost of a first sale.
    fn allocate(
        strategy_code: u32,
        spread_scale: f32,
        goal: f64,
    ) -> (Vec<f64>, f64, Vec<(f64, f64, f64)>) {
        let mut p = quiet_params(5);
        p.impact_model = impact::SQUARE_ROOT;
        p.strategy = strategy_code;
        p.participation_cap = 0.5;
        let positions = vec![
            position(0.3, 0.2, 0.0004 * spread_scale, 0.01, 0.4),
            position(0.3, 0.05, 0.0010 * spread_scale, 0.02, 0.8),
            position(0.4, 0.5, 0.0020 * spread_scale, 0.015, 0.3),
        ];
        let model = fund(p, 0.0, positions, vec![]);
        let sc = calm_scenario();
        let c = Ctx::new(&model, &sc, 0, [1, 2]);
        let mut ws = Workspace::<f64>::new(&model);
        let mut st = ws.state(&c);
        init_state(&c, &mut st);
        prepare(&c, &mut st, 0.0);
        caps::<f64, 4>(&c, &mut st, 0);
        match strategy_code {
            strategy::WATERFALL => waterfall(&c, &mut st, goal),
            strategy::PRO_RATA => pro_rata(&c, &mut st, goal),
            _ => {
                min_cost::<f64, 4>(&c, &mut st, goal);
            }
        }
        let l = c.lay;
        let (mut sales, mut cost, mut net, mut marginal) = (Vec::new(), 0.0, 0.0, Vec::new());
        for q in 0..3 {
            let k = terms(&c, &st, q);
            let s = st.get(l.lq_sale + q);
            sales.push(s);
            marginal.push((
                marginal_cost(&k, s),
                st.get(l.lq_cap + q),
                marginal_cost(&k, 0.0),
            ));
            cost += s * cost_rate(&k, s);
            net += net_of(&k, s);
        }
        assert!(
            (net - goal).abs() < 1e-9 * goal.max(1.0),
            "net {net} for goal {goal}"
        );
        (sales, cost, marginal)
    }

    #[test]
    fn min_cost_equalises_marginal_cost_and_beats_the_others() {
        let goal = 0.08;
        let (sales, cost, marginal) = allocate(strategy::MIN_COST, 1.0, goal);
        let (_, cost_pr, _) = allocate(strategy::PRO_RATA, 1.0, goal);
        let (_, cost_wf, _) = allocate(strategy::WATERFALL, 1.0, goal);
        assert!(
            cost < cost_pr && cost < cost_wf,
            "min_cost {cost}, pro_rata {cost_pr}, waterfall {cost_wf}"
        );
        // Every position sold strictly inside its cap has the same marginal cost.
        let inside: Vec<f64> = sales
            .iter()
            .zip(&marginal)
            .filter(|(s, (_, cap, _))| **s > 0.0 && **s < *cap)
            .map(|(_, (m, _, _))| *m)
            .collect();
        assert!(inside.len() >= 2, "{sales:?} {marginal:?}");
        let (lo, hi) = inside
            .iter()
            .fold((f64::MAX, 0.0f64), |(a, b), m| (a.min(*m), b.max(*m)));
        assert!((hi - lo) / hi < 1e-3, "marginal costs {inside:?}");
    }

    /// How far an allocation is from min-cost optimality: the largest relative gap in the
    /// conditions the water-filling meets at multiplier `mu` (the highest marginal cost of a
    /// position sold): a position sold inside its cap at `mu`, one not sold at a first-sale
    /// marginal cost of at least `mu`, one sold out at most `mu` at its cap.
    fn optimality_gap(sales: &[f64], marginal: &[(f64, f64, f64)]) -> f64 {
        let mu = sales
            .iter()
            .zip(marginal)
            .filter(|(s, _)| **s > 0.0)
            .fold(0.0f64, |m, (_, (mc, _, _))| m.max(*mc));
        let mut gap = 0.0f64;
        for (&s, &(mc, cap, mc0)) in sales.iter().zip(marginal) {
            let g = if s <= 0.0 {
                (mu - mc0) / mu
            } else if s >= cap {
                (mc - mu) / mu
            } else {
                (mu - mc).abs() / mu
            };
            gap = gap.max(g);
        }
        gap
    }

    /// The search starts at the lowest marginal cost of a first sale, not at 0: below it nothing
    /// sells, and a bracket from 0 spends its steps in that flat stretch when the goal is small
    /// and spreads wide (a day's rebuild of the buffer), ending far from the optimum. Small and
    /// large goals, narrow and wide spreads: every allocation within 1e-4 of optimality.
    #[test]
    fn min_cost_reaches_the_optimum_for_small_goals_and_wide_spreads() {
        for spread_scale in [1.0, 10.0, 30.0] {
            for goal in [1e-5, 1e-4, 1e-3, 1e-2, 0.08] {
                let (sales, _, marginal) = allocate(strategy::MIN_COST, spread_scale, goal);
                let gap = optimality_gap(&sales, &marginal);
                assert!(
                    gap < 1e-4,
                    "spreads x{spread_scale}, goal {goal}: gap {gap}, sales {sales:?}, marginal {marginal:?}"
                );
            }
        }
    }

    #[test]
    fn min_cost_of_one_day_rises_with_spreads() {
        for goal in [0.01, 0.05, 0.1] {
            let (_, base, _) = allocate(strategy::MIN_COST, 1.0, goal);
            let (_, wide, _) = allocate(strategy::MIN_COST, 1.5, goal);
            assert!(wide > base, "goal {goal}: {base} -> {wide}");
        }
    }

    #[test]
    fn a_dried_up_market_is_not_sold_past_a_marginal_cost_of_one() {
        for model in [impact::LINEAR, impact::SQUARE_ROOT, impact::THRESHOLD] {
            let k = SaleTerms::<f64>::new(model, 0.01, 2.0, 1e-4, 0.0, 0.1);
            let cap = sale_at_marginal(&k, 1.0, 1.0);
            assert!(cap > 0.0 && cap < 1.0, "model {model}: cap {cap}");
            assert!((marginal_cost(&k, cap) - 1.0).abs() < 1e-9, "model {model}");
            // Net proceeds rise up to the cap and fall after it.
            assert!(net_of(&k, cap) > net_of(&k, 0.9 * cap));
            assert!(net_of(&k, cap) > net_of(&k, 1.1 * cap));
        }
    }

    /// On a day with nothing to sell the caps are not filled and the booking is skipped, except
    /// where it books the other holders' impact: with crowding and permanent impact, and not the
    /// fund's own impact alone, each position's permanent impact is `perm_fraction I(crowd)`
    /// (the terms of sale filled for it); with the fund's own impact alone, none.
    #[test]
    fn a_day_with_nothing_to_sell_books_only_the_crowds_impact() {
        for own_only in [false, true] {
            let mut p = quiet_params(5);
            p.switches = switch::CROWDING | switch::PERM_IMPACT;
            if own_only {
                p.switches |= switch::OWN_IMPACT_ONLY;
            }
            let positions = vec![
                position(0.25, 0.1, 0.002, 0.2, 0.3),
                position(0.25, 0.05, 0.004, 0.3, 0.6),
            ];
            let model = fund(p, 0.5, positions, vec![]);
            let mut sc = calm_scenario();
            sc.crowding[0] = 0.2;
            let c = Ctx::new(&model, &sc, 0, [1, 2]);
            let mut ws = Workspace::<f64>::new(&model);
            let mut st = ws.state(&c);
            init_state(&c, &mut st);
            // Redemptions accepted in kind: other holders' selling follows them (the crowding
            // driver), and the fund owes no cash, so it has nothing to sell.
            st.set(slot::ACC_TODAY, 0.05);
            let l = c.lay;
            let caps_before: Vec<f64> = (0..2).map(|q| st.get(l.lq_cap + q)).collect();
            liquidate::<f64, 4>(&c, &mut st, 0);
            for q in 0..2 {
                assert_eq!(st.get(l.lq_sale + q), 0.0);
                assert_eq!(st.get(l.last_sale + q), 0.0);
                assert_eq!(st.get(l.lq_cap + q), caps_before[q as usize]);
                let perm = st.get(l.perm + q);
                if own_only {
                    assert_eq!(perm, 0.0);
                } else {
                    let k = terms(&c, &st, q);
                    assert!(k.offset > 0.0);
                    assert!(perm > 0.0);
                    assert_eq!(perm, 0.5 * impact(&k, 0.0));
                }
            }
        }
    }
}

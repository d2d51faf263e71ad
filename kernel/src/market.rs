//! Stage 1 of a day: the stress profile, the market state of each position and the price update
//! (MODEL.md sections 3.1 and 3.2).
//!
//! WGSL twin: `shaders/wgsl/market.wgsl`.

use crate::ctx::{Ctx, St};
use crate::lanes::{load, map};
use crate::params::*;
use crate::philox::{normal_seq, stream};
use crate::real::Real;

/// Box-Muller pairs of idiosyncratic normals drawn at once on lanes (`philox::normal_seq`): eight
/// Philox blocks, 32 positions.
pub const IDIO_PAIRS: usize = 16;

/// Philox blocks of market normals per day: the factor plus up to `MAX_CLASSES` class factors.
pub const MARKET_BLOCKS: u32 = (MAX_CLASSES as u32 + 4) / 4;

/// The stress profile `g(t)`: 0 before onset, a linear ramp to 1 over `ramp` days, a plateau of
/// `plateau` days, then exponential recovery with half-life `half_life` counted from the plateau's
/// end (`g = 2^(-(t - end) / tau)`, MODEL.md 3.1).
#[inline(always)]
pub fn stress_profile<T: Real>(sc: &ScenarioParams, t: i32) -> T {
    let onset = sc.onset as i32;
    let ramp = sc.ramp.max(1) as i32;
    let end = onset + ramp + sc.plateau as i32;
    if t < onset {
        T::zero()
    } else if t < onset + ramp {
        T::n((t - onset + 1) as u32) / T::n(ramp as u32)
    } else if t < end {
        T::one()
    } else {
        let since = T::n((t - end) as u32);
        let ln2 = T::p(std::f32::consts::LN_2);
        (-ln2 * since / T::p(sc.half_life.max(1e-3))).exp_k()
    }
}

/// A position's market on one day, for a given stress level.
#[derive(Clone, Copy, Debug)]
pub struct MarketState<T> {
    /// Bid-ask spread `s_p(t)`.
    pub spread: T,
    /// Market volume `v_p(t)`, NAV units per day.
    pub volume: T,
    /// Depth `d_p(t)`, NAV units per day.
    pub depth: T,
    /// Daily volatility `sig_p(t)`.
    pub vol: T,
}

/// Spread, volume, depth and volatility of position `p` at stress level `g` (MODEL.md 3.1).
#[inline(always)]
pub fn market_state<T: Real>(pos: &PositionParams, sc: &ScenarioParams, g: T) -> MarketState<T> {
    let c = pos.class as usize;
    let one = T::one();
    let spread = T::p(pos.spread) * (one + (T::p(sc.spread_mult[c]) - one) * g);
    let volume = T::p(pos.adv) * (one - T::p(sc.volume_cut[c]) * g);
    let depth = volume * (one - T::p(sc.depth_cut[c]) * g);
    let vol = T::p(pos.vol) * (one + (T::p(sc.vol_mult[c]) - one) * g);
    MarketState {
        spread,
        volume,
        depth,
        vol,
    }
}

impl<T: Real> MarketState<T> {
    pub fn zero() -> MarketState<T> {
        MarketState {
            spread: T::zero(),
            volume: T::zero(),
            depth: T::zero(),
            vol: T::zero(),
        }
    }
}

/// What a position's daily market math needs that does not change within a scenario: its
/// parameters and its class's multipliers converted to `T` once (CPU side; the WGSL twin reads
/// the records each day). [`PositionConsts::market`] gives the same bits as [`market_state`].
#[derive(Clone, Copy, Debug)]
pub struct PositionConsts<T> {
    pub spread: T,
    /// The class's spread multiplier less 1.
    pub spread_m1: T,
    pub adv: T,
    pub volume_cut: T,
    pub depth_cut: T,
    pub vol: T,
    /// The class's volatility multiplier less 1.
    pub vol_m1: T,
    /// [`ramp_return`].
    pub ramp: T,
    /// The position's weight, and its spread floored at 1e-12 (the metrics' spread index).
    pub weight: T,
    pub spread_floor: T,
    /// Sale days within the redemption settlement and within the LCR's 30 days
    /// ([`ledger::sale_days`]: 0 where nothing settles in time).
    pub sale_days_r_set: T,
    pub sale_days_lcr: T,
}

impl<T: Real> PositionConsts<T> {
    #[inline(always)]
    pub fn new(pos: &PositionParams, sc: &ScenarioParams, f: &FundParams) -> PositionConsts<T> {
        let c = pos.class as usize;
        let one = T::one();
        PositionConsts {
            spread: T::p(pos.spread),
            spread_m1: T::p(sc.spread_mult[c]) - one,
            adv: T::p(pos.adv),
            volume_cut: T::p(sc.volume_cut[c]),
            depth_cut: T::p(sc.depth_cut[c]),
            vol: T::p(pos.vol),
            vol_m1: T::p(sc.vol_mult[c]) - one,
            ramp: ramp_return(pos, sc),
            weight: T::p(pos.weight),
            spread_floor: T::p(pos.spread.max(1e-12)),
            sale_days_r_set: crate::ledger::sale_days(pos, f.redemption_settlement),
            sale_days_lcr: crate::ledger::sale_days(pos, crate::metrics::LCR_DAYS),
        }
    }

    pub fn zero() -> PositionConsts<T> {
        let z = T::zero();
        PositionConsts {
            spread: z,
            spread_m1: z,
            adv: z,
            volume_cut: z,
            depth_cut: z,
            vol: z,
            vol_m1: z,
            ramp: z,
            weight: z,
            spread_floor: z,
            sale_days_r_set: z,
            sale_days_lcr: z,
        }
    }

    /// [`market_state`] at stress level `g`, operation for operation.
    #[inline(always)]
    pub fn market(&self, g: T) -> MarketState<T> {
        let one = T::one();
        let spread = self.spread * (one + self.spread_m1 * g);
        let volume = self.adv * (one - self.volume_cut * g);
        let depth = volume * (one - self.depth_cut * g);
        let vol = self.vol * (one + self.vol_m1 * g);
        MarketState {
            spread,
            volume,
            depth,
            vol,
        }
    }
}

/// Total log-return of position `p` over the ramp: its class's `R_kc`, or for bonds on the
/// duration route `-Dur dy + 0.5 Conv dy^2`.
#[inline(always)]
pub fn ramp_return<T: Real>(pos: &PositionParams, sc: &ScenarioParams) -> T {
    let route = sc.flags & sflag::DURATION_ROUTE != 0;
    if route && pos.flags & (pflag::RATE_ROUTE | pflag::SPREAD_ROUTE) != 0 {
        let mut dy = T::p(sc.rate_shock);
        if pos.flags & pflag::SPREAD_ROUTE != 0 {
            dy = dy + T::p(sc.credit_spread_shock);
        }
        -T::p(pos.duration) * dy + T::p(0.5) * T::p(pos.convexity) * dy * dy
    } else {
        T::p(sc.price_shock[pos.class as usize])
    }
}

/// Drift of a position's log price from day `t - 1` to `t`: `R max(0, dg)` on the ramp, and
/// `R recovery dg` while the stress profile falls (the price recovers `recovery` of the ramp's
/// fall as `g -> 0`).
#[inline(always)]
pub fn drift<T: Real>(pos: &PositionParams, sc: &ScenarioParams, g: T, g_prev: T) -> T {
    drift_of(ramp_return::<T>(pos, sc), T::p(sc.recovery), g, g_prev)
}

/// [`drift`] from the position's ramp return `r` and the scenario's recovery share.
#[inline(always)]
pub fn drift_of<T: Real>(r: T, recovery: T, g: T, g_prev: T) -> T {
    let dg = g - g_prev;
    if dg >= T::zero() {
        r * dg
    } else {
        r * recovery * dg
    }
}

/// Daily retention of the transient part of the fund's own impact: `2^(-1 / half_life)`, or 1
/// (no decay) when the half-life is 0.
#[inline(always)]
pub fn impact_retention<T: Real>(f: &FundParams) -> T {
    if f.impact_half_life > 0.0 {
        (-T::p(std::f32::consts::LN_2) / T::p(f.impact_half_life)).exp_k()
    } else {
        T::one()
    }
}

/// Advances the market to day `t`: stress profile, factor draws, log prices (with yesterday's
/// own impact `J`, and the release of the decaying transient part of earlier impact), and the
/// adaptive model's memory of past selling. Books the market's profit and loss into the NAV
/// audit.
#[inline(always)]
pub fn advance<T: Real, const W: usize>(c: &Ctx, st: &mut St<T>, t: u32) {
    let l = &c.lay;
    let sc = c.sc;
    let g_prev = st.get(crate::layout::slot::G);
    let g: T = stress_profile(sc, t as i32);
    st.set(crate::layout::slot::G_PREV, g_prev);
    st.set(crate::layout::slot::G, g);

    let noisy = c.noisy();
    let idio = noisy && c.on(switch::IDIO_NOISE);
    let rho = T::p(sc.rho);
    let w_market = rho.sqrt();
    let w_class = (T::one() - rho).sqrt();
    // The market factor and every class factor: normals 0 and 1..=C of the day's market stream,
    // drawn four to a Philox block, their Box-Muller pairs four at a time on lanes.
    let mut z = [T::zero(); 4 * MARKET_BLOCKS as usize];
    if noisy {
        let used = c.fund.n_classes + 1;
        normal_seq::<T, 4>([c.scenario, t, stream::MARKET, 0], c.key, used, &mut z);
    }
    let z_market = z[0];
    let adaptive = c.fund.impact_model == impact::ADAPTIVE;
    // Only the adaptive model reads its memory's decay: no `exp` a day for the others.
    let decay = if adaptive {
        (-T::p(c.fund.adaptive_decay)).exp_k()
    } else {
        T::one()
    };
    let keep = impact_retention::<T>(c.fund);
    let share = T::p(c.fund.impact_permanent_share);
    let recovery = T::p(sc.recovery);

    // The eight per-position arrays this stage reads and writes lie one after the other in the
    // layout (`Layout::new`): split them into slices of exactly `n` words once, so that the loop
    // below indexes within known lengths and does no bounds check per word.
    let n = l.n_positions as usize;
    assert!(
        l.log_price == l.hold + l.n_positions
            && l.price == l.log_price + l.n_positions
            && l.perm == l.price + l.n_positions
            && l.perm_cum == l.perm + l.n_positions
            && l.trans == l.perm_cum + l.n_positions
            && l.adapt == l.trans + l.n_positions
            && l.last_sale == l.adapt + l.n_positions,
        "the per-position arrays are consecutive"
    );
    let St {
        w,
        k: consts,
        m: markets,
        idio: idio_z,
        ..
    } = st;
    let words = &mut w[l.hold as usize..l.hold as usize + 8 * n];
    let (hold, r) = words.split_at_mut(n);
    let (log_price, r) = r.split_at_mut(n);
    let (price, r) = r.split_at_mut(n);
    let (perm_w, r) = r.split_at_mut(n);
    let (perm_cum, r) = r.split_at_mut(n);
    let (trans_w, r) = r.split_at_mut(n);
    let (adapt_w, r) = r.split_at_mut(n);
    let last_sale = &mut r[..n];
    let (consts, markets) = (&consts[..n], &mut markets[..n]);
    let positions = &c.positions[..n];

    let (mut pnl, mut holdings) = (T::zero(), T::zero());
    let day = Day {
        g,
        g_prev,
        recovery,
        factor: w_market * z_market,
        w_class,
        z,
        idio,
        keep,
        release: T::one() - keep,
        share,
        retain: T::one() - share,
        adaptive,
        decay,
    };
    let mut words = Words {
        log_price,
        perm: perm_w,
        perm_cum,
        trans: trans_w,
        adapt: adapt_w,
        last_sale,
    };
    // Idiosyncratic noise: normal `p` of the day's idio stream, four to a Philox block, the
    // bits `philox::normal_at` gives position `p`, their Box-Muller pairs `IDIO_PAIRS` at a time
    // on lanes. In a pass of their own, so that the prices' lanes below stay small.
    let idio_z = &mut idio_z[..n];
    if idio {
        let first = [c.scenario, t, stream::IDIO, 0];
        normal_seq::<T, IDIO_PAIRS>(first, c.key, n as u32, idio_z);
    }
    let mut p = 0;
    while p + W <= n {
        day.step::<W>(p, positions, consts, markets, &mut words, idio_z);
        p += W;
    }
    for p in p..n {
        day.step::<1>(p, positions, consts, markets, &mut words, idio_z);
    }
    // The new prices, `W` positions at a time ([`Real::exp_lanes`]: the same bits as one at a
    // time), with the day's P&L and the holdings' value summed in position order.
    let mut reprice = |x: &[T], price: &mut [T], hold: &[T]| {
        for ((&x, price), &hold) in x.iter().zip(price.iter_mut()).zip(hold) {
            pnl = pnl + hold * (x - *price);
            holdings = holdings + hold * x;
            *price = x;
        }
    };
    let mut p = 0;
    while p + W <= n {
        let new: [T; W] = T::exp_lanes(crate::lanes::load(log_price, p));
        reprice(&new, &mut price[p..p + W], &hold[p..p + W]);
        p += W;
    }
    for p in p..n {
        let new = [log_price[p].exp_k()];
        reprice(&new, &mut price[p..p + 1], &hold[p..p + 1]);
    }
    st.add(crate::layout::slot::NAV_PNL, pnl);
    // `ledger::holdings_value` at the new prices, in the same order: the investors' valuation.
    st.holdings = holdings;
}

/// What `advance` needs of the day to move each position's log price.
struct Day<T> {
    g: T,
    g_prev: T,
    recovery: T,
    /// `sqrt(rho) z_market`.
    factor: T,
    w_class: T,
    z: [T; 4 * MARKET_BLOCKS as usize],
    idio: bool,
    keep: T,
    /// `1 - keep`.
    release: T,
    share: T,
    /// `1 - share`.
    retain: T,
    adaptive: bool,
    decay: T,
}

/// The per-position words `advance` moves, as slices of exactly `n` words.
struct Words<'a, T> {
    log_price: &'a mut [T],
    perm: &'a mut [T],
    perm_cum: &'a mut [T],
    trans: &'a mut [T],
    adapt: &'a mut [T],
    last_sale: &'a mut [T],
}

impl<T: Real> Day<T> {
    /// Positions `p..p + V` on lanes: each lane runs the scalar operations in their order (the
    /// same bits at every width), the market state and the normals read one position at a time.
    #[inline(always)]
    fn step<const V: usize>(
        &self,
        p: usize,
        positions: &[PositionParams],
        consts: &[PositionConsts<T>],
        markets: &mut [MarketState<T>],
        w: &mut Words<'_, T>,
        idio_z: &[T],
    ) {
        let mut vol = [T::zero(); V];
        let mut ramp = [T::zero(); V];
        let mut z_own = [T::zero(); V];
        for j in 0..V {
            let q = p + j;
            let k = &consts[q];
            let m = k.market(self.g);
            markets[q] = m;
            vol[j] = m.vol;
            ramp[j] = k.ramp;
            z_own[j] = self.z[(1 + positions[q].class) as usize];
        }
        if self.idio {
            let z_idio: [T; V] = load(idio_z, p);
            z_own = map(|j| (z_own[j] + z_idio[j]) * T::p(std::f32::consts::FRAC_1_SQRT_2));
        }
        let drift: [T; V] = map(|j| drift_of(ramp[j], self.recovery, self.g, self.g_prev));
        let (x, perm, trans): ([T; V], [T; V], [T; V]) =
            (load(w.log_price, p), load(w.perm, p), load(w.trans, p));
        let perm_cum: [T; V] = load(w.perm_cum, p);
        // Yesterday's own impact `J` shows in full; the transient part of earlier impact decays.
        let x: [T; V] = map(|j| {
            x[j] + drift[j] + vol[j] * (self.factor + self.w_class * z_own[j]) - perm[j]
                + trans[j] * self.release
        });
        w.log_price[p..p + V].copy_from_slice(&x);
        w.perm[p..p + V].fill(T::zero());
        let trans: [T; V] = map(|j| trans[j] * self.keep + self.retain * perm[j]);
        w.trans[p..p + V].copy_from_slice(&trans);
        let perm_cum: [T; V] = map(|j| perm_cum[j] + self.share * perm[j]);
        w.perm_cum[p..p + V].copy_from_slice(&perm_cum);
        if self.adaptive {
            let (adapt, last): ([T; V], [T; V]) = (load(w.adapt, p), load(w.last_sale, p));
            let adapt: [T; V] = map(|j| adapt[j] * self.decay + last[j]);
            w.adapt[p..p + V].copy_from_slice(&adapt);
        }
        w.last_sale[p..p + V].fill(T::zero());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{busy_fund, calm_scenario, fund, position, quiet_params};

    /// The constants' sale days are `ledger::sellable`'s: settlement day `days - lag + 1` days,
    /// none behind a redemption window or a lag beyond the days, within the fund's redemption
    /// settlement and within the LCR's 30 days.
    #[test]
    fn the_constants_carry_each_positions_sale_days() {
        let mut params = quiet_params(6);
        params.redemption_settlement = 3;
        let sc = calm_scenario();
        let base = position(0.1, 1e6, 0.001, 0.01, 0.1);
        // (window, lag) → (days within 3, days within 30)
        for (window, lag, r_set, lcr) in [
            (1, 1, 3.0, 30.0),
            (0, 3, 1.0, 28.0),
            (1, 4, 0.0, 27.0),
            (1, 31, 0.0, 0.0),
            (5, 1, 0.0, 0.0),
        ] {
            let pos = PositionParams {
                window,
                lag,
                ..base
            };
            let k = PositionConsts::<f64>::new(&pos, &sc, &params);
            assert_eq!(
                (k.sale_days_r_set, k.sale_days_lcr),
                (r_set, lcr),
                "window {window}, lag {lag}"
            );
        }
    }

    /// With idiosyncratic noise on, position `p`'s day-0 price carries normal `p` of the day's
    /// idio stream (`philox::normal_at`), whether the positions fill their last Philox block or
    /// not: positions identical but for their noise differ in log price by exactly
    /// `vol sqrt(1 - rho) (z_p - z_q) / sqrt 2`.
    #[test]
    fn each_position_draws_its_own_idiosyncratic_normal() {
        for n in [1usize, 4, 6, 9, 32, 37, 70] {
            let mut params = quiet_params(3);
            params.switches = switch::NOISE | switch::IDIO_NOISE;
            let vol = 0.3f32;
            let positions = vec![position(0.9 / n as f32, 0.05, 0.001, vol, 0.1); n];
            let model = fund(params, 0.1, positions, Vec::new());
            let sc = calm_scenario();
            let (index, key) = (17, [5, 9]);
            let mut ws = crate::simulate::Workspace::<f64>::new(&model);
            let mut day0 = Vec::new();
            crate::simulate::simulate_observed(&model, &sc, index, key, &mut ws, |v| {
                if v.day() == 0 {
                    day0 = (0..n as u32).map(|p| v.price(p).ln()).collect();
                }
            });
            let w_class = (1.0 - sc.rho as f64).sqrt();
            // The kernel's volatility is per day (the host converts the fund file's annual one).
            let sigma = vol as f64;
            let z = |p: usize| -> f64 {
                crate::philox::normal_at(key, index, 0, stream::IDIO, p as u32)
            };
            let spread = z(0) - z(n - 1);
            assert!(
                n == 1 || spread.abs() > 1e-3,
                "pick positions whose normals differ"
            );
            let daily = if n == 1 {
                0.0
            } else {
                (day0[0] - day0[n - 1]) / spread
            };
            for p in 0..n {
                let want = daily * (z(p) - z(0));
                assert!(
                    (day0[p] - day0[0] - want).abs() < 1e-9,
                    "n = {n}, position {p}: {} against {want}",
                    day0[p] - day0[0]
                );
            }
            if n > 1 {
                // The scale is the model's: the volatility times the class weight over sqrt 2
                // (so a wrong normal cannot pass by rescaling).
                let expected = sigma * w_class * std::f64::consts::FRAC_1_SQRT_2;
                assert!(
                    (daily - expected).abs() < 1e-6 * expected,
                    "{daily} {expected}"
                );
            }
        }
    }

    /// The prepared constants give `market_state` and `drift` bit for bit, at every stress level
    /// and in both float types, for every position of a fund with several classes.
    #[test]
    fn prepared_constants_reproduce_the_daily_market_bit_for_bit() {
        let model = busy_fund(10);
        let mut sc = calm_scenario();
        for c in 0..MAX_CLASSES {
            sc.spread_mult[c] = 1.0 + 0.37 * (c + 1) as f32;
            sc.volume_cut[c] = 0.11 * (c + 1) as f32 / MAX_CLASSES as f32;
            sc.depth_cut[c] = 0.23 * (c + 1) as f32 / MAX_CLASSES as f32;
            sc.vol_mult[c] = 1.0 + 0.9 * (c + 1) as f32;
            sc.price_shock[c] = -0.013 * (c + 1) as f32;
        }
        sc.recovery = 0.3;
        fn check<T: Real + std::fmt::Debug>(model: &FundModel, sc: &ScenarioParams) -> usize {
            let mut checked = 0;
            for pos in &model.positions {
                let k = PositionConsts::<T>::new(pos, sc, &model.params);
                for (g, g_prev) in [(0.0, 0.0), (0.31, 0.2), (1.0, 0.77), (0.4, 0.9)] {
                    let (g, g_prev) = (T::p(g), T::p(g_prev));
                    let (a, b) = (market_state::<T>(pos, sc, g), k.market(g));
                    for (x, y) in [
                        (a.spread, b.spread),
                        (a.volume, b.volume),
                        (a.depth, b.depth),
                        (a.vol, b.vol),
                    ] {
                        assert_eq!(x.to_f64().to_bits(), y.to_f64().to_bits(), "{a:?} {b:?}");
                    }
                    let d = drift::<T>(pos, sc, g, g_prev);
                    let e = drift_of(k.ramp, T::p(sc.recovery), g, g_prev);
                    assert_eq!(d.to_f64().to_bits(), e.to_f64().to_bits());
                    checked += 1;
                }
            }
            checked
        }
        assert!(check::<f32>(&model, &sc) >= 8);
        assert!(check::<f64>(&model, &sc) >= 8);
        // The check can fail: a constant off by a relative 1e-5 changes the bits.
        let pos = &model.positions[0];
        let mut k = PositionConsts::<f32>::new(pos, &sc, &model.params);
        k.spread_m1 *= 1.00001;
        assert_ne!(
            market_state::<f32>(pos, &sc, 1.0).spread.to_bits(),
            k.market(1.0).spread.to_bits()
        );
    }
}

// Stage 1 of a day: the stress profile, the market state of each position and the price update
// (MODEL.md sections 3.1 and 3.2).
//
// Rust twin: `kernel/src/market.rs`.

const LN_2: f32 = 0.693147180559945309417232121458176568;
const FRAC_1_SQRT_2: f32 = 0.707106781186547524400844362104849039;

// The stress profile `g(t)`.
fn stress_profile(t: i32) -> f32 {
    let onset = i32(SC.onset);
    let ramp = i32(max(SC.ramp, 1u));
    let end = onset + ramp + i32(SC.plateau);
    if t < onset {
        return 0.0;
    } else if t < onset + ramp {
        return f32(u32(t - onset + 1)) / f32(u32(ramp));
    } else if t < end {
        return 1.0;
    } else {
        let since = f32(u32(t - end));
        return exp(-LN_2 * since / max(SC.half_life, 1e-3));
    }
}

struct MarketState {
    spread: f32,
    volume: f32,
    depth: f32,
    vol: f32,
}

// Spread, volume, depth and volatility of a position at stress level `g` (MODEL.md 3.1).
fn market_state(pos: PositionParams, g: f32) -> MarketState {
    let c = pos.asset_class;
    let spread = pos.spread * (1.0 + (SC.spread_mult[c] - 1.0) * g);
    let volume = pos.adv * (1.0 - SC.volume_cut[c] * g);
    let depth = volume * (1.0 - SC.depth_cut[c] * g);
    let vol = pos.vol * (1.0 + (SC.vol_mult[c] - 1.0) * g);
    return MarketState(spread, volume, depth, vol);
}

// Total log-return of a position over the ramp.
fn ramp_return(pos: PositionParams) -> f32 {
    let route = (SC.flags & SFLAG_DURATION_ROUTE) != 0u;
    if route && (pos.flags & (PFLAG_RATE_ROUTE | PFLAG_SPREAD_ROUTE)) != 0u {
        var dy = SC.rate_shock;
        if (pos.flags & PFLAG_SPREAD_ROUTE) != 0u {
            dy = dy + SC.credit_spread_shock;
        }
        return -pos.duration * dy + 0.5 * pos.convexity * dy * dy;
    } else {
        return SC.price_shock[pos.asset_class];
    }
}

// Drift of a position's log price from day `t - 1` to `t`: `R max(0, dg)` on the ramp, and
// `R recovery dg` while the stress profile falls.
fn drift(pos: PositionParams, g: f32, g_prev: f32) -> f32 {
    let dg = g - g_prev;
    let r = ramp_return(pos);
    if dg >= 0.0 {
        return r * dg;
    } else {
        return r * SC.recovery * dg;
    }
}

// Daily retention of the transient part of the fund's own impact (1 when the half-life is 0).
fn impact_retention() -> f32 {
    if fund.impact_half_life > 0.0 {
        return exp(-LN_2 / fund.impact_half_life);
    } else {
        return 1.0;
    }
}

// Advances the market to day `t`.
fn market_advance(t: u32) {
    let g_prev = st_get(SLOT_G);
    let g = stress_profile(i32(t));
    st_set(SLOT_G_PREV, g_prev);
    st_set(SLOT_G, g);

    let is_noisy = noisy();
    let idio = is_noisy && on(SWITCH_IDIO_NOISE);
    let rho = SC.rho;
    let w_market = sqrt(rho);
    let w_class = sqrt(1.0 - rho);
    // The market factor and every class factor: normals 0 and 1..=C of the day's market stream,
    // drawn four to a Philox block.
    var z: array<f32, 12>;
    if is_noisy {
        for (var b = 0u; b < (fund.n_classes + 4u) / 4u; b++) {
            // Normals past the factor and the last class are never read: `used` skips their pair.
            let used = fund.n_classes + 1u - 4u * b;
            let block = normals(vec4<u32>(SCENARIO, t, STREAM_MARKET, b), KEY, used);
            for (var j = 0u; j < 4u; j++) {
                z[4u * b + j] = block[j];
            }
        }
    }
    let z_market = z[0];
    let adaptive = fund.impact_model == IMPACT_ADAPTIVE;
    // Only the adaptive model reads its memory's decay: no `exp` a day for the others.
    var decay = 1.0;
    if adaptive {
        decay = exp(-fund.adaptive_decay);
    }
    let keep = impact_retention();
    let share = fund.impact_permanent_share;

    var pnl = 0.0;
    // Idiosyncratic noise: each Philox block drawn once for its four positions. (The CPU twin
    // draws the blocks eight at a time, `philox::normal_blocks`: the same values.)
    var idio_block = vec4<f32>(0.0);
    for (var p = 0u; p < lay.n_positions; p++) {
        let pos = positions[p];
        let m = market_state(pos, g);
        let z_class = z[1u + pos.asset_class];
        var z_own = z_class;
        if idio {
            if p % 4u == 0u {
                idio_block = normals(vec4<u32>(SCENARIO, t, STREAM_IDIO, p / 4u), KEY, lay.n_positions - p);
            }
            z_own = (z_class + idio_block[p % 4u]) * FRAC_1_SQRT_2;
        }
        let dr = drift(pos, g, g_prev);
        // Yesterday's own impact `J` shows in full; the transient part of earlier impact decays.
        let perm = st_get(lay.perm + p);
        let trans = st_get(lay.trans + p);
        let x_new = st_get(lay.log_price + p) + dr + m.vol * (w_market * z_market + w_class * z_own) - perm + trans * (1.0 - keep);
        let price_new = exp(x_new);
        pnl = pnl + st_get(lay.hold + p) * (price_new - st_get(lay.price + p));
        st_set(lay.log_price + p, x_new);
        st_set(lay.price + p, price_new);
        st_set(lay.perm + p, 0.0);
        st_set(lay.trans + p, trans * keep + (1.0 - share) * perm);
        st_add(lay.perm_cum + p, share * perm);
        if adaptive {
            let a = st_get(lay.adapt + p) * decay + st_get(lay.last_sale + p);
            st_set(lay.adapt + p, a);
        }
        st_set(lay.last_sale + p, 0.0);
    }
    st_add(SLOT_NAV_PNL, pnl);
}

// Stage 4 of a dealing day: the liquidation goal, its allocation across positions by the
// strategy, swing pricing, and the booking of sales (MODEL.md sections 3.3, 3.7 step 6 and 4).
// Every search runs a fixed number of steps so that both twins follow the same control flow.
//
// Rust twin: `kernel/src/liquidation.rs`.

const BISECTION_STEPS: u32 = 12u;
const MIN_COST_STEPS: u32 = 10u;
const NET_TO_GROSS_STEPS: u32 = 8u;
const MIN_DEPTH: f32 = 1e-12;
const THIRD: f32 = 1.0 / 3.0;

// `inv_depth` and `inv_scale` are `1 / depth` and `1 / scale`, stored once a day by the terms'
// pass so that the searches multiply where they would divide.
struct SaleTerms {
    model: u32,
    half_spread: f32,
    scale: f32,
    depth: f32,
    offset: f32,
    theta: f32,
    inv_depth: f32,
    inv_scale: f32,
}

// Impact `I(u)` of selling `q`, with `u = (q + offset) / depth` (as `(q + offset) (1 / depth)`).
fn impact(k: SaleTerms, q: f32) -> f32 {
    let u = (q + k.offset) * k.inv_depth;
    if k.model == IMPACT_LINEAR {
        return k.scale * u;
    } else if k.model == IMPACT_THRESHOLD {
        return k.scale * max(u - k.theta, 0.0);
    } else {
        return k.scale * sqrt(max(u, 0.0));
    }
}

// Cost per unit sold: `s/2 + I(u)`.
fn cost_rate(k: SaleTerms, q: f32) -> f32 {
    return k.half_spread + impact(k, q);
}

// Marginal cost `dC/dq = s/2 + I(u) + q I'(u) / d`.
fn marginal_cost(k: SaleTerms, q: f32) -> f32 {
    let u = (q + k.offset) * k.inv_depth;
    var slope = 0.0;
    if k.model == IMPACT_LINEAR {
        slope = k.scale;
    } else if k.model == IMPACT_THRESHOLD {
        if u > k.theta {
            slope = k.scale;
        } else {
            slope = 0.0;
        }
    } else if u > 0.0 {
        slope = k.scale / (2.0 * sqrt(u));
    } else {
        slope = 0.0;
    }
    return cost_rate(k, q) + q * slope * k.inv_depth;
}

// The sale at which the marginal cost equals `mu` (closed form per model, before caps).
fn sale_at_marginal(k: SaleTerms, mu: f32, cap: f32) -> f32 {
    let excess = mu - k.half_spread;
    if excess <= 0.0 {
        return 0.0;
    }
    var q = 0.0;
    if k.scale <= 0.0 {
        q = cap;
    } else if k.model == IMPACT_LINEAR {
        q = (excess * k.depth * k.inv_scale - k.offset) * 0.5;
    } else if k.model == IMPACT_THRESHOLD {
        let free = k.theta * k.depth - k.offset;
        let upper = ((excess * k.inv_scale + k.theta) * k.depth - k.offset) * 0.5;
        q = max(free, upper);
    } else {
        let m = excess * k.inv_scale;
        let z = (m + sqrt(m * m + 3.0 * k.offset * k.inv_depth)) * THIRD;
        q = k.depth * z * z - k.offset;
    }
    return min(max(q, 0.0), cap);
}

// The gross sale, at most `cap`, whose net proceeds are `net`.
fn gross_for_net(k: SaleTerms, net: f32, cap: f32) -> f32 {
    var q = net;
    for (var i = 0u; i < NET_TO_GROSS_STEPS; i++) {
        let keep = max(1.0 - cost_rate(k, min(q, cap)), 1e-6);
        q = net / keep;
    }
    return min(q, cap);
}

fn terms(p: u32) -> SaleTerms {
    return SaleTerms(
        fund.impact_model,
        st_get(lay.lq_half_spread + p),
        st_get(lay.lq_scale + p),
        st_get(lay.lq_depth + p),
        st_get(lay.lq_offset + p),
        fund.impact_threshold,
        st_get(lay.lq_inv_depth + p),
        st_get(lay.lq_inv_scale + p),
    );
}

fn net_of(k: SaleTerms, q: f32) -> f32 {
    return q * (1.0 - cost_rate(k, q));
}

// Fills today's per-position terms of sale (no sale yet), and returns the repo-eligible
// holdings' value summed in the same pass (the funding headroom's sum, before any sale). The caps
// and penalties only a sale reads come from `liquidation_caps`, on days with something to sell.
fn liquidation_prepare(outflow_share: f32) -> f32 {
    let g = st_get(SLOT_G);
    let crowding = on(SWITCH_CROWDING);
    let stress_crowding = on(SWITCH_STRESS_CROWDING);
    let sqrt_model = fund.impact_model == IMPACT_SQUARE_ROOT || fund.impact_model == IMPACT_ADAPTIVE;
    var repo = 0.0;
    for (var p = 0u; p < lay.n_positions; p++) {
        let pos = positions[p];
        let m = market_state(pos, g);
        let value = st_get(lay.hold + p) * st_get(lay.price + p);
        repo = repo + repo_value(pos.flags, value);
        var offset = 0.0;
        // Other holders' selling: `chi g(t) v0` (stress crowding) or `chi o(t) v0` (MODEL.md).
        if crowding {
            let driver = select(outflow_share, g, stress_crowding);
            offset = SC.crowding[pos.asset_class] * driver * pos.adv;
        }
        if fund.impact_model == IMPACT_ADAPTIVE {
            offset = offset + st_get(lay.adapt + p);
        }
        let scale = select(pos.impact, pos.impact * m.vol, sqrt_model);
        st_set(lay.lq_half_spread + p, 0.5 * m.spread);
        st_set(lay.lq_scale + p, scale);
        let depth = max(m.depth, MIN_DEPTH);
        st_set(lay.lq_depth + p, depth);
        st_set(lay.lq_offset + p, offset);
        st_set(lay.lq_sale + p, 0.0);
        st_set(lay.lq_inv_depth + p, 1.0 / depth);
        st_set(lay.lq_inv_scale + p, 1.0 / scale);
    }
    return repo;
}

// Fills each position's cap and late-settlement penalty for day `t`, after the terms: what the
// strategies read, so only on a day with something to sell.
fn liquidation_caps(t: u32) {
    let g = st_get(SLOT_G);
    for (var p = 0u; p < lay.n_positions; p++) {
        let pos = positions[p];
        let m = market_state(pos, g);
        let value = st_get(lay.hold + p) * st_get(lay.price + p);
        let window_open = pos.window <= 1u || t % pos.window == pos.window - 1u;
        var cap = 0.0;
        if window_open {
            cap = min(fund.participation_cap * m.volume, value);
        }
        let late = pos.lag > fund.redemption_settlement;
        // Never sell past the point where the next unit raises nothing (marginal cost 1): in a
        // market that has dried up, net proceeds would fall as the sale grows.
        let k = terms(p);
        st_set(lay.lq_cap + p, sale_at_marginal(k, 1.0, max(cap, 0.0)));
        st_set(lay.lq_penalty + p, select(0.0, fund.late_settlement_penalty, late));
    }
}

// `waterfall`: positions in the fund's order, late-settling ones in a second sweep.
fn waterfall(goal: f32) {
    var need = goal;
    for (var sweep = 0u; sweep < 2u; sweep++) {
        for (var j = 0u; j < lay.n_positions; j++) {
            let p = order[j];
            let late = st_get(lay.lq_penalty + p) > 0.0;
            if (sweep == 0u) == late || need <= 0.0 {
                continue;
            }
            let k = terms(p);
            let cap = st_get(lay.lq_cap + p);
            let full = net_of(k, cap);
            var q = cap;
            if full > need {
                q = gross_for_net(k, need, cap);
            }
            st_set(lay.lq_sale + p, q);
            need = need - net_of(k, q);
        }
    }
}

fn pro_rata_sale(p: u32, fraction: f32) -> f32 {
    let value = st_get(lay.hold + p) * st_get(lay.price + p);
    return min(fraction * value, st_get(lay.lq_cap + p));
}

fn pro_rata_net(fraction: f32) -> f32 {
    var net = 0.0;
    for (var p = 0u; p < lay.n_positions; p++) {
        net = net + net_of(terms(p), pro_rata_sale(p, fraction));
    }
    return net;
}

// A bracket around the root of `net(x) = goal`, narrowed by Illinois false position.
struct Bracket {
    lo: f32,
    hi: f32,
    n_lo: f32,
    n_hi: f32,
    f_lo: f32,
    f_hi: f32,
    side: i32,
    goal: f32,
}

fn bracket_new(lo: f32, hi: f32, n_lo: f32, n_hi: f32, goal: f32) -> Bracket {
    return Bracket(lo, hi, n_lo, n_hi, n_lo - goal, n_hi - goal, 0, goal);
}

// The next point to try: false position, or the midpoint when that falls outside.
fn bracket_next(b: Bracket) -> f32 {
    let mid = 0.5 * (b.lo + b.hi);
    let span = b.f_hi - b.f_lo;
    if span > 0.0 {
        let x = (b.lo * b.f_hi - b.hi * b.f_lo) / span;
        if x > b.lo && x < b.hi {
            return x;
        }
    }
    return mid;
}

fn bracket_update(b_in: Bracket, x: f32, net: f32) -> Bracket {
    var b = b_in;
    let f = net - b.goal;
    if f < 0.0 {
        b.lo = x;
        b.n_lo = net;
        b.f_lo = f;
        if b.side == -1 {
            b.f_hi = b.f_hi * 0.5;
        }
        b.side = -1;
    } else {
        b.hi = x;
        b.n_hi = net;
        b.f_hi = f;
        if b.side == 1 {
            b.f_lo = b.f_lo * 0.5;
        }
        b.side = 1;
    }
    return b;
}

// The target cannot be reached: both ends at the top.
fn bracket_collapse_to_hi(b_in: Bracket) -> Bracket {
    var b = b_in;
    b.lo = b.hi;
    b.n_lo = b.n_hi;
    return b;
}

fn interpolation_weight(goal: f32, n_lo: f32, n_hi: f32) -> f32 {
    if n_hi > n_lo {
        return min(max((goal - n_lo) / (n_hi - n_lo), 0.0), 1.0);
    } else {
        return 1.0;
    }
}

// `pro_rata`: the same fraction of every sellable position.
fn pro_rata(goal: f32) {
    var b = bracket_new(0.0, 1.0, pro_rata_net(0.0), pro_rata_net(1.0), goal);
    if b.n_hi > goal {
        for (var i = 0u; i < BISECTION_STEPS; i++) {
            let x = bracket_next(b);
            b = bracket_update(b, x, pro_rata_net(x));
        }
    } else {
        b = bracket_collapse_to_hi(b);
    }
    let lo = b.lo;
    let hi = b.hi;
    let w = interpolation_weight(goal, b.n_lo, b.n_hi);
    for (var p = 0u; p < lay.n_positions; p++) {
        let q_lo = pro_rata_sale(p, lo);
        let q_hi = pro_rata_sale(p, hi);
        st_set(lay.lq_sale + p, q_lo + w * (q_hi - q_lo));
    }
}

fn min_cost_sale(p: u32, mu: f32) -> f32 {
    let k = terms(p);
    return sale_at_marginal(k, mu - st_get(lay.lq_penalty + p), st_get(lay.lq_cap + p));
}

// A sum across positions split into 8 partials, position `p` into partial `p % 8`, combined in
// a fixed tree (`lanes::PositionSum` in the Rust twin).
fn sum_partials(s: array<f32, 8>) -> f32 {
    return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

fn min_cost_net(mu: f32) -> f32 {
    var net = array<f32, 8>(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
    for (var p = 0u; p < lay.n_positions; p++) {
        let i = p % 8u;
        net[i] = net[i] + net_of(terms(p), min_cost_sale(p, mu));
    }
    return sum_partials(net);
}

// `min_cost`: water-filling on the marginal-cost multiplier.
fn min_cost(goal: f32) -> bool {
    // The bracket's ends, penalties included: the lowest marginal cost of a first sale (the cost
    // rate at nothing sold: below it nothing sells) and the highest at a cap, over the positions
    // with room to sell.
    var first = 3.4028235e38; // the largest f32: no position with room to sell leaves it there
    var top = 0.0;
    for (var p = 0u; p < lay.n_positions; p++) {
        let cap = st_get(lay.lq_cap + p);
        if cap > 0.0 {
            let k = terms(p);
            let penalty = st_get(lay.lq_penalty + p);
            first = min(first, cost_rate(k, 0.0) + penalty);
            top = max(top, marginal_cost(k, cap) + penalty);
        }
    }
    let mu_hi = top * 1.0001 + 1e-9;
    var mu_lo = 0.0;
    if first < mu_hi {
        mu_lo = first;
    }
    var b = bracket_new(mu_lo, mu_hi, 0.0, min_cost_net(mu_hi), goal);
    let feasible = b.n_hi >= goal;
    if feasible {
        for (var i = 0u; i < MIN_COST_STEPS; i++) {
            let x = bracket_next(b);
            b = bracket_update(b, x, min_cost_net(x));
        }
    } else {
        b = bracket_collapse_to_hi(b);
    }
    let lo = b.lo;
    let hi = b.hi;
    let w = interpolation_weight(goal, b.n_lo, b.n_hi);
    for (var p = 0u; p < lay.n_positions; p++) {
        let q_lo = min_cost_sale(p, lo);
        let q_hi = min_cost_sale(p, hi);
        st_set(lay.lq_sale + p, q_lo + w * (q_hi - q_lo));
    }
    return feasible;
}

// `balanced`: `min_cost` within the style-drift limit, which gives way only when it must.
fn balanced(goal: f32) {
    var class_value: array<f32, MAX_CLASSES>;
    var total = 0.0;
    for (var p = 0u; p < lay.n_positions; p++) {
        let v = st_get(lay.hold + p) * st_get(lay.price + p);
        let k = positions[p].asset_class;
        class_value[k] = class_value[k] + v;
        total = total + v;
    }
    let remaining = max(total - goal, 0.0);
    let floor = 1.0 - fund.max_style_drift;
    for (var p = 0u; p < lay.n_positions; p++) {
        let k = positions[p].asset_class;
        let allowance = max(class_value[k] - fund.class_target_weight[k] * floor * remaining, 0.0);
        let v = st_get(lay.hold + p) * st_get(lay.price + p);
        var share = 0.0;
        if class_value[k] > 0.0 {
            share = v / class_value[k];
        }
        let cap = st_get(lay.lq_cap + p);
        st_set(lay.lq_sale + p, cap);
        st_set(lay.lq_cap + p, min(cap, allowance * share));
    }
    var fits = 0.0;
    for (var p = 0u; p < lay.n_positions; p++) {
        fits = fits + net_of(terms(p), st_get(lay.lq_cap + p));
    }
    if fits < goal {
        for (var p = 0u; p < lay.n_positions; p++) {
            st_set(lay.lq_cap + p, st_get(lay.lq_sale + p));
        }
    }
    min_cost(goal);
}

// Whether the booking writes anything on a day with nothing to sell: only the other holders'
// impact (the booking's last branch), so not with the fund's own impact alone, nor without
// permanent impact.
fn books_without_sales() -> bool {
    return on(SWITCH_PERM_IMPACT) && !on(SWITCH_OWN_IMPACT_ONLY);
}

// Swing pricing: the share of the accepted redemptions' value that redeemers bear today — the
// day's estimated cost rate of the planned sales, or the fixed factor, within the cap — when
// swing pricing is on and accepted redemptions pass the threshold; 0 otherwise.
// `selling`: the day has planned sales; without them every sale is zero and so is the estimated
// cost rate, and the scratch is not read (nor filled that day).
fn swing_factor(accepted: f32, nav: f32, selling: bool) -> f32 {
    var swing = 0.0;
    if on(SWITCH_SWING) && accepted > fund.swing_threshold * nav {
        if fund.swing_fixed > 0.0 {
            swing = fund.swing_fixed;
        } else if selling {
            var gross = 0.0;
            var cost = 0.0;
            for (var p = 0u; p < lay.n_positions; p++) {
                let q = st_get(lay.lq_sale + p);
                gross = gross + q;
                cost = cost + q * cost_rate(terms(p), q);
            }
            if gross > 0.0 {
                swing = cost / gross;
            }
        }
        swing = min(swing, fund.swing_cap);
    }
    return swing;
}

// Today's liquidation: goal, allocation, swing pricing, booking of sales and impact.
fn liquidation_liquidate(t: u32) {
    if !is_dealing_day(t) {
        return;
    }
    let nav = max(st_get(SLOT_NAV), 1e-9);
    let accepted_cash = st_get(SLOT_ACC_TODAY_CASH);
    let accepted = st_get(SLOT_ACC_TODAY);

    let cash = st_get(SLOT_CASH);
    let receivables = st_get(SLOT_RCV_TOTAL);
    let payables = st_get(SLOT_PAY_TOTAL) + accepted_cash + st_get(SLOT_ARREARS);
    let debt = st_get(SLOT_DEBT);
    // Where the funding headroom enters the goal, the terms of sale first: their pass also sums
    // the repo-eligible value the headroom needs. Elsewhere they are filled below, only where
    // something reads them.
    let funding_first = fund.funding_policy == FUNDING_FIRST;
    var need = 0.0;
    if funding_first {
        let repo = liquidation_prepare(accepted / nav);
        let headroom = headroom_from_repo(repo, nav);
        need = payables - cash - receivables - headroom;
    } else {
        need = payables + debt - cash - receivables;
    }
    let net_cash = cash + receivables - payables - debt;
    let rebuild = fund.buffer_rebuild_rate * max(fund.initial_cash * nav - net_cash, 0.0);
    let goal = max(need, 0.0) + rebuild;

    let selling = goal > 0.0;
    let books = selling || books_without_sales();
    if !funding_first && books {
        _ = liquidation_prepare(accepted / nav);
    }
    if selling {
        liquidation_caps(t);
        if fund.strategy == STRATEGY_WATERFALL {
            waterfall(goal);
        } else if fund.strategy == STRATEGY_PRO_RATA {
            pro_rata(goal);
        } else if fund.strategy == STRATEGY_BALANCED {
            balanced(goal);
        } else {
            min_cost(goal);
        }
    }

    let swing = swing_factor(accepted, nav, selling);
    let payable = accepted_cash * (1.0 - swing);
    let pay_slot = lay.payables + (t + fund.redemption_settlement) % lay.ring;
    st_add(pay_slot, payable);
    st_add(SLOT_PAY_TOTAL, payable);
    st_add(SLOT_SWING_INCOME, accepted_cash * swing);
    st_add(SLOT_NAV_PNL, -payable);
    st_add(SLOT_CUM_ACC_CASH, payable);
    var scale = 0.0;
    if selling {
        scale = min(max((goal - accepted_cash * swing) / goal, 0.0), 1.0);
    }

    let perm_on = on(SWITCH_PERM_IMPACT);
    let own_only = on(SWITCH_OWN_IMPACT_ONLY);
    // With nothing to sell every sale is zero: skipped where that books nothing.
    if books {
        for (var p = 0u; p < lay.n_positions; p++) {
            let k = terms(p);
            let price = st_get(lay.price + p);
            let q = max(min(st_get(lay.lq_sale + p) * scale, st_get(lay.hold + p) * price), 0.0);
            let i = impact(k, q);
            if q > 0.0 {
                let spread_cost = q * k.half_spread;
                let impact_cost = q * i;
                let proceeds = q - spread_cost - impact_cost;
                let pos = positions[p];
                if pos.lag == 0u {
                    st_add(SLOT_CASH, proceeds);
                } else {
                    st_add(lay.receivables + (t + pos.lag) % lay.ring, proceeds);
                    st_add(SLOT_RCV_TOTAL, proceeds);
                }
                st_add(lay.hold + p, -q / price);
                st_add(SLOT_COST_SPREAD, spread_cost);
                st_add(SLOT_COST_IMPACT, impact_cost);
                st_add(SLOT_NAV_PNL, -(spread_cost + impact_cost));
                if pos.tier == TIER_NONE {
                    st_add(SLOT_PORTFOLIO_SOLD, q);
                }
                st_set(lay.last_sale + p, q);
            }
            if own_only {
                // Only the fund's own increment `J = phi (I(q + crowd) - I(crowd))`.
                if perm_on && q > 0.0 {
                    let j = fund.perm_fraction * (i - impact(k, 0.0));
                    st_set(lay.perm + p, max(j, 0.0));
                }
            } else {
                var crowd = k.offset;
                if fund.impact_model == IMPACT_ADAPTIVE {
                    crowd = crowd - st_get(lay.adapt + p);
                }
                if perm_on && (q > 0.0 || crowd > 0.0) {
                    st_set(lay.perm + p, fund.perm_fraction * i);
                }
            }
        }
    }
    ledger_repay();
}

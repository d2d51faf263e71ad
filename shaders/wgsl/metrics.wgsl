// Stage 5 of a day: end-of-day valuation, the 14 early-warning indicators, the stress composite
// for tomorrow's signals, and the output accumulators (MODEL.md sections 5 and 6).
//
// Rust twin: `kernel/src/metrics.rs`.

const SPREAD_INDEX_FULL: f32 = 20.0;
const DRAWDOWN_FULL: f32 = 0.2;
const OUTFLOW_FULL: f32 = 0.1;
const LCR_DAYS: u32 = 30u;
const TOP_N: u32 = 10u;
const IND_FUNDING_HEADROOM: u32 = 13u;
const THRESHOLD_MARGIN: f32 = 1e-5;

// Whether `v` is beyond `thr` (above, or below when `below`) by more than the margin.
fn beyond(v: f32, thr: f32, below: bool) -> bool {
    let margin = THRESHOLD_MARGIN * abs(thr);
    if below {
        return v < thr - margin;
    } else {
        return v > thr + margin;
    }
}

// Whether indicator `k` at value `v` breaches `threshold`, as the kernel records it; the
// funding-headroom indicator never breaches without funding (twin of `metrics::breaches`).
fn breaches(k: u32, v: f32, threshold: f32) -> bool {
    if k == IND_FUNDING_HEADROOM && (!on(SWITCH_FUNDING) || fund.funding_policy == FUNDING_NEVER) {
        return false;
    }
    var breach_below = BREACH_BELOW;
    return beyond(v, threshold, breach_below[k]);
}

// Reported horizons (twin of `kernel::params::HORIZONS`).
const HORIZONS = array<u32, 4>(1u, 7u, 30u, 90u);
// Whether each indicator breaches below its threshold (twin of `indicator::BREACH_BELOW`).
const BREACH_BELOW = array<bool, 14>(false, false, false, false, false, false, true, true, true, false, false, false, false, true);

fn first_day(at: u32, t: u32) {
    if st_get(at) < 0.0 {
        st_set(at, f32(t));
    }
}

// Records day `t`.
fn metrics_record(t: u32) {
    let r_set = fund.redemption_settlement;
    // One pass over the positions for every per-position sum of the day's end (the Rust twin's
    // order: each sum in position order).
    let g = st_get(SLOT_G);
    var w_sum = 0.0;
    var spread_ix = 0.0;
    var volume_ix = 0.0;
    var depth_ix = 0.0;
    var buffer = 0.0;
    var illiquid = 0.0;
    var lcr_sellable = 0.0;
    var holdings = 0.0;
    var alr_sellable = 0.0;
    var repo = 0.0;
    var capacity = fund.initial_cash;
    for (var p = 0u; p < lay.n_positions; p++) {
        let pos = positions[p];
        let m = market_state(pos, g);
        let price = st_get(lay.price + p);
        let value = st_get(lay.hold + p) * price;
        holdings = holdings + value;
        let w = pos.weight;
        let v0 = pos.adv;
        w_sum = w_sum + w;
        spread_ix = spread_ix + w * (m.spread / max(pos.spread, 1e-12) - 1.0);
        volume_ix = volume_ix + w * (1.0 - m.volume / max(v0, 1e-12));
        // Depth relative to the day's volume (MODEL.md): the volume cut is the volume index.
        depth_ix = depth_ix + w * SC.depth_cut[pos.asset_class] * g;
        if pos.tier != TIER_NONE {
            buffer = buffer + value;
            capacity = capacity + w * price * (1.0 - 0.5 * m.spread);
        }
        if (pos.flags & PFLAG_ILLIQUID) != 0u {
            illiquid = illiquid + value;
        }
        lcr_sellable = lcr_sellable + sellable_within(p, LCR_DAYS, g);
        alr_sellable = alr_sellable + sellable_within(p, r_set, g);
        repo = repo + repo_value(pos.flags, value);
    }
    w_sum = max(w_sum, 1e-12);
    spread_ix = min(spread_ix / w_sum / (SPREAD_INDEX_FULL - 1.0), 1.0);
    volume_ix = volume_ix / w_sum;
    depth_ix = depth_ix / w_sum;

    let nav_now = nav_from(holdings);
    let nav_safe = max(nav_now, 1e-9);
    st_set(SLOT_NAV, nav_now);
    let shares = st_get(SLOT_SHARES);
    let nu = nav_now / max(shares, 1e-12);
    let peak = max(st_get(SLOT_NU_PEAK), nu);
    st_set(SLOT_NU_PEAK, peak);
    let drawdown = max(1.0 - nu / peak, 0.0);
    st_set(SLOT_MAX_DD, max(st_get(SLOT_MAX_DD), drawdown));
    st_set(SLOT_NU, nu);

    let cash = st_get(SLOT_CASH);
    let receivables = st_get(SLOT_RCV_TOTAL);
    let payables = st_get(SLOT_PAY_TOTAL) + st_get(SLOT_ARREARS);
    let headroom = headroom_from_repo(repo, nav_now);
    let alr_now = alr_from(t, alr_sellable, headroom);
    st_set(SLOT_ALR_PREV, alr_now);
    st_set(SLOT_MIN_ALR, min(st_get(SLOT_MIN_ALR), alr_now));
    st_set(SLOT_MIN_CASH, min(st_get(SLOT_MIN_CASH), cash / nav_safe));
    st_set(SLOT_GATE_PREV, st_get(SLOT_GATE_TODAY));
    let buffer_share = (cash + buffer) / nav_safe;
    let illiquid_share = illiquid / nav_safe;
    st_set(SLOT_ILLIQUID_SHARE, illiquid_share);
    if illiquid_share > fund.illiquid_limit {
        first_day(SLOT_FIRST_ILLIQUID, t);
    }

    // Exhausted once less than the operating minimum of it is left.
    let usable = capacity - fund.buffer_exhausted_level;
    if st_get(SLOT_CUM_ACC_CASH) > usable * (1.0 + 1e-6) {
        first_day(SLOT_BUFFER_EXHAUSTED, t);
    }

    var queued = 0.0;
    for (var h = 0u; h < lay.n_holders; h++) {
        queued = queued + st_get(lay.due + h) + st_get(lay.queued + h);
    }
    let queued_value = queued * nu;
    var top = 0.0;
    var hhi = 0.0;
    for (var i = 0u; i < fund.n_large; i++) {
        let s = st_get(lay.held + n_segments() + i) / max(shares, 1e-12);
        if i < TOP_N {
            top = top + s;
        }
        hhi = hhi + s * s;
    }

    let req_today = st_get(lay.req_trail + t % TRAIL);
    let acc_today = st_get(lay.acc_trail + t % TRAIL);
    let requests_5d = (trailing(lay.req_trail, t, 4u) + req_today) / nav_safe;
    let requests_30d = (trailing(lay.req_trail, t, 29u) + req_today) / nav_safe;
    let outflow_5d = (trailing(lay.acc_trail, t, 4u) + acc_today) / nav_safe;
    let lcr_den = queued_value + payables + requests_30d * nav_safe;
    var lcr = ALR_CAP;
    if lcr_den > 1e-9 {
        lcr = min((cash + receivables + lcr_sellable) / lcr_den, ALR_CAP);
    }

    var values = array<f32, 14>(
        requests_5d,
        requests_30d,
        queued_value / nav_safe,
        st_get(SLOT_LARGE_NOTICES),
        top,
        hhi,
        buffer_share,
        alr_now,
        lcr,
        spread_ix,
        volume_ix,
        depth_ix,
        drawdown,
        headroom / nav_safe,
    );
    for (var k = 0u; k < N_INDICATORS; k++) {
        if breaches(k, values[k], fund.indicator_thresholds[k]) {
            first_day(SLOT_EW_FIRST + k, t);
        }
    }

    var w_total = 0.0;
    for (var k = 0u; k < N_STRESS_COMPONENTS; k++) {
        w_total = w_total + fund.stress_weights[k];
    }
    var components = array<f32, 6>(
        spread_ix,
        volume_ix,
        depth_ix,
        min(drawdown / DRAWDOWN_FULL, 1.0),
        min(outflow_5d / OUTFLOW_FULL, 1.0),
        SC.funding_shock * g,
    );
    var stress = 0.0;
    for (var k = 0u; k < N_STRESS_COMPONENTS; k++) {
        stress = stress + fund.stress_weights[k] * components[k];
    }
    if w_total > 0.0 {
        stress = stress / w_total;
    }
    st_set(SLOT_STRESS_PREV, stress);

    // Gate days count dealing days gated (the flag persists between them).
    let gated = st_get(SLOT_GATE_TODAY) > 0.0;
    if gated && is_dealing_day(t) {
        st_add(SLOT_GATE_DAYS, 1.0);
        first_day(SLOT_FIRST_GATE, t);
    }
    // Liquidity event from outcomes: shortfall, 5-day outflow or NAV drawdown beyond their levels.
    let shortfall = st_get(SLOT_SHORTFALL_TODAY) > 0.0;
    let dd_event = fund.event_drawdown > 0.0 && drawdown > fund.event_drawdown;
    if shortfall || outflow_5d > fund.event_outflow_5d || dd_event {
        first_day(SLOT_EVENT_DAY, t);
    }
    var horizons = HORIZONS;
    for (var k = 0u; k < 4u; k++) {
        let h = horizons[k];
        if t + 1u == h || (t + 1u == fund.horizon && h > fund.horizon) {
            snapshot_horizon(k);
        }
    }
    st_set(SLOT_NU_PREV, nu);
}

fn snapshot_horizon(k: u32) {
    st_set(SLOT_CUM_OUTFLOW + k, st_get(SLOT_ACCEPTED));
    st_set(SLOT_CUM_REQUESTED + k, st_get(SLOT_REQUESTED));
    st_set(SLOT_CUM_COST + k, st_get(SLOT_COST_SPREAD) + st_get(SLOT_COST_IMPACT));
}

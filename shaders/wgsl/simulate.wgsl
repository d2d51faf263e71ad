// One scenario from day 0 to the horizon: the initial state, one entry point per stage of a day
// (the host records one dispatch per stage per simulated day, all in one submission), and the
// output record. `whole_run_main` runs every day in one dispatch: a diagnostic that, for a large
// enough fund, exceeds lavapipe's 65,535-iteration loop cap, so tests can show the comparison
// catching the silently truncated loops.
//
// Rust twin: `kernel/src/simulate.rs`.

const WORKGROUP: u32 = 64u;

// The state at day 0.
fn init_state() {
    for (var i = 0u; i < lay.len; i++) {
        st_set(i, 0.0);
    }
    st_set(SLOT_CASH, fund.initial_cash);
    st_set(SLOT_SHARES, 1.0);
    st_set(SLOT_NAV, 1.0);
    st_set(SLOT_NU, 1.0);
    st_set(SLOT_NU_PEAK, 1.0);
    st_set(SLOT_NU_PREV, 1.0);
    st_set(SLOT_ALR_PREV, ALR_CAP);
    st_set(SLOT_NAV_PNL, 1.0);
    st_set(SLOT_MIN_ALR, ALR_CAP);
    st_set(SLOT_MIN_CASH, fund.initial_cash);
    st_set(SLOT_FIRST_GATE, NEVER);
    st_set(SLOT_FIRST_SHORTFALL, NEVER);
    st_set(SLOT_BUFFER_EXHAUSTED, NEVER);
    st_set(SLOT_FIRST_ILLIQUID, NEVER);
    st_set(SLOT_EVENT_DAY, NEVER);
    for (var k = 0u; k < N_INDICATORS; k++) {
        st_set(SLOT_EW_FIRST + k, NEVER);
    }
    for (var p = 0u; p < lay.n_positions; p++) {
        st_set(lay.hold + p, positions[p].weight);
        st_set(lay.price + p, 1.0);
    }
    for (var s = 0u; s < fund.n_segments; s++) {
        st_set(lay.held + s, segments[s].share);
    }
    for (var i = 0u; i < fund.n_large; i++) {
        st_set(lay.held + fund.n_segments + i, large[i].stake);
    }
    // The audit starts from the balance sheet as built (weights plus cash, 1 up to rounding).
    st_set(SLOT_NAV_PNL, nav());
}

// One simulated day, in MODEL.md 3.7's order (the diagnostic single-dispatch path).
fn day(t: u32) {
    market_advance(t);
    ledger_settle(t);
    investors_requests(t);
    policy_deal(t);
    liquidation_liquidate(t);
    metrics_record(t);
}

// The output record from the final state.
fn finish() -> ScenarioOutput {
    let nu = st_get(SLOT_NU);
    var deferred = 0.0;
    for (var h = 0u; h < lay.n_holders; h++) {
        deferred = deferred + st_get(lay.due + h) + st_get(lay.queued + h);
    }
    var mtm = 0.0;
    for (var p = 0u; p < lay.n_positions; p++) {
        let value = st_get(lay.hold + p) * st_get(lay.price + p);
        // A position sold out carries no mark-to-market loss, and 0 * exp(large) would be NaN.
        if (value > 0.0) {
            // Own impact still in the price at the horizon: permanent, transient, not yet shown.
            let own = st_get(lay.perm_cum + p) + st_get(lay.trans + p) + st_get(lay.perm + p);
            mtm = mtm + value * exp(own) - value;
        }
    }
    let cost = st_get(SLOT_COST_SPREAD) + st_get(SLOT_COST_IMPACT);
    var o: ScenarioOutput;
    o.requested = st_get(SLOT_REQUESTED);
    o.accepted = st_get(SLOT_ACCEPTED);
    o.paid = st_get(SLOT_PAID);
    o.deferred_end = deferred * nu;
    o.gate_days = st_get(SLOT_GATE_DAYS);
    o.first_gate_day = st_get(SLOT_FIRST_GATE);
    o.shortfall = st_get(SLOT_SHORTFALL_PEAK);
    o.first_shortfall_day = st_get(SLOT_FIRST_SHORTFALL);
    o.suspended = select(0.0, 1.0, st_get(SLOT_FIRST_SHORTFALL) >= 0.0);
    o.cost_spread = st_get(SLOT_COST_SPREAD);
    o.cost_impact = st_get(SLOT_COST_IMPACT);
    o.mtm_loss = mtm;
    o.nav_end = nu;
    o.max_drawdown = st_get(SLOT_MAX_DD);
    o.min_alr = st_get(SLOT_MIN_ALR);
    o.min_cash = st_get(SLOT_MIN_CASH);
    o.buffer_exhausted_day = st_get(SLOT_BUFFER_EXHAUSTED);
    o.peak_funding = st_get(SLOT_PEAK_FUNDING);
    o.swing_income = st_get(SLOT_SWING_INCOME);
    o.dilution = max(cost - st_get(SLOT_SWING_INCOME), 0.0);
    o.illiquid_end = st_get(SLOT_ILLIQUID_SHARE);
    o.first_illiquid_breach_day = st_get(SLOT_FIRST_ILLIQUID);
    o.large_redeemed = st_get(SLOT_LARGE_NOTICES);
    o.event_day = st_get(SLOT_EVENT_DAY);
    o.portfolio_sold = st_get(SLOT_PORTFOLIO_SOLD);
    o.in_kind = st_get(SLOT_IN_KIND);
    o.accepted_shares = st_get(SLOT_ACC_SHARES);
    o.funding_cost = st_get(SLOT_FUNDING_COST);
    o.debt_end = st_get(SLOT_DEBT);
    for (var k = 0u; k < 4u; k++) {
        o.cum_outflow[k] = st_get(SLOT_CUM_OUTFLOW + k);
        o.cum_requested[k] = st_get(SLOT_CUM_REQUESTED + k);
        o.cum_cost[k] = st_get(SLOT_CUM_COST + k);
    }
    for (var k = 0u; k < N_INDICATORS; k++) {
        o.ew_first_breach[k] = st_get(SLOT_EW_FIRST + k);
    }
    return o;
}

@compute @workgroup_size(64)
fn init_main(@builtin(global_invocation_id) gid: vec3<u32>) {
    if bind_scenario(gid.x) {
        init_state();
    }
}

@compute @workgroup_size(64)
fn market_main(@builtin(global_invocation_id) gid: vec3<u32>) {
    if bind_scenario(gid.x) {
        market_advance(dispatch.day);
    }
}

@compute @workgroup_size(64)
fn ledger_main(@builtin(global_invocation_id) gid: vec3<u32>) {
    if bind_scenario(gid.x) {
        ledger_settle(dispatch.day);
    }
}

@compute @workgroup_size(64)
fn investors_main(@builtin(global_invocation_id) gid: vec3<u32>) {
    if bind_scenario(gid.x) {
        investors_requests(dispatch.day);
    }
}

@compute @workgroup_size(64)
fn policy_main(@builtin(global_invocation_id) gid: vec3<u32>) {
    if bind_scenario(gid.x) {
        policy_deal(dispatch.day);
    }
}

@compute @workgroup_size(64)
fn liquidation_main(@builtin(global_invocation_id) gid: vec3<u32>) {
    if bind_scenario(gid.x) {
        liquidation_liquidate(dispatch.day);
    }
}

@compute @workgroup_size(64)
fn metrics_main(@builtin(global_invocation_id) gid: vec3<u32>) {
    if bind_scenario(gid.x) {
        metrics_record(dispatch.day);
    }
}

@compute @workgroup_size(64)
fn finish_main(@builtin(global_invocation_id) gid: vec3<u32>) {
    if bind_scenario(gid.x) {
        outputs[gid.x] = finish();
    }
}

// Diagnostic: `dispatch.days` days from `dispatch.day` in one invocation.
@compute @workgroup_size(64)
fn whole_run_main(@builtin(global_invocation_id) gid: vec3<u32>) {
    if bind_scenario(gid.x) {
        for (var t = dispatch.day; t < dispatch.day + dispatch.days; t++) {
            day(t);
        }
    }
}

// Stage 3 of a dealing day: the gate check, acceptance of due redemptions, in-kind payment
// (MODEL.md sections 1.4 and 3.7, steps 3 to 5).
//
// Rust twin: `kernel/src/policy.rs`.

// Whether the gate triggers fire today, by the fund's rule.
fn gate_triggered(t: u32, alr_now: f32) -> bool {
    let enabled = fund.gate_triggers & (GATE_REDEMPTIONS_30D | GATE_ALR | GATE_STRESS);
    if !on(SWITCH_GATES) || enabled == 0u {
        return false;
    }
    let nav = max(st_get(SLOT_NAV), 1e-9);
    let requests_30d = (trailing(lay.req_trail, t, 29u) + st_get(lay.req_trail + t % TRAIL)) / nav;
    var fired = 0u;
    if beyond(requests_30d, fund.gate_redemptions_30d, false) {
        fired |= GATE_REDEMPTIONS_30D;
    }
    if beyond(alr_now, fund.gate_alr, true) {
        fired |= GATE_ALR;
    }
    if beyond(st_get(SLOT_STRESS_PREV), fund.gate_stress, false) {
        fired |= GATE_STRESS;
    }
    fired &= enabled;
    if fund.gate_rule == GATE_RULE_ALL {
        return fired == enabled;
    } else {
        return fired != 0u;
    }
}

// Shares of holder `h` eligible today: what is due, within the investor-level cap.
fn eligible(h: u32) -> f32 {
    let e = st_get(lay.due + h);
    if on(SWITCH_INVESTOR_GATE) && h >= n_segments() {
        return min(e, fund.gate_investor_cap * st_get(lay.held + h));
    } else {
        return e;
    }
}

// Deals today's due redemptions: gate, acceptance, share cancellation and in-kind payment.
fn policy_deal(t: u32) {
    st_set(SLOT_ACC_TODAY_CASH, 0.0);
    st_set(SLOT_ACC_TODAY, 0.0);
    // Between dealing days the gate flag keeps the last dealing day's decision.
    if !is_dealing_day(t) {
        return;
    }
    st_set(SLOT_GATE_TODAY, 0.0);
    let nav = st_get(SLOT_NAV);
    let nu = st_get(SLOT_NU);
    // The ALR (a pass over the positions) only where a gate trigger reads it (`policy::deal`,
    // whose `reads_alr` this is; the GPU follows no shadows, so their condition has no twin here).
    var alr_now = ALR_CAP;
    if on(SWITCH_GATES) && (fund.gate_triggers & GATE_ALR) != 0u {
        alr_now = alr(t, nav);
    }

    var gated = gate_triggered(t, alr_now);
    if gated {
        st_set(SLOT_GATE_DAYS_LEFT, f32(fund.gate_min_days));
    } else if st_get(SLOT_GATE_DAYS_LEFT) > 0.0 {
        gated = true;
    }
    if st_get(SLOT_GATE_DAYS_LEFT) > 0.0 {
        st_add(SLOT_GATE_DAYS_LEFT, -1.0);
    }

    var eligible_total = 0.0;
    for (var h = 0u; h < lay.n_holders; h++) {
        eligible_total = eligible_total + eligible(h);
    }
    if eligible_total <= 0.0 {
        st_set(SLOT_GATE_TODAY, select(0.0, 1.0, gated));
        return;
    }
    var fraction = 1.0;
    if gated {
        let cap_shares = fund.gate_cap * nav / nu;
        fraction = min(cap_shares / eligible_total, 1.0);
        st_set(SLOT_GATE_TODAY, 1.0);
    }

    let in_kind = on(SWITCH_IN_KIND);
    var accepted_shares = 0.0;
    var in_kind_value = 0.0;
    for (var h = 0u; h < lay.n_holders; h++) {
        let a = eligible(h) * fraction;
        st_add(lay.due + h, -a);
        st_add(lay.held + h, -a);
        accepted_shares = accepted_shares + a;
        let value = a * nu;
        if in_kind && h >= n_segments() && value > fund.in_kind_threshold * nav {
            in_kind_value = in_kind_value + value;
        }
    }
    let accepted = accepted_shares * nu;
    st_add(SLOT_SHARES, -accepted_shares);
    st_add(SLOT_ACC_SHARES, accepted_shares);
    st_add(SLOT_ACCEPTED, accepted);
    st_add(lay.acc_trail + t % TRAIL, accepted);
    st_set(SLOT_ACC_TODAY, accepted);

    // The holdings are valued only when something was found to pay in kind.
    var holdings = 0.0;
    if in_kind_value != 0.0 {
        holdings = holdings_value();
        in_kind_value = min(in_kind_value, holdings);
    }
    if in_kind_value > 0.0 {
        let slice = in_kind_value / holdings;
        for (var p = 0u; p < lay.n_positions; p++) {
            let h = st_get(lay.hold + p);
            st_set(lay.hold + p, h * (1.0 - slice));
        }
        st_add(SLOT_IN_KIND, in_kind_value);
        st_add(SLOT_PAID, in_kind_value);
        st_add(SLOT_NAV_PNL, -in_kind_value);
    }
    st_set(SLOT_ACC_TODAY_CASH, accepted - in_kind_value);
}

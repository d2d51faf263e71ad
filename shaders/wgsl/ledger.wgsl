// The ledger (MODEL.md section 3.4): valuation, settlement of receivables, payment of due
// redemptions, funding draws and repayment, shortfall and arrears.
//
// Rust twin: `kernel/src/ledger.rs`.

const MONEY_EPS: f32 = 1e-7;
const ALR_CAP: f32 = 100.0;

// Value of all holdings at today's prices.
fn holdings_value() -> f32 {
    var v = 0.0;
    for (var p = 0u; p < lay.n_positions; p++) {
        v = v + st_get(lay.hold + p) * st_get(lay.price + p);
    }
    return v;
}

// Receivables settling on days `t..=t+days`.
fn receivables_within(t: u32, days: u32) -> f32 {
    var s = 0.0;
    for (var j = 0u; j <= min(days, lay.ring - 1u); j++) {
        s = s + st_get(lay.receivables + (t + j) % lay.ring);
    }
    return s;
}

// NAV = cash + holdings + receivables - payables - arrears - debt.
fn nav() -> f32 {
    return nav_from(holdings_value());
}

// `nav` from the holdings' value (summed in position order, as `holdings_value` does).
fn nav_from(holdings: f32) -> f32 {
    return st_get(SLOT_CASH) + holdings + st_get(SLOT_RCV_TOTAL)
        - st_get(SLOT_PAY_TOTAL)
        - st_get(SLOT_ARREARS)
        - st_get(SLOT_DEBT);
}

// Whether the fund can borrow at all.
fn has_funding() -> bool {
    return on(SWITCH_FUNDING) && fund.funding_policy != FUNDING_NEVER;
}

// A position's value as it counts towards repo: its value when repo-eligible, else 0.
fn repo_value(flags: u32, value: f32) -> f32 {
    if (flags & PFLAG_REPO_ELIGIBLE) != 0u {
        return value;
    }
    return 0.0;
}

// Most the fund could still borrow today.
fn funding_headroom(nav_now: f32) -> f32 {
    if !has_funding() {
        return 0.0;
    }
    var repo = 0.0;
    for (var p = 0u; p < lay.n_positions; p++) {
        repo = repo + repo_value(positions[p].flags, st_get(lay.hold + p) * st_get(lay.price + p));
    }
    return headroom_from_repo(repo, nav_now);
}

// `funding_headroom` from the repo-eligible holdings' value, summed in a pass the caller makes.
fn headroom_from_repo(repo: f32, nav_now: f32) -> f32 {
    if !has_funding() {
        return 0.0;
    }
    let g = st_get(SLOT_G);
    let access = max(1.0 - SC.funding_shock * g, 0.0);
    let haircut = min(fund.repo_haircut + SC.haircut_addon * g, 1.0);
    let available = (fund.credit_line + repo * (1.0 - haircut)) * access;
    let limit = min(available, fund.borrowing_cap * max(nav_now, 0.0));
    return max(limit - st_get(SLOT_DEBT), 0.0);
}

// Settles today's receivables, charges interest, pays today's payables and the arrears, bridges a
// gap with funding where policy allows, and records a shortfall otherwise.
fn ledger_settle(t: u32) {
    let r = lay.receivables + t % lay.ring;
    st_add(SLOT_CASH, st_get(r));
    st_add(SLOT_RCV_TOTAL, -st_get(r));
    st_set(r, 0.0);

    let interest = st_get(SLOT_DEBT) * fund.funding_rate;
    st_add(SLOT_CASH, -interest);
    st_add(SLOT_FUNDING_COST, interest);
    st_add(SLOT_NAV_PNL, -interest);

    let pay = lay.payables + t % lay.ring;
    let due = st_get(pay) + st_get(SLOT_ARREARS);
    st_add(SLOT_PAY_TOTAL, -st_get(pay));
    st_set(pay, 0.0);
    let cash = st_get(SLOT_CASH);
    let from_cash = min(due, max(cash, 0.0));
    var gap = due - from_cash;
    st_set(SLOT_CASH, cash - from_cash);
    st_add(SLOT_PAID, from_cash);
    // The unpaid part stays a liability while funding is sought.
    st_set(SLOT_ARREARS, gap);
    if gap > MONEY_EPS {
        let nav_now = nav();
        let draw = min(gap, funding_headroom(nav_now));
        st_add(SLOT_DEBT, draw);
        st_add(SLOT_PAID, draw);
        gap = gap - draw;
    }
    // What is still unpaid stays owed; only an amount above the noise floor is a shortfall.
    st_set(SLOT_ARREARS, gap);
    if gap > MONEY_EPS {
        st_set(SLOT_SHORTFALL_TODAY, 1.0);
        if st_get(SLOT_SHORTFALL_PEAK) < gap {
            st_set(SLOT_SHORTFALL_PEAK, gap);
        }
        if st_get(SLOT_FIRST_SHORTFALL) < 0.0 {
            st_set(SLOT_FIRST_SHORTFALL, f32(t));
        }
    } else {
        st_set(SLOT_SHORTFALL_TODAY, 0.0);
    }
    let peak = max(st_get(SLOT_PEAK_FUNDING), st_get(SLOT_DEBT));
    st_set(SLOT_PEAK_FUNDING, peak);
}

// Repays debt from cash that no payable or arrears is waiting for.
fn ledger_repay() {
    let debt = st_get(SLOT_DEBT);
    if debt <= 0.0 {
        return;
    }
    let spare = st_get(SLOT_CASH) - st_get(SLOT_PAY_TOTAL) - st_get(SLOT_ARREARS);
    let repay = min(debt, max(spare, 0.0));
    st_add(SLOT_DEBT, -repay);
    st_add(SLOT_CASH, -repay);
}

// Net proceeds the fund could raise from position `p` within `days` days at the participation cap.
fn sellable_within(p: u32, days: u32, g: f32) -> f32 {
    let pos = positions[p];
    if pos.window > 1u || pos.lag > days {
        return 0.0;
    }
    let m = market_state(pos, g);
    let value = st_get(lay.hold + p) * st_get(lay.price + p);
    let sale_days = f32(days - pos.lag + 1u);
    let gross = min(value, fund.participation_cap * m.volume * sale_days);
    return gross * (1.0 - 0.5 * m.spread);
}

// Available liquidity ratio: one pass for the sellable proceeds and the repo-eligible value.
fn alr(t: u32, nav_now: f32) -> f32 {
    let r_set = fund.redemption_settlement;
    let g = st_get(SLOT_G);
    var sellable = 0.0;
    var repo = 0.0;
    for (var p = 0u; p < lay.n_positions; p++) {
        sellable = sellable + sellable_within(p, r_set, g);
        repo = repo + repo_value(positions[p].flags, st_get(lay.hold + p) * st_get(lay.price + p));
    }
    return alr_from(t, sellable, headroom_from_repo(repo, nav_now));
}

// `alr` from the sellable proceeds within the redemption settlement and the funding headroom.
fn alr_from(t: u32, sellable: f32, headroom: f32) -> f32 {
    let r_set = fund.redemption_settlement;
    let num = st_get(SLOT_CASH)
        + receivables_within(t, r_set)
        + headroom
        + sellable;
    var due_shares = 0.0;
    for (var h = 0u; h < lay.n_holders; h++) {
        due_shares = due_shares + st_get(lay.due + h);
    }
    let den = due_shares * st_get(SLOT_NU) + st_get(SLOT_PAY_TOTAL) + st_get(SLOT_ARREARS);
    if den > 1e-9 {
        return min(num / den, ALR_CAP);
    } else {
        return ALR_CAP;
    }
}

// Stage 2 of a day: valuation, the feedback signals and new redemption requests from segments,
// large investors and scripted events (MODEL.md sections 3.5 and 3.6).
//
// Rust twin: `kernel/src/investors.rs`.

struct Signals {
    drawdown: f32,
    outflow_5d: f32,
    liquidity: f32,
    stress: f32,
}

// Sum of the last `days` entries of a trailing ring, ending yesterday (`t - 1`).
fn trailing(base: u32, t: u32, days: u32) -> f32 {
    var s = 0.0;
    for (var j = 1u; j <= min(days, t); j++) {
        s = s + st_get(base + (t - j) % TRAIL);
    }
    return s;
}

// Proximity of a value to its gate trigger: `clamp((r - c0) / (1 - c0), 0, 1)`.
fn proximity(r: f32, c0: f32) -> f32 {
    let span = max(1.0 - c0, 1e-6);
    return min(max((r - c0) / span, 0.0), 1.0);
}

// Liquidity concern from the proximity to the fund's enabled gate triggers, from the end of the
// previous day.
fn trigger_concern(t: u32, nav_prev: f32) -> f32 {
    let c0 = fund.concern_start;
    var concern = 0.0;
    if (fund.gate_triggers & GATE_REDEMPTIONS_30D) != 0u {
        let requests_30d = trailing(lay.req_trail, t, 30u) / nav_prev;
        let r = requests_30d / max(fund.gate_redemptions_30d, 1e-6);
        concern = max(concern, proximity(r, c0));
    }
    if (fund.gate_triggers & GATE_ALR) != 0u {
        let r = fund.gate_alr / max(st_get(SLOT_ALR_PREV), 1e-9);
        concern = max(concern, proximity(r, c0));
    }
    if (fund.gate_triggers & GATE_STRESS) != 0u {
        let r = st_get(SLOT_STRESS_PREV) / max(fund.gate_stress, 1e-6);
        concern = max(concern, proximity(r, c0));
    }
    return concern;
}

// The signals at the start of day `t`.
fn signals(t: u32) -> Signals {
    let nu_prev = st_get(SLOT_NU_PREV);
    let peak = st_get(SLOT_NU_PEAK);
    let drawdown = max(1.0 - nu_prev / peak, 0.0);
    let nav_prev = nav_prev();
    let outflow_5d = trailing(lay.acc_trail, t, 5u) / nav_prev;
    return Signals(drawdown, outflow_5d, liquidity_concern(t, nav_prev), st_get(SLOT_STRESS_PREV));
}

// The liquidity-concern signal at the start of day `t` (`nav_prev`: yesterday's closing NAV):
// the only signal that reads the gate policy.
fn liquidity_concern(t: u32, nav_prev: f32) -> f32 {
    let gate_flag = fund.gate_concern * st_get(SLOT_GATE_PREV);
    if on(SWITCH_PROXIMITY_CONCERN) {
        return trigger_concern(t, nav_prev) + gate_flag;
    } else {
        let gate_alr = max(fund.gate_alr, 1e-6);
        return max(1.0 - st_get(SLOT_ALR_PREV) / gate_alr, 0.0) + gate_flag;
    }
}

// Yesterday's closing NAV, as the signals read it: shares change only when redemptions are
// dealt, later today.
fn nav_prev() -> f32 {
    return max(st_get(SLOT_NU_PREV) * st_get(SLOT_SHARES), 1e-9);
}

// Queues `shares` of holder `h`, due `notice` days after `t`.
fn queue_request(h: u32, shares: f32, t: u32, notice_days: u32) {
    let notice = min(notice_days + fund.fund_notice, lay.ring - 1u);
    if notice == 0u {
        st_add(lay.due + h, shares);
    } else {
        st_add(lay.queue + h * lay.ring + (t + notice) % lay.ring, shares);
        st_add(lay.queued + h, shares);
    }
    st_add(SLOT_REQ_SHARES, shares);
    let value = shares * st_get(SLOT_NU);
    st_add(SLOT_REQUESTED, value);
    st_add(lay.req_trail + t % TRAIL, value);
}

// Shares of holder `h` not already requested.
fn free_shares(h: u32) -> f32 {
    return max(st_get(lay.held + h) - st_get(lay.due + h) - st_get(lay.queued + h), 0.0);
}

// Values the fund, moves requests whose notice has run into the due pool, then draws today's
// new requests.
fn investors_requests(t: u32) {
    let nav_now = nav();
    st_set(SLOT_NAV, nav_now);
    st_set(SLOT_NU, nav_now / st_get(SLOT_SHARES));
    st_set(lay.req_trail + t % TRAIL, 0.0);
    st_set(lay.acc_trail + t % TRAIL, 0.0);

    notices_run_out(t);

    let sig = signals(t);
    let perf = select(0.0, sig.drawdown, on(SWITCH_FEEDBACK_PERF));
    let herd = select(0.0, sig.outflow_5d, on(SWITCH_FEEDBACK_HERD));
    let liq = select(0.0, sig.liquidity, on(SWITCH_FEEDBACK_LIQ));
    let stress = select(0.0, sig.stress * SC.redemption_severity, on(SWITCH_FEEDBACK_STRESS));
    // Base redemption pressure: `m_k`, or with stress flows `m(t) = 1 + (m_k - 1) g(t)`.
    let g = st_get(SLOT_G);
    let stress_flows = on(SWITCH_STRESS_FLOWS);
    var base = 0.0;
    if !on(SWITCH_BASE_FLOWS) {
        base = 0.0;
    } else if stress_flows {
        base = 1.0 + (SC.redemption_mult - 1.0) * g;
    } else {
        base = SC.redemption_mult;
    }
    var large_mult = SC.large_mult;
    if stress_flows {
        large_mult = 1.0 + (SC.large_mult - 1.0) * g;
    }
    let is_noisy = noisy();

    // Segment flow noise: normal `s` of the day's flow stream, four to a Philox block.
    var flow_block = vec4<f32>(0.0);
    for (var s = 0u; s < n_segments(); s++) {
        let seg = segments[s];
        if is_noisy && s % 4u == 0u {
            flow_block = normals(vec4<u32>(SCENARIO, t, STREAM_FLOWS, s / 4u), KEY, n_segments() - s);
        }
        let z = flow_block[s % 4u];
        var rate = base * seg.base_rate
            + seg.beta_perf * perf
            + seg.beta_herd * herd
            + seg.beta_liq * liq
            + seg.beta_stress * stress
            + seg.flow_vol * z;
        rate = min(max(rate, 0.0), fund.lam_max);
        let shares = rate * free_shares(s);
        if shares > 0.0 {
            queue_request(s, shares, t, seg.notice);
        }
    }

    // Large investors' own decisions are random draws: a scripted scenario has none (its script
    // says who redeems).
    if on(SWITCH_LARGE_INVESTORS) && is_noisy {
        let base_large = base * large_mult;
        // Large investor `i` draws uniform `i` of the day's stream, four to a Philox block.
        var draws = vec4<u32>(0u);
        for (var i = 0u; i < fund.n_large; i++) {
            if i % 4u == 0u {
                draws = philox4x32_10(vec4<u32>(SCENARIO, t, STREAM_LARGE, i / 4u), KEY);
            }
            if st_get(lay.gone + i) > 0.0 {
                continue;
            }
            let inv = large[i];
            let intensity = base_large * inv.hazard
                + inv.beta_perf * perf
                + inv.beta_herd * herd
                + inv.beta_liq * liq
                + inv.beta_stress * stress;
            let hazard = 1.0 - exp(-max(intensity, 0.0));
            let u = uniform_f32(draws[i % 4u]);
            if u < hazard {
                let h = n_segments() + i;
                let shares = inv.fraction * free_shares(h);
                st_set(lay.gone + i, 1.0);
                st_add(SLOT_LARGE_NOTICES, 1.0);
                if shares > 0.0 {
                    queue_request(h, shares, t, inv.notice);
                }
            }
        }
    }

    scripted_requests(t);
}

// Notice run out today: the shares join the due pool (dealt on the next dealing day).
fn notices_run_out(t: u32) {
    for (var h = 0u; h < lay.n_holders; h++) {
        let q = lay.queue + h * lay.ring + t % lay.ring;
        st_add(lay.due + h, st_get(q));
        st_add(lay.queued + h, -st_get(q));
        st_set(q, 0.0);
    }
}

// The scenario's scripted redemption schedule for day `t`.
fn scripted_requests(t: u32) {
    for (var e = 0u; e < min(SC.n_events, MAX_SCRIPT_EVENTS); e++) {
        let h = SC.event_holder[e];
        if SC.event_day[e] == t && h < lay.n_holders {
            let shares = SC.event_fraction[e] * free_shares(h);
            var notice = 0u;
            if h < n_segments() {
                notice = segments[h].notice;
            } else {
                notice = large[h - n_segments()].notice;
            }
            if shares > 0.0 {
                queue_request(h, shares, t, notice);
            }
        }
    }
}

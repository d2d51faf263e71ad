//! The kernel's feedback signals (kernel/src/investors.rs `signals`, docs/model.md 3.5) computed
//! from a flow history, so that the fit, the synthetic histories and the backtest all see the same
//! numbers the kernel would:
//!
//! - drawdown `DD(t) = 1 − nu(t−1) / max_{s ≤ t−1} nu(s)` from the NAV per share;
//! - herding `OUT5(t)` = outflows dealt over the five days ending yesterday over yesterday's
//!   closing NAV (a request is dealt `notice` days after it is made; daily dealing);
//! - liquidity concern `LIQ(t)` = the proximity `clamp((r − c0)/(1 − c0), 0, 1)` to the fund's
//!   enabled gate triggers that a flow history can show: 30-day requests over NAV against
//!   `redemptions_30d`, and yesterday's stress composite against `stress`. The ALR trigger needs
//!   the portfolio's liquidity, which a flow history does not hold: it is left out, and so is the
//!   `gate_concern` flag (gates are not in the history);
//! - stress `S(t)` = yesterday's market stress composite `g(t−1)` (the kernel's `S(t−1) sev_k`
//!   with the history's composite standing in for the scenario's stress index: judgement).

use undertow_host::fund::spec::GateTrigger;
use undertow_host::fund::FundFile;

use super::history::FlowHistory;

/// The fund-file values the signals need.
#[derive(Clone, Copy, Debug)]
pub struct SignalParams {
    pub lam_max: f64,
    pub concern_start: f64,
    /// The 30-day redemptions gate trigger, when enabled.
    pub trigger_red30: Option<f64>,
    /// The stress gate trigger, when enabled.
    pub trigger_stress: Option<f64>,
}

impl SignalParams {
    pub fn from_fund(f: &FundFile) -> Self {
        let gates = &f.policy.gates;
        let on = |t: GateTrigger| gates.triggers.contains(&t);
        SignalParams {
            lam_max: f.model.lam_max,
            concern_start: f.model.concern_start,
            trigger_red30: on(GateTrigger::Redemptions30d).then_some(gates.redemptions_30d),
            trigger_stress: on(GateTrigger::Stress).then_some(gates.stress),
        }
    }
}

/// The signals at the start of a day.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Signals {
    pub drawdown: f64,
    pub outflow_5d: f64,
    pub liquidity: f64,
    pub stress: f64,
}

/// The kernel's proximity to a trigger (`investors::proximity`).
pub fn proximity(r: f64, c0: f64) -> f64 {
    let span = (1.0 - c0).max(1e-6);
    ((r - c0) / span).clamp(0.0, 1.0)
}

/// Drawdown at the start of each day from the NAV per share at each close.
pub fn drawdowns(nav: &[f64]) -> Vec<f64> {
    let mut out = Vec::with_capacity(nav.len());
    let mut peak = f64::NEG_INFINITY;
    for t in 0..nav.len() {
        if t == 0 {
            out.push(0.0);
        } else {
            peak = peak.max(nav[t - 1]);
            out.push((1.0 - nav[t - 1] / peak).max(0.0));
        }
        if t == 0 {
            peak = nav[0];
        }
    }
    out
}

/// The signals at the start of day `t`. `accepted` and `requested` are the values dealt and
/// requested each day (only days before `t` are read), `nav_prev_total` yesterday's closing NAV
/// (NAV per share times the shares held at the start of today), `g` the stress composite (days
/// before `t` read).
pub fn signals_at(
    p: &SignalParams,
    t: usize,
    drawdown: f64,
    nav_prev_total: f64,
    accepted: &[f64],
    requested: &[f64],
    g: &[f64],
) -> Signals {
    let nav_prev = nav_prev_total.max(1e-12);
    let sum = |v: &[f64], days: usize| -> f64 { (1..=days.min(t)).map(|j| v[t - j]).sum() };
    let outflow_5d = sum(accepted, 5) / nav_prev;
    let g_prev = if t >= 1 { g[t - 1] } else { 0.0 };
    let mut liquidity: f64 = 0.0;
    if let Some(level) = p.trigger_red30 {
        let r = sum(requested, 30) / nav_prev / level.max(1e-6);
        liquidity = liquidity.max(proximity(r, p.concern_start));
    }
    if let Some(level) = p.trigger_stress {
        liquidity = liquidity.max(proximity(g_prev / level.max(1e-6), p.concern_start));
    }
    Signals {
        drawdown,
        outflow_5d,
        liquidity,
        stress: g_prev,
    }
}

/// A history's fund-level record, from which every day's signals follow.
#[derive(Clone, Debug)]
pub struct FundTrack {
    pub nav: Vec<f64>,
    pub drawdown: Vec<f64>,
    /// Shares held (free plus requested and not yet dealt) at the start of each day, all holders.
    pub held_total: Vec<f64>,
    pub accepted: Vec<f64>,
    pub requested: Vec<f64>,
    pub g: Vec<f64>,
    pub signals: Vec<Signals>,
}

/// Shares requested by a holder in the `notice` days before `t` and not yet dealt.
pub fn pending(reds: &[f64], notice: usize, t: usize) -> f64 {
    (1..=notice.min(t)).map(|j| reds[t - j]).sum()
}

impl FundTrack {
    /// The record and signals of a history; `g` is the composite on the history's dates (zeros
    /// without a market file).
    pub fn new(h: &FlowHistory, g: &[f64], p: &SignalParams) -> Self {
        let n = h.len();
        let nav: Vec<f64> = (0..n).map(|t| h.nav_at(t)).collect();
        let drawdown = drawdowns(&nav);
        let mut held_total = vec![0.0; n];
        let mut accepted = vec![0.0; n];
        let mut requested = vec![0.0; n];
        for s in &h.holders {
            for t in 0..n {
                held_total[t] += s.shares[t] + pending(&s.redemptions, s.notice, t);
                requested[t] += s.redemptions[t] * nav[t];
                if t >= s.notice {
                    accepted[t] += s.redemptions[t - s.notice] * nav[t];
                }
            }
        }
        let signals = (0..n)
            .map(|t| {
                let nav_prev = nav[t.saturating_sub(1)] * held_total[t];
                signals_at(p, t, drawdown[t], nav_prev, &accepted, &requested, g)
            })
            .collect();
        FundTrack {
            nav,
            drawdown,
            held_total,
            accepted,
            requested,
            g: g.to_vec(),
            signals,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drawdown_is_from_yesterdays_nav_and_its_peak() {
        let dd = drawdowns(&[1.0, 1.2, 0.9, 1.5]);
        assert_eq!(dd[0], 0.0);
        assert_eq!(dd[1], 0.0);
        assert_eq!(dd[2], 0.0);
        assert!((dd[3] - 0.25).abs() < 1e-12);
    }

    #[test]
    fn herding_sums_five_days_ending_yesterday() {
        let p = SignalParams {
            lam_max: 0.2,
            concern_start: 0.75,
            trigger_red30: Some(0.15),
            trigger_stress: None,
        };
        let acc = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0];
        let s = signals_at(&p, 6, 0.0, 100.0, &acc, &acc, &[0.0; 7]);
        assert!((s.outflow_5d - 0.20).abs() < 1e-12, "{s:?}");
        // 30-day requests 21% of NAV: r = 1.4, past the trigger: concern 1.
        assert_eq!(s.liquidity, 1.0);
        let s = signals_at(&p, 6, 0.0, 200.0, &acc, &acc, &[0.0; 7]);
        // r = 0.7 below c0 = 0.75: no concern.
        assert_eq!(s.liquidity, 0.0);
        assert!((proximity(0.875, 0.75) - 0.5).abs() < 1e-12);
    }
}

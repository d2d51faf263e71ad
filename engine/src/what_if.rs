//! Scripted what-ifs (`undertow what-if FILE`, `undertow run --scripts FILE`): the scenarios of a
//! script file (docs/scenarios.md §8) run deterministically on the CPU reference in `f64`,
//! observed every day through the kernel's `DayView`, and reported per script: days to pay the
//! requests, cost, mark-to-market loss, gate and shortfall days and the buffer path. The results
//! go into `summary.json` (`what_if`), `report.html` (a section) and `what_if.csv`.

use std::io::Write;
use std::path::Path;

use serde::Serialize;
use undertow_host::cpu::CpuBackend;
use undertow_host::fund::Fund;
use undertow_host::scenarios::{load_script_file, ScriptedScenario};
use undertow_kernel::{tier, DayView, ScenarioOutput};

use crate::error::{Context, EngineError};

/// The what-ifs' table, one row per script.
pub const WHAT_IF_CSV: &str = "what_if.csv";

/// The seed the scripts run under. Scripted scenarios draw no noise, so it changes nothing; it
/// is fixed so that a run is reproducible by construction.
pub const WHAT_IF_SEED: u64 = 1;

/// Tolerance, as a fraction of the initial NAV, under which a remaining amount counts as paid.
pub const PAID_TOLERANCE: f64 = 1e-9;

/// One script's outcome. Money is in fractions of the initial NAV; costs in basis points of it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScriptOutcome {
    pub name: String,
    /// Redemptions requested over the horizon (value at the day's NAV per share).
    pub requested: f64,
    /// Redemptions paid (cash and in kind) over the horizon.
    pub paid: f64,
    /// First day with a request (`None`: nothing was requested).
    pub first_request_day: Option<u32>,
    /// The day by which every share requested up to the script's last scheduled redemption (a
    /// script without one: up to the last day with a request) had been accepted and paid, with no
    /// arrears left, counted cumulatively, first in first out (`None`: not paid by the horizon,
    /// or nothing requested).
    pub paid_by_day: Option<u32>,
    /// `paid_by_day - first_request_day + 1`: business days from the first request to the last
    /// payment, both included.
    pub days_to_pay: Option<u32>,
    /// Liquidation cost (spread and impact), basis points of the initial NAV.
    pub cost_bps: f64,
    /// Mark-to-market loss from the fund's own permanent impact, basis points of the initial NAV.
    pub mtm_loss_bps: f64,
    /// Days with a gate in force.
    pub gate_days: u32,
    pub first_gate_day: Option<u32>,
    /// Days with unpaid arrears (a shortfall).
    pub shortfall_days: u32,
    pub first_shortfall_day: Option<u32>,
    /// Final NAV per share over the initial.
    pub nav_end: f64,
    /// Cash plus the buffer-tier holdings (cash-like and sovereign) at the day's prices, as a
    /// fraction of the day's NAV, at the end of each day.
    pub buffer: Vec<f64>,
    pub min_buffer: f64,
    pub min_buffer_day: u32,
}

/// Every script's outcome: `summary.json`'s `what_if`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WhatIf {
    /// The script file.
    pub file: String,
    pub horizon_days: u32,
    /// What the buffer path counts (for readers of the JSON).
    pub buffer_definition: &'static str,
    pub scripts: Vec<ScriptOutcome>,
}

/// What one script's observer keeps, day by day.
#[derive(Default)]
struct Record {
    buffer: Vec<f64>,
    requested: Vec<f64>,
    req_shares: Vec<f64>,
    acc_shares: Vec<f64>,
    accepted: Vec<f64>,
    paid: Vec<f64>,
    arrears: Vec<f64>,
    gate: Vec<bool>,
    shortfall: Vec<bool>,
}

/// Reads a script file against the fund; its errors are bad input (exit 2).
pub fn load(path: &Path, fund: &Fund) -> Result<Vec<ScriptedScenario>, EngineError> {
    load_script_file(path, fund).map_err(|e| EngineError::BadInput(e.to_string()))
}

/// Runs the scripts on the CPU reference (`threads`: None = every core; the results do not
/// depend on it) and reports each.
pub fn run_scripts(
    fund: &Fund,
    file: &str,
    scripts: &[ScriptedScenario],
    threads: Option<usize>,
) -> Result<WhatIf, EngineError> {
    let cpu = CpuBackend::new(threads, 1).context(|| "starting the CPU thread pool".into())?;
    let params: Vec<_> = scripts.iter().map(|s| s.params).collect();
    let model = &fund.model;
    let buffer_positions: Vec<u32> = model
        .positions
        .iter()
        .enumerate()
        .filter(|(_, p)| p.tier == tier::CASH_LIKE || p.tier == tier::SOVEREIGN)
        .map(|(i, _)| i as u32)
        .collect();
    let (outputs, records) = cpu.run_observed::<f64, Record>(
        model,
        &params,
        0,
        WHAT_IF_SEED,
        Record::default,
        |r, v: &DayView<'_, f64>| {
            let t = v.trace();
            let tier1: f64 = buffer_positions
                .iter()
                .map(|&p| v.holding(p) * v.price(p))
                .sum();
            r.buffer.push(if t.nav > 0.0 {
                (t.cash + tier1) / t.nav
            } else {
                0.0
            });
            r.requested.push(t.requested);
            r.req_shares.push(t.requested_shares);
            r.acc_shares.push(t.accepted_shares);
            r.accepted.push(t.accepted);
            r.paid.push(t.paid);
            r.arrears.push(t.arrears);
            r.gate.push(t.gate);
            r.shortfall.push(t.shortfall);
        },
    );
    let scripts = scripts
        .iter()
        .zip(outputs.iter().zip(&records))
        .map(|(s, (o, r))| {
            let p = &s.params;
            let n = (p.n_events as usize).min(p.event_day.len());
            let last_event = p.event_day[..n].iter().copied().max();
            outcome(&s.name, last_event, o, r)
        })
        .collect();
    Ok(WhatIf {
        file: file.to_string(),
        horizon_days: model.params.horizon,
        buffer_definition:
            "(cash + cash-like and sovereign buffer-tier holdings) / NAV, end of day",
        scripts,
    })
}

fn first(flags: &[bool]) -> Option<u32> {
    flags.iter().position(|&f| f).map(|d| d as u32)
}

/// `last_event`: the script's last scheduled redemption day, if it has any.
fn outcome(name: &str, last_event: Option<u32>, o: &ScenarioOutput, r: &Record) -> ScriptOutcome {
    let days = r.requested.len();
    let tol = PAID_TOLERANCE;
    let first_request_day = r.requested.iter().position(|&x| x > tol).map(|d| d as u32);
    // Up to the last scheduled redemption (or, without a schedule, the last day a request
    // arrived), every share requested must be accepted, and the value accepted by then paid,
    // with no arrears: counted cumulatively, first in first out.
    let paid_by_day = first_request_day.and_then(|_| {
        let last_request = match last_event {
            Some(d) => (d as usize).min(days.saturating_sub(1)),
            None => (1..days)
                .rev()
                .find(|&d| r.requested[d] > r.requested[d - 1] + tol)
                .unwrap_or(0),
        };
        let shares_due = r.req_shares[last_request];
        let accepted_day = (last_request..days).find(|&d| r.acc_shares[d] >= shares_due - tol)?;
        let value_due = r.accepted[accepted_day];
        (accepted_day..days)
            .find(|&d| r.paid[d] >= value_due - tol && r.arrears[d] <= tol)
            .map(|d| d as u32)
    });
    let (min_buffer_day, min_buffer) =
        r.buffer
            .iter()
            .enumerate()
            .fold((0usize, f64::INFINITY), |(bd, b), (d, &x)| {
                if x < b {
                    (d, x)
                } else {
                    (bd, b)
                }
            });
    ScriptOutcome {
        name: name.to_string(),
        requested: *r.requested.last().unwrap_or(&0.0),
        paid: *r.paid.last().unwrap_or(&0.0),
        first_request_day,
        paid_by_day,
        days_to_pay: paid_by_day.zip(first_request_day).map(|(p, f)| p - f + 1),
        cost_bps: (o.cost_spread as f64 + o.cost_impact as f64) * 1e4,
        mtm_loss_bps: o.mtm_loss as f64 * 1e4,
        gate_days: r.gate.iter().filter(|&&g| g).count() as u32,
        first_gate_day: first(&r.gate),
        shortfall_days: r.shortfall.iter().filter(|&&s| s).count() as u32,
        first_shortfall_day: first(&r.shortfall),
        nav_end: o.nav_end as f64,
        buffer: r.buffer.clone(),
        min_buffer: if min_buffer.is_finite() {
            min_buffer
        } else {
            0.0
        },
        min_buffer_day: min_buffer_day as u32,
    }
}

/// `what_if.csv`: one row per script.
pub fn write_csv(w: &mut impl Write, what_if: &WhatIf) -> std::io::Result<()> {
    writeln!(
        w,
        "script,requested,paid,first_request_day,paid_by_day,days_to_pay,cost_bps,mtm_loss_bps,\
         gate_days,first_gate_day,shortfall_days,first_shortfall_day,nav_end,min_buffer,min_buffer_day"
    )?;
    let opt = |x: Option<u32>| x.map(|d| d.to_string()).unwrap_or_default();
    for s in &what_if.scripts {
        let name = if s.name.contains([',', '"', '\n']) {
            format!("\"{}\"", s.name.replace('"', "\"\""))
        } else {
            s.name.clone()
        };
        writeln!(
            w,
            "{name},{:.8},{:.8},{},{},{},{:.4},{:.4},{},{},{},{},{:.8},{:.8},{}",
            s.requested,
            s.paid,
            opt(s.first_request_day),
            opt(s.paid_by_day),
            opt(s.days_to_pay),
            s.cost_bps,
            s.mtm_loss_bps,
            s.gate_days,
            opt(s.first_gate_day),
            s.shortfall_days,
            opt(s.first_shortfall_day),
            s.nav_end,
            s.min_buffer,
            s.min_buffer_day
        )?;
    }
    Ok(())
}

/// `undertow what-if`: the scripts alone, with `summary.json` (fund, `what_if`), `report.html`
/// and `what_if.csv` written together into `dir` (nothing when it fails).
pub fn write_alone(dir: &Path, fund: &Fund, what_if: &WhatIf) -> Result<(), EngineError> {
    let summary = serde_json::json!({
        "tool": "undertow",
        "version": env!("CARGO_PKG_VERSION"),
        "fund": { "name": fund.name, "currency": fund.currency, "aum": fund.aum },
        "what_if": what_if,
    });
    let page =
        undertow_report::render_what_if(&summary).context(|| "rendering report.html".into())?;
    let mut out = crate::output::Pending::new(dir)?;
    out.json(crate::SUMMARY_JSON, &summary)?;
    out.file(WHAT_IF_CSV, |w| write_csv(w, what_if))?;
    out.file("report.html", |w| w.write_all(page.as_bytes()))?;
    out.commit()
}

#[cfg(test)]
mod tests {
    use super::*;
    use undertow_host::fund::example_fund;
    use undertow_host::scenarios::parse_script_file;
    use undertow_kernel::DayTrace;

    const SCHEDULE: &str = "[[script]]\nname = \"schedule\"\nredemption_mult = 0\nlarge_mult = 0\n\
        redemptions = [ { day = 1, investor = \"Corporate pension plan B\", fraction = 0.5 } ]\n";

    /// A known schedule and no market shock: the kernel requests exactly the scheduled share on
    /// the scheduled day, accepts it after the holder's notice, pays it from cash after the
    /// fund's settlement lag, and sells nothing; the what-if reports those days.
    #[test]
    fn a_scheduled_redemption_is_paid_from_cash_on_the_expected_days() {
        let fund = example_fund();
        let holder = fund
            .spec
            .large_investors
            .iter()
            .find(|l| l.name == "Corporate pension plan B")
            .unwrap();
        let amount = 0.5 * holder.stake;
        let request_day = 1usize;
        let accept_day = request_day + holder.notice_days as usize;
        let pay_day = accept_day + fund.spec.fund.redemption_settlement_days as usize;
        let scripts = parse_script_file(SCHEDULE, "s.toml", &fund).unwrap();
        let cpu = CpuBackend::new(Some(1), 1).unwrap();
        let (_, traces) = cpu.run_observed::<f64, Vec<DayTrace>>(
            &fund.model,
            &[scripts[0].params],
            0,
            WHAT_IF_SEED,
            Vec::new,
            |r, v| r.push(v.trace()),
        );
        let t = &traces[0];
        // The kernel holds stakes in f32: equal to within f32 rounding of the amount.
        let close = |a: f64, b: f64| (a - b).abs() < 1e-8;
        assert!(close(t[request_day - 1].requested, 0.0));
        assert!(
            close(t[request_day].requested, amount),
            "{}",
            t[request_day].requested
        );
        assert!(close(t[accept_day - 1].accepted, 0.0));
        assert!(close(t[accept_day].accepted, amount));
        assert!(close(t[pay_day - 1].paid, 0.0));
        assert!(close(t[pay_day].paid, amount), "{}", t[pay_day].paid);
        // From cash: cash falls by the amount, holdings do not move.
        assert!(close(t[pay_day - 1].cash - t[pay_day].cash, amount));
        assert!((t[pay_day].holdings - t[0].holdings).abs() < 1e-6);
        let w = run_scripts(&fund, "s.toml", &scripts, Some(1)).unwrap();
        let s = &w.scripts[0];
        assert_eq!(s.first_request_day, Some(request_day as u32));
        assert_eq!(s.paid_by_day, Some(pay_day as u32));
        assert_eq!(s.days_to_pay, Some((pay_day - request_day + 1) as u32));
        assert_eq!((s.gate_days, s.shortfall_days), (0, 0));
        assert!(s.cost_bps.abs() < 1e-6);
        assert_eq!(s.buffer.len(), fund.model.params.horizon as usize);
    }

    #[test]
    fn a_payment_one_day_late_is_not_reported_as_on_time() {
        // The comparator on a corrupted record: the payment moved a day later moves paid_by_day.
        let fund = example_fund();
        let scripts = parse_script_file(SCHEDULE, "s.toml", &fund).unwrap();
        let w = run_scripts(&fund, "s.toml", &scripts, Some(1)).unwrap();
        let on_time = w.scripts[0].paid_by_day.unwrap() as usize;
        let n = 20;
        let mut r = Record {
            buffer: vec![0.1; n],
            requested: vec![0.0; n],
            req_shares: vec![0.0; n],
            acc_shares: vec![0.0; n],
            accepted: vec![0.0; n],
            paid: vec![0.0; n],
            arrears: vec![0.0; n],
            gate: vec![false; n],
            shortfall: vec![false; n],
        };
        for d in 1..n {
            r.requested[d] = 0.03;
            r.req_shares[d] = 0.03;
        }
        for d in 11..n {
            r.accepted[d] = 0.03;
            r.acc_shares[d] = 0.03;
        }
        for d in on_time..n {
            r.paid[d] = 0.03;
        }
        let o = ScenarioOutput::default();
        assert_eq!(
            outcome("x", Some(1), &o, &r).paid_by_day,
            Some(on_time as u32)
        );
        r.paid[on_time] = 0.0;
        assert_eq!(
            outcome("x", Some(1), &o, &r).paid_by_day,
            Some(on_time as u32 + 1)
        );
        // Arrears left: not paid.
        for d in 0..n {
            r.arrears[d] = 0.01;
        }
        assert_eq!(outcome("x", Some(1), &o, &r).paid_by_day, None);
    }

    #[test]
    fn scripted_results_are_deterministic_and_independent_of_threads() {
        let fund = example_fund();
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/what_if.toml");
        let scripts = load(&path, &fund).unwrap();
        assert!((3..=5).contains(&scripts.len()));
        let one = run_scripts(&fund, "w", &scripts, Some(1)).unwrap();
        let again = run_scripts(&fund, "w", &scripts, Some(1)).unwrap();
        let many = run_scripts(&fund, "w", &scripts, Some(3)).unwrap();
        assert_eq!(one, again);
        assert_eq!(one, many);
        let mut a = Vec::new();
        let mut b = Vec::new();
        write_csv(&mut a, &one).unwrap();
        write_csv(&mut b, &many).unwrap();
        assert_eq!(a, b);
        assert_eq!(
            String::from_utf8(a).unwrap().lines().count(),
            scripts.len() + 1
        );
    }

    #[test]
    fn a_bad_script_is_bad_input_naming_the_field() {
        let fund = example_fund();
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("bad.toml");
        std::fs::write(
            &p,
            "[[script]]\nredemptions = [ { day = 3, investor = \"Nobody\", fraction = 0.1 } ]\n",
        )
        .unwrap();
        let e = load(&p, &fund).unwrap_err();
        assert!(e.is_bad_input());
        assert!(
            e.to_string()
                .contains("script[0].redemptions[0].investor = \"Nobody\""),
            "{e}"
        );
    }
}

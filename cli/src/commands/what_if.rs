//! `undertow what-if FILE` (and the `--scripts` hook of `undertow run`): scripted scenarios run
//! deterministically on the CPU reference and reported per script.

use std::path::Path;

use undertow_engine::what_if::{self, WhatIf, WHAT_IF_CSV};
use undertow_engine::{fund, FundOverrides};
use undertow_host::fund::Fund;
use undertow_host::scenarios::ScriptedScenario;

use crate::args::WhatIfArgs;

/// The scripts of `--scripts`, read against the fund before anything runs (bad scripts exit 2).
pub fn load(
    path: Option<&Path>,
    fund: &Fund,
) -> anyhow::Result<Option<(String, Vec<ScriptedScenario>)>> {
    Ok(match path {
        Some(p) => Some((p.display().to_string(), what_if::load(p, fund)?)),
        None => None,
    })
}

/// Runs loaded scripts (none: `None`).
pub fn run(
    fund: &Fund,
    scripts: &Option<(String, Vec<ScriptedScenario>)>,
    threads: Option<usize>,
) -> anyhow::Result<Option<WhatIf>> {
    Ok(match scripts {
        Some((file, s)) => Some(what_if::run_scripts(fund, file, s, threads)?),
        None => None,
    })
}

/// `undertow what-if`.
pub fn what_if(args: &WhatIfArgs) -> anyhow::Result<()> {
    let overrides = FundOverrides {
        horizon: args.horizon,
        strategy: None,
    };
    let fund = overrides.apply(fund::load(args.fund.as_deref())?)?;
    if let Some(out) = &args.out {
        crate::interrupt::writing_check(out)?;
    }
    let scripts = what_if::load(&args.file, &fund)?;
    let result = what_if::run_scripts(
        &fund,
        &args.file.display().to_string(),
        &scripts,
        args.threads,
    )?;
    print_table(&fund, &result);
    if let Some(out) = &args.out {
        {
            let _writing = crate::interrupt::writing();
            what_if::write_alone(out, &fund, &result)?;
        }
        println!(
            "wrote {} (summary.json, {WHAT_IF_CSV}, report.html)",
            out.display()
        );
    }
    Ok(())
}

/// One line per script.
pub fn print_table(fund: &Fund, w: &WhatIf) {
    println!(
        "{} — {} scripted scenarios from {}, {} days, CPU reference (deterministic)",
        fund.name,
        w.scripts.len(),
        w.file,
        w.horizon_days
    );
    println!(
        "  {:<40} {:>9} {:>12} {:>9} {:>9} {:>5} {:>10} {:>10} {:>10}",
        "script",
        "requested",
        "days to pay",
        "cost bp",
        "MTM bp",
        "gate",
        "1st gate",
        "shortfall",
        "min buffer"
    );
    let day = |d: Option<u32>| d.map(|d| d.to_string()).unwrap_or_else(|| "-".into());
    for s in &w.scripts {
        let pay = match (s.days_to_pay, s.first_request_day) {
            (Some(d), _) => d.to_string(),
            (None, Some(_)) => "not paid".into(),
            (None, None) => "-".into(),
        };
        println!(
            "  {:<40} {:>8.2}% {:>12} {:>9.1} {:>9.1} {:>5} {:>10} {:>10} {:>9.2}%",
            s.name,
            s.requested * 100.0,
            pay,
            s.cost_bps,
            s.mtm_loss_bps,
            s.gate_days,
            day(s.first_gate_day),
            s.shortfall_days,
            s.min_buffer * 100.0
        );
    }
}

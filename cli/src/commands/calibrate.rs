//! `undertow calibrate flows`: fits the investors' flow parameters to the fund's flow history
//! (the engine's `calibrate` module), writes the calibrated fund file and the fit report, and
//! prints the fitted values.

use undertow_engine::calibrate::{calibrate_flows as run, CalibrateFlowsRequest};

use crate::args::{required, CalibrateFlowsArgs};

/// Fits, writes, prints.
pub fn calibrate_flows(args: &CalibrateFlowsArgs) -> anyhow::Result<()> {
    let outcome = run(&CalibrateFlowsRequest {
        flows: required(&args.flows, "--flows")?,
        market: args.market.clone(),
        fund: required(&args.fund, "--fund")?,
        out: required(&args.out, "--out")?,
        report_dir: args.report_dir.clone(),
    })?;
    let files = {
        let _writing = crate::interrupt::writing();
        outcome.write()?
    };
    let fit = &outcome.fit;
    println!(
        "{}: flows fitted on {} days ({}..{}){}",
        outcome.fund.name,
        fit.n_days,
        fit.first_date,
        fit.last_date,
        if fit.market {
            ""
        } else {
            "; no market file: stress terms kept"
        }
    );
    println!("  holder                     field             value         SE");
    for s in &fit.segments {
        for e in s.estimates.iter().filter(|e| e.is_fitted()) {
            println!(
                "  {:<26} {:<12} {:>10.4e} {:>10.2e}",
                s.name,
                e.field,
                e.value,
                e.se.unwrap_or(f64::NAN)
            );
        }
    }
    for h in &fit.large.holders {
        for e in h.estimates.iter().filter(|e| e.is_fitted()) {
            println!(
                "  {:<26} {:<12} {:>10.4e} {:>10.2e}",
                h.name,
                e.field,
                e.value,
                e.se.unwrap_or(f64::NAN)
            );
        }
    }
    for f in files {
        println!("wrote {}", f.display());
    }
    Ok(())
}

//! `undertow sensitivity`: the stress library rerun with each judgement range scaled about its
//! centre; writes `sensitivity.csv` and prints the largest moves.

use undertow_engine::sensitivity::{sensitivity as run_sensitivity, Row, METRICS, SENSITIVITY_CSV};
use undertow_engine::{backend, fund};

use crate::args::SensitivityArgs;

/// Checks the flags, runs every variant, writes `sensitivity.csv`, then prints.
pub fn sensitivity(args: &SensitivityArgs) -> anyhow::Result<()> {
    let fund = args.overrides().apply(fund::load(args.fund.as_deref())?)?;
    // Under the write lock: an interruption never leaves the check's probe file behind.
    crate::interrupt::writing_check(&args.out)?;
    let request = args.request();
    let variants = undertow_engine::sensitivity::variants(&fund, &request)?;
    let (backend, why) = backend::open(
        args.backend.host(),
        args.threads,
        undertow_host::cpu::DEFAULT_CHUNK,
    )?;
    eprintln!(
        "backend: {} ({why}); {} sweeps of {} scenarios",
        backend.describe(),
        variants.len() + 1,
        request.scenarios
    );
    let outcome = run_sensitivity(&fund, &request, backend.as_ref(), |_, _| {})?;
    {
        let _writing = crate::interrupt::writing();
        outcome.write(&args.out)?;
    }
    println!(
        "{} — stress library, {} scenarios, seed {}: coverage {:.1}%, gate {:.1}%, shortfall {:.1}% \
         (conditional on stress)",
        fund.name,
        outcome.scenarios,
        outcome.seed,
        outcome.base.coverage * 100.0,
        outcome.base.gate_frequency * 100.0,
        outcome.base.shortfall_frequency * 100.0
    );
    println!("  range                                    factor  Δcoverage  Δgate  Δshortfall  Δcost bps");
    for r in &outcome.rows {
        print_row(r, &outcome.base.values());
    }
    println!("wrote {}", args.out.join(SENSITIVITY_CSV).display());
    Ok(())
}

/// One variant's differences from the base, in percentage points and basis points.
fn print_row(r: &Row, base: &[f64; METRICS.len()]) {
    let v = r.metrics.values();
    println!(
        "  {:<40} {:>6}  {:>+8.1}pp {:>+5.1}pp {:>+9.1}pp {:>+9.1}",
        r.range,
        r.factor,
        (v[0] - base[0]) * 100.0,
        (v[1] - base[1]) * 100.0,
        (v[2] - base[2]) * 100.0,
        v[3] - base[3]
    );
}

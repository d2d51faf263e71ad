//! Analysis stage 5 (redemption policy): `undertow optimize gates` (gate triggers and swing
//! pricing calibrated, early warning, reverse stress, the communication playbook) and
//! `undertow reverse-stress` (its reverse stress test alone).

use undertow_analysis::redemption_policy::reverse_stress::ReverseStress;
use undertow_analysis::RedemptionPolicyReport;
use undertow_engine::{fund, run, stages};
use undertow_format::text::p1;
use undertow_host::fund::Fund;

use crate::args::{OptimizeGatesArgs, ReverseStressArgs};
use crate::print;

/// A sweep, then stage 5; writes `policy.json` and its tables, prints the best gate triggers
/// and the findings.
pub fn optimize_gates(args: &OptimizeGatesArgs) -> anyhow::Result<()> {
    let fund = fund::load(args.fund.as_deref())?;
    // Under the write lock: an interruption never leaves the check's probe file behind.
    crate::interrupt::writing_check(&args.out)?;
    run::check_scenarios(args.scenarios)?;
    run::check_threads(args.threads)?;
    let cfg = args.config()?;
    let outcome = stages::redemption_policy(&fund, &cfg, &args.sweep())?;
    {
        let _writing = crate::interrupt::writing();
        outcome.write(&args.out)?;
    }
    if let Some(r) = &outcome.result.redemption_policy {
        print_gates(&fund, r);
    }
    print::findings(&outcome.result);
    println!("wrote {}", args.out.display());
    Ok(())
}

/// The five best gate-trigger grid points.
fn print_gates(fund: &Fund, r: &RedemptionPolicyReport) {
    let g = &r.gate_grid;
    println!(
        "{} — gate triggers on {} scenarios, best first (baseline without gates: shortfall in {})",
        fund.name,
        g.scenarios,
        p1(g.baseline.shortfall_frequency)
    );
    for row in g.ranked().into_iter().take(5) {
        println!(
            "  {:>3}. {:<48} score {:>6.3}  gated {:>6}  unnecessary {:>6}",
            row.rank,
            row.label,
            row.score,
            p1(row.gate_frequency),
            p1(row.unnecessary_gate_share)
        );
    }
}

/// The failure map and the least severe failing shock, alone; writes `reverse_stress.json` and
/// its tables, prints the map and the findings.
pub fn reverse_stress(args: &ReverseStressArgs) -> anyhow::Result<()> {
    let fund = fund::load(args.fund.as_deref())?;
    // Under the write lock: an interruption never leaves the check's probe file behind.
    crate::interrupt::writing_check(&args.out)?;
    run::check_threads(args.threads)?;
    let cfg = args.config()?;
    let outcome = stages::reverse_stress(&fund, &cfg, args.seed, args.threads)?;
    {
        let _writing = crate::interrupt::writing();
        outcome.write(&args.out)?;
    }
    print_map(&fund, &outcome.result.map);
    for f in &outcome.result.findings {
        println!("  - {}", f.text);
    }
    println!("wrote {}", args.out.display());
    Ok(())
}

/// The headline (shortfall) probability over the severity grid, most severe redemptions first.
fn print_map(fund: &Fund, rs: &ReverseStress) {
    println!(
        "{} — failure probability ({}), redemption severity down, market severity across",
        fund.name, rs.failure
    );
    let head: Vec<String> = rs
        .market_severity
        .iter()
        .map(|m| format!("{m:>6.2}"))
        .collect();
    println!("         {}", head.join(""));
    for (r, row) in rs
        .redemption_severity
        .iter()
        .zip(&rs.failure_probability)
        .rev()
    {
        let cells: Vec<String> = row.iter().map(|p| format!("{:>6.0}%", p * 100.0)).collect();
        println!("  {r:>5.2}  {}", cells.join(""));
    }
}

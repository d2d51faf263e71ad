//! `undertow optimize liquidation`: analysis stage 4 (liquidation design: strategies compared,
//! execution approaches, the liquidation hierarchy) with the market liquidity profile it reads.

use undertow_analysis::liquidation_design::LiquidationReport;
use undertow_engine::{fund, run, stages};
use undertow_format::text::p1;
use undertow_host::fund::Fund;

use crate::args::OptimizeLiquidationArgs;
use crate::print;

/// Runs stage 4 (no sweep: the strategies rerun the first scenarios of the run); writes
/// `liquidation.json` and its tables, prints the strategies and the findings.
pub fn optimize_liquidation(args: &OptimizeLiquidationArgs) -> anyhow::Result<()> {
    let fund = fund::load(args.fund.as_deref())?;
    // Under the write lock: an interruption never leaves the check's probe file behind.
    crate::interrupt::writing_check(&args.out)?;
    run::check_threads(args.threads)?;
    let cfg = args.config()?;
    let outcome = stages::liquidation_design(&fund, &cfg, args.seed, args.threads)?;
    {
        let _writing = crate::interrupt::writing();
        outcome.write(&args.out)?;
    }
    if let Some(l) = &outcome.result.liquidation_design {
        print_strategies(&fund, l);
    }
    print::findings(&outcome.result);
    println!("wrote {}", args.out.display());
    Ok(())
}

/// The liquidation strategies' costs and ranks.
fn print_strategies(fund: &Fund, l: &LiquidationReport) {
    println!(
        "{} — liquidation strategies on {} scenarios (cost in bps of NAV)",
        fund.name, l.scenarios
    );
    println!(
        "  {:<10} {:>8} {:>8} {:>8} {:>12} {:>6}",
        "strategy", "mean", "p95", "p99", "vs pro-rata", "rank"
    );
    for s in &l.strategies {
        println!(
            "  {:<10} {:>8.1} {:>8.1} {:>8.1} {:>12} {:>6}",
            s.strategy,
            s.mean_cost_bps,
            s.p95_cost_bps,
            s.p99_cost_bps,
            p1(s.reduction_vs_pro_rata),
            s.rank
        );
    }
}

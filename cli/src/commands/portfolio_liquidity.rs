//! `undertow optimize buffer`: analysis stage 3 (portfolio liquidity: liquidity at risk, the
//! buffer search, liquidity-aware construction) with the stages it depends on.

use undertow_analysis::AnalysisSummary;
use undertow_engine::{fund, run, stages};
use undertow_format::text::{money, p1, pct};
use undertow_host::fund::Fund;

use crate::args::OptimizeBufferArgs;
use crate::print;

/// A sweep for liquidity at risk, then stage 3; writes `buffer.json` and its tables, prints the
/// buffer compositions and the findings.
pub fn optimize_buffer(args: &OptimizeBufferArgs) -> anyhow::Result<()> {
    let fund = fund::load(args.fund.as_deref())?;
    // Under the write lock: an interruption never leaves the check's probe file behind.
    crate::interrupt::writing_check(&args.out)?;
    run::check_scenarios(args.scenarios)?;
    run::check_threads(args.threads)?;
    let cfg = args.config(&fund)?;
    let outcome = stages::portfolio_liquidity(&fund, &cfg, &args.sweep())?;
    {
        let _writing = crate::interrupt::writing();
        outcome.write(&args.out)?;
    }
    print_buffer(&fund, &outcome.result);
    print::findings(&outcome.result);
    println!("wrote {}", args.out.display());
    Ok(())
}

/// Liquidity at risk by horizon, then every buffer composition, cheapest first.
fn print_buffer(fund: &Fund, s: &AnalysisSummary) {
    let Some(p) = &s.portfolio_liquidity else {
        return;
    };
    println!(
        "{} — liquidity at risk (requested outflow, {} scenarios)   90%   95%   99%",
        fund.name, p.needs.scenarios
    );
    for r in &p.needs.rows {
        println!(
            "  {:>3} days   {:>7} {:>7} {:>7}  ({} at 99%)",
            r.horizon_days,
            p1(r.lar[0]),
            p1(r.lar[1]),
            p1(r.lar[2]),
            money(r.lar_currency[2], &fund.currency)
        );
    }
    let b = &p.buffer;
    println!(
        "buffer compositions over {} days, {} scenarios each (target {}), cheapest first:",
        b.horizon_days,
        b.scenarios,
        pct(b.target_coverage)
    );
    println!(
        "  {:<26} {:<36} {:>9} {:>9} {:>9} {:>9} {:>5}",
        "label", "composition", "coverage", "survival", "opp bps", "cost bps", "rank"
    );
    let mut order: Vec<usize> = (0..b.results.len()).collect();
    order.sort_by(|&x, &y| {
        b.results[x]
            .opportunity_cost_bps
            .total_cmp(&b.results[y].opportunity_cost_bps)
    });
    for i in order {
        let r = &b.results[i];
        let mark = match (Some(i) == b.cheapest_meeting_target, r.on_frontier) {
            (true, _) => " <- cheapest meeting target",
            (false, true) => " (frontier)",
            _ => "",
        };
        println!(
            "  {:<26} {:<36} {:>8.2}% {:>8.2}% {:>9.1} {:>9.1} {:>5}{}",
            r.label,
            r.describe(),
            r.coverage * 100.0,
            r.survival * 100.0,
            r.opportunity_cost_bps,
            r.expected_cost_bps,
            r.rank,
            mark
        );
    }
}

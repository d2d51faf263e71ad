//! `undertow profile`: analysis stage 1 alone, the market liquidity profile of the fund's
//! positions.

use undertow_analysis::{Bucket, MarketLiquidityReport, PORTFOLIO};
use undertow_engine::{fund, stages};
use undertow_format::text::p1;
use undertow_host::fund::Fund;

use crate::args::ProfileArgs;
use crate::print;

/// Runs stage 1, writes `profile.json` and its tables, prints the profile and the findings.
pub fn profile(args: &ProfileArgs) -> anyhow::Result<()> {
    let fund = fund::load(args.fund.as_deref())?;
    // Under the write lock: an interruption never leaves the check's probe file behind.
    crate::interrupt::writing_check(&args.out)?;
    let outcome = stages::market_liquidity(&fund, &args.config(), args.seed)?;
    {
        let _writing = crate::interrupt::writing();
        outcome.write(&args.out)?;
    }
    if let Some(m) = &outcome.result.market_liquidity {
        print_profile(&fund, m);
    }
    print::findings(&outcome.result);
    println!("wrote {}", args.out.display());
    Ok(())
}

/// Per position: days and cost to liquidate at the participation cap, normal and stressed, the
/// buckets and the score; then the portfolio's share raised by horizon and the bucket totals.
fn print_profile(fund: &Fund, m: &MarketLiquidityReport) {
    let cap = fund.model.params.participation_cap as f64;
    let stressed = m
        .conditions
        .last()
        .map(|c| c.name.clone())
        .unwrap_or_else(|| "normal".into());
    println!(
        "{} — liquidity profile at {} participation (normal / {}); stressed conditions from {} scenario records",
        fund.name,
        p1(cap),
        stressed,
        m.scenarios_used
    );
    println!(
        "  {:<12} {:>7} {:>9} {:>9} {:>10} {:>10}  {:<18} {:<18} {:>5}",
        "position",
        "weight",
        "days",
        "days st",
        "cost bps",
        "cost st",
        "bucket",
        "bucket st",
        "score"
    );
    let row = |id: &str, cond: &str| {
        m.profile
            .iter()
            .filter(|r| r.position == id && r.condition == cond)
            .min_by(|a, b| {
                (a.participation - cap)
                    .abs()
                    .total_cmp(&(b.participation - cap).abs())
            })
    };
    let bucket = |id: &str, cond: &str| {
        m.buckets
            .iter()
            .find(|b| b.position == id && b.condition == cond)
            .map(|b| b.bucket.name())
            .unwrap_or("")
    };
    for l in &m.liquidity {
        let (n, s) = (row(&l.position, "normal"), row(&l.position, &stressed));
        if let (Some(n), Some(s)) = (n, s) {
            println!(
                "  {:<12} {:>7} {:>9.2} {:>9.2} {:>10.1} {:>10.1}  {:<18} {:<18} {:>5.2}",
                l.position,
                p1(l.weight),
                n.days_to_liquidate,
                s.days_to_liquidate,
                n.cost_bps,
                s.cost_bps,
                bucket(&l.position, "normal"),
                bucket(&l.position, &stressed),
                l.score
            );
        }
    }
    if let (Some(n), Some(s)) = (row(PORTFOLIO, "normal"), row(PORTFOLIO, &stressed)) {
        let h: Vec<String> = m.horizons.iter().map(|d| format!("{d}d")).collect();
        println!(
            "  share of NAV raised within {} (normal / stressed):",
            h.join(", ")
        );
        let cells: Vec<String> = n
            .sold_share
            .iter()
            .zip(&s.sold_share)
            .map(|(a, b)| format!("{} / {}", p1(*a), p1(*b)))
            .collect();
        println!("    {}", cells.join("   "));
    }
    for t in &m.bucket_totals {
        let shares: Vec<String> = Bucket::ALL
            .iter()
            .map(|b| format!("{} {}", b.name(), p1(t.shares[*b as usize])))
            .collect();
        println!("  {}: {}", t.condition, shares.join(", "));
    }
}

//! `undertow run`: the sweep and every analysis stage, its outputs written, its table and
//! findings printed.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use undertow_engine::{backend, fund, manifest, memory, Summary};
use undertow_format::text::money;
use undertow_host::aggregate::Aggregate;
use undertow_host::fund::Fund;
use undertow_host::output::Headline;

use crate::args::RunArgs;
use crate::print;

/// Runs below this many scenarios show no progress bar (they finish in moments).
const QUIET_BELOW: u64 = 20_000;

/// The sweep's progress bar, over `scenarios`.
fn progress_bar(scenarios: u64) -> ProgressBar {
    let bar = ProgressBar::new(scenarios);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {bar:40} {pos}/{len} scenarios ({per_sec}, eta {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    if scenarios < QUIET_BELOW {
        bar.set_draw_target(ProgressDrawTarget::hidden());
    }
    bar
}

/// Checks the flags, runs on the backend asked for, writes the outputs, then prints.
pub fn run(args: &RunArgs) -> anyhow::Result<()> {
    let fund = args.overrides().apply(fund::load(args.fund.as_deref())?)?;
    // Under the write lock: an interruption never leaves the check's probe file behind.
    crate::interrupt::writing_check(&args.out)?;
    let request = args.request();
    let provenance = manifest::provenance(args.fund.as_deref(), std::env::args().collect())?;
    request.check(&fund)?;
    let scripts = crate::commands::what_if::load(args.scripts.as_deref(), &fund)?;
    let (backend, why) = backend::open(args.backend.host(), args.threads, args.chunk)?;
    let limit = args.max_memory.or_else(memory::default_limit);
    request.check_memory(&fund, backend.preferred_block(), limit)?;
    eprintln!("backend: {} ({why})", backend.describe());
    let bar = progress_bar(request.total_scenarios());
    let mut outcome = undertow_engine::run(&fund, &request, backend.as_ref(), |done| {
        bar.set_position(done)
    })?;
    outcome.provenance = provenance;
    outcome.notices.iter().for_each(|n| eprintln!("{n}"));
    bar.finish_and_clear();
    outcome.summary.what_if = crate::commands::what_if::run(&fund, &scripts, args.threads)?;
    {
        let _writing = crate::interrupt::writing();
        outcome.write(&args.out)?;
    }
    print_table(&fund, &outcome.summary);
    if let Some(a) = &outcome.summary.analysis {
        print::findings(a);
    }
    println!("wrote {}", args.out.display());
    Ok(())
}

/// The run's headline table: the stress library's, then the unconditional mixture's.
fn print_table(fund: &Fund, s: &Summary) {
    let r = &s.run;
    println!(
        "{} — {} scenarios × {} days, {} on {} in {:.2}s ({:.2e} scenario-day-positions/s)",
        fund.name, r.scenarios, r.horizon_days, r.strategy, r.backend, r.seconds, r.throughput
    );
    println!(
        "under stress (conditional on the stress library; frequencies are shares of stress \
         scenarios, not probabilities):"
    );
    print_set(fund, &s.headline, &s.aggregate);
    if let Some(u) = &s.unconditional {
        let calm = u.family_shares.get("calm").copied().unwrap_or(0.0);
        println!(
            "over a year of business days (the unconditional mixture, {:.1}% calm):",
            calm * 100.0
        );
        print_set(fund, &u.headline, &u.aggregate);
    }
}

/// One set's headline numbers and liquidity-at-risk table.
fn print_set(fund: &Fund, h: &Headline, agg: &Aggregate) {
    println!(
        "  cash buffer {:.1}%: coverage {:.1}%, survival {:.1}%",
        fund.model.params.initial_cash * 100.0,
        h.coverage * 100.0,
        h.survival * 100.0
    );
    println!(
        "  gate in {:.1}% of scenarios, shortfall in {:.1}%",
        h.gate_frequency * 100.0,
        h.shortfall_frequency * 100.0
    );
    println!(
        "  liquidation cost: mean {:.1} bps of NAV, 99th percentile {:.1} bps",
        h.mean_cost_bps, h.cost_p99_bps
    );
    println!("  liquidity at risk (requested outflow)   90%          95%          99%");
    for (row, cur) in agg
        .liquidity_at_risk
        .iter()
        .zip(&h.liquidity_at_risk_currency)
    {
        println!(
            "    {:>3} days  {:>6.2}% {:>10}  {:>6.2}% {:>10}  {:>6.2}% {:>10}",
            row.horizon_days,
            row.lar[0] * 100.0,
            money(cur.1[0], &fund.currency),
            row.lar[1] * 100.0,
            money(cur.1[1], &fund.currency),
            row.lar[2] * 100.0,
            money(cur.1[2], &fund.currency)
        );
    }
}

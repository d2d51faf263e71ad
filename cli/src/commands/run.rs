//! `undertow run`: the sweep and every analysis stage, its outputs written, its table and
//! findings printed.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use undertow_engine::shard::ShardContext;
use undertow_engine::{
    backend, fund, manifest, memory, EngineError, RunRequest, ShardSpec, Summary,
};
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

/// The shard to run: `--shard`, else the environment's (with where it came from).
fn shard_of(args: &RunArgs) -> Result<Option<(ShardSpec, String)>, EngineError> {
    match &args.shard {
        Some(text) => Ok(Some((ShardSpec::parse(text)?, "--shard".to_string()))),
        None => ShardSpec::from_env(&|name| std::env::var(name).ok()),
    }
}

/// Checks the flags, runs on the backend asked for, writes the outputs, then prints.
pub fn run(args: &RunArgs) -> anyhow::Result<()> {
    let shard = shard_of(args)?;
    let fund = args.overrides().apply(fund::load(args.fund.as_deref())?)?;
    if let Some((spec, source)) = shard {
        return run_shard(args, &fund, spec, source);
    }
    // Under the write lock: an interruption never leaves the check's probe file behind.
    crate::interrupt::writing_check(&args.out)?;
    let mut request = args.request();
    let provenance = manifest::provenance(args.fund.as_deref(), std::env::args().collect())?;
    request.check(&fund)?;
    let scripts = crate::commands::what_if::load(args.scripts.as_deref(), &fund)?;
    let (backend, why) = backend::open(args.backend.host(), args.threads, args.chunk)?;
    // `--stage-reruns auto`: the stages' plain reruns go to the GPU only when the sweep runs on
    // a hardware one (a software adapter such as lavapipe runs slower than the CPU pool).
    request.stage_reruns = args
        .stage_reruns
        .resolve(|| backend::auto_stage_reruns(backend.as_ref()));
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

/// `undertow run --shard K/N` (or K/N from the environment): the shard's range swept, its
/// directory written under `--out`.
fn run_shard(args: &RunArgs, fund: &Fund, spec: ShardSpec, source: String) -> anyhow::Result<()> {
    crate::interrupt::writing_check(&args.out)?;
    let request = args.request();
    let provenance = manifest::provenance(args.fund.as_deref(), std::env::args().collect())?;
    request.check(fund)?;
    let range = spec.range(request.scenarios);
    eprintln!(
        "shard {spec} (from {source}): scenarios {}..{} of {}",
        range.start, range.end, request.scenarios
    );
    let (backend, why) = backend::open(args.backend.host(), args.threads, args.chunk)?;
    let limit = args.max_memory.or_else(memory::default_limit);
    // A shard holds its own range's records and runs no analysis.
    let held = RunRequest {
        scenarios: (range.end - range.start).max(1),
        analysis: None,
        ..request.clone()
    };
    held.check_memory(fund, backend.preferred_block(), limit)?;
    eprintln!("backend: {} ({why})", backend.describe());
    let sets = if request.unconditional { 2 } else { 1 };
    let bar = progress_bar((range.end - range.start) * sets);
    let context = ShardContext {
        provenance,
        shard_source: source,
        overrides: args.overrides(),
    };
    let outcome =
        undertow_engine::run_shard(fund, &request, spec, &context, backend.as_ref(), |d| {
            bar.set_position(d)
        })?;
    outcome.notices.iter().for_each(|n| eprintln!("{n}"));
    bar.finish_and_clear();
    let dir = {
        let _writing = crate::interrupt::writing();
        outcome.write(&args.out)?
    };
    println!(
        "shard {spec}: {} scenarios in {:.2}s",
        range.end - range.start,
        outcome.manifest.seconds + outcome.manifest.unconditional_seconds
    );
    println!("wrote {}", dir.display());
    Ok(())
}

/// The run's headline table: the stress library's, then the unconditional mixture's.
pub(crate) fn print_table(fund: &Fund, s: &Summary) {
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

//! The subcommands: raw flags first (clap), then ready-to-use host objects.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use undertow_engine::Summary;
use undertow_format::text::money;
use undertow_gpu::device::{list_adapters, AdapterRequest};
use undertow_gpu::open_backend;
use undertow_host::aggregate::aggregate;
use undertow_host::backend::{cpu_backend, Backend, BackendChoice as HostChoice, BackendError};
use undertow_host::cpu::{CpuBackend, DEFAULT_CHUNK};
use undertow_host::fund::spec::{ImpactModel, Strategy};
use undertow_host::fund::{example_fund, example_fund_toml, load_fund, split_positions, Fund};
use undertow_host::output::{write_json, FundInfo, Headline, RunInfo, ScenarioCsv, SCHEMA_VERSION};
use undertow_host::run::{scenario_block, sweep, SweepOptions};
use undertow_host::validate::{compare, Tolerances};

use crate::BadInput;

#[derive(Parser, Debug)]
#[command(
    name = "undertow",
    version,
    about = "Liquidity stress cascades for multi-asset funds, on GPU and CPU"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the scenario sweep and the analysis stages; write summary.json, scenarios.csv, the
    /// stages' tables and report.html.
    Run(RunArgs),
    /// Print the built-in example fund as a commented TOML fund file.
    ExampleFund,
    /// Market liquidity profile of the fund's positions (analysis stage 1 alone).
    Profile(crate::analysis::ProfileArgs),
    /// Optimisation: `undertow optimize buffer|liquidation|gates`.
    Optimize(crate::analysis::OptimizeArgs),
    /// Reverse stress test: the least severe market × redemption shock that breaks the fund, and
    /// the failure-probability map.
    ReverseStress(crate::design::ReverseStressArgs),
    /// Render report.html from a finished run's summary.json (nothing is simulated).
    Report(ReportArgs),
    /// Run the same scenarios on the GPU and the CPU and report their agreement.
    Validate(ValidateArgs),
    /// List the GPU adapters wgpu can see.
    Devices,
    /// Measure CPU and GPU throughput on the same workload.
    Bench(BenchArgs),
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendChoice {
    /// A hardware GPU when there is one, otherwise the CPU.
    Auto,
    Cpu,
    /// A GPU adapter (a software one such as lavapipe when it is the only one).
    Gpu,
}

impl BackendChoice {
    fn host(self) -> HostChoice {
        match self {
            BackendChoice::Auto => HostChoice::Auto,
            BackendChoice::Cpu => HostChoice::Cpu,
            BackendChoice::Gpu => HostChoice::Gpu,
        }
    }
}

#[derive(clap::Args, Debug, Clone)]
pub struct ValidateArgs {
    /// Fund file (TOML); the built-in example fund when absent.
    #[arg(long)]
    pub fund: Option<PathBuf>,
    /// Number of scenarios.
    #[arg(long, default_value_t = 10_000)]
    pub scenarios: u64,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Simulated horizon in days (overrides the fund file).
    #[arg(long)]
    pub horizon: Option<u32>,
}

#[derive(clap::Args, Debug, Clone)]
pub struct BenchArgs {
    /// Fund file (TOML); the built-in example fund when absent.
    #[arg(long)]
    pub fund: Option<PathBuf>,
    /// Number of scenarios.
    #[arg(long, default_value_t = 10_000)]
    pub scenarios: u64,
    /// Worker threads of the CPU backend (default: every core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Skip the GPU even when an adapter is present.
    #[arg(long)]
    pub cpu_only: bool,
    /// Split the fund's positions into this many issues (scaling measurements).
    #[arg(long)]
    pub positions: Option<usize>,
    /// Simulated horizon in days (overrides the fund file).
    #[arg(long)]
    pub horizon: Option<u32>,
}

#[derive(clap::Args, Debug, Clone)]
pub struct RunArgs {
    /// Fund file (TOML); the built-in example fund when absent.
    #[arg(long)]
    pub fund: Option<PathBuf>,
    /// Number of scenarios.
    #[arg(long, default_value_t = 10_000)]
    pub scenarios: u64,
    /// Run seed: a scenario's result depends only on the seed and its index.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Simulated horizon in days (overrides the fund file).
    #[arg(long)]
    pub horizon: Option<u32>,
    /// Liquidation strategy: waterfall, pro_rata, min_cost or balanced (overrides the fund file).
    #[arg(long)]
    pub strategy: Option<String>,
    /// Worker threads (default: every core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Output directory.
    #[arg(long, default_value = "undertow-out")]
    pub out: PathBuf,
    /// Backend: auto uses a hardware GPU when there is one, otherwise the CPU.
    #[arg(long, value_enum, default_value_t = BackendChoice::Auto)]
    pub backend: BackendChoice,
    /// Scenarios traced day by day for the fan charts.
    #[arg(long, default_value_t = 200)]
    pub paths: usize,
    /// Scenarios per rayon task.
    #[arg(long, default_value_t = DEFAULT_CHUNK)]
    pub chunk: usize,
    #[command(flatten)]
    pub analysis: crate::analysis::AnalysisArgs,
}

/// `undertow report`.
#[derive(clap::Args, Debug, Clone)]
pub struct ReportArgs {
    /// Directory holding summary.json (the --out of `undertow run`); report.html is written
    /// beside it.
    #[arg(long)]
    pub from: PathBuf,
}

/// `undertow report --from DIR`: the report of a saved run, without simulating again.
fn report(args: &ReportArgs) -> Result<()> {
    let summary_path = args.from.join("summary.json");
    let text = std::fs::read_to_string(&summary_path)
        .map_err(|e| BadInput(format!("{}: {e}", summary_path.display())))?;
    let summary: serde_json::Value = serde_json::from_str(&text)
        .map_err(|e| BadInput(format!("{}: not valid JSON: {e}", summary_path.display())))?;
    let page = undertow_report::render(&summary).map_err(|e| BadInput(e.to_string()))?;
    let path =
        undertow_engine::files::write_html(&args.from, &page).context("writing report.html")?;
    println!("wrote {}", path.display());
    Ok(())
}

pub fn dispatch(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Run(args) => run(&args),
        Command::ExampleFund => {
            print!("{}", example_fund_toml());
            Ok(())
        }
        Command::Profile(args) => crate::analysis::profile(&args),
        Command::Optimize(args) => crate::analysis::optimize(&args),
        Command::ReverseStress(args) => crate::design::reverse_stress(&args),
        Command::Report(args) => report(&args),
        Command::Validate(args) => validate(&args),
        Command::Devices => devices(),
        Command::Bench(args) => bench(&args),
    }
}

/// Opens the backend, turning "no adapter" into bad input (the user asked for a GPU that is not
/// there) and any other GPU failure into a runtime error.
fn backend_for(
    choice: BackendChoice,
    threads: Option<usize>,
    chunk: usize,
) -> Result<(Box<dyn Backend>, String)> {
    let cpu = || cpu_backend(threads, chunk);
    match open_backend(choice.host(), cpu) {
        Ok(b) => Ok(b),
        Err(e @ BackendError::Unavailable(_)) => {
            let name = choice
                .to_possible_value()
                .map(|v| v.get_name().to_string())
                .unwrap_or_default();
            Err(BadInput(format!("flag --backend {name}: {e}")).into())
        }
        Err(e) => Err(anyhow::Error::new(e).context("opening the GPU")),
    }
}

pub(crate) fn check_scenarios(n: u64) -> Result<()> {
    if n == 0 || n > u32::MAX as u64 {
        return Err(BadInput(format!("flag --scenarios: {n} is outside 1..=4294967295")).into());
    }
    Ok(())
}

fn validate(args: &ValidateArgs) -> Result<()> {
    let fund = prepare_fund(args.fund.as_deref(), args.horizon, None)?;
    check_scenarios(args.scenarios)?;
    let (gpu, _) = backend_for(BackendChoice::Gpu, None, DEFAULT_CHUNK)?;
    eprintln!("validating on {}", gpu.describe());
    let scenarios = scenario_block(&fund, args.seed, 0..args.scenarios);
    let cpu = CpuBackend::new(None, DEFAULT_CHUNK).context("starting the CPU thread pool")?;
    let reference = cpu.run::<f32>(&fund.model, &scenarios, 0, args.seed);
    let wide = cpu.run::<f64>(&fund.model, &scenarios, 0, args.seed);
    let gpu_out = gpu
        .simulate(&fund.model, &scenarios, 0, args.seed)
        .context("running the GPU backend")?;
    let agreement = compare(&reference, &gpu_out, &Tolerances::default());
    let f32_error = compare(&wide, &reference, &Tolerances::default());
    println!(
        "{} — {} scenarios × {} days",
        fund.name, args.scenarios, fund.model.params.horizon
    );
    println!("GPU against CPU (f32):\n{agreement}");
    println!("f32 against f64 on the CPU (bounds the f32 error):\n{f32_error}");
    if !agreement.passed {
        anyhow::bail!("the GPU does not agree with the CPU reference");
    }
    Ok(())
}

fn devices() -> Result<()> {
    let request = AdapterRequest::from_env();
    let adapters = list_adapters(&request);
    if adapters.is_empty() {
        println!(
            "no GPU adapters found (backends {:?}); the CPU backend is always available",
            request.backends
        );
    }
    for a in adapters {
        println!("{a}");
    }
    Ok(())
}

fn bench(args: &BenchArgs) -> Result<()> {
    let mut fund = prepare_fund(args.fund.as_deref(), args.horizon, None)?;
    if let Some(n) = args.positions {
        if n == 0 || n > 100_000 {
            return Err(BadInput(format!("flag --positions: {n} is outside 1..=100000")).into());
        }
        fund = split_positions(&fund, n)
            .map_err(|e| BadInput(format!("flag --positions {n}: {e}")))?;
    }
    check_scenarios(args.scenarios)?;
    let scenarios = scenario_block(&fund, 1, 0..args.scenarios);
    let p = &fund.model.params;
    let sdp = args.scenarios as f64 * p.horizon as f64 * p.n_positions as f64;
    let cpu =
        CpuBackend::new(args.threads, DEFAULT_CHUNK).context("starting the CPU thread pool")?;
    let time = |b: &dyn Backend| -> Result<f64> {
        // One small warm-up run so that pipeline compilation and thread start-up are not timed.
        b.simulate(&fund.model, &scenarios[..scenarios.len().min(64)], 0, 1)?;
        let start = std::time::Instant::now();
        b.simulate(&fund.model, &scenarios, 0, 1)?;
        Ok(start.elapsed().as_secs_f64())
    };
    println!(
        "{} — {} scenarios × {} days × {} positions",
        fund.name, args.scenarios, p.horizon, p.n_positions
    );
    let cpu_s = time(&cpu)?;
    println!(
        "  {:<60} {:>8.3}s  {:.3e} scenario-day-positions/s",
        cpu.describe(),
        cpu_s,
        sdp / cpu_s
    );
    if args.cpu_only {
        return Ok(());
    }
    match backend_for(BackendChoice::Gpu, None, DEFAULT_CHUNK) {
        Ok((gpu, _)) => {
            let gpu_s = time(gpu.as_ref())?;
            println!(
                "  {:<60} {:>8.3}s  {:.3e} scenario-day-positions/s",
                gpu.describe(),
                gpu_s,
                sdp / gpu_s
            );
            println!("  GPU / CPU throughput ratio: {:.2}", cpu_s / gpu_s);
        }
        Err(e) => println!("  gpu: not measured ({e:#})"),
    }
    Ok(())
}

/// Loads the fund and applies the flag overrides, as bad input on any error.
pub fn prepare_fund(
    path: Option<&Path>,
    horizon: Option<u32>,
    strategy: Option<&str>,
) -> Result<Fund> {
    let mut fund = match path {
        Some(p) => load_fund(p).map_err(|e| BadInput(e.to_string()))?,
        None => example_fund(),
    };
    if let Some(h) = horizon {
        check_horizon(&fund, h)?;
        fund.model.params.horizon = h;
    }
    if let Some(s) = strategy {
        let names = Strategy::names();
        fund.model.params.strategy =
            Strategy::from_name(s).map(Strategy::code).ok_or_else(|| {
                BadInput(format!(
                    "flag --strategy: unknown strategy `{s}` (expected one of {})",
                    names.join(", ")
                ))
            })?;
    }
    Ok(fund)
}

fn check_horizon(fund: &Fund, h: u32) -> Result<()> {
    if !(1..=3650).contains(&h) {
        return Err(BadInput(format!("flag --horizon: {h} days is outside 1..=3650")).into());
    }
    let p = &fund.model.params;
    for (pos, id) in fund.model.positions.iter().zip(&fund.position_ids) {
        if pos.lag >= h {
            return Err(BadInput(format!(
                "flag --horizon: {h} days is not longer than position `{id}`'s settlement lag of {} days",
                pos.lag
            ))
            .into());
        }
    }
    let notices = fund
        .model
        .segments
        .iter()
        .map(|s| s.notice)
        .chain(fund.model.large.iter().map(|l| l.notice));
    if let Some(n) = notices.max() {
        if n + p.fund_notice >= h {
            return Err(BadInput(format!(
                "flag --horizon: {h} days is not longer than the longest notice period ({} days)",
                n + p.fund_notice
            ))
            .into());
        }
    }
    Ok(())
}

fn run(args: &RunArgs) -> Result<()> {
    let fund = prepare_fund(args.fund.as_deref(), args.horizon, args.strategy.as_deref())?;
    check_scenarios(args.scenarios)?;
    if args.threads == Some(0) {
        return Err(BadInput("flag --threads: 0 (must be at least 1)".into()).into());
    }
    args.analysis.check(&fund)?;
    let (backend, why) = backend_for(args.backend, args.threads, args.chunk)?;
    eprintln!("backend: {} ({why})", backend.describe());
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    let mut csv = ScenarioCsv::create(&args.out.join("scenarios.csv"))
        .with_context(|| format!("writing {}", args.out.join("scenarios.csv").display()))?;

    let bar = ProgressBar::new(args.scenarios);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {bar:40} {pos}/{len} scenarios ({per_sec}, eta {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    if args.scenarios < 20_000 {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let opts = SweepOptions {
        scenarios: args.scenarios,
        seed: args.seed,
        paths: args.paths,
    };
    let sweep = sweep(
        &fund,
        backend.as_ref(),
        &opts,
        |first, p, o| csv.write_block(first, p, o),
        |done| bar.set_position(done),
    )
    .context("running the sweep")?;
    bar.finish_and_clear();

    let analysis = if args.analysis.no_analysis {
        None
    } else {
        let a = crate::analysis::run_stages(
            &fund,
            &sweep.outputs,
            args.seed,
            &args.out,
            &args.analysis,
            args.threads,
        )?;
        Some(a)
    };
    let agg = aggregate(&sweep.outputs);
    let p = &fund.model.params;
    let sdp = args.scenarios as f64 * p.horizon as f64 * p.n_positions as f64;
    let summary = Summary {
        schema_version: SCHEMA_VERSION,
        tool: "undertow",
        version: env!("CARGO_PKG_VERSION"),
        fund: fund_info(&fund),
        run: RunInfo {
            scenarios: args.scenarios,
            seed: args.seed,
            horizon_days: p.horizon,
            strategy: Strategy::name_of_code(p.strategy).into(),
            impact_model: ImpactModel::name_of_code(p.impact_model).into(),
            backend: backend.describe(),
            threads: args.threads.unwrap_or_else(rayon_threads),
            seconds: sweep.seconds,
            throughput: sdp / sweep.seconds.max(1e-9),
            switches: undertow_host::output::switch_map(p.switches),
        },
        headline: Headline {
            coverage: agg.coverage,
            survival: agg.survival,
            gate_frequency: agg.gate_frequency,
            shortfall_frequency: agg.shortfall_frequency,
            mean_cost_bps: agg.mean_cost * 1e4,
            cost_p99_bps: agg.cost_p99 * 1e4,
            liquidity_at_risk_currency: agg
                .liquidity_at_risk
                .iter()
                .map(|r| (r.horizon_days, r.lar.map(|v| v * fund.aum)))
                .collect(),
        },
        aggregate: agg,
        fan_charts: sweep.fan,
        analysis,
    };
    // Render first, so that a report error leaves no summary behind either.
    let summary_value = serde_json::to_value(&summary).context("serialising the summary")?;
    let page = undertow_report::render(&summary_value).context("rendering report.html")?;
    write_json(&args.out.join("summary.json"), &summary).context("writing summary.json")?;
    csv.commit().context("writing scenarios.csv")?;
    undertow_engine::files::write_html(&args.out, &page).context("writing report.html")?;
    print_table(&fund, &summary);
    if let Some(a) = &summary.analysis {
        crate::analysis::print_findings(a);
    }
    println!("wrote {}", args.out.display());
    Ok(())
}

fn rayon_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

pub fn fund_info(fund: &Fund) -> FundInfo {
    FundInfo {
        name: fund.name.clone(),
        source: fund.source.clone(),
        currency: fund.currency.clone(),
        aum: fund.aum,
        positions: fund.model.positions.len(),
        segments: fund.model.segments.len(),
        large_investors: fund.model.large.len(),
        initial_cash: fund.model.params.initial_cash as f64,
    }
}

fn print_table(fund: &Fund, s: &Summary) {
    let h = &s.headline;
    let r = &s.run;
    println!(
        "{} — {} scenarios × {} days, {} on {} in {:.2}s ({:.2e} scenario-day-positions/s)",
        fund.name, r.scenarios, r.horizon_days, r.strategy, r.backend, r.seconds, r.throughput
    );
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
    for (row, cur) in s
        .aggregate
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

//! The analysis commands: `undertow profile` (stage 1 alone), `undertow optimize buffer` (stage 3
//! with what it depends on), and [`run_stages`], which `undertow run` calls after its sweep to run
//! every stage, print the findings and write the tables. Flags are parsed here into
//! `undertow_analysis::AnalysisConfig`; the work is in the host.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use undertow_analysis::config::{pct, AnalysisConfig, ConfigError};
use undertow_analysis::findings::{money, p1};
use undertow_analysis::market_liquidity::{Bucket, MarketLiquidityReport, PORTFOLIO};
use undertow_analysis::tables::write_tables;
use undertow_analysis::{
    check_inputs, run_analysis, AnalysisError, AnalysisInputs, AnalysisSummary, StageId,
};
use undertow_host::cpu::{CpuBackend, DEFAULT_CHUNK};
use undertow_host::fund::Fund;
use undertow_host::output::AtomicFile;
use undertow_host::run::{sweep_cpu, SweepOptions};
use undertow_kernel::ScenarioOutput;

use crate::commands::prepare_fund;
use crate::BadInput;

/// Analysis settings shared by `undertow run` (flatten into its flags) and the stage commands.
#[derive(Args, Debug, Clone)]
pub struct AnalysisArgs {
    /// Scenarios rerun per variant by every stage (buffer composition, strategy, gate or swing
    /// point, early-warning level; the first of the run, same seed). Default: each stage's own
    /// (2,000; 1,000 per gate and swing point).
    #[arg(long)]
    pub stage_scenarios: Option<u64>,
    /// Reverse stress test: scenarios per point of the severity grid.
    #[arg(long, default_value_t = 100)]
    pub reverse_stress_per_point: u64,
    /// Scenarios rerun per feedback channel for the cascade attribution (0 skips it).
    #[arg(long, default_value_t = 2_000)]
    pub attribution_scenarios: u64,
    /// Coverage target of the buffer search (share of scenarios).
    #[arg(long, default_value_t = 0.985)]
    pub target: f64,
    /// Days over which buffer coverage, survival and costs are measured.
    #[arg(long, default_value_t = 30)]
    pub buffer_horizon: u32,
    /// Skip the analysis stages (sweep only).
    #[arg(long)]
    pub no_analysis: bool,
}

impl Default for AnalysisArgs {
    fn default() -> Self {
        AnalysisArgs {
            stage_scenarios: None,
            reverse_stress_per_point: 100,
            attribution_scenarios: 2_000,
            target: 0.985,
            buffer_horizon: 30,
            no_analysis: false,
        }
    }
}

impl AnalysisArgs {
    /// Checks the flags against the fund before anything is created: call it before the sweep,
    /// so that bad input leaves no output (exit 2).
    pub fn check(&self, fund: &Fund) -> Result<()> {
        if self.no_analysis {
            return Ok(());
        }
        check_inputs(fund, &self.config(), &StageId::ALL).map_err(analysis_error)
    }

    fn config(&self) -> AnalysisConfig {
        let mut cfg = AnalysisConfig::default();
        self.apply(&mut cfg);
        cfg
    }

    fn apply(&self, cfg: &mut AnalysisConfig) {
        if let Some(n) = self.stage_scenarios {
            cfg.buffer.scenarios = n;
            cfg.liquidation.scenarios = n;
            cfg.gates.scenarios = n;
            cfg.swing.scenarios = n;
            cfg.early_warning.scenarios = n;
        }
        cfg.reverse_stress.scenarios_per_point = self.reverse_stress_per_point;
        cfg.investors.attribution_scenarios = self.attribution_scenarios;
        cfg.buffer.target_coverage = self.target;
        cfg.buffer.horizon_days = self.buffer_horizon;
    }
}

/// `undertow profile`.
#[derive(Args, Debug, Clone)]
pub struct ProfileArgs {
    /// Fund file (TOML); the built-in example fund when absent.
    #[arg(long)]
    pub fund: Option<PathBuf>,
    /// Run seed of the scenario records whose shocks define the stressed conditions.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Scenario records drawn for the stressed quantiles (nothing is simulated).
    #[arg(long, default_value_t = 10_000)]
    pub scenarios: u64,
    /// Liquidation horizons, days (comma-separated).
    #[arg(long, value_delimiter = ',', default_values_t = [1u32, 3, 5, 10, 20, 30])]
    pub horizons: Vec<u32>,
    /// Participation rates, fractions of daily volume (comma-separated).
    #[arg(long, value_delimiter = ',', default_values_t = [0.10, 0.20, 0.30, 0.50])]
    pub participation: Vec<f64>,
    /// Quantiles of the scenario set's shocks that define the stressed conditions.
    #[arg(long, value_delimiter = ',', default_values_t = [0.50, 0.95])]
    pub stressed_quantiles: Vec<f64>,
    /// SEC 22e-4: reasonably anticipated trade size, fraction of each position.
    #[arg(long, default_value_t = 1.0)]
    pub trade_size: f64,
    /// SEC 22e-4: participation rate assumed (default: the fund's participation cap).
    #[arg(long)]
    pub bucket_participation: Option<f64>,
    /// SEC 22e-4: cost per unit sold (bps) that counts as significantly changing market value.
    #[arg(long, default_value_t = 100.0)]
    pub significant_impact_bps: f64,
    /// Highly liquid investment minimum, fraction of NAV.
    #[arg(long, default_value_t = 0.10)]
    pub hlim: f64,
    /// Inverse query: the cost of liquidating each position in this many days.
    #[arg(long, default_value_t = 5.0)]
    pub target_days: f64,
    /// Inverse query: the days to liquidate each position within this cost per unit (bps).
    #[arg(long, default_value_t = 50.0)]
    pub cost_threshold_bps: f64,
    /// Output directory.
    #[arg(long, default_value = "undertow-out")]
    pub out: PathBuf,
}

/// `undertow optimize ...`.
#[derive(Args, Debug, Clone)]
pub struct OptimizeArgs {
    #[command(subcommand)]
    pub what: OptimizeCommand,
}

#[derive(Subcommand, Debug, Clone)]
pub enum OptimizeCommand {
    /// Liquidity at risk, the buffer search and liquidity-aware portfolio construction.
    Buffer(OptimizeBufferArgs),
    /// Liquidation strategies compared, execution approaches and the liquidation hierarchy
    /// (stage 4).
    Liquidation(crate::design::OptimizeLiquidationArgs),
    /// Gate triggers and swing pricing calibrated, early warning, reverse stress and the
    /// communication playbook (stage 5).
    Gates(crate::design::OptimizeGatesArgs),
}

/// `undertow optimize buffer`.
#[derive(Args, Debug, Clone)]
pub struct OptimizeBufferArgs {
    /// Fund file (TOML); the built-in example fund when absent.
    #[arg(long)]
    pub fund: Option<PathBuf>,
    /// Scenarios of the sweep behind liquidity at risk.
    #[arg(long, default_value_t = 10_000)]
    pub scenarios: u64,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Scenarios simulated per buffer composition (the first of the sweep).
    #[arg(long, default_value_t = 2_000)]
    pub stage_scenarios: u64,
    /// Scenarios rerun per feedback channel for the cascade attribution (0: skip it).
    #[arg(long, default_value_t = 0)]
    pub attribution_scenarios: u64,
    /// Days over which coverage, survival and costs are measured.
    #[arg(long, default_value_t = 30)]
    pub buffer_horizon: u32,
    /// Coverage target (share of scenarios).
    #[arg(long, default_value_t = 0.985)]
    pub target: f64,
    /// Objective weights: safety, opportunity cost, operational (comma-separated).
    #[arg(long, value_delimiter = ',', default_values_t = [0.6, 0.3, 0.1])]
    pub weights: Vec<f64>,
    /// Annual yield of cash.
    #[arg(long, default_value_t = 0.04)]
    pub cash_yield: f64,
    /// Annual yield of short sovereigns.
    #[arg(long, default_value_t = 0.0425)]
    pub sovereign_yield: f64,
    /// Annual expected return of the liquid ETFs.
    #[arg(long, default_value_t = 0.055)]
    pub etf_yield: f64,
    /// Grid of cash weights (comma-separated fractions of NAV).
    #[arg(long, value_delimiter = ',', default_values_t = [0.03, 0.05, 0.07, 0.09, 0.11, 0.13])]
    pub grid_cash: Vec<f64>,
    /// Grid of short-sovereign weights.
    #[arg(long, value_delimiter = ',', default_values_t = [0.0, 0.03, 0.06])]
    pub grid_sovereign: Vec<f64>,
    /// Grid of liquid-ETF weights.
    #[arg(long, value_delimiter = ',', default_values_t = [0.0, 0.03])]
    pub grid_etf: Vec<f64>,
    /// Leave out the use case's named compositions (the static buffer is always searched).
    #[arg(long)]
    pub no_named: bool,
    /// Count the fund's own buffer-tier holdings toward every composition's buffer.
    #[arg(long)]
    pub keep_fund_tiers: bool,
    /// Keep the fund's gates on while measuring coverage (off: the buffer alone).
    #[arg(long)]
    pub with_gates: bool,
    /// Construction: most of NAV illiquid.
    #[arg(long, default_value_t = 0.25)]
    pub max_illiquid: f64,
    /// Construction: least of NAV daily-liquid.
    #[arg(long, default_value_t = 0.15)]
    pub min_daily_liquid: f64,
    /// Construction: most of NAV in one asset class.
    #[arg(long, default_value_t = 0.50)]
    pub max_asset_class: f64,
    /// Construction: least portfolio liquidity score (1 to 5).
    #[arg(long, default_value_t = 3.0)]
    pub min_liquidity_score: f64,
    /// Construction: let the cash weight change too.
    #[arg(long)]
    pub free_cash: bool,
    /// Worker threads (default: every core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Output directory.
    #[arg(long, default_value = "undertow-out")]
    pub out: PathBuf,
}

/// The flag that sets a configuration path, for error messages.
pub(crate) fn flag_of(setting: &str) -> &'static str {
    match setting {
        "profile.horizons" => "--horizons",
        "profile.participation_rates" => "--participation",
        "profile.stressed_quantiles" => "--stressed-quantiles",
        "profile.scenarios" => "--scenarios",
        "profile.target_days" => "--target-days",
        "profile.cost_threshold_bps" => "--cost-threshold-bps",
        "profile.buckets.trade_size" => "--trade-size",
        "profile.buckets.participation" => "--bucket-participation",
        "profile.buckets.significant_impact_bps" => "--significant-impact-bps",
        "profile.buckets.hlim" => "--hlim",
        "buffer.scenarios" => "--stage-scenarios",
        "reverse_stress.scenarios_per_point" => "--reverse-stress-per-point",
        "buffer.horizon_days" => "--buffer-horizon",
        "buffer.target_coverage" => "--target",
        "buffer.weights" => "--weights",
        "buffer.cash_yield" => "--cash-yield",
        "buffer.sovereign.annual_yield" => "--sovereign-yield",
        "buffer.etf.annual_yield" => "--etf-yield",
        "buffer.grid.cash" => "--grid-cash",
        "buffer.grid.sovereign" => "--grid-sovereign",
        "buffer.grid.etf" => "--grid-etf",
        "construction.max_illiquid" => "--max-illiquid",
        "construction.min_daily_liquid" => "--min-daily-liquid",
        "construction.max_asset_class" => "--max-asset-class",
        "construction.min_liquidity_score" => "--min-liquidity-score",
        other => crate::design::flag_of(other),
    }
}

pub(crate) fn config_error(e: &ConfigError) -> anyhow::Error {
    let flag = flag_of(&e.setting);
    let name = if flag.is_empty() {
        format!("setting {}", e.setting)
    } else {
        format!("flag {flag}")
    };
    BadInput(format!("{name}: {}: {}", e.value, e.reason)).into()
}

/// Turns an analysis error into bad input (exit 2) or a runtime failure (exit 1).
pub(crate) fn analysis_error(e: AnalysisError) -> anyhow::Error {
    match &e {
        AnalysisError::Config(c) => config_error(c),
        AnalysisError::Composition { .. } => BadInput(e.to_string()).into(),
        _ => anyhow::Error::new(e).context("running the analysis"),
    }
}

pub(crate) fn check_threads(threads: Option<usize>) -> Result<()> {
    if threads == Some(0) {
        return Err(BadInput("flag --threads: 0 (must be at least 1)".into()).into());
    }
    Ok(())
}

/// Runs every analysis stage after `undertow run`'s sweep, writes the tables into `out_dir` and
/// returns the sections for `summary.json`; print them with [`print_findings`] after the run's
/// own table. `base_outputs` are the sweep's records (scenario indices from 0, seed `seed`).
pub fn run_stages(
    fund: &Fund,
    base_outputs: &[ScenarioOutput],
    seed: u64,
    out_dir: &Path,
    args: &AnalysisArgs,
    threads: Option<usize>,
) -> Result<AnalysisSummary> {
    let cfg = args.config();
    let summary = run_analysis(
        AnalysisInputs {
            fund,
            base_outputs,
            seed,
        },
        &cfg,
        &StageId::ALL,
        threads,
    )
    .map_err(analysis_error)?;
    write_tables(out_dir, &summary)
        .with_context(|| format!("writing the analysis tables into {}", out_dir.display()))?;
    Ok(summary)
}

/// Prints every finding, stage by stage, with how long each stage took.
pub fn print_findings(s: &AnalysisSummary) {
    let mut runs: Vec<_> = s.stages.iter().collect();
    runs.sort_by_key(|r| r.stage);
    for run in runs {
        let found: Vec<_> = s.findings.iter().filter(|f| f.stage == run.stage).collect();
        if found.is_empty() {
            continue;
        }
        println!(
            "{} ({} scenarios, {:.1}s):",
            run.title, run.scenarios_used, run.seconds
        );
        for f in found {
            println!("  - {}", f.text);
        }
    }
}

/// `undertow profile`: stage 1 alone.
pub fn profile(args: &ProfileArgs) -> Result<()> {
    let fund = prepare_fund(args.fund.as_deref(), None, None)?;
    let mut cfg = AnalysisConfig::default();
    let p = &mut cfg.profile;
    p.horizons = args.horizons.clone();
    p.participation_rates = args.participation.clone();
    p.stressed_quantiles = args.stressed_quantiles.clone();
    p.scenarios = args.scenarios;
    p.target_days = args.target_days;
    p.cost_threshold_bps = args.cost_threshold_bps;
    p.buckets.trade_size = args.trade_size;
    p.buckets.participation = args.bucket_participation;
    p.buckets.significant_impact_bps = args.significant_impact_bps;
    p.buckets.hlim = args.hlim;
    check_inputs(&fund, &cfg, &[StageId::MarketLiquidity]).map_err(analysis_error)?;
    let summary = run_analysis(
        AnalysisInputs {
            fund: &fund,
            base_outputs: &[],
            seed: args.seed,
        },
        &cfg,
        &[StageId::MarketLiquidity, StageId::Findings],
        None,
    )
    .map_err(analysis_error)?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    write_tables(&args.out, &summary)
        .with_context(|| format!("writing tables into {}", args.out.display()))?;
    write_json(&args.out.join("profile.json"), &fund, &summary)?;
    if let Some(m) = &summary.market_liquidity {
        print_profile(&fund, m);
    }
    print_findings(&summary);
    println!("wrote {}", args.out.display());
    Ok(())
}

/// `undertow optimize ...`.
pub fn optimize(args: &OptimizeArgs) -> Result<()> {
    match &args.what {
        OptimizeCommand::Buffer(b) => optimize_buffer(b),
        OptimizeCommand::Liquidation(l) => crate::design::optimize_liquidation(l),
        OptimizeCommand::Gates(g) => crate::design::optimize_gates(g),
    }
}

/// `undertow optimize buffer`: a sweep for liquidity at risk, then stage 3 with the stages it
/// depends on.
pub fn optimize_buffer(args: &OptimizeBufferArgs) -> Result<()> {
    let fund = prepare_fund(args.fund.as_deref(), None, None)?;
    crate::commands::check_scenarios(args.scenarios)?;
    check_threads(args.threads)?;
    let mut cfg = AnalysisConfig::default();
    cfg.investors.attribution_scenarios = args.attribution_scenarios;
    let b = &mut cfg.buffer;
    b.scenarios = args.stage_scenarios;
    b.horizon_days = args.buffer_horizon;
    b.target_coverage = args.target;
    if args.weights.len() != 3 {
        return Err(BadInput(format!(
            "flag --weights: {:?}: give three weights (safety, opportunity cost, operational)",
            args.weights
        ))
        .into());
    }
    b.weights.safety = args.weights[0];
    b.weights.opportunity_cost = args.weights[1];
    b.weights.operational = args.weights[2];
    b.cash_yield = args.cash_yield;
    b.sovereign.annual_yield = args.sovereign_yield;
    b.etf.annual_yield = args.etf_yield;
    b.grid.cash = args.grid_cash.clone();
    b.grid.sovereign = args.grid_sovereign.clone();
    b.grid.etf = args.grid_etf.clone();
    if args.no_named {
        b.named.clear();
    }
    b.keep_fund_tiers = args.keep_fund_tiers;
    b.with_gates = args.with_gates;
    let c = &mut cfg.construction;
    c.max_illiquid = args.max_illiquid;
    c.min_daily_liquid = args.min_daily_liquid;
    c.max_asset_class = args.max_asset_class;
    c.min_liquidity_score = args.min_liquidity_score;
    c.hold_cash = !args.free_cash;
    check_inputs(&fund, &cfg, &[StageId::PortfolioLiquidity]).map_err(analysis_error)?;

    let outputs = analysis_sweep(&fund, args.scenarios, args.seed, args.threads)?;
    let summary = run_analysis(
        AnalysisInputs {
            fund: &fund,
            base_outputs: &outputs,
            seed: args.seed,
        },
        &cfg,
        &[StageId::PortfolioLiquidity, StageId::Findings],
        args.threads,
    )
    .map_err(analysis_error)?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    write_tables(&args.out, &summary)
        .with_context(|| format!("writing tables into {}", args.out.display()))?;
    write_json(&args.out.join("buffer.json"), &fund, &summary)?;
    print_buffer(&fund, &summary);
    print_findings(&summary);
    println!("wrote {}", args.out.display());
    Ok(())
}

/// The CPU sweep a stage command reads (no fan-chart paths): its records, indices from 0.
pub(crate) fn analysis_sweep(
    fund: &Fund,
    scenarios: u64,
    seed: u64,
    threads: Option<usize>,
) -> Result<Vec<ScenarioOutput>> {
    let backend =
        CpuBackend::new(threads, DEFAULT_CHUNK).context("starting the CPU thread pool")?;
    let opts = SweepOptions {
        scenarios,
        seed,
        paths: 0,
    };
    let sweep =
        sweep_cpu(fund, &backend, &opts, |_, _, _| Ok(()), |_| {}).context("running the sweep")?;
    Ok(sweep.outputs)
}

/// Writes a stage command's JSON: the fund, then the analysis sections.
pub(crate) fn write_json(path: &Path, fund: &Fund, s: &AnalysisSummary) -> Result<()> {
    let mut value = serde_json::to_value(s).context("serialising the analysis")?;
    if let Some(map) = value.as_object_mut() {
        map.insert(
            "fund".into(),
            serde_json::json!({ "name": fund.name, "source": fund.source, "currency": fund.currency, "aum": fund.aum }),
        );
    }
    write_value(path, &value)
}

/// Writes a JSON value atomically.
pub(crate) fn write_value(path: &Path, value: &serde_json::Value) -> Result<()> {
    let mut f = AtomicFile::create(path).with_context(|| format!("writing {}", path.display()))?;
    serde_json::to_writer_pretty(f.writer(), value).context("serialising the analysis")?;
    use std::io::Write;
    writeln!(f.writer())?;
    f.commit()
        .with_context(|| format!("writing {}", path.display()))
}

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

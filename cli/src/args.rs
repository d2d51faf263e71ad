//! Every flag of `undertow`, as clap definitions, and how each command's flags become the
//! engine's structs (fund overrides, run requests, analysis configurations). Flag names,
//! defaults and help text are the interface; the checks behind them are in `undertow-engine`.

use std::path::PathBuf;
use std::str::FromStr;

use clap::{Args, Parser, Subcommand, ValueEnum};
use undertow_analysis::redemption_policy::config::ReverseStressConfig;
use undertow_analysis::redemption_policy::reverse_stress;
use undertow_analysis::AnalysisConfig;
use undertow_engine::settings::buffer_horizon;
use undertow_engine::stages::StageSweep;
use undertow_engine::{AnalysisSettings, EngineError, FundOverrides, RunRequest, StageReruns};
use undertow_host::backend::BackendChoice as HostChoice;
use undertow_host::cpu::DEFAULT_CHUNK;
use undertow_host::fund::Fund;

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

/// `undertow example-fund`.
#[derive(Args, Debug)]
pub struct ExampleFundArgs {
    /// Split each of the example's 16 positions into N lots (1..=1000) of equal weight and ADV
    /// (days to sell unchanged; spreads and impact 0.8x to 1.2x the parent's, as
    /// `host::fund::split_positions` does), for many-position runs:
    /// `undertow example-fund --lots 63 > lots63.toml` gives the 1,008-position fund.
    #[arg(long, value_name = "N")]
    pub lots: Option<u64>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run the scenario sweep and the analysis stages; write summary.json, scenarios.csv, the
    /// stages' tables and report.html.
    Run(RunArgs),
    /// Merge the shard directories of a sharded run (`undertow run --shard K/N`) into exactly
    /// what the single run writes.
    Merge(MergeArgs),
    /// Print the built-in example fund as a commented TOML fund file (`--lots N`: with each
    /// position split into N lots).
    ExampleFund(ExampleFundArgs),
    /// Market liquidity profile of the fund's positions (analysis stage 1 alone).
    Profile(ProfileArgs),
    /// Optimisation: `undertow optimize buffer|liquidation|gates`.
    Optimize(OptimizeArgs),
    /// Reverse stress test: the least severe market × redemption shock that breaks the fund, and
    /// the failure-probability map.
    ReverseStress(ReverseStressArgs),
    /// Sensitivity of the stress library's headline numbers to each judgement range of the
    /// scenario configuration, scaled about its centre; writes sensitivity.csv.
    Sensitivity(SensitivityArgs),
    /// Calibrate the fund file from the fund's own data: `undertow calibrate flows`
    /// (docs/calibration.md) and `undertow calibrate market` (docs/market-data.md).
    Calibrate(CalibrateArgs),
    /// Backtest the fund file's flow model on a flow history: LaR exceedances with Kupiec's and
    /// Christoffersen's tests, PIT histogram; writes backtest.json and backtest.html.
    Backtest(BacktestArgs),
    /// Render report.html from a finished run's summary.json (nothing is simulated).
    Report(ReportArgs),
    /// Run the same scenarios on the GPU and the CPU and report their agreement.
    Validate(ValidateArgs),
    /// List the GPU adapters wgpu can see.
    Devices,
    /// Measure CPU and GPU throughput on the same workload.
    Bench(BenchArgs),
    /// Run a file of scripted scenarios as deterministic what-ifs (docs/scenarios.md section 8).
    WhatIf(WhatIfArgs),
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
    /// The engine's choice.
    pub fn host(self) -> HostChoice {
        match self {
            BackendChoice::Auto => HostChoice::Auto,
            BackendChoice::Cpu => HostChoice::Cpu,
            BackendChoice::Gpu => HostChoice::Gpu,
        }
    }
}

#[derive(Args, Debug, Clone)]
pub struct ValidateArgs {
    /// Fund file (TOML); the built-in example fund when absent.
    #[arg(long)]
    pub fund: Option<PathBuf>,
    /// Number of scenarios, 1 to 4294967295.
    #[arg(long, default_value_t = 10_000)]
    pub scenarios: u64,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Simulated horizon in days (overrides the fund file): 1 to 2520, longer than every
    /// settlement lag and notice period, as in the fund file.
    #[arg(long)]
    pub horizon: Option<u32>,
}

#[derive(Args, Debug, Clone)]
pub struct BenchArgs {
    /// Fund file (TOML); the built-in example fund when absent.
    #[arg(long)]
    pub fund: Option<PathBuf>,
    /// Number of scenarios, 1 to 4294967295.
    #[arg(long, default_value_t = 10_000)]
    pub scenarios: u64,
    /// Worker threads of the CPU backend, 1 to 4096 (default: every core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Skip the GPU even when an adapter is present.
    #[arg(long)]
    pub cpu_only: bool,
    /// Split the fund's positions into this many issues (scaling measurements).
    #[arg(long)]
    pub positions: Option<usize>,
    /// Simulated horizon in days (overrides the fund file): 1 to 2520, longer than every
    /// settlement lag and notice period, as in the fund file.
    #[arg(long)]
    pub horizon: Option<u32>,
    /// Also time the CPU in `f64` (the precision the `f32` results are checked against).
    #[arg(long)]
    pub f64: bool,
    /// Time each backend this many times, 1 to 1000, and report the fastest run and the median:
    /// on a shared host other work only ever slows a run down, so the fastest is the least
    /// disturbed measure.
    #[arg(long, default_value_t = 1)]
    pub repeat: u64,
}

#[derive(Args, Debug, Clone)]
pub struct RunArgs {
    /// Fund file (TOML); the built-in example fund when absent.
    #[arg(long)]
    pub fund: Option<PathBuf>,
    /// Scripted scenarios (TOML, docs/scenarios.md section 8) to run as what-ifs beside the
    /// Monte Carlo results: summary.json's what_if, a report section and what_if.csv.
    #[arg(long)]
    pub scripts: Option<PathBuf>,
    /// Number of scenarios, 1 to 4294967295.
    #[arg(long, default_value_t = 10_000)]
    pub scenarios: u64,
    /// Run seed: a scenario's result depends only on the seed and its index.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Simulated horizon in days (overrides the fund file): 1 to 2520, longer than every
    /// settlement lag and notice period, as in the fund file.
    #[arg(long)]
    pub horizon: Option<u32>,
    /// Liquidation strategy: waterfall, pro_rata, min_cost or balanced (overrides the fund file).
    #[arg(long)]
    pub strategy: Option<String>,
    /// Worker threads, 1 to 4096 (default: every core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Output directory.
    #[arg(long, default_value = "undertow-out")]
    pub out: PathBuf,
    /// Backend: auto uses a hardware GPU when there is one, otherwise the CPU.
    #[arg(long, value_enum, default_value_t = BackendChoice::Auto)]
    pub backend: BackendChoice,
    /// Where the analysis stages' plain reruns (buffer compositions, the reverse stress grid)
    /// run: auto uses the GPU when the sweep runs on a hardware GPU, otherwise the CPU.
    #[arg(long, value_enum, default_value_t = StageRerunsChoice::Auto)]
    pub stage_reruns: StageRerunsChoice,
    /// Scenarios traced day by day for the fan charts.
    #[arg(long, default_value_t = 200)]
    pub paths: usize,
    /// Scenarios per rayon task (at least 1).
    #[arg(long, default_value_t = DEFAULT_CHUNK)]
    pub chunk: usize,
    /// Refuse a run whose estimated peak memory is over this size: bytes, or a number with B,
    /// KB, MB, GB, TB, KiB, MiB, GiB or TiB (`2GiB`, `500MB`) [default: 80% of the memory
    /// available now (MemAvailable), no limit where that cannot be read].
    #[arg(long, value_parser = parse_max_memory)]
    pub max_memory: Option<u64>,
    /// Sweep the stress library only: leave out the unconditional mixture over a year of
    /// business days (summary.json's `unconditional`, scenarios_unconditional.csv).
    #[arg(long)]
    pub no_unconditional: bool,
    /// Run shard K of N (0-based): scenarios [K*n/N, (K+1)*n/N) of both sets, written as
    /// OUT/shard-KKKKK-of-NNNNN/ for `undertow merge`. Without the flag, K/N come from
    /// SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT, JOB_COMPLETION_INDEX/UNDERTOW_SHARDS or
    /// AWS_BATCH_JOB_ARRAY_INDEX/UNDERTOW_SHARDS when set.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    #[command(flatten)]
    pub analysis: AnalysisArgs,
}

/// `undertow merge`.
/// Where the analysis stages' plain reruns run (`--stage-reruns`).
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum StageRerunsChoice {
    /// The GPU when the sweep runs on a hardware GPU (for `merge`: when there is one), otherwise
    /// the CPU.
    Auto,
    /// The analysis' CPU pool: the stages' results are the CPU reference's bit for bit.
    Cpu,
    /// A GPU adapter (a software one such as lavapipe when it is the only one): the portfolio
    /// liquidity stage's compositions and the reverse stress grid, within the f32 tolerance of
    /// the CPU's.
    Gpu,
}

impl StageRerunsChoice {
    /// The engine's choice, `auto` decided by `auto` (`engine::backend::auto_stage_reruns` for
    /// `run`).
    pub fn resolve(self, auto: impl FnOnce() -> StageReruns) -> StageReruns {
        match self {
            StageRerunsChoice::Cpu => StageReruns::Cpu,
            StageRerunsChoice::Gpu => StageReruns::Gpu,
            StageRerunsChoice::Auto => auto(),
        }
    }
}

#[derive(Args, Debug, Clone)]
pub struct MergeArgs {
    /// Shard directories (shard-KKKKK-of-NNNNN), or directories holding them (at least one;
    /// none is refused as bad input).
    #[arg(value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    /// Output directory: what `undertow run --out OUT` of the same sweep writes (with
    /// --as-shard: the folder the combined shard directory is written in).
    #[arg(long, default_value = "undertow-out")]
    pub out: PathBuf,
    /// Combine the shards, which must cover shard K/N's range exactly, into the shard directory
    /// OUT/shard-KKKKK-of-NNNNN instead of finishing the run (a step of a tree merge).
    #[arg(long, value_name = "K/N")]
    pub as_shard: Option<String>,
    /// Worker threads of the analysis stages, 1 to 4096 (default: every core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Where the analysis stages' plain reruns run: give what the single run used for the merge
    /// to equal it (auto: a hardware GPU when there is one).
    #[arg(long, value_enum, default_value_t = StageRerunsChoice::Auto)]
    pub stage_reruns: StageRerunsChoice,
}

/// `undertow sensitivity`.
#[derive(Args, Debug, Clone)]
pub struct SensitivityArgs {
    /// Fund file (TOML); the built-in example fund when absent.
    #[arg(long)]
    pub fund: Option<PathBuf>,
    /// Scenarios of every sweep (the same indices for each variant), 1 to 4294967295.
    #[arg(long, default_value_t = undertow_engine::sensitivity::DEFAULT_SCENARIOS)]
    pub scenarios: u64,
    /// Run seed (common random numbers across the variants).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Simulated horizon in days (overrides the fund file).
    #[arg(long)]
    pub horizon: Option<u32>,
    /// A judgement range to move (repeat for several; a TOML path under `scenarios.`, e.g.
    /// `market.depth_cut`) [default: all of docs/scenarios.md section 11].
    #[arg(long = "range")]
    pub ranges: Vec<String>,
    /// Factors each range's half-width is scaled by about its centre, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = undertow_engine::sensitivity::DEFAULT_FACTORS)]
    pub factors: Vec<f64>,
    /// Worker threads, 1 to 4096 (default: every core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Backend: auto uses a hardware GPU when there is one, otherwise the CPU.
    #[arg(long, value_enum, default_value_t = BackendChoice::Auto)]
    pub backend: BackendChoice,
    /// Output directory.
    #[arg(long, default_value = "undertow-out")]
    pub out: PathBuf,
}

impl SensitivityArgs {
    /// What to run.
    pub fn request(&self) -> undertow_engine::sensitivity::SensitivityRequest {
        undertow_engine::sensitivity::SensitivityRequest {
            scenarios: self.scenarios,
            seed: self.seed,
            ranges: self.ranges.clone(),
            factors: self.factors.clone(),
        }
    }

    /// `--horizon`.
    pub fn overrides(&self) -> FundOverrides {
        FundOverrides {
            horizon: self.horizon,
            strategy: None,
        }
    }
}

/// `--max-memory`'s value.
fn parse_max_memory(s: &str) -> Result<u64, String> {
    undertow_engine::memory::parse_size(s)
}

/// `undertow report`.
#[derive(Args, Debug, Clone)]
pub struct ReportArgs {
    /// Directory holding summary.json (the --out of `undertow run`); report.html is written
    /// beside it.
    #[arg(long)]
    pub from: PathBuf,
}

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
    /// Days over which buffer coverage, survival and costs are measured, at most the fund's
    /// horizon [default: 30, or the fund's horizon when shorter].
    #[arg(long)]
    pub buffer_horizon: Option<u32>,
    /// Skip the analysis stages (sweep only).
    #[arg(long)]
    pub no_analysis: bool,
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
    Liquidation(OptimizeLiquidationArgs),
    /// Gate triggers and swing pricing calibrated, early warning, reverse stress and the
    /// communication playbook (stage 5).
    Gates(OptimizeGatesArgs),
}

/// `undertow optimize buffer`.
#[derive(Args, Debug, Clone)]
pub struct OptimizeBufferArgs {
    /// Fund file (TOML); the built-in example fund when absent.
    #[arg(long)]
    pub fund: Option<PathBuf>,
    /// Read the stress library's records from these shard directories of `undertow run --shard`
    /// (or directories holding them) instead of sweeping; their count and seed are used, and
    /// they must have run this fund with the same overrides (docs/scale-out.md).
    #[arg(long, num_args = 1.., value_name = "DIR", conflicts_with_all = ["scenarios", "seed"])]
    pub from_shards: Vec<PathBuf>,
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
    /// Days over which coverage, survival and costs are measured, at most the fund's horizon
    /// [default: 30, or the fund's horizon when shorter].
    #[arg(long)]
    pub buffer_horizon: Option<u32>,
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
    /// Worker threads, 1 to 4096 (default: every core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Output directory.
    #[arg(long, default_value = "undertow-out")]
    pub out: PathBuf,
}

/// A threshold level of a grid: a number, or `off` (the trigger is not used).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Level(pub Option<f64>);

impl FromStr for Level {
    type Err = String;
    fn from_str(s: &str) -> Result<Level, String> {
        if s.eq_ignore_ascii_case("off") {
            return Ok(Level(None));
        }
        s.parse::<f64>()
            .map(|x| Level(Some(x)))
            .map_err(|_| format!("`{s}` is neither a number nor `off`"))
    }
}

fn levels(v: &[Level]) -> Vec<Option<f64>> {
    v.iter().map(|l| l.0).collect()
}

/// `undertow optimize liquidation`.
#[derive(Args, Debug, Clone)]
pub struct OptimizeLiquidationArgs {
    /// Fund file (TOML); the built-in example fund when absent.
    #[arg(long)]
    pub fund: Option<PathBuf>,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Scenarios each strategy reruns (indices from 0 of the run with this seed).
    #[arg(long, default_value_t = 2_000)]
    pub stage_scenarios: u64,
    /// Objective weights: impact, alpha, balance (comma-separated).
    #[arg(long, value_delimiter = ',', default_values_t = [0.5, 0.3, 0.2])]
    pub weights: Vec<f64>,
    /// Largest relative drift of a class weight from its target.
    #[arg(long, default_value_t = 0.10)]
    pub max_style_drift: f64,
    /// 30-day requested outflow (fraction of NAV) that makes a scenario a significant redemption.
    #[arg(long, default_value_t = 0.10)]
    pub significant_redemption: f64,
    /// Almgren–Chriss risk aversion, 1/NAV.
    #[arg(long, default_value_t = 20.0)]
    pub risk_aversion: f64,
    /// Days of the time-slicing schedule.
    #[arg(long, default_value_t = 5)]
    pub time_slicing_days: u32,
    /// Block-trade discount under normal, stressed and highly stressed conditions.
    #[arg(long, value_delimiter = ',', default_values_t = [0.01, 0.025, 0.05])]
    pub block_discount: Vec<f64>,
    /// Amount to execute, fraction of NAV (default: the 95th percentile of what the recommended
    /// strategy sold).
    #[arg(long)]
    pub execution_amount: Option<f64>,
    /// Worker threads, 1 to 4096 (default: every core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Output directory.
    #[arg(long, default_value = "undertow-out")]
    pub out: PathBuf,
}

/// `undertow optimize gates`.
#[derive(Args, Debug, Clone)]
pub struct OptimizeGatesArgs {
    /// Fund file (TOML); the built-in example fund when absent.
    #[arg(long)]
    pub fund: Option<PathBuf>,
    /// Read the stress library's records from these shard directories of `undertow run --shard`
    /// (or directories holding them) instead of sweeping; their count and seed are used, and
    /// they must have run this fund with the same overrides (docs/scale-out.md).
    #[arg(long, num_args = 1.., value_name = "DIR", conflicts_with_all = ["scenarios", "seed"])]
    pub from_shards: Vec<PathBuf>,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Scenarios of the sweep whose records the early-warning analysis reads.
    #[arg(long, default_value_t = 2_000)]
    pub scenarios: u64,
    /// Scenarios rerun per gate point, swing point and early-warning level.
    #[arg(long)]
    pub stage_scenarios: Option<u64>,
    /// 30-day redemption thresholds, fractions of NAV, or `off` (comma-separated).
    #[arg(long, value_delimiter = ',', default_values = ["off", "0.15", "0.20", "0.25"])]
    pub redemptions_30d: Vec<Level>,
    /// Available-liquidity-ratio thresholds, or `off`.
    #[arg(long, value_delimiter = ',', default_values = ["off", "1.2"])]
    pub alr: Vec<Level>,
    /// Stress-composite thresholds, or `off`.
    #[arg(long, value_delimiter = ',', default_values = ["off", "0.6"])]
    pub stress: Vec<Level>,
    /// Gate caps: most of NAV paid per dealing day while gated.
    #[arg(long, value_delimiter = ',', default_values_t = [0.05, 0.10])]
    pub caps: Vec<f64>,
    /// Objective weights: protection, operational, reputation.
    #[arg(long, value_delimiter = ',', default_values_t = [0.6, 0.2, 0.2])]
    pub weights: Vec<f64>,
    /// Investor-level gate caps as an extra grid dimension (`off` for none).
    #[arg(long, value_delimiter = ',')]
    pub investor_caps: Vec<Level>,
    /// Fund notice periods, days, as an extra grid dimension.
    #[arg(long, value_delimiter = ',')]
    pub notice_days: Vec<u32>,
    /// Swing thresholds: net outflow in a day, fraction of NAV.
    #[arg(long, value_delimiter = ',', default_values_t = [0.0, 0.005, 0.01, 0.02])]
    pub swing_thresholds: Vec<f64>,
    /// Swing factors (0: the day's estimated cost rate).
    #[arg(long, value_delimiter = ',', default_values_t = [0.0, 0.0025, 0.005, 0.01])]
    pub swing_factors: Vec<f64>,
    /// Threshold levels per early-warning indicator (one rerun each).
    #[arg(long, default_value_t = 10)]
    pub ew_levels: usize,
    /// Highest false-alarm rate a calibrated early-warning threshold may have.
    #[arg(long, default_value_t = 0.10)]
    pub max_false_alarm: f64,
    /// Worker threads, 1 to 4096 (default: every core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Output directory.
    #[arg(long, default_value = "undertow-out")]
    pub out: PathBuf,
}

/// `undertow reverse-stress`.
#[derive(Args, Debug, Clone)]
pub struct ReverseStressArgs {
    /// Fund file (TOML); the built-in example fund when absent.
    #[arg(long)]
    pub fund: Option<PathBuf>,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Points along each severity axis of the grid (from 0 to 1), 2 to 101.
    #[arg(long, default_value_t = 7)]
    pub grid: usize,
    /// Scenarios per grid point and per bisection step.
    #[arg(long, default_value_t = 100)]
    pub per_point: u64,
    /// Failure probability that counts as failing.
    #[arg(long, default_value_t = 0.5)]
    pub level: f64,
    /// Bisection steps along each market-severity column.
    #[arg(long, default_value_t = 8)]
    pub bisection_steps: u32,
    /// No effect, kept so that scripts still parse: failure is always a shortfall (issue 10);
    /// the gate map is reported beside it.
    #[arg(long)]
    pub shortfall_only: bool,
    /// Worker threads, 1 to 4096 (default: every core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Output directory.
    #[arg(long, default_value = "undertow-out")]
    pub out: PathBuf,
}

/// Exactly three values of a list flag, or bad input naming the flag and what the three are.
fn three(flag: &str, v: &[f64], names: &str) -> Result<[f64; 3], EngineError> {
    <[f64; 3]>::try_from(v).map_err(|_| {
        EngineError::BadInput(format!("flag {flag}: {v:?}: give three values ({names})"))
    })
}

impl RunArgs {
    /// `--horizon` and `--strategy`.
    pub fn overrides(&self) -> FundOverrides {
        FundOverrides {
            horizon: self.horizon,
            strategy: self.strategy.clone(),
        }
    }

    /// What to run.
    pub fn request(&self) -> RunRequest {
        RunRequest {
            scenarios: self.scenarios,
            seed: self.seed,
            paths: self.paths,
            threads: self.threads,
            analysis: self.analysis.settings(),
            unconditional: !self.no_unconditional,
            // `auto` is decided once the backend is open (`commands::run`).
            stage_reruns: self.stage_reruns.resolve(|| StageReruns::Cpu),
        }
    }
}

impl AnalysisArgs {
    /// The analysis settings, or `None` with `--no-analysis`.
    pub fn settings(&self) -> Option<AnalysisSettings> {
        (!self.no_analysis).then_some(AnalysisSettings {
            stage_scenarios: self.stage_scenarios,
            reverse_stress_per_point: self.reverse_stress_per_point,
            attribution_scenarios: self.attribution_scenarios,
            target: self.target,
            buffer_horizon: self.buffer_horizon,
        })
    }
}

impl ProfileArgs {
    /// Stage 1's settings.
    pub fn config(&self) -> AnalysisConfig {
        let mut cfg = AnalysisConfig::default();
        let p = &mut cfg.profile;
        p.horizons = self.horizons.clone();
        p.participation_rates = self.participation.clone();
        p.stressed_quantiles = self.stressed_quantiles.clone();
        p.scenarios = self.scenarios;
        p.target_days = self.target_days;
        p.cost_threshold_bps = self.cost_threshold_bps;
        p.buckets.trade_size = self.trade_size;
        p.buckets.participation = self.bucket_participation;
        p.buckets.significant_impact_bps = self.significant_impact_bps;
        p.buckets.hlim = self.hlim;
        cfg
    }
}

impl OptimizeBufferArgs {
    /// The sweep behind liquidity at risk.
    pub fn sweep(&self) -> StageSweep {
        StageSweep {
            scenarios: self.scenarios,
            seed: self.seed,
            threads: self.threads,
            from_shards: self.from_shards.clone(),
        }
    }

    /// Stage 3's settings for `fund`; bad input unless `--weights` has three values.
    pub fn config(&self, fund: &Fund) -> Result<AnalysisConfig, EngineError> {
        let mut cfg = AnalysisConfig::default();
        cfg.investors.attribution_scenarios = self.attribution_scenarios;
        let b = &mut cfg.buffer;
        b.scenarios = self.stage_scenarios;
        b.horizon_days = buffer_horizon(self.buffer_horizon, fund);
        b.target_coverage = self.target;
        if self.weights.len() != 3 {
            return Err(EngineError::BadInput(format!(
                "flag --weights: {:?}: give three weights (safety, opportunity cost, operational)",
                self.weights
            )));
        }
        b.weights.safety = self.weights[0];
        b.weights.opportunity_cost = self.weights[1];
        b.weights.operational = self.weights[2];
        b.cash_yield = self.cash_yield;
        b.sovereign.annual_yield = self.sovereign_yield;
        b.etf.annual_yield = self.etf_yield;
        b.grid.cash = self.grid_cash.clone();
        b.grid.sovereign = self.grid_sovereign.clone();
        b.grid.etf = self.grid_etf.clone();
        if self.no_named {
            b.named.clear();
        }
        b.keep_fund_tiers = self.keep_fund_tiers;
        b.with_gates = self.with_gates;
        let c = &mut cfg.construction;
        c.max_illiquid = self.max_illiquid;
        c.min_daily_liquid = self.min_daily_liquid;
        c.max_asset_class = self.max_asset_class;
        c.min_liquidity_score = self.min_liquidity_score;
        c.hold_cash = !self.free_cash;
        Ok(cfg)
    }
}

impl OptimizeLiquidationArgs {
    /// Stage 4's settings; bad input unless `--weights` and `--block-discount` have three values.
    pub fn config(&self) -> Result<AnalysisConfig, EngineError> {
        let mut cfg = AnalysisConfig::default();
        let l = &mut cfg.liquidation;
        l.scenarios = self.stage_scenarios;
        let [impact, alpha, balance] = three("--weights", &self.weights, "impact, alpha, balance")?;
        l.weights.impact = impact;
        l.weights.alpha = alpha;
        l.weights.balance = balance;
        l.max_style_drift = self.max_style_drift;
        l.significant_redemption = self.significant_redemption;
        l.risk_aversion = self.risk_aversion;
        l.time_slicing_days = self.time_slicing_days;
        l.block_discount = three(
            "--block-discount",
            &self.block_discount,
            "normal, stressed, highly stressed",
        )?;
        l.execution_amount = self.execution_amount;
        // Stage 1 only prices conditions from the same scenario records.
        cfg.profile.scenarios = self.stage_scenarios;
        Ok(cfg)
    }
}

impl OptimizeGatesArgs {
    /// The sweep whose records the early-warning analysis reads.
    pub fn sweep(&self) -> StageSweep {
        StageSweep {
            scenarios: self.scenarios,
            seed: self.seed,
            threads: self.threads,
            from_shards: self.from_shards.clone(),
        }
    }

    /// Stage 5's settings; bad input unless `--weights` has three values.
    pub fn config(&self) -> Result<AnalysisConfig, EngineError> {
        let mut cfg = AnalysisConfig::default();
        if let Some(n) = self.stage_scenarios {
            cfg.gates.scenarios = n;
            cfg.swing.scenarios = n;
            cfg.early_warning.scenarios = n;
        }
        let g = &mut cfg.gates;
        g.redemptions_30d = levels(&self.redemptions_30d);
        g.alr = levels(&self.alr);
        g.stress = levels(&self.stress);
        g.caps = self.caps.clone();
        let [protection, operational, reputation] = three(
            "--weights",
            &self.weights,
            "protection, operational, reputation",
        )?;
        g.weights.protection = protection;
        g.weights.operational = operational;
        g.weights.reputation = reputation;
        g.investor_caps = levels(&self.investor_caps);
        g.notice_days = self.notice_days.clone();
        cfg.swing.thresholds = self.swing_thresholds.clone();
        cfg.swing.factors = self.swing_factors.clone();
        cfg.early_warning.levels = self.ew_levels;
        cfg.early_warning.max_false_alarm_rate = self.max_false_alarm;
        Ok(cfg)
    }
}

impl ReverseStressArgs {
    /// The reverse stress test's settings: a square grid of `--grid` points per axis; bad input
    /// outside 2 to 101 (the most severities an axis may have).
    pub fn config(&self) -> Result<ReverseStressConfig, EngineError> {
        if !(2..=101).contains(&self.grid) {
            return Err(EngineError::BadInput(format!(
                "flag --grid: {}: give 2 to 101 points",
                self.grid
            )));
        }
        let grid = reverse_stress::unit_grid(self.grid);
        Ok(ReverseStressConfig {
            market_severity: grid.clone(),
            redemption_severity: grid,
            scenarios_per_point: self.per_point,
            level: self.level,
            bisection_steps: self.bisection_steps,
            shortfall_only: self.shortfall_only,
        })
    }
}

/// `undertow calibrate`.
#[derive(Args, Debug, Clone)]
pub struct CalibrateArgs {
    #[command(subcommand)]
    pub what: CalibrateCommand,
}

/// What `undertow calibrate` fits.
#[derive(Subcommand, Debug, Clone)]
pub enum CalibrateCommand {
    /// Fit the investors' flow parameters to a flow history; writes the calibrated fund file,
    /// calibration.json and calibration.html.
    Flows(CalibrateFlowsArgs),
    /// Positions' ADV, spread and volatility and the [scenarios.market] ranges from a daily
    /// market file (date,id,close,volume,bid,ask); docs/market-data.md.
    Market(CalibrateMarketArgs),
}

/// `undertow calibrate flows`.
#[derive(Args, Debug, Clone)]
pub struct CalibrateFlowsArgs {
    /// Flow history CSV (date,holder,kind,shares,subscriptions,redemptions[,nav]); required.
    #[arg(long)]
    pub flows: Option<PathBuf>,
    /// Market file CSV (date,id,close,volume,bid,ask): its stress composite lets the stress
    /// sensitivities be fitted.
    #[arg(long)]
    pub market: Option<PathBuf>,
    /// The fund file to calibrate (TOML); required.
    #[arg(long)]
    pub fund: Option<PathBuf>,
    /// The calibrated fund file to write; required.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Where calibration.json and calibration.html go [default: the folder of --out].
    #[arg(long)]
    pub report_dir: Option<PathBuf>,
}

/// `undertow backtest`.
#[derive(Args, Debug, Clone)]
pub struct BacktestArgs {
    /// Flow history CSV; required.
    #[arg(long)]
    pub flows: Option<PathBuf>,
    /// The (calibrated) fund file whose flow model is tested; required.
    #[arg(long)]
    pub fund: Option<PathBuf>,
    /// Market file CSV: the forecasts are conditioned on its realised stress composite.
    #[arg(long)]
    pub market: Option<PathBuf>,
    /// Monte Carlo draws per start date, 100 to 100000.
    #[arg(long, default_value_t = 2000)]
    pub draws: usize,
    /// Seed of the draws.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output directory for backtest.json and backtest.html.
    #[arg(long, default_value = "undertow-out")]
    pub out: PathBuf,
}

/// A flag every run of the command needs (flags are optional to clap so that a bad value is
/// refused naming the flag, docs: cli/src/main.rs tests).
pub fn required(value: &Option<PathBuf>, flag: &str) -> Result<PathBuf, EngineError> {
    value
        .clone()
        .ok_or_else(|| EngineError::BadInput(format!("flag {flag} is required")))
}

#[derive(Args, Debug, Clone)]
pub struct CalibrateMarketArgs {
    /// Daily market file: date,id,close,volume,bid,ask (docs/market-data.md).
    #[arg(long)]
    pub market: PathBuf,
    /// Fund file (TOML) the values go into; the built-in example fund when absent.
    #[arg(long)]
    pub fund: Option<PathBuf>,
    /// A stress window, NAME:FROM..TO (dates YYYY-MM-DD, both included); repeat for several.
    #[arg(long = "stress-window")]
    pub stress_windows: Vec<String>,
    /// The calibrated fund file to write (market_calibration.json goes beside it); without it
    /// nothing is written and the table is printed.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Args, Debug, Clone)]
pub struct WhatIfArgs {
    /// Script file (TOML, docs/scenarios.md section 8).
    pub file: PathBuf,
    /// Fund file (TOML); the built-in example fund when absent.
    #[arg(long)]
    pub fund: Option<PathBuf>,
    /// Simulated horizon in days (overrides the fund file).
    #[arg(long)]
    pub horizon: Option<u32>,
    /// Output directory for summary.json, what_if.csv and report.html; without it the table is
    /// printed and nothing is written.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Worker threads (the results do not depend on it).
    #[arg(long)]
    pub threads: Option<usize>,
}

//! The Analysis II commands: `undertow optimize liquidation` (stage 4), `undertow optimize gates`
//! (stage 5: gate triggers, swing pricing, early warning, reverse stress, playbook) and
//! `undertow reverse-stress` (the reverse stress test alone). Flags become
//! `undertow_analysis::AnalysisConfig` settings; the work is in the host.

use std::path::PathBuf;
use std::str::FromStr;

use anyhow::{Context, Result};
use clap::Args;
use undertow_analysis::findings::p1;
use undertow_analysis::redemption_policy::reverse_stress::{self, ReverseStressConfig};
use undertow_analysis::sim::Simulator;
use undertow_analysis::tables::write_table_list;
use undertow_analysis::{
    check_inputs, run_analysis, AnalysisConfig, AnalysisInputs, AnalysisSummary, StageId,
};
use undertow_host::fund::Fund;

use crate::analysis::{analysis_error, analysis_sweep, check_threads, print_findings, write_json};
use crate::commands::prepare_fund;
use crate::BadInput;

/// The flag that sets a stage 4 or 5 setting, for error messages ("" when none does).
pub fn flag_of(setting: &str) -> &'static str {
    match setting {
        "liquidation.scenarios" => "--stage-scenarios",
        "liquidation.weights" => "--weights",
        "liquidation.max_style_drift" => "--max-style-drift",
        "liquidation.significant_redemption" => "--significant-redemption",
        "liquidation.risk_aversion" => "--risk-aversion",
        "liquidation.time_slicing_days" => "--time-slicing-days",
        "liquidation.block_discount" => "--block-discount",
        "liquidation.execution_amount" => "--execution-amount",
        "gates.scenarios" | "swing.scenarios" => "--stage-scenarios",
        "gates.redemptions_30d" => "--redemptions-30d",
        "gates.alr" => "--alr",
        "gates.stress" => "--stress",
        "gates.caps" => "--caps",
        "gates.weights" => "--weights",
        "gates.investor_caps" => "--investor-caps",
        "gates.notice_days" => "--notice-days",
        "swing.thresholds" => "--swing-thresholds",
        "swing.factors" => "--swing-factors",
        "early_warning.scenarios" => "--stage-scenarios",
        "early_warning.levels" => "--ew-levels",
        "early_warning.max_false_alarm_rate" => "--max-false-alarm",
        "reverse_stress.market_severity" | "reverse_stress.redemption_severity" => "--grid",
        "reverse_stress.scenarios_per_point" => "--per-point", // `undertow reverse-stress`
        "reverse_stress.level" => "--level",
        "reverse_stress.bisection_steps" => "--bisection-steps",
        _ => "",
    }
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

fn three(flag: &str, v: &[f64], names: &str) -> Result<[f64; 3]> {
    <[f64; 3]>::try_from(v)
        .map_err(|_| BadInput(format!("flag {flag}: {v:?}: give three values ({names})")).into())
}

/// Creates the output directory and writes a stage command's JSON and tables.
fn write_outputs(out: &PathBuf, json: &str, fund: &Fund, s: &AnalysisSummary) -> Result<()> {
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let tables = undertow_analysis::tables::tables(s);
    write_table_list(out, tables)
        .with_context(|| format!("writing tables into {}", out.display()))?;
    write_json(&out.join(json), fund, s)
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
    /// Worker threads (default: every core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Output directory.
    #[arg(long, default_value = "undertow-out")]
    pub out: PathBuf,
}

/// `undertow optimize liquidation`: stage 4 with the market liquidity profile it reads. Needs
/// no sweep: the strategies rerun the first scenarios of the run.
pub fn optimize_liquidation(args: &OptimizeLiquidationArgs) -> Result<()> {
    let fund = prepare_fund(args.fund.as_deref(), None, None)?;
    check_threads(args.threads)?;
    let mut cfg = AnalysisConfig::default();
    let l = &mut cfg.liquidation;
    l.scenarios = args.stage_scenarios;
    let [impact, alpha, balance] = three("--weights", &args.weights, "impact, alpha, balance")?;
    l.weights.impact = impact;
    l.weights.alpha = alpha;
    l.weights.balance = balance;
    l.max_style_drift = args.max_style_drift;
    l.significant_redemption = args.significant_redemption;
    l.risk_aversion = args.risk_aversion;
    l.time_slicing_days = args.time_slicing_days;
    l.block_discount = three(
        "--block-discount",
        &args.block_discount,
        "normal, stressed, highly stressed",
    )?;
    l.execution_amount = args.execution_amount;
    // Stage 1 only prices conditions from the same scenario records.
    cfg.profile.scenarios = args.stage_scenarios;
    let targets = [StageId::LiquidationDesign, StageId::Findings];
    check_inputs(&fund, &cfg, &targets).map_err(analysis_error)?;
    let inputs = AnalysisInputs {
        fund: &fund,
        base_outputs: &[],
        seed: args.seed,
    };
    let summary = run_analysis(inputs, &cfg, &targets, args.threads).map_err(analysis_error)?;
    // The market profile ran only as an input: its section belongs to `undertow profile`.
    let summary = AnalysisSummary {
        market_liquidity: None,
        ..summary
    };
    write_outputs(&args.out, "liquidation.json", &fund, &summary)?;
    if let Some(l) = &summary.liquidation_design {
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
    print_findings(&summary);
    println!("wrote {}", args.out.display());
    Ok(())
}

/// `undertow optimize gates`.
#[derive(Args, Debug, Clone)]
pub struct OptimizeGatesArgs {
    /// Fund file (TOML); the built-in example fund when absent.
    #[arg(long)]
    pub fund: Option<PathBuf>,
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
    /// Worker threads (default: every core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Output directory.
    #[arg(long, default_value = "undertow-out")]
    pub out: PathBuf,
}

/// `undertow optimize gates`: a sweep, then stage 5.
pub fn optimize_gates(args: &OptimizeGatesArgs) -> Result<()> {
    let fund = prepare_fund(args.fund.as_deref(), None, None)?;
    crate::commands::check_scenarios(args.scenarios)?;
    check_threads(args.threads)?;
    let mut cfg = AnalysisConfig::default();
    if let Some(n) = args.stage_scenarios {
        cfg.gates.scenarios = n;
        cfg.swing.scenarios = n;
        cfg.early_warning.scenarios = n;
    }
    let g = &mut cfg.gates;
    g.redemptions_30d = levels(&args.redemptions_30d);
    g.alr = levels(&args.alr);
    g.stress = levels(&args.stress);
    g.caps = args.caps.clone();
    let [protection, operational, reputation] = three(
        "--weights",
        &args.weights,
        "protection, operational, reputation",
    )?;
    g.weights.protection = protection;
    g.weights.operational = operational;
    g.weights.reputation = reputation;
    g.investor_caps = levels(&args.investor_caps);
    g.notice_days = args.notice_days.clone();
    cfg.swing.thresholds = args.swing_thresholds.clone();
    cfg.swing.factors = args.swing_factors.clone();
    cfg.early_warning.levels = args.ew_levels;
    cfg.early_warning.max_false_alarm_rate = args.max_false_alarm;
    let targets = [StageId::RedemptionPolicy, StageId::Findings];
    check_inputs(&fund, &cfg, &targets).map_err(analysis_error)?;

    let outputs = analysis_sweep(&fund, args.scenarios, args.seed, args.threads)?;
    let inputs = AnalysisInputs {
        fund: &fund,
        base_outputs: &outputs,
        seed: args.seed,
    };
    let summary = run_analysis(inputs, &cfg, &targets, args.threads).map_err(analysis_error)?;
    write_outputs(&args.out, "policy.json", &fund, &summary)?;
    if let Some(r) = &summary.redemption_policy {
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
    print_findings(&summary);
    println!("wrote {}", args.out.display());
    Ok(())
}

/// `undertow reverse-stress`.
#[derive(Args, Debug, Clone)]
pub struct ReverseStressArgs {
    /// Fund file (TOML); the built-in example fund when absent.
    #[arg(long)]
    pub fund: Option<PathBuf>,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Points along each severity axis of the grid (from 0 to 1).
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
    /// Count only shortfalls as failures (a gate then counts as survival).
    #[arg(long)]
    pub shortfall_only: bool,
    /// Worker threads (default: every core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Output directory.
    #[arg(long, default_value = "undertow-out")]
    pub out: PathBuf,
}

/// `undertow reverse-stress`: the failure map and the least severe failing shock, alone.
pub fn reverse_stress(args: &ReverseStressArgs) -> Result<()> {
    let fund = prepare_fund(args.fund.as_deref(), None, None)?;
    check_threads(args.threads)?;
    if args.grid < 2 {
        return Err(BadInput(format!(
            "flag --grid: {}: give at least 2 points",
            args.grid
        ))
        .into());
    }
    let grid = reverse_stress::unit_grid(args.grid);
    let cfg = ReverseStressConfig {
        market_severity: grid.clone(),
        redemption_severity: grid,
        scenarios_per_point: args.per_point,
        level: args.level,
        bisection_steps: args.bisection_steps,
        shortfall_only: args.shortfall_only,
    };
    cfg.validate().map_err(|e| {
        let flag = flag_of(&e.setting);
        BadInput(format!("flag {flag}: {}: {}", e.value, e.reason))
    })?;
    let sim = Simulator::new(args.threads).context("starting the thread pool")?;
    let rs = reverse_stress::reverse_stress(&fund, args.seed, &sim, &cfg);
    let findings = reverse_stress::findings(&fund, &rs);
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;
    write_table_list(&args.out, reverse_stress::tables(&rs))
        .with_context(|| format!("writing tables into {}", args.out.display()))?;
    let value = serde_json::json!({
        "fund": { "name": fund.name, "source": fund.source, "currency": fund.currency, "aum": fund.aum },
        "seed": args.seed,
        "reverse_stress": rs,
        "findings": findings,
    });
    crate::analysis::write_value(&args.out.join("reverse_stress.json"), &value)?;
    println!(
        "{} — failure probability ({}), redemption severity down, market severity across",
        fund.name,
        if args.shortfall_only {
            "shortfall"
        } else {
            "shortfall or gate"
        }
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
    for f in &findings {
        println!("  - {}", f.text);
    }
    println!("wrote {}", args.out.display());
    Ok(())
}

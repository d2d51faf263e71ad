//! The analysis: the five roles of the use case as deterministic stages over the simulated
//! scenarios (MODEL.md section 7), run as a dependency graph, each with typed inputs and outputs,
//! each stating its conclusions as findings with the numbers behind them.
//!
//! Code map: [`graph`] (the stages and their dependencies, the wave scheduler), [`market`]
//! (stage 1), [`investors`] (stage 2), [`buffer`] and [`construct`] (stage 3), [`findings`],
//! [`tables`] (the CSV tables), [`sim`] (reruns on common random numbers), [`config`].
//!
//! Architecture invariant: stages never re-implement the model. Stage 1 prices sales with the
//! kernel's `market_state` and `cost_rate`; stages 2 and 3 rerun the kernel on the same scenario
//! records, seed and indices as the main sweep, changing only the fund.

pub mod buffer;
pub mod config;
pub mod construct;
pub mod findings;
pub mod graph;
pub mod investors;
pub mod market;
pub mod sim;
pub mod tables;

use std::sync::OnceLock;

use serde::Serialize;
use undertow_kernel::{ScenarioOutput, ScenarioParams};

pub use config::AnalysisConfig;
pub use findings::Finding;
pub use graph::StageId;

use buffer::{BufferSearch, LiquidityNeeds};
use construct::Construction;
use findings::BufferClaim;
use investors::InvestorReport;
use market::MarketLiquidityReport;
use sim::Simulator;

use crate::fund::Fund;
use crate::run::scenario_block;

/// Why the analysis could not finish.
#[derive(Debug, thiserror::Error)]
pub enum AnalysisError {
    /// A setting is wrong (bad input).
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    /// A buffer composition cannot be built on this fund (bad input: the composition or the
    /// instrument settings).
    #[error("buffer composition {label:?}: {reason}")]
    Composition { label: String, reason: String },
    /// The analysis thread pool could not start.
    #[error("starting the analysis thread pool: {0}")]
    Threads(#[from] rayon::ThreadPoolBuildError),
    #[error("the main sweep has no scenarios: the analysis needs at least one")]
    NoScenarios,
}

impl AnalysisError {
    /// Whether the error comes from what the user gave (a setting or a composition).
    pub fn is_bad_input(&self) -> bool {
        matches!(
            self,
            AnalysisError::Config(_) | AnalysisError::Composition { .. }
        )
    }
}

/// What the stages start from: the fund as simulated, the main sweep's records (scenario indices
/// from 0) and its seed.
#[derive(Clone, Copy)]
pub struct AnalysisInputs<'a> {
    pub fund: &'a Fund,
    pub base_outputs: &'a [ScenarioOutput],
    pub seed: u64,
}

/// Stage 3's output.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct PortfolioLiquidityReport {
    pub needs: LiquidityNeeds,
    pub buffer: BufferSearch,
    pub construction: Construction,
    /// The use case's buffer claim judged on this fund (when its composition was searched).
    pub use_case_claim: Option<BufferClaim>,
}

/// A stage that is part of the graph but not built yet.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct StagePlaceholder {
    pub status: &'static str,
    pub note: String,
}

/// One stage's run, for the summary.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct StageRun {
    pub stage: StageId,
    pub title: &'static str,
    pub depends_on: Vec<StageId>,
    /// "done" or "not_implemented".
    pub status: &'static str,
    /// Scenarios the stage simulated or read (per variant or grid point where it reruns).
    pub scenarios_used: u64,
    pub wave: usize,
    pub seconds: f64,
}

/// The analysis' part of `summary.json`: one section per stage, the findings, and how each stage
/// ran. Sections of stages that did not run are left out.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct AnalysisSummary {
    pub stages: Vec<StageRun>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub market_liquidity: Option<MarketLiquidityReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub investor_behaviour: Option<InvestorReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub portfolio_liquidity: Option<PortfolioLiquidityReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub liquidation_design: Option<StagePlaceholder>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redemption_policy: Option<StagePlaceholder>,
    pub findings: Vec<Finding>,
}

/// Each stage's output, filled as the graph runs.
#[derive(Default)]
struct Outputs {
    market: OnceLock<MarketLiquidityReport>,
    investors: OnceLock<InvestorReport>,
    portfolio: OnceLock<PortfolioLiquidityReport>,
    liquidation: OnceLock<StagePlaceholder>,
    policy: OnceLock<StagePlaceholder>,
    findings: OnceLock<Vec<Finding>>,
}

/// Everything a stage may read.
struct Context<'a> {
    inputs: AnalysisInputs<'a>,
    cfg: &'a AnalysisConfig,
    sim: &'a Simulator,
    /// Scenario records of indices `0..n` of the run, generated once from the fund as given.
    scenarios: &'a [ScenarioParams],
}

impl Context<'_> {
    fn first(&self, n: u64) -> &[ScenarioParams] {
        &self.scenarios[..(n as usize).min(self.scenarios.len())]
    }
}

fn placeholder(stage: StageId) -> StagePlaceholder {
    StagePlaceholder {
        status: "not_implemented",
        note: format!(
            "{} is part of the graph; its analysis arrives with \"Analysis II\".",
            stage.title()
        ),
    }
}

/// Runs one stage, reading its dependencies' outputs and storing its own.
fn run_stage(id: StageId, ctx: &Context, out: &Outputs) -> Result<(), AnalysisError> {
    let fund = ctx.inputs.fund;
    let seed = ctx.inputs.seed;
    match id {
        StageId::MarketLiquidity => {
            let s = ctx.first(ctx.cfg.profile.scenarios);
            let _ = out.market.set(market::profile(fund, s, &ctx.cfg.profile));
        }
        StageId::InvestorBehaviour => {
            let s = ctx.first(ctx.cfg.investors.attribution_scenarios);
            let r = investors::investor_behaviour(fund, ctx.inputs.base_outputs, s, seed, ctx.sim);
            let _ = out.investors.set(r);
        }
        StageId::PortfolioLiquidity => {
            let market = out.market.get().expect("market liquidity runs first");
            let cfg = &ctx.cfg.buffer;
            let comps = cfg.compositions(fund.model.params.initial_cash as f64);
            let search =
                buffer::search(fund, &comps, cfg, ctx.first(cfg.scenarios), seed, ctx.sim)?;
            let class_names: Vec<String> = fund.classes.iter().map(|c| c.name.clone()).collect();
            let construction = construct::construct(
                &market.liquidity,
                &class_names,
                fund.model.params.initial_cash as f64,
                &ctx.cfg.construction,
            );
            let claim = BufferClaim::judge(&search, &config::seed_recommendation().label);
            let _ = out.portfolio.set(PortfolioLiquidityReport {
                needs: LiquidityNeeds::of(fund, ctx.inputs.base_outputs),
                buffer: search,
                construction,
                use_case_claim: claim,
            });
        }
        StageId::LiquidationDesign => {
            let _ = out.liquidation.set(placeholder(id));
        }
        StageId::RedemptionPolicy => {
            let _ = out.policy.set(placeholder(id));
        }
        StageId::Findings => {
            let mut all = Vec::new();
            if let Some(m) = out.market.get() {
                all.extend(findings::market_findings(fund, m));
            }
            if let Some(i) = out.investors.get() {
                all.extend(findings::investor_findings(i));
            }
            if let Some(p) = out.portfolio.get() {
                all.extend(findings::portfolio_findings(fund, p));
            }
            let _ = out.findings.set(all);
        }
    }
    Ok(())
}

/// Scenarios a stage used, for the summary.
fn scenarios_used(id: StageId, cfg: &AnalysisConfig, available: u64, base: u64) -> u64 {
    match id {
        StageId::MarketLiquidity => cfg.profile.scenarios.min(available),
        StageId::InvestorBehaviour => cfg.investors.attribution_scenarios.min(available),
        StageId::PortfolioLiquidity => cfg.buffer.scenarios.min(available),
        StageId::Findings => base,
        _ => 0,
    }
}

/// Checks the settings and that every buffer composition can be built on `fund`, without
/// simulating anything: call it before creating any output, so that bad input leaves none.
pub fn check_inputs(
    fund: &Fund,
    cfg: &AnalysisConfig,
    targets: &[StageId],
) -> Result<(), AnalysisError> {
    cfg.validate()?;
    if graph::closure(targets).contains(&StageId::PortfolioLiquidity) {
        for c in cfg
            .buffer
            .compositions(fund.model.params.initial_cash as f64)
        {
            buffer::composition_fund(fund, &c, &cfg.buffer)?;
        }
    }
    Ok(())
}

/// Runs `targets` and the stages they depend on (all stages for `undertow run`). `threads` sizes
/// the analysis' thread pool (`None`: every core).
pub fn run_analysis(
    inputs: AnalysisInputs,
    cfg: &AnalysisConfig,
    targets: &[StageId],
    threads: Option<usize>,
) -> Result<AnalysisSummary, AnalysisError> {
    check_inputs(inputs.fund, cfg, targets)?;
    let stages = graph::closure(targets);
    let reads_sweep = stages
        .iter()
        .any(|s| matches!(s, StageId::InvestorBehaviour | StageId::PortfolioLiquidity));
    if reads_sweep && inputs.base_outputs.is_empty() {
        return Err(AnalysisError::NoScenarios);
    }
    // Reruns never go past the main sweep: they are its first scenarios.
    let mut capped = cfg.clone();
    if reads_sweep {
        let base = inputs.base_outputs.len() as u64;
        capped.investors.attribution_scenarios = cfg.investors.attribution_scenarios.min(base);
        capped.buffer.scenarios = cfg.buffer.scenarios.min(base);
    }
    let cfg = &capped;
    let sim = Simulator::new(threads)?;
    let needed = stages
        .iter()
        .map(|&s| match s {
            StageId::MarketLiquidity => cfg.profile.scenarios,
            StageId::InvestorBehaviour => cfg.investors.attribution_scenarios,
            StageId::PortfolioLiquidity => cfg.buffer.scenarios,
            _ => 0,
        })
        .max()
        .unwrap_or(0);
    let scenarios = scenario_block(inputs.fund, inputs.seed, 0..needed);
    let ctx = Context {
        inputs,
        cfg,
        sim: &sim,
        scenarios: &scenarios,
    };
    let out = Outputs::default();
    let timings = graph::run_graph(&stages, |id| run_stage(id, &ctx, &out))?;
    let base = inputs.base_outputs.len() as u64;
    let stage_runs = timings
        .iter()
        .map(|t| StageRun {
            stage: t.stage,
            title: t.stage.title(),
            depends_on: t.stage.depends_on().to_vec(),
            status: if t.stage.implemented() {
                "done"
            } else {
                "not_implemented"
            },
            scenarios_used: scenarios_used(t.stage, cfg, needed, base),
            wave: t.wave,
            seconds: t.seconds,
        })
        .collect();
    Ok(AnalysisSummary {
        stages: stage_runs,
        market_liquidity: out.market.into_inner(),
        investor_behaviour: out.investors.into_inner(),
        portfolio_liquidity: out.portfolio.into_inner(),
        liquidation_design: out.liquidation.into_inner(),
        redemption_policy: out.policy.into_inner(),
        findings: out.findings.into_inner().unwrap_or_default(),
    })
}

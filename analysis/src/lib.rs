//! The analysis: the five roles of the use case as deterministic stages over the simulated
//! scenarios (MODEL.md section 7), run as a dependency graph, each with typed inputs and outputs,
//! each stating its conclusions as findings with the numbers behind them.
//!
//! Code map: one folder per stage, named by its [`StageId`] key — [`market_liquidity`] (stage
//! 1), [`investor_behaviour`] (2), [`portfolio_liquidity`] (3), [`liquidation_design`] (4),
//! [`redemption_policy`] (5) — each with its run and report types in `mod.rs`, its settings
//! (`config`), findings (`findings`) and CSV tables (`tables`), and its analyses beside them.
//! Shared at the root: [`graph`] (the stages and their dependencies, the wave scheduler),
//! [`config`] ([`AnalysisConfig`], composing the stage settings), [`findings`] (the [`Finding`]
//! type), [`mod@tables`] (the [`Table`] type and writing), [`sim`] (reruns on common random
//! numbers), [`roadmap`] (the steps the stages' results call for, decided once every stage has
//! run), the errors and [`AnalysisSummary`].
//!
//! Architecture invariant: stages never re-implement the model. Stages 1 and 4 price sales with
//! the kernel's `market_state` and `cost_rate`; stages 2 to 5 rerun the kernel on the same
//! scenario records, seed and indices as the main sweep, changing only the fund (the reverse
//! stress test alone draws its own scenarios, at chosen severities).

pub mod config;
pub mod findings;
pub mod graph;
pub mod investor_behaviour;
pub mod liquidation_design;
pub mod market_liquidity;
pub mod portfolio_liquidity;
pub mod redemption_policy;
pub mod roadmap;
pub mod setting;
pub mod sim;
pub mod stats;
pub mod table;
pub mod tables;

use std::sync::{Arc, Mutex, OnceLock};

use serde::Serialize;
use undertow_kernel::{ScenarioOutput, ScenarioParams};

pub use config::{AnalysisConfig, ConfigError};
pub use findings::Finding;
pub use graph::StageId;
pub use market_liquidity::{Bucket, MarketLiquidityReport, PORTFOLIO};
pub use portfolio_liquidity::PortfolioLiquidityReport;
pub use redemption_policy::RedemptionPolicyReport;
pub use tables::{tables, write_table_list, write_tables, Table};

use investor_behaviour::InvestorReport;
use liquidation_design::LiquidationReport;
use sim::{Simulator, Work};

use undertow_host::backend::{with_causes, Backend, BackendError};
use undertow_host::fund::Fund;
use undertow_host::run::scenario_block;

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
    /// A stage's reruns on its device failed. The stage is rerun on the CPU
    /// ([`run_analysis_on`]), so this reaches a caller only from a stage run directly.
    #[error("stage reruns on the device: {0}")]
    Device(#[from] BackendError),
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

/// One stage's run, for the summary.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct StageRun {
    pub stage: StageId,
    pub title: &'static str,
    pub depends_on: Vec<StageId>,
    /// "done" (a stage that fails stops the analysis).
    pub status: &'static str,
    /// Scenarios the stage simulated or read (per variant or grid point where it reruns).
    pub scenarios_used: u64,
    pub wave: usize,
    pub seconds: f64,
    /// Kernel work the stage did: scenarios times simulated days, summed over the reruns it
    /// simulated (reruns served from another rerun or from the sweep count nothing here).
    pub simulated_scenario_days: u64,
    /// Reruns the stage asked for (variants, compositions, grid points).
    pub reruns: u64,
    /// Of those, reruns served without simulating: the same rerun already done in this run (by
    /// this stage or another), or the main sweep's own records.
    pub reruns_shared: u64,
    /// The device the stage's plain reruns ran on ([`sim::Simulator::run_on_device`]), as it
    /// describes itself; absent where they ran on the CPU (every stage, unless the run asked
    /// for its stage reruns on a GPU).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// Of `simulated_scenario_days`, those simulated on `device`.
    #[serde(skip_serializing_if = "is_zero")]
    pub device_scenario_days: u64,
    /// Why the stage ran on the CPU after all: its device failed, and the whole stage was rerun
    /// on the CPU so that its comparisons stay on one device.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_fallback: Option<String>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
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
    pub liquidation_design: Option<LiquidationReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redemption_policy: Option<RedemptionPolicyReport>,
    pub findings: Vec<Finding>,
    /// The implementation roadmap, in display order (pending steps for the stages that did not
    /// run).
    pub roadmap: Vec<roadmap::RoadmapStep>,
}

/// Each stage's output, filled as the graph runs.
#[derive(Default)]
struct Outputs {
    market: OnceLock<MarketLiquidityReport>,
    investors: OnceLock<InvestorReport>,
    portfolio: OnceLock<PortfolioLiquidityReport>,
    liquidation: OnceLock<LiquidationReport>,
    policy: OnceLock<RedemptionPolicyReport>,
    findings: OnceLock<Vec<Finding>>,
}

/// Everything a stage may read.
pub(crate) struct Context<'a> {
    pub(crate) inputs: AnalysisInputs<'a>,
    pub(crate) cfg: &'a AnalysisConfig,
    pub(crate) sim: &'a Simulator,
    /// Scenario records of indices `0..n` of the run, generated once from the fund as given.
    pub(crate) scenarios: &'a [ScenarioParams],
}

impl Context<'_> {
    pub(crate) fn first(&self, n: u64) -> &[ScenarioParams] {
        &self.scenarios[..(n as usize).min(self.scenarios.len())]
    }
}

/// How one stage ran: its work, and where its device reruns went.
#[derive(Clone, Debug, Default)]
struct StageWork {
    work: Work,
    device: Option<String>,
    device_fallback: Option<String>,
}

/// Runs one stage, reading its dependencies' outputs and storing its own, on its own view of
/// the simulator (which counts the stage's work), with `device` for its plain reruns. When the
/// device fails, the whole stage is run again on the CPU: a stage's comparisons (compositions
/// against one another, the cash-only search against them) stay on one device.
fn run_stage(
    id: StageId,
    ctx: &Context,
    out: &Outputs,
    device: Option<&Arc<dyn Backend>>,
    work: &Mutex<Vec<(StageId, StageWork)>>,
) -> Result<(), AnalysisError> {
    let on = |sim: &Simulator| {
        let ctx = &Context {
            inputs: ctx.inputs,
            cfg: ctx.cfg,
            sim,
            scenarios: ctx.scenarios,
        };
        run_stage_on(id, ctx, out)
    };
    let mut ran = StageWork::default();
    let r = match device {
        Some(d) => {
            let sim = ctx.sim.on_device(Arc::clone(d));
            match on(&sim) {
                Err(AnalysisError::Device(e)) => {
                    ran.device_fallback = Some(format!(
                        "{}: {}; the stage was rerun on the CPU",
                        d.describe(),
                        with_causes(&e)
                    ));
                    let cpu = ctx.sim.view();
                    let r = on(&cpu);
                    ran.work = cpu.work();
                    r
                }
                r => {
                    ran.work = sim.work();
                    if ran.work.device_reruns > 0 {
                        ran.device = sim.device();
                    }
                    r
                }
            }
        }
        None => {
            let sim = ctx.sim.view();
            let r = on(&sim);
            ran.work = sim.work();
            r
        }
    };
    work.lock()
        .unwrap_or_else(|p| p.into_inner())
        .push((id, ran));
    r
}

fn run_stage_on(id: StageId, ctx: &Context, out: &Outputs) -> Result<(), AnalysisError> {
    let fund = ctx.inputs.fund;
    let seed = ctx.inputs.seed;
    match id {
        StageId::MarketLiquidity => {
            let s = ctx.first(ctx.cfg.profile.scenarios);
            let _ = out
                .market
                .set(market_liquidity::profile(fund, s, &ctx.cfg.profile));
        }
        StageId::InvestorBehaviour => {
            let s = ctx.first(ctx.cfg.investors.attribution_scenarios);
            let r = investor_behaviour::investor_behaviour(
                fund,
                ctx.inputs.base_outputs,
                s,
                seed,
                ctx.sim,
            );
            let _ = out.investors.set(r);
        }
        StageId::PortfolioLiquidity => {
            let market = out.market.get().expect("market liquidity runs first");
            let _ = out.portfolio.set(portfolio_liquidity::run(ctx, market)?);
        }
        StageId::LiquidationDesign => {
            let market = out.market.get().expect("market liquidity runs first");
            let cfg = &ctx.cfg.liquidation;
            let s = ctx.first(cfg.scenarios);
            let r = liquidation_design::design(fund, market, s, seed, ctx.sim, cfg);
            let _ = out.liquidation.set(r);
        }
        StageId::RedemptionPolicy => {
            let _ = out.policy.set(redemption_policy::run(ctx)?);
        }
        StageId::Findings => {
            let mut all = Vec::new();
            if let Some(m) = out.market.get() {
                all.extend(market_liquidity::findings::findings(fund, m));
            }
            if let Some(i) = out.investors.get() {
                all.extend(investor_behaviour::findings::findings(i));
            }
            if let Some(p) = out.portfolio.get() {
                all.extend(portfolio_liquidity::findings::findings(fund, p));
            }
            if let Some(l) = out.liquidation.get() {
                all.extend(liquidation_design::findings::findings(fund, l));
            }
            if let Some(r) = out.policy.get() {
                all.extend(redemption_policy::findings::findings(fund, r));
            }
            let _ = out.findings.set(all);
        }
    }
    Ok(())
}

/// Scenario records of the run a stage reads (per variant, composition or grid point where it
/// reruns them). The reverse stress test draws its own, at chosen severities, and is not counted.
fn stage_scenarios(id: StageId, cfg: &AnalysisConfig) -> u64 {
    match id {
        StageId::MarketLiquidity => cfg.profile.scenarios,
        StageId::InvestorBehaviour => cfg.investors.attribution_scenarios,
        StageId::PortfolioLiquidity => cfg.buffer.scenarios,
        StageId::LiquidationDesign => cfg.liquidation.scenarios,
        StageId::RedemptionPolicy => cfg
            .gates
            .scenarios
            .max(cfg.swing.scenarios)
            .max(cfg.early_warning.scenarios),
        StageId::Findings => 0,
    }
}

/// Scenarios a stage used, for the summary.
fn scenarios_used(id: StageId, cfg: &AnalysisConfig, available: u64, base: u64) -> u64 {
    match id {
        StageId::Findings => base,
        _ => stage_scenarios(id, cfg).min(available),
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
    if graph::closure(targets).contains(&StageId::PortfolioLiquidity)
        && portfolio_liquidity::buffer::not_applicable(fund, &cfg.buffer).is_none()
    {
        for c in cfg
            .buffer
            .compositions(fund.model.params.initial_cash as f64)
        {
            portfolio_liquidity::buffer::composition_fund(fund, &c, &cfg.buffer)?;
        }
    }
    Ok(())
}

/// Where the main sweep's records come from, which decides whether reruns of the unchanged fund
/// may be read from them instead of simulated.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SweepOrigin {
    /// One sweep on the CPU backend in `f32`, the analysis' own kernel and precision: reruns of
    /// the fund as given on the sweep's first scenarios are its records bit for bit.
    CpuF32,
    /// Anything else (the GPU, `auto`, shards merged from any backend, records from elsewhere):
    /// every rerun is simulated.
    Other,
}

/// Runs `targets` and the stages they depend on (all stages for `undertow run`). `threads` sizes
/// the analysis' thread pool (`None`: every core). Reruns every rerun: see
/// [`run_analysis_from`] to read those of the unchanged fund from a CPU sweep.
pub fn run_analysis(
    inputs: AnalysisInputs,
    cfg: &AnalysisConfig,
    targets: &[StageId],
    threads: Option<usize>,
) -> Result<AnalysisSummary, AnalysisError> {
    run_analysis_from(inputs, SweepOrigin::Other, cfg, targets, threads)
}

/// As [`run_analysis`], where `origin` says how `inputs.base_outputs` were simulated: from a
/// [`SweepOrigin::CpuF32`] sweep, reruns of the fund as given on its first scenarios are served
/// from its records (after re-simulating a few of them as a guard, [`Simulator::reuse_sweep`]).
pub fn run_analysis_from(
    inputs: AnalysisInputs,
    origin: SweepOrigin,
    cfg: &AnalysisConfig,
    targets: &[StageId],
    threads: Option<usize>,
) -> Result<AnalysisSummary, AnalysisError> {
    run_analysis_on(inputs, origin, cfg, targets, threads, None)
}

/// As [`run_analysis_from`], with `device` (a GPU backend) for the stages' plain reruns: the
/// portfolio liquidity stage's compositions and cash-only search, and the reverse stress test's
/// grid ([`Simulator::run_on_device`]). Every observed or followed rerun stays on the CPU. A
/// stage whose device fails is rerun whole on the CPU, and its [`StageRun::device_fallback`]
/// says so.
pub fn run_analysis_on(
    inputs: AnalysisInputs,
    origin: SweepOrigin,
    cfg: &AnalysisConfig,
    targets: &[StageId],
    threads: Option<usize>,
    device: Option<Arc<dyn Backend>>,
) -> Result<AnalysisSummary, AnalysisError> {
    check_inputs(inputs.fund, cfg, targets)?;
    let stages = graph::closure(targets);
    let reads_sweep = stages.iter().any(|s| {
        matches!(
            s,
            StageId::InvestorBehaviour | StageId::PortfolioLiquidity | StageId::RedemptionPolicy
        )
    });
    if reads_sweep && inputs.base_outputs.is_empty() {
        return Err(AnalysisError::NoScenarios);
    }
    // Reruns never go past the main sweep: they are its first scenarios.
    let mut capped = cfg.clone();
    if reads_sweep {
        let base = inputs.base_outputs.len() as u64;
        capped.investors.attribution_scenarios = cfg.investors.attribution_scenarios.min(base);
        capped.buffer.scenarios = cfg.buffer.scenarios.min(base);
        capped.liquidation.scenarios = cfg.liquidation.scenarios.min(base);
        capped.gates.scenarios = cfg.gates.scenarios.min(base);
        capped.swing.scenarios = cfg.swing.scenarios.min(base);
        capped.early_warning.scenarios = cfg.early_warning.scenarios.min(base);
    }
    let cfg = &capped;
    let sim = Simulator::new(threads)?;
    let needed = stages
        .iter()
        .map(|&s| stage_scenarios(s, cfg))
        .max()
        .unwrap_or(0);
    let scenarios = sim.share_scenarios(scenario_block(inputs.fund, inputs.seed, 0..needed));
    if origin == SweepOrigin::CpuF32 {
        sim.reuse_sweep(
            &inputs.fund.model,
            scenarios,
            inputs.seed,
            inputs.base_outputs,
        );
    }
    let ctx = Context {
        inputs,
        cfg,
        sim: &sim,
        scenarios,
    };
    let out = Outputs::default();
    let work = Mutex::new(Vec::new());
    let timings = graph::run_graph(&stages, |id| {
        run_stage(id, &ctx, &out, device.as_ref(), &work)
    })?;
    let work = work.into_inner().unwrap_or_else(|p| p.into_inner());
    let ran_of = |id: StageId| {
        work.iter()
            .find(|(s, _)| *s == id)
            .map_or(StageWork::default(), |(_, w)| w.clone())
    };
    let work_of = |id: StageId| ran_of(id).work;
    let base = inputs.base_outputs.len() as u64;
    let stage_runs = timings
        .iter()
        .map(|t| StageRun {
            stage: t.stage,
            title: t.stage.title(),
            depends_on: t.stage.depends_on().to_vec(),
            status: "done",
            scenarios_used: scenarios_used(t.stage, cfg, needed, base),
            wave: t.wave,
            seconds: t.seconds,
            simulated_scenario_days: work_of(t.stage).simulated_scenario_days,
            reruns: work_of(t.stage).reruns,
            reruns_shared: work_of(t.stage).reruns_shared,
            device: ran_of(t.stage).device,
            device_scenario_days: work_of(t.stage).device_scenario_days,
            device_fallback: ran_of(t.stage).device_fallback,
        })
        .collect();
    let roadmap = roadmap::roadmap(&roadmap::RoadmapInputs {
        portfolio: out.portfolio.get(),
        liquidation: out.liquidation.get(),
        policy: out.policy.get(),
        scenarios: base,
    });
    Ok(AnalysisSummary {
        stages: stage_runs,
        market_liquidity: out.market.into_inner(),
        investor_behaviour: out.investors.into_inner(),
        portfolio_liquidity: out.portfolio.into_inner(),
        liquidation_design: out.liquidation.into_inner(),
        redemption_policy: out.policy.into_inner(),
        findings: out.findings.into_inner().unwrap_or_default(),
        roadmap,
    })
}

//! The stage commands as library calls: one analysis stage (with the stages it depends on) on a
//! fund, its JSON and tables kept in memory until [`StageOutcome::write`].
//!
//! | call | stage | command |
//! |---|---|---|
//! | [`market_liquidity`] | 1 | `undertow profile` |
//! | [`portfolio_liquidity`] | 3 | `undertow optimize buffer` |
//! | [`liquidation_design`] | 4 | `undertow optimize liquidation` |
//! | [`redemption_policy`] | 5 | `undertow optimize gates` |
//! | [`fn@reverse_stress`] | 5, its reverse stress test alone | `undertow reverse-stress` |

use std::path::Path;

use serde_json::{json, Value};
use undertow_analysis::redemption_policy::config::ReverseStressConfig;
use undertow_analysis::redemption_policy::reverse_stress::{self, ReverseStress};
use undertow_analysis::sim::Simulator;
use undertow_analysis::tables::{tables, Table};
use undertow_analysis::{
    check_inputs, run_analysis_from, AnalysisConfig, AnalysisInputs, AnalysisSummary, Finding,
    StageId, SweepOrigin,
};
use undertow_host::cpu::{CpuBackend, DEFAULT_CHUNK};
use undertow_host::fund::Fund;
use undertow_host::run::{sweep_cpu, SweepOptions};
use undertow_kernel::ScenarioOutput;

use crate::error::{Context, EngineError};
use crate::output::Pending;
use crate::run::{check_buffer_horizon, check_scenarios, check_threads};
use crate::settings::reverse_stress_flag_of;

/// A stage command's result: what it found, its JSON file and its tables, in memory.
pub struct StageOutcome<T> {
    /// The stage's result (for printing).
    pub result: T,
    /// The JSON file's name (`profile.json`, ...).
    pub json_file: &'static str,
    /// The JSON file's content: the fund, then the stage's sections.
    pub json: Value,
    /// The stage's tables.
    pub tables: Vec<Table>,
}

impl<T> StageOutcome<T> {
    /// Writes the tables and the JSON file into `dir`, all renamed at the end: on any error
    /// nothing new is left there.
    pub fn write(&self, dir: &Path) -> Result<(), EngineError> {
        let mut out = Pending::new(dir)?;
        for t in &self.tables {
            out.table(t)?;
        }
        out.json(self.json_file, &self.json)?;
        out.commit()
    }
}

/// The reverse stress test's result: the failure map and its findings.
pub struct ReverseStressOutcome {
    pub map: ReverseStress,
    pub findings: Vec<Finding>,
}

/// The fund as a stage command's JSON names it.
fn fund_json(fund: &Fund) -> Value {
    json!({ "name": fund.name, "source": fund.source, "currency": fund.currency, "aum": fund.aum })
}

/// An analysis stage's outcome: its sections with the fund added.
fn analysis_outcome(
    fund: &Fund,
    summary: AnalysisSummary,
    json_file: &'static str,
) -> Result<StageOutcome<AnalysisSummary>, EngineError> {
    let mut json = serde_json::to_value(&summary).context(|| "serialising the analysis".into())?;
    if let Some(map) = json.as_object_mut() {
        map.insert("fund".into(), fund_json(fund));
    }
    Ok(StageOutcome {
        tables: tables(&summary),
        result: summary,
        json_file,
        json,
    })
}

/// Runs `targets` (and what they depend on) after checking the settings; `origin` says how
/// `inputs.base_outputs` were simulated.
fn analyse(
    inputs: AnalysisInputs,
    origin: SweepOrigin,
    cfg: &AnalysisConfig,
    targets: &[StageId],
    threads: Option<usize>,
) -> Result<AnalysisSummary, EngineError> {
    run_analysis_from(inputs, origin, cfg, targets, threads).map_err(EngineError::analysis)
}

/// The CPU sweep a stage reads (no fan-chart paths): its records, indices from 0.
fn stage_sweep(
    fund: &Fund,
    scenarios: u64,
    seed: u64,
    threads: Option<usize>,
) -> Result<Vec<ScenarioOutput>, EngineError> {
    let backend = CpuBackend::new(threads, DEFAULT_CHUNK)
        .context(|| "starting the CPU thread pool".into())?;
    let opts = SweepOptions {
        scenarios,
        seed,
        paths: 0,
    };
    let sweep = sweep_cpu(
        fund,
        &backend,
        &opts,
        |_, _, _| crate::cancel::io_check(),
        |_| {},
    );
    crate::cancel::check()?;
    let sweep = sweep.context(|| "running the sweep".into())?;
    Ok(sweep.outputs)
}

/// Stage 1 alone: the market liquidity profile (`profile.json`). Simulates nothing: the stressed
/// conditions come from the shocks of `cfg.profile.scenarios` scenario records of `seed`.
pub fn market_liquidity(
    fund: &Fund,
    cfg: &AnalysisConfig,
    seed: u64,
) -> Result<StageOutcome<AnalysisSummary>, EngineError> {
    check_inputs(fund, cfg, &[StageId::MarketLiquidity]).map_err(EngineError::analysis)?;
    let inputs = AnalysisInputs {
        fund,
        base_outputs: &[],
        seed,
    };
    let targets = [StageId::MarketLiquidity, StageId::Findings];
    let summary = analyse(inputs, SweepOrigin::Other, cfg, &targets, None)?;
    analysis_outcome(fund, summary, "profile.json")
}

/// Stage 3 with what it depends on, after a sweep for liquidity at risk
/// (`buffer.json`).
pub fn portfolio_liquidity(
    fund: &Fund,
    cfg: &AnalysisConfig,
    sweep: &StageSweep,
) -> Result<StageOutcome<AnalysisSummary>, EngineError> {
    after_sweep(fund, cfg, sweep, StageId::PortfolioLiquidity, "buffer.json")
}

/// The CPU sweep a stage reads (scenario indices from 0), and the stage's worker threads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StageSweep {
    pub scenarios: u64,
    pub seed: u64,
    /// `None`: every core.
    pub threads: Option<usize>,
    /// Shard directories of `undertow run --shard` (or directories holding them) whose stress
    /// library records the stage reads instead of sweeping; their count and seed replace
    /// `scenarios` and `seed`, and their fund must be the stage's. Empty: sweep.
    pub from_shards: Vec<std::path::PathBuf>,
}

/// The stage's base records, the seed they were swept with and how: the shards' stress
/// library when `sweep.from_shards` names any (refused unless they ran `fund` as the stage has
/// it; any backend), otherwise a CPU sweep.
fn base_records(
    fund: &Fund,
    sweep: &StageSweep,
) -> Result<(Vec<ScenarioOutput>, u64, SweepOrigin), EngineError> {
    if sweep.from_shards.is_empty() {
        check_scenarios(sweep.scenarios)?;
        let outputs = stage_sweep(fund, sweep.scenarios, sweep.seed, sweep.threads)?;
        return Ok((outputs, sweep.seed, SweepOrigin::CpuF32));
    }
    let records = crate::shard::stress_records(&sweep.from_shards)?;
    if crate::shard::fund_toml_checked(fund)? != records.fund_toml {
        return Err(EngineError::BadInput(format!(
            "shard {}: its fund.toml is not this command's fund (give the same --fund and \
             overrides the shards ran with)",
            records.dir.display()
        )));
    }
    Ok((records.outputs, records.seed, SweepOrigin::Other))
}

/// `stage` (with what it depends on, and the findings) after a sweep whose records it reads.
fn after_sweep(
    fund: &Fund,
    cfg: &AnalysisConfig,
    sweep: &StageSweep,
    stage: StageId,
    json_file: &'static str,
) -> Result<StageOutcome<AnalysisSummary>, EngineError> {
    check_threads(sweep.threads)?;
    if stage == StageId::PortfolioLiquidity {
        check_buffer_horizon(Some(cfg.buffer.horizon_days), fund)?;
    }
    check_inputs(fund, cfg, &[stage]).map_err(EngineError::analysis)?;
    let (outputs, seed, origin) = base_records(fund, sweep)?;
    let inputs = AnalysisInputs {
        fund,
        base_outputs: &outputs,
        seed,
    };
    let summary = analyse(
        inputs,
        origin,
        cfg,
        &[stage, StageId::Findings],
        sweep.threads,
    )?;
    analysis_outcome(fund, summary, json_file)
}

/// Stage 4 with the market liquidity profile it reads (`liquidation.json`). Needs no sweep: the
/// strategies rerun the first scenarios of the run with `seed`.
pub fn liquidation_design(
    fund: &Fund,
    cfg: &AnalysisConfig,
    seed: u64,
    threads: Option<usize>,
) -> Result<StageOutcome<AnalysisSummary>, EngineError> {
    check_threads(threads)?;
    let targets = [StageId::LiquidationDesign, StageId::Findings];
    check_inputs(fund, cfg, &targets).map_err(EngineError::analysis)?;
    let inputs = AnalysisInputs {
        fund,
        base_outputs: &[],
        seed,
    };
    let summary = analyse(inputs, SweepOrigin::Other, cfg, &targets, threads)?;
    // The market profile ran only as an input: its section belongs to `undertow profile`.
    let summary = AnalysisSummary {
        market_liquidity: None,
        ..summary
    };
    analysis_outcome(fund, summary, "liquidation.json")
}

/// Stage 5 after a sweep whose records the early-warning analysis reads
/// (`policy.json`).
pub fn redemption_policy(
    fund: &Fund,
    cfg: &AnalysisConfig,
    sweep: &StageSweep,
) -> Result<StageOutcome<AnalysisSummary>, EngineError> {
    after_sweep(fund, cfg, sweep, StageId::RedemptionPolicy, "policy.json")
}

/// The reverse stress test alone: the failure map and the least severe failing shock
/// (`reverse_stress.json`).
pub fn reverse_stress(
    fund: &Fund,
    cfg: &ReverseStressConfig,
    seed: u64,
    threads: Option<usize>,
) -> Result<StageOutcome<ReverseStressOutcome>, EngineError> {
    check_threads(threads)?;
    cfg.validate()
        .map_err(|e| EngineError::config(&e, reverse_stress_flag_of))?;
    let sim = Simulator::new(threads).context(|| "starting the thread pool".into())?;
    // On the CPU pool (no device), which does not fail; the error is typed all the same.
    let map = reverse_stress::reverse_stress(fund, seed, &sim, cfg)
        .map_err(|e| EngineError::failed("the reverse stress test", e))?;
    let findings = reverse_stress::findings(fund, &map);
    let json = json!({
        "fund": fund_json(fund),
        "seed": seed,
        "reverse_stress": map,
        "findings": findings,
    });
    Ok(StageOutcome {
        tables: reverse_stress::tables(&map),
        result: ReverseStressOutcome { map, findings },
        json_file: "reverse_stress.json",
        json,
    })
}

//! `undertow run` as a library call: check the request, sweep the scenarios on a backend, run
//! the analysis stages, assemble the summary ([`run`]); then write every output at once
//! ([`RunOutcome::write`]).

use std::ops::Range;
use std::path::Path;

use undertow_analysis::tables::{tables, Table};
use undertow_analysis::{check_inputs, run_analysis_on, AnalysisInputs, StageId, SweepOrigin};
use undertow_host::backend::Backend;
use undertow_host::fund::Fund;
use undertow_host::output::switch_map;
use undertow_host::run::{
    fan_charts, scenario_block, sweep, sweep_range, FanCharts, Sweep, SweepError, SweepOptions,
};
use undertow_kernel::{ScenarioOutput, ScenarioParams};
use undertow_report::REPORT_FILE;

use crate::cancel;
use crate::error::{Context, EngineError};
use crate::manifest::{FundHash, Manifest, Provenance};
use crate::output::{Pending, SCENARIOS_UNCONDITIONAL_CSV, SUMMARY_JSON};
use crate::settings::AnalysisSettings;
use crate::summary::{RunMeta, SetSummary, Summary};

/// What to run on a fund.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRequest {
    /// Scenarios of the sweep (indices 0 to `scenarios - 1`).
    pub scenarios: u64,
    /// Run seed: a scenario's result depends only on the seed and its index.
    pub seed: u64,
    /// Scenarios traced day by day for the fan charts.
    pub paths: usize,
    /// Worker threads of the analysis (`None`: every core); the backend has its own.
    pub threads: Option<usize>,
    /// The analysis stages' settings; `None` runs the sweep alone.
    pub analysis: Option<AnalysisSettings>,
    /// Also sweep the unconditional mixture (`ScenarioConfig::unconditional`: the same count,
    /// seed and indices): `summary.json`'s `unconditional` and `scenarios_unconditional.csv`.
    /// The stress library is always swept; the analysis stages run on it alone.
    pub unconditional: bool,
    /// Where the analysis stages' plain reruns run (`--stage-reruns`).
    pub stage_reruns: StageReruns,
}

/// Where the analysis stages' plain reruns run (issue 13): the portfolio liquidity stage's
/// buffer compositions and cash-only search, and the reverse stress test's grid. Observed and
/// followed reruns (holders, positions, the early-warning ladder, the policy and strategy
/// variants) read the kernel's state on the CPU and stay there.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StageReruns {
    /// The analysis' CPU pool: the stages' records are the CPU reference's, bit for bit,
    /// whichever backend swept, so a merge of shards equals the single run.
    #[default]
    Cpu,
    /// A GPU (opened for the stages). The stages' results then agree with the CPU's within the
    /// `f32` tolerance, not bit for bit: a knife-edge scenario's coverage can flip. A GPU that
    /// will not open, or fails during a stage, leaves that stage on the CPU with a notice.
    Gpu,
}

impl StageReruns {
    /// The name `--stage-reruns` and `summary.json` use.
    pub fn name(self) -> &'static str {
        match self {
            StageReruns::Cpu => "cpu",
            StageReruns::Gpu => "gpu",
        }
    }
}

impl RunRequest {
    /// Scenarios swept in all: the stress library's, and the unconditional mixture's when asked.
    pub fn total_scenarios(&self) -> u64 {
        if self.unconditional {
            self.scenarios.saturating_mul(2)
        } else {
            self.scenarios
        }
    }

    /// Checks the request against `fund` without running anything, so that bad input is found
    /// before any backend is opened or any output created.
    pub fn check(&self, fund: &Fund) -> Result<(), EngineError> {
        check_scenarios(self.scenarios)?;
        check_threads(self.threads)?;
        if let Some(a) = &self.analysis {
            check_buffer_horizon(a.buffer_horizon, fund)?;
            check_inputs(fund, &a.config(fund), &StageId::ALL).map_err(EngineError::analysis)?;
        }
        Ok(())
    }

    /// Bad input when the run's estimated peak memory ([`crate::memory::estimate`], the sweep in
    /// blocks of `block` scenarios) is over `limit` bytes; `None` checks nothing. Returns the
    /// estimate.
    pub fn check_memory(
        &self,
        fund: &Fund,
        block: u64,
        limit: Option<u64>,
    ) -> Result<crate::memory::MemoryEstimate, EngineError> {
        let threads = self.threads.unwrap_or_else(cores);
        let estimate = crate::memory::estimate(fund, self, block, threads);
        if let Some(limit) = limit {
            crate::memory::check_limit(&estimate, limit)?;
        }
        Ok(estimate)
    }
}

/// Bad input unless there is at least one scenario and the count fits the kernel's indices.
pub fn check_scenarios(n: u64) -> Result<(), EngineError> {
    if n == 0 || n > u32::MAX as u64 {
        return Err(EngineError::BadInput(format!(
            "flag --scenarios: {n} is outside 1..=4294967295"
        )));
    }
    Ok(())
}

/// The most worker threads a command may ask for (`--threads`).
pub const MAX_THREADS: usize = 4096;

/// Bad input unless a thread count asked for is within `1..=MAX_THREADS`.
pub fn check_threads(threads: Option<usize>) -> Result<(), EngineError> {
    match threads {
        Some(n) if n == 0 || n > MAX_THREADS => Err(EngineError::BadInput(format!(
            "flag --threads: {n} is outside 1..={MAX_THREADS}"
        ))),
        _ => Ok(()),
    }
}

/// Bad input when a buffer horizon asked for (`--buffer-horizon`) is longer than the fund's
/// simulated horizon: the days past it are never simulated.
pub fn check_buffer_horizon(days: Option<u32>, fund: &Fund) -> Result<(), EngineError> {
    let horizon = fund.model.params.horizon;
    match days {
        Some(d) if d > horizon => Err(EngineError::BadInput(format!(
            "flag --buffer-horizon: {d} is longer than the fund's horizon of {horizon} days"
        ))),
        _ => Ok(()),
    }
}

/// A finished run, in memory: nothing is written until [`RunOutcome::write`].
pub struct RunOutcome {
    /// The fund as simulated (overrides applied).
    pub fund: Fund,
    /// `summary.json`.
    pub summary: Summary,
    /// The stress library's records, scenario indices from 0 (`scenarios.csv`).
    pub outputs: Vec<ScenarioOutput>,
    /// The unconditional mixture's records, scenario indices from 0
    /// (`scenarios_unconditional.csv`); `None` when it was not swept.
    pub unconditional_outputs: Option<Vec<ScenarioOutput>>,
    /// How the run was asked for, for `manifest.json` (empty unless the caller fills it).
    pub provenance: Provenance,
    /// What the user should be told about how the run went, e.g. "GPU chunk 1 (scenarios
    /// 16..32): ...; falling back to the CPU" when `--backend auto` lost its GPU. The CLI prints
    /// them on stderr.
    pub notices: Vec<String>,
}

/// Runs `request` on `fund`: checks it, sweeps the stress library and then (unless
/// `request.unconditional` is false) the unconditional mixture on `backend`, calling
/// `progress(done)` as blocks finish (counting on through the second set), runs the analysis
/// stages on the stress library, and assembles the summary ([`finish`]).
pub fn run(
    fund: &Fund,
    request: &RunRequest,
    backend: &dyn Backend,
    mut progress: impl FnMut(u64),
) -> Result<RunOutcome, EngineError> {
    request.check(fund)?;
    // The stages may read the sweep's records for reruns of the unchanged fund only where every
    // block ran on the CPU in `f32` (`auto` starts on the GPU and says "gpu" until it falls
    // back, so it never qualifies).
    let cpu_before = backend.kind() == "cpu";
    let swept = sweep_sets(fund, request, 0..request.scenarios, backend, &mut progress)?;
    let origin = if cpu_before && backend.kind() == "cpu" {
        SweepOrigin::CpuF32
    } else {
        SweepOrigin::Other
    };
    let paths = scenario_block(
        fund,
        request.seed,
        0..(request.paths as u64).min(request.scenarios),
    );
    let fan = fan_charts(&fund.model, &paths, request.seed);
    finish_from(
        fund,
        request,
        origin,
        Swept {
            stress: swept.stress,
            fan,
            unconditional: swept.unconditional,
            backend: backend.describe(),
            seconds: swept.seconds,
            notices: swept.notices,
        },
    )
}

/// What the rest of a run is a function of, once every scenario is swept: the records of both
/// sets (scenario indices from 0), the fan charts, and how the sweep went. [`run`] fills it
/// from one sweep, `undertow merge` ([`crate::shard::merge`]) from the shards' records.
pub struct Swept {
    /// The stress library's records, scenario indices from 0.
    pub stress: Vec<ScenarioOutput>,
    /// The fan charts of the first `request.paths` scenarios.
    pub fan: FanCharts,
    /// The unconditional mixture's records and the count of scenarios drawn from each family
    /// code; `None` when it was not swept.
    pub unconditional: Option<(Vec<ScenarioOutput>, Vec<u64>)>,
    /// The backend's description (`summary.json`'s `run.backend`).
    pub backend: String,
    /// Seconds the sweep took.
    pub seconds: f64,
    /// What the user should be told about how the sweep went.
    pub notices: Vec<String>,
}

/// The part of a run after the sweep: the analysis stages on the stress library, the summary
/// of both sets, the finite checks. A pure function of the fund, the request and the records,
/// which is what makes a merge of shards equal a single run.
pub fn finish(fund: &Fund, request: &RunRequest, swept: Swept) -> Result<RunOutcome, EngineError> {
    finish_from(fund, request, SweepOrigin::Other, swept)
}

/// As [`finish`], where `origin` says how the stress library's records were simulated
/// ([`SweepOrigin::CpuF32`] lets the stages read reruns of the unchanged fund from them; the
/// results are the same either way, bit for bit).
fn finish_from(
    fund: &Fund,
    request: &RunRequest,
    origin: SweepOrigin,
    mut swept: Swept,
) -> Result<RunOutcome, EngineError> {
    let analysis = match &request.analysis {
        None => None,
        Some(settings) => {
            let inputs = AnalysisInputs {
                fund,
                base_outputs: &swept.stress,
                seed: request.seed,
            };
            let cfg = settings.config(fund);
            let device = match request.stage_reruns {
                StageReruns::Cpu => None,
                StageReruns::Gpu => match crate::backend::open_stage_device() {
                    Ok(d) => Some(d),
                    Err(why) => {
                        swept.notices.push(format!(
                            "--stage-reruns gpu: no GPU opened ({why}); the stages ran on the CPU"
                        ));
                        None
                    }
                },
            };
            let analysis =
                run_analysis_on(inputs, origin, &cfg, &StageId::ALL, request.threads, device);
            cancel::check()?;
            let analysis = analysis.map_err(EngineError::analysis)?;
            for s in &analysis.stages {
                if let Some(why) = &s.device_fallback {
                    swept.notices.push(format!(
                        "stage {}: GPU reruns failed ({why})",
                        s.stage.name()
                    ));
                }
            }
            Some(analysis)
        }
    };
    let meta = RunMeta {
        seed: request.seed,
        backend: swept.backend,
        threads: request.threads.unwrap_or_else(cores),
        seconds: swept.seconds,
    };
    let mut summary = Summary::assemble(fund, &swept.stress, swept.fan, meta, analysis);
    let unconditional_outputs = swept.unconditional.map(|(outputs, counts)| {
        let set = SetSummary::assemble(&unconditional_fund(fund), &outputs, &counts);
        summary.unconditional = Some(set);
        outputs
    });
    crate::finite::check_outcome(fund, request.seed, &swept.stress, &summary)?;
    if let Some(outs) = &unconditional_outputs {
        crate::finite::check_set_outputs(&unconditional_fund(fund), request.seed, outs)?;
    }
    Ok(RunOutcome {
        fund: fund.clone(),
        summary,
        outputs: swept.stress,
        unconditional_outputs,
        provenance: Provenance::default(),
        notices: swept.notices,
    })
}

/// The records of scenarios `range` of both sets, as [`sweep_sets`] returns them.
pub(crate) struct SweptRange {
    pub stress: Vec<ScenarioOutput>,
    /// The stress library's family code of each scenario.
    pub stress_families: Vec<u32>,
    /// The unconditional mixture's records and the count drawn from each family code.
    pub unconditional: Option<(Vec<ScenarioOutput>, Vec<u64>)>,
    /// The unconditional mixture's family code of each scenario (empty when not swept).
    pub unconditional_families: Vec<u32>,
    /// Seconds the stress library's sweep took (`summary.json`'s `run.seconds`).
    pub seconds: f64,
    /// Seconds the unconditional mixture's sweep took (0 when not swept).
    pub unconditional_seconds: f64,
    pub notices: Vec<String>,
}

/// Sweeps scenarios `range` of the stress library and (when `request.unconditional`) of the
/// unconditional mixture on `backend`, `progress(done)` counting on through the second set.
/// When `--backend auto` loses its GPU during the second set the stress library is swept
/// again, so that both sets come from the CPU.
pub(crate) fn sweep_sets(
    fund: &Fund,
    request: &RunRequest,
    range: Range<u64>,
    backend: &dyn Backend,
    progress: &mut impl FnMut(u64),
) -> Result<SweptRange, EngineError> {
    let mut notices = Vec::new();
    let mut stress_families = Vec::new();
    let mut families = |first: u64, params: &[ScenarioParams]| {
        if first == range.start {
            stress_families.clear();
        }
        stress_families.extend(params.iter().map(|p| p.family));
    };
    let (mut stress, mut seconds) = sweep_range_falling_back(
        fund,
        backend,
        request.seed,
        range.clone(),
        &mut notices,
        &mut families,
        progress,
    )?;
    let mut unconditional_families = Vec::new();
    let mut unconditional_seconds = 0.0;
    let unconditional = if request.unconditional {
        let fell_back = notices.len();
        let (outs, counts, families_u, secs) = sweep_unconditional(
            fund,
            request.seed,
            range.clone(),
            backend,
            &mut notices,
            progress,
        )?;
        unconditional_families = families_u;
        unconditional_seconds = secs;
        if notices.len() > fell_back {
            let (s, secs) = sweep_range_falling_back(
                fund,
                backend,
                request.seed,
                range.clone(),
                &mut notices,
                &mut families,
                &mut |_| {},
            )?;
            stress = s;
            seconds = secs;
        }
        Some((outs, counts))
    } else {
        None
    };
    Ok(SweptRange {
        stress,
        stress_families,
        unconditional,
        unconditional_families,
        seconds,
        unconditional_seconds,
        notices,
    })
}

/// `fund` with its scenario configuration replaced by the unconditional mixture over a year of
/// business days (`ScenarioConfig::unconditional_for` the fund's horizon, the mixture's window
/// unless the fund file sets one): the same positions, investors and ranges.
pub fn unconditional_fund(fund: &Fund) -> Fund {
    let mut f = fund.clone();
    f.scenarios = fund.scenarios.unconditional_for(fund.model.params.horizon);
    f
}

/// A sweep of scenarios `range` of `fund` on `backend`, `block(first_index, params)` seeing
/// every block's parameters. When `--backend auto` loses its GPU the backend runs on the CPU
/// from then on, and the sweep is rerun from the range's first scenario so that every result
/// comes from the CPU (exactly the CPU reference); the notice is added to `notices`. Returns
/// the records and the seconds taken.
pub(crate) fn sweep_falling_back(
    fund: &Fund,
    backend: &dyn Backend,
    opts: &SweepOptions,
    notices: &mut Vec<String>,
    mut block: impl FnMut(u64, &[ScenarioParams]),
    progress: &mut impl FnMut(u64),
) -> Result<Sweep, EngineError> {
    let mut sink = |first: u64, params: &[ScenarioParams], _: &[ScenarioOutput]| {
        block(first, params);
        cancel::io_check()
    };
    let mut swept = sweep(fund, backend, opts, &mut sink, &mut *progress);
    if let Err(SweepError::Backend(e)) = &swept {
        if let Some(notice) = crate::backend::fallback_notice(e) {
            notices.push(notice.to_string());
            cancel::check()?;
            swept = sweep(fund, backend, opts, &mut sink, &mut *progress);
        }
    }
    cancel::check()?;
    swept.context(|| "running the sweep".into())
}

/// [`sweep_falling_back`] over scenarios `range` alone, without fan charts: the records and the
/// seconds taken.
pub(crate) fn sweep_range_falling_back(
    fund: &Fund,
    backend: &dyn Backend,
    seed: u64,
    range: Range<u64>,
    notices: &mut Vec<String>,
    mut block: impl FnMut(u64, &[ScenarioParams]),
    progress: &mut impl FnMut(u64),
) -> Result<(Vec<ScenarioOutput>, f64), EngineError> {
    let mut sink = |first: u64, params: &[ScenarioParams], _: &[ScenarioOutput]| {
        block(first, params);
        cancel::io_check()
    };
    let mut swept = sweep_range(
        fund,
        backend,
        seed,
        range.clone(),
        &mut sink,
        &mut *progress,
    );
    if let Err(SweepError::Backend(e)) = &swept {
        if let Some(notice) = crate::backend::fallback_notice(e) {
            notices.push(notice.to_string());
            cancel::check()?;
            swept = sweep_range(fund, backend, seed, range, &mut sink, &mut *progress);
        }
    }
    cancel::check()?;
    swept.context(|| "running the sweep".into())
}

/// One set's records, the count drawn from each family code, each scenario's family code and
/// the seconds taken.
type SweptSet = (Vec<ScenarioOutput>, Vec<u64>, Vec<u32>, f64);

/// Scenarios `range` of the unconditional mixture, swept with the stress library's seed and
/// indices (no fan charts, no analysis): its records, the count drawn from each family code,
/// each scenario's family code and the seconds taken. `progress` counts on from the stress
/// library's scenarios.
fn sweep_unconditional(
    fund: &Fund,
    seed: u64,
    range: Range<u64>,
    backend: &dyn Backend,
    notices: &mut Vec<String>,
    progress: &mut impl FnMut(u64),
) -> Result<SweptSet, EngineError> {
    let fund_u = unconditional_fund(fund);
    let mut counts = vec![0u64; undertow_host::scenarios::family::COUNT];
    let mut families = Vec::new();
    let offset = range.end - range.start;
    let mut on = |done: u64| progress(offset + done);
    let (outputs, seconds) = sweep_range_falling_back(
        &fund_u,
        backend,
        seed,
        range.clone(),
        notices,
        |first, params| {
            // A rerun after a fallback starts again from the range's first scenario.
            if first == range.start {
                counts = vec![0; undertow_host::scenarios::family::COUNT];
                families.clear();
            }
            for p in params {
                if let Some(c) = counts.get_mut(p.family as usize) {
                    *c += 1;
                }
                families.push(p.family);
            }
        },
        &mut on,
    )?;
    Ok((outputs, counts, families, seconds))
}

/// The machine's cores (what rayon uses by default).
fn cores() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// Scenarios whose parameters are regenerated at a time when `scenarios.csv` is written.
pub(crate) const CSV_BLOCK: usize = 4096;

impl RunOutcome {
    /// `manifest.json` before its files' hashes are added.
    fn manifest(&self) -> Manifest {
        let p = &self.provenance;
        Manifest {
            version: env!("CARGO_PKG_VERSION").to_string(),
            command_line: p.command_line.clone(),
            fund: FundHash {
                path: p.fund_path.clone(),
                sha256: p.fund_sha256.clone(),
            },
            seed: self.summary.run.seed,
            switches: switch_map(self.fund.model.params.switches),
            files: Default::default(),
        }
    }

    /// The analysis stages' tables (none for a sweep alone).
    pub fn tables(&self) -> Vec<Table> {
        self.summary
            .analysis
            .as_ref()
            .map(tables)
            .unwrap_or_default()
    }

    /// Writes the run into `dir`: every stage table, `summary.json`, `scenarios.csv`,
    /// `scenarios_unconditional.csv` (when the mixture was swept) and `report.html`. The report is rendered first and every file written to a temporary, all
    /// renamed at the end: on any error nothing new is left in `dir`, and earlier outputs there
    /// are untouched.
    pub fn write(&self, dir: &Path) -> Result<(), EngineError> {
        let seed = self.summary.run.seed;
        crate::finite::check_outcome(&self.fund, seed, &self.outputs, &self.summary)?;
        if let Some(outs) = &self.unconditional_outputs {
            crate::finite::check_set_outputs(&unconditional_fund(&self.fund), seed, outs)?;
        }
        let value =
            serde_json::to_value(&self.summary).context(|| "serialising the summary".into())?;
        let page = undertow_report::render(&value).context(|| "rendering report.html".into())?;
        let mut out = Pending::new(dir)?;
        out.manifest(self.manifest());
        for t in self.tables() {
            out.table(&t)?;
        }
        out.json(SUMMARY_JSON, &self.summary)?;
        out.scenarios_csv(|csv| write_records(csv, &self.fund, seed, &self.outputs))?;
        if let Some(outputs) = &self.unconditional_outputs {
            let fund_u = unconditional_fund(&self.fund);
            out.scenarios_csv_named(SCENARIOS_UNCONDITIONAL_CSV, |csv| {
                write_records(csv, &fund_u, seed, outputs)
            })?;
        }
        if let Some(w) = &self.summary.what_if {
            out.file(crate::what_if::WHAT_IF_CSV, |f| {
                crate::what_if::write_csv(f, w)
            })?;
        }
        out.file(REPORT_FILE, |w| {
            use std::io::Write;
            w.write_all(page.as_bytes())
        })?;
        out.commit()
    }
}

/// Writes `outputs` (scenario indices from 0) with their parameters regenerated from `fund`'s
/// scenario configuration, a block at a time.
fn write_records(
    csv: &mut undertow_host::output::ScenarioCsv,
    fund: &Fund,
    seed: u64,
    outputs: &[ScenarioOutput],
) -> std::io::Result<()> {
    let mut first = 0u64;
    for outs in outputs.chunks(CSV_BLOCK) {
        let end = first + outs.len() as u64;
        let params = scenario_block(fund, seed, first..end);
        cancel::io_check()?;
        csv.write_block(first, &params, outs)?;
        first = end;
    }
    Ok(())
}

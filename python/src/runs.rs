//! `undertow.run` and `undertow.sweep`: the engine's run on a worker thread with the GIL
//! released, the calling thread polling for Ctrl-C (`PyErr::check_signals`) and calling the
//! progress callback; an interruption is handed to the engine's cancellation hook, which stops
//! the run between blocks with nothing written.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use arrow_array::RecordBatch;
use arrow_schema::Schema;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyList;
use undertow_engine::run::unconditional_fund;
use undertow_engine::shard::records::record_batches;
use undertow_engine::{
    backend, cancel, AnalysisSettings, EngineError, RunOutcome, RunRequest, StageReruns,
};
use undertow_host::backend::BackendChoice;
use undertow_host::cpu::DEFAULT_CHUNK;
use undertow_host::fund::Fund;
use undertow_host::run::scenario_block;

use crate::arrow::{first_buffer_address, to_pyarrow, with_variant};
use crate::errors::{engine_error, raise};
use crate::fund::PyFund;

/// Set when the calling thread saw a signal (Ctrl-C) or its progress callback raised; the
/// engine's cancellation hook reads it. One flag per process: an interruption stops every run
/// in flight.
static STOP: AtomicBool = AtomicBool::new(false);

fn stop_requested() -> bool {
    STOP.load(Ordering::Relaxed)
}

/// How often the calling thread wakes to check for signals and report progress.
const POLL: Duration = Duration::from_millis(20);

/// Runs `work` on a worker thread with the GIL released. Every [`POLL`] the calling thread
/// takes the GIL back, checks for signals and calls `progress(done, total)` when `done` moved;
/// a pending exception (KeyboardInterrupt from Ctrl-C, or one the callback raised) asks the
/// engine to stop, waits for the worker and is raised, so nothing partial is returned.
fn interruptible<T: Send>(
    py: Python<'_>,
    progress: Option<&Bound<'_, PyAny>>,
    total: u64,
    work: impl FnOnce(&AtomicU64) -> Result<T, EngineError> + Send,
) -> PyResult<T> {
    cancel::install(stop_requested);
    STOP.store(false, Ordering::SeqCst);
    let done = AtomicU64::new(0);
    let finished = AtomicBool::new(false);
    let outcome = std::thread::scope(|s| {
        let worker = s.spawn(|| {
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work(&done)));
            finished.store(true, Ordering::SeqCst);
            r
        });
        let mut reported = u64::MAX;
        let mut raised: Option<PyErr> = None;
        loop {
            let over = py.detach(|| {
                let until = std::time::Instant::now() + POLL;
                while std::time::Instant::now() < until {
                    if finished.load(Ordering::SeqCst) {
                        return true;
                    }
                    std::thread::sleep(Duration::from_millis(1));
                }
                finished.load(Ordering::SeqCst)
            });
            if raised.is_none() {
                if let Err(e) = py.check_signals() {
                    raised = Some(e);
                } else if let Some(cb) = progress {
                    let d = done.load(Ordering::Relaxed);
                    if d != reported || over {
                        reported = d;
                        if let Err(e) = cb.call1((d, total)) {
                            raised = Some(e);
                        }
                    }
                }
                if raised.is_some() {
                    STOP.store(true, Ordering::SeqCst);
                }
            }
            if over {
                break;
            }
        }
        let result = py.detach(|| worker.join());
        (result, raised)
    });
    STOP.store(false, Ordering::SeqCst);
    match outcome {
        (_, Some(e)) => Err(e),
        (Ok(Ok(r)), None) => r.map_err(|e| engine_error(py, e)),
        _ => Err(PyRuntimeError::new_err(
            "the run panicked (a bug in undertow)",
        )),
    }
}

fn backend_choice(py: Python<'_>, name: &str) -> PyResult<BackendChoice> {
    match name {
        "auto" => Ok(BackendChoice::Auto),
        "cpu" => Ok(BackendChoice::Cpu),
        "gpu" => Ok(BackendChoice::Gpu),
        other => Err(raise(
            py,
            "FundError",
            format!("argument backend: unknown backend `{other}` (expected auto, cpu or gpu)"),
        )),
    }
}

/// `stage_reruns` as `--stage-reruns` spells it: `None` for `auto` (decided once the backend is
/// open).
fn stage_reruns_choice(py: Python<'_>, name: &str) -> PyResult<Option<StageReruns>> {
    match name {
        "auto" => Ok(None),
        "cpu" => Ok(Some(StageReruns::Cpu)),
        "gpu" => Ok(Some(StageReruns::Gpu)),
        other => Err(raise(
            py,
            "FundError",
            format!("argument stage_reruns: unknown choice `{other}` (expected auto, cpu or gpu)"),
        )),
    }
}

/// The family code of every scenario of `range` (the sweep's own parameters regenerated).
fn families(fund: &Fund, seed: u64, scenarios: u64) -> Vec<u32> {
    let mut out = Vec::with_capacity(scenarios as usize);
    let mut first = 0;
    while first < scenarios {
        let end = (first + 65_536).min(scenarios);
        out.extend(
            scenario_block(fund, seed, first..end)
                .iter()
                .map(|p| p.family),
        );
        first = end;
    }
    out
}

type Batches = (Arc<Schema>, Vec<RecordBatch>);

/// A finished run, in memory (nothing is written until `write`).
#[pyclass(name = "Result", module = "undertow", frozen)]
pub struct PyRunResult {
    outcome: RunOutcome,
    stress_families: Vec<u32>,
    unconditional_families: Vec<u32>,
    stress_batches: OnceLock<Batches>,
    unconditional_batches: OnceLock<Batches>,
}

impl PyRunResult {
    fn batches(&self, unconditional: bool) -> PyResult<Option<&Batches>> {
        let (cell, outputs, families) = if unconditional {
            match &self.outcome.unconditional_outputs {
                Some(o) => (
                    &self.unconditional_batches,
                    o.as_slice(),
                    &self.unconditional_families,
                ),
                None => return Ok(None),
            }
        } else {
            (
                &self.stress_batches,
                self.outcome.outputs.as_slice(),
                &self.stress_families,
            )
        };
        if cell.get().is_none() {
            let b = record_batches(0, outputs, families)
                .map_err(|e| PyRuntimeError::new_err(format!("Arrow records: {e}")))?;
            let _ = cell.set(b);
        }
        Ok(cell.get())
    }

    fn summary_json(&self) -> PyResult<String> {
        serde_json::to_string(&self.outcome.summary)
            .map_err(|e| PyRuntimeError::new_err(format!("serialising the summary: {e}")))
    }
}

#[pymethods]
impl PyRunResult {
    /// The stress library's per-scenario records as a `pyarrow.Table` (columns `index`,
    /// `family`, then every output field as in `scenarios.csv`, `_pad`), shared with Rust
    /// without a copy.
    #[getter]
    fn scenarios<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let Some((schema, batches)) = self.batches(false)? else {
            unreachable!("the stress library is always swept")
        };
        to_pyarrow(py, schema, batches)
    }

    /// The unconditional mixture's records (same columns), or `None` when it was not swept.
    #[getter]
    fn scenarios_unconditional<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        match self.batches(true)? {
            Some((schema, batches)) => Ok(Some(to_pyarrow(py, schema, batches)?)),
            None => Ok(None),
        }
    }

    /// Address of the first record batch's `column` buffer on the Rust side (zero-copy tests).
    fn _buffer_address(&self, column: usize) -> PyResult<usize> {
        let (_, batches) = self.batches(false)?.expect("always swept");
        Ok(first_buffer_address(batches, column))
    }

    /// `scenarios` as a pandas DataFrame (needs pandas).
    fn to_pandas<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.scenarios(py)?.call_method0("to_pandas")
    }

    /// `scenarios` as a polars DataFrame (needs polars).
    fn to_polars<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let table = self.scenarios(py)?;
        py.import("polars")?.call_method1("from_arrow", (table,))
    }

    /// `summary.json` as a dict.
    #[getter]
    fn summary<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let text = self.summary_json()?;
        py.import("json")?.call_method1("loads", (text,))
    }

    /// The analysis' findings (a list of dicts; empty when the analysis was not run).
    #[getter]
    fn findings<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let summary = self.summary(py)?;
        match summary.get_item("findings") {
            Ok(f) if !f.is_none() => Ok(f),
            _ => Ok(PyList::empty(py).into_any()),
        }
    }

    /// The HTML report (`report.html`) as a string.
    fn report_html(&self) -> PyResult<String> {
        let value = serde_json::to_value(&self.outcome.summary)
            .map_err(|e| PyRuntimeError::new_err(format!("serialising the summary: {e}")))?;
        undertow_report::render(&value)
            .map_err(|e| PyRuntimeError::new_err(format!("rendering the report: {e}")))
    }

    /// Writes the same files as `undertow run --out DIR` into `dir`, all or nothing (the GIL
    /// released; Ctrl-C leaves nothing new).
    fn write(&self, py: Python<'_>, dir: std::path::PathBuf) -> PyResult<()> {
        let outcome = &self.outcome;
        interruptible(py, None, 0, |_| outcome.write(&dir))
    }

    /// Notices about how the run went (a GPU fallback, say).
    #[getter]
    fn notices(&self) -> Vec<String> {
        self.outcome.notices.clone()
    }

    /// The fund as simulated.
    #[getter]
    fn fund(&self) -> PyFund {
        PyFund {
            fund: self.outcome.fund.clone(),
        }
    }

    fn __repr__(&self) -> String {
        let s = &self.outcome.summary;
        format!(
            "Result({:?}, scenarios={}, coverage={:.4}, survival={:.4}, backend={:?})",
            self.outcome.fund.name,
            s.run.scenarios,
            s.headline.coverage,
            s.headline.survival,
            s.run.backend
        )
    }

    fn _repr_html_(&self) -> String {
        let s = &self.outcome.summary;
        let h = &s.headline;
        let esc = |t: &str| {
            t.replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
        };
        let pct = |x: f64| format!("{:.1}%", x * 100.0);
        let mut rows = vec![
            ("scenarios", s.run.scenarios.to_string()),
            ("backend", esc(&s.run.backend)),
            (
                "cash buffer",
                pct(self.outcome.fund.model.params.initial_cash as f64),
            ),
            ("coverage (stress)", pct(h.coverage)),
            ("survival (stress)", pct(h.survival)),
            ("gate frequency", pct(h.gate_frequency)),
            ("shortfall frequency", pct(h.shortfall_frequency)),
            ("mean cost", format!("{:.1} bps", h.mean_cost_bps)),
            ("99th pct cost", format!("{:.1} bps", h.cost_p99_bps)),
        ];
        if let Some(u) = &s.unconditional {
            rows.push(("coverage (unconditional)", pct(u.headline.coverage)));
        }
        if let Some(a) = &s.analysis {
            rows.push(("findings", a.findings.len().to_string()));
        }
        let body: String = rows
            .iter()
            .map(|(k, v)| format!("<tr><th style=\"text-align:left\">{k}</th><td>{v}</td></tr>"))
            .collect();
        format!(
            "<div><b>undertow run: {}</b><table>{body}</table></div>",
            esc(&self.outcome.fund.name)
        )
    }
}

/// Runs `fund` as `undertow run` does. See `undertow.run` for the arguments.
#[pyfunction]
#[pyo3(signature = (fund, scenarios = 10_000, seed = 1, backend = "auto", threads = None,
    analysis = true, unconditional = true, progress = None, paths = 200, stage_reruns = "auto"))]
#[allow(clippy::too_many_arguments)]
pub fn run(
    py: Python<'_>,
    fund: &PyFund,
    scenarios: u64,
    seed: u64,
    backend: &str,
    threads: Option<usize>,
    analysis: bool,
    unconditional: bool,
    progress: Option<&Bound<'_, PyAny>>,
    paths: usize,
    stage_reruns: &str,
) -> PyResult<PyRunResult> {
    let choice = backend_choice(py, backend)?;
    let stage_reruns = stage_reruns_choice(py, stage_reruns)?;
    let mut request = RunRequest {
        scenarios,
        seed,
        paths,
        threads,
        analysis: analysis.then(AnalysisSettings::default),
        unconditional,
        stage_reruns: stage_reruns.unwrap_or_default(),
    };
    let fund = &fund.fund;
    let total = request.total_scenarios();
    interruptible(py, progress, total, |done| {
        request.check(fund)?;
        let (b, _why) = backend::open(choice, threads, DEFAULT_CHUNK)?;
        if stage_reruns.is_none() {
            request.stage_reruns = backend::auto_stage_reruns(b.as_ref());
        }
        let outcome = undertow_engine::run(fund, &request, b.as_ref(), |d| {
            done.store(d, Ordering::Relaxed)
        })?;
        cancel::check()?;
        let stress_families = families(fund, seed, scenarios);
        let unconditional_families = if outcome.unconditional_outputs.is_some() {
            families(&unconditional_fund(fund), seed, scenarios)
        } else {
            Vec::new()
        };
        Ok(PyRunResult {
            outcome,
            stress_families,
            unconditional_families,
            stress_batches: OnceLock::new(),
            unconditional_batches: OnceLock::new(),
        })
    })
}

/// Sweeps every fund of `funds` (a list, or a dict of name to fund) on the same seed and
/// scenario indices (common random numbers), the stress library alone, no analysis; returns one
/// table with a `variant` column (the dict's key, or the list position as text).
#[pyfunction]
#[pyo3(signature = (funds, scenarios = 10_000, seed = 1, backend = "auto", threads = None,
    progress = None))]
pub fn sweep<'py>(
    py: Python<'py>,
    funds: &Bound<'py, PyAny>,
    scenarios: u64,
    seed: u64,
    backend: &str,
    threads: Option<usize>,
    progress: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let choice = backend_choice(py, backend)?;
    let mut variants: Vec<(String, Fund)> = Vec::new();
    if let Ok(d) = funds.cast::<pyo3::types::PyDict>() {
        for (k, v) in d.iter() {
            let f: PyRef<PyFund> = v.extract()?;
            variants.push((k.str()?.to_string(), f.fund.clone()));
        }
    } else {
        for (i, v) in funds.try_iter()?.enumerate() {
            let f: PyRef<PyFund> = v?.extract()?;
            variants.push((i.to_string(), f.fund.clone()));
        }
    }
    if variants.is_empty() {
        return Err(PyValueError::new_err("sweep: no funds given"));
    }
    let request = RunRequest {
        scenarios,
        seed,
        paths: 0,
        threads,
        analysis: None,
        unconditional: false,
        stage_reruns: undertow_engine::StageReruns::Cpu,
    };
    let total = scenarios.saturating_mul(variants.len() as u64);
    let variants = &variants;
    let (schema, batches) = interruptible(py, progress, total, |done| {
        for (_, f) in variants {
            request.check(f)?;
        }
        let (b, _why) = backend::open(choice, threads, DEFAULT_CHUNK)?;
        let mut schema = None;
        let mut all = Vec::new();
        for (k, (name, f)) in variants.iter().enumerate() {
            let offset = k as u64 * scenarios;
            let outcome = undertow_engine::run(f, &request, b.as_ref(), |d| {
                done.store(offset + d, Ordering::Relaxed)
            })?;
            cancel::check()?;
            let fam = families(f, seed, scenarios);
            let named = record_batches(0, &outcome.outputs, &fam)
                .and_then(|(s, bs)| with_variant(&s, &bs, name))
                .map_err(|e| EngineError::failed("building the Arrow records", e))?;
            schema = Some(named.0);
            all.extend(named.1);
        }
        Ok((schema.expect("at least one variant"), all))
    })?;
    to_pyarrow(py, &schema, &batches)
}

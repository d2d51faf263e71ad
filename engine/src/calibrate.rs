//! `undertow calibrate flows` and `undertow backtest` as a library: read the fund file, the flow
//! history and (optionally) the market file, fit or backtest (`undertow_calibrate::flows`), and
//! write the results atomically — the calibrated fund file, and the JSON and HTML reports
//! (`calibration.json` / `calibration.html`, `backtest.json` / `backtest.html`). Every error in
//! what the caller gave is [`EngineError::BadInput`] (exit 2). docs/calibration.md.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use undertow_calibrate::flows::{
    backtest as run_backtest, fit_flows, inputs::composite_on, read_flows_csv,
    write::calibrated_toml, BacktestOptions, BacktestReport, FitOptions, FlowFit, FlowHistory,
};
use undertow_calibrate::market::read_market_csv;
use undertow_calibrate::CalibrateError;
use undertow_host::fund::{load_fund, Fund};
use undertow_host::output::AtomicFile;

use crate::error::{Context, EngineError};

pub const CALIBRATION_JSON: &str = "calibration.json";
pub const CALIBRATION_HTML: &str = "calibration.html";
pub const BACKTEST_JSON: &str = "backtest.json";
pub const BACKTEST_HTML: &str = "backtest.html";

fn bad(e: CalibrateError) -> EngineError {
    EngineError::BadInput(e.to_string())
}

/// What `undertow calibrate flows` is asked.
#[derive(Clone, Debug)]
pub struct CalibrateFlowsRequest {
    pub flows: PathBuf,
    pub market: Option<PathBuf>,
    pub fund: PathBuf,
    pub out: PathBuf,
    /// Where `calibration.json` and `.html` go; the output's folder when `None`.
    pub report_dir: Option<PathBuf>,
}

/// What a calibration produced (written by [`CalibrateFlowsOutcome::write`]).
pub struct CalibrateFlowsOutcome {
    pub fit: FlowFit,
    pub toml: String,
    pub fund: Fund,
    pub json: Value,
    pub html: String,
    pub out: PathBuf,
    pub report_dir: PathBuf,
}

/// The fund, the history and the composite on its dates.
fn inputs(
    fund: &Path,
    flows: &Path,
    market: Option<&Path>,
) -> Result<(Fund, FlowHistory, Option<Vec<f64>>), EngineError> {
    let fund = load_fund(fund).map_err(|e| EngineError::BadInput(e.to_string()))?;
    let hist = read_flows_csv(flows, &fund.spec).map_err(bad)?;
    let g = match market {
        Some(m) => {
            let mh = read_market_csv(m).map_err(bad)?;
            let comp = mh.stress_composite();
            Some(composite_on(&hist.dates, &comp, &mh.file).map_err(bad)?)
        }
        None => None,
    };
    Ok((fund, hist, g))
}

fn page(json: &Value) -> Result<String, EngineError> {
    undertow_report::render_calibration(json).context(|| "rendering the report page".into())
}

/// Fits the fund's investors to the history; nothing is written yet.
pub fn calibrate_flows(req: &CalibrateFlowsRequest) -> Result<CalibrateFlowsOutcome, EngineError> {
    let (fund, hist, g) = inputs(&req.fund, &req.flows, req.market.as_deref())?;
    let fit = fit_flows(&hist, &fund.spec, g.as_deref(), &FitOptions::default()).map_err(bad)?;
    let text = std::fs::read_to_string(&req.fund)
        .map_err(|e| EngineError::BadInput(format!("cannot read {}: {e}", req.fund.display())))?;
    let base = req.fund.parent().unwrap_or(Path::new(""));
    let (toml, cal) =
        calibrated_toml(&text, &req.fund.display().to_string(), base, &fit).map_err(bad)?;
    let json = json!({
        "schema_version": 1,
        "fund": fund.name,
        "fund_file": req.fund.display().to_string(),
        "market_file": req.market.as_ref().map(|m| m.display().to_string()),
        "calibrated_fund_file": req.out.display().to_string(),
        "calibration": fit,
    });
    let html = page(&json)?;
    let report_dir = req.report_dir.clone().unwrap_or_else(|| {
        req.out
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or(PathBuf::from("."), Path::to_path_buf)
    });
    Ok(CalibrateFlowsOutcome {
        fit,
        toml,
        fund: cal,
        json,
        html,
        out: req.out.clone(),
        report_dir,
    })
}

/// Writes `files` (path, bytes) all or nothing: every temporary first, then the renames.
fn write_all(files: &[(PathBuf, Vec<u8>)]) -> Result<Vec<PathBuf>, EngineError> {
    let mut pending = Vec::new();
    for (path, bytes) in files {
        if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).context(|| format!("creating {}", dir.display()))?;
        }
        let mut f = AtomicFile::create(path).context(|| format!("writing {}", path.display()))?;
        f.writer()
            .write_all(bytes)
            .context(|| format!("writing {}", path.display()))?;
        pending.push((path.clone(), f));
    }
    let mut out = Vec::new();
    for (path, f) in pending {
        f.commit()
            .context(|| format!("writing {}", path.display()))?;
        out.push(path);
    }
    Ok(out)
}

impl CalibrateFlowsOutcome {
    /// Writes the calibrated fund file, `calibration.json` and `calibration.html`.
    pub fn write(&self) -> Result<Vec<PathBuf>, EngineError> {
        let json = serde_json::to_string_pretty(&self.json)
            .context(|| "serialising calibration.json".into())?;
        write_all(&[
            (self.out.clone(), self.toml.clone().into_bytes()),
            (self.report_dir.join(CALIBRATION_JSON), json.into_bytes()),
            (
                self.report_dir.join(CALIBRATION_HTML),
                self.html.clone().into_bytes(),
            ),
        ])
    }
}

/// What `undertow backtest` is asked.
#[derive(Clone, Debug)]
pub struct BacktestRequest {
    pub flows: PathBuf,
    pub market: Option<PathBuf>,
    pub fund: PathBuf,
    pub out_dir: PathBuf,
    pub draws: usize,
    pub seed: u64,
}

/// A backtest's results.
pub struct BacktestOutcome {
    pub report: BacktestReport,
    pub json: Value,
    pub html: String,
    pub out_dir: PathBuf,
}

/// Most Monte Carlo draws per start date.
pub const MAX_DRAWS: usize = 100_000;

/// Backtests the fund file's flow parameters on the history; nothing is written yet.
pub fn backtest(req: &BacktestRequest) -> Result<BacktestOutcome, EngineError> {
    if req.draws < 100 || req.draws > MAX_DRAWS {
        return Err(EngineError::BadInput(format!(
            "flag --draws: {}: must be between 100 and {MAX_DRAWS}",
            req.draws
        )));
    }
    let (fund, hist, g) = inputs(&req.fund, &req.flows, req.market.as_deref())?;
    if hist.len() < 60 {
        return Err(EngineError::BadInput(format!(
            "{}: {} dates: a backtest needs at least 60 (30 to fill the signals)",
            hist.file,
            hist.len()
        )));
    }
    let o = BacktestOptions {
        draws: req.draws,
        seed: req.seed,
        ..BacktestOptions::default()
    };
    let report = run_backtest(&hist, &fund.spec, g.as_deref(), &o);
    let json = json!({
        "schema_version": 1,
        "fund": fund.name,
        "fund_file": req.fund.display().to_string(),
        "market_file": req.market.as_ref().map(|m| m.display().to_string()),
        "backtest": report,
    });
    let html = page(&json)?;
    Ok(BacktestOutcome {
        report,
        json,
        html,
        out_dir: req.out_dir.clone(),
    })
}

impl BacktestOutcome {
    /// Writes `backtest.json` and `backtest.html`.
    pub fn write(&self) -> Result<Vec<PathBuf>, EngineError> {
        let json = serde_json::to_string_pretty(&self.json)
            .context(|| "serialising backtest.json".into())?;
        write_all(&[
            (self.out_dir.join(BACKTEST_JSON), json.into_bytes()),
            (
                self.out_dir.join(BACKTEST_HTML),
                self.html.clone().into_bytes(),
            ),
        ])
    }
}

//! `undertow.calibrate_flows` and `undertow.backtest`: the engine's flow calibration and
//! backtest (docs/calibration.md), as `undertow calibrate flows` and `undertow backtest` run
//! them; the results as dicts, the files written only when an output is named.

use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::PyDict;
use undertow_engine::calibrate::{self, BacktestRequest, CalibrateFlowsRequest};

use crate::errors::engine_error;
use crate::fund::PyFund;

fn json_to_py<'py>(py: Python<'py>, v: &serde_json::Value) -> PyResult<Bound<'py, PyAny>> {
    py.import("json")?.call_method1("loads", (v.to_string(),))
}

/// Fits the fund file's investors to a flow history (`flows`, CSV; `market`, the market file
/// whose stress composite conditions the fit). Returns a dict: `calibration` (what
/// `calibration.json` holds), `fund` (the calibrated `Fund`), `toml` (its fund file), `html`
/// (the report page). With `out` (the calibrated fund file's path) the three files are written
/// as the CLI writes them, all or nothing.
#[pyfunction]
#[pyo3(signature = (fund, flows, market = None, out = None))]
pub fn calibrate_flows<'py>(
    py: Python<'py>,
    fund: PathBuf,
    flows: PathBuf,
    market: Option<PathBuf>,
    out: Option<PathBuf>,
) -> PyResult<Bound<'py, PyDict>> {
    let req = CalibrateFlowsRequest {
        flows,
        market,
        fund,
        out: out
            .clone()
            .unwrap_or_else(|| PathBuf::from("calibrated.toml")),
        report_dir: None,
    };
    let outcome = py
        .detach(|| {
            let o = calibrate::calibrate_flows(&req)?;
            if out.is_some() {
                o.write()?;
            }
            Ok(o)
        })
        .map_err(|e| engine_error(py, e))?;
    let d = PyDict::new(py);
    d.set_item("calibration", json_to_py(py, &outcome.json)?)?;
    d.set_item("fund", PyFund { fund: outcome.fund })?;
    d.set_item("toml", outcome.toml)?;
    d.set_item("html", outcome.html)?;
    Ok(d)
}

/// Backtests the fund file's flow parameters on a flow history (`draws` Monte Carlo draws per
/// start date from `seed`). Returns a dict: `backtest` (what `backtest.json` holds) and `html`;
/// with `out_dir` both files are written there, all or nothing.
#[pyfunction]
#[pyo3(signature = (fund, flows, market = None, draws = 2000, seed = 1, out_dir = None))]
pub fn backtest<'py>(
    py: Python<'py>,
    fund: PathBuf,
    flows: PathBuf,
    market: Option<PathBuf>,
    draws: usize,
    seed: u64,
    out_dir: Option<PathBuf>,
) -> PyResult<Bound<'py, PyDict>> {
    let req = BacktestRequest {
        flows,
        market,
        fund,
        out_dir: out_dir.clone().unwrap_or_default(),
        draws,
        seed,
    };
    let outcome = py
        .detach(|| {
            let o = calibrate::backtest(&req)?;
            if out_dir.is_some() {
                o.write()?;
            }
            Ok(o)
        })
        .map_err(|e| engine_error(py, e))?;
    let d = PyDict::new(py);
    d.set_item("backtest", json_to_py(py, &outcome.json)?)?;
    d.set_item("html", outcome.html)?;
    Ok(d)
}

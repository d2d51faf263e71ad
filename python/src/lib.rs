//! `undertow._native`: the Python bindings over the engine. The `undertow` package
//! (`python/undertow/__init__.py`) re-exports it, adds the exception classes and the tqdm
//! progress bar. Everything a run computes comes from `undertow_engine`, exactly as the CLI runs
//! it: the same fund rules, the same request, the same records.
//!
//! - [`fund`]: `Fund` (load, from a dict, `to_toml`, `replace`), re-validated by the fund file's
//!   rules, errors as `undertow.FundError`.
//! - [`runs`]: `run` and `sweep`, the GIL released, Ctrl-C polled on the calling thread and
//!   handed to the engine's cancellation hook ([`undertow_engine::cancel`]).
//! - [`arrow`]: the records as a `pyarrow.Table` through the Arrow C data interface, no copy.
//! - [`calibrate`]: `calibrate_flows` and `backtest` (the flow history, docs/calibration.md).
//! - [`errors`]: engine and fund errors as the package's exception classes.

use pyo3::prelude::*;

mod arrow;
mod calibrate;
mod errors;
mod fund;
mod runs;

/// The native module, imported as `undertow._native`.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<fund::PyFund>()?;
    m.add_class::<runs::PyRunResult>()?;
    m.add_function(wrap_pyfunction!(fund::example_fund, m)?)?;
    m.add_function(wrap_pyfunction!(runs::run, m)?)?;
    m.add_function(wrap_pyfunction!(runs::sweep, m)?)?;
    m.add_function(wrap_pyfunction!(arrow::_export_probe, m)?)?;
    m.add_function(wrap_pyfunction!(calibrate::calibrate_flows, m)?)?;
    m.add_function(wrap_pyfunction!(calibrate::backtest, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}

//! Engine and fund errors as the package's exception classes (defined in Python, in
//! `undertow/_errors.py`, so that `FundError` can be both an `UndertowError` and a `ValueError`).

use pyo3::exceptions::{PyKeyboardInterrupt, PyRuntimeError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use undertow_engine::EngineError;
use undertow_host::fund::FundError;

/// An exception of class `name` from `undertow._errors` with `message`; a plain
/// `RuntimeError` if the package cannot be imported.
pub fn raise(py: Python<'_>, name: &str, message: String) -> PyErr {
    match new_exception(py, name, &message) {
        Ok(e) => e,
        Err(_) => PyRuntimeError::new_err(message),
    }
}

fn new_exception(py: Python<'_>, name: &str, message: &str) -> PyResult<PyErr> {
    let class = py.import("undertow._errors")?.getattr(name)?;
    Ok(PyErr::from_value(class.call1((message,))?))
}

/// A fund that the fund file's rules refuse: `undertow.FundError` with the message (file, field,
/// value, reason of every problem) and `issues`, a list of dicts with those keys; `field` and
/// `value` are the first problem's.
pub fn fund_error(py: Python<'_>, e: &FundError) -> PyErr {
    let message = e.to_string();
    let build = || -> PyResult<PyErr> {
        let class = py.import("undertow._errors")?.getattr("FundError")?;
        let exc = class.call1((message.clone(),))?;
        let issues = pyo3::types::PyList::empty(py);
        for i in e.issues() {
            let d = PyDict::new(py);
            d.set_item("file", &i.file)?;
            d.set_item("field", &i.field)?;
            d.set_item("value", &i.value)?;
            d.set_item("reason", &i.reason)?;
            issues.append(d)?;
        }
        if let Some(first) = e.issues().first() {
            exc.setattr("field", &first.field)?;
            exc.setattr("value", &first.value)?;
        }
        exc.setattr("issues", issues)?;
        Ok(PyErr::from_value(exc))
    };
    build().unwrap_or_else(|_| PyRuntimeError::new_err(message))
}

/// An engine error as an exception: bad input naming the backend (no GPU there) is a
/// `GpuError`, other bad input a `FundError` (the fund or an argument, named in the message), an
/// interruption `KeyboardInterrupt`, a GPU failure `GpuError`, anything else `UndertowError`.
/// The CLI's flag names (`flag --scenarios`) are given as the keyword argument (`scenarios`).
pub fn engine_error(py: Python<'_>, e: EngineError) -> PyErr {
    let text = chain(&e);
    match &e {
        EngineError::Interrupted => PyKeyboardInterrupt::new_err(text),
        EngineError::BadInput(m) if m.starts_with("flag --backend") => {
            raise(py, "GpuError", argument_names(m))
        }
        EngineError::BadInput(m) => raise(py, "FundError", argument_names(m)),
        EngineError::Failed { .. } if mentions_gpu(&text) => raise(py, "GpuError", text),
        EngineError::Failed { .. } => raise(py, "UndertowError", text),
    }
}

/// "what was being done: why: why", as the CLI prints it.
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

fn mentions_gpu(text: &str) -> bool {
    let t = text.to_ascii_lowercase();
    t.contains("gpu") || t.contains("adapter") || t.contains("wgpu")
}

/// "flag --buffer-horizon: 90 ..." as "argument buffer_horizon: 90 ...".
fn argument_names(message: &str) -> String {
    match message.strip_prefix("flag --") {
        Some(rest) => {
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                .unwrap_or(rest.len());
            format!("argument {}{}", rest[..end].replace('-', "_"), &rest[end..])
        }
        None => message.to_string(),
    }
}

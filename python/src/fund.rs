//! `undertow.Fund`: a fund file in memory, validated by the same rules and messages as the CLI.

use std::path::{Path, PathBuf};

use pyo3::prelude::*;
use pyo3::types::PyDict;
use undertow_host::fund::{fund_to_toml, load_fund, parse_fund, Fund};

use crate::errors::{fund_error, raise};

/// A validated fund. Build one with `Fund.from_toml(path)`, `Fund.from_dict(d)` or
/// `undertow.example_fund()`; derive what-if variants with `fund.replace(...)`.
#[pyclass(name = "Fund", module = "undertow", frozen)]
#[derive(Clone)]
pub struct PyFund {
    pub fund: Fund,
}

/// The `[fund]` keys that `replace` sets directly.
const FUND_KEYS: &[&str] = &[
    "name",
    "currency",
    "aum",
    "dealing",
    "redemption_settlement_days",
    "notice_days",
    "expected_return",
    "horizon_days",
    "cash",
];

/// Top-level arrays that `replace` swaps whole.
const ARRAYS: &[&str] = &["classes", "positions", "segments", "large_investors"];

/// Sections that `replace` merges key by key.
const SECTIONS: &[&str] = &[
    "policy",
    "funding",
    "liquidation",
    "model",
    "indicators",
    "scenarios",
];

/// A Python value as TOML, through its JSON text (`None` is refused by TOML: an error naming
/// `what`).
fn to_toml_value(py: Python<'_>, value: &Bound<'_, PyAny>, what: &str) -> PyResult<toml::Value> {
    let text: String = py
        .import("json")?
        .call_method1("dumps", (value,))?
        .extract()?;
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| raise(py, "FundError", format!("{what}: {e}")))?;
    toml::Value::try_from(json).map_err(|e| {
        raise(
            py,
            "FundError",
            format!("{what} = {text}: not representable in a fund file ({e})"),
        )
    })
}

/// Parses and validates fund-file text named `source`.
fn parse(py: Python<'_>, text: &str, source: &str, base: &Path) -> PyResult<PyFund> {
    parse_fund(text, source, base)
        .map(|fund| PyFund { fund })
        .map_err(|e| fund_error(py, &e))
}

fn table_text(py: Python<'_>, table: &toml::Table, what: &str) -> PyResult<String> {
    toml::to_string(table).map_err(|e| raise(py, "FundError", format!("{what}: {e}")))
}

#[pymethods]
impl PyFund {
    /// Reads and validates a fund file (a `positions_csv` it names is read relative to it).
    /// Raises `FundError` naming the file, field and value of every problem.
    #[staticmethod]
    fn from_toml(py: Python<'_>, path: PathBuf) -> PyResult<PyFund> {
        load_fund(&path)
            .map(|fund| PyFund { fund })
            .map_err(|e| fund_error(py, &e))
    }

    /// Builds a fund from a dict shaped like the fund file (`{"fund": {...}, "positions":
    /// [...], ...}`), validated by the same rules. Raises `FundError`.
    #[staticmethod]
    fn from_dict(py: Python<'_>, d: &Bound<'_, PyDict>) -> PyResult<PyFund> {
        let value = to_toml_value(py, d.as_any(), "fund dict")?;
        let Some(table) = value.as_table() else {
            return Err(raise(py, "FundError", "fund dict: not a table".into()));
        };
        let text = table_text(py, table, "fund dict")?;
        parse(py, &text, "<dict>", Path::new(""))
    }

    /// The fund as a fully explicit, commented fund file (`undertow run --fund` reads it to the
    /// same model).
    fn to_toml(&self) -> String {
        fund_to_toml(&self.fund)
    }

    /// A copy with fields replaced, validated again by the fund file's rules. Keys of `[fund]`
    /// (`cash`, `horizon_days`, `aum`, ...) are set; `positions`, `segments`, `classes` and
    /// `large_investors` (lists of dicts) replace the whole list; `policy`, `liquidation`,
    /// `model`, `funding`, `indicators` and `scenarios` (dicts) are merged key by key. A cash
    /// change with `rebalance=True` (the default) and no new `positions` scales every position's
    /// weight pro rata so that weights plus cash still sum to 1. Raises `FundError`.
    #[pyo3(signature = (rebalance = true, **fields))]
    fn replace(
        &self,
        py: Python<'_>,
        rebalance: bool,
        fields: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<PyFund> {
        let text = fund_to_toml(&self.fund);
        let mut table: toml::Table = toml::from_str(&text)
            .map_err(|e| raise(py, "UndertowError", format!("re-reading the fund: {e}")))?;
        let mut names = Vec::new();
        let mut new_cash = None;
        let mut new_positions = false;
        if let Some(fields) = fields {
            for (k, v) in fields.iter() {
                let key: String = k.extract()?;
                let what = format!("replace({key}=...)");
                let value = to_toml_value(py, &v, &what)?;
                names.push(key.clone());
                if FUND_KEYS.contains(&key.as_str()) {
                    if key == "cash" {
                        new_cash = value.as_float().or(value.as_integer().map(|i| i as f64));
                    }
                    if let Some(toml::Value::Table(f)) = table.get_mut("fund") {
                        f.insert(key, value);
                    }
                } else if ARRAYS.contains(&key.as_str()) {
                    if !value.is_array() {
                        return Err(raise(
                            py,
                            "FundError",
                            format!("{what}: {key} must be a list of dicts"),
                        ));
                    }
                    new_positions |= key == "positions";
                    if key == "positions" {
                        table.remove("positions_csv");
                    }
                    table.insert(key, value);
                } else if SECTIONS.contains(&key.as_str()) {
                    let toml::Value::Table(edits) = value else {
                        return Err(raise(
                            py,
                            "FundError",
                            format!("{what}: {key} must be a dict"),
                        ));
                    };
                    let section = table
                        .entry(key.clone())
                        .or_insert_with(|| toml::Value::Table(toml::Table::new()));
                    merge(section, edits);
                } else {
                    let mut known: Vec<&str> = FUND_KEYS.to_vec();
                    known.extend(ARRAYS);
                    known.extend(SECTIONS);
                    return Err(raise(
                        py,
                        "FundError",
                        format!(
                            "replace: unknown field `{key}` (expected one of {})",
                            known.join(", ")
                        ),
                    ));
                }
            }
        }
        if let (Some(cash), true, false) = (new_cash, rebalance, new_positions) {
            rescale_weights(&mut table, cash);
        }
        let source = format!("{}.replace({})", self.fund.name, names.join(", "));
        let text = table_text(py, &table, &source)?;
        parse(py, &text, &source, Path::new(""))
    }

    /// The fund's name.
    #[getter]
    fn name(&self) -> String {
        self.fund.name.clone()
    }

    /// Cash at day 0, fraction of NAV.
    #[getter]
    fn cash(&self) -> f64 {
        self.fund.spec.fund.cash
    }

    /// Simulated days.
    #[getter]
    fn horizon_days(&self) -> u32 {
        self.fund.spec.fund.horizon_days
    }

    /// Assets under management, in the fund's currency.
    #[getter]
    fn aum(&self) -> f64 {
        self.fund.spec.fund.aum
    }

    /// Where the fund came from (a path, `<dict>`, or the replace that made it).
    #[getter]
    fn source(&self) -> String {
        self.fund.source.clone()
    }

    fn __repr__(&self) -> String {
        format!(
            "Fund({:?}, cash={}, horizon_days={}, positions={})",
            self.fund.name,
            self.fund.spec.fund.cash,
            self.fund.spec.fund.horizon_days,
            self.fund.spec.positions.len()
        )
    }
}

/// Merges `edits` into the TOML table `into`, key by key (nested tables recursively).
fn merge(into: &mut toml::Value, edits: toml::Table) {
    let toml::Value::Table(t) = into else {
        *into = toml::Value::Table(edits);
        return;
    };
    for (k, v) in edits {
        match (t.get_mut(&k), v) {
            (Some(existing @ toml::Value::Table(_)), toml::Value::Table(sub)) => {
                merge(existing, sub)
            }
            (_, v) => {
                t.insert(k, v);
            }
        }
    }
}

/// Scales the positions' weights so that they sum to `1 - cash` (pro rata to their weights);
/// left alone when they sum to nothing or `cash` is outside [0, 1) (validation then names it).
fn rescale_weights(table: &mut toml::Table, cash: f64) {
    let Some(toml::Value::Array(positions)) = table.get_mut("positions") else {
        return;
    };
    let weight = |p: &toml::Value| p.get("weight").and_then(|w| w.as_float()).unwrap_or(0.0);
    let sum: f64 = positions.iter().map(weight).sum();
    if sum <= 0.0 || !(0.0..1.0).contains(&cash) {
        return;
    }
    let k = (1.0 - cash) / sum;
    for p in positions.iter_mut() {
        let w = weight(p);
        if let Some(t) = p.as_table_mut() {
            t.insert("weight".into(), toml::Value::Float(w * k));
        }
    }
}

/// The built-in example fund (what `undertow run` simulates without `--fund`).
#[pyfunction]
pub fn example_fund() -> PyFund {
    PyFund {
        fund: undertow_host::fund::example_fund(),
    }
}

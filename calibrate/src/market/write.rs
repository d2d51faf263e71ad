//! Writes a market calibration into the user's fund file with `toml_edit`, keeping everything
//! else as written: each calibrated field gets its estimate, standard error and sample as a
//! comment beside it. The result is checked with the fund file's rules before it is returned.

use std::path::Path;

use toml_edit::{Array, DocumentMut, Item, Table, Value};

use super::fit::{Estimate, MarketFit};
use crate::error::CalibrateError;

/// `x` rounded to `digits` significant digits (the standard errors are far wider).
pub(crate) fn significant(x: f64, digits: i32) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let scale = 10f64.powi(digits - 1 - x.abs().log10().floor() as i32);
    (x * scale).round() / scale
}

fn set(table: &mut Table, key: &str, v: Value, comment: &str) {
    let mut v = v;
    v.decor_mut().set_suffix(format!("  # {comment}"));
    table[key] = Item::Value(v);
}

fn provenance(e: &Estimate, what: &str, file: &str) -> String {
    format!(
        "calibrated from {file}: {what}; se {}, n = {}",
        significant(e.se, 3),
        e.n
    )
}

/// The fund file `text` (from `source`, positions CSV read relative to `base_dir`) with the
/// positions' `adv`, `spread_bps` and `vol_annual` and the `[scenarios.market]` ranges set from
/// `fit`, each with its provenance; validated with the fund file's rules.
pub fn apply_market_fit(
    text: &str,
    source: &str,
    base_dir: &Path,
    fit: &MarketFit,
) -> Result<String, CalibrateError> {
    let mut doc: DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
        CalibrateError::file(source, format!("not a TOML file: {}", e.message()))
    })?;
    let file = Path::new(&fit.file)
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_else(|| fit.file.clone());
    let calm = format!("{} calm days", fit.calm_days);
    let Some(positions) = doc
        .get_mut("positions")
        .and_then(|p| p.as_array_of_tables_mut())
    else {
        return Err(CalibrateError::file(
            source,
            "no [[positions]] tables (positions from a positions_csv file are not rewritten): \
             write the positions into the fund file to calibrate them",
        ));
    };
    for table in positions.iter_mut() {
        let Some(id) = table.get("id").and_then(|i| i.as_str()).map(str::to_string) else {
            continue;
        };
        let Some(p) = fit.positions.iter().find(|p| p.id == id) else {
            continue;
        };
        set(
            table,
            "adv",
            Value::from(significant(p.adv.value, 4)),
            &provenance(&p.adv, &format!("mean close x volume over {calm}"), &file),
        );
        set(
            table,
            "spread_bps",
            Value::from(significant(p.spread_bps.value, 3)),
            &provenance(&p.spread_bps, "median (ask - bid) / mid, bp", &file),
        );
        set(
            table,
            "vol_annual",
            Value::from(significant(p.vol_annual.value, 3)),
            &provenance(&p.vol_annual, "sd of log returns x sqrt(252)", &file),
        );
    }
    if !fit.ranges.is_empty() {
        let scenarios = doc
            .entry("scenarios")
            .or_insert_with(|| {
                let mut t = Table::new();
                t.set_implicit(true);
                Item::Table(t)
            })
            .as_table_mut()
            .ok_or_else(|| CalibrateError::file(source, "`scenarios` is not a table"))?;
        let market = scenarios
            .entry("market")
            .or_insert_with(|| Item::Table(Table::new()))
            .as_table_mut()
            .ok_or_else(|| CalibrateError::file(source, "`scenarios.market` is not a table"))?;
        let windows: Vec<&str> = fit.windows.iter().map(|w| w.name.as_str()).collect();
        for r in &fit.ranges {
            let mut a = Array::new();
            a.push(significant(r.lo, 3));
            a.push(significant(r.hi, 3));
            let comment = format!(
                "calibrated from {file}, windows {}: min {} (se {}), max {} (se {}) of {} estimates",
                windows.join(", "),
                r.lo_from,
                significant(r.lo_se, 3),
                r.hi_from,
                significant(r.hi_se, 3),
                r.n
            );
            set(market, &r.field, Value::Array(a), &comment);
        }
    }
    let out = doc.to_string();
    undertow_host::fund::parse_fund(&out, source, base_dir)?;
    Ok(out)
}

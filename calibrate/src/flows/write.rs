//! The calibrated fund file: the user's fund file with the fitted values written in place
//! (`toml_edit` keeps every other line, comment and layout), each fitted field followed by a comment
//! giving its estimate, standard error, method and sample. The result is checked with the fund
//! file's rules before anyone writes it.

use std::path::Path;

use toml_edit::{DocumentMut, Item, Value};
use undertow_host::fund::{parse_fund, Fund};

use super::fit::{Estimate, FlowFit};
use crate::error::CalibrateError;

/// Six significant digits: what the comment shows and the file keeps.
fn sig6(v: f64) -> f64 {
    if v == 0.0 || !v.is_finite() {
        return v;
    }
    format!("{v:.5e}").parse().unwrap_or(v)
}

fn set(
    table: &mut toml_edit::Table,
    e: &Estimate,
    sample: &str,
    source: &str,
    at: &str,
) -> Result<(), CalibrateError> {
    if !e.is_fitted() {
        return Ok(());
    }
    let mut v = Value::from(sig6(e.value));
    let se = e.se.map_or("n/a".to_string(), |s| format!("{s:.3e}"));
    let bound = if e.estimate != e.value {
        format!(" (estimate {:.4e}, written at the bound)", e.estimate)
    } else {
        String::new()
    };
    v.decor_mut().set_prefix(" ");
    v.decor_mut().set_suffix(format!(
        "  # fitted: {:.4e}{bound}, SE {se}, {}, n = {}, {sample}",
        e.value, e.method, e.n
    ));
    if table.get(&e.field).is_some_and(|i| !i.is_value()) {
        return Err(CalibrateError::file(
            source,
            format!("{at}.{} is not a value", e.field),
        ));
    }
    table.insert(&e.field, Item::Value(v));
    Ok(())
}

fn find<'a>(
    doc: &'a mut DocumentMut,
    key: &str,
    name: &str,
    source: &str,
) -> Result<&'a mut toml_edit::Table, CalibrateError> {
    let arr = doc
        .get_mut(key)
        .and_then(|i| i.as_array_of_tables_mut())
        .ok_or_else(|| {
            CalibrateError::file(
                source,
                format!("no [[{key}]] tables (the calibration writes into [[{key}]] entries)"),
            )
        })?;
    arr.iter_mut()
        .find(|t| t.get("name").and_then(|n| n.as_str()) == Some(name))
        .ok_or_else(|| CalibrateError::file(source, format!("no [[{key}]] named {name:?}")))
}

/// The fund-file text with `fit`'s values; `source` names the fund file in errors, `base_dir` is
/// where its `positions_csv` lies. Returns the text and the fund it reads as (checked).
pub fn calibrated_toml(
    fund_text: &str,
    source: &str,
    base_dir: &Path,
    fit: &FlowFit,
) -> Result<(String, Fund), CalibrateError> {
    let mut doc: DocumentMut = fund_text
        .parse()
        .map_err(|e| CalibrateError::file(source, format!("not TOML: {e}")))?;
    let sample = format!("{}..{}", fit.first_date, fit.last_date);
    for s in &fit.segments {
        let t = find(&mut doc, "segments", &s.name, source)?;
        for e in &s.estimates {
            set(t, e, &sample, source, &format!("segments {:?}", s.name))?;
        }
    }
    for l in &fit.large.holders {
        let t = find(&mut doc, "large_investors", &l.name, source)?;
        for e in &l.estimates {
            set(
                t,
                e,
                &sample,
                source,
                &format!("large_investors {:?}", l.name),
            )?;
        }
    }
    let text = format!(
        "# Investor flow parameters calibrated by `undertow calibrate flows` from {} ({}..{}, {} days;\n# market stress composite: {}). Each fitted value carries its estimate, standard error and sample;\n# the fit report is calibration.json / calibration.html (docs/calibration.md).\n{}",
        fit.flows_file,
        fit.first_date,
        fit.last_date,
        fit.n_days,
        if fit.market { "from the market file" } else { "none (stress terms kept)" },
        doc
    );
    let fund = parse_fund(&text, source, base_dir)?;
    Ok((text, fund))
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flows::fit::{fit_flows, FitOptions};
    use crate::flows::synth::{business_days, synthesize, synthetic_stress_path, SynthOptions};
    use chrono::NaiveDate;
    use undertow_host::fund::{example_fund_toml, example_spec};

    fn fit() -> FlowFit {
        let fund = example_spec();
        let d = business_days(
            NaiveDate::from_ymd_opt(2019, 1, 2).unwrap(),
            NaiveDate::from_ymd_opt(2020, 6, 30).unwrap(),
        );
        let g = synthetic_stress_path(&d, 2);
        let h = synthesize(&fund, &d, &g, &SynthOptions::new(8));
        fit_flows(&h, &fund, Some(&g), &FitOptions::default()).unwrap()
    }

    #[test]
    fn fitted_values_are_written_with_their_comment_and_the_rest_is_kept() {
        let f = fit();
        let text = example_fund_toml();
        let (out, fund) = calibrated_toml(&text, "fund.toml", Path::new(""), &f).unwrap();
        let retail = &f.segments[0];
        let b = retail.get("base_rate").unwrap();
        assert!((fund.spec.segments[0].base_rate - sig6(b.value)).abs() < 1e-15);
        assert!(out.contains(&format!("# fitted: {:.4e}", b.value)));
        // Kept values and the user's comments stay.
        assert_eq!(
            fund.spec.segments[0].beta_liq,
            example_spec().segments[0].beta_liq
        );
        assert!(out.contains("Quantum Multi-Strategy Fund: Undertow's built-in example"));
        assert_eq!(fund.spec.positions, example_spec().positions);
    }

    #[test]
    fn a_fund_file_without_the_fitted_segment_is_refused_by_name() {
        let f = fit();
        let text = example_fund_toml().replace("name = \"retail\"", "name = \"retail2\"");
        let e = calibrated_toml(&text, "fund.toml", Path::new(""), &f).unwrap_err();
        assert_eq!(e.to_string(), "fund.toml: no [[segments]] named \"retail\"");
    }

    #[test]
    fn a_fit_that_breaks_the_fund_files_rules_is_refused() {
        let mut f = fit();
        // A corrupted fit: a base rate above 1 a day fails the fund file's check, and nothing
        // comes back to write.
        f.segments[0].estimates[0].value = 2.0;
        let e = calibrated_toml(&example_fund_toml(), "fund.toml", Path::new(""), &f).unwrap_err();
        assert!(matches!(e, CalibrateError::Fund(_)), "{e}");
        assert!(e.to_string().contains("base_rate"), "{e}");
    }
}

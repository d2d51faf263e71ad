//! The last guard before anything is written: every number of every output must be finite.
//!
//! Validation keeps the model inside the domain where it computes (`docs/fund-file.md` lists the
//! bounds); this guard is what makes a gap in that domain a failure rather than a silent `NaN`
//! in `scenarios.csv` or a `null` in `summary.json`. A non-finite number is a runtime failure
//! (exit 1) that names the scenario, the field and the scenario's inputs, and nothing is written.

use std::fmt;

use serde::ser::{self, Serialize};
use undertow_host::aggregate::Aggregate;
use undertow_host::fund::Fund;
use undertow_host::output::Headline;
use undertow_host::run::scenario_block;
use undertow_kernel::{output_field_names, ScenarioOutput};

use crate::error::EngineError;
use crate::summary::Summary;

/// The first non-finite number found.
#[derive(Debug, Clone, PartialEq)]
pub struct NonFinite {
    /// Where: `scenarios.csv: scenario 12, nav_end (family market_wide, ...)` or
    /// `summary.json: analysis.portfolio_liquidity.lar[2]`.
    pub at: String,
    pub value: f64,
}

impl fmt::Display for NonFinite {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} = {}: the model gave a non-finite number; nothing was written",
            self.at, self.value
        )
    }
}

impl std::error::Error for NonFinite {}

/// Checks every field of every scenario's record and every number of the summary. On the first
/// non-finite number: [`EngineError::Failed`] naming it.
pub fn check_outcome(
    fund: &Fund,
    seed: u64,
    outputs: &[ScenarioOutput],
    summary: &Summary,
) -> Result<(), EngineError> {
    if let Some(bad) = check_outputs(fund, seed, outputs) {
        return Err(EngineError::failed("checking the outputs", bad));
    }
    if let Some(bad) = check_summary(summary) {
        return Err(EngineError::failed(
            "checking the outputs",
            NonFinite {
                at: format!("summary.json: {}", bad.at),
                value: bad.value,
            },
        ));
    }
    Ok(())
}

/// The summary's numbers computed from the scenarios' records: the headline, the aggregate (over
/// fields with at least one defined value) and the fan charts must be finite. The analysis
/// sections are not checked here: there a non-finite number is a designed "n/a" (written `null`:
/// a sale that never completes takes `inf` days, a threshold never reached is `NaN`), and their
/// inputs are the records checked above.
pub fn check_summary(summary: &Summary) -> Option<NonFinite> {
    let prefixed = |prefix: &str, bad: NonFinite| NonFinite {
        at: format!("{prefix}.{}", bad.at),
        value: bad.value,
    };
    if let Some(bad) = check_stats("", &summary.headline, &summary.aggregate) {
        return Some(bad);
    }
    if let Some(u) = &summary.unconditional {
        if let Some(bad) = check_stats("unconditional.", &u.headline, &u.aggregate) {
            return Some(bad);
        }
        if let Some(bad) = check_value(&u.family_shares) {
            return Some(prefixed("unconditional.family_shares", bad));
        }
    }
    check_value(&summary.fan_charts).map(|bad| prefixed("fan_charts", bad))
}

/// The first non-finite number of a set's headline and aggregate (over fields with at least one
/// defined value), its path starting with `prefix`.
fn check_stats(prefix: &str, headline: &Headline, aggregate: &Aggregate) -> Option<NonFinite> {
    let prefixed = |at: &str, bad: NonFinite| NonFinite {
        at: format!("{prefix}{at}.{}", bad.at),
        value: bad.value,
    };
    if let Some(bad) = check_value(headline) {
        return Some(prefixed("headline", bad));
    }
    let mut scalars = aggregate.clone();
    scalars.fields.clear();
    if let Some(bad) = check_value(&scalars) {
        return Some(prefixed("aggregate", bad));
    }
    for (i, f) in aggregate.fields.iter().enumerate() {
        if f.count > 0 {
            if let Some(bad) = check_value(f) {
                return Some(prefixed(
                    &format!("aggregate.fields[{i}] ({})", f.field),
                    bad,
                ));
            }
        }
    }
    None
}

/// [`check_outputs`] for the unconditional mixture's records (`fund` with its scenario
/// configuration already the mixture): a failure names `scenarios_unconditional.csv`.
pub fn check_set_outputs(
    fund: &Fund,
    seed: u64,
    outputs: &[ScenarioOutput],
) -> Result<(), EngineError> {
    match check_outputs(fund, seed, outputs) {
        None => Ok(()),
        Some(bad) => Err(EngineError::failed(
            "checking the outputs",
            NonFinite {
                at: bad.at.replacen(
                    "scenarios.csv",
                    crate::output::SCENARIOS_UNCONDITIONAL_CSV,
                    1,
                ),
                value: bad.value,
            },
        )),
    }
}

/// The first non-finite field of the scenarios' records, with the scenario's inputs.
pub fn check_outputs(fund: &Fund, seed: u64, outputs: &[ScenarioOutput]) -> Option<NonFinite> {
    let names = output_field_names();
    for (i, out) in outputs.iter().enumerate() {
        let words: &[f32] = bytemuck_words(out);
        if let Some(k) = words.iter().position(|w| !w.is_finite()) {
            let i = i as u64;
            let inputs = scenario_block(fund, seed, i..i + 1)
                .first()
                .map(|p| {
                    format!(
                        " (family {}, market severity {}, redemption severity {})",
                        undertow_host::scenarios::family::name(p.family),
                        p.market_severity,
                        p.redemption_severity
                    )
                })
                .unwrap_or_default();
            let field = names.get(k).map(String::as_str).unwrap_or("?");
            return Some(NonFinite {
                at: format!("scenarios.csv: scenario {i}, {field}{inputs}"),
                value: words[k] as f64,
            });
        }
    }
    None
}

/// A record as its words (every field is an `f32`; the record is `Pod`).
fn bytemuck_words(out: &ScenarioOutput) -> &[f32] {
    bytemuck::cast_slice(std::slice::from_ref(out))
}

/// The first non-finite float in anything serialisable, with its path (`a.b[3].c`).
pub fn check_value<T: Serialize + ?Sized>(value: &T) -> Option<NonFinite> {
    walk(value, false)
}

/// The first infinity in anything serialisable (`NaN` passes: it is written `null`).
pub fn check_infinite<T: Serialize + ?Sized>(value: &T) -> Option<NonFinite> {
    walk(value, true)
}

fn walk<T: Serialize + ?Sized>(value: &T, nan_ok: bool) -> Option<NonFinite> {
    let mut walker = Walker {
        path: Vec::new(),
        found: None,
        nan_ok,
    };
    let _ = value.serialize(&mut walker);
    walker.found
}

struct Walker {
    path: Vec<String>,
    found: Option<NonFinite>,
    nan_ok: bool,
}

impl Walker {
    fn float(&mut self, v: f64) {
        if self.found.is_none() && !v.is_finite() && !(self.nan_ok && v.is_nan()) {
            let mut at = String::new();
            for p in &self.path {
                if !p.starts_with('[') && !at.is_empty() {
                    at.push('.');
                }
                at.push_str(p);
            }
            self.found = Some(NonFinite { at, value: v });
        }
    }
}

/// Never fails: the walk only records.
#[derive(Debug)]
struct Never;

impl fmt::Display for Never {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("walk")
    }
}

impl std::error::Error for Never {}

impl ser::Error for Never {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Never
    }
}

type R = Result<(), Never>;

impl<'a> ser::Serializer for &'a mut Walker {
    type Ok = ();
    type Error = Never;
    type SerializeSeq = Seq<'a>;
    type SerializeTuple = Seq<'a>;
    type SerializeTupleStruct = Seq<'a>;
    type SerializeTupleVariant = Seq<'a>;
    type SerializeMap = Map<'a>;
    type SerializeStruct = &'a mut Walker;
    type SerializeStructVariant = &'a mut Walker;

    fn serialize_bool(self, _: bool) -> R {
        Ok(())
    }
    fn serialize_i8(self, _: i8) -> R {
        Ok(())
    }
    fn serialize_i16(self, _: i16) -> R {
        Ok(())
    }
    fn serialize_i32(self, _: i32) -> R {
        Ok(())
    }
    fn serialize_i64(self, _: i64) -> R {
        Ok(())
    }
    fn serialize_u8(self, _: u8) -> R {
        Ok(())
    }
    fn serialize_u16(self, _: u16) -> R {
        Ok(())
    }
    fn serialize_u32(self, _: u32) -> R {
        Ok(())
    }
    fn serialize_u64(self, _: u64) -> R {
        Ok(())
    }
    fn serialize_f32(self, v: f32) -> R {
        self.float(v as f64);
        Ok(())
    }
    fn serialize_f64(self, v: f64) -> R {
        self.float(v);
        Ok(())
    }
    fn serialize_char(self, _: char) -> R {
        Ok(())
    }
    fn serialize_str(self, _: &str) -> R {
        Ok(())
    }
    fn serialize_bytes(self, _: &[u8]) -> R {
        Ok(())
    }
    fn serialize_none(self) -> R {
        Ok(())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> R {
        v.serialize(self)
    }
    fn serialize_unit(self) -> R {
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> R {
        Ok(())
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, _: &'static str) -> R {
        Ok(())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(self, _: &'static str, v: &T) -> R {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        v: &T,
    ) -> R {
        self.path.push(variant.to_string());
        v.serialize(&mut *self)?;
        self.path.pop();
        Ok(())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Seq<'a>, Never> {
        Ok(Seq { w: self, i: 0 })
    }
    fn serialize_tuple(self, _: usize) -> Result<Seq<'a>, Never> {
        Ok(Seq { w: self, i: 0 })
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Seq<'a>, Never> {
        Ok(Seq { w: self, i: 0 })
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Seq<'a>, Never> {
        Ok(Seq { w: self, i: 0 })
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Map<'a>, Never> {
        Ok(Map {
            w: self,
            key: String::new(),
        })
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<&'a mut Walker, Never> {
        Ok(self)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<&'a mut Walker, Never> {
        Ok(self)
    }
}

struct Seq<'a> {
    w: &'a mut Walker,
    i: usize,
}

impl Seq<'_> {
    fn item<T: Serialize + ?Sized>(&mut self, v: &T) -> R {
        self.w.path.push(format!("[{}]", self.i));
        self.i += 1;
        v.serialize(&mut *self.w)?;
        self.w.path.pop();
        Ok(())
    }
}

impl ser::SerializeSeq for Seq<'_> {
    type Ok = ();
    type Error = Never;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> R {
        self.item(v)
    }
    fn end(self) -> R {
        Ok(())
    }
}

impl ser::SerializeTuple for Seq<'_> {
    type Ok = ();
    type Error = Never;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, v: &T) -> R {
        self.item(v)
    }
    fn end(self) -> R {
        Ok(())
    }
}

impl ser::SerializeTupleStruct for Seq<'_> {
    type Ok = ();
    type Error = Never;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> R {
        self.item(v)
    }
    fn end(self) -> R {
        Ok(())
    }
}

impl ser::SerializeTupleVariant for Seq<'_> {
    type Ok = ();
    type Error = Never;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, v: &T) -> R {
        self.item(v)
    }
    fn end(self) -> R {
        Ok(())
    }
}

struct Map<'a> {
    w: &'a mut Walker,
    key: String,
}

impl ser::SerializeMap for Map<'_> {
    type Ok = ();
    type Error = Never;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, k: &T) -> R {
        self.key = serde_json::to_value(k)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string).or(Some(v.to_string())))
            .unwrap_or_default();
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, v: &T) -> R {
        self.w.path.push(std::mem::take(&mut self.key));
        v.serialize(&mut *self.w)?;
        self.w.path.pop();
        Ok(())
    }
    fn end(self) -> R {
        Ok(())
    }
}

fn field<T: Serialize + ?Sized>(w: &mut Walker, key: &'static str, v: &T) -> R {
    w.path.push(key.to_string());
    v.serialize(&mut *w)?;
    w.path.pop();
    Ok(())
}

impl ser::SerializeStruct for &mut Walker {
    type Ok = ();
    type Error = Never;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, v: &T) -> R {
        field(self, key, v)
    }
    fn end(self) -> R {
        Ok(())
    }
}

impl ser::SerializeStructVariant for &mut Walker {
    type Ok = ();
    type Error = Never;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, key: &'static str, v: &T) -> R {
        field(self, key, v)
    }
    fn end(self) -> R {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Serialize)]
    struct Inner {
        xs: Vec<f64>,
        maybe: Option<f32>,
    }

    #[derive(serde::Serialize)]
    struct Outer {
        name: &'static str,
        inner: Inner,
    }

    #[test]
    fn the_walk_names_the_path_of_the_first_non_finite_number() {
        let ok = Outer {
            name: "a",
            inner: Inner {
                xs: vec![1.0, 2.0],
                maybe: None,
            },
        };
        assert_eq!(check_value(&ok), None);
        let bad = Outer {
            name: "a",
            inner: Inner {
                xs: vec![1.0, f64::NAN, f64::INFINITY],
                maybe: Some(1.0),
            },
        };
        let found = check_value(&bad).unwrap();
        assert_eq!(found.at, "inner.xs[1]");
        assert!(found.value.is_nan());
        let inf = Outer {
            name: "a",
            inner: Inner {
                xs: vec![],
                maybe: Some(f32::NEG_INFINITY),
            },
        };
        assert_eq!(check_value(&inf).unwrap().at, "inner.maybe");
        assert_eq!(check_infinite(&bad).unwrap().at, "inner.xs[2]");
        assert_eq!(check_infinite(&inf).unwrap().at, "inner.maybe");
    }
}

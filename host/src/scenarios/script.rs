//! Scripted scenarios: deterministic scenarios written by hand in a TOML file, naming their market
//! shocks per class and/or a redemption schedule ("investor X redeems 10% on day 3"). They carry
//! `sflag::SCRIPTED`, which tells the kernel to run them without noise.
//!
//! Every error names the file, the field (as a path such as `script[1].redemptions[0].investor`,
//! indices counted from 0 in file order) and the value that is wrong.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use undertow_kernel::{sflag, ScenarioParams, MAX_CLASSES, MAX_SCRIPT_EVENTS};

use super::family;
use super::generate::{neutral_params, set_class, ClassShock};
use super::regime;
use super::shape::FundShape;
use crate::fund::error::{clip, MAX_QUOTED_CHARS};
use crate::fund::TomlError;

/// A scripted scenario and its name (for reports).
#[derive(Clone, Debug, PartialEq)]
pub struct ScriptedScenario {
    pub name: String,
    pub params: ScenarioParams,
}

/// What can be wrong with a script file.
#[derive(Debug, thiserror::Error)]
pub enum ScriptError {
    #[error("cannot read scenario script file {file}: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    /// Not TOML, a field of the wrong type, or a field the format does not have: the file, line
    /// and column, the key path and the parser's message, quoting at most a readable part of the
    /// line.
    #[error("{0}")]
    Parse(Box<TomlError>),
    #[error("{file}: no scenarios: the file needs at least one [[script]] table")]
    Empty { file: String },
    /// A class, segment or large investor the fund does not have.
    #[error(
        "{file}: {} = {:?}: the fund has no {what} of that name (it has: {known})",
        clip(field, MAX_QUOTED_CHARS),
        clip(value, MAX_QUOTED_CHARS)
    )]
    UnknownName {
        file: String,
        field: String,
        what: &'static str,
        value: String,
        known: String,
    },
    #[error(
        "{file}: {} = {value}: beyond the horizon (days 0 to {last})",
        clip(field, MAX_QUOTED_CHARS)
    )]
    DayBeyondHorizon {
        file: String,
        field: String,
        value: i64,
        last: u32,
    },
    #[error(
        "{file}: {}: {count} redemption events, at most {max} per scenario",
        clip(field, MAX_QUOTED_CHARS)
    )]
    TooManyEvents {
        file: String,
        field: String,
        count: usize,
        max: usize,
    },
    #[error(
        "{file}: {} = {}: {expected}",
        clip(field, MAX_QUOTED_CHARS),
        clip(value, MAX_QUOTED_CHARS)
    )]
    OutOfRange {
        file: String,
        field: String,
        value: String,
        expected: String,
    },
    #[error(
        "{file}: {}: give exactly one of `investor` or `segment`",
        clip(field, MAX_QUOTED_CHARS)
    )]
    Holder { file: String, field: String },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScriptFile {
    #[serde(default)]
    script: Vec<RawScript>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScript {
    name: Option<String>,
    onset: Option<i64>,
    ramp: Option<i64>,
    plateau: Option<i64>,
    half_life: Option<f64>,
    regime: Option<String>,
    rho: Option<f64>,
    market_severity: Option<f64>,
    redemption_mult: Option<f64>,
    redemption_severity: Option<f64>,
    large_mult: Option<f64>,
    funding_shock: Option<f64>,
    haircut_addon: Option<f64>,
    rate_shock: Option<f64>,
    credit_spread_shock: Option<f64>,
    recovery: Option<f64>,
    /// Class name -> its shock.
    #[serde(default)]
    market: BTreeMap<String, RawClassShock>,
    #[serde(default)]
    redemptions: Vec<RawEvent>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClassShock {
    depth_cut: Option<f64>,
    spread_mult: Option<f64>,
    volume_cut: Option<f64>,
    price_shock: Option<f64>,
    vol_mult: Option<f64>,
    crowding: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEvent {
    day: i64,
    investor: Option<String>,
    segment: Option<String>,
    fraction: f64,
}

/// Reads a script file; the scenarios' parameters in file order.
pub fn load_scripts<'a>(
    path: &Path,
    fund: impl Into<FundShape<'a>>,
) -> Result<Vec<ScenarioParams>, ScriptError> {
    Ok(load_script_file(path, fund)?
        .into_iter()
        .map(|s| s.params)
        .collect())
}

/// Reads a script file; the scenarios with their names, in file order.
pub fn load_script_file<'a>(
    path: &Path,
    fund: impl Into<FundShape<'a>>,
) -> Result<Vec<ScriptedScenario>, ScriptError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| ScriptError::Io {
        file: file.clone(),
        source,
    })?;
    parse_script_file(&text, &file, fund)
}

/// Parses script text; `file` names it in errors. The scenarios' parameters in file order.
pub fn parse_scripts<'a>(
    text: &str,
    file: &str,
    fund: impl Into<FundShape<'a>>,
) -> Result<Vec<ScenarioParams>, ScriptError> {
    Ok(parse_script_file(text, file, fund)?
        .into_iter()
        .map(|s| s.params)
        .collect())
}

/// Parses script text; `file` names it in errors. The scenarios with their names, in file order.
pub fn parse_script_file<'a>(
    text: &str,
    file: &str,
    fund: impl Into<FundShape<'a>>,
) -> Result<Vec<ScriptedScenario>, ScriptError> {
    let parsed: ScriptFile = toml::from_str(text)
        .map_err(|e| ScriptError::Parse(Box::new(TomlError::new(file, text, &e))))?;
    if parsed.script.is_empty() {
        return Err(ScriptError::Empty {
            file: file.to_string(),
        });
    }
    let ctx = Context {
        file,
        fund: fund.into(),
    };
    parsed
        .script
        .iter()
        .enumerate()
        .map(|(i, raw)| ctx.build(i, raw))
        .collect()
}

struct Context<'a> {
    file: &'a str,
    fund: FundShape<'a>,
}

impl Context<'_> {
    fn out_of_range(&self, field: &str, value: impl ToString, expected: &str) -> ScriptError {
        ScriptError::OutOfRange {
            file: self.file.to_string(),
            field: field.to_string(),
            value: value.to_string(),
            expected: expected.to_string(),
        }
    }

    /// A finite number within `[min, max]`, or the default when absent.
    fn number(
        &self,
        field: &str,
        value: Option<f64>,
        default: f64,
        min: f64,
        max: f64,
    ) -> Result<f64, ScriptError> {
        match value {
            None => Ok(default),
            Some(x) if x.is_finite() && x >= min && x <= max => Ok(x),
            Some(x) => {
                Err(self.out_of_range(field, x, &format!("must be a number within [{min}, {max}]")))
            }
        }
    }

    /// A day of the horizon: `0 ..= horizon - 1`.
    fn day(&self, field: &str, value: i64) -> Result<u32, ScriptError> {
        let horizon = self.fund.horizon;
        if value < 0 {
            return Err(self.out_of_range(field, value, "a day is 0 or later"));
        }
        if value >= i64::from(horizon) {
            return Err(ScriptError::DayBeyondHorizon {
                file: self.file.to_string(),
                field: field.to_string(),
                value,
                last: horizon.saturating_sub(1),
            });
        }
        Ok(value as u32)
    }

    /// A whole number of days within `[min, u32::MAX]`, or the default when absent.
    fn days(
        &self,
        field: &str,
        value: Option<i64>,
        default: u32,
        min: u32,
    ) -> Result<u32, ScriptError> {
        match value {
            None => Ok(default),
            Some(x) if x >= i64::from(min) && x <= i64::from(u32::MAX) => Ok(x as u32),
            Some(x) => Err(self.out_of_range(
                field,
                x,
                &format!("must be a whole number of days, at least {min}"),
            )),
        }
    }

    fn unknown(
        &self,
        field: &str,
        what: &'static str,
        value: &str,
        names: &[String],
    ) -> ScriptError {
        const SHOWN: usize = 20;
        let mut known = names
            .iter()
            .take(SHOWN)
            .map(|n| format!("{n:?}"))
            .collect::<Vec<_>>()
            .join(", ");
        if names.len() > SHOWN {
            known.push_str(&format!(" and {} more", names.len() - SHOWN));
        }
        if names.is_empty() {
            known = "none".to_string();
        }
        ScriptError::UnknownName {
            file: self.file.to_string(),
            field: field.to_string(),
            what,
            value: value.to_string(),
            known,
        }
    }

    fn build(&self, i: usize, raw: &RawScript) -> Result<ScriptedScenario, ScriptError> {
        let at = |key: &str| format!("script[{i}].{key}");
        let horizon = self.fund.horizon;
        let cfg = self.fund.scenarios;
        let mut p = neutral_params();
        p.family = family::SCRIPTED;
        p.flags = sflag::SCRIPTED;

        if let Some(onset) = raw.onset {
            p.onset = self.day(&at("onset"), onset)?;
        }
        p.ramp = self.days(&at("ramp"), raw.ramp, 1, 1)?;
        p.plateau = self.days(&at("plateau"), raw.plateau, horizon, 0)?;
        p.half_life = self.number(&at("half_life"), raw.half_life, 20.0, 1e-3, 1e6)? as f32;

        p.regime = match raw.regime.as_deref().map(str::trim) {
            None => regime::NORMAL,
            Some(name) => match regime::NAMES
                .iter()
                .position(|n| n.eq_ignore_ascii_case(name))
            {
                Some(code) => code as u32,
                None => {
                    return Err(self.out_of_range(
                        &at("regime"),
                        format!("{name:?}"),
                        "must be \"normal\", \"stressed\" or \"crisis\"",
                    ))
                }
            },
        };
        p.rho = self.number(&at("rho"), raw.rho, cfg.regimes.rho(p.regime), 0.0, 1.0)? as f32;
        p.market_severity =
            self.number(&at("market_severity"), raw.market_severity, 0.0, 0.0, 1.0)? as f32;
        // Zero multipliers are allowed here: they turn behavioural redemptions off, leaving the
        // schedule alone.
        p.redemption_mult = self.number(
            &at("redemption_mult"),
            raw.redemption_mult,
            1.0,
            0.0,
            1000.0,
        )? as f32;
        p.redemption_severity = self.number(
            &at("redemption_severity"),
            raw.redemption_severity,
            0.0,
            0.0,
            1.0,
        )? as f32;
        p.large_mult = self.number(&at("large_mult"), raw.large_mult, 1.0, 0.0, 1000.0)? as f32;
        p.funding_shock =
            self.number(&at("funding_shock"), raw.funding_shock, 0.0, 0.0, 1.0)? as f32;
        p.haircut_addon =
            self.number(&at("haircut_addon"), raw.haircut_addon, 0.0, 0.0, 1.0)? as f32;
        p.recovery = self.number(&at("recovery"), raw.recovery, 0.0, 0.0, 1.0)? as f32;
        p.rate_shock = self.number(&at("rate_shock"), raw.rate_shock, 0.0, -0.2, 0.2)? as f32;
        p.credit_spread_shock = self.number(
            &at("credit_spread_shock"),
            raw.credit_spread_shock,
            0.0,
            -0.2,
            0.5,
        )? as f32;
        if raw.rate_shock.is_some() || raw.credit_spread_shock.is_some() {
            p.flags |= sflag::DURATION_ROUTE;
        }

        self.class_shocks(i, raw, &mut p)?;
        self.redemptions(i, raw, &mut p)?;

        let name = raw.name.clone().unwrap_or_else(|| format!("script {i}"));
        Ok(ScriptedScenario { name, params: p })
    }

    /// The `[script.market.CLASS]` tables: each named class's shock, the rest neutral.
    fn class_shocks(
        &self,
        i: usize,
        raw: &RawScript,
        p: &mut ScenarioParams,
    ) -> Result<(), ScriptError> {
        let at = |key: &str| format!("script[{i}].{key}");
        let class_names: Vec<String> = self
            .fund
            .classes
            .iter()
            .take(MAX_CLASSES)
            .map(|c| c.name.clone())
            .collect();
        for (name, raw_shock) in &raw.market {
            let field = at(&format!("market.{name}"));
            let c = find_name(&class_names, name)
                .ok_or_else(|| self.unknown(&field, "asset class", name, &class_names))?;
            let k = |key: &str| format!("{field}.{key}");
            let n = ClassShock::NEUTRAL;
            let shock = ClassShock {
                depth_cut: self.number(
                    &k("depth_cut"),
                    raw_shock.depth_cut,
                    n.depth_cut,
                    0.0,
                    0.99,
                )?,
                spread_mult: self.number(
                    &k("spread_mult"),
                    raw_shock.spread_mult,
                    n.spread_mult,
                    1.0,
                    1000.0,
                )?,
                volume_cut: self.number(
                    &k("volume_cut"),
                    raw_shock.volume_cut,
                    n.volume_cut,
                    0.0,
                    0.99,
                )?,
                price_shock: self.number(
                    &k("price_shock"),
                    raw_shock.price_shock,
                    n.price_shock,
                    -5.0,
                    1.0,
                )?,
                vol_mult: self.number(
                    &k("vol_mult"),
                    raw_shock.vol_mult,
                    n.vol_mult,
                    1.0,
                    100.0,
                )?,
                crowding: self.number(
                    &k("crowding"),
                    raw_shock.crowding,
                    n.crowding,
                    0.0,
                    super::config::CROWDING_MAX,
                )?,
            };
            set_class(p, c, &shock);
        }
        Ok(())
    }

    /// The redemption events, each by a large investor or a segment named in the fund.
    fn redemptions(
        &self,
        i: usize,
        raw: &RawScript,
        p: &mut ScenarioParams,
    ) -> Result<(), ScriptError> {
        let at = |key: &str| format!("script[{i}].{key}");
        if raw.redemptions.len() > MAX_SCRIPT_EVENTS {
            return Err(ScriptError::TooManyEvents {
                file: self.file.to_string(),
                field: at("redemptions"),
                count: raw.redemptions.len(),
                max: MAX_SCRIPT_EVENTS,
            });
        }
        let segments = self.fund.segment_names;
        let large = self.fund.large_names;
        for (j, event) in raw.redemptions.iter().enumerate() {
            let e = |key: &str| at(&format!("redemptions[{j}].{key}"));
            let holder = match (&event.investor, &event.segment) {
                (Some(name), None) => {
                    let idx = find_name(large, name).ok_or_else(|| {
                        self.unknown(&e("investor"), "large investor", name, large)
                    })?;
                    segments.len() + idx
                }
                (None, Some(name)) => find_name(segments, name).ok_or_else(|| {
                    self.unknown(&e("segment"), "investor segment", name, segments)
                })?,
                _ => {
                    return Err(ScriptError::Holder {
                        file: self.file.to_string(),
                        field: at(&format!("redemptions[{j}]")),
                    })
                }
            };
            p.event_day[j] = self.day(&e("day"), event.day)?;
            p.event_holder[j] = holder as u32;
            p.event_fraction[j] =
                self.number(&e("fraction"), Some(event.fraction), 0.0, 0.0, 1.0)? as f32;
        }
        p.n_events = raw.redemptions.len() as u32;
        Ok(())
    }
}

/// The index of `wanted` among `names`: an exact match, else the one case-insensitive match
/// (ignoring surrounding spaces). Two case-insensitive matches are ambiguous: no match.
fn find_name(names: &[String], wanted: &str) -> Option<usize> {
    if let Some(i) = names.iter().position(|n| n == wanted) {
        return Some(i);
    }
    let wanted = wanted.trim();
    let mut matches = names
        .iter()
        .enumerate()
        .filter(|(_, n)| n.trim().eq_ignore_ascii_case(wanted));
    match (matches.next(), matches.next()) {
        (Some((i, _)), None) => Some(i),
        _ => None,
    }
}

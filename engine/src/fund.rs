//! The fund a run simulates: loaded from a fund file (or the built-in example), then the
//! caller's overrides (`--horizon`, `--strategy`) applied and checked with the fund file's own
//! rules, so that an override can never make a fund the file format would refuse.

use std::path::Path;

use undertow_host::fund::spec::Strategy;
use undertow_host::fund::{build_fund, example_fund, load_fund, Fund, FundError, Issue};

use crate::error::EngineError;

/// Loads the fund file at `path`, or the built-in example when there is none; any problem is bad
/// input.
pub fn load(path: Option<&Path>) -> Result<Fund, EngineError> {
    match path {
        Some(p) => load_fund(p).map_err(|e| EngineError::BadInput(e.to_string())),
        None => Ok(example_fund()),
    }
}

/// Settings that replace the fund file's for one run (the CLI's `--horizon` and `--strategy`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FundOverrides {
    /// Simulated horizon in days (`[fund] horizon_days`).
    pub horizon: Option<u32>,
    /// Liquidation strategy by name (`[liquidation] strategy`).
    pub strategy: Option<String>,
}

/// The fund-file field each override replaces, for telling its issues apart.
const HORIZON_FIELD: &str = "fund.horizon_days";

impl FundOverrides {
    /// The fund with the overrides applied. The edited fund file is validated and converted
    /// again, so every rule of the file holds (the horizon's bound, settlement lags and notice
    /// periods shorter than it, ...); a broken one is bad input naming the flag.
    pub fn apply(&self, fund: Fund) -> Result<Fund, EngineError> {
        if self.horizon.is_none() && self.strategy.is_none() {
            return Ok(fund);
        }
        let mut spec = fund.spec.clone();
        // A broken horizon is reported before an unknown strategy.
        let strategy = self.strategy.as_deref().map(|s| {
            Strategy::from_name(s).ok_or_else(|| {
                let names: Vec<&str> = Strategy::ALL.iter().map(|s| s.name()).collect();
                EngineError::BadInput(format!(
                    "flag --strategy: unknown strategy `{s}` (expected one of {})",
                    names.join(", ")
                ))
            })
        });
        if let Some(h) = self.horizon {
            spec.fund.horizon_days = h;
        }
        if let Some(Ok(s)) = strategy {
            spec.liquidation.strategy = s;
        }
        // The fund's positions are inline in its spec, so no folder is needed to read them.
        let fund = build_fund(spec, &fund.source, Path::new("")).map_err(|e| {
            match (&e, self.horizon) {
                (FundError::Invalid { issues, .. }, Some(h)) => horizon_error(h, issues),
                _ => EngineError::BadInput(e.to_string()),
            }
        })?;
        match strategy {
            Some(Err(e)) => Err(e),
            _ => Ok(fund),
        }
    }
}

/// Issues listed before the rest are counted.
const MAX_LISTED: usize = 10;

/// The fund file's issues with an overridden horizon, as an error naming `--horizon`: the
/// horizon's own bound alone when it is broken ("flag --horizon: VALUE: REASON", the other
/// issues follow from it), otherwise every rule the horizon broke with the field it broke it on
/// (a position's settlement lag, say), as the fund file would list them.
fn horizon_error(h: u32, issues: &[Issue]) -> EngineError {
    if let Some(own) = issues.iter().find(|i| i.field == HORIZON_FIELD) {
        return EngineError::BadInput(format!("flag --horizon: {h}: {}", own.reason));
    }
    let line = |i: &Issue| format!("{}: {} = {}: {}", i.file, i.field, i.value, i.reason);
    let message = match issues {
        [one] => format!("flag --horizon: {h}: {}", line(one)),
        many => {
            let mut text = format!("flag --horizon: {h}: {} problems:", many.len());
            for i in many.iter().take(MAX_LISTED) {
                text.push_str(&format!("\n  {}", line(i)));
            }
            if many.len() > MAX_LISTED {
                text.push_str(&format!("\n  ... and {} more", many.len() - MAX_LISTED));
            }
            text
        }
    };
    EngineError::BadInput(message)
}

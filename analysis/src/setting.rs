//! One setting that cannot be used, and the helpers every stage's settings check with. A leaf:
//! the stages' `config` modules use it, and [`crate::config`] composes them, so settings depend
//! in one direction only.

/// A setting that cannot be used.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("{setting} = {value}: {reason}")]
pub struct ConfigError {
    /// The setting's path, e.g. `buffer.target_coverage`.
    pub setting: String,
    /// The value given, formatted.
    pub value: String,
    pub reason: String,
}

/// The most scenarios any analysis setting may ask for (attribution, stage, gate, swing,
/// early-warning and profile scenarios): well within the main sweep's `u32` count, and a run of
/// minutes to hours rather than one without end.
pub const MAX_SCENARIOS: u64 = 10_000_000;

/// The most scenarios per reverse-stress grid point (the grid has up to 101 x 101 points).
pub const MAX_SCENARIOS_PER_POINT: u64 = 1_000_000;

/// The longest day count of a setting measured in days of the simulated horizon: the fund file's
/// horizon bound.
pub const MAX_DAYS: u32 = undertow_host::fund::MAX_HORIZON_DAYS;

/// `setting` as a scenario count: from `min` (0 or 1) to [`MAX_SCENARIOS`].
pub(crate) fn check_scenarios(setting: &str, value: u64, min: u64) -> Result<(), ConfigError> {
    if value < min || value > MAX_SCENARIOS {
        return Err(bad(
            setting,
            value,
            &format!("must be from {min} to 10,000,000 scenarios"),
        ));
    }
    Ok(())
}

/// `setting` as days of the simulated horizon: from `min` to [`MAX_DAYS`].
pub(crate) fn check_days(setting: &str, value: u32, min: u32) -> Result<(), ConfigError> {
    if value < min || value > MAX_DAYS {
        return Err(bad(
            setting,
            value,
            &format!("must be from {min} to {MAX_DAYS} days (the longest fund horizon)"),
        ));
    }
    Ok(())
}

pub(crate) fn bad(setting: &str, value: impl std::fmt::Display, reason: &str) -> ConfigError {
    ConfigError {
        setting: setting.to_string(),
        value: value.to_string(),
        reason: reason.to_string(),
    }
}

pub(crate) fn list(v: &[f64]) -> String {
    let items: Vec<String> = v.iter().map(|x| x.to_string()).collect();
    format!("[{}]", items.join(", "))
}

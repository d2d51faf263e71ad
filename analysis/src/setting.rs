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

//! What can be wrong with the fund's own data. Every message names the file and, where it is
//! about one value, the line, the field and the value (the fund file's standards,
//! docs/fund-file.md "Errors"). All of it is the caller's input: the CLI exits 2.

use undertow_host::fund::FundError;

/// An error in a history file, a calibration input or the fund the results go into.
#[derive(Debug, thiserror::Error)]
pub enum CalibrateError {
    /// The file cannot be read.
    #[error("cannot read {file}: {source}")]
    Io {
        file: String,
        #[source]
        source: std::io::Error,
    },
    /// One value: `flows.csv:14: redemptions = "-3": must be 0 or more`.
    #[error("{file}:{line}: {field} = {value}: {reason}")]
    Value {
        file: String,
        /// 1-based line of the file (the header is line 1).
        line: u64,
        field: String,
        /// The value as written, quoted when it is text.
        value: String,
        reason: String,
    },
    /// The file as a whole (a missing column, too short a history, no stress window).
    #[error("{file}: {reason}")]
    File { file: String, reason: String },
    /// The fund file the calibration starts from, or the fund it produces, fails the fund
    /// file's rules.
    #[error(transparent)]
    Fund(#[from] FundError),
}

impl CalibrateError {
    /// One value's error.
    pub fn value(
        file: &str,
        line: u64,
        field: &str,
        value: impl std::fmt::Display,
        reason: impl Into<String>,
    ) -> Self {
        CalibrateError::Value {
            file: file.to_string(),
            line,
            field: field.to_string(),
            value: value.to_string(),
            reason: reason.into(),
        }
    }

    /// The whole file's error.
    pub fn file(file: &str, reason: impl Into<String>) -> Self {
        CalibrateError::File {
            file: file.to_string(),
            reason: reason.into(),
        }
    }
}

/// A calendar date as history files write it (`YYYY-MM-DD`), or the error naming it.
pub fn parse_date(
    file: &str,
    line: u64,
    field: &str,
    text: &str,
) -> Result<chrono::NaiveDate, CalibrateError> {
    chrono::NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| {
        CalibrateError::value(
            file,
            line,
            field,
            format!("{text:?}"),
            "not a date (YYYY-MM-DD)",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_date_names_file_line_field_and_value() {
        let e = parse_date("flows.csv", 7, "date", "2020-02-30").unwrap_err();
        assert_eq!(
            e.to_string(),
            "flows.csv:7: date = \"2020-02-30\": not a date (YYYY-MM-DD)"
        );
        let d = parse_date("flows.csv", 2, "date", " 2020-03-16 ").unwrap();
        assert_eq!(d, chrono::NaiveDate::from_ymd_opt(2020, 3, 16).unwrap());
    }
}

//! The report's file: `report.html` rendered from a summary and written atomically (a temporary
//! file renamed when complete), and `undertow report --from DIR`, which rebuilds it from a saved
//! run's `summary.json`. A run's own outputs are written together by [`crate::RunOutcome::write`].

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::Value;
use undertow_host::atomic::AtomicFile;
use undertow_report::{ReportError, REPORT_FILE};

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportFileError {
    /// The summary breaks the schema, or a chart failed: bad input for `report --from`.
    #[error(transparent)]
    Report(#[from] ReportError),
    /// Reading `summary.json` failed: bad input for `report --from`.
    #[error("{path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// Writing `report.html` failed.
    #[error("{path}: {source}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

impl ReportFileError {
    /// Whether the caller's run directory is at fault (no or a malformed `summary.json`) rather
    /// than the writing of the report.
    pub fn is_bad_input(&self) -> bool {
        !matches!(self, ReportFileError::Write { .. })
    }
}

impl From<ReportFileError> for crate::EngineError {
    fn from(e: ReportFileError) -> Self {
        if e.is_bad_input() {
            crate::EngineError::BadInput(e.to_string())
        } else {
            crate::EngineError::failed("writing report.html", e)
        }
    }
}

/// Writes an already rendered page to `dir/report.html`, atomically. With
/// [`undertow_report::render`], lets a caller fail on a malformed summary before writing any of
/// its outputs.
pub fn write_html(dir: &Path, page: &str) -> Result<PathBuf, ReportFileError> {
    let path = dir.join(REPORT_FILE);
    let io = |source| ReportFileError::Write {
        path: path.display().to_string(),
        source,
    };
    let mut file = AtomicFile::create(&path).map_err(io)?;
    file.writer().write_all(page.as_bytes()).map_err(io)?;
    file.commit().map_err(io)?;
    Ok(path)
}

/// Renders the report and writes it to `dir/report.html`, atomically; nothing is written when
/// the summary is malformed. Returns the path written.
pub fn write_report(dir: &Path, summary: &Value) -> Result<PathBuf, ReportFileError> {
    let page = undertow_report::render(summary)?;
    write_html(dir, &page)
}

/// Reads `dir/summary.json` and writes `dir/report.html` beside it (`undertow report --from DIR`).
pub fn report_from_dir(dir: &Path) -> Result<PathBuf, ReportFileError> {
    let path = dir.join("summary.json");
    let text = std::fs::read_to_string(&path).map_err(|source| ReportFileError::Read {
        path: path.display().to_string(),
        source,
    })?;
    let summary = undertow_report::parse_summary(&text)?;
    write_report(dir, &summary)
}

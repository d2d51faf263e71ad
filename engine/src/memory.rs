//! How much memory a run needs, estimated before it starts ([`estimate`]), and the check that
//! refuses a run whose estimate is over a limit ([`check_limit`], `undertow run --max-memory`).
//!
//! The estimate adds up what the run holds at its peak: one [`ScenarioOutput`] per scenario of
//! the sweep (kept for the summary and `scenarios.csv`), one block of scenario parameters and
//! outputs at a time, a kernel workspace per thread, the traced fan-chart paths, the largest
//! batch of analysis reruns, the block of `scenarios.csv` being written, and a constant overhead
//! calibrated against measured peak RSS (docs/output.md, "Memory").

use undertow_host::fund::Fund;
use undertow_kernel::{ScenarioOutput, ScenarioParams};

use crate::error::EngineError;
use crate::run::RunRequest;

/// Constant overhead: the binary, the allocator, rayon's threads, the fund and the report's
/// buffers. Calibrated against peak RSS of small runs (docs/output.md, "Memory").
pub const OVERHEAD: u64 = 72 << 20;

/// Bytes per scenario of the summary's working copies (a column of `f64` values sorted for
/// quantiles, a few at a time), calibrated against peak RSS of large runs.
pub const SUMMARY_PER_SCENARIO: u64 = 16;

/// Bytes of one formatted `scenarios.csv` line, at most (a generous bound): 5 leading columns
/// and 56 output fields, each value at most about 24 characters with its comma (an `f32` printed
/// in full; the family name is at most 24 characters).
const CSV_LINE: u64 = 61 * 24;

/// A run's estimated peak memory, in bytes, by part.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryEstimate {
    /// One [`ScenarioOutput`] per scenario of every swept set.
    pub records: u64,
    /// The summary's working copies of the records' columns.
    pub summary: u64,
    /// One block of scenario parameters and outputs in flight.
    pub block: u64,
    /// One kernel workspace per thread.
    pub workspaces: u64,
    /// The fan charts' traced daily paths.
    pub fan: u64,
    /// The largest batch of analysis reruns (0 without the analysis).
    pub analysis: u64,
    /// The block of `scenarios.csv` being written.
    pub output: u64,
    /// Constant overhead ([`OVERHEAD`]).
    pub overhead: u64,
}

impl MemoryEstimate {
    /// The whole estimate.
    pub fn total(&self) -> u64 {
        self.records
            + self.summary
            + self.block
            + self.workspaces
            + self.fan
            + self.analysis
            + self.output
            + self.overhead
    }
}

impl std::fmt::Display for MemoryEstimate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} (records {}, summary {}, block {}, workspaces {}, fan charts {}, analysis {}, \
             scenarios.csv {}, overhead {})",
            size(self.total()),
            size(self.records),
            size(self.summary),
            size(self.block),
            size(self.workspaces),
            size(self.fan),
            size(self.analysis),
            size(self.output),
            size(self.overhead)
        )
    }
}

/// Estimates the peak memory of `request` on `fund`, the sweep run in blocks of `block`
/// scenarios (`Backend::preferred_block`) on `threads` worker threads.
pub fn estimate(fund: &Fund, request: &RunRequest, block: u64, threads: usize) -> MemoryEstimate {
    let out = std::mem::size_of::<ScenarioOutput>() as u64;
    let par = std::mem::size_of::<ScenarioParams>() as u64;
    let n = request.scenarios;
    // Every set's records are held until the outputs are written.
    let records = request.total_scenarios();
    let horizon = u64::from(fund.model.params.horizon);
    let words = undertow_kernel::Workspace::<f64>::words(&fund.model) as u64;
    let analysis = match &request.analysis {
        None => 0,
        Some(settings) => {
            let cfg = settings.config(fund);
            let largest = [
                cfg.buffer.scenarios,
                cfg.liquidation.scenarios,
                cfg.gates.scenarios,
                cfg.swing.scenarios,
                cfg.early_warning.scenarios,
                cfg.reverse_stress.scenarios_per_point,
                cfg.investors.attribution_scenarios,
            ]
            .into_iter()
            .max()
            .unwrap_or(0);
            // Each rerun batch holds its parameters and outputs; a thread's workspace each.
            largest.saturating_mul(par + out) + threads as u64 * words * 8
        }
    };
    MemoryEstimate {
        records: records.saturating_mul(out),
        summary: n.saturating_mul(SUMMARY_PER_SCENARIO),
        block: block.min(n).saturating_mul(par + out),
        workspaces: threads as u64 * words * 8,
        // Three f32 series per traced day, and their parameters.
        fan: (request.paths as u64).min(n) * ((horizon + 1) * 3 * 4 + par),
        analysis,
        output: (crate::run::CSV_BLOCK as u64).min(n) * (par + CSV_LINE),
        overhead: OVERHEAD,
    }
}

/// Bad input when the estimate is over `limit` bytes: the message gives the estimate by part
/// and what to change.
pub fn check_limit(estimate: &MemoryEstimate, limit: u64) -> Result<(), EngineError> {
    if estimate.total() <= limit {
        return Ok(());
    }
    Err(EngineError::BadInput(format!(
        "flag --max-memory: the run needs an estimated {estimate}, over the limit of {}; \
         run fewer --scenarios, add --no-analysis, trace fewer --paths, split the run into \
         several with different seeds, or raise --max-memory",
        size(limit)
    )))
}

/// Parses a size: plain bytes (`1000000`) or a number with a unit, `B`, `KB`, `MB`, `GB`, `TB`
/// (powers of 1000) or `KiB`, `MiB`, `GiB`, `TiB` (powers of 1024), case-insensitive, with an
/// optional space (`2GiB`, `500 MB`, `1.5GB`).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1_000,
        "m" | "mb" => 1_000_000,
        "g" | "gb" => 1_000_000_000,
        "t" | "tb" => 1_000_000_000_000,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        "tib" => 1 << 40,
        _ => {
            return Err(format!(
            "{s:?} is not a size (bytes, or a number with B, KB, MB, GB, TB, KiB, MiB, GiB or TiB)"
        ))
        }
    };
    let value: f64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a size (no number before the unit)"))?;
    let bytes = value * mult as f64;
    if !bytes.is_finite() || bytes < 1.0 || bytes > u64::MAX as f64 {
        return Err(format!("{s:?} is outside 1 byte..=16 EiB"));
    }
    Ok(bytes as u64)
}

/// The default limit: 80% of the machine's available memory (`MemAvailable` in
/// `/proc/meminfo`); `None` (no limit) where that cannot be read.
pub fn default_limit() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    available_of(&info).map(|b| b / 5 * 4)
}

/// `MemAvailable` of a `/proc/meminfo` text, in bytes.
fn available_of(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let mut parts = line.split_whitespace().skip(1);
    let kb: u64 = parts.next()?.parse().ok()?;
    match parts.next() {
        Some("kB") | None => kb.checked_mul(1024),
        _ => None,
    }
}

/// A size for people: `1.50 GiB`, `12.0 MiB`, `512 B`.
pub fn size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut v = bytes as f64 / 1024.0;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    format!("{v:.2} {}", UNITS[u])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("1000"), Ok(1000));
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert_eq!(parse_size("500MB"), Ok(500_000_000));
        assert_eq!(parse_size("1.5 gb"), Ok(1_500_000_000));
        assert_eq!(parse_size("64KiB"), Ok(65_536));
        for bad in ["", "GiB", "-5", "2 parsecs", "0", "1e400", "nan"] {
            assert!(parse_size(bad).is_err(), "{bad:?} parsed");
        }
    }

    #[test]
    fn meminfo_parses() {
        let info = "MemTotal:  8000000 kB\nMemFree: 100 kB\nMemAvailable:    4000000 kB\n";
        assert_eq!(available_of(info), Some(4_096_000_000));
        assert_eq!(available_of("MemTotal: 1 kB\n"), None);
        assert_eq!(available_of("MemAvailable: x kB\n"), None);
    }

    #[test]
    fn sizes_print() {
        assert_eq!(size(512), "512 B");
        assert_eq!(size(2 << 30), "2.00 GiB");
        assert_eq!(size(3 << 19), "1.50 MiB");
    }
}

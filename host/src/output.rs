//! Output files: written to a temporary name beside the target and renamed when complete, so a
//! failed run leaves no partial output (see [`crate::atomic`]). `summary.json` carries a schema
//! version (docs/output.md); its top-level record is assembled in `undertow-engine`.

use std::io::Write;
use std::path::Path;

use serde::Serialize;
use undertow_kernel::{output_field_names, ScenarioOutput, ScenarioParams};

pub use crate::atomic::AtomicFile;

/// Version of the `summary.json` layout; bump on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// The columns of `scenarios.csv` before the output record's fields: the scenario's index, its
/// family code and name (`scenarios::family::name`), its market and redemption severity.
pub const SCENARIO_CSV_LEAD: [&str; 5] = [
    "index",
    "family",
    "family_name",
    "market_severity",
    "redemption_severity",
];

/// Streams `scenarios.csv`: one header, one row per scenario.
pub struct ScenarioCsv {
    file: AtomicFile,
}

impl ScenarioCsv {
    pub fn create(path: &Path) -> std::io::Result<ScenarioCsv> {
        let mut file = AtomicFile::create(path)?;
        let mut header: Vec<String> = SCENARIO_CSV_LEAD.iter().map(|c| c.to_string()).collect();
        header.extend(output_field_names());
        writeln!(file.writer(), "{}", header.join(","))?;
        Ok(ScenarioCsv { file })
    }

    pub fn write_block(
        &mut self,
        first: u64,
        params: &[ScenarioParams],
        outs: &[ScenarioOutput],
    ) -> std::io::Result<()> {
        let w = self.file.writer();
        for (j, (p, o)) in params.iter().zip(outs).enumerate() {
            write!(
                w,
                "{},{},{},{},{}",
                first + j as u64,
                p.family,
                crate::scenarios::family::name(p.family),
                p.market_severity,
                p.redemption_severity
            )?;
            for v in o.as_words() {
                write!(w, ",{v}")?;
            }
            writeln!(w)?;
        }
        Ok(())
    }

    pub fn commit(self) -> std::io::Result<()> {
        self.file.commit()
    }
}

/// Who and what the run was about.
#[derive(Clone, Debug, Serialize)]
pub struct FundInfo {
    pub name: String,
    pub source: String,
    pub currency: String,
    pub aum: f64,
    pub positions: usize,
    pub segments: usize,
    pub large_investors: usize,
    pub initial_cash: f64,
}

/// How the run was made.
#[derive(Clone, Debug, Serialize)]
pub struct RunInfo {
    pub scenarios: u64,
    pub seed: u64,
    pub horizon_days: u32,
    pub strategy: String,
    pub impact_model: String,
    pub backend: String,
    pub threads: usize,
    pub seconds: f64,
    /// Scenario-day-positions simulated per second.
    pub throughput: f64,
    /// The model's mechanism switches in force (the fund file's `[model]` names).
    pub switches: std::collections::BTreeMap<String, bool>,
}

/// The switches of a kernel `switches` word by their fund-file names.
pub fn switch_map(bits: u32) -> std::collections::BTreeMap<String, bool> {
    crate::fund::spec::ModelSection::from_bits(bits)
        .switches()
        .iter()
        .map(|(name, on, _)| (name.to_string(), *on))
        .collect()
}

/// The headline numbers, in fractions of NAV and in currency.
#[derive(Clone, Debug, Serialize)]
pub struct Headline {
    pub coverage: f64,
    pub survival: f64,
    pub gate_frequency: f64,
    pub shortfall_frequency: f64,
    pub mean_cost_bps: f64,
    pub cost_p99_bps: f64,
    /// Liquidity at risk in currency: rows are horizons (1/7/30/90 days), columns 90/95/99%.
    pub liquidity_at_risk_currency: Vec<(u32, [f64; 3])>,
}

/// Writes a serialisable value as pretty JSON, atomically (`summary.json` and the stage
/// commands' JSON files).
pub fn write_json(path: &Path, value: &impl Serialize) -> std::io::Result<()> {
    let mut f = AtomicFile::create(path)?;
    serde_json::to_writer_pretty(f.writer(), value).map_err(std::io::Error::other)?;
    writeln!(f.writer())?;
    f.commit()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenarios::family;

    /// The header and a row: the family's name follows its code, and every row has as many
    /// cells as the header.
    #[test]
    fn scenarios_csv_names_each_family() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("scenarios.csv");
        let mut csv = ScenarioCsv::create(&path).unwrap();
        let mut params = [ScenarioParams::default(); 3];
        params[0].family = family::CALM;
        params[1].family = family::DASH_FOR_CASH_2020;
        params[2].family = 77;
        let outs = [ScenarioOutput::default(); 3];
        csv.write_block(10, &params, &outs).unwrap();
        csv.commit().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 4);
        let header: Vec<&str> = lines[0].split(',').collect();
        assert_eq!(header[..5], SCENARIO_CSV_LEAD);
        assert_eq!(header.len(), 5 + output_field_names().len());
        let name_col = header.iter().position(|c| *c == "family_name").unwrap();
        for (line, (index, code, name)) in lines[1..].iter().zip([
            (10, 11, "calm"),
            (11, 8, "dash_for_cash_2020"),
            (12, 77, "unknown"),
        ]) {
            let cells: Vec<&str> = line.split(',').collect();
            assert_eq!(cells.len(), header.len(), "{line}");
            assert_eq!(cells[0], index.to_string());
            assert_eq!(cells[1], code.to_string());
            assert_eq!(cells[name_col], name);
        }
    }
}

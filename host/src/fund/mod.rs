//! Fund files: the TOML schema (and the CSV of positions it may name), validation with errors that
//! name the file, the field and the value, the conversion to the kernel's [`FundModel`], and the
//! built-in example fund of MODEL.md section 9.
//!
//! Reading a fund takes three steps, each in its own module: [`spec`] parses the TOML (and
//! [`positions_csv`] the positions CSV) in the user's units, `validate` checks every value and
//! collects every problem, and `convert` turns the checked file into kernel units. The schema
//! and its units are documented field by field in `docs/fund-file.md`.

mod convert;
pub(crate) mod error;
mod example;
pub mod positions_csv;
pub mod spec;
mod split;
mod validate;
mod write;

#[cfg(test)]
mod tests;

use std::path::Path;

use undertow_kernel::FundModel;

use crate::scenarios::{FundShape, ScenarioConfig};

pub use convert::{
    days_to_liquidate, is_illiquid, liquidity_hierarchy, settles_late, stressed_cost_per_unit,
    ILLIQUID_DAYS, STRESSED_SPREAD_MULTIPLE, STRESSED_VOL_MULTIPLE, TRADING_DAYS_PER_YEAR,
};
pub use error::{FundError, Issue, TomlError};
pub use example::{example_fund, example_fund_toml, example_spec, EXAMPLE_SOURCE};
pub use spec::FundFile;
pub use split::split_positions;
pub use validate::{
    MAX_ANNUAL_RETURN, MAX_AUM, MAX_CONVEXITY, MAX_DURATION, MAX_HORIZON_DAYS, MAX_IMPACT,
    MAX_VOL_ANNUAL, SUM_TOLERANCE,
};
pub use write::fund_file_to_toml;

/// Class kinds and class records live with the scenario generator, which draws shocks by kind;
/// re-exported here, where fund files name them.
pub use crate::scenarios::{ClassInfo, ClassKind};

/// A validated fund: the kernel's model plus everything the host needs to talk about it.
#[derive(Clone, Debug)]
pub struct Fund {
    /// Where it came from: a file path, or "built-in example".
    pub source: String,
    pub name: String,
    pub currency: String,
    /// Assets under management, in currency.
    pub aum: f64,
    /// Expected annual portfolio return (for the opportunity cost of buffers).
    pub expected_return: f64,
    /// Kernel-ready parameters (money in fractions of NAV, rates per day).
    pub model: FundModel,
    /// Classes in kernel index order.
    pub classes: Vec<ClassInfo>,
    /// Position ids, in kernel order.
    pub position_ids: Vec<String>,
    /// Position segment labels ("large cap", "high yield", ...), in kernel order.
    pub position_labels: Vec<String>,
    pub segment_names: Vec<String>,
    pub large_names: Vec<String>,
    /// Scenario generation settings (the fund file's `[scenarios]` table).
    pub scenarios: ScenarioConfig,
    /// The fund file as read, with positions from a CSV inlined. Edit it (to add buffer
    /// positions, say) and rebuild with [`build_fund`]; write it out with [`fund_to_toml`].
    pub spec: FundFile,
}

impl Fund {
    /// Herfindahl index of the investor base at day 0 (sum of squared large stakes).
    pub fn investor_hhi(&self) -> f64 {
        convert::investor_hhi(&self.large_stakes())
    }

    /// Share of NAV the ten largest investors hold at day 0.
    pub fn top10_share(&self) -> f64 {
        convert::top10_share(&self.large_stakes())
    }

    fn large_stakes(&self) -> Vec<f64> {
        self.spec.large_investors.iter().map(|l| l.stake).collect()
    }
}

impl<'a> From<&'a Fund> for FundShape<'a> {
    fn from(fund: &'a Fund) -> Self {
        FundShape {
            horizon: fund.model.params.horizon,
            classes: &fund.classes,
            segment_names: &fund.segment_names,
            large_names: &fund.large_names,
            scenarios: &fund.scenarios,
        }
    }
}

/// Reads, validates and converts the fund file at `path`. A `positions_csv` it names is read
/// relative to the file's folder.
pub fn load_fund(path: &Path) -> Result<Fund, FundError> {
    let text = std::fs::read_to_string(path).map_err(|source| FundError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let base_dir = path.parent().unwrap_or(Path::new(""));
    parse_fund(&text, &path.display().to_string(), base_dir)
}

/// Parses, validates and converts fund-file text. `source` names it in messages; a
/// `positions_csv` is read relative to `base_dir`.
pub fn parse_fund(text: &str, source: &str, base_dir: &Path) -> Result<Fund, FundError> {
    let spec: FundFile = toml::from_str(text)
        .map_err(|e| FundError::Toml(Box::new(TomlError::new(source, text, &e))))?;
    build_fund(spec, source, base_dir)
}

/// Validates and converts a fund file already in memory (one read earlier and edited, or built
/// in code). A `positions_csv` is read relative to `base_dir`.
pub fn build_fund(spec: FundFile, source: &str, base_dir: &Path) -> Result<Fund, FundError> {
    let table = match &spec.positions_csv {
        Some(csv) if spec.positions.is_empty() => match positions_csv::load(base_dir, csv) {
            Ok((display, read)) => PositionTable {
                positions: read.positions,
                origin: Origin::Csv {
                    display,
                    lines: read.lines,
                },
            },
            Err(positions_csv::LoadError::Read {
                resolved,
                source: err,
            }) => {
                return Err(FundError::PositionsCsv {
                    file: source.to_string(),
                    csv: csv.clone(),
                    resolved,
                    source: err,
                })
            }
            Err(positions_csv::LoadError::Invalid(issues)) => {
                return Err(FundError::Invalid {
                    file: source.to_string(),
                    issues,
                })
            }
        },
        _ => PositionTable {
            positions: spec.positions.clone(),
            origin: Origin::Inline,
        },
    };
    let issues = validate::validate(&spec, &table, source);
    if !issues.is_empty() {
        return Err(FundError::Invalid {
            file: source.to_string(),
            issues,
        });
    }
    Ok(convert::to_fund(spec, table.positions, source))
}

/// Writes a fund back as a fully explicit, commented fund file that [`parse_fund`] reads to the
/// same model.
pub fn fund_to_toml(fund: &Fund) -> String {
    fund_file_to_toml(&fund.spec, &format!("{} (from {})", fund.name, fund.source))
}

/// The positions being validated, and where each came from, so that a message can point at a
/// TOML path or at a CSV row.
pub(crate) struct PositionTable {
    pub positions: Vec<spec::PositionSpec>,
    pub origin: Origin,
}

pub(crate) enum Origin {
    /// `[[positions]]` in the fund file.
    Inline,
    /// Rows of a CSV file: its displayed path and each row's line.
    Csv { display: String, lines: Vec<u64> },
}

impl PositionTable {
    /// The file and field of position `i`'s `column`, with the position's id to help find it.
    pub fn locate(&self, fund_file: &str, i: usize, column: &str) -> (String, String) {
        let id = self
            .positions
            .get(i)
            .map(|p| p.id.as_str())
            .filter(|id| !id.is_empty() && column != "id");
        let suffix = id.map(|id| format!(" (id {id:?})")).unwrap_or_default();
        match &self.origin {
            Origin::Inline => (
                fund_file.to_string(),
                format!("positions[{i}].{column}{suffix}"),
            ),
            Origin::Csv { display, lines } => {
                let line = lines.get(i).copied().unwrap_or(0);
                (
                    display.clone(),
                    format!("{}{suffix}", positions_csv::cell(i + 1, line, column)),
                )
            }
        }
    }
}

//! The analysis tables as CSV files, one per table, each written to a temporary name and renamed
//! only once every table is complete (so a failed write leaves none of them half-written). Each
//! stage's `tables` module builds its own; [`tables`] gathers those of the stages that ran.
//!
//! | file | rows |
//! |---|---|
//! | `liquidity_profile.csv` | position (and `PORTFOLIO`) × condition × participation |
//! | `inverse_queries.csv` | position × condition |
//! | `buckets.csv` | position × condition: SEC 22e-4 bucket, with the liquidity score |
//! | `impact_models.csv` | position × condition: the four impact models |
//! | `redemptions_by_holder.csv` | segment or large investor |
//! | `attribution.csv` | feedback channel, plus `all_on`, `all_off`, `interaction` |
//! | `lar.csv` | horizon × confidence |
//! | `frontier.csv` | buffer composition, with its frontier flag and rank |
//! | `construction.csv` | position (and `CASH`): weight before and after |
//! | `strategy_comparison.csv` | liquidation strategy: cost distribution, alpha, drift, residual liquidity, score |
//! | `execution_comparison.csv` | execution approach × market condition |
//! | `hierarchy.csv` | position in liquidation order, with its layer |
//! | `gate_grid.csv` | gate trigger × cap grid point, with scores and rank |
//! | `swing_calibration.csv` | swing threshold × factor |
//! | `early_warning.csv` | indicator: lead time, hit and false-alarm rates, best threshold |
//! | `reverse_stress_map.csv` | market × redemption severity grid point: failure probability |
//! | `playbook.csv` | communication stage |

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::AnalysisSummary;
use undertow_host::output::AtomicFile;

pub use crate::table::Table;

/// The tables of the stages that ran.
pub fn tables(s: &AnalysisSummary) -> Vec<Table> {
    let mut out = Vec::new();
    if let Some(m) = &s.market_liquidity {
        out.extend(crate::market_liquidity::tables::tables(m));
    }
    if let Some(i) = &s.investor_behaviour {
        out.extend(crate::investor_behaviour::tables::tables(i));
    }
    if let Some(p) = &s.portfolio_liquidity {
        out.extend(crate::portfolio_liquidity::tables::tables(p));
    }
    if let Some(l) = &s.liquidation_design {
        out.extend(crate::liquidation_design::tables::tables(l));
    }
    if let Some(r) = &s.redemption_policy {
        out.extend(crate::redemption_policy::tables::tables(r));
    }
    out
}

/// Writes every table into `dir`; returns the paths written. Nothing appears under its final
/// name until every table has been written in full.
pub fn write_tables(dir: &Path, s: &AnalysisSummary) -> std::io::Result<Vec<PathBuf>> {
    write_table_list(dir, tables(s))
}

/// Writes `list` into `dir` as [`write_tables`] does.
pub fn write_table_list(dir: &Path, list: Vec<Table>) -> std::io::Result<Vec<PathBuf>> {
    let mut pending = Vec::new();
    for t in list {
        let path = dir.join(t.file);
        let mut f = AtomicFile::create(&path)?;
        writeln!(f.writer(), "{}", t.header.join(","))?;
        for row in &t.rows {
            writeln!(f.writer(), "{}", row.join(","))?;
        }
        pending.push((path, f));
    }
    let mut written = Vec::new();
    for (path, f) in pending {
        f.commit()?;
        written.push(path);
    }
    Ok(written)
}

//! `undertow calibrate market`: the market file read and checked against the fund, the positions'
//! ADV, spread and volatility and the `[scenarios.market]` ranges calibrated
//! (`undertow_calibrate::market`), written into a copy of the user's fund file with their
//! provenance, and a JSON fit report beside it. Every error of the user's files is bad input.

use std::io::Write;
use std::path::{Path, PathBuf};

use undertow_calibrate::market::{
    apply_market_fit, fit_market, read_market_csv, MarketFit, StressWindow,
};
use undertow_calibrate::CalibrateError;
use undertow_host::atomic::AtomicFile;
use undertow_host::fund::{example_fund, example_fund_toml, load_fund, ClassKind};

use crate::error::{Context, EngineError};

/// The fit report's file name, written beside the output fund file.
pub const MARKET_CALIBRATION_JSON: &str = "market_calibration.json";

/// What to calibrate.
#[derive(Clone, Debug, Default)]
pub struct MarketCalibrationRequest {
    /// The market file (`date,id,close,volume,bid,ask`).
    pub market: PathBuf,
    /// The fund file the results go into; the built-in example when absent.
    pub fund: Option<PathBuf>,
    /// Stress windows, `NAME:FROM..TO`.
    pub windows: Vec<String>,
    /// The calibrated fund file to write (the fit report goes beside it); nothing is written
    /// when absent.
    pub out: Option<PathBuf>,
}

/// The calibration and the fund file text it produced.
#[derive(Clone, Debug)]
pub struct MarketCalibration {
    pub fit: MarketFit,
    /// The fund file with the calibrated values and their provenance.
    pub fund_toml: String,
    /// The fund's positions the market file has no row for (they keep their values).
    pub missing: Vec<String>,
    /// The files written: the fund file and the fit report.
    pub written: Option<(PathBuf, PathBuf)>,
}

/// A calibration error of the user's files: bad input (exit 2).
pub fn bad_input(e: CalibrateError) -> EngineError {
    EngineError::BadInput(e.to_string())
}

/// Reads, fits, writes (when `out` is set).
pub fn calibrate_market(req: &MarketCalibrationRequest) -> Result<MarketCalibration, EngineError> {
    let windows = req
        .windows
        .iter()
        .map(|w| StressWindow::parse(w, "--stress-window"))
        .collect::<Result<Vec<_>, _>>()
        .map_err(bad_input)?;
    let (fund, text, source, base_dir) = match &req.fund {
        Some(p) => {
            let fund = load_fund(p).map_err(|e| EngineError::BadInput(e.to_string()))?;
            let text = std::fs::read_to_string(p)
                .map_err(|e| EngineError::BadInput(format!("cannot read {}: {e}", p.display())))?;
            let base = p.parent().unwrap_or(Path::new("")).to_path_buf();
            (fund, text, p.display().to_string(), base)
        }
        None => (
            example_fund(),
            example_fund_toml(),
            "built-in example".to_string(),
            PathBuf::from("."),
        ),
    };
    let history = read_market_csv(&req.market).map_err(bad_input)?;
    history.check_ids(&fund).map_err(bad_input)?;
    let cash_like: Vec<String> = fund
        .spec
        .positions
        .iter()
        .filter(|p| {
            fund.classes
                .iter()
                .any(|c| c.name == p.class && c.kind == ClassKind::CashLike)
        })
        .map(|p| p.id.clone())
        .collect();
    let fit = fit_market(&history, &windows, &cash_like).map_err(bad_input)?;
    let fund_toml = apply_market_fit(&text, &source, &base_dir, &fit).map_err(bad_input)?;
    let missing = history.missing_positions(&fund);
    let mut out = MarketCalibration {
        fit,
        fund_toml,
        missing,
        written: None,
    };
    if let Some(target) = &req.out {
        let json_path = target.with_file_name(MARKET_CALIBRATION_JSON);
        if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).context(|| format!("creating {}", dir.display()))?;
        }
        let json = serde_json::to_string_pretty(&serde_json::json!({
            "market_calibration": &out.fit,
            "missing_positions": &out.missing,
        }))
        .context(|| "serialising the fit report".to_string())?;
        // Both files written to temporaries first, then renamed: no partial output.
        let mut fund_file =
            AtomicFile::create(target).context(|| format!("creating {}", target.display()))?;
        fund_file
            .writer()
            .write_all(out.fund_toml.as_bytes())
            .context(|| format!("writing {}", target.display()))?;
        let mut json_file = AtomicFile::create(&json_path)
            .context(|| format!("creating {}", json_path.display()))?;
        json_file
            .writer()
            .write_all(json.as_bytes())
            .context(|| format!("writing {}", json_path.display()))?;
        fund_file
            .commit()
            .context(|| format!("writing {}", target.display()))?;
        json_file
            .commit()
            .context(|| format!("writing {}", json_path.display()))?;
        out.written = Some((target.clone(), json_path));
    }
    Ok(out)
}

//! The fund's own data (issue 15). Histories are read with the fund file's error standards (the
//! file, the line, the field and the value; never a panic), and turned into fund-file values
//! with their standard errors and samples:
//!
//! - [`market`]: daily position-level market data (`date,id,close,volume,bid,ask`): ADV, quoted
//!   spread, volatility, stressed-versus-calm ratios over named windows, and the market stress
//!   composite the flow fit uses (`undertow calibrate market`).
//! - [`flows`]: investor flow histories per segment and large holder: calm base rates and noise,
//!   flow-performance and stress sensitivities, herding, large holders' hazards
//!   (`undertow calibrate flows`), the synthetic histories of known parameters, and the backtest
//!   of the model's outflow forecasts (`undertow backtest`).
//!
//! No GPU, no report: the engine calls this crate and the report renders what it returns.

pub mod error;
pub mod flows;
pub mod market;
pub use error::{parse_date, CalibrateError};

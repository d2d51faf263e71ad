//! Investor flow histories (issue 15): the reader ([`history`]), the day's feedback signals as the
//! kernel computes them ([`signals`]), the fits with their standard errors ([`fit`] for segments,
//! [`hazard`] for large holders, on [`ols`]), the calibrated fund file ([`write`]), synthetic
//! histories of known parameters ([`synth`]) and the backtest of the outflow forecasts
//! ([`backtest`], with its statistics in [`stats`]). The equations and methods are in
//! `docs/calibration.md`.

pub mod backtest;
pub mod fit;
pub mod hazard;
pub mod history;
pub mod inputs;
pub mod ols;
pub mod signals;
pub mod stats;
pub mod synth;
pub mod write;

pub use backtest::{backtest, BacktestOptions, BacktestReport};
pub use fit::{fit_flows, FitOptions, FlowFit};
pub use history::{parse_flows_csv, read_flows_csv, FlowHistory, HolderKind, HolderSeries};
pub use synth::{synthesize, synthetic_stress_path, SynthOptions};

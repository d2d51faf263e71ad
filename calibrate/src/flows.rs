//! Investor flow histories: reading, fitting, synthetic histories and the backtest (helper
//! "flows" fills this module and its children).

//! Daily position-level market data (`date,id,close,volume,bid,ask`): reading it with the fund
//! file's error standards ([`read_market_csv`]), the daily market stress composite on the
//! kernel's `g(t)` scale ([`MarketHistory::stress_composite`]), the synthetic example history
//! ([`synthetic`]) and the market calibration (`undertow calibrate market`). The formulas and
//! their sources are in docs/market-data.md.

mod composite;
mod fit;
mod read;
pub mod synthetic;
mod write;

pub use composite::{CompositeOptions, StressComposite};
pub use fit::{
    fit_market, Estimate, MarketFit, PositionFit, RangeFit, StressWindow, WindowRatios,
    DAYS_PER_YEAR, MIN_CALM_ROWS,
};
pub use read::{parse_market_csv, read_market_csv, MarketHistory, PositionSeries, MARKET_COLUMNS};
pub use write::apply_market_fit;

//! One module per command, each calling the engine and printing its result. Stage commands are
//! named by the analysis stage they run: `market_liquidity` (`undertow profile`),
//! `portfolio_liquidity` (`optimize buffer`), `liquidation_design` (`optimize liquidation`),
//! `redemption_policy` (`optimize gates`, `reverse-stress`). No command uses another's module.

pub mod backtest;
pub mod bench;
pub mod calibrate;
pub mod devices;
pub mod example_fund;
pub mod liquidation_design;
pub mod market_data;
pub mod market_liquidity;
pub mod merge;
pub mod portfolio_liquidity;
pub mod redemption_policy;
pub mod report;
pub mod run;
pub mod sensitivity;
pub mod validate;
pub mod what_if;

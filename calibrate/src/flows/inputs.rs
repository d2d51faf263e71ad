//! What the flow fit and the backtest take from a market file: the stress composite on the flow
//! history's dates, and (for synthetic histories) the fund's NAV per share from the positions'
//! closes.

use chrono::NaiveDate;
use undertow_host::fund::FundFile;

use crate::error::CalibrateError;
use crate::market::{MarketHistory, StressComposite};

/// The composite on each of `dates`: the market file's value on that date, or on the last market
/// date before it (a holiday in the market file); a flow date before the market file's first date,
/// or more than 7 calendar days after its last known value, is an error.
pub fn composite_on(
    dates: &[NaiveDate],
    comp: &StressComposite,
    market_file: &str,
) -> Result<Vec<f64>, CalibrateError> {
    let mut out = Vec::with_capacity(dates.len());
    for d in dates {
        let k = comp.dates.partition_point(|x| x <= d);
        if k == 0 || (*d - comp.dates[k - 1]).num_days() > 7 {
            return Err(CalibrateError::file(
                market_file,
                format!(
                    "no market data on or shortly before {} (the flow history's date); the market file must cover the flow history's dates",
                    d.format("%Y-%m-%d")
                ),
            ));
        }
        out.push(comp.g[k - 1]);
    }
    Ok(out)
}

/// The fund's NAV per share on `dates` from the market file's closes: cash plus each position's
/// weight times its close over its first close (positions missing from the file leave their weight
/// out and the rest is scaled up); the last close before a date when that date has none.
pub fn nav_from_market(market: &MarketHistory, fund: &FundFile, dates: &[NaiveDate]) -> Vec<f64> {
    let mut paths: Vec<(f64, Vec<f64>)> = Vec::new();
    for p in &fund.positions {
        let Some(s) = market.series.iter().find(|s| s.id == p.id) else {
            continue;
        };
        if s.is_empty() {
            continue;
        }
        let c0 = s.close[0];
        let mut v = Vec::with_capacity(dates.len());
        for d in dates {
            let k = s.day.partition_point(|&i| market.dates[i] <= *d);
            v.push(s.close[k.saturating_sub(1)] / c0);
        }
        paths.push((p.weight, v));
    }
    let wsum: f64 = paths.iter().map(|p| p.0).sum();
    let cash = fund.fund.cash;
    let invested = 1.0 - cash;
    (0..dates.len())
        .map(|t| {
            if wsum <= 0.0 {
                return 1.0;
            }
            cash + invested * paths.iter().map(|(w, v)| w * v[t]).sum::<f64>() / wsum
        })
        .collect()
}

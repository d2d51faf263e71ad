//! What the flow fit and the backtest take from a market file: the stress composite on the flow
//! history's dates, and (for synthetic histories) the fund's NAV per share from the positions'
//! closes.

use chrono::{Datelike, NaiveDate, Weekday};
use undertow_host::fund::FundFile;

use super::history::{frequency, row_days, Frequency};
use crate::error::CalibrateError;
use crate::market::{MarketHistory, StressComposite};

/// The composite on each of `dates`: the market file's value on that date, or on the last market
/// date before it (a holiday in the market file); a flow date before the market file's first date,
/// or more than 7 calendar days after its last known value, is an error.
///
/// For weekly dates ([`frequency`]) each row's value is instead the mean, over the business days
/// `b` the row covers ([`row_days`]), of the composite on the last market date before `b` — the
/// daily `g(b−1)` that the kernel's stress term reads — so that `days × value` is the week's
/// `Σ g(t−1)` (docs/calibration.md "Weekly histories").
pub fn composite_on(
    dates: &[NaiveDate],
    comp: &StressComposite,
    market_file: &str,
) -> Result<Vec<f64>, CalibrateError> {
    let at = |d: &NaiveDate, strictly_before: bool| -> Result<f64, CalibrateError> {
        let k = if strictly_before {
            comp.dates.partition_point(|x| x < d)
        } else {
            comp.dates.partition_point(|x| x <= d)
        };
        if k == 0 || (*d - comp.dates[k - 1]).num_days() > 7 {
            return Err(CalibrateError::file(
                market_file,
                format!(
                    "no market data on or shortly before {} (the flow history's date); the market file must cover the flow history's dates",
                    d.format("%Y-%m-%d")
                ),
            ));
        }
        Ok(comp.g[k - 1])
    };
    if frequency(dates) != Ok(Frequency::Weekly) {
        return dates.iter().map(|d| at(d, false)).collect();
    }
    let days = row_days(dates, Frequency::Weekly);
    let mut out = Vec::with_capacity(dates.len());
    for (t, d) in dates.iter().enumerate() {
        // The row's business days: the `days[t]` weekdays ending on or before its date.
        let mut covered = Vec::with_capacity(days[t]);
        let mut b = *d;
        while covered.len() < days[t] {
            if !matches!(b.weekday(), Weekday::Sat | Weekday::Sun) {
                covered.push(b);
            }
            b = b.pred_opt().ok_or_else(|| {
                CalibrateError::file(
                    market_file,
                    "a flow history date before the calendar's start",
                )
            })?;
        }
        let mut sum = 0.0;
        for b in &covered {
            sum += at(b, true)?;
        }
        out.push(sum / covered.len() as f64);
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

//! `undertow calibrate market`: per position ADV, quoted spread and volatility over calm days,
//! and stressed-versus-calm ratios over named stress windows, each with its standard error and
//! sample (formulas and sources: docs/market-data.md §3).

use chrono::NaiveDate;
use serde::Serialize;

use super::read::{MarketHistory, PositionSeries};
use crate::error::{parse_date, CalibrateError};

/// Business days per year in the volatility's scaling (`sqrt(252)`).
pub const DAYS_PER_YEAR: f64 = 252.0;
/// Fewest calm rows (or returns) a position needs for its calm estimates.
pub const MIN_CALM_ROWS: usize = 20;
/// Fewest rows a position needs in a window for its ratios.
pub const MIN_WINDOW_ROWS: usize = 3;
/// Relative efficiency of the median against the mean for normal data: the median's standard
/// error is `sqrt(pi / 2) sd / sqrt(n)`.
const MEDIAN_SE_FACTOR: f64 = 1.253_314_137_315_500_3;

/// A user-named stress window, `NAME:FROM..TO` (both dates included).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StressWindow {
    pub name: String,
    #[serde(serialize_with = "date")]
    pub from: NaiveDate,
    #[serde(serialize_with = "date")]
    pub to: NaiveDate,
}

/// Dates as `YYYY-MM-DD` in the JSON report (chrono is built without serde here).
fn date<S: serde::Serializer>(d: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(d)
}

impl StressWindow {
    /// Parses `NAME:FROM..TO` (`covid:2020-03-09..2020-03-31`); `flag` names the flag in
    /// messages.
    pub fn parse(text: &str, flag: &str) -> Result<StressWindow, CalibrateError> {
        let bad = |reason: &str| {
            CalibrateError::file(
                flag,
                format!("{text:?}: {reason} (expected NAME:YYYY-MM-DD..YYYY-MM-DD)"),
            )
        };
        let (name, span) = text.split_once(':').ok_or_else(|| bad("no `:`"))?;
        let name = name.trim();
        if name.is_empty() {
            return Err(bad("no name before `:`"));
        }
        let (from, to) = span.split_once("..").ok_or_else(|| bad("no `..`"))?;
        let from = parse_date(flag, 0, "from", from).map_err(|_| bad("bad first date"))?;
        let to = parse_date(flag, 0, "to", to).map_err(|_| bad("bad last date"))?;
        if to < from {
            return Err(bad("the last date is before the first"));
        }
        Ok(StressWindow {
            name: name.to_string(),
            from,
            to,
        })
    }

    pub fn contains(&self, d: NaiveDate) -> bool {
        d >= self.from && d <= self.to
    }
}

/// An estimate with its standard error and the rows it used.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Estimate {
    pub value: f64,
    pub se: f64,
    pub n: usize,
}

/// One position's ratios over one stress window, against its calm days.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct WindowRatios {
    pub window: String,
    /// Mean quoted spread in the window / mean over calm days.
    pub spread_mult: Estimate,
    /// Mean traded value in the window / mean over calm days.
    pub volume_mult: Estimate,
    /// `max(0, 1 - volume_mult)`: the kernel's volume cut `U` (a rise in volume is a cut of 0).
    pub volume_cut: Estimate,
    /// RMS log return in the window / over calm days.
    pub vol_mult: Estimate,
    /// Depth from Amihud's illiquidity (`|r| / traded value`): the kernel's depth cut `D` with
    /// `(1 - U)(1 - D)` = calm illiquidity / window illiquidity.
    pub depth_cut: Estimate,
}

/// One position's calibration.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PositionFit {
    pub id: String,
    /// Mean of close x volume over calm days, currency per day.
    pub adv: Estimate,
    /// Median quoted spread over calm days, basis points of the mid.
    pub spread_bps: Estimate,
    /// Standard deviation of calm days' log returns x sqrt(252).
    pub vol_annual: Estimate,
    pub windows: Vec<WindowRatios>,
    /// Excluded from the scenario ranges (a cash-like position).
    pub cash_like: bool,
}

/// A `[scenarios.market]` range from the positions' window ratios.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RangeFit {
    /// `depth_cut`, `spread_mult`, `volume_cut` or `vol_mult`.
    pub field: String,
    pub lo: f64,
    pub hi: f64,
    /// The (position, window) estimates the ends come from, and their standard errors.
    pub lo_from: String,
    pub hi_from: String,
    pub lo_se: f64,
    pub hi_se: f64,
    /// Estimates the range spans (risk positions x windows).
    pub n: usize,
}

/// The whole calibration.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MarketFit {
    pub file: String,
    #[serde(serialize_with = "date")]
    pub first_date: NaiveDate,
    #[serde(serialize_with = "date")]
    pub last_date: NaiveDate,
    pub days: usize,
    pub calm_days: usize,
    pub windows: Vec<StressWindow>,
    pub positions: Vec<PositionFit>,
    pub ranges: Vec<RangeFit>,
}

fn mean_var(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    let v = if x.len() > 1 {
        x.iter().map(|a| (a - m).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    (m, v)
}

/// Ratio of two independent sample means with its delta-method standard error.
fn ratio(num: &[f64], den: &[f64]) -> Estimate {
    let (mn, vn) = mean_var(num);
    let (md, vd) = mean_var(den);
    let r = mn / md;
    let rel2 = vn / (num.len() as f64 * mn * mn) + vd / (den.len() as f64 * md * md);
    Estimate {
        value: r,
        se: (r * r * rel2).sqrt(),
        n: num.len(),
    }
}

fn median(x: &[f64]) -> f64 {
    super::composite::quantile(x, 0.5)
}

/// Rows of a series split by day class: calm, or in window `w`.
struct Rows<'a> {
    s: &'a PositionSeries,
}

impl Rows<'_> {
    fn filter(&self, keep: &dyn Fn(usize) -> bool) -> Vec<usize> {
        (0..self.s.len()).filter(|&k| keep(self.s.day[k])).collect()
    }
    /// Log returns ending on the kept rows (their previous row kept too).
    fn returns(&self, keep: &dyn Fn(usize) -> bool) -> Vec<f64> {
        (1..self.s.len())
            .filter(|&k| keep(self.s.day[k]) && keep(self.s.day[k - 1]))
            .map(|k| (self.s.close[k] / self.s.close[k - 1]).ln())
            .collect()
    }
    /// Amihud's daily illiquidity `|r| / traded value` on kept rows with trades.
    fn illiquidity(&self, keep: &dyn Fn(usize) -> bool) -> Vec<f64> {
        (1..self.s.len())
            .filter(|&k| {
                keep(self.s.day[k]) && keep(self.s.day[k - 1]) && self.s.traded_value(k) > 0.0
            })
            .map(|k| (self.s.close[k] / self.s.close[k - 1]).ln().abs() / self.s.traded_value(k))
            .collect()
    }
}

/// Calibrates positions and ranges from a market history. `cash_like` names the positions kept
/// out of the scenario ranges (the fund's cash-like class has its own fixed ranges).
pub fn fit_market(
    h: &MarketHistory,
    windows: &[StressWindow],
    cash_like: &[String],
) -> Result<MarketFit, CalibrateError> {
    let file = h.file.as_str();
    for w in windows {
        if !h.dates.iter().any(|d| w.contains(*d)) {
            return Err(CalibrateError::file(
                file,
                format!(
                    "stress window {}:{}..{} holds none of the file's dates ({} to {})",
                    w.name,
                    w.from,
                    w.to,
                    h.dates[0],
                    h.dates[h.dates.len() - 1]
                ),
            ));
        }
    }
    let in_window: Vec<Option<usize>> = h
        .dates
        .iter()
        .map(|d| windows.iter().position(|w| w.contains(*d)))
        .collect();
    let calm = |d: usize| in_window[d].is_none();
    let calm_days = in_window.iter().filter(|w| w.is_none()).count();

    let mut positions = Vec::new();
    for s in &h.series {
        let rows = Rows { s };
        let calm_rows = rows.filter(&calm);
        let calm_returns = rows.returns(&calm);
        if calm_rows.len() < MIN_CALM_ROWS || calm_returns.len() < MIN_CALM_ROWS {
            return Err(CalibrateError::file(
                file,
                format!(
                    "position {:?}: {} calm rows and {} calm returns, fewer than the {} needed",
                    s.id,
                    calm_rows.len(),
                    calm_returns.len(),
                    MIN_CALM_ROWS
                ),
            ));
        }
        let values: Vec<f64> = calm_rows.iter().map(|&k| s.traded_value(k)).collect();
        let (adv, adv_var) = mean_var(&values);
        let spreads: Vec<f64> = calm_rows.iter().map(|&k| s.rel_spread(k)).collect();
        let (_, spread_var) = mean_var(&spreads);
        let (_, ret_var) = mean_var(&calm_returns);
        let n = calm_rows.len() as f64;
        let nr = calm_returns.len() as f64;
        let vol = (ret_var * DAYS_PER_YEAR).sqrt();
        let mut fit = PositionFit {
            id: s.id.clone(),
            adv: Estimate {
                value: adv,
                se: (adv_var / n).sqrt(),
                n: calm_rows.len(),
            },
            spread_bps: Estimate {
                value: median(&spreads) * 1e4,
                se: MEDIAN_SE_FACTOR * (spread_var / n).sqrt() * 1e4,
                n: calm_rows.len(),
            },
            vol_annual: Estimate {
                value: vol,
                se: vol / (2.0 * (nr - 1.0)).sqrt(),
                n: calm_returns.len(),
            },
            windows: Vec::new(),
            cash_like: cash_like.iter().any(|c| c == &s.id),
        };
        for (wi, w) in windows.iter().enumerate() {
            let inw = |d: usize| in_window[d] == Some(wi);
            let w_rows = rows.filter(&inw);
            let w_returns = rows.returns(&inw);
            let w_illiq = rows.illiquidity(&inw);
            if w_rows.len() < MIN_WINDOW_ROWS || w_returns.len() < MIN_WINDOW_ROWS {
                return Err(CalibrateError::file(
                    file,
                    format!(
                        "position {:?}: {} rows in stress window {}, fewer than the {} needed",
                        s.id,
                        w_rows.len(),
                        w.name,
                        MIN_WINDOW_ROWS
                    ),
                ));
            }
            let sp = |ks: &[usize]| ks.iter().map(|&k| s.rel_spread(k)).collect::<Vec<_>>();
            let tv = |ks: &[usize]| ks.iter().map(|&k| s.traded_value(k)).collect::<Vec<_>>();
            let spread_mult = ratio(&sp(&w_rows), &sp(&calm_rows));
            let volume_mult = ratio(&tv(&w_rows), &values);
            let sq = |r: &[f64]| r.iter().map(|x| x * x).collect::<Vec<_>>();
            let var_ratio = ratio(&sq(&w_returns), &sq(&calm_returns));
            let vol_mult = Estimate {
                value: var_ratio.value.sqrt(),
                se: var_ratio.se / (2.0 * var_ratio.value.sqrt()).max(1e-300),
                n: w_returns.len(),
            };
            let volume_cut = Estimate {
                value: (1.0 - volume_mult.value).clamp(0.0, 0.99),
                se: volume_mult.se,
                n: w_rows.len(),
            };
            let calm_illiq = rows.illiquidity(&calm);
            let depth_cut = if w_illiq.len() >= MIN_WINDOW_ROWS && calm_illiq.len() >= MIN_CALM_ROWS
            {
                // depth_w / depth_calm = calm illiquidity / window illiquidity = (1 - U)(1 - D).
                let d = ratio(&calm_illiq, &w_illiq);
                let keep = 1.0 - volume_cut.value;
                Estimate {
                    value: (1.0 - d.value / keep).clamp(0.0, 0.99),
                    se: d.se / keep,
                    n: w_illiq.len(),
                }
            } else {
                Estimate {
                    value: f64::NAN,
                    se: f64::NAN,
                    n: w_illiq.len(),
                }
            };
            fit.windows.push(WindowRatios {
                window: w.name.clone(),
                spread_mult,
                volume_mult,
                volume_cut,
                vol_mult,
                depth_cut,
            });
        }
        positions.push(fit);
    }

    let mut ranges = Vec::new();
    if !windows.is_empty() {
        type Pick = fn(&WindowRatios) -> Estimate;
        let fields: [(&str, Pick, f64, f64); 4] = [
            ("depth_cut", |w| w.depth_cut, 0.0, 0.99),
            ("spread_mult", |w| w.spread_mult, 1.0, 1000.0),
            ("volume_cut", |w| w.volume_cut, 0.0, 0.99),
            ("vol_mult", |w| w.vol_mult, 1.0, 100.0),
        ];
        for (field, pick, min, max) in fields {
            let mut all: Vec<(f64, f64, String)> = Vec::new();
            for p in positions.iter().filter(|p| !p.cash_like) {
                for w in &p.windows {
                    let e = pick(w);
                    if e.value.is_finite() {
                        all.push((
                            e.value.clamp(min, max),
                            e.se,
                            format!("{} in {}", p.id, w.window),
                        ));
                    }
                }
            }
            if all.is_empty() {
                continue;
            }
            let lo = all
                .iter()
                .min_by(|a, b| a.0.total_cmp(&b.0))
                .cloned()
                .unwrap_or_default();
            let hi = all
                .iter()
                .max_by(|a, b| a.0.total_cmp(&b.0))
                .cloned()
                .unwrap_or_default();
            ranges.push(RangeFit {
                field: field.to_string(),
                lo: lo.0,
                hi: hi.0,
                lo_from: lo.2,
                hi_from: hi.2,
                lo_se: lo.1,
                hi_se: hi.1,
                n: all.len(),
            });
        }
    }

    Ok(MarketFit {
        file: file.to_string(),
        first_date: h.dates[0],
        last_date: h.dates[h.dates.len() - 1],
        days: h.dates.len(),
        calm_days,
        windows: windows.to_vec(),
        positions,
        ranges,
    })
}

//! The daily market stress composite `g_t` in [0, 1], on the kernel's stress-intensity scale.
//!
//! The kernel moves a position's spread and volatility with the stress profile as
//! `s(t) = s0 (1 + (W - 1) g(t))` and `sigma(t) = sigma0 (1 + (M - 1) g(t))` (kernel/src/market.rs):
//! `g` is how far the spread (volatility) has gone from its calm level `s0` towards its fully
//! stressed level `W s0`. The composite inverts that for the history: for each position and day,
//!
//! ```text
//! g_spread = clamp((s_t - s_calm) / (s_stress - s_calm), 0, 1)
//! g_vol    = clamp((v_t - v_calm) / (v_stress - v_calm), 0, 1)
//! ```
//!
//! with `s_t` the quoted relative spread averaged over the last `spread_window` rows, `v_t` the
//! realised volatility (root mean square of the last `vol_window` log returns), the calm level
//! the series' median and the stressed level its `stressed_quantile` quantile (the history's own
//! "full stress": the worst 1% of days by default). A component whose stressed level is not above
//! its calm level (a history without stress) is 0. The day's `g_t` is the mean of the available
//! components over the positions with a row that day. The mapping (median, 99th percentile,
//! equal weights) is judgement; docs/market-data.md gives its sensitivity.

use chrono::NaiveDate;

use super::read::{MarketHistory, PositionSeries};

/// The composite's settings (defaults: docs/market-data.md, "Stress composite").
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CompositeOptions {
    /// Rows averaged into the day's spread (1 = the day's own quote).
    pub spread_window: usize,
    /// Log returns in the realised volatility (21 = about a month).
    pub vol_window: usize,
    /// Quantile of a position's series taken as its fully stressed level, in (0.5, 1].
    pub stressed_quantile: f64,
}

impl Default for CompositeOptions {
    fn default() -> Self {
        CompositeOptions {
            spread_window: 5,
            vol_window: 21,
            stressed_quantile: 0.99,
        }
    }
}

/// The daily composite, one value per date of the market file.
#[derive(Clone, Debug, PartialEq)]
pub struct StressComposite {
    pub dates: Vec<NaiveDate>,
    /// The composite, in [0, 1]: 0 calm, 1 the history's full stress.
    pub g: Vec<f64>,
    /// Its spread part alone (mean over positions), in [0, 1].
    pub g_spread: Vec<f64>,
    /// Its volatility part alone (mean over positions), in [0, 1].
    pub g_vol: Vec<f64>,
}

impl StressComposite {
    /// The value on a date, if the file has it.
    pub fn on(&self, date: NaiveDate) -> Option<f64> {
        self.dates.binary_search(&date).ok().map(|i| self.g[i])
    }
}

/// The `q` quantile of `values` (linear interpolation between order statistics; `values`
/// finite and not empty).
pub(crate) fn quantile(values: &[f64], q: f64) -> f64 {
    let mut v: Vec<f64> = values.to_vec();
    v.sort_by(f64::total_cmp);
    let h = q.clamp(0.0, 1.0) * (v.len() - 1) as f64;
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    v[lo] + (v[hi] - v[lo]) * (h - lo as f64)
}

/// Trailing mean of the last `window` values (fewer at the start).
fn trailing_mean(x: &[f64], window: usize) -> Vec<f64> {
    let w = window.max(1);
    let mut out = Vec::with_capacity(x.len());
    let mut sum = 0.0;
    for k in 0..x.len() {
        sum += x[k];
        if k >= w {
            sum -= x[k - w];
        }
        out.push(sum / (k + 1).min(w) as f64);
    }
    out
}

/// A level series' distance from calm towards stress, clamped to [0, 1] (`None` where the level
/// is missing).
fn scaled(levels: &[Option<f64>], q: f64) -> Vec<Option<f64>> {
    let present: Vec<f64> = levels.iter().flatten().copied().collect();
    if present.is_empty() {
        return vec![None; levels.len()];
    }
    let calm = quantile(&present, 0.5);
    let stress = quantile(&present, q);
    let span = stress - calm;
    levels
        .iter()
        .map(|l| {
            l.map(|x| {
                if span <= 1e-12 * calm.abs().max(1e-300) {
                    0.0
                } else {
                    ((x - calm) / span).clamp(0.0, 1.0)
                }
            })
        })
        .collect()
}

/// One position's spread and volatility components, per row.
fn position_components(s: &PositionSeries, o: &CompositeOptions) -> (Vec<f64>, Vec<Option<f64>>) {
    let spreads: Vec<f64> = (0..s.len()).map(|k| s.rel_spread(k)).collect();
    let spread_level: Vec<Option<f64>> = trailing_mean(&spreads, o.spread_window)
        .into_iter()
        .map(Some)
        .collect();
    let g_spread: Vec<f64> = scaled(&spread_level, o.stressed_quantile)
        .into_iter()
        .map(|g| g.unwrap_or(0.0))
        .collect();
    // Squared log returns between consecutive rows; the first row has none.
    let w = o.vol_window.max(1);
    let mut vol_level: Vec<Option<f64>> = vec![None; s.len()];
    let r2: Vec<f64> = (1..s.len())
        .map(|k| (s.close[k] / s.close[k - 1]).ln().powi(2))
        .collect();
    let mut sum = 0.0;
    for j in 0..r2.len() {
        sum += r2[j];
        if j >= w {
            sum -= r2[j - w];
        }
        let n = (j + 1).min(w);
        vol_level[j + 1] = Some((sum.max(0.0) / n as f64).sqrt());
    }
    let g_vol = scaled(&vol_level, o.stressed_quantile);
    (g_spread, g_vol)
}

impl MarketHistory {
    /// The daily market stress composite with the default settings.
    pub fn stress_composite(&self) -> StressComposite {
        self.stress_composite_with(&CompositeOptions::default())
    }

    /// The daily market stress composite (module docs: the definition).
    pub fn stress_composite_with(&self, o: &CompositeOptions) -> StressComposite {
        let n = self.dates.len();
        let mut spread_sum = vec![0.0; n];
        let mut spread_n = vec![0usize; n];
        let mut vol_sum = vec![0.0; n];
        let mut vol_n = vec![0usize; n];
        for s in &self.series {
            let (gs, gv) = position_components(s, o);
            for k in 0..s.len() {
                let d = s.day[k];
                spread_sum[d] += gs[k];
                spread_n[d] += 1;
                if let Some(v) = gv[k] {
                    vol_sum[d] += v;
                    vol_n[d] += 1;
                }
            }
        }
        let mean = |sum: f64, n: usize| if n == 0 { None } else { Some(sum / n as f64) };
        let mut g = Vec::with_capacity(n);
        let mut g_spread = Vec::with_capacity(n);
        let mut g_vol = Vec::with_capacity(n);
        for d in 0..n {
            let a = mean(spread_sum[d], spread_n[d]);
            let b = mean(vol_sum[d], vol_n[d]);
            let day = match (a, b) {
                (Some(a), Some(b)) => 0.5 * (a + b),
                (Some(a), None) => a,
                (None, Some(b)) => b,
                (None, None) => 0.0,
            };
            g.push(day.clamp(0.0, 1.0));
            g_spread.push(a.unwrap_or(0.0));
            g_vol.push(b.unwrap_or(0.0));
        }
        StressComposite {
            dates: self.dates.clone(),
            g,
            g_spread,
            g_vol,
        }
    }
}

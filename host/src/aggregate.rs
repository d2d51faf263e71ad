//! From per-scenario records to the distributions a risk team reads: every output's distribution,
//! coverage and survival, liquidity at risk, costs, gate and shortfall frequencies, and fan-chart
//! bands. Sums across scenarios are done in `f64`.

use serde::Serialize;
use undertow_kernel::{output_field_names, ScenarioOutput, HORIZONS, NEVER};

/// Confidence levels of the liquidity-at-risk table.
pub const LAR_CONFIDENCES: [f64; 3] = [0.90, 0.95, 0.99];

/// Quantile by linear interpolation between order statistics (Hyndman-Fan type 7).
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let h = (sorted.len() - 1) as f64 * q.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(|a, b| a.total_cmp(b));
    v
}

/// The buffer alone met the redemptions: the buffer was never exhausted, nothing went unpaid and
/// no gate was needed.
pub fn covered(o: &ScenarioOutput) -> bool {
    o.buffer_exhausted_day == NEVER && o.shortfall <= 0.0 && o.gate_days == 0.0
}

/// The fund survived: no shortfall and no gate.
pub fn survived(o: &ScenarioOutput) -> bool {
    o.shortfall <= 0.0 && o.gate_days == 0.0
}

/// Total liquidation cost (spread and impact).
pub fn total_cost(o: &ScenarioOutput) -> f64 {
    o.cost_spread as f64 + o.cost_impact as f64
}

/// Distribution of one output field.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct FieldStats {
    pub field: String,
    /// Scenarios in which the value is defined (day fields: the event happened).
    pub count: usize,
    pub mean: f64,
    pub std: f64,
    pub min: f64,
    pub p05: f64,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

impl FieldStats {
    pub fn of(field: &str, values: Vec<f64>) -> FieldStats {
        let n = values.len();
        let mean = if n > 0 {
            values.iter().sum::<f64>() / n as f64
        } else {
            f64::NAN
        };
        let var = if n > 1 {
            values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1) as f64
        } else {
            0.0
        };
        let s = sorted(values);
        FieldStats {
            field: field.to_string(),
            count: n,
            mean,
            std: var.sqrt(),
            min: s.first().copied().unwrap_or(f64::NAN),
            p05: quantile(&s, 0.05),
            p50: quantile(&s, 0.50),
            p95: quantile(&s, 0.95),
            p99: quantile(&s, 0.99),
            max: s.last().copied().unwrap_or(f64::NAN),
        }
    }
}

/// One row of the liquidity-at-risk table: quantiles of cumulative requested net outflow.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct LarRow {
    pub horizon_days: u32,
    /// Fractions of initial NAV at [`LAR_CONFIDENCES`].
    pub lar: [f64; 3],
}

/// What a sweep says, in fractions of initial NAV.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Aggregate {
    pub scenarios: usize,
    pub coverage: f64,
    pub survival: f64,
    pub gate_frequency: f64,
    pub shortfall_frequency: f64,
    pub suspension_frequency: f64,
    pub liquidity_event_frequency: f64,
    pub mean_cost: f64,
    pub cost_p95: f64,
    pub cost_p99: f64,
    pub mean_large_redeemed: f64,
    pub liquidity_at_risk: Vec<LarRow>,
    /// Per field; day fields only over scenarios where the event happened.
    pub fields: Vec<FieldStats>,
}

fn is_day_field(name: &str) -> bool {
    name.ends_with("_day") || name.starts_with("ew_")
}

/// Aggregates a sweep's records.
pub fn aggregate(outputs: &[ScenarioOutput]) -> Aggregate {
    let n = outputs.len().max(1) as f64;
    let share =
        |f: &dyn Fn(&ScenarioOutput) -> bool| outputs.iter().filter(|o| f(o)).count() as f64 / n;
    let costs = sorted(outputs.iter().map(total_cost).collect());
    let names = output_field_names();
    let fields = names
        .iter()
        .enumerate()
        .map(|(k, name)| {
            let values: Vec<f64> = outputs
                .iter()
                .map(|o| o.as_words()[k] as f64)
                .filter(|v| !(is_day_field(name) && *v == NEVER as f64))
                .collect();
            FieldStats::of(name, values)
        })
        .collect();
    let liquidity_at_risk = HORIZONS
        .iter()
        .enumerate()
        .map(|(k, h)| {
            let s = sorted(outputs.iter().map(|o| o.cum_requested[k] as f64).collect());
            LarRow {
                horizon_days: *h,
                lar: LAR_CONFIDENCES.map(|c| quantile(&s, c)),
            }
        })
        .collect();
    Aggregate {
        scenarios: outputs.len(),
        coverage: share(&covered),
        survival: share(&survived),
        gate_frequency: share(&|o| o.gate_days > 0.0),
        shortfall_frequency: share(&|o| o.shortfall > 0.0),
        suspension_frequency: share(&|o| o.suspended > 0.0),
        liquidity_event_frequency: share(&|o| o.event_day != NEVER),
        mean_cost: costs.iter().sum::<f64>() / n,
        cost_p95: quantile(&costs, 0.95),
        cost_p99: quantile(&costs, 0.99),
        mean_large_redeemed: outputs.iter().map(|o| o.large_redeemed as f64).sum::<f64>() / n,
        liquidity_at_risk,
        fields,
    }
}

/// Per-day quantile bands (5, 25, 50, 75, 95%) of a set of equally long paths.
pub fn bands(paths: &[Vec<f64>]) -> Vec<[f64; 5]> {
    let days = paths.iter().map(|p| p.len()).min().unwrap_or(0);
    (0..days)
        .map(|t| {
            let s = sorted(paths.iter().map(|p| p[t]).collect());
            [0.05, 0.25, 0.5, 0.75, 0.95].map(|q| quantile(&s, q))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate() {
        let s = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(quantile(&s, 0.0), 1.0);
        assert_eq!(quantile(&s, 0.5), 3.0);
        assert_eq!(quantile(&s, 0.875), 4.5);
        assert_eq!(quantile(&s, 1.0), 5.0);
    }

    #[test]
    fn coverage_and_lar_from_known_records() {
        // Requested outflows 1%..100% at 30 days; the first 7 are covered.
        let outs: Vec<ScenarioOutput> = (1..=100)
            .map(|k| {
                let mut o = ScenarioOutput {
                    buffer_exhausted_day: NEVER,
                    ..Default::default()
                };
                o.cum_requested = [k as f32 / 100.0; 4];
                if k > 7 {
                    o.buffer_exhausted_day = 3.0;
                }
                o
            })
            .collect();
        let a = aggregate(&outs);
        assert!((a.coverage - 0.07).abs() < 1e-12);
        assert!((a.survival - 1.0).abs() < 1e-12);
        let lar95 = a.liquidity_at_risk[2].lar[1];
        assert!((lar95 - 0.9505).abs() < 1e-6, "{lar95}");
    }

    #[test]
    fn bands_are_ordered() {
        let paths: Vec<Vec<f64>> = (0..50).map(|k| vec![k as f64, 2.0 * k as f64]).collect();
        let b = bands(&paths);
        assert_eq!(b.len(), 2);
        for day in b {
            assert!(day.windows(2).all(|w| w[0] <= w[1]));
        }
    }
}

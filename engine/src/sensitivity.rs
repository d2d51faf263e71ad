//! `undertow sensitivity`: how much the stress library's headline numbers move when one
//! judgement range of the scenario configuration is narrowed or widened about its centre
//! (`ScenarioConfig::with_range_scaled`, docs/scenarios.md section 11).
//!
//! Every variant reruns the stress-library sweep on common random numbers (the same seed and
//! scenario indices as the base run), with no fan charts and no analysis stages, so that a
//! difference from the base row comes from the range alone. The result is `sensitivity.csv`
//! ([`SENSITIVITY_CSV`]), written atomically: a base row, then one row per range and factor,
//! with each metric and its difference from the base.

use std::io::Write;
use std::path::Path;

use undertow_host::aggregate::aggregate;
use undertow_host::backend::Backend;
use undertow_host::fund::Fund;
use undertow_host::run::SweepOptions;
use undertow_host::scenarios::ScenarioConfig;
use undertow_kernel::ScenarioOutput;

use crate::error::EngineError;
use crate::output::Pending;
use crate::run::{check_scenarios, sweep_falling_back};

/// The sensitivity table's file.
pub const SENSITIVITY_CSV: &str = "sensitivity.csv";

/// Scenarios per variant by default (`--scenarios`).
pub const DEFAULT_SCENARIOS: u64 = 2_000;

/// Factors each range is scaled by, by default (`--factors`): half and one and a half times its
/// half-width about its centre.
pub const DEFAULT_FACTORS: [f64; 2] = [0.5, 1.5];

/// The `range` column of the base row (the fund's configuration unchanged, factor 1).
pub const BASE: &str = "base";

/// What to run.
#[derive(Clone, Debug, PartialEq)]
pub struct SensitivityRequest {
    /// Scenarios of every sweep (indices 0 to `scenarios - 1`, the same for every variant).
    pub scenarios: u64,
    pub seed: u64,
    /// The judgement ranges to move (`ScenarioConfig::judgement_ranges` names); empty: all.
    pub ranges: Vec<String>,
    /// The factors each range is scaled by.
    pub factors: Vec<f64>,
}

/// The metrics of one sweep, each over the stress library (conditional on stress).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Metrics {
    /// Share of scenarios whose redemptions were met in full.
    pub coverage: f64,
    pub gate_frequency: f64,
    pub shortfall_frequency: f64,
    /// Mean liquidation cost, basis points of initial NAV.
    pub mean_cost_bps: f64,
    /// Mean mark-to-market loss at the horizon, basis points of initial NAV.
    pub mean_mtm_loss_bps: f64,
    /// Liquidity at risk (requested outflow) over 30 days at 95%, fraction of initial NAV.
    pub lar_30d_95: f64,
    /// The same over 90 days.
    pub lar_90d_95: f64,
}

/// The metric columns, in the order of [`Metrics::values`].
pub const METRICS: [&str; 7] = [
    "coverage",
    "gate_frequency",
    "shortfall_frequency",
    "mean_cost_bps",
    "mean_mtm_loss_bps",
    "lar_30d_95",
    "lar_90d_95",
];

impl Metrics {
    /// The metrics of a sweep's records (the same definitions as `summary.json`'s headline and
    /// aggregate).
    pub fn of(outputs: &[ScenarioOutput]) -> Metrics {
        let agg = aggregate(outputs);
        let lar95 = |days: u32| {
            agg.liquidity_at_risk
                .iter()
                .find(|r| r.horizon_days == days)
                .map_or(f64::NAN, |r| r.lar[1])
        };
        let n = outputs.len().max(1) as f64;
        Metrics {
            coverage: agg.coverage,
            gate_frequency: agg.gate_frequency,
            shortfall_frequency: agg.shortfall_frequency,
            mean_cost_bps: agg.mean_cost * 1e4,
            mean_mtm_loss_bps: outputs.iter().map(|o| o.mtm_loss as f64).sum::<f64>() / n * 1e4,
            lar_30d_95: lar95(30),
            lar_90d_95: lar95(90),
        }
    }

    /// The values in the order of [`METRICS`].
    pub fn values(&self) -> [f64; 7] {
        [
            self.coverage,
            self.gate_frequency,
            self.shortfall_frequency,
            self.mean_cost_bps,
            self.mean_mtm_loss_bps,
            self.lar_30d_95,
            self.lar_90d_95,
        ]
    }
}

/// Where two sets of metrics differ by more than the tolerance: the first metric that does,
/// named with both values. Both `NaN` counts as equal (a horizon the fund does not reach).
pub fn compare(a: &Metrics, b: &Metrics, tolerance: f64) -> Result<(), String> {
    for ((name, x), y) in METRICS.iter().zip(a.values()).zip(b.values()) {
        let same = (x.is_nan() && y.is_nan()) || (x - y).abs() <= tolerance;
        if !same {
            return Err(format!("{name}: {x} against {y}"));
        }
    }
    Ok(())
}

/// One row of the table: a range scaled by a factor, and what the sweep gave.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// The range's name, or [`BASE`].
    pub range: String,
    pub factor: f64,
    pub metrics: Metrics,
}

/// The finished table, in memory: nothing is written until [`SensitivityOutcome::write`].
#[derive(Clone, Debug, PartialEq)]
pub struct SensitivityOutcome {
    pub scenarios: u64,
    pub seed: u64,
    /// The fund's configuration unchanged.
    pub base: Metrics,
    /// One per range and factor, ranges in the order asked for.
    pub rows: Vec<Row>,
}

/// Every variant to run, `(range, factor, configuration)`, checked before anything runs: bad
/// input naming the flag and the value for an unknown range or a factor that is not a finite
/// number at least 0.
pub fn variants(
    fund: &Fund,
    request: &SensitivityRequest,
) -> Result<Vec<(String, f64, ScenarioConfig)>, EngineError> {
    check_scenarios(request.scenarios)?;
    if request.factors.is_empty() {
        return Err(EngineError::BadInput(
            "flag --factors: give at least one factor".into(),
        ));
    }
    let names: Vec<String> = if request.ranges.is_empty() {
        ScenarioConfig::judgement_ranges()
            .into_iter()
            .map(String::from)
            .collect()
    } else {
        request.ranges.clone()
    };
    let mut out = Vec::new();
    for name in &names {
        for &factor in &request.factors {
            let cfg = fund
                .scenarios
                .with_range_scaled(name, factor)
                .map_err(|e| {
                    EngineError::BadInput(
                        if ScenarioConfig::judgement_ranges().contains(&name.as_str()) {
                            format!("flag --factors: {factor} (for {name}): {}", e.reason)
                        } else {
                            format!("flag --range: {name}: {}", e.reason)
                        },
                    )
                })?;
            out.push((name.clone(), factor, cfg));
        }
    }
    Ok(out)
}

/// Runs the base sweep and every variant on `backend`, calling `progress(done, total)` with
/// sweeps done.
pub fn sensitivity(
    fund: &Fund,
    request: &SensitivityRequest,
    backend: &dyn Backend,
    mut progress: impl FnMut(usize, usize),
) -> Result<SensitivityOutcome, EngineError> {
    let variants = variants(fund, request)?;
    let opts = SweepOptions {
        scenarios: request.scenarios,
        seed: request.seed,
        paths: 0,
    };
    let total = variants.len() + 1;
    let mut notices = Vec::new();
    let mut sweep_of = |f: &Fund| {
        sweep_falling_back(f, backend, &opts, &mut notices, |_, _| {}, &mut |_| {})
            .map(|s| Metrics::of(&s.outputs))
    };
    let base = sweep_of(fund)?;
    progress(1, total);
    let mut rows = Vec::with_capacity(variants.len());
    for (k, (range, factor, cfg)) in variants.into_iter().enumerate() {
        let mut f = fund.clone();
        f.scenarios = cfg;
        rows.push(Row {
            range,
            factor,
            metrics: sweep_of(&f)?,
        });
        progress(k + 2, total);
    }
    Ok(SensitivityOutcome {
        scenarios: request.scenarios,
        seed: request.seed,
        base,
        rows,
    })
}

impl SensitivityOutcome {
    /// The CSV header: `range`, `factor`, the metrics, then `delta_` and each metric.
    pub fn header() -> Vec<String> {
        let mut h = vec!["range".to_string(), "factor".to_string()];
        h.extend(METRICS.iter().map(|m| m.to_string()));
        h.extend(METRICS.iter().map(|m| format!("delta_{m}")));
        h
    }

    /// The CSV rows: the base row first (deltas 0), then every variant; each delta is the
    /// variant's metric less the base's.
    pub fn lines(&self) -> Vec<Vec<String>> {
        let line = |range: &str, factor: f64, m: &Metrics| {
            let mut l = vec![range.to_string(), factor.to_string()];
            l.extend(m.values().iter().map(|v| v.to_string()));
            l.extend(
                m.values()
                    .iter()
                    .zip(self.base.values())
                    .map(|(v, b)| (v - b).to_string()),
            );
            l
        };
        let mut out = vec![line(BASE, 1.0, &self.base)];
        out.extend(
            self.rows
                .iter()
                .map(|r| line(&r.range, r.factor, &r.metrics)),
        );
        out
    }

    /// Writes `sensitivity.csv` into `dir`, to a temporary renamed when complete: on any error
    /// nothing new is left there.
    pub fn write(&self, dir: &Path) -> Result<(), EngineError> {
        let mut out = Pending::new(dir)?;
        out.file(SENSITIVITY_CSV, |w| {
            writeln!(w, "{}", Self::header().join(","))?;
            for l in self.lines() {
                writeln!(w, "{}", l.join(","))?;
            }
            Ok(())
        })?;
        out.commit()
    }
}

/// Checks a `sensitivity.csv` text: the header, a base row with factor 1 and zero deltas, and in
/// every row each delta equal to its metric less the base row's (within `tolerance`). The error
/// names the line and the column.
pub fn check_csv(text: &str, tolerance: f64) -> Result<(), String> {
    let mut lines = text.lines();
    let header = lines.next().ok_or("sensitivity.csv is empty")?;
    if header != SensitivityOutcome::header().join(",") {
        return Err(format!("line 1: unexpected header {header:?}"));
    }
    let k = METRICS.len();
    let parse = |no: usize, line: &str| -> Result<(String, Vec<f64>), String> {
        let cells: Vec<&str> = line.split(',').collect();
        if cells.len() != 2 + 2 * k {
            return Err(format!(
                "line {no}: {} columns, not {}",
                cells.len(),
                2 + 2 * k
            ));
        }
        let nums = cells[1..]
            .iter()
            .enumerate()
            .map(|(j, c)| {
                c.parse::<f64>()
                    .map_err(|_| format!("line {no}, column {}: {c:?}", j + 2))
            })
            .collect::<Result<Vec<f64>, String>>()?;
        Ok((cells[0].to_string(), nums))
    };
    let base_line = lines.next().ok_or("line 2: no base row")?;
    let (name, base) = parse(2, base_line)?;
    if name != BASE || base[0] != 1.0 {
        return Err(format!(
            "line 2: {name:?} with factor {} is not the base row",
            base[0]
        ));
    }
    let close = |a: f64, b: f64| (a.is_nan() && b.is_nan()) || (a - b).abs() <= tolerance;
    for (i, line) in std::iter::once(base_line).chain(lines).enumerate() {
        let no = i + 2;
        let (_, v) = parse(no, line)?;
        for j in 0..k {
            let (metric, delta) = (v[1 + j], v[1 + k + j]);
            if !close(delta, metric - base[1 + j]) {
                return Err(format!(
                    "line {no}: delta_{} = {delta}, but {} - base = {}",
                    METRICS[j],
                    metric,
                    metric - base[1 + j]
                ));
            }
        }
    }
    Ok(())
}

//! Comparing two runs of the same scenarios (GPU against CPU, f32 against f64): per-scenario
//! agreement of continuous outputs within tolerances, identical discrete outcomes, aggregates
//! within tolerance, and the worst disagreement with both values.

use serde::Serialize;
use undertow_kernel::{output_field_names, ScenarioOutput};

use crate::aggregate::{aggregate, Aggregate};

/// Relative tolerance for a continuous output of one scenario (MODEL.md 8).
pub const REL_TOL: f64 = 1e-3;
/// Absolute floor under [`REL_TOL`], in fractions of initial NAV (and days, counts).
pub const ABS_TOL: f64 = 1e-5;
/// Share of scenarios that must agree on every continuous output.
pub const MIN_AGREEMENT: f64 = 0.999;
/// Share of scenarios that must agree on gate, shortfall and suspension.
pub const MIN_DISCRETE_AGREEMENT: f64 = 0.999;
/// Relative tolerance of aggregates (means, quantiles).
pub const AGG_REL_TOL: f64 = 1e-3;
/// Absolute tolerance of frequencies (coverage, survival, gate and shortfall frequencies):
/// 0.1 percentage point, what [`MIN_DISCRETE_AGREEMENT`] allows.
pub const FREQ_ABS_TOL: f64 = 1e-3;

/// Tolerances of one comparison.
#[derive(Clone, Copy, Debug, Serialize, PartialEq)]
pub struct Tolerances {
    pub rel: f64,
    pub abs: f64,
    pub min_agreement: f64,
    pub min_discrete_agreement: f64,
    pub agg_rel: f64,
    pub freq_abs: f64,
}

impl Default for Tolerances {
    fn default() -> Self {
        Tolerances {
            rel: REL_TOL,
            abs: ABS_TOL,
            min_agreement: MIN_AGREEMENT,
            min_discrete_agreement: MIN_DISCRETE_AGREEMENT,
            agg_rel: AGG_REL_TOL,
            freq_abs: FREQ_ABS_TOL,
        }
    }
}

/// The largest disagreement found.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Worst {
    pub scenario: usize,
    pub field: String,
    pub expected: f64,
    pub actual: f64,
    /// `|a - b| / (abs + rel * max(|a|, |b|))`: above 1 is outside tolerance.
    pub excess: f64,
}

/// What a comparison found.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Agreement {
    pub scenarios: usize,
    pub tolerances: Tolerances,
    /// Share of scenarios whose continuous outputs all agree.
    pub continuous: f64,
    /// Share of scenarios with identical gate, shortfall and suspension outcomes.
    pub discrete: f64,
    pub worst: Option<Worst>,
    /// Fields outside tolerance and in how many scenarios, most frequent first.
    pub field_failures: Vec<(String, usize)>,
    /// Aggregates outside tolerance, as "name: expected vs actual".
    pub aggregate_failures: Vec<String>,
    pub passed: bool,
}

impl std::fmt::Display for Agreement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "{} scenarios: continuous outputs agree in {:.3}% (need {:.1}%), discrete outcomes in {:.3}% (need {:.1}%)",
            self.scenarios,
            self.continuous * 100.0,
            self.tolerances.min_agreement * 100.0,
            self.discrete * 100.0,
            self.tolerances.min_discrete_agreement * 100.0
        )?;
        if let Some(w) = &self.worst {
            writeln!(
                f,
                "worst: scenario {} field {}: expected {} got {} ({:.3}x the tolerance {} rel + {} abs)",
                w.scenario, w.field, w.expected, w.actual, w.excess, self.tolerances.rel, self.tolerances.abs
            )?;
        }
        if !self.field_failures.is_empty() {
            let top: Vec<String> = self
                .field_failures
                .iter()
                .take(6)
                .map(|(f, n)| format!("{f} ({n})"))
                .collect();
            writeln!(
                f,
                "fields outside tolerance (scenarios): {}",
                top.join(", ")
            )?;
        }
        if self.aggregate_failures.is_empty() {
            writeln!(
                f,
                "aggregates agree within {} relative",
                self.tolerances.agg_rel
            )?;
        } else {
            for a in &self.aggregate_failures {
                writeln!(f, "aggregate outside tolerance: {a}")?;
            }
        }
        write!(f, "{}", if self.passed { "PASS" } else { "FAIL" })
    }
}

fn excess(a: f64, b: f64, t: &Tolerances) -> f64 {
    if a == b {
        return 0.0;
    }
    if !a.is_finite() || !b.is_finite() {
        return f64::INFINITY;
    }
    (a - b).abs() / (t.abs + t.rel * a.abs().max(b.abs()))
}

fn discrete(o: &ScenarioOutput) -> (bool, bool, bool) {
    (o.gate_days > 0.0, o.shortfall > 0.0, o.suspended > 0.0)
}

fn aggregate_pairs(a: &Aggregate) -> Vec<(String, f64, bool)> {
    let mut v = vec![
        ("coverage".to_string(), a.coverage, true),
        ("survival".into(), a.survival, true),
        ("gate_frequency".into(), a.gate_frequency, true),
        ("shortfall_frequency".into(), a.shortfall_frequency, true),
        ("suspension_frequency".into(), a.suspension_frequency, true),
        ("mean_cost".into(), a.mean_cost, false),
    ];
    for r in &a.liquidity_at_risk {
        for (k, c) in crate::aggregate::LAR_CONFIDENCES.iter().enumerate() {
            v.push((
                format!("liquidity_at_risk {}d {}%", r.horizon_days, c * 100.0),
                r.lar[k],
                false,
            ));
        }
    }
    for f in &a.fields {
        if !(f.field.ends_with("_day") || f.field.starts_with("ew_")) {
            v.push((format!("mean {}", f.field), f.mean, false));
        }
    }
    v
}

/// Compares `actual` against `expected`, scenario by scenario and in aggregate.
pub fn compare(
    expected: &[ScenarioOutput],
    actual: &[ScenarioOutput],
    t: &Tolerances,
) -> Agreement {
    let names = output_field_names();
    let n = expected.len().min(actual.len());
    let (mut agree, mut agree_discrete) = (0usize, 0usize);
    let mut worst: Option<Worst> = None;
    let mut per_field = vec![0usize; names.len()];
    for k in 0..n {
        let (e, a) = (&expected[k], &actual[k]);
        let mut ok = true;
        for (j, (x, y)) in e.as_words().iter().zip(a.as_words()).enumerate() {
            let ex = excess(*x as f64, *y as f64, t);
            if ex > 1.0 {
                ok = false;
                per_field[j] += 1;
            }
            if ex > worst.as_ref().map_or(0.0, |w| w.excess) {
                worst = Some(Worst {
                    scenario: k,
                    field: names[j].clone(),
                    expected: *x as f64,
                    actual: *y as f64,
                    excess: ex,
                });
            }
        }
        agree += ok as usize;
        agree_discrete += (discrete(e) == discrete(a)) as usize;
    }
    let denom = n.max(1) as f64;
    let (ea, aa) = (aggregate(&expected[..n]), aggregate(&actual[..n]));
    let mut aggregate_failures = Vec::new();
    for ((name, x, freq), (_, y, _)) in aggregate_pairs(&ea).into_iter().zip(aggregate_pairs(&aa)) {
        let bad = if freq {
            (x - y).abs() > t.freq_abs
        } else {
            !(x.is_nan() && y.is_nan())
                && excess(
                    x,
                    y,
                    &Tolerances {
                        rel: t.agg_rel,
                        ..*t
                    },
                ) > 1.0
        };
        if bad {
            aggregate_failures.push(format!("{name}: {x} vs {y}"));
        }
    }
    let mut field_failures: Vec<(String, usize)> = names
        .iter()
        .cloned()
        .zip(per_field)
        .filter(|(_, c)| *c > 0)
        .collect();
    field_failures.sort_by_key(|f| std::cmp::Reverse(f.1));
    let continuous = agree as f64 / denom;
    let discrete = agree_discrete as f64 / denom;
    let passed = expected.len() == actual.len()
        && continuous >= t.min_agreement
        && discrete >= t.min_discrete_agreement
        && aggregate_failures.is_empty();
    Agreement {
        scenarios: n,
        tolerances: *t,
        continuous,
        discrete,
        worst,
        field_failures,
        aggregate_failures,
        passed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn records(n: usize) -> Vec<ScenarioOutput> {
        (0..n)
            .map(|k| {
                let mut o = ScenarioOutput {
                    nav_end: 1.0 - k as f32 * 1e-4,
                    cost_impact: 1e-3 * k as f32,
                    ..Default::default()
                };
                o.gate_days = (k % 7 == 0) as u32 as f32;
                o
            })
            .collect()
    }

    #[test]
    fn identical_runs_pass() {
        let a = records(2000);
        let r = compare(&a, &a, &Tolerances::default());
        assert!(r.passed, "{r}");
        assert_eq!(r.continuous, 1.0);
    }

    #[test]
    fn a_corrupted_field_fails_and_is_named() {
        let a = records(2000);
        let mut b = a.clone();
        for o in b.iter_mut().step_by(100) {
            o.cost_impact *= 1.01;
        }
        let r = compare(&a, &b, &Tolerances::default());
        assert!(!r.passed, "{r}");
        assert_eq!(r.worst.as_ref().unwrap().field, "cost_impact");
        assert!(r.continuous < 0.999);
    }

    #[test]
    fn a_flipped_gate_fails_the_discrete_check() {
        let a = records(1000);
        let mut b = a.clone();
        b[3].gate_days = 1.0;
        b[4].gate_days = 1.0;
        let r = compare(&a, &b, &Tolerances::default());
        assert!(!r.passed);
        assert!(r.discrete < 0.999);
    }

    #[test]
    fn a_biased_aggregate_fails_even_within_per_scenario_tolerance() {
        let a = records(1000);
        let mut b = a.clone();
        // Every scenario off by 0.9 tolerance in the same direction moves the mean.
        for o in &mut b {
            o.nav_end *= 1.0 + 0.9e-3;
        }
        let r = compare(
            &a,
            &b,
            &Tolerances {
                agg_rel: 1e-4,
                ..Default::default()
            },
        );
        assert!(!r.passed, "{r}");
        assert!(!r.aggregate_failures.is_empty());
    }

    #[test]
    fn nan_never_agrees() {
        let a = records(10);
        let mut b = a.clone();
        b[0].nav_end = f32::NAN;
        assert!(!compare(&a, &b, &Tolerances::default()).passed);
    }
}

//! Stage 5, the redemption policy formulator: the reverse stress test (MODEL.md section 7.5) —
//! instead of asking what a given shock does to the fund, ask which shocks break it.
//!
//! **Failure** of a scenario: a shortfall or a gate (`!aggregate::survived`: `shortfall > 0` or
//! `gate_days > 0`), or with `shortfall_only` a shortfall alone.
//!
//! **Shocks.** A point `(s, r)` is a market severity `s` and a redemption severity `r`, both in
//! [0, 1]; its scenarios come from [`ScenarioGenerator::at_severity`]: the market-wide family at
//! market severity exactly `s` (each class at its kind's sensitivity times `s`, plus class
//! noise) and the redemption ranges (`severity`, `mult`, `large_mult`) at point `r`, everything
//! else (class noise, timing, regime draw) from `(seed, index)`. The generator is monotone: with
//! the index fixed, a higher `s` or `r` never makes any shock parameter milder (tested).
//!
//! **The map.** Each grid point is a small Monte Carlo of `N` scenarios with distinct indices
//! `0..N` (default 100); every point uses the same indices, so points differ by severity alone
//! (common random numbers) and the map is monotone wherever the model is. The failure
//! probability `p(s, r)` is the share of the `N` that fail; its standard error is at most
//! `0.5/√N` (5 points at `N = 100`).
//!
//! **Least severe failing point**: among grid points with `p ≥ level` (default 0.5), the one
//! closest to the calm corner in the Euclidean norm `√(s² + r²)` (both severities on their own
//! unit scale); ties go to the higher failure probability, then the lower market severity.
//!
//! **Frontier**: along each market-severity column, the redemption severity at which `p` first
//! reaches `level`. The map's column brackets it (the first grid interval where `p` reaches the
//! level; the ends 0 and 1 are evaluated when the grid does not include them), then a bisection
//! with a fixed number of steps (default 8: a bracket of 1/6 narrows to 1/1536, finer than 10
//! halvings of [0, 1]) refines it on the same `N` indices at every step, so that `p(s, ·)` is one
//! fixed step function of `r`, monotone wherever the model is. The reported severity is the upper
//! end of the final bracket (the least severity seen to fail at the level); a column that fails
//! at `r = 0` reports 0, one that never reaches the level at `r = 1` reports none.

use serde::Serialize;
use undertow_kernel::{ScenarioOutput, ScenarioParams};

use super::config::ReverseStressConfig;
use crate::findings::{finding, p1, Finding};
use crate::graph::StageId;
use crate::sim::Simulator;
use crate::table::{header, num, Table};
use undertow_host::aggregate::survived;
use undertow_host::fund::{ClassKind, Fund};
use undertow_host::scenarios::generate::risk_class_shock;
use undertow_host::scenarios::ScenarioGenerator;

/// `n` evenly spaced points on [0, 1], ends included.
pub fn unit_grid(n: usize) -> Vec<f64> {
    if n <= 1 {
        return vec![0.0; n];
    }
    (0..n).map(|i| i as f64 / (n - 1) as f64).collect()
}

/// Whether a scenario failed: a shortfall, or (unless `shortfall_only`) a gate.
pub fn failed(o: &ScenarioOutput, shortfall_only: bool) -> bool {
    if shortfall_only {
        o.shortfall > 0.0
    } else {
        !survived(o)
    }
}

/// Where a monotone failure probability first reaches a level on [0, 1].
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Crossing {
    /// The least severity seen to reach the level (upper end of the final bracket); `None` when
    /// even severity 1 stays below it.
    pub severity: Option<f64>,
    /// The failure probability there.
    pub probability: Option<f64>,
    /// The final bracket's lower end: the crossing lies in `(lower, severity]` (0 when severity
    /// 0 already fails).
    pub lower: Option<f64>,
    /// Evaluations of the probability.
    pub evaluations: u32,
}

/// Bisection on [0, 1] for the least `x` with `p(x) ≥ level`, `p` non-decreasing: `p(1)` first
/// (below the level: no crossing), then `p(0)` (at or above: the crossing is 0), then `steps`
/// halvings keeping `p(lo) < level ≤ p(hi)`. The crossing lies in `(lo, hi]` with
/// `hi − lo = 2^−steps`; `hi` is returned.
pub fn bisect_crossing(p: impl FnMut(f64) -> f64, level: f64, steps: u32) -> Crossing {
    bisect_from_grid(&[], p, level, steps)
}

/// As [`bisect_crossing`], starting from probabilities already known at `grid` points
/// (`(severity, probability)`, severities increasing in [0, 1]): the bracket is the first grid
/// interval where the probability reaches the level (extended to 0 and 1 by evaluating `p`
/// there when the grid does not reach them), then `steps` halvings inside it.
pub fn bisect_from_grid(
    grid: &[(f64, f64)],
    mut p: impl FnMut(f64) -> f64,
    level: f64,
    steps: u32,
) -> Crossing {
    let mut evaluations = 0u32;
    let mut points: Vec<(f64, f64)> = grid.to_vec();
    if points.last().is_none_or(|&(x, _)| x < 1.0) {
        evaluations += 1;
        points.push((1.0, p(1.0)));
    }
    let none = |evaluations| Crossing {
        severity: None,
        probability: None,
        lower: None,
        evaluations,
    };
    let Some(first) = points.iter().position(|&(_, q)| q >= level) else {
        return none(evaluations);
    };
    let (lo, (hi, at_hi)) = if first == 0 {
        let (x0, q0) = points[0];
        if x0 <= 0.0 {
            return Crossing {
                severity: Some(0.0),
                probability: Some(q0),
                lower: Some(0.0),
                evaluations,
            };
        }
        evaluations += 1;
        let at_zero = p(0.0);
        if at_zero >= level {
            return Crossing {
                severity: Some(0.0),
                probability: Some(at_zero),
                lower: Some(0.0),
                evaluations,
            };
        }
        (0.0, (x0, q0))
    } else {
        (points[first - 1].0, points[first])
    };
    let (mut lo, mut hi, mut at_hi) = (lo, hi, at_hi);
    for _ in 0..steps {
        let mid = 0.5 * (lo + hi);
        evaluations += 1;
        let pm = p(mid);
        if pm >= level {
            hi = mid;
            at_hi = pm;
        } else {
            lo = mid;
        }
    }
    Crossing {
        severity: Some(hi),
        probability: Some(at_hi),
        lower: Some(lo),
        evaluations,
    }
}

/// A point of the severity grid.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct SeverityPoint {
    pub market_severity: f64,
    pub redemption_severity: f64,
    pub failure_probability: f64,
}

/// One column's crossing.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct FrontierPoint {
    pub market_severity: f64,
    /// Redemption severity where the failure probability reaches the level; `None`: never.
    pub redemption_severity: Option<f64>,
    pub failure_probability: Option<f64>,
    /// The crossing lies in `(bracket_low, redemption_severity]`.
    pub bracket_low: Option<f64>,
}

/// The reverse stress report (`redemption_policy.reverse_stress`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReverseStress {
    pub scenarios_per_point: u64,
    pub market_severity: Vec<f64>,
    pub redemption_severity: Vec<f64>,
    /// `[redemption index][market index]`.
    pub failure_probability: Vec<Vec<f64>>,
    /// Shortfall and gate probabilities alone, same layout.
    pub shortfall_probability: Vec<Vec<f64>>,
    pub gate_probability: Vec<Vec<f64>>,
    /// "shortfall_or_gate" or "shortfall".
    pub failure: &'static str,
    pub level: f64,
    /// Norm ordering the grid points by combined severity.
    pub norm: &'static str,
    pub least_severe: Option<SeverityPoint>,
    pub bisection_steps: u32,
    pub frontier: Vec<FrontierPoint>,
    /// Adjacent grid pairs (one step up in either severity) whose failure probability falls,
    /// and the largest such fall (0 when none): sampling noise cannot cause these on common
    /// random numbers, only the model's own non-monotonicity.
    pub monotone_violations: u64,
    pub largest_violation: f64,
    /// Scenarios simulated.
    pub simulated: u64,
}

/// Failure, shortfall and gate probabilities of `fund` at one point.
struct PointResult {
    failure: f64,
    shortfall: f64,
    gate: f64,
}

/// Simulates the `n` scenarios of point `(s, r)` (indices `0..n`).
fn point(
    fund: &Fund,
    generator: &ScenarioGenerator,
    sim: &Simulator,
    seed: u64,
    (s, r): (f64, f64),
    n: u64,
    shortfall_only: bool,
) -> PointResult {
    let scenarios: Vec<ScenarioParams> = (0..n)
        .map(|i| generator.at_severity(seed, i, s, r))
        .collect();
    let outs = sim.run(&fund.model, &scenarios, 0, seed);
    let share = |f: &dyn Fn(&ScenarioOutput) -> bool| {
        outs.iter().filter(|o| f(o)).count() as f64 / n.max(1) as f64
    };
    PointResult {
        failure: share(&|o| failed(o, shortfall_only)),
        shortfall: share(&|o| o.shortfall > 0.0),
        gate: share(&|o| o.gate_days > 0.0),
    }
}

/// The failure probability of `fund` at `(s, r)`: the share of scenarios `0..n` of
/// [`ScenarioGenerator::at_severity`] that fail.
pub fn failure_probability(
    fund: &Fund,
    sim: &Simulator,
    seed: u64,
    severities: (f64, f64),
    n: u64,
    shortfall_only: bool,
) -> f64 {
    let generator = ScenarioGenerator::new(fund, &fund.scenarios);
    point(fund, &generator, sim, seed, severities, n, shortfall_only).failure
}

/// The least severe failing point of a map (module documentation).
pub fn least_severe(
    market: &[f64],
    redemption: &[f64],
    probability: &[Vec<f64>],
    level: f64,
) -> Option<SeverityPoint> {
    let mut best: Option<SeverityPoint> = None;
    for (i, &r) in redemption.iter().enumerate() {
        for (j, &s) in market.iter().enumerate() {
            let p = probability[i][j];
            if p < level {
                continue;
            }
            let candidate = SeverityPoint {
                market_severity: s,
                redemption_severity: r,
                failure_probability: p,
            };
            let norm = |q: &SeverityPoint| q.market_severity.hypot(q.redemption_severity);
            let better = match &best {
                None => true,
                Some(b) => {
                    let (nc, nb) = (norm(&candidate), norm(b));
                    nc < nb
                        || (nc == nb
                            && (p > b.failure_probability
                                || (p == b.failure_probability && s < b.market_severity)))
                }
            };
            if better {
                best = Some(candidate);
            }
        }
    }
    best
}

/// Falls in probability between neighbouring grid points (one step up in either severity).
fn violations(probability: &[Vec<f64>]) -> (u64, f64) {
    let (mut count, mut largest) = (0u64, 0.0f64);
    for (i, row) in probability.iter().enumerate() {
        for (j, &p) in row.iter().enumerate() {
            let ups = [
                probability.get(i + 1).map(|r| r[j]),
                row.get(j + 1).copied(),
            ];
            for q in ups.into_iter().flatten() {
                if q < p {
                    count += 1;
                    largest = largest.max(p - q);
                }
            }
        }
    }
    (count, largest)
}

/// The reverse stress test of `fund` (module documentation).
pub fn reverse_stress(
    fund: &Fund,
    seed: u64,
    sim: &Simulator,
    cfg: &ReverseStressConfig,
) -> ReverseStress {
    let generator = ScenarioGenerator::new(fund, &fund.scenarios);
    let n = cfg.scenarios_per_point;
    let (ms, rs) = (&cfg.market_severity, &cfg.redemption_severity);
    let mut simulated = 0u64;
    let mut failure = vec![vec![0.0; ms.len()]; rs.len()];
    let mut shortfall = failure.clone();
    let mut gate = failure.clone();
    for (i, &r) in rs.iter().enumerate() {
        for (j, &s) in ms.iter().enumerate() {
            let p = point(fund, &generator, sim, seed, (s, r), n, cfg.shortfall_only);
            simulated += n;
            failure[i][j] = p.failure;
            shortfall[i][j] = p.shortfall;
            gate[i][j] = p.gate;
        }
    }
    let frontier = ms
        .iter()
        .enumerate()
        .map(|(j, &s)| {
            // The map's column (same indices) brackets the crossing; bisection refines it.
            let column: Vec<(f64, f64)> = rs
                .iter()
                .zip(&failure)
                .map(|(&r, row)| (r, row[j]))
                .collect();
            let crossing = bisect_from_grid(
                &column,
                |r| {
                    simulated += n;
                    point(fund, &generator, sim, seed, (s, r), n, cfg.shortfall_only).failure
                },
                cfg.level,
                cfg.bisection_steps,
            );
            FrontierPoint {
                market_severity: s,
                redemption_severity: crossing.severity,
                failure_probability: crossing.probability,
                bracket_low: crossing.lower,
            }
        })
        .collect();
    let (monotone_violations, largest_violation) = violations(&failure);
    ReverseStress {
        scenarios_per_point: n,
        market_severity: ms.clone(),
        redemption_severity: rs.clone(),
        least_severe: least_severe(ms, rs, &failure, cfg.level),
        failure_probability: failure,
        shortfall_probability: shortfall,
        gate_probability: gate,
        failure: cfg.failure_name(),
        level: cfg.level,
        norm: "euclidean",
        bisection_steps: cfg.bisection_steps,
        frontier,
        monotone_violations,
        largest_violation,
        simulated,
    }
}

/// What a severity pair means on this fund: the redemption intensity multiple and the equity
/// spread widening (at full stress) it sets.
fn describe(fund: &Fund, s: f64, r: f64) -> (f64, f64, String) {
    let cfg = &fund.scenarios;
    let mult = cfg.redemption.mult.lerp_log(r);
    let spread = risk_class_shock(&cfg.market, ClassKind::Equity, s).spread_mult;
    let text = format!(
        "redemption intensity x{mult:.2} of base rates, equity spreads widening x{spread:.1}"
    );
    (mult, spread, text)
}

/// The reverse stress findings.
pub fn findings(fund: &Fund, rs: &ReverseStress) -> Vec<Finding> {
    let stage = StageId::RedemptionPolicy;
    let what = if rs.failure == "shortfall" {
        "a shortfall"
    } else {
        "a shortfall or a gate"
    };
    let mut out = Vec::new();
    match &rs.least_severe {
        Some(p) => {
            let (mult, spread, text) = describe(fund, p.market_severity, p.redemption_severity);
            out.push(finding(
                stage,
                "reverse_stress_least_severe",
                format!(
                    "The least severe shock on the {}x{} grid that causes {what} in at least {} of \
                     {} scenarios is market severity {:.3} with redemption severity {:.3} ({text}): \
                     failure probability {}",
                    rs.market_severity.len(),
                    rs.redemption_severity.len(),
                    p1(rs.level),
                    rs.scenarios_per_point,
                    p.market_severity,
                    p.redemption_severity,
                    p1(p.failure_probability)
                ),
                &[
                    ("market_severity", p.market_severity),
                    ("redemption_severity", p.redemption_severity),
                    ("failure_probability", p.failure_probability),
                    ("redemption_mult", mult),
                    ("equity_spread_mult", spread),
                    ("level", rs.level),
                ],
            ));
        }
        None => out.push(finding(
            stage,
            "reverse_stress_least_severe",
            format!(
                "No shock on the grid causes {what} in at least {} of {} scenarios: the fund \
                 withstands even market and redemption severity 1 at that level",
                p1(rs.level),
                rs.scenarios_per_point
            ),
            &[("level", rs.level)],
        )),
    }
    let corner = |i: usize, j: usize| {
        rs.failure_probability
            .get(i)
            .and_then(|row| row.get(j))
            .copied()
            .unwrap_or(f64::NAN)
    };
    let (calm, worst) = (
        corner(0, 0),
        corner(
            rs.redemption_severity.len().saturating_sub(1),
            rs.market_severity.len().saturating_sub(1),
        ),
    );
    let crossings: Vec<String> = rs
        .frontier
        .iter()
        .map(|f| {
            format!(
                "{:.2}: {}",
                f.market_severity,
                f.redemption_severity
                    .map_or_else(|| "none".to_string(), |r| format!("{r:.3}"))
            )
        })
        .collect();
    let reached = rs
        .frontier
        .iter()
        .filter(|f| f.redemption_severity.is_some())
        .count();
    out.push(finding(
        stage,
        "reverse_stress_frontier",
        format!(
            "Failure probability runs from {} at the calm corner to {} at the worst; the \
             redemption severity at which it reaches {} (bisection, {} steps, same {} scenarios at \
             every step), by market severity: {}; {} of {} market severities reach it",
            p1(calm),
            p1(worst),
            p1(rs.level),
            rs.bisection_steps,
            rs.scenarios_per_point,
            crossings.join(", "),
            reached,
            rs.frontier.len()
        ),
        &[
            ("calm_failure_probability", calm),
            ("worst_failure_probability", worst),
            ("columns_reaching_level", reached as f64),
            ("monotone_violations", rs.monotone_violations as f64),
        ],
    ));
    out
}

/// `reverse_stress_map.csv`: one row per grid point.
pub fn tables(rs: &ReverseStress) -> Vec<Table> {
    let mut rows = Vec::new();
    for (i, &r) in rs.redemption_severity.iter().enumerate() {
        for (j, &s) in rs.market_severity.iter().enumerate() {
            rows.push(vec![
                num(s),
                num(r),
                num(rs.failure_probability[i][j]),
                num(rs.shortfall_probability[i][j]),
                num(rs.gate_probability[i][j]),
                (rs.failure_probability[i][j] >= rs.level).to_string(),
            ]);
        }
    }
    vec![Table {
        file: "reverse_stress_map.csv",
        header: header(&[
            "market_severity",
            "redemption_severity",
            "failure_probability",
            "shortfall_probability",
            "gate_probability",
            "fails_at_level",
        ]),
        rows,
    }]
}

//! Stage 5, the redemption policy formulator: the reverse stress test (MODEL.md section 7.5) —
//! instead of asking what a given shock does to the fund, ask which shocks break it.
//!
//! **Two maps, kept apart** (issue 10). A gate is a policy the fund chooses, not a failure to
//! pay; counting it as failure made the failure map a gate map. So each grid point records:
//!
//! - the **shortfall map** — failure to pay: accepted redemptions left unpaid at some point
//!   (`first_shortfall_day ≥ 0`, or `suspended`). This is the headline: the least severe failing
//!   point, the frontier and the findings use it (`failure_probability` is this map);
//! - the **gate map** — the fund gated (`first_gate_day ≥ 0`), reported beside it with its own
//!   least severe point and frontier.
//!
//! Each cell carries its scenario count, the count of shortfalls and of gates, and their Wilson
//! 95% intervals ([`crate::stats`]). The verdicts are conditional on the severity grid's
//! scenarios ([`CONDITIONAL_ON`]).
//!
//! **Shocks.** A point `(s, r)` is a market severity `s` and a redemption severity `r`, both in
//! [0, 1]; its scenarios come from [`ScenarioGenerator::at_severity`]: the market-wide family at
//! market severity exactly `s` (each class at its kind's sensitivity times `s`, plus class
//! noise) and the redemption ranges (`severity`, `mult`, `large_mult`) at point `r`, everything
//! else (class noise, timing, regime draw) from `(seed, index)`. The generator is monotone: with
//! the index fixed, a higher `s` or `r` never makes any shock parameter milder (tested).
//!
//! **The maps.** Each grid point is a small Monte Carlo of `N` scenarios with distinct indices
//! `0..N` (default 100); every point uses the same indices, so points differ by severity alone
//! (common random numbers) and the map is monotone wherever the model is. The failure
//! probability `p(s, r)` is the share of the `N` that fail; its standard error is at most
//! `0.5/√N` (5 points at `N = 100`), and its Wilson interval is reported with it.
//!
//! **Least severe failing point**: among grid points with `p ≥ level` (default 0.5), the one
//! closest to the calm corner in the Euclidean norm `√(s² + r²)` (both severities on their own
//! unit scale); ties go to the higher failure probability, then the lower market severity. The
//! point carries its interval and whether the interval clears the level (`level_verdict`).
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
use crate::stats::{verdict, wilson, Verdict, Z95};
use crate::table::{header, num, Table};
use undertow_host::backend::BackendError;
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

/// What the reverse-stress verdicts are conditional on.
pub const CONDITIONAL_ON: &str =
    "the severity grid (the market-wide stress family at each market severity)";

/// Failure to pay: the scenario left accepted redemptions unpaid at some point (its first
/// shortfall day is set, or it was suspended).
pub fn fell_short(o: &ScenarioOutput) -> bool {
    o.first_shortfall_day >= 0.0 || o.suspended > 0.0
}

/// The fund gated at some point (its first gate day is set).
pub fn gated(o: &ScenarioOutput) -> bool {
    o.first_gate_day >= 0.0
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
    /// Wilson 95% interval of the probability, and the interval against the level.
    pub low: f64,
    pub high: f64,
    pub level_verdict: Verdict,
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

/// One map over the grid (`[redemption index][market index]`): counts, shares and intervals.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Map {
    pub count: Vec<Vec<u64>>,
    pub probability: Vec<Vec<f64>>,
    pub low: Vec<Vec<f64>>,
    pub high: Vec<Vec<f64>>,
}

impl Map {
    fn new(rows: usize, cols: usize) -> Map {
        Map {
            count: vec![vec![0; cols]; rows],
            probability: vec![vec![0.0; cols]; rows],
            low: vec![vec![0.0; cols]; rows],
            high: vec![vec![1.0; cols]; rows],
        }
    }

    fn set(&mut self, i: usize, j: usize, x: u64, n: u64) {
        self.count[i][j] = x;
        self.probability[i][j] = x as f64 / n.max(1) as f64;
        let (lo, hi) = wilson(x, n, Z95).unwrap_or((0.0, 1.0));
        self.low[i][j] = lo;
        self.high[i][j] = hi;
    }
}

/// The reverse stress report (`redemption_policy.reverse_stress`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReverseStress {
    pub scenarios_per_point: u64,
    pub market_severity: Vec<f64>,
    pub redemption_severity: Vec<f64>,
    /// The headline map, `[redemption index][market index]`: the shortfall probability
    /// (failure to pay), the same numbers as `shortfall.probability`.
    pub failure_probability: Vec<Vec<f64>>,
    /// Failure to pay: counts of `scenarios_per_point`, shares and Wilson 95% intervals.
    pub shortfall: Map,
    /// Gated, beside it.
    pub gate: Map,
    /// What the headline counts: "shortfall" (failure to pay).
    pub failure: &'static str,
    pub level: f64,
    /// Norm ordering the grid points by combined severity.
    pub norm: &'static str,
    /// Least severe point of the shortfall map at the level (the headline).
    pub least_severe: Option<SeverityPoint>,
    /// Least severe point of the gate map at the level.
    pub gate_least_severe: Option<SeverityPoint>,
    pub bisection_steps: u32,
    /// The shortfall map's frontier (the headline).
    pub frontier: Vec<FrontierPoint>,
    /// The gate map's frontier.
    pub gate_frontier: Vec<FrontierPoint>,
    /// Adjacent grid pairs (one step up in either severity) whose shortfall probability falls,
    /// and the largest such fall (0 when none): sampling noise cannot cause these on common
    /// random numbers, only the model's own non-monotonicity.
    pub monotone_violations: u64,
    pub largest_violation: f64,
    /// The same for the gate map.
    pub gate_monotone_violations: u64,
    /// What the verdicts are conditional on.
    pub conditional_on: &'static str,
    /// Scenarios simulated.
    pub simulated: u64,
}

/// Shortfall and gate counts of `fund` at one point, of `n`.
struct PointResult {
    shortfalls: u64,
    gates: u64,
    n: u64,
}

impl PointResult {
    fn shortfall(&self) -> f64 {
        self.shortfalls as f64 / self.n.max(1) as f64
    }
    fn gate(&self) -> f64 {
        self.gates as f64 / self.n.max(1) as f64
    }
}

/// Counts shortfalls and gates in a point's records.
fn count(outs: &[ScenarioOutput]) -> PointResult {
    PointResult {
        shortfalls: outs.iter().filter(|o| fell_short(o)).count() as u64,
        gates: outs.iter().filter(|o| gated(o)).count() as u64,
        n: outs.len() as u64,
    }
}

/// Simulates the `n` scenarios of point `(s, r)` (indices `0..n`), on the simulator view's
/// device where it has one ([`Simulator::run_on_device`]): every point of the maps and the
/// frontiers on the one device.
fn point(
    fund: &Fund,
    generator: &ScenarioGenerator,
    sim: &Simulator,
    seed: u64,
    (s, r): (f64, f64),
    n: u64,
) -> Result<PointResult, BackendError> {
    let scenarios: Vec<ScenarioParams> = (0..n)
        .map(|i| generator.at_severity(seed, i, s, r))
        .collect();
    Ok(count(&sim.run_on_device(
        &fund.model,
        &scenarios,
        0,
        seed,
    )?))
}

/// The shortfall (failure to pay) probability of `fund` at `(s, r)`: the share of scenarios
/// `0..n` of [`ScenarioGenerator::at_severity`] that fall short.
pub fn failure_probability(
    fund: &Fund,
    sim: &Simulator,
    seed: u64,
    severities: (f64, f64),
    n: u64,
) -> Result<f64, BackendError> {
    let generator = ScenarioGenerator::new(fund, &fund.scenarios);
    Ok(point(fund, &generator, sim, seed, severities, n)?.shortfall())
}

/// The least severe failing point of a map (module documentation).
pub fn least_severe(
    market: &[f64],
    redemption: &[f64],
    map: &Map,
    level: f64,
) -> Option<SeverityPoint> {
    let probability = &map.probability;
    let mut best: Option<SeverityPoint> = None;
    for (i, &r) in redemption.iter().enumerate() {
        for (j, &s) in market.iter().enumerate() {
            let p = probability[i][j];
            if p < level {
                continue;
            }
            let (low, high) = (map.low[i][j], map.high[i][j]);
            let candidate = SeverityPoint {
                market_severity: s,
                redemption_severity: r,
                failure_probability: p,
                low,
                high,
                level_verdict: verdict(low, high, level),
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

/// The frontier of one map: per market-severity column, the grid brackets the crossing and a
/// bisection on the same indices refines it (`which` reads the map's probability of a point).
fn frontier_of(
    cfg: &ReverseStressConfig,
    probability: &[Vec<f64>],
    mut at: impl FnMut(f64, f64) -> f64,
) -> Vec<FrontierPoint> {
    let (ms, rs) = (&cfg.market_severity, &cfg.redemption_severity);
    ms.iter()
        .enumerate()
        .map(|(j, &s)| {
            let column: Vec<(f64, f64)> = rs
                .iter()
                .zip(probability)
                .map(|(&r, row)| (r, row[j]))
                .collect();
            let crossing = bisect_from_grid(&column, |r| at(s, r), cfg.level, cfg.bisection_steps);
            FrontierPoint {
                market_severity: s,
                redemption_severity: crossing.severity,
                failure_probability: crossing.probability,
                bracket_low: crossing.lower,
            }
        })
        .collect()
}

/// The report from the two maps already counted, and their frontiers.
pub fn report_of(
    cfg: &ReverseStressConfig,
    shortfall: Map,
    gate: Map,
    frontier: Vec<FrontierPoint>,
    gate_frontier: Vec<FrontierPoint>,
    simulated: u64,
) -> ReverseStress {
    let (ms, rs) = (&cfg.market_severity, &cfg.redemption_severity);
    let (monotone_violations, largest_violation) = violations(&shortfall.probability);
    let (gate_monotone_violations, _) = violations(&gate.probability);
    ReverseStress {
        scenarios_per_point: cfg.scenarios_per_point,
        market_severity: ms.clone(),
        redemption_severity: rs.clone(),
        least_severe: least_severe(ms, rs, &shortfall, cfg.level),
        gate_least_severe: least_severe(ms, rs, &gate, cfg.level),
        failure_probability: shortfall.probability.clone(),
        shortfall,
        gate,
        failure: "shortfall",
        level: cfg.level,
        norm: "euclidean",
        bisection_steps: cfg.bisection_steps,
        frontier,
        gate_frontier,
        monotone_violations,
        largest_violation,
        gate_monotone_violations,
        conditional_on: CONDITIONAL_ON,
        simulated,
    }
}

/// The two maps from each grid point's records (`records[i][j]`: redemption index `i`, market
/// index `j`), without frontiers: what the maps make of the records, for tests and callers
/// holding records already.
pub fn maps_of(records: &[Vec<Vec<ScenarioOutput>>]) -> (Map, Map) {
    let rows = records.len();
    let cols = records.first().map_or(0, |r| r.len());
    let (mut shortfall, mut gate) = (Map::new(rows, cols), Map::new(rows, cols));
    for (i, row) in records.iter().enumerate() {
        for (j, outs) in row.iter().enumerate() {
            let p = count(outs);
            shortfall.set(i, j, p.shortfalls, p.n);
            gate.set(i, j, p.gates, p.n);
        }
    }
    (shortfall, gate)
}

/// The reverse stress test of `fund` (module documentation).
pub fn reverse_stress(
    fund: &Fund,
    seed: u64,
    sim: &Simulator,
    cfg: &ReverseStressConfig,
) -> Result<ReverseStress, BackendError> {
    let generator = ScenarioGenerator::new(fund, &fund.scenarios);
    let n = cfg.scenarios_per_point;
    let (ms, rs) = (&cfg.market_severity, &cfg.redemption_severity);
    let mut simulated = 0u64;
    let (mut shortfall, mut gate) = (Map::new(rs.len(), ms.len()), Map::new(rs.len(), ms.len()));
    for (i, &r) in rs.iter().enumerate() {
        for (j, &s) in ms.iter().enumerate() {
            let p = point(fund, &generator, sim, seed, (s, r), n)?;
            simulated += n;
            shortfall.set(i, j, p.shortfalls, p.n);
            gate.set(i, j, p.gates, p.n);
        }
    }
    // The frontier searches take a plain probability: the first device failure is kept, the
    // searches run on without simulating (a NaN probability), and the failure is handed back.
    let mut failed: Option<BackendError> = None;
    let mut run = |s: f64, r: f64| {
        if failed.is_some() {
            return None;
        }
        simulated += n;
        point(fund, &generator, sim, seed, (s, r), n)
            .map_err(|e| failed = Some(e))
            .ok()
    };
    let frontier = frontier_of(cfg, &shortfall.probability, |s, r| {
        run(s, r).map_or(f64::NAN, |p| p.shortfall())
    });
    let gate_frontier = frontier_of(cfg, &gate.probability, |s, r| {
        run(s, r).map_or(f64::NAN, |p| p.gate())
    });
    if let Some(e) = failed {
        return Err(e);
    }
    Ok(report_of(
        cfg,
        shortfall,
        gate,
        frontier,
        gate_frontier,
        simulated,
    ))
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

/// The reverse stress findings: the shortfall map's least severe point and frontier (the
/// headline), and the gate map beside them.
pub fn findings(fund: &Fund, rs: &ReverseStress) -> Vec<Finding> {
    vec![
        least_severe_finding(fund, rs),
        frontier_finding(rs),
        gate_map_finding(rs),
    ]
}

/// A map's probability at the calm corner and at the worst, each with its interval.
fn corners(m: &Map) -> [(f64, f64, f64); 2] {
    let at = |i: usize, j: usize| {
        let get = |v: &Vec<Vec<f64>>| {
            v.get(i)
                .and_then(|row| row.get(j))
                .copied()
                .unwrap_or(f64::NAN)
        };
        (get(&m.probability), get(&m.low), get(&m.high))
    };
    let rows = m.probability.len().saturating_sub(1);
    let cols = m
        .probability
        .first()
        .map_or(0, |r| r.len())
        .saturating_sub(1);
    [at(0, 0), at(rows, cols)]
}

/// "12.0% (5.1% to 20.3%)".
fn with_interval((p, lo, hi): (f64, f64, f64)) -> String {
    format!("{} ({} to {})", p1(p), p1(lo), p1(hi))
}

/// A frontier's crossings in words, and how many columns reach the level.
fn crossings(f: &[FrontierPoint]) -> (Vec<String>, usize) {
    let text = f
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
    (
        text,
        f.iter().filter(|f| f.redemption_severity.is_some()).count(),
    )
}

/// The headline: the least severe shock that falls short at the level.
fn least_severe_finding(fund: &Fund, rs: &ReverseStress) -> Finding {
    let stage = StageId::RedemptionPolicy;
    let judged = format!(
        "Re-judged with failure meaning failure to pay (a shortfall; gates mapped apart), conditional on {}:",
        rs.conditional_on
    );
    let grid = format!(
        "{}x{}",
        rs.market_severity.len(),
        rs.redemption_severity.len()
    );
    match &rs.least_severe {
        Some(p) => {
            let (mult, spread, text) = describe(fund, p.market_severity, p.redemption_severity);
            finding(
                stage,
                "reverse_stress_least_severe",
                format!(
                    "{judged} the least severe shock on the {grid} grid that causes a shortfall in at \
                     least {} of {} scenarios is market severity {:.3} with redemption severity \
                     {:.3} ({text}): shortfall probability {} (95% interval {} to {}, {} the level)",
                    p1(rs.level),
                    rs.scenarios_per_point,
                    p.market_severity,
                    p.redemption_severity,
                    p1(p.failure_probability),
                    p1(p.low),
                    p1(p.high),
                    p.level_verdict.words(),
                ),
                &[
                    ("market_severity", p.market_severity),
                    ("redemption_severity", p.redemption_severity),
                    ("failure_probability", p.failure_probability),
                    ("failure_probability_low", p.low),
                    ("failure_probability_high", p.high),
                    ("redemption_mult", mult),
                    ("equity_spread_mult", spread),
                    ("level", rs.level),
                ],
            )
        }
        None => finding(
            stage,
            "reverse_stress_least_severe",
            format!(
                "{judged} no shock on the {grid} grid causes a shortfall in at least {} of {} \
                 scenarios: the fund pays its redemptions even at market and redemption severity 1 \
                 at that level",
                p1(rs.level),
                rs.scenarios_per_point
            ),
            &[("level", rs.level)],
        ),
    }
}

/// The shortfall map's corners and frontier.
fn frontier_finding(rs: &ReverseStress) -> Finding {
    let [calm, worst] = corners(&rs.shortfall);
    let (text, reached) = crossings(&rs.frontier);
    finding(
        StageId::RedemptionPolicy,
        "reverse_stress_frontier",
        format!(
            "Shortfall probability runs from {} at the calm corner to {} at the worst (95% \
             intervals, {} scenarios a cell); the redemption severity at which it reaches {} \
             (bisection, {} steps, same scenarios at every step), by market severity: {}; {} of {} \
             market severities reach it",
            with_interval(calm),
            with_interval(worst),
            rs.scenarios_per_point,
            p1(rs.level),
            rs.bisection_steps,
            text.join(", "),
            reached,
            rs.frontier.len()
        ),
        &[
            ("calm_failure_probability", calm.0),
            ("worst_failure_probability", worst.0),
            ("worst_failure_probability_low", worst.1),
            ("worst_failure_probability_high", worst.2),
            ("columns_reaching_level", reached as f64),
            ("monotone_violations", rs.monotone_violations as f64),
        ],
    )
}

/// The gate map, beside the headline.
fn gate_map_finding(rs: &ReverseStress) -> Finding {
    let [calm, worst] = corners(&rs.gate);
    let (_, reached) = crossings(&rs.gate_frontier);
    let least = match &rs.gate_least_severe {
        Some(p) => format!(
            "the least severe shock gating in at least {} of scenarios is market severity {:.3} with redemption severity {:.3} (gate probability {}, 95% interval {} to {})",
            p1(rs.level),
            p.market_severity,
            p.redemption_severity,
            p1(p.failure_probability),
            p1(p.low),
            p1(p.high)
        ),
        None => format!("no shock on the grid gates in {} of scenarios", p1(rs.level)),
    };
    let mut values = vec![
        ("calm_gate_probability", calm.0),
        ("worst_gate_probability", worst.0),
        ("gate_columns_reaching_level", reached as f64),
    ];
    if let Some(p) = &rs.gate_least_severe {
        values.push(("market_severity", p.market_severity));
        values.push(("redemption_severity", p.redemption_severity));
        values.push(("gate_probability", p.failure_probability));
    }
    finding(
        StageId::RedemptionPolicy,
        "reverse_stress_gate_map",
        format!(
            "Beside it, the gate map (a policy the fund chooses, not a failure to pay): gate \
             probability runs from {} at the calm corner to {} at the worst; {least}; {} of {} \
             market severities reach {} gated",
            with_interval(calm),
            with_interval(worst),
            reached,
            rs.gate_frontier.len(),
            p1(rs.level)
        ),
        &values,
    )
}

/// `reverse_stress_map.csv`: one row per grid point, the shortfall map (failure to pay, the
/// headline) and the gate map side by side, with counts and Wilson 95% intervals.
pub fn tables(rs: &ReverseStress) -> Vec<Table> {
    let mut rows = Vec::new();
    for (i, &r) in rs.redemption_severity.iter().enumerate() {
        for (j, &s) in rs.market_severity.iter().enumerate() {
            let (f, g) = (&rs.shortfall, &rs.gate);
            rows.push(vec![
                num(s),
                num(r),
                rs.scenarios_per_point.to_string(),
                f.count[i][j].to_string(),
                num(f.probability[i][j]),
                num(f.low[i][j]),
                num(f.high[i][j]),
                (f.probability[i][j] >= rs.level).to_string(),
                g.count[i][j].to_string(),
                num(g.probability[i][j]),
                num(g.low[i][j]),
                num(g.high[i][j]),
                (g.probability[i][j] >= rs.level).to_string(),
            ]);
        }
    }
    vec![Table {
        file: "reverse_stress_map.csv",
        header: header(&[
            "market_severity",
            "redemption_severity",
            "scenarios",
            "shortfall_count",
            "shortfall_probability",
            "shortfall_low",
            "shortfall_high",
            "shortfall_at_level",
            "gate_count",
            "gate_probability",
            "gate_low",
            "gate_high",
            "gate_at_level",
        ]),
        rows,
    }]
}

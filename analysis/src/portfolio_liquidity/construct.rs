//! Stage 3, part two: liquidity-aware portfolio construction. The smallest change to the fund's
//! weights (least squares) that meets the use case's constraints — at most 25% illiquid, at least
//! 15% daily-liquid, at most 50% in any asset class, a portfolio liquidity score of at least 3 —
//! solved as a quadratic programme by Clarabel (an interior-point conic solver in pure Rust).
//!
//! The liquidity measures depend on a holding's size (a larger holding takes longer to sell), so
//! each is written as a convex function of the weight and lifted into linear constraints:
//!
//! - illiquid part of holding `p`: `max(0, w_p − c7_p)` with `c7_p` its 7-day capacity →
//!   `z_p ≥ w_p − c7_p, z_p ≥ 0, Σ z_p ≤ max_illiquid`;
//! - daily-liquid part: `min(w_p, c1_p)` for holdings that sell daily and settle in time →
//!   `y_p ≤ w_p, y_p ≤ c1_p, cash + Σ y_p ≥ min_daily_liquid`;
//! - score: the holding split into slices sold within 1, 3, 7, 30 days and after, scoring
//!   5, 4, 3, 2, 1 (capped by the holding's cost and settlement caps) →
//!   `Σ_b x_pb = w_p, 0 ≤ x_pb ≤ slice capacity, 5 cash + Σ score_pb x_pb ≥ min_score`.
//!
//! Scores fall from slice to slice, so the best split fills the early slices first: the lifted
//! problem is feasible exactly when the original is. The binding constraints are those with a
//! positive multiplier at the optimum.

use clarabel::algebra::CscMatrix;
use clarabel::solver::{
    DefaultSettings, DefaultSolver, IPSolver, NonnegativeConeT, SolverStatus, SupportedConeT,
    ZeroConeT,
};
use serde::Serialize;

use super::config::ConstructionConfig;
use crate::market_liquidity::PositionLiquidity;

/// Constraint values within this of their limit count as met.
pub const TOLERANCE: f64 = 1e-6;
/// A multiplier above this marks a binding constraint.
const BINDING_MULTIPLIER: f64 = 1e-6;

/// One position's weight before and after.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct WeightChange {
    pub position: String,
    pub class: String,
    pub before: f64,
    pub after: f64,
    pub change: f64,
}

/// One constraint, at the fund's weights and at the solution.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ConstraintCheck {
    /// `max_illiquid`, `min_daily_liquid`, `max_asset_class:<class>`, `min_liquidity_score`.
    pub name: String,
    /// "max" or "min".
    pub sense: &'static str,
    pub limit: f64,
    pub before: f64,
    pub after: f64,
    pub met_before: bool,
    pub met_after: bool,
    /// Distance to the limit at the solution, in the constraint's units.
    pub slack: f64,
    /// Marginal reduction of the objective per unit of relaxation.
    pub shadow_price: f64,
    pub binding: bool,
}

/// The construction's result.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Construction {
    pub settings: ConstructionConfig,
    /// Solver status ("Solved", "PrimalInfeasible", ...).
    pub status: String,
    pub feasible: bool,
    /// The fund's weights met every constraint already (no change needed).
    pub already_met: bool,
    pub cash_before: f64,
    pub cash_after: f64,
    pub positions: Vec<WeightChange>,
    /// Half the sum of absolute weight changes (cash included).
    pub turnover: f64,
    pub constraints: Vec<ConstraintCheck>,
    /// Names of the binding constraints, largest multiplier first; positions held at zero are
    /// listed as `no_short:<id>`.
    pub binding: Vec<String>,
}

impl Construction {
    pub fn check(&self, name: &str) -> Option<&ConstraintCheck> {
        self.constraints.iter().find(|c| c.name == name)
    }
}

/// The measures a constraint reads, at weights `w` and cash `cash`.
pub struct Measures {
    pub illiquid: f64,
    pub daily_liquid: f64,
    pub class_weights: Vec<f64>,
    pub score: f64,
}

impl Measures {
    pub fn at(liq: &[PositionLiquidity], n_classes: usize, w: &[f64], cash: f64) -> Measures {
        let mut class_weights = vec![0.0; n_classes];
        for (l, &x) in liq.iter().zip(w) {
            if l.class < n_classes {
                class_weights[l.class] += x;
            }
        }
        Measures {
            illiquid: liq.iter().zip(w).map(|(l, &x)| l.illiquid_amount(x)).sum(),
            daily_liquid: cash
                + liq
                    .iter()
                    .zip(w)
                    .map(|(l, &x)| l.daily_liquid_amount(x))
                    .sum::<f64>(),
            class_weights,
            score: 5.0 * cash
                + liq
                    .iter()
                    .zip(w)
                    .map(|(l, &x)| x * l.score_at(x))
                    .sum::<f64>(),
        }
    }
}

/// Builds the rows of `A x + s = b` one at a time.
struct Rows {
    n: usize,
    rows: Vec<Vec<(usize, f64)>>,
    b: Vec<f64>,
}

impl Rows {
    fn push(&mut self, entries: Vec<(usize, f64)>, rhs: f64) -> usize {
        self.rows.push(entries);
        self.b.push(rhs);
        self.rows.len() - 1
    }

    fn matrix(&self) -> CscMatrix<f64> {
        let m = self.rows.len();
        let mut cols: Vec<Vec<(usize, f64)>> = vec![Vec::new(); self.n];
        for (i, row) in self.rows.iter().enumerate() {
            for &(j, v) in row {
                if v != 0.0 {
                    cols[j].push((i, v));
                }
            }
        }
        let mut colptr = vec![0usize];
        let (mut rowval, mut nzval) = (Vec::new(), Vec::new());
        for col in &mut cols {
            col.sort_by_key(|e| e.0);
            for &(i, v) in col.iter() {
                rowval.push(i);
                nzval.push(v);
            }
            colptr.push(rowval.len());
        }
        CscMatrix::new(m, self.n, colptr, rowval, nzval)
    }
}

/// Solves the construction for positions `liq` (with their class names) and `cash`.
pub fn construct(
    liq: &[PositionLiquidity],
    class_names: &[String],
    cash: f64,
    cfg: &ConstructionConfig,
) -> Construction {
    let np = liq.len();
    let n_classes = class_names.len();
    let w0: Vec<f64> = liq.iter().map(|l| l.weight).collect();
    // Variables: w (np), cash (1), z (np), y (np), slices (5 np).
    let (iw, ic, iz, iy, is) = (0, np, np + 1, 2 * np + 1, 3 * np + 1);
    let n = 8 * np + 1;
    let slice = |p: usize, b: usize| is + 5 * p + b;

    let mut p_diag = vec![0.0; n];
    let mut q = vec![0.0; n];
    for p in 0..np {
        p_diag[iw + p] = 1.0;
        q[iw + p] = -w0[p];
    }
    p_diag[ic] = 1.0;
    q[ic] = -cash;

    let mut eq = Rows {
        n,
        rows: Vec::new(),
        b: Vec::new(),
    };
    let mut total: Vec<(usize, f64)> = (0..np).map(|p| (iw + p, 1.0)).collect();
    total.push((ic, 1.0));
    eq.push(total, 1.0);
    if cfg.hold_cash {
        eq.push(vec![(ic, 1.0)], cash);
    }
    for p in 0..np {
        let mut row: Vec<(usize, f64)> = (0..5).map(|b| (slice(p, b), 1.0)).collect();
        row.push((iw + p, -1.0));
        eq.push(row, 0.0);
    }

    let mut le = Rows {
        n,
        rows: Vec::new(),
        b: Vec::new(),
    };
    let mut no_short = Vec::new();
    for p in 0..np {
        no_short.push(le.push(vec![(iw + p, -1.0)], 0.0));
    }
    le.push(vec![(ic, -1.0)], 0.0);
    for (p, l) in liq.iter().enumerate() {
        le.push(vec![(iw + p, 1.0), (iz + p, -1.0)], l.seven_day_capacity);
        le.push(vec![(iz + p, -1.0)], 0.0);
        le.push(vec![(iy + p, 1.0), (iw + p, -1.0)], 0.0);
        let daily_cap = if l.settles_in_time {
            l.one_day_capacity
        } else {
            0.0
        };
        le.push(vec![(iy + p, 1.0)], daily_cap);
        let mut prev = 0.0;
        for b in 0..5 {
            le.push(vec![(slice(p, b), -1.0)], 0.0);
            if b < 4 {
                let cap = (l.capacity_within[b] - prev).max(0.0);
                prev = l.capacity_within[b].max(prev);
                le.push(vec![(slice(p, b), 1.0)], cap);
            }
        }
    }
    let mut named: Vec<(String, &'static str, f64, usize)> = Vec::new();
    let row = le.push((0..np).map(|p| (iz + p, 1.0)).collect(), cfg.max_illiquid);
    named.push(("max_illiquid".into(), "max", cfg.max_illiquid, row));
    let mut daily: Vec<(usize, f64)> = (0..np).map(|p| (iy + p, -1.0)).collect();
    daily.push((ic, -1.0));
    let row = le.push(daily, -cfg.min_daily_liquid);
    named.push(("min_daily_liquid".into(), "min", cfg.min_daily_liquid, row));
    for (k, name) in class_names.iter().enumerate() {
        let members: Vec<(usize, f64)> = (0..np)
            .filter(|&p| liq[p].class == k)
            .map(|p| (iw + p, 1.0))
            .collect();
        if members.is_empty() {
            continue;
        }
        let row = le.push(members, cfg.max_asset_class);
        named.push((
            format!("max_asset_class:{name}"),
            "max",
            cfg.max_asset_class,
            row,
        ));
    }
    let mut score: Vec<(usize, f64)> = Vec::new();
    for (p, l) in liq.iter().enumerate() {
        for (b, s) in l.slice_scores().iter().enumerate() {
            score.push((slice(p, b), -s));
        }
    }
    score.push((ic, -5.0));
    let row = le.push(score, -cfg.min_liquidity_score);
    named.push((
        "min_liquidity_score".into(),
        "min",
        cfg.min_liquidity_score,
        row,
    ));

    // Stack equalities then inequalities.
    let n_eq = eq.rows.len();
    let mut all = Rows {
        n,
        rows: eq.rows,
        b: eq.b,
    };
    all.rows.extend(le.rows);
    all.b.extend(le.b);
    let a = all.matrix();
    let p_mat = CscMatrix::new(
        n,
        n,
        (0..=n).map(|j| j.min(n)).collect(),
        (0..n).collect(),
        p_diag,
    );
    let cones: Vec<SupportedConeT<f64>> =
        vec![ZeroConeT(n_eq), NonnegativeConeT(all.rows.len() - n_eq)];
    let settings = DefaultSettings::<f64> {
        verbose: false,
        ..Default::default()
    };

    let before = Measures::at(liq, n_classes, &w0, cash);
    let (status, x, z) = match DefaultSolver::new(&p_mat, &q, &a, &all.b, &cones, settings) {
        Ok(mut solver) => {
            solver.solve();
            (
                solver.solution.status,
                solver.solution.x.clone(),
                solver.solution.z.clone(),
            )
        }
        Err(_) => (
            SolverStatus::NumericalError,
            vec![0.0; n],
            vec![0.0; all.rows.len()],
        ),
    };
    let feasible = matches!(status, SolverStatus::Solved | SolverStatus::AlmostSolved);
    let (w1, cash1): (Vec<f64>, f64) = if feasible {
        (
            (0..np).map(|p| x[iw + p].max(0.0)).collect(),
            x[ic].max(0.0),
        )
    } else {
        (w0.clone(), cash)
    };
    let after = Measures::at(liq, n_classes, &w1, cash1);

    let value = |m: &Measures, name: &str| -> f64 {
        match name {
            "max_illiquid" => m.illiquid,
            "min_daily_liquid" => m.daily_liquid,
            "min_liquidity_score" => m.score,
            other => {
                let class = other.trim_start_matches("max_asset_class:");
                class_names
                    .iter()
                    .position(|c| c == class)
                    .map_or(0.0, |k| m.class_weights[k])
            }
        }
    };
    let met = |v: f64, sense: &str, limit: f64| {
        if sense == "max" {
            v <= limit + TOLERANCE
        } else {
            v + TOLERANCE >= limit
        }
    };
    let mut constraints: Vec<ConstraintCheck> = named
        .iter()
        .map(|(name, sense, limit, row)| {
            let (b, a) = (value(&before, name), value(&after, name));
            let shadow = if feasible {
                z[n_eq + row].max(0.0)
            } else {
                0.0
            };
            ConstraintCheck {
                name: name.clone(),
                sense,
                limit: *limit,
                before: b,
                after: a,
                met_before: met(b, sense, *limit),
                met_after: met(a, sense, *limit),
                slack: if *sense == "max" {
                    limit - a
                } else {
                    a - limit
                },
                shadow_price: shadow,
                binding: feasible && shadow > BINDING_MULTIPLIER,
            }
        })
        .collect();
    let already_met = constraints.iter().all(|c| c.met_before);
    if already_met {
        // The fund's own weights are optimal: nothing binds, whatever the solver's round-off.
        for c in &mut constraints {
            c.binding = false;
            c.shadow_price = 0.0;
        }
    }
    let mut binding: Vec<(String, f64)> = constraints
        .iter()
        .filter(|c| c.binding)
        .map(|c| (c.name.clone(), c.shadow_price))
        .collect();
    if feasible && !already_met {
        for (p, &row) in no_short.iter().enumerate() {
            let m = z[n_eq + row];
            if m > BINDING_MULTIPLIER && w1[p] < TOLERANCE {
                binding.push((format!("no_short:{}", liq[p].position), m));
            }
        }
    }
    binding.sort_by(|a, b| b.1.total_cmp(&a.1));

    let positions: Vec<WeightChange> = liq
        .iter()
        .zip(w0.iter().zip(&w1))
        .map(|(l, (&b, &a))| WeightChange {
            position: l.position.clone(),
            class: class_names.get(l.class).cloned().unwrap_or_default(),
            before: b,
            after: a,
            change: a - b,
        })
        .collect();
    let turnover =
        0.5 * (positions.iter().map(|p| p.change.abs()).sum::<f64>() + (cash1 - cash).abs());
    Construction {
        settings: cfg.clone(),
        status: format!("{status:?}"),
        feasible,
        already_met,
        cash_before: cash,
        cash_after: cash1,
        positions,
        turnover,
        constraints,
        binding: binding.into_iter().map(|(n, _)| n).collect(),
    }
}

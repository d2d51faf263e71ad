//! The analysis stages as a dependency graph (MODEL.md section 7). The edges are data
//! dependencies: a stage depends on the stages whose outputs it reads.
//!
//! ```text
//! market liquidity ─┬─► investor behaviour ─► portfolio liquidity ─┐
//!                   └─► liquidation design ────────────────────────┼─► findings
//! redemption policy (reads the main sweep, reruns the kernel) ─────┘
//! ```
//!
//! The use case draws the redemption policy formulator last, after the buffer and the
//! liquidation strategy; here it reads none of their outputs (it calibrates gates, swing pricing
//! and early-warning thresholds on the fund as given), so it runs beside them.
//!
//! The graph runs in waves: every stage whose dependencies are done runs, the independent ones in
//! parallel on scoped threads (their simulations share the analysis' rayon pool).
//!
//! Adding a stage: give it a [`StageId`] variant, its entry in [`StageId::ALL`], its title and
//! dependencies below, a slot in `super::Outputs` and an arm in `super::run_stage`.

use std::time::Instant;

use serde::Serialize;

/// A stage of the analysis.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StageId {
    /// 1. Market liquidity analyst.
    MarketLiquidity,
    /// 2. Investor behaviour modeller.
    InvestorBehaviour,
    /// 3. Portfolio liquidity optimiser.
    PortfolioLiquidity,
    /// 4. Liquidation strategy designer.
    LiquidationDesign,
    /// 5. Redemption policy formulator.
    RedemptionPolicy,
    /// The report: every stage's findings gathered.
    Findings,
}

impl StageId {
    /// Every stage, in an order compatible with the dependencies.
    pub const ALL: [StageId; 6] = [
        StageId::MarketLiquidity,
        StageId::InvestorBehaviour,
        StageId::PortfolioLiquidity,
        StageId::LiquidationDesign,
        StageId::RedemptionPolicy,
        StageId::Findings,
    ];

    /// The key of the stage's section in `summary.json`.
    pub fn name(self) -> &'static str {
        match self {
            StageId::MarketLiquidity => "market_liquidity",
            StageId::InvestorBehaviour => "investor_behaviour",
            StageId::PortfolioLiquidity => "portfolio_liquidity",
            StageId::LiquidationDesign => "liquidation_design",
            StageId::RedemptionPolicy => "redemption_policy",
            StageId::Findings => "findings",
        }
    }

    /// The role of the use case the stage plays.
    pub fn title(self) -> &'static str {
        match self {
            StageId::MarketLiquidity => "Market liquidity analyst",
            StageId::InvestorBehaviour => "Investor behaviour modeller",
            StageId::PortfolioLiquidity => "Portfolio liquidity optimiser",
            StageId::LiquidationDesign => "Liquidation strategy designer",
            StageId::RedemptionPolicy => "Redemption policy formulator",
            StageId::Findings => "Findings",
        }
    }

    /// The stages whose outputs this one reads.
    pub fn depends_on(self) -> &'static [StageId] {
        match self {
            StageId::MarketLiquidity => &[],
            StageId::InvestorBehaviour => &[StageId::MarketLiquidity],
            StageId::PortfolioLiquidity => &[StageId::MarketLiquidity, StageId::InvestorBehaviour],
            StageId::LiquidationDesign => &[StageId::MarketLiquidity],
            // Reads the main sweep and reruns the kernel; no other stage's output.
            StageId::RedemptionPolicy => &[],
            StageId::Findings => &[
                StageId::MarketLiquidity,
                StageId::InvestorBehaviour,
                StageId::PortfolioLiquidity,
                StageId::LiquidationDesign,
                StageId::RedemptionPolicy,
            ],
        }
    }

    /// Looks a stage up by its [`StageId::name`].
    pub fn from_name(name: &str) -> Option<StageId> {
        StageId::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// `targets` and everything they depend on, in [`StageId::ALL`] order. The findings stage
/// gathers whatever else runs: asking for it pulls in no other stage.
pub fn closure(targets: &[StageId]) -> Vec<StageId> {
    let mut need = [false; StageId::ALL.len()];
    let mut stack: Vec<StageId> = targets.to_vec();
    while let Some(s) = stack.pop() {
        let i = s as usize;
        if !need[i] {
            need[i] = true;
            if s != StageId::Findings {
                stack.extend_from_slice(s.depends_on());
            }
        }
    }
    StageId::ALL
        .into_iter()
        .filter(|s| need[*s as usize])
        .collect()
}

/// The stages grouped into waves: each wave's stages depend only on earlier waves. Dependencies
/// outside `stages` are taken as already satisfied.
pub fn waves(stages: &[StageId]) -> Vec<Vec<StageId>> {
    let mut done: Vec<StageId> = Vec::new();
    let mut left: Vec<StageId> = stages.to_vec();
    let mut out = Vec::new();
    while !left.is_empty() {
        let ready: Vec<StageId> = left
            .iter()
            .copied()
            .filter(|s| {
                s.depends_on()
                    .iter()
                    .all(|d| done.contains(d) || !stages.contains(d))
            })
            .collect();
        assert!(!ready.is_empty(), "the stage graph has a cycle");
        left.retain(|s| !ready.contains(s));
        done.extend_from_slice(&ready);
        out.push(ready);
    }
    out
}

/// When a stage ran and for how long.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct StageTiming {
    pub stage: StageId,
    /// Index of the wave it ran in (stages of one wave ran in parallel).
    pub wave: usize,
    pub seconds: f64,
}

/// Runs `stages` wave by wave, the stages of a wave in parallel, calling `run` for each; stops at
/// the first wave with an error and returns that error.
pub fn run_graph<E: Send>(
    stages: &[StageId],
    run: impl Fn(StageId) -> Result<(), E> + Sync,
) -> Result<Vec<StageTiming>, E> {
    let mut timings = Vec::new();
    for (wave, ready) in waves(stages).into_iter().enumerate() {
        let results: Vec<(StageId, f64, Result<(), E>)> = std::thread::scope(|scope| {
            let handles: Vec<_> = ready
                .iter()
                .map(|&s| {
                    let run = &run;
                    scope.spawn(move || {
                        let start = Instant::now();
                        let r = run(s);
                        (s, start.elapsed().as_secs_f64(), r)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
                })
                .collect()
        });
        for (stage, seconds, r) in results {
            r?;
            timings.push(StageTiming {
                stage,
                wave,
                seconds,
            });
        }
    }
    Ok(timings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn waves_follow_the_use_case_graph() {
        let w = waves(&StageId::ALL);
        assert_eq!(
            w,
            vec![
                vec![StageId::MarketLiquidity, StageId::RedemptionPolicy],
                vec![StageId::InvestorBehaviour, StageId::LiquidationDesign],
                vec![StageId::PortfolioLiquidity],
                vec![StageId::Findings],
            ]
        );
    }

    #[test]
    fn closure_pulls_in_dependencies_only() {
        assert_eq!(
            closure(&[StageId::MarketLiquidity]),
            vec![StageId::MarketLiquidity]
        );
        assert_eq!(
            closure(&[StageId::PortfolioLiquidity]),
            vec![
                StageId::MarketLiquidity,
                StageId::InvestorBehaviour,
                StageId::PortfolioLiquidity
            ]
        );
        assert_eq!(closure(&[StageId::Findings]), vec![StageId::Findings]);
        assert_eq!(
            closure(&[StageId::MarketLiquidity, StageId::Findings]),
            vec![StageId::MarketLiquidity, StageId::Findings]
        );
        assert_eq!(
            closure(&[StageId::LiquidationDesign]),
            vec![StageId::MarketLiquidity, StageId::LiquidationDesign]
        );
        assert_eq!(
            closure(&[StageId::RedemptionPolicy, StageId::Findings]),
            vec![StageId::RedemptionPolicy, StageId::Findings]
        );
    }

    #[test]
    fn every_stage_runs_after_its_dependencies_and_errors_stop_the_graph() {
        let order = Mutex::new(Vec::new());
        let t = run_graph::<String>(&StageId::ALL, |s| {
            order.lock().unwrap().push(s);
            Ok(())
        })
        .unwrap();
        let order = order.into_inner().unwrap();
        for s in StageId::ALL {
            let at = order.iter().position(|x| *x == s).unwrap();
            for d in s.depends_on() {
                assert!(
                    order.iter().position(|x| x == d).unwrap() < at,
                    "{s:?} before {d:?}"
                );
            }
        }
        assert_eq!(t.len(), 6);
        let ran = Mutex::new(Vec::new());
        let e = run_graph(&StageId::ALL, |s| {
            ran.lock().unwrap().push(s);
            if s == StageId::InvestorBehaviour {
                Err("no")
            } else {
                Ok(())
            }
        });
        assert_eq!(e.unwrap_err(), "no");
        assert!(!ran
            .into_inner()
            .unwrap()
            .contains(&StageId::PortfolioLiquidity));
    }

    #[test]
    fn names_round_trip() {
        for s in StageId::ALL {
            assert_eq!(StageId::from_name(s.name()), Some(s));
        }
    }
}

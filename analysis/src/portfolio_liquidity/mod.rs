//! Stage 3, the portfolio liquidity analyst: liquidity needs (liquidity at risk), the buffer
//! search ([`buffer`]) and the composition it recommends ([`recommendation`]), and the
//! liquidity-aware portfolio construction ([`construct`]); settings in [`config`], findings in
//! [`findings`], tables in [`tables`].

pub mod buffer;
pub mod config;
pub mod construct;
pub mod findings;
pub mod recommendation;
pub mod tables;

use serde::Serialize;

use crate::market_liquidity::MarketLiquidityReport;
use crate::{AnalysisError, Context};
use buffer::{BufferClaim, BufferSearch, CashOnlyEquivalent, LiquidityNeeds};
use config::Composition;
use construct::Construction;

/// Stage 3's output.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct PortfolioLiquidityReport {
    pub needs: LiquidityNeeds,
    pub buffer: BufferSearch,
    pub construction: Construction,
    /// The use case's buffer claim judged on this fund (when its composition was searched).
    pub use_case_claim: Option<BufferClaim>,
}

/// Runs stage 3 on stage 1's liquidity profile: the buffer search over every composition, the
/// construction, and the use case's claim judged.
pub(crate) fn run(
    ctx: &Context,
    market: &MarketLiquidityReport,
) -> Result<PortfolioLiquidityReport, AnalysisError> {
    let fund = ctx.inputs.fund;
    let cfg = &ctx.cfg.buffer;
    let comps = cfg.compositions(fund.model.params.initial_cash as f64);
    let search = buffer::search(
        fund,
        &comps,
        cfg,
        ctx.first(cfg.scenarios),
        ctx.inputs.seed,
        ctx.sim,
    )?;
    let class_names: Vec<String> = fund.classes.iter().map(|c| c.name.clone()).collect();
    let construction = construct::construct(
        &market.liquidity,
        &class_names,
        fund.model.params.initial_cash as f64,
        &ctx.cfg.construction,
    );
    let claim = judge_claim(ctx, &search)?;
    Ok(PortfolioLiquidityReport {
        needs: LiquidityNeeds::of(fund, ctx.inputs.base_outputs),
        buffer: search,
        construction,
        use_case_claim: claim,
    })
}

/// The use case's buffer claim (the seed's 8/5/4 composition), re-judged against the cheapest
/// cash-only buffer reaching the same coverage on the same scenarios: the cash share is searched
/// by bisection ([`buffer::least_cash_reaching`]), each step a rerun of the search's scenarios.
fn judge_claim(ctx: &Context, search: &BufferSearch) -> Result<Option<BufferClaim>, AnalysisError> {
    let label = config::seed_recommendation().label;
    let Some(tiered) = search.by_label(&label) else {
        return Ok(None);
    };
    let cfg = &ctx.cfg.buffer;
    let scenarios = ctx.first(cfg.scenarios);
    let cash_only = CashOnlyEquivalent::search(
        |cash| {
            let comp = Composition::new("cash only", cash, 0.0, 0.0);
            buffer::evaluate(
                ctx.inputs.fund,
                &comp,
                cfg,
                &search.yields,
                scenarios,
                ctx.inputs.seed,
                ctx.sim,
            )
            .map(|r| r.coverage)
        },
        tiered.coverage,
        &search.yields,
    )?;
    Ok(BufferClaim::judge(search, &label, cash_only))
}

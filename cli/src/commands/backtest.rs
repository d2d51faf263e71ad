//! `undertow backtest`: the flow model's outflow forecasts against a flow history (the engine's
//! `calibrate` module); writes backtest.json and backtest.html and prints the tests.

use undertow_engine::calibrate::{backtest as run, BacktestRequest};

use crate::args::{required, BacktestArgs};

/// Backtests, writes, prints.
pub fn backtest(args: &BacktestArgs) -> anyhow::Result<()> {
    crate::interrupt::writing_check(&args.out)?;
    let outcome = run(&BacktestRequest {
        flows: required(&args.flows, "--flows")?,
        market: args.market.clone(),
        fund: required(&args.fund, "--fund")?,
        out_dir: args.out.clone(),
        draws: args.draws,
        seed: args.seed,
    })?;
    let files = {
        let _writing = crate::interrupt::writing();
        outcome.write()?
    };
    let r = &outcome.report;
    println!(
        "backtest of {} draws per start date: {} ({})",
        r.draws, r.verdict, r.verdict_rule
    );
    println!("  horizon  windows  level  exceed  expected  Kupiec p  Christoffersen p");
    for h in &r.horizons {
        for l in &h.levels {
            println!(
                "  {:>5}d  {:>7}  {:>4.0}%  {:>6}  {:>8.1}  {:>8.3}  {:>16.3}",
                h.horizon_days,
                h.windows,
                l.level * 100.0,
                l.exceedances,
                l.expected,
                l.kupiec.p_value,
                l.christoffersen.p_value
            );
        }
    }
    for f in files {
        println!("wrote {}", f.display());
    }
    Ok(())
}

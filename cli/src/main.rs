//! `undertow`: the command-line tool, a thin layer over `undertow-engine`: parse flags
//! ([`args`]), call the engine, drive the progress bar and print ([`commands`], one file per
//! command, and [`print`]). Exit codes: 0 success, 2 bad input or usage, 1 failure while running.

mod args;
mod commands;
mod print;

use std::process::ExitCode;

use clap::Parser;
use undertow_engine::EngineError;

use args::{Cli, Command, OptimizeCommand};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match dispatch(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("undertow: error: {e:#}");
            let bad_input = e
                .downcast_ref::<EngineError>()
                .is_some_and(EngineError::is_bad_input);
            ExitCode::from(if bad_input { 2 } else { 1 })
        }
    }
}

fn dispatch(command: Command) -> anyhow::Result<()> {
    use commands::*;
    match command {
        Command::Run(a) => run::run(&a),
        Command::ExampleFund => example_fund::example_fund(),
        Command::Profile(a) => market_liquidity::profile(&a),
        Command::Optimize(o) => match o.what {
            OptimizeCommand::Buffer(a) => portfolio_liquidity::optimize_buffer(&a),
            OptimizeCommand::Liquidation(a) => liquidation_design::optimize_liquidation(&a),
            OptimizeCommand::Gates(a) => redemption_policy::optimize_gates(&a),
        },
        Command::ReverseStress(a) => redemption_policy::reverse_stress(&a),
        Command::Report(a) => report::report(&a),
        Command::Validate(a) => validate::validate(&a),
        Command::Devices => devices::devices(),
        Command::Bench(a) => bench::bench(&a),
    }
}

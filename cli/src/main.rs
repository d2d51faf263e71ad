//! `undertow`: the command-line tool, a thin layer over `undertow-engine`: parse flags
//! ([`args`]), call the engine, drive the progress bar and print ([`commands`], one file per
//! command, and [`print`]). Exit codes: 0 success, 2 bad input or usage, 1 failure while running, 130 and 143
//! interrupted by SIGINT (Ctrl-C) and SIGTERM ([`interrupt`]).

mod args;
mod commands;
mod interrupt;
mod print;

use std::process::ExitCode;

use clap::{Command as ClapCommand, CommandFactory, FromArgMatches};
use undertow_engine::EngineError;

use args::{CalibrateCommand, Cli, Command, OptimizeCommand};

fn main() -> ExitCode {
    interrupt::install();
    let parsed = numbers_may_be_negative(Cli::command())
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m));
    let cli = match parsed {
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
            let engine = e.downcast_ref::<EngineError>();
            if let Some(EngineError::Interrupted) = engine {
                return ExitCode::from(interrupt::code().unwrap_or(130));
            }
            let bad_input = engine.is_some_and(EngineError::is_bad_input);
            ExitCode::from(if bad_input { 2 } else { 1 })
        }
    }
}

/// Lets every flag that takes a value take a negative number (`--scenarios -5`), so that its
/// own parser refuses it with a message naming the flag and the value, rather than clap reading
/// `-5` as an unknown flag.
fn numbers_may_be_negative(cmd: ClapCommand) -> ClapCommand {
    cmd.mut_args(|a| {
        if a.get_action().takes_values() && !a.is_positional() {
            a.allow_negative_numbers(true)
        } else {
            a
        }
    })
    .mut_subcommands(numbers_may_be_negative)
}

fn dispatch(command: Command) -> anyhow::Result<()> {
    use commands::*;
    match command {
        Command::Run(a) => run::run(&a),
        Command::Merge(a) => merge::merge(&a),
        Command::ExampleFund(a) => example_fund::example_fund(&a),
        Command::Profile(a) => market_liquidity::profile(&a),
        Command::Optimize(o) => match o.what {
            OptimizeCommand::Buffer(a) => portfolio_liquidity::optimize_buffer(&a),
            OptimizeCommand::Liquidation(a) => liquidation_design::optimize_liquidation(&a),
            OptimizeCommand::Gates(a) => redemption_policy::optimize_gates(&a),
        },
        Command::ReverseStress(a) => redemption_policy::reverse_stress(&a),
        Command::Sensitivity(a) => sensitivity::sensitivity(&a),
        Command::Calibrate(c) => match c.what {
            CalibrateCommand::Flows(a) => calibrate::calibrate_flows(&a),
            CalibrateCommand::Market(a) => market_data::calibrate_market(&a),
        },
        Command::Backtest(a) => backtest::backtest(&a),
        Command::Report(a) => report::report(&a),
        Command::Validate(a) => validate::validate(&a),
        Command::Devices => devices::devices(),
        Command::Bench(a) => bench::bench(&a),
        Command::WhatIf(a) => what_if::what_if(&a),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every command path (`["run"]`, `["optimize", "buffer"]`, ...) with its command.
    fn leaves(cmd: &ClapCommand, path: Vec<String>, out: &mut Vec<(Vec<String>, ClapCommand)>) {
        if cmd.has_subcommands() {
            for sub in cmd.get_subcommands() {
                let mut p = path.clone();
                p.push(sub.get_name().to_string());
                leaves(sub, p, out);
            }
        } else {
            out.push((path, cmd.clone()));
        }
    }

    /// Every flag of every command that takes a value, given a negative number: either its
    /// parser takes it (a checked number, refused later naming the flag) or clap refuses it
    /// naming the flag and the value, never as an unknown argument.
    #[test]
    fn a_negative_number_is_refused_naming_its_flag() {
        let mut commands = Vec::new();
        leaves(
            &numbers_may_be_negative(Cli::command()),
            Vec::new(),
            &mut commands,
        );
        let mut cases = 0;
        for (path, cmd) in &commands {
            for arg in cmd.get_arguments() {
                let (Some(long), true) = (arg.get_long(), arg.get_action().takes_values()) else {
                    continue;
                };
                for value in ["-5", "-0.5", "-1e300", "-18446744073709551616"] {
                    let flag = format!("--{long}");
                    let mut argv = vec!["undertow".to_string()];
                    argv.extend(path.iter().cloned());
                    // The command's other required arguments, with a placeholder value, so that
                    // only the flag under test can be refused.
                    for other in cmd.get_arguments() {
                        if !other.is_required_set() || other.get_long() == Some(long) {
                            continue;
                        }
                        match other.get_long() {
                            Some(l) => argv.extend([format!("--{l}"), "x".to_string()]),
                            None => argv.push("x".to_string()),
                        }
                    }
                    argv.extend([flag.clone(), value.to_string()]);
                    let parsed = numbers_may_be_negative(Cli::command())
                        .try_get_matches_from(&argv)
                        .and_then(|m| Cli::from_arg_matches(&m));
                    if let Err(e) = parsed {
                        let msg = e.to_string();
                        assert!(
                            msg.contains(&flag) && msg.contains(value),
                            "{argv:?}: the error should name {flag} and {value}: {msg}"
                        );
                        assert_eq!(e.exit_code(), 2, "{argv:?}");
                    }
                    cases += 1;
                }
            }
        }
        assert!(cases > 200, "only {cases} cases");
    }
}

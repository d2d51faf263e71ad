//! `undertow example-fund`: the built-in example as a commented fund file, or (`--lots N`) with
//! each position split into N lots.

use undertow_engine::EngineError;
use undertow_host::fund::{
    example_fund as example, example_fund_toml, fund_to_toml, split_positions,
};

use crate::args::ExampleFundArgs;

/// Lots per position `--lots` accepts at most.
pub const MAX_LOTS: u64 = 1000;

/// Prints the example fund's TOML, split into lots when asked.
pub fn example_fund(args: &ExampleFundArgs) -> anyhow::Result<()> {
    match args.lots {
        None => print!("{}", example_fund_toml()),
        Some(lots) => print!("{}", example_in_lots(lots)?),
    }
    Ok(())
}

/// The example with each position split into `lots` lots of equal weight and ADV: bad input
/// naming `--lots` outside 1..=[`MAX_LOTS`].
pub fn example_in_lots(lots: u64) -> Result<String, EngineError> {
    if lots == 0 || lots > MAX_LOTS {
        return Err(EngineError::BadInput(format!(
            "flag --lots: {lots} is outside 1..={MAX_LOTS}"
        )));
    }
    let fund = example();
    let target = fund.model.positions.len() * lots as usize;
    let split = split_positions(&fund, target)
        .map_err(|e| EngineError::BadInput(format!("flag --lots {lots}: {e}")))?;
    Ok(fund_to_toml(&split))
}

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

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use undertow_host::fund::{parse_fund, Fund};

    fn weights(f: &Fund) -> f64 {
        f.spec.positions.iter().map(|p| p.weight).sum()
    }

    #[test]
    fn lots_split_every_position_into_equal_weight_and_adv() {
        let original = example();
        for lots in [1u64, 3, 63] {
            let text = example_in_lots(lots).unwrap();
            let fund = parse_fund(&text, "lots.toml", Path::new(".")).unwrap();
            assert_eq!(
                fund.spec.positions.len(),
                original.spec.positions.len() * lots as usize
            );
            assert_eq!(original.spec.positions.len(), 16);
            assert!((weights(&fund) - weights(&original)).abs() < 1e-9, "{lots}");
            // Each parent's lots: equal weight and ADV, the parent's days to sell.
            for parent in &original.spec.positions {
                let mine: Vec<_> = fund
                    .spec
                    .positions
                    .iter()
                    .filter(|p| p.id.rsplit_once('-').map(|(id, _)| id) == Some(&parent.id))
                    .collect();
                assert_eq!(mine.len(), lots as usize, "{}", parent.id);
                for p in mine {
                    assert!((p.weight * lots as f64 - parent.weight).abs() < 1e-12);
                    assert!((p.adv * lots as f64 - parent.adv).abs() < 1e-6 * parent.adv);
                    let days_to_sell = |w: f64, adv: f64| w / adv;
                    let (mine, theirs) = (
                        days_to_sell(p.weight, p.adv),
                        days_to_sell(parent.weight, parent.adv),
                    );
                    assert!((mine - theirs).abs() <= 1e-9 * theirs, "{}", p.id);
                    assert_eq!(p.settlement_days, parent.settlement_days);
                    assert_eq!(p.class, parent.class);
                }
            }
            assert_eq!(
                fund.model.params.initial_cash,
                original.model.params.initial_cash
            );
        }
    }

    #[test]
    fn lots_outside_the_range_are_bad_input_naming_the_flag() {
        for lots in [0u64, MAX_LOTS + 1, u64::MAX] {
            let e = example_in_lots(lots).unwrap_err();
            assert!(e.is_bad_input(), "{lots}");
            assert!(e.to_string().contains("--lots"), "{e}");
            assert!(e.to_string().contains(&lots.to_string()), "{e}");
        }
        assert!(example_in_lots(MAX_LOTS).is_ok());
    }
}

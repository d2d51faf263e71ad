//! Larger portfolios from a fund file: each position split into several smaller issues with
//! varied spreads and impact, for scaling benchmarks and tests of many-position funds.

use std::path::Path;

use super::{build_fund, Fund, FundError};

/// `fund` with its positions split into `target` issues (at least one per original position):
/// each piece keeps its parent's class, tier and settlement, takes an equal share of its weight
/// and ADV, and gets a spread and impact coefficient between 0.8x and 1.2x its parent's.
pub fn split_positions(fund: &Fund, target: usize) -> Result<Fund, FundError> {
    let mut spec = fund.spec.clone();
    let parents = std::mem::take(&mut spec.positions);
    let n = parents.len().max(1);
    let target = target.max(n);
    for (i, parent) in parents.iter().enumerate() {
        // Spread `target` pieces as evenly as possible over the parents.
        let pieces = target / n + usize::from(i < target % n);
        for j in 0..pieces {
            let mut p = parent.clone();
            let spread = if pieces > 1 {
                0.8 + 0.4 * j as f64 / (pieces - 1) as f64
            } else {
                1.0
            };
            p.id = format!("{}-{j}", parent.id);
            p.weight = parent.weight / pieces as f64;
            p.adv = parent.adv / pieces as f64;
            p.spread_bps = parent.spread_bps * spread;
            p.impact = parent.impact * spread;
            spec.positions.push(p);
        }
    }
    spec.positions_csv = None;
    let source = format!("{} split into {target} positions", fund.source);
    build_fund(spec, &source, Path::new("."))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fund::example_fund;

    #[test]
    fn splitting_keeps_weights_and_reaches_the_target() {
        let fund = example_fund();
        let big = split_positions(&fund, 500).unwrap();
        assert_eq!(big.model.positions.len(), 500);
        let w = |f: &Fund| {
            f.model
                .positions
                .iter()
                .map(|p| p.weight as f64)
                .sum::<f64>()
        };
        assert!((w(&big) - w(&fund)).abs() < 1e-5);
        assert_eq!(
            big.model.params.initial_cash,
            fund.model.params.initial_cash
        );
    }
}

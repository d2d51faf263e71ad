//! What scenario generation and script files need to know about a fund: its asset classes and
//! their kinds, the horizon, the investor names and the `[scenarios]` settings. The fund module
//! builds a [`FundShape`] from a `Fund` (`FundShape::from(&fund)`), so that scenarios depend on
//! these few facts and not on the fund file's types.

use serde::{Deserialize, Serialize};

use super::config::ScenarioConfig;

/// What kind of market an asset class is; the scenario generator picks its shock ranges by kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClassKind {
    Equity,
    FixedIncome,
    Credit,
    Alternative,
    /// Cash equivalents (money-market funds, T-bills): the cash-like buffer tier.
    CashLike,
}

impl ClassKind {
    /// The name as written in a fund file.
    pub fn name(self) -> &'static str {
        match self {
            ClassKind::Equity => "equity",
            ClassKind::FixedIncome => "fixed_income",
            ClassKind::Credit => "credit",
            ClassKind::Alternative => "alternative",
            ClassKind::CashLike => "cash_like",
        }
    }
}

/// One asset class of the fund, in kernel index order.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClassInfo {
    pub name: String,
    pub kind: ClassKind,
}

/// The facts about a fund that drawing scenarios and reading script files use.
#[derive(Clone, Copy, Debug)]
pub struct FundShape<'a> {
    /// Days simulated.
    pub horizon: u32,
    /// Classes in kernel index order.
    pub classes: &'a [ClassInfo],
    /// Investor segment names, in holder order (scripts name redemption events by them).
    pub segment_names: &'a [String],
    /// Large investor names, in holder order after the segments.
    pub large_names: &'a [String],
    /// The fund's `[scenarios]` settings (a script's regime correlations come from them).
    pub scenarios: &'a ScenarioConfig,
}

//! Fund files: the TOML schema (and the CSV of positions it may name), validation with errors that
//! name the file, the field and the value, the conversion to the kernel's [`FundModel`], and the
//! built-in example fund of MODEL.md section 9.

use undertow_kernel::FundModel;

use crate::scenarios::ScenarioConfig;

/// What kind of market an asset class is; the scenario generator picks its shock ranges by kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClassKind {
    Equity,
    FixedIncome,
    Credit,
    Alternative,
    /// Cash equivalents (money-market funds, T-bills): the cash-like buffer tier.
    CashLike,
}

/// One asset class of the fund, in kernel index order.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ClassInfo {
    pub name: String,
    pub kind: ClassKind,
}

/// A validated fund: the kernel's model plus everything the host needs to talk about it.
#[derive(Clone, Debug)]
pub struct Fund {
    /// Where it came from: a file path, or "built-in example".
    pub source: String,
    pub name: String,
    pub currency: String,
    /// Assets under management, in currency.
    pub aum: f64,
    /// Expected annual portfolio return (for the opportunity cost of buffers).
    pub expected_return: f64,
    /// Kernel-ready parameters (money in fractions of NAV, rates per day).
    pub model: FundModel,
    /// Classes in kernel index order.
    pub classes: Vec<ClassInfo>,
    /// Position ids, in kernel order.
    pub position_ids: Vec<String>,
    /// Position segment labels ("large cap", "high yield", ...), in kernel order.
    pub position_labels: Vec<String>,
    pub segment_names: Vec<String>,
    pub large_names: Vec<String>,
    /// Scenario generation settings (the fund file's `[scenarios]` table).
    pub scenarios: ScenarioConfig,
}

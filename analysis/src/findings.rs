//! Findings: each stage's conclusions (each stage's own `findings` module states them) as sentences carrying the numbers behind them. The numbers
//! are kept beside the sentence (`values`), so a reader or a test can check every figure the
//! sentence quotes.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::graph::StageId;

/// One conclusion.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Finding {
    pub stage: StageId,
    /// A short key ("buffer_coverage", "use_case_claim").
    pub topic: String,
    pub text: String,
    /// The numbers the sentence quotes, unrounded.
    pub values: BTreeMap<String, f64>,
}

pub(crate) fn finding(
    stage: StageId,
    topic: &str,
    text: String,
    values: &[(&str, f64)],
) -> Finding {
    Finding {
        stage,
        topic: topic.to_string(),
        text,
        values: values.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
    }
}

pub use undertow_format::text::{money, p1, p2};

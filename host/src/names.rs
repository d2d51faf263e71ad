//! Names of the kernel's enumerations as users write them (fund files, flags, outputs).

use undertow_kernel::{impact, strategy};

/// Liquidation strategies by name, in kernel order.
pub const STRATEGIES: [(&str, u32); 4] = [
    ("waterfall", strategy::WATERFALL),
    ("pro_rata", strategy::PRO_RATA),
    ("min_cost", strategy::MIN_COST),
    ("balanced", strategy::BALANCED),
];

/// Impact models by name, in kernel order.
pub const IMPACT_MODELS: [(&str, u32); 4] = [
    ("linear", impact::LINEAR),
    ("square_root", impact::SQUARE_ROOT),
    ("threshold", impact::THRESHOLD),
    ("adaptive", impact::ADAPTIVE),
];

pub fn strategy_from_name(name: &str) -> Option<u32> {
    STRATEGIES.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
}

pub fn strategy_name(v: u32) -> &'static str {
    STRATEGIES
        .iter()
        .find(|(_, s)| *s == v)
        .map(|(n, _)| *n)
        .unwrap_or("unknown")
}

pub fn impact_model_name(v: u32) -> &'static str {
    IMPACT_MODELS
        .iter()
        .find(|(_, s)| *s == v)
        .map(|(n, _)| *n)
        .unwrap_or("unknown")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for (n, v) in STRATEGIES {
            assert_eq!(strategy_from_name(n), Some(v));
            assert_eq!(strategy_name(v), n);
        }
        assert_eq!(strategy_from_name("fastest"), None);
        assert_eq!(impact_model_name(impact::ADAPTIVE), "adaptive");
    }
}

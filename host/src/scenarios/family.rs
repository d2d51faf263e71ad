//! Scenario family codes, carried in `ScenarioParams::family` for reporting, and their names.
//!
//! The market-wide family has one code per tier, so that a report can split results by tier
//! without a second field. Codes are stable: outputs written by one version can be read by the
//! next.

/// Market-wide stress, moderate tier.
pub const MARKET_WIDE_MODERATE: u32 = 0;
/// Market-wide stress, severe tier.
pub const MARKET_WIDE_SEVERE: u32 = 1;
/// Market-wide stress, extreme tier.
pub const MARKET_WIDE_EXTREME: u32 = 2;
/// One asset class hit hard, the others mildly.
pub const ASSET_CLASS_SPECIFIC: u32 = 3;
/// Sovereigns rally and tighten; credit, EM and high yield are hit hardest.
pub const FLIGHT_TO_QUALITY: u32 = 4;
/// Funding availability cut, repo haircuts up.
pub const FUNDING_LIQUIDITY_SHOCK: u32 = 5;
/// Replay: the 2008 global financial crisis (Lehman, September to November 2008).
pub const GFC_2008: u32 = 6;
/// Replay: the 2013 taper tantrum (May to June 2013).
pub const TAPER_TANTRUM_2013: u32 = 7;
/// Replay: the March 2020 dash for cash.
pub const DASH_FOR_CASH_2020: u32 = 8;
/// Replay: the September 2022 UK gilt / LDI crisis.
pub const UK_LDI_2022: u32 = 9;
/// A scripted, deterministic scenario from a script file.
pub const SCRIPTED: u32 = 10;
/// No market shock: calm markets, flows at their calm rates plus the fund's own flow noise.
pub const CALM: u32 = 11;

/// Number of family codes.
pub const COUNT: usize = 12;

/// Names as they appear in outputs, indexed by code.
pub const NAMES: [&str; COUNT] = [
    "market_wide_moderate",
    "market_wide_severe",
    "market_wide_extreme",
    "asset_class_specific",
    "flight_to_quality",
    "funding_liquidity_shock",
    "gfc_2008",
    "taper_tantrum_2013",
    "dash_for_cash_2020",
    "uk_ldi_2022",
    "scripted",
    "calm",
];

/// The name of a family code; `"unknown"` for a code no version has used.
pub fn name(code: u32) -> &'static str {
    NAMES.get(code as usize).copied().unwrap_or("unknown")
}

/// Whether the code is one of the four historical replays.
pub fn is_replay(code: u32) -> bool {
    (GFC_2008..=UK_LDI_2022).contains(&code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_codes() {
        assert_eq!(name(MARKET_WIDE_MODERATE), "market_wide_moderate");
        assert_eq!(name(FUNDING_LIQUIDITY_SHOCK), "funding_liquidity_shock");
        assert_eq!(name(UK_LDI_2022), "uk_ldi_2022");
        assert_eq!(name(SCRIPTED), "scripted");
        assert_eq!(name(CALM), "calm");
        assert_eq!(name(99), "unknown");
        assert_eq!(name(COUNT as u32), "unknown");
        assert_eq!(CALM as usize + 1, COUNT);
        assert!(is_replay(GFC_2008) && is_replay(UK_LDI_2022) && !is_replay(SCRIPTED));
        assert!(!is_replay(CALM) && !is_replay(MARKET_WIDE_EXTREME));
    }
}

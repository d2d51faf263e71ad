//! The built-in example fund of MODEL.md section 9, the Quantum Multi-Strategy Fund, used when no
//! fund file is given. Its data lives here, in Rust, as a [`FundFile`]; [`example_fund_toml`]
//! writes the same data as a commented fund file, and a test checks that reading that file back
//! gives exactly [`example_fund`]. The reasoning and sources behind every number are in
//! `docs/example-fund.md`.

use std::path::Path;

use super::spec::{
    default_classes, Dealing, FundFile, FundSection, FundingSection, IndicatorSection,
    LargeInvestorSpec, LiquidationSection, ModelSection, PolicySection, PositionSpec, PriceRoute,
    SegmentSpec, Tier,
};
use super::{build_fund, write, Fund};
use crate::scenarios::ScenarioConfig;

/// The `source` of the built-in example.
pub const EXAMPLE_SOURCE: &str = "built-in example";

/// The example fund, ready to simulate.
pub fn example_fund() -> Fund {
    match build_fund(example_spec(), EXAMPLE_SOURCE, Path::new("")) {
        Ok(fund) => fund,
        // The example is fixed data, checked by this module's tests; this is a bug, not bad input.
        Err(e) => panic!("the built-in example fund is invalid: {e}"),
    }
}

/// The example fund as a commented fund file: a template to copy and edit.
pub fn example_fund_toml() -> String {
    write::write_toml(&example_spec(), HEADER, NOTES)
}

const HEADER: &str = "\
Quantum Multi-Strategy Fund: Undertow's built-in example (MODEL.md section 9).
A $12bn daily-dealing multi-asset fund: equities 40%, fixed income 30%, credit 15%,
alternatives 15%, with a 7% cash buffer carved pro rata from all of them (weights x 0.93).
Top-10 investors hold 45%. Sources for every market and investor parameter:
docs/example-fund.md. Write your own with `undertow example-fund > my-fund.toml`.";

/// Short rationales printed above sections and positions; the full sourcing is in the docs.
const NOTES: &[(&str, &str)] = &[
    ("classes", "The four default classes, written out."),
    (
        "positions",
        "ADV is the traded value of the securities each sleeve holds, not the whole market's.\n\
         Days to sell at the 20% participation cap = weight x AUM / (0.2 x ADV).",
    ),
    ("position:EQ_LARGE", "Developed large caps: 1-3 bp quoted spreads, T+1 (US, since May 2024). ~0.3 days to sell."),
    ("position:EQ_MID", "Developed mid caps. ~1.1 days to sell."),
    ("position:EQ_SMALL", "Developed small caps: spreads of tens of bp. ~2.8 days to sell."),
    ("position:EQ_EM", "Emerging-market equities, T+2. ~2 days to sell."),
    ("position:FI_SOV", "G7 government bonds: the sovereign buffer tier, repo-eligible, rate-shock route."),
    ("position:FI_IG", "Benchmark investment-grade corporates, repo-eligible. ~2.8 days to sell."),
    ("position:FI_HY", "High-yield bonds. ~4.5 days to sell."),
    ("position:FI_EM", "Emerging-market hard-currency debt. ~4.5 days to sell."),
    ("position:CR_IG", "Off-benchmark investment-grade credit (smaller, older issues)."),
    ("position:CR_HY", "Off-benchmark high-yield credit."),
    ("position:CR_LOANS", "Leveraged loans: trades settle in about two weeks (LSTA), so they rank last."),
    ("position:CR_STRUCT", "Structured credit (CLO and ABS tranches)."),
    ("position:ALT_RE", "Open-ended property funds dealing monthly: illiquid under SEC 22e-4."),
    ("position:ALT_PE", "Private-equity fund interests, sold on the secondary market at a discount."),
    ("position:ALT_HF", "Hedge funds with quarterly redemption and a holdback of proceeds."),
    ("position:ALT_COMMOD", "Commodity futures: deep, T+1."),
    (
        "segments",
        "Six investor segments hold 55% of NAV. Base rates are annual turnover / 252: retail and\n\
         fund-of-funds 35% a year, near the ICI's 25-30% gross redemption rate of long-term mutual\n\
         funds; institutions 8-10%. Stress sensitivities calibrated to March 2020 bond-fund outflows\n\
         (docs/example-fund.md, docs/validation.md).",
    ),
    (
        "large_investors",
        "The ten largest investors hold 45% of NAV. Base hazards 1e-4 to 4e-4 a day; herding and\n\
         stress raise them in a run. Small liquidity-concern betas, so that a gate lifts once the\n\
         stress has passed.",
    ),
    ("policy.gates", "Gate on 30-day requests above 15% of NAV or ALR below 1.2; pay at most 10% a day."),
    ("funding", "A committed line of 5% of NAV under the UCITS 10% temporary-borrowing cap."),
];

/// A position with the example's defaults: equity-like, daily, T+2, no tier.
fn position(id: &str, class: &str, label: &str, weight: f64) -> PositionSpec {
    PositionSpec {
        id: id.to_string(),
        class: class.to_string(),
        label: label.to_string(),
        weight,
        adv: 0.0,
        spread_bps: 0.0,
        vol_annual: 0.0,
        impact: 0.0,
        settlement_days: 2,
        redemption_window_days: 0,
        tier: Tier::None,
        repo_eligible: false,
        duration: 0.0,
        convexity: 0.0,
        price_route: PriceRoute::None,
        alpha: 0.0,
        illiquid: None,
    }
}

/// A segment of many small holders.
fn segment(
    name: &str,
    share: f64,
    base_rate: f64,
    betas: [f64; 4],
    flow_vol: f64,
    notice_days: u32,
) -> SegmentSpec {
    let [beta_perf, beta_herd, beta_liq, beta_stress] = betas;
    SegmentSpec {
        name: name.to_string(),
        share,
        base_rate,
        beta_perf,
        beta_herd,
        beta_liq,
        beta_stress,
        flow_vol,
        notice_days,
    }
}

/// A large investor.
fn large(
    name: &str,
    stake: f64,
    hazard: f64,
    betas: [f64; 4],
    fraction: f64,
    notice_days: u32,
) -> LargeInvestorSpec {
    let [beta_perf, beta_herd, beta_liq, beta_stress] = betas;
    LargeInvestorSpec {
        name: name.to_string(),
        stake,
        hazard,
        beta_perf,
        beta_herd,
        beta_liq,
        beta_stress,
        fraction,
        notice_days,
    }
}

/// The example fund's file, as data.
pub fn example_spec() -> FundFile {
    FundFile {
        positions_csv: None,
        fund: FundSection {
            name: "Quantum Multi-Strategy Fund".to_string(),
            currency: "USD".to_string(),
            aum: 12e9,
            dealing: Dealing::Daily,
            redemption_settlement_days: 2,
            notice_days: 0,
            expected_return: 0.06,
            horizon_days: 90,
            cash: 0.07,
        },
        classes: default_classes(),
        positions: example_positions(),
        segments: example_segments(),
        large_investors: example_large_investors(),
        policy: PolicySection::default(),
        funding: FundingSection {
            credit_line: 0.05,
            borrowing_cap: 0.10,
            rate: 0.06,
            ..FundingSection::default()
        },
        liquidation: LiquidationSection::default(),
        model: ModelSection::default(),
        indicators: IndicatorSection::default(),
        scenarios: ScenarioConfig::default(),
    }
}

/// The example's sixteen positions: equities, fixed income and credit 40/30/15% of the 93% invested,
/// alternatives the rest.
fn example_positions() -> Vec<PositionSpec> {
    let mut positions = listed_positions();
    positions.extend(credit_and_alternative_positions());
    positions
}

/// Equities and fixed income.
fn listed_positions() -> Vec<PositionSpec> {
    vec![
        // Equities: 40% x 0.93.
        PositionSpec {
            adv: 40e9,
            spread_bps: 3.0,
            vol_annual: 0.16,
            impact: 0.6,
            settlement_days: 1,
            alpha: 0.005,
            ..position("EQ_LARGE", "equities", "large cap", 0.186)
        },
        PositionSpec {
            adv: 4e9,
            spread_bps: 8.0,
            vol_annual: 0.20,
            impact: 0.7,
            settlement_days: 1,
            alpha: 0.01,
            ..position("EQ_MID", "equities", "mid cap", 0.0744)
        },
        PositionSpec {
            adv: 1e9,
            spread_bps: 25.0,
            vol_annual: 0.24,
            impact: 0.9,
            settlement_days: 1,
            alpha: 0.015,
            ..position("EQ_SMALL", "equities", "small cap", 0.0465)
        },
        PositionSpec {
            adv: 2e9,
            spread_bps: 20.0,
            vol_annual: 0.22,
            impact: 0.8,
            alpha: 0.01,
            ..position("EQ_EM", "equities", "emerging markets", 0.0651)
        },
        // Fixed income: 30% x 0.93.
        PositionSpec {
            adv: 50e9,
            spread_bps: 2.0,
            vol_annual: 0.05,
            impact: 0.3,
            settlement_days: 1,
            tier: Tier::Sovereign,
            repo_eligible: true,
            duration: 7.0,
            convexity: 60.0,
            price_route: PriceRoute::Rate,
            ..position("FI_SOV", "fixed_income", "sovereign", 0.1116)
        },
        PositionSpec {
            adv: 2e9,
            spread_bps: 15.0,
            vol_annual: 0.07,
            impact: 1.0,
            settlement_days: 1,
            repo_eligible: true,
            duration: 7.0,
            convexity: 60.0,
            price_route: PriceRoute::Spread,
            alpha: 0.003,
            ..position("FI_IG", "fixed_income", "investment grade", 0.093)
        },
        PositionSpec {
            adv: 0.5e9,
            spread_bps: 40.0,
            vol_annual: 0.09,
            impact: 1.2,
            duration: 4.0,
            convexity: 20.0,
            price_route: PriceRoute::Spread,
            alpha: 0.01,
            ..position("FI_HY", "fixed_income", "high yield", 0.0372)
        },
        PositionSpec {
            adv: 0.5e9,
            spread_bps: 35.0,
            vol_annual: 0.10,
            impact: 1.2,
            duration: 7.0,
            convexity: 55.0,
            price_route: PriceRoute::Spread,
            alpha: 0.01,
            ..position("FI_EM", "fixed_income", "emerging markets debt", 0.0372)
        },
    ]
}

/// Credit and alternatives.
fn credit_and_alternative_positions() -> Vec<PositionSpec> {
    vec![
        // Credit: 15% x 0.93.
        PositionSpec {
            adv: 0.6e9,
            spread_bps: 30.0,
            vol_annual: 0.06,
            impact: 1.0,
            duration: 6.0,
            convexity: 45.0,
            price_route: PriceRoute::Spread,
            alpha: 0.005,
            ..position("CR_IG", "credit", "investment grade credit", 0.0558)
        },
        PositionSpec {
            adv: 0.35e9,
            spread_bps: 60.0,
            vol_annual: 0.09,
            impact: 1.3,
            duration: 4.0,
            convexity: 20.0,
            price_route: PriceRoute::Spread,
            alpha: 0.015,
            ..position("CR_HY", "credit", "high yield credit", 0.0372)
        },
        PositionSpec {
            adv: 0.25e9,
            spread_bps: 75.0,
            vol_annual: 0.06,
            impact: 1.5,
            settlement_days: 10,
            duration: 0.25,
            alpha: 0.02,
            ..position("CR_LOANS", "credit", "leveraged loans", 0.0279)
        },
        PositionSpec {
            adv: 0.2e9,
            spread_bps: 100.0,
            vol_annual: 0.08,
            impact: 1.5,
            settlement_days: 3,
            duration: 0.5,
            alpha: 0.025,
            ..position("CR_STRUCT", "credit", "structured credit", 0.0186)
        },
        // Alternatives: 15% x 0.93.
        PositionSpec {
            adv: 1.5e9,
            spread_bps: 300.0,
            vol_annual: 0.12,
            impact: 1.0,
            settlement_days: 10,
            redemption_window_days: 21,
            alpha: 0.02,
            ..position("ALT_RE", "alternatives", "real estate", 0.0465)
        },
        PositionSpec {
            adv: 0.25e9,
            spread_bps: 500.0,
            vol_annual: 0.20,
            impact: 2.0,
            settlement_days: 42,
            redemption_window_days: 63,
            alpha: 0.04,
            ..position("ALT_PE", "alternatives", "private equity", 0.0372)
        },
        PositionSpec {
            adv: 0.9e9,
            spread_bps: 100.0,
            vol_annual: 0.07,
            impact: 0.5,
            settlement_days: 21,
            redemption_window_days: 63,
            alpha: 0.03,
            ..position("ALT_HF", "alternatives", "hedge funds", 0.0372)
        },
        PositionSpec {
            adv: 20e9,
            spread_bps: 3.0,
            vol_annual: 0.20,
            impact: 0.5,
            settlement_days: 1,
            ..position("ALT_COMMOD", "alternatives", "commodities", 0.0186)
        },
    ]
}

fn example_segments() -> Vec<SegmentSpec> {
    vec![
        segment(
            "retail",
            0.15,
            0.0014,
            [0.003, 0.05, 0.00075, 0.0012],
            0.0005,
            0,
        ),
        segment(
            "wealth",
            0.12,
            0.001,
            [0.0021, 0.03, 0.0006, 0.0008],
            0.0004,
            0,
        ),
        segment(
            "pension",
            0.1,
            0.0003,
            [0.0003, 0.002, 7.5e-05, 0.0001],
            0.0001,
            5,
        ),
        segment(
            "insurance",
            0.08,
            0.0003,
            [0.0003, 0.003, 0.00015, 0.00015],
            0.0001,
            5,
        ),
        segment(
            "endowment",
            0.04,
            0.0004,
            [0.0009, 0.01, 0.0003, 0.0003],
            0.0002,
            0,
        ),
        segment(
            "fund_of_funds",
            0.06,
            0.0014,
            [0.003, 0.08, 0.0015, 0.0012],
            0.0006,
            0,
        ),
    ]
}

/// The example's ten large investors, largest stake first.
fn example_large_investors() -> Vec<LargeInvestorSpec> {
    vec![
        large(
            "Sovereign wealth fund A",
            0.08,
            0.0001,
            [0.0006, 0.005, 0.0003, 0.0002],
            0.5,
            5,
        ),
        large(
            "Corporate pension plan B",
            0.065,
            0.0001,
            [0.0006, 0.005, 0.0003, 0.0002],
            0.5,
            10,
        ),
        large(
            "Insurance group C",
            0.055,
            0.0001,
            [0.0006, 0.005, 0.0003, 0.0002],
            0.5,
            5,
        ),
        large(
            "Fund-of-funds D",
            0.05,
            0.0004,
            [0.003, 0.05, 0.0015, 0.0008],
            1.0,
            0,
        ),
        large(
            "Family office E",
            0.045,
            0.0003,
            [0.003, 0.04, 0.0012, 0.0008],
            1.0,
            0,
        ),
        large(
            "University endowment F",
            0.04,
            0.0002,
            [0.0012, 0.01, 0.0006, 0.0004],
            1.0,
            10,
        ),
        large(
            "Private bank omnibus G",
            0.035,
            0.0004,
            [0.003, 0.04, 0.0012, 0.0008],
            1.0,
            0,
        ),
        large(
            "Corporate treasury H",
            0.03,
            0.0004,
            [0.0015, 0.03, 0.00225, 0.0006],
            1.0,
            0,
        ),
        large(
            "Public pension plan I",
            0.025,
            0.0001,
            [0.0006, 0.005, 0.0003, 0.0002],
            0.5,
            10,
        ),
        large(
            "Multi-manager platform J",
            0.025,
            0.0004,
            [0.003, 0.05, 0.0015, 0.001],
            1.0,
            0,
        ),
    ]
}

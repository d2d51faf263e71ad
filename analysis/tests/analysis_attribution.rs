//! The cascade attribution on constructed records: exogenous and endogenous groups with their
//! subtotals, contributions in shares beside money (a spiral that lowers NAV per share lowers
//! the money redeemed while raising the shares redeemed), and paired standard errors against
//! their closed form.

use undertow_analysis::investor_behaviour::{
    findings::findings, group_of, paired, tables::tables, Attribution, InvestorReport, Variant,
    CHANNELS,
};
use undertow_kernel::ScenarioOutput;

/// A record requesting `money` (fraction of starting NAV) with `accepted` shares accepted.
fn rec(money: f32, accepted: f32) -> ScenarioOutput {
    ScenarioOutput {
        requested: money,
        accepted_shares: accepted,
        ..ScenarioOutput::default()
    }
}

#[test]
fn market_stress_and_drawdown_are_exogenous_the_spiral_endogenous() {
    let exo: Vec<&str> = CHANNELS
        .iter()
        .map(|c| c.0)
        .filter(|c| group_of(c) == "exogenous")
        .collect();
    assert_eq!(exo, vec!["performance", "market_stress"]);
    for c in [
        "herding",
        "liquidity_concern",
        "crowding",
        "permanent_impact",
    ] {
        assert_eq!(group_of(c), "endogenous", "{c}");
    }
}

#[test]
fn paired_standard_errors_match_the_closed_form() {
    // Differences 1, 2, 3: mean 2, sample sd 1, s.e. 1/sqrt(3).
    let (m, se) = paired(&[1.0, 3.0, 5.0], &[0.0, 1.0, 2.0]);
    assert!((m - 2.0).abs() < 1e-12);
    assert!((se - 1.0 / 3f64.sqrt()).abs() < 1e-12, "{se}");
    // A corrupted pair moves it.
    let (_, bad) = paired(&[1.0, 3.0, 6.0], &[0.0, 1.0, 2.0]);
    assert!((bad - 1.0 / 3f64.sqrt()).abs() > 1e-3);
    assert_eq!(paired(&[], &[]), (0.0, 0.0));
    assert_eq!(paired(&[2.0], &[1.0]), (1.0, 0.0));
}

/// Two scenarios. With every channel on the fund's own impact has cut NAV per share: requests
/// are worth 0.08 and 0.06 of starting NAV but are 0.12 and 0.10 of the shares. Without
/// permanent impact they are worth 0.10 and 0.08 and are 0.10 and 0.08 of the shares. Market
/// stress adds 0.01 of shares and 0.01 of money in each scenario; the other channels nothing.
fn constructed() -> Attribution {
    let on = [rec(0.08, 0.11), rec(0.06, 0.09)];
    let on_shares = [0.12, 0.10];
    let no_perm = [rec(0.10, 0.09), rec(0.08, 0.07)];
    let no_perm_shares = [0.10, 0.08];
    let no_stress = [rec(0.07, 0.10), rec(0.05, 0.08)];
    let no_stress_shares = [0.11, 0.09];
    let off = [rec(0.09, 0.08), rec(0.07, 0.06)];
    let off_shares = [0.09, 0.07];
    let each: Vec<Variant> = CHANNELS
        .iter()
        .map(|(name, _)| match *name {
            "permanent_impact" => Variant {
                outputs: &no_perm,
                requested_shares: &no_perm_shares,
            },
            "market_stress" => Variant {
                outputs: &no_stress,
                requested_shares: &no_stress_shares,
            },
            _ => Variant {
                outputs: &on,
                requested_shares: &on_shares,
            },
        })
        .collect();
    let enabled = vec![true; CHANNELS.len()];
    Attribution::from_variants(
        &enabled,
        Variant {
            outputs: &on,
            requested_shares: &on_shares,
        },
        &each,
        Variant {
            outputs: &off,
            requested_shares: &off_shares,
        },
    )
}

#[test]
fn a_spiral_that_lowers_money_but_raises_shares_counts_as_more_redemptions() {
    let a = constructed();
    let perm = a
        .channels
        .iter()
        .find(|c| c.channel == "permanent_impact")
        .unwrap();
    // Money says the spiral lowered redemptions by 2 points of NAV; shares say it raised them
    // by 2 points of the shares in issue, and accepted shares by 2 points too.
    assert!((perm.outflow + 0.02).abs() < 1e-7, "{}", perm.outflow);
    assert!((perm.requested_shares - 0.02).abs() < 1e-12);
    assert!((perm.accepted_shares - 0.02).abs() < 1e-7);
    // The same difference in both scenarios: no spread, s.e. 0.
    assert!(perm.requested_shares_se < 1e-12);
    // Subtotals: endogenous = permanent impact, exogenous = market stress.
    let g = |name: &str| a.groups.iter().find(|g| g.group == name).unwrap();
    let (exo, endo) = (g("exogenous"), g("endogenous"));
    assert!((endo.requested_shares - 0.02).abs() < 1e-12);
    assert!((endo.outflow + 0.02).abs() < 1e-7);
    assert!((exo.requested_shares - 0.01).abs() < 1e-12);
    assert!((exo.outflow - 0.01).abs() < 1e-7);
    assert_eq!(exo.channels, vec!["performance", "market_stress"]);
    // Totals in shares: on − off = 0.03; the interaction is what the channels leave, 0.
    assert!((a.total_requested_shares - 0.03).abs() < 1e-12);
    assert!(a.interaction_requested_shares.abs() < 1e-12);
    // Group shares of the total in shares add to one with the interaction.
    let sum: f64 = a.groups.iter().map(|g| g.requested_shares_share).sum();
    assert!((sum - 1.0).abs() < 1e-9, "{sum}");
}

#[test]
fn the_findings_and_table_carry_the_groups_in_shares() {
    let report = InvestorReport {
        base: undertow_analysis::investor_behaviour::InvestorBase {
            hhi: 0.0,
            top10_share: 0.0,
            segment_share: 1.0,
            segments: Vec::new(),
            large_investors: Vec::new(),
        },
        sweep_scenarios: 2,
        requested: Vec::new(),
        mean_large_redeemed: 0.0,
        any_large_redeemed: 0.0,
        scenarios_used: 2,
        holders: Vec::new(),
        attribution: Some(constructed()),
    };
    let f = findings(&report);
    let c = f.iter().find(|f| f.topic == "cascade_attribution").unwrap();
    assert!((c.values["endogenous_requested_shares"] - 0.02).abs() < 1e-12);
    assert!((c.values["exogenous_requested_shares"] - 0.01).abs() < 1e-12);
    assert!(
        c.text.contains("endogenous channels +2.00 pp"),
        "{}",
        c.text
    );
    let t = tables(&report);
    let att = t.iter().find(|t| t.file == "attribution.csv").unwrap();
    assert!(att.rows.iter().all(|r| r.len() == att.header.len()));
    assert!(att.rows.iter().any(|r| r[0] == "endogenous_subtotal"));
}

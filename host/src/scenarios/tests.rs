//! Tests across the scenario modules: determinism under any chunking, every drawn field within
//! its documented range, family frequencies, the copula's rank correlation, replays against
//! docs/scenarios.md, and script files (including their errors).

use undertow_kernel::{sflag, ScenarioParams, MAX_CLASSES};

use super::generate::{
    CASH_LIKE, SENSITIVITY_FLIGHT_TO_QUALITY, SENSITIVITY_FUNDING, SENSITIVITY_MARKET_WIDE,
};
use super::replay::{kind_index, KIND_KEYS};
use super::*;

const KINDS: [ClassKind; 5] = [
    ClassKind::Equity,
    ClassKind::FixedIncome,
    ClassKind::Credit,
    ClassKind::Alternative,
    ClassKind::CashLike,
];

/// The facts about a fund that scenarios use, owned, so that a test can vary them.
struct TestFund {
    classes: Vec<ClassInfo>,
    horizon: u32,
    segment_names: Vec<String>,
    large_names: Vec<String>,
    scenarios: ScenarioConfig,
}

impl<'a> From<&'a TestFund> for FundShape<'a> {
    fn from(fund: &'a TestFund) -> Self {
        FundShape {
            horizon: fund.horizon,
            classes: &fund.classes,
            segment_names: &fund.segment_names,
            large_names: &fund.large_names,
            scenarios: &fund.scenarios,
        }
    }
}

/// A fund with one class of every kind, three segments and four large investors, horizon 90.
fn test_fund() -> TestFund {
    TestFund {
        classes: ["equities", "fixed_income", "credit", "alternatives", "cash"]
            .iter()
            .zip(KINDS)
            .map(|(name, kind)| ClassInfo {
                name: name.to_string(),
                kind,
            })
            .collect(),
        horizon: 90,
        segment_names: ["retail", "wealth", "pension"].map(String::from).to_vec(),
        large_names: (1..=4).map(|i| format!("Large investor {i}")).collect(),
        scenarios: ScenarioConfig::default(),
    }
}

fn only(weights: impl FnOnce(&mut FamilyWeights)) -> ScenarioConfig {
    let mut w = FamilyWeights {
        market_wide: 0.0,
        asset_class_specific: 0.0,
        flight_to_quality: 0.0,
        funding_liquidity_shock: 0.0,
        gfc_2008: 0.0,
        taper_tantrum_2013: 0.0,
        dash_for_cash_2020: 0.0,
        uk_ldi_2022: 0.0,
        calm: 0.0,
    };
    weights(&mut w);
    ScenarioConfig {
        weights: w,
        ..ScenarioConfig::default()
    }
}

#[test]
fn determinism_is_independent_of_chunking() {
    let fund = test_fund();
    let cfg = ScenarioConfig::default();
    let whole = generate(&fund, &cfg, 42, 0..1000);
    let mut split = generate(&fund, &cfg, 42, 0..300);
    split.extend(generate(&fund, &cfg, 42, 300..1000));
    let one_by_one: Vec<ScenarioParams> = (0..1000).map(|k| scenario(&fund, &cfg, 42, k)).collect();
    assert_eq!(whole.len(), 1000);
    // Compare bytes, so that even a NaN would have to match bit for bit.
    let bytes = |v: &[ScenarioParams]| bytemuck::cast_slice::<ScenarioParams, u8>(v).to_vec();
    assert_eq!(bytes(&whole), bytes(&split));
    assert_eq!(bytes(&whole), bytes(&one_by_one));
    // A tail block far from 0 equals the same indices drawn alone.
    let tail = generate(&fund, &cfg, 42, 1_000_000..1_000_010);
    assert_eq!(tail[7], scenario(&fund, &cfg, 42, 1_000_007));
    // And the seed and the index both matter.
    assert_ne!(whole[0], scenario(&fund, &cfg, 43, 0));
    assert_ne!(whole[0], whole[1]);
}

/// Checks one scenario against the documented ranges (docs/scenarios.md).
fn check_ranges(p: &ScenarioParams, fund: &TestFund, cfg: &ScenarioConfig) {
    let ctx = || context(p);
    let within = |name: &str, x: f32, span: Span<f64>| assert_within(p, name, x, span);
    assert!(
        p.family <= family::FUNDING_LIQUIDITY_SHOCK
            || family::is_replay(p.family)
            || p.family == family::CALM,
        "{}",
        ctx()
    );
    assert_eq!(p.n_events, 0);
    if p.family == family::CALM {
        check_calm(p, fund, cfg);
        return;
    }
    assert_eq!(p.flags & sflag::SCRIPTED, 0);
    assert!(p.regime <= regime::CRISIS);
    assert_eq!(p.rho, cfg.regimes.rho(p.regime) as f32);
    assert!(p.onset < fund.horizon && p.ramp >= 1, "{}", ctx());
    let n = fund.classes.len();
    for c in n..MAX_CLASSES {
        assert_eq!(
            (p.depth_cut[c], p.spread_mult[c], p.volume_cut[c]),
            (0.0, 1.0, 0.0),
            "unused slot {c}"
        );
        assert_eq!(
            (p.price_shock[c], p.vol_mult[c], p.crowding[c]),
            (0.0, 1.0, 0.0),
            "unused slot {c}"
        );
    }

    if let Some(r) = replay::replay(p.family) {
        // Replays are their tables; the tables' own sanity is tested in replay.rs.
        for (c, class) in fund.classes.iter().enumerate() {
            let k = &r.kinds[kind_index(class.kind)];
            assert_eq!(p.depth_cut[c], k.depth_cut as f32);
            assert_eq!(p.crowding[c], k.crowding as f32);
        }
        assert_eq!(p.recovery, r.recovery as f32);
        return;
    }
    within("recovery", p.recovery, family_ranges(p.family, cfg).1);

    let t = &cfg.timing;
    assert!(
        p.onset >= t.onset.0 && p.onset <= t.onset.1,
        "onset {}",
        p.onset
    );
    assert!(p.ramp >= t.ramp.0 && p.ramp <= t.ramp.1, "ramp {}", p.ramp);
    assert!(
        p.plateau >= t.plateau.0 && p.plateau <= t.plateau.1,
        "plateau {}",
        p.plateau
    );
    within("half_life", p.half_life, t.half_life);
    within(
        "redemption_severity",
        p.redemption_severity,
        cfg.redemption.severity,
    );
    within("redemption_mult", p.redemption_mult, cfg.redemption.mult);
    within("large_mult", p.large_mult, cfg.redemption.large_mult);
    assert!(p.redemption_mult >= 1.0 && (0.0..=1.0).contains(&p.redemption_severity));

    let band = match p.family {
        family::MARKET_WIDE_MODERATE => cfg.market_wide.severity.moderate,
        family::MARKET_WIDE_SEVERE => cfg.market_wide.severity.severe,
        family::MARKET_WIDE_EXTREME => cfg.market_wide.severity.extreme,
        family::ASSET_CLASS_SPECIFIC => cfg.asset_class_specific.severity,
        family::FLIGHT_TO_QUALITY => cfg.flight_to_quality.severity,
        _ => cfg.funding_liquidity_shock.severity,
    };
    within("market_severity", p.market_severity, band);

    if p.family == family::FUNDING_LIQUIDITY_SHOCK {
        within(
            "funding_shock",
            p.funding_shock,
            cfg.funding_liquidity_shock.funding_shock,
        );
        within(
            "haircut_addon",
            p.haircut_addon,
            cfg.funding_liquidity_shock.haircut_addon,
        );
    } else {
        within("funding_shock", p.funding_shock, cfg.funding.shock);
        within("haircut_addon", p.haircut_addon, cfg.funding.haircut_addon);
    }

    let ftq = p.family == family::FLIGHT_TO_QUALITY;
    assert_eq!(p.flags & sflag::DURATION_ROUTE != 0, ftq, "{}", ctx());
    if ftq {
        within("rate_shock", p.rate_shock, cfg.flight_to_quality.rate_shock);
        within(
            "credit_spread_shock",
            p.credit_spread_shock,
            cfg.flight_to_quality.credit_spread_shock,
        );
    } else {
        assert_eq!((p.rate_shock, p.credit_spread_shock), (0.0, 0.0));
    }

    check_class_ranges(p, fund, cfg);
}

/// The crowding and recovery ranges of a drawn family's code.
fn family_ranges(code: u32, cfg: &ScenarioConfig) -> (Span<f64>, Span<f64>) {
    match code {
        family::MARKET_WIDE_MODERATE | family::MARKET_WIDE_SEVERE | family::MARKET_WIDE_EXTREME => {
            (cfg.market_wide.crowding, cfg.market_wide.recovery)
        }
        family::ASSET_CLASS_SPECIFIC => (
            cfg.asset_class_specific.crowding,
            cfg.asset_class_specific.recovery,
        ),
        family::FLIGHT_TO_QUALITY => (
            cfg.flight_to_quality.crowding,
            cfg.flight_to_quality.recovery,
        ),
        family::FUNDING_LIQUIDITY_SHOCK => (
            cfg.funding_liquidity_shock.crowding,
            cfg.funding_liquidity_shock.recovery,
        ),
        other => panic!("family {other} is not drawn from ranges"),
    }
}

/// A calm scenario: no shock anywhere, the stress profile never rises within the horizon,
/// redemptions at their calm rates, the normal regime.
fn check_calm(p: &ScenarioParams, fund: &TestFund, cfg: &ScenarioConfig) {
    let ctx = || context(p);
    for c in 0..MAX_CLASSES {
        assert_eq!(
            (p.depth_cut[c], p.spread_mult[c], p.volume_cut[c]),
            (0.0, 1.0, 0.0),
            "class {c}: {}",
            ctx()
        );
        assert_eq!(
            (p.price_shock[c], p.vol_mult[c], p.crowding[c]),
            (0.0, 1.0, 0.0),
            "class {c}: {}",
            ctx()
        );
    }
    assert!(
        p.onset >= fund.horizon,
        "onset {} within the horizon",
        p.onset
    );
    let g = |t: i32| undertow_kernel::market::stress_profile::<f64>(p, t);
    assert!((0..fund.horizon as i32).all(|t| g(t) == 0.0), "{}", ctx());
    assert_eq!(
        (p.regime, p.rho),
        (regime::NORMAL, cfg.regimes.normal as f32)
    );
    assert_eq!(
        (p.redemption_mult, p.redemption_severity, p.large_mult),
        (1.0, 0.0, 1.0)
    );
    assert_eq!(
        (
            p.funding_shock,
            p.haircut_addon,
            p.recovery,
            p.market_severity
        ),
        (0.0, 0.0, 0.0, 0.0)
    );
    assert_eq!(
        (p.rate_shock, p.credit_spread_shock, p.flags),
        (0.0, 0.0, 0)
    );
}

/// Which scenario failed, for assertion messages.
fn context(p: &ScenarioParams) -> String {
    format!("family {} ({}): {p:?}", p.family, family::name(p.family))
}

/// Asserts that field `name` of `p`, `x`, is a finite number within `span`.
fn assert_within(p: &ScenarioParams, name: &str, x: f32, span: Span<f64>) {
    assert!(
        x.is_finite() && span.contains(x as f64),
        "{name} = {x} outside {span}; {}",
        context(p)
    );
}

/// Checks every class's shock of a drawn (not replayed) scenario against its kind's ranges.
fn check_class_ranges(p: &ScenarioParams, fund: &TestFund, cfg: &ScenarioConfig) {
    let within = |name: &str, x: f32, span: Span<f64>| assert_within(p, name, x, span);
    let m = &cfg.market;
    let ftq = p.family == family::FLIGHT_TO_QUALITY;
    for (c, class) in fund.classes.iter().enumerate() {
        let name = |field: &str| format!("{}[{c}] ({:?})", field, class.kind);
        if class.kind == ClassKind::CashLike {
            within(&name("depth_cut"), p.depth_cut[c], CASH_LIKE.depth_cut);
            within(
                &name("spread_mult"),
                p.spread_mult[c],
                CASH_LIKE.spread_mult,
            );
            within(&name("volume_cut"), p.volume_cut[c], CASH_LIKE.volume_cut);
            within(
                &name("price_shock"),
                p.price_shock[c],
                CASH_LIKE.price_shock,
            );
            within(&name("vol_mult"), p.vol_mult[c], CASH_LIKE.vol_mult);
            within(&name("crowding"), p.crowding[c], CASH_LIKE.crowding);
            continue;
        }
        within(&name("depth_cut"), p.depth_cut[c], m.depth_cut);
        within(&name("spread_mult"), p.spread_mult[c], m.spread_mult);
        within(&name("volume_cut"), p.volume_cut[c], m.volume_cut);
        within(&name("vol_mult"), p.vol_mult[c], m.vol_mult);
        within(
            &name("crowding"),
            p.crowding[c],
            family_ranges(p.family, cfg).0,
        );
        let ftq_cfg = &cfg.flight_to_quality;
        let price = match class.kind {
            // Through duration: -D dy for fixed income, -D (dy + ds) for credit.
            ClassKind::FixedIncome if ftq => {
                let d = ftq_cfg.reference_duration_fixed_income;
                Span(-d * ftq_cfg.rate_shock.1, -d * ftq_cfg.rate_shock.0)
            }
            ClassKind::Credit if ftq => {
                let d = ftq_cfg.reference_duration_credit;
                Span(
                    -d * (ftq_cfg.rate_shock.1 + ftq_cfg.credit_spread_shock.1),
                    -d * (ftq_cfg.rate_shock.0 + ftq_cfg.credit_spread_shock.0),
                )
            }
            ClassKind::Equity => m.price_shock.equity,
            ClassKind::FixedIncome => m.price_shock.fixed_income,
            ClassKind::Credit => m.price_shock.credit,
            _ => m.price_shock.alternative,
        };
        within(&name("price_shock"), p.price_shock[c], price);
    }
}

#[test]
fn every_drawn_field_is_within_its_documented_range() {
    let fund = test_fund();
    let cfg = ScenarioConfig::default();
    let all = generate(&fund, &cfg, 7, 0..10_000);
    let mut seen = [0usize; family::COUNT];
    for p in &all {
        check_ranges(p, &fund, &cfg);
        seen[p.family as usize] += 1;
    }
    // Every family was exercised (scripted ones are never drawn, calm ones not in the stress
    // library).
    assert!(
        seen[..family::SCRIPTED as usize].iter().all(|&n| n > 0),
        "{seen:?}"
    );
    assert_eq!(seen[family::SCRIPTED as usize], 0);
    assert_eq!(seen[family::CALM as usize], 0);

    // The unconditional mixture: calm scenarios pass their own checks too.
    let unconditional = cfg.unconditional();
    let mut calm = 0;
    for p in generate(&fund, &unconditional, 7, 0..2_000) {
        check_ranges(&p, &fund, &unconditional);
        calm += (p.family == family::CALM) as usize;
    }
    assert!(calm > 0);

    // Non-default ranges are honoured too, including a short horizon that clamps the onset.
    let mut narrow = test_fund();
    narrow.horizon = 10;
    let text = "[market]\ndepth_cut = [0.6, 0.7]\nspread_mult = [3, 4]\nvolume_cut = [0.4, 0.5]\n\
                [redemption]\nmult = [2, 3]\n[timing]\nonset = [2, 9]\n\
                [market_wide]\ncrowding = [0, 0]\nrecovery = [0.4, 0.5]\n";
    let cfg: ScenarioConfig = toml::from_str(text).unwrap();
    cfg.validate().unwrap();
    for p in generate(&narrow, &cfg, 3, 0..2_000) {
        check_ranges(&p, &narrow, &cfg);
    }
}

#[test]
fn onset_is_clamped_into_the_horizon() {
    let mut fund = test_fund();
    fund.horizon = 5;
    let mut cfg = only(|w| w.market_wide = 1.0);
    cfg.timing.onset = Span(20, 40);
    for p in generate(&fund, &cfg, 1, 0..200) {
        assert_eq!(p.onset, 4);
    }
    cfg.weights = FamilyWeights::default();
    for p in generate(&fund, &cfg, 1, 0..200) {
        assert!(p.onset <= 4);
    }
}

#[test]
fn family_frequencies_match_the_weights() {
    let fund = test_fund();
    let cfg = ScenarioConfig::default();
    let n = 20_000;
    let mut counts = [0usize; family::COUNT];
    for p in generate(&fund, &cfg, 99, 0..n) {
        counts[p.family as usize] += 1;
    }
    let w = &cfg.weights;
    let total: f64 = w.entries().iter().map(|(_, x)| x).sum();
    let mix = &cfg.market_wide.mix;
    let mix_total = mix.moderate + mix.severe + mix.extreme;
    let expected = [
        (
            family::MARKET_WIDE_MODERATE,
            w.market_wide * mix.moderate / mix_total,
        ),
        (
            family::MARKET_WIDE_SEVERE,
            w.market_wide * mix.severe / mix_total,
        ),
        (
            family::MARKET_WIDE_EXTREME,
            w.market_wide * mix.extreme / mix_total,
        ),
        (family::ASSET_CLASS_SPECIFIC, w.asset_class_specific),
        (family::FLIGHT_TO_QUALITY, w.flight_to_quality),
        (family::FUNDING_LIQUIDITY_SHOCK, w.funding_liquidity_shock),
        (family::GFC_2008, w.gfc_2008),
        (family::TAPER_TANTRUM_2013, w.taper_tantrum_2013),
        (family::DASH_FOR_CASH_2020, w.dash_for_cash_2020),
        (family::UK_LDI_2022, w.uk_ldi_2022),
    ];
    for (code, weight) in expected {
        let p = weight / total;
        let got = counts[code as usize] as f64;
        let mean = p * n as f64;
        // Five binomial standard deviations: a false alarm once in millions of runs.
        let tol = 5.0 * (mean * (1.0 - p)).sqrt();
        assert!(
            (got - mean).abs() < tol,
            "{}: {got} drawn, {mean:.0} ± {tol:.0} expected",
            family::name(code)
        );
    }

    // Families with weight zero never appear.
    let cfg = only(|w| {
        w.flight_to_quality = 1.0;
        w.uk_ldi_2022 = 3.0;
    });
    let all = generate(&fund, &cfg, 5, 0..4_000);
    assert!(all
        .iter()
        .all(|p| p.family == family::FLIGHT_TO_QUALITY || p.family == family::UK_LDI_2022));
    let ldi = all
        .iter()
        .filter(|p| p.family == family::UK_LDI_2022)
        .count() as f64
        / 4_000.0;
    assert!((ldi - 0.75).abs() < 0.035, "ldi share {ldi}");
}

/// Kendall's tau by direct pair counting (O(n^2), fine for 20k).
fn kendall_tau(pairs: &[(f64, f64)]) -> f64 {
    let n = pairs.len();
    let mut concordant_minus_discordant: i64 = 0;
    for i in 0..n {
        let (xi, yi) = pairs[i];
        for &(xj, yj) in &pairs[i + 1..] {
            let s = (xi - xj) * (yi - yj);
            concordant_minus_discordant += (s > 0.0) as i64 - (s < 0.0) as i64;
        }
    }
    concordant_minus_discordant as f64 / (n as f64 * (n as f64 - 1.0) / 2.0)
}

/// For an elliptical copula, Kendall's tau is (2/pi) arcsin(rho) whatever the degrees of freedom;
/// and since market severity is an increasing map of the copula's first uniform within a family
/// (tiers included), the generated scenarios inherit it exactly.
#[test]
fn kendall_tau_of_severities_matches_the_copula_correlation() {
    let fund = test_fund();
    for (kind, rho) in [
        (CopulaKind::StudentT, 0.6),
        (CopulaKind::Gaussian, 0.6),
        (CopulaKind::StudentT, 0.3),
    ] {
        let mut cfg = only(|w| w.market_wide = 1.0);
        cfg.copula.kind = kind;
        cfg.copula.rho = rho;
        let pairs: Vec<(f64, f64)> = generate(&fund, &cfg, 2024, 0..20_000)
            .iter()
            .map(|p| (p.market_severity as f64, p.redemption_severity as f64))
            .collect();
        let tau = kendall_tau(&pairs);
        let expected = 2.0 / std::f64::consts::PI * rho.asin();
        // The standard error of tau at n = 20k is about 0.005 (checked over several seeds).
        assert!(
            (tau - expected).abs() < 0.02,
            "{kind:?} rho {rho}: tau {tau}, expected {expected}"
        );
    }
}

#[test]
fn redemption_stress_rises_with_the_market_tier() {
    let fund = test_fund();
    let all = generate(&fund, &only(|w| w.market_wide = 1.0), 8, 0..6_000);
    let mean = |code| {
        let v: Vec<f64> = all
            .iter()
            .filter(|p| p.family == code)
            .map(|p| p.redemption_severity as f64)
            .collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    let (moderate, severe, extreme) = (
        mean(family::MARKET_WIDE_MODERATE),
        mean(family::MARKET_WIDE_SEVERE),
        mean(family::MARKET_WIDE_EXTREME),
    );
    assert!(
        moderate < severe && severe < extreme,
        "{moderate} {severe} {extreme}"
    );
    // Crisis regimes concentrate in the extreme tier.
    let crisis_share = |code| {
        let v: Vec<_> = all.iter().filter(|p| p.family == code).collect();
        v.iter().filter(|p| p.regime == regime::CRISIS).count() as f64 / v.len() as f64
    };
    assert!(crisis_share(family::MARKET_WIDE_EXTREME) > 0.4);
    assert!(crisis_share(family::MARKET_WIDE_MODERATE) < 0.1);
}

#[test]
fn flight_to_quality_rallies_sovereigns_and_hits_credit_hardest() {
    let fund = test_fund();
    let all = generate(&fund, &only(|w| w.flight_to_quality = 1.0), 11, 0..2_000);
    let (fi, cr) = (1, 2);
    let mut credit_worse = 0;
    for p in &all {
        assert_ne!(p.flags & sflag::DURATION_ROUTE, 0);
        assert!(p.rate_shock < 0.0 && p.credit_spread_shock > 0.0);
        assert!(
            p.price_shock[fi] > 0.0,
            "sovereign-heavy fixed income rallies"
        );
        credit_worse +=
            (p.spread_mult[cr] > p.spread_mult[fi] && p.depth_cut[cr] > p.depth_cut[fi]) as usize;
    }
    assert!(
        credit_worse as f64 > 0.95 * all.len() as f64,
        "{credit_worse}"
    );
    const { assert!(SENSITIVITY_FLIGHT_TO_QUALITY[2] > SENSITIVITY_FLIGHT_TO_QUALITY[1]) };
    const { assert!(SENSITIVITY_FUNDING[1] > SENSITIVITY_MARKET_WIDE[1]) };
}

#[test]
fn asset_class_specific_hits_one_risk_class() {
    let fund = test_fund();
    let mut cfg = only(|w| w.asset_class_specific = 1.0);
    // Small class noise, so that no mildly hit class can reach the hit class's severity.
    cfg.market.class_dispersion = 0.05;
    let mut hits = [0usize; 5];
    for p in generate(&fund, &cfg, 12, 0..4_000) {
        let s = p.market_severity as f64;
        // The hit class sits exactly at the scenario's severity; the others far below it.
        let at = |c: usize| (p.depth_cut[c] as f64 - cfg.market.depth_cut.lerp(s)).abs() < 1e-6;
        let hit: Vec<usize> = (0..4).filter(|&c| at(c)).collect();
        assert_eq!(hit.len(), 1, "{p:?}");
        hits[hit[0]] += 1;
        for c in (0..4).filter(|&c| c != hit[0]) {
            assert!(p.depth_cut[c] < p.depth_cut[hit[0]]);
        }
    }
    // Uniform over the four risk classes, never the cash-like one.
    assert!(
        hits[..4]
            .iter()
            .all(|&h| (h as f64 - 1_000.0).abs() < 150.0),
        "{hits:?}"
    );
    assert_eq!(hits[4], 0);
}

#[test]
fn funding_shock_family_cuts_funding() {
    let fund = test_fund();
    let cfg = ScenarioConfig::default();
    let all = generate(
        &fund,
        &only(|w| w.funding_liquidity_shock = 1.0),
        13,
        0..1_000,
    );
    assert!(all
        .iter()
        .all(|p| p.funding_shock >= 0.5 && p.haircut_addon >= 0.05));
    let others = generate(&fund, &only(|w| w.market_wide = 1.0), 13, 0..1_000);
    let max_background = others.iter().map(|p| p.funding_shock).fold(0.0, f32::max);
    assert!(max_background <= cfg.funding.shock.1 as f32 + 1e-6);
}

#[test]
fn replays_produce_their_tabled_parameters() {
    let fund = test_fund();
    for r in &REPLAYS {
        let mut cfg = only(|_| {});
        match r.family {
            family::GFC_2008 => cfg.weights.gfc_2008 = 1.0,
            family::TAPER_TANTRUM_2013 => cfg.weights.taper_tantrum_2013 = 1.0,
            family::DASH_FOR_CASH_2020 => cfg.weights.dash_for_cash_2020 = 1.0,
            _ => cfg.weights.uk_ldi_2022 = 1.0,
        }
        let all = generate(&fund, &cfg, 1, 0..20);
        // A replay is one record whatever the index.
        assert!(all.iter().all(|p| *p == all[0]));
        let p = &all[0];
        assert_eq!(p.family, r.family);
        assert_eq!(p.flags, sflag::DURATION_ROUTE);
        assert_eq!(
            (p.onset, p.ramp, p.plateau, p.regime),
            (5, r.ramp, r.plateau, r.regime)
        );
        assert_eq!(p.rho, cfg.regimes.rho(r.regime) as f32);
        assert_eq!(p.half_life, r.half_life as f32);
        assert_eq!(p.rate_shock, r.rate_shock as f32);
        assert_eq!(p.credit_spread_shock, r.credit_spread_shock as f32);
        assert_eq!(p.redemption_mult, r.redemption_mult as f32);
        assert_eq!(p.redemption_severity, r.redemption_severity as f32);
        assert_eq!(p.large_mult, r.large_mult as f32);
        assert_eq!(p.funding_shock, r.funding_shock as f32);
        assert_eq!(p.haircut_addon, r.haircut_addon as f32);
        assert_eq!(p.market_severity, r.market_severity as f32);
        assert_eq!(p.recovery, r.recovery as f32);
        for (c, kind) in KINDS.iter().enumerate() {
            let k = &r.kinds[kind_index(*kind)];
            assert_eq!(
                [
                    p.depth_cut[c],
                    p.spread_mult[c],
                    p.volume_cut[c],
                    p.price_shock[c],
                    p.vol_mult[c],
                    p.crowding[c]
                ],
                [
                    k.depth_cut,
                    k.spread_mult,
                    k.volume_cut,
                    k.price_shock,
                    k.vol_mult,
                    k.crowding
                ]
                .map(|x| x as f32),
                "{} class {c}",
                family::name(r.family)
            );
        }
    }
    // Every replay was worse for credit than for equities' liquidity, and the 2008 and 2020
    // episodes moved sovereign yields down while 2013 and 2022 moved them up.
    assert!(REPLAYS[0].rate_shock < 0.0 && REPLAYS[2].rate_shock < 0.0);
    assert!(REPLAYS[1].rate_shock > 0.0 && REPLAYS[3].rate_shock > 0.0);
}

/// The replay tables in docs/scenarios.md are the ones in the code.
#[test]
fn replay_tables_in_the_docs_match_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/scenarios.md");
    let doc = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    for r in &REPLAYS {
        let key = family::name(r.family);
        let heading = format!("### `{key}`");
        let start = doc
            .find(&heading)
            .unwrap_or_else(|| panic!("docs/scenarios.md has no heading {heading}"));
        let section = &doc[start + heading.len()..];
        let section = &section[..section.find("\n### ").unwrap_or(section.len())];
        let mut kinds_seen = 0;
        let mut scalars_seen = 0;
        for line in section.lines().filter(|l| l.starts_with('|')) {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let first = cells[1].trim_matches('`');
            let num = |i: usize| -> f64 {
                cells[i]
                    .parse()
                    .unwrap_or_else(|_| panic!("{key}: cannot read {:?} in {line:?}", cells[i]))
            };
            if let Some(k) = KIND_KEYS.iter().position(|&kk| kk == first) {
                let want = r.kinds[k];
                let got = [num(2), num(3), num(4), num(5), num(6), num(7)];
                let want = [
                    want.depth_cut,
                    want.spread_mult,
                    want.volume_cut,
                    want.price_shock,
                    want.vol_mult,
                    want.crowding,
                ];
                assert_eq!(got, want, "{key}: row {first} of docs/scenarios.md");
                kinds_seen += 1;
                continue;
            }
            let want = match first {
                "ramp" => r.ramp as f64,
                "plateau" => r.plateau as f64,
                "half_life" => r.half_life,
                "market_severity" => r.market_severity,
                "rate_shock" => r.rate_shock,
                "credit_spread_shock" => r.credit_spread_shock,
                "redemption_mult" => r.redemption_mult,
                "redemption_severity" => r.redemption_severity,
                "large_mult" => r.large_mult,
                "funding_shock" => r.funding_shock,
                "haircut_addon" => r.haircut_addon,
                "recovery" => r.recovery,
                "regime" => {
                    assert_eq!(cells[2], regime::NAMES[r.regime as usize], "{key}: regime");
                    scalars_seen += 1;
                    continue;
                }
                _ => continue,
            };
            assert_eq!(num(2), want, "{key}: {first} in docs/scenarios.md");
            scalars_seen += 1;
        }
        assert_eq!(
            kinds_seen, 5,
            "{key}: docs/scenarios.md should have a row per class kind"
        );
        assert_eq!(
            scalars_seen, 13,
            "{key}: docs/scenarios.md should list all 13 scenario-level values"
        );
    }
}

#[test]
fn no_configuration_makes_generation_panic() {
    let fund = test_fund();
    let mut cfg = only(|_| {}); // all weights zero: falls back to the first family
    cfg.market_wide.mix.moderate = 0.0;
    cfg.market_wide.mix.severe = 0.0;
    cfg.market_wide.mix.extreme = 0.0;
    cfg.timing.onset = Span(50, 3);
    cfg.timing.ramp = Span(0, 0);
    cfg.market.depth_cut = Span(0.9, 0.1);
    cfg.copula.dof = -3.0;
    cfg.copula.rho = f64::NAN;
    assert!(cfg.validate().is_err());
    let mut empty = test_fund();
    empty.classes.clear();
    empty.horizon = 0;
    for f in [&fund, &empty] {
        for p in generate(f, &cfg, 0, 0..100) {
            assert!(p.ramp >= 1);
            assert!(p.onset < f.horizon.max(1));
        }
        let cfg = only(|w| w.asset_class_specific = 1.0);
        generate(f, &cfg, 0, 0..100);
    }
}

const SCRIPT: &str = r#"
[[script]]
name = "Largest holder leaves into a sell-off"
onset = 2
ramp = 3
plateau = 10
half_life = 15
regime = "crisis"
funding_shock = 0.4
haircut_addon = 0.1
rate_shock = -0.005
redemption_mult = 0
recovery = 0.4

[script.market.equities]
depth_cut = 0.7
spread_mult = 5
volume_cut = 0.5
price_shock = -0.2
vol_mult = 3
crowding = 0.15

[script.market."Credit"]
spread_mult = 8

[[script.redemptions]]
day = 3
investor = "Large investor 3"
fraction = 0.10

[[script.redemptions]]
day = 1
segment = "retail"
fraction = 0.05

[[script]]
redemptions = [ { day = 0, investor = "large investor 1", fraction = 1 } ]
"#;

#[test]
fn a_script_file_parses_into_deterministic_scenarios() {
    let fund = test_fund();
    let scripts = parse_script_file(SCRIPT, "scripts.toml", &fund).unwrap();
    assert_eq!(scripts.len(), 2);
    let s = &scripts[0];
    assert_eq!(s.name, "Largest holder leaves into a sell-off");
    let p = &s.params;
    assert_eq!(p.family, family::SCRIPTED);
    assert_eq!(p.flags, sflag::SCRIPTED | sflag::DURATION_ROUTE);
    assert_eq!((p.onset, p.ramp, p.plateau, p.half_life), (2, 3, 10, 15.0));
    assert_eq!((p.regime, p.rho), (regime::CRISIS, 0.85));
    assert_eq!(
        (p.funding_shock, p.haircut_addon, p.rate_shock, p.recovery),
        (0.4, 0.1, -0.005, 0.4)
    );
    assert_eq!(
        (p.redemption_mult, p.large_mult, p.redemption_severity),
        (0.0, 1.0, 0.0)
    );
    assert_eq!(
        [
            p.depth_cut[0],
            p.spread_mult[0],
            p.volume_cut[0],
            p.price_shock[0],
            p.vol_mult[0],
            p.crowding[0]
        ],
        [0.7, 5.0, 0.5, -0.2, 3.0, 0.15]
    );
    // "Credit" matched "credit" case-insensitively; unspecified fields and classes are neutral.
    assert_eq!((p.spread_mult[2], p.depth_cut[2]), (8.0, 0.0));
    assert_eq!(
        (p.spread_mult[1], p.depth_cut[1], p.vol_mult[1]),
        (1.0, 0.0, 1.0)
    );
    // Holders: segments 0..3, then large investors 3..7.
    assert_eq!(p.n_events, 2);
    assert_eq!(
        (p.event_day[0], p.event_holder[0], p.event_fraction[0]),
        (3, 3 + 2, 0.10)
    );
    assert_eq!(
        (p.event_day[1], p.event_holder[1], p.event_fraction[1]),
        (1, 0, 0.05)
    );

    let q = &scripts[1].params;
    assert_eq!(scripts[1].name, "script 1");
    assert_eq!(q.flags, sflag::SCRIPTED);
    assert_eq!(
        (q.onset, q.ramp, q.plateau, q.regime),
        (0, 1, 90, regime::NORMAL)
    );
    assert_eq!(
        (q.n_events, q.event_holder[0], q.event_fraction[0]),
        (1, 3, 1.0)
    );

    let params = parse_scripts(SCRIPT, "scripts.toml", &fund).unwrap();
    assert_eq!(params, scripts.iter().map(|s| s.params).collect::<Vec<_>>());
}

#[test]
fn load_scripts_reads_a_file_and_names_it_in_errors() {
    let fund = test_fund();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stress.toml");
    std::fs::write(&path, SCRIPT).unwrap();
    assert_eq!(load_scripts(&path, &fund).unwrap().len(), 2);

    std::fs::write(
        &path,
        "[[script]]\nredemptions = [ { day = 1, investor = \"Nobody\", fraction = 0.1 } ]\n",
    )
    .unwrap();
    let msg = load_scripts(&path, &fund).unwrap_err().to_string();
    assert!(
        msg.contains("stress.toml") && msg.contains("Nobody"),
        "{msg}"
    );

    let missing = dir.path().join("missing.toml");
    let err = load_scripts(&missing, &fund).unwrap_err();
    assert!(
        matches!(err, ScriptError::Io { .. }) && err.to_string().contains("missing.toml"),
        "{err}"
    );
}

fn script_error(text: &str) -> ScriptError {
    parse_scripts(text, "s.toml", &test_fund()).unwrap_err()
}

#[test]
fn script_errors_name_the_file_the_field_and_the_value() {
    let e = script_error("[[script]]\nredemptions = [ { day = 3, investor = \"Large investor 9\", fraction = 0.1 } ]\n");
    let msg = e.to_string();
    assert!(
        matches!(&e, ScriptError::UnknownName { field, what: "large investor", .. } if field == "script[0].redemptions[0].investor"),
        "{e:?}"
    );
    assert!(
        msg.starts_with("s.toml: script[0].redemptions[0].investor = \"Large investor 9\""),
        "{msg}"
    );
    assert!(
        msg.contains("\"Large investor 4\""),
        "lists the known names: {msg}"
    );

    let e = script_error(
        "[[script]]\nredemptions = [ { day = 90, segment = \"retail\", fraction = 0.1 } ]\n",
    );
    assert!(
        matches!(&e, ScriptError::DayBeyondHorizon { field, value: 90, last: 89, .. } if field == "script[0].redemptions[0].day"),
        "{e:?}"
    );
    assert!(
        e.to_string()
            .contains("= 90: beyond the horizon (days 0 to 89)"),
        "{e}"
    );

    // Recovery is a share in [0, 1]; crowding a share of normal ADV in [0, 10].
    let msg = script_error("[[script]]\nrecovery = 1.5\n").to_string();
    assert!(
        msg.starts_with("s.toml: script[0].recovery = 1.5: "),
        "{msg}"
    );
    let msg = script_error("[[script]]\n[script.market.equities]\ncrowding = 12\n").to_string();
    assert!(
        msg.starts_with("s.toml: script[0].market.equities.crowding = 12: "),
        "{msg}"
    );

    let e = script_error(
        "[[script]]\nredemptions = [ { day = 1, segment = \"retail\", fraction = 1.5 } ]\n",
    );
    assert!(
        matches!(&e, ScriptError::OutOfRange { field, value, .. } if field == "script[0].redemptions[0].fraction" && value == "1.5"),
        "{e:?}"
    );

    let nine: Vec<String> = (0..9)
        .map(|d| format!("{{ day = {d}, segment = \"wealth\", fraction = 0.01 }}"))
        .collect();
    let e = script_error(&format!(
        "[[script]]\n[[script]]\nredemptions = [ {} ]\n",
        nine.join(", ")
    ));
    assert!(
        matches!(&e, ScriptError::TooManyEvents { field, count: 9, max: 8, .. } if field == "script[1].redemptions"),
        "{e:?}"
    );

    let e = script_error("[[script]]\n[script.market.gold]\ndepth_cut = 0.5\n");
    assert!(
        matches!(&e, ScriptError::UnknownName { field, what: "asset class", value, .. } if field == "script[0].market.gold" && value == "gold"),
        "{e:?}"
    );

    let e = script_error("[[script]]\n[script.market.equities]\ndepth_cut = 1.0\n");
    assert!(
        matches!(&e, ScriptError::OutOfRange { field, .. } if field == "script[0].market.equities.depth_cut"),
        "{e:?}"
    );

    let e = script_error("[[script]]\nredemptions = [ { day = 1, segment = \"retail\", investor = \"Large investor 1\", fraction = 0.1 } ]\n");
    assert!(
        matches!(&e, ScriptError::Holder { field, .. } if field == "script[0].redemptions[0]"),
        "{e:?}"
    );

    let e = script_error("[[script]]\nonset = 120\n");
    assert!(
        matches!(&e, ScriptError::DayBeyondHorizon { field, .. } if field == "script[0].onset"),
        "{e:?}"
    );

    let e = script_error("[[script]]\nregime = \"panic\"\n");
    assert!(
        matches!(&e, ScriptError::OutOfRange { field, value, .. } if field == "script[0].regime" && value == "\"panic\""),
        "{e:?}"
    );

    let e = script_error("[[script]]\nramp = 0\n");
    assert!(
        matches!(&e, ScriptError::OutOfRange { field, .. } if field == "script[0].ramp"),
        "{e:?}"
    );

    // Unknown fields are rejected by name, at any depth.
    for (text, name) in [
        ("[[script]]\nonsett = 3\n", "onsett"),
        ("[[script]]\n[script.market.equities]\ndepth = 0.5\n", "depth"),
        ("[[script]]\nredemptions = [ { day = 1, segment = \"retail\", fraction = 0.1, when = 2 } ]\n", "when"),
        ("[[scripts]]\n", "scripts"),
    ] {
        let e = script_error(text);
        assert!(matches!(&e, ScriptError::Parse { .. }) && e.to_string().contains(name), "{e}");
        assert!(e.to_string().starts_with("s.toml:"), "{e}");
    }

    assert!(matches!(script_error(""), ScriptError::Empty { .. }));
    assert!(matches!(
        script_error("not toml ["),
        ScriptError::Parse { .. }
    ));
}

/// The configuration reference in docs/scenarios.md lists exactly the defaults.
#[test]
fn the_documented_configuration_is_the_default() {
    #[derive(serde::Deserialize)]
    struct File {
        scenarios: ScenarioConfig,
    }
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/scenarios.md");
    let doc = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    let section = &doc[doc
        .find("## 9. Configuration reference")
        .expect("section 9")..];
    let start = section.find("```toml\n").expect("a toml block") + "```toml\n".len();
    let block = &section[start..start + section[start..].find("```").expect("closing fence")];
    let parsed: File =
        toml::from_str(block).unwrap_or_else(|e| panic!("docs/scenarios.md section 9: {e}"));
    assert_eq!(parsed.scenarios, ScenarioConfig::default());
}

#[test]
fn the_calm_family_has_no_shock_whatever_the_horizon() {
    let cfg = only(|w| w.calm = 1.0);
    cfg.validate().unwrap();
    for horizon in [1, 10, 90, 250] {
        let mut fund = test_fund();
        fund.horizon = horizon;
        let all = generate(&fund, &cfg, 3, 0..50);
        for p in &all {
            assert_eq!(p.family, family::CALM);
            check_ranges(p, &fund, &cfg);
        }
        // No draw enters a calm record: it is the same for every index.
        assert!(all.iter().all(|p| *p == all[0]));
    }
}

/// The family index (in `FamilyWeights::entries` order) of a drawn family code.
fn entry_of(code: u32) -> usize {
    match code {
        family::MARKET_WIDE_MODERATE | family::MARKET_WIDE_SEVERE | family::MARKET_WIDE_EXTREME => {
            0
        }
        family::ASSET_CLASS_SPECIFIC => 1,
        family::FLIGHT_TO_QUALITY => 2,
        family::FUNDING_LIQUIDITY_SHOCK => 3,
        family::CALM => 8,
        replayed => 4 + (replayed - family::GFC_2008) as usize,
    }
}

/// Adding `calm` (last, weight 0 by default) left the family draw of the stress library as it
/// was: the family of every scenario is the one the eight stress weights alone pick from the
/// stream's first uniform, by inversion, as before calm existed.
#[test]
fn a_calm_weight_of_zero_leaves_every_family_draw_as_it_was() {
    use rand::Rng;
    let fund = test_fund();
    let cfg = ScenarioConfig::default();
    assert_eq!(cfg.weights.calm, 0.0);
    let stress: Vec<f64> = cfg.weights.entries()[..8].iter().map(|e| e.1).collect();
    let total: f64 = stress.iter().sum();
    for (k, p) in generate(&fund, &cfg, 11, 0..3_000).iter().enumerate() {
        let u: f64 = generate::scenario_rng(11, k as u64).random();
        let mut acc = 0.0;
        let want = stress
            .iter()
            .position(|w| {
                acc += w / total;
                u < acc
            })
            .unwrap_or(7);
        assert_eq!(entry_of(p.family), want, "scenario {k}: u = {u}");
    }
}

/// Whatever the weights, a scenario's parameters given its family are the same: the family
/// takes one uniform, and every later draw comes after it. So the unconditional mixture's
/// stress scenarios are the stress library's scenarios of the same index and family.
#[test]
fn a_scenario_is_the_same_whichever_mixture_drew_its_family() {
    let fund = test_fund();
    let library = ScenarioConfig::default();
    let unconditional = library.unconditional();
    let a = generate(&fund, &library, 21, 0..4_000);
    let b = generate(&fund, &unconditional, 21, 0..4_000);
    let mut same = 0;
    for (p, q) in a.iter().zip(&b) {
        if entry_of(p.family) == entry_of(q.family) {
            assert_eq!(p, q);
            same += 1;
        }
    }
    // At least the scenarios whose first uniform falls below the mixture's market-wide share
    // (2.67%, about 107 of 4,000) draw market-wide under both.
    assert!(same > 50, "{same}");
}

#[test]
fn the_unconditional_mixture_draws_calm_with_its_stated_probability() {
    let fund = test_fund();
    let library = ScenarioConfig::default();
    let cfg = library.unconditional();
    cfg.validate().unwrap();
    // The stated numbers (docs/scenarios.md, section 10): 12 episodes in 38 years, a window of
    // 90 of 252 business days a year, so P(calm) = exp(-12/38 * 90/252).
    let p_calm = (-12.0f64 / 38.0 * 90.0 / 252.0).exp();
    assert!((cfg.weights.calm - p_calm).abs() < 1e-15);
    assert!((p_calm - 0.8934).abs() < 1e-4, "{p_calm}");
    let sum: f64 = cfg.weights.entries().iter().map(|e| e.1).sum();
    assert!((sum - 1.0).abs() < 1e-12, "{sum}");
    // Ranges are the stress library's.
    assert_eq!(
        ScenarioConfig {
            weights: library.weights.clone(),
            ..cfg.clone()
        },
        library
    );

    let n = 20_000u64;
    let all = generate(&fund, &cfg, 5, 0..n);
    let calm = all.iter().filter(|p| p.family == family::CALM).count() as f64;
    let mean = p_calm * n as f64;
    // Five binomial standard deviations.
    let tol = 5.0 * (mean * (1.0 - p_calm)).sqrt();
    assert!(
        (calm - mean).abs() < tol,
        "{calm} calm, {mean:.0} ± {tol:.0}"
    );
    // The severe replays (2008, 2020): 2 episodes in 38 years, about 1.9% of windows.
    let severe = cfg.weights.gfc_2008 + cfg.weights.dash_for_cash_2020;
    assert!((severe - (1.0 - p_calm) * 2.0 / 12.0).abs() < 1e-15);
    assert!((severe - 0.0178).abs() < 1e-4, "{severe}");

    // The window follows the mixture's setting: a one-year window is calm with exp(-12/38).
    let mut year = library.clone();
    year.mixture.window_days = Some(252);
    assert!((year.unconditional().weights.calm - (-12.0f64 / 38.0).exp()).abs() < 1e-15);
    // Without its own window the mixture takes the horizon's; a window the file sets is kept.
    let lambda = 12.0f64 / 38.0;
    let sixty = library.unconditional_for(60).weights.calm;
    assert!(
        (sixty - (-lambda * 60.0 / 252.0).exp()).abs() < 1e-15,
        "{sixty}"
    );
    assert!((sixty - 0.9276).abs() < 1e-4, "{sixty}");
    assert_eq!(
        library.unconditional_for(90).weights,
        library.unconditional().weights
    );
    assert_eq!(
        year.unconditional_for(60).weights.calm,
        year.unconditional().weights.calm
    );
    // No episodes at all: always calm.
    let mut none = library.clone();
    none.mixture.episodes = EpisodeCounts {
        market_wide: 0.0,
        asset_class_specific: 0.0,
        flight_to_quality: 0.0,
        funding_liquidity_shock: 0.0,
        gfc_2008: 0.0,
        taper_tantrum_2013: 0.0,
        dash_for_cash_2020: 0.0,
        uk_ldi_2022: 0.0,
    };
    none.validate().unwrap();
    assert_eq!(none.unconditional().weights.calm, 1.0);
}

#[test]
fn a_bad_mixture_is_refused_by_name() {
    let bad = |text: &str| {
        toml::from_str::<ScenarioConfig>(text)
            .unwrap()
            .validate()
            .unwrap_err()
    };
    let e = bad("[mixture]\nwindow_days = 0\n");
    assert_eq!(
        (e.field.as_str(), e.value.as_str()),
        ("mixture.window_days", "0")
    );
    let e = bad("[mixture]\nyears = -1\n");
    assert_eq!(e.field, "mixture.years");
    let e = bad("[mixture.episodes]\ngfc_2008 = -2\n");
    assert_eq!(
        (e.field.as_str(), e.value.as_str()),
        ("mixture.episodes.gfc_2008", "-2")
    );
    let e = bad("[market_wide]\nrecovery = [0.5, 1.5]\n");
    assert_eq!(e.field, "market_wide.recovery");
    let e = bad("[flight_to_quality]\ncrowding = [-0.1, 0.2]\n");
    assert_eq!(e.field, "flight_to_quality.crowding");
    // A weights table can name calm.
    let cfg: ScenarioConfig = toml::from_str("[weights]\ncalm = 1\n").unwrap();
    cfg.validate().unwrap();
    assert_eq!(cfg.weights.market_wide, 0.0);
}

/// Reads the rows of a markdown table that follows `heading` in docs/scenarios.md.
fn doc_rows(heading: &str) -> Vec<Vec<String>> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/scenarios.md");
    let doc = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    let start = doc
        .find(heading)
        .unwrap_or_else(|| panic!("docs/scenarios.md has no {heading:?}"));
    let section = &doc[start + heading.len()..];
    let section = &section[..section.find("\n## ").unwrap_or(section.len())];
    section
        .lines()
        .filter(|l| l.starts_with('|') && !l.starts_with("|---"))
        .skip(1)
        .map(|l| {
            l.trim_matches('|')
                .split('|')
                .map(|c| c.trim().trim_matches('`').to_string())
                .collect()
        })
        .collect()
}

/// Section 10's table states each family's episodes and probability; they are the code's.
#[test]
fn the_documented_mixture_is_the_code() {
    let cfg = ScenarioConfig::default();
    let p = cfg.mixture.probabilities();
    let episodes = cfg.mixture.episodes.entries();
    let rows = doc_rows("## 10. Unconditional mixture");
    let mut seen = 0;
    for row in rows {
        let Some((i, (key, w))) = p
            .entries()
            .into_iter()
            .enumerate()
            .find(|(_, e)| e.0 == row[0])
        else {
            continue;
        };
        let count: f64 = if key == "calm" {
            0.0
        } else {
            row[1].parse().unwrap_or_else(|_| panic!("{key}: {row:?}"))
        };
        if key != "calm" {
            assert_eq!(count, episodes[i].1, "{key}: episodes");
        }
        let pct: f64 = row[2]
            .trim_end_matches('%')
            .parse()
            .unwrap_or_else(|_| panic!("{key}: {row:?}"));
        assert!(
            (pct - 100.0 * w).abs() < 0.005 + 1e-9,
            "{key}: {pct}% vs {w}"
        );
        seen += 1;
    }
    assert_eq!(seen, 9, "one row per family, calm included");
}

/// Section 11 lists the ranges marked "judgement"; they are exactly the sensitivity API's.
#[test]
fn the_documented_judgement_ranges_are_the_api() {
    let rows = doc_rows("## 11. Ranges and sources");
    let judgement: Vec<String> = rows
        .iter()
        .filter(|r| r.last().is_some_and(|src| src.starts_with("judgement")))
        .map(|r| r[0].clone())
        .collect();
    assert_eq!(judgement, ScenarioConfig::judgement_ranges());
    // And every range the configuration has is in the table, with a source or "judgement".
    assert!(rows.iter().all(|r| !r.last().unwrap().is_empty()));
    for key in [
        "market.vol_mult",
        "market_wide.crowding",
        "timing.half_life",
        "redemption.mult",
        "flight_to_quality.rate_shock",
    ] {
        assert!(rows.iter().any(|r| r[0] == key), "{key} missing");
    }
}

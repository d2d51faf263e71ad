//! Tests of fund files: the example and its TOML round trip, CSV positions against inline ones,
//! unit conversions and derived settings, and the malformed fixtures in `tests/fixtures/bad/`.

use std::path::{Path, PathBuf};

use undertow_kernel::{gate, impact, indicator, pflag, strategy, switch, tier, MAX_CLASSES};

use super::positions_csv::{self, write_positions_csv};
use super::spec::WaterfallOrder;
use super::*;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures")
}

fn load_fixture(name: &str) -> Fund {
    let path = fixtures().join(name);
    load_fund(&path).unwrap_or_else(|e| panic!("{} should load: {e}", path.display()))
}

fn parse(text: &str) -> Result<Fund, FundError> {
    parse_fund(text, "test.toml", Path::new(""))
}

/// The minimal fixture's text with `old` replaced by `new` (which must change it).
fn minimal_with(old: &str, new: &str) -> String {
    let text = std::fs::read_to_string(fixtures().join("minimal_fund.toml")).unwrap();
    assert!(text.contains(old), "minimal_fund.toml has no {old:?}");
    text.replacen(old, new, 1)
}

fn approx(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol
}

// ---------------------------------------------------------------------------------------------
// The built-in example.

#[test]
fn example_matches_model_section_9() {
    let fund = example_fund();
    let m = &fund.model;
    assert_eq!(fund.name, "Quantum Multi-Strategy Fund");
    assert_eq!(fund.currency, "USD");
    assert_eq!(fund.aum, 12e9);
    assert_eq!(m.positions.len(), 16);
    assert_eq!(m.params.dealing_every, 1);
    assert_eq!(m.params.horizon, 90);

    // Class weights before the 7% carve-out: 40/30/15/15.
    let mut by_class = [0.0f64; MAX_CLASSES];
    for p in &m.positions {
        by_class[p.class as usize] += f64::from(p.weight);
    }
    for (k, target) in [0.40, 0.30, 0.15, 0.15].into_iter().enumerate() {
        assert!(
            approx(by_class[k] / 0.93, target, 1e-6),
            "class {k}: {}",
            by_class[k]
        );
        assert!(approx(
            f64::from(m.params.class_target_weight[k]),
            target,
            1e-6
        ));
    }
    assert_eq!(m.params.initial_cash, 0.07);
    assert_eq!(
        fund.classes
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>(),
        ["equities", "fixed_income", "credit", "alternatives"]
    );

    // Investors: six segments with 55%, ten large investors with 45%.
    assert_eq!(
        fund.segment_names,
        [
            "retail",
            "wealth",
            "pension",
            "insurance",
            "endowment",
            "fund_of_funds"
        ]
    );
    let segment_share: f64 = m.segments.iter().map(|s| f64::from(s.share)).sum();
    assert!(approx(segment_share, 0.55, 1e-6));
    assert_eq!(m.large.len(), 10);
    assert!(approx(fund.top10_share(), 0.45, 1e-12));
    assert!(fund.investor_hhi() > 0.02 && fund.investor_hhi() < 0.03);

    // Policy of MODEL.md section 9 and the brief: gates (30-day > 15%, ALR < 1.2, any, 10%),
    // swing pricing, a 5% credit line under a 10% cap, bridging.
    let p = &m.params;
    assert_ne!(p.switches & switch::GATES, 0);
    assert_ne!(p.switches & switch::SWING, 0);
    assert_eq!(p.gate_triggers, gate::REDEMPTIONS_30D | gate::ALR);
    assert_eq!(p.gate_rule, gate::RULE_ANY);
    assert_eq!(
        (p.gate_redemptions_30d, p.gate_alr, p.gate_cap),
        (0.15, 1.2, 0.10)
    );
    assert_eq!((p.credit_line, p.borrowing_cap), (0.05, 0.10));
    assert_eq!(p.funding_policy, undertow_kernel::funding::BRIDGE);
    assert_eq!(p.strategy, strategy::MIN_COST);
    assert_eq!(p.impact_model, impact::SQUARE_ROOT);

    // The illiquid sleeve is real estate, private equity and hedge funds: 12.09% of NAV, under
    // the 15% limit.
    let illiquid: Vec<&str> = fund
        .position_ids
        .iter()
        .zip(&m.positions)
        .filter(|(_, p)| p.flags & pflag::ILLIQUID != 0)
        .map(|(id, _)| id.as_str())
        .collect();
    assert_eq!(illiquid, ["ALT_RE", "ALT_PE", "ALT_HF"]);
    // Base redemption rates within 5-40% annual turnover (institutions to the ICI's 25-30% for
    // retail-held long-term funds; docs/example-fund.md).
    for s in &m.segments {
        let annual = f64::from(s.base_rate) * 252.0;
        assert!((0.04..=0.40).contains(&annual), "annual turnover {annual}");
    }
}

#[test]
fn example_toml_reads_back_to_the_same_fund() {
    let text = example_fund_toml();
    let read =
        parse_fund(&text, "example.toml", Path::new("")).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let built = example_fund();
    assert_eq!(read.model, built.model);
    assert_eq!(read.spec, built.spec);
    assert_eq!(read.classes, built.classes);
    assert_eq!(read.position_ids, built.position_ids);
    assert_eq!(read.position_labels, built.position_labels);
    assert_eq!(read.segment_names, built.segment_names);
    assert_eq!(read.large_names, built.large_names);
    assert_eq!(read.scenarios, built.scenarios);
    assert_eq!(
        (read.name, read.currency, read.aum),
        (built.name, built.currency, built.aum)
    );
    assert_eq!(read.expected_return, built.expected_return);
    // It is a commented template, not a bare dump.
    assert!(text.starts_with("# Quantum Multi-Strategy Fund"));
    assert!(text.contains("# Leveraged loans"));
}

#[test]
fn written_fixture_reads_back_to_the_same_model() {
    for name in [
        "small_fund.toml",
        "small_fund_csv.toml",
        "minimal_fund.toml",
    ] {
        let fund = load_fixture(name);
        let text = fund_to_toml(&fund);
        let again = parse(&text).unwrap_or_else(|e| panic!("{name}: {e}\n{text}"));
        assert_eq!(again.model, fund.model, "{name}");
        assert_eq!(again.position_labels, fund.position_labels, "{name}");
    }
}

// ---------------------------------------------------------------------------------------------
// CSV positions.

#[test]
fn csv_positions_give_the_same_model_as_inline_ones() {
    let inline = load_fixture("small_fund.toml");
    let csv = load_fixture("small_fund_csv.toml");
    assert_eq!(csv.model, inline.model);
    assert_eq!(csv.position_ids, inline.position_ids);
    assert_eq!(csv.position_labels, inline.position_labels);
    assert_eq!(csv.spec.positions, inline.spec.positions);
    assert!(
        csv.spec.positions_csv.is_none(),
        "the CSV is inlined in the fund's spec"
    );
}

#[test]
fn csv_writer_round_trips_the_example_positions() {
    let positions = example_spec().positions;
    let text = write_positions_csv(&positions);
    let read = positions_csv::parse(&text, "example.csv").unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(read.positions, positions);
    assert_eq!(read.lines, (2..18).collect::<Vec<u64>>());
}

#[test]
fn csv_errors_name_row_and_column() {
    let text = "id,class,weight,adv,spread_bps,vol_annual,impact,tier\n\
                A,equities,0.5,1e9,5,0.2,0.7,none\n\
                B,equities,abc,1e9,5,0.2,0.7,gold\n";
    let issues = positions_csv::parse(text, "p.csv").unwrap_err();
    let fields: Vec<&str> = issues.iter().map(|i| i.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "row 2 (line 3), column `weight`",
            "row 2 (line 3), column `tier`"
        ]
    );
    assert_eq!(issues[0].value, "\"abc\"");
    assert!(issues[1].reason.contains("\"etf\""), "{}", issues[1].reason);

    let missing = positions_csv::parse("id,class,weight\nA,equities,1\n", "p.csv").unwrap_err();
    assert!(missing
        .iter()
        .any(|i| i.reason.contains("missing required column `adv`")));

    // Comment lines, a byte-order mark and CRLF endings do not throw the line numbers off.
    let text = "\u{feff}# exported 2025-01-31\r\nid,class,weight,adv,spread_bps,vol_annual,impact\r\n\
                # first sleeve\r\nA,equities,0.5,1e9,5,0.2,0.7\r\n\r\nB,credit,0.5,1e9,x,0.2,0.7\r\n";
    let issues = positions_csv::parse(text, "p.csv").unwrap_err();
    assert_eq!(issues.len(), 1);
    assert_eq!(issues[0].field, "row 2 (line 6), column `spread_bps`");

    let ragged = positions_csv::parse(
        "id,class,weight,adv,spread_bps,vol_annual,impact\nA,equities\n",
        "p.csv",
    );
    assert!(ragged.unwrap_err()[0]
        .reason
        .contains("2 cells where the header has 7"));
}

// ---------------------------------------------------------------------------------------------
// Conversion.

#[test]
fn units_are_converted_to_kernel_units() {
    let fund = load_fixture("small_fund.toml");
    let m = &fund.model;
    let eq = &m.positions[0];
    assert_eq!(eq.adv, (2.0e9 / 500e6) as f32, "ADV as a fraction of AUM");
    assert_eq!(eq.spread, 5.0e-4_f32, "bps as a fraction");
    assert_eq!(
        eq.vol,
        (0.18 / 252f64.sqrt()) as f32,
        "annual volatility to daily"
    );
    assert_eq!(eq.lag, 2);
    assert_eq!(eq.alpha, 0.01);
    let govt = &m.positions[1];
    assert_eq!(govt.tier, tier::SOVEREIGN);
    assert_eq!(govt.flags, pflag::REPO_ELIGIBLE | pflag::RATE_ROUTE);
    assert_eq!(
        m.positions[2].flags,
        pflag::SPREAD_ROUTE | pflag::ILLIQUID,
        "7.5 days to sell at the cap"
    );
    assert_eq!(m.positions[3].flags, pflag::ILLIQUID, "a 21-day window");
    assert_eq!(m.positions[3].window, 21);
    assert_eq!(
        m.params.funding_rate,
        (0.05 / 252.0) as f32,
        "annual rate to daily"
    );
    assert_eq!(m.params.switches, switch::DEFAULT);
    // ring = max(lag 10, r_set 2, notice 0 + 5) + 2.
    assert_eq!(m.params.ring, 12);
    assert_eq!(
        fund.position_labels[2], "HY",
        "an empty label falls back to the id"
    );
    assert_eq!(m.segments[1].notice, 5);
    assert_eq!(m.large[0].notice, 3);
}

#[test]
fn defaults_fill_a_minimal_file() {
    let fund = load_fixture("minimal_fund.toml");
    let p = &fund.model.params;
    assert_eq!(fund.currency, "USD");
    assert_eq!(
        (
            p.horizon,
            p.redemption_settlement,
            p.fund_notice,
            p.dealing_every
        ),
        (90, 2, 0, 1)
    );
    assert_eq!(
        (p.participation_cap, p.perm_fraction, p.max_style_drift),
        (0.2, 0.5, 0.1)
    );
    assert_eq!(
        (
            p.lam_max,
            p.event_outflow_5d,
            p.illiquid_limit,
            p.buffer_exhausted_level
        ),
        (0.2, 0.1, 0.15, 0.01)
    );
    assert_eq!(p.stress_weights, [0.25, 0.15, 0.2, 0.15, 0.15, 0.1]);
    assert_eq!(p.borrowing_cap, 0.1);
    assert_eq!(p.indicator_thresholds[indicator::REQUESTS_30D], 0.10);
    assert_eq!(p.indicator_thresholds[indicator::ALR], 1.5);
    // Fund-relative defaults: one large investor with 30%.
    assert!(approx(
        f64::from(p.indicator_thresholds[indicator::TOP10_SHARE]),
        0.35,
        1e-6
    ));
    assert!(approx(
        f64::from(p.indicator_thresholds[indicator::INVESTOR_HHI]),
        0.09 * 1.25,
        1e-6
    ));
    assert!(approx(
        f64::from(p.indicator_thresholds[indicator::BUFFER_SHARE]),
        0.05,
        1e-6
    ));
    // No credit line, no repo-eligible holdings: no headroom to warn about.
    assert_eq!(p.indicator_thresholds[indicator::FUNDING_HEADROOM], 0.0);
    assert_eq!(fund.classes.len(), 4);
    assert_eq!(p.n_classes, 4);
    assert_eq!(fund.model.positions[0].lag, 2, "default settlement T+2");
}

#[test]
fn schema_names_follow_the_kernel() {
    let names: Vec<&str> = spec::IndicatorThresholds::default()
        .entries()
        .iter()
        .map(|(n, _)| *n)
        .collect();
    assert_eq!(names, indicator::NAMES);
    // Every kernel switch has a key in [model], each with its own bit.
    let all_on = spec::ModelSection::from_bits(u32::MAX);
    assert_eq!(all_on.bits(), (1 << 19) - 1);
    let bits: Vec<u32> = all_on.switches().iter().map(|(_, _, b)| *b).collect();
    assert!(bits.iter().all(|b| b.count_ones() == 1));
    assert_eq!(spec::ModelSection::default().bits(), switch::DEFAULT);
}

#[test]
fn options_map_to_kernel_codes() {
    let text = minimal_with(
        "[[segments]]",
        "[policy.gates]\ntriggers = [\"stress\", \"alr\"]\nrule = \"all\"\n\n\
         [liquidation]\nstrategy = \"balanced\"\nimpact_model = \"threshold\"\n\n\
         [model]\nnoise = false\nin_kind = true\n\n[[segments]]",
    )
    .replace("cash = 0.1", "cash = 0.1\ndealing = \"weekly\"");
    let p = parse(&text).unwrap().model.params;
    assert_eq!(p.gate_triggers, gate::STRESS | gate::ALR);
    assert_eq!(p.gate_rule, gate::RULE_ALL);
    assert_eq!(p.strategy, strategy::BALANCED);
    assert_eq!(p.impact_model, impact::THRESHOLD);
    assert_eq!(
        p.switches,
        (switch::DEFAULT & !switch::NOISE) | switch::IN_KIND
    );
    assert_eq!(p.dealing_every, 5);
}

#[test]
fn issue_10_keys_map_to_the_kernel_and_reach_the_old_behaviour() {
    // Defaults: every new behaviour on, with the documented parameters.
    let p = parse(&minimal_with("[[segments]]", "[[segments]]"))
        .unwrap()
        .model
        .params;
    for bit in [
        switch::STRESS_CROWDING,
        switch::OWN_IMPACT_ONLY,
        switch::STRESS_FLOWS,
        switch::PROXIMITY_CONCERN,
    ] {
        assert_ne!(p.switches & bit, 0, "bit {bit:#x}");
    }
    assert_eq!(p.impact_half_life, 10.0);
    assert_eq!(p.impact_permanent_share, 0.5);
    assert_eq!(p.concern_start, 0.75);
    assert_eq!(p.gate_concern, 0.0);
    assert_eq!(p.event_drawdown, 0.25);
    // MODEL.md's behaviour, key by key.
    let text = minimal_with(
        "[[segments]]",
        "[liquidation]\nimpact_half_life_days = 0\nimpact_permanent_share = 1.0\n\n\
         [model]\ncrowding_follows_stress = false\nown_impact_only = false\n\
         flows_follow_stress = false\nconcern_from_triggers = false\ngate_concern = 1.0\n\
         concern_start = 0.5\n\n[indicators]\nevent_drawdown = 0.0\n\n[[segments]]",
    );
    let p = parse(&text).unwrap().model.params;
    assert_eq!(
        p.switches,
        switch::DEFAULT
            & !(switch::STRESS_CROWDING
                | switch::OWN_IMPACT_ONLY
                | switch::STRESS_FLOWS
                | switch::PROXIMITY_CONCERN)
    );
    assert_eq!(p.impact_half_life, 0.0);
    assert_eq!(p.impact_permanent_share, 1.0);
    assert_eq!(p.gate_concern, 1.0);
    assert_eq!(p.concern_start, 0.5);
    assert_eq!(p.event_drawdown, 0.0);
    // Out of range: an error naming the field and the value.
    let bad = minimal_with(
        "[[segments]]",
        "[liquidation]\nimpact_permanent_share = 1.5\nimpact_half_life_days = -2\n\n\
         [model]\nconcern_start = 1.0\n\n[indicators]\nevent_drawdown = 2.0\n\n[[segments]]",
    );
    let err = parse(&bad).unwrap_err();
    let fields: Vec<&str> = err.issues().iter().map(|i| i.field.as_str()).collect();
    for f in [
        "liquidation.impact_half_life_days",
        "liquidation.impact_permanent_share",
        "model.concern_start",
        "indicators.event_drawdown",
    ] {
        assert!(fields.contains(&f), "{f} missing from {fields:?}");
    }
    assert!(err.to_string().contains("1.5"), "{err}");
}

#[test]
fn large_investors_are_ordered_by_stake() {
    let text = minimal_with("stake = 0.3", "stake = 0.1")
        + "\n[[large_investors]]\nname = \"Big\"\nstake = 0.15\nhazard = 0.0001\n\
           \n[[large_investors]]\nname = \"Also 0.1\"\nstake = 0.05\nhazard = 0.0001\n";
    let fund = parse(&text).unwrap();
    assert_eq!(fund.large_names, ["Big", "Pension A", "Also 0.1"]);
    assert_eq!(
        fund.model.large.iter().map(|l| l.stake).collect::<Vec<_>>(),
        [0.15, 0.1, 0.05]
    );
}

#[test]
fn illiquid_override_wins() {
    let text = minimal_with("impact = 0.7", "impact = 0.7\nilliquid = true");
    assert_ne!(
        parse(&text).unwrap().model.positions[0].flags & pflag::ILLIQUID,
        0
    );
    // PROP has a 21-day window; overriding it to liquid clears the flag.
    let small = std::fs::read_to_string(fixtures().join("small_fund.toml")).unwrap();
    let text = small.replace(
        "redemption_window_days = 21",
        "redemption_window_days = 21\nilliquid = false",
    );
    assert_eq!(
        parse(&text).unwrap().model.positions[3].flags & pflag::ILLIQUID,
        0
    );
}

#[test]
fn stressed_cost_hierarchy_puts_late_settlement_last() {
    let fund = example_fund();
    let order: Vec<&str> = fund
        .model
        .waterfall_order
        .iter()
        .map(|&i| fund.position_ids[i as usize].as_str())
        .collect();
    assert_eq!(order.len(), 16);
    // Sovereigns first (cheapest), then the rest by cost; what settles after T+2 (loans,
    // structured credit) and the windowed alternatives last.
    assert_eq!(order[0], "FI_SOV");
    let late = ["CR_LOANS", "CR_STRUCT", "ALT_RE", "ALT_PE", "ALT_HF"];
    for (k, id) in order.iter().enumerate() {
        assert_eq!(late.contains(id), k >= 11, "{id} at {k}: {order:?}");
    }
    // Within the on-time group the stressed cost never falls.
    let costs: Vec<f64> = fund
        .model
        .waterfall_order
        .iter()
        .take(11)
        .map(|&i| stressed_cost_per_unit(&fund.spec.positions[i as usize], &fund.spec.liquidation))
        .collect();
    assert!(costs.windows(2).all(|w| w[0] <= w[1]), "{costs:?}");
}

#[test]
fn waterfall_order_given_and_listed() {
    let mut spec = example_spec();
    spec.liquidation.waterfall_order = WaterfallOrder::Given;
    let given = build_fund(spec.clone(), "t", Path::new("")).unwrap();
    assert_eq!(given.model.waterfall_order, (0..16).collect::<Vec<u32>>());

    spec.liquidation.waterfall_order =
        WaterfallOrder::Ids(vec!["ALT_COMMOD".into(), "EQ_LARGE".into()]);
    let listed = build_fund(spec, "t", Path::new("")).unwrap();
    let ranked = example_fund().model.waterfall_order;
    assert_eq!(&listed.model.waterfall_order[..2], &[15, 0]);
    let rest: Vec<u32> = ranked.into_iter().filter(|&i| i != 15 && i != 0).collect();
    assert_eq!(&listed.model.waterfall_order[2..], &rest[..]);
}

// ---------------------------------------------------------------------------------------------
// Errors.

#[test]
fn every_problem_is_reported_at_once() {
    let text = minimal_with("adv = 5.0e9", "adv = -1.0").replace("hazard = 0.0001", "hazard = 2.0");
    let err = parse(&text).unwrap_err();
    let fields: Vec<&str> = err.issues().iter().map(|i| i.field.as_str()).collect();
    assert_eq!(
        fields,
        ["positions[0].adv (id \"EQ\")", "large_investors[0].hazard"]
    );
    let message = err.to_string();
    assert!(message.starts_with("test.toml: 2 problems"), "{message}");
}

#[test]
fn an_absurd_aum_is_refused_by_its_own_name() {
    // 1e300 once passed `fund.aum`'s check and was reported as sixteen implausible ADVs instead.
    let err = parse(&minimal_with("aum = 1.0e9", "aum = 1e300")).unwrap_err();
    let fields: Vec<&str> = err.issues().iter().map(|i| i.field.as_str()).collect();
    assert_eq!(fields, ["fund.aum"], "{err}");
    // The bound itself is accepted.
    let at_bound = minimal_with("aum = 1.0e9", &format!("aum = {MAX_AUM:e}"));
    assert!(parse(&at_bound).is_ok());
}

#[test]
fn toml_errors_carry_line_and_key_path() {
    let text = minimal_with("vol_annual = 0.06", "vol_annual = \"high\"");
    let FundError::Toml(e) = parse(&text).unwrap_err() else {
        panic!("expected a TOML error")
    };
    assert_eq!(e.path.as_deref(), Some("positions[1].vol_annual"));
    assert_eq!(e.line, Some(23));
    assert_eq!(e.source_line.as_deref(), Some("vol_annual = \"high\""));
}

#[test]
fn missing_fund_file_is_a_read_error() {
    let err = load_fund(Path::new("/nonexistent/fund.toml")).unwrap_err();
    assert!(matches!(err, FundError::Read { .. }));
    assert!(err.to_string().contains("/nonexistent/fund.toml"));
}

/// Every fixture in `tests/fixtures/bad/` fails to load, and its message names the file and
/// contains each substring listed for it in `expected.txt` (the field and the value).
#[test]
fn malformed_fixtures_fail_with_file_field_and_value() {
    let bad = fixtures().join("bad");
    let expected = std::fs::read_to_string(bad.join("expected.txt")).unwrap();
    let mut listed = Vec::new();
    for line in expected
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let mut parts = line.split('\t');
        let name = parts.next().unwrap();
        let substrings: Vec<&str> = parts.collect();
        assert!(
            !substrings.is_empty(),
            "expected.txt: {name} lists nothing to look for"
        );
        listed.push(name.to_string());
        let message = match load_fund(&bad.join(name)) {
            Ok(_) => panic!("{name} loaded, but it is malformed"),
            Err(e) => e.to_string(),
        };
        assert!(
            message.contains(name),
            "{name}: the message does not name the file:\n{message}"
        );
        for s in substrings {
            assert!(
                message.contains(s),
                "{name}: the message does not contain {s:?}:\n{message}"
            );
        }
    }
    // No fixture goes untested.
    let mut on_disk: Vec<String> = std::fs::read_dir(&bad)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml"))
        .collect();
    on_disk.sort();
    listed.sort();
    assert_eq!(on_disk, listed);
    assert!(listed.len() >= 15);
}

#[test]
fn minimal_fixture_is_valid() {
    // The bad fixtures are this file with one defect each; it must itself be fine.
    load_fixture("minimal_fund.toml");
}

/// The script example in docs/scenarios.md parses against the built-in example fund.
#[test]
fn the_documented_script_example_parses() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/scenarios.md");
    let doc = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    let section = &doc[doc.find("## 8. Scripted scenarios").expect("section 8")..];
    let start = section.find("```toml\n").expect("a toml block") + "```toml\n".len();
    let block = &section[start..start + section[start..].find("```").expect("closing fence")];
    let fund = example_fund();
    let scripts = crate::scenarios::parse_script_file(block, "docs/scenarios.md", &fund)
        .unwrap_or_else(|e| panic!("the documented example does not parse: {e}"));
    assert_eq!(scripts.len(), 2);
    assert_eq!(scripts[0].params.n_events, 2);
    assert_eq!(scripts[1].name, "Pure schedule");
    assert_eq!(
        (
            scripts[1].params.redemption_mult,
            scripts[1].params.large_mult
        ),
        (0.0, 0.0)
    );
}

/// Kernel codes and fund-file names round-trip through the spec enums; unknown ones say so.
#[test]
fn option_names_round_trip_with_kernel_codes() {
    use super::spec::{ImpactModel, Strategy};
    for s in Strategy::ALL {
        assert_eq!(Strategy::from_name(s.name()), Some(*s));
        assert_eq!(Strategy::from_code(s.code()), Some(*s));
        assert_eq!(Strategy::name_of_code(s.code()), s.name());
    }
    assert_eq!(
        Strategy::names(),
        ["waterfall", "pro_rata", "min_cost", "balanced"]
    );
    assert_eq!(Strategy::from_name("fastest"), None);
    assert_eq!(Strategy::name_of_code(99), "unknown");
    assert_eq!(ImpactModel::name_of_code(impact::ADAPTIVE), "adaptive");
    assert_eq!(
        ImpactModel::name_of_code(impact::SQUARE_ROOT),
        "square_root"
    );
}

/// The `[scenarios]` table is checked when a fund is read: each wrong setting is refused with
/// the fund file, the field's full path and the value (type errors by the TOML reader, with the
/// field's name).
#[test]
fn scenario_settings_are_validated_on_the_way_in() {
    let base = std::fs::read_to_string(fixtures().join("minimal_fund.toml")).unwrap();
    assert!(
        !base.contains("[scenarios"),
        "the fixture has its own [scenarios]"
    );
    #[rustfmt::skip]
    let cases: &[(&str, &str, &str)] = &[
        ("[scenarios.market]\ndepth_cut = [0.9, 0.5]", "scenarios.market.depth_cut", "[0.9, 0.5]"),
        ("[scenarios.market]\ndepth_cut = [0.5, 1.5]", "scenarios.market.depth_cut", "[0.5, 1.5]"),
        ("[scenarios.weights]\nmarket_wide = nan", "scenarios.weights.market_wide", "NaN"),
        ("[scenarios.weights]\nmarket_wide = -1\ngfc_2008 = 1", "scenarios.weights.market_wide", "-1"),
        ("[scenarios.weights]\nmarket_wide = 0", "scenarios.weights", "market_wide = 0"),
        ("[scenarios.copula]\nrho = 1.0", "scenarios.copula.rho", "1"),
        ("[scenarios.copula]\ndof = 0", "scenarios.copula.dof", "0"),
        ("[scenarios.timing]\nonset = [40, 5]", "scenarios.timing.onset", "[40, 5]"),
        ("[scenarios.timing]\nhalf_life = [0, 0]", "scenarios.timing.half_life", "[0, 0]"),
        ("[scenarios.regimes]\ncrisis = 1.5", "scenarios.regimes.crisis", "1.5"),
        ("[scenarios.market_wide.severity]\nsevere = [0.2, 0.7]", "scenarios.market_wide.severity.severe", "[0.2, 0.7]"),
    ];
    for (table, field, value) in cases {
        let text = format!("{base}\n{table}\n");
        let err = parse(&text).expect_err(table);
        let msg = err.to_string();
        let issue = err
            .issues()
            .iter()
            .find(|i| i.field == *field)
            .unwrap_or_else(|| panic!("{table}: no issue on {field}: {msg}"));
        assert_eq!(issue.file, "test.toml", "{msg}");
        assert!(issue.value.contains(value), "{table}: {msg}");
        assert!(msg.contains(field), "{msg}");
    }
    // Type errors: the reader names the field.
    for (table, key) in [
        ("[scenarios.market]\ndepth_cut = [0.5, \"x\"]", "depth_cut"),
        (
            "[scenarios.market]\ndepth_cut = [0.5, 0.6, 0.7]",
            "depth_cut",
        ),
        ("[scenarios.copula]\ndof = \"four\"", "dof"),
    ] {
        let msg = parse(&format!("{base}\n{table}\n"))
            .expect_err(table)
            .to_string();
        assert!(
            msg.contains("test.toml") && msg.contains(key),
            "{table}: {msg}"
        );
    }
}

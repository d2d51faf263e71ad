//! The flow history reader: every error names the file, the line, the field and the value; the
//! shipped example is the generator's output; a written history reads back.

use chrono::NaiveDate;
use undertow_calibrate::flows::history::parse_flows_csv;
use undertow_calibrate::flows::synth::{
    business_days, example_flows_csv, synthesize, synthetic_stress_path, SynthOptions,
};
use undertow_calibrate::CalibrateError;
use undertow_host::fund::example_spec;

/// A tiny fund: the example with two segments and one large holder.
fn small_fund() -> undertow_host::fund::FundFile {
    let mut f = example_spec();
    f.segments.truncate(2);
    f.large_investors.truncate(1);
    f
}

const HEAD: &str = "date,holder,kind,shares,subscriptions,redemptions,nav\n";

fn day(date: &str) -> String {
    format!(
        "{date},retail,segment,100,1,2,1.0\n{date},wealth,segment,50,0,1,1.0\n{date},Sovereign wealth fund A,large,80,0,0,1.0\n"
    )
}

fn err(text: &str) -> String {
    match parse_flows_csv(text, "flows.csv", &small_fund()) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("accepted:\n{text}"),
    }
}

#[test]
fn a_good_file_reads_in_the_funds_order() {
    let text = format!("{HEAD}{}{}", day("2020-01-03"), day("2020-01-02"));
    let h = parse_flows_csv(&text, "flows.csv", &small_fund()).unwrap();
    assert_eq!(h.dates.len(), 2);
    assert_eq!(h.dates[0], NaiveDate::from_ymd_opt(2020, 1, 2).unwrap());
    assert_eq!(h.holders[0].name, "retail");
    assert_eq!(h.holders[2].shares, vec![80.0, 80.0]);
    assert_eq!(h.nav, Some(vec![1.0, 1.0]));
}

#[test]
fn each_reader_error_names_file_line_field_and_value() {
    let ok = day("2020-01-02");
    let cases: Vec<(String, &str)> = vec![
        (
            format!("date,holder,kind,shares,redemptions\n{ok}"),
            "flows.csv: no `subscriptions` column",
        ),
        (
            format!("{HEAD}2020-13-02,retail,segment,100,1,2,1.0\n"),
            "flows.csv:2: date = \"2020-13-02\": not a date",
        ),
        (
            format!("{HEAD}2020-01-02,hedge,segment,100,1,2,1.0\n"),
            "flows.csv:2: holder = \"hedge\": not a segment or large investor of the fund (it has: retail, wealth, Sovereign wealth fund A)",
        ),
        (
            format!("{HEAD}2020-01-02,retail,large,100,1,2,1.0\n"),
            "flows.csv:2: kind = \"large\": retail is a segment in the fund file",
        ),
        (
            format!("{HEAD}2020-01-02,retail,segment,abc,1,2,1.0\n"),
            "flows.csv:2: shares = \"abc\": not a number",
        ),
        (
            format!("{HEAD}2020-01-02,retail,segment,inf,1,2,1.0\n"),
            "flows.csv:2: shares = inf: must be finite",
        ),
        (
            format!("{HEAD}2020-01-02,retail,segment,100,NaN,2,1.0\n"),
            "flows.csv:2: subscriptions = NaN: must be finite",
        ),
        (
            format!("{HEAD}2020-01-02,retail,segment,100,1,-3,1.0\n"),
            "flows.csv:2: redemptions = -3: must be 0 or more",
        ),
        (
            format!("{HEAD}2020-01-02,retail,segment,100,1,200,1.0\n"),
            "flows.csv:2: redemptions = 200: more than the 100 shares held",
        ),
        (
            format!("{HEAD}2020-01-02,retail,segment,100,1,2,0\n"),
            "flows.csv:2: nav = 0: must be above 0",
        ),
        (
            format!("{HEAD}{ok}2020-01-02,retail,segment,100,1,2,1.0\n"),
            "flows.csv:5: holder = \"retail\": a second row for retail on 2020-01-02 (the first is line 2)",
        ),
        (
            format!(
                "{HEAD}2020-01-02,retail,segment,100,1,2,1.0\n2020-01-02,wealth,segment,50,0,1,1.1\n"
            ),
            "flows.csv:3: nav = 1.1: differs from 1 on line 2",
        ),
        (
            format!("{HEAD}{ok}2020-01-03,retail,segment,100,1,2,1.0\n"),
            "flows.csv:5: date = 2020-01-03: no row for segment wealth on this date",
        ),
        (
            format!("{HEAD}{ok}{}", day("2020-01-20")),
            "flows.csv:5: date = 2020-01-20: 18 days after the previous date 2020-01-02 (a gap in the history; at most 7)",
        ),
        (HEAD.to_string(), "flows.csv: no rows after the header"),
    ];
    for (text, want) in cases {
        let got = err(&text);
        assert!(got.starts_with(want), "\nwant: {want}\ngot:  {got}");
    }
}

#[test]
fn a_missing_file_is_an_io_error_naming_it() {
    let e = undertow_calibrate::flows::read_flows_csv(
        std::path::Path::new("/nonexistent/flows.csv"),
        &small_fund(),
    )
    .unwrap_err();
    assert!(matches!(e, CalibrateError::Io { .. }));
    assert!(e.to_string().contains("/nonexistent/flows.csv"));
}

#[test]
fn a_written_history_reads_back() {
    let fund = small_fund();
    let d = business_days(
        NaiveDate::from_ymd_opt(2020, 1, 2).unwrap(),
        NaiveDate::from_ymd_opt(2020, 3, 31).unwrap(),
    );
    let g = synthetic_stress_path(&d, 1);
    let h = synthesize(&fund, &d, &g, &SynthOptions::new(4));
    let back = parse_flows_csv(&h.to_csv(), "x.csv", &fund).unwrap();
    assert_eq!(back.dates, h.dates);
    for (a, b) in back.holders.iter().zip(&h.holders) {
        for (x, y) in a.redemptions.iter().zip(&b.redemptions) {
            assert!((x - y).abs() <= 0.5, "{x} {y}");
        }
    }
}

#[test]
fn the_shipped_example_is_the_generators_output() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/flows_history.csv");
    let shipped = std::fs::read_to_string(path).unwrap();
    assert!(shipped.starts_with("# SYNTHETIC"));
    assert!(shipped == example_flows_csv(), "regenerate: cargo run -p undertow-calibrate --example flows_history > examples/flows_history.csv");
}

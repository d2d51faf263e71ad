//! The market file reader: each error named (file, line, field, value), never a panic; and the
//! stress composite on constructed data (calm 0, full stress 1, monotone).

use std::io::Write;

use undertow_calibrate::market::{parse_market_csv, read_market_csv, CompositeOptions};
use undertow_calibrate::CalibrateError;

const HEADER: &str = "date,id,close,volume,bid,ask\n";

fn parse(body: &str) -> Result<undertow_calibrate::market::MarketHistory, CalibrateError> {
    parse_market_csv(&format!("{HEADER}{body}"), "m.csv")
}

fn err(body: &str) -> String {
    parse(body).unwrap_err().to_string()
}

#[test]
fn a_good_file_is_read_by_position_and_date() {
    let h = parse(
        "2020-01-02,A,100,10,99.9,100.1\n2020-01-02,B,50,20,49.9,50.1\n\
         2020-01-03,A,101,11,100.9,101.1\n2020-01-03,B,51,21,50.9,51.1\n",
    )
    .unwrap();
    assert_eq!(h.dates.len(), 2);
    assert_eq!(h.series.len(), 2);
    let a = h.position("A").unwrap();
    assert_eq!(a.close, vec![100.0, 101.0]);
    assert_eq!(a.day, vec![0, 1]);
    assert!((a.rel_spread(0) - 0.2 / 100.0).abs() < 1e-12);
    assert_eq!(a.traded_value(1), 101.0 * 11.0);
    assert_eq!(h.position("B").unwrap().first_line, 3);
}

#[test]
fn columns_may_come_in_any_order() {
    let h = parse_market_csv(
        "id,ask,bid,volume,close,date\nA,2,1,5,1.5,2020-01-02\n",
        "m.csv",
    )
    .unwrap();
    let a = h.position("A").unwrap();
    assert_eq!(
        (a.bid[0], a.ask[0], a.close[0], a.volume[0]),
        (1.0, 2.0, 1.5, 5.0)
    );
}

#[test]
fn a_non_finite_value_is_named() {
    assert_eq!(
        err("2020-01-02,A,NaN,10,99,101\n"),
        "m.csv:2: close = NaN: must be a finite number"
    );
    assert_eq!(
        err("2020-01-02,A,100,inf,99,101\n"),
        "m.csv:2: volume = inf: must be a finite number"
    );
}

#[test]
fn a_word_where_a_number_goes_is_named() {
    assert_eq!(
        err("2020-01-02,A,100,10,abc,101\n"),
        "m.csv:2: bid = \"abc\": not a number"
    );
}

#[test]
fn zero_or_negative_prices_are_refused() {
    assert_eq!(
        err("2020-01-02,A,0,10,99,101\n"),
        "m.csv:2: close = 0: a price must be above 0"
    );
    assert_eq!(
        err("2020-01-02,A,100,10,-1,101\n"),
        "m.csv:2: bid = -1: a price must be above 0"
    );
    assert_eq!(
        err("2020-01-02,A,100,10,99,-2\n"),
        "m.csv:2: ask = -2: a price must be above 0"
    );
}

#[test]
fn a_negative_volume_is_refused() {
    assert_eq!(
        err("2020-01-02,A,100,-5,99,101\n"),
        "m.csv:2: volume = -5: must be 0 or more"
    );
}

#[test]
fn a_bid_above_the_ask_is_refused() {
    assert_eq!(
        err("2020-01-02,A,100,10,99,101\n2020-01-02,B,100,10,101,99\n"),
        "m.csv:3: bid = 101: above the ask (99)"
    );
}

#[test]
fn a_duplicated_date_and_id_is_refused() {
    assert_eq!(
        err("2020-01-02,A,100,10,99,101\n2020-01-02,A,100,10,99,101\n"),
        "m.csv:3: id = \"A\": a second row for 2020-01-02: one row per position per day"
    );
}

#[test]
fn unsorted_dates_are_refused() {
    assert_eq!(
        err("2020-01-03,A,100,10,99,101\n2020-01-02,B,100,10,99,101\n"),
        "m.csv:3: date = 2020-01-02: earlier than 2020-01-03 on line 2: rows must be in date order"
    );
}

#[test]
fn a_bad_date_is_named() {
    assert_eq!(
        err("2020-13-02,A,100,10,99,101\n"),
        "m.csv:2: date = \"2020-13-02\": not a date (YYYY-MM-DD)"
    );
}

#[test]
fn an_empty_file_is_refused() {
    let e = parse_market_csv("", "m.csv").unwrap_err().to_string();
    assert!(e.starts_with("m.csv: the file is empty"), "{e}");
    let e = parse_market_csv(HEADER, "m.csv").unwrap_err().to_string();
    assert_eq!(e, "m.csv: no rows: the file has a header and nothing else");
}

#[test]
fn a_missing_column_is_named() {
    let e = parse_market_csv("date,id,close,volume,bid\n2020-01-02,A,1,1,1\n", "m.csv")
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("m.csv: missing column `ask`"), "{e}");
}

#[test]
fn a_short_row_is_named_by_line() {
    let e = err("2020-01-02,A,100,10,99,101\n2020-01-03,A,100,10\n");
    assert_eq!(
        e,
        "m.csv:3: row = 4 fields: expected 6 fields, as the header has"
    );
}

#[test]
fn an_empty_id_is_refused() {
    assert_eq!(
        err("2020-01-02,,100,10,99,101\n"),
        "m.csv:2: id = \"\": empty: every row names a position id"
    );
}

#[test]
fn unknown_ids_are_refused_against_a_fund() {
    let fund = undertow_host::fund::example_fund();
    let h =
        parse("2020-01-02,EQ_LARGE,100,10,99,101\n2020-01-02,EQ_LRAGE,100,10,99,101\n").unwrap();
    let e = h.check_ids(&fund).unwrap_err().to_string();
    assert!(
        e.starts_with("m.csv:3: id = \"EQ_LRAGE\": not a position of the fund"),
        "{e}"
    );
    let ok = parse("2020-01-02,EQ_LARGE,100,10,99,101\n").unwrap();
    ok.check_ids(&fund).unwrap();
    assert_eq!(
        ok.missing_positions(&fund).len(),
        fund.position_ids.len() - 1
    );
}

#[test]
fn a_missing_file_is_an_io_error_naming_it() {
    let e = read_market_csv(std::path::Path::new("/nonexistent/market.csv")).unwrap_err();
    assert!(matches!(e, CalibrateError::Io { .. }));
    assert!(e.to_string().contains("/nonexistent/market.csv"));
}

#[test]
fn a_file_on_disk_is_read() {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    writeln!(f, "{HEADER}2020-01-02,A,100,10,99,101").unwrap();
    let h = read_market_csv(f.path()).unwrap();
    assert_eq!(h.series[0].id, "A");
}

/// A constructed history: positions with a calm spread and daily moves of 1% (alternating
/// sign), and stress level `h` per day moving the spread by `1 + 4h` and the moves by `1 + 2h`
/// (the kernel's linear form with W = 5, M = 3).
fn constructed(levels: &[f64], positions: &[&str]) -> String {
    let mut text = String::from(HEADER);
    let start = chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
    for (t, &h) in levels.iter().enumerate() {
        let date = start + chrono::Duration::days(t as i64);
        for (i, id) in positions.iter().enumerate() {
            let s = 0.001 * (1.0 + i as f64) * (1.0 + 4.0 * h);
            let a = 0.01 * (1.0 + 2.0 * h);
            let close = if t % 2 == 0 { 100.0 } else { 100.0 * a.exp() };
            // The mid is the close: bid and ask at close (1 -+ s/2).
            let bid = close * (1.0 - s / 2.0);
            let ask = close * (1.0 + s / 2.0);
            text.push_str(&format!("{date},{id},{close},1000,{bid},{ask}\n"));
        }
    }
    text
}

fn exact() -> CompositeOptions {
    CompositeOptions {
        spread_window: 1,
        vol_window: 1,
        stressed_quantile: 0.99,
    }
}

#[test]
fn the_composite_is_zero_on_a_calm_history() {
    let h = parse_market_csv(&constructed(&[0.0; 50], &["A", "B"]), "m.csv").unwrap();
    let c = h.stress_composite();
    assert_eq!(c.g.len(), 50);
    assert!(c.g.iter().all(|&g| g == 0.0), "{:?}", c.g);
}

#[test]
fn the_composite_is_one_at_full_stress_and_zero_in_calm() {
    // 80 calm days then 20 days of full stress: the calm level is the median, the stressed
    // level the 99th percentile.
    let mut levels = vec![0.0; 80];
    levels.extend(vec![1.0; 20]);
    let h = parse_market_csv(&constructed(&levels, &["A", "B"]), "m.csv").unwrap();
    let c = h.stress_composite_with(&exact());
    for (t, g) in c.g.iter().enumerate().take(80).skip(1) {
        assert!(g.abs() < 1e-9, "day {t}: {g}");
    }
    // The first stress day's return is measured from a calm close: from the second stress day
    // on, both parts are at full stress.
    for (t, g) in c.g.iter().enumerate().skip(81) {
        assert!((g - 1.0).abs() < 1e-9, "day {t}: {g}");
    }
    // The spread part alone is 1 from the first stress day.
    assert!((c.g_spread[80] - 1.0).abs() < 1e-9);
}

#[test]
fn the_composite_rises_with_the_stress_level() {
    // Calm most of the time, then a ramp of increasing stress up to a full-stress plateau.
    let mut levels = vec![0.0; 60];
    let ramp: Vec<f64> = (1..=10).map(|k| k as f64 / 10.0).collect();
    for &l in &ramp {
        levels.push(l);
        levels.push(l);
    }
    levels.extend(vec![1.0; 10]);
    let h = parse_market_csv(&constructed(&levels, &["A"]), "m.csv").unwrap();
    let c = h.stress_composite_with(&exact());
    // On the second day of each step both parts sit at the step's level exactly (the kernel's
    // linear scale).
    let second_days: Vec<usize> = (0..ramp.len()).map(|k| 60 + 2 * k + 1).collect();
    for (k, &l) in ramp.iter().enumerate() {
        let g = c.g[second_days[k]];
        assert!((g - l).abs() < 1e-6, "step {l}: {g}");
    }
    for w in second_days.windows(2) {
        assert!(c.g[w[1]] > c.g[w[0]]);
    }
    assert!(c.g.iter().all(|&g| (0.0..=1.0).contains(&g)));
}

#[test]
fn the_composite_of_the_example_file_peaks_in_march_2020() {
    let text = undertow_calibrate::market::synthetic::example_market_csv();
    let h = parse_market_csv(&text, "example").unwrap();
    let c = h.stress_composite();
    let d = |y, m, dd| chrono::NaiveDate::from_ymd_opt(y, m, dd).unwrap();
    let peak = c.on(d(2020, 3, 23)).unwrap();
    let calm = c.on(d(2019, 6, 14)).unwrap();
    let mild = c.on(d(2022, 10, 12)).unwrap();
    assert!(peak > 0.7, "peak {peak}");
    assert!(calm < 0.15, "calm {calm}");
    assert!(mild > calm && mild < peak, "mild {mild}");
}

#[test]
fn the_shipped_example_file_is_the_generators_output() {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/market_history.csv");
    let shipped = std::fs::read_to_string(&path).unwrap();
    let generated = undertow_calibrate::market::synthetic::example_market_csv();
    assert!(
        shipped == generated,
        "examples/market_history.csv differs from the generator: rerun \
         `cargo run -p undertow-calibrate --example market_history > examples/market_history.csv`"
    );
    assert!(shipped.len() < 2_000_000);
    let h = parse_market_csv(&shipped, "examples/market_history.csv").unwrap();
    h.check_ids(&undertow_host::fund::example_fund()).unwrap();
    assert_eq!(h.series.len(), 16);
    assert_eq!(h.dates.first().unwrap().to_string(), "2018-01-02");
    assert_eq!(h.dates.last().unwrap().to_string(), "2023-12-29");
}

#[test]
fn a_history_without_the_episode_fails_the_march_2020_check() {
    // The peak check above on a corrupted history (the stress episodes removed): March 2020 is
    // then a calm day and the check's threshold is not reached.
    use undertow_calibrate::market::synthetic::{
        business_days, synthetic_market_csv, EXAMPLE_SEED,
    };
    let d = |y, m, dd| chrono::NaiveDate::from_ymd_opt(y, m, dd).unwrap();
    let fund = undertow_host::fund::example_fund();
    let dates = business_days(d(2018, 1, 2), d(2023, 12, 29));
    let text = synthetic_market_csv(&fund, &dates, &[], EXAMPLE_SEED);
    let h = parse_market_csv(&text, "calm").unwrap();
    let peak = h.stress_composite().on(d(2020, 3, 23)).unwrap();
    assert!(peak < 0.7, "{peak}");
}

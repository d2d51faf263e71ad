//! Generated inputs for the positions CSV and scenario script files: a valid file, mutated
//! (a column deleted, a cell made a non-number, NaN, ±inf, 1e300, an empty row, a duplicate row
//! and id, the text truncated; for scripts also a key deleted or repeated, a value retyped), gives
//! either a valid result or an error naming the file, the field and the value. Never a panic.

use std::path::Path;

use proptest::prelude::*;
use undertow_host::fund::{
    example_fund, example_spec, fund_file_to_toml, parse_fund, positions_csv, Fund, FundError,
};
use undertow_host::scenarios::script::parse_script_file;

const CSV: &str = "p.csv";
const FUND: &str = "fund.toml";
const SCRIPT: &str = "s.toml";

/// Replacements for a cell or a value.
const BAD_VALUES: &[&str] = &[
    "abc",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "+inf",
    "1e300",
    "-1e300",
    "",
    "-5",
    "0",
    "1e-300",
    "\"x\"",
    "true",
    "[1, 2]",
    "99999999999999999999",
];

fn valid_csv() -> String {
    positions_csv::write_positions_csv(&example_spec().positions)
}

/// The example fund with its positions read from `p.csv`.
fn csv_fund_toml() -> String {
    let mut spec = example_spec();
    spec.positions.clear();
    spec.positions_csv = Some(CSV.to_string());
    fund_file_to_toml(&spec, "generated")
}

#[derive(Clone, Debug)]
enum CsvMutation {
    DeleteColumn(usize),
    SetCell {
        row: usize,
        col: usize,
        value: usize,
    },
    EmptyRow(usize),
    DuplicateRow(usize),
    Truncate(usize),
}

fn csv_mutation() -> impl Strategy<Value = CsvMutation> {
    prop_oneof![
        (0..32usize).prop_map(CsvMutation::DeleteColumn),
        (0..64usize, 0..32usize, 0..BAD_VALUES.len())
            .prop_map(|(row, col, value)| CsvMutation::SetCell { row, col, value }),
        (0..64usize).prop_map(CsvMutation::EmptyRow),
        (0..64usize).prop_map(CsvMutation::DuplicateRow),
        (0..100_000usize).prop_map(CsvMutation::Truncate),
    ]
}

fn apply_csv(text: &str, mutations: &[CsvMutation]) -> String {
    let mut rows: Vec<Vec<String>> = text
        .lines()
        .map(|l| l.split(',').map(String::from).collect())
        .collect();
    let mut truncate = None;
    for m in mutations {
        let n_rows = rows.len();
        match *m {
            CsvMutation::DeleteColumn(c) => {
                let c = c % rows[0].len().max(1);
                for row in &mut rows {
                    if c < row.len() {
                        row.remove(c);
                    }
                }
            }
            CsvMutation::SetCell { row, col, value } => {
                let r = 1 + row % (n_rows - 1).max(1);
                if let Some(row) = rows.get_mut(r) {
                    if !row.is_empty() {
                        let c = col % row.len();
                        // A comma-free value keeps the column count (a bad value, not a bad row).
                        row[c] = BAD_VALUES[value].replace(',', ";");
                    }
                }
            }
            CsvMutation::EmptyRow(r) => rows.insert(1 + r % n_rows, Vec::new()),
            CsvMutation::DuplicateRow(r) => {
                let r = 1 + r % (n_rows - 1).max(1);
                if r < n_rows {
                    let copy = rows[r].clone();
                    rows.insert(r, copy);
                }
            }
            CsvMutation::Truncate(at) => truncate = Some(at),
        }
    }
    let mut out: String = rows.iter().map(|r| r.join(",") + "\n").collect();
    if let Some(at) = truncate {
        let mut at = at % (out.len() + 1);
        while !out.is_char_boundary(at) {
            at -= 1;
        }
        out.truncate(at);
    }
    out
}

/// A fund read from a mutated CSV is valid with finite numbers, or every problem names a file
/// (the CSV, or the fund file for totals such as weights summing to 1), a field and a value.
fn check_fund(result: Result<Fund, FundError>, csv: &str) -> Result<(), TestCaseError> {
    match result {
        Ok(fund) => {
            for p in &fund.spec.positions {
                for x in [
                    p.weight,
                    p.adv,
                    p.spread_bps,
                    p.vol_annual,
                    p.impact,
                    p.duration,
                ] {
                    prop_assert!(
                        x.is_finite(),
                        "accepted a non-finite number in {p:?}\n{csv}"
                    );
                }
            }
        }
        Err(FundError::Invalid { issues, .. }) => {
            prop_assert!(!issues.is_empty());
            for issue in &issues {
                prop_assert!(
                    issue.file.ends_with(CSV) || issue.file == FUND,
                    "issue names no file: {issue}"
                );
                prop_assert!(!issue.field.is_empty(), "issue names no field: {issue}");
                prop_assert!(
                    issue.file != CSV
                        || issue.field.contains("row")
                        || issue.field.contains("header"),
                    "CSV issue names no row: {issue}"
                );
                prop_assert!(!issue.reason.is_empty(), "issue gives no reason: {issue}");
                prop_assert!(!issue.value.is_empty(), "issue gives no value: {issue}");
            }
        }
        Err(other) => prop_assert!(false, "unexpected kind of error: {other}"),
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_positions_csv_gives_a_valid_fund_or_a_named_error(
        mutations in prop::collection::vec(csv_mutation(), 1..4)
    ) {
        let dir = tempfile::tempdir().unwrap();
        let csv = apply_csv(&valid_csv(), &mutations);
        std::fs::write(dir.path().join(CSV), &csv).unwrap();
        check_fund(parse_fund(&csv_fund_toml(), FUND, dir.path()), &csv)?;
    }
}

#[test]
fn the_unmutated_csv_is_valid() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(CSV), valid_csv()).unwrap();
    parse_fund(&csv_fund_toml(), FUND, dir.path()).unwrap();
    let _ = Path::new(CSV);
}

fn valid_script(fund: &Fund) -> String {
    let class = &fund.classes[0].name;
    let investor = &fund.large_names[0];
    let segment = &fund.segment_names[0];
    format!(
        "[[script]]\nname = \"A\"\nonset = 2\nramp = 3\nplateau = 10\nhalf_life = 15\n\
         regime = \"crisis\"\nfunding_shock = 0.4\nhaircut_addon = 0.1\nrate_shock = -0.005\n\
         redemption_mult = 1.0\nlarge_mult = 1.0\n\
         [script.market.\"{class}\"]\ndepth_cut = 0.7\nspread_mult = 5\nvolume_cut = 0.5\n\
         price_shock = -0.2\nvol_mult = 3\ncrowding = 1.5\n\
         [[script.redemptions]]\nday = 3\ninvestor = \"{investor}\"\nfraction = 0.1\n\
         [[script.redemptions]]\nday = 1\nsegment = \"{segment}\"\nfraction = 0.05\n\
         [[script]]\nname = \"B\"\nredemption_mult = 0\nlarge_mult = 0\n"
    )
}

#[derive(Clone, Debug)]
enum ScriptMutation {
    SetValue { line: usize, value: usize },
    DeleteLine(usize),
    DuplicateLine(usize),
    Truncate(usize),
}

fn script_mutation() -> impl Strategy<Value = ScriptMutation> {
    prop_oneof![
        3 => (0..64usize, 0..BAD_VALUES.len())
            .prop_map(|(line, value)| ScriptMutation::SetValue { line, value }),
        1 => (0..64usize).prop_map(ScriptMutation::DeleteLine),
        1 => (0..64usize).prop_map(ScriptMutation::DuplicateLine),
        1 => (0..100_000usize).prop_map(ScriptMutation::Truncate),
    ]
}

fn apply_script(text: &str, mutations: &[ScriptMutation]) -> String {
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let mut truncate = None;
    for m in mutations {
        let n = lines.len().max(1);
        match *m {
            ScriptMutation::SetValue { line, value } => {
                // Only `key = value` lines have a value to replace.
                let keyed: Vec<usize> = (0..lines.len())
                    .filter(|&i| lines[i].contains(" = "))
                    .collect();
                if let Some(&i) = keyed.get(line % keyed.len().max(1)) {
                    let key = lines[i].split(" = ").next().unwrap().to_string();
                    let v = BAD_VALUES[value];
                    lines[i] = format!("{key} = {}", if v.is_empty() { "\"\"" } else { v });
                }
            }
            ScriptMutation::DeleteLine(i) => {
                if !lines.is_empty() {
                    lines.remove(i % n);
                }
            }
            ScriptMutation::DuplicateLine(i) => {
                if !lines.is_empty() {
                    let copy = lines[i % n].clone();
                    lines.insert(i % n, copy);
                }
            }
            ScriptMutation::Truncate(at) => truncate = Some(at),
        }
    }
    let mut out = lines.join("\n") + "\n";
    if let Some(at) = truncate {
        let mut at = at % (out.len() + 1);
        while !out.is_char_boundary(at) {
            at -= 1;
        }
        out.truncate(at);
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_script_file_gives_scenarios_or_a_named_error(
        mutations in prop::collection::vec(script_mutation(), 1..4)
    ) {
        let fund = example_fund();
        let text = apply_script(&valid_script(&fund), &mutations);
        match parse_script_file(&text, SCRIPT, &fund) {
            Ok(scenarios) => {
                prop_assert!(!scenarios.is_empty());
                for s in &scenarios {
                    let p = &s.params;
                    for x in [p.rho, p.funding_shock, p.haircut_addon, p.rate_shock, p.credit_spread_shock] {
                        prop_assert!(x.is_finite(), "accepted a non-finite number in {s:?}\n{text}");
                    }
                }
            }
            Err(e) => {
                let message = e.to_string();
                prop_assert!(message.starts_with(SCRIPT), "names no file: {message}\n{text}");
                let located = message.starts_with(&format!("{SCRIPT}:"))
                    && message[SCRIPT.len() + 1..].starts_with(|c: char| c.is_ascii_digit());
                prop_assert!(
                    located || message.contains("script[") || message.contains("no scenarios"),
                    "names neither a position nor a field: {message}\n{text}"
                );
            }
        }
    }
}

#[test]
fn the_unmutated_script_is_valid() {
    let fund = example_fund();
    assert_eq!(
        parse_script_file(&valid_script(&fund), SCRIPT, &fund)
            .unwrap()
            .len(),
        2
    );
}

//! A huge one-line input with an error gives a short message: the quoted input is cut around the
//! error position, and the message still names the file, the line and the column.

use std::path::Path;

use undertow_host::fund::{example_fund, example_spec, parse_fund, positions_csv};
use undertow_host::scenarios::script::parse_script_file;

/// About 3 MB on one line.
const LONG: usize = 3_000_000;

/// Bounded: the file name, the position, the key path, a message and at most ~120 quoted chars.
const MAX_MESSAGE_LEN: usize = 1_500;

#[test]
fn a_fund_file_syntax_error_on_a_huge_line_quotes_a_short_window() {
    // A long value, then a syntax error ("@") at its end, all on line 2.
    let text = format!("[fund]\nname = \"{}\" @ 1\n", "x".repeat(LONG));
    let e = parse_fund(&text, "huge.toml", Path::new("")).unwrap_err();
    let message = e.to_string();
    assert!(message.len() < MAX_MESSAGE_LEN, "{} bytes", message.len());
    assert!(message.starts_with("huge.toml:2:"), "{message}");
    let column = LONG + 10; // `name = "` is 8 chars, the closing quote, a space
    assert!(
        message.contains(&format!(":2:{}", column + 1))
            || message.contains(&format!(":2:{column}")),
        "{message}"
    );
    assert!(message.contains('…'), "{message}");
}

#[test]
fn a_huge_unknown_key_is_cut_too() {
    let text = format!("[fund]\n{} = 1\n", "k".repeat(LONG));
    let message = parse_fund(&text, "huge.toml", Path::new(""))
        .unwrap_err()
        .to_string();
    assert!(message.len() < MAX_MESSAGE_LEN, "{} bytes", message.len());
    assert!(message.starts_with("huge.toml:2:"), "{message}");
}

#[test]
fn a_huge_csv_cell_is_cut() {
    let valid = positions_csv::write_positions_csv(&example_spec().positions);
    let mut lines = valid.lines();
    let header = lines.next().unwrap();
    let weight = header.split(',').position(|c| c == "weight").unwrap();
    let mut cells: Vec<String> = lines.next().unwrap().split(',').map(String::from).collect();
    cells[weight] = "9".repeat(LONG) + "x";
    let text = format!("{header}\n{}\n", cells.join(","));
    let issues = positions_csv::parse(&text, "huge.csv").unwrap_err();
    let message = issues[0].to_string();
    assert!(message.len() < MAX_MESSAGE_LEN, "{} bytes", message.len());
    assert!(
        message.starts_with("huge.csv: row 1 (line 2), column `weight`"),
        "{message}"
    );
}

#[test]
fn a_script_syntax_error_on_a_huge_line_quotes_a_short_window() {
    let fund = example_fund();
    let text = format!("[[script]]\nname = \"{}\" @\n", "x".repeat(LONG));
    let message = parse_script_file(&text, "huge-script.toml", &fund)
        .unwrap_err()
        .to_string();
    assert!(message.len() < MAX_MESSAGE_LEN, "{} bytes", message.len());
    assert!(message.starts_with("huge-script.toml:2:"), "{message}");

    let text = format!(
        "[[script]]\n[script.market.\"{}\"]\ndepth_cut = 0.5\n",
        "c".repeat(LONG)
    );
    let message = parse_script_file(&text, "huge-script.toml", &fund)
        .unwrap_err()
        .to_string();
    assert!(message.len() < MAX_MESSAGE_LEN, "{} bytes", message.len());
    assert!(
        message.starts_with("huge-script.toml: script[0].market."),
        "{message}"
    );
}

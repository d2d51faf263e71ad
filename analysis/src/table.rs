//! One CSV table and the cell formats every stage's tables use. A leaf: the stages' `tables`
//! modules build [`Table`]s with it, and [`crate::tables`] gathers and writes them, so tables
//! depend in one direction only.

/// One table: its file name, header and rows.
pub struct Table {
    pub file: &'static str,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

pub(crate) fn num(x: f64) -> String {
    if x.is_finite() {
        format!("{x}")
    } else if x.is_infinite() && x > 0.0 {
        "inf".into()
    } else {
        String::new()
    }
}

pub(crate) fn opt(x: Option<f64>) -> String {
    x.map(num).unwrap_or_default()
}

/// Quotes a text cell when it needs it.
pub(crate) fn text(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

pub(crate) fn header(cols: &[&str]) -> Vec<String> {
    cols.iter().map(|c| c.to_string()).collect()
}

//! Text for the page: HTML escaping and number formats. Every number passes through here, so a
//! missing or non-finite value is printed "n/a" and never as `NaN` or `inf`.

/// What a missing, null or non-finite number prints as.
pub(crate) const NA: &str = "n/a";

/// Escapes text for HTML element content and attribute values.
pub(crate) fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn finite(x: Option<f64>) -> Option<f64> {
    x.filter(|v| v.is_finite())
}

/// A plain number with `decimals` places.
pub(crate) fn num(x: Option<f64>, decimals: usize) -> String {
    match finite(x) {
        Some(v) => format!("{:.*}", decimals, clean_zero(v, decimals)),
        None => NA.into(),
    }
}

/// Avoids printing "-0.0" for values that round to zero.
fn clean_zero(v: f64, decimals: usize) -> f64 {
    let scale = 10f64.powi(decimals as i32);
    if (v * scale).round() == 0.0 {
        0.0
    } else {
        v
    }
}

/// A fraction as a percentage: one decimal, two below 1%.
pub(crate) fn pct(x: Option<f64>) -> String {
    match finite(x) {
        Some(v) => {
            let p = v * 100.0;
            let d = if p != 0.0 && p.abs() < 1.0 { 2 } else { 1 };
            format!("{}%", num(Some(p), d))
        }
        None => NA.into(),
    }
}

/// A fraction as percentage points with a sign (`+4.5 pp`).
pub(crate) fn pp(x: Option<f64>) -> String {
    match finite(x) {
        Some(v) => {
            let s = num(Some(v * 100.0), 2);
            if s.starts_with('-') || s == "0.00" {
                format!("{s} pp")
            } else {
                format!("+{s} pp")
            }
        }
        None => NA.into(),
    }
}

/// Basis points (already in bps): one decimal below 100, none above.
pub(crate) fn bps(x: Option<f64>) -> String {
    match finite(x) {
        Some(v) => {
            let d = if v.abs() < 100.0 { 1 } else { 0 };
            format!("{} bps", num(Some(v), d))
        }
        None => NA.into(),
    }
}

/// Days with one decimal.
pub(crate) fn days(x: Option<f64>) -> String {
    match finite(x) {
        Some(v) => format!("{} d", num(Some(v), 1)),
        None => NA.into(),
    }
}

/// An amount of money in `currency`, scaled to thousands, millions or billions.
pub(crate) fn money(x: Option<f64>, currency: &str) -> String {
    match finite(x) {
        Some(v) => {
            let a = v.abs();
            let (scaled, unit) = if a >= 1e9 {
                (v / 1e9, "bn")
            } else if a >= 1e6 {
                (v / 1e6, "m")
            } else if a >= 1e3 {
                (v / 1e3, "k")
            } else {
                (v, "")
            };
            format!("{}{unit} {currency}", num(Some(scaled), 2))
        }
        None => NA.into(),
    }
}

/// A share of scenarios or any other probability, as a percentage.
pub(crate) fn prob(x: Option<f64>) -> String {
    pct(x)
}

/// An integer count with thousands separators.
pub(crate) fn count(x: Option<f64>) -> String {
    match finite(x) {
        Some(v) => {
            let n = v.round() as i64;
            let digits = n.unsigned_abs().to_string();
            // Groups of three from the right: the first group takes the remainder.
            let head = digits.len() % 3;
            let mut out = digits[..head].to_string();
            for group in digits.as_bytes()[head..].chunks(3) {
                if !out.is_empty() {
                    out.push(',');
                }
                out.push_str(std::str::from_utf8(group).unwrap_or_default());
            }
            if n < 0 {
                format!("-{out}")
            } else {
                out
            }
        }
        None => NA.into(),
    }
}

/// A label from a snake_case identifier: `min_cost` → `min cost`.
pub(crate) fn words(id: &str) -> String {
    id.replace('_', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_finite_is_na() {
        for x in [
            None,
            Some(f64::NAN),
            Some(f64::INFINITY),
            Some(f64::NEG_INFINITY),
        ] {
            assert_eq!(pct(x), NA);
            assert_eq!(bps(x), NA);
            assert_eq!(num(x, 2), NA);
            assert_eq!(money(x, "USD"), NA);
            assert_eq!(count(x), NA);
        }
    }

    #[test]
    fn formats() {
        assert_eq!(pct(Some(0.1234)), "12.3%");
        assert_eq!(pct(Some(0.0012)), "0.12%");
        assert_eq!(pp(Some(0.045)), "+4.50 pp");
        assert_eq!(pp(Some(-0.0014)), "-0.14 pp");
        assert_eq!(bps(Some(4.49)), "4.5 bps");
        assert_eq!(bps(Some(462.4)), "462 bps");
        assert_eq!(money(Some(2.8036e9), "USD"), "2.80bn USD");
        assert_eq!(count(Some(1234567.0)), "1,234,567");
        assert_eq!(num(Some(-0.0001), 2), "0.00");
        assert_eq!(
            esc("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}

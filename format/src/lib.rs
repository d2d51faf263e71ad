//! Number and money formats, one module for every place that prints a number: the analysis
//! findings (sentences stored in `summary.json`), the terminal tables and the HTML report.
//!
//! Two families, because the places differ in what they may receive:
//! - [`text`]: plain `f64`s the caller has computed, for sentences and terminal tables;
//! - [`page`]: values read from `summary.json`, possibly missing or not finite, printed `n/a`
//!   rather than `NaN` or `inf`.

pub mod text {
    //! Plain numbers for the findings' sentences and the terminal.

    /// A share as a percentage with one decimal (`12.3%`).
    pub fn p1(x: f64) -> String {
        format!("{:.1}%", x * 100.0)
    }

    /// A share as a percentage with two decimals (coverage near 100%, `98.70%`).
    pub fn p2(x: f64) -> String {
        format!("{:.2}%", x * 100.0)
    }

    /// A percentage with as many decimals as it needs (7%, 7.5%, 0.25%): weights and settings.
    pub fn pct(x: f64) -> String {
        // Rounded first: weights arrive through f32 (0.07 reads back as 0.0700000003).
        let p = (x * 100.0 * 1e4).round() / 1e4;
        if (p - p.round()).abs() < 1e-9 {
            format!("{:.0}%", p)
        } else if (p * 10.0 - (p * 10.0).round()).abs() < 1e-9 {
            format!("{:.1}%", p)
        } else {
            format!("{:.2}%", p)
        }
    }

    /// Basis points with one decimal (`4.5 bps`); the value is already in bps.
    pub fn bps(x: f64) -> String {
        format!("{x:.1} bps")
    }

    /// Money in a readable unit: `2.80bn USD`, `35.2m USD`, `900 USD`.
    pub fn money(v: f64, currency: &str) -> String {
        let a = v.abs();
        if a >= 1e9 {
            format!("{:.2}bn {currency}", v / 1e9)
        } else if a >= 1e6 {
            format!("{:.1}m {currency}", v / 1e6)
        } else {
            format!("{v:.0} {currency}")
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn formats() {
            assert_eq!(p1(0.1234), "12.3%");
            assert_eq!(p2(0.987), "98.70%");
            assert_eq!(pct(0.07f32 as f64), "7%");
            assert_eq!(pct(0.075), "7.5%");
            assert_eq!(pct(0.0025), "0.25%");
            assert_eq!(bps(4.449), "4.4 bps");
            assert_eq!(money(2.8036e9, "USD"), "2.80bn USD");
            assert_eq!(money(35.24e6, "USD"), "35.2m USD");
            assert_eq!(money(900.4, "USD"), "900 USD");
        }
    }
}

pub mod page {
    //! Numbers read from `summary.json` for the report: a missing or non-finite value prints
    //! [`NA`].

    /// What a missing, null or non-finite number prints as.
    pub const NA: &str = "n/a";

    fn finite(x: Option<f64>) -> Option<f64> {
        x.filter(|v| v.is_finite())
    }

    /// A plain number with `decimals` places.
    pub fn num(x: Option<f64>, decimals: usize) -> String {
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
    pub fn pct(x: Option<f64>) -> String {
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
    pub fn pp(x: Option<f64>) -> String {
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
    pub fn bps(x: Option<f64>) -> String {
        match finite(x) {
            Some(v) => {
                let d = if v.abs() < 100.0 { 1 } else { 0 };
                format!("{} bps", num(Some(v), d))
            }
            None => NA.into(),
        }
    }

    /// Days with one decimal.
    pub fn days(x: Option<f64>) -> String {
        match finite(x) {
            Some(v) => format!("{} d", num(Some(v), 1)),
            None => NA.into(),
        }
    }

    /// An amount of money in `currency`, scaled to thousands, millions or billions.
    pub fn money(x: Option<f64>, currency: &str) -> String {
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
    pub fn prob(x: Option<f64>) -> String {
        pct(x)
    }

    /// An integer count with thousands separators.
    pub fn count(x: Option<f64>) -> String {
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
        }
    }
}

//! The report names the scenario set of every headline number, liquidity-at-risk table and
//! chart: the stress library (conditional on stress) and the unconditional mixture.

#[path = "fixtures/report/fixture.rs"]
mod fixture;

use serde_json::{json, Value};

const STRESS: &str = "under stress: conditional on the stress library";
const UNCONDITIONAL: &str = "over a year of business days: unconditional mixture";

fn render(summary: &Value) -> String {
    undertow_report::render(summary).unwrap_or_else(|e| panic!("render failed: {e}"))
}

/// The markup of `<section id="id">`.
fn section<'a>(page: &'a str, id: &str) -> &'a str {
    let open = format!("<section class=\"report-section\" id=\"{id}\">");
    let start = page.find(&open).expect("section present");
    let end = page[start..].find("</section>").expect("section closed") + start;
    &page[start..end]
}

/// The table whose caption starts with `caption`.
fn table<'a>(html: &'a str, caption: &str) -> Option<&'a str> {
    let start = html.find(&format!("<caption>{caption}"))?;
    let end = html[start..].find("</table>")? + start;
    Some(&html[start..end])
}

/// The full fixture with an `unconditional` set whose numbers are recognisable: coverage 98.7%,
/// gate frequency 1.3%, 30-day 99% liquidity at risk 12.3% of NAV.
fn with_unconditional() -> Value {
    let mut s = fixture::full();
    let mut headline = s["headline"].clone();
    headline["coverage"] = json!(0.987);
    headline["gate_frequency"] = json!(0.013);
    let mut aggregate = s["aggregate"].clone();
    for row in aggregate["liquidity_at_risk"].as_array_mut().unwrap() {
        if row["horizon_days"] == 30 {
            row["lar"] = json!([0.0456, 0.0789, 0.123]);
        }
    }
    s["set"] = json!("stress");
    s["unconditional"] = json!({
        "set": "unconditional",
        "scenarios": 10000,
        "family_probabilities": { "calm": 0.89 },
        "family_shares": { "calm": 0.8875 },
        "headline": headline,
        "aggregate": aggregate,
    });
    s
}

#[test]
fn the_headline_and_liquidity_at_risk_name_both_sets() {
    let summary = with_unconditional();
    let page = render(&summary);
    let exec = section(&page, "executive-summary");
    let head = table(exec, "Headline numbers").expect("headline table");
    assert!(
        head.contains(STRESS) && head.contains(UNCONDITIONAL),
        "{head}"
    );
    assert!(head.contains("not probabilities"), "{head}");
    let stress_cov = format!(
        "{:.1}%",
        summary["headline"]["coverage"].as_f64().unwrap() * 100.0
    );
    let coverage_row = &head[head.find("Coverage").unwrap()..];
    let coverage_row = &coverage_row[..coverage_row.find("</tr>").unwrap()];
    assert!(coverage_row.contains(&stress_cov), "{coverage_row}");
    assert!(coverage_row.contains("98.7%"), "{coverage_row}");
    assert!(head.contains("1.3%") && head.contains("12.3%"), "{head}");

    let lar_s = table(exec, &format!("Liquidity at risk {STRESS}")).expect("stress LaR");
    let lar_u = table(exec, &format!("Liquidity at risk {UNCONDITIONAL}")).expect("mixture LaR");
    assert!(lar_u.contains("4.6%") && lar_u.contains("7.9%") && lar_u.contains("12.3%"));
    assert!(!lar_s.contains("12.3%"), "{lar_s}");
    assert!(exec.contains("89.0%"), "the mixture's calm share is stated");

    // The charts and tables drawn from the stress library say so.
    for label in [
        "NAV per share: fan chart (stress library)",
        "Liquidity at risk by horizon and confidence (stress library)",
        "Liquidity at risk under stress: conditional on the stress library",
    ] {
        assert!(page.contains(label), "{label}");
    }
}

#[test]
fn without_the_unconditional_set_its_column_says_not_run() {
    let page = render(&fixture::full());
    let exec = section(&page, "executive-summary");
    let head = table(exec, "Headline numbers").expect("headline table");
    assert!(
        head.contains(UNCONDITIONAL) && head.contains("(not run)"),
        "{head}"
    );
    assert!(table(exec, &format!("Liquidity at risk {UNCONDITIONAL}")).is_none());
    assert!(exec.contains(&format!(
        "Liquidity at risk {UNCONDITIONAL}: not run (--no-unconditional)."
    )));
    // A malformed set is an error naming its path.
    let mut bad = with_unconditional();
    bad["unconditional"]["headline"]["coverage"] = json!("high");
    let e = undertow_report::render(&bad).unwrap_err().to_string();
    assert!(e.contains("unconditional.headline.coverage"), "{e}");
}

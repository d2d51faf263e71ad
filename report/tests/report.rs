//! The HTML report's structure, checked on fixture summaries: every section and chart present,
//! every chart labelled and drawn, no NaN or infinity, nothing external, text escaped, stages that
//! did not run noted, a malformed summary reported with its JSON path, the file written atomically.

#[path = "fixtures/report/fixture.rs"]
mod fixture;

use serde_json::{json, Value};
use undertow_report::{self as report, ReportError};

const SECTIONS: [&str; 8] = [
    "executive-summary",
    "market-liquidity",
    "investor-redemption-risk",
    "liquidity-buffer",
    "liquidation-strategy",
    "redemption-policy",
    "implementation-roadmap",
    "appendix",
];

/// Charts the brief asks for, with the section each belongs to.
const CHARTS: [(&str, &str); 13] = [
    ("sec-buckets", "market-liquidity"),
    ("liquidity-ladder", "market-liquidity"),
    ("fan-nav", "investor-redemption-risk"),
    ("fan-cash", "investor-redemption-risk"),
    ("fan-outflow", "investor-redemption-risk"),
    ("cascade-waterfall", "investor-redemption-risk"),
    ("liquidity-at-risk", "liquidity-buffer"),
    ("buffer-frontier", "liquidity-buffer"),
    ("liquidation-costs", "liquidation-strategy"),
    ("execution-approaches", "liquidation-strategy"),
    ("gate-grid", "redemption-policy"),
    ("early-warning", "redemption-policy"),
    ("reverse-stress", "redemption-policy"),
];

/// Charts that need the Analysis II stages.
const ANALYSIS_II_CHARTS: [&str; 5] = [
    "liquidation-costs",
    "execution-approaches",
    "gate-grid",
    "early-warning",
    "reverse-stress",
];

fn render(summary: &Value) -> String {
    report::render(summary).unwrap_or_else(|e| panic!("render failed: {e}"))
}

/// The markup of `<section id="id">`.
fn section<'a>(page: &'a str, id: &str) -> &'a str {
    let open = format!("<section class=\"report-section\" id=\"{id}\">");
    let start = page
        .find(&open)
        .unwrap_or_else(|| panic!("section {id} missing"));
    let end = page[start..].find("</section>").expect("section closed") + start;
    &page[start..end]
}

/// The markup of the figure holding chart `id`, if present.
fn figure<'a>(page: &'a str, id: &str) -> Option<&'a str> {
    let open = format!("<figure class=\"chart-figure\" data-chart=\"{id}\" ");
    let start = page.find(&open)?;
    let end = page[start..].find("</figure>").expect("figure closed") + start;
    Some(&page[start..end])
}

/// The text contents of the `<text>` elements of an SVG.
fn svg_texts(svg: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = svg;
    while let Some(i) = rest.find("<text") {
        rest = &rest[i..];
        let open_end = rest.find('>').expect("text tag closed");
        let attrs = rest[..open_end].to_string();
        let close = rest.find("</text>").expect("text element closed");
        out.push((attrs, rest[open_end + 1..close].trim().to_string()));
        rest = &rest[close..];
    }
    out
}

/// HTML escaping as the report does it.
fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn count(hay: &str, needle: &str) -> usize {
    hay.matches(needle).count()
}

/// `inf`, `-inf`, `infinity`, `NaN` as numbers (not inside words like "information").
fn non_finite_tokens(page: &str) -> Vec<String> {
    let mut out = Vec::new();
    let lower = page.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    for token in ["nan", "inf"] {
        let mut from = 0;
        while let Some(i) = lower[from..].find(token) {
            let at = from + i;
            let before = if at == 0 { b' ' } else { bytes[at - 1] };
            let after_idx = at + token.len();
            let rest = &lower[after_idx..];
            let after = if rest.starts_with("inity") {
                bytes.get(after_idx + 5).copied().unwrap_or(b' ')
            } else {
                bytes.get(after_idx).copied().unwrap_or(b' ')
            };
            if !before.is_ascii_alphabetic() && !after.is_ascii_alphabetic() {
                out.push(page[at.saturating_sub(20)..(after_idx + 20).min(page.len())].to_string());
            }
            from = after_idx;
        }
    }
    out
}

#[test]
fn every_section_and_chart_is_present_labelled_and_drawn() {
    let summary = fixture::full();
    let started = std::time::Instant::now();
    let page = render(&summary);
    eprintln!(
        "report: {:.1} KB rendered in {:.1} ms",
        page.len() as f64 / 1024.0,
        started.elapsed().as_secs_f64() * 1e3
    );
    for id in SECTIONS {
        let body = section(&page, id);
        assert!(
            page.contains(&format!("<a href=\"#{id}\">")),
            "contents do not link {id}"
        );
        assert!(
            !body.contains("Not run"),
            "{id} says not run on the full fixture"
        );
    }
    assert_eq!(count(&page, "<svg class=\"chart\""), CHARTS.len());
    for (id, home) in CHARTS {
        let fig = figure(section(&page, home), id)
            .unwrap_or_else(|| panic!("chart {id} missing from section {home}"));
        assert!(fig.contains(&format!("<svg class=\"chart\" id=\"chart-{id}\"")));
        // Title: the accessible <title> is also drawn as the chart's caption.
        let title_tag = fig.find("<title id=").expect("svg title");
        let title_start = title_tag + fig[title_tag..].find('>').unwrap() + 1;
        let title = &fig[title_start..title_start + fig[title_start..].find("</title>").unwrap()];
        assert!(title.len() > 10, "{id}: title {title:?}");
        let texts = svg_texts(fig);
        assert!(
            texts.iter().any(|(_, t)| t == title),
            "{id}: title not drawn"
        );
        // Axis labels: the figure names them; the y label is drawn rotated, the x label upright,
        // and at least one of them carries its units in brackets (categorical axes have none).
        let attr = |name: &str| -> String {
            let key = format!("{name}=\"");
            let start = fig.find(&key).unwrap_or_else(|| panic!("{id}: no {name}")) + key.len();
            fig[start..start + fig[start..].find('"').unwrap()].to_string()
        };
        let (x_label, y_label) = (attr("data-x-label"), attr("data-y-label"));
        assert!(
            x_label.len() >= 5 && y_label.len() >= 5,
            "{id}: {x_label:?} {y_label:?}"
        );
        assert!(
            texts
                .iter()
                .any(|(a, t)| *t == y_label && a.contains("rotate(270")),
            "{id}: y label {y_label:?} not drawn rotated"
        );
        assert!(
            texts
                .iter()
                .any(|(a, t)| *t == x_label && !a.contains("rotate")),
            "{id}: x label {x_label:?} not drawn"
        );
        assert!(
            x_label.contains('(') || y_label.contains('('),
            "{id}: no axis label with units"
        );
        // What to read from it: one non-trivial line.
        let cap_start = fig.find("<figcaption>").expect("figcaption");
        let caption = &fig[cap_start..];
        assert!(caption.contains("How to read it:"), "{id}");
        assert!(caption.len() > 80, "{id}: caption too short: {caption}");
        // Drawn marks: shapes beyond the frame, and tick labels.
        let shapes = ["<polyline", "<polygon", "<rect", "<circle"]
            .iter()
            .map(|tag| count(fig, tag))
            .sum::<usize>();
        assert!(shapes >= 8, "{id}: only {shapes} shapes drawn");
        assert!(texts.len() >= 8, "{id}: only {} text elements", texts.len());
    }
}

#[test]
fn a_real_run_with_every_stage_renders_every_chart() {
    let summary = fixture::all_stages_real();
    let page = render(&summary);
    for id in SECTIONS {
        assert!(!section(&page, id).contains("Not run"), "{id} says not run");
    }
    for (id, home) in CHARTS {
        assert!(
            figure(section(&page, home), id).is_some(),
            "chart {id} missing from section {home}"
        );
    }
    assert_eq!(non_finite_tokens(&page), Vec::<String>::new());
    for f in summary["findings"].as_array().unwrap() {
        let text = f["text"].as_str().unwrap();
        assert!(page.contains(&esc(text)), "finding missing: {text}");
    }
}

#[test]
fn the_full_report_quotes_the_summary() {
    let summary = fixture::full();
    let page = render(&summary);
    // Every finding's sentence appears in the executive summary (escaped as HTML).
    let exec = section(&page, "executive-summary");
    for f in summary["findings"].as_array().unwrap() {
        let text = f["text"].as_str().unwrap();
        assert!(exec.contains(&esc(text)), "finding missing: {text}");
    }
    // The portfolio changes table lists every position of the construction.
    let buffer = section(&page, "liquidity-buffer");
    assert!(buffer.contains("Liquidity-aware portfolio changes"));
    for p in summary["portfolio_liquidity"]["construction"]["positions"]
        .as_array()
        .unwrap()
    {
        let name = p["position"].as_str().unwrap();
        assert!(
            buffer.contains(&format!("<td>{name}</td>")),
            "{name} missing"
        );
    }
    // The playbook: every stage's message, escaped.
    let policy = section(&page, "redemption-policy");
    assert!(policy.contains("Investor communication playbook"));
    for s in summary["redemption_policy"]["playbook"].as_array().unwrap() {
        let message = esc(s["message"].as_str().unwrap());
        assert!(
            policy.contains(&message),
            "playbook message missing: {message}"
        );
    }
    // The roadmap names the recommended buffer with its numbers, and the recommended strategy.
    let buf = &summary["portfolio_liquidity"]["buffer"];
    let i = buf["cheapest_meeting_target"].as_u64().unwrap() as usize;
    let r = &buf["results"][i];
    let pct0 = |v: &Value| format!("{:.0}", v.as_f64().unwrap() * 100.0);
    let name = format!(
        "{}% cash + {}% sovereigns + {}% ETFs",
        pct0(&r["cash"]),
        pct0(&r["sovereign"]),
        pct0(&r["etf"])
    );
    let coverage = format!("{:.1}%", r["coverage"].as_f64().unwrap() * 100.0);
    let roadmap = section(&page, "implementation-roadmap");
    assert!(roadmap.contains(&name), "roadmap lacks {name}");
    assert!(roadmap.contains(&coverage), "roadmap lacks {coverage}");
    let rec = summary["liquidation_design"]["recommended"]
        .as_str()
        .unwrap()
        .replace('_', " ");
    assert!(roadmap.contains(&format!("Adopt the {rec} liquidation order")));
    // Steps come in phase order.
    let phases: Vec<usize> = [
        "1 · now",
        "2 · within a month",
        "3 · next board cycle",
        "4 · ongoing",
    ]
    .iter()
    .map(|p| {
        roadmap
            .find(p)
            .unwrap_or_else(|| panic!("phase {p} missing"))
    })
    .collect();
    assert!(phases.windows(2).all(|w| w[0] < w[1]), "{phases:?}");
    // Appendix: seed, scenario count, backend, version, every model switch.
    let appendix = section(&page, "appendix");
    let run = &summary["run"];
    assert!(appendix.contains(&format!("<td>{}</td>", run["seed"])));
    assert!(appendix.contains(&format!("<td>{}</td>", run["scenarios"])));
    assert!(appendix.contains(run["backend"].as_str().unwrap()));
    assert!(appendix.contains(summary["version"].as_str().unwrap()));
    for (name, on) in run["switches"].as_object().unwrap() {
        let state = if on.as_bool().unwrap() { "on" } else { "off" };
        assert!(
            appendix.contains(&format!("<td>{name}</td><td>{state}</td>")),
            "switch {name} missing"
        );
    }
}

#[test]
fn no_nan_or_infinity_even_when_numbers_are_null() {
    for summary in [fixture::full(), fixture::real()] {
        let page = render(&summary);
        assert_eq!(non_finite_tokens(&page), Vec::<String>::new());
    }
    // serde writes a non-finite float as null: such numbers print "n/a".
    let mut summary = fixture::full();
    summary["headline"]["coverage"] = Value::Null;
    summary["fan_charts"]["nav_per_share"][3] = json!([null, null, null, null, null]);
    summary["liquidation_design"]["strategies"][0]["mean_cost_bps"] = Value::Null;
    summary["redemption_policy"]["reverse_stress"]["failure_probability"][2][2] = Value::Null;
    summary["portfolio_liquidity"]["needs"]["rows"][1]["lar"][0] = Value::Null;
    let page = render(&summary);
    assert_eq!(non_finite_tokens(&page), Vec::<String>::new());
    let exec = section(&page, "executive-summary");
    // The coverage row's first number cell is the stress library's.
    let coverage = exec.find("Coverage").unwrap();
    let cell = exec[coverage..].find("<td class=\"num\">").unwrap() + coverage;
    assert!(
        exec[cell..].starts_with("<td class=\"num\">n/a</td>"),
        "null coverage not n/a"
    );
    // The tokenizer itself finds what it should.
    assert_eq!(non_finite_tokens("x NaN y").len(), 1);
    assert_eq!(non_finite_tokens("<td>-inf</td>").len(), 1);
    assert_eq!(non_finite_tokens("Infinity").len(), 1);
    assert!(non_finite_tokens("information infeasible").is_empty());
}

#[test]
fn nothing_is_loaded_from_outside() {
    let page = render(&fixture::full());
    for bad in [
        "http://", "https://", "src=", "<link", "@import", "url(", "<iframe", "<img",
    ] {
        assert!(!page.contains(bad), "page contains {bad:?}");
    }
    // Two inline scripts (error counter, chart check) and one inline style, nothing else.
    assert_eq!(count(&page, "<script"), 2);
    assert_eq!(count(&page, "<style"), 1);
    assert!(page.contains("Content-Security-Policy"));
}

#[test]
fn text_from_the_summary_is_escaped() {
    let attack = "<script>alert(\"x\")</script>&<img src=x onerror=alert(1)>";
    let mut summary = fixture::full();
    summary["fund"]["name"] = Value::from(format!("Evil Fund {attack}"));
    summary["findings"][0]["text"] = Value::from(format!("finding {attack}"));
    summary["portfolio_liquidity"]["construction"]["positions"][0]["position"] =
        Value::from(format!("POS{attack}"));
    summary["market_liquidity"]["bucket_totals"][0]["condition"] = Value::from(attack);
    summary["redemption_policy"]["playbook"][0]["message"] = Value::from(attack);
    summary["redemption_policy"]["early_warning"]["rows"][0]["indicator"] = Value::from(attack);
    let page = render(&summary);
    assert_eq!(
        count(&page, "<script"),
        2,
        "an injected script tag got through"
    );
    assert!(!page.contains("<img"), "an injected img tag got through");
    assert!(!page.contains("onerror=alert(1)>"));
    let escaped =
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&lt;img src=x onerror=alert(1)&gt;";
    assert!(page.contains(&format!(
        "<title>Liquidity risk report: Evil Fund {escaped}</title>"
    )));
    assert!(page.contains(&format!("finding {escaped}")));
    assert!(page.contains(&format!("<td>POS{escaped}</td>")));
    assert!(page.contains(&format!("<td>{escaped}</td>")));
    // Inside the SVG charts (category labels from the summary) too.
    let fig = figure(&page, "early-warning").unwrap();
    assert!(fig.contains("&lt;script&gt;"));
}

#[test]
fn stages_that_did_not_run_get_a_note() {
    // A real run in which the Analysis II stages are placeholders.
    let page = render(&fixture::real());
    for id in ["liquidation-strategy", "redemption-policy"] {
        let body = section(&page, id);
        assert!(body.contains("Not run"), "{id}");
        assert!(body.contains("not_implemented"), "{id}: status not quoted");
        assert!(!body.contains("<svg"), "{id}: chart without data");
    }
    for id in ANALYSIS_II_CHARTS {
        assert!(figure(&page, id).is_none(), "{id} drawn without its stage");
    }
    assert_eq!(
        count(&page, "<svg class=\"chart\""),
        CHARTS.len() - ANALYSIS_II_CHARTS.len()
    );
    // An older run: no roadmap decided by the analysis, so none drawn.
    let roadmap = section(&page, "implementation-roadmap");
    assert!(roadmap.contains("Not available"), "{roadmap}");
    assert!(!roadmap.contains("<ol"));

    // A summary with only the sweep: every analysis section absent.
    let mut summary = fixture::real();
    let obj = summary.as_object_mut().unwrap();
    for key in [
        "market_liquidity",
        "investor_behaviour",
        "portfolio_liquidity",
        "liquidation_design",
        "redemption_policy",
        "findings",
        "stages",
        "fan_charts",
        "aggregate",
    ] {
        obj.remove(key);
    }
    let page = render(&summary);
    for id in [
        "market-liquidity",
        "liquidity-buffer",
        "liquidation-strategy",
        "redemption-policy",
    ] {
        assert!(section(&page, id).contains("Not run"), "{id}");
    }
    assert!(section(&page, "investor-redemption-risk").contains("Not run"));
    assert!(section(&page, "executive-summary").contains("No findings"));
    assert_eq!(count(&page, "<svg class=\"chart\""), 0);
    assert_eq!(non_finite_tokens(&page), Vec::<String>::new());
}

fn malformed_path(summary: &Value) -> String {
    match report::render(summary) {
        Err(ReportError::Malformed { path, reason }) => {
            let message = report::render(summary).unwrap_err().to_string();
            assert!(
                message.contains(&path),
                "message {message:?} lacks the path"
            );
            assert!(!reason.is_empty());
            path
        }
        Err(other) => panic!("expected Malformed, got {other}"),
        Ok(_) => panic!("a malformed summary rendered"),
    }
}

#[test]
fn a_malformed_summary_names_the_json_path() {
    let mut s = fixture::full();
    s["run"]["seed"] = Value::from("one");
    assert_eq!(malformed_path(&s), "run.seed");

    let mut s = fixture::full();
    s["portfolio_liquidity"]["buffer"]["results"][3]["coverage"] = Value::from("high");
    assert_eq!(
        malformed_path(&s),
        "portfolio_liquidity.buffer.results[3].coverage"
    );

    let mut s = fixture::full();
    s.as_object_mut().unwrap().remove("fund");
    assert_eq!(malformed_path(&s), "fund");

    let mut s = fixture::full();
    s["liquidation_design"]["strategies"][1]
        .as_object_mut()
        .unwrap()
        .remove("cost_histogram");
    assert_eq!(
        malformed_path(&s),
        "liquidation_design.strategies[1].cost_histogram"
    );

    let mut s = fixture::full();
    s["redemption_policy"]["gate_grid"]["rows"] = Value::from(7);
    assert_eq!(malformed_path(&s), "redemption_policy.gate_grid.rows");

    let mut s = fixture::full();
    s["redemption_policy"]["reverse_stress"]["failure_probability"][1]
        .as_array_mut()
        .unwrap()
        .pop();
    assert_eq!(
        malformed_path(&s),
        "redemption_policy.reverse_stress.failure_probability[1]"
    );

    let mut s = fixture::full();
    s["schema_version"] = Value::from(2);
    assert_eq!(malformed_path(&s), "schema_version");

    assert_eq!(malformed_path(&json!([1, 2])), "(top level)");
}

#[test]
fn print_styles_break_pages_and_keep_charts_whole() {
    let page = render(&fixture::full());
    let print = &page[page.find("@media print").expect("print styles")..];
    assert!(print.contains("section.report-section { break-before: page"));
    assert!(print.contains("figure.chart-figure"));
    assert!(print.contains("break-inside: avoid"));
    assert!(print.contains("thead { display: table-header-group; }"));
}

/// The executive summary draws the analysis' gate recommendation: "no gate needed", with the
/// trigger to use if one is wanted, or the trigger to set; an older summary without one says so.
#[test]
fn the_gate_card_draws_the_recommendation() {
    let mut summary = fixture::all_stages_real();
    let rp = &mut summary["redemption_policy"];
    let firing = rp["gate_grid"]["best_firing"].clone();
    rp["recommendation"]["kind"] = json!("no_gate_needed");
    rp["recommendation"]["if_wanted"] = firing;
    let page = report::render(&summary).unwrap();
    let exec = section(&page, "executive-summary");
    assert!(exec.contains("No gate needed"), "no gate");
    assert!(exec.contains("if one is wanted"));
    assert!(!exec.contains("Recommended gate trigger"));
    let rec = &mut summary["redemption_policy"]["recommendation"];
    rec["kind"] = json!("gate");
    rec["if_wanted"] = Value::Null;
    rec["trigger"]["gate_frequency"] = json!(0.25);
    let page = report::render(&summary).unwrap();
    let exec = section(&page, "executive-summary");
    assert!(exec.contains("Recommended gate trigger"), "gate");
    assert!(exec.contains("gates in 25.0% of stress scenarios (conditional on stress)"));
    assert!(!exec.contains("No gate needed"));
    summary["redemption_policy"]
        .as_object_mut()
        .unwrap()
        .remove("recommendation");
    let page = report::render(&summary).unwrap();
    let exec = section(&page, "executive-summary");
    assert!(exec.contains("an older run"), "older run");
    assert!(!exec.contains("No gate needed") && !exec.contains("Recommended gate trigger"));
}

/// The roadmap draws the analysis' steps in the order given: a stage that did not run is a
/// pending step naming the stage, and a summary breaking the step schema is an error at its path.
#[test]
fn the_roadmap_draws_the_steps_given() {
    let mut summary = fixture::full();
    summary["roadmap"] = json!([
        {"phase": "ongoing", "stage": null, "action": "rerun_periodically",
         "because": {"scenarios": 1234}},
        {"phase": "pending", "stage": "liquidation_design", "action": "pending",
         "because": {"what": "choose_liquidation"}}
    ]);
    let page = render(&summary);
    let roadmap = section(&page, "implementation-roadmap");
    assert_eq!(count(roadmap, "<li>"), 2);
    let rerun = roadmap.find("1,234 scenarios").expect("rerun step");
    let pending = roadmap
        .find("Choose the liquidation order and execution approach")
        .expect("pending step");
    assert!(rerun < pending, "the order given");
    assert!(roadmap.contains("liquidation strategy designer stage did not run"));
    assert!(!roadmap.contains("Restructure the liquidity buffer"));
    summary["roadmap"][0]["because"]["scenarios"] = json!("many");
    assert_eq!(malformed_path(&summary), "roadmap[0].because.scenarios");
    summary["roadmap"][0]["action"] = json!("guess");
    assert_eq!(malformed_path(&summary), "roadmap[0].action");
}

/// One gate decision: when the analysis says no gate is needed, the executive card and the
/// roadmap both say so, and the roadmap names the trigger to use if one is wanted.
#[test]
fn the_card_and_the_roadmap_draw_the_same_gate_decision() {
    let summary = fixture::all_stages_real();
    let rec = &summary["redemption_policy"]["recommendation"];
    assert_eq!(
        rec["kind"], "no_gate_needed",
        "the fixture's best never fires"
    );
    let page = render(&summary);
    assert!(section(&page, "executive-summary").contains("No gate needed"));
    let roadmap = section(&page, "implementation-roadmap");
    assert!(roadmap.contains("No gate needed: the best-scoring trigger"));
    assert!(roadmap.contains("If one is wanted"));
    assert!(!roadmap.contains("Set the gate trigger"));
}

/// One buffer decision: when no composition meets the target, the card, the chart and the table
/// show the best ranked as such, never as recommended, and the roadmap widens the search.
#[test]
fn a_best_ranked_buffer_is_never_called_recommended() {
    let mut summary = fixture::full();
    let buf = &mut summary["portfolio_liquidity"]["buffer"];
    let best = buf["best_ranked"].clone();
    buf["cheapest_meeting_target"] = Value::Null;
    buf["recommended"] = json!({"index": best, "basis": "best_ranked"});
    summary["roadmap"][0] = json!({"phase": "now", "stage": "portfolio_liquidity",
        "action": "widen_buffer_search",
        "because": {"static_index": 0, "target_coverage": 0.985, "best_ranked_index": best}});
    let page = render(&summary);
    let exec = section(&page, "executive-summary");
    assert!(exec.contains("None meets the target"));
    assert!(!exec.contains("Recommended buffer"));
    let buffer = section(&page, "liquidity-buffer");
    assert!(buffer.contains("best ranked (none meets the target)"));
    assert!(
        !buffer.contains("recommended: "),
        "no composition marked recommended"
    );
    let table = &buffer[buffer.find("Selected compositions").unwrap()..];
    let table = &table[..table.find("</table>").unwrap()];
    assert!(
        !table.contains("<tr class=\"hl\">"),
        "no composition highlighted"
    );
    let roadmap = section(&page, "implementation-roadmap");
    assert!(roadmap.contains("Widen the buffer search"));
    assert!(roadmap.contains("does not meet it either"));
}

/// The use case's labels on the gate grid and the frontier come from the summary, not from the
/// use case's text.
#[test]
fn the_use_case_labels_are_built_from_the_summary() {
    let mut summary = fixture::all_stages_real();
    let page = render(&summary);
    assert!(page.contains("use case (15%, 1.2)"));
    assert!(page.contains("use case 8/5/4"));
    let uc = &mut summary["redemption_policy"]["gate_grid"]["use_case"];
    uc["redemptions_30d"] = json!(0.2);
    let buf = &mut summary["portfolio_liquidity"]["buffer"];
    let i = buf["use_case_index"].as_u64().unwrap() as usize;
    buf["results"][i]["cash"] = json!(0.1);
    let page = render(&summary);
    assert!(page.contains("use case (20%, 1.2)"));
    assert!(page.contains("use case 10/5/4"));
}

/// The early-warning caption quotes the analysis' longest lead; an older summary without it gets
/// the reading guide alone.
#[test]
fn the_lead_time_caption_quotes_the_longest_lead() {
    let mut summary = fixture::full();
    let ew = &mut summary["redemption_policy"]["early_warning"];
    ew["longest_lead"] = json!({"indicator": "spread_index", "days": 17.0, "hit_rate": 0.25});
    let page = render(&summary);
    let chart = figure(&page, "early-warning").expect("lead-time chart");
    assert!(chart.contains("Longest median lead: spread index, 17.0 d at a 25.0% hit rate."));
    summary["redemption_policy"]["early_warning"]["longest_lead"] = Value::Null;
    let page = render(&summary);
    assert!(page.contains("no indicator gave a lead time"));
    summary["redemption_policy"]["early_warning"]
        .as_object_mut()
        .unwrap()
        .remove("longest_lead");
    let page = render(&summary);
    let chart = figure(&page, "early-warning").expect("lead-time chart");
    assert!(!chart.contains("Longest median lead"));
    assert!(!chart.contains("no indicator gave a lead time"));
}

//! The page around the sections: head, styles (screen and print), table of contents, the inline
//! chart check, and small builders for tables, figures and notes.
//!
//! Escaping rule: builders take plain text and escape it (cells, notes, list items, captions);
//! only section bodies carry markup, built from these escaped parts.

use super::charts::Chart;
use super::fmt::esc;

/// A table cell.
pub(crate) enum Cell {
    /// Text, escaped, left-aligned.
    Text(String),
    /// A formatted number, escaped, right-aligned.
    Num(String),
}

/// Text cell.
pub(crate) fn t(s: impl Into<String>) -> Cell {
    Cell::Text(s.into())
}

/// Number cell.
pub(crate) fn n(s: impl Into<String>) -> Cell {
    Cell::Num(s.into())
}

/// A table with a caption; `highlight` rows get the highlighted style.
pub(crate) fn table(
    caption: &str,
    header: &[&str],
    rows: Vec<Vec<Cell>>,
    highlight: &[usize],
) -> String {
    let mut out = String::from("<div class=\"table-wrap\"><table>");
    out.push_str(&format!("<caption>{}</caption><thead><tr>", esc(caption)));
    for h in header {
        out.push_str(&format!("<th scope=\"col\">{}</th>", esc(h)));
    }
    out.push_str("</tr></thead><tbody>");
    for (i, row) in rows.iter().enumerate() {
        if highlight.contains(&i) {
            out.push_str("<tr class=\"hl\">");
        } else {
            out.push_str("<tr>");
        }
        for cell in row {
            match cell {
                Cell::Text(s) => out.push_str(&format!("<td>{}</td>", esc(s))),
                Cell::Num(s) => out.push_str(&format!("<td class=\"num\">{}</td>", esc(s))),
            }
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table></div>");
    out
}

/// A chart in a figure with its one-line reading guide as the caption.
pub(crate) fn figure(chart: &Chart) -> String {
    format!(
        "<figure class=\"chart-figure\" data-chart=\"{id}\" data-x-label=\"{x}\" data-y-label=\"{y}\">{svg}<figcaption><strong>How to read it:</strong> {read}</figcaption></figure>",
        id = chart.meta.id,
        x = esc(&chart.meta.x_label),
        y = esc(&chart.meta.y_label),
        svg = chart.svg,
        read = esc(&chart.meta.read),
    )
}

/// A paragraph of plain text.
pub(crate) fn p(text: &str) -> String {
    format!("<p>{}</p>", esc(text))
}

/// A note (a stage that did not run, data that is missing).
pub(crate) fn note(text: &str) -> String {
    format!("<p class=\"note not-run\">{}</p>", esc(text))
}

/// A sub-heading.
pub(crate) fn h3(text: &str) -> String {
    format!("<h3>{}</h3>", esc(text))
}

/// A bulleted list of plain-text items.
pub(crate) fn ul(items: &[String]) -> String {
    let mut out = String::from("<ul>");
    for i in items {
        out.push_str(&format!("<li>{}</li>", esc(i)));
    }
    out.push_str("</ul>");
    out
}

/// A findings box: each finding's sentence.
pub(crate) fn findings(items: &[String]) -> String {
    if items.is_empty() {
        return String::new();
    }
    let mut out = String::from("<div class=\"findings\"><h3>Findings</h3><ul>");
    for i in items {
        out.push_str(&format!("<li>{}</li>", esc(i)));
    }
    out.push_str("</ul></div>");
    out
}

/// A headline number: label, value, and a short note under it.
pub(crate) struct Card {
    pub label: String,
    pub value: String,
    pub note: String,
}

/// A grid of headline numbers.
pub(crate) fn cards(cards: &[Card]) -> String {
    let mut out = String::from("<div class=\"cards\">");
    for c in cards {
        out.push_str(&format!(
            "<div class=\"card\"><div class=\"card-label\">{}</div><div class=\"card-value\">{}</div><div class=\"card-note\">{}</div></div>",
            esc(&c.label),
            esc(&c.value),
            esc(&c.note)
        ));
    }
    out.push_str("</div>");
    out
}

/// One section of the report.
pub(crate) struct Section {
    pub id: &'static str,
    pub title: &'static str,
    /// Markup built from escaped parts.
    pub body: String,
}

impl Section {
    /// A section whose stage did not run: only the note saying so.
    pub(crate) fn not_run(id: &'static str, title: &'static str, text: &str) -> Section {
        Section {
            id,
            title,
            body: note(text),
        }
    }
}

/// What the page header says.
pub(crate) struct Header {
    pub fund: String,
    pub subtitle: String,
    pub generator: String,
}

/// Styles: the system font stack, no web fonts; print rules put each section on a new page and
/// keep charts, tables rows and cards whole.
const CSS: &str = r#"
:root { --ink: #212529; --muted: #5f6b76; --line: #dde2e6; --accent: #1f77b4; --bg-soft: #f5f7f9; --hl: #fff4d6; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; color: var(--ink); background: #fff;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Liberation Sans", "DejaVu Sans", sans-serif;
  font-size: 15px; line-height: 1.5; }
header.report-header { padding: 28px 40px 18px; border-bottom: 3px solid var(--accent); }
header.report-header h1 { margin: 0 0 4px; font-size: 28px; }
header.report-header .subtitle { color: var(--muted); margin: 0; }
main { max-width: 1040px; margin: 0 auto; padding: 0 40px 40px; }
nav.toc { max-width: 1040px; margin: 18px auto 0; padding: 0 40px; }
nav.toc ol { margin: 6px 0; padding-left: 22px; columns: 2; }
nav.toc a { color: var(--accent); text-decoration: none; }
section.report-section { margin-top: 36px; }
section.report-section > h2 { font-size: 22px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 17px; margin: 22px 0 8px; }
p.note { background: var(--bg-soft); border-left: 4px solid #adb5bd; padding: 8px 12px; color: var(--muted); }
.findings { background: var(--bg-soft); border-left: 4px solid var(--accent); padding: 4px 14px; margin: 14px 0; }
.findings h3 { margin-top: 8px; font-size: 15px; }
.findings li { margin: 4px 0; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); gap: 10px; margin: 12px 0; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; break-inside: avoid; }
.card-label { color: var(--muted); font-size: 13px; }
.card-value { font-size: 22px; font-weight: 600; }
.card-note { color: var(--muted); font-size: 12px; }
.table-wrap { overflow-x: auto; margin: 10px 0 16px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
caption { text-align: left; font-weight: 600; padding: 4px 0; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: var(--bg-soft); font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.hl td { background: var(--hl); font-weight: 600; }
figure.chart-figure { margin: 18px 0; break-inside: avoid; page-break-inside: avoid; }
svg.chart { display: block; width: 100%; height: auto; max-width: 100%; background: #fff; }
svg.chart text { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Liberation Sans", "DejaVu Sans", sans-serif; }
figcaption { color: var(--muted); font-size: 13px; margin-top: 4px; }
ol.roadmap > li { margin: 10px 0; }
ol.roadmap .phase { display: inline-block; font-size: 12px; color: #fff; background: var(--accent); border-radius: 3px; padding: 0 6px; margin-right: 6px; }
ol.roadmap .source { color: var(--muted); font-size: 12px; }
code { font-family: ui-monospace, "DejaVu Sans Mono", "Liberation Mono", monospace; font-size: 13px; }
footer { color: var(--muted); font-size: 12px; text-align: center; padding: 20px; border-top: 1px solid var(--line); }
@media print {
  @page { size: A4; margin: 14mm 12mm; }
  body { font-size: 10pt; }
  header.report-header { padding: 0 0 8px; }
  main, nav.toc { max-width: none; padding: 0; }
  section.report-section { break-before: page; page-break-before: always; margin-top: 0; }
  figure.chart-figure, .card, .findings, tr, p.note { break-inside: avoid; page-break-inside: avoid; }
  h2, h3 { break-after: avoid; page-break-after: avoid; }
  svg.chart { width: 100%; height: auto; }
  .table-wrap { overflow: visible; }
  table { font-size: 8pt; }
  thead { display: table-header-group; }
  th, td { padding: 2px 5px; }
  a { color: inherit; text-decoration: none; }
}
"#;

/// Runs first: counts console errors, uncaught exceptions and blocked resources, so the final
/// check can report them in the DOM.
const HEAD_SCRIPT: &str = r#"
window.__reportErrors = [];
(function () {
  var original = console.error;
  console.error = function () {
    window.__reportErrors.push(Array.prototype.join.call(arguments, " "));
    return original.apply(console, arguments);
  };
  window.addEventListener("error", function (e) { window.__reportErrors.push("error: " + e.message); });
  document.addEventListener("securitypolicyviolation", function (e) { window.__reportErrors.push("blocked: " + e.blockedURI); });
})();
"#;

/// Runs last: every `svg.chart` must have a non-empty bounding box, at least one drawn shape
/// (polyline, polygon, rect or circle with a non-zero extent) and its title and axis labels laid
/// out as text. Writes `data-charts-ok="n/m"` (and each chart's `data-drawn` count) into the DOM,
/// `data-console-errors` with the number of console errors so far, and logs one line.
const CHECK_SCRIPT: &str = r#"
(function () {
  var charts = document.querySelectorAll("svg.chart");
  var ok = 0, bad = [];
  for (var i = 0; i < charts.length; i++) {
    var svg = charts[i], box = svg.getBBox();
    var shapes = svg.querySelectorAll("polyline, polygon, rect, circle");
    var drawn = 0, texts = 0;
    for (var j = 0; j < shapes.length; j++) {
      var b = shapes[j].getBBox();
      if (b.width > 0 || b.height > 0) { drawn++; }
    }
    var labels = svg.querySelectorAll("text");
    for (var k = 0; k < labels.length; k++) {
      if (labels[k].getComputedTextLength() > 0) { texts++; }
    }
    svg.setAttribute("data-drawn", String(drawn));
    svg.setAttribute("data-texts", String(texts));
    if (box.width > 0 && box.height > 0 && drawn >= 1 && texts >= 3) { ok++; } else { bad.push(svg.id); }
  }
  var verdict = ok + "/" + charts.length;
  document.body.setAttribute("data-charts-ok", verdict);
  if (bad.length > 0) {
    console.error("undertow-report: charts that drew nothing: " + bad.join(", "));
  }
  document.body.setAttribute("data-console-errors", String(window.__reportErrors.length));
  console.log("undertow-report: charts drawn " + verdict + ", console errors " + window.__reportErrors.length);
})();
"#;

/// The whole page.
pub(crate) fn page(header: &Header, sections: &[Section], footer: &str) -> String {
    let mut out = String::with_capacity(512 * 1024);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    // Nothing may be loaded from anywhere: the page is self-contained, and the browser enforces it.
    out.push_str(
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'\">\n",
    );
    out.push_str(&format!(
        "<meta name=\"generator\" content=\"{}\">\n",
        esc(&header.generator)
    ));
    out.push_str(&format!(
        "<title>Liquidity risk report: {}</title>\n",
        esc(&header.fund)
    ));
    out.push_str(&format!(
        "<style>{CSS}</style>\n<script>{HEAD_SCRIPT}</script>\n</head>\n<body>\n"
    ));
    out.push_str(&format!(
        "<header class=\"report-header\"><h1>Liquidity risk report: {}</h1><p class=\"subtitle\">{}</p></header>\n",
        esc(&header.fund),
        esc(&header.subtitle)
    ));
    out.push_str("<nav class=\"toc\" aria-label=\"Contents\"><strong>Contents</strong><ol>");
    for s in sections {
        out.push_str(&format!(
            "<li><a href=\"#{}\">{}</a></li>",
            s.id,
            esc(s.title)
        ));
    }
    out.push_str("</ol></nav>\n<main>\n");
    for s in sections {
        out.push_str(&format!(
            "<section class=\"report-section\" id=\"{}\"><h2>{}</h2>\n{}\n</section>\n",
            s.id,
            esc(s.title),
            s.body
        ));
    }
    out.push_str(&format!("</main>\n<footer>{}</footer>\n", esc(footer)));
    out.push_str(&format!(
        "<script>{CHECK_SCRIPT}</script>\n</body>\n</html>\n"
    ));
    out
}

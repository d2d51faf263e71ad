//! Writes a fund file back out as TOML: every field explicit, with its unit in a comment, so
//! that the output doubles as a template. Numbers are written in shortest round-trip form, so
//! that reading the output gives back exactly the same model.

use std::fmt::Write as _;

use super::convert;
use super::spec::{FundFile, WaterfallOrder};
use crate::scenarios::ScenarioConfig;

/// Column at which trailing unit comments start.
const COMMENT_COLUMN: usize = 36;

/// Writes `spec` as a commented fund file under a one-line `title`.
pub fn fund_file_to_toml(spec: &FundFile, title: &str) -> String {
    write_toml(spec, &format!("{title}\n"), &[])
}

/// Writes `spec` with a free-text `header` (one comment line per line) and `notes`: comment
/// blocks keyed by section (`"fund"`, `"segments"`, `"policy.gates"` ...) or by position
/// (`"position:ID"`), printed before that section or position.
pub(crate) fn write_toml(spec: &FundFile, header: &str, notes: &[(&str, &str)]) -> String {
    let mut w = Writer {
        out: String::new(),
        notes,
        noted: Vec::new(),
    };
    for line in header.lines() {
        w.comment(line);
    }
    w.comment("");
    w.comment(
        "Undertow fund file. Money in currency, weights and shares as fractions of NAV, spreads in",
    );
    w.comment("basis points, volatilities and interest rates annual, redemption rates and hazards per day,");
    w.comment("lags in business days. Every field is described in docs/fund-file.md.");

    if let Some(csv) = &spec.positions_csv {
        // A top-level key: it must come before the first table.
        w.out.push('\n');
        w.key(
            "positions_csv",
            string(csv),
            "positions CSV, relative to this file",
        );
    }

    let f = &spec.fund;
    w.section("fund", "[fund]");
    w.key("name", string(&f.name), "");
    w.key("currency", string(&f.currency), "labels only");
    w.key("aum", float(f.aum), "assets under management, currency");
    w.key(
        "dealing",
        string(f.dealing.name()),
        "daily | weekly | monthly",
    );
    w.key(
        "redemption_settlement_days",
        f.redemption_settlement_days.to_string(),
        "dealing to payment, days",
    );
    w.key(
        "notice_days",
        f.notice_days.to_string(),
        "fund-level notice, days",
    );
    w.key("expected_return", float(f.expected_return), "annual");
    w.key("horizon_days", f.horizon_days.to_string(), "simulated days");
    w.key("cash", float(f.cash), "fraction of NAV; weights + cash = 1");

    for class in &spec.classes {
        w.section("classes", "[[classes]]");
        w.key("name", string(&class.name), "");
        w.key(
            "kind",
            string(class.kind.name()),
            "equity | fixed_income | credit | alternative | cash_like",
        );
    }

    for (i, p) in spec.positions.iter().enumerate() {
        // Units on the first position only: a thousand repeats of the same comments help no one.
        let unit = |text: &'static str| if i == 0 { text } else { "" };
        w.section("positions", "[[positions]]");
        w.note(&format!("position:{}", p.id));
        w.key("id", string(&p.id), "");
        w.key("class", string(&p.class), unit("a class name"));
        w.key("label", string(&p.label), unit("segment label for reports"));
        w.key("weight", float(p.weight), unit("fraction of NAV"));
        w.key(
            "adv",
            float(p.adv),
            unit("average daily traded value, currency/day"),
        );
        w.key(
            "spread_bps",
            float(p.spread_bps),
            unit("quoted bid-ask spread, bps"),
        );
        w.key("vol_annual", float(p.vol_annual), unit("annual volatility"));
        w.key(
            "impact",
            float(p.impact),
            unit("Y (square-root) or eta (linear)"),
        );
        w.key(
            "settlement_days",
            p.settlement_days.to_string(),
            unit("sale to cash, days"),
        );
        w.key(
            "redemption_window_days",
            p.redemption_window_days.to_string(),
            unit("0 = sellable daily"),
        );
        w.key(
            "tier",
            string(p.tier.name()),
            unit("none | cash_like | sovereign | etf"),
        );
        w.key("repo_eligible", p.repo_eligible.to_string(), "");
        w.key(
            "duration",
            float(p.duration),
            unit("modified duration, years"),
        );
        w.key("convexity", float(p.convexity), unit("years squared"));
        w.key(
            "price_route",
            string(p.price_route.name()),
            unit("none | rate | spread"),
        );
        w.key("alpha", float(p.alpha), unit("expected annual alpha"));
        if let Some(illiquid) = p.illiquid {
            w.key(
                "illiquid",
                illiquid.to_string(),
                "overrides the computed flag",
            );
        }
    }

    for (i, s) in spec.segments.iter().enumerate() {
        let unit = |text: &'static str| if i == 0 { text } else { "" };
        w.section("segments", "[[segments]]");
        w.key("name", string(&s.name), "");
        w.key("share", float(s.share), unit("fraction of NAV"));
        w.key(
            "base_rate",
            float(s.base_rate),
            unit("redemption rate per day"),
        );
        w.key(
            "beta_perf",
            float(s.beta_perf),
            unit("per unit of drawdown"),
        );
        w.key(
            "beta_herd",
            float(s.beta_herd),
            unit("per unit of 5-day outflow"),
        );
        w.key(
            "beta_liq",
            float(s.beta_liq),
            unit("per unit of liquidity concern"),
        );
        w.key(
            "beta_stress",
            float(s.beta_stress),
            unit("per unit of stress x severity"),
        );
        w.key("flow_vol", float(s.flow_vol), unit("daily flow noise"));
        w.key("notice_days", s.notice_days.to_string(), "");
    }

    for (i, l) in spec.large_investors.iter().enumerate() {
        let unit = |text: &'static str| if i == 0 { text } else { "" };
        w.section("large_investors", "[[large_investors]]");
        w.key("name", string(&l.name), "");
        w.key("stake", float(l.stake), unit("fraction of NAV"));
        w.key(
            "hazard",
            float(l.hazard),
            unit("base redemption hazard per day"),
        );
        w.key("beta_perf", float(l.beta_perf), "");
        w.key("beta_herd", float(l.beta_herd), "");
        w.key("beta_liq", float(l.beta_liq), "");
        w.key("beta_stress", float(l.beta_stress), "");
        w.key(
            "fraction",
            float(l.fraction),
            unit("share of its holding redeemed"),
        );
        w.key("notice_days", l.notice_days.to_string(), "");
    }

    let g = &spec.policy.gates;
    w.section("policy.gates", "[policy.gates]");
    let triggers: Vec<String> = g.triggers.iter().map(|t| string(t.name())).collect();
    w.key(
        "triggers",
        format!("[{}]", triggers.join(", ")),
        "redemptions_30d | alr | stress",
    );
    w.key("rule", string(g.rule.name()), "any | all");
    w.key(
        "redemptions_30d",
        float(g.redemptions_30d),
        "30-day requests above, fraction of NAV",
    );
    w.key("alr", float(g.alr), "available liquidity ratio below");
    w.key("stress", float(g.stress), "stress composite above (0 to 1)");
    w.key(
        "cap",
        float(g.cap),
        "paid per dealing day when gated, of NAV",
    );
    w.key("min_days", g.min_days.to_string(), "");
    w.key(
        "investor_cap",
        float(g.investor_cap),
        "of a large holding per dealing day",
    );

    let s = &spec.policy.swing;
    w.section("policy.swing", "[policy.swing]");
    w.key(
        "threshold",
        float(s.threshold),
        "net outflow above, fraction of NAV",
    );
    w.key("cap", float(s.cap), "largest swing factor");
    w.key("fixed", float(s.fixed), "0 = estimated cost rate");

    w.section("policy.in_kind", "[policy.in_kind]");
    w.key(
        "threshold",
        float(spec.policy.in_kind.threshold),
        "large redemption above, fraction of NAV",
    );

    let fu = &spec.funding;
    w.section("funding", "[funding]");
    w.key("policy", string(fu.policy.name()), "bridge | first | never");
    w.key(
        "credit_line",
        float(fu.credit_line),
        "committed line, fraction of NAV",
    );
    w.key("borrowing_cap", float(fu.borrowing_cap), "fraction of NAV");
    w.key("repo_haircut", float(fu.repo_haircut), "");
    w.key("rate", float(fu.rate), "annual interest on borrowing");

    let l = &spec.liquidation;
    w.section("liquidation", "[liquidation]");
    w.key(
        "strategy",
        string(l.strategy.name()),
        "waterfall | pro_rata | min_cost | balanced",
    );
    w.key(
        "impact_model",
        string(l.impact_model.name()),
        "linear | square_root | threshold | adaptive",
    );
    w.key(
        "participation_cap",
        float(l.participation_cap),
        "of a day's volume",
    );
    w.key(
        "permanent_fraction",
        float(l.permanent_fraction),
        "of impact",
    );
    w.key("threshold", float(l.threshold), "threshold model");
    w.key(
        "adaptive_decay",
        float(l.adaptive_decay),
        "adaptive model, per day",
    );
    w.key(
        "buffer_rebuild_rate",
        float(l.buffer_rebuild_rate),
        "per dealing day, 0 = off",
    );
    w.key(
        "max_style_drift",
        float(l.max_style_drift),
        "balanced strategy",
    );
    w.key(
        "late_settlement_penalty",
        float(l.late_settlement_penalty),
        "",
    );
    let order = match &l.waterfall_order {
        WaterfallOrder::Given => string("given"),
        WaterfallOrder::StressedCost => string("stressed_cost"),
        WaterfallOrder::Ids(ids) => format!(
            "[{}]",
            ids.iter()
                .map(|id| string(id))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    w.key("waterfall_order", order, "given | stressed_cost | [ids]");

    w.section("model", "[model]");
    for (name, on, _) in spec.model.switches() {
        w.key(name, on.to_string(), "");
    }
    w.key(
        "lam_max",
        float(spec.model.lam_max),
        "cap on a segment's daily rate",
    );

    let ind = &spec.indicators;
    w.section("indicators", "[indicators]");
    w.key(
        "event_outflow_5d",
        float(ind.event_outflow_5d),
        "liquidity event, fraction of NAV",
    );
    w.key(
        "illiquid_limit",
        float(ind.illiquid_limit),
        "fraction of NAV",
    );
    w.key(
        "buffer_exhausted_level",
        float(ind.buffer_exhausted_level),
        "fraction of NAV",
    );
    w.section("indicators.thresholds", "[indicators.thresholds]");
    for (k, (name, value)) in ind.thresholds.entries().into_iter().enumerate() {
        match (value, convert::relative_default(spec, &spec.positions, k)) {
            (Some(v), _) => w.key(name, float(v), ""),
            // Left as a comment so that the default keeps following the fund when it is edited.
            (None, Some((v, rule))) => {
                w.key(&format!("# {name}"), float(v), &format!("default: {rule}"))
            }
            (None, None) => {}
        }
    }
    w.section("indicators.stress_weights", "[indicators.stress_weights]");
    for (name, v) in ind.stress_weights.entries() {
        w.key(name, float(v), "");
    }

    w.scenarios(&spec.scenarios);
    w.out
}

struct Writer<'a> {
    out: String,
    notes: &'a [(&'a str, &'a str)],
    /// Sections whose note has been printed.
    noted: Vec<String>,
}

impl Writer<'_> {
    fn comment(&mut self, text: &str) {
        if text.is_empty() {
            self.out.push_str("#\n");
        } else {
            let _ = writeln!(self.out, "# {text}");
        }
    }

    /// Prints the note for `key`, if any.
    fn note(&mut self, key: &str) {
        if let Some((_, text)) = self.notes.iter().find(|(k, _)| *k == key) {
            for line in text.lines() {
                self.comment(line);
            }
        }
    }

    /// Starts a table; a section's note comes before its first table only.
    fn section(&mut self, key: &str, header: &str) {
        self.out.push('\n');
        if !self.noted.iter().any(|k| k == key) {
            self.noted.push(key.to_string());
            self.note(key);
        }
        self.out.push_str(header);
        self.out.push('\n');
    }

    fn key(&mut self, name: &str, value: String, comment: &str) {
        let line = format!("{name} = {value}");
        if comment.is_empty() {
            let _ = writeln!(self.out, "{line}");
        } else {
            let _ = writeln!(self.out, "{line:<COMMENT_COLUMN$} # {comment}");
        }
    }

    fn scenarios(&mut self, config: &ScenarioConfig) {
        #[derive(serde::Serialize)]
        struct Table<'a> {
            scenarios: &'a ScenarioConfig,
        }
        self.out.push('\n');
        self.note("scenarios");
        match toml::to_string(&Table { scenarios: config }) {
            Ok(text) if text.trim().is_empty() => self.out.push_str("[scenarios]\n"),
            Ok(text) => self.out.push_str(&text),
            Err(e) => self.comment(&format!("[scenarios] could not be written: {e}")),
        }
    }
}

/// A float in shortest round-trip form, always valid TOML (`1.0`, `1e-7`, `12000000000.0`).
fn float(v: f64) -> String {
    if v.is_nan() {
        "nan".to_string()
    } else if v.is_infinite() {
        if v > 0.0 { "inf" } else { "-inf" }.to_string()
    } else {
        format!("{v:?}")
    }
}

/// A TOML basic string.
fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

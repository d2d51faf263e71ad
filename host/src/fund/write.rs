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
    w.preamble(header, spec);
    w.fund(spec);
    w.classes(spec);
    w.positions(spec);
    w.segments(spec);
    w.large_investors(spec);
    w.policy(spec);
    w.funding(spec);
    w.liquidation(spec);
    w.model(spec);
    w.indicators(spec);
    w.scenarios(&spec.scenarios);
    w.out
}

struct Writer<'a> {
    out: String,
    notes: &'a [(&'a str, &'a str)],
    /// Sections whose note has been printed.
    noted: Vec<String>,
}

/// One section of the file each.
impl Writer<'_> {
    /// The header, the units note and a `positions_csv` key (top-level, so before any table).
    fn preamble(&mut self, header: &str, spec: &FundFile) {
        for line in header.lines() {
            self.comment(line);
        }
        self.comment("");
        self.comment(
            "Undertow fund file. Money in currency, weights and shares as fractions of NAV, spreads in",
        );
        self.comment("basis points, volatilities and interest rates annual, redemption rates and hazards per day,");
        self.comment("lags in business days. Every field is described in docs/fund-file.md.");

        if let Some(csv) = &spec.positions_csv {
            // A top-level key: it must come before the first table.
            self.out.push('\n');
            self.key(
                "positions_csv",
                string(csv),
                "positions CSV, relative to this file",
            );
        }
    }

    /// `[fund]`.
    fn fund(&mut self, spec: &FundFile) {
        let f = &spec.fund;
        self.section("fund", "[fund]");
        self.key("name", string(&f.name), "");
        self.key("currency", string(&f.currency), "labels only");
        self.key("aum", float(f.aum), "assets under management, currency");
        self.key(
            "dealing",
            string(f.dealing.name()),
            "daily | weekly | monthly",
        );
        self.key(
            "redemption_settlement_days",
            f.redemption_settlement_days.to_string(),
            "dealing to payment, days",
        );
        self.key(
            "notice_days",
            f.notice_days.to_string(),
            "fund-level notice, days",
        );
        self.key("expected_return", float(f.expected_return), "annual");
        self.key("horizon_days", f.horizon_days.to_string(), "simulated days");
        self.key("cash", float(f.cash), "fraction of NAV; weights + cash = 1");
    }

    /// `[[classes]]`.
    fn classes(&mut self, spec: &FundFile) {
        for class in &spec.classes {
            self.section("classes", "[[classes]]");
            self.key("name", string(&class.name), "");
            self.key(
                "kind",
                string(class.kind.name()),
                "equity | fixed_income | credit | alternative | cash_like",
            );
        }
    }

    /// `[[positions]]`, units on the first only: a thousand repeats of the same comments help no one.
    fn positions(&mut self, spec: &FundFile) {
        for (i, p) in spec.positions.iter().enumerate() {
            // Units on the first position only: a thousand repeats of the same comments help no one.
            let unit = |text: &'static str| if i == 0 { text } else { "" };
            self.section("positions", "[[positions]]");
            self.note(&format!("position:{}", p.id));
            self.key("id", string(&p.id), "");
            self.key("class", string(&p.class), unit("a class name"));
            self.key("label", string(&p.label), unit("segment label for reports"));
            self.key("weight", float(p.weight), unit("fraction of NAV"));
            self.key(
                "adv",
                float(p.adv),
                unit("average daily traded value, currency/day"),
            );
            self.key(
                "spread_bps",
                float(p.spread_bps),
                unit("quoted bid-ask spread, bps"),
            );
            self.key("vol_annual", float(p.vol_annual), unit("annual volatility"));
            self.key(
                "impact",
                float(p.impact),
                unit("Y (square-root) or eta (linear)"),
            );
            self.key(
                "settlement_days",
                p.settlement_days.to_string(),
                unit("sale to cash, days"),
            );
            self.key(
                "redemption_window_days",
                p.redemption_window_days.to_string(),
                unit("0 = sellable daily"),
            );
            self.key(
                "tier",
                string(p.tier.name()),
                unit("none | cash_like | sovereign | etf"),
            );
            self.key("repo_eligible", p.repo_eligible.to_string(), "");
            self.key(
                "duration",
                float(p.duration),
                unit("modified duration, years"),
            );
            self.key("convexity", float(p.convexity), unit("years squared"));
            self.key(
                "price_route",
                string(p.price_route.name()),
                unit("none | rate | spread"),
            );
            self.key("alpha", float(p.alpha), unit("expected annual alpha"));
            if let Some(illiquid) = p.illiquid {
                self.key(
                    "illiquid",
                    illiquid.to_string(),
                    "overrides the computed flag",
                );
            }
        }
    }

    /// `[[segments]]`.
    fn segments(&mut self, spec: &FundFile) {
        for (i, s) in spec.segments.iter().enumerate() {
            let unit = |text: &'static str| if i == 0 { text } else { "" };
            self.section("segments", "[[segments]]");
            self.key("name", string(&s.name), "");
            self.key("share", float(s.share), unit("fraction of NAV"));
            self.key(
                "base_rate",
                float(s.base_rate),
                unit("redemption rate per day"),
            );
            self.key(
                "beta_perf",
                float(s.beta_perf),
                unit("per unit of drawdown"),
            );
            self.key(
                "beta_herd",
                float(s.beta_herd),
                unit("per unit of 5-day outflow"),
            );
            self.key(
                "beta_liq",
                float(s.beta_liq),
                unit("per unit of liquidity concern"),
            );
            self.key(
                "beta_stress",
                float(s.beta_stress),
                unit("per unit of stress x severity"),
            );
            self.key("flow_vol", float(s.flow_vol), unit("daily flow noise"));
            self.key("notice_days", s.notice_days.to_string(), "");
        }
    }

    /// `[[large_investors]]`.
    fn large_investors(&mut self, spec: &FundFile) {
        for (i, l) in spec.large_investors.iter().enumerate() {
            let unit = |text: &'static str| if i == 0 { text } else { "" };
            self.section("large_investors", "[[large_investors]]");
            self.key("name", string(&l.name), "");
            self.key("stake", float(l.stake), unit("fraction of NAV"));
            self.key(
                "hazard",
                float(l.hazard),
                unit("base redemption hazard per day"),
            );
            self.key("beta_perf", float(l.beta_perf), "");
            self.key("beta_herd", float(l.beta_herd), "");
            self.key("beta_liq", float(l.beta_liq), "");
            self.key("beta_stress", float(l.beta_stress), "");
            self.key(
                "fraction",
                float(l.fraction),
                unit("share of its holding redeemed"),
            );
            self.key("notice_days", l.notice_days.to_string(), "");
        }
    }

    /// `[policy.gates]`, `[policy.swing]` and `[policy.in_kind]`.
    fn policy(&mut self, spec: &FundFile) {
        let g = &spec.policy.gates;
        self.section("policy.gates", "[policy.gates]");
        let triggers: Vec<String> = g.triggers.iter().map(|t| string(t.name())).collect();
        self.key(
            "triggers",
            format!("[{}]", triggers.join(", ")),
            "redemptions_30d | alr | stress",
        );
        self.key("rule", string(g.rule.name()), "any | all");
        self.key(
            "redemptions_30d",
            float(g.redemptions_30d),
            "30-day requests above, fraction of NAV",
        );
        self.key("alr", float(g.alr), "available liquidity ratio below");
        self.key("stress", float(g.stress), "stress composite above (0 to 1)");
        self.key(
            "cap",
            float(g.cap),
            "paid per dealing day when gated, of NAV",
        );
        self.key("min_days", g.min_days.to_string(), "");
        self.key(
            "investor_cap",
            float(g.investor_cap),
            "of a large holding per dealing day",
        );

        let s = &spec.policy.swing;
        self.section("policy.swing", "[policy.swing]");
        self.key(
            "threshold",
            float(s.threshold),
            "net outflow above, fraction of NAV",
        );
        self.key("cap", float(s.cap), "largest swing factor");
        self.key("fixed", float(s.fixed), "0 = estimated cost rate");

        self.section("policy.in_kind", "[policy.in_kind]");
        self.key(
            "threshold",
            float(spec.policy.in_kind.threshold),
            "large redemption above, fraction of NAV",
        );
    }

    /// `[funding]`.
    fn funding(&mut self, spec: &FundFile) {
        let fu = &spec.funding;
        self.section("funding", "[funding]");
        self.key("policy", string(fu.policy.name()), "bridge | first | never");
        self.key(
            "credit_line",
            float(fu.credit_line),
            "committed line, fraction of NAV",
        );
        self.key("borrowing_cap", float(fu.borrowing_cap), "fraction of NAV");
        self.key("repo_haircut", float(fu.repo_haircut), "");
        self.key("rate", float(fu.rate), "annual interest on borrowing");
    }

    /// `[liquidation]`.
    fn liquidation(&mut self, spec: &FundFile) {
        let l = &spec.liquidation;
        self.section("liquidation", "[liquidation]");
        self.key(
            "strategy",
            string(l.strategy.name()),
            "waterfall | pro_rata | min_cost | balanced",
        );
        self.key(
            "impact_model",
            string(l.impact_model.name()),
            "linear | square_root | threshold | adaptive",
        );
        self.key(
            "participation_cap",
            float(l.participation_cap),
            "of a day's volume",
        );
        self.key(
            "permanent_fraction",
            float(l.permanent_fraction),
            "of impact",
        );
        self.key("threshold", float(l.threshold), "threshold model");
        self.key(
            "adaptive_decay",
            float(l.adaptive_decay),
            "adaptive model, per day",
        );
        self.key(
            "buffer_rebuild_rate",
            float(l.buffer_rebuild_rate),
            "per dealing day, 0 = off",
        );
        self.key(
            "max_style_drift",
            float(l.max_style_drift),
            "balanced strategy",
        );
        self.key(
            "late_settlement_penalty",
            float(l.late_settlement_penalty),
            "",
        );
        self.key(
            "impact_half_life_days",
            float(l.impact_half_life_days),
            "transient own impact, 0 = never decays",
        );
        self.key(
            "impact_permanent_share",
            float(l.impact_permanent_share),
            "of own impact, never decays",
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
        self.key("waterfall_order", order, "given | stressed_cost | [ids]");
    }

    /// `[model]`: the switches and the rate cap.
    fn model(&mut self, spec: &FundFile) {
        self.section("model", "[model]");
        for (name, on, _) in spec.model.switches() {
            self.key(name, on.to_string(), "");
        }
        self.key(
            "lam_max",
            float(spec.model.lam_max),
            "cap on a segment's daily rate",
        );
        self.key(
            "concern_start",
            float(spec.model.concern_start),
            "proximity to a gate trigger where concern starts",
        );
        self.key(
            "gate_concern",
            float(spec.model.gate_concern),
            "concern added while gated",
        );
    }

    /// `[indicators]` with its thresholds (defaults that follow the fund as comments) and stress weights.
    fn indicators(&mut self, spec: &FundFile) {
        let ind = &spec.indicators;
        self.section("indicators", "[indicators]");
        self.key(
            "event_outflow_5d",
            float(ind.event_outflow_5d),
            "liquidity event, fraction of NAV",
        );
        self.key(
            "illiquid_limit",
            float(ind.illiquid_limit),
            "fraction of NAV",
        );
        self.key(
            "buffer_exhausted_level",
            float(ind.buffer_exhausted_level),
            "fraction of NAV",
        );
        self.key(
            "event_drawdown",
            float(ind.event_drawdown),
            "liquidity event, NAV drawdown, 0 = off",
        );
        self.section("indicators.thresholds", "[indicators.thresholds]");
        for (k, (name, value)) in ind.thresholds.entries().into_iter().enumerate() {
            match (value, convert::relative_default(spec, &spec.positions, k)) {
                (Some(v), _) => self.key(name, float(v), ""),
                // Left as a comment so that the default keeps following the fund when it is edited.
                (None, Some((v, rule))) => {
                    self.key(&format!("# {name}"), float(v), &format!("default: {rule}"))
                }
                (None, None) => {}
            }
        }
        self.section("indicators.stress_weights", "[indicators.stress_weights]");
        for (name, v) in ind.stress_weights.entries() {
            self.key(name, float(v), "");
        }
    }
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

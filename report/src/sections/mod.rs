//! The report's sections, each read from its part of the summary: which fields feed which table
//! and chart is documented in `docs/report.md`.
//!
//! A stage's section is "not run" when its key is absent or null, or when it carries a `status`
//! other than `done` (the placeholders write `not_implemented`); the section then holds a short
//! note, and the charts and roadmap steps that need it are left out or marked pending.
//!
//! One file per section, each named for the stage whose part of the summary it draws
//! (`market_liquidity`, `investor_behaviour`, `portfolio_liquidity`, `liquidation_design`,
//! `redemption_policy`), plus the sweep's fan charts (`fan_charts`, shown in the investor
//! section), the executive summary, the roadmap and the appendix. This module assembles the page
//! and holds what several sections share: the run-wide facts, the stage table, "not run" notes,
//! findings and axis labels.

mod appendix;
mod calibration;
mod executive_summary;
mod fan_charts;
mod investor_behaviour;
mod liquidation_design;
mod market_liquidity;
mod portfolio_liquidity;
mod redemption_policy;
mod roadmap;
mod what_if;

use super::fmt::{count, money, num, NA};
use super::html::{self, Header, Section};
use super::json::Node;
use super::ReportError;

type R<T> = Result<T, ReportError>;

/// The schema version this report reads.
const SCHEMA_VERSION: f64 = 1.0;

/// The run-wide facts every section may quote.
struct Ctx {
    fund: String,
    currency: String,
    aum: Option<f64>,
    horizon: Option<f64>,
    scenarios: Option<f64>,
}

/// A stage's section: present, or why not.
enum Stage<'a> {
    Ran(Node<'a>),
    NotRun(String),
}

/// An analysis stage as the report names it: its key in summary.json (the one name of the stage
/// in the codebase), who it is in "not run" notes, and the heading of its key findings.
struct StageName {
    key: &'static str,
    role: &'static str,
    heading: &'static str,
}

const MARKET_LIQUIDITY: StageName = StageName {
    key: "market_liquidity",
    role: "market liquidity analyst",
    heading: "Market liquidity",
};
const INVESTOR_BEHAVIOUR: StageName = StageName {
    key: "investor_behaviour",
    role: "investor behaviour modeller",
    heading: "Investor behaviour",
};
const PORTFOLIO_LIQUIDITY: StageName = StageName {
    key: "portfolio_liquidity",
    role: "portfolio liquidity optimiser",
    heading: "Portfolio liquidity",
};
const LIQUIDATION_DESIGN: StageName = StageName {
    key: "liquidation_design",
    role: "liquidation strategy designer",
    heading: "Liquidation design",
};
const REDEMPTION_POLICY: StageName = StageName {
    key: "redemption_policy",
    role: "redemption policy formulator",
    heading: "Redemption policy",
};

/// The analysis stages in pipeline order.
const STAGES: [StageName; 5] = [
    MARKET_LIQUIDITY,
    INVESTOR_BEHAVIOUR,
    PORTFOLIO_LIQUIDITY,
    LIQUIDATION_DESIGN,
    REDEMPTION_POLICY,
];

/// A stage's part of the summary, or the note saying why it is not there.
fn stage<'a>(root: &Node<'a>, name: &StageName) -> R<Stage<'a>> {
    let (key, title) = (name.key, name.role);
    let Some(node) = root.opt(key)? else {
        return Ok(Stage::NotRun(format!(
            "Not run: the {title} stage did not run for this summary (summary.json has no \"{key}\" section)."
        )));
    };
    match node.s_opt("status")? {
        Some(status) if status != "done" => {
            let extra = node
                .s_opt("note")?
                .map(|s| format!(" {s}"))
                .unwrap_or_default();
            Ok(Stage::NotRun(format!(
                "Not run: the {title} stage reports status \"{status}\".{extra}"
            )))
        }
        _ => Ok(Stage::Ran(node)),
    }
}

/// A stage's section: `body` of the stage's part of the summary followed by the stage's findings
/// when it ran, else only the note saying why not.
fn stage_section(
    root: &Node,
    name: &StageName,
    (id, title): (&'static str, &'static str),
    body: impl FnOnce(&Node) -> R<String>,
) -> R<Section> {
    let node = match stage(root, name)? {
        Stage::Ran(n) => n,
        Stage::NotRun(note) => return Ok(Section::not_run(id, title, &note)),
    };
    let mut body = body(&node)?;
    body.push_str(&html::findings(&findings_of(root, name.key)?));
    Ok(Section { id, title, body })
}

/// The findings of one stage (their sentences), in document order.
fn findings_of(root: &Node, stage_key: &str) -> R<Vec<String>> {
    let Some(list) = root.opt("findings")? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for f in list.items()? {
        if f.s("stage")? == stage_key {
            out.push(f.s("text")?.to_string());
        }
    }
    Ok(out)
}

/// Percent labels for chart axes.
fn pct_axis(v: f64) -> String {
    if v.abs() >= 10.0 || v == 0.0 {
        format!("{v:.0}%")
    } else {
        format!("{v:.1}%")
    }
}

/// Whole-number labels for chart axes and heat-map cells (days, bps, percent without sign).
fn whole(v: f64) -> String {
    format!("{v:.0}")
}

/// A yes/no table cell.
fn yes_no(v: bool) -> &'static str {
    if v {
        "yes"
    } else {
        "no"
    }
}

/// A switch's state in words.
fn on_off(v: bool) -> &'static str {
    if v {
        "on"
    } else {
        "off"
    }
}

/// Renders the page.
pub(crate) fn render(root: Node) -> R<String> {
    let version = root.get("schema_version")?;
    if version.num()? != Some(SCHEMA_VERSION) {
        return Err(version.error(format!(
            "unsupported schema version {} (this report reads version 1)",
            version.value()
        )));
    }
    let fund = root.get("fund")?;
    let run = root.get("run")?;
    let ctx = Ctx {
        fund: fund.s("name")?.to_string(),
        currency: fund.s("currency")?.to_string(),
        aum: fund.f("aum")?,
        horizon: run.f("horizon_days")?,
        scenarios: run.f("scenarios")?,
    };
    let mut sections = vec![
        executive_summary::executive_summary(&root, &ctx)?,
        market_liquidity::market_liquidity(&root)?,
        investor_behaviour::investor_behaviour(&root)?,
        portfolio_liquidity::portfolio_liquidity(&root, &ctx)?,
        liquidation_design::liquidation_design(&root)?,
        redemption_policy::redemption_policy(&root)?,
        roadmap::roadmap(&root, &ctx)?,
        appendix::appendix(&root, &ctx)?,
    ];
    // Beside the Monte Carlo results: after the stages, before the roadmap.
    if let Some(w) = what_if::what_if(&root)? {
        sections.insert(6, w);
    }
    let tool = root.s_opt("tool")?.unwrap_or("undertow");
    let version = root.s_opt("version")?.unwrap_or(NA);
    let header = Header {
        fund: ctx.fund.clone(),
        subtitle: format!(
            "{} scenarios over {} business days · seed {} · {} · AUM {}",
            count(ctx.scenarios),
            num(ctx.horizon, 0),
            num(run.f("seed")?, 0),
            run.s("backend")?,
            money(ctx.aum, &ctx.currency)
        ),
        generator: format!("{tool} {version}"),
    };
    let footer = format!(
        "Generated by {tool} {version} from summary.json (schema version 1). Every number is computed from the run's scenarios; see the appendix for the method and assumptions."
    );
    Ok(html::page(&header, &sections, &footer))
}

/// The standalone flow-calibration / backtest page (`calibration` or `backtest` key).
pub(crate) fn render_calibration(root: Node) -> R<String> {
    calibration::page(root)
}

/// A page of the scripted what-ifs alone (`undertow what-if`).
pub(crate) fn render_what_if(root: Node) -> R<String> {
    what_if::page(&root)
}

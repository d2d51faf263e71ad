//! Stage 5, the redemption policy formulator: the investor communication playbook. The seed's five
//! stages (`pre_crisis`, `early_warning`, `gate_implementation`, `ongoing`, `resolution`) and four
//! channels (`direct_contact`, `investor_portal`, `regulatory_filings`, `public_disclosure`),
//! with the levels that move the fund from one stage to the next taken from the numbers:
//!
//! - `pre_crisis` is the resting state: every calibrated indicator inside its threshold;
//! - `early_warning` is entered when any indicator crosses its *calibrated* early-warning
//!   threshold (the early-warning analysis' best thresholds: its triggers are exactly those);
//! - `gate_implementation` when the *calibrated gate trigger* fires (the gate grid's best row,
//!   or the fund's own gate policy when none is given): its triggers are exactly those;
//! - `ongoing` while the gate stays in force (a trigger still fires or the minimum duration has
//!   not run);
//! - `resolution` once no gate trigger fires, the indicators are back inside their thresholds
//!   and the queue is cleared (its triggers: the gate's, then the early-warning ones, as exit
//!   levels).
//!
//! Audiences, messages and cadences are sentences built from the fund (investor base, buffer,
//! gate cap in currency, settlement) and the analysis (lead times, hit and false-alarm rates,
//! gate duration); cadences are in business days (5 a week, 21 a month, 63 a quarter).

use serde::Serialize;
use undertow_kernel::{gate, switch};

use crate::findings::{finding, money, p1, Finding};
use crate::graph::StageId;
use crate::redemption_policy::early_warning::{
    Direction, EarlyWarning, StartingPoint, BUSINESS_DAYS_PER_WEEK,
};
use crate::table::{header, text, Table};
use undertow_host::fund::{Fund, TRADING_DAYS_PER_YEAR};

/// The seed's communication stages, in order.
pub const STAGES: [&str; 5] = [
    "pre_crisis",
    "early_warning",
    "gate_implementation",
    "ongoing",
    "resolution",
];

/// The seed's communication channels.
pub const CHANNELS: [&str; 4] = [
    "direct_contact",
    "investor_portal",
    "regulatory_filings",
    "public_disclosure",
];

/// Gate trigger names, as in the gate grid's rows: trailing 30-day redemption requests.
pub const GATE_REDEMPTIONS_30D: &str = "redemptions_30d";
/// The available liquidity ratio trigger.
pub const GATE_ALR: &str = "alr";
/// The stress composite trigger.
pub const GATE_STRESS: &str = "stress";

/// A calibrated gate trigger: the thresholds in force (`None`: that trigger is off) and the cap.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct GateTriggerChoice {
    /// Trailing 30-day redemption requests above this share of NAV.
    pub redemptions_30d: Option<f64>,
    /// Available liquidity ratio below this.
    pub alr: Option<f64>,
    /// Stress composite above this.
    pub stress: Option<f64>,
    /// Most of NAV paid per dealing day while gated.
    pub gate_cap: f64,
    /// A gate needs every trigger (otherwise any one).
    pub all_triggers: bool,
    /// Mean gated days per gated scenario, when known (the gate grid's row).
    pub mean_gate_days: Option<f64>,
    /// Minimum gate duration in dealing days; `None`: the fund's own.
    pub min_days: Option<u32>,
}

impl GateTriggerChoice {
    /// The fund's own gate policy (no trigger at all when the fund has gates switched off).
    pub fn of_fund(fund: &Fund) -> GateTriggerChoice {
        let p = &fund.model.params;
        let gates_on = p.switches & switch::GATES != 0;
        let on = |bit: u32| gates_on && p.gate_triggers & bit != 0;
        GateTriggerChoice {
            redemptions_30d: on(gate::REDEMPTIONS_30D).then_some(p.gate_redemptions_30d as f64),
            alr: on(gate::ALR).then_some(p.gate_alr as f64),
            stress: on(gate::STRESS).then_some(p.gate_stress as f64),
            gate_cap: p.gate_cap as f64,
            all_triggers: p.gate_rule == gate::RULE_ALL,
            mean_gate_days: None,
            min_days: Some(p.gate_min_days),
        }
    }

    /// The triggers in force, in the order redemptions, ALR, stress.
    pub fn triggers(&self) -> Vec<Trigger> {
        [
            (GATE_REDEMPTIONS_30D, Direction::Above, self.redemptions_30d),
            (GATE_ALR, Direction::Below, self.alr),
            (GATE_STRESS, Direction::Above, self.stress),
        ]
        .into_iter()
        .filter_map(|(name, direction, t)| {
            t.map(|threshold| Trigger {
                indicator: name.to_string(),
                direction,
                threshold,
            })
        })
        .collect()
    }
}

/// A level that moves the fund into a stage.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Trigger {
    pub indicator: String,
    pub direction: Direction,
    pub threshold: f64,
}

/// One stage of the playbook (`redemption_policy.playbook[]`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PlaybookStage {
    pub stage: &'static str,
    pub enter_when: String,
    pub triggers: Vec<Trigger>,
    pub audience: String,
    pub channels: Vec<&'static str>,
    pub message: String,
    pub cadence: String,
}

/// A trigger in words: "30-day redemption requests above 8.0% of NAV".
pub fn describe_trigger(t: &Trigger) -> String {
    let dir = t.direction.name();
    let x = t.threshold;
    let pct = |label: &str| format!("{label} {dir} {:.1}% of NAV", x * 100.0);
    match t.indicator.as_str() {
        "requests_5d" => pct("5-day redemption requests"),
        "requests_30d" | GATE_REDEMPTIONS_30D => pct("30-day redemption requests"),
        "queued_redemptions" => pct("queued redemptions"),
        "large_investor_notices" => format!(
            "large-investor redemption notices {dir} {x:.2} (at least {} notice(s))",
            (x.floor() + 1.0).max(1.0)
        ),
        "top10_share" => pct("the ten largest investors' share"),
        "investor_hhi" => format!("investor HHI {dir} {x:.4}"),
        "buffer_share" => pct("cash and buffer assets"),
        GATE_ALR => format!("available liquidity ratio {dir} {x:.2}x"),
        "lcr_30d" => format!("30-day liquidity coverage ratio {dir} {x:.2}x"),
        "spread_index" => format!("spread index {dir} {x:.3}"),
        "volume_index" => format!("volume-reduction index {dir} {x:.3}"),
        "depth_index" => format!("depth-reduction index {dir} {x:.3}"),
        "nav_drawdown" => format!("NAV drawdown {dir} {:.1}%", x * 100.0),
        "funding_headroom" => pct("funding headroom"),
        GATE_STRESS => format!("stress composite {dir} {x:.3}"),
        other => format!("{other} {dir} {x}"),
    }
}

fn list(triggers: &[Trigger]) -> String {
    let items: Vec<String> = triggers.iter().map(describe_trigger).collect();
    items.join("; ")
}

/// What every stage of the playbook quotes: the fund, the analysis and the calibrated gate
/// trigger, in numbers and in words.
struct Facts<'a> {
    fund: &'a Fund,
    ew: &'a EarlyWarning,
    g: GateTriggerChoice,
    top10: f64,
    large_share: f64,
    segment_share: f64,
    buffer: String,
    cap: String,
    r_set: u32,
    min_days: u32,
    quarter: f64,
    month: f64,
    ew_triggers: Vec<Trigger>,
    gate_triggers: Vec<Trigger>,
    gate_text: String,
    top_holders: String,
    lead: Option<f64>,
    hit: f64,
    far: f64,
    lead_text: String,
}

impl<'a> Facts<'a> {
    fn of(ew: &'a EarlyWarning, gate_trigger: Option<GateTriggerChoice>, fund: &'a Fund) -> Self {
        let g = gate_trigger.unwrap_or_else(|| GateTriggerChoice::of_fund(fund));
        let p = &fund.model.params;
        let cur = &fund.currency;
        let start = StartingPoint::of(fund);
        let top10 = start.top10_share;
        let large_share: f64 = fund.model.large.iter().map(|l| l.stake as f64).sum();
        let segment_share: f64 = fund.model.segments.iter().map(|s| s.share as f64).sum();
        let buffer = format!(
            "{} of NAV ({})",
            p1(start.buffer_share),
            money(start.buffer_share * fund.aum, cur)
        );
        let cap = format!(
            "{} of NAV ({})",
            p1(g.gate_cap),
            money(g.gate_cap * fund.aum, cur)
        );
        let r_set = p.redemption_settlement;
        let min_days = g.min_days.unwrap_or(p.gate_min_days);
        let quarter = (TRADING_DAYS_PER_YEAR / 4.0).round();
        let month = (TRADING_DAYS_PER_YEAR / 12.0).round();

        // Only credited indicators: one that shares a series with the event or a gate trigger
        // (flagged by the early-warning stage) would announce the event, not warn of it.
        let ew_triggers: Vec<Trigger> = ew
            .rows
            .iter()
            .zip(&ew.verdicts)
            .filter(|(_, v)| v.credited)
            .filter_map(|(r, _)| {
                r.calibrated().map(|(name, direction, threshold)| Trigger {
                    indicator: name.to_string(),
                    direction,
                    threshold,
                })
            })
            .collect();
        let gate_triggers = g.triggers();
        let rule = if g.all_triggers { "all" } else { "any" };
        let gate_text = if gate_triggers.is_empty() {
            "no gate trigger is enabled".to_string()
        } else {
            format!("{rule} of: {}", list(&gate_triggers))
        };
        let top_holders = format!(
            "the ten largest investors ({} of NAV, {})",
            p1(top10),
            money(top10 * fund.aum, cur)
        );

        // The early-warning signal: the calibrated indicators together.
        let (lead, hit, far) = match &ew.combined {
            Some(c) => (c.median_lead_days, c.hit_rate, c.false_alarm_rate),
            None => (None, 0.0, 0.0),
        };
        let lead_text = lead.map_or_else(|| "n/a".to_string(), |d| format!("{d:.1}"));
        Facts {
            fund,
            ew,
            g,
            top10,
            large_share,
            segment_share,
            buffer,
            cap,
            r_set,
            min_days,
            quarter,
            month,
            ew_triggers,
            gate_triggers,
            gate_text,
            top_holders,
            lead,
            hit,
            far,
            lead_text,
        }
    }
}

/// The playbook for `fund` from the early-warning analysis and the calibrated gate trigger
/// (`None`: the fund's own gate policy).
pub fn playbook(
    ew: &EarlyWarning,
    gate_trigger: Option<GateTriggerChoice>,
    fund: &Fund,
) -> Vec<PlaybookStage> {
    let f = Facts::of(ew, gate_trigger, fund);
    vec![
        pre_crisis(&f),
        early_warning(&f),
        gate_implementation(&f),
        ongoing(&f),
        resolution(&f),
    ]
}

/// `pre_crisis`: the resting state.
fn pre_crisis(f: &Facts) -> PlaybookStage {
    let (fund, ew, top10, quarter, month, r_set) =
        (f.fund, f.ew, f.top10, f.quarter, f.month, f.r_set);
    let (ew_triggers, buffer, cap, gate_text) = (&f.ew_triggers, &f.buffer, &f.cap, &f.gate_text);
    let (large_share, segment_share) = (f.large_share, f.segment_share);
    PlaybookStage {
        stage: STAGES[0],
        enter_when: format!(
            "Every calibrated early-warning indicator is inside its threshold and no gate is in \
             force ({} of {} indicators calibrated); re-entered from resolution",
            ew_triggers.len(),
            ew.rows.len()
        ),
        triggers: Vec::new(),
        audience: format!(
            "All investors: {} segment(s) holding {} of NAV and {} large investors holding {} \
             ({} for the ten largest)",
            fund.model.segments.len(),
            p1(segment_share),
            fund.model.large.len(),
            p1(large_share),
            p1(top10)
        ),
        channels: vec![CHANNELS[1], CHANNELS[2]],
        message: format!(
            "{} holds {buffer} in cash and buffer assets; redemptions settle {} business day(s) \
             after dealing. A gate applies when {gate_text}, and then pays at most {cap} per \
             dealing day, pro rata, the rest queued in order. In {} simulated scenarios a \
             liquidity event occurred in {}; {} early-warning indicators are monitored daily",
            fund.name,
            r_set,
            ew.scenarios,
            p1(ew.event_rate),
            ew.rows.len()
        ),
        cadence: format!(
            "Quarterly liquidity report (every {quarter} business days) with the periodic \
             regulatory filings; scenarios and thresholds recalibrated monthly (every {month} \
             business days)"
        ),
    }
}

/// `early_warning`: a calibrated indicator crossed its threshold.
fn early_warning(f: &Facts) -> PlaybookStage {
    let (ew, lead, hit, far) = (f.ew, f.lead, f.hit, f.far);
    let (ew_triggers, buffer, cap, top_holders, lead_text) = (
        &f.ew_triggers,
        &f.buffer,
        &f.cap,
        &f.top_holders,
        &f.lead_text,
    );
    let ew_enter = if ew_triggers.is_empty() {
        format!(
            "No indicator met the calibration criteria (false alarms at most {}, hit rate at least \
             {}) on {} scenarios, so no early-warning level is set: the fund moves from pre-crisis \
             straight to gate implementation",
            p1(ew.max_false_alarm_rate),
            p1(ew.min_hit_rate),
            ew.scenarios
        )
    } else {
        format!(
            "Any of the {} calibrated indicators crosses its threshold: {}",
            ew_triggers.len(),
            list(ew_triggers)
        )
    };

    PlaybookStage {
        stage: STAGES[1],
        enter_when: ew_enter,
        triggers: ew_triggers.clone(),
        audience: format!("The board, the depositary and {top_holders}"),
        channels: vec![CHANNELS[0], CHANNELS[1]],
        message: format!(
            "Early-warning levels are crossed; no gate is in force. In the model the first of \
             these indicators to breach came a median of {lead_text} business days before a \
             liquidity event, warned of {} of events at least {} business day(s) ahead and raised \
             a false alarm in {} of scenarios without one. The fund holds {buffer} in cash and \
             buffer assets, and a gate would pay {cap} per dealing day",
            p1(hit),
            ew.min_lead_days,
            p1(far)
        ),
        cadence: match lead {
            Some(d) if d >= BUSINESS_DAYS_PER_WEEK => format!(
                "Weekly (every {} business days) while any indicator stays beyond its \
                 threshold: {} update(s) fit in the median lead of {lead_text} business days; \
                 indicators monitored daily",
                BUSINESS_DAYS_PER_WEEK,
                (d / BUSINESS_DAYS_PER_WEEK).floor()
            ),
            Some(_) => format!(
                "Daily (every business day) while any indicator stays beyond its threshold: the \
                 median lead of {lead_text} business days is shorter than a week ({} business \
                 days)",
                BUSINESS_DAYS_PER_WEEK
            ),
            None => "Daily (every business day) while any indicator stays beyond its threshold"
                .to_string(),
        },
    }
}

/// `gate_implementation`: the calibrated gate trigger fired.
fn gate_implementation(f: &Facts) -> PlaybookStage {
    let (g, min_days) = (f.g, f.min_days);
    let (gate_triggers, cap, gate_text, top_holders) =
        (&f.gate_triggers, &f.cap, &f.gate_text, &f.top_holders);
    let duration = g.mean_gate_days.map_or_else(String::new, |d| {
        format!("; in the model a gate, once applied, lasted a mean of {d:.1} dealing days")
    });
    PlaybookStage {
        stage: STAGES[2],
        enter_when: format!("The gate rule fires ({gate_text})"),
        triggers: gate_triggers.clone(),
        audience: format!("All investors, with direct contact to {top_holders}; the regulator"),
        channels: CHANNELS.to_vec(),
        message: format!(
            "A redemption gate is in force: each dealing day redemptions are paid up to {cap}, \
             pro rata; the rest stays queued and keeps its place. It stays at least {min_days} \
             dealing day(s){duration}"
        ),
        cadence: "On the dealing day the gate is applied, before the next dealing day's cut-off: \
                  regulatory filing and public disclosure the same day"
            .to_string(),
    }
}

/// `ongoing`: the gate stays in force.
fn ongoing(f: &Facts) -> PlaybookStage {
    let (g, min_days) = (f.g, f.min_days);
    let (gate_triggers, cap, gate_text, top_holders) =
        (&f.gate_triggers, &f.cap, &f.gate_text, &f.top_holders);
    let clear = g.redemptions_30d.map_or_else(String::new, |t| {
        let d = if g.gate_cap > 0.0 {
            (t / g.gate_cap).ceil()
        } else {
            f64::INFINITY
        };
        format!(
            ". At the cap, a queue the size of the 30-day trigger ({} of NAV) clears in {d} \
             dealing day(s)",
            p1(t)
        )
    });
    PlaybookStage {
        stage: STAGES[3],
        enter_when: format!(
            "The gate remains in force after its first dealing day: a trigger still fires \
             ({gate_text}) or the minimum duration of {min_days} dealing day(s) has not run"
        ),
        triggers: gate_triggers.clone(),
        audience: format!("Investors with queued redemptions and {top_holders}; the regulator"),
        channels: vec![CHANNELS[1], CHANNELS[0], CHANNELS[2]],
        message: format!(
            "Each dealing day: the amount paid against the cap of {cap}, the queue left and the \
             gate indicators against their thresholds{clear}"
        ),
        cadence: format!(
            "Every dealing day on the investor portal; direct contact weekly (every {} business \
             days); a regulatory filing at each extension past {min_days} dealing day(s)",
            BUSINESS_DAYS_PER_WEEK
        ),
    }
}

/// `resolution`: no gate trigger fires, the indicators are back inside and the queue is cleared.
fn resolution(f: &Facts) -> PlaybookStage {
    let (min_days, r_set, quarter, buffer) = (f.min_days, f.r_set, f.quarter, &f.buffer);
    let mut exit = f.gate_triggers.clone();
    exit.extend(f.ew_triggers.iter().cloned());
    PlaybookStage {
        stage: STAGES[4],
        enter_when: format!(
            "No gate trigger has fired for {min_days} dealing day(s), the queue is cleared and \
             none of these levels is breached any more: {}",
            list(&exit)
        ),
        triggers: exit,
        audience: "All investors, the board and the regulator".to_string(),
        channels: CHANNELS.to_vec(),
        message: format!(
            "The gate is lifted: redemptions are paid in full again, {r_set} business day(s) \
             after dealing. The buffer is rebuilt toward {buffer}, and the early-warning levels \
             stay as calibrated"
        ),
        cadence: format!(
            "Once, on the first dealing day without a gate; then the pre-crisis cycle (every \
             {quarter} business days)"
        ),
    }
}

/// The playbook finding: the levels that move the fund between stages.
pub fn findings(stages: &[PlaybookStage]) -> Vec<Finding> {
    let get = |name: &str| stages.iter().find(|s| s.stage == name);
    let ew = get("early_warning")
        .map(|s| s.triggers.clone())
        .unwrap_or_default();
    let gate = get("gate_implementation")
        .map(|s| s.triggers.clone())
        .unwrap_or_default();
    let mut values: Vec<(String, f64)> = vec![
        ("early_warning_triggers".to_string(), ew.len() as f64),
        ("gate_triggers".to_string(), gate.len() as f64),
    ];
    for t in ew.iter().chain(&gate) {
        values.push((format!("threshold_{}", t.indicator), t.threshold));
    }
    let pairs: Vec<(&str, f64)> = values.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    vec![finding(
        StageId::RedemptionPolicy,
        "communication_playbook",
        format!(
            "The communication playbook moves the fund into early warning on {} calibrated \
             indicator level(s) ({}) and into gate implementation on {} gate trigger(s) ({})",
            ew.len(),
            if ew.is_empty() {
                "none".to_string()
            } else {
                list(&ew)
            },
            gate.len(),
            if gate.is_empty() {
                "none".to_string()
            } else {
                list(&gate)
            }
        ),
        &pairs,
    )]
}

/// `playbook.csv`: one row per stage.
pub fn tables(stages: &[PlaybookStage]) -> Vec<Table> {
    let rows = stages
        .iter()
        .map(|s| {
            let triggers: Vec<String> = s
                .triggers
                .iter()
                .map(|t| {
                    let op = if t.direction == Direction::Below {
                        "<"
                    } else {
                        ">"
                    };
                    format!("{}{op}{}", t.indicator, t.threshold)
                })
                .collect();
            vec![
                s.stage.to_string(),
                text(&s.enter_when),
                text(&triggers.join("; ")),
                text(&s.audience),
                text(&s.channels.join("; ")),
                text(&s.message),
                text(&s.cadence),
            ]
        })
        .collect();
    vec![Table {
        file: "playbook.csv",
        header: header(&[
            "stage",
            "enter_when",
            "triggers",
            "audience",
            "channels",
            "message",
            "cadence",
        ]),
        rows,
    }]
}

//! Checks a parsed fund file before conversion: every number finite and in its range, names
//! unique and resolvable, shares and weights summing to one, days fitting in the horizon. All
//! problems are collected, not just the first, so that one run lists everything to fix.

use std::collections::{HashMap, HashSet};
use std::fmt::Display;

use undertow_kernel::MAX_CLASSES;

use super::error::Issue;
use super::spec::{FundFile, PriceRoute, WaterfallOrder};
use super::PositionTable;

/// Weights plus cash, and investor shares plus stakes, must sum to 1 within this.
pub const SUM_TOLERANCE: f64 = 1e-6;

/// Longest horizon accepted, in days (ten years of business days). Longer runs are almost surely
/// a units mistake, and would make the kernel's per-day rings needlessly large.
pub const MAX_HORIZON_DAYS: u32 = 2520;

/// Highest annual volatility accepted (1000% a year); above it a value is a units mistake (a
/// percentage written as a number), and a stressed day's move leaves what `f32` prices hold.
pub const MAX_VOL_ANNUAL: f64 = 10.0;

/// Highest impact coefficient accepted. Published square-root coefficients lie near 0.5 to 1.5
/// and linear ones near a few units; above 10 a value is a units mistake. Within the bound, the
/// kernel's impact is not capped: an extreme scenario can still overflow (the final guard then
/// stops the run, exit 1, naming the scenario and the field).
pub const MAX_IMPACT: f64 = 10.0;

/// Largest AUM accepted, in the fund's currency: 10^15, a hundred times the largest asset
/// manager's total assets. Above it a value is a units mistake, and amounts in the outputs would
/// lose the precision a risk team reads them at.
pub const MAX_AUM: f64 = 1e15;

/// Longest modified duration accepted, in years (either sign): a century-long bond.
pub const MAX_DURATION: f64 = 100.0;

/// Largest convexity accepted, in years² (either sign): a 100-year zero-coupon bond's.
pub const MAX_CONVEXITY: f64 = 10_000.0;

/// Largest annual return or alpha accepted (either sign): 1000% a year.
pub const MAX_ANNUAL_RETURN: f64 = 10.0;

/// The note on every fraction of NAV.
const NAV: &str = "(fraction of NAV)";

/// Quoted spreads at or above 100% of price cannot be a bid-ask spread.
const MAX_SPREAD_BPS: f64 = 10_000.0;

/// A sum for a message: rounded to nine decimals so that float noise (`1.2999999999999998`)
/// does not hide the number the user wrote, while any miss larger than [`SUM_TOLERANCE`] shows.
fn sum(v: f64) -> String {
    format!("sum {}", rounded(v))
}

fn rounded(v: f64) -> String {
    let text = format!("{v:.9}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The range a number must lie in. Every range also requires a finite number.
#[derive(Clone, Copy)]
enum Bound {
    /// 0 or more.
    NonNegative,
    /// More than 0.
    Positive,
    /// Between 0 and 1, both included (fractions of NAV, probabilities).
    Fraction,
    /// More than 0, at most 1.
    PositiveFraction,
    /// 0 or more, at most the bound.
    UpTo(f64),
    /// Between minus and plus the bound.
    Within(f64),
}

impl Bound {
    fn holds(self, v: f64) -> bool {
        match self {
            Bound::NonNegative => v >= 0.0,
            Bound::Positive => v > 0.0,
            Bound::Fraction => (0.0..=1.0).contains(&v),
            Bound::PositiveFraction => v > 0.0 && v <= 1.0,
            Bound::UpTo(max) => (0.0..=max).contains(&v),
            Bound::Within(max) => (-max..=max).contains(&v),
        }
    }

    fn requirement(self) -> String {
        match self {
            Bound::NonNegative => "must be 0 or more".into(),
            Bound::Positive => "must be greater than 0".into(),
            Bound::Fraction => "must be between 0 and 1".into(),
            Bound::PositiveFraction => "must be greater than 0 and at most 1".into(),
            Bound::UpTo(max) => format!("must be between 0 and {max}"),
            Bound::Within(max) => format!("must be between -{max} and {max}"),
        }
    }
}

/// Where a value sits: the file and the field within it.
#[derive(Clone)]
struct At {
    file: String,
    field: String,
}

/// Collects issues.
struct Checker<'a> {
    fund_file: &'a str,
    issues: Vec<Issue>,
}

impl Checker<'_> {
    /// A field of the fund file itself.
    fn at(&self, field: impl Into<String>) -> At {
        At {
            file: self.fund_file.to_string(),
            field: field.into(),
        }
    }

    fn report(&mut self, at: &At, value: impl Display, reason: impl Into<String>) {
        self.issues.push(Issue {
            file: at.file.clone(),
            field: at.field.clone(),
            value: value.to_string(),
            reason: reason.into(),
        });
    }

    /// Checks a field of the fund file itself (see [`Checker::number`]).
    fn field(&mut self, field: impl Into<String>, v: f64, bound: Bound, note: &str) -> bool {
        let at = self.at(field);
        self.number(&at, v, bound, note)
    }

    /// Checks a number is finite and within `bound`; `note` (units, say) follows the reason.
    fn number(&mut self, at: &At, v: f64, bound: Bound, note: &str) -> bool {
        let ok = v.is_finite() && bound.holds(v);
        if !ok {
            let reason = if v.is_finite() {
                bound.requirement()
            } else {
                "must be a finite number".to_string()
            };
            let sep = if note.is_empty() { "" } else { " " };
            self.report(at, v, format!("{reason}{sep}{note}"));
        }
        ok
    }

    fn name(&mut self, at: &At, name: &str, what: &str) {
        if name.trim().is_empty() {
            self.report(at, format!("{name:?}"), format!("{what} must not be empty"));
        }
    }
}

/// Validates a parsed fund file and its positions. Returns every problem found.
pub(crate) fn validate(spec: &FundFile, table: &PositionTable, fund_file: &str) -> Vec<Issue> {
    let mut ck = Checker {
        fund_file,
        issues: Vec::new(),
    };
    validate_fund(&mut ck, spec);
    validate_classes(&mut ck, spec);
    validate_positions(&mut ck, spec, table);
    validate_investors(&mut ck, spec);
    validate_settings(&mut ck, spec, table);
    validate_scenarios(&mut ck, spec);
    ck.issues
}

/// The `[scenarios]` table: every range ordered and within its bounds, weights usable, the
/// copula and timing well defined (`ScenarioConfig::validate`, which names the first wrong
/// field). Onsets that cannot fall within the horizon are the generator's to clip, not errors.
fn validate_scenarios(ck: &mut Checker, spec: &FundFile) {
    if let Err(e) = spec.scenarios.validate() {
        ck.report(&ck.at(format!("scenarios.{}", e.field)), e.value, e.reason);
    }
}

fn validate_fund(ck: &mut Checker, spec: &FundFile) {
    let f = &spec.fund;
    let horizon = f.horizon_days;
    ck.name(&ck.at("fund.name"), &f.name, "the fund's name");
    ck.name(&ck.at("fund.currency"), &f.currency, "the currency");
    let aum_note = "(assets under management, in currency)";
    if ck.field("fund.aum", f.aum, Bound::Positive, aum_note) && f.aum > MAX_AUM {
        ck.report(
            &ck.at("fund.aum"),
            f.aum,
            format!("above {MAX_AUM:e}: a units mistake {aum_note}"),
        );
    }
    ck.field("fund.cash", f.cash, Bound::Fraction, NAV);
    let expected_return = f.expected_return;
    let within = Bound::Within(MAX_ANNUAL_RETURN);
    if ck.field("fund.expected_return", expected_return, within, "") && expected_return <= -1.0 {
        ck.report(
            &ck.at("fund.expected_return"),
            expected_return,
            "an annual return must be above -1",
        );
    }
    if horizon == 0 || horizon > MAX_HORIZON_DAYS {
        let reason = format!("must be between 1 and {MAX_HORIZON_DAYS} days");
        ck.report(&ck.at("fund.horizon_days"), horizon, reason);
    }
    let within = format!("must be shorter than the horizon ({horizon} days)");
    if f.dealing.code() > horizon {
        let reason = format!("no dealing day falls within the horizon ({horizon} days)");
        ck.report(
            &ck.at("fund.dealing"),
            format!("\"{}\"", f.dealing.name()),
            reason,
        );
    }
    if f.redemption_settlement_days >= horizon {
        ck.report(
            &ck.at("fund.redemption_settlement_days"),
            f.redemption_settlement_days,
            &within,
        );
    }
    if f.notice_days >= horizon {
        let reason = format!("{within}: no request could ever be due");
        ck.report(&ck.at("fund.notice_days"), f.notice_days, reason);
    }
}

fn validate_classes(ck: &mut Checker, spec: &FundFile) {
    if spec.classes.is_empty() {
        let reason = "at least one class is needed (or leave [[classes]] out for the defaults)";
        ck.report(&ck.at("classes"), "[]", reason);
    }
    if spec.classes.len() > MAX_CLASSES {
        let reason = format!(
            "at most {MAX_CLASSES} classes are supported (scenarios shock each class separately)"
        );
        ck.report(
            &ck.at("classes"),
            format!("{} classes", spec.classes.len()),
            reason,
        );
    }
    let mut first_of_name: HashMap<&str, usize> = HashMap::new();
    for (i, class) in spec.classes.iter().enumerate() {
        let at = ck.at(format!("classes[{i}].name"));
        ck.name(&at, &class.name, "a class name");
        match first_of_name.get(class.name.as_str()) {
            Some(first) => {
                let reason = format!("duplicate class name (also classes[{first}])");
                ck.report(&at, format!("{:?}", class.name), reason);
            }
            None => {
                first_of_name.insert(class.name.as_str(), i);
            }
        }
    }
}

/// Policy, funding, liquidation, model and indicator settings: mostly numbers in a range.
fn validate_settings(ck: &mut Checker, spec: &FundFile, table: &PositionTable) {
    let g = &spec.policy.gates;
    let sw = &spec.policy.swing;
    let fu = &spec.funding;
    let l = &spec.liquidation;
    let ind = &spec.indicators;
    #[rustfmt::skip]
    let numbers: [(&str, f64, Bound, &str); 28] = [
        ("policy.gates.redemptions_30d", g.redemptions_30d, Bound::PositiveFraction, NAV),
        ("policy.gates.alr", g.alr, Bound::Positive, ""),
        ("policy.gates.stress", g.stress, Bound::Fraction, "(the stress composite lies in [0, 1])"),
        ("policy.gates.cap", g.cap, Bound::Fraction, "(fraction of NAV paid per dealing day)"),
        ("policy.gates.investor_cap", g.investor_cap, Bound::Fraction, "(fraction of a holding)"),
        ("policy.swing.threshold", sw.threshold, Bound::Fraction, NAV),
        ("policy.swing.cap", sw.cap, Bound::Fraction, "(fraction of the price)"),
        ("policy.swing.fixed", sw.fixed, Bound::Fraction, "(fraction of the price; 0 = estimated)"),
        ("policy.in_kind.threshold", spec.policy.in_kind.threshold, Bound::Fraction, NAV),
        ("funding.credit_line", fu.credit_line, Bound::Fraction, NAV),
        ("funding.borrowing_cap", fu.borrowing_cap, Bound::Fraction, NAV),
        ("funding.repo_haircut", fu.repo_haircut, Bound::Fraction, ""),
        ("funding.rate", fu.rate, Bound::Fraction, "(annual rate, 0.05 = 5%)"),
        ("liquidation.participation_cap", l.participation_cap, Bound::PositiveFraction, "(fraction of a day's volume)"),
        ("liquidation.permanent_fraction", l.permanent_fraction, Bound::Fraction, ""),
        ("liquidation.threshold", l.threshold, Bound::NonNegative, ""),
        ("liquidation.adaptive_decay", l.adaptive_decay, Bound::NonNegative, "(per day)"),
        ("liquidation.buffer_rebuild_rate", l.buffer_rebuild_rate, Bound::Fraction, "(per dealing day)"),
        ("liquidation.max_style_drift", l.max_style_drift, Bound::NonNegative, ""),
        ("liquidation.late_settlement_penalty", l.late_settlement_penalty, Bound::NonNegative, ""),
        ("liquidation.impact_half_life_days", l.impact_half_life_days, Bound::UpTo(10_000.0), "(days; 0 = no decay)"),
        ("liquidation.impact_permanent_share", l.impact_permanent_share, Bound::Fraction, "(of the fund's own impact)"),
        ("model.lam_max", spec.model.lam_max, Bound::PositiveFraction, "(daily redemption rate)"),
        ("model.concern_start", spec.model.concern_start, Bound::UpTo(0.99), "(value over trigger level)"),
        ("model.gate_concern", spec.model.gate_concern, Bound::UpTo(10.0), ""),
        ("indicators.event_drawdown", ind.event_drawdown, Bound::Fraction, "(NAV drawdown; 0 = off)"),
        ("indicators.event_outflow_5d", ind.event_outflow_5d, Bound::PositiveFraction, NAV),
        ("indicators.illiquid_limit", ind.illiquid_limit, Bound::Fraction, NAV),
    ];
    for (field, v, bound, note) in numbers {
        ck.field(field, v, bound, note);
    }
    ck.field(
        "indicators.buffer_exhausted_level",
        ind.buffer_exhausted_level,
        Bound::Fraction,
        NAV,
    );

    let horizon = spec.fund.horizon_days;
    if g.min_days > horizon {
        let reason = format!("longer than the horizon ({horizon} days)");
        ck.report(&ck.at("policy.gates.min_days"), g.min_days, reason);
    }
    if spec.model.gates && g.triggers.is_empty() {
        let reason = "gates are on ([model] gates = true) but no trigger is enabled; \
                      set [model] gates = false to run without gates";
        ck.report(&ck.at("policy.gates.triggers"), "[]", reason);
    }

    if let WaterfallOrder::Ids(ids) = &l.waterfall_order {
        let known: HashSet<&str> = table.positions.iter().map(|p| p.id.as_str()).collect();
        let mut first_of_id: HashMap<&str, usize> = HashMap::new();
        for (k, id) in ids.iter().enumerate() {
            let at = ck.at(format!("liquidation.waterfall_order[{k}]"));
            if !known.contains(id.as_str()) {
                ck.report(&at, format!("{id:?}"), "no position has this id");
            } else if let Some(first) = first_of_id.get(id.as_str()) {
                let reason = format!("listed twice (also waterfall_order[{first}])");
                ck.report(&at, format!("{id:?}"), reason);
            } else {
                first_of_id.insert(id.as_str(), k);
            }
        }
    }

    for (name, threshold) in ind.thresholds.entries() {
        if let Some(v) = threshold {
            ck.field(
                format!("indicators.thresholds.{name}"),
                v,
                Bound::NonNegative,
                "",
            );
        }
    }
    let mut weight_sum = 0.0;
    for (name, w) in ind.stress_weights.entries() {
        ck.field(
            format!("indicators.stress_weights.{name}"),
            w,
            Bound::Fraction,
            "",
        );
        weight_sum += w;
    }
    if weight_sum.is_finite() && (weight_sum - 1.0).abs() > SUM_TOLERANCE {
        let reason =
            "the stress-composite weights must sum to 1, so that the composite stays in [0, 1]";
        ck.report(&ck.at("indicators.stress_weights"), sum(weight_sum), reason);
    }
}

fn validate_positions(ck: &mut Checker, spec: &FundFile, table: &PositionTable) {
    let horizon = spec.fund.horizon_days;
    let class_names: HashSet<&str> = spec.classes.iter().map(|c| c.name.as_str()).collect();
    match (&spec.positions_csv, spec.positions.is_empty()) {
        (Some(csv), false) => ck.report(
            &ck.at("positions_csv"),
            format!("{csv:?}"),
            "the file has both positions_csv and [[positions]]; give the positions one way only",
        ),
        (None, true) => {
            ck.report(
                &ck.at("positions"),
                "[]",
                "the fund has no positions: add [[positions]] or positions_csv",
            );
            return;
        }
        (Some(csv), true) if table.positions.is_empty() => {
            ck.report(
                &ck.at("positions_csv"),
                format!("{csv:?}"),
                "the CSV file has no position rows",
            );
            return;
        }
        _ => {}
    }

    let fund_file = ck.fund_file;
    let mut first_of_id: HashMap<&str, usize> = HashMap::new();
    let mut weight_sum = 0.0;
    for (i, p) in table.positions.iter().enumerate() {
        let at = |column: &str| {
            let (file, field) = table.locate(fund_file, i, column);
            At { file, field }
        };
        ck.name(&at("id"), &p.id, "a position id");
        if !p.id.is_empty() {
            if let Some(&first) = first_of_id.get(p.id.as_str()) {
                let (_, first_field) = table.locate(fund_file, first, "id");
                ck.report(
                    &at("id"),
                    format!("{:?}", p.id),
                    format!("duplicate position id (first at {first_field})"),
                );
            } else {
                first_of_id.insert(p.id.as_str(), i);
            }
        }
        if !class_names.contains(p.class.as_str()) {
            let names: Vec<&str> = spec.classes.iter().map(|c| c.name.as_str()).collect();
            ck.report(
                &at("class"),
                format!("{:?}", p.class),
                format!(
                    "unknown class; the fund's classes are: {}",
                    names.join(", ")
                ),
            );
        }
        if ck.number(&at("weight"), p.weight, Bound::Fraction, NAV) {
            weight_sum += p.weight;
        } else {
            weight_sum = f64::NAN;
        }
        #[rustfmt::skip]
        let numbers = [
            ("adv", p.adv, Bound::Positive, "(average daily traded value, in currency)"),
            ("spread_bps", p.spread_bps, Bound::NonNegative, "(basis points)"),
            ("vol_annual", p.vol_annual, Bound::UpTo(MAX_VOL_ANNUAL), "(annual volatility, 0.2 = 20%)"),
            ("impact", p.impact, Bound::UpTo(MAX_IMPACT), "(impact coefficient)"),
            ("duration", p.duration, Bound::Within(MAX_DURATION), "(years)"),
            ("convexity", p.convexity, Bound::Within(MAX_CONVEXITY), "(years squared)"),
            ("alpha", p.alpha, Bound::Within(MAX_ANNUAL_RETURN), "(annual, 0.01 = 1%)"),
        ];
        for (column, v, bound, note) in numbers {
            ck.number(&at(column), v, bound, note);
        }
        if p.spread_bps.is_finite() && p.spread_bps >= MAX_SPREAD_BPS {
            let reason =
                "a bid-ask spread of 100% of price or more (spread_bps is in basis points)";
            ck.report(&at("spread_bps"), p.spread_bps, reason);
        }
        if p.settlement_days >= horizon {
            ck.report(
                &at("settlement_days"),
                p.settlement_days,
                format!("settlement must be shorter than the horizon ({horizon} days)"),
            );
        }
        if p.price_route != PriceRoute::None && p.duration == 0.0 {
            ck.report(
                &at("duration"),
                p.duration,
                format!(
                    "price_route = \"{}\" needs a duration: with 0 the position would ignore the shock",
                    p.price_route.name()
                ),
            );
        }
        // ADV enters the kernel as a fraction of AUM in f32: it must neither overflow nor vanish.
        let aum = spec.fund.aum;
        if p.adv.is_finite() && p.adv > 0.0 && aum.is_finite() && aum > 0.0 && aum <= MAX_AUM {
            let fraction = (p.adv / spec.fund.aum) as f32;
            if !fraction.is_normal() {
                ck.report(
                    &at("adv"),
                    p.adv,
                    format!("implausible next to fund.aum = {aum:e} (ratio {fraction:e})"),
                );
            }
        }
    }
    let total = weight_sum + spec.fund.cash;
    if total.is_finite() && (total - 1.0).abs() > SUM_TOLERANCE {
        ck.report(
            &ck.at("fund.cash + positions[*].weight"),
            sum(total),
            format!(
                "position weights plus cash must sum to 1 (within {SUM_TOLERANCE:e}); the positions sum to {}, \
                 cash is {}",
                rounded(weight_sum),
                spec.fund.cash
            ),
        );
    }
}

fn validate_investors(ck: &mut Checker, spec: &FundFile) {
    let horizon = spec.fund.horizon_days;
    let fund_notice = spec.fund.notice_days;
    if spec.segments.is_empty() && spec.large_investors.is_empty() {
        ck.report(
            &ck.at("segments"),
            "[]",
            "the fund has no investors: add [[segments]] and/or [[large_investors]]",
        );
        return;
    }
    // Segment and large-investor names share one namespace: scripted events name their holder.
    let mut first_of_name: HashMap<String, String> = HashMap::new();
    let mut check_name = |ck: &mut Checker, at: At, name: &str| {
        ck.name(&at, name, "an investor name");
        if let Some(first) = first_of_name.get(name) {
            ck.report(
                &at,
                format!("{name:?}"),
                format!("duplicate investor name (also {first})"),
            );
        } else {
            first_of_name.insert(name.to_string(), at.field);
        }
    };
    let check_notice = |ck: &mut Checker, at: At, notice: u32| {
        if fund_notice.saturating_add(notice) >= horizon {
            ck.report(
                &at,
                notice,
                format!("notice plus the fund's notice ({fund_notice}) must be shorter than the horizon ({horizon} days)"),
            );
        }
    };
    let sensitivity = "(sensitivities are not negative: the model has no subscriptions)";

    let fund_file = ck.fund_file;
    let mut share_sum = 0.0;
    for (i, s) in spec.segments.iter().enumerate() {
        let at = |field: &str| At {
            file: fund_file.to_string(),
            field: format!("segments[{i}].{field}"),
        };
        check_name(ck, at("name"), &s.name);
        if ck.number(&at("share"), s.share, Bound::Fraction, "(fraction of NAV)") {
            share_sum += s.share;
        } else {
            share_sum = f64::NAN;
        }
        ck.number(
            &at("base_rate"),
            s.base_rate,
            Bound::Fraction,
            "(daily redemption rate)",
        );
        for (field, v) in [
            ("beta_perf", s.beta_perf),
            ("beta_herd", s.beta_herd),
            ("beta_liq", s.beta_liq),
            ("beta_stress", s.beta_stress),
        ] {
            ck.number(&at(field), v, Bound::NonNegative, sensitivity);
        }
        ck.number(&at("flow_vol"), s.flow_vol, Bound::NonNegative, "(per day)");
        check_notice(ck, at("notice_days"), s.notice_days);
    }

    let mut stake_sum = 0.0;
    for (i, inv) in spec.large_investors.iter().enumerate() {
        let at = |field: &str| At {
            file: fund_file.to_string(),
            field: format!("large_investors[{i}].{field}"),
        };
        check_name(ck, at("name"), &inv.name);
        if ck.number(
            &at("stake"),
            inv.stake,
            Bound::Fraction,
            "(fraction of NAV)",
        ) {
            stake_sum += inv.stake;
        } else {
            stake_sum = f64::NAN;
        }
        ck.number(
            &at("hazard"),
            inv.hazard,
            Bound::Fraction,
            "(daily redemption probability)",
        );
        for (field, v) in [
            ("beta_perf", inv.beta_perf),
            ("beta_herd", inv.beta_herd),
            ("beta_liq", inv.beta_liq),
            ("beta_stress", inv.beta_stress),
        ] {
            ck.number(&at(field), v, Bound::NonNegative, sensitivity);
        }
        ck.number(
            &at("fraction"),
            inv.fraction,
            Bound::PositiveFraction,
            "(fraction of its shares redeemed)",
        );
        check_notice(ck, at("notice_days"), inv.notice_days);
    }

    if stake_sum.is_finite() && stake_sum > 1.0 + SUM_TOLERANCE {
        ck.report(
            &ck.at("large_investors[*].stake"),
            sum(stake_sum),
            "large investors' stakes add up to more than 100% of NAV",
        );
    } else if (share_sum + stake_sum).is_finite()
        && (share_sum + stake_sum - 1.0).abs() > SUM_TOLERANCE
    {
        ck.report(
            &ck.at("segments[*].share + large_investors[*].stake"),
            sum(share_sum + stake_sum),
            format!("segment shares plus large stakes must sum to 1 (within {SUM_TOLERANCE:e})"),
        );
    }
}

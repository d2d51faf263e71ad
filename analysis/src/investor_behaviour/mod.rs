//! Stage 2, the investor behaviour modeller: the investor base (HHI, top-10 share, segments,
//! large investors), the distribution of redemptions by segment and by large investor, and the
//! cascade attribution — how much outflow and cost each feedback channel adds, found by rerunning
//! the same scenarios with that channel off.
//!
//! Attribution is leave-one-out on common random numbers: channel `c` contributes
//! `mean(all on) − mean(c off)`; the total feedback effect is `mean(all on) − mean(all six off)`;
//! what the one-at-a-time contributions do not explain is the interaction between channels. Shares
//! are contributions over the total, so the six shares plus the interaction share add up to one.
//! Each contribution carries the standard error of its paired per-scenario difference.
//!
//! **Two groups.** *Exogenous* channels come from the scenario, not from the fund: the market
//! stress signal investors react to (`market_stress`, `FEEDBACK_STRESS`) and redemptions on
//! drawdown (`performance`, `FEEDBACK_PERF`). The drawdown mixes the market's fall with the
//! fund's own price impact; it is classed exogenous, and the own-impact part of it shows through
//! the `permanent_impact` channel (switching permanent impact off removes the own-impact part of
//! the drawdown, and with it the redemptions it causes). *Endogenous* channels are the fund's
//! own spiral: permanent impact of its own sales, crowding (others selling the same assets),
//! herding on the fund's own outflows, and concern about the fund's liquidity. Subtotals are the
//! sums of the group's one-at-a-time contributions (interaction stays separate).
//!
//! **Units.** Money is a fraction of the starting NAV; a spiral that lowers NAV per share makes
//! the same redeemed shares worth less, so money alone can show a channel as lowering
//! redemptions when it raises them. Every contribution is therefore also given in shares, as
//! fractions of the shares in issue at day 0: shares requested (accepted plus still due or
//! serving notice, read from the holders at the horizon) and shares accepted (the record's
//! `accepted_shares`). The verdict on whether a channel adds redemptions is read in shares.
//!
//! Settings in [`config`], findings in [`findings`], tables in [`tables`].

pub mod config;
pub mod findings;
pub mod tables;

use serde::Serialize;
use undertow_kernel::{switch, ScenarioOutput, ScenarioParams};

use crate::sim::{without, HolderEnd, Simulator};
use undertow_host::aggregate::{quantile, total_cost};
use undertow_host::fund::{Fund, TRADING_DAYS_PER_YEAR};

/// The feedback channels attributed, with their switches.
pub const CHANNELS: [(&str, u32); 6] = [
    ("performance", switch::FEEDBACK_PERF),
    ("herding", switch::FEEDBACK_HERD),
    ("liquidity_concern", switch::FEEDBACK_LIQ),
    ("market_stress", switch::FEEDBACK_STRESS),
    ("crowding", switch::CROWDING),
    ("permanent_impact", switch::PERM_IMPACT),
];

/// Every attributed channel's switch.
pub const ALL_CHANNELS: u32 = switch::FEEDBACK_PERF
    | switch::FEEDBACK_HERD
    | switch::FEEDBACK_LIQ
    | switch::FEEDBACK_STRESS
    | switch::CROWDING
    | switch::PERM_IMPACT;

/// Index of the 30-day horizon in the output record's horizon arrays.
const H30: usize = 2;

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct SegmentInfo {
    pub name: String,
    pub share: f64,
    /// Base daily rate × 252: the share redeemed in a calm year.
    pub base_rate_annual: f64,
    pub notice_days: u32,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct LargeInvestorInfo {
    pub name: String,
    pub stake: f64,
    /// Probability of redeeming within a calm year from the base hazard alone.
    pub base_probability_annual: f64,
    /// Share of its holding it redeems when it goes.
    pub fraction: f64,
    pub notice_days: u32,
}

/// Who holds the fund.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct InvestorBase {
    /// Herfindahl index of the large stakes.
    pub hhi: f64,
    pub top10_share: f64,
    /// Share held by the segments of many small holders.
    pub segment_share: f64,
    pub segments: Vec<SegmentInfo>,
    pub large_investors: Vec<LargeInvestorInfo>,
}

/// Distribution of one holder's redemption requests over the scenarios, in fractions of initial
/// NAV.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct HolderRedemptions {
    pub holder: String,
    /// "segment" or "large_investor".
    pub kind: &'static str,
    pub stake: f64,
    /// Share of scenarios in which it asked to redeem anything (large investors: served notice).
    pub probability: f64,
    pub mean: f64,
    pub p95: f64,
    pub p99: f64,
    /// Its average share of all redemption requests.
    pub share_of_requests: f64,
}

/// Distribution of total requested outflow over the main sweep.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct RequestedRow {
    pub horizon_days: u32,
    pub mean: f64,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
}

/// The group of a channel (module documentation): `"exogenous"` for the scenario's market
/// stress signal and drawdown, `"endogenous"` for the fund's own spiral.
pub fn group_of(channel: &str) -> &'static str {
    match channel {
        "market_stress" | "performance" => "exogenous",
        _ => "endogenous",
    }
}

/// The two groups, in display order.
pub const GROUPS: [&str; 2] = ["exogenous", "endogenous"];

/// One variant's runs: the records, and per scenario the shares requested (fraction of day-0
/// shares; from the holders at the horizon).
#[derive(Clone, Copy, Debug)]
pub struct Variant<'a> {
    pub outputs: &'a [ScenarioOutput],
    pub requested_shares: &'a [f64],
}

/// Per-scenario quantities of a variant, for paired differences.
struct PerScenario {
    requested: Vec<f64>,
    requested_shares: Vec<f64>,
    accepted_shares: Vec<f64>,
    cost: Vec<f64>,
}

impl PerScenario {
    fn of(v: &Variant) -> PerScenario {
        PerScenario {
            requested: v.outputs.iter().map(|o| o.requested as f64).collect(),
            requested_shares: v.requested_shares.to_vec(),
            accepted_shares: v.outputs.iter().map(|o| o.accepted_shares as f64).collect(),
            cost: v.outputs.iter().map(total_cost).collect(),
        }
    }
}

/// Mean and standard error of the paired differences `a[i] − b[i]` (`se` 0 with fewer than two
/// pairs).
pub fn paired(a: &[f64], b: &[f64]) -> (f64, f64) {
    let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    let n = d.len();
    if n == 0 {
        return (0.0, 0.0);
    }
    let mean = d.iter().sum::<f64>() / n as f64;
    if n < 2 {
        return (mean, 0.0);
    }
    let var = d.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / (n - 1) as f64;
    (mean, (var / n as f64).sqrt())
}

/// Means of one attribution variant.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct VariantMeans {
    /// Requested outflow within 30 days and over the horizon, fraction of initial NAV.
    pub requested_30d: f64,
    pub requested: f64,
    /// Liquidation cost over the horizon, fraction of initial NAV.
    pub cost: f64,
    /// 99th percentile of requested outflow within 30 days.
    pub requested_30d_p99: f64,
    /// Shares requested and accepted over the horizon, fractions of day-0 shares.
    pub requested_shares: f64,
    pub accepted_shares: f64,
}

impl VariantMeans {
    fn of(v: &Variant) -> VariantMeans {
        let outs = v.outputs;
        let n = outs.len().max(1) as f64;
        let mut r30: Vec<f64> = outs.iter().map(|o| o.cum_requested[H30] as f64).collect();
        r30.sort_by(|a, b| a.total_cmp(b));
        VariantMeans {
            requested_30d: r30.iter().sum::<f64>() / n,
            requested: outs.iter().map(|o| o.requested as f64).sum::<f64>() / n,
            cost: outs.iter().map(total_cost).sum::<f64>() / n,
            requested_30d_p99: quantile(&r30, 0.99),
            requested_shares: v.requested_shares.iter().sum::<f64>()
                / v.requested_shares.len().max(1) as f64,
            accepted_shares: outs.iter().map(|o| o.accepted_shares as f64).sum::<f64>() / n,
        }
    }
}

/// One channel's contribution.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ChannelAttribution {
    pub channel: &'static str,
    /// `"exogenous"` or `"endogenous"` ([`group_of`]).
    pub group: &'static str,
    /// Whether the fund has the channel on (a channel that is off contributes nothing).
    pub enabled: bool,
    /// The variant with this channel off.
    pub without: VariantMeans,
    /// `all on − this off`: requested outflow within 30 days, over the horizon (money, fraction
    /// of starting NAV), and cost.
    pub outflow_30d: f64,
    pub outflow: f64,
    pub cost: f64,
    /// `all on − this off` in shares (fractions of day-0 shares): requested and accepted.
    pub requested_shares: f64,
    pub accepted_shares: f64,
    /// Standard errors of the paired per-scenario differences.
    pub outflow_se: f64,
    pub requested_shares_se: f64,
    pub accepted_shares_se: f64,
    pub cost_se: f64,
    /// Contributions over the total feedback effect.
    pub outflow_share: f64,
    pub cost_share: f64,
    /// Requested-shares contribution over the total in shares.
    pub requested_shares_share: f64,
}

/// A group's subtotal: the sums of its channels' one-at-a-time contributions, with the standard
/// error of the per-scenario sum of their paired differences.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct GroupAttribution {
    pub group: &'static str,
    pub channels: Vec<&'static str>,
    pub outflow_30d: f64,
    pub outflow: f64,
    pub cost: f64,
    pub requested_shares: f64,
    pub accepted_shares: f64,
    pub outflow_se: f64,
    pub requested_shares_se: f64,
    pub accepted_shares_se: f64,
    /// Subtotals over the total feedback effect (money outflow, requested shares).
    pub outflow_share: f64,
    pub requested_shares_share: f64,
}

/// The cascade attribution.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Attribution {
    /// The scenario set the statistics are conditional on (the main sweep's: the stress library).
    pub conditional_on: &'static str,
    pub scenarios: u64,
    pub all_on: VariantMeans,
    pub all_off: VariantMeans,
    /// `all on − all off`.
    pub total_outflow_30d: f64,
    pub total_outflow: f64,
    pub total_cost: f64,
    pub total_requested_shares: f64,
    pub total_accepted_shares: f64,
    /// Standard errors of the totals' paired differences.
    pub total_outflow_se: f64,
    pub total_requested_shares_se: f64,
    pub channels: Vec<ChannelAttribution>,
    /// Exogenous then endogenous subtotals.
    pub groups: Vec<GroupAttribution>,
    /// What the one-at-a-time contributions leave unexplained, and its share of the total.
    pub interaction_outflow: f64,
    pub interaction_outflow_share: f64,
    pub interaction_cost: f64,
    pub interaction_cost_share: f64,
    pub interaction_requested_shares: f64,
    pub interaction_accepted_shares: f64,
}

impl Attribution {
    /// From the variants' runs: `all_on`, one per channel in [`CHANNELS`] order, `all_off` (same
    /// scenarios in the same order).
    pub fn from_variants(
        enabled: &[bool],
        all_on: Variant,
        each_off: &[Variant],
        all_off: Variant,
    ) -> Attribution {
        let on = VariantMeans::of(&all_on);
        let off = VariantMeans::of(&all_off);
        let p_on = PerScenario::of(&all_on);
        let p_off = PerScenario::of(&all_off);
        let total_outflow = on.requested - off.requested;
        let total_cost = on.cost - off.cost;
        let total_requested_shares = on.requested_shares - off.requested_shares;
        let share = |x: f64, total: f64| if total.abs() > 1e-12 { x / total } else { 0.0 };
        let per: Vec<PerScenario> = each_off.iter().map(PerScenario::of).collect();
        let channels: Vec<ChannelAttribution> = CHANNELS
            .iter()
            .zip(each_off)
            .zip(&per)
            .zip(enabled)
            .map(|((((name, _), v), p), &enabled)| {
                let w = VariantMeans::of(v);
                let outflow = on.requested - w.requested;
                let cost = on.cost - w.cost;
                let requested_shares = on.requested_shares - w.requested_shares;
                ChannelAttribution {
                    channel: name,
                    group: group_of(name),
                    enabled,
                    outflow_30d: on.requested_30d - w.requested_30d,
                    outflow,
                    cost,
                    requested_shares,
                    accepted_shares: on.accepted_shares - w.accepted_shares,
                    outflow_se: paired(&p_on.requested, &p.requested).1,
                    requested_shares_se: paired(&p_on.requested_shares, &p.requested_shares).1,
                    accepted_shares_se: paired(&p_on.accepted_shares, &p.accepted_shares).1,
                    cost_se: paired(&p_on.cost, &p.cost).1,
                    outflow_share: share(outflow, total_outflow),
                    cost_share: share(cost, total_cost),
                    requested_shares_share: share(requested_shares, total_requested_shares),
                    without: w,
                }
            })
            .collect();
        let groups = GROUPS
            .iter()
            .map(|&g| {
                let members: Vec<usize> = (0..channels.len())
                    .filter(|&c| channels[c].group == g)
                    .collect();
                let sum = |f: &dyn Fn(&ChannelAttribution) -> f64| {
                    members.iter().map(|&c| f(&channels[c])).sum::<f64>()
                };
                // The per-scenario subtotal: the sum over members of (on − off), paired with 0.
                let se = |f: &dyn Fn(&PerScenario) -> &Vec<f64>| {
                    let on_v = f(&p_on);
                    let subtotal: Vec<f64> = (0..on_v.len())
                        .map(|i| members.iter().map(|&c| on_v[i] - f(&per[c])[i]).sum())
                        .collect();
                    paired(&subtotal, &vec![0.0; subtotal.len()]).1
                };
                let outflow = sum(&|c| c.outflow);
                let requested_shares = sum(&|c| c.requested_shares);
                GroupAttribution {
                    group: g,
                    channels: members.iter().map(|&c| channels[c].channel).collect(),
                    outflow_30d: sum(&|c| c.outflow_30d),
                    outflow,
                    cost: sum(&|c| c.cost),
                    requested_shares,
                    accepted_shares: sum(&|c| c.accepted_shares),
                    outflow_se: se(&|p| &p.requested),
                    requested_shares_se: se(&|p| &p.requested_shares),
                    accepted_shares_se: se(&|p| &p.accepted_shares),
                    outflow_share: share(outflow, total_outflow),
                    requested_shares_share: share(requested_shares, total_requested_shares),
                }
            })
            .collect();
        let interaction_outflow = total_outflow - channels.iter().map(|c| c.outflow).sum::<f64>();
        let interaction_cost = total_cost - channels.iter().map(|c| c.cost).sum::<f64>();
        let total_accepted_shares = on.accepted_shares - off.accepted_shares;
        Attribution {
            scenarios: all_on.outputs.len() as u64,
            conditional_on: crate::stats::STRESS_LIBRARY,
            total_outflow_30d: on.requested_30d - off.requested_30d,
            total_outflow,
            total_cost,
            total_requested_shares,
            total_accepted_shares,
            total_outflow_se: paired(&p_on.requested, &p_off.requested).1,
            total_requested_shares_se: paired(&p_on.requested_shares, &p_off.requested_shares).1,
            interaction_outflow,
            interaction_outflow_share: share(interaction_outflow, total_outflow),
            interaction_cost,
            interaction_cost_share: share(interaction_cost, total_cost),
            interaction_requested_shares: total_requested_shares
                - channels.iter().map(|c| c.requested_shares).sum::<f64>(),
            interaction_accepted_shares: total_accepted_shares
                - channels.iter().map(|c| c.accepted_shares).sum::<f64>(),
            all_on: on,
            all_off: off,
            channels,
            groups,
        }
    }

    /// The channel adding the most outflow.
    pub fn largest_outflow_channel(&self) -> Option<&ChannelAttribution> {
        self.channels
            .iter()
            .max_by(|a, b| a.outflow.total_cmp(&b.outflow))
    }

    /// The channel adding the most requested shares.
    pub fn largest_shares_channel(&self) -> Option<&ChannelAttribution> {
        self.channels
            .iter()
            .max_by(|a, b| a.requested_shares.total_cmp(&b.requested_shares))
    }

    /// The channel adding the most cost.
    pub fn largest_cost_channel(&self) -> Option<&ChannelAttribution> {
        self.channels
            .iter()
            .max_by(|a, b| a.cost.total_cmp(&b.cost))
    }
}

/// Shares requested per scenario (fractions of day-0 shares) from the holders at the horizon.
pub fn requested_shares(ends: &[HolderEnd]) -> Vec<f64> {
    ends.iter().map(|e| e.requested.iter().sum()).collect()
}

/// Stage 2's output.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct InvestorReport {
    pub base: InvestorBase,
    /// Scenarios of the main sweep behind `requested`.
    pub sweep_scenarios: u64,
    pub requested: Vec<RequestedRow>,
    /// Mean number of large investors that served notice, and the share of scenarios with at
    /// least one.
    pub mean_large_redeemed: f64,
    pub any_large_redeemed: f64,
    /// Scenarios rerun for the holder distributions and the attribution (0: skipped).
    pub scenarios_used: u64,
    pub holders: Vec<HolderRedemptions>,
    pub attribution: Option<Attribution>,
}

/// The investor base of a fund.
pub fn investor_base(fund: &Fund) -> InvestorBase {
    let spec = &fund.spec;
    InvestorBase {
        hhi: fund.investor_hhi(),
        top10_share: fund.top10_share(),
        segment_share: spec.segments.iter().map(|s| s.share).sum(),
        segments: spec
            .segments
            .iter()
            .map(|s| SegmentInfo {
                name: s.name.clone(),
                share: s.share,
                base_rate_annual: s.base_rate * TRADING_DAYS_PER_YEAR,
                notice_days: s.notice_days,
            })
            .collect(),
        large_investors: fund
            .model
            .large
            .iter()
            .zip(&fund.large_names)
            .map(|(l, name)| LargeInvestorInfo {
                name: name.clone(),
                stake: l.stake as f64,
                base_probability_annual: 1.0 - (-(l.hazard as f64) * TRADING_DAYS_PER_YEAR).exp(),
                fraction: l.fraction as f64,
                notice_days: l.notice,
            })
            .collect(),
    }
}

/// Runs stage 2. `base_outputs` are the main sweep's records; `scenarios` the first records of
/// the run (indices from 0, seed `seed`), rerun for the holders and the attribution.
pub fn investor_behaviour(
    fund: &Fund,
    base_outputs: &[ScenarioOutput],
    scenarios: &[ScenarioParams],
    seed: u64,
    sim: &Simulator,
) -> InvestorReport {
    let requested = undertow_kernel::HORIZONS
        .iter()
        .enumerate()
        .map(|(k, &h)| {
            let mut v: Vec<f64> = base_outputs
                .iter()
                .map(|o| o.cum_requested[k] as f64)
                .collect();
            v.sort_by(|a, b| a.total_cmp(b));
            RequestedRow {
                horizon_days: h,
                mean: v.iter().sum::<f64>() / v.len().max(1) as f64,
                p50: quantile(&v, 0.5),
                p95: quantile(&v, 0.95),
                p99: quantile(&v, 0.99),
            }
        })
        .collect();
    let n = base_outputs.len().max(1) as f64;
    let mut report = InvestorReport {
        base: investor_base(fund),
        sweep_scenarios: base_outputs.len() as u64,
        requested,
        mean_large_redeemed: base_outputs
            .iter()
            .map(|o| o.large_redeemed as f64)
            .sum::<f64>()
            / n,
        any_large_redeemed: base_outputs
            .iter()
            .filter(|o| o.large_redeemed > 0.0)
            .count() as f64
            / n,
        scenarios_used: scenarios.len() as u64,
        holders: Vec::new(),
        attribution: None,
    };
    if scenarios.is_empty() {
        return report;
    }
    let model = &fund.model;
    let (all_on, ends) = sim.run_with_holders(model, scenarios, 0, seed);
    report.holders = holder_distributions(fund, &ends, &all_on);
    let enabled: Vec<bool> = CHANNELS
        .iter()
        .map(|(_, bit)| model.params.switches & bit != 0)
        .collect();
    let run = |m: &undertow_kernel::FundModel| {
        let (outs, ends) = sim.run_with_holders(m, scenarios, 0, seed);
        (outs, requested_shares(&ends))
    };
    let on_shares = requested_shares(&ends);
    let each_off: Vec<(Vec<ScenarioOutput>, Vec<f64>)> = CHANNELS
        .iter()
        .zip(&enabled)
        .map(|((_, bit), &on)| {
            if on {
                run(&without(model, *bit))
            } else {
                (all_on.clone(), on_shares.clone())
            }
        })
        .collect();
    let all_off = run(&without(model, ALL_CHANNELS));
    let each: Vec<Variant> = each_off
        .iter()
        .map(|(o, r)| Variant {
            outputs: o,
            requested_shares: r,
        })
        .collect();
    report.attribution = Some(Attribution::from_variants(
        &enabled,
        Variant {
            outputs: &all_on,
            requested_shares: &on_shares,
        },
        &each,
        Variant {
            outputs: &all_off.0,
            requested_shares: &all_off.1,
        },
    ));
    report
}

/// Each holder's requests in value: the scenario's requested value split in proportion to the
/// shares each holder asked to redeem (exact in total; it values every request of a scenario at
/// the same average price).
fn holder_distributions(
    fund: &Fund,
    ends: &[HolderEnd],
    outs: &[ScenarioOutput],
) -> Vec<HolderRedemptions> {
    let values: Vec<Vec<f64>> = ends
        .iter()
        .zip(outs)
        .map(|(e, o)| {
            let shares: f64 = e.requested.iter().sum();
            e.requested
                .iter()
                .map(|s| {
                    if shares > 0.0 {
                        s / shares * o.requested as f64
                    } else {
                        0.0
                    }
                })
                .collect()
        })
        .collect();
    let names: Vec<(&str, &'static str, f64)> = fund
        .segment_names
        .iter()
        .zip(&fund.model.segments)
        .map(|(n, s)| (n.as_str(), "segment", s.share as f64))
        .chain(
            fund.large_names
                .iter()
                .zip(&fund.model.large)
                .map(|(n, l)| (n.as_str(), "large_investor", l.stake as f64)),
        )
        .collect();
    let n = ends.len().max(1) as f64;
    names
        .iter()
        .enumerate()
        .map(|(h, (name, kind, stake))| {
            let mut v: Vec<f64> = values.iter().map(|e| e[h]).collect();
            let share: f64 = ends
                .iter()
                .map(|e| {
                    let total: f64 = e.requested.iter().sum();
                    if total > 0.0 {
                        e.requested[h] / total
                    } else {
                        0.0
                    }
                })
                .sum::<f64>()
                / n;
            let probability = v.iter().filter(|x| **x > 1e-9).count() as f64 / n;
            v.sort_by(|a, b| a.total_cmp(b));
            HolderRedemptions {
                holder: name.to_string(),
                kind,
                stake: *stake,
                probability,
                mean: v.iter().sum::<f64>() / n,
                p95: quantile(&v, 0.95),
                p99: quantile(&v, 0.99),
                share_of_requests: share,
            }
        })
        .collect()
}

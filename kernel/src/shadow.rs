//! Policy and strategy variants followed along one run ("shadows"), so that a calibration grid or
//! a comparison of liquidation strategies reruns only the scenarios where a variant's path leaves
//! the reference's (issue 13; CPU only, no WGSL twin, like `St::ind`).
//!
//! A shadow is a variant of the reference fund that differs from it in its redemption policy
//! (the gate's triggers, levels, rule, cap and minimum duration, the investor-level gate, and
//! swing pricing) and in its liquidation strategy (the strategy, the balanced strategy's style
//! drift, the waterfall's order) alone ([`shadowable`]). The kernel reads those settings at four
//! decisions only:
//!
//! 1. the investors' liquidity concern (`investors::liquidity_concern`, when the liquidity
//!    feedback is on): the proximity to the policy's triggers;
//! 2. a dealing day's gate and each large holder's eligible shares (`policy::deal`);
//! 3. the swing factor (`liquidation::swing_factor`);
//! 4. a dealing day's allocation of a positive sale goal among the positions
//!    (`liquidation::liquidate`): the strategy. A day with nothing to sell reads no strategy
//!    setting.
//!
//! At each of the first three the kernel also evaluates every shadow's decision, with the
//! shadow's own settings on the reference's state, and records the first day one differs bit for
//! bit as the shadow's departure day; at the fourth, a shadow whose strategy settings differ from
//! the reference's departs on the first day with a positive goal (without comparing the
//! allocations: it errs towards rerunning). Until that day the shadow's run would have taken the same decisions on
//! the same state — the state is the same by induction, since nothing else reads the policy — so
//! a shadow that never departs would have produced the reference's output record bit for bit.
//! Any difference departs, however small (a concern of `+0.0` against `-0.0` included), so the
//! test errs only towards rerunning.

use crate::ctx::{Ctx, St};
use crate::investors::{liquidity_concern, nav_prev};
use crate::layout::slot;
use crate::liquidation::swing_factor;
use crate::params::*;
use crate::policy::{eligible, gate_triggered};
use crate::real::Real;

/// A shadow's departure day while it has not departed.
pub const STAYED: u32 = u32::MAX;

/// The switches that belong to the redemption policy.
const POLICY_SWITCHES: u32 = switch::GATES | switch::INVESTOR_GATE | switch::SWING;

/// `params` with `from`'s redemption policy: every setting the first three decisions read.
fn with_policy_of(params: &FundParams, from: &FundParams) -> FundParams {
    let mut p = *params;
    p.switches = (p.switches & !POLICY_SWITCHES) | (from.switches & POLICY_SWITCHES);
    p.gate_triggers = from.gate_triggers;
    p.gate_rule = from.gate_rule;
    p.gate_min_days = from.gate_min_days;
    p.gate_redemptions_30d = from.gate_redemptions_30d;
    p.gate_alr = from.gate_alr;
    p.gate_stress = from.gate_stress;
    p.gate_cap = from.gate_cap;
    p.gate_investor_cap = from.gate_investor_cap;
    p.swing_threshold = from.swing_threshold;
    p.swing_cap = from.swing_cap;
    p.swing_fixed = from.swing_fixed;
    p
}

/// `params` with `from`'s redemption policy and liquidation strategy: every setting the four
/// decisions read (the waterfall's order aside: it is a record of its own).
fn with_followed_of(params: &FundParams, from: &FundParams) -> FundParams {
    let mut p = with_policy_of(params, from);
    p.strategy = from.strategy;
    p.max_style_drift = from.max_style_drift;
    p
}

/// Whether `a` and `b` have the same redemption policy, byte for byte: a shadow with its lead's
/// policy takes the lead's first three decisions, so they are not evaluated for it.
pub(crate) fn same_policy(a: &FundParams, b: &FundParams) -> bool {
    bytemuck::bytes_of(&with_policy_of(a, b)) == bytemuck::bytes_of(a)
}

/// Whether `variant` differs from `reference` in its redemption policy and liquidation strategy
/// alone, every other record equal byte for byte (the layout, and so the rings, included), so
/// that it can be followed as a shadow of a run of `reference`.
pub fn shadowable(reference: &FundModel, variant: &FundModel) -> bool {
    fn bytes<P: bytemuck::Pod>(v: &[P]) -> &[u8] {
        bytemuck::cast_slice(v)
    }
    let params = with_followed_of(&variant.params, &reference.params);
    bytemuck::bytes_of(&params) == bytemuck::bytes_of(&reference.params)
        && bytes(&variant.positions) == bytes(&reference.positions)
        && bytes(&variant.segments) == bytes(&reference.segments)
        && bytes(&variant.large) == bytes(&reference.large)
        && variant.waterfall_order.len() == reference.waterfall_order.len()
}

/// Whether two numbers have the same bits.
#[inline(always)]
pub(crate) fn same<T: Real>(a: T, b: T) -> bool {
    a.to_f64().to_bits() == b.to_f64().to_bits()
}

/// Records day `t` as the departure day of every shadow still following for which `differs`
/// holds.
#[inline(always)]
fn depart<T: Real>(c: &Ctx, st: &mut St<T>, t: u32, differs: impl Fn(&Ctx, &St<T>) -> bool) {
    for (i, s) in c.shadows.iter().enumerate() {
        if st.departed[i] == STAYED && differs(s, st) {
            st.departed[i] = t;
        }
    }
}

/// [`depart`] at a policy decision (1 to 3): shadows with the lead's policy are skipped.
#[inline(always)]
fn depart_policy<T: Real>(c: &Ctx, st: &mut St<T>, t: u32, differs: impl Fn(&Ctx, &St<T>) -> bool) {
    depart(c, st, t, |s, st| !s.policy_of_lead && differs(s, st));
}

/// Decision 1: the liquidity concern the investors read today (`liq`, the reference's).
#[inline(always)]
pub(crate) fn check_concern<T: Real>(c: &Ctx, st: &mut St<T>, t: u32, liq: T) {
    let nav_prev = nav_prev(st);
    depart_policy(c, st, t, |s, st| {
        !same(liquidity_concern(s, st, t, nav_prev), liq)
    });
}

/// Decision 2: a dealing day's gate (`triggered`: whether the reference's triggers fired, with
/// `alr` today's ALR) and the large holders' eligible shares. Called before the reference
/// updates the gate's remaining days.
#[inline(always)]
pub(crate) fn check_gate<T: Real>(c: &Ctx, st: &mut St<T>, t: u32, alr: T, triggered: bool) {
    let running = st.get(slot::GATE_DAYS_LEFT) > T::zero();
    let gated = triggered || running;
    depart_policy(c, st, t, |s, st| {
        let fired = gate_triggered(s, st, t, alr);
        fired != triggered
            || (triggered && s.fund.gate_min_days != c.fund.gate_min_days)
            || (gated && s.fund.gate_cap.to_bits() != c.fund.gate_cap.to_bits())
            || (c.n_segments()..c.lay.n_holders)
                .any(|h| !same(eligible(s, st, h), eligible(c, st, h)))
    });
}

/// Decision 3: today's swing factor (`swing`, the reference's, for `accepted` shares' value
/// against `nav`).
#[inline(always)]
pub(crate) fn check_swing<T: Real>(
    c: &Ctx,
    st: &mut St<T>,
    t: u32,
    accepted: T,
    nav: T,
    swing: T,
    selling: bool,
) {
    depart_policy(c, st, t, |s, st| {
        !same(swing_factor(s, st, accepted, nav, selling), swing)
    });
}

/// Whether `s` would allocate a positive goal as `c` does: the same strategy, and the same
/// setting of it where it has one (the balanced strategy's style drift, the waterfall's order).
#[inline(always)]
fn same_strategy(s: &Ctx, c: &Ctx) -> bool {
    let (a, b) = (s.fund, c.fund);
    a.strategy == b.strategy
        && (a.strategy != strategy::BALANCED
            || a.max_style_drift.to_bits() == b.max_style_drift.to_bits())
        && (a.strategy != strategy::WATERFALL || s.order == c.order)
}

/// Decision 4: a dealing day with a positive goal to sell (called before the reference
/// allocates it).
#[inline(always)]
pub(crate) fn check_strategy<T: Real>(c: &Ctx, st: &mut St<T>, t: u32) {
    depart(c, st, t, |s, _| !same_strategy(s, c));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simulate::{simulate, simulate_shadowed, Workspace};
    use crate::testing::{busy_fund, calm_scenario, redemption_scenario};

    fn bits(o: &ScenarioOutput) -> Vec<u8> {
        bytemuck::bytes_of(o).to_vec()
    }

    /// The reference: the busy fund with its gate off, swing pricing off, the liquidity concern
    /// fed back from the proximity to its triggers to holders who react to it.
    fn reference() -> FundModel {
        let mut m = busy_fund(6);
        let p = &mut m.params;
        p.switches &= !POLICY_SWITCHES;
        p.switches |= switch::FEEDBACK_LIQ | switch::PROXIMITY_CONCERN;
        p.gate_triggers = gate::REDEMPTIONS_30D;
        p.gate_redemptions_30d = 0.15;
        p.concern_start = 0.5;
        // Holders who react to the concern.
        m.segments[0].base_rate = 0.005;
        m.segments[0].beta_liq = 0.05;
        m.large[0].beta_liq = 0.5;
        m
    }

    /// Variants that reach every decision: gates of several triggers, levels and caps (decisions
    /// 1 and 2), an investor-level gate (2), swing pricing fixed and dynamic (3).
    fn variants(r: &FundModel) -> Vec<FundModel> {
        let mut out = Vec::new();
        for (triggers, level, cap) in [
            (gate::REDEMPTIONS_30D, 0.05, 0.05),
            (gate::REDEMPTIONS_30D, 0.15, 0.05),
            (gate::REDEMPTIONS_30D, 0.15, 0.10),
            (gate::REDEMPTIONS_30D | gate::STRESS, 0.25, 0.05),
            (gate::ALR, 0.25, 0.05),
        ] {
            let mut m = r.clone();
            m.params.switches |= switch::GATES;
            m.params.gate_triggers = triggers;
            m.params.gate_redemptions_30d = level;
            m.params.gate_stress = 0.5;
            m.params.gate_alr = 1.5;
            m.params.gate_cap = cap;
            out.push(m);
        }
        // The concern alone: the reference's gate still off, its trigger level moved.
        let mut m = r.clone();
        m.params.gate_redemptions_30d = 0.05;
        out.push(m);
        let mut m = r.clone();
        m.params.switches |= switch::INVESTOR_GATE;
        m.params.gate_investor_cap = 0.02;
        out.push(m);
        for (threshold, fixed) in [(0.01, 0.01), (0.02, 0.0), (0.2, 0.01)] {
            let mut m = r.clone();
            m.params.switches |= switch::SWING;
            m.params.swing_threshold = threshold;
            m.params.swing_fixed = fixed;
            m.params.swing_cap = 0.02;
            out.push(m);
        }
        out.extend(strategy_variants(r));
        out
    }

    /// Decision 4: the other strategies, the waterfall in another order, the balanced strategy
    /// at a style drift that binds on these scenarios (at the busy fund's 0.1 it allocates as
    /// min-cost does: it departs and changes no record), and a policy variant with another
    /// strategy too.
    fn strategy_variants(r: &FundModel) -> Vec<FundModel> {
        let with = |code: u32| {
            let mut m = r.clone();
            m.params.strategy = code;
            m
        };
        let mut reversed = with(strategy::WATERFALL);
        reversed.waterfall_order.reverse();
        let mut drift = with(strategy::BALANCED);
        drift.params.max_style_drift = 0.02;
        let mut both = with(strategy::PRO_RATA);
        both.params.switches |= switch::GATES;
        both.params.gate_triggers = gate::REDEMPTIONS_30D;
        both.params.gate_redemptions_30d = 0.05;
        both.params.gate_cap = 0.05;
        vec![
            with(strategy::WATERFALL),
            reversed,
            with(strategy::PRO_RATA),
            drift,
            both,
        ]
    }

    fn scenarios() -> Vec<ScenarioParams> {
        let mut v = Vec::new();
        for k in 0..24u32 {
            v.push(match k % 4 {
                0 => calm_scenario(),
                1 => redemption_scenario(1 + k % 5, 1, 0.08 + 0.01 * k as f32),
                2 => redemption_scenario(0, k % 3, 0.3),
                _ => {
                    let mut s = redemption_scenario(2, 0, 0.03);
                    s.flags = 0;
                    s
                }
            });
        }
        v
    }

    /// A shadow that never departs gives the reference's record bit for bit; every variant
    /// departs somewhere and stays somewhere, so every decision's check is exercised both ways.
    fn check<T: Real>(r: &FundModel, vs: &[FundModel]) {
        assert!(vs.iter().all(|v| shadowable(r, v)));
        let vs: Vec<&FundModel> = vs.iter().collect();
        let mut ws = Workspace::<T>::new(r);
        let mut plain = Workspace::<T>::new(r);
        let key = [5, 6];
        let mut stayed = vec![0usize; vs.len()];
        let mut departed_differs = vec![0usize; vs.len()];
        for (k, sc) in scenarios().iter().enumerate() {
            let (out, departed) = simulate_shadowed(r, &vs, sc, k as u32, key, &mut ws);
            assert_eq!(
                bits(&out),
                bits(&simulate(r, sc, k as u32, key, &mut plain))
            );
            for (i, v) in vs.iter().enumerate() {
                let own = simulate(v, sc, k as u32, key, &mut plain);
                if departed[i] == STAYED {
                    stayed[i] += 1;
                    assert_eq!(
                        bits(&own),
                        bits(&out),
                        "variant {i} never departed in scenario {k} but its record differs"
                    );
                } else if bits(&own) != bits(&out) {
                    departed_differs[i] += 1;
                }
            }
        }
        for i in 0..vs.len() {
            assert!(
                stayed[i] > 0,
                "variant {i} departs in every scenario: {stayed:?}"
            );
            assert!(
                departed_differs[i] > 0,
                "variant {i} never changes a record: {departed_differs:?}"
            );
        }
    }

    /// A reference that gates itself (as in the swing calibration, gates as the fund has them),
    /// and a variant that differs only while a gate runs: its cap.
    fn gated_reference() -> (FundModel, Vec<FundModel>) {
        let mut r = reference();
        r.params.switches |= switch::GATES;
        r.params.gate_redemptions_30d = 0.1;
        r.params.gate_cap = 0.1;
        r.params.gate_min_days = 1;
        let mut cap = r.clone();
        cap.params.gate_cap = 0.02;
        (r, vec![cap])
    }

    /// A lead whose gate does not read the ALR (so `policy::deal` need not compute it for the
    /// lead), followed by a variant gated on the ALR alone, with no liquidity concern to depart
    /// it earlier: the variant's gate decision must still see the real ALR.
    #[test]
    fn an_alr_gate_shadow_of_a_lead_without_one_departs_when_its_gate_fires() {
        let mut r = reference();
        r.params.switches &= !switch::FEEDBACK_LIQ;
        let mut alr_gate = r.clone();
        alr_gate.params.switches |= switch::GATES;
        alr_gate.params.gate_triggers = gate::ALR;
        alr_gate.params.gate_alr = 1.5;
        alr_gate.params.gate_cap = 0.05;
        assert!(!crate::policy::reads_alr(&Ctx::new(
            &r,
            &calm_scenario(),
            0,
            [0, 0]
        )));
        check::<f32>(&r, std::slice::from_ref(&alr_gate));
        check::<f64>(&r, &[alr_gate]);
    }

    #[test]
    fn a_shadow_that_stays_is_the_reference_bit_for_bit_f32() {
        let r = reference();
        check::<f32>(&r, &variants(&r));
        let (r, vs) = gated_reference();
        check::<f32>(&r, &vs);
    }

    #[test]
    fn a_shadow_that_stays_is_the_reference_bit_for_bit_f64() {
        let r = reference();
        check::<f64>(&r, &variants(&r));
        let (r, vs) = gated_reference();
        check::<f64>(&r, &vs);
    }

    /// Only the redemption policy may differ: anything else the kernel reads elsewhere (the
    /// concern's start, a ring's length, a position) makes a variant a full rerun.
    #[test]
    fn only_policy_variants_are_shadowable() {
        let r = reference();
        assert!(shadowable(&r, &r));
        let mut m = r.clone();
        m.params.concern_start = 0.6;
        assert!(!shadowable(&r, &m));
        let mut m = r.clone();
        m.params.ring += 1;
        assert!(!shadowable(&r, &m));
        let mut m = r.clone();
        m.positions[0].spread *= 2.0;
        assert!(!shadowable(&r, &m));
        let mut m = r.clone();
        m.params.switches ^= switch::FEEDBACK_LIQ;
        assert!(!shadowable(&r, &m));
        let mut m = r.clone();
        m.params.switches |= switch::SWING;
        m.params.swing_fixed = 0.01;
        assert!(shadowable(&r, &m));
        // The strategy's settings are followed; the class targets the balanced strategy steers
        // to are not (no stage varies them), so a variant that moves them is a full rerun, as is
        // one whose waterfall order is not a permutation of the same positions.
        for v in strategy_variants(&r) {
            assert!(shadowable(&r, &v));
        }
        let mut m = r.clone();
        m.params.class_target_weight[0] += 0.01;
        assert!(!shadowable(&r, &m));
        let mut m = r.clone();
        m.waterfall_order.pop();
        assert!(!shadowable(&r, &m));
    }

    /// Only shadows with the lead's policy skip the policy's decisions: every policy variant
    /// differs from the reference in it, every strategy-only variant does not.
    #[test]
    fn strategy_only_variants_share_the_leads_policy() {
        let r = reference();
        assert!(same_policy(&r.params, &r.params));
        let strategies = strategy_variants(&r);
        let (policy_and_strategy, strategy_only) = strategies.split_last().unwrap();
        assert!(!same_policy(&policy_and_strategy.params, &r.params));
        for v in strategy_only {
            assert!(same_policy(&v.params, &r.params));
        }
        let all = variants(&r);
        for v in &all[..all.len() - strategies.len()] {
            assert!(!same_policy(&v.params, &r.params));
        }
    }

    /// A strategy variant departs only on a day with something to sell, and the same strategy
    /// with a setting it does not read never departs: the waterfall's order under min-cost,
    /// the style drift under the waterfall.
    #[test]
    fn a_strategy_shadow_departs_on_the_first_day_with_a_goal() {
        let r = reference();
        let mut unread = r.clone();
        unread.waterfall_order.reverse();
        unread.params.max_style_drift = 0.3;
        let waterfall = {
            let mut m = r.clone();
            m.params.strategy = strategy::WATERFALL;
            m
        };
        let mut drift_unread = waterfall.clone();
        drift_unread.params.max_style_drift = 0.3;
        let mut ws = Workspace::<f32>::new(&r);
        let (mut departed_somewhere, mut stayed_somewhere) = (false, false);
        for (k, sc) in scenarios().iter().enumerate() {
            let (_, departed) =
                simulate_shadowed(&r, &[&unread, &waterfall], sc, k as u32, [5, 6], &mut ws);
            assert_eq!(
                departed[0], STAYED,
                "scenario {k}: an unread setting departed"
            );
            if departed[1] == STAYED {
                stayed_somewhere = true;
            } else {
                departed_somewhere = true;
            }
            let (_, departed) =
                simulate_shadowed(&waterfall, &[&drift_unread], sc, k as u32, [5, 6], &mut ws);
            assert_eq!(
                departed[0], STAYED,
                "scenario {k}: the waterfall read the drift"
            );
        }
        assert!(departed_somewhere && stayed_somewhere);
    }
}

//! The WGSL records of `params.wgsl` must match their `#[repr(C)]` twins in `kernel/src/params.rs`
//! member for member: same names, same order, same byte offsets, same total size; and the WGSL
//! constants must carry the Rust values.
//!
//! The Rust field lists below are written out by hand, but each is checked by an exhaustive
//! destructuring pattern (no `..`), so a field added to or removed from a Rust struct stops this
//! test from compiling until the list, and therefore the WGSL, is updated too.

use std::collections::HashMap;
use std::mem::{offset_of, size_of};

use undertow_kernel::params::*;
use undertow_kernel::philox::stream;

/// One Rust struct's layout: its size and each field's name and byte offset, in memory order.
struct RustLayout {
    name: &'static str,
    size: usize,
    fields: Vec<(&'static str, usize)>,
}

macro_rules! rust_layout {
    ($ty:ident { $($field:ident),* $(,)? }) => {{
        // Exhaustive destructuring: fails to compile when the struct gains or loses a field.
        #[allow(dead_code)]
        fn exhaustive(v: $ty) {
            let $ty { $($field: _),* } = v;
        }
        RustLayout {
            name: stringify!($ty),
            size: size_of::<$ty>(),
            fields: vec![$((stringify!($field), offset_of!($ty, $field))),*],
        }
    }};
}

/// Rust field names that WGSL reserves, and the names their WGSL twins use instead.
const RENAMED: &[(&str, &str, &str)] = &[("PositionParams", "class", "asset_class")];

fn rust_layouts() -> Vec<RustLayout> {
    vec![
        rust_layout!(FundParams {
            n_positions,
            n_classes,
            n_segments,
            n_large,
            horizon,
            dealing_every,
            redemption_settlement,
            fund_notice,
            ring,
            switches,
            impact_model,
            strategy,
            gate_triggers,
            gate_rule,
            gate_min_days,
            funding_policy,
            participation_cap,
            perm_fraction,
            impact_threshold,
            adaptive_decay,
            buffer_rebuild_rate,
            max_style_drift,
            initial_cash,
            late_settlement_penalty,
            lam_max,
            gate_redemptions_30d,
            gate_alr,
            gate_stress,
            gate_cap,
            gate_investor_cap,
            swing_threshold,
            swing_cap,
            swing_fixed,
            in_kind_threshold,
            credit_line,
            borrowing_cap,
            repo_haircut,
            funding_rate,
            event_outflow_5d,
            illiquid_limit,
            buffer_exhausted_level,
            impact_half_life,
            impact_permanent_share,
            gate_concern,
            concern_start,
            event_drawdown,
            _pad0,
            stress_weights,
            _pad1,
            indicator_thresholds,
            _pad2,
            class_target_weight,
        }),
        rust_layout!(PositionParams {
            class,
            tier,
            flags,
            window,
            lag,
            _pad,
            weight,
            adv,
            spread,
            vol,
            impact,
            duration,
            convexity,
            alpha,
        }),
        rust_layout!(SegmentParams {
            share,
            base_rate,
            beta_perf,
            beta_herd,
            beta_liq,
            beta_stress,
            flow_vol,
            notice,
        }),
        rust_layout!(LargeInvestorParams {
            stake,
            hazard,
            beta_perf,
            beta_herd,
            beta_liq,
            beta_stress,
            fraction,
            notice,
        }),
        rust_layout!(ScenarioParams {
            family,
            regime,
            flags,
            n_events,
            onset,
            ramp,
            plateau,
            _pad0,
            half_life,
            rho,
            redemption_mult,
            redemption_severity,
            large_mult,
            funding_shock,
            haircut_addon,
            market_severity,
            rate_shock,
            credit_spread_shock,
            recovery,
            _pad1,
            depth_cut,
            spread_mult,
            volume_cut,
            price_shock,
            vol_mult,
            crowding,
            event_day,
            event_holder,
            event_fraction,
        }),
        rust_layout!(ScenarioOutput {
            requested,
            accepted,
            paid,
            deferred_end,
            gate_days,
            first_gate_day,
            shortfall,
            first_shortfall_day,
            suspended,
            cost_spread,
            cost_impact,
            mtm_loss,
            nav_end,
            max_drawdown,
            min_alr,
            min_cash,
            buffer_exhausted_day,
            peak_funding,
            swing_income,
            dilution,
            illiquid_end,
            first_illiquid_breach_day,
            large_redeemed,
            event_day,
            portfolio_sold,
            in_kind,
            funding_cost,
            debt_end,
            cum_outflow,
            cum_requested,
            cum_cost,
            ew_first_breach,
            accepted_shares,
            _pad,
        }),
    ]
}

/// One WGSL struct's layout as naga computes it for a storage buffer.
struct WgslLayout {
    size: usize,
    members: Vec<(String, usize)>,
}

fn params_module() -> naga::Module {
    naga::front::wgsl::parse_str(undertow_shaders::PARAMS).unwrap_or_else(|e| {
        panic!(
            "params.wgsl:\n{}",
            e.emit_to_string(undertow_shaders::PARAMS)
        )
    })
}

fn wgsl_layouts(module: &naga::Module) -> HashMap<String, WgslLayout> {
    let mut out = HashMap::new();
    for (_, ty) in module.types.iter() {
        if let (Some(name), naga::TypeInner::Struct { members, span }) = (&ty.name, &ty.inner) {
            let members = members
                .iter()
                .map(|m| (m.name.clone().unwrap_or_default(), m.offset as usize))
                .collect();
            out.insert(
                name.clone(),
                WgslLayout {
                    size: *span as usize,
                    members,
                },
            );
        }
    }
    out
}

#[test]
fn wgsl_records_match_their_rust_twins() {
    let module = params_module();
    let wgsl = wgsl_layouts(&module);
    let rust = rust_layouts();
    assert_eq!(
        wgsl.len(),
        rust.len(),
        "params.wgsl declares {} structs, the test knows {} Rust twins",
        wgsl.len(),
        rust.len()
    );
    for r in &rust {
        let w = wgsl
            .get(r.name)
            .unwrap_or_else(|| panic!("params.wgsl has no struct {}", r.name));
        assert_eq!(
            w.members.len(),
            r.fields.len(),
            "{}: {} WGSL members vs {} Rust fields",
            r.name,
            w.members.len(),
            r.fields.len()
        );
        for ((w_name, w_off), (r_name, r_off)) in w.members.iter().zip(&r.fields) {
            let expected = RENAMED
                .iter()
                .find(|(s, f, _)| *s == r.name && f == r_name)
                .map_or(*r_name, |(_, _, wgsl_name)| *wgsl_name);
            assert_eq!(w_name, expected, "{}: member order or name differs", r.name);
            assert_eq!(
                w_off, r_off,
                "{}.{}: WGSL offset {} vs Rust {}",
                r.name, r_name, w_off, r_off
            );
        }
        assert_eq!(
            w.size, r.size,
            "{}: WGSL size {} vs Rust size {}",
            r.name, w.size, r.size
        );
    }
}

/// Reads a `u32` or `f32` module-scope constant's value from a parsed module.
fn constant(module: &naga::Module, name: &str) -> naga::Literal {
    let c = module
        .constants
        .iter()
        .find(|(_, c)| c.name.as_deref() == Some(name))
        .unwrap_or_else(|| panic!("no WGSL constant {name}"))
        .1;
    match module.global_expressions[c.init] {
        naga::Expression::Literal(lit) => lit,
        ref other => panic!("{name} is not a literal after constant evaluation: {other:?}"),
    }
}

fn u32_constant(module: &naga::Module, name: &str) -> u32 {
    match constant(module, name) {
        naga::Literal::U32(v) => v,
        other => panic!("{name} is not a u32: {other:?}"),
    }
}

#[test]
fn wgsl_constants_carry_the_rust_values() {
    let module = params_module();
    let expected: &[(&str, u32)] = &[
        ("MAX_CLASSES", MAX_CLASSES as u32),
        ("MAX_SCRIPT_EVENTS", MAX_SCRIPT_EVENTS as u32),
        ("N_INDICATORS", N_INDICATORS as u32),
        ("N_STRESS_COMPONENTS", N_STRESS_COMPONENTS as u32),
        ("SWITCH_NOISE", switch::NOISE),
        ("SWITCH_FEEDBACK_PERF", switch::FEEDBACK_PERF),
        ("SWITCH_FEEDBACK_HERD", switch::FEEDBACK_HERD),
        ("SWITCH_FEEDBACK_LIQ", switch::FEEDBACK_LIQ),
        ("SWITCH_FEEDBACK_STRESS", switch::FEEDBACK_STRESS),
        ("SWITCH_CROWDING", switch::CROWDING),
        ("SWITCH_PERM_IMPACT", switch::PERM_IMPACT),
        ("SWITCH_FUNDING", switch::FUNDING),
        ("SWITCH_GATES", switch::GATES),
        ("SWITCH_SWING", switch::SWING),
        ("SWITCH_IN_KIND", switch::IN_KIND),
        ("SWITCH_INVESTOR_GATE", switch::INVESTOR_GATE),
        ("SWITCH_IDIO_NOISE", switch::IDIO_NOISE),
        ("SWITCH_LARGE_INVESTORS", switch::LARGE_INVESTORS),
        ("SWITCH_BASE_FLOWS", switch::BASE_FLOWS),
        ("SWITCH_STRESS_CROWDING", switch::STRESS_CROWDING),
        ("SWITCH_OWN_IMPACT_ONLY", switch::OWN_IMPACT_ONLY),
        ("SWITCH_STRESS_FLOWS", switch::STRESS_FLOWS),
        ("SWITCH_PROXIMITY_CONCERN", switch::PROXIMITY_CONCERN),
        ("IMPACT_LINEAR", impact::LINEAR),
        ("IMPACT_SQUARE_ROOT", impact::SQUARE_ROOT),
        ("IMPACT_THRESHOLD", impact::THRESHOLD),
        ("IMPACT_ADAPTIVE", impact::ADAPTIVE),
        ("STRATEGY_WATERFALL", strategy::WATERFALL),
        ("STRATEGY_PRO_RATA", strategy::PRO_RATA),
        ("STRATEGY_MIN_COST", strategy::MIN_COST),
        ("STRATEGY_BALANCED", strategy::BALANCED),
        ("GATE_REDEMPTIONS_30D", gate::REDEMPTIONS_30D),
        ("GATE_ALR", gate::ALR),
        ("GATE_STRESS", gate::STRESS),
        ("GATE_RULE_ANY", gate::RULE_ANY),
        ("GATE_RULE_ALL", gate::RULE_ALL),
        ("FUNDING_BRIDGE", funding::BRIDGE),
        ("FUNDING_FIRST", funding::FIRST),
        ("FUNDING_NEVER", funding::NEVER),
        ("TIER_NONE", tier::NONE),
        ("TIER_CASH_LIKE", tier::CASH_LIKE),
        ("TIER_SOVEREIGN", tier::SOVEREIGN),
        ("TIER_ETF", tier::ETF),
        ("PFLAG_REPO_ELIGIBLE", pflag::REPO_ELIGIBLE),
        ("PFLAG_ILLIQUID", pflag::ILLIQUID),
        ("PFLAG_RATE_ROUTE", pflag::RATE_ROUTE),
        ("PFLAG_SPREAD_ROUTE", pflag::SPREAD_ROUTE),
        ("SFLAG_SCRIPTED", sflag::SCRIPTED),
        ("SFLAG_DURATION_ROUTE", sflag::DURATION_ROUTE),
    ];
    for (name, value) in expected {
        assert_eq!(u32_constant(&module, name), *value, "WGSL constant {name}");
    }
    assert_eq!(constant(&module, "NEVER"), naga::Literal::F32(NEVER));
}

#[test]
fn philox_stream_ids_carry_the_rust_values() {
    let module =
        naga::front::wgsl::parse_str(undertow_shaders::PHILOX).expect("philox.wgsl parses");
    for (name, value) in [
        ("STREAM_MARKET", stream::MARKET),
        ("STREAM_IDIO", stream::IDIO),
        ("STREAM_FLOWS", stream::FLOWS),
        ("STREAM_LARGE", stream::LARGE),
    ] {
        assert_eq!(u32_constant(&module, name), value, "WGSL constant {name}");
    }
    assert_eq!(
        constant(&module, "PHILOX_PI"),
        naga::Literal::F32(std::f32::consts::PI)
    );
}

/// The comparison above must notice a drifted layout: feed it a WGSL struct with two members
/// swapped and one missing, and check the layouts differ.
#[test]
fn a_drifted_struct_is_noticed() {
    let drifted = "struct SegmentParams { base_rate: f32, share: f32, beta_perf: f32 }";
    let module = naga::front::wgsl::parse_str(drifted).expect("parses");
    let w = &wgsl_layouts(&module)["SegmentParams"];
    let r = rust_layouts()
        .into_iter()
        .find(|r| r.name == "SegmentParams")
        .unwrap();
    assert_ne!(w.size, r.size);
    assert_ne!(w.members.len(), r.fields.len());
    assert_ne!(w.members[0].0, r.fields[0].0);
}

//! `layout.wgsl` against `kernel/src/layout.rs`: every slot constant has the Rust value and the
//! `Layout` uniform has the Rust fields in the Rust order.

use undertow_kernel::layout::{slot, Layout, TRAIL};
use undertow_shaders::{compose, LAYOUT};

fn wgsl_constants() -> Vec<(String, u32)> {
    LAYOUT
        .lines()
        .filter_map(|l| l.strip_prefix("const "))
        .map(|l| {
            let (name, rest) = l.split_once(": u32 = ").expect("const NAME: u32 = Nu;");
            let value = rest
                .trim_end_matches(';')
                .trim_end_matches('u')
                .parse()
                .expect("a literal");
            (name.to_string(), value)
        })
        .collect()
}

#[test]
fn slot_constants_match_the_kernel() {
    let rust: &[(&str, u32)] = &[
        ("TRAIL", TRAIL),
        ("SLOT_CASH", slot::CASH),
        ("SLOT_DEBT", slot::DEBT),
        ("SLOT_SHARES", slot::SHARES),
        ("SLOT_ARREARS", slot::ARREARS),
        ("SLOT_NAV", slot::NAV),
        ("SLOT_NU", slot::NU),
        ("SLOT_NU_PEAK", slot::NU_PEAK),
        ("SLOT_NU_PREV", slot::NU_PREV),
        ("SLOT_ALR_PREV", slot::ALR_PREV),
        ("SLOT_GATE_PREV", slot::GATE_PREV),
        ("SLOT_GATE_DAYS_LEFT", slot::GATE_DAYS_LEFT),
        ("SLOT_STRESS_PREV", slot::STRESS_PREV),
        ("SLOT_G", slot::G),
        ("SLOT_G_PREV", slot::G_PREV),
        ("SLOT_ACC_TODAY_CASH", slot::ACC_TODAY_CASH),
        ("SLOT_ACC_TODAY", slot::ACC_TODAY),
        ("SLOT_GATE_TODAY", slot::GATE_TODAY),
        ("SLOT_SHORTFALL_TODAY", slot::SHORTFALL_TODAY),
        ("SLOT_NAV_PNL", slot::NAV_PNL),
        ("SLOT_CUM_ACC_CASH", slot::CUM_ACC_CASH),
        ("SLOT_REQ_SHARES", slot::REQ_SHARES),
        ("SLOT_ACC_SHARES", slot::ACC_SHARES),
        ("SLOT_LARGE_NOTICES", slot::LARGE_NOTICES),
        ("SLOT_REQUESTED", slot::REQUESTED),
        ("SLOT_ACCEPTED", slot::ACCEPTED),
        ("SLOT_PAID", slot::PAID),
        ("SLOT_GATE_DAYS", slot::GATE_DAYS),
        ("SLOT_FIRST_GATE", slot::FIRST_GATE),
        ("SLOT_SHORTFALL_PEAK", slot::SHORTFALL_PEAK),
        ("SLOT_FIRST_SHORTFALL", slot::FIRST_SHORTFALL),
        ("SLOT_COST_SPREAD", slot::COST_SPREAD),
        ("SLOT_COST_IMPACT", slot::COST_IMPACT),
        ("SLOT_MAX_DD", slot::MAX_DD),
        ("SLOT_MIN_ALR", slot::MIN_ALR),
        ("SLOT_MIN_CASH", slot::MIN_CASH),
        ("SLOT_BUFFER_EXHAUSTED", slot::BUFFER_EXHAUSTED),
        ("SLOT_PEAK_FUNDING", slot::PEAK_FUNDING),
        ("SLOT_SWING_INCOME", slot::SWING_INCOME),
        ("SLOT_FIRST_ILLIQUID", slot::FIRST_ILLIQUID),
        ("SLOT_EVENT_DAY", slot::EVENT_DAY),
        ("SLOT_PORTFOLIO_SOLD", slot::PORTFOLIO_SOLD),
        ("SLOT_IN_KIND", slot::IN_KIND),
        ("SLOT_FUNDING_COST", slot::FUNDING_COST),
        ("SLOT_ILLIQUID_SHARE", slot::ILLIQUID_SHARE),
        ("SLOT_CUM_OUTFLOW", slot::CUM_OUTFLOW),
        ("SLOT_CUM_REQUESTED", slot::CUM_REQUESTED),
        ("SLOT_CUM_COST", slot::CUM_COST),
        ("SLOT_EW_FIRST", slot::EW_FIRST),
        ("SLOT_RCV_TOTAL", slot::RCV_TOTAL),
        ("SLOT_PAY_TOTAL", slot::PAY_TOTAL),
        ("SLOT_COUNT", slot::COUNT),
    ];
    let wgsl = wgsl_constants();
    assert_eq!(
        wgsl.len(),
        rust.len(),
        "layout.wgsl and the test list differ in length: {wgsl:?}"
    );
    for ((wn, wv), (rn, rv)) in wgsl.iter().zip(rust) {
        assert_eq!(
            (wn.as_str(), *wv),
            (*rn, *rv),
            "layout.wgsl constant differs from kernel/src/layout.rs"
        );
    }
}

#[test]
fn layout_uniform_matches_the_kernel_struct() {
    let module = naga::front::wgsl::parse_str(&compose(&[LAYOUT])).expect("layout.wgsl parses");
    let members = module
        .types
        .iter()
        .find_map(|(_, ty)| match (&ty.name, &ty.inner) {
            (Some(n), naga::TypeInner::Struct { members, span }) if n == "Layout" => {
                Some((members.clone(), *span))
            }
            _ => None,
        })
        .expect("struct Layout");
    assert_eq!(members.1 as usize, size_of::<Layout>());
    // Field names in the Rust order, read from the Debug output of a zeroed value.
    let debug = format!("{:?}", <Layout as bytemuck::Zeroable>::zeroed());
    let rust_names: Vec<&str> = debug
        .trim_start_matches("Layout { ")
        .trim_end_matches(" }")
        .split(", ")
        .map(|f| f.split(':').next().unwrap())
        .collect();
    let wgsl_names: Vec<String> = members.0.iter().map(|m| m.name.clone().unwrap()).collect();
    assert_eq!(wgsl_names, rust_names);
}

/// The searches' fixed step counts in `liquidation.wgsl` are the Rust twin's: the twins follow
/// the same control flow, and the GPU's loop estimate counts the Rust values.
#[test]
fn search_steps_match_the_kernel() {
    use undertow_kernel::liquidation::{BISECTION_STEPS, MIN_COST_STEPS, NET_TO_GROSS_STEPS};
    let wgsl: Vec<(&str, &str)> = undertow_shaders::LIQUIDATION
        .lines()
        .filter_map(|l| l.strip_prefix("const "))
        .filter_map(|l| l.split_once(": u32 = "))
        .collect();
    for (name, rust) in [
        ("BISECTION_STEPS", BISECTION_STEPS),
        ("MIN_COST_STEPS", MIN_COST_STEPS),
        ("NET_TO_GROSS_STEPS", NET_TO_GROSS_STEPS),
    ] {
        let value = wgsl
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.trim_end_matches(';').trim_end_matches('u'));
        assert_eq!(
            value,
            Some(rust.to_string().as_str()),
            "liquidation.wgsl's {name} differs from kernel/src/liquidation.rs"
        );
    }
}

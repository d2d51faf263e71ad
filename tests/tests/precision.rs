//! The f32 reference (what the GPU computes) against the f64 run on a few thousand scenarios of
//! the example fund: the f64 run bounds the f32 error.

use undertow_host::validate::{compare, Tolerances};
use undertow_tests::{cpu_f32, cpu_f64, example_sweep, Runner};

/// f32 and f64 may part ways where a tiny difference flips a threshold (a hazard draw, a gate
/// trigger) and the paths diverge; at least 99% of scenarios must still agree on every output
/// within the GPU tolerance, and aggregates within 1e-3 relative.
pub const F32_F64_MIN_AGREEMENT: f64 = 0.99;

#[test]
fn f32_is_within_tolerance_of_f64() {
    let (fund, scenarios) = example_sweep(3000, 21);
    let lo = cpu_f32().run(&fund.model, &scenarios, 21);
    let hi = cpu_f64().run(&fund.model, &scenarios, 21);
    let t = Tolerances { min_agreement: F32_F64_MIN_AGREEMENT, min_discrete_agreement: F32_F64_MIN_AGREEMENT, freq_abs: 2e-3, ..Default::default() };
    let r = compare(&hi, &lo, &t);
    println!("{r}");
    assert!(r.passed, "{r}");
}

//! The f32 reference (what the GPU computes) against the f64 run on a few thousand scenarios of
//! the example fund: the f64 run bounds the f32 error.

use undertow_host::validate::{compare, Tolerances};
use undertow_tests::{cpu_f32, cpu_f64, example_sweep, Runner};

#[test]
fn f32_is_within_tolerance_of_f64() {
    let (fund, scenarios) = example_sweep(3000, 21);
    let lo = cpu_f32().run(&fund.model, &scenarios, 21);
    let hi = cpu_f64().run(&fund.model, &scenarios, 21);
    // The same tolerances as GPU against CPU (MODEL.md 8): the f64 run bounds the f32 error.
    let r = compare(&hi, &lo, &Tolerances::default());
    println!("{r}");
    assert!(r.passed, "{r}");
}

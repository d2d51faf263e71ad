//! Undertow's kernel: the model types and the per-scenario daily math of the liquidity stress
//! cascade (MODEL.md sections 3 to 6).
//!
//! Architecture invariant: this crate knows nothing of wgpu or rayon. Every stage module has a
//! WGSL twin of the same name in `shaders/wgsl/` that follows it line for line. The math is
//! generic over [`Real`], so the same source runs in `f32` (what the GPU computes) and `f64`.

pub mod ctx;
pub mod investors;
pub mod isa;
pub mod lanes;
pub mod layout;
pub mod ledger;
pub mod liquidation;
pub mod market;
pub mod math;
pub mod metrics;
pub mod params;
pub mod philox;
pub mod policy;
pub mod real;
pub mod shadow;
pub mod simulate;
pub mod testing;

pub use params::*;
pub use real::Real;
pub use simulate::{
    simulate, simulate_lanes, simulate_observed, simulate_shadowed, simulate_shadowed_observed,
    simulate_traced, DayTrace, DayView, Workspace,
};

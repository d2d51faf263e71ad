//! Undertow's kernel: the model types and the per-scenario daily math of the liquidity stress
//! cascade (MODEL.md sections 3 to 6).
//!
//! Architecture invariant: this crate knows nothing of wgpu or rayon. Every stage module has a
//! WGSL twin of the same name in `shaders/wgsl/` that follows it line for line.

pub mod params;
pub mod philox;
pub mod real;

pub use params::*;
pub use real::Real;

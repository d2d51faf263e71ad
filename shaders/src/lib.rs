//! WGSL sources of the kernel stages, embedded at compile time. Each `wgsl/NAME.wgsl` has a Rust
//! twin `kernel/src/NAME.rs`.

/// Philox4x32-10 and the uniform/normal mappings. Twin: `kernel/src/philox.rs`.
pub const PHILOX: &str = include_str!("../wgsl/philox.wgsl");

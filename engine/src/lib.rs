//! A run end to end, as a library: the fund with the flags' overrides, the sweep, the analysis
//! stages, `summary.json`, the report, every file written atomically. The `undertow` binary (and
//! any binding) wraps this crate; it holds no domain logic of its own.

pub mod files;
pub mod summary;

pub use summary::Summary;

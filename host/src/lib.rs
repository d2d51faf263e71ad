//! Host side of Undertow: fund files, scenario generation, the CPU backend (rayon), sweeps,
//! aggregation, the comparator and output files. The GPU backend (`undertow-gpu`), the analysis
//! (`undertow-analysis`) and the report (`undertow-report`) are crates of their own above it.
//!
//! Architecture invariant: the kernel's math is never re-implemented here; the host prepares
//! inputs, schedules scenarios and summarises records.

pub mod aggregate;
pub mod atomic;
pub mod backend;
pub mod cpu;
pub mod fund;
pub mod output;
pub mod run;
pub mod scenarios;
pub mod validate;

//! Host side of Undertow: fund files, scenario generation, the CPU backend (rayon), sweeps,
//! aggregation, outputs and analysis.
//!
//! Architecture invariant: the kernel's math is never re-implemented here; the host prepares
//! inputs, schedules scenarios and summarises records.

pub mod aggregate;
pub mod analysis;
pub mod backend;
pub mod cpu;
pub mod fund;
pub mod gpu;
pub mod names;
pub mod output;
pub mod report;
pub mod run;
pub mod scenarios;
pub mod validate;

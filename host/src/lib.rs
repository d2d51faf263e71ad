//! Host side of Undertow: fund files, scenario generation, the CPU backend (rayon), aggregation
//! and analysis.

pub mod fund;
pub mod scenarios;

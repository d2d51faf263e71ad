//! WGSL sources of the kernel stages, embedded at compile time, and the recipe that composes each
//! compute pipeline's module from them.
//!
//! Each model file `wgsl/NAME.wgsl` has a Rust twin `kernel/src/NAME.rs` that it follows line for
//! line. WGSL has no `#include`, so a pipeline's module is its shared files followed by its own
//! file, concatenated by [`compose`] (shared code first: WGSL allows any declaration order, but
//! reading top-down is easier). Diagnostic pipelines that exercise shared code on the GPU live in
//! `wgsl/probes/` ([`probes`]); they have no Rust twin of their own.
//!
//! Architecture invariant: this crate is data only. It depends on nothing at run time (naga and
//! the kernel are dev-dependencies): the tests parse and validate every composed module with
//! naga, so a broken shader fails `cargo test` rather than a user's run, and they check the WGSL
//! records against the kernel's `#[repr(C)]` structs.

/// The model's GPU records (fund, positions, investors, scenarios, outputs) and their constants.
/// Twin: `kernel/src/params.rs`.
pub const PARAMS: &str = include_str!("../wgsl/params.wgsl");

/// Philox4x32-10 and the uniform/normal mappings. Twin: `kernel/src/philox.rs`.
pub const PHILOX: &str = include_str!("../wgsl/philox.wgsl");

/// The state layout's slots and the `Layout` uniform. Twin: `kernel/src/layout.rs`.
pub const LAYOUT: &str = include_str!("../wgsl/layout.wgsl");

/// Bindings, per-invocation context and state accessors. Twin: `kernel/src/ctx.rs`.
pub const CTX: &str = include_str!("../wgsl/ctx.wgsl");

/// The kernel stages, one file each. Twins: `kernel/src/{market,ledger,investors,policy,
/// liquidation,metrics,simulate}.rs`.
pub const MARKET: &str = include_str!("../wgsl/market.wgsl");
pub const LEDGER: &str = include_str!("../wgsl/ledger.wgsl");
pub const INVESTORS: &str = include_str!("../wgsl/investors.wgsl");
pub const POLICY: &str = include_str!("../wgsl/policy.wgsl");
pub const LIQUIDATION: &str = include_str!("../wgsl/liquidation.wgsl");
pub const METRICS: &str = include_str!("../wgsl/metrics.wgsl");
pub const SIMULATE: &str = include_str!("../wgsl/simulate.wgsl");

/// Every shared module, by file stem, in the order stages compose them.
pub const SHARED_MODULES: &[(&str, &str)] = &[("params", PARAMS), ("philox", PHILOX)];

/// The simulation module: every stage, composed once; its entry points are the pipelines below.
pub const SIMULATION_MODULES: &[&str] = &[
    PARAMS,
    PHILOX,
    LAYOUT,
    CTX,
    MARKET,
    LEDGER,
    INVESTORS,
    POLICY,
    LIQUIDATION,
    METRICS,
    SIMULATE,
];

/// The simulation's pipelines (all from [`SIMULATION_MODULES`], one entry point each), in the
/// order a chunk runs them: `init`, then per day `market`, `ledger`, `investors`, `policy`,
/// `liquidation`, `metrics`, then `finish`. `whole_run` is the deliberately long diagnostic.
pub mod simulation {
    use super::{PipelineSpec, SIMULATION_MODULES};

    const fn spec(name: &'static str, entry_point: &'static str) -> PipelineSpec {
        PipelineSpec {
            name,
            entry_point,
            workgroup_size: 64,
            modules: SIMULATION_MODULES,
        }
    }

    pub const INIT: PipelineSpec = spec("init", "init_main");
    pub const MARKET: PipelineSpec = spec("market", "market_main");
    pub const LEDGER: PipelineSpec = spec("ledger", "ledger_main");
    pub const INVESTORS: PipelineSpec = spec("investors", "investors_main");
    pub const POLICY: PipelineSpec = spec("policy", "policy_main");
    pub const LIQUIDATION: PipelineSpec = spec("liquidation", "liquidation_main");
    pub const METRICS: PipelineSpec = spec("metrics", "metrics_main");
    pub const FINISH: PipelineSpec = spec("finish", "finish_main");
    pub const WHOLE_RUN: PipelineSpec = spec("whole_run", "whole_run_main");

    /// A day's stages, in order.
    pub const DAY: [PipelineSpec; 6] = [MARKET, LEDGER, INVESTORS, POLICY, LIQUIDATION, METRICS];
}

/// Concatenates WGSL modules into one source, in the order given (shared code first).
///
/// Each part is separated from the next by a newline so that a part without a trailing newline
/// cannot glue its last line onto the next part's first. A module must appear only once: WGSL has
/// no include guards, and a repeated declaration is an error.
pub fn compose(parts: &[&str]) -> String {
    let mut source = String::with_capacity(parts.iter().map(|p| p.len() + 1).sum());
    for part in parts {
        source.push_str(part);
        if !part.ends_with('\n') {
            source.push('\n');
        }
    }
    source
}

/// One compute pipeline: the modules its source is composed from, its entry point and its
/// (one-dimensional) workgroup size, which the host needs to plan chunks and size dispatches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PipelineSpec {
    /// Name for labels and error messages.
    pub name: &'static str,
    /// The `@compute` entry point.
    pub entry_point: &'static str,
    /// `@workgroup_size(x)` of the entry point; the tests check the WGSL agrees.
    pub workgroup_size: u32,
    /// Sources to [`compose`], shared modules first.
    pub modules: &'static [&'static str],
}

impl PipelineSpec {
    /// The pipeline's composed WGSL source.
    pub fn source(&self) -> String {
        compose(self.modules)
    }
}

/// Diagnostic pipelines that run shared code on the GPU so that tests can compare it with the
/// CPU, or exercise the host's chunking and dispatch machinery without any model math.
pub mod probes {
    use super::PipelineSpec;

    /// Evaluates `mulhilo_16`, `philox4x32_10`, `uniform_f32`, `normal4`, `normal_at` and
    /// `uniform_at` over a list of cases (bindings: 0 `cases`, read; 1 `results`, read-write).
    pub const PHILOX_PROBE: PipelineSpec = PipelineSpec {
        name: "philox_probe",
        entry_point: "philox_probe",
        workgroup_size: 64,
        modules: &[
            super::PHILOX,
            include_str!("../wgsl/probes/philox_probe.wgsl"),
        ],
    };

    /// A stand-in for a simulation day: marks each scenario of a chunk and accumulates the day
    /// into structure-of-arrays state (bindings: 0 header, uniform; 1 `state`; 2 `visits`).
    pub const CHUNK_PROBE: PipelineSpec = PipelineSpec {
        name: "chunk_probe",
        entry_point: "chunk_probe",
        workgroup_size: 64,
        modules: &[include_str!("../wgsl/probes/chunk_probe.wgsl")],
    };
}

/// Every compute pipeline of the project. The tests validate each one; add new stages here.
pub const PIPELINES: &[PipelineSpec] = &[
    probes::PHILOX_PROBE,
    probes::CHUNK_PROBE,
    simulation::INIT,
    simulation::MARKET,
    simulation::LEDGER,
    simulation::INVESTORS,
    simulation::POLICY,
    simulation::LIQUIDATION,
    simulation::METRICS,
    simulation::FINISH,
    simulation::WHOLE_RUN,
];

//! Reruns for the analysis stages: the same scenarios (same seed, same indices, same scenario
//! records) on a variant of the fund, so that every comparison is on common random numbers.
//!
//! A scenario's parameters depend only on `(seed, index)` and the fund's classes and horizon, and
//! the kernel's Philox streams only on `(seed, index, day, stream)`, never on a switch or on the
//! number of positions. So the scenario records are generated once, from the fund as given, and
//! handed unchanged to every variant: switching a channel off, adding buffer positions or
//! shortening the simulated horizon changes the fund, never the scenarios.

use undertow_kernel::{DayView, FundModel, ScenarioOutput, ScenarioParams};

use undertow_host::cpu::CpuBackend;

/// Scenarios one rayon task simulates with one workspace.
const CHUNK: usize = 32;

/// Where each holder stood at the horizon: what it had asked to redeem and what was accepted,
/// in shares (one share in issue at day 0, so a holder with a 5% stake starts with 0.05 shares;
/// at the initial NAV per share, shares read as fractions of initial NAV).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HolderEnd {
    /// Shares requested (accepted plus still due or serving notice), segments first, then large
    /// investors in the kernel's order (largest stake first).
    pub requested: Vec<f64>,
    /// Shares accepted and cancelled.
    pub accepted: Vec<f64>,
}

/// Runs the analysis' simulations on its own thread pool: the CPU backend in `f32`, with the
/// observers the stages need.
pub struct Simulator {
    cpu: CpuBackend,
}

impl Simulator {
    /// `threads = None` uses every core.
    pub fn new(threads: Option<usize>) -> Result<Simulator, rayon::ThreadPoolBuildError> {
        Ok(Simulator {
            cpu: CpuBackend::new(threads, CHUNK)?,
        })
    }

    pub fn threads(&self) -> usize {
        self.cpu.threads()
    }

    /// Simulates `scenarios` (the first has index `first_index`) on `model`, in `f32` like the
    /// main sweep, so that the unchanged fund reproduces the sweep's records bit for bit.
    pub fn run(
        &self,
        model: &FundModel,
        scenarios: &[ScenarioParams],
        first_index: u64,
        seed: u64,
    ) -> Vec<ScenarioOutput> {
        self.cpu.run::<f32>(model, scenarios, first_index, seed)
    }

    /// As [`Simulator::run`], and reads each holder's redemptions from the final state.
    pub fn run_with_holders(
        &self,
        model: &FundModel,
        scenarios: &[ScenarioParams],
        first_index: u64,
        seed: u64,
    ) -> (Vec<ScenarioOutput>, Vec<HolderEnd>) {
        let initial: Vec<f64> = model
            .segments
            .iter()
            .map(|s| s.share as f64)
            .chain(model.large.iter().map(|l| l.stake as f64))
            .collect();
        self.cpu.run_observed::<f32, HolderEnd>(
            model,
            scenarios,
            first_index,
            seed,
            HolderEnd::default,
            |end, view| {
                if view.is_last_day() {
                    *end = holder_end(view, &initial);
                }
            },
        )
    }
}

/// Reads the holders' positions from a finished scenario's state: shares are cancelled at
/// acceptance, so accepted = initial − held; requests not yet accepted are still due or queued.
fn holder_end(view: &DayView<'_, f32>, initial: &[f64]) -> HolderEnd {
    let mut end = HolderEnd {
        requested: Vec::with_capacity(initial.len()),
        accepted: Vec::with_capacity(initial.len()),
    };
    for (h, start) in initial.iter().enumerate() {
        let h = h as u32;
        let accepted = (start - view.held(h)).max(0.0);
        end.accepted.push(accepted);
        end.requested.push(accepted + view.pending(h).max(0.0));
    }
    end
}

/// The model with a shorter simulated horizon: days before it are unchanged (the simulation is
/// causal), and the horizon snapshots past it are taken on its last day.
pub fn with_horizon(model: &FundModel, horizon: u32) -> FundModel {
    let mut m = model.clone();
    m.params.horizon = horizon.clamp(1, model.params.horizon.max(1));
    m
}

/// The model with the given switch bits turned off.
pub fn without(model: &FundModel, bits: u32) -> FundModel {
    let mut m = model.clone();
    m.params.switches &= !bits;
    m
}

/// Where each position stood at the horizon and what the fund sold of it, read day by day from
/// the state (for the liquidation designer's alpha forgone, style drift and factor deviation).
/// Values are fractions of initial NAV; one entry per position in kernel order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PositionEnd {
    /// Holding value at the horizon, `h_p P_p` from the final state.
    pub value: Vec<f64>,
    /// Price at the horizon `P_p` (1 at day 0), so that `w_p P_p` is what the day-0 holding
    /// would be worth had nothing been sold.
    pub price: Vec<f64>,
    /// Value sold over the run, `Σ_t q_p(t)` (each day's sale at that day's mid price).
    pub sold: Vec<f64>,
    /// Sold value times the days left after the sale, `Σ_t q_p(t) (H − 1 − t)`: what earns no
    /// more alpha for the rest of the horizon.
    pub sold_days_left: Vec<f64>,
}

impl Simulator {
    /// As [`Simulator::run`], and reads each position's sales every day and its value at the
    /// horizon. An observer of the kernel's own simulation, so the outputs are those of
    /// [`Simulator::run`] bit for bit.
    pub fn run_with_positions(
        &self,
        model: &FundModel,
        scenarios: &[ScenarioParams],
        first_index: u64,
        seed: u64,
    ) -> (Vec<ScenarioOutput>, Vec<PositionEnd>) {
        let np = model.params.n_positions as usize;
        let fresh = || PositionEnd {
            value: vec![0.0; np],
            price: vec![0.0; np],
            sold: vec![0.0; np],
            sold_days_left: vec![0.0; np],
        };
        self.cpu.run_observed::<f32, PositionEnd>(
            model,
            scenarios,
            first_index,
            seed,
            fresh,
            observe_positions,
        )
    }
}

/// Records one day of a scenario: each position's sale that day (the kernel keeps it until the
/// next day's market update) and, on the last day, the final prices and holdings.
fn observe_positions(end: &mut PositionEnd, view: &DayView<'_, f32>) {
    let left = (view.horizon() - 1 - view.day()) as f64;
    for (p, (sold, days_left)) in end.sold.iter_mut().zip(&mut end.sold_days_left).enumerate() {
        let q = view.sold_today(p as u32);
        *sold += q;
        *days_left += q * left;
    }
    if view.is_last_day() {
        for p in 0..end.price.len() {
            let price = view.price(p as u32);
            end.price[p] = price;
            end.value[p] = view.holding(p as u32) * price;
        }
    }
}

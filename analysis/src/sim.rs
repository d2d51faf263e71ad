//! Reruns for the analysis stages: the same scenarios (same seed, same indices, same scenario
//! records) on a variant of the fund, so that every comparison is on common random numbers.
//!
//! A scenario's parameters depend only on `(seed, index)` and the fund's classes and horizon, and
//! the kernel's Philox streams only on `(seed, index, day, stream)`, never on a switch or on the
//! number of positions. So the scenario records are generated once, from the fund as given, and
//! handed unchanged to every variant: switching a channel off, adding buffer positions or
//! shortening the simulated horizon changes the fund, never the scenarios.

use rayon::prelude::*;
use undertow_kernel::layout::Layout;
use undertow_kernel::{simulate, FundModel, ScenarioOutput, ScenarioParams, Workspace};

use undertow_host::cpu::key_of;

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

/// Runs the analysis' simulations on its own thread pool.
pub struct Simulator {
    pool: rayon::ThreadPool,
}

impl Simulator {
    /// `threads = None` uses every core.
    pub fn new(threads: Option<usize>) -> Result<Simulator, rayon::ThreadPoolBuildError> {
        let mut b = rayon::ThreadPoolBuilder::new();
        if let Some(n) = threads {
            b = b.num_threads(n.max(1));
        }
        Ok(Simulator { pool: b.build()? })
    }

    pub fn threads(&self) -> usize {
        self.pool.current_num_threads()
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
        self.run_inner(model, scenarios, first_index, seed, false).0
    }

    /// As [`Simulator::run`], and reads each holder's redemptions from the final state.
    pub fn run_with_holders(
        &self,
        model: &FundModel,
        scenarios: &[ScenarioParams],
        first_index: u64,
        seed: u64,
    ) -> (Vec<ScenarioOutput>, Vec<HolderEnd>) {
        self.run_inner(model, scenarios, first_index, seed, true)
    }

    fn run_inner(
        &self,
        model: &FundModel,
        scenarios: &[ScenarioParams],
        first_index: u64,
        seed: u64,
        holders: bool,
    ) -> (Vec<ScenarioOutput>, Vec<HolderEnd>) {
        let key = key_of(seed);
        let n = scenarios.len();
        let mut out = vec![ScenarioOutput::default(); n];
        let mut ends = vec![HolderEnd::default(); if holders { n } else { 0 }];
        let lay = Layout::new(&model.params);
        let initial: Vec<f64> = model
            .segments
            .iter()
            .map(|s| s.share as f64)
            .chain(model.large.iter().map(|l| l.stake as f64))
            .collect();
        self.pool.install(|| {
            let work = |c: usize,
                        scs: &[ScenarioParams],
                        outs: &mut [ScenarioOutput],
                        ends: &mut [HolderEnd]| {
                let mut ws = Workspace::<f32>::new(model);
                for (j, (sc, o)) in scs.iter().zip(outs.iter_mut()).enumerate() {
                    let index = first_index + (c * CHUNK + j) as u64;
                    *o = simulate(model, sc, index as u32, key, &mut ws);
                    if let Some(end) = ends.get_mut(j) {
                        *end = holder_end(&ws.words, &lay, &initial);
                    }
                }
            };
            if holders {
                scenarios
                    .par_chunks(CHUNK)
                    .zip(out.par_chunks_mut(CHUNK))
                    .zip(ends.par_chunks_mut(CHUNK))
                    .enumerate()
                    .for_each(|(c, ((scs, outs), ends))| work(c, scs, outs, ends));
            } else {
                scenarios
                    .par_chunks(CHUNK)
                    .zip(out.par_chunks_mut(CHUNK))
                    .enumerate()
                    .for_each(|(c, (scs, outs))| work(c, scs, outs, &mut []));
            }
        });
        (out, ends)
    }
}

/// Reads the holders' positions from a finished scenario's state: shares are cancelled at
/// acceptance, so accepted = initial − held; requests not yet accepted are still due or queued.
fn holder_end(words: &[f32], lay: &Layout, initial: &[f64]) -> HolderEnd {
    let mut end = HolderEnd {
        requested: Vec::with_capacity(initial.len()),
        accepted: Vec::with_capacity(initial.len()),
    };
    for (h, start) in initial.iter().enumerate() {
        let h = h as u32;
        let held = words[(lay.held + h) as usize] as f64;
        let pending =
            words[(lay.due + h) as usize] as f64 + words[(lay.queued + h) as usize] as f64;
        let accepted = (start - held).max(0.0);
        end.accepted.push(accepted);
        end.requested.push(accepted + pending.max(0.0));
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
    /// horizon. The days run through the kernel's own `init_state`, `day` and `finish`, exactly
    /// as `simulate` does, so the outputs are those of [`Simulator::run`] bit for bit.
    pub fn run_with_positions(
        &self,
        model: &FundModel,
        scenarios: &[ScenarioParams],
        first_index: u64,
        seed: u64,
    ) -> (Vec<ScenarioOutput>, Vec<PositionEnd>) {
        let key = key_of(seed);
        let n = scenarios.len();
        let mut out = vec![ScenarioOutput::default(); n];
        let mut ends = vec![PositionEnd::default(); n];
        self.pool.install(|| {
            scenarios
                .par_chunks(CHUNK)
                .zip(out.par_chunks_mut(CHUNK))
                .zip(ends.par_chunks_mut(CHUNK))
                .enumerate()
                .for_each(|(c, ((scs, outs), ends))| {
                    let mut ws = Workspace::<f32>::new(model);
                    for (j, ((sc, o), end)) in scs.iter().zip(outs).zip(ends).enumerate() {
                        let index = first_index + (c * CHUNK + j) as u64;
                        (*o, *end) = simulate_positions(model, sc, index as u32, key, &mut ws);
                    }
                });
        });
        (out, ends)
    }
}

/// One scenario through the kernel's stages, recording each day's sale of every position (the
/// kernel keeps it in `last_sale` until the next day's market update) and the final holdings.
fn simulate_positions(
    model: &FundModel,
    sc: &ScenarioParams,
    index: u32,
    key: [u32; 2],
    ws: &mut Workspace<f32>,
) -> (ScenarioOutput, PositionEnd) {
    use undertow_kernel::ctx::{Ctx, St};
    use undertow_kernel::simulate::{day, finish, init_state};
    let c = Ctx::new(model, sc, index, key);
    let lay = c.lay;
    let np = lay.n_positions as usize;
    let need = lay.len as usize;
    if ws.words.len() != need {
        ws.words.resize(need, 0.0);
    }
    let mut st = St {
        w: &mut ws.words[..],
    };
    let horizon = model.params.horizon;
    let mut end = PositionEnd {
        value: vec![0.0; np],
        price: vec![0.0; np],
        sold: vec![0.0; np],
        sold_days_left: vec![0.0; np],
    };
    init_state(&c, &mut st);
    for t in 0..horizon {
        day(&c, &mut st, t);
        let left = (horizon - 1 - t) as f64;
        for p in 0..np {
            let q = st.get(lay.last_sale + p as u32) as f64;
            end.sold[p] += q;
            end.sold_days_left[p] += q * left;
        }
    }
    for p in 0..np as u32 {
        let price = st.get(lay.price + p) as f64;
        end.price[p as usize] = price;
        end.value[p as usize] = st.get(lay.hold + p) as f64 * price;
    }
    (finish(&c, &st), end)
}

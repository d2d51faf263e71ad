//! Reruns for the analysis stages: the same scenarios (same seed, same indices, same scenario
//! records) on a variant of the fund, so that every comparison is on common random numbers.
//!
//! A scenario's parameters depend only on `(seed, index)` and the fund's classes and horizon, and
//! the kernel's Philox streams only on `(seed, index, day, stream)`, never on a switch or on the
//! number of positions. So the scenario records are generated once, from the fund as given, and
//! handed unchanged to every variant: switching a channel off, adding buffer positions or
//! shortening the simulated horizon changes the fund, never the scenarios.
//!
//! Reruns share work (issue 13): a rerun is a pure function of the fund model's records, the
//! scenario records, the first index and the seed, so the [`Simulator`] keeps each rerun's
//! records (outputs always; observer records within [`MEMO_RECORD_BYTES`]) and serves the same
//! rerun asked again — by the same stage or another — from them; and, where the main sweep ran on the CPU in `f32`, it serves reruns of
//! the unchanged fund on the sweep's first scenarios from the sweep's records
//! ([`Simulator::reuse_sweep`]). Observers only read the state, so a plain rerun may also be
//! served from the outputs of an observed one. Each [`Simulator`] view counts the
//! scenario-days it simulated and the reruns it was served ([`Work`]).

use std::collections::hash_map::DefaultHasher;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use undertow_kernel::shadow::{shadowable, STAYED};
use undertow_kernel::{DayView, FundModel, ScenarioOutput, ScenarioParams, NEVER, N_INDICATORS};

use undertow_host::backend::{Backend, BackendError};
use undertow_host::cpu::CpuBackend;

/// Scenarios one rayon task simulates with one workspace.
const CHUNK: usize = 32;

/// Bytes of observer records (holders' and positions' ends) the memo keeps at most; past it,
/// further observed reruns are simulated and handed back but not kept (outputs always are: a
/// 2,000-scenario rerun's outputs are 440 kB).
pub const MEMO_RECORD_BYTES: usize = 64 << 20;

/// Scenarios of the sweep the analysis re-simulates before it serves reruns from the sweep's
/// records: a guard that the records handed in are this simulator's own, bit for bit.
const SWEEP_CHECK: usize = 32;

/// The kernel work a [`Simulator`] view did, for the summary's `stages[]`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Work {
    /// Scenario-days simulated: scenarios times the simulated horizon, summed over reruns.
    pub simulated_scenario_days: u64,
    /// Reruns asked for.
    pub reruns: u64,
    /// Reruns served without simulating: from the memo (the same rerun done before, by this
    /// stage or another) or from the main sweep's records.
    pub reruns_shared: u64,
    /// Scenario-days asked for but not simulated: those of the shared reruns, and a followed
    /// policy variant's scenarios that never left the reference's path
    /// ([`Simulator::run_variants`]).
    pub shared_scenario_days: u64,
    /// Of the scenario-days simulated, those simulated on the view's device
    /// ([`Simulator::on_device`]) rather than on the analysis' CPU pool.
    pub device_scenario_days: u64,
    /// Reruns asked of the device ([`Simulator::run_on_device`] on a view with one), whether
    /// simulated there or served from the memo's device records.
    pub device_reruns: u64,
}

#[derive(Default)]
struct Counters {
    simulated: AtomicU64,
    reruns: AtomicU64,
    shared: AtomicU64,
    shared_days: AtomicU64,
    device_days: AtomicU64,
    device_reruns: AtomicU64,
}

impl Counters {
    fn work(&self) -> Work {
        Work {
            simulated_scenario_days: self.simulated.load(Ordering::Relaxed),
            reruns: self.reruns.load(Ordering::Relaxed),
            reruns_shared: self.shared.load(Ordering::Relaxed),
            shared_scenario_days: self.shared_days.load(Ordering::Relaxed),
            device_scenario_days: self.device_days.load(Ordering::Relaxed),
            device_reruns: self.device_reruns.load(Ordering::Relaxed),
        }
    }
}

/// What identifies a rerun: the fund model's records byte for byte, the scenario records, the
/// first index, the seed, and whether it ran on the device. Observers are not part of it: they
/// read the state and never change it.
#[derive(Clone, PartialEq, Eq, Hash)]
struct Key {
    model: Vec<u8>,
    scenarios: Records,
    first_index: u64,
    seed: u64,
    /// Simulated on the simulator's device ([`Simulator::on_device`]): its records agree with
    /// the CPU's within the `f32` tolerance, not bit for bit, so the two are never mixed.
    device: bool,
}

/// Which scenario records a rerun simulates.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum Records {
    /// The first `n` records of the run's block ([`Simulator::share_scenarios`]), equal byte
    /// for byte (the stages' reruns): no hashing.
    Prefix(usize),
    /// Any other records (the reverse stress test's own): their count and a 128-bit
    /// fingerprint (two SipHash digests).
    Hash(usize, u64, u64),
}

fn model_bytes(model: &FundModel) -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(bytemuck::bytes_of(&model.params));
    for part in [
        bytemuck::cast_slice::<_, u8>(&model.positions),
        bytemuck::cast_slice(&model.segments),
        bytemuck::cast_slice(&model.large),
        bytemuck::cast_slice(&model.waterfall_order),
    ] {
        b.extend_from_slice(&(part.len() as u64).to_le_bytes());
        b.extend_from_slice(part);
    }
    b
}

fn fingerprint(scenarios: &[ScenarioParams]) -> Records {
    let bytes: &[u8] = bytemuck::cast_slice(scenarios);
    let mut a = DefaultHasher::new();
    bytes.hash(&mut a);
    let mut b = DefaultHasher::new();
    0x9e37_79b9_7f4a_7c15u64.hash(&mut b);
    bytes.hash(&mut b);
    Records::Hash(scenarios.len(), a.finish(), b.finish())
}

/// Whether `a` is `b`'s first records, byte for byte (the same memory is, at once).
fn is_prefix(a: &[ScenarioParams], b: &[ScenarioParams]) -> bool {
    a.len() <= b.len()
        && (a.as_ptr() == b.as_ptr()
            || bytemuck::cast_slice::<_, u8>(a) == bytemuck::cast_slice::<_, u8>(&b[..a.len()]))
}

/// One rerun's records, filled by whichever observer ran it first.
#[derive(Default)]
struct Slot {
    outputs: OnceLock<Arc<Vec<ScenarioOutput>>>,
    holders: OnceLock<Arc<Vec<HolderEnd>>>,
    /// Each scenario's positions' ends, shared with the runs served from them.
    positions: OnceLock<Arc<Vec<Arc<PositionEnd>>>>,
}

/// The main sweep's records and what they were simulated from.
struct Sweep {
    model: Vec<u8>,
    seed: u64,
    /// Records of the run's block's first scenarios.
    outputs: Vec<ScenarioOutput>,
}

struct Shared {
    cpu: CpuBackend,
    memo: Mutex<HashMap<Key, Arc<Slot>>>,
    record_bytes: AtomicU64,
    record_limit: usize,
    block: OnceLock<Vec<ScenarioParams>>,
    sweep: OnceLock<Sweep>,
    total: Counters,
}

/// Runs the analysis' simulations on its own thread pool: the CPU backend in `f32`, with the
/// observers the stages need. Reruns are memoised across every view of one simulator
/// ([`Simulator::view`]); each view counts its own work. A view may also carry a device (a GPU
/// backend, [`Simulator::on_device`]) for the plain reruns a stage asks for with
/// [`Simulator::run_on_device`].
pub struct Simulator {
    shared: Arc<Shared>,
    counters: Arc<Counters>,
    device: Option<Arc<dyn Backend>>,
}
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

impl Simulator {
    /// `threads = None` uses every core.
    pub fn new(threads: Option<usize>) -> Result<Simulator, rayon::ThreadPoolBuildError> {
        Simulator::with_record_limit(threads, MEMO_RECORD_BYTES)
    }

    /// As [`Simulator::new`], keeping at most `record_limit` bytes of observer records.
    pub fn with_record_limit(
        threads: Option<usize>,
        record_limit: usize,
    ) -> Result<Simulator, rayon::ThreadPoolBuildError> {
        Ok(Simulator {
            shared: Arc::new(Shared {
                cpu: CpuBackend::new(threads, CHUNK)?,
                memo: Mutex::new(HashMap::new()),
                record_bytes: AtomicU64::new(0),
                record_limit,
                block: OnceLock::new(),
                sweep: OnceLock::new(),
                total: Counters::default(),
            }),
            counters: Arc::new(Counters::default()),
            device: None,
        })
    }

    /// Another view of the same simulator (same pool, same memo) with its own work counters:
    /// one per stage. Views run on the CPU: [`Simulator::on_device`] gives one a device.
    pub fn view(&self) -> Simulator {
        Simulator {
            shared: Arc::clone(&self.shared),
            counters: Arc::new(Counters::default()),
            device: None,
        }
    }

    /// Another view, as [`Simulator::view`], whose [`Simulator::run_on_device`] reruns run on
    /// `device` (issue 13: a stage's plain reruns on the GPU). Every other rerun of the view
    /// (observed, followed, the memo's) stays on the CPU.
    pub fn on_device(&self, device: Arc<dyn Backend>) -> Simulator {
        Simulator {
            device: Some(device),
            ..self.view()
        }
    }

    /// The view's device, as the backend describes itself; `None` on the CPU.
    pub fn device(&self) -> Option<String> {
        self.device.as_ref().map(|d| d.describe())
    }

    pub fn threads(&self) -> usize {
        self.shared.cpu.threads()
    }

    /// The work this view did.
    pub fn work(&self) -> Work {
        self.counters.work()
    }

    /// The work every view of this simulator did together.
    pub fn total_work(&self) -> Work {
        self.shared.total.work()
    }

    /// Keeps `block`, the run's scenario records (indices from 0), and hands it back: reruns
    /// on its first records are then known by their count alone, without hashing them. The
    /// first block given stays (a later one is dropped and the first handed back).
    pub fn share_scenarios(&self, block: Vec<ScenarioParams>) -> &[ScenarioParams] {
        self.shared.block.get_or_init(|| block)
    }

    fn records(&self, scenarios: &[ScenarioParams]) -> Records {
        match self.shared.block.get() {
            Some(block) if is_prefix(scenarios, block) => Records::Prefix(scenarios.len()),
            _ => fingerprint(scenarios),
        }
    }

    fn key(
        &self,
        model: &FundModel,
        scenarios: &[ScenarioParams],
        first_index: u64,
        seed: u64,
    ) -> Key {
        Key {
            model: model_bytes(model),
            scenarios: self.records(scenarios),
            first_index,
            seed,
            device: false,
        }
    }

    /// Serves reruns of `model` on the first scenarios of `scenarios` (indices from 0, seed
    /// `seed`) from `outputs`, the main sweep's records of those scenarios. Call it only where
    /// the sweep ran on the CPU in `f32` from these very records (not on the GPU, not from
    /// another backend's shards). `scenarios` becomes the run's block
    /// ([`Simulator::share_scenarios`]) unless one was given before, which it must then begin.
    /// As a guard, the first few scenarios are re-simulated first; unless they equal `outputs`
    /// bit for bit, nothing is served from the sweep. Returns whether the sweep's records will
    /// be served.
    pub fn reuse_sweep(
        &self,
        model: &FundModel,
        scenarios: &[ScenarioParams],
        seed: u64,
        outputs: &[ScenarioOutput],
    ) -> bool {
        let n = scenarios.len().min(outputs.len());
        if n == 0 {
            return false;
        }
        let scenarios = &scenarios[..n];
        if self.shared.block.get().is_none() {
            self.share_scenarios(scenarios.to_vec());
        }
        if self.records(scenarios) != Records::Prefix(n) {
            return false;
        }
        let k = n.min(SWEEP_CHECK);
        let check = self.simulate(model, &scenarios[..k], 0, seed);
        if !same_outputs(&check, &outputs[..k]) {
            return false;
        }
        self.shared
            .sweep
            .set(Sweep {
                model: model_bytes(model),
                seed,
                outputs: outputs[..n].to_vec(),
            })
            .is_ok()
    }

    /// The sweep's records of `scenarios`, where they are exactly the sweep's first scenarios
    /// on the sweep's model and seed.
    fn sweep_records(&self, key: &Key) -> Option<Vec<ScenarioOutput>> {
        let sweep = self.shared.sweep.get()?;
        match key.scenarios {
            Records::Prefix(n)
                if n <= sweep.outputs.len()
                    && !key.device
                    && key.first_index == 0
                    && key.seed == sweep.seed
                    && key.model == sweep.model =>
            {
                Some(sweep.outputs[..n].to_vec())
            }
            _ => None,
        }
    }

    fn slot(&self, key: &Key) -> Arc<Slot> {
        let mut memo = self.shared.memo.lock().unwrap_or_else(|p| p.into_inner());
        Arc::clone(memo.entry(key.clone()).or_default())
    }

    /// Counts one rerun of `n` scenarios: simulated, or served whole (`shared`).
    fn count(&self, model: &FundModel, n: usize, shared: bool) {
        let simulated = if shared { 0 } else { n };
        self.count_scenarios(model, simulated, n, shared);
    }

    /// Counts one rerun of `n` scenarios of which `simulated` were simulated and the rest
    /// served; `shared` counts it among the reruns served whole.
    fn count_scenarios(&self, model: &FundModel, simulated: usize, n: usize, shared: bool) {
        let h = model.params.horizon as u64;
        for c in [&*self.counters, &self.shared.total] {
            c.reruns.fetch_add(1, Ordering::Relaxed);
            c.shared.fetch_add(shared as u64, Ordering::Relaxed);
            c.simulated
                .fetch_add(simulated as u64 * h, Ordering::Relaxed);
            c.shared_days
                .fetch_add((n - simulated) as u64 * h, Ordering::Relaxed);
        }
    }

    /// Simulates without the memo (counted as simulated work).
    fn simulate(
        &self,
        model: &FundModel,
        scenarios: &[ScenarioParams],
        first_index: u64,
        seed: u64,
    ) -> Vec<ScenarioOutput> {
        let days = scenarios.len() as u64 * model.params.horizon as u64;
        self.counters.simulated.fetch_add(days, Ordering::Relaxed);
        self.shared
            .total
            .simulated
            .fetch_add(days, Ordering::Relaxed);
        self.shared
            .cpu
            .run::<f32>(model, scenarios, first_index, seed)
    }

    /// Whether `bytes` more of observer records would fit the memo's budget now (`keep` checks
    /// again).
    fn fits(&self, bytes: usize) -> bool {
        self.shared.record_bytes.load(Ordering::Relaxed) + bytes as u64
            <= self.shared.record_limit as u64
    }

    /// Keeps observer records unless the memo's budget for them is spent.
    fn keep<R>(&self, cell: &OnceLock<Arc<Vec<R>>>, records: &Arc<Vec<R>>, bytes: usize) {
        let used = self
            .shared
            .record_bytes
            .fetch_add(bytes as u64, Ordering::Relaxed);
        if used + bytes as u64 <= self.shared.record_limit as u64 {
            let _ = cell.set(Arc::clone(records));
        } else {
            self.shared
                .record_bytes
                .fetch_sub(bytes as u64, Ordering::Relaxed);
        }
    }

    /// Simulates `scenarios` (the first has index `first_index`) on `model`, in `f32` like the
    /// main sweep, so that the unchanged fund reproduces the sweep's records bit for bit.
    /// Memoised: the same rerun asked again is served from the first one's records.
    pub fn run(
        &self,
        model: &FundModel,
        scenarios: &[ScenarioParams],
        first_index: u64,
        seed: u64,
    ) -> Vec<ScenarioOutput> {
        let key = self.key(model, scenarios, first_index, seed);
        let slot = self.slot(&key);
        if let Some(outs) = slot.outputs.get() {
            self.count(model, scenarios.len(), true);
            return outs.to_vec();
        }
        let mut shared = true;
        let outs = slot.outputs.get_or_init(|| {
            shared = false;
            Arc::new(match self.sweep_records(&key) {
                Some(outs) => {
                    shared = true;
                    outs
                }
                None => self
                    .shared
                    .cpu
                    .run::<f32>(model, scenarios, first_index, seed),
            })
        });
        self.count(model, scenarios.len(), shared);
        outs.to_vec()
    }

    /// As [`Simulator::run`], on the view's device when it has one ([`Simulator::on_device`]):
    /// the GPU's records of the same rerun, which agree with the CPU's within the `f32`
    /// tolerance (`undertow validate`), not bit for bit. Memoised apart from the CPU's reruns
    /// and never served from the sweep's records, so that a stage asking only through here
    /// compares like with like: every one of its reruns on the one device. Without a device it
    /// is [`Simulator::run`]. A device that fails hands back its error and runs nothing more:
    /// the caller reruns the whole stage on the CPU ([`crate::run_analysis_on`]).
    pub fn run_on_device(
        &self,
        model: &FundModel,
        scenarios: &[ScenarioParams],
        first_index: u64,
        seed: u64,
    ) -> Result<Vec<ScenarioOutput>, BackendError> {
        let Some(device) = &self.device else {
            return Ok(self.run(model, scenarios, first_index, seed));
        };
        for c in [&*self.counters, &self.shared.total] {
            c.device_reruns.fetch_add(1, Ordering::Relaxed);
        }
        let key = Key {
            device: true,
            ..self.key(model, scenarios, first_index, seed)
        };
        let slot = self.slot(&key);
        if let Some(outs) = slot.outputs.get() {
            self.count(model, scenarios.len(), true);
            return Ok(outs.to_vec());
        }
        let outs = device.simulate(model, scenarios, first_index, seed)?;
        if outs.len() != scenarios.len() {
            return Err(BackendError::Failed {
                backend: device.describe(),
                source: format!(
                    "handed back {} records for {} scenarios",
                    outs.len(),
                    scenarios.len()
                )
                .into(),
            });
        }
        // Two views asking at once both simulate; the first to finish is kept, and the device
        // is deterministic, so both hold the same records.
        let outs = slot.outputs.get_or_init(|| Arc::new(outs));
        self.count(model, scenarios.len(), false);
        let days = scenarios.len() as u64 * model.params.horizon as u64;
        for c in [&*self.counters, &self.shared.total] {
            c.device_days.fetch_add(days, Ordering::Relaxed);
        }
        Ok(outs.to_vec())
    }

    /// As [`Simulator::run`], and reads each holder's redemptions from the final state.
    pub fn run_with_holders(
        &self,
        model: &FundModel,
        scenarios: &[ScenarioParams],
        first_index: u64,
        seed: u64,
    ) -> (Vec<ScenarioOutput>, Vec<HolderEnd>) {
        let key = self.key(model, scenarios, first_index, seed);
        let slot = self.slot(&key);
        let mut shared = true;
        let ends = slot.holders.get_or_init(|| {
            shared = false;
            let (outs, ends) = self.observe_holders(model, scenarios, first_index, seed);
            let _ = slot.outputs.set(Arc::new(outs));
            Arc::new(ends)
        });
        let ends = Arc::clone(ends);
        self.count(model, scenarios.len(), shared);
        let outs = slot.outputs.get().expect("set with the holders").to_vec();
        (outs, ends.to_vec())
    }

    fn observe_holders(
        &self,
        model: &FundModel,
        scenarios: &[ScenarioParams],
        first_index: u64,
        seed: u64,
    ) -> (Vec<ScenarioOutput>, Vec<HolderEnd>) {
        let initial = initial_shares(model);
        self.shared.cpu.run_observed::<f32, HolderEnd>(
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

impl Simulator {
    /// Reruns of `reference` and of each of `variants` on `scenarios` (the first has index
    /// `first_index`, seed `seed`): each exactly the records [`Simulator::run`] would give it,
    /// bit for bit. A variant that differs from `reference` in its redemption policy alone
    /// (`undertow_kernel::shadow::shadowable`: gate triggers, levels, caps, investor gate,
    /// swing pricing) is followed as a shadow of the reference's run and simulated only on the
    /// scenarios where one of its decisions departs from the reference's; on the others its
    /// record is the reference's. Where several depart on one scenario, they follow one another
    /// there (`CpuBackend::run_covered`): variants whose paths agree cost one run. Other variants, and those already in the memo, are plain
    /// reruns. Each variant counts as one rerun; only the scenario-days simulated count as
    /// simulated.
    pub fn run_variants(
        &self,
        reference: &FundModel,
        variants: &[FundModel],
        scenarios: &[ScenarioParams],
        first_index: u64,
        seed: u64,
    ) -> (Vec<ScenarioOutput>, Vec<Vec<ScenarioOutput>>) {
        let slots: Vec<Arc<Slot>> = variants
            .iter()
            .map(|v| self.slot(&self.key(v, scenarios, first_index, seed)))
            .collect();
        // Variants to follow: not yet simulated, policy variants of the reference, each slot once.
        let mut follow: Vec<usize> = Vec::new();
        for (i, v) in variants.iter().enumerate() {
            if slots[i].outputs.get().is_none()
                && shadowable(reference, v)
                && !follow.iter().any(|&j| Arc::ptr_eq(&slots[j], &slots[i]))
            {
                follow.push(i);
            }
        }
        let mut followed_base = None;
        if !follow.is_empty() && !scenarios.is_empty() {
            let shadows: Vec<&FundModel> = follow.iter().map(|&i| &variants[i]).collect();
            let (base, departed) = self.shared.cpu.run_shadowed::<f32>(
                reference,
                &shadows,
                scenarios,
                first_index,
                seed,
            );
            self.count(reference, scenarios.len(), false);
            let ref_slot = self.slot(&self.key(reference, scenarios, first_index, seed));
            let _ = ref_slot.outputs.set(Arc::new(base.clone()));
            followed_base = Some(base.clone());

            // Per scenario, the variants that left the reference's path: simulated there, each
            // following the others so that variants whose paths agree share one run.
            let wanted: Vec<Vec<usize>> = departed
                .iter()
                .map(|d| (0..follow.len()).filter(|&j| d[j] != STAYED).collect())
                .collect();
            let records =
                self.shared
                    .cpu
                    .run_covered::<f32>(&shadows, scenarios, first_index, seed, &wanted);
            let mut outs = vec![base; follow.len()];
            let mut simulated = vec![0usize; follow.len()];
            for (k, (want, recs)) in wanted.iter().zip(records).enumerate() {
                for (&j, (o, ran)) in want.iter().zip(recs) {
                    outs[j][k] = o;
                    simulated[j] += ran as usize;
                }
            }
            for ((&i, o), n) in follow.iter().zip(outs).zip(simulated) {
                let _ = slots[i].outputs.set(Arc::new(o));
                self.count_scenarios(&variants[i], n, scenarios.len(), false);
            }
        }
        let base = match followed_base {
            Some(base) => base,
            None => self.run(reference, scenarios, first_index, seed),
        };
        let outs = variants
            .iter()
            .enumerate()
            .map(|(i, v)| {
                if follow.contains(&i) {
                    slots[i].outputs.get().expect("set above").to_vec()
                } else {
                    self.run(v, scenarios, first_index, seed)
                }
            })
            .collect();
        (base, outs)
    }

    /// What reruns of `model` with each threshold vector of `ladder` would record, from one
    /// observed run of `model`: every output as the run's own, and `ew_first_breach[k]` the first
    /// day indicator `k` breached that level's threshold (`DayView::breaches`, the kernel's own
    /// test in its own precision). Thresholds feed nothing but the breach days, so this is each
    /// rerun's records bit for bit (tested against real reruns in `analysis/tests/sim_memo.rs`)
    /// at the cost of one run instead of `ladder.len()`.
    ///
    /// The same run is the fund's own on the stages' first scenarios, which the attribution
    /// ([`Simulator::run_with_holders`]) and the liquidation design (the fund's own strategy,
    /// [`Simulator::run_with_positions`]) observe too: it also reads the holders' and, within
    /// the memo's budget, the positions' ends and keeps them with its outputs, so that those
    /// stages are served from it.
    pub fn run_threshold_ladder(
        &self,
        model: &FundModel,
        scenarios: &[ScenarioParams],
        first_index: u64,
        seed: u64,
        ladder: &[[f32; N_INDICATORS]],
    ) -> Vec<Vec<ScenarioOutput>> {
        self.count(model, scenarios.len(), false);
        let np = model.params.n_positions as usize;
        let position_bytes = position_ends_bytes(scenarios.len(), np);
        let observe_ends = self.shared.record_bytes.load(Ordering::Relaxed) as usize
            + position_bytes
            <= self.shared.record_limit;
        let initial = initial_shares(model);
        let (outs, records) = self.shared.cpu.run_observed::<f32, LadderRecord>(
            model,
            scenarios,
            first_index,
            seed,
            || LadderRecord {
                first: vec![[NEVER; N_INDICATORS]; ladder.len()],
                holders: HolderEnd::default(),
                positions: observe_ends.then(|| PositionEnd::zeros(np)),
            },
            |rec, view| {
                for (level, thresholds) in rec.first.iter_mut().zip(ladder) {
                    for (k, (day, &threshold)) in level.iter_mut().zip(thresholds).enumerate() {
                        if *day < 0.0 && view.breaches(k, threshold) {
                            *day = view.day() as f32;
                        }
                    }
                }
                if let Some(p) = &mut rec.positions {
                    observe_positions(p, view);
                }
                if view.is_last_day() {
                    rec.holders = holder_end(view, &initial);
                }
            },
        );
        let ladder_outs = (0..ladder.len())
            .map(|j| {
                outs.iter()
                    .zip(&records)
                    .map(|(o, r)| ScenarioOutput {
                        ew_first_breach: r.first[j],
                        ..*o
                    })
                    .collect()
            })
            .collect();

        let slot = self.slot(&self.key(model, scenarios, first_index, seed));
        let _ = slot.outputs.set(Arc::new(outs));
        let (holders, positions): (Vec<HolderEnd>, Vec<Option<PositionEnd>>) = records
            .into_iter()
            .map(|r| (r.holders, r.positions))
            .unzip();
        let _ = slot.holders.set(Arc::new(holders));
        if observe_ends {
            let ends: Vec<Arc<PositionEnd>> =
                positions.into_iter().flatten().map(Arc::new).collect();
            self.keep(&slot.positions, &Arc::new(ends), position_bytes);
        }
        ladder_outs
    }
}

/// What one observed run of the fund keeps for the early-warning ladder and for the stages that
/// observe the same run ([`Simulator::run_threshold_ladder`]).
struct LadderRecord {
    first: Vec<[f32; N_INDICATORS]>,
    holders: HolderEnd,
    positions: Option<PositionEnd>,
}

/// Whether two runs' records are the same bit for bit (NaN included): the comparator of a
/// memoised or sweep-served rerun against a fresh one.
pub fn same_outputs(a: &[ScenarioOutput], b: &[ScenarioOutput]) -> bool {
    a.len() == b.len() && bytemuck::cast_slice::<_, u8>(a) == bytemuck::cast_slice::<_, u8>(b)
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
        let key = self.key(model, scenarios, first_index, seed);
        let slot = self.slot(&key);
        if let (Some(ends), Some(outs)) = (slot.positions.get(), slot.outputs.get()) {
            self.count(model, scenarios.len(), true);
            return (outs.to_vec(), ends.iter().map(|e| (**e).clone()).collect());
        }
        let np = model.params.n_positions as usize;
        let (outs, ends) = self.shared.cpu.run_observed::<f32, PositionEnd>(
            model,
            scenarios,
            first_index,
            seed,
            || PositionEnd::zeros(np),
            observe_positions,
        );
        self.count(model, scenarios.len(), false);
        let bytes = position_ends_bytes(ends.len(), np);
        let _ = slot.outputs.set(Arc::new(outs.clone()));
        if self.fits(bytes) {
            let kept: Vec<Arc<PositionEnd>> = ends.iter().cloned().map(Arc::new).collect();
            self.keep(&slot.positions, &Arc::new(kept), bytes);
        }
        (outs, ends)
    }
}

/// A followed run's observer record: the positions' ends while the scenario runs, reduced by
/// the caller's function on its last day and dropped, so that only the reductions are held.
#[derive(Clone)]
struct Reduced<M> {
    end: PositionEnd,
    done: Option<M>,
}

impl Simulator {
    /// Reruns of each of `models` on `scenarios` (the first has index `first_index`, seed
    /// `seed`) with each scenario's positions' ends reduced by `reduce`: each exactly
    /// `reduce` of what [`Simulator::run_with_positions`] would give that model, records bit
    /// for bit. Models whose records and ends the memo holds are served from it. Of the rest,
    /// the first is simulated, and those that differ from it in their redemption policy and
    /// liquidation strategy alone (`undertow_kernel::shadow::shadowable`: another strategy,
    /// style drift or waterfall order) are followed as its shadows: simulated only on the
    /// scenarios where they leave its path (for a strategy, a day with something to sell),
    /// several there following one another as in [`Simulator::run_variants`]; elsewhere their
    /// records and reductions are the first's. Any other model is a plain observed rerun. Each
    /// model counts as one rerun; only the scenario-days simulated count as simulated.
    ///
    /// A scenario's ends are reduced on its last day with the first model (whichever model ran
    /// the scenario): followed models share every record but their policy and strategy, which
    /// `reduce` must not read.
    /// Only the reductions are kept, so memory does not grow with positions times scenarios.
    pub fn run_variants_with_positions<M: Clone + Send + Sync>(
        &self,
        models: &[FundModel],
        scenarios: &[ScenarioParams],
        first_index: u64,
        seed: u64,
        reduce: impl Fn(&FundModel, &PositionEnd) -> M + Sync,
    ) -> Vec<(Vec<ScenarioOutput>, Vec<M>)> {
        type Run<M> = (Vec<ScenarioOutput>, Vec<M>);
        let n = scenarios.len();
        let slots: Vec<Arc<Slot>> = models
            .iter()
            .map(|m| self.slot(&self.key(m, scenarios, first_index, seed)))
            .collect();
        let mut runs: Vec<Option<Run<M>>> = vec![None; models.len()];
        // Served from the memo, and models asked twice: each slot once.
        let mut open: Vec<usize> = Vec::new();
        for (i, slot) in slots.iter().enumerate() {
            if let (Some(ends), Some(outs)) = (slot.positions.get(), slot.outputs.get()) {
                self.count(&models[i], n, true);
                let reduced = ends.iter().map(|e| reduce(&models[i], e)).collect();
                runs[i] = Some((outs.to_vec(), reduced));
            } else if !open.iter().any(|&j| Arc::ptr_eq(&slots[j], slot)) {
                open.push(i);
            }
        }
        if let Some((&lead, rest)) = open.split_first() {
            let (follow, plain): (Vec<usize>, Vec<usize>) = rest
                .iter()
                .partition(|&&i| shadowable(&models[lead], &models[i]));
            let shadows: Vec<&FundModel> = follow.iter().map(|&i| &models[i]).collect();
            // The ends are sized on the first day, so only the scenarios in flight hold them.
            let record = || Reduced::<M> {
                end: PositionEnd::default(),
                done: None,
            };
            let observe = |rec: &mut Reduced<M>, view: &DayView<'_, f32>| {
                if rec.end.sold.is_empty() {
                    rec.end = PositionEnd::zeros(view.n_positions() as usize);
                }
                observe_positions(&mut rec.end, view);
                if view.is_last_day() {
                    rec.done = Some(reduce(&models[lead], &rec.end));
                    rec.end = PositionEnd::default();
                }
            };
            let done = |r: Reduced<M>| r.done.expect("reduced on the last day");
            let (outs, departed, recs) = self.shared.cpu.run_shadowed_observed::<f32, Reduced<M>>(
                &models[lead],
                &shadows,
                scenarios,
                first_index,
                seed,
                record,
                observe,
            );
            self.count(&models[lead], n, false);
            let reduced: Vec<M> = recs.into_iter().map(done).collect();
            let wanted: Vec<Vec<usize>> = departed
                .iter()
                .map(|d| (0..follow.len()).filter(|&j| d[j] != STAYED).collect())
                .collect();
            let covered = self.shared.cpu.run_covered_observed::<f32, Reduced<M>>(
                &shadows,
                scenarios,
                first_index,
                seed,
                &wanted,
                record,
                observe,
            );
            let mut followed: Vec<Run<M>> = vec![(outs.clone(), reduced.clone()); follow.len()];
            let mut simulated = vec![0usize; follow.len()];
            for (k, (want, recs)) in wanted.iter().zip(covered).enumerate() {
                for (&j, (o, rec, ran)) in want.iter().zip(recs) {
                    followed[j].0[k] = o;
                    followed[j].1[k] = done(rec);
                    simulated[j] += ran as usize;
                }
            }
            let _ = slots[lead].outputs.set(Arc::new(outs.clone()));
            runs[lead] = Some((outs, reduced));
            for ((&i, run), ran) in follow.iter().zip(followed).zip(simulated) {
                let _ = slots[i].outputs.set(Arc::new(run.0.clone()));
                self.count_scenarios(&models[i], ran, n, false);
                runs[i] = Some(run);
            }
            for i in plain {
                let (outs, ends) =
                    self.run_with_positions(&models[i], scenarios, first_index, seed);
                let reduced = ends.iter().map(|e| reduce(&models[i], e)).collect();
                runs[i] = Some((outs, reduced));
            }
        }
        // Models asked twice take the first one's run (counted as served).
        for i in 0..models.len() {
            if runs[i].is_none() {
                let j = (0..i)
                    .find(|&j| Arc::ptr_eq(&slots[j], &slots[i]))
                    .expect("an earlier model with the same slot");
                self.count(&models[i], n, true);
                runs[i] = runs[j].clone();
            }
        }
        runs.into_iter()
            .map(|r| r.expect("every model resolved"))
            .collect()
    }
}

impl PositionEnd {
    fn zeros(n_positions: usize) -> PositionEnd {
        PositionEnd {
            value: vec![0.0; n_positions],
            price: vec![0.0; n_positions],
            sold: vec![0.0; n_positions],
            sold_days_left: vec![0.0; n_positions],
        }
    }
}

/// Memory the positions' ends of `scenarios` scenarios take.
fn position_ends_bytes(scenarios: usize, n_positions: usize) -> usize {
    scenarios * (4 * n_positions * std::mem::size_of::<f64>() + std::mem::size_of::<PositionEnd>())
}

/// Each holder's shares at day 0: segments, then large investors.
fn initial_shares(model: &FundModel) -> Vec<f64> {
    model
        .segments
        .iter()
        .map(|s| s.share as f64)
        .chain(model.large.iter().map(|l| l.stake as f64))
        .collect()
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

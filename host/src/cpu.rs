//! The CPU backend: the kernel on rayon, scenarios split into chunks. A scenario's result depends
//! only on the seed and its index, never on the thread count or the chunk size.

use rayon::prelude::*;
use undertow_kernel::{
    simulate, simulate_observed, simulate_shadowed, DayView, FundModel, Real, ScenarioOutput,
    ScenarioParams, Workspace,
};

/// Scenarios one rayon task simulates with one workspace.
pub const DEFAULT_CHUNK: usize = 64;

/// The Philox key of a run seed.
pub fn key_of(seed: u64) -> [u32; 2] {
    [seed as u32, (seed >> 32) as u32]
}

/// Rayon over scenarios, in `f32` (what the GPU computes) or `f64` (the error bound).
pub struct CpuBackend {
    pool: rayon::ThreadPool,
    chunk: usize,
}

impl CpuBackend {
    /// `threads = None` uses every core.
    pub fn new(
        threads: Option<usize>,
        chunk: usize,
    ) -> Result<CpuBackend, rayon::ThreadPoolBuildError> {
        let mut b = rayon::ThreadPoolBuilder::new();
        if let Some(n) = threads {
            b = b.num_threads(n.max(1));
        }
        Ok(CpuBackend {
            pool: b.build()?,
            chunk: chunk.max(1),
        })
    }

    pub fn threads(&self) -> usize {
        self.pool.current_num_threads()
    }

    /// Simulates `scenarios`, the first of which has index `first_index`.
    pub fn run<T: Real>(
        &self,
        model: &FundModel,
        scenarios: &[ScenarioParams],
        first_index: u64,
        seed: u64,
    ) -> Vec<ScenarioOutput> {
        self.run_observed::<T, ()>(model, scenarios, first_index, seed, || (), |_, _| {})
            .0
    }

    /// As [`CpuBackend::run`], and keeps one record per scenario: `record` makes a fresh one
    /// before the scenario starts and `observe` updates it from the kernel's read-only view at
    /// the end of every day. Outputs and records come back in scenario order; neither depends on
    /// the thread count or the chunk size.
    pub fn run_observed<T: Real, R: Send>(
        &self,
        model: &FundModel,
        scenarios: &[ScenarioParams],
        first_index: u64,
        seed: u64,
        record: impl Fn() -> R + Sync,
        observe: impl Fn(&mut R, &DayView<'_, T>) + Sync,
    ) -> (Vec<ScenarioOutput>, Vec<R>) {
        let key = key_of(seed);
        let mut out = vec![ScenarioOutput::default(); scenarios.len()];
        let mut records: Vec<R> = scenarios.iter().map(|_| record()).collect();
        let chunk = self.chunk;
        self.pool.install(|| {
            scenarios
                .par_chunks(chunk)
                .zip(out.par_chunks_mut(chunk))
                .zip(records.par_chunks_mut(chunk))
                .enumerate()
                .for_each(|(c, ((scs, outs), recs))| {
                    let mut ws = Workspace::<T>::new(model);
                    for (j, ((sc, o), rec)) in scs.iter().zip(outs).zip(recs).enumerate() {
                        let index = first_index + (c * chunk + j) as u64;
                        *o = simulate_observed(model, sc, index as u32, key, &mut ws, |view| {
                            observe(rec, view)
                        });
                    }
                });
        });
        (out, records)
    }

    /// As [`CpuBackend::run`], following each of `shadows` along every scenario
    /// (`undertow_kernel::shadow`): also returns, per scenario, each shadow's departure day
    /// (`shadow::STAYED` where its run would have been this one bit for bit). Every shadow must
    /// be `shadow::shadowable` from `model`.
    pub fn run_shadowed<T: Real>(
        &self,
        model: &FundModel,
        shadows: &[FundModel],
        scenarios: &[ScenarioParams],
        first_index: u64,
        seed: u64,
    ) -> (Vec<ScenarioOutput>, Vec<Vec<u32>>) {
        let key = key_of(seed);
        let mut out = vec![ScenarioOutput::default(); scenarios.len()];
        let mut departed = vec![Vec::new(); scenarios.len()];
        let chunk = self.chunk;
        self.pool.install(|| {
            scenarios
                .par_chunks(chunk)
                .zip(out.par_chunks_mut(chunk))
                .zip(departed.par_chunks_mut(chunk))
                .enumerate()
                .for_each(|(c, ((scs, outs), deps))| {
                    let mut ws = Workspace::<T>::new(model);
                    for (j, ((sc, o), d)) in scs.iter().zip(outs).zip(deps).enumerate() {
                        let index = first_index + (c * chunk + j) as u64;
                        let (record, days) =
                            simulate_shadowed(model, shadows, sc, index as u32, key, &mut ws);
                        *o = record;
                        d.extend_from_slice(days);
                    }
                });
        });
        (out, departed)
    }

    /// Simulates selected scenarios of several models: `jobs` holds `(m, k)` pairs, scenario
    /// `k` of `scenarios` (index `first_index + k`) on `models[m]`; records come back in the
    /// order of `jobs`, each the one a run of the whole block would give. The models must share
    /// one state layout (policy variants of one fund).
    pub fn run_selected<T: Real>(
        &self,
        models: &[&FundModel],
        scenarios: &[ScenarioParams],
        first_index: u64,
        seed: u64,
        jobs: &[(usize, usize)],
    ) -> Vec<ScenarioOutput> {
        let key = key_of(seed);
        let mut out = vec![ScenarioOutput::default(); jobs.len()];
        let Some(first) = models.first() else {
            return out;
        };
        let chunk = self.chunk;
        self.pool.install(|| {
            jobs.par_chunks(chunk)
                .zip(out.par_chunks_mut(chunk))
                .for_each(|(js, outs)| {
                    let mut ws = Workspace::<T>::new(first);
                    for (&(m, k), o) in js.iter().zip(outs) {
                        let index = first_index + k as u64;
                        *o = simulate(models[m], &scenarios[k], index as u32, key, &mut ws);
                    }
                });
        });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use undertow_kernel::testing::{busy_fund, calm_scenario, redemption_scenario};

    fn model() -> FundModel {
        busy_fund(15)
    }

    fn scenarios() -> Vec<ScenarioParams> {
        (0..40)
            .map(|k| {
                if k % 3 == 0 {
                    redemption_scenario(0, k % 10, 0.3)
                } else {
                    calm_scenario()
                }
            })
            .collect()
    }

    /// One scenario's record: each day, its number, NAV per share and total sales.
    type Days = Vec<(u32, f64, f64)>;

    fn observed(threads: usize, chunk: usize) -> (Vec<ScenarioOutput>, Vec<Days>) {
        let cpu = CpuBackend::new(Some(threads), chunk).unwrap();
        cpu.run_observed::<f32, Days>(&model(), &scenarios(), 100, 9, Vec::new, |rec, view| {
            let sold = (0..view.n_positions()).map(|p| view.sold_today(p)).sum();
            rec.push((view.day(), view.trace().nav_per_share, sold));
        })
    }

    #[test]
    fn observed_runs_do_not_depend_on_threads_or_chunks() {
        let bits = |o: &[ScenarioOutput]| bytemuck::cast_slice::<_, u8>(o).to_vec();
        let (outs, recs) = observed(1, 64);
        assert_eq!(recs.len(), 40);
        assert!(recs.iter().all(|r| r.len() == 15));
        assert!(
            recs.iter().any(|r| r.iter().any(|d| d.2 > 0.0)),
            "some scenario sells"
        );
        for (threads, chunk) in [(2, 1), (3, 7), (2, 64)] {
            let (o, r) = observed(threads, chunk);
            assert_eq!(bits(&o), bits(&outs), "{threads} threads, chunk {chunk}");
            assert_eq!(r, recs, "{threads} threads, chunk {chunk}");
        }
        let plain = CpuBackend::new(Some(2), 5)
            .unwrap()
            .run::<f32>(&model(), &scenarios(), 100, 9);
        assert_eq!(bits(&plain), bits(&outs));
    }
}

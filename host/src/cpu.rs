//! The CPU backend: the kernel on rayon, scenarios split into chunks. A scenario's result depends
//! only on the seed and its index, never on the thread count or the chunk size.

use rayon::prelude::*;
use undertow_kernel::shadow::STAYED;
use undertow_kernel::{
    simulate_observed, simulate_shadowed_observed, DayView, FundModel, Real, ScenarioOutput,
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
        self.each_scenario(
            model,
            scenarios,
            first_index,
            record,
            |ws, sc, index, rec| {
                simulate_observed(model, sc, index, key, ws, |view| observe(rec, view))
            },
        )
    }

    /// As [`CpuBackend::run`], following each of `shadows` along every scenario
    /// (`undertow_kernel::shadow`): also returns, per scenario, each shadow's departure day
    /// (`shadow::STAYED` where its run would have been this one bit for bit). Every shadow must
    /// be `shadow::shadowable` from `model`.
    pub fn run_shadowed<T: Real>(
        &self,
        model: &FundModel,
        shadows: &[&FundModel],
        scenarios: &[ScenarioParams],
        first_index: u64,
        seed: u64,
    ) -> (Vec<ScenarioOutput>, Vec<Vec<u32>>) {
        let (outs, departed, _) = self.run_shadowed_observed::<T, ()>(
            model,
            shadows,
            scenarios,
            first_index,
            seed,
            || (),
            |_, _| {},
        );
        (outs, departed)
    }

    /// [`CpuBackend::run_shadowed`] with an observer record per scenario, as
    /// [`CpuBackend::run_observed`] keeps: where a shadow stayed, its run would have kept the
    /// same record.
    #[allow(clippy::too_many_arguments)]
    pub fn run_shadowed_observed<T: Real, R: Send>(
        &self,
        model: &FundModel,
        shadows: &[&FundModel],
        scenarios: &[ScenarioParams],
        first_index: u64,
        seed: u64,
        record: impl Fn() -> R + Sync,
        observe: impl Fn(&mut R, &DayView<'_, T>) + Sync,
    ) -> (Vec<ScenarioOutput>, Vec<Vec<u32>>, Vec<R>) {
        let key = key_of(seed);
        let (outs, recs) = self.each_scenario(
            model,
            scenarios,
            first_index,
            || (Vec::new(), record()),
            |ws: &mut Workspace<T>, sc, index, (d, rec): &mut (Vec<u32>, R)| {
                let (out, days) =
                    simulate_shadowed_observed(model, shadows, sc, index, key, ws, |view| {
                        observe(rec, view)
                    });
                d.extend_from_slice(days);
                out
            },
        );
        let (departed, records) = recs.into_iter().unzip();
        (outs, departed, records)
    }

    /// Runs `simulate` on every scenario (the first has index `first_index`) with a record each,
    /// in chunks of `self.chunk` on the pool, one workspace per chunk; outputs and records in
    /// scenario order.
    fn each_scenario<T: Real, R: Send>(
        &self,
        model: &FundModel,
        scenarios: &[ScenarioParams],
        first_index: u64,
        record: impl Fn() -> R + Sync,
        simulate: impl Fn(&mut Workspace<T>, &ScenarioParams, u32, &mut R) -> ScenarioOutput + Sync,
    ) -> (Vec<ScenarioOutput>, Vec<R>) {
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
                        *o = simulate(&mut ws, sc, index as u32, rec);
                    }
                });
        });
        (out, records)
    }

    /// Simulates, for each scenario `k` of `scenarios` (index `first_index + k`), every model
    /// of `models` that `wanted[k]` names, and returns their records in that order, each the
    /// one a plain run would give, with whether it was simulated. Within a scenario the first
    /// model not yet resolved is simulated and the others are followed as its shadows
    /// (`undertow_kernel::shadow`): each that stays on its path takes its record, and the rest
    /// go round again. So models whose paths agree on a scenario cost one run there. The models
    /// must be policy and strategy variants of one fund (`shadow::shadowable` from one another).
    pub fn run_covered<T: Real>(
        &self,
        models: &[&FundModel],
        scenarios: &[ScenarioParams],
        first_index: u64,
        seed: u64,
        wanted: &[Vec<usize>],
    ) -> Vec<Vec<(ScenarioOutput, bool)>> {
        self.run_covered_observed::<T, ()>(
            models,
            scenarios,
            first_index,
            seed,
            wanted,
            || (),
            |_, _| {},
        )
        .into_iter()
        .map(|recs| recs.into_iter().map(|(o, _, ran)| (o, ran)).collect())
        .collect()
    }

    /// [`CpuBackend::run_covered`] with an observer record for each model simulated or followed
    /// on each scenario, as [`CpuBackend::run_observed`] would keep in a plain run: a model that
    /// stayed on another's path takes a copy of that run's record.
    #[allow(clippy::too_many_arguments)]
    pub fn run_covered_observed<T: Real, R: Clone + Send>(
        &self,
        models: &[&FundModel],
        scenarios: &[ScenarioParams],
        first_index: u64,
        seed: u64,
        wanted: &[Vec<usize>],
        record: impl Fn() -> R + Sync,
        observe: impl Fn(&mut R, &DayView<'_, T>) + Sync,
    ) -> Vec<Vec<(ScenarioOutput, R, bool)>> {
        let key = key_of(seed);
        let mut out: Vec<Vec<(ScenarioOutput, R, bool)>> = Vec::new();
        out.resize_with(wanted.len(), Vec::new);
        let Some(first) = models.first() else {
            return out;
        };
        self.pool.install(|| {
            wanted
                .par_iter()
                .zip(out.par_iter_mut())
                .enumerate()
                .with_min_len(4)
                .for_each_init(
                    || Workspace::<T>::new(first),
                    |ws, (k, (want, recs))| {
                        let index = (first_index + k as u64) as u32;
                        let mut done: Vec<Option<(ScenarioOutput, R, bool)>> = Vec::new();
                        done.resize_with(want.len(), || None);
                        let mut open: Vec<usize> = (0..want.len()).collect();
                        while let Some((&lead, rest)) = open.split_first() {
                            let shadows: Vec<&FundModel> =
                                rest.iter().map(|&i| models[want[i]]).collect();
                            let mut rec = record();
                            let (output, days) = simulate_shadowed_observed(
                                models[want[lead]],
                                &shadows,
                                &scenarios[k],
                                index,
                                key,
                                ws,
                                |view| observe(&mut rec, view),
                            );
                            let mut left = Vec::new();
                            for (&i, &day) in rest.iter().zip(days) {
                                if day == STAYED {
                                    done[i] = Some((output, rec.clone(), false));
                                } else {
                                    left.push(i);
                                }
                            }
                            done[lead] = Some((output, rec, true));
                            open = left;
                        }
                        *recs = done
                            .into_iter()
                            .map(|r| r.expect("every wanted model resolved"))
                            .collect();
                    },
                );
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

    /// Policy variants covered scenario by scenario (some following others) give each variant's
    /// plain record, whatever the thread count, with at least one run per scenario asked for
    /// and fewer runs than records where paths agree.
    #[test]
    fn covered_runs_are_the_plain_runs_at_any_thread_count() {
        use undertow_kernel::{gate, switch};
        let base = model();
        let mut variants = Vec::new();
        for (level, cap) in [(0.05, 0.1), (0.05, 0.1), (0.3, 0.1), (0.05, 0.02)] {
            let mut m = base.clone();
            m.params.switches |= switch::GATES;
            m.params.gate_triggers = gate::REDEMPTIONS_30D;
            m.params.gate_redemptions_30d = level;
            m.params.gate_cap = cap;
            variants.push(m);
        }
        let models: Vec<&FundModel> = variants.iter().collect();
        let scs = scenarios();
        let wanted: Vec<Vec<usize>> = (0..scs.len()).map(|k| (0..(k % 5)).collect()).collect();
        let plain = CpuBackend::new(Some(1), 7).unwrap();
        let runs: Vec<Vec<ScenarioOutput>> = variants
            .iter()
            .map(|m| plain.run::<f32>(m, &scs, 100, 9))
            .collect();
        for threads in [1, 2] {
            let cpu = CpuBackend::new(Some(threads), 64).unwrap();
            let got = cpu.run_covered::<f32>(&models, &scs, 100, 9, &wanted);
            let (mut ran, mut records) = (0, 0);
            for (k, (want, recs)) in wanted.iter().zip(&got).enumerate() {
                assert_eq!(want.len(), recs.len());
                if !want.is_empty() {
                    assert!(recs[0].1, "the first variant asked for is simulated");
                }
                for (&m, (o, r)) in want.iter().zip(recs) {
                    assert_eq!(bytemuck::bytes_of(o), bytemuck::bytes_of(&runs[m][k]));
                    ran += *r as usize;
                    records += 1;
                }
            }
            assert!(ran < records, "the two identical variants share their runs");
        }
    }

    /// Strategy variants followed along the fund's own run and covered where they departed
    /// give, with an observer, each variant's plain observed run: records and observer records
    /// alike, at one and two threads. The lead's record stands in for a departed variant's
    /// nowhere: somewhere the two differ, so the comparison can fail.
    #[test]
    fn observed_shadows_and_covered_runs_are_the_plain_observed_runs() {
        use undertow_kernel::strategy;
        let base = model();
        let variants: Vec<FundModel> = [strategy::WATERFALL, strategy::PRO_RATA]
            .into_iter()
            .map(|code| {
                let mut m = base.clone();
                m.params.strategy = code;
                m
            })
            .collect();
        let models: Vec<&FundModel> = variants.iter().collect();
        let scs = scenarios();
        let day = |rec: &mut Days, view: &DayView<'_, f32>| {
            let sold = (0..view.n_positions()).map(|p| view.sold_today(p)).sum();
            rec.push((view.day(), view.trace().nav_per_share, sold));
        };
        let plain = CpuBackend::new(Some(1), 7).unwrap();
        let runs: Vec<(Vec<ScenarioOutput>, Vec<Days>)> = variants
            .iter()
            .map(|m| plain.run_observed::<f32, Days>(m, &scs, 100, 9, Vec::new, day))
            .collect();
        let (own, own_days) = plain.run_observed::<f32, Days>(&base, &scs, 100, 9, Vec::new, day);
        for threads in [1, 2] {
            let cpu = CpuBackend::new(Some(threads), 8).unwrap();
            let (outs, departed, days) =
                cpu.run_shadowed_observed::<f32, Days>(&base, &models, &scs, 100, 9, Vec::new, day);
            assert_eq!(
                bytemuck::cast_slice::<_, u8>(&outs),
                bytemuck::cast_slice::<_, u8>(&own)
            );
            assert_eq!(days, own_days);
            let wanted: Vec<Vec<usize>> = departed
                .iter()
                .map(|d| (0..models.len()).filter(|&j| d[j] != STAYED).collect())
                .collect();
            let covered = cpu.run_covered_observed::<f32, Days>(
                &models,
                &scs,
                100,
                9,
                &wanted,
                Vec::new,
                day,
            );
            let (mut stayed, mut lead_differs) = (0, 0);
            for k in 0..scs.len() {
                for (j, run) in runs.iter().enumerate() {
                    let (o, d) = match wanted[k].iter().position(|&m| m == j) {
                        Some(i) => {
                            let (o, d, _) = &covered[k][i];
                            if d != &own_days[k] {
                                lead_differs += 1;
                            }
                            (*o, d.clone())
                        }
                        None => {
                            stayed += 1;
                            (outs[k], days[k].clone())
                        }
                    };
                    assert_eq!(
                        bytemuck::bytes_of(&o),
                        bytemuck::bytes_of(&run.0[k]),
                        "{k} {j}"
                    );
                    assert_eq!(d, run.1[k], "scenario {k}, variant {j}");
                }
            }
            assert!(stayed > 0 && lead_differs > 0, "{stayed} {lead_differs}");
        }
    }
}

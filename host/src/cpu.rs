//! The CPU backend: the kernel on rayon, scenarios split into chunks. A scenario's result depends
//! only on the seed and its index, never on the thread count or the chunk size.

use rayon::prelude::*;
use undertow_kernel::{simulate, FundModel, Real, ScenarioOutput, ScenarioParams, Workspace};

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
        let key = key_of(seed);
        let mut out = vec![ScenarioOutput::default(); scenarios.len()];
        let chunk = self.chunk;
        self.pool.install(|| {
            scenarios
                .par_chunks(chunk)
                .zip(out.par_chunks_mut(chunk))
                .enumerate()
                .for_each(|(c, (scs, outs))| {
                    let mut ws = Workspace::<T>::new(model);
                    for (j, (sc, o)) in scs.iter().zip(outs.iter_mut()).enumerate() {
                        let index = first_index + (c * chunk + j) as u64;
                        *o = simulate(model, sc, index as u32, key, &mut ws);
                    }
                });
        });
        out
    }
}

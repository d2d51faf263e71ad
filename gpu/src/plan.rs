//! The chunk planner: splits a sweep of scenarios into chunks that each fit the device's limits.
//!
//! A chunk's per-scenario buffers (state, parameters, outputs) are each bound whole, so each must
//! fit `max_storage_buffer_binding_size` and `max_buffer_size`; its invocations are dispatched
//! along one dimension, so its workgroups must fit `max_compute_workgroups_per_dimension`
//! (65,535 on most devices). The planner is a pure function of those numbers: it is unit-tested
//! without a GPU, and the GPU tests run it with artificially small limits so that the multi-chunk
//! path is exercised on every run.
//!
//! Chunks only change which invocation computes which scenario, never the result: every random
//! number is keyed by the scenario's global index (MODEL.md section 0).

use std::ops::Range;

/// The device limits the planner respects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkLimits {
    /// Largest storage-buffer binding, in bytes.
    pub max_storage_buffer_binding_size: u64,
    /// Largest buffer, in bytes.
    pub max_buffer_size: u64,
    /// Most workgroups in one dimension of a dispatch.
    pub max_workgroups_per_dim: u32,
}

impl ChunkLimits {
    /// The planner's view of a device's limits.
    pub fn from_wgpu(limits: &wgpu::Limits) -> Self {
        Self {
            max_storage_buffer_binding_size: limits.max_storage_buffer_binding_size,
            max_buffer_size: limits.max_buffer_size,
            max_workgroups_per_dim: limits.max_compute_workgroups_per_dimension,
        }
    }

    /// The largest buffer a chunk may bind whole: the smaller of the two byte limits.
    pub fn max_binding_bytes(&self) -> u64 {
        self.max_storage_buffer_binding_size
            .min(self.max_buffer_size)
    }
}

/// One buffer that holds a fixed number of bytes per scenario of a chunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PerScenarioBuffer {
    /// What it holds, for error messages (`"state"`, `"scenario params"`, `"outputs"`).
    pub name: &'static str,
    /// Bytes it needs per scenario.
    pub bytes_per_scenario: u64,
}

/// What to plan.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChunkRequest<'a> {
    /// Scenarios in the sweep.
    pub n_scenarios: u32,
    /// The chunk's per-scenario buffers.
    pub buffers: &'a [PerScenarioBuffer],
    /// Invocations per workgroup (one scenario per invocation).
    pub workgroup_size: u32,
    pub limits: ChunkLimits,
    /// A further cap on scenarios per chunk (memory budget, progress granularity, tests).
    pub max_scenarios_per_chunk: Option<u32>,
}

/// A run of scenarios `start .. start + count` processed by one set of dispatches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chunk {
    /// Global index of the first scenario.
    pub start: u32,
    /// Scenarios in the chunk (at least one).
    pub count: u32,
}

impl Chunk {
    /// The global scenario indices the chunk covers.
    pub fn range(&self) -> Range<u32> {
        self.start..self.start + self.count
    }

    /// Workgroups of `workgroup_size` invocations needed to cover the chunk.
    pub fn workgroups(&self, workgroup_size: u32) -> u32 {
        self.count.div_ceil(workgroup_size)
    }
}

/// Why no plan exists.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("the workgroup size must be at least 1")]
    ZeroWorkgroupSize,
    #[error(
        "per-scenario buffer `{name}` needs 0 bytes per scenario; every buffer must hold data"
    )]
    EmptyBuffer { name: &'static str },
    /// Not even one workgroup's worth of scenarios fits: the named constraint is the culprit.
    #[error(
        "one workgroup of {workgroup_size} scenarios does not fit: {constraint} allows only \
         {max_scenarios} scenarios per chunk"
    )]
    WorkgroupDoesNotFit {
        workgroup_size: u32,
        constraint: String,
        max_scenarios: u64,
    },
}

/// Splits `0 .. n_scenarios` into consecutive chunks, in order, each within every limit of
/// `request`. All chunks but the last hold the same number of scenarios, the largest multiple of
/// the workgroup size that fits; the last holds the rest. No scenarios, no chunks.
pub fn plan_chunks(request: &ChunkRequest<'_>) -> Result<Vec<Chunk>, PlanError> {
    let capacity = chunk_capacity(request)?;
    let n = request.n_scenarios;
    let mut chunks = Vec::with_capacity(n.div_ceil(capacity) as usize);
    let mut start = 0u32;
    while start < n {
        let count = capacity.min(n - start);
        chunks.push(Chunk { start, count });
        start += count;
    }
    Ok(chunks)
}

/// The most scenarios one chunk may hold: the tightest constraint, rounded down to a multiple of
/// the workgroup size (so only the last chunk leaves invocations idle).
pub fn chunk_capacity(request: &ChunkRequest<'_>) -> Result<u32, PlanError> {
    let wg = request.workgroup_size;
    if wg == 0 {
        return Err(PlanError::ZeroWorkgroupSize);
    }
    let limits = &request.limits;
    // (scenarios allowed, which constraint allows them), tightest kept.
    let mut tightest: (u64, String) = (
        u64::from(limits.max_workgroups_per_dim) * u64::from(wg),
        format!(
            "max_compute_workgroups_per_dimension ({})",
            limits.max_workgroups_per_dim
        ),
    );
    let mut consider = |allowed: u64, why: String| {
        if allowed < tightest.0 {
            tightest = (allowed, why);
        }
    };
    // Scenario indices are u32 (they key the Philox counter).
    consider(u64::from(u32::MAX), "the u32 scenario index".to_owned());
    if let Some(cap) = request.max_scenarios_per_chunk {
        consider(u64::from(cap), format!("max_scenarios_per_chunk ({cap})"));
    }
    let max_bytes = limits.max_binding_bytes();
    let byte_limit_name = if limits.max_storage_buffer_binding_size <= limits.max_buffer_size {
        "max_storage_buffer_binding_size"
    } else {
        "max_buffer_size"
    };
    for buffer in request.buffers {
        if buffer.bytes_per_scenario == 0 {
            return Err(PlanError::EmptyBuffer { name: buffer.name });
        }
        consider(
            max_bytes / buffer.bytes_per_scenario,
            format!(
                "buffer `{}` at {} bytes per scenario under {byte_limit_name} ({max_bytes} bytes)",
                buffer.name, buffer.bytes_per_scenario
            ),
        );
    }
    let (allowed, constraint) = tightest;
    if allowed < u64::from(wg) {
        return Err(PlanError::WorkgroupDoesNotFit {
            workgroup_size: wg,
            constraint,
            max_scenarios: allowed,
        });
    }
    // `allowed` fits in u32 (the index constraint above); round down to whole workgroups.
    let allowed = allowed as u32;
    Ok(allowed - allowed % wg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    const BIG: ChunkLimits = ChunkLimits {
        max_storage_buffer_binding_size: 1 << 31,
        max_buffer_size: 1 << 40,
        max_workgroups_per_dim: 65_535,
    };

    fn buffers(bytes: &[u64]) -> Vec<PerScenarioBuffer> {
        bytes
            .iter()
            .map(|&b| PerScenarioBuffer {
                name: "buf",
                bytes_per_scenario: b,
            })
            .collect()
    }

    /// The properties every plan must have, checked against the request that produced it.
    fn assert_valid(request: &ChunkRequest<'_>, chunks: &[Chunk]) {
        let wg = request.workgroup_size;
        let mut next = 0u32;
        for (i, c) in chunks.iter().enumerate() {
            assert_eq!(
                c.start, next,
                "chunk {i} does not follow its predecessor: {chunks:?}"
            );
            assert!(c.count > 0, "chunk {i} is empty");
            let last = i + 1 == chunks.len();
            if !last {
                assert_eq!(c.count % wg, 0, "chunk {i} is not whole workgroups");
                assert_eq!(c.count, chunks[0].count, "inner chunks differ in size");
            }
            for b in request.buffers {
                let bytes = u64::from(c.count) * b.bytes_per_scenario;
                assert!(bytes <= request.limits.max_storage_buffer_binding_size);
                assert!(bytes <= request.limits.max_buffer_size);
            }
            assert!(c.workgroups(wg) <= request.limits.max_workgroups_per_dim);
            if let Some(cap) = request.max_scenarios_per_chunk {
                assert!(c.count <= cap);
            }
            next = c.range().end;
        }
        assert_eq!(
            next, request.n_scenarios,
            "chunks do not cover every scenario"
        );
    }

    #[test]
    fn one_chunk_when_everything_fits() {
        let b = buffers(&[4 * 40, 320, 224]);
        let req = ChunkRequest {
            n_scenarios: 10_000,
            buffers: &b,
            workgroup_size: 64,
            limits: BIG,
            max_scenarios_per_chunk: None,
        };
        assert_eq!(
            plan_chunks(&req).unwrap(),
            vec![Chunk {
                start: 0,
                count: 10_000
            }]
        );
    }

    #[test]
    fn no_scenarios_no_chunks() {
        let b = buffers(&[4]);
        let req = ChunkRequest {
            n_scenarios: 0,
            buffers: &b,
            workgroup_size: 64,
            limits: BIG,
            max_scenarios_per_chunk: None,
        };
        assert!(plan_chunks(&req).unwrap().is_empty());
    }

    #[test]
    fn binding_size_splits_into_whole_workgroups() {
        // 1000 bytes allow 250 four-byte scenarios: 3 workgroups of 64 = 192 per chunk.
        let b = buffers(&[4]);
        let limits = ChunkLimits {
            max_storage_buffer_binding_size: 1000,
            ..BIG
        };
        let req = ChunkRequest {
            n_scenarios: 500,
            buffers: &b,
            workgroup_size: 64,
            limits,
            max_scenarios_per_chunk: None,
        };
        let chunks = plan_chunks(&req).unwrap();
        assert_eq!(
            chunks,
            vec![
                Chunk {
                    start: 0,
                    count: 192
                },
                Chunk {
                    start: 192,
                    count: 192
                },
                Chunk {
                    start: 384,
                    count: 116
                },
            ]
        );
        assert_valid(&req, &chunks);
    }

    #[test]
    fn the_largest_buffer_and_the_smaller_byte_limit_decide() {
        // max_buffer_size (2048) is tighter than the binding limit; the 16-byte buffer decides:
        // 128 scenarios, exactly 4 workgroups of 32.
        let b = buffers(&[4, 16, 8]);
        let limits = ChunkLimits {
            max_storage_buffer_binding_size: 4096,
            max_buffer_size: 2048,
            max_workgroups_per_dim: 65_535,
        };
        let req = ChunkRequest {
            n_scenarios: 300,
            buffers: &b,
            workgroup_size: 32,
            limits,
            max_scenarios_per_chunk: None,
        };
        assert_eq!(chunk_capacity(&req), Ok(128));
        assert_valid(&req, &plan_chunks(&req).unwrap());
    }

    #[test]
    fn workgroups_per_dimension_limit_splits() {
        let b = buffers(&[4]);
        let limits = ChunkLimits {
            max_workgroups_per_dim: 3,
            ..BIG
        };
        let req = ChunkRequest {
            n_scenarios: 1000,
            buffers: &b,
            workgroup_size: 64,
            limits,
            max_scenarios_per_chunk: None,
        };
        assert_eq!(chunk_capacity(&req), Ok(192));
        assert_valid(&req, &plan_chunks(&req).unwrap());
    }

    #[test]
    fn explicit_cap_rounds_down_to_whole_workgroups() {
        let b = buffers(&[4]);
        let req = ChunkRequest {
            n_scenarios: 1000,
            buffers: &b,
            workgroup_size: 64,
            limits: BIG,
            max_scenarios_per_chunk: Some(200),
        };
        assert_eq!(chunk_capacity(&req), Ok(192));
    }

    #[test]
    fn default_device_limits_allow_millions_per_chunk() {
        // WebGPU's default limits: 128 MiB bindings, 256 MiB buffers, 65,535 workgroups.
        let limits = ChunkLimits::from_wgpu(&wgpu::Limits::default());
        let b = buffers(&[4 * 64, 320, 224]);
        let req = ChunkRequest {
            n_scenarios: 1_000_000,
            buffers: &b,
            workgroup_size: 64,
            limits,
            max_scenarios_per_chunk: None,
        };
        let cap = chunk_capacity(&req).unwrap();
        assert_eq!(cap, (128 << 20) / 320 / 64 * 64);
        assert_valid(&req, &plan_chunks(&req).unwrap());
    }

    #[test]
    fn error_when_one_workgroup_does_not_fit() {
        let b = [PerScenarioBuffer {
            name: "state",
            bytes_per_scenario: 1024,
        }];
        let limits = ChunkLimits {
            max_storage_buffer_binding_size: 32 * 1024,
            ..BIG
        };
        let req = ChunkRequest {
            n_scenarios: 10,
            buffers: &b,
            workgroup_size: 64,
            limits,
            max_scenarios_per_chunk: None,
        };
        let err = plan_chunks(&req).unwrap_err();
        assert!(
            matches!(
                err,
                PlanError::WorkgroupDoesNotFit {
                    max_scenarios: 32,
                    ..
                }
            ),
            "{err:?}"
        );
        let msg = err.to_string();
        assert!(
            msg.contains("state") && msg.contains("max_storage_buffer_binding_size"),
            "{msg}"
        );

        let req = ChunkRequest {
            max_scenarios_per_chunk: Some(63),
            limits: BIG,
            ..req
        };
        assert!(plan_chunks(&req)
            .unwrap_err()
            .to_string()
            .contains("max_scenarios_per_chunk"));
    }

    #[test]
    fn rejects_degenerate_requests() {
        let b = buffers(&[4]);
        let req = ChunkRequest {
            n_scenarios: 10,
            buffers: &b,
            workgroup_size: 0,
            limits: BIG,
            max_scenarios_per_chunk: None,
        };
        assert_eq!(plan_chunks(&req), Err(PlanError::ZeroWorkgroupSize));
        let b = buffers(&[4, 0]);
        let req = ChunkRequest {
            workgroup_size: 64,
            buffers: &b,
            ..req
        };
        assert!(matches!(
            plan_chunks(&req),
            Err(PlanError::EmptyBuffer { .. })
        ));
    }

    #[test]
    fn the_whole_u32_range_is_plannable() {
        let b = buffers(&[4]);
        let req = ChunkRequest {
            n_scenarios: u32::MAX,
            buffers: &b,
            workgroup_size: 256,
            limits: BIG,
            max_scenarios_per_chunk: None,
        };
        let chunks = plan_chunks(&req).unwrap();
        assert_valid(&req, &chunks);
        assert_eq!(chunks.last().unwrap().range().end, u32::MAX);
    }

    /// Random requests, including tiny limits: every plan either satisfies all the properties or
    /// is refused exactly when one workgroup does not fit.
    #[test]
    fn random_requests_give_valid_plans() {
        let mut rng = ChaCha8Rng::seed_from_u64(0x00C0_FFEE);
        for _ in 0..5_000 {
            let n_buffers = rng.random_range(1..=4);
            let bytes: Vec<u64> = (0..n_buffers)
                .map(|_| 4 * rng.random_range(1..=200u64))
                .collect();
            let b = buffers(&bytes);
            let limits = ChunkLimits {
                max_storage_buffer_binding_size: rng.random_range(64..=200_000),
                max_buffer_size: rng.random_range(64..=200_000),
                max_workgroups_per_dim: rng.random_range(1..=50),
            };
            let req = ChunkRequest {
                n_scenarios: rng.random_range(0..=20_000),
                buffers: &b,
                workgroup_size: [1, 7, 32, 64, 256][rng.random_range(0..5)],
                limits,
                max_scenarios_per_chunk: rng.random_bool(0.3).then(|| rng.random_range(1..=5_000)),
            };
            match plan_chunks(&req) {
                Ok(chunks) => assert_valid(&req, &chunks),
                Err(PlanError::WorkgroupDoesNotFit { max_scenarios, .. }) => {
                    assert!(max_scenarios < u64::from(req.workgroup_size));
                    let wg = u64::from(req.workgroup_size);
                    let one_wg_fits = bytes.iter().all(|&b| wg * b <= limits.max_binding_bytes())
                        && req
                            .max_scenarios_per_chunk
                            .is_none_or(|c| u64::from(c) >= wg);
                    assert!(
                        !one_wg_fits,
                        "refused a request where one workgroup fits: {req:?}"
                    );
                }
                Err(e) => panic!("unexpected {e:?} for {req:?}"),
            }
        }
    }
}

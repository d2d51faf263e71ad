//! The chunk planner on a real device: plan a sweep under artificially small limits, run the
//! `chunk_probe` pipeline over every chunk the way the simulation will (structure-of-arrays state,
//! one dispatch per day, every chunk and day recorded in one submission), and check that every
//! scenario was visited exactly once a day, carried its state across days, and that the
//! invocations past a chunk's end wrote nothing.

use bytemuck::{Pod, Zeroable};
use undertow_gpu::testing::gpu_or_skip;
use undertow_gpu::{
    plan_chunks, read_buffer, read_buffer_range, storage_zeroed, Chunk, ChunkLimits, ChunkRequest,
    ComputeKernel, GpuContext, GpuError, PerScenarioBuffer, UniformRecords,
};
use undertow_shaders::probes::CHUNK_PROBE;

/// Host twin of `ChunkHeader` in `shaders/wgsl/probes/chunk_probe.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Pod, Zeroable)]
struct ChunkHeader {
    start: u32,
    count: u32,
    day: u32,
    _pad: u32,
}

/// `CHUNK_PROBE_SLOTS` in the WGSL: words of state per scenario.
const SLOTS: u64 = 2;
/// Simulated days per chunk.
const DAYS: u32 = 5;
const WORD: u64 = 4;

/// What one sweep left behind, gathered across chunks (index = global scenario).
struct SweepResult {
    ids: Vec<u32>,
    day_sums: Vec<u32>,
    visits: Vec<u32>,
    /// The chunk-sized buffers as the last chunk left them.
    last_state: Vec<u32>,
    last_visits: Vec<u32>,
}

/// Runs `chunks` through the probe in one submission and reads the results back.
fn sweep(ctx: &GpuContext, n: u32, chunks: &[Chunk]) -> Result<SweepResult, GpuError> {
    let kernel = ComputeKernel::new(ctx, &CHUNK_PROBE)?;
    let capacity = u64::from(chunks.iter().map(|c| c.count).max().unwrap_or(1));
    // Chunk buffers are sized for the largest chunk and reused by every chunk.
    let state = storage_zeroed(ctx, "probe state", capacity * SLOTS * WORD)?;
    let visits = storage_zeroed(ctx, "probe visits", capacity * WORD)?;
    // Sweep-wide results, filled by copies: never bound, so not subject to the binding limit.
    let n_bytes = u64::from(n) * WORD;
    let all_ids = storage_zeroed(ctx, "all ids", n_bytes)?;
    let all_day_sums = storage_zeroed(ctx, "all day sums", n_bytes)?;
    let all_visits = storage_zeroed(ctx, "all visits", n_bytes)?;

    let headers: Vec<ChunkHeader> = chunks
        .iter()
        .flat_map(|c| {
            (0..DAYS).map(|day| ChunkHeader {
                start: c.start,
                count: c.count,
                day,
                _pad: 0,
            })
        })
        .collect();
    let headers = UniformRecords::new(ctx, "probe headers", &headers)?;

    let mut encoder = ctx
        .device
        .create_command_encoder(&wgpu::CommandEncoderDescriptor {
            label: Some("chunk sweep"),
        });
    for (ci, chunk) in chunks.iter().enumerate() {
        let bind_groups = (0..DAYS as usize)
            .map(|day| {
                kernel.bind_group(
                    ctx,
                    0,
                    &[
                        headers.binding(ci * DAYS as usize + day),
                        state.as_entire_binding(),
                        visits.as_entire_binding(),
                    ],
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        let workgroups = kernel.workgroups_for(ctx, chunk.count)?;
        encoder.clear_buffer(&state, 0, None);
        encoder.clear_buffer(&visits, 0, None);
        {
            let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                label: Some("chunk days"),
                timestamp_writes: None,
            });
            pass.set_pipeline(&kernel.pipeline);
            for bind_group in &bind_groups {
                pass.set_bind_group(0, bind_group, &[]);
                pass.dispatch_workgroups(workgroups, 1, 1);
            }
        }
        // Structure-of-arrays: each slot is one contiguous run of `count` words.
        let at = u64::from(chunk.start) * WORD;
        let row = u64::from(chunk.count) * WORD;
        encoder.copy_buffer_to_buffer(&state, 0, &all_ids, at, row);
        encoder.copy_buffer_to_buffer(&state, row, &all_day_sums, at, row);
        encoder.copy_buffer_to_buffer(&visits, 0, &all_visits, at, row);
    }
    ctx.submit("running the chunk sweep", encoder)?;

    Ok(SweepResult {
        ids: read_buffer(ctx, &all_ids)?,
        day_sums: read_buffer(ctx, &all_day_sums)?,
        visits: read_buffer(ctx, &all_visits)?,
        last_state: read_buffer_range(ctx, &state, 0, capacity * SLOTS)?,
        last_visits: read_buffer_range(ctx, &visits, 0, capacity)?,
    })
}

/// Plans `n` scenarios under `limits`, sweeps them, and checks every scenario.
fn check_sweep(ctx: &GpuContext, n: u32, limits: ChunkLimits, cap: Option<u32>) -> usize {
    let buffers = [
        PerScenarioBuffer {
            name: "state",
            bytes_per_scenario: SLOTS * WORD,
        },
        PerScenarioBuffer {
            name: "visits",
            bytes_per_scenario: WORD,
        },
    ];
    let request = ChunkRequest {
        n_scenarios: n,
        buffers: &buffers,
        workgroup_size: CHUNK_PROBE.workgroup_size,
        limits,
        max_scenarios_per_chunk: cap,
    };
    let chunks = plan_chunks(&request).unwrap_or_else(|e| panic!("planning {n} scenarios: {e}"));
    let r = sweep(ctx, n, &chunks).unwrap_or_else(|e| panic!("sweep over {chunks:?}: {e}"));

    let day_sum = DAYS * (DAYS + 1) / 2;
    for s in 0..n as usize {
        assert_eq!(
            r.ids[s], s as u32,
            "scenario {s}: wrong or missing id (chunks {chunks:?})"
        );
        assert_eq!(
            r.visits[s], DAYS,
            "scenario {s}: visited {} times in {DAYS} days",
            r.visits[s]
        );
        assert_eq!(
            r.day_sums[s], day_sum,
            "scenario {s}: state did not carry across days"
        );
    }
    // The last chunk's invocations past its end must have written nothing.
    let last = chunks.last().expect("at least one chunk");
    let count = last.count as usize;
    assert!(
        r.last_visits[count..].iter().all(|&v| v == 0),
        "writes past the chunk's end"
    );
    let capacity = r.last_visits.len();
    assert!(r.last_state[count..2 * count].iter().all(|&w| w == day_sum));
    assert!(
        r.last_state[2 * count..].iter().all(|&w| w == 0),
        "state written past 2 * count"
    );
    assert_eq!(r.last_state.len(), 2 * capacity);
    chunks.len()
}

#[test]
fn a_multi_chunk_sweep_visits_every_scenario_once_a_day() {
    let Some(ctx) = gpu_or_skip("a_multi_chunk_sweep_visits_every_scenario_once_a_day") else {
        return;
    };
    let real = ctx.chunk_limits();
    eprintln!(
        "device limits: max_storage_buffer_binding_size {} B, max_buffer_size {} B, \
         max_compute_workgroups_per_dimension {}",
        real.max_storage_buffer_binding_size, real.max_buffer_size, real.max_workgroups_per_dim
    );
    let n = 1000;

    // Binding size: 1536 bytes hold 192 scenarios of 8-byte state: five chunks of 192 and one of 40.
    let tiny_binding = ChunkLimits {
        max_storage_buffer_binding_size: 3 * 64 * SLOTS * WORD,
        ..real
    };
    assert_eq!(check_sweep(&ctx, n, tiny_binding, None), 6);

    // Workgroups per dimension: two workgroups of 64 per chunk.
    let tiny_dispatch = ChunkLimits {
        max_workgroups_per_dim: 2,
        ..real
    };
    assert_eq!(check_sweep(&ctx, n, tiny_dispatch, None), 8);

    // Buffer size, smaller than the binding limit, plus an explicit cap that is tighter still.
    let tiny_buffer = ChunkLimits {
        max_buffer_size: 4096,
        ..real
    };
    assert_eq!(check_sweep(&ctx, n, tiny_buffer, Some(100)), 16);

    // The real limits: one chunk; and a sweep smaller than one workgroup.
    assert_eq!(check_sweep(&ctx, n, real, None), 1);
    assert_eq!(check_sweep(&ctx, 5, tiny_binding, None), 1);
}

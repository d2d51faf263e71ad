// Probe: a stand-in for a simulation day, used by the GPU tests to exercise the chunk planner
// (`host/src/gpu/plan.rs`) and the layouts the simulation uses, without any model math:
//
// - one invocation per scenario of the chunk; the chunk's last workgroup runs past `count` and
//   must write nothing;
// - per-scenario state in structure-of-arrays order, `word = slot * count + scenario`, so that
//   neighbouring invocations touch neighbouring words and each slot is one contiguous run the
//   host can copy out in one piece;
// - one dispatch per simulated day, each with its own header, all recorded in one submission;
//   state carries over from one day's dispatch to the next.
//
// Probes have no Rust twin of their own. Host twin of the header: `ChunkHeader` in
// `host/tests/gpu_chunks.rs`.

// Which scenarios this dispatch covers, and which day it simulates.
struct ChunkHeader {
    // Global index of the chunk's first scenario.
    start: u32,
    // Scenarios in the chunk; also the stride between slots of the state.
    count: u32,
    // Day simulated by this dispatch, from 0.
    day: u32,
    _pad: u32,
}

// Slot 0: the scenario's global index. Slot 1: sum over the days so far of (day + 1).
const CHUNK_PROBE_SLOTS: u32 = 2u;
const CHUNK_PROBE_WORKGROUP_SIZE: u32 = 64u;

@group(0) @binding(0) var<uniform> header: ChunkHeader;
@group(0) @binding(1) var<storage, read_write> state: array<u32>;
// Times each scenario was visited: atomics, so that two invocations claiming the same scenario
// would show up as a count of two rather than as one overwritten value.
@group(0) @binding(2) var<storage, read_write> visits: array<atomic<u32>>;

@compute @workgroup_size(CHUNK_PROBE_WORKGROUP_SIZE)
fn chunk_probe(@builtin(global_invocation_id) gid: vec3<u32>) {
    let s = gid.x;
    if (s >= header.count) {
        return;
    }
    state[0u * header.count + s] = header.start + s;
    state[1u * header.count + s] += header.day + 1u;
    atomicAdd(&visits[s], 1u);
}

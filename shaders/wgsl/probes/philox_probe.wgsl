// Probe: evaluates every function of `philox.wgsl` over a list of cases so that the GPU tests can
// compare the WGSL generator with its Rust twin, `kernel/src/philox.rs`, bit for bit.
//
// Probes are diagnostic pipelines, not model stages: they have no Rust twin of their own (the
// twin is the module they exercise). Host twins of the two records: `PhiloxCase` and
// `PhiloxResult` in `host/tests/gpu_philox.rs` (plain `#[repr(C)]` structs with the same layout).
//
// Composed after `philox.wgsl`.

// One input case: a Philox block `(counter, key)` and an independent pair for `mulhilo_16`.
// `counter` doubles as `(scenario, day, stream, i)` for `normal_at` and `uniform_at`.
struct PhiloxCase {
    counter: vec4<u32>,
    key: vec2<u32>,
    mul: vec2<u32>,
}

// Everything computed from one case (64 bytes: the vectors sit at offsets 0, 16, 32 and 48).
struct PhiloxResult {
    block: vec4<u32>,
    uniforms: vec4<f32>,
    normals: vec4<f32>,
    mulhilo: vec2<u32>,
    normal_i: f32,
    uniform_i: f32,
}

@group(0) @binding(0) var<storage, read> cases: array<PhiloxCase>;
@group(0) @binding(1) var<storage, read_write> results: array<PhiloxResult>;

const PHILOX_PROBE_WORKGROUP_SIZE: u32 = 64u;

@compute @workgroup_size(PHILOX_PROBE_WORKGROUP_SIZE)
fn philox_probe(@builtin(global_invocation_id) gid: vec3<u32>) {
    let i = gid.x;
    // The last workgroup runs past the end of the list.
    if (i >= arrayLength(&cases)) {
        return;
    }
    let c = cases[i];
    let block = philox4x32_10(c.counter, c.key);
    var r: PhiloxResult;
    r.block = block;
    r.uniforms = vec4<f32>(
        uniform_f32(block.x),
        uniform_f32(block.y),
        uniform_f32(block.z),
        uniform_f32(block.w),
    );
    r.normals = normal4(c.counter, c.key);
    r.mulhilo = mulhilo_16(c.mul.x, c.mul.y);
    r.normal_i = normal_at(c.key, c.counter.x, c.counter.y, c.counter.z, c.counter.w);
    r.uniform_i = uniform_at(c.key, c.counter.x, c.counter.y, c.counter.z, c.counter.w);
    results[i] = r;
}

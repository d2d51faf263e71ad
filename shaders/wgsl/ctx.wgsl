// What every stage reads: the fund, the scenario, the random key and the state layout, plus the
// accessors over one scenario's state words.
//
// Rust twin: `kernel/src/ctx.rs`. Where Rust passes `c: &Ctx` and `st: &mut St`, WGSL reads the
// bindings and the private variables below: `c.fund` is `fund`, `c.sc` is `SC`, `c.lay` is `lay`,
// `st.get(i)` is `st_get(i)`.

// Per-dispatch values, one 256-byte slot per simulated day (bound with a dynamic offset).
struct Dispatch {
    // Scenarios in this chunk.
    n: u32,
    // Index of the chunk's first scenario in the whole run (the Philox counter's first word).
    first_index: u32,
    key_lo: u32,
    key_hi: u32,
    // The simulated day of this dispatch.
    day: u32,
    // Days simulated by one dispatch (1, except in the deliberately long diagnostic run).
    days: u32,
    _pad0: u32,
    _pad1: u32,
}

@group(0) @binding(0) var<storage, read> fund: FundParams;
@group(0) @binding(1) var<storage, read> positions: array<PositionParams>;
@group(0) @binding(2) var<storage, read> segments: array<SegmentParams>;
@group(0) @binding(3) var<storage, read> large: array<LargeInvestorParams>;
@group(0) @binding(4) var<storage, read> order: array<u32>;
@group(0) @binding(5) var<storage, read> scenarios: array<ScenarioParams>;
@group(0) @binding(6) var<storage, read_write> state: array<f32>;
@group(0) @binding(7) var<storage, read_write> outputs: array<ScenarioOutput>;
// The layout is a storage record, not a uniform: Mesa's lavapipe inlines uniform values into
// loop bounds and then recompiles the shader at every dispatch, which made it 50-100x slower.
@group(0) @binding(8) var<storage, read> lay: Layout;
@group(0) @binding(9) var<uniform> dispatch: Dispatch;

// This invocation's scenario within the chunk, the chunk size, the scenario's global index, its
// parameters and the Philox key.
var<private> K: u32;
var<private> N: u32;
var<private> SCENARIO: u32;
var<private> SC: ScenarioParams;
var<private> KEY: vec2<u32>;

// Binds the invocation to scenario `k` of the chunk; false past the chunk's end.
fn bind_scenario(k: u32) -> bool {
    N = dispatch.n;
    if k >= N {
        return false;
    }
    K = k;
    SCENARIO = dispatch.first_index + k;
    SC = scenarios[k];
    KEY = vec2<u32>(dispatch.key_lo, dispatch.key_hi);
    return true;
}

fn st_get(i: u32) -> f32 {
    return state[i * N + K];
}

fn st_set(i: u32, v: f32) {
    state[i * N + K] = v;
}

fn st_add(i: u32, v: f32) {
    state[i * N + K] = state[i * N + K] + v;
}

// Whether a mechanism switch is on.
fn on(bit: u32) -> bool {
    return (fund.switches & bit) != 0u;
}

// Whether noise is drawn at all in this scenario (scripted scenarios run without it).
fn noisy() -> bool {
    return on(SWITCH_NOISE) && (SC.flags & SFLAG_SCRIPTED) == 0u;
}

fn is_dealing_day(t: u32) -> bool {
    let every = max(fund.dealing_every, 1u);
    return t % every == every - 1u;
}

fn n_segments() -> u32 {
    return fund.n_segments;
}

fn n_holders() -> u32 {
    return fund.n_segments + fund.n_large;
}

// Philox4x32-10, the counter-based generator behind every random number inside the kernel.
//
// Rust twin: `kernel/src/philox.rs`, function for function and in the same order. Two names
// differ because WGSL reserves the Rust ones: Rust `round` is `philox_round` here and Rust
// `uniform` is `uniform_f32` here (`round` is a WGSL built-in, `uniform` an address space).
//
// WGSL has no 64-bit integers, so the 32x32->64 multiply is built from 16-bit halves
// (`mulhilo_16`). The Rust twin runs the very same emulation, and its tests check it against the
// native `u64` product, so the two sides are bit-identical.
//
// One function has no Rust twin: `ln_open_unit`, the natural log Box-Muller takes of a uniform.
// WGSL only promises `log` to 2^-21 *absolute* error on [0.5, 2], and near u = 1 that error is
// amplified by the square root into the small normals (lavapipe misses by up to 1e-5). Rust's
// `ln` is accurate to an ulp everywhere, so only the WGSL side needs the careful version.
//
// A draw is keyed by `(seed, scenario, day, stream)`: the counter is
// `(scenario, day, stream, block)` and the key is the seed's two halves, so a scenario's numbers
// depend only on the seed and its index, never on chunking or on which invocation runs it.
//
// This file is shared code: it declares no bindings and no entry points, and is composed in
// front of the stages that use it (see `undertow_shaders::compose`).

// Philox multipliers and Weyl key increments (Random123).
const PHILOX_M0: u32 = 0xD2511F53u;
const PHILOX_M1: u32 = 0xCD9E8D57u;
const PHILOX_W0: u32 = 0x9E3779B9u;
const PHILOX_W1: u32 = 0xBB67AE85u;

// Stream ids: one per kind of draw, so that switching one mechanism off leaves the others'
// numbers untouched (common random numbers across reruns). Twin: `kernel::philox::stream`.

// Market factor and class factors (normals 0 and 1..=C).
const STREAM_MARKET: u32 = 0u;
// Idiosyncratic per-position shocks.
const STREAM_IDIO: u32 = 1u;
// Segment flow noise.
const STREAM_FLOWS: u32 = 2u;
// Large-investor uniforms.
const STREAM_LARGE: u32 = 3u;

// pi rounded to f32, the same value as Rust's `std::f32::consts::PI`.
const PHILOX_PI: f32 = 3.14159265358979323846264338327950288;

// The high and low words of `a * b`, as `vec2(hi, lo)` (Rust returns the tuple `(hi, lo)`).
// Each 16x16 partial product fits in 32 bits; the middle column collects the carries.
fn mulhilo_16(a: u32, b: u32) -> vec2<u32> {
    let a_lo = a & 0xFFFFu;
    let a_hi = a >> 16u;
    let b_lo = b & 0xFFFFu;
    let b_hi = b >> 16u;
    let ll = a_lo * b_lo;
    let lh = a_lo * b_hi;
    let hl = a_hi * b_lo;
    let hh = a_hi * b_hi;
    // Middle column: carries from the cross terms into the high word.
    let mid = (ll >> 16u) + (lh & 0xFFFFu) + (hl & 0xFFFFu);
    let lo = (mid << 16u) | (ll & 0xFFFFu);
    let hi = hh + (lh >> 16u) + (hl >> 16u) + (mid >> 16u);
    return vec2<u32>(hi, lo);
}

// One Philox round (Rust: `round`).
fn philox_round(c: vec4<u32>, k: vec2<u32>) -> vec4<u32> {
    let p0 = mulhilo_16(PHILOX_M0, c.x);
    let p1 = mulhilo_16(PHILOX_M1, c.z);
    return vec4<u32>(p1.x ^ c.y ^ k.x, p1.y, p0.x ^ c.w ^ k.y, p0.y);
}

// Philox4x32 with 10 rounds. The loop has a fixed trip count of 9, far below the 65,535
// iterations after which lavapipe silently stops a loop.
fn philox4x32_10(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
    var c = counter;
    var k = key;
    c = philox_round(c, k);
    for (var i = 1u; i < 10u; i++) {
        k = vec2<u32>(k.x + PHILOX_W0, k.y + PHILOX_W1);
        c = philox_round(c, k);
    }
    return c;
}

// The key for a run seed: its low and high words.
fn key_of_seed(lo: u32, hi: u32) -> vec2<u32> {
    return vec2<u32>(lo, hi);
}

// A uniform in (0, 1): `((x >> 9) + 0.5) * 2^-23` (Rust: `uniform`). Every step is exact in f32:
// the 23-bit integer converts exactly, `k + 0.5` needs 24 significant bits, and the scaling is
// by a power of two, so both sides produce the same bits.
fn uniform_f32(x: u32) -> f32 {
    return (f32(x >> 9u) + 0.5) * (1.0 / 8388608.0);
}

// ln(u) for a uniform u in (0, 1), to a few ulps relative everywhere (Rust twin: `ln`).
// Below 3/4 the built-in `log` is accurate enough: its error is at most 2^-21 absolute against
// |ln u| > 0.28, which moves a normal by under 7e-7. From 3/4 up, where ln(u) -> 0 and an absolute
// error would be large relative to it, use ln(1 - d) = -2 atanh(d / (2 - d)) with d = 1 - u
// (exact, as u is a multiple of 2^-24): the odd series in s = d / (2 - d) <= 1/7 reaches f32
// precision by the s^11 term. Both branches are computed and `select`ed, so invocations do not
// diverge.
fn ln_open_unit(u: f32) -> f32 {
    let d = 1.0 - u;
    let s = d / (2.0 - d);
    let s2 = s * s;
    var p = 1.0 / 11.0;
    p = p * s2 + 1.0 / 9.0;
    p = p * s2 + 1.0 / 7.0;
    p = p * s2 + 1.0 / 5.0;
    p = p * s2 + 1.0 / 3.0;
    p = p * s2 + 1.0;
    return select(log(u), -2.0 * s * p, u > 0.75);
}

// Four standard normals from one Philox block by Box-Muller. The angle is kept in [-pi, pi],
// where WGSL's `cos` and `sin` are accurate.
fn normal4(counter: vec4<u32>, key: vec2<u32>) -> vec4<f32> {
    return normals(counter, key, 4u);
}

// The first `used` normals of `normal4`'s block: the second Box-Muller pair is computed only
// when `used > 2` (else its two normals are 0).
fn normals(counter: vec4<u32>, key: vec2<u32>, used: u32) -> vec4<f32> {
    let r = philox4x32_10(counter, key);
    let z01 = box_muller_pair(r.x, r.y);
    if used > 2u {
        return vec4<f32>(z01, box_muller_pair(r.z, r.w));
    }
    return vec4<f32>(z01, 0.0, 0.0);
}

// One Box-Muller pair from the words `u` (the radius's) and `v` (the angle's):
// `(rad cos, rad sin)`. (The CPU twin also draws several blocks' pairs at once on lanes,
// `philox::normal_blocks`, with the same values.)
fn box_muller_pair(u: u32, v: u32) -> vec2<f32> {
    let rad = sqrt(-2.0 * ln_open_unit(uniform_f32(u)));
    let ang = (2.0 * uniform_f32(v) - 1.0) * PHILOX_PI;
    return vec2<f32>(rad * cos(ang), rad * sin(ang));
}

// The `i`-th standard normal of `(scenario, day, stream)`.
fn normal_at(key: vec2<u32>, scenario: u32, day: u32, stream: u32, i: u32) -> f32 {
    let z = normal4(vec4<u32>(scenario, day, stream, i / 4u), key);
    return z[i % 4u];
}

// The `i`-th uniform of `(scenario, day, stream)`.
fn uniform_at(key: vec2<u32>, scenario: u32, day: u32, stream: u32, i: u32) -> f32 {
    let r = philox4x32_10(vec4<u32>(scenario, day, stream, i / 4u), key);
    return uniform_f32(r[i % 4u]);
}

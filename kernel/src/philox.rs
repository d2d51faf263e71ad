//! Philox4x32-10, the counter-based generator behind every random number inside the kernel.
//!
//! WGSL twin: `shaders/wgsl/philox.wgsl`. WGSL has no 64-bit integers, so the 32x32->64 multiply is
//! built from 16-bit halves ([`mulhilo_16`]). The CPU multiplies natively ([`mulhilo`], one `u64`
//! product instead of four 16-bit ones and their carries: Philox was 18% of the CPU kernel's time
//! with the emulation); a test checks that both give the same words for every pair it tries,
//! edge cases and 100,000 random pairs among them, so the twins' streams stay bit-identical.
//!
//! A draw is keyed by `(seed, scenario, day, stream)`: the counter is
//! `[scenario, day, stream, block]` and the key is the seed's two halves. A scenario's numbers
//! therefore depend only on the seed and its index.

use crate::real::Real;

const M0: u32 = 0xD251_1F53;
const M1: u32 = 0xCD9E_8D57;
const W0: u32 = 0x9E37_79B9;
const W1: u32 = 0xBB67_AE85;

/// Stream ids: one per kind of draw, so that switching one mechanism off leaves the others'
/// numbers untouched (common random numbers across reruns).
pub mod stream {
    /// Market factor and class factors (normals 0 and 1..=C).
    pub const MARKET: u32 = 0;
    /// Idiosyncratic per-position shocks.
    pub const IDIO: u32 = 1;
    /// Segment flow noise.
    pub const FLOWS: u32 = 2;
    /// Large-investor uniforms.
    pub const LARGE: u32 = 3;
}

/// The high and low words of `a * b`, from 16-bit halves exactly as WGSL computes them.
#[inline(always)]
pub fn mulhilo_16(a: u32, b: u32) -> (u32, u32) {
    let a_lo = a & 0xFFFF;
    let a_hi = a >> 16;
    let b_lo = b & 0xFFFF;
    let b_hi = b >> 16;
    let ll = a_lo * b_lo;
    let lh = a_lo * b_hi;
    let hl = a_hi * b_lo;
    let hh = a_hi * b_hi;
    // Middle column: carries from the cross terms into the high word.
    let mid = (ll >> 16) + (lh & 0xFFFF) + (hl & 0xFFFF);
    let lo = (mid << 16) | (ll & 0xFFFF);
    let hi = hh + (lh >> 16) + (hl >> 16) + (mid >> 16);
    (hi, lo)
}

/// The high and low words of `a * b` from the native 64-bit product: what the CPU computes.
#[inline(always)]
pub fn mulhilo(a: u32, b: u32) -> (u32, u32) {
    let p = a as u64 * b as u64;
    ((p >> 32) as u32, p as u32)
}

#[inline(always)]
fn round(c: [u32; 4], k: [u32; 2]) -> [u32; 4] {
    let (hi0, lo0) = mulhilo(M0, c[0]);
    let (hi1, lo1) = mulhilo(M1, c[2]);
    [hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0]
}

/// Philox4x32 with 10 rounds.
#[inline(always)]
pub fn philox4x32_10(counter: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    let mut c = counter;
    let mut k = key;
    c = round(c, k);
    for _ in 1..10 {
        k = [k[0].wrapping_add(W0), k[1].wrapping_add(W1)];
        c = round(c, k);
    }
    c
}

/// The key for a run seed: its low and high words.
#[inline]
pub fn key_of_seed(lo: u32, hi: u32) -> [u32; 2] {
    [lo, hi]
}

/// A uniform in (0, 1): `((x >> 9) + 0.5) * 2^-23`, exact in f32 and f64 alike.
///
/// MODEL.md writes `((x >> 8) + 0.5) * 2^-24`, but `k + 0.5` needs 25 significant bits once
/// `k >= 2^23`, which f32 does not have; 23 bits keep `2k + 1 < 2^24` exact (docs/model.md).
#[inline(always)]
pub fn uniform<T: Real>(x: u32) -> T {
    T::p(((x >> 9) as f32 + 0.5) * (1.0 / 8_388_608.0))
}

/// Four standard normals from one Philox block by Box-Muller. The angle is kept in [-pi, pi],
/// where WGSL's `cos` and `sin` are accurate.
#[inline(always)]
pub fn normal4<T: Real>(counter: [u32; 4], key: [u32; 2]) -> [T; 4] {
    normals(counter, key, 4)
}

/// The first `used` normals of [`normal4`]'s block: the second Box-Muller pair
/// (a log, a square root, a sine and a cosine) is computed only when `used > 2` (else its two
/// normals are 0). The normals
/// computed are [`normal4`]'s bit for bit, so a stage that needs three of the four (the example's
/// six investor segments, its market factor and four classes) skips the pair it would throw away.
#[inline(always)]
pub fn normals<T: Real>(counter: [u32; 4], key: [u32; 2], used: u32) -> [T; 4] {
    let r = philox4x32_10(counter, key);
    let [z0, z1] = box_muller_pair::<T>(r[0], r[1]);
    if used > 2 {
        let [z2, z3] = box_muller_pair::<T>(r[2], r[3]);
        [z0, z1, z2, z3]
    } else {
        [z0, z1, T::zero(), T::zero()]
    }
}

/// Box-Muller's radius from `ln u`: `sqrt(-2 ln u)`.
#[inline(always)]
fn radius<T: Real>(ln_u: T) -> T {
    (-T::p(2.0) * ln_u).sqrt()
}

/// Box-Muller's angle from the word `v`: `(2v - 1) pi`, inside `[-pi, pi]`.
#[inline(always)]
fn angle<T: Real>(v: u32) -> T {
    (T::p(2.0) * uniform::<T>(v) - T::one()) * T::p(std::f32::consts::PI)
}

/// One Box-Muller pair from the Philox words `u` (the radius's) and `v` (the angle's):
/// `[rad cos, rad sin]`, with the scalar functions (whose branches skip the reduction for small
/// angles, where the lanes of [`box_muller`] compute every path).
#[inline(always)]
fn box_muller_pair<T: Real>(u: u32, v: u32) -> [T; 2] {
    let rad = radius(uniform::<T>(u).ln_k());
    let (sin, cos) = angle::<T>(v).sin_cos_k();
    [rad * cos, rad * sin]
}

/// [`box_muller_pair`] of `P` pairs at once, the same bits: the logarithms, sines and cosines
/// are the kernel's own on lanes ([`Real::ln_lanes`], [`Real::sin_cos_lanes`]: packed `f64`
/// steps in `f32`).
#[inline(always)]
pub fn box_muller<T: Real, const P: usize>(u: [u32; P], v: [u32; P]) -> [[T; 2]; P] {
    let ln = T::ln_lanes(u.map(uniform::<T>));
    let (sin, cos) = T::sin_cos_lanes(v.map(angle::<T>));
    core::array::from_fn(|j| {
        let rad = radius(ln[j]);
        [rad * cos[j], rad * sin[j]]
    })
}

/// Normals `0 .. used` of the blocks `counter`, `counter + 1`, ... (in the last word) into
/// `out[..used]`: [`normals`] of each block bit for bit, with the Box-Muller pairs drawn `P` at a
/// time on lanes (`P` even: `P / 2` blocks a call): the market and class factors, the segments'
/// flow noise, the positions' idiosyncratic noise. Lanes past `used` box a pair of zero words (a
/// finite uniform), never written out.
#[inline(always)]
pub fn normal_seq<T: Real, const P: usize>(
    counter: [u32; 4],
    key: [u32; 2],
    used: u32,
    out: &mut [T],
) {
    debug_assert!(P.is_multiple_of(2) && out.len() >= used as usize);
    let [s, d, k, first] = counter;
    let used = used as usize;
    let per_call = 2 * P;
    let mut n0 = 0;
    while n0 < used {
        let (mut u, mut v) = ([0u32; P], [0u32; P]);
        let block0 = (n0 / 4) as u32;
        for b in 0..(used - n0).min(per_call).div_ceil(4) {
            let r = philox4x32_10([s, d, k, first.wrapping_add(block0 + b as u32)], key);
            (u[2 * b], v[2 * b], u[2 * b + 1], v[2 * b + 1]) = (r[0], r[1], r[2], r[3]);
        }
        let pairs = box_muller::<T, P>(u, v);
        for (n, o) in out[n0..used.min(n0 + per_call)].iter_mut().enumerate() {
            *o = pairs[n / 2][n % 2];
        }
        n0 += per_call;
    }
}

#[inline]
pub fn normal_at<T: Real>(key: [u32; 2], scenario: u32, day: u32, stream: u32, i: u32) -> T {
    normal4::<T>([scenario, day, stream, i / 4], key)[(i % 4) as usize]
}

/// The `i`-th uniform of `(scenario, day, stream)`.
#[inline]
pub fn uniform_at<T: Real>(key: [u32; 2], scenario: u32, day: u32, stream: u32, i: u32) -> T {
    uniform::<T>(philox4x32_10([scenario, day, stream, i / 4], key)[(i % 4) as usize])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Random123's known-answer vectors for Philox4x32-10 (MODEL.md section 0).
    #[test]
    fn known_answers() {
        assert_eq!(
            philox4x32_10([0, 0, 0, 0], [0, 0]),
            [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]
        );
        assert_eq!(
            philox4x32_10([u32::MAX; 4], [u32::MAX; 2]),
            [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]
        );
        assert_eq!(
            philox4x32_10(
                [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
                [0xa4093822, 0x299f31d0]
            ),
            [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]
        );
    }

    #[test]
    fn mulhilo_matches_native_u64() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let edge = [0u32, 1, 0xFFFF, 0x10000, 0xFFFF_FFFF, 0x8000_0000, M0, M1];
        let mut pairs: Vec<(u32, u32)> = Vec::new();
        for &a in &edge {
            for &b in &edge {
                pairs.push((a, b));
            }
        }
        for _ in 0..100_000 {
            // splitmix64 for test inputs
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            pairs.push((z as u32, (z >> 32) as u32));
        }
        for (a, b) in pairs {
            let p = a as u64 * b as u64;
            assert_eq!(
                mulhilo_16(a, b),
                ((p >> 32) as u32, p as u32),
                "{a:#x} * {b:#x}"
            );
            assert_eq!(mulhilo(a, b), mulhilo_16(a, b), "{a:#x} * {b:#x}");
        }
    }

    #[test]
    fn uniform_mapping_is_exact_and_open() {
        // Every 23-bit value maps to (k + 0.5) / 2^23 exactly in f32 and f64.
        for k in [0u32, 1, 2, 1 << 22, (1 << 23) - 2, (1 << 23) - 1] {
            let x = k << 9 | 0x1AB;
            let f: f32 = uniform(x);
            let d: f64 = uniform(x);
            let exact = (k as f64 + 0.5) / 8_388_608.0;
            assert_eq!(f as f64, exact);
            assert_eq!(d, exact);
            assert!(f > 0.0 && f < 1.0);
        }
    }

    #[test]
    fn normals_have_unit_moments() {
        let key = key_of_seed(42, 7);
        let n = 200_000u32;
        let (mut s1, mut s2) = (0.0f64, 0.0f64);
        for i in 0..n {
            let z: f64 = normal_at(key, i / 64, i % 64, stream::MARKET, 0);
            s1 += z;
            s2 += z * z;
        }
        let mean = s1 / n as f64;
        let var = s2 / n as f64 - mean * mean;
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var - 1.0).abs() < 0.015, "var {var}");
    }

    /// `normals` gives `normal4`'s first `used` normals bit for bit, in both float types, and
    /// skips (zeroes) the second pair only when it is not used.
    #[test]
    fn partial_blocks_are_the_full_blocks_first_normals() {
        for i in 0..500u32 {
            let counter = [i, i.wrapping_mul(7), 2, i / 3];
            let key = [0x1234_5678, i];
            let full32: [f32; 4] = normal4(counter, key);
            let full64: [f64; 4] = normal4(counter, key);
            for used in 1..=4u32 {
                let part32: [f32; 4] = normals(counter, key, used);
                let part64: [f64; 4] = normals(counter, key, used);
                for j in 0..4 {
                    if j < 2 || used > 2 {
                        assert_eq!(part32[j].to_bits(), full32[j].to_bits());
                        assert_eq!(part64[j].to_bits(), full64[j].to_bits());
                    } else {
                        assert_eq!(part32[j], 0.0);
                        assert_eq!(part64[j], 0.0);
                    }
                }
            }
            // The second pair is a real draw when it is used (not zero by accident).
            assert!(full32[2] != 0.0 || full32[3] != 0.0);
        }
    }

    /// `normal_seq` gives each whole block's `normal4` bit for bit at several lane widths, in
    /// both float types, and `normal4` is Box-Muller with the platform's own `ln`, `sin` and `cos`
    /// on glibc (the kernel's functions are glibc's, `crate::math`); a block out of place is
    /// caught. Partial blocks: `normal_seq_gives_each_blocks_normals`.
    #[test]
    fn blocks_drawn_together_are_each_blocks_normals() {
        fn check<const P: usize>(i: u32) {
            let counter = [i, 3, 1, i % 11];
            let key = [0x9e37_79b9, i];
            let blocks = P as u32; // twice the `P / 2` blocks of one call: two calls
            let (mut b32, mut b64) = (vec![0f32; 4 * P], vec![0f64; 4 * P]);
            normal_seq::<f32, P>(counter, key, 4 * blocks, &mut b32);
            normal_seq::<f64, P>(counter, key, 4 * blocks, &mut b64);
            for b in 0..P {
                let block = [i, 3, 1, i % 11 + b as u32];
                let one32: [f32; 4] = normal4(block, key);
                let one64: [f64; 4] = normal4(block, key);
                let (w32, w64) = (&b32[4 * b..4 * b + 4], &b64[4 * b..4 * b + 4]);
                assert_eq!(
                    w32.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                    one32.map(f32::to_bits),
                    "{i} {b}"
                );
                assert_eq!(
                    w64.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                    one64.map(f64::to_bits),
                    "{i} {b}"
                );
            }
            let shifted: [f32; 4] = normal4([i, 3, 1, i % 11 + 1], key);
            assert_ne!(
                b32[..4].iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
                shifted.map(f32::to_bits)
            );
        }
        for i in 0..300u32 {
            check::<2>(i);
            check::<6>(i);
            check::<16>(i);
        }
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        for i in 0..20_000u32 {
            let counter = [i, i / 7, 1, 5];
            let r = philox4x32_10(counter, [7, i]);
            let z: [f32; 4] = normal4(counter, [7, i]);
            for pair in 0..2 {
                let u: f32 = uniform(r[2 * pair]);
                let v: f32 = uniform(r[2 * pair + 1]);
                let rad = (-2.0 * u.ln()).sqrt();
                let ang = (2.0 * v - 1.0) * std::f32::consts::PI;
                assert_eq!(z[2 * pair].to_bits(), (rad * ang.cos()).to_bits());
                assert_eq!(z[2 * pair + 1].to_bits(), (rad * ang.sin()).to_bits());
            }
        }
    }

    /// `normal_seq` writes the first `used` normals of consecutive blocks with `normals`' bits,
    /// at several lane widths, in `f32` and `f64`, and nothing past `used`.
    #[test]
    fn normal_seq_gives_each_blocks_normals() {
        fn check<T: Real + std::fmt::Debug, const P: usize>(counter: [u32; 4], key: [u32; 2]) {
            for used in 0..=21u32 {
                let mut out = vec![T::p(7.0); 24];
                normal_seq::<T, P>(counter, key, used, &mut out);
                for n in 0..used {
                    let [s, d, k, i] = counter;
                    let block: [T; 4] = normals([s, d, k, i + n / 4], key, 4);
                    assert_eq!(
                        out[n as usize].to_f64().to_bits(),
                        block[(n % 4) as usize].to_f64().to_bits(),
                        "P {P} used {used} n {n}"
                    );
                }
                assert!(
                    out[used as usize..].iter().all(|x| *x == T::p(7.0)),
                    "P {P} used {used}"
                );
            }
        }
        for i in 0..300u32 {
            let (counter, key) = ([i, 3 * i, 2, i % 5], [i, 11]);
            check::<f32, 2>(counter, key);
            check::<f32, 4>(counter, key);
            check::<f32, 8>(counter, key);
            check::<f64, 4>(counter, key);
        }
    }
}

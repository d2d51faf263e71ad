//! The kernel's own `f32` exponential, so that a scenario's result does not depend on the host's
//! maths library (issue 13; MODEL.md's determinism: a result depends only on the seed and the
//! scenario's index).
//!
//! `expf` is glibc's (2.28 and later, `sysdeps/ieee754/flt-32/e_expf.c`: a 32-entry table of
//! `2^(i/32)` and a degree-3 polynomial, evaluated in `f64`) written out with plain
//! multiplications and additions. glibc itself picks, by CPU, between that code compiled with and
//! without fused multiply-adds, and the two differ on 2 of the 2^32 inputs (`32.564632` and
//! `-63.09946`, both far from what the model takes the exponential of): a run's last bits
//! depended on whether the machine had FMA, and on other systems on their own library. This one
//! is the same on every machine, and [`expf_lanes`] evaluates it `W` lanes at a time with the
//! same operations per lane (packed `f64` arithmetic where the scalar library call could not be),
//! which is what the market stage's daily prices use. Checked against the library over every one
//! of the 2^32 inputs once (the two above differ from the FMA build, none from the plain one)
//! and on a spread sample in the tests below.
//!
//! The `f64` path keeps the platform's `exp` (it is the error bound of the `f32` path, not a
//! result that is compared bit for bit), and the GPU uses WGSL's `exp`, compared within the `f32`
//! tolerance.

/// log2 of the table's size.
const TABLE_BITS: u32 = 5;
const N: usize = 1 << TABLE_BITS;

/// `2^(i/32)` as `f64` bits with `i << 47` subtracted, so that adding `k << 47` for
/// `k = 32 m + i` scales the entry by `2^m` (glibc's `__exp2f_data.tab`).
const TAB: [u64; N] = [
    0x3ff0000000000000,
    0x3fefd9b0d3158574,
    0x3fefb5586cf9890f,
    0x3fef9301d0125b51,
    0x3fef72b83c7d517b,
    0x3fef54873168b9aa,
    0x3fef387a6e756238,
    0x3fef1e9df51fdee1,
    0x3fef06fe0a31b715,
    0x3feef1a7373aa9cb,
    0x3feedea64c123422,
    0x3feece086061892d,
    0x3feebfdad5362a27,
    0x3feeb42b569d4f82,
    0x3feeab07dd485429,
    0x3feea47eb03a5585,
    0x3feea09e667f3bcd,
    0x3fee9f75e8ec5f74,
    0x3feea11473eb0187,
    0x3feea589994cce13,
    0x3feeace5422aa0db,
    0x3feeb737b0cdc5e5,
    0x3feec49182a3f090,
    0x3feed503b23e255d,
    0x3feee89f995ad3ad,
    0x3feeff76f2fb5e47,
    0x3fef199bdd85529c,
    0x3fef3720dcef9069,
    0x3fef5818dcfba487,
    0x3fef7c97337b9b5f,
    0x3fefa4afa2a490da,
    0x3fefd0765b6e4540,
];

const NF: f64 = N as f64;
/// The polynomial's coefficients for `r` in units of `ln 2 / 32` (glibc's `poly_scaled`).
const C0: f64 = f64::from_bits(0x3fac6af84b912394) / (NF * NF * NF);
const C1: f64 = f64::from_bits(0x3fcebfce50fac4f3) / (NF * NF);
const C2: f64 = f64::from_bits(0x3fe62e42ff0c52d6) / NF;
/// `32 / ln 2`.
const INV_LN2_N: f64 = f64::from_bits(0x3ff71547652b82fe) * NF;
/// `1.5 * 2^52`: adding it rounds to an integer held in the low bits.
const SHIFT: f64 = f64::from_bits(0x4338000000000000);

/// `e^x` in `f32`, the same bits on every machine (module documentation).
#[inline(always)]
pub fn expf(x: f32) -> f32 {
    if off_main_path(x) {
        return expf_large(x);
    }
    expf_core(x)
}

/// Whether `x` leaves the main path (`|x| >= 88`, infinities, NaN).
#[inline(always)]
fn off_main_path(x: f32) -> bool {
    (x.to_bits() >> 20) & 0x7ff >= (88.0f32.to_bits() >> 20)
}

/// [`expf`] of `W` lanes: the same operations per lane, so the same bits, written as steps over
/// whole lane arrays so that LLVM packs the `f64` arithmetic. A lane off the main path sends the
/// whole array through [`expf`].
#[inline(always)]
pub fn expf_lanes<const W: usize>(x: [f32; W]) -> [f32; W] {
    if x.iter().any(|&x| off_main_path(x)) {
        return x.map(expf);
    }
    let z: [f64; W] = x.map(|x| INV_LN2_N * x as f64);
    let kd: [f64; W] = z.map(|z| z + SHIFT);
    let ki: [u64; W] = kd.map(f64::to_bits);
    let r: [f64; W] = core::array::from_fn(|j| z[j] - (kd[j] - SHIFT));
    let s: [f64; W] = ki.map(|ki| {
        f64::from_bits(TAB[(ki % N as u64) as usize].wrapping_add(ki << (52 - TABLE_BITS)))
    });
    core::array::from_fn(|j| {
        let r = r[j];
        let p = C0 * r + C1;
        let r2 = r * r;
        let y = C2 * r + 1.0;
        let y = p * r2 + y;
        (y * s[j]) as f32
    })
}

/// The main path: `x = (32 m + i + r) ln 2 / 32`, `e^x = 2^m 2^(i/32) e^(r ln 2 / 32)`.
#[inline(always)]
fn expf_core(x: f32) -> f32 {
    let z = INV_LN2_N * x as f64;
    let kd = z + SHIFT;
    let ki = kd.to_bits();
    let kd = kd - SHIFT;
    let r = z - kd;
    let s = f64::from_bits(TAB[(ki % N as u64) as usize].wrapping_add(ki << (52 - TABLE_BITS)));
    let p = C0 * r + C1;
    let r2 = r * r;
    let y = C2 * r + 1.0;
    let y = p * r2 + y;
    (y * s) as f32
}

/// `|x| >= 88` or NaN: the infinities, overflow past `ln(2^128)`, underflow below
/// `ln(2^-150)`, and the main path between.
#[cold]
#[inline(never)]
fn expf_large(x: f32) -> f32 {
    if x == f32::NEG_INFINITY {
        return 0.0;
    }
    if (x.to_bits() >> 20) & 0x7ff >= (f32::INFINITY.to_bits() >> 20) {
        return x + x;
    }
    if x > f32::from_bits(0x42b1_7217) {
        return f32::INFINITY;
    }
    if x < f32::from_bits(0xc2cf_f1b4) {
        return 0.0;
    }
    expf_core(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The inputs on which glibc's FMA build differs from its plain build (and from this one).
    const FMA_DIFFERS: [f32; 2] = [32.564632, -63.09946];

    /// A spread of every kind of input: one bit pattern in 4,099 over all 2^32, and one float in
    /// 997 near where the model takes exponentials (log prices and hazards, |x| < 1/8).
    fn inputs() -> impl Iterator<Item = f32> {
        let spread = (0..=u32::MAX).step_by(4_099).map(f32::from_bits);
        let (lo, hi) = ((-0.125f32).to_bits(), 0.125f32.to_bits());
        let near = (1 << 31..=lo).step_by(997).chain((0..=hi).step_by(997));
        spread.chain(near.map(f32::from_bits))
    }

    /// On glibc, the library's `expf` bit for bit (either of its builds, where they differ).
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[test]
    fn expf_is_glibcs_bit_for_bit() {
        let mut checked = 0u64;
        for x in inputs().chain(FMA_DIFFERS) {
            let (ours, libm) = (expf(x), x.exp());
            checked += 1;
            if x.is_nan() {
                assert!(ours.is_nan(), "{x}");
                continue;
            }
            if FMA_DIFFERS.contains(&x) {
                continue;
            }
            assert_eq!(
                ours.to_bits(),
                libm.to_bits(),
                "expf({x:e}): {ours:e} against {libm:e}"
            );
        }
        assert!(checked > 3_000_000, "{checked}");
    }

    /// The lanes give the scalar function's bits at every width, off the main path included
    /// (infinities, NaN, overflow and underflow mixed into lanes of ordinary inputs), and a
    /// corrupted lane is caught.
    #[test]
    fn expf_lanes_are_expf_bit_for_bit() {
        fn check<const W: usize>(xs: &[f32]) -> usize {
            let mut checked = 0;
            for chunk in xs.chunks_exact(W) {
                let x: [f32; W] = chunk.try_into().unwrap();
                let lanes = expf_lanes(x);
                for j in 0..W {
                    let one = expf(x[j]);
                    assert!(
                        lanes[j].to_bits() == one.to_bits() || (lanes[j].is_nan() && one.is_nan()),
                        "lane {j} of {x:?}"
                    );
                    checked += 1;
                }
            }
            checked
        }
        let mut xs: Vec<f32> = inputs().step_by(7).collect();
        xs.extend([
            f32::INFINITY,
            89.0,
            -104.0,
            f32::NAN,
            -103.0,
            88.5,
            -87.9,
            0.0,
        ]);
        let n = xs.len();
        assert_eq!(check::<1>(&xs), n);
        assert!(check::<4>(&xs) >= n - 3);
        assert!(check::<8>(&xs) >= n - 7);
        assert!(check::<16>(&xs) >= n - 15);
        let mut lanes = expf_lanes([0.01f32; 8]);
        lanes[5] = f32::from_bits(lanes[5].to_bits() + 1);
        assert_ne!(lanes[5].to_bits(), expf(0.01).to_bits());
    }

    /// Anywhere: within one unit in the last place of the `f64` exponential, and the special
    /// values exactly.
    #[test]
    fn expf_is_within_an_ulp_and_exact_at_the_edges() {
        for x in inputs().filter(|x| x.is_finite()) {
            let (ours, exact) = (expf(x), (x as f64).exp());
            if exact > f32::MAX as f64 {
                assert_eq!(ours, f32::INFINITY, "{x}");
                continue;
            }
            let ulp = (exact as f32).to_bits().abs_diff(ours.to_bits());
            assert!(ulp <= 1, "expf({x:e}) = {ours:e}, e^x = {exact:e}");
        }
        assert_eq!(expf(0.0), 1.0);
        assert_eq!(expf(-0.0), 1.0);
        assert_eq!(expf(f32::INFINITY), f32::INFINITY);
        assert_eq!(expf(f32::NEG_INFINITY), 0.0);
        assert!(expf(f32::NAN).is_nan());
        assert_eq!(expf(89.0), f32::INFINITY);
        assert_eq!(expf(-104.0), 0.0);
        assert!(expf(-103.0) > 0.0, "a subnormal, not zero");
        // The plain build's value where glibc's FMA build rounds the other way.
        assert_eq!(expf(FMA_DIFFERS[0]), 138_880_140_000_000.0);
        // The checks can fail: one ulp off is caught.
        let off = f32::from_bits(expf(0.5).to_bits() + 1);
        assert_ne!(off.to_bits(), (0.5f32).exp().to_bits());
    }
}

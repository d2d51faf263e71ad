//! The kernel's own `f32` exponential, logarithm, sine and cosine, so that a scenario's result
//! does not depend on the host's maths library (issue 13; MODEL.md's determinism: a result
//! depends only on the seed and the scenario's index).
//!
//! Each is glibc's algorithm (2.28 and later, `sysdeps/ieee754/flt-32/`) written out with plain
//! multiplications and additions: `expf` (a 32-entry table of `2^(i/32)` and a degree-3
//! polynomial, in `f64`), `logf` (a 16-entry table of `1/c` and `ln c`, a degree-3 polynomial of
//! `z/c - 1`) and `sincosf` (a reduction by multiples of `pi/2`, polynomials in `f64`). glibc
//! itself picks, by CPU, between that code compiled with and without fused multiply-adds, and the
//! two builds differ on a few inputs: a run's last bits depended on whether the machine had FMA,
//! and on other systems on their own library. These are the same on every machine, and their
//! `_lanes` forms evaluate `W` lanes at a time with the same operations per lane (packed `f64`
//! arithmetic where the scalar library call could not be): the market stage's daily prices
//! ([`expf_lanes`]) and the idiosyncratic noise's Box-Muller pairs ([`logf_lanes`],
//! [`sincosf_lanes`]) use them.
//!
//! Checked against this host's glibc (2.36, FMA build) over every one of the 2^32 inputs once:
//! `expf` differs on 2 (`32.564632` and `-63.09946`), `logf` on none, `sincosf` on 34, every one
//! with `|x| > 17` (in the last bits, near multiples of `pi/2`, where the reduction cancels most);
//! none lies where the model takes them (log prices and hazards near 0, uniforms in (0, 1),
//! Box-Muller angles in (-pi, pi)). The tests below check every uniform and every Box-Muller angle
//! against the library, and a spread of all 2^32 inputs.
//!
//! The `f64` path keeps the platform's functions (it is the error bound of the `f32` path, not a
//! result that is compared bit for bit), and the GPU uses WGSL's, compared within the `f32`
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

/// `ln x` in `f32`, the same bits on every machine: glibc's `logf` (2.28 and later,
/// `sysdeps/ieee754/flt-32/e_logf.c`: `x = 2^k z`, a 16-entry table of `1/c` and `ln c` for `z`
/// near `c`, and a degree-3 polynomial of `z/c - 1`, evaluated in `f64`) with plain
/// multiplications and additions. The Box-Muller radius takes it (`philox::normals`).
#[inline(always)]
pub fn logf(x: f32) -> f32 {
    let ix = x.to_bits();
    if log_off_main_path(ix) {
        return logf_special(x);
    }
    logf_core(ix)
}

/// `1/c` and `ln c` as `f64` bits for the 16 subintervals of `[0x3f330000, 2 * 0x3f330000)`
/// (glibc's `__logf_data.tab`).
const LOG_TAB: [(u64, u64); 16] = [
    (0x3ff661ec79f8f3be, 0xbfd57bf7808caade),
    (0x3ff571ed4aaf883d, 0xbfd2bef0a7c06ddb),
    (0x3ff49539f0f010b0, 0xbfd01eae7f513a67),
    (0x3ff3c995b0b80385, 0xbfcb31d8a68224e9),
    (0x3ff30d190c8864a5, 0xbfc6574f0ac07758),
    (0x3ff25e227b0b8ea0, 0xbfc1aa2bc79c8100),
    (0x3ff1bb4a4a1a343f, 0xbfba4e76ce8c0e5e),
    (0x3ff12358f08ae5ba, 0xbfb1973c5a611ccc),
    (0x3ff0953f419900a7, 0xbfa252f438e10c1e),
    (0x3ff0000000000000, 0x0000000000000000),
    (0x3fee608cfd9a47ac, 0x3faaa5aa5df25984),
    (0x3feca4b31f026aa0, 0x3fbc5e53aa362eb4),
    (0x3feb2036576afce6, 0x3fc526e57720db08),
    (0x3fe9c2d163a1aa2d, 0x3fcbc2860d224770),
    (0x3fe886e6037841ed, 0x3fd1058bc8a07ee1),
    (0x3fe767dcf5534862, 0x3fd4043057b6ee09),
];
const LN2: f64 = f64::from_bits(0x3fe62e42fefa39ef);
/// The polynomial approximating `ln(1 + r) - r` (glibc's `__logf_data.poly`).
const LOG_A: [f64; 3] = [
    f64::from_bits(0xbfd00ea348b88334),
    f64::from_bits(0x3fd5575b0be00b6a),
    f64::from_bits(0xbfdffffef20a4123),
];
/// The subintervals start here: `z` lies in `[OFF, 2 OFF)` as bits, about `[0.7, 1.4)`.
const LOG_OFF: u32 = 0x3f33_0000;

/// Whether `logf` leaves the main path: zero, subnormal, negative, infinite or NaN.
#[inline(always)]
fn log_off_main_path(ix: u32) -> bool {
    ix.wrapping_sub(0x0080_0000) >= 0x7f80_0000 - 0x0080_0000
}

/// The main path for a positive normal `x` (as bits): `ln x = ln(z/c) + ln c + k ln 2`.
#[inline(always)]
fn logf_core(ix: u32) -> f32 {
    let tmp = ix.wrapping_sub(LOG_OFF);
    let i = ((tmp >> 19) % 16) as usize;
    let k = (tmp as i32) >> 23;
    let iz = ix.wrapping_sub(tmp & (0x1ff << 23));
    let (invc, logc) = (f64::from_bits(LOG_TAB[i].0), f64::from_bits(LOG_TAB[i].1));
    let z = f32::from_bits(iz) as f64;
    let r = z * invc - 1.0;
    let y0 = logc + k as f64 * LN2;
    let r2 = r * r;
    let y = LOG_A[1] * r + LOG_A[2];
    let y = LOG_A[0] * r2 + y;
    let y = y * r2 + (y0 + r);
    y as f32
}

/// Zero, subnormals, negatives, infinities and NaN, as glibc treats them.
#[cold]
#[inline(never)]
fn logf_special(x: f32) -> f32 {
    let ix = x.to_bits();
    if ix << 1 == 0 {
        return f32::NEG_INFINITY;
    }
    if ix == 0x7f80_0000 {
        return x;
    }
    if ix & 0x8000_0000 != 0 || ix << 1 >= 0xff00_0000 {
        return f32::NAN;
    }
    // Subnormal: normalise it (scaled by 2^23, the exponent taken back by 23; the bits wrap
    // below zero as glibc's unsigned arithmetic does, and `logf_core` reads them that way).
    logf_core(
        (x * f32::from_bits(0x4b00_0000))
            .to_bits()
            .wrapping_sub(23 << 23),
    )
}

/// [`logf`] of `W` lanes, the same bits as one at a time (written over whole lane arrays so that
/// LLVM packs the `f64` steps); a lane off the main path sends the array through [`logf`].
#[inline(always)]
pub fn logf_lanes<const W: usize>(x: [f32; W]) -> [f32; W] {
    let ix: [u32; W] = x.map(f32::to_bits);
    if ix.iter().any(|&ix| log_off_main_path(ix)) {
        return x.map(logf);
    }
    let tmp: [u32; W] = ix.map(|ix| ix.wrapping_sub(LOG_OFF));
    let i: [usize; W] = tmp.map(|tmp| ((tmp >> 19) % 16) as usize);
    // `logf_core`'s steps, one at a time over all lanes.
    let invc: [f64; W] = each(|j| f64::from_bits(LOG_TAB[i[j]].0));
    let logc: [f64; W] = each(|j| f64::from_bits(LOG_TAB[i[j]].1));
    let z: [f64; W] = each(|j| f32::from_bits(ix[j].wrapping_sub(tmp[j] & (0x1ff << 23))) as f64);
    let kd: [f64; W] = each(|j| ((tmp[j] as i32) >> 23) as f64);
    let r: [f64; W] = each(|j| z[j] * invc[j] - 1.0);
    let y0: [f64; W] = each(|j| logc[j] + kd[j] * LN2);
    let r2: [f64; W] = each(|j| r[j] * r[j]);
    let y: [f64; W] = each(|j| LOG_A[1] * r[j] + LOG_A[2]);
    let y: [f64; W] = each(|j| LOG_A[0] * r2[j] + y[j]);
    let y: [f64; W] = each(|j| y[j] * r2[j] + (y0[j] + r[j]));
    y.map(|y| y as f32)
}

/// `(sin x, cos x)` in `f32`, the same bits on every machine: glibc's `sincosf` (2.28 and later,
/// `sysdeps/ieee754/flt-32/s_sincosf.c`: a reduction to `[-pi/4, pi/4]` by multiples of `pi/2`
/// and polynomials of degree 7 and 8 in `f64`) with plain multiplications and additions. The
/// Box-Muller angle takes it (`philox::normals`).
#[inline(always)]
pub fn sincosf(x: f32) -> (f32, f32) {
    let top = abstop12(x);
    if top >= abstop12(120.0) {
        return sincosf_large(x);
    }
    let (n, xr) = if top < abstop12(f32::from_bits(0x3f49_0fdb)) {
        if top < abstop12(f32::from_bits(0x3980_0000)) {
            // |x| < 2^-12: sin x = x and cos x = 1 to within half an ulp.
            return (x, 1.0);
        }
        (0, x as f64)
    } else {
        reduce_fast(x as f64)
    };
    sincosf_poly(xr, n, n)
}

/// The top 12 bits of `|x|` (exponent and three bits of the fraction).
#[inline(always)]
fn abstop12(x: f32) -> u32 {
    (x.to_bits() >> 20) & 0x7ff
}

/// `2 / pi` scaled by `2^24`, and `pi / 2` (glibc's `__sincosf_table` on targets without fast
/// rounding instructions: the quadrant ends up in bits 24 to 31).
const HPI_INV: f64 = f64::from_bits(0x41645f306dc9c883);
const HPI: f64 = f64::from_bits(0x3ff921fb54442d18);
/// The cosine polynomial `c0..c4` (negated for quadrants 2 and 3) and the sine's `s1..s3`.
const COS_C: [f64; 5] = [
    1.0,
    f64::from_bits(0xbfdffffffd0c621c),
    f64::from_bits(0x3fa55553e1068f19),
    f64::from_bits(0xbf56c087e89a359d),
    f64::from_bits(0x3ef99343027bf8c3),
];
const SIN_S: [f64; 3] = [
    f64::from_bits(0xbfc555545995a603),
    f64::from_bits(0x3f81107605230bc4),
    f64::from_bits(0xbf2994eb3774cf24),
];

/// `x` less the nearest multiple `n` of `pi/2` (accurate for `|x| <= 120`), and `n`.
#[inline(always)]
fn reduce_fast(x: f64) -> (i32, f64) {
    let r = x * HPI_INV;
    let n = ((r as i32).wrapping_add(0x80_0000)) >> 24;
    (n, x - n as f64 * HPI)
}

/// The polynomials at the reduced `x`: the sine's sign and the cosine's negation by quadrant `q`
/// (the input's sign added for large arguments), sine and cosine swapped for odd `n`.
#[inline(always)]
fn sincosf_poly(x: f64, q: i32, n: i32) -> (f32, f32) {
    let x2 = x * x;
    let x = x * SIGN[(q & 3) as usize];
    let (s, c) = sincos_poly(x, x2, &COS_TABLES[((q >> 1) & 1) as usize]);
    if n & 1 == 0 {
        (s as f32, c as f32)
    } else {
        (c as f32, s as f32)
    }
}

/// The sine's sign by quadrant, and the cosine polynomial as is and negated (quadrants 2 and 3).
const SIGN: [f64; 4] = [1.0, -1.0, -1.0, 1.0];
const COS_TABLES: [[f64; 5]; 2] = [
    COS_C,
    [-COS_C[0], -COS_C[1], -COS_C[2], -COS_C[3], -COS_C[4]],
];

/// glibc's `sincosf_poly` before the quadrant's swap, with cosine coefficients `c`.
#[inline(always)]
fn sincos_poly(x: f64, x2: f64, c: &[f64; 5]) -> (f64, f64) {
    let x4 = x2 * x2;
    let x3 = x2 * x;
    let c2 = c[3] + x2 * c[4];
    let s1 = SIN_S[1] + x2 * SIN_S[2];
    let c1 = c[0] + x2 * c[1];
    let x5 = x3 * x2;
    let x6 = x4 * x2;
    let s = x + x3 * SIN_S[0];
    let cc = c1 + x4 * c[2];
    (s + x5 * s1, cc + x6 * c2)
}

/// An `f64` lane array from a function of the lane.
#[inline(always)]
fn each<const W: usize>(f: impl FnMut(usize) -> f64) -> [f64; W] {
    core::array::from_fn(f)
}

/// 4/pi to 192 bits, eight new bits an entry (glibc's `__inv_pio4`).
const INV_PIO4: [u32; 24] = [
    0xa2, 0xa2f9, 0xa2f983, 0xa2f9836e, 0xf9836e4e, 0x836e4e44, 0x6e4e4415, 0x4e441529, 0x441529fc,
    0x1529fc27, 0x29fc2757, 0xfc2757d1, 0x2757d1f5, 0x57d1f534, 0xd1f534dd, 0xf534ddc0, 0x34ddc0db,
    0xddc0db62, 0xc0db6295, 0xdb629599, 0x6295993c, 0x95993c43, 0x993c4390, 0x3c439041,
];

/// `|x| >= 120`, infinities and NaN: the large arguments' exact reduction by integer
/// arithmetic (glibc's `reduce_large`), NaN for NaN and the infinities.
#[cold]
#[inline(never)]
fn sincosf_large(y: f32) -> (f32, f32) {
    if abstop12(y) >= abstop12(f32::INFINITY) {
        // NaN for NaN and both infinities (glibc's `y - y`).
        return (f32::NAN, f32::NAN);
    }
    let xi = y.to_bits();
    let sign = (xi >> 31) as i32;
    let arr = &INV_PIO4[((xi >> 26) & 15) as usize..];
    let shift = (xi >> 23) & 7;
    let m = ((xi & 0xff_ffff) | 0x80_0000) << shift;
    let res0 = m.wrapping_mul(arr[0]) as u64;
    let res1 = m as u64 * arr[4] as u64;
    let res2 = m as u64 * arr[8] as u64;
    let res0 = ((res2 >> 32) | (res0 << 32)).wrapping_add(res1);
    let n = (res0.wrapping_add(1 << 61)) >> 62;
    let res0 = res0.wrapping_sub(n << 62);
    let x = res0 as i64 as f64 * f64::from_bits(0x3c1921fb54442d18);
    sincosf_poly(x, (n as i32).wrapping_add(sign), n as i32)
}

/// [`sincosf`] of `W` lanes, the same bits as one at a time; a lane with `|x| >= 120`, an
/// infinity or NaN sends the array through [`sincosf`].
#[inline(always)]
pub fn sincosf_lanes<const W: usize>(x: [f32; W]) -> ([f32; W], [f32; W]) {
    let top: [u32; W] = x.map(abstop12);
    if top.iter().any(|&t| t >= abstop12(120.0)) {
        let both = x.map(sincosf);
        return (both.map(|b| b.0), both.map(|b| b.1));
    }
    let small = abstop12(f32::from_bits(0x3f49_0fdb));
    let xd: [f64; W] = x.map(|x| x as f64);
    let reduced: [(i32, f64); W] = xd.map(reduce_fast);
    let n: [i32; W] = core::array::from_fn(|j| if top[j] < small { 0 } else { reduced[j].0 });
    let xr: [f64; W] = core::array::from_fn(|j| if top[j] < small { xd[j] } else { reduced[j].1 });
    // Signs as multiplications by 1 or -1 (exact), so that every lane runs the same steps:
    // `sincos_poly`'s, one step at a time over all lanes.
    let sign: [f64; W] = n.map(|n| {
        if n.wrapping_add(1) & 2 == 0 {
            1.0
        } else {
            -1.0
        }
    });
    let neg: [f64; W] = n.map(|n| if n & 2 == 0 { 1.0 } else { -1.0 });
    let c: [[f64; W]; 5] = COS_C.map(|c| neg.map(|neg| c * neg));
    let xs: [f64; W] = each(|j| xr[j] * sign[j]);
    let x2: [f64; W] = each(|j| xr[j] * xr[j]);
    let x4: [f64; W] = each(|j| x2[j] * x2[j]);
    let x3: [f64; W] = each(|j| x2[j] * xs[j]);
    let c2: [f64; W] = each(|j| c[3][j] + x2[j] * c[4][j]);
    let s1: [f64; W] = each(|j| SIN_S[1] + x2[j] * SIN_S[2]);
    let c1: [f64; W] = each(|j| c[0][j] + x2[j] * c[1][j]);
    let x5: [f64; W] = each(|j| x3[j] * x2[j]);
    let x6: [f64; W] = each(|j| x4[j] * x2[j]);
    let s: [f64; W] = each(|j| xs[j] + x3[j] * SIN_S[0]);
    let cc: [f64; W] = each(|j| c1[j] + x4[j] * c[2][j]);
    let s: [f64; W] = each(|j| s[j] + x5[j] * s1[j]);
    let cc: [f64; W] = each(|j| cc[j] + x6[j] * c2[j]);
    let tiny = abstop12(f32::from_bits(0x3980_0000));
    let mut sin = [0.0f32; W];
    let mut cos = [0.0f32; W];
    for j in 0..W {
        let (sj, cj) = if n[j] & 1 == 0 {
            (s[j] as f32, cc[j] as f32)
        } else {
            (cc[j] as f32, s[j] as f32)
        };
        (sin[j], cos[j]) = if top[j] < tiny { (x[j], 1.0) } else { (sj, cj) };
    }
    (sin, cos)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The inputs on which glibc's FMA build differs from its plain build (and from this one).
    const FMA_DIFFERS: [f32; 2] = [32.564632, -63.09946];

    /// The same bits, or both NaN.
    fn same(a: f32, b: f32) -> bool {
        a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
    }

    /// `ours` is the library's `libm` for `what(x)`, bit for bit (or both NaN).
    fn assert_same(what: &str, x: f32, ours: f32, libm: f32) {
        assert!(same(ours, libm), "{what}({x:e}): {ours:e} against {libm:e}");
    }

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
            checked += 1;
            if !FMA_DIFFERS.contains(&x) {
                assert_same("expf", x, expf(x), x.exp());
            }
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
                    assert!(same(lanes[j], one), "lane {j} of {x:?}");
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

    /// Every value `philox::uniform` can give: `(k + 0.5) / 2^23` for `k < 2^23`.
    fn uniforms() -> impl Iterator<Item = f32> {
        (0u32..1 << 23).map(|k| crate::philox::uniform::<f32>(k << 9))
    }

    /// On glibc, the library's `logf` bit for bit: on every uniform the Box-Muller radius takes
    /// the logarithm of, and on a spread of all 2^32 inputs (zero, subnormals, negatives,
    /// infinities and NaN among them).
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[test]
    fn logf_is_glibcs_bit_for_bit() {
        let mut checked = 0u64;
        for x in uniforms().chain(inputs()) {
            checked += 1;
            assert_same("logf", x, logf(x), x.ln());
        }
        assert!(checked > 11_000_000, "{checked}");
        assert_eq!(logf(1.0).to_bits(), 0);
        assert_eq!(logf(0.0), f32::NEG_INFINITY);
        assert!(logf(-1.0).is_nan());
        let off = f32::from_bits(logf(0.3).to_bits() + 1);
        assert_ne!(off.to_bits(), 0.3f32.ln().to_bits());
    }

    /// On glibc, the library's `sinf` and `cosf` bit for bit: on every angle the Box-Muller pair
    /// takes (`(2u - 1) pi`), and on a spread of all 2^32 inputs (large arguments, infinities
    /// and NaN among them).
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[test]
    fn sincosf_is_glibcs_bit_for_bit() {
        let pi = std::f32::consts::PI;
        let angles = uniforms().map(|u| (2.0 * u - 1.0) * pi);
        let mut checked = 0u64;
        for x in angles.chain(inputs()) {
            let (s, c) = sincosf(x);
            checked += 1;
            assert_same("sin", x, s, x.sin());
            assert_same("cos", x, c, x.cos());
        }
        assert!(checked > 11_000_000, "{checked}");
        let (s, _) = sincosf(1.0);
        assert_ne!(
            f32::from_bits(s.to_bits() + 1).to_bits(),
            1.0f32.sin().to_bits()
        );
    }

    /// The lanes of `logf` and `sincosf` give the scalar functions' bits at every width, off the
    /// main paths included, and a corrupted lane is caught.
    #[test]
    fn log_and_sincos_lanes_are_the_scalar_functions_bit_for_bit() {
        fn check<const W: usize>(xs: &[f32]) -> usize {
            let mut checked = 0;
            for chunk in xs.chunks_exact(W) {
                let x: [f32; W] = chunk.try_into().unwrap();
                let (ln, (sin, cos)) = (logf_lanes(x), sincosf_lanes(x));
                for j in 0..W {
                    let (s, c) = sincosf(x[j]);
                    assert!(same(ln[j], logf(x[j])), "ln lane {j} of {x:?}");
                    assert!(
                        same(sin[j], s) && same(cos[j], c),
                        "sincos lane {j} of {x:?}"
                    );
                    checked += 1;
                }
            }
            checked
        }
        let pi = std::f32::consts::PI;
        let mut xs: Vec<f32> = uniforms().step_by(61).collect();
        xs.extend(uniforms().step_by(59).map(|u| (2.0 * u - 1.0) * pi));
        xs.extend(inputs().step_by(13));
        xs.extend([
            0.0,
            -0.0,
            1e-40,
            -1.0,
            f32::INFINITY,
            f32::NAN,
            130.0,
            1e-5,
            0.79,
            -0.8,
        ]);
        let n = xs.len();
        assert_eq!(check::<1>(&xs), n);
        assert!(check::<4>(&xs) >= n - 3);
        assert!(check::<8>(&xs) >= n - 7);
        assert!(check::<16>(&xs) >= n - 15);
        let mut ln = logf_lanes([0.25f32; 8]);
        ln[3] = f32::from_bits(ln[3].to_bits() + 1);
        assert_ne!(ln[3].to_bits(), logf(0.25).to_bits());
    }
}

//! Lanes of positions: the CPU twin's per-position sale math done `W` positions at a time.
//!
//! The liquidation stage's inner loops (the min-cost search evaluates every position's sale 13
//! times per dealing day; the caps, the final allocation and the booking once more each) are
//! chains of dependent `sqrt`, `div`, `mul` per position. Done one position at a time they wait
//! on each other's latency; done on a lane array `[T; W]` with every branch turned into a select
//! (as the GPU does), LLVM emits packed instructions (`sqrtps`, `divps`, `maxps`) for `W`
//! positions at once.
//!
//! **Bit for bit.** Each lane runs the scalar functions' operations in the scalar functions'
//! order (`liquidation::impact`, `net_of`, `marginal_cost`, `sale_at_marginal`); packed IEEE
//! operations round exactly as their scalar forms do, and a select computes both sides and keeps
//! the one the scalar branch would have taken. Sums across positions run outside the lanes in an
//! order that does not depend on the width: in position order, or, for the min-cost search's net
//! proceeds, split into [`SUM_PARTIALS`] partials ([`PositionSum`]). So a run is bit-identical at
//! every lane width, the scalar `W = 1` included; `simulate`'s tests check it at widths 1, 4, 8
//! and 16 in `f32` and `f64`.
//!
//! WGSL twin: none. The GPU already runs one position per loop iteration of one scenario per
//! invocation; lanes change how the CPU executes the same operations, not which ones.

use crate::params::impact;
use crate::real::Real;

/// Positions per lane array in the CPU kernel (8 `f32` fill one AVX register or two SSE ones).
pub const LANES: usize = 8;

/// How many partial sums a long sum across positions is split into ([`PositionSum`]).
pub const SUM_PARTIALS: usize = 8;

/// A sum across positions in a fixed order that does not depend on the lane width: position `p`
/// adds into partial `p % SUM_PARTIALS` (each partial in position order), and
/// [`PositionSum::total`] combines the partials in a fixed tree. Summed one position after
/// another, a sum over 1,008 positions is a chain of 1,008 dependent additions (about four cycles
/// each); split eight ways, the chains overlap. The order is part of the model's arithmetic, the
/// same at every lane width, the scalar one included, and in the WGSL twin (`sum_partials` in
/// `liquidation.wgsl`).
#[derive(Clone, Copy, Debug)]
pub struct PositionSum<T> {
    partial: [T; SUM_PARTIALS],
}

impl<T: Real> Default for PositionSum<T> {
    fn default() -> Self {
        PositionSum {
            partial: [T::zero(); SUM_PARTIALS],
        }
    }
}

impl<T: Real> PositionSum<T> {
    /// Adds position `p`'s term.
    #[inline(always)]
    pub fn add(&mut self, p: usize, x: T) {
        let i = p % SUM_PARTIALS;
        self.partial[i] = self.partial[i] + x;
    }

    /// Adds the terms of positions `p..p + W`. `p` is a multiple of `W` (the lanes' loops step
    /// by `W` from 0), so when `W` is a multiple of [`SUM_PARTIALS`] lane `j` adds into partial
    /// `j % SUM_PARTIALS` with no index arithmetic.
    #[inline(always)]
    pub fn add_lanes<const W: usize>(&mut self, p: usize, x: &[T; W]) {
        if W.is_multiple_of(SUM_PARTIALS) {
            debug_assert_eq!(p % SUM_PARTIALS, 0);
            for (j, &x) in x.iter().enumerate() {
                let i = j % SUM_PARTIALS;
                self.partial[i] = self.partial[i] + x;
            }
        } else {
            for (j, &x) in x.iter().enumerate() {
                self.add(p + j, x);
            }
        }
    }

    /// The partials combined pairwise: `((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))`.
    #[inline(always)]
    pub fn total(&self) -> T {
        let s = &self.partial;
        ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]))
    }
}

/// The liquidation scratch (`Layout::lq_*`) as slices of exactly `n` words each.
#[derive(Clone, Copy)]
pub struct Scratch<'a, T> {
    pub n: usize,
    pub model: u32,
    pub theta: T,
    pub half_spread: &'a [T],
    pub scale: &'a [T],
    pub depth: &'a [T],
    pub offset: &'a [T],
    pub cap: &'a [T],
    pub penalty: &'a [T],
    pub inv_depth: &'a [T],
    pub inv_scale: &'a [T],
}

impl<T: Real> Scratch<'_, T> {
    /// Positions `p..p + W` as lanes.
    #[inline(always)]
    pub fn lanes<const W: usize>(&self, p: usize) -> SaleLanes<T, W> {
        SaleLanes::load(
            self.model,
            self.theta,
            [
                self.half_spread,
                self.scale,
                self.depth,
                self.offset,
                self.cap,
                self.penalty,
                self.inv_depth,
                self.inv_scale,
            ],
            p,
        )
    }
}

/// `W` consecutive words from `p` (one bounds check).
#[inline(always)]
pub fn load<T: Copy, const W: usize>(s: &[T], p: usize) -> [T; W] {
    let a: &[T; W] = s[p..p + W].try_into().expect("W words");
    *a
}

/// A lane array from a per-lane function. A plain loop rather than `core::array::from_fn`, which
/// the compiler leaves out of line in some instantiations, and so out of the AVX2 path
/// (`crate::isa`).
#[inline(always)]
pub fn map<T: Copy + Default, const W: usize>(mut f: impl FnMut(usize) -> T) -> [T; W] {
    let mut out = [T::default(); W];
    for (j, o) in out.iter_mut().enumerate() {
        *o = f(j);
    }
    out
}

/// `if c { a } else { b }` per lane, with both sides already computed.
#[inline(always)]
fn pick<T: Copy>(c: bool, a: T, b: T) -> T {
    if c {
        a
    } else {
        b
    }
}

/// `W` positions' terms of sale, cap and late-settlement penalty.
#[derive(Clone, Copy)]
pub struct SaleLanes<T, const W: usize> {
    pub model: u32,
    pub theta: T,
    pub half_spread: [T; W],
    pub scale: [T; W],
    pub depth: [T; W],
    pub offset: [T; W],
    pub cap: [T; W],
    pub penalty: [T; W],
    pub inv_depth: [T; W],
    pub inv_scale: [T; W],
}

impl<T: Real, const W: usize> SaleLanes<T, W> {
    /// Positions `p..p + W` of the scratch arrays, in the order half spread, scale, depth,
    /// offset, cap, penalty.
    #[inline(always)]
    pub fn load(model: u32, theta: T, arrays: [&[T]; 8], p: usize) -> Self {
        let [half_spread, scale, depth, offset, cap, penalty, inv_depth, inv_scale] = arrays;
        SaleLanes {
            model,
            theta,
            half_spread: load(half_spread, p),
            scale: load(scale, p),
            depth: load(depth, p),
            offset: load(offset, p),
            cap: load(cap, p),
            penalty: load(penalty, p),
            inv_depth: load(inv_depth, p),
            inv_scale: load(inv_scale, p),
        }
    }

    /// `u = (q + offset) / depth` per lane, as `(q + offset) (1 / depth)`.
    #[inline(always)]
    fn u(&self, q: &[T; W]) -> [T; W] {
        map(|j| (q[j] + self.offset[j]) * self.inv_depth[j])
    }

    /// [`crate::liquidation::impact`] per lane.
    #[inline(always)]
    pub fn impact(&self, q: &[T; W]) -> [T; W] {
        let u = self.u(q);
        match self.model {
            impact::LINEAR => map(|j| self.scale[j] * u[j]),
            impact::THRESHOLD => map(|j| self.scale[j] * (u[j] - self.theta).max(T::zero())),
            _ => map(|j| self.scale[j] * u[j].max(T::zero()).sqrt()),
        }
    }

    /// [`crate::liquidation::net_of`] per lane: `q (1 - (s/2 + I(q)))`.
    #[inline(always)]
    pub fn net_of(&self, q: &[T; W]) -> [T; W] {
        let i = self.impact(q);
        map(|j| q[j] * (T::one() - (self.half_spread[j] + i[j])))
    }

    /// [`crate::liquidation::marginal_cost`] per lane.
    #[inline(always)]
    pub fn marginal_cost(&self, q: &[T; W]) -> [T; W] {
        let u = self.u(q);
        let i = self.impact(q);
        let slope: [T; W] = match self.model {
            impact::LINEAR => self.scale,
            impact::THRESHOLD => map(|j| pick(u[j] > self.theta, self.scale[j], T::zero())),
            _ => map(|j| {
                let s = self.scale[j] / (T::p(2.0) * u[j].sqrt());
                pick(u[j] > T::zero(), s, T::zero())
            }),
        };
        map(|j| (self.half_spread[j] + i[j]) + q[j] * slope[j] * self.inv_depth[j])
    }

    /// [`crate::liquidation::sale_at_marginal`] per lane, at marginal cost `mu[j]`, capped at
    /// `cap[j]`.
    #[inline(always)]
    pub fn sale_at_marginal(&self, mu: &[T; W], cap: &[T; W]) -> [T; W] {
        let half = T::p(0.5);
        let excess: [T; W] = map(|j| mu[j] - self.half_spread[j]);
        let q: [T; W] = match self.model {
            impact::LINEAR => {
                map(|j| (excess[j] * self.depth[j] * self.inv_scale[j] - self.offset[j]) * half)
            }
            impact::THRESHOLD => map(|j| {
                let free = self.theta * self.depth[j] - self.offset[j];
                let upper = ((excess[j] * self.inv_scale[j] + self.theta) * self.depth[j]
                    - self.offset[j])
                    * half;
                free.max(upper)
            }),
            _ => map(|j| {
                let third = T::one() / T::p(3.0);
                let m = excess[j] * self.inv_scale[j];
                let z =
                    (m + (m * m + T::p(3.0) * self.offset[j] * self.inv_depth[j]).sqrt()) * third;
                self.depth[j] * z * z - self.offset[j]
            }),
        };
        map(|j| {
            let q = pick(self.scale[j] <= T::zero(), cap[j], q[j]);
            pick(
                excess[j] <= T::zero(),
                T::zero(),
                q.max(T::zero()).min(cap[j]),
            )
        })
    }

    /// The min-cost sale at multiplier `mu`: [`SaleLanes::sale_at_marginal`] at `mu` less each
    /// position's penalty, within its cap.
    #[inline(always)]
    pub fn min_cost_sale(&self, mu: T) -> [T; W] {
        let mu: [T; W] = map(|j| mu - self.penalty[j]);
        self.sale_at_marginal(&mu, &self.cap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::liquidation::{
        impact as impact_of, marginal_cost, net_of, sale_at_marginal, SaleTerms,
    };

    /// Terms covering every branch: zero and negative scale, offsets, a dried-up depth, prices
    /// of sale below and above the spread, zero and tight caps.
    fn cases<T: Real>(model: u32) -> Vec<(SaleTerms<T>, T, T, T)> {
        let mut out = Vec::new();
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 11) as f64 / (1u64 << 53) as f64
        };
        for i in 0..400 {
            let scale = match i % 7 {
                0 => 0.0,
                1 => -0.1,
                _ => 3.0 * next(),
            };
            let k = SaleTerms::new(
                model,
                T::p((0.02 * next()) as f32),
                T::p(scale as f32),
                T::p(if i % 11 == 0 {
                    1e-12
                } else {
                    (0.5 * next()) as f32
                }),
                T::p(if i % 3 == 0 {
                    0.0
                } else {
                    (0.1 * next()) as f32
                }),
                T::p(0.05),
            );
            let q = T::p((0.3 * next()) as f32);
            let mu = T::p((0.1 * next() - 0.01) as f32);
            let cap = T::p(if i % 5 == 0 {
                0.0
            } else {
                (0.4 * next()) as f32
            });
            out.push((k, q, mu, cap));
        }
        out
    }

    fn check<T: Real, const W: usize>() -> usize {
        let mut checked = 0;
        for model in [impact::LINEAR, impact::THRESHOLD, impact::SQUARE_ROOT] {
            let cases = cases::<T>(model);
            for chunk in cases.chunks_exact(W) {
                let lanes = SaleLanes::<T, W> {
                    model,
                    theta: chunk[0].0.theta,
                    half_spread: map(|j| chunk[j].0.half_spread),
                    scale: map(|j| chunk[j].0.scale),
                    depth: map(|j| chunk[j].0.depth),
                    offset: map(|j| chunk[j].0.offset),
                    cap: map(|j| chunk[j].3),
                    penalty: map(|_| T::zero()),
                    inv_depth: map(|j| chunk[j].0.inv_depth),
                    inv_scale: map(|j| chunk[j].0.inv_scale),
                };
                let q: [T; W] = map(|j| chunk[j].1);
                let mu: [T; W] = map(|j| chunk[j].2);
                let (i, n, m, s) = (
                    lanes.impact(&q),
                    lanes.net_of(&q),
                    lanes.marginal_cost(&q),
                    lanes.min_cost_sale_at(&mu),
                );
                for (j, (k, q, mu, cap)) in chunk.iter().enumerate() {
                    let same = |a: T, b: T| a.to_f64().to_bits() == b.to_f64().to_bits();
                    assert!(same(i[j], impact_of(k, *q)), "impact {k:?} {q:?}");
                    assert!(same(n[j], net_of(k, *q)), "net {k:?} {q:?}");
                    assert!(same(m[j], marginal_cost(k, *q)), "marginal {k:?} {q:?}");
                    assert!(
                        same(s[j], sale_at_marginal(k, *mu, *cap)),
                        "sale {k:?} {mu:?} {cap:?}: {:?} vs {:?}",
                        s[j],
                        sale_at_marginal(k, *mu, *cap)
                    );
                    checked += 1;
                }
            }
        }
        checked
    }

    impl<T: Real, const W: usize> SaleLanes<T, W> {
        fn min_cost_sale_at(&self, mu: &[T; W]) -> [T; W] {
            self.sale_at_marginal(mu, &self.cap)
        }
    }

    /// Every lane of every width gives the scalar functions' bits, on every impact model and
    /// through every branch (NaN included: a zero scale divides by zero in the unused side).
    #[test]
    fn lanes_give_the_scalar_functions_bits_at_every_width() {
        assert_eq!(check::<f32, 1>(), 1200);
        assert_eq!(check::<f32, 8>(), 1200);
        assert_eq!(check::<f32, 16>(), 1200);
        assert_eq!(check::<f64, 4>(), 1200);
        assert_eq!(check::<f64, 8>(), 1200);
    }

    /// Terms whose sum depends on the order it is taken in (magnitudes from 1e-8 to 1e4, both
    /// signs), `n` of them.
    fn terms<T: Real>(n: usize) -> Vec<T> {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let m = (x >> 11) as f64 / (1u64 << 53) as f64;
                let e = ((x >> 3) % 13) as i32 - 8;
                T::p(((m - 0.3) * 10f64.powi(e)) as f32)
            })
            .collect()
    }

    fn lane_sum<T: Real, const W: usize>(x: &[T]) -> T {
        let mut s = PositionSum::default();
        let mut p = 0;
        while p + W <= x.len() {
            s.add_lanes::<W>(p, &load(x, p));
            p += W;
        }
        for (p, &x) in x.iter().enumerate().skip(p) {
            s.add(p, x);
        }
        s.total()
    }

    /// A position sum has the same bits at every lane width (the remainder included), equals
    /// the eight partials of the definition combined in their tree, and (the check can fail)
    /// differs from the sum in position order on these terms.
    #[test]
    fn position_sums_are_the_same_at_every_width() {
        fn check<T: Real>() -> usize {
            let mut differs = 0;
            for n in [0, 1, 7, 8, 9, 16, 23, 100, 1008] {
                let x = terms::<T>(n);
                let mut partial = [T::zero(); SUM_PARTIALS];
                for (p, &x) in x.iter().enumerate() {
                    partial[p % SUM_PARTIALS] = partial[p % SUM_PARTIALS] + x;
                }
                let s = &partial;
                let tree = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
                let bits = |v: T| v.to_f64().to_bits();
                for got in [
                    lane_sum::<T, 1>(&x),
                    lane_sum::<T, 4>(&x),
                    lane_sum::<T, 8>(&x),
                    lane_sum::<T, 16>(&x),
                ] {
                    assert_eq!(bits(got), bits(tree), "n = {n}");
                }
                let in_order = x.iter().fold(T::zero(), |a, &b| a + b);
                differs += usize::from(bits(in_order) != bits(tree));
            }
            differs
        }
        assert!(check::<f32>() >= 3);
        assert!(check::<f64>() >= 1);
    }

    /// The comparison can fail: a lane whose depth is nudged by 1% no longer matches.
    #[test]
    fn a_nudged_lane_is_caught() {
        let cases = cases::<f32>(impact::SQUARE_ROOT);
        let chunk = &cases[2..10];
        let mut lanes = SaleLanes::<f32, 8> {
            model: impact::SQUARE_ROOT,
            theta: 0.05,
            half_spread: map(|j| chunk[j].0.half_spread),
            scale: map(|j| chunk[j].0.scale),
            depth: map(|j| chunk[j].0.depth),
            offset: map(|j| chunk[j].0.offset),
            cap: map(|j| chunk[j].3),
            penalty: [0.0; 8],
            inv_depth: map(|j| chunk[j].0.inv_depth),
            inv_scale: map(|j| chunk[j].0.inv_scale),
        };
        let q: [f32; 8] = map(|j| chunk[j].1.max(0.05));
        lanes.depth[3] *= 1.01;
        lanes.inv_depth[3] = 1.0 / lanes.depth[3];
        let n = lanes.net_of(&q);
        assert_ne!(n[3].to_bits(), net_of(&chunk[3].0, q[3]).to_bits());
    }
}

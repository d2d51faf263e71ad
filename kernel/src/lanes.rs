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
//! the one the scalar branch would have taken. Sums across positions stay sequential in position
//! order outside the lanes. So a run is bit-identical at every lane width, the scalar `W = 1`
//! included, and bit-identical with the scalar code this replaced; `simulate`'s tests check it at
//! widths 1, 4, 8 and 16 in `f32` and `f64`.
//!
//! WGSL twin: none. The GPU already runs one position per loop iteration of one scenario per
//! invocation; lanes change how the CPU executes the same operations, not which ones.

use crate::params::impact;
use crate::real::Real;

/// Positions per lane array in the CPU kernel (8 `f32` fill one AVX register or two SSE ones).
pub const LANES: usize = 8;

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

/// A lane array from a per-lane function.
#[inline(always)]
pub fn map<T, const W: usize>(f: impl FnMut(usize) -> T) -> [T; W] {
    core::array::from_fn(f)
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
}

impl<T: Real, const W: usize> SaleLanes<T, W> {
    /// Positions `p..p + W` of the scratch arrays, in the order half spread, scale, depth,
    /// offset, cap, penalty.
    #[inline(always)]
    pub fn load(model: u32, theta: T, arrays: [&[T]; 6], p: usize) -> Self {
        let [half_spread, scale, depth, offset, cap, penalty] = arrays;
        SaleLanes {
            model,
            theta,
            half_spread: load(half_spread, p),
            scale: load(scale, p),
            depth: load(depth, p),
            offset: load(offset, p),
            cap: load(cap, p),
            penalty: load(penalty, p),
        }
    }

    /// `u = (q + offset) / depth` per lane.
    #[inline(always)]
    fn u(&self, q: &[T; W]) -> [T; W] {
        map(|j| (q[j] + self.offset[j]) / self.depth[j])
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
        map(|j| (self.half_spread[j] + i[j]) + q[j] * slope[j] / self.depth[j])
    }

    /// [`crate::liquidation::sale_at_marginal`] per lane, at marginal cost `mu[j]`, capped at
    /// `cap[j]`.
    #[inline(always)]
    pub fn sale_at_marginal(&self, mu: &[T; W], cap: &[T; W]) -> [T; W] {
        let two = T::p(2.0);
        let excess: [T; W] = map(|j| mu[j] - self.half_spread[j]);
        let q: [T; W] = match self.model {
            impact::LINEAR => {
                map(|j| (excess[j] * self.depth[j] / self.scale[j] - self.offset[j]) / two)
            }
            impact::THRESHOLD => map(|j| {
                let free = self.theta * self.depth[j] - self.offset[j];
                let upper = ((excess[j] / self.scale[j] + self.theta) * self.depth[j]
                    - self.offset[j])
                    / two;
                free.max(upper)
            }),
            _ => map(|j| {
                let m = excess[j] / self.scale[j];
                let z =
                    (m + (m * m + T::p(3.0) * self.offset[j] / self.depth[j]).sqrt()) / T::p(3.0);
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
            let k = SaleTerms {
                model,
                half_spread: T::p((0.02 * next()) as f32),
                scale: T::p(scale as f32),
                depth: T::p(if i % 11 == 0 {
                    1e-12
                } else {
                    (0.5 * next()) as f32
                }),
                offset: T::p(if i % 3 == 0 {
                    0.0
                } else {
                    (0.1 * next()) as f32
                }),
                theta: T::p(0.05),
            };
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
        };
        let q: [f32; 8] = map(|j| chunk[j].1.max(0.05));
        lanes.depth[3] *= 1.01;
        let n = lanes.net_of(&q);
        assert_ne!(n[3].to_bits(), net_of(&chunk[3].0, q[3]).to_bits());
    }
}

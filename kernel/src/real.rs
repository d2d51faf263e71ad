//! The float type the model runs in: `f32` (what the GPU computes) or `f64` (the error bound).
//!
//! Parameters arrive as `f32` (they are what the GPU reads); every operation of the model is done
//! in `T`, so the same source runs at both precisions.

use num_traits::Float;

/// A float the kernel can run in.
pub trait Real: Float + Default + Send + Sync + std::fmt::Debug + 'static {
    /// Converts a parameter (always stored as `f32`) into the working precision.
    fn p(x: f32) -> Self;
    /// Converts an integer count or day into the working precision.
    fn n(x: u32) -> Self;
    /// Rounds to `f32` for the output record.
    fn to_f32(self) -> f32;
    /// Widens to `f64` for host-side aggregation.
    fn to_f64(self) -> f64;
    /// `e^x` as the kernel takes it: in `f32` the kernel's own ([`crate::math::expf`], the same
    /// bits on every machine), in `f64` the platform's (the error bound, never compared bit for
    /// bit).
    fn exp_k(self) -> Self;
    /// [`Real::exp_k`] of `W` lanes, the same bits as one at a time.
    #[inline(always)]
    fn exp_lanes<const W: usize>(x: [Self; W]) -> [Self; W] {
        x.map(Self::exp_k)
    }
    /// `ln x` as the kernel takes it (the Box-Muller radius): in `f32` the kernel's own
    /// ([`crate::math::logf`]), in `f64` the platform's.
    fn ln_k(self) -> Self;
    /// [`Real::ln_k`] of `W` lanes, the same bits as one at a time.
    #[inline(always)]
    fn ln_lanes<const W: usize>(x: [Self; W]) -> [Self; W] {
        x.map(Self::ln_k)
    }
    /// `(sin x, cos x)` as the kernel takes them (the Box-Muller angle): in `f32` the kernel's
    /// own ([`crate::math::sincosf`]), in `f64` the platform's.
    fn sin_cos_k(self) -> (Self, Self);
    /// [`Real::sin_cos_k`] of `W` lanes, the same bits as one at a time.
    #[inline(always)]
    fn sin_cos_lanes<const W: usize>(x: [Self; W]) -> ([Self; W], [Self; W]) {
        let both = x.map(Self::sin_cos_k);
        (both.map(|b| b.0), both.map(|b| b.1))
    }
}

impl Real for f32 {
    #[inline(always)]
    fn p(x: f32) -> Self {
        x
    }
    #[inline(always)]
    fn n(x: u32) -> Self {
        x as f32
    }
    #[inline(always)]
    fn to_f32(self) -> f32 {
        self
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self as f64
    }
    #[inline(always)]
    fn exp_k(self) -> Self {
        crate::math::expf(self)
    }
    #[inline(always)]
    fn exp_lanes<const W: usize>(x: [Self; W]) -> [Self; W] {
        crate::math::expf_lanes(x)
    }
    #[inline(always)]
    fn ln_k(self) -> Self {
        crate::math::logf(self)
    }
    #[inline(always)]
    fn ln_lanes<const W: usize>(x: [Self; W]) -> [Self; W] {
        crate::math::logf_lanes(x)
    }
    #[inline(always)]
    fn sin_cos_k(self) -> (Self, Self) {
        crate::math::sincosf(self)
    }
    #[inline(always)]
    fn sin_cos_lanes<const W: usize>(x: [Self; W]) -> ([Self; W], [Self; W]) {
        crate::math::sincosf_lanes(x)
    }
}

impl Real for f64 {
    #[inline(always)]
    fn p(x: f32) -> Self {
        x as f64
    }
    #[inline(always)]
    fn n(x: u32) -> Self {
        x as f64
    }
    #[inline(always)]
    fn to_f32(self) -> f32 {
        self as f32
    }
    #[inline(always)]
    fn to_f64(self) -> f64 {
        self
    }
    #[inline(always)]
    fn exp_k(self) -> Self {
        self.exp()
    }
    #[inline(always)]
    fn ln_k(self) -> Self {
        self.ln()
    }
    #[inline(always)]
    fn sin_cos_k(self) -> (Self, Self) {
        (self.sin(), self.cos())
    }
}

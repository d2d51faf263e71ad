//! The instruction set the CPU runs a scenario's days with.
//!
//! The release binary targets baseline x86-64 (SSE2) so that one build runs on every x86-64 CPU.
//! On a CPU with AVX2 and FMA (x86-64-v3: Intel Haswell, AMD Excavator and later) the whole day
//! loop also exists compiled for those features (`simulate::run_days`): the stage functions are
//! `#[inline(always)]` into one `#[target_feature]` function per instantiation, so that the
//! lanes of positions (`crate::lanes`) run eight `f32` wide in one register instead of two.
//!
//! **The bits do not change.** The compiler contracts no multiply and add into a fused one on its
//! own (Rust sets no `contract` flag), the transcendental functions are the kernel's own
//! (`crate::math`), and IEEE operations round the same at every width. So a run is the same bit for
//! bit on either path; `simulate::tests::every_isa_gives_the_same_bits` checks it.
//!
//! The path is chosen once per process: the best the CPU has, or baseline when the environment
//! variable `UNDERTOW_CPU_ISA` is `baseline` (for comparisons and for ruling the path out when
//! chasing a problem).

use std::sync::OnceLock;

/// An instruction set that this CPU has. Only [`Isa::baseline`], [`Isa::avx2`] (where the CPU
/// has it) and [`Isa::current`] make one, so holding an `Isa` means the CPU can run it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Isa(Kind);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Baseline,
    #[cfg(target_arch = "x86_64")]
    Avx2,
}

/// The environment variable that asks for the baseline path.
pub const ISA_VAR: &str = "UNDERTOW_CPU_ISA";

impl Isa {
    /// The target's baseline instructions (SSE2 on x86-64): always available.
    pub const fn baseline() -> Isa {
        Isa(Kind::Baseline)
    }

    /// AVX2 with FMA, when this CPU has both.
    pub fn avx2() -> Option<Isa> {
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                return Some(Isa(Kind::Avx2));
            }
        }
        None
    }

    /// The path this process runs: the best available, unless `UNDERTOW_CPU_ISA=baseline`.
    /// Decided on the first call.
    pub fn current() -> Isa {
        static CURRENT: OnceLock<Isa> = OnceLock::new();
        *CURRENT.get_or_init(|| {
            let asked = std::env::var(ISA_VAR).ok();
            if asked.as_deref().map(str::trim) == Some("baseline") {
                Isa::baseline()
            } else {
                Isa::avx2().unwrap_or(Isa::baseline())
            }
        })
    }

    /// Whether this is the AVX2 path.
    pub fn is_avx2(self) -> bool {
        !matches!(self.0, Kind::Baseline)
    }

    /// Its name, as `undertow bench` prints it.
    pub fn name(self) -> &'static str {
        match self.0 {
            Kind::Baseline => "baseline",
            #[cfg(target_arch = "x86_64")]
            Kind::Avx2 => "avx2",
        }
    }
}

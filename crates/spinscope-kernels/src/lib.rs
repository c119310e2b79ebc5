//! The encoder's arithmetic on the CPU: int8 matrix products for its linear layers ([`int8`]) and
//! the f32 steps between them ([`float`]: layer norm, GELU, attention), each with a portable
//! path and one compiled for AVX-512 that the CPU is checked for once per process.
//!
//! The only crate of the workspace allowed `unsafe`, and only to call a `#[target_feature]`
//! function after the check. Both paths give the same bits: integer sums are exact, and the f32
//! code keeps one order of operations whatever the vector width (no reductions left to the
//! compiler), so a model scores the same on every CPU.

use std::sync::OnceLock;

/// `fn name(kernel, args…)`: `body` run by the portable build or by the same code compiled
/// for AVX-512 (the compiler vectorises it for 512-bit registers).
macro_rules! dispatched {
    ($(#[$doc:meta])* $vis:vis fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $body:block) => {
        $(#[$doc])*
        $vis fn $name(kernel: $crate::Kernel, $($arg: $ty),*) {
            #[inline(always)]
            fn body($($arg: $ty),*) $body

            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "avx512f,avx512bw")]
            fn wide($($arg: $ty),*) {
                body($($arg),*)
            }

            match kernel.0 {
                $crate::Choice::Portable => body($($arg),*),
                #[cfg(target_arch = "x86_64")]
                // SAFETY: a `Choice::Vnni` is only made after the CPU was seen to have AVX-512
                // F and BW (`Kernel::vnni`).
                #[allow(unsafe_code)]
                $crate::Choice::Vnni => unsafe { wide($($arg),*) },
                #[cfg(not(target_arch = "x86_64"))]
                $crate::Choice::Vnni => unreachable!("Kernel::vnni is None off x86_64"),
            }
        }
    };
}

pub mod float;
pub mod int8;

/// Which code runs the arithmetic. Chosen once per process by [`Kernel::best`]; tests and
/// benchmarks pick one to compare.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Kernel(pub(crate) Choice);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Choice {
    Portable,
    /// Only made after the CPU was seen to have AVX-512 (F, BW) with VNNI.
    Vnni,
}

impl Kernel {
    /// Plain Rust, any CPU.
    pub fn portable() -> Kernel {
        Kernel(Choice::Portable)
    }

    /// AVX-512 VNNI, when this CPU has it.
    pub fn vnni() -> Option<Kernel> {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512bw")
            && std::arch::is_x86_feature_detected!("avx512vnni")
        {
            return Some(Kernel(Choice::Vnni));
        }
        None
    }

    /// The fastest kernel this CPU runs.
    pub fn best() -> Kernel {
        static BEST: OnceLock<Kernel> = OnceLock::new();
        *BEST.get_or_init(|| Kernel::vnni().unwrap_or_else(Kernel::portable))
    }

    pub fn name(self) -> &'static str {
        match self.0 {
            Choice::Portable => "portable",
            Choice::Vnni => "avx512-vnni",
        }
    }
}

/// Inputs for benchmarks and tests here and in the encoder's crate.
#[doc(hidden)]
pub mod testing {
    /// `n` values spread over [-1, 1) by a fixed linear congruential sequence from `seed`: the
    /// kernels' time does not depend on the values, and every run sees the same ones.
    pub fn values(n: usize, seed: u32) -> Vec<f32> {
        let mut s = seed;
        (0..n)
            .map(|_| {
                s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (s >> 8) as f32 / (1u32 << 23) as f32 - 1.0
            })
            .collect()
    }
}

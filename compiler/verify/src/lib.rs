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
pub mod gates;
pub mod machines;
pub mod outputs;
pub mod shaping;

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

/// A solver with the per-query time limit and the given facts (ranges).
pub(crate) fn solver(options: &Options, facts: &[z3::ast::Bool]) -> z3::Solver {
    let solver = z3::Solver::new();
    let mut params = z3::Params::new();
    params.set_u32("timeout", options.timeout_ms);
    solver.set_params(&params);
    for fact in facts {
        solver.assert(fact);
    }
    solver
}

/// Every solver-backed check of a checked program. Call only when the
/// program has no errors.
pub fn verify(checked: &Checked, options: &Options) -> Vec<Diagnostic> {
    if checked.has_errors() {
        return Vec::new();
    }
    let mut found = machines::check(&checked.program, options);
    found.extend(outputs::check(&checked.program, options));
    found.extend(shaping_diagnostics(&checked.program, options));
    found.extend(gates::check(&checked.program, options));
    found
}

fn shaping_diagnostics(program: &rw_compiler::sema::Program, options: &Options) -> Vec<Diagnostic> {
    use rw_compiler::diagnostic::code;
    use rw_compiler::sema::Output;
    use rw_compiler::syntax::ast::{ConstRef, ShapeKind};
    let mut out = Vec::new();
    for o in &program.outputs {
        let Output::Shape(s) = o else { continue };
        if s.kind != ShapeKind::Term {
            continue;
        }
        let gamma = match &s.gamma {
            Some(ConstRef::Float(f, _)) => *f,
            Some(ConstRef::Int(i, _)) => *i as f64,
            Some(ConstRef::Name(n)) => program
                .lookup(&n.name)
                .and_then(|id| program.consts.get(&id))
                .and_then(|v| v.as_f32())
                .map_or(1.0, f64::from),
            _ => 1.0,
        };
        let gamma = f64::from(gamma as f32);
        match shaping::decide(program, &s.value, gamma, options) {
            shaping::Verdict::Potential(_) => {}
            shaping::Verdict::NotPotential { first, second, values, potential } => {
                let d = Diagnostic::warning(code::NOT_POTENTIAL, format!("this shaping term is not potential-based for gamma {}", gamma as f32))
                    .primary(s.value.span, "optimal-policy invariance is not assured")
                    .note(if first == "any step" {
                        format!("with gamma 1 a potential-based term sums to 0 over a step, but this one adds {} every step", values.0 as f32)
                    } else {
                        format!(
                            "after the same step, a move to ({first}) and a move to ({second}) differ by {} more than any potential allows",
                            (values.0 - values.1).abs() as f32
                        )
                    })
                    .help(if potential == "0" {
                        "use `shape potential = phi`, which is invariant by construction".to_string()
                    } else {
                        format!(
                            "with potential `{potential}` the term would be `{} * ({potential}) - prev({potential})`; or write `shape potential = {potential}`",
                            gamma as f32
                        )
                    });
                out.push(d);
            }
            shaping::Verdict::Undecided(why) => out.push(
                Diagnostic::warning(
                    code::SHAPING_UNDECIDED,
                    "could not decide whether this shaping term is potential-based",
                )
                .primary(s.value.span, why)
                .help("`shape potential = phi` is potential-based by construction"),
            ),
        }
    }
    out
}

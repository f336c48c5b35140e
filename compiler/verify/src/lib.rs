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
pub mod numeric;
pub mod outputs;
pub mod shaping;

use rw_compiler::Diagnostic;
use rw_compiler::sema::Checked;
use std::time::{Duration, Instant};

/// Solver settings: a limit per query and one for the whole check.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// Per query; 0 means no per-query limit (the overall budget still holds).
    pub timeout_ms: u32,
    /// When the whole check must end: later queries answer "unknown" at
    /// once, so their verdicts are inconclusive.
    pub deadline: Instant,
    /// The budget the deadline was set from, for messages.
    pub budget_ms: u32,
    /// Set by another thread to abandon the check (the language server, when
    /// a newer edit arrives): later queries answer "unknown" at once, and
    /// the caller discards the verdicts.
    pub cancel: Option<&'static std::sync::atomic::AtomicBool>,
}

/// Default overall budget of one file's check, solver queries included.
pub const DEFAULT_BUDGET_MS: u32 = 20_000;

impl Options {
    /// Limits starting now.
    pub fn new(timeout_ms: u32, budget_ms: u32) -> Options {
        Options {
            timeout_ms,
            deadline: Instant::now() + Duration::from_millis(u64::from(budget_ms)),
            budget_ms,
            cancel: None,
        }
    }

    /// Time left for the next query, in ms (0 when the budget is spent).
    fn remaining_ms(&self) -> u32 {
        if self.cancelled() {
            return 0;
        }
        let left = self.deadline.saturating_duration_since(Instant::now()).as_millis().min(u128::from(u32::MAX)) as u32;
        if self.timeout_ms == 0 { left } else { left.min(self.timeout_ms) }
    }

    /// The overall budget ran out.
    pub fn exhausted(&self) -> bool {
        self.cancelled() || Instant::now() >= self.deadline
    }

    fn cancelled(&self) -> bool {
        self.cancel.is_some_and(|c| c.load(std::sync::atomic::Ordering::Relaxed))
    }
}

impl Default for Options {
    fn default() -> Options {
        Options::new(2_000, DEFAULT_BUDGET_MS)
    }
}

/// A Z3 solver whose every `check` is bounded by the per-query limit and
/// the time left in the overall budget.
pub(crate) struct Solver {
    inner: z3::Solver,
    options: Options,
}

impl Solver {
    /// Answers "unknown" without asking when the budget is spent.
    pub fn check(&self) -> z3::SatResult {
        let ms = self.options.remaining_ms();
        if ms == 0 {
            return z3::SatResult::Unknown;
        }
        let mut params = z3::Params::new();
        params.set_u32("timeout", ms);
        self.inner.set_params(&params);
        self.inner.check()
    }
}

impl std::ops::Deref for Solver {
    type Target = z3::Solver;
    fn deref(&self) -> &z3::Solver {
        &self.inner
    }
}

/// A solver with the limits and the given facts (ranges).
pub(crate) fn solver(options: &Options, facts: &[z3::ast::Bool]) -> Solver {
    let inner = z3::Solver::new();
    for fact in facts {
        inner.assert(fact);
    }
    Solver { inner, options: *options }
}

/// Every solver-backed check of a checked program: adds the diagnostics to
/// `checked.diagnostics`, and records in the program the edges proved never
/// taken, which distances must not count. Does nothing when the program
/// has errors.
pub fn verify(checked: &mut Checked, options: &Options) {
    if checked.has_errors() {
        return;
    }
    let (mut found, never) = machines::check(&checked.program, options);
    checked.program.never_taken.extend(never);
    checked.program.never_taken.extend(machines::impossible_formula_edges(&checked.program, options));
    let explained = outputs::explain(&checked.program, options);
    found.extend(outputs::check_explained(&checked.program, &explained));
    found.extend(numeric::check(&checked.program, &explained, options));
    found.extend(shaping_diagnostics(&checked.program, options));
    found.extend(gates::check(&checked.program, options));
    if options.exhausted() {
        let mut d = Diagnostic::warning(
            rw_compiler::diagnostic::code::INCONCLUSIVE,
            format!("the check's time budget of {} ms ran out", options.budget_ms),
        )
        .help("raise it with `--budget-ms`, or split the spec");
        let reward = checked.program.outputs.iter().find_map(|o| match o {
            rw_compiler::sema::Output::Reward(r) => Some(r.value.span),
            _ => None,
        });
        if let Some(span) = reward {
            d = d.primary(span, "verdicts past this point are inconclusive");
        }
        found.push(d);
    }
    checked.diagnostics.extend(found);
}

/// A `shape`'s discount as the runtime uses it: an `f32` (1 when absent).
pub(crate) fn gamma(program: &rw_compiler::sema::Program, gamma: &Option<rw_compiler::syntax::ast::ConstRef>) -> f32 {
    use rw_compiler::syntax::ast::ConstRef;
    match gamma {
        Some(ConstRef::Float(f, _)) => *f as f32,
        Some(ConstRef::Int(i, _)) => *i as f32,
        Some(ConstRef::Name(n)) => {
            program.lookup(&n.name).and_then(|id| program.consts.get(&id)).and_then(|v| v.as_f32()).unwrap_or(1.0)
        }
        _ => 1.0,
    }
}

fn shaping_diagnostics(program: &rw_compiler::sema::Program, options: &Options) -> Vec<Diagnostic> {
    use rw_compiler::diagnostic::code;
    use rw_compiler::sema::Output;
    use rw_compiler::syntax::ast::ShapeKind;
    let mut out = Vec::new();
    for o in &program.outputs {
        let Output::Shape(s) = o else { continue };
        if s.kind != ShapeKind::Term {
            continue;
        }
        let gamma = f64::from(gamma(program, &s.gamma));
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

//! `gated` conditions and `constraint` limits that can never hold, or always
//! hold, over the declared ranges.
//!
//! A gate that never opens withholds its term for ever; one that is always
//! open gates nothing. A constraint that always holds never binds (its
//! multiplier stays 0); one that can never hold makes the multiplier grow
//! without end. Each claim is an unsatisfiable query, so it is a proof; the
//! diagnostic also shows a step where the opposite holds, when there is one.

use crate::Options;
use crate::encode::{Encoder, Term};
use rw_compiler::diagnostic::{Diagnostic, code};
use rw_compiler::sema::{DeclKind, Output, Program};
use rw_compiler::syntax::ast::{BinOp, Expr, ExprKind};
use z3::SatResult;
use z3::ast::Bool;

/// Can `b` hold, and can it fail? `None` when the solver did not decide.
fn sides(encoder: &Encoder<'_>, b: &Bool, options: &Options) -> (Option<bool>, Option<bool>) {
    let solver = crate::solver(options, &encoder.constraints);
    let ask = |f: Bool| {
        solver.push();
        solver.assert(&f);
        let r = solver.check();
        solver.pop(1);
        match r {
            SatResult::Sat => Some(true),
            SatResult::Unsat => Some(false),
            SatResult::Unknown => None,
        }
    };
    (ask(b.clone()), ask(b.not()))
}

fn gates<'a>(e: &'a Expr, out: &mut Vec<&'a Expr>) {
    e.walk(&mut |sub| {
        if let ExprKind::Gated(..) = sub.kind {
            out.push(sub);
        }
    });
}

pub fn check(program: &Program, options: &Options) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    // Gates anywhere in outputs and lets.
    let mut exprs: Vec<&Expr> = Vec::new();
    for o in &program.outputs {
        match o {
            Output::Reward(r) | Output::Done(r) | Output::Discount(r) => exprs.push(&r.value),
            Output::Log(l) => exprs.push(&l.value),
            Output::Shape(s) => exprs.push(&s.value),
            Output::Constraint(c) => exprs.push(&c.condition),
        }
    }
    for d in &program.decls {
        if let DeclKind::Let(l) = &d.kind {
            exprs.push(&l.value);
        }
    }
    let mut found = Vec::new();
    for e in exprs {
        gates(e, &mut found);
    }
    for gate in found {
        let ExprKind::Gated(cond, _) = &gate.kind else { continue };
        let mut encoder = Encoder::new(program);
        let b = encoder.boolean(cond);
        match sides(&encoder, &b, options) {
            (Some(false), _) => out.push(
                Diagnostic::warning(code::CONSTANT_CONDITION, "this gate never opens")
                    .primary(cond.span, "this condition never holds within the declared ranges")
                    .note("the gated term is accumulated but never paid")
                    .help("check the condition and the ranges of the inputs it reads"),
            ),
            (_, Some(false)) => out.push(
                Diagnostic::warning(code::CONSTANT_CONDITION, "this gate is always open")
                    .primary(cond.span, "this condition always holds within the declared ranges")
                    .note("the term is paid at every episode end: the gate changes nothing")
                    .help("remove the gate, or check its condition"),
            ),
            _ => {}
        }
    }
    for o in &program.outputs {
        let Output::Constraint(c) = o else { continue };
        // An episode's sum depends on its length: one step's values decide nothing.
        if c.episodic {
            continue;
        }
        let ExprKind::Binary(op @ (BinOp::Le | BinOp::Ge), _, _) = &c.condition.strip_parens().kind else { continue };
        let mut encoder = Encoder::new(program);
        let Some(Term::B(b)) = encoder.term(&c.condition) else { continue };
        let limit_text = if *op == BinOp::Le { "at most" } else { "at least" };
        match sides(&encoder, &b, options) {
            (Some(false), _) => out.push(
                Diagnostic::warning(code::CONSTANT_CONDITION, "this constraint can never be met")
                    .primary(
                        c.condition.span,
                        format!("the value is never {limit_text} the limit within the declared ranges"),
                    )
                    .note("its multiplier grows at every end of batch and never comes back")
                    .help("check the limit against the range of the constrained value"),
            ),
            (_, Some(false)) => out.push(
                Diagnostic::warning(code::CONSTANT_CONDITION, "this constraint always holds")
                    .primary(
                        c.condition.span,
                        format!("the value is always {limit_text} the limit within the declared ranges"),
                    )
                    .note("its multiplier stays at 0: the constraint never changes the reward")
                    .help("tighten the limit, or remove the constraint"),
            ),
            _ => {}
        }
    }
    out
}

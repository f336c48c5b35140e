//! Check-time warnings about NaN and infinity (RW0516): divisions whose
//! divisor can be 0, `log`s of values that can be 0 or negative, `sqrt`s of
//! negative values, outputs that overflow to infinity.
//!
//! Runs in `verify` after the output bounds. The interval analysis finds
//! the candidates ([`crate::outputs::hazards`]): places where an operand's
//! sound bounds reach the bad value. Each is then settled where it can be:
//! the solver proves it away (no warning) or gives input values that do it
//! (the witness); a `group_std` divisor is 0 for any group whose values are
//! equal; what stays undecided is reported with "may" and the bounds.

use crate::encode::{Encoder, Term, f32_const, int_const, model_f32, model_int, show_f32};
use crate::outputs::{Explained, Hazard, HazardKind, show};
use crate::{Options, solver};
use rw_compiler::diagnostic::code;
use rw_compiler::sema::{DeclKind, Output, Program};
use rw_compiler::syntax::ast::expr_text;
use rw_compiler::syntax::ast::{Expr, ExprKind};
use rw_compiler::{Diagnostic, Span};
use z3::ast::{Ast, Bool};

/// How a candidate was settled.
enum Finding {
    /// A step that does it, in the user's terms.
    Witness(String),
    /// The bounds reach the bad value; no witness was found.
    May,
}

pub fn check(program: &Program, explained: &[Explained], options: &Options) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let hazards = crate::outputs::hazards(program);
    for h in &hazards {
        let Some(finding) = settle(program, h, options) else { continue };
        out.push(diagnostic(h, finding));
    }
    // Outputs that overflow although every operand is finite.
    for e in explained {
        let infinite = e.bounds.lo == f64::NEG_INFINITY || e.bounds.hi == f64::INFINITY;
        // One step's value: history sums are bounded per step only
        // through the episode's length, which the check does not know.
        if !infinite || !e.unranged.is_empty() || e.class != "markov" {
            continue;
        }
        // The reward's bounds include constraint penalties (a multiplier
        // the trainer sets times a gap): only its own value is the spec's.
        let penalties = program.outputs.iter().any(|o| matches!(o, Output::Constraint(_) | Output::Shape(_)));
        if e.output == "reward" && penalties {
            continue;
        }
        let Some((value, span)) = output_value(program, &e.output) else { continue };
        if hazards.iter().any(|h| contains(span, h.span)) {
            continue;
        }
        let mut encoder = Encoder::new(program);
        let term = encoder.term(value);
        // A multiplier is whatever the trainer sets: not the spec's overflow.
        let reads_multiplier = encoder.vars.iter().any(|v| {
            program.lookup(&v.name).is_some_and(|id| matches!(program.decl(id).kind, DeclKind::Multiplier(_)))
        });
        if reads_multiplier {
            continue;
        }
        let finding = match term {
            Some(Term::F(f)) if encoder.take_exact() => match witness(&encoder, &f.is_infinite(), options) {
                Answer::Witness(w) => Finding::Witness(w),
                Answer::Never => continue,
                Answer::Unknown => Finding::May,
            },
            Some(Term::I(_) | Term::B(_)) => continue,
            _ => Finding::May,
        };
        let what = if e.output == "reward" { "`reward`".to_string() } else { format!("`log {}`", e.output) };
        let (message, label) = match finding {
            Finding::Witness(w) => (format!("{what} can overflow to infinity"), format!("infinite when {w}")),
            Finding::May => (format!("{what} may overflow to infinity"), format!("its bounds are {}", show(e.bounds))),
        };
        out.push(
            Diagnostic::warning(code::NOT_FINITE, message)
                .primary(span, label)
                .help("narrow the inputs' declared ranges, or bound the output with `clamp(..., lo, hi)`"),
        );
    }
    out
}

fn contains(outer: Span, inner: Span) -> bool {
    outer.file == inner.file && outer.start <= inner.start && inner.end <= outer.end
}

fn output_value<'p>(program: &'p Program, name: &str) -> Option<(&'p Expr, Span)> {
    program.outputs.iter().find_map(|o| match o {
        Output::Reward(r) if name == "reward" => Some((&r.value, r.value.span)),
        Output::Log(l) if l.name.name == name => Some((&l.value, l.value.span)),
        _ => None,
    })
}

enum Answer {
    Witness(String),
    Never,
    Unknown,
}

/// A corner of the ranges (their ends, 0) where `bad` holds, found by
/// evaluation: a witness that does not depend on the solver's search.
fn corner_witness(encoder: &Encoder<'_>, bad: &Bool) -> Option<String> {
    const LIMIT: usize = 64;
    let values = encoder.sample_values(&Term::B(bad.clone()), LIMIT)?;
    let position = values.iter().position(|v| matches!(v, Term::B(b) if b.as_bool() == Some(true)))?;
    // Combinations run in odometer order, the first variable fastest.
    let mut rest = position;
    let mut parts = Vec::new();
    for var in &encoder.vars {
        let n = var.samples.len().max(1);
        let sample = &var.samples[rest % n];
        rest /= n;
        if var.name.starts_with('⟨') {
            continue;
        }
        let value = match sample {
            Term::F(f) => show_f32(f32::from_bits(f.to_ieee_bv().simplify().as_u64()? as u32)),
            Term::I(i) => (i.simplify().as_u64()? as u32 as i32).to_string(),
            Term::B(b) => b.simplify().as_bool()?.to_string(),
        };
        parts.push(format!("`{}` is {value}", var.name));
    }
    Some(if parts.is_empty() { "always".into() } else { parts.join(", ") })
}

/// Asks whether `bad` can hold within the ranges; a model becomes "x = 0.0, n = 3".
fn witness(encoder: &Encoder<'_>, bad: &Bool, options: &Options) -> Answer {
    if let Some(w) = corner_witness(encoder, bad) {
        return Answer::Witness(w);
    }
    let solver = solver(options, &encoder.constraints);
    solver.assert(bad);
    match solver.check() {
        z3::SatResult::Unsat => Answer::Never,
        z3::SatResult::Unknown => Answer::Unknown,
        z3::SatResult::Sat => {
            let Some(model) = solver.get_model() else { return Answer::Unknown };
            let values: Vec<String> = encoder
                .vars
                .iter()
                .filter(|v| !v.name.starts_with('⟨'))
                .filter_map(|v| {
                    let value = match &v.term {
                        Term::F(f) => show_f32(model_f32(&model, f)?),
                        Term::I(i) => model_int(&model, i)?.to_string(),
                        Term::B(b) => model.eval(b, true)?.as_bool()?.to_string(),
                    };
                    Some(format!("`{}` is {value}", v.name))
                })
                .collect();
            if values.is_empty() { Answer::Witness("always".into()) } else { Answer::Witness(values.join(", ")) }
        }
    }
}

/// `None`: proved never to happen.
fn settle(program: &Program, h: &Hazard, options: &Options) -> Option<Finding> {
    if let ExprKind::Call(f, args) = &h.operand.strip_parens().kind
        && is_spread(&f.name)
        && h.kind != HazardKind::Sqrt
    {
        let x = args.first().map(expr_text).unwrap_or_default();
        let whose = if f.name.starts_with("batch_") { "a batch" } else { "a group" };
        return Some(Finding::Witness(format!("{whose} whose `{x}` values are all equal (one lane, too)")));
    }
    if h.bounds.lo == 0.0 && h.bounds.hi == 0.0 && !h.bounds.nan {
        return Some(Finding::Witness("always".into()));
    }
    if h.in_fn {
        return Some(Finding::May);
    }
    let mut encoder = Encoder::new(program);
    let term = encoder.term(&h.operand)?;
    if !encoder.take_exact() {
        return Some(Finding::May);
    }
    let bad = match (&term, h.kind) {
        (Term::F(x), HazardKind::Division) => x.is_zero(),
        (Term::F(x), HazardKind::Log) => Bool::or(&[x.is_zero(), x.lt(f32_const(0.0))]),
        (Term::F(x), HazardKind::Sqrt) => x.lt(f32_const(0.0)),
        (Term::I(x), HazardKind::Division) => x.eq(int_const(0)),
        (Term::I(x), HazardKind::Log) => x.bvsle(int_const(0)),
        (Term::I(x), HazardKind::Sqrt) => x.bvslt(int_const(0)),
        (Term::B(_), _) => return None,
    };
    match witness(&encoder, &bad, options) {
        Answer::Witness(w) => Some(Finding::Witness(w)),
        Answer::Never => None,
        Answer::Unknown => Some(Finding::May),
    }
}

/// A standard deviation across lanes: 0 whenever the lanes agree.
fn is_spread(name: &str) -> bool {
    matches!(name, "group_std" | "group_std_unbiased" | "batch_std" | "batch_std_unbiased")
}

fn diagnostic(h: &Hazard, finding: Finding) -> Diagnostic {
    let operand = expr_text(&h.operand);
    let sure = matches!(finding, Finding::Witness(_));
    let label = match &finding {
        Finding::Witness(w) if w.starts_with("a group") || w.starts_with("a batch") => format!("0 for {w}"),
        Finding::Witness(w) if w == "always" => "always".to_string(),
        Finding::Witness(w) => format!("when {w}"),
        Finding::May => format!("its bounds are {}", show(h.bounds)),
    };
    let place = if h.in_fn { format!(" (inside this call, `{operand}`)") } else { String::new() };
    let (message, note, help) = match h.kind {
        HazardKind::Division => (
            format!("`{operand}` {} be 0 where it divides{place}", if sure { "can" } else { "may" }),
            "the quotient is then infinite, or NaN when the numerator is 0 too",
            match &h.operand.strip_parens().kind {
                ExprKind::Call(f, args) if is_spread(&f.name) => format!(
                    "divide by `({}({}) + 0.0001)`, as TRL's GRPO does",
                    f.name,
                    args.first().map(expr_text).unwrap_or_default()
                ),
                _ if h.bounds.lo >= 0.0 => format!("keep the divisor away from 0: `({operand} + 0.0001)`"),
                _ => format!("keep the divisor away from 0: `max({operand}, 0.0001)` (or test it with `if`)"),
            },
        ),
        HazardKind::Log => (
            format!("`log` of `{operand}`, which {} be 0 or negative{place}", if sure { "can" } else { "may" }),
            "`log(0)` is -infinity and the log of a negative value is NaN",
            format!("`log(max({operand}, 1e-8))`"),
        ),
        HazardKind::Sqrt => (
            format!("`sqrt` of `{operand}`, which {} be negative{place}", if sure { "can" } else { "may" }),
            "the square root of a negative value is NaN",
            format!("`sqrt(max({operand}, 0.0))`"),
        ),
    };
    Diagnostic::warning(code::NOT_FINITE, message).primary(h.span, label).note(note).help(help)
}

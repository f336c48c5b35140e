//! Is a `shape term` potential-based (Ng, Harada & Russell 1999)?
//!
//! Decision procedure. Write the term as `N(s') + P(s)`: `P` collects the
//! additive `c * prev(e, d)` parts (read at the previous step `s`), `N`
//! everything else (read at the current step `s'`). If `T = gamma * phi(s')
//! - phi(s)` for all pairs of steps, fixing `s` shows `phi = -P + C`, and
//! then `N(x) + gamma * P(x)` must be the same constant `K` for every step
//! `x`, with `C = K / (gamma - 1)` (and `K = 0` when `gamma = 1`). So:
//!
//! - the solver proves `N(x) + gamma * P(x) = K` for all `x` within the
//!   declared ranges: the term is potential-based with potential
//!   `phi = -P + C` (and `prev`'s default acts as the initial potential);
//! - or it finds `x1`, `x2` with different values: two successor steps of
//!   the same step whose terms differ by more than any potential allows, a
//!   counterexample that really violates the identity;
//! - a term where `prev` appears other than additively (`prev(x) * y`),
//!   or whose parts the solver cannot model exactly when it finds a
//!   difference, is not decided: the report says so.
//!
//! It cannot use facts about which steps can follow which (machine
//! transitions): a potential that only works on reachable pairs is not
//! recognised.

use crate::Options;
use crate::encode::{Encoder, Term};
use rw_compiler::sema::Program;
use rw_compiler::syntax::ast::expr_text;
use rw_compiler::syntax::ast::{BinOp, Expr, ExprKind, UnOp};
use z3::SatResult;
use z3::ast::{Bool, Real};

/// The verdict on one `shape term`.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    /// Potential-based, with this potential (rw text).
    Potential(String),
    /// Not potential-based: at these two steps (witness texts) the value
    /// `N + gamma * P` differs (values given).
    NotPotential { first: String, second: String, values: (f64, f64), potential: String },
    /// The procedure does not apply or the solver could not decide.
    Undecided(String),
}

/// `c * prev(e, d)` parts and the rest.
struct Split<'a> {
    now: Vec<(f64, &'a Expr)>,
    prev: Vec<(f64, &'a Expr)>,
}

fn literal(e: &Expr) -> Option<f64> {
    match &e.strip_parens().kind {
        ExprKind::Int(v) => Some(*v as f64),
        ExprKind::Float(v) => Some(f64::from(*v as f32)),
        ExprKind::Unary(UnOp::Neg, a) => literal(a).map(|v| -v),
        _ => None,
    }
}

fn contains_prev(e: &Expr) -> bool {
    let mut found = false;
    e.walk(&mut |sub| {
        if matches!(&sub.kind, ExprKind::Call(f, _) if f.name == "prev") {
            found = true;
        }
    });
    found
}

/// Splits `e` (scaled by `k`) into additive parts; `None` when `prev`
/// appears other than additively.
fn split<'a>(e: &'a Expr, k: f64, out: &mut Split<'a>) -> Option<()> {
    match &e.kind {
        ExprKind::Paren(a) => split(a, k, out),
        ExprKind::Binary(BinOp::Add, a, b) => {
            split(a, k, out)?;
            split(b, k, out)
        }
        ExprKind::Binary(BinOp::Sub, a, b) => {
            split(a, k, out)?;
            split(b, -k, out)
        }
        ExprKind::Unary(UnOp::Neg, a) => split(a, -k, out),
        ExprKind::Binary(BinOp::Mul, a, b) if contains_prev(e) => match (literal(a), literal(b)) {
            (Some(c), _) => split(b, k * c, out),
            (_, Some(c)) => split(a, k * c, out),
            _ => None,
        },
        ExprKind::Call(f, args) if f.name == "prev" => {
            let inner = args.first()?;
            if contains_prev(inner) {
                return None;
            }
            out.prev.push((k, inner));
            Some(())
        }
        _ if contains_prev(e) => None,
        _ => {
            out.now.push((k, e));
            Some(())
        }
    }
}

/// Exact arithmetic over the terms of a shaping identity: the identity is a
/// question about the formula as written, not about its `f32` rounding
/// (which moves each step's term by a few ulps). Numeric inputs and params
/// are real (or integer) variables within their declared ranges; sums,
/// differences, products, quotients, negation and conditionals are taken
/// over the reals; other subterms (members, calls) are the encoder's values,
/// required to be finite.
struct Reals<'e, 'p> {
    encoder: &'e mut Encoder<'p>,
    vars: Vec<(String, Real)>,
}

impl Reals<'_, '_> {
    fn linear(&mut self, parts: &[(f64, &Expr)], scale: f64) -> Option<Real> {
        let mut terms = Vec::new();
        for (k, e) in parts {
            let t = self.term(e)?;
            terms.push(Real::mul(&[crate::encode::real_of_f32((k * scale) as f32), t]));
        }
        Some(if terms.is_empty() { crate::encode::real_of_f32(0.0) } else { Real::add(&terms) })
    }

    /// An `int` or `f32` input or param as a number within its range.
    fn variable(&mut self, name: &str) -> Option<Real> {
        use rw_compiler::sema::{DeclKind, Scalar, Ty};
        if let Some((_, v)) = self.vars.iter().find(|(n, _)| n == name) {
            return Some(v.clone());
        }
        let p = self.encoder.program();
        let id = p.lookup(name)?;
        let range = match &p.decl(id).kind {
            DeclKind::Input(i) => i.range.as_ref(),
            DeclKind::Param(param) => param.range.as_ref(),
            _ => return None,
        };
        let int = match p.types.get(&id)? {
            Ty::Scalar(Scalar::Int) => true,
            Ty::Scalar(Scalar::F32) => false,
            _ => return None,
        };
        let v = if int { z3::ast::Int::new_const(name).to_real() } else { Real::new_const(name) };
        if let Some((lo, hi, inclusive)) = range.and_then(|r| crate::encode::range_ends(p, r)) {
            let (lo, hi) = (crate::encode::real_of_f32(lo as f32), crate::encode::real_of_f32(hi as f32));
            self.encoder.constraints.push(v.ge(&lo));
            self.encoder.constraints.push(if inclusive { v.le(&hi) } else { v.lt(&hi) });
        }
        self.vars.push((name.to_string(), v.clone()));
        Some(v)
    }

    fn term(&mut self, e: &Expr) -> Option<Real> {
        Some(match &e.kind {
            ExprKind::Paren(a) => self.term(a)?,
            ExprKind::Int(v) => Real::from_rational(*v, 1),
            ExprKind::Float(v) => crate::encode::real_of_f32(*v as f32),
            ExprKind::Unary(UnOp::Neg, a) => self.term(a)?.unary_minus(),
            ExprKind::Binary(op @ (BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div), a, b) => {
                let (x, y) = (self.term(a)?, self.term(b)?);
                match op {
                    BinOp::Add => Real::add(&[x, y]),
                    BinOp::Sub => Real::sub(&[x, y]),
                    BinOp::Mul => Real::mul(&[x, y]),
                    _ => x.div(&y),
                }
            }
            ExprKind::Cond(c, a, b) => {
                let c = self.encoder.boolean(c);
                let (x, y) = (self.term(a)?, self.term(b)?);
                c.ite(&x, &y)
            }
            ExprKind::Name(n) if self.variable(&n.name).is_some() => self.variable(&n.name)?,
            _ => match self.encoder.term(e)? {
                Term::I(i) => i.to_int(true).to_real(),
                Term::F(f) => {
                    self.encoder.constraints.push(Bool::or(&[f.is_nan(), f.is_infinite()]).not());
                    f.to_real()
                }
                Term::B(_) => return None,
            },
        })
    }
}

fn text_of(parts: &[(f64, &Expr)], scale: f64) -> String {
    let mut out = String::new();
    for (k, e) in parts {
        let k = k * scale;
        let text = expr_text(e);
        let simple = text.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '.');
        let body = if simple { text } else { format!("({text})") };
        let piece = if k == 1.0 {
            body
        } else if k == -1.0 {
            format!("-{body}")
        } else {
            format!("{} * {body}", k as f32)
        };
        if out.is_empty() {
            out = piece;
        } else if let Some(rest) = piece.strip_prefix('-') {
            out = format!("{out} - {rest}");
        } else {
            out = format!("{out} + {piece}");
        }
    }
    if out.is_empty() { "0".into() } else { out }
}

/// Decides one shaping term for a discount `gamma`.
pub fn decide(program: &Program, term: &Expr, gamma: f64, options: &Options) -> Verdict {
    let mut parts = Split { now: Vec::new(), prev: Vec::new() };
    if split(term, 1.0, &mut parts).is_none() {
        return Verdict::Undecided(
            "`prev` appears other than as an added term, so the potential cannot be separated".into(),
        );
    }
    let mut encoder = Encoder::new(program);
    encoder.exact_members = true;
    let mut reals = Reals { encoder: &mut encoder, vars: Vec::new() };
    // N(x) + gamma * P(x), with P's arguments read at the same step x.
    let (Some(n), Some(p)) = (reals.linear(&parts.now, 1.0), reals.linear(&parts.prev, gamma)) else {
        return Verdict::Undecided("the term is not numeric".into());
    };
    let real_vars = reals.vars;
    let exact = encoder.take_exact();
    let value = Real::add(&[n, p]);
    let solver = crate::solver(options, &encoder.constraints);
    // K: the value at some step in range.
    let k = match solver.check() {
        SatResult::Sat => match solver.get_model().and_then(|m| m.eval(&value, true)) {
            Some(k) => k,
            None => return Verdict::Undecided("the solver gave no model".into()),
        },
        SatResult::Unsat => return Verdict::Undecided("no step satisfies the declared ranges".into()),
        SatResult::Unknown => return Verdict::Undecided("the solver ran out of time".into()),
    };
    let k_value = k.as_rational().map(|(a, b)| a as f64 / b as f64).unwrap_or(0.0);
    solver.push();
    solver.assert(Bool::not(&value.eq(&k)));
    let answer = solver.check();
    let other = solver.get_model();
    solver.pop(1);
    let potential = {
        let minus_p = text_of(&parts.prev, -1.0);
        let c = if gamma == 1.0 { 0.0 } else { k_value / (gamma - 1.0) };
        match (minus_p.as_str(), c) {
            (_, 0.0) => minus_p,
            ("0", c) => format!("{}", c as f32),
            (_, c) => format!("{minus_p} + {}", c as f32),
        }
    };
    match answer {
        SatResult::Unsat if gamma == 1.0 && k_value != 0.0 => Verdict::NotPotential {
            first: "any step".into(),
            second: "any step".into(),
            values: (k_value, 0.0),
            potential,
        },
        SatResult::Unsat => Verdict::Potential(potential),
        SatResult::Sat if exact => {
            let describe = |model: Option<z3::Model>| -> (String, f64) {
                let Some(m) = model else { return (String::new(), f64::NAN) };
                let v =
                    m.eval(&value, true).and_then(|v| v.as_rational()).map_or(f64::NAN, |(a, b)| a as f64 / b as f64);
                let mut vars: Vec<String> =
                    encoder.vars.iter().filter_map(|var| Some(format!("{} = {}", var.name, var.show(&m)?))).collect();
                vars.extend(real_vars.iter().filter_map(|(name, v)| {
                    let (a, b) = m.eval(v, true)?.as_rational()?;
                    Some(format!("{name} = {}", (a as f64 / b as f64) as f32))
                }));
                (vars.join(", "), v)
            };
            let first_model = {
                solver.push();
                solver.assert(value.eq(&k));
                let r = if solver.check() == SatResult::Sat { solver.get_model() } else { None };
                solver.pop(1);
                r
            };
            let (first, v1) = describe(first_model);
            let (second, v2) = describe(other);
            Verdict::NotPotential { first, second, values: (v1, v2), potential }
        }
        SatResult::Sat => {
            Verdict::Undecided("parts of the term are not modelled exactly (automaton members, ...)".into())
        }
        SatResult::Unknown => Verdict::Undecided("the solver ran out of time".into()),
    }
}

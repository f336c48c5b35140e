//! rw expressions as SMT terms over props, inputs and params.
//!
//! Props and bool inputs are booleans, `int` inputs integers, `f32` inputs
//! reals; declared ranges become constraints. Consts are their values (an
//! `f32` const as the exact rational of its binary value). What cannot be
//! encoded exactly becomes a fresh variable per distinct text, and the
//! encoder remembers that the result is an over-approximation.

use rw_compiler::automata::expr_text;
use rw_compiler::sema::{ConstValue, DeclKind, Program, Scalar, Ty};
use rw_compiler::syntax::ast::{self, BinOp, Expr, ExprKind, UnOp};
use std::collections::HashMap;
use z3::ast::{Bool, Int, Real};

#[derive(Clone, Debug)]
pub enum Term {
    B(Bool),
    I(Int),
    R(Real),
}

impl Term {
    fn real(&self) -> Option<Real> {
        match self {
            Term::I(i) => Some(i.to_real()),
            Term::R(r) => Some(r.clone()),
            Term::B(_) => None,
        }
    }
}

/// A variable the encoding introduced, for witnesses.
#[derive(Clone, Debug)]
pub struct Var {
    pub name: String,
    pub term: Term,
}

pub struct Encoder<'p> {
    program: &'p Program,
    /// Variables by name, in order of creation.
    pub vars: Vec<Var>,
    by_name: HashMap<String, usize>,
    /// Range constraints of the variables created so far.
    pub constraints: Vec<Bool>,
    /// Some term was over-approximated since the last [`Encoder::take_exact`].
    inexact: bool,
    /// Parameters of the `fn` calls being inlined, innermost last.
    scope: Vec<(String, Term)>,
    /// Depth of `let`/`fn` inlining, bounded.
    depth: u32,
    /// Encode `m.distance` and `m.state` as integers over their tables'
    /// values. Sound for questions about single steps (shaping); machine
    /// guards leave them opaque, since which values go with which inputs
    /// depends on the history.
    pub exact_members: bool,
}

/// The exact rational value of an `f32`, as a Z3 real.
pub fn real_of_f32(v: f32) -> Real {
    if v == 0.0 || !v.is_finite() {
        return Real::from_rational(0, 1);
    }
    let bits = v.to_bits();
    let negative = bits >> 31 == 1;
    let exponent = ((bits >> 23) & 0xff) as i32;
    let mut mantissa = u64::from(bits & 0x7f_ffff);
    let mut power = if exponent == 0 { -149 } else { exponent - 150 };
    if exponent != 0 {
        mantissa |= 1 << 23;
    }
    while mantissa & 1 == 0 && power < 0 {
        mantissa >>= 1;
        power += 1;
    }
    let sign = if negative { "-" } else { "" };
    let (num, den) = if power >= 0 {
        (format!("{sign}{}", u128::from(mantissa) << power.min(100)), "1".to_string())
    } else {
        (format!("{sign}{mantissa}"), format!("{}", 1u128 << (-power).min(127)))
    };
    Real::from_rational_str(&num, &den).unwrap_or_else(|| Real::from_rational(0, 1))
}

impl<'p> Encoder<'p> {
    pub fn new(program: &'p Program) -> Encoder<'p> {
        Encoder {
            program,
            vars: Vec::new(),
            by_name: HashMap::new(),
            constraints: Vec::new(),
            inexact: false,
            scope: Vec::new(),
            depth: 0,
            exact_members: false,
        }
    }

    /// Whether everything encoded since the last call was exact; resets.
    pub fn take_exact(&mut self) -> bool {
        !std::mem::replace(&mut self.inexact, false)
    }

    fn var(&mut self, name: &str, ty: Ty, range: Option<&ast::RangeExpr>) -> Term {
        if let Some(&k) = self.by_name.get(name) {
            return self.vars[k].term.clone();
        }
        let term = match ty {
            Ty::Scalar(Scalar::Bool) => Term::B(Bool::new_const(name)),
            Ty::Scalar(Scalar::Int) => Term::I(Int::new_const(name)),
            _ => Term::R(Real::new_const(name)),
        };
        if let Some(r) = range {
            let bound = |b: &ast::RangeBound| -> Option<Real> {
                let v: f64 = match &b.value {
                    ast::BoundValue::Int(i) => *i as f64,
                    ast::BoundValue::Float(f) => *f,
                    ast::BoundValue::Const(c) => {
                        f64::from(self.program.consts.get(&self.program.lookup(&c.name)?)?.as_f32()?)
                    }
                };
                Some(real_of_f32((if b.negative { -v } else { v }) as f32))
            };
            if let (Some(lo), Some(hi), Some(x)) = (bound(&r.lo), bound(&r.hi), term.real()) {
                self.constraints.push(x.ge(&lo));
                self.constraints.push(if r.inclusive { x.le(&hi) } else { x.lt(&hi) });
            }
        }
        self.by_name.insert(name.to_string(), self.vars.len());
        self.vars.push(Var { name: name.to_string(), term: term.clone() });
        term
    }

    /// A fresh stand-in for a term the encoding does not model.
    fn opaque(&mut self, e: &Expr, ty: Ty) -> Term {
        self.inexact = true;
        let name = format!("⟨{}⟩", expr_text(e));
        self.var(&name, ty, None)
    }

    /// The values `m.distance` or `m.state` can take, from the automaton.
    fn member_values(&self, automaton: &str, member: &str) -> Option<Vec<i64>> {
        let p = self.program;
        let id = p.lookup(automaton)?;
        let a = match &p.decl(id).kind {
            DeclKind::Machine(m) => {
                let states = p.machine_states.get(&id).cloned().unwrap_or_default();
                rw_compiler::automata::Automaton::from_machine(p, m, &states).ok()?
            }
            DeclKind::Formula(f) => rw_compiler::automata::ltlf_automaton(p, f).ok()?,
            _ => return None,
        };
        let mut values: Vec<i64> = if member == "state" {
            (0..a.state_count() as i64).collect()
        } else {
            a.distances(&a.goal_states()).into_iter().map(i64::from).collect()
        };
        values.sort_unstable();
        values.dedup();
        Some(values)
    }

    /// A boolean term (a guard or a condition).
    pub fn boolean(&mut self, e: &Expr) -> Bool {
        match self.term(e) {
            Some(Term::B(b)) => b,
            _ => match self.opaque(e, Ty::BOOL) {
                Term::B(b) => b,
                _ => Bool::from_bool(true),
            },
        }
    }

    pub fn term(&mut self, e: &Expr) -> Option<Term> {
        let p = self.program;
        Some(match &e.kind {
            ExprKind::Bool(b) => Term::B(Bool::from_bool(*b)),
            ExprKind::Int(v) => Term::I(Int::from_i64(*v)),
            ExprKind::Float(v) => Term::R(real_of_f32(*v as f32)),
            ExprKind::Paren(inner) => self.term(inner)?,
            ExprKind::Name(n) => {
                if let Some((_, t)) = self.scope.iter().rev().find(|(x, _)| *x == n.name) {
                    return Some(t.clone());
                }
                let Some(id) = p.lookup(&n.name) else { return Some(self.opaque(e, Ty::INT)) };
                let decl = p.decl(id);
                let ty = p.types.get(&id).copied().unwrap_or(Ty::BOOL);
                match &decl.kind {
                    DeclKind::Prop => self.var(&n.name, Ty::BOOL, None),
                    DeclKind::Input(i) => self.var(&n.name, ty, i.range.as_ref()),
                    DeclKind::Param(param) => self.var(&n.name, ty, param.range.as_ref()),
                    DeclKind::Multiplier(_) => self.var(&n.name, Ty::F32, None),
                    // A let is its definition (recurrences go through `prev`, which is opaque).
                    DeclKind::Let(l) if self.depth < 64 => {
                        self.depth += 1;
                        let t = self.term(&l.value);
                        self.depth -= 1;
                        match t {
                            Some(t) => t,
                            None => self.opaque(e, ty),
                        }
                    }
                    DeclKind::Const(_) => match p.consts.get(&id)? {
                        ConstValue::Bool(b) => Term::B(Bool::from_bool(*b)),
                        ConstValue::Int(i) => Term::I(Int::from_i64(i64::from(*i))),
                        ConstValue::F32(f) => Term::R(real_of_f32(*f)),
                    },
                    _ => self.opaque(e, ty),
                }
            }
            ExprKind::Unary(UnOp::Not, a) => Term::B(self.boolean(a).not()),
            ExprKind::Unary(UnOp::Neg, a) => match self.term(a)? {
                Term::I(i) => Term::I(i.unary_minus()),
                Term::R(r) => Term::R(r.unary_minus()),
                Term::B(_) => return None,
            },
            ExprKind::Binary(op, a, b) if op.is_logical() => {
                let (x, y) = (self.boolean(a), self.boolean(b));
                Term::B(match op {
                    BinOp::And => Bool::and(&[x, y]),
                    BinOp::Or => Bool::or(&[x, y]),
                    BinOp::Implies => x.implies(&y),
                    _ => x.iff(&y),
                })
            }
            ExprKind::Binary(op, a, b) => {
                let (x, y) = (self.term(a)?, self.term(b)?);
                match (op, &x, &y) {
                    (BinOp::Eq, Term::B(p), Term::B(q)) => return Some(Term::B(p.iff(q))),
                    (BinOp::Ne, Term::B(p), Term::B(q)) => return Some(Term::B(p.xor(q))),
                    _ => {}
                }
                if let (Term::I(i), Term::I(j)) = (&x, &y) {
                    return Some(match op {
                        BinOp::Add => Term::I(Int::add(&[i.clone(), j.clone()])),
                        BinOp::Sub => Term::I(Int::sub(&[i.clone(), j.clone()])),
                        BinOp::Mul => Term::I(Int::mul(&[i.clone(), j.clone()])),
                        BinOp::Div => Term::R(i.to_real().div(j.to_real())),
                        BinOp::Lt => Term::B(i.lt(j)),
                        BinOp::Le => Term::B(i.le(j)),
                        BinOp::Gt => Term::B(i.gt(j)),
                        BinOp::Ge => Term::B(i.ge(j)),
                        BinOp::Eq => Term::B(i.eq(j)),
                        _ => Term::B(i.eq(j).not()),
                    });
                }
                let (x, y) = (x.real()?, y.real()?);
                match op {
                    BinOp::Add => Term::R(Real::add(&[x, y])),
                    BinOp::Sub => Term::R(Real::sub(&[x, y])),
                    BinOp::Mul => Term::R(Real::mul(&[x, y])),
                    BinOp::Div => Term::R(x.div(y)),
                    BinOp::Lt => Term::B(x.lt(&y)),
                    BinOp::Le => Term::B(x.le(&y)),
                    BinOp::Gt => Term::B(x.gt(&y)),
                    BinOp::Ge => Term::B(x.ge(&y)),
                    BinOp::Eq => Term::B(x.eq(&y)),
                    _ => Term::B(x.eq(&y).not()),
                }
            }
            ExprKind::Cond(c, a, b) => {
                let c = self.boolean(c);
                match (self.term(a)?, self.term(b)?) {
                    (Term::B(x), Term::B(y)) => Term::B(c.ite(&x, &y)),
                    (Term::I(x), Term::I(y)) => Term::I(c.ite(&x, &y)),
                    (x, y) => Term::R(c.ite(&x.real()?, &y.real()?)),
                }
            }
            ExprKind::Call(f, args)
                if self.depth < 64
                    && p.lookup(&f.name).is_some_and(|id| matches!(p.decl(id).kind, DeclKind::Fn(_))) =>
            {
                let Some(DeclKind::Fn(decl)) = p.lookup(&f.name).map(|id| &p.decl(id).kind) else { return None };
                let mut bound = Vec::new();
                for ((name, _), arg) in decl.params.iter().zip(args) {
                    bound.push((name.name.clone(), self.term(arg)?));
                }
                let saved = std::mem::replace(&mut self.scope, bound);
                self.depth += 1;
                let t = self.term(&decl.body);
                self.depth -= 1;
                self.scope = saved;
                t?
            }
            ExprKind::Call(f, args) => match (f.name.as_str(), args.as_slice()) {
                ("abs", [x]) => match self.term(x)? {
                    Term::I(i) => Term::I(i.ge(Int::from_i64(0)).ite(&i, &i.unary_minus())),
                    Term::R(r) => Term::R(r.ge(real_of_f32(0.0)).ite(&r, &r.unary_minus())),
                    Term::B(_) => return None,
                },
                ("min" | "max", [x, y]) => {
                    let (x, y) = (self.term(x)?, self.term(y)?);
                    let pick_x = |a: &Real, b: &Real| if f.name == "min" { a.le(b) } else { a.ge(b) };
                    match (&x, &y) {
                        (Term::I(a), Term::I(b)) => {
                            let c = if f.name == "min" { a.le(b) } else { a.ge(b) };
                            Term::I(c.ite(a, b))
                        }
                        _ => {
                            let (a, b) = (x.real()?, y.real()?);
                            Term::R(pick_x(&a, &b).ite(&a, &b))
                        }
                    }
                }
                ("step", [c, v]) => {
                    let c = self.boolean(c);
                    match self.term(v)? {
                        Term::I(i) => Term::I(c.ite(&i, &Int::from_i64(0))),
                        t => Term::R(c.ite(&t.real()?, &real_of_f32(0.0))),
                    }
                }
                _ => {
                    let ty =
                        if matches!(f.name.as_str(), "count" | "rank" | "div" | "rem") { Ty::INT } else { Ty::F32 };
                    self.opaque(e, ty)
                }
            },
            // An automaton's state or distance: an integer that takes the
            // values of its table, nothing else.
            ExprKind::Member(base, m, None)
                if self.exact_members && matches!(m.name.as_str(), "distance" | "state") =>
            {
                let ExprKind::Name(n) = &base.strip_parens().kind else { return Some(self.opaque(e, Ty::INT)) };
                let Some(values) = self.member_values(&n.name, &m.name) else { return Some(self.opaque(e, Ty::INT)) };
                let name = format!("{}.{}", n.name, m.name);
                if let Some(&k) = self.by_name.get(&name) {
                    return Some(self.vars[k].term.clone());
                }
                let var = Int::new_const(name.as_str());
                let options: Vec<Bool> = values.iter().map(|v| var.eq(Int::from_i64(*v))).collect();
                self.constraints.push(Bool::or(&options));
                self.by_name.insert(name.clone(), self.vars.len());
                self.vars.push(Var { name, term: Term::I(var.clone()) });
                Term::I(var)
            }
            ExprKind::Member(..) | ExprKind::Index(..) | ExprKind::Gated(..) => {
                let ty = match &e.kind {
                    ExprKind::Member(_, m, _)
                        if matches!(m.name.as_str(), "sat" | "violated" | "terminal" | "in" | "all") =>
                    {
                        Ty::BOOL
                    }
                    _ => Ty::F32,
                };
                self.opaque(e, ty)
            }
        })
    }
}

//! rw expressions as SMT terms over props, inputs and params, with the
//! runtime's arithmetic.
//!
//! Props and bool inputs are booleans. `int` values are 32-bit bit-vectors,
//! so `+ - *` wrap exactly as the runtime's `i32::wrapping_*` do, and `div`
//! and `rem` are SMT-LIB's signed division and remainder (truncating, the
//! dividend's sign, `i32::MIN / -1` wrapping) guarded by the language's
//! "division by zero gives 0". `f32` values are IEEE-754 binary32 floats with
//! round-to-nearest-even: rounding, signed zeros, NaN and the infinities are
//! modelled, and an `int` meeting an `f32` is converted with the runtime's
//! rounding (`i as f32`). `min`/`max` follow the runtime's NaN-propagating
//! definitions, `sqrt` is IEEE's correctly rounded square root.
//!
//! Declared ranges become constraints (on the value after conversion to
//! `f32`, as the trace reader checks them). Consts are their values. What
//! cannot be encoded exactly (transcendental functions, history, automaton
//! members, group terms) becomes a fresh variable per distinct text, an
//! over-approximation, and the encoder remembers that the result is inexact.

use rw_compiler::sema::{ConstValue, DeclKind, Program, Scalar, Ty};
use rw_compiler::syntax::ast::expr_text;
use rw_compiler::syntax::ast::{self, BinOp, Expr, ExprKind, UnOp};
use std::collections::HashMap;
use z3::Sort;
use z3::ast::{Ast, BV, Bool, Float, Real, RoundingMode};

#[derive(Clone, Debug)]
pub enum Term {
    B(Bool),
    /// An `int`: a 32-bit two's-complement bit-vector.
    I(BV),
    /// An `f32`: an IEEE-754 binary32 float.
    F(Float),
}

/// Round to nearest, ties to even: the rounding of every `f32` operation.
pub fn rne() -> RoundingMode {
    RoundingMode::round_nearest_ties_to_even()
}

/// An `i32` constant.
pub fn int_const(v: i64) -> BV {
    BV::from_i64(i64::from(v as i32), 32)
}

/// An `f32` constant, bit for bit.
pub fn f32_const(v: f32) -> Float {
    Float::from_f32(v)
}

/// `i as f32` in Rust: signed conversion with round-to-nearest-even.
pub fn f32_of_int(i: &BV) -> Float {
    let ctx = i.get_ctx();
    let sort = Sort::float32();
    let rm = rne();
    // SAFETY: every pointer comes from a live AST or sort of the same
    // (thread-local) context; Z3 returns a new AST that `wrap` takes a
    // reference on. The crate offers no safe constructor for this operation.
    unsafe {
        let raw =
            z3_sys::Z3_mk_fpa_to_fp_signed(ctx.get_z3_context(), rm.get_z3_ast(), i.get_z3_ast(), sort.get_z3_sort());
        match raw {
            Some(ast) => Float::wrap(ctx, ast),
            None => Float::fresh_const_float32("int_as_f32"),
        }
    }
}

impl Term {
    /// The value as an `f32`, converting an `int` as the runtime does.
    pub fn float(&self) -> Option<Float> {
        match self {
            Term::I(i) => Some(f32_of_int(i)),
            Term::F(f) => Some(f.clone()),
            Term::B(_) => None,
        }
    }
}

/// The runtime's `min_f32`/`max_f32`: NaN if either is NaN, else the
/// smaller (larger), the first on ties.
pub fn float_min_max(x: &Float, y: &Float, min: bool) -> Float {
    let nan = Bool::or(&[x.is_nan(), y.is_nan()]);
    let take_y = if min { y.lt(x) } else { y.gt(x) };
    nan.ite(&Float::nan32(), &take_y.ite(y, x))
}

/// A variable the encoding introduced, for witnesses.
#[derive(Clone, Debug)]
pub struct Var {
    pub name: String,
    pub term: Term,
    /// A few values the variable can take: its range's ends and 0 (both
    /// values of a bool). Empty without a range.
    pub samples: Vec<Term>,
}

impl Var {
    /// The variable's value in a model, as the user would write it.
    pub fn show(&self, model: &z3::Model) -> Option<String> {
        match &self.term {
            Term::B(b) => model.eval(b, true).and_then(|v| v.as_bool()).map(|v| v.to_string()),
            Term::I(i) => model_int(model, i).map(|v| v.to_string()),
            Term::F(f) => model_f32(model, f).map(show_f32),
        }
    }
}

/// An `int` term's value in a model.
pub fn model_int(model: &z3::Model, i: &BV) -> Option<i32> {
    model.eval(i, true).and_then(|v| v.as_u64()).map(|v| v as u32 as i32)
}

/// An `f32` term's value in a model, bit for bit.
pub fn model_f32(model: &z3::Model, f: &Float) -> Option<f32> {
    let nan = model.eval(&f.is_nan(), true).and_then(|b| b.as_bool())?;
    if nan {
        return Some(f32::NAN);
    }
    model.eval(&f.to_ieee_bv(), true).and_then(|v| v.as_u64()).map(|bits| f32::from_bits(bits as u32))
}

/// An `f32` as rw and Python read it back: the shortest round-trip
/// decimal, `NaN`, `inf`, `-inf`.
pub fn show_f32(v: f32) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "inf".into() } else { "-inf".into() }
    } else {
        format!("{v:?}")
    }
}

/// The exact rational value of a finite `f32`, as a Z3 real (used where a
/// question is asked in exact arithmetic, such as shaping).
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

/// A declared range's ends as `f64`s (consts resolved), inclusive flag.
pub fn range_ends(program: &Program, r: &ast::RangeExpr) -> Option<(f64, f64, bool)> {
    let bound = |b: &ast::RangeBound| -> Option<f64> {
        let v: f64 = match &b.value {
            ast::BoundValue::Int(i) => *i as f64,
            ast::BoundValue::Float(f) => *f,
            ast::BoundValue::Const(c) => match program.consts.get(&program.lookup(&c.name)?)? {
                ConstValue::Int(i) => f64::from(*i),
                ConstValue::F32(f) => f64::from(*f),
                ConstValue::Bool(_) => return None,
            },
        };
        Some(if b.negative { -v } else { v })
    };
    Some((bound(&r.lo)?, bound(&r.hi)?, r.inclusive))
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
    /// The first term that was, as written.
    pub first_opaque: Option<String>,
    /// Parameters of the `fn` calls being inlined, innermost last.
    scope: Vec<(String, Term)>,
    /// Depth of `let`/`fn` inlining, bounded.
    depth: u32,
    /// Terms of the lets encoded so far: a let is encoded once however
    /// often it is read (lets do not depend on `fn` parameters).
    lets: HashMap<String, Option<Term>>,
    /// Encode `m.distance` and `m.state` as integers over their tables'
    /// values. Sound for questions about single steps (shaping); machine
    /// guards leave them opaque, since which values go with which inputs
    /// depends on the history.
    pub exact_members: bool,
}

impl<'p> Encoder<'p> {
    pub fn new(program: &'p Program) -> Encoder<'p> {
        Encoder {
            program,
            vars: Vec::new(),
            by_name: HashMap::new(),
            constraints: Vec::new(),
            inexact: false,
            first_opaque: None,
            scope: Vec::new(),
            depth: 0,
            lets: HashMap::new(),
            exact_members: false,
        }
    }

    pub fn program(&self) -> &'p Program {
        self.program
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
            Ty::Scalar(Scalar::Int) => Term::I(BV::new_const(name, 32)),
            _ => Term::F(Float::new_const_float32(name)),
        };
        if let Some((lo, hi, inclusive)) = range.and_then(|r| range_ends(self.program, r)) {
            match &term {
                Term::I(x) => {
                    // The integers in the range, clamped to i32.
                    let lo = lo.ceil().clamp(f64::from(i32::MIN), f64::from(i32::MAX)) as i64;
                    let hi = if inclusive { hi.floor() } else { hi.ceil() - 1.0 };
                    let hi = hi.clamp(f64::from(i32::MIN) - 1.0, f64::from(i32::MAX)) as i64;
                    if hi < lo || hi < i64::from(i32::MIN) {
                        self.constraints.push(Bool::from_bool(false));
                    } else {
                        self.constraints.push(x.bvsge(int_const(lo)));
                        self.constraints.push(x.bvsle(int_const(hi)));
                    }
                }
                Term::F(x) => {
                    let (lo, hi) = (f32_const(lo as f32), f32_const(hi as f32));
                    self.constraints.push(x.ge(&lo));
                    self.constraints.push(if inclusive { x.le(&hi) } else { x.lt(&hi) });
                }
                Term::B(_) => {}
            }
        }
        let samples = match (&term, range.and_then(|r| range_ends(self.program, r))) {
            (Term::B(_), _) => vec![Term::B(Bool::from_bool(false)), Term::B(Bool::from_bool(true))],
            (Term::I(_), Some((lo, hi, inclusive))) => {
                let hi = if inclusive { hi.floor() } else { hi.ceil() - 1.0 };
                let lo = lo.ceil();
                let mut v = vec![lo, hi];
                if lo < 0.0 && hi > 0.0 {
                    v.push(0.0);
                }
                v.into_iter()
                    .filter(|x| lo <= hi && (f64::from(i32::MIN)..=f64::from(i32::MAX)).contains(x))
                    .map(|x| Term::I(int_const(x as i64)))
                    .collect()
            }
            (Term::F(_), Some((lo, hi, inclusive))) => {
                let (lo, hi) = (lo as f32, if inclusive { hi as f32 } else { (hi as f32).next_down() });
                let mut v = vec![lo, hi];
                if lo < 0.0 && hi > 0.0 {
                    v.push(0.0);
                }
                v.into_iter().filter(|_| lo <= hi).map(|x| Term::F(f32_const(x))).collect()
            }
            _ => Vec::new(),
        };
        self.by_name.insert(name.to_string(), self.vars.len());
        self.vars.push(Var { name: name.to_string(), term: term.clone(), samples });
        term
    }

    /// The term's value with every variable replaced by one of its samples,
    /// for up to `limit` combinations (the corners of the ranges first);
    /// `None` when some variable has no samples.
    pub fn sample_values(&self, term: &Term, limit: usize) -> Option<Vec<Term>> {
        if self.vars.iter().any(|v| v.samples.is_empty()) {
            return None;
        }
        let mut out = Vec::new();
        let mut index = vec![0usize; self.vars.len()];
        loop {
            let mut t = term.clone();
            for (var, &k) in self.vars.iter().zip(&index) {
                t = match (t, &var.term, &var.samples[k]) {
                    (Term::B(x), Term::B(v), Term::B(c)) => Term::B(x.substitute(&[(v, c)])),
                    (Term::B(x), Term::I(v), Term::I(c)) => Term::B(x.substitute(&[(v, c)])),
                    (Term::B(x), Term::F(v), Term::F(c)) => Term::B(x.substitute(&[(v, c)])),
                    (Term::I(x), Term::B(v), Term::B(c)) => Term::I(x.substitute(&[(v, c)])),
                    (Term::I(x), Term::I(v), Term::I(c)) => Term::I(x.substitute(&[(v, c)])),
                    (Term::I(x), Term::F(v), Term::F(c)) => Term::I(x.substitute(&[(v, c)])),
                    (Term::F(x), Term::B(v), Term::B(c)) => Term::F(x.substitute(&[(v, c)])),
                    (Term::F(x), Term::I(v), Term::I(c)) => Term::F(x.substitute(&[(v, c)])),
                    (Term::F(x), Term::F(v), Term::F(c)) => Term::F(x.substitute(&[(v, c)])),
                    (t, _, _) => t,
                };
            }
            out.push(match t {
                Term::B(x) => Term::B(x.simplify()),
                Term::I(x) => Term::I(x.simplify()),
                Term::F(x) => Term::F(x.simplify()),
            });
            if out.len() >= limit {
                return Some(out);
            }
            // The next combination, odometer order.
            let mut k = 0;
            loop {
                if k == index.len() {
                    return Some(out);
                }
                index[k] += 1;
                if index[k] < self.vars[k].samples.len() {
                    break;
                }
                index[k] = 0;
                k += 1;
            }
        }
    }

    fn is_criteria_input(&self, base: &Expr) -> bool {
        let ExprKind::Name(n) = &base.strip_parens().kind else { return false };
        let Some(id) = self.program.lookup(&n.name) else { return false };
        matches!(self.program.decl(id).kind, DeclKind::Input(_)) && self.program.types.get(&id) == Some(&Ty::Criteria)
    }

    /// A fresh stand-in for a term the encoding does not model.
    fn opaque(&mut self, e: &Expr, ty: Ty) -> Term {
        self.inexact = true;
        if self.first_opaque.is_none() {
            self.first_opaque = Some(expr_text(e));
        }
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
            DeclKind::Formula(f) => rw_compiler::automata::formula_automaton(p, f).ok()?,
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

    /// Binds a `fn` parameter or result to its declared type, converting an
    /// `int` to `f32` as lowering does.
    fn as_declared(t: Term, ty: &ast::TypeExpr) -> Option<Term> {
        Some(match t {
            Term::I(i) if ty.name.name == "f32" && ty.len.is_none() => Term::F(f32_of_int(&i)),
            t => t,
        })
    }

    pub fn term(&mut self, e: &Expr) -> Option<Term> {
        let p = self.program;
        Some(match &e.kind {
            ExprKind::Bool(b) => Term::B(Bool::from_bool(*b)),
            ExprKind::Int(v) => Term::I(int_const(*v)),
            ExprKind::Float(v) => Term::F(f32_const(*v as f32)),
            ExprKind::Paren(inner) => self.term(inner)?,
            ExprKind::Name(n) => {
                if let Some((_, t)) = self.scope.iter().rev().find(|(x, _)| *x == n.name) {
                    return Some(t.clone());
                }
                // The step index: any int from 0 to i32::MAX (the runtime
                // saturates there), whatever the inputs.
                if n.name == "steps" && p.lookup(&n.name).is_none() {
                    if let Some(&k) = self.by_name.get("steps") {
                        return Some(self.vars[k].term.clone());
                    }
                    let var = BV::new_const("steps", 32);
                    self.constraints.push(var.bvsge(int_const(0)));
                    let samples = vec![Term::I(int_const(0)), Term::I(int_const(i64::from(i32::MAX)))];
                    self.by_name.insert("steps".into(), self.vars.len());
                    self.vars.push(Var { name: "steps".into(), term: Term::I(var.clone()), samples });
                    return Some(Term::I(var));
                }
                let Some(id) = p.lookup(&n.name) else { return Some(self.opaque(e, Ty::INT)) };
                let decl = p.decl(id);
                let ty = p.types.get(&id).copied().unwrap_or(Ty::BOOL);
                match &decl.kind {
                    DeclKind::Prop => self.var(&n.name, Ty::BOOL, None),
                    DeclKind::Input(i) if matches!(ty, Ty::Scalar(_)) => self.var(&n.name, ty, i.range.as_ref()),
                    DeclKind::Param(param) => self.var(&n.name, ty, param.range.as_ref()),
                    // A multiplier is whatever the trainer or the update set.
                    DeclKind::Multiplier(_) => self.var(&n.name, Ty::F32, None),
                    // A let is its definition (recurrences go through `prev`, which is opaque).
                    DeclKind::Let(l) if self.depth < 64 => {
                        let t = match self.lets.get(&n.name) {
                            Some(t) => t.clone(),
                            None => {
                                // Encoded outside any `fn` scope: a let cannot read parameters.
                                let saved = std::mem::take(&mut self.scope);
                                self.depth += 1;
                                let t = self.term(&l.value);
                                self.depth -= 1;
                                self.scope = saved;
                                self.lets.insert(n.name.clone(), t.clone());
                                t
                            }
                        };
                        match t {
                            Some(t) => t,
                            None => self.opaque(e, ty),
                        }
                    }
                    DeclKind::Const(_) => match p.consts.get(&id)? {
                        ConstValue::Bool(b) => Term::B(Bool::from_bool(*b)),
                        ConstValue::Int(i) => Term::I(int_const(i64::from(*i))),
                        ConstValue::F32(f) => Term::F(f32_const(*f)),
                    },
                    _ => self.opaque(e, ty),
                }
            }
            ExprKind::Unary(UnOp::Not, a) => Term::B(self.boolean(a).not()),
            ExprKind::Unary(UnOp::Neg, a) => match self.term(a)? {
                Term::I(i) => Term::I(i.bvneg()),
                Term::F(f) => Term::F(f.unary_neg()),
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
                if let (Term::I(i), Term::I(j)) = (&x, &y)
                    && *op != BinOp::Div
                {
                    return Some(match op {
                        BinOp::Add => Term::I(i.bvadd(j)),
                        BinOp::Sub => Term::I(i.bvsub(j)),
                        BinOp::Mul => Term::I(i.bvmul(j)),
                        BinOp::Lt => Term::B(i.bvslt(j)),
                        BinOp::Le => Term::B(i.bvsle(j)),
                        BinOp::Gt => Term::B(i.bvsgt(j)),
                        BinOp::Ge => Term::B(i.bvsge(j)),
                        BinOp::Eq => Term::B(i.eq(j)),
                        _ => Term::B(i.eq(j).not()),
                    });
                }
                let (x, y) = (x.float()?, y.float()?);
                let rm = rne();
                match op {
                    BinOp::Add => Term::F(x.add_with_rounding_mode(&y, &rm)),
                    BinOp::Sub => Term::F(x.sub_with_rounding_mode(&y, &rm)),
                    BinOp::Mul => Term::F(x.mul_with_rounding_mode(&y, &rm)),
                    BinOp::Div => Term::F(x.div_with_rounding_mode(&y, &rm)),
                    BinOp::Lt => Term::B(x.lt(&y)),
                    BinOp::Le => Term::B(x.le(&y)),
                    BinOp::Gt => Term::B(x.gt(&y)),
                    BinOp::Ge => Term::B(x.ge(&y)),
                    BinOp::Eq => Term::B(x.eq_fpa(&y)),
                    _ => Term::B(x.eq_fpa(&y).not()),
                }
            }
            ExprKind::Cond(c, a, b) => {
                let c = self.boolean(c);
                match (self.term(a)?, self.term(b)?) {
                    (Term::B(x), Term::B(y)) => Term::B(c.ite(&x, &y)),
                    (Term::I(x), Term::I(y)) => Term::I(c.ite(&x, &y)),
                    (x, y) => Term::F(c.ite(&x.float()?, &y.float()?)),
                }
            }
            ExprKind::Call(f, args)
                if self.depth < 64
                    && p.lookup(&f.name).is_some_and(|id| matches!(p.decl(id).kind, DeclKind::Fn(_))) =>
            {
                let Some(DeclKind::Fn(decl)) = p.lookup(&f.name).map(|id| &p.decl(id).kind) else { return None };
                let mut bound = Vec::new();
                for ((name, ty), arg) in decl.params.iter().zip(args) {
                    bound.push((name.name.clone(), Self::as_declared(self.term(arg)?, ty)?));
                }
                let saved = std::mem::replace(&mut self.scope, bound);
                self.depth += 1;
                let t = self.term(&decl.body);
                self.depth -= 1;
                self.scope = saved;
                Self::as_declared(t?, &decl.ret)?
            }
            ExprKind::Call(f, args) => self.builtin(e, &f.name, args)?,
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
                let var = BV::new_const(name.as_str(), 32);
                let options: Vec<Bool> = values.iter().map(|v| var.eq(int_const(*v))).collect();
                self.constraints.push(Bool::or(&options));
                self.by_name.insert(name.clone(), self.vars.len());
                self.vars.push(Var { name, term: Term::I(var.clone()), samples: Vec::new() });
                Term::I(var)
            }
            // A judge's checklist score: the runtime validates weights
            // (finite, >= 0) and verdicts (in [0, 1]) and divides in f64,
            // so the score is an f32 in [0, 1], and every such f32 is the
            // score of some checklist (one item of weight 1).
            ExprKind::Member(base, m, None) if m.name == "score" && self.is_criteria_input(base) => {
                let name = format!("{}.score", expr_text(base));
                if let Some(&k) = self.by_name.get(&name) {
                    return Some(self.vars[k].term.clone());
                }
                let var = Float::new_const_float32(name.as_str());
                self.constraints.push(var.ge(f32_const(0.0)));
                self.constraints.push(var.le(f32_const(1.0)));
                let samples = vec![Term::F(f32_const(0.0)), Term::F(f32_const(1.0))];
                self.by_name.insert(name.clone(), self.vars.len());
                self.vars.push(Var { name, term: Term::F(var.clone()), samples });
                Term::F(var)
            }
            ExprKind::Member(_, m, _) => {
                let ty = match m.name.as_str() {
                    "sat" | "violated" | "terminal" | "in" | "all" => Ty::BOOL,
                    "state" | "distance" | "failed" => Ty::INT,
                    _ => Ty::F32,
                };
                self.opaque(e, ty)
            }
            ExprKind::Index(..) | ExprKind::Gated(..) => {
                let ty = self.program_type(e);
                self.opaque(e, ty)
            }
        })
    }

    /// The scalar type of an indexed vector element or a gated body, as far
    /// as it matters for a stand-in.
    fn program_type(&self, e: &Expr) -> Ty {
        let base = match &e.kind {
            ExprKind::Index(base, _) => base,
            ExprKind::Gated(_, body) => body,
            _ => return Ty::F32,
        };
        if let ExprKind::Name(n) = &base.strip_parens().kind
            && let Some(ty) = self.program.lookup(&n.name).and_then(|id| self.program.types.get(&id))
        {
            return match ty {
                Ty::Vector(s, _) | Ty::Scalar(s) => Ty::Scalar(*s),
                _ => Ty::F32,
            };
        }
        Ty::F32
    }

    fn builtin(&mut self, e: &Expr, name: &str, args: &[Expr]) -> Option<Term> {
        let zero_like = |t: &Term| match t {
            Term::I(_) => Term::I(int_const(0)),
            _ => Term::F(f32_const(0.0)),
        };
        Some(match (name, args) {
            ("abs", [x]) => match self.term(x)? {
                // `i32::wrapping_abs`: MIN stays MIN, as `bvneg` gives.
                Term::I(i) => Term::I(i.bvslt(int_const(0)).ite(&i.bvneg(), &i)),
                Term::F(f) => Term::F(f.unary_abs()),
                Term::B(_) => return None,
            },
            ("min" | "max", [_, _, ..]) if args.iter().all(|a| !self.is_vector(a)) => {
                let mut terms = Vec::new();
                for a in args {
                    terms.push(self.term(a)?);
                }
                Self::fold_min_max(terms, name == "min")?
            }
            ("clamp", [x, lo, hi]) => {
                let (x, lo, hi) = (self.term(x)?, self.term(lo)?, self.term(hi)?);
                let lower = Self::fold_min_max(vec![x, lo], false)?;
                Self::fold_min_max(vec![lower, hi], true)?
            }
            ("sqrt", [x]) => Term::F(self.term(x)?.float()?.sqrt_with_rounding_mode(&rne())),
            ("step", [c, v]) => {
                let c = self.boolean(c);
                let v = self.term(v)?;
                match (&v, zero_like(&v)) {
                    (Term::I(i), Term::I(z)) => Term::I(c.ite(i, &z)),
                    (t, z) => Term::F(c.ite(&t.float()?, &z.float()?)),
                }
            }
            ("div" | "rem", [x, y]) => match (self.term(x)?, self.term(y)?) {
                (Term::I(a), Term::I(b)) => {
                    let q = if name == "div" { a.bvsdiv(&b) } else { a.bvsrem(&b) };
                    Term::I(b.eq(int_const(0)).ite(&int_const(0), &q))
                }
                _ => self.opaque(e, Ty::INT),
            },
            _ => {
                let ty = match name {
                    "count" | "rank" | "div" | "rem" | "batch_rank" | "batch_group_rank" => Ty::INT,
                    "batch_group_top" => Ty::BOOL,
                    "prev" | "total" | "sum" | "min" | "max" | "group_max" | "group_min" => {
                        match args.first().map(|a| self.program_type_of(a)) {
                            Some(Ty::Scalar(Scalar::Int)) => Ty::INT,
                            Some(Ty::Scalar(Scalar::Bool)) if name == "prev" => Ty::BOOL,
                            _ => Ty::F32,
                        }
                    }
                    _ => Ty::F32,
                };
                self.opaque(e, ty)
            }
        })
    }

    /// `min`/`max` folded left, in `int` when every operand is an `int`,
    /// otherwise in `f32` (as lowering folds them).
    fn fold_min_max(terms: Vec<Term>, min: bool) -> Option<Term> {
        if terms.iter().all(|t| matches!(t, Term::I(_))) {
            let mut it = terms.into_iter().filter_map(|t| if let Term::I(i) = t { Some(i) } else { None });
            let mut acc = it.next()?;
            for y in it {
                // `i32::min`/`max`: the first on ties (equal values anyway).
                let take_y = if min { y.bvslt(&acc) } else { y.bvsgt(&acc) };
                acc = take_y.ite(&y, &acc);
            }
            return Some(Term::I(acc));
        }
        let mut it = terms.iter();
        let mut acc = it.next()?.float()?;
        for y in it {
            acc = float_min_max(&acc, &y.float()?, min);
        }
        Some(Term::F(acc))
    }

    fn is_vector(&self, e: &Expr) -> bool {
        matches!(self.program_type_of(e), Ty::Vector(..))
    }

    /// The declared type of a name (the scalar `f32` for anything else).
    fn program_type_of(&self, e: &Expr) -> Ty {
        if let ExprKind::Name(n) = &e.strip_parens().kind {
            if self.scope.iter().any(|(x, _)| *x == n.name) {
                return match self.scope.iter().rev().find(|(x, _)| *x == n.name).map(|(_, t)| t) {
                    Some(Term::I(_)) => Ty::INT,
                    Some(Term::B(_)) => Ty::BOOL,
                    _ => Ty::F32,
                };
            }
            if let Some(ty) = self.program.lookup(&n.name).and_then(|id| self.program.types.get(&id)) {
                return *ty;
            }
        }
        match &e.strip_parens().kind {
            ExprKind::Int(_) => Ty::INT,
            ExprKind::Bool(_) => Ty::BOOL,
            _ => Ty::F32,
        }
    }
}

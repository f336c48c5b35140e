//! What each output can be: verified bounds and its place in the
//! expressivity hierarchy (`rwc check --explain`).
//!
//! Bounds come from interval propagation over the declared ranges, which is
//! sound for every construct (automaton members from their tables, history
//! terms unbounded over an unbounded episode, ...) and records why an end is
//! infinite. When an output is Markov and its encoding exact, Z3's optimiser
//! then computes the exact minimum and maximum over the ranges, so the
//! interval is tight (`x - x` is 0, not `[-2r, 2r]`).
//!
//! The class is the most general of markov < finite-state < ltlf <
//! episode-gated < batch-dependent that the output's definition uses.

use crate::Options;
use crate::encode::{Encoder, Term};
use rw_compiler::diagnostic::{Diagnostic, code};
use rw_compiler::sema::const_number;
use rw_compiler::sema::{ConstValue, DeclId, DeclKind, Output, Program, Ty};
use rw_compiler::syntax::ast::{self, BinOp, Expr, ExprKind, ShapeKind, UnOp};
use std::collections::{BTreeSet, HashMap};
use z3::SatResult;
use z3::ast::Ast;

/// The values an expression can take at run time: a closed interval of
/// `f32` (or `i32`) values, infinite ends allowed, and whether it can be NaN.
///
/// Every operation mirrors the runtime's arithmetic: `f32` ends are computed
/// with the runtime's own `f32` operations, which are monotone, so the ends
/// of the result are exactly the runtime's results at the ends of the
/// operands; `int` results that leave `i32` wrap, so they cover all of
/// `i32`; library functions whose rounding is not specified are widened by
/// a few ulps.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Interval {
    pub lo: f64,
    pub hi: f64,
    /// The value may be NaN.
    pub nan: bool,
    /// The value is an `int` (or a bool, as 0 and 1).
    pub int: bool,
}

const I32_MIN: f64 = i32::MIN as f64;
const I32_MAX: f64 = i32::MAX as f64;

fn f32_ulps(v: f32, up: bool, count: u32) -> f32 {
    let mut v = v;
    for _ in 0..count {
        if v.is_nan() || (up && v == f32::INFINITY) || (!up && v == f32::NEG_INFINITY) {
            break;
        }
        v = if up { v.next_up() } else { v.next_down() };
    }
    v
}

impl Interval {
    fn float(lo: f32, hi: f32, nan: bool) -> Interval {
        if lo.is_nan() || hi.is_nan() {
            return Interval::all();
        }
        Interval { lo: f64::from(lo), hi: f64::from(hi), nan, int: false }
    }
    fn point(v: f64) -> Interval {
        Interval { lo: v, hi: v, nan: false, int: false }
    }
    fn int_point(v: i64) -> Interval {
        Interval::int(v as f64, v as f64)
    }
    /// An `int` result: all of `i32` when it may have wrapped.
    fn int(lo: f64, hi: f64) -> Interval {
        if lo < I32_MIN || hi > I32_MAX || lo.is_nan() || hi.is_nan() {
            Interval { lo: I32_MIN, hi: I32_MAX, nan: false, int: true }
        } else {
            Interval { lo, hi, nan: false, int: true }
        }
    }
    fn boolean() -> Interval {
        Interval::int(0.0, 1.0)
    }
    fn all() -> Interval {
        Interval { lo: f64::NEG_INFINITY, hi: f64::INFINITY, nan: true, int: false }
    }
    fn all_int() -> Interval {
        Interval::int(I32_MIN, I32_MAX)
    }
    /// As an `f32`: an `int` converted with the runtime's `as f32`
    /// (monotone rounding, so the ends convert).
    fn to_f32(self) -> Interval {
        if !self.int {
            return self;
        }
        Interval { lo: f64::from(self.lo as f32), hi: f64::from(self.hi as f32), nan: false, int: false }
    }
    fn lo32(self) -> f32 {
        self.lo as f32
    }
    fn hi32(self) -> f32 {
        self.hi as f32
    }
    fn hull(self, o: Interval) -> Interval {
        let (a, b) = if self.int == o.int { (self, o) } else { (self.to_f32(), o.to_f32()) };
        Interval { lo: a.lo.min(b.lo), hi: a.hi.max(b.hi), nan: a.nan || b.nan, int: a.int }
    }
    fn is_zero(self) -> bool {
        self.lo == 0.0 && self.hi == 0.0 && !self.nan
    }
    fn contains_zero(self) -> bool {
        self.lo <= 0.0 && self.hi >= 0.0
    }
    fn infinite(self) -> bool {
        self.lo.is_infinite() || self.hi.is_infinite()
    }
    /// `+` (`int` wrapping, or `f32` with the runtime's rounding).
    fn add(self, o: Interval) -> Interval {
        if self.int && o.int {
            return Interval::int(self.lo + o.lo, self.hi + o.hi);
        }
        let (a, b) = (self.to_f32(), o.to_f32());
        let nan = a.nan
            || b.nan
            || (a.hi == f64::INFINITY && b.lo == f64::NEG_INFINITY)
            || (a.lo == f64::NEG_INFINITY && b.hi == f64::INFINITY);
        let lo = a.lo32() + b.lo32();
        let hi = a.hi32() + b.hi32();
        // inf + -inf at an end: that end's finite neighbours reach infinity.
        let lo = if lo.is_nan() { f32::NEG_INFINITY } else { lo };
        let hi = if hi.is_nan() { f32::INFINITY } else { hi };
        Interval::float(lo, hi, nan)
    }
    fn neg(self) -> Interval {
        if self.int {
            // -i32::MIN wraps to itself.
            return if self.lo <= I32_MIN { Interval::all_int() } else { Interval::int(-self.hi, -self.lo) };
        }
        Interval { lo: -self.hi, hi: -self.lo, ..self }
    }
    fn sub(self, o: Interval) -> Interval {
        if self.int && o.int {
            return Interval::int(self.lo - o.hi, self.hi - o.lo);
        }
        self.add(o.to_f32().neg())
    }
    fn mul(self, o: Interval) -> Interval {
        if self.int && o.int {
            let c = [self.lo * o.lo, self.lo * o.hi, self.hi * o.lo, self.hi * o.hi];
            return Interval::int(
                c.iter().copied().fold(f64::INFINITY, f64::min),
                c.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            );
        }
        let (a, b) = (self.to_f32(), o.to_f32());
        let nan = a.nan || b.nan || (a.contains_zero() && b.infinite()) || (b.contains_zero() && a.infinite());
        // 0 * inf is NaN (flagged above); the other values near it are 0.
        let m = |x: f32, y: f32| if x == 0.0 || y == 0.0 { 0.0 } else { x * y };
        let c = [m(a.lo32(), b.lo32()), m(a.lo32(), b.hi32()), m(a.hi32(), b.lo32()), m(a.hi32(), b.hi32())];
        Interval::float(
            c.iter().copied().fold(f32::INFINITY, f32::min),
            c.iter().copied().fold(f32::NEG_INFINITY, f32::max),
            nan,
        )
    }
    fn div(self, o: Interval) -> Interval {
        let (a, b) = (self.to_f32(), o.to_f32());
        let nan = a.nan || b.nan || (a.contains_zero() && b.contains_zero()) || (a.infinite() && b.infinite());
        if b.contains_zero() {
            return Interval { nan, ..Interval::all() };
        }
        let c = [a.lo32() / b.lo32(), a.lo32() / b.hi32(), a.hi32() / b.lo32(), a.hi32() / b.hi32()];
        if c.iter().any(|v| v.is_nan()) {
            return Interval::all();
        }
        Interval::float(
            c.iter().copied().fold(f32::INFINITY, f32::min),
            c.iter().copied().fold(f32::NEG_INFINITY, f32::max),
            nan,
        )
    }
    /// A non-decreasing library function applied to the ends, widened by
    /// `ulps` for implementations that are not correctly rounded.
    fn monotone(self, f: impl Fn(f32) -> f32, ulps: u32, nan: bool) -> Interval {
        let a = self.to_f32();
        let (lo, hi) = (f(a.lo32()), f(a.hi32()));
        if lo.is_nan() || hi.is_nan() {
            return Interval::all();
        }
        Interval::float(f32_ulps(lo, false, ulps), f32_ulps(hi, true, ulps), a.nan || nan)
    }
    /// Clamped into `[lo, hi]` (a function's range).
    fn within(self, lo: f64, hi: f64) -> Interval {
        Interval { lo: self.lo.clamp(lo, hi), hi: self.hi.clamp(lo, hi), ..self }
    }
    /// `min` or `max` of two values, as the runtime computes them.
    fn min_max(self, o: Interval, min: bool) -> Interval {
        let (a, b) = if self.int && o.int { (self, o) } else { (self.to_f32(), o.to_f32()) };
        let pick = |x: f64, y: f64| if min { x.min(y) } else { x.max(y) };
        Interval { lo: pick(a.lo, b.lo), hi: pick(a.hi, b.hi), nan: a.nan || b.nan, int: a.int && b.int }
    }
    /// The sum over an episode of unbounded length of values in `self`.
    fn unbounded_sum(self) -> Interval {
        if self.is_zero() {
            return self;
        }
        if self.int {
            return Interval::all_int();
        }
        Interval {
            lo: if self.lo < 0.0 { f64::NEG_INFINITY } else { 0.0 },
            hi: if self.hi > 0.0 { f64::INFINITY } else { 0.0 },
            // An accumulator reaches an infinity only by overflow or an
            // infinite operand; NaN needs infinities of both signs.
            nan: self.nan || (self.lo == f64::NEG_INFINITY && self.hi == f64::INFINITY),
            int: false,
        }
    }
    /// The mean of `n` values in `self`, added in `f32` and divided by
    /// `n`: within the values' hull up to the rounding of the sum, or
    /// infinite where the sum can overflow.
    fn mean_of(self, n: f64) -> Interval {
        let a = self.to_f32();
        let big = a.lo.abs().max(a.hi.abs());
        let m = big * n * f64::from(f32::EPSILON);
        let overflow = big * n >= f64::from(f32::MAX) * 0.5;
        Interval {
            lo: if overflow && a.lo < 0.0 {
                f64::NEG_INFINITY
            } else {
                f64::from(f32_ulps((a.lo - m) as f32, false, 1))
            },
            hi: if overflow && a.hi > 0.0 { f64::INFINITY } else { f64::from(f32_ulps((a.hi + m) as f32, true, 1)) },
            nan: a.nan || a.infinite() || (overflow && a.lo < 0.0 && a.hi > 0.0),
            int: false,
        }
    }
    pub fn is_bounded(self) -> bool {
        self.lo.is_finite() && self.hi.is_finite()
    }
}

/// One output, explained.
#[derive(Clone, Debug, PartialEq)]
pub struct Explained {
    /// `reward` or `log NAME`.
    pub output: String,
    pub class: &'static str,
    pub reason: String,
    pub bounds: Interval,
    /// Both ends are values some step attains, proved by the solver;
    /// otherwise the bounds are sound but may be wider than the values.
    pub exact: bool,
    /// Why the bounds are not exact ("at most"), when they are not.
    pub inexact_because: Option<String>,
    /// Inputs and params without a range that make the output unbounded.
    pub unranged: Vec<String>,
    pub simplification: Option<String>,
}

const CLASSES: [&str; 5] = ["markov", "finite-state", "ltlf", "episode-gated", "batch-dependent"];

struct Analysis<'p> {
    program: &'p Program,
    /// The most general class found, and the construct responsible.
    class: usize,
    reason: String,
    /// Machine members read, by machine.
    members: BTreeSet<(String, String)>,
    /// History (`prev`, `total`, `steps`) makes the output finite-state too.
    history: bool,
    unranged: BTreeSet<String>,
    memo: HashMap<DeclId, Interval>,
    /// Divisions, `log`s and `sqrt`s whose operand's bounds reach the value
    /// that makes them infinite or NaN.
    hazards: Vec<Hazard>,
    /// The outermost call being inlined: hazards inside `fn` bodies are
    /// reported where the user wrote the call.
    call_site: Option<rw_compiler::Span>,
}

/// What can make a value infinite or NaN.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HazardKind {
    /// The divisor can be 0.
    Division,
    /// `log`'s argument can be 0 or negative.
    Log,
    /// `sqrt`'s argument can be negative.
    Sqrt,
}

/// A place where a value can become infinite or NaN, found by the interval
/// analysis: the operand's sound bounds reach the bad values.
#[derive(Clone, Debug)]
pub struct Hazard {
    pub kind: HazardKind,
    /// The operand (divisor or argument).
    pub operand: Expr,
    pub bounds: Interval,
    /// Where the user wrote it (the call, for a hazard inside a `fn`).
    pub span: rw_compiler::Span,
    /// Found inside a `fn` body, where the operand reads its parameters.
    pub in_fn: bool,
}

impl<'p> Analysis<'p> {
    fn new(program: &'p Program) -> Analysis<'p> {
        Analysis {
            program,
            class: 0,
            reason: "a function of the step's inputs".into(),
            members: BTreeSet::new(),
            history: false,
            unranged: BTreeSet::new(),
            memo: HashMap::new(),
            hazards: Vec::new(),
            call_site: None,
        }
    }

    fn hazard(&mut self, kind: HazardKind, operand: &Expr, bounds: Interval) {
        let reaches = match kind {
            HazardKind::Division => bounds.lo <= 0.0 && bounds.hi >= 0.0,
            HazardKind::Log => bounds.lo <= 0.0,
            HazardKind::Sqrt => bounds.lo < 0.0,
        };
        let span = self.call_site.unwrap_or(operand.span);
        if reaches && !self.hazards.iter().any(|h| h.span == span && h.kind == kind) {
            self.hazards.push(Hazard { kind, operand: operand.clone(), bounds, span, in_fn: self.call_site.is_some() });
        }
    }

    /// Runs `f` for its result only: hazards it finds and the class it
    /// raises are dropped (used for code no value reaches).
    fn quietly<R>(&mut self, f: impl FnOnce(&mut Self) -> R) -> R {
        let (hazards, class, reason) = (self.hazards.len(), self.class, self.reason.clone());
        let result = f(self);
        self.hazards.truncate(hazards);
        self.class = class;
        self.reason = reason;
        result
    }

    fn raise(&mut self, class: usize, reason: String) {
        if class > self.class {
            self.class = class;
            self.reason = reason;
        }
    }

    /// A declared range as the runtime admits values: after conversion to
    /// the input's type (`f32` ends rounded, `int` ends to the integers
    /// inside), an exclusive end as a closed one (a sound hull).
    fn range(&self, r: &Option<ast::RangeExpr>, int: bool) -> Option<Interval> {
        let (lo, hi, inclusive) = crate::encode::range_ends(self.program, r.as_ref()?)?;
        Some(if int {
            let hi = if inclusive { hi.floor() } else { hi.ceil() - 1.0 };
            Interval::int(lo.ceil().max(I32_MIN), hi.min(I32_MAX))
        } else {
            Interval::float(lo as f32, hi as f32, false)
        })
    }

    fn interval(&mut self, e: &Expr, env: &[(String, Interval)]) -> Interval {
        let p = self.program;
        match &e.kind {
            ExprKind::Int(v) => Interval::int_point(*v),
            ExprKind::Float(v) => Interval::point(f64::from(*v as f32)),
            ExprKind::Bool(_) => Interval::boolean(),
            ExprKind::Paren(inner) => self.interval(inner, env),
            ExprKind::Name(n) => {
                if let Some((_, iv)) = env.iter().rev().find(|(x, _)| *x == n.name) {
                    return *iv;
                }
                let Some(id) = p.lookup(&n.name) else {
                    return match n.name.as_str() {
                        "steps" => {
                            self.history = true;
                            self.raise(1, "history (`steps`)".into());
                            Interval::int(0.0, I32_MAX)
                        }
                        _ => Interval::boolean(),
                    };
                };
                match &p.decl(id).kind {
                    DeclKind::Prop => Interval::boolean(),
                    DeclKind::Input(i) => self.ranged(&n.name, &i.range, p.types.get(&id)),
                    DeclKind::Param(param) => self.ranged(&n.name, &param.range, p.types.get(&id)),
                    // Set by the trainer or by the update rule: any f32.
                    DeclKind::Multiplier(_) => Interval::all(),
                    DeclKind::Const(_) => match p.consts.get(&id) {
                        Some(ConstValue::Int(i)) => Interval::int_point(i64::from(*i)),
                        Some(ConstValue::F32(f)) => Interval::point(f64::from(*f)),
                        _ => Interval::boolean(),
                    },
                    DeclKind::Let(l) => {
                        if let Some(iv) = self.memo.get(&id) {
                            return *iv;
                        }
                        // Recurrences through `prev` see any value of the let's type.
                        let any = if matches!(p.types.get(&id), Some(Ty::Scalar(rw_compiler::sema::Scalar::Int))) {
                            Interval::all_int()
                        } else {
                            Interval::all()
                        };
                        self.memo.insert(id, any);
                        let iv = self.interval(&l.value, &[]);
                        self.memo.insert(id, iv);
                        iv
                    }
                    _ => Interval::all(),
                }
            }
            ExprKind::Unary(UnOp::Neg, a) => self.interval(a, env).neg(),
            ExprKind::Unary(UnOp::Not, a) => {
                self.interval(a, env);
                Interval::boolean()
            }
            ExprKind::Binary(op, a, b) => {
                let (x, y) = (self.interval(a, env), self.interval(b, env));
                match op {
                    BinOp::Add => x.add(y),
                    BinOp::Sub => x.sub(y),
                    BinOp::Mul => x.mul(y),
                    BinOp::Div => {
                        self.hazard(HazardKind::Division, b, y);
                        x.div(y)
                    }
                    _ => Interval::boolean(),
                }
            }
            ExprKind::Cond(c, a, b) => {
                self.interval(c, env);
                // A condition that compares a name with a constant narrows
                // the name in each branch (`if len <= 3584 then 0 else ...`);
                // a branch no value reaches adds nothing.
                if let Some((name, then_range, else_range)) = self.split(c, env) {
                    let mut branches = Vec::new();
                    let mut any_f32 = false;
                    for (range, branch) in [(then_range, a), (else_range, b)] {
                        if let Some(range) = range {
                            let mut narrowed = env.to_vec();
                            narrowed.push((name.clone(), range));
                            branches.push(self.interval(branch, &narrowed));
                        } else {
                            // Unreached, but its type still decides the
                            // `if`'s: an `int` branch beside an `f32` one
                            // is converted (`if c then 1e-30 else m` is an
                            // f32 even when only `m` is reached).
                            any_f32 |= !self.quietly(|s| s.interval(branch, env)).int;
                        }
                    }
                    if let Some(iv) = branches.into_iter().reduce(Interval::hull) {
                        return if any_f32 { iv.to_f32() } else { iv };
                    }
                }
                let (x, y) = (self.interval(a, env), self.interval(b, env));
                x.hull(y)
            }
            ExprKind::Call(f, args) => self.call(&f.name, args, env, e.span),
            ExprKind::Member(base, member, args) => {
                let ExprKind::Name(n) = &base.strip_parens().kind else { return Interval::all() };
                let Some(id) = p.lookup(&n.name) else { return Interval::all() };
                match &p.decl(id).kind {
                    DeclKind::Machine(m) => {
                        self.raise(1, format!("machine `{}`", n.name));
                        self.members.insert((n.name.clone(), member.name.clone()));
                        let states = p.machine_states.get(&id).map_or(1, Vec::len) as f64;
                        match member.name.as_str() {
                            "reward" => {
                                let mut iv = Interval::point(0.0);
                                for edge in &m.edges {
                                    if let Some(r) = &edge.reward {
                                        iv = iv.hull(self.interval(r, &[]).to_f32());
                                    }
                                }
                                iv
                            }
                            "state" => Interval::int(0.0, states - 1.0),
                            "distance" => Interval::int(0.0, states),
                            "value" => {
                                let gamma = args.as_deref().and_then(|a| a.first()).and_then(|g| const_number(g, p));
                                match gamma.and_then(|g| machine_values(p, &n.name, g)) {
                                    // The f32 table the runtime reads.
                                    Some(values) => values
                                        .iter()
                                        .map(|(_, v)| Interval::point(f64::from(*v as f32)))
                                        .reduce(Interval::hull)
                                        .unwrap_or(Interval::point(0.0)),
                                    None => Interval::all(),
                                }
                            }
                            _ => Interval::boolean(),
                        }
                    }
                    DeclKind::Formula(f) => {
                        let what = match f.kind {
                            ast::FormulaKind::Ltl => "ltl formula",
                            ast::FormulaKind::Ltlf => "formula",
                        };
                        self.raise(2, format!("{what} `{}`", n.name));
                        let states = crate::machines::formula_states(p, f).unwrap_or(I32_MAX);
                        match member.name.as_str() {
                            "state" => Interval::int(0.0, states - 1.0),
                            "distance" => Interval::int(0.0, states),
                            _ => Interval::boolean(),
                        }
                    }
                    DeclKind::Criteria(c) => match member.name.as_str() {
                        "failed" => Interval::int(0.0, c.items.len() as f64),
                        "score" => Interval::point(0.0).hull(Interval::point(1.0)),
                        _ => Interval::boolean(),
                    },
                    _ => match member.name.as_str() {
                        "failed" => Interval::int(0.0, I32_MAX),
                        // The runtime validates weights and verdicts and divides in f64.
                        "score" => Interval::point(0.0).hull(Interval::point(1.0)),
                        _ => Interval::boolean(),
                    },
                }
            }
            ExprKind::Index(base, _) => match &base.strip_parens().kind {
                ExprKind::Name(n) => self.interval(&Expr { kind: ExprKind::Name(n.clone()), span: e.span }, env),
                _ => Interval::all(),
            },
            ExprKind::Gated(c, body) => {
                self.interval(c, env);
                let x = self.interval(body, env);
                self.raise(3, "`gated`".into());
                // The sum over an episode of unbounded length, or 0.
                x.unbounded_sum().hull(Interval { int: x.int, ..Interval::point(0.0) })
            }
        }
    }

    fn ranged(&mut self, name: &str, range: &Option<ast::RangeExpr>, ty: Option<&Ty>) -> Interval {
        use rw_compiler::sema::Scalar;
        let scalar = match ty {
            Some(Ty::Scalar(s)) | Some(Ty::Vector(s, _)) => *s,
            _ => Scalar::F32,
        };
        if scalar == Scalar::Bool {
            return Interval::boolean();
        }
        match self.range(range, scalar == Scalar::Int) {
            Some(iv) => iv,
            None => {
                self.unranged.insert(name.to_string());
                if scalar == Scalar::Int { Interval::all_int() } else { Interval::all() }
            }
        }
    }

    /// For `name OP k` (or `k OP name`) with `k` a constant of the name's
    /// kind (int or f32): the name's values where the condition holds and
    /// where it does not (`None`: no value). NaN fails every comparison but
    /// `!=`.
    fn split(&mut self, c: &Expr, env: &[(String, Interval)]) -> Option<(String, Option<Interval>, Option<Interval>)> {
        let ExprKind::Binary(op, a, b) = &c.strip_parens().kind else { return None };
        let flipped = |op: BinOp| match op {
            BinOp::Lt => BinOp::Gt,
            BinOp::Le => BinOp::Ge,
            BinOp::Gt => BinOp::Lt,
            BinOp::Ge => BinOp::Le,
            other => other,
        };
        let (name, op, x_expr, k_expr) = match (&a.strip_parens().kind, &b.strip_parens().kind) {
            (ExprKind::Name(n), _) => (n.name.clone(), *op, a, b),
            (_, ExprKind::Name(n)) => (n.name.clone(), flipped(*op), b, a),
            _ => return None,
        };
        if !matches!(op, BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge | BinOp::Eq | BinOp::Ne) {
            return None;
        }
        let x = self.interval(x_expr, env);
        let k = self.interval(k_expr, env);
        if k.lo != k.hi || k.nan || x.int != k.int || !k.lo.is_finite() {
            return None;
        }
        let k = k.lo;
        let part = |lo: f64, hi: f64, nan: bool| {
            let (lo, hi) = (lo.max(x.lo), hi.min(x.hi));
            (lo <= hi).then_some(Interval { lo, hi, nan, int: x.int })
        };
        let (inf, nan) = (f64::INFINITY, x.nan);
        // Integers: a strict bound moves by one; floats keep a closed hull.
        let step = if x.int { 1.0 } else { 0.0 };
        let point = part(k, k, false);
        let whole = Some(x);
        Some(match op {
            BinOp::Le => (name, part(-inf, k, false), part(k + step, inf, nan)),
            BinOp::Lt => (name, part(-inf, k - step, false), part(k, inf, nan)),
            BinOp::Ge => (name, part(k, inf, false), part(-inf, k - step, nan)),
            BinOp::Gt => (name, part(k + step, inf, false), part(-inf, k, nan)),
            BinOp::Eq => (name, point, whole),
            _ => (name, whole, point),
        })
    }

    fn call(
        &mut self,
        name: &str,
        args: &[Expr],
        env: &[(String, Interval)],
        call_span: rw_compiler::Span,
    ) -> Interval {
        let p = self.program;
        if let Some(id) = p.lookup(name)
            && let DeclKind::Fn(f) = &p.decl(id).kind
        {
            // Parameters and result converted to their declared types, as lowering does.
            let as_declared = |iv: Interval, ty: &ast::TypeExpr| {
                if ty.name.name == "f32" && ty.len.is_none() { iv.to_f32() } else { iv }
            };
            let mut scope = Vec::new();
            for ((pname, pty), a) in f.params.iter().zip(args) {
                scope.push((pname.name.clone(), as_declared(self.interval(a, env), pty)));
            }
            let outermost = self.call_site.is_none();
            if outermost {
                self.call_site = Some(call_span);
            }
            let body = self.interval(&f.body, &scope);
            if outermost {
                self.call_site = None;
            }
            return as_declared(body, &f.ret);
        }
        let ivs: Vec<Interval> = args.iter().map(|a| self.interval(a, env)).collect();
        let first = ivs.first().copied().unwrap_or(Interval::all());
        let fold = |ivs: &[Interval], min: bool| {
            let all_int = ivs.iter().all(|i| i.int);
            let ivs: Vec<Interval> = if all_int { ivs.to_vec() } else { ivs.iter().map(|i| i.to_f32()).collect() };
            ivs.into_iter().reduce(|a, b| a.min_max(b, min)).unwrap_or(Interval::all())
        };
        match name {
            "min" | "max" if ivs.len() > 1 => fold(&ivs, name == "min"),
            // One vector: its elements' interval.
            "min" | "max" => first,
            "mean" => {
                let n = args.first().map_or(1.0, |a| self.vector_len(a));
                first.mean_of(n)
            }
            "sum" => {
                let n = args.first().map_or(1.0, |a| self.vector_len(a));
                if first.int {
                    first.mul(Interval::int(n, n))
                } else {
                    // Monotone in every element: the ends are the sums of
                    // n copies of the ends, added as the runtime adds.
                    let repeat =
                        |v: f32| (0..n as usize).fold(None, |acc: Option<f32>, _| Some(acc.map_or(v, |a| a + v)));
                    let (lo, hi) = (repeat(first.lo32()).unwrap_or(0.0), repeat(first.hi32()).unwrap_or(0.0));
                    let lo = if lo.is_nan() { f32::NEG_INFINITY } else { lo };
                    let hi = if hi.is_nan() { f32::INFINITY } else { hi };
                    Interval::float(lo, hi, first.nan || (first.lo == f64::NEG_INFINITY && first.hi == f64::INFINITY))
                }
            }
            "var" | "std" | "group_std" | "group_std_unbiased" | "batch_std" | "batch_std_unbiased" => {
                let n = if name.starts_with("group_") || name.starts_with("batch_") {
                    // Computed in f64 and rounded once: a few ulps of f32
                    // at most, which the 2-ulp widening below and the
                    // n = 2 rounding term cover.
                    let kind = if name.starts_with("group_") { "group" } else { "batch" };
                    self.raise(4, format!("{kind} term `{name}`"));
                    2.0
                } else {
                    args.first().map_or(1.0, |e| self.vector_len(e))
                };
                // The sample std divides by n - 1: at most sqrt(2) times the
                // population std's bound (two lanes at the two ends).
                let unbiased = if name.ends_with("_unbiased") { std::f64::consts::SQRT_2 } else { 1.0 };
                let a = first.to_f32();
                let rounding = n * f64::from(f32::EPSILON);
                let half = (a.hi - a.lo) / 2.0;
                let m = a.lo.abs().max(a.hi.abs());
                let spread = (half * (1.0 + rounding) + m * rounding) * unbiased;
                // The sum of squared deviations overflows first.
                let overflow = (2.0 * spread).powi(2) * n >= f64::from(f32::MAX) * 0.5 || a.infinite();
                let hi = if overflow {
                    f64::INFINITY
                } else {
                    let hi = if name == "var" { spread * spread } else { spread };
                    f64::from(f32_ulps(hi as f32, true, 2))
                };
                Interval { lo: 0.0, hi, nan: a.nan || a.infinite(), int: false }
            }
            "clamp" => {
                let (lo, hi) = (ivs.get(1).copied().unwrap_or(first), ivs.get(2).copied().unwrap_or(first));
                let lower = fold(&[first, lo], false);
                fold(&[lower, hi], true)
            }
            "abs" => {
                if first.int && first.lo <= I32_MIN {
                    return Interval::all_int();
                }
                let a = first;
                let (lo, hi) = if a.lo >= 0.0 {
                    (a.lo, a.hi)
                } else if a.hi <= 0.0 {
                    (-a.hi, -a.lo)
                } else {
                    (0.0, a.hi.max(-a.lo))
                };
                Interval { lo, hi, ..a }
            }
            "exp" => first
                .monotone(rw_runtime::math::exp, rw_runtime::math::EXP_MONOTONE_ULPS, false)
                .within(0.0, f64::INFINITY),
            "sqrt" => {
                let a = first.to_f32();
                if let Some(arg) = args.first() {
                    self.hazard(HazardKind::Sqrt, arg, a);
                }
                let nan = a.lo < 0.0;
                let clipped = Interval { lo: a.lo.max(0.0), hi: a.hi.max(0.0), ..a };
                clipped.monotone(f32::sqrt, 0, nan)
            }
            "log" => {
                let a = first.to_f32();
                if let Some(arg) = args.first() {
                    self.hazard(HazardKind::Log, arg, a);
                }
                let nan = a.lo < 0.0;
                let clipped = Interval { lo: a.lo.max(0.0), hi: a.hi.max(0.0), ..a };
                clipped.monotone(rw_runtime::math::ln, 2, nan)
            }
            "sigmoid" => {
                first.monotone(rw_runtime::math::sigmoid, rw_runtime::math::EXP_MONOTONE_ULPS, false).within(0.0, 1.0)
            }
            "tanh" => first.monotone(rw_runtime::math::tanh, 2, false).within(-1.0, 1.0),
            "step" => {
                let v = ivs.get(1).copied().unwrap_or(first);
                v.hull(Interval { int: v.int, ..Interval::point(0.0) })
            }
            "count" => Interval::int(0.0, args.iter().map(|a| self.vector_len(a)).sum()),
            "div" => {
                let y = ivs.get(1).copied().unwrap_or(first);
                if !(first.int && y.int) || (first.lo <= I32_MIN && y.contains_zero()) {
                    return Interval::all_int();
                }
                let m = first.lo.abs().max(first.hi.abs());
                Interval::int(-m, m)
            }
            "rem" => {
                let y = ivs.get(1).copied().unwrap_or(first);
                if !(first.int && y.int) {
                    return Interval::all_int();
                }
                let m = (y.lo.abs().max(y.hi.abs()) - 1.0).max(0.0).min(first.lo.abs().max(first.hi.abs()));
                Interval::int(if first.lo < 0.0 { -m } else { 0.0 }, if first.hi > 0.0 { m } else { 0.0 })
            }
            "prev" => {
                self.history = true;
                self.raise(1, "history (`prev`)".into());
                match ivs.get(1) {
                    Some(d) => first.hull(*d),
                    None => first.hull(Interval { int: first.int, ..Interval::point(0.0) }),
                }
            }
            "total" => {
                self.history = true;
                self.raise(1, "history (`total`)".into());
                first.unbounded_sum()
            }
            "group_mean" | "batch_mean" => {
                // An f64 mean of values in [lo, hi], rounded to f32: in [lo, hi].
                let kind = if name == "group_mean" { "group" } else { "batch" };
                self.raise(4, format!("{kind} term `{name}`"));
                let a = first.to_f32();
                Interval { nan: a.nan || a.infinite(), ..a }
            }
            "batch_rank" | "batch_group_rank" => {
                self.raise(4, format!("batch term `{name}`"));
                Interval::int(0.0, f64::from(rw_runtime::eval::MAX_BATCH))
            }
            "batch_group_top" => {
                self.raise(4, format!("batch term `{name}`"));
                Interval::boolean()
            }
            "group_max" | "group_min" => {
                self.raise(4, format!("group term `{name}`"));
                first
            }
            "rank" => {
                self.raise(4, "group term `rank`".into());
                Interval::int(0.0, rw_runtime::eval::MAX_GROUP as f64)
            }
            _ => ivs.iter().copied().reduce(Interval::hull).unwrap_or(Interval::all()),
        }
    }

    fn vector_len(&self, e: &Expr) -> f64 {
        if let ExprKind::Name(n) = &e.strip_parens().kind
            && let Some(Ty::Vector(_, len)) = self.program.lookup(&n.name).and_then(|id| self.program.types.get(&id))
        {
            return f64::from(*len);
        }
        1.0
    }
}

/// The position of an `f32` in the order of values (`-0.0` and `0.0` are
/// one position; NaN has none).
fn f32_key(v: f32) -> i64 {
    let bits = v.to_bits();
    if bits >> 31 == 1 { -i64::from(bits & 0x7fff_ffff) } else { i64::from(bits) }
}

fn f32_of_key(k: i64) -> f32 {
    if k < 0 { f32::from_bits(((-k) as u32) | 0x8000_0000) } else { f32::from_bits(k as u32) }
}

type Probe = Box<dyn Fn(i64) -> z3::ast::Bool>;

/// Limit of one tightening probe, in ms.
const TIGHTEN_PROBE_MS: u32 = 300;

/// The exact bounds of an output whose encoding is exact, proved by the
/// solver: a binary search over the ordered `f32` (or `i32`) values between
/// the interval's sound ends and a value some step attains. Each probe asks
/// for a step whose output lies at or beyond the probe; a model moves the
/// attained end, a proof that there is none moves the sound end. Returns
/// the tightened interval and whether both ends are attained (exact), or
/// `None` when the encoding is not exact; a timeout stops the search at
/// sound ends.
/// Why tightening could not prove the ends (they stay sound).
const SOLVER_TIMED_OUT: &str = "the solver ran out of time proving the ends";

fn tighten(program: &Program, e: &Expr, sound: Interval, options: &Options) -> Result<(Interval, bool), String> {
    use crate::encode::{f32_const, int_const, model_f32, model_int};
    let mut encoder = Encoder::new(program);
    let Some(term) = encoder.term(e) else { return Err("the output is not encoded for the solver".into()) };
    if !encoder.take_exact() {
        let what = encoder.first_opaque.unwrap_or_default();
        return Err(format!("`{what}` is not modelled exactly, so the solver cannot prove the ends"));
    }
    // Tightening is a refinement of sound bounds: its probes get a short
    // limit, and the first that runs out ends the search.
    let probe_ms = if options.timeout_ms == 0 { TIGHTEN_PROBE_MS } else { options.timeout_ms.min(TIGHTEN_PROBE_MS) };
    let solver = crate::solver(&crate::Options { timeout_ms: probe_ms, ..*options }, &encoder.constraints);
    type Value = Box<dyn Fn(&z3::Model) -> Option<i64>>;
    let (at_most, at_least, value): (Probe, Probe, Value) = match &term {
        Term::I(i) => {
            let (a, b, c) = (i.clone(), i.clone(), i.clone());
            (
                Box::new(move |k| a.bvsle(int_const(k))),
                Box::new(move |k| b.bvsge(int_const(k))),
                Box::new(move |m| model_int(m, &c).map(i64::from)),
            )
        }
        Term::F(f) => {
            let (a, b, c) = (f.clone(), f.clone(), f.clone());
            (
                Box::new(move |k| a.le(f32_const(f32_of_key(k)))),
                Box::new(move |k| b.ge(f32_const(f32_of_key(k)))),
                Box::new(move |m| model_f32(m, &c).filter(|v| !v.is_nan()).map(f32_key)),
            )
        }
        Term::B(_) => return Err("a boolean".into()),
    };
    let int = matches!(term, Term::I(_));
    let key = |x: f64| if int { x as i64 } else { f32_key(x as f32) };
    let unkey = |k: i64| if int { k as f64 } else { f64::from(f32_of_key(k)) };
    let sound = if int { Interval::int(sound.lo.max(I32_MIN), sound.hi.min(I32_MAX)) } else { sound.to_f32() };
    // Can the output be NaN? (Only an f32 can.)
    let mut nan = sound.nan;
    if let Term::F(f) = &term
        && nan
        && matches!(ask(&solver, &f.is_nan()), Answer::Unsat)
    {
        nan = false;
    }
    // Values some step attains: the output at the corners of the ranges
    // (evaluated by the solver's simplifier, exactly), else any model.
    let sampled: Vec<i64> = encoder
        .sample_values(&term, 64)
        .unwrap_or_default()
        .iter()
        .filter_map(|t| match t {
            Term::I(i) => i.as_u64().map(|v| i64::from(v as u32 as i32)),
            Term::F(f) => f
                .to_ieee_bv()
                .simplify()
                .as_u64()
                .map(|b| f32::from_bits(b as u32))
                .filter(|v| !v.is_nan())
                .map(f32_key),
            Term::B(_) => None,
        })
        .collect();
    let (seen_lo, seen_hi) = match (sampled.iter().min(), sampled.iter().max()) {
        (Some(&a), Some(&b)) => (a, b),
        _ => {
            let Answer::Sat(model) = ask(&solver, &at_least(key(sound.lo))) else {
                return Ok((Interval { nan, ..sound }, false));
            };
            let Some(seen) = value(&model) else { return Ok((Interval { nan, ..sound }, false)) };
            (seen, seen)
        }
    };
    // Lower end: `lo` is proved, `attained` is seen.
    let (mut lo, mut attained) = (key(sound.lo), seen_lo);
    let mut first = true;
    while lo < attained {
        // First the sound end itself (interval ends are often attained),
        // then the search.
        let mid = if std::mem::replace(&mut first, false) { lo } else { lo + (attained - lo) / 2 };
        match ask(&solver, &at_most(mid)) {
            Answer::Sat(m) => match value(&m) {
                Some(v) if v <= mid => attained = v,
                _ => break,
            },
            Answer::Unsat => lo = mid + 1,
            Answer::Unknown => break,
        }
    }
    let mut exact = lo == attained;
    let low = unkey(lo);
    let (mut hi, mut attained) = (key(sound.hi), seen_hi);
    let mut first = true;
    while hi > attained {
        let mid = if std::mem::replace(&mut first, false) { hi } else { hi - (hi - attained) / 2 };
        match ask(&solver, &at_least(mid)) {
            Answer::Sat(m) => match value(&m) {
                Some(v) if v >= mid => attained = v,
                _ => break,
            },
            Answer::Unsat => hi = mid - 1,
            Answer::Unknown => break,
        }
    }
    exact &= hi == attained;
    Ok((Interval { lo: low, hi: unkey(hi), nan, int }, exact))
}

enum Answer {
    Sat(z3::Model),
    Unsat,
    Unknown,
}

fn ask(solver: &crate::Solver, formula: &z3::ast::Bool) -> Answer {
    solver.push();
    solver.assert(formula);
    let answer = match solver.check() {
        SatResult::Sat => solver.get_model().map_or(Answer::Unknown, Answer::Sat),
        SatResult::Unsat => Answer::Unsat,
        SatResult::Unknown => Answer::Unknown,
    };
    solver.pop(1);
    answer
}

fn output_name(o: &Output) -> Option<String> {
    match o {
        Output::Reward(_) => Some("reward".into()),
        Output::Log(l) => Some(l.name.name.clone()),
        Output::Discount(_) => Some("discount".into()),
        _ => None,
    }
}

/// The places where a value the spec computes can become infinite or NaN,
/// over every output, shaping term, `done` condition and constraint.
pub fn hazards(program: &Program) -> Vec<Hazard> {
    let mut a = Analysis::new(program);
    for output in &program.outputs {
        match output {
            Output::Reward(r) => a.interval(&r.value, &[]),
            Output::Log(l) => a.interval(&l.value, &[]),
            Output::Shape(s) => a.interval(&s.value, &[]),
            Output::Done(d) | Output::Discount(d) => a.interval(&d.value, &[]),
            Output::Constraint(c) => a.interval(&c.condition, &[]),
        };
    }
    a.hazards
}

/// Bounds and class of every output: `reward` (shaping and constraint
/// penalties included) and each `log`.
pub fn explain(program: &Program, options: &Options) -> Vec<Explained> {
    let mut out = Vec::new();
    for output in &program.outputs {
        let Some(name) = output_name(output) else { continue };
        let mut a = Analysis::new(program);
        let value = match output {
            Output::Reward(r) | Output::Discount(r) => &r.value,
            Output::Log(l) => &l.value,
            _ => continue,
        };
        let mut bounds = a.interval(value, &[]);
        let markov_value = a.class == 0;
        let extra_outputs =
            name == "reward" && program.outputs.iter().any(|o| matches!(o, Output::Shape(_) | Output::Constraint(_)));
        let mut exact = false;
        let mut inexact_because = None;
        if !markov_value {
            inexact_because = Some(format!("the bounds hold for every value of {}, reachable or not", a.reason));
        } else if extra_outputs {
            inexact_because = Some("shaping and constraint terms are bounded one by one".into());
        } else {
            match tighten(program, value, bounds, options) {
                Ok((tight, proved)) => {
                    // Both are sound: keep the narrower ends.
                    bounds = Interval {
                        lo: bounds.lo.max(tight.lo),
                        hi: bounds.hi.min(tight.hi),
                        nan: tight.nan,
                        int: bounds.int,
                    };
                    exact = proved;
                    if !proved {
                        inexact_because = Some(SOLVER_TIMED_OUT.into());
                    }
                }
                Err(why) => inexact_because = Some(why),
            }
        }
        if bounds.lo == f64::NEG_INFINITY && bounds.hi == f64::INFINITY {
            // Nothing to be tight about.
            inexact_because = None;
        }
        if name == "reward" {
            // The reward's value as an f32, then each shaping term and
            // constraint penalty added in order, as lowering builds it.
            bounds = bounds.to_f32();
            for other in &program.outputs {
                match other {
                    Output::Shape(s) => {
                        let gamma = crate::gamma(program, &s.gamma);
                        let p = a.interval(&s.value, &[]).to_f32();
                        let term = match s.kind {
                            // gamma * (P_t, or 0 on a done step) - P_(t-1)
                            ShapeKind::Potential => {
                                Interval::point(f64::from(gamma)).mul(p.hull(Interval::point(0.0))).sub(p)
                            }
                            ShapeKind::Term => p,
                        };
                        bounds = bounds.add(term);
                    }
                    Output::Constraint(_) => {
                        // lambda * gap, with lambda whatever the trainer sets.
                        bounds = bounds.add(Interval::all());
                    }
                    _ => {}
                }
            }
        }
        // Machines read only through their reward: merge the states that
        // pay alike; if every machine collapses to one state, the output
        // depends on the step's inputs alone.
        let mut simplification = None;
        let mut class = a.class;
        let mut reason = a.reason;
        if a.class == 1 && !a.history && a.members.iter().all(|(_, m)| m == "reward") {
            let machines: BTreeSet<&String> = a.members.iter().map(|(m, _)| m).collect();
            let mut notes = Vec::new();
            let mut all_collapse = true;
            for name in machines {
                match reward_partition(program, name) {
                    Some((states, blocks)) => {
                        let distinct: BTreeSet<usize> = blocks.iter().copied().collect();
                        if distinct.len() > 1 {
                            all_collapse = false;
                        }
                        if distinct.len() < states.len() {
                            let groups: Vec<String> = distinct
                                .iter()
                                .map(|b| {
                                    let members: Vec<&str> = states
                                        .iter()
                                        .zip(&blocks)
                                        .filter(|(_, x)| *x == b)
                                        .map(|(s, _)| s.as_str())
                                        .collect();
                                    members.join(" = ")
                                })
                                .filter(|g| g.contains(" = "))
                                .collect();
                            notes.push(if distinct.len() == 1 {
                                format!("all states of machine `{name}` pay alike: its reward is a function of the step's inputs")
                            } else {
                                format!("machine `{name}` minimises to {} states for its reward: {}", distinct.len(), groups.join(", "))
                            });
                        }
                    }
                    None => all_collapse = false,
                }
            }
            if all_collapse && !notes.is_empty() {
                class = 0;
                reason = "machine rewards that do not depend on the machine's state".into();
            }
            if !notes.is_empty() {
                simplification = Some(notes.join("; "));
            }
        }
        out.push(Explained {
            output: name,
            // An `ltl` formula's automaton makes the output finite-state
            // like an `ltlf` one; the class names which.
            class: if class == 2 && reason.starts_with("ltl formula") { "ltl" } else { CLASSES[class] },
            reason,
            bounds,
            exact,
            inexact_because,
            unranged: a.unranged.into_iter().collect(),
            simplification,
        });
    }
    out
}

/// Mealy minimisation of a machine for its reward: two states are
/// equivalent when every valuation of the guard atoms pays the same reward
/// (compared as expressions) from both and leads to equivalent states.
/// Valuations that numeric atoms make impossible are kept, which can only
/// keep states apart, never merge them wrongly. `None` past 12 atoms.
fn reward_partition(program: &Program, name: &str) -> Option<(Vec<String>, Vec<usize>)> {
    use rw_compiler::automata::Automaton;
    use rw_compiler::syntax::ast::expr_text;
    let id = program.lookup(name)?;
    let DeclKind::Machine(m) = &program.decl(id).kind else { return None };
    let states = program.machine_states.get(&id).cloned().unwrap_or_default();
    let a = Automaton::from_machine(program, m, &states).ok()?;
    if a.atoms.len() > 12 {
        return None;
    }
    let edges = a.edge_views();
    let terminal = a.terminal();
    let n = a.state_count();
    let labels = 1u64 << a.atoms.len();
    let pays = |e: &rw_compiler::automata::EdgeView| match &e.reward {
        Some(r) if literal_zero(r) => String::new(),
        Some(r) => expr_text(r),
        None => String::new(),
    };
    // behaviour[s][label] = (reward text, target)
    let behaviour: Vec<Vec<(String, usize)>> = (0..n)
        .map(|s| {
            (0..labels)
                .map(|l| {
                    if terminal[s] {
                        return (String::new(), s);
                    }
                    edges
                        .iter()
                        .find(|e| e.from as usize == s && e.guard.eval(l))
                        .map_or((String::new(), s), |e| (pays(e), e.to as usize))
                })
                .collect()
        })
        .collect();
    let mut blocks = vec![0usize; n];
    loop {
        let mut ids: HashMap<Vec<(String, usize)>, usize> = HashMap::new();
        let next: Vec<usize> = (0..n)
            .map(|s| {
                let mut signature = vec![(String::new(), blocks[s])];
                signature.extend(behaviour[s].iter().map(|(r, t)| (r.clone(), blocks[*t])));
                let fresh = ids.len();
                *ids.entry(signature).or_insert(fresh)
            })
            .collect();
        let stable = ids.len() == blocks.iter().collect::<BTreeSet<_>>().len();
        blocks = next;
        if stable {
            break;
        }
    }
    Some((states, blocks))
}

fn literal_zero(e: &Expr) -> bool {
    match &e.strip_parens().kind {
        ExprKind::Int(0) => true,
        ExprKind::Float(v) => *v == 0.0,
        _ => false,
    }
}

/// "declare a range, for example `input n: int in 0..=100`", in the type
/// and kind (input or param) the name has.
fn range_suggestion(program: &Program, name: &str) -> String {
    let id = program.lookup(name);
    let kind = match id.map(|id| &program.decl(id).kind) {
        Some(DeclKind::Param(_)) => "param",
        _ => "input",
    };
    let example = match id.and_then(|id| program.types.get(&id)) {
        Some(Ty::Scalar(rw_compiler::sema::Scalar::Int)) => "int in 0..=100".to_string(),
        Some(Ty::Vector(rw_compiler::sema::Scalar::Int, n)) => format!("int[{n}] in 0..=100"),
        Some(Ty::Vector(_, n)) => format!("f32[{n}] in 0.0..=1.0"),
        _ => "f32 in 0.0..=1.0".to_string(),
    };
    let default = if kind == "param" { if example.starts_with("int") { " = 0" } else { " = 0.0" } } else { "" };
    format!("declare a range, for example `{kind} {name}: {example}{default}`")
}

/// Warnings about outputs: unbounded because an input or param lacks a
/// range, or constant.
pub fn check(program: &Program, options: &Options) -> Vec<Diagnostic> {
    check_explained(program, &explain(program, options))
}

/// [`check`] on outputs already explained.
pub fn check_explained(program: &Program, explained: &[Explained]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (output, e) in program.outputs.iter().filter(|o| output_name(o).is_some()).zip(explained) {
        let span = match output {
            Output::Reward(r) => r.value.span,
            Output::Log(l) => l.value.span,
            _ => continue,
        };
        let what = if e.output == "reward" { "`reward`".to_string() } else { format!("`log {}`", e.output) };
        if !e.bounds.is_bounded() && !e.unranged.is_empty() {
            let names: Vec<String> = e.unranged.iter().map(|n| format!("`{n}`")).collect();
            out.push(
                Diagnostic::warning(code::UNBOUNDED, format!("{what} is unbounded: {}", show(e.bounds)))
                    .primary(span, format!("depends on {} without a declared range", names.join(", ")))
                    .help(range_suggestion(program, &e.unranged[0])),
            );
        } else if e.bounds.lo == e.bounds.hi && !e.bounds.nan && e.class == "markov" {
            out.push(
                Diagnostic::warning(
                    code::CONSTANT_OUTPUT,
                    format!("{what} is always {}", show_value(e.bounds.lo, e.bounds.int)),
                )
                .primary(span, "this output never changes")
                .help("check that it uses the inputs it should"),
            );
        }
    }
    out
}

fn show_value(x: f64, int: bool) -> String {
    if int { format!("{}", x as i64) } else { format!("{}", x as f32) }
}

/// `[lo, hi]` with `-inf`/`inf`, ints as ints, `or NaN` when NaN is possible.
pub fn show(iv: Interval) -> String {
    let end = |x: f64| {
        if x == f64::INFINITY {
            "inf".to_string()
        } else if x == f64::NEG_INFINITY {
            "-inf".to_string()
        } else if iv.int {
            format!("{}", x as i64)
        } else {
            let v = x as f32;
            // Very large and very small magnitudes in exponent form.
            if v != 0.0 && (v.abs() >= 1e9 || v.abs() < 1e-6) { format!("{v:e}") } else { format!("{v}") }
        }
    };
    let nan = if iv.nan { " or NaN" } else { "" };
    format!("[{}, {}]{nan}", end(iv.lo), end(iv.hi))
}

/// `m.value(gamma)` of machine `name` per state, as lowering computes it
/// (value iteration over the edges that can be taken).
pub fn machine_values(program: &Program, name: &str, gamma: f64) -> Option<Vec<(String, f64)>> {
    let id = program.lookup(name)?;
    let DeclKind::Machine(m) = &program.decl(id).kind else { return None };
    let states = program.machine_states.get(&id).cloned().unwrap_or_default();
    let mut automaton = rw_compiler::automata::Automaton::from_machine(program, m, &states).ok()?;
    automaton.mark_never_taken(program);
    let values = automaton.value_iteration(gamma, |r| {
        rw_compiler::sema::fold_const(r, program).and_then(ConstValue::as_f32).map(f64::from)
    })?;
    Some(automaton.state_names().into_iter().zip(values).collect())
}

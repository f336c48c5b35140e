//! Name resolution, type checking, constant evaluation and the structural
//! rules of machines, formulas, criteria and outputs.
//!
//! Every expression is checked in a [`Ctx`] that says which names it may use:
//! guards and formula atoms see only props, inputs, params and consts; `fn`
//! bodies only their parameters, consts and params; consts only consts.
//! References between declarations are recorded as edges, and a strongly
//! connected component of that graph is a cyclic definition. A reference
//! inside `prev(...)` reads the previous step and adds no edge.

use super::builtins;
use super::suggest;
use super::types::{Scalar, Ty};
use super::{Decl, DeclId, DeclKind, Output, Program};
use crate::diagnostic::{Diagnostic, code};
use crate::source::Span;
use crate::syntax::ast::{self, BinOp, Expr, ExprKind, FKind, Formula, Ident, UnOp};
use std::collections::{HashMap, HashSet};

/// A value known at compile time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ConstValue {
    Bool(bool),
    Int(i32),
    F32(f32),
}

impl ConstValue {
    pub fn ty(self) -> Ty {
        match self {
            ConstValue::Bool(_) => Ty::BOOL,
            ConstValue::Int(_) => Ty::INT,
            ConstValue::F32(_) => Ty::F32,
        }
    }

    pub fn as_f32(self) -> Option<f32> {
        match self {
            ConstValue::Int(i) => Some(i as f32),
            ConstValue::F32(f) => Some(f),
            ConstValue::Bool(_) => None,
        }
    }

    fn as_bool(self) -> Option<bool> {
        if let ConstValue::Bool(b) = self { Some(b) } else { None }
    }
}

impl std::fmt::Display for ConstValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ConstValue::Bool(b) => write!(f, "{b}"),
            ConstValue::Int(i) => write!(f, "{i}"),
            ConstValue::F32(x) => write!(f, "{x:?}"),
        }
    }
}

/// Which names an expression may use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Ctx {
    /// Per-step values: lets, outputs, edge rewards.
    Value,
    /// Machine edge guards.
    Guard,
    /// Atoms of `ltlf`/`ltl` formulas.
    Formula,
    /// The body of a `fn`.
    FnBody,
    /// Consts, param defaults and other compile-time values.
    Const,
}

impl Ctx {
    fn place(self) -> &'static str {
        match self {
            Ctx::Value => "here",
            Ctx::Guard => "in a guard",
            Ctx::Formula => "in a formula",
            Ctx::FnBody => "in a `fn` body",
            Ctx::Const => "in a constant",
        }
    }

    fn allowed(self) -> &'static str {
        match self {
            Ctx::Guard => "guards may use props, inputs, params, consts and the members of `ltlf` formulas",
            Ctx::Formula => "formula atoms may use props, bool inputs and comparisons of inputs, params and consts",
            Ctx::FnBody => "a `fn` body may use its parameters, consts, params and pure built-ins",
            Ctx::Const => "a constant may use literals, other consts and pure built-ins",
            Ctx::Value => "",
        }
    }
}

struct Scope<'a> {
    ctx: Ctx,
    /// `fn` parameters.
    locals: &'a [(String, Ty)],
}

struct Checker<'p> {
    program: &'p Program,
    diagnostics: Vec<Diagnostic>,
    types: HashMap<DeclId, Ty>,
    consts: HashMap<DeclId, Option<ConstValue>>,
    in_progress: HashSet<DeclId>,
    /// (from, to, where `from` mentions `to`)
    edges: Vec<(DeclId, DeclId, Span)>,
    owner: Option<DeclId>,
    prev_depth: u32,
    machine_states: HashMap<DeclId, Vec<String>>,
}

pub(super) fn check_program(program: &mut Program, diagnostics: &mut Vec<Diagnostic>) {
    let mut checker = Checker {
        program,
        diagnostics: Vec::new(),
        types: HashMap::new(),
        consts: HashMap::new(),
        in_progress: HashSet::new(),
        edges: Vec::new(),
        owner: None,
        prev_depth: 0,
        machine_states: HashMap::new(),
    };
    checker.run();
    let Checker { diagnostics: found, types, consts, machine_states, .. } = checker;
    diagnostics.extend(found);
    program.types = types;
    program.consts = consts.into_iter().filter_map(|(k, v)| v.map(|v| (k, v))).collect();
    program.machine_states = machine_states;
}

fn ids(program: &Program) -> impl Iterator<Item = DeclId> + use<> {
    (0..program.decls.len() as u32).map(DeclId)
}

impl<'p> Checker<'p> {
    fn report(&mut self, d: Diagnostic) {
        self.diagnostics.push(d);
    }

    fn decl(&self, id: DeclId) -> &'p Decl {
        &self.program.decls[id.0 as usize]
    }

    fn run(&mut self) {
        for id in ids(self.program) {
            if let DeclKind::Machine(m) = &self.decl(id).kind {
                let states = self.machine_state_order(m);
                self.machine_states.insert(id, states);
            }
        }
        for id in ids(self.program) {
            self.check_decl(id);
        }
        self.check_outputs();
        self.report_cycles();
    }

    fn with_owner<T>(&mut self, owner: DeclId, f: impl FnOnce(&mut Self) -> T) -> T {
        let saved = (self.owner.replace(owner), std::mem::replace(&mut self.prev_depth, 0));
        let result = f(self);
        self.owner = saved.0;
        self.prev_depth = saved.1;
        result
    }

    fn check_decl(&mut self, id: DeclId) {
        let decl = self.decl(id);
        if matches!(decl.kind, DeclKind::Prop | DeclKind::Input(_)) && TRACE_FIELDS.contains(&decl.name.name.as_str()) {
            let what = if matches!(decl.kind, DeclKind::Prop) { "a prop" } else { "an input" };
            self.report(
                Diagnostic::error(code::RESERVED_NAME, format!("{what} cannot be named `{}`", decl.name.name))
                    .primary(decl.name.span, "a trace could never supply it")
                    .help("`episode`, `group`, `props` and `truncated` are fields of every trace line; choose another name"),
            );
        }
        match &decl.kind {
            DeclKind::Prop => {
                self.types.insert(id, Ty::BOOL);
            }
            DeclKind::Input(input) => {
                let ty = self.resolve_type(&input.ty, true);
                if let Some(range) = &input.range {
                    self.check_range(range, ty, &input.name);
                }
                self.types.insert(id, ty);
            }
            DeclKind::Param(param) => {
                let ty = self.resolve_type(&param.ty, false);
                if let Some(range) = &param.range {
                    self.check_range(range, ty, &param.name);
                }
                self.types.insert(id, ty);
                let scope = Scope { ctx: Ctx::Const, locals: &[] };
                let default_ty = self.with_owner(id, |c| c.expr(&param.default, &scope));
                if !default_ty.assignable_to(ty) {
                    self.type_mismatch(param.default.span, ty, default_ty, "the default value");
                } else if !default_ty.is_error() && self.fold(&param.default).is_none() {
                    self.not_constant(param.default.span, "a param's default");
                }
            }
            DeclKind::Multiplier(_) => {
                self.types.insert(id, Ty::F32);
            }
            DeclKind::Const(_) => {
                self.const_value(id);
            }
            DeclKind::Let(_) => {
                self.let_type(id);
            }
            DeclKind::Machine(m) => self.check_machine(id, m),
            DeclKind::Formula(f) => {
                if f.kind == ast::FormulaKind::Ltl
                    && let Some(span) = last_in(&f.formula)
                {
                    self.report(
                        Diagnostic::error(code::UNSUPPORTED, "`last` has no meaning on infinite traces")
                            .primary(span, "an `ltl` trace has no last step")
                            .help(format!(
                                "for episodes that end, write `ltlf {} = ...` (LTL on finite traces)",
                                f.name.name
                            )),
                    );
                }
                let locals: Vec<(String, Ty)> = f.params.iter().map(|p| (p.name.clone(), Ty::BOOL)).collect();
                self.with_owner(id, |c| {
                    c.formula(&f.formula, &locals);
                    if let Some(jump) = &f.jump {
                        let e = Expr { kind: ExprKind::Name(jump.clone()), span: jump.span };
                        c.expect(&e, &Scope { ctx: Ctx::Formula, locals: &[] }, Ty::INT, "the jump input");
                    }
                });
            }
            DeclKind::Criteria(c) => self.check_criteria(c),
            DeclKind::Fn(f) => self.check_fn(id, f),
        }
    }

    // ---- types, ranges, constants -------------------------------------------

    fn resolve_type(&mut self, ty: &ast::TypeExpr, allow_criteria: bool) -> Ty {
        let scalar = match ty.name.name.as_str() {
            "bool" => Scalar::Bool,
            "int" => Scalar::Int,
            "f32" => Scalar::F32,
            "criteria" if allow_criteria && ty.len.is_none() => return Ty::Criteria,
            "criteria" => {
                self.report(
                    Diagnostic::error(code::UNKNOWN_TYPE, "`criteria` is only a type for inputs")
                        .primary(ty.span, "not allowed here")
                        .help("declare the checklist as `input NAME: criteria`"),
                );
                return Ty::Error;
            }
            other => {
                let mut d = Diagnostic::error(code::UNKNOWN_TYPE, format!("unknown type `{other}`"))
                    .primary(ty.name.span, "not a type");
                d = match suggest::closest(other, ["bool", "int", "f32", "criteria"]) {
                    Some(s) => d.help(format!("did you mean `{s}`?")),
                    None => d.help(
                        "the types are `bool`, `int`, `f32`, vectors such as `f32[4]`, and `criteria` for inputs",
                    ),
                };
                if matches!(other, "float" | "f64" | "double") {
                    d = d.help("floats are `f32`");
                }
                self.report(d);
                return Ty::Error;
            }
        };
        let Some(len) = &ty.len else { return Ty::Scalar(scalar) };
        let (value, span) = match len {
            ast::ArrayLen::Literal(v, span) => (Some(*v), *span),
            ast::ArrayLen::Const(name) => {
                let scope = Scope { ctx: Ctx::Const, locals: &[] };
                let e = Expr { kind: ExprKind::Name(name.clone()), span: name.span };
                let t = self.expr(&e, &scope);
                match self.fold(&e) {
                    Some(ConstValue::Int(v)) => (Some(i64::from(v)), name.span),
                    _ if t.is_error() => return Ty::Error,
                    _ => {
                        self.report(
                            Diagnostic::error(code::NOT_CONSTANT, "a vector length must be a constant `int`")
                                .primary(name.span, format!("`{}` is not an int const", name.name)),
                        );
                        return Ty::Error;
                    }
                }
            }
        };
        match value {
            Some(n) if (1..=1 << 16).contains(&n) => Ty::Vector(scalar, n as u32),
            _ => {
                self.report(
                    Diagnostic::error(code::BAD_VALUE, "a vector length must be between 1 and 65536")
                        .primary(span, "invalid length"),
                );
                Ty::Error
            }
        }
    }

    fn bound_value(&mut self, bound: &ast::RangeBound) -> Option<ConstValue> {
        let v = match &bound.value {
            ast::BoundValue::Int(i) => ConstValue::Int(i32::try_from(*i).unwrap_or(i32::MAX)),
            ast::BoundValue::Float(f) => ConstValue::F32(*f as f32),
            ast::BoundValue::Const(name) => {
                let scope = Scope { ctx: Ctx::Const, locals: &[] };
                let e = Expr { kind: ExprKind::Name(name.clone()), span: name.span };
                if self.expr(&e, &scope).is_error() {
                    return None;
                }
                self.fold(&e)?
            }
        };
        Some(match (bound.negative, v) {
            (false, v) => v,
            (true, ConstValue::Int(i)) => ConstValue::Int(i.wrapping_neg()),
            (true, ConstValue::F32(f)) => ConstValue::F32(-f),
            (true, b) => b,
        })
    }

    fn check_range(&mut self, range: &ast::RangeExpr, ty: Ty, name: &Ident) {
        let scalar = match ty {
            Ty::Scalar(s) | Ty::Vector(s, _) => s,
            Ty::Criteria => {
                self.report(
                    Diagnostic::error(code::BAD_RANGE, "a `criteria` input has no range")
                        .primary(range.span, "remove this range")
                        .note("verdicts are always in 0.0..=1.0 and weights non-negative"),
                );
                return;
            }
            Ty::Error => return,
        };
        if scalar == Scalar::Bool {
            self.report(
                Diagnostic::error(code::BAD_RANGE, format!("`{}` is a `bool` and cannot have a range", name.name))
                    .primary(range.span, "ranges are for `int` and `f32`"),
            );
            return;
        }
        let (Some(lo), Some(hi)) = (self.bound_value(&range.lo), self.bound_value(&range.hi)) else { return };
        for (bound, value) in [(&range.lo, lo), (&range.hi, hi)] {
            let ok = matches!(
                (scalar, value),
                (Scalar::Int, ConstValue::Int(_)) | (Scalar::F32, ConstValue::Int(_) | ConstValue::F32(_))
            );
            if !ok {
                self.report(
                    Diagnostic::error(
                        code::BAD_RANGE,
                        format!("the range of `{}` does not match its type `{scalar}`", name.name),
                    )
                    .primary(bound.span, format!("this bound is {}", value.ty().with_article()))
                    .help(if scalar == Scalar::Int {
                        "an `int` range has integer bounds, such as `0..=8192`"
                    } else {
                        "use numbers as bounds"
                    }),
                );
                return;
            }
        }
        let (lo, hi) = (lo.as_f32().unwrap_or(0.0), hi.as_f32().unwrap_or(0.0));
        let empty = if range.inclusive { lo > hi } else { lo >= hi };
        if empty || lo.is_nan() || hi.is_nan() {
            let op = if range.inclusive { "..=" } else { ".." };
            self.report(
                Diagnostic::error(code::BAD_RANGE, format!("the range of `{}` is empty", name.name))
                    .primary(range.span, format!("no value lies in {lo}{op}{hi}"))
                    .help("write the lower bound first: `lo..=hi`"),
            );
        }
    }

    fn const_value(&mut self, id: DeclId) -> Option<ConstValue> {
        if let Some(v) = self.consts.get(&id) {
            return *v;
        }
        if !self.in_progress.insert(id) {
            return None; // a cycle: reported by report_cycles
        }
        let DeclKind::Const(c) = &self.decl(id).kind else { return None };
        let scope = Scope { ctx: Ctx::Const, locals: &[] };
        let ty = self.with_owner(id, |ch| ch.expr(&c.value, &scope));
        let mut value = if ty.is_error() { None } else { self.fold(&c.value) };
        let mut final_ty = ty;
        if let Some(declared) = &c.ty {
            let declared_ty = self.resolve_type(declared, false);
            if !ty.assignable_to(declared_ty) {
                self.type_mismatch(c.value.span, declared_ty, ty, "the value");
            } else if declared_ty == Ty::F32 {
                value = value.and_then(|v| v.as_f32()).map(ConstValue::F32);
            }
            final_ty = declared_ty;
        }
        if matches!(final_ty, Ty::Vector(..)) {
            self.report(
                Diagnostic::error(code::TYPE_MISMATCH, "consts are scalars")
                    .primary(c.value.span, format!("this is a `{final_ty}`")),
            );
            final_ty = Ty::Error;
        }
        if value.is_none() && !ty.is_error() {
            self.not_constant(c.value.span, "a const");
        }
        self.in_progress.remove(&id);
        self.consts.insert(id, value);
        self.types.insert(id, value.map_or(final_ty, ConstValue::ty));
        value
    }

    /// The same name (or output) declared a second time, within one construct.
    fn duplicate(&mut self, message: String, again: Span, first: Span, help: Option<&str>) {
        let mut d = Diagnostic::error(code::DUPLICATE, message)
            .primary(again, "declared again here")
            .secondary(first, "first declared here");
        if let Some(help) = help {
            d = d.help(help);
        }
        self.report(d);
    }

    fn not_constant(&mut self, span: Span, what: &str) {
        self.report(
            Diagnostic::error(code::NOT_CONSTANT, format!("{what} must be known at compile time"))
                .primary(span, "this depends on values only known while the program runs")
                .help("use literals, consts and pure built-ins such as `min`, `exp`"),
        );
    }

    /// Evaluates a constant expression. Returns `None` (without reporting)
    /// when it is not constant; the checker has already said why.
    fn fold(&mut self, e: &Expr) -> Option<ConstValue> {
        use ConstValue::*;
        Some(match &e.kind {
            ExprKind::Int(v) => Int(*v as i32),
            ExprKind::Float(v) => F32(*v as f32),
            ExprKind::Bool(b) => Bool(*b),
            ExprKind::Paren(inner) => self.fold(inner)?,
            ExprKind::Name(n) => {
                let id = self.program.lookup(&n.name)?;
                if matches!(self.decl(id).kind, DeclKind::Const(_)) { self.const_value(id)? } else { return None }
            }
            ExprKind::Unary(UnOp::Neg, inner) => match self.fold(inner)? {
                Int(i) => Int(i.wrapping_neg()),
                F32(f) => F32(-f),
                Bool(_) => return None,
            },
            ExprKind::Unary(UnOp::Not, inner) => Bool(!self.fold(inner)?.as_bool()?),
            ExprKind::Binary(op, a, b) => {
                let (a, b) = (self.fold(a)?, self.fold(b)?);
                fold_binary(*op, a, b)?
            }
            ExprKind::Cond(c, a, b) => {
                let (a, b) = (self.fold(a)?, self.fold(b)?);
                let pick = if self.fold(c)?.as_bool()? { a } else { b };
                match (a, b) {
                    (Int(_), F32(_)) | (F32(_), Int(_)) => F32(pick.as_f32()?),
                    _ => pick,
                }
            }
            ExprKind::Call(name, args) => {
                let values: Option<Vec<ConstValue>> = args.iter().map(|a| self.fold(a)).collect();
                fold_call(&name.name, &values?)?
            }
            ExprKind::Member(..) | ExprKind::Index(..) | ExprKind::Gated(..) => return None,
        })
    }

    // ---- expressions -----------------------------------------------------------

    fn type_mismatch(&mut self, span: Span, expected: Ty, found: Ty, what: &str) {
        if expected.is_error() || found.is_error() {
            return;
        }
        let mut d = Diagnostic::error(code::TYPE_MISMATCH, format!("expected `{expected}`, found `{found}`"))
            .primary(span, format!("{what} is {}", found.with_article()));
        if expected == Ty::INT && found == Ty::F32 {
            d = d.help("`f32` does not convert to `int` implicitly");
        } else if expected == Ty::BOOL && found.is_numeric() {
            d = d.help("compare it to get a `bool`, for example `x > 0`");
        } else if expected.is_numeric() && found == Ty::BOOL {
            d = d.help("`bool` does not convert to a number: write `if c then 1.0 else 0.0`");
        }
        self.report(d);
    }

    fn expect(&mut self, e: &Expr, scope: &Scope<'_>, expected: Ty, what: &str) -> Ty {
        let t = self.expr(e, scope);
        if !t.assignable_to(expected) {
            self.type_mismatch(e.span, expected, t, what);
        }
        t
    }

    fn expect_numeric(&mut self, e: &Expr, scope: &Scope<'_>, what: &str) -> Ty {
        let t = self.expr(e, scope);
        if !t.is_numeric() {
            self.report_not_numeric(e.span, t, what);
            return Ty::Error;
        }
        t
    }

    fn report_not_numeric(&mut self, span: Span, t: Ty, what: &str) {
        let mut d = Diagnostic::error(code::TYPE_MISMATCH, format!("expected a number, found `{t}`"))
            .primary(span, format!("{what} is {}", t.with_article()));
        d = match t {
            Ty::Scalar(Scalar::Bool) => d.help("`bool` does not convert to a number: write `if c then 1.0 else 0.0`"),
            Ty::Vector(..) => {
                d.help("vectors are not arithmetic operands: index them (`v[0]`) or reduce them (`sum(v)`, `mean(v)`)")
            }
            _ => d,
        };
        self.report(d);
    }

    fn expr(&mut self, e: &Expr, scope: &Scope<'_>) -> Ty {
        match &e.kind {
            ExprKind::Int(v) => {
                if *v > i64::from(i32::MAX) {
                    self.report(
                        Diagnostic::error(code::BAD_LITERAL, format!("integer literal `{v}` does not fit in `int`"))
                            .primary(e.span, "out of range")
                            .note("`int` is a 32-bit signed integer: -2147483648..=2147483647"),
                    );
                    return Ty::Error;
                }
                Ty::INT
            }
            ExprKind::Float(_) => Ty::F32,
            ExprKind::Bool(_) => Ty::BOOL,
            ExprKind::Paren(inner) => self.expr(inner, scope),
            ExprKind::Name(name) => self.name(name, scope),
            ExprKind::Unary(UnOp::Neg, inner) => {
                if matches!(inner.kind, ExprKind::Int(v) if v == i64::from(i32::MAX) + 1) {
                    return Ty::INT;
                }
                self.expect_numeric(inner, scope, "the operand of `-`")
            }
            ExprKind::Unary(UnOp::Not, inner) => {
                self.expect(inner, scope, Ty::BOOL, "the operand of `!`");
                Ty::BOOL
            }
            ExprKind::Binary(op, a, b) => self.binary(*op, a, b, scope),
            ExprKind::Cond(c, a, b) => {
                self.expect(c, scope, Ty::BOOL, "the condition");
                let (ta, tb) = (self.expr(a, scope), self.expr(b, scope));
                if ta.is_error() || tb.is_error() {
                    return Ty::Error;
                }
                if ta == tb && !matches!(ta, Ty::Vector(..)) {
                    return ta;
                }
                if ta.is_numeric() && tb.is_numeric() {
                    return Ty::numeric_join(ta, tb);
                }
                self.report(
                    Diagnostic::error(
                        code::TYPE_MISMATCH,
                        format!("the branches have different types, `{ta}` and `{tb}`"),
                    )
                    .primary(b.span, format!("this is {}", tb.with_article()))
                    .secondary(a.span, format!("this is {}", ta.with_article()))
                    .help("both branches of a conditional must have the same type"),
                );
                Ty::Error
            }
            ExprKind::Call(name, args) => self.call(name, args, e.span, scope),
            ExprKind::Member(base, member, args) => self.member(base, member, args.as_deref(), e.span, scope),
            ExprKind::Index(base, index) => {
                let t = self.expr(base, scope);
                let it = self.expr(index, &Scope { ctx: Ctx::Const, locals: scope.locals });
                let Ty::Vector(elem, len) = t else {
                    if !t.is_error() {
                        self.report(
                            Diagnostic::error(
                                code::TYPE_MISMATCH,
                                format!("only vectors can be indexed, this is {}", t.with_article()),
                            )
                            .primary(base.span, "not a vector"),
                        );
                    }
                    return Ty::Error;
                };
                if it.is_error() {
                    return Ty::Scalar(elem);
                }
                match self.fold(index) {
                    Some(ConstValue::Int(i)) if i >= 0 && (i as u32) < len => {}
                    Some(ConstValue::Int(i)) => self.report(
                        Diagnostic::error(
                            code::INDEX_RANGE,
                            format!("index {i} is out of range for a vector of length {len}"),
                        )
                        .primary(index.span, format!("valid indices are 0..{len}")),
                    ),
                    _ => self.report(
                        Diagnostic::error(code::NOT_CONSTANT, "a vector index must be a constant `int`")
                            .primary(index.span, "not a constant int")
                            .help("vectors allow only constant indices, reductions (`sum`, `mean`, ...) and `count`"),
                    ),
                }
                Ty::Scalar(elem)
            }
            ExprKind::Gated(c, body) => {
                if scope.ctx != Ctx::Value {
                    self.not_allowed(e.span, "`gated`", scope.ctx);
                }
                self.expect(c, scope, Ty::BOOL, "the gate condition");
                let t = self.expect_numeric(body, scope, "the gated term");
                if t.is_error() { Ty::Error } else { t }
            }
        }
    }

    fn not_allowed(&mut self, span: Span, what: &str, ctx: Ctx) {
        let code = if ctx == Ctx::Const { code::NOT_CONSTANT } else { code::GUARD_NAME };
        let message = if ctx == Ctx::Const {
            format!("{what} is not a constant")
        } else {
            format!("{what} cannot be used {}", ctx.place())
        };
        self.report(Diagnostic::error(code, message).primary(span, "not allowed here").help(ctx.allowed().to_string()));
    }

    fn binary(&mut self, op: BinOp, a: &Expr, b: &Expr, scope: &Scope<'_>) -> Ty {
        let is_comparison = |e: &Expr| matches!(&e.kind, ExprKind::Binary(o, _, _) if o.is_comparison());
        if op.is_comparison() && (is_comparison(a) || is_comparison(b)) {
            // A chained comparison, reported by the parser: check the operands only.
            self.expr(a, scope);
            self.expr(b, scope);
            return Ty::BOOL;
        }
        if op.is_logical() {
            self.expect(a, scope, Ty::BOOL, &format!("the left operand of `{}`", op.symbol()));
            self.expect(b, scope, Ty::BOOL, &format!("the right operand of `{}`", op.symbol()));
            return Ty::BOOL;
        }
        let (ta, tb) = (self.expr(a, scope), self.expr(b, scope));
        if ta.is_error() || tb.is_error() {
            return if op.is_comparison() { Ty::BOOL } else { Ty::Error };
        }
        if matches!(op, BinOp::Eq | BinOp::Ne) && ta == Ty::BOOL && tb == Ty::BOOL {
            return Ty::BOOL;
        }
        let mut ok = true;
        for (t, side, e) in [(ta, "left", a), (tb, "right", b)] {
            if !t.is_numeric() {
                self.report_not_numeric(e.span, t, &format!("the {side} operand of `{}`", op.symbol()));
                ok = false;
            }
        }
        if op.is_comparison() {
            return Ty::BOOL;
        }
        if !ok {
            return Ty::Error;
        }
        if op == BinOp::Div { Ty::F32 } else { Ty::numeric_join(ta, tb) }
    }

    fn add_edge(&mut self, to: DeclId, span: Span) {
        if let Some(from) = self.owner
            && self.prev_depth == 0
        {
            self.edges.push((from, to, span));
        }
    }

    fn name(&mut self, name: &Ident, scope: &Scope<'_>) -> Ty {
        if let Some((_, t)) = scope.locals.iter().find(|(n, _)| *n == name.name) {
            return *t;
        }
        let Some(id) = self.program.lookup(&name.name) else {
            if builtins::VALUES.contains(&name.name.as_str()) {
                if scope.ctx != Ctx::Value {
                    self.not_allowed(name.span, &format!("`{}`", name.name), scope.ctx);
                }
                return if name.name == "steps" { Ty::INT } else { Ty::BOOL };
            }
            self.unknown_name(name, scope);
            return Ty::Error;
        };
        if self.program.unparsed_names.contains(&name.name) {
            return Ty::Error; // declared twice: reported at the declaration
        }
        let decl = self.decl(id);
        let ctx = scope.ctx;
        let what = format!("{} `{}`", decl.kind.describe(), name.name);
        let allowed = match (&decl.kind, ctx) {
            (DeclKind::Const(_), _) => true,
            (_, Ctx::Const) => false,
            (DeclKind::Param(_) | DeclKind::Multiplier(_), _) => true,
            (DeclKind::Prop | DeclKind::Input(_), Ctx::Value | Ctx::Guard | Ctx::Formula) => true,
            (DeclKind::Let(_), Ctx::Value) => true,
            (DeclKind::Machine(_) | DeclKind::Formula(_) | DeclKind::Criteria(_) | DeclKind::Fn(_), _) => {
                self.not_a_value(id, name);
                return Ty::Error;
            }
            _ => false,
        };
        if !allowed {
            self.not_allowed(name.span, &what, ctx);
            return Ty::Error;
        }
        match &decl.kind {
            DeclKind::Const(_) => {
                self.add_edge(id, name.span);
                self.const_value(id);
                self.types.get(&id).copied().unwrap_or(Ty::Error)
            }
            DeclKind::Let(_) => {
                self.add_edge(id, name.span);
                self.let_type(id)
            }
            DeclKind::Input(_) => {
                let t = self.types.get(&id).copied().unwrap_or(Ty::Error);
                if t == Ty::Criteria {
                    self.report(
                        Diagnostic::error(code::NOT_A_VALUE, format!("criteria input `{}` is not a value", name.name))
                            .primary(name.span, "a checklist, not a number")
                            .help(format!("use `{0}.score`, `{0}.all` or `{0}.failed`", name.name)),
                    );
                    return Ty::Error;
                }
                t
            }
            _ => self.types.get(&id).copied().unwrap_or(Ty::Error),
        }
    }

    fn unknown_name(&mut self, name: &Ident, scope: &Scope<'_>) {
        if self.program.unparsed_names.contains(&name.name) {
            return; // its declaration has a syntax error, reported already
        }
        let mut candidates: Vec<&str> = scope.locals.iter().map(|(n, _)| n.as_str()).collect();
        candidates.extend(self.program.decls.iter().map(|d| d.name.name.as_str()));
        candidates.extend(builtins::VALUES);
        let mut d = Diagnostic::error(code::UNKNOWN_NAME, format!("unknown name `{}`", name.name))
            .primary(name.span, "not declared");
        if self.program.failed_import {
            d = d.note("an import above failed; it may have declared this name");
        }
        let python = match name.name.as_str() {
            "True" | "TRUE" => Some("booleans are written `true` and `false`".to_string()),
            "False" | "FALSE" => Some("booleans are written `false` and `true`".to_string()),
            "None" | "null" | "nil" => Some("rw has no null value: every value is a number or a bool".to_string()),
            _ => None,
        };
        if let Some(help) = python {
            d = d.help(help);
        } else if let Some(s) = suggest::closest(&name.name, candidates) {
            d = d.help(format!("did you mean `{s}`?"));
        } else if scope.ctx == Ctx::Guard || scope.ctx == Ctx::Formula {
            d = d.help(format!("declare it with `props {}` (or as an input)", name.name));
        } else {
            d = d.help(format!("declare it, for example `input {}: f32` or `let {} = ...`", name.name, name.name));
        }
        self.report(d);
    }

    fn not_a_value(&mut self, id: DeclId, name: &Ident) {
        let decl = self.decl(id);
        let help = match &decl.kind {
            DeclKind::Machine(_) => format!(
                "use a member: `{0}.reward`, `{0}.state`, `{0}.terminal`, `{0}.distance` or `{0}.in(STATE)`",
                name.name
            ),
            DeclKind::Formula(f) if f.kind == ast::FormulaKind::Ltl => {
                format!("use a member: `{0}.accepting`, `{0}.rejecting`, `{0}.distance` or `{0}.state`", name.name)
            }
            DeclKind::Formula(_) => {
                format!("use a member: `{0}.sat`, `{0}.violated`, `{0}.distance` or `{0}.state`", name.name)
            }
            DeclKind::Criteria(_) => format!("use `{0}.score`, `{0}.all` or `{0}.failed`", name.name),
            _ => format!("call it: `{}(...)`", name.name),
        };
        self.report(
            Diagnostic::error(code::NOT_A_VALUE, format!("{} `{}` is not a value", decl.kind.describe(), name.name))
                .primary(name.span, "used as a value here")
                .secondary(decl.name.span, "declared here")
                .help(help),
        );
    }

    fn let_type(&mut self, id: DeclId) -> Ty {
        if let Some(t) = self.types.get(&id) {
            return *t;
        }
        if !self.in_progress.insert(id) {
            return Ty::Error; // a cycle: reported by report_cycles
        }
        let DeclKind::Let(l) = &self.decl(id).kind else { return Ty::Error };
        let scope = Scope { ctx: Ctx::Value, locals: &[] };
        let t = self.with_owner(id, |c| c.expr(&l.value, &scope));
        self.in_progress.remove(&id);
        self.types.insert(id, t);
        t
    }

    fn arity(&mut self, name: &Ident, span: Span, expected: &str, found: usize) {
        self.report(
            Diagnostic::error(code::ARITY, format!("`{}` takes {expected}, found {found}", name.name))
                .primary(span, format!("{found} argument{} given", if found == 1 { "" } else { "s" }))
                .help(format!("the signature is `{}`", builtins::signature(&name.name))),
        );
    }

    /// A call to a declared `fn` or pattern with the wrong number of arguments.
    fn declared_arity(&mut self, what: &str, expected: usize, found: usize, span: Span, declared: Span) {
        let plural = if expected == 1 { "" } else { "s" };
        self.report(
            Diagnostic::error(code::ARITY, format!("{what} takes {expected} argument{plural}, found {found}"))
                .primary(span, "wrong number of arguments")
                .secondary(declared, "declared here"),
        );
    }

    fn call(&mut self, name: &Ident, args: &[Expr], span: Span, scope: &Scope<'_>) -> Ty {
        // A user `fn` takes precedence over a built-in of the same name.
        if let Some(id) = self.program.lookup(&name.name) {
            if let DeclKind::Fn(f) = &self.decl(id).kind {
                return self.call_fn(id, f, name, args, span, scope);
            }
            if let DeclKind::Formula(f) = &self.decl(id).kind
                && f.is_pattern()
            {
                return self.call_pattern(id, f, name, args, span, scope);
            }
            if !builtins::FUNCTIONS.contains(&name.name.as_str()) {
                let decl = self.decl(id);
                self.report(
                    Diagnostic::error(
                        code::UNKNOWN_FUNCTION,
                        format!("`{}` is a {}, not a function", name.name, decl.kind.describe()),
                    )
                    .primary(name.span, "called here")
                    .secondary(decl.name.span, "declared here"),
                );
                args.iter().for_each(|a| {
                    self.expr(a, scope);
                });
                return Ty::Error;
            }
        }
        let n = name.name.as_str();
        if !builtins::FUNCTIONS.contains(&n) && self.program.unparsed_names.contains(n) {
            args.iter().for_each(|a| {
                self.expr(a, scope);
            });
            return Ty::Error;
        }
        if !builtins::FUNCTIONS.contains(&n) {
            let fns =
                self.program.decls.iter().filter(|d| matches!(d.kind, DeclKind::Fn(_))).map(|d| d.name.name.as_str());
            let candidates: Vec<&str> = builtins::FUNCTIONS.iter().copied().chain(fns).collect();
            let mut d = Diagnostic::error(code::UNKNOWN_FUNCTION, format!("unknown function `{n}`"))
                .primary(name.span, "not a built-in or a `fn`");
            if n == "gated" {
                d = d.help("`gated` takes a block: `gated(condition) { term }`");
            } else if let Some(s) = suggest::closest(n, candidates) {
                d = d.help(format!("did you mean `{s}`?"));
            } else {
                d = d.help("declare it with `fn NAME(x: f32) -> f32 = ...`");
            }
            self.report(d);
            args.iter().for_each(|a| {
                self.expr(a, scope);
            });
            return Ty::Error;
        }
        if builtins::is_stateful(n) && scope.ctx != Ctx::Value {
            self.not_allowed(span, &format!("`{n}`"), scope.ctx);
        }
        if n == "prev" {
            self.prev_depth += 1;
        }
        let types: Vec<Ty> = args.iter().map(|a| self.expr(a, scope)).collect();
        if n == "prev" {
            self.prev_depth -= 1;
        }
        if types.iter().any(|t| t.is_error()) {
            return match n {
                "count" | "rank" | "div" | "rem" | "batch_rank" | "batch_group_rank" => Ty::INT,
                "exp" | "log" | "sqrt" | "sigmoid" | "tanh" | "mean" | "var" | "std" | "group_mean" | "group_std"
                | "group_std_unbiased" | "batch_mean" | "batch_std" | "batch_std_unbiased" => Ty::F32,
                "batch_group_top" => Ty::BOOL,
                _ => Ty::Error,
            };
        }
        let numeric_arg = |c: &mut Self, i: usize| -> bool {
            if types[i].is_numeric() {
                true
            } else {
                c.report_not_numeric(args[i].span, types[i], &format!("argument {} of `{n}`", i + 1));
                false
            }
        };
        // The common numeric type of all arguments, or an error on the first non-number.
        let join_numeric = |c: &mut Self| -> Ty {
            let mut joined = Ty::INT;
            for (i, t) in types.iter().enumerate() {
                if !t.is_numeric() {
                    c.report_not_numeric(args[i].span, *t, &format!("argument {} of `{n}`", i + 1));
                    return Ty::Error;
                }
                joined = Ty::numeric_join(joined, *t);
            }
            joined
        };
        match n {
            "min" | "max" => match types.as_slice() {
                [] => {
                    self.arity(name, span, "a vector or at least two numbers", 0);
                    Ty::Error
                }
                [Ty::Vector(s, _)] if *s != Scalar::Bool => Ty::Scalar(*s),
                [_] => {
                    self.report(
                        Diagnostic::error(
                            code::TYPE_MISMATCH,
                            format!("`{n}` of one argument takes a numeric vector, found `{}`", types[0]),
                        )
                        .primary(args[0].span, "not a numeric vector")
                        .help(format!("`{n}(a, b)` compares two numbers")),
                    );
                    Ty::Error
                }
                _ => join_numeric(self),
            },
            "batch_group_top" => {
                if types.len() != 2 {
                    self.arity(name, span, "2 arguments", types.len());
                    return Ty::Error;
                }
                join_numeric(self);
                Ty::BOOL
            }
            "clamp" | "abs" | "exp" | "log" | "sqrt" | "sigmoid" | "tanh" | "total" | "group_mean" | "group_max"
            | "group_min" | "group_std" | "group_std_unbiased" | "rank" | "batch_mean" | "batch_std"
            | "batch_std_unbiased" | "batch_rank" | "batch_group_rank" => {
                let want = if n == "clamp" { 3 } else { 1 };
                if types.len() != want {
                    self.arity(name, span, if want == 3 { "3 arguments" } else { "1 argument" }, types.len());
                    return Ty::Error;
                }
                let t = join_numeric(self);
                match n {
                    "exp" | "log" | "sqrt" | "sigmoid" | "tanh" | "group_mean" | "group_std" | "group_std_unbiased"
                    | "batch_mean" | "batch_std" | "batch_std_unbiased" => Ty::F32,
                    "rank" | "batch_rank" | "batch_group_rank" => Ty::INT,
                    _ => t,
                }
            }
            "step" => {
                if types.len() != 2 {
                    self.arity(name, span, "2 arguments", types.len());
                    return Ty::Error;
                }
                if !types[0].is_bool() {
                    self.type_mismatch(args[0].span, Ty::BOOL, types[0], "the condition");
                }
                if numeric_arg(self, 1) { types[1] } else { Ty::Error }
            }
            "sum" | "mean" | "var" | "std" => {
                if types.len() != 1 {
                    self.arity(name, span, "1 argument", types.len());
                    return Ty::Error;
                }
                match types[0] {
                    Ty::Vector(s, _) if s != Scalar::Bool => {
                        if n == "sum" {
                            Ty::Scalar(s)
                        } else {
                            Ty::F32
                        }
                    }
                    t => {
                        let mut d = Diagnostic::error(
                            code::TYPE_MISMATCH,
                            format!("`{n}` takes a numeric vector, found `{t}`"),
                        )
                        .primary(args[0].span, "not a numeric vector");
                        if t == Ty::Vector(Scalar::Bool, 0) || matches!(t, Ty::Vector(Scalar::Bool, _)) {
                            d = d.help("count true elements with `count(v)`");
                        }
                        self.report(d);
                        Ty::Error
                    }
                }
            }
            "count" => {
                match types.as_slice() {
                    [] => self.arity(name, span, "at least one argument", 0),
                    [Ty::Vector(Scalar::Bool, _)] => {}
                    _ => {
                        for (i, t) in types.iter().enumerate() {
                            if *t != Ty::BOOL {
                                self.type_mismatch(
                                    args[i].span,
                                    Ty::BOOL,
                                    *t,
                                    &format!("argument {} of `count`", i + 1),
                                );
                            }
                        }
                    }
                }
                Ty::INT
            }
            "div" | "rem" => {
                if types.len() != 2 {
                    self.arity(name, span, "2 arguments", types.len());
                } else {
                    for i in 0..2 {
                        if types[i] != Ty::INT {
                            self.type_mismatch(
                                args[i].span,
                                Ty::INT,
                                types[i],
                                &format!("argument {} of `{n}`", i + 1),
                            );
                        }
                    }
                }
                Ty::INT
            }
            "prev" => match types.as_slice() {
                [t] | [t, _] if matches!(t, Ty::Vector(..)) => {
                    self.report(
                        Diagnostic::error(code::TYPE_MISMATCH, "`prev` takes a scalar")
                            .primary(args[0].span, format!("this is a `{t}`"))
                            .help("take `prev` of an element or a reduction: `prev(v[0])`, `prev(sum(v))`"),
                    );
                    Ty::Error
                }
                [t] => *t,
                [t, d] => {
                    if !d.assignable_to(*t) {
                        self.type_mismatch(args[1].span, *t, *d, "the default");
                    }
                    *t
                }
                _ => {
                    self.arity(name, span, "1 or 2 arguments", types.len());
                    Ty::Error
                }
            },
            _ => Ty::Error,
        }
    }

    fn call_fn(
        &mut self,
        id: DeclId,
        f: &'p ast::FnDecl,
        name: &Ident,
        args: &[Expr],
        span: Span,
        scope: &Scope<'_>,
    ) -> Ty {
        if scope.ctx == Ctx::Const {
            self.not_allowed(span, &format!("a call to `fn {}`", name.name), Ctx::Const);
        }
        self.add_edge(id, name.span);
        let types: Vec<Ty> = args.iter().map(|a| self.expr(a, scope)).collect();
        if types.len() != f.params.len() {
            self.declared_arity(&format!("`{}`", name.name), f.params.len(), types.len(), span, f.name.span);
            return self.fn_return(f);
        }
        for (i, ((pname, pty), t)) in f.params.iter().zip(&types).enumerate() {
            let expected = self.resolve_type_quiet(pty);
            if !t.assignable_to(expected) {
                self.report(
                    Diagnostic::error(
                        code::TYPE_MISMATCH,
                        format!("argument {} of `{}` must be `{expected}`, found `{t}`", i + 1, name.name),
                    )
                    .primary(args[i].span, format!("this is {}", t.with_article()))
                    .secondary(pname.span, format!("parameter `{}` declared here", pname.name)),
                );
            }
        }
        self.fn_return(f)
    }

    /// A declared type, without reporting (the declaration reports its own errors).
    fn resolve_type_quiet(&mut self, ty: &ast::TypeExpr) -> Ty {
        let before = self.diagnostics.len();
        let t = self.resolve_type(ty, false);
        self.diagnostics.truncate(before);
        t
    }

    fn fn_return(&mut self, f: &ast::FnDecl) -> Ty {
        self.resolve_type_quiet(&f.ret)
    }

    fn member(&mut self, base: &Expr, member: &Ident, args: Option<&[Expr]>, span: Span, scope: &Scope<'_>) -> Ty {
        let target = match &base.strip_parens().kind {
            ExprKind::Name(n) if !scope.locals.iter().any(|(l, _)| *l == n.name) => {
                self.program.lookup(&n.name).map(|id| (id, n))
            }
            _ => None,
        };
        let Some((id, base_name)) = target else {
            let t = self.expr(base, scope);
            if !t.is_error() {
                self.report(
                    Diagnostic::error(code::UNKNOWN_MEMBER, format!("a `{t}` value has no member `{}`", member.name))
                        .primary(member.span, "no such member")
                        .help("members exist on machines, formulas and criteria lists"),
                );
            }
            return Ty::Error;
        };
        let decl = self.decl(id);
        if let DeclKind::Formula(f) = &decl.kind
            && f.is_pattern()
        {
            self.report(
                Diagnostic::error(
                    code::NOT_A_VALUE,
                    format!("`{}` is a formula pattern, not an automaton", base_name.name),
                )
                .primary(span, "a pattern has no members")
                .help(format!(
                    "instantiate it: `ltlf mine = {}(...)`, then use `mine.{}`",
                    base_name.name, member.name
                )),
            );
            return Ty::Error;
        }
        let members: &[&str] = match &decl.kind {
            DeclKind::Machine(_) => &["reward", "state", "in", "terminal", "distance", "value"],
            DeclKind::Formula(f) if f.kind == ast::FormulaKind::Ltl => &["accepting", "rejecting", "distance", "state"],
            DeclKind::Formula(_) => &["sat", "violated", "distance", "state"],
            DeclKind::Criteria(_) => &["score", "all", "failed"],
            DeclKind::Input(_) if self.types.get(&id) == Some(&Ty::Criteria) => &["score", "all", "failed"],
            _ => {
                let t = self.expr(base, scope);
                if !t.is_error() {
                    self.report(
                        Diagnostic::error(
                            code::UNKNOWN_MEMBER,
                            format!("{} `{}` has no members", decl.kind.describe(), base_name.name),
                        )
                        .primary(member.span, format!("`.{}` on a `{t}` value", member.name))
                        .help("members exist on machines, formulas and criteria lists"),
                    );
                }
                return Ty::Error;
            }
        };
        if !members.contains(&member.name.as_str()) {
            let mut d = Diagnostic::error(
                code::UNKNOWN_MEMBER,
                format!("{} `{}` has no member `{}`", decl.kind.describe(), base_name.name, member.name),
            )
            .primary(member.span, "unknown member");
            d = match suggest::closest(&member.name, members.iter().copied()) {
                Some(s) => d.help(format!("did you mean `{}.{s}`?", base_name.name)),
                None => d.help(format!(
                    "available: {}",
                    members.iter().map(|m| format!("`{m}`")).collect::<Vec<_>>().join(", ")
                )),
            };
            self.report(d);
            return Ty::Error;
        }
        let is_automaton = matches!(decl.kind, DeclKind::Machine(_) | DeclKind::Formula(_));
        // A machine guard may read an `ltlf` formula: formulas read only
        // inputs, so the formula steps first and no cycle can arise.
        let formula_in_guard = scope.ctx == Ctx::Guard && matches!(decl.kind, DeclKind::Formula(_));
        if is_automaton && scope.ctx != Ctx::Value && !formula_in_guard {
            self.not_allowed(span, &format!("`{}.{}`", base_name.name, member.name), scope.ctx);
            return Ty::Error;
        }
        if !is_automaton && !matches!(scope.ctx, Ctx::Value) {
            self.not_allowed(span, &format!("`{}.{}`", base_name.name, member.name), scope.ctx);
            return Ty::Error;
        }
        if member.name == "value" {
            // `m.value(gamma)`: the optimal value by value iteration, a
            // table over states; gamma a constant in (0, 1].
            let gamma = match args {
                Some([g]) => crate::sema::const_number(g, self.program),
                _ => None,
            };
            match gamma {
                Some(g) if g > 0.0 && g <= 1.0 => {}
                _ => {
                    self.report(
                        Diagnostic::error(
                            code::ARITY,
                            format!("`{}.value` takes one constant discount in (0, 1]", base_name.name),
                        )
                        .primary(span, "write `.value(0.9)`")
                        .help("the value of each state by value iteration over the machine with that discount"),
                    );
                }
            }
            // Computed from the machine's edge rewards.
            self.add_edge(id, base_name.span);
            return Ty::F32;
        }
        let takes_args = member.name == "in";
        match (takes_args, args) {
            (true, Some([arg])) => {
                let state_ok = match &arg.strip_parens().kind {
                    ExprKind::Name(s) => {
                        let states = self.machine_states.get(&id).cloned().unwrap_or_default();
                        if !states.contains(&s.name) {
                            let mut d = Diagnostic::error(
                                code::UNKNOWN_STATE,
                                format!("machine `{}` has no state `{}`", base_name.name, s.name),
                            )
                            .primary(s.span, "unknown state")
                            .secondary(decl.name.span, "machine declared here");
                            d = match suggest::closest(&s.name, states.iter().map(String::as_str)) {
                                Some(x) => d.help(format!("did you mean `{x}`?")),
                                None => d.help(format!("its states are: {}", states.join(", "))),
                            };
                            self.report(d);
                        }
                        true
                    }
                    _ => false,
                };
                if !state_ok {
                    self.report(
                        Diagnostic::error(code::UNKNOWN_STATE, "`in` takes the name of a state")
                            .primary(arg.span, "not a state name")
                            .help(format!("write `{}.in(u1)`", base_name.name)),
                    );
                }
            }
            (true, _) => {
                self.report(
                    Diagnostic::error(code::ARITY, format!("`{}.in` takes one state name", base_name.name))
                        .primary(span, "write `.in(STATE)`"),
                );
                return Ty::BOOL;
            }
            (false, Some(_)) => {
                self.report(
                    Diagnostic::error(code::ARITY, format!("`{}.{}` is not a function", base_name.name, member.name))
                        .primary(span, "remove the parentheses"),
                );
                return Ty::Error;
            }
            (false, None) => {}
        }
        if member.name == "reward" {
            // The machine's edge rewards are computed with this value.
            self.add_edge(id, base_name.span);
        }
        match member.name.as_str() {
            "reward" | "score" => Ty::F32,
            "state" | "distance" | "failed" => Ty::INT,
            _ => Ty::BOOL,
        }
    }

    // ---- machines, formulas, criteria, functions ---------------------------------

    /// States numbered by `states`, or by first appearance with the start first.
    fn machine_state_order(&mut self, m: &ast::Machine) -> Vec<String> {
        let mut mentions: Vec<&Ident> = Vec::new();
        for e in &m.edges {
            mentions.extend(e.from.iter());
            mentions.push(&e.to);
        }
        mentions.extend(m.terminal.iter());
        mentions.sort_by_key(|i| i.span.start);
        let mut order: Vec<String> = Vec::new();
        if let Some(list) = &m.states {
            let mut seen: HashMap<&str, Span> = HashMap::new();
            for s in list {
                if let Some(first) = seen.insert(&s.name, s.span) {
                    self.duplicate(format!("state `{}` is listed twice", s.name), s.span, first, None);
                } else {
                    order.push(s.name.clone());
                }
            }
            for s in m.start.iter().chain(mentions.iter().copied()) {
                if !seen.contains_key(s.name.as_str()) {
                    self.report(
                        Diagnostic::error(
                            code::UNKNOWN_STATE,
                            format!("state `{}` is not in the `states` list of `{}`", s.name, m.name.name),
                        )
                        .primary(s.span, "not listed")
                        .secondary(list[0].span.to(list[list.len() - 1].span), "the `states` list")
                        .help("when `states` is given it must list every state"),
                    );
                    seen.insert(&s.name, s.span);
                }
            }
            return order;
        }
        for s in m.start.iter().take(1).chain(mentions) {
            if !order.contains(&s.name) {
                order.push(s.name.clone());
            }
        }
        order
    }

    fn check_machine(&mut self, id: DeclId, m: &'p ast::Machine) {
        match m.start.as_slice() {
            [] => self.report(
                Diagnostic::error(code::MACHINE_START, format!("machine `{}` has no start state", m.name.name))
                    .primary(m.name.span, "no `start` here")
                    .help("add `start STATE` as the first line of the machine"),
            ),
            [_] => {}
            [first, second, ..] => self.report(
                Diagnostic::error(
                    code::MACHINE_START,
                    format!("machine `{}` has more than one start state", m.name.name),
                )
                .primary(second.span, "second `start`")
                .secondary(first.span, "first `start`")
                .help("a machine starts in exactly one state"),
            ),
        }
        let mut terminal: HashMap<&str, Span> = HashMap::new();
        for t in &m.terminal {
            if let Some(first) = terminal.insert(&t.name, t.span) {
                self.duplicate(format!("state `{}` is marked terminal twice", t.name), t.span, first, None);
            }
        }
        let guard_scope = Scope { ctx: Ctx::Guard, locals: &[] };
        let value_scope = Scope { ctx: Ctx::Value, locals: &[] };
        for edge in &m.edges {
            if let Some(from) = &edge.from
                && let Some(t) = terminal.get(from.name.as_str())
            {
                self.report(
                    Diagnostic::error(code::TERMINAL_EDGE, format!("edge out of terminal state `{}`", from.name))
                        .primary(edge.from_span, "this edge leaves a terminal state")
                        .secondary(*t, "marked terminal here")
                        .note("terminal states absorb: the machine stays there with reward 0")
                        .help("remove the edge, or remove the state from `terminal`"),
                );
            }
            self.with_owner(id, |c| {
                c.expect(&edge.guard, &guard_scope, Ty::BOOL, "the guard");
                if let Some(r) = &edge.reward {
                    c.expect_numeric(r, &value_scope, "the edge reward");
                }
            });
        }
    }

    /// Checks a formula; a pattern's parameters are bool `locals`.
    fn formula(&mut self, f: &Formula, locals: &[(String, Ty)]) {
        match &f.kind {
            FKind::True | FKind::False | FKind::Last => {}
            FKind::Atom(e) => {
                let scope = Scope { ctx: Ctx::Formula, locals };
                self.expect(e, &scope, Ty::BOOL, "a formula atom");
            }
            FKind::Unary(_, inner) | FKind::Paren(inner) => self.formula(inner, locals),
            FKind::Binary(_, a, b) => {
                self.formula(a, locals);
                self.formula(b, locals);
            }
        }
    }

    /// `response(request, grant)` inside a formula: a pattern instantiated.
    fn call_pattern(
        &mut self,
        id: DeclId,
        f: &'p ast::FormulaDecl,
        name: &Ident,
        args: &[Expr],
        span: Span,
        scope: &Scope<'_>,
    ) -> Ty {
        if scope.ctx != Ctx::Formula {
            self.report(
                Diagnostic::error(
                    code::NOT_A_VALUE,
                    format!("formula pattern `{}` can only be used inside `ltlf` and `ltl` formulas", name.name),
                )
                .primary(span, "used here")
                .secondary(f.name.span, "pattern declared here")
                .help(format!("instantiate it: `ltlf mine = {}(...)`, then use `mine.sat`", name.name)),
            );
            return Ty::Error;
        }
        self.add_edge(id, name.span);
        if args.len() != f.params.len() {
            self.declared_arity(&format!("pattern `{}`", name.name), f.params.len(), args.len(), span, f.name.span);
        }
        for a in args {
            self.expect(a, scope, Ty::BOOL, "a pattern argument");
        }
        Ty::BOOL
    }

    fn const_ref(&mut self, r: &ast::ConstRef) -> Option<f32> {
        match r {
            ast::ConstRef::Negated(inner, _) => self.const_ref(inner).map(|v| -v),
            ast::ConstRef::Int(i, _) => Some(*i as f32),
            ast::ConstRef::Float(f, _) => Some(*f as f32),
            ast::ConstRef::Name(n) => {
                let scope = Scope { ctx: Ctx::Const, locals: &[] };
                let e = Expr { kind: ExprKind::Name(n.clone()), span: n.span };
                if self.expr(&e, &scope).is_error() {
                    return None;
                }
                let v = self.fold(&e).and_then(ConstValue::as_f32);
                if v.is_none() {
                    self.not_constant(n.span, "this value");
                }
                v
            }
        }
    }

    fn check_criteria(&mut self, c: &'p ast::CriteriaDecl) {
        let mut seen: HashMap<&str, Span> = HashMap::new();
        for item in &c.items {
            if let Some(first) = seen.insert(&item.input.name, item.input.span) {
                let message = format!("criteria item `{}` appears twice in `{}`", item.input.name, c.name.name);
                self.duplicate(message, item.input.span, first, None);
            }
            if let Some(w) = &item.weight
                && let Some(v) = self.const_ref(w)
                && (v.is_nan() || v < 0.0 || v.is_infinite())
            {
                self.report(
                    Diagnostic::error(code::BAD_VALUE, format!("criteria weight {v} is negative"))
                        .primary(w.span(), "weights are non-negative")
                        .help("a weight of 0 keeps the item without counting it in the score"),
                );
            }
            let verdict = self.program.lookup(&item.input.name).map(|id| (id, self.decl(id)));
            let problem = match verdict {
                None => {
                    let inputs = self
                        .program
                        .decls
                        .iter()
                        .filter(|d| matches!(d.kind, DeclKind::Input(_)))
                        .map(|d| d.name.name.as_str());
                    let mut d = Diagnostic::error(
                        code::CRITERIA_INPUT,
                        format!("criteria item `{}` has no verdict input", item.input.name),
                    )
                    .primary(item.input.span, "no input of this name");
                    d = match suggest::closest(&item.input.name, inputs) {
                        Some(s) => d.help(format!("did you mean `{s}`?")),
                        None => d.help(format!(
                            "declare its verdict: `input {}: bool` or `input {}: f32 in 0.0..=1.0`",
                            item.input.name, item.input.name
                        )),
                    };
                    Some(d)
                }
                Some((id, decl)) => match &decl.kind {
                    DeclKind::Input(input) => match self.types.get(&id).copied().unwrap_or(Ty::Error) {
                        Ty::BOOL | Ty::Error => None,
                        Ty::F32 => {
                            let in_unit = input.range.as_ref().is_some_and(|r| {
                                let lo = self.bound_value(&r.lo).and_then(ConstValue::as_f32);
                                let hi = self.bound_value(&r.hi).and_then(ConstValue::as_f32);
                                matches!((lo, hi), (Some(lo), Some(hi)) if lo >= 0.0 && hi <= 1.0)
                            });
                            (!in_unit).then(|| {
                                Diagnostic::error(
                                    code::CRITERIA_INPUT,
                                    format!("verdict input `{}` is not declared in 0.0..=1.0", item.input.name),
                                )
                                .primary(item.input.span, "used as a verdict here")
                                .secondary(decl.name.span, "declared here")
                                .help(format!("declare it `input {}: f32 in 0.0..=1.0`", item.input.name))
                            })
                        }
                        t => Some(
                            Diagnostic::error(
                                code::CRITERIA_INPUT,
                                format!("verdict input `{}` is {}", item.input.name, t.with_article()),
                            )
                            .primary(item.input.span, "used as a verdict here")
                            .secondary(decl.name.span, "declared here")
                            .help("a verdict is a `bool` or an `f32` in 0.0..=1.0"),
                        ),
                    },
                    other => Some(
                        Diagnostic::error(
                            code::CRITERIA_INPUT,
                            format!("criteria item `{}` names a {}, not an input", item.input.name, other.describe()),
                        )
                        .primary(item.input.span, "not an input")
                        .secondary(decl.name.span, "declared here")
                        .help("each item names the input that carries its verdict"),
                    ),
                },
            };
            if let Some(d) = problem {
                self.report(d);
            }
        }
    }

    fn check_fn(&mut self, id: DeclId, f: &'p ast::FnDecl) {
        let mut locals: Vec<(String, Ty)> = Vec::new();
        for (name, ty) in &f.params {
            let t = self.resolve_type(ty, false);
            if let Some((_, _)) = locals.iter().find(|(n, _)| *n == name.name) {
                let first = f.params.iter().find(|(n, _)| n.name == name.name).map_or(name.span, |(n, _)| n.span);
                self.duplicate(format!("parameter `{}` is declared twice", name.name), name.span, first, None);
                continue;
            }
            locals.push((name.name.clone(), t));
        }
        let ret = self.resolve_type(&f.ret, false);
        let scope = Scope { ctx: Ctx::FnBody, locals: &locals };
        let body = self.with_owner(id, |c| c.expr(&f.body, &scope));
        if !body.assignable_to(ret) {
            self.report(
                Diagnostic::error(
                    code::TYPE_MISMATCH,
                    format!("`{}` returns `{ret}` but its body is {}", f.name.name, body.with_article()),
                )
                .primary(f.body.span, format!("this is {}", body.with_article()))
                .secondary(f.ret.span, "return type declared here"),
            );
        }
        // Reported at the first function past the limit, not at each caller.
        let mut memo = HashMap::new();
        let size = inlined_size(self.program, id, &mut memo);
        let mut callee_too_large = false;
        f.body.walk(&mut |e| {
            if let ast::ExprKind::Call(name, _) = &e.kind
                && let Some(callee) = self.program.lookup(&name.name)
                && callee != id
            {
                callee_too_large |= memo.get(&callee).is_some_and(|&s| s > MAX_INLINED_SIZE);
            }
        });
        if size > MAX_INLINED_SIZE && !callee_too_large {
            self.report(
                Diagnostic::error(code::TOO_DEEP, format!("`{}` is too large once its calls are inlined", f.name.name))
                    .primary(f.name.span, format!("expands to more than {MAX_INLINED_SIZE} operations"))
                    .note("every call of a `fn` is inlined, so a body that calls another twice doubles in size")
                    .help("compute the repeated value once with a `let`, or call the function fewer times"),
            );
        }
    }

    // ---- outputs -------------------------------------------------------------------

    fn check_outputs(&mut self) {
        let outputs = &self.program.outputs;
        let value = Scope { ctx: Ctx::Value, locals: &[] };
        let mut reward: Option<Span> = None;
        let mut done: Option<Span> = None;
        let mut discount: Option<Span> = None;
        let mut logs: HashMap<&str, Span> = HashMap::new();
        for output in outputs {
            match output {
                Output::Reward(r) => {
                    if let Some(first) = reward {
                        let help = "a spec has exactly one primary reward; add extra terms to it or report them with `log NAME = ...`";
                        self.duplicate("`reward` is declared twice".into(), r.keyword, first, Some(help));
                    }
                    reward.get_or_insert(r.keyword);
                    self.expect_numeric(&r.value, &value, "the reward");
                }
                Output::Log(l) => {
                    if matches!(l.name.name.as_str(), "episode" | "step" | "reward" | "done" | "discount") {
                        self.report(
                            Diagnostic::error(code::RESERVED_NAME, format!("a log cannot be named `{}`", l.name.name))
                                .primary(l.name.span, "reserved for `rwc eval` output")
                                .help("`episode`, `step`, `reward`, `done` and `discount` are columns of the evaluation output"),
                        );
                    }
                    if let Some(first) = logs.insert(&l.name.name, l.name.span) {
                        self.duplicate(format!("`log {}` is declared twice", l.name.name), l.name.span, first, None);
                    }
                    let t = self.expr(&l.value, &value);
                    if matches!(t, Ty::Vector(..) | Ty::Criteria) {
                        self.report(
                            Diagnostic::error(code::TYPE_MISMATCH, format!("a log is a scalar, found `{t}`"))
                                .primary(l.value.span, "not a scalar")
                                .help("log a reduction (`mean(v)`) or one element (`v[0]`)"),
                        );
                    }
                }
                Output::Done(d) => {
                    if let Some(first) = done {
                        let help = "join the conditions with `|`";
                        self.duplicate("`done when` is declared twice".into(), d.keyword, first, Some(help));
                    }
                    done.get_or_insert(d.keyword);
                    self.expect(&d.value, &value, Ty::BOOL, "the done condition");
                    let mut visited = HashSet::new();
                    if let Some((span, what)) = self.episode_end_use(&d.value, &mut visited) {
                        self.report(
                            Diagnostic::error(code::DONE_CYCLE, format!("`done when` depends on {what}"))
                                .primary(span, format!("{what} is used here"))
                                .secondary(d.keyword, "in this done condition")
                                .note("the episode end is `done || last`, so `done` cannot depend on it")
                                .help("compute `done` from inputs and automaton states only"),
                        );
                    }
                }
                Output::Discount(d) => {
                    if let Some(first) = discount {
                        let help = "a spec has one discount per step; choose between the values with `if`";
                        self.duplicate("`discount` is declared twice".into(), d.keyword, first, Some(help));
                    }
                    discount.get_or_insert(d.keyword);
                    self.expect_numeric(&d.value, &value, "the discount");
                    if let Some(v) = crate::sema::const_number(&d.value, self.program)
                        && !(v > 0.0 && v <= 1.0)
                    {
                        self.report(
                            Diagnostic::error(code::BAD_VALUE, format!("a discount must be in (0, 1], found {v}"))
                                .primary(d.value.span, "out of range")
                                .help("a per-step discount factor such as `0.99`"),
                        );
                    }
                }
                Output::Shape(s) => {
                    self.expect_numeric(&s.value, &value, "the shaping term");
                    if let Some(g) = &s.gamma
                        && let Some(v) = self.const_ref(g)
                        && (v.is_nan() || v <= 0.0 || v > 1.0)
                    {
                        self.report(
                            Diagnostic::error(code::BAD_VALUE, format!("`gamma` must be in (0, 1], found {v}"))
                                .primary(g.span(), "out of range")
                                .help("use the discount factor of the trainer, for example `gamma 0.99`"),
                        );
                    }
                }
                Output::Constraint(c) => self.check_constraint(c),
            }
        }
        if reward.is_none()
            && let Some(first) = outputs.first()
        {
            let (span, what) = match first {
                Output::Reward(r) => (r.keyword, "reward"),
                Output::Log(l) => (l.name.span, "log"),
                Output::Done(d) => (d.keyword, "done when"),
                Output::Discount(d) => (d.keyword, "discount"),
                Output::Shape(s) => (s.keyword, "shape"),
                Output::Constraint(c) => (c.condition.span, "constraint"),
            };
            self.report(
                    Diagnostic::error(code::MISSING_REWARD, "this spec has no `reward`")
                        .primary(span, format!("this `{what}` makes the file a spec"))
                        .note("a file with outputs is a spec and needs exactly one `reward = ...`; a file without outputs is a module")
                        .help("add the primary reward, for example `reward = task.reward`"),
                );
        }
    }

    fn check_constraint(&mut self, c: &'p ast::ConstraintDecl) {
        let value = Scope { ctx: Ctx::Value, locals: &[] };
        let cond = c.condition.strip_parens();
        match &cond.kind {
            ExprKind::Binary(BinOp::Le | BinOp::Ge, lhs, rhs) => {
                self.expect_numeric(lhs, &value, "the constrained value");
                let t = self.expr(rhs, &Scope { ctx: Ctx::Const, locals: &[] });
                if !t.is_error() {
                    if !t.is_numeric() {
                        self.report_not_numeric(rhs.span, t, "the limit");
                    } else if self.fold(rhs).is_none() {
                        self.not_constant(rhs.span, "the limit of a constraint");
                    }
                }
                if c.name.is_none() && !matches!(lhs.strip_parens().kind, ExprKind::Name(_)) {
                    self.report(
                        Diagnostic::error(code::BAD_CONSTRAINT, "this constraint needs a name")
                            .primary(lhs.span, "not a plain name")
                            .note("the multiplier param is named after the constraint: `lambda_NAME`")
                            .help("name it: `constraint NAME: expression <= limit lagrange(lr 0.01)`"),
                    );
                }
            }
            _ => {
                self.expr(cond, &value);
                self.report(
                    Diagnostic::error(code::BAD_CONSTRAINT, "a constraint is `value <= limit` or `value >= limit`")
                        .primary(c.condition.span, "not a `<=` or `>=` comparison")
                        .help("for example `constraint toxicity <= 0.2 lagrange(lr 0.01)`"),
                );
            }
        }
        let mut has_lr = false;
        for (name, v, span) in &c.options {
            match name.name.as_str() {
                "lr" => {
                    has_lr = true;
                    if v.is_nan() || *v <= 0.0 {
                        self.report(
                            Diagnostic::error(
                                code::BAD_VALUE,
                                format!("the learning rate must be positive, found {v}"),
                            )
                            .primary(*span, "not positive"),
                        );
                    }
                }
                "init" => {
                    if v.is_nan() || *v < 0.0 {
                        self.report(
                            Diagnostic::error(
                                code::BAD_VALUE,
                                format!("the initial multiplier must be non-negative, found {v}"),
                            )
                            .primary(*span, "negative")
                            .note("Lagrange multipliers of inequality constraints are kept non-negative"),
                        );
                    }
                }
                other => {
                    let mut d = Diagnostic::error(code::BAD_CONSTRAINT, format!("unknown `lagrange` option `{other}`"))
                        .primary(name.span, "not an option");
                    d = match suggest::closest(other, ["lr", "init"]) {
                        Some(s) => d.help(format!("did you mean `{s}`?")),
                        None => d.help("the options are `lr` (learning rate) and `init` (initial multiplier)"),
                    };
                    self.report(d);
                }
            }
        }
        if !has_lr {
            self.report(
                Diagnostic::error(code::BAD_CONSTRAINT, "`lagrange` needs a learning rate")
                    .primary(c.lagrange_span, "no `lr` given")
                    .help("for example `lagrange(lr 0.01)`"),
            );
        }
    }

    /// Where an expression (through lets) uses `episode_end` or `gated`.
    fn episode_end_use(&self, e: &Expr, visited: &mut HashSet<DeclId>) -> Option<(Span, &'static str)> {
        let mut found = None;
        e.walk(&mut |sub| {
            if found.is_some() {
                return;
            }
            match &sub.kind {
                ExprKind::Gated(..) => found = Some((sub.span, "`gated`")),
                ExprKind::Name(n) => match self.program.lookup(&n.name) {
                    None if n.name == "episode_end" => found = Some((n.span, "`episode_end`")),
                    Some(id) => {
                        if let DeclKind::Let(l) = &self.decl(id).kind
                            && visited.insert(id)
                            && let Some((_, what)) = self.episode_end_use(&l.value, visited)
                        {
                            found = Some((n.span, what));
                        }
                    }
                    None => {}
                },
                _ => {}
            }
        });
        found
    }

    // ---- cycles -----------------------------------------------------------------

    fn report_cycles(&mut self) {
        let n = self.program.decls.len();
        let mut adjacency: Vec<Vec<(usize, Span)>> = vec![Vec::new(); n];
        for (from, to, span) in &self.edges {
            let list = &mut adjacency[from.0 as usize];
            if !list.iter().any(|(t, _)| *t == to.0 as usize) {
                list.push((to.0 as usize, *span));
            }
        }
        for component in strongly_connected(&adjacency) {
            let is_cycle = component.len() > 1 || adjacency[component[0]].iter().any(|(t, _)| *t == component[0]);
            if !is_cycle {
                continue;
            }
            let mut members = component.clone();
            members.sort_by_key(|&m| {
                let d = &self.program.decls[m];
                (d.file, d.name.span.start)
            });
            let names: Vec<String> =
                members.iter().map(|&m| format!("`{}`", self.program.decls[m].name.name)).collect();
            let message = if members.len() == 1 {
                format!("{} is defined in terms of itself", names[0])
            } else {
                format!("cyclic definition of {}", join_and(&names))
            };
            let mut d = Diagnostic::error(code::CYCLE, message);
            for (i, &m) in members.iter().enumerate() {
                let decl = &self.program.decls[m];
                // The reference that continues the cycle inside this member.
                let next = adjacency[m].iter().find(|(t, _)| members.contains(t));
                let label = match next {
                    Some((t, _)) => format!("`{}` uses `{}`", decl.name.name, self.program.decls[*t].name.name),
                    None => format!("`{}` is part of the cycle", decl.name.name),
                };
                let span = next.map_or(decl.name.span, |(_, s)| *s);
                d = if i == 0 { d.primary(span, label) } else { d.secondary(span, label) };
            }
            let d = d.help("break the cycle; to read a value from the previous step write `prev(x)`");
            self.report(d);
        }
    }
}

fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {}", init.join(", "), last),
    }
}

/// Tarjan's algorithm, iterative so that long reference chains cannot
/// overflow the stack.
fn strongly_connected(adjacency: &[Vec<(usize, Span)>]) -> Vec<Vec<usize>> {
    let n = adjacency.len();
    let mut index = vec![usize::MAX; n];
    let mut low = vec![0; n];
    let mut on_stack = vec![false; n];
    let mut stack = Vec::new();
    let mut components = Vec::new();
    let mut counter = 0;
    for root in 0..n {
        if index[root] != usize::MAX {
            continue;
        }
        let mut work: Vec<(usize, usize)> = vec![(root, 0)];
        while let Some(&mut (v, ref mut next)) = work.last_mut() {
            if *next == 0 && index[v] == usize::MAX {
                index[v] = counter;
                low[v] = counter;
                counter += 1;
                stack.push(v);
                on_stack[v] = true;
            }
            if let Some(&(w, _)) = adjacency[v].get(*next) {
                *next += 1;
                if index[w] == usize::MAX {
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            work.pop();
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                let mut component = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                components.push(component);
            }
        }
    }
    components
}

fn fold_binary(op: BinOp, a: ConstValue, b: ConstValue) -> Option<ConstValue> {
    use ConstValue::*;
    Some(match (op, a, b) {
        (BinOp::And, Bool(x), Bool(y)) => Bool(x && y),
        (BinOp::Or, Bool(x), Bool(y)) => Bool(x || y),
        (BinOp::Implies, Bool(x), Bool(y)) => Bool(!x || y),
        (BinOp::Iff, Bool(x), Bool(y)) | (BinOp::Eq, Bool(x), Bool(y)) => Bool(x == y),
        (BinOp::Ne, Bool(x), Bool(y)) => Bool(x != y),
        (BinOp::Add, Int(x), Int(y)) => Int(x.wrapping_add(y)),
        (BinOp::Sub, Int(x), Int(y)) => Int(x.wrapping_sub(y)),
        (BinOp::Mul, Int(x), Int(y)) => Int(x.wrapping_mul(y)),
        (op, a, b) => {
            let (x, y) = (a.as_f32()?, b.as_f32()?);
            match op {
                BinOp::Add => F32(x + y),
                BinOp::Sub => F32(x - y),
                BinOp::Mul => F32(x * y),
                BinOp::Div => F32(x / y),
                BinOp::Lt => Bool(x < y),
                BinOp::Le => Bool(x <= y),
                BinOp::Gt => Bool(x > y),
                BinOp::Ge => Bool(x >= y),
                BinOp::Eq => Bool(x == y),
                BinOp::Ne => Bool(x != y),
                _ => return None,
            }
        }
    })
}

fn fold_call(name: &str, args: &[ConstValue]) -> Option<ConstValue> {
    use ConstValue::*;
    let all_int = args.iter().all(|a| matches!(a, Int(_)));
    let f = |i: usize| args.get(i).and_then(|a| a.as_f32());
    Some(match (name, args) {
        ("min" | "max", [_, _, ..]) if all_int => {
            let ints = args.iter().filter_map(|a| if let Int(i) = a { Some(*i) } else { None });
            Int(if name == "min" { ints.min()? } else { ints.max()? })
        }
        ("min", [_, _, ..]) => F32(args.iter().filter_map(|a| a.as_f32()).fold(f32::INFINITY, f32::min)),
        ("max", [_, _, ..]) => F32(args.iter().filter_map(|a| a.as_f32()).fold(f32::NEG_INFINITY, f32::max)),
        ("abs", [Int(i)]) => Int(i.wrapping_abs()),
        ("abs", [_]) => F32(f(0)?.abs()),
        ("clamp", [Int(x), Int(lo), Int(hi)]) => Int((*x).max(*lo).min(*hi)),
        ("clamp", [_, _, _]) => F32(f(0)?.max(f(1)?).min(f(2)?)),
        ("exp", [_]) => F32(rw_runtime::math::exp(f(0)?)),
        ("log", [_]) => F32(rw_runtime::math::ln(f(0)?)),
        ("sqrt", [_]) => F32(f(0)?.sqrt()),
        ("sigmoid", [_]) => F32(rw_runtime::math::sigmoid(f(0)?)),
        ("tanh", [_]) => F32(rw_runtime::math::tanh(f(0)?)),
        ("step", [Bool(c), v]) => {
            if *c {
                *v
            } else if let Int(_) = v {
                Int(0)
            } else {
                F32(0.0)
            }
        }
        ("div", [Int(a), Int(b)]) => Int(if *b == 0 { 0 } else { a.wrapping_div(*b) }),
        ("rem", [Int(a), Int(b)]) => Int(if *b == 0 { 0 } else { a.wrapping_rem(*b) }),
        _ => return None,
    })
}

/// Every name an item mentions (values, functions, types, verdict inputs):
/// used to bring an imported item's dependencies along with it.
pub(super) fn referenced_names(item: &ast::Item) -> Vec<String> {
    let mut names = Vec::new();
    let add_expr = |e: &Expr, names: &mut Vec<String>| {
        e.walk(&mut |sub| match &sub.kind {
            ExprKind::Name(n) | ExprKind::Call(n, _) => names.push(n.name.clone()),
            _ => {}
        })
    };
    fn formula_atoms<'a>(f: &'a Formula, out: &mut Vec<&'a Expr>) {
        match &f.kind {
            FKind::Atom(e) => out.push(e),
            FKind::Unary(_, a) | FKind::Paren(a) => formula_atoms(a, out),
            FKind::Binary(_, a, b) => {
                formula_atoms(a, out);
                formula_atoms(b, out);
            }
            FKind::True | FKind::False | FKind::Last => {}
        }
    }
    let type_names = |t: &ast::TypeExpr, names: &mut Vec<String>| {
        if let Some(ast::ArrayLen::Const(n)) = &t.len {
            names.push(n.name.clone());
        }
    };
    let range_names = |r: &Option<ast::RangeExpr>, names: &mut Vec<String>| {
        for b in r.iter().flat_map(|r| [&r.lo, &r.hi]) {
            if let ast::BoundValue::Const(n) = &b.value {
                names.push(n.name.clone());
            }
        }
    };
    match &item.kind {
        ast::ItemKind::Input(d) => {
            type_names(&d.ty, &mut names);
            range_names(&d.range, &mut names);
        }
        ast::ItemKind::Param(d) => {
            type_names(&d.ty, &mut names);
            range_names(&d.range, &mut names);
            add_expr(&d.default, &mut names);
        }
        ast::ItemKind::Const(d) => add_expr(&d.value, &mut names),
        ast::ItemKind::Let(d) => add_expr(&d.value, &mut names),
        ast::ItemKind::Machine(m) => {
            for e in &m.edges {
                add_expr(&e.guard, &mut names);
                if let Some(r) = &e.reward {
                    add_expr(r, &mut names);
                }
            }
        }
        ast::ItemKind::Formula(f) => {
            let mut atoms = Vec::new();
            formula_atoms(&f.formula, &mut atoms);
            atoms.into_iter().for_each(|a| add_expr(a, &mut names));
        }
        ast::ItemKind::Criteria(c) => {
            for i in &c.items {
                names.push(i.input.name.clone());
                if let Some(ast::ConstRef::Name(n)) = &i.weight {
                    names.push(n.name.clone());
                }
            }
        }
        ast::ItemKind::Fn(f) => {
            for (_, t) in &f.params {
                type_names(t, &mut names);
            }
            add_expr(&f.body, &mut names);
        }
        _ => {}
    }
    names
}

/// Most operations one `fn` may expand to once every call in it is inlined:
/// chains that call a function twice per level grow exponentially, and every
/// later phase (bounds, the solver's terms, lowering) would follow them.
pub const MAX_INLINED_SIZE: u64 = 100_000;

/// The number of expression nodes of a `fn` body with every `fn` call
/// inlined (capped just past the limit; recursion, an error of its own,
/// counts once).
fn inlined_size(program: &Program, id: DeclId, memo: &mut HashMap<DeclId, u64>) -> u64 {
    if let Some(&size) = memo.get(&id) {
        return size;
    }
    memo.insert(id, 1);
    let DeclKind::Fn(f) = &program.decl(id).kind else { return 1 };
    let mut calls = Vec::new();
    let mut nodes = 0u64;
    f.body.walk(&mut |e| {
        nodes += 1;
        if let ast::ExprKind::Call(name, _) = &e.kind
            && let Some(callee) = program.lookup(&name.name)
            && matches!(program.decl(callee).kind, DeclKind::Fn(_))
        {
            calls.push(callee);
        }
    });
    let mut size = nodes;
    for callee in calls {
        size = size.saturating_add(inlined_size(program, callee, memo)).min(MAX_INLINED_SIZE + 1);
    }
    memo.insert(id, size);
    size
}

/// Fields every trace line may carry; no prop or input may take their names.
pub const TRACE_FIELDS: [&str; 4] = ["episode", "group", "props", "truncated"];

/// Where an `ltl` formula says `last`, if it does.
fn last_in(f: &Formula) -> Option<Span> {
    match &f.kind {
        FKind::Last => Some(f.span),
        FKind::Unary(_, a) | FKind::Paren(a) => last_in(a),
        FKind::Binary(_, a, b) => last_in(a).or_else(|| last_in(b)),
        FKind::True | FKind::False | FKind::Atom(_) => None,
    }
}

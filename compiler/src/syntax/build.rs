//! Turns pest pairs into the AST. The grammar guarantees the shape of every
//! pair, so a missing child means a grammar/builder mismatch; the builder then
//! drops the item rather than panicking.

use super::Rule;
use super::ast::*;
use crate::diagnostic::{Diagnostic, code};
use crate::source::{FileId, Span};
use pest::iterators::{Pair, Pairs};
use pest::pratt_parser::{Assoc, Op, PrattParser};
use std::cell::RefCell;
use std::sync::LazyLock;

static EXPR_PRATT: LazyLock<PrattParser<Rule>> = LazyLock::new(|| {
    use Assoc::*;
    PrattParser::new()
        .op(Op::infix(Rule::op_ternary, Right))
        .op(Op::infix(Rule::op_iff, Left))
        .op(Op::infix(Rule::op_implies, Right))
        .op(Op::infix(Rule::op_or, Left))
        .op(Op::infix(Rule::op_and, Left))
        .op(Op::infix(Rule::op_eq, Left)
            | Op::infix(Rule::op_ne, Left)
            | Op::infix(Rule::op_le, Left)
            | Op::infix(Rule::op_ge, Left)
            | Op::infix(Rule::op_lt, Left)
            | Op::infix(Rule::op_gt, Left))
        .op(Op::infix(Rule::op_add, Left) | Op::infix(Rule::op_sub, Left))
        .op(Op::infix(Rule::op_mul, Left) | Op::infix(Rule::op_div, Left))
        .op(Op::prefix(Rule::op_not) | Op::prefix(Rule::op_neg))
        .op(Op::postfix(Rule::member_call) | Op::postfix(Rule::member) | Op::postfix(Rule::index))
});

static FORMULA_PRATT: LazyLock<PrattParser<Rule>> = LazyLock::new(|| {
    use Assoc::*;
    PrattParser::new()
        .op(Op::infix(Rule::f_iff, Left))
        .op(Op::infix(Rule::f_implies, Right))
        .op(Op::infix(Rule::f_xor, Left))
        .op(Op::infix(Rule::f_or, Left))
        .op(Op::infix(Rule::f_and, Left))
        .op(Op::infix(Rule::f_until, Right)
            | Op::infix(Rule::f_release, Right)
            | Op::infix(Rule::f_weak_until, Right)
            | Op::infix(Rule::f_strong_release, Right))
        .op(Op::prefix(Rule::f_not)
            | Op::prefix(Rule::f_next)
            | Op::prefix(Rule::f_weak_next)
            | Op::prefix(Rule::f_eventually)
            | Op::prefix(Rule::f_always))
});

pub(super) struct Builder {
    file: FileId,
    offset: usize,
    diagnostics: RefCell<Vec<Diagnostic>>,
    /// `//` comments of the item being built, as byte ranges of the parser's
    /// input, found once (by the first span, the item's own) so that every
    /// span trims trailing comments in logarithmic time.
    comments: RefCell<Option<Vec<(usize, usize)>>>,
}

fn is_keyword(rule: Rule) -> bool {
    format!("{rule:?}").starts_with("k_")
}

/// The children of a pair without keyword tokens.
fn children(pair: Pair<'_, Rule>) -> impl Iterator<Item = Pair<'_, Rule>> {
    pair.into_inner().filter(|p| !is_keyword(p.as_rule()))
}

impl Builder {
    pub(super) fn new(file: FileId, offset: usize) -> Builder {
        Builder { file, offset, diagnostics: RefCell::new(Vec::new()), comments: RefCell::new(None) }
    }

    pub(super) fn into_diagnostics(self) -> Vec<Diagnostic> {
        self.diagnostics.into_inner()
    }

    /// The pair's span without the whitespace and comments that pest consumes
    /// after the last token when an optional trailer does not match.
    fn span(&self, pair: &Pair<'_, Rule>) -> Span {
        let s = pair.as_span();
        let input = pair.get_input();
        let mut comments = self.comments.borrow_mut();
        let comments = comments.get_or_insert_with(|| comment_ranges(input, s.start(), s.end()));
        // Trailing whitespace and comments are not part of the span.
        let mut end = s.end();
        loop {
            end = s.start() + input[s.start()..end].trim_end().len();
            let inside = comments.partition_point(|&(c, _)| c < end);
            match inside.checked_sub(1).map(|k| comments[k]) {
                Some((c, e)) if end <= e && c >= s.start() => end = c,
                _ => break,
            }
        }
        Span::new(self.file, self.offset + s.start(), self.offset + end)
    }

    fn report(&self, diagnostic: Diagnostic) {
        self.diagnostics.borrow_mut().push(diagnostic);
    }

    fn ident(&self, pair: Pair<'_, Rule>) -> Ident {
        Ident { name: pair.as_str().to_string(), span: self.span(&pair) }
    }

    fn ident_list(&self, pair: Pair<'_, Rule>) -> Vec<Ident> {
        pair.into_inner().map(|p| self.ident(p)).collect()
    }

    pub(super) fn item(&self, pair: Pair<'_, Rule>) -> Option<Item> {
        let span = self.span(&pair);
        let rule = pair.as_rule();
        let keyword_span = pair.clone().into_inner().next().map(|p| self.span(&p)).unwrap_or(span);
        let mut parts = children(pair);
        let kind = match rule {
            Rule::spec_decl => ItemKind::Spec(self.ident(parts.next()?)),
            Rule::props_decl => ItemKind::Props(self.ident_list(parts.next()?)),
            Rule::input_decl => {
                let name = self.ident(parts.next()?);
                let ty = self.type_expr(parts.next()?)?;
                let range = parts.next().and_then(|p| self.range(p));
                ItemKind::Input(InputDecl { name, ty, range })
            }
            Rule::param_decl => {
                let name = self.ident(parts.next()?);
                let ty = self.type_expr(parts.next()?)?;
                let mut next = parts.next()?;
                let mut range = None;
                if next.as_rule() == Rule::range_clause {
                    range = self.range(next);
                    next = parts.next()?;
                }
                ItemKind::Param(ParamDecl { name, ty, range, default: self.expr(next) })
            }
            Rule::const_decl => {
                let name = self.ident(parts.next()?);
                let mut next = parts.next()?;
                let mut ty = None;
                if next.as_rule() == Rule::type_expr {
                    ty = self.type_expr(next);
                    next = parts.next()?;
                }
                ItemKind::Const(ConstDecl { name, ty, value: self.expr(next) })
            }
            Rule::use_decl => ItemKind::Use(self.use_decl(parts.next()?)?),
            Rule::machine_decl => ItemKind::Machine(self.machine(parts)?),
            Rule::ltlf_decl | Rule::ltl_decl => {
                let kind = if rule == Rule::ltlf_decl { FormulaKind::Ltlf } else { FormulaKind::Ltl };
                let name = self.ident(parts.next()?);
                let mut next = parts.next()?;
                let mut params = Vec::new();
                if next.as_rule() == Rule::ltlf_params {
                    params = self.ident_list(next.into_inner().next()?);
                    next = parts.next()?;
                }
                let formula = self.formula(next);
                // `jump NAME`: the keyword, then the input.
                let jump = parts.next().and_then(|j| j.into_inner().nth(1)).map(|i| self.ident(i));
                ItemKind::Formula(FormulaDecl { kind, name, params, formula, jump })
            }
            Rule::let_decl => {
                let name = self.ident(parts.next()?);
                ItemKind::Let(LetDecl { name, value: self.expr(parts.next()?) })
            }
            Rule::reward_decl => {
                ItemKind::Reward(OutputDecl { keyword: keyword_span, value: self.expr(parts.next()?) })
            }
            Rule::done_decl => ItemKind::Done(OutputDecl { keyword: keyword_span, value: self.expr(parts.next()?) }),
            Rule::discount_decl => {
                ItemKind::Discount(OutputDecl { keyword: keyword_span, value: self.expr(parts.next()?) })
            }
            Rule::log_decl => {
                let name = self.ident(parts.next()?);
                ItemKind::Log(LogDecl { name, value: self.expr(parts.next()?) })
            }
            Rule::shape_decl => {
                let kind_pair = parts.next()?;
                let kind = match kind_pair.clone().into_inner().next()?.as_rule() {
                    Rule::k_potential => ShapeKind::Potential,
                    _ => ShapeKind::Term,
                };
                let value = self.expr(parts.next()?);
                let gamma = parts.next().and_then(|p| self.const_ref(p));
                ItemKind::Shape(ShapeDecl { kind, keyword: self.span(&kind_pair), value, gamma })
            }
            Rule::fn_decl => {
                let name = self.ident(parts.next()?);
                let mut next = parts.next()?;
                let mut params = Vec::new();
                if next.as_rule() == Rule::fn_params {
                    for param in next.into_inner() {
                        let mut p = param.into_inner();
                        let pname = self.ident(p.next()?);
                        params.push((pname, self.type_expr(p.next()?)?));
                    }
                    next = parts.next()?;
                }
                let ret = self.type_expr(next)?;
                ItemKind::Fn(FnDecl { name, params, ret, body: self.expr(parts.next()?) })
            }
            Rule::criteria_decl => {
                let name = self.ident(parts.next()?);
                let mut items = Vec::new();
                if let Some(list) = parts.next() {
                    for item in list.into_inner() {
                        let mut p = children(item);
                        let input = self.ident(p.next()?);
                        let mut weight = None;
                        let mut text = None;
                        for rest in p {
                            match rest.as_rule() {
                                Rule::weight_value => weight = self.const_ref(rest),
                                _ => text = Some(unescape(rest.as_str())),
                            }
                        }
                        items.push(CriteriaItem { input, weight, text });
                    }
                }
                ItemKind::Criteria(CriteriaDecl { name, items, span })
            }
            Rule::constraint_decl => {
                let mut next = parts.next()?;
                let episodic = next.as_rule() == Rule::episodic;
                if episodic {
                    next = parts.next()?;
                }
                let mut name = None;
                if next.as_rule() == Rule::constraint_name {
                    name = Some(self.ident(next.into_inner().next()?));
                    next = parts.next()?;
                }
                let condition = self.expr(next);
                let lagrange = parts.next()?;
                let lagrange_span = self.span(&lagrange);
                let mut options = Vec::new();
                for opt in children(lagrange) {
                    let opt_span = self.span(&opt);
                    let mut p = opt.into_inner();
                    let oname = self.ident(p.next()?);
                    let mut negative = false;
                    let mut value = p.next()?;
                    if value.as_rule() == Rule::neg_sign {
                        negative = true;
                        value = p.next()?;
                    }
                    let v: f64 = value.as_str().parse().unwrap_or(f64::NAN);
                    options.push((oname, if negative { -v } else { v }, opt_span));
                }
                ItemKind::Constraint(ConstraintDecl { episodic, name, condition, options, lagrange_span })
            }
            _ => return None,
        };
        Some(Item { kind, span })
    }

    fn type_expr(&self, pair: Pair<'_, Rule>) -> Option<TypeExpr> {
        let span = self.span(&pair);
        let mut p = pair.into_inner();
        let name = self.ident(p.next()?);
        let len = match p.next() {
            None => None,
            Some(len) => {
                let inner = len.into_inner().next()?;
                Some(match inner.as_rule() {
                    Rule::int_lit => ArrayLen::Literal(self.int(&inner).unwrap_or(0), self.span(&inner)),
                    _ => ArrayLen::Const(self.ident(inner)),
                })
            }
        };
        Some(TypeExpr { name, len, span })
    }

    fn range(&self, pair: Pair<'_, Rule>) -> Option<RangeExpr> {
        let span = self.span(&pair);
        let mut p = children(pair);
        let lo = self.range_bound(p.next()?)?;
        let inclusive = p.next()?.as_str() == "..=";
        let hi = self.range_bound(p.next()?)?;
        Some(RangeExpr { lo, hi, inclusive, span })
    }

    fn range_bound(&self, pair: Pair<'_, Rule>) -> Option<RangeBound> {
        let span = self.span(&pair);
        let mut negative = false;
        let mut value = None;
        for p in pair.into_inner() {
            match p.as_rule() {
                Rule::neg_sign => negative = true,
                Rule::int_lit => value = Some(BoundValue::Int(self.int(&p).unwrap_or(0))),
                Rule::float_lit => value = Some(BoundValue::Float(self.float(&p))),
                _ => value = Some(BoundValue::Const(self.ident(p))),
            }
        }
        Some(RangeBound { negative, value: value?, span })
    }

    fn const_ref(&self, pair: Pair<'_, Rule>) -> Option<ConstRef> {
        let whole = self.span(&pair);
        let mut parts = pair.into_inner();
        let inner = parts.next()?;
        if inner.as_rule() == Rule::neg_sign {
            let value = self.const_ref_value(parts.next()?)?;
            return Some(ConstRef::Negated(Box::new(value), whole));
        }
        self.const_ref_value(inner)
    }

    fn const_ref_value(&self, inner: Pair<'_, Rule>) -> Option<ConstRef> {
        let span = self.span(&inner);
        Some(match inner.as_rule() {
            Rule::int_lit => ConstRef::Int(self.int(&inner).unwrap_or(0), span),
            Rule::float_lit => ConstRef::Float(self.float(&inner), span),
            _ => ConstRef::Name(self.ident(inner)),
        })
    }

    fn use_decl(&self, pair: Pair<'_, Rule>) -> Option<UseDecl> {
        Some(match pair.as_rule() {
            Rule::string_lit => UseDecl::File { path: unescape(pair.as_str()), span: self.span(&pair) },
            _ => {
                let mut segments = Vec::new();
                let mut group = None;
                for p in pair.into_inner() {
                    match p.as_rule() {
                        Rule::ident => segments.push(self.ident(p)),
                        _ => group = Some(self.ident_list(p.into_inner().next()?)),
                    }
                }
                UseDecl::Path { segments, group }
            }
        })
    }

    fn machine<'i>(&self, mut parts: impl Iterator<Item = Pair<'i, Rule>>) -> Option<Machine> {
        let name = self.ident(parts.next()?);
        let mut machine = Machine {
            name,
            priority: None,
            strict: None,
            start: Vec::new(),
            states: None,
            terminal: Vec::new(),
            edges: Vec::new(),
        };
        for part in parts {
            let span = self.span(&part);
            match part.as_rule() {
                Rule::machine_mod => match part.into_inner().next()?.as_rule() {
                    Rule::k_priority => machine.priority = Some(span),
                    _ => machine.strict = Some(span),
                },
                Rule::start_stmt => machine.start.push(self.ident(children(part).next()?)),
                Rule::states_stmt => {
                    let list = self.ident_list(children(part).next()?);
                    machine.states.get_or_insert_with(Vec::new).extend(list);
                }
                Rule::terminal_stmt => machine.terminal.extend(self.ident_list(children(part).next()?)),
                Rule::edge => {
                    let mut p = part.into_inner();
                    let source = p.next()?;
                    let from_span = self.span(&source);
                    let from = match source.into_inner().next()? {
                        s if s.as_rule() == Rule::ident => Some(self.ident(s)),
                        _ => None,
                    };
                    let to = self.ident(p.next()?);
                    let _when = p.next()?;
                    let guard = self.expr(p.next()?);
                    let reward = match p.next() {
                        Some(r) => Some(self.expr(children(r).next()?)),
                        None => None,
                    };
                    machine.edges.push(Edge { from, from_span, to, guard, reward, span });
                }
                _ => {}
            }
        }
        Some(machine)
    }

    fn int(&self, pair: &Pair<'_, Rule>) -> Option<i64> {
        match pair.as_str().parse::<i64>() {
            Ok(v) if v <= i64::from(i32::MAX) + 1 => Some(v),
            _ => {
                self.report(
                    Diagnostic::error(
                        code::BAD_LITERAL,
                        format!("integer literal `{}` does not fit in `int`", pair.as_str()),
                    )
                    .primary(self.span(pair), "out of range")
                    .note("`int` is a 32-bit signed integer: -2147483648..=2147483647")
                    .help("write it as a float (`1.0e10`) if an `f32` is meant"),
                );
                None
            }
        }
    }

    fn float(&self, pair: &Pair<'_, Rule>) -> f64 {
        let value = pair.as_str().parse::<f64>().unwrap_or(f64::INFINITY);
        if !value.is_finite() || (value as f32).is_infinite() {
            self.report(
                Diagnostic::error(code::BAD_LITERAL, format!("float literal `{}` overflows `f32`", pair.as_str()))
                    .primary(self.span(pair), "out of range")
                    .note("the largest finite `f32` is about 3.4e38"),
            );
            return 0.0;
        }
        value
    }

    pub(super) fn expr(&self, pair: Pair<'_, Rule>) -> Expr {
        let span = self.span(&pair);
        match pair.as_rule() {
            Rule::expr | Rule::arith => self.pratt(pair.into_inner()),
            _ => self.primary(pair).unwrap_or(Expr { kind: ExprKind::Int(0), span }),
        }
    }

    fn pratt(&self, pairs: Pairs<'_, Rule>) -> Expr {
        EXPR_PRATT
            .map_primary(|p| {
                let span = self.span(&p);
                self.primary(p).unwrap_or(Expr { kind: ExprKind::Int(0), span })
            })
            .map_prefix(|op, rhs| {
                let span = self.span(&op).to(rhs.span);
                let op = if op.as_rule() == Rule::op_not { UnOp::Not } else { UnOp::Neg };
                Expr { kind: ExprKind::Unary(op, Box::new(rhs)), span }
            })
            .map_postfix(|lhs, op| {
                let span = lhs.span.to(self.span(&op));
                let rule = op.as_rule();
                let mut inner = op.into_inner();
                let kind = match rule {
                    Rule::index => match inner.next() {
                        Some(i) => ExprKind::Index(Box::new(lhs), Box::new(self.expr(i))),
                        None => return lhs,
                    },
                    _ => {
                        let Some(member) = inner.next() else { return lhs };
                        let member = self.ident(member);
                        let args = if rule == Rule::member_call { Some(self.args(inner.next())) } else { None };
                        ExprKind::Member(Box::new(lhs), member, args)
                    }
                };
                Expr { kind, span }
            })
            .map_infix(|lhs, op, rhs| {
                let span = lhs.span.to(rhs.span);
                let binop = match op.as_rule() {
                    Rule::op_ternary => {
                        let middle = match op.into_inner().next() {
                            Some(m) => self.expr(m),
                            None => return lhs,
                        };
                        return Expr { kind: ExprKind::Cond(Box::new(lhs), Box::new(middle), Box::new(rhs)), span };
                    }
                    Rule::op_iff => BinOp::Iff,
                    Rule::op_implies => BinOp::Implies,
                    Rule::op_or => BinOp::Or,
                    Rule::op_and => BinOp::And,
                    Rule::op_eq => BinOp::Eq,
                    Rule::op_ne => BinOp::Ne,
                    Rule::op_le => BinOp::Le,
                    Rule::op_ge => BinOp::Ge,
                    Rule::op_lt => BinOp::Lt,
                    Rule::op_gt => BinOp::Gt,
                    Rule::op_add => BinOp::Add,
                    Rule::op_sub => BinOp::Sub,
                    Rule::op_mul => BinOp::Mul,
                    _ => BinOp::Div,
                };
                if binop.is_comparison() {
                    let chained = |e: &Expr| matches!(&e.kind, ExprKind::Binary(o, _, _) if o.is_comparison());
                    if chained(&lhs) || chained(&rhs) {
                        self.report(
                            Diagnostic::error(code::CHAINED_COMPARISON, "comparisons do not chain")
                                .primary(span, "this compares the result of another comparison")
                                .help("join the comparisons with `&`: `a < b & b < c`"),
                        );
                    }
                }
                Expr { kind: ExprKind::Binary(binop, Box::new(lhs), Box::new(rhs)), span }
            })
            .parse(pairs)
    }

    fn args(&self, pair: Option<Pair<'_, Rule>>) -> Vec<Expr> {
        pair.map(|p| p.into_inner().map(|a| self.expr(a)).collect()).unwrap_or_default()
    }

    fn primary(&self, pair: Pair<'_, Rule>) -> Option<Expr> {
        let span = self.span(&pair);
        let kind = match pair.as_rule() {
            Rule::int_lit => ExprKind::Int(self.int(&pair).unwrap_or(0)),
            Rule::float_lit => ExprKind::Float(self.float(&pair)),
            Rule::k_true => ExprKind::Bool(true),
            Rule::k_false => ExprKind::Bool(false),
            Rule::ident => ExprKind::Name(self.ident(pair)),
            Rule::expr | Rule::arith => return Some(self.expr(pair)),
            Rule::paren => ExprKind::Paren(Box::new(self.expr(pair.into_inner().next()?))),
            Rule::call => {
                let mut p = pair.into_inner();
                let name = self.ident(p.next()?);
                ExprKind::Call(name, self.args(p.next()))
            }
            Rule::if_expr => {
                let mut p = children(pair);
                let c = self.expr(p.next()?);
                let a = self.expr(p.next()?);
                let b = self.expr(p.next()?);
                ExprKind::Cond(Box::new(c), Box::new(a), Box::new(b))
            }
            Rule::gated_expr => {
                let mut p = children(pair);
                let c = self.expr(p.next()?);
                let e = self.expr(p.next()?);
                ExprKind::Gated(Box::new(c), Box::new(e))
            }
            _ => return None,
        };
        Some(Expr { kind, span })
    }

    fn formula(&self, pair: Pair<'_, Rule>) -> Formula {
        FORMULA_PRATT
            .map_primary(|p| {
                let span = self.span(&p);
                let kind = match p.as_rule() {
                    Rule::k_true => FKind::True,
                    Rule::k_false => FKind::False,
                    Rule::f_last => FKind::Last,
                    Rule::formula => FKind::Paren(Box::new(self.formula(p))),
                    _ => {
                        // f_atom: arith (cmp arith)?
                        let mut inner = p.into_inner();
                        let lhs = match inner.next() {
                            Some(l) => self.expr(l),
                            None => return Formula { kind: FKind::True, span },
                        };
                        let atom = match (inner.next(), inner.next()) {
                            (Some(op), Some(rhs)) => {
                                let op = match op.as_rule() {
                                    Rule::op_eq => BinOp::Eq,
                                    Rule::op_ne => BinOp::Ne,
                                    Rule::op_le => BinOp::Le,
                                    Rule::op_ge => BinOp::Ge,
                                    Rule::op_lt => BinOp::Lt,
                                    _ => BinOp::Gt,
                                };
                                Expr { kind: ExprKind::Binary(op, Box::new(lhs), Box::new(self.expr(rhs))), span }
                            }
                            _ => lhs,
                        };
                        FKind::Atom(atom)
                    }
                };
                Formula { kind, span }
            })
            .map_prefix(|op, rhs| {
                let span = self.span(&op).to(rhs.span);
                let op = match op.as_rule() {
                    Rule::f_not => FUnary::Not,
                    Rule::f_next => FUnary::Next,
                    Rule::f_weak_next => FUnary::WeakNext,
                    Rule::f_eventually => FUnary::Eventually,
                    _ => FUnary::Always,
                };
                Formula { kind: FKind::Unary(op, Box::new(rhs)), span }
            })
            .map_infix(|lhs, op, rhs| {
                let span = lhs.span.to(rhs.span);
                let op = match op.as_rule() {
                    Rule::f_iff => FBinary::Iff,
                    Rule::f_implies => FBinary::Implies,
                    Rule::f_or => FBinary::Or,
                    Rule::f_and => FBinary::And,
                    Rule::f_until => FBinary::Until,
                    Rule::f_release => FBinary::Release,
                    Rule::f_strong_release => FBinary::StrongRelease,
                    Rule::f_xor => FBinary::Xor,
                    _ => FBinary::WeakUntil,
                };
                Formula { kind: FKind::Binary(op, Box::new(lhs), Box::new(rhs)), span }
            })
            .parse(pair.into_inner())
    }
}

/// Length of `text` without trailing whitespace and `//` comments.
/// The `//` comments in `input[start..end]`, as `(start, end)` byte ranges
/// (end: the end of the line), in order.
fn comment_ranges(input: &str, start: usize, end: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut line_start = start;
    for line in input[start..end].split_inclusive('\n') {
        if let Some(c) = comment_start(line) {
            out.push((line_start + c, line_start + line.trim_end_matches(['\n', '\r']).len()));
        }
        line_start += line.len();
    }
    out
}

/// Where a `//` comment starts in one line, outside string literals.
fn comment_start(line: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    let mut in_string = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if in_string => i += 1,
            b'"' => in_string = !in_string,
            b'/' if !in_string && bytes.get(i + 1) == Some(&b'/') => return Some(i),
            _ => {}
        }
        i += 1;
    }
    None
}

/// The text of a string literal without quotes, escapes resolved.
fn unescape(literal: &str) -> String {
    let inner = literal.strip_prefix('"').and_then(|s| s.strip_suffix('"')).unwrap_or(literal);
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

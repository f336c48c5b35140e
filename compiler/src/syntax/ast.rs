//! The syntax tree: what the parser produces, with a span on every node.
//!
//! The tree mirrors the source closely (parentheses are kept so that later
//! phases can tell `(a < b) < c` from a chained comparison); names are
//! resolved and types checked by `sema`.

use crate::source::{FileId, Span};

#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// One parsed file.
#[derive(Clone, Debug)]
pub struct Module {
    pub file: FileId,
    pub items: Vec<Item>,
    /// Names that items with syntax errors appear to declare. Later phases
    /// stay silent about references to them instead of reporting a cascade
    /// of unknown names.
    pub unparsed_names: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct Item {
    pub kind: ItemKind,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum ItemKind {
    Spec(Ident),
    Props(Vec<Ident>),
    Input(InputDecl),
    Param(ParamDecl),
    Const(ConstDecl),
    Use(UseDecl),
    Machine(Machine),
    Formula(FormulaDecl),
    Let(LetDecl),
    Reward(OutputDecl),
    Log(LogDecl),
    Done(OutputDecl),
    /// `discount = expr`: a per-step discount factor.
    Discount(OutputDecl),
    Shape(ShapeDecl),
    Fn(FnDecl),
    Criteria(CriteriaDecl),
    Constraint(ConstraintDecl),
}

impl ItemKind {
    /// Outputs make a file a spec rather than a module.
    pub fn is_output(&self) -> bool {
        matches!(
            self,
            ItemKind::Reward(_)
                | ItemKind::Log(_)
                | ItemKind::Done(_)
                | ItemKind::Discount(_)
                | ItemKind::Shape(_)
                | ItemKind::Constraint(_)
        )
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct TypeExpr {
    pub name: Ident,
    /// `T[n]`: the length, a literal or a const name.
    pub len: Option<ArrayLen>,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ArrayLen {
    Literal(i64, Span),
    Const(Ident),
}

#[derive(Clone, Debug, PartialEq)]
pub struct RangeExpr {
    pub lo: RangeBound,
    pub hi: RangeBound,
    /// `..=` (true) or `..` (false).
    pub inclusive: bool,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RangeBound {
    pub negative: bool,
    pub value: BoundValue,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum BoundValue {
    Int(i64),
    Float(f64),
    Const(Ident),
}

#[derive(Clone, Debug)]
pub struct InputDecl {
    pub name: Ident,
    pub ty: TypeExpr,
    pub range: Option<RangeExpr>,
}

#[derive(Clone, Debug)]
pub struct ParamDecl {
    pub name: Ident,
    pub ty: TypeExpr,
    pub range: Option<RangeExpr>,
    pub default: Expr,
}

#[derive(Clone, Debug)]
pub struct ConstDecl {
    pub name: Ident,
    pub ty: Option<TypeExpr>,
    pub value: Expr,
}

#[derive(Clone, Debug)]
pub enum UseDecl {
    /// `use "./lib/shaping.rw"`: every item of a file.
    File { path: String, span: Span },
    /// `use std::length`, `use std::length::laser`, `use std::length::{a, b}`.
    Path { segments: Vec<Ident>, group: Option<Vec<Ident>> },
}

#[derive(Clone, Debug)]
pub struct Machine {
    pub name: Ident,
    pub priority: Option<Span>,
    pub strict: Option<Span>,
    pub start: Vec<Ident>,
    pub states: Option<Vec<Ident>>,
    pub terminal: Vec<Ident>,
    pub edges: Vec<Edge>,
}

#[derive(Clone, Debug)]
pub struct Edge {
    /// `None` for `any`.
    pub from: Option<Ident>,
    pub from_span: Span,
    pub to: Ident,
    pub guard: Expr,
    pub reward: Option<Expr>,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormulaKind {
    /// Finite traces.
    Ltlf,
    /// Infinite traces.
    Ltl,
}

#[derive(Clone, Debug)]
pub struct FormulaDecl {
    pub kind: FormulaKind,
    pub name: Ident,
    /// A pattern's parameters (bool); empty for an ordinary formula.
    pub params: Vec<Ident>,
    pub formula: Formula,
    /// `ltl ... jump j`: the int input by which the agent takes the jumps
    /// of a limit-deterministic automaton.
    pub jump: Option<Ident>,
}

impl FormulaDecl {
    /// A pattern is instantiated by other formulas; it is no automaton itself.
    pub fn is_pattern(&self) -> bool {
        !self.params.is_empty()
    }
}

#[derive(Clone, Debug)]
pub struct Formula {
    pub kind: FKind,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FUnary {
    Not,
    /// Strong next `X` (also `X[!]`): false at the last step.
    Next,
    /// Weak next `WX`: true at the last step.
    WeakNext,
    Eventually,
    Always,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FBinary {
    And,
    Or,
    Implies,
    Iff,
    Until,
    Release,
    WeakUntil,
    /// `a M b = b U (a & b)` (strong release).
    StrongRelease,
    /// `a xor b = !(a <-> b)`.
    Xor,
}

#[derive(Clone, Debug)]
pub enum FKind {
    True,
    False,
    Last,
    /// A prop, a bool input or a comparison.
    Atom(Expr),
    Unary(FUnary, Box<Formula>),
    Binary(FBinary, Box<Formula>, Box<Formula>),
    Paren(Box<Formula>),
}

#[derive(Clone, Debug)]
pub struct LetDecl {
    pub name: Ident,
    pub value: Expr,
}

/// `reward = e` and `done when e`.
#[derive(Clone, Debug)]
pub struct OutputDecl {
    pub keyword: Span,
    pub value: Expr,
}

#[derive(Clone, Debug)]
pub struct LogDecl {
    pub name: Ident,
    pub value: Expr,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShapeKind {
    Potential,
    Term,
}

#[derive(Clone, Debug)]
pub struct ShapeDecl {
    pub kind: ShapeKind,
    pub keyword: Span,
    pub value: Expr,
    pub gamma: Option<ConstRef>,
}

/// A literal or the name of a const: `gamma 0.99`, `weight 2`, `weight W`.
/// A leading minus is kept so that the checker can say the value is negative.
#[derive(Clone, Debug, PartialEq)]
pub enum ConstRef {
    Int(i64, Span),
    Float(f64, Span),
    Name(Ident),
    Negated(Box<ConstRef>, Span),
}

impl ConstRef {
    pub fn span(&self) -> Span {
        match self {
            ConstRef::Int(_, s) | ConstRef::Float(_, s) => *s,
            ConstRef::Name(i) => i.span,
            ConstRef::Negated(_, s) => *s,
        }
    }
}

#[derive(Clone, Debug)]
pub struct FnDecl {
    pub name: Ident,
    pub params: Vec<(Ident, TypeExpr)>,
    pub ret: TypeExpr,
    pub body: Expr,
}

#[derive(Clone, Debug)]
pub struct CriteriaDecl {
    pub name: Ident,
    pub items: Vec<CriteriaItem>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct CriteriaItem {
    /// The input carrying this item's verdict.
    pub input: Ident,
    pub weight: Option<ConstRef>,
    pub text: Option<String>,
}

#[derive(Clone, Debug)]
pub struct ConstraintDecl {
    /// `constraint episode ...`: the limit bounds each episode's sum of the
    /// value, not each step's value.
    pub episodic: bool,
    pub name: Option<Ident>,
    /// The whole comparison `x <= c`.
    pub condition: Expr,
    pub options: Vec<(Ident, f64, Span)>,
    pub lagrange_span: Span,
}

#[derive(Clone, Debug)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    Not,
    Neg,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
    Implies,
    Iff,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::And => "&",
            BinOp::Or => "|",
            BinOp::Implies => "->",
            BinOp::Iff => "<->",
        }
    }

    pub fn is_comparison(self) -> bool {
        matches!(self, BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge)
    }

    pub fn is_logical(self) -> bool {
        matches!(self, BinOp::And | BinOp::Or | BinOp::Implies | BinOp::Iff)
    }
}

#[derive(Clone, Debug)]
pub enum ExprKind {
    Int(i64),
    Float(f64),
    Bool(bool),
    Name(Ident),
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `if c then a else b` and `c ? a : b`.
    Cond(Box<Expr>, Box<Expr>, Box<Expr>),
    Call(Ident, Vec<Expr>),
    /// `base.member` or `base.member(args)`.
    Member(Box<Expr>, Ident, Option<Vec<Expr>>),
    Index(Box<Expr>, Box<Expr>),
    Gated(Box<Expr>, Box<Expr>),
    Paren(Box<Expr>),
}

impl Expr {
    /// Visits every sub-expression, this one included, parents first.
    pub fn walk<'a>(&'a self, f: &mut dyn FnMut(&'a Expr)) {
        f(self);
        match &self.kind {
            ExprKind::Int(_) | ExprKind::Float(_) | ExprKind::Bool(_) | ExprKind::Name(_) => {}
            ExprKind::Unary(_, e) | ExprKind::Paren(e) => e.walk(f),
            ExprKind::Binary(_, a, b) | ExprKind::Index(a, b) | ExprKind::Gated(a, b) => {
                a.walk(f);
                b.walk(f);
            }
            ExprKind::Cond(a, b, c) => {
                a.walk(f);
                b.walk(f);
                c.walk(f);
            }
            ExprKind::Call(_, args) => args.iter().for_each(|a| a.walk(f)),
            ExprKind::Member(base, _, args) => {
                base.walk(f);
                args.iter().flatten().for_each(|a| a.walk(f));
            }
        }
    }

    /// The expression without enclosing parentheses.
    pub fn strip_parens(&self) -> &Expr {
        match &self.kind {
            ExprKind::Paren(e) => e.strip_parens(),
            _ => self,
        }
    }
}

impl Item {
    /// The deepest nesting of expressions and formulas in the item, measured
    /// without recursion so that it is safe on any input.
    pub fn depth<'a>(&'a self) -> usize {
        enum Node<'a> {
            Expr(&'a Expr),
            Formula(&'a Formula),
        }
        let mut stack: Vec<(Node<'a>, usize)> = Vec::new();
        let push_expr = |stack: &mut Vec<(Node<'a>, usize)>, e: &'a Expr| stack.push((Node::Expr(e), 1));
        match &self.kind {
            ItemKind::Param(p) => push_expr(&mut stack, &p.default),
            ItemKind::Const(c) => push_expr(&mut stack, &c.value),
            ItemKind::Let(l) => push_expr(&mut stack, &l.value),
            ItemKind::Reward(o) | ItemKind::Done(o) | ItemKind::Discount(o) => push_expr(&mut stack, &o.value),
            ItemKind::Log(l) => push_expr(&mut stack, &l.value),
            ItemKind::Shape(s) => push_expr(&mut stack, &s.value),
            ItemKind::Fn(f) => push_expr(&mut stack, &f.body),
            ItemKind::Constraint(c) => push_expr(&mut stack, &c.condition),
            ItemKind::Machine(m) => {
                for e in &m.edges {
                    push_expr(&mut stack, &e.guard);
                    if let Some(r) = &e.reward {
                        push_expr(&mut stack, r);
                    }
                }
            }
            ItemKind::Formula(f) => stack.push((Node::Formula(&f.formula), 1)),
            ItemKind::Spec(_) | ItemKind::Props(_) | ItemKind::Input(_) | ItemKind::Use(_) | ItemKind::Criteria(_) => {}
        }
        let mut deepest = 0;
        while let Some((node, depth)) = stack.pop() {
            deepest = deepest.max(depth);
            match node {
                Node::Formula(f) => match &f.kind {
                    FKind::True | FKind::False | FKind::Last => {}
                    FKind::Atom(e) => stack.push((Node::Expr(e), depth + 1)),
                    FKind::Unary(_, a) | FKind::Paren(a) => stack.push((Node::Formula(a), depth + 1)),
                    FKind::Binary(_, a, b) => {
                        stack.push((Node::Formula(a), depth + 1));
                        stack.push((Node::Formula(b), depth + 1));
                    }
                },
                Node::Expr(e) => {
                    let children: Vec<&Expr> = match &e.kind {
                        ExprKind::Int(_) | ExprKind::Float(_) | ExprKind::Bool(_) | ExprKind::Name(_) => Vec::new(),
                        ExprKind::Unary(_, a) | ExprKind::Paren(a) => vec![a],
                        ExprKind::Binary(_, a, b) | ExprKind::Index(a, b) | ExprKind::Gated(a, b) => vec![a, b],
                        ExprKind::Cond(a, b, c) => vec![a, b, c],
                        ExprKind::Call(_, args) => args.iter().collect(),
                        ExprKind::Member(base, _, args) => {
                            std::iter::once(&**base).chain(args.iter().flatten()).collect()
                        }
                    };
                    stack.extend(children.into_iter().map(|c| (Node::Expr(c), depth + 1)));
                }
            }
        }
        deepest
    }
}

/// An expression's text in a normal form (for atom names and identity).
pub fn expr_text(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Int(v) => v.to_string(),
        ExprKind::Float(v) => format!("{v:?}"),
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::Name(n) => n.name.clone(),
        ExprKind::Paren(inner) => format!("({})", expr_text(inner)),
        ExprKind::Unary(UnOp::Not, a) => format!("!{}", expr_text(a)),
        ExprKind::Unary(UnOp::Neg, a) => format!("-{}", expr_text(a)),
        ExprKind::Binary(op, a, b) => format!("{} {} {}", expr_text(a), op.symbol(), expr_text(b)),
        ExprKind::Cond(c, a, b) => format!("if {} then {} else {}", expr_text(c), expr_text(a), expr_text(b)),
        ExprKind::Call(f, args) => format!("{}({})", f.name, args.iter().map(expr_text).collect::<Vec<_>>().join(", ")),
        ExprKind::Member(base, m, args) => match args {
            Some(args) => {
                format!("{}.{}({})", expr_text(base), m.name, args.iter().map(expr_text).collect::<Vec<_>>().join(", "))
            }
            None => format!("{}.{}", expr_text(base), m.name),
        },
        ExprKind::Index(base, i) => format!("{}[{}]", expr_text(base), expr_text(i)),
        ExprKind::Gated(c, body) => format!("gated({}) {{ {} }}", expr_text(c), expr_text(body)),
    }
}

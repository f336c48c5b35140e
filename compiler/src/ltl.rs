//! LTLf to minimal DFA.
//!
//! Sits between `sema` and the automata IR: an `ltlf` formula becomes a
//! complete, minimal DFA over its atoms (props, bool inputs, comparisons),
//! which `automata` turns into the same tables as a reward machine.
//!
//! Algorithm: *formula progression* (Bacchus & Kabanza; De Giacomo & Vardi's
//! finite-trace semantics). The formula is put in negation normal form over
//! `X`, `WX`, `U`, `R` and literals (`F a = true U a`, `G a = false R a`,
//! `a W b = b R (a | b)`, `last = WX false`), hash-consed so that equal
//! subformulas share one id. A DFA state is the obligation left for the rest
//! of the trace, kept as a reduced ordered BDD over closure elements
//! (temporal subformulas and literals as variables), so propositionally
//! equal obligations are one node, one state. With it goes one bit: whether
//! the prefix read so far, taken as a complete trace, satisfies the formula
//! (every element decided as if the letter were the last: `X` false, `WX`
//! true, `U`/`R` by their right side). Reading letter `σ` from `(ψ, _)`
//! gives `(ψ[e := prog(e, σ)], end(ψ, σ))`: progression is a BDD
//! composition, memoised per element and letter. States are explored breadth
//! first over all `2^k` letters, then minimised by Moore partition
//! refinement (`O(k · 2^k · n²)` at worst, fast at these sizes) and
//! renumbered breadth first from the initial state, letters in binary order.
//!
//! Bounded work: at most [`MAX_ATOMS`] atoms, [`MAX_STATES`] states and
//! [`MAX_BDD_NODES`] decision-diagram nodes; past them translation stops
//! with a diagnostic.

use crate::syntax::ast::{self, Expr, ExprKind, FBinary, FKind, FUnary, expr_text};
use std::collections::VecDeque;
use std::hash::{BuildHasherDefault, Hasher};

/// The Fx hash (rustc's): a multiply-rotate per word. The maps here are keyed
/// by small integers and hit millions of times per second; SipHash's DoS
/// resistance buys nothing for them.
#[derive(Default, Clone, Copy)]
pub(crate) struct Fx(u64);

impl Hasher for Fx {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut word = [0u8; 8];
            word[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(word));
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }
    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
}

type HashMap<K, V> = std::collections::HashMap<K, V, BuildHasherDefault<Fx>>;

/// A map with the Fx hash, for the automata constructions (`omega` too).
pub(crate) type FxHashMap<K, V> = HashMap<K, V>;

/// Distinct atoms (props, comparisons) one formula may use: the DFA reads
/// all `2^k` valuations.
pub const MAX_ATOMS: usize = 16;
/// States explored before minimisation.
pub const MAX_STATES: usize = 10_000;
/// Decision-diagram nodes for all obligations of one formula.
pub const MAX_BDD_NODES: usize = 2_000_000;

type NodeId = u32;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Node {
    True,
    False,
    /// Atom `k`, positive or negated.
    Lit(u32, bool),
    And(NodeId, NodeId),
    Or(NodeId, NodeId),
    Next(NodeId),
    WeakNext(NodeId),
    Until(NodeId, NodeId),
    Release(NodeId, NodeId),
}

/// A node of the reduced ordered BDD over closure elements: `0` is false,
/// `1` is true, others are `(variable, low, high)`.
type Bdd = u32;
const FALSE: Bdd = 0;
const TRUE: Bdd = 1;

/// Why a formula could not be translated.
#[derive(Debug, Clone, PartialEq)]
pub enum LtlError {
    TooManyAtoms(usize),
    TooManyStates,
    TooManyNodes,
}

impl std::fmt::Display for LtlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LtlError::TooManyAtoms(n) => write!(f, "the formula uses {n} distinct atoms; the limit is {MAX_ATOMS}"),
            LtlError::TooManyStates => write!(f, "the automaton would have more than {MAX_STATES} states"),
            LtlError::TooManyNodes => {
                write!(f, "the obligations need more than {MAX_BDD_NODES} decision-diagram nodes")
            }
        }
    }
}

/// A complete DFA over `2^atoms` letters.
#[derive(Clone, Debug, PartialEq)]
pub struct Dfa {
    pub atoms: usize,
    /// `next[s][letter]`
    pub next: Vec<Vec<u32>>,
    pub accepting: Vec<bool>,
    /// State 0 is initial.
    pub initial: u32,
}

struct Builder {
    nodes: Vec<Node>,
    ids: HashMap<Node, NodeId>,
    /// BDD nodes `(variable, low, high)`; variables are closure element ids.
    bdd: Vec<(u32, Bdd, Bdd)>,
    unique: HashMap<(u32, Bdd, Bdd), Bdd>,
    ite_cache: HashMap<(Bdd, Bdd, Bdd), Bdd>,
    /// The obligation an element leaves after a letter (not the last one).
    progress: HashMap<(NodeId, u64), Bdd>,
    /// Whether an element holds if the letter is the last one.
    at_end: HashMap<(NodeId, u64), bool>,
    compose_cache: HashMap<Bdd, Bdd>,
}

impl Builder {
    fn new() -> Builder {
        Builder {
            nodes: Vec::new(),
            ids: HashMap::default(),
            // Terminals: variable u32::MAX sorts after every real variable.
            bdd: vec![(u32::MAX, 0, 0), (u32::MAX, 1, 1)],
            unique: HashMap::default(),
            ite_cache: HashMap::default(),
            progress: HashMap::default(),
            at_end: HashMap::default(),
            compose_cache: HashMap::default(),
        }
    }

    fn node(&mut self, n: Node) -> NodeId {
        // Local simplifications keep the closure small.
        let n = match n {
            Node::And(a, b) | Node::Or(a, b) if a == b => return a,
            Node::And(a, b) => match (self.nodes[a as usize], self.nodes[b as usize]) {
                (Node::False, _) | (_, Node::False) => Node::False,
                (Node::True, _) => return b,
                (_, Node::True) => return a,
                _ => Node::And(a.min(b), a.max(b)),
            },
            Node::Or(a, b) => match (self.nodes[a as usize], self.nodes[b as usize]) {
                (Node::True, _) | (_, Node::True) => Node::True,
                (Node::False, _) => return b,
                (_, Node::False) => return a,
                _ => Node::Or(a.min(b), a.max(b)),
            },
            other => other,
        };
        if let Some(&id) = self.ids.get(&n) {
            return id;
        }
        let id = self.nodes.len() as NodeId;
        self.nodes.push(n);
        self.ids.insert(n, id);
        id
    }

    /// Negation normal form of a parsed formula, negated when `negate`.
    fn nnf(&mut self, f: &ast::Formula, negate: bool, atom: &mut dyn FnMut(&Expr) -> u32, cx: &Cx<'_>) -> NodeId {
        let t = self.node(Node::True);
        let fls = self.node(Node::False);
        match &f.kind {
            FKind::True => {
                if negate {
                    fls
                } else {
                    t
                }
            }
            FKind::False => {
                if negate {
                    t
                } else {
                    fls
                }
            }
            // last = WX false; !last = X true
            FKind::Last => {
                if negate {
                    self.node(Node::Next(t))
                } else {
                    self.node(Node::WeakNext(fls))
                }
            }
            FKind::Atom(e) => {
                let e = substitute(e, cx.subst);
                // A pattern instantiated: its body with the arguments for its parameters.
                if let ExprKind::Call(name, args) = &e.strip_parens().kind
                    && let Some((params, body)) = (cx.patterns)(&name.name)
                {
                    let subst: Vec<(String, Expr)> = params.into_iter().zip(args.iter().cloned()).collect();
                    return self.nnf(&body, negate, atom, &Cx { patterns: cx.patterns, subst: &subst });
                }
                // A substituted argument's connectives are formula connectives,
                // so `p(a & b)` reads like the formula written out.
                if let Some(f) = connectives(&e) {
                    return self.nnf(&f, negate, atom, &Cx { patterns: cx.patterns, subst: &[] });
                }
                let k = atom(&e);
                self.node(Node::Lit(k, !negate))
            }
            FKind::Paren(inner) => self.nnf(inner, negate, atom, cx),
            FKind::Unary(op, inner) => match (op, negate) {
                (FUnary::Not, _) => self.nnf(inner, !negate, atom, cx),
                (FUnary::Next, false) | (FUnary::WeakNext, true) => {
                    let a = self.nnf(inner, negate, atom, cx);
                    self.node(Node::Next(a))
                }
                (FUnary::WeakNext, false) | (FUnary::Next, true) => {
                    let a = self.nnf(inner, negate, atom, cx);
                    self.node(Node::WeakNext(a))
                }
                // F a = true U a; !F a = G !a = false R !a
                (FUnary::Eventually, false) | (FUnary::Always, true) => {
                    let a = self.nnf(inner, negate, atom, cx);
                    self.node(Node::Until(t, a))
                }
                (FUnary::Always, false) | (FUnary::Eventually, true) => {
                    let a = self.nnf(inner, negate, atom, cx);
                    self.node(Node::Release(fls, a))
                }
            },
            FKind::Binary(op, a, b) => {
                let mut sub = |s: &mut Self, f: &ast::Formula, neg: bool| s.nnf(f, neg, atom, cx);
                match (op, negate) {
                    (FBinary::And, false) | (FBinary::Or, true) => {
                        let (x, y) = (sub(self, a, negate), sub(self, b, negate));
                        self.node(Node::And(x, y))
                    }
                    (FBinary::Or, false) | (FBinary::And, true) => {
                        let (x, y) = (sub(self, a, negate), sub(self, b, negate));
                        self.node(Node::Or(x, y))
                    }
                    // a -> b = !a | b; !(a -> b) = a & !b
                    (FBinary::Implies, false) => {
                        let (x, y) = (sub(self, a, true), sub(self, b, false));
                        self.node(Node::Or(x, y))
                    }
                    (FBinary::Implies, true) => {
                        let (x, y) = (sub(self, a, false), sub(self, b, true));
                        self.node(Node::And(x, y))
                    }
                    (FBinary::Iff | FBinary::Xor, _) => {
                        let (pa, pb) = (sub(self, a, false), sub(self, b, false));
                        let (na, nb) = (sub(self, a, true), sub(self, b, true));
                        // `a xor b = !(a <-> b)`.
                        let negate = negate != (*op == FBinary::Xor);
                        let (l, r) = if negate {
                            (self.node(Node::And(pa, nb)), self.node(Node::And(na, pb)))
                        } else {
                            (self.node(Node::And(pa, pb)), self.node(Node::And(na, nb)))
                        };
                        self.node(Node::Or(l, r))
                    }
                    (FBinary::Until, false) | (FBinary::Release, true) => {
                        let (x, y) = (sub(self, a, negate), sub(self, b, negate));
                        self.node(Node::Until(x, y))
                    }
                    (FBinary::Release, false) | (FBinary::Until, true) => {
                        let (x, y) = (sub(self, a, negate), sub(self, b, negate));
                        self.node(Node::Release(x, y))
                    }
                    // a M b = b U (a & b); !(a M b) = !b R (!a | !b)
                    (FBinary::StrongRelease, false) => {
                        let (x, y) = (sub(self, a, false), sub(self, b, false));
                        let both = self.node(Node::And(x, y));
                        self.node(Node::Until(y, both))
                    }
                    (FBinary::StrongRelease, true) => {
                        let (x, y) = (sub(self, a, true), sub(self, b, true));
                        let either = self.node(Node::Or(x, y));
                        self.node(Node::Release(y, either))
                    }
                    // a W b = b R (a | b); !(a W b) = !b U (!a & !b)
                    (FBinary::WeakUntil, false) => {
                        let (x, y) = (sub(self, a, false), sub(self, b, false));
                        let either = self.node(Node::Or(x, y));
                        self.node(Node::Release(y, either))
                    }
                    (FBinary::WeakUntil, true) => {
                        let (x, y) = (sub(self, a, true), sub(self, b, true));
                        let neither = self.node(Node::And(x, y));
                        self.node(Node::Until(y, neither))
                    }
                }
            }
        }
    }

    fn mk(&mut self, var: u32, low: Bdd, high: Bdd) -> Result<Bdd, LtlError> {
        if low == high {
            return Ok(low);
        }
        if let Some(&b) = self.unique.get(&(var, low, high)) {
            return Ok(b);
        }
        if self.bdd.len() >= MAX_BDD_NODES {
            return Err(LtlError::TooManyNodes);
        }
        let b = self.bdd.len() as Bdd;
        self.bdd.push((var, low, high));
        self.unique.insert((var, low, high), b);
        Ok(b)
    }

    fn var_of(&self, b: Bdd) -> u32 {
        self.bdd[b as usize].0
    }

    /// Shannon cofactors of `b` for variable `v`.
    fn cofactors(&self, b: Bdd, v: u32) -> (Bdd, Bdd) {
        let (var, low, high) = self.bdd[b as usize];
        if var == v { (low, high) } else { (b, b) }
    }

    /// if-then-else, the one operation every boolean connective reduces to.
    fn ite(&mut self, f: Bdd, g: Bdd, h: Bdd) -> Result<Bdd, LtlError> {
        match (f, g, h) {
            (TRUE, _, _) => return Ok(g),
            (FALSE, _, _) => return Ok(h),
            (_, TRUE, FALSE) => return Ok(f),
            _ if g == h => return Ok(g),
            _ => {}
        }
        if let Some(&r) = self.ite_cache.get(&(f, g, h)) {
            return Ok(r);
        }
        let v = self.var_of(f).min(self.var_of(g)).min(self.var_of(h));
        let (f0, f1) = self.cofactors(f, v);
        let (g0, g1) = self.cofactors(g, v);
        let (h0, h1) = self.cofactors(h, v);
        let low = self.ite(f0, g0, h0)?;
        let high = self.ite(f1, g1, h1)?;
        let r = self.mk(v, low, high)?;
        self.ite_cache.insert((f, g, h), r);
        Ok(r)
    }

    fn and(&mut self, a: Bdd, b: Bdd) -> Result<Bdd, LtlError> {
        self.ite(a, b, FALSE)
    }

    fn or(&mut self, a: Bdd, b: Bdd) -> Result<Bdd, LtlError> {
        self.ite(a, TRUE, b)
    }

    /// The BDD of an NNF formula, its temporal elements and literals as variables.
    fn bdd_of(&mut self, n: NodeId) -> Result<Bdd, LtlError> {
        match self.nodes[n as usize] {
            Node::True => Ok(TRUE),
            Node::False => Ok(FALSE),
            Node::And(a, b) => {
                let (x, y) = (self.bdd_of(a)?, self.bdd_of(b)?);
                self.and(x, y)
            }
            Node::Or(a, b) => {
                let (x, y) = (self.bdd_of(a)?, self.bdd_of(b)?);
                self.or(x, y)
            }
            _ => self.mk(n, FALSE, TRUE),
        }
    }

    /// The obligation a formula leaves after reading `letter`, more letters to come.
    fn progress(&mut self, n: NodeId, letter: u64) -> Result<Bdd, LtlError> {
        if let Some(&b) = self.progress.get(&(n, letter)) {
            return Ok(b);
        }
        let result = match self.nodes[n as usize] {
            Node::True => TRUE,
            Node::False => FALSE,
            Node::Lit(k, positive) => {
                if (letter >> k & 1 == 1) == positive {
                    TRUE
                } else {
                    FALSE
                }
            }
            Node::And(a, b) => {
                let (x, y) = (self.progress(a, letter)?, self.progress(b, letter)?);
                self.and(x, y)?
            }
            Node::Or(a, b) => {
                let (x, y) = (self.progress(a, letter)?, self.progress(b, letter)?);
                self.or(x, y)?
            }
            Node::Next(a) | Node::WeakNext(a) => self.bdd_of(a)?,
            // a U b = b | (a & X (a U b))
            Node::Until(a, b) => {
                let (now, hold) = (self.progress(b, letter)?, self.progress(a, letter)?);
                let again = self.mk(n, FALSE, TRUE)?;
                let keep = self.and(hold, again)?;
                self.or(now, keep)?
            }
            // a R b = b & (a | WX (a R b))
            Node::Release(a, b) => {
                let (now, free) = (self.progress(b, letter)?, self.progress(a, letter)?);
                let again = self.mk(n, FALSE, TRUE)?;
                let either = self.or(free, again)?;
                self.and(now, either)?
            }
        };
        self.progress.insert((n, letter), result);
        Ok(result)
    }

    /// Whether a formula holds at the last step when that step reads `letter`.
    fn holds_at_end(&mut self, n: NodeId, letter: u64) -> bool {
        if let Some(&v) = self.at_end.get(&(n, letter)) {
            return v;
        }
        let v = match self.nodes[n as usize] {
            Node::True => true,
            Node::False => false,
            Node::Lit(k, positive) => (letter >> k & 1 == 1) == positive,
            Node::And(a, b) => self.holds_at_end(a, letter) && self.holds_at_end(b, letter),
            Node::Or(a, b) => self.holds_at_end(a, letter) || self.holds_at_end(b, letter),
            Node::Next(_) => false,
            Node::WeakNext(_) => true,
            // At the last step, U needs b now and R needs b now.
            Node::Until(_, b) | Node::Release(_, b) => self.holds_at_end(b, letter),
        };
        self.at_end.insert((n, letter), v);
        v
    }

    /// Substitutes each variable (element) of `b` by its progression.
    fn compose(&mut self, b: Bdd, letter: u64) -> Result<Bdd, LtlError> {
        if b == TRUE || b == FALSE {
            return Ok(b);
        }
        if let Some(&r) = self.compose_cache.get(&b) {
            return Ok(r);
        }
        let (var, low, high) = self.bdd[b as usize];
        let (l, h) = (self.compose(low, letter)?, self.compose(high, letter)?);
        let p = self.progress(var, letter)?;
        let r = self.ite(p, h, l)?;
        self.compose_cache.insert(b, r);
        Ok(r)
    }

    /// Whether the obligation `b` is met if the trace ends with `letter`.
    fn accepts(&mut self, mut b: Bdd, letter: u64) -> bool {
        while b != TRUE && b != FALSE {
            let (var, low, high) = self.bdd[b as usize];
            b = if self.holds_at_end(var, letter) { high } else { low };
        }
        b == TRUE
    }
}

/// Finds a formula pattern by name: its parameters and body.
pub type Patterns<'a> = &'a dyn Fn(&str) -> Option<(Vec<String>, ast::Formula)>;

/// No patterns.
pub fn no_patterns(_: &str) -> Option<(Vec<String>, ast::Formula)> {
    None
}

/// Context of the NNF conversion: pattern lookup and the current
/// substitution of pattern parameters.
struct Cx<'a> {
    patterns: Patterns<'a>,
    subst: &'a [(String, Expr)],
}

/// A bool expression whose top is a connective, as a formula.
pub(crate) fn connectives(e: &Expr) -> Option<ast::Formula> {
    use ast::{BinOp, FKind, Formula, UnOp};
    let f = |x: &Expr| Box::new(connectives(x).unwrap_or(Formula { kind: FKind::Atom(x.clone()), span: x.span }));
    let kind = match &e.kind {
        ExprKind::Paren(inner) => return connectives(inner),
        ExprKind::Bool(true) => FKind::True,
        ExprKind::Bool(false) => FKind::False,
        ExprKind::Unary(UnOp::Not, a) => FKind::Unary(FUnary::Not, f(a)),
        ExprKind::Binary(BinOp::And, a, b) => FKind::Binary(FBinary::And, f(a), f(b)),
        ExprKind::Binary(BinOp::Or, a, b) => FKind::Binary(FBinary::Or, f(a), f(b)),
        ExprKind::Binary(BinOp::Implies, a, b) => FKind::Binary(FBinary::Implies, f(a), f(b)),
        ExprKind::Binary(BinOp::Iff, a, b) => FKind::Binary(FBinary::Iff, f(a), f(b)),
        _ => return None,
    };
    Some(Formula { kind, span: e.span })
}

/// `e` with pattern parameters replaced by their arguments.
pub(crate) fn substitute(e: &Expr, subst: &[(String, Expr)]) -> Expr {
    if subst.is_empty() {
        return e.clone();
    }
    let sub = |x: &Expr| Box::new(substitute(x, subst));
    let kind = match &e.kind {
        ExprKind::Name(n) => match subst.iter().find(|(p, _)| *p == n.name) {
            Some((_, arg)) => return arg.clone(),
            None => e.kind.clone(),
        },
        ExprKind::Unary(op, a) => ExprKind::Unary(*op, sub(a)),
        ExprKind::Binary(op, a, b) => ExprKind::Binary(*op, sub(a), sub(b)),
        ExprKind::Paren(a) => ExprKind::Paren(sub(a)),
        ExprKind::Cond(c, a, b) => ExprKind::Cond(sub(c), sub(a), sub(b)),
        ExprKind::Call(f, args) => ExprKind::Call(f.clone(), args.iter().map(|a| substitute(a, subst)).collect()),
        other => other.clone(),
    };
    Expr { kind, span: e.span }
}

/// The number of atom `e` among `atoms` (the same text is the same atom),
/// appending it when it is new.
pub(crate) fn atom_number(atoms: &mut Vec<Expr>, e: &Expr) -> u32 {
    let text = expr_text(e);
    match atoms.iter().position(|a| expr_text(a) == text) {
        Some(k) => k as u32,
        None => {
            atoms.push(e.clone());
            atoms.len() as u32 - 1
        }
    }
}

/// Translates a formula to its minimal DFA. `atom` numbers the formula's
/// atoms (props, comparisons) in order of first appearance; instantiated
/// patterns are expanded.
pub fn translate(formula: &ast::Formula, atoms: &mut Vec<Expr>, patterns: Patterns<'_>) -> Result<Dfa, LtlError> {
    let mut builder = Builder::new();
    let mut atom = |e: &Expr| atom_number(atoms, e);
    let root = builder.nnf(formula, false, &mut atom, &Cx { patterns, subst: &[] });
    if atoms.len() > MAX_ATOMS {
        return Err(LtlError::TooManyAtoms(atoms.len()));
    }
    let letters = 1u64 << atoms.len();
    let initial = (builder.bdd_of(root)?, false);
    let mut index: HashMap<(Bdd, bool), u32> = HashMap::default();
    let mut states: Vec<(Bdd, bool)> = vec![initial];
    index.insert(initial, 0);
    let mut next: Vec<Vec<u32>> = Vec::new();
    let mut queue = VecDeque::from([0u32]);
    // Per letter, the composition cache is valid across states.
    let mut caches: Vec<HashMap<Bdd, Bdd>> = vec![HashMap::default(); letters as usize];
    while let Some(s) = queue.pop_front() {
        let obligation = states[s as usize].0;
        let mut row = Vec::with_capacity(letters as usize);
        for letter in 0..letters {
            std::mem::swap(&mut builder.compose_cache, &mut caches[letter as usize]);
            let rest = builder.compose(obligation, letter);
            std::mem::swap(&mut builder.compose_cache, &mut caches[letter as usize]);
            let rest = rest?;
            let accepts = builder.accepts(obligation, letter);
            let key = (rest, accepts);
            let id = match index.get(&key) {
                Some(&id) => id,
                None => {
                    let id = states.len() as u32;
                    if states.len() >= MAX_STATES {
                        return Err(LtlError::TooManyStates);
                    }
                    states.push(key);
                    index.insert(key, id);
                    queue.push_back(id);
                    id
                }
            };
            row.push(id);
        }
        if next.len() <= s as usize {
            next.resize(s as usize + 1, Vec::new());
        }
        next[s as usize] = row;
    }
    let accepting = states.iter().map(|(_, a)| *a).collect();
    Ok(minimise(&Dfa { atoms: atoms.len(), next, accepting, initial: 0 }))
}

/// Moore partition refinement, then breadth-first renumbering from the
/// initial state (letters in binary order); unreachable states vanish.
pub fn minimise(dfa: &Dfa) -> Dfa {
    let n = dfa.next.len();
    let mut class: Vec<u32> = dfa.accepting.iter().map(|&a| u32::from(a)).collect();
    loop {
        let mut signatures: HashMap<(u32, Vec<u32>), u32> = HashMap::default();
        let mut refined = vec![0u32; n];
        for s in 0..n {
            let signature = (class[s], dfa.next[s].iter().map(|&t| class[t as usize]).collect::<Vec<_>>());
            let fresh = signatures.len() as u32;
            refined[s] = *signatures.entry(signature).or_insert(fresh);
        }
        let before = {
            let mut distinct = class.clone();
            distinct.sort_unstable();
            distinct.dedup();
            distinct.len()
        };
        let after = signatures.len();
        class = refined;
        if after == before {
            break;
        }
    }
    // Breadth-first numbering of the classes.
    let mut number: HashMap<u32, u32> = HashMap::default();
    let mut order: Vec<u32> = Vec::new();
    let start = class[dfa.initial as usize];
    number.insert(start, 0);
    order.push(dfa.initial);
    let mut k = 0;
    while k < order.len() {
        let s = order[k] as usize;
        for &t in &dfa.next[s] {
            let c = class[t as usize];
            if let std::collections::hash_map::Entry::Vacant(e) = number.entry(c) {
                e.insert(order.len() as u32);
                order.push(t);
            }
        }
        k += 1;
    }
    let next =
        order.iter().map(|&s| dfa.next[s as usize].iter().map(|&t| number[&class[t as usize]]).collect()).collect();
    let accepting = order.iter().map(|&s| dfa.accepting[s as usize]).collect();
    Dfa { atoms: dfa.atoms, next, accepting, initial: 0 }
}

impl Dfa {
    pub fn states(&self) -> usize {
        self.next.len()
    }

    /// Runs the DFA over a trace of letters; `.sat` after each step.
    pub fn run(&self, trace: &[u64]) -> Vec<bool> {
        let mut s = self.initial as usize;
        trace
            .iter()
            .map(|&letter| {
                s = self.next[s][letter as usize] as usize;
                self.accepting[s]
            })
            .collect()
    }
}

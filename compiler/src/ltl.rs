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
//! of the trace, kept as a *canonical DNF*: the minimal cubes of a monotone
//! boolean function over closure elements (unsatisfiable and absorbed cubes
//! removed, cubes sorted), so propositionally equal obligations are one
//! state. With it goes one bit: whether the prefix read so far, taken as a
//! complete trace, satisfies the formula (progression with `last = true`,
//! which always yields a constant). Reading letter `σ` from `(ψ, _)` gives
//! `(prog(ψ, σ, false), prog(ψ, σ, true))`. States are explored breadth
//! first over all `2^k` letters, then minimised by Moore partition
//! refinement (`O(k · 2^k · n²)` at worst, fast at these sizes) and
//! renumbered breadth first from the initial state, letters in binary order.
//!
//! Bounded work: at most [`MAX_ATOMS`] atoms, [`MAX_STATES`] states and
//! [`MAX_CUBES`] cubes per obligation; past them translation stops with a
//! diagnostic.

use crate::automata::expr_text;
use crate::syntax::ast::{self, Expr, FBinary, FKind, FUnary};
use std::collections::{HashMap, VecDeque};

/// Distinct atoms (props, comparisons) one formula may use: the DFA reads
/// all `2^k` valuations.
pub const MAX_ATOMS: usize = 12;
/// States explored before minimisation.
pub const MAX_STATES: usize = 10_000;
/// Cubes in one obligation.
pub const MAX_CUBES: usize = 4_096;

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

/// A disjunction of cubes; a cube is a sorted conjunction of element ids.
/// `[]` is false, `[[]]` is true.
type Dnf = Vec<Vec<NodeId>>;

/// Why a formula could not be translated.
#[derive(Debug, Clone, PartialEq)]
pub enum LtlError {
    TooManyAtoms(usize),
    TooManyStates,
    TooManyCubes,
}

impl std::fmt::Display for LtlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LtlError::TooManyAtoms(n) => write!(f, "the formula uses {n} distinct atoms; the limit is {MAX_ATOMS}"),
            LtlError::TooManyStates => write!(f, "the automaton would have more than {MAX_STATES} states"),
            LtlError::TooManyCubes => write!(f, "an intermediate obligation has more than {MAX_CUBES} cases"),
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
    progress: HashMap<(NodeId, u64, bool), Dnf>,
}

impl Builder {
    fn new() -> Builder {
        Builder { nodes: Vec::new(), ids: HashMap::new(), progress: HashMap::new() }
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
    fn nnf(&mut self, f: &ast::Formula, negate: bool, atom: &mut dyn FnMut(&Expr) -> u32) -> NodeId {
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
                let k = atom(e);
                self.node(Node::Lit(k, !negate))
            }
            FKind::Paren(inner) => self.nnf(inner, negate, atom),
            FKind::Unary(op, inner) => match (op, negate) {
                (FUnary::Not, _) => self.nnf(inner, !negate, atom),
                (FUnary::Next, false) | (FUnary::WeakNext, true) => {
                    let a = self.nnf(inner, negate, atom);
                    self.node(Node::Next(a))
                }
                (FUnary::WeakNext, false) | (FUnary::Next, true) => {
                    let a = self.nnf(inner, negate, atom);
                    self.node(Node::WeakNext(a))
                }
                // F a = true U a; !F a = G !a = false R !a
                (FUnary::Eventually, false) | (FUnary::Always, true) => {
                    let a = self.nnf(inner, negate, atom);
                    self.node(Node::Until(t, a))
                }
                (FUnary::Always, false) | (FUnary::Eventually, true) => {
                    let a = self.nnf(inner, negate, atom);
                    self.node(Node::Release(fls, a))
                }
            },
            FKind::Binary(op, a, b) => {
                let mut sub = |s: &mut Self, f: &ast::Formula, neg: bool| s.nnf(f, neg, atom);
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
                    (FBinary::Iff, _) => {
                        let (pa, pb) = (sub(self, a, false), sub(self, b, false));
                        let (na, nb) = (sub(self, a, true), sub(self, b, true));
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

    fn dnf(&mut self, n: NodeId) -> Result<Dnf, LtlError> {
        match self.nodes[n as usize] {
            Node::True => Ok(vec![Vec::new()]),
            Node::False => Ok(Vec::new()),
            Node::And(a, b) => {
                let (x, y) = (self.dnf(a)?, self.dnf(b)?);
                self.and(&x, &y)
            }
            Node::Or(a, b) => {
                let (x, y) = (self.dnf(a)?, self.dnf(b)?);
                self.or(x, y)
            }
            _ => Ok(vec![vec![n]]),
        }
    }

    fn or(&self, mut x: Dnf, y: Dnf) -> Result<Dnf, LtlError> {
        x.extend(y);
        self.normalize(x)
    }

    fn and(&self, x: &Dnf, y: &Dnf) -> Result<Dnf, LtlError> {
        if x.len().saturating_mul(y.len()) > MAX_CUBES * 4 {
            return Err(LtlError::TooManyCubes);
        }
        let mut out = Vec::with_capacity(x.len() * y.len());
        for a in x {
            for b in y {
                let mut c = a.clone();
                c.extend_from_slice(b);
                out.push(c);
            }
        }
        self.normalize(out)
    }

    /// The canonical form: each cube sorted and deduplicated, cubes with a
    /// literal and its negation dropped, cubes that contain another cube
    /// dropped (absorption), the rest sorted.
    fn normalize(&self, mut cubes: Dnf) -> Result<Dnf, LtlError> {
        for c in cubes.iter_mut() {
            c.sort_unstable();
            c.dedup();
        }
        cubes.retain(|c| {
            !c.iter().any(|&e| match self.nodes[e as usize] {
                Node::Lit(k, true) => c.iter().any(|&o| self.nodes[o as usize] == Node::Lit(k, false)),
                _ => false,
            })
        });
        cubes.sort_unstable_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
        cubes.dedup();
        let mut kept: Dnf = Vec::with_capacity(cubes.len());
        for c in cubes {
            // Shorter cubes come first, so any cube that absorbs `c` is already kept.
            if !kept.iter().any(|k| k.iter().all(|e| c.binary_search(e).is_ok())) {
                kept.push(c);
            }
        }
        if kept.len() > MAX_CUBES {
            return Err(LtlError::TooManyCubes);
        }
        kept.sort_unstable();
        Ok(kept)
    }

    /// The obligation an element leaves after reading `letter`.
    fn progress(&mut self, n: NodeId, letter: u64, last: bool) -> Result<Dnf, LtlError> {
        if let Some(d) = self.progress.get(&(n, letter, last)) {
            return Ok(d.clone());
        }
        let t: Dnf = vec![Vec::new()];
        let f: Dnf = Vec::new();
        let result = match self.nodes[n as usize] {
            Node::True => t,
            Node::False => f,
            Node::Lit(k, positive) => {
                if (letter >> k & 1 == 1) == positive {
                    t
                } else {
                    f
                }
            }
            Node::And(a, b) => {
                let (x, y) = (self.progress(a, letter, last)?, self.progress(b, letter, last)?);
                self.and(&x, &y)?
            }
            Node::Or(a, b) => {
                let (x, y) = (self.progress(a, letter, last)?, self.progress(b, letter, last)?);
                self.or(x, y)?
            }
            Node::Next(a) => {
                if last {
                    f
                } else {
                    self.dnf(a)?
                }
            }
            Node::WeakNext(a) => {
                if last {
                    t
                } else {
                    self.dnf(a)?
                }
            }
            // a U b = b | (a & X (a U b))
            Node::Until(a, b) => {
                let now = self.progress(b, letter, last)?;
                let hold = self.progress(a, letter, last)?;
                let later = if last { f } else { vec![vec![n]] };
                let keep = self.and(&hold, &later)?;
                self.or(now, keep)?
            }
            // a R b = b & (a | WX (a R b))
            Node::Release(a, b) => {
                let now = self.progress(b, letter, last)?;
                let free = self.progress(a, letter, last)?;
                let later = if last { t } else { vec![vec![n]] };
                let either = self.or(free, later)?;
                self.and(&now, &either)?
            }
        };
        self.progress.insert((n, letter, last), result.clone());
        Ok(result)
    }

    fn progress_dnf(&mut self, state: &Dnf, letter: u64, last: bool) -> Result<Dnf, LtlError> {
        let mut out: Dnf = Vec::new();
        for cube in state {
            let mut acc: Dnf = vec![Vec::new()];
            for &e in cube {
                let p = self.progress(e, letter, last)?;
                acc = self.and(&acc, &p)?;
                if acc.is_empty() {
                    break;
                }
            }
            out.extend(acc);
            if out.len() > MAX_CUBES * 4 {
                return Err(LtlError::TooManyCubes);
            }
        }
        self.normalize(out)
    }
}

/// Translates a formula to its minimal DFA. `atom` numbers the formula's
/// atoms (props, comparisons) in order of first appearance.
pub fn translate(formula: &ast::Formula, atoms: &mut Vec<Expr>) -> Result<Dfa, LtlError> {
    let mut builder = Builder::new();
    let mut atom = |e: &Expr| -> u32 {
        let text = expr_text(e);
        match atoms.iter().position(|a| expr_text(a) == text) {
            Some(k) => k as u32,
            None => {
                atoms.push(e.clone());
                atoms.len() as u32 - 1
            }
        }
    };
    let root = builder.nnf(formula, false, &mut atom);
    if atoms.len() > MAX_ATOMS {
        return Err(LtlError::TooManyAtoms(atoms.len()));
    }
    let letters = 1u64 << atoms.len();
    let initial = (builder.dnf(root)?, false);
    let mut index: HashMap<(Dnf, bool), u32> = HashMap::new();
    let mut states: Vec<(Dnf, bool)> = vec![initial.clone()];
    index.insert(initial, 0);
    let mut next: Vec<Vec<u32>> = Vec::new();
    let mut queue = VecDeque::from([0u32]);
    while let Some(s) = queue.pop_front() {
        let obligation = states[s as usize].0.clone();
        let mut row = Vec::with_capacity(letters as usize);
        for letter in 0..letters {
            let rest = builder.progress_dnf(&obligation, letter, false)?;
            let accepts = !builder.progress_dnf(&obligation, letter, true)?.is_empty();
            let key = (rest, accepts);
            let id = match index.get(&key) {
                Some(&id) => id,
                None => {
                    let id = states.len() as u32;
                    if states.len() >= MAX_STATES {
                        return Err(LtlError::TooManyStates);
                    }
                    states.push(key.clone());
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
        let mut signatures: HashMap<(u32, Vec<u32>), u32> = HashMap::new();
        let mut refined = vec![0u32; n];
        for s in 0..n {
            let signature = (class[s], dfa.next[s].iter().map(|&t| class[t as usize]).collect::<Vec<_>>());
            let fresh = signatures.len() as u32;
            refined[s] = *signatures.entry(signature).or_insert(fresh);
        }
        let before = class.iter().copied().collect::<std::collections::HashSet<_>>().len();
        let after = signatures.len();
        class = refined;
        if after == before {
            break;
        }
    }
    // Breadth-first numbering of the classes.
    let mut number: HashMap<u32, u32> = HashMap::new();
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

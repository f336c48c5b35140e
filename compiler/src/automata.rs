//! The automata IR: reward machines (and, later, LTLf DFAs) as petgraph
//! graphs, and their compilation into the runtime's transition tables.
//!
//! Third phase, after `sema`. A machine becomes a [`Automaton`]: states in
//! the numbering of LANGUAGE.md, edges in source order with `any` expanded
//! to every non-terminal state, and guards as [`Guard`] formulas over
//! *atoms* (props, bool inputs, comparisons). [`Automaton::tables`] turns the
//! guards into a dense table over all atom valuations (up to 12 atoms) or an
//! ordered cube list (up to 64), first matching edge first.

use crate::diagnostic::{Diagnostic, code};
use crate::sema::{DeclKind, Program};
use crate::source::Span;
use crate::syntax::ast::{self, BinOp, Expr, ExprKind, UnOp, expr_text};
use petgraph::graph::{DiGraph, EdgeIndex, NodeIndex};
use petgraph::visit::EdgeRef;
use rw_runtime::artifact::{Cube, MAX_ATOMS, MAX_DENSE_ATOMS, NO_EDGE, Transitions};
use std::collections::{HashMap, VecDeque};

/// Index of a state in an automaton (its number in LANGUAGE.md's order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StateId(pub u32);

/// A guard over the automaton's atoms.
#[derive(Clone, Debug, PartialEq)]
pub enum Guard {
    True,
    False,
    Atom(u32),
    Not(Box<Guard>),
    And(Box<Guard>, Box<Guard>),
    Or(Box<Guard>, Box<Guard>),
}

impl Guard {
    pub fn eval(&self, label: u64) -> bool {
        match self {
            Guard::True => true,
            Guard::False => false,
            Guard::Atom(k) => label >> k & 1 == 1,
            Guard::Not(g) => !g.eval(label),
            Guard::And(a, b) => a.eval(label) && b.eval(label),
            Guard::Or(a, b) => a.eval(label) || b.eval(label),
        }
    }

    /// Disjunctive normal form as (mask, value) cubes; `None` past `limit`.
    fn cubes(&self, negated: bool, limit: usize) -> Option<Vec<(u64, u64)>> {
        Some(match (self, negated) {
            (Guard::True, false) | (Guard::False, true) => vec![(0, 0)],
            (Guard::True, true) | (Guard::False, false) => Vec::new(),
            (Guard::Atom(k), neg) => vec![(1 << k, if neg { 0 } else { 1 << k })],
            (Guard::Not(g), neg) => g.cubes(!neg, limit)?,
            (Guard::Or(a, b), false) | (Guard::And(a, b), true) => {
                let mut out = a.cubes(negated, limit)?;
                out.extend(b.cubes(negated, limit)?);
                if out.len() > limit {
                    return None;
                }
                out
            }
            (Guard::And(a, b), false) | (Guard::Or(a, b), true) => {
                let (left, right) = (a.cubes(negated, limit)?, b.cubes(negated, limit)?);
                let mut out = Vec::new();
                for &(m1, v1) in &left {
                    for &(m2, v2) in &right {
                        // Contradictory cubes (an atom both true and false) vanish.
                        if (v1 ^ v2) & m1 & m2 == 0 {
                            out.push((m1 | m2, v1 | v2));
                            if out.len() > limit {
                                return None;
                            }
                        }
                    }
                }
                out
            }
        })
    }
}

/// What an atom stands for.
#[derive(Clone, Debug)]
pub struct Atom {
    /// A bool-valued expression: a prop, a bool input, a comparison.
    pub expr: Expr,
    /// Its text, for labels and for merging identical atoms.
    pub text: String,
}

#[derive(Clone, Debug)]
pub struct StateData {
    pub name: String,
    pub terminal: bool,
}

#[derive(Clone, Debug)]
pub struct EdgeData {
    pub guard: Guard,
    pub reward: Option<Expr>,
    /// Position in the machine's edge order (the first match wins).
    pub order: u32,
    pub span: Span,
    /// Proved never taken (`Program::never_taken`).
    pub never: bool,
}

#[derive(Clone, Debug)]
pub struct Automaton {
    pub name: String,
    pub graph: DiGraph<StateData, EdgeData>,
    pub start: StateId,
    pub atoms: Vec<Atom>,
    pub priority: bool,
    pub strict: bool,
    /// Accepting states of an LTLf automaton; `None` for reward machines,
    /// whose goals are derived from their edges.
    pub accepting: Option<Vec<bool>>,
    /// For an `ltl` formula: its Büchi automaton and how it was built.
    pub omega: Option<OmegaInfo>,
}

/// What an `ltl` automaton was built from (for `--explain`, `inspect` and
/// HOA export).
#[derive(Clone, Debug)]
pub struct OmegaInfo {
    /// The translation's Büchi automaton (transition-based acceptance),
    /// which the runtime runs.
    pub buchi: crate::omega::Buchi,
    /// A generalized Büchi automaton with fewer states and the same words,
    /// where the translation found one: exported in its place
    /// ([`crate::omega::Translation::exported`]).
    pub generalized: Option<crate::generalized::Generalized>,
    /// The formula's class in the Manna–Pnueli hierarchy.
    pub class: crate::omega::Classified,
    /// Jump choices the agent has (0 for a deterministic automaton).
    pub jumps: usize,
    /// Milliseconds the translation took.
    pub millis: f64,
}

/// An edge in machine order, for analyses that do not walk the graph.
#[derive(Clone, Debug)]
pub struct EdgeView {
    pub from: u32,
    pub to: u32,
    pub guard: Guard,
    pub reward: Option<Expr>,
    pub span: Span,
}

/// Most cubes one machine's guards may expand to.
pub const MAX_CUBES: usize = 65_536;

/// Most sweeps of value iteration (`m.value(gamma)`).
pub const MAX_VALUE_SWEEPS: usize = 100_000;

impl Automaton {
    /// Builds the automaton of a checked machine.
    pub fn from_machine(program: &Program, m: &ast::Machine, states: &[String]) -> Result<Automaton, Diagnostic> {
        let mut graph = DiGraph::new();
        let terminal = |s: &str| m.terminal.iter().any(|t| t.name == s);
        for s in states {
            graph.add_node(StateData { name: s.clone(), terminal: terminal(s) });
        }
        let index = |s: &str| states.iter().position(|x| x == s).map(NodeIndex::new);
        let start = m.start.first().and_then(|s| index(&s.name)).map_or(StateId(0), |n| StateId(n.index() as u32));
        let mut automaton = Automaton {
            name: m.name.name.clone(),
            graph,
            start,
            atoms: Vec::new(),
            priority: m.priority.is_some(),
            strict: m.strict.is_some(),
            accepting: None,
            omega: None,
        };
        let mut order = 0;
        for edge in &m.edges {
            let guard = automaton.guard(program, &edge.guard);
            let Some(to) = index(&edge.to.name) else { continue };
            let sources: Vec<NodeIndex> = match &edge.from {
                Some(from) => index(&from.name).into_iter().collect(),
                None => automaton.graph.node_indices().filter(|&n| !automaton.graph[n].terminal).collect(),
            };
            for from in sources {
                let data = EdgeData {
                    guard: guard.clone(),
                    reward: edge.reward.clone(),
                    order,
                    span: edge.span,
                    never: false,
                };
                automaton.graph.add_edge(from, to, data);
                order += 1;
            }
        }
        if automaton.atoms.len() as u32 > MAX_ATOMS {
            return Err(Diagnostic::error(
                code::AUTOMATON_LIMIT,
                format!(
                    "machine `{}` uses {} distinct guard atoms; the limit is {MAX_ATOMS}",
                    m.name.name,
                    automaton.atoms.len()
                ),
            )
            .primary(m.name.span, "too many props and comparisons in guards")
            .help("split the machine, or combine conditions into fewer props"));
        }
        automaton.mark_never_taken(program);
        Ok(automaton)
    }

    fn atom(&mut self, expr: &Expr, text: String) -> Guard {
        let k = match self.atoms.iter().position(|a| a.text == text) {
            Some(k) => k,
            None => {
                self.atoms.push(Atom { expr: expr.clone(), text });
                self.atoms.len() - 1
            }
        };
        Guard::Atom(k as u32)
    }

    /// A guard expression as a formula over atoms; `->`, `<->`, `==` on
    /// bools and conditionals become connectives.
    fn guard(&mut self, program: &Program, e: &Expr) -> Guard {
        let g = |s: &mut Self, e: &Expr| Box::new(s.guard(program, e));
        match &e.kind {
            ExprKind::Paren(inner) => self.guard(program, inner),
            ExprKind::Bool(true) => Guard::True,
            ExprKind::Bool(false) => Guard::False,
            ExprKind::Unary(UnOp::Not, inner) => Guard::Not(g(self, inner)),
            ExprKind::Binary(BinOp::And, a, b) => Guard::And(g(self, a), g(self, b)),
            ExprKind::Binary(BinOp::Or, a, b) => Guard::Or(g(self, a), g(self, b)),
            ExprKind::Binary(BinOp::Implies, a, b) => Guard::Or(Box::new(Guard::Not(g(self, a))), g(self, b)),
            ExprKind::Binary(op @ (BinOp::Iff | BinOp::Eq | BinOp::Ne), a, b) if is_bool(program, a) => {
                let (x, y) = (self.guard(program, a), self.guard(program, b));
                let same = Guard::Or(
                    Box::new(Guard::And(Box::new(x.clone()), Box::new(y.clone()))),
                    Box::new(Guard::And(Box::new(Guard::Not(Box::new(x))), Box::new(Guard::Not(Box::new(y))))),
                );
                if *op == BinOp::Ne { Guard::Not(Box::new(same)) } else { same }
            }
            ExprKind::Cond(c, a, b) => {
                let c = self.guard(program, c);
                Guard::Or(
                    Box::new(Guard::And(Box::new(c.clone()), g(self, a))),
                    Box::new(Guard::And(Box::new(Guard::Not(Box::new(c))), g(self, b))),
                )
            }
            _ => {
                let text = expr_text(e);
                self.atom(e, text)
            }
        }
    }

    /// The edges in machine order (index = runtime edge index).
    pub fn edge_views(&self) -> Vec<EdgeView> {
        self.ordered_edges()
            .into_iter()
            .filter_map(|e| {
                let (from, to) = self.graph.edge_endpoints(e)?;
                let d = &self.graph[e];
                Some(EdgeView {
                    from: from.index() as u32,
                    to: to.index() as u32,
                    guard: d.guard.clone(),
                    reward: d.reward.clone(),
                    span: d.span,
                })
            })
            .collect()
    }

    pub fn state_count(&self) -> usize {
        self.graph.node_count()
    }

    pub fn state_names(&self) -> Vec<String> {
        self.graph.node_weights().map(|s| s.name.clone()).collect()
    }

    pub fn terminal(&self) -> Vec<bool> {
        self.graph.node_weights().map(|s| s.terminal).collect()
    }

    /// Edges in machine order (the order the runtime's edge indices use).
    pub fn ordered_edges(&self) -> Vec<EdgeIndex> {
        let mut edges: Vec<EdgeIndex> = self.graph.edge_indices().collect();
        edges.sort_by_key(|&e| self.graph[e].order);
        edges
    }

    /// Outgoing edges of a state with their runtime edge index, first match first.
    fn outgoing(&self, state: NodeIndex) -> Vec<(u32, &EdgeData)> {
        let mut out: Vec<(u32, &EdgeData)> = self.graph.edges(state).map(|e| (e.weight().order, e.weight())).collect();
        out.sort_by_key(|(order, _)| *order);
        out
    }

    /// The runtime's transition table; a machine with overlapping guards is
    /// reported when the overlap is certain (the atoms are all props).
    pub fn tables(&self, only_props: bool) -> Result<Transitions, Diagnostic> {
        let atoms = self.atoms.len() as u32;
        if atoms <= MAX_DENSE_ATOMS {
            let mut table = vec![NO_EDGE; self.state_count() << atoms];
            for state in self.graph.node_indices() {
                if self.graph[state].terminal {
                    continue;
                }
                let edges = self.outgoing(state);
                for label in 0..1u64 << atoms {
                    let mut matching = edges.iter().filter(|(_, d)| d.guard.eval(label));
                    let Some((first, first_data)) = matching.next() else { continue };
                    table[(state.index() << atoms) | label as usize] = *first;
                    if !self.priority
                        && only_props
                        && let Some((_, second)) = matching.next()
                    {
                        return Err(self.overlap(state, first_data, second, label));
                    }
                }
            }
            return Ok(Transitions::Dense { table });
        }
        let mut first = Vec::with_capacity(self.state_count() + 1);
        let mut cubes = Vec::new();
        for state in self.graph.node_indices() {
            first.push(cubes.len() as u32);
            if self.graph[state].terminal {
                continue;
            }
            for (edge, data) in self.outgoing(state) {
                let Some(list) = data.guard.cubes(false, MAX_CUBES - cubes.len().min(MAX_CUBES)) else {
                    return Err(Diagnostic::error(
                        code::AUTOMATON_LIMIT,
                        format!("the guards of machine `{}` expand to more than {MAX_CUBES} cases", self.name),
                    )
                    .primary(data.span, "this guard is too complex")
                    .help("simplify the guard, or use fewer than 13 distinct props and comparisons"));
                };
                cubes.extend(list.into_iter().map(|(mask, value)| Cube { mask, value, edge }));
            }
        }
        first.push(cubes.len() as u32);
        Ok(Transitions::Cubes { first, cubes })
    }

    fn overlap(&self, state: NodeIndex, a: &EdgeData, b: &EdgeData, label: u64) -> Diagnostic {
        let valuation: Vec<String> = self
            .atoms
            .iter()
            .enumerate()
            .map(|(k, atom)| if label >> k & 1 == 1 { atom.text.clone() } else { format!("!{}", atom.text) })
            .collect();
        Diagnostic::error(
            code::OVERLAP,
            format!("two edges leaving state `{}` of machine `{}` can both match", self.graph[state].name, self.name),
        )
        .primary(b.span, "this edge")
        .secondary(a.span, "overlaps this earlier edge")
        .note(format!("both guards hold when {}", valuation.join(" & ")))
        .help(format!(
            "make the guards exclusive, or declare `machine {} priority` so that the first listed edge wins",
            self.name
        ))
    }

    /// States from which no edge can leave for some valuation, for `strict`.
    pub fn uncovered(&self) -> Option<(String, String)> {
        let atoms = self.atoms.len() as u32;
        if atoms > MAX_DENSE_ATOMS {
            return None;
        }
        for state in self.graph.node_indices() {
            if self.graph[state].terminal {
                continue;
            }
            let edges = self.outgoing(state);
            for label in 0..1u64 << atoms {
                if !edges.iter().any(|(_, d)| d.guard.eval(label)) {
                    let valuation: Vec<String> = self
                        .atoms
                        .iter()
                        .enumerate()
                        .map(
                            |(k, atom)| if label >> k & 1 == 1 { atom.text.clone() } else { format!("!{}", atom.text) },
                        )
                        .collect();
                    return Some((self.graph[state].name.clone(), valuation.join(" & ")));
                }
            }
        }
        None
    }

    /// Marks the edges the verifier proved are never taken.
    pub fn mark_never_taken(&mut self, program: &Program) {
        let Some(never) = program.never_taken.get(&self.name) else { return };
        for e in self.graph.edge_weights_mut() {
            e.never = never.contains(&e.order);
        }
    }

    /// Fewest transitions from each state to one of `goals`, over edges
    /// that can be taken; the number of states where none is reachable.
    pub fn distances(&self, goals: &[bool]) -> Vec<u32> {
        let n = self.state_count();
        let mut distance = vec![n as u32; n];
        let mut queue = VecDeque::new();
        for (s, &goal) in goals.iter().enumerate() {
            if goal {
                distance[s] = 0;
                queue.push_back(NodeIndex::new(s));
            }
        }
        while let Some(s) = queue.pop_front() {
            for e in self.graph.edges_directed(s, petgraph::Direction::Incoming) {
                if e.weight().never {
                    continue;
                }
                let from = e.source();
                if distance[from.index()] == n as u32 {
                    distance[from.index()] = distance[s.index()] + 1;
                    queue.push_back(from);
                }
            }
        }
        distance
    }

    /// The optimal value of each state, by value iteration with discount
    /// `gamma`: `V(s) = max over edges e out of s of r(e) + gamma * V(target)`,
    /// with `r(e)` the edge's reward when `reward` folds it to a constant
    /// (0 otherwise), 0 for terminal states and states without edges. As
    /// the reward_machines code computes it (its `value_iteration`, the
    /// potentials of its automated shaping): Gauss–Seidel sweeps in state
    /// order until no value moves by more than 1e-7. Edges proved never
    /// taken are left out. `None` when it does not settle within
    /// [`MAX_VALUE_SWEEPS`] sweeps (a rewarding cycle with gamma 1).
    pub fn value_iteration(&self, gamma: f64, reward: impl Fn(&Expr) -> Option<f64>) -> Option<Vec<f64>> {
        let n = self.state_count();
        let mut v = vec![0.0f64; n];
        let edges: Vec<Vec<(usize, f64)>> = (0..n)
            .map(|s| {
                self.graph
                    .edges(NodeIndex::new(s))
                    .filter(|e| !e.weight().never)
                    .map(|e| (e.target().index(), e.weight().reward.as_ref().and_then(&reward).unwrap_or(0.0)))
                    .collect()
            })
            .collect();
        for _ in 0..MAX_VALUE_SWEEPS {
            let mut error: f64 = 0.0;
            for s in 0..n {
                if self.graph[NodeIndex::new(s)].terminal || edges[s].is_empty() {
                    continue;
                }
                let best = edges[s].iter().map(|&(t, r)| r + gamma * v[t]).fold(f64::NEG_INFINITY, f64::max);
                error = error.max((best - v[s]).abs());
                v[s] = best;
            }
            if error <= 1e-7 {
                return Some(v);
            }
        }
        None
    }

    /// An LTLf formula's minimal DFA as an automaton: one edge per pair of
    /// states, guarded by the letters that lead from one to the other
    /// (merged into prime cubes), no terminal states.
    pub fn from_dfa(name: &str, dfa: &crate::ltl::Dfa, atoms: Vec<Expr>) -> Automaton {
        let mut graph = DiGraph::new();
        for s in 0..dfa.states() {
            graph.add_node(StateData { name: s.to_string(), terminal: false });
        }
        let atoms: Vec<Atom> = atoms.into_iter().map(|e| Atom { text: expr_text(&e), expr: e }).collect();
        let mut order = 0;
        for (from, row) in dfa.next.iter().enumerate() {
            let mut targets: Vec<u32> = row.clone();
            targets.sort_unstable();
            targets.dedup();
            for to in targets {
                let letters: Vec<u64> = (0..row.len() as u64).filter(|&l| row[l as usize] == to).collect();
                let guard = cover(&letters, dfa.atoms);
                let data = EdgeData {
                    guard,
                    reward: None,
                    order,
                    span: Span::new(crate::source::FileId(0), 0, 0),
                    never: false,
                };
                graph.add_edge(NodeIndex::new(from), NodeIndex::new(to as usize), data);
                order += 1;
            }
        }
        Automaton {
            name: name.to_string(),
            graph,
            start: StateId(dfa.initial),
            atoms,
            priority: false,
            strict: false,
            accepting: Some(dfa.accepting.clone()),
            omega: None,
        }
    }

    /// An `ltl` formula's Büchi automaton as a deterministic automaton with
    /// state-based acceptance, over the formula's atoms and then one atom
    /// `jump == k` per jump choice. A state is a Büchi state with one bit:
    /// whether the transition into it was accepting (so `.accepting` is "this
    /// step took an accepting transition"); a sink, the last state, takes
    /// the letters on which every run dies. Edges are in `priority` order:
    /// first, per choice `k`, the letters on which the `k`-th jump exists
    /// (jump targets in increasing order), then the deterministic successor,
    /// which is also taken when the choice is 0 or out of range.
    pub fn from_buchi(name: &str, buchi: &crate::omega::Buchi, atoms: Vec<Expr>, jump_atoms: Vec<Expr>) -> Automaton {
        let letters = 1u64 << buchi.atoms;
        let formula_atoms = buchi.atoms;
        // (Büchi state or sink, entered by an accepting transition).
        let sink = buchi.states() as u32;
        let mut index: HashMap<(u32, bool), u32> = HashMap::new();
        let mut states: Vec<(u32, bool)> = vec![(0, false)];
        index.insert((0, false), 0);
        // Per state and letter: the deterministic successor and the jumps,
        // each a (Büchi state, entered by an accepting transition) pair.
        type Successors = ((u32, bool), Vec<(u32, bool)>);
        let mut rows: Vec<Vec<Successors>> = Vec::new();
        let mut s = 0;
        while s < states.len() {
            let (q, _) = states[s];
            let mut row = Vec::with_capacity(letters as usize);
            for letter in 0..letters {
                let successors: Vec<(u32, bool)> = if q == sink {
                    Vec::new()
                } else {
                    buchi.edges[q as usize].iter().filter(|e| e.0 == letter).map(|e| (e.1, e.2)).collect()
                };
                let from_initial = q != sink && !buchi.accepting_component[q as usize];
                let (stay, jumps): (Vec<_>, Vec<_>) =
                    successors.into_iter().partition(|&(t, _)| !from_initial || !buchi.accepting_component[t as usize]);
                // Where the state offers no way to stay on this letter, not
                // jumping takes the first jump: the run lives on (a pruned
                // wait is covered by that jump's target).
                let stay = stay.first().or(jumps.first()).copied().unwrap_or((sink, false));
                row.push((stay, jumps));
            }
            for key in row.iter().flat_map(|(stay, jumps)| std::iter::once(stay).chain(jumps)) {
                if !index.contains_key(key) {
                    index.insert(*key, states.len() as u32);
                    states.push(*key);
                }
            }
            rows.push(row);
            s += 1;
        }
        let mut graph = DiGraph::new();
        for (k, &(q, accepting)) in states.iter().enumerate() {
            let label = if q == sink { "sink".to_string() } else { format!("{k}") };
            let _ = accepting;
            graph.add_node(StateData { name: label, terminal: false });
        }
        let mut all_atoms: Vec<Atom> = atoms.into_iter().map(|e| Atom { text: expr_text(&e), expr: e }).collect();
        all_atoms.extend(jump_atoms.iter().map(|e| Atom { text: expr_text(e), expr: e.clone() }));
        let jump_choices = jump_atoms.len();
        let mut order = 0;
        let mut add = |graph: &mut DiGraph<StateData, EdgeData>, from: usize, to: u32, guard: Guard| {
            let data =
                EdgeData { guard, reward: None, order, span: Span::new(crate::source::FileId(0), 0, 0), never: false };
            graph.add_edge(NodeIndex::new(from), NodeIndex::new(to as usize), data);
            order += 1;
        };
        for (from, row) in rows.iter().enumerate() {
            for choice in 0..jump_choices {
                let targets: std::collections::BTreeSet<u32> =
                    row.iter().filter_map(|(_, jumps)| jumps.get(choice)).map(|key| index[key]).collect();
                for to in targets {
                    let letters: Vec<u64> = (0..letters)
                        .filter(|&l| row[l as usize].1.get(choice).map(|key| index[key]) == Some(to))
                        .collect();
                    let jump = Guard::Atom((formula_atoms + choice) as u32);
                    add(&mut graph, from, to, Guard::And(Box::new(jump), Box::new(cover(&letters, formula_atoms))));
                }
            }
            let targets: std::collections::BTreeSet<u32> = row.iter().map(|(stay, _)| index[stay]).collect();
            for to in targets {
                let letters: Vec<u64> = (0..letters).filter(|&l| index[&row[l as usize].0] == to).collect();
                add(&mut graph, from, to, cover(&letters, formula_atoms));
            }
        }
        Automaton {
            name: name.to_string(),
            graph,
            start: StateId(0),
            atoms: all_atoms,
            priority: true,
            strict: false,
            accepting: Some(states.iter().map(|&(_, accepting)| accepting).collect()),
            omega: None,
        }
    }

    /// Goal states: for an LTLf automaton its accepting states; for a
    /// machine, terminal states entered by an edge whose reward can be
    /// positive (a literal reward must be > 0; any other expression might be).
    pub fn goal_states(&self) -> Vec<bool> {
        if let Some(accepting) = &self.accepting {
            return accepting.clone();
        }
        let mut goals = vec![false; self.state_count()];
        for e in self.graph.edge_references() {
            let target = e.target();
            let can_pay = match &e.weight().reward {
                _ if e.weight().never => false,
                None => false,
                Some(r) => literal_value(r).is_none_or(|v| v > 0.0),
            };
            if self.graph[target].terminal && can_pay {
                goals[target.index()] = true;
            }
        }
        goals
    }
}

/// Builds a machine's automaton and checks what can be decided by
/// enumerating atom valuations: overlapping guards (non-`priority` machines)
/// and coverage (`strict` machines), exactly when every atom is a prop or a
/// bool input; with numeric comparisons among the atoms some valuations may
/// be impossible, and those checks are left to the verifier.
pub fn analyse(program: &Program, m: &ast::Machine, states: &[String]) -> Result<Automaton, Diagnostic> {
    let automaton = Automaton::from_machine(program, m, states)?;
    let only_props = automaton.atoms.iter().all(|atom| match &atom.expr.strip_parens().kind {
        ExprKind::Name(n) => {
            program.lookup(&n.name).is_some_and(|d| matches!(program.decl(d).kind, DeclKind::Prop | DeclKind::Input(_)))
        }
        _ => false,
    });
    if automaton.strict
        && only_props
        && let Some((state, valuation)) = automaton.uncovered()
    {
        return Err(Diagnostic::error(
            code::NOT_COVERED,
            format!("strict machine `{}` has no edge from `{state}` for some steps", automaton.name),
        )
        .primary(m.name.span, "declared `strict` here")
        .note(format!("in state `{state}`, no guard holds when {valuation}"))
        .help(format!("add an edge such as `{state} -> {state} when true` last, or drop `strict`")));
    }
    automaton.tables(only_props)?;
    Ok(automaton)
}

/// The automaton checks of every machine and `ltlf` formula, for `rwc check`.
pub fn check_machines(program: &Program) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (index, decl) in program.decls.iter().enumerate() {
        if let DeclKind::Formula(f) = &decl.kind
            && !f.is_pattern()
            && let Err(d) = formula_automaton(program, f)
        {
            out.push(d);
        }
        if let DeclKind::Machine(m) = &decl.kind {
            let states = program.machine_states.get(&crate::sema::DeclId(index as u32)).cloned().unwrap_or_default();
            if let Err(d) = analyse(program, m, &states) {
                out.push(d);
            }
        }
    }
    out
}

/// The guard that holds exactly for `letters`, written over `names` (the
/// atoms' names, in bit order).
pub fn cover_text(letters: &[u64], atoms: usize, names: &[String]) -> String {
    cover(letters, atoms).display_at(&|k| names.get(k).map_or("?", String::as_str), 0)
}

/// The guard that holds exactly for `letters`, in HOA's label syntax
/// (atoms by number).
pub fn cover_hoa(letters: &[u64], atoms: usize) -> String {
    fn hoa(g: &Guard, outer: u8) -> String {
        let (text, level) = match g {
            Guard::True => ("t".to_string(), 3),
            Guard::False => ("f".to_string(), 3),
            Guard::Atom(k) => (k.to_string(), 3),
            Guard::Not(a) => (format!("!{}", hoa(a, 3)), 3),
            Guard::And(a, b) => (format!("{}&{}", hoa(a, 2), hoa(b, 2)), 2),
            Guard::Or(a, b) => (format!("{} | {}", hoa(a, 1), hoa(b, 1)), 1),
        };
        if level < outer { format!("({text})") } else { text }
    }
    hoa(&cover(letters, atoms), 0)
}

/// A guard that holds exactly for `letters` (valuations of `atoms` atoms):
/// an irredundant sum of cubes by Minato–Morreale's ISOP over the truth
/// table. It runs in time about `2^atoms * 1.5^atoms` (well under a
/// millisecond at 12 atoms) where pairwise merging of minterms grows with
/// the square of the letters.
fn cover(letters: &[u64], atoms: usize) -> Guard {
    if letters.len() as u64 == 1 << atoms {
        return Guard::True;
    }
    let mut table = vec![false; 1 << atoms];
    for &l in letters {
        if let Some(t) = table.get_mut(l as usize) {
            *t = true;
        }
    }
    let mut cubes = Vec::new();
    isop(&table, &table, atoms, 0, 0, &mut cubes);
    cubes.sort_unstable_by_key(|&(m, v)| (std::cmp::Reverse(m.count_ones()), v));
    let cube = |(mask, value): (u64, u64)| -> Guard {
        let mut g: Option<Guard> = None;
        for k in 0..atoms {
            if mask >> k & 1 == 1 {
                let lit = Guard::Atom(k as u32);
                let lit = if value >> k & 1 == 1 { lit } else { Guard::Not(Box::new(lit)) };
                g = Some(match g {
                    Some(prev) => Guard::And(Box::new(prev), Box::new(lit)),
                    None => lit,
                });
            }
        }
        g.unwrap_or(Guard::True)
    };
    cubes.into_iter().map(cube).reduce(|a, b| Guard::Or(Box::new(a), Box::new(b))).unwrap_or(Guard::False)
}

/// Irredundant sum of products of a function between `lower` and `upper`
/// (truth tables over the low `vars` atoms), pushing cubes `(mask, value)`
/// extended by the literals fixed so far; returns the cover's truth table.
fn isop(lower: &[bool], upper: &[bool], vars: usize, mask: u64, value: u64, out: &mut Vec<(u64, u64)>) -> Vec<bool> {
    if lower.iter().all(|&b| !b) {
        return vec![false; lower.len()];
    }
    if upper.iter().all(|&b| b) {
        out.push((mask, value));
        return vec![true; lower.len()];
    }
    // Split on the highest atom: index bit `vars - 1`.
    let x = vars - 1;
    let half = lower.len() / 2;
    let (l0, l1) = lower.split_at(half);
    let (u0, u1) = upper.split_at(half);
    let and_not = |a: &[bool], b: &[bool]| a.iter().zip(b).map(|(&p, &q)| p && !q).collect::<Vec<bool>>();
    let r0 = isop(&and_not(l0, u1), u0, x, mask | 1 << x, value, out);
    let r1 = isop(&and_not(l1, u0), u1, x, mask | 1 << x, value | 1 << x, out);
    let rest: Vec<bool> = (0..half).map(|k| (l0[k] && !r0[k]) || (l1[k] && !r1[k])).collect();
    let both: Vec<bool> = u0.iter().zip(u1).map(|(&p, &q)| p && q).collect();
    let rs = isop(&rest, &both, x, mask, value, out);
    let mut result = Vec::with_capacity(lower.len());
    result.extend((0..half).map(|k| r0[k] || rs[k]));
    result.extend((0..half).map(|k| r1[k] || rs[k]));
    result
}

/// Translates an `ltlf` formula into its automaton, expanding the formula
/// patterns it instantiates.
pub fn ltlf_automaton(program: &Program, f: &ast::FormulaDecl) -> Result<Automaton, Diagnostic> {
    // Checking, verification and lowering each need the automaton: translate
    // once per formula (the edges proved never taken are marked afresh).
    let cached = program.ltlf_cache.lock().ok().and_then(|cache| cache.get(&f.name.name).cloned());
    let translated = match cached {
        Some(t) => t,
        None => {
            let t = translate_formula(program, f);
            if let Ok(mut cache) = program.ltlf_cache.lock() {
                cache.insert(f.name.name.clone(), t.clone());
            }
            t
        }
    };
    translated.map(|(dfa, atoms)| {
        let mut automaton = Automaton::from_dfa(&f.name.name, &dfa, atoms);
        automaton.mark_never_taken(program);
        automaton
    })
}

fn translate_formula(program: &Program, f: &ast::FormulaDecl) -> crate::sema::LtlfTranslation {
    let mut atoms = Vec::new();
    let patterns = |name: &str| -> Option<(Vec<String>, ast::Formula)> {
        match &program.decl(program.lookup(name)?).kind {
            DeclKind::Formula(p) if p.is_pattern() => {
                Some((p.params.iter().map(|x| x.name.clone()).collect(), p.formula.clone()))
            }
            _ => None,
        }
    };
    match crate::ltl::translate(&f.formula, &mut atoms, &patterns) {
        Ok(dfa) => Ok((dfa, atoms)),
        Err(e) => Err(Diagnostic::error(
            code::AUTOMATON_LIMIT,
            format!("`ltlf {}` is too large to translate: {e}", f.name.name),
        )
        .primary(f.formula.span, "this formula")
        .help("split it into several `ltlf` items, or use fewer distinct props and comparisons")),
    }
}

/// The automaton of an `ltlf` or `ltl` formula (not a pattern).
pub fn formula_automaton(program: &Program, f: &ast::FormulaDecl) -> Result<Automaton, Diagnostic> {
    match f.kind {
        ast::FormulaKind::Ltlf => ltlf_automaton(program, f),
        ast::FormulaKind::Ltl => ltl_automaton(program, f),
    }
}

/// Translates an `ltl` formula into its automaton (cached per formula; the
/// edges proved never taken are marked afresh).
pub fn ltl_automaton(program: &Program, f: &ast::FormulaDecl) -> Result<Automaton, Diagnostic> {
    let cached = program.ltl_cache.lock().ok().and_then(|cache| cache.get(&f.name.name).cloned());
    let translated = match cached {
        Some(t) => t,
        None => {
            let t = translate_ltl(program, f);
            if let Ok(mut cache) = program.ltl_cache.lock() {
                cache.insert(f.name.name.clone(), t.clone());
            }
            t
        }
    };
    translated.map(|mut automaton| {
        automaton.mark_never_taken(program);
        automaton
    })
}

/// Most jump choices an `ltl` automaton may offer the agent in one step
/// (each is an atom `jump == k` of the transition tables).
pub const MAX_JUMPS: usize = 16;

fn translate_ltl(program: &Program, f: &ast::FormulaDecl) -> Result<Automaton, Diagnostic> {
    let started = std::time::Instant::now();
    let patterns = |name: &str| -> Option<(Vec<String>, ast::Formula)> {
        match &program.decl(program.lookup(name)?).kind {
            DeclKind::Formula(p) if p.is_pattern() => {
                Some((p.params.iter().map(|x| x.name.clone()).collect(), p.formula.clone()))
            }
            _ => None,
        }
    };
    let mut atoms: Vec<Expr> = Vec::new();
    let mut atom = |e: &Expr| crate::ltl::atom_number(&mut atoms, e);
    let mut arena = crate::omega::Arena::new();
    let root = crate::omega::from_formula(&mut arena, &f.formula, &mut atom, &patterns, &[]);
    let too_large = |e: &dyn std::fmt::Display| {
        Diagnostic::error(code::AUTOMATON_LIMIT, format!("`ltl {}` is too large to translate: {e}", f.name.name))
            .primary(f.formula.span, "this formula")
            .help("split it into several `ltl` items, or use fewer distinct props and comparisons")
    };
    let translation = crate::omega::translate(&mut arena, root).map_err(|e| too_large(&e))?;
    let class = crate::omega::classify(&mut arena, root, &translation);
    let generalized = translation.generalized;
    let buchi = translation.automaton;
    let jumps = buchi.jump_choices();
    if jumps > MAX_JUMPS {
        return Err(too_large(&format!(
            "its limit-deterministic automaton offers {jumps} jumps in one step; the limit is {MAX_JUMPS}"
        )));
    }
    let jump_atoms = match (&f.jump, jumps) {
        (_, 0) => Vec::new(),
        (Some(input), k) => (1..=k)
            .map(|choice| {
                let span = input.span;
                let name = Expr { kind: ExprKind::Name(input.clone()), span };
                let value = Expr { kind: ExprKind::Int(choice as i64), span };
                Expr { kind: ExprKind::Binary(BinOp::Eq, Box::new(name), Box::new(value)), span }
            })
            .collect(),
        (None, _) => {
            return Err(Diagnostic::error(
                code::LTL_NEEDS_JUMP,
                format!("`ltl {}` needs the agent to choose when to jump", f.name.name),
            )
            .primary(
                f.formula.span,
                if class.exact {
                    format!("a {} formula: no deterministic Büchi automaton recognises it", class.class.name())
                } else {
                    format!(
                        "at most a {} formula: no deterministic Büchi automaton was found within the limits",
                        class.class.name()
                    )
                },
            )
            .note(format!(
                "its automaton is limit-deterministic: {}, as with the ε-actions of LCRL and Hahn et al. 2019",
                if jumps == 1 {
                    "the agent chooses the step at which it jumps into the accepting part".to_string()
                } else {
                    format!("in some steps the agent picks one of up to {jumps} jumps into the accepting part")
                }
            ))
            .help(format!(
                "declare `input {0}_jump: int` and write `ltl {0} = ... jump {0}_jump` (0 stays, k takes the k-th jump)",
                f.name.name
            )));
        }
    };
    let mut automaton = Automaton::from_buchi(&f.name.name, &buchi, atoms, jump_atoms);
    let millis = started.elapsed().as_secs_f64() * 1e3;
    automaton.omega = Some(OmegaInfo { buchi, generalized, class, jumps, millis });
    Ok(automaton)
}

fn is_bool(program: &Program, e: &Expr) -> bool {
    match &e.strip_parens().kind {
        ExprKind::Bool(_) => true,
        ExprKind::Unary(UnOp::Not, _) => true,
        ExprKind::Binary(op, _, _) => op.is_logical() || op.is_comparison(),
        ExprKind::Name(n) => program.lookup(&n.name).is_some_and(|id| {
            program.types.get(&id) == Some(&crate::sema::Ty::BOOL) || matches!(program.decl(id).kind, DeclKind::Prop)
        }),
        _ => false,
    }
}

fn literal_value(e: &Expr) -> Option<f64> {
    match &e.strip_parens().kind {
        ExprKind::Int(v) => Some(*v as f64),
        ExprKind::Float(v) => Some(*v),
        ExprKind::Unary(UnOp::Neg, inner) => literal_value(inner).map(|v| -v),
        _ => None,
    }
}

impl Guard {
    /// The guard as a formula over the atoms' text, with only the
    /// parentheses precedence needs (`|` < `&` < `!`).
    pub fn display(&self, atoms: &[Atom]) -> String {
        self.display_at(&|k| atoms.get(k).map_or("?", |a| a.text.as_str()), 0)
    }

    fn display_at<'a>(&self, atom: &dyn Fn(usize) -> &'a str, outer: u8) -> String {
        let (text, level) = match self {
            Guard::True => ("true".to_string(), 3),
            Guard::False => ("false".to_string(), 3),
            Guard::Atom(k) => {
                let t = atom(*k as usize);
                let simple = t.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '.');
                (t.to_string(), if simple { 3 } else { 2 })
            }
            Guard::Not(g) => (format!("!{}", g.display_at(atom, 3)), 3),
            Guard::And(a, b) => (format!("{} & {}", a.display_at(atom, 2), b.display_at(atom, 2)), 2),
            Guard::Or(a, b) => (format!("{} | {}", a.display_at(atom, 1), b.display_at(atom, 1)), 1),
        };
        if level < outer { format!("({text})") } else { text }
    }
}

impl Automaton {
    /// Graphviz: states as circles (terminal or accepting ones doubled), the start state
    /// marked by an arrow, edges labelled `guard / reward`.
    pub fn to_dot(&self) -> String {
        let quote = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
        let mut out = format!("digraph {} {{\n  rankdir=LR;\n  node [shape=circle];\n", quote(&self.name));
        out.push_str("  __start [shape=point, label=\"\"];\n");
        for n in self.graph.node_indices() {
            let s = &self.graph[n];
            let accepting = self.accepting.as_ref().is_some_and(|a| a[n.index()]);
            let shape = if s.terminal || accepting { " shape=doublecircle" } else { "" };
            out.push_str(&format!("  {} [label={}{shape}];\n", n.index(), quote(&s.name)));
        }
        out.push_str(&format!("  __start -> {};\n", self.start.0));
        for e in self.ordered_edges() {
            let Some((from, to)) = self.graph.edge_endpoints(e) else { continue };
            let data = &self.graph[e];
            let mut label = data.guard.display(&self.atoms);
            if let Some(r) = &data.reward {
                label.push_str(&format!(" / {}", expr_text(r)));
            }
            // An `ltl` automaton's accepting transitions (into the states
            // they mark) are drawn bold.
            let accepting = self.omega.is_some() && self.accepting.as_ref().is_some_and(|a| a[to.index()]);
            let style = if accepting { ", style=bold" } else { "" };
            out.push_str(&format!("  {} -> {} [label={}{style}];\n", from.index(), to.index(), quote(&label)));
        }
        out.push_str("}\n");
        out
    }
}

impl Automaton {
    /// HOA (v1) for the automaton of an `ltl` formula (its Büchi automaton,
    /// limit-deterministic or deterministic, with accepting transitions, or
    /// the generalized Büchi automaton with fewer states where there is one) or
    /// of an `ltlf` formula (its DFA as an ω-automaton in Spot's encoding of
    /// finite traces, `spot.from_ltlf`: an extra proposition `alive` holds
    /// on the trace's steps and not after it, so a finite trace `u` is read
    /// as `u` then `!alive` forever, accepted iff `u` is). `None` for a
    /// reward machine, which has no acceptance condition.
    pub fn to_hoa(&self) -> Option<String> {
        let names: Vec<String> = self.atoms.iter().map(|a| a.text.clone()).collect();
        if let Some(omega) = &self.omega {
            return Some(match &omega.generalized {
                Some(g) => g.to_hoa(&self.name, &names),
                None => omega.buchi.to_hoa(&self.name, &names),
            });
        }
        let accepting = self.accepting.as_ref()?;
        let k = self.atoms.len();
        let n = self.state_count();
        // DFA states keep their numbers; `dead` follows the end of the
        // trace; `init` is the start state before any step (the empty trace
        // is no trace, as in `spot.from_ltlf`).
        let (dead, init) = (n, n + 1);
        let quote = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
        let mut out = format!("HOA: v1\nname: {}\nStates: {}\nStart: {init}\nAP: {}", quote(&self.name), n + 2, k + 1);
        for name in names.iter().chain(std::iter::once(&"alive".to_string())) {
            out.push_str(&format!(" {}", quote(name)));
        }
        out.push_str("\nacc-name: Buchi\nAcceptance: 1 Inf(0)\n");
        out.push_str("properties: trans-labels explicit-labels state-acc deterministic\n--BODY--\n");
        let alive = k;
        let ordered = self.ordered_edges();
        let edges_of = |s: usize| -> String {
            // Per target, the letters that lead there (first matching edge).
            let mut targets: Vec<(usize, Vec<u64>)> = Vec::new();
            for letter in 0..1u64 << k {
                let edge = ordered.iter().copied().find(|&e| {
                    self.graph.edge_endpoints(e).is_some_and(|(from, _)| from.index() == s)
                        && self.graph[e].guard.eval(letter)
                });
                if let Some((_, to)) = edge.and_then(|e| self.graph.edge_endpoints(e)) {
                    match targets.iter_mut().find(|(t, _)| *t == to.index()) {
                        Some((_, letters)) => letters.push(letter),
                        None => targets.push((to.index(), vec![letter])),
                    }
                }
            }
            targets
                .into_iter()
                .map(|(to, letters)| {
                    let label = cover_hoa(&letters, k);
                    match label.as_str() {
                        "t" => format!("[{alive}] {to}\n"),
                        l if l.contains('|') => format!("[{alive}&({l})] {to}\n"),
                        l => format!("[{alive}&{l}] {to}\n"),
                    }
                })
                .collect()
        };
        for (s, &accepts) in accepting.iter().enumerate() {
            out.push_str(&format!("State: {s}\n{}", edges_of(s)));
            // The trace may end after a step that reached an accepting state.
            if accepts {
                out.push_str(&format!("[!{alive}] {dead}\n"));
            }
        }
        out.push_str(&format!("State: {dead} {{0}}\n[!{alive}] {dead}\n"));
        out.push_str(&format!("State: {init}\n{}--END--\n", edges_of(self.start.0 as usize)));
        Some(out)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::{Guard, cover};

    fn cubes(g: &Guard) -> usize {
        match g {
            Guard::Or(a, b) => cubes(a) + cubes(b),
            Guard::False => 0,
            _ => 1,
        }
    }

    /// The cover holds on exactly its letters, for random sets over up to
    /// 10 atoms, and never has more cubes than letters.
    #[test]
    fn cover_is_exact() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for case in 0..600 {
            let atoms = 1 + case % 10;
            let density = next() % 100;
            let letters: Vec<u64> = (0..1u64 << atoms).filter(|_| next() % 100 < density).collect();
            let g = cover(&letters, atoms);
            for l in 0..1u64 << atoms {
                assert_eq!(g.eval(l), letters.contains(&l), "case {case}: letter {l:b} of {letters:?}");
            }
            assert!(cubes(&g) <= letters.len().max(1), "case {case}");
        }
        // `p0 | ... | p11`: twelve one-literal cubes.
        let letters: Vec<u64> = (1..1u64 << 12).collect();
        assert_eq!(cubes(&cover(&letters, 12)), 12);
    }
}

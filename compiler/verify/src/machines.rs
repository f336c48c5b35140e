//! Solver-backed checks of reward machines: guards that overlap (with a
//! step where both hold), `strict` coverage, guards that never hold, edges
//! that earlier edges shadow in `priority` machines, unreachable and dead
//! states, goals that can never be paid.
//!
//! Machines whose guards use only props and bool inputs get their overlap
//! and coverage checks from the compiler's exhaustive enumeration
//! (`automata::analyse`); here those two run for machines with numeric
//! comparisons. The rest runs for every machine.

use crate::Options;
use crate::encode::Encoder;
use rw_compiler::automata::{Automaton, EdgeView, Guard};
use rw_compiler::diagnostic::{Diagnostic, code};
use rw_compiler::sema::{DeclId, DeclKind, Program};
use rw_compiler::source::Span;
use rw_compiler::syntax::ast::{self, ExprKind};
use z3::SatResult;
use z3::ast::Bool;

/// What the solver decided about one machine; used by the diagnostics and
/// by the property tests that compare it with brute force.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Verdicts {
    /// Pairs of edge indices (in machine order) from the same state whose
    /// guards can both hold, with a witness.
    pub overlaps: Vec<(u32, u32, String)>,
    /// Edges whose guard can never hold.
    pub never: Vec<u32>,
    /// Edges of `priority` machines that earlier edges cover completely.
    pub shadowed: Vec<u32>,
    /// States of `strict` machines with a valuation no edge covers.
    pub uncovered: Vec<(u32, String)>,
    pub unreachable: Vec<u32>,
    /// Non-terminal states from which no rewarding edge and no terminal
    /// state can be reached.
    pub dead: Vec<u32>,
    /// Queries the solver could not decide in time.
    pub inconclusive: u32,
    /// Every goal edge (into a terminal state, with a reward that can be
    /// positive) is unreachable, and there is at least one.
    pub goals_unreachable: Vec<u32>,
}

struct Query {
    solver: crate::Solver,
}

enum Answer {
    Sat(String),
    Unsat,
    Unknown,
}

impl Query {
    fn new(options: &Options, constraints: &[Bool]) -> Query {
        Query { solver: crate::solver(options, constraints) }
    }

    fn ask(&self, formula: &Bool, encoder: &Encoder<'_>) -> Answer {
        self.solver.push();
        self.solver.assert(formula);
        let answer = match self.solver.check() {
            SatResult::Sat => Answer::Sat(self.solver.get_model().map_or_else(String::new, |m| witness(&m, encoder))),
            SatResult::Unsat => Answer::Unsat,
            SatResult::Unknown => Answer::Unknown,
        };
        self.solver.pop(1);
        answer
    }
}

/// The model's values of the spec's props and inputs, in the user's terms.
fn witness(model: &z3::Model, encoder: &Encoder<'_>) -> String {
    let mut parts = Vec::new();
    for var in &encoder.vars {
        if var.name.starts_with('⟨') {
            continue;
        }
        if let Some(v) = var.show(model) {
            parts.push(format!("{} = {v}", var.name));
        }
    }
    parts.join(", ")
}

fn smt(guard: &Guard, atoms: &[Bool]) -> Bool {
    match guard {
        Guard::True => Bool::from_bool(true),
        Guard::False => Bool::from_bool(false),
        Guard::Atom(k) => atoms[*k as usize].clone(),
        Guard::Not(g) => smt(g, atoms).not(),
        Guard::And(a, b) => Bool::and(&[smt(a, atoms), smt(b, atoms)]),
        Guard::Or(a, b) => Bool::or(&[smt(a, atoms), smt(b, atoms)]),
    }
}

fn atoms_in(guard: &Guard, out: &mut Vec<u32>) {
    match guard {
        Guard::Atom(k) => out.push(*k),
        Guard::Not(g) => atoms_in(g, out),
        Guard::And(a, b) | Guard::Or(a, b) => {
            atoms_in(a, out);
            atoms_in(b, out);
        }
        Guard::True | Guard::False => {}
    }
}

fn literal(e: &ast::Expr) -> Option<f64> {
    match &e.strip_parens().kind {
        ExprKind::Int(v) => Some(*v as f64),
        ExprKind::Float(v) => Some(*v),
        ExprKind::Unary(ast::UnOp::Neg, inner) => literal(inner).map(|v| -v),
        _ => None,
    }
}

/// Runs every check on one machine. Overlap and coverage queries run only
/// for machines with numeric atoms unless `all` is set (the compiler decides
/// props-only machines by enumeration; tests compare both).
pub fn analyse(program: &Program, automaton: &Automaton, options: &Options, all: bool) -> Verdicts {
    let mut encoder = Encoder::new(program);
    let mut atoms = Vec::new();
    let mut exact_atom = Vec::new();
    for atom in &automaton.atoms {
        atoms.push(encoder.boolean(&atom.expr));
        exact_atom.push(encoder.take_exact());
    }
    let only_props = !all && automaton.atoms.iter().all(|a| {
        matches!(&a.expr.strip_parens().kind, ExprKind::Name(n)
            if program.lookup(&n.name).is_some_and(|d| matches!(program.decl(d).kind, DeclKind::Prop | DeclKind::Input(_))))
    });
    let query = Query::new(options, &encoder.constraints);
    let edges: Vec<EdgeView> = automaton.edge_views();
    let exact = |g: &Guard| {
        let mut used = Vec::new();
        atoms_in(g, &mut used);
        used.iter().all(|&k| exact_atom[k as usize])
    };
    let guards: Vec<Bool> = edges.iter().map(|e| smt(&e.guard, &atoms)).collect();
    let mut v = Verdicts::default();

    // Which edges can be taken at all.
    let mut traversable = vec![true; edges.len()];
    for (k, g) in guards.iter().enumerate() {
        match query.ask(g, &encoder) {
            Answer::Unsat => {
                traversable[k] = false;
                v.never.push(k as u32);
            }
            Answer::Sat(_) => {}
            Answer::Unknown => v.inconclusive += 1,
        }
    }
    let states = automaton.state_count();
    for s in 0..states as u32 {
        let out: Vec<usize> = (0..edges.len()).filter(|&k| edges[k].from == s).collect();
        if automaton.terminal()[s as usize] {
            continue;
        }
        if !automaton.priority && !only_props {
            for (x, &i) in out.iter().enumerate() {
                for &j in &out[x + 1..] {
                    if !(traversable[i] && traversable[j] && exact(&edges[i].guard) && exact(&edges[j].guard)) {
                        continue;
                    }
                    match query.ask(&Bool::and(&[guards[i].clone(), guards[j].clone()]), &encoder) {
                        Answer::Sat(w) => v.overlaps.push((i as u32, j as u32, w)),
                        Answer::Unsat => {}
                        Answer::Unknown => v.inconclusive += 1,
                    }
                }
            }
        }
        if automaton.priority {
            for (x, &j) in out.iter().enumerate() {
                if x == 0 || !traversable[j] {
                    continue;
                }
                let mut parts = vec![guards[j].clone()];
                parts.extend(out[..x].iter().map(|&i| guards[i].not()));
                match query.ask(&Bool::and(&parts), &encoder) {
                    Answer::Unsat => {
                        // Never taken, like a guard that never holds.
                        traversable[j] = false;
                        v.shadowed.push(j as u32);
                    }
                    Answer::Sat(_) => {}
                    Answer::Unknown => v.inconclusive += 1,
                }
            }
        }
        if automaton.strict && !only_props && out.iter().all(|&k| exact(&edges[k].guard)) {
            let none = Bool::and(&out.iter().map(|&k| guards[k].not()).collect::<Vec<_>>());
            match query.ask(&none, &encoder) {
                Answer::Sat(w) => v.uncovered.push((s, w)),
                Answer::Unsat => {}
                Answer::Unknown => v.inconclusive += 1,
            }
        }
    }

    // Reachability over the edges that can be taken.
    let mut reached = vec![false; states];
    let mut stack = vec![automaton.start.0 as usize];
    while let Some(s) = stack.pop() {
        if std::mem::replace(&mut reached[s], true) {
            continue;
        }
        for (k, e) in edges.iter().enumerate() {
            if e.from as usize == s && traversable[k] {
                stack.push(e.to as usize);
            }
        }
    }
    v.unreachable = (0..states as u32).filter(|&s| !reached[s as usize]).collect();

    // Dead states: no path to a paying edge or a terminal state.
    let terminal = automaton.terminal();
    let pays = |e: &EdgeView| e.reward.as_ref().is_some_and(|r| literal(r) != Some(0.0));
    let mut alive: Vec<bool> = terminal.clone();
    for (k, e) in edges.iter().enumerate() {
        if traversable[k] && pays(e) {
            alive[e.from as usize] = true;
        }
    }
    let mut changed = true;
    while changed {
        changed = false;
        for (k, e) in edges.iter().enumerate() {
            if traversable[k] && alive[e.to as usize] && !alive[e.from as usize] {
                alive[e.from as usize] = true;
                changed = true;
            }
        }
    }
    v.dead = (0..states as u32).filter(|&s| !alive[s as usize] && reached[s as usize]).collect();

    // Goals: edges into terminal states whose reward can be positive.
    let goals: Vec<usize> = (0..edges.len())
        .filter(|&k| {
            terminal[edges[k].to as usize]
                && edges[k].reward.as_ref().is_some_and(|r| literal(r).is_none_or(|x| x > 0.0))
        })
        .collect();
    if !goals.is_empty() && goals.iter().all(|&k| !traversable[k] || !reached[edges[k].from as usize]) {
        v.goals_unreachable = goals.iter().map(|&k| k as u32).collect();
        // Every state is a dead end and the goal states unreachable: that is
        // what the goal diagnostic says; repeating it per state adds noise.
        v.dead.clear();
        v.unreachable.retain(|&s| !goals.iter().any(|&k| edges[k].to == s));
    }
    v
}

/// The number of states of an `ltlf` formula's minimal DFA.
pub fn formula_states(program: &Program, f: &ast::FormulaDecl) -> Option<f64> {
    rw_compiler::automata::formula_automaton(program, f).ok().map(|a| a.state_count() as f64)
}

/// The first place a state is named in the machine's source.
fn state_span(m: &ast::Machine, name: &str) -> Span {
    let mut mentions: Vec<&ast::Ident> = m.start.iter().chain(m.states.iter().flatten()).collect();
    for e in &m.edges {
        mentions.extend(e.from.iter());
        mentions.push(&e.to);
    }
    mentions.extend(m.terminal.iter());
    mentions.into_iter().filter(|i| i.name == name).min_by_key(|i| i.span.start).map_or(m.name.span, |i| i.span)
}

/// Edges of formula automata with comparisons among their atoms whose
/// letters no step can produce (`x > 5` and `x < 3` together), by formula
/// name; distances must not count them.
pub fn impossible_formula_edges(program: &Program, options: &Options) -> Vec<(String, Vec<u32>)> {
    let mut out = Vec::new();
    for decl in &program.decls {
        let DeclKind::Formula(f) = &decl.kind else { continue };
        if f.is_pattern() {
            continue;
        }
        let Ok(automaton) = rw_compiler::automata::formula_automaton(program, f) else { continue };
        let numeric = automaton.atoms.iter().any(|a| !matches!(&a.expr.strip_parens().kind, ExprKind::Name(_)));
        if !numeric {
            continue;
        }
        let mut encoder = Encoder::new(program);
        let atoms: Vec<Bool> = automaton.atoms.iter().map(|a| encoder.boolean(&a.expr)).collect();
        let query = Query::new(options, &encoder.constraints);
        let never: Vec<u32> = automaton
            .edge_views()
            .iter()
            .enumerate()
            .filter(|(_, e)| matches!(query.ask(&smt(&e.guard, &atoms), &encoder), Answer::Unsat))
            .map(|(k, _)| k as u32)
            .collect();
        if !never.is_empty() {
            out.push((f.name.name.clone(), never));
        }
    }
    out
}

/// The diagnostics of every machine of the program, and the edges proved
/// never taken (guards that never hold, shadowed edges) by machine name.
pub fn check(program: &Program, options: &Options) -> (Vec<Diagnostic>, Vec<(String, Vec<u32>)>) {
    let mut out = Vec::new();
    let mut never_taken = Vec::new();
    for (index, decl) in program.decls.iter().enumerate() {
        let DeclKind::Machine(m) = &decl.kind else { continue };
        let states = program.machine_states.get(&DeclId(index as u32)).cloned().unwrap_or_default();
        let Ok(automaton) = Automaton::from_machine(program, m, &states) else { continue };
        let v = analyse(program, &automaton, options, false);
        let mut never: Vec<u32> = v.never.iter().chain(&v.shadowed).copied().collect();
        never.sort_unstable();
        if !never.is_empty() {
            never_taken.push((m.name.name.clone(), never));
        }
        let edges = automaton.edge_views();
        let name = |s: u32| states.get(s as usize).cloned().unwrap_or_default();
        let edge_text = |k: u32| {
            let e = &edges[k as usize];
            format!("`{} -> {}`", name(e.from), name(e.to))
        };
        for (i, j, w) in &v.overlaps {
            out.push(
                Diagnostic::error(
                    code::OVERLAP,
                    format!(
                        "two edges leaving state `{}` of machine `{}` can both match",
                        name(edges[*i as usize].from),
                        m.name.name
                    ),
                )
                .primary(edges[*j as usize].span, "this edge")
                .secondary(edges[*i as usize].span, "overlaps this earlier edge")
                .note(format!("both guards hold when {w}"))
                .help(format!(
                    "make the guards exclusive, or declare `machine {} priority` so that the first listed edge wins",
                    m.name.name
                )),
            );
        }
        for (s, w) in &v.uncovered {
            out.push(
                Diagnostic::error(
                    code::NOT_COVERED,
                    format!("strict machine `{}` has no edge from `{}` for some steps", m.name.name, name(*s)),
                )
                .primary(m.name.span, "declared `strict` here")
                .note(format!("in state `{}`, no guard holds when {w}", name(*s)))
                .help(format!("add an edge such as `{0} -> {0} when true` last, or drop `strict`", name(*s))),
            );
        }
        for k in &v.never {
            out.push(
                Diagnostic::warning(code::NEVER_HOLDS, format!("the guard of edge {} can never hold", edge_text(*k)))
                    .primary(edges[*k as usize].span, "never taken")
                    .note("no valuation of the props and no inputs within their declared ranges satisfy it")
                    .help("fix the guard, or remove the edge"),
            );
        }
        for k in &v.shadowed {
            out.push(
                Diagnostic::warning(code::SHADOWED, format!("edge {} is never taken: earlier edges match first", edge_text(*k)))
                    .primary(edges[*k as usize].span, "shadowed")
                    .note(format!("machine `{}` is `priority`: whenever this guard holds, an earlier edge from the same state holds too", m.name.name))
                    .help("move the edge up, or narrow the earlier guards"),
            );
        }
        for s in &v.unreachable {
            out.push(
                Diagnostic::warning(
                    code::UNREACHABLE,
                    format!("state `{}` of machine `{}` is unreachable", name(*s), m.name.name),
                )
                .primary(state_span(m, &name(*s)), "no path from the start state leads here")
                .help("add an edge into it, or remove it"),
            );
        }
        for s in &v.dead {
            out.push(
                Diagnostic::warning(
                    code::DEAD_STATE,
                    format!("state `{}` of machine `{}` is a dead end", name(*s), m.name.name),
                )
                .primary(state_span(m, &name(*s)), "from here no edge pays a reward and no terminal state is reachable")
                .help("add an edge towards the goal, or make the state terminal"),
            );
        }
        if !v.goals_unreachable.is_empty() {
            let mut d = Diagnostic::error(
                code::GOAL_UNREACHABLE,
                format!("machine `{}` can never pay its goal reward", m.name.name),
            )
            .primary(m.name.span, "no rewarding edge into a terminal state can be taken");
            for k in &v.goals_unreachable {
                d = d.secondary(edges[*k as usize].span, "this goal edge is never taken");
            }
            out.push(d.help("check the guards and edges that lead to these edges"));
        }
        if v.inconclusive > 0 {
            out.push(
                Diagnostic::warning(
                    code::INCONCLUSIVE,
                    format!("verification of machine `{}` is inconclusive", m.name.name),
                )
                .primary(
                    m.name.span,
                    format!(
                        "{} solver quer{} timed out",
                        v.inconclusive,
                        if v.inconclusive == 1 { "y" } else { "ies" }
                    ),
                )
                .help(format!("raise the limit with `--timeout-ms` (now {} ms per query)", options.timeout_ms)),
            );
        }
    }
    (out, never_taken)
}

//! Property test: for random machines (random guards over up to 10 props and
//! numeric comparisons, random numeric rewards) and random traces, the
//! compiled program evaluated by the runtime equals a direct interpreter of
//! the machine that evaluates guards as formulas, step by step, bit for bit.
//! With more than 12 distinct atoms the compiler switches from dense tables
//! to cube lists, so both encodings are exercised.

use rw_runtime::{Artifact, Column, Evaluator, Options, StepInput};
use rw_tests::Rng;

#[derive(Clone, Debug)]
enum G {
    True,
    Prop(usize),
    /// `x > c`
    Above(f32),
    Not(Box<G>),
    And(Box<G>, Box<G>),
    Or(Box<G>, Box<G>),
    Implies(Box<G>, Box<G>),
}

#[derive(Clone, Debug)]
enum R {
    None,
    Const(f32),
    /// `x * c`
    Scaled(f32),
    /// `c + x`
    Offset(f32),
}

struct Edge {
    from: Option<usize>,
    to: usize,
    guard: G,
    reward: R,
}

struct Machine {
    props: usize,
    states: usize,
    terminal: Vec<bool>,
    edges: Vec<Edge>,
}

/// Constants are multiples of 0.25: exact in f32 whichever way they are parsed.
fn constant(rng: &mut Rng) -> f32 {
    (rng.below(17) as f32 - 8.0) * 0.25
}

fn guard(rng: &mut Rng, props: usize, depth: usize) -> G {
    if depth == 0 || rng.chance(30) {
        return match rng.below(10) {
            0 => G::True,
            1 | 2 => G::Above([-1.0, 0.0, 0.5, 1.0][rng.below(4)]),
            _ => G::Prop(rng.below(props)),
        };
    }
    let (a, b) = (Box::new(guard(rng, props, depth - 1)), Box::new(guard(rng, props, depth - 1)));
    match rng.below(4) {
        0 => G::Not(a),
        1 => G::And(a, b),
        2 => G::Or(a, b),
        _ => G::Implies(a, b),
    }
}

fn text(g: &G) -> String {
    match g {
        G::True => "true".into(),
        G::Prop(p) => format!("p{p}"),
        G::Above(c) => format!("x > {c:?}"),
        G::Not(a) => format!("!({})", text(a)),
        G::And(a, b) => format!("({}) & ({})", text(a), text(b)),
        G::Or(a, b) => format!("({}) | ({})", text(a), text(b)),
        G::Implies(a, b) => format!("({}) -> ({})", text(a), text(b)),
    }
}

fn holds(g: &G, props: &[bool], x: f32) -> bool {
    match g {
        G::True => true,
        G::Prop(p) => props[*p],
        G::Above(c) => x > *c,
        G::Not(a) => !holds(a, props, x),
        G::And(a, b) => holds(a, props, x) && holds(b, props, x),
        G::Or(a, b) => holds(a, props, x) || holds(b, props, x),
        G::Implies(a, b) => !holds(a, props, x) || holds(b, props, x),
    }
}

fn random_machine(rng: &mut Rng) -> Machine {
    let props = 1 + rng.below(10);
    let states = 2 + rng.below(7);
    let terminal: Vec<bool> = (0..states).map(|s| s > 0 && rng.chance(20)).collect();
    let mut edges = Vec::new();
    for _ in 0..1 + rng.below(3 * states) {
        let from = if rng.chance(10) {
            None
        } else {
            let live: Vec<usize> = (0..states).filter(|&s| !terminal[s]).collect();
            Some(live[rng.below(live.len())])
        };
        let reward = match rng.below(4) {
            0 => R::None,
            1 => R::Const(constant(rng)),
            2 => R::Scaled(constant(rng)),
            _ => R::Offset(constant(rng)),
        };
        edges.push(Edge { from, to: rng.below(states), guard: guard(rng, props, 3), reward });
    }
    Machine { props, states, terminal, edges }
}

fn source(m: &Machine) -> String {
    let props: Vec<String> = (0..m.props).map(|p| format!("p{p}")).collect();
    let states: Vec<String> = (0..m.states).map(|s| format!("q{s}")).collect();
    let mut out = format!("props {}\ninput x: f32 in -2.0..=2.0\nmachine m priority {{\n", props.join(", "));
    out.push_str(&format!("  states {}\n  start q0\n", states.join(", ")));
    for e in &m.edges {
        let from = e.from.map_or("any".to_string(), |s| format!("q{s}"));
        let reward = match e.reward {
            R::None => String::new(),
            R::Const(c) => format!(" reward {c:?}"),
            R::Scaled(c) => format!(" reward x * {c:?}"),
            R::Offset(c) => format!(" reward {c:?} + x"),
        };
        out.push_str(&format!("  {from} -> q{} when {}{reward}\n", e.to, text(&e.guard)));
    }
    let terminal: Vec<String> = (0..m.states).filter(|&s| m.terminal[s]).map(|s| format!("q{s}")).collect();
    if !terminal.is_empty() {
        out.push_str(&format!("  terminal {}\n", terminal.join(", ")));
    }
    out.push_str("}\nreward = m.reward\nlog state = m.state\n");
    out
}

/// One step of the machine, straight from LANGUAGE.md: terminal states
/// absorb with reward 0; otherwise the first listed edge (an `any` edge
/// counts from every non-terminal state) whose guard holds is taken; no
/// match stays with reward 0.
fn interpret(m: &Machine, state: usize, props: &[bool], x: f32) -> (usize, f32) {
    if m.terminal[state] {
        return (state, 0.0);
    }
    for e in &m.edges {
        if e.from.is_some_and(|f| f != state) || !holds(&e.guard, props, x) {
            continue;
        }
        let reward = match e.reward {
            R::None => 0.0,
            R::Const(c) => c,
            R::Scaled(c) => x * c,
            R::Offset(c) => c + x,
        };
        return (e.to, reward);
    }
    (state, 0.0)
}

#[test]
fn compiled_machines_agree_with_a_direct_interpreter() {
    let mut rng = Rng(0x6d61_6368_696e_6573);
    let (lanes, steps) = (8, 40);
    let mut cube_machines = 0;
    for case in 0..400 {
        let m = random_machine(&mut rng);
        let src = source(&m);
        let checked = rw_compiler::check_text("random.rw", &src, None);
        assert!(!checked.has_errors(), "case {case}:\n{src}\n{:?}", checked.diagnostics);
        let artifact = rw_compiler::compile(&checked).unwrap_or_else(|d| panic!("case {case}: {d:?}\n{src}"));
        // Through bytes, as a trainer would load it.
        let artifact = Artifact::from_bytes(&artifact.to_bytes()).expect("the artifact loads");
        if matches!(artifact.automata[0].transitions, rw_runtime::artifact::Transitions::Cubes { .. }) {
            cube_machines += 1;
        }
        let mut eval = Evaluator::new(&artifact, lanes, Options::default());
        let mut states = vec![0usize; lanes];
        for t in 0..steps {
            let props: Vec<Vec<bool>> = (0..m.props).map(|_| (0..lanes).map(|_| rng.chance(40)).collect()).collect();
            let x: Vec<f32> = (0..lanes).map(|_| (rng.below(33) as f32 - 16.0) * 0.125).collect();
            let mut columns: Vec<Column<'_>> = props.iter().map(|c| Column::Bool(c)).collect();
            columns.push(Column::F32(&x));
            let out =
                eval.step(&StepInput { columns: &columns, last: None, groups: None, active: None }).expect("step");
            for lane in 0..lanes {
                let valuation: Vec<bool> = props.iter().map(|c| c[lane]).collect();
                let (next, reward) = interpret(&m, states[lane], &valuation, x[lane]);
                states[lane] = next;
                assert_eq!(
                    out.reward[lane].to_bits(),
                    reward.to_bits(),
                    "case {case}, step {t}, lane {lane}: reward {} vs {reward}\n{src}",
                    out.reward[lane]
                );
                assert_eq!(out.logs[0][lane] as usize, next, "case {case}, step {t}, lane {lane}: state\n{src}");
            }
        }
    }
    assert!(cube_machines > 5, "only {cube_machines} machines used the cube encoding");
}

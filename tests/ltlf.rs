//! LTLf translation against the definitions.
//!
//! A direct evaluator of De Giacomo & Vardi's finite-trace semantics (a
//! small recursive function, independent of the compiler) decides every
//! prefix of random traces; the compiled DFA must agree on every prefix, for
//! 100,000+ random (formula, trace) pairs. Every DFA is also checked to be
//! minimal: no two of its states accept the same continuations.

use rw_compiler::ltl::{self, Dfa};
use rw_compiler::sema::DeclKind;
use rw_tests::Rng;

/// A formula, written independently of the compiler's AST.
#[derive(Clone, Debug)]
#[allow(clippy::enum_variant_names)]
enum F {
    True,
    False,
    Last,
    P(usize),
    Not(Box<F>),
    X(Box<F>),
    WX(Box<F>),
    F(Box<F>),
    G(Box<F>),
    And(Box<F>, Box<F>),
    Or(Box<F>, Box<F>),
    Implies(Box<F>, Box<F>),
    Iff(Box<F>, Box<F>),
    U(Box<F>, Box<F>),
    R(Box<F>, Box<F>),
    W(Box<F>, Box<F>),
}

const PROPS: [&str; 3] = ["a", "b", "c"];

fn text(f: &F) -> String {
    match f {
        F::True => "true".into(),
        F::False => "false".into(),
        F::Last => "last".into(),
        F::P(p) => PROPS[*p].into(),
        F::Not(a) => format!("!({})", text(a)),
        F::X(a) => format!("X ({})", text(a)),
        F::WX(a) => format!("WX ({})", text(a)),
        F::F(a) => format!("F ({})", text(a)),
        F::G(a) => format!("G ({})", text(a)),
        F::And(a, b) => format!("({}) & ({})", text(a), text(b)),
        F::Or(a, b) => format!("({}) | ({})", text(a), text(b)),
        F::Implies(a, b) => format!("({}) -> ({})", text(a), text(b)),
        F::Iff(a, b) => format!("({}) <-> ({})", text(a), text(b)),
        F::U(a, b) => format!("({}) U ({})", text(a), text(b)),
        F::R(a, b) => format!("({}) R ({})", text(a), text(b)),
        F::W(a, b) => format!("({}) W ({})", text(a), text(b)),
    }
}

/// Does the trace `w` (letters: bit p = prop p) satisfy `f` at position `i`?
fn holds(f: &F, w: &[u64], i: usize) -> bool {
    let n = w.len();
    match f {
        F::True => true,
        F::False => false,
        F::Last => i + 1 == n,
        F::P(p) => w[i] >> p & 1 == 1,
        F::Not(a) => !holds(a, w, i),
        F::X(a) => i + 1 < n && holds(a, w, i + 1),
        F::WX(a) => i + 1 >= n || holds(a, w, i + 1),
        F::F(a) => (i..n).any(|j| holds(a, w, j)),
        F::G(a) => (i..n).all(|j| holds(a, w, j)),
        F::And(a, b) => holds(a, w, i) && holds(b, w, i),
        F::Or(a, b) => holds(a, w, i) || holds(b, w, i),
        F::Implies(a, b) => !holds(a, w, i) || holds(b, w, i),
        F::Iff(a, b) => holds(a, w, i) == holds(b, w, i),
        F::U(a, b) => (i..n).any(|j| holds(b, w, j) && (i..j).all(|k| holds(a, w, k))),
        F::R(a, b) => (i..n).all(|j| holds(b, w, j) || (i..j).any(|k| holds(a, w, k))),
        F::W(a, b) => {
            (i..n).any(|j| holds(b, w, j) && (i..j).all(|k| holds(a, w, k))) || (i..n).all(|j| holds(a, w, j))
        }
    }
}

fn random(rng: &mut Rng, depth: usize) -> F {
    if depth == 0 || rng.chance(25) {
        return match rng.below(12) {
            0 => F::True,
            1 => F::False,
            2 => F::Last,
            _ => F::P(rng.below(3)),
        };
    }
    let choice = rng.below(14);
    let mut sub = || Box::new(random(rng, depth - 1));
    match choice {
        0 => F::Not(sub()),
        1 => F::X(sub()),
        2 => F::WX(sub()),
        3 => F::F(sub()),
        4 => F::G(sub()),
        5 | 6 => F::And(sub(), sub()),
        7 => F::Or(sub(), sub()),
        8 => F::Implies(sub(), sub()),
        9 => F::Iff(sub(), sub()),
        10 | 11 => F::U(sub(), sub()),
        12 => F::R(sub(), sub()),
        _ => F::W(sub(), sub()),
    }
}

/// Parses `ltlf f = TEXT` with props a, b, c declared in that order and
/// translates it; atoms come out in order of first appearance, so the test
/// maps them back to prop bits.
fn compile(formula: &str) -> (Dfa, Vec<usize>) {
    let src = format!("props a, b, c\nltlf f = {formula}\n");
    let checked = rw_compiler::check_text("f.rw", &src, None);
    assert!(!checked.has_errors(), "{formula}: {:?}", checked.diagnostics);
    let decl = checked.program.decl(checked.program.lookup("f").expect("f"));
    let DeclKind::Formula(f) = &decl.kind else { panic!("not a formula") };
    let mut atoms = Vec::new();
    let dfa = ltl::translate(&f.formula, &mut atoms, &ltl::no_patterns).unwrap_or_else(|e| panic!("{formula}: {e}"));
    let bits = atoms
        .iter()
        .map(|a| PROPS.iter().position(|p| rw_compiler::syntax::ast::expr_text(a) == *p).expect("a prop"))
        .collect();
    (dfa, bits)
}

/// The DFA's letter for a trace letter over a, b, c.
fn letter(bits: &[usize], valuation: u64) -> u64 {
    bits.iter().enumerate().map(|(k, &p)| (valuation >> p & 1) << k).sum()
}

fn assert_minimal(dfa: &Dfa, formula: &str) {
    // Two states are equivalent when no word leads exactly one of them to acceptance:
    // explore the product from each pair; states must all be pairwise distinguishable.
    let n = dfa.states();
    let letters = dfa.next.first().map_or(0, Vec::len);
    for s in 0..n {
        for t in s + 1..n {
            let mut seen = std::collections::HashSet::new();
            let mut stack = vec![(s, t)];
            let mut distinguished = false;
            while let Some((x, y)) = stack.pop() {
                if !seen.insert((x, y)) {
                    continue;
                }
                if dfa.accepting[x] != dfa.accepting[y] {
                    distinguished = true;
                    break;
                }
                for l in 0..letters {
                    stack.push((dfa.next[x][l] as usize, dfa.next[y][l] as usize));
                }
            }
            // An accepting difference at (s, t) itself counts: `.sat` is read after a step.
            assert!(distinguished, "{formula}: states {s} and {t} are equivalent");
        }
    }
}

#[test]
fn random_formulas_agree_with_the_definitions_on_every_prefix() {
    let mut rng = Rng(0x17f0_dfa0_0000_0001);
    let mut pairs = 0;
    let mut largest = 0;
    for _ in 0..4_000 {
        let f = random(&mut rng, 5);
        let formula = text(&f);
        let (dfa, bits) = compile(&formula);
        largest = largest.max(dfa.states());
        assert_minimal(&dfa, &formula);
        for _ in 0..26 {
            let len = 1 + rng.below(8);
            let trace: Vec<u64> = (0..len).map(|_| rng.below(8) as u64).collect();
            let letters: Vec<u64> = trace.iter().map(|&v| letter(&bits, v)).collect();
            let sat = dfa.run(&letters);
            for end in 1..=len {
                let expected = holds(&f, &trace[..end], 0);
                assert_eq!(sat[end - 1], expected, "{formula} on {:?}", &trace[..end]);
            }
            pairs += 1;
        }
    }
    assert!(pairs >= 100_000, "{pairs} pairs");
    assert!(largest > 3, "the formulas are too easy: largest DFA has {largest} states");
}

fn sat(formula: &str, trace: &[&[&str]]) -> Vec<bool> {
    let (dfa, bits) = compile(formula);
    let letters: Vec<u64> = trace
        .iter()
        .map(|step| {
            let v: u64 = step.iter().map(|p| 1u64 << PROPS.iter().position(|x| x == p).expect("prop")).sum();
            letter(&bits, v)
        })
        .collect();
    dfa.run(&letters)
}

#[test]
fn corner_cases_of_finite_traces() {
    // X a is false at the last step: on a one-step trace it never holds.
    assert_eq!(sat("X a", &[&["a"]]), [false]);
    assert_eq!(sat("X a", &[&[], &["a"]]), [false, true]);
    // WX is weak: true at the last step, so WX false holds exactly on one-step traces.
    assert_eq!(sat("WX false", &[&[], &[], &[]]), [true, false, false]);
    // a U b needs b to come.
    assert_eq!(sat("a U b", &[&["a"], &["a"], &["a"]]), [false, false, false]);
    assert_eq!(sat("a U b", &[&["a"], &["b"]]), [false, true]);
    // G a and F a on length-1 traces.
    assert_eq!(sat("G a", &[&["a"]]), [true]);
    assert_eq!(sat("F a", &[&[]]), [false]);
    assert_eq!(sat("G a", &[&["a"], &[]]), [true, false]);
    // last holds only at the last step.
    assert_eq!(sat("F (a & last)", &[&["a"], &[], &["a"]]), [true, false, true]);
    assert_eq!(sat("last", &[&[]]), [true]);
    assert_eq!(sat("X last", &[&[], &[]]), [false, true]);
    // R and W: duals of U.
    assert_eq!(sat("a R b", &[&["b"], &["b"]]), [true, true]);
    assert_eq!(sat("a R b", &[&["b"], &[]]), [true, false]);
    assert_eq!(sat("!(a U b)", &[&["a"], &["b"]]), sat("!a R !b", &[&["a"], &["b"]]));
    assert_eq!(sat("a W b", &[&["a"], &["a"]]), [true, true]);
    assert_eq!(sat("a W b", &[&["a"], &[]]), [true, false]);
    // Spot's spellings and X[!].
    assert_eq!(sat("[] (a -> <> b)", &[&["a"], &["b"]]), [false, true]);
    assert_eq!(sat("X[!] a", &[&[], &["a"]]), [false, true]);
}

#[test]
fn state_counts_are_canonical() {
    // Minimal DFAs, the rejecting sink included.
    let states = |f: &str| compile(f).0.states();
    assert_eq!(states("true"), 2); // initial (the empty prefix is not a trace) + accepting
    assert_eq!(states("F a"), 2); // waiting (= initial) + accepting forever
    assert_eq!(states("G a"), 3); // initial, accepting, rejecting sink
    assert_eq!(states("a U b"), 3); // waiting, accepting forever, sink
    assert_eq!(states("X a"), 4); // initial, one step read, accepting, sink
}

/// A pattern instantiated gives the same minimal DFA (canonical numbering
/// included) as the formula written out.
#[test]
fn stdlib_patterns_expand_to_their_formulas() {
    let cases = [
        ("absence(a)", "G !a"),
        ("existence(a)", "F a"),
        ("universality(a)", "G a"),
        ("response(a, b)", "G (a -> F b)"),
        ("precedence(a, b)", "!b W a"),
        ("at_most_once(a)", "G (a -> WX G !a)"),
        ("at_most_twice(a & b)", "G (a & b -> WX G (a & b -> WX G !(a & b)))"),
        ("response(a, existence(b))", "G (a -> F F b)"),
    ];
    for (pattern, written) in cases {
        let dfa = |formula: &str| {
            let src = format!("use std::ltl_patterns\nprops a, b, c\nltlf f = {formula}\n");
            let checked = rw_compiler::check_text("p.rw", &src, None);
            assert!(!checked.has_errors(), "{formula}: {:?}", checked.diagnostics);
            let id = checked.program.lookup("f").expect("f");
            let DeclKind::Formula(f) = &checked.program.decl(id).kind else { panic!() };
            let automaton = rw_compiler::automata::ltlf_automaton(&checked.program, f).expect("translates");
            // The whole DFA: states, acceptance, and every edge with its guard.
            automaton.to_dot()
        };
        assert_eq!(dfa(pattern), dfa(written), "{pattern} vs {written}");
    }
}

//! LTL over infinite traces (`omega`): every automaton the translation
//! builds accepts exactly the lasso words `u · v^ω` on which a direct
//! fixpoint evaluation of its formula holds, and has the shape it claims
//! (deterministic, or deterministic in its accepting component).
//!
//! `RW_OMEGA_FORMULAS` sets the number of random formulas (default 200),
//! `RW_OMEGA_SPOT` the number checked by Spot (default 150).

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use rw_compiler::omega::{Arena, Class, Classified, Id, Kind, Node, classify, holds_on_lasso, translate};
use rw_tests::Rng;

/// A random formula of depth at most `depth` over `atoms` atoms, with
/// every operator (`F G X U R W M`, `! & | -> <->`).
pub fn random_formula(arena: &mut Arena, rng: &mut Rng, depth: usize, atoms: u32) -> Id {
    if depth == 0 || rng.below(6) == 0 {
        return match rng.below(12) {
            0 => arena.tt(),
            1 => arena.ff(),
            _ => arena.lit(rng.below(atoms as usize) as u32, rng.below(4) != 0),
        };
    }
    let sub = |arena: &mut Arena, rng: &mut Rng| random_formula(arena, rng, depth - 1, atoms);
    match rng.below(13) {
        0 => {
            let a = sub(arena, rng);
            arena.not(a)
        }
        1 => {
            let a = sub(arena, rng);
            arena.next(a)
        }
        2 => {
            let a = sub(arena, rng);
            arena.eventually(a)
        }
        3 => {
            let a = sub(arena, rng);
            arena.always(a)
        }
        k => {
            let (a, b) = (sub(arena, rng), sub(arena, rng));
            match k {
                4 => arena.and(a, b),
                5 => arena.or(a, b),
                6 => arena.implies(a, b),
                7 => arena.iff(a, b),
                8 => arena.until(a, b),
                9 => arena.release(a, b),
                10 => arena.weak_until(a, b),
                11 => arena.strong_release(a, b),
                _ => {
                    // The recurrence and persistence shapes of the RL
                    // literature: G F a, F G a.
                    let f = arena.eventually(a);
                    let g = arena.always(f);
                    arena.and(g, b)
                }
            }
        }
    }
}

fn random_word(rng: &mut Rng, len: usize, atoms: u32) -> Vec<u64> {
    (0..len).map(|_| rng.next_u64() & ((1 << atoms) - 1)).collect()
}

#[test]
fn automata_agree_with_the_fixpoint_semantics_on_lasso_words() {
    let count: usize = std::env::var("RW_OMEGA_FORMULAS").ok().and_then(|v| v.parse().ok()).unwrap_or(200);
    let mut rng = Rng(0x0e6a_2026);
    let (mut translated, mut words, mut semi, mut hard, mut generalized) = (0, 0, 0, 0, 0);
    for n in 0..count {
        let mut arena = Arena::new();
        let atoms = 2 + (n % 3) as u32;
        let f = random_formula(&mut arena, &mut rng, 1 + n % 5, atoms);
        let Ok(translation) = translate(&mut arena, f) else { continue };
        let automaton = translation.automaton;
        // The generalized automaton exported in its place, when smaller: as
        // its degeneralization, which reads the same words.
        let exported = translation.generalized.map(|g| {
            assert!(g.states() < automaton.states(), "{}: exported although not smaller", arena.spot_text(f));
            assert_eq!(g.kind, automaton.kind, "{}", arena.spot_text(f));
            g.degeneralized().unwrap()
        });
        generalized += usize::from(exported.is_some());
        translated += 1;
        semi += usize::from(automaton.kind == Kind::SemiDeterministic);
        // Both `U` and `R`: neither safety nor guarantee syntactically.
        let nodes: Vec<Node> = arena.subformulas(f).into_iter().map(|i| arena.node(i)).collect();
        hard += usize::from(
            nodes.iter().any(|n| matches!(n, Node::Until(..))) && nodes.iter().any(|n| matches!(n, Node::Release(..))),
        );
        automaton.check_shape().unwrap_or_else(|e| panic!("{}: {e}", arena.spot_text(f)));
        if let Some(e) = &exported {
            e.check_shape().unwrap_or_else(|e| panic!("{} (generalized): {e}", arena.spot_text(f)));
        }
        for _ in 0..60 {
            let (prefix_len, cycle_len) = (rng.below(4), 1 + rng.below(4));
            let prefix = random_word(&mut rng, prefix_len, atoms);
            let cycle = random_word(&mut rng, cycle_len, atoms);
            // The automaton reads all atoms the formula might use.
            let expected = holds_on_lasso(&arena, f, &prefix, &cycle);
            let mask = (1u64 << automaton.atoms) - 1;
            let p: Vec<u64> = prefix.iter().map(|l| l & mask).collect();
            let c: Vec<u64> = cycle.iter().map(|l| l & mask).collect();
            assert_eq!(
                automaton.accepts_lasso(&p, &c),
                expected,
                "`{}` on {prefix:?} ({cycle:?})^ω; automaton of {} states",
                arena.spot_text(f),
                automaton.states()
            );
            if let Some(e) = &exported {
                assert_eq!(
                    e.accepts_lasso(&p, &c),
                    expected,
                    "`{}` (generalized) on {prefix:?} ({cycle:?})^ω",
                    arena.spot_text(f)
                );
            }
            words += 1;
        }
    }
    assert!(translated * 10 >= count * 9, "only {translated} of {count} formulas translated");
    assert!(hard * 4 >= translated, "only {hard} formulas with both `U` and `R`: the generator is too tame");
    assert!(semi > 0, "no limit-deterministic automaton: the generator is too tame");
    assert!(generalized > 0, "no generalized automaton exported: the generator is too tame");
    eprintln!(
        "{translated} formulas ({hard} with both `U` and `R`), {words} lasso words agreed ({semi} limit-deterministic \
         automata, {generalized} generalized ones exported)"
    );
}

#[test]
fn the_literature_formulas() {
    // Patrol, response, stabilisation, fairness.
    let mut arena = Arena::new();
    let (a, b) = (arena.lit(0, true), arena.lit(1, true));
    let (fa, fb) = (arena.eventually(a), arena.eventually(b));
    let (gfa, gfb) = (arena.always(fa), arena.always(fb));
    let patrol = arena.and(gfa, gfb);
    let response = {
        let i = arena.implies(a, fb);
        arena.always(i)
    };
    let ga = arena.always(a);
    let stabilise = arena.eventually(ga);
    let fairness = arena.implies(gfa, gfb);
    for (name, f) in [("patrol", patrol), ("response", response), ("stabilise", stabilise), ("fairness", fairness)] {
        let automaton = translate(&mut arena, f).unwrap().automaton;
        automaton.check_shape().unwrap();
        // Letters carry only the atoms the formula uses.
        let mask = (1u64 << automaton.atoms) - 1;
        let accepts = |prefix: &[u64], cycle: &[u64]| {
            let (p, c): (Vec<u64>, Vec<u64>) =
                (prefix.iter().map(|l| l & mask).collect(), cycle.iter().map(|l| l & mask).collect());
            automaton.accepts_lasso(&p, &c)
        };
        // a b a b ...: patrol, response and fairness hold; stabilise does not.
        let alternating = accepts(&[], &[0b01, 0b10]);
        assert_eq!(alternating, name != "stabilise", "{name}");
        // b once, then a forever: only stabilise holds (response waits for a
        // b after each a, fairness sees a infinitely often and b not).
        assert_eq!(accepts(&[0b10], &[0b01]), name == "stabilise", "{name}");
    }
}

#[test]
fn too_many_temporal_subformulas_is_a_limit_not_a_blow_up() {
    let mut arena = Arena::new();
    let mut f = arena.tt();
    for k in 0..7 {
        let p = arena.lit(k, true);
        let q = arena.lit(k + 1, false);
        // `G F p & F G q`: the `U` of `F p` is under the `R` of `G`, and
        // the `R` of `G q` under the `U` of `F`, so a guess may name both
        // (the outer `G` is under no `U`: naming it never helps).
        let fp = arena.eventually(p);
        let gfp = arena.always(fp);
        let gq = arena.always(q);
        let fgq = arena.eventually(gq);
        let both = arena.and(gfp, fgq);
        f = arena.and(f, both);
    }
    match translate(&mut arena, f) {
        Err(e @ rw_compiler::omega::OmegaError::TooManyGuesses(14)) => {
            assert!(e.to_string().contains("nests 14 `U`/`R` subformulas"), "{e}");
        }
        other => panic!("{other:?}"),
    }
}

/// Spot itself: every automaton is language-equivalent to its formula
/// (`spot.are_equivalent`) and deterministic or semi-deterministic as
/// claimed (`spot.is_deterministic`, `spot.is_semi_deterministic`, the
/// claims removed from the HOA so that Spot decides them). Skipped, in one
/// line, without a Python that has Spot (`scripts/setup.sh` installs
/// `spottl` into `.venv`).
#[test]
fn automata_are_equivalent_to_their_formulas_for_spot() {
    let python = std::env::var_os("RW_SPOT_PYTHON")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| rw_tests::root().join(".venv/bin/python"));
    let has_spot =
        std::process::Command::new(&python).args(["-c", "import spot"]).output().is_ok_and(|o| o.status.success());
    if !has_spot {
        eprintln!(
            "skipped the Spot equivalence check: no Python with Spot at {} (scripts/setup.sh installs spottl)",
            python.display()
        );
        return;
    }
    let mut rng = Rng(0x5907_2026);
    let mut corpus = Vec::new();
    let mut n = 0;
    let wanted: usize = std::env::var("RW_OMEGA_SPOT").ok().and_then(|v| v.parse().ok()).unwrap_or(150);
    while corpus.len() < wanted {
        let mut arena = Arena::new();
        let f = random_formula(&mut arena, &mut rng, 1 + n % 4, 2 + (n % 2) as u32);
        n += 1;
        let Ok(automaton) = translate(&mut arena, f).map(|t| t.automaton) else { continue };
        let names: Vec<String> = (0..automaton.atoms).map(|k| format!("p{k}")).collect();
        let kind = match automaton.kind {
            Kind::Deterministic => "deterministic",
            Kind::SemiDeterministic => "semi-deterministic",
            Kind::Nondeterministic => "nondeterministic",
        };
        corpus.push(serde_json::json!({
            "formula": arena.spot_text(f),
            "hoa": automaton.to_hoa("t", &names),
            "kind": kind,
            "states": automaton.states(),
        }));
    }
    let path = std::env::temp_dir().join(format!("rw-omega-{}.json", std::process::id()));
    std::fs::write(&path, serde_json::to_string(&corpus).unwrap()).unwrap();
    let script = r#"
import json, sys, spot
failures = []
unchecked = []
smaller_or_equal = 0
cases = json.load(open(sys.argv[1]))
for case in cases:
    ours = case["states"]
    theirs = spot.translate(spot.formula(case["formula"]), "deterministic").num_states()
    smaller_or_equal += ours <= theirs
    hoa = case["hoa"].replace(" semi-deterministic", "").replace(" deterministic", "")
    aut = spot.automaton(hoa)
    f = spot.formula(case["formula"])
    # Equivalence needs a complement of the automaton, which Spot builds
    # affordably for small automata only: larger ones are checked for
    # inclusion in the formula (no complement of ours needed).
    left = spot.product(aut, spot.translate(spot.formula.Not(f))).is_empty()
    if aut.num_states() > 40:
        unchecked.append(case["formula"])
        equivalent = left
    else:
        try:
            equivalent = spot.are_equivalent(aut, f)
        except RuntimeError:
            # Out of acceptance sets: the semi-deterministic complement.
            right = spot.product(spot.translate(f), spot.complement_semidet(aut)).is_empty()
            equivalent = left and right
    if not equivalent:
        failures.append(("not equivalent", case["formula"]))
    if case["kind"] == "deterministic" and not spot.is_deterministic(aut):
        failures.append(("not deterministic", case["formula"]))
    if not spot.is_semi_deterministic(aut):
        failures.append(("not semi-deterministic", case["formula"]))
print(f"{smaller_or_equal} of {len(cases)} automata no larger than spot.translate(f, 'deterministic')", file=sys.stderr)
print(f"{len(unchecked)} of {len(cases)} checked for inclusion in the formula only (too large to complement)", file=sys.stderr)
if len(unchecked) * 10 > len(cases):
    failures.append(("too many automata only half-checked", str(len(unchecked))))
print(json.dumps(failures))
"#;
    // Bounded: 8 GiB of address space for Spot.
    let out = std::process::Command::new("sh")
        .args(["-c", "ulimit -v 8388608; exec \"$0\" -c \"$1\" \"$2\""])
        .arg(&python)
        .arg(script)
        .arg(&path)
        .output()
        .unwrap();
    if std::env::var_os("RW_OMEGA_KEEP").is_none() {
        let _ = std::fs::remove_file(&path);
    }
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    let failures: Vec<(String, String)> = serde_json::from_slice(&out.stdout).unwrap();
    assert!(failures.is_empty(), "{} of {} automata fail: {failures:?}", failures.len(), corpus.len());
}

/// Formulas whose class is above their syntax: a recurrence formula that
/// none of the progression candidates covers gets the co-Büchi dual of its
/// negation's automaton, deterministic; persistence and reactivity
/// formulas keep a limit-deterministic one; every class is exact.
#[test]
fn recurrence_formulas_get_deterministic_automata_and_exact_classes() {
    let mut arena = Arena::new();
    let (a, b, c) = (arena.lit(0, true), arena.lit(1, true), arena.lit(2, true));
    let (fa, ga, gb, fc) = (arena.eventually(a), arena.always(a), arena.always(b), arena.eventually(c));
    let (gfa, fga, fgb) = (arena.always(fa), arena.eventually(ga), arena.eventually(gb));
    // G (a -> F (b & F c)): a chain of responses, 4 states (Spot's
    // `translate(f, 'deterministic')` gives a nondeterministic 4-state
    // generalised Büchi automaton).
    let chain = {
        let b_then_c = arena.and(b, fc);
        let f = arena.eventually(b_then_c);
        let i = arena.implies(a, f);
        arena.always(i)
    };
    // G F a | F G a is G F a: syntactically reactivity, semantically recurrence.
    let either = arena.or(gfa, fga);
    // G F a & F G a is F G a: persistence.
    let both = arena.and(gfa, fga);
    let reactive = arena.and(gfa, fgb);
    for (f, kind, class, states) in [
        (chain, Kind::Deterministic, Class::Recurrence, Some(4)),
        (either, Kind::Deterministic, Class::Recurrence, Some(1)),
        (both, Kind::SemiDeterministic, Class::Persistence, None),
        (reactive, Kind::SemiDeterministic, Class::Reactivity, None),
    ] {
        let text = arena.spot_text(f);
        let translation = translate(&mut arena, f).unwrap();
        let classified = classify(&mut arena, f, &translation);
        let automaton = &translation.automaton;
        automaton.check_shape().unwrap();
        assert_eq!(automaton.kind, kind, "{text}");
        assert_eq!(classified, Classified { class, exact: true }, "{text}");
        if let Some(n) = states {
            assert_eq!(automaton.states(), n, "{text}");
        }
        // The automaton agrees with the fixpoint semantics on every lasso
        // of length at most 4 over the three atoms.
        for word in 0..(1u64 << 12) {
            let letters: Vec<u64> = (0..4).map(|k| (word >> (3 * k)) & 7).collect();
            for split in 0..4 {
                let (prefix, cycle) = letters.split_at(split);
                let mask = (1u64 << automaton.atoms) - 1;
                let (p, q): (Vec<u64>, Vec<u64>) =
                    (prefix.iter().map(|l| l & mask).collect(), cycle.iter().map(|l| l & mask).collect());
                assert_eq!(automaton.accepts_lasso(&p, &q), holds_on_lasso(&arena, f, prefix, cycle), "{text}");
            }
        }
    }
}

/// The simplifier applied before translation: Spot's rules give the
/// expected formulas, every rewritten formula holds on exactly the lasso
/// words its original holds on, and a formula past the size bound is left
/// as written.
#[test]
fn the_simplifier_applies_spots_rules_and_keeps_the_language() {
    let mut arena = Arena::new();
    let (a, b, e) = (arena.lit(0, true), arena.lit(1, true), arena.lit(2, true));
    let b_release_e = arena.release(b, e);
    let eventually = arena.eventually(b_release_e);
    let either = arena.or(eventually, b_release_e);
    assert_eq!(arena.simplified(either), eventually, "`F x | x` is `F x`");
    let eventually_b = arena.eventually(b);
    let until = arena.until(a, eventually_b);
    assert_eq!(arena.simplified(until), eventually_b, "`a U F b` is `F b`");
    let next_a = arena.next(a);
    let eventually_next = arena.eventually(next_a);
    let infinitely_next = arena.always(eventually_next);
    let eventually_a = arena.eventually(a);
    let infinitely_a = arena.always(eventually_a);
    assert_eq!(arena.simplified(infinitely_next), infinitely_a, "`G F X a` is `G F a`");
    let (always_a, always_b) = (arena.always(a), arena.always(b));
    let both = arena.and(always_a, always_b);
    let a_and_b = arena.and(a, b);
    let always_both = arena.always(a_and_b);
    assert_eq!(arena.simplified(both), always_both, "`G a & G b` is `G (a & b)`");
    let a_or_b = arena.or(a, b);
    let absorbed = arena.and(a, a_or_b);
    assert_eq!(arena.simplified(absorbed), a, "`a & (a | b)` is `a`");
    let next_b = arena.next(b);
    let next_until = arena.until(next_a, next_b);
    let a_until_b = arena.until(a, b);
    let moved = arena.next(a_until_b);
    assert_eq!(arena.simplified(next_until), moved, "`X a U X b` is `X (a U b)`");
    let either_always = arena.or(always_a, always_b);
    let always_either_always = arena.always(either_always);
    assert_eq!(arena.simplified(always_either_always), either_always, "`G (G a | G b)` is `G a | G b`");
    let a_then_b = arena.and(a, eventually_b);
    let eventually_a_then_b = arena.eventually(a_then_b);
    let infinitely_a_then_b = arena.always(eventually_a_then_b);
    let each = arena.and(eventually_a, eventually_b);
    let infinitely_each = arena.always(each);
    assert_eq!(arena.simplified(infinitely_a_then_b), infinitely_each, "`G F (a & F b)` is `G (F a & F b)`");

    // The language is kept: random formulas against their rewriting.
    let mut rng = Rng(0x5149_2026);
    let mut rewritten = 0;
    for n in 0..400 {
        let mut arena = Arena::new();
        let atoms = 2 + (n % 3) as u32;
        let f = random_formula(&mut arena, &mut rng, 1 + n % 5, atoms);
        let simple = arena.simplified(f);
        rewritten += usize::from(simple != f);
        for _ in 0..40 {
            let (prefix_len, cycle_len) = (rng.below(4), 1 + rng.below(4));
            let prefix = random_word(&mut rng, prefix_len, atoms);
            let cycle = random_word(&mut rng, cycle_len, atoms);
            assert_eq!(
                holds_on_lasso(&arena, simple, &prefix, &cycle),
                holds_on_lasso(&arena, f, &prefix, &cycle),
                "`{}` simplified to `{}`, on {prefix:?} ({cycle:?})^ω",
                arena.spot_text(f),
                arena.spot_text(simple)
            );
        }
    }
    assert!(rewritten > 100, "only {rewritten} of 400 formulas rewritten: the rules do not fire");

    // Past the bound the formula is translated as written; below it, the
    // same shape is rewritten (`X a & X X a` gathers its `X`s).
    let conjunction_of_nexts = |arena: &mut Arena, count: usize| {
        let (mut all, mut nested) = (arena.tt(), arena.lit(0, true));
        for _ in 0..count {
            nested = arena.next(nested);
            all = arena.and(all, nested);
        }
        all
    };
    let mut arena = Arena::new();
    let small = conjunction_of_nexts(&mut arena, 10);
    assert_ne!(arena.simplified(small), small);
    let big = conjunction_of_nexts(&mut arena, rw_compiler::omega::MAX_SIMPLIFIED_NODES);
    assert_eq!(arena.simplified(big), big);
}

/// Where one acceptance set per recurrence condition saves states, the
/// translation exports a generalized Büchi automaton, as Spot does by
/// default: `G F a & G F b` in one state (the Büchi automaton needs two),
/// `(F G a | G F !b) & (G F !a | F G b)` limit-deterministic in three
/// (Büchi: four), the patrol formula in the response's two (Büchi: six).
/// Each has the formula's words, as its degeneralization.
#[test]
fn generalized_acceptance_saves_the_states_of_waiting_in_turn() {
    let cases = [
        ("G F a & G F b", Kind::Deterministic, 1, 2, 2),
        ("(F G a | G F !b) & (G F !a | F G b)", Kind::SemiDeterministic, 3, 2, 4),
        // A `G F p` needs a set and no state: the response's 2 states.
        ("G F a & G F b & G (c -> F d)", Kind::Deterministic, 2, 3, 6),
    ];
    for (text, kind, states, sets, buchi_states) in cases {
        let parsed = rwc::ltl_bench::parse_ltl(text).unwrap();
        let (mut arena, f) = (parsed.arena, parsed.root);
        let translation = translate(&mut arena, f).unwrap();
        assert_eq!(translation.automaton.states(), buchi_states, "{text}: Büchi");
        let exported = translation.exported();
        assert_eq!((exported.kind, exported.states(), exported.sets), (kind, states, sets), "{text}");
        let hoa = exported.to_hoa("f", &[]);
        let condition: Vec<String> = (0..sets).map(|i| format!("Inf({i})")).collect();
        assert!(hoa.contains(&format!("Acceptance: {sets} {}\n", condition.join("&"))), "{hoa}");
        let degeneralized = exported.degeneralized().unwrap();
        degeneralized.check_shape().unwrap();
        let mut rng = Rng(0x6e6e_2026);
        for _ in 0..500 {
            let atoms = exported.atoms as u32;
            let (prefix_len, cycle_len) = (rng.below(3), 1 + rng.below(4));
            let (prefix, cycle) = (random_word(&mut rng, prefix_len, atoms), random_word(&mut rng, cycle_len, atoms));
            assert_eq!(
                degeneralized.accepts_lasso(&prefix, &cycle),
                holds_on_lasso(&arena, f, &prefix, &cycle),
                "{text} on {prefix:?} ({cycle:?})^ω"
            );
        }
    }
}

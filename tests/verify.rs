//! Property test: for random machines over at most 10 props, every solver
//! verdict (overlapping guards, `strict` coverage, guards that never hold,
//! shadowed edges, reachability) equals brute-force enumeration of all
//! valuations.

use rw_compiler::automata::{Automaton, EdgeView};
use rw_compiler::sema::{DeclId, DeclKind};
use rw_tests::Rng;
use rw_verify::machines::analyse;

fn random_guard(rng: &mut Rng, props: usize, depth: usize) -> String {
    if depth == 0 || rng.chance(35) {
        return match rng.below(12) {
            0 => "true".into(),
            1 => "false".into(),
            _ => format!("{}p{}", if rng.chance(40) { "!" } else { "" }, rng.below(props)),
        };
    }
    let (a, b) = (random_guard(rng, props, depth - 1), random_guard(rng, props, depth - 1));
    match rng.below(4) {
        0 => format!("!({a})"),
        1 | 2 => format!("({a}) & ({b})"),
        _ => format!("({a}) | ({b})"),
    }
}

fn random_machine(rng: &mut Rng) -> String {
    let props = 1 + rng.below(10);
    let states = 2 + rng.below(6);
    let names: Vec<String> = (0..props).map(|p| format!("p{p}")).collect();
    let modifier = ["", " priority", " strict", " priority strict"][rng.below(4)];
    let mut src = format!(
        "props {}\nmachine m{modifier} {{\n  states {}\n  start q0\n",
        names.join(", "),
        (0..states).map(|s| format!("q{s}")).collect::<Vec<_>>().join(", ")
    );
    for _ in 0..1 + rng.below(2 * states) {
        let from = rng.below(states - 1); // the last state is terminal
        let reward = if rng.chance(50) { format!(" reward {}", rng.below(3)) } else { String::new() };
        src.push_str(&format!("  q{from} -> q{} when {}{reward}\n", rng.below(states), random_guard(rng, props, 3)));
    }
    src.push_str(&format!("  terminal q{}\n}}\nreward = m.reward\n", states - 1));
    src
}

#[test]
fn solver_verdicts_equal_brute_force() {
    let mut rng = Rng(0x7e41_f1e5_0000_0005);
    let options = rw_verify::Options::default();
    for case in 0..250 {
        let src = random_machine(&mut rng);
        let checked = rw_compiler::check_text("random.rw", &src, None);
        let p = &checked.program;
        let Some(id) = p.lookup("m") else { panic!("case {case}: {src}") };
        let DeclKind::Machine(m) = &p.decl(id).kind else { panic!() };
        let states = p.machine_states.get(&DeclId(id.0)).cloned().unwrap_or_default();
        let automaton = Automaton::from_machine(p, m, &states).expect("builds");
        let v = analyse(p, &automaton, &options, true);
        assert_eq!(v.inconclusive, 0, "case {case}");

        // Brute force over every valuation of the atoms (the props used).
        let labels = 1u64 << automaton.atoms.len();
        let edges: Vec<EdgeView> = automaton.edge_views();
        let holds = |k: usize, l: u64| edges[k].guard.eval(l);
        let never: Vec<u32> =
            (0..edges.len()).filter(|&k| !(0..labels).any(|l| holds(k, l))).map(|k| k as u32).collect();
        assert_eq!(v.never, never, "case {case}: never\n{src}");
        let terminal = automaton.terminal();
        let mut overlaps = Vec::new();
        let mut shadowed = Vec::new();
        let mut uncovered = Vec::new();
        for s in 0..automaton.state_count() as u32 {
            if terminal[s as usize] {
                continue;
            }
            let out: Vec<usize> = (0..edges.len()).filter(|&k| edges[k].from == s).collect();
            if !automaton.priority {
                for (x, &i) in out.iter().enumerate() {
                    for &j in &out[x + 1..] {
                        if (0..labels).any(|l| holds(i, l) && holds(j, l)) {
                            overlaps.push((i as u32, j as u32));
                        }
                    }
                }
            } else {
                for (x, &j) in out.iter().enumerate() {
                    let can_fire = (0..labels).any(|l| holds(j, l) && !out[..x].iter().any(|&i| holds(i, l)));
                    if x > 0 && !never.contains(&(j as u32)) && !can_fire {
                        shadowed.push(j as u32);
                    }
                }
            }
            if automaton.strict && (0..labels).any(|l| !out.iter().any(|&k| holds(k, l))) {
                uncovered.push(s);
            }
        }
        let solver_overlaps: Vec<(u32, u32)> = v.overlaps.iter().map(|(i, j, _)| (*i, *j)).collect();
        assert_eq!(solver_overlaps, overlaps, "case {case}: overlaps\n{src}");
        assert_eq!(v.shadowed, shadowed, "case {case}: shadowed\n{src}");
        assert_eq!(v.uncovered.iter().map(|(s, _)| *s).collect::<Vec<_>>(), uncovered, "case {case}: coverage\n{src}");

        // Reachability through edges some valuation can take (in a
        // `priority` machine, some valuation no earlier edge matches).
        let mut reached = vec![false; automaton.state_count()];
        let mut stack = vec![automaton.start.0 as usize];
        while let Some(s) = stack.pop() {
            if std::mem::replace(&mut reached[s], true) {
                continue;
            }
            for (k, e) in edges.iter().enumerate() {
                if e.from as usize == s && !never.contains(&(k as u32)) && !shadowed.contains(&(k as u32)) {
                    stack.push(e.to as usize);
                }
            }
        }
        let unreachable: Vec<u32> = (0..reached.len() as u32).filter(|&s| !reached[s as usize]).collect();
        if v.goals_unreachable.is_empty() {
            assert_eq!(v.unreachable, unreachable, "case {case}: reachability\n{src}");
        }
        // Every witness of an overlap really satisfies both guards.
        for (i, j, w) in &v.overlaps {
            let label: u64 = automaton
                .atoms
                .iter()
                .enumerate()
                .filter(|(_, a)| w.contains(&format!("{} = true", a.text)))
                .map(|(k, _)| 1u64 << k)
                .sum();
            assert!(
                holds(*i as usize, label) && holds(*j as usize, label),
                "case {case}: witness `{w}` is not an overlap\n{src}"
            );
        }
    }
}

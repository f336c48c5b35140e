//! Property test: the verified bounds of a Markov reward equal exhaustive
//! evaluation over small integer input domains (the optimiser makes them
//! exact, where interval arithmetic alone would only be sound).

use rw_tests::Rng;

#[derive(Clone, Debug)]
enum E {
    Const(i64),
    Var(usize),
    Add(Box<E>, Box<E>),
    Sub(Box<E>, Box<E>),
    Scale(i64, Box<E>),
    Neg(Box<E>),
    Abs(Box<E>),
    Min(Box<E>, Box<E>),
    Max(Box<E>, Box<E>),
    /// `if a < b then c else d`
    If(Box<E>, Box<E>, Box<E>, Box<E>),
}

const VARS: [(&str, i64, i64); 3] = [("x", -3, 3), ("y", 0, 4), ("z", -2, 2)];

fn random(rng: &mut Rng, depth: usize) -> E {
    if depth == 0 || rng.chance(25) {
        return if rng.chance(70) { E::Var(rng.below(3)) } else { E::Const(rng.below(7) as i64 - 3) };
    }
    let choice = rng.below(9);
    let mut sub = || Box::new(random(rng, depth - 1));
    match choice {
        0 => E::Add(sub(), sub()),
        1 => E::Sub(sub(), sub()),
        2 => E::Scale([-2, 2, 3][depth % 3], sub()),
        3 => E::Neg(sub()),
        4 => E::Abs(sub()),
        5 => E::Min(sub(), sub()),
        6 => E::Max(sub(), sub()),
        _ => E::If(sub(), sub(), sub(), sub()),
    }
}

fn text(e: &E) -> String {
    match e {
        E::Const(c) => format!("({c})"),
        E::Var(v) => VARS[*v].0.to_string(),
        E::Add(a, b) => format!("({} + {})", text(a), text(b)),
        E::Sub(a, b) => format!("({} - {})", text(a), text(b)),
        E::Scale(k, a) => format!("({k} * {})", text(a)),
        E::Neg(a) => format!("(-{})", text(a)),
        E::Abs(a) => format!("abs({})", text(a)),
        E::Min(a, b) => format!("min({}, {})", text(a), text(b)),
        E::Max(a, b) => format!("max({}, {})", text(a), text(b)),
        E::If(a, b, c, d) => format!("(if {} < {} then {} else {})", text(a), text(b), text(c), text(d)),
    }
}

fn eval(e: &E, env: &[i64; 3]) -> i64 {
    match e {
        E::Const(c) => *c,
        E::Var(v) => env[*v],
        E::Add(a, b) => eval(a, env) + eval(b, env),
        E::Sub(a, b) => eval(a, env) - eval(b, env),
        E::Scale(k, a) => k * eval(a, env),
        E::Neg(a) => -eval(a, env),
        E::Abs(a) => eval(a, env).abs(),
        E::Min(a, b) => eval(a, env).min(eval(b, env)),
        E::Max(a, b) => eval(a, env).max(eval(b, env)),
        E::If(a, b, c, d) => {
            if eval(a, env) < eval(b, env) {
                eval(c, env)
            } else {
                eval(d, env)
            }
        }
    }
}

#[test]
fn bounds_equal_exhaustive_evaluation() {
    let mut rng = Rng(0xb0_07d5_0000_0001);
    let header: String = VARS.iter().map(|(n, lo, hi)| format!("input {n}: int in {lo}..={hi}\n")).collect();
    for case in 0..200 {
        let e = random(&mut rng, 4);
        let src = format!("{header}reward = {}\n", text(&e));
        let checked = rw_compiler::sema::check_text("bounds.rw", &src, None);
        assert!(!checked.has_errors(), "case {case}: {src}\n{:?}", checked.diagnostics);
        let explained = rw_verify::outputs::explain(&checked.program, &rw_verify::Options::default());
        let bounds = explained[0].bounds;
        let (mut lo, mut hi) = (i64::MAX, i64::MIN);
        for x in VARS[0].1..=VARS[0].2 {
            for y in VARS[1].1..=VARS[1].2 {
                for z in VARS[2].1..=VARS[2].2 {
                    let v = eval(&e, &[x, y, z]);
                    lo = lo.min(v);
                    hi = hi.max(v);
                }
            }
        }
        assert_eq!((bounds.lo, bounds.hi), (lo as f64, hi as f64), "case {case}: {src}");
        assert_eq!(explained[0].class, "markov");
    }
}

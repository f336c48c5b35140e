//! Random specs over every built-in, `int` and `f32` mixed, group and batch
//! terms, `prev`/`total`, three machines and `done`: the fast-path tests
//! run them on every evaluation path, the formatter tests format them.

use crate::Rng;

pub fn one_in(rng: &mut Rng, k: usize) -> bool {
    rng.below(k) == 0
}

fn float_leaf(rng: &mut Rng) -> String {
    let leaves = [
        "x",
        "y",
        "v[0]",
        "v[2]",
        "mean(v)",
        "std(v)",
        "max(v)",
        "0.5",
        "-2.0",
        "1.0e-40",
        "3.0e38",
        "-0.0",
        "mm.reward",
        "mc.reward",
    ];
    leaves[rng.below(leaves.len())].to_string()
}

fn int_leaf(rng: &mut Rng) -> String {
    let leaves =
        ["n", "m", "3", "-7", "2147483647", "0", "mm.state", "mm.distance", "steps", "mc.state", "mc.distance"];
    leaves[rng.below(leaves.len())].to_string()
}

fn float_expr(rng: &mut Rng, depth: usize) -> String {
    if depth == 0 || one_in(rng, 15) {
        return if one_in(rng, 4) { format!("({} + 0.0)", int_expr(rng, 0)) } else { float_leaf(rng) };
    }
    macro_rules! f {
        () => {
            float_expr(rng, depth - 1)
        };
    }
    match rng.below(24) {
        0 | 1 => format!("({} + {})", f!(), f!()),
        2 => format!("({} - {})", f!(), f!()),
        3 | 4 => format!("({} * {})", f!(), f!()),
        5 => format!("({} / {})", f!(), f!()),
        6 => format!("(-{})", f!()),
        7 => format!("abs({})", f!()),
        8 => format!("exp({})", f!()),
        9 => format!("log({})", f!()),
        10 => format!("sqrt({})", f!()),
        11 => format!("sigmoid({})", f!()),
        12 => format!("tanh({})", f!()),
        13 => format!("min({}, {})", f!(), f!()),
        14 => format!("max({}, {})", f!(), f!()),
        15 => format!("clamp({}, -1.0, 1.0)", f!()),
        16 => {
            let c = bool_expr(rng, depth - 1);
            format!("(if {c} then {} else {})", float_expr(rng, depth - 1), float_expr(rng, depth - 1))
        }
        17 => format!("step({}, {})", bool_expr(rng, depth - 1), f!()),
        18 => format!("group_mean({})", f!()),
        19 => format!("group_std({})", f!()),
        20 => format!("group_max({})", f!()),
        21 => format!("batch_mean({})", f!()),
        22 => format!("prev({}, 0.25)", f!()),
        _ => format!("total({})", f!()),
    }
}

fn int_expr(rng: &mut Rng, depth: usize) -> String {
    if depth == 0 || one_in(rng, 12) {
        return int_leaf(rng);
    }
    macro_rules! i {
        () => {
            int_expr(rng, depth - 1)
        };
    }
    match rng.below(12) {
        0 => format!("({} + {})", i!(), i!()),
        1 => format!("({} - {})", i!(), i!()),
        2 => format!("({} * {})", i!(), i!()),
        3 => format!("div({}, {})", i!(), i!()),
        4 => format!("rem({}, {})", i!(), i!()),
        5 => format!("min({}, {})", i!(), i!()),
        6 => format!("max({}, {})", i!(), i!()),
        7 => format!("abs({})", i!()),
        8 => format!("rank({})", float_expr(rng, depth - 1)),
        9 => format!("count({}, {})", bool_expr(rng, depth - 1), bool_expr(rng, depth - 1)),
        10 => format!("group_min({})", i!()),
        _ => format!("total({})", i!()),
    }
}

fn bool_expr(rng: &mut Rng, depth: usize) -> String {
    if depth == 0 || one_in(rng, 10) {
        return ["p0", "p1", "mm.terminal", "(x < y)", "(n > m)"][rng.below(5)].to_string();
    }
    match rng.below(7) {
        0 => format!("({} < {})", float_expr(rng, depth - 1), float_expr(rng, depth - 1)),
        1 => format!("({} == {})", float_expr(rng, depth - 1), float_expr(rng, depth - 1)),
        2 => format!("({} >= {})", int_expr(rng, depth - 1), int_expr(rng, depth - 1)),
        3 => format!("!{}", bool_expr(rng, depth - 1)),
        4 => format!("({} & {})", bool_expr(rng, depth - 1), bool_expr(rng, depth - 1)),
        5 => format!("({} | {})", bool_expr(rng, depth - 1), bool_expr(rng, depth - 1)),
        _ => format!("(mm.state == {})", rng.below(3)),
    }
}

pub fn spec(rng: &mut Rng) -> String {
    let depth = 2 + rng.below(3);
    format!(
        "spec fast\n\
         input x: f32\ninput y: f32\ninput n: int\ninput m: int\ninput v: f32[3]\nprops p0, p1\n\
         machine mm {{\n  start a\n  a -> b when p0 & x > 0.5 reward x\n  b -> c when p1 | n < 3 reward 1.0\n  c -> a when y < 0.0 reward -0.5\n  c -> d when y > 2.0\n  terminal d\n}}\n\
         machine mc {{\n  start q0\n  q0 -> q1 when p0 reward 1.0\n  q1 -> q2 when p1 & !p0 reward -0.5\n  q1 -> q3 when !p1 & n > 5 reward 1.0\n  q2 -> q0 when p0 | p1 reward 0.25\n  q3 -> q4 when p1\n  terminal q4\n}}\n\
         machine mp {{\n  start r0\n  r0 -> r1 when p0 & !p1 reward 0.5\n  r0 -> r2 when p1 reward -1.0\n  r1 -> r2 when p0 | p1\n  r2 -> r0 when !p0 & !p1 reward 2.0\n  r2 -> r3 when p0 & p1\n  terminal r3\n}}\n\
         let e1 = {}\nlet e2 = {}\n\
         reward = e1 + {} + mp.reward\n\
         log l1 = e2\nlog l2 = {}\nlog l3 = {}\n\
         done when {}\n",
        float_expr(rng, depth),
        int_expr(rng, depth),
        float_expr(rng, depth),
        float_expr(rng, depth),
        bool_expr(rng, depth),
        if one_in(rng, 3) { bool_expr(rng, 1) } else { "mm.terminal".to_string() },
    )
}

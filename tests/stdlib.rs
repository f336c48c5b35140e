//! Every standard-library function against its paper's formula, on values
//! computed by hand, edge cases included (lengths exactly at a threshold,
//! extreme inputs that must not produce NaN, empty checklists, groups of
//! one). Each case compiles a one-line spec and evaluates it in the runtime.

use rw_runtime::{Artifact, Column, Evaluator, Options, StepInput};

/// Evaluates `reward = EXPR` on one lane with `x` and `y` (f32) and `n` (int).
fn eval(uses: &str, expr: &str, x: f32, y: f32, n: i32) -> f32 {
    let src = format!("{uses}\ninput x: f32\ninput y: f32\ninput n: int\nreward = {expr}\n");
    let checked = rw_compiler::check_text("case.rw", &src, None);
    assert!(!checked.has_errors(), "{expr}: {:?}", checked.diagnostics);
    let artifact: Artifact = rw_compiler::compile(&checked).unwrap_or_else(|d| panic!("{expr}: {d:?}"));
    let mut e = Evaluator::new(&artifact, 1, Options::default());
    let (xs, ys, ns) = ([x], [y], [n]);
    let columns = [Column::F32(&xs), Column::F32(&ys), Column::Int(&ns)];
    e.step(&StepInput { columns: &columns, last: None, groups: None, active: None }).expect("step").reward[0]
}

const LENGTH: &str = "use std::length::{laser, overlong}";

#[test]
fn laser_pays_up_to_and_including_the_target() {
    assert_eq!(eval(LENGTH, "laser(n, 4096, 0.5)", 0.0, 0.0, 4096), 0.5);
    assert_eq!(eval(LENGTH, "laser(n, 4096, 0.5)", 0.0, 0.0, 4097), 0.0);
    assert_eq!(eval(LENGTH, "laser(n, 4096, 0.5)", 0.0, 0.0, 0), 0.5);
}

#[test]
fn dapo_overlong_is_zero_then_linear_then_minus_one() {
    // L_max = 8192, L_cache = 1024: free up to 7168, -1 at 8192 and beyond.
    assert_eq!(eval(LENGTH, "overlong(n, 8192, 1024)", 0.0, 0.0, 7168), 0.0);
    assert_eq!(eval(LENGTH, "overlong(n, 8192, 1024)", 0.0, 0.0, 7169), -1.0 / 1024.0);
    assert_eq!(eval(LENGTH, "overlong(n, 8192, 1024)", 0.0, 0.0, 7680), -0.5);
    assert_eq!(eval(LENGTH, "overlong(n, 8192, 1024)", 0.0, 0.0, 8192), -1.0);
    assert_eq!(eval(LENGTH, "overlong(n, 8192, 1024)", 0.0, 0.0, 100_000), -1.0);
}

const SHAPING: &str = "use std::shaping::{par, par_k, par2, par3, switch_on_ratio}";

#[test]
fn par_is_the_sigmoid_of_the_centred_reward_and_never_nan() {
    assert_eq!(eval(SHAPING, "par(x, y)", 1.5, 1.5, 0), 0.5);
    assert_eq!(eval(SHAPING, "par(x, y)", 2.0, 1.0, 0), 1.0 / (1.0 + (-1.0f32).exp()));
    // Extremes saturate instead of overflowing to NaN.
    assert_eq!(eval(SHAPING, "par(x, y)", 1e30, -1e30, 0), 1.0);
    assert_eq!(eval(SHAPING, "par(x, y)", -1e30, 1e30, 0), 0.0);
    // Several references: the mean of the per-reference sigmoids.
    let s = |d: f32| 1.0 / (1.0 + (-d).exp());
    assert_eq!(eval(SHAPING, "par2(x, y, 0.0)", 1.0, 2.0, 0), (s(1.0 - 2.0) + s(1.0)) / 2.0);
    assert_eq!(eval(SHAPING, "par3(x, y, y, y)", 0.0, 0.0, 0), (0.5 + 0.5 + 0.5) / 3.0);
}

#[test]
fn grpo_lambda_switching_includes_the_threshold() {
    assert_eq!(eval(SHAPING, "switch_on_ratio(x, 0.5, 2.0, -2.0)", 0.5, 0.0, 0), 2.0);
    assert_eq!(eval(SHAPING, "switch_on_ratio(x, 0.5, 2.0, -2.0)", 0.49, 0.0, 0), -2.0);
}

#[test]
fn ensembles_mean_worst_case_and_uncertainty_weighted() {
    let uses = "use std::ensemble::{ensemble_mean4, worst_case4, uwo4}\ninput s: f32[4]";
    let run = |expr: &str, s: [f32; 4]| {
        let src = format!("{uses}\nreward = {expr}\n");
        let checked = rw_compiler::check_text("e.rw", &src, None);
        let artifact = rw_compiler::compile(&checked).unwrap_or_else(|d| panic!("{d:?}"));
        let mut e = Evaluator::new(&artifact, 1, Options::default());
        let columns = [Column::F32Vec(&s)];
        e.step(&StepInput { columns: &columns, last: None, groups: None, active: None }).expect("step").reward[0]
    };
    let s = [1.0, 2.0, 3.0, 4.0];
    assert_eq!(run("ensemble_mean4(s)", s), 2.5);
    assert_eq!(run("worst_case4(s)", s), 1.0);
    // Coste et al.'s code: `torch.mean(s) - coeff * torch.var(s)`, the
    // sample variance: 5/3 for 1..4.
    assert_eq!(run("uwo4(s, 0.5)", s), 2.5 - 0.5 * (1.25 * (4.0 / 3.0)));
    let mut rng = rw_tests::Rng(0x75_770);
    for _ in 0..200 {
        let s: [f32; 4] = std::array::from_fn(|_| (rng.below(4001) as f32 - 2000.0) / 300.0);
        let v: Vec<f64> = s.iter().map(|&x| f64::from(x)).collect();
        let mean = v.iter().sum::<f64>() / 4.0;
        let var = v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / 3.0;
        let want = mean - 0.7 * var;
        let got = f64::from(run("uwo4(s, 0.7)", s));
        assert!((got - want).abs() <= 1e-5 * want.abs().max(1.0), "{s:?}: rw {got}, reference {want}");
    }
    // All scores equal: no uncertainty penalty.
    assert_eq!(run("uwo4(s, 0.5)", [0.7; 4]), 0.7);
}

#[test]
fn format_and_tool_call_rewards() {
    let uses = "use std::format::{format_reward, fraction3, all3, tool_call}";
    assert_eq!(eval(uses, "format_reward(x > 0.0, 0.2, 0.5)", 1.0, 0.0, 0), 0.2);
    assert_eq!(eval(uses, "format_reward(x > 0.0, 0.2, 0.5)", -1.0, 0.0, 0), -0.5);
    assert_eq!(eval(uses, "fraction3(x > 0.0, y > 0.0, n > 0)", 1.0, -1.0, 1), 2.0 / 3.0);
    assert_eq!(eval(uses, "all3(x > 0.0, y > 0.0, n > 0, 1.0)", 1.0, 1.0, 1), 1.0);
    assert_eq!(eval(uses, "all3(x > 0.0, y > 0.0, n > 0, 1.0)", 1.0, 1.0, 0), 0.0);
    assert_eq!(eval(uses, "tool_call(x > 0.0, y > 0.0)", -1.0, 1.0, 0), -1.0);
    assert_eq!(eval(uses, "tool_call(x > 0.0, y > 0.0)", 1.0, -1.0, 0), 0.2);
    assert_eq!(eval(uses, "tool_call(x > 0.0, y > 0.0)", 1.0, 1.0, 0), 1.0);
}

#[test]
fn empty_checklists_and_groups_of_one() {
    // An empty checklist scores 0, passes `all`, fails nothing.
    let src = "input checks: criteria\nreward = checks.score\nlog all = checks.all\nlog failed = checks.failed\n";
    let checked = rw_compiler::check_text("c.rw", src, None);
    let artifact = rw_compiler::compile(&checked).unwrap_or_else(|d| panic!("{d:?}"));
    let mut e = Evaluator::new(&artifact, 2, Options::default());
    // Lane 0: empty; lane 1: weights summing to 0.
    let (offsets, weights, verdicts) = ([0u32, 0, 2], [0.0f32, 0.0], [1.0f32, 0.0]);
    let columns = [Column::Criteria { offsets: &offsets, weights: &weights, verdicts: &verdicts }];
    let out = e.step(&StepInput { columns: &columns, last: None, groups: None, active: None }).expect("step");
    assert_eq!(out.reward, [0.0, 0.0]);
    assert_eq!(out.logs[0], [1, 0], "lane 1 has a failing item");
    assert_eq!(out.logs[1], [0, 1]);

    // A group of one: its std is 0, the normalised advantage 0, not NaN.
    let src = "input s: f32 in 0.0..=1.0\nreward = (s - group_mean(s)) / (group_std(s) + 0.0001)\n";
    let checked = rw_compiler::check_text("g.rw", src, None);
    let artifact = rw_compiler::compile(&checked).unwrap_or_else(|d| panic!("{d:?}"));
    let mut e = Evaluator::new(&artifact, 3, Options::default());
    let s = [0.3f32, 0.9, 0.5];
    let groups = [7u32, u32::MAX, 7];
    let columns = [Column::F32(&s)];
    let out = e.step(&StepInput { columns: &columns, last: None, groups: Some(&groups), active: None }).expect("step");
    assert_eq!(out.reward[1], 0.0, "a lane of its own");
    assert!(out.reward.iter().all(|r| r.is_finite()));
    assert!(out.reward[0] < 0.0 && out.reward[2] > 0.0);
}

/// `constraint x <= c lagrange(lr r)`: the penalty `lambda * (x - c)` and the
/// end-of-batch update `lambda = max(0, lambda + r * (mean(x) - c))`.
#[test]
fn constraint_multipliers_follow_the_documented_update() {
    let src = "input helpful: f32 in 0.0..=1.0\ninput toxicity: f32 in 0.0..=1.0\n\
               constraint toxicity <= 0.2 lagrange(lr 0.5)\nreward = helpful\n";
    let checked = rw_compiler::check_text("c.rw", src, None);
    let artifact = rw_compiler::compile(&checked).unwrap_or_else(|d| panic!("{d:?}"));
    let mut e = Evaluator::new(&artifact, 2, Options::default());
    let helpful = [1.0f32, 1.0];
    let step = |e: &mut Evaluator, tox: [f32; 2]| {
        let columns = [Column::F32(&helpful), Column::F32(&tox)];
        e.step(&StepInput { columns: &columns, last: None, groups: None, active: None }).expect("step").reward.clone()
    };
    // lambda starts at 0: no penalty.
    assert_eq!(step(&mut e, [0.4, 0.6]), [1.0, 1.0]);
    // mean toxicity 0.5: lambda = max(0, 0 + 0.5 * (0.5 - 0.2)) = 0.15.
    let lambda = e.end_batch()[0];
    assert_eq!(lambda, (0.5f64 * (0.5 - 0.2f32 as f64)) as f32);
    assert_eq!(f32::from_bits(e.param("lambda_toxicity").expect("readable")), lambda);
    let r = step(&mut e, [0.2, 0.3]);
    assert_eq!(r, [1.0 + -(lambda * (0.2f32 - 0.2)), 1.0 + -(lambda * (0.3f32 - 0.2))]);
    // Mean 0.25 is above the limit: lambda grows by 0.5 * 0.05.
    let mean = ((0.2f32 as f64 + 0.3f32 as f64) / 2.0) as f32;
    let grown = e.end_batch()[0];
    assert_eq!(grown, (lambda + 0.5 * (mean - 0.2)).max(0.0));
    // Two batches below the limit: it shrinks by 0.1 each time, and stops at 0.
    step(&mut e, [0.0, 0.0]);
    let shrunk = e.end_batch()[0];
    assert_eq!(shrunk, (grown + 0.5 * (0.0 - 0.2)).max(0.0));
    step(&mut e, [0.0, 0.0]);
    assert_eq!(e.end_batch()[0], 0.0, "clamped at 0");
    // The trainer may also set it.
    assert!(e.set_param("lambda_toxicity", 0.0f32.to_bits()));
    assert_eq!(step(&mut e, [1.0, 1.0]), [1.0, 1.0]);
}

/// A transcription of TRL's `get_soft_overlong_punishment` (DAPO eq. 13):
/// 0 up to `max - cache`, `((max - cache) - len) / cache` up to `max`, -1
/// beyond; and of verl's DAPORewardManager term, `min(-(len - (max -
/// cache)) / cache * factor, 0)`, which agrees up to `max` for factor 1.
#[test]
fn overlong_equals_trl_and_verl() {
    let trl = |len: i64, max: i64, cache: i64| -> f64 {
        if len <= max - cache {
            0.0
        } else if len <= max {
            ((max - cache - len) as f64) / cache as f64
        } else {
            -1.0
        }
    };
    let verl = |len: i64, max: i64, cache: i64| -> f64 { (-((len - (max - cache)) as f64) / cache as f64).min(0.0) };
    for (max, cache) in [(8192i64, 1024i64), (20480, 4096), (4096, 512), (100, 1)] {
        let mut lens: Vec<i64> =
            vec![0, 1, max - cache - 1, max - cache, max - cache + 1, max - 1, max, max + 1, 2 * max];
        lens.extend((0..50).map(|k| k * (max + cache) / 50));
        for len in lens.into_iter().filter(|&l| l >= 0) {
            let got = eval(LENGTH, &format!("overlong(n, {max}, {cache})"), 0.0, 0.0, len as i32);
            let want = trl(len, max, cache);
            assert!((f64::from(got) - want).abs() <= 1e-7, "len {len}, max {max}, cache {cache}: rw {got}, TRL {want}");
            if len <= max {
                assert!((f64::from(got) - verl(len, max, cache)).abs() <= 1e-7, "len {len}: verl");
            }
        }
    }
}

/// LASER (`compute_length_reward_larse`, type "reward"): a correct
/// response (score 1.0) within the target gains the scalar. LASER-D
/// (`compute_length_reward_larse_d`): the target is that of the group's
/// accuracy tier (>= 2/3 high, >= 1/3 medium, else low). Random groups of
/// 1 to 9 completions, against the transcription.
#[test]
fn laser_and_laser_d_equal_the_reference() {
    let larse = |correct: bool, len: i32, target: i32, scalar: f64| -> f64 {
        let mut score = if correct { 1.0 } else { 0.0 };
        if correct && len <= target {
            score += scalar;
        }
        score
    };
    for (len, correct) in [(4096, true), (4097, true), (0, true), (100, false)] {
        let c = if correct { "1.0" } else { "0.0" };
        let expr = format!("(if n > -1 then {c} else 0.0) + (if {c} > 0.5 then laser(n, 4096, 0.5) else 0.0)");
        assert_eq!(f64::from(eval(LENGTH, &expr, 0.0, 0.0, len)), larse(correct, len, 4096, 0.5), "len {len}");
    }

    let src = "use std::length::{laser_d}\ninput correct: bool\ninput n: int in 0..=10000\n\
               let c = if correct then 1.0 else 0.0\n\
               reward = c + laser_d(correct, n, group_mean(c), 1000, 2000, 3000, 0.5)\n";
    let checked = rw_compiler::check_text("laser_d.rw", src, None);
    assert!(!checked.has_errors(), "{:?}", checked.diagnostics);
    let artifact = rw_compiler::compile(&checked).expect("compiles");
    let mut rng = rw_tests::Rng(0x0001_a5ed);
    for round in 0..30 {
        let (mut correct, mut lens, mut ids) = (Vec::new(), Vec::new(), Vec::new());
        let mut group_of = Vec::new();
        for g in 0..12u32 {
            let size = 1 + rng.below(9);
            let start = correct.len();
            for _ in 0..size {
                correct.push(rng.chance(50));
                lens.push(rng.below(3500) as i32);
                ids.push(g);
            }
            group_of.push(start..correct.len());
        }
        let mut e = Evaluator::new(&artifact, correct.len(), Options::default());
        let columns: Vec<Column<'_>> = artifact
            .inputs
            .iter()
            .map(|i| if i.name == "correct" { Column::Bool(&correct) } else { Column::Int(&lens) })
            .collect();
        let out = e.step(&StepInput { columns: &columns, last: None, groups: Some(&ids), active: None }).expect("step");
        for range in group_of {
            // id2acc, in float64 as the reference computes it.
            let acc = correct[range.clone()].iter().filter(|&&c| c).count() as f64 / range.len() as f64;
            let target = if acc >= 2.0 / 3.0 {
                1000
            } else if acc >= 1.0 / 3.0 {
                2000
            } else {
                3000
            };
            for lane in range {
                let want = larse(correct[lane], lens[lane], target, 0.5);
                assert_eq!(
                    f64::from(out.reward[lane]),
                    want,
                    "round {round} lane {lane}: acc {acc}, len {}",
                    lens[lane]
                );
            }
        }
    }
}

/// PAR (`calculate_relative_sigmoid`): the mean over the references of
/// `1 / (1 + exp(-k * (r - ref)))`, in order.
#[test]
fn par_equals_calculate_relative_sigmoid() {
    let reference = |r: f64, refs: &[f64], k: f64| {
        refs.iter().map(|x| 1.0 / (1.0 + (-k * (r - x)).exp())).sum::<f64>() / refs.len() as f64
    };
    let mut rng = rw_tests::Rng(0x9a2);
    for _ in 0..300 {
        let (r, a) = ((rng.below(2001) as f32 - 1000.0) / 97.0, (rng.below(2001) as f32 - 1000.0) / 89.0);
        let (x, y) = (f64::from(r), f64::from(a));
        for (expr, want) in [
            ("par(x, y)", reference(x, &[y], 1.0)),
            ("par_k(x, y, 2.5)", reference(x, &[y], 2.5)),
            ("par2(x, y, 0.5)", reference(x, &[y, 0.5], 1.0)),
            ("par3(x, y, 0.5, -1.0)", reference(x, &[y, 0.5, -1.0], 1.0)),
        ] {
            let got = f64::from(eval(SHAPING, expr, r, a, 0));
            assert!((got - want).abs() <= 1e-6, "{expr} at r {r}, ref {a}: rw {got}, PAR {want}");
        }
    }
}

/// CaRL's `SimpleReward.get` with the default configuration, transcribed
/// (single reward, termination hint including red lights, outside-lanes
/// zeroing, speed, TTC, comfort and lane-centre factors in its order).
#[allow(clippy::too_many_arguments)]
fn carl_simple_reward(
    progress: f64,
    over: f64,
    ttc: bool,
    comfort_violations: i32,
    lane_penalty: bool,
    outside_lanes: bool,
    collision: bool,
    red_light: bool,
    other_termination: bool,
) -> f64 {
    let termination = collision || red_light || other_termination;
    let mut terminal_reward = 0.0; // config.terminal_reward
    if termination && (collision || red_light) {
        terminal_reward -= 1.0; // config.terminal_hint
    }
    let mut progress_reward = progress;
    if outside_lanes {
        progress_reward = 0.0;
    }
    let agent_too_fast = over > 0.0;
    let speed_penalty = if agent_too_fast { (1.0 - over / 2.23).max(0.0) } else { 1.0 };
    if agent_too_fast {
        progress_reward *= speed_penalty;
    }
    if ttc {
        progress_reward *= 0.5;
    }
    let comfort_penalty = 1.0 - 0.5 * (f64::from(comfort_violations) / 6.0);
    if comfort_penalty < 1.0 {
        progress_reward *= comfort_penalty;
    }
    progress_reward *= if lane_penalty { 0.5 } else { 1.0 };
    progress_reward + terminal_reward
}

#[test]
fn carl_equals_simple_reward() {
    let (_, checked) = rw_tests::check(&rw_tests::root().join("examples/carl_driving.rw"));
    let artifact = rw_compiler::compile(&checked).expect("compiles");
    let mut rng = rw_tests::Rng(0xca71);
    let n = 2000;
    let progress: Vec<f32> = (0..n).map(|_| rng.below(1001) as f32 / 1000.0).collect();
    let over: Vec<f32> =
        (0..n).map(|k| if k % 5 == 0 { 0.0 } else { (rng.below(801) as f32 - 400.0) / 100.0 }).collect();
    let comfort: Vec<i32> = (0..n).map(|_| rng.below(7) as i32).collect();
    let flags: Vec<Vec<bool>> =
        (0..7).map(|k| (0..n).map(|_| rng.chance(if k == 0 { 40 } else { 15 })).collect()).collect();
    let columns: Vec<Column<'_>> = artifact
        .inputs
        .iter()
        .map(|i| match i.name.as_str() {
            "route_progress" => Column::F32(&progress),
            "over_speed" => Column::F32(&over),
            "comfort_violations" => Column::Int(&comfort),
            "ttc_violation" => Column::Bool(&flags[0]),
            "lane_penalty" => Column::Bool(&flags[1]),
            "outside_lanes" => Column::Bool(&flags[2]),
            "collided" => Column::Bool(&flags[3]),
            "ran_red_light" => Column::Bool(&flags[4]),
            "ran_stop_sign" => Column::Bool(&flags[5]),
            _ => Column::Bool(&flags[6]),
        })
        .collect();
    let mut e = Evaluator::new(&artifact, n, Options::default());
    let out = e.step(&StepInput { columns: &columns, last: None, groups: None, active: None }).expect("step");
    for k in 0..n {
        let want = carl_simple_reward(
            f64::from(progress[k]),
            f64::from(over[k]),
            flags[0][k],
            comfort[k],
            flags[1][k],
            flags[2][k],
            flags[3][k],
            flags[4][k],
            flags[5][k] || flags[6][k],
        );
        let got = f64::from(out.reward[k]);
        assert!((got - want).abs() <= 1e-6, "lane {k}: rw {got}, SimpleReward {want}");
        assert_eq!(out.done[k], flags[3][k] || flags[4][k] || flags[5][k] || flags[6][k]);
    }
    // Off road ends the episode without the -1: it pays its progress.
    assert!(flags[6].iter().zip(&flags[3]).zip(&flags[4]).any(|((o, c), r)| *o && !c && !r));
}

/// Steps `G F a & G F b` with the reward and discount of `scheme` over `n`
/// rounds of the lasso `(a b)^ω` on one lane: the steps that took an
/// accepting transition, and the discounted return
/// `Σ_t r_t · Π_{k<t} γ_k` (in f64 over the runtime's f32 outputs).
fn omega_return(reward: &str, discount: &str, n: usize) -> (Vec<usize>, f64) {
    let src = format!(
        "use std::omega::{{bozkurt_reward, bozkurt_discount, eventual_reward, eventual_discount, frontier_reward, frontier_discount}}\n\
         props a, b\nltl patrol = G F a & G F b\nlet visits = total(if patrol.accepting then 1 else 0)\n\
         reward = {reward}\ndiscount = {discount}\nlog acc = patrol.accepting\n"
    );
    let checked = rw_compiler::check_text("omega.rw", &src, None);
    assert!(!checked.has_errors(), "{reward}: {:?}", checked.diagnostics);
    let artifact: Artifact = rw_compiler::compile(&checked).unwrap_or_else(|d| panic!("{reward}: {d:?}"));
    let mut e = Evaluator::new(&artifact, 1, Options::default());
    let (mut accepting, mut total, mut weight) = (Vec::new(), 0.0f64, 1.0f64);
    for t in 0..2 * n {
        let (a, b) = ([t % 2 == 0], [t % 2 == 1]);
        let columns = [Column::Bool(&a), Column::Bool(&b)];
        let out = e.step(&StepInput { columns: &columns, last: None, groups: None, active: None }).expect("step");
        if out.logs[0][0] != 0 {
            accepting.push(t);
        }
        total += weight * f64::from(out.reward[0]);
        weight *= f64::from(out.discount[0]);
    }
    (accepting, total)
}

#[test]
fn omega_schemes_match_their_returns_computed_by_hand() {
    let n = 2000;
    // The automaton completes a round (accepting transition) on each `b`
    // after an `a`: steps 1, 3, 5, ...
    let (accepting, _) = omega_return("eventual_reward(patrol.accepting)", "1.0", 4);
    assert_eq!(accepting, [1, 3, 5, 7]);
    let close = |got: f64, want: f64| (got - want).abs() <= 1e-4 * want.abs().max(1.0);
    // Bozkurt et al.: r = 1 - γB and Γ = γB on accepting steps, Γ = γ on the
    // others. Round k pays (1 - γB) after k + 1 non-accepting and k
    // accepting steps: Σ_k (1 - γB) γ^(k+1) γB^k = (1 - γB) γ (1 - (γ γB)^n) / (1 - γ γB).
    let (g, gb) = (0.999f64, 0.99f64);
    let (g32, gb32) = (f64::from(0.999f32), f64::from(0.99f32));
    let want = (1.0 - gb32) * g32 * (1.0 - (g32 * gb32).powi(n as i32)) / (1.0 - g32 * gb32);
    let (_, got) =
        omega_return("bozkurt_reward(patrol.accepting, 0.99)", "bozkurt_discount(patrol.accepting, 0.99, 0.999)", n);
    assert!(close(got, want), "Bozkurt: {got} vs {want}");
    // As γB, γ → 1 the return tends to the satisfaction probability, 1 here.
    assert!((want - (1.0 - gb) * g / (1.0 - g * gb)).abs() < 1e-3 && want > 0.9);
    // Eventual discounting: reward 1 and Γ = γ on accepting steps, Γ = 1
    // otherwise: Σ_k γ^k = (1 - γ^n) / (1 - γ).
    let g32 = f64::from(0.99f32);
    let (_, got) = omega_return("eventual_reward(patrol.accepting)", "eventual_discount(patrol.accepting, 0.99)", n);
    let want = (1.0 - g32.powi(n as i32)) / (1.0 - g32);
    assert!(close(got, want), "eventual: {got} vs {want}");
    // The accepting frontier with one accepting set: r on the first
    // accepting step only (step 1, after a step with Γ = 1).
    let (_, got) = omega_return(
        "frontier_reward(patrol.accepting, visits, 2.0)",
        "frontier_discount(patrol.accepting, visits, 0.9)",
        n,
    );
    assert_eq!(got, 2.0);
}

/// Where a limit-deterministic automaton offers no way to stay on a step
/// (the wait was pruned: the jump's target accepts every word the wait
/// would), a jump input of 0 takes the first jump instead of killing the
/// run. In `b U G c`, after `b`, the letter `c` leaves only the accepting
/// part (`G c`): an agent that never jumps still satisfies the formula on
/// `b (c)^ω`, and loses it on the first step without `c`.
#[test]
fn a_jump_of_zero_where_staying_is_impossible_takes_the_first_jump() {
    let src = "props b, c\ninput j: int\nltl s = b U G c jump j\nreward = if s.accepting then 1.0 else 0.0\n\
               log dead = s.rejecting\n";
    let checked = rw_compiler::check_text("jump.rw", src, None);
    assert!(!checked.has_errors(), "{:?}", checked.diagnostics);
    let artifact: Artifact = rw_compiler::compile(&checked).unwrap_or_else(|d| panic!("{d:?}"));
    let mut e = Evaluator::new(&artifact, 1, Options::default());
    let mut step = |b: bool, c: bool| {
        let (b, c, j) = ([b], [c], [0i32]);
        let columns = [Column::Bool(&b), Column::Bool(&c), Column::Int(&j)];
        let out = e.step(&StepInput { columns: &columns, last: None, groups: None, active: None }).expect("step");
        (out.reward[0], out.logs[0][0] != 0)
    };
    assert_eq!(step(true, false), (0.0, false));
    // The jump itself is not accepting (it lies on no cycle); every step of
    // `G c` after it is.
    assert_eq!(step(false, true), (0.0, false));
    for _ in 0..5 {
        assert_eq!(step(false, true), (1.0, false));
    }
    assert_eq!(step(false, false), (0.0, true));
}

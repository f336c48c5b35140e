//! Every standard-library function against its paper's formula, on values
//! computed by hand, edge cases included (lengths exactly at a threshold,
//! extreme inputs that must not produce NaN, empty checklists, groups of
//! one). Each case compiles a one-line spec and evaluates it in the runtime.

use rw_runtime::{Artifact, Column, Evaluator, Options, StepInput};

/// Evaluates `reward = EXPR` on one lane with `x` and `y` (f32) and `n` (int).
fn eval(uses: &str, expr: &str, x: f32, y: f32, n: i32) -> f32 {
    let src = format!("{uses}\ninput x: f32\ninput y: f32\ninput n: int\nreward = {expr}\n");
    let checked = rw_compiler::sema::check_text("case.rw", &src, None);
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

const SHAPING: &str = "use std::shaping::{par, par2, par3, switch_on_ratio}";

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
        let checked = rw_compiler::sema::check_text("e.rw", &src, None);
        let artifact = rw_compiler::compile(&checked).unwrap_or_else(|d| panic!("{d:?}"));
        let mut e = Evaluator::new(&artifact, 1, Options::default());
        let columns = [Column::F32Vec(&s)];
        e.step(&StepInput { columns: &columns, last: None, groups: None, active: None }).expect("step").reward[0]
    };
    let s = [1.0, 2.0, 3.0, 4.0];
    assert_eq!(run("ensemble_mean4(s)", s), 2.5);
    assert_eq!(run("worst_case4(s)", s), 1.0);
    // Population variance of 1..4 is 1.25: UWO = 2.5 - 0.5 * 1.25.
    assert_eq!(run("uwo4(s, 0.5)", s), 2.5 - 0.5 * 1.25);
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
fn carl_progress_times_penalty_factors() {
    let uses = "use std::carl::{soft_penalty, linear_penalty, carl_reward}";
    assert_eq!(eval(uses, "soft_penalty(x > 0.0, 0.5)", 1.0, 0.0, 0), 0.5);
    assert_eq!(eval(uses, "soft_penalty(x > 0.0, 0.5)", 0.0, 0.0, 0), 1.0);
    // The linear factor stays in [0, 1] even for large violations.
    assert_eq!(eval(uses, "linear_penalty(x, 1.0)", 0.25, 0.0, 0), 0.75);
    assert_eq!(eval(uses, "linear_penalty(x, 1.0)", 5.0, 0.0, 0), 0.0);
    assert_eq!(eval(uses, "carl_reward(x, 0.5, 0.8, 1.0)", 0.1, 0.0, 0), 0.1 * 0.5 * 0.8 * 1.0);
}

#[test]
fn empty_checklists_and_groups_of_one() {
    // An empty checklist scores 0, passes `all`, fails nothing.
    let src = "input checks: criteria\nreward = checks.score\nlog all = checks.all\nlog failed = checks.failed\n";
    let checked = rw_compiler::sema::check_text("c.rw", src, None);
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
    let checked = rw_compiler::sema::check_text("g.rw", src, None);
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
    let checked = rw_compiler::sema::check_text("c.rw", src, None);
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

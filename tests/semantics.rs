//! The runtime's semantics of trainer-facing constructs against hand
//! computations and transcriptions of the reference implementations:
//! episodic constraints (PPO-Lagrangian's multiplier update) and group
//! statistics (TRL's GRPO).

use rw_runtime::{Artifact, Column, Evaluator, Options, StepInput};

fn compile(src: &str) -> Artifact {
    let checked = rw_compiler::sema::check_text("semantics.rw", src, None);
    assert!(!checked.has_errors(), "{src}\n{:?}", checked.diagnostics);
    rw_compiler::compile(&checked).expect("compiles")
}

/// `constraint episode`: each step pays `-lambda * cost` (`+lambda * q`
/// for a lower limit); `end_batch` moves lambda by `lr * (mean episode sum
/// - limit)` over the episodes that ended since the last update, and
/// leaves it alone when none did (OmniSafe's `Lagrange` with plain SGD).
#[test]
fn episodic_constraints_update_from_ended_episodes() {
    let artifact = compile(
        "input cost: f32 in 0.0..=10.0\ninput q: f32 in 0.0..=10.0\n\
         constraint episode cost <= 2.0 lagrange(lr 0.1, init 0.5)\n\
         constraint episode quality: q >= 3.0 lagrange(lr 0.25, init 1.0)\n\
         reward = 1.0\n",
    );
    let columns_of = |cost: &[f32], q: &[f32]| -> Vec<(Vec<f32>, Vec<f32>)> { vec![(cost.to_vec(), q.to_vec())] };
    let mut eval = Evaluator::new(&artifact, 3, Options::default());
    let mut step = |eval: &mut Evaluator<'_>, cost: [f32; 3], q: [f32; 3], last: [bool; 3]| -> Vec<f32> {
        let data = columns_of(&cost, &q);
        let (c, qv) = (&data[0].0, &data[0].1);
        let columns: Vec<Column<'_>> =
            artifact.inputs.iter().map(|i| if i.name == "cost" { Column::F32(c) } else { Column::F32(qv) }).collect();
        let out = eval.step(&StepInput { columns: &columns, last: Some(&last), groups: None, active: None }).unwrap();
        out.reward.clone()
    };
    let (mut lambda, mut mu) = (0.5f32, 1.0f32);
    // Batch 1: no episode ends, the multipliers stay.
    let r = step(&mut eval, [1.0, 2.0, 3.0], [1.0, 4.0, 0.0], [false; 3]);
    for (k, (c, q)) in [(1.0f32, 1.0f32), (2.0, 4.0), (3.0, 0.0)].into_iter().enumerate() {
        assert_eq!(r[k], 1.0 - lambda * c + mu * q);
    }
    assert_eq!(eval.end_batch(), vec![lambda, mu], "no episode ended: nothing to average");
    // Batch 2: lanes 0 and 1 end (cost sums 2 and 3; q sums 3 and 4).
    step(&mut eval, [1.0, 1.0, 1.0], [2.0, 0.0, 0.0], [true, true, false]);
    let mean_cost = ((2.0f64 + 3.0) / 2.0) as f32;
    let mean_q = ((3.0f64 + 4.0) / 2.0) as f32;
    lambda = (lambda + 0.1 * (mean_cost - 2.0)).max(0.0);
    mu = (mu + 0.25 * (3.0 - mean_q)).max(0.0);
    assert_eq!(eval.end_batch(), vec![lambda, mu]);
    assert_eq!((lambda, mu), (0.55, 0.875));
    // Batch 3: lane 2 ends with cost sum 6; lanes 0, 1 start new episodes.
    let r = step(&mut eval, [0.0, 0.0, 2.0], [0.0, 0.0, 5.0], [false, false, true]);
    assert_eq!(r[2], 1.0 - lambda * 2.0 + mu * 5.0);
    lambda = (lambda + 0.1 * (6.0 - 2.0)).max(0.0);
    mu = (mu + 0.25 * (3.0 - 5.0)).max(0.0);
    assert_eq!(eval.end_batch(), vec![lambda, mu]);
    assert_eq!(mu, 0.375);
    // A new episode's sum starts from 0: lane 0 ends now with sum 0 + 4.
    step(&mut eval, [4.0, 0.0, 0.0], [0.0; 3], [true, false, false]);
    lambda = (lambda + 0.1 * (4.0 - 2.0)).max(0.0);
    assert_eq!(eval.end_batch()[0], lambda);
}

//! The runtime's semantics of trainer-facing constructs against hand
//! computations and transcriptions of the reference implementations:
//! episodic constraints (PPO-Lagrangian's multiplier update) and group
//! statistics (TRL's GRPO).

use rw_runtime::{Artifact, Column, Evaluator, Options, StepInput};

fn compile(src: &str) -> Artifact {
    let checked = rw_compiler::check_text("semantics.rw", src, None);
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
    let step = |eval: &mut Evaluator<'_>, cost: [f32; 3], q: [f32; 3], last: [bool; 3]| -> Vec<f32> {
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

/// A transcription of TRL's GRPOTrainer advantage (`_generate_and_score_completions`):
/// `mean_grouped = rewards.view(-1, G).mean(1)`, `std = rewards.view(-1, G).std(1)`
/// (torch's sample std; 0 when G == 1) or `rewards.std()` for
/// `scale_rewards="batch"`, then `(rewards - mean) / (std + 1e-4)`, no
/// division for `"none"` (Dr. GRPO). In f64.
fn trl_advantages(groups: &[Vec<f32>], scale: &str) -> Vec<f64> {
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let std = |v: &[f64]| {
        if v.len() < 2 {
            return 0.0;
        }
        let m = mean(v);
        (v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (v.len() - 1) as f64).sqrt()
    };
    let all: Vec<f64> = groups.iter().flatten().map(|&x| f64::from(x)).collect();
    let batch_std = std(&all);
    let mut out = Vec::new();
    for g in groups {
        let g: Vec<f64> = g.iter().map(|&x| f64::from(x)).collect();
        let (m, s) = (mean(&g), if scale == "batch" { batch_std } else { std(&g) });
        for x in &g {
            out.push(if scale == "none" { x - m } else { (x - m) / (s + 1e-4) });
        }
    }
    out
}

/// `std::grpo` against TRL's formulas on random groups of sizes 1 to 64,
/// some with all values equal (advantage exactly 0), for each of TRL's
/// `scale_rewards` settings.
#[test]
fn grpo_advantages_equal_trls() {
    let artifact = compile(
        "use std::grpo::{grpo_advantage, dr_grpo_advantage}\ninput r: f32\n\
         reward = grpo_advantage(r, group_mean(r), group_std_unbiased(r))\n\
         log batch = grpo_advantage(r, group_mean(r), batch_std_unbiased(r))\n\
         log none = dr_grpo_advantage(r, group_mean(r))\n\
         log population = group_std(r)\n",
    );
    let mut rng = rw_tests::Rng(0x6e70_0000_0000_0017);
    for round in 0..20 {
        let mut groups: Vec<Vec<f32>> = Vec::new();
        for size in 1..=64usize {
            if rng.chance(70) && size % 7 != round % 7 {
                continue;
            }
            let g: Vec<f32> = if rng.chance(25) {
                // All equal: TRL divides 0 by 1e-4.
                vec![(rng.below(200) as f32 - 100.0) / 16.0; size]
            } else {
                (0..size).map(|_| (rng.below(20_001) as f32 - 10_000.0) / 997.0).collect()
            };
            groups.push(g);
        }
        let values: Vec<f32> = groups.iter().flatten().copied().collect();
        let ids: Vec<u32> =
            groups.iter().enumerate().flat_map(|(k, g)| std::iter::repeat_n(k as u32, g.len())).collect();
        let lanes = values.len();
        let mut eval = Evaluator::new(&artifact, lanes, Options::default());
        let columns = [Column::F32(&values)];
        let out = eval.step(&StepInput { columns: &columns, last: None, groups: Some(&ids), active: None }).unwrap();
        let logs: Vec<Vec<f32>> = out.logs.iter().map(|c| c.iter().map(|&b| f32::from_bits(b)).collect()).collect();
        for (scale, got) in [("group", out.reward.clone()), ("batch", logs[0].clone()), ("none", logs[1].clone())] {
            let want = trl_advantages(&groups, scale);
            for (k, (&a, &b)) in got.iter().zip(&want).enumerate() {
                let tolerance = 2e-6 * b.abs().max(1.0);
                assert!((f64::from(a) - b).abs() <= tolerance, "round {round} scale {scale} lane {k}: rw {a}, TRL {b}");
            }
        }
        // Equal groups: exactly 0, as in TRL.
        let mut lane = 0;
        for g in &groups {
            for _ in g {
                if g.iter().all(|&x| x == g[0]) {
                    assert_eq!(out.reward[lane], 0.0);
                    assert_eq!(logs[2][lane], 0.0, "population std of equal values");
                }
                lane += 1;
            }
        }
    }
}

/// GRPO-λ's selection (Dai et al. 2025, section 3), transcribed: sort the
/// batch's groups by correctness ratio, highest first, ties in group order
/// (a stable sort); the first ceil(λ · G) are selected. `batch_group_top`
/// gives the same lanes on random batches; a fixed threshold
/// (`switch_on_ratio`) does not.
#[test]
fn grpo_lambda_selects_the_top_groups_of_the_batch() {
    let artifact = compile(
        "use std::grpo::{grpo_lambda}\nparam fraction: f32 in 0.0..=1.0 = 0.2\ninput correct: bool\ninput short: f32\n\
         let c = if correct then 1.0 else 0.0\n\
         reward = grpo_lambda(batch_group_top(c, fraction), c + short, c)\n\
         log rank = batch_group_rank(c)\n",
    );
    let mut rng = rw_tests::Rng(0x6c61_6d62_6461_0001);
    let mut differs_from_threshold = 0;
    for round in 0..30 {
        let group_count = 1 + rng.below(40);
        let size = 1 + rng.below(8);
        // λ as the Python reference holds it (a float64), and as the param.
        let lambda = [0.2f64, 0.5, 0.25, 1.0, 0.0, 0.3, 0.7][round % 7];
        let fraction = lambda as f32;
        let correct: Vec<bool> = (0..group_count * size).map(|_| rng.chance(50)).collect();
        let short: Vec<f32> = (0..group_count * size).map(|k| k as f32 / 1000.0).collect();
        let ids: Vec<u32> = (0..group_count * size).map(|k| (k / size) as u32).collect();
        // The transcription.
        let ratio: Vec<f64> = (0..group_count)
            .map(|g| correct[g * size..(g + 1) * size].iter().filter(|&&c| c).count() as f64 / size as f64)
            .collect();
        let mut order: Vec<usize> = (0..group_count).collect();
        order.sort_by(|&a, &b| ratio[b].partial_cmp(&ratio[a]).unwrap());
        let k = (lambda * group_count as f64).ceil() as usize;
        let selected: Vec<bool> = (0..group_count).map(|g| order.iter().position(|&o| o == g).unwrap() < k).collect();

        let mut eval = Evaluator::new(&artifact, correct.len(), Options::default());
        eval.set_param("fraction", fraction.to_bits());
        let columns: Vec<Column<'_>> = artifact
            .inputs
            .iter()
            .map(|i| if i.name == "correct" { Column::Bool(&correct) } else { Column::F32(&short) })
            .collect();
        let out = eval.step(&StepInput { columns: &columns, last: None, groups: Some(&ids), active: None }).unwrap();
        for lane in 0..correct.len() {
            let g = lane / size;
            let c = if correct[lane] { 1.0f32 } else { 0.0 };
            let want = if selected[g] { c + short[lane] } else { c };
            assert_eq!(out.reward[lane], want, "round {round} lane {lane} (group {g}, ratio {})", ratio[g]);
            let rank = order.iter().position(|&o| o == g).unwrap() as u32;
            assert_eq!(out.logs[0][lane], rank, "round {round} lane {lane}");
            // A fixed threshold of 0.5 instead of the batch's top fraction.
            if (ratio[g] >= 0.5) != selected[g] {
                differs_from_threshold += 1;
            }
        }
    }
    assert!(differs_from_threshold > 0, "a fixed threshold should select other groups on some batch");
}

/// A batch is every active lane at one step index, whatever the lanes'
/// groups: lanes that are their own group (`u32::MAX`) and inactive lanes
/// interleaved by lane index once split the batch, leaving some active
/// lanes with a stale batch term (found by the fast-path differential test).
#[test]
fn batch_terms_cover_every_active_lane_whatever_the_groups() {
    let artifact = compile("input x: f32 in 0.0..=100.0\nreward = batch_mean(x)\nlog g = group_mean(x)\n");
    let x = [1.0f32, 2.0, 4.0, 8.0, 16.0, 32.0];
    let groups = [0, u32::MAX, u32::MAX, 1, u32::MAX, 0];
    let active = [true, true, false, true, true, false];
    let mut eval = Evaluator::new(&artifact, x.len(), Options::default());
    let columns = [Column::F32(&x)];
    let input = StepInput { columns: &columns, last: None, groups: Some(&groups), active: Some(&active) };
    let out = eval.step(&input).expect("the step runs").clone();
    // Active lanes 0, 1, 3, 4: mean 27 / 4.
    for l in [0, 1, 3, 4] {
        assert_eq!(out.reward[l], 6.75, "lane {l}");
    }
    // Groups: {0} (lane 5 is inactive), {1} alone, {3}, {4} alone.
    assert_eq!([0, 1, 3, 4].map(|l| f32::from_bits(out.logs[0][l])), [1.0, 2.0, 8.0, 16.0]);
}

/// Props given as bits of one label byte per lane (a labelling function's
/// bitmask) step a machine as the same props given as bools do, on every
/// path; a bit past 7 and a reward buffer of the wrong length are refused
/// before anything runs; `step_into` writes the rewards the caller's
/// buffer holds and leaves `StepOutput::reward` empty.
#[test]
fn props_as_label_bits_and_rewards_into_a_buffer() {
    use rw_runtime::{Isa, StepError};
    let artifact = compile(
        "props a, b, c\n\
         machine m {\n  start s0\n  s0 -> s1 when a & !c reward 1.0\n  s1 -> s2 when b | c reward 0.5\n  s2 -> s0 when !a & !b reward -1.0\n}\n\
         reward = m.reward\n",
    );
    let lanes = 131;
    // Bit 0: a, bit 5: b, bit 2: c; the other bits are noise.
    let bytes: Vec<Vec<u8>> =
        (0..7u32).map(|t| (0..lanes as u32).map(|l| ((l * 37 + t * 101) % 256) as u8).collect()).collect();
    let bit = |t: usize, k: u8| -> Vec<bool> { bytes[t].iter().map(|&b| b >> k & 1 == 1).collect() };
    for isa in Isa::available_paths() {
        let options = Options { isa, ..Options::default() };
        let (mut as_bools, mut as_bits) =
            (Evaluator::new(&artifact, lanes, options), Evaluator::new(&artifact, lanes, options));
        for (t, step_bytes) in bytes.iter().enumerate() {
            let (a, b, c) = (bit(t, 0), bit(t, 5), bit(t, 2));
            let bools = [Column::Bool(&a), Column::Bool(&b), Column::Bool(&c)];
            let expected = as_bools
                .step(&StepInput { columns: &bools, last: None, groups: None, active: None })
                .unwrap()
                .reward
                .clone();
            let bits = [
                Column::Bits { bytes: step_bytes, bit: 0 },
                Column::Bits { bytes: step_bytes, bit: 5 },
                Column::Bits { bytes: step_bytes, bit: 2 },
            ];
            let input = StepInput { columns: &bits, last: None, groups: None, active: None };
            let mut reward = vec![f32::NAN; lanes];
            let out = as_bits.step_into(&input, &mut reward).unwrap();
            assert!(out.reward.is_empty(), "{isa}: the rewards went to the buffer");
            assert_eq!(reward, expected, "{isa}, step {t}");
            assert!(expected.iter().any(|&r| r != 0.0), "the machine pays");
            let mut short = vec![0.0; lanes - 1];
            assert!(matches!(as_bits.step_into(&input, &mut short), Err(StepError::LaneFlags { what: "reward", .. })));
        }
        assert_eq!(as_bools.automaton_states(0), as_bits.automaton_states(0), "{isa}: refused steps changed nothing");
        let bad = [Column::Bits { bytes: &bytes[0], bit: 8 }, Column::Bool(&[true; 131]), Column::Bool(&[true; 131])];
        let err = as_bits.step(&StepInput { columns: &bad, last: None, groups: None, active: None }).unwrap_err();
        assert_eq!(err.to_string(), "input `a` must be a column of bits of bytes (bit 0 to 7, not 8)");
        // After `step_into`, `step` fills `StepOutput::reward` again.
        let (a, b, c) = (bit(0, 0), bit(0, 5), bit(0, 2));
        let bools = [Column::Bool(&a), Column::Bool(&b), Column::Bool(&c)];
        assert_eq!(
            as_bits.step(&StepInput { columns: &bools, last: None, groups: None, active: None }).unwrap().reward.len(),
            lanes
        );
    }
}

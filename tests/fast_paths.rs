//! Every evaluation path gives the scalar reference's bits.
//!
//! Random specs (every built-in, `int` and `f32` mixed, group and batch
//! terms, `prev`/`total`, a machine with numeric guards and edge rewards,
//! a machine whose edge rewards are constants (the packed reward classes),
//! a machine over props alone (given as bool columns, as bits of one byte
//! column, or mixed), `done`) run on random inputs with the values that break careless fast
//! paths (NaN, ±inf, −0.0, subnormals, `i32` extremes), over ragged episodes
//! (`last`, `active`, groups), on each path this CPU has; every output of
//! every lane and step, the automaton states and the multiplier updates
//! must equal the reference's bit for bit. The reference itself runs the
//! optimised tape and the unoptimised one, which must agree too.
//!
//! `RW_FAST_SPECS` sets the number of specs (default 400: about 3 × 10^5
//! lane-steps per path), `RW_FAST_SEED` another seed for longer runs.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use rw_runtime::{Artifact, Column, Evaluator, Isa, Options, StepInput};
use rw_tests::Rng;
use rw_tests::spec_gen::{one_in, spec};

/// One AVX-512 block of 64 lanes and a remainder.
const LANES: usize = 70;
/// More lanes than a fast-path chunk (1,024 or 2,048 lanes), and not a
/// multiple of either.
const WIDE_LANES: usize = 2_500;

const STEPS: usize = 6;

const F32_SPECIAL: [f32; 12] =
    [f32::NAN, f32::INFINITY, f32::NEG_INFINITY, -0.0, 0.0, 1e-40, -1e-45, f32::MAX, f32::MIN, 1.0, -1.0, 0.5];
const INT_SPECIAL: [i32; 8] = [i32::MIN, i32::MAX, -1, 0, 1, 2, -7, 46341];

fn compile(src: &str) -> Option<Artifact> {
    let checked = rw_compiler::check_text("fast.rw", src, None);
    if checked.has_errors() {
        return None;
    }
    rw_compiler::compile(&checked).ok()
}

fn floats(rng: &mut Rng, count: usize) -> Vec<f32> {
    (0..count)
        .map(|_| match rng.below(3) {
            0 => F32_SPECIAL[rng.below(F32_SPECIAL.len())],
            _ => ((rng.next_u64() % 2001) as f32 - 1000.0) / 250.0,
        })
        .collect()
}

fn ints(rng: &mut Rng, count: usize) -> Vec<i32> {
    (0..count)
        .map(
            |_| {
                if one_in(rng, 3) { INT_SPECIAL[rng.below(INT_SPECIAL.len())] } else { (rng.next_u64() % 9) as i32 - 4 }
            },
        )
        .collect()
}

/// One step's inputs for every lane.
#[derive(Clone)]
struct Step {
    x: Vec<f32>,
    y: Vec<f32>,
    n: Vec<i32>,
    m: Vec<i32>,
    v: Vec<f32>,
    p0: Vec<bool>,
    p1: Vec<bool>,
    /// The same props as bits `bits.0` (`p0`) and `bits.1` (`p1`) of each
    /// lane's byte, the other bits noise.
    labels: Vec<u8>,
    bits: (u8, u8),
    /// How the props are given: 0 bool columns, 1 bits of `labels` (3 and
    /// 6), 2 `p0` as bits and `p1` as bools, 3 consecutive bits of
    /// `labels` (2 and 3).
    props_as: u8,
    last: Vec<bool>,
    active: Vec<bool>,
    groups: Vec<u32>,
}

fn random_step(rng: &mut Rng, lanes: usize, props_as: u8) -> Step {
    let bools = |rng: &mut Rng, k: usize| (0..lanes).map(|_| one_in(rng, k)).collect::<Vec<_>>();
    let labels: Vec<u8> = (0..lanes).map(|_| rng.next_u64() as u8).collect();
    let bits = if props_as == 3 { (2, 3) } else { (3, 6) };
    Step {
        x: floats(rng, lanes),
        y: floats(rng, lanes),
        n: ints(rng, lanes),
        m: ints(rng, lanes),
        v: floats(rng, 3 * lanes),
        p0: labels.iter().map(|&b| b >> bits.0 & 1 == 1).collect(),
        p1: labels.iter().map(|&b| b >> bits.1 & 1 == 1).collect(),
        labels,
        bits,
        props_as,
        last: bools(rng, 5),
        active: (0..lanes).map(|_| !one_in(rng, 6)).collect(),
        groups: (0..lanes).map(|_| if one_in(rng, 10) { u32::MAX } else { (rng.next_u64() % 5) as u32 }).collect(),
    }
}

fn columns<'a>(artifact: &Artifact, s: &'a Step) -> Vec<Column<'a>> {
    artifact
        .inputs
        .iter()
        .map(|input| match input.name.as_str() {
            "x" => Column::F32(&s.x),
            "y" => Column::F32(&s.y),
            "n" => Column::Int(&s.n),
            "m" => Column::Int(&s.m),
            "v" => Column::F32Vec(&s.v),
            "p0" if s.props_as > 0 => Column::Bits { bytes: &s.labels, bit: s.bits.0 },
            "p0" => Column::Bool(&s.p0),
            _ if s.props_as != 2 && s.props_as > 0 => Column::Bits { bytes: &s.labels, bit: s.bits.1 },
            _ => Column::Bool(&s.p1),
        })
        .collect()
}

/// Everything a path produced over an episode batch, as bits.
fn run(artifact: &Artifact, isa: Isa, steps: &[Step]) -> Vec<Vec<u32>> {
    let lanes = steps[0].x.len();
    let mut eval = Evaluator::try_new(artifact, lanes, Options { isa, ..Options::default() }).expect("path available");
    trace(&mut eval, artifact, steps)
}

/// Steps `eval` through `steps`; every output of every active lane, the
/// automaton states and the final multiplier update, as bits.
fn trace(eval: &mut Evaluator<'_>, artifact: &Artifact, steps: &[Step]) -> Vec<Vec<u32>> {
    let mut trace = Vec::new();
    for s in steps {
        let cols = columns(artifact, s);
        let input = StepInput { columns: &cols, last: Some(&s.last), groups: Some(&s.groups), active: Some(&s.active) };
        let out = eval.step(&input).expect("the step runs");
        // Inactive lanes' outputs are meaningless: compare active lanes only.
        let keep = |v: &[u32]| -> Vec<u32> { v.iter().zip(&s.active).map(|(&b, &a)| if a { b } else { 0 }).collect() };
        trace.push(keep(&out.reward.iter().map(|r| r.to_bits()).collect::<Vec<_>>()));
        trace.push(keep(&out.done.iter().map(|&d| u32::from(d)).collect::<Vec<_>>()));
        trace.push(out.episode_end.iter().map(|&d| u32::from(d)).collect());
        trace.push(keep(&out.discount.iter().map(|d| d.to_bits()).collect::<Vec<_>>()));
        for log in &out.logs {
            trace.push(keep(log));
        }
        for a in 0..artifact.automata.len() {
            trace.push(eval.automaton_states(a).to_vec());
        }
    }
    trace.push(eval.end_batch().iter().map(|m| m.to_bits()).collect());
    trace
}

#[test]
fn every_path_gives_the_reference_bits() {
    let specs: usize = std::env::var("RW_FAST_SPECS").ok().and_then(|s| s.parse().ok()).unwrap_or(400);
    let seed: u64 = std::env::var("RW_FAST_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(0x5eed_fa57);
    let mut rng = Rng(seed);
    let paths: Vec<Isa> = Isa::available_paths().into_iter().filter(|&i| i != Isa::Scalar).collect();
    for isa in Isa::ALL.iter().filter(|i| !i.available()) {
        println!("skipped path {isa}: this CPU lacks it");
    }
    let (mut compiled, mut lane_steps) = (0, 0usize);
    for k in 0..specs {
        let src = spec(&mut rng);
        let Some(artifact) = compile(&src) else {
            if std::env::var_os("RW_FAST_SHOW").is_some() {
                let checked = rw_compiler::check_text("fast.rw", &src, None);
                println!("{src}\n{}", rw_tests::render(&checked));
            }
            continue;
        };
        compiled += 1;
        // Every 25th spec runs enough lanes to cross the fast paths' chunks.
        let lanes = if k % 25 == 0 { WIDE_LANES } else { LANES };
        let props_as = (k % 4) as u8;
        let steps: Vec<Step> = (0..STEPS).map(|_| random_step(&mut rng, lanes, props_as)).collect();
        let reference = run(&artifact, Isa::Scalar, &steps);
        if props_as > 0 {
            // Props given as bits mean what the same props as bools do.
            let as_bools: Vec<Step> = steps.iter().map(|s| Step { props_as: 0, ..s.clone() }).collect();
            assert_eq!(run(&artifact, Isa::Scalar, &as_bools), reference, "spec {k}: bits and bools disagree");
        }
        // The tape optimiser (folding, merging, dead code) changes no bit.
        let checked = rw_compiler::check_text("fast.rw", &src, None);
        let plain = rw_compiler::compile_unoptimized(&checked).expect("compiles unoptimised");
        assert!(plain.code.len() >= artifact.code.len());
        let unoptimised = run(&plain, Isa::Scalar, &steps);
        if let Some(row) = (0..reference.len()).find(|&r| reference[r] != unoptimised[r]) {
            panic!("spec {k} (seed {seed}): the optimised tape differs from the unoptimised one in row {row}\n{src}");
        }
        for &isa in &paths {
            let got = run(&artifact, isa, &steps);
            if let Some(row) = (0..reference.len()).find(|&r| reference[r] != got[r]) {
                let lane = (0..reference[row].len()).find(|&l| reference[row][l] != got[row][l]).unwrap_or(0);
                panic!(
                    "spec {k} (seed {seed}): path {isa} differs from the reference in row {row}, lane {lane}: {:#010x} vs {:#010x}\n{src}",
                    got[row][lane], reference[row][lane]
                );
            }
        }
        lane_steps += lanes * STEPS;
    }
    println!(
        "{compiled} of {specs} random specs compiled; {lane_steps} lane-steps per path agreed with the reference on {}",
        paths.iter().map(|i| i.name()).collect::<Vec<_>>().join(", ")
    );
    assert!(compiled * 2 > specs, "only {compiled} of {specs} random specs compiled: the generator drifted");
}

/// A tape without group or batch terms is finished chunk by chunk on the
/// fast paths (outputs, constraint sums, register writes and episode
/// resets right after each chunk's kernels), its register terms (`prev`,
/// `total`, `gated`, potential shaping) run as kernels: the same bits as
/// the reference over ragged episodes, with the props as bools or as bits.
#[test]
fn lane_local_tapes_finished_chunk_by_chunk_give_the_reference_bits() {
    let src = "spec fastlocal\n\
        input x: f32\ninput y: f32\ninput n: int\ninput m: int\ninput v: f32[3]\nprops p0, p1\n\
        machine mp {\n  start r0\n  r0 -> r1 when p0 & !p1 reward 0.5\n  r0 -> r2 when p1 reward -1.0\n  r1 -> r2 when p0 | p1\n  r2 -> r0 when !p0 & !p1 reward 2.0\n  r2 -> r3 when p0 & p1\n  terminal r3\n}\n\
        machine mc {\n  start q0\n  q0 -> q1 when p0 & x > 0.5 reward 1.5\n  q1 -> q0 when p1 | n < 3 reward 1.0\n}\n\
        constraint episode x <= 1.0 lagrange(lr 0.1, init 0.5)\n\
        constraint y >= -1.0 lagrange(lr 0.2, init 0.25)\n\
        reward = mp.reward + mc.reward * y + gated(p1) { x * 0.5 }\n\
        shape potential = -mp.distance gamma 0.9\n\
        log s = mp.distance\nlog t = exp(y) + v[1] + prev(y, 0.25) + total(x)\n\
        log u = if episode_end then steps else n\n\
        done when mp.terminal | m > 3\n";
    let artifact = compile(src).expect("the lane-local spec compiles");
    let mut rng = Rng(0x10ca1);
    for (k, lanes) in [LANES, WIDE_LANES, 3 * 1024].into_iter().enumerate() {
        for props_as in 0..4 {
            let steps: Vec<Step> = (0..3 * STEPS).map(|_| random_step(&mut rng, lanes, props_as)).collect();
            let reference = run(&artifact, Isa::Scalar, &steps);
            for isa in Isa::available_paths() {
                let eval = Evaluator::try_new(&artifact, lanes, Options { isa, ..Options::default() });
                assert_eq!(eval.expect("path available").finishes_chunk_by_chunk(), isa != Isa::Scalar);
                let got = run(&artifact, isa, &steps);
                if let Some(row) = (0..reference.len()).find(|&r| reference[r] != got[r]) {
                    panic!("case {k}, props as {props_as}: path {isa} differs from the reference in row {row}");
                }
            }
        }
    }
}

/// Reward machines whose `reward` and `done` are an automaton's members
/// have them written by the automaton's diagram step (AVX-512 VBMI), every
/// lane of a chunk, the last 64 through masked loads and stores: the same
/// bits as the reference, ragged episodes, props as bools or bits, a
/// member read elsewhere too (not fused), numeric guards (packed labels).
#[test]
fn reward_and_done_fused_into_the_machine_step_give_the_reference_bits() {
    let machines = "input x: f32\ninput y: f32\ninput n: int\ninput m: int\ninput v: f32[3]\nprops p0, p1\n\
        machine mp {\n  start r0\n  r0 -> r1 when p0 & !p1 reward 0.5\n  r0 -> r2 when p1 reward -1.0\n  r1 -> r2 when p0 | p1\n  r2 -> r0 when !p0 & !p1 reward 2.0\n  r2 -> r3 when p0 & p1 reward 0.0 / 0.0\n  terminal r3\n}\n\
        machine mc {\n  start q0\n  q0 -> q1 when p0 & x > 0.5 reward 1.5\n  q1 -> q0 when p1 | n < 3 reward -0.0\n  q1 -> q2 when !p1 & m > 2\n  terminal q2\n}\n";
    // (spec tail, whether reward and done are fused on AVX-512 VBMI)
    let cases = [
        ("reward = mp.reward\ndone when mp.terminal\n", (true, true)),
        // Step counters kept (read by `steps`).
        ("reward = mp.reward\ndone when mp.terminal\nlog k = steps\n", (true, true)),
        // The log's member is a second one: fused, the step keeps the edges for it.
        ("reward = mp.reward\nlog r = mp.reward\nlog q = mp.distance\ndone when mp.terminal\n", (true, true)),
        // The output read by another term: not fused.
        ("let r = mp.reward\nreward = r\nlog l = r * 2.0\ndone when mp.terminal\n", (false, true)),
        ("reward = mc.reward\nlet t = mc.terminal\ndone when t\nlog u = if t then 1.0 else 0.0\n", (true, false)),
        ("reward = mc.reward\ndone when mp.terminal\nlog s = mc.state\n", (true, true)),
        ("reward = mp.reward + mc.reward\ndone when mc.terminal\n", (false, true)),
    ];
    let fusing = Isa::Avx512.available() && std::arch::is_x86_feature_detected!("avx512vbmi");
    let mut rng = Rng(0xf05ed);
    for (c, (tail, fused)) in cases.into_iter().enumerate() {
        let src = format!("spec fused\n{machines}{tail}");
        let artifact = compile(&src).unwrap_or_else(|| panic!("case {c} compiles:\n{src}"));
        for lanes in [LANES, 300, WIDE_LANES, 3 * 1024] {
            for props_as in 0..4 {
                let steps: Vec<Step> = (0..3 * STEPS).map(|_| random_step(&mut rng, lanes, props_as)).collect();
                let reference = run(&artifact, Isa::Scalar, &steps);
                let mut reference_lanes = None;
                for isa in Isa::available_paths() {
                    let options = Options { isa, ..Options::default() };
                    let mut eval = Evaluator::try_new(&artifact, lanes, options).expect("path available");
                    let expected = if isa == Isa::Avx512 && fusing { fused } else { (false, false) };
                    assert_eq!(eval.fused_outputs(), expected, "case {c} on {isa}");
                    let got = trace(&mut eval, &artifact, &steps);
                    // Saved lanes (states, counters) agree too.
                    let saved: Vec<_> = (0..lanes).map(|l| eval.save_lane(l)).collect();
                    assert_eq!(
                        &saved,
                        reference_lanes.get_or_insert_with(|| saved.clone()),
                        "case {c}: {isa}'s saved lanes"
                    );
                    if let Some(row) = (0..reference.len()).find(|&r| reference[r] != got[r]) {
                        let lane = (0..reference[row].len()).find(|&l| reference[row][l] != got[row][l]).unwrap_or(0);
                        panic!(
                            "case {c}, {lanes} lanes, props as {props_as}: path {isa} differs from the reference in row {row}, lane {lane}: {:#010x} vs {:#010x}",
                            got[row][lane], reference[row][lane]
                        );
                    }
                }
            }
        }
    }
    if !fusing {
        println!("skipped the fused path: this CPU has no AVX-512 VBMI");
    }
}

/// After `reset`, an evaluator computes what a new one does: the Python
/// package reuses evaluators across `evaluate` calls this way.
#[test]
fn reset_gives_a_fresh_evaluator() {
    let mut rng = Rng(0x7e5e7);
    let mut checked = 0;
    for _ in 0..100 {
        let src = spec(&mut rng);
        let Some(artifact) = compile(&src) else { continue };
        let steps: Vec<Step> = (0..STEPS).map(|_| random_step(&mut rng, LANES, 1)).collect();
        let fresh = run(&artifact, Isa::Scalar, &steps);
        assert_eq!(fresh, run(&artifact, Isa::Scalar, &steps), "the reference is deterministic");
        let mut eval = Evaluator::new(&artifact, LANES, Options::default());
        // Dirty it: states, registers, steps, multipliers.
        trace(&mut eval, &artifact, &steps[..3]);
        eval.reset();
        let clean = Evaluator::new(&artifact, LANES, Options::default());
        for l in 0..LANES {
            assert_eq!(eval.save_lane(l), clean.save_lane(l), "lane {l} after reset");
        }
        for p in &artifact.params {
            assert_eq!(eval.param(&p.name), clean.param(&p.name));
        }
        let trace = trace(&mut eval, &artifact, &steps);
        if let Some(row) = (0..fresh.len()).find(|&r| trace[r] != fresh[r]) {
            let lane = (0..fresh[row].len()).find(|&l| trace[row][l] != fresh[row][l]).unwrap_or(0);
            panic!(
                "after reset, row {row} lane {lane}: {:#x} vs fresh {:#x}\n{src}",
                trace[row][lane], fresh[row][lane]
            );
        }
        checked += 1;
    }
    assert!(checked > 50);
}

/// A batch already in group order (every lane active, groups sorted: the
/// partition and group statistics take a shortcut) gives each lane what the
/// same lanes give interleaved (the general, sorted partition). Interleaving
/// keeps each group's lanes in the same relative order, so the sums run in
/// the same order and the bits must agree.
#[test]
fn groups_in_order_match_the_sorted_partition() {
    const GROUPS: usize = 4;
    const SIZE: usize = 7;
    let lanes = GROUPS * SIZE;
    let mut rng = Rng(0x6e0_0b5);
    let mut checked = 0;
    for _ in 0..150 {
        let src = spec(&mut rng);
        let Some(artifact) = compile(&src) else { continue };
        let mut in_order = random_step(&mut rng, lanes, 0);
        in_order.active = vec![true; lanes];
        in_order.groups = (0..lanes).map(|l| (l / SIZE) as u32).collect();
        // Lane `l` of the interleaved batch is lane `source(l)` in order.
        let source = |l: usize| (l % GROUPS) * SIZE + l / GROUPS;
        let permute = |v: &[f32]| (0..lanes).map(|l| v[source(l)]).collect::<Vec<_>>();
        let interleaved = Step {
            x: permute(&in_order.x),
            y: permute(&in_order.y),
            n: (0..lanes).map(|l| in_order.n[source(l)]).collect(),
            m: (0..lanes).map(|l| in_order.m[source(l)]).collect(),
            v: (0..lanes).flat_map(|l| in_order.v[3 * source(l)..3 * source(l) + 3].to_vec()).collect(),
            p0: (0..lanes).map(|l| in_order.p0[source(l)]).collect(),
            p1: (0..lanes).map(|l| in_order.p1[source(l)]).collect(),
            labels: (0..lanes).map(|l| in_order.labels[source(l)]).collect(),
            bits: in_order.bits,
            props_as: 0,
            last: (0..lanes).map(|l| in_order.last[source(l)]).collect(),
            active: vec![true; lanes],
            groups: (0..lanes).map(|l| in_order.groups[source(l)]).collect(),
        };
        for isa in Isa::available_paths() {
            let a = run(&artifact, isa, std::slice::from_ref(&in_order));
            let b = run(&artifact, isa, std::slice::from_ref(&interleaved));
            // Per-lane rows (all but the last, the multiplier update).
            for row in 0..a.len() - 1 {
                for l in 0..lanes {
                    assert_eq!(
                        a[row][source(l)],
                        b[row][l],
                        "path {isa}, row {row}, interleaved lane {l}: the in-order shortcut differs\n{src}"
                    );
                }
            }
        }
        checked += 1;
    }
    assert!(checked > 75, "only {checked} specs compiled");
}

/// Elements of 4-word vector columns (`f32[4]`, `int[4]`, as W2's
/// `scores`) take a permute path on AVX-512: every element, lane counts
/// with and without a 16-lane remainder, special values, the reference's
/// bits on every path.
#[test]
fn elements_of_four_word_vectors_give_the_reference_bits() {
    let src = "spec vec4\ninput w: f32[4]\ninput k: int[4]\n\
        reward = w[0] * 1.5 + w[1] - w[2] * w[3]\n\
        log a = w[3]\nlog b = k[2]\nlog c = k[0] + k[1] * k[3]\nlog d = w[1]\n";
    let artifact = compile(src).expect("the vector spec compiles");
    let mut rng = Rng(0x7ec4);
    for lanes in [1, 15, 16, 70, 1024 + 7, WIDE_LANES] {
        let steps: Vec<(Vec<f32>, Vec<i32>)> =
            (0..3).map(|_| (floats(&mut rng, 4 * lanes), ints(&mut rng, 4 * lanes))).collect();
        let run = |isa: Isa| -> Vec<Vec<u32>> {
            let mut eval =
                Evaluator::try_new(&artifact, lanes, Options { isa, ..Options::default() }).expect("path available");
            let mut rows = Vec::new();
            for (w, k) in &steps {
                let columns: Vec<Column<'_>> = artifact
                    .inputs
                    .iter()
                    .map(|input| if input.name == "w" { Column::F32Vec(w) } else { Column::IntVec(k) })
                    .collect();
                let out =
                    eval.step(&StepInput { columns: &columns, last: None, groups: None, active: None }).expect("steps");
                rows.push(out.reward.iter().map(|r| r.to_bits()).collect());
                rows.extend(out.logs.iter().cloned());
            }
            rows
        };
        let reference = run(Isa::Scalar);
        for isa in Isa::available_paths() {
            assert_eq!(run(isa), reference, "{lanes} lanes on {isa}");
        }
    }
}

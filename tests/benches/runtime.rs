//! Criterion benches of the runtime: one evaluator step of a reward machine
//! (office world, 4,096 lanes) and of the W2 composite LLM reward (65,536
//! completions in groups of 8), on every evaluation path this CPU has.
//! Inputs are seeded, so runs compare.
//!
//! `cargo bench -p rw-tests --bench runtime`. The side-by-side comparison
//! with the C and numpy baselines is `bench/compare.py`.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rw_runtime::{Artifact, Column, Evaluator, Isa, Options, StepInput};
use rw_tests::Rng;

fn compile(path: &str) -> Artifact {
    let mut checked = rw_compiler::check_file(&rw_tests::root().join(path)).expect("the example is readable");
    rw_verify::verify(&mut checked, &rw_verify::Options::default());
    rw_compiler::compile(&checked).expect("the example compiles")
}

fn machine(c: &mut Criterion) {
    let artifact = compile("examples/office.rw");
    let lanes = 4096;
    let mut rng = Rng(7);
    // Each prop holds with probability 0.15, as in W1.
    let props: Vec<Vec<bool>> =
        (0..artifact.inputs.len()).map(|_| (0..lanes).map(|_| rng.below(100) < 15).collect()).collect();
    let columns: Vec<Column<'_>> = props.iter().map(|p| Column::Bool(p)).collect();
    let mut group = c.benchmark_group("office_4096_lanes");
    group.throughput(Throughput::Elements(lanes as u64));
    for isa in Isa::available_paths() {
        let mut eval = Evaluator::new(&artifact, lanes, Options { ignore_done: true, isa, ..Options::default() });
        let input = StepInput { columns: &columns, last: None, groups: None, active: None };
        group.bench_function(isa.name(), |b| b.iter(|| eval.step(&input).expect("steps").reward[0]));
    }
    group.finish();
    // The same props as bits of one label byte per lane, the rewards into
    // a buffer of the caller's (`Column::Bits`, `step_into`).
    let labels: Vec<u8> =
        (0..lanes).map(|l| props.iter().enumerate().fold(0u8, |b, (k, p)| b | (u8::from(p[l]) << k))).collect();
    let bits: Vec<Column<'_>> = (0..props.len()).map(|k| Column::Bits { bytes: &labels, bit: k as u8 }).collect();
    let mut reward = vec![0f32; lanes];
    let mut group = c.benchmark_group("office_4096_lanes_label_bytes");
    group.throughput(Throughput::Elements(lanes as u64));
    for isa in Isa::available_paths() {
        let mut eval = Evaluator::new(&artifact, lanes, Options { ignore_done: true, isa, ..Options::default() });
        let input = StepInput { columns: &bits, last: None, groups: None, active: None };
        group.bench_function(isa.name(), |b| {
            b.iter(|| {
                eval.step_into(&input, &mut reward).expect("steps");
                reward[0]
            })
        });
    }
    group.finish();
}

fn llm(c: &mut Criterion) {
    let artifact = compile("examples/grpo_composite.rw");
    let n = 65536;
    let mut rng = Rng(11);
    let mut uniform = || (rng.next_u64() >> 40) as f32 / (1u64 << 24) as f32;
    let correct: Vec<bool> = (0..n).map(|_| uniform() < 0.5).collect();
    let length: Vec<i32> = (0..n).map(|_| 50 + (uniform() * 8142.0) as i32).collect();
    let checklist: Vec<bool> = (0..8 * n).map(|_| uniform() < 0.6).collect();
    let scores: Vec<f32> = (0..4 * n).map(|_| uniform() * 4.0 - 2.0).collect();
    let reference: Vec<f32> = (0..n).map(|_| uniform() * 2.0 - 1.0).collect();
    let groups: Vec<u32> = (0..n as u32).map(|l| l / 8).collect();
    let last = vec![true; n];
    let columns: Vec<Column<'_>> = artifact
        .inputs
        .iter()
        .map(|i| match i.name.as_str() {
            "correct" => Column::Bool(&correct),
            "length" => Column::Int(&length),
            "checklist" => Column::BoolVec(&checklist),
            "scores" => Column::F32Vec(&scores),
            _ => Column::F32(&reference),
        })
        .collect();
    let mut group = c.benchmark_group("grpo_composite_65536_completions");
    group.throughput(Throughput::Elements(n as u64));
    group.sample_size(20);
    for isa in Isa::available_paths() {
        let mut eval = Evaluator::new(&artifact, n, Options { isa, ..Options::default() });
        let input = StepInput { columns: &columns, last: Some(&last), groups: Some(&groups), active: None };
        group.bench_function(isa.name(), |b| b.iter(|| eval.step(&input).expect("steps").reward[0]));
    }
    group.finish();
}

criterion_group!(benches, machine, llm);
criterion_main!(benches);

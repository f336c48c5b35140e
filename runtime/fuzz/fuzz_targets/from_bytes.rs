//! Any byte string as an artifact's payload, behind a header whose length
//! and checksum are repaired (so the fuzzer reaches decoding and
//! validation, not just the checksum): `Artifact::from_bytes` returns a
//! `LoadError` or an artifact that evaluates without panicking: the
//! evaluator is created within its memory limit and steps twice over inputs
//! of the schema. Seed the corpus with payloads of compiled examples.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rw_runtime::artifact::{FORMAT_VERSION, InputKind, MAGIC, ValueType, checksum};
use rw_runtime::{Artifact, Column, Evaluator, Options, StepInput};

const LANES: usize = 2;

fuzz_target!(|data: &[u8]| {
    let mut bytes = Vec::with_capacity(24 + data.len());
    bytes.extend_from_slice(&MAGIC);
    bytes.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    bytes.extend_from_slice(&0u16.to_le_bytes());
    bytes.extend_from_slice(&checksum(data).to_le_bytes());
    bytes.extend_from_slice(&(data.len() as u64).to_le_bytes());
    bytes.extend_from_slice(data);
    let Ok(artifact) = Artifact::from_bytes(&bytes) else { return };
    let Ok(mut evaluator) = Evaluator::try_new(&artifact, LANES, Options::default()) else { return };
    let len = |kind: &InputKind| if let InputKind::Vector(_, n) = kind { *n as usize * LANES } else { LANES };
    let bools: Vec<Vec<bool>> = artifact.inputs.iter().map(|i| vec![true; len(&i.kind)]).collect();
    let ints: Vec<Vec<i32>> = artifact.inputs.iter().map(|i| vec![1; len(&i.kind)]).collect();
    let floats: Vec<Vec<f32>> = artifact.inputs.iter().map(|i| vec![0.5; len(&i.kind)]).collect();
    let (offsets, weights, verdicts) = (vec![0u32, 1, 2], vec![1.0f32, 2.0], vec![1.0f32, 0.0]);
    let columns: Vec<Column<'_>> = artifact
        .inputs
        .iter()
        .enumerate()
        .map(|(k, input)| match input.kind {
            InputKind::Scalar(ValueType::Bool) => Column::Bool(&bools[k]),
            InputKind::Scalar(ValueType::Int) => Column::Int(&ints[k]),
            InputKind::Scalar(ValueType::F32) => Column::F32(&floats[k]),
            InputKind::Vector(ValueType::Bool, _) => Column::BoolVec(&bools[k]),
            InputKind::Vector(ValueType::Int, _) => Column::IntVec(&ints[k]),
            InputKind::Vector(ValueType::F32, _) => Column::F32Vec(&floats[k]),
            InputKind::Criteria => Column::Criteria { offsets: &offsets, weights: &weights, verdicts: &verdicts },
        })
        .collect();
    let input = StepInput { columns: &columns, last: None, groups: None, active: None };
    for _ in 0..2 {
        let _ = evaluator.step(&input);
    }
});

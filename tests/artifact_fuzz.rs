//! Robustness of the runtime's loader: 100,000 random mutations of valid
//! artifacts (bit flips, byte changes, insertions, deletions, truncations),
//! half of them with the header's length and checksum repaired so that the
//! decoder and the validator see them, are all either rejected with a
//! `LoadError` or evaluated without panicking. Seeded, so failures reproduce.

use rw_runtime::artifact::{InputKind, ValueType, checksum};
use rw_runtime::{Artifact, Column, Evaluator, Options, StepInput};
use rw_tests::{Rng, check, rw_files};

/// Steps a loaded artifact on all-zero inputs shaped by its own schema.
fn exercise(artifact: &Artifact) {
    let lanes = 3;
    let mut bools = Vec::new();
    let mut ints = Vec::new();
    let mut floats = Vec::new();
    for input in &artifact.inputs {
        let len = match input.kind {
            InputKind::Vector(_, n) => n as usize,
            _ => 1,
        };
        bools.push(vec![false; lanes * len]);
        ints.push(vec![0i32; lanes * len]);
        floats.push(vec![0f32; lanes * len]);
    }
    let offsets = vec![0u32; lanes + 1];
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
            InputKind::Criteria => Column::Criteria { offsets: &offsets, weights: &[], verdicts: &[] },
        })
        .collect();
    let mut eval = Evaluator::new(
        artifact,
        lanes,
        Options { ignore_done: false, check_ranges: true, check_nan: true, ..Options::default() },
    );
    let last = [false, true, false];
    for _ in 0..2 {
        let _ = eval.step(&StepInput { columns: &columns, last: Some(&last), groups: None, active: None });
    }
    let _ = eval.end_batch();
}

#[test]
fn mutated_artifacts_are_rejected_or_evaluated_without_panic() {
    let mut originals: Vec<Vec<u8>> = Vec::new();
    for path in rw_files("examples").into_iter().chain(rw_files("tests/ui/ok")) {
        let (_, checked) = check(&path);
        if let Ok(artifact) = rw_compiler::compile(&checked) {
            exercise(&artifact);
            originals.push(artifact.to_bytes());
        }
    }
    assert!(originals.len() >= 6, "only {} artifacts to mutate", originals.len());
    let mut rng = Rng(0xa271_fac7_0000_0001);
    let (mut accepted, mut rejected) = (0, 0);
    for _ in 0..100_000 {
        let mut bytes = originals[rng.below(originals.len())].clone();
        for _ in 0..1 + rng.below(4) {
            if bytes.is_empty() {
                break;
            }
            let at = rng.below(bytes.len());
            match rng.below(6) {
                0 => bytes[at] ^= 1 << rng.below(8),
                1 => bytes[at] = rng.next_u64() as u8,
                2 => bytes.insert(at, rng.next_u64() as u8),
                3 => {
                    bytes.remove(at);
                }
                4 => bytes.truncate(at),
                // Payload bytes only, keeping the header intact.
                _ => {
                    if bytes.len() > 24 {
                        let k = 24 + rng.below(bytes.len() - 24);
                        bytes[k] = bytes[k].wrapping_add(1 + rng.below(3) as u8);
                    }
                }
            }
        }
        if rng.chance(50) && bytes.len() >= 24 {
            // Repair length and checksum so that decoding and validation run.
            let payload_len = (bytes.len() - 24) as u64;
            let sum = checksum(&bytes[24..]);
            bytes[8..16].copy_from_slice(&sum.to_le_bytes());
            bytes[16..24].copy_from_slice(&payload_len.to_le_bytes());
        }
        match Artifact::from_bytes(&bytes) {
            Ok(artifact) => {
                accepted += 1;
                exercise(&artifact);
            }
            Err(e) => {
                rejected += 1;
                assert!(!e.to_string().is_empty());
            }
        }
    }
    assert!(rejected > 50_000, "only {rejected} mutations rejected: the mutator is too gentle");
    assert!(accepted > 0, "no mutation survived validation: evaluation of odd programs is untested");
}

#[test]
fn foreign_and_damaged_files_get_specific_errors() {
    use rw_runtime::LoadError;
    assert!(matches!(Artifact::from_bytes(b"RWC"), Err(LoadError::TooShort { len: 3 })));
    assert!(matches!(Artifact::from_bytes(&[b'P'; 64]), Err(LoadError::BadMagic)));
    let (_, checked) = check(&rw_tests::root().join("examples/office.rw"));
    let good = rw_compiler::compile(&checked).expect("office compiles").to_bytes();
    let mut version = good.clone();
    version[4] = 9;
    assert!(matches!(Artifact::from_bytes(&version), Err(LoadError::UnsupportedVersion { found: 9, .. })));
    let mut flipped = good.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 0x40;
    assert!(matches!(Artifact::from_bytes(&flipped), Err(LoadError::ChecksumMismatch { .. })));
    assert!(matches!(Artifact::from_bytes(&good[..good.len() - 1]), Err(LoadError::LengthMismatch { .. })));
    assert!(Artifact::from_bytes(&good).is_ok());
}

/// Each automaton steps once per step, before any member reads it (the
/// fast paths rely on it: members fused into the step, no edge kept across
/// steps); the compiler always emits this order, and other orders are
/// refused at load.
#[test]
fn an_automaton_read_before_its_step_or_stepped_twice_is_refused() {
    use rw_runtime::artifact::{Instr, Op};
    let (_, checked) = check(&rw_tests::root().join("examples/office.rw"));
    let good = rw_compiler::compile(&checked).expect("office compiles");
    assert!(good.validate().is_ok());
    let step = good.code.iter().position(|i| matches!(i.op, Op::Step(_))).expect("a step");
    let member = good.code.iter().position(|i| matches!(i.op, Op::Member(..))).expect("a member");
    assert!(step < member, "the compiler steps before it reads");
    // The member moved before the step (it reads no slot the step writes).
    let mut early = good.clone();
    let moved = early.code.remove(member);
    early.code.insert(step, moved);
    early.spans.clear();
    let error = early.validate().expect_err("a member before its step");
    assert!(error.to_string().contains("before its step"), "{error}");
    // A second step of the same automaton, into a fresh slot.
    let mut twice = good.clone();
    let Op::Step(a) = twice.code[step].op else { unreachable!() };
    twice.slot_types.push(twice.slot_types[twice.code[step].dst as usize]);
    twice.code.push(Instr { dst: twice.slots, op: Op::Step(a) });
    twice.slots += 1;
    twice.spans.clear();
    let error = twice.validate().expect_err("a second step");
    assert!(error.to_string().contains("a second time"), "{error}");
}

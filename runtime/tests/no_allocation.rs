//! `Evaluator::step` does not allocate: every buffer is sized when the
//! evaluator is created. Checked with a counting global allocator on a
//! program that uses automata, registers, gates, group terms and criteria.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use rw_runtime::artifact::*;
use rw_runtime::{Column, Evaluator, Options, StepInput};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// Only the test's own thread counts: the harness's threads allocate
    /// on their own schedule (more often on a busy machine).
    static COUNTING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.try_with(std::cell::Cell::get).unwrap_or(false) {
            ALLOCATIONS.fetch_add(1, Ordering::SeqCst);
        }
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// a: bool input, x: f32 input, checks: criteria; one two-state machine on `a`.
fn program() -> Artifact {
    use ValueType::*;
    let code = vec![
        Instr { dst: 0, op: Op::Input(0) },
        Instr { dst: 1, op: Op::Input(1) },
        Instr { dst: 2, op: Op::ConstF32(1.0) },
        Instr { dst: 3, op: Op::Step(0) },
        Instr { dst: 4, op: Op::Member(0, AutomatonMember::Reward) },
        Instr { dst: 5, op: Op::Member(0, AutomatonMember::Terminal) },
        Instr { dst: 6, op: Op::EpisodeEnd(Some(5)) },
        Instr { dst: 7, op: Op::Gated { reg: 0, cond: 0, value: 1, end: 6, ty: F32 } },
        Instr { dst: 8, op: Op::Total { reg: 1, value: 1, ty: F32 } },
        Instr { dst: 9, op: Op::Prev { reg: 2, default: 2 } },
        Instr { dst: 10, op: Op::Group(GroupOp::Std, 1) },
        Instr { dst: 11, op: Op::Group(GroupOp::Rank, 1) },
        Instr { dst: 12, op: Op::CriteriaScore(2) },
        Instr { dst: 13, op: Op::Bin(BinOp::AddF, 4, 7) },
        Instr { dst: 14, op: Op::Bin(BinOp::AddF, 13, 10) },
        Instr { dst: 15, op: Op::Potential { reg: 3, now: 8, start: 2, gamma: 0.9, done: Some(5) } },
    ];
    let slot_types = vec![Bool, F32, F32, Int, F32, Bool, Bool, F32, F32, F32, F32, Int, F32, F32, F32, F32];
    Artifact {
        compiler_version: "test".into(),
        spec_name: "alloc".into(),
        inputs: vec![
            InputSpec { name: "a".into(), kind: InputKind::Scalar(Bool), range: None, is_prop: true },
            InputSpec { name: "x".into(), kind: InputKind::Scalar(F32), range: None, is_prop: false },
            InputSpec { name: "checks".into(), kind: InputKind::Criteria, range: None, is_prop: false },
        ],
        params: Vec::new(),
        automata: vec![AutomatonSpec {
            name: "m".into(),
            kind: AutomatonKind::Machine,
            states: vec!["u0".into(), "u1".into()],
            start: 0,
            terminal: vec![false, true],
            accepting: vec![false, true],
            distance: vec![1, 0],
            values: Vec::new(),
            atoms: vec![0],
            edges: vec![EdgeSpec { from: 0, to: 1, reward: Some(2) }],
            transitions: Transitions::Dense { table: vec![NO_EDGE, 0, NO_EDGE, NO_EDGE] },
        }],
        slots: slot_types.len() as u32,
        slot_types,
        code,
        spans: Vec::new(),
        registers: 4,
        register_writes: vec![(2, 1)],
        reward: 14,
        done: Some(5),
        discount: None,
        logs: vec![LogSpec { name: "rank".into(), slot: 11, ty: Int }],
        constraints: Vec::new(),
    }
}

#[test]
fn steps_do_not_allocate() {
    let artifact = Artifact::from_bytes(&program().to_bytes()).expect("valid");
    let lanes = 64;
    let a: Vec<bool> = (0..lanes).map(|l| l % 3 == 0).collect();
    let x: Vec<f32> = (0..lanes).map(|l| l as f32 * 0.5).collect();
    let offsets: Vec<u32> = (0..=lanes as u32).map(|l| l * 2).collect();
    let weights = vec![1.0f32; lanes * 2];
    let verdicts = vec![0.75f32; lanes * 2];
    let groups: Vec<u32> = (0..lanes as u32).map(|l| l / 8).collect();
    let last: Vec<bool> = (0..lanes).map(|l| l % 5 == 0).collect();
    let columns = [
        Column::Bool(&a),
        Column::F32(&x),
        Column::Criteria { offsets: &offsets, weights: &weights, verdicts: &verdicts },
    ];
    let input = StepInput { columns: &columns, last: Some(&last), groups: Some(&groups), active: None };
    let mut eval = Evaluator::new(&artifact, lanes, Options::default());
    eval.step(&input).expect("step");
    COUNTING.with(|c| c.set(true));
    let before = ALLOCATIONS.load(Ordering::SeqCst);
    for _ in 0..100 {
        eval.step(&input).expect("step");
    }
    let after = ALLOCATIONS.load(Ordering::SeqCst);
    COUNTING.with(|c| c.set(false));
    assert_eq!(after - before, 0, "steps allocated {} times", after - before);
}

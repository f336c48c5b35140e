//! The fast paths' execution plan, decided once when an evaluator is made.
//!
//! The reference evaluator ([`crate::eval`]) runs each instruction over
//! every lane and keeps every slot's column in memory: a program of a
//! hundred instructions over 65,536 lanes touches 26 MB per step, so the
//! reference is bound by memory traffic, not arithmetic. The fast paths run
//! runs of lane-local instructions chunk by chunk ([`Plan::chunk_lanes`]),
//! and keep the values that never leave a run in *temporaries*: a few
//! chunk-sized columns, reused as soon as their value is dead (a linear
//! scan over the run, like a register allocator's), which stay in cache.
//! Constants read by a run get a chunk-sized column of their own, filled
//! once. Only slots that something else reads (outputs, automata, the
//! reference's instructions, later runs) are written to their full column.

use crate::artifact::{Artifact, Instr, Op, Slot};

/// Lanes per chunk. A run's temporaries (4 KiB each) stay in L1/L2, and the
/// per-kernel dispatch is paid once per 1,024 lanes: measured on W1/W2,
/// 256 and 512 were 10–35% slower (dispatch), 4,096 slower again (cache).
pub(crate) const CHUNK_LANES: usize = 1024;

/// Lanes per chunk of a plan with at most [`FEW_TEMPS`] temporaries:
/// with little to keep in cache, fewer chunks pay less per-chunk work
/// (dispatch, automaton tables into registers, finishing). Measured on W1
/// (two temporaries or fewer): 2,048 lanes 10–15% faster than 1,024; W2
/// (dozens of temporaries) is 6% slower at 2,048.
pub(crate) const MAX_CHUNK_LANES: usize = 2048;
const FEW_TEMPS: usize = 4;

/// Where a kernel finds a column for the current chunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Loc {
    /// The slot's full column, at the chunk's lanes.
    Slot(Slot),
    /// A chunk-sized temporary column.
    Temp(u32),
}

/// One instruction of a chunked run, with its operands placed.
#[derive(Clone, Debug)]
pub(crate) struct Kernel {
    /// Index of the instruction in the program's code.
    pub instr: usize,
    pub dst: Loc,
    /// Whether anything reads `dst` (an automaton step's state column may
    /// go unwritten otherwise).
    pub dst_read: bool,
    /// The operands of `Bin`, `Un` and `Select`, in order (unused entries
    /// repeat `dst` and are never read).
    pub args: [Loc; 3],
}

#[derive(Clone, Debug)]
pub(crate) enum Segment {
    /// Lane-local instructions, run chunk by chunk.
    Chunked(Vec<Kernel>),
    /// One instruction the reference runs over every lane (group and batch
    /// terms, checklists, automata without fast tables).
    Whole(usize),
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Plan {
    pub segments: Vec<Segment>,
    /// Chunk-sized temporary columns the plan uses.
    pub temps: usize,
    /// Temporaries holding a constant: (temporary, bits), filled once.
    pub constants: Vec<(u32, u32)>,
}

impl Plan {
    /// Lanes per chunk for this plan ([`CHUNK_LANES`] or [`MAX_CHUNK_LANES`]).
    pub fn chunk_lanes(&self) -> usize {
        if self.temps <= FEW_TEMPS { MAX_CHUNK_LANES } else { CHUNK_LANES }
    }
}

fn args_of(op: &Op) -> ([Slot; 3], usize) {
    match *op {
        Op::Un(_, a) => ([a, a, a], 1),
        Op::Bin(_, a, b) => ([a, b, b], 2),
        Op::Select(c, a, b) => ([c, a, b], 3),
        _ => ([0; 3], 0),
    }
}

/// The plan for `program`. `chunked` says which instructions have a
/// chunk kernel, `skip` which of those need not run at all (bool inputs
/// the automata read from their columns), `reads` the slots an instruction
/// reads (every slot, whatever reads it). With `materialize_all`, every
/// slot keeps its full column (NaN tracing reads them all).
pub(crate) fn plan(
    program: &Artifact,
    chunked: impl Fn(&Instr) -> bool,
    skip: &[bool],
    reads: impl Fn(&Op, &mut Vec<Slot>),
    materialize_all: bool,
) -> Plan {
    let slots = program.slots as usize;
    let code = &program.code;
    // Runs: maximal sequences of chunked instructions.
    let mut run_of = vec![None; code.len()];
    let mut run = 0usize;
    let mut in_run = false;
    for (k, instr) in code.iter().enumerate() {
        if chunked(instr) {
            if !in_run {
                run += 1;
                in_run = true;
            }
            run_of[k] = Some(run);
        } else if instr.op.constant_bits().is_none() {
            in_run = false;
        }
    }
    let mut producer = vec![usize::MAX; slots];
    for (k, instr) in code.iter().enumerate() {
        if let Some(p) = producer.get_mut(instr.dst as usize) {
            *p = k;
        }
    }
    // A slot may live in a temporary when it is computed by a chunked,
    // non-constant instruction and read only through the operands of
    // instructions of the same run.
    let mut pinned = vec![materialize_all; slots];
    let pin = |s: Slot, pinned: &mut Vec<bool>| {
        if let Some(p) = pinned.get_mut(s as usize) {
            *p = true;
        }
    };
    for s in [program.reward].into_iter().chain(program.done).chain(program.discount) {
        pin(s, &mut pinned);
    }
    for s in program.logs.iter().map(|l| l.slot).chain(program.constraints.iter().map(|c| c.value)) {
        pin(s, &mut pinned);
    }
    for &(_, s) in &program.register_writes {
        pin(s, &mut pinned);
    }
    for a in &program.automata {
        for &s in a.atoms.iter().chain(a.edges.iter().filter_map(|e| e.reward.as_ref())) {
            pin(s, &mut pinned);
        }
    }
    let mut last_use = vec![0usize; slots];
    let mut buffer = Vec::new();
    for (k, instr) in code.iter().enumerate() {
        let (args, arity) = args_of(&instr.op);
        let through_operands = run_of[k].is_some() && arity > 0;
        buffer.clear();
        reads(&instr.op, &mut buffer);
        for &s in &buffer {
            let Some(&p) = producer.get(s as usize) else { continue };
            let same_run = p < code.len() && run_of[p].is_some() && run_of[p] == run_of[k];
            if !(through_operands && args[..arity].contains(&s) && same_run) {
                pin(s, &mut pinned);
            }
            if let Some(l) = last_use.get_mut(s as usize) {
                *l = k;
            }
        }
    }
    let temp_eligible = |s: Slot| {
        let s = s as usize;
        s < slots
            && !pinned[s]
            && producer[s] < code.len()
            && code[producer[s]].op.constant_bits().is_none()
            && run_of[producer[s]].is_some()
    };

    let mut plan = Plan::default();
    let mut constant_temp = vec![None; slots];
    let mut free: Vec<u32> = Vec::new();
    let mut temp_of: Vec<Option<u32>> = vec![None; slots];
    let mut current: Option<Vec<Kernel>> = None;
    for (k, instr) in code.iter().enumerate() {
        if instr.op.constant_bits().is_some() {
            continue;
        }
        if run_of[k].is_none() {
            if let Some(kernels) = current.take() {
                plan.segments.push(Segment::Chunked(kernels));
                free = (0..plan.temps as u32).filter(|t| !plan.constants.iter().any(|c| c.0 == *t)).collect();
            }
            plan.segments.push(Segment::Whole(k));
            continue;
        }
        if skip.get(k).copied().unwrap_or(false) {
            continue;
        }
        let (args, arity) = args_of(&instr.op);
        let mut locs = [Loc::Slot(instr.dst); 3];
        for (loc, &a) in locs.iter_mut().zip(&args[..arity]) {
            let a_index = a as usize;
            *loc = if let Some(t) = temp_of.get(a_index).copied().flatten() {
                Loc::Temp(t)
            } else if let Some(bits) =
                producer.get(a_index).and_then(|&p| code.get(p)).and_then(|i| i.op.constant_bits())
            {
                let t = *constant_temp[a_index].get_or_insert_with(|| {
                    plan.temps += 1;
                    plan.constants.push((plan.temps as u32 - 1, bits));
                    plan.temps as u32 - 1
                });
                Loc::Temp(t)
            } else {
                Loc::Slot(a)
            };
        }
        let dst = if temp_eligible(instr.dst) {
            let t = free.pop().unwrap_or_else(|| {
                plan.temps += 1;
                plan.temps as u32 - 1
            });
            temp_of[instr.dst as usize] = Some(t);
            Loc::Temp(t)
        } else {
            Loc::Slot(instr.dst)
        };
        // Operands whose last reader this is free their temporaries (after
        // `dst` is placed, so a kernel never writes a column it reads).
        for &a in &args[..arity] {
            if let Some(t) = temp_of.get(a as usize).copied().flatten()
                && last_use[a as usize] == k
                && !free.contains(&t)
            {
                free.push(t);
            }
        }
        if let Loc::Temp(t) = dst
            && last_use[instr.dst as usize] <= k
        {
            free.push(t);
        }
        // Readers come after their producer (a validated program), so a
        // last use at 0 means none.
        let dst_read = pinned.get(instr.dst as usize).is_none_or(|&p| p) || last_use[instr.dst as usize] > k;
        current.get_or_insert_with(Vec::new).push(Kernel { instr: k, dst, dst_read, args: locs });
    }
    if let Some(kernels) = current.take() {
        plan.segments.push(Segment::Chunked(kernels));
    }
    // The kernels build their columns from raw pointers: an operand must
    // never be the column written. A validated program (single assignment,
    // reads after writes) never breaks this; anything else runs on the
    // reference alone.
    let mut buffer = Vec::new();
    let sound = plan.segments.iter().all(|segment| match segment {
        Segment::Chunked(kernels) => kernels.iter().all(|kernel| {
            let arity = args_of(&code[kernel.instr].op).1;
            let inside = |loc: Loc| match loc {
                Loc::Slot(s) => (s as usize) < slots,
                Loc::Temp(t) => (t as usize) < plan.temps,
            };
            buffer.clear();
            reads(&code[kernel.instr].op, &mut buffer);
            let reads_own = buffer.iter().any(|&s| Loc::Slot(s) == kernel.dst || s as usize >= slots);
            !reads_own && inside(kernel.dst) && kernel.args[..arity].iter().all(|&a| a != kernel.dst && inside(a))
        }),
        Segment::Whole(_) => true,
    });
    if !sound {
        let whole = (0..code.len()).filter(|&k| code[k].op.constant_bits().is_none()).map(Segment::Whole).collect();
        return Plan { segments: whole, temps: 0, constants: Vec::new() };
    }
    plan
}

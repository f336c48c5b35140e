//! The tape optimiser: the last compiler stage, between lowering
//! ([`crate::lower`]) and the artifact.
//!
//! Lowering emits one instruction per source operation, and inlined
//! functions repeat their bodies (the W2 spec computed its checklist score
//! twice, and `-0.5` was a negation at run time). Three passes over the tape,
//! each a proof of equal bits, not an approximation:
//!
//! - **constant folding** of `Un`, `Bin` and `Select` on constants, with the
//!   runtime's own [`rw_runtime::eval::un`]/[`rw_runtime::eval::bin`], so a
//!   folded value is the bits the runtime would compute (`ln` and `tanh`,
//!   which come from the platform's library, are left to run time);
//! - **common subexpressions**: a pure instruction equal to an earlier one
//!   (same operation, same operands) reuses its slot;
//! - **dead code**: pure instructions nothing reads are dropped.
//!
//! Automaton steps, members (their value depends on where the step is),
//! registers (`prev`, `total`, gates, potentials) and group terms are never
//! merged or moved.

use rw_runtime::artifact::{Artifact, Op, Slot, UnOp};
use rw_runtime::eval::{bin, un};
use std::collections::HashMap;

/// Instructions whose value depends on their operands alone, and which
/// have no effect besides their slot.
fn is_pure(op: &Op) -> bool {
    matches!(
        op,
        Op::ConstF32(_)
            | Op::ConstI32(_)
            | Op::ConstBool(_)
            | Op::Input(_)
            | Op::InputElem(..)
            | Op::Param(_)
            | Op::Steps
            | Op::Un(..)
            | Op::Bin(..)
            | Op::Select(..)
    )
}

/// Rewrites every slot an instruction reads.
fn map_reads(op: &mut Op, mut f: impl FnMut(Slot) -> Slot) {
    match op {
        Op::Un(_, a) | Op::Group(_, a) => *a = f(*a),
        Op::Bin(_, a, b) => (*a, *b) = (f(*a), f(*b)),
        Op::Select(c, a, b) => (*c, *a, *b) = (f(*c), f(*a), f(*b)),
        Op::EpisodeEnd(Some(d)) => *d = f(*d),
        Op::Prev { default, .. } => *default = f(*default),
        Op::Total { value, .. } => *value = f(*value),
        Op::Gated { cond, value, end, .. } => (*cond, *value, *end) = (f(*cond), f(*value), f(*end)),
        Op::Potential { now, start, done, .. } => {
            (*now, *start) = (f(*now), f(*start));
            if let Some(d) = done {
                *d = f(*d);
            }
        }
        _ => {}
    }
}

/// Every slot an instruction reads (automata's slots are counted apart).
fn reads(op: &Op, out: &mut Vec<Slot>) {
    map_reads(&mut op.clone(), |s| {
        out.push(s);
        s
    });
}

/// Rewrites every slot reference outside the code.
fn map_outside(artifact: &mut Artifact, mut f: impl FnMut(Slot) -> Slot) {
    for a in &mut artifact.automata {
        a.atoms.iter_mut().for_each(|s| *s = f(*s));
        a.edges.iter_mut().filter_map(|e| e.reward.as_mut()).for_each(|s| *s = f(*s));
    }
    artifact.reward = f(artifact.reward);
    if let Some(d) = artifact.done.as_mut() {
        *d = f(*d);
    }
    if let Some(d) = artifact.discount.as_mut() {
        *d = f(*d);
    }
    artifact.logs.iter_mut().for_each(|l| l.slot = f(l.slot));
    artifact.constraints.iter_mut().for_each(|c| c.value = f(c.value));
    artifact.register_writes.iter_mut().for_each(|(_, s)| *s = f(*s));
}

fn fold(op: &Op, value: &[Option<u32>], ty: rw_runtime::artifact::ValueType) -> Option<Op> {
    use rw_runtime::artifact::ValueType;
    let c = |s: Slot| value.get(s as usize).copied().flatten();
    let bits = match *op {
        Op::Un(UnOp::Ln | UnOp::Tanh, _) => return None,
        Op::Un(u, a) => un(u, c(a)?),
        Op::Bin(b, x, y) => bin(b, c(x)?, c(y)?),
        Op::Select(k, x, y) => {
            if c(k)? != 0 {
                c(x)?
            } else {
                c(y)?
            }
        }
        _ => return None,
    };
    Some(match ty {
        ValueType::F32 => Op::ConstF32(f32::from_bits(bits)),
        ValueType::Int => Op::ConstI32(bits as i32),
        ValueType::Bool => Op::ConstBool(bits != 0),
    })
}

/// A hashable key for a pure instruction (floats by their bits).
fn key(op: &Op) -> Option<String> {
    is_pure(op).then(|| match op {
        Op::ConstF32(v) => format!("f{}", v.to_bits()),
        other => format!("{other:?}"),
    })
}

/// Folds constants, merges common subexpressions and drops dead code.
pub fn optimize(artifact: &mut Artifact) {
    let slots = artifact.slots as usize;
    // 1. Folding and merging, in tape order (operands come first).
    let mut replace: Vec<Slot> = (0..slots as Slot).collect();
    let mut value: Vec<Option<u32>> = vec![None; slots];
    let mut seen: HashMap<String, Slot> = HashMap::new();
    for instr in &mut artifact.code {
        map_reads(&mut instr.op, |s| replace.get(s as usize).copied().unwrap_or(s));
        let dst = instr.dst as usize;
        let Some(&ty) = artifact.slot_types.get(dst) else { return };
        if let Some(folded) = fold(&instr.op, &value, ty) {
            instr.op = folded;
        }
        value[dst] = instr.op.constant_bits();
        if let Some(k) = key(&instr.op) {
            match seen.get(&k) {
                Some(&earlier) => replace[dst] = earlier,
                None => {
                    seen.insert(k, instr.dst);
                }
            }
        }
    }
    map_outside(artifact, |s| replace.get(s as usize).copied().unwrap_or(s));
    // 2. Dead code: pure instructions whose slot nothing reads.
    let mut used = vec![false; slots];
    map_outside(artifact, |s| {
        used[s as usize] = true;
        s
    });
    let mut buffer = Vec::new();
    let mut keep = vec![true; artifact.code.len()];
    for (k, instr) in artifact.code.iter().enumerate().rev() {
        // Members read their automaton's state: dropping an unread one is safe.
        let pure = is_pure(&instr.op) || matches!(instr.op, Op::Member(..));
        if pure && !used[instr.dst as usize] {
            keep[k] = false;
            continue;
        }
        buffer.clear();
        reads(&instr.op, &mut buffer);
        for &s in &buffer {
            used[s as usize] = true;
        }
    }
    // 3. Renumber the kept slots densely, in tape order.
    let mut renumber: Vec<Slot> = vec![Slot::MAX; slots];
    let mut code = Vec::new();
    let mut spans = Vec::new();
    let mut slot_types = Vec::new();
    for (k, instr) in artifact.code.iter().enumerate() {
        if !keep[k] {
            continue;
        }
        renumber[instr.dst as usize] = code.len() as Slot;
        slot_types.push(artifact.slot_types[instr.dst as usize]);
        code.push(instr.clone());
        if !artifact.spans.is_empty() {
            spans.push(artifact.spans[k].clone());
        }
    }
    let new = |s: Slot| renumber[s as usize];
    for (k, instr) in code.iter_mut().enumerate() {
        instr.dst = k as Slot;
        map_reads(&mut instr.op, new);
    }
    map_outside(artifact, new);
    artifact.slots = code.len() as u32;
    artifact.code = code;
    artifact.spans = spans;
    artifact.slot_types = slot_types;
}

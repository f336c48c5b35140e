//! Lowering: a checked [`Program`] to the runtime's [`Artifact`].
//!
//! Last compiler phase. Expressions become a tape of column instructions in
//! dependency order (each value is lowered once, on first use, so the tape
//! is topologically sorted by construction); machines become automata
//! tables. `fn` calls are inlined, vector reductions unrolled in index
//! order, inline criteria expanded into arithmetic over their verdicts.
//!
//! A potential `P` needs `P_(-1)`, "P with every automaton in its start
//! state": the same expression is lowered a second time in
//! [`Mode::AtStart`], where automaton members are constants of the start
//! state and history terms take their first-step values.

use crate::automata::Automaton;
use crate::diagnostic::{Diagnostic, code};
use crate::sema::{ConstValue, DeclId, DeclKind, Output, Program, Scalar, Ty};
use crate::source::SourceMap;
use crate::syntax::ast::{self, BinOp, Expr, ExprKind, UnOp};
use rw_runtime::artifact::{
    self as rt, Artifact, AutomatonKind, AutomatonMember, AutomatonSpec, ConstraintSpec, EdgeSpec, GroupOp, InputKind,
    InputSpec, Instr, LogSpec, Op, ParamSpec, Slot, ValueType as VT,
};
use std::collections::HashMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Mode {
    Now,
    AtStart,
}

/// A `prev(x)` whose register is written, with `x`'s value, at the end of the step.
struct PendingPrev {
    reg: u32,
    arg: Expr,
    env: Vec<(String, Val)>,
}

/// A lowered value: one slot, or the element slots of a vector.
#[derive(Clone, Debug)]
enum Val {
    Scalar(Slot, VT),
    Vector(Vec<Slot>, VT),
}

struct Lowerer<'p> {
    program: &'p Program,
    artifact: Artifact,
    input_index: HashMap<DeclId, u32>,
    param_index: HashMap<DeclId, u32>,
    automaton_index: HashMap<DeclId, u32>,
    automata: Vec<(DeclId, Automaton)>,
    stepped: Vec<Option<Slot>>,
    rewards_ready: Vec<bool>,
    memo: HashMap<(DeclId, Mode), Val>,
    consts: HashMap<(u32, VT), Slot>,
    /// The value of every constant slot, for folding conversions.
    const_slots: HashMap<Slot, (u32, VT)>,
    /// `IntToF32` / `BoolToF32` already emitted for a slot.
    conversions: HashMap<Slot, Slot>,
    input_slots: HashMap<(u32, Option<u32>), Slot>,
    done: Option<Option<Slot>>,
    episode_end: Option<Slot>,
    pending_prev: Vec<PendingPrev>,
    /// Spans of the expressions being lowered, innermost last: the span of an emitted instruction.
    spans: Vec<crate::source::Span>,
    sources: &'p SourceMap,
    diagnostics: Vec<Diagnostic>,
}

fn vt(ty: Ty) -> VT {
    match ty {
        Ty::Scalar(Scalar::Bool) | Ty::Vector(Scalar::Bool, _) => VT::Bool,
        Ty::Scalar(Scalar::Int) | Ty::Vector(Scalar::Int, _) => VT::Int,
        _ => VT::F32,
    }
}

fn range(r: &Option<ast::RangeExpr>, program: &Program) -> Option<rt::Range> {
    let r = r.as_ref()?;
    let bound = |b: &ast::RangeBound| -> Option<f64> {
        let v = match &b.value {
            ast::BoundValue::Int(i) => *i as f64,
            ast::BoundValue::Float(f) => *f,
            ast::BoundValue::Const(n) => f64::from(program.consts.get(&program.lookup(&n.name)?)?.as_f32()?),
        };
        Some(if b.negative { -v } else { v })
    };
    Some(rt::Range { lo: bound(&r.lo)?, hi: bound(&r.hi)?, inclusive: r.inclusive })
}

/// Compiles a program without errors into an artifact.
pub fn lower(program: &Program, sources: &SourceMap) -> Result<Artifact, Vec<Diagnostic>> {
    let mut l = Lowerer {
        program,
        artifact: Artifact {
            compiler_version: env!("CARGO_PKG_VERSION").to_string(),
            spec_name: program.name.clone(),
            inputs: Vec::new(),
            params: Vec::new(),
            automata: Vec::new(),
            slots: 0,
            slot_types: Vec::new(),
            code: Vec::new(),
            spans: Vec::new(),
            registers: 0,
            register_writes: Vec::new(),
            reward: 0,
            done: None,
            discount: None,
            logs: Vec::new(),
            constraints: Vec::new(),
        },
        input_index: HashMap::new(),
        param_index: HashMap::new(),
        automaton_index: HashMap::new(),
        automata: Vec::new(),
        stepped: Vec::new(),
        rewards_ready: Vec::new(),
        memo: HashMap::new(),
        consts: HashMap::new(),
        const_slots: HashMap::new(),
        conversions: HashMap::new(),
        input_slots: HashMap::new(),
        done: None,
        episode_end: None,
        pending_prev: Vec::new(),
        spans: Vec::new(),
        sources,
        diagnostics: Vec::new(),
    };
    l.declare();
    if !l.diagnostics.is_empty() {
        return Err(l.diagnostics);
    }
    l.outputs();
    // Every automaton takes its transition every step, used or not.
    for a in 0..l.automata.len() {
        l.ensure_step(a as u32);
    }
    while let Some(PendingPrev { reg, arg, env }) = l.pending_prev.pop() {
        let slot = l.scalar(&arg, Mode::Now, &env);
        l.artifact.register_writes.push((reg, slot));
    }
    if l.artifact.slots > rt::MAX_SLOTS || l.artifact.registers > rt::MAX_REGISTERS {
        l.diagnostics.push(
            Diagnostic::error(
                code::TOO_DEEP,
                format!(
                    "the compiled program needs {} values per step and {} registers; the limits are {} and {}",
                    l.artifact.slots,
                    l.artifact.registers,
                    rt::MAX_SLOTS,
                    rt::MAX_REGISTERS
                ),
            )
            .help("use fewer or shorter vector inputs, or fewer reductions over them"),
        );
    }
    if !l.diagnostics.is_empty() {
        return Err(l.diagnostics);
    }
    l.artifact.register_writes.sort_unstable();
    l.artifact.validate().map_err(|e| {
        vec![
            Diagnostic::error(code::AUTOMATON_LIMIT, format!("internal error: the compiled program is invalid: {e}"))
                .help("this is a bug in rwc; please report it with the spec"),
        ]
    })?;
    Ok(l.artifact)
}

impl<'p> Lowerer<'p> {
    fn declare(&mut self) {
        let p = self.program;
        for (index, decl) in p.decls.iter().enumerate() {
            let id = DeclId(index as u32);
            match &decl.kind {
                DeclKind::Prop => {
                    self.input_index.insert(id, self.artifact.inputs.len() as u32);
                    self.artifact.inputs.push(InputSpec {
                        name: decl.name.name.clone(),
                        kind: InputKind::Scalar(VT::Bool),
                        range: None,
                        is_prop: true,
                    });
                }
                DeclKind::Input(input) => {
                    let kind = match p.types.get(&id) {
                        Some(Ty::Criteria) => InputKind::Criteria,
                        Some(Ty::Vector(s, n)) => InputKind::Vector(vt(Ty::Scalar(*s)), *n),
                        Some(t) => InputKind::Scalar(vt(*t)),
                        None => continue,
                    };
                    self.input_index.insert(id, self.artifact.inputs.len() as u32);
                    self.artifact.inputs.push(InputSpec {
                        name: decl.name.name.clone(),
                        kind,
                        range: range(&input.range, p),
                        is_prop: false,
                    });
                }
                DeclKind::Param(param) => {
                    let ty = vt(p.types.get(&id).copied().unwrap_or(Ty::F32));
                    let default = fold_literal(&param.default, p).map_or(0, |v| bits(v, ty));
                    self.param_index.insert(id, self.artifact.params.len() as u32);
                    self.artifact.params.push(ParamSpec {
                        name: decl.name.name.clone(),
                        ty,
                        default,
                        range: range(&param.range, p),
                    });
                }
                DeclKind::Multiplier(output) => {
                    let init = match p.outputs.get(*output) {
                        Some(Output::Constraint(c)) => {
                            c.options.iter().find(|(n, _, _)| n.name == "init").map_or(0.0, |(_, v, _)| *v as f32)
                        }
                        _ => 0.0,
                    };
                    self.param_index.insert(id, self.artifact.params.len() as u32);
                    self.artifact.params.push(ParamSpec {
                        name: decl.name.name.clone(),
                        ty: VT::F32,
                        default: init.to_bits(),
                        range: Some(rt::Range { lo: 0.0, hi: f64::INFINITY, inclusive: true }),
                    });
                }
                DeclKind::Machine(m) => {
                    let states = p.machine_states.get(&id).cloned().unwrap_or_default();
                    match crate::automata::analyse(p, m, &states) {
                        Ok(a) => self.add_automaton(id, a),
                        Err(d) => self.diagnostics.push(d),
                    }
                }
                DeclKind::Formula(f) if !f.is_pattern() => match crate::automata::formula_automaton(p, f) {
                    Ok(a) => self.add_automaton(id, a),
                    Err(d) => self.diagnostics.push(d),
                },
                _ => {}
            }
        }
    }

    fn add_automaton(&mut self, id: DeclId, a: Automaton) {
        self.automaton_index.insert(id, self.automata.len() as u32);
        self.automata.push((id, a));
        self.stepped.push(None);
        self.rewards_ready.push(false);
        // The spec itself is filled in when the automaton is first stepped.
        self.artifact.automata.push(AutomatonSpec {
            name: String::new(),
            kind: AutomatonKind::Machine,
            states: Vec::new(),
            start: 0,
            terminal: Vec::new(),
            accepting: Vec::new(),
            distance: Vec::new(),
            values: Vec::new(),
            atoms: Vec::new(),
            edges: Vec::new(),
            transitions: rt::Transitions::Dense { table: Vec::new() },
        });
    }

    fn emit(&mut self, op: Op, ty: VT) -> Slot {
        let dst = self.artifact.slots;
        if dst >= rt::MAX_SLOTS {
            // Past the limit: count, but build nothing more (reported at the end).
            self.artifact.slots = self.artifact.slots.saturating_add(1);
            return dst;
        }
        self.artifact.slots += 1;
        self.artifact.slot_types.push(ty);
        self.artifact.code.push(Instr { dst, op });
        let span = self.spans.last().map(|s| {
            let file = self.sources.get(s.file);
            let (line, column) = file.line_col(s.start as usize);
            rt::SourceSpan { file: file.name.clone(), line: line as u32, column: column as u32 }
        });
        self.artifact.spans.push(span);
        dst
    }

    fn register(&mut self) -> u32 {
        self.artifact.registers += 1;
        self.artifact.registers - 1
    }

    fn constant(&mut self, value: u32, ty: VT) -> Slot {
        if let Some(&s) = self.consts.get(&(value, ty)) {
            return s;
        }
        let op = match ty {
            VT::F32 => Op::ConstF32(f32::from_bits(value)),
            VT::Int => Op::ConstI32(value as i32),
            VT::Bool => Op::ConstBool(value != 0),
        };
        let s = self.emit(op, ty);
        self.consts.insert((value, ty), s);
        self.const_slots.insert(s, (value, ty));
        s
    }

    fn f32_const(&mut self, v: f32) -> Slot {
        self.constant(v.to_bits(), VT::F32)
    }

    /// The slot as an `f32`: constants convert at compile time, and each
    /// slot is converted at most once.
    fn float_of(&mut self, (slot, ty): (Slot, VT)) -> Slot {
        if ty == VT::F32 {
            return slot;
        }
        if let Some(&(bits, _)) = self.const_slots.get(&slot) {
            let value = if ty == VT::Int { bits as i32 as f32 } else { f32::from(u8::from(bits != 0)) };
            return self.f32_const(value);
        }
        if let Some(&converted) = self.conversions.get(&slot) {
            return converted;
        }
        let op = if ty == VT::Int { rt::UnOp::IntToF32 } else { rt::UnOp::BoolToF32 };
        let converted = self.emit(Op::Un(op, slot), VT::F32);
        self.conversions.insert(slot, converted);
        converted
    }

    fn bin(&mut self, op: rt::BinOp, a: Slot, b: Slot) -> Slot {
        use rt::BinOp::*;
        let ty = match op {
            AddF | SubF | MulF | DivF | MinF | MaxF => VT::F32,
            AddI | SubI | MulI | DivI | RemI | MinI | MaxI => VT::Int,
            _ => VT::Bool,
        };
        self.emit(Op::Bin(op, a, b), ty)
    }

    // ---- outputs ---------------------------------------------------------------

    fn done_slot(&mut self) -> Option<Slot> {
        if let Some(d) = self.done {
            return d;
        }
        let expr =
            self.program.outputs.iter().find_map(|o| if let Output::Done(d) = o { Some(&d.value) } else { None });
        let slot = expr.map(|e| self.scalar(e, Mode::Now, &[]));
        self.done = Some(slot);
        slot
    }

    fn episode_end_slot(&mut self) -> Slot {
        if let Some(s) = self.episode_end {
            return s;
        }
        let done = self.done_slot();
        let s = self.emit(Op::EpisodeEnd(done), VT::Bool);
        self.episode_end = Some(s);
        s
    }

    fn outputs(&mut self) {
        let p = self.program;
        let done = self.done_slot();
        self.artifact.done = done;
        self.artifact.discount = p
            .outputs
            .iter()
            .find_map(|o| match o {
                Output::Discount(d) => Some(&d.value),
                _ => None,
            })
            .map(|e| {
                let v = self.value_scalar(e, Mode::Now);
                self.float_of(v)
            });
        let mut reward: Option<Slot> = None;
        let mut extra: Vec<Slot> = Vec::new();
        for output in &p.outputs {
            match output {
                Output::Reward(r) => {
                    let v = self.value(&r.value, Mode::Now, &[]);
                    let v = self.scalar_of(v);
                    reward = Some(self.float_of(v));
                }
                Output::Log(log) => {
                    let (slot, ty) = self.value_scalar(&log.value, Mode::Now);
                    self.artifact.logs.push(LogSpec { name: log.name.name.clone(), slot, ty });
                }
                Output::Done(_) | Output::Discount(_) => {}
                Output::Shape(shape) => {
                    let gamma = shape.gamma.as_ref().map_or(1.0, |g| const_ref_value(g, p));
                    let now = self.value_scalar(&shape.value, Mode::Now);
                    let now = self.float_of(now);
                    let term = match shape.kind {
                        ast::ShapeKind::Term => now,
                        ast::ShapeKind::Potential => {
                            let start = self.value_scalar(&shape.value, Mode::AtStart);
                            let start = self.float_of(start);
                            let reg = self.register();
                            self.emit(Op::Potential { reg, now, start, gamma, done }, VT::F32)
                        }
                    };
                    extra.push(term);
                }
                Output::Constraint(c) => {
                    let ast::ExprKind::Binary(op, lhs, rhs) = &c.condition.strip_parens().kind else { continue };
                    let x = self.value_scalar(lhs, Mode::Now);
                    let x = self.float_of(x);
                    let limit = fold_literal(rhs, p).and_then(ConstValue::as_f32).unwrap_or(0.0);
                    let name = multiplier_of(p, c);
                    let Some(param) = name.and_then(|id| self.param_index.get(&id).copied()) else { continue };
                    let lambda = self.emit(Op::Param(param), VT::F32);
                    let upper = *op == BinOp::Le;
                    // Per step: `lambda * (x - limit)`; for a limit on the
                    // episode's sum, `lambda * x` (the limit enters only the
                    // multiplier's update, as in PPO-Lagrangian).
                    let gap = match (c.episodic, upper) {
                        (true, true) => x,
                        (true, false) => self.emit(Op::Un(rt::UnOp::NegF, x), VT::F32),
                        (false, true) => {
                            let limit_slot = self.f32_const(limit);
                            self.bin(rt::BinOp::SubF, x, limit_slot)
                        }
                        (false, false) => {
                            let limit_slot = self.f32_const(limit);
                            self.bin(rt::BinOp::SubF, limit_slot, x)
                        }
                    };
                    let penalty = self.bin(rt::BinOp::MulF, lambda, gap);
                    let negative = self.emit(Op::Un(rt::UnOp::NegF, penalty), VT::F32);
                    extra.push(negative);
                    let lr = c.options.iter().find(|(n, _, _)| n.name == "lr").map_or(0.0, |(_, v, _)| *v as f32);
                    self.artifact.constraints.push(ConstraintSpec {
                        name: p.decl(name.unwrap_or(DeclId(0))).name.name.clone(),
                        value: x,
                        limit,
                        upper,
                        lr,
                        param,
                        episodic: c.episodic,
                    });
                }
            }
        }
        let mut total = match reward {
            Some(r) => r,
            None => self.f32_const(0.0),
        };
        for term in extra {
            total = self.bin(rt::BinOp::AddF, total, term);
        }
        self.artifact.reward = total;
    }

    // ---- automata ----------------------------------------------------------------

    /// Emits the automaton's transition (once) and fills in its tables.
    fn ensure_step(&mut self, a: u32) -> Slot {
        if let Some(s) = self.stepped[a as usize] {
            return s;
        }
        let automaton = self.automata[a as usize].1.clone();
        let atoms: Vec<Slot> = automaton.atoms.iter().map(|atom| self.scalar(&atom.expr, Mode::Now, &[])).collect();
        let goals = automaton.goal_states();
        let transitions = automaton.tables(false).unwrap_or(rt::Transitions::Dense { table: Vec::new() });
        let terminal = automaton.terminal();
        let spec = &mut self.artifact.automata[a as usize];
        spec.name = automaton.name.clone();
        spec.kind = match (&automaton.omega, &automaton.accepting) {
            (Some(_), _) => AutomatonKind::Ltl,
            (None, Some(_)) => AutomatonKind::Ltlf,
            (None, None) => AutomatonKind::Machine,
        };
        spec.states = automaton.state_names();
        spec.start = automaton.start.0;
        spec.accepting = goals.clone();
        spec.distance = automaton.distances(&goals);
        spec.terminal = terminal;
        spec.atoms = atoms;
        spec.transitions = transitions;
        spec.edges = automaton
            .ordered_edges()
            .into_iter()
            .map(|e| {
                let (from, to) = automaton.graph.edge_endpoints(e).unwrap_or_default();
                EdgeSpec { from: from.index() as u32, to: to.index() as u32, reward: None }
            })
            .collect();
        let s = self.emit(Op::Step(a), VT::Int);
        self.stepped[a as usize] = Some(s);
        s
    }

    /// Lowers every edge reward of the automaton (once); `m.reward` selects one.
    fn ensure_rewards(&mut self, a: u32) {
        self.ensure_step(a);
        if self.rewards_ready[a as usize] {
            return;
        }
        self.rewards_ready[a as usize] = true;
        let automaton = self.automata[a as usize].1.clone();
        for (k, e) in automaton.ordered_edges().into_iter().enumerate() {
            if let Some(r) = &automaton.graph[e].reward {
                let v = self.value_scalar(r, Mode::Now);
                let slot = self.float_of(v);
                self.artifact.automata[a as usize].edges[k].reward = Some(slot);
            }
        }
    }

    /// The index of automaton `a`'s value table for `gamma` (computed once).
    fn value_table(&mut self, a: u32, gamma: f64) -> Option<u32> {
        self.ensure_step(a);
        let p = self.program;
        let automaton = &self.automata[a as usize].1;
        let Some(values) = automaton
            .value_iteration(gamma, |r| crate::sema::fold_const(r, p).and_then(ConstValue::as_f32).map(f64::from))
        else {
            let name = automaton.name.clone();
            self.diagnostics.push(
                Diagnostic::error(
                    code::TOO_DEEP,
                    format!(
                        "value iteration over machine `{name}` with discount {gamma} does not settle within {} sweeps",
                        crate::automata::MAX_VALUE_SWEEPS
                    ),
                )
                .help("a cycle of edges that pay a positive reward has no finite value with discount 1: use a discount below 1"),
            );
            return None;
        };
        let table: Vec<f32> = values.iter().map(|&v| v as f32).collect();
        let spec = &mut self.artifact.automata[a as usize];
        if let Some(k) = spec.values.iter().position(|t| *t == table) {
            return Some(k as u32);
        }
        spec.values.push(table);
        Some(spec.values.len() as u32 - 1)
    }

    fn member(&mut self, a: u32, member: AutomatonMember, mode: Mode) -> (Slot, VT) {
        let ty = match member {
            AutomatonMember::State | AutomatonMember::Distance => VT::Int,
            AutomatonMember::Reward | AutomatonMember::Value(_) => VT::F32,
            _ => VT::Bool,
        };
        if mode == Mode::AtStart {
            // The value in the start state, before any transition.
            self.ensure_step(a);
            let spec = &self.artifact.automata[a as usize];
            let s = spec.start as usize;
            let value = match member {
                AutomatonMember::State => s as u32,
                AutomatonMember::Terminal => u32::from(spec.terminal[s]),
                AutomatonMember::Distance => spec.distance[s],
                AutomatonMember::Accepting => u32::from(spec.accepting[s]),
                AutomatonMember::Violated => u32::from(spec.distance[s] as usize >= spec.states.len()),
                AutomatonMember::In(q) => u32::from(q as usize == s),
                AutomatonMember::Reward => 0f32.to_bits(),
                AutomatonMember::Value(k) => spec.values[k as usize][s].to_bits(),
            };
            return (self.constant(value, ty), ty);
        }
        if member == AutomatonMember::Reward {
            self.ensure_rewards(a);
        } else {
            self.ensure_step(a);
        }
        (self.emit(Op::Member(a, member), ty), ty)
    }

    // ---- expressions -------------------------------------------------------------

    fn value_scalar(&mut self, e: &Expr, mode: Mode) -> (Slot, VT) {
        let v = self.value(e, mode, &[]);
        self.scalar_of(v)
    }

    fn scalar_of(&mut self, v: Val) -> (Slot, VT) {
        match v {
            Val::Scalar(s, t) => (s, t),
            // Sema rejects vectors where scalars are needed; stay total.
            Val::Vector(elems, t) => (elems.first().copied().unwrap_or_else(|| self.f32_const(0.0)), t),
        }
    }

    fn scalar(&mut self, e: &Expr, mode: Mode, env: &[(String, Val)]) -> Slot {
        let v = self.value(e, mode, env);
        self.scalar_of(v).0
    }

    fn typed(&mut self, e: &Expr, mode: Mode, env: &[(String, Val)]) -> (Slot, VT) {
        let v = self.value(e, mode, env);
        self.scalar_of(v)
    }

    fn value(&mut self, e: &Expr, mode: Mode, env: &[(String, Val)]) -> Val {
        self.spans.push(e.span);
        let v = self.value_inner(e, mode, env);
        self.spans.pop();
        v
    }

    fn value_inner(&mut self, e: &Expr, mode: Mode, env: &[(String, Val)]) -> Val {
        let p = self.program;
        match &e.kind {
            ExprKind::Int(v) => Val::Scalar(self.constant(*v as i32 as u32, VT::Int), VT::Int),
            ExprKind::Float(v) => Val::Scalar(self.f32_const(*v as f32), VT::F32),
            ExprKind::Bool(b) => Val::Scalar(self.constant(u32::from(*b), VT::Bool), VT::Bool),
            ExprKind::Paren(inner) => self.value(inner, mode, env),
            ExprKind::Name(n) => self.name(&n.name, mode, env),
            ExprKind::Unary(op, inner) => {
                if let (UnOp::Neg, ExprKind::Int(v)) = (op, &inner.kind) {
                    return Val::Scalar(self.constant((*v).wrapping_neg() as i32 as u32, VT::Int), VT::Int);
                }
                let (s, t) = self.typed(inner, mode, env);
                let op = match (op, t) {
                    (UnOp::Not, _) => rt::UnOp::Not,
                    (UnOp::Neg, VT::Int) => rt::UnOp::NegI,
                    (UnOp::Neg, _) => rt::UnOp::NegF,
                };
                Val::Scalar(self.emit(Op::Un(op, s), t), t)
            }
            ExprKind::Binary(op, a, b) => {
                let a = self.typed(a, mode, env);
                let b = self.typed(b, mode, env);
                let (s, t) = self.binary(*op, a, b);
                Val::Scalar(s, t)
            }
            ExprKind::Cond(c, a, b) => {
                let c = self.scalar(c, mode, env);
                let (a, b) = (self.typed(a, mode, env), self.typed(b, mode, env));
                let (a, b, t) = self.unify(a, b);
                Val::Scalar(self.emit(Op::Select(c, a, b), t), t)
            }
            ExprKind::Call(name, args) => self.call(&name.name, args, mode, env),
            ExprKind::Member(base, member, args) => {
                let ExprKind::Name(base) = &base.strip_parens().kind else { return self.zero() };
                let Some(id) = p.lookup(&base.name) else { return self.zero() };
                self.member_value(id, &member.name, args.as_deref(), mode)
            }
            ExprKind::Index(base, index) => {
                let Val::Vector(elems, t) = self.value(base, mode, env) else { return self.zero() };
                let k = fold_literal(index, p).and_then(|v| if let ConstValue::Int(i) = v { Some(i) } else { None });
                match k.and_then(|k| elems.get(k as usize)) {
                    Some(&s) => Val::Scalar(s, t),
                    None => self.zero(),
                }
            }
            ExprKind::Gated(c, body) => {
                if mode == Mode::AtStart {
                    return Val::Scalar(self.f32_const(0.0), VT::F32);
                }
                let cond = self.scalar(c, mode, env);
                let (value, ty) = self.typed(body, mode, env);
                let end = self.episode_end_slot();
                let reg = self.register();
                Val::Scalar(self.emit(Op::Gated { reg, cond, value, end, ty }, ty), ty)
            }
        }
    }

    fn zero(&mut self) -> Val {
        Val::Scalar(self.f32_const(0.0), VT::F32)
    }

    fn unify(&mut self, a: (Slot, VT), b: (Slot, VT)) -> (Slot, Slot, VT) {
        if a.1 == b.1 {
            return (a.0, b.0, a.1);
        }
        (self.float_of(a), self.float_of(b), VT::F32)
    }

    fn binary(&mut self, op: BinOp, a: (Slot, VT), b: (Slot, VT)) -> (Slot, VT) {
        use rt::BinOp as R;
        let logical = |l: &mut Self, op| (l.bin(op, a.0, b.0), VT::Bool);
        match op {
            BinOp::And => logical(self, R::And),
            BinOp::Or => logical(self, R::Or),
            BinOp::Iff => logical(self, R::EqB),
            BinOp::Implies => {
                let not_a = self.emit(Op::Un(rt::UnOp::Not, a.0), VT::Bool);
                (self.bin(R::Or, not_a, b.0), VT::Bool)
            }
            BinOp::Eq | BinOp::Ne if a.1 == VT::Bool => {
                let eq = self.bin(R::EqB, a.0, b.0);
                if op == BinOp::Ne {
                    (self.emit(Op::Un(rt::UnOp::Not, eq), VT::Bool), VT::Bool)
                } else {
                    (eq, VT::Bool)
                }
            }
            BinOp::Div => {
                let (x, y) = (self.float_of(a), self.float_of(b));
                (self.bin(R::DivF, x, y), VT::F32)
            }
            _ => {
                let (x, y, t) = self.unify(a, b);
                // (int op, f32 op) per source operator.
                let (int_op, float_op) = match op {
                    BinOp::Add => (R::AddI, R::AddF),
                    BinOp::Sub => (R::SubI, R::SubF),
                    BinOp::Mul => (R::MulI, R::MulF),
                    BinOp::Eq => (R::EqI, R::EqF),
                    BinOp::Ne => (R::NeI, R::NeF),
                    BinOp::Lt => (R::LtI, R::LtF),
                    BinOp::Le => (R::LeI, R::LeF),
                    BinOp::Gt => (R::GtI, R::GtF),
                    _ => (R::GeI, R::GeF),
                };
                let r = if t == VT::Int { int_op } else { float_op };
                let s = self.bin(r, x, y);
                (s, if op.is_comparison() { VT::Bool } else { t })
            }
        }
    }

    fn input_slot(&mut self, input: u32, elem: Option<u32>, ty: VT) -> Slot {
        if let Some(&s) = self.input_slots.get(&(input, elem)) {
            return s;
        }
        let op = match elem {
            Some(k) => Op::InputElem(input, k),
            None => Op::Input(input),
        };
        let s = self.emit(op, ty);
        self.input_slots.insert((input, elem), s);
        s
    }

    fn name(&mut self, name: &str, mode: Mode, env: &[(String, Val)]) -> Val {
        if let Some((_, v)) = env.iter().rev().find(|(n, _)| n == name) {
            return v.clone();
        }
        let p = self.program;
        let Some(id) = p.lookup(name) else {
            return match name {
                "steps" if mode == Mode::AtStart => Val::Scalar(self.constant(0, VT::Int), VT::Int),
                "steps" => Val::Scalar(self.emit(Op::Steps, VT::Int), VT::Int),
                "episode_end" if mode == Mode::AtStart => Val::Scalar(self.constant(0, VT::Bool), VT::Bool),
                "episode_end" => Val::Scalar(self.episode_end_slot(), VT::Bool),
                _ => self.zero(),
            };
        };
        match &p.decl(id).kind {
            DeclKind::Prop | DeclKind::Input(_) if mode == Mode::AtStart => {
                // Before the first step no input has been observed: a
                // constant, so that `P_(-1)` does not depend on the first
                // action (Ng et al.'s invariance needs a potential of the
                // start state alone), taken inside the declared range so
                // that the checker's bounds of `P` cover it.
                let spec = &self.artifact.inputs[self.input_index[&id] as usize];
                let (kind, bits) = (spec.kind, input_before_first_step(spec));
                match kind {
                    InputKind::Scalar(t) => Val::Scalar(self.constant(bits, t), t),
                    InputKind::Vector(t, len) => Val::Vector((0..len).map(|_| self.constant(bits, t)).collect(), t),
                    InputKind::Criteria => self.zero(),
                }
            }
            DeclKind::Prop | DeclKind::Input(_) => {
                let index = self.input_index[&id];
                match self.artifact.inputs[index as usize].kind {
                    InputKind::Scalar(t) => Val::Scalar(self.input_slot(index, None, t), t),
                    InputKind::Vector(t, len) => {
                        Val::Vector((0..len).map(|k| self.input_slot(index, Some(k), t)).collect(), t)
                    }
                    InputKind::Criteria => self.zero(),
                }
            }
            DeclKind::Param(_) | DeclKind::Multiplier(_) => {
                let index = self.param_index[&id];
                let t = self.artifact.params[index as usize].ty;
                Val::Scalar(self.emit(Op::Param(index), t), t)
            }
            DeclKind::Const(_) => match p.consts.get(&id) {
                Some(v) => {
                    let t = vt(v.ty());
                    Val::Scalar(self.constant(bits(*v, t), t), t)
                }
                None => self.zero(),
            },
            DeclKind::Let(l) => {
                if let Some(v) = self.memo.get(&(id, mode)) {
                    return v.clone();
                }
                let v = self.value(&l.value, mode, &[]);
                self.memo.insert((id, mode), v.clone());
                v
            }
            _ => self.zero(),
        }
    }

    fn member_value(&mut self, id: DeclId, member: &str, args: Option<&[Expr]>, mode: Mode) -> Val {
        let p = self.program;
        let decl = p.decl(id);
        match &decl.kind {
            DeclKind::Machine(_) | DeclKind::Formula(_) => {
                let Some(&a) = self.automaton_index.get(&id) else { return self.zero() };
                let m = match member {
                    "reward" => AutomatonMember::Reward,
                    "state" => AutomatonMember::State,
                    "terminal" => AutomatonMember::Terminal,
                    "distance" => AutomatonMember::Distance,
                    "sat" | "accepting" => AutomatonMember::Accepting,
                    "violated" | "rejecting" => AutomatonMember::Violated,
                    "value" => {
                        let gamma = args.and_then(|a| a.first()).and_then(|g| crate::sema::const_number(g, p));
                        match self.value_table(a, gamma.unwrap_or(1.0)) {
                            Some(k) => AutomatonMember::Value(k),
                            None => return self.zero(),
                        }
                    }
                    _ => {
                        let state = args.and_then(|a| a.first()).and_then(|e| match &e.strip_parens().kind {
                            ExprKind::Name(n) => Some(n.name.clone()),
                            _ => None,
                        });
                        let states = p.machine_states.get(&id).cloned().unwrap_or_default();
                        let q = state.and_then(|s| states.iter().position(|x| *x == s)).unwrap_or(0);
                        AutomatonMember::In(q as u32)
                    }
                };
                let (s, t) = self.member(a, m, mode);
                Val::Scalar(s, t)
            }
            DeclKind::Input(_) if mode == Mode::AtStart => {
                // An empty checklist: score 0, all true, nothing failed.
                match member {
                    "score" => Val::Scalar(self.f32_const(0.0), VT::F32),
                    "all" => Val::Scalar(self.constant(1, VT::Bool), VT::Bool),
                    _ => Val::Scalar(self.constant(0, VT::Int), VT::Int),
                }
            }
            DeclKind::Input(_) => {
                let index = self.input_index[&id];
                let (op, t) = match member {
                    "score" => (Op::CriteriaScore(index), VT::F32),
                    "all" => (Op::CriteriaAll(index), VT::Bool),
                    _ => (Op::CriteriaFailed(index), VT::Int),
                };
                Val::Scalar(self.emit(op, t), t)
            }
            DeclKind::Criteria(c) => self.inline_criteria(c, member, mode),
            _ => self.zero(),
        }
    }

    /// `score = sum(w * v) / sum(w)` (0 when the weights sum to 0),
    /// `all` = every verdict >= 0.5, `failed` = how many are below.
    fn inline_criteria(&mut self, c: &ast::CriteriaDecl, member: &str, mode: Mode) -> Val {
        let p = self.program;
        let items: Vec<(Slot, f32)> = c
            .items
            .iter()
            .map(|item| {
                let verdict = self.name(&item.input.name, mode, &[]);
                let v = self.scalar_of(verdict);
                let v = self.float_of(v);
                let w = item.weight.as_ref().map_or(1.0, |w| const_ref_value(w, p));
                (v, w)
            })
            .collect();
        match member {
            "score" => {
                let total: f32 = items.iter().map(|(_, w)| *w).sum();
                if items.is_empty() || total == 0.0 {
                    return Val::Scalar(self.f32_const(0.0), VT::F32);
                }
                let mut sum: Option<Slot> = None;
                for (v, w) in items {
                    let w = self.f32_const(w);
                    let term = self.bin(rt::BinOp::MulF, w, v);
                    sum = Some(match sum {
                        Some(s) => self.bin(rt::BinOp::AddF, s, term),
                        None => term,
                    });
                }
                let total = self.f32_const(total);
                let sum = sum.unwrap_or(total);
                Val::Scalar(self.bin(rt::BinOp::DivF, sum, total), VT::F32)
            }
            "all" => {
                let half = self.f32_const(0.5);
                let mut all = self.constant(1, VT::Bool);
                for (v, _) in items {
                    let pass = self.bin(rt::BinOp::GeF, v, half);
                    all = self.bin(rt::BinOp::And, all, pass);
                }
                Val::Scalar(all, VT::Bool)
            }
            _ => {
                let half = self.f32_const(0.5);
                let mut failed = self.constant(0, VT::Int);
                for (v, _) in items {
                    let pass = self.bin(rt::BinOp::GeF, v, half);
                    let fail = self.emit(Op::Un(rt::UnOp::Not, pass), VT::Bool);
                    let one = self.emit(Op::Un(rt::UnOp::BoolToInt, fail), VT::Int);
                    failed = self.bin(rt::BinOp::AddI, failed, one);
                }
                Val::Scalar(failed, VT::Int)
            }
        }
    }

    fn fold_numeric(&mut self, values: Vec<(Slot, VT)>, int_op: rt::BinOp, float_op: rt::BinOp) -> (Slot, VT) {
        let all_int = values.iter().all(|(_, t)| *t == VT::Int);
        let mut it = values.into_iter();
        let Some(first) = it.next() else { return (self.f32_const(0.0), VT::F32) };
        let mut acc = if all_int { first.0 } else { self.float_of(first) };
        for v in it {
            let x = if all_int { v.0 } else { self.float_of(v) };
            acc = self.bin(if all_int { int_op } else { float_op }, acc, x);
        }
        (acc, if all_int { VT::Int } else { VT::F32 })
    }

    fn call(&mut self, name: &str, args: &[Expr], mode: Mode, env: &[(String, Val)]) -> Val {
        let p = self.program;
        if let Some(id) = p.lookup(name)
            && let DeclKind::Fn(f) = &p.decl(id).kind
        {
            // Inline: bind each parameter to its argument, converted to the declared type.
            let mut scope: Vec<(String, Val)> = Vec::new();
            for ((pname, pty), arg) in f.params.iter().zip(args) {
                let v = self.value(arg, mode, env);
                let want_f32 = pty.name.name == "f32" && pty.len.is_none();
                let v = match v {
                    Val::Scalar(s, VT::Int) if want_f32 => Val::Scalar(self.float_of((s, VT::Int)), VT::F32),
                    other => other,
                };
                scope.push((pname.name.clone(), v));
            }
            let result = self.value(&f.body, mode, &scope);
            if f.ret.name.name == "f32" {
                let (s, t) = self.scalar_of(result);
                return Val::Scalar(self.float_of((s, t)), VT::F32);
            }
            return result;
        }
        let values: Vec<Val> =
            if name == "prev" { Vec::new() } else { args.iter().map(|a| self.value(a, mode, env)).collect() };
        let scalars =
            |l: &mut Self, vs: &[Val]| -> Vec<(Slot, VT)> { vs.iter().cloned().map(|v| l.scalar_of(v)).collect() };
        let elements = |vs: &[Val]| -> Option<(Vec<Slot>, VT)> {
            match vs {
                [Val::Vector(e, t)] => Some((e.clone(), *t)),
                _ => None,
            }
        };
        use rt::BinOp as R;
        match name {
            "min" | "max" => {
                let list: Vec<(Slot, VT)> = match elements(&values) {
                    Some((e, t)) => e.into_iter().map(|s| (s, t)).collect(),
                    None => scalars(self, &values),
                };
                let (s, t) = if name == "min" {
                    self.fold_numeric(list, R::MinI, R::MinF)
                } else {
                    self.fold_numeric(list, R::MaxI, R::MaxF)
                };
                Val::Scalar(s, t)
            }
            "clamp" => {
                let v = scalars(self, &values);
                let (lo, _) = self.fold_numeric(vec![v[0], v[1]], R::MaxI, R::MaxF);
                let lo_t = if v[0].1 == VT::Int && v[1].1 == VT::Int { VT::Int } else { VT::F32 };
                let (s, t) = self.fold_numeric(vec![(lo, lo_t), v[2]], R::MinI, R::MinF);
                Val::Scalar(s, t)
            }
            "abs" => {
                let (s, t) = scalars(self, &values)[0];
                let op = if t == VT::Int { rt::UnOp::AbsI } else { rt::UnOp::AbsF };
                Val::Scalar(self.emit(Op::Un(op, s), t), t)
            }
            "exp" | "log" | "sqrt" | "sigmoid" | "tanh" => {
                let v = scalars(self, &values)[0];
                let x = self.float_of(v);
                let op = match name {
                    "exp" => rt::UnOp::Exp,
                    "log" => rt::UnOp::Ln,
                    "sqrt" => rt::UnOp::Sqrt,
                    "sigmoid" => rt::UnOp::Sigmoid,
                    _ => rt::UnOp::Tanh,
                };
                Val::Scalar(self.emit(Op::Un(op, x), VT::F32), VT::F32)
            }
            "step" => {
                let v = scalars(self, &values);
                let zero = if v[1].1 == VT::Int { self.constant(0, VT::Int) } else { self.f32_const(0.0) };
                Val::Scalar(self.emit(Op::Select(v[0].0, v[1].0, zero), v[1].1), v[1].1)
            }
            "sum" | "mean" | "var" | "std" => {
                let Some((elems, t)) = elements(&values) else { return self.zero() };
                let list: Vec<(Slot, VT)> = elems.iter().map(|&s| (s, t)).collect();
                let (sum, st) = self.fold_numeric(list.clone(), R::AddI, R::AddF);
                if name == "sum" {
                    return Val::Scalar(sum, st);
                }
                let n = self.f32_const(elems.len() as f32);
                let sum = self.float_of((sum, st));
                let mean = self.bin(R::DivF, sum, n);
                if name == "mean" {
                    return Val::Scalar(mean, VT::F32);
                }
                let mut squares = Vec::new();
                for item in list {
                    let x = self.float_of(item);
                    let d = self.bin(R::SubF, x, mean);
                    squares.push((self.bin(R::MulF, d, d), VT::F32));
                }
                let (sq, _) = self.fold_numeric(squares, R::AddI, R::AddF);
                let var = self.bin(R::DivF, sq, n);
                if name == "var" {
                    return Val::Scalar(var, VT::F32);
                }
                Val::Scalar(self.emit(Op::Un(rt::UnOp::Sqrt, var), VT::F32), VT::F32)
            }
            "count" => {
                let bools: Vec<Slot> = match elements(&values) {
                    Some((e, _)) => e,
                    None => scalars(self, &values).into_iter().map(|(s, _)| s).collect(),
                };
                let ints: Vec<(Slot, VT)> =
                    bools.into_iter().map(|b| (self.emit(Op::Un(rt::UnOp::BoolToInt, b), VT::Int), VT::Int)).collect();
                let (s, t) = self.fold_numeric(ints, R::AddI, R::AddF);
                Val::Scalar(s, t)
            }
            "div" | "rem" => {
                let v = scalars(self, &values);
                Val::Scalar(self.bin(if name == "div" { R::DivI } else { R::RemI }, v[0].0, v[1].0), VT::Int)
            }
            "prev" => {
                let ty = self.infer(&args[0], env);
                let default = match args.get(1) {
                    Some(d) => {
                        let d = self.typed(d, mode, env);
                        if ty == VT::F32 { self.float_of(d) } else { d.0 }
                    }
                    None => self.constant(0, ty),
                };
                if mode == Mode::AtStart {
                    return Val::Scalar(default, ty);
                }
                let reg = self.register();
                let s = self.emit(Op::Prev { reg, default }, ty);
                // The register is written at the end of the step with the
                // argument's value, lowered last (it may depend on this very
                // value: `let ema = 0.9 * prev(ema) + ...`).
                self.pending_prev.push(PendingPrev { reg, arg: args[0].clone(), env: env.to_vec() });
                Val::Scalar(s, ty)
            }
            "total" => {
                let (value, ty) = scalars(self, &values)[0];
                if mode == Mode::AtStart {
                    return Val::Scalar(self.constant(0, ty), ty);
                }
                let reg = self.register();
                Val::Scalar(self.emit(Op::Total { reg, value, ty }, ty), ty)
            }
            "batch_group_top" => {
                // The group is among the top `ceil(fraction * groups)`:
                // for an int rank, `rank < fraction * groups` (in f32).
                let v = scalars(self, &values);
                let (x, fraction) = (v[0].0, self.float_of(v[1]));
                let rank = self.emit(Op::Group(GroupOp::BatchGroupRank, x), VT::Int);
                let groups = self.emit(Op::Group(GroupOp::BatchGroups, x), VT::Int);
                let (rank, groups) = (self.float_of((rank, VT::Int)), self.float_of((groups, VT::Int)));
                let cut = self.bin(rt::BinOp::MulF, fraction, groups);
                Val::Scalar(self.bin(rt::BinOp::LtF, rank, cut), VT::Bool)
            }
            "group_mean" | "group_max" | "group_min" | "group_std" | "group_std_unbiased" | "rank" | "batch_mean"
            | "batch_std" | "batch_std_unbiased" | "batch_rank" | "batch_group_rank" => {
                let (x, t) = scalars(self, &values)[0];
                let (op, out) = match name {
                    "group_mean" => (GroupOp::Mean, VT::F32),
                    "group_std" => (GroupOp::Std, VT::F32),
                    "group_std_unbiased" => (GroupOp::StdUnbiased, VT::F32),
                    "group_max" => (GroupOp::Max, t),
                    "group_min" => (GroupOp::Min, t),
                    "batch_mean" => (GroupOp::BatchMean, VT::F32),
                    "batch_std" => (GroupOp::BatchStd, VT::F32),
                    "batch_std_unbiased" => (GroupOp::BatchStdUnbiased, VT::F32),
                    "batch_rank" => (GroupOp::BatchRank, VT::Int),
                    "batch_group_rank" => (GroupOp::BatchGroupRank, VT::Int),
                    _ => (GroupOp::Rank, VT::Int),
                };
                Val::Scalar(self.emit(Op::Group(op, x), out), out)
            }
            _ => self.zero(),
        }
    }

    /// The value type of an expression, without lowering it (for `prev`,
    /// whose argument is lowered at the end of the tape).
    fn infer(&self, e: &Expr, env: &[(String, Val)]) -> VT {
        let p = self.program;
        match &e.kind {
            ExprKind::Int(_) => VT::Int,
            ExprKind::Float(_) => VT::F32,
            ExprKind::Bool(_) => VT::Bool,
            ExprKind::Paren(inner) | ExprKind::Unary(UnOp::Neg, inner) => self.infer(inner, env),
            ExprKind::Unary(UnOp::Not, _) => VT::Bool,
            ExprKind::Name(n) => {
                if let Some((_, v)) = env.iter().rev().find(|(x, _)| *x == n.name) {
                    return match v {
                        Val::Scalar(_, t) | Val::Vector(_, t) => *t,
                    };
                }
                match p.lookup(&n.name) {
                    Some(id) => p.types.get(&id).map_or(VT::F32, |t| vt(*t)),
                    None if n.name == "steps" => VT::Int,
                    None => VT::Bool,
                }
            }
            ExprKind::Binary(op, a, b) => {
                if op.is_comparison() || op.is_logical() {
                    VT::Bool
                } else if *op == BinOp::Div {
                    VT::F32
                } else if self.infer(a, env) == VT::Int && self.infer(b, env) == VT::Int {
                    VT::Int
                } else {
                    VT::F32
                }
            }
            ExprKind::Cond(_, a, b) => {
                let (x, y) = (self.infer(a, env), self.infer(b, env));
                if x == y { x } else { VT::F32 }
            }
            ExprKind::Index(base, _) => self.infer(base, env),
            ExprKind::Gated(_, body) => self.infer(body, env),
            ExprKind::Member(_, m, _) => match m.name.as_str() {
                "reward" | "score" => VT::F32,
                "state" | "distance" | "failed" => VT::Int,
                _ => VT::Bool,
            },
            ExprKind::Call(f, args) => match f.name.as_str() {
                "exp" | "log" | "sqrt" | "sigmoid" | "tanh" | "mean" | "var" | "std" | "group_mean" | "group_std"
                | "group_std_unbiased" | "batch_mean" | "batch_std" | "batch_std_unbiased" => VT::F32,
                "count" | "rank" | "div" | "rem" | "batch_rank" | "batch_group_rank" => VT::Int,
                "batch_group_top" => VT::Bool,
                "step" => args.get(1).map_or(VT::F32, |a| self.infer(a, env)),
                "min" | "max" | "clamp" | "abs" | "sum" | "prev" | "total" | "group_max" | "group_min" => {
                    if args.iter().all(|a| self.infer(a, env) == VT::Int) { VT::Int } else { VT::F32 }
                }
                other => match p.lookup(other).map(|id| &p.decl(id).kind) {
                    Some(DeclKind::Fn(f)) => match f.ret.name.name.as_str() {
                        "int" => VT::Int,
                        "bool" => VT::Bool,
                        _ => VT::F32,
                    },
                    _ => VT::F32,
                },
            },
        }
    }
}

fn bits(v: ConstValue, ty: VT) -> u32 {
    match (v, ty) {
        (ConstValue::Bool(b), _) => u32::from(b),
        (ConstValue::Int(i), VT::F32) => (i as f32).to_bits(),
        (ConstValue::Int(i), _) => i as u32,
        (ConstValue::F32(f), _) => f.to_bits(),
    }
}

/// A constant expression's value (literals, consts, arithmetic on them).
fn fold_literal(e: &Expr, p: &Program) -> Option<ConstValue> {
    crate::sema::fold_const(e, p)
}

fn const_ref_value(r: &ast::ConstRef, p: &Program) -> f32 {
    match r {
        ast::ConstRef::Int(i, _) => *i as f32,
        ast::ConstRef::Float(f, _) => *f as f32,
        ast::ConstRef::Name(n) => {
            p.lookup(&n.name).and_then(|id| p.consts.get(&id)).and_then(|v| v.as_f32()).unwrap_or(1.0)
        }
        ast::ConstRef::Negated(inner, _) => -const_ref_value(inner, p),
    }
}

fn multiplier_of(p: &Program, c: &ast::ConstraintDecl) -> Option<DeclId> {
    p.decls.iter().position(|d| matches!(&d.kind, DeclKind::Multiplier(k) if matches!(&p.outputs[*k], Output::Constraint(x) if std::ptr::eq(x, c)))).map(|i| DeclId(i as u32))
}

/// An input's value before the first step, as potentials read it: zero
/// (false) when its declared range allows, else the range's low end.
fn input_before_first_step(spec: &InputSpec) -> u32 {
    let t = match spec.kind {
        InputKind::Scalar(t) | InputKind::Vector(t, _) => t,
        InputKind::Criteria => return 0,
    };
    let zero_allowed = spec.range.is_none_or(|r| r.lo <= 0.0 && if r.inclusive { 0.0 <= r.hi } else { 0.0 < r.hi });
    match (t, spec.range) {
        (_, None) | (VT::Bool, _) => 0,
        (_, Some(_)) if zero_allowed => 0,
        (VT::Int, Some(r)) => (r.lo.ceil() as i32) as u32,
        // Ranges hold for the value after conversion to f32, as the runtime checks them.
        (VT::F32, Some(r)) => (r.lo as f32).to_bits(),
    }
}

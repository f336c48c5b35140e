//! The scalar reference evaluator.
//!
//! A batch of `lanes` episodes advances one step per [`Evaluator::step`]
//! call. The program's tape runs instruction by instruction, each over all
//! lanes (a column of values per slot), which keeps the interpreter's
//! dispatch out of the inner loops. Every lane keeps its own automaton
//! states, registers (`prev`, `total`, `gated`, potentials) and step counter;
//! a lane whose episode ends is reset at the end of that step. Steps do not
//! allocate: all buffers are sized when the evaluator is created.
//!
//! This evaluator defines the semantics; faster paths must match it bit for
//! bit.

use crate::artifact::*;
use crate::diagram::{Diagram, Fused, StepLanes};
use crate::isa::Isa;
use crate::math;
use crate::plan::{self, Kernel, Loc, MAX_CHUNK_LANES, Plan, Segment};
use std::fmt;

/// One input column, in the artifact's input order.
#[derive(Clone, Copy, Debug)]
pub enum Column<'a> {
    Bool(&'a [bool]),
    /// A bool input as bit `bit` (0 to 7) of each lane's byte: a labelling
    /// function's bitmask, one byte per lane that up to eight props share.
    /// Automata read their atoms straight from the bytes (no unpacking).
    Bits {
        bytes: &'a [u8],
        bit: u8,
    },
    Int(&'a [i32]),
    F32(&'a [f32]),
    /// Vector inputs, lane-major: element `k` of lane `l` at `l * len + k`.
    BoolVec(&'a [bool]),
    IntVec(&'a [i32]),
    F32Vec(&'a [f32]),
    /// Ragged checklists: lane `l` owns items `offsets[l]..offsets[l + 1]`.
    Criteria {
        offsets: &'a [u32],
        weights: &'a [f32],
        verdicts: &'a [f32],
    },
}

/// Inputs of one step.
#[derive(Clone, Copy, Debug)]
pub struct StepInput<'a> {
    pub columns: &'a [Column<'a>],
    /// Per lane: this is the episode's last step (truncation). `None`: no lane.
    pub last: Option<&'a [bool]>,
    /// Per lane group id for group terms; `None` puts all lanes in one group,
    /// `u32::MAX` makes a lane its own group.
    pub groups: Option<&'a [u32]>,
    /// Per lane: the lane takes this step. An inactive lane keeps its state,
    /// is left out of group terms, and its outputs are meaningless. `None`:
    /// every lane is active.
    pub active: Option<&'a [bool]>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum StepError {
    ColumnCount {
        expected: usize,
        found: usize,
    },
    ColumnType {
        input: String,
        expected: String,
    },
    ColumnLength {
        input: String,
        expected: usize,
        found: usize,
    },
    LaneFlags {
        what: &'static str,
        expected: usize,
        found: usize,
    },
    OutOfRange {
        input: String,
        lane: usize,
        value: f64,
        range: String,
    },
    /// `lanes` lanes of this program would take more than
    /// [`MAX_EVALUATOR_BYTES`].
    TooLarge {
        lanes: usize,
        bytes_per_lane: usize,
    },
    /// A group (lanes sharing a group id and step index) has more than
    /// [`MAX_GROUP`] members.
    GroupTooLarge {
        size: usize,
    },
    /// A batch (active lanes at one step index) has more than
    /// [`MAX_BATCH`] lanes, and the program has batch terms.
    BatchTooLarge {
        size: usize,
    },
    /// A checklist item with a weight that is negative or not finite, or a
    /// verdict outside [0, 1] (NaN included).
    BadCriterion {
        input: String,
        lane: usize,
        weight: f32,
        verdict: f32,
    },
    /// The evaluation path needs CPU features this machine lacks.
    IsaUnavailable {
        isa: Isa,
    },
    /// An output is NaN; `origin` is where the first NaN of that lane appeared.
    NotANumber {
        output: String,
        lane: usize,
        origin: Option<SourceSpan>,
    },
}

impl fmt::Display for StepError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StepError::ColumnCount { expected, found } => write!(f, "expected {expected} input columns, found {found}"),
            StepError::ColumnType { input, expected } => write!(f, "input `{input}` must be a column of {expected}"),
            StepError::ColumnLength { input, expected, found } => {
                write!(f, "input `{input}` has {found} values, expected {expected}")
            }
            StepError::LaneFlags { what, expected, found } => {
                write!(f, "`{what}` has {found} lanes, expected {expected}")
            }
            StepError::OutOfRange { input, lane, value, range } => {
                write!(f, "input `{input}` is {value} in lane {lane}, outside its declared range {range}")
            }
            StepError::TooLarge { lanes, bytes_per_lane } => write!(
                f,
                "{lanes} lanes of {bytes_per_lane} bytes each pass the evaluator's limit of {} MiB (evaluate fewer lanes at once)",
                MAX_EVALUATOR_BYTES >> 20
            ),
            StepError::BadCriterion { input, lane, weight, verdict } => write!(
                f,
                "an item of `{input}` in lane {lane} has weight {weight} and verdict {verdict}; weights must be finite and non-negative, verdicts in [0, 1]"
            ),
            StepError::BatchTooLarge { size } => {
                write!(
                    f,
                    "a batch has {size} lanes; batch terms take at most {MAX_BATCH} (evaluate fewer lanes at once)"
                )
            }
            StepError::GroupTooLarge { size } => {
                write!(f, "a group has {size} lanes; the limit is {MAX_GROUP} (split the batch into smaller groups)")
            }
            StepError::IsaUnavailable { isa } => {
                write!(f, "evaluation path `{isa}` is not available on this CPU (available: ")?;
                let names: Vec<&str> = Isa::available_paths().iter().map(|i| i.name()).collect();
                write!(f, "{})", names.join(", "))
            }
            StepError::NotANumber { output, lane, origin } => {
                write!(f, "output `{output}` is NaN in lane {lane}")?;
                match origin {
                    Some(s) => write!(f, "; the first NaN comes from {}:{}:{}", s.file, s.line, s.column),
                    None => Ok(()),
                }
            }
        }
    }
}

impl std::error::Error for StepError {}

/// One lane's episode state, from [`Evaluator::save_lane`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LaneState {
    /// Automaton states. (Not the edges last taken: an automaton steps
    /// before anything reads it, which `Artifact::validate` requires, so
    /// they never outlive a step.)
    states: Vec<u32>,
    registers: Vec<u32>,
    /// The step index in the episode, counted where the program reads it
    /// (0 otherwise, on every path).
    steps: u32,
    /// Bits of the running episode sums of episodic constraints.
    episode_sums: Vec<u64>,
}

/// What one step produced, per lane.
#[derive(Clone, Debug, Default)]
pub struct StepOutput {
    pub reward: Vec<f32>,
    pub done: Vec<bool>,
    pub episode_end: Vec<bool>,
    /// The step's discount factor (`discount = ...`; 1 where the spec
    /// declares none).
    pub discount: Vec<f32>,
    /// One column per log, as value bits (see [`ValueType`]).
    pub logs: Vec<Vec<u32>>,
}

#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// `episode_end` is `last` alone: `done` is reported but ends nothing
    /// (benchmarks that step every lane for a fixed horizon).
    pub ignore_done: bool,
    /// Check inputs against their declared ranges.
    pub check_ranges: bool,
    /// Report a NaN reward or log as an error, with the place it came from.
    pub check_nan: bool,
    /// The evaluation path (bit-identical results on every path).
    pub isa: Isa,
}

pub struct Evaluator<'p> {
    program: &'p Artifact,
    lanes: usize,
    options: Options,
    slots: Vec<u32>,
    states: Vec<Vec<u32>>,
    taken: Vec<Vec<u32>>,
    registers: Vec<u32>,
    steps: Vec<u32>,
    params: Vec<u32>,
    /// Per constraint, since the last update: the sum of the value over
    /// steps (per-step constraints) or of the episodes' sums over ended
    /// episodes (episodic ones), and how many were added.
    constraint_sums: Vec<(f64, u64)>,
    /// Per episodic constraint and lane, the running episode's sum.
    episode_sums: Vec<Vec<f64>>,
    output: StepOutput,
    /// Group partition of the current step: lanes sorted by (group, step).
    group_order: Vec<u32>,
    group_runs: Vec<(u32, u32)>,
    /// The batches of the current step (active lanes at one step index),
    /// as index ranges of `group_order` (which holds them group by group)
    /// and of `batch_order` (lane by lane).
    batch_runs: Vec<(u32, u32)>,
    batch_order: Vec<u32>,
    /// Scratch for batch group ranks: (group mean, run start, run end).
    batch_groups: Vec<(f32, u32, u32)>,
    group_ready: bool,
    /// The current step's `group_order` is the identity (every lane active,
    /// one step index, groups in order): groups are runs of lanes.
    groups_in_order: bool,
    scratch: Vec<(f32, u32)>,
    /// Per-lane labels of the automaton being stepped.
    labels: Vec<u64>,
    /// Per automaton, the tables the fast paths step it with (built once,
    /// when the evaluator is made; empty on the scalar path).
    fast: Vec<Option<FastAutomaton>>,
    /// Per-lane dense-table indices of the automaton being stepped (fast paths).
    fast_index: Vec<u32>,
    /// Per-lane labels of a chunk, as bytes (fast paths, automata with at
    /// most 8 atoms).
    fast_labels: Vec<u8>,
    /// Per automaton, the reward classes of the chunk its packed step last
    /// ran on, and whether that was this chunk (reset at each chunk).
    fast_class: Vec<Vec<u8>>,
    class_ready: Vec<bool>,
    /// Per instruction, whether the fast paths skip it: a bool input read
    /// only as an automaton's atom, which the automaton reads from the
    /// input column itself (label packing fused with the lookup).
    fast_skip: Vec<bool>,
    /// The fast paths' plan (empty on the scalar path) and its chunk-sized
    /// temporary columns.
    plan: Plan,
    /// Lanes per chunk of the plan ([`Plan::chunk_lanes`]).
    chunk_lanes: usize,
    /// Whether the program has group terms (decided once, not per step).
    has_groups: bool,
    /// Whether the program reads the step counters (`steps`, `prev`,
    /// potential shaping, group terms); they are kept only then.
    counts_steps: bool,
    /// The automata whose diagram step writes the `reward` and `done`
    /// outputs itself (their member instructions left out of the plan;
    /// see [`fuse_outputs`]).
    fused: FusedOutputs,
    temps: Vec<u32>,
}

/// An automaton's transitions as the fast paths use them, decided once:
/// terminal states and labels no edge matches lead to edge 0, edges are
/// numbered from 1, and constant edge rewards are read from a table.
struct FastAutomaton {
    atoms: u32,
    /// Per atom, the bool input it is (read from the input column), if it is one.
    atom_inputs: Vec<Option<u32>>,
    /// Per `state << atoms | label`: the edge taken, plus one (0: none).
    edge: Vec<u32>,
    /// Per edge plus one: its target (entry 0 unused).
    to: Vec<u32>,
    /// Per edge plus one: its reward's bits (entry 0: 0.0), when every
    /// edge's reward is a constant.
    reward: Option<Vec<u32>>,
    /// Per state, the bits of `terminal`, `distance`, `accepting` and
    /// `violated`, and of each `value(gamma)` table.
    by_state: [Vec<u32>; 4],
    values: Vec<Vec<u32>>,
    /// The transitions packed for one lookup per lane, when they fit.
    packed: Option<Packed>,
    /// The packed table as a permute diagram, on the AVX-512 path of a CPU
    /// with VBMI, when it fits.
    diagram: Option<Diagram>,
}

/// Per `state << atoms | label`, in one `u32`: the next state (a missing
/// edge keeps the state) in the low `state_bits`, then the reward class in
/// `class_bits` (when every edge reward is one of at most 16 constants),
/// then the edge taken plus one.
struct Packed {
    table: Vec<u32>,
    state_bits: u32,
    class_bits: u32,
    /// Per reward class, the reward's bits (empty without classes).
    classes: Vec<u32>,
}

impl Packed {
    fn new(edge: &[u32], to: &[u32], reward: Option<&Vec<u32>>, states: u32, width: usize) -> Option<Packed> {
        let state_bits = 32 - states.saturating_sub(1).leading_zeros();
        let mut classes: Vec<u32> = Vec::new();
        if let Some(reward) = reward {
            for &bits in reward {
                if !classes.contains(&bits) {
                    classes.push(bits);
                }
            }
        }
        if classes.len() > 16 {
            classes.clear();
        }
        let class_bits = 32 - (classes.len() as u32).saturating_sub(1).leading_zeros();
        let edge_bits = 32 - state_bits - class_bits;
        if (to.len() as u64) >= 1 << edge_bits {
            return None;
        }
        let class_of = |e: u32| {
            let bits = reward.map_or(0, |r| r[e as usize]);
            classes.iter().position(|&c| c == bits).unwrap_or(0) as u32
        };
        let table = edge
            .iter()
            .enumerate()
            .map(|(k, &e)| {
                let next = if e == 0 { (k / width) as u32 } else { to[e as usize] };
                e << (state_bits + class_bits) | class_of(e) << state_bits | next
            })
            .collect();
        Some(Packed { table, state_bits, class_bits, classes })
    }
}

impl FastAutomaton {
    /// Tables for a dense automaton; `None` for cube lists (the reference
    /// steps those).
    fn new(spec: &AutomatonSpec, program: &Artifact, slots: &[u32], lanes: usize, isa: Isa) -> Option<FastAutomaton> {
        let Transitions::Dense { table } = &spec.transitions else { return None };
        let atoms = spec.atoms.len() as u32;
        let width = 1usize << atoms;
        let edge: Vec<u32> = table
            .iter()
            .enumerate()
            .map(|(k, &e)| if e == NO_EDGE || spec.terminal[k / width] { 0 } else { e + 1 })
            .collect();
        let to: Vec<u32> = std::iter::once(0).chain(spec.edges.iter().map(|e| e.to)).collect();
        let constant = |slot: Slot| program.code.iter().any(|i| i.dst == slot && is_constant(&i.op)) && lanes > 0;
        let reward = spec.edges.iter().all(|e| e.reward.is_none_or(constant)).then(|| {
            std::iter::once(fb(0.0))
                .chain(spec.edges.iter().map(|e| e.reward.map_or(fb(0.0), |r| slots[r as usize * lanes])))
                .collect()
        });
        let atom_inputs = spec
            .atoms
            .iter()
            .map(|&slot| {
                program.code.iter().find(|i| i.dst == slot).and_then(|i| match i.op {
                    Op::Input(k) if program.inputs[k as usize].kind == InputKind::Scalar(ValueType::Bool) => Some(k),
                    _ => None,
                })
            })
            .collect();
        let states = spec.states.len() as u32;
        let table =
            |member: AutomatonMember| -> Vec<u32> { (0..states).map(|q| state_member(spec, member, q)).collect() };
        let by_state = [
            table(AutomatonMember::Terminal),
            table(AutomatonMember::Distance),
            table(AutomatonMember::Accepting),
            table(AutomatonMember::Violated),
        ];
        let values = (0..spec.values.len() as u32).map(|k| table(AutomatonMember::Value(k))).collect();
        let packed = Packed::new(&edge, &to, reward.as_ref(), states, width);
        let diagram = packed.as_ref().filter(|_| isa == Isa::Avx512 && Diagram::available()).and_then(|p| {
            let fields = (p.state_bits, p.class_bits);
            Diagram::new(&p.table, states as usize, atoms, fields, &p.classes, &by_state[0])
        });
        Some(FastAutomaton { atoms, atom_inputs, edge, to, reward, by_state, values, packed, diagram })
    }
}

fn f(bits: u32) -> f32 {
    f32::from_bits(bits)
}
fn fb(x: f32) -> u32 {
    x.to_bits()
}
fn i(bits: u32) -> i32 {
    bits as i32
}
fn ib(x: i32) -> u32 {
    x as u32
}
fn bb(x: bool) -> u32 {
    u32::from(x)
}

/// `min` and `max` that propagate NaN (IEEE `minimum`/`maximum` without the
/// signed-zero ordering), identical on every path.
#[inline(always)]
pub fn min_f32(a: f32, b: f32) -> f32 {
    if a.is_nan() || b.is_nan() {
        f32::NAN
    } else if b < a {
        b
    } else {
        a
    }
}
#[inline(always)]
pub fn max_f32(a: f32, b: f32) -> f32 {
    if a.is_nan() || b.is_nan() {
        f32::NAN
    } else if b > a {
        b
    } else {
        a
    }
}
/// Most lanes one group may have. Group statistics add in `f32`, and the
/// checker's bounds of group terms account for the rounding of sums of at
/// most this many values.
pub const MAX_GROUP: u32 = 65_536;

/// Most lanes one batch (the active lanes at one step index) may have when
/// the program has batch terms (`batch_mean`, ...): their statistics add in
/// `f32`, and the checker's bounds account for sums of at most this many.
pub const MAX_BATCH: u32 = 1 << 24;

/// Most memory one evaluator may take for its lanes' slots and registers.
pub const MAX_EVALUATOR_BYTES: usize = 4 << 30;

impl<'p> Evaluator<'p> {
    /// Bytes of slots, registers and state one lane takes.
    pub fn bytes_per_lane(program: &Artifact) -> usize {
        4 * (program.slots as usize + program.registers as usize + 2 * program.automata.len() + 8 + program.logs.len())
            + 8 * program.constraints.len()
    }

    /// An evaluator for `lanes` lanes, or an error when their memory would
    /// pass [`MAX_EVALUATOR_BYTES`] (never an allocation that cannot succeed).
    pub fn try_new(program: &'p Artifact, lanes: usize, options: Options) -> Result<Evaluator<'p>, StepError> {
        if !options.isa.available() {
            return Err(StepError::IsaUnavailable { isa: options.isa });
        }
        let per_lane = Self::bytes_per_lane(program);
        if per_lane.saturating_mul(lanes) > MAX_EVALUATOR_BYTES {
            return Err(StepError::TooLarge { lanes, bytes_per_lane: per_lane });
        }
        Ok(Evaluator::new(program, lanes, options))
    }

    /// An evaluator for `lanes` lanes. A path this CPU cannot run becomes
    /// `Portable` (same results); [`Evaluator::try_new`] reports it instead.
    pub fn new(program: &'p Artifact, lanes: usize, mut options: Options) -> Evaluator<'p> {
        if !options.isa.available() {
            options.isa = Isa::Portable;
        }
        let slots = vec![0; program.slots as usize * lanes];
        let states = program.automata.iter().map(|a| vec![a.start; lanes]).collect();
        let taken = program.automata.iter().map(|_| vec![NO_EDGE; lanes]).collect();
        let output = StepOutput {
            reward: vec![0.0; lanes],
            done: vec![false; lanes],
            episode_end: vec![false; lanes],
            discount: vec![1.0; lanes],
            logs: program.logs.iter().map(|_| vec![0; lanes]).collect(),
        };
        let mut evaluator = Evaluator {
            program,
            lanes,
            options,
            slots,
            states,
            taken,
            registers: vec![0; program.registers as usize * lanes],
            steps: vec![0; lanes],
            params: program.params.iter().map(|p| p.default).collect(),
            constraint_sums: vec![(0.0, 0); program.constraints.len()],
            episode_sums: program.constraints.iter().map(|_| vec![0.0; lanes]).collect(),
            output,
            group_order: Vec::with_capacity(lanes),
            group_runs: Vec::with_capacity(lanes),
            batch_runs: Vec::new(),
            batch_order: Vec::new(),
            batch_groups: Vec::new(),
            group_ready: false,
            groups_in_order: false,
            scratch: Vec::with_capacity(lanes),
            labels: vec![0; lanes],
            fast: Vec::new(),
            fast_index: Vec::new(),
            fast_labels: vec![0; MAX_CHUNK_LANES],
            fast_class: program.automata.iter().map(|_| vec![0; MAX_CHUNK_LANES]).collect(),
            class_ready: vec![false; program.automata.len()],
            fast_skip: Vec::new(),
            plan: Plan::default(),
            chunk_lanes: MAX_CHUNK_LANES,
            has_groups: program.code.iter().any(|i| matches!(i.op, Op::Group(..))),
            counts_steps: program
                .code
                .iter()
                .any(|i| matches!(i.op, Op::Steps | Op::Prev { .. } | Op::Potential { .. } | Op::Group(..))),
            fused: FusedOutputs::default(),
            temps: Vec::new(),
        };
        // Constant slots never change: fill them once.
        let no_input = StepInput { columns: &[], last: None, groups: None, active: None };
        for instr in &program.code {
            if is_constant(&instr.op) {
                evaluator.exec(instr, &no_input);
            }
        }
        if options.isa != Isa::Scalar {
            evaluator.fast_index = vec![0; lanes];
            evaluator.fast = program
                .automata
                .iter()
                .map(|a| FastAutomaton::new(a, program, &evaluator.slots, lanes, options.isa))
                .collect();
            evaluator.fast_skip = fused_inputs(program, &evaluator.fast);
            let mut plan = plan::plan(
                program,
                |instr| evaluator.kernel_capable(instr),
                &evaluator.fast_skip,
                |op, reads| slot_reads(program, op, reads),
                options.check_nan,
            );
            if !options.check_nan {
                evaluator.fused = fuse_outputs(program, &evaluator.fast, &mut plan);
            }
            let chunk = plan.chunk_lanes();
            evaluator.chunk_lanes = chunk;
            evaluator.temps = vec![0; plan.temps * chunk];
            for &(t, bits) in &plan.constants {
                evaluator.temps[t as usize * chunk..(t as usize + 1) * chunk].fill(bits);
            }
            evaluator.plan = plan;
        }
        evaluator
    }

    pub fn lanes(&self) -> usize {
        self.lanes
    }

    /// What the last step produced (zeros before the first step).
    pub fn output(&self) -> &StepOutput {
        &self.output
    }

    /// Current state of automaton `a` in every lane.
    pub fn automaton_states(&self, a: usize) -> &[u32] {
        &self.states[a]
    }

    pub fn param(&self, name: &str) -> Option<u32> {
        self.program.params.iter().position(|p| p.name == name).map(|k| self.params[k])
    }

    /// Sets a param (value bits) for the following steps.
    pub fn set_param(&mut self, name: &str, bits: u32) -> bool {
        match self.program.params.iter().position(|p| p.name == name) {
            Some(k) => {
                self.params[k] = bits;
                true
            }
            None => false,
        }
    }

    /// Ends the lane's episode after the step it last took, as a truncation
    /// would have (for a trace that stops before its episode ends): its
    /// episodic constraint sums count for the next multiplier update, and
    /// the lane starts a fresh episode.
    pub fn end_episode(&mut self, lane: usize) {
        for (k, c) in self.program.constraints.iter().enumerate() {
            if c.episodic {
                let sums = &mut self.constraint_sums[k];
                sums.0 += std::mem::take(&mut self.episode_sums[k][lane]);
                sums.1 += 1;
            }
        }
        self.reset_lane(lane);
    }

    /// Puts the evaluator back in the state [`Evaluator::new`] left it in:
    /// every lane at the start of a fresh episode, params at their
    /// defaults, no constraint sums. Reusing an evaluator this way saves
    /// allocating (and zeroing) a new one.
    pub fn reset(&mut self) {
        for (a, spec) in self.program.automata.iter().enumerate() {
            self.states[a].fill(spec.start);
            self.taken[a].fill(NO_EDGE);
        }
        self.registers.fill(0);
        self.steps.fill(0);
        for (p, spec) in self.params.iter_mut().zip(&self.program.params) {
            *p = spec.default;
        }
        self.constraint_sums.fill((0.0, 0));
        for sums in &mut self.episode_sums {
            sums.fill(0.0);
        }
    }

    /// Starts a fresh episode in one lane.
    pub fn reset_lane(&mut self, lane: usize) {
        for (a, spec) in self.program.automata.iter().enumerate() {
            self.states[a][lane] = spec.start;
            self.taken[a][lane] = NO_EDGE;
        }
        for r in 0..self.program.registers as usize {
            self.registers[r * self.lanes + lane] = 0;
        }
        self.steps[lane] = 0;
        for sums in &mut self.episode_sums {
            sums[lane] = 0.0;
        }
    }

    /// [`Evaluator::reset_lane`] for every lane of `lanes` whose episode
    /// ended this step, column by column (branch-free selects, which
    /// vectorise).
    fn reset_ended(&mut self, lanes: std::ops::Range<usize>) {
        let ends = &self.output.episode_end[lanes.clone()];
        for (a, spec) in self.program.automata.iter().enumerate() {
            let (states, taken) = (&mut self.states[a][lanes.clone()], &mut self.taken[a][lanes.clone()]);
            for ((s, t), &end) in states.iter_mut().zip(taken.iter_mut()).zip(ends) {
                let keep = u32::from(end).wrapping_sub(1);
                *s = (*s & keep) | (spec.start & !keep);
                *t = (*t & keep) | (NO_EDGE & !keep);
            }
        }
        for column in self.registers.chunks_exact_mut(self.lanes.max(1)) {
            for (r, &end) in column[lanes.clone()].iter_mut().zip(ends) {
                *r &= u32::from(end).wrapping_sub(1);
            }
        }
        for (s, &end) in self.steps[lanes.clone()].iter_mut().zip(ends) {
            *s &= u32::from(end).wrapping_sub(1);
        }
        for sums in &mut self.episode_sums {
            for (x, &end) in sums[lanes.clone()].iter_mut().zip(ends) {
                if end {
                    *x = 0.0;
                }
            }
        }
    }

    /// A copy of one lane's episode state (automaton states, registers, the
    /// step index), so that a one-lane evaluator can run many interleaved
    /// episodes: save the lane when another episode's step comes, restore
    /// it when this episode's next step does.
    pub fn save_lane(&self, lane: usize) -> LaneState {
        LaneState {
            states: self.states.iter().map(|s| s[lane]).collect(),
            registers: (0..self.program.registers as usize).map(|r| self.registers[r * self.lanes + lane]).collect(),
            steps: self.steps[lane],
            episode_sums: self.episode_sums.iter().map(|s| s[lane].to_bits()).collect(),
        }
    }

    /// Puts a lane back in a state [`Evaluator::save_lane`] returned (for
    /// this program).
    /// A state saved from another program is ignored where it names no
    /// state of this one (automaton states stay valid indices, which
    /// the fast paths rely on).
    pub fn restore_lane(&mut self, lane: usize, state: &LaneState) {
        for (a, (&s, spec)) in state.states.iter().zip(&self.program.automata).enumerate() {
            if (s as usize) < spec.states.len() {
                self.states[a][lane] = s;
            }
        }
        for (r, &v) in state.registers.iter().enumerate() {
            self.registers[r * self.lanes + lane] = v;
        }
        self.steps[lane] = state.steps;
        for (k, &bits) in state.episode_sums.iter().enumerate() {
            self.episode_sums[k][lane] = f64::from_bits(bits);
        }
    }

    /// The end-of-batch update of constraint multipliers:
    /// `lambda = max(0, lambda + lr * (mean(x) - limit))` (for `>=`
    /// constraints the sign of the violation flips), where the mean is over
    /// the steps since the previous update, or for an episodic constraint
    /// over the sums of the episodes that ended since then (PPO-Lagrangian's
    /// update with plain gradient steps). With nothing to average, a
    /// multiplier keeps its value. Returns the new multipliers.
    pub fn end_batch(&mut self) -> Vec<f32> {
        let mut out = Vec::with_capacity(self.program.constraints.len());
        for (k, c) in self.program.constraints.iter().enumerate() {
            let (sum, count) = std::mem::take(&mut self.constraint_sums[k]);
            let lambda = f(self.params[c.param as usize]);
            let updated = if count == 0 {
                lambda
            } else {
                let mean = (sum / count as f64) as f32;
                let violation = if c.upper { mean - c.limit } else { c.limit - mean };
                max_f32(0.0, lambda + c.lr * violation)
            };
            self.params[c.param as usize] = fb(updated);
            out.push(updated);
        }
        out
    }

    fn check_columns(&self, input: &StepInput<'_>) -> Result<(), StepError> {
        let n = self.lanes;
        if input.columns.len() != self.program.inputs.len() {
            return Err(StepError::ColumnCount { expected: self.program.inputs.len(), found: input.columns.len() });
        }
        for (what, flags) in [
            ("last", input.last.map(<[bool]>::len)),
            ("groups", input.groups.map(<[u32]>::len)),
            ("active", input.active.map(<[bool]>::len)),
        ] {
            if let Some(len) = flags
                && len != n
            {
                return Err(StepError::LaneFlags { what, expected: n, found: len });
            }
        }
        for (spec, column) in self.program.inputs.iter().zip(input.columns) {
            let (len, ok) = match (spec.kind, column) {
                (InputKind::Scalar(ValueType::Bool), Column::Bool(c)) => (c.len(), n),
                (InputKind::Scalar(ValueType::Bool), Column::Bits { bytes, bit }) => {
                    if *bit >= 8 {
                        return Err(StepError::ColumnType {
                            input: spec.name.clone(),
                            expected: format!("bits of bytes (bit 0 to 7, not {bit})"),
                        });
                    }
                    (bytes.len(), n)
                }
                (InputKind::Scalar(ValueType::Int), Column::Int(c)) => (c.len(), n),
                (InputKind::Scalar(ValueType::F32), Column::F32(c)) => (c.len(), n),
                (InputKind::Vector(ValueType::Bool, k), Column::BoolVec(c)) => (c.len(), n * k as usize),
                (InputKind::Vector(ValueType::Int, k), Column::IntVec(c)) => (c.len(), n * k as usize),
                (InputKind::Vector(ValueType::F32, k), Column::F32Vec(c)) => (c.len(), n * k as usize),
                (InputKind::Criteria, Column::Criteria { offsets, weights, verdicts }) => {
                    let items = offsets.last().copied().unwrap_or(0) as usize;
                    let consistent = offsets.windows(2).all(|w| w[0] <= w[1])
                        && offsets.first().copied().unwrap_or(0) == 0
                        && weights.len() >= items
                        && verdicts.len() >= items;
                    if !consistent {
                        return Err(StepError::ColumnType {
                            input: spec.name.clone(),
                            expected: "criteria with increasing offsets from 0 covering its weights and verdicts"
                                .into(),
                        });
                    }
                    let bad = (0..items).find(|&it| {
                        !(weights[it].is_finite() && weights[it] >= 0.0 && (0.0..=1.0).contains(&verdicts[it]))
                    });
                    if let Some(it) = bad {
                        return Err(StepError::BadCriterion {
                            input: spec.name.clone(),
                            lane: offsets.partition_point(|&o| o as usize <= it).saturating_sub(1),
                            weight: weights[it],
                            verdict: verdicts[it],
                        });
                    }
                    (offsets.len(), n + 1)
                }
                _ => return Err(StepError::ColumnType { input: spec.name.clone(), expected: spec.kind.to_string() }),
            };
            if len != ok {
                return Err(StepError::ColumnLength { input: spec.name.clone(), expected: ok, found: len });
            }
            if self.options.check_ranges
                && let Some(r) = spec.range
            {
                let outside = |v: f64| v.is_nan() || v < r.lo || if r.inclusive { v > r.hi } else { v >= r.hi };
                // A branch-free scan first (it vectorises); the lane is
                // looked for only when some value is outside.
                let any_outside = match column {
                    Column::Int(c) | Column::IntVec(c) => c.iter().fold(false, |o, &v| o | outside(f64::from(v))),
                    Column::F32(c) | Column::F32Vec(c) => c.iter().fold(false, |o, &v| o | outside(f64::from(v))),
                    _ => false,
                };
                let values: Box<dyn Iterator<Item = f64>> = match column {
                    _ if !any_outside => Box::new(std::iter::empty()),
                    Column::Int(c) | Column::IntVec(c) => Box::new(c.iter().map(|&v| f64::from(v))),
                    Column::F32(c) | Column::F32Vec(c) => Box::new(c.iter().map(|&v| f64::from(v))),
                    _ => Box::new(std::iter::empty()),
                };
                let per_lane = (len / n.max(1)).max(1);
                for (idx, v) in values.enumerate() {
                    let lane_active = input.active.is_none_or(|a| a[idx / per_lane]);
                    if lane_active && outside(v) {
                        let op = if r.inclusive { "..=" } else { ".." };
                        return Err(StepError::OutOfRange {
                            input: spec.name.clone(),
                            lane: idx / per_lane,
                            value: v,
                            range: format!("{}{op}{}", r.lo, r.hi),
                        });
                    }
                }
            }
        }
        Ok(())
    }

    /// Advances every lane by one step.
    pub fn step(&mut self, input: &StepInput<'_>) -> Result<&StepOutput, StepError> {
        self.step_with(input, None)
    }

    /// As [`Evaluator::step`], with the rewards written to `reward` (one
    /// per lane: a trainer's own buffer) instead of [`StepOutput::reward`],
    /// which is left empty. Saves a copy of the rewards per step.
    pub fn step_into(&mut self, input: &StepInput<'_>, reward: &mut [f32]) -> Result<&StepOutput, StepError> {
        if reward.len() != self.lanes {
            return Err(StepError::LaneFlags { what: "reward", expected: self.lanes, found: reward.len() });
        }
        self.step_with(input, Some(reward))
    }

    fn step_with(&mut self, input: &StepInput<'_>, reward: Option<&mut [f32]>) -> Result<&StepOutput, StepError> {
        self.check_columns(input)?;
        self.group_ready = false;
        if self.has_groups {
            self.ensure_groups(input);
            if let Some(&(start, end)) = self.group_runs.iter().find(|(s, e)| e - s > MAX_GROUP) {
                return Err(StepError::GroupTooLarge { size: (end - start) as usize });
            }
            if let Some(&(start, end)) = self.batch_runs.iter().find(|(s, e)| e - s > MAX_BATCH) {
                return Err(StepError::BatchTooLarge { size: (end - start) as usize });
            }
        }
        self.run_tape(input, reward)?;
        Ok(&self.output)
    }

    /// The step's outputs and episode bookkeeping, after the tape ran
    /// (inlined into each path's function, so it is compiled with that
    /// path's target features).
    #[inline(always)]
    fn finish_step(&mut self, input: &StepInput<'_>, reward: Option<&mut [f32]>) -> Result<(), StepError> {
        let n = self.lanes;
        // The rewards go to the caller's buffer (`StepOutput::reward` is
        // then left empty) or to `StepOutput::reward`. No closures here:
        // they would not be compiled with the path's target features.
        let mut own = std::mem::take(&mut self.output.reward);
        let target = reward_target(&mut own, reward, n);
        let any_end = self.finish_outputs(input, target, 0..n);
        self.output.reward = own;
        if self.options.check_nan {
            let active = |l: usize| input.active.is_none_or(|a| a[l]);
            self.check_nan(&active)?;
        }
        self.finish_episodes(input, any_end, 0..n);
        Ok(())
    }

    /// The step's outputs for `lanes`: rewards (to `reward`, indexed from
    /// the range's start), `done`, episode ends and logs, and the step
    /// counters. Returns whether an episode ended.
    #[inline(always)]
    fn finish_outputs(&mut self, input: &StepInput<'_>, reward: &mut [f32], lanes: std::ops::Range<usize>) -> bool {
        let n = self.lanes;
        let p = self.program;
        let column = |s: Slot| &self.slots[s as usize * n + lanes.start..s as usize * n + lanes.end];
        // A fused reward is already in `reward` (see `FusedOutputs`).
        if self.fused.reward.is_none() {
            for (o, &bits) in reward.iter_mut().zip(column(p.reward)) {
                *o = f(canonical_nan(bits));
            }
        }
        // `done`, episode ends (of active lanes) and step counters in one
        // pass. Step counters saturate at i32::MAX (`steps` is a
        // non-negative int); inactive lanes keep theirs; ended episodes
        // restart in `finish_episodes`.
        let flags = FinishFlags {
            done_bits: p.done.map_or(&[][..], column),
            last: input.last.map_or(&[][..], |l| &l[lanes.clone()]),
            active: input.active.map_or(&[][..], |a| &a[lanes.clone()]),
            ends_on_done: !self.options.ignore_done,
            count_steps: self.counts_steps,
        };
        let (done, ends, steps) = (
            &mut self.output.done[lanes.clone()],
            &mut self.output.episode_end[lanes.clone()],
            &mut self.steps[lanes.clone()],
        );
        // Where `done` comes from: nowhere, its slot, or (fused) already
        // in the output.
        let done_from = match (p.done, self.fused.done) {
            (None, _) => DONE_NONE,
            (Some(_), None) => DONE_SLOT,
            (Some(_), Some(_)) => DONE_OUTPUT,
        };
        macro_rules! run {
            ($($from:ident),*) => {
                match (done_from, input.last.is_some(), input.active.is_some()) {
                    $(
                        ($from, false, false) => flags.run::<$from, false, false>(done, ends, steps),
                        ($from, false, true) => flags.run::<$from, false, true>(done, ends, steps),
                        ($from, true, false) => flags.run::<$from, true, false>(done, ends, steps),
                        ($from, true, true) => flags.run::<$from, true, true>(done, ends, steps),
                    )*
                    _ => unreachable!("`done_from` is one of the three"),
                }
            };
        }
        let any_end = run!(DONE_NONE, DONE_SLOT, DONE_OUTPUT);
        if let Some(d) = p.discount {
            for (o, &bits) in self.output.discount[lanes.clone()].iter_mut().zip(column(d)) {
                *o = f(canonical_nan(bits));
            }
        }
        for (k, log) in p.logs.iter().enumerate() {
            let column = column(log.slot);
            let out = &mut self.output.logs[k][lanes.clone()];
            if log.ty == ValueType::F32 {
                out.iter_mut().zip(column).for_each(|(o, &bits)| *o = canonical_nan(bits));
            } else {
                out.copy_from_slice(column);
            }
        }
        any_end
    }

    /// The episode bookkeeping of `lanes` after [`Evaluator::finish_outputs`]:
    /// constraint sums (added in lane order), register writes, and fresh
    /// episodes where one ended.
    #[inline(always)]
    fn finish_episodes(&mut self, input: &StepInput<'_>, any_end: bool, lanes: std::ops::Range<usize>) {
        let n = self.lanes;
        let p = self.program;
        let slot = |s: Slot| s as usize * n;
        let active = |l: usize| input.active.is_none_or(|a| a[l]);
        for (k, c) in p.constraints.iter().enumerate() {
            let base = slot(c.value);
            let sums = &mut self.constraint_sums[k];
            for l in lanes.clone().filter(|&l| active(l)) {
                let x = f64::from(f(self.slots[base + l]));
                if c.episodic {
                    let episode = &mut self.episode_sums[k][l];
                    *episode += x;
                    if self.output.episode_end[l] {
                        sums.0 += std::mem::take(episode);
                        sums.1 += 1;
                    }
                } else {
                    sums.0 += x;
                    sums.1 += 1;
                }
            }
        }
        for &(reg, s) in &p.register_writes {
            let (r, b) = (reg as usize * n, slot(s));
            for l in lanes.clone().filter(|&l| active(l)) {
                self.registers[r + l] = self.slots[b + l];
            }
        }
        if any_end {
            self.reset_ended(lanes);
        }
    }

    /// Runs the tape's non-constant instructions on the chosen path, then
    /// [`Evaluator::finish_step`].
    fn run_tape(&mut self, input: &StepInput<'_>, reward: Option<&mut [f32]>) -> Result<(), StepError> {
        match self.options.isa {
            Isa::Scalar => {
                let program = self.program;
                for instr in &program.code {
                    if !is_constant(&instr.op) {
                        self.exec(instr, input);
                    }
                }
                self.finish_step(input, reward)
            }
            Isa::Portable => self.run_fast_and_finish(input, reward),
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `try_new`/`new` keep `isa` to paths this CPU has.
            Isa::Avx2 => unsafe { self.run_tape_avx2(input, reward) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: as above.
            Isa::Avx512 => unsafe { self.run_tape_avx512(input, reward) },
            #[cfg(not(target_arch = "x86_64"))]
            Isa::Avx2 | Isa::Avx512 => self.run_fast_and_finish(input, reward),
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn run_tape_avx2(&mut self, input: &StepInput<'_>, reward: Option<&mut [f32]>) -> Result<(), StepError> {
        self.run_fast_and_finish(input, reward)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512bw,avx512vl")]
    fn run_tape_avx512(&mut self, input: &StepInput<'_>, reward: Option<&mut [f32]>) -> Result<(), StepError> {
        self.run_fast_and_finish(input, reward)
    }

    /// Whether this evaluator's steps finish chunk by chunk (see
    /// [`Evaluator::run_fast_and_finish`]); for tests.
    #[doc(hidden)]
    pub fn finishes_chunk_by_chunk(&self) -> bool {
        self.options.isa != Isa::Scalar
            && !self.options.check_nan
            && matches!(self.plan.segments.as_slice(), [Segment::Chunked(_)])
    }

    /// Whether the step writes the `reward` and `done` outputs from an
    /// automaton's diagram step (see `FusedOutputs`); for tests.
    #[doc(hidden)]
    pub fn fused_outputs(&self) -> (bool, bool) {
        (self.fused.reward.is_some(), self.fused.done.is_some())
    }

    /// The fast paths' step. When the whole tape is one chunked run (no
    /// group, batch or register terms) and NaN checks are off, each chunk
    /// of lanes is finished (outputs, constraint sums, resets) right after
    /// its kernels, while its columns are in cache: every finishing step is
    /// lane-local or adds in lane order, so this is the same computation.
    #[inline(always)]
    fn run_fast_and_finish(&mut self, input: &StepInput<'_>, reward: Option<&mut [f32]>) -> Result<(), StepError> {
        if !self.finishes_chunk_by_chunk() {
            self.run_tape_fast(input);
            return self.finish_step(input, reward);
        }
        let plan = std::mem::take(&mut self.plan);
        let mut own = std::mem::take(&mut self.output.reward);
        let target = reward_target(&mut own, reward, self.lanes);
        if let [Segment::Chunked(kernels)] = plan.segments.as_slice() {
            for lo in (0..self.lanes).step_by(self.chunk_lanes) {
                let hi = (lo + self.chunk_lanes).min(self.lanes);
                self.class_ready.fill(false);
                for kernel in kernels {
                    self.exec_kernel(kernel, input, lo, hi, &mut target[lo..hi]);
                }
                let any_end = self.finish_outputs(input, &mut target[lo..hi], lo..hi);
                self.finish_episodes(input, any_end, lo..hi);
            }
        }
        self.output.reward = own;
        self.plan = plan;
        Ok(())
    }

    /// The fast paths: the plan's chunked runs run kernel by kernel over
    /// chunks of lanes (inlined into the caller, so they are compiled with
    /// its target features); the other instructions run the reference's code.
    #[inline(always)]
    fn run_tape_fast(&mut self, input: &StepInput<'_>) {
        let plan = std::mem::take(&mut self.plan);
        for segment in &plan.segments {
            match segment {
                Segment::Chunked(kernels) => {
                    for lo in (0..self.lanes).step_by(self.chunk_lanes) {
                        let hi = (lo + self.chunk_lanes).min(self.lanes);
                        self.class_ready.fill(false);
                        for kernel in kernels {
                            self.exec_kernel(kernel, input, lo, hi, &mut []);
                        }
                    }
                }
                &Segment::Whole(k) => {
                    let program = self.program;
                    self.exec(&program.code[k], input);
                }
            }
        }
        self.plan = plan;
    }

    /// Whether [`Evaluator::exec_kernel`] runs this instruction (constants
    /// count: they are filled once and skipped).
    #[inline(always)]
    fn kernel_capable(&self, instr: &Instr) -> bool {
        let fast = |m: u32| self.fast.get(m as usize).and_then(Option::as_ref);
        match &instr.op {
            Op::ConstF32(_) | Op::ConstI32(_) | Op::ConstBool(_) => true,
            Op::Bin(..) | Op::Un(..) | Op::Select(..) | Op::Input(_) | Op::InputElem(..) | Op::Param(_) => true,
            // Lane-local: each lane reads and writes its own registers and
            // step counter, so chunks keep every lane's order of effects.
            Op::Steps | Op::EpisodeEnd(_) | Op::Prev { .. } | Op::Total { .. } | Op::Gated { .. } => true,
            Op::Potential { .. } => true,
            Op::Step(m) => fast(*m).is_some(),
            Op::Member(m, AutomatonMember::Reward) => fast(*m).is_some_and(|f| f.reward.is_some()),
            Op::Member(m, _) => fast(*m).is_some(),
            _ => false,
        }
    }

    /// A specialised loop for one planned instruction over lanes `lo..hi`
    /// (at most the plan's chunk); false (doing nothing) for an instruction
    /// [`Evaluator::kernel_capable`] does not admit. `fused_reward` is the
    /// chunk's reward output, which a step with a fused reward writes
    /// ([`FusedOutputs`]; empty otherwise).
    #[inline(always)]
    fn exec_kernel(
        &mut self,
        kernel: &Kernel,
        input: &StepInput<'_>,
        lo: usize,
        hi: usize,
        fused_reward: &mut [f32],
    ) -> bool {
        let n = self.lanes;
        let instr = &self.program.code[kernel.instr];
        let width = hi - lo;
        let chunk = self.chunk_lanes;
        debug_assert!(width <= chunk && chunk <= MAX_CHUNK_LANES && hi <= n);
        // Every column below comes from these two pointers, so no reference
        // to the whole of `slots` or `temps` exists while `out` does.
        let slots = self.slots.as_mut_ptr();
        let temps = self.temps.as_mut_ptr();
        // SAFETY: the plan keeps slot locations below the program's slot
        // count (`slots` holds `lanes` values per slot, `lo + width <= lanes`)
        // and temporaries below its temporary count (`chunk` values each,
        // `width <= chunk`).
        let at = |loc: Loc| unsafe {
            match loc {
                Loc::Slot(s) => slots.add(s as usize * n + lo),
                Loc::Temp(t) => temps.add(t as usize * chunk),
            }
        };
        // SAFETY: in bounds as above; the plan never gives a kernel an
        // operand (or any slot it reads) that is its destination, so `out`
        // aliases nothing read below.
        let out = unsafe { std::slice::from_raw_parts_mut(at(kernel.dst), width) };
        // SAFETY: as above.
        let arg = |k: usize| unsafe { std::slice::from_raw_parts(at(kernel.args[k]), width) };
        // A full slot column at the chunk's lanes (automaton atoms).
        // SAFETY: as above; `s` is below the slot count (validated program).
        let column = |s: Slot| -> Option<&[u32]> {
            ((s as usize) < self.program.slots as usize && Loc::Slot(s) != kernel.dst)
                .then(|| unsafe { std::slice::from_raw_parts(slots.add(s as usize * n + lo), width) })
        };
        let active = input.active.map(|a| &a[lo..hi]);
        // A register's column at the chunk's lanes.
        let register = |reg: u32| reg as usize * n + lo..reg as usize * n + hi;
        let steps = &self.steps[lo..hi];
        match &instr.op {
            Op::Bin(op, ..) => bin_kernel(*op, out, arg(0), arg(1)),
            Op::Param(p) => out.fill(self.params[*p as usize]),
            Op::Steps => out.copy_from_slice(steps),
            Op::EpisodeEnd(done) => {
                let ends_on_done = !self.options.ignore_done;
                let done = match done {
                    Some(d) => Some(match column(*d) {
                        Some(c) => c,
                        None => return false,
                    }),
                    None => None,
                };
                match (input.last.map(|flags| &flags[lo..hi]), done) {
                    (Some(last), Some(done)) => {
                        for ((o, &last), &d) in out.iter_mut().zip(last).zip(done) {
                            *o = bb(last | (ends_on_done & (d != 0)));
                        }
                    }
                    (Some(last), None) => out.iter_mut().zip(last).for_each(|(o, &last)| *o = bb(last)),
                    (None, Some(done)) => out.iter_mut().zip(done).for_each(|(o, &d)| *o = bb(ends_on_done & (d != 0))),
                    (None, None) => out.fill(0),
                }
            }
            Op::Prev { reg, default } => {
                let Some(default) = column(*default) else { return false };
                let previous = &self.registers[register(*reg)];
                for (((o, &s), &d), &r) in out.iter_mut().zip(steps).zip(default).zip(previous) {
                    *o = if s == 0 { d } else { r };
                }
            }
            Op::Total { reg, value, ty } => {
                let Some(value) = column(*value) else { return false };
                let registers = &mut self.registers[register(*reg)];
                running_sum(*ty, out, registers, value, active);
            }
            Op::Gated { reg, cond, value, end, ty } => {
                let (Some(cond), Some(value), Some(end)) = (column(*cond), column(*value), column(*end)) else {
                    return false;
                };
                let registers = &mut self.registers[register(*reg)];
                // The running sum, as `total`; paid where the episode ends
                // and the condition holds.
                running_sum(*ty, out, registers, value, active);
                for ((o, &e), &c) in out.iter_mut().zip(end).zip(cond) {
                    *o &= 0u32.wrapping_sub(u32::from((e != 0) & (c != 0)));
                }
            }
            Op::Potential { reg, now, start, gamma, done } => {
                let (Some(now), Some(start)) = (column(*now), column(*start)) else { return false };
                let done = match done {
                    Some(d) => Some(match column(*d) {
                        Some(c) => c,
                        None => return false,
                    }),
                    None => None,
                };
                let registers = &mut self.registers[register(*reg)];
                let potential =
                    Potential { steps, now, start, done: done.unwrap_or(&[]), active: active.unwrap_or(&[]) };
                match (done.is_some(), active.is_some()) {
                    (true, true) => potential.run::<true, true>(out, registers, *gamma),
                    (true, false) => potential.run::<true, false>(out, registers, *gamma),
                    (false, true) => potential.run::<false, true>(out, registers, *gamma),
                    (false, false) => potential.run::<false, false>(out, registers, *gamma),
                }
            }
            Op::Un(op, _) => un_kernel(*op, out, arg(0)),
            Op::Select(..) => {
                let (c, x, y) = (arg(0), arg(1), arg(2));
                for (((d, &c), &x), &y) in out.iter_mut().zip(c).zip(x).zip(y) {
                    // `if c != 0 { x } else { y }` as a mask, which vectorises.
                    let mask = 0u32.wrapping_sub(u32::from(c != 0));
                    *d = (x & mask) | (y & !mask);
                }
            }
            Op::Input(k) => match input.columns[*k as usize] {
                Column::Bool(c) => out.iter_mut().zip(&c[lo..hi]).for_each(|(d, &v)| *d = bb(v)),
                Column::Bits { bytes, bit } => {
                    out.iter_mut().zip(&bytes[lo..hi]).for_each(|(d, &v)| *d = u32::from(v >> bit & 1))
                }
                Column::Int(c) => out.iter_mut().zip(&c[lo..hi]).for_each(|(d, &v)| *d = ib(v)),
                Column::F32(c) => out.iter_mut().zip(&c[lo..hi]).for_each(|(d, &v)| *d = fb(v)),
                _ => return false,
            },
            Op::InputElem(k, e) => {
                let InputKind::Vector(_, len) = self.program.inputs[*k as usize].kind else { return false };
                let (len, e) = (len as usize, *e as usize);
                let lanes = lo * len..hi * len;
                match input.columns[*k as usize] {
                    Column::BoolVec(c) if len == 8 => {
                        // Each lane's eight flags as one little-endian u64:
                        // a shift per lane instead of byte shuffles.
                        let rows = &c[lanes];
                        // SAFETY: a `bool` is one byte, 0 or 1: a valid `u8`.
                        let bytes: &[u8] = unsafe { std::slice::from_raw_parts(rows.as_ptr().cast(), rows.len()) };
                        let shift = 8 * e as u32;
                        for (d, row) in out.iter_mut().zip(bytes.as_chunks::<8>().0) {
                            *d = (u64::from_le_bytes(*row) >> shift) as u32 & 1;
                        }
                    }
                    Column::BoolVec(c) => gather_element(out, &c[lanes], len, e, bb),
                    Column::IntVec(c) => element_of_words(self.options.isa, out, words_of(&c[lanes]), len, e),
                    Column::F32Vec(c) => element_of_words(self.options.isa, out, words_of(&c[lanes]), len, e),
                    _ => return false,
                }
            }
            Op::Step(m) => {
                let m = *m as usize;
                let Some(Some(fast)) = self.fast.get(m) else { return false };
                let spec = &self.program.automata[m];
                // The table index column by column (state, then one atom
                // at a time), then one branch-free lookup per lane.
                let (states, taken) = (&mut self.states[m][lo..hi], &mut self.taken[m][lo..hi]);
                let atoms = fast.atoms;
                if let (Some(packed), true) = (&fast.packed, atoms <= 8) {
                    // Each atom's column at this chunk's lanes.
                    let mut sources = [AtomSource::Slot(&[]); 8];
                    for ((source, &atom), input_k) in sources.iter_mut().zip(&spec.atoms).zip(&fast.atom_inputs) {
                        *source = match input_k.map(|input_k| input.columns[input_k as usize]) {
                            Some(Column::Bool(flags)) => AtomSource::Flags(&flags[lo..hi]),
                            Some(Column::Bits { bytes, bit }) => AtomSource::Bits(&bytes[lo..hi], bit),
                            _ => match column(atom) {
                                Some(bits) => AtomSource::Slot(bits),
                                None => return false,
                            },
                        };
                    }
                    let sources = &sources[..spec.atoms.len()];
                    let isa = self.options.isa;
                    let lanes = StepLanes {
                        states,
                        taken,
                        classes: &mut self.fast_class[m][..width],
                        active,
                        // The state column only when something reads it.
                        out: kernel.dst_read.then_some(out),
                    };
                    self.class_ready[m] = !packed.classes.is_empty();
                    #[cfg(target_arch = "x86_64")]
                    if let Some(diagram) = &fast.diagram {
                        // Atoms that are bits of one byte column: the
                        // diagram reads the bytes as they are; others are
                        // packed into label bytes first.
                        let (labels, masks) = match shared_label_bytes(sources) {
                            Some((bytes, masks)) => (bytes, masks),
                            None => {
                                pack_atoms(&mut self.fast_labels[..width], sources, 0);
                                (&self.fast_labels[..width], IDENTITY_MASKS)
                            }
                        };
                        let fused_here = self.fused.reward == Some(m as u32);
                        self.class_ready[m] &= !(fused_here && self.fused.skip_edges);
                        let fused = Fused {
                            reward: fused_here.then_some(fused_reward),
                            terminal: (self.fused.done == Some(m as u32)).then(|| &mut self.output.done[lo..hi]),
                            skip_edges: fused_here && self.fused.skip_edges,
                        };
                        // SAFETY: a diagram exists only on the AVX-512 path
                        // of a CPU with VBMI (`FastAutomaton::new`); states
                        // are valid (see below) and labels have `atoms`
                        // bits; the fused columns are the chunk's.
                        unsafe { diagram.step_avx512(labels, &masks, lanes, fused) };
                        return true;
                    }
                    // Labels as bytes (64 lanes per vector while packing),
                    // then one lookup per lane gives the edge and the state.
                    let labels = &mut self.fast_labels[..width];
                    pack_atoms(labels, sources, 0);
                    // SAFETY: states are valid state indices (see below) and
                    // labels have `atoms` bits: every index is inside `packed`.
                    unsafe { step_packed(isa, packed, atoms, labels, lanes) };
                    return true;
                }
                let index = &mut self.fast_index[lo..hi];
                for (i, &s) in index.iter_mut().zip(states.iter()) {
                    *i = s << atoms;
                }
                for (k, &atom) in spec.atoms.iter().enumerate() {
                    match fast.atom_inputs[k].map(|input_k| input.columns[input_k as usize]) {
                        Some(Column::Bool(flags)) => {
                            for (i, &flag) in index.iter_mut().zip(&flags[lo..hi]) {
                                *i |= u32::from(flag) << k;
                            }
                            continue;
                        }
                        Some(Column::Bits { bytes, bit }) => {
                            for (i, &byte) in index.iter_mut().zip(&bytes[lo..hi]) {
                                *i |= u32::from(byte >> bit & 1) << k;
                            }
                            continue;
                        }
                        _ => {}
                    }
                    let Some(bits) = column(atom) else { return false };
                    for (i, &bit) in index.iter_mut().zip(bits) {
                        *i |= (bit & 1) << k;
                    }
                }
                let (edges, targets) = (fast.edge.as_slice(), fast.to.as_slice());
                // SAFETY: states are valid state indices (they come from
                // `start`, validated edge targets, or `restore_lane`, which
                // checks them) and labels have `atoms` bits, so every index
                // is below `states << atoms`, the dense table's validated
                // length; `isa` is a path this CPU has.
                unsafe { gather(self.options.isa, edges, index, out) };
                if let Some(active) = active {
                    // An inactive lane takes no edge.
                    for (o, &a) in out.iter_mut().zip(active) {
                        *o &= 0u32.wrapping_sub(u32::from(a));
                    }
                }
                // The edges' targets, into the index buffer (no longer needed).
                // SAFETY: every edge is 0 or a validated edge index plus one,
                // below `to.len()` (entry 0 exists and is unused).
                unsafe { gather(self.options.isa, targets, out, index) };
                for (((o, s), t), &target) in
                    out.iter_mut().zip(states.iter_mut()).zip(taken.iter_mut()).zip(index.iter())
                {
                    let edge = *o;
                    // `if edge != 0 { target } else { s }` as a mask, which vectorises.
                    let moved = 0u32.wrapping_sub(u32::from(edge != 0));
                    let next = (target & moved) | (*s & !moved);
                    *s = next;
                    *t = edge.wrapping_sub(1);
                    *o = next;
                }
            }
            Op::Member(m, member) => {
                let m = *m as usize;
                let Some(Some(fast)) = self.fast.get(m) else { return false };
                let states = &self.states[m][lo..hi];
                let isa = self.options.isa;
                // SAFETY (gathers below): states are valid state indices (see
                // `Op::Step`), the tables have one entry per state, and taken
                // edges plus one index the reward table.
                match *member {
                    AutomatonMember::State => out.copy_from_slice(states),
                    AutomatonMember::In(q) => {
                        for (o, &s) in out.iter_mut().zip(states) {
                            *o = bb(s == q);
                        }
                    }
                    AutomatonMember::Reward => {
                        let Some(reward) = &fast.reward else { return false };
                        if self.class_ready.get(m) == Some(&true)
                            && let (Some(classes), Some(packed)) = (self.fast_class.get(m), &fast.packed)
                            && !packed.classes.is_empty()
                        {
                            // This chunk's step left each lane's reward class
                            // (its edge's constant reward, among at most 16).
                            lookup_classes(isa, &packed.classes, &classes[..width], out);
                        } else {
                            let index = &mut self.fast_index[lo..hi];
                            for (i, &e) in index.iter_mut().zip(&self.taken[m][lo..hi]) {
                                *i = e.wrapping_add(1);
                            }
                            unsafe { lookup(isa, reward, index, out) };
                        }
                    }
                    AutomatonMember::Value(k) => {
                        let Some(table) = fast.values.get(k as usize) else { return false };
                        unsafe { lookup(isa, table, states, out) };
                    }
                    member => {
                        let k = match member {
                            AutomatonMember::Terminal => 0,
                            AutomatonMember::Distance => 1,
                            AutomatonMember::Accepting => 2,
                            _ => 3,
                        };
                        unsafe { lookup(isa, &fast.by_state[k], states, out) };
                    }
                }
            }
            _ => return false,
        }
        true
    }

    /// The first NaN output of an active lane, traced to the first
    /// instruction (in dependency order) that produced a NaN in that lane.
    fn check_nan(&self, active: &dyn Fn(usize) -> bool) -> Result<(), StepError> {
        let p = self.program;
        let n = self.lanes;
        let outputs = std::iter::once(("reward".to_string(), p.reward, ValueType::F32))
            .chain(p.logs.iter().map(|l| (l.name.clone(), l.slot, l.ty)));
        for (name, slot, ty) in outputs {
            if ty != ValueType::F32 {
                continue;
            }
            for l in (0..n).filter(|&l| active(l)) {
                if f(self.slots[slot as usize * n + l]).is_nan() {
                    let origin = p.code.iter().enumerate().find_map(|(pc, instr)| {
                        let produced_nan = p.slot_types[instr.dst as usize] == ValueType::F32
                            && f(self.slots[instr.dst as usize * n + l]).is_nan();
                        produced_nan.then(|| p.spans.get(pc).cloned().flatten()).flatten()
                    });
                    return Err(StepError::NotANumber { output: name, lane: l, origin });
                }
            }
        }
        Ok(())
    }

    fn ensure_groups(&mut self, input: &StepInput<'_>) {
        if self.group_ready {
            return;
        }
        let n = self.lanes;
        self.group_order.clear();
        self.group_order.extend(0..n as u32);
        let key = |l: u32| -> (u64, u32) {
            let inactive = input.active.is_some_and(|a| !a[l as usize]);
            let g = if inactive { u32::MAX } else { input.groups.map_or(0, |g| g[l as usize]) };
            // A lane with u32::MAX is alone: its lane index makes the key unique.
            let g = if g == u32::MAX { (1u64 << 32) | u64::from(l) } else { u64::from(g) };
            (g, self.steps[l as usize])
        };
        // Sorted by (step, inactive, group, lane): the active lanes of one
        // step index (a batch) are a run of whole groups, before that step's
        // inactive lanes, in both this order and `batch_order`, so batch
        // ranges mean the same lanes in both. Keys are unique (the lane
        // breaks ties): an unstable sort is deterministic and does not
        // allocate.
        let inactive_lane = |l: u32| input.active.is_some_and(|a| !a[l as usize]);
        // The common case, one step of whole groups in order with every lane
        // active (an LLM batch), is already sorted: skip the sort.
        let in_order = input.active.is_none_or(|a| a.iter().fold(true, |all, &x| all & x))
            && self.steps.iter().fold(true, |same, &s| same & (s == self.steps[0]))
            && input
                .groups
                .is_none_or(|g| g.windows(2).fold(true, |up, w| up & (w[0] <= w[1])) && !g.contains(&u32::MAX));
        if !in_order {
            self.group_order.sort_unstable_by_key(|&l| {
                let (g, step) = key(l);
                (step, inactive_lane(l), g, l)
            });
        }
        self.group_runs.clear();
        self.batch_runs.clear();
        self.groups_in_order = in_order;
        let mut start = 0;
        match input.groups {
            // In order, the keys differ exactly where the group ids do.
            Some(g) if in_order => {
                for (k, pair) in g[..n].windows(2).enumerate() {
                    if pair[0] != pair[1] {
                        self.group_runs.push((start as u32, k as u32 + 1));
                        start = k + 1;
                    }
                }
                if n > 0 {
                    self.group_runs.push((start as u32, n as u32));
                }
            }
            _ => {
                for k in 1..=n {
                    if k == n || key(self.group_order[k]) != key(self.group_order[start]) {
                        self.group_runs.push((start as u32, k as u32));
                        start = k;
                    }
                }
            }
        }
        // Inactive lanes are alone in their group and outside every batch.
        let inactive = |l: u32| input.active.is_some_and(|a| !a[l as usize]);
        self.batch_order.clear();
        if !self.program.code.iter().any(|i| matches!(i.op, Op::Group(op, _) if op.is_batch())) {
            self.group_ready = true;
            return;
        }
        // Lane by lane within each step index (inactive lanes last, as in
        // `group_order`): the batch terms' order.
        self.batch_order.extend_from_slice(&self.group_order);
        let steps = &self.steps;
        self.batch_order.sort_unstable_by_key(|&l| (steps[l as usize], inactive(l), l));
        let mut start = 0;
        for k in 1..=n {
            let step = |k: usize| self.steps[self.group_order[k] as usize];
            if k == n || step(k) != step(start) || inactive(self.group_order[k]) != inactive(self.group_order[start]) {
                if !inactive(self.group_order[start]) {
                    self.batch_runs.push((start as u32, k as u32));
                }
                start = k;
            }
        }
        self.group_ready = true;
    }

    fn exec(&mut self, instr: &Instr, input: &StepInput<'_>) {
        let n = self.lanes;
        let dst = instr.dst as usize * n;
        let col = |s: Slot| s as usize * n;
        match &instr.op {
            Op::ConstF32(v) => self.slots[dst..dst + n].fill(fb(*v)),
            Op::ConstI32(v) => self.slots[dst..dst + n].fill(ib(*v)),
            Op::ConstBool(v) => self.slots[dst..dst + n].fill(bb(*v)),
            Op::Param(p) => {
                let v = self.params[*p as usize];
                self.slots[dst..dst + n].fill(v);
            }
            Op::Input(k) => match input.columns[*k as usize] {
                Column::Bool(c) => (0..n).for_each(|l| self.slots[dst + l] = bb(c[l])),
                Column::Bits { bytes, bit } => {
                    (0..n).for_each(|l| self.slots[dst + l] = u32::from(bytes[l] >> bit & 1))
                }
                Column::Int(c) => (0..n).for_each(|l| self.slots[dst + l] = ib(c[l])),
                Column::F32(c) => (0..n).for_each(|l| self.slots[dst + l] = fb(c[l])),
                _ => {}
            },
            Op::InputElem(k, e) => {
                let len = match self.program.inputs[*k as usize].kind {
                    InputKind::Vector(_, len) => len as usize,
                    _ => 1,
                };
                let e = *e as usize;
                match input.columns[*k as usize] {
                    Column::BoolVec(c) => (0..n).for_each(|l| self.slots[dst + l] = bb(c[l * len + e])),
                    Column::IntVec(c) => (0..n).for_each(|l| self.slots[dst + l] = ib(c[l * len + e])),
                    Column::F32Vec(c) => (0..n).for_each(|l| self.slots[dst + l] = fb(c[l * len + e])),
                    _ => {}
                }
            }
            Op::Steps => (0..n).for_each(|l| self.slots[dst + l] = self.steps[l]),
            Op::EpisodeEnd(done) => {
                for l in 0..n {
                    let last = input.last.is_some_and(|flags| flags[l]);
                    let d = !self.options.ignore_done && done.is_some_and(|d| self.slots[col(d) + l] != 0);
                    self.slots[dst + l] = bb(last || d);
                }
            }
            Op::Un(op, a) => {
                let a = col(*a);
                for l in 0..n {
                    self.slots[dst + l] = un(*op, self.slots[a + l]);
                }
            }
            Op::Bin(op, a, b) => {
                let (a, b) = (col(*a), col(*b));
                for l in 0..n {
                    let (x, y) = (self.slots[a + l], self.slots[b + l]);
                    self.slots[dst + l] = bin(*op, x, y);
                }
            }
            Op::Select(c, a, b) => {
                let (c, a, b) = (col(*c), col(*a), col(*b));
                for l in 0..n {
                    self.slots[dst + l] = if self.slots[c + l] != 0 { self.slots[a + l] } else { self.slots[b + l] };
                }
            }
            Op::Step(m) => self.step_automaton(*m as usize, dst, input.active),
            Op::Member(m, member) => {
                let spec = &self.program.automata[*m as usize];
                let states = &self.states[*m as usize];
                for (l, &state) in states.iter().enumerate() {
                    self.slots[dst + l] = match member {
                        AutomatonMember::Reward => match self.taken[*m as usize][l] {
                            NO_EDGE => fb(0.0),
                            e => match spec.edges[e as usize].reward {
                                Some(r) => self.slots[col(r) + l],
                                None => fb(0.0),
                            },
                        },
                        _ => state_member(spec, *member, state),
                    };
                }
            }
            Op::Prev { reg, default } => {
                let (r, d) = (*reg as usize * n, col(*default));
                for l in 0..n {
                    self.slots[dst + l] = if self.steps[l] == 0 { self.slots[d + l] } else { self.registers[r + l] };
                }
            }
            Op::Total { reg, value, ty } => {
                let (r, v) = (*reg as usize * n, col(*value));
                for l in 0..n {
                    let acc = add(*ty, self.registers[r + l], self.slots[v + l]);
                    if input.active.is_none_or(|a| a[l]) {
                        self.registers[r + l] = acc;
                    }
                    self.slots[dst + l] = acc;
                }
            }
            Op::Gated { reg, cond, value, end, ty } => {
                let (r, c, v, e) = (*reg as usize * n, col(*cond), col(*value), col(*end));
                for l in 0..n {
                    let acc = add(*ty, self.registers[r + l], self.slots[v + l]);
                    if input.active.is_none_or(|a| a[l]) {
                        self.registers[r + l] = acc;
                    }
                    let pays = self.slots[e + l] != 0 && self.slots[c + l] != 0;
                    self.slots[dst + l] = if pays { acc } else { 0 };
                }
            }
            Op::Potential { reg, now, start, gamma, done } => {
                let (r, p, s) = (*reg as usize * n, col(*now), col(*start));
                for l in 0..n {
                    let previous = if self.steps[l] == 0 { f(self.slots[s + l]) } else { f(self.registers[r + l]) };
                    let is_done = done.is_some_and(|d| self.slots[col(d) + l] != 0);
                    let current = if is_done { 0.0 } else { f(self.slots[p + l]) };
                    if input.active.is_none_or(|a| a[l]) {
                        self.registers[r + l] = fb(current);
                    }
                    self.slots[dst + l] = fb(gamma * current - previous);
                }
            }
            Op::CriteriaScore(k) | Op::CriteriaAll(k) | Op::CriteriaFailed(k) => {
                let Column::Criteria { offsets, weights, verdicts } = input.columns[*k as usize] else { return };
                for l in 0..n {
                    let items = offsets[l] as usize..offsets[l + 1] as usize;
                    self.slots[dst + l] = match &instr.op {
                        Op::CriteriaScore(_) => {
                            // In f64: products of f32s are exact, sums of
                            // finite f32 weights cannot overflow, and with
                            // verdicts <= 1 rounding keeps num <= den, so the
                            // score is in [0, 1] and never NaN.
                            let (mut num, mut den) = (0.0f64, 0.0f64);
                            for it in items {
                                num += f64::from(weights[it]) * f64::from(verdicts[it]);
                                den += f64::from(weights[it]);
                            }
                            fb(if den == 0.0 { 0.0 } else { (num / den) as f32 })
                        }
                        Op::CriteriaAll(_) => bb(items.clone().all(|it| verdicts[it] >= 0.5)),
                        _ => ib(items.filter(|&it| verdicts[it].is_nan() || verdicts[it] < 0.5).count() as i32),
                    };
                }
            }
            Op::Group(op, x) => {
                self.ensure_groups(input);
                let ty = self.program.slot_types[*x as usize];
                self.group(*op, col(*x), ty, dst);
            }
        }
    }

    fn step_automaton(&mut self, m: usize, dst: usize, active: Option<&[bool]>) {
        let n = self.lanes;
        let spec = &self.program.automata[m];
        let atoms = spec.atoms.len();
        // Labels column by column (atoms outer, lanes inner): contiguous and vectorisable.
        self.labels.fill(0);
        for (k, &atom) in spec.atoms.iter().enumerate() {
            let column = &self.slots[atom as usize * n..(atom as usize + 1) * n];
            for (label, &bit) in self.labels.iter_mut().zip(column) {
                *label |= u64::from(bit & 1) << k;
            }
        }
        for l in 0..n {
            let s = self.states[m][l];
            let edge = if spec.terminal[s as usize] || active.is_some_and(|a| !a[l]) {
                NO_EDGE
            } else {
                let label = self.labels[l];
                match &spec.transitions {
                    Transitions::Dense { table } => table[((s as usize) << atoms) | label as usize],
                    Transitions::Cubes { first, cubes } => cubes
                        [first[s as usize] as usize..first[s as usize + 1] as usize]
                        .iter()
                        .find(|c| label & c.mask == c.value)
                        .map_or(NO_EDGE, |c| c.edge),
                }
            };
            if edge != NO_EDGE {
                self.states[m][l] = spec.edges[edge as usize].to;
            }
            self.taken[m][l] = edge;
            self.slots[dst + l] = self.states[m][l];
        }
    }

    fn group(&mut self, op: GroupOp, x: usize, ty: ValueType, dst: usize) {
        if op.is_batch() {
            return self.batch(op, x, ty, dst);
        }
        let n = self.lanes;
        if self.groups_in_order && matches!(op, GroupOp::Mean | GroupOp::Std | GroupOp::StdUnbiased) {
            // `group_order` is the identity: each group is a run of lanes,
            // read as a slice (the same values in the same order).
            let (below, rest) = self.slots.split_at_mut(dst);
            let (out, above) = rest.split_at_mut(n);
            let xs = if x < dst { &below[x..x + n] } else { &above[x - dst - n..x - dst] };
            for &(start, end) in &self.group_runs {
                let (start, end) = (start as usize, end as usize);
                let value = moments(xs[start..end].iter().map(|&bits| wide(ty, bits)), op);
                out[start..end].fill(fb(value));
            }
            return;
        }
        for run in 0..self.group_runs.len() {
            let (start, end) = self.group_runs[run];
            let members = &self.group_order[start as usize..end as usize];
            match op {
                GroupOp::Mean | GroupOp::Std | GroupOp::StdUnbiased => {
                    let out = moments(members.iter().map(|&l| wide(ty, self.slots[x + l as usize])), op);
                    for &l in members {
                        self.slots[dst + l as usize] = fb(out);
                    }
                }
                GroupOp::Max | GroupOp::Min => {
                    let mut best = self.slots[x + members[0] as usize];
                    for &l in &members[1..] {
                        let v = self.slots[x + l as usize];
                        best = match (ty, op) {
                            (ValueType::Int, GroupOp::Max) => ib(i(best).max(i(v))),
                            (ValueType::Int, _) => ib(i(best).min(i(v))),
                            (_, GroupOp::Max) => fb(max_f32(f(best), f(v))),
                            _ => fb(min_f32(f(best), f(v))),
                        };
                    }
                    for &l in members {
                        self.slots[dst + l as usize] = best;
                    }
                }
                GroupOp::Rank => self.rank(start as usize, end as usize, x, ty, dst),
                _ => {}
            }
        }
    }

    /// `rank`: how many lanes of `group_order[start..end]` have a strictly
    /// smaller value.
    fn rank(&mut self, start: usize, end: usize, x: usize, ty: ValueType, dst: usize) {
        // Every NaN ranks as the canonical (positive) NaN, above +inf: the
        // sign of a NaN is not part of the semantics (see `canonical_nan`).
        let value = |bits: u32| if ty == ValueType::Int { i(bits) as f32 } else { f(canonical_nan(bits)) };
        self.scratch.clear();
        for k in start..end {
            let l = self.group_order[k];
            self.scratch.push((value(self.slots[x + l as usize]), l));
        }
        self.scratch.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        for &(v, l) in &self.scratch {
            // Members strictly smaller: the first index whose value is not below `v`.
            let smaller = self.scratch.partition_point(|(w, _)| *w < v);
            self.slots[dst + l as usize] = ib(smaller as i32);
        }
    }

    /// Batch terms: over each batch (the active lanes at one step index;
    /// the same index range of `group_order` and `batch_order`).
    fn batch(&mut self, op: GroupOp, x: usize, ty: ValueType, dst: usize) {
        for b in 0..self.batch_runs.len() {
            let (start, end) = (self.batch_runs[b].0 as usize, self.batch_runs[b].1 as usize);
            match op {
                GroupOp::BatchMean | GroupOp::BatchStd | GroupOp::BatchStdUnbiased => {
                    let kind = match op {
                        GroupOp::BatchMean => GroupOp::Mean,
                        GroupOp::BatchStd => GroupOp::Std,
                        _ => GroupOp::StdUnbiased,
                    };
                    // In lane order, as a trainer's batch tensor holds them.
                    let lanes = &self.batch_order[start..end];
                    let out = moments(lanes.iter().map(|&l| wide(ty, self.slots[x + l as usize])), kind);
                    for &l in lanes {
                        self.slots[dst + l as usize] = fb(out);
                    }
                }
                GroupOp::BatchRank => self.rank(start, end, x, ty, dst),
                GroupOp::BatchGroupRank | GroupOp::BatchGroups => {
                    // The batch's groups (runs of `group_runs` inside it, in
                    // group id order), each with its mean of the value.
                    self.batch_groups.clear();
                    for &(s, e) in &self.group_runs {
                        if s as usize >= start && e as usize <= end {
                            let lanes = &self.group_order[s as usize..e as usize];
                            let mean =
                                moments(lanes.iter().map(|&l| wide(ty, self.slots[x + l as usize])), GroupOp::Mean);
                            self.batch_groups.push((f(canonical_nan(fb(mean))), s, e));
                        }
                    }
                    // Highest mean first; ties (and NaN, last) by group order: a stable sort.
                    self.batch_groups.sort_by(|a, b| b.0.total_cmp(&a.0));
                    let count = self.batch_groups.len();
                    for (rank, &(_, s, e)) in self.batch_groups.iter().enumerate() {
                        let out = if op == GroupOp::BatchGroups { count } else { rank };
                        for &l in &self.group_order[s as usize..e as usize] {
                            self.slots[dst + l as usize] = ib(out as i32);
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

/// Mean, population std or sample std (0 for fewer than two values) of
/// `f32` values, computed in `f64` in the given order (two passes: the
/// mean, then the squared deviations) and rounded to `f32` once: values
/// that are all equal have exactly their value as mean and 0 as std, and
/// a batch of millions of lanes loses nothing to an `f32` running sum.
fn moments(values: impl Iterator<Item = f64> + Clone, op: GroupOp) -> f32 {
    let (mut count, mut sum) = (0u32, 0.0f64);
    for v in values.clone() {
        sum += v;
        count += 1;
    }
    let mean = sum / f64::from(count);
    let out = match op {
        GroupOp::Mean => mean,
        _ if op == GroupOp::StdUnbiased && count < 2 => 0.0,
        _ => {
            let sq: f64 = values.map(|v| (v - mean) * (v - mean)).sum();
            let divisor = if op == GroupOp::StdUnbiased { count - 1 } else { count };
            (sq / f64::from(divisor)).sqrt()
        }
    };
    out as f32
}

/// A value as f64, exactly (an `int` without going through `f32`).
fn wide(ty: ValueType, bits: u32) -> f64 {
    if ty == ValueType::Int { f64::from(i(bits)) } else { f64::from(f(bits)) }
}

/// The slots an instruction reads.
fn slot_reads(program: &Artifact, op: &Op, reads: &mut Vec<Slot>) {
    match *op {
        Op::ConstF32(_) | Op::ConstI32(_) | Op::ConstBool(_) | Op::Input(_) | Op::InputElem(..) | Op::Param(_) => {}
        Op::Steps | Op::CriteriaScore(_) | Op::CriteriaAll(_) | Op::CriteriaFailed(_) | Op::EpisodeEnd(None) => {}
        Op::EpisodeEnd(Some(d)) => reads.push(d),
        Op::Un(_, a) | Op::Group(_, a) => reads.push(a),
        Op::Bin(_, a, b) => reads.extend([a, b]),
        Op::Select(c, a, b) => reads.extend([c, a, b]),
        Op::Step(m) => reads.extend(&program.automata[m as usize].atoms),
        Op::Member(m, AutomatonMember::Reward) => {
            reads.extend(program.automata[m as usize].edges.iter().filter_map(|e| e.reward));
        }
        Op::Member(..) => {}
        Op::Prev { default, .. } => reads.push(default),
        Op::Total { value, .. } => reads.push(value),
        Op::Gated { cond, value, end, .. } => reads.extend([cond, value, end]),
        Op::Potential { now, start, done, .. } => reads.extend([now, start].into_iter().chain(done)),
    }
}

/// Which instructions the fast paths skip: bool inputs whose only readers
/// are fast automata, which read the input column directly.
fn fused_inputs(program: &Artifact, fast: &[Option<FastAutomaton>]) -> Vec<bool> {
    let mut other_reads = vec![0u32; program.slots as usize];
    let mut reads = Vec::new();
    for instr in &program.code {
        reads.clear();
        match instr.op {
            Op::Step(m) if fast.get(m as usize).is_some_and(Option::is_some) => {
                // Atoms read from their input columns do not count.
                if let Some(Some(f)) = fast.get(m as usize) {
                    let atoms = &program.automata[m as usize].atoms;
                    reads.extend(atoms.iter().zip(&f.atom_inputs).filter(|(_, i)| i.is_none()).map(|(&a, _)| a));
                }
            }
            ref op => slot_reads(program, op, &mut reads),
        }
        for &s in &reads {
            if let Some(count) = other_reads.get_mut(s as usize) {
                *count += 1;
            }
        }
    }
    let outputs = [program.reward].into_iter().chain(program.done).chain(program.discount);
    let outputs = outputs.chain(program.logs.iter().map(|l| l.slot));
    let outputs = outputs.chain(program.constraints.iter().map(|c| c.value));
    for s in outputs.chain(program.register_writes.iter().map(|&(_, s)| s)) {
        if let Some(count) = other_reads.get_mut(s as usize) {
            *count += 1;
        }
    }
    program
        .code
        .iter()
        .map(|i| {
            matches!(i.op, Op::Input(k) if program.inputs[k as usize].kind == InputKind::Scalar(ValueType::Bool))
                && other_reads.get(i.dst as usize) == Some(&0)
        })
        .collect()
}

/// The outputs an automaton's diagram step writes itself: `reward` when it
/// is `m.reward` (a constant per edge), `done` when it is `m.terminal`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct FusedOutputs {
    reward: Option<u32>,
    done: Option<u32>,
    /// The reward's automaton has no other reward member: its step need
    /// not keep the edges taken or reward classes, which only such a
    /// member reads.
    skip_edges: bool,
}

/// Decides [`FusedOutputs`] and takes the fused member instructions out of
/// the plan. Only for a plan of one chunked run (finished chunk by chunk,
/// so the fused outputs are written where the finishing reads them), an
/// automaton with a diagram (which covers every lane), a member after its
/// step (so it reads this step's edge and state) whose slot is the output
/// and read by nothing else (it is never written).
fn fuse_outputs(program: &Artifact, fast: &[Option<FastAutomaton>], plan: &mut Plan) -> FusedOutputs {
    let mut fused = FusedOutputs::default();
    let [Segment::Chunked(kernels)] = plan.segments.as_mut_slice() else { return fused };
    let mut read = vec![false; program.slots as usize];
    let mut reads = Vec::new();
    for instr in &program.code {
        reads.clear();
        slot_reads(program, &instr.op, &mut reads);
        for &s in &reads {
            if let Some(r) = read.get_mut(s as usize) {
                *r = true;
            }
        }
    }
    let others = program.logs.iter().map(|l| l.slot).chain(program.constraints.iter().map(|c| c.value));
    let others = others.chain(program.discount);
    let others = others.chain(program.register_writes.iter().map(|&(_, s)| s));
    let others = others.chain(program.automata.iter().flat_map(|a| a.atoms.iter().copied()));
    for s in others {
        if let Some(r) = read.get_mut(s as usize) {
            *r = true;
        }
    }
    let distinct = program.done != Some(program.reward);
    let only_output = |s: Slot| distinct && read.get(s as usize) == Some(&false);
    let mut stepped = Vec::new();
    kernels.retain(|kernel| {
        let instr = &program.code[kernel.instr];
        let diagram =
            |m: u32| fast.get(m as usize).and_then(Option::as_ref).and_then(|f| f.diagram.as_ref().map(|_| f));
        match instr.op {
            Op::Step(m) => stepped.push(m),
            Op::Member(m, AutomatonMember::Reward)
                if fused.reward.is_none()
                    && instr.dst == program.reward
                    && kernel.dst == Loc::Slot(instr.dst)
                    && only_output(instr.dst)
                    && stepped.contains(&m)
                    && diagram(m).and_then(|f| f.packed.as_ref()).is_some_and(|p| !p.classes.is_empty()) =>
            {
                fused.reward = Some(m);
                return false;
            }
            Op::Member(m, AutomatonMember::Terminal)
                if fused.done.is_none()
                    && Some(instr.dst) == program.done
                    && kernel.dst == Loc::Slot(instr.dst)
                    && only_output(instr.dst)
                    && stepped.contains(&m)
                    && diagram(m).is_some() =>
            {
                fused.done = Some(m);
                return false;
            }
            _ => {}
        }
        true
    });
    fused.skip_edges = fused.reward.is_some_and(|m| {
        !kernels.iter().any(|k| matches!(program.code[k.instr].op, Op::Member(r, AutomatonMember::Reward) if r == m))
    });
    fused
}

/// One step of a dense automaton over a chunk through its packed table
/// (see [`Packed`]); inactive lanes keep their state and take no edge.
/// Writes the new states (also to `out`), the taken edges and the reward
/// classes.
///
/// # Safety
/// Every `state << atoms | label` is below `packed.table.len()`, and `isa`
/// is available.
#[inline(always)]
unsafe fn step_packed(isa: Isa, packed: &Packed, atoms: u32, labels: &[u8], mut lanes: StepLanes<'_>) {
    let n = lanes.len().min(labels.len());
    let labels = &labels[..n];
    let mut done = 0;
    #[cfg(target_arch = "x86_64")]
    if isa == Isa::Avx512 {
        // SAFETY: the caller's contract.
        done = unsafe { step_packed_avx512(packed, atoms, labels, &mut lanes) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = isa;
    let (state_bits, state_mask) = (packed.state_bits, (1u32 << packed.state_bits) - 1);
    let class_mask = (1u32 << packed.class_bits) - 1;
    let edge_shift = packed.state_bits + packed.class_bits;
    let table = packed.table.as_slice();
    let StepLanes { states, taken, classes, active, out } = lanes;
    let (states, taken, classes) = (&mut states[..n], &mut taken[..n], &mut classes[..n]);
    // One loop per case, so the common one (every lane active) has no test.
    let lanes = states[done..].iter_mut().zip(&labels[done..]).zip(&mut taken[done..]).zip(&mut classes[done..]);
    let step = |p: u32, state: &mut u32, taken: &mut u32, class: &mut u8| {
        *state = p & state_mask;
        *taken = (p >> edge_shift).wrapping_sub(1);
        *class = ((p >> state_bits) & class_mask) as u8;
    };
    match active {
        None => {
            for (((state, &label), taken), class) in lanes {
                // SAFETY: the caller's contract.
                let p = unsafe { *table.get_unchecked((*state << atoms | u32::from(label)) as usize) };
                step(p, state, taken, class);
            }
        }
        Some(active) => {
            for ((((state, &label), taken), class), &on) in lanes.zip(&active[done..]) {
                // SAFETY: the caller's contract.
                let p = unsafe { *table.get_unchecked((*state << atoms | u32::from(label)) as usize) };
                // An inactive lane: no edge, reward class 0 (0.0), the same state.
                step(if on { p } else { *state }, state, taken, class);
            }
        }
    }
    if let Some(out) = out {
        out[done..n].copy_from_slice(&states[done..]);
    }
}

/// [`step_packed`] 16 lanes at a time; returns how many lanes it did.
///
/// # Safety
/// As [`step_packed`]; the slices have the same length.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vl")]
unsafe fn step_packed_avx512(packed: &Packed, atoms: u32, labels: &[u8], lanes: &mut StepLanes<'_>) -> usize {
    use std::arch::x86_64::*;
    let n = lanes.len().min(labels.len());
    let StepLanes { states, taken, classes, active, out } = lanes;
    let shift = _mm_cvtsi32_si128(atoms as i32);
    let state_mask = _mm512_set1_epi32(((1u32 << packed.state_bits) - 1) as i32);
    let class_mask = _mm512_set1_epi32(((1u32 << packed.class_bits) - 1) as i32);
    let class_shift = _mm_cvtsi32_si128(packed.state_bits as i32);
    let edge_shift = _mm_cvtsi32_si128((packed.state_bits + packed.class_bits) as i32);
    let one = _mm512_set1_epi32(1);
    let mut l = 0;
    while l + 16 <= n {
        // SAFETY: `l + 16 <= n` keeps the loads and stores inside the
        // slices (all of length `n`, `active` too when given); the caller
        // keeps every index inside the table.
        unsafe {
            let label = _mm512_cvtepu8_epi32(_mm_loadu_si128(labels.as_ptr().add(l).cast()));
            let state = _mm512_loadu_si512(states.as_ptr().add(l).cast());
            let index = _mm512_or_si512(_mm512_sll_epi32(state, shift), label);
            let mut p = _mm512_i32gather_epi32::<4>(index, packed.table.as_ptr().cast());
            if let Some(active) = active {
                let flags = _mm_loadu_si128(active.as_ptr().add(l).cast());
                let on = _mm_test_epi8_mask(flags, flags);
                p = _mm512_mask_mov_epi32(state, on, p);
            }
            let next = _mm512_and_si512(p, state_mask);
            _mm512_storeu_si512(states.as_mut_ptr().add(l).cast(), next);
            if let Some(out) = out.as_deref_mut() {
                _mm512_storeu_si512(out.as_mut_ptr().add(l).cast(), next);
            }
            let edge = _mm512_sub_epi32(_mm512_srl_epi32(p, edge_shift), one);
            _mm512_storeu_si512(taken.as_mut_ptr().add(l).cast(), edge);
            let class = _mm512_and_si512(_mm512_srl_epi32(p, class_shift), class_mask);
            _mm_storeu_si128(classes.as_mut_ptr().add(l).cast(), _mm512_cvtepi32_epi8(class));
        }
        l += 16;
    }
    l
}

/// [`total_kernel`] specialised on the sum's type and on `active`.
#[inline(always)]
fn running_sum(ty: ValueType, out: &mut [u32], registers: &mut [u32], value: &[u32], active: Option<&[bool]>) {
    let flags = active.unwrap_or(&[]);
    match (ty == ValueType::Int, active.is_some()) {
        (true, true) => total_kernel::<true, true>(out, registers, value, flags),
        (true, false) => total_kernel::<true, false>(out, registers, value, flags),
        (false, true) => total_kernel::<false, true>(out, registers, value, flags),
        (false, false) => total_kernel::<false, false>(out, registers, value, flags),
    }
}

/// `total`'s running sum (`int` wrapping or `f32`, as the reference's
/// `add`) into the registers of active lanes and `out`, branch-free.
#[inline(always)]
fn total_kernel<const INT: bool, const ACTIVE: bool>(
    out: &mut [u32],
    registers: &mut [u32],
    value: &[u32],
    active: &[bool],
) {
    let n = out.len().min(registers.len()).min(value.len());
    let (out, registers, value) = (&mut out[..n], &mut registers[..n], &value[..n]);
    let active = if ACTIVE { &active[..n] } else { &[][..] };
    for l in 0..n {
        let acc = add(if INT { ValueType::Int } else { ValueType::F32 }, registers[l], value[l]);
        let on = !ACTIVE || active[l];
        registers[l] = if on { acc } else { registers[l] };
        out[l] = acc;
    }
}

/// Potential-based shaping over a chunk: `gamma * current - previous`,
/// the reference's arithmetic operation for operation, with the optional
/// columns empty when absent.
struct Potential<'a> {
    steps: &'a [u32],
    now: &'a [u32],
    start: &'a [u32],
    done: &'a [u32],
    active: &'a [bool],
}

impl Potential<'_> {
    #[inline(always)]
    fn run<const DONE: bool, const ACTIVE: bool>(&self, out: &mut [u32], registers: &mut [u32], gamma: f32) {
        let n = out.len().min(registers.len()).min(self.steps.len()).min(self.now.len()).min(self.start.len());
        let (out, registers) = (&mut out[..n], &mut registers[..n]);
        let (steps, now, start) = (&self.steps[..n], &self.now[..n], &self.start[..n]);
        let done = if DONE { &self.done[..n] } else { &[][..] };
        let active = if ACTIVE { &self.active[..n] } else { &[][..] };
        // Selects as masks over values loaded unconditionally: a select
        // between two loads becomes a pointer select, which does not
        // vectorise.
        let mask = |c: bool| 0u32.wrapping_sub(u32::from(c));
        for l in 0..n {
            let (register, first) = (registers[l], mask(steps[l] == 0));
            let previous = f((start[l] & first) | (register & !first));
            // A done lane's potential is +0.0 (bits 0), as in the reference.
            let current = now[l] & !mask(DONE && done[l] != 0);
            let on = mask(!ACTIVE || active[l]);
            registers[l] = (current & on) | (register & !on);
            out[l] = fb(gamma * f(current) - previous);
        }
    }
}

/// Where a step's rewards go: the caller's buffer, leaving `own` (the
/// evaluator's `StepOutput::reward`) empty, or `own` with one per lane.
#[inline(always)]
fn reward_target<'a>(own: &'a mut Vec<f32>, reward: Option<&'a mut [f32]>, lanes: usize) -> &'a mut [f32] {
    match reward {
        Some(reward) => {
            own.clear();
            reward
        }
        None => {
            own.resize(lanes, 0.0);
            own
        }
    }
}

/// The per-lane flags [`Evaluator::finish_step`] derives, with the
/// optional columns empty when absent.
struct FinishFlags<'a> {
    done_bits: &'a [u32],
    last: &'a [bool],
    active: &'a [bool],
    ends_on_done: bool,
    count_steps: bool,
}

/// Where [`FinishFlags::run`] finds `done`.
const DONE_NONE: u8 = 0;
const DONE_SLOT: u8 = 1;
const DONE_OUTPUT: u8 = 2;

impl FinishFlags<'_> {
    /// `done`, episode ends (masked by `active`) and step counters in one
    /// branch-free pass, specialised on which columns exist (`DONE`: no
    /// `done`, from `done_bits`, or already in `done`); whether any
    /// episode ended.
    #[inline(always)]
    fn run<const DONE: u8, const LAST: bool, const ACTIVE: bool>(
        &self,
        done: &mut [bool],
        ends: &mut [bool],
        steps: &mut [u32],
    ) -> bool {
        let n = done.len().min(ends.len()).min(steps.len());
        let (done, ends, steps) = (&mut done[..n], &mut ends[..n], &mut steps[..n]);
        let done_bits = if DONE == DONE_SLOT { &self.done_bits[..n] } else { &[][..] };
        let last = if LAST { &self.last[..n] } else { &[][..] };
        let active = if ACTIVE { &self.active[..n] } else { &[][..] };
        let mut any = false;
        let ends_on_done = self.ends_on_done;
        // One lane's `done` and episode end; whether it ended. `&` and `|`,
        // not `&&` and `||`: no branches, so the loops vectorise. Without
        // counters the flags' loop runs 64 lanes per vector; with them, one
        // loop for both (measured faster than two).
        macro_rules! flags {
            ($l:expr) => {{
                let l = $l;
                let d = match DONE {
                    DONE_SLOT => done_bits[l] != 0,
                    DONE_OUTPUT => done[l],
                    _ => false,
                };
                let on = !ACTIVE || active[l];
                let end = ((LAST && last[l]) | (d & ends_on_done)) & on;
                done[l] = d;
                ends[l] = end;
                end
            }};
        }
        if self.count_steps {
            for l in 0..n {
                any |= flags!(l);
                let on = !ACTIVE || active[l];
                steps[l] = (steps[l] + u32::from(on)).min(i32::MAX as u32);
            }
        } else {
            for l in 0..n {
                any |= flags!(l);
            }
        }
        any
    }
}

/// Where an automaton's atom comes from, at one chunk's lanes.
#[derive(Clone, Copy)]
enum AtomSource<'a> {
    Flags(&'a [bool]),
    /// Bit `.1` of each byte.
    Bits(&'a [u8], u8),
    /// A computed bool (0 or 1) in a slot column.
    Slot(&'a [u32]),
}

/// Label bit k is bit k of the packed label byte.
const IDENTITY_MASKS: [u8; 8] = [1, 2, 4, 8, 16, 32, 64, 128];

/// When every atom is a bit of the same byte column: the bytes, and per
/// atom its bit's mask.
fn shared_label_bytes<'a>(sources: &[AtomSource<'a>]) -> Option<(&'a [u8], [u8; 8])> {
    let mut masks = [0u8; 8];
    let mut shared: Option<&[u8]> = None;
    for (mask, source) in masks.iter_mut().zip(sources) {
        let AtomSource::Bits(bytes, bit) = *source else { return None };
        if shared.is_some_and(|s| !std::ptr::eq(s, bytes)) {
            return None;
        }
        shared = Some(bytes);
        *mask = 1 << bit;
    }
    shared.map(|bytes| (bytes, masks))
}

/// Packs each lane's atoms, from lane `from` of the chunk on, into label
/// bytes (bit k from atom k).
#[inline(always)]
fn pack_atoms(labels: &mut [u8], sources: &[AtomSource<'_>], from: usize) {
    if let Some((bytes, masks)) = shared_label_bytes(sources) {
        // Atoms that are consecutive bits of the byte (props declared in
        // the order of the labelling function's bits): a shift and a mask.
        let base = masks[0].trailing_zeros();
        let consecutive = masks[..sources.len()].iter().zip(0..).all(|(&m, k)| u32::from(m) == 1 << (base + k));
        if consecutive {
            let keep = ((1u16 << sources.len()) - 1) as u8;
            for (b, &byte) in labels.iter_mut().zip(bytes.get(from..).unwrap_or(&[])) {
                *b = (byte >> base) & keep;
            }
            return;
        }
    }
    let mut flags: [&[bool]; 8] = [&[]; 8];
    let all_flags = sources.iter().zip(&mut flags).all(|(source, flags)| match *source {
        AtomSource::Flags(column) => {
            *flags = column.get(from..).unwrap_or(&[]);
            true
        }
        _ => false,
    });
    if all_flags {
        return pack_labels(labels, &flags[..sources.len()]);
    }
    labels.fill(0);
    for (k, source) in sources.iter().enumerate() {
        match *source {
            AtomSource::Flags(column) => pack_label_bit(labels, column.get(from..).unwrap_or(&[]), k),
            AtomSource::Bits(bytes, bit) => {
                // Masks and compares, no variable byte shifts (SSE2 has none).
                let (mask, set) = (1u8 << bit, 1u8 << k);
                for (b, &byte) in labels.iter_mut().zip(bytes.get(from..).unwrap_or(&[])) {
                    *b |= 0u8.wrapping_sub(u8::from(byte & mask != 0)) & set;
                }
            }
            AtomSource::Slot(bits) => {
                for (b, &bit) in labels.iter_mut().zip(bits.get(from..).unwrap_or(&[])) {
                    *b |= ((bit & 1) as u8) << k;
                }
            }
        }
    }
}

/// `labels[l] |= flags[l] << bit`, with byte operations only (no byte
/// shifts, which SSE2 lacks).
#[inline(always)]
fn pack_label_bit(labels: &mut [u8], flags: &[bool], bit: usize) {
    let bit = 1u8 << bit;
    for (b, &flag) in labels.iter_mut().zip(flags) {
        *b |= 0u8.wrapping_sub(u8::from(flag)) & bit;
    }
}

/// Each lane's label byte from up to eight flag columns (bit k from
/// `flags[k]`), 64 lanes at a time with every column read in the same
/// pass (one store per lane instead of one read and write per column).
#[inline(always)]
fn pack_labels(labels: &mut [u8], flags: &[&[bool]]) {
    macro_rules! fixed {
        ($n:literal) => {
            match <&[&[bool]; $n]>::try_from(flags) {
                Ok(flags) => pack_labels_n::<$n>(labels, flags),
                Err(_) => pack_labels_by_column(labels, flags),
            }
        };
    }
    match flags.len() {
        1 => fixed!(1),
        2 => fixed!(2),
        3 => fixed!(3),
        4 => fixed!(4),
        5 => fixed!(5),
        6 => fixed!(6),
        7 => fixed!(7),
        8 => fixed!(8),
        _ => pack_labels_by_column(labels, flags),
    }
}

/// [`pack_labels`] for `N` columns (unrolled: the bit masks are constants).
#[inline(always)]
fn pack_labels_n<const N: usize>(labels: &mut [u8], flags: &[&[bool]; N]) {
    const BLOCK: usize = 64;
    let n = labels.len();
    if flags.iter().any(|column| column.len() < n) {
        return pack_labels_by_column(labels, flags);
    }
    let (blocks, rest) = labels.as_chunks_mut::<BLOCK>();
    for (b, block) in blocks.iter_mut().enumerate() {
        let mut acc = [0u8; BLOCK];
        for (k, column) in flags.iter().enumerate() {
            pack_label_bit(&mut acc, &column[b * BLOCK..(b + 1) * BLOCK], k);
        }
        *block = acc;
    }
    let done = n - rest.len();
    rest.fill(0);
    for (k, column) in flags.iter().enumerate() {
        pack_label_bit(rest, &column[done..], k);
    }
}

/// [`pack_labels`] column by column (flag columns shorter than the labels).
#[cold]
fn pack_labels_by_column(labels: &mut [u8], flags: &[&[bool]]) {
    labels.fill(0);
    for (k, column) in flags.iter().enumerate() {
        pack_label_bit(labels, column, k);
    }
}

/// `out[l] = table[classes[l]]` for a step's reward classes (at most 16
/// values; a class past the table reads 0.0): one in-register permute per
/// 16 lanes on AVX-512.
#[inline(always)]
fn lookup_classes(isa: Isa, table: &[u32], classes: &[u8], out: &mut [u32]) {
    let mut padded = [0u32; 16];
    let k = table.len().min(16);
    padded[..k].copy_from_slice(&table[..k]);
    let n = out.len().min(classes.len());
    let (classes, out) = (&classes[..n], &mut out[..n]);
    let mut done = 0;
    #[cfg(target_arch = "x86_64")]
    if isa == Isa::Avx512 {
        // SAFETY: the evaluator runs this path only where the CPU has it.
        done = unsafe { lookup_classes_avx512(&padded, classes, out) };
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = isa;
    for (o, &c) in out[done..].iter_mut().zip(&classes[done..]) {
        *o = padded[usize::from(c & 15)];
    }
}

/// [`lookup_classes`] 16 lanes at a time; returns how many lanes it did.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn lookup_classes_avx512(table: &[u32; 16], classes: &[u8], out: &mut [u32]) -> usize {
    use std::arch::x86_64::*;
    // SAFETY: 16 values: one 64-byte load.
    let values = unsafe { _mm512_loadu_si512(table.as_ptr().cast()) };
    let n = out.len().min(classes.len());
    let mut l = 0;
    while l + 16 <= n {
        // SAFETY: `l + 16 <= n` keeps the load and store in bounds; the
        // permute reads the index's low four bits only.
        unsafe {
            let index = _mm512_cvtepu8_epi32(_mm_loadu_si128(classes.as_ptr().add(l).cast()));
            _mm512_storeu_si512(out.as_mut_ptr().add(l).cast(), _mm512_permutexvar_epi32(index, values));
        }
        l += 16;
    }
    l
}

/// `out[l] = table[index[l]]` for a table of up to 32 entries from
/// registers (AVX-512: one or two permutes; AVX2: up to 8 entries, one
/// permute), else [`gather`].
///
/// # Safety
/// As [`gather`].
#[inline(always)]
unsafe fn lookup(isa: Isa, table: &[u32], index: &[u32], out: &mut [u32]) {
    #[cfg(target_arch = "x86_64")]
    {
        let n = out.len().min(index.len());
        let (index, out) = (&index[..n], &mut out[..n]);
        if isa == Isa::Avx512 && table.len() <= 32 {
            // SAFETY: the caller's contract.
            return unsafe { lookup_avx512(table, index, out) };
        }
        if isa == Isa::Avx2 && table.len() <= 8 {
            // SAFETY: the caller's contract.
            return unsafe { lookup_avx2(table, index, out) };
        }
    }
    // SAFETY: the caller's contract.
    unsafe { gather(isa, table, index, out) }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn lookup_avx512(table: &[u32], index: &[u32], out: &mut [u32]) {
    use std::arch::x86_64::*;
    let mut padded = [0u32; 32];
    padded[..table.len()].copy_from_slice(table);
    // SAFETY: `padded` holds 32 values: two 64-byte loads.
    let (low, high) =
        unsafe { (_mm512_loadu_si512(padded.as_ptr().cast()), _mm512_loadu_si512(padded.as_ptr().add(16).cast())) };
    let n = out.len();
    let mut l = 0;
    while l + 16 <= n {
        // SAFETY: `l + 16 <= n` keeps the load and store in bounds; indices
        // below 32 select from the two registers (the caller keeps them
        // below `table.len()`).
        unsafe {
            let i = _mm512_loadu_si512(index.as_ptr().add(l).cast());
            _mm512_storeu_si512(out.as_mut_ptr().add(l).cast(), _mm512_permutex2var_epi32(low, i, high));
        }
        l += 16;
    }
    for k in l..n {
        out[k] = padded[(index[k] & 31) as usize];
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn lookup_avx2(table: &[u32], index: &[u32], out: &mut [u32]) {
    use std::arch::x86_64::*;
    let mut padded = [0u32; 8];
    padded[..table.len()].copy_from_slice(table);
    // SAFETY: `padded` holds 8 values: one 32-byte load.
    let values = unsafe { _mm256_loadu_si256(padded.as_ptr().cast()) };
    let n = out.len();
    let mut l = 0;
    while l + 8 <= n {
        // SAFETY: `l + 8 <= n` keeps the load and store in bounds.
        unsafe {
            let i = _mm256_loadu_si256(index.as_ptr().add(l).cast());
            _mm256_storeu_si256(out.as_mut_ptr().add(l).cast(), _mm256_permutevar8x32_epi32(values, i));
        }
        l += 8;
    }
    for k in l..n {
        out[k] = padded[(index[k] & 7) as usize];
    }
}

/// `out[l] = table[index[l]]`, with the CPU's gather instructions on the
/// paths that have them.
///
/// # Safety
/// Every index is below `table.len()`, and `isa` is available.
#[inline(always)]
unsafe fn gather(isa: Isa, table: &[u32], index: &[u32], out: &mut [u32]) {
    match isa {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the caller's contract.
        Isa::Avx512 => unsafe { gather_avx512(table, index, out) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the caller's contract.
        Isa::Avx2 => unsafe { gather_avx2(table, index, out) },
        _ => {
            for (o, &i) in out.iter_mut().zip(index) {
                // SAFETY: the caller's contract.
                *o = unsafe { *table.get_unchecked(i as usize) };
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn gather_avx512(table: &[u32], index: &[u32], out: &mut [u32]) {
    use std::arch::x86_64::*;
    let n = out.len().min(index.len());
    let mut l = 0;
    while l + 16 <= n {
        // SAFETY: `l + 16 <= n` keeps the loads and stores in bounds; the
        // caller keeps every index inside `table`.
        unsafe {
            let i = _mm512_loadu_si512(index.as_ptr().add(l).cast());
            let v = _mm512_i32gather_epi32::<4>(i, table.as_ptr().cast());
            _mm512_storeu_si512(out.as_mut_ptr().add(l).cast(), v);
        }
        l += 16;
    }
    for k in l..n {
        // SAFETY: the caller keeps every index inside `table`.
        out[k] = unsafe { *table.get_unchecked(index[k] as usize) };
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn gather_avx2(table: &[u32], index: &[u32], out: &mut [u32]) {
    use std::arch::x86_64::*;
    let n = out.len().min(index.len());
    let mut l = 0;
    while l + 8 <= n {
        // SAFETY: as in `gather_avx512`.
        unsafe {
            let i = _mm256_loadu_si256(index.as_ptr().add(l).cast());
            let v = _mm256_i32gather_epi32::<4>(table.as_ptr().cast(), i);
            _mm256_storeu_si256(out.as_mut_ptr().add(l).cast(), v);
        }
        l += 8;
    }
    for k in l..n {
        // SAFETY: the caller keeps every index inside `table`.
        out[k] = unsafe { *table.get_unchecked(index[k] as usize) };
    }
}

/// `out[l] = bits(vector[l * len + e])`; common lengths get a loop with a
/// constant stride, which the compiler vectorises with shuffles.
#[inline(always)]
fn gather_element<T: Copy>(out: &mut [u32], vector: &[T], len: usize, e: usize, bits: impl Fn(T) -> u32) {
    #[inline(always)]
    fn fixed<T: Copy, const L: usize>(out: &mut [u32], vector: &[T], e: usize, bits: impl Fn(T) -> u32) {
        let e = e.min(L - 1);
        for (d, v) in out.iter_mut().zip(vector.as_chunks::<L>().0) {
            *d = bits(v[e]);
        }
    }
    match len {
        2 => fixed::<T, 2>(out, vector, e, bits),
        3 => fixed::<T, 3>(out, vector, e, bits),
        4 => fixed::<T, 4>(out, vector, e, bits),
        8 => fixed::<T, 8>(out, vector, e, bits),
        _ => out.iter_mut().zip(vector.chunks_exact(len)).for_each(|(d, v)| *d = bits(v[e])),
    }
}

/// 4-byte values as their bits (`f32` and `i32` vector columns).
fn words_of<T: Copy>(values: &[T]) -> &[u32] {
    const { assert!(size_of::<T>() == 4 && align_of::<T>() == 4) };
    // SAFETY: `T` is a 4-byte, 4-aligned plain value (`f32` or `i32`, the
    // only callers), every bit pattern of which is a valid `u32`.
    unsafe { std::slice::from_raw_parts(values.as_ptr().cast(), values.len()) }
}

/// Element `e` of each lane's `len` words (`rows`, lane after lane): on
/// AVX-512 with `len == 4`, 16 lanes by two two-register permutes and a
/// blend (the compiler's strided loop is two 8-lane gathers per 16 lanes,
/// the slowest part of W2's step: 12% faster); otherwise [`gather_element`]
/// (on AVX2 four permutes and three blends per 8 lanes were 2% slower than
/// its gather).
#[inline(always)]
fn element_of_words(isa: Isa, out: &mut [u32], rows: &[u32], len: usize, e: usize) {
    let mut done = 0;
    #[cfg(target_arch = "x86_64")]
    if isa == Isa::Avx512 && len == 4 && e < 4 {
        // SAFETY: the AVX-512 path runs only on a CPU that has it.
        done = unsafe { element_of_4_avx512(out, rows, e) };
    }

    #[cfg(not(target_arch = "x86_64"))]
    let _ = isa;
    gather_element(&mut out[done..], &rows[done * len..], len, e, |w| w);
}

/// [`element_of_words`] for rows of 4 on AVX-512; returns the lanes done.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn element_of_4_avx512(out: &mut [u32], rows: &[u32], e: usize) -> usize {
    use std::arch::x86_64::*;
    let n = out.len().min(rows.len() / 4);
    let e = e as i32;
    // Lane j's element: word 4j + e of the two registers (8 lanes); the
    // second index puts lanes 8..16 in the high half.
    let low =
        _mm512_add_epi32(_mm512_set_epi32(0, 0, 0, 0, 0, 0, 0, 0, 28, 24, 20, 16, 12, 8, 4, 0), _mm512_set1_epi32(e));
    let high =
        _mm512_add_epi32(_mm512_set_epi32(28, 24, 20, 16, 12, 8, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0), _mm512_set1_epi32(e));
    let mut l = 0;
    while l + 16 <= n {
        // SAFETY: `l + 16 <= n` keeps the 64 words read and 16 written in bounds.
        unsafe {
            let at = rows.as_ptr().add(4 * l);
            let (a, b) = (_mm512_loadu_si512(at.cast()), _mm512_loadu_si512(at.add(16).cast()));
            let (c, d) = (_mm512_loadu_si512(at.add(32).cast()), _mm512_loadu_si512(at.add(48).cast()));
            let first = _mm512_permutex2var_epi32(a, low, b);
            let second = _mm512_permutex2var_epi32(c, high, d);
            _mm512_storeu_si512(out.as_mut_ptr().add(l).cast(), _mm512_mask_blend_epi32(0xff00, first, second));
        }
        l += 16;
    }
    l
}

/// `out[l] = un(op, x[l])`, one loop per operation.
#[inline(always)]
fn un_kernel(op: UnOp, out: &mut [u32], x: &[u32]) {
    macro_rules! loops {
        ($($name:ident),*) => {
            match op {
                $(UnOp::$name => for (d, &x) in out.iter_mut().zip(x) { *d = un(UnOp::$name, x) },)*
            }
        };
    }
    loops!(NegF, NegI, Not, AbsF, AbsI, Exp, Ln, Sqrt, Sigmoid, Tanh, IntToF32, BoolToF32, BoolToInt);
}

/// `out[l] = bin(op, x[l], y[l])`, one loop per operation.
#[inline(always)]
fn bin_kernel(op: BinOp, out: &mut [u32], x: &[u32], y: &[u32]) {
    macro_rules! loops {
        ($($name:ident),*) => {
            match op {
                $(BinOp::$name => for ((d, &x), &y) in out.iter_mut().zip(x).zip(y) { *d = bin(BinOp::$name, x, y) },)*
            }
        };
    }
    loops!(
        AddF, SubF, MulF, DivF, MinF, MaxF, AddI, SubI, MulI, DivI, RemI, MinI, MaxI, And, Or, EqB, EqF, NeF, LtF, LeF,
        GtF, GeF, EqI, NeI, LtI, LeI, GtI, GeI
    );
}

/// A member that depends on the automaton's state alone (not `Reward`).
#[inline(always)]
fn state_member(spec: &AutomatonSpec, member: AutomatonMember, state: u32) -> u32 {
    let s = state as usize;
    match member {
        AutomatonMember::State => state,
        AutomatonMember::Terminal => bb(spec.terminal[s]),
        AutomatonMember::Distance => spec.distance[s],
        AutomatonMember::Accepting => bb(spec.accepting[s]),
        AutomatonMember::Violated => bb(spec.distance[s] as usize >= spec.states.len()),
        AutomatonMember::In(q) => bb(state == q),
        AutomatonMember::Value(k) => fb(spec.values[k as usize][s]),
        AutomatonMember::Reward => fb(0.0),
    }
}

/// A NaN's sign and payload are not part of the semantics: which operand's
/// NaN an IEEE operation returns depends on the order the compiler gives
/// commutative operands, which differs between paths (and between builds).
/// Outputs carry every NaN as the canonical quiet NaN, so every path gives
/// the same bits; NaN payloads never reach a non-NaN value (comparisons are
/// false for every NaN, `min`/`max` return the canonical NaN).
#[inline(always)]
pub fn canonical_nan(bits: u32) -> u32 {
    if bits & 0x7fff_ffff > 0x7f80_0000 { 0x7fc0_0000 } else { bits }
}

fn is_constant(op: &Op) -> bool {
    matches!(op, Op::ConstF32(_) | Op::ConstI32(_) | Op::ConstBool(_))
}

fn add(ty: ValueType, acc: u32, x: u32) -> u32 {
    match ty {
        ValueType::Int => ib(i(acc).wrapping_add(i(x))),
        _ => fb(f(acc) + f(x)),
    }
}

/// One unary operation on value bits.
#[inline(always)]
pub fn un(op: UnOp, x: u32) -> u32 {
    match op {
        UnOp::NegF => fb(-f(x)),
        UnOp::NegI => ib(i(x).wrapping_neg()),
        UnOp::Not => bb(x == 0),
        UnOp::AbsF => fb(f(x).abs()),
        UnOp::AbsI => ib(i(x).wrapping_abs()),
        UnOp::Exp => fb(math::exp(f(x))),
        UnOp::Ln => fb(math::ln(f(x))),
        UnOp::Sqrt => fb(f(x).sqrt()),
        UnOp::Sigmoid => fb(math::sigmoid(f(x))),
        UnOp::Tanh => fb(math::tanh(f(x))),
        UnOp::IntToF32 => fb(i(x) as f32),
        UnOp::BoolToF32 => fb(if x != 0 { 1.0 } else { 0.0 }),
        UnOp::BoolToInt => x,
    }
}

/// One binary operation on value bits; the semantics of LANGUAGE.md section 6.
#[inline(always)]
pub fn bin(op: BinOp, x: u32, y: u32) -> u32 {
    use BinOp::*;
    match op {
        AddF => fb(f(x) + f(y)),
        SubF => fb(f(x) - f(y)),
        MulF => fb(f(x) * f(y)),
        DivF => fb(f(x) / f(y)),
        MinF => fb(min_f32(f(x), f(y))),
        MaxF => fb(max_f32(f(x), f(y))),
        AddI => ib(i(x).wrapping_add(i(y))),
        SubI => ib(i(x).wrapping_sub(i(y))),
        MulI => ib(i(x).wrapping_mul(i(y))),
        DivI => ib(if i(y) == 0 { 0 } else { i(x).wrapping_div(i(y)) }),
        RemI => ib(if i(y) == 0 { 0 } else { i(x).wrapping_rem(i(y)) }),
        MinI => ib(i(x).min(i(y))),
        MaxI => ib(i(x).max(i(y))),
        And => bb(x != 0 && y != 0),
        Or => bb(x != 0 || y != 0),
        EqB => bb((x != 0) == (y != 0)),
        EqF => bb(f(x) == f(y)),
        NeF => bb(f(x) != f(y)),
        LtF => bb(f(x) < f(y)),
        LeF => bb(f(x) <= f(y)),
        GtF => bb(f(x) > f(y)),
        GeF => bb(f(x) >= f(y)),
        EqI => bb(i(x) == i(y)),
        NeI => bb(i(x) != i(y)),
        LtI => bb(i(x) < i(y)),
        LeI => bb(i(x) <= i(y)),
        GtI => bb(i(x) > i(y)),
        GeI => bb(i(x) >= i(y)),
    }
}

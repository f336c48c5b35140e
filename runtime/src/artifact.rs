//! The compiled artifact (`.rwc`): what the compiler writes and the runtime
//! loads.
//!
//! Layout: `RWC\0` magic, `u16` format version, `u16` reserved (0), `u64`
//! FNV-1a checksum of the payload, `u64` payload length, then the payload:
//! an [`Artifact`] encoded with postcard. [`Artifact::from_bytes`] checks all
//! of it and then validates every index, table size and slot reference
//! ([`Artifact::validate`]), so a corrupt or foreign file is a [`LoadError`],
//! never a panic or undefined behaviour.
//!
//! A program is a *tape*: instructions in dependency order, each writing one
//! slot (a column of per-lane values) from earlier slots. Automata are tables
//! the tape drives with `MachineStep`.

use serde::{Deserialize, Serialize};
use std::fmt;

pub const MAGIC: [u8; 4] = *b"RWC\0";
pub const FORMAT_VERSION: u16 = 4;
const HEADER_LEN: usize = 4 + 2 + 2 + 8 + 8;
/// Edge index meaning "no edge matched".
pub const NO_EDGE: u32 = u32::MAX;
/// Dense transition tables are used up to this many guard atoms (2^12 entries per state).
pub const MAX_DENSE_ATOMS: u32 = 12;
/// Guards may use at most this many atoms (props and comparisons) per automaton.
pub const MAX_ATOMS: u32 = 64;
/// Most slots (and instructions) of a program: with [`MAX_REGISTERS`], a
/// lane needs at most about 4.3 MiB, whatever the artifact declares.
pub const MAX_SLOTS: u32 = 1 << 20;
/// Most registers (`prev`, `total`, `gated`, potentials) of a program.
pub const MAX_REGISTERS: u32 = 1 << 16;

/// Index of a value column in the evaluator.
pub type Slot = u32;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ValueType {
    Bool,
    Int,
    F32,
}

impl fmt::Display for ValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ValueType::Bool => "bool",
            ValueType::Int => "int",
            ValueType::F32 => "f32",
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum InputKind {
    Scalar(ValueType),
    Vector(ValueType, u32),
    Criteria,
}

impl fmt::Display for InputKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputKind::Scalar(t) => write!(f, "{t}"),
            InputKind::Vector(t, n) => write!(f, "{t}[{n}]"),
            InputKind::Criteria => f.write_str("criteria"),
        }
    }
}

/// A declared range `lo..=hi` (or `lo..hi`).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Range {
    pub lo: f64,
    pub hi: f64,
    pub inclusive: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InputSpec {
    pub name: String,
    pub kind: InputKind,
    pub range: Option<Range>,
    /// Declared with `props` rather than `input`.
    pub is_prop: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ParamSpec {
    pub name: String,
    pub ty: ValueType,
    /// The default value's bits (`f32::to_bits`, `i32 as u32`, 0/1).
    pub default: u32,
    pub range: Option<Range>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AutomatonKind {
    Machine,
    Ltlf,
    /// An `ltl` formula: `accepting` marks the states entered by an
    /// accepting Büchi transition.
    Ltl,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EdgeSpec {
    pub from: u32,
    pub to: u32,
    /// The slot holding the edge's reward, computed every step; `None` pays 0.
    pub reward: Option<Slot>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cube {
    /// Atoms the cube constrains.
    pub mask: u64,
    /// Their required values.
    pub value: u64,
    pub edge: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Transitions {
    /// `table[state << atoms | label]` is the edge taken (or [`NO_EDGE`]).
    Dense { table: Vec<u32> },
    /// For state `s`, `cubes[first[s]..first[s + 1]]` in order; the first
    /// cube that matches the label decides the edge.
    Cubes { first: Vec<u32>, cubes: Vec<Cube> },
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AutomatonSpec {
    pub name: String,
    pub kind: AutomatonKind,
    pub states: Vec<String>,
    pub start: u32,
    pub terminal: Vec<bool>,
    pub accepting: Vec<bool>,
    /// Fewest transitions to a goal (machines) or accepting (formulas) state;
    /// the number of states when none is reachable.
    pub distance: Vec<u32>,
    /// Per-state tables of `f32` values (`m.value(gamma)`), one per table.
    pub values: Vec<Vec<f32>>,
    /// Bool slots whose values form the label, atom `k` at bit `k`.
    pub atoms: Vec<Slot>,
    pub edges: Vec<EdgeSpec>,
    pub transitions: Transitions,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum UnOp {
    NegF,
    NegI,
    Not,
    AbsF,
    AbsI,
    Exp,
    Ln,
    Sqrt,
    Sigmoid,
    Tanh,
    IntToF32,
    BoolToF32,
    BoolToInt,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BinOp {
    AddF,
    SubF,
    MulF,
    DivF,
    MinF,
    MaxF,
    AddI,
    SubI,
    MulI,
    DivI,
    RemI,
    MinI,
    MaxI,
    And,
    Or,
    EqB,
    EqF,
    NeF,
    LtF,
    LeF,
    GtF,
    GeF,
    EqI,
    NeI,
    LtI,
    LeI,
    GtI,
    GeI,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum GroupOp {
    Mean,
    Max,
    Min,
    /// Population standard deviation (divides by n).
    Std,
    Rank,
    /// Sample standard deviation (divides by n - 1; 0 for one lane), as
    /// `torch.std` and TRL's GRPO compute it.
    StdUnbiased,
    /// The same statistics over the whole batch: every active lane at the
    /// same step index, whatever its group.
    BatchMean,
    BatchStd,
    BatchStdUnbiased,
    BatchRank,
    /// The rank of the lane's group among the batch's groups by the group's
    /// mean of the value, highest first (0), ties by smaller group id.
    BatchGroupRank,
    /// How many groups the batch has.
    BatchGroups,
}

impl GroupOp {
    /// Over the whole batch rather than one group.
    pub fn is_batch(self) -> bool {
        matches!(
            self,
            GroupOp::BatchMean
                | GroupOp::BatchStd
                | GroupOp::BatchStdUnbiased
                | GroupOp::BatchRank
                | GroupOp::BatchGroupRank
                | GroupOp::BatchGroups
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AutomatonMember {
    State,
    Terminal,
    Distance,
    /// `.sat`: the current state accepts.
    Accepting,
    /// `.violated`: no accepting state is reachable.
    Violated,
    Reward,
    In(u32),
    /// The state's entry of value table `k`.
    Value(u32),
}

/// One instruction: computes `dst` for every lane.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Op {
    ConstF32(f32),
    ConstI32(i32),
    ConstBool(bool),
    Input(u32),
    /// Element `k` of a vector input.
    InputElem(u32, u32),
    Param(u32),
    /// The step index within the episode.
    Steps,
    /// `done || last`; reads the done slot when the spec has one.
    EpisodeEnd(Option<Slot>),
    Un(UnOp, Slot),
    Bin(BinOp, Slot, Slot),
    Select(Slot, Slot, Slot),
    /// Takes one transition of automaton `n`; writes its new state (int).
    Step(u32),
    Member(u32, AutomatonMember),
    /// The register's value from the previous step, or `default` at step 0.
    Prev {
        reg: u32,
        default: Slot,
    },
    /// Running sum over the episode, this step included.
    Total {
        reg: u32,
        value: Slot,
        ty: ValueType,
    },
    /// G-RA: accumulates `value`; pays the sum at the episode end if `cond`.
    Gated {
        reg: u32,
        cond: Slot,
        value: Slot,
        end: Slot,
        ty: ValueType,
    },
    Group(GroupOp, Slot),
    CriteriaScore(u32),
    CriteriaAll(u32),
    CriteriaFailed(u32),
    /// Potential-based shaping: `gamma * P_t - P_(t-1)`, with `P_t = 0` on
    /// a done step and `P_(-1) = start`.
    Potential {
        reg: u32,
        now: Slot,
        start: Slot,
        gamma: f32,
        done: Option<Slot>,
    },
}

impl Op {
    /// A constant's value bits (see [`ValueType`]); `None` for the others.
    pub fn constant_bits(&self) -> Option<u32> {
        match *self {
            Op::ConstF32(v) => Some(v.to_bits()),
            Op::ConstI32(v) => Some(v as u32),
            Op::ConstBool(v) => Some(u32::from(v)),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Instr {
    pub dst: Slot,
    pub op: Op,
}

/// Where an instruction came from, for runtime errors.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SourceSpan {
    pub file: String,
    pub line: u32,
    pub column: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogSpec {
    pub name: String,
    pub slot: Slot,
    pub ty: ValueType,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConstraintSpec {
    pub name: String,
    /// The constrained value, tracked for the end-of-batch update.
    pub value: Slot,
    pub limit: f32,
    /// `value <= limit` (true) or `value >= limit`.
    pub upper: bool,
    pub lr: f32,
    /// The param holding the multiplier.
    pub param: u32,
    /// The limit is on each episode's sum of the value: the update uses the
    /// mean over the episodes that ended since the last update.
    pub episodic: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Artifact {
    pub compiler_version: String,
    pub spec_name: String,
    pub inputs: Vec<InputSpec>,
    pub params: Vec<ParamSpec>,
    pub automata: Vec<AutomatonSpec>,
    pub slots: u32,
    /// Type of every slot.
    pub slot_types: Vec<ValueType>,
    pub code: Vec<Instr>,
    /// Per instruction, where it came from (may be empty).
    pub spans: Vec<Option<SourceSpan>>,
    pub registers: u32,
    /// At the end of every step, register `r` takes slot `s` (for `prev`).
    pub register_writes: Vec<(u32, Slot)>,
    pub reward: Slot,
    pub done: Option<Slot>,
    /// `discount = expr`: the step's discount factor (an f32 slot).
    pub discount: Option<Slot>,
    pub logs: Vec<LogSpec>,
    pub constraints: Vec<ConstraintSpec>,
}

/// Why an artifact was rejected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoadError {
    TooShort { len: usize },
    BadMagic,
    UnsupportedVersion { found: u16, supported: u16 },
    LengthMismatch { declared: u64, actual: usize },
    ChecksumMismatch { stored: u64, computed: u64 },
    Decode(String),
    Invalid(String),
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::TooShort { len } => write!(f, "file too short to be an rw artifact ({len} bytes)"),
            LoadError::BadMagic => write!(f, "not an rw artifact (wrong magic number)"),
            LoadError::UnsupportedVersion { found, supported } => {
                write!(
                    f,
                    "artifact format version {found} is not supported (this runtime reads version {supported}); recompile the spec"
                )
            }
            LoadError::LengthMismatch { declared, actual } => {
                write!(f, "artifact is truncated or padded: header says {declared} payload bytes, found {actual}")
            }
            LoadError::ChecksumMismatch { stored, computed } => {
                write!(
                    f,
                    "artifact checksum mismatch (stored {stored:016x}, computed {computed:016x}): the file is corrupt"
                )
            }
            LoadError::Decode(e) => write!(f, "artifact payload is malformed: {e}"),
            LoadError::Invalid(e) => write!(f, "artifact is inconsistent: {e}"),
        }
    }
}

impl std::error::Error for LoadError {}

/// FNV-1a, 64 bit: detects corruption (not tampering) in a few lines.
pub fn checksum(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

impl Artifact {
    /// Encodes the artifact with its header.
    pub fn to_bytes(&self) -> Vec<u8> {
        let payload = postcard::to_allocvec(self).unwrap_or_default();
        let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&checksum(&payload).to_le_bytes());
        out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
        out.extend_from_slice(&payload);
        out
    }

    /// Decodes and validates an artifact.
    pub fn from_bytes(bytes: &[u8]) -> Result<Artifact, LoadError> {
        if bytes.len() < HEADER_LEN {
            return Err(LoadError::TooShort { len: bytes.len() });
        }
        if bytes[0..4] != MAGIC {
            return Err(LoadError::BadMagic);
        }
        let u16_at = |i: usize| u16::from_le_bytes([bytes[i], bytes[i + 1]]);
        let u64_at = |i: usize| {
            let mut b = [0u8; 8];
            b.copy_from_slice(&bytes[i..i + 8]);
            u64::from_le_bytes(b)
        };
        let version = u16_at(4);
        if version != FORMAT_VERSION {
            return Err(LoadError::UnsupportedVersion { found: version, supported: FORMAT_VERSION });
        }
        let stored = u64_at(8);
        let declared = u64_at(16);
        let payload = &bytes[HEADER_LEN..];
        if declared != payload.len() as u64 {
            return Err(LoadError::LengthMismatch { declared, actual: payload.len() });
        }
        let computed = checksum(payload);
        if stored != computed {
            return Err(LoadError::ChecksumMismatch { stored, computed });
        }
        let artifact: Artifact = postcard::from_bytes(payload).map_err(|e| LoadError::Decode(e.to_string()))?;
        artifact.validate()?;
        Ok(artifact)
    }

    /// Checks every index and size, and that every instruction reads only
    /// slots written by earlier instructions, with the types it expects.
    pub fn validate(&self) -> Result<(), LoadError> {
        let bad = |msg: String| Err(LoadError::Invalid(msg));
        let n = self.slots as usize;
        if self.slot_types.len() != n {
            return bad(format!("{} slot types for {} slots", self.slot_types.len(), n));
        }
        if !self.spans.is_empty() && self.spans.len() != self.code.len() {
            return bad("span table does not match the code".into());
        }
        if self.registers > MAX_REGISTERS || n > MAX_SLOTS as usize || self.code.len() > MAX_SLOTS as usize {
            return bad(format!(
                "{} slots, {} instructions and {} registers; the limits are {MAX_SLOTS}, {MAX_SLOTS} and {MAX_REGISTERS}",
                n,
                self.code.len(),
                self.registers
            ));
        }
        for (i, a) in self.automata.iter().enumerate() {
            let states = a.states.len();
            if states == 0 || states > 1 << 20 {
                return bad(format!("automaton {i} has {states} states"));
            }
            if a.start as usize >= states
                || a.terminal.len() != states
                || a.accepting.len() != states
                || a.distance.len() != states
                || a.values.iter().any(|t| t.len() != states)
            {
                return bad(format!("automaton {i}: state tables disagree with {states} states"));
            }
            if a.atoms.len() as u32 > MAX_ATOMS {
                return bad(format!("automaton {i} has {} atoms", a.atoms.len()));
            }
            for &s in &a.atoms {
                if s as usize >= n || self.slot_types[s as usize] != ValueType::Bool {
                    return bad(format!("automaton {i}: atom slot {s} is not a bool slot"));
                }
            }
            for (e, edge) in a.edges.iter().enumerate() {
                if edge.from as usize >= states || edge.to as usize >= states {
                    return bad(format!("automaton {i}: edge {e} has a state out of range"));
                }
                if let Some(r) = edge.reward
                    && (r as usize >= n || self.slot_types[r as usize] != ValueType::F32)
                {
                    return bad(format!("automaton {i}: edge {e} reward slot {r} is not an f32 slot"));
                }
            }
            let edges = a.edges.len() as u32;
            let edge_ok = |e: u32| e == NO_EDGE || e < edges;
            match &a.transitions {
                Transitions::Dense { table } => {
                    let atoms = a.atoms.len() as u32;
                    if atoms > MAX_DENSE_ATOMS || table.len() != states << atoms {
                        return bad(format!("automaton {i}: dense table has {} entries", table.len()));
                    }
                    if !table.iter().all(|&e| edge_ok(e)) {
                        return bad(format!("automaton {i}: dense table names a missing edge"));
                    }
                }
                Transitions::Cubes { first, cubes } => {
                    if first.len() != states + 1
                        || first.windows(2).any(|w| w[0] > w[1])
                        || first.last().copied().unwrap_or(0) as usize != cubes.len()
                    {
                        return bad(format!("automaton {i}: cube offsets are inconsistent"));
                    }
                    if !cubes.iter().all(|c| c.edge < edges) {
                        return bad(format!("automaton {i}: a cube names a missing edge"));
                    }
                }
            }
        }
        for (k, input) in self.inputs.iter().enumerate() {
            if let InputKind::Vector(_, len) = input.kind
                && (len == 0 || len > 1 << 16)
            {
                return bad(format!("input {k} has vector length {len}"));
            }
        }
        let mut written = vec![false; n];
        // Each automaton steps once per step, before anything reads it: the
        // edge taken and the state are then this step's (the fast paths
        // fuse members into the step and keep no edge across steps).
        let mut stepped = vec![false; self.automata.len()];
        for (pc, instr) in self.code.iter().enumerate() {
            let dst = instr.dst as usize;
            if dst >= n {
                return bad(format!("instruction {pc} writes slot {dst} of {n}"));
            }
            if written[dst] {
                return bad(format!("instruction {pc} writes slot {dst} a second time"));
            }
            let expected = self.check_instr(pc, instr, &written)?;
            match instr.op {
                Op::Step(a) if stepped[a as usize] => {
                    return bad(format!("instruction {pc} steps automaton {a} a second time"));
                }
                Op::Step(a) => stepped[a as usize] = true,
                Op::Member(a, _) if !stepped[a as usize] => {
                    return bad(format!("instruction {pc} reads automaton {a} before its step"));
                }
                _ => {}
            }
            if self.slot_types[dst] != expected {
                return bad(format!("instruction {pc} produces {expected} into a {} slot", self.slot_types[dst]));
            }
            written[dst] = true;
        }
        let read = |s: Slot, what: &str| -> Result<(), LoadError> {
            if (s as usize) < n && written[s as usize] {
                Ok(())
            } else {
                Err(LoadError::Invalid(format!("{what} reads slot {s}, which no instruction writes")))
            }
        };
        read(self.reward, "the reward")?;
        if self.slot_types[self.reward as usize] != ValueType::F32 {
            return bad("the reward slot is not f32".into());
        }
        if let Some(d) = self.done {
            read(d, "done")?;
            if self.slot_types[d as usize] != ValueType::Bool {
                return bad("the done slot is not bool".into());
            }
        }
        if let Some(d) = self.discount {
            read(d, "the discount")?;
            if self.slot_types[d as usize] != ValueType::F32 {
                return bad("the discount slot is not f32".into());
            }
        }
        for log in &self.logs {
            read(log.slot, "a log")?;
            if self.slot_types[log.slot as usize] != log.ty {
                return bad(format!("log `{}` has the wrong type", log.name));
            }
        }
        for &(reg, slot) in &self.register_writes {
            read(slot, "a register write")?;
            if reg >= self.registers {
                return bad(format!("register {reg} out of range"));
            }
        }
        for c in &self.constraints {
            read(c.value, "a constraint")?;
            if c.param as usize >= self.params.len() || self.slot_types[c.value as usize] != ValueType::F32 {
                return bad(format!("constraint `{}` is inconsistent", c.name));
            }
        }
        Ok(())
    }

    /// Checks one instruction's operands; returns the type it produces.
    fn check_instr(&self, pc: usize, instr: &Instr, written: &[bool]) -> Result<ValueType, LoadError> {
        use ValueType::*;
        let bad = |msg: String| Err(LoadError::Invalid(format!("instruction {pc}: {msg}")));
        let slot = |s: Slot, ty: Option<ValueType>| -> Result<ValueType, LoadError> {
            match written.get(s as usize) {
                Some(true) => {
                    let t = self.slot_types[s as usize];
                    match ty {
                        Some(want) if want != t => {
                            Err(LoadError::Invalid(format!("instruction {pc}: slot {s} is {t}, expected {want}")))
                        }
                        _ => Ok(t),
                    }
                }
                _ => Err(LoadError::Invalid(format!("instruction {pc}: reads slot {s} before it is written"))),
            }
        };
        let reg = |r: u32| -> Result<(), LoadError> {
            if r < self.registers {
                Ok(())
            } else {
                Err(LoadError::Invalid(format!("instruction {pc}: register {r} out of range")))
            }
        };
        let automaton = |a: u32| -> Result<&AutomatonSpec, LoadError> {
            self.automata
                .get(a as usize)
                .ok_or_else(|| LoadError::Invalid(format!("instruction {pc}: automaton {a} out of range")))
        };
        let input = |i: u32| -> Result<&InputSpec, LoadError> {
            self.inputs
                .get(i as usize)
                .ok_or_else(|| LoadError::Invalid(format!("instruction {pc}: input {i} out of range")))
        };
        Ok(match &instr.op {
            Op::ConstF32(_) => F32,
            Op::ConstI32(_) => Int,
            Op::ConstBool(_) => Bool,
            Op::Input(i) => match input(*i)?.kind {
                InputKind::Scalar(t) => t,
                _ => return bad(format!("input {i} is not a scalar")),
            },
            Op::InputElem(i, k) => match input(*i)?.kind {
                InputKind::Vector(t, len) if *k < len => t,
                _ => return bad(format!("input {i} has no element {k}")),
            },
            Op::Param(p) => match self.params.get(*p as usize) {
                Some(p) => p.ty,
                None => return bad(format!("param {p} out of range")),
            },
            Op::Steps => Int,
            Op::EpisodeEnd(done) => {
                if let Some(d) = done {
                    slot(*d, Some(Bool))?;
                }
                Bool
            }
            Op::Un(op, a) => {
                let (arg, out) = match op {
                    UnOp::NegF | UnOp::AbsF | UnOp::Exp | UnOp::Ln | UnOp::Sqrt | UnOp::Sigmoid | UnOp::Tanh => {
                        (F32, F32)
                    }
                    UnOp::NegI | UnOp::AbsI => (Int, Int),
                    UnOp::Not => (Bool, Bool),
                    UnOp::IntToF32 => (Int, F32),
                    UnOp::BoolToF32 => (Bool, F32),
                    UnOp::BoolToInt => (Bool, Int),
                };
                slot(*a, Some(arg))?;
                out
            }
            Op::Bin(op, a, b) => {
                use BinOp::*;
                let (arg, out) = match op {
                    AddF | SubF | MulF | DivF | MinF | MaxF => (F32, F32),
                    AddI | SubI | MulI | DivI | RemI | MinI | MaxI => (Int, Int),
                    And | Or | EqB => (Bool, Bool),
                    EqF | NeF | LtF | LeF | GtF | GeF => (F32, Bool),
                    EqI | NeI | LtI | LeI | GtI | GeI => (Int, Bool),
                };
                slot(*a, Some(arg))?;
                slot(*b, Some(arg))?;
                out
            }
            Op::Select(c, a, b) => {
                slot(*c, Some(Bool))?;
                let t = slot(*a, None)?;
                slot(*b, Some(t))?;
                t
            }
            Op::Step(a) => {
                let spec = automaton(*a)?;
                for &s in &spec.atoms {
                    slot(s, Some(Bool))?;
                }
                Int
            }
            Op::Member(a, member) => {
                let spec = automaton(*a)?;
                match member {
                    AutomatonMember::State | AutomatonMember::Distance => Int,
                    AutomatonMember::Terminal | AutomatonMember::Accepting | AutomatonMember::Violated => Bool,
                    AutomatonMember::In(s) if (*s as usize) < spec.states.len() => Bool,
                    AutomatonMember::Value(k) if (*k as usize) < spec.values.len() => F32,
                    AutomatonMember::Value(k) => return bad(format!("value table {k} out of range")),
                    AutomatonMember::In(s) => return bad(format!("state {s} out of range")),
                    AutomatonMember::Reward => {
                        for e in &spec.edges {
                            if let Some(r) = e.reward {
                                slot(r, Some(F32))?;
                            }
                        }
                        F32
                    }
                }
            }
            Op::Prev { reg: r, default } => {
                reg(*r)?;
                let t = slot(*default, None)?;
                // The register must be written with a slot of the same type.
                match self.register_writes.iter().find(|(w, _)| w == r) {
                    Some((_, s)) if self.slot_types.get(*s as usize) == Some(&t) => t,
                    _ => return bad(format!("register {r} has no write of type {t}")),
                }
            }
            Op::Total { reg: r, value, ty } => {
                reg(*r)?;
                slot(*value, Some(*ty))?;
                if *ty == Bool {
                    return bad("total of a bool".into());
                }
                *ty
            }
            Op::Gated { reg: r, cond, value, end, ty } => {
                reg(*r)?;
                slot(*cond, Some(Bool))?;
                slot(*end, Some(Bool))?;
                slot(*value, Some(*ty))?;
                if *ty == Bool {
                    return bad("gated bool".into());
                }
                *ty
            }
            Op::Group(op, x) => {
                let t = slot(*x, None)?;
                match (op, t) {
                    (_, Bool) => return bad("group term of a bool".into()),
                    (
                        GroupOp::Mean
                        | GroupOp::Std
                        | GroupOp::StdUnbiased
                        | GroupOp::BatchMean
                        | GroupOp::BatchStd
                        | GroupOp::BatchStdUnbiased,
                        _,
                    ) => F32,
                    (GroupOp::Rank | GroupOp::BatchRank | GroupOp::BatchGroupRank | GroupOp::BatchGroups, _) => Int,
                    (_, t) => t,
                }
            }
            Op::CriteriaScore(i) | Op::CriteriaAll(i) | Op::CriteriaFailed(i) => {
                if input(*i)?.kind != InputKind::Criteria {
                    return bad(format!("input {i} is not a criteria list"));
                }
                match &instr.op {
                    Op::CriteriaScore(_) => F32,
                    Op::CriteriaAll(_) => Bool,
                    _ => Int,
                }
            }
            Op::Potential { reg: r, now, start, done, .. } => {
                reg(*r)?;
                slot(*now, Some(F32))?;
                slot(*start, Some(F32))?;
                if let Some(d) = done {
                    slot(*d, Some(Bool))?;
                }
                F32
            }
        })
    }
}

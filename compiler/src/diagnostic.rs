//! Diagnostics as plain data.
//!
//! Every phase reports problems as [`Diagnostic`] values: a code, a severity, a
//! message, labelled spans, notes and a help line. Nothing here knows how a
//! diagnostic is shown; the CLI renders them with ariadne or as JSON and the
//! language server converts them to LSP. The registry [`CODES`] lists every
//! code the compiler can emit with its explanation (docs/diagnostics.md is
//! generated from it and checked by the test suite).

use crate::source::Span;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Label {
    pub span: Span,
    pub message: String,
    pub primary: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    pub labels: Vec<Label>,
    pub notes: Vec<String>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            labels: Vec::new(),
            notes: Vec::new(),
            help: None,
        }
    }

    pub fn warning(code: &'static str, message: impl Into<String>) -> Diagnostic {
        Diagnostic { severity: Severity::Warning, ..Diagnostic::error(code, message) }
    }

    /// The label that locates the diagnostic.
    pub fn primary(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label { span, message: message.into(), primary: true });
        self
    }

    /// A label that gives context (the first definition, the opening bracket).
    pub fn secondary(mut self, span: Span, message: impl Into<String>) -> Diagnostic {
        self.labels.push(Label { span, message: message.into(), primary: false });
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    pub fn primary_span(&self) -> Option<Span> {
        self.labels.iter().find(|l| l.primary).or(self.labels.first()).map(|l| l.span)
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

/// One entry of the code registry.
pub struct CodeInfo {
    pub code: &'static str,
    pub title: &'static str,
    pub explanation: &'static str,
}

macro_rules! codes {
    ($($name:ident = $code:literal, $title:literal, $expl:literal;)*) => {
        /// Diagnostic codes, by name.
        pub mod code {
            $(pub const $name: &str = $code;)*
        }
        /// Every diagnostic code with its title and explanation.
        pub const CODES: &[CodeInfo] = &[
            $(CodeInfo { code: $code, title: $title, explanation: $expl },)*
        ];
    };
}

codes! {
    // RW01xx: syntax
    SYNTAX = "RW0101", "syntax error",
        "The text does not follow the grammar. The message says what the parser expected at that point; the parser then resumes at the next line that starts an item, so later errors are reported too.";
    UNCLOSED = "RW0102", "unclosed delimiter",
        "A `(`, `[` or `{` has no matching closing delimiter. The primary label is on the opening delimiter, a secondary label shows where parsing stopped.";
    BAD_LITERAL = "RW0103", "invalid literal",
        "A number literal that does not fit its type: an integer outside the `i32` range, or a float that overflows `f32`.";
    TOO_DEEP = "RW0104", "nesting too deep",
        "Brackets nest deeper than the compiler accepts (128 levels) or an item is too long (20,000 tokens). The limits keep the compiler's work bounded on any input.";
    // RW02xx: names and modules
    UNKNOWN_NAME = "RW0201", "unknown name",
        "A name that is not declared in the spec, its imports or the built-ins. A close match is suggested when there is one.";
    DUPLICATE = "RW0202", "duplicate definition",
        "A top-level name (or a state, criteria item, parameter or log name) is declared twice. Identical declarations imported from modules merge; anything else is an error.";
    CYCLE = "RW0203", "cyclic definition",
        "Definitions refer to each other in a cycle (lets, consts, functions, machine rewards). Every member of the cycle is labelled. A reference inside `prev(...)` reads the previous step and does not count.";
    UNKNOWN_MODULE = "RW0204", "unknown module",
        "A `use` names a standard-library module that does not exist, or a file that cannot be read.";
    UNKNOWN_ITEM = "RW0205", "unknown item in module",
        "A `use std::m::{x}` names an item that module `m` does not declare.";
    UNKNOWN_FUNCTION = "RW0206", "unknown function",
        "A call to a function that is neither a built-in nor declared with `fn`.";
    UNKNOWN_MEMBER = "RW0207", "unknown member",
        "A member access such as `task.rewards` on a machine, formula or criteria list that has no such member, or on a value that has no members at all.";
    UNKNOWN_STATE = "RW0208", "unknown state",
        "`m.in(s)` names a state that machine `m` does not have, or a `states` list misses a state used by the machine.";
    NOT_A_VALUE = "RW0209", "not a value",
        "A machine, formula, criteria list or function is used where a value is expected; use one of its members (`task.reward`) or call it.";
    RESERVED_NAME = "RW0210", "reserved name",
        "A `log` named `episode`, `step`, `reward`, `done` or `discount` (the columns of `rwc eval` output), or a prop or input named `episode`, `group`, `props` or `truncated` (fields of every trace line, so a trace could never supply it).";
    MODULE_OUTPUT = "RW0211", "output in an imported module",
        "A module imported with `use` declares `reward`, `log`, `done`, `shape` or `constraint`. Modules only provide items; outputs belong in the spec.";
    // RW03xx: types
    TYPE_MISMATCH = "RW0301", "type mismatch",
        "An operand or value has the wrong type: a number where a bool is needed (or the reverse), a vector used as an arithmetic operand, branches of different types.";
    ARITY = "RW0302", "wrong number of arguments",
        "A built-in or `fn` called with too few or too many arguments.";
    NOT_CONSTANT = "RW0303", "not a constant",
        "A place that needs a value known at compile time (const, param default, vector size or index, range bound, `gamma`, criteria weight) got an expression that depends on inputs.";
    INDEX_RANGE = "RW0304", "index out of range",
        "A constant vector index outside `0..n`.";
    CHAINED_COMPARISON = "RW0305", "chained comparison",
        "Comparisons do not chain: `a < b < c` is an error. Write `a < b & b < c`.";
    BAD_RANGE = "RW0306", "invalid range",
        "A declared range that is empty, whose bounds do not match the input's type, or that is attached to a type without an order (`bool`, `criteria`).";
    GUARD_NAME = "RW0307", "name not allowed here",
        "Guards and `ltlf` atoms may use only props, inputs, params and consts; `fn` bodies only their parameters, consts, params and pure built-ins; consts only other consts. Stateful built-ins (`prev`, `total`, `gated`, group terms) are not allowed in those places either.";
    UNKNOWN_TYPE = "RW0308", "unknown type",
        "A type that is not `bool`, `int`, `f32`, a vector `T[n]`, or `criteria` (inputs only).";
    DONE_CYCLE = "RW0309", "`done` depends on the episode end",
        "`done when` may not depend on `episode_end`, `gated` or an output: the episode end is computed from `done`.";
    BAD_VALUE = "RW0310", "invalid value",
        "A constant outside its allowed set: `gamma` outside (0, 1], a negative criteria weight, a non-positive learning rate, a vector of size 0.";
    // RW04xx: spec structure
    MISSING_REWARD = "RW0401", "missing reward",
        "A file that declares outputs (`log`, `done when`, `shape`, `constraint`) is a spec and needs exactly one `reward = ...`.";
    MACHINE_START = "RW0402", "machine start state",
        "A machine needs exactly one `start` state.";
    TERMINAL_EDGE = "RW0403", "edge out of a terminal state",
        "Terminal states absorb with reward 0; an edge that leaves one is an error.";
    UNSUPPORTED = "RW0404", "not supported yet",
        "The construct is part of the language but is not compiled in this position (`last` in an infinite-trace `ltl` formula, where there is no last step). The message points at the supported alternative.";
    BAD_CONSTRAINT = "RW0405", "malformed constraint",
        "A `constraint` needs a comparison `x <= c` or `x >= c` with a constant `c`, a `lagrange(lr ...)` clause, and a name (`constraint NAME: ...`) when the constrained value is not a plain name.";
    CRITERIA_INPUT = "RW0406", "criteria item without a verdict input",
        "An item of an inline `criteria` list names the input that carries its verdict; that input must be a `bool` or an `f32` declared `in 0.0..=1.0`.";
    // RW05xx: automata
    OVERLAP = "RW0501", "overlapping guards",
        "Two edges leaving the same state of a machine can match the same step (the note gives a valuation where both guards hold). Make the guards exclusive, or declare the machine `priority` so that the first listed edge wins. Checked exactly when the guards use only props and bool inputs; guards with numeric comparisons are checked by the verifier.";
    AUTOMATON_LIMIT = "RW0502", "automaton too large",
        "A machine's guards use more than 64 distinct atoms (props and comparisons), or with more than 12 atoms expand to more than 65,536 cases; or an `ltlf` formula uses more than 16 distinct atoms or its automaton would exceed 10,000 states before minimisation; or an `ltl` formula uses more than 12 distinct atoms, its automaton would exceed 50,000 states or 4,096 guesses, an obligation more than 4,096 cubes, or its limit-deterministic automaton more than 16 jump choices in one step. The limits keep compilation and tables bounded.";
    LTL_NEEDS_JUMP = "RW0504", "`ltl` formula needs a jump input",
        "The formula has no deterministic Büchi automaton that rwc builds, so it compiles to a limit-deterministic one: in some steps the agent chooses whether and where to jump into the automaton's accepting part (the ε-actions of LCRL and of Hahn et al. 2019). Declare an `int` input and name it with `jump NAME` after the formula: 0 (or a value with no jump) stays, `k` takes the `k`-th jump. `rwc inspect` and `rwc dot` show the jumps.";
    NOT_COVERED = "RW0503", "strict machine does not cover a case",
        "A `strict` machine has a state and a valuation that no edge matches (the note gives it). Add an edge, for example a self-loop `s -> s when true` last, or drop `strict` to stay in the state with reward 0.";
    NEVER_HOLDS = "RW0505", "guard never holds",
        "No valuation of the props and no input values within their declared ranges satisfy this edge's guard, so the edge is never taken (proved by the solver).";
    SHADOWED = "RW0506", "edge shadowed",
        "In a `priority` machine, whenever this edge's guard holds an earlier edge from the same state holds too, so this edge is never taken.";
    UNREACHABLE = "RW0507", "unreachable state",
        "No sequence of edges whose guards can hold leads from the start state to this state.";
    DEAD_STATE = "RW0508", "dead state",
        "A reachable, non-terminal state from which no edge that pays a reward and no terminal state can be reached: an episode that gets there earns nothing more.";
    GOAL_UNREACHABLE = "RW0509", "goal reward never paid",
        "The machine has edges into terminal states that pay a positive reward, but none of them can ever be taken: the spec's main reward is unreachable.";
    INCONCLUSIVE = "RW0510", "verification inconclusive",
        "The solver did not decide a query within `--timeout-ms`; the check is neither passed nor failed. Raise the limit or simplify the guards.";
    UNBOUNDED = "RW0511", "unbounded output",
        "An output can grow without bound because it depends on an input or param declared without a range. The warning gives the interval and names each such input; declaring ranges also lets the verifier prove more.";
    CONSTANT_OUTPUT = "RW0512", "constant output",
        "An output that is the same on every step, whatever the inputs: usually a mistake.";
    NOT_POTENTIAL = "RW0513", "shaping term not potential-based",
        "A `shape term` is not of the form `gamma * phi(s') - phi(s)` for its `gamma`: optimal-policy invariance (Ng, Harada & Russell 1999) is not assured. The note gives two steps at which the term differs by more than any potential allows, and the help a potential-based rewrite when there is one.";
    SHAPING_UNDECIDED = "RW0514", "shaping term not decided",
        "The verifier could not decide whether a `shape term` is potential-based: `prev` appears other than as an added term, a part of the term cannot be modelled exactly, or the solver ran out of time.";
    CONSTANT_CONDITION = "RW0515", "gate or constraint decided in advance",
        "A `gated` condition or a `constraint` that can never hold, or always holds, within the declared ranges (proved by the solver): a gate that never opens never pays, one always open gates nothing; a constraint always met never binds, one never met makes its multiplier grow without end.";
    NOT_FINITE = "RW0516", "value can be infinite or NaN",
        "A division whose divisor can be 0, a `log` of a value that can be 0 or negative, a `sqrt` of a value that can be negative, or an output that can overflow to infinity, within the declared ranges. The label gives a witness (input values from the solver, or the kind of group that does it); `may` means the bounds reach the bad value but no witness was found. At run time a NaN reward or log stops `rwc eval`, and infinities poison a trainer's returns.";
    BAD_TRACE = "RW0601", "bad trace input",
        "A line of an `rwc eval` trace does not fit the spec: not a JSON object, an unknown field or prop, a missing input, a value of the wrong type or outside its declared range. The diagnostic names the line and the field; nothing is evaluated.";
}

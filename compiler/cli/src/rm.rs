//! `rwc import rm`: the reward-machine files of the reward_machines code
//! base (Toro Icarte et al.) as rw specs.
//!
//! Three steps. [`parse`] reads a file as the original `_load_reward_machine`
//! does (`eval` of each line): `#` comments anywhere, the initial state, the
//! list of terminal states, one `(u1, u2, 'dnf', RewardFunction(...))` tuple
//! per edge, with Python arithmetic in constant rewards. [`Machine::build`]
//! applies the original code's rules (`RewardMachine` on its master
//! branch): edges out of terminal states are dropped, every terminal state
//! is the one merged terminal `-1`, a later edge with the same (from, to)
//! replaces the earlier one in place, the first matching edge wins, and a
//! label no edge matches ends the episode paying `delta_r[u1][-1]` when the
//! state has an edge into a terminal state (upstream issue #50), recording
//! each rule the file actually meets as a [`Quirk`]. [`Machine::to_rw`]
//! writes the spec: a `priority` machine with the file's state numbers and
//! fallback edges only for labels no edge covers.

use std::collections::{BTreeMap, BTreeSet};

/// Largest state number a file may use: states keep their numbers, so gaps
/// become placeholder states.
pub const MAX_STATE: u32 = 10_000;

/// Most distinct propositions whose labels are enumerated to find the
/// labels no edge covers (2^16 labels per state).
pub const MAX_ENUMERATED_PROPS: usize = 16;

/// A problem with the file: 1-based line and message.
#[derive(Debug, Clone, PartialEq)]
pub struct RmError {
    pub line: usize,
    pub message: String,
}

fn err(line: usize, message: impl Into<String>) -> RmError {
    RmError { line, message: message.into() }
}

/// The reward-function classes of the reward_machines repository.
#[derive(Debug, Clone, PartialEq)]
pub enum RewardFn {
    /// `ConstantRewardFunction(c)`.
    Constant(f64),
    /// `RewardControl()`: the environment's `reward_ctrl`.
    Control,
    /// `RewardForward()`: `reward_run + reward_ctrl` (half-cheetah).
    Forward,
    /// `RewardBackwards()`: `-reward_run + reward_ctrl`.
    Backwards,
}

impl RewardFn {
    /// The reward as an rw expression; `None` for a constant 0.
    fn rw(&self) -> Option<String> {
        match self {
            RewardFn::Constant(c) if *c == 0.0 => None,
            RewardFn::Constant(c) => Some(float_literal(*c)),
            RewardFn::Control => Some("reward_ctrl".into()),
            RewardFn::Forward => Some("reward_run + reward_ctrl".into()),
            RewardFn::Backwards => Some("-reward_run + reward_ctrl".into()),
        }
    }

    /// Its value in value iteration: constants count, the others count 0
    /// (as the original's `value_iteration` does).
    pub fn constant(&self) -> f64 {
        if let RewardFn::Constant(c) = self { *c } else { 0.0 }
    }

    fn inputs(&self) -> &'static [&'static str] {
        match self {
            RewardFn::Constant(_) => &[],
            RewardFn::Control => &["reward_ctrl"],
            RewardFn::Forward | RewardFn::Backwards => &["reward_run", "reward_ctrl"],
        }
    }
}

/// An rw literal for a reward: integers without a fraction, others with
/// the shortest decimal that reads back to the same f64.
fn float_literal(c: f64) -> String {
    if c == c.trunc() && c.abs() < 1e15 { format!("{}", c as i64) } else { format!("{c:?}") }
}

/// One edge line of the file.
#[derive(Debug, Clone)]
pub struct FileEdge {
    pub line: usize,
    pub from: u32,
    pub to: u32,
    /// The DNF as written (`a&!b|c`).
    pub guard: String,
    pub reward: RewardFn,
}

/// A parsed file.
#[derive(Debug, Clone)]
pub struct RmFile {
    pub initial: u32,
    pub terminal: Vec<u32>,
    pub edges: Vec<FileEdge>,
}

// ---- parsing: the subset of Python the files use -------------------------------

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64, bool),
    Str(String),
    Name(String),
    Punct(&'static str),
}

fn tokens(text: &str, line: usize) -> Result<Vec<Tok>, RmError> {
    let mut out = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '#' {
            break;
        } else if c == '\'' || c == '"' {
            let close = chars[i + 1..].iter().position(|&d| d == c).ok_or_else(|| err(line, "unclosed string"))?;
            out.push(Tok::Str(chars[i + 1..i + 1 + close].iter().collect()));
            i += close + 2;
        } else if c.is_ascii_digit() || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit)) {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '.' || chars[i] == '_') {
                // An exponent's sign belongs to the number.
                if matches!(chars[i], 'e' | 'E') && matches!(chars.get(i + 1), Some('+' | '-')) {
                    i += 1;
                }
                i += 1;
            }
            let text: String = chars[start..i].iter().filter(|&&d| d != '_').collect();
            let value = text.parse::<f64>().map_err(|_| err(line, format!("`{text}` is not a number")))?;
            let integer = !text.contains(['.', 'e', 'E']);
            out.push(Tok::Num(value, integer));
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push(Tok::Name(chars[start..i].iter().collect()));
        } else {
            let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            let punct = ["**", "//"]
                .into_iter()
                .find(|p| two == *p)
                .or_else(|| ["(", ")", "[", "]", ",", "+", "-", "*", "/", "%"].into_iter().find(|p| p.starts_with(c)));
            let Some(p) = punct else { return Err(err(line, format!("unexpected `{c}`"))) };
            out.push(Tok::Punct(p));
            i += p.len();
        }
    }
    Ok(out)
}

/// A cursor over one line's tokens.
struct Cursor {
    toks: Vec<Tok>,
    at: usize,
    line: usize,
}

impl Cursor {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at)
    }
    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.at).cloned();
        self.at += 1;
        t
    }
    fn eat(&mut self, p: &str) -> bool {
        if self.peek()
            == Some(&Tok::Punct(match p {
                "(" => "(",
                ")" => ")",
                "[" => "[",
                "]" => "]",
                "," => ",",
                _ => return false,
            }))
        {
            self.at += 1;
            true
        } else {
            false
        }
    }
    fn expect(&mut self, p: &str, what: &str) -> Result<(), RmError> {
        if self.eat(p) { Ok(()) } else { Err(err(self.line, format!("expected `{p}` {what}"))) }
    }
    fn done(&self) -> Result<(), RmError> {
        match self.peek() {
            None => Ok(()),
            Some(t) => Err(err(self.line, format!("unexpected {} after the value", describe(t)))),
        }
    }

    /// Python arithmetic on numbers: `+ - * / // % **`, unary signs, brackets.
    fn arith(&mut self) -> Result<(f64, bool), RmError> {
        let (mut v, mut int) = self.term()?;
        loop {
            let op = match self.peek() {
                Some(Tok::Punct(p @ ("+" | "-"))) => *p,
                _ => return Ok((v, int)),
            };
            self.at += 1;
            let (w, wint) = self.term()?;
            v = if op == "+" { v + w } else { v - w };
            int &= wint;
        }
    }
    fn term(&mut self) -> Result<(f64, bool), RmError> {
        let (mut v, mut int) = self.unary()?;
        loop {
            let op = match self.peek() {
                Some(Tok::Punct(p @ ("*" | "/" | "//" | "%"))) => *p,
                _ => return Ok((v, int)),
            };
            self.at += 1;
            let (w, wint) = self.unary()?;
            if w == 0.0 && op != "*" {
                return Err(err(self.line, "division by zero in a reward"));
            }
            (v, int) = match op {
                "*" => (v * w, int && wint),
                // Python's true division always gives a float.
                "/" => (v / w, false),
                "//" => ((v / w).floor(), int && wint),
                _ => (v - w * (v / w).floor(), int && wint),
            };
        }
    }
    fn unary(&mut self) -> Result<(f64, bool), RmError> {
        match self.peek() {
            Some(Tok::Punct("-")) => {
                self.at += 1;
                let (v, int) = self.unary()?;
                Ok((-v, int))
            }
            Some(Tok::Punct("+")) => {
                self.at += 1;
                self.unary()
            }
            _ => self.power(),
        }
    }
    fn power(&mut self) -> Result<(f64, bool), RmError> {
        let (v, int) = self.atom()?;
        if self.peek() == Some(&Tok::Punct("**")) {
            self.at += 1;
            let (w, wint) = self.unary()?;
            return Ok((v.powf(w), int && wint && w >= 0.0));
        }
        Ok((v, int))
    }
    fn atom(&mut self) -> Result<(f64, bool), RmError> {
        match self.next() {
            Some(Tok::Num(v, int)) => Ok((v, int)),
            Some(Tok::Punct("(")) => {
                let v = self.arith()?;
                self.expect(")", "to close the bracket")?;
                Ok(v)
            }
            Some(t) => Err(err(self.line, format!("expected a number, found {}", describe(&t)))),
            None => Err(err(self.line, "expected a number, found the end of the line")),
        }
    }

    fn state(&mut self) -> Result<u32, RmError> {
        let (v, int) = self.arith()?;
        if !int || v < 0.0 || v.fract() != 0.0 {
            return Err(err(self.line, format!("`{v}` is not a state number (a non-negative integer)")));
        }
        if v > f64::from(MAX_STATE) {
            return Err(err(
                self.line,
                format!("state `{v}` is larger than the limit of {MAX_STATE} (states keep their numbers)"),
            ));
        }
        Ok(v as u32)
    }

    fn reward(&mut self) -> Result<RewardFn, RmError> {
        let Some(Tok::Name(class)) = self.next() else {
            return Err(err(self.line, "expected a reward function such as `ConstantRewardFunction(1)`"));
        };
        self.expect("(", &format!("after `{class}`"))?;
        let reward = match class.as_str() {
            "ConstantRewardFunction" => {
                let (v, _) = self.arith()?;
                if !v.is_finite() {
                    return Err(err(self.line, "the constant reward is not a finite number"));
                }
                RewardFn::Constant(v)
            }
            "RewardControl" => RewardFn::Control,
            "RewardForward" => RewardFn::Forward,
            "RewardBackwards" => RewardFn::Backwards,
            other => {
                return Err(err(
                    self.line,
                    format!(
                        "unknown reward function `{other}`: the reward_machines classes are ConstantRewardFunction, RewardControl, RewardForward and RewardBackwards"
                    ),
                ));
            }
        };
        self.expect(")", &format!("to close `{class}(`"))?;
        Ok(reward)
    }
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Num(v, _) => format!("`{v}`"),
        Tok::Str(s) => format!("the string `'{s}'`"),
        Tok::Name(n) => format!("`{n}`"),
        Tok::Punct(p) => format!("`{p}`"),
    }
}

/// Reads a file as the original's `_load_reward_machine` does; unlike it,
/// blank and comment-only lines are skipped (the original's `eval` raises
/// on them).
pub fn parse(text: &str) -> Result<RmFile, RmError> {
    let mut lines = text.lines().enumerate().map(|(k, l)| (k + 1, l)).filter_map(|(n, l)| match tokens(l, n) {
        Ok(t) if t.is_empty() => None,
        other => Some(other.map(|toks| Cursor { toks, at: 0, line: n })),
    });
    let mut first = lines.next().ok_or_else(|| err(1, "the file has no initial state"))??;
    let initial = first.state()?;
    first.done()?;
    let mut second = lines.next().ok_or_else(|| err(first.line, "the file has no list of terminal states"))??;
    let open = if second.eat("[") {
        "]"
    } else if second.eat("(") {
        ")"
    } else {
        return Err(err(second.line, "expected a list of terminal states such as `[2]` or `[]`"));
    };
    let mut terminal = Vec::new();
    while !second.eat(open) {
        terminal.push(second.state()?);
        if !second.eat(",") {
            second.expect(open, "to close the list of terminal states")?;
            break;
        }
    }
    second.done()?;
    let mut edges = Vec::new();
    for cursor in lines {
        let mut c = cursor?;
        let shape = |c: &Cursor| err(c.line, "expected an edge `(from, to, 'guard', ConstantRewardFunction(r))`");
        if !c.eat("(") {
            return Err(shape(&c));
        }
        let from = c.state()?;
        c.expect(",", "after the edge's source state")?;
        let to = c.state()?;
        c.expect(",", "after the edge's target state")?;
        let Some(Tok::Str(guard)) = c.next() else { return Err(shape(&c)) };
        c.expect(",", "after the guard")?;
        let reward = c.reward()?;
        c.eat(",");
        c.expect(")", "to close the edge")?;
        c.done()?;
        check_guard(&guard, c.line)?;
        edges.push(FileEdge { line: c.line, from, to, guard, reward });
    }
    Ok(RmFile { initial, terminal, edges })
}

/// The original's `evaluate_dnf` reads `|`, then `&`, then `!`, and
/// compares each literal with the true propositions by substring; a guard
/// with spaces or brackets would silently never match there, so it is
/// refused here.
fn check_guard(guard: &str, line: usize) -> Result<(), RmError> {
    if guard.is_empty() {
        return Err(err(line, "the guard is empty"));
    }
    for literal in guard.split(['|', '&']) {
        let atom = literal.trim_start_matches('!');
        let ok =
            atom == "True" || atom == "False" || (atom.len() == 1 && atom.chars().all(|c| c.is_ascii_alphabetic()));
        if !ok {
            return Err(err(
                line,
                format!(
                    "guard `{guard}`: `{literal}` is not a literal (a single-letter proposition, `True` or `False`, optionally negated with `!`; no spaces or brackets, which the original code compares literally)"
                ),
            ));
        }
    }
    Ok(())
}

/// The original's `evaluate_dnf` on a label (the set of true letters).
pub fn evaluate_dnf(guard: &str, label: &BTreeSet<char>) -> bool {
    guard.split('|').any(|conjunction| {
        conjunction.split('&').all(|literal| {
            let atom = literal.trim_start_matches('!');
            let negated = (literal.len() - atom.len()) % 2 == 1;
            let value = match atom {
                "True" => true,
                "False" => false,
                _ => atom.chars().next().is_some_and(|c| label.contains(&c)),
            };
            value != negated
        })
    })
}

// ---- the original code's semantics ----------------------------------------------

/// Which semantics the import gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Semantics {
    /// The original code step for step (its master branch), quirks included
    Original,
    /// What its comments document: falling off the machine pays 0
    Intended,
}

/// One edge of the built machine: the surviving entry of `delta_u[u1]`.
#[derive(Debug, Clone)]
pub struct Edge {
    /// The original's key: the target state, or `None` for the merged
    /// terminal `-1`.
    pub key: Option<u32>,
    /// The state the rw machine goes to (for the merged terminal, the file's
    /// terminal state of the surviving line).
    pub to: u32,
    pub guard: String,
    pub reward: RewardFn,
    pub line: usize,
}

/// A place where the file meets one of the original code's rules that its
/// comments do not describe.
#[derive(Debug, Clone, PartialEq)]
pub enum Quirk {
    /// An edge out of a terminal state: the original skips it.
    EdgeFromTerminal { line: usize, state: u32 },
    /// A later edge with the same (from, to) — all terminal states count as
    /// one — replaces the earlier one, keeping its position.
    /// `two_terminals`: the two edges go to different terminal states, so
    /// they collide only because the original merges them.
    Replaced { line: usize, earlier: usize, from: u32, two_terminals: bool },
    /// Labels no edge of `state` matches end the episode; the original pays
    /// the reward of the state's edge into a terminal state for them.
    FallOffPays { state: u32, line: usize, reward: String, labels: Vec<String> },
    /// A non-terminal state with no outgoing edge: the original raises
    /// `KeyError` when an episode reaches it.
    NoOutgoingEdge { state: u32 },
    /// The initial state is terminal: the original raises `KeyError` on the
    /// first step.
    InitialTerminal { state: u32 },
}

impl Quirk {
    pub fn message(&self, semantics: Semantics) -> String {
        match self {
            Quirk::EdgeFromTerminal { line, state } => {
                format!(
                    "line {line}: edge out of terminal state {state}: the original code ignores it, and so does the import"
                )
            }
            Quirk::Replaced { line, earlier, from, two_terminals: true } => match semantics {
                Semantics::Original => format!(
                    "line {line}: state {from} already has an edge into a terminal state (line {earlier}), and the original code counts every terminal state as one: it keeps this line's guard and reward at line {earlier}'s place, and so does the import; `--semantics intended` keeps both edges"
                ),
                Semantics::Intended => format!(
                    "line {line}: state {from} has edges into two terminal states (lines {earlier} and {line}): the import keeps both, as the file says (the original code counts every terminal state as one and keeps only line {line}'s guard and reward, at line {earlier}'s place)"
                ),
            },
            Quirk::Replaced { line, earlier, from, two_terminals: false } => format!(
                "line {line}: state {from} already has an edge to this target (line {earlier}): the original code keeps this line's guard and reward at line {earlier}'s place, and so does the import"
            ),
            Quirk::FallOffPays { state, line, reward, labels } => match semantics {
                Semantics::Original => format!(
                    "state {state}: labels no edge matches ({}) end the episode and, as in the original code, pay the reward of the edge into a terminal state (`{reward}`, line {line}); `--semantics intended` pays 0 there, as the code's comment says",
                    labels.join(", ")
                ),
                Semantics::Intended => format!(
                    "state {state}: labels no edge matches ({}) end the episode with reward 0 (the original code would pay `{reward}`, the reward of line {line})",
                    labels.join(", ")
                ),
            },
            Quirk::NoOutgoingEdge { state } => format!(
                "state {state} has no outgoing edge: the original code raises KeyError when an episode reaches it; the import ends the episode there with reward 0"
            ),
            Quirk::InitialTerminal { state } => format!(
                "the initial state {state} is terminal: the original code raises KeyError on the first step; the import starts in that terminal state"
            ),
        }
    }
}

/// A reward machine under the original code's rules.
#[derive(Debug, Clone)]
pub struct Machine {
    pub initial: u32,
    pub terminal: BTreeSet<u32>,
    /// `delta_u[u1]` in the dictionary's order, per non-terminal state.
    pub delta: BTreeMap<u32, Vec<Edge>>,
    /// Non-terminal states (the original's `U`), sorted.
    pub states: Vec<u32>,
    /// Propositions of the guards, sorted.
    pub props: Vec<char>,
    pub quirks: Vec<Quirk>,
    /// Per state, whether some label matches no edge.
    uncovered: BTreeMap<u32, bool>,
}

impl Machine {
    /// `merge_terminals`: every terminal state is the one merged terminal,
    /// as in the original code (edges into two terminal states of one
    /// state collide); without it terminal states stay apart (the W1
    /// benchmark's semantics, where each is its own absorbing state).
    pub fn build(file: &RmFile, merge_terminals: bool) -> Machine {
        let terminal: BTreeSet<u32> = file.terminal.iter().copied().collect();
        let mut delta: BTreeMap<u32, Vec<Edge>> = BTreeMap::new();
        let mut quirks = Vec::new();
        let mut states: BTreeSet<u32> = BTreeSet::new();
        for e in &file.edges {
            if terminal.contains(&e.from) {
                quirks.push(Quirk::EdgeFromTerminal { line: e.line, state: e.from });
                continue;
            }
            let key = if terminal.contains(&e.to) && merge_terminals { None } else { Some(e.to) };
            states.insert(e.from);
            if !terminal.contains(&e.to) {
                states.insert(e.to);
            }
            let edges = delta.entry(e.from).or_default();
            let edge = Edge { key, to: e.to, guard: e.guard.clone(), reward: e.reward.clone(), line: e.line };
            match edges.iter_mut().find(|x| x.key == key) {
                Some(existing) => {
                    let two_terminals = existing.to != e.to;
                    quirks.push(Quirk::Replaced { line: e.line, earlier: existing.line, from: e.from, two_terminals });
                    // The later line's guard and reward, at the earlier one's place.
                    *existing = edge;
                }
                None => edges.push(edge),
            }
        }
        let props: Vec<char> = delta
            .values()
            .flatten()
            .flat_map(|e| e.guard.split(['|', '&']).map(|l| l.trim_start_matches('!').to_string()).collect::<Vec<_>>())
            .filter(|a| a.len() == 1)
            .filter_map(|a| a.chars().next())
            .collect::<BTreeSet<char>>()
            .into_iter()
            .collect();
        if terminal.contains(&file.initial) {
            quirks.push(Quirk::InitialTerminal { state: file.initial });
        } else {
            states.insert(file.initial);
        }
        let mut machine = Machine {
            initial: file.initial,
            terminal,
            delta,
            states: states.into_iter().collect(),
            props,
            quirks,
            uncovered: BTreeMap::new(),
        };
        for &u in &machine.states.clone() {
            let Some(edges) = machine.delta.get(&u) else {
                machine.quirks.push(Quirk::NoOutgoingEdge { state: u });
                machine.uncovered.insert(u, true);
                continue;
            };
            let uncovered = machine.uncovered_labels(edges);
            machine.uncovered.insert(u, !uncovered.is_empty());
            if let Some(term) = edges.iter().find(|e| e.key.is_none())
                && !uncovered.is_empty()
                && term.reward != RewardFn::Constant(0.0)
            {
                let labels: Vec<String> = uncovered.iter().take(3).cloned().collect();
                let more = if uncovered.len() > 3 { vec![format!("{} more", uncovered.len() - 3)] } else { vec![] };
                machine.quirks.push(Quirk::FallOffPays {
                    state: u,
                    line: term.line,
                    reward: term.reward.rw().unwrap_or_else(|| "0".into()),
                    labels: labels.into_iter().chain(more).collect(),
                });
            }
        }
        machine
    }

    /// For a machine built with terminal states apart (`--semantics
    /// intended`): the places where `original` (the same file, terminals
    /// merged) behaves otherwise — edges into two terminal states that the
    /// original collapses into one, and labels that fall off this machine
    /// where the original would pay a reward for them.
    pub fn report_against_original(&mut self, original: &Machine) {
        let mut quirks = Vec::new();
        for quirk in &original.quirks {
            match quirk {
                Quirk::FallOffPays { state, line, reward, .. } => {
                    let edges = self.delta.get(state).map(Vec::as_slice).unwrap_or(&[]);
                    let uncovered = self.uncovered_labels(edges);
                    if !uncovered.is_empty() {
                        let mut labels: Vec<String> = uncovered.iter().take(3).cloned().collect();
                        if uncovered.len() > 3 {
                            labels.push(format!("{} more", uncovered.len() - 3));
                        }
                        quirks.push(Quirk::FallOffPays { state: *state, line: *line, reward: reward.clone(), labels });
                    }
                }
                other => quirks.push(other.clone()),
            }
        }
        self.quirks = quirks;
    }

    /// Labels (as `{a, f}`) no edge matches; every label when there are too
    /// many propositions to enumerate and no edge is `True`.
    fn uncovered_labels(&self, edges: &[Edge]) -> Vec<String> {
        if self.props.len() > MAX_ENUMERATED_PROPS {
            let total = edges.iter().any(|e| e.guard.split('|').any(|c| c.split('&').all(|l| l == "True")));
            return if total { Vec::new() } else { vec!["(not enumerated)".into()] };
        }
        let mut out = Vec::new();
        for bits in 0u32..(1 << self.props.len()) {
            let label: BTreeSet<char> =
                self.props.iter().enumerate().filter(|(k, _)| bits >> k & 1 == 1).map(|(_, &c)| c).collect();
            if !edges.iter().any(|e| evaluate_dnf(&e.guard, &label)) {
                out.push(format!("{{{}}}", label.iter().map(char::to_string).collect::<Vec<_>>().join(", ")));
            }
        }
        out
    }

    /// The original's `step` (without shaping): the next state (`None`: the
    /// merged terminal), the edge's reward function (`None`: 0), and done.
    pub fn step(&self, u1: u32, label: &BTreeSet<char>, semantics: Semantics) -> (Option<u32>, Option<&RewardFn>) {
        let edges = self.delta.get(&u1).map(Vec::as_slice).unwrap_or(&[]);
        match edges.iter().find(|e| evaluate_dnf(&e.guard, label)) {
            Some(e) => (e.key, Some(&e.reward)),
            None => {
                let falls = match semantics {
                    Semantics::Original => edges.iter().find(|e| e.key.is_none()).map(|e| &e.reward),
                    Semantics::Intended => None,
                };
                (None, falls)
            }
        }
    }

    /// The original's `value_iteration` (Gauss–Seidel over the sorted
    /// states, until no value moves by more than 1e-7), over its explicit
    /// edges: the potentials of automated shaping are the negated values.
    pub fn value_iteration(&self, gamma: f64) -> BTreeMap<u32, f64> {
        let mut v: BTreeMap<u32, f64> = self.states.iter().map(|&u| (u, 0.0)).collect();
        let value = |v: &BTreeMap<u32, f64>, key: Option<u32>| key.map_or(0.0, |k| v.get(&k).copied().unwrap_or(0.0));
        loop {
            let mut error: f64 = 0.0;
            for &u in &self.states {
                let Some(edges) = self.delta.get(&u) else { continue };
                let best = edges
                    .iter()
                    .map(|e| e.reward.constant() + gamma * value(&v, e.key))
                    .fold(f64::NEG_INFINITY, f64::max);
                error = error.max((best - v[&u]).abs());
                v.insert(u, best);
            }
            if error <= 1e-7 {
                return v;
            }
        }
    }

    /// Whether rw's `value` (which also counts the fallback edges to the
    /// extra terminal state) gives other values than the original's value
    /// iteration (which ignores falling off the machine).
    fn fallback_changes_values(&self, gamma: f64, semantics: Semantics) -> bool {
        let v = self.value_iteration(gamma);
        self.states.iter().any(|u| {
            let falls = self.uncovered.get(u).copied().unwrap_or(false);
            let edges = self.delta.get(u).map(Vec::as_slice).unwrap_or(&[]);
            let fall_reward = match semantics {
                Semantics::Original => edges.iter().find(|e| e.key.is_none()).map_or(0.0, |e| e.reward.constant()),
                Semantics::Intended => 0.0,
            };
            falls && fall_reward > v[u] + 1e-12
        })
    }

    /// The rw spec. `events`: extra propositions to declare (the
    /// environment's event letters), `shaping`: (gamma, rs_gamma).
    pub fn to_rw(&self, name: &str, semantics: Semantics, events: &str, shaping: Option<(f64, f64)>) -> String {
        let largest = self.states.iter().chain(&self.terminal).copied().chain([self.initial]).max().unwrap_or(0);
        let falls_off = self.uncovered.values().any(|&u| u);
        let end = largest + 1;
        let mut out = String::new();
        let mode = match semantics {
            Semantics::Original => "the original code's, quirks included",
            Semantics::Intended => "the documented intent: falling off the machine pays 0",
        };
        out.push_str(&format!("// Imported from `{name}` by `rwc import rm`; semantics: {mode}.\n"));
        out.push_str("// State uK is the file's state K; the first matching edge wins");
        if falls_off {
            out.push_str(&format!(";\n// a label no edge matches ends the episode in u{end}"));
        }
        out.push_str(".\n\n");
        let mut props: BTreeSet<String> = self.props.iter().map(char::to_string).collect();
        props.extend(events.chars().filter(char::is_ascii_alphabetic).map(|c| c.to_string()));
        if shaping.is_some() {
            props.insert("env_done".into());
        }
        if !props.is_empty() {
            out.push_str(&format!("props {}\n", props.into_iter().collect::<Vec<_>>().join(", ")));
        }
        let inputs: BTreeSet<&str> =
            self.delta.values().flatten().flat_map(|e| e.reward.inputs().iter().copied()).collect();
        for input in &inputs {
            out.push_str(&format!(
                "input {input}: f32 in -1000000.0..=1000000.0   // the environment's `{input}` (s_info); narrow the range to your environment's\n"
            ));
        }
        out.push('\n');
        out.push_str("machine rm priority {\n");
        let last = if falls_off { end } else { largest };
        let states: Vec<String> = (0..=last).map(|k| format!("u{k}")).collect();
        out.push_str(&format!("  states {}\n", states.join(", ")));
        out.push_str(&format!("  start u{}\n", self.initial));
        for &u in &self.states {
            let edges = self.delta.get(&u).map(Vec::as_slice).unwrap_or(&[]);
            for e in edges {
                let reward = e.reward.rw().map(|r| format!(" reward {r}")).unwrap_or_default();
                out.push_str(&format!("  u{u} -> u{} when {}{reward}\n", e.to, rw_guard(&e.guard)));
            }
            if self.uncovered.get(&u).copied().unwrap_or(false) {
                let pays = match semantics {
                    Semantics::Original => edges.iter().find(|e| e.key.is_none()).and_then(|e| e.reward.rw()),
                    Semantics::Intended => None,
                };
                let reward = pays.map(|r| format!(" reward {r}")).unwrap_or_default();
                out.push_str(&format!("  u{u} -> u{end} when true{reward}   // no edge above matches\n"));
            }
        }
        let mut terminal: Vec<String> = self.terminal.iter().map(|t| format!("u{t}")).collect();
        if falls_off {
            terminal.push(format!("u{end}"));
        }
        if !terminal.is_empty() {
            out.push_str(&format!("  terminal {}\n", terminal.join(", ")));
        }
        out.push_str("}\n\nreward = rm.reward\n");
        match shaping {
            Some((gamma, rs_gamma)) => {
                out.push_str(&format!(
                    "// The original's automated reward shaping (`add_rs`): potentials are the negated\n// values of value iteration over the machine with rs_gamma {}, and the\n// environment's termination (`env_done`) uses the terminal potential 0.\nshape potential = -rm.value({}) gamma {}\ndone when rm.terminal | env_done\n",
                    float_literal_f(rs_gamma),
                    float_literal_f(rs_gamma),
                    float_literal_f(gamma)
                ));
            }
            None => out.push_str("done when rm.terminal\n"),
        }
        out
    }

    /// Warnings for the import: the quirks, and shaping differences.
    pub fn warnings(&self, semantics: Semantics, shaping: Option<(f64, f64)>) -> Vec<String> {
        let mut out: Vec<String> = self.quirks.iter().map(|q| q.message(semantics)).collect();
        if let Some((_, rs_gamma)) = shaping
            && self.fallback_changes_values(rs_gamma, semantics)
        {
            out.push(
                "a state is worth more falling off the machine than taking any edge: rw's `value` counts the fallback edge, the original's value iteration ignores it, so the shaping potentials differ there".into(),
            );
        }
        out
    }
}

/// A float literal rw reads (always with a fraction).
fn float_literal_f(x: f64) -> String {
    let s = format!("{x:?}");
    if s.contains(['.', 'e']) { s } else { format!("{s}.0") }
}

/// `a&!b|c`, `True`, `False` → rw guard syntax.
fn rw_guard(guard: &str) -> String {
    guard
        .split('|')
        .map(|c| {
            c.split('&')
                .map(|l| {
                    let atom = l.trim_start_matches('!');
                    let bangs = &l[..l.len() - atom.len()];
                    match atom {
                        "True" => format!("{bangs}true"),
                        "False" => format!("{bangs}false"),
                        _ => l.to_string(),
                    }
                })
                .collect::<Vec<_>>()
                .join(" & ")
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

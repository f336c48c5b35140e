//! The Hanoi Omega-Automata format (HOA v1, Babiak et al. 2015), which
//! Spot, Owl and Rabinizer read and write: reading an automaton another
//! tool produced, and writing it back as an rw machine.
//!
//! Beside [`crate::omega`] (which writes HOA, [`crate::omega::Buchi::to_hoa`]):
//! `rwc import hoa` parses a file into a [`Buchi`] with [`parse`] and prints
//! it with [`to_machine`]. Supported: one initial state, explicit
//! transition labels over at most [`MAX_ATOMS`] atomic propositions,
//! generalized Büchi acceptance (`Inf(0)&Inf(1)&...`, Spot's default;
//! Büchi for one set; on transitions or states), read through its
//! degeneralization ([`Generalized::degeneralized`]), or all-accepting
//! (`t`); aliases, implicit labels or other acceptance conditions are
//! refused with a message that says which.

use crate::automata::Guard as Label;
use crate::generalized::{Generalized, MAX_SETS};
use crate::omega::{Buchi, Kind, MAX_ATOMS, MAX_STATES};
use std::fmt;

/// Why a HOA file was refused: the line (1-based) and what is wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct HoaError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for HoaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// A parsed automaton: the automaton (state 0 initial), its atomic
/// propositions' names and its `name:` header, if any.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub buchi: Buchi,
    pub atoms: Vec<String>,
    pub name: Option<String>,
}

/// HOA tokens: identifiers and header names (`States:`), strings,
/// integers, punctuation.
#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Header(String),
    Ident(String),
    Str(String),
    Int(u64),
    Punct(char),
    Body,
    End,
}

fn tokenize(text: &str) -> Result<Vec<(usize, Tok)>, HoaError> {
    let mut out = Vec::new();
    let mut line = 1;
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    let err = |line, message: String| Err(HoaError { line, message });
    while i < chars.len() {
        let c = chars[i];
        if c == '\n' {
            line += 1;
            i += 1;
        } else if c.is_whitespace() {
            i += 1;
        } else if c == '/' && chars.get(i + 1) == Some(&'*') {
            // Comments `/* ... */` (they nest in HOA).
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    if chars[i] == '\n' {
                        line += 1;
                    }
                    i += 1;
                }
            }
        } else if c == '"' {
            let mut s = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => return err(line, "a string is not closed".into()),
                    Some('"') => break,
                    Some('\\') => {
                        s.extend(chars.get(i + 1));
                        i += 2;
                    }
                    Some(&ch) => {
                        if ch == '\n' {
                            line += 1;
                        }
                        s.push(ch);
                        i += 1;
                    }
                }
            }
            i += 1;
            out.push((line, Tok::Str(s)));
        } else if c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            let digits: String = chars[start..i].iter().collect();
            match digits.parse() {
                Ok(n) => out.push((line, Tok::Int(n))),
                Err(_) => return err(line, format!("`{digits}` is too large")),
            }
        } else if c.is_ascii_alphabetic() || c == '_' || c == '-' || c == '@' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == '-' || chars[i] == '@')
            {
                i += 1;
            }
            let word: String = chars[start..i].iter().collect();
            if word == "--BODY--" {
                out.push((line, Tok::Body));
            } else if word == "--END--" {
                out.push((line, Tok::End));
            } else if word == "--ABORT--" {
                return err(line, "the producing tool aborted this automaton (`--ABORT--`)".into());
            } else if chars.get(i) == Some(&':') {
                i += 1;
                out.push((line, Tok::Header(word)));
            } else {
                out.push((line, Tok::Ident(word)));
            }
        } else if "[]{}()!&|".contains(c) {
            out.push((line, Tok::Punct(c)));
            i += 1;
        } else {
            return err(line, format!("unexpected character `{c}`"));
        }
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<(usize, Tok)>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.pos).map(|(_, t)| t)
    }
    fn line(&self) -> usize {
        self.tokens.get(self.pos).or(self.tokens.last()).map_or(1, |(l, _)| *l)
    }
    fn error<T>(&self, message: impl Into<String>) -> Result<T, HoaError> {
        Err(HoaError { line: self.line(), message: message.into() })
    }
    fn next(&mut self) -> Option<Tok> {
        let t = self.tokens.get(self.pos).map(|(_, t)| t.clone());
        self.pos += 1;
        t
    }
    fn int(&mut self, what: &str) -> Result<u64, HoaError> {
        match self.next() {
            Some(Tok::Int(n)) => Ok(n),
            _ => {
                self.pos -= 1;
                self.error(format!("expected {what} (a number)"))
            }
        }
    }
    fn punct(&mut self, c: char) -> bool {
        if self.peek() == Some(&Tok::Punct(c)) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// `label-expr` (a guard over the propositions): `|` below `&` below
    /// `!`, as in the HOA grammar.
    fn label(&mut self, atoms: usize) -> Result<Label, HoaError> {
        let mut left = self.conjunction(atoms)?;
        while self.punct('|') {
            let right = self.conjunction(atoms)?;
            left = Label::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }
    fn conjunction(&mut self, atoms: usize) -> Result<Label, HoaError> {
        let mut left = self.unary(atoms)?;
        while self.punct('&') {
            let right = self.unary(atoms)?;
            left = Label::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }
    fn unary(&mut self, atoms: usize) -> Result<Label, HoaError> {
        match self.next() {
            Some(Tok::Punct('!')) => Ok(Label::Not(Box::new(self.unary(atoms)?))),
            Some(Tok::Punct('(')) => {
                let inner = self.label(atoms)?;
                if !self.punct(')') {
                    return self.error("expected `)` in a label");
                }
                Ok(inner)
            }
            Some(Tok::Ident(t)) if t == "t" => Ok(Label::True),
            Some(Tok::Ident(f)) if f == "f" => Ok(Label::False),
            Some(Tok::Int(k)) if (k as usize) < atoms => Ok(Label::Atom(k as u32)),
            Some(Tok::Int(k)) => {
                self.pos -= 1;
                self.error(format!("atomic proposition {k} is not declared (`AP:` declares {atoms})"))
            }
            Some(Tok::Ident(alias)) if alias.starts_with('@') => {
                self.pos -= 1;
                self.error(format!("alias `{alias}`: aliases are not supported; ask the tool for plain labels"))
            }
            _ => {
                self.pos -= 1;
                self.error("expected a label: `t`, `f`, a proposition number, `!`, `&`, `|` or parentheses")
            }
        }
    }

    /// `{0 1}`: acceptance sets.
    fn sets(&mut self) -> Result<Vec<u64>, HoaError> {
        let mut sets = Vec::new();
        if self.punct('{') {
            while let Some(Tok::Int(n)) = self.peek().cloned() {
                self.pos += 1;
                sets.push(n);
            }
            if !self.punct('}') {
                return self.error("expected `}` after acceptance sets");
            }
        }
        Ok(sets)
    }
}

/// The acceptance condition, as far as rwc reads it.
#[derive(Clone, Copy, PartialEq)]
enum Acceptance {
    /// `Inf(0) & ... & Inf(k-1)`, in any order: generalized Büchi with `k`
    /// sets (Büchi for one).
    Generalized(u32),
    /// `t`: every infinite run accepts.
    All,
}

/// `k` sets and the words of `Inf(0)&...&Inf(k-1)` (each set once, any
/// order): the generalized Büchi condition on them, if it is one.
fn generalized_buchi(sets: u64, words: &[Tok]) -> Option<Acceptance> {
    if sets == 0 || sets > u64::from(MAX_SETS) || words.len() != 5 * sets as usize - 1 {
        return None;
    }
    let mut seen = 0u64;
    for (i, term) in words.chunks(5).enumerate() {
        match term {
            [Tok::Ident(inf), Tok::Punct('('), Tok::Int(n), Tok::Punct(')'), rest @ ..]
                if inf == "Inf" && *n < sets && seen & (1 << n) == 0 =>
            {
                seen |= 1 << n;
                let last = i + 1 == sets as usize;
                if !(last && rest.is_empty() || !last && rest == [Tok::Punct('&')]) {
                    return None;
                }
            }
            _ => return None,
        }
    }
    Some(Acceptance::Generalized(sets as u32))
}

/// Parses one automaton in HOA v1.
pub fn parse(text: &str) -> Result<Parsed, HoaError> {
    let mut p = Parser { tokens: tokenize(text)?, pos: 0 };
    match (p.next(), p.next()) {
        (Some(Tok::Header(h)), Some(Tok::Ident(v))) if h == "HOA" && v == "v1" => {}
        _ => return Err(HoaError { line: 1, message: "not a HOA v1 file: it must start with `HOA: v1`".into() }),
    }
    let (mut states, mut start, mut atoms, mut acceptance, mut name) = (None, None, Vec::new(), None, None);
    loop {
        match p.next() {
            Some(Tok::Body) => break,
            Some(Tok::Header(h)) => match h.as_str() {
                "States" => states = Some(p.int("the number of states")? as usize),
                "Start" => {
                    if start.is_some() {
                        return p.error("several initial states: rwc reads automata with one");
                    }
                    start = Some(p.int("the initial state")? as u32);
                    if p.punct('&') {
                        return p.error("a conjunction of initial states (alternating automaton) is not supported");
                    }
                }
                "AP" => {
                    let count = p.int("the number of atomic propositions")? as usize;
                    for _ in 0..count {
                        match p.next() {
                            Some(Tok::Str(s)) => atoms.push(s),
                            _ => return p.error("expected the name of an atomic proposition (a string)"),
                        }
                    }
                    if count > MAX_ATOMS {
                        return p.error(format!("{count} atomic propositions; rwc reads at most {MAX_ATOMS}"));
                    }
                }
                "Acceptance" => {
                    let sets = p.int("the number of acceptance sets")?;
                    let words: Vec<Tok> = std::iter::from_fn(|| match p.peek() {
                        Some(Tok::Header(_)) | Some(Tok::Body) | None => None,
                        _ => p.next(),
                    })
                    .collect();
                    acceptance = Some(match (sets, words.as_slice()) {
                        (0, [Tok::Ident(t)]) if t == "t" => Acceptance::All,
                        (k, w) => match generalized_buchi(k, w) {
                            Some(acceptance) => acceptance,
                            None => {
                                return p.error(format!(
                                    "only (generalized) Büchi acceptance (`Acceptance: 1 Inf(0)`, `Acceptance: 2 \
                                     Inf(0)&Inf(1)`, ... up to {MAX_SETS} sets) or `Acceptance: 0 t` is supported; \
                                     ask the tool for a Büchi automaton (Spot: `-B`, `postprocess(..., 'BA')`)"
                                ));
                            }
                        },
                    });
                }
                "name" => {
                    if let Some(Tok::Str(s)) = p.next() {
                        name = Some(s);
                    }
                }
                // Other headers (acc-name, tool, properties, controllable-AP,
                // ...) carry nothing rwc needs: skip their values.
                _ => {
                    while !matches!(p.peek(), Some(Tok::Header(_)) | Some(Tok::Body) | None) {
                        p.pos += 1;
                    }
                }
            },
            _ => {
                p.pos = p.pos.saturating_sub(1);
                return p.error("expected a header line (`Name: value`) or `--BODY--`");
            }
        }
    }
    let Some(acceptance) = acceptance else { return p.error("the header has no `Acceptance:` line") };
    let n = match states {
        Some(n) if n > MAX_STATES => return p.error(format!("{n} states; rwc reads at most {MAX_STATES}")),
        Some(n) => n,
        None => return p.error("the header has no `States:` line (required here)"),
    };
    let start = start.unwrap_or(0);
    if n > 0 && start as usize >= n {
        return p.error(format!("initial state {start} is not among the {n} states"));
    }
    let k = atoms.len();
    let letters = 1u64 << k;
    let mut edges: Vec<Vec<(u64, u32, u32)>> = vec![Vec::new(); n.max(1)];
    let sets = match acceptance {
        Acceptance::Generalized(k) => k,
        Acceptance::All => 1,
    };
    // The marks of a `{...}` list: bit `i` for set `i`, which must exist.
    let marks = |p: &mut Parser| -> Result<u32, HoaError> {
        let mut marks = 0u32;
        for set in p.sets()? {
            if set >= u64::from(sets) {
                return p.error(format!("acceptance set {set} is not among the {sets} of the `Acceptance:` line"));
            }
            marks |= 1 << set;
        }
        Ok(marks)
    };
    loop {
        match p.next() {
            Some(Tok::End) => break,
            Some(Tok::Header(h)) if h == "State" => {
                if p.punct('[') {
                    return p.error("state labels are not supported; ask the tool for transition labels");
                }
                let s = p.int("a state number")? as usize;
                if s >= n {
                    return p.error(format!("state {s} is not among the {n} states"));
                }
                if let Some(Tok::Str(_)) = p.peek() {
                    p.pos += 1;
                }
                let state_marks = marks(&mut p)?;
                while p.peek() == Some(&Tok::Punct('[')) {
                    p.pos += 1;
                    let label = p.label(k)?;
                    if !p.punct(']') {
                        return p.error("expected `]` after a label");
                    }
                    let target = p.int("the target state")? as usize;
                    if target >= n {
                        return p.error(format!("target state {target} is not among the {n} states"));
                    }
                    if p.punct('&') {
                        return p.error("universal branching (alternating automaton) is not supported");
                    }
                    let edge_marks = match acceptance {
                        Acceptance::All => 1,
                        Acceptance::Generalized(_) => state_marks | marks(&mut p)?,
                    };
                    for letter in (0..letters).filter(|&l| label.eval(l)) {
                        edges[s].push((letter, target as u32, edge_marks));
                    }
                }
                if let Some(Tok::Int(_)) = p.peek() {
                    return p.error("implicit labels are not supported; ask the tool for explicit labels");
                }
            }
            _ => {
                p.pos = p.pos.saturating_sub(1);
                return p.error("expected `State:` or `--END--`");
            }
        }
    }
    // Renumber so that the initial state is 0.
    if start != 0 {
        let swap = |q: u32| {
            if q == 0 {
                start
            } else if q == start {
                0
            } else {
                q
            }
        };
        edges.swap(0, start as usize);
        for row in &mut edges {
            for e in row.iter_mut() {
                e.1 = swap(e.1);
            }
        }
    }
    for row in &mut edges {
        row.sort_unstable();
        row.dedup();
    }
    let accepting_component = vec![false; edges.len()];
    let generalized = Generalized { atoms: k, sets, edges, kind: Kind::Nondeterministic, accepting_component };
    // Read through its degeneralization: a round-robin level per set.
    let buchi = generalized.degeneralized().map_err(|e| HoaError { line: p.line(), message: e.to_string() })?;
    let buchi = classify_shape(buchi);
    Ok(Parsed { buchi, atoms, name })
}

/// Deterministic when no state has two targets for one letter; else
/// semi-deterministic when the part reachable from accepting transitions
/// is deterministic (the accepting component is that part); else
/// nondeterministic.
fn classify_shape(mut b: Buchi) -> Buchi {
    let nondeterministic = |row: &Vec<(u64, u32, bool)>| row.windows(2).any(|w| w[0].0 == w[1].0);
    if !b.edges.iter().any(nondeterministic) {
        b.kind = Kind::Deterministic;
        b.accepting_component = vec![true; b.states()];
        return b;
    }
    let mut component = vec![false; b.states()];
    let mut stack: Vec<u32> = b.edges.iter().flatten().filter(|e| e.2).map(|e| e.1).collect();
    while let Some(q) = stack.pop() {
        if !std::mem::replace(&mut component[q as usize], true) {
            stack.extend(b.edges[q as usize].iter().map(|e| e.1));
        }
    }
    let deterministic_there = b.edges.iter().enumerate().all(|(s, row)| !component[s] || !nondeterministic(row));
    b.kind = if deterministic_there { Kind::SemiDeterministic } else { Kind::Nondeterministic };
    b.accepting_component = component;
    b
}

/// Valid, distinct rw names for atomic propositions: a name rw cannot use
/// (not letters, digits and `_`, or an operator of formulas) has the other
/// characters replaced by `_` and a `p_` prefix when needed.
pub fn prop_names(atoms: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for name in atoms {
        let rw = crate::ltl_import::sanitized_name(name, |r| out.iter().any(|taken| taken == r));
        out.push(rw);
    }
    out
}

/// A deterministic or limit-deterministic automaton as an rw machine over
/// props named after its atomic propositions: accepting transitions pay
/// `reward 1.0` (so `NAME.reward > 0` is "this step took an accepting
/// transition"), and the letters with no transition lead to a terminal
/// state `rejected`. States are `q0` (initial), `q1`, ... in the file's
/// numbering.
///
/// Where a limit-deterministic automaton offers several successors on a
/// letter, the int input `jump` chooses, as `jump` does for `ltl`: the
/// choices are the successors in the initial part, then those in the
/// accepting part, each in state order; `jump == k` takes choice `k`, and 0
/// or a value out of range the first (for an automaton rwc wrote, with one
/// way to stay: 0 stays, `k` takes the `k`-th jump). A priority machine
/// tries the guarded choices first.
pub fn to_machine(parsed: &Parsed, name: &str, prop_names: &[String], jump: &str) -> Result<String, String> {
    let b = &parsed.buchi;
    if b.kind == Kind::Nondeterministic {
        return Err("the automaton is neither deterministic nor limit-deterministic: a machine needs one \
                    successor per step, or a choice the agent makes before an accepting component that is \
                    deterministic; ask the tool for a deterministic automaton (Spot: `ltl2tgba -D -B`) or a \
                    limit-deterministic one (Owl: `ltl2ldba`)"
            .into());
    }
    let k = parsed.atoms.len();
    let mut out = String::new();
    out.push_str(&format!("machine {name} priority {{\n  start q0\n"));
    let mut incomplete = false;
    for (s, row) in b.edges.iter().enumerate() {
        // Per letter, its successors in choice order.
        let mut choices: Vec<(u64, Vec<(u32, bool)>)> = Vec::new();
        for &(letter, target, acc) in row {
            match choices.last_mut() {
                Some((l, targets)) if *l == letter => targets.push((target, acc)),
                _ => choices.push((letter, vec![(target, acc)])),
            }
        }
        for (_, targets) in &mut choices {
            targets.sort_by_key(|&(t, _)| (b.accepting_component.get(t as usize).copied().unwrap_or(true), t));
        }
        // Edges grouped by (choice, target, accepting), letters gathered:
        // the guarded choices first, then the default.
        let most = choices.iter().map(|(_, t)| t.len()).max().unwrap_or(0);
        for choice in (1..most).chain([0]) {
            let mut groups: Vec<((u32, bool), Vec<u64>)> = Vec::new();
            for (letter, targets) in &choices {
                let Some(&key) = targets.get(choice) else { continue };
                match groups.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, letters)) => letters.push(*letter),
                    None => groups.push((key, vec![*letter])),
                }
            }
            for ((target, acc), letters) in &groups {
                let letters_guard = crate::automata::cover_text(letters, k, prop_names);
                let guard = match (choice, letters_guard.as_str()) {
                    (0, _) => letters_guard.clone(),
                    (c, "true") => format!("{jump} == {c}"),
                    (c, g) if g.contains(' ') => format!("{jump} == {c} & ({g})"),
                    (c, g) => format!("{jump} == {c} & {g}"),
                };
                let pay = if *acc { " reward 1.0" } else { "" };
                out.push_str(&format!("  q{s} -> q{target} when {guard}{pay}\n"));
            }
        }
        if choices.len() < 1 << k {
            incomplete = true;
            out.push_str(&format!("  q{s} -> rejected when true\n"));
        }
    }
    if incomplete {
        out.push_str("  terminal rejected\n");
    }
    out.push_str("}\n");
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::parse;

    #[test]
    fn reads_spot_output_and_refuses_what_it_cannot() {
        // `ltl2tgba -D -B 'GF a'`, as Spot 2.13 writes it.
        let gfa = "HOA: v1\nname: \"G F a\"\nStates: 1\nStart: 0\nAP: 1 \"a\"\nacc-name: Buchi\n\
                   Acceptance: 1 Inf(0)\nproperties: trans-labels explicit-labels trans-acc complete\n\
                   properties: deterministic stutter-invariant\n--BODY--\nState: 0\n[0] 0 {0}\n[!0] 0\n--END--\n";
        let p = parse(gfa).unwrap();
        assert_eq!(p.atoms, ["a"]);
        assert!(p.buchi.accepts_lasso(&[], &[0, 1]));
        assert!(!p.buchi.accepts_lasso(&[1], &[0]));
        let co_buchi = gfa.replace("Acceptance: 1 Inf(0)", "Acceptance: 1 Fin(0)");
        assert!(parse(&co_buchi).unwrap_err().message.contains("only (generalized) Büchi acceptance"));
        let missing_set = gfa.replace("[0] 0 {0}", "[0] 0 {1}");
        assert!(parse(&missing_set).unwrap_err().message.contains("acceptance set 1 is not among the 1"));
        let implicit = gfa.replace("[0] 0 {0}\n[!0] 0\n", "0 {0}\n0\n");
        assert!(parse(&implicit).is_err());
        assert_eq!(parse("HOA: v2\n").unwrap_err().line, 1);
    }

    #[test]
    fn reads_generalized_buchi_as_spot_writes_it_by_default() {
        // `ltl2tgba -D 'GF a & GF b'`, as Spot 2.13 writes it: one state,
        // two sets.
        let gfab = "HOA: v1\nname: \"G F a & G F b\"\nStates: 1\nStart: 0\nAP: 2 \"a\" \"b\"\n\
                    acc-name: generalized-Buchi 2\nAcceptance: 2 Inf(0)&Inf(1)\n\
                    properties: trans-labels explicit-labels trans-acc complete\n\
                    properties: deterministic stutter-invariant\n--BODY--\nState: 0\n\
                    [!0&!1] 0\n[0&!1] 0 {0}\n[!0&1] 0 {1}\n[0&1] 0 {0 1}\n--END--\n";
        for text in [gfab.to_string(), gfab.replace("Inf(0)&Inf(1)", "Inf(1)&Inf(0)")] {
            let p = parse(&text).unwrap();
            assert_eq!(p.buchi.kind, crate::omega::Kind::Deterministic);
            assert_eq!(p.buchi.states(), 2, "one state per round-robin level");
            assert!(p.buchi.accepts_lasso(&[], &[0b01, 0b10]));
            assert!(p.buchi.accepts_lasso(&[], &[0b11]));
            assert!(!p.buchi.accepts_lasso(&[0b11], &[0b01]));
            assert!(!p.buchi.accepts_lasso(&[], &[0b10, 0b00]));
        }
        for bad in ["Inf(0)&Inf(0)", "Inf(0)|Inf(1)", "Inf(0)&Inf(2)", "Inf(0)&"] {
            let text = gfab.replace("Inf(0)&Inf(1)", bad);
            assert!(parse(&text).is_err(), "{bad}");
        }
    }
}

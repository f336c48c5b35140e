//! Transition-based generalized Büchi automata (TGBA): several acceptance
//! sets, a run accepted when it takes a transition of every set infinitely
//! often.
//!
//! Beside [`crate::omega`], at its two edges: the automaton an `ltl`
//! translation exports (HOA, the states `--explain` reports) where a
//! generalized one is smaller than the Büchi automaton, as Spot's default
//! output is (`G F a & G F b` needs one state with two sets, two with one);
//! and the acceptance `rwc import hoa` reads (Spot's `ltl2tgba` writes
//! generalized Büchi by default). The runtime and every check run on the
//! Büchi automaton: [`Generalized::degeneralized`] turns one into the
//! other with a round-robin level per set, the classic counter
//! construction that Spot's `degeneralize` refines.

use crate::ltl::FxHashMap as HashMap;
use crate::omega::{Buchi, Kind, MAX_STATES, OmegaError};

/// Most acceptance sets (marks are the bits of a `u32`).
pub const MAX_SETS: u32 = 32;

/// A generalized Büchi automaton over `2^atoms` letters, state 0 initial:
/// `edges[s]` lists `(letter, target, marks)`, bit `i` of `marks` saying
/// that the transition belongs to acceptance set `i` (of `sets`, at least
/// one). Shaped like [`Buchi`] otherwise: only the initial component of a
/// semi-deterministic automaton has several targets on a letter, and it
/// has no marks.
#[derive(Clone, Debug)]
pub struct Generalized {
    pub atoms: usize,
    pub sets: u32,
    pub edges: Vec<Vec<(u64, u32, u32)>>,
    pub kind: Kind,
    pub accepting_component: Vec<bool>,
}

impl From<&Buchi> for Generalized {
    /// A Büchi automaton is the generalized one with one set.
    fn from(b: &Buchi) -> Generalized {
        Generalized {
            atoms: b.atoms,
            sets: 1,
            edges: b.edges.iter().map(|row| row.iter().map(|&(l, t, acc)| (l, t, u32::from(acc))).collect()).collect(),
            kind: b.kind,
            accepting_component: b.accepting_component.clone(),
        }
    }
}

impl Generalized {
    pub fn states(&self) -> usize {
        self.edges.len()
    }

    /// The Büchi automaton with the same words: states `(q, level)`, the
    /// level being the first set not yet seen in this round; a transition
    /// advances it past the sets it belongs to, in order, and the one
    /// that passes the last set is accepting and starts the next round at
    /// level 0. A run that sees every set infinitely often completes
    /// infinitely many rounds, and a round needs every set. Determinism and
    /// the components are kept (the initial component has no marks, so it
    /// stays at level 0). At most [`MAX_STATES`] states.
    pub fn degeneralized(&self) -> Result<Buchi, OmegaError> {
        let full = self.full();
        let advance = |level: u32, marks: u32| -> (u32, bool) {
            let mut l = level;
            while l < self.sets && marks & (1 << l) != 0 {
                l += 1;
            }
            if l == self.sets { (0, true) } else { (l, false) }
        };
        let mut index: HashMap<(u32, u32), u32> = HashMap::from_iter([((0, 0), 0)]);
        let mut states = vec![(0u32, 0u32)];
        let mut edges = Vec::new();
        let mut k = 0;
        while k < states.len() && !self.edges.is_empty() {
            let (q, level) = states[k];
            let mut row = Vec::with_capacity(self.edges[q as usize].len());
            for &(letter, target, marks) in &self.edges[q as usize] {
                let (next, accepting) = if self.sets == 1 { (0, marks & full != 0) } else { advance(level, marks) };
                let key = (target, next);
                let id = match index.get(&key) {
                    Some(&id) => id,
                    None => {
                        if states.len() >= MAX_STATES {
                            return Err(OmegaError::TooManyStates);
                        }
                        index.insert(key, states.len() as u32);
                        states.push(key);
                        states.len() as u32 - 1
                    }
                };
                row.push((letter, id, accepting));
            }
            row.sort_unstable();
            row.dedup();
            edges.push(row);
            k += 1;
        }
        let accepting_component =
            states.iter().take(edges.len()).map(|&(q, _)| self.accepting_component[q as usize]).collect();
        Ok(Buchi { atoms: self.atoms, edges, kind: self.kind, accepting_component })
    }

    /// The same language with fewer states: states from which no cycle
    /// through every acceptance set is reachable are removed, then states
    /// with the same future are merged (the coarsest bisimulation that
    /// respects the letters, the marks and the two components, found by
    /// partition refinement). Determinism where it was is kept: bisimilar
    /// states of a deterministic part have bisimilar successors.
    pub fn reduced(&self) -> Generalized {
        let n = self.states();
        if n == 0 {
            return self.clone();
        }
        // Useful states reach an SCC whose inner edges carry every set.
        let component =
            crate::omega::components(n, &[0], &|v, out| out.extend(self.edges[v].iter().map(|&(_, t, _)| t as usize)));
        let mut seen: HashMap<usize, u32> = HashMap::default();
        for (v, row) in self.edges.iter().enumerate() {
            for &(_, t, marks) in row {
                if component[v] != usize::MAX && component[v] == component[t as usize] {
                    *seen.entry(component[v]).or_default() |= marks;
                }
            }
        }
        let full = self.full();
        let mut useful: Vec<bool> =
            (0..n).map(|v| seen.get(&component[v]).is_some_and(|&marks| marks & full == full)).collect();
        let mut changed = true;
        while changed {
            changed = false;
            for v in 0..n {
                if !useful[v] && component[v] != usize::MAX && self.edges[v].iter().any(|&(_, t, _)| useful[t as usize])
                {
                    useful[v] = true;
                    changed = true;
                }
            }
        }
        // Partition refinement, starting from the components.
        let mut class: Vec<usize> = (0..n).map(|v| usize::from(self.accepting_component[v])).collect();
        let mut classes = class.iter().collect::<std::collections::HashSet<_>>().len();
        loop {
            // A state's class and its edges (letter, target class, marks).
            type Signature = (usize, Vec<(u64, usize, u32)>);
            let mut ids: HashMap<Signature, usize> = HashMap::default();
            let next: Vec<usize> = (0..n)
                .map(|v| {
                    let mut signature: Vec<(u64, usize, u32)> = self.edges[v]
                        .iter()
                        .filter(|&&(_, t, _)| useful[t as usize])
                        .map(|&(l, t, marks)| (l, class[t as usize], marks))
                        .collect();
                    signature.sort_unstable();
                    signature.dedup();
                    let key = (class[v], signature);
                    let fresh = ids.len();
                    *ids.entry(key).or_insert(fresh)
                })
                .collect();
            let count = ids.len();
            class = next;
            if count == classes {
                break;
            }
            classes = count;
        }
        // The quotient, numbered breadth first from the initial state.
        let mut number: HashMap<usize, u32> = HashMap::from_iter([(class[0], 0)]);
        let mut representatives = vec![0usize];
        let mut edges = Vec::new();
        let mut accepting_component = Vec::new();
        let mut k = 0;
        while k < representatives.len() {
            let v = representatives[k];
            let mut row: Vec<(u64, u32, u32)> = Vec::new();
            for &(l, t, marks) in &self.edges[v] {
                if !useful[t as usize] {
                    continue;
                }
                let c = class[t as usize];
                let id = *number.entry(c).or_insert_with(|| {
                    representatives.push(t as usize);
                    representatives.len() as u32 - 1
                });
                row.push((l, id, marks));
            }
            row.sort_unstable();
            row.dedup();
            edges.push(row);
            accepting_component.push(self.accepting_component[v]);
            k += 1;
        }
        Generalized { atoms: self.atoms, sets: self.sets, edges, kind: self.kind, accepting_component }
    }

    /// All `sets` marks.
    fn full(&self) -> u32 {
        if self.sets >= 32 { u32::MAX } else { (1 << self.sets) - 1 }
    }

    /// The automaton in the Hanoi Omega-Automata format (HOA v1), with
    /// transition-based (generalized) Büchi acceptance; atom `k` is
    /// `names[k]`.
    pub fn to_hoa(&self, name: &str, names: &[String]) -> String {
        let quoted = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
        let mut out = String::from("HOA: v1\n");
        out.push_str(&format!("name: {}\n", quoted(name)));
        out.push_str(&format!("States: {}\nStart: 0\n", self.states().max(1)));
        out.push_str(&format!("AP: {}", self.atoms));
        for k in 0..self.atoms {
            let n = names.get(k).cloned().unwrap_or_else(|| format!("p{k}"));
            out.push_str(&format!(" {}", quoted(&n)));
        }
        if self.sets == 1 {
            out.push_str("\nacc-name: Buchi\nAcceptance: 1 Inf(0)\n");
        } else {
            let condition: Vec<String> = (0..self.sets).map(|i| format!("Inf({i})")).collect();
            out.push_str(&format!(
                "\nacc-name: generalized-Buchi {}\nAcceptance: {} {}\n",
                self.sets,
                self.sets,
                condition.join("&")
            ));
        }
        let shape = match self.kind {
            Kind::Deterministic => " deterministic",
            Kind::SemiDeterministic => " semi-deterministic",
            Kind::Nondeterministic => "",
        };
        out.push_str(&format!("properties: trans-labels explicit-labels trans-acc{shape}\n--BODY--\n"));
        if self.edges.is_empty() {
            out.push_str("State: 0\n");
        }
        for (s, row) in self.edges.iter().enumerate() {
            out.push_str(&format!("State: {s}\n"));
            // One edge per (target, marks), its letters as a disjunction.
            let mut groups: Vec<((u32, u32), Vec<u64>)> = Vec::new();
            for &(letter, target, marks) in row {
                match groups.iter_mut().find(|(k, _)| *k == (target, marks)) {
                    Some((_, letters)) => letters.push(letter),
                    None => groups.push(((target, marks), vec![letter])),
                }
            }
            for ((target, marks), letters) in groups {
                let label = crate::automata::cover_hoa(&letters, self.atoms);
                let sets: Vec<String> =
                    (0..self.sets).filter(|i| marks & (1 << i) != 0).map(|i| i.to_string()).collect();
                let marks = if sets.is_empty() { String::new() } else { format!(" {{{}}}", sets.join(" ")) };
                out.push_str(&format!("[{label}] {target}{marks}\n"));
            }
        }
        out.push_str("--END--\n");
        out
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    /// `G F a & G F b` over atoms `a` (bit 0) and `b` (bit 1): one state,
    /// set 0 on the letters with `a`, set 1 on those with `b`.
    fn gf_a_and_gf_b() -> Generalized {
        let row = (0..4u64).map(|l| (l, 0, (l & 1) as u32 | (((l >> 1) & 1) as u32) << 1)).collect();
        Generalized { atoms: 2, sets: 2, edges: vec![row], kind: Kind::Deterministic, accepting_component: vec![true] }
    }

    #[test]
    fn degeneralizing_keeps_the_words_and_determinism() {
        let g = gf_a_and_gf_b();
        let b = g.degeneralized().expect("small");
        assert_eq!(b.states(), 2, "one state per level");
        assert_eq!(b.kind, Kind::Deterministic);
        assert!(b.check_shape().is_ok());
        // a and b alternate, or come together: accepted.
        assert!(b.accepts_lasso(&[], &[0b01, 0b10]));
        assert!(b.accepts_lasso(&[0], &[0b11]));
        // Only a, or only b, from some point on: rejected.
        assert!(!b.accepts_lasso(&[0b10, 0b11], &[0b01]));
        assert!(!b.accepts_lasso(&[], &[0b10, 0b00]));
    }

    #[test]
    fn hoa_names_every_set() {
        let hoa = gf_a_and_gf_b().to_hoa("gf", &["a".into(), "b".into()]);
        assert!(hoa.contains("acc-name: generalized-Buchi 2\nAcceptance: 2 Inf(0)&Inf(1)\n"), "{hoa}");
        assert!(hoa.contains("] 0 {0 1}\n"), "{hoa}");
        assert!(hoa.contains("] 0 {1}\n"), "{hoa}");
        assert!(hoa.contains("properties: trans-labels explicit-labels trans-acc deterministic\n"), "{hoa}");
    }
}

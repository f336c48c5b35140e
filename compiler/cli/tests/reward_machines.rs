//! `rwc import rm` against the original reward_machines code, step for step.
//!
//! `Original` transcribes `RewardMachine` of the reward_machines repository
//! (Toro Icarte et al., master branch, `reward_machines/reward_machines/
//! reward_machine.py` and `reward_machine_utils.py`): `_load_reward_machine`
//! (edges out of terminal states skipped, terminal targets merged into -1,
//! `delta_u[u1][u2] = dnf` in an insertion-ordered dict), `step` (first
//! matching edge in dict order, else -1; reward `delta_r[u1][u2]` if present,
//! else 0; shaping `gamma * pot[un] - pot[u1]`, `un = -1` on `env_done`),
//! `evaluate_dnf` and `value_iteration`. Each imported spec is evaluated by
//! the runtime on random label sequences and must give every step's state,
//! reward and episode end, in both semantics and with and without shaping.
//!
//! The files: synthetic ones covering every rule always; the repository's
//! own files when a checkout of it is found (`RW_REWARD_MACHINES=DIR`, or
//! `../reward_machines` beside this checkout; `scripts/fetch_reward_machines.sh`
//! clones it). Without one, that test says in one line that it was skipped.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use rw_runtime::{Column, Evaluator, Options, StepInput};
use rwc::rm::{RewardFn, Semantics};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The original `RewardMachine`, transcribed.
struct Original {
    u0: i64,
    /// `delta_u[u1]`: (u2, dnf) in dict order (a repeated key keeps its place).
    delta_u: BTreeMap<i64, Vec<(i64, String)>>,
    delta_r: BTreeMap<i64, BTreeMap<i64, RewardFn>>,
    states: Vec<i64>,
    potentials: BTreeMap<i64, f64>,
    gamma: f64,
    /// Terminal states kept apart (`--semantics intended`); empty when
    /// they are merged into -1 as in the original.
    separate_terminals: BTreeSet<i64>,
}

const TERMINAL: i64 = -1;

impl Original {
    /// `merge_terminals`: the original's rule; without it (intended
    /// semantics) each terminal state stays its own target.
    fn load(text: &str, merge_terminals: bool) -> Original {
        let file = rwc::rm::parse(text).expect("the file parses");
        let terminal: BTreeSet<i64> = file.terminal.iter().map(|&t| i64::from(t)).collect();
        let mut o = Original {
            u0: i64::from(file.initial),
            delta_u: BTreeMap::new(),
            delta_r: BTreeMap::new(),
            states: Vec::new(),
            potentials: BTreeMap::new(),
            gamma: 0.0,
            separate_terminals: if merge_terminals { BTreeSet::new() } else { terminal.clone() },
        };
        for e in &file.edges {
            let (u1, mut u2) = (i64::from(e.from), i64::from(e.to));
            if terminal.contains(&u1) {
                continue;
            }
            if terminal.contains(&u2) && merge_terminals {
                u2 = TERMINAL;
            }
            for u in [u1, u2] {
                if !o.states.contains(&u) && u != TERMINAL && !terminal.contains(&u) {
                    o.states.push(u);
                }
            }
            let d = o.delta_u.entry(u1).or_default();
            match d.iter_mut().find(|(k, _)| *k == u2) {
                Some(entry) => entry.1 = e.guard.clone(),
                None => d.push((u2, e.guard.clone())),
            }
            o.delta_r.entry(u1).or_default().insert(u2, e.reward.clone());
        }
        o.states.sort_unstable();
        o
    }

    /// `evaluate_dnf(formula, true_props)`: `|`, then `&`, then `!`, then
    /// `True`, `False`, or `formula in true_props`.
    fn evaluate_dnf(formula: &str, true_props: &str) -> bool {
        if formula.contains('|') {
            return formula.split('|').any(|f| Self::evaluate_dnf(f, true_props));
        }
        if formula.contains('&') {
            return formula.split('&').all(|f| Self::evaluate_dnf(f, true_props));
        }
        if let Some(rest) = formula.strip_prefix('!') {
            return !Self::evaluate_dnf(rest, true_props);
        }
        match formula {
            "True" => true,
            "False" => false,
            f => true_props.contains(f),
        }
    }

    fn value_iteration(&self, gamma: f64) -> BTreeMap<i64, f64> {
        let mut v: BTreeMap<i64, f64> = self.states.iter().chain(&self.separate_terminals).map(|&u| (u, 0.0)).collect();
        v.insert(TERMINAL, 0.0);
        let mut error = 1.0;
        while error > 0.0000001 {
            error = 0.0;
            for &u1 in &self.states {
                let q: Vec<f64> = self.delta_u[&u1]
                    .iter()
                    .map(|(u2, _)| {
                        let r = match &self.delta_r[&u1][u2] {
                            RewardFn::Constant(c) => *c,
                            _ => 0.0,
                        };
                        r + gamma * v[u2]
                    })
                    .collect();
                let new = q.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                error = f64::max(error, (new - v[&u1]).abs());
                v.insert(u1, new);
            }
        }
        v
    }

    fn add_reward_shaping(&mut self, gamma: f64, rs_gamma: f64) {
        self.gamma = gamma;
        self.potentials = self.value_iteration(rs_gamma).into_iter().map(|(u, v)| (u, -v)).collect();
    }

    /// `step`: (u2, reward, done); `None` where the original raises
    /// (`KeyError`: a state without outgoing edges).
    /// `intended`: the code's comment instead of its code — falling off
    /// the machine pays 0.
    fn step(
        &self,
        u1: i64,
        true_props: &str,
        s_info: &SInfo,
        add_rs: bool,
        env_done: bool,
        intended: bool,
    ) -> Option<(i64, f64, bool)> {
        assert_ne!(u1, TERMINAL, "the RM was set to a terminal state!");
        let edges = self.delta_u.get(&u1)?;
        let matched = edges.iter().find(|(_, phi)| Self::evaluate_dnf(phi, true_props));
        let u2 = matched.map_or(TERMINAL, |(u2, _)| *u2);
        let done = u2 == TERMINAL || self.separate_terminals.contains(&u2);
        let mut reward = 0.0;
        let pays = matched.is_some() || !intended;
        if let Some(rf) = self.delta_r.get(&u1).and_then(|d| d.get(&u2)).filter(|_| pays) {
            reward += match rf {
                RewardFn::Constant(c) => *c,
                RewardFn::Control => s_info.ctrl,
                RewardFn::Forward => s_info.run + s_info.ctrl,
                RewardFn::Backwards => -s_info.run + s_info.ctrl,
            };
        }
        let mut rs = 0.0;
        if add_rs {
            let un = if env_done { TERMINAL } else { u2 };
            rs = self.gamma * self.potentials[&un] - self.potentials[&u1];
        }
        Some((u2, reward + rs, done))
    }
}

/// The environment's extra information (`s_info`).
struct SInfo {
    ctrl: f64,
    run: f64,
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// Imports `text`, then checks the spec against the transcription on
/// random episodes; returns the import's warnings.
fn differential(name: &str, text: &str, semantics: Semantics, shaping: Option<(f64, f64)>, seed: u64) -> Vec<String> {
    let merge_terminals = semantics == Semantics::Original;
    let imported = rwc::import::rm_to_rw(text, name, semantics, "", shaping, merge_terminals).expect("imports");
    let spec = format!("{}log state = rm.state\n", imported.spec);
    let mut checked = rw_compiler::check_text("imported.rw", &spec, None);
    rw_verify::verify(&mut checked, &rw_verify::Options::default());
    assert!(!checked.has_errors(), "{name}: {:?}\n{spec}", checked.diagnostics);
    let warnings: Vec<String> = checked.diagnostics.iter().map(|d| format!("{}: {}", d.code, d.message)).collect();
    let artifact = rw_compiler::compile(&checked).expect("compiles");
    let mut original = Original::load(text, merge_terminals);
    if let Some((gamma, rs_gamma)) = shaping {
        original.add_reward_shaping(gamma, rs_gamma);
    }
    let letters: Vec<char> = imported
        .spec
        .lines()
        .find_map(|l| l.strip_prefix("props "))
        .map(|l| l.split(", ").filter(|p| p.len() == 1).filter_map(|p| p.chars().next()).collect())
        .unwrap_or_default();
    let mut rng = Rng(seed);
    let mut eval = Evaluator::new(&artifact, 1, Options::default());
    let mut steps_checked = 0;
    for episode in 0..300 {
        let mut u = original.u0;
        for step in 0..40 {
            // A label: each letter true with probability 0.3; an event the
            // machine does not use ("z") is in the original's string too.
            let label: Vec<char> = letters.iter().copied().filter(|_| rng.chance(30)).chain(['z']).collect();
            let true_props: String = label.iter().collect();
            let env_done = shaping.is_some() && rng.chance(5);
            let info = SInfo {
                ctrl: (rng.next() % 2000) as f64 / 1000.0 - 1.0,
                run: (rng.next() % 4000) as f64 / 1000.0 - 2.0,
            };
            let Some((u2, reward, rm_done)) =
                original.step(u, &true_props, &info, shaping.is_some(), env_done, semantics == Semantics::Intended)
            else {
                break; // the original raises here (the import warned)
            };
            let (ctrl, run) = ([info.ctrl as f32], [info.run as f32]);
            let props: Vec<[bool; 1]> = artifact
                .inputs
                .iter()
                .map(|i| {
                    [if i.name == "env_done" {
                        env_done
                    } else {
                        i.name.len() == 1 && label.contains(&i.name.chars().next().unwrap())
                    }]
                })
                .collect();
            let columns: Vec<Column<'_>> = artifact
                .inputs
                .iter()
                .zip(&props)
                .map(|(i, b)| match i.name.as_str() {
                    "reward_ctrl" => Column::F32(&ctrl),
                    "reward_run" => Column::F32(&run),
                    _ => Column::Bool(b),
                })
                .collect();
            let out = eval.step(&StepInput { columns: &columns, last: None, groups: None, active: None }).unwrap();
            let at = format!(
                "{name} ({semantics:?}, shaping {shaping:?}) episode {episode} step {step}, state {u}, label {true_props:?}"
            );
            let done = rm_done || env_done;
            assert_eq!(out.done[0], done, "{at}: done");
            let got = f64::from(out.reward[0]);
            assert!((got - reward).abs() <= 1e-5 * reward.abs().max(1.0), "{at}: rw reward {got}, original {reward}");
            let state = out.logs[0][0] as i64;
            if rm_done {
                assert!(artifact.automata[0].terminal[state as usize], "{at}: rw state u{state} is not terminal");
            } else {
                assert_eq!(state, u2, "{at}: state");
            }
            steps_checked += 1;
            if done {
                break;
            }
            u = u2;
        }
        // A fresh episode in the runtime too.
        eval.reset_lane(0);
    }
    assert!(steps_checked > 300, "{name}: only {steps_checked} steps compared");
    warnings
}

fn all_modes(name: &str, text: &str) -> Vec<String> {
    let mut warnings = Vec::new();
    // The original's value iteration raises (KeyError) on a state without
    // outgoing edges: there is no shaping to compare with.
    let original = Original::load(text, true);
    let shaping_defined = original.states.iter().all(|u| original.delta_u.contains_key(u));
    for (k, semantics) in [Semantics::Original, Semantics::Intended].into_iter().enumerate() {
        for shaping in [None, Some((0.9, 0.9)), Some((0.99, 0.5))] {
            if !shaping_defined && shaping.is_some() {
                continue;
            }
            warnings.extend(differential(name, text, semantics, shaping, 0x5eed + k as u64));
        }
    }
    warnings
}

/// Every rule of the original code, in synthetic files.
#[test]
fn synthetic_files_reproduce_the_original_code() {
    // Comments, arithmetic rewards, RewardControl, a self-loop.
    let plain = "0   # initial state\n[2] # terminal states\n\
                 (0,0,'!a',ConstantRewardFunction(0))   # wait\n\
                 (0,1,'a',ConstantRewardFunction(1/2))\n\
                 (1,1,'!b',RewardControl())\n\
                 (1,2,'b',ConstantRewardFunction(2*3-1))\n";
    assert!(all_modes("plain", plain).is_empty(), "a well-formed machine checks without warnings");
    let imported = rwc::import::rm_to_rw(plain, "plain", Semantics::Original, "", None, true).unwrap();
    assert!(imported.warnings.is_empty(), "{:?}", imported.warnings);
    assert!(imported.spec.contains("u0 -> u1 when a reward 0.5"), "{}", imported.spec);
    assert!(imported.spec.contains("u1 -> u2 when b reward 5"), "{}", imported.spec);
    assert!(imported.spec.contains("u1 -> u1 when !b reward reward_ctrl"), "{}", imported.spec);
    assert!(!imported.spec.contains("when true"), "no fallback edge where every label is covered");

    // Falling off a state with an edge into a terminal state pays that
    // edge's reward (issue #50); a repeated (from, to) replaces in place,
    // across two terminal states; an edge out of a terminal state is
    // ignored; a state without outgoing edges.
    let quirky = "0\n[3, 4]\n\
                  (0,1,'a&!c',ConstantRewardFunction(0))\n\
                  (0,3,'c',ConstantRewardFunction(-1))\n\
                  (0,0,'!a&!c',ConstantRewardFunction(0))\n\
                  (1,4,'b',ConstantRewardFunction(1))\n\
                  (1,3,'c',ConstantRewardFunction(7))\n\
                  (1,5,'a',ConstantRewardFunction(0))\n\
                  (3,0,'True',ConstantRewardFunction(9))\n";
    let imported = rwc::import::rm_to_rw(quirky, "quirky", Semantics::Original, "", None, true).unwrap();
    let w = imported.warnings.join("\n");
    assert!(w.contains("line 7: state 1 already has an edge into a terminal state (line 6)"), "{w}");
    assert!(w.contains("line 9: edge out of terminal state 3"), "{w}");
    assert!(w.contains("state 1: labels no edge matches"), "{w}");
    assert!(w.contains("pay the reward of the edge into a terminal state (`7`, line 7)"), "{w}");
    assert!(w.contains("state 5 has no outgoing edge"), "{w}");
    // State 1: 'c' (line 7, reward 7) replaced 'b' (line 6) at its place.
    assert!(imported.spec.contains("u1 -> u3 when c reward 7"), "{}", imported.spec);
    assert!(!imported.spec.contains("when b"), "{}", imported.spec);
    all_modes("quirky", quirky);
    let intended = rwc::import::rm_to_rw(quirky, "quirky", Semantics::Intended, "", None, false).unwrap();
    let fallback = intended.spec.lines().find(|l| l.contains("u1 -> u6 when true")).unwrap();
    assert!(!fallback.contains("reward"), "intended: falling off pays 0: {fallback}");
    // Intended: edges into two terminal states are two edges, as written.
    assert!(intended.spec.contains("u1 -> u4 when b reward 1\n"), "{}", intended.spec);
    assert!(intended.spec.contains("u1 -> u3 when c reward 7\n"), "{}", intended.spec);
    let w = intended.warnings.join("\n");
    assert!(
        w.contains("line 7: state 1 has edges into two terminal states (lines 6 and 7): the import keeps both"),
        "{w}"
    );
    let original_fallback = imported.spec.lines().find(|l| l.contains("u1 -> u6 when true")).unwrap();
    assert!(original_fallback.contains("reward 7"), "{original_fallback}");
}

/// Bad files are errors naming the line.
#[test]
fn bad_files_name_the_line() {
    for (text, line, message) in [
        ("", 1, "no initial state"),
        ("0\n", 1, "no list of terminal states"),
        ("0\n[1]\n(0,1,'a',Reward())\n", 3, "unknown reward function `Reward`"),
        ("0\n[1]\n(0,1,'a b',ConstantRewardFunction(1))\n", 3, "is not a literal"),
        ("0\n[1]\n(0,1,'a',ConstantRewardFunction(1/0))\n", 3, "division by zero"),
        ("x\n[1]\n", 1, "expected a number"),
        ("0\n[1]\n(0,1,'a')\n", 3, "expected `,` after the guard"),
        ("0\n[1]\n(0,99999,'a',ConstantRewardFunction(1))\n", 3, "larger than the limit"),
    ] {
        let e = rwc::rm::parse(text).err().unwrap_or_else(|| panic!("{text:?} parses"));
        assert_eq!(e.line, line, "{text:?}: {}", e.message);
        assert!(e.message.contains(message), "{text:?}: {}", e.message);
    }
}

/// The repository's own files, when a checkout is found.
fn repository_files() -> Option<Vec<PathBuf>> {
    // RW_REWARD_MACHINES names a folder of machine files (every `.txt`
    // below it); a checkout of the repository beside this one is searched
    // for its `envs/**/reward_machines/*.txt`.
    let (dir, any_txt) = match std::env::var_os("RW_REWARD_MACHINES") {
        Some(d) => (PathBuf::from(d), true),
        None => (Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../reward_machines"), false),
    };
    fn walk(dir: &Path, any_txt: bool, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, any_txt, out);
            } else if path.extension().is_some_and(|x| x == "txt")
                && (any_txt || path.components().any(|c| c.as_os_str() == "envs"))
                && (any_txt
                    || path.parent().is_some_and(|p| p.components().any(|c| c.as_os_str() == "reward_machines")))
            {
                out.push(path);
            }
        }
    }
    let mut files = Vec::new();
    walk(&dir, any_txt, &mut files);
    files.sort();
    if files.is_empty() {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "skipped the reward_machines files: no checkout at {} (set RW_REWARD_MACHINES=DIR, or run scripts/fetch_reward_machines.sh)",
            dir.display()
        );
        return None;
    }
    Some(files)
}

#[test]
fn the_repositorys_files_import_check_clean_and_reproduce_the_original_code() {
    let Some(files) = repository_files() else { return };
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let name = path.display().to_string();
        let imported = rwc::import::rm_to_rw(&text, &name, Semantics::Original, "", None, true)
            .unwrap_or_else(|e| panic!("{name}:{}: {}", e.line, e.message));
        let checker = all_modes(&name, &text);
        assert!(checker.is_empty(), "{name}: `rwc check` warns: {checker:?}");
        eprintln!(
            "{name}: {} import warning(s){}",
            imported.warnings.len(),
            if imported.warnings.is_empty() { String::new() } else { format!(": {}", imported.warnings.join(" | ")) }
        );
    }
}

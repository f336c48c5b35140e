//! `rwc bench ltl`: translation of `ltl` formulas (infinite traces) to
//! Büchi automata over a corpus, timed like `rwc bench ltlf`; and the
//! corpus itself, which the Spot cross-check (`tests/ltl_omega.rs`) shares.
//!
//! The corpus: random formulas of depth at most 5 over 3 to 5 props with
//! every operator, stratified over the six classes of Manna and Pnueli's
//! hierarchy (as rwc classifies them), then the 55 Dwyer patterns
//! (`bench/ltl_dwyer.txt`) and the continuing tasks of the RL literature.

use crate::{EXIT_INPUT_ERRORS, EXIT_USAGE};
use rw_compiler::generalized::Generalized;
use rw_compiler::omega::{self, Arena, Buchi, Class, Id, Kind};
use std::path::PathBuf;
use std::time::Instant;

/// The Dwyer, Avrunin & Corbett patterns, one formula per line.
pub const DWYER: &str = include_str!("../../../bench/ltl_dwyer.txt");

/// Continuing tasks of the RL literature (LCRL, Bozkurt et al. 2020, Hahn et
/// al. 2019, Voloshin et al. 2023): patrol, response, stabilisation,
/// fairness, and their combinations with safety.
pub const RL_FORMULAS: &[&str] = &[
    "G F a & G F b",
    "G (a -> F b)",
    "F G a",
    "G F a -> G F b",
    "G F a & G F b & G !c",
    "G F a & G F b & G F c",
    "G (a -> F b) & G !c",
    "F G a & G !b",
    "G (a -> X (!a U b))",
    "(G F a -> G F b) & (G F c -> G F d)",
    "G F a | F G b",
    "G (a -> F (b & F c))",
    "F G (a | b) & G F c",
    "G !a & G F b & G (c -> F d)",
];

/// Where a corpus formula comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Random,
    Dwyer,
    Literature,
}

/// One corpus formula: rw text, origin, and what rwc makes of it.
#[derive(Clone, Debug)]
pub struct Case {
    pub text: String,
    pub source: Source,
    pub translated: Translated,
}

/// A formula's automaton and class, and the formula in Spot's syntax over
/// `p0`, `p1`, ... (the automaton's atoms in order).
#[derive(Clone, Debug)]
pub struct Translated {
    /// The Büchi automaton the runtime runs.
    pub automaton: Buchi,
    /// The automaton exported and counted: a generalized Büchi automaton
    /// where one is smaller ([`omega::Translation::exported`]).
    pub exported: Generalized,
    pub class: omega::Classified,
    pub spot: String,
}

/// A formula parsed into the arena, its atoms numbered in order of first
/// appearance (named `p0`, `p1`, ... in [`Arena::spot_text`]).
pub struct Parsed {
    pub arena: Arena,
    pub root: Id,
    pub atoms: Vec<String>,
}

/// Parses an `ltl` formula written in rw syntax (syntax only: props are
/// whatever names it uses, and translation is left to the caller).
pub fn parse_ltl(text: &str) -> Result<Parsed, String> {
    let (module, diagnostics) =
        rw_compiler::syntax::parse(rw_compiler::source::FileId(0), &format!("ltl f = {text}\n"));
    if let Some(d) = diagnostics.iter().find(|d| d.is_error()) {
        return Err(format!("`{}`: {}", text.trim(), d.message));
    }
    let f = module.items.into_iter().find_map(|item| match item.kind {
        rw_compiler::syntax::ast::ItemKind::Formula(f) => Some(f),
        _ => None,
    });
    let Some(f) = f else { return Err(format!("`{}` is not a formula", text.trim())) };
    let mut atoms: Vec<String> = Vec::new();
    let mut atom = |e: &rw_compiler::syntax::ast::Expr| -> u32 {
        let name = rw_compiler::syntax::ast::expr_text(e);
        match atoms.iter().position(|a| *a == name) {
            Some(k) => k as u32,
            None => {
                atoms.push(name);
                atoms.len() as u32 - 1
            }
        }
    };
    let mut arena = Arena::new();
    let root = omega::from_formula(&mut arena, &f.formula, &mut atom, &rw_compiler::ltl::no_patterns, &[]);
    Ok(Parsed { arena, root, atoms })
}

/// A random formula in rw syntax: depth at most `depth`, props among the
/// first `props` of `a`..`e`, every operator.
fn random_text(rng: &mut crate::bench::CorpusRng, depth: u32, props: u64) -> String {
    if depth == 0 || rng.below(5) == 0 {
        return leaf(rng, props);
    }
    let choice = rng.below(16);
    let a = random_text(rng, depth - 1, props);
    match choice {
        0 => format!("!({a})"),
        1 => format!("X ({a})"),
        2 | 3 => format!("F ({a})"),
        4 | 5 => format!("G ({a})"),
        _ => {
            let b = random_text(rng, depth - 1, props);
            let op = ["&", "|", "->", "<->", "xor", "U", "R", "W", "M", "&"][(choice - 6) as usize];
            format!("({a}) {op} ({b})")
        }
    }
}

fn leaf(rng: &mut crate::bench::CorpusRng, props: u64) -> String {
    match rng.below(14) {
        0 => "true".into(),
        1 => "false".into(),
        k => {
            let p = ["a", "b", "c", "d", "e"][rng.below(props) as usize];
            if k % 4 == 0 { format!("!{p}") } else { p.into() }
        }
    }
}

/// A random formula aimed at a class of the hierarchy, from the syntactic
/// classes (Černá and Pelánek 2003): safety formulas use `G R W X` over
/// props, guarantee formulas `F U M X`, obligations combine both, and
/// recurrence, persistence and reactivity put those under `G F`, `F G` and
/// their combinations. Any random formula may land in a lower class; the
/// corpus files it under the class rwc proves.
fn aimed_text(rng: &mut crate::bench::CorpusRng, class: usize, depth: u32, props: u64) -> String {
    if depth == 0 {
        return leaf(rng, props);
    }
    let d = depth - 1;
    let sub = |rng: &mut crate::bench::CorpusRng, c: usize| aimed_text(rng, c, d, props);
    let connective =
        |rng: &mut crate::bench::CorpusRng| ["&", "|", "&", "|", "->", "<->", "xor"][rng.below(7) as usize];
    match class {
        // Safety: G R W X, & |. Guarantee: F U M X, & |.
        0 | 1 => {
            let (unary, binary) = if class == 0 { ("G", ["R", "W"]) } else { ("F", ["U", "M"]) };
            match rng.below(6) {
                0 => leaf(rng, props),
                1 => format!("{unary} ({})", sub(rng, class)),
                2 => format!("X ({})", sub(rng, class)),
                k @ (3 | 4) => format!("({}) {} ({})", sub(rng, class), binary[k as usize - 3], sub(rng, class)),
                _ => format!("({}) {} ({})", sub(rng, class), ["&", "|"][rng.below(2) as usize], sub(rng, class)),
            }
        }
        // Obligation: Boolean combinations of safety and guarantee.
        2 => {
            let (first, second) = (rng.below(2) as usize, rng.below(3) as usize);
            let (a, b) = (sub(rng, first), sub(rng, second));
            format!("({a}) {} ({b})", connective(rng))
        }
        // Recurrence: G F of guarantee, G of recurrence, with obligations.
        3 => match rng.below(4) {
            0 => format!("G (F ({}))", sub(rng, 1)),
            1 => format!("G ({})", sub(rng, 3)),
            2 => format!("({}) U ({})", sub(rng, 3), sub(rng, 1)),
            _ => format!("({}) {} ({})", sub(rng, 3), ["&", "|"][rng.below(2) as usize], sub(rng, 2)),
        },
        // Persistence: F G of safety, F of persistence, with obligations.
        4 => match rng.below(4) {
            0 => format!("F (G ({}))", sub(rng, 0)),
            1 => format!("F ({})", sub(rng, 4)),
            2 => format!("({}) R ({})", sub(rng, 4), sub(rng, 0)),
            _ => format!("({}) {} ({})", sub(rng, 4), ["&", "|"][rng.below(2) as usize], sub(rng, 2)),
        },
        // Reactivity: recurrence and persistence combined.
        _ => {
            let (a, b) = (sub(rng, 3), sub(rng, 4));
            format!("({a}) {} ({b})", connective(rng))
        }
    }
}

/// What rwc makes of a formula, or why it could not translate it.
pub fn translate_text(text: &str) -> Result<Translated, String> {
    let mut p = parse_ltl(text)?;
    let translation = omega::translate(&mut p.arena, p.root).map_err(|e| e.to_string())?;
    let class = omega::classify(&mut p.arena, p.root, &translation);
    let exported = translation.exported();
    Ok(Translated { automaton: translation.automaton, exported, class, spot: p.arena.spot_text(p.root) })
}

/// `random` random formulas stratified over the six classes (bottom counts
/// as safety; a class the generator rarely hits may fall short, and the
/// rest is filled with any class), then the Dwyer patterns and the RL
/// formulas.
pub fn ltl_corpus(random: usize, seed: u64) -> Vec<Case> {
    let mut rng = crate::bench::CorpusRng(seed);
    let quota = random.div_ceil(6);
    let bucket = |c: Class| match c {
        Class::Bottom | Class::Safety => 0,
        Class::Guarantee => 1,
        Class::Obligation => 2,
        Class::Recurrence => 3,
        Class::Persistence => 4,
        Class::Reactivity => 5,
    };
    let mut counts = [0usize; 6];
    let mut cases: Vec<Case> = Vec::new();
    let mut spare: Vec<Case> = Vec::new();
    let mut attempts = 0;
    while cases.len() < random && attempts < 200 * random.max(1) {
        attempts += 1;
        let props = 3 + rng.below(3);
        let depth = 1 + rng.below(5) as u32;
        // Half the formulas unconstrained, half aimed at the class that is
        // short of formulas.
        let text = if attempts % 2 == 0 {
            random_text(&mut rng, depth, props)
        } else {
            let short = (0..6).min_by_key(|&k| counts[k]).unwrap_or(0);
            aimed_text(&mut rng, short, depth.min(4), props)
        };
        let started = Instant::now();
        let translated = translate_text(&text);
        if std::env::var_os("RW_LTL_CORPUS_TRACE").is_some() {
            // The class letter, with `?` when it is only a bound.
            let (class, bound) = translated
                .as_ref()
                .map_or(('-', ""), |t| (t.class.class.spot_letter(), if t.class.exact { "" } else { "?" }));
            eprintln!("{:>9.1} ms {class}{bound} {counts:?} {text}", started.elapsed().as_secs_f64() * 1e3);
        }
        let Ok(translated) = translated else { continue };
        let k = bucket(translated.class.class);
        let case = Case { text, source: Source::Random, translated };
        if counts[k] < quota {
            counts[k] += 1;
            cases.push(case);
        } else if spare.len() < random {
            spare.push(case);
        }
    }
    cases.extend(spare.into_iter().take(random.saturating_sub(cases.len())));
    for line in DWYER.lines().filter(|l| !l.trim().is_empty() && !l.starts_with("//")) {
        if let Ok(translated) = translate_text(line) {
            cases.push(Case { text: line.to_string(), source: Source::Dwyer, translated });
        }
    }
    for f in RL_FORMULAS {
        if let Ok(translated) = translate_text(f) {
            cases.push(Case { text: f.to_string(), source: Source::Literature, translated });
        }
    }
    cases
}

#[derive(clap::Args, Debug)]
pub struct LtlArgs {
    /// Formulas to translate, one per line in rw syntax (default: the corpus)
    #[arg(long, value_name = "FILE")]
    pub formulas: Option<PathBuf>,
    /// Random formulas in the corpus, before the Dwyer patterns and the RL formulas (at most 100,000)
    #[arg(long, default_value_t = 500, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(0..=100_000))]
    pub count: usize,
    /// Seed of the random formulas
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Also write the formulas in Spot's syntax, one per line, for bench/spot_ltl.py
    #[arg(long, value_name = "FILE")]
    pub emit_spot: Option<PathBuf>,
    /// Also write each automaton's state count, one per line, for bench/spot_ltl.py --ours
    #[arg(long, value_name = "FILE")]
    pub emit_sizes: Option<PathBuf>,
    /// Timed runs over the corpus; the best is reported
    #[arg(long, default_value_t = 3)]
    pub repeat: usize,
}

pub fn bench_ltl(args: &LtlArgs) -> Result<(), (u8, String)> {
    let texts: Vec<String> = match &args.formulas {
        Some(path) => crate::files::read_text(path, crate::files::MAX_BENCH_BYTES)
            .map_err(|e| (EXIT_USAGE, e))?
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with("//"))
            .map(str::to_string)
            .collect(),
        None => {
            eprintln!("building the corpus ({} random formulas, stratified by class) ...", args.count);
            ltl_corpus(args.count, args.seed).into_iter().map(|c| c.text).collect()
        }
    };
    // Parse once, outside the timing: the benchmark measures translation.
    let mut parsed = Vec::with_capacity(texts.len());
    for (k, text) in texts.iter().enumerate() {
        parsed.push(parse_ltl(text).map_err(|e| (EXIT_INPUT_ERRORS, format!("formula {}: {e}", k + 1)))?);
    }
    if let Some(out) = &args.emit_spot {
        let text: String = parsed.iter().map(|p| format!("{}\n", p.arena.spot_text(p.root))).collect();
        crate::files::write_output(out, text.as_bytes(), &[]).map_err(|e| (EXIT_USAGE, e))?;
    }
    // `RW_LTL_BENCH_TRACE=1`: each formula's time and size on stderr.
    let trace = std::env::var_os("RW_LTL_BENCH_TRACE").is_some();
    let mut best = f64::INFINITY;
    let mut sizes = Vec::new();
    let (mut largest, mut largest_ms, mut max_ms, mut deterministic) = (0usize, 0f64, 0f64, 0usize);
    for _ in 0..args.repeat.max(1) {
        let start = Instant::now();
        let mut run = Vec::with_capacity(parsed.len());
        let (mut run_largest, mut run_largest_ms, mut run_max_ms, mut run_det) = (0usize, 0f64, 0f64, 0usize);
        for (k, p) in parsed.iter_mut().enumerate() {
            let one = Instant::now();
            let automaton = omega::translate(&mut p.arena, p.root)
                .map_err(|e| (EXIT_INPUT_ERRORS, format!("formula {}: {e}", k + 1)))?
                .exported();
            let ms = one.elapsed().as_secs_f64() * 1e3;
            if trace {
                eprintln!("{ms:>9.3} ms {:>5} states  {}", automaton.states(), texts[k]);
            }
            run_max_ms = run_max_ms.max(ms);
            if automaton.states() > run_largest {
                (run_largest, run_largest_ms) = (automaton.states(), ms);
            }
            run_det += usize::from(automaton.kind == Kind::Deterministic);
            run.push(automaton.states());
        }
        let elapsed = start.elapsed().as_secs_f64();
        if elapsed < best {
            best = elapsed;
            (largest, largest_ms, max_ms, deterministic) = (run_largest, run_largest_ms, run_max_ms, run_det);
        }
        sizes = run;
    }
    if let Some(out) = &args.emit_sizes {
        let text: String = sizes.iter().map(|n| format!("{n}\n")).collect();
        crate::files::write_output(out, text.as_bytes(), &[]).map_err(|e| (EXIT_USAGE, e))?;
    }
    println!(
        "{}",
        serde_json::json!({
            "bench": "ltl",
            "impl": "rwc",
            "formulas": parsed.len(),
            "formulas_per_s": parsed.len() as f64 / best,
            "max_ms": max_ms,
            "total_states": sizes.iter().sum::<usize>(),
            "deterministic": deterministic,
            "largest": {"states": largest, "ms": largest_ms},
        })
    );
    Ok(())
}

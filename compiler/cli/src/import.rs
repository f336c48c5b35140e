//! `rwc import rm FILE.txt`: the text format of the reward_machines code base
//! (Toro Icarte et al.) as an rw spec.
//!
//! The file: `#` comments, the initial state, the list of terminal states,
//! then `(from, to, 'DNF', ConstantRewardFunction(r))` per edge. The spec
//! keeps the semantics of the original code: state `uK` has index K (gaps
//! become placeholder states), the first matching edge wins (`priority`),
//! and a label no edge matches ends the episode in an extra terminal state
//! with reward 0.

use crate::{EXIT_INPUT_ERRORS, EXIT_USAGE};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

#[derive(clap::Subcommand, Debug)]
pub enum ImportCommand {
    /// A reward machine in the reward_machines text format
    Rm {
        #[arg(value_name = "FILE.txt")]
        file: PathBuf,
        /// Write the spec here instead of printing it
        #[arg(short, long, value_name = "OUT.rw")]
        output: Option<PathBuf>,
    },
    /// An LTLf formula written for another tool, printed in rw syntax
    #[command(
        after_help = "Examples:\n  rwc import ltlf --from spot 'G(a -> X b)'      # G (a -> WX b): Spot's X is weak\n  \
        rwc import ltlf --from flloat 'a -> b -> c'   # (a -> b) -> c\n  rwc import ltlf --from lydia 'a & b U c'      # (a & b) U c"
    )]
    Ltlf {
        /// The tool the formula was written for
        #[arg(long, value_enum)]
        from: DialectArg,
        /// The formula (quote it for the shell)
        formula: String,
    },
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum DialectArg {
    Flloat,
    Spot,
    Lydia,
}

/// A parse error: 1-based line and message.
#[derive(Debug)]
pub struct RmError {
    pub line: usize,
    pub message: String,
}

struct RmEdge {
    from: u32,
    to: u32,
    guard: String,
    reward: String,
}

/// Largest state number a reward-machine file may use: states keep their
/// numbers, so gaps become placeholder states.
pub const MAX_RM_STATE: u32 = 10_000;

fn parse_state(text: &str, line: usize) -> Result<u32, RmError> {
    let state = text
        .trim()
        .parse::<u32>()
        .map_err(|_| RmError { line, message: format!("`{}` is not a state number", text.trim()) })?;
    if state > MAX_RM_STATE {
        return Err(RmError {
            line,
            message: format!("state `{state}` is larger than the limit of {MAX_RM_STATE} (states keep their numbers)"),
        });
    }
    Ok(state)
}

/// Translates reward_machines text into an rw spec.
pub fn rm_to_rw(text: &str, name: &str) -> Result<String, RmError> {
    let mut lines =
        text.lines().enumerate().map(|(i, l)| (i + 1, l.trim())).filter(|(_, l)| !l.is_empty() && !l.starts_with('#'));
    let (line, first) = lines.next().ok_or(RmError { line: 1, message: "the file has no initial state".into() })?;
    let initial = parse_state(first, line)?;
    let (line, second) =
        lines.next().ok_or(RmError { line, message: "the file has no list of terminal states".into() })?;
    let inner = second.strip_prefix('[').and_then(|s| s.strip_suffix(']')).ok_or(RmError {
        line,
        message: format!("expected a list of terminal states like `[4, 5]`, found `{second}`"),
    })?;
    let terminal: Vec<u32> =
        inner.split(',').filter(|s| !s.trim().is_empty()).map(|s| parse_state(s, line)).collect::<Result<_, _>>()?;
    let mut edges = Vec::new();
    for (line, l) in lines {
        let shape = || RmError {
            line,
            message: format!("expected `(from, to, 'guard', ConstantRewardFunction(r))`, found `{l}`"),
        };
        let body = l.strip_prefix('(').and_then(|s| s.strip_suffix(')')).ok_or_else(shape)?;
        let mut parts = body.splitn(3, ',');
        let from = parse_state(parts.next().ok_or_else(shape)?, line)?;
        let to = parse_state(parts.next().ok_or_else(shape)?, line)?;
        let rest = parts.next().ok_or_else(shape)?.trim();
        let quote = rest.chars().next().filter(|c| *c == '\'' || *c == '"').ok_or_else(shape)?;
        let close = rest[1..].find(quote).ok_or_else(shape)? + 1;
        let guard = &rest[1..close];
        let reward = rest[close + 1..]
            .trim()
            .strip_prefix(',')
            .map(str::trim)
            .and_then(|s| s.strip_prefix("ConstantRewardFunction("))
            .and_then(|s| s.strip_suffix(')'))
            .ok_or_else(shape)?
            .trim();
        if reward.parse::<f64>().is_err() {
            return Err(RmError { line, message: format!("reward `{reward}` is not a number") });
        }
        edges.push(RmEdge { from, to, guard: translate_guard(guard, line)?, reward: reward.to_string() });
    }
    let largest =
        edges.iter().flat_map(|e| [e.from, e.to]).chain(terminal.iter().copied()).chain([initial]).max().unwrap_or(0);
    let end = largest + 1;
    // Props are the single-letter words of the translated guards.
    let letters: BTreeSet<&str> = edges
        .iter()
        .flat_map(|e| e.guard.split(|c: char| !c.is_ascii_alphanumeric()))
        .filter(|w| w.len() == 1)
        .collect();
    let mut out = String::new();
    out.push_str(&format!("// Imported from `{name}` by `rwc import rm`, keeping its semantics:\n"));
    out.push_str("// state uK is the file's state K, the first matching edge wins, and a label that\n");
    out.push_str(&format!("// no edge matches ends the episode in u{end} with reward 0.\n\n"));
    if !letters.is_empty() {
        out.push_str(&format!("props {}\n\n", letters.into_iter().collect::<Vec<_>>().join(", ")));
    }
    out.push_str("machine rm priority {\n");
    let states: Vec<String> = (0..=end).map(|k| format!("u{k}")).collect();
    out.push_str(&format!("  states {}\n", states.join(", ")));
    out.push_str(&format!("  start u{initial}\n"));
    for e in &edges {
        let reward =
            if e.reward.parse::<f64>().ok() == Some(0.0) { String::new() } else { format!(" reward {}", e.reward) };
        out.push_str(&format!("  u{} -> u{} when {}{reward}\n", e.from, e.to, e.guard));
    }
    out.push_str(&format!("  any -> u{end} when true\n"));
    let mut terms: Vec<String> = terminal.iter().map(|t| format!("u{t}")).collect();
    terms.push(format!("u{end}"));
    out.push_str(&format!("  terminal {}\n}}\n\nreward = rm.reward\ndone when rm.terminal\n", terms.join(", ")));
    Ok(out)
}

/// `a&!b|c` with single-letter props, `True`, `False` → rw guard syntax.
fn translate_guard(guard: &str, line: usize) -> Result<String, RmError> {
    let mut out = String::new();
    let mut chars = guard.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '&' => out.push_str(" & "),
            '|' => out.push_str(" | "),
            '!' => out.push('!'),
            '(' | ')' => out.push(c),
            ' ' => {}
            c if c.is_ascii_alphabetic() => {
                let mut word = c.to_string();
                while let Some(&n) = chars.peek() {
                    if n.is_ascii_alphanumeric() {
                        word.push(n);
                        chars.next();
                    } else {
                        break;
                    }
                }
                match word.as_str() {
                    "True" => out.push_str("true"),
                    "False" => out.push_str("false"),
                    w if w.len() == 1 => out.push_str(w),
                    w => {
                        return Err(RmError {
                            line,
                            message: format!("guard atom `{w}` is not a single-letter proposition"),
                        });
                    }
                }
            }
            other => return Err(RmError { line, message: format!("unexpected `{other}` in guard `{guard}`") }),
        }
    }
    Ok(out)
}

/// Reads and translates a file; errors are printed.
pub fn import_file(path: &Path) -> Result<String, u8> {
    let text = crate::files::read_text(path, crate::files::MAX_RM_BYTES).map_err(|e| {
        eprintln!("error: {e}");
        EXIT_USAGE
    })?;
    let name = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
    rm_to_rw(&text, &name).map_err(|e| {
        eprintln!("error: {}:{}: {}", path.display(), e.line, e.message);
        EXIT_INPUT_ERRORS
    })
}

pub fn run(command: &ImportCommand) -> u8 {
    match command {
        ImportCommand::Ltlf { from, formula } => {
            use rw_compiler::ltl_import::{Dialect, import};
            let dialect = match from {
                DialectArg::Flloat => Dialect::Flloat,
                DialectArg::Spot => Dialect::Spot,
                DialectArg::Lydia => Dialect::Lydia,
            };
            match import(dialect, formula) {
                Ok(rw) => {
                    println!("{rw}");
                    0
                }
                Err(e) => {
                    eprintln!("error: cannot read the formula {e}");
                    eprintln!("  {formula}\n  {}^", " ".repeat(e.at));
                    EXIT_INPUT_ERRORS
                }
            }
        }
        ImportCommand::Rm { file, output } => {
            let spec = match import_file(file) {
                Ok(s) => s,
                Err(code) => return code,
            };
            match output {
                Some(out) => {
                    if let Err(e) = crate::files::write_output(out, spec.as_bytes(), &[file]) {
                        eprintln!("error: {e}");
                        return EXIT_USAGE;
                    }
                    eprintln!("wrote {}", out.display());
                }
                None => print!("{spec}"),
            }
            0
        }
    }
}

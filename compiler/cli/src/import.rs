//! `rwc import rm FILE.txt` (reward_machines files, see [`crate::rm`]),
//! `rwc import ltlf --from TOOL FORMULA` (LTLf in other tools' syntax) and
//! `rwc import hoa FILE.hoa` (an ω-automaton from Spot, Owl, ...).

use crate::rm::Semantics;
use crate::{EXIT_INPUT_ERRORS, EXIT_USAGE};
use std::path::{Path, PathBuf};

#[derive(clap::Subcommand, Debug)]
pub enum ImportCommand {
    /// A reward machine in the reward_machines text format
    #[command(after_help = "Examples:\n  rwc import rm office/t1.txt -o t1.rw\n  \
        rwc import rm office/t1.txt --events abcdefgn      # the office world's events, for traces shared by t1-t4\n  \
        rwc import rm office/t1.txt --shaping 0.9,0.9       # the original's --use_rs (gamma, rs_gamma)\n  \
        rwc import rm office/t1.txt --semantics intended    # falling off the machine pays 0")]
    Rm {
        #[arg(value_name = "FILE.txt")]
        file: PathBuf,
        /// Write the spec here instead of printing it
        #[arg(short, long, value_name = "OUT.rw")]
        output: Option<PathBuf>,
        /// The original code's behaviour step for step (default), or its documented intent
        #[arg(long, value_enum, default_value_t = Semantics::Original)]
        semantics: Semantics,
        /// Declare these event letters as props too (the environment's whole alphabet)
        #[arg(long, value_name = "LETTERS", default_value = "")]
        events: String,
        /// Add the original's automated reward shaping: GAMMA,RS_GAMMA
        #[arg(long, value_name = "GAMMA,RS_GAMMA", value_parser = parse_shaping)]
        shaping: Option<(f64, f64)>,
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
    /// A deterministic or limit-deterministic Büchi automaton in HOA (from Spot, Owl, ...), printed as a machine
    #[command(
        after_help = "Examples:\n  ltl2tgba -D -B 'GF a & GF b' > patrol.hoa && rwc import hoa patrol.hoa --name patrol\n  \
        rwc import hoa patrol.hoa -o patrol_machine.rw\n\n\
        Accepting transitions pay `reward 1.0`, so `NAME.reward > 0` marks the steps that take one."
    )]
    Hoa {
        #[arg(value_name = "FILE.hoa")]
        file: PathBuf,
        /// Write the module here instead of printing it
        #[arg(short, long, value_name = "OUT.rw")]
        output: Option<PathBuf>,
        /// The machine's name (default: from the file's name)
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
    },
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum DialectArg {
    Flloat,
    Spot,
    Lydia,
}

fn parse_shaping(text: &str) -> Result<(f64, f64), String> {
    let (g, r) = text.split_once(',').ok_or("give GAMMA,RS_GAMMA, for example `0.9,0.9`")?;
    let value = |s: &str| -> Result<f64, String> {
        let v: f64 = s.trim().parse().map_err(|_| format!("`{}` is not a number", s.trim()))?;
        if v > 0.0 && v <= 1.0 { Ok(v) } else { Err(format!("`{v}` must be in (0, 1]")) }
    };
    Ok((value(g)?, value(r)?))
}

/// What `rwc import rm` produces: the spec and the warnings about the file.
pub struct Imported {
    pub spec: String,
    pub warnings: Vec<String>,
}

/// Translates a reward_machines file's text. `merge_terminals`: the
/// original code's rule (see [`crate::rm::Machine::build`]); `rwc import
/// rm` merges them for `original` semantics and keeps them apart for
/// `intended`, where the warnings still name every place the file meets a
/// rule of the original code.
pub fn rm_to_rw(
    text: &str,
    name: &str,
    semantics: Semantics,
    events: &str,
    shaping: Option<(f64, f64)>,
    merge_terminals: bool,
) -> Result<Imported, crate::rm::RmError> {
    let file = crate::rm::parse(text)?;
    let mut machine = crate::rm::Machine::build(&file, merge_terminals);
    if semantics == Semantics::Intended && !merge_terminals {
        machine.report_against_original(&crate::rm::Machine::build(&file, true));
    }
    Ok(Imported {
        spec: machine.to_rw(name, semantics, events, shaping),
        warnings: machine.warnings(semantics, shaping),
    })
}

/// Reads a file for `rwc bench rm`: terminal states stay apart, as the W1
/// workload defines them; errors and warnings are printed.
pub fn import_file(path: &Path) -> Result<String, u8> {
    let text = crate::files::read_text(path, crate::files::MAX_RM_BYTES).map_err(|e| {
        eprintln!("error: {e}");
        EXIT_USAGE
    })?;
    let name = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
    rm_to_rw(&text, &name, Semantics::Original, "", None, false).map(|i| i.spec).map_err(|e| {
        eprintln!("error: {}:{}: {}", path.display(), e.line, e.message);
        EXIT_INPUT_ERRORS
    })
}

pub fn run(command: &ImportCommand) -> u8 {
    match command {
        ImportCommand::Ltlf { from, formula } => {
            use rw_compiler::ltl_import::{Dialect, import_with_names};
            let dialect = match from {
                DialectArg::Flloat => Dialect::Flloat,
                DialectArg::Spot => Dialect::Spot,
                DialectArg::Lydia => Dialect::Lydia,
            };
            match import_with_names(dialect, formula) {
                Ok((rw, renamed)) => {
                    println!("{rw}");
                    for (written, name) in renamed {
                        eprintln!(
                            "note: the proposition `{written}` is `{name}` in rw (rw names are letters, digits and `_`, and not operators)"
                        );
                    }
                    0
                }
                Err(e) => {
                    eprintln!("error: cannot read the formula {e}");
                    eprintln!("  {formula}\n  {}^", " ".repeat(e.at));
                    EXIT_INPUT_ERRORS
                }
            }
        }
        ImportCommand::Hoa { file, output, name } => {
            let text = match crate::files::read_text(file, crate::files::MAX_RM_BYTES) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("error: {e}");
                    return EXIT_USAGE;
                }
            };
            let module = match hoa_to_rw(&text, file, name.as_deref()) {
                Ok(m) => m,
                Err(message) => {
                    eprintln!("error: {message}");
                    return EXIT_INPUT_ERRORS;
                }
            };
            write_or_print(output.as_deref(), &module, file)
        }
        ImportCommand::Rm { file, output, semantics, events, shaping } => {
            let text = match crate::files::read_text(file, crate::files::MAX_RM_BYTES) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("error: {e}");
                    return EXIT_USAGE;
                }
            };
            if let Some(bad) = events.chars().find(|c| !c.is_ascii_alphabetic()) {
                eprintln!(
                    "error: `--events {events}`: `{bad}` is not a letter (events are single letters, as in the files' guards)"
                );
                return EXIT_USAGE;
            }
            let name =
                file.file_name().map_or_else(|| file.display().to_string(), |n| n.to_string_lossy().into_owned());
            let merge_terminals = *semantics == Semantics::Original;
            let imported = match rm_to_rw(&text, &name, *semantics, events, *shaping, merge_terminals) {
                Ok(i) => i,
                Err(e) => {
                    eprintln!("error: {}:{}: {}", file.display(), e.line, e.message);
                    return EXIT_INPUT_ERRORS;
                }
            };
            for w in &imported.warnings {
                eprintln!("warning: {}: {w}", file.display());
            }
            write_or_print(output.as_deref(), &imported.spec, file)
        }
    }
}

/// Writes `text` to `output` (never over `input`), or prints it.
fn write_or_print(output: Option<&Path>, text: &str, input: &Path) -> u8 {
    match output {
        Some(out) => {
            if let Err(e) = crate::files::write_output(out, text.as_bytes(), &[input]) {
                eprintln!("error: {e}");
                return EXIT_USAGE;
            }
            eprintln!("wrote {}", out.display());
        }
        None => print!("{text}"),
    }
    0
}

/// A HOA file as an rw module: its props and the machine.
pub fn hoa_to_rw(text: &str, file: &Path, name: Option<&str>) -> Result<String, String> {
    let parsed = rw_compiler::hoa::parse(text).map_err(|e| format!("{}:{}", file.display(), e))?;
    let stem = file.file_stem().map_or_else(|| "imported".to_string(), |s| s.to_string_lossy().into_owned());
    let name = rw_compiler::hoa::prop_names(&[name.map_or(stem, str::to_string)]).remove(0);
    let props = rw_compiler::hoa::prop_names(&parsed.atoms);
    // A limit-deterministic automaton's choices are an int input's, named
    // like the one `ltl NAME = ... jump NAME_jump` asks for.
    let limit_deterministic = parsed.buchi.kind == rw_compiler::omega::Kind::SemiDeterministic;
    let jump = {
        let mut candidate = format!("{name}_jump");
        while props.contains(&candidate) || candidate == name {
            candidate.push('_');
        }
        candidate
    };
    let machine =
        rw_compiler::hoa::to_machine(&parsed, &name, &props, &jump).map_err(|e| format!("{}: {e}", file.display()))?;
    let mut out = format!(
        "// Imported from `{}` ({} states, Büchi acceptance{}): accepting\n\
         // transitions pay reward 1.0, so `{name}.reward > 0` marks the steps that take one.\n",
        file.display(),
        parsed.buchi.states(),
        parsed.name.as_ref().map_or(String::new(), |n| format!(", \"{n}\"")),
    );
    if limit_deterministic {
        out.push_str(&format!(
            "// Limit-deterministic: `{jump}` chooses among a step's successors (0 or out of range: the\n\
             // first, the way to stay where there is one; k: the k-th other, jumps into the accepting part last).\n"
        ));
    }
    for (written, rw) in parsed.atoms.iter().zip(&props) {
        if written != rw {
            out.push_str(&format!("// proposition \"{written}\" is `{rw}`\n"));
        }
    }
    if !props.is_empty() {
        out.push_str(&format!("props {}\n", props.join(", ")));
    }
    if limit_deterministic {
        out.push_str(&format!("input {jump}: int\n"));
    }
    out.push('\n');
    out.push_str(&machine);
    Ok(out)
}

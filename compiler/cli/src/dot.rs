//! `rwc dot FILE.rw`: the spec's automata as Graphviz graphs, or (`--format
//! hoa`) the formulas' automata in the Hanoi Omega-Automata format.

use crate::{EXIT_INPUT_ERRORS, EXIT_USAGE, load};
use rw_compiler::automata;
use rw_compiler::sema::{DeclId, DeclKind};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct DotArgs {
    #[arg(value_name = "FILE.rw")]
    pub file: PathBuf,
    /// Only this automaton (default: all of them)
    #[arg(long, value_name = "NAME")]
    pub automaton: Option<String>,
    /// Write the graph here instead of printing it
    #[arg(short, long, value_name = "OUT.dot")]
    pub output: Option<PathBuf>,
    /// Graphviz, or HOA (the format of Spot and Owl) for `ltl` and `ltlf` formulas
    #[arg(long, value_enum, default_value_t = DotFormat::Dot)]
    pub format: DotFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DotFormat {
    Dot,
    Hoa,
}

pub fn run(args: &DotArgs) -> u8 {
    let checked = match rw_compiler::check_file(&args.file) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: cannot read `{}`: {}", args.file.display(), crate::check::describe_io(&e));
            return EXIT_USAGE;
        }
    };
    load::print_diagnostics(&checked, &checked.diagnostics);
    if checked.has_errors() {
        return EXIT_INPUT_ERRORS;
    }
    let p = &checked.program;
    let mut graphs = Vec::new();
    let mut names = Vec::new();
    for (index, decl) in p.decls.iter().enumerate() {
        let automaton = match &decl.kind {
            DeclKind::Machine(_) if args.format == DotFormat::Hoa => {
                // Machines have no acceptance condition: not in HOA.
                if args.automaton.as_ref() == Some(&decl.name.name) {
                    eprintln!(
                        "error: `{}` is a reward machine, which has no acceptance condition to write in HOA",
                        decl.name.name
                    );
                    eprintln!("help: `--format hoa` writes `ltl` and `ltlf` formulas; use `--format dot` for machines");
                    return EXIT_USAGE;
                }
                continue;
            }
            DeclKind::Machine(m) => {
                let states = p.machine_states.get(&DeclId(index as u32)).cloned().unwrap_or_default();
                automata::analyse(p, m, &states)
            }
            DeclKind::Formula(f) if !f.is_pattern() => automata::formula_automaton(p, f),
            _ => continue,
        };
        names.push(decl.name.name.clone());
        if args.automaton.as_ref().is_some_and(|n| *n != decl.name.name) {
            continue;
        }
        match automaton {
            Ok(a) => graphs.push(match args.format {
                DotFormat::Dot => a.to_dot(),
                DotFormat::Hoa => a.to_hoa().unwrap_or_default(),
            }),
            Err(d) => {
                load::print_diagnostics(&checked, &[d]);
                return EXIT_INPUT_ERRORS;
            }
        }
    }
    if graphs.is_empty() {
        match &args.automaton {
            Some(n) => {
                eprintln!("error: no automaton `{n}` in `{}` (it has: {})", args.file.display(), names.join(", "))
            }
            None if args.format == DotFormat::Hoa => {
                eprintln!("error: `{}` declares no `ltl` or `ltlf` formula", args.file.display())
            }
            None => eprintln!("error: `{}` declares no machine or formula", args.file.display()),
        }
        return EXIT_INPUT_ERRORS;
    }
    let text = graphs.join("\n");
    match &args.output {
        Some(out) => {
            if let Err(e) = crate::files::write_output(out, text.as_bytes(), &[&args.file]) {
                eprintln!("error: {e}");
                return EXIT_USAGE;
            }
        }
        None => print!("{text}"),
    }
    0
}

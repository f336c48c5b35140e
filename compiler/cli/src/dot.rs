//! `rwc dot FILE.rw`: the spec's automata as Graphviz graphs.

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
            DeclKind::Machine(m) => {
                let states = p.machine_states.get(&DeclId(index as u32)).cloned().unwrap_or_default();
                automata::analyse(p, m, &states)
            }
            DeclKind::Formula(f) if !f.is_pattern() => automata::ltlf_automaton(p, f),
            _ => continue,
        };
        names.push(decl.name.name.clone());
        if args.automaton.as_ref().is_some_and(|n| *n != decl.name.name) {
            continue;
        }
        match automaton {
            Ok(a) => graphs.push(a.to_dot()),
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

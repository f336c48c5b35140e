//! `rwc fmt FILE... [--check]`: rewrites `.rw` files in the canonical
//! layout of [`rw_compiler::syntax::format`]; `-` formats standard input to
//! standard output.

use crate::{EXIT_INPUT_ERRORS, EXIT_USAGE, files, render};
use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct FmtArgs {
    /// The .rw files to format in place; `-` reads standard input and writes standard output
    #[arg(required = true, value_name = "FILE.rw")]
    pub files: Vec<PathBuf>,
    /// Change nothing: list the files that are not formatted, and exit 1 if there are any
    #[arg(long)]
    pub check: bool,
}

pub fn run(args: &FmtArgs) -> u8 {
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let (mut unformatted, mut failed, mut io_failed) = (0usize, 0usize, false);
    for path in &args.files {
        let stdin = path.as_os_str() == "-";
        let text = if stdin {
            let mut text = String::new();
            match std::io::stdin().take(rw_compiler::source::MAX_SOURCE_BYTES).read_to_string(&mut text) {
                Ok(_) => text,
                Err(e) => {
                    eprintln!("error: cannot read standard input: {e}");
                    io_failed = true;
                    continue;
                }
            }
        } else {
            match files::read_text(path, rw_compiler::source::MAX_SOURCE_BYTES) {
                Ok(text) => text,
                Err(message) => {
                    eprintln!("error: {message}");
                    io_failed = true;
                    continue;
                }
            }
        };
        let name = if stdin { "<stdin>".to_string() } else { path.display().to_string() };
        let formatted = match rw_compiler::syntax::format::format(&text) {
            Ok(f) => f,
            Err(diagnostics) => {
                let mut sources = rw_compiler::SourceMap::new();
                sources.add(name.clone(), rw_compiler::source::Origin::Memory, text);
                eprint!("{}", render::human(&sources, &diagnostics, color));
                eprintln!("error: `{name}` was not formatted: it does not parse");
                failed += 1;
                continue;
            }
        };
        if stdin && !args.check {
            let _ = std::io::stdout().write_all(formatted.as_bytes());
            continue;
        }
        if formatted == text {
            continue;
        }
        unformatted += 1;
        if args.check {
            println!("would reformat {name}");
        } else if let Err(message) = files::rewrite_in_place(path, formatted.as_bytes()) {
            eprintln!("error: {message}");
            io_failed = true;
        } else {
            println!("formatted {name}");
        }
    }
    if io_failed {
        EXIT_USAGE
    } else if failed > 0 || (args.check && unformatted > 0) {
        EXIT_INPUT_ERRORS
    } else {
        0
    }
}

//! Getting a program from the command line: a `.rw` file is checked and
//! compiled (diagnostics printed), a `.rwc` file is loaded and validated.

use crate::{EXIT_INPUT_ERRORS, EXIT_USAGE, render};
use rw_compiler::sema;
use rw_runtime::Artifact;
use std::io::IsTerminal;
use std::path::Path;

/// Prints diagnostics for people on stderr.
pub fn print_diagnostics(checked: &sema::Checked, diagnostics: &[rw_compiler::Diagnostic]) {
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    eprint!("{}", render::human(&checked.sources, diagnostics, color));
}

/// Compiles a `.rw` file, printing its diagnostics; the exit code on failure.
pub fn compile_file(path: &Path) -> Result<Artifact, u8> {
    let checked = match rw_compiler::check_file(path) {
        Ok(mut c) => {
            rw_verify::verify(&mut c, &rw_verify::Options::default());
            c
        }
        Err(e) => {
            eprintln!("error: cannot read `{}`: {}", path.display(), crate::check::describe_io(&e));
            return Err(EXIT_USAGE);
        }
    };
    print_diagnostics(&checked, &checked.diagnostics);
    if checked.has_errors() {
        return Err(EXIT_INPUT_ERRORS);
    }
    rw_compiler::compile(&checked).map_err(|diagnostics| {
        print_diagnostics(&checked, &diagnostics);
        EXIT_INPUT_ERRORS
    })
}

/// A program from a `.rw` (compiled now) or `.rwc` (loaded) file.
pub fn program(path: &Path) -> Result<Artifact, u8> {
    if path.extension().is_some_and(|e| e == "rwc") {
        let bytes = crate::files::read(path, crate::files::MAX_ARTIFACT_BYTES).map_err(|e| {
            eprintln!("error: {e}");
            EXIT_USAGE
        })?;
        return Artifact::from_bytes(&bytes).map_err(|e| {
            eprintln!("error: cannot load `{}`: {e}", path.display());
            EXIT_INPUT_ERRORS
        });
    }
    compile_file(path)
}

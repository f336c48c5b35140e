//! rw-compiler: the front end and (in later milestones) the middle end of the
//! rw reward compiler.
//!
//! Pipeline: [`syntax`] (pest → AST with spans) → [`sema`] (modules, names,
//! types, structural rules) → automata → verification → lowering to the
//! runtime artifact. Every phase reports [`Diagnostic`]s as plain data; the
//! `rwc` binary renders them.
//!
//! Compiling a spec and evaluating it from Rust, the way a trainer embeds
//! rw (the runtime needs only the artifact's bytes):
//!
//! ```
//! use rw_runtime::{Artifact, Column, Evaluator, Options, StepInput};
//!
//! let spec = "
//!     props coffee, office
//!     machine task {
//!       start u0
//!       u0 -> u1 when coffee
//!       u1 -> goal when office reward 1
//!       terminal goal
//!     }
//!     reward = task.reward
//!     done when task.terminal
//! ";
//! let checked = rw_compiler::check_text("task.rw", spec, None);
//! assert!(!checked.has_errors());
//! let bytes = rw_compiler::compile(&checked).expect("compiles").to_bytes();
//!
//! // In the trainer: load, validate, and step 2 lanes at once.
//! let program = Artifact::from_bytes(&bytes).expect("valid artifact");
//! let mut eval = Evaluator::new(&program, 2, Options::default());
//! let step = |eval: &mut Evaluator, coffee: [bool; 2], office: [bool; 2]| {
//!     let columns = [Column::Bool(&coffee), Column::Bool(&office)];
//!     let input = StepInput { columns: &columns, last: None, groups: None, active: None };
//!     let out = eval.step(&input).expect("inputs match the schema");
//!     (out.reward.clone(), out.done.clone())
//! };
//! assert_eq!(step(&mut eval, [true, false], [false, false]), (vec![0.0, 0.0], vec![false, false]));
//! assert_eq!(step(&mut eval, [false, false], [true, true]), (vec![1.0, 0.0], vec![true, false]));
//! ```

pub mod automata;
pub mod diagnostic;
pub mod generalized;
pub mod hoa;
pub mod lower;
pub mod ltl;
pub mod ltl_import;
pub mod omega;
pub mod optimize;
pub mod sema;
pub mod source;
pub mod syntax;

pub use diagnostic::{Diagnostic, Severity};

/// Checks a file on disk: names, types and structure ([`sema`]), then the
/// machines' structure ([`automata`]) when sema found no error. Fails only
/// when the file itself cannot be read; unreadable imports are diagnostics.
pub fn check_file(path: &std::path::Path) -> std::io::Result<sema::Checked> {
    sema::check_file(path, automata::check_machines)
}

/// [`check_file`] for source text that is not on disk; relative imports
/// resolve against `base_dir` when given.
pub fn check_text(name: &str, text: &str, base_dir: Option<&std::path::Path>) -> sema::Checked {
    sema::check_text(name, text, base_dir, automata::check_machines)
}

/// [`check_text`] with imported files read by `read` (the language server
/// passes the editor's unsaved buffers).
pub fn check_text_with(
    name: &str,
    text: &str,
    base_dir: Option<&std::path::Path>,
    read: sema::ReadFile<'_>,
) -> sema::Checked {
    sema::check_text_with(name, text, base_dir, automata::check_machines, read)
}

use rw_runtime::Artifact;

/// Compiles a checked program into an artifact, or explains why not. Call
/// only when the check found no errors.
pub fn compile(checked: &sema::Checked) -> Result<Artifact, Vec<Diagnostic>> {
    if checked.has_errors() {
        return Err(checked.diagnostics.iter().filter(|d| d.is_error()).cloned().collect());
    }
    let mut artifact = lower::lower(&checked.program, &checked.sources)?;
    optimize::optimize(&mut artifact);
    Ok(artifact)
}

/// [`compile`] without the tape optimiser, for tests that check it.
#[doc(hidden)]
pub fn compile_unoptimized(checked: &sema::Checked) -> Result<Artifact, Vec<Diagnostic>> {
    if checked.has_errors() {
        return Err(checked.diagnostics.iter().filter(|d| d.is_error()).cloned().collect());
    }
    lower::lower(&checked.program, &checked.sources)
}
pub use source::{FileId, SourceMap, Span};

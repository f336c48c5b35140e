//! rw-compiler: the front end and (in later milestones) the middle end of the
//! rw reward compiler.
//!
//! Pipeline: [`syntax`] (pest → AST with spans) → [`sema`] (modules, names,
//! types, structural rules) → automata → verification → lowering to the
//! runtime artifact. Every phase reports [`Diagnostic`]s as plain data; the
//! `rwc` binary renders them.

pub mod automata;
pub mod diagnostic;
pub mod lower;
pub mod sema;
pub mod source;
pub mod syntax;

pub use diagnostic::{Diagnostic, Severity};

use rw_runtime::Artifact;

/// Compiles a checked program into an artifact, or explains why not. Call
/// only when the check found no errors.
pub fn compile(checked: &sema::Checked) -> Result<Artifact, Vec<Diagnostic>> {
    if checked.has_errors() {
        return Err(checked.diagnostics.iter().filter(|d| d.is_error()).cloned().collect());
    }
    lower::lower(&checked.program, &checked.sources)
}
pub use source::{FileId, SourceMap, Span};

//! rw-compiler: the front end and (in later milestones) the middle end of the
//! rw reward compiler.
//!
//! Pipeline: [`syntax`] (pest → AST with spans) → [`sema`] (modules, names,
//! types, structural rules) → automata → verification → lowering to the
//! runtime artifact. Every phase reports [`Diagnostic`]s as plain data; the
//! `rwc` binary renders them.

pub mod diagnostic;
pub mod sema;
pub mod source;
pub mod syntax;

pub use diagnostic::{Diagnostic, Severity};
pub use source::{FileId, SourceMap, Span};

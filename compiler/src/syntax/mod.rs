//! Syntax: `.rw` text to [`ast::Module`], with every syntax error reported.
//!
//! First phase of the pipeline. The pest grammar (`grammar/rw.pest`) parses one
//! top-level item at a time; after a syntax error the parser skips to the next
//! line that starts an item at the same or a lower indentation and goes on, so
//! one mistake does not hide the rest of the file. Parsing never panics: it
//! returns the items it could parse and a diagnostic per error.

pub mod ast;
mod build;
mod errors;
pub mod format;
pub mod lexer;

use crate::diagnostic::{Diagnostic, code};
use crate::source::{FileId, Span};
use ast::Module;
use pest::Parser;

#[derive(pest_derive::Parser)]
#[grammar = "../grammar/rw.pest"]
pub(crate) struct RwParser;

/// Brackets may nest this deep; deeper input is rejected before parsing.
pub const MAX_NESTING: usize = 128;
/// A file may hold this many tokens.
pub const MAX_TOKENS: usize = 200_000;
/// Expressions and formulas may nest this deep (operators, calls, members).
pub const MAX_DEPTH: usize = 1_000;
/// Syntax errors reported per file before the parser stops: past a few
/// hundred, more are noise, and each costs time linear in the rest of the
/// file.
pub const MAX_SYNTAX_ERRORS: usize = 100;

/// Parses one file. The module holds every item that parsed cleanly.
pub fn parse(file: FileId, text: &str) -> (Module, Vec<Diagnostic>) {
    pest::set_error_detail(true);
    let mut diagnostics = Vec::new();
    let mut module = Module { file, items: Vec::new(), unparsed_names: Vec::new() };
    if let Some(limit_error) = check_limits(file, text) {
        diagnostics.push(limit_error);
        return (module, diagnostics);
    }
    let mut pos = 0;
    loop {
        pos = skip_trivia(text, pos);
        if pos >= text.len() {
            break;
        }
        let rest = &text[pos..];
        match RwParser::parse(Rule::toplevel, rest) {
            Ok(mut pairs) => {
                let Some(pair) = pairs.next() else { break };
                let end = pair.as_span().end();
                let builder = build::Builder::new(file, pos);
                if let Some(item) = builder.item(pair) {
                    let depth = item.depth();
                    if depth > MAX_DEPTH {
                        diagnostics.push(
                            Diagnostic::error(
                                code::TOO_DEEP,
                                format!("this item nests {depth} levels deep; the limit is {MAX_DEPTH}"),
                            )
                            .primary(
                                Span::new(
                                    file,
                                    item.span.start as usize,
                                    item.span.start as usize + first_line_len(&text[item.span.range()]),
                                ),
                                "too deeply nested",
                            )
                            .help("split the expression into named `let` values"),
                        );
                        module.unparsed_names.extend(declared_names(&text[item.span.range()]));
                    } else {
                        module.items.push(item);
                    }
                }
                diagnostics.extend(builder.into_diagnostics());
                if end == 0 {
                    break; // cannot happen for a non-empty item; never loop forever
                }
                pos += end;
            }
            Err(error) => {
                let (diagnostic, error_pos) = errors::syntax_error(file, text, pos, &error);
                diagnostics.push(diagnostic);
                if diagnostics.iter().filter(|d| d.code == code::SYNTAX).count() >= MAX_SYNTAX_ERRORS {
                    let end = first_line_len(&text[error_pos.min(text.len())..]);
                    diagnostics.push(
                        Diagnostic::error(
                            code::SYNTAX,
                            format!(
                                "stopped after {MAX_SYNTAX_ERRORS} syntax errors; the rest of the file is not checked"
                            ),
                        )
                        .primary(
                            Span::new(file, error_pos.min(text.len()), error_pos.min(text.len()) + end),
                            "the last error",
                        )
                        .help("fix the errors above and check again"),
                    );
                    break;
                }
                let resume = errors::resume_position(text, pos, error_pos);
                module.unparsed_names.extend(declared_names(&text[pos..resume]));
                pos = resume;
            }
        }
    }
    (module, diagnostics)
}

/// The names an item probably declares, read from its text without parsing:
/// `machine task {` declares `task`, `props a, b` declares `a` and `b`.
fn declared_names(item_text: &str) -> Vec<String> {
    let is_name_char = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut words = item_text.split(|c: char| !is_name_char(c)).filter(|w| !w.is_empty());
    match words.next() {
        Some("props") => {
            let line = item_text.lines().next().unwrap_or("");
            line.trim_start()
                .trim_start_matches("props")
                .split(',')
                .map(|w| w.trim().to_string())
                .filter(|w| !w.is_empty() && w.chars().all(is_name_char))
                .collect()
        }
        Some("machine" | "let" | "ltlf" | "ltl" | "const" | "param" | "input" | "fn" | "criteria") => {
            words.next().map(|w| vec![w.to_string()]).unwrap_or_default()
        }
        _ => Vec::new(),
    }
}

fn first_line_len(text: &str) -> usize {
    text.find('\n').unwrap_or(text.len())
}

/// Skips whitespace and `//` comments.
fn skip_trivia(text: &str, mut pos: usize) -> usize {
    let bytes = text.as_bytes();
    while pos < bytes.len() {
        match bytes[pos] {
            b' ' | b'\t' | b'\r' | b'\n' => pos += 1,
            b'/' if bytes.get(pos + 1) == Some(&b'/') => {
                while pos < bytes.len() && bytes[pos] != b'\n' {
                    pos += 1;
                }
            }
            _ => break,
        }
    }
    pos
}

/// Calls `f` with the offset and value of every byte of `text[from..to]`
/// that is code: comments are skipped, and a string literal is reported once,
/// as its opening quote.
pub(crate) fn for_each_code_byte(text: &str, from: usize, to: usize, mut f: impl FnMut(usize, u8)) {
    let bytes = text.as_bytes();
    let end = to.min(bytes.len());
    let mut i = from;
    while i < end {
        match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < end && bytes[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'"' => {
                f(i, b'"');
                i += 1;
                while i < end && bytes[i] != b'"' && bytes[i] != b'\n' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b => f(i, b),
        }
        i += 1;
    }
}

/// Rejects input whose nesting or size would make the parser's work unbounded.
fn check_limits(file: FileId, text: &str) -> Option<Diagnostic> {
    let (mut depth, mut tokens, mut in_word) = (0usize, 0usize, false);
    let mut too_deep = None;
    for_each_code_byte(text, 0, text.len(), |i, b| {
        let word = b.is_ascii_alphanumeric() || b == b'_' || b == b'.';
        if (!word || !in_word) && !b.is_ascii_whitespace() {
            tokens += 1;
        }
        in_word = word;
        match b {
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING && too_deep.is_none() {
                    too_deep = Some(i);
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    });
    if let Some(i) = too_deep {
        return Some(
            Diagnostic::error(code::TOO_DEEP, format!("brackets nest deeper than {MAX_NESTING} levels"))
                .primary(Span::new(file, i, i + 1), "this bracket is too deep")
                .help("split the expression into named `let` values"),
        );
    }
    if tokens > MAX_TOKENS {
        return Some(
            Diagnostic::error(code::TOO_DEEP, format!("the file has {tokens} tokens; the limit is {MAX_TOKENS}"))
                .primary(Span::new(file, 0, 0), "file too large")
                .help("split the spec into modules imported with `use`"),
        );
    }
    None
}

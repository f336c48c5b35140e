//! The canonical layout of `.rw` text (`rwc fmt`, and the language server's
//! document formatting).
//!
//! Beside the parser, like the [`lexer`](super::lexer) it works on: the
//! formatter re-spaces the lossless token stream, and reads the parsed
//! [`ast::Module`] only for the facts tokens cannot tell — where items and
//! machine statements start, which `{` opens a block, where formulas are.
//!
//! The layout:
//! - every top-level item starts a line at column 0; inside a multi-line
//!   `machine` or `criteria` block every statement starts a line, indented by
//!   two spaces;
//! - a line the author broke inside an item is a continuation: inside an open
//!   bracket it lines up after the bracket (or two spaces deeper than the
//!   bracket's line when the bracket ends its line), elsewhere it is indented
//!   two spaces deeper than the statement it continues;
//! - spaces between tokens are fixed: one around binary operators, none
//!   inside brackets, before `,` or after a prefix `-` or `!`, none around
//!   `.`, `::` and ranges (`0..=1`);
//! - runs of one-line machine edges align their `when` and `reward` columns,
//!   and runs of criteria items their `weight` column;
//! - comments stay where they are (trailing comments one space after the
//!   code); at most one blank line is kept, none at the start of a block or
//!   the file; the file ends with one newline.
//!
//! Line breaks inside an expression stay the author's choice: the formatter
//! never wraps. It changes only whitespace, so the program means the same;
//! [`format`] checks that by lexing its output again, and formats only text
//! that parses.

use super::ast::{self, ItemKind};
use super::lexer::{self, TokenKind};
use crate::diagnostic::{Diagnostic, code};
use crate::source::{FileId, Span};
use std::collections::{HashMap, HashSet};

/// `text` in the canonical layout, or the syntax errors that keep it from
/// being formatted (a file that does not parse is left alone).
pub fn format(text: &str) -> Result<String, Vec<Diagnostic>> {
    let text = crate::source::normalize_line_ends(text.to_string());
    let (module, diagnostics) = super::parse(FileId(0), &text);
    let errors: Vec<Diagnostic> = diagnostics.into_iter().filter(Diagnostic::is_error).collect();
    if !errors.is_empty() {
        return Err(errors);
    }
    let formatted = Formatter::new(&text, &module).run();
    // Whitespace is all the formatter may change: anything else is a bug,
    // and the input is returned untouched rather than changed in meaning.
    if significant(&formatted) != significant(&text) {
        return Err(vec![
            Diagnostic::error(code::SYNTAX, "the formatter would change this file's tokens; it was left unchanged")
                .primary(Span::new(FileId(0), 0, 0), "not formatted")
                .help("this is a bug in `rwc fmt`; please report it with the file"),
        ]);
    }
    Ok(formatted)
}

/// The tokens that carry meaning (comments too, without trailing blanks).
fn significant(text: &str) -> Vec<(TokenKind, &str)> {
    lexer::lex(text)
        .into_iter()
        .filter(|t| t.kind != TokenKind::Whitespace)
        .map(|t| (t.kind, text[t.span].trim_end()))
        .collect()
}

/// A token of the output, with what the layout needs to know about it.
struct Tok<'a> {
    kind: TokenKind,
    text: &'a str,
    start: usize,
    /// Newlines between the previous token and this one in the input.
    newlines_before: usize,
}

/// Which column a token aligns with in its run of lines.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Align {
    When,
    Reward,
    CriteriaTail,
}

/// Facts from the syntax tree, by byte offset.
#[derive(Default)]
struct Facts {
    /// First token of each top-level item.
    item_starts: HashSet<usize>,
    /// Byte ranges of the items.
    items: Vec<(std::ops::Range<usize>, ItemClass)>,
    /// First token of each statement of a machine or criteria block.
    statement_starts: HashSet<usize>,
    /// `{` tokens that open a machine or criteria block.
    blocks: HashSet<usize>,
    /// Byte ranges of formulas (`F (`, `G (` keep their space there).
    formulas: Vec<std::ops::Range<usize>>,
    /// Tokens to align, and the edge or item each belongs to (its start).
    align: HashMap<usize, (Align, usize)>,
    /// Machine edges and criteria items that fit on one line: start → end.
    one_liners: HashMap<usize, usize>,
}

struct Line<'a> {
    indent: usize,
    blank_before: bool,
    /// Tokens with the spaces before each (the first's is unused).
    pieces: Vec<(usize, &'a Tok<'a>)>,
}

struct Formatter<'a> {
    text: &'a str,
    tokens: Vec<Tok<'a>>,
    facts: Facts,
}

/// Names that open a formula operand: a `(` after them is a formula's
/// parenthesis, not a call.
fn temporal_operator(name: &str) -> bool {
    matches!(name, "X" | "WX" | "F" | "G" | "U" | "R" | "W")
}

/// The kinds of item whose contextual keywords precede an expression.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ItemClass {
    Machine,
    Done,
    Range,
    Shape,
    Criteria,
    Constraint,
    Other,
}

/// Whether `name` is, in an item of this class, a keyword after which an
/// expression begins (so `-` is a sign and `(` a parenthesis). Keywords are
/// contextual: `reward - 1` outside a machine subtracts from a `let reward`.
fn expression_keyword(name: &str, class: ItemClass) -> bool {
    match name {
        "if" | "then" | "else" => true,
        "when" => matches!(class, ItemClass::Machine | ItemClass::Done),
        "reward" => class == ItemClass::Machine,
        "in" => class == ItemClass::Range,
        "gamma" => class == ItemClass::Shape,
        "weight" => class == ItemClass::Criteria,
        "episode" => class == ItemClass::Constraint,
        _ => false,
    }
}

impl<'a> Formatter<'a> {
    fn new(text: &'a str, module: &ast::Module) -> Formatter<'a> {
        let mut tokens = Vec::new();
        let mut newlines = 0;
        for t in lexer::lex(text) {
            if t.kind == TokenKind::Whitespace {
                newlines += text[t.span].matches('\n').count();
                continue;
            }
            tokens.push(Tok {
                kind: t.kind,
                text: text[t.span.clone()].trim_end(),
                start: t.span.start,
                newlines_before: newlines,
            });
            newlines = 0;
        }
        let mut formatter = Formatter { text, tokens, facts: Facts::default() };
        formatter.read_facts(module);
        formatter
    }

    /// Index of the token that starts at `offset`.
    fn token_at(&self, offset: usize) -> Option<usize> {
        self.tokens.binary_search_by_key(&offset, |t| t.start).ok()
    }

    /// The token before the one starting at `offset`, comments skipped.
    fn token_before(&self, offset: usize) -> Option<&Tok<'a>> {
        let i = self.token_at(offset)?;
        self.tokens[..i].iter().rev().find(|t| t.kind != TokenKind::Comment)
    }

    fn one_line(&self, start: usize, end: usize) -> bool {
        !self.text[start..end.min(self.text.len())].contains('\n')
    }

    fn read_facts(&mut self, module: &ast::Module) {
        let mut facts = Facts::default();
        for item in &module.items {
            let (start, end) = (item.span.start as usize, item.span.end as usize);
            facts.item_starts.insert(start);
            let class = match &item.kind {
                ItemKind::Machine(_) => ItemClass::Machine,
                ItemKind::Done(_) => ItemClass::Done,
                ItemKind::Input(_) | ItemKind::Param(_) => ItemClass::Range,
                ItemKind::Shape(_) => ItemClass::Shape,
                ItemKind::Criteria(_) => ItemClass::Criteria,
                ItemKind::Constraint(_) => ItemClass::Constraint,
                _ => ItemClass::Other,
            };
            facts.items.push((start..end, class));
            let block = || self.tokens.iter().find(|t| t.start > start && t.kind == TokenKind::LBrace).map(|t| t.start);
            match &item.kind {
                ItemKind::Machine(m) => {
                    facts.blocks.extend(block());
                    for edge in &m.edges {
                        let edge_start = edge.from.as_ref().map_or(edge.from_span.start, |f| f.span.start) as usize;
                        let edge_start = edge_start.min(edge.from_span.start as usize);
                        facts.statement_starts.insert(edge_start);
                        if self.one_line(edge_start, edge.span.end as usize) {
                            facts.one_liners.insert(edge_start, edge.span.end as usize);
                        }
                        if let Some(when) = self.token_before(edge.guard.span.start as usize) {
                            facts.align.insert(when.start, (Align::When, edge_start));
                        }
                        if let Some(reward) = &edge.reward
                            && let Some(keyword) = self.token_before(reward.span.start as usize)
                        {
                            facts.align.insert(keyword.start, (Align::Reward, edge_start));
                        }
                    }
                    let listed = m.start.iter().chain(m.states.iter().flatten()).chain(&m.terminal);
                    for ident in listed {
                        if let Some(keyword) = self.token_before(ident.span.start as usize)
                            && matches!(keyword.text, "start" | "states" | "terminal")
                            && keyword.kind == TokenKind::Name
                        {
                            facts.statement_starts.insert(keyword.start);
                        }
                    }
                }
                ItemKind::Criteria(c) => {
                    facts.blocks.extend(block());
                    for entry in &c.items {
                        let entry_start = entry.input.span.start as usize;
                        facts.statement_starts.insert(entry_start);
                        let Some(i) = self.token_at(entry_start) else { continue };
                        // The item's last token is the one before the next `,` or `}`.
                        let separator = self.tokens[i..]
                            .iter()
                            .position(|t| matches!(t.kind, TokenKind::Comma | TokenKind::RBrace))
                            .map_or(self.tokens.len(), |k| i + k);
                        let end = self.tokens[..separator]
                            .iter()
                            .rev()
                            .find(|t| t.kind != TokenKind::Comment)
                            .map_or(end, |t| t.start + t.text.len());
                        if self.one_line(entry_start, end) {
                            facts.one_liners.insert(entry_start, end);
                        }
                        if let Some(next) = self.tokens.get(i + 1)
                            && (next.kind == TokenKind::Str || next.text == "weight")
                        {
                            facts.align.insert(next.start, (Align::CriteriaTail, entry_start));
                        }
                    }
                }
                ItemKind::Formula(f) => facts.formulas.push(f.formula.span.range()),
                _ => {}
            }
        }
        self.facts = facts;
    }

    fn in_formula(&self, offset: usize) -> bool {
        self.facts.formulas.iter().any(|r| r.contains(&offset))
    }

    fn inside_item(&self, offset: usize) -> bool {
        self.facts.items.iter().any(|(r, _)| r.start < offset && offset < r.end)
    }

    /// Whether the name token `t` is a keyword that an expression follows.
    fn expression_keyword(&self, t: &Tok<'_>) -> bool {
        let class = self.facts.items.iter().find(|(r, _)| r.contains(&t.start)).map_or(ItemClass::Other, |(_, c)| *c);
        expression_keyword(t.text, class)
    }

    /// Whether a line break goes before token `i` although the input has
    /// none: before items and before the statements of multi-line blocks.
    fn forced_break(&self, i: usize, multiline_blocks: &[bool]) -> bool {
        let t = &self.tokens[i];
        if i == 0 || t.kind == TokenKind::Comment {
            return false;
        }
        if self.facts.item_starts.contains(&t.start) {
            return true;
        }
        let in_multiline_block = multiline_blocks.last().copied().unwrap_or(false);
        if in_multiline_block && (self.facts.statement_starts.contains(&t.start) || t.kind == TokenKind::RBrace) {
            return true;
        }
        // After the `{` of a multi-line block.
        let prev = &self.tokens[i - 1];
        prev.kind == TokenKind::LBrace && self.facts.blocks.contains(&prev.start) && in_multiline_block
    }

    fn run(&self) -> String {
        // Open brackets: (is a block, indent of its line, column inside it if
        // the bracket does not end its line).
        struct Open {
            block: bool,
            multiline: bool,
            line_indent: usize,
            column: Option<usize>,
        }
        let mut open: Vec<Open> = Vec::new();
        let mut lines: Vec<Line<'_>> = Vec::new();
        // Unmatched `?` per bracket depth, for the spacing of `:`.
        let mut questions: Vec<usize> = vec![0];
        for (i, tok) in self.tokens.iter().enumerate() {
            let multiline: Vec<bool> = open.iter().filter(|o| o.block).map(|o| o.multiline).collect();
            let new_line = lines.is_empty() || tok.newlines_before > 0 || self.forced_break(i, &multiline);
            if new_line {
                let blank_before = tok.newlines_before > 1
                    && !lines.is_empty()
                    && !matches!(self.tokens.get(i.wrapping_sub(1)).map(|t| t.kind), Some(TokenKind::LBrace))
                    && tok.kind != TokenKind::RBrace;
                let indent =
                    self.indent(i, &open.iter().map(|o| (o.block, o.line_indent, o.column)).collect::<Vec<_>>());
                lines.push(Line { indent, blank_before, pieces: Vec::new() });
            }
            let Some(line) = lines.last_mut() else { continue };
            let space = if line.pieces.is_empty() { 0 } else { self.space(i, questions.last().copied().unwrap_or(0)) };
            line.pieces.push((space, tok));
            match tok.kind {
                TokenKind::LParen | TokenKind::LBracket | TokenKind::LBrace => {
                    let block = tok.kind == TokenKind::LBrace && self.facts.blocks.contains(&tok.start);
                    let ends_line =
                        self.tokens.get(i + 1).is_none_or(|n| n.newlines_before > 0 || n.kind == TokenKind::Comment);
                    let column = if ends_line || block {
                        None
                    } else {
                        Some(
                            line.indent
                                + line
                                    .pieces
                                    .iter()
                                    .enumerate()
                                    .map(|(k, (s, t))| if k == 0 { 0 } else { *s } + t.text.chars().count())
                                    .sum::<usize>(),
                        )
                    };
                    let multiline = block && self.block_is_multiline(i);
                    open.push(Open { block, multiline, line_indent: line.indent, column });
                    questions.push(0);
                }
                TokenKind::RParen | TokenKind::RBracket | TokenKind::RBrace => {
                    open.pop();
                    if questions.len() > 1 {
                        questions.pop();
                    }
                }
                TokenKind::Question => *questions.last_mut().unwrap_or(&mut 0) += 1,
                TokenKind::Colon => {
                    if let Some(q) = questions.last_mut() {
                        *q = q.saturating_sub(1);
                    }
                }
                _ => {}
            }
        }
        self.align(&mut lines);
        let mut out = String::with_capacity(self.text.len());
        for line in &lines {
            if line.blank_before {
                out.push('\n');
            }
            if !line.pieces.is_empty() {
                out.extend(std::iter::repeat_n(' ', line.indent));
            }
            for (k, (space, tok)) in line.pieces.iter().enumerate() {
                if k > 0 {
                    out.extend(std::iter::repeat_n(' ', *space));
                }
                out.push_str(tok.text);
            }
            out.push('\n');
        }
        out
    }

    /// Whether the block opened by token `i` spans lines in the input.
    fn block_is_multiline(&self, i: usize) -> bool {
        let mut depth = 0usize;
        for t in &self.tokens[i..] {
            match t.kind {
                TokenKind::LParen | TokenKind::LBracket | TokenKind::LBrace => depth += 1,
                TokenKind::RParen | TokenKind::RBracket | TokenKind::RBrace => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return t.newlines_before > 0 || self.text[self.tokens[i].start..t.start].contains('\n');
                    }
                }
                _ => {}
            }
        }
        false
    }

    /// The indentation of a line that starts with token `i`, given the open
    /// brackets (block, indent of the opener's line, column after it).
    fn indent(&self, i: usize, open: &[(bool, usize, Option<usize>)]) -> usize {
        let tok = &self.tokens[i];
        let closes = matches!(tok.kind, TokenKind::RParen | TokenKind::RBracket | TokenKind::RBrace);
        // A comment line takes the place of the code line after it.
        let code = if tok.kind == TokenKind::Comment {
            self.tokens[i..].iter().find(|t| t.kind != TokenKind::Comment)
        } else {
            Some(tok)
        };
        let statement = code.is_some_and(|c| {
            self.facts.item_starts.contains(&c.start) || self.facts.statement_starts.contains(&c.start)
        });
        match open.last() {
            None if tok.kind == TokenKind::Comment => {
                if self.inside_item(tok.start) && !statement {
                    2
                } else {
                    0
                }
            }
            None => {
                if statement || !self.inside_item(tok.start) {
                    0
                } else {
                    2
                }
            }
            Some(&(_, line_indent, _)) if closes => line_indent,
            Some(&(true, line_indent, _)) => {
                let closer_next = code.is_some_and(|c| c.kind == TokenKind::RBrace);
                if statement || closer_next { line_indent + 2 } else { line_indent + 4 }
            }
            Some(&(false, _, Some(column))) => column,
            Some(&(false, line_indent, None)) => line_indent + 2,
        }
    }

    /// Spaces between token `i` and the token before it on the same line.
    fn space(&self, i: usize, open_questions: usize) -> usize {
        use TokenKind::*;
        let (prev, next) = (&self.tokens[i - 1], &self.tokens[i]);
        if next.kind == Comment {
            return 1;
        }
        let no_space = match (prev.kind, next.kind) {
            (ColonColon, _) | (_, ColonColon) => true,
            (LBrace, RBrace) => true,
            // A `use` group: `use std::length::{laser, overlong}`.
            (LBrace, _) => self.tokens.get(i.wrapping_sub(2)).is_some_and(|t| t.kind == ColonColon),
            (_, RBrace) => self.use_group_closer(i),
            (_, LBrace) => false,
            (_, Comma | RParen | RBracket) | (LParen | LBracket, _) => true,
            (Dot | DotDot | DotDotEq, _) | (_, Dot | DotDot | DotDotEq) => true,
            (_, Colon) => open_questions == 0,
            (Bang, _) => true,
            (Minus, _) => self.is_prefix(i - 1),
            (Name, LParen) => {
                let member = i >= 2 && self.tokens[i - 2].kind == Dot;
                member
                    || !(self.expression_keyword(prev) || (temporal_operator(prev.text) && self.in_formula(prev.start)))
            }
            (Name | RParen | RBracket, LBracket) => true,
            _ => false,
        };
        usize::from(!no_space)
    }

    /// Whether the `}` at token `i` closes a `use` group.
    fn use_group_closer(&self, i: usize) -> bool {
        let opener = self.tokens[..i].iter().rposition(|t| t.kind == TokenKind::LBrace);
        opener.is_some_and(|o| o >= 1 && self.tokens[o - 1].kind == TokenKind::ColonColon)
    }

    /// Whether the `-` at token `i` is a sign rather than a subtraction.
    fn is_prefix(&self, i: usize) -> bool {
        use TokenKind::*;
        let Some(before) = self.tokens[..i].iter().rev().find(|t| t.kind != Comment) else { return true };
        let member = self.tokens[..i].iter().rev().filter(|t| t.kind != Comment).nth(1).is_some_and(|t| t.kind == Dot);
        match before.kind {
            Name if member => false,
            Name => {
                self.expression_keyword(before) || (temporal_operator(before.text) && self.in_formula(before.start))
            }
            Int | Float | Str | RParen | RBracket | RBrace => false,
            _ => true,
        }
    }

    /// Aligns the `when` and `reward` columns of runs of one-line edges, and
    /// the column after the name in runs of one-line criteria items.
    fn align(&self, lines: &mut [Line<'_>]) {
        for kind in [Align::When, Align::Reward, Align::CriteriaTail] {
            let mut run: Vec<(usize, usize)> = Vec::new(); // (line, piece)
            let mut previous_line: Option<usize> = None;
            let flush = |run: &mut Vec<(usize, usize)>, lines: &mut [Line<'_>]| {
                let width = |line: &Line<'_>, piece: usize| -> usize {
                    line.pieces[..piece]
                        .iter()
                        .enumerate()
                        .map(|(k, (s, t))| if k == 0 { 0 } else { *s } + t.text.chars().count())
                        .sum()
                };
                let widest = run.iter().map(|&(l, p)| width(&lines[l], p)).max().unwrap_or(0);
                for &(l, p) in run.iter() {
                    let pad = widest - width(&lines[l], p);
                    lines[l].pieces[p].0 = 1 + pad;
                }
                run.clear();
            };
            for l in 0..lines.len() {
                let line = &lines[l];
                let Some(first) = line.pieces.first() else { continue };
                let statement = first.1.start;
                let one_liner = self.facts.one_liners.contains_key(&statement) && !line.blank_before;
                let piece =
                    line.pieces.iter().position(|(_, t)| self.facts.align.get(&t.start) == Some(&(kind, statement)));
                let continues = previous_line == Some(l.wrapping_sub(1)) && one_liner;
                if !continues && !run.is_empty() {
                    flush(&mut run, lines);
                }
                if one_liner {
                    previous_line = Some(l);
                    if let Some(p) = piece {
                        run.push((l, p));
                    }
                } else {
                    previous_line = None;
                }
            }
            flush(&mut run, lines);
        }
        // Trailing comments of consecutive lines start in one column, two
        // spaces after the longest code.
        let trailing = |line: &Line<'_>| {
            line.pieces.len() > 1 && line.pieces.last().is_some_and(|(_, t)| t.kind == TokenKind::Comment)
        };
        let code_width = |line: &Line<'_>| -> usize {
            line.indent
                + line.pieces[..line.pieces.len() - 1]
                    .iter()
                    .enumerate()
                    .map(|(k, (s, t))| if k == 0 { 0 } else { *s } + t.text.chars().count())
                    .sum::<usize>()
        };
        let mut l = 0;
        while l < lines.len() {
            if !trailing(&lines[l]) {
                l += 1;
                continue;
            }
            let mut end = l + 1;
            while end < lines.len() && trailing(&lines[end]) && !lines[end].blank_before {
                end += 1;
            }
            let column = lines[l..end].iter().map(code_width).max().unwrap_or(0) + 2;
            for line in &mut lines[l..end] {
                let pad = column - code_width(line);
                if let Some(last) = line.pieces.last_mut() {
                    last.0 = pad;
                }
            }
            l = end;
        }
    }
}

//! Syntax errors in users' words, and where parsing resumes after one.
//!
//! pest reports the rules and literal tokens it tried at the furthest
//! position; this module turns them into "expected `=` or an operator" rather
//! than rule names, detects unclosed brackets (primary label on the opening
//! bracket) and picks the line where the item loop resumes.

use super::Rule;
use crate::diagnostic::{Diagnostic, code};
use crate::source::{FileId, Span};
use pest::error::{Error, ErrorVariant, InputLocation};

use super::lexer::ITEM_KEYWORDS;

const OPERATORS: &[&str] =
    &["+", "-", "*", "/", "==", "!=", "<", "<=", ">", ">=", "&", "&&", "|", "||", "->", "<->", "?", "U", "R", "W"];

/// Builds the diagnostic for a failed item parse that started at `item_pos`.
/// Returns it with the absolute byte offset where parsing stopped.
pub(super) fn syntax_error(file: FileId, text: &str, item_pos: usize, error: &Error<Rule>) -> (Diagnostic, usize) {
    let relative = match error.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    // With error detail on, pest may locate the error at the rule's start
    // while its parse attempts know the furthest position reached.
    let furthest = error.parse_attempts().map_or(0, |a| a.max_position);
    let error_pos = (item_pos + relative.max(furthest)).min(text.len());
    let expected = expected_description(error);
    let found = found_description(text, error_pos);
    let stop = token_span(file, text, error_pos);

    let resume = resume_position(text, item_pos, error_pos);
    if let Some(open) = unclosed_bracket(text, item_pos, resume) {
        let bracket = &text[open..open + 1];
        let closer = match bracket {
            "(" => ")",
            "[" => "]",
            _ => "}",
        };
        let line_start = |p: usize| text[..p].rfind('\n').map_or(0, |i| i + 1);
        // When the parser ran into the next item, say so: that is where the
        // bracket should have been closed.
        let (stop_span, stop_label) = if resume < text.len() && line_start(resume) == line_start(error_pos) {
            let next = token_span(file, text, resume);
            (next, format!("`{}` starts the next item, so `{bracket}` must be closed before it", &text[next.range()]))
        } else {
            (stop, format!("parsing stopped here: {found}"))
        };
        let diagnostic = Diagnostic::error(code::UNCLOSED, format!("unclosed `{bracket}`"))
            .primary(Span::new(file, open, open + 1), format!("this `{bracket}` is never closed"))
            .secondary(stop_span, stop_label)
            .help(format!("add the missing `{closer}`"));
        return (diagnostic, error_pos);
    }

    let message = match &expected {
        Some(e) => format!("expected {e}, found {found}"),
        None => format!("unexpected {found}"),
    };
    let mut diagnostic = Diagnostic::error(code::SYNTAX, message).primary(
        stop,
        match &expected {
            Some(e) => format!("expected {e}"),
            None => "unexpected here".to_string(),
        },
    );
    if let Some(help) = hint(text, error_pos) {
        diagnostic = diagnostic.help(help);
    }
    (diagnostic, error_pos)
}

/// Common slips with a known fix.
fn hint(text: &str, pos: usize) -> Option<String> {
    let rest = &text[pos..];
    let before = text[..pos].trim_end();
    // Keywords are contextual, so an unfinished item swallows the keyword that
    // starts the next line as a name; the error then shows up one token later.
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let previous_line = before[line_start..].trim_start();
    if let Some(keyword) =
        ITEM_KEYWORDS.iter().find(|k| previous_line == **k || previous_line.starts_with(&format!("{k} ")))
        && line_start > 0
        && previous_line.split_whitespace().count() == 1
    {
        return Some(format!(
            "`{keyword}` starts a new item on this line, so the item before it may be unfinished (an operator or value missing at the end of the previous line)"
        ));
    }
    // A line that ends in a binary operator continues onto the next line,
    // which then fails to parse as the next statement.
    let error_line_start = text[..pos].rfind('\n').map_or(0, |i| i + 1);
    if error_line_start > 0 {
        let previous = text[..error_line_start - 1].lines().next_back().unwrap_or("");
        let code = previous.split("//").next().unwrap_or("").trim_end();
        if let Some(op) = ["&&", "||", "<->", "->", "&", "|", "+", "-", "*", "/"].iter().find(|op| code.ends_with(**op))
            && !code.trim_start().starts_with("//")
            && !code.ends_with(" -> ")
        {
            return Some(format!(
                "the line above ends with `{op}`, so its expression continues onto this line: complete it or remove the `{op}`"
            ));
        }
    }
    if rest.starts_with(';') {
        return Some("items end at the next item: remove the `;`".to_string());
    }
    if let Some(help) = slip(text, pos) {
        return Some(help);
    }
    if rest.starts_with('=') && !rest.starts_with("==") && before.ends_with("reward") {
        return Some("an edge pays with `reward EXPR` (no `=`), for example `u0 -> u1 when a reward 1`".to_string());
    }
    if rest.starts_with("if") && before.ends_with("when") {
        return Some("a guard is a condition such as `a & !b`; use `if` inside reward expressions".to_string());
    }
    None
}

/// What people coming from Python and other languages type, with rw's way.
fn slip(text: &str, pos: usize) -> Option<String> {
    let rest = &text[pos..];
    let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
    let here = &rest[..end];
    // The word just before the error.
    let before = text[..pos].trim_end();
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let start = before.char_indices().rev().find(|&(_, c)| !word(c)).map_or(0, |(i, c)| i + c.len_utf8());
    let previous = &before[start..];
    let help = match here {
        "and" => "rw writes `and` as `&`: `a & b`",
        "or" => "rw writes `or` as `|`: `a | b`",
        "elif" => "rw writes `elif` as `else if`: `if a then 1.0 else if b then 0.5 else 0.0`",
        "if" if !before.ends_with("then") && !before.ends_with("else") && !before.ends_with('=') => {
            "a conditional value is `if c then a else b` (Python's `a if c else b` reads the other way round)"
        }
        _ if previous == "not" => "rw writes `not x` as `!x`",
        _ if rest.starts_with('=') && !rest.starts_with("==") && !rest.starts_with("=>") => {
            "compare with `==`; a single `=` defines (`let x = ...`, `reward = ...`)"
        }
        _ if rest.starts_with('*') && before.ends_with('*') => {
            "rw has no power operator: write `x * x`, or `exp(k * log(x))` for a positive `x`"
        }
        _ => {
            // A keyword misspelt: `terminals` for `terminal`.
            const KEYWORDS: &[&str] = &[
                "start",
                "terminal",
                "states",
                "priority",
                "strict",
                "when",
                "reward",
                "then",
                "else",
                "gamma",
                "potential",
                "term",
                "weight",
                "lagrange",
            ];
            let candidates = ITEM_KEYWORDS.iter().chain(KEYWORDS).copied();
            for word in [previous, here] {
                if word.len() > 2
                    && !ITEM_KEYWORDS.contains(&word)
                    && !KEYWORDS.contains(&word)
                    && let Some(keyword) = crate::sema::suggest::closest(word, candidates.clone())
                {
                    return Some(format!("did you mean the keyword `{keyword}` instead of `{word}`?"));
                }
            }
            return None;
        }
    };
    Some(help.to_string())
}

/// The byte offset where the item loop should continue: the first line after
/// `item_pos`'s line, at or after the error's line, whose first token is an
/// item keyword at an indentation no deeper than the failed item's.
pub(super) fn resume_position(text: &str, item_pos: usize, error_pos: usize) -> usize {
    let item_line_start = text[..item_pos].rfind('\n').map_or(0, |i| i + 1);
    let item_indent = item_pos - item_line_start;
    let error_line_start = text[..error_pos.min(text.len())].rfind('\n').map_or(0, |i| i + 1);
    let mut line_start = error_line_start.max(item_line_start);
    loop {
        if line_start > item_pos {
            let line = &text[line_start..];
            let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
            let word: String = line[indent..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            if indent <= item_indent && ITEM_KEYWORDS.contains(&word.as_str()) {
                return line_start + indent;
            }
        }
        match text[line_start..].find('\n') {
            Some(n) => line_start += n + 1,
            None => return text.len(),
        }
    }
}

/// The first bracket opened in `text[from..to]` that is not closed there.
fn unclosed_bracket(text: &str, from: usize, to: usize) -> Option<usize> {
    let mut stack = Vec::new();
    super::for_each_code_byte(text, from, to, |i, b| match b {
        b'(' | b'[' | b'{' => stack.push(i),
        b')' | b']' | b'}' => {
            stack.pop();
        }
        _ => {}
    });
    stack.first().copied()
}

/// The span of the token at `pos` (at least one character, unless at the end).
fn token_span(file: FileId, text: &str, pos: usize) -> Span {
    let rest = &text[pos..];
    let len = match rest.chars().next() {
        None => 0,
        Some(c) if c.is_ascii_alphanumeric() || c == '_' => {
            rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.')).unwrap_or(rest.len())
        }
        Some(c) => c.len_utf8(),
    };
    Span::new(file, pos, pos + len)
}

fn found_description(text: &str, pos: usize) -> String {
    let rest = &text[pos..];
    match rest.chars().next() {
        None => "end of file".to_string(),
        Some(c) if c.is_ascii_alphanumeric() || c == '_' => {
            let end = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.')).unwrap_or(rest.len());
            format!("`{}`", &rest[..end])
        }
        Some('\n') | Some('\r') => "end of line".to_string(),
        Some(c) => format!("`{c}`"),
    }
}

/// "`=`, an operator or a new item".
fn expected_description(error: &Error<Rule>) -> Option<String> {
    let mut names: Vec<String> = Vec::new();
    let mut push = |s: String| {
        if !names.contains(&s) {
            names.push(s);
        }
    };
    let mut item_keywords = 0;
    let mut operators = 0;
    let mut operator_tokens = Vec::new();
    if let Some(attempts) = error.parse_attempts() {
        for token in attempts.expected_tokens() {
            // pest does not export its token type; its Display is the token text,
            // `a..z` for a character range and BUILTIN_RULE for built-ins.
            let token = token.to_string();
            let t = token.as_str();
            let is_char_range = t.chars().count() == 4 && t.get(1..3) == Some("..");
            if t.trim().is_empty() || t == "//" || t == "\"" || t == "\\" || t == "BUILTIN_RULE" || is_char_range {
                continue;
            }
            if ITEM_KEYWORDS.contains(&t) {
                item_keywords += 1;
            } else if OPERATORS.contains(&t) {
                operators += 1;
                operator_tokens.push(format!("`{t}`"));
            } else if t.len() == 1 && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                // a character of a name or number being continued
            } else if t == "." || t == "e" || t == "E" {
                // continuation of a number or a member access
            } else {
                push(format!("`{t}`"));
            }
        }
    }
    if let ErrorVariant::ParsingError { positives, .. } = &error.variant {
        for rule in positives {
            if let Some(d) = describe_rule(*rule) {
                push(d.to_string());
            }
        }
    }
    if operators < 3 {
        // One or two operators are specific expectations, such as the `->` of an edge.
        for t in operator_tokens {
            if !names.contains(&t) {
                names.push(t);
            }
        }
    }
    // An expression can start with any of these: name the category instead.
    const EXPRESSION_STARTS: &[&str] = &["`!`", "`(`", "`-`", "`if`", "`true`", "`false`", "`gated`"];
    if names.iter().filter(|n| EXPRESSION_STARTS.contains(&n.as_str())).count() >= 3 {
        names.retain(|n| !EXPRESSION_STARTS.contains(&n.as_str()) && n != "a name" && n != "a number");
        names.push("an expression".to_string());
    }
    if operators >= 3 {
        // `(`, `[` and `.` continue a call, index or member: part of "an operator" for users.
        names.retain(|n| n != "`(`" && n != "`[`" && n != "`.`");
        names.push("an operator".to_string());
    }
    const MACHINE_STATEMENTS: &[&str] = &["`any`", "`start`", "`states`", "`terminal`"];
    if names.iter().filter(|n| MACHINE_STATEMENTS.contains(&n.as_str())).count() >= 3 {
        names.retain(|n| !MACHINE_STATEMENTS.contains(&n.as_str()));
        names.push("an edge (`from -> to when guard`)".to_string());
    }
    if item_keywords >= 3 {
        names.retain(|n| n != "end of file");
        names.push("a new item".to_string());
    }
    let mut seen = Vec::new();
    names.retain(|n| {
        if seen.contains(n) {
            false
        } else {
            seen.push(n.clone());
            true
        }
    });
    if names.is_empty() {
        return None;
    }
    // Keep the message short: the most specific expectations come first.
    names.sort_by_key(|n| if n.starts_with('`') { 0 } else { 1 });
    names.truncate(6);
    Some(join_or(&names))
}

fn describe_rule(rule: Rule) -> Option<&'static str> {
    Some(match rule {
        Rule::ident => "a name",
        Rule::int_lit | Rule::float_lit => "a number",
        Rule::string_lit => "a string",
        Rule::expr | Rule::arith => "an expression",
        Rule::formula | Rule::f_atom => "a formula",
        Rule::type_expr => "a type",
        Rule::range_clause => "a range (`in lo..=hi`)",
        Rule::edge => "an edge (`from -> to when guard`)",
        Rule::use_path => "a module path",
        Rule::EOI => "end of file",
        _ => return None,
    })
}

fn join_or(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    }
}

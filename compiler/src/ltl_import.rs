//! Foreign LTLf syntax to rw syntax (`rwc import ltlf`).
//!
//! The tools disagree (see docs/language.md, "Other tools"): Spot and Lydia
//! read `X` as *weak* next (`X[!]` is their strong next), rw and flloat as
//! strong; flloat folds `->` chains to the left and reads a `<->` chain as
//! "all equal"; Lydia binds `U`, `R` looser than `&` and `|` and folds them
//! to the left; the lexers disagree on what `Ga` is. Each dialect has its
//! own lexer (a transcription of the tool's) and precedence table; the tree
//! is printed in rw syntax with the parentheses rw's precedence needs, so
//! the meaning is kept.

use crate::syntax::ast::FBinary as Op;
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    Flloat,
    Spot,
    Lydia,
}

#[derive(Clone, Debug, PartialEq)]
enum T {
    True,
    False,
    Last,
    Name(String),
    Not(Box<T>),
    Next(Box<T>),
    WeakNext(Box<T>),
    Eventually(Box<T>),
    Always(Box<T>),
    Bin(Op, Box<T>, Box<T>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct ImportError {
    /// Byte offset in the input.
    pub at: usize,
    pub message: String,
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at column {}: {}", self.at + 1, self.message)
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    /// A proposition, as written (without quotes).
    Prop(String),
    /// An operator or a constant (`true`, `false`, `last`, `end`).
    Op(&'static str),
    Open,
    Close,
}

/// Spot's lexer (its `scantl.ll`, as Spot 2.13 reads formulas): operator
/// letters chain without spaces (`GFa` is `G F a`, `Fab` is `F ab`), since a
/// proposition cannot start with `F`, `G` or `X` unless a digit follows;
/// after an operand a word starting with `U`, `R`, `V`, `W` or `M` is that
/// binary operator followed by the rest (`(a)Ub`); a lone `U R V W M` is the
/// operator; `true`/`false` in any case, `1`, `0`; `xor` after an operand;
/// double-quoted propositions; `/* */` comments; the ASCII spellings of
/// every operator and the common Unicode ones.
fn lex_spot(text: &str) -> Result<Vec<(usize, Tok)>, ImportError> {
    const SYMBOLS: &[(&str, &str)] = &[
        ("<-->", "<->"),
        ("<->", "<->"),
        ("<=>", "<->"),
        ("-->", "->"),
        ("->", "->"),
        ("=>", "->"),
        ("&&", "&"),
        ("||", "|"),
        ("/\\", "&"),
        ("\\/", "|"),
        ("[]", "[]"),
        ("<>", "<>"),
        ("()", "X"),
        ("&", "&"),
        ("|", "|"),
        ("+", "|"),
        ("^", "xor"),
        ("!", "!"),
        ("~", "!"),
        ("¬", "!"),
        ("∧", "&"),
        ("∨", "|"),
        ("→", "->"),
        ("⟶", "->"),
        ("⇒", "->"),
        ("↔", "<->"),
        ("⇔", "<->"),
        ("⊕", "xor"),
        ("□", "[]"),
        ("◇", "<>"),
        ("○", "X"),
    ];
    let mut out = Vec::new();
    let mut i = 0;
    // Whether an operand is expected (Spot's INITIAL start condition) or
    // one was just read (`not_prop`).
    let mut operand = true;
    let word_char = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '.';
    while i < text.len() {
        let rest = &text[i..];
        let Some(c) = rest.chars().next() else { break };
        if c.is_whitespace() {
            i += c.len_utf8();
            continue;
        }
        if rest.starts_with("/*") {
            let end = rest.find("*/").ok_or(ImportError { at: i, message: "unclosed comment".into() })?;
            i += end + 2;
            continue;
        }
        if let Some((sym, op)) = SYMBOLS.iter().find(|(s, _)| rest.starts_with(*s)) {
            out.push((i, Tok::Op(op)));
            i += sym.len();
            operand = true;
            continue;
        }
        if c == '(' || c == ')' {
            out.push((i, if c == '(' { Tok::Open } else { Tok::Close }));
            operand = c == '(';
            i += 1;
            continue;
        }
        if c == '"' {
            let mut name = String::new();
            let mut chars = rest[1..].char_indices();
            let mut end = None;
            while let Some((k, d)) = chars.next() {
                match d {
                    '"' => {
                        end = Some(k + 2);
                        break;
                    }
                    '\\' => {
                        if let Some((_, e)) = chars.next() {
                            name.push(e);
                        }
                    }
                    d => name.push(d),
                }
            }
            let end = end.ok_or(ImportError { at: i, message: "unclosed string".into() })?;
            out.push((i, Tok::Prop(name)));
            i += end;
            operand = false;
            continue;
        }
        if c.is_ascii_digit() {
            let len = rest.find(|d: char| !d.is_ascii_digit()).unwrap_or(rest.len());
            match &rest[..len] {
                "1" => out.push((i, Tok::Op("true"))),
                "0" => out.push((i, Tok::Op("false"))),
                n => {
                    return Err(ImportError {
                        at: i,
                        message: format!("`{n}` is not a proposition (Spot reads only 0 and 1 as numbers)"),
                    });
                }
            }
            i += len;
            operand = false;
            continue;
        }
        if !(c.is_ascii_alphabetic() || c == '_' || c == '.') {
            return Err(ImportError { at: i, message: format!("unexpected `{c}`") });
        }
        let len = rest.find(|d: char| !word_char(d)).unwrap_or(rest.len());
        let word = &rest[..len];
        let lower = word.to_ascii_lowercase();
        let first = word.as_bytes()[0] as char;
        let digit_follows = word.as_bytes().get(1).is_some_and(u8::is_ascii_digit);
        if lower == "true" || lower == "false" {
            out.push((i, Tok::Op(if lower == "true" { "true" } else { "false" })));
            i += len;
            operand = false;
        } else if operand && (lower.starts_with("true") || lower.starts_with("false")) {
            out.push((i, Tok::Prop(word.to_string())));
            i += len;
            operand = false;
        } else if !operand && word == "xor" {
            out.push((i, Tok::Op("xor")));
            i += len;
            operand = true;
        } else if matches!(first, 'F' | 'G' | 'X') && !(operand && digit_follows) {
            // `X[!]`, with spaces allowed before the bracket, is strong next.
            let after = text[i + 1..].trim_start();
            if first == 'X' && after.starts_with("[!]") {
                out.push((i, Tok::Op("X[!]")));
                i = text.len() - after.len() + 3;
            } else if matches!(first, 'F' | 'G' | 'X') && after.starts_with('[') && !after.starts_with("[]") {
                return Err(ImportError {
                    at: i,
                    message: format!("`{first}[...]` (repetition) is not supported: write the operators out"),
                });
            } else {
                out.push((
                    i,
                    Tok::Op(match first {
                        'F' => "F",
                        'G' => "G",
                        _ => "X",
                    }),
                ));
                i += 1;
            }
            operand = true;
        } else if matches!(first, 'U' | 'R' | 'V' | 'W' | 'M') && (!operand || len == 1) {
            out.push((
                i,
                Tok::Op(match first {
                    'U' => "U",
                    'R' | 'V' => "R",
                    'W' => "W",
                    _ => "M",
                }),
            ));
            i += 1;
            operand = true;
        } else {
            out.push((i, Tok::Prop(word.to_string())));
            i += len;
            operand = false;
        }
    }
    Ok(out)
}

/// flloat's lexer (flloat 0.3.0's `ltlf.lark` and `pl.lark`, as Lark
/// runs them): propositions are `[a-z][a-z0-9_]*`; `U`, `R`, `G`, `F`,
/// `X`, `WX` are operators only when no lowercase letter follows (`Ga` is a
/// syntax error in flloat, not `G a`); `true`, `false`, `last`, `end` in any
/// case are keywords wherever a word starts with them (so `trueish` is an
/// error there too); `!`, `&`/`&&`, `|`/`||`, `->`, `<->`.
fn lex_flloat(text: &str) -> Result<Vec<(usize, Tok)>, ImportError> {
    const SYMBOLS: &[(&str, &str)] =
        &[("<->", "<->"), ("->", "->"), ("&&", "&"), ("||", "|"), ("&", "&"), ("|", "|"), ("!", "!")];
    const KEYWORDS: &[&str] = &["true", "false", "last", "end"];
    let mut out = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        let Some(c) = rest.chars().next() else { break };
        if c.is_whitespace() {
            i += c.len_utf8();
            continue;
        }
        if c == '(' || c == ')' {
            out.push((i, if c == '(' { Tok::Open } else { Tok::Close }));
            i += 1;
            continue;
        }
        if let Some((sym, op)) = SYMBOLS.iter().find(|(s, _)| rest.starts_with(*s)) {
            out.push((i, Tok::Op(op)));
            i += sym.len();
            continue;
        }
        let lowercase_at = |k: usize| rest.as_bytes().get(k).is_some_and(u8::is_ascii_lowercase);
        if let Some(keyword) = KEYWORDS.iter().find(|k| rest.get(..k.len()).is_some_and(|w| w.eq_ignore_ascii_case(k)))
        {
            out.push((i, Tok::Op(keyword)));
            i += keyword.len();
            continue;
        }
        let operator = if rest.starts_with("WX") && !lowercase_at(2) {
            Some("WX")
        } else {
            ["U", "R", "G", "F", "X"].into_iter().find(|op| rest.starts_with(op) && !lowercase_at(1))
        };
        if let Some(op) = operator {
            out.push((i, Tok::Op(op)));
            i += op.len();
            continue;
        }
        if c.is_ascii_lowercase() {
            let len =
                rest.find(|d: char| !(d.is_ascii_lowercase() || d.is_ascii_digit() || d == '_')).unwrap_or(rest.len());
            out.push((i, Tok::Prop(rest[..len].to_string())));
            i += len;
            continue;
        }
        let word_len =
            rest.find(|d: char| !(d.is_ascii_alphanumeric() || d == '_')).unwrap_or(rest.len()).max(c.len_utf8());
        let word = &rest[..word_len];
        let message = if matches!(c, 'U' | 'R' | 'G' | 'F' | 'X') || word.starts_with("WX") {
            let op = if word.starts_with("WX") { "WX" } else { &word[..1] };
            format!(
                "flloat does not read `{word}`: an operator letter must not be followed by a lowercase letter (write `{op} {}`)",
                &word[op.len()..]
            )
        } else if c.is_ascii_alphanumeric() || c == '_' {
            format!(
                "flloat does not read `{word}`: its propositions are lowercase letters, digits and `_`, starting with a letter"
            )
        } else {
            format!(
                "unexpected `{c}` (flloat's operators are `!`, `&`, `|`, `->`, `<->`, `X`, `WX`, `F`, `G`, `U`, `R`)"
            )
        };
        return Err(ImportError { at: i, message });
    }
    Ok(out)
}

/// Lydia's lexer (its `lexer.l`; flex takes the longest match, the first
/// rule on a tie): `X[!]` strong next, `X` weak next, `U`, `R`/`V`, `F`,
/// `G`, `<->`/`<=>`, `->`/`=>`, `&`/`&&`, `|`/`||`, `!`/`~`, `tt`, `ff`,
/// `true`, `false`, `last`, `end`; propositions are `[a-z_][a-z0-9_]*` or
/// double-quoted, so an uppercase letter always starts an operator (`Ga`
/// is `G a`, `aUb` is `a U b`).
fn lex_lydia(text: &str) -> Result<Vec<(usize, Tok)>, ImportError> {
    const SYMBOLS: &[(&str, &str)] = &[
        ("X[!]", "X[!]"),
        ("<=>", "<->"),
        ("<->", "<->"),
        ("=>", "->"),
        ("->", "->"),
        ("&&", "&"),
        ("||", "|"),
        ("&", "&"),
        ("|", "|"),
        ("!", "!"),
        ("~", "!"),
        ("X", "X"),
        ("U", "U"),
        ("R", "R"),
        ("V", "R"),
        ("F", "F"),
        ("G", "G"),
    ];
    const KEYWORDS: &[(&str, &str)] =
        &[("tt", "true"), ("ff", "false"), ("true", "true"), ("false", "false"), ("last", "last"), ("end", "end")];
    let mut out = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        let Some(c) = rest.chars().next() else { break };
        if c.is_whitespace() {
            i += c.len_utf8();
            continue;
        }
        if c == '(' || c == ')' {
            out.push((i, if c == '(' { Tok::Open } else { Tok::Close }));
            i += 1;
            continue;
        }
        if let Some((sym, op)) = SYMBOLS.iter().find(|(s, _)| rest.starts_with(*s)) {
            out.push((i, Tok::Op(op)));
            i += sym.len();
            continue;
        }
        if c == '"' {
            let len = rest[1..].find(|d: char| !(d.is_ascii_alphanumeric() || d == '_')).map_or(0, |k| k + 1);
            if len > 1 && rest[len..].starts_with('"') {
                out.push((i, Tok::Prop(rest[1..len].to_string())));
                i += len + 1;
                continue;
            }
            return Err(ImportError {
                at: i,
                message: "a quoted proposition in Lydia is letters, digits and `_` between `\"`".into(),
            });
        }
        if c.is_ascii_lowercase() || c == '_' {
            let len =
                rest.find(|d: char| !(d.is_ascii_lowercase() || d.is_ascii_digit() || d == '_')).unwrap_or(rest.len());
            let word = &rest[..len];
            match KEYWORDS.iter().find(|(k, _)| *k == word) {
                Some((_, op)) => out.push((i, Tok::Op(op))),
                None => out.push((i, Tok::Prop(word.to_string()))),
            }
            i += len;
            continue;
        }
        let message = if c.is_ascii_alphanumeric() {
            format!(
                "Lydia does not read `{c}` here: its propositions are lowercase letters, digits and `_`, and its only uppercase words are the operators `X`, `F`, `G`, `U`, `R`, `V`"
            )
        } else {
            format!("unexpected `{c}`")
        };
        return Err(ImportError { at: i, message });
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<(usize, Tok)>,
    pos: usize,
    dialect: Dialect,
    end: usize,
    /// Propositions renamed to valid rw names: (as written, rw name).
    renamed: Vec<(String, String)>,
}

/// Words rw reads as operators or keywords in a formula.
const RW_RESERVED: &[&str] = &[
    "X", "WX", "F", "G", "U", "R", "W", "M", "xor", "last", "true", "false", "if", "then", "else", "any", "ltlf", "ltl",
];

/// `name` as a valid rw name for which `taken` is false: the characters rw
/// does not allow replaced by `_`, a `p_` prefix when it would start with
/// a digit or be an operator, then `_2`, `_3`, ... until it is free.
pub(crate) fn sanitized_name(name: &str, taken: impl Fn(&str) -> bool) -> String {
    let mut rw: String = name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
    if rw.is_empty() || rw.starts_with(|c: char| c.is_ascii_digit()) || RW_RESERVED.contains(&rw.as_str()) {
        rw = format!("p_{rw}");
    }
    let base = rw.clone();
    let mut k = 2;
    while taken(&rw) {
        rw = format!("{base}_{k}");
        k += 1;
    }
    rw
}

/// Binding strength of binary operators (higher binds tighter) and whether
/// they associate to the right, as each tool's grammar has it.
fn binary(dialect: Dialect, tok: &Tok) -> Option<(Bin, u8, bool)> {
    let Tok::Op(op) = tok else { return None };
    let op = match *op {
        "&" => Op::And,
        "|" => Op::Or,
        "->" => Op::Implies,
        "<->" => Op::Iff,
        "U" => Op::Until,
        "R" => Op::Release,
        "W" => Op::WeakUntil,
        // Spot's strong release and exclusive or, written out when printed.
        "M" => return Some((Bin::StrongRelease, 5, true)),
        "xor" => return Some((Bin::Xor, 3, false)),
        _ => return None,
    };
    let (level, right) = match dialect {
        // Spot (its `parsetl.yy`): -> and <-> share the lowest level,
        // right-associative; then |, xor, &, and U R W M.
        Dialect::Spot => match op {
            Op::Iff | Op::Implies => (1, true),
            Op::Or => (2, false),
            Op::And => (4, false),
            _ => (5, true),
        },
        // flloat 0.3.0 (`ltlf.lark`): <-> < -> < | < & < U < R, each a flat
        // chain: -> folds to the left, U and R to the right, and a chain of
        // <-> means "all equal" (see `Parser::all_equal`).
        Dialect::Flloat => match op {
            Op::Iff => (1, false),
            Op::Implies => (2, false),
            Op::Or => (3, false),
            Op::And => (4, false),
            Op::Until => (5, true),
            _ => (6, true),
        },
        // Lydia (`parser.yy`, bison declarations from loosest): %left <->,
        // %right ->, %left U, %left R, %left |, %left &. (Its lexer has no
        // weak until.)
        Dialect::Lydia => match op {
            Op::Iff => (1, false),
            Op::Implies => (2, true),
            Op::Until => (3, false),
            Op::Or => (5, false),
            Op::And => (6, false),
            _ => (4, false),
        },
    };
    Some((Bin::Rw(op), level, right))
}

/// A binary operator as read: one of rw's, or one that rw writes out.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Bin {
    Rw(Op),
    /// `a M b` = `b U (a & b)`.
    StrongRelease,
    /// `a xor b` = `!(a <-> b)`.
    Xor,
}

impl Parser {
    /// A proposition's rw name: itself when it is a valid rw name, else the
    /// characters rw does not allow replaced by `_` (and a `p_` prefix for
    /// a leading digit or a reserved word), distinct from other names.
    fn rw_name(&mut self, name: &str) -> String {
        if let Some((_, rw)) = self.renamed.iter().find(|(n, _)| n == name) {
            return rw.clone();
        }
        let valid = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !RW_RESERVED.contains(&name);
        if valid {
            return name.to_string();
        }
        let rw = sanitized_name(name, |r| self.renamed.iter().any(|(_, taken)| taken == r));
        self.renamed.push((name.to_string(), rw.clone()));
        rw
    }

    fn peek(&self) -> Option<&Tok> {
        self.tokens.get(self.pos).map(|(_, t)| t)
    }

    fn here(&self) -> usize {
        self.tokens.get(self.pos).map_or(self.end, |(at, _)| *at)
    }

    fn expr(&mut self, min: u8, depth: usize) -> Result<T, ImportError> {
        if depth > 500 {
            return Err(ImportError { at: self.here(), message: "the formula nests too deeply".into() });
        }
        let mut lhs = self.unary(depth)?;
        while let Some((op, level, right)) = self.peek().and_then(|t| binary(self.dialect, t)) {
            if level < min {
                break;
            }
            self.pos += 1;
            let rhs = self.expr(if right { level } else { level + 1 }, depth + 1)?;
            if self.dialect == Dialect::Flloat && op == Bin::Rw(Op::Iff) {
                lhs = self.all_equal(lhs, rhs, level, depth)?;
                continue;
            }
            lhs = match op {
                Bin::Rw(op) => T::Bin(op, Box::new(lhs), Box::new(rhs)),
                Bin::StrongRelease => {
                    let both = T::Bin(Op::And, Box::new(lhs), Box::new(rhs.clone()));
                    T::Bin(Op::Until, Box::new(rhs), Box::new(both))
                }
                Bin::Xor => T::Not(Box::new(T::Bin(Op::Iff, Box::new(lhs), Box::new(rhs)))),
            };
        }
        Ok(lhs)
    }

    /// flloat reads `a <-> b <-> c` as one equivalence of all its operands
    /// ("all true or all false"), not as nested binary ones.
    fn all_equal(&mut self, first: T, second: T, level: u8, depth: usize) -> Result<T, ImportError> {
        let mut operands = vec![first, second];
        while self.peek() == Some(&Tok::Op("<->")) {
            self.pos += 1;
            operands.push(self.expr(level + 1, depth + 1)?);
        }
        let conjunction = |items: Vec<T>| {
            items.into_iter().reduce(|a, b| T::Bin(Op::And, Box::new(a), Box::new(b))).unwrap_or(T::True)
        };
        if let [a, b] = operands.as_slice() {
            return Ok(T::Bin(Op::Iff, Box::new(a.clone()), Box::new(b.clone())));
        }
        let negated = operands.iter().cloned().map(|t| T::Not(Box::new(t))).collect();
        Ok(T::Bin(Op::Or, Box::new(conjunction(operands)), Box::new(conjunction(negated))))
    }

    fn unary(&mut self, depth: usize) -> Result<T, ImportError> {
        let at = self.here();
        if depth > 500 {
            return Err(ImportError { at, message: "the formula nests too deeply (more than 500 operators)".into() });
        }
        let Some((_, tok)) = self.tokens.get(self.pos).cloned() else {
            return Err(ImportError { at, message: "the formula ends too early".into() });
        };
        self.pos += 1;
        let sub = |p: &mut Self| p.unary(depth + 1).map(Box::new);
        Ok(match tok {
            Tok::Op("!") => T::Not(sub(self)?),
            Tok::Op("X[!]") => T::Next(sub(self)?),
            // Spot's and Lydia's `X` is weak next, flloat's strong.
            Tok::Op("X") if self.dialect == Dialect::Flloat => T::Next(sub(self)?),
            Tok::Op("X" | "WX") => T::WeakNext(sub(self)?),
            Tok::Op("F" | "<>") => T::Eventually(sub(self)?),
            Tok::Op("G" | "[]") => T::Always(sub(self)?),
            Tok::Op("true") => T::True,
            Tok::Op("false") => T::False,
            Tok::Op("last") => T::Last,
            Tok::Op("end") => {
                return Err(ImportError {
                    at,
                    message: "`end` (the empty trace) has no rw equivalent: rw traces have at least one step".into(),
                });
            }
            Tok::Prop(name) => T::Name(self.rw_name(&name)),
            Tok::Open => {
                let inner = self.expr(0, depth + 1)?;
                if self.peek() != Some(&Tok::Close) {
                    return Err(ImportError { at: self.here(), message: "expected `)`".into() });
                }
                self.pos += 1;
                inner
            }
            Tok::Close => return Err(ImportError { at, message: "unexpected `)`".into() }),
            Tok::Op(op) => return Err(ImportError { at, message: format!("`{op}` needs a left operand") }),
        })
    }
}

/// rw's precedence: unary 6; U R W 5 (right); & 4; | 3; -> 2 (right); <-> 1.
fn print(t: &T, min: u8, out: &mut String) {
    let (level, right) = match t {
        T::Bin(op, _, _) => match op {
            // `xor` binds between `->` and `|`; the importer writes it out,
            // and printing it at the loosest level only adds parentheses.
            Op::Iff | Op::Xor => (1, false),
            Op::Implies => (2, true),
            Op::Or => (3, false),
            Op::And => (4, false),
            _ => (5, true),
        },
        _ => (6, false),
    };
    let wrap = level < min;
    if wrap {
        out.push('(');
    }
    match t {
        T::True => out.push_str("true"),
        T::False => out.push_str("false"),
        T::Last => out.push_str("last"),
        T::Name(n) => out.push_str(n),
        T::Not(a) => {
            out.push('!');
            print(a, 6, out);
        }
        T::Next(a) | T::WeakNext(a) | T::Eventually(a) | T::Always(a) => {
            out.push_str(match t {
                T::Next(_) => "X ",
                T::WeakNext(_) => "WX ",
                T::Eventually(_) => "F ",
                _ => "G ",
            });
            print(a, 6, out);
        }
        T::Bin(op, a, b) => {
            let symbol = match op {
                Op::And => "&",
                Op::Or => "|",
                Op::Implies => "->",
                Op::Iff => "<->",
                Op::Until => "U",
                Op::Release => "R",
                Op::WeakUntil => "W",
                Op::StrongRelease => "M",
                Op::Xor => "xor",
            };
            let (left_min, right_min) = if right { (level + 1, level) } else { (level, level + 1) };
            print(a, left_min, out);
            out.push_str(&format!(" {symbol} "));
            print(b, right_min, out);
        }
    }
    if wrap {
        out.push(')');
    }
}

/// Rewrites a formula written for another tool into rw syntax.
pub fn import(dialect: Dialect, text: &str) -> Result<String, ImportError> {
    import_with_names(dialect, text).map(|(formula, _)| formula)
}

/// [`import`], with the propositions that were renamed to valid rw names
/// (as written, rw name).
pub fn import_with_names(dialect: Dialect, text: &str) -> Result<(String, Vec<(String, String)>), ImportError> {
    let tokens = match dialect {
        Dialect::Spot => lex_spot(text)?,
        Dialect::Flloat => lex_flloat(text)?,
        Dialect::Lydia => lex_lydia(text)?,
    };
    let mut parser = Parser { tokens, pos: 0, dialect, end: text.len(), renamed: Vec::new() };
    let t = parser.expr(0, 0)?;
    if parser.pos < parser.tokens.len() {
        return Err(ImportError { at: parser.here(), message: "unexpected text after the formula".into() });
    }
    let mut out = String::new();
    print(&t, 0, &mut out);
    Ok((out, parser.renamed))
}

#[cfg(test)]
#[allow(clippy::panic, clippy::unwrap_used)]
mod tests {
    use super::{Dialect::*, import};

    fn ok(d: super::Dialect, text: &str) -> String {
        import(d, text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn next_is_weak_in_spot_and_lydia() {
        assert_eq!(ok(Spot, "G(a -> X b)"), "G (a -> WX b)");
        assert_eq!(ok(Spot, "X[!] a"), "X a");
        assert_eq!(ok(Lydia, "X[!] a & X b"), "X a & WX b");
        assert_eq!(ok(Flloat, "X a"), "X a");
        assert_eq!(ok(Flloat, "WX a"), "WX a");
    }

    #[test]
    fn implication_is_left_associative_in_flloat() {
        assert_eq!(ok(Flloat, "a -> b -> c"), "(a -> b) -> c");
        assert_eq!(ok(Spot, "a -> b -> c"), "a -> b -> c");
    }

    #[test]
    fn until_binds_looser_than_and_in_lydia() {
        assert_eq!(ok(Lydia, "a & b U c"), "(a & b) U c");
        assert_eq!(ok(Spot, "a & b U c"), "a & b U c");
        assert_eq!(ok(Lydia, "a U b | c"), "a U (b | c)");
    }

    #[test]
    fn spellings() {
        assert_eq!(ok(Spot, "[] (a -> <> b)"), "G (a -> F b)");
        assert_eq!(ok(Lydia, "tt U ff"), "true U false");
        assert_eq!(ok(Spot, "!(a && b) || c"), "!(a & b) | c");
        assert_eq!(ok(Spot, "a V b"), "a R b");
        assert_eq!(ok(Flloat, "a <-> b"), "a <-> b");
    }

    #[test]
    fn spot_chains_operator_letters_and_knows_all_its_operators() {
        assert_eq!(ok(Spot, "Ga"), "G a");
        assert_eq!(ok(Spot, "GF a"), "G F a");
        assert_eq!(ok(Spot, "GFa"), "G F a");
        assert_eq!(ok(Spot, "Fab"), "F ab");
        assert_eq!(ok(Spot, "F1a"), "F1a");
        assert_eq!(ok(Spot, "F(a & XF b)"), "F (a & WX F b)");
        assert_eq!(ok(Spot, "a M b"), "b U (a & b)");
        assert_eq!(ok(Spot, "a xor b"), "!(a <-> b)");
        assert_eq!(ok(Spot, "a | b ^ c & d"), "a | !(b <-> c & d)");
        assert_eq!(ok(Spot, "a -> b <-> c"), "a -> (b <-> c)");
        assert_eq!(ok(Spot, "aUb"), "aUb");
        assert_eq!(ok(Spot, "(a)Ub"), "a U b");
        assert_eq!(ok(Spot, "a /\\ b \\/ c"), "a & b | c");
        assert_eq!(ok(Spot, "X [!] a"), "X a");
        assert_eq!(ok(Spot, "TRUE U 0"), "true U false");
        assert_eq!(ok(Spot, "Falsex"), "Falsex");
        let (rw, renamed) = super::import_with_names(Spot, "\"a.b\" U \"X\"").unwrap();
        assert_eq!(rw, "a_b U p_X");
        assert_eq!(renamed, vec![("a.b".to_string(), "a_b".to_string()), ("X".to_string(), "p_X".to_string())]);
        assert!(import(Spot, "W U a").unwrap_err().message.contains("`W` needs a left operand"));
    }

    #[test]
    fn flloat_reads_its_grammar() {
        // ltlf.lark: <-> < -> < | < & < U < R < unary; U and R chains fold
        // to the right, -> chains to the left.
        assert_eq!(ok(Flloat, "a & b U c"), "a & b U c");
        assert_eq!(ok(Flloat, "a U b R c"), "a U b R c");
        assert_eq!(ok(Flloat, "a R b U c"), "(a R b) U c");
        assert_eq!(ok(Flloat, "a U b U c"), "a U b U c");
        assert_eq!(ok(Flloat, "a -> b -> c"), "(a -> b) -> c");
        assert_eq!(ok(Flloat, "a || b && c"), "a | b & c");
        // A chain of <-> is "all equal", not nested equivalences.
        assert_eq!(ok(Flloat, "a <-> b <-> c"), "a & b & c | !a & !b & !c");
        assert_eq!(ok(Flloat, "a <-> b"), "a <-> b");
        assert_eq!(ok(Flloat, "!G a & last"), "!G a & last");
        assert_eq!(ok(Flloat, "TRUE U False"), "true U false");
        assert_eq!(ok(Flloat, "WX(a) & X(b)"), "WX a & X b");
        assert_eq!(ok(Flloat, "GF(a)"), "G F a");
        // What flloat rejects is rejected, with the reason.
        assert!(import(Flloat, "Ga").unwrap_err().message.contains("write `G a`"));
        assert!(import(Flloat, "A").unwrap_err().message.contains("lowercase"));
        assert!(import(Flloat, "trueish").is_err());
        assert!(import(Flloat, "~a").is_err());
        assert!(import(Flloat, "a => b").is_err());
        assert!(import(Flloat, "X[!] a").is_err());
        assert!(import(Flloat, "1").is_err());
    }

    #[test]
    fn lydia_reads_its_grammar() {
        // parser.yy: %left <->, %right ->, %left U, %left R, %left |,
        // %left &, then the prefix operators.
        assert_eq!(ok(Lydia, "a U b U c"), "(a U b) U c");
        assert_eq!(ok(Lydia, "a R b R c"), "(a R b) R c");
        assert_eq!(ok(Lydia, "a U b R c"), "a U b R c");
        assert_eq!(ok(Lydia, "a R b U c"), "(a R b) U c");
        assert_eq!(ok(Lydia, "a | b R c"), "(a | b) R c");
        assert_eq!(ok(Lydia, "a -> b -> c"), "a -> b -> c");
        assert_eq!(ok(Lydia, "a <-> b <-> c"), "a <-> b <-> c");
        assert_eq!(ok(Lydia, "!a U b"), "!a U b");
        assert_eq!(ok(Lydia, "G a U b"), "G a U b");
        // lexer.l: an uppercase letter is always an operator; keywords only
        // as whole words.
        assert_eq!(ok(Lydia, "GFa"), "G F a");
        assert_eq!(ok(Lydia, "aUb"), "a U b");
        assert_eq!(ok(Lydia, "Xa & X[!]b"), "WX a & X b");
        assert_eq!(ok(Lydia, "a V b"), "a R b");
        assert_eq!(ok(Lydia, "trueish & tt & last"), "trueish & true & last");
        assert_eq!(ok(Lydia, "\"ab\" <=> ~_c"), "ab <-> !_c");
        assert!(import(Lydia, "a W b").unwrap_err().message.contains("`W`"));
        assert!(import(Lydia, "A").is_err());
    }

    #[test]
    fn errors_point_at_the_problem() {
        assert_eq!(import(Spot, "a & ").map_err(|e| e.at), Err(4));
        assert!(import(Spot, "(a & b").is_err());
        assert!(import(Lydia, "end").unwrap_err().message.contains("empty trace"));
        assert!(import(Spot, "a $ b").unwrap_err().message.contains("unexpected `$`"));
    }
}

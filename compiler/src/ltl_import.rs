//! Foreign LTLf syntax to rw syntax (`rwc import ltlf`).
//!
//! The tools disagree (see docs/language.md, "Other tools"): Spot and Lydia
//! read `X` as *weak* next (`X[!]` is their strong next), rw and flloat as
//! strong; flloat reads `->` left-associative, rw right-associative; Lydia
//! binds `U`, `R`, `W` looser than `&` and `|`. Each dialect is parsed with
//! its own table, then printed in rw syntax with the parentheses rw's
//! precedence needs, so the meaning is kept.

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
    Name(String),
    Op(&'static str),
    Open,
    Close,
}

fn lex(text: &str) -> Result<Vec<(usize, Tok)>, ImportError> {
    const SYMBOLS: &[&str] = &["<->", "<=>", "->", "=>", "&&", "||", "[]", "<>", "&", "|", "!", "~"];
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i] as char;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '(' || c == ')' {
            out.push((i, if c == '(' { Tok::Open } else { Tok::Close }));
            i += 1;
            continue;
        }
        if text[i..].starts_with("X[!]") {
            out.push((i, Tok::Op("X[!]")));
            i += 4;
            continue;
        }
        if let Some(sym) = SYMBOLS.iter().find(|s| text[i..].starts_with(**s)) {
            out.push((i, Tok::Op(sym)));
            i += sym.len();
            continue;
        }
        if c.is_ascii_alphanumeric() || c == '_' {
            let start = i;
            while i < bytes.len() && ((bytes[i] as char).is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            out.push((start, Tok::Name(text[start..i].to_string())));
            continue;
        }
        return Err(ImportError { at: i, message: format!("unexpected `{c}`") });
    }
    Ok(out)
}

struct Parser {
    tokens: Vec<(usize, Tok)>,
    pos: usize,
    dialect: Dialect,
    end: usize,
}

/// Binding strength of binary operators (higher binds tighter) and whether
/// they associate to the right.
fn binary(dialect: Dialect, tok: &Tok) -> Option<(Op, u8, bool)> {
    let op = match tok {
        Tok::Op("&" | "&&") => Op::And,
        Tok::Op("|" | "||") => Op::Or,
        Tok::Op("->" | "=>") => Op::Implies,
        Tok::Op("<->" | "<=>") => Op::Iff,
        Tok::Name(n) if n == "U" => Op::Until,
        Tok::Name(n) if n == "R" || n == "V" => Op::Release,
        Tok::Name(n) if n == "W" => Op::WeakUntil,
        _ => return None,
    };
    let temporal = matches!(op, Op::Until | Op::Release | Op::WeakUntil);
    let (level, right) = match (dialect, op) {
        (_, Op::Iff) => (1, false),
        (Dialect::Flloat, Op::Implies) => (2, false),
        (_, Op::Implies) => (2, true),
        (Dialect::Lydia, _) if temporal => (3, true),
        (Dialect::Lydia, Op::Or) => (4, false),
        (Dialect::Lydia, _) => (5, false),
        (_, Op::Or) => (3, false),
        (_, Op::And) => (4, false),
        _ => (5, true),
    };
    Some((op, level, right))
}

impl Parser {
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
            lhs = T::Bin(op, Box::new(lhs), Box::new(rhs));
        }
        Ok(lhs)
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
        let weak_x = matches!(self.dialect, Dialect::Spot | Dialect::Lydia);
        Ok(match tok {
            Tok::Op("!" | "~") => T::Not(sub(self)?),
            Tok::Op("X[!]") => T::Next(sub(self)?),
            Tok::Op("[]") => T::Always(sub(self)?),
            Tok::Op("<>") => T::Eventually(sub(self)?),
            Tok::Open => {
                let inner = self.expr(0, depth + 1)?;
                if self.peek() != Some(&Tok::Close) {
                    return Err(ImportError { at: self.here(), message: "expected `)`".into() });
                }
                self.pos += 1;
                inner
            }
            Tok::Name(n) => match n.as_str() {
                "X" if weak_x => T::WeakNext(sub(self)?),
                "X" => T::Next(sub(self)?),
                "WX" | "N" => T::WeakNext(sub(self)?),
                "F" => T::Eventually(sub(self)?),
                "G" => T::Always(sub(self)?),
                "true" | "tt" | "1" | "True" => T::True,
                "false" | "ff" | "0" | "False" => T::False,
                "last" => T::Last,
                "end" => {
                    return Err(ImportError {
                        at,
                        message: "`end` (the empty trace) has no rw equivalent: rw traces have at least one step"
                            .into(),
                    });
                }
                "U" | "R" | "W" | "V" => {
                    return Err(ImportError { at, message: format!("`{n}` needs a left operand") });
                }
                _ if n.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_') => T::Name(n),
                _ => return Err(ImportError { at, message: format!("`{n}` is not a proposition") }),
            },
            Tok::Close => return Err(ImportError { at, message: "unexpected `)`".into() }),
            Tok::Op(op) => return Err(ImportError { at, message: format!("`{op}` needs a left operand") }),
        })
    }
}

/// rw's precedence: unary 6; U R W 5 (right); & 4; | 3; -> 2 (right); <-> 1.
fn print(t: &T, min: u8, out: &mut String) {
    let (level, right) = match t {
        T::Bin(op, _, _) => match op {
            Op::Iff => (1, false),
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
    let tokens = lex(text)?;
    let mut parser = Parser { tokens, pos: 0, dialect, end: text.len() };
    let t = parser.expr(0, 0)?;
    if parser.pos < parser.tokens.len() {
        return Err(ImportError { at: parser.here(), message: "unexpected text after the formula".into() });
    }
    let mut out = String::new();
    print(&t, 0, &mut out);
    Ok(out)
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
    fn errors_point_at_the_problem() {
        assert_eq!(import(Spot, "a & ").map_err(|e| e.at), Err(4));
        assert!(import(Spot, "(a & b").is_err());
        assert!(import(Lydia, "end").unwrap_err().message.contains("empty trace"));
        assert!(import(Spot, "a $ b").unwrap_err().message.contains("unexpected `$`"));
    }
}

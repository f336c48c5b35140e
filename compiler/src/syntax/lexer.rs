//! A lossless lexer for `.rw` text: every byte of the source belongs to
//! exactly one token, comments and whitespace included.
//!
//! Beside the pest parser (`grammar/rw.pest`), not before it: the parser
//! reads the text itself, and this token stream serves the tools that must
//! see all of the text — the formatter, which keeps comments, and the
//! language server's semantic tokens. Keywords are contextual in rw (only
//! `if then else true false any` are reserved), so names and keywords are
//! one token kind here; [`keyword`] says which spellings are keywords
//! somewhere. Text no token matches (a stray `#`, an unterminated string)
//! becomes [`TokenKind::Unknown`] tokens, so lexing never fails.

use logos::Logos;
use std::ops::Range;

/// What a token is. Operators and punctuation that the grammar writes with
/// more than one character (`->`, `<->`, `..=`, `::`) are one token.
#[derive(Logos, Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TokenKind {
    #[regex(r"[ \t\r\n]+")]
    Whitespace,
    #[regex(r"//[^\n]*", allow_greedy = true)]
    Comment,
    /// A name or a keyword (see [`keyword`]).
    #[regex(r"[A-Za-z_][A-Za-z0-9_]*")]
    Name,
    #[regex(r"[0-9]+")]
    Int,
    #[regex(r"[0-9]+(\.[0-9]+([eE][+-]?[0-9]+)?|[eE][+-]?[0-9]+)")]
    Float,
    #[regex(r#""([^"\\\n]|\\["\\nt])*""#)]
    Str,
    #[token("(")]
    LParen,
    #[token(")")]
    RParen,
    #[token("[")]
    LBracket,
    #[token("]")]
    RBracket,
    #[token("{")]
    LBrace,
    #[token("}")]
    RBrace,
    #[token(",")]
    Comma,
    #[token(":")]
    Colon,
    #[token("::")]
    ColonColon,
    #[token(".")]
    Dot,
    #[token("..")]
    DotDot,
    #[token("..=")]
    DotDotEq,
    #[token("?")]
    Question,
    #[token("=")]
    Eq,
    #[token("->")]
    Arrow,
    #[token("<->")]
    Iff,
    #[token("+")]
    Plus,
    #[token("-")]
    Minus,
    #[token("*")]
    Star,
    #[token("/")]
    Slash,
    #[token("==")]
    EqEq,
    #[token("!=")]
    NotEq,
    #[token("<")]
    Lt,
    #[token("<=")]
    Le,
    #[token(">")]
    Gt,
    #[token(">=")]
    Ge,
    #[token("!")]
    Bang,
    #[token("&")]
    Amp,
    #[token("&&")]
    AmpAmp,
    #[token("|")]
    Pipe,
    #[token("||")]
    PipePipe,
    /// `[]` and `<>`, LTL's always and eventually.
    #[token("[]")]
    Box,
    #[token("<>")]
    Diamond,
    /// Text no other token matches, one character at a time.
    Unknown,
}

/// One token: its kind and its byte range in the source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    pub span: Range<usize>,
}

/// The tokens of `source`, in order; their spans cover it without gaps or
/// overlaps (`lex(s).iter().map(|t| &s[t.span.clone()]).collect::<String>() == s`).
pub fn lex(source: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut offset = 0;
    'text: while offset < source.len() {
        let mut lexer = TokenKind::lexer(&source[offset..]);
        while let Some(kind) = lexer.next() {
            let span = offset + lexer.span().start..offset + lexer.span().end;
            match kind {
                Ok(kind) => tokens.push(Token { kind, span }),
                // No token starts here: its first character is unknown, and
                // lexing resumes after it (an unterminated string's quote is
                // unknown, the name after it is still a name).
                Err(()) => {
                    let width = source[span.start..].chars().next().map_or(1, char::len_utf8);
                    tokens.push(Token { kind: TokenKind::Unknown, span: span.start..span.start + width });
                    offset = span.start + width;
                    continue 'text;
                }
            }
        }
        break;
    }
    tokens
}

/// The keywords that start a top-level item.
pub const ITEM_KEYWORDS: &[&str] = &[
    "spec",
    "props",
    "input",
    "param",
    "const",
    "use",
    "machine",
    "ltlf",
    "ltl",
    "let",
    "reward",
    "log",
    "done",
    "shape",
    "fn",
    "criteria",
    "constraint",
    "discount",
];

/// The other keywords: contextual inside items, except the reserved `if
/// then else true false any`; the temporal operators included.
pub const OTHER_KEYWORDS: &[&str] = &[
    "in",
    "priority",
    "strict",
    "start",
    "states",
    "terminal",
    "any",
    "when",
    "if",
    "then",
    "else",
    "true",
    "false",
    "gated",
    "potential",
    "term",
    "gamma",
    "weight",
    "lagrange",
    "episode",
    "jump",
    "X",
    "WX",
    "U",
    "R",
    "W",
    "M",
    "xor",
    "F",
    "G",
    "last",
];

/// Every spelling that is a keyword somewhere in rw.
pub fn keywords() -> impl Iterator<Item = &'static str> {
    ITEM_KEYWORDS.iter().chain(OTHER_KEYWORDS).copied()
}

/// Whether `name` is a keyword somewhere in rw (see [`keywords`]).
pub fn keyword(name: &str) -> bool {
    ITEM_KEYWORDS.contains(&name) || OTHER_KEYWORDS.contains(&name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(source: &str) -> Vec<(TokenKind, &str)> {
        lex(source).into_iter().map(|t| (t.kind, &source[t.span])).collect()
    }

    #[test]
    fn multi_character_operators_and_numbers_are_one_token() {
        use TokenKind::*;
        assert_eq!(
            kinds("a->b <-> c ..= 1.5e3 .. 2 :: <> [] x[0]"),
            vec![
                (Name, "a"),
                (Arrow, "->"),
                (Name, "b"),
                (Whitespace, " "),
                (Iff, "<->"),
                (Whitespace, " "),
                (Name, "c"),
                (Whitespace, " "),
                (DotDotEq, "..="),
                (Whitespace, " "),
                (Float, "1.5e3"),
                (Whitespace, " "),
                (DotDot, ".."),
                (Whitespace, " "),
                (Int, "2"),
                (Whitespace, " "),
                (ColonColon, "::"),
                (Whitespace, " "),
                (Diamond, "<>"),
                (Whitespace, " "),
                (Box, "[]"),
                (Whitespace, " "),
                (Name, "x"),
                (LBracket, "["),
                (Int, "0"),
                (RBracket, "]"),
            ]
        );
    }

    #[test]
    fn comments_strings_and_unknown_text_are_kept() {
        use TokenKind::*;
        assert_eq!(
            kinds("x // note ✓\n\"a\\\"b\" #é"),
            vec![
                (Name, "x"),
                (Whitespace, " "),
                (Comment, "// note ✓"),
                (Whitespace, "\n"),
                (Str, "\"a\\\"b\""),
                (Whitespace, " "),
                (Unknown, "#"),
                (Unknown, "é"),
            ]
        );
        // An unterminated string: its quote is unknown, the rest lexes on.
        assert_eq!(kinds("\"ab")[..2], [(Unknown, "\""), (Name, "ab")]);
    }

    #[test]
    fn keywords_are_contextual_names() {
        assert_eq!(kinds("machine"), vec![(TokenKind::Name, "machine")]);
        assert!(keyword("machine") && keyword("U") && keyword("episode"));
        assert!(!keyword("task") && !keyword("Xp"));
        assert_eq!(kinds("Xp"), vec![(TokenKind::Name, "Xp")]);
    }
}

//! The lossless lexer (`rw_compiler::syntax::lexer`) on every `.rw` file of
//! the project and on random text: its tokens cover the text exactly, in
//! order, and the files that check clean lex without unknown tokens (the
//! lexer knows every token of the grammar).

use rw_compiler::syntax::lexer::{TokenKind, lex};
use rw_tests::{Rng, rw_files};

/// Spans are contiguous from 0 to the end, on char boundaries, and give
/// the text back.
fn assert_lossless(text: &str, what: &str) {
    let tokens = lex(text);
    let mut at = 0;
    for t in &tokens {
        assert_eq!(t.span.start, at, "{what}: a gap or overlap at byte {at}");
        assert!(t.span.end > t.span.start, "{what}: an empty token at byte {at}");
        assert!(text.is_char_boundary(t.span.end), "{what}: a token ends inside a character");
        at = t.span.end;
    }
    assert_eq!(at, text.len(), "{what}: the tokens stop at byte {at} of {}", text.len());
    let joined: String = tokens.iter().map(|t| &text[t.span.clone()]).collect();
    assert_eq!(joined, text, "{what}");
}

#[test]
fn every_project_file_lexes_losslessly_without_unknown_tokens() {
    let mut files = 0;
    for dir in ["examples", "stdlib", "tests/ui/ok", "tests/ui/warn", "tests/ui/lib", "tests/ui/err"] {
        for path in rw_files(dir) {
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            let what = path.display().to_string();
            assert_lossless(&text, &what);
            // Every file but the error cases checks clean, so every
            // character in it is part of a known token.
            if dir != "tests/ui/err" {
                let unknown: Vec<_> =
                    lex(&text).into_iter().filter(|t| t.kind == TokenKind::Unknown).map(|t| &text[t.span]).collect();
                assert!(unknown.is_empty(), "{what}: unknown tokens {unknown:?}");
            }
            files += 1;
        }
    }
    assert!(files > 100, "only {files} .rw files found");
}

#[test]
fn random_text_lexes_losslessly() {
    // Fragments of rw, odd characters and broken tokens, glued at random.
    const PIECES: &[&str] = &[
        "machine", " ", "\n", "\t", "\r\n", "x", "_a1", "->", "<->", "<", "-", ">", "..=", "..", ".", "::", ":", "1",
        "2.5", "1e", "e+3", "3.", "\"", "\"ok\"", "\\", "\\\"", "//", "/", "é", "✓", "#", "@", "[]", "[", "]", "<>",
        "!", "=", "&&", "|", "{", "}", "(", ")", "😀", "\u{0}", "ltlf", "G", "U",
    ];
    let mut rng = Rng(0x1e7e5);
    for case in 0..5000 {
        let len = rng.below(40);
        let text: String = (0..len).map(|_| PIECES[rng.below(PIECES.len())]).collect();
        assert_lossless(&text, &format!("case {case}: {text:?}"));
    }
}

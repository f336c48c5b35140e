//! `rwc fmt`'s contract: the project's own `.rw` text is canonical, and
//! formatting is idempotent and meaning-preserving (the formatted program
//! compiles to the same artifact bytes) on every file of the project, on
//! generated specs, and on all of them re-spaced at random.
//!
//! `RW_FMT_SPECS` sets the number of generated specs (default 200).

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use rw_compiler::syntax::format::format;
use rw_compiler::syntax::lexer::{TokenKind, lex};
use rw_tests::{Rng, root, rw_files};
use std::path::PathBuf;

/// Every `.rw` file of the project: examples, stdlib, ui cases.
fn project_files() -> Vec<PathBuf> {
    ["examples", "stdlib", "tests/ui/ok", "tests/ui/err", "tests/ui/warn", "tests/ui/lib"]
        .iter()
        .flat_map(|d| rw_files(d))
        .collect()
}

/// The artifact's bytes, when the text compiles (imports relative to `dir`),
/// without the source positions of its instructions: those move with the
/// whitespace, everything else must stay.
fn artifact(text: &str, dir: &std::path::Path) -> Option<Vec<u8>> {
    let checked = rw_compiler::check_text("fmt.rw", text, Some(dir));
    if checked.has_errors() {
        return None;
    }
    let mut artifact = rw_compiler::compile(&checked).ok()?;
    artifact.spans.iter_mut().for_each(|s| *s = None);
    Some(artifact.to_bytes())
}

/// The same tokens with other whitespace: each run of blanks becomes one
/// space, several, or (with `newlines`) a line break, and a space goes
/// between some tokens that touch. Line breaks after comments stay.
fn respace(text: &str, rng: &mut Rng, newlines: bool) -> String {
    let tokens = lex(text);
    let mut out = String::new();
    for (i, t) in tokens.iter().enumerate() {
        let piece = &text[t.span.clone()];
        let after_comment = i > 0 && tokens[i - 1].kind == TokenKind::Comment;
        if t.kind == TokenKind::Whitespace {
            if after_comment || piece.contains('\n') && (!newlines || rng.below(2) == 0) {
                out.push_str(piece);
                continue;
            }
            match rng.below(4) {
                0 => out.push(' '),
                1 => out.push_str("   "),
                2 if newlines => out.push_str("\n    "),
                _ => out.push_str(piece),
            }
            continue;
        }
        // `X[!]` is one operator: no space inside it.
        let inside_strong_next = i > 0 && {
            let prev = &text[tokens[i - 1].span.clone()];
            prev == "X" && piece == "[" || prev == "[" && piece == "!" || prev == "!" && piece == "]"
        };
        let touching = i > 0 && tokens[i - 1].kind != TokenKind::Whitespace && !after_comment;
        if touching && !inside_strong_next && rng.below(3) == 0 {
            out.push(' ');
        }
        out.push_str(piece);
    }
    out
}

/// Formats `text` and checks the contract on it; returns the formatted text
/// (None when the text does not parse).
fn check_contract(name: &str, text: &str, dir: &std::path::Path) -> Option<String> {
    let formatted = format(text).ok()?;
    let again = format(&formatted).unwrap_or_else(|e| panic!("{name}: formatted text does not parse: {e:?}"));
    assert_eq!(again, formatted, "{name}: formatting is not idempotent\n--- once:\n{formatted}\n--- twice:\n{again}");
    let (before, after) = (artifact(text, dir), artifact(&formatted, dir));
    assert_eq!(before.is_some(), after.is_some(), "{name}: formatting changed whether the file compiles");
    assert!(before == after, "{name}: formatting changed the artifact\n--- formatted:\n{formatted}");
    Some(formatted)
}

#[test]
fn examples_and_stdlib_are_formatted() {
    let mut unformatted = Vec::new();
    for path in rw_files("examples").into_iter().chain(rw_files("stdlib")) {
        let text = std::fs::read_to_string(&path).unwrap();
        let formatted = format(&text).unwrap_or_else(|e| panic!("{}: does not parse: {e:?}", path.display()));
        if formatted != text {
            unformatted.push(path.display().to_string());
        }
    }
    assert!(unformatted.is_empty(), "not formatted (run `rwc fmt` on them): {unformatted:?}");
}

/// Every ```rw snippet of the docs that is meant to compile is canonical
/// (error snippets, and docs/diagnostics.md generated from the deliberately
/// broken ui cases, are not).
#[test]
fn doc_snippets_are_formatted() {
    let docs = ["README.md", "docs/language.md", "docs/traces.md", "docs/import.md", "docs/python.md"];
    let mut checked = 0;
    for doc in docs {
        let text = std::fs::read_to_string(root().join(doc)).unwrap();
        let mut lines = text.lines().enumerate();
        while let Some((start, line)) = lines.next() {
            if line.trim() != "```rw" {
                continue;
            }
            let body: Vec<&str> = lines.by_ref().map(|(_, l)| l).take_while(|l| l.trim_start() != "```").collect();
            let snippet = format!("{}\n", body.join("\n"));
            let formatted = format(&snippet).unwrap_or_else(|e| panic!("{doc}:{}: does not parse: {e:?}", start + 1));
            assert_eq!(formatted, snippet, "{doc}:{}: the snippet is not formatted", start + 1);
            checked += 1;
        }
    }
    assert!(checked >= 20, "only {checked} snippets");
}

#[test]
fn project_files_keep_their_meaning_and_format_idempotently() {
    let mut formatted_files = 0;
    let mut rng = Rng(0x005e_edf0);
    for path in project_files() {
        let text = std::fs::read_to_string(&path).unwrap();
        let dir = path.parent().unwrap().to_path_buf();
        let name = path.display().to_string();
        let Some(canonical) = check_contract(&name, &text, &dir) else { continue };
        formatted_files += 1;
        for round in 0..4 {
            // Only blanks change: the same canonical text comes back.
            let spaced = respace(&text, &mut rng, false);
            let again = check_contract(&format!("{name} (re-spaced {round})"), &spaced, &dir)
                .unwrap_or_else(|| panic!("{name}: re-spaced text does not parse:\n{spaced}"));
            assert_eq!(again, canonical, "{name}: re-spacing changed the canonical form\n--- input:\n{spaced}");
            // Line breaks added: a canonical text of its own, same meaning.
            let broken = respace(&text, &mut rng, true);
            check_contract(&format!("{name} (re-broken {round})"), &broken, &dir)
                .unwrap_or_else(|| panic!("{name}: re-broken text does not parse:\n{broken}"));
        }
    }
    assert!(formatted_files >= 80, "only {formatted_files} project files parse");
}

#[test]
fn generated_specs_keep_their_meaning_and_format_idempotently() {
    let count: usize = std::env::var("RW_FMT_SPECS").ok().and_then(|v| v.parse().ok()).unwrap_or(200);
    let mut rng = Rng(0xf0_5eed);
    let dir = root();
    let mut compiled = 0;
    for n in 0..count {
        let spec = rw_tests::spec_gen::spec(&mut rng);
        let spaced = respace(&spec, &mut rng, true);
        check_contract(&format!("spec {n}"), &spec, &dir).unwrap_or_else(|| panic!("spec {n} does not parse"));
        check_contract(&format!("spec {n} re-spaced"), &spaced, &dir)
            .unwrap_or_else(|| panic!("spec {n} re-spaced does not parse:\n{spaced}"));
        compiled += usize::from(artifact(&spec, &dir).is_some());
    }
    assert!(compiled * 2 >= count, "only {compiled} of {count} generated specs compile");
}

#[test]
fn the_layout() {
    let cases = [
        // Spacing: binary operators, signs, members, calls, brackets, ranges.
        (
            "reward=-x+f( a ,b )*c . reward-(-1)\ninput  v : f32 [ 4 ] in 0 ..= 1\n",
            "reward = -x + f(a, b) * c.reward - (-1)\ninput v: f32[4] in 0..=1\n",
        ),
        // Contextual keywords as members and names.
        ("log s = m . in ( u ) + reward - 1\n", "log s = m.in(u) + reward - 1\n"),
        // Items start lines; blank lines collapse; one newline at the end.
        ("props a,b input x: f32\n\n\n\nreward = x", "props a, b\ninput x: f32\n\nreward = x\n"),
        // Machines: statements on their lines, `when`/`reward` aligned.
        (
            "machine m {\n start u\nu -> v when a reward 1\n  long_state -> u when b & c reward -1 terminal v }\n",
            "machine m {\n  start u\n  u -> v          when a     reward 1\n  long_state -> u when b & c reward -1\n  terminal v\n}\n",
        ),
        // Formulas: operators keep their space before `(`; `X[!]` stays whole.
        ("ltlf f = G(a -> X[!] b)&F (c)\nltlf g(p) = F(p)\n", "ltlf f = G (a -> X[!] b) & F (c)\nltlf g(p) = F (p)\n"),
        // Continuation lines: inside brackets after the bracket, else two deeper.
        (
            "fn f(x: f32) -> f32 =\nif x > 0.0 then (x\n+ 1.0) else\n0.0\n",
            "fn f(x: f32) -> f32 =\n  if x > 0.0 then (x\n                   + 1.0) else\n  0.0\n",
        ),
        // Comments are kept: own-line ones indented like the code after
        // them, trailing ones of consecutive lines aligned.
        (
            "  // head\nmachine m {\n// about u\n start u // first\n  u -> w when a // go\n}\n",
            "// head\nmachine m {\n  // about u\n  start u        // first\n  u -> w when a  // go\n}\n",
        ),
        // Use groups, gated blocks, the ternary, criteria.
        (
            "use std::length::{ laser }\nreward = gated(ok){ a ? b:c }\ncriteria s {\nx weight 2 \"one\",\nlonger weight 1 \"two\" }\n",
            "use std::length::{laser}\nreward = gated(ok) { a ? b : c }\ncriteria s {\n  x      weight 2 \"one\",\n  longer weight 1 \"two\"\n}\n",
        ),
    ];
    for (input, expected) in cases {
        let got = format(input).unwrap_or_else(|e| panic!("{input:?} does not parse: {e:?}"));
        assert_eq!(got, expected, "input:\n{input}");
        assert_eq!(format(&got).unwrap(), got, "not idempotent:\n{got}");
    }
}

#[test]
fn text_that_does_not_parse_is_refused() {
    let errors = format("reward = (x +\n").expect_err("does not parse");
    assert!(!errors.is_empty() && errors.iter().all(|d| d.is_error()), "{errors:?}");
    assert!(format("machine m {\n  start u\n").is_err());
}

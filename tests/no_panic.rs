//! Robustness: the parser and checker return diagnostics, never panic, on
//! 10,000+ random and mutated inputs (mutations of the shipped examples,
//! stdlib and ui cases: deleted, duplicated, swapped and inserted tokens),
//! and every label they produce points inside its file on character
//! boundaries so that renderers can show it. Seeded, so failures reproduce.

use rw_compiler::sema::Checked;
use rw_tests::{Rng, rw_files};

/// Splits source text into tokens (names, numbers, strings, comments,
/// operators, whitespace) so that mutations act on meaningful units.
fn tokens(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        if c.is_alphanumeric() || c == '_' {
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '.') {
                i += 1;
            }
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' && chars[i] != '\n' {
                i += 1;
            }
            i = (i + 1).min(chars.len());
        } else if c == '/' && chars.get(i + 1) == Some(&'/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c.is_whitespace() {
            while i < chars.len() && chars[i].is_whitespace() {
                i += 1;
            }
        } else {
            let three: String = chars[i..(i + 3).min(chars.len())].iter().collect();
            let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            i += if ["<->", "..="].contains(&three.as_str()) {
                3
            } else if ["->", "<=", ">=", "==", "!=", "&&", "||", "..", "::"].contains(&two.as_str()) {
                2
            } else {
                1
            };
        }
        out.push(chars[start..i].iter().collect());
    }
    out
}

fn assert_sane(source: &str, checked: &Checked) {
    for d in &checked.diagnostics {
        assert!(!d.message.is_empty(), "empty message for {source:?}");
        for label in &d.labels {
            let file = checked.sources.get(label.span.file);
            let (s, e) = (label.span.start as usize, label.span.end as usize);
            assert!(
                s <= e && e <= file.text.len(),
                "label {s}..{e} outside {} ({} bytes) for {source:?}",
                file.name,
                file.text.len()
            );
            assert!(
                file.text.is_char_boundary(s) && file.text.is_char_boundary(e),
                "label not on char boundaries for {source:?}"
            );
        }
    }
}

#[test]
fn random_and_mutated_inputs_never_panic() {
    let mut seeds: Vec<String> = Vec::new();
    for dir in ["examples", "stdlib", "tests/ui/ok", "tests/ui/err"] {
        for path in rw_files(dir) {
            seeds.push(std::fs::read_to_string(path).unwrap_or_default());
        }
    }
    assert!(!seeds.is_empty());
    let seed_tokens: Vec<Vec<String>> = seeds.iter().map(|s| tokens(s)).collect();
    let mut vocabulary: Vec<String> = seed_tokens.iter().flatten().cloned().collect();
    vocabulary.sort();
    vocabulary.dedup();
    vocabulary.extend(
        ["é", "\u{1F600}", "\t", "\r\n", "\"", "//", "{", "}", "(", ")", "[", "]", "\\", "\0"].map(String::from),
    );

    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let iterations = 10_000;
    let mut with_errors = 0;
    for i in 0..iterations {
        let source: String = match i % 10 {
            // Random token soup.
            0 => (0..rng.below(60))
                .map(|_| vocabulary[rng.below(vocabulary.len())].clone())
                .collect::<Vec<_>>()
                .join(" "),
            // Random characters, including multi-byte ones.
            1 => (0..rng.below(80)).map(|_| char::from_u32(rng.below(0x3000) as u32).unwrap_or('x')).collect(),
            // Mutations of a real file.
            _ => {
                let mut toks = seed_tokens[rng.below(seed_tokens.len())].clone();
                for _ in 0..1 + rng.below(3) {
                    if toks.is_empty() {
                        break;
                    }
                    let at = rng.below(toks.len());
                    match rng.below(5) {
                        0 => {
                            toks.remove(at);
                        }
                        1 => toks.insert(at, toks[at].clone()),
                        2 => {
                            let other = rng.below(toks.len());
                            toks.swap(at, other);
                        }
                        3 => toks.insert(at, vocabulary[rng.below(vocabulary.len())].clone()),
                        _ => toks[at] = vocabulary[rng.below(vocabulary.len())].clone(),
                    }
                }
                toks.concat()
            }
        };
        let checked = rw_compiler::check_text("fuzz.rw", &source, None);
        assert_sane(&source, &checked);
        if checked.has_errors() {
            with_errors += 1;
            // The renderers must cope with whatever the checker produced.
            let _ = rwc::render::human(&checked.sources, &checked.diagnostics, false);
            for d in &checked.diagnostics {
                let _ = rwc::render::json(&checked.sources, d);
            }
        }
    }
    // Most mutations break something; if they did not, the mutator is broken.
    assert!(with_errors > iterations / 2, "only {with_errors} of {iterations} inputs had errors");
}

#[test]
fn pathological_inputs_are_bounded() {
    let deep = format!("input x: f32\nreward = {}x{}", "(".repeat(10_000), ")".repeat(10_000));
    let checked = rw_compiler::check_text("deep.rw", &deep, None);
    assert!(checked.diagnostics.iter().any(|d| d.code == "RW0104"));

    // Within the limit: valid.
    let sum = format!("input x: f32\nreward = x{}", " + x".repeat(900));
    let checked = rw_compiler::check_text("sum.rw", &sum, None);
    assert!(checked.diagnostics.is_empty(), "a 900-term sum is valid");

    // Past it: one RW0104 for the item and no cascade, whatever the shape.
    for (name, source) in [
        ("long.rw", format!("input x: f32\nreward = x{}", " + x".repeat(20_000))),
        ("not.rw", format!("input b: bool\nlet c = {}b\nreward = if c then 1.0 else 0.0", "!".repeat(5_000))),
        ("imp.rw", format!("props a\nlet c = a{}\nreward = if c then 1.0 else 0.0", " -> a".repeat(5_000))),
        ("ltl.rw", format!("props a\nltlf f = {}a\nreward = if f.sat then 1.0 else 0.0", "G ".repeat(5_000))),
    ] {
        let checked = rw_compiler::check_text(name, &source, None);
        let codes: Vec<&str> = checked.diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(codes, ["RW0104"], "{name}");
    }
}

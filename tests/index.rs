//! The definition and reference index (`sema::index`) that editor
//! navigation reads: on every example and stdlib file, every name written in
//! the file resolves to a symbol of that name, and every recorded span holds
//! the symbol's name.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use rw_compiler::sema::index::{Index, SymbolKind};
use rw_compiler::syntax::lexer::{self, TokenKind};
use rw_tests::rw_files;

fn index_of(checked: &rw_compiler::sema::Checked) -> Index {
    let stdlib = |f| matches!(checked.sources.get(f).origin, rw_compiler::source::Origin::Stdlib(_));
    Index::build(&checked.program, &stdlib)
}

#[test]
fn every_name_in_examples_and_stdlib_resolves() {
    let mut resolved = 0;
    for path in rw_files("examples").into_iter().chain(rw_files("stdlib")) {
        let checked = rw_compiler::check_file(&path).unwrap();
        assert!(!checked.has_errors(), "{}", path.display());
        let index = index_of(&checked);
        let text = &checked.sources.get(checked.root).text;
        // Recorded spans hold the names they claim.
        for (span, id) in &index.references {
            assert_eq!(checked.sources.get(span.file).slice(*span), index.symbol(*id).name, "{}", path.display());
        }
        for s in &index.symbols {
            if !matches!(s.kind, SymbolKind::Decl(_)) || !s.name.starts_with("lambda_") {
                assert_eq!(checked.sources.get(s.definition.file).slice(s.definition), s.name);
            }
        }
        // Every name token that is not a keyword, a member, a built-in, a
        // type or the spec's name resolves to a symbol of that name.
        let tokens: Vec<_> = lexer::lex(text).into_iter().filter(|t| t.kind != TokenKind::Whitespace).collect();
        let mut in_lagrange = false;
        for (i, t) in tokens.iter().enumerate() {
            let word = &text[t.span.clone()];
            // `lagrange(lr 0.05, ...)`: option names, not names.
            if word == "lagrange" {
                in_lagrange = true;
            } else if in_lagrange && t.kind == TokenKind::RParen {
                in_lagrange = false;
            }
            if in_lagrange {
                continue;
            }
            let after = |k: &str| i > 0 && &text[tokens[i - 1].span.clone()] == k;
            let builtin = rw_compiler::sema::builtins_signature(word).is_some()
                || matches!(word, "steps" | "episode_end" | "f32" | "int" | "bool" | "criteria");
            if t.kind != TokenKind::Name || lexer::keyword(word) || after(".") || after("spec") || builtin {
                continue;
            }
            // `use std::length::{...}`: the module path is not a name.
            if after("use") || (after("::") && tokens.get(i + 1).is_some_and(|n| n.kind == TokenKind::ColonColon)) {
                continue;
            }
            let symbol = index
                .at(checked.root, t.span.start)
                .unwrap_or_else(|| panic!("{}: `{word}` at byte {} resolves to nothing", path.display(), t.span.start));
            assert_eq!(index.symbol(symbol).name, word, "{}: byte {}", path.display(), t.span.start);
            resolved += 1;
        }
    }
    assert!(resolved > 300, "only {resolved} names checked");
}

#[test]
fn parameters_shadow_and_states_belong_to_their_machine() {
    let text = "input x: f32\nprops p\n\
                fn f(x: f32) -> f32 = x * 2.0\n\
                machine m {\n  start a\n  a -> b when p\n  b -> a when !p reward 1\n}\n\
                machine n {\n  start a\n  a -> a when p\n}\n\
                ltlf resp(q) = G (q -> F p)\nltlf r = resp(p)\n\
                reward = f(x) + m.reward + (if m.in(b) then 1.0 else 0.0)\n";
    let checked = rw_compiler::check_text("t.rw", text, None);
    assert!(!checked.has_errors(), "{:?}", checked.diagnostics);
    let index = index_of(&checked);
    let at = |needle: &str, skip: usize| {
        let offset = text.match_indices(needle).nth(skip).map(|(i, _)| i).unwrap();
        index.symbol(index.at(checked.root, offset).unwrap())
    };
    // `x` in the body of `f` is the parameter, in `f(x)` the input.
    assert!(matches!(at("x * 2.0", 0).kind, SymbolKind::Parameter { .. }));
    assert!(matches!(at("x) +", 0).kind, SymbolKind::Decl(_)));
    // `m.in(b)` names machine m's state b, not machine n's state.
    let b = at("b)", 0);
    let SymbolKind::State { machine } = b.kind else { panic!("{b:?}") };
    assert_eq!(index.symbol(machine).name, "m");
    assert_eq!(b.definition.start as usize, text.find("b when p").unwrap());
    // Both machines have a state `a`: two symbols.
    let states_a = index.symbols.iter().filter(|s| s.name == "a" && matches!(s.kind, SymbolKind::State { .. })).count();
    assert_eq!(states_a, 2);
    // A pattern's parameter, and the pattern named by its instance.
    assert!(matches!(at("q -> F", 0).kind, SymbolKind::Parameter { .. }));
    assert_eq!(at("resp(p)", 0).name, "resp");
    // References of `p`: the guard uses, the formula, the instance.
    let p = index.at(checked.root, text.find("p\n").unwrap()).unwrap();
    assert_eq!(index.references_to(p).count(), 5);
}

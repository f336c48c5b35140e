//! `rwc import ltlf --from spot|flloat` reads formulas as Spot and flloat
//! themselves do.
//!
//! Spot: a seeded corpus of Spot-syntax formulas (every spelling of every
//! operator, operator letters chained without spaces, `xor`, `M`, `X[!]`,
//! quoted and dotted propositions, mixed `->`/`<->` chains, the issue's
//! cases) goes through the importer; rw's own grammar parses each result,
//! which is printed back in Spot's syntax, fully parenthesised. Spot (its
//! Python bindings, `spottl`) then parses the original and the round trip,
//! writes `xor` and `M` out as rw does and `F`, `G` in terms of `U`, `R`
//! (`unabbreviate(f, "^MFG")`: `!(a <-> b)`, `b U (a & b)`, `1 U a`,
//! `0 R a`, so that both sides meet Spot's trivial simplifications in the
//! same shape), and both must be the same formula (Spot's formulas are
//! hash-consed: equal means structurally equal).
//!
//! flloat: a seeded corpus of flat operator chains in flloat 0.3.0's syntax
//! (where its precedence and its n-ary chains decide the meaning) and of
//! words its lexer rejects; flloat parses each and prints it in a
//! canonical binary form (chains folded as its semantics fold them, which
//! the script checks against flloat's own `truth` on random traces), rw
//! prints its import in the same form, and the two must be equal, or both
//! must reject the formula.
//!
//! Both tools are found as `.venv/bin/python` in the checkout
//! (`scripts/setup.sh` installs `spottl` and `flloat` there) or
//! `RW_SPOT_PYTHON`; without them each test says in one line that it was
//! skipped.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use rw_compiler::ltl_import::{Dialect, import_with_names};
use rw_compiler::syntax::ast::{FBinary, FKind, FUnary, Formula};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The checkout's Python if it can import `module`, else `None` after one
/// line saying what is skipped.
fn python_with(module: &str, package: &str) -> Option<PathBuf> {
    let candidate = std::env::var_os("RW_SPOT_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python"));
    let works =
        Command::new(&candidate).args(["-c", &format!("import {module}")]).output().is_ok_and(|o| o.status.success());
    if works {
        Some(candidate)
    } else {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "skipped the {module} corpus: no Python with {module} at {} (./scripts/setup.sh installs {package} into .venv, or set RW_SPOT_PYTHON)",
            candidate.display()
        );
        None
    }
}

use rwc::bench::CorpusRng as Rng;

/// A random formula in Spot's surface syntax, with every spelling.
fn random_spot(rng: &mut Rng, depth: u32) -> String {
    if depth == 0 || rng.below(4) == 0 {
        return rng
            .pick(&["a", "b", "c", "p.q", "\"x y\"", "\"a.b\"", "ab", "true", "false", "1", "0", "TRUE", "W1x", "F0"])
            .to_string();
    }
    let sub = random_spot(rng, depth - 1);
    match rng.below(16) {
        // Unary operators, with and without a space, chained.
        0 => format!("{}{sub}", rng.pick(&["!", "~", "! "])),
        1 => format!("{}({sub})", rng.pick(&["X", "X[!]", "X [!]", "F", "G", "[]", "<>", "()"])),
        2 => format!("{} ({sub})", rng.pick(&["GF", "FG", "XG", "GX", "XXF", "X[!]F"])),
        3 => format!("{}{}", rng.pick(&["G", "F", "X", "GF", "XF"]), rng.pick(&["a", "b", "ab", "a.b"])),
        _ => {
            let other = random_spot(rng, depth - 1);
            let op = rng.pick(&[
                "&", "&&", "/\\", "|", "||", "\\/", "+", "->", "=>", "-->", "<->", "<=>", "<-->", "xor", "^", "U", "R",
                "V", "W", "M",
            ]);
            format!("({sub}) {op} ({other})")
        }
    }
}

/// How a tool spells what rw's formulas contain.
struct Syntax {
    true_: &'static str,
    false_: &'static str,
    last: &'static str,
    next: &'static str,
    weak_next: &'static str,
    weak_until: &'static str,
    /// Spot: propositions double-quoted; flloat: as they are.
    quote: bool,
    /// Spot: `(a) U (b)`; flloat: `(a U b)`.
    wrap_operands: bool,
}

const SPOT: Syntax = Syntax {
    true_: "1",
    false_: "0",
    last: "(!X[!](1))",
    next: "X[!]",
    weak_next: "X",
    weak_until: "W",
    quote: true,
    wrap_operands: true,
};

const FLLOAT: Syntax = Syntax {
    true_: "true",
    false_: "false",
    last: "last",
    next: "X",
    weak_next: "WX",
    weak_until: "<no weak until in flloat>",
    quote: false,
    wrap_operands: false,
};

/// A formula (from rw's grammar) in a tool's syntax, every operand
/// parenthesised, with the original names of renamed propositions.
fn print(f: &Formula, names: &[(String, String)], syntax: &Syntax) -> String {
    let sub = |g: &Formula| print(g, names, syntax);
    match &f.kind {
        FKind::True => syntax.true_.into(),
        FKind::False => syntax.false_.into(),
        FKind::Last => syntax.last.into(),
        FKind::Atom(e) => {
            let rw = rw_compiler::syntax::ast::expr_text(e);
            let written = names.iter().find(|(_, r)| *r == rw).map_or(rw.clone(), |(w, _)| w.clone());
            if syntax.quote { format!("\"{}\"", written.replace('\\', "\\\\").replace('"', "\\\"")) } else { written }
        }
        FKind::Paren(inner) => sub(inner),
        FKind::Unary(op, a) => {
            let op = match op {
                FUnary::Not => "!",
                FUnary::Next => syntax.next,
                FUnary::WeakNext => syntax.weak_next,
                FUnary::Eventually => "F",
                FUnary::Always => "G",
            };
            format!("{op}({})", sub(a))
        }
        FKind::Binary(op, a, b) => {
            let op = match op {
                FBinary::And => "&",
                FBinary::Or => "|",
                FBinary::Implies => "->",
                FBinary::Iff => "<->",
                FBinary::Until => "U",
                FBinary::Release => "R",
                FBinary::WeakUntil => syntax.weak_until,
                // Spot's spelling; the generator does not produce these.
                FBinary::StrongRelease => "M",
                FBinary::Xor => "xor",
            };
            if syntax.wrap_operands {
                format!("({}) {op} ({})", sub(a), sub(b))
            } else {
                format!("({} {op} {})", sub(a), sub(b))
            }
        }
    }
}

/// rw's own grammar reads an import's result (`rw`, with the renamed
/// propositions `names`) back into a formula; `original` names the input
/// in failures.
fn read_back(original: &str, rw: &str, names: &[(String, String)]) -> Formula {
    let props: Vec<String> = names
        .iter()
        .map(|(_, r)| r.clone())
        .chain(rw.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).map(str::to_string))
        .filter(|w| {
            w.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && !["X", "WX", "F", "G", "U", "R", "W", "last", "true", "false"].contains(&w.as_str())
        })
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let decl = if props.is_empty() { String::new() } else { format!("props {}\n", props.join(", ")) };
    let src = format!("{decl}ltlf f = {rw}\nreward = if f.sat then 1.0 else 0.0\n");
    let checked = rw_compiler::check_text("corpus.rw", &src, None);
    assert!(
        !checked.has_errors(),
        "`{original}` imported as `{rw}`, which rw does not read: {:?}",
        checked.diagnostics
    );
    let id = checked.program.lookup("f").unwrap();
    let rw_compiler::sema::DeclKind::Formula(decl) = &checked.program.decl(id).kind else { panic!() };
    decl.formula.clone()
}

#[test]
fn spot_reads_the_corpus_as_the_importer_does() {
    let Some(python) = python_with("spot", "spottl") else { return };
    let mut corpus: Vec<String> = [
        "Ga",
        "GF a",
        "GFa",
        "FGa",
        "XGa",
        "Fab",
        "F(a & XF b)",
        "a M b",
        "a xor b",
        "a ^ b",
        "X[!]a",
        "X [!] a",
        "\"a.b\" U c",
        "a -> b <-> c",
        "a <-> b -> c",
        "a | b xor c & d",
        "aUb",
        "(a)Ub",
        "(a)UFXb",
        "a Ua",
        "1 U 0",
        "FALSE",
        "Falsex",
        "F0",
        "F1a",
        "[]<>a",
        "() a",
        "a /\\ b \\/ c",
        "a+b",
        "~a",
        "a V b",
        "a W b R c",
        "a & b U c",
        "!a U b",
        "F a U b",
        "X a U b",
        "a U b U c",
        "a -> b -> c",
        "a => b",
        "a --> b",
        "a <=> b",
        "\"x y\" & \"if\"",
        "GFa.b",
        "Xtrue",
        "Ftruex",
        "a.b",
        "_x",
        "a M Mb",
        "a R Rb",
        "Wb U Mc",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut rng = Rng(0x5907);
    while corpus.len() < 400 {
        corpus.push(random_spot(&mut rng, 4));
    }
    // Each formula and its round trip through rw, on one line each.
    let mut pairs = String::new();
    for f in &corpus {
        let (rw, names) = import_with_names(Dialect::Spot, f).unwrap_or_else(|e| panic!("`{f}`: {e}"));
        pairs.push_str(&format!("{f}\n{}\n", print(&read_back(f, &rw, &names), &names, &SPOT)));
    }
    let file = std::env::temp_dir().join(format!("rwc-spot-corpus-{}.txt", std::process::id()));
    std::fs::write(&file, &pairs).unwrap();
    // Structurally equal, or (where Spot simplified an `M` when parsing,
    // which no unabbreviation undoes) equivalent: as LTLf formulas (Spot's
    // `from_ltlf`, then `are_equivalent`), or, where Spot's parse-time
    // identities are LTL ones (`F f` = `f` for an eventuality `f`), as LTL
    // formulas. The count of such cases is printed.
    let script = "import sys, spot\n\
        lines = open(sys.argv[1]).read().split('\\n')\n\
        bad = equivalent = 0\n\
        for k in range(0, len(lines) - 1, 2):\n\
        \x20   a = spot.unabbreviate(spot.formula(lines[k]), '^MFG')\n\
        \x20   b = spot.unabbreviate(spot.formula(lines[k + 1]), '^MFG')\n\
        \x20   if a == b:\n\
        \x20       continue\n\
        \x20   if spot.are_equivalent(spot.from_ltlf(a), spot.from_ltlf(b)) or spot.are_equivalent(a, b):\n\
        \x20       equivalent += 1\n\
        \x20       continue\n\
        \x20   bad += 1\n\
        \x20   print('MISMATCH', repr(lines[k]), '->', a.to_str('spot', True), '| rw:', b.to_str('spot', True))\n\
        print('compared', (len(lines) - 1) // 2, 'mismatches', bad, 'equivalent', equivalent)\n";
    let out = Command::new(&python).args(["-c", script]).arg(&file).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains(&format!("compared {} mismatches 0 ", corpus.len())), "{text}");
    eprintln!("{}", text.trim());
}

/// A random flloat formula: flat chains of binary operators without
/// parentheses (so flloat's precedence and chain folding decide), unary
/// operators in any order, and now and then a word flloat's lexer rejects.
fn random_flloat(rng: &mut Rng, depth: u32) -> String {
    if depth == 0 || rng.below(4) == 0 {
        return rng
            .pick(&["a", "b", "c", "ab", "x1", "y_2", "true", "TRUE", "False", "last", "Last", "if", "tt"])
            .to_string();
    }
    match rng.below(12) {
        0 => format!("{}{}", rng.pick(&["!", "! ", "!!"]), random_flloat(rng, depth - 1)),
        1 => format!("{}({})", rng.pick(&["X", "WX", "F", "G", "GF", "XG", "!G", "F!"]), random_flloat(rng, depth - 1)),
        2 => format!("{} {}", rng.pick(&["X", "WX", "F", "G", "F G", "X X"]), random_flloat(rng, depth - 1)),
        3 => format!("({})", random_flloat(rng, depth - 1)),
        4 if rng.below(4) == 0 => {
            rng.pick(&["Ga", "GFa", "aUb", "A", "trueish", "~a", "a => b", "X[!]a", "1", "end"]).to_string()
        }
        _ => {
            let mut chain = random_flloat(rng, depth - 1);
            for _ in 0..=rng.below(3) {
                let op = rng.pick(&["&", "&&", "|", "||", "->", "<->", "U", "R"]);
                chain = format!("{chain} {op} {}", random_flloat(rng, depth - 1));
            }
            chain
        }
    }
}

/// Reads each formula with flloat and prints `canonical` (binary form in
/// flloat's syntax) or `ERROR`. n-ary chains fold as flloat evaluates them:
/// `&`, `|`, `->` to the left, `U`, `R` to the right, `<->` as "all true
/// or all false"; the script checks each canonical form against flloat's
/// own `truth` of the original on random traces.
const FLLOAT_SCRIPT: &str = r#"
import sys, random, itertools
from flloat.parser.ltlf import LTLfParser
from flloat import ltlf as L
parse = LTLfParser()
def fold(op, parts, right=False):
    parts = list(parts)
    if right:
        acc = parts[-1]
        for p in reversed(parts[:-1]):
            acc = '(' + p + ' ' + op + ' ' + acc + ')'
        return acc
    acc = parts[0]
    for p in parts[1:]:
        acc = '(' + acc + ' ' + op + ' ' + p + ')'
    return acc
def canon(f):
    c = lambda g: canon(g)
    if isinstance(f, L.LTLfTrue): return 'true'
    if isinstance(f, L.LTLfFalse): return 'false'
    if isinstance(f, L.LTLfLast): return 'last'
    if isinstance(f, L.LTLfAtomic): return str(f.s)
    if isinstance(f, L.LTLfNot): return '!(' + c(f.f) + ')'
    if isinstance(f, L.LTLfNext): return 'X(' + c(f.f) + ')'
    if isinstance(f, L.LTLfWeakNext): return 'WX(' + c(f.f) + ')'
    if isinstance(f, L.LTLfEventually): return 'F(' + c(f.f) + ')'
    if isinstance(f, L.LTLfAlways): return 'G(' + c(f.f) + ')'
    fs = [c(g) for g in f.formulas]
    if isinstance(f, L.LTLfAnd): return fold('&', fs)
    if isinstance(f, L.LTLfOr): return fold('|', fs)
    if isinstance(f, L.LTLfImplies): return fold('->', fs)
    if isinstance(f, L.LTLfUntil): return fold('U', fs, True)
    if isinstance(f, L.LTLfRelease): return fold('R', fs, True)
    if isinstance(f, L.LTLfEquivalence):
        if len(fs) == 2: return '(' + fs[0] + ' <-> ' + fs[1] + ')'
        return '(' + fold('&', fs) + ' | ' + fold('&', ['!(' + g + ')' for g in fs]) + ')'
    raise Exception('unknown ' + type(f).__name__)
rng = random.Random(7)
props = ['a', 'b', 'c', 'ab', 'x1', 'y_2', 'if', 'tt']
def trace(n): return [{p: rng.random() < 0.5 for p in props} for _ in range(n)]
for line in open(sys.argv[1]).read().split('\n')[:-1]:
    try:
        f = parse(line)
    except Exception:
        print('ERROR'); continue
    text = canon(f)
    g = parse(text)
    for _ in range(12):
        t = trace(rng.randint(1, 4))
        if f.truth(t, 0) != g.truth(t, 0):
            print('CANONICAL FORM DISAGREES', line, '|', text); sys.exit(1)
    print(text)
"#;

#[test]
fn flloat_reads_the_corpus_as_the_importer_does() {
    let Some(python) = python_with("flloat", "flloat") else { return };
    let mut corpus: Vec<String> = [
        "a -> b -> c",
        "a <-> b <-> c",
        "a <-> b <-> c <-> a",
        "a U b U c",
        "a R b R c",
        "a U b R c",
        "a R b U c",
        "a & b U c",
        "a | b & c -> a <-> b",
        "!G a U b",
        "F G a",
        "GF(a)",
        "WX a & X b",
        "last & a",
        "TRUE U False",
        "Ga",
        "aUb",
        "trueish",
        "X[!] a",
        "end",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut rng = Rng(0xf1_0a7);
    while corpus.len() < 300 {
        corpus.push(random_flloat(&mut rng, 3));
    }
    let file = std::env::temp_dir().join(format!("rwc-flloat-corpus-{}.txt", std::process::id()));
    std::fs::write(&file, corpus.iter().map(|f| format!("{f}\n")).collect::<String>()).unwrap();
    let out = Command::new(&python).args(["-c", FLLOAT_SCRIPT]).arg(&file).output().unwrap();
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let flloat = String::from_utf8_lossy(&out.stdout);
    let flloat: Vec<&str> = flloat.lines().collect();
    assert_eq!(flloat.len(), corpus.len());
    let (mut accepted, mut rejected) = (0, 0);
    for (f, expected) in corpus.iter().zip(flloat) {
        let ours = match import_with_names(Dialect::Flloat, f) {
            Err(_) => "ERROR".to_string(),
            Ok((rw, names)) => print(&read_back(f, &rw, &names), &names, &FLLOAT),
        };
        assert_eq!(ours, expected, "`{f}`: rw reads it as the left, flloat as the right");
        if ours == "ERROR" {
            rejected += 1;
        } else {
            accepted += 1;
        }
    }
    eprintln!("flloat corpus: {} formulas, {accepted} read alike, {rejected} rejected by both", corpus.len());
}

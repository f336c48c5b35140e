//! The shipped corpus is tested: every example and stdlib module checks with
//! the outcome its header states, every diagnostic code has a ui case,
//! docs/diagnostics.md lists every code, and the rw snippets of
//! docs/language.md check as documented.

use rw_compiler::diagnostic::CODES;
use rw_compiler::sema;
use rw_tests::{check, codes, expected_codes, render, root, rw_files};
use std::collections::BTreeSet;

#[test]
fn examples_check_as_their_header_says() {
    let files = rw_files("examples");
    assert!(files.len() >= 6, "expected at least six examples");
    for path in files {
        let (source, checked) = check(&path);
        let expected =
            expected_codes(&source).unwrap_or_else(|| panic!("{} has no `// expect:` header", path.display()));
        assert_eq!(codes(&checked), expected, "{}:\n{}", path.display(), render(&checked));
        assert!(checked.program.is_spec(), "{} declares no outputs", path.display());
    }
}

/// Every example compiles into an artifact that survives its own bytes.
#[test]
fn examples_compile() {
    for path in rw_files("examples") {
        let (_, checked) = check(&path);
        let artifact = rw_compiler::compile(&checked).unwrap_or_else(|d| panic!("{}: {d:?}", path.display()));
        let loaded = rw_runtime::Artifact::from_bytes(&artifact.to_bytes())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(loaded, artifact, "{}", path.display());
    }
}

#[test]
fn stdlib_modules_check_clean_and_are_embedded() {
    let files = rw_files("stdlib");
    let on_disk: BTreeSet<String> =
        files.iter().filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned())).collect();
    let embedded: BTreeSet<String> = sema::stdlib::names().map(str::to_string).collect();
    assert_eq!(on_disk, embedded, "stdlib/ and the embedded module list differ");
    for path in files {
        let (source, checked) = check(&path);
        assert!(checked.diagnostics.is_empty(), "{}:\n{}", path.display(), render(&checked));
        assert!(!checked.program.is_spec(), "{} is a module and must not declare outputs", path.display());
        let embedded =
            sema::stdlib::source(&path.file_stem().unwrap_or_default().to_string_lossy()).unwrap_or_default();
        assert_eq!(embedded, source, "{} differs from the embedded copy", path.display());
    }
}

#[test]
fn every_diagnostic_code_has_a_ui_case() {
    let mut covered = BTreeSet::new();
    for path in rw_files("tests/ui/err").into_iter().chain(rw_files("tests/ui/warn")) {
        let source = std::fs::read_to_string(&path).unwrap_or_default();
        covered.extend(expected_codes(&source).unwrap_or_default());
    }
    // Codes about inputs other than .rw files are covered by the CLI tests.
    let tested_by_cli = ["RW0510", "RW0601"];
    let missing: Vec<&str> =
        CODES.iter().map(|c| c.code).filter(|c| !covered.contains(*c) && !tested_by_cli.contains(c)).collect();
    assert!(missing.is_empty(), "codes without a tests/ui/err case: {missing:?}");
    let codes: BTreeSet<&str> = CODES.iter().map(|c| c.code).collect();
    assert_eq!(codes.len(), CODES.len(), "duplicate code in the registry");
}

/// docs/diagnostics.md is generated from the code registry and the first ui
/// case of each code. `RW_UPDATE_DOCS=1 cargo test` rewrites it.
#[test]
fn diagnostics_doc_is_current() {
    let mut doc = String::from(
        "# Diagnostics\n\n\
         Every diagnostic `rwc` can report, with its code, what it means and an example.\n\
         This file is generated from the compiler's code registry and the cases in\n\
         `tests/ui/err` by `RW_UPDATE_DOCS=1 cargo test -p rw-tests --test corpus`;\n\
         the test suite fails when it is out of date.\n\n\
         Codes are grouped by phase: `RW01xx` syntax, `RW02xx` names and modules,\n\
         `RW03xx` types and values, `RW04xx` the structure of a spec.\n",
    );
    let cases: Vec<_> = rw_files("tests/ui/err").into_iter().chain(rw_files("tests/ui/warn")).collect();
    for info in CODES {
        doc.push_str(&format!("\n## {} — {}\n\n{}\n", info.code, info.title, info.explanation));
        let example = cases.iter().find_map(|path| {
            let source = std::fs::read_to_string(path).ok()?;
            let codes = expected_codes(&source)?;
            (codes.len() == 1 && codes[0] == info.code).then(|| (path.clone(), source))
        });
        if let Some((path, source)) = example {
            let (_, checked) = check(&path);
            let body = source.trim_end();
            doc.push_str(&format!(
                "\nExample (`tests/ui/{}/{}`):\n\n```rw\n{}\n```\n\n```text\n{}\n```\n",
                path.parent().and_then(|p| p.file_name()).unwrap_or_default().to_string_lossy(),
                path.file_name().unwrap_or_default().to_string_lossy(),
                body.trim_end(),
                render(&checked).trim_end()
            ));
        }
    }
    let path = root().join("docs/diagnostics.md");
    if std::env::var_os("RW_UPDATE_DOCS").is_some() {
        std::fs::write(&path, &doc).expect("write docs/diagnostics.md");
        return;
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == doc,
        "docs/diagnostics.md is out of date: run `RW_UPDATE_DOCS=1 cargo test -p rw-tests --test corpus`"
    );
}

/// ```rw blocks in docs/language.md must check clean; ```rw,error blocks must
/// fail with the codes of their `// expect:` line.
#[test]
fn language_doc_snippets_check() {
    let path = root().join("docs/language.md");
    let doc = std::fs::read_to_string(&path).expect("docs/language.md exists");
    let mut snippets = 0;
    let mut lines = doc.lines().enumerate();
    while let Some((start, line)) = lines.next() {
        let fence = line.trim_start();
        let (is_rw, should_fail) = match fence {
            "```rw" => (true, false),
            "```rw,error" => (true, true),
            _ => (false, false),
        };
        if !is_rw {
            continue;
        }
        let body: Vec<&str> = lines.by_ref().map(|(_, l)| l).take_while(|l| l.trim_start() != "```").collect();
        let source = body.join("\n");
        snippets += 1;
        let mut checked = rw_compiler::check_text("snippet.rw", &source, Some(&root().join("docs")));
        rw_verify::verify(&mut checked, &rw_verify::Options::default());
        let where_ = format!("docs/language.md:{}", start + 1);
        if should_fail {
            let expected =
                expected_codes(&source).unwrap_or_else(|| panic!("{where_}: an error snippet needs `// expect:`"));
            assert_eq!(codes(&checked), expected, "{where_}:\n{}", render(&checked));
        } else {
            assert!(checked.diagnostics.is_empty(), "{where_}:\n{source}\n{}", render(&checked));
        }
    }
    assert!(snippets >= 10, "only {snippets} rw snippets in docs/language.md");
}

/// The runtime crate stays free of compiler dependencies (ARCHITECTURE.md).
#[test]
fn runtime_has_no_compiler_dependencies() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let output = std::process::Command::new(cargo)
        .args(["tree", "-p", "rw-runtime", "--edges", "normal,build", "--prefix", "none", "--offline"])
        .current_dir(root())
        .output()
        .expect("run cargo tree");
    assert!(output.status.success(), "cargo tree failed: {}", String::from_utf8_lossy(&output.stderr));
    let tree = String::from_utf8_lossy(&output.stdout);
    for forbidden in ["pest", "petgraph", "z3", "ariadne", "logos", "lsp-server", "lsp-types", "rw-compiler", "clap"] {
        assert!(
            !tree.lines().any(|l| l.split_whitespace().next() == Some(forbidden)),
            "rw-runtime depends on `{forbidden}`:\n{tree}"
        );
    }
}

//! UI tests: every file in `ui/err` (errors) and `ui/warn` (warnings only)
//! produces exactly the diagnostic codes its header promises, rendered output
//! snapshot-tested in a SOURCE / ERROR format; every file in `ui/ok` checks
//! clean and its program dump is snapshot-tested.

use rw_tests::{check, codes, expected_codes, render};
use std::sync::Mutex;

/// insta counts `glob!` failures process-wide: two glob tests running in
/// parallel would report each other's failures, so they take turns.
static GLOB: Mutex<()> = Mutex::new(());

#[test]
fn err_cases() {
    let _turn = GLOB.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut count = 0;
    insta::glob!("ui/err/*.rw", |path| {
        count += 1;
        let (source, checked) = check(path);
        let expected =
            expected_codes(&source).unwrap_or_else(|| panic!("{} has no `// expect:` header", path.display()));
        assert!(!expected.is_empty(), "{}: an err case must expect at least one code", path.display());
        assert_eq!(codes(&checked), expected, "{}: diagnostic codes differ from the header", path.display());
        assert!(checked.has_errors(), "{}: expected an error", path.display());
        insta::assert_snapshot!(format!("SOURCE:\n{}\nERROR:\n{}", source.trim_end(), render(&checked)));
    });
    assert!(count >= 40, "only {count} err cases");
}

/// Warnings: the spec compiles, but the checker has something to say.
#[test]
fn warn_cases() {
    let _turn = GLOB.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut count = 0;
    insta::glob!("ui/warn/*.rw", |path| {
        count += 1;
        let (source, checked) = check(path);
        let expected =
            expected_codes(&source).unwrap_or_else(|| panic!("{} has no `// expect:` header", path.display()));
        assert_eq!(codes(&checked), expected, "{}: diagnostic codes differ from the header", path.display());
        assert!(!checked.has_errors(), "{}: a warn case must not have errors", path.display());
        assert!(!checked.diagnostics.is_empty(), "{}: expected a warning", path.display());
        insta::assert_snapshot!(format!("SOURCE:\n{}\nWARNING:\n{}", source.trim_end(), render(&checked)));
    });
    assert!(count >= 4, "only {count} warn cases");
}

#[test]
fn ok_cases() {
    let _turn = GLOB.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let mut count = 0;
    insta::glob!("ui/ok/*.rw", |path| {
        count += 1;
        let (source, checked) = check(path);
        assert!(checked.diagnostics.is_empty(), "{}:\n{}", path.display(), render(&checked));
        insta::assert_snapshot!(format!("SOURCE:\n{}\nPROGRAM:\n{}", source.trim_end(), checked.program.dump()));
    });
    assert!(count >= 5, "only {count} ok cases");
}

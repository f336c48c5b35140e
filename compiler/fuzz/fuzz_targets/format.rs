//! Any text through the formatter: never a panic; what it formats it
//! formats idempotently, and a spec that compiled before compiles after to
//! the same artifact (instruction source positions aside).
#![no_main]

use libfuzzer_sys::fuzz_target;

fn artifact(text: &str) -> Option<Vec<u8>> {
    let checked = rw_compiler::check_text("fuzz.rw", text, None);
    if checked.has_errors() {
        return None;
    }
    let mut artifact = rw_compiler::compile(&checked).ok()?;
    artifact.spans.iter_mut().for_each(|s| *s = None);
    Some(artifact.to_bytes())
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Ok(formatted) = rw_compiler::syntax::format::format(&text) else { return };
    let again = rw_compiler::syntax::format::format(&formatted);
    assert_eq!(again.as_deref(), Ok(formatted.as_str()), "not idempotent");
    assert!(artifact(&text) == artifact(&formatted), "formatting changed the artifact");
});

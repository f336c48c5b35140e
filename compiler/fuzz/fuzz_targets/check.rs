//! Any text as a `.rw` file: the parser and checker return diagnostics, and
//! a spec without errors lowers to an artifact that validates, never a
//! panic. (The solver-backed checks are left out: each query is bounded by
//! its own timeout, and the property tests cover them.)
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let checked = rw_compiler::check_text("fuzz.rw", &text, None);
    if !checked.has_errors() && checked.program.is_spec() {
        if let Ok(artifact) = rw_compiler::compile(&checked) {
            let bytes = artifact.to_bytes();
            assert!(rw_runtime::Artifact::from_bytes(&bytes).is_ok(), "a compiled artifact must load");
        }
    }
});

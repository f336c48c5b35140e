//! Any text as a reward-machine file: a spec or an error naming the line;
//! every spec the importer writes parses and checks without errors of its
//! own making.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // Both semantics, as `rwc import rm` runs them (terminal states merged
    // for the original code's, apart for the intended).
    for (semantics, merge_terminals) in [(rwc::rm::Semantics::Original, true), (rwc::rm::Semantics::Intended, false)] {
        if let Ok(spec) = rwc::import::rm_to_rw(&text, "fuzz.txt", semantics, "", Some((0.9, 0.9)), merge_terminals) {
            let _ = rw_compiler::check_text("imported.rw", &spec.spec, None);
        }
    }
});

//! Any text as a reward-machine file: a spec or an error naming the line;
//! every spec the importer writes parses and checks without errors of its
//! own making.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(spec) = rwc::import::rm_to_rw(&text, "fuzz.txt", rwc::rm::Semantics::Original, "", Some((0.9, 0.9)), true) {
        let _ = rw_compiler::sema::check_text("imported.rw", &spec.spec, None);
    }
});

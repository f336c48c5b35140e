//! Any text as an LTLf formula in each foreign dialect: an rw formula or an
//! error with its column, never a panic; an imported formula checks.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rw_compiler::ltl_import::{Dialect, import};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for dialect in [Dialect::Spot, Dialect::Flloat, Dialect::Lydia] {
        if let Ok(formula) = import(dialect, &text) {
            let _ = rw_compiler::check_text("imported.rw", &format!("ltlf phi = {formula}\nreward = 0.0\n"), None);
        }
    }
});

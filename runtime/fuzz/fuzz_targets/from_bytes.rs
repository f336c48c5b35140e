//! Any byte string: `Artifact::from_bytes` returns a `LoadError` or an
//! artifact that evaluates without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rw_runtime::{Artifact, Evaluator, Options};

fuzz_target!(|data: &[u8]| {
    if let Ok(artifact) = Artifact::from_bytes(data) {
        // Creating an evaluator runs the constant part of the program.
        let _ = Evaluator::new(&artifact, 2, Options::default());
    }
});

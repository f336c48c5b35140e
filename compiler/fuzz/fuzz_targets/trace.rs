//! Any text as a trace of a spec with every kind of input (props, bool,
//! int and f32 inputs with ranges, a vector, criteria): each line is read
//! or reported, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

const SPEC: &str = "
props coffee, office
input ok: bool
input length: int in 0..=8192
input score: f32 in 0.0..1.0
input scores: f32[3]
input checks: criteria
reward = if ok & coffee then score + checks.score else 0.0 + sum(scores) - length / 8192
";

fn artifact() -> &'static rw_runtime::Artifact {
    static ARTIFACT: OnceLock<rw_runtime::Artifact> = OnceLock::new();
    ARTIFACT.get_or_init(|| {
        let checked = rw_compiler::check_text("trace.rw", SPEC, None);
        rw_compiler::compile(&checked).unwrap_or_else(|_| panic!("the fuzz spec compiles"))
    })
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = rwc::eval::read_trace(artifact(), &text);
});

//! Helpers shared by the workspace-level tests: checking a file the way
//! `rwc check` does, reading the `expect:` header of a case, and rendering
//! diagnostics without colour for snapshots.

use rw_compiler::sema::Checked;
use std::path::{Path, PathBuf};

pub mod spec_gen;

/// The workspace root (this crate lives in `tests/`).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

/// The `.rw` files directly inside `dir` (relative to the root), sorted.
pub fn rw_files(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "rw")).collect()
        })
        .unwrap_or_default();
    files.sort();
    files
}

/// Checks a file under the name it has in its directory, so that rendered
/// diagnostics do not depend on where the checkout is.
pub fn check(path: &Path) -> (String, Checked) {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let mut checked = rw_compiler::check_text(&name, &text, path.parent());
    // The solver-backed checks, as `rwc check` runs them.
    rw_verify::verify(&mut checked, &rw_verify::Options::default());
    (text, checked)
}

/// The codes a case's first line promises: `// expect: RW0201, RW0301`, or
/// `// expect: ok` for none.
pub fn expected_codes(source: &str) -> Option<Vec<String>> {
    let header = source.lines().find(|l| l.trim_start().starts_with("// expect:"))?;
    let spec = header.trim_start().trim_start_matches("// expect:").trim();
    if spec == "ok" {
        return Some(Vec::new());
    }
    let mut codes: Vec<String> = spec.split(',').map(|c| c.trim().to_string()).filter(|c| !c.is_empty()).collect();
    codes.sort();
    Some(codes)
}

/// The codes of all diagnostics, sorted.
pub fn codes(checked: &Checked) -> Vec<String> {
    let mut codes: Vec<String> = checked.diagnostics.iter().map(|d| d.code.to_string()).collect();
    codes.sort();
    codes
}

/// Diagnostics rendered as `rwc check` prints them, colour off, trailing
/// spaces trimmed.
pub fn render(checked: &Checked) -> String {
    let text = rwc::render::human(&checked.sources, &checked.diagnostics, false);
    text.lines().map(str::trim_end).collect::<Vec<_>>().join("\n")
}

/// xorshift64*: deterministic per seed, so a failing case reproduces.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
    pub fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

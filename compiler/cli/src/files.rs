//! Reading inputs within size limits and writing outputs safely: the only
//! place the command line touches files.
//!
//! Every output is written to a temporary file beside its destination and
//! renamed over it, so a failure never leaves half a file; an output path
//! that names one of the command's inputs (the same file, however spelled)
//! is refused before anything is written.

use rw_compiler::source::{describe_io, read_limited};
use std::path::{Path, PathBuf};

/// Most bytes of a compiled artifact.
pub const MAX_ARTIFACT_BYTES: u64 = 64 << 20;
/// Most bytes of a reward-machine text file.
pub const MAX_RM_BYTES: u64 = 16 << 20;
/// Most bytes of a benchmark data file (`traces.bin`, `llm_batch.bin`) or formula list.
pub const MAX_BENCH_BYTES: u64 = 1 << 30;

/// A file's bytes, or the message saying why not: "cannot read `PATH`: REASON".
pub fn read(path: &Path, limit: u64) -> Result<Vec<u8>, String> {
    read_limited(path, limit).map_err(|e| format!("cannot read `{}`: {}", path.display(), describe_io(&e)))
}

/// A file's text, as [`read`].
pub fn read_text(path: &Path, limit: u64) -> Result<String, String> {
    let bytes = read(path, limit)?;
    String::from_utf8(bytes).map_err(|_| format!("cannot read `{}`: it is not UTF-8 text", path.display()))
}

/// Whether two paths name the same existing file.
fn same_file(a: &Path, b: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
        _ => false,
    }
}

/// Refuses an output path that names one of the inputs (checked before
/// any work, and again when writing).
pub fn not_an_input(out: &Path, inputs: &[&Path]) -> Result<(), String> {
    match inputs.iter().find(|i| same_file(out, i)) {
        Some(input) => Err(format!(
            "refusing to write `{}`: it is the input `{}`\nhelp: choose another output path",
            out.display(),
            input.display()
        )),
        None => Ok(()),
    }
}

/// Writes `bytes` to `out` atomically, refusing a path that is one of
/// `inputs`. The error is the message to print.
pub fn write_output(out: &Path, bytes: &[u8], inputs: &[&Path]) -> Result<(), String> {
    not_an_input(out, inputs)?;
    let dir = match out.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.is_dir() {
        return Err(format!("cannot write `{}`: the directory `{}` does not exist", out.display(), dir.display()));
    }
    let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "out".into());
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = std::fs::write(&temp, bytes).and_then(|()| std::fs::rename(&temp, out));
    result.map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        format!("cannot write `{}`: {}", out.display(), describe_io(&e))
    })
}

/// Replaces the file `path` with `bytes` atomically, keeping its
/// permissions: `rwc fmt` only, the one command whose job is to rewrite its
/// input (the formatter has checked that only whitespace changed).
pub fn rewrite_in_place(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let permissions = std::fs::metadata(path)
        .map_err(|e| format!("cannot write `{}`: {}", path.display(), describe_io(&e)))?
        .permissions();
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "out".into());
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = std::fs::write(&temp, bytes)
        .and_then(|()| std::fs::set_permissions(&temp, permissions))
        .and_then(|()| std::fs::rename(&temp, path));
    result.map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        format!("cannot write `{}`: {}", path.display(), describe_io(&e))
    })
}

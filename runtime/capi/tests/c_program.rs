//! A C program compiled against the checked-in header and linked with the
//! cdylib runs the office example and prints the README's rewards.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// `target/<profile>`, where cargo puts `librwc_runtime.so`.
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    exe.parent().and_then(Path::parent).expect("target/<profile>/deps/..").to_path_buf()
}

fn artifact(dir: &Path) -> PathBuf {
    let spec = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/office.rw");
    let mut checked = rw_compiler::check_file(&spec).expect("examples/office.rw is readable");
    rw_verify::verify(&mut checked, &rw_verify::Options::default());
    let artifact = rw_compiler::compile(&checked).expect("office.rw compiles");
    let path = dir.join("office.rwc");
    std::fs::write(&path, artifact.to_bytes()).expect("artifact written");
    path
}

#[test]
fn a_c_program_runs_the_office_example_through_the_abi() {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let target = target_dir();
    let lib = target.join("librwc_runtime.so");
    // Integration tests link the rlib; build the cdylib beside it, always
    // (a library left from an earlier build may have an older ABI).
    let mut build = Command::new(env!("CARGO"));
    build.args(["build", "-p", "rw-capi"]);
    if target.file_name().is_some_and(|profile| profile == "release") {
        build.arg("--release");
    }
    let status = build.status().expect("cargo runs");
    assert!(status.success(), "cargo build -p rw-capi failed");
    assert!(lib.exists(), "no {}", lib.display());
    let work = std::env::temp_dir().join(format!("rwc-capi-{}", std::process::id()));
    std::fs::create_dir_all(&work).expect("temp dir");
    let exe = work.join("office");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let compiled = Command::new(&cc)
        .args(["-std=c99", "-Wall", "-Werror", "-o"])
        .arg(&exe)
        .arg(manifest.join("tests/c/office.c"))
        .arg("-I")
        .arg(manifest.join("include"))
        .arg("-L")
        .arg(&target)
        .arg("-lrwc_runtime")
        .output()
        .expect("a C compiler (`cc`, or $CC) is installed");
    assert!(compiled.status.success(), "cc failed:\n{}", String::from_utf8_lossy(&compiled.stderr));
    let run = Command::new(&exe).arg(artifact(&work)).env("LD_LIBRARY_PATH", &target).output().expect("runs");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(run.status.success(), "office failed:\n{stdout}\n{}", String::from_utf8_lossy(&run.stderr));
    let expected = "\
inputs coffee:0:0 mail:0:0 office:0:0 decoration:0:0
logs steps_to_goal:1
step 0: 0.200000048 0 2 | 1.10000002 0 1
step 1: 0.200000048 0 2 | 0 1 6
step 2: 1.10000002 0 1
step 3: 2 1 0
error: expected 4 input columns, found 1
error: `coffee` must hold 0 or 1 in every byte
error: `coffee`: `bit_mask` must be one bit of a byte (1 << k, k < 8), not 0x3
error: file too short to be an rw artifact (4 bytes)
error: lane 7 is out of range (the batch has 2)
";
    assert_eq!(stdout, expected);
    let _ = std::fs::remove_dir_all(&work);
}

//! Runs every example of docs/traces.md: blocks whose info string names a
//! file (```` ```rw file=NAME ````) are written into a scratch folder, and
//! each `$ rwc ...` line of a ```` ```console ```` block is run there; its
//! stdout must be exactly the lines that follow, except lines that start
//! with `[RW`, which must appear in its stderr (diagnostics).

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::path::Path;
use std::process::Command;

#[test]
fn every_example_of_the_trace_contract_runs_as_documented() {
    let doc_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/traces.md");
    let doc = std::fs::read_to_string(&doc_path).unwrap();
    let dir = std::env::temp_dir().join(format!("rwc-traces-doc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut lines = doc.lines().enumerate().peekable();
    let (mut files, mut commands) = (0, 0);
    while let Some((number, line)) = lines.next() {
        let Some(info) = line.strip_prefix("```") else { continue };
        let body: Vec<&str> = lines.by_ref().map(|(_, l)| l).take_while(|l| !l.starts_with("```")).collect();
        if let Some(name) = info.split_whitespace().find_map(|w| w.strip_prefix("file=")) {
            std::fs::write(dir.join(name), body.join("\n") + "\n").unwrap();
            files += 1;
        } else if info.trim() == "console" {
            let mut k = 0;
            while k < body.len() {
                let command = body[k].strip_prefix("$ rwc ").unwrap_or_else(|| {
                    panic!("docs/traces.md:{}: a console block starts with `$ rwc `", number + k + 2)
                });
                let mut expected = Vec::new();
                k += 1;
                while k < body.len() && !body[k].starts_with("$ ") {
                    expected.push(body[k]);
                    k += 1;
                }
                let out = Command::new(env!("CARGO_BIN_EXE_rwc"))
                    .args(command.split_whitespace())
                    .current_dir(&dir)
                    .env("NO_COLOR", "1")
                    .output()
                    .unwrap();
                let stdout = String::from_utf8_lossy(&out.stdout);
                let stderr = String::from_utf8_lossy(&out.stderr);
                let (diagnostics, rows): (Vec<&str>, Vec<&str>) = expected.iter().partition(|l| l.starts_with("[RW"));
                let want: String = rows.iter().map(|l| format!("{l}\n")).collect();
                assert_eq!(stdout, want, "docs/traces.md:{}: `rwc {command}`\nstderr: {stderr}", number + 1);
                for d in &diagnostics {
                    assert!(
                        stderr.contains(d),
                        "docs/traces.md:{}: `rwc {command}` should report {d}\n{stderr}",
                        number + 1
                    );
                }
                let code = if diagnostics.is_empty() { 0 } else { 1 };
                assert_eq!(out.status.code(), Some(code), "docs/traces.md:{}: `rwc {command}`: {stderr}", number + 1);
                commands += 1;
            }
        }
    }
    assert!(files >= 10 && commands >= 8, "only {files} files and {commands} commands in docs/traces.md");
}

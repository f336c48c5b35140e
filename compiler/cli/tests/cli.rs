//! The `rwc` command line as scripts and editors see it: exit codes, the JSON
//! diagnostic format of CLI.md, and help text.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;
use common::{root, rwc, text};

#[test]
fn a_clean_file_exits_0_and_says_ok() {
    let out = rwc(&["check", "examples/office.rw"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("examples/office.rw: ok (spec `office_delivery`"), "{}", text(&out.stdout));
    assert!(out.stderr.is_empty());
}

#[test]
fn every_example_and_stdlib_module_checks() {
    let mut args = vec!["check".to_string()];
    for dir in ["examples", "stdlib"] {
        for entry in std::fs::read_dir(root().join(dir)).expect("read dir").flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(".rw") {
                args.push(format!("{dir}/{name}"));
            }
        }
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = rwc(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn errors_exit_1_with_the_diagnostic() {
    let out = rwc(&["check", "tests/ui/err/unknown_prop_typo.rw"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("[RW0201] Error: unknown name `cofee`"), "{stderr}");
    assert!(stderr.contains("did you mean `coffee`?"), "{stderr}");
    assert!(stderr.contains("unknown_prop_typo.rw:5:17"), "{stderr}");
}

#[test]
fn unreadable_files_and_bad_flags_exit_2() {
    let out = rwc(&["check", "no/such/file.rw"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("cannot read `no/such/file.rw`: no such file"));

    // A missing file does not stop the others from being checked.
    let out = rwc(&["check", "--format", "json", "no/such/file.rw", "tests/ui/err/unknown_name.rw"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stdout).contains("\"RW0201\""));

    assert_eq!(rwc(&["check", "--format", "yaml", "examples/office.rw"]).status.code(), Some(2));
    assert_eq!(rwc(&["check"]).status.code(), Some(2));
    assert_eq!(rwc(&["frobnicate"]).status.code(), Some(2));
}

#[test]
fn json_output_follows_cli_md() {
    let out = rwc(&["check", "--format", "json", "tests/ui/err/duplicate_prop_input.rw", "examples/office.rw"]);
    assert_eq!(out.status.code(), Some(1));
    let lines: Vec<serde_json::Value> =
        text(&out.stdout).lines().map(|l| serde_json::from_str(l).expect("every line is JSON")).collect();
    assert_eq!(lines.len(), 2, "one diagnostic and the summary");
    let d = &lines[0];
    let mut keys: Vec<&str> = d.as_object().expect("object").keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["code", "file", "help", "labels", "message", "notes", "severity"]);
    assert_eq!(d["code"], "RW0202");
    assert_eq!(d["severity"], "error");
    assert_eq!(d["file"], "tests/ui/err/duplicate_prop_input.rw");
    assert_eq!(d["message"], "`office` is declared twice");
    assert_eq!(d["help"], "rename one of them");
    let labels = d["labels"].as_array().expect("labels");
    assert_eq!(labels.len(), 2);
    let primary = labels.iter().find(|l| l["primary"] == true).expect("a primary label");
    // `input office: f32` is line 3 (after the header comment); `office` at columns 7..13.
    assert_eq!((primary["line"].as_u64(), primary["column"].as_u64()), (Some(3), Some(7)));
    assert_eq!((primary["end_line"].as_u64(), primary["end_column"].as_u64()), (Some(3), Some(13)));
    let secondary = labels.iter().find(|l| l["primary"] == false).expect("a secondary label");
    assert_eq!((secondary["line"].as_u64(), secondary["column"].as_u64()), (Some(2), Some(15)));
    assert_eq!(lines[1], serde_json::json!({"summary": {"files": 2, "errors": 1, "warnings": 0}}));
}

#[test]
fn help_is_useful_to_a_newcomer() {
    let out = rwc(&["--help"]);
    assert_eq!(out.status.code(), Some(0));
    let help = text(&out.stdout);
    assert!(help.contains("check") && help.contains("Examples:") && help.contains("Exit codes"), "{help}");
    let out = rwc(&["check", "--help"]);
    let help = text(&out.stdout);
    assert!(help.contains("--format") && help.contains("rwc check examples/office.rw"), "{help}");
}

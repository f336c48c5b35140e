//! Issue 9's inputs, each run through the `rwc` binary: a verdict or a
//! diagnostic, exit code 0, 1 or 2, no panic, no input overwritten, work
//! and memory bounded (an address-space limit, not a wall clock).

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;
use common::{temp, text};
use std::process::{Command, Output};

/// Runs `rwc` with a 4 GiB address-space limit (the binary reserves a
/// 1 GiB stack; a runaway allocation fails instead of swapping).
fn limited(args: &[&str]) -> Output {
    let mut line = format!("ulimit -v 4194304; exec '{}'", env!("CARGO_BIN_EXE_rwc"));
    for a in args {
        line.push_str(&format!(" '{}'", a.replace('\'', "'\\''")));
    }
    Command::new("sh").arg("-c").arg(line).env("NO_COLOR", "1").output().expect("run rwc")
}

fn assert_clean(o: &Output, what: &str) {
    let err = text(&o.stderr);
    assert!(matches!(o.status.code(), Some(0..=2)), "{what}: exit {:?}\n{err}", o.status.code());
    assert!(!err.contains("panicked") && !err.contains("overflow"), "{what}: {err}");
}

#[test]
fn an_output_that_names_an_input_is_refused_and_the_input_kept() {
    let src = temp("same.rw");
    std::fs::write(
        &src,
        "props a\nmachine m {\n  start u0\n  u0 -> g when a reward 1\n  terminal g\n}\nreward = m.reward\n",
    )
    .unwrap();
    let before = std::fs::read(&src).unwrap();
    let s = src.to_str().unwrap();
    for args in [vec!["compile", s, "-o", s], vec!["dot", s, "-o", s]] {
        let o = limited(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(text(&o.stderr).contains("refusing to write"), "{}", text(&o.stderr));
        assert_eq!(std::fs::read(&src).unwrap(), before, "{args:?} changed the input");
    }
    // Source text in a file named .rwc: the default output is the input itself.
    let rwc_named = temp("source.rwc");
    std::fs::write(&rwc_named, &before).unwrap();
    let o = limited(&["compile", rwc_named.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(std::fs::read(&rwc_named).unwrap(), before);
    // A missing directory is named.
    let o = limited(&["compile", s, "-o", "/nonexistent-dir/x.rwc"]);
    assert!(text(&o.stderr).contains("the directory `/nonexistent-dir` does not exist"), "{}", text(&o.stderr));
}

#[test]
fn endless_and_huge_inputs_stop_at_their_limits() {
    let spec = temp("zero.rw");
    std::fs::write(&spec, "use \"/dev/zero\"\nreward = 1.0\n").unwrap();
    for args in [
        vec!["check", "/dev/zero"],
        vec!["check", spec.to_str().unwrap()],
        vec!["eval", "examples/office.rw", "--trace", "/dev/zero"],
        vec!["import", "rm", "/dev/zero"],
        vec!["inspect", "/dev/zero.rwc"],
    ] {
        let o = Command::new("sh")
            .arg("-c")
            .arg(format!(
                "cd '{}' && ulimit -v 4194304 && exec '{}' {}",
                common::root().display(),
                env!("CARGO_BIN_EXE_rwc"),
                args.join(" ")
            ))
            .output()
            .unwrap();
        assert_clean(&o, &format!("{args:?}"));
        assert_ne!(o.status.code(), Some(0), "{args:?}");
    }
}

#[test]
fn the_issue_panics_are_diagnostics() {
    let rm = temp("big.rm");
    std::fs::write(&rm, "0\n[]\n(0,4294967295,\"a\",ConstantRewardFunction(1))\n").unwrap();
    let o = limited(&["import", "rm", rm.to_str().unwrap()]);
    assert_clean(&o, "rm state");
    assert!(text(&o.stderr).contains("larger than the limit"), "{}", text(&o.stderr));
    for formula in ["!".repeat(3500) + "a", "X".repeat(3500) + " a"] {
        let o = limited(&["import", "ltlf", "--from", "spot", &formula]);
        assert_clean(&o, "deep unary");
        assert_eq!(o.status.code(), Some(1));
    }
    for count in ["18446744073709551615", "4294967296"] {
        let o = limited(&["bench", "ltlf", "--count", count]);
        assert_clean(&o, count);
        assert_eq!(o.status.code(), Some(2));
    }
    // 2,000 chained fns and 2,500 chained lets check, on every profile.
    let fns = temp("fns.rw");
    let mut src = String::from("input x: f32 in 0.0..=1.0\nfn f0(a: f32) -> f32 = a\n");
    for i in 1..2000 {
        src.push_str(&format!("fn f{i}(a: f32) -> f32 = f{}(a) + 1.0\n", i - 1));
    }
    src.push_str("reward = f1999(x)\n");
    std::fs::write(&fns, src).unwrap();
    let lets = temp("lets.rw");
    let mut src = String::from("input x: f32 in 0.0..=1.0\nlet l0 = x\n");
    for i in 1..2500 {
        src.push_str(&format!("let l{i} = l{} + 1.0\n", i - 1));
    }
    src.push_str("reward = l2499\n");
    std::fs::write(&lets, src).unwrap();
    for f in [&fns, &lets] {
        let o = limited(&["check", "--explain", f.to_str().unwrap()]);
        assert_clean(&o, "chains");
        assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    }
}

#[test]
fn every_line_ending_ends_a_line() {
    // CR-only line endings: the comment ends at the `\r`, so `reward` is read.
    let cr = temp("cr.rw");
    std::fs::write(&cr, "input x: f32 in 0.0..=1.0 // a comment\rreward = x * 2.0\r").unwrap();
    let o = limited(&["check", "--explain", cr.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("bounds [0, 2]"), "{}", text(&o.stdout));
    // A trace with a byte order mark and CR line endings.
    let trace = temp("bom.jsonl");
    std::fs::write(&trace, "\u{feff}{\"props\": [\"coffee\"]}\r{\"props\": [\"office\"]}\r").unwrap();
    let spec = common::root().join("examples/office.rw");
    let o = limited(&["eval", spec.to_str().unwrap(), "--trace", trace.to_str().unwrap(), "--format", "csv"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout).lines().count(), 3, "{}", text(&o.stdout));
}

#[test]
fn long_chains_and_many_errors_stop_with_a_diagnostic() {
    // A 20,000-deep `else if` chain on one line: past the nesting limit.
    let chain = temp("chain.rw");
    let arms: Vec<String> = (0..20_000).map(|i| format!("if x == {i} then {i}.0")).collect();
    std::fs::write(&chain, format!("input x: int in 0..=30000\nreward = {} else 0.0\n", arms.join(" else "))).unwrap();
    let o = limited(&["check", chain.to_str().unwrap()]);
    assert_clean(&o, "else-if chain");
    assert!(text(&o.stderr).contains("the limit is 1000"), "{}", text(&o.stderr));
    // 30,000 syntax errors: the first 100, then one that says the parser stopped.
    let errors = temp("errors.rw");
    std::fs::write(&errors, "reward = = 1\n".repeat(30_000)).unwrap();
    let o = limited(&["check", errors.to_str().unwrap()]);
    assert_clean(&o, "many errors");
    assert!(text(&o.stderr).contains("stopped after 100 syntax errors"), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("101 errors"), "{}", text(&o.stderr));
}

#[test]
fn check_rejects_what_compile_cannot_build() {
    // 52 vector inputs of 65,536 elements, each reduced: millions of values per step.
    let spec = temp("vectors.rw");
    let mut src: String = (0..52).map(|i| format!("input v{i}: f32[65536]\n")).collect();
    src.push_str(&format!("reward = {}\n", (0..52).map(|i| format!("sum(v{i})")).collect::<Vec<_>>().join(" + ")));
    std::fs::write(&spec, src).unwrap();
    for command in ["check", "compile"] {
        let o = limited(
            &[command, spec.to_str().unwrap(), "-o", "/dev/null"].map(|s| s).as_slice()
                [..if command == "check" { 2 } else { 4 }],
        );
        assert_clean(&o, command);
        assert_eq!(o.status.code(), Some(1), "{command}: {}", text(&o.stderr));
        assert!(text(&o.stderr).contains("the limits are 1048576"), "{}", text(&o.stderr));
    }
}

#[test]
fn ambiguous_trace_values_are_errors() {
    let spec = temp("unit.rw");
    std::fs::write(&spec, "props coffee\ninput x: f32 in 0.0..1.0\nreward = x\n").unwrap();
    let run = |line: &str| {
        let trace = temp("line.jsonl");
        std::fs::write(&trace, format!("{line}\n")).unwrap();
        limited(&["eval", spec.to_str().unwrap(), "--trace", trace.to_str().unwrap()])
    };
    // A key given twice: JSON parsers disagree on which wins.
    let o = run(r#"{"x": 0.5, "x": 0.25}"#);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("the field `x` appears twice"), "{}", text(&o.stderr));
    // In range as an f64, but 1.0 (outside the exclusive range) as the f32 the runtime gets.
    let o = run(r#"{"x": 0.99999999999}"#);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("as an f32 (1.0) is outside"), "{}", text(&o.stderr));
    let o = run(r#"{"x": 0.9999999}"#);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
}

#[test]
fn translation_checks_and_traces_stay_bounded() {
    // Twelve atoms, within the documented limit (16): both compile.
    let props: Vec<String> = (0..12).map(|i| format!("p{i}")).collect();
    let or = props.join(" | ");
    let chain = (1..12).rev().fold("F p11".to_string(), |inner, i| format!("F (p{} & {inner})", i - 1));
    for (name, formula) in [("or12.rw", format!("G ({or})")), ("chain12.rw", chain)] {
        let spec = temp(name);
        std::fs::write(
            &spec,
            format!("props {}\nltlf phi = {formula}\nreward = if phi.sat then 1.0 else 0.0\n", props.join(", ")),
        )
        .unwrap();
        let out = temp(&format!("{name}.rwc"));
        let o = limited(&["compile", spec.to_str().unwrap(), "-o", out.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "{name}: {}", text(&o.stderr));
    }
    // A 40-state chain of cubic guards: the overall budget ends the check.
    let cubic = temp("cubic.rw");
    let mut src = String::from("input x: f32 in -10.0..=10.0\nmachine m {\n  start u0\n");
    for i in 0..40 {
        src.push_str(&format!("  u{i} -> u{} when x * x * x > {i}.5 reward 1\n", i + 1));
    }
    src.push_str("  terminal u40\n}\nreward = m.reward\n");
    std::fs::write(&cubic, src).unwrap();
    let o = limited(&["check", "--budget-ms", "1500", "--timeout-ms", "0", cubic.to_str().unwrap()]);
    assert_clean(&o, "cubic chain");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    // 8,000 one-step episodes and one 8,000-step episode: streamed, linear.
    let trace = temp("episodes.jsonl");
    let mut lines = String::new();
    for i in 0..8000 {
        lines.push_str(&format!("{{\"episode\": {i}, \"props\": [\"coffee\"]}}\n"));
    }
    lines.push_str(&"{\"episode\": \"long\", \"props\": []}\n".repeat(8000));
    std::fs::write(&trace, lines).unwrap();
    let spec = common::root().join("examples/office.rw");
    let o = limited(&["eval", spec.to_str().unwrap(), "--trace", trace.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout).lines().count(), 16_000);
}

#[test]
fn artifacts_cannot_declare_unbounded_memory() {
    let spec = temp("small.rw");
    std::fs::write(&spec, "props a\nreward = if a then 1.0 else 0.0\n").unwrap();
    let good = temp("small.rwc");
    assert_eq!(limited(&["compile", spec.to_str().unwrap(), "-o", good.to_str().unwrap()]).status.code(), Some(0));
    let mut artifact = rw_runtime::Artifact::from_bytes(&std::fs::read(&good).unwrap()).unwrap();
    artifact.registers = 1 << 20;
    let bomb = temp("bomb.rwc");
    std::fs::write(&bomb, artifact.to_bytes()).unwrap();
    let trace = temp("thousand.jsonl");
    std::fs::write(&trace, (0..1000).map(|i| format!("{{\"episode\": {i}, \"a\": true}}\n")).collect::<String>())
        .unwrap();
    let o = limited(&["eval", bomb.to_str().unwrap(), "--trace", trace.to_str().unwrap()]);
    assert_clean(&o, "register bomb");
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("the limits are"), "{}", text(&o.stderr));
}

#[test]
fn other_outputs_that_name_inputs_are_refused() {
    let rm = temp("task.rm");
    std::fs::write(&rm, "0\n[1]\n(0,1,'a',ConstantRewardFunction(1))\n").unwrap();
    let before = std::fs::read(&rm).unwrap();
    let o = limited(&["import", "rm", rm.to_str().unwrap(), "-o", rm.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert_eq!(std::fs::read(&rm).unwrap(), before);
    let traces = temp("t.bin");
    std::fs::write(&traces, b"RMTR not really").unwrap();
    let spec = common::root().join("examples/office.rw");
    let o = limited(&[
        "bench",
        "rm",
        spec.to_str().unwrap(),
        "--traces",
        traces.to_str().unwrap(),
        "--out",
        traces.to_str().unwrap(),
    ]);
    assert_clean(&o, "bench rm");
    assert_ne!(o.status.code(), Some(0));
    assert_eq!(std::fs::read(&traces).unwrap(), b"RMTR not really");
}

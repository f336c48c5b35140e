//! The W1 and W2 benchmark workloads, with inputs written by the project's
//! own generator (`bench/gen_data.py`, once per test run):
//!
//! - everywhere: the generated files have the checksums of `bench/CHECKSUMS`,
//!   `rwc bench rm` gives the documented reward and final-state sums on
//!   office.rm and random32.rm, and `rwc bench llm` the documented reward sum;
//! - with the baselines' folder `../shared/bench` beside the checkout (as in
//!   CI): its generator writes the same bytes, `rwc bench rm` writes result
//!   files byte-identical to its C implementation (`c_rm.c`, built here), and
//!   `rwc bench llm` is within 1e-5 of its Python reference on every
//!   completion. Without it, each of these says in one line that it was
//!   skipped.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn shared_bench() -> PathBuf {
    repo().join("../shared/bench")
}

/// Whether the baselines' folder is there; prints the skip line if not.
fn shared_present(test: &str) -> bool {
    let present = shared_bench().join("gen_data.py").exists();
    if !present {
        // Straight to stderr: the test harness captures `println!`.
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "skipped {test}: ../shared/bench is not beside the checkout (the cross-check runs in CI)"
        );
    }
    present
}

fn sha256(path: &Path) -> String {
    let out = Command::new("sha256sum").arg(path).output().expect("sha256sum");
    String::from_utf8_lossy(&out.stdout).split_whitespace().next().unwrap_or_default().to_string()
}

fn succeeded(what: &str, out: std::io::Result<Output>) -> Output {
    let out = out.unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(out.status.success(), "{what} failed: {}", String::from_utf8_lossy(&out.stderr));
    out
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rwc-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The project's generated data, shared by the tests of this file.
fn data() -> &'static Path {
    static DATA: OnceLock<PathBuf> = OnceLock::new();
    DATA.get_or_init(|| {
        let data = temp_dir("bench");
        succeeded(
            "bench/gen_data.py (./scripts/setup.sh installs numpy)",
            Command::new("python3").arg(repo().join("bench/gen_data.py")).arg(&data).output(),
        );
        data
    })
}

fn bench(args: &[&str], paths: &[(&str, &Path)]) -> serde_json::Value {
    let mut command = Command::new(env!("CARGO_BIN_EXE_rwc"));
    command.arg("bench").args(args);
    for (flag, path) in paths {
        if !flag.is_empty() {
            command.arg(flag);
        }
        command.arg(path);
    }
    // Samples of several passes each (`--min-time`): the results are the
    // last pass's, which must be those of any pass.
    let out = succeeded("rwc bench", command.args(["--repeat", "2", "--threads", "2", "--min-time", "0.005"]).output());
    serde_json::from_slice(&out.stdout).expect("one JSON line")
}

fn read_f32(path: &Path) -> Vec<f32> {
    std::fs::read(path).unwrap().chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
}

#[test]
fn generated_inputs_have_the_documented_checksums() {
    let documented = std::fs::read_to_string(repo().join("bench/CHECKSUMS")).unwrap();
    let mut checked = 0;
    for line in documented.lines() {
        let (sum, file) = line.split_once("  ").expect("sha256sum format");
        assert_eq!(sha256(&data().join(file)), sum, "bench/gen_data.py wrote a different {file}");
        checked += 1;
    }
    assert_eq!(checked, 3);
}

#[test]
fn bench_rm_gives_the_documented_checksums() {
    let traces = data().join("traces.bin");
    for (rm, reward_sum, final_state_sum) in [("office", 596.0, 19884), ("random32", 112567.5, 82148)] {
        let line = bench(&["rm"], &[("", &data().join(format!("{rm}.rm"))), ("--traces", &traces)]);
        assert_eq!(line["bench"], "rm");
        assert_eq!((line["envs"].as_u64(), line["steps"].as_u64()), (Some(4096), Some(256)));
        assert_eq!(line["reward_sum"].as_f64(), Some(reward_sum), "{rm}");
        assert_eq!(line["final_state_sum"].as_u64(), Some(final_state_sum), "{rm}");
        assert!(line["steps_per_s"].as_f64().unwrap() > 0.0);
    }
}

#[test]
fn bench_refuses_a_min_time_out_of_range() {
    for bad in ["-1", "61", "NaN"] {
        let out = Command::new(env!("CARGO_BIN_EXE_rwc"))
            .args(["bench", "llm", "examples/grpo_composite.rw", "--batch", "none.bin", "--min-time", bad])
            .current_dir(repo())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "--min-time {bad}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(&format!("`--min-time {bad}` must be between 0 and 60 seconds")), "{stderr}");
    }
}

/// W2's rewards; written once, read by both W2 tests.
fn w2_rewards() -> &'static (PathBuf, serde_json::Value) {
    static W2: OnceLock<(PathBuf, serde_json::Value)> = OnceLock::new();
    W2.get_or_init(|| {
        let out = data().join("w2_rwc.f32");
        let spec = repo().join("examples/grpo_composite.rw");
        let line = bench(&["llm"], &[("", &spec), ("--batch", &data().join("llm_batch.bin")), ("--out", &out)]);
        (out, line)
    })
}

#[test]
fn bench_llm_gives_the_documented_sum() {
    let (out, line) = w2_rewards();
    assert_eq!((line["bench"].as_str(), line["completions"].as_u64()), (Some("llm"), Some(65_536)));
    let rewards = read_f32(out);
    assert_eq!(rewards.len(), 65_536);
    let sum: f64 = rewards.iter().map(|&r| f64::from(r)).sum();
    // The Python reference's float64 sum; each f32 reward is within 2.4e-7.
    assert!((sum - 71350.4669).abs() < 0.02, "sum of rewards {sum}");
    assert!((line["reward_sum"].as_f64().unwrap() - sum).abs() < 1e-6);
}

#[test]
fn generator_matches_the_baselines_generator() {
    if !shared_present("generator_matches_the_baselines_generator") {
        return;
    }
    let theirs = shared_data();
    for file in ["traces.bin", "llm_batch.bin"] {
        assert_eq!(sha256(&theirs.join(file)), sha256(&data().join(file)), "{file}");
    }
    assert_eq!(sha256(&shared_bench().join("random32.rm")), sha256(&data().join("random32.rm")));
}

/// The baselines' generated data (it also writes the C reference's tables).
fn shared_data() -> &'static Path {
    static DATA: OnceLock<PathBuf> = OnceLock::new();
    DATA.get_or_init(|| {
        let data = temp_dir("shared-bench");
        succeeded(
            "../shared/bench/gen_data.py",
            Command::new("python3").arg("gen_data.py").env("BENCH_DATA", &data).current_dir(shared_bench()).output(),
        );
        data
    })
}

#[test]
fn bench_llm_matches_the_python_reference() {
    if !shared_present("bench_llm_matches_the_python_reference") {
        return;
    }
    let reference = data().join("w2_py.f32");
    succeeded(
        "py_llm.py",
        Command::new("python3")
            .arg(shared_bench().join("py_llm.py"))
            .arg(data().join("llm_batch.bin"))
            .arg("--out")
            .arg(&reference)
            .args(["--repeat", "1"])
            .output(),
    );
    let (ours, reference) = (read_f32(&w2_rewards().0), read_f32(&reference));
    assert_eq!(ours.len(), reference.len());
    for (k, (a, b)) in ours.iter().zip(&reference).enumerate() {
        assert!((a - b).abs() <= 1e-5, "completion {k}: rwc {a}, reference {b}");
    }
}

#[test]
fn bench_rm_matches_the_c_reference_byte_for_byte() {
    if !shared_present("bench_rm_matches_the_c_reference_byte_for_byte") {
        return;
    }
    let tables = shared_data();
    let c_rm = tables.join("c_rm");
    succeeded(
        "cc c_rm.c",
        Command::new("cc").args(["-O2", "-o"]).arg(&c_rm).arg(shared_bench().join("c_rm.c")).output(),
    );
    let traces = data().join("traces.bin");
    for rm in ["office", "random32"] {
        let prefix = tables.join(format!("c_{rm}"));
        succeeded(
            "c_rm",
            Command::new(&c_rm)
                .arg(tables.join(format!("{rm}.tbl")))
                .arg(&traces)
                .arg("-o")
                .arg(&prefix)
                .args(["-r", "1"])
                .output(),
        );
        let reference = std::fs::read(tables.join(format!("c_{rm}_c_env_inner.bin"))).unwrap();
        let result = data().join(format!("w1_{rm}_rwc.bin"));
        // The baselines' own office.rm: the machine the C tables were built from.
        let spec = shared_bench().join(format!("{rm}.rm"));
        bench(&["rm"], &[("", &spec), ("--traces", &traces), ("--out", &result)]);
        let ours = std::fs::read(&result).unwrap();
        assert_eq!(ours.len(), reference.len(), "{rm}: result sizes differ");
        assert!(ours == reference, "{rm}: rwc's result file differs from the C reference");
    }
}

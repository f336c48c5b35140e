//! `rwc bench rm`: steps a reward machine over the W1 benchmark traces
//! (`bench/README.md`; `bench/gen_data.py` writes them), timing the evaluator alone.
//!
//! Every env runs all T steps without resets and `done` is ignored
//! (terminal states absorb with reward 0), as the baselines do. Timing is
//! the best of `--repeat` runs, excluding file loading, compilation and the
//! conversion of label bytes into prop columns.

use crate::{EXIT_INPUT_ERRORS, EXIT_USAGE, load};
use rw_runtime::artifact::{InputKind, ValueType};
use rw_runtime::{Artifact, Column, Evaluator, Isa, Options, StepInput};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[derive(clap::Subcommand, Debug)]
pub enum BenchCommand {
    /// Reward-machine stepping over a traces.bin file (workload W1)
    Rm(RmArgs),
    /// LTLf-to-DFA translation speed over a random corpus
    Ltlf(LtlfArgs),
    /// LTL-to-Büchi translation speed over a corpus stratified by class (compare: bench/spot_ltl.py)
    Ltl(crate::ltl_bench::LtlArgs),
    /// Time of `rwc check` (parsing, checking and every solver query) per file
    Check(CheckBenchArgs),
    /// A composite LLM reward over an llm_batch.bin file (workload W2)
    Llm(LlmArgs),
    /// Language-server latency: time from an edit to its diagnostics, fast and solver-backed
    Lsp(LspBenchArgs),
}

#[derive(clap::Args, Debug)]
pub struct LlmArgs {
    /// The spec (its inputs bind to the batch's columns by name)
    #[arg(value_name = "SPEC.rw")]
    pub spec: PathBuf,
    /// The batch (`llm_batch.bin` layout)
    #[arg(long, value_name = "LLM_BATCH.bin")]
    pub batch: PathBuf,
    /// Write float32 rewards[B] here
    #[arg(long, value_name = "RESULT.f32")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub run: RunArgs,
}

/// How a workload benchmark runs.
#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// Worker threads, each evaluating a contiguous share of the lanes
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Timed runs; the best is reported
    #[arg(long, default_value_t = 5)]
    pub repeat: usize,
    /// Each timed run repeats the whole workload until it has lasted at
    /// least this many seconds, and reports the time per pass (0: one pass;
    /// `bench/compare.py` uses 0.2, as the C baselines' samples)
    #[arg(long, default_value_t = 0.0, value_name = "SECONDS", allow_negative_numbers = true)]
    pub min_time: f64,
    /// Evaluation path: scalar (the reference), portable, avx2, avx512 or auto
    #[arg(long, default_value = "scalar")]
    pub isa: String,
}

impl RunArgs {
    /// The evaluation path, or a usage error naming the paths this CPU has.
    pub fn isa(&self) -> Result<Isa, (u8, String)> {
        crate::eval::parse_isa(&self.isa).map_err(|m| (EXIT_USAGE, m))
    }

    /// `--min-time`, checked.
    fn min_time(&self) -> Result<f64, (u8, String)> {
        if self.min_time.is_finite() && (0.0..=60.0).contains(&self.min_time) {
            Ok(self.min_time)
        } else {
            Err((EXIT_USAGE, format!("`--min-time {}` must be between 0 and 60 seconds", self.min_time)))
        }
    }
}

/// The timed samples of a workload's workers: `repeats` samples, each of
/// the same number of passes in every worker, the workers starting each
/// sample together.
struct Samples {
    repeats: usize,
    min_time: f64,
    start_together: std::sync::Barrier,
    /// Passes per sample: the most any worker needs to last `min_time`.
    passes: std::sync::atomic::AtomicUsize,
}

impl Samples {
    fn new(workers: usize, run: &RunArgs) -> Result<Samples, (u8, String)> {
        Ok(Samples {
            repeats: run.repeat.max(1),
            min_time: run.min_time()?,
            start_together: std::sync::Barrier::new(workers),
            passes: std::sync::atomic::AtomicUsize::new(1),
        })
    }

    /// One worker's samples, in seconds per pass. One untimed pass first
    /// (it warms caches and pages, and sizes the samples).
    fn time(&self, mut pass: impl FnMut() -> Result<(), String>) -> Result<Vec<f64>, String> {
        use std::sync::atomic::Ordering::Relaxed;
        let start = Instant::now();
        pass()?;
        let one = start.elapsed().as_secs_f64().max(1e-9);
        // At most 10^6 passes however quick a pass (an empty workload).
        let passes = ((self.min_time / one).ceil() as usize).clamp(1, 1_000_000);
        self.passes.fetch_max(passes, Relaxed);
        self.start_together.wait();
        let passes = self.passes.load(Relaxed);
        let mut times = Vec::with_capacity(self.repeats);
        for _ in 0..self.repeats {
            self.start_together.wait();
            let start = Instant::now();
            for _ in 0..passes {
                pass()?;
            }
            times.push(start.elapsed().as_secs_f64() / passes as f64);
        }
        Ok(times)
    }
}

/// One worker's step times (one per repeat) and its lanes' rewards.
type WorkerRun = (Vec<f64>, Vec<f32>);

/// The W2 batch, struct of arrays.
struct LlmBatch {
    completions: usize,
    group_size: usize,
    correct: Vec<bool>,
    length: Vec<i32>,
    checklist: Vec<bool>,
    scores: Vec<f32>,
    reference: Vec<f32>,
}

fn read_llm_batch(path: &Path) -> Result<LlmBatch, String> {
    let bytes = crate::files::read(path, crate::files::MAX_BENCH_BYTES)?;
    let u32_at = |i: usize| bytes.get(i..i + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize);
    if bytes.get(0..4) != Some(b"LLMB") || u32_at(4) != Some(1) {
        return Err(format!("`{}` is not a version-1 LLM batch (no LLMB header)", path.display()));
    }
    let (b, group_size, k, e) =
        (u32_at(8).unwrap_or(0), u32_at(12).unwrap_or(0), u32_at(16).unwrap_or(0), u32_at(20).unwrap_or(0));
    if k != 8 || e != 4 || group_size == 0 {
        return Err(format!("unsupported batch shape: {k} checklist items, {e} scores, groups of {group_size}"));
    }
    let expected = 24 + b * (1 + 4 + 8 + 16 + 4);
    if bytes.len() != expected {
        return Err(format!("`{}` has {} bytes; its header implies {expected}", path.display(), bytes.len()));
    }
    let f32s = |from: usize, n: usize| -> Vec<f32> {
        bytes[from..from + 4 * n].chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect()
    };
    Ok(LlmBatch {
        completions: b,
        group_size,
        correct: bytes[24..24 + b].iter().map(|&x| x != 0).collect(),
        length: bytes[24 + b..24 + 5 * b]
            .chunks_exact(4)
            .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
        checklist: bytes[24 + 5 * b..24 + 13 * b].iter().map(|&x| x != 0).collect(),
        scores: f32s(24 + 13 * b, 4 * b),
        reference: f32s(24 + 29 * b, b),
    })
}

/// A worker's own copy of the program, made (first written) by the worker.
/// Where cores have separate last-level caches (this project's 2-vCPU VM;
/// multi-CCX EPYCs), data another thread wrote is fetched across caches
/// each time a step's streaming has evicted it. Measured on W2 with two
/// threads: 1.72× one thread with everything shared, 1.78× with each
/// worker's inputs copied, 1.96× with the program copied too.
/// A trainer gets the same by loading its program, and making its
/// evaluator, in the thread that steps it.
fn first_touch(program: &Artifact) -> Artifact {
    program.clone()
}

fn bench_llm(args: &LlmArgs) -> Result<(), (u8, String)> {
    let isa = args.run.isa()?;
    args.run.min_time()?; // a usage error before any file is read
    let program = load::program(&args.spec).map_err(|code| (code, "the spec did not compile".to_string()))?;
    let batch = read_llm_batch(&args.batch).map_err(|m| (EXIT_USAGE, m))?;
    let n = batch.completions;
    // Each completion is a one-step episode; groups are consecutive.
    let groups: Vec<u32> = (0..n).map(|l| (l / batch.group_size) as u32).collect();
    let last = vec![true; n];
    // Threads split the batch on group boundaries, so groups stay whole.
    let per_thread = n.div_ceil(args.run.threads.max(1)).div_ceil(batch.group_size) * batch.group_size;
    let ranges: Vec<(usize, usize)> = (0..n).step_by(per_thread.max(1)).map(|a| (a, (a + per_thread).min(n))).collect();
    // One worker per share of the lanes, each with its evaluator made once
    // (as a trainer keeps one); every repeat steps all lanes once, the
    // workers starting together. A repeat takes as long as its slowest
    // worker; the best repeat is reported. Each worker first copies the
    // program and its share of the batch (see `first_touch`).
    let samples = Samples::new(ranges.len(), &args.run)?;
    let results: Vec<Result<WorkerRun, String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = ranges
            .iter()
            .map(|&(a, b)| {
                let (program, batch, groups, last, samples) = (&program, &batch, &groups, &last, &samples);
                scope.spawn(move || -> Result<WorkerRun, String> {
                    let program = &first_touch(program);
                    let (correct, length) = (batch.correct[a..b].to_vec(), batch.length[a..b].to_vec());
                    let (checklist, scores) = (batch.checklist[8 * a..8 * b].to_vec(), batch.scores[4 * a..4 * b].to_vec());
                    let (reference, groups, last) = (batch.reference[a..b].to_vec(), groups[a..b].to_vec(), last[a..b].to_vec());
                    let mut columns = Vec::with_capacity(program.inputs.len());
                    for input in &program.inputs {
                        columns.push(match (input.name.as_str(), input.kind) {
                            ("correct", InputKind::Scalar(ValueType::Bool)) => Column::Bool(&correct),
                            ("length", InputKind::Scalar(ValueType::Int)) => Column::Int(&length),
                            ("checklist", InputKind::Vector(ValueType::Bool, 8)) => Column::BoolVec(&checklist),
                            ("scores", InputKind::Vector(ValueType::F32, 4)) => Column::F32Vec(&scores),
                            ("ref", InputKind::Scalar(ValueType::F32)) => Column::F32(&reference),
                            (name, kind) => {
                                return Err(format!(
                                    "input `{name}: {kind}` has no column in the batch (it has correct: bool, length: int, checklist: bool[8], scores: f32[4], ref: f32)"
                                ));
                            }
                        });
                    }
                    let mut eval = Evaluator::try_new(program, b - a, Options { isa, ..Options::default() })
                        .map_err(|e| e.to_string())?;
                    let input = StepInput { columns: &columns, last: Some(&last), groups: Some(&groups), active: None };
                    // Every completion ends its episode: each pass is the same step.
                    let times = samples.time(|| eval.step(&input).map(|_| ()).map_err(|e| e.to_string()))?;
                    Ok((times, eval.output().reward.clone()))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err("a worker thread panicked".into()))).collect()
    });
    let mut rewards = vec![0f32; n];
    let mut slowest = vec![0f64; samples.repeats];
    for (&(a, b), result) in ranges.iter().zip(results) {
        let (times, chunk) = result.map_err(|e| (EXIT_INPUT_ERRORS, e))?;
        rewards[a..b].copy_from_slice(&chunk);
        for (s, t) in slowest.iter_mut().zip(times) {
            *s = s.max(t);
        }
    }
    let best = slowest.iter().copied().fold(f64::INFINITY, f64::min);
    if let Some(out) = &args.out {
        let bytes: Vec<u8> = rewards.iter().flat_map(|r| r.to_le_bytes()).collect();
        crate::files::write_output(out, &bytes, &[&args.spec, &args.batch]).map_err(|e| (EXIT_USAGE, e))?;
    }
    let reward_sum: f64 = rewards.iter().map(|&r| f64::from(r)).sum();
    println!(
        "{}",
        serde_json::json!({
            "bench": "llm",
            "spec": args.spec.display().to_string(),
            "completions": n,
            "threads": ranges.len(),
            "isa": isa.name(),
            "completions_per_s": n as f64 / best,
            "reward_sum": reward_sum,
        })
    );
    Ok(())
}

#[derive(clap::Args, Debug)]
pub struct CheckBenchArgs {
    #[arg(required = true, value_name = "FILE.rw")]
    pub files: Vec<PathBuf>,
    /// Timed runs per file; the best is reported
    #[arg(long, default_value_t = 10)]
    pub repeat: usize,
}

/// One JSON line per file: `{"bench": "check", "file", "best_ms", "diagnostics"}`.
fn bench_check(args: &CheckBenchArgs) -> Result<(), (u8, String)> {
    for file in &args.files {
        let mut best = f64::INFINITY;
        let mut count = 0;
        for _ in 0..args.repeat.max(1) {
            let start = Instant::now();
            let mut checked = rw_compiler::check_file(file).map_err(|e| {
                (EXIT_USAGE, format!("cannot read `{}`: {}", file.display(), crate::check::describe_io(&e)))
            })?;
            rw_verify::verify(&mut checked, &rw_verify::Options::default());
            let explained = rw_verify::outputs::explain(&checked.program, &rw_verify::Options::default());
            best = best.min(start.elapsed().as_secs_f64());
            std::hint::black_box(&explained);
            count = checked.diagnostics.len();
        }
        println!(
            "{}",
            serde_json::json!({"bench": "check", "file": file.display().to_string(), "best_ms": best * 1e3, "diagnostics": count})
        );
    }
    Ok(())
}

#[derive(clap::Args, Debug)]
pub struct LspBenchArgs {
    /// The specs to open and edit
    #[arg(required = true, value_name = "FILE.rw")]
    pub files: Vec<PathBuf>,
    /// Edits per file
    #[arg(long, default_value_t = 20)]
    pub repeat: usize,
    /// The server's budget for a document's solver-backed check (`rwc lsp --budget-ms`)
    #[arg(long, default_value_t = 5000, value_name = "N")]
    pub budget_ms: u32,
}

/// Starts `rwc lsp` (this executable) as an editor would, opens each file,
/// and edits it `--repeat` times (a comment line appended, then removed),
/// each edit once the previous one's diagnostics are in. For each edit it
/// measures the time to the first `publishDiagnostics` of the new version
/// (the fast phases) and, for a spec without errors, to the second (the
/// solver-backed checks). One JSON line per file:
/// `{"bench": "lsp", "file", "edits", "fast_ms_median", "fast_ms_max",
/// "solver_ms_median", "solver_ms_max", "budget_ms"}`.
fn bench_lsp(args: &LspBenchArgs) -> Result<(), (u8, String)> {
    use crate::lsp::client::Client;
    use serde_json::json;
    let usage = |m: String| (EXIT_USAGE, m);
    let exe = std::env::current_exe().map_err(|e| usage(format!("cannot find the rwc executable: {e}")))?;
    let budget = args.budget_ms.to_string();
    let mut client =
        Client::start(&exe, &["--budget-ms", &budget]).map_err(|e| usage(format!("cannot start `rwc lsp`: {e}")))?;
    let wait = Duration::from_millis(u64::from(args.budget_ms) + 30_000);
    client.request("initialize", json!({"processId": null, "capabilities": {}}), wait).map_err(usage)?;
    client.notify("initialized", json!({})).map_err(|e| usage(e.to_string()))?;
    let percentile = |v: &mut Vec<f64>, q: f64| -> f64 {
        v.sort_by(f64::total_cmp);
        if v.is_empty() { f64::NAN } else { v[((v.len() - 1) as f64 * q).round() as usize] }
    };
    for file in &args.files {
        let text = crate::files::read_text(file, rw_compiler::source::MAX_SOURCE_BYTES).map_err(usage)?;
        let absolute =
            std::fs::canonicalize(file).map_err(|e| usage(format!("cannot read `{}`: {e}", file.display())))?;
        let uri =
            crate::lsp::file_uri(&absolute).ok_or_else(|| usage(format!("`{}` has no file URI", file.display())))?;
        let published = |client: &mut Client, version: i32| client.wait_diagnostics(&uri, version, wait);
        client
            .notify(
                "textDocument/didOpen",
                json!({"textDocument": {"uri": uri, "languageId": "rw", "version": 0, "text": text}}),
            )
            .map_err(|e| usage(e.to_string()))?;
        let first =
            published(&mut client, 0).ok_or_else(|| usage(format!("no diagnostics for `{}`", file.display())))?;
        let has_errors =
            |p: &serde_json::Value| p["diagnostics"].as_array().is_some_and(|d| d.iter().any(|d| d["severity"] == 1));
        // The server runs the solver-backed checks for specs without errors.
        let spec = rw_compiler::check_file(file).is_ok_and(|c| c.program.is_spec());
        let solver_backed = spec && !has_errors(&first);
        if solver_backed {
            published(&mut client, 0);
        }
        let (mut fast, mut solver) = (Vec::new(), Vec::new());
        for k in 1..=args.repeat.max(1) as i32 {
            let edited = if k % 2 == 1 { format!("{text}// edit {k}\n") } else { text.clone() };
            let start = Instant::now();
            client
                .send_all(&[Client::notification(
                    "textDocument/didChange",
                    json!({"textDocument": {"uri": uri, "version": k}, "contentChanges": [{"text": edited}]}),
                )])
                .map_err(|e| usage(e.to_string()))?;
            let p = published(&mut client, k).ok_or_else(|| usage(format!("no diagnostics for edit {k}")))?;
            fast.push(start.elapsed().as_secs_f64() * 1e3);
            if solver_backed && !has_errors(&p) {
                published(&mut client, k).ok_or_else(|| usage(format!("no solver-backed diagnostics for edit {k}")))?;
                solver.push(start.elapsed().as_secs_f64() * 1e3);
            }
        }
        client
            .notify("textDocument/didClose", json!({"textDocument": {"uri": uri}}))
            .map_err(|e| usage(e.to_string()))?;
        let _ = client.drain(Duration::from_millis(50));
        let round = |x: f64| (x * 100.0).round() / 100.0;
        let line = json!({
            "bench": "lsp",
            "file": file.display().to_string(),
            "edits": fast.len(),
            "fast_ms_median": round(percentile(&mut fast, 0.5)),
            "fast_ms_max": round(fast.iter().copied().fold(0.0, f64::max)),
            "solver_ms_median": if solver.is_empty() { json!(null) } else { json!(round(percentile(&mut solver, 0.5))) },
            "solver_ms_max": if solver.is_empty() { json!(null) } else { json!(round(solver.iter().copied().fold(0.0, f64::max))) },
            "budget_ms": args.budget_ms,
        });
        println!("{line}");
    }
    client.shutdown(Duration::from_secs(30)).map_err(usage)?;
    Ok(())
}

#[derive(clap::Args, Debug)]
pub struct RmArgs {
    /// The spec: an rw file, or a reward_machines text file (`.rm`, imported on the fly)
    #[arg(value_name = "SPEC.rw|FILE.rm")]
    pub spec: PathBuf,
    /// The label traces (`traces.bin` layout)
    #[arg(long, value_name = "TRACES.bin")]
    pub traces: PathBuf,
    /// Write rewards[T][N] (f32) and final states[N] (i32) here
    #[arg(long, value_name = "RESULT.bin")]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub run: RunArgs,
}

/// One worker's rewards (`[T][its envs]`) and final states.
type ChunkResult = (Vec<f32>, Vec<u32>);

/// The W1 trace file.
pub struct Traces {
    pub envs: usize,
    pub steps: usize,
    pub letters: Vec<char>,
    /// Time-major: `labels[t * envs + n]`.
    pub labels: Vec<u8>,
}

pub fn read_traces(path: &Path) -> Result<Traces, String> {
    let bytes = crate::files::read(path, crate::files::MAX_BENCH_BYTES)?;
    if bytes.len() < 24 || &bytes[0..4] != b"RMTR" {
        return Err(format!("`{}` is not a traces file (no RMTR header)", path.display()));
    }
    let u16_at = |i: usize| u16::from_le_bytes([bytes[i], bytes[i + 1]]);
    let u32_at = |i: usize| u32::from_le_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    if u16_at(4) != 1 {
        return Err(format!("traces version {} is not supported (expected 1)", u16_at(4)));
    }
    let props = u16_at(6) as usize;
    let (envs, steps) = (u32_at(8) as usize, u32_at(12) as usize);
    if props > 8 {
        return Err(format!("{props} propositions do not fit a label byte"));
    }
    let letters: Vec<char> = bytes[16..16 + props].iter().map(|&b| b as char).collect();
    let expected = 24 + envs.checked_mul(steps).ok_or("trace dimensions overflow")?;
    if bytes.len() != expected {
        return Err(format!("`{}` has {} bytes; its header implies {expected}", path.display(), bytes.len()));
    }
    Ok(Traces { envs, steps, letters, labels: bytes[24..].to_vec() })
}

pub fn run(command: &BenchCommand) -> u8 {
    let result = match command {
        BenchCommand::Rm(args) => bench_rm(args),
        BenchCommand::Ltlf(args) => bench_ltlf(args),
        BenchCommand::Ltl(args) => crate::ltl_bench::bench_ltl(args),
        BenchCommand::Check(args) => bench_check(args),
        BenchCommand::Llm(args) => bench_llm(args),
        BenchCommand::Lsp(args) => bench_lsp(args),
    };
    match result {
        Ok(()) => 0,
        Err((code, message)) => {
            eprintln!("error: {message}");
            code
        }
    }
}

fn program_for(spec: &Path) -> Result<Artifact, u8> {
    if spec.extension().is_some_and(|e| e == "rm" || e == "txt") {
        let text = crate::import::import_file(spec)?;
        let name = spec.with_extension("rw").display().to_string();
        let checked = rw_compiler::check_text(&name, &text, None);
        load::print_diagnostics(&checked, &checked.diagnostics);
        if checked.has_errors() {
            return Err(EXIT_INPUT_ERRORS);
        }
        return rw_compiler::compile(&checked).map_err(|d| {
            load::print_diagnostics(&checked, &d);
            EXIT_INPUT_ERRORS
        });
    }
    load::program(spec)
}

fn bench_rm(args: &RmArgs) -> Result<(), (u8, String)> {
    let isa = args.run.isa()?;
    args.run.min_time()?; // a usage error before any file is read
    let program = program_for(&args.spec).map_err(|code| (code, "the spec did not compile".to_string()))?;
    let traces = read_traces(&args.traces).map_err(|m| (EXIT_USAGE, m))?;
    if program.automata.len() != 1 {
        return Err((
            EXIT_INPUT_ERRORS,
            format!("`bench rm` needs a spec with exactly one machine; this one has {}", program.automata.len()),
        ));
    }
    // Bind each prop to its letter in the trace.
    let mut bits = Vec::new();
    for input in &program.inputs {
        match (input.kind, traces.letters.iter().position(|c| c.to_string() == input.name)) {
            (InputKind::Scalar(ValueType::Bool), Some(k)) => bits.push(k),
            (_, None) => {
                return Err((
                    EXIT_INPUT_ERRORS,
                    format!(
                        "input `{}` is not a proposition of the trace (it has {})",
                        input.name,
                        traces.letters.iter().collect::<String>()
                    ),
                ));
            }
            _ => {
                return Err((
                    EXIT_INPUT_ERRORS,
                    format!("input `{}` must be a bool prop to bind to a trace letter", input.name),
                ));
            }
        }
    }
    let (n, t_max) = (traces.envs, traces.steps);
    // Each prop reads its bit of the trace's label bytes as they are.
    let labels = &traces.labels;
    let threads = args.run.threads.clamp(1, n.max(1));
    let chunk = n.div_ceil(threads);
    let ranges: Vec<(usize, usize)> =
        (0..threads).map(|k| (k * chunk, ((k + 1) * chunk).min(n))).filter(|(a, b)| a < b).collect();
    let options = Options { ignore_done: true, isa, ..Options::default() };
    // As `bench llm`: one worker per share of the lanes, its evaluator and
    // reward buffer made once; every repeat resets the evaluator and runs
    // all steps, the workers starting together. A repeat takes as long as
    // its slowest worker; the best repeat is reported.
    let samples = Samples::new(ranges.len(), &args.run)?;
    let run: Vec<Result<(Vec<f64>, ChunkResult), String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = ranges
            .iter()
            .map(|&(a, b)| {
                let (program, bits, samples) = (&program, &bits, &samples);
                scope.spawn(move || -> Result<(Vec<f64>, ChunkResult), String> {
                    let program = &first_touch(program);
                    let width = b - a;
                    // This worker's lanes of every step, step after step.
                    let labels: Vec<u8> = (0..t_max).flat_map(|t| &labels[t * n + a..t * n + b]).copied().collect();
                    let steps: Vec<Vec<Column<'_>>> = labels
                        .chunks_exact(width.max(1))
                        .map(|bytes| bits.iter().map(|&k| Column::Bits { bytes, bit: k as u8 }).collect())
                        .collect();
                    let mut eval = Evaluator::try_new(program, width, options).map_err(|e| e.to_string())?;
                    let mut rewards = vec![0f32; width * t_max];
                    // A pass: every env from the start, all T steps, the
                    // rewards straight into each step's row.
                    let times = samples.time(|| {
                        eval.reset();
                        for (cols, row) in steps.iter().zip(rewards.chunks_exact_mut(width.max(1))) {
                            let input = StepInput { columns: cols, last: None, groups: None, active: None };
                            eval.step_into(&input, row).map_err(|e| e.to_string())?;
                        }
                        Ok(())
                    })?;
                    let states = eval.automaton_states(0).to_vec();
                    Ok((times, (rewards, states)))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err("a worker thread panicked".into()))).collect()
    });
    let mut slowest = vec![0f64; samples.repeats];
    let mut results: Vec<ChunkResult> = Vec::new();
    for result in run {
        let (times, chunk) = result.map_err(|e| (EXIT_INPUT_ERRORS, e))?;
        for (s, t) in slowest.iter_mut().zip(times) {
            *s = s.max(t);
        }
        results.push(chunk);
    }
    let best = slowest.iter().copied().fold(f64::INFINITY, f64::min);
    // Reassemble time-major rewards from the per-thread chunks.
    let mut rewards = vec![0f32; n * t_max];
    let mut final_u = vec![0u32; n];
    for (&(a, b), (chunk_rewards, states)) in ranges.iter().zip(&results) {
        let width = b - a;
        for t in 0..t_max {
            rewards[t * n + a..t * n + b].copy_from_slice(&chunk_rewards[t * width..(t + 1) * width]);
        }
        final_u[a..b].copy_from_slice(states);
    }
    if let Some(out) = &args.out {
        let mut bytes = Vec::with_capacity(4 * (rewards.len() + n));
        for r in &rewards {
            bytes.extend_from_slice(&r.to_le_bytes());
        }
        for u in &final_u {
            bytes.extend_from_slice(&(*u as i32).to_le_bytes());
        }
        crate::files::write_output(out, &bytes, &[&args.spec, &args.traces]).map_err(|e| (EXIT_USAGE, e))?;
    }
    let reward_sum: f64 = rewards.iter().map(|&r| f64::from(r)).sum();
    let final_state_sum: u64 = final_u.iter().map(|&u| u64::from(u)).sum();
    println!(
        "{}",
        serde_json::json!({
            "bench": "rm",
            "spec": args.spec.display().to_string(),
            "envs": n,
            "steps": t_max,
            "threads": ranges.len(),
            "isa": isa.name(),
            "steps_per_s": (n * t_max) as f64 / best,
            "reward_sum": reward_sum,
            "final_state_sum": final_state_sum,
        })
    );
    Ok(())
}

#[derive(clap::Args, Debug)]
pub struct LtlfArgs {
    /// Formulas to translate, one per line in rw syntax (default: a seeded random corpus)
    #[arg(long, value_name = "FILE")]
    pub formulas: Option<PathBuf>,
    /// Size of the random corpus (at most 10,000,000)
    #[arg(long, default_value_t = 10_000, value_parser = clap::builder::RangedU64ValueParser::<usize>::new().range(1..=10_000_000))]
    pub count: usize,
    /// Seed of the random corpus
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Also write the corpus in Spot's syntax (X[!] for rw's X), one per line,
    /// for bench/spot_ltlf.py
    #[arg(long, value_name = "FILE")]
    pub emit_spot: Option<PathBuf>,
    /// Timed runs over the corpus; the best is reported
    #[arg(long, default_value_t = 3)]
    pub repeat: usize,
}

/// The seeded stream behind the random formula corpora (splitmix64: a
/// good stream from any seed, including 0), shared with the corpus tests.
pub struct CorpusRng(pub u64);

impl CorpusRng {
    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) % n
    }

    /// One of `items`.
    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

/// The random corpus: formulas of depth up to 5 over props a, b, c with
/// every operator, as (rw text, Spot text).
pub fn ltlf_corpus(count: usize, seed: u64) -> Vec<(String, String)> {
    fn random_formula(rng: &mut CorpusRng, depth: u32) -> (String, String) {
        if depth == 0 || rng.below(4) == 0 {
            let atom = ["a", "b", "c", "true", "false", "last"][rng.below(6) as usize];
            // Spot has no `last`: it is `!X[!] true` there.
            let spot = if atom == "last" { "(!X[!] true)".to_string() } else { atom.to_string() };
            return (atom.to_string(), spot);
        }
        let choice = rng.below(13);
        let (a, sa) = random_formula(rng, depth - 1);
        let unary = |op: &str, spot_op: &str| (format!("{op} ({a})"), format!("{spot_op} ({sa})"));
        match choice {
            0 => unary("!", "!"),
            1 => unary("X", "X[!]"),
            2 => unary("WX", "X"),
            3 => unary("F", "F"),
            4 => unary("G", "G"),
            _ => {
                let (b, sb) = random_formula(rng, depth - 1);
                let op = ["&", "|", "->", "<->", "U", "R", "W", "&"][(choice - 5) as usize];
                (format!("({a}) {op} ({b})"), format!("({sa}) {op} ({sb})"))
            }
        }
    }
    let mut rng = CorpusRng(seed);
    (0..count).map(|_| random_formula(&mut rng, 5)).collect()
}

fn bench_ltlf(args: &LtlfArgs) -> Result<(), (u8, String)> {
    // (line number in the file, formula)
    let corpus: Vec<(usize, String)> = match &args.formulas {
        Some(path) => crate::files::read_text(path, crate::files::MAX_BENCH_BYTES)
            .map_err(|e| (EXIT_USAGE, e))?
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with("//"))
            .map(|(k, l)| (k + 1, l.to_string()))
            .collect(),
        None => {
            let corpus = ltlf_corpus(args.count, args.seed);
            if let Some(out) = &args.emit_spot {
                let text: String = corpus.iter().map(|(_, spot)| format!("{spot}\n")).collect();
                crate::files::write_output(out, text.as_bytes(), &[]).map_err(|e| (EXIT_USAGE, e))?;
            }
            corpus.into_iter().enumerate().map(|(k, (rw, _))| (k + 1, rw)).collect()
        }
    };
    // Parse once, outside the timing: the benchmark measures translation.
    // Every word that is not an operator is a proposition.
    const OPERATORS: &[&str] = &["X", "WX", "F", "G", "U", "R", "W", "last", "true", "false"];
    let mut formulas = Vec::with_capacity(corpus.len());
    for (line, text) in &corpus {
        let props: std::collections::BTreeSet<&str> = text
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|w| w.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') && !OPERATORS.contains(w))
            .collect();
        let decl = if props.is_empty() {
            String::new()
        } else {
            format!("props {}\n", props.iter().copied().collect::<Vec<_>>().join(", "))
        };
        let src = format!("{decl}ltlf f = {text}\n");
        let checked = rw_compiler::check_text("corpus.rw", &src, None);
        if let Some(d) = checked.diagnostics.iter().find(|d| d.is_error()) {
            return Err((EXIT_INPUT_ERRORS, format!("line {line}: `{}`: {}", text.trim(), d.message)));
        }
        let decl = checked.program.lookup("f").map(|id| checked.program.decl(id).kind.clone());
        let Some(rw_compiler::sema::DeclKind::Formula(f)) = decl else {
            return Err((EXIT_INPUT_ERRORS, format!("line {line}: `{}` is not a formula", text.trim())));
        };
        formulas.push(f.formula);
    }
    let (mut best, mut max_ms, mut total_states, mut largest) = (f64::INFINITY, 0f64, 0usize, (0usize, 0usize));
    let mut slowest_formula = 0;
    for _ in 0..args.repeat.max(1) {
        let start = Instant::now();
        let mut states = 0;
        let mut slowest = (0f64, 0usize);
        for (k, f) in formulas.iter().enumerate() {
            let one = Instant::now();
            let dfa = rw_compiler::ltl::translate(f, &mut Vec::new(), &rw_compiler::ltl::no_patterns)
                .map_err(|e| (EXIT_INPUT_ERRORS, format!("formula {}: {e}", k + 1)))?;
            let ms = one.elapsed().as_secs_f64() * 1e3;
            if ms > slowest.0 {
                slowest = (ms, k);
            }
            states += dfa.states();
            largest = largest.max((dfa.states(), k));
        }
        let elapsed = start.elapsed().as_secs_f64();
        if elapsed < best {
            best = elapsed;
            (max_ms, slowest_formula) = slowest;
        }
        total_states = states;
    }
    println!(
        "{}",
        serde_json::json!({
            "bench": "ltlf",
            "formulas": formulas.len(),
            "formulas_per_s": formulas.len() as f64 / best,
            "max_ms": max_ms,
            "total_states": total_states,
            "slowest_formula": slowest_formula + 1,
            "largest_dfa": {"formula": largest.1 + 1, "states": largest.0},
        })
    );
    Ok(())
}

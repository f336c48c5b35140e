//! The solver-backed checks of the language server, on a thread of their
//! own so that typing never waits for Z3.
//!
//! The main loop publishes the fast diagnostics (syntax, names, types,
//! machine structure) itself, then hands the document to this worker, which
//! runs the whole `rwc check` (the verifier within a time budget, and what
//! `compile` would refuse) and sends the full set back. A newer edit of the
//! same document abandons the running check: the verifier's queries answer
//! "unknown" at once, and the stale result is dropped.
//!
//! The server joins this thread before it returns: a process that exits
//! while another thread is inside Z3 runs libz3's static destructors under
//! it, and the C heap is corrupted ("double free or corruption").

use super::convert::{Places, diagnostics};
use super::features::OutputFacts;
use lsp_types::Uri;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// Raised to abandon the running check (one worker per process).
static CANCEL: AtomicBool = AtomicBool::new(false);
/// Raised when the server stops: the worker runs no further check.
static STOP: AtomicBool = AtomicBool::new(false);

/// One document version to check.
pub struct Job {
    pub uri: Uri,
    pub version: i32,
    /// The root file's name and directory (imports resolve against it).
    pub name: String,
    pub dir: Option<PathBuf>,
    pub text: String,
    /// The editor's unsaved buffers, read instead of the files on disk.
    pub overlay: HashMap<PathBuf, String>,
}

/// The full diagnostics of one document version.
pub struct Finished {
    pub uri: Uri,
    pub version: i32,
    pub diagnostics: Vec<lsp_types::Diagnostic>,
    pub outputs: Vec<OutputFacts>,
}

/// The verifier's limits in the server: shorter than `rwc check`'s, as a
/// result arriving after the next edit is of no use.
#[derive(Clone, Copy)]
pub struct Limits {
    pub timeout_ms: u32,
    pub budget_ms: u32,
}

pub struct Worker {
    jobs: crossbeam_channel::Sender<Job>,
    pub results: crossbeam_channel::Receiver<Finished>,
    /// The URI being checked now, if any.
    running: Arc<Mutex<Option<String>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Worker {
    pub fn spawn(limits: Limits) -> std::io::Result<Worker> {
        let (jobs, job_receiver) = crossbeam_channel::unbounded::<Job>();
        let (result_sender, results) = crossbeam_channel::unbounded::<Finished>();
        let running = Arc::new(Mutex::new(None));
        let running_in_worker = Arc::clone(&running);
        STOP.store(false, Ordering::Relaxed);
        let thread = std::thread::Builder::new()
            .name("rwc-lsp-solver".into())
            .stack_size(1 << 30)
            .spawn(move || work(&job_receiver, &result_sender, &running_in_worker, limits))?;
        Ok(Worker { jobs, results, running, thread: Some(thread) })
    }

    /// Queues a check; a check of an older version of the same document
    /// that is running now is abandoned.
    pub fn submit(&self, job: Job) {
        if let Ok(running) = self.running.lock()
            && running.as_deref() == Some(job.uri.as_str())
        {
            CANCEL.store(true, Ordering::Relaxed);
        }
        let _ = self.jobs.send(job);
    }
}

impl Drop for Worker {
    /// Abandons the running check, drops the queued ones and waits for the
    /// thread: it must be out of Z3 before the process exits.
    fn drop(&mut self) {
        STOP.store(true, Ordering::SeqCst);
        CANCEL.store(true, Ordering::SeqCst);
        // Wakes a worker waiting for a job (it sees `STOP`).
        let (closed, _) = crossbeam_channel::bounded(0);
        drop(std::mem::replace(&mut self.jobs, closed));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn work(
    jobs: &crossbeam_channel::Receiver<Job>,
    results: &crossbeam_channel::Sender<Finished>,
    running: &Mutex<Option<String>>,
    limits: Limits,
) {
    // Queued checks by URI: only the newest version of each is worth running.
    let mut pending: Vec<Job> = Vec::new();
    let queue = |pending: &mut Vec<Job>, job: Job| {
        pending.retain(|p| p.uri.as_str() != job.uri.as_str());
        pending.push(job);
    };
    loop {
        if pending.is_empty() {
            match jobs.recv() {
                Ok(job) => queue(&mut pending, job),
                Err(_) => return,
            }
        }
        while let Ok(job) = jobs.try_recv() {
            queue(&mut pending, job);
        }
        let job = pending.remove(0);
        if let Ok(mut r) = running.lock() {
            *r = Some(job.uri.as_str().to_string());
        }
        CANCEL.store(false, Ordering::SeqCst);
        // After the reset: a stop raised from here on leaves `CANCEL` set.
        if STOP.load(Ordering::SeqCst) {
            return;
        }
        // A bug in a check must not take the server down: report it.
        let finished = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&job, limits)))
            .unwrap_or_else(|_| internal_error(&job));
        if let Ok(mut r) = running.lock() {
            *r = None;
        }
        // A newer version arrived while this one ran: drop the result.
        if CANCEL.swap(false, Ordering::Relaxed) {
            continue;
        }
        if results.send(finished).is_err() {
            return;
        }
    }
}

/// `rwc check` on one document: the same diagnostics, as LSP diagnostics.
fn check(job: &Job, limits: Limits) -> Finished {
    let read = |path: &std::path::Path| match job.overlay.get(path) {
        Some(text) => Ok(text.clone()),
        None => rw_compiler::sema::read_from_disk(path),
    };
    let mut checked = rw_compiler::check_text_with(&job.name, &job.text, job.dir.as_deref(), &read);
    let options =
        rw_verify::Options { cancel: Some(&CANCEL), ..rw_verify::Options::new(limits.timeout_ms, limits.budget_ms) };
    rw_verify::verify(&mut checked, &options);
    if checked.program.is_spec()
        && !checked.has_errors()
        && let Err(found) = rw_compiler::compile(&checked)
    {
        checked.diagnostics.extend(found);
    }
    let outputs = if checked.has_errors() {
        Vec::new()
    } else {
        rw_verify::outputs::explain(&checked.program, &options)
            .into_iter()
            .map(|e| OutputFacts {
                output: e.output,
                class: e.class.to_string(),
                bounds: match &e.inexact_because {
                    Some(_) => format!("at most {}", rw_verify::outputs::show(e.bounds)),
                    None => rw_verify::outputs::show(e.bounds),
                },
                reason: e.reason,
            })
            .collect()
    };
    let places = Places { sources: &checked.sources, root: checked.root, root_uri: &job.uri };
    let diagnostics = checked.diagnostics.iter().flat_map(|d| diagnostics(d, &places)).collect();
    Finished { uri: job.uri.clone(), version: job.version, diagnostics, outputs }
}

/// What a check that panicked publishes.
fn internal_error(job: &Job) -> Finished {
    let diagnostic = lsp_types::Diagnostic {
        severity: Some(lsp_types::DiagnosticSeverity::ERROR),
        source: Some("rwc".into()),
        message: "internal error: the solver-backed check of this file failed; `rwc check` on the saved file \
                  shows the same; please report it"
            .into(),
        ..lsp_types::Diagnostic::default()
    };
    Finished { uri: job.uri.clone(), version: job.version, diagnostics: vec![diagnostic], outputs: Vec::new() }
}

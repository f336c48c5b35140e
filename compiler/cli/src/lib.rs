//! rwc: the command line of the rw reward compiler.
//!
//! The outermost layer: it parses arguments, runs the compiler and renders
//! its diagnostics (see [`render`]). Exit codes everywhere: 0 success, 1 the
//! input has errors, 2 usage or I/O error.

pub mod bench;
pub mod check;
pub mod compile;
pub mod dot;
pub mod eval;
pub mod files;
pub mod fmt;
pub mod import;
pub mod inspect;
pub mod load;
pub mod lsp;
pub mod ltl_bench;
pub mod render;
pub mod rm;

use clap::{Parser, Subcommand, ValueEnum};

/// Exit code: the input has errors (diagnostics were printed).
pub const EXIT_INPUT_ERRORS: u8 = 1;
/// Exit code: bad usage or an unreadable file.
pub const EXIT_USAGE: u8 = 2;

#[derive(Parser, Debug)]
#[command(
    name = "rwc",
    version,
    about = "rwc, the reward compiler: checks and compiles .rw reward specifications",
    long_about = "rwc, the reward compiler.\n\n\
        A .rw file specifies a reinforcement-learning objective: reward machines, LTLf \
        formulas, gated and constrained rewards, checklists and shaping terms. rwc checks it \
        (names, types, machine structure) and reports every problem with its place in the source.",
    after_help = "Examples:\n  rwc check examples/office.rw\n  rwc check --format json examples/*.rw\n\n\
        Exit codes: 0 success, 1 the input has errors, 2 usage or I/O error.\n\
        Language reference: docs/language.md; diagnostic codes: docs/diagnostics.md"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check .rw files: syntax, names, types and the structure of machines and outputs
    #[command(after_help = "Examples:\n  rwc check examples/office.rw\n  rwc check examples/*.rw stdlib/*.rw\n  \
        rwc check --format json task.rw | jq .message\n\n\
        Every file is checked even when an earlier one has errors. With --format json each \
        diagnostic is one JSON object per line, followed by {\"summary\": {...}}.")]
    Check(check::CheckArgs),
    /// Compile a spec into an artifact (.rwc) that the runtime loads
    #[command(
        after_help = "Examples:\n  rwc compile examples/office.rw            # writes examples/office.rwc\n  rwc compile task.rw -o build/task.rwc"
    )]
    Compile(compile::CompileArgs),
    /// Show the schema of a compiled program: inputs, params, outputs, automata
    #[command(
        after_help = "Examples:\n  rwc inspect examples/office.rwc\n  rwc inspect --format json examples/office.rw"
    )]
    Inspect(inspect::InspectArgs),
    /// Evaluate a spec over a recorded trace (JSON Lines) and print each step's outputs
    #[command(after_help = "Examples:\n  rwc eval examples/office.rw --trace examples/traces/office.jsonl\n  \
        rwc eval task.rwc --trace run.jsonl --format csv > rewards.csv\n  \
        rwc eval task.rw --trace run.jsonl --summary --param lambda_cost=0.5\n\n\
        A trace line: {\"episode\": 1, \"props\": [\"coffee\"], \"length\": 120}. Props not listed are false; \
        every other input must be given. Lines of one `episode` id form an episode wherever they are \
        (interleaved envs); it ends where the spec's `done` holds, at a line with \"truncated\": true, or, \
        as a truncation, where the trace ends. Without `episode` the trace is one episode. \
        The contract: docs/traces.md.")]
    Eval(eval::EvalArgs),
    /// Print a spec's machines as Graphviz graphs
    #[command(
        after_help = "Examples:\n  rwc dot examples/office.rw | dot -Tpng -o office.png\n  rwc dot task.rw --automaton task -o task.dot"
    )]
    Dot(dot::DotArgs),
    /// Translate specs from other tools' formats
    #[command(subcommand)]
    Import(import::ImportCommand),
    /// Rewrite .rw files in the canonical layout (comments kept; only whitespace changes)
    #[command(
        after_help = "Examples:\n  rwc fmt examples/*.rw\n  rwc fmt --check examples/*.rw stdlib/*.rw   # CI: exit 1 if a file is not formatted\n  \
        cat task.rw | rwc fmt -                     # standard input to standard output\n\n\
        A file that does not parse is left unchanged and its syntax errors are printed."
    )]
    Fmt(fmt::FmtArgs),
    /// The language server (LSP over stdio) for editors: diagnostics, hover, navigation, completion, formatting
    #[command(after_help = "Editors start it; see editors/vscode/README.md. Solver-backed checks run in the \
        background within --budget-ms and are abandoned when a newer edit arrives.")]
    Lsp(lsp::LspArgs),
    /// Benchmarks over the W1/W2 workloads (inputs from bench/gen_data.py) and LTLf and check timings
    #[command(subcommand)]
    Bench(bench::BenchCommand),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Default)]
pub enum Format {
    /// Reports for people (colour only on a terminal)
    #[default]
    Human,
    /// One JSON object per line, for editors and scripts
    Json,
}

/// Runs a parsed command line and returns the exit code.
pub fn run(cli: Cli) -> u8 {
    match cli.command {
        Command::Check(args) => check::run(&args),
        Command::Compile(args) => compile::run(&args),
        Command::Inspect(args) => inspect::run(&args),
        Command::Eval(args) => eval::run(&args),
        Command::Dot(args) => dot::run(&args),
        Command::Import(command) => import::run(&command),
        Command::Fmt(args) => fmt::run(&args),
        Command::Lsp(args) => lsp::run(&args),
        Command::Bench(command) => bench::run(&command),
    }
}

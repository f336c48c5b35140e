use clap::Parser;
use std::process::ExitCode;

/// Stack of the thread that runs the command: analyses and lowering recurse
/// over expressions (up to the parser's nesting limits, and through chains of
/// `fn`s and `let`s), on every build profile. Only touched pages are used.
const STACK_BYTES: usize = 1 << 30;

fn main() -> ExitCode {
    let cli = rwc::Cli::parse();
    let code = std::thread::Builder::new()
        .name("rwc".into())
        .stack_size(STACK_BYTES)
        .spawn(move || rwc::run(cli))
        .map_or(rwc::EXIT_USAGE, |h| h.join().unwrap_or(101));
    ExitCode::from(code)
}

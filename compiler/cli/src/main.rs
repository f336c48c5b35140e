use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::from(rwc::run(rwc::Cli::parse()))
}

//! `rwc compile FILE.rw [-o OUT.rwc]`: writes the artifact.

use crate::{EXIT_USAGE, Format, load};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct CompileArgs {
    /// The spec to compile
    #[arg(value_name = "FILE.rw")]
    pub file: PathBuf,
    /// Where to write the artifact (default: FILE.rwc next to the spec)
    #[arg(short, long, value_name = "OUT.rwc")]
    pub output: Option<PathBuf>,
    /// Output format of diagnostics and the summary
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

pub fn run(args: &CompileArgs) -> u8 {
    let out = args.output.clone().unwrap_or_else(|| args.file.with_extension("rwc"));
    if let Err(e) = crate::files::not_an_input(&out, &[&args.file]) {
        eprintln!("error: {e}");
        return EXIT_USAGE;
    }
    let artifact = match load::compile_file(&args.file) {
        Ok(a) => a,
        Err(code) => return code,
    };
    let bytes = artifact.to_bytes();
    if let Err(e) = crate::files::write_output(&out, &bytes, &[&args.file]) {
        eprintln!("error: {e}");
        return EXIT_USAGE;
    }
    match args.format {
        Format::Json => println!(
            "{}",
            serde_json::json!({"compiled": {"file": args.file.display().to_string(), "output": out.display().to_string(),
                "bytes": bytes.len(), "automata": artifact.automata.len(), "instructions": artifact.code.len()}})
        ),
        Format::Human => println!(
            "wrote {} ({} bytes): spec `{}`, {} automat{}, {} instructions",
            out.display(),
            bytes.len(),
            artifact.spec_name,
            artifact.automata.len(),
            if artifact.automata.len() == 1 { "on" } else { "a" },
            artifact.code.len()
        ),
    }
    0
}

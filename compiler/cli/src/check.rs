//! `rwc check FILE...`: runs the front end on each file and prints its
//! diagnostics.

use crate::{EXIT_INPUT_ERRORS, EXIT_USAGE, Format, render};
use rw_compiler::sema;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// The .rw files to check
    #[arg(required = true, value_name = "FILE.rw")]
    pub files: Vec<PathBuf>,
    /// Output format of the diagnostics
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Also print, for every output, its expressivity class, the reason, and its verified bounds
    #[arg(long)]
    pub explain: bool,
    /// Time limit of each solver query; a query that runs out is reported as inconclusive
    #[arg(long, default_value_t = 2000, value_name = "N")]
    pub timeout_ms: u32,
    /// Time limit of the whole check of one file, solver queries included; 0 means the default
    #[arg(long, default_value_t = rw_verify::DEFAULT_BUDGET_MS, value_name = "N")]
    pub budget_ms: u32,
}

impl CheckArgs {
    /// Solver limits, the budget starting now.
    fn options(&self) -> rw_verify::Options {
        let budget = if self.budget_ms == 0 { rw_verify::DEFAULT_BUDGET_MS } else { self.budget_ms };
        rw_verify::Options::new(self.timeout_ms, budget)
    }
}

pub fn run(args: &CheckArgs) -> u8 {
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let (mut errors, mut warnings, mut io_failed) = (0usize, 0usize, false);
    let mut stdout = std::io::stdout().lock();
    for path in &args.files {
        let checked = match rw_compiler::check_file(path) {
            Ok(mut c) => {
                rw_verify::verify(&mut c, &args.options());
                // What `compile` could not build is an error of `check` too.
                if c.program.is_spec()
                    && !c.has_errors()
                    && let Err(found) = rw_compiler::compile(&c)
                {
                    c.diagnostics.extend(found);
                }
                c
            }
            Err(e) => {
                io_failed = true;
                eprintln!("error: cannot read `{}`: {}", path.display(), describe_io(&e));
                continue;
            }
        };
        if args.explain && !checked.has_errors() {
            let options = args.options();
            for e in rw_verify::outputs::explain(&checked.program, &options) {
                // Finite ends as the shortest decimal of the f32, infinite ones as "inf"/"-inf".
                let end = |x: f64| -> serde_json::Value {
                    if x.is_finite() {
                        let text = if e.bounds.int { (x as i64).to_string() } else { (x as f32).to_string() };
                        serde_json::from_str(&text).unwrap_or(serde_json::Value::Null)
                    } else if x > 0.0 {
                        "inf".into()
                    } else {
                        "-inf".into()
                    }
                };
                match args.format {
                    Format::Json => {
                        let line = serde_json::json!({"explain": {
                            "file": path.display().to_string(),
                            "output": e.output,
                            "class": e.class,
                            "reason": e.reason,
                            "bounds": [end(e.bounds.lo), end(e.bounds.hi)],
                            "exact": e.exact,
                            "inexact_because": e.inexact_because,
                            "nan": e.bounds.nan,
                            "simplification": e.simplification,
                        }});
                        let _ = writeln!(stdout, "{line}");
                    }
                    Format::Human => {
                        let bounds = match &e.inexact_because {
                            Some(_) => format!("at most {}", rw_verify::outputs::show(e.bounds)),
                            None => rw_verify::outputs::show(e.bounds),
                        };
                        let _ =
                            writeln!(stdout, "  {:<12} {:<16} bounds {:<22} ({})", e.output, e.class, bounds, e.reason);
                        if let Some(why) = &e.inexact_because {
                            let _ = writeln!(stdout, "  {:<12} {:<16}        (at most: {why})", "", "");
                        }
                    }
                }
            }
        }
        if args.explain && !checked.has_errors() {
            explain_formulas(&checked.program, &path.display().to_string(), args.format, &mut stdout);
        }
        if args.explain && !checked.has_errors() && args.format == Format::Human {
            explain_shaping(&checked.program, args.timeout_ms, &mut stdout);
        }
        let file_errors = checked.diagnostics.iter().filter(|d| d.is_error()).count();
        let file_warnings = checked.diagnostics.iter().filter(|d| d.severity == rw_compiler::Severity::Warning).count();
        errors += file_errors;
        warnings += file_warnings;
        match args.format {
            Format::Json => {
                for d in &checked.diagnostics {
                    let _ = writeln!(stdout, "{}", render::json(&checked.sources, d));
                }
            }
            Format::Human => {
                eprint!("{}", render::human(&checked.sources, &checked.diagnostics, color));
                if file_errors == 0 {
                    let _ = writeln!(stdout, "{}: ok ({})", path.display(), describe_program(&checked.program));
                }
            }
        }
    }
    match args.format {
        Format::Json => {
            let summary =
                serde_json::json!({"summary": {"files": args.files.len(), "errors": errors, "warnings": warnings}});
            let _ = writeln!(stdout, "{summary}");
        }
        Format::Human if errors + warnings > 0 => {
            eprintln!(
                "{} file{} checked: {errors} error{}, {warnings} warning{}",
                args.files.len(),
                plural(args.files.len()),
                plural(errors),
                plural(warnings)
            );
        }
        Format::Human => {}
    }
    if io_failed {
        EXIT_USAGE
    } else if errors > 0 {
        EXIT_INPUT_ERRORS
    } else {
        0
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Each `ltl` formula's class in the Manna–Pnueli hierarchy and the
/// automaton it compiles to, for `--explain`.
fn explain_formulas(program: &sema::Program, file: &str, format: Format, out: &mut impl Write) {
    for decl in &program.decls {
        let sema::DeclKind::Formula(f) = &decl.kind else { continue };
        if f.kind != rw_compiler::syntax::ast::FormulaKind::Ltl || f.is_pattern() {
            continue;
        }
        let Ok(automaton) = rw_compiler::automata::ltl_automaton(program, f) else { continue };
        let Some(omega) = &automaton.omega else { continue };
        let kind = match omega.buchi.kind {
            rw_compiler::omega::Kind::Deterministic => "deterministic Büchi",
            rw_compiler::omega::Kind::SemiDeterministic => "limit-deterministic Büchi",
            rw_compiler::omega::Kind::Nondeterministic => "Büchi",
        };
        let class = omega.class.class.name();
        match format {
            Format::Json => {
                let line = serde_json::json!({"explain": {
                    "file": file,
                    "formula": f.name.name,
                    "class": class,
                    "spot_class": omega.class.class.spot_letter().to_string(),
                    "class_exact": omega.class.exact,
                    "automaton": kind,
                    "buchi_states": omega.buchi.states(),
                    "exported_states": omega.generalized.as_ref().map_or(omega.buchi.states(), |g| g.states()),
                    "acceptance_sets": omega.generalized.as_ref().map_or(1, |g| g.sets),
                    "states": automaton.state_count(),
                    "jumps": omega.jumps,
                    "translation_ms": omega.millis,
                }});
                let _ = writeln!(out, "{line}");
            }
            Format::Human => {
                let bound = if omega.class.exact { "" } else { "at most " };
                let jumps = match omega.jumps {
                    0 => String::new(),
                    1 => ", the agent chooses when to jump".to_string(),
                    k => format!(", up to {k} jump choices per step"),
                };
                let exported = match &omega.generalized {
                    Some(g) => format!(
                        "; exported as a generalized Büchi automaton of {} state{} with {} acceptance sets",
                        g.states(),
                        plural(g.states()),
                        g.sets
                    ),
                    None => String::new(),
                };
                let _ = writeln!(
                    out,
                    "  ltl {:<8} {bound}{class}; {kind} automaton, {} state{} ({} with acceptance on states){jumps}{exported}",
                    f.name.name,
                    omega.buchi.states(),
                    plural(omega.buchi.states()),
                    automaton.state_count()
                );
            }
        }
    }
}

/// What each shaping item does, for `--explain`.
fn explain_shaping(program: &sema::Program, timeout_ms: u32, out: &mut impl Write) {
    use rw_compiler::syntax::ast::{ConstRef, ShapeKind};
    for o in &program.outputs {
        let sema::Output::Shape(s) = o else { continue };
        let gamma = match &s.gamma {
            Some(ConstRef::Float(f, _)) => *f as f32,
            Some(ConstRef::Int(i, _)) => *i as f32,
            _ => 1.0,
        };
        let text = rw_compiler::syntax::ast::expr_text(&s.value);
        let line = match s.kind {
            ShapeKind::Potential => format!(
                "  shape potential `{text}` (gamma {gamma}): potential-based by construction; each step pays \
                 {gamma} * P_t - P_(t-1) with P = `{text}`; before an episode's first step P_(-1) is P with \
                 every machine in its start state, history at its defaults and inputs at 0 (the low end of a \
                 range without 0); on a `done` step P_t counts as 0; on a step that is last by truncation P_t \
                 keeps its value; the next episode starts again from P_(-1)"
            ),
            ShapeKind::Term => match rw_verify::shaping::decide(
                program,
                &s.value,
                f64::from(gamma),
                &rw_verify::Options::new(timeout_ms, rw_verify::DEFAULT_BUDGET_MS),
            ) {
                rw_verify::shaping::Verdict::Potential(phi) => {
                    format!(
                        "  shape term `{text}` (gamma {gamma}): potential-based, with potential `{phi}`; each step pays the term as written (`prev(x, d)` is `d` on an episode's first step)"
                    )
                }
                rw_verify::shaping::Verdict::NotPotential { .. } => {
                    format!(
                        "  shape term `{text}` (gamma {gamma}): not potential-based (see RW0513); each step pays the term as written"
                    )
                }
                rw_verify::shaping::Verdict::Undecided(why) => {
                    format!("  shape term `{text}` (gamma {gamma}): undecided: {why}")
                }
            },
        };
        let _ = writeln!(out, "{line}");
        // What each `m.value(gamma)` in the term is, state by state.
        let mut tables = Vec::new();
        s.value.walk(&mut |e| {
            if let rw_compiler::syntax::ast::ExprKind::Member(base, m, Some(args)) = &e.kind
                && m.name == "value"
                && let rw_compiler::syntax::ast::ExprKind::Name(n) = &base.strip_parens().kind
                && let Some(gamma) = args.first().and_then(|g| rw_compiler::sema::const_number(g, program))
                && let Some(values) = rw_verify::outputs::machine_values(program, &n.name, gamma)
            {
                let text = values.iter().map(|(s, v)| format!("{s} {}", *v as f32)).collect::<Vec<_>>().join(", ");
                let g = gamma as f32;
                tables.push(format!(
                    "    `{}.value({g})` by state: {text} (value iteration with discount {g}: each state's best edge, constant rewards only, terminal states 0)",
                    n.name
                ));
            }
        });
        tables.dedup();
        for t in tables {
            let _ = writeln!(out, "{t}");
        }
    }
}

pub use rw_compiler::source::describe_io;

/// "spec `office`: 1 machine, 4 props, 2 outputs" or "module: 3 fns".
fn describe_program(p: &sema::Program) -> String {
    use sema::DeclKind;
    let count = |f: fn(&DeclKind) -> bool| p.decls.iter().filter(|d| f(&d.kind)).count();
    let parts: Vec<String> = [
        (count(|k| matches!(k, DeclKind::Machine(_))), "machine"),
        (count(|k| matches!(k, DeclKind::Formula(_))), "formula"),
        (count(|k| matches!(k, DeclKind::Prop)), "prop"),
        (count(|k| matches!(k, DeclKind::Input(_))), "input"),
        (count(|k| matches!(k, DeclKind::Fn(_))), "fn"),
        (p.outputs.len(), "output"),
    ]
    .into_iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}{}", plural(n)))
    .collect();
    let kind = if p.is_spec() { format!("spec `{}`", p.name) } else { "module".to_string() };
    if parts.is_empty() { kind } else { format!("{kind}: {}", parts.join(", ")) }
}

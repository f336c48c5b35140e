//! `rwc inspect FILE.rwc|FILE.rw`: the schema of a compiled program.

use crate::{Format, load};
use rw_runtime::Artifact;
use rw_runtime::artifact::{AutomatonKind, Range};
use serde_json::{Value, json};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct InspectArgs {
    /// A compiled artifact, or a spec to compile first
    #[arg(value_name = "FILE.rwc|FILE.rw")]
    pub file: PathBuf,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

fn range_text(r: &Option<Range>) -> String {
    match r {
        Some(r) => format!(" in {}{}{}", r.lo, if r.inclusive { "..=" } else { ".." }, r.hi),
        None => String::new(),
    }
}

fn range_json(r: &Option<Range>) -> Value {
    match r {
        Some(r) => json!({"lo": r.lo, "hi": r.hi, "inclusive": r.inclusive}),
        None => Value::Null,
    }
}

/// The schema as the JSON object of CLI.md.
pub fn schema(a: &Artifact) -> Value {
    let inputs: Vec<Value> = a
        .inputs
        .iter()
        .map(|i| json!({"name": i.name, "type": i.kind.to_string(), "range": range_json(&i.range), "prop": i.is_prop}))
        .collect();
    let params: Vec<Value> = a
        .params
        .iter()
        .map(|p| {
            let default = match p.ty {
                rw_runtime::artifact::ValueType::F32 => json!(f32::from_bits(p.default)),
                rw_runtime::artifact::ValueType::Int => json!(p.default as i32),
                rw_runtime::artifact::ValueType::Bool => json!(p.default != 0),
            };
            json!({"name": p.name, "type": p.ty.to_string(), "default": default, "range": range_json(&p.range)})
        })
        .collect();
    let mut outputs = vec![json!({"name": "reward", "type": "f32"})];
    if a.done.is_some() {
        outputs.push(json!({"name": "done", "type": "bool"}));
    }
    if a.discount.is_some() {
        outputs.push(json!({"name": "discount", "type": "f32"}));
    }
    outputs.extend(a.logs.iter().map(|l| json!({"name": l.name, "type": l.ty.to_string(), "log": true})));
    let automata: Vec<Value> = a
        .automata
        .iter()
        .map(|m| {
            let names = |flags: &[bool]| -> Vec<&str> {
                m.states.iter().zip(flags).filter(|(_, f)| **f).map(|(s, _)| s.as_str()).collect()
            };
            let state = |k: u32| m.states.get(k as usize).map_or("?", String::as_str);
            // The counts of CLI.md, then the automaton itself.
            json!({
                "name": m.name,
                "kind": match m.kind { AutomatonKind::Machine => "machine", AutomatonKind::Ltlf => "ltlf", AutomatonKind::Ltl => "ltl" },
                "states": m.states.len(),
                "edges": m.edges.len(),
                "terminal": m.terminal.iter().filter(|t| **t).count(),
                "accepting": m.accepting.iter().filter(|t| **t).count(),
                "state_names": m.states,
                "start": state(m.start),
                "terminal_states": names(&m.terminal),
                "accepting_states": names(&m.accepting),
                "transitions": m.edges.iter().map(|e| json!({"from": state(e.from), "to": state(e.to), "pays": e.reward.is_some()})).collect::<Vec<_>>(),
            })
        })
        .collect();
    let constraints: Vec<Value> = a
        .constraints
        .iter()
        .map(|c| {
            json!({
                "name": c.name,
                "multiplier": a.params.get(c.param as usize).map(|p| p.name.as_str()),
                "limit": c.limit,
                "upper": c.upper,
                "lr": c.lr,
                "episodic": c.episodic,
            })
        })
        .collect();
    json!({
        "spec": a.spec_name,
        "compiler_version": a.compiler_version,
        "inputs": inputs,
        "params": params,
        "outputs": outputs,
        "automata": automata,
        "constraints": constraints,
        "instructions": a.code.len(),
        "bytes_per_lane": rw_runtime::Evaluator::bytes_per_lane(a),
    })
}

pub fn run(args: &InspectArgs) -> u8 {
    let a = match load::program(&args.file) {
        Ok(a) => a,
        Err(code) => return code,
    };
    if args.format == Format::Json {
        println!("{}", schema(&a));
        return 0;
    }
    println!("spec {} (compiled by rwc {})", a.spec_name, a.compiler_version);
    println!("inputs:");
    for i in &a.inputs {
        let kind = if i.is_prop { "prop " } else { "" };
        println!("  {kind}{}: {}{}", i.name, i.kind, range_text(&i.range));
    }
    if !a.params.is_empty() {
        println!("params:");
        for p in &a.params {
            let default = match p.ty {
                rw_runtime::artifact::ValueType::F32 => f32::from_bits(p.default).to_string(),
                rw_runtime::artifact::ValueType::Int => (p.default as i32).to_string(),
                rw_runtime::artifact::ValueType::Bool => (p.default != 0).to_string(),
            };
            println!("  {}: {} = {default}{}", p.name, p.ty, range_text(&p.range));
        }
    }
    println!("outputs:");
    println!("  reward: f32");
    if a.done.is_some() {
        println!("  done: bool");
    }
    if a.discount.is_some() {
        println!("  discount: f32");
    }
    for l in &a.logs {
        println!("  log {}: {}", l.name, l.ty);
    }
    for m in &a.automata {
        let terminal: Vec<&str> =
            m.states.iter().zip(&m.terminal).filter(|(_, t)| **t).map(|(s, _)| s.as_str()).collect();
        println!(
            "automaton {} ({}): {} states [{}], start {}, {} edges, terminal [{}]",
            m.name,
            match m.kind {
                AutomatonKind::Machine => "machine",
                AutomatonKind::Ltlf => "ltlf",
                AutomatonKind::Ltl => "ltl",
            },
            m.states.len(),
            m.states.join(" "),
            m.states.get(m.start as usize).map_or("?", String::as_str),
            m.edges.len(),
            terminal.join(" ")
        );
        if m.kind != AutomatonKind::Machine {
            // For `ltl`, the states entered by an accepting transition.
            let accepting: Vec<&str> =
                m.states.iter().zip(&m.accepting).filter(|(_, t)| **t).map(|(s, _)| s.as_str()).collect();
            println!("  accepting [{}]", accepting.join(" "));
        }
    }
    for c in &a.constraints {
        println!(
            "constraint {}{} {} {} (multiplier `{}`, lr {})",
            if c.episodic { "episode " } else { "" },
            c.name,
            if c.upper { "<=" } else { ">=" },
            c.limit,
            a.params.get(c.param as usize).map_or("?", |p| p.name.as_str()),
            c.lr
        );
    }
    println!(
        "{} instructions, {} registers, {} bytes of evaluator state per lane",
        a.code.len(),
        a.registers,
        rw_runtime::Evaluator::bytes_per_lane(&a)
    );
    0
}

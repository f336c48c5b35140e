//! A readable listing of a checked program: what the front end understood.
//! Snapshot tests use it to pin name resolution, types and state numbering.

use super::{DeclKind, Output, Program};
use crate::syntax::ast;
use std::fmt::Write;

impl Program {
    pub fn dump(&self) -> String {
        let mut out = String::new();
        let kind = if self.is_spec() { "spec" } else { "module" };
        let _ = writeln!(out, "{kind} {}", self.name);
        for (index, decl) in self.decls.iter().enumerate() {
            let id = super::DeclId(index as u32);
            let ty = self.types.get(&id).map(|t| t.to_string()).unwrap_or_default();
            let name = &decl.name.name;
            let origin = if decl.imported { "  (imported)" } else { "" };
            let line = match &decl.kind {
                DeclKind::Prop => format!("prop {name}: bool"),
                DeclKind::Input(i) => format!("input {name}: {ty}{}", range_text(i.range.as_ref())),
                DeclKind::Param(p) => format!("param {name}: {ty}{}", range_text(p.range.as_ref())),
                DeclKind::Multiplier(_) => format!("param {name}: f32 (constraint multiplier)"),
                DeclKind::Const(_) => match self.consts.get(&id) {
                    Some(v) => format!("const {name}: {ty} = {v}"),
                    None => format!("const {name}: {ty}"),
                },
                DeclKind::Let(_) => format!("let {name}: {ty}"),
                DeclKind::Machine(m) => {
                    let mut mods = String::new();
                    if m.priority.is_some() {
                        mods.push_str(" priority");
                    }
                    if m.strict.is_some() {
                        mods.push_str(" strict");
                    }
                    let states = self.machine_states.get(&id).cloned().unwrap_or_default();
                    let numbered: Vec<String> = states.iter().enumerate().map(|(i, s)| format!("{i}:{s}")).collect();
                    let terminal: Vec<&str> = m.terminal.iter().map(|t| t.name.as_str()).collect();
                    format!(
                        "machine {name}{mods}: states [{}], terminal [{}], {} edge{}",
                        numbered.join(" "),
                        terminal.join(" "),
                        m.edges.len(),
                        if m.edges.len() == 1 { "" } else { "s" }
                    )
                }
                DeclKind::Formula(f) => {
                    let k = if f.kind == ast::FormulaKind::Ltl { "ltl" } else { "ltlf" };
                    format!("{k} {name}")
                }
                DeclKind::Criteria(c) => {
                    let items: Vec<&str> = c.items.iter().map(|i| i.input.name.as_str()).collect();
                    format!("criteria {name}: [{}]", items.join(" "))
                }
                DeclKind::Fn(f) => {
                    let params: Vec<String> =
                        f.params.iter().map(|(n, t)| format!("{}: {}", n.name, type_text(t))).collect();
                    format!("fn {name}({}) -> {}", params.join(", "), type_text(&f.ret))
                }
            };
            let _ = writeln!(out, "  {line}{origin}");
        }
        for output in &self.outputs {
            let line = match output {
                Output::Reward(_) => "reward".to_string(),
                Output::Log(l) => format!("log {}", l.name.name),
                Output::Done(_) => "done when".to_string(),
                Output::Discount(_) => "discount".to_string(),
                Output::Shape(s) => format!("shape {:?}", s.kind).to_lowercase(),
                Output::Constraint(c) => {
                    let kind = if c.episodic { "episodic constraint" } else { "constraint" };
                    match &c.name {
                        Some(n) => format!("{kind} {}", n.name),
                        None => kind.to_string(),
                    }
                }
            };
            let _ = writeln!(out, "  output {line}");
        }
        out
    }
}

fn type_text(t: &ast::TypeExpr) -> String {
    match &t.len {
        None => t.name.name.clone(),
        Some(ast::ArrayLen::Literal(n, _)) => format!("{}[{n}]", t.name.name),
        Some(ast::ArrayLen::Const(c)) => format!("{}[{}]", t.name.name, c.name),
    }
}

fn range_text(r: Option<&ast::RangeExpr>) -> String {
    let Some(r) = r else { return String::new() };
    let bound = |b: &ast::RangeBound| {
        let sign = if b.negative { "-" } else { "" };
        match &b.value {
            ast::BoundValue::Int(i) => format!("{sign}{i}"),
            ast::BoundValue::Float(f) => format!("{sign}{f:?}"),
            ast::BoundValue::Const(c) => format!("{sign}{}", c.name),
        }
    };
    format!(" in {}{}{}", bound(&r.lo), if r.inclusive { "..=" } else { ".." }, bound(&r.hi))
}

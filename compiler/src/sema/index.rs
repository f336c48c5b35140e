//! Definitions and references of every name in a checked program, with
//! their spans: the index that editor navigation (go to definition, find
//! references, rename, document symbols) and hover read.
//!
//! Built after [`check`](super::check) from the [`Program`] it produced, so
//! it resolves names exactly as the checker does: a function's or a
//! pattern's parameters shadow top-level names, `m.in(s)` names a state of
//! machine `m`, every other name is a top-level declaration of the root file
//! or of an import. It works on programs with errors too: whatever resolved
//! is indexed, the rest is left out.

use super::{DeclId, DeclKind, Output, Program};
use crate::source::{FileId, Span};
use crate::syntax::ast::{self, ConstRef, Expr, ExprKind, FKind, Formula, TypeExpr};
use std::collections::HashMap;

/// Index of a symbol in [`Index::symbols`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SymbolId(pub u32);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SymbolKind {
    /// A top-level declaration.
    Decl(DeclId),
    /// A state of the machine `machine`.
    State { machine: SymbolId },
    /// A parameter of a `fn` or a formula pattern.
    Parameter { owner: SymbolId },
    /// A named output: `log NAME = ...`.
    Log,
}

#[derive(Clone, Debug)]
pub struct Symbol {
    pub name: String,
    pub kind: SymbolKind,
    /// The name where it is declared (a state's first mention).
    pub definition: Span,
    /// The whole declaring item (a state's machine).
    pub item: Span,
    /// Whether the name can be renamed: declared in a file (not the
    /// standard library), and spelled out in its declaration (not
    /// `lambda_NAME`, which a `constraint` declares implicitly).
    pub renamable: bool,
}

/// Every symbol and every reference to one.
#[derive(Debug, Default)]
pub struct Index {
    pub symbols: Vec<Symbol>,
    /// Uses of names, by span (definitions are not listed here).
    pub references: Vec<(Span, SymbolId)>,
    decls: HashMap<DeclId, SymbolId>,
}

impl Index {
    /// Indexes `program`; `stdlib` tells which files are the standard
    /// library's (their names cannot be renamed).
    pub fn build(program: &Program, stdlib: &dyn Fn(FileId) -> bool) -> Index {
        let mut index = Index::default();
        for (i, decl) in program.decls.iter().enumerate() {
            let id = DeclId(i as u32);
            let implicit = matches!(decl.kind, DeclKind::Multiplier(_));
            let symbol = index.add(Symbol {
                name: decl.name.name.clone(),
                kind: SymbolKind::Decl(id),
                definition: decl.name.span,
                item: decl.item_span,
                renamable: !implicit && !stdlib(decl.file),
            });
            index.decls.insert(id, symbol);
        }
        let mut walker = Walker { program, index: &mut index, locals: Vec::new() };
        for (i, decl) in program.decls.iter().enumerate() {
            walker.decl(DeclId(i as u32), &decl.kind, stdlib(decl.file));
        }
        for output in &program.outputs {
            walker.output(output);
        }
        for name in &program.use_names {
            walker.name(name);
        }
        index
    }

    fn add(&mut self, symbol: Symbol) -> SymbolId {
        self.symbols.push(symbol);
        SymbolId(self.symbols.len() as u32 - 1)
    }

    pub fn symbol(&self, id: SymbolId) -> &Symbol {
        &self.symbols[id.0 as usize]
    }

    /// The symbol of a top-level declaration.
    pub fn of_decl(&self, id: DeclId) -> Option<SymbolId> {
        self.decls.get(&id).copied()
    }

    /// The symbol whose definition or reference covers `offset` in `file`
    /// (the end of a name counts, as editors place the cursor there).
    pub fn at(&self, file: FileId, offset: usize) -> Option<SymbolId> {
        let covers = |s: &Span| s.file == file && (s.start as usize) <= offset && offset <= s.end as usize;
        self.references
            .iter()
            .find(|(s, _)| covers(s))
            .map(|(_, id)| *id)
            .or_else(|| self.symbols.iter().position(|s| covers(&s.definition)).map(|i| SymbolId(i as u32)))
    }

    /// Every place `id` is used (not its definition).
    pub fn references_to(&self, id: SymbolId) -> impl Iterator<Item = Span> + '_ {
        self.references.iter().filter(move |(_, s)| *s == id).map(|(span, _)| *span)
    }

    /// The states of a machine, in order of first mention.
    pub fn states_of(&self, machine: SymbolId) -> impl Iterator<Item = SymbolId> + '_ {
        self.symbols
            .iter()
            .enumerate()
            .filter(move |(_, s)| s.kind == SymbolKind::State { machine })
            .map(|(i, _)| SymbolId(i as u32))
    }
}

struct Walker<'p, 'i> {
    program: &'p Program,
    index: &'i mut Index,
    /// Parameters in scope: name → symbol.
    locals: Vec<(String, SymbolId)>,
}

impl Walker<'_, '_> {
    fn refer(&mut self, span: Span, symbol: SymbolId) {
        self.index.references.push((span, symbol));
    }

    /// A use of a name: a parameter in scope, else a top-level declaration.
    fn name(&mut self, name: &ast::Ident) {
        if let Some((_, id)) = self.locals.iter().rev().find(|(n, _)| *n == name.name) {
            let id = *id;
            self.refer(name.span, id);
        } else if let Some(id) = self.program.lookup(&name.name).and_then(|d| self.index.of_decl(d)) {
            self.refer(name.span, id);
        }
    }

    fn decl(&mut self, id: DeclId, kind: &DeclKind, stdlib: bool) {
        let Some(owner) = self.index.of_decl(id) else { return };
        match kind {
            DeclKind::Prop | DeclKind::Multiplier(_) => {}
            DeclKind::Input(d) => {
                self.ty(&d.ty);
                self.range(d.range.as_ref());
            }
            DeclKind::Param(d) => {
                self.ty(&d.ty);
                self.range(d.range.as_ref());
                self.expr(&d.default);
            }
            DeclKind::Const(d) => {
                if let Some(t) = &d.ty {
                    self.ty(t);
                }
                self.expr(&d.value);
            }
            DeclKind::Let(d) => self.expr(&d.value),
            DeclKind::Machine(m) => self.machine(owner, m, stdlib),
            DeclKind::Formula(f) => {
                self.parameters(owner, f.params.iter(), stdlib);
                self.formula(&f.formula);
                self.locals.clear();
                if let Some(jump) = &f.jump {
                    self.name(jump);
                }
            }
            DeclKind::Criteria(c) => {
                for item in &c.items {
                    self.name(&item.input);
                    if let Some(w) = &item.weight {
                        self.const_ref(w);
                    }
                }
            }
            DeclKind::Fn(f) => {
                for (_, t) in &f.params {
                    self.ty(t);
                }
                self.ty(&f.ret);
                self.parameters(owner, f.params.iter().map(|(p, _)| p), stdlib);
                self.expr(&f.body);
                self.locals.clear();
            }
        }
    }

    fn parameters<'a>(&mut self, owner: SymbolId, params: impl Iterator<Item = &'a ast::Ident>, stdlib: bool) {
        let item = self.index.symbol(owner).item;
        for p in params {
            let id = self.index.add(Symbol {
                name: p.name.clone(),
                kind: SymbolKind::Parameter { owner },
                definition: p.span,
                item,
                renamable: !stdlib,
            });
            self.locals.push((p.name.clone(), id));
        }
    }

    fn machine(&mut self, owner: SymbolId, m: &ast::Machine, stdlib: bool) {
        let item = self.index.symbol(owner).item;
        let mentions = m
            .start
            .iter()
            .chain(m.states.iter().flatten())
            .chain(m.terminal.iter())
            .chain(m.edges.iter().flat_map(|e| e.from.iter().chain(std::iter::once(&e.to))));
        // Mentions in source order; the first declares the state.
        let mut mentions: Vec<&ast::Ident> = mentions.collect();
        mentions.sort_by_key(|i| (i.span.file, i.span.start));
        let mut states: HashMap<&str, SymbolId> = HashMap::new();
        for mention in mentions {
            match states.get(mention.name.as_str()) {
                Some(&id) => self.refer(mention.span, id),
                None => {
                    let id = self.index.add(Symbol {
                        name: mention.name.clone(),
                        kind: SymbolKind::State { machine: owner },
                        definition: mention.span,
                        item,
                        renamable: !stdlib,
                    });
                    states.insert(&mention.name, id);
                }
            }
        }
        for edge in &m.edges {
            self.expr(&edge.guard);
            if let Some(r) = &edge.reward {
                self.expr(r);
            }
        }
    }

    fn output(&mut self, output: &Output) {
        match output {
            Output::Reward(o) | Output::Done(o) | Output::Discount(o) => self.expr(&o.value),
            Output::Log(l) => {
                self.index.add(Symbol {
                    name: l.name.name.clone(),
                    kind: SymbolKind::Log,
                    definition: l.name.span,
                    item: l.name.span.to(l.value.span),
                    renamable: true,
                });
                self.expr(&l.value);
            }
            Output::Shape(s) => {
                self.expr(&s.value);
                if let Some(g) = &s.gamma {
                    self.const_ref(g);
                }
            }
            Output::Constraint(c) => self.expr(&c.condition),
        }
    }

    fn ty(&mut self, t: &TypeExpr) {
        if let Some(ast::ArrayLen::Const(n)) = &t.len {
            self.name(n);
        }
    }

    fn range(&mut self, range: Option<&ast::RangeExpr>) {
        for bound in range.into_iter().flat_map(|r| [&r.lo, &r.hi]) {
            if let ast::BoundValue::Const(n) = &bound.value {
                self.name(n);
            }
        }
    }

    fn const_ref(&mut self, c: &ConstRef) {
        match c {
            ConstRef::Name(n) => self.name(n),
            ConstRef::Negated(inner, _) => self.const_ref(inner),
            ConstRef::Int(..) | ConstRef::Float(..) => {}
        }
    }

    fn formula(&mut self, f: &Formula) {
        match &f.kind {
            FKind::True | FKind::False | FKind::Last => {}
            FKind::Atom(e) => self.expr(e),
            FKind::Unary(_, inner) | FKind::Paren(inner) => self.formula(inner),
            FKind::Binary(_, a, b) => {
                self.formula(a);
                self.formula(b);
            }
        }
    }

    fn expr(&mut self, e: &Expr) {
        // An explicit stack: expressions may nest as deep as the parser
        // allows.
        let mut stack = vec![e];
        while let Some(e) = stack.pop() {
            match &e.kind {
                ExprKind::Int(_) | ExprKind::Float(_) | ExprKind::Bool(_) => {}
                ExprKind::Name(n) => self.name(n),
                ExprKind::Unary(_, inner) | ExprKind::Paren(inner) => stack.push(inner),
                ExprKind::Binary(_, a, b) | ExprKind::Index(a, b) | ExprKind::Gated(a, b) => {
                    stack.push(b);
                    stack.push(a);
                }
                ExprKind::Cond(a, b, c) => stack.extend([c.as_ref(), b.as_ref(), a.as_ref()]),
                ExprKind::Call(name, args) => {
                    // A user `fn` or a pattern; built-ins have no definition.
                    if !self.locals.iter().any(|(n, _)| *n == name.name) {
                        self.name(name);
                    }
                    stack.extend(args.iter().rev());
                }
                ExprKind::Member(base, member, args) => {
                    if let (ExprKind::Name(m), "in", Some([arg])) =
                        (&base.strip_parens().kind, member.name.as_str(), args.as_deref())
                        && let ExprKind::Name(state) = &arg.strip_parens().kind
                        && let Some(machine) = self.program.lookup(&m.name).and_then(|d| self.index.of_decl(d))
                    {
                        self.name(m);
                        let found = self.index.states_of(machine).find(|&s| self.index.symbol(s).name == state.name);
                        if let Some(s) = found {
                            self.refer(state.span, s);
                        }
                        continue;
                    }
                    stack.push(base);
                    stack.extend(args.iter().flatten().rev());
                }
            }
        }
    }
}

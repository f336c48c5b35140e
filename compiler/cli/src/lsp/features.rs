//! What the editor asks about one document: hover, definition, references,
//! completion, symbols, semantic tokens and rename, answered from the
//! latest check of the document and its [`Index`].

use super::convert::{LineIndex, Places, code_info};
use lsp_types::{
    CompletionItem, CompletionItemKind, DocumentSymbol, Range, SemanticToken, SemanticTokenModifier, SemanticTokenType,
    SymbolKind, TextEdit,
};
use rw_compiler::sema::index::{Index, SymbolId, SymbolKind as Kind};
use rw_compiler::sema::{Checked, DeclKind, Output};
use rw_compiler::syntax::ast;
use rw_compiler::syntax::lexer::{self, TokenKind};
use rw_compiler::{FileId, Span};

/// One check of a document, with its index.
pub struct Analysis {
    pub version: i32,
    pub checked: Checked,
    pub index: Index,
    /// What the verifier found out about each output (`reward`, log names),
    /// once a solver-backed check of this version finished.
    pub outputs: Vec<OutputFacts>,
}

/// The expressivity class and verified bounds of one output, for hover.
#[derive(Clone, Debug)]
pub struct OutputFacts {
    pub output: String,
    pub class: String,
    pub bounds: String,
    pub reason: String,
}

impl Analysis {
    pub fn new(version: i32, checked: Checked) -> Analysis {
        let stdlib = |file: FileId| matches!(checked.sources.get(file).origin, rw_compiler::source::Origin::Stdlib(_));
        let index = Index::build(&checked.program, &stdlib);
        Analysis { version, checked, index, outputs: Vec::new() }
    }

    pub fn root(&self) -> FileId {
        self.checked.root
    }

    pub fn text(&self) -> &str {
        &self.checked.sources.get(self.root()).text
    }

    fn decl_of(&self, symbol: SymbolId) -> Option<&rw_compiler::sema::Decl> {
        match self.index.symbol(symbol).kind {
            Kind::Decl(id) => Some(self.checked.program.decl(id)),
            _ => None,
        }
    }

    fn slice(&self, span: Span) -> &str {
        self.checked.sources.get(span.file).slice(span)
    }

    /// The `//` comment lines right above the item at `span`: its
    /// documentation (the stdlib's cite their papers there).
    fn doc_comment(&self, span: Span) -> String {
        let text = &self.checked.sources.get(span.file).text;
        let before = &text[..(span.start as usize).min(text.len())];
        let mut lines: Vec<&str> = Vec::new();
        for line in before.lines().rev().skip(usize::from(!before.ends_with('\n'))) {
            match line.trim_start().strip_prefix("//") {
                Some(comment) => lines.push(comment.strip_prefix(' ').unwrap_or(comment)),
                None => break,
            }
        }
        lines.reverse();
        lines.join("\n")
    }

    /// Hover text at `offset` of the root file, and the range it is about.
    pub fn hover(&self, offset: usize) -> Option<(String, Span)> {
        let root = self.root();
        let mut parts: Vec<String> = Vec::new();
        let mut about: Option<Span> = None;
        if let Some(symbol) = self.index.at(root, offset) {
            parts.push(self.describe(symbol));
            about = self
                .index
                .references
                .iter()
                .find(|(s, id)| {
                    *id == symbol && s.file == root && s.start as usize <= offset && offset <= s.end as usize
                })
                .map(|(s, _)| *s)
                .or(Some(self.index.symbol(symbol).definition));
        } else if let Some((text, span)) = self.describe_token(offset) {
            parts.push(text);
            about = Some(span);
        }
        // The code of a diagnostic here, with its explanation.
        for d in &self.checked.diagnostics {
            if let Some(s) = d.primary_span()
                && s.file == root
                && s.start as usize <= offset
                && offset <= s.end as usize
                && let Some((title, explanation)) = code_info(d.code)
            {
                parts.push(format!("**{}** {title}: {explanation}", d.code));
                about = about.or(Some(s));
            }
        }
        if parts.is_empty() {
            return None;
        }
        Some((parts.join("\n\n---\n\n"), about?))
    }

    fn describe(&self, symbol: SymbolId) -> String {
        let s = self.index.symbol(symbol);
        let program = &self.checked.program;
        let code = |text: &str| format!("```rw\n{}\n```", text.trim_end());
        match s.kind {
            Kind::Decl(id) => {
                let decl = program.decl(id);
                let item = self.slice(decl.item_span);
                let mut out = match &decl.kind {
                    DeclKind::Prop => code(&format!("prop {}", s.name)),
                    DeclKind::Fn(_) | DeclKind::Machine(_) | DeclKind::Criteria(_) => {
                        // The signature, or the header of a block.
                        let head = item.split(" =").next().unwrap_or(item);
                        let head = head.split('{').next().unwrap_or(head).trim_end();
                        code(head)
                    }
                    _ => code(first_lines(item, 3)),
                };
                if let Some(ty) = program.types.get(&id) {
                    out.push_str(&format!("\n\ntype `{ty}`"));
                }
                if let Some(value) = program.consts.get(&id) {
                    out.push_str(&format!(", value `{value}`"));
                }
                if let DeclKind::Machine(m) = &decl.kind {
                    let states = self.index.states_of(symbol).count();
                    out.push_str(&format!("\n\nmachine with {states} states and {} edges", m.edges.len()));
                }
                if let DeclKind::Multiplier(_) = decl.kind {
                    out.push_str("\n\nthe Lagrange multiplier of this `constraint`, a param the trainer updates");
                }
                let doc = self.doc_comment(decl.item_span);
                if !doc.is_empty() {
                    out.push_str(&format!("\n\n{doc}"));
                }
                if decl.imported {
                    out.push_str(&format!("\n\nfrom `{}`", self.checked.sources.get(decl.file).name));
                }
                if let Some(facts) = self.outputs.iter().find(|f| f.output == s.name) {
                    out.push_str(&facts_text(facts));
                }
                out
            }
            Kind::State { machine } => self.describe_state(symbol, machine),
            Kind::Parameter { owner } => {
                let owner_symbol = self.index.symbol(owner);
                let ty = match self.decl_of(owner).map(|d| &d.kind) {
                    Some(DeclKind::Fn(f)) => f
                        .params
                        .iter()
                        .find(|(p, _)| p.span == s.definition)
                        .map(|(_, t)| format!(": {}", self.slice(t.span))),
                    _ => None,
                };
                match ty {
                    Some(ty) => {
                        code(&format!("{}{ty}", s.name)) + &format!("\n\nparameter of `fn {}`", owner_symbol.name)
                    }
                    None => {
                        code(&s.name)
                            + &format!(
                                "\n\nparameter of the formula pattern `{}`: a prop, a bool input or a comparison",
                                owner_symbol.name
                            )
                    }
                }
            }
            Kind::Log => {
                let mut out = code(first_lines(self.slice(s.item), 3));
                out = format!("{}\n\nlog output", out.trim_end());
                if let Some(facts) = self.outputs.iter().find(|f| f.output == s.name) {
                    out.push_str(&facts_text(facts));
                }
                out
            }
        }
    }

    /// A machine state: the edges into it and out of it.
    fn describe_state(&self, state: SymbolId, machine: SymbolId) -> String {
        let name = &self.index.symbol(state).name;
        let mut out = format!("state `{name}` of machine `{}`", self.index.symbol(machine).name);
        let Some(rw_compiler::sema::Decl { kind: DeclKind::Machine(m), .. }) = self.decl_of(machine) else {
            return out;
        };
        if m.start.iter().any(|s| &s.name == name) {
            out.push_str(" (start)");
        }
        if m.terminal.iter().any(|s| &s.name == name) {
            out.push_str(" (terminal)");
        }
        let edge_text = |e: &ast::Edge| format!("- `{}`", first_lines(self.slice(e.span), 1).trim());
        let incoming: Vec<String> = m.edges.iter().filter(|e| &e.to.name == name).map(edge_text).collect();
        let outgoing: Vec<String> =
            m.edges.iter().filter(|e| e.from.as_ref().is_none_or(|f| &f.name == name)).map(edge_text).collect();
        for (title, edges) in [("incoming", incoming), ("outgoing", outgoing)] {
            if edges.is_empty() {
                out.push_str(&format!("\n\nno {title} edges"));
            } else {
                out.push_str(&format!("\n\n{title}:\n{}", edges.join("\n")));
            }
        }
        out
    }

    /// Hover on what is not a symbol: built-in functions and values,
    /// members, and output keywords.
    fn describe_token(&self, offset: usize) -> Option<(String, Span)> {
        let text = self.text();
        let tokens = lexer::lex(text);
        let i =
            tokens.iter().position(|t| t.span.start <= offset && offset <= t.span.end && t.kind == TokenKind::Name)?;
        let token = &tokens[i];
        let word = &text[token.span.clone()];
        let span = Span::new(self.root(), token.span.start, token.span.end);
        let significant = |k: usize, back: bool| {
            let mut j = k;
            loop {
                j = if back { j.checked_sub(1)? } else { j + 1 };
                let t = tokens.get(j)?;
                if !matches!(t.kind, TokenKind::Whitespace | TokenKind::Comment) {
                    return Some(t);
                }
            }
        };
        if significant(i, true).is_some_and(|t| t.kind == TokenKind::Dot) {
            let doc = member_doc(word)?;
            return Some((format!("```rw\n.{word}\n```\n\n{doc}"), span));
        }
        if significant(i, false).is_some_and(|t| t.kind == TokenKind::LParen)
            && rw_compiler::sema::builtins_signature(word).is_some()
        {
            let signature = rw_compiler::sema::builtins_signature(word)?;
            return Some((format!("```rw\n{signature}\n```\n\nbuilt-in function"), span));
        }
        match word {
            "steps" => {
                return Some(("`steps: int`: steps taken so far in this episode (0 on its first step)".into(), span));
            }
            "episode_end" => return Some(("`episode_end: bool`: this step ends the episode".into(), span)),
            _ => {}
        }
        // An output keyword at the start of an output item.
        for output in &self.checked.program.outputs {
            let (keyword, name) = match output {
                Output::Reward(o) => (o.keyword, "reward"),
                Output::Done(o) => (o.keyword, "done"),
                Output::Discount(o) => (o.keyword, "discount"),
                Output::Shape(s) => (s.keyword, "shape"),
                _ => continue,
            };
            if keyword.file == self.root() && keyword.start as usize <= offset && offset <= keyword.end as usize {
                let mut out = format!("`{name}` output");
                if let Some(facts) = self.outputs.iter().find(|f| f.output == name) {
                    out.push_str(&facts_text(facts));
                } else if name == "reward" {
                    out.push_str("\n\nclass and bounds: not known yet (the solver-backed check has not finished, or the spec has errors)");
                }
                return Some((out, keyword));
            }
        }
        None
    }

    /// Document symbols of the root file.
    pub fn document_symbols(&self) -> Vec<DocumentSymbol> {
        let root = self.root();
        let sources = &self.checked.sources;
        let index = LineIndex::new(self.text());
        let range = |s: Span| index.range(s.start as usize, s.end as usize);
        #[allow(deprecated)]
        let symbol = |name: String, detail: Option<String>, kind: SymbolKind, item: Span, selection: Span, children| {
            DocumentSymbol {
                name,
                detail,
                kind,
                tags: None,
                deprecated: None,
                range: range(item),
                selection_range: range(selection),
                children,
            }
        };
        let mut out = Vec::new();
        for (id, s) in self.index.symbols.iter().enumerate() {
            if s.definition.file != root {
                continue;
            }
            let id = SymbolId(id as u32);
            let (kind, detail) = match s.kind {
                Kind::Decl(d) => {
                    let decl = self.checked.program.decl(d);
                    let kind = match decl.kind {
                        DeclKind::Prop => SymbolKind::BOOLEAN,
                        DeclKind::Input(_) | DeclKind::Let(_) => SymbolKind::VARIABLE,
                        DeclKind::Param(_) | DeclKind::Multiplier(_) => SymbolKind::PROPERTY,
                        DeclKind::Const(_) => SymbolKind::CONSTANT,
                        DeclKind::Machine(_) => SymbolKind::CLASS,
                        DeclKind::Formula(_) => SymbolKind::INTERFACE,
                        DeclKind::Criteria(_) => SymbolKind::ENUM,
                        DeclKind::Fn(_) => SymbolKind::FUNCTION,
                    };
                    if matches!(decl.kind, DeclKind::Multiplier(_)) {
                        continue;
                    }
                    (kind, Some(decl.kind.describe().to_string()))
                }
                Kind::Log => (SymbolKind::FIELD, Some("log".to_string())),
                Kind::State { .. } | Kind::Parameter { .. } => continue,
            };
            let children: Vec<DocumentSymbol> = self
                .index
                .states_of(id)
                .map(|st| {
                    let st = self.index.symbol(st);
                    symbol(
                        st.name.clone(),
                        Some("state".into()),
                        SymbolKind::ENUM_MEMBER,
                        st.definition,
                        st.definition,
                        None,
                    )
                })
                .collect();
            let item = if s.item.file == root { s.item } else { s.definition };
            out.push(symbol(
                s.name.clone(),
                detail,
                kind,
                item,
                s.definition,
                (!children.is_empty()).then_some(children),
            ));
        }
        for output in &self.checked.program.outputs {
            let (name, span) = match output {
                Output::Reward(o) => ("reward".to_string(), o.keyword.to(o.value.span)),
                Output::Done(o) => ("done".to_string(), o.keyword.to(o.value.span)),
                Output::Discount(o) => ("discount".to_string(), o.keyword.to(o.value.span)),
                Output::Shape(s) => {
                    (format!("shape {}", rw_compiler::syntax::ast::expr_text(&s.value)), s.keyword.to(s.value.span))
                }
                Output::Constraint(c) => (
                    format!(
                        "constraint {}",
                        c.name
                            .as_ref()
                            .map_or_else(|| rw_compiler::syntax::ast::expr_text(&c.condition), |n| n.name.clone())
                    ),
                    c.condition.span.to(c.lagrange_span),
                ),
                Output::Log(_) => continue,
            };
            if span.file == root && sources.get(root).text.len() >= span.end as usize {
                let selection = Span { end: span.start.max(span.end.min(span.start + 1)), ..span };
                out.push(symbol(name, Some("output".into()), SymbolKind::EVENT, span, selection, None));
            }
        }
        out.sort_by_key(|s| (s.range.start.line, s.range.start.character));
        out
    }

    /// Completion at `offset` of the current text (which may not parse:
    /// the names come from the last check).
    pub fn completion(&self, text: &str, offset: usize) -> Vec<CompletionItem> {
        let before = &text[..offset.min(text.len())];
        let line = before.rsplit('\n').next().unwrap_or("");
        let prefix_len = line.chars().rev().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').count();
        let head = &line[..line.len() - prefix_len];
        let item = |label: &str, kind: CompletionItemKind, detail: String| CompletionItem {
            label: label.to_string(),
            kind: Some(kind),
            detail: (!detail.is_empty()).then_some(detail),
            ..CompletionItem::default()
        };
        // `use std::` and `use std::module::{`.
        let trimmed = head.trim_start();
        if let Some(rest) = trimmed.strip_prefix("use std::") {
            if rest.is_empty() {
                return rw_compiler::sema::stdlib::names()
                    .map(|m| item(m, CompletionItemKind::MODULE, format!("std::{m}")))
                    .collect();
            }
            let module = rest.split("::").next().unwrap_or("");
            return stdlib_items(module)
                .into_iter()
                .map(|(name, what)| item(&name, CompletionItemKind::FUNCTION, format!("{what} in std::{module}")))
                .collect();
        }
        // `base.` → the members of what `base` is.
        if let Some(base) = head.strip_suffix('.') {
            let base_name: String = base.chars().rev().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
            let base_name: String = base_name.chars().rev().collect();
            let Some(id) = self.checked.program.lookup(&base_name) else { return Vec::new() };
            let members: &[&str] = match &self.checked.program.decl(id).kind {
                DeclKind::Machine(_) => &["reward", "state", "in", "terminal", "distance", "value"],
                DeclKind::Formula(f) if f.kind == ast::FormulaKind::Ltl => {
                    &["accepting", "rejecting", "distance", "state"]
                }
                DeclKind::Formula(_) => &["sat", "violated", "distance", "state"],
                DeclKind::Criteria(_) | DeclKind::Input(_) => &["score", "all", "failed"],
                _ => &[],
            };
            return members
                .iter()
                .map(|m| item(m, CompletionItemKind::FIELD, member_doc(m).unwrap_or("").to_string()))
                .collect();
        }
        let mut out: Vec<CompletionItem> = Vec::new();
        let program = &self.checked.program;
        // Parameters of the `fn` or pattern the cursor is in.
        for s in &self.index.symbols {
            if let Kind::Parameter { owner } = s.kind
                && s.item.file == self.root()
                && (s.item.start as usize) <= offset
                && offset <= s.item.end as usize + 1
            {
                let owner = &self.index.symbol(owner).name;
                out.push(item(&s.name, CompletionItemKind::VARIABLE, format!("parameter of `{owner}`")));
            }
        }
        let mut names: Vec<(&String, &rw_compiler::sema::DeclId)> = program.names.iter().collect();
        names.sort();
        for (name, id) in names {
            let decl = program.decl(*id);
            let kind = match decl.kind {
                DeclKind::Fn(_) => CompletionItemKind::FUNCTION,
                DeclKind::Machine(_) | DeclKind::Formula(_) | DeclKind::Criteria(_) => CompletionItemKind::CLASS,
                DeclKind::Const(_) => CompletionItemKind::CONSTANT,
                _ => CompletionItemKind::VARIABLE,
            };
            let detail = match program.types.get(id) {
                Some(t) => format!("{} {name}: {t}", decl.kind.describe()),
                None => decl.kind.describe().to_string(),
            };
            out.push(item(name, kind, detail));
        }
        for f in rw_compiler::sema::builtin_functions() {
            if program.lookup(f).is_none() {
                out.push(item(
                    f,
                    CompletionItemKind::FUNCTION,
                    rw_compiler::sema::builtins_signature(f).unwrap_or("").into(),
                ));
            }
        }
        for v in ["steps", "episode_end"] {
            out.push(item(v, CompletionItemKind::VARIABLE, "built-in value".into()));
        }
        // Keywords; the temporal operators (`X`, `F`, `WX`, ...) only
        // clutter the list.
        for k in lexer::keywords().filter(|k| k.starts_with(|c: char| c.is_ascii_lowercase())) {
            out.push(item(k, CompletionItemKind::KEYWORD, String::new()));
        }
        // Standard-library items not imported yet, with the import added.
        let import_at = self.import_position();
        for module in rw_compiler::sema::stdlib::names() {
            for (name, what) in stdlib_items(module) {
                if program.lookup(&name).is_some() {
                    continue;
                }
                let mut c =
                    item(&name, CompletionItemKind::FUNCTION, format!("{what} in std::{module} (adds the `use`)"));
                c.additional_text_edits = Some(vec![TextEdit {
                    range: Range { start: import_at, end: import_at },
                    new_text: format!("use std::{module}::{{{name}}}\n"),
                }]);
                out.push(c);
            }
        }
        out
    }

    /// Where a new `use` line goes: after the last `use`, else before the
    /// first item that is not `spec`.
    fn import_position(&self) -> lsp_types::Position {
        let text = self.text();
        let index = LineIndex::new(text);
        let mut line = 0u32;
        let mut first_item = None;
        for (n, l) in text.lines().enumerate() {
            let t = l.trim_start();
            if t.starts_with("use ") {
                line = n as u32 + 1;
            } else if first_item.is_none() && !t.is_empty() && !t.starts_with("//") && !t.starts_with("spec ") {
                first_item = Some(n as u32);
            }
        }
        if line == 0 {
            line = first_item.unwrap_or(index.position(text.len()).line);
        }
        lsp_types::Position { line, character: 0 }
    }

    /// Semantic tokens of the root file, delta-encoded.
    pub fn semantic_tokens(&self) -> Vec<SemanticToken> {
        let text = self.text();
        let index = LineIndex::new(text);
        let root = self.root();
        let mut kinds: std::collections::HashMap<u32, (u32, u32)> = std::collections::HashMap::new();
        let classify = |id: SymbolId| -> (u32, u32) {
            match self.index.symbol(id).kind {
                Kind::Decl(d) => match self.checked.program.decl(d).kind {
                    DeclKind::Fn(_) => (token::FUNCTION, 0),
                    DeclKind::Machine(_) | DeclKind::Formula(_) | DeclKind::Criteria(_) => (token::TYPE, 0),
                    DeclKind::Const(_) => (token::VARIABLE, modifier::READONLY),
                    DeclKind::Param(_) | DeclKind::Multiplier(_) => (token::VARIABLE, modifier::READONLY),
                    _ => (token::VARIABLE, 0),
                },
                Kind::State { .. } => (token::ENUM_MEMBER, 0),
                Kind::Parameter { .. } => (token::PARAMETER, 0),
                Kind::Log => (token::PROPERTY, 0),
            }
        };
        for (id, s) in self.index.symbols.iter().enumerate() {
            if s.definition.file == root {
                let (t, m) = classify(SymbolId(id as u32));
                kinds.insert(s.definition.start, (t, m | modifier::DECLARATION));
            }
        }
        for (span, id) in &self.index.references {
            if span.file == root {
                kinds.insert(span.start, classify(*id));
            }
        }
        let tokens = lexer::lex(text);
        let mut out = Vec::new();
        let mut last = lsp_types::Position { line: 0, character: 0 };
        let mut previous_significant: Option<TokenKind> = None;
        for (i, t) in tokens.iter().enumerate() {
            let word = &text[t.span.clone()];
            let next_is_paren = tokens[i + 1..]
                .iter()
                .find(|n| n.kind != TokenKind::Whitespace)
                .is_some_and(|n| n.kind == TokenKind::LParen);
            let class = match t.kind {
                TokenKind::Whitespace => continue,
                TokenKind::Comment => Some((token::COMMENT, 0)),
                TokenKind::Str => Some((token::STRING, 0)),
                TokenKind::Int | TokenKind::Float => Some((token::NUMBER, 0)),
                TokenKind::Name => kinds.get(&(t.span.start as u32)).copied().or_else(|| {
                    if previous_significant == Some(TokenKind::Dot) {
                        Some((if next_is_paren { token::METHOD } else { token::PROPERTY }, 0))
                    } else if matches!(word, "f32" | "int" | "bool" | "criteria") {
                        Some((token::TYPE, modifier::DEFAULT_LIBRARY))
                    } else if lexer::keyword(word) {
                        Some((token::KEYWORD, 0))
                    } else if next_is_paren && rw_compiler::sema::builtins_signature(word).is_some() {
                        Some((token::FUNCTION, modifier::DEFAULT_LIBRARY))
                    } else if matches!(word, "steps" | "episode_end") {
                        Some((token::VARIABLE, modifier::DEFAULT_LIBRARY))
                    } else {
                        None
                    }
                }),
                TokenKind::Arrow
                | TokenKind::Iff
                | TokenKind::Plus
                | TokenKind::Minus
                | TokenKind::Star
                | TokenKind::Slash
                | TokenKind::EqEq
                | TokenKind::NotEq
                | TokenKind::Lt
                | TokenKind::Le
                | TokenKind::Gt
                | TokenKind::Ge
                | TokenKind::Bang
                | TokenKind::Amp
                | TokenKind::AmpAmp
                | TokenKind::Pipe
                | TokenKind::PipePipe
                | TokenKind::Box
                | TokenKind::Diamond
                | TokenKind::Question => Some((token::OPERATOR, 0)),
                _ => None,
            };
            if t.kind != TokenKind::Comment {
                previous_significant = Some(t.kind);
            }
            let Some((token_type, modifiers)) = class else { continue };
            let start = index.position(t.span.start);
            let length: usize = word.chars().map(char::len_utf16).sum();
            let delta_line = start.line - last.line;
            let delta_start = if delta_line == 0 { start.character - last.character } else { start.character };
            out.push(SemanticToken {
                delta_line,
                delta_start,
                length: length as u32,
                token_type,
                token_modifiers_bitset: modifiers,
            });
            last = start;
        }
        out
    }

    /// Every place of `symbol` (definition and uses) in this check, by file.
    pub fn occurrences(&self, symbol: SymbolId) -> Vec<Span> {
        let mut spans = vec![self.index.symbol(symbol).definition];
        spans.extend(self.index.references_to(symbol));
        spans.sort_by_key(|s| (s.file, s.start));
        spans.dedup();
        spans
    }

    /// Why `new_name` cannot replace `symbol`'s name, if it cannot.
    pub fn rename_refusal(&self, symbol: SymbolId, new_name: &str) -> Option<String> {
        let s = self.index.symbol(symbol);
        if !s.renamable {
            return Some(format!(
                "`{}` cannot be renamed: it is declared in the standard library or implicitly",
                s.name
            ));
        }
        let valid = new_name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && new_name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return Some(format!(
                "`{new_name}` is not a name: names are letters, digits and `_`, not starting with a digit"
            ));
        }
        if lexer::keyword(new_name) || matches!(new_name, "f32" | "int" | "bool" | "criteria" | "steps" | "episode_end")
        {
            return Some(format!("`{new_name}` is a keyword or a built-in name"));
        }
        let taken = match s.kind {
            Kind::Decl(_) | Kind::Log => self.checked.program.lookup(new_name).is_some(),
            Kind::State { machine } => self.index.states_of(machine).any(|st| self.index.symbol(st).name == new_name),
            Kind::Parameter { owner } => {
                self.index.symbols.iter().any(|o| o.kind == (Kind::Parameter { owner }) && o.name == new_name)
            }
        };
        taken.then(|| format!("`{new_name}` is already declared here"))
    }

    /// Quick fixes for the diagnostics whose place overlaps `start..end`:
    /// a misspelt name the checker suggests a replacement for ("did you
    /// mean `coffee`?"). Each is (title, the diagnostic, place, new text).
    pub fn quick_fixes(&self, start: usize, end: usize) -> Vec<(String, &rw_compiler::Diagnostic, Span, String)> {
        let mut out = Vec::new();
        for d in &self.checked.diagnostics {
            let Some(span) = d.primary_span() else { continue };
            if span.file != self.root() || (span.end as usize) < start || (span.start as usize) > end {
                continue;
            }
            let Some(suggested) =
                d.help.as_deref().and_then(|h| h.strip_prefix("did you mean `")).and_then(|h| h.strip_suffix("`?"))
            else {
                continue;
            };
            // `std::length` or `task.reward`: the name itself is the last part.
            let replacement = suggested.rsplit(['.', ':']).next().unwrap_or(suggested);
            let written = self.slice(span);
            let is_name = |t: &str| {
                t.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                    && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            };
            if is_name(written) && is_name(replacement) && written != replacement {
                out.push((format!("replace `{written}` with `{replacement}`"), d, span, replacement.to_string()));
            }
        }
        out
    }

    pub fn places<'a>(&'a self, uri: &'a lsp_types::Uri) -> Places<'a> {
        Places { sources: &self.checked.sources, root: self.root(), root_uri: uri }
    }
}

fn facts_text(f: &OutputFacts) -> String {
    format!("\n\nclass **{}**, bounds `{}`\n\n{}", f.class, f.bounds, f.reason)
}

fn first_lines(text: &str, n: usize) -> &str {
    match text.match_indices('\n').nth(n - 1) {
        Some((i, _)) => &text[..i],
        None => text,
    }
}

/// The path of the `use "PATH"` string at `offset`, if there is one.
pub fn imported_path_at(text: &str, offset: usize) -> Option<String> {
    let tokens: Vec<_> = lexer::lex(text)
        .into_iter()
        .filter(|t| !matches!(t.kind, TokenKind::Whitespace | TokenKind::Comment))
        .collect();
    let i = tokens.iter().position(|t| t.kind == TokenKind::Str && t.span.start <= offset && offset <= t.span.end)?;
    let previous = tokens.get(i.checked_sub(1)?)?;
    if &text[previous.span.clone()] != "use" {
        return None;
    }
    let quoted = &text[tokens[i].span.clone()];
    Some(quoted.get(1..quoted.len() - 1)?.replace("\\\"", "\"").replace("\\\\", "\\"))
}

/// The items a standard-library module declares: (name, what it is).
pub fn stdlib_items(module: &str) -> Vec<(String, &'static str)> {
    let Some(text) = rw_compiler::sema::stdlib::source(module) else { return Vec::new() };
    let (parsed, _) = rw_compiler::syntax::parse(FileId(0), text);
    parsed
        .items
        .iter()
        .filter_map(|i| match &i.kind {
            ast::ItemKind::Fn(f) => Some((f.name.name.clone(), "fn")),
            ast::ItemKind::Formula(f) => Some((f.name.name.clone(), "formula pattern")),
            ast::ItemKind::Let(l) => Some((l.name.name.clone(), "let")),
            ast::ItemKind::Const(c) => Some((c.name.name.clone(), "const")),
            ast::ItemKind::Machine(m) => Some((m.name.name.clone(), "machine")),
            _ => None,
        })
        .collect()
}

/// What a member of a machine, formula or criteria list is.
pub fn member_doc(member: &str) -> Option<&'static str> {
    Some(match member {
        "reward" => "`f32`: the reward of the machine edge taken this step (0 when none)",
        "state" => "`int`: the automaton's state after this step, numbered from the start state",
        "in" => "`in(STATE) -> bool`: the machine is in that state after this step",
        "terminal" => "`bool`: the machine is in a terminal state",
        "distance" => "`int`: fewest steps from the current state to a goal (terminal or accepting) state",
        "value" => {
            "`value(gamma) -> f32`: the optimal value of the current state by value iteration with that discount"
        }
        "sat" => "`bool`: the trace so far satisfies the formula",
        "violated" => "`bool`: no continuation of the trace can satisfy the formula any more",
        "accepting" => "`bool`: this step took an accepting transition",
        "rejecting" => "`bool`: no accepting run remains (the automaton is in its rejecting sink)",
        "score" => "`f32`: the weighted share of criteria met",
        "all" => "`bool`: every criterion is met",
        "failed" => "`int`: how many criteria are not met",
        _ => return None,
    })
}

/// The semantic token legend: indexes into [`TOKEN_TYPES`].
pub mod token {
    pub const KEYWORD: u32 = 0;
    pub const COMMENT: u32 = 1;
    pub const STRING: u32 = 2;
    pub const NUMBER: u32 = 3;
    pub const OPERATOR: u32 = 4;
    pub const VARIABLE: u32 = 5;
    pub const PARAMETER: u32 = 6;
    pub const FUNCTION: u32 = 7;
    pub const TYPE: u32 = 8;
    pub const ENUM_MEMBER: u32 = 9;
    pub const PROPERTY: u32 = 10;
    pub const METHOD: u32 = 11;
}

/// Bits of the semantic token modifiers, indexes into [`TOKEN_MODIFIERS`].
pub mod modifier {
    pub const DECLARATION: u32 = 1;
    pub const READONLY: u32 = 2;
    pub const DEFAULT_LIBRARY: u32 = 4;
}

pub const TOKEN_TYPES: [SemanticTokenType; 12] = [
    SemanticTokenType::KEYWORD,
    SemanticTokenType::COMMENT,
    SemanticTokenType::STRING,
    SemanticTokenType::NUMBER,
    SemanticTokenType::OPERATOR,
    SemanticTokenType::VARIABLE,
    SemanticTokenType::PARAMETER,
    SemanticTokenType::FUNCTION,
    SemanticTokenType::TYPE,
    SemanticTokenType::ENUM_MEMBER,
    SemanticTokenType::PROPERTY,
    SemanticTokenType::METHOD,
];

pub const TOKEN_MODIFIERS: [SemanticTokenModifier; 3] =
    [SemanticTokenModifier::DECLARATION, SemanticTokenModifier::READONLY, SemanticTokenModifier::DEFAULT_LIBRARY];

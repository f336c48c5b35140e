//! `rwc lsp`: the language server, over stdio. The only code that knows LSP
//! types; everything it says comes from the compiler (diagnostics, the
//! [`index`](rw_compiler::sema::index) of names, the formatter).
//!
//! One loop owns the documents. Edits arriving in a burst are applied
//! together and checked once; the fast check (syntax, names, types, machine
//! structure: milliseconds) runs in the loop and its diagnostics are
//! published at once, then the [`worker`] runs the solver-backed checks
//! within a budget and publishes the full set, unless a newer edit
//! overtook it. Checking a document reads the unsaved buffers of the other
//! open documents; editing a module re-checks the open files that import it.

pub mod client;
mod convert;
mod features;
mod worker;

use convert::{LineIndex, path_to_uri, uri_to_path};
use features::{Analysis, TOKEN_MODIFIERS, TOKEN_TYPES};
use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types::notification::Notification as _;
use lsp_types::{Location, OneOf, Position, Range, TextEdit, Uri, WorkspaceEdit};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[derive(clap::Args, Debug)]
pub struct LspArgs {
    /// Time limit of each solver query of a background check
    #[arg(long, default_value_t = 500, value_name = "N")]
    pub timeout_ms: u32,
    /// Time limit of a document's whole background check, solver queries included
    #[arg(long, default_value_t = 5000, value_name = "N")]
    pub budget_ms: u32,
}

/// How long the loop waits for more of a burst of edits before checking.
const BURST_GAP: Duration = Duration::from_millis(5);
/// Most `.rw` files workspace symbols read.
const MAX_WORKSPACE_FILES: usize = 2_000;

pub fn run(args: &LspArgs) -> u8 {
    let (connection, io_threads) = Connection::stdio();
    let limits = worker::Limits { timeout_ms: args.timeout_ms, budget_ms: args.budget_ms.max(1) };
    let outcome = serve(&connection, limits);
    drop(connection);
    let joined = io_threads.join();
    match (outcome, joined) {
        (Ok(()), _) => 0,
        (Err(e), _) => {
            eprintln!("error: rwc lsp: {e}");
            // LSP: exiting without a `shutdown` request is exit code 1.
            1
        }
    }
}

fn serve(connection: &Connection, limits: worker::Limits) -> Result<(), String> {
    let (id, params) = connection.initialize_start().map_err(|e| e.to_string())?;
    let params: lsp_types::InitializeParams =
        serde_json::from_value(params).map_err(|e| format!("bad `initialize` params: {e}"))?;
    let capabilities = lsp_types::ServerCapabilities {
        text_document_sync: Some(lsp_types::TextDocumentSyncCapability::Options(lsp_types::TextDocumentSyncOptions {
            open_close: Some(true),
            change: Some(lsp_types::TextDocumentSyncKind::INCREMENTAL),
            save: Some(lsp_types::TextDocumentSyncSaveOptions::Supported(true)),
            ..Default::default()
        })),
        hover_provider: Some(lsp_types::HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        document_symbol_provider: Some(OneOf::Left(true)),
        workspace_symbol_provider: Some(OneOf::Left(true)),
        document_formatting_provider: Some(OneOf::Left(true)),
        code_action_provider: Some(lsp_types::CodeActionProviderCapability::Options(lsp_types::CodeActionOptions {
            code_action_kinds: Some(vec![lsp_types::CodeActionKind::QUICKFIX]),
            ..Default::default()
        })),
        rename_provider: Some(OneOf::Right(lsp_types::RenameOptions {
            prepare_provider: Some(true),
            work_done_progress_options: Default::default(),
        })),
        completion_provider: Some(lsp_types::CompletionOptions {
            trigger_characters: Some(vec![".".into(), ":".into(), "{".into()]),
            ..Default::default()
        }),
        semantic_tokens_provider: Some(lsp_types::SemanticTokensServerCapabilities::SemanticTokensOptions(
            lsp_types::SemanticTokensOptions {
                legend: lsp_types::SemanticTokensLegend {
                    token_types: TOKEN_TYPES.to_vec(),
                    token_modifiers: TOKEN_MODIFIERS.to_vec(),
                },
                full: Some(lsp_types::SemanticTokensFullOptions::Bool(true)),
                range: None,
                ..Default::default()
            },
        )),
        ..Default::default()
    };
    let result = json!({
        "capabilities": capabilities,
        "serverInfo": {"name": "rwc", "version": env!("CARGO_PKG_VERSION")},
    });
    connection.initialize_finish(id, result).map_err(|e| e.to_string())?;
    #[allow(deprecated)]
    let mut roots: Vec<PathBuf> =
        params.workspace_folders.iter().flatten().filter_map(|f| uri_to_path(&f.uri)).collect();
    #[allow(deprecated)]
    if roots.is_empty()
        && let Some(root) = params.root_uri.as_ref().and_then(uri_to_path)
    {
        roots.push(root);
    }
    let worker = worker::Worker::spawn(limits).map_err(|e| format!("cannot start the solver thread: {e}"))?;
    let mut server = Server { connection, docs: HashMap::new(), worker, roots };
    server.main_loop()
}

struct Document {
    uri: Uri,
    path: Option<PathBuf>,
    version: i32,
    text: String,
    analysis: Option<Analysis>,
    /// Files the last check read besides this one (its imports).
    imports: Vec<PathBuf>,
    /// The version whose diagnostics were published last.
    published: Option<i32>,
}

struct Server<'c> {
    connection: &'c Connection,
    /// Open documents by URI.
    docs: HashMap<String, Document>,
    worker: worker::Worker,
    roots: Vec<PathBuf>,
}

impl Server<'_> {
    fn main_loop(&mut self) -> Result<(), String> {
        loop {
            let mut batch: Vec<Message> = Vec::new();
            crossbeam_channel::select! {
                recv(self.connection.receiver) -> message => match message {
                    Ok(m) => batch.push(m),
                    Err(_) => return Err("the client closed the connection without `shutdown` and `exit`".into()),
                },
                recv(self.worker.results) -> finished => {
                    match finished {
                        Ok(f) => self.solver_finished(f),
                        Err(_) => return Err("the solver thread stopped".into()),
                    }
                    continue;
                }
            }
            // The rest of a burst of edits, so that it is checked once.
            while let Ok(m) = self.connection.receiver.recv_timeout(BURST_GAP) {
                batch.push(m);
                if batch.len() >= 10_000 {
                    break;
                }
            }
            for message in batch {
                match message {
                    Message::Request(request) => {
                        if self.connection.handle_shutdown(&request).map_err(|e| e.to_string())? {
                            return Ok(());
                        }
                        let id = request.id.clone();
                        // A bug in one answer must not take the server down.
                        let response = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.request(request)))
                            .unwrap_or_else(|_| {
                                Response::new_err(
                                    id,
                                    ErrorCode::InternalError as i32,
                                    "internal error in rwc lsp".into(),
                                )
                            });
                        self.send(response.into());
                    }
                    Message::Notification(n) => {
                        if n.method == lsp_types::notification::Exit::METHOD {
                            return Err("`exit` before `shutdown`".into());
                        }
                        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.notification(n)));
                    }
                    Message::Response(_) => {}
                }
            }
            if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.publish_changed())).is_err() {
                // Do not check the same text again and again.
                for doc in self.docs.values_mut() {
                    doc.published = Some(doc.version);
                }
            }
        }
    }

    fn send(&self, message: Message) {
        let _ = self.connection.sender.send(message);
    }

    // ---- documents ------------------------------------------------------------------

    fn notification(&mut self, n: Notification) {
        use lsp_types::notification::{
            DidChangeTextDocument, DidCloseTextDocument, DidOpenTextDocument, DidSaveTextDocument,
        };
        match n.method.as_str() {
            DidOpenTextDocument::METHOD => {
                let Ok(p) = serde_json::from_value::<lsp_types::DidOpenTextDocumentParams>(n.params) else { return };
                let doc = p.text_document;
                let path = uri_to_path(&doc.uri);
                self.docs.insert(
                    doc.uri.as_str().to_string(),
                    Document {
                        uri: doc.uri,
                        path,
                        version: doc.version,
                        text: doc.text,
                        analysis: None,
                        imports: Vec::new(),
                        published: None,
                    },
                );
            }
            DidChangeTextDocument::METHOD => {
                let Ok(p) = serde_json::from_value::<lsp_types::DidChangeTextDocumentParams>(n.params) else { return };
                let Some(doc) = self.docs.get_mut(p.text_document.uri.as_str()) else { return };
                for change in p.content_changes {
                    match change.range {
                        None => doc.text = change.text,
                        Some(range) => {
                            let index = LineIndex::new(&doc.text);
                            let (start, end) = (index.offset(range.start), index.offset(range.end));
                            if start <= end {
                                doc.text.replace_range(start..end, &change.text);
                            }
                        }
                    }
                }
                doc.version = p.text_document.version;
            }
            DidSaveTextDocument::METHOD => {
                let Ok(p) = serde_json::from_value::<lsp_types::DidSaveTextDocumentParams>(n.params) else { return };
                if let Some(doc) = self.docs.get_mut(p.text_document.uri.as_str()) {
                    if let Some(text) = p.text {
                        doc.text = text;
                    }
                    // Files on disk may have changed with it: check again.
                    doc.analysis = None;
                    doc.published = None;
                }
            }
            lsp_types::notification::DidChangeWatchedFiles::METHOD => {
                // Files changed on disk (a checkout, another editor): the open
                // documents that import them are checked again.
                let Ok(p) = serde_json::from_value::<lsp_types::DidChangeWatchedFilesParams>(n.params) else { return };
                for change in p.changes {
                    if let Some(path) = uri_to_path(&change.uri) {
                        self.invalidate_importers(&path);
                    }
                }
            }
            DidCloseTextDocument::METHOD => {
                let Ok(p) = serde_json::from_value::<lsp_types::DidCloseTextDocumentParams>(n.params) else { return };
                if let Some(doc) = self.docs.remove(p.text_document.uri.as_str()) {
                    self.publish(&doc.uri, Vec::new(), None);
                    // Files importing it now read it from disk.
                    if let Some(path) = doc.path {
                        self.invalidate_importers(&path);
                    }
                }
            }
            _ => {}
        }
    }

    /// The unsaved buffers of the open documents, by path.
    fn overlay(&self) -> HashMap<PathBuf, String> {
        self.docs.values().filter_map(|d| Some((d.path.clone()?, d.text.clone()))).collect()
    }

    /// Checks the document (fast phases only) if its analysis is stale.
    fn analyze(&mut self, key: &str) {
        let overlay = self.overlay();
        let Some(doc) = self.docs.get_mut(key) else { return };
        if doc.analysis.as_ref().is_some_and(|a| a.version == doc.version) {
            return;
        }
        let (name, dir) = name_and_dir(doc);
        let read = |path: &Path| match overlay.get(path) {
            Some(text) => Ok(text.clone()),
            None => rw_compiler::sema::read_from_disk(path),
        };
        let checked = rw_compiler::check_text_with(&name, &doc.text, dir.as_deref(), &read);
        doc.imports = checked
            .sources
            .files()
            .filter(|(id, _)| *id != checked.root)
            .filter_map(|(_, f)| match &f.origin {
                rw_compiler::source::Origin::Path(p) => Some(p.clone()),
                _ => None,
            })
            .collect();
        doc.analysis = Some(Analysis::new(doc.version, checked));
    }

    /// Marks the open documents importing `path` for a new check.
    fn invalidate_importers(&mut self, path: &Path) {
        for doc in self.docs.values_mut() {
            if doc.imports.iter().any(|p| p == path) {
                doc.analysis = None;
                doc.published = None;
            }
        }
    }

    /// Publishes the fast diagnostics of every document whose version has
    /// not been published, and queues its solver-backed check.
    fn publish_changed(&mut self) {
        let mut changed: Vec<String> =
            self.docs.iter().filter(|(_, d)| d.published != Some(d.version)).map(|(k, _)| k.clone()).collect();
        // Editing a module re-checks the open files that import it.
        let mut importers = Vec::new();
        for key in &changed {
            if let Some(path) = self.docs.get(key).and_then(|d| d.path.clone()) {
                for (other, doc) in &self.docs {
                    if other != key && doc.imports.contains(&path) {
                        importers.push(other.clone());
                    }
                }
            }
        }
        for key in importers {
            if let Some(doc) = self.docs.get_mut(&key) {
                doc.analysis = None;
                doc.published = None;
            }
            if !changed.contains(&key) {
                changed.push(key);
            }
        }
        for key in changed {
            self.analyze(&key);
            let overlay = self.overlay();
            let Some(doc) = self.docs.get_mut(&key) else { continue };
            let Some(analysis) = &doc.analysis else { continue };
            let places = analysis.places(&doc.uri);
            let diagnostics: Vec<lsp_types::Diagnostic> =
                analysis.checked.diagnostics.iter().flat_map(|d| convert::diagnostics(d, &places)).collect();
            let solver_check = analysis.checked.program.is_spec() && !analysis.checked.has_errors();
            doc.published = Some(doc.version);
            let (uri, version) = (doc.uri.clone(), doc.version);
            let job = solver_check.then(|| {
                let (name, dir) = name_and_dir(doc);
                worker::Job { uri: uri.clone(), version, name, dir, text: doc.text.clone(), overlay }
            });
            self.publish(&uri, diagnostics, Some(version));
            if let Some(job) = job {
                self.worker.submit(job);
            }
        }
    }

    fn solver_finished(&mut self, finished: worker::Finished) {
        let Some(doc) = self.docs.get_mut(finished.uri.as_str()) else { return };
        if doc.version != finished.version {
            return; // overtaken by an edit
        }
        if let Some(a) = doc.analysis.as_mut().filter(|a| a.version == finished.version) {
            a.outputs = finished.outputs;
        }
        let uri = doc.uri.clone();
        self.publish(&uri, finished.diagnostics, Some(finished.version));
    }

    fn publish(&self, uri: &Uri, diagnostics: Vec<lsp_types::Diagnostic>, version: Option<i32>) {
        let params = lsp_types::PublishDiagnosticsParams { uri: uri.clone(), diagnostics, version };
        self.send(Notification::new(lsp_types::notification::PublishDiagnostics::METHOD.into(), params).into());
    }

    // ---- requests ---------------------------------------------------------------------

    fn request(&mut self, request: Request) -> Response {
        let id = request.id.clone();
        match self.answer(request) {
            Ok(value) => Response::new_ok(id, value),
            Err((code, message)) => Response::new_err(id, code as i32, message),
        }
    }

    fn answer(&mut self, request: Request) -> Result<Value, (ErrorCode, String)> {
        use lsp_types::request::*;
        let params = request.params;
        let parse = |what: &str, e: serde_json::Error| (ErrorCode::InvalidParams, format!("bad `{what}` params: {e}"));
        match request.method.as_str() {
            HoverRequest::METHOD => {
                let p: lsp_types::HoverParams = serde_json::from_value(params).map_err(|e| parse("hover", e))?;
                let (key, offset) = self.locate(&p.text_document_position_params)?;
                let a = self.analysis(&key)?;
                let Some((text, span)) = a.hover(offset) else { return Ok(Value::Null) };
                let range = (span.file == a.root())
                    .then(|| LineIndex::new(a.text()).range(span.start as usize, span.end as usize));
                Ok(to_json(&lsp_types::Hover {
                    contents: lsp_types::HoverContents::Markup(lsp_types::MarkupContent {
                        kind: lsp_types::MarkupKind::Markdown,
                        value: text,
                    }),
                    range,
                }))
            }
            GotoDefinition::METHOD => {
                let p: lsp_types::GotoDefinitionParams =
                    serde_json::from_value(params).map_err(|e| parse("definition", e))?;
                let (key, offset) = self.locate(&p.text_document_position_params)?;
                let uri = self.docs[&key].uri.clone();
                let a = self.analysis(&key)?;
                let Some(symbol) = a.index.at(a.root(), offset) else {
                    // `use "./helpers.rw"`: the file it imports.
                    let imported = features::imported_path_at(a.text(), offset)
                        .zip(self.docs[&key].path.as_deref().and_then(Path::parent))
                        .and_then(|(relative, dir)| path_to_uri(&rw_compiler::sema::normalize(&dir.join(relative))));
                    return Ok(imported.map_or(Value::Null, |u| {
                        to_json(&lsp_types::GotoDefinitionResponse::Scalar(Location {
                            uri: u,
                            range: Range::default(),
                        }))
                    }));
                };
                let location = a.places(&uri).location(a.index.symbol(symbol).definition);
                Ok(location.map_or(Value::Null, |l| to_json(&lsp_types::GotoDefinitionResponse::Scalar(l))))
            }
            References::METHOD => {
                let p: lsp_types::ReferenceParams =
                    serde_json::from_value(params).map_err(|e| parse("references", e))?;
                let (key, offset) = self.locate(&p.text_document_position)?;
                let Some(locations) = self.occurrences(&key, offset, p.context.include_declaration)? else {
                    return Ok(Value::Null);
                };
                Ok(to_json(&locations))
            }
            PrepareRenameRequest::METHOD => {
                let p: lsp_types::TextDocumentPositionParams =
                    serde_json::from_value(params).map_err(|e| parse("prepareRename", e))?;
                let (key, offset) = self.locate(&p)?;
                let a = self.analysis(&key)?;
                let Some(symbol) = a.index.at(a.root(), offset) else { return Ok(Value::Null) };
                if let Some(why) = a.rename_refusal(symbol, "x_") {
                    return Err((ErrorCode::InvalidRequest, why));
                }
                let span = a
                    .occurrences(symbol)
                    .into_iter()
                    .find(|s| s.file == a.root() && s.start as usize <= offset && offset <= s.end as usize);
                let Some(span) = span else { return Ok(Value::Null) };
                Ok(to_json(&LineIndex::new(a.text()).range(span.start as usize, span.end as usize)))
            }
            Rename::METHOD => {
                let p: lsp_types::RenameParams = serde_json::from_value(params).map_err(|e| parse("rename", e))?;
                let (key, offset) = self.locate(&p.text_document_position)?;
                {
                    let a = self.analysis(&key)?;
                    let Some(symbol) = a.index.at(a.root(), offset) else {
                        return Err((ErrorCode::InvalidRequest, "there is no name here to rename".into()));
                    };
                    if let Some(why) = a.rename_refusal(symbol, &p.new_name) {
                        return Err((ErrorCode::InvalidRequest, why));
                    }
                }
                let Some(locations) = self.occurrences(&key, offset, true)? else { return Ok(Value::Null) };
                // lsp-types keys the edits by `Uri`, whose hash never changes in use.
                #[allow(clippy::mutable_key_type)]
                let mut changes: HashMap<Uri, Vec<TextEdit>> = HashMap::new();
                for l in locations {
                    changes.entry(l.uri).or_default().push(TextEdit { range: l.range, new_text: p.new_name.clone() });
                }
                Ok(to_json(&WorkspaceEdit { changes: Some(changes), ..Default::default() }))
            }
            Completion::METHOD => {
                let p: lsp_types::CompletionParams =
                    serde_json::from_value(params).map_err(|e| parse("completion", e))?;
                let (key, offset) = self.locate(&p.text_document_position)?;
                // The offset is into the text with `\n` line ends.
                let text = rw_compiler::source::normalize_line_ends(self.docs[&key].text.clone());
                let a = self.analysis(&key)?;
                Ok(to_json(&lsp_types::CompletionResponse::Array(a.completion(&text, offset))))
            }
            DocumentSymbolRequest::METHOD => {
                let p: lsp_types::DocumentSymbolParams =
                    serde_json::from_value(params).map_err(|e| parse("documentSymbol", e))?;
                let key = self.key(&p.text_document.uri)?;
                let a = self.analysis(&key)?;
                Ok(to_json(&lsp_types::DocumentSymbolResponse::Nested(a.document_symbols())))
            }
            WorkspaceSymbolRequest::METHOD => {
                let p: lsp_types::WorkspaceSymbolParams =
                    serde_json::from_value(params).map_err(|e| parse("workspace/symbol", e))?;
                Ok(to_json(&lsp_types::WorkspaceSymbolResponse::Nested(self.workspace_symbols(&p.query))))
            }
            SemanticTokensFullRequest::METHOD => {
                let p: lsp_types::SemanticTokensParams =
                    serde_json::from_value(params).map_err(|e| parse("semanticTokens", e))?;
                let key = self.key(&p.text_document.uri)?;
                let a = self.analysis(&key)?;
                Ok(to_json(&lsp_types::SemanticTokensResult::Tokens(lsp_types::SemanticTokens {
                    result_id: None,
                    data: a.semantic_tokens(),
                })))
            }
            Formatting::METHOD => {
                let p: lsp_types::DocumentFormattingParams =
                    serde_json::from_value(params).map_err(|e| parse("formatting", e))?;
                let key = self.key(&p.text_document.uri)?;
                let text = &self.docs[&key].text;
                // A document that does not parse is left alone (its syntax
                // errors are already shown).
                let Ok(formatted) = rw_compiler::syntax::format::format(text) else { return Ok(Value::Null) };
                if formatted == *text {
                    return Ok(json!([]));
                }
                let index = LineIndex::new(text);
                let whole = Range { start: Position { line: 0, character: 0 }, end: index.position(text.len()) };
                Ok(to_json(&vec![TextEdit { range: whole, new_text: formatted }]))
            }
            CodeActionRequest::METHOD => {
                let p: lsp_types::CodeActionParams =
                    serde_json::from_value(params).map_err(|e| parse("codeAction", e))?;
                let key = self.key(&p.text_document.uri)?;
                let uri = self.docs[&key].uri.clone();
                let a = self.analysis(&key)?;
                let index = LineIndex::new(a.text());
                let (start, end) = (index.offset(p.range.start), index.offset(p.range.end));
                let places = a.places(&uri);
                let actions: Vec<lsp_types::CodeActionOrCommand> = a
                    .quick_fixes(start, end)
                    .into_iter()
                    .map(|(title, diagnostic, span, new_text)| {
                        // lsp-types keys the edits by `Uri`, whose hash never changes in use.
                        #[allow(clippy::mutable_key_type)]
                        let changes =
                            HashMap::from([(uri.clone(), vec![TextEdit { range: places.range(span), new_text }])]);
                        lsp_types::CodeActionOrCommand::CodeAction(lsp_types::CodeAction {
                            title,
                            kind: Some(lsp_types::CodeActionKind::QUICKFIX),
                            diagnostics: Some(convert::diagnostics(diagnostic, &places).into_iter().take(1).collect()),
                            edit: Some(WorkspaceEdit { changes: Some(changes), ..Default::default() }),
                            is_preferred: Some(true),
                            ..Default::default()
                        })
                    })
                    .collect();
                Ok(to_json(&actions))
            }
            _ => Err((ErrorCode::MethodNotFound, format!("`{}` is not supported", request.method))),
        }
    }

    fn key(&self, uri: &Uri) -> Result<String, (ErrorCode, String)> {
        if self.docs.contains_key(uri.as_str()) {
            Ok(uri.as_str().to_string())
        } else {
            Err((ErrorCode::InvalidParams, format!("`{}` is not open", uri.as_str())))
        }
    }

    /// The document and byte offset of a position.
    fn locate(&self, p: &lsp_types::TextDocumentPositionParams) -> Result<(String, usize), (ErrorCode, String)> {
        let key = self.key(&p.text_document.uri)?;
        let doc = &self.docs[&key];
        // Offsets are into the checked text, whose line ends are `\n`.
        let normalized;
        let text = if doc.text.contains('\r') {
            normalized = rw_compiler::source::normalize_line_ends(doc.text.clone());
            &normalized
        } else {
            &doc.text
        };
        Ok((key, LineIndex::new(text).offset(p.position)))
    }

    fn analysis(&mut self, key: &str) -> Result<&Analysis, (ErrorCode, String)> {
        self.analyze(key);
        self.docs
            .get(key)
            .and_then(|d| d.analysis.as_ref())
            .ok_or((ErrorCode::InternalError, "the document could not be checked".into()))
    }

    /// The definition and uses of the name at `offset`: in this document's
    /// check, in every open document that reads the same declaration, and
    /// in the workspace's other files that import a file (a rename must not
    /// break them).
    fn occurrences(
        &mut self,
        key: &str,
        offset: usize,
        include_definition: bool,
    ) -> Result<Option<Vec<Location>>, (ErrorCode, String)> {
        let uri = self.docs[key].uri.clone();
        let (definition, name) = {
            let a = self.analysis(key)?;
            let Some(symbol) = a.index.at(a.root(), offset) else { return Ok(None) };
            let s = a.index.symbol(symbol);
            let Some(definition) = a.places(&uri).location(s.definition) else { return Ok(None) };
            (definition, s.name.clone())
        };
        let keys: Vec<String> = self.docs.keys().cloned().collect();
        let mut out: Vec<Location> = Vec::new();
        for other in keys {
            let other_uri = self.docs[&other].uri.clone();
            let a = self.analysis(&other)?;
            add_same_symbol(a, &other_uri, &definition, &name, include_definition, &mut out);
        }
        let overlay = self.overlay();
        let read = |path: &Path| match overlay.get(path) {
            Some(text) => Ok(text.clone()),
            None => rw_compiler::sema::read_from_disk(path),
        };
        for (path, text) in self.workspace_files() {
            let open = self.docs.values().any(|d| d.path.as_deref() == Some(path.as_path()));
            if open || !text.contains("use \"") {
                continue;
            }
            let Some(file_uri) = path_to_uri(&path) else { continue };
            let file_name = path.file_name().map_or_else(String::new, |f| f.to_string_lossy().into_owned());
            let checked = rw_compiler::check_text_with(&file_name, &text, path.parent(), &read);
            let a = Analysis::new(0, checked);
            add_same_symbol(&a, &file_uri, &definition, &name, include_definition, &mut out);
        }
        out.sort_by(|a, b| {
            (a.uri.as_str(), a.range.start.line, a.range.start.character).cmp(&(
                b.uri.as_str(),
                b.range.start.line,
                b.range.start.character,
            ))
        });
        Ok(Some(out))
    }

    /// The open documents (their unsaved text) and the other `.rw` files
    /// under the workspace folders, at most [`MAX_WORKSPACE_FILES`].
    fn workspace_files(&self) -> Vec<(PathBuf, String)> {
        let mut files: Vec<(PathBuf, String)> =
            self.docs.values().filter_map(|d| Some((d.path.clone()?, d.text.clone()))).collect();
        let mut stack: Vec<PathBuf> = self.roots.clone();
        let mut visited = 0usize;
        while let Some(dir) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else { continue };
            for entry in entries.flatten() {
                visited += 1;
                if visited > 50 * MAX_WORKSPACE_FILES || files.len() >= MAX_WORKSPACE_FILES {
                    return files;
                }
                let path = entry.path();
                let name = entry.file_name().to_string_lossy().into_owned();
                let Ok(kind) = entry.file_type() else { continue };
                if kind.is_dir() && !name.starts_with('.') && !matches!(name.as_str(), "target" | "node_modules") {
                    stack.push(path);
                } else if kind.is_file()
                    && name.ends_with(".rw")
                    && !files.iter().any(|(p, _)| *p == path)
                    && let Ok(text) = rw_compiler::sema::read_from_disk(&path)
                {
                    files.push((path, text));
                }
            }
        }
        files
    }

    /// Items of every `.rw` file under the workspace folders (and the open
    /// documents) whose name contains `query`.
    fn workspace_symbols(&self, query: &str) -> Vec<lsp_types::WorkspaceSymbol> {
        let query = query.to_lowercase();
        let files = self.workspace_files();
        let mut out = Vec::new();
        for (path, text) in files {
            let Some(uri) = path_to_uri(&path) else { continue };
            let (module, _) = rw_compiler::syntax::parse(rw_compiler::FileId(0), &text);
            let index = LineIndex::new(&text);
            for item in &module.items {
                use rw_compiler::syntax::ast::ItemKind as I;
                let names: Vec<(&rw_compiler::syntax::ast::Ident, lsp_types::SymbolKind)> = match &item.kind {
                    I::Machine(m) => vec![(&m.name, lsp_types::SymbolKind::CLASS)],
                    I::Formula(f) => vec![(&f.name, lsp_types::SymbolKind::INTERFACE)],
                    I::Fn(f) => vec![(&f.name, lsp_types::SymbolKind::FUNCTION)],
                    I::Let(l) => vec![(&l.name, lsp_types::SymbolKind::VARIABLE)],
                    I::Input(d) => vec![(&d.name, lsp_types::SymbolKind::VARIABLE)],
                    I::Param(d) => vec![(&d.name, lsp_types::SymbolKind::PROPERTY)],
                    I::Const(d) => vec![(&d.name, lsp_types::SymbolKind::CONSTANT)],
                    I::Criteria(c) => vec![(&c.name, lsp_types::SymbolKind::ENUM)],
                    I::Log(l) => vec![(&l.name, lsp_types::SymbolKind::FIELD)],
                    I::Props(ps) => ps.iter().map(|p| (p, lsp_types::SymbolKind::BOOLEAN)).collect(),
                    _ => Vec::new(),
                };
                for (name, kind) in names {
                    if !name.name.to_lowercase().contains(&query) {
                        continue;
                    }
                    out.push(lsp_types::WorkspaceSymbol {
                        name: name.name.clone(),
                        kind,
                        tags: None,
                        container_name: path.file_name().map(|f| f.to_string_lossy().into_owned()),
                        location: OneOf::Left(Location {
                            uri: uri.clone(),
                            range: index.range(name.span.start as usize, name.span.end as usize),
                        }),
                        data: None,
                    });
                }
            }
        }
        out.truncate(1_000);
        out
    }
}

/// Adds the places of the symbol of `analysis` that is declared at
/// `definition` under `name` (the same declaration seen from another file).
fn add_same_symbol(
    analysis: &Analysis,
    uri: &Uri,
    definition: &Location,
    name: &str,
    include_definition: bool,
    out: &mut Vec<Location>,
) {
    let places = analysis.places(uri);
    let at_definition = |l: &Location| convert::same_uri(&l.uri, &definition.uri) && l.range == definition.range;
    let same = analysis
        .index
        .symbols
        .iter()
        .position(|s| s.name == name && places.location(s.definition).is_some_and(|l| at_definition(&l)));
    let Some(symbol) = same else { return };
    for span in analysis.occurrences(rw_compiler::sema::index::SymbolId(symbol as u32)) {
        if let Some(l) = places.location(span)
            && (include_definition || !at_definition(&l))
            && !out.iter().any(|o| convert::same_uri(&o.uri, &l.uri) && o.range == l.range)
        {
            out.push(l);
        }
    }
}

/// The name and directory a document is checked under (imports resolve
/// against the directory; a document that is not a file resolves against
/// the working directory).
fn name_and_dir(doc: &Document) -> (String, Option<PathBuf>) {
    match &doc.path {
        Some(p) => (
            p.file_name().map_or_else(|| "untitled.rw".into(), |f| f.to_string_lossy().into_owned()),
            p.parent().map(Path::to_path_buf),
        ),
        None => ("untitled.rw".into(), None),
    }
}

/// A read-only copy of a standard-library module on disk, so that "go to
/// definition" can open it: `$XDG_CACHE_HOME/rwc/stdlib-VERSION/NAME.rw`
/// (or under `~/.cache`, or the temporary directory).
pub fn stdlib_copy(name: &str) -> Option<PathBuf> {
    let text = rw_compiler::sema::stdlib::source(name)?;
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    let dir = base.join("rwc").join(format!("stdlib-{}", env!("CARGO_PKG_VERSION")));
    let path = dir.join(format!("{name}.rw"));
    if std::fs::read_to_string(&path).ok().as_deref() == Some(text) {
        return Some(path);
    }
    std::fs::create_dir_all(&dir).ok()?;
    if let Ok(meta) = std::fs::metadata(&path) {
        // An older copy: make it writable to replace it.
        let mut permissions = meta.permissions();
        #[allow(clippy::permissions_set_readonly_false)]
        permissions.set_readonly(false);
        let _ = std::fs::set_permissions(&path, permissions);
    }
    std::fs::write(&path, text).ok()?;
    let mut permissions = std::fs::metadata(&path).ok()?.permissions();
    permissions.set_readonly(true);
    let _ = std::fs::set_permissions(&path, permissions);
    Some(path)
}

/// The `file://` URI of a path, as the server writes them.
pub fn file_uri(path: &Path) -> Option<String> {
    path_to_uri(path).map(|u| u.as_str().to_string())
}

/// An LSP result as JSON (serialising these types cannot fail).
fn to_json<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

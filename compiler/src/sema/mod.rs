//! Semantic analysis: modules, names, types and the structural rules of a spec.
//!
//! Second phase of the pipeline, after [`crate::syntax`]. It loads the root
//! file and everything it imports (the embedded stdlib and relative files),
//! flattens their items into one namespace ([`Decl`]s), then checks every
//! declaration and output: names resolve, types agree, constants are
//! constant, machines are well formed, definitions are not cyclic. The result
//! is a [`Program`] (the typed declarations later phases lower) plus
//! diagnostics; every error is collected, none stops the phase early.

mod builtins;
mod check;
mod dump;
pub mod index;
pub mod stdlib;
pub mod suggest;
mod types;

pub use check::ConstValue;
pub use types::{Scalar, Ty};

use crate::diagnostic::{Diagnostic, code};
use crate::source::{FileId, Origin, SourceMap, Span};
use crate::syntax::{self, ast};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Index of a declaration in [`Program::decls`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeclId(pub u32);

/// One top-level name after imports are flattened.
#[derive(Clone, Debug)]
pub struct Decl {
    pub name: ast::Ident,
    pub kind: DeclKind,
    /// The file the declaration comes from.
    pub file: FileId,
    /// The whole item, for labels.
    pub item_span: Span,
    /// Declared in an imported module rather than the root file.
    pub imported: bool,
}

#[derive(Clone, Debug)]
pub enum DeclKind {
    Prop,
    Input(ast::InputDecl),
    Param(ast::ParamDecl),
    Const(ast::ConstDecl),
    Let(ast::LetDecl),
    Machine(ast::Machine),
    Formula(ast::FormulaDecl),
    Criteria(ast::CriteriaDecl),
    Fn(ast::FnDecl),
    /// The multiplier `lambda_NAME` a `constraint` declares; the index is the
    /// constraint's position in [`Program::outputs`].
    Multiplier(usize),
}

impl DeclKind {
    pub fn describe(&self) -> &'static str {
        match self {
            DeclKind::Prop => "prop",
            DeclKind::Input(_) => "input",
            DeclKind::Param(_) | DeclKind::Multiplier(_) => "param",
            DeclKind::Const(_) => "const",
            DeclKind::Let(_) => "let",
            DeclKind::Machine(_) => "machine",
            DeclKind::Formula(f) if f.kind == ast::FormulaKind::Ltl => "ltl formula",
            DeclKind::Formula(_) => "ltlf formula",
            DeclKind::Criteria(_) => "criteria list",
            DeclKind::Fn(_) => "function",
        }
    }
}

/// An output of the spec, in source order.
#[derive(Clone, Debug)]
pub enum Output {
    Reward(ast::OutputDecl),
    Log(ast::LogDecl),
    Done(ast::OutputDecl),
    Discount(ast::OutputDecl),
    Shape(ast::ShapeDecl),
    Constraint(ast::ConstraintDecl),
}

/// The checked program. Valid only when the diagnostics hold no error.
#[derive(Debug, Default)]
pub struct Program {
    /// `spec NAME`, or the root file's stem.
    pub name: String,
    pub decls: Vec<Decl>,
    pub names: HashMap<String, DeclId>,
    pub outputs: Vec<Output>,
    /// Type of every value declaration (inputs, params, consts, lets).
    pub types: HashMap<DeclId, Ty>,
    /// Value of every const.
    pub consts: HashMap<DeclId, ConstValue>,
    /// Names declared by items that did not parse, or declared twice:
    /// diagnostics about their uses would only repeat the first error.
    pub unparsed_names: std::collections::HashSet<String>,
    /// A whole-module import failed, so unknown names may come from it.
    pub failed_import: bool,
    /// Ordered states of every machine, the start state first unless
    /// `states` fixes the order.
    pub machine_states: HashMap<DeclId, Vec<String>>,
    /// Edges (by index in machine order) that the verifier proved can never
    /// be taken, by automaton name: guards that never hold and edges that
    /// earlier edges of a `priority` machine shadow. Distances and goal
    /// states leave them out.
    pub never_taken: HashMap<String, Vec<u32>>,
    /// Translated `ltlf` formulas by name (translation is the costly step,
    /// and several phases ask for the same automaton; `automata` builds it
    /// from the DFA).
    pub ltlf_cache: std::sync::Mutex<HashMap<String, LtlfTranslation>>,
    /// Translated `ltl` formulas by name, as automata (before the edges
    /// proved never taken are marked).
    pub ltl_cache: std::sync::Mutex<HashMap<String, Result<crate::automata::Automaton, Diagnostic>>>,
    /// The names `use std::m::{a, b}` imports, where they are written (for
    /// navigation; see [`index`]).
    pub use_names: Vec<ast::Ident>,
}

impl Program {
    pub fn decl(&self, id: DeclId) -> &Decl {
        &self.decls[id.0 as usize]
    }

    pub fn lookup(&self, name: &str) -> Option<DeclId> {
        self.names.get(name).copied()
    }

    /// A file with outputs is a spec; one without is a module.
    pub fn is_spec(&self) -> bool {
        !self.outputs.is_empty()
    }
}

/// Everything one check produced.
#[derive(Debug)]
pub struct Checked {
    pub sources: SourceMap,
    pub root: FileId,
    pub program: Program,
    /// Sorted by file and position.
    pub diagnostics: Vec<Diagnostic>,
}

impl Checked {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// A built-in function's one-line signature, when `name` is one.
pub fn builtins_signature(name: &str) -> Option<&'static str> {
    builtins::FUNCTIONS.contains(&name).then(|| builtins::signature(name))
}

/// The names of the built-in functions.
pub fn builtin_functions() -> &'static [&'static str] {
    builtins::FUNCTIONS
}

/// An `ltlf` formula's translation: its minimal DFA and atoms, or why it
/// failed.
pub type LtlfTranslation = Result<(crate::ltl::Dfa, Vec<ast::Expr>), Diagnostic>;

/// The checks of the layers above sema (the machines' structure, in
/// `automata`), run on a program with no error so far; the crate root's
/// `check_file`/`check_text` pass them in, so sema never calls upward.
pub type LaterChecks = fn(&Program) -> Vec<Diagnostic>;

/// How imported files are read: from disk, or (in the language server)
/// from the editor's unsaved buffers first.
pub type ReadFile<'a> = &'a (dyn Fn(&Path) -> std::io::Result<String> + Sync);

/// Reads an imported file from disk, within the source size limit.
pub fn read_from_disk(path: &Path) -> std::io::Result<String> {
    crate::source::read_text_limited(path, crate::source::MAX_SOURCE_BYTES)
}

/// Checks a file on disk. Fails only when the file itself cannot be read;
/// unreadable imports are diagnostics.
pub fn check_file(path: &Path, later: LaterChecks) -> std::io::Result<Checked> {
    let text = read_from_disk(path)?;
    let mut sources = SourceMap::new();
    let root = sources.add(path.display().to_string(), Origin::Path(path.to_path_buf()), text);
    Ok(run_with_large_stack(move || check_root(sources, root, later, &read_from_disk)))
}

/// Checks source text that is not on disk; relative imports resolve against
/// `base_dir` when given.
pub fn check_text(name: &str, text: &str, base_dir: Option<&Path>, later: LaterChecks) -> Checked {
    check_text_with(name, text, base_dir, later, &read_from_disk)
}

/// [`check_text`] with imported files read by `read`.
pub fn check_text_with(
    name: &str,
    text: &str,
    base_dir: Option<&Path>,
    later: LaterChecks,
    read: ReadFile<'_>,
) -> Checked {
    let mut sources = SourceMap::new();
    let origin = match base_dir {
        Some(dir) => Origin::Path(dir.join(name)),
        None => Origin::Memory,
    };
    let root = sources.add(name, origin, text);
    run_with_large_stack(move || check_root(sources, root, later, read))
}

/// Parsing and checking recurse over the syntax tree; run them on a thread
/// with a stack large enough for the deepest input the parser accepts.
fn run_with_large_stack(job: impl FnOnce() -> Checked + Send) -> Checked {
    std::thread::scope(|scope| {
        match std::thread::Builder::new().stack_size(512 << 20).spawn_scoped(scope, job) {
            Ok(handle) => match handle.join() {
                Ok(checked) => checked,
                Err(panic) => std::panic::resume_unwind(panic),
            },
            // No thread could be started: run here rather than fail.
            Err(_) => unreachable_fallback(),
        }
    })
}

fn unreachable_fallback() -> Checked {
    let mut sources = SourceMap::new();
    let root = sources.add("<internal>", Origin::Memory, "");
    Checked {
        sources,
        root,
        program: Program::default(),
        diagnostics: vec![
            Diagnostic::error(code::TOO_DEEP, "could not start the checker thread")
                .help("the machine is out of threads or memory"),
        ],
    }
}

struct Loaded {
    file: FileId,
    module: ast::Module,
}

fn check_root(mut sources: SourceMap, root: FileId, later: LaterChecks, read: ReadFile<'_>) -> Checked {
    let mut diagnostics = Vec::new();
    let mut modules: Vec<Loaded> = Vec::new();
    let mut by_file: HashMap<FileId, usize> = HashMap::new();
    let (module, parse_diags) = syntax::parse(root, &sources.get(root).text);
    diagnostics.extend(parse_diags);
    by_file.insert(root, 0);
    modules.push(Loaded { file: root, module });

    // Load imports breadth-first; each file is parsed once.
    let mut imports: Vec<Import> = Vec::new();
    let mut failed_names: Vec<String> = Vec::new();
    let mut failed_import = false;
    let mut use_names = Vec::new();
    let mut next = 0;
    while next < modules.len() {
        let file = modules[next].file;
        let uses: Vec<ast::UseDecl> = modules[next]
            .module
            .items
            .iter()
            .filter_map(|i| if let ast::ItemKind::Use(u) = &i.kind { Some(u.clone()) } else { None })
            .collect();
        for use_decl in uses {
            if let ast::UseDecl::Path { segments, group } = &use_decl {
                use_names.extend(segments.iter().skip(2).chain(group.iter().flatten()).cloned());
            }
            let Some((target, selection)) = resolve_use(&mut sources, file, &use_decl, &mut diagnostics, read) else {
                // The names it would have brought in are not reported as unknown.
                match &use_decl {
                    ast::UseDecl::Path { segments, group } if segments.len() > 2 || group.is_some() => {
                        failed_names
                            .extend(segments.iter().skip(2).chain(group.iter().flatten()).map(|i| i.name.clone()));
                    }
                    _ => failed_import = true,
                }
                continue;
            };
            let index = match by_file.get(&target) {
                Some(i) => *i,
                None => {
                    let (module, parse_diags) = syntax::parse(target, &sources.get(target).text);
                    diagnostics.extend(parse_diags);
                    by_file.insert(target, modules.len());
                    modules.push(Loaded { file: target, module });
                    modules.len() - 1
                }
            };
            imports.push(Import { from: next, module: index, selection });
        }
        next += 1;
    }

    let name = modules[0]
        .module
        .items
        .iter()
        .find_map(|i| if let ast::ItemKind::Spec(n) = &i.kind { Some(n.name.clone()) } else { None })
        .unwrap_or_else(|| file_stem(&sources.get(root).name));

    let mut program = Program { name, use_names, ..Program::default() };
    program.unparsed_names =
        modules.iter().flat_map(|m| m.module.unparsed_names.iter().cloned()).chain(failed_names).collect();
    program.failed_import = failed_import;
    collect(&sources, &modules, &imports, &mut program, &mut diagnostics);
    check::check_program(&mut program, &mut diagnostics);
    if !diagnostics.iter().any(Diagnostic::is_error) {
        diagnostics.extend(later(&program));
    }

    diagnostics.sort_by_key(|d| d.primary_span().map(|s| (s.file, s.start, s.end)));
    Checked { sources, root, program, diagnostics }
}

fn file_stem(name: &str) -> String {
    Path::new(name).file_stem().map_or_else(|| name.to_string(), |s| s.to_string_lossy().into_owned())
}

/// Which items of a module an import brings in.
enum Selection {
    All,
    Named(Vec<ast::Ident>),
}

struct Import {
    /// Index of the importing module.
    from: usize,
    module: usize,
    selection: Selection,
}

/// Finds (and adds to the source map) the file a `use` names.
fn resolve_use(
    sources: &mut SourceMap,
    from: FileId,
    use_decl: &ast::UseDecl,
    diagnostics: &mut Vec<Diagnostic>,
    read: ReadFile<'_>,
) -> Option<(FileId, Selection)> {
    match use_decl {
        ast::UseDecl::File { path, span } => {
            let base: PathBuf = match &sources.get(from).origin {
                Origin::Path(p) => p.parent().map(Path::to_path_buf).unwrap_or_default(),
                Origin::Stdlib(_) | Origin::Memory => std::env::current_dir().unwrap_or_default(),
            };
            let full = normalize(&base.join(path));
            // Shown to users relative to the importing file's name, so that
            // messages do not depend on where the project is checked out.
            let display = normalize(&Path::new(&sources.get(from).name).parent().unwrap_or(Path::new("")).join(path));
            let origin = Origin::Path(full.clone());
            if let Some(id) = sources.find(&origin) {
                return Some((id, Selection::All));
            }
            match read(&full) {
                Ok(text) => Some((sources.add(display.display().to_string(), origin, text), Selection::All)),
                Err(e) => {
                    diagnostics.push(
                        Diagnostic::error(code::UNKNOWN_MODULE, format!("cannot read module `{path}`"))
                            .primary(*span, crate::source::describe_io(&e))
                            .note(format!("looked for `{}`", display.display()))
                            .help("paths in `use \"...\"` are relative to the importing file"),
                    );
                    None
                }
            }
        }
        ast::UseDecl::Path { segments, group } => {
            let first = segments.first()?;
            if first.name != "std" {
                diagnostics.push(
                    Diagnostic::error(code::UNKNOWN_MODULE, format!("unknown module `{}`", path_text(segments)))
                        .primary(first.span, "module paths start with `std`")
                        .help("import a file with `use \"./path/file.rw\"`"),
                );
                return None;
            }
            let Some(module) = segments.get(1) else {
                diagnostics.push(
                    Diagnostic::error(code::UNKNOWN_MODULE, "`use std` needs a module name")
                        .primary(first.span, "which module?")
                        .help(format!("the standard library has: {}", stdlib::names().collect::<Vec<_>>().join(", "))),
                );
                return None;
            };
            let Some(text) = stdlib::source(&module.name) else {
                let mut d = Diagnostic::error(code::UNKNOWN_MODULE, format!("unknown module `std::{}`", module.name))
                    .primary(module.span, "no such standard-library module");
                d = match suggest::closest(&module.name, stdlib::names()) {
                    Some(s) => d.help(format!("did you mean `std::{s}`?")),
                    None => {
                        d.help(format!("the standard library has: {}", stdlib::names().collect::<Vec<_>>().join(", ")))
                    }
                };
                diagnostics.push(d);
                return None;
            };
            let origin = Origin::Stdlib(module.name.clone());
            let id = match sources.find(&origin) {
                Some(id) => id,
                None => sources.add(format!("std/{}.rw", module.name), origin, text),
            };
            let mut named: Vec<ast::Ident> = segments[2..].to_vec();
            if named.len() > 1 {
                diagnostics.push(
                    Diagnostic::error(
                        code::UNKNOWN_MODULE,
                        format!("unknown module `{}`", path_text(&segments[..segments.len() - 1])),
                    )
                    .primary(named[0].span, "standard-library modules do not nest")
                    .help(format!("write `use std::{}::{{...}}`", module.name)),
                );
                return None;
            }
            named.extend(group.iter().flatten().cloned());
            let selection = if named.is_empty() && group.is_none() { Selection::All } else { Selection::Named(named) };
            Some((id, selection))
        }
    }
}

/// Removes `.` and resolvable `..` components without touching the disk
/// (how `use "PATH"` names a file).
pub fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.components().next_back(), Some(Component::Normal(_))) => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn path_text(segments: &[ast::Ident]) -> String {
    segments.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join("::")
}

/// The names one item declares.
fn item_decls(item: &ast::Item) -> Vec<(ast::Ident, DeclKind)> {
    match &item.kind {
        ast::ItemKind::Props(names) => names.iter().map(|n| (n.clone(), DeclKind::Prop)).collect(),
        ast::ItemKind::Input(d) => vec![(d.name.clone(), DeclKind::Input(d.clone()))],
        ast::ItemKind::Param(d) => vec![(d.name.clone(), DeclKind::Param(d.clone()))],
        ast::ItemKind::Const(d) => vec![(d.name.clone(), DeclKind::Const(d.clone()))],
        ast::ItemKind::Let(d) => vec![(d.name.clone(), DeclKind::Let(d.clone()))],
        ast::ItemKind::Machine(d) => vec![(d.name.clone(), DeclKind::Machine(d.clone()))],
        ast::ItemKind::Formula(d) => vec![(d.name.clone(), DeclKind::Formula(d.clone()))],
        ast::ItemKind::Criteria(d) => vec![(d.name.clone(), DeclKind::Criteria(d.clone()))],
        ast::ItemKind::Fn(d) => vec![(d.name.clone(), DeclKind::Fn(d.clone()))],
        _ => Vec::new(),
    }
}

/// The declaration's tokens without whitespace and comments: two imported
/// declarations with the same normal form are the same declaration, however
/// they are spaced.
fn normal_form(sources: &SourceMap, decl: &Decl) -> String {
    let text = match decl.kind {
        DeclKind::Prop => return format!("prop {}", decl.name.name),
        _ => sources.get(decl.file).slice(decl.item_span),
    };
    syntax::lexer::lex(text)
        .into_iter()
        .filter(|t| !matches!(t.kind, syntax::lexer::TokenKind::Whitespace | syntax::lexer::TokenKind::Comment))
        .map(|t| &text[t.span])
        .collect::<Vec<_>>()
        .join(" ")
}

/// Flattens the root module and its imports into `program.decls`.
fn collect(
    sources: &SourceMap,
    modules: &[Loaded],
    imports: &[Import],
    program: &mut Program,
    diagnostics: &mut Vec<Diagnostic>,
) {
    // Decide which items of each module are included.
    let mut included: Vec<Vec<bool>> = modules.iter().map(|m| vec![false; m.module.items.len()]).collect();
    included[0].iter_mut().for_each(|i| *i = true);
    // An imported module's own imports come in whole; named imports bring the
    // named items plus whatever they refer to in their module.
    let mut changed = true;
    let mut reported = std::collections::HashSet::new();
    while changed {
        changed = false;
        for import in imports {
            if !included[import.from].iter().any(|i| *i) {
                continue;
            }
            let items = &modules[import.module].module.items;
            let wanted: Vec<usize> = match &import.selection {
                Selection::All => (0..items.len()).collect(),
                Selection::Named(names) => {
                    let mut wanted = Vec::new();
                    for name in names {
                        match items.iter().position(|i| item_decls(i).iter().any(|(n, _)| n.name == name.name)) {
                            Some(i) => wanted.push(i),
                            None => {
                                if reported.insert(name.span) {
                                    let file = sources.get(modules[import.module].file);
                                    let module_name = match &file.origin {
                                        Origin::Stdlib(name) => format!("std::{name}"),
                                        _ => file.name.clone(),
                                    };
                                    let available: Vec<String> =
                                        items.iter().flat_map(item_decls).map(|(n, _)| n.name).collect();
                                    let mut d = Diagnostic::error(
                                        code::UNKNOWN_ITEM,
                                        format!("module `{}` has no item `{}`", module_name, name.name),
                                    )
                                    .primary(name.span, "not found in the module");
                                    d = match suggest::closest(&name.name, available.iter().map(String::as_str)) {
                                        Some(s) => d.help(format!("did you mean `{s}`?")),
                                        None => d.help(format!("the module declares: {}", available.join(", "))),
                                    };
                                    diagnostics.push(d);
                                }
                            }
                        }
                    }
                    dependency_closure(items, wanted)
                }
            };
            for i in wanted {
                if !included[import.module][i] {
                    included[import.module][i] = true;
                    changed = true;
                }
            }
        }
    }

    for (index, loaded) in modules.iter().enumerate() {
        for (item_index, item) in loaded.module.items.iter().enumerate() {
            if !included[index][item_index] {
                continue;
            }
            if index > 0 && item.kind.is_output() {
                diagnostics.push(
                    Diagnostic::error(code::MODULE_OUTPUT, "an imported module declares an output")
                        .primary(item.span, "outputs belong in the spec, not in a module")
                        .help("move this item into the file that imports the module"),
                );
                continue;
            }
            if index == 0 {
                match &item.kind {
                    ast::ItemKind::Reward(o) => program.outputs.push(Output::Reward(o.clone())),
                    ast::ItemKind::Log(o) => program.outputs.push(Output::Log(o.clone())),
                    ast::ItemKind::Done(o) => program.outputs.push(Output::Done(o.clone())),
                    ast::ItemKind::Discount(o) => program.outputs.push(Output::Discount(o.clone())),
                    ast::ItemKind::Shape(o) => program.outputs.push(Output::Shape(o.clone())),
                    ast::ItemKind::Constraint(c) => {
                        program.outputs.push(Output::Constraint(c.clone()));
                        if let Some(name) = multiplier_name(c) {
                            let decl = Decl {
                                name,
                                kind: DeclKind::Multiplier(program.outputs.len() - 1),
                                file: loaded.file,
                                item_span: item.span,
                                imported: false,
                            };
                            add_decl(sources, program, decl, diagnostics);
                        }
                    }
                    _ => {}
                }
            }
            for (name, kind) in item_decls(item) {
                let decl = Decl { name, kind, file: loaded.file, item_span: item.span, imported: index > 0 };
                add_decl(sources, program, decl, diagnostics);
            }
        }
    }
}

/// `constraint toxicity <= 0.2 ...` declares `lambda_toxicity`.
fn multiplier_name(c: &ast::ConstraintDecl) -> Option<ast::Ident> {
    if let Some(n) = &c.name {
        return Some(ast::Ident { name: format!("lambda_{}", n.name), span: n.span });
    }
    if let ast::ExprKind::Binary(_, lhs, _) = &c.condition.strip_parens().kind
        && let ast::ExprKind::Name(n) = &lhs.strip_parens().kind
    {
        return Some(ast::Ident { name: format!("lambda_{}", n.name), span: n.span });
    }
    None
}

fn add_decl(sources: &SourceMap, program: &mut Program, decl: Decl, diagnostics: &mut Vec<Diagnostic>) {
    if let Some(&existing) = program.names.get(&decl.name.name) {
        let first = program.decl(existing);
        if (first.imported || decl.imported) && normal_form(sources, first) == normal_form(sources, &decl) {
            return; // the same declaration reached twice through imports
        }
        let (first_what, what) = (first.kind.describe(), decl.kind.describe());
        let mut d = Diagnostic::error(code::DUPLICATE, format!("`{}` is declared twice", decl.name.name))
            .primary(decl.name.span, format!("{what} `{}` declared again here", decl.name.name))
            .secondary(first.name.span, format!("first declared here as a {first_what}"));
        d = if matches!(decl.kind, DeclKind::Multiplier(_)) {
            d.note(format!("a `constraint` declares the param `{}` for its multiplier", decl.name.name))
                .help("name the constraint differently: `constraint NAME: value <= limit ...`")
        } else if first.imported || decl.imported {
            d.help("imported declarations merge only when they are identical; rename one of them")
        } else {
            d.help("rename one of them")
        };
        diagnostics.push(d);
        // Which declaration a use means is unclear: uses stay silent.
        program.unparsed_names.insert(decl.name.name.clone());
        return;
    }
    let id = DeclId(program.decls.len() as u32);
    program.names.insert(decl.name.name.clone(), id);
    program.decls.push(decl);
}

/// The named items plus, transitively, the module items their text refers to.
fn dependency_closure(items: &[ast::Item], mut wanted: Vec<usize>) -> Vec<usize> {
    let declared: HashMap<String, usize> = items
        .iter()
        .enumerate()
        .flat_map(|(i, item)| item_decls(item).into_iter().map(move |(n, _)| (n.name, i)))
        .collect();
    let mut seen = vec![false; items.len()];
    let mut out = Vec::new();
    while let Some(i) = wanted.pop() {
        if std::mem::replace(&mut seen[i], true) {
            continue;
        }
        out.push(i);
        for name in check::referenced_names(&items[i]) {
            if let Some(&j) = declared.get(&name) {
                wanted.push(j);
            }
        }
    }
    out.sort_unstable();
    out
}

/// A constant expression's value (literals, consts, arithmetic on them).
pub fn fold_const(e: &ast::Expr, p: &Program) -> Option<ConstValue> {
    Some(match &e.kind {
        ast::ExprKind::Int(v) => ConstValue::Int(*v as i32),
        ast::ExprKind::Float(v) => ConstValue::F32(*v as f32),
        ast::ExprKind::Bool(b) => ConstValue::Bool(*b),
        ast::ExprKind::Paren(inner) => fold_const(inner, p)?,
        ast::ExprKind::Unary(ast::UnOp::Neg, inner) => match fold_const(inner, p)? {
            ConstValue::Int(i) => ConstValue::Int(i.wrapping_neg()),
            ConstValue::F32(f) => ConstValue::F32(-f),
            b => b,
        },
        ast::ExprKind::Name(n) => *p.consts.get(&p.lookup(&n.name)?)?,
        ast::ExprKind::Binary(op, a, b) => {
            let (a, b) = (fold_const(a, p)?, fold_const(b, p)?);
            match (op, a, b) {
                (ast::BinOp::Add, ConstValue::Int(x), ConstValue::Int(y)) => ConstValue::Int(x.wrapping_add(y)),
                (ast::BinOp::Sub, ConstValue::Int(x), ConstValue::Int(y)) => ConstValue::Int(x.wrapping_sub(y)),
                (ast::BinOp::Mul, ConstValue::Int(x), ConstValue::Int(y)) => ConstValue::Int(x.wrapping_mul(y)),
                (ast::BinOp::Add, x, y) => ConstValue::F32(x.as_f32()? + y.as_f32()?),
                (ast::BinOp::Sub, x, y) => ConstValue::F32(x.as_f32()? - y.as_f32()?),
                (ast::BinOp::Mul, x, y) => ConstValue::F32(x.as_f32()? * y.as_f32()?),
                (ast::BinOp::Div, x, y) => ConstValue::F32(x.as_f32()? / y.as_f32()?),
                _ => return None,
            }
        }
        _ => return None,
    })
}

/// A constant number (for discounts and the like), as f64.
pub fn const_number(e: &ast::Expr, p: &Program) -> Option<f64> {
    fold_const(e, p).and_then(ConstValue::as_f32).map(f64::from)
}

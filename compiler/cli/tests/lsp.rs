//! `rwc lsp` driven over real JSON-RPC on stdio, as an editor drives it.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use rwc::lsp::client::Client;
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);

/// The URI the server writes for `path` (its percent-encoding is tested
/// in the server's own unit tests).
fn uri(path: &Path) -> String {
    rwc::lsp::file_uri(path).unwrap()
}

/// A fresh scratch directory for one test.
fn scratch(name: &str) -> std::path::PathBuf {
    let dir = common::temp(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn start(root: &Path) -> Client {
    let mut client = Client::start(Path::new(env!("CARGO_BIN_EXE_rwc")), &[]).expect("start rwc lsp");
    let init = client
        .request("initialize", json!({"processId": null, "rootUri": uri(root), "capabilities": {}}), WAIT)
        .expect("initialize");
    for capability in
        ["hoverProvider", "definitionProvider", "referencesProvider", "completionProvider", "renameProvider"]
    {
        assert!(!init["capabilities"][capability].is_null(), "no {capability}: {init}");
    }
    client.notify("initialized", json!({})).unwrap();
    client
}

fn open(client: &mut Client, uri: &str, version: i32, text: &str) {
    client
        .notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "rw", "version": version, "text": text}}),
        )
        .unwrap();
}

fn change(uri: &str, version: i32, text: &str) -> lsp_server::Message {
    Client::notification(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]}),
    )
}

fn position(uri: &str, line: u32, character: u32) -> Value {
    json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}})
}

/// Line and UTF-16 column of the first `needle` in `text`.
fn find(text: &str, needle: &str) -> (u32, u32) {
    let offset = text.find(needle).unwrap_or_else(|| panic!("`{needle}` not in the text"));
    let line = text[..offset].matches('\n').count();
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    (line as u32, text[start..offset].encode_utf16().count() as u32)
}

const FIXED: &str = "props coffee, office\n\
input speed: f32 in 0.0..=10.0\n\
input fast: bool\n\
machine task {\n  start u0\n  u0 -> u1 when coffee\n  u1 -> goal when office reward 1\n  terminal goal\n}\n\
criteria style { fast weight 1 \"𝔸é ok\" }\n\
log slow = if speed < 1.0 then 1.0 else 0.0\n\
reward = task.reward + speed * 0.1 + style.score\n\
done when task.terminal\n";

/// An error after multi-unit characters on its line (`𝔸` is two UTF-16
/// units and four bytes, `é` one unit and two bytes).
fn broken() -> String {
    FIXED.replace("\"𝔸é ok\" }", "\"𝔸é ok\", fsat weight 1 \"x\" }")
}

#[test]
fn an_editor_session_over_json_rpc() {
    let dir = scratch("lsp-session");
    let path = dir.join("task é.rw");
    let broken = broken();
    std::fs::write(&path, &broken).unwrap();
    let doc = uri(&path);
    let mut client = start(&dir);

    // Open with an error: its code and its range, in UTF-16 units.
    open(&mut client, &doc, 1, &broken);
    let published = client.wait_diagnostics(&doc, 1, WAIT).expect("diagnostics for version 1");
    let errors: Vec<&Value> =
        published["diagnostics"].as_array().unwrap().iter().filter(|d| d["severity"] == 1).collect();
    assert!(!errors.is_empty(), "{published}");
    assert!(errors.iter().all(|d| d["code"] == "RW0406"), "{published}");
    let (line, column) = find(&broken, "fsat");
    assert_eq!(errors[0]["range"]["start"], json!({"line": line, "character": column}), "{published}");
    assert_eq!(errors[0]["range"]["end"], json!({"line": line, "character": column + 4}), "{published}");
    assert!(
        published["diagnostics"].as_array().unwrap().iter().any(|d| d["severity"] == 4
            && d["message"].as_str().unwrap().starts_with("help: declare its verdict: `input fsat: bool`")),
        "the help is a hint: {published}"
    );
    // Hover on the error explains its code.
    let hover = client.request("textDocument/hover", position(&doc, line, column + 1), WAIT).unwrap();
    assert!(hover["contents"]["value"].as_str().unwrap().contains("RW0406"), "{hover}");

    // Fix it: the diagnostics clear.
    client.send_all(&[change(&doc, 2, FIXED)]).unwrap();
    let published = client.wait_diagnostics(&doc, 2, WAIT).expect("diagnostics for version 2");
    assert_eq!(published["diagnostics"], json!([]), "{published}");
    // The solver-backed check follows; then hover knows each output's class
    // and verified bounds.
    let published = client.wait_diagnostics(&doc, 2, WAIT).expect("solver-backed diagnostics for version 2");
    assert_eq!(published["diagnostics"], json!([]), "{published}");
    let (line, column) = find(FIXED, "reward = task");
    let hover = client.request("textDocument/hover", position(&doc, line, column + 1), WAIT).unwrap();
    let text = hover["contents"]["value"].as_str().unwrap();
    assert!(text.contains("class **finite-state**") && text.contains("[0, 3]`"), "{text}");
    let (line, column) = find(FIXED, "slow =");
    let hover = client.request("textDocument/hover", position(&doc, line, column + 1), WAIT).unwrap();
    let text = hover["contents"]["value"].as_str().unwrap();
    assert!(text.contains("class **markov**") && text.contains("bounds `[0, 1]`"), "{text}");

    // Hover on a use of an input: its type and range.
    let (line, column) = find(FIXED, "speed < 1.0");
    let hover = client.request("textDocument/hover", position(&doc, line, column + 2), WAIT).unwrap();
    let text = hover["contents"]["value"].as_str().unwrap();
    assert!(text.contains("input speed: f32 in 0.0..=10.0") && text.contains("type `f32`"), "{hover}");
    // Hover on a machine state: its edges.
    let (line, column) = find(FIXED, "u1 -> goal");
    let hover = client.request("textDocument/hover", position(&doc, line, column), WAIT).unwrap();
    let text = hover["contents"]["value"].as_str().unwrap();
    assert!(text.contains("incoming") && text.contains("u0 -> u1 when coffee") && text.contains("outgoing"), "{text}");

    // Definition of a use: the declaration.
    let (line, column) = find(FIXED, "speed * 0.1");
    let definition = client.request("textDocument/definition", position(&doc, line, column), WAIT).unwrap();
    let (decl_line, decl_column) = find(FIXED, "speed:");
    assert_eq!(definition["uri"], doc.as_str());
    assert_eq!(definition["range"]["start"], json!({"line": decl_line, "character": decl_column}), "{definition}");

    // References: the declaration and both uses.
    let mut params = position(&doc, line, column);
    params["context"] = json!({"includeDeclaration": true});
    let references = client.request("textDocument/references", params, WAIT).unwrap();
    assert_eq!(references.as_array().unwrap().len(), 3, "{references}");
    let mut params = position(&doc, line, column);
    params["context"] = json!({"includeDeclaration": false});
    let references = client.request("textDocument/references", params, WAIT).unwrap();
    assert_eq!(references.as_array().unwrap().len(), 2, "{references}");

    // Completion after `task.`: the machine's members.
    let typing = FIXED.replace("done when task.terminal\n", "done when task.\n");
    client.send_all(&[change(&doc, 3, &typing)]).unwrap();
    let (line, column) = find(&typing, "task.\n");
    let completion = client.request("textDocument/completion", position(&doc, line, column + 5), WAIT).unwrap();
    let labels: Vec<&str> = completion.as_array().unwrap().iter().map(|c| c["label"].as_str().unwrap()).collect();
    for member in ["reward", "state", "distance", "terminal", "in"] {
        assert!(labels.contains(&member), "{labels:?}");
    }
    assert!(!labels.contains(&"sat"), "{labels:?}");

    // Formatting: the canonical layout.
    let messy = FIXED.replace("reward = task.reward + speed * 0.1", "reward=task.reward+speed*0.1");
    client.send_all(&[change(&doc, 4, &messy)]).unwrap();
    let edits = client
        .request(
            "textDocument/formatting",
            json!({"textDocument": {"uri": doc}, "options": {"tabSize": 2, "insertSpaces": true}}),
            WAIT,
        )
        .unwrap();
    let edits = edits.as_array().unwrap();
    assert_eq!(edits.len(), 1);
    assert_eq!(edits[0]["newText"], rw_compiler::syntax::format::format(&messy).unwrap());
    assert!(edits[0]["newText"].as_str().unwrap().contains("reward = task.reward + speed * 0.1"));

    // Rename the input: every occurrence, nothing else.
    client.send_all(&[change(&doc, 5, FIXED)]).unwrap();
    let (line, column) = find(FIXED, "speed:");
    let mut params = position(&doc, line, column);
    params["newName"] = json!("velocity");
    let rename = client.request("textDocument/rename", params.clone(), WAIT).unwrap();
    let edits = rename["changes"][doc.as_str()].as_array().unwrap();
    assert_eq!(edits.len(), 3, "{rename}");
    assert!(edits.iter().all(|e| e["newText"] == "velocity"));
    // A name already declared is refused.
    params["newName"] = json!("coffee");
    assert!(client.request("textDocument/rename", params, WAIT).is_err());

    // Document symbols: the machine with its states, the outputs.
    let symbols = client.request("textDocument/documentSymbol", json!({"textDocument": {"uri": doc}}), WAIT).unwrap();
    let task = symbols.as_array().unwrap().iter().find(|s| s["name"] == "task").expect("machine symbol");
    assert_eq!(task["children"].as_array().unwrap().len(), 3, "{task}");
    assert!(symbols.as_array().unwrap().iter().any(|s| s["name"] == "reward"), "{symbols}");

    // A burst of 100 changes: diagnostics for the last version only.
    let _ = client.drain(Duration::from_millis(300));
    let burst: Vec<lsp_server::Message> = (0..100)
        .map(|k| {
            let text = if k % 2 == 0 { broken.clone() } else { format!("{FIXED}// edit {k}\n") };
            change(&doc, 100 + k, &text)
        })
        .collect();
    client.send_all(&burst).unwrap();
    let last = client.wait_diagnostics(&doc, 199, WAIT).expect("diagnostics for the last version");
    assert_eq!(last["diagnostics"], json!([]), "{last}");
    let later = client.drain(Duration::from_millis(1500));
    let versions: Vec<i64> = later
        .iter()
        .chain(client.notifications.iter())
        .filter(|n| n.method == "textDocument/publishDiagnostics")
        .map(|n| n.params["version"].as_i64().unwrap_or(-1))
        .collect();
    assert!(versions.iter().all(|&v| v == 199), "stale diagnostics after the burst: {versions:?}");

    assert_eq!(client.shutdown(WAIT), Ok(0));
}

#[test]
fn modules_refresh_their_importers_and_stdlib_opens_read_only() {
    let dir = scratch("lsp-modules");
    let module = dir.join("helpers.rw");
    let spec = dir.join("main.rw");
    let module_text = "fn bonus(x: f32) -> f32 = x * 2.0\n";
    let spec_text = "use \"./helpers.rw\"\nuse std::length::{overlong}\ninput x: f32\ninput n: int\n\
                     reward = bonus(x) + overlong(n, 100, 10)\n";
    std::fs::write(&module, module_text).unwrap();
    std::fs::write(&spec, spec_text).unwrap();
    // A file nobody opens that uses the module too.
    let other = dir.join("sub/other.rw");
    std::fs::create_dir_all(other.parent().unwrap()).unwrap();
    std::fs::write(&other, "use \"../helpers.rw\"\ninput y: f32\nreward = bonus(y) + bonus(1.0)\n").unwrap();
    let (module_uri, spec_uri) = (uri(&module), uri(&spec));
    let mut client = start(&dir);
    open(&mut client, &spec_uri, 1, spec_text);
    let published = client.wait_diagnostics(&spec_uri, 1, WAIT).unwrap();
    assert_eq!(published["diagnostics"], json!([]), "{published}");

    // Definition across files, and into the standard library (read-only).
    let (line, column) = find(spec_text, "bonus(");
    let definition = client.request("textDocument/definition", position(&spec_uri, line, column), WAIT).unwrap();
    assert_eq!(definition["uri"], module_uri.as_str());
    let (line, column) = find(spec_text, "overlong(n");
    let definition = client.request("textDocument/definition", position(&spec_uri, line, column), WAIT).unwrap();
    let std_uri = definition["uri"].as_str().unwrap();
    assert!(std_uri.ends_with("/length.rw"), "{definition}");
    let std_path = std_uri.strip_prefix("file://").unwrap();
    assert!(std::fs::metadata(std_path).unwrap().permissions().readonly(), "{std_path} is writable");
    assert!(std::fs::read_to_string(std_path).unwrap().contains("fn overlong"));
    // Hover on a stdlib function: its signature and its paper.
    let hover = client.request("textDocument/hover", position(&spec_uri, line, column), WAIT).unwrap();
    let text = hover["contents"]["value"].as_str().unwrap();
    assert!(text.contains("fn overlong(len: int, max: int, cache: int) -> f32") && text.contains("DAPO"), "{text}");
    // A stdlib name cannot be renamed.
    let mut params = position(&spec_uri, line, column);
    params["newName"] = json!("mine");
    assert!(client.request("textDocument/rename", params, WAIT).is_err());

    // Definition on an imported path: the file.
    let definition = client.request("textDocument/definition", position(&spec_uri, 0, 8), WAIT).unwrap();
    assert_eq!(definition["uri"], module_uri.as_str(), "{definition}");

    // The module changes on disk (not open): the importer is checked again
    // when the editor reports the change.
    std::fs::write(&module, "fn bonus(x: f32) -> f32 = x & true\n").unwrap();
    client.notify("workspace/didChangeWatchedFiles", json!({"changes": [{"uri": module_uri, "type": 2}]})).unwrap();
    let refreshed = client
        .wait_for(WAIT, |n| {
            n.method == "textDocument/publishDiagnostics"
                && n.params["uri"] == spec_uri.as_str()
                && n.params["diagnostics"].to_string().contains("in `helpers.rw`")
        })
        .expect("the importer is re-checked after the module changed on disk");
    assert!(refreshed.params["diagnostics"][0]["message"].as_str().unwrap().starts_with("in `helpers.rw`: "));
    std::fs::write(&module, module_text).unwrap();
    client.notify("workspace/didChangeWatchedFiles", json!({"changes": [{"uri": module_uri, "type": 2}]})).unwrap();
    client
        .wait_for(WAIT, |n| {
            n.method == "textDocument/publishDiagnostics"
                && n.params["uri"] == spec_uri.as_str()
                && n.params["diagnostics"] == json!([])
        })
        .expect("clean again");

    // Editing the module (unsaved) re-checks the file that imports it.
    open(&mut client, &module_uri, 1, module_text);
    client.wait_diagnostics(&module_uri, 1, WAIT).unwrap();
    client.send_all(&[change(&module_uri, 2, "fn bonus2(x: f32) -> f32 = x * 2.0\n")]).unwrap();
    let refreshed = client
        .wait_for(WAIT, |n| {
            n.method == "textDocument/publishDiagnostics"
                && n.params["uri"] == spec_uri.as_str()
                && n.params["diagnostics"].as_array().is_some_and(|d| d.iter().any(|d| d["code"] == "RW0206"))
        })
        .expect("the importer is re-checked against the unsaved module");
    assert!(refreshed.params["diagnostics"].to_string().contains("bonus"), "{:?}", refreshed.params);

    // Renaming in the module renames in the open importer too.
    client.send_all(&[change(&module_uri, 3, module_text)]).unwrap();
    client.wait_diagnostics(&module_uri, 3, WAIT).unwrap();
    let mut params = position(&module_uri, 0, 4);
    params["newName"] = json!("double");
    let rename = client.request("textDocument/rename", params, WAIT).unwrap();
    assert_eq!(rename["changes"][module_uri.as_str()].as_array().map(Vec::len), Some(1), "{rename}");
    assert_eq!(rename["changes"][spec_uri.as_str()].as_array().map(Vec::len), Some(1), "{rename}");
    assert_eq!(rename["changes"][uri(&other).as_str()].as_array().map(Vec::len), Some(2), "{rename}");

    // Workspace symbols read the files of the folder.
    let symbols = client.request("workspace/symbol", json!({"query": "bon"}), WAIT).unwrap();
    assert!(symbols.as_array().unwrap().iter().any(|s| s["name"] == "bonus"), "{symbols}");

    // Semantic tokens: every token of the spec is classified, none overlap.
    let tokens =
        client.request("textDocument/semanticTokens/full", json!({"textDocument": {"uri": spec_uri}}), WAIT).unwrap();
    let data: Vec<u64> = tokens["data"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap()).collect();
    let legend = ["keyword", "comment", "string", "number", "operator", "variable", "parameter", "function"];
    let (mut line, mut column) = (0u64, 0u64);
    let mut classified = std::collections::HashMap::new();
    for t in data.chunks(5) {
        if t[0] > 0 {
            column = 0;
        }
        line += t[0];
        column += t[1];
        classified.insert((line, column), legend.get(t[3] as usize).copied().unwrap_or("other"));
    }
    for (needle, kind) in [
        ("use \"", "keyword"),
        ("\"./helpers.rw\"", "string"),
        ("bonus(x)", "function"),
        ("x) +", "variable"),
        ("100", "number"),
        ("+ overlong", "operator"),
    ] {
        let (l, c) = find(spec_text, needle);
        assert_eq!(classified.get(&(u64::from(l), u64::from(c))), Some(&kind), "`{needle}`: {tokens}");
    }

    assert_eq!(client.shutdown(WAIT), Ok(0));
}

#[test]
fn exit_without_shutdown_is_exit_code_1() {
    let dir = scratch("lsp-exit");
    let mut client = start(&dir);
    client.notify("exit", Value::Null).unwrap();
    let mut child_status = None;
    for _ in 0..500 {
        std::thread::sleep(Duration::from_millis(10));
        if let Some(s) = client_status(&mut client) {
            child_status = Some(s);
            break;
        }
    }
    assert_eq!(child_status, Some(1));
}

fn client_status(client: &mut Client) -> Option<i32> {
    client.try_exit_code()
}

/// A small deterministic generator (xorshift), so that failures replay.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// `text` with a few random edits: deletions, insertions of rw fragments
/// and of multi-byte characters, duplicated and truncated lines.
fn mutate(text: &str, rng: &mut Rng) -> String {
    const FRAGMENTS: &[&str] = &[
        "(",
        ")",
        "{",
        "}",
        "[",
        "]",
        "machine m {",
        "->",
        " when ",
        "\"",
        "é",
        "𝔸",
        "\n",
        "ltlf f = G (",
        "reward = ",
        "//",
        "use \"./missing.rw\"\n",
        "use std::",
        ".",
        "task.",
        "0..=",
        "1e999",
        "99999999999",
        "if",
        "then",
        "else",
        ",",
        "=",
        "-",
        "!",
        "X[!]",
        "<>",
        "[]",
        "gated(",
        "constraint ",
        "criteria c { a weight 2 \"x\" }\n",
        "\t",
        "fn f(x: f32) -> f32 = f(x)\n",
        "let a = a\n",
        "shape potential = ",
        " reward -1",
    ];
    let mut chars: Vec<char> = text.chars().collect();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(chars.len() + 1);
        match rng.below(5) {
            0 if !chars.is_empty() => {
                let end = (at + 1 + rng.below(20)).min(chars.len());
                chars.drain(at.min(end)..end);
            }
            1 => {
                let fragment = FRAGMENTS[rng.below(FRAGMENTS.len())];
                chars.splice(at..at, fragment.chars());
            }
            2 => {
                // Duplicate a stretch.
                let end = (at + rng.below(80)).min(chars.len());
                let copy: Vec<char> = chars[at.min(end)..end].to_vec();
                chars.splice(end..end, copy);
            }
            3 => chars.truncate(at),
            _ => {
                let fragment = FRAGMENTS[rng.below(FRAGMENTS.len())];
                chars.splice(at..at, fragment.chars());
            }
        }
    }
    chars.into_iter().collect()
}

/// 1,000 mutated documents, as edit sequences (whole texts and ranges,
/// some out of bounds), with requests at random positions in between: the
/// server answers every request and exits cleanly.
#[test]
fn a_thousand_mutated_documents_neither_crash_nor_hang() {
    let dir = scratch("lsp-robust");
    let examples: Vec<String> =
        ["office", "delivery_ltlf", "grpo_composite", "longform_acerl", "patterns_ltlf", "swe_agent_gra"]
            .iter()
            .map(|e| std::fs::read_to_string(common::root().join(format!("examples/{e}.rw"))).unwrap())
            .collect();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut client = start(&dir);
    let requests = [
        "textDocument/hover",
        "textDocument/definition",
        "textDocument/references",
        "textDocument/completion",
        "textDocument/rename",
        "textDocument/prepareRename",
    ];
    let mut documents = 0;
    for doc_index in 0..20 {
        let doc = uri(&dir.join(format!("doc{doc_index}.rw")));
        let mut text = examples[doc_index % examples.len()].clone();
        open(&mut client, &doc, 0, &text);
        for version in 1..=50 {
            text = mutate(if rng.below(4) == 0 { &examples[rng.below(examples.len())] } else { &text }, &mut rng);
            let message = if rng.below(3) == 0 {
                // A range edit, sometimes past the end or reversed.
                let range = json!({
                    "start": {"line": rng.below(40), "character": rng.below(60)},
                    "end": {"line": rng.below(40), "character": rng.below(60)},
                });
                Client::notification(
                    "textDocument/didChange",
                    json!({"textDocument": {"uri": doc, "version": version}, "contentChanges": [{"range": range, "text": mutate("x", &mut rng)}]}),
                )
            } else {
                change(&doc, version, &text)
            };
            client.send_all(&[message]).unwrap();
            documents += 1;
            if version % 5 == 0 {
                let method = requests[rng.below(requests.len())];
                let mut params = position(&doc, rng.below(30) as u32, rng.below(50) as u32);
                params["context"] = json!({"includeDeclaration": true});
                params["newName"] = json!("renamed");
                // Errors are fine (nothing to rename here); no answer is not.
                let answer = client.request(method, params, WAIT);
                assert!(
                    answer.is_ok() || !answer.as_ref().unwrap_err().starts_with("no response"),
                    "{method} on version {version} of {doc}: {answer:?}"
                );
                for method in
                    ["textDocument/documentSymbol", "textDocument/semanticTokens/full", "textDocument/formatting"]
                {
                    let answer = client.request(
                        method,
                        json!({"textDocument": {"uri": doc}, "options": {"tabSize": 2, "insertSpaces": true}}),
                        WAIT,
                    );
                    assert!(answer.is_ok(), "{method} on version {version} of {doc}: {answer:?}");
                }
                let _ = client.drain(Duration::from_millis(0));
            }
        }
        client.notify("textDocument/didClose", json!({"textDocument": {"uri": doc}})).unwrap();
    }
    assert!(documents >= 1000);
    assert!(client.request("workspace/symbol", json!({"query": ""}), WAIT).is_ok());
    assert_eq!(client.shutdown(WAIT), Ok(0));
}

/// The editor package's TextMate grammar knows every keyword of the lexer
/// and every built-in function, and its JSON files parse.
#[test]
fn the_textmate_grammar_covers_the_language() {
    let dir = common::root().join("editors/vscode");
    for file in ["package.json", "language-configuration.json", "syntaxes/rw.tmLanguage.json"] {
        let text = std::fs::read_to_string(dir.join(file)).unwrap();
        serde_json::from_str::<Value>(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
    }
    let grammar: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("syntaxes/rw.tmLanguage.json")).unwrap()).unwrap();
    // Every alternation of every `match`.
    let mut words = std::collections::HashSet::new();
    fn collect(v: &Value, words: &mut std::collections::HashSet<String>) {
        match v {
            Value::Object(map) => {
                if let Some(Value::String(m)) = map.get("match") {
                    for part in m.split(['(', ')', '|']) {
                        words.insert(part.trim_start_matches("\\b").trim_end_matches("\\b").to_string());
                    }
                }
                map.values().for_each(|v| collect(v, words));
            }
            Value::Array(a) => a.iter().for_each(|v| collect(v, words)),
            _ => {}
        }
    }
    collect(&grammar, &mut words);
    for word in rw_compiler::syntax::lexer::keywords() {
        assert!(words.contains(word), "the grammar does not highlight the keyword `{word}`");
    }
    for f in rw_compiler::sema::builtin_functions() {
        assert!(words.contains(*f), "the grammar does not highlight the built-in `{f}`");
    }
}

/// `rwc bench lsp` drives a server and reports both latencies.
#[test]
fn bench_lsp_reports_fast_and_solver_latencies() {
    let out = common::rwc(&["bench", "lsp", "examples/office.rw", "--repeat", "2"]);
    assert!(out.status.success(), "{}", common::text(&out.stderr));
    let line: Value = serde_json::from_str(common::text(&out.stdout).trim()).unwrap();
    assert_eq!(line["bench"], "lsp");
    assert_eq!(line["edits"], 2);
    assert!(line["fast_ms_max"].as_f64().unwrap() > 0.0, "{line}");
    // Each edit's solver-backed diagnostics come after its fast ones.
    assert!(line["solver_ms_max"].as_f64().unwrap() >= line["fast_ms_max"].as_f64().unwrap(), "{line}");
}

/// An edit during a slow solver-backed check abandons it: the old version's
/// full diagnostics never arrive after the new version's.
#[test]
fn an_edit_abandons_the_running_solver_check() {
    let dir = scratch("lsp-cancel");
    // The slowest example to verify (about a second in a release build).
    let text = std::fs::read_to_string(common::root().join("examples/carl_driving.rw")).unwrap();
    let path = dir.join("carl.rw");
    std::fs::write(&path, &text).unwrap();
    let doc = uri(&path);
    let mut client = start(&dir);
    open(&mut client, &doc, 1, &text);
    client.wait_diagnostics(&doc, 1, WAIT).expect("fast diagnostics of version 1");
    // The solver check of version 1 is running now; edit.
    client.send_all(&[change(&doc, 2, &format!("{text}// edited\n"))]).unwrap();
    client.wait_diagnostics(&doc, 2, WAIT).expect("fast diagnostics of version 2");
    let full = client.wait_diagnostics(&doc, 2, WAIT).expect("solver-backed diagnostics of version 2");
    assert_eq!(full["diagnostics"], json!([]), "{full}");
    let later = client.drain(Duration::from_millis(500));
    let stale: Vec<_> =
        later.iter().filter(|n| n.method == "textDocument/publishDiagnostics" && n.params["version"] == 1).collect();
    assert!(stale.is_empty(), "diagnostics of version 1 after version 2's: {stale:?}");

    // An error inside an imported module shows in the importer, saying where.
    std::fs::write(dir.join("bad.rw"), "fn twice(x: f32) -> f32 = x & true\n").unwrap();
    let spec = "use \"./bad.rw\"\ninput y: f32\nreward = twice(y)\n";
    client.send_all(&[change(&doc, 3, spec)]).unwrap();
    let published = client.wait_diagnostics(&doc, 3, WAIT).unwrap();
    let first = &published["diagnostics"][0];
    assert!(first["message"].as_str().unwrap().starts_with("in `bad.rw`: "), "{published}");
    assert!(first["relatedInformation"][0]["location"]["uri"].as_str().unwrap().ends_with("/bad.rw"), "{published}");
    assert_eq!(client.shutdown(WAIT), Ok(0));
}

/// `shutdown` and `exit` while the solver thread is inside Z3: the server
/// waits for it (libz3's static destructors run at process exit and corrupt
/// the heap under a thread still in a query), and exits with code 0.
#[test]
fn shutdown_during_a_solver_check_exits_cleanly() {
    let dir = scratch("lsp-shutdown-busy");
    let text = std::fs::read_to_string(common::root().join("examples/carl_driving.rw")).unwrap();
    let doc = uri(&dir.join("carl.rw"));
    for delay_ms in (0..12).map(|i| i * 7) {
        let mut client = start(&dir);
        open(&mut client, &doc, 1, &text);
        client.wait_diagnostics(&doc, 1, WAIT).expect("fast diagnostics");
        // The solver check of version 1 is running now.
        std::thread::sleep(Duration::from_millis(delay_ms));
        assert_eq!(client.shutdown(WAIT), Ok(0), "shutdown {delay_ms} ms into the check");
    }
}

/// Windows line ends: positions count lines as the editor does.
#[test]
fn crlf_documents_get_the_right_positions() {
    let dir = scratch("lsp-crlf");
    let doc = uri(&dir.join("crlf.rw"));
    let text = "input speed: f32\r\nprops p\r\nreward = speed + nope\r\n";
    let mut client = start(&dir);
    open(&mut client, &doc, 1, text);
    let published = client.wait_diagnostics(&doc, 1, WAIT).unwrap();
    assert_eq!(published["diagnostics"][0]["range"]["start"], json!({"line": 2, "character": 17}), "{published}");
    let hover = client.request("textDocument/hover", position(&doc, 2, 10), WAIT).unwrap();
    assert!(hover["contents"]["value"].as_str().unwrap().contains("type `f32`"), "{hover}");
    let completion = client.request("textDocument/completion", position(&doc, 2, 13), WAIT).unwrap();
    assert!(completion.as_array().unwrap().iter().any(|c| c["label"] == "speed"));
    // Inside a function, its parameters are names in scope too.
    let text = "input speed: f32\nfn twice(value: f32) -> f32 = value * 2.0\nreward = twice(speed)\n";
    client.send_all(&[change(&doc, 2, text)]).unwrap();
    client.wait_diagnostics(&doc, 2, WAIT).unwrap();
    let labels =
        |c: &Value| c.as_array().unwrap().iter().map(|c| c["label"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    let inside = client.request("textDocument/completion", position(&doc, 1, 34), WAIT).unwrap();
    assert!(labels(&inside).contains(&"value".to_string()), "{inside}");
    let outside = client.request("textDocument/completion", position(&doc, 2, 9), WAIT).unwrap();
    assert!(!labels(&outside).contains(&"value".to_string()), "{outside}");
    assert_eq!(client.shutdown(WAIT), Ok(0));
}

/// "did you mean `speed`?" becomes a quick fix.
#[test]
fn misspelt_names_have_a_quick_fix() {
    let dir = scratch("lsp-fix");
    let doc = uri(&dir.join("fix.rw"));
    let text =
        "input speed: f32\nmachine task {\n  start a\n  a -> b when speed > 1.0\n}\nreward = sped * 2.0 + task.rewad\n";
    let mut client = start(&dir);
    open(&mut client, &doc, 1, text);
    let published = client.wait_diagnostics(&doc, 1, WAIT).unwrap();
    let diagnostics = published["diagnostics"].clone();
    let (line, column) = find(text, "sped");
    let range = json!({"start": {"line": line, "character": column}, "end": {"line": line, "character": column + 4}});
    let actions = client
        .request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": doc}, "range": range, "context": {"diagnostics": diagnostics}}),
            WAIT,
        )
        .unwrap();
    let action = &actions[0];
    assert_eq!(action["title"], "replace `sped` with `speed`", "{actions}");
    assert_eq!(action["kind"], "quickfix");
    let edit = &action["edit"]["changes"][doc.as_str()][0];
    assert_eq!(edit["newText"], "speed");
    assert_eq!(edit["range"], range);
    // A member: only the member name is replaced.
    let (line, column) = find(text, "rewad");
    let range = json!({"start": {"line": line, "character": column}, "end": {"line": line, "character": column}});
    let actions = client
        .request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": doc}, "range": range, "context": {"diagnostics": []}}),
            WAIT,
        )
        .unwrap();
    assert_eq!(actions[0]["title"], "replace `rewad` with `reward`", "{actions}");
    assert_eq!(client.shutdown(WAIT), Ok(0));
}

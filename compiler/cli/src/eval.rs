//! `rwc eval SPEC --trace TRACE.jsonl`: evaluates a spec over a recorded
//! trace and prints every step's reward, done flag, logs and multipliers
//! (or, with `--summary`, one row per episode).
//!
//! The trace contract is `docs/traces.md`. Lines are read one at a time.
//! An episode is the lines with one `episode` id, in line order, wherever
//! they are (vectorised environments interleave them); it ends at the step
//! where the spec's `done` holds, at a line with `"truncated": true`, or at
//! the end of the trace, and a later line for it is an error. Without group
//! terms one lane is lent to each episode in turn (its state saved and
//! restored), so memory is the open episodes; with group terms every
//! episode runs in its own lane, side by side, so that group terms see the
//! lanes of a group at the same step index. Rows keep the input order. A
//! bad line stops everything with a diagnostic that names the line and
//! field (rows before it may have been written).

use crate::{EXIT_INPUT_ERRORS, EXIT_USAGE, load};
use ariadne::{Config, IndexType, Label, Report, ReportKind, Source};
use rw_runtime::artifact::{GroupOp, InputKind, InputSpec, ValueType};
use rw_runtime::{Artifact, Column, Evaluator, Isa, Options, StepInput};
use serde_json::{Map, Value};
use std::io::IsTerminal;
use std::path::PathBuf;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum EvalFormat {
    /// One JSON object per line (JSON Lines; the default when stdout is not a terminal)
    #[value(alias = "jsonl")]
    Json,
    /// Comma-separated values with a header
    Csv,
    /// Aligned columns for people (the default on a terminal)
    Table,
}

#[derive(clap::Args, Debug)]
pub struct EvalArgs {
    /// The spec, or its compiled artifact
    #[arg(value_name = "SPEC.rw|SPEC.rwc")]
    pub spec: PathBuf,
    /// The trace: JSON Lines, one object per step
    #[arg(long, value_name = "TRACE.jsonl")]
    pub trace: PathBuf,
    #[arg(long, value_enum)]
    pub format: Option<EvalFormat>,
    /// Set a param or constraint multiplier before the first step (repeatable)
    #[arg(long = "param", value_name = "NAME=VALUE")]
    pub params: Vec<String>,
    /// One row per episode: its return, length, why it ended, each log's sum
    #[arg(long)]
    pub summary: bool,
    /// Update the constraint multipliers after every N ended episodes (without it they keep their values)
    #[arg(long, value_name = "N")]
    pub batch_episodes: Option<u64>,
    /// Evaluation path: scalar (the reference), portable, avx2, avx512 or auto; every path gives the same bits
    #[arg(long, default_value = "scalar")]
    pub isa: String,
}

/// `--isa`: a path this CPU has, or an error naming the ones it has.
pub fn parse_isa(text: &str) -> Result<Isa, String> {
    let available = || Isa::available_paths().iter().map(|i| i.name()).collect::<Vec<_>>().join(", ");
    match Isa::parse(text) {
        Some(isa) if isa.available() => Ok(isa),
        Some(isa) => {
            Err(format!("evaluation path `{isa}` is not available on this CPU (it has {}, or auto)", available()))
        }
        None => Err(format!("unknown evaluation path `{text}` (this CPU has {}, or auto)", available())),
    }
}

/// One input's value on one line; a scalar is a vector of one.
#[derive(Clone, Debug)]
enum Value1 {
    Bools(Vec<bool>),
    Ints(Vec<i32>),
    Floats(Vec<f32>),
    Criteria(Vec<(f32, f32)>),
}

/// A step's column for one input, owned; [`Column`]s borrow from it.
enum OwnedColumn {
    Bools(Vec<bool>),
    Ints(Vec<i32>),
    Floats(Vec<f32>),
    Criteria(Vec<u32>, Vec<f32>, Vec<f32>),
}

/// The lanes' values of one input, lane after lane; an inactive lane gets
/// `len` defaults.
fn gather<T: Copy + Default>(values: impl Iterator<Item = Option<Vec<T>>>, len: usize) -> Vec<T> {
    let mut column = Vec::new();
    for v in values {
        match v {
            Some(v) => column.extend_from_slice(&v),
            None => column.extend(std::iter::repeat_n(T::default(), len)),
        }
    }
    column
}

struct Line {
    /// `None`: the line gives no `episode`.
    episode: Option<Value>,
    group: Option<Value>,
    /// `"truncated": true`: the episode's last step (Gymnasium's flag).
    truncated: bool,
    values: Vec<Value1>,
    /// The line as written, for reports about it after it was read.
    text: String,
}

/// A problem with the trace: line (1-based), the field, what is wrong.
pub struct TraceError {
    pub line: usize,
    pub field: Option<String>,
    pub message: String,
    pub help: Option<String>,
}

fn error(line: usize, field: Option<&str>, message: String) -> TraceError {
    TraceError { line, field: field.map(str::to_string), message, help: None }
}

fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    rw_compiler::sema::suggest::closest(name, candidates)
}

fn in_range(spec: &InputSpec, v: f64) -> bool {
    match spec.range {
        Some(r) => v >= r.lo && if r.inclusive { v <= r.hi } else { v < r.hi },
        None => true,
    }
}

/// The range check of an `f32` input, on the value after conversion to
/// `f32` against the range's ends as `f32`s: what the runtime (and the
/// checker) take the input to be.
fn in_range_f32(spec: &InputSpec, v: f32) -> bool {
    match spec.range {
        Some(r) => {
            let (lo, hi) = (r.lo as f32, r.hi as f32);
            v >= lo && if r.inclusive { v <= hi } else { v < hi }
        }
        None => true,
    }
}

fn range_text(spec: &InputSpec) -> String {
    spec.range.map_or(String::new(), |r| format!("{}{}{}", r.lo, if r.inclusive { "..=" } else { ".." }, r.hi))
}

fn parse_value(spec: &InputSpec, value: &Value, line: usize) -> Result<Value1, TraceError> {
    let name = spec.name.as_str();
    let wrong = |what: &str| {
        let found = match value.as_str() {
            Some(s @ ("NaN" | "Infinity" | "-Infinity")) => s.to_string(),
            _ => format!("`{value}`"),
        };
        let mut e = error(line, Some(name), format!("`{name}` must be {what}, found {found}"));
        if !found.starts_with('`') {
            e.help = Some("NaN and Infinity are values of `f32` inputs only".into());
        }
        e
    };
    let scalar = |t: ValueType, v: &Value| -> Result<Value1, TraceError> {
        match t {
            ValueType::Bool => v.as_bool().map(|b| Value1::Bools(vec![b])).ok_or_else(|| wrong("a JSON boolean")),
            ValueType::Int => {
                let i = v.as_i64().filter(|_| v.is_i64() || v.is_u64()).ok_or_else(|| wrong("a JSON integer"))?;
                let i = i32::try_from(i).map_err(|_| wrong("a 32-bit integer"))?;
                if !in_range(spec, f64::from(i)) {
                    return Err(error(
                        line,
                        Some(name),
                        format!("`{name}` is {i}, outside its declared range {}", range_text(spec)),
                    ));
                }
                Ok(Value1::Ints(vec![i]))
            }
            ValueType::F32 => {
                let x = match v.as_str() {
                    Some("NaN") => f64::NAN,
                    Some("Infinity") => f64::INFINITY,
                    Some("-Infinity") => f64::NEG_INFINITY,
                    _ => v.as_f64().ok_or_else(|| wrong("a JSON number (or NaN, Infinity, -Infinity)"))?,
                };
                let converted = x as f32;
                if converted.is_infinite() && x.is_finite() {
                    return Err(error(line, Some(name), format!("`{name}` is {x}, too large for an f32")));
                }
                if !in_range_f32(spec, converted) && !converted.is_finite() {
                    return Err(error(
                        line,
                        Some(name),
                        format!(
                            "`{name}` is {}, outside its declared range {}",
                            float_text(converted),
                            range_text(spec)
                        ),
                    ));
                }
                if !in_range_f32(spec, converted) {
                    return Err(error(
                        line,
                        Some(name),
                        format!(
                            "`{name}` is {x}, which as an f32 ({converted:?}) is outside its declared range {}",
                            range_text(spec)
                        ),
                    ));
                }
                Ok(Value1::Floats(vec![converted]))
            }
        }
    };
    match spec.kind {
        InputKind::Scalar(t) => scalar(t, value),
        InputKind::Vector(t, n) => {
            let items = value
                .as_array()
                .filter(|a| a.len() == n as usize)
                .ok_or_else(|| wrong(&format!("an array of {n} values")))?;
            let mut joined = match t {
                ValueType::Bool => Value1::Bools(Vec::new()),
                ValueType::Int => Value1::Ints(Vec::new()),
                ValueType::F32 => Value1::Floats(Vec::new()),
            };
            for item in items {
                match (&mut joined, scalar(t, item)?) {
                    (Value1::Bools(all), Value1::Bools(one)) => all.extend(one),
                    (Value1::Ints(all), Value1::Ints(one)) => all.extend(one),
                    (Value1::Floats(all), Value1::Floats(one)) => all.extend(one),
                    _ => {}
                }
            }
            Ok(joined)
        }
        InputKind::Criteria => {
            let items = value.as_array().ok_or_else(|| wrong("an array of {\"weight\": w, \"verdict\": v} objects"))?;
            let mut list = Vec::new();
            for item in items {
                let w = item.get("weight").and_then(Value::as_f64);
                let v = item.get("verdict").and_then(Value::as_f64);
                match (w, v) {
                    (Some(w), Some(v)) if w >= 0.0 && (0.0..=1.0).contains(&v) => list.push((w as f32, v as f32)),
                    _ => {
                        return Err(error(
                            line,
                            Some(name),
                            format!(
                                "each item of `{name}` needs a non-negative `weight` and a `verdict` in [0, 1], found `{item}`"
                            ),
                        ));
                    }
                }
            }
            Ok(Value1::Criteria(list))
        }
    }
}

/// A trace line's object, refusing a key given twice (JSON parsers
/// disagree on which one wins, so the trace is ambiguous).
struct UniqueKeys(Map<String, Value>);

/// The message of a repeated key, recognised when reporting it.
const DUPLICATE_KEY: &str = "duplicate key ";

impl<'de> serde::Deserialize<'de> for UniqueKeys {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = UniqueKeys;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut access: A) -> Result<UniqueKeys, A::Error> {
                let mut map = Map::new();
                while let Some((key, value)) = access.next_entry::<String, Value>()? {
                    if map.contains_key(&key) {
                        return Err(serde::de::Error::custom(format!("{DUPLICATE_KEY}{key}")));
                    }
                    map.insert(key, value);
                }
                Ok(UniqueKeys(map))
            }
        }
        deserializer.deserialize_map(Visitor)
    }
}

/// Python's `json.dumps` writes the non-standard tokens `NaN`, `Infinity`
/// and `-Infinity`: outside strings they become the strings `"NaN"`,
/// `"Infinity"`, `"-Infinity"`, which `f32` fields read as those values.
fn quote_non_finite(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains("NaN") && !text.contains("Infinity") {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    let (mut in_string, mut escaped) = (false, false);
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if in_string {
            in_string = escaped || c != '"';
            escaped = !escaped && c == '\\';
        } else if c == '"' {
            in_string = true;
        } else if let Some(token) = ["-Infinity", "Infinity", "NaN"].into_iter().find(|t| rest.starts_with(t)) {
            out.push('"');
            out.push_str(token);
            out.push('"');
            rest = &rest[token.len()..];
            continue;
        }
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    std::borrow::Cow::Owned(out)
}

/// The trace fields that are not inputs.
const TRACE_FIELDS: [&str; 4] = ["props", "episode", "group", "truncated"];

fn parse_line(program: &Artifact, number: usize, text: &str) -> Result<Line, TraceError> {
    let raw = text;
    let text = &*quote_non_finite(text);
    let object: Map<String, Value> = match serde_json::from_str::<UniqueKeys>(text) {
        Ok(UniqueKeys(o)) => o,
        Err(e) if e.to_string().starts_with(DUPLICATE_KEY) => {
            let key = e.to_string()[DUPLICATE_KEY.len()..].split(" at line").next().unwrap_or("").to_string();
            return Err(error(number, Some(&key), format!("the field `{key}` appears twice on this line")));
        }
        Err(e) => match serde_json::from_str::<Value>(text) {
            Ok(other) => return Err(error(number, None, format!("a trace line is a JSON object, found `{other}`"))),
            Err(_) => return Err(error(number, None, format!("not valid JSON: {e}"))),
        },
    };
    let inputs = &program.inputs;
    let mut values: Vec<Option<Value1>> = vec![None; inputs.len()];
    if let Some(list) = object.get("props") {
        let names = list
            .as_array()
            .ok_or_else(|| error(number, Some("props"), "`props` must be an array of prop names".into()))?;
        for name in names {
            let name = name
                .as_str()
                .ok_or_else(|| error(number, Some("props"), format!("`props` lists `{name}`, not a prop name")))?;
            match inputs.iter().position(|i| i.is_prop && i.name == name) {
                Some(k) => values[k] = Some(Value1::Bools(vec![true])),
                None => {
                    let mut e = error(number, Some("props"), format!("unknown prop `{name}`"));
                    e.help = closest(name, inputs.iter().filter(|i| i.is_prop).map(|i| i.name.as_str()))
                        .map(|s| format!("did you mean `{s}`?"))
                        .or_else(|| Some(format!("the props are: {}", prop_names(program))));
                    return Err(e);
                }
            }
        }
    }
    for (key, value) in &object {
        if TRACE_FIELDS.contains(&key.as_str()) {
            continue;
        }
        let Some(k) = inputs.iter().position(|i| i.name == *key) else {
            let mut e = error(number, Some(key), format!("unknown field `{key}`"));
            let names = inputs.iter().map(|i| i.name.as_str()).chain(TRACE_FIELDS);
            e.help = closest(key, names).map(|s| format!("did you mean `{s}`?")).or_else(|| {
                Some(format!(
                    "the spec's inputs are: {}",
                    inputs.iter().map(|i| i.name.as_str()).collect::<Vec<_>>().join(", ")
                ))
            });
            return Err(e);
        };
        if inputs[k].is_prop && object.contains_key("props") {
            return Err(error(
                number,
                Some(key),
                format!("prop `{key}` is given both as a field and in `props`; use one form per line"),
            ));
        }
        values[k] = Some(parse_value(&inputs[k], value, number)?);
    }
    let mut out = Vec::with_capacity(inputs.len());
    for (spec, value) in inputs.iter().zip(values) {
        match value {
            Some(v) => out.push(v),
            None if spec.is_prop => out.push(Value1::Bools(vec![false])),
            None => {
                let mut e = error(number, None, format!("missing input `{}` ({})", spec.name, spec.kind));
                e.help = Some(format!("every line gives every input: add `\"{}\": ...`", spec.name));
                return Err(e);
            }
        }
    }
    let group = object.get("group").cloned();
    if let Some(g) = &group
        && (g.is_object() || g.is_array())
    {
        return Err(error(number, Some("group"), "`group` must be a JSON scalar".into()));
    }
    let episode = object.get("episode").cloned();
    if episode.as_ref().is_some_and(|e| e.is_object() || e.is_array() || e.is_null()) {
        return Err(error(number, Some("episode"), "`episode` must be a number, a string or a boolean".into()));
    }
    if group.as_ref().is_some_and(Value::is_null) {
        return Err(error(number, Some("group"), "`group` must be a number, a string or a boolean".into()));
    }
    let truncated = match object.get("truncated") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(other) => {
            return Err(error(
                number,
                Some("truncated"),
                format!("`truncated` must be a JSON boolean, found `{other}`"),
            ));
        }
    };
    Ok(Line { episode, group, truncated, values: out, text: raw.to_string() })
}

fn prop_names(program: &Artifact) -> String {
    program.inputs.iter().filter(|i| i.is_prop).map(|i| i.name.as_str()).collect::<Vec<_>>().join(", ")
}

/// Reports a bad line; `line_text` is that line alone (the trace is not
/// kept), shown with its line number.
fn report(path: &str, line_text: &str, e: &TraceError) {
    // Empty lines before it put the line at its number (one byte per line).
    let line_start = e.line.saturating_sub(1);
    let text = format!("{}{line_text}", "\n".repeat(line_start));
    let (start, len) = match &e.field {
        Some(f) => match line_text.find(&format!("\"{f}\"")) {
            Some(p) => (line_start + p, f.len() + 2),
            None => (line_start, line_text.len()),
        },
        None => (line_start, line_text.len()),
    };
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let mut report = Report::build(ReportKind::Error, (path, start..start + len))
        .with_config(Config::default().with_color(color).with_index_type(IndexType::Byte))
        .with_code("RW0601")
        .with_message(format!("bad trace input: {}", e.message))
        .with_label(Label::new((path, start..start + len)).with_message(match &e.field {
            Some(f) => format!("field `{f}` of line {}", e.line),
            None => format!("line {}", e.line),
        }));
    if let Some(help) = &e.help {
        report = report.with_help(help);
    }
    if report.finish().eprint((path, Source::from(text))).is_err() {
        eprintln!("error: {path}:{}: {}", e.line, e.message);
    }
}

/// A value as every output format writes it: the shortest decimal that reads
/// back to the same `f32`, and `NaN`, `Infinity`, `-Infinity` for the
/// non-finite ones (what Python's `json` writes and reads, and `float()`
/// accepts).
fn number(bits: u32, ty: ValueType) -> String {
    match ty {
        ValueType::Bool => (bits != 0).to_string(),
        ValueType::Int => (bits as i32).to_string(),
        ValueType::F32 => float_text(f32::from_bits(bits)),
    }
}

fn float_text(x: f32) -> String {
    if x.is_nan() {
        "NaN".into()
    } else if x.is_infinite() {
        if x > 0.0 { "Infinity".into() } else { "-Infinity".into() }
    } else {
        // Rust prints the shortest decimal that reads back to the same f32.
        x.to_string()
    }
}

/// Reads every line of a trace for `program` (the reader `rwc eval` uses),
/// returning the number of steps or the first bad line; for the fuzzer and
/// for tools that validate traces without evaluating them.
pub fn read_trace(program: &Artifact, text: &str) -> Result<usize, TraceError> {
    let mut steps = 0;
    for item in Reader::new(program, text.as_bytes()) {
        item.map_err(|(e, _)| e)?;
        steps += 1;
    }
    Ok(steps)
}

/// Longest trace line read (the trace itself may be as long as it likes:
/// it is read line by line).
pub const MAX_LINE_BYTES: usize = 16 << 20;

/// Most episodes open at once in `rwc eval` without group terms: each
/// keeps its state (automaton states, registers, the step index) until its
/// `done` step or `"truncated": true` line.
pub const MAX_OPEN_EPISODES: usize = 1 << 21;

/// For specs that read the episode's end: most lines that may wait at once
/// (a line waits for its episode's next line; rows after it wait to keep
/// the input order).
pub const MAX_WAITING_LINES: usize = 1 << 20;

/// The trace's lines, read one at a time and parsed; an error carries the
/// offending line's text for the report. `\n`, `\r\n` and a lone `\r` end a
/// line; a leading byte order mark is skipped.
struct Reader<'t, R> {
    program: &'t Artifact,
    input: R,
    /// Lines read so far (the number of the last one).
    number: usize,
    /// Lines of the current physical line split at lone `\r`s, in order.
    pending: std::collections::VecDeque<String>,
    first: bool,
    done: bool,
}

impl<'t, R: std::io::BufRead> Reader<'t, R> {
    fn new(program: &'t Artifact, input: R) -> Self {
        Reader { program, input, number: 0, pending: Default::default(), first: true, done: false }
    }

    /// The next physical line, split at lone `\r`s into `pending`.
    fn fill(&mut self) -> Result<bool, (TraceError, String)> {
        use std::io::{BufRead, Read};
        let mut buf = Vec::new();
        let read = (&mut self.input).take(MAX_LINE_BYTES as u64 + 1).read_until(b'\n', &mut buf);
        let at = self.number + 1;
        match read {
            Ok(0) => return Ok(false),
            Ok(_) if buf.len() > MAX_LINE_BYTES => {
                let message = format!("the line is longer than the limit of {} MiB", MAX_LINE_BYTES >> 20);
                return Err((error(at, None, message), String::new()));
            }
            Ok(_) => {}
            Err(e) => return Err((error(at, None, format!("cannot read the trace: {e}")), String::new())),
        }
        while matches!(buf.last(), Some(b'\n' | b'\r')) {
            buf.pop();
        }
        let mut text =
            String::from_utf8(buf).map_err(|_| (error(at, None, "the line is not UTF-8".into()), String::new()))?;
        if std::mem::replace(&mut self.first, false) && text.starts_with('\u{feff}') {
            text.drain(..'\u{feff}'.len_utf8());
        }
        self.pending.extend(text.split('\r').map(str::to_string));
        Ok(true)
    }
}

impl<R: std::io::BufRead> Iterator for Reader<'_, R> {
    type Item = Result<(usize, Line), (TraceError, String)>;
    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            let Some(raw) = self.pending.pop_front() else {
                match self.fill() {
                    Ok(true) => continue,
                    Ok(false) => break,
                    Err(e) => {
                        self.done = true;
                        return Some(Err(e));
                    }
                }
            };
            self.number += 1;
            if raw.trim().is_empty() {
                continue;
            }
            let number = self.number;
            let parsed = parse_line(self.program, number, &raw).map(|l| (number, l)).map_err(|e| (e, raw));
            if parsed.is_err() {
                self.done = true;
            }
            return Some(parsed);
        }
        None
    }
}

/// One output cell: JSON text (numbers, booleans, episode ids that are not
/// strings) or plain text (quoted in JSON, as is in csv and tables).
enum Cell {
    Json(String),
    Text(String),
}

impl Cell {
    fn episode(id: &Value) -> Cell {
        match id {
            Value::String(s) => Cell::Text(s.clone()),
            other => Cell::Json(other.to_string()),
        }
    }
    fn plain(&self) -> &str {
        match self {
            Cell::Json(s) | Cell::Text(s) => s,
        }
    }
}

/// Where the rows go: json and csv rows are written at once; a table waits
/// for its column widths.
struct Sink {
    format: EvalFormat,
    header: Vec<String>,
    table: Vec<Vec<String>>,
    out: std::io::BufWriter<std::io::StdoutLock<'static>>,
}

impl Sink {
    fn new(header: Vec<String>, format: EvalFormat) -> Sink {
        let mut sink =
            Sink { format, header, table: Vec::new(), out: std::io::BufWriter::new(std::io::stdout().lock()) };
        if format == EvalFormat::Csv {
            let line = sink.header.iter().map(|h| csv_quote(h)).collect::<Vec<_>>().join(",");
            sink.write(&line);
        }
        sink
    }

    fn write(&mut self, line: &str) {
        use std::io::Write;
        let _ = writeln!(self.out, "{line}");
    }

    fn row(&mut self, cells: Vec<Cell>) {
        match self.format {
            EvalFormat::Json => {
                let fields: Vec<String> = self
                    .header
                    .iter()
                    .zip(&cells)
                    .map(|(h, c)| {
                        let value = match c {
                            Cell::Json(s) => s.clone(),
                            Cell::Text(s) => Value::String(s.clone()).to_string(),
                        };
                        format!("{}:{value}", Value::String(h.clone()))
                    })
                    .collect();
                self.write(&format!("{{{}}}", fields.join(",")));
            }
            EvalFormat::Csv => {
                let line = cells.iter().map(|c| csv_quote(c.plain())).collect::<Vec<_>>().join(",");
                self.write(&line);
            }
            EvalFormat::Table => self.table.push(cells.iter().map(|c| c.plain().to_string()).collect()),
        }
    }

    fn finish(mut self) {
        use std::io::Write;
        if self.format == EvalFormat::Table {
            let rows = std::mem::take(&mut self.table);
            let widths: Vec<usize> = (0..self.header.len())
                .map(|k| rows.iter().map(|r| r[k].chars().count()).chain([self.header[k].len()]).max().unwrap_or(0))
                .collect();
            let line = |row: &[String]| {
                row.iter().zip(&widths).map(|(c, w)| format!("{c:>w$}")).collect::<Vec<_>>().join("  ")
            };
            let header = line(&self.header);
            self.write(&header);
            for row in &rows {
                let text = line(row);
                self.write(&text);
            }
        }
        let _ = self.out.flush();
    }
}

fn csv_quote(c: &str) -> String {
    if c.contains([',', '"', '\n', '\r']) { format!("\"{}\"", c.replace('"', "\"\"")) } else { c.to_string() }
}

/// The columns of one step, lane by lane (`None`: the lane has no step).
fn owned_columns(program: &Artifact, at: &[Option<&Line>]) -> Vec<OwnedColumn> {
    program
        .inputs
        .iter()
        .enumerate()
        .map(|(k, spec)| {
            let len = if let InputKind::Vector(_, n) = spec.kind { n as usize } else { 1 };
            let values = || at.iter().map(move |line| line.map(|line| &line.values[k]));
            match &spec.kind {
                InputKind::Criteria => {
                    let (mut offsets, mut weights, mut verdicts) = (vec![0u32], Vec::new(), Vec::new());
                    for v in values() {
                        if let Some(Value1::Criteria(items)) = v {
                            weights.extend(items.iter().map(|(w, _)| *w));
                            verdicts.extend(items.iter().map(|(_, x)| *x));
                        }
                        offsets.push(weights.len() as u32);
                    }
                    OwnedColumn::Criteria(offsets, weights, verdicts)
                }
                InputKind::Scalar(ValueType::Bool) | InputKind::Vector(ValueType::Bool, _) => OwnedColumn::Bools(
                    gather(values().map(|v| if let Some(Value1::Bools(b)) = v { Some(b.clone()) } else { None }), len),
                ),
                InputKind::Scalar(ValueType::Int) | InputKind::Vector(ValueType::Int, _) => OwnedColumn::Ints(gather(
                    values().map(|v| if let Some(Value1::Ints(i)) = v { Some(i.clone()) } else { None }),
                    len,
                )),
                _ => OwnedColumn::Floats(gather(
                    values().map(|v| if let Some(Value1::Floats(x)) = v { Some(x.clone()) } else { None }),
                    len,
                )),
            }
        })
        .collect()
}

fn borrowed<'a>(program: &Artifact, owned: &'a [OwnedColumn]) -> Vec<Column<'a>> {
    owned
        .iter()
        .zip(&program.inputs)
        .map(|(column, spec)| {
            let vector = matches!(spec.kind, InputKind::Vector(..));
            match (column, vector) {
                (OwnedColumn::Bools(c), false) => Column::Bool(c),
                (OwnedColumn::Bools(c), true) => Column::BoolVec(c),
                (OwnedColumn::Ints(c), false) => Column::Int(c),
                (OwnedColumn::Ints(c), true) => Column::IntVec(c),
                (OwnedColumn::Floats(c), false) => Column::F32(c),
                (OwnedColumn::Floats(c), true) => Column::F32Vec(c),
                (OwnedColumn::Criteria(o, w, v), _) => Column::Criteria { offsets: o, weights: w, verdicts: v },
            }
        })
        .collect()
}

/// Sets `--param NAME=VALUE`s; the message names the param.
fn set_params(program: &Artifact, evaluator: &mut Evaluator<'_>, params: &[String]) -> Result<(), String> {
    for assignment in params {
        let Some((name, text)) = assignment.split_once('=') else {
            return Err(format!("`--param {assignment}` needs the form NAME=VALUE"));
        };
        let (name, text) = (name.trim(), text.trim());
        let Some(spec) = program.params.iter().find(|p| p.name == name) else {
            let names: Vec<&str> = program.params.iter().map(|p| p.name.as_str()).collect();
            let help = match closest(name, names.iter().copied()) {
                Some(s) => format!("did you mean `{s}`?"),
                None if names.is_empty() => "the spec declares no params or constraint multipliers".into(),
                None => format!("the spec's params are: {}", names.join(", ")),
            };
            return Err(format!("unknown param `{name}`\n  help: {help}"));
        };
        let bits = match spec.ty {
            ValueType::Bool => match text {
                "true" => 1,
                "false" => 0,
                _ => return Err(format!("param `{name}` is a bool: give `true` or `false`, not `{text}`")),
            },
            ValueType::Int => {
                let v: i32 = text.parse().map_err(|_| format!("param `{name}` is an int: `{text}` is not one"))?;
                v as u32
            }
            ValueType::F32 => {
                let v: f64 = text.parse().map_err(|_| format!("param `{name}` is an f32: `{text}` is not a number"))?;
                let v32 = v as f32;
                if !v32.is_finite() {
                    return Err(format!("param `{name}` must be a finite f32, not `{text}`"));
                }
                v32.to_bits()
            }
        };
        let value = match spec.ty {
            ValueType::F32 => f64::from(f32::from_bits(bits)),
            _ => f64::from(bits as i32),
        };
        if let Some(r) = spec.range {
            let inside = value >= r.lo && if r.inclusive { value <= r.hi } else { value < r.hi };
            if !inside {
                let op = if r.inclusive { "..=" } else { ".." };
                return Err(format!("param `{name}` is {text}, outside its declared range {}{op}{}", r.lo, r.hi));
            }
        }
        evaluator.set_param(name, bits);
    }
    Ok(())
}

pub fn run(args: &EvalArgs) -> u8 {
    let program = match load::program(&args.spec) {
        Ok(p) => p,
        Err(code) => return code,
    };
    if args.batch_episodes == Some(0) {
        eprintln!("error: `--batch-episodes` must be at least 1");
        return EXIT_USAGE;
    }
    let isa = match parse_isa(&args.isa) {
        Ok(isa) => isa,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_USAGE;
        }
    };
    let path = args.trace.display().to_string();
    let file = match std::fs::File::open(&args.trace) {
        Ok(f) if f.metadata().is_ok_and(|m| m.is_dir()) => {
            eprintln!("error: cannot read `{path}`: it is a directory");
            return EXIT_USAGE;
        }
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: cannot read `{path}`: {}", rw_compiler::source::describe_io(&e));
            return EXIT_USAGE;
        }
    };
    let format =
        args.format.unwrap_or(if std::io::stdout().is_terminal() { EvalFormat::Table } else { EvalFormat::Json });
    let reader = Reader::new(&program, std::io::BufReader::with_capacity(1 << 16, file));
    let grouped = program.code.iter().any(|i| matches!(i.op, rw_runtime::artifact::Op::Group(..)));
    let mut run = Run::new(&program, args, format, Options { check_nan: true, isa, ..Options::default() });
    let result = run
        .set_params(&args.params)
        .and_then(|()| if grouped { evaluate_batch(&mut run, reader) } else { evaluate_streaming(&mut run, reader) });
    match result {
        Ok(()) => {
            run.sink.finish();
            0
        }
        Err(failure) => {
            run.sink.finish();
            match failure {
                Failure::Usage(message) => {
                    eprintln!("error: {message}");
                    EXIT_USAGE
                }
                Failure::Trace((e, line)) => {
                    report(&path, &line, &e);
                    EXIT_INPUT_ERRORS
                }
                Failure::Step(line, e) => {
                    match line {
                        Some(k) => eprintln!("error: {path}: the step of line {k}: {e}"),
                        None => eprintln!("error: {path}: {e}"),
                    }
                    EXIT_INPUT_ERRORS
                }
            }
        }
    }
}

enum Failure {
    /// A bad command line (a `--param`).
    Usage(String),
    /// A bad line, with its text.
    Trace((TraceError, String)),
    /// The runtime refused a step: the trace line (1-based) when known.
    Step(Option<usize>, rw_runtime::StepError),
}

/// Why an episode ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum End {
    /// The spec's `done` held.
    Done,
    /// The line said `"truncated": true`.
    Truncated,
    /// The trace has no more lines for it.
    Trace,
}

impl End {
    /// How a step that ended its episode ended it.
    fn of(done: bool, truncated: bool) -> End {
        if done {
            End::Done
        } else if truncated {
            End::Truncated
        } else {
            End::Trace
        }
    }

    fn name(self) -> &'static str {
        match self {
            End::Done => "done",
            End::Truncated => "truncated",
            End::Trace => "end of trace",
        }
    }
}

/// An episode's running totals, for `--summary`.
#[derive(Clone, Default)]
struct Totals {
    length: u64,
    reward: f64,
    logs: Vec<f64>,
}

/// What both evaluation orders share: the evaluator, the output, the
/// episode bookkeeping and the multiplier updates.
struct Run<'p> {
    program: &'p Artifact,
    options: Options,
    evaluator: Evaluator<'p>,
    sink: Sink,
    summary: bool,
    batch_episodes: Option<u64>,
    /// Episodes ended since the last multiplier update.
    ended_in_batch: u64,
    /// Ended episodes: where each ended and why (a later line is an error).
    ended: std::collections::HashMap<String, (usize, End)>,
}

impl<'p> Run<'p> {
    fn new(program: &'p Artifact, args: &EvalArgs, format: EvalFormat, options: Options) -> Run<'p> {
        let header: Vec<String> = if args.summary {
            let mut h = vec!["episode".to_string(), "length".into(), "return".into(), "end".into()];
            h.extend(program.logs.iter().map(|l| l.name.clone()));
            h
        } else {
            let mut h = vec!["episode".to_string(), "step".into(), "reward".into(), "done".into()];
            // `discount = ...`: its column follows `done`.
            h.extend(program.discount.map(|_| "discount".to_string()));
            h.extend(program.logs.iter().map(|l| l.name.clone()));
            h.extend(program.constraints.iter().map(|c| program.params[c.param as usize].name.clone()));
            h
        };
        Run {
            program,
            options,
            // One lane until the batch order asks for more.
            evaluator: Evaluator::new(program, 1, options),
            sink: Sink::new(header, format),
            summary: args.summary,
            batch_episodes: args.batch_episodes,
            ended_in_batch: 0,
            ended: Default::default(),
        }
    }

    fn set_params(&mut self, params: &[String]) -> Result<(), Failure> {
        set_params(self.program, &mut self.evaluator, params).map_err(Failure::Usage)
    }

    /// The multipliers now in effect, in constraint order.
    fn multipliers(&self) -> Vec<u32> {
        let p = self.program;
        p.constraints.iter().map(|c| self.evaluator.param(&p.params[c.param as usize].name).unwrap_or(0)).collect()
    }

    /// The row of one step (none with `--summary`).
    fn step_row(&self, episode: &Value, step: u32, out: &StepRow, multipliers: &[u32]) -> Option<Vec<Cell>> {
        if self.summary {
            return None;
        }
        let mut cells = vec![
            Cell::episode(episode),
            Cell::Json(step.to_string()),
            Cell::Json(number(out.reward, ValueType::F32)),
            Cell::Json(out.done.to_string()),
        ];
        if self.program.discount.is_some() {
            cells.push(Cell::Json(number(out.discount, ValueType::F32)));
        }
        cells.extend(self.program.logs.iter().zip(&out.logs).map(|(l, bits)| Cell::Json(number(*bits, l.ty))));
        cells.extend(multipliers.iter().map(|bits| Cell::Json(number(*bits, ValueType::F32))));
        Some(cells)
    }

    /// An episode ended on line `line`: its summary row, and the
    /// multiplier update when a batch is complete.
    fn episode_ended(&mut self, key: String, episode: &Value, line: usize, end: End, totals: &Totals) {
        self.ended.insert(key, (line, end));
        self.summary_row(episode, end, totals);
        self.ended_in_batch += 1;
        if let Some(n) = self.batch_episodes
            && self.ended_in_batch >= n
        {
            self.ended_in_batch -= n;
            self.evaluator.end_batch();
        }
    }

    fn summary_row(&mut self, episode: &Value, end: End, totals: &Totals) {
        if self.summary {
            let mut cells = vec![
                Cell::episode(episode),
                Cell::Json(totals.length.to_string()),
                Cell::Json(float_text(totals.reward as f32)),
                Cell::Text(end.name().into()),
            ];
            let p = self.program;
            cells.extend(p.logs.iter().zip(&totals.logs).map(|(log, &x)| match log.ty {
                // Whole sums of up to 2^53 are exact in f64.
                ValueType::Int | ValueType::Bool => Cell::Json(format!("{}", x as i64)),
                ValueType::F32 => Cell::Json(float_text(x as f32)),
            }));
            self.sink.row(cells);
        }
    }

    /// The error for a line of an episode that already ended.
    fn after_end(&self, key: &str, episode: &Value, number: usize, text: String) -> Option<Failure> {
        let &(at, end) = self.ended.get(key)?;
        let why = match end {
            End::Done => "its `done` held",
            End::Truncated => "it was marked `\"truncated\": true`",
            End::Trace => "the trace ended it",
        };
        let e = if episode.is_null() {
            let mut e = error(
                number,
                None,
                format!("the trace gives no `episode` ids, so it is one episode, which ended at line {at} ({why})"),
            );
            e.help = Some("give each episode's lines an `episode` id: `{\"episode\": 2, ...}`".into());
            e
        } else {
            let mut e = error(number, Some("episode"), format!("episode {episode} already ended at line {at} ({why})"));
            e.help = Some(
                "an episode ends at its `done` step or at a line with `\"truncated\": true`; give the next episode a new `episode` id"
                    .into(),
            );
            e
        };
        Some(Failure::Trace((e, text)))
    }
}

/// One step's outputs for one lane.
struct StepRow {
    reward: u32,
    done: bool,
    end: bool,
    discount: u32,
    logs: Vec<u32>,
}

impl StepRow {
    fn of(out: &rw_runtime::StepOutput, lane: usize) -> StepRow {
        StepRow {
            reward: out.reward[lane].to_bits(),
            done: out.done[lane],
            end: out.episode_end[lane],
            discount: out.discount[lane].to_bits(),
            logs: out.logs.iter().map(|col| col[lane]).collect(),
        }
    }

    fn add_to(&self, totals: &mut Totals, program: &Artifact) {
        totals.length += 1;
        totals.reward += f64::from(f32::from_bits(self.reward));
        totals.logs.resize(program.logs.len(), 0.0);
        for ((sum, bits), log) in totals.logs.iter_mut().zip(&self.logs).zip(&program.logs) {
            *sum += match log.ty {
                ValueType::F32 => f64::from(f32::from_bits(*bits)),
                ValueType::Int => f64::from(*bits as i32),
                ValueType::Bool => f64::from(u8::from(*bits != 0)),
            };
        }
    }
}

/// The key of a line's episode: its id as written; every line without
/// `episode` belongs to the one unnamed episode (`null`).
fn episode_key(id: &Option<Value>) -> (String, Value) {
    let id = id.clone().unwrap_or(Value::Null);
    (id.to_string(), id)
}

/// Whether some step's outputs depend on the episode's end (`gated`
/// payouts, `episode_end`): then a line's row waits until its episode's
/// next line (or the end of the trace) tells whether it was the last.
fn reads_episode_end(program: &Artifact) -> bool {
    program.code.iter().any(|i| matches!(i.op, rw_runtime::artifact::Op::EpisodeEnd(..)))
}

/// An open episode of the streaming order.
struct Open {
    id: Value,
    /// Its first line, to report open episodes in order.
    first_line: usize,
    /// Its lane state while another episode has the lane.
    state: Option<rw_runtime::LaneState>,
    step: u32,
    totals: Totals,
    /// (Specs that read the episode's end) its latest line and that line's
    /// position, stepped once the next line or the trace's end says
    /// whether it is the last.
    waiting: Option<(usize, usize, Line)>,
}

/// The streaming order's state: the open episodes, which has the lane, and
/// rows held back to keep the input order.
#[derive(Default)]
struct Streams {
    open: std::collections::HashMap<String, Open>,
    current: Option<String>,
    rows: std::collections::BTreeMap<usize, Option<Vec<Cell>>>,
    next_row: usize,
}

impl Streams {
    /// Gives the lane to episode `key` (saving the previous episode's state).
    fn switch_to(&mut self, run: &mut Run<'_>, key: &str) {
        if self.current.as_deref() == Some(key) {
            return;
        }
        if let Some(previous) = self.current.take()
            && let Some(p) = self.open.get_mut(&previous)
        {
            p.state = Some(run.evaluator.save_lane(0));
        }
        match self.open.get_mut(key).and_then(|e| e.state.take()) {
            Some(state) => run.evaluator.restore_lane(0, &state),
            None => run.evaluator.reset_lane(0),
        }
        self.current = Some(key.to_string());
    }

    /// Writes the rows that no earlier row waits for.
    fn flush(&mut self, run: &mut Run<'_>) {
        while let Some(row) = self.rows.remove(&self.next_row) {
            if let Some(cells) = row {
                run.sink.row(cells);
            }
            self.next_row += 1;
        }
    }

    /// Steps one line of episode `key`; returns how the episode ended, if
    /// it did. `last`: no line of the episode follows.
    fn step(
        &mut self,
        run: &mut Run<'_>,
        key: &str,
        (number, position, line): (usize, usize, &Line),
        last: bool,
    ) -> Result<Option<End>, Failure> {
        self.switch_to(run, key);
        let multipliers = run.multipliers();
        let owned = owned_columns(run.program, &[Some(line)]);
        let columns = borrowed(run.program, &owned);
        let last_flags = [last || line.truncated];
        let input = StepInput { columns: &columns, last: Some(&last_flags), groups: None, active: None };
        let out = run.evaluator.step(&input).map_err(|e| Failure::Step(Some(number), e))?;
        let row = StepRow::of(out, 0);
        let Some(episode) = self.open.get_mut(key) else { return Ok(None) };
        let step = episode.step;
        episode.step += 1;
        row.add_to(&mut episode.totals, run.program);
        let id = episode.id.clone();
        self.rows.insert(position, run.step_row(&id, step, &row, &multipliers));
        self.flush(run);
        if !row.end {
            return Ok(None);
        }
        let end = End::of(row.done, line.truncated);
        let totals = self.open.remove(key).map(|e| e.totals).unwrap_or_default();
        // The evaluator reset the lane: nobody's state is in it.
        self.current = None;
        run.episode_ended(key.to_string(), &id, number, end, &totals);
        Ok(Some(end))
    }
}

/// Specs without group terms: one lane, lent to each episode in turn (its
/// state saved and restored); rows in input order. A line is stepped as it
/// is read, unless the spec reads the episode's end: then it waits for its
/// episode's next line, or the trace's end, which ends the episode as a
/// truncation would. Memory is the open episodes and, for specs that read
/// the end, the rows that wait.
fn evaluate_streaming(
    run: &mut Run<'_>,
    reader: impl Iterator<Item = Result<(usize, Line), (TraceError, String)>>,
) -> Result<(), Failure> {
    let delayed = reads_episode_end(run.program);
    let mut streams = Streams::default();
    let mut named = None;
    for (position, item) in reader.enumerate() {
        let (number, line) = item.map_err(Failure::Trace)?;
        let has_id = line.episode.is_some();
        if *named.get_or_insert(has_id) != has_id {
            let mut e = error(number, None, "some lines give `episode` and others do not".into());
            e.help = Some("give every line an `episode` id, or none (the whole trace is then one episode)".into());
            return Err(Failure::Trace((e, line.text)));
        }
        let (key, id) = episode_key(&line.episode);
        if let Some(failure) = run.after_end(&key, &id, number, line.text.clone()) {
            return Err(failure);
        }
        if !streams.open.contains_key(&key) {
            let limit = if delayed { MAX_WAITING_LINES } else { MAX_OPEN_EPISODES };
            let waiting = if delayed { streams.open.len() + streams.rows.len() } else { streams.open.len() };
            if waiting >= limit {
                let oldest = streams.open.values().min_by_key(|e| e.first_line).map(|e| (e.first_line, e.id.clone()));
                let what =
                    if delayed { "lines wait for their episodes' next line" } else { "episodes are open at once" };
                let mut e = error(number, None, format!("more than {limit} {what}"));
                e.help = Some(format!(
                    "an episode ends at its `done` step or a line with `\"truncated\": true`{}; mark each episode's last line",
                    oldest
                        .map(|(at, id)| format!(" (episode {id}, open since line {at}, has not ended)"))
                        .unwrap_or_default()
                ));
                return Err(Failure::Trace((e, line.text)));
            }
            streams.open.insert(
                key.clone(),
                Open {
                    id: id.clone(),
                    first_line: number,
                    state: None,
                    step: 0,
                    totals: Totals::default(),
                    waiting: None,
                },
            );
        }
        if !delayed {
            streams.step(run, &key, (number, position, &line), false)?;
            continue;
        }
        // The episode's previous line is not its last: step it now.
        let previous = streams.open.get_mut(&key).and_then(|e| e.waiting.take());
        if let Some((at, at_position, waiting)) = previous
            && streams.step(run, &key, (at, at_position, &waiting), false)?.is_some()
        {
            return Err(run.after_end(&key, &id, number, line.text.clone()).unwrap_or(Failure::Usage(String::new())));
        }
        if line.truncated {
            streams.step(run, &key, (number, position, &line), true)?;
        } else if let Some(episode) = streams.open.get_mut(&key) {
            episode.waiting = Some((number, position, line));
        }
    }
    // The trace ended: every open episode ends as a truncation would.
    let mut open: Vec<(usize, String)> = streams.open.iter().map(|(k, e)| (e.first_line, k.clone())).collect();
    open.sort();
    for (_, key) in open {
        let waiting = streams.open.get_mut(&key).and_then(|e| e.waiting.take());
        match waiting {
            Some((number, position, line)) => {
                streams.step(run, &key, (number, position, &line), true)?;
            }
            None => {
                streams.switch_to(run, &key);
                run.evaluator.end_episode(0);
                streams.current = None;
                if let Some(e) = streams.open.remove(&key) {
                    run.episode_ended(key, &e.id, 0, End::Trace, &e.totals);
                }
            }
        }
    }
    streams.flush(run);
    Ok(())
}

/// Specs with group terms: every episode in its own lane, side by side, so
/// that group terms see the lanes of a group at the same step index; the
/// whole trace is held, and each step costs one pass over the lanes that
/// are still running.
fn evaluate_batch(
    run: &mut Run<'_>,
    reader: impl Iterator<Item = Result<(usize, Line), (TraceError, String)>>,
) -> Result<(), Failure> {
    let mut lines: Vec<(usize, Line)> = Vec::new();
    let mut lanes: Vec<Vec<usize>> = Vec::new();
    let mut lane_of: std::collections::HashMap<String, usize> = Default::default();
    let mut group_ids: Vec<Value> = Vec::new();
    // Batch statistics alone (`batch_mean`, ...) need no groups.
    let needs_groups = run.program.code.iter().any(|i| {
        matches!(i.op, rw_runtime::artifact::Op::Group(op, _)
            if !op.is_batch() || matches!(op, GroupOp::BatchGroupRank | GroupOp::BatchGroups))
    });
    for item in reader {
        let (number, line) = item.map_err(Failure::Trace)?;
        let needs = |field: &str, what: &str| {
            let mut e = error(number, None, format!("this line has no `{field}`, and the spec {what}"));
            e.help = Some(
                "give every line an `episode` id and a `group` id (completions of one prompt share a group): `{\"episode\": 1, \"group\": 1, ...}`".into(),
            );
            Failure::Trace((e, line.text.clone()))
        };
        if line.group.is_none() && needs_groups {
            return Err(needs(
                "group",
                "has group terms (`group_mean`, `group_std`, ...): their statistics need to know which lines share a group",
            ));
        }
        let Some(id) = &line.episode else {
            return Err(needs("episode", "has group terms, which evaluate episodes side by side"));
        };
        let key = id.to_string();
        let lane = *lane_of.entry(key).or_insert_with(|| {
            lanes.push(Vec::new());
            lanes.len() - 1
        });
        if let Some(&previous) = lanes[lane].last() {
            let (at, before) = &lines[previous];
            if before.truncated {
                let mut e = error(
                    number,
                    Some("episode"),
                    format!("episode {id} already ended at line {at} (it was marked `\"truncated\": true`)"),
                );
                e.help = Some("an episode ends at its `done` step or at a line with `\"truncated\": true`; give the next episode a new `episode` id".into());
                return Err(Failure::Trace((e, line.text.clone())));
            }
            if before.group != line.group {
                let mut e = error(
                    number,
                    Some("group"),
                    format!(
                        "episode {id} changes its `group` (line {at} has {})",
                        before.group.clone().unwrap_or(Value::Null)
                    ),
                );
                e.help = Some("an episode belongs to one group".into());
                return Err(Failure::Trace((e, line.text.clone())));
            }
        }
        lanes[lane].push(lines.len());
        lines.push((number, line));
    }
    let lane_count = lanes.len();
    let horizon = lanes.iter().map(Vec::len).max().unwrap_or(0);
    let mut evaluator =
        Evaluator::try_new(run.program, lane_count.max(1), run.options).map_err(|e| Failure::Step(None, e))?;
    for p in &run.program.params {
        if let Some(bits) = run.evaluator.param(&p.name) {
            evaluator.set_param(&p.name, bits);
        }
    }
    run.evaluator = evaluator;
    let groups: Vec<u32> = lanes
        .iter()
        .map(|l| {
            let g = lines[l[0]].1.group.clone().unwrap_or(Value::Null);
            match group_ids.iter().position(|x| *x == g) {
                Some(i) => i as u32,
                None => {
                    group_ids.push(g);
                    group_ids.len() as u32 - 1
                }
            }
        })
        .collect();
    let mut totals = vec![Totals::default(); lane_count];
    let mut rows: Vec<Option<Vec<Cell>>> = std::iter::repeat_with(|| None).take(lines.len()).collect();
    for t in 0..horizon {
        let at: Vec<Option<&Line>> = lanes.iter().map(|l| l.get(t).map(|&k| &lines[k].1)).collect();
        let active: Vec<bool> = lanes.iter().map(|l| t < l.len()).collect();
        // A truncated line, or the episode's last line in the trace (the
        // trace's end ends it as a truncation would).
        let last: Vec<bool> =
            lanes.iter().zip(&at).map(|(l, line)| t + 1 == l.len() || line.is_some_and(|l| l.truncated)).collect();
        let owned = owned_columns(run.program, &at);
        let columns = borrowed(run.program, &owned);
        let multipliers = run.multipliers();
        let input = StepInput { columns: &columns, last: Some(&last), groups: Some(&groups), active: Some(&active) };
        let out = run.evaluator.step(&input).map_err(|e| {
            let line = match &e {
                rw_runtime::StepError::NotANumber { lane, .. } => lanes[*lane].get(t).map(|&k| lines[k].0),
                _ => None,
            };
            Failure::Step(line, e)
        })?;
        let step_rows: Vec<Option<StepRow>> =
            lanes.iter().enumerate().map(|(lane, l)| l.get(t).map(|_| StepRow::of(out, lane))).collect();
        for (lane, row) in step_rows.into_iter().enumerate() {
            let Some(row) = row else { continue };
            let k = lanes[lane][t];
            let (number, line) = &lines[k];
            let id = line.episode.clone().unwrap_or(Value::Null);
            row.add_to(&mut totals[lane], run.program);
            rows[k] = run.step_row(&id, t as u32, &row, &multipliers);
            if row.end {
                if let Some(&next) = lanes[lane].get(t + 1) {
                    let key = id.to_string();
                    run.ended.insert(key.clone(), (*number, End::Done));
                    let (next_number, next_line) = &lines[next];
                    return Err(run
                        .after_end(&key, &id, *next_number, next_line.text.clone())
                        .unwrap_or(Failure::Usage(String::new())));
                }
                let end = End::of(row.done, line.truncated);
                let lane_totals = std::mem::take(&mut totals[lane]);
                run.episode_ended(id.to_string(), &id, *number, end, &lane_totals);
            }
        }
    }
    for cells in rows.into_iter().flatten() {
        run.sink.row(cells);
    }
    Ok(())
}

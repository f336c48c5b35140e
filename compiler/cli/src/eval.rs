//! `rwc eval SPEC --trace TRACE.jsonl`: evaluates a spec over a recorded
//! trace and prints every step's reward, done flag and logs.
//!
//! The trace is read line by line. An episode is a run of consecutive lines with the same
//! `"episode"` value. Without group terms, episodes are evaluated one at a
//! time as they are read and their rows written at once (time linear in the
//! trace, memory one episode). With group terms every episode runs in its
//! own lane, side by side, so that group terms see the lanes of a group at
//! the same step index. A bad line stops everything with a diagnostic that
//! names the line and field (rows of earlier episodes may have been written).

use crate::{EXIT_INPUT_ERRORS, EXIT_USAGE, load};
use ariadne::{Config, IndexType, Label, Report, ReportKind, Source};
use rw_runtime::artifact::{InputKind, InputSpec, ValueType};
use rw_runtime::{Artifact, Column, Evaluator, Options, StepInput};
use serde_json::{Map, Value};
use std::io::IsTerminal;
use std::path::PathBuf;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum EvalFormat {
    /// One JSON object per step (the default when stdout is not a terminal)
    Jsonl,
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

/// The outputs of one trace line.
#[derive(Clone)]
struct Row {
    step: u32,
    reward: u32,
    done: bool,
    logs: Vec<u32>,
}

struct Line {
    episode: Value,
    group: Option<Value>,
    values: Vec<Value1>,
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
    let wrong = |what: &str| error(line, Some(name), format!("`{name}` must be {what}, found `{value}`"));
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
                let x = v.as_f64().ok_or_else(|| wrong("a JSON number"))?;
                let converted = x as f32;
                if converted.is_infinite() {
                    return Err(error(line, Some(name), format!("`{name}` is {x}, too large for an f32")));
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

fn parse_line(program: &Artifact, number: usize, text: &str) -> Result<Line, TraceError> {
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
        if matches!(key.as_str(), "props" | "episode" | "group") {
            continue;
        }
        let Some(k) = inputs.iter().position(|i| i.name == *key) else {
            let mut e = error(number, Some(key), format!("unknown field `{key}`"));
            let names = inputs.iter().map(|i| i.name.as_str()).chain(["props", "episode", "group"]);
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
    let episode = object.get("episode").cloned().unwrap_or(Value::Null);
    if episode.is_object() || episode.is_array() {
        return Err(error(number, Some("episode"), "`episode` must be a JSON scalar".into()));
    }
    Ok(Line { episode, group, values: out })
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

fn number(bits: u32, ty: ValueType) -> String {
    match ty {
        ValueType::Bool => (bits != 0).to_string(),
        ValueType::Int => (bits as i32).to_string(),
        ValueType::F32 => {
            let x = f32::from_bits(bits);
            // Rust prints the shortest decimal that reads back to the same f32.
            if x.is_finite() { x.to_string() } else { "null".to_string() }
        }
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

/// Where the rows go: jsonl and csv are written as each episode is
/// evaluated; a table waits for its column widths.
struct Sink {
    format: EvalFormat,
    header: Vec<String>,
    table: Vec<Vec<String>>,
    out: std::io::BufWriter<std::io::StdoutLock<'static>>,
}

impl Sink {
    fn new(program: &Artifact, format: EvalFormat) -> Sink {
        let mut header = vec!["episode".to_string(), "step".into(), "reward".into(), "done".into()];
        header.extend(program.logs.iter().map(|l| l.name.clone()));
        let mut sink =
            Sink { format, header, table: Vec::new(), out: std::io::BufWriter::new(std::io::stdout().lock()) };
        if format == EvalFormat::Csv {
            let line = sink.header.join(",");
            sink.write(&line);
        }
        sink
    }

    fn write(&mut self, line: &str) {
        use std::io::Write;
        let _ = writeln!(self.out, "{line}");
    }

    fn row(&mut self, program: &Artifact, line: &Line, row: &Row) {
        let reward = number(row.reward, ValueType::F32);
        let mut cells = vec![line.episode.to_string(), row.step.to_string(), reward, row.done.to_string()];
        cells.extend(program.logs.iter().zip(&row.logs).map(|(l, bits)| number(*bits, l.ty)));
        match self.format {
            EvalFormat::Jsonl => {
                let fields: Vec<String> =
                    self.header.iter().zip(&cells).map(|(h, v)| format!("{}:{v}", Value::String(h.clone()))).collect();
                self.write(&format!("{{{}}}", fields.join(",")));
            }
            EvalFormat::Csv => {
                let quoted: Vec<String> = cells
                    .iter()
                    .map(|c| {
                        if c.contains(',') || c.contains('"') {
                            format!("\"{}\"", c.replace('"', "\"\""))
                        } else {
                            c.clone()
                        }
                    })
                    .collect();
                self.write(&quoted.join(","));
            }
            EvalFormat::Table => self.table.push(cells),
        }
    }

    fn finish(mut self) {
        use std::io::Write;
        if self.format == EvalFormat::Table {
            let rows = std::mem::take(&mut self.table);
            let widths: Vec<usize> = (0..self.header.len())
                .map(|k| rows.iter().map(|r| r[k].len()).chain([self.header[k].len()]).max().unwrap_or(0))
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

pub fn run(args: &EvalArgs) -> u8 {
    let program = match load::program(&args.spec) {
        Ok(p) => p,
        Err(code) => return code,
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
        args.format.unwrap_or(if std::io::stdout().is_terminal() { EvalFormat::Table } else { EvalFormat::Jsonl });
    let reader = Reader::new(&program, std::io::BufReader::with_capacity(1 << 16, file));
    let grouped = program.code.iter().any(|i| matches!(i.op, rw_runtime::artifact::Op::Group(..)));
    let result =
        if grouped { evaluate_batch(&program, reader, format) } else { evaluate_streaming(&program, reader, format) };
    match result {
        Ok(()) => 0,
        Err(Failure::Trace((e, line))) => {
            report(&path, &line, &e);
            EXIT_INPUT_ERRORS
        }
        Err(Failure::Step(line, e)) => {
            match line {
                Some(k) => eprintln!("error: {path}: the step of line {k}: {e}"),
                None => eprintln!("error: {path}: {e}"),
            }
            EXIT_INPUT_ERRORS
        }
    }
}

enum Failure {
    /// A bad line, with its text.
    Trace((TraceError, String)),
    /// The runtime refused a step: the trace line (1-based) when known.
    Step(Option<usize>, rw_runtime::StepError),
}

/// Specs without group terms: one episode at a time in one lane, rows
/// written as each episode ends. Time is linear in the trace, memory is one
/// episode.
fn evaluate_streaming(
    program: &Artifact,
    reader: impl Iterator<Item = Result<(usize, Line), (TraceError, String)>>,
    format: EvalFormat,
) -> Result<(), Failure> {
    let mut evaluator = Evaluator::new(program, 1, Options { check_nan: true, ..Options::default() });
    let mut sink = Sink::new(program, format);
    let mut episode: Vec<(usize, Line)> = Vec::new();
    let mut run = |episode: &mut Vec<(usize, Line)>, sink: &mut Sink| -> Result<(), Failure> {
        let mut step = 0u32;
        let len = episode.len();
        for (t, (number, line)) in episode.iter().enumerate() {
            let owned = owned_columns(program, &[Some(line)]);
            let columns = borrowed(program, &owned);
            let last = [t + 1 == len];
            let input = StepInput { columns: &columns, last: Some(&last), groups: None, active: None };
            let out = evaluator.step(&input).map_err(|e| Failure::Step(Some(*number), e))?;
            let logs = out.logs.iter().map(|col| col[0]).collect();
            let row = Row { step, reward: out.reward[0].to_bits(), done: out.done[0], logs };
            step = if out.episode_end[0] { 0 } else { step + 1 };
            sink.row(program, line, &row);
        }
        episode.clear();
        Ok(())
    };
    for item in reader {
        let (number, line) = item.map_err(Failure::Trace)?;
        if episode.first().is_some_and(|(_, first)| first.episode != line.episode) {
            run(&mut episode, &mut sink)?;
        }
        episode.push((number, line));
    }
    run(&mut episode, &mut sink)?;
    sink.finish();
    Ok(())
}

/// Specs with group terms: every episode in its own lane, side by side, so
/// that group terms see the lanes of a group at the same step index; the
/// whole trace is held, and each step costs one pass over the lanes that
/// are still running.
fn evaluate_batch(
    program: &Artifact,
    reader: impl Iterator<Item = Result<(usize, Line), (TraceError, String)>>,
    format: EvalFormat,
) -> Result<(), Failure> {
    let mut lines = Vec::new();
    let mut line_numbers = Vec::new();
    for item in reader {
        let (number, line) = item.map_err(Failure::Trace)?;
        lines.push(line);
        line_numbers.push(number);
    }
    // Episodes: runs of consecutive lines with the same `episode` value.
    let mut lanes: Vec<Vec<usize>> = Vec::new();
    for (k, line) in lines.iter().enumerate() {
        match lanes.last_mut() {
            Some(lane) if lines[lane[0]].episode == line.episode => lane.push(k),
            _ => lanes.push(vec![k]),
        }
    }
    let mut group_ids: Vec<Value> = Vec::new();
    let lane_count = lanes.len();
    let horizon = lanes.iter().map(Vec::len).max().unwrap_or(0);
    let mut evaluator =
        Evaluator::try_new(program, lane_count.max(1), Options { check_nan: true, ..Options::default() })
            .map_err(|e| Failure::Step(None, e))?;
    let mut rows: Vec<Option<Row>> = vec![None; lines.len()];
    let mut step_in_episode = vec![0u32; lane_count];
    for t in 0..horizon {
        let at: Vec<Option<&Line>> = lanes.iter().map(|l| l.get(t).map(|&k| &lines[k])).collect();
        let active: Vec<bool> = lanes.iter().map(|l| t < l.len()).collect();
        let last: Vec<bool> = lanes.iter().map(|l| t + 1 == l.len()).collect();
        let groups: Vec<u32> = at
            .iter()
            .map(|line| match line.and_then(|line| line.group.clone()) {
                Some(g) => match group_ids.iter().position(|x| *x == g) {
                    Some(i) => i as u32 + 1,
                    None => {
                        group_ids.push(g);
                        group_ids.len() as u32
                    }
                },
                None => 0,
            })
            .collect();
        let owned = owned_columns(program, &at);
        let columns = borrowed(program, &owned);
        let input = StepInput { columns: &columns, last: Some(&last), groups: Some(&groups), active: Some(&active) };
        let out = evaluator.step(&input).map_err(|e| {
            let line = match &e {
                rw_runtime::StepError::NotANumber { lane, .. } => lanes[*lane].get(t).map(|&k| line_numbers[k]),
                _ => None,
            };
            Failure::Step(line, e)
        })?;
        for (lane, l) in lanes.iter().enumerate() {
            if let Some(&k) = l.get(t) {
                let logs = out.logs.iter().map(|col| col[lane]).collect();
                let (step, reward, done) = (step_in_episode[lane], out.reward[lane].to_bits(), out.done[lane]);
                rows[k] = Some(Row { step, reward, done, logs });
                step_in_episode[lane] = if out.episode_end[lane] { 0 } else { step_in_episode[lane] + 1 };
            }
        }
    }
    let mut sink = Sink::new(program, format);
    for (line, row) in lines.iter().zip(&rows) {
        if let Some(row) = row {
            sink.row(program, line, row);
        }
    }
    sink.finish();
    Ok(())
}

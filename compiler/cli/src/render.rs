//! Diagnostics rendering, the edge of the pipeline: ariadne reports for
//! people, one JSON object per diagnostic for tools (the format of CLI.md).

use ariadne::{Color, Config, IndexType, Label, Report, ReportKind};
use rw_compiler::diagnostic::{Diagnostic, Severity};
use rw_compiler::source::SourceMap;
use serde_json::{Value, json};

/// Renders diagnostics as ariadne reports, in order.
pub fn human(sources: &SourceMap, diagnostics: &[Diagnostic], color: bool) -> String {
    let mut out = Vec::new();
    // Line indexes are built once for all reports, not once per report.
    let mut cache = ariadne::sources(sources.files().map(|(_, f)| (f.name.clone(), f.text.clone())));
    for d in diagnostics {
        write_report(sources, &mut cache, d, color, &mut out);
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn write_report(
    sources: &SourceMap,
    cache: &mut impl ariadne::Cache<String>,
    d: &Diagnostic,
    color: bool,
    out: &mut Vec<u8>,
) {
    let kind = match d.severity {
        Severity::Error => ReportKind::Error,
        Severity::Warning => ReportKind::Warning,
        Severity::Info => ReportKind::Advice,
    };
    let Some(primary) = d.primary_span() else {
        // A diagnostic about no place in particular.
        out.extend(format!("[{}] {}: {}\n", d.code, d.severity.as_str(), d.message).as_bytes());
        if let Some(help) = &d.help {
            out.extend(format!("  help: {help}\n").as_bytes());
        }
        return;
    };
    let name = |span: rw_compiler::Span| sources.get(span.file).name.clone();
    let config = Config::default().with_color(color).with_index_type(IndexType::Byte);
    let mut report = Report::build(kind, (name(primary), primary.range()))
        .with_config(config)
        .with_code(d.code)
        .with_message(&d.message);
    // ariadne opens a new section whenever a label lies above the previous
    // one, so labels go in source order.
    let mut labels: Vec<_> = d.labels.iter().collect();
    labels.sort_by_key(|l| (l.span.file, l.span.start, l.span.end));
    for (order, label) in labels.into_iter().enumerate() {
        let mut l =
            Label::new((name(label.span), label.span.range())).with_message(&label.message).with_order(order as i32);
        if color {
            l = l.with_color(if label.primary { Color::Red } else { Color::Blue });
        }
        report = report.with_label(l);
    }
    for note in &d.notes {
        report = report.with_note(note);
    }
    if let Some(help) = &d.help {
        report = report.with_help(help);
    }
    if report.finish().write(cache, &mut *out).is_err() {
        out.extend(format!("[{}] {}: {}\n", d.code, d.severity.as_str(), d.message).as_bytes());
    }
}

/// One diagnostic as the JSON object of CLI.md (1-based lines and columns).
pub fn json(sources: &SourceMap, d: &Diagnostic) -> Value {
    let file = d.primary_span().map(|s| sources.get(s.file).name.clone());
    let labels: Vec<Value> = d
        .labels
        .iter()
        .map(|l| {
            let f = sources.get(l.span.file);
            let (line, column) = f.line_col(l.span.start as usize);
            let (end_line, end_column) = f.line_col(l.span.end as usize);
            json!({
                "file": f.name,
                "line": line,
                "column": column,
                "end_line": end_line,
                "end_column": end_column,
                "message": l.message,
                "primary": l.primary,
            })
        })
        .collect();
    json!({
        "file": file,
        "code": d.code,
        "severity": d.severity.as_str(),
        "message": d.message,
        "labels": labels,
        "notes": d.notes,
        "help": d.help,
    })
}

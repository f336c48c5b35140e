//! Between the compiler's byte offsets and LSP positions (lines and UTF-16
//! code units), between file paths and `file://` URIs, and from the
//! compiler's diagnostics to LSP diagnostics.

use lsp_types::{DiagnosticRelatedInformation, DiagnosticSeverity, Location, NumberOrString, Position, Range, Uri};
use rw_compiler::Span;
use rw_compiler::diagnostic::{CODES, Diagnostic, Severity};
use rw_compiler::source::{FileId, Origin, SourceMap};
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// The start of every line of a text, for offset ↔ position conversion.
pub struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> LineIndex<'a> {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { text, starts }
    }

    /// The LSP position of a byte offset (clamped to the text and to a
    /// character boundary).
    pub fn position(&self, offset: usize) -> Position {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.starts.partition_point(|&s| s <= offset) - 1;
        let start = self.starts[line];
        let character: usize = self.text[start..offset].chars().map(char::len_utf16).sum();
        Position { line: line as u32, character: character as u32 }
    }

    /// The byte offset of an LSP position; positions past the end of a line
    /// mean its end, past the last line the end of the text.
    pub fn offset(&self, position: Position) -> usize {
        let Some(&start) = self.starts.get(position.line as usize) else { return self.text.len() };
        let end = self.starts.get(position.line as usize + 1).map_or(self.text.len(), |&e| e - 1);
        let mut units = 0u32;
        for (i, c) in self.text[start..end].char_indices() {
            if units >= position.character {
                return start + i;
            }
            units += c.len_utf16() as u32;
        }
        end
    }

    pub fn range(&self, start: usize, end: usize) -> Range {
        Range { start: self.position(start), end: self.position(end) }
    }
}

/// The path a `file://` URI names, percent-decoded.
pub fn uri_to_path(uri: &Uri) -> Option<PathBuf> {
    let rest = uri.as_str().strip_prefix("file://")?;
    // `file://host/path` is not a local file; `file:///path` is.
    let path = rest.strip_prefix("localhost").unwrap_or(rest);
    if !path.starts_with('/') {
        return None;
    }
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(v) = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok())
            && let Ok(b) = u8::from_str_radix(v, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).ok().map(PathBuf::from)
}

/// The `file://` URI of an absolute path, percent-encoded.
pub fn path_to_uri(path: &Path) -> Option<Uri> {
    let path = if path.is_absolute() { path.to_path_buf() } else { std::env::current_dir().ok()?.join(path) };
    let mut text = String::from("file://");
    for b in path.to_str()?.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            text.push(b as char);
        } else {
            text.push_str(&format!("%{b:02X}"));
        }
    }
    Uri::from_str(&text).ok()
}

pub fn same_uri(a: &Uri, b: &Uri) -> bool {
    a.as_str() == b.as_str()
}

/// Where a file of a check lives for the editor: the open document for the
/// root, a path on disk for imports, the read-only copy for stdlib modules.
pub struct Places<'a> {
    pub sources: &'a SourceMap,
    pub root: FileId,
    pub root_uri: &'a Uri,
}

impl Places<'_> {
    pub fn uri(&self, file: FileId) -> Option<Uri> {
        if file == self.root {
            return Some(self.root_uri.clone());
        }
        match &self.sources.get(file).origin {
            Origin::Path(p) => path_to_uri(p),
            Origin::Stdlib(name) => super::stdlib_copy(name).and_then(|p| path_to_uri(&p)),
            Origin::Memory => None,
        }
    }

    pub fn range(&self, span: Span) -> Range {
        LineIndex::new(&self.sources.get(span.file).text).range(span.start as usize, span.end as usize)
    }

    pub fn location(&self, span: Span) -> Option<Location> {
        Some(Location { uri: self.uri(span.file)?, range: self.range(span) })
    }
}

/// The registry's title and explanation of a code.
pub fn code_info(code: &str) -> Option<(&'static str, &'static str)> {
    CODES.iter().find(|c| c.code == code).map(|c| (c.title, c.explanation))
}

/// One compiler diagnostic as the LSP diagnostics of the root file: the
/// diagnostic itself (secondary labels as related information, notes in the
/// message) and its help as a hint at the same place. A diagnostic located
/// in an imported file is shown at the top of the root file, saying where.
pub fn diagnostics(d: &Diagnostic, places: &Places<'_>) -> Vec<lsp_types::Diagnostic> {
    let severity = match d.severity {
        Severity::Error => DiagnosticSeverity::ERROR,
        Severity::Warning => DiagnosticSeverity::WARNING,
        Severity::Info => DiagnosticSeverity::INFORMATION,
    };
    let primary = d.primary_span();
    let (range, elsewhere) = match primary {
        Some(s) if s.file == places.root => (places.range(s), None),
        Some(s) => (Range::default(), Some(s)),
        None => (Range::default(), None),
    };
    let mut message = d.message.clone();
    if let Some(s) = elsewhere {
        message = format!("in `{}`: {message}", places.sources.get(s.file).name);
    }
    for note in &d.notes {
        message.push_str(&format!("\nnote: {note}"));
    }
    let mut related: Vec<DiagnosticRelatedInformation> = d
        .labels
        .iter()
        .filter(|l| !l.primary || elsewhere.is_some())
        .filter_map(|l| {
            Some(DiagnosticRelatedInformation { location: places.location(l.span)?, message: l.message.clone() })
        })
        .collect();
    if let Some(label) = d.labels.iter().find(|l| l.primary)
        && elsewhere.is_none()
        && !label.message.is_empty()
    {
        message.push_str(&format!("\n{}", label.message));
    }
    related.sort_by_key(|r| (r.location.uri.as_str().to_string(), r.location.range.start.line));
    let data =
        code_info(d.code).map(|(title, explanation)| serde_json::json!({"title": title, "explanation": explanation}));
    let main = lsp_types::Diagnostic {
        range,
        severity: Some(severity),
        code: Some(NumberOrString::String(d.code.to_string())),
        source: Some("rwc".to_string()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        data,
        ..lsp_types::Diagnostic::default()
    };
    let mut out = vec![main];
    if let Some(help) = &d.help {
        out.push(lsp_types::Diagnostic {
            range,
            severity: Some(DiagnosticSeverity::HINT),
            code: Some(NumberOrString::String(d.code.to_string())),
            source: Some("rwc".to_string()),
            message: format!("help: {help}"),
            ..lsp_types::Diagnostic::default()
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_utf16_units() {
        // `é` is one UTF-16 unit and two bytes, `𝔸` two units and four bytes.
        let text = "ab\né𝔸x\n";
        let index = LineIndex::new(text);
        let x = text.find('x').unwrap_or(0);
        assert_eq!(index.position(x), Position { line: 1, character: 3 });
        assert_eq!(index.offset(Position { line: 1, character: 3 }), x);
        assert_eq!(index.offset(Position { line: 1, character: 99 }), text.len() - 1);
        assert_eq!(index.offset(Position { line: 9, character: 0 }), text.len());
        // Inside a character: the position of its start.
        assert_eq!(index.position(x - 1), Position { line: 1, character: 1 });
    }

    #[test]
    fn uris_round_trip_paths_with_spaces_and_unicode() {
        let path = Path::new("/tmp/my specs/tâche#1.rw");
        let uri = path_to_uri(path).unwrap_or_else(|| Uri::from_str("file:///").unwrap_or_else(|_| unreachable!()));
        assert_eq!(uri.as_str(), "file:///tmp/my%20specs/t%C3%A2che%231.rw");
        assert_eq!(uri_to_path(&uri).as_deref(), Some(path));
    }
}

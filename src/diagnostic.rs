//! Positioned errors for user-written files (suites, targets, catalogue): `file:line:col`,
//! the source line, carets under the culprit and a label — one renderer for every such error.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

/// A user file kept in memory so that errors can quote it.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// Path as the user gave it (or `suites/NAME.toml` for embedded files).
    pub name: String,
    pub text: Arc<str>,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<Arc<str>>) -> SourceFile {
        SourceFile {
            name: name.into(),
            text: text.into(),
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = clamp_to_char_boundary(&self.text, offset.min(self.text.len()));
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = self.text[line_start..offset].chars().count() + 1;
        (line, col)
    }

    /// A diagnostic pointing at `span` in this file.
    pub fn error(
        &self,
        span: Range<usize>,
        message: impl Into<String>,
        label: impl Into<String>,
    ) -> Diagnostic {
        Diagnostic {
            file: self.name.clone(),
            source: Some(self.text.clone()),
            span: Some(span),
            message: message.into(),
            label: label.into(),
        }
    }
}

/// Where something was written in a user file: the file as the user named it (embedded suites
/// as `suites/NAME.toml`), 1-based line and column. `Display` is `file:line`, the form editors
/// and terminals open.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Location {
    pub file: String,
    pub line: usize,
    pub column: usize,
}

impl SourceFile {
    /// The location of a byte offset in this file.
    pub fn location(&self, offset: usize) -> Location {
        let (line, column) = self.line_col(offset);
        Location {
            file: self.name.clone(),
            line,
            column,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

fn clamp_to_char_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// One error in a user file. `Display` renders it in the shape
///
/// ```text
/// error: unknown key `rsource`
///   --> suites/aud.toml:12:1
///    |
/// 12 | rsource = "x"
///    | ^^^^^^^ did you mean `resource`?
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub file: String,
    pub source: Option<Arc<str>>,
    pub span: Option<Range<usize>>,
    pub message: String,
    pub label: String,
}

impl Diagnostic {
    /// An error about a whole file (no position).
    pub fn file_level(file: impl Into<String>, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            file: file.into(),
            source: None,
            span: None,
            message: message.into(),
            label: String::new(),
        }
    }

    /// `(line, column)` of the start of the span, 1-based.
    pub fn position(&self) -> Option<(usize, usize)> {
        let (source, span) = (self.source.as_ref()?, self.span.as_ref()?);
        Some(SourceFile::new(self.file.clone(), source.clone()).line_col(span.start))
    }

    /// Build a diagnostic from a `toml` parse/deserialize error.
    pub fn from_toml(file: &SourceFile, err: &toml::de::Error) -> Diagnostic {
        let message = err.message().trim().to_string();
        // serde names the valid keys; add the closest one as a hint.
        let label = message
            .strip_prefix("unknown field `")
            .and_then(|rest| rest.split_once('`'))
            .and_then(|(field, rest)| {
                let valid: Vec<&str> = rest.split('`').skip(1).step_by(2).collect();
                closest(field, valid).map(|c| format!("did you mean `{c}`?"))
            })
            .unwrap_or_default();
        match err.span() {
            Some(span) => file.error(span, message, label),
            None => Diagnostic::file_level(file.name.clone(), message),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "error: {}", self.message)?;
        let (Some(source), Some(span)) = (&self.source, &self.span) else {
            return write!(f, "  --> {}", self.file);
        };
        let file = SourceFile::new(self.file.clone(), source.clone());
        let (line, col) = file.line_col(span.start);
        let text: &str = source;
        let start = clamp_to_char_boundary(text, span.start.min(text.len()));
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
        let line_text = text[line_start..line_end].trim_end_matches('\r');
        let end = clamp_to_char_boundary(text, span.end.clamp(start, line_end.max(start)));
        let width = text[start..end].chars().count().max(1);
        let gutter = line.to_string().len();
        let pad = " ".repeat(gutter);
        writeln!(f, "{pad}--> {}:{line}:{col}", self.file)?;
        writeln!(f, "{pad} |")?;
        writeln!(f, "{line} | {line_text}")?;
        let indent: String = line_text
            .chars()
            .take(col - 1)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        let label = if self.label.is_empty() {
            String::new()
        } else {
            format!(" {}", self.label)
        };
        write!(f, "{pad} | {indent}{}{label}", "^".repeat(width))
    }
}

impl std::error::Error for Diagnostic {}

/// Several diagnostics (one per bad file or item), rendered one after another.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Self {
        Diagnostics(vec![d])
    }
}

/// Closest candidate by edit distance, for "did you mean" hints.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| {
            let prefix =
                c.len() >= 4 && (word.starts_with(c) || c.starts_with(word)) && word.len() >= 4;
            (if prefix { 1 } else { levenshtein(word, c) }, c)
        })
        .filter(|(d, c)| *d <= 2.max(c.len() / 3))
        .min_by_key(|(d, c)| (*d, std::cmp::Reverse(c.len())))
        .map(|(_, c)| c)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_position_line_and_carets() {
        let file = SourceFile::new("s.toml", "a = 1\nrsource = \"x\"\n");
        let d = file.error(6..13, "unknown key `rsource`", "did you mean `resource`?");
        assert_eq!(d.position(), Some((2, 1)));
        assert_eq!(
            d.to_string(),
            "error: unknown key `rsource`\n --> s.toml:2:1\n  |\n2 | rsource = \"x\"\n  | ^^^^^^^ did you mean `resource`?"
        );
    }

    #[test]
    fn columns_count_characters_not_bytes() {
        let file = SourceFile::new("s.toml", "t = \"é\" x");
        assert_eq!(file.line_col(9), (1, 9));
    }

    #[test]
    fn closest_suggests_near_names_only() {
        assert_eq!(closest("rsource", ["resource", "scope"]), Some("resource"));
        assert_eq!(closest("zzzzzz", ["resource", "scope"]), None);
    }
}

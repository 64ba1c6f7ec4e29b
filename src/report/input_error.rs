//! Errors in user-supplied report inputs (`--expect` TOML, `--baseline` JSON), positioned at
//! file:line:column with the offending source line, so a CI log alone says what to fix.

use crate::diagnostic::{Diagnostic, SourceFile};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// An invalid expectation or baseline file (exit code 3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError {
    pub path: PathBuf,
    /// 1-based; 0 when the problem is the file as a whole.
    pub line: usize,
    pub column: usize,
    pub message: String,
    /// The source line, when there is one.
    pub source_line: Option<String>,
    /// The whole file and the byte offset of the position, for the shared renderer.
    source: Option<(Arc<str>, usize)>,
}

impl std::error::Error for InputError {}

impl InputError {
    /// Positions an error at a byte offset of `text`.
    pub fn at_offset(path: &Path, text: &str, offset: usize, message: impl Into<String>) -> Self {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        Self::at_line(path, text, line, column, message)
    }

    /// Positions an error at a 1-based line and column of `text`.
    pub fn at_line(
        path: &Path,
        text: &str,
        line: usize,
        column: usize,
        message: impl Into<String>,
    ) -> Self {
        let line_start: usize = text
            .split_inclusive('\n')
            .take(line.saturating_sub(1))
            .map(str::len)
            .sum();
        let offset = line_start
            + text[line_start.min(text.len())..]
                .chars()
                .take_while(|c| *c != '\n')
                .take(column.saturating_sub(1))
                .map(char::len_utf8)
                .sum::<usize>();
        InputError {
            path: path.to_path_buf(),
            line,
            column,
            message: message.into(),
            source_line: text.lines().nth(line.saturating_sub(1)).map(str::to_string),
            source: (line > 0).then(|| (Arc::from(text), offset.min(text.len()))),
        }
    }

    /// An error about the whole file (it cannot be read, it is empty...).
    pub fn whole(path: &Path, message: impl Into<String>) -> Self {
        InputError {
            path: path.to_path_buf(),
            line: 0,
            column: 0,
            message: message.into(),
            source_line: None,
            source: None,
        }
    }
}

impl InputError {
    /// The same error as the one positioned-message shape every user file gets
    /// ([`Diagnostic`]: `--> file:line:col`, the source line, a caret).
    pub fn diagnostic(&self) -> Diagnostic {
        let file = self.path.display().to_string();
        match &self.source {
            Some((text, offset)) => SourceFile::new(file, text.clone()).error(
                *offset..*offset,
                self.message.clone(),
                "",
            ),
            None => Diagnostic::file_level(file, self.message.clone()),
        }
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.diagnostic().fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_position_line_and_caret() {
        let text = "[[expect]]\ncase = \"nocase\"\n";
        let e = InputError::at_offset(Path::new("x.toml"), text, 18, "bad case id");
        assert_eq!((e.line, e.column), (2, 8));
        assert_eq!(
            e.to_string(),
            "error: bad case id\n --> x.toml:2:8\n  |\n2 | case = \"nocase\"\n  |        ^"
        );
        let whole = InputError::whole(Path::new("x.toml"), "cannot read");
        assert_eq!(whole.to_string(), "error: cannot read\n  --> x.toml");
    }
}

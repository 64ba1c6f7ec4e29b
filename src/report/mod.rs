//! Reports written from a finished [`RunResult`] (JSON, JUnit XML, HTML, Markdown) and the CI
//! gate that turns it into an exit code (DESIGN "Reports", "Verdicts and exit codes").
//!
//! The runner calls, in this order:
//! 1. [`gate`] (reads `--expect` / `--baseline`; an invalid file is `Err` with exit code 3),
//! 2. [`write_reports`] with the gate outcome (or `None` when the gate failed), so the reports
//!    show expectations and baseline changes — [`write_all`] is the same without a gate,
//! 3. prints [`GateOutcome::summary`] and exits with [`GateOutcome::exit_code`].
//!
//! Every report is redacted ([`redact`]) and written atomically ([`atomic`]).

pub mod atomic;
pub mod baseline;
pub mod expect;
pub mod gate;
pub mod html;
pub mod input_error;
pub mod json;
pub mod junit;
pub mod jwt;
pub mod markdown;
pub mod redact;

pub use gate::{GateCase, GateMode, GateOptions, GateOutcome};
pub use input_error::InputError;
pub use junit::WarnAs;

use crate::run_result::RunResult;
use std::path::PathBuf;

/// Where and how to write reports (converted from the command line's `ReportArgs`, or a
/// caller's own choice); how to gate is [`GateOptions`]. `Default` writes into `reports/`.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    /// Folder for reports without an explicit path.
    pub out: PathBuf,
    /// JSON report path (default: `out/report.json`).
    pub json: Option<PathBuf>,
    /// JUnit XML report path (default: `out/junit.xml`).
    pub junit: Option<PathBuf>,
    /// HTML report path (default: `out/report.html`).
    pub html: Option<PathBuf>,
    /// Markdown summary path (default: `out/summary.md`).
    pub markdown: Option<PathBuf>,
    /// File the Markdown summary is appended to (GitHub Actions job summary).
    pub step_summary: Option<PathBuf>,
    /// How `warn` cases appear in JUnit.
    pub junit_warn_as: WarnAs,
    /// Keep JWT signatures in reports.
    pub reveal_tokens: bool,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions {
            out: PathBuf::from("reports"),
            json: None,
            junit: None,
            html: None,
            markdown: None,
            step_summary: None,
            junit_warn_as: WarnAs::default(),
            reveal_tokens: false,
        }
    }
}

impl ReportOptions {
    fn path(&self, explicit: &Option<PathBuf>, default_name: &str) -> PathBuf {
        explicit
            .clone()
            .unwrap_or_else(|| self.out.join(default_name))
    }

    pub fn json_path(&self) -> PathBuf {
        self.path(&self.json, "report.json")
    }

    pub fn junit_path(&self) -> PathBuf {
        self.path(&self.junit, "junit.xml")
    }

    pub fn html_path(&self) -> PathBuf {
        self.path(&self.html, "report.html")
    }

    pub fn markdown_path(&self) -> PathBuf {
        self.path(&self.markdown, "summary.md")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// An invalid `--expect` or `--baseline` file.
    #[error("{0}")]
    Invalid(#[from] InputError),
    /// Options that do not go together.
    #[error("{0}")]
    Usage(String),
    /// A report could not be rendered (a bug in chainproof, not in the input).
    #[error("cannot render the {what} report: {message}")]
    Render { what: &'static str, message: String },
}

impl ReportError {
    /// The process exit code this error maps to (`crate::exit`).
    pub fn exit_code(&self) -> i32 {
        match self {
            ReportError::Invalid(_) => crate::exit::INVALID_INPUT,
            ReportError::Usage(_) => crate::exit::USAGE,
            ReportError::Io { .. } | ReportError::Render { .. } => crate::exit::RUNTIME,
        }
    }
}

/// Secrets known to the run, removed from every report (client secrets, passwords...).
#[derive(Clone, Default)]
pub struct Secrets {
    pub values: Vec<String>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secrets({} values, redacted)", self.values.len())
    }
}

/// Decides the CI gate: exit code, expectation and baseline findings, and the text to print.
/// Messages in the outcome are redacted as the reports are (`report.reveal_tokens`).
pub fn gate(
    result: &RunResult,
    options: &GateOptions,
    report: &ReportOptions,
    secrets: &Secrets,
) -> Result<GateOutcome, ReportError> {
    let redacted = redact::Redactor::new(secrets, report.reveal_tokens).run_result(result);
    gate::run(&redacted, options)
}

/// Writes every report without gate findings; returns the paths written.
pub fn write_all(
    result: &RunResult,
    args: &ReportOptions,
    secrets: &Secrets,
) -> Result<Vec<PathBuf>, ReportError> {
    write_reports(result, args, secrets, None)
}

/// Writes every report (JSON, JUnit, HTML, Markdown, and the step summary when set),
/// including the gate's findings when given; returns the paths written. Every format is
/// attempted even if one fails; the first error is returned.
pub fn write_reports(
    result: &RunResult,
    args: &ReportOptions,
    secrets: &Secrets,
    gate: Option<&GateOutcome>,
) -> Result<Vec<PathBuf>, ReportError> {
    let redactor = redact::Redactor::new(secrets, args.reveal_tokens);
    let run = redactor.run_result(result);
    let mut written = Vec::new();
    let mut first_error = None;
    let mut put = |path: PathBuf, text: Result<String, ReportError>| match text
        .and_then(|t| atomic::write_atomic(&path, t.as_bytes()))
    {
        Ok(()) => written.push(path),
        Err(e) => {
            first_error.get_or_insert(e);
        }
    };
    put(args.json_path(), Ok(json::render(&run, gate)));
    put(args.junit_path(), junit::render(&run, args.junit_warn_as));
    put(args.html_path(), html::render(&run, gate, &redactor));
    let md = markdown::render(&run, gate);
    put(args.markdown_path(), Ok(md.clone()));
    if let Some(p) = &args.step_summary {
        match atomic::append(p, &md) {
            Ok(()) => written.push(p.clone()),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(written),
    }
}

/// Text safe to print on a terminal: control characters (ANSI escapes from a hostile server
/// included) are shown as `\u{..}`, and the text is one line.
pub fn terminal_safe(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_control() {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_debug_hides_values() {
        let s = Secrets {
            values: vec!["hunter2".into()],
        };
        assert!(!format!("{s:?}").contains("hunter2"));
    }

    #[test]
    fn terminal_safe_escapes_controls() {
        assert_eq!(terminal_safe("a\u{1b}[2Jb\nc"), "a\\u{1b}[2Jb\\u{a}c");
    }
}

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

pub use gate::{GateCase, GateMode, GateOutcome};
pub use input_error::InputError;
pub use junit::WarnAs;

use crate::run_result::RunResult;
use crate::verdict::FailOn;
use std::path::PathBuf;

/// Where and how to write reports, and how to gate.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ReportArgs {
    /// Folder for reports written by default (report.json, junit.xml, report.html, summary.md).
    #[arg(long, default_value = "reports", value_name = "DIR")]
    pub out: PathBuf,
    /// JSON report path (default: OUT/report.json).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// JUnit XML report path (default: OUT/junit.xml).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Self-contained HTML report path (default: OUT/report.html).
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Markdown summary path (default: OUT/summary.md).
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
    /// File the Markdown summary is appended to (GitHub Actions job summary).
    #[arg(
        long,
        env = "GITHUB_STEP_SUMMARY",
        value_name = "FILE",
        hide_env_values = true
    )]
    pub step_summary: Option<PathBuf>,
    /// How `warn` cases appear in JUnit: a passing testcase with properties, or a failure.
    #[arg(long, value_enum, default_value_t = WarnAs::Pass, value_name = "AS")]
    pub junit_warn_as: WarnAs,
    /// An earlier JSON report: report new failures, fixes and verdict changes.
    #[arg(long, value_name = "OLD.json")]
    pub baseline: Option<PathBuf>,
    /// Known failures (TOML, `[[expect]] case = "suite/case" reason = "..."`) that do not gate.
    #[arg(long, value_name = "FILE")]
    pub expect: Option<PathBuf>,
    /// Gate on every failure, or only on regressions relative to `--baseline`.
    #[arg(long, value_enum, default_value_t = GateMode::All, value_name = "WHICH")]
    pub gate: GateMode,
    /// Keep JWT signatures in reports (client assertion and DPoP proof signatures stay hidden).
    #[arg(long)]
    pub reveal_tokens: bool,
}

impl ReportArgs {
    fn path(&self, explicit: &Option<PathBuf>, default_name: &str) -> PathBuf {
        explicit
            .clone()
            .unwrap_or_else(|| self.out.join(default_name))
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
/// `fail_on` is the runner's `--fail-on`. Messages in the outcome are redacted.
pub fn gate(
    result: &RunResult,
    args: &ReportArgs,
    fail_on: FailOn,
    secrets: &Secrets,
) -> Result<GateOutcome, ReportError> {
    let redacted = redact::Redactor::new(secrets, args.reveal_tokens).run_result(result);
    gate::run(&redacted, args, fail_on)
}

/// Writes every report without gate findings; returns the paths written.
pub fn write_all(
    result: &RunResult,
    args: &ReportArgs,
    secrets: &Secrets,
) -> Result<Vec<PathBuf>, ReportError> {
    write_reports(result, args, secrets, None)
}

/// Writes every report (JSON, JUnit, HTML, Markdown, and the step summary when set),
/// including the gate's findings when given; returns the paths written. Every format is
/// attempted even if one fails; the first error is returned.
pub fn write_reports(
    result: &RunResult,
    args: &ReportArgs,
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
    put(
        args.path(&args.json, "report.json"),
        Ok(json::render(&run, gate)),
    );
    put(
        args.path(&args.junit, "junit.xml"),
        junit::render(&run, args.junit_warn_as),
    );
    put(
        args.path(&args.html, "report.html"),
        html::render(&run, gate, &redactor),
    );
    let md = markdown::render(&run, gate);
    put(args.path(&args.markdown, "summary.md"), Ok(md.clone()));
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
    use clap::{CommandFactory, Parser};

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        report: ReportArgs,
    }

    #[test]
    fn flags_parse() {
        Cli::command().debug_assert();
        let cli = Cli::try_parse_from([
            "chainproof",
            "--out",
            "o",
            "--junit",
            "j.xml",
            "--junit-warn-as",
            "failure",
            "--baseline",
            "old.json",
            "--expect",
            "known.toml",
            "--gate",
            "regressions",
            "--reveal-tokens",
        ])
        .unwrap();
        let r = cli.report;
        assert_eq!(r.path(&r.junit, "junit.xml"), PathBuf::from("j.xml"));
        assert_eq!(
            r.path(&r.html, "report.html"),
            PathBuf::from("o/report.html")
        );
        assert_eq!(
            (r.junit_warn_as, r.gate, r.reveal_tokens),
            (WarnAs::Failure, GateMode::Regressions, true)
        );
        assert!(Cli::try_parse_from(["chainproof", "--gate", "some"]).is_err());
    }

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

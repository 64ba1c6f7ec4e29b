//! The CI gate: from a finished run, the `--fail-on` threshold, expectations and a baseline,
//! decide the exit code (`crate::exit`) and say why in a few lines.
//!
//! Order of decisions: a case verdict at or above the threshold gates unless an expectation
//! covers it, or (with `--gate regressions`) the baseline already had it failing as badly.
//! Any such case → exit 1. Otherwise any `error` verdict (not covered) or an interrupted run
//! → exit 2. Otherwise 0. Expectations and baselines never turn an `error` into a pass unless an
//! expectation says `verdict = "error"`.

use super::ReportError;
use super::baseline::{self, BaselineDiff, ChangeKind};
use super::expect::{self, Expectation};
use super::terminal_safe;
use crate::exit;
use crate::run_result::{CaseResult, RunResult};
use crate::verdict::{FailOn, Verdict};
use serde::Serialize;
use std::fmt::Write as _;
use std::path::PathBuf;

/// How to gate a finished run: the plain options behind `--fail-on`, `--expect`, `--baseline`
/// and `--gate` (the command line converts into them in `cli.rs`). Where reports go is
/// [`super::ReportOptions`]; the gate's findings reach the reports through [`GateOutcome`].
#[derive(Debug, Clone, Default)]
pub struct GateOptions {
    /// Lowest case verdict that gates (exit 1).
    pub fail_on: FailOn,
    /// Known failures that do not gate.
    pub expect: Option<PathBuf>,
    /// An earlier JSON report to compare with (baseline changes are reported, and with
    /// [`GateMode::Regressions`] only new failures gate).
    pub baseline: Option<PathBuf>,
    /// Gate on every failure, or only on regressions relative to `baseline`.
    pub mode: GateMode,
}

/// Which failures gate when a baseline is given (`--gate`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GateMode {
    /// Every case at or above `--fail-on` gates (baseline changes are reported only).
    #[default]
    All,
    /// Only new failures relative to `--baseline` gate (needs `--baseline`).
    Regressions,
}

/// A case as the gate speaks of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GateCase {
    /// `suite/case`.
    pub case: String,
    pub verdict: Verdict,
    pub requirements: Vec<String>,
    pub message: String,
    /// The expectation's reason, for expected and stale entries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

impl GateCase {
    fn of(c: &CaseResult, reason: Option<&Expectation>) -> Self {
        GateCase {
            case: c.full_id(),
            verdict: effective(c),
            requirements: c.requirements.clone(),
            message: c.located_message(),
            reason: reason.map(|e| e.reason.clone()),
        }
    }
}

/// The gate's decision and the findings behind it (also written into the JSON report).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GateOutcome {
    /// The process exit code (`crate::exit`): 0, 1 or 2.
    pub exit_code: i32,
    /// `passed`, `conformance_failure` or `runtime_error`.
    pub status: &'static str,
    pub fail_on: FailOn,
    pub mode: GateMode,
    /// Cases that made the gate fail (exit 1).
    pub failing: Vec<GateCase>,
    /// `error` cases (including cases that did not run) not covered by an expectation.
    pub errors: Vec<GateCase>,
    /// Cases at or above the threshold that an expectation covers.
    pub expected: Vec<GateCase>,
    /// Cases at or above the threshold that already failed as badly in the baseline
    /// (only with `--gate regressions`).
    pub known_in_baseline: Vec<GateCase>,
    /// Expectations whose case ran and no longer fails: remove them from the file.
    pub stale: Vec<GateCase>,
    /// Expectations naming a case that is not in this run.
    pub not_in_run: Vec<String>,
    pub interrupted: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<BaselineDiff>,
    /// The text the CLI prints (already redacted and terminal-safe).
    #[serde(skip)]
    pub summary: String,
}

/// Decides the gate for `result` (which must already be redacted if `summary` is printed:
/// [`super::gate`] does that).
pub fn decide(
    result: &RunResult,
    fail_on: FailOn,
    mode: GateMode,
    expectations: &[Expectation],
    baseline: Option<(&str, &RunResult)>,
) -> Result<GateOutcome, ReportError> {
    if mode == GateMode::Regressions && baseline.is_none() {
        return Err(ReportError::Usage(
            "`--gate regressions` needs `--baseline OLD.json`".into(),
        ));
    }
    let diff = baseline.map(|(path, old)| baseline::diff(path, old, result, fail_on));
    let mut out = GateOutcome {
        exit_code: exit::OK,
        status: "passed",
        fail_on,
        mode,
        failing: Vec::new(),
        errors: Vec::new(),
        expected: Vec::new(),
        known_in_baseline: Vec::new(),
        stale: Vec::new(),
        not_in_run: Vec::new(),
        interrupted: result.interrupted,
        baseline: diff,
        summary: String::new(),
    };
    for case in &result.cases {
        let id = case.full_id();
        let v = effective(case);
        let exp = expectations.iter().find(|e| e.case == id);
        let covered = exp.filter(|e| e.covers(v));
        if v.trips(fail_on) {
            if covered.is_some() {
                out.expected.push(GateCase::of(case, covered));
            } else if mode == GateMode::Regressions
                && out.baseline.as_ref().and_then(|d| d.kind_of(&id))
                    != Some(ChangeKind::NewFailure)
            {
                out.known_in_baseline.push(GateCase::of(case, None));
            } else {
                out.failing.push(GateCase::of(case, None));
            }
        } else if v == Verdict::Error {
            match covered {
                Some(e) => out.expected.push(GateCase::of(case, Some(e))),
                None => out.errors.push(GateCase::of(case, None)),
            }
        } else if let Some(e) = exp
            && covered.is_none()
            && matches!(v, Verdict::Pass | Verdict::Info | Verdict::Warn)
        {
            out.stale.push(GateCase::of(case, Some(e)));
        }
    }
    for e in expectations {
        if !result.cases.iter().any(|c| c.full_id() == e.case) {
            out.not_in_run.push(e.case.clone());
        }
    }
    (out.exit_code, out.status) = if !out.failing.is_empty() {
        (exit::CONFORMANCE, "conformance_failure")
    } else if !out.errors.is_empty() || result.interrupted {
        (exit::RUNTIME, "runtime_error")
    } else {
        (exit::OK, "passed")
    };
    out.summary = summary_text(result, &out);
    Ok(out)
}

fn effective(c: &CaseResult) -> Verdict {
    if c.not_run { Verdict::Error } else { c.verdict }
}

fn fail_on_str(f: FailOn) -> &'static str {
    match f {
        FailOn::Fail => "fail",
        FailOn::Warn => "warn",
        FailOn::Info => "info",
    }
}

/// One line per case: verdict, id, requirements, message (cut, control characters shown).
fn case_line(out: &mut String, c: &GateCase) {
    let msg: String = terminal_safe(&c.message).chars().take(200).collect();
    let reqs = if c.requirements.is_empty() {
        String::new()
    } else {
        format!(" [{}]", c.requirements.join(", "))
    };
    let _ = write!(
        out,
        "  {:<5} {}{}",
        c.verdict.as_str().to_uppercase(),
        terminal_safe(&c.case),
        reqs
    );
    if !msg.is_empty() {
        let _ = write!(out, ": {msg}");
    }
    if let Some(r) = &c.reason {
        let _ = write!(out, " (expected: {})", terminal_safe(r));
    }
    out.push('\n');
}

fn summary_text(result: &RunResult, g: &GateOutcome) -> String {
    let s = &result.summary;
    let mut out = format!(
        "chainproof {}: {} cases: {} pass, {} fail, {} warn, {} info, {} blocked, {} skip, {} error{}\n",
        terminal_safe(&result.profile),
        s.total,
        s.pass,
        s.fail,
        s.warn,
        s.info,
        s.blocked,
        s.skip,
        s.error,
        if result.interrupted {
            " (run interrupted)"
        } else {
            ""
        }
    );
    let mode = match g.mode {
        GateMode::All => "all",
        GateMode::Regressions => "regressions",
    };
    let verdict = match g.exit_code {
        exit::OK => "passed",
        exit::CONFORMANCE => "FAILED (conformance failure)",
        _ => "FAILED (runtime error: results are incomplete)",
    };
    let _ = writeln!(
        out,
        "gate --fail-on {} --gate {mode}: {verdict}, exit {}",
        fail_on_str(g.fail_on),
        g.exit_code
    );
    let sections: [(&str, &Vec<GateCase>); 5] = [
        ("failing", &g.failing),
        ("errors", &g.errors),
        ("expected failures (not gating)", &g.expected),
        (
            "already failing in the baseline (not gating with --gate regressions)",
            &g.known_in_baseline,
        ),
        (
            "stale expectations (the case no longer fails; remove them)",
            &g.stale,
        ),
    ];
    for (title, cases) in sections {
        if !cases.is_empty() {
            let _ = writeln!(out, "{title}:");
            cases.iter().for_each(|c| case_line(&mut out, c));
        }
    }
    if !g.not_in_run.is_empty() {
        let _ = writeln!(
            out,
            "expectations for cases not in this run: {}",
            terminal_safe(&g.not_in_run.join(", "))
        );
    }
    if let Some(d) = &g.baseline {
        let n = |k| d.of_kind(k).count();
        let _ = writeln!(
            out,
            "baseline {}: {} new failure(s), {} fix(es), {} other change(s), {} added, {} removed",
            terminal_safe(&d.path),
            n(ChangeKind::NewFailure),
            n(ChangeKind::Fix),
            n(ChangeKind::Changed),
            n(ChangeKind::Added),
            n(ChangeKind::Removed)
        );
        for c in &d.changes {
            let v = |v: Option<Verdict>| v.map_or("-", Verdict::as_str);
            let kind = serde_json::to_value(c.kind)
                .ok()
                .and_then(|k| k.as_str().map(str::to_string))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "  {kind:<11} {} {} -> {}",
                terminal_safe(&c.case),
                v(c.before),
                v(c.after)
            );
        }
    }
    out
}

/// Loads the inputs named in `options` and decides.
pub(super) fn run(result: &RunResult, options: &GateOptions) -> Result<GateOutcome, ReportError> {
    let expectations = match &options.expect {
        Some(p) => expect::load(p)?,
        None => Vec::new(),
    };
    let base = match &options.baseline {
        Some(p) => Some((p.display().to_string(), baseline::load(p)?)),
        None => None,
    };
    decide(
        result,
        options.fail_on,
        options.mode,
        &expectations,
        base.as_ref().map(|(p, r)| (p.as_str(), r)),
    )
}

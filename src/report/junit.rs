//! The JUnit XML report: one `testsuite` per suite, one `testcase` per case (`classname` =
//! suite id, `name` = case id), written with quick-junit (the writer cargo-nextest uses).
//!
//! Server output is hostile input. quick-junit escapes markup (`<`, `&`, `]]>` come out as
//! entities) and silently drops C0 control characters; we go further and show every character
//! XML 1.0 cannot carry (C0 controls, ESC, U+FFFE/U+FFFF) as a visible `\u{..}` escape, so a
//! reader sees that the server sent it and no parser ever rejects the file.

use super::ReportError;
use crate::run_result::{CaseResult, RunResult};
use crate::transcript::Exchange;
use crate::verdict::Verdict;
use quick_junit::{NonSuccessKind, Property, Report, TestCase, TestCaseStatus, TestSuite};
use std::fmt::Write as _;
use std::time::Duration;

/// How `warn` cases appear in JUnit (`--junit-warn-as`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum WarnAs {
    /// A passing testcase with `verdict=warn` and the message as properties.
    #[default]
    Pass,
    /// A `failure` element, for gates that treat SHOULD-level deviations as failures.
    Failure,
}

/// Text XML 1.0 can carry (§2.2 `Char`): other characters become a visible `\u{..}`.
/// CRLF becomes LF; CR and TAB, which quick-junit would drop silently, are shown escaped.
pub fn xml_safe(s: &str) -> String {
    let ok = |c: char| matches!(c, '\n' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..);
    if s.chars().all(ok) {
        return s.to_string();
    }
    let s = s.replace("\r\n", "\n");
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if ok(c) {
            out.push(c);
        } else {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
    out
}

fn prop(name: &str, value: &str) -> Property {
    Property::new(xml_safe(name), xml_safe(value))
}

/// Renders the JUnit XML document.
pub fn render(run: &RunResult, warn_as: WarnAs) -> Result<String, ReportError> {
    let mut report = Report::new("chainproof");
    report.set_time(Duration::from_millis(run.duration_ms));
    let mut suites: Vec<(String, Vec<&CaseResult>)> = Vec::new();
    for c in &run.cases {
        match suites.iter_mut().find(|(id, _)| *id == c.suite) {
            Some((_, cases)) => cases.push(c),
            None => suites.push((c.suite.clone(), vec![c])),
        }
    }
    for (suite_id, cases) in suites {
        let mut suite = TestSuite::new(xml_safe(&suite_id));
        suite.add_property(prop("profile", &run.profile));
        suite.add_property(prop("chainproof.version", &run.tool.version));
        suite.add_property(prop("started_at", &run.started_at));
        suite.add_property(prop("target.as_a", &run.targets.as_a.url));
        suite.add_property(prop("target.as_b", &run.targets.as_b.url));
        if let Some(rs) = &run.targets.rs {
            suite.add_property(prop("target.rs", &rs.url));
        }
        if run.interrupted {
            suite.add_property(prop("interrupted", "true"));
        }
        if run.targets.insecure {
            suite.add_property(prop("tls.insecure", "true"));
        }
        let mut total = Duration::ZERO;
        let mut names: Vec<String> = Vec::new();
        for c in cases {
            // Pairs (classname, name) are unique in a run; keep them unique even if not.
            let mut name = xml_safe(&c.case);
            let mut n = 2;
            while names.contains(&name) {
                name = format!("{}#{n}", xml_safe(&c.case));
                n += 1;
            }
            names.push(name.clone());
            let tc = testcase(run, c, name, warn_as);
            total += Duration::from_millis(c.duration_ms);
            suite.add_test_case(tc);
        }
        suite.set_time(total);
        report.add_test_suite(suite);
    }
    report.to_string().map_err(|e| ReportError::Render {
        what: "JUnit XML",
        message: e.to_string(),
    })
}

fn testcase(run: &RunResult, c: &CaseResult, name: String, warn_as: WarnAs) -> TestCase {
    let details = xml_safe(&checks_text(c));
    let non_success = |kind, ty: &str, message: &str| {
        let mut s = TestCaseStatus::non_success(kind);
        s.set_type(ty)
            .set_message(xml_safe(message))
            .set_description(details.clone());
        s
    };
    let status = if c.not_run {
        let msg = if c.message.starts_with("not run") {
            c.message.clone()
        } else {
            format!("not run: {}", c.message)
        };
        non_success(NonSuccessKind::Error, "not-run", &msg)
    } else {
        match c.verdict {
            Verdict::Pass | Verdict::Info => TestCaseStatus::success(),
            Verdict::Warn if warn_as == WarnAs::Pass => TestCaseStatus::success(),
            Verdict::Warn => non_success(NonSuccessKind::Failure, "warn", &c.located_message()),
            Verdict::Fail => non_success(NonSuccessKind::Failure, "fail", &c.located_message()),
            Verdict::Error => non_success(NonSuccessKind::Error, "error", &c.message),
            Verdict::Skip => {
                let mut s = TestCaseStatus::skipped();
                s.set_type("skip").set_message(xml_safe(&c.message));
                s
            }
            // Not the judged party's failure: CI shows it as skipped, with who blocked it.
            Verdict::Blocked => {
                let mut s = TestCaseStatus::skipped();
                s.set_type("blocked").set_message(xml_safe(&c.message));
                s
            }
        }
    };
    let mut tc = TestCase::new(name, status);
    tc.set_classname(xml_safe(&c.suite));
    tc.set_time(Duration::from_millis(c.duration_ms));
    tc.set_assertions(c.checks.len());
    tc.add_property(prop(
        "verdict",
        if c.not_run {
            "not_run"
        } else {
            c.verdict.as_str()
        },
    ));
    tc.add_property(prop("level", c.level.as_str()));
    tc.add_property(prop("party", c.party.as_str()));
    if let Some(by) = c.blocked_by {
        tc.add_property(prop("blocked_by", by.as_str()));
    }
    tc.add_property(prop("profile", &run.profile));
    tc.add_property(prop("title", &c.title));
    for r in &c.requirements {
        tc.add_property(prop("requirement", r));
    }
    if !c.message.is_empty() {
        tc.add_property(prop("message", &c.message));
    }
    tc.set_system_out(xml_safe(&format!(
        "{}\n{}",
        checks_text(c),
        transcript_text(&c.transcript)
    )));
    tc
}

/// The case's checks, one per line: verdict, requirement, description, actual vs expected.
pub fn checks_text(c: &CaseResult) -> String {
    let mut out = format!(
        "{} {}: {}\n",
        c.verdict.as_str().to_uppercase(),
        c.full_id(),
        c.title
    );
    if !c.message.is_empty() {
        let _ = writeln!(out, "  {}", c.located_message());
    }
    for k in &c.checks {
        let _ = writeln!(
            out,
            "  [{}] {}{} ({} {}): actual {} expected {}{}",
            k.verdict.as_str(),
            k.source
                .as_ref()
                .map_or(String::new(), |at| format!("{at}: ")),
            k.description,
            k.requirement,
            k.level,
            k.actual,
            k.expected,
            if k.message.is_empty() {
                String::new()
            } else {
                format!(" ({})", k.message)
            }
        );
    }
    out
}

/// The HTTP transcript as text, close to the wire format.
pub fn transcript_text(exchanges: &[Exchange]) -> String {
    let mut out = String::new();
    for ex in exchanges {
        let _ = writeln!(out, "--- step {} ({} ms)", ex.step, ex.duration_ms);
        let _ = writeln!(out, "> {} {}", ex.request.method, ex.request.url);
        for (k, v) in &ex.request.headers {
            let _ = writeln!(out, "> {k}: {v}");
        }
        if let Some(b) = &ex.request.body {
            let _ = writeln!(out, ">\n{b}");
        }
        match &ex.response {
            Some(r) => {
                let _ = writeln!(out, "< {}", r.status);
                for (k, v) in &r.headers {
                    let _ = writeln!(out, "< {k}: {v}");
                }
                let _ = writeln!(
                    out,
                    "<\n{}{}",
                    r.body,
                    if r.truncated {
                        "\n[body truncated]"
                    } else {
                        ""
                    }
                );
            }
            None => {
                let _ = writeln!(out, "< (no response)");
            }
        }
        if let Some(e) = &ex.error {
            let _ = writeln!(out, "! {e}");
        }
        for t in &ex.tokens {
            let show = |v: &Option<serde_json::Value>| {
                v.as_ref().map_or("-".to_string(), |v| v.to_string())
            };
            let _ = writeln!(
                out,
                "  JWT at {}: header {} claims {}",
                t.location,
                show(&t.header),
                show(&t.claims)
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xml_safe_shows_what_xml_cannot_carry() {
        assert_eq!(
            xml_safe("a\u{1}b\u{1b}[31m\u{fffe}ok"),
            "a\\u{1}b\\u{1b}[31m\\u{fffe}ok"
        );
        assert_eq!(xml_safe("]]> <&> é 🦀"), "]]> <&> é 🦀");
        assert_eq!(xml_safe("a\r\nb\rc\td"), "a\nb\\u{d}c\\u{9}d");
    }
}

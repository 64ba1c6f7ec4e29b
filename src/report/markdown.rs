//! The Markdown summary for CI job pages (`--markdown`, `$GITHUB_STEP_SUMMARY`): counts, the
//! gate decision, and each failing case with its requirement IDs.

use super::baseline::ChangeKind;
use super::gate::GateOutcome;
use crate::run_result::{CaseResult, RunResult};
use crate::verdict::Verdict;
use std::fmt::Write as _;

/// Text that cannot break out of a table cell or inject markup: Markdown punctuation and
/// angle brackets are escaped, control characters and newlines become spaces.
pub fn cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' => {
                out.push('\\');
                out.push(c);
            }
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// Text for inside a code span: no backticks, no line breaks.
fn code_span(s: &str) -> String {
    s.chars()
        .map(|c| if c == '`' || c.is_control() { ' ' } else { c })
        .collect()
}

/// Rows listed in the failures table; GitHub caps a step summary at 1 MiB.
const MAX_ROWS: usize = 200;

fn one_line(s: &str, max: usize) -> String {
    let s: String = s.chars().take(max).collect();
    cell(&s)
}

fn verdict_of(c: &CaseResult) -> &'static str {
    if c.not_run {
        "not run"
    } else {
        c.verdict.as_str()
    }
}

/// Renders the summary.
pub fn render(run: &RunResult, gate: Option<&GateOutcome>) -> String {
    let mut out = String::new();
    headline(&mut out, run);
    parties(&mut out, run);
    if let Some(g) = gate {
        let status = match g.exit_code {
            0 => "✅ gate passed",
            1 => "❌ gate failed: conformance failure",
            _ => "⚠️ gate failed: runtime error",
        };
        let _ = writeln!(out, "**{status}** (exit {})\n", g.exit_code);
    }
    failures(&mut out, run, gate);
    fuzz(&mut out, run);
    blocked(&mut out, run);
    if let Some(g) = gate {
        gate_findings(&mut out, g);
    }
    out
}

/// Title, and the notes that change how the rest reads (interrupted, insecure).
fn headline(out: &mut String, run: &RunResult) {
    let _ = writeln!(
        out,
        "## chainproof: {} ({} cases)\n",
        cell(&run.profile),
        run.summary.total
    );
    if run.interrupted {
        let _ = writeln!(
            out,
            "**The run was interrupted: cases marked \"not run\" did not run.**\n"
        );
    }
    if run.targets.insecure {
        let _ = writeln!(
            out,
            "**Insecure run (`--insecure`): server certificates were not verified.**\n"
        );
    }
}

/// Per party judged and in all, then the roles and the tool.
fn parties(out: &mut String, run: &RunResult) {
    let s = &run.summary;
    let _ = writeln!(
        out,
        "| party judged | pass | fail | warn | info | blocked | skip | error |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|");
    for p in &run.parties {
        let by: Vec<String> = p
            .blocked_by
            .iter()
            .map(|b| format!("{} by {}", b.count, b.party))
            .collect();
        let blocked = if by.is_empty() {
            p.summary.blocked.to_string()
        } else {
            format!("{} ({})", p.summary.blocked, by.join(", "))
        };
        let t = &p.summary;
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {blocked} | {} | {} |",
            p.party, t.pass, t.fail, t.warn, t.info, t.skip, t.error
        );
    }
    let _ = writeln!(
        out,
        "| **all** | {} | {} | {} | {} | {} | {} | {} |\n",
        s.pass, s.fail, s.warn, s.info, s.blocked, s.skip, s.error
    );
    let _ = writeln!(
        out,
        "AS-A `{}` · AS-B `{}` · chainproof {} · started {}\n",
        code_span(&run.targets.as_a.url),
        code_span(&run.targets.as_b.url),
        cell(&run.tool.version),
        cell(&run.started_at)
    );
}

/// Failures, errors and warnings (and cases that did not run), with expectations noted.
fn failures(out: &mut String, run: &RunResult, gate: Option<&GateOutcome>) {
    let failing: Vec<&CaseResult> = run
        .cases
        .iter()
        .filter(|c| {
            matches!(c.verdict, Verdict::Fail | Verdict::Error | Verdict::Warn) || c.not_run
        })
        .collect();
    if !failing.is_empty() {
        let _ = writeln!(out, "### Failures, errors and warnings\n");
        let _ = writeln!(out, "| verdict | party | case | requirements | message |");
        let _ = writeln!(out, "|---|---|---|---|---|");
        let more = failing.len().saturating_sub(MAX_ROWS);
        for c in failing.into_iter().take(MAX_ROWS) {
            let expected = gate.and_then(|g| g.expected.iter().find(|e| e.case == c.full_id()));
            let note = expected.map_or(String::new(), |e| {
                format!(
                    " (expected: {})",
                    one_line(e.reason.as_deref().unwrap_or(""), 200)
                )
            });
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {}{} |",
                verdict_of(c),
                c.party,
                cell(&c.full_id()),
                cell(&c.requirements.join(", ")),
                one_line(&c.located_message(), 300),
                note
            );
        }
        if more > 0 {
            let _ = writeln!(out, "\n… and {more} more: see the HTML or JSON report.");
        }
        out.push('\n');
    }
}

/// Fuzz findings with seed, shrunk request and replay command; unanswered requests.
fn fuzz(out: &mut String, run: &RunResult) {
    if let Some(f) = run.fuzz.as_ref().filter(|f| f.unanswered > 0) {
        let _ = writeln!(
            out,
            "Fuzz: {} of {} requests got no response; no oracle judged them.\n",
            f.unanswered, f.requests
        );
    }
    let findings: Vec<_> = run
        .cases
        .iter()
        .filter_map(|c| run.fuzz_finding(c).map(|f| (c, f)))
        .collect();
    if !findings.is_empty() {
        let _ = writeln!(out, "### Fuzz findings\n");
        for (c, f) in findings.into_iter().take(MAX_ROWS) {
            let _ = writeln!(out, "- **{}** {}", verdict_of(c), cell(&c.full_id()));
            let _ = writeln!(
                out,
                "  - seed: `{}` (case {}, shrunk in {} steps)",
                f.seed, f.case_index, f.shrink_steps
            );
            let _ = writeln!(
                out,
                "  - shrunk request: `{}`{}",
                code_span(&f.request.chars().take(300).collect::<String>()),
                if f.request.chars().count() > 300 {
                    " (cut; the replay file has it whole)"
                } else {
                    ""
                }
            );
            if let Some(r) = &f.replay {
                let _ = writeln!(out, "  - replay: `{}`", code_span(r));
            }
        }
        out.push('\n');
    }
}

/// Cases another party's defect kept from testing their own party.
fn blocked(out: &mut String, run: &RunResult) {
    let blocked: Vec<&CaseResult> = run
        .cases
        .iter()
        .filter(|c| c.verdict == Verdict::Blocked && !c.not_run)
        .collect();
    if !blocked.is_empty() {
        let _ = writeln!(
            out,
            "### Blocked: another party's defect kept these from testing their party\n"
        );
        let _ = writeln!(out, "| party | case | blocked by | message |");
        let _ = writeln!(out, "|---|---|---|---|");
        let more = blocked.len().saturating_sub(MAX_ROWS);
        for c in blocked.into_iter().take(MAX_ROWS) {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} |",
                c.party,
                cell(&c.full_id()),
                c.blocked_by.map_or("-", crate::party::Party::label),
                one_line(&c.message, 300)
            );
        }
        if more > 0 {
            let _ = writeln!(out, "\n… and {more} more: see the HTML or JSON report.");
        }
        out.push('\n');
    }
}

/// Stale expectations and the changes since the baseline.
fn gate_findings(out: &mut String, g: &GateOutcome) {
    if !g.stale.is_empty() {
        let _ = writeln!(out, "### Stale expectations\n");
        for c in &g.stale {
            let _ = writeln!(
                out,
                "- {} now {}: remove it from the expectation file",
                cell(&c.case),
                c.verdict
            );
        }
        out.push('\n');
    }
    if let Some(d) = &g.baseline {
        let _ = writeln!(
            out,
            "### Changes since the baseline ({})\n",
            cell(&d.started_at)
        );
        if d.changes.is_empty() {
            let _ = writeln!(out, "No verdict changed.\n");
        } else {
            let _ = writeln!(out, "| change | case | before | after |");
            let _ = writeln!(out, "|---|---|---|---|");
            for c in &d.changes {
                let kind = match c.kind {
                    ChangeKind::NewFailure => "new failure",
                    ChangeKind::Fix => "fix",
                    ChangeKind::Changed => "changed",
                    ChangeKind::Added => "added",
                    ChangeKind::Removed => "removed",
                };
                let v = |v: Option<Verdict>| v.map_or("-", Verdict::as_str);
                let _ = writeln!(
                    out,
                    "| {kind} | {} | {} | {} |",
                    cell(&c.case),
                    v(c.before),
                    v(c.after)
                );
            }
            out.push('\n');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_cannot_break_tables_or_inject_html() {
        assert_eq!(
            cell("a|b\n<img src=x>`x`"),
            "a\\|b &lt;img src=x&gt;\\`x\\`"
        );
    }
}

//! The HTML report: one self-contained file (inline CSS and JS, no network fetches, a strict
//! Content-Security-Policy) with the summary, the requirement matrix and, per case, its checks
//! (actual vs expected), its HTTP transcript with decoded JWTs, and timing.
//!
//! Rendered with minijinja (HTML autoescape on) from a view model built here, so the template
//! only lays out strings. Stable hooks for tests and scripts: `#count-<verdict>`, rows with
//! `data-verdict`, buttons with `data-filter`, and `#filter=fail,warn&q=text` in the URL.

use super::ReportError;
use super::baseline::ChangeKind;
use super::gate::GateOutcome;
use super::jwt;
use super::redact::Redactor;
use crate::run_result::{CaseResult, RunResult};
use crate::transcript::Exchange;
use crate::verdict::Verdict;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use minijinja::value::{Serde, Value};
use serde::Serialize;
use sha2::{Digest, Sha256};

const TEMPLATE: &str = include_str!("report.html.j2");
const STYLE: &str = include_str!("report.css");
const SCRIPT: &str = include_str!("report.js");

#[derive(Serialize)]
struct View<'a> {
    run: &'a RunResult,
    counts: Vec<Count>,
    parties: Vec<PartyView>,
    not_run: usize,
    cases: Vec<CaseView>,
    requirements: Vec<RequirementView>,
    gate: Option<GateView<'a>>,
    style: &'static str,
    script: &'static str,
    csp: String,
}

/// One judged party's verdicts, for the "By party" table.
#[derive(Serialize)]
struct PartyView {
    id: &'static str,
    label: &'static str,
    summary: crate::run_result::Summary,
    /// `4 by AS-A`, empty when nothing was blocked.
    blocked_by: String,
}

#[derive(Serialize)]
struct Count {
    verdict: &'static str,
    n: usize,
}

#[derive(Serialize)]
struct GateView<'a> {
    outcome: &'a GateOutcome,
    fail_on: &'static str,
    changes: Vec<ChangeView>,
}

#[derive(Serialize)]
struct ChangeView {
    case: String,
    anchor: String,
    kind: &'static str,
    before: &'static str,
    after: &'static str,
}

#[derive(Serialize)]
struct RequirementView {
    id: String,
    level: &'static str,
    source: String,
    summary: String,
    verdict: &'static str,
    cases: Vec<CaseLink>,
}

#[derive(Serialize)]
struct CaseLink {
    id: String,
    anchor: String,
    verdict: &'static str,
}

#[derive(Serialize)]
struct CaseView {
    anchor: String,
    id: String,
    suite: String,
    case: String,
    title: String,
    verdict: &'static str,
    label: &'static str,
    not_run: bool,
    party: &'static str,
    blocked_by: Option<&'static str>,
    level: &'static str,
    requirements: Vec<String>,
    message: String,
    duration_ms: u64,
    checks: Vec<CheckView>,
    exchanges: Vec<ExchangeView>,
    expected: Option<String>,
    change: Option<String>,
}

#[derive(Serialize)]
struct CheckView {
    verdict: &'static str,
    description: String,
    requirement: String,
    level: &'static str,
    actual: String,
    expected: String,
    message: String,
    /// `file:line` of the check in its suite file, when it has one.
    source: Option<String>,
}

#[derive(Serialize)]
struct ExchangeView {
    step: String,
    method: String,
    url: String,
    request_headers: Vec<(String, String)>,
    request_body: Option<String>,
    status: Option<u16>,
    response_headers: Vec<(String, String)>,
    response_body: Option<String>,
    truncated: bool,
    error: Option<String>,
    duration_ms: u64,
    tokens: Vec<TokenView>,
}

#[derive(Serialize)]
struct TokenView {
    location: String,
    raw: String,
    header: String,
    claims: String,
}

/// `suite/case` as an element id: `case-SUITE--CASE`, other characters as `-`.
pub fn anchor(full_id: &str) -> String {
    let mut out = String::from("case-");
    for c in full_id.chars() {
        match c {
            '/' => out.push_str("--"),
            c if c.is_ascii_alphanumeric() || c == '-' || c == '_' => out.push(c),
            _ => out.push('-'),
        }
    }
    out
}

fn pretty(v: &serde_json::Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_default()
}

/// A body as shown: pretty-printed when it is JSON (re-redacted, since parsing decodes escapes).
fn body_view(body: &str, redactor: &Redactor) -> String {
    match serde_json::from_str::<serde_json::Value>(body) {
        Ok(mut v @ (serde_json::Value::Object(_) | serde_json::Value::Array(_))) => {
            redactor.value(&mut v, None);
            pretty(&v)
        }
        _ => body.to_string(),
    }
}

fn exchange_view(ex: &Exchange, redactor: &Redactor) -> ExchangeView {
    let mut tokens: Vec<TokenView> = ex
        .tokens
        .iter()
        .map(|t| TokenView {
            location: t.location.clone(),
            raw: t.raw.clone(),
            header: t.header.as_ref().map(pretty).unwrap_or_default(),
            claims: t.claims.as_ref().map(pretty).unwrap_or_default(),
        })
        .collect();
    // JWTs the recorder did not decode (in any header or body) are decoded here for reading.
    let mut texts: Vec<(String, &str)> = vec![("request.url".into(), ex.request.url.as_str())];
    texts.extend(
        ex.request
            .headers
            .iter()
            .map(|(k, v)| (format!("request.header.{k}"), v.as_str())),
    );
    if let Some(b) = &ex.request.body {
        texts.push(("request.body".into(), b));
    }
    if let Some(r) = &ex.response {
        texts.extend(
            r.headers
                .iter()
                .map(|(k, v)| (format!("response.header.{k}"), v.as_str())),
        );
        texts.push(("response.body".into(), &r.body));
    }
    for (location, text) in texts {
        for found in jwt::find_jws(text) {
            let raw = &text[found.whole.clone()];
            let signed_part = &raw[..raw.len() - found.signature.len()];
            if tokens.iter().any(|t| t.raw.starts_with(signed_part)) {
                continue;
            }
            if let Some((mut header, claims)) = jwt::decode(raw) {
                redactor.value(&mut header, None);
                let claims = claims.map(|mut c| {
                    redactor.value(&mut c, None);
                    pretty(&c)
                });
                tokens.push(TokenView {
                    location: location.clone(),
                    raw: raw.to_string(),
                    header: pretty(&header),
                    claims: claims.unwrap_or_default(),
                });
            }
        }
    }
    ExchangeView {
        step: ex.step.clone(),
        method: ex.request.method.clone(),
        url: ex.request.url.clone(),
        request_headers: ex.request.headers.clone(),
        request_body: ex.request.body.as_deref().map(|b| body_view(b, redactor)),
        status: ex.response.as_ref().map(|r| r.status),
        response_headers: ex
            .response
            .as_ref()
            .map(|r| r.headers.clone())
            .unwrap_or_default(),
        response_body: ex.response.as_ref().map(|r| body_view(&r.body, redactor)),
        truncated: ex.response.as_ref().is_some_and(|r| r.truncated),
        error: ex.error.clone(),
        duration_ms: ex.duration_ms,
        tokens,
    }
}

fn change_label(kind: ChangeKind) -> &'static str {
    match kind {
        ChangeKind::NewFailure => "new failure",
        ChangeKind::Fix => "fix",
        ChangeKind::Changed => "changed",
        ChangeKind::Added => "added",
        ChangeKind::Removed => "removed",
    }
}

fn case_view(c: &CaseResult, gate: Option<&GateOutcome>, redactor: &Redactor) -> CaseView {
    let id = c.full_id();
    let expected = gate
        .and_then(|g| g.expected.iter().chain(&g.stale).find(|e| e.case == id))
        .and_then(|e| e.reason.clone());
    let change = gate
        .and_then(|g| g.baseline.as_ref())
        .and_then(|d| d.changes.iter().find(|x| x.case == id))
        .map(|x| {
            format!(
                "{} (baseline: {})",
                change_label(x.kind),
                x.before.map_or("absent", Verdict::as_str)
            )
        });
    CaseView {
        anchor: anchor(&id),
        id,
        suite: c.suite.clone(),
        case: c.case.clone(),
        title: c.title.clone(),
        verdict: c.verdict.as_str(),
        label: if c.not_run {
            "not run"
        } else {
            c.verdict.as_str()
        },
        not_run: c.not_run,
        party: c.party.label(),
        blocked_by: c.blocked_by.map(crate::party::Party::label),
        level: c.level.as_str(),
        requirements: c.requirements.clone(),
        message: c.located_message(),
        duration_ms: c.duration_ms,
        checks: c
            .checks
            .iter()
            .map(|k| CheckView {
                verdict: k.verdict.as_str(),
                description: k.description.clone(),
                requirement: k.requirement.clone(),
                level: k.level.as_str(),
                actual: if k.actual.is_null() {
                    "(nothing found)".into()
                } else {
                    pretty(&k.actual)
                },
                expected: k.expected.clone(),
                message: k.message.clone(),
                source: k.source.as_ref().map(ToString::to_string),
            })
            .collect(),
        exchanges: c
            .transcript
            .iter()
            .map(|e| exchange_view(e, redactor))
            .collect(),
        expected,
        change,
    }
}

fn csp_hash(text: &str) -> String {
    format!(
        "'sha256-{}'",
        STANDARD.encode(Sha256::digest(text.as_bytes()))
    )
}

/// Renders the report. `run` must already be redacted; `redactor` re-redacts what decoding
/// reveals (JSON escapes, base64url token parts).
pub fn render(
    run: &RunResult,
    gate: Option<&GateOutcome>,
    redactor: &Redactor,
) -> Result<String, ReportError> {
    let verdict_of = |id: &str| {
        run.cases
            .iter()
            .find(|c| c.full_id() == id)
            .map_or("skip", |c| c.verdict.as_str())
    };
    let view = View {
        run,
        counts: Verdict::ALL
            .iter()
            .map(|v| Count {
                verdict: v.as_str(),
                n: run.summary.count(*v),
            })
            .collect(),
        parties: run
            .parties
            .iter()
            .map(|p| PartyView {
                id: p.party.as_str(),
                label: p.party.label(),
                summary: p.summary,
                blocked_by: p
                    .blocked_by
                    .iter()
                    .map(|b| format!("{} by {}", b.count, b.party))
                    .collect::<Vec<_>>()
                    .join(", "),
            })
            .collect(),
        not_run: run.cases.iter().filter(|c| c.not_run).count(),
        cases: run
            .cases
            .iter()
            .map(|c| case_view(c, gate, redactor))
            .collect(),
        requirements: run
            .requirements
            .iter()
            .map(|r| RequirementView {
                id: r.id.clone(),
                level: r.level.as_str(),
                source: r.source.clone(),
                summary: r.summary.clone(),
                verdict: r.verdict.map_or("not run", Verdict::as_str),
                cases: r
                    .cases
                    .iter()
                    .map(|c| CaseLink {
                        id: c.clone(),
                        anchor: anchor(c),
                        verdict: verdict_of(c),
                    })
                    .collect(),
            })
            .collect(),
        gate: gate.map(|g| GateView {
            outcome: g,
            fail_on: match g.fail_on {
                crate::verdict::FailOn::Fail => "fail",
                crate::verdict::FailOn::Warn => "warn",
                crate::verdict::FailOn::Info => "info",
            },
            changes: g
                .baseline
                .iter()
                .flat_map(|d| &d.changes)
                .map(|x| ChangeView {
                    case: x.case.clone(),
                    anchor: anchor(&x.case),
                    kind: change_label(x.kind),
                    before: x.before.map_or("-", Verdict::as_str),
                    after: x.after.map_or("-", Verdict::as_str),
                })
                .collect(),
        }),
        style: STYLE,
        script: SCRIPT,
        csp: format!(
            "default-src 'none'; style-src {}; script-src {}; img-src data:; base-uri 'none'; form-action 'none'",
            csp_hash(STYLE),
            csp_hash(SCRIPT)
        ),
    };
    let mut env = minijinja::Environment::new();
    env.add_filter("anchor", |id: String| anchor(&id));
    let render_err = |e: minijinja::Error| ReportError::Render {
        what: "HTML",
        message: format!("{e:#}"),
    };
    env.add_template("report.html", TEMPLATE)
        .map_err(render_err)?;
    let tmpl = env.get_template("report.html").map_err(render_err)?;
    tmpl.render(Value::from(Serde(&view))).map_err(render_err)
}

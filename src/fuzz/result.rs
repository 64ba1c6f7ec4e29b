//! Turning a fuzz run into a [`RunResult`] like any other run: one case per finding
//! (`fuzz/<endpoint>-<oracle>`), one per observation, one `pass` per oracle that held, and an
//! `error` case when the circuit breaker stopped the run.

use crate::fuzz::engine::{EngineOutcome, Finding};
use crate::fuzz::oracle::Oracle;
use crate::fuzz::request::Endpoint;
use crate::fuzz::target::FuzzEndpoints;
use crate::run_result::{
    CaseResult, CheckResult, FuzzInfo, RequirementRow, RoleInfo, RunResult, SCHEMA_VERSION,
    Summary, Targets, ToolInfo,
};
use crate::verdict::{Level, Verdict};
use std::collections::BTreeMap;
use std::time::SystemTime;

/// Catalogue rows for the requirements fuzz oracles cite (`shared/requirements.md`).
const CATALOGUE: &[(&str, &str, Level, &str)] = &[
    (
        "GEN-01",
        "6749 §3.2",
        Level::Must,
        "Token requests use POST; token endpoint over TLS.",
    ),
    (
        "GEN-02",
        "6749 §3.2",
        Level::Must,
        "Empty-valued params count as absent; unknown params ignored; no parameter may repeat.",
    ),
    (
        "GEN-03",
        "6749 §5.1",
        Level::Must,
        "Success: HTTP 200 JSON token response with Cache-Control: no-store.",
    ),
    (
        "GEN-04",
        "6749 §5.2",
        Level::Must,
        "Error: HTTP 400 (401 for invalid_client) JSON with a registered error code.",
    ),
    (
        "GEN-05",
        "6749 §5.2",
        Level::Must,
        "Unknown grant type → unsupported_grant_type.",
    ),
    (
        "GEN-06",
        "8707 §2",
        Level::Must,
        "`resource` is an absolute URI without fragment; bad value → invalid_target.",
    ),
    (
        "IC-TE-02",
        "IC §2.3; 8693 §2.1",
        Level::Must,
        "Token exchange is a form POST with grant_type, subject_token, subject_token_type.",
    ),
    (
        "IC-TE-03",
        "IC §2.3.1",
        Level::Must,
        "At least one of resource or audience names AS-B.",
    ),
    (
        "IC-TE-05",
        "IC §2.3.2; 8693 §2.2.2",
        Level::Must,
        "Invalid or unknown resource/audience is refused with an RFC 8693 error.",
    ),
    (
        "IC-TE-06",
        "IC §2.3.2; 8693 §2.2.2",
        Level::Must,
        "An invalid subject token (or type) yields invalid_request.",
    ),
    (
        "IC-TE-07",
        "8693 §2.1",
        Level::Must,
        "subject_token and subject_token_type are required; actor_token_type iff actor_token.",
    ),
    (
        "IC-TE-08",
        "8693 §2.1",
        Level::Must,
        "An unissuable requested_token_type must not yield success.",
    ),
    (
        "IC-TE-09",
        "IC §2.3.1, §2.5",
        Level::Should,
        "Requested scopes are not more privileged than the subject token's.",
    ),
    (
        "IC-TE-11",
        "IC §2.3.3; 8693 §2.2.1",
        Level::Must,
        "Success: access_token, issued_token_type, token_type.",
    ),
    (
        "IC-TE-21",
        "6749 §5.1",
        Level::Must,
        "Token-bearing responses carry Cache-Control: no-store.",
    ),
    (
        "IC-TE-22",
        "IC §2.3; 6749 §3.2.1",
        Level::Must,
        "Client authentication for the exchange follows RFC 6749 §3.2.1.",
    ),
    (
        "IC-SC-01",
        "IC §5.1",
        Level::Should,
        "Enforce client authentication where feasible.",
    ),
    (
        "IC-JB-01",
        "IC §2.4.1; 7523 §2.1",
        Level::Must,
        "jwt-bearer request with grant_type and assertion succeeds for a valid grant.",
    ),
    (
        "IC-JB-02",
        "IC §2.4.1; 8707 §2",
        Level::Should,
        "Unknown resource at AS-B → invalid_target.",
    ),
    (
        "IC-JB-03a",
        "7523 §3 item 9",
        Level::Must,
        "Reject a bad signature.",
    ),
    (
        "IC-JB-03b",
        "7523 §3 item 9; 8725 §3.1",
        Level::Must,
        "Reject an unsigned grant.",
    ),
    (
        "IC-JB-03d",
        "IC §2.1",
        Level::Must,
        "Only keys bound to the trusted issuer are accepted.",
    ),
    (
        "IC-JB-03e",
        "7523 §3.1",
        Level::Must,
        "Grants from an untrusted issuer are refused.",
    ),
    (
        "IC-JB-03f",
        "7523 §3 item 1",
        Level::Must,
        "Missing iss → reject.",
    ),
    (
        "IC-JB-03g",
        "7523 §3 item 2",
        Level::Must,
        "Missing sub → reject.",
    ),
    (
        "IC-JB-03h",
        "7523 §3 item 3",
        Level::Must,
        "Missing or foreign aud → reject.",
    ),
    (
        "IC-JB-03i",
        "7523 §3 item 4",
        Level::Must,
        "Missing or past exp → reject.",
    ),
    (
        "IC-JB-03j",
        "7523 §3 item 5",
        Level::Must,
        "Grant presented before nbf is refused.",
    ),
    (
        "IC-JB-03l",
        "RFC 7515 §4.1.11",
        Level::Must,
        "Unknown crit extension → reject.",
    ),
    (
        "IC-JB-03m",
        "7523 §2.1, §3 item 10",
        Level::Must,
        "A malformed assertion is refused.",
    ),
    (
        "IC-JB-05",
        "IC §2.4.2",
        Level::Must,
        "A subject AS-B cannot resolve is denied.",
    ),
    (
        "IC-JB-06",
        "IC §2.4.2; 7523 §3.1",
        Level::Must,
        "Denials are HTTP 400 JSON invalid_grant.",
    ),
    (
        "IC-JB-08",
        "7523 §3.1",
        Level::Must,
        "Client credentials that are sent are validated.",
    ),
    (
        "IC-JB-09",
        "7523 §3.1; IC §5.5",
        Level::Must,
        "Client authentication at AS-B is policy; when required it is enforced.",
    ),
    (
        "IC-JB-10",
        "7523 §2.1",
        Level::Must,
        "assertion holds exactly one JWT; missing assertion is malformed.",
    ),
    (
        "IC-JB-11",
        "IC §2.4.3; 6749 §5.1",
        Level::Must,
        "Standard token response with no-store.",
    ),
];

/// Requirements a passing `token-for-invalid` case stands for.
fn invalid_requirements(e: Endpoint) -> Vec<String> {
    let ids: &[&str] = match e {
        Endpoint::Exchange => &["GEN-02", "IC-TE-03", "IC-TE-05", "IC-TE-06", "IC-TE-07"],
        Endpoint::Assertion => &[
            "IC-JB-03a",
            "IC-JB-03h",
            "IC-JB-03i",
            "IC-JB-03m",
            "IC-JB-08",
            "IC-JB-10",
        ],
    };
    ids.iter().map(|s| s.to_string()).collect()
}

pub struct ResultInput<'a> {
    pub outcome: &'a EngineOutcome,
    pub endpoints: &'a FuzzEndpoints,
    pub fuzzed: &'a [Endpoint],
    pub seed: u64,
    pub started: SystemTime,
    /// Replay file written for each finding key.
    pub replay_files: &'a BTreeMap<String, String>,
}

fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

fn finding_case(f: &Finding, replay: Option<&String>) -> CaseResult {
    let v = &f.violation;
    let mut checks = v.checks.clone();
    checks.push(CheckResult {
        description: format!(
            "shrunk request ({} parameters, expected {})",
            f.request.param_count(),
            f.expectation
        ),
        requirement: v.requirements.first().cloned().unwrap_or_default(),
        level: v.level,
        verdict: v.verdict(),
        actual: serde_json::to_value(&f.request).unwrap_or_default(),
        expected: v.oracle.title().into(),
        message: String::new(),
    });
    let mut message = v.message.clone();
    if f.shrunk {
        message.push_str(&format!(
            " (shrunk in {} steps from case {})",
            f.shrink_steps, f.case_index
        ));
    }
    if let Some(path) = replay {
        message.push_str(&format!("; replay: chainproof fuzz --replay {path}"));
    }
    CaseResult {
        suite: "fuzz".into(),
        case: f.key.clone(),
        title: format!("{}: {}", f.endpoint, v.oracle.title()),
        requirements: v.requirements.clone(),
        level: v.level,
        verdict: v.verdict(),
        message,
        duration_ms: f.exchange.duration_ms,
        not_run: false,
        checks,
        transcript: vec![f.exchange.clone()],
    }
}

pub fn build(input: &ResultInput<'_>) -> RunResult {
    let o = input.outcome;
    let mut cases: Vec<CaseResult> = Vec::new();
    for f in &o.findings {
        cases.push(finding_case(f, input.replay_files.get(&f.key)));
    }
    for f in &o.observations {
        cases.push(finding_case(f, None));
    }
    // One pass (or skip) case per oracle and endpoint that found nothing.
    for &e in input.fuzzed {
        for oracle in Oracle::ALL {
            if oracle == Oracle::ErrorCacheControl {
                continue;
            }
            let prefix = format!("{}-{}", e, oracle.name());
            if o.findings
                .iter()
                .any(|f| f.key == prefix || f.key.starts_with(&format!("{prefix}-")))
            {
                continue;
            }
            let n = o.applicable.get(&(e, oracle)).copied().unwrap_or(0);
            let (reqs, level) = oracle.requirements(e);
            let requirements = if oracle == Oracle::TokenForInvalid {
                invalid_requirements(e)
            } else {
                reqs.iter().map(|s| s.to_string()).collect()
            };
            let (verdict, message) = if n > 0 {
                (Verdict::Pass, format!("held for {n} responses"))
            } else {
                (
                    Verdict::Skip,
                    "no response this oracle applies to was seen".to_string(),
                )
            };
            cases.push(CaseResult {
                suite: "fuzz".into(),
                case: prefix,
                title: format!("{e}: {}", oracle.title()),
                requirements,
                level,
                verdict,
                message,
                duration_ms: 0,
                not_run: false,
                checks: Vec::new(),
                transcript: Vec::new(),
            });
        }
    }
    if let Some(msg) = &o.breaker {
        cases.push(CaseResult {
            suite: "fuzz".into(),
            case: "circuit-breaker".into(),
            title: "the server kept answering".into(),
            requirements: Vec::new(),
            level: Level::Must,
            verdict: Verdict::Error,
            message: msg.clone(),
            duration_ms: 0,
            not_run: false,
            checks: Vec::new(),
            transcript: Vec::new(),
        });
    }
    cases.sort_by(|a, b| a.case.cmp(&b.case));

    let mut rows: BTreeMap<String, RequirementRow> = BTreeMap::new();
    for c in &cases {
        for id in &c.requirements {
            let (source, level, summary) = CATALOGUE
                .iter()
                .find(|(i, ..)| i == id)
                .map(|(_, s, l, m)| (s.to_string(), *l, m.to_string()))
                .unwrap_or_else(|| (String::new(), c.level, String::new()));
            let row = rows.entry(id.clone()).or_insert_with(|| RequirementRow {
                id: id.clone(),
                source,
                level,
                summary,
                cases: Vec::new(),
                verdict: None,
            });
            row.cases.push(c.full_id());
            row.verdict = Some(row.verdict.map_or(c.verdict, |v| v.worst(c.verdict)));
        }
    }
    let finished = SystemTime::now();
    let e = input.endpoints;
    let role = |url: &str| RoleInfo {
        kind: e.kind.clone(),
        url: url.to_string(),
        faults: e.faults.clone(),
    };
    RunResult {
        schema_version: SCHEMA_VERSION,
        tool: ToolInfo::default(),
        profile: "ic-17".into(),
        started_at: rfc3339(input.started),
        finished_at: rfc3339(finished),
        duration_ms: o.elapsed.as_millis() as u64,
        targets: e.targets.clone().unwrap_or_else(|| Targets {
            as_a: role(&e.as_a_issuer),
            as_b: role(&e.as_b_issuer),
            rs: None,
            harness_issuer: e.harness.as_ref().map(|h| h.issuer.clone()),
            file: None,
        }),
        summary: Summary::of(cases.iter().map(|c| &c.verdict)),
        interrupted: o.breaker.is_some(),
        requirements: rows.into_values().collect(),
        cases,
        fuzz: Some(FuzzInfo {
            seed: input.seed,
            cases: o.cases_run,
            requests: o.requests,
            findings: o.findings.len(),
        }),
    }
}

//! Turning a fuzz run into a [`RunResult`] like any other run: one case per finding
//! (`fuzz/<endpoint>-<oracle>`), one per observation, one `pass` per oracle that held, and an
//! `error` case when the circuit breaker stopped the run.

use crate::fuzz::engine::{EngineOutcome, Finding};
use crate::fuzz::levels::Levels;
use crate::fuzz::oracle::Oracle;
use crate::fuzz::request::Endpoint;
use crate::run_result::{
    CaseResult, CheckResult, FuzzFinding, FuzzInfo, RequirementRow, RunResult, SCHEMA_VERSION,
    Summary, Targets, ToolInfo,
};
use crate::verdict::{Level, Verdict};
use std::collections::BTreeMap;
use std::time::SystemTime;

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
    /// The roles as the runner resolved them (report `targets`).
    pub targets: &'a Targets,
    pub fuzzed: &'a [Endpoint],
    pub seed: u64,
    pub started: SystemTime,
    /// Replay file written for each finding key.
    pub replay_files: &'a BTreeMap<String, String>,
    /// The shrunk request of each finding key, as the request log writes it.
    pub requests: &'a BTreeMap<String, String>,
    pub levels: &'a Levels,
}

fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

/// The command that re-sends a replay file against the same servers, graded by the same
/// profile: the target file, or the embedded mock's faults and variants (a bare `--replay`
/// would meet a conformant mock and report that nothing reproduces).
fn replay_command(path: &str, input: &ResultInput<'_>) -> String {
    let t = input.targets;
    let mut cmd = format!("chainproof fuzz --replay {path}");
    match &t.file {
        Some(file) => cmd.push_str(&format!(" --target {file}")),
        None => {
            for f in &t.as_a.faults {
                cmd.push_str(&format!(" --mock-fault {f}"));
            }
            for v in &t.as_a.variants {
                cmd.push_str(&format!(" --mock-variant {v}"));
            }
        }
    }
    cmd.push_str(&format!(" --profile {}", input.levels.profile));
    cmd
}

fn finding_case(f: &Finding, replay: Option<&String>, seed: u64) -> CaseResult {
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
        source: None,
    });
    let mut message = v.message.clone();
    if f.shrunk {
        message.push_str(&format!(
            " (seed {seed}, case {}, shrunk in {} steps)",
            f.case_index, f.shrink_steps
        ));
    } else {
        message.push_str(&format!(" (seed {seed}, case {})", f.case_index));
    }
    if let Some(command) = replay {
        message.push_str(&format!("; replay: {command}"));
    }
    CaseResult {
        suite: "fuzz".into(),
        case: f.key.clone(),
        title: format!("{}: {}", f.endpoint, v.oracle.title()),
        party: f.endpoint.party(),
        blocked_by: None,
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
    let replay = |f: &Finding| {
        input
            .replay_files
            .get(&f.key)
            .map(|p| replay_command(p, input))
    };
    for f in o.findings.iter().chain(&o.observations) {
        cases.push(finding_case(f, replay(f).as_ref(), input.seed));
    }
    // One pass (or skip) case per oracle and endpoint that found nothing.
    for &e in input.fuzzed {
        for oracle in Oracle::ALL {
            if oracle == Oracle::ErrorCacheControl || !oracle.judges(e) {
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
            let level = reqs.first().map_or(level, |r| input.levels.grade(level, r));
            let requirements = if oracle == Oracle::TokenForInvalid {
                invalid_requirements(e)
            } else {
                reqs.iter().map(|s| s.to_string()).collect()
            };
            let (verdict, message) = if n > 0 {
                (
                    Verdict::Pass,
                    format!("held for {n} responses (seed {})", input.seed),
                )
            } else {
                (Verdict::Skip, oracle.never_applied().to_string())
            };
            cases.push(CaseResult {
                suite: "fuzz".into(),
                case: prefix,
                title: format!("{e}: {}", oracle.title()),
                party: e.party(),
                blocked_by: None,
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
            party: crate::party::Party::Chain,
            blocked_by: None,
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
            let row = rows
                .entry(id.clone())
                .or_insert_with(|| input.levels.row(id, c.level));
            row.cases.push(c.full_id());
            row.verdict = Some(row.verdict.map_or(c.verdict, |v| v.worst(c.verdict)));
        }
    }
    let finished = SystemTime::now();
    RunResult {
        schema_version: SCHEMA_VERSION,
        tool: ToolInfo::default(),
        profile: input.levels.profile.clone(),
        started_at: rfc3339(input.started),
        finished_at: rfc3339(finished),
        duration_ms: o.elapsed.as_millis() as u64,
        targets: input.targets.clone(),
        summary: Summary::of(cases.iter().map(|c| &c.verdict)),
        parties: crate::run_result::PartySummary::of(&cases),
        interrupted: o.breaker.is_some(),
        requirements: rows.into_values().collect(),
        cases,
        partition: None,
        fuzz: Some(FuzzInfo {
            seed: input.seed,
            cases: o.cases_run,
            requests: o.requests,
            findings: o.findings.len(),
            unanswered: o.unanswered,
            details: o
                .findings
                .iter()
                .chain(&o.observations)
                .map(|f| FuzzFinding {
                    case: f.key.clone(),
                    seed: input.seed,
                    case_index: f.case_index,
                    shrink_steps: f.shrink_steps,
                    request: input.requests.get(&f.key).cloned().unwrap_or_default(),
                    replay: replay(f),
                })
                .collect(),
        }),
    }
}

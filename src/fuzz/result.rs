//! Turning a fuzz run into a [`RunResult`] like any other run: one case per finding
//! (`fuzz/<endpoint>-<oracle>`), one per observation, one `pass` per oracle that held, and an
//! `error` case when the circuit breaker stopped the run.

use crate::fuzz::engine::{EngineOutcome, Finding};
use crate::fuzz::levels::Levels;
use crate::fuzz::oracle::Oracle;
use crate::fuzz::request::Endpoint;
use crate::party::Party;
use crate::run_result::{CaseResult, CheckResult, FuzzFinding, FuzzInfo, RunResult, Targets};
use crate::verdict::{Level, Verdict};
use std::collections::BTreeMap;
use std::time::SystemTime;

/// Requirements a passing `token-for-invalid` case stands for.
fn invalid_requirements(e: Endpoint) -> &'static [&'static str] {
    match e {
        Endpoint::Exchange => &["GEN-02", "IC-TE-03", "IC-TE-05", "IC-TE-06", "IC-TE-07"],
        Endpoint::Assertion => &[
            "IC-JB-03a",
            "IC-JB-03h",
            "IC-JB-03i",
            "IC-JB-03m",
            "IC-JB-08",
            "IC-JB-10",
        ],
    }
}

pub struct ResultInput<'a> {
    pub outcome: &'a EngineOutcome,
    /// The roles as the runner resolved them (report `targets`).
    pub targets: &'a Targets,
    pub fuzzed: &'a [Endpoint],
    pub seed: u64,
    pub started: SystemTime,
    /// Replay command of each finding key (its replay file, against the same servers).
    pub replays: &'a BTreeMap<String, String>,
    /// The shrunk request of each finding key, as the request log writes it.
    pub requests: &'a BTreeMap<String, String>,
    pub levels: &'a Levels,
}

/// A case of suite `fuzz` without checks or transcript.
fn case(
    id: &str,
    title: String,
    party: Party,
    requirements: Vec<String>,
    graded: (Level, Verdict),
    message: String,
) -> CaseResult {
    CaseResult::new(("fuzz", id, &title), party, requirements, graded, message)
}

fn finding_case(f: &Finding, replay: Option<&String>, seed: u64) -> CaseResult {
    let v = &f.violation;
    let mut message = format!("{} (seed {seed}, case {}", v.message, f.case_index);
    if f.shrunk {
        message.push_str(&format!(", shrunk in {} steps", f.shrink_steps));
    }
    message.push(')');
    if let Some(command) = replay {
        message.push_str(&format!("; replay: {command}"));
    }
    let mut c = case(
        &f.key,
        format!("{}: {}", f.endpoint, v.oracle.title()),
        f.endpoint.party(),
        v.requirements.clone(),
        (v.level, v.verdict()),
        message,
    );
    c.checks = v.checks.clone();
    c.checks.push(CheckResult::unsourced(
        format!(
            "shrunk request ({} parameters, expected {})",
            f.request.param_count(),
            f.expectation
        ),
        v.requirements.first().cloned().unwrap_or_default(),
        (v.level, v.verdict()),
        serde_json::to_value(&f.request).unwrap_or_default(),
        v.oracle.title().into(),
    ));
    c.duration_ms = f.exchange.duration_ms;
    c.transcript = vec![f.exchange.clone()];
    c
}

/// One `pass` (with its count) or `skip` (with why it never applied) per oracle and endpoint
/// that found nothing.
fn oracle_cases(input: &ResultInput<'_>) -> Vec<CaseResult> {
    let o = input.outcome;
    let mut cases = Vec::new();
    for &e in input.fuzzed {
        for oracle in Oracle::all() {
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
            let reqs = match oracle {
                Oracle::TokenForInvalid => invalid_requirements(e),
                _ => &reqs[..],
            };
            let (verdict, message) = match n {
                0 => (Verdict::Skip, oracle.never_applied().to_string()),
                n => (
                    Verdict::Pass,
                    format!("held for {n} responses (seed {})", input.seed),
                ),
            };
            cases.push(case(
                &prefix,
                format!("{e}: {}", oracle.title()),
                e.party(),
                reqs.iter().map(|s| s.to_string()).collect(),
                (level, verdict),
                message,
            ));
        }
    }
    cases
}

/// The run's result, as `run` builds one ([`crate::run::run_result`]), with the fuzz details.
pub fn build(input: &ResultInput<'_>) -> RunResult {
    let o = input.outcome;
    let found = || o.findings.iter().chain(&o.observations);
    let mut cases: Vec<CaseResult> = found()
        .map(|f| finding_case(f, input.replays.get(&f.key), input.seed))
        .chain(oracle_cases(input))
        .collect();
    if let Some(msg) = &o.breaker {
        cases.push(case(
            "circuit-breaker",
            "the server kept answering".into(),
            Party::Chain,
            Vec::new(),
            (Level::Must, Verdict::Error),
            msg.clone(),
        ));
    }
    cases.sort_by(|a, b| a.case.cmp(&b.case));
    let mut result = crate::run::run_result(
        &input.levels.catalogue,
        &input.levels.profile,
        (input.started, o.elapsed),
        input.targets.clone(),
        cases,
        o.breaker.is_some(),
    );
    result.fuzz = Some(FuzzInfo {
        seed: input.seed,
        cases: o.cases_run,
        requests: o.requests,
        findings: o.findings.len(),
        unanswered: o.unanswered,
        details: found()
            .map(|f| FuzzFinding {
                case: f.key.clone(),
                seed: input.seed,
                case_index: f.case_index,
                shrink_steps: f.shrink_steps,
                request: input.requests.get(&f.key).cloned().unwrap_or_default(),
                replay: input.replays.get(&f.key).cloned(),
            })
            .collect(),
    });
    result
}

//! The finished result of a run: what every report is written from.
//!
//! Field names here are the JSON report's schema (`reports/README.md`); scripts and CI read
//! them, so renaming one is a breaking change that bumps [`SCHEMA_VERSION`].

use crate::diagnostic::Location;
use crate::party::Party;
use crate::transcript::Exchange;
use crate::verdict::{Level, Verdict};
use serde::{Deserialize, Serialize};

/// Version of the JSON report schema.
pub const SCHEMA_VERSION: u32 = 2;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunResult {
    pub schema_version: u32,
    pub tool: ToolInfo,
    /// Profile id, e.g. `ic-17`.
    pub profile: String,
    /// RFC 3339 UTC timestamps.
    pub started_at: String,
    pub finished_at: String,
    pub duration_ms: u64,
    pub targets: Targets,
    pub summary: Summary,
    /// `summary` per judged party, in `as_a`, `as_b`, `rs`, `chain` order (schema 2).
    #[serde(default)]
    pub parties: Vec<PartySummary>,
    /// True when the run was cut short (Ctrl-C, global deadline); cases that did not run are
    /// present with verdict `error` and `not_run: true`.
    #[serde(default)]
    pub interrupted: bool,
    /// Requirements of the catalogue that this run's cases cite, with their level in `profile`.
    pub requirements: Vec<RequirementRow>,
    pub cases: Vec<CaseResult>,
    /// The part of the selection this run ran (`run --partition`), e.g. `hash:2/3`; absent for
    /// a whole run and for the output of `chainproof merge`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub partition: Option<String>,
    /// Findings of `chainproof fuzz`, when the run was a fuzz run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fuzz: Option<FuzzInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ToolInfo {
    pub name: String,
    pub version: String,
}

impl Default for ToolInfo {
    fn default() -> Self {
        ToolInfo {
            name: "chainproof".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

/// Which servers played which role.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Targets {
    pub as_a: RoleInfo,
    pub as_b: RoleInfo,
    pub rs: Option<RoleInfo>,
    /// The harness issuer, when harness-issuer mode was on.
    pub harness_issuer: Option<String>,
    /// Target file path, if one was used.
    pub file: Option<String>,
    /// Server certificates were not verified (`--insecure`); absent when they were.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub insecure: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RoleInfo {
    /// `mock` or `live`.
    pub kind: String,
    /// Issuer identifier (AS) or resource identifier (RS).
    pub url: String,
    /// Mock faults active on this role.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<String>,
    /// Legal mock variants active on this role (`chainproof mock --list-variants`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variants: Vec<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub total: usize,
    pub pass: usize,
    pub fail: usize,
    pub warn: usize,
    pub info: usize,
    pub skip: usize,
    pub error: usize,
    /// Cases another party's defect kept from testing their own party (schema 2).
    #[serde(default)]
    pub blocked: usize,
}

impl Summary {
    pub fn of<'a>(verdicts: impl IntoIterator<Item = &'a Verdict>) -> Summary {
        let mut s = Summary::default();
        for v in verdicts {
            s.total += 1;
            match v {
                Verdict::Pass => s.pass += 1,
                Verdict::Fail => s.fail += 1,
                Verdict::Warn => s.warn += 1,
                Verdict::Info => s.info += 1,
                Verdict::Skip => s.skip += 1,
                Verdict::Error => s.error += 1,
                Verdict::Blocked => s.blocked += 1,
            }
        }
        s
    }

    pub fn count(&self, v: Verdict) -> usize {
        match v {
            Verdict::Pass => self.pass,
            Verdict::Fail => self.fail,
            Verdict::Warn => self.warn,
            Verdict::Info => self.info,
            Verdict::Skip => self.skip,
            Verdict::Error => self.error,
            Verdict::Blocked => self.blocked,
        }
    }
}

/// One party's verdicts: `summary` restricted to the cases judging it, and how many of its
/// blocked cases each other party blocked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartySummary {
    pub party: Party,
    #[serde(flatten)]
    pub summary: Summary,
    /// `(blocking party, count)`, one entry per party that blocked any of these cases.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub blocked_by: Vec<BlockedBy>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockedBy {
    pub party: Party,
    pub count: usize,
}

impl PartySummary {
    /// One row per party that has cases, in [`Party::ALL`] order.
    pub fn of(cases: &[CaseResult]) -> Vec<PartySummary> {
        Party::ALL
            .into_iter()
            .filter_map(|party| {
                let mine: Vec<&CaseResult> = cases.iter().filter(|c| c.party == party).collect();
                if mine.is_empty() {
                    return None;
                }
                let blocked_by = Party::ALL
                    .into_iter()
                    .map(|by| BlockedBy {
                        party: by,
                        count: mine
                            .iter()
                            .filter(|c| c.verdict == Verdict::Blocked && c.blocked_by == Some(by))
                            .count(),
                    })
                    .filter(|b| b.count > 0)
                    .collect();
                Some(PartySummary {
                    party,
                    summary: Summary::of(mine.iter().map(|c| &c.verdict)),
                    blocked_by,
                })
            })
            .collect()
    }

    /// `AS-B: 12 pass, 0 fail, 0 warn, 4 blocked by AS-A, …` for terminal and text reports.
    pub fn line(&self) -> String {
        let s = &self.summary;
        let blocked = if self.blocked_by.is_empty() {
            format!("{} blocked", s.blocked)
        } else {
            let by: Vec<String> = self
                .blocked_by
                .iter()
                .map(|b| format!("{} blocked by {}", b.count, b.party))
                .collect();
            let rest = s.blocked - self.blocked_by.iter().map(|b| b.count).sum::<usize>();
            if rest > 0 {
                format!("{}, {rest} blocked", by.join(", "))
            } else {
                by.join(", ")
            }
        };
        format!(
            "{}: {} pass, {} fail, {} warn, {} info, {blocked}, {} skip, {} error",
            self.party, s.pass, s.fail, s.warn, s.info, s.skip, s.error
        )
    }
}

/// One catalogue requirement as this run saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequirementRow {
    pub id: String,
    /// Source document and section, e.g. `IC §2.3.3; 7523 §3 item 3`.
    pub source: String,
    pub level: Level,
    /// One-line paraphrase.
    pub summary: String,
    /// Ids (`suite/case`) of the cases citing it in this run.
    pub cases: Vec<String>,
    /// Worst verdict among those cases (absent when no case ran).
    pub verdict: Option<Verdict>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CaseResult {
    pub suite: String,
    pub case: String,
    pub title: String,
    /// The party the case judges; only it can fail the case (schema 2).
    #[serde(default = "chain")]
    pub party: Party,
    /// For a `blocked` case: the party whose defect blocked it (schema 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocked_by: Option<Party>,
    pub requirements: Vec<String>,
    /// The highest level among the case's requirements in this profile.
    pub level: Level,
    pub verdict: Verdict,
    /// One line: why this verdict (the first failing check, the skip reason, the error).
    pub message: String,
    pub duration_ms: u64,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub not_run: bool,
    pub checks: Vec<CheckResult>,
    pub transcript: Vec<Exchange>,
}

fn chain() -> Party {
    Party::Chain
}

impl CaseResult {
    /// A case with its verdict and why, no checks or transcript (yet).
    pub fn new(
        (suite, case, title): (&str, &str, &str),
        party: Party,
        requirements: Vec<String>,
        (level, verdict): (Level, Verdict),
        message: String,
    ) -> CaseResult {
        CaseResult {
            suite: suite.into(),
            case: case.into(),
            title: title.into(),
            party,
            blocked_by: None,
            requirements,
            level,
            verdict,
            message,
            duration_ms: 0,
            not_run: false,
            checks: Vec::new(),
            transcript: Vec::new(),
        }
    }

    /// `suite/case`, unique within a run.
    pub fn full_id(&self) -> String {
        format!("{}/{}", self.suite, self.case)
    }

    /// Where the check that decided a failing verdict is written: the first check whose
    /// verdict is the case's (not `pass`) and that names its source.
    pub fn failed_at(&self) -> Option<&Location> {
        if matches!(self.verdict, Verdict::Pass | Verdict::Skip) {
            return None;
        }
        self.checks
            .iter()
            .find(|k| k.verdict == self.verdict)
            .and_then(|k| k.source.as_ref())
    }

    /// The message with the deciding check's `file:line` in front (compiler style, so a
    /// terminal or editor opens the rule), or the bare message when no check decided.
    pub fn located_message(&self) -> String {
        match self.failed_at() {
            Some(at) => format!("{at}: {}", self.message),
            None => self.message.clone(),
        }
    }
}

/// One evaluated check: a query, a predicate, what was seen and what was wanted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    /// Human description, e.g. `grant aud identifies AS-B`.
    pub description: String,
    pub requirement: String,
    pub level: Level,
    /// `pass`, or the level's failure verdict (`fail`/`warn`/`info`); `warn` also for a
    /// less-preferred member of an allowed set.
    pub verdict: Verdict,
    /// The query's value (JSON), or null when the query found nothing.
    pub actual: serde_json::Value,
    /// The predicate, in words: `== "N_A"`, `one of [invalid_target*, invalid_request]`.
    pub expected: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
    /// Where the check is written (suite file, line, column); absent for checks no suite
    /// file states (the fuzzer's oracles). Schema 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<Location>,
}

impl CheckResult {
    /// A check no suite file states (no source), without a message.
    pub fn unsourced(
        description: String,
        requirement: String,
        (level, verdict): (Level, Verdict),
        actual: serde_json::Value,
        expected: String,
    ) -> CheckResult {
        CheckResult {
            description,
            requirement,
            level,
            verdict,
            actual,
            expected,
            message: String::new(),
            source: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FuzzInfo {
    pub seed: u64,
    pub cases: u64,
    pub requests: u64,
    pub findings: usize,
    /// Requests that got no response and so were judged by no oracle (0 is left out).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub unanswered: u64,
    /// How to see each finding and observation again, by case id.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<FuzzFinding>,
}

/// The reproduction fields of one fuzz finding (or observation), shown by every report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FuzzFinding {
    /// The case (`suite` is `fuzz`) this finding is.
    pub case: String,
    pub seed: u64,
    /// Index of the generated case that first showed it.
    pub case_index: u64,
    pub shrink_steps: u32,
    /// The shrunk request as the request log writes it (secrets as `{placeholders}`).
    pub request: String,
    /// The command that re-sends it, when a replay file was written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replay: Option<String>,
}

impl RunResult {
    /// The fuzz reproduction fields of case `c`, if it is a fuzz finding.
    pub fn fuzz_finding(&self, c: &CaseResult) -> Option<&FuzzFinding> {
        if c.suite != "fuzz" {
            return None;
        }
        self.fuzz
            .as_ref()?
            .details
            .iter()
            .find(|f| f.case == c.case)
    }
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

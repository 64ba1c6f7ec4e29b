//! `chainproof merge`: join the JSON reports of partial runs (`run --partition`, or runs of
//! disjoint `--suite`/`--case` selections) into one run result, from which every report and the
//! gate are then written exactly as for a single run.
//!
//! Refused rather than guessed: inputs of different schema versions or profiles, fuzz reports,
//! a case present in two inputs, and an incomplete or mixed set of partitions (a merged report
//! that silently lacks a third of the cases would read as a clean run).

use crate::run::{self, Planned};
use crate::run_result::{CaseResult, PartySummary, RunResult, SCHEMA_VERSION, Summary};
use crate::suite::load::Library;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};

/// One partial report as read.
#[derive(Debug, Clone)]
pub struct Input {
    pub path: PathBuf,
    pub result: RunResult,
}

/// Why the inputs could not be merged; each names the file at fault.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("merge needs at least one JSON report")]
    Empty,
    #[error("{path}: cannot read: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: not a chainproof JSON report: {message}")]
    Parse { path: PathBuf, message: String },
    #[error(
        "{path}: schema_version {found}, but this chainproof reads and writes {SCHEMA_VERSION}"
    )]
    Schema { path: PathBuf, found: u32 },
    #[error("{path}: profile `{found}` differs from `{first}` in {first_path}")]
    Profile {
        path: PathBuf,
        found: String,
        first: String,
        first_path: PathBuf,
    },
    #[error("{path}: a fuzz report cannot be merged")]
    Fuzz { path: PathBuf },
    #[error("case `{id}` is in both {first} and {second}: the inputs overlap")]
    Duplicate {
        id: String,
        first: PathBuf,
        second: PathBuf,
    },
    #[error("partitions do not make one whole: {0}")]
    Partitions(String),
}

/// Read and parse each report.
pub fn read(paths: &[PathBuf]) -> Result<Vec<Input>, MergeError> {
    paths
        .iter()
        .map(|path| {
            let text = std::fs::read_to_string(path).map_err(|source| MergeError::Read {
                path: path.clone(),
                source,
            })?;
            let result = serde_json::from_str(&text).map_err(|e| MergeError::Parse {
                path: path.clone(),
                message: e.to_string(),
            })?;
            Ok(Input {
                path: path.clone(),
                result,
            })
        })
        .collect()
}

/// The inputs as one run: cases in the order a whole run would list them, summary and
/// requirement rows recomputed, earliest start, latest finish, the longest input's duration
/// (partitions run side by side), and the first input's targets (a mock run's ports differ
/// from part to part).
pub fn merge(lib: &Library, inputs: Vec<Input>) -> Result<RunResult, MergeError> {
    let first = inputs.first().ok_or(MergeError::Empty)?;
    let (profile, first_path) = (first.result.profile.clone(), first.path.clone());
    for i in &inputs {
        let r = &i.result;
        if r.schema_version != SCHEMA_VERSION {
            return Err(MergeError::Schema {
                path: i.path.clone(),
                found: r.schema_version,
            });
        }
        if r.profile != profile {
            return Err(MergeError::Profile {
                path: i.path.clone(),
                found: r.profile.clone(),
                first: profile,
                first_path,
            });
        }
        if r.fuzz.is_some() {
            return Err(MergeError::Fuzz {
                path: i.path.clone(),
            });
        }
    }
    check_partitions(&inputs)?;

    let mut seen: HashMap<String, PathBuf> = HashMap::new();
    let mut cases: Vec<CaseResult> = Vec::new();
    for i in &inputs {
        for c in &i.result.cases {
            if let Some(prev) = seen.insert(c.full_id(), i.path.clone()) {
                return Err(MergeError::Duplicate {
                    id: c.full_id(),
                    first: prev,
                    second: i.path.clone(),
                });
            }
            cases.push(c.clone());
        }
    }
    let order = whole_run_order(lib);
    // Stable: cases the suites do not know keep their input order, after the known ones.
    cases.sort_by_key(|c| order.get(&c.full_id()).copied().unwrap_or(usize::MAX));

    let base = &inputs[0].result;
    let results = || inputs.iter().map(|i| &i.result);
    Ok(RunResult {
        schema_version: SCHEMA_VERSION,
        tool: base.tool.clone(),
        profile: profile.clone(),
        started_at: results()
            .map(|r| r.started_at.clone())
            .min()
            .unwrap_or_default(),
        finished_at: results()
            .map(|r| r.finished_at.clone())
            .max()
            .unwrap_or_default(),
        duration_ms: results().map(|r| r.duration_ms).max().unwrap_or(0),
        targets: base.targets.clone(),
        summary: Summary::of(cases.iter().map(|c| &c.verdict)),
        parties: PartySummary::of(&cases),
        interrupted: results().any(|r| r.interrupted),
        requirements: run::requirement_rows(&lib.catalogue, &profile, &cases),
        cases,
        partition: None,
        fuzz: None,
    })
}

/// Position of each `suite/case` in a whole run's plan: slow cases first, then selection order.
fn whole_run_order(lib: &Library) -> HashMap<String, usize> {
    let mut all: Vec<Planned> = run::select(&lib.suites, &[], &[])
        .unwrap_or_default()
        .into_iter()
        .map(|(s, c)| Planned {
            suite: s.id.clone(),
            case: c.clone(),
            level: crate::verdict::Level::May,
            skip: None,
        })
        .collect();
    all.sort_by_key(|p| !p.case.is_slow());
    all.iter()
        .enumerate()
        .map(|(k, p)| (format!("{}/{}", p.suite, p.case.id), k))
        .collect()
}

/// When any input is a partition, all must be, of one scheme and count, each part once.
fn check_partitions(inputs: &[Input]) -> Result<(), MergeError> {
    let parts: Vec<(&Path, Option<&String>)> = inputs
        .iter()
        .map(|i| (i.path.as_path(), i.result.partition.as_ref()))
        .collect();
    if parts.iter().all(|(_, p)| p.is_none()) {
        return Ok(());
    }
    if let Some((path, _)) = parts.iter().find(|(_, p)| p.is_none()) {
        return Err(MergeError::Partitions(format!(
            "{} is a whole run, the others are partitions",
            path.display()
        )));
    }
    let mut scheme: Option<(String, u32)> = None;
    let mut indices = BTreeSet::new();
    for (path, p) in &parts {
        let p = p.expect("checked above");
        let parsed: crate::partition::Partition = p
            .parse()
            .map_err(|e| MergeError::Partitions(format!("{}: partition {e}", path.display())))?;
        let (index, total) = parsed.part();
        let kind = p.split(':').next().unwrap_or_default().to_string();
        match &scheme {
            None => scheme = Some((kind, total)),
            Some((k, n)) if *k == kind && *n == total => {}
            Some((k, n)) => {
                return Err(MergeError::Partitions(format!(
                    "{} is `{p}`, the first input is `{k}:…/{n}`",
                    path.display()
                )));
            }
        }
        if !indices.insert(index) {
            return Err(MergeError::Partitions(format!(
                "part {index} is given twice ({})",
                path.display()
            )));
        }
    }
    let (kind, total) = scheme.expect("at least one input");
    let missing: Vec<String> = (1..=total)
        .filter(|i| !indices.contains(i))
        .map(|i| format!("{kind}:{i}/{total}"))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(MergeError::Partitions(format!(
            "missing {}",
            missing.join(", ")
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verdict::{Level, Verdict};

    fn case(suite: &str, id: &str, verdict: Verdict) -> CaseResult {
        CaseResult {
            suite: suite.into(),
            case: id.into(),
            title: String::new(),
            party: crate::party::Party::Chain,
            blocked_by: None,
            requirements: vec![],
            level: Level::Must,
            verdict,
            message: String::new(),
            duration_ms: 1,
            not_run: false,
            checks: vec![],
            transcript: vec![],
        }
    }

    fn input(name: &str, partition: Option<&str>, cases: Vec<CaseResult>) -> Input {
        Input {
            path: PathBuf::from(name),
            result: RunResult {
                schema_version: SCHEMA_VERSION,
                tool: Default::default(),
                profile: "ic-17".into(),
                started_at: format!("2026-12-01T10:00:0{}Z", name.len() % 10),
                finished_at: "2026-12-01T10:01:00Z".into(),
                duration_ms: name.len() as u64,
                targets: Default::default(),
                summary: Summary::of(cases.iter().map(|c| &c.verdict)),
                parties: PartySummary::of(&cases),
                interrupted: false,
                requirements: vec![],
                cases,
                partition: partition.map(String::from),
                fuzz: None,
            },
        }
    }

    #[test]
    fn joins_parts_and_recounts() {
        let lib = Library::load(None).unwrap();
        let m = merge(
            &lib,
            vec![
                input(
                    "a.json",
                    Some("hash:1/2"),
                    vec![case("x", "a", Verdict::Pass)],
                ),
                input(
                    "bb.json",
                    Some("hash:2/2"),
                    vec![case("x", "b", Verdict::Fail), case("x", "c", Verdict::Skip)],
                ),
            ],
        )
        .unwrap();
        assert_eq!(m.summary.total, 3);
        assert_eq!((m.summary.pass, m.summary.fail, m.summary.skip), (1, 1, 1));
        assert_eq!(m.partition, None);
        assert_eq!(m.duration_ms, 7);
    }

    #[test]
    fn refuses_overlap_gaps_and_mixtures() {
        let lib = Library::load(None).unwrap();
        let one = |p: &str, id: &str| {
            input(
                &format!("{id}.json"),
                Some(p),
                vec![case("x", id, Verdict::Pass)],
            )
        };
        let err = |inputs| merge(&lib, inputs).unwrap_err().to_string();
        assert!(
            err(vec![one("count:1/3", "a"), one("count:3/3", "b")]).contains("missing count:2/3")
        );
        assert!(
            err(vec![one("count:1/2", "a"), one("hash:2/2", "b")])
                .contains("the first input is `count:…/2`")
        );
        assert!(
            err(vec![one("count:1/2", "a"), one("count:1/2", "b")])
                .contains("part 1 is given twice")
        );
        assert!(
            err(vec![one("count:1/1", "a"), input("w.json", None, vec![])])
                .contains("w.json is a whole run")
        );
        let dup = err(vec![
            input("p.json", None, vec![case("x", "a", Verdict::Pass)]),
            input("q.json", None, vec![case("x", "a", Verdict::Fail)]),
        ]);
        assert!(
            dup.contains("case `x/a` is in both p.json and q.json"),
            "{dup}"
        );
        let mut other = input("o.json", None, vec![]);
        other.result.profile = "ic-01".into();
        assert!(
            err(vec![input("p.json", None, vec![]), other]).contains("o.json: profile `ic-01`")
        );
        assert!(matches!(merge(&lib, vec![]), Err(MergeError::Empty)));
    }
}

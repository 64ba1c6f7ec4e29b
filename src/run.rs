//! `chainproof run`: load suites and target, plan (profile levels, capabilities, skips),
//! execute with bounded concurrency (slow cases first), survive Ctrl-C and a global
//! deadline, build the `RunResult`, write reports, and choose the exit code.

use crate::cli::RunArgs;
use crate::environment::{Env, EnvError};
use crate::executor;
use crate::exit;
use crate::progress::{RunEvent, spawn_reporter};
use crate::report::{self, Secrets};
use crate::run_result::{CaseResult, RequirementRow, RunResult, Summary, ToolInfo};
use crate::suite::load::Library;
use crate::suite::{Case, Suite};
use crate::target::Target;
use crate::verdict::{FailOn, Level, Verdict};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Instant, SystemTime};

/// A selected case with what the plan decided for it.
#[derive(Debug, Clone)]
pub struct Planned {
    pub suite: String,
    pub case: Case,
    /// Highest level of its requirements in the profile.
    pub level: Level,
    /// Set when the case cannot run here.
    pub skip: Option<String>,
}

/// Select cases by `--suite` and `--case` (glob over `suite/case` or the case id).
pub fn select<'a>(
    suites: &'a [Suite],
    suite_ids: &[String],
    globs: &[String],
) -> Result<Vec<(&'a Suite, &'a Case)>, String> {
    for id in suite_ids {
        if !suites.iter().any(|s| &s.id == id) {
            let known: Vec<&str> = suites.iter().map(|s| s.id.as_str()).collect();
            return Err(format!(
                "unknown suite `{id}` (known: {})",
                known.join(", ")
            ));
        }
    }
    let patterns = globs
        .iter()
        .map(|g| glob::Pattern::new(g).map_err(|e| format!("invalid --case glob `{g}`: {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(suites
        .iter()
        .filter(|s| suite_ids.is_empty() || suite_ids.contains(&s.id))
        .flat_map(|s| s.cases.iter().map(move |c| (s, c)))
        .filter(|(s, c)| {
            patterns.is_empty()
                || patterns
                    .iter()
                    .any(|p| p.matches(&format!("{}/{}", s.id, c.id)) || p.matches(&c.id))
        })
        .collect())
}

/// Decide level and skip reason of each selected case.
pub fn plan(lib: &Library, selected: &[(&Suite, &Case)], profile: &str, env: &Env) -> Vec<Planned> {
    let caps = env.capabilities();
    let mut planned: Vec<Planned> = selected
        .iter()
        .map(|(s, c)| {
            let levels: Vec<Level> = c
                .requirements
                .iter()
                .filter_map(|r| lib.catalogue.level(r, profile))
                .collect();
            let missing: Vec<&str> = c
                .needs
                .iter()
                .filter(|n| !caps.contains(n))
                .map(|n| n.missing_reason())
                .collect();
            let skip = if levels.is_empty() {
                Some(format!(
                    "none of its requirements ({}) has a level in profile {profile}",
                    c.requirements.join(", ")
                ))
            } else if !missing.is_empty() {
                Some(missing.join("; "))
            } else {
                None
            };
            Planned {
                suite: s.id.clone(),
                case: (*c).clone(),
                level: levels.into_iter().max().unwrap_or(Level::May),
                skip,
            }
        })
        .collect();
    // Slow cases (waiting for expiry) first, so their waits overlap everything else.
    planned.sort_by_key(|p| !p.case.is_slow());
    planned
}

fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
}

fn case_result(p: &Planned, verdict: Verdict, message: String, duration_ms: u64) -> CaseResult {
    CaseResult {
        suite: p.suite.clone(),
        case: p.case.id.clone(),
        title: p.case.title.clone(),
        requirements: p.case.requirements.clone(),
        level: p.level,
        verdict,
        message,
        duration_ms,
        not_run: false,
        checks: Vec::new(),
        transcript: Vec::new(),
    }
}

/// Execute a plan. Returns the case results (in plan order) and whether the run was cut short.
pub async fn execute(
    lib: &Library,
    profile: &str,
    env: Arc<Env>,
    planned: Vec<Planned>,
    jobs: usize,
    deadline: Option<std::time::Duration>,
    events: tokio::sync::mpsc::UnboundedSender<RunEvent>,
) -> (Vec<CaseResult>, bool) {
    let _ = events.send(RunEvent::Started {
        total: planned.len(),
        jobs,
    });
    let semaphore = Arc::new(tokio::sync::Semaphore::new(jobs.max(1)));
    let catalogue = Arc::new(lib.catalogue.clone());
    let mut results: Vec<Option<CaseResult>> = vec![None; planned.len()];
    let mut set = tokio::task::JoinSet::new();
    for (i, p) in planned.iter().enumerate() {
        if let Some(reason) = &p.skip {
            let r = case_result(p, Verdict::Skip, reason.clone(), 0);
            let _ = events.send(RunEvent::CaseFinished {
                id: r.full_id(),
                verdict: Verdict::Skip,
                message: reason.clone(),
                duration_ms: 0,
            });
            results[i] = Some(r);
            continue;
        }
        let (p, env, sem, cat, events, profile) = (
            p.clone(),
            env.clone(),
            semaphore.clone(),
            catalogue.clone(),
            events.clone(),
            profile.to_string(),
        );
        set.spawn(async move {
            let _permit = sem.acquire_owned().await.expect("semaphore never closed");
            let id = format!("{}/{}", p.suite, p.case.id);
            let _ = events.send(RunEvent::CaseStarted { id: id.clone() });
            let started = Instant::now();
            let level_of = move |r: &str| cat.level(r, &profile);
            let out = executor::run_case(env, &p.case, &level_of).await;
            let ms = started.elapsed().as_millis() as u64;
            let _ = events.send(RunEvent::CaseFinished {
                id,
                verdict: out.verdict,
                message: out.message.clone(),
                duration_ms: ms,
            });
            let mut r = case_result(&p, out.verdict, out.message, ms);
            r.checks = out.checks;
            r.transcript = out.transcript;
            (i, r)
        });
    }
    let stop = async {
        match deadline {
            Some(d) => tokio::select! {
                _ = tokio::time::sleep(d) => format!("global deadline of {} reached", humantime::format_duration(d)),
                _ = tokio::signal::ctrl_c() => "Ctrl-C".to_string(),
            },
            None => {
                let _ = tokio::signal::ctrl_c().await;
                "Ctrl-C".to_string()
            }
        }
    };
    tokio::pin!(stop);
    let mut interrupted = false;
    loop {
        tokio::select! {
            next = set.join_next() => match next {
                None => break,
                Some(Ok((i, r))) => results[i] = Some(r),
                Some(Err(e)) => {
                    // A panicking case is a harness bug: report it, keep going.
                    let _ = events.send(RunEvent::Interrupted { reason: format!("a case task failed: {e}") });
                }
            },
            reason = &mut stop => {
                interrupted = true;
                let _ = events.send(RunEvent::Interrupted { reason });
                set.abort_all();
                while let Some(r) = set.join_next().await {
                    if let Ok((i, r)) = r {
                        results[i] = Some(r);
                    }
                }
                break;
            }
        }
    }
    let results = results
        .into_iter()
        .zip(&planned)
        .map(|(r, p)| {
            r.unwrap_or_else(|| {
                let why = if interrupted {
                    "interrupted: the run stopped before this case finished (not run)"
                } else {
                    "the case task failed (harness bug)"
                };
                let mut c = case_result(p, Verdict::Error, why.into(), 0);
                c.not_run = true;
                c
            })
        })
        .collect();
    (results, interrupted)
}

/// Requirement rows for the requirements the run's cases cite.
pub fn requirement_rows(lib: &Library, profile: &str, cases: &[CaseResult]) -> Vec<RequirementRow> {
    let mut cited: BTreeMap<&str, Vec<&CaseResult>> = BTreeMap::new();
    for c in cases {
        for r in &c.requirements {
            cited.entry(r.as_str()).or_default().push(c);
        }
        for k in &c.checks {
            let e = cited.entry(k.requirement.as_str()).or_default();
            if !e.iter().any(|x| std::ptr::eq(*x, c)) {
                e.push(c);
            }
        }
    }
    lib.catalogue
        .requirements
        .iter()
        .filter_map(|r| {
            let cs = cited.get(r.id.as_str())?;
            let level = lib.catalogue.level(&r.id, profile)?;
            let ran: Vec<Verdict> = cs
                .iter()
                .filter(|c| !c.not_run && c.verdict != Verdict::Skip)
                .map(|c| c.verdict)
                .collect();
            Some(RequirementRow {
                id: r.id.clone(),
                source: r.source.clone(),
                level,
                summary: r.summary.clone(),
                cases: cs.iter().map(|c| c.full_id()).collect(),
                verdict: ran.into_iter().reduce(Verdict::worst),
            })
        })
        .collect()
}

pub fn command(args: RunArgs) -> i32 {
    let lib = match Library::load(args.suites.as_deref()) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("{e}");
            return exit::INVALID_INPUT;
        }
    };
    let target = match &args.target {
        Some(p) => match Target::load(p) {
            Ok(t) => Some(t),
            Err(e) => {
                eprintln!("{e}");
                return exit::INVALID_INPUT;
            }
        },
        None => None,
    };
    let profile = args
        .profile
        .clone()
        .or_else(|| target.as_ref().and_then(|t| t.spec.profile.clone()))
        .or_else(|| lib.catalogue.default_profile().map(|p| p.id.clone()))
        .unwrap_or_else(|| "ic-17".into());
    if lib.catalogue.profile(&profile).is_none() {
        let known: Vec<&str> = lib
            .catalogue
            .profiles
            .iter()
            .map(|p| p.id.as_str())
            .collect();
        eprintln!(
            "error: unknown profile `{profile}` (known: {})",
            known.join(", ")
        );
        return exit::USAGE;
    }
    let mut faults = Vec::new();
    for f in &args.mock_fault {
        match f.parse::<mock_as::Fault>() {
            Ok(f) => faults.push(f),
            Err(e) => {
                eprintln!("error: {e}");
                return exit::USAGE;
            }
        }
    }
    let selected = match select(&lib.suites, &args.suite, &args.case) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::USAGE;
        }
    };
    let selected = match &args.partition {
        Some(p) => p.filter(selected, |(s, c)| format!("{}/{}", s.id, c.id)),
        None => selected,
    };
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return exit::RUNTIME;
        }
    };
    let lib = &lib;
    rt.block_on(async move {
        let wall = SystemTime::now();
        let started = Instant::now();
        let env = match Env::build(target.as_ref(), faults).await {
            Ok(e) => Arc::new(e),
            Err(EnvError::Invalid(m)) => {
                eprintln!("{m}");
                return exit::INVALID_INPUT;
            }
            Err(EnvError::Runtime(m)) => {
                // The target could not be set up (discovery failed, a server is down): no case
                // can run, but CI still gets complete reports saying so, case by case.
                eprintln!("error: {m}");
                let cases: Vec<CaseResult> = selected
                    .iter()
                    .map(|(s, c)| CaseResult {
                        suite: s.id.clone(),
                        case: c.id.clone(),
                        title: c.title.clone(),
                        requirements: c.requirements.clone(),
                        level: c
                            .requirements
                            .iter()
                            .filter_map(|r| lib.catalogue.level(r, &profile))
                            .max()
                            .unwrap_or(Level::May),
                        verdict: Verdict::Error,
                        message: format!("not run: the target could not be set up: {m}"),
                        duration_ms: 0,
                        not_run: true,
                        checks: Vec::new(),
                        transcript: Vec::new(),
                    })
                    .collect();
                let targets = crate::run_result::Targets {
                    file: args.target.as_ref().map(|p| p.display().to_string()),
                    ..Default::default()
                };
                let mut result = run_result(lib, &profile, (wall, started), targets, cases, false);
                result.partition = args.partition.map(|p| p.to_string());
                return finish(&result, &args.report, args.fail_on, &Secrets::default());
            }
        };
        let planned = plan(lib, &selected, &profile, &env);
        let jobs = usize::from(args.jobs.or(env.limits.jobs).unwrap_or(4).max(1));
        let (tx, reporter) = spawn_reporter(args.progress, env.secrets.clone());
        let (cases, interrupted) = execute(
            lib,
            &profile,
            env.clone(),
            planned,
            jobs,
            args.deadline,
            tx.clone(),
        )
        .await;
        let summary = Summary::of(cases.iter().map(|c| &c.verdict));
        let _ = tx.send(RunEvent::Finished { summary });
        drop(tx);
        let _ = reporter.await;
        let mut result = run_result(
            lib,
            &profile,
            (wall, started),
            env.targets.clone(),
            cases,
            interrupted,
        );
        result.partition = args.partition.map(|p| p.to_string());
        let secrets = Secrets {
            values: env.secrets.clone(),
        };
        finish(&result, &args.report, args.fail_on, &secrets)
    })
}

/// The finished run, as every report is written from it.
fn run_result(
    lib: &Library,
    profile: &str,
    (wall, started): (SystemTime, Instant),
    targets: crate::run_result::Targets,
    cases: Vec<CaseResult>,
    interrupted: bool,
) -> RunResult {
    RunResult {
        schema_version: crate::run_result::SCHEMA_VERSION,
        tool: ToolInfo::default(),
        profile: profile.to_string(),
        started_at: rfc3339(wall),
        finished_at: rfc3339(SystemTime::now()),
        duration_ms: started.elapsed().as_millis() as u64,
        targets,
        summary: Summary::of(cases.iter().map(|c| &c.verdict)),
        interrupted,
        requirements: requirement_rows(lib, profile, &cases),
        cases,
        partition: None,
        fuzz: None,
    }
}

/// Judge the gate (thresholds, expectations, baseline), write every report showing its
/// findings, and return the exit code. `chainproof merge` finishes the same way.
pub fn finish(
    result: &RunResult,
    report_args: &report::ReportArgs,
    fail_on: FailOn,
    secrets: &Secrets,
) -> i32 {
    let (gate, mut code) = match report::gate(result, report_args, fail_on, secrets) {
        Ok(g) => {
            let code = g.exit_code;
            (Some(g), code)
        }
        Err(e) => {
            eprintln!("error: {e}");
            (None, e.exit_code())
        }
    };
    match report::write_reports(result, report_args, secrets, gate.as_ref()) {
        Ok(paths) => {
            for p in paths {
                eprintln!("wrote {}", p.display());
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            code = code.max(e.exit_code());
        }
    }
    if let Some(g) = &gate {
        eprint!("{}", g.summary);
    }
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn select_by_suite_and_glob() {
        let lib = Library::load(None).unwrap();
        let all = select(&lib.suites, &[], &[]).unwrap();
        assert_eq!(
            all.len(),
            lib.suites.iter().map(|s| s.cases.len()).sum::<usize>()
        );
        let first = &lib.suites[0];
        let only = select(&lib.suites, std::slice::from_ref(&first.id), &[]).unwrap();
        assert_eq!(only.len(), first.cases.len());
        let one = format!("{}/{}", first.id, first.cases[0].id);
        let by_glob = select(&lib.suites, &[], std::slice::from_ref(&one)).unwrap();
        assert_eq!(by_glob.len(), 1);
        let by_case_id = select(&lib.suites, &[], &[first.cases[0].id.clone()]).unwrap();
        assert!(!by_case_id.is_empty());
        assert!(
            select(&lib.suites, &["no-such-suite".into()], &[])
                .unwrap_err()
                .contains("unknown suite")
        );
        assert!(select(&lib.suites, &[], &["[".into()]).is_err());
    }
}

//! `chainproof run`: load suites and target, plan (profile levels, capabilities, skips),
//! execute with bounded concurrency (slow cases first), survive Ctrl-C and a global
//! deadline, build the `RunResult`, write reports, and choose the exit code. Prints nothing:
//! [`prepare`] and [`run`] return what the command layer (`app.rs`) shows.

use crate::catalogue::Catalogue;
use crate::environment::{Env, EnvError};
use crate::executor;
use crate::exit;
use crate::partition::Partition;
use crate::party::Party;
use crate::progress::{ProgressMode, RunEvent, spawn_reporter};
use crate::report::{self, GateOptions, GateOutcome, ReportError, ReportOptions, Secrets};
use crate::run_result::{CaseResult, PartySummary, RequirementRow, RunResult, Summary, ToolInfo};
use crate::suite::load::Library;
use crate::suite::{Case, Suite};
use crate::target::Target;
use crate::verdict::{Level, Verdict};
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

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
            let token_gap = if missing.is_empty() {
                env.token_gap(c)
            } else {
                None
            };
            let skip = if levels.is_empty() {
                Some(format!(
                    "none of its requirements ({}) has a level in profile {profile}",
                    c.requirements.join(", ")
                ))
            } else if !missing.is_empty() {
                Some(missing.join("; "))
            } else {
                token_gap
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
    let c = &p.case;
    CaseResult {
        duration_ms,
        ..CaseResult::new(
            (&p.suite, &c.id, &c.title),
            c.party,
            c.requirements.clone(),
            (p.level, verdict),
            message,
        )
    }
}

/// For each (requirement, party): the `suite/case` ids judging that party that cite it, so a
/// blocked case can name where its failed precondition is graded.
fn graders(lib: &Library) -> HashMap<(String, Party), Vec<String>> {
    let mut out: HashMap<(String, Party), Vec<String>> = HashMap::new();
    for s in &lib.suites {
        for c in &s.cases {
            let cited = c
                .requirements
                .iter()
                .chain(c.checks.iter().map(|k| &k.requirement))
                .collect::<std::collections::BTreeSet<_>>();
            for r in cited {
                out.entry((r.clone(), c.party))
                    .or_default()
                    .push(format!("{}/{}", s.id, c.id));
            }
        }
    }
    out
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
    let graders = Arc::new(graders(lib));
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
        let (p, env, sem, cat, events, profile, graders) = (
            p.clone(),
            env.clone(),
            semaphore.clone(),
            catalogue.clone(),
            events.clone(),
            profile.to_string(),
            graders.clone(),
        );
        set.spawn(async move {
            let _permit = sem.acquire_owned().await.expect("semaphore never closed");
            let id = format!("{}/{}", p.suite, p.case.id);
            let _ = events.send(RunEvent::CaseStarted { id: id.clone() });
            let started = Instant::now();
            let level_of = move |r: &str| cat.level(r, &profile);
            let graders_of = move |r: &str, party: Party| {
                graders
                    .get(&(r.to_string(), party))
                    .map(|ids| ids.iter().take(3).cloned().collect())
                    .unwrap_or_default()
            };
            let out = executor::run_case(env, &p.case, &level_of, &graders_of).await;
            let ms = started.elapsed().as_millis() as u64;
            let mut r = case_result(&p, out.verdict, out.message, ms);
            r.blocked_by = out.blocked_by;
            r.checks = out.checks;
            r.transcript = out.transcript;
            let _ = events.send(RunEvent::CaseFinished {
                id,
                verdict: r.verdict,
                message: r.located_message(),
                duration_ms: ms,
            });
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
pub fn requirement_rows(
    catalogue: &Catalogue,
    profile: &str,
    cases: &[CaseResult],
) -> Vec<RequirementRow> {
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
    catalogue
        .requirements
        .iter()
        .filter_map(|r| {
            let cs = cited.get(r.id.as_str())?;
            let level = catalogue.level(&r.id, profile)?;
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

/// `chainproof run` options (the command line's `RunArgs`, or a caller's own choice).
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Target file; `None` runs against the embedded mock pair.
    pub target: Option<PathBuf>,
    /// Folder of extra suite files.
    pub suites: Option<PathBuf>,
    /// Run only these suites (empty: all).
    pub suite: Vec<String>,
    /// Run only cases matching one of these globs (empty: all).
    pub case: Vec<String>,
    /// Profile; default: the target's, else the catalogue's default.
    pub profile: Option<String>,
    /// Cases run at the same time; default: the target's `limits.jobs`, else 4.
    pub jobs: Option<u16>,
    /// Faults of the embedded mock, by name.
    pub mock_faults: Vec<String>,
    /// Legal variants of the embedded mock, by name.
    pub mock_variants: Vec<String>,
    /// Stop the whole run after this long.
    pub deadline: Option<Duration>,
    /// Where lines for the person running chainproof go (an interactive login's URL, a
    /// subject-token source that failed before the run); the command layer prints them.
    pub notice: crate::subject_token::Notice,
    /// How live progress is shown.
    pub progress: ProgressMode,
    /// Run only this part of the selection (`--partition`).
    pub partition: Option<Partition>,
    pub report: ReportOptions,
    /// How the finished run gates (`--fail-on`, `--expect`, `--baseline`, `--gate`).
    pub gate: GateOptions,
    /// Do not verify server certificates (`--insecure`); every report says so.
    pub insecure: bool,
}

/// Why a run could not start. `Display` is the whole text to print.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// An invalid suite, target or environment file (exit 3): a full diagnostic.
    #[error("{0}")]
    Invalid(String),
    /// Flags that name nothing known (exit 64).
    #[error("error: {0}")]
    Usage(String),
    /// The harness itself could not start (exit 2).
    #[error("error: {0}")]
    Runtime(String),
}

impl RunError {
    pub fn exit_code(&self) -> i32 {
        match self {
            RunError::Invalid(_) => exit::INVALID_INPUT,
            RunError::Usage(_) => exit::USAGE,
            RunError::Runtime(_) => exit::RUNTIME,
        }
    }
}

/// Everything `run` checked before any request: suites, target, profile, faults, selection.
#[derive(Debug)]
pub struct Prepared {
    lib: Library,
    target: Option<Target>,
    profile: String,
    faults: Vec<mock_as::Fault>,
    variants: Vec<mock_as::Variant>,
    /// Selected cases as (suite index, case index) into `lib.suites`.
    selected: Vec<(usize, usize)>,
    options: RunOptions,
}

impl Prepared {
    /// The suites, catalogue and profiles loaded.
    pub fn lib(&self) -> &Library {
        &self.lib
    }

    /// The target file, if the run has one.
    pub fn target(&self) -> Option<&Target> {
        self.target.as_ref()
    }

    /// The profile grading the run.
    pub fn profile(&self) -> &str {
        &self.profile
    }

    /// The selected cases, in suite order.
    pub fn selection(&self) -> Vec<(&Suite, &Case)> {
        self.selected
            .iter()
            .map(|&(s, c)| (&self.lib.suites[s], &self.lib.suites[s].cases[c]))
            .collect()
    }
}

/// A finished run as the command layer shows it: what went wrong on the way, what was
/// written, the gate's verdict, and the exit code.
#[derive(Debug)]
pub struct Finished {
    /// Why no case could run (the target could not be set up); the reports say so case by case.
    pub setup_error: Option<String>,
    /// The gate's outcome, or why it could not be judged (an invalid `--expect`/`--baseline`).
    pub gate: Result<GateOutcome, ReportError>,
    /// The reports written, or the first report that could not be.
    pub written: Result<Vec<PathBuf>, ReportError>,
    pub exit_code: i32,
}

/// Load and check everything a run needs before it sends a request.
pub fn prepare(options: RunOptions) -> Result<Prepared, RunError> {
    let lib =
        Library::load(options.suites.as_deref()).map_err(|e| RunError::Invalid(e.to_string()))?;
    let target = match &options.target {
        Some(p) => Some(Target::load(p).map_err(|e| RunError::Invalid(e.to_string()))?),
        None => None,
    };
    let profile = lib
        .catalogue
        .choose_profile(
            options.profile.as_deref(),
            target.as_ref().and_then(|t| t.spec.profile.as_deref()),
        )
        .map_err(RunError::Usage)?;
    let faults = options
        .mock_faults
        .iter()
        .map(|f| f.parse::<mock_as::Fault>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| RunError::Usage(e.to_string()))?;
    let variants = options
        .mock_variants
        .iter()
        .map(|v| v.parse::<mock_as::Variant>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(RunError::Usage)?;
    let mut selected =
        select(&lib.suites, &options.suite, &options.case).map_err(RunError::Usage)?;
    if let Some(part) = &options.partition {
        selected = part.filter(selected, |(s, c)| format!("{}/{}", s.id, c.id));
    }
    let selected = selected
        .into_iter()
        .map(|(s, c)| index_of(&lib, s, c))
        .collect();
    Ok(Prepared {
        lib,
        target,
        profile,
        faults,
        variants,
        selected,
        options,
    })
}

fn index_of(lib: &Library, s: &Suite, c: &Case) -> (usize, usize) {
    let si = lib
        .suites
        .iter()
        .position(|x| std::ptr::eq(x, s))
        .expect("selected from this library");
    let ci = s
        .cases
        .iter()
        .position(|x| std::ptr::eq(x, c))
        .expect("selected from this suite");
    (si, ci)
}

/// The environment of a prepared run: the target resolved, live servers discovered, the
/// embedded mock started in the modes the run asks for. `run` and `check` share it.
pub async fn build_env(p: &Prepared) -> Result<Env, EnvError> {
    let modes = crate::environment::MockModes {
        faults: p.faults.clone(),
        variants: p.variants.clone(),
        // The embedded mock follows the rules of the profile being graded; a profile no mode
        // serves keeps the default (identity chaining) servers.
        profile: mock_as::MockProfile::for_grading_profile(&p.profile).unwrap_or_default(),
        long_lived: false,
        exchange: p.lib.catalogue.exchange_form(&p.profile),
    };
    Env::build_with(p.target.as_ref(), modes, p.options.insecure).await
}

/// Set up the environment, run the plan, then gate and write reports.
pub async fn run(prepared: Prepared) -> Result<Finished, RunError> {
    let wall = SystemTime::now();
    let started = Instant::now();
    let p = &prepared;
    let env = match build_env(p).await {
        Ok(e) => Arc::new(e),
        Err(EnvError::Invalid(m)) => return Err(RunError::Invalid(m)),
        Err(EnvError::Runtime(m)) => {
            // The target could not be set up (discovery failed, a server is down): no case
            // can run, but CI still gets complete reports saying so, case by case.
            let cases = unreachable_cases(p, &m);
            let targets = crate::run_result::Targets {
                file: p.options.target.as_ref().map(|f| f.display().to_string()),
                insecure: p.options.insecure,
                ..Default::default()
            };
            let mut result = run_result(
                &p.lib.catalogue,
                &p.profile,
                (wall, started.elapsed()),
                targets,
                cases,
                false,
            );
            result.partition = p.options.partition.map(|part| part.to_string());
            let mut finished = finish(&result, &p.options, &Secrets::default());
            finished.setup_error = Some(m);
            return Ok(finished);
        }
    };
    // Kept subject-token sources (refresh token, command, authorization code) are obtained
    // before any case runs; an interactive login shows its URL through the notice then.
    env.tokens.set_notice(p.options.notice.clone());
    // The environment's client: the target's limits and TLS settings (CA bundle, client
    // certificates, --insecure) apply to token sources as to every other request.
    for (_, e) in env.tokens.prefetch(&env.http).await {
        p.options.notice.show(&format!("warning: {e}"));
    }
    let planned = plan(&p.lib, &p.selection(), &p.profile, &env);
    let jobs = usize::from(p.options.jobs.or(env.limits.jobs).unwrap_or(4).max(1));
    let (tx, reporter) = spawn_reporter(p.options.progress, env.secrets.clone());
    let (cases, interrupted) = execute(
        &p.lib,
        &p.profile,
        env.clone(),
        planned,
        jobs,
        p.options.deadline,
        tx.clone(),
    )
    .await;
    let summary = Summary::of(cases.iter().map(|c| &c.verdict));
    let parties = PartySummary::of(&cases);
    let _ = tx.send(RunEvent::Finished { summary, parties });
    drop(tx);
    let _ = reporter.await;
    let mut result = run_result(
        &p.lib.catalogue,
        &p.profile,
        (wall, started.elapsed()),
        env.targets.clone(),
        cases,
        interrupted,
    );
    result.partition = p.options.partition.map(|part| part.to_string());
    let secrets = Secrets {
        values: env.secrets_now(),
    };
    Ok(finish(&result, &p.options, &secrets))
}

/// Every selected case as `error`, not run, because the target could not be set up.
fn unreachable_cases(p: &Prepared, why: &str) -> Vec<CaseResult> {
    p.selection()
        .iter()
        .map(|(s, c)| {
            let level = c
                .requirements
                .iter()
                .filter_map(|r| p.lib.catalogue.level(r, &p.profile))
                .max()
                .unwrap_or(Level::May);
            CaseResult {
                not_run: true,
                ..CaseResult::new(
                    (&s.id, &c.id, &c.title),
                    c.party,
                    c.requirements.clone(),
                    (level, Verdict::Error),
                    format!("not run: the target could not be set up: {why}"),
                )
            }
        })
        .collect()
}

/// The finished run, as every report is written from it (`run`'s and `fuzz`'s): the cases,
/// their summaries, and a row per catalogue requirement they cite.
pub fn run_result(
    catalogue: &Catalogue,
    profile: &str,
    (wall, duration): (SystemTime, Duration),
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
        duration_ms: duration.as_millis() as u64,
        targets,
        summary: Summary::of(cases.iter().map(|c| &c.verdict)),
        parties: PartySummary::of(&cases),
        interrupted,
        requirements: requirement_rows(catalogue, profile, &cases),
        cases,
        partition: None,
        fuzz: None,
    }
}

fn finish(result: &RunResult, options: &RunOptions, secrets: &Secrets) -> Finished {
    finish_reports(result, &options.report, &options.gate, secrets)
}

/// The one finish of `run` and `fuzz`: judge the gate (`--fail-on`, `--expect`, `--baseline`,
/// `--gate`), write every report with the gate's findings, choose the exit code. `chainproof
/// merge` finishes the same way.
pub fn finish_reports(
    result: &RunResult,
    report_options: &ReportOptions,
    gate_options: &GateOptions,
    secrets: &Secrets,
) -> Finished {
    let gate = report::gate(result, gate_options, report_options, secrets);
    let mut exit_code = match &gate {
        Ok(g) => g.exit_code,
        Err(e) => e.exit_code(),
    };
    let written = report::write_reports(result, report_options, secrets, gate.as_ref().ok());
    if let Err(e) = &written {
        exit_code = exit_code.max(e.exit_code());
    }
    Finished {
        setup_error: None,
        gate,
        written,
        exit_code,
    }
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

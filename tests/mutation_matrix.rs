//! Mutation matrix: the harness proves its own worth against the reference mock pair
//! (DESIGN "The reference mock pair"), through the real `chainproof` binary.
//!
//! (a) Against the conformant pair every case passes, or skips with a stated reason.
//! (b) Every fault in `mock_as::Fault::ALL` turns at least one case that cites one of the
//!     fault's requirement IDs from `pass` into the verdict that requirement's level gives in
//!     the profile (MUST → fail, SHOULD → warn, MAY → info), and `--fail-on warn` sets the exit
//!     code accordingly (info does not trip it).
//! (c) Every case that passes on the conformant pair is caught by at least one fault.
//!
//! Every profile mode of the mock (identity chaining, Ena, RFC 8693, ID-JAG) whose grading
//! profile exists gets its own conformant baseline under that profile, and each fault runs
//! under the profile of the mode it breaks (`Fault::mode`).
//!
//! Runs go three at a time. Cases that wait for a grant to expire (a `wait_until_expired`
//! step) run only in the baseline and in the runs of faults that break one of their
//! requirements, so the matrix stays around two minutes on two cores.

use chainproof::run_result::{CaseResult, RunResult};
use chainproof::verdict::{FailOn, Verdict};
use mock_as::{Fault, MockProfile};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

mod common;
use common::LiveTarget;

/// Processes run at the same time (the CI machine has two cores; runs mostly wait on I/O).
const PARALLEL_RUNS: usize = 3;

/// A case as the suite files describe it: `suite/case`, cited IDs, and whether it waits.
struct CaseInfo {
    requirements: Vec<String>,
    slow: bool,
    /// Faults the case's `# breaks with:` comment names (the comment must stay true).
    named_faults: BTreeSet<&'static str>,
}

/// The faults named after `breaks with:` in the comment lines of one case's source text.
fn named_faults(case_source: &str) -> BTreeSet<&'static str> {
    let comments: String = case_source
        .lines()
        .filter_map(|l| l.trim_start().strip_prefix('#'))
        .collect::<Vec<_>>()
        .join(" ");
    let Some((_, named)) = comments.split_once("breaks with:") else {
        return BTreeSet::new();
    };
    let words: BTreeSet<&str> = named
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .collect();
    Fault::ALL
        .iter()
        .map(|f| f.name())
        .filter(|n| words.contains(n))
        .collect()
}

fn suite_cases() -> BTreeMap<String, CaseInfo> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("suites");
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.ends_with(".toml") || name == "requirements.toml" || name == "profiles.toml" {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let doc: toml::Value = toml::from_str(&text).unwrap();
        let suite = doc["suite"]["id"].as_str().unwrap();
        for case in doc["case"].as_array().unwrap() {
            let case_id = case["id"].as_str().unwrap();
            let id = format!("{suite}/{case_id}");
            let start = text
                .find(&format!("[[case]]\nid = \"{case_id}\"\n"))
                .unwrap();
            let end = text[start + 1..]
                .find("\n[[case]]")
                .map_or(text.len(), |e| start + 1 + e);
            let requirements = case["requirements"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_owned())
                .collect();
            let slow = case
                .get("step")
                .and_then(toml::Value::as_array)
                .is_some_and(|steps| {
                    steps
                        .iter()
                        .any(|s| s["action"].as_str() == Some("wait_until_expired"))
                });
            let named_faults = named_faults(&text[start..end]);
            out.insert(
                id,
                CaseInfo {
                    requirements,
                    slow,
                    named_faults,
                },
            );
        }
    }
    out
}

/// One `chainproof run` against the embedded mock pair.
struct Run {
    label: String,
    fault: Option<Fault>,
    /// `--case` filters; empty = every case.
    cases: Vec<String>,
    /// `--profile`; `None` = the catalogue's default (ic-17).
    profile: Option<&'static str>,
}

struct Outcome {
    result: RunResult,
    exit: i32,
    stderr: String,
}

fn execute(run: &Run, out_dir: &Path) -> Outcome {
    let json = out_dir.join(format!("{}.json", run.label));
    let mut cmd = assert_cmd::Command::cargo_bin("chainproof").unwrap();
    cmd.arg("run")
        .args([
            "--fail-on",
            "warn",
            "--progress",
            "none",
            "--deadline",
            "5m",
        ])
        .arg("--out")
        .arg(out_dir.join(&run.label))
        .arg("--json")
        .arg(&json);
    if let Some(f) = run.fault {
        cmd.args(["--mock-fault", f.name()]);
    }
    if let Some(p) = run.profile {
        cmd.args(["--profile", p]);
    }
    for c in &run.cases {
        cmd.args(["--case", c]);
    }
    cmd.timeout(std::time::Duration::from_secs(400));
    let output = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let text = std::fs::read_to_string(&json).unwrap_or_else(|e| {
        panic!(
            "{}: no JSON report at {} ({e}); exit {:?}; stderr:\n{stderr}",
            run.label,
            json.display(),
            output.status.code()
        )
    });
    let result: RunResult = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{}: JSON report does not parse: {e}", run.label));
    Outcome {
        result,
        exit: output.status.code().unwrap_or(-1),
        stderr,
    }
}

/// Run everything, `PARALLEL_RUNS` at a time, slow runs first.
fn execute_all(runs: Vec<Run>, out_dir: &Path) -> BTreeMap<String, Outcome> {
    let queue = Arc::new(Mutex::new(
        runs.into_iter().collect::<std::collections::VecDeque<_>>(),
    ));
    let results = Arc::new(Mutex::new(BTreeMap::new()));
    std::thread::scope(|scope| {
        for _ in 0..PARALLEL_RUNS {
            let queue = Arc::clone(&queue);
            let results = Arc::clone(&results);
            scope.spawn(move || {
                loop {
                    let Some(run) = queue.lock().unwrap().pop_front() else {
                        break;
                    };
                    let outcome = execute(&run, out_dir);
                    results.lock().unwrap().insert(run.label.clone(), outcome);
                }
            });
        }
    });
    Arc::try_unwrap(results).ok().unwrap().into_inner().unwrap()
}

fn by_id(result: &RunResult) -> BTreeMap<String, &CaseResult> {
    result.cases.iter().map(|c| (c.full_id(), c)).collect()
}

fn worst(result: &RunResult) -> Verdict {
    result
        .cases
        .iter()
        .fold(Verdict::Pass, |w, c| w.worst(c.verdict))
}

/// The exit code `--fail-on warn` must produce for this result: a verdict at or above `warn`
/// gives 1 (even beside harness errors), otherwise a harness error gives 2, otherwise 0.
fn expected_exit(result: &RunResult) -> i32 {
    if result.cases.iter().any(|c| c.verdict.trips(FailOn::Warn)) {
        chainproof::exit::CONFORMANCE
    } else if result.cases.iter().any(|c| c.verdict == Verdict::Error) {
        chainproof::exit::RUNTIME
    } else {
        chainproof::exit::OK
    }
}

/// Whether a failed check was graded as its requirement's level says: MUST → fail,
/// SHOULD → warn, MAY → info; or `warn` from a less-preferred member of an allowed set
/// (`one_of` + `prefer`, where vendors legitimately differ) under a MUST or SHOULD.
fn graded_at_level(check: &chainproof::run_result::CheckResult) -> bool {
    let by_level = check.level.failure_verdict();
    check.verdict != Verdict::Pass
        && (check.verdict == by_level
            || (check.verdict == Verdict::Warn
                && by_level == Verdict::Fail
                && check.expected.contains("preferred")))
}

/// Faults no black-box case can reach, with the reason. Kept short and explained: each is a
/// gap in what the harness can obtain from a target, not a case that was forgotten.
const UNREACHABLE: &[(&str, &str)] = &[];

/// Faults whose case only runs against a differently configured mock (see the test named).
const CAUGHT_ELSEWHERE: &[(&str, &str)] = &[];

/// The profile modes the matrix covers, each with the `--profile` it is graded under (`None`
/// for the catalogue's default, which the identity-chaining mode serves). A mode whose grading
/// profile is not in `suites/profiles.toml` yet is left out.
fn graded_profiles() -> Vec<(MockProfile, Option<&'static str>)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("suites/profiles.toml");
    let doc: toml::Value = toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let ids: BTreeSet<&str> = doc["profile"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["id"].as_str())
        .collect();
    MockProfile::ALL
        .iter()
        .filter(|m| ids.contains(m.grading_profile()))
        .map(|&m| {
            let profile = (m != MockProfile::IdentityChaining).then(|| m.grading_profile());
            (m, profile)
        })
        .collect()
}

fn profile_of(
    profiles: &[(MockProfile, Option<&'static str>)],
    mode: MockProfile,
) -> Option<&'static str> {
    profiles
        .iter()
        .find(|(m, _)| *m == mode)
        .and_then(|(_, p)| *p)
}

/// The label of a mode's conformant run (`conformant` for the default servers).
fn baseline_label(mode: MockProfile) -> String {
    if mode == MockProfile::IdentityChaining {
        "conformant".into()
    } else {
        format!("conformant@{}", mode.grading_profile())
    }
}

#[test]
fn mutation_matrix() {
    let cases = suite_cases();
    // Each fault runs the cases that could show it: those citing one of its requirement IDs
    // and those whose `# breaks with:` comment names it. A case that waits for expiry runs
    // only for the faults its comment names, so one slow run overlaps the baseline.
    // One conformant baseline per profile mode whose grading profile exists: the default
    // (ic-17) servers, and the Ena, RFC 8693 and ID-JAG modes under their own profiles.
    let profiles = graded_profiles();
    let mut runs: Vec<Run> = profiles
        .iter()
        .map(|&(mode, profile)| Run {
            label: baseline_label(mode),
            fault: None,
            cases: vec![],
            profile,
        })
        .collect();
    let mut fault_runs: Vec<(bool, Run)> = Vec::new();
    for &f in Fault::ALL {
        let selected: Vec<(&String, &CaseInfo)> = cases
            .iter()
            .filter(|(_, c)| {
                c.named_faults.contains(f.name())
                    || (!c.slow
                        && c.requirements
                            .iter()
                            .any(|r| f.requirements().contains(&r.as_str())))
            })
            .collect();
        if selected.is_empty() || !profiles.iter().any(|(m, _)| *m == f.mode()) {
            continue;
        }
        let slow = selected.iter().any(|(_, c)| c.slow);
        fault_runs.push((
            slow,
            Run {
                label: f.name().to_owned(),
                fault: Some(f),
                cases: selected.into_iter().map(|(id, _)| id.clone()).collect(),
                profile: profile_of(&profiles, f.mode()),
            },
        ));
    }
    fault_runs.sort_by_key(|(slow, _)| !*slow);
    runs.extend(fault_runs.into_iter().map(|(_, r)| r));

    let out_dir: PathBuf = tempfile::tempdir().unwrap().keep();
    let started = std::time::Instant::now();
    let outcomes = execute_all(runs, &out_dir);
    eprintln!(
        "mutation matrix: {} runs in {:.0?} (reports in {})",
        outcomes.len(),
        started.elapsed(),
        out_dir.display()
    );

    let mut problems: Vec<String> = Vec::new();

    // (a) the conformant pair passes everything in every mode (skips need a reason).
    let mut passing: BTreeSet<String> = BTreeSet::new();
    for &(mode, _) in &profiles {
        let label = baseline_label(mode);
        let base = &outcomes[&label];
        let base_cases = by_id(&base.result);
        for id in cases.keys() {
            match base_cases.get(id) {
                None => problems.push(format!("(a) {label}: case {id} missing")),
                Some(c) if c.verdict == Verdict::Pass => {
                    passing.insert(id.clone());
                }
                Some(c) if c.verdict == Verdict::Skip && !c.message.trim().is_empty() => {
                    eprintln!("(a) {label}: skip {id}: {}", c.message)
                }
                Some(c) => problems.push(format!(
                    "(a) {label}: {id} is {} — {}",
                    c.verdict, c.message
                )),
            }
        }
        if base.exit != chainproof::exit::OK {
            problems.push(format!(
                "(a) {label} exits {} (want 0); stderr: {}",
                base.exit, base.stderr
            ));
        }
    }

    // (b) each fault is caught by a case citing its requirements, at the profile's level.
    let mut caught_by: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for &fault in Fault::ALL {
        let Some(outcome) = outcomes.get(fault.name()) else {
            if !UNREACHABLE.iter().any(|(name, _)| *name == fault.name()) {
                problems.push(format!(
                    "(b) fault {fault} ({}): no case cites its requirements or names it",
                    fault.requirements().join(", ")
                ));
            }
            continue;
        };
        let reqs: BTreeSet<&str> = fault.requirements().iter().copied().collect();
        let base_cases = by_id(&outcomes[&baseline_label(fault.mode())].result);
        let mut hits = Vec::new();
        for c in &outcome.result.cases {
            let id = c.full_id();
            let was_pass = base_cases
                .get(&id)
                .is_some_and(|b| b.verdict == Verdict::Pass);
            if !was_pass || !matches!(c.verdict, Verdict::Fail | Verdict::Warn | Verdict::Info) {
                continue;
            }
            caught_by.entry(id.clone()).or_default().push(fault.name());
            let graded = c
                .checks
                .iter()
                .any(|k| reqs.contains(k.requirement.as_str()) && graded_at_level(k));
            if graded && c.requirements.iter().any(|r| reqs.contains(r.as_str())) {
                hits.push(format!("{id} → {}", c.verdict));
            }
        }
        if let Some((_, test)) = CAUGHT_ELSEWHERE.iter().find(|(n, _)| *n == fault.name()) {
            eprintln!("(b) {fault}: caught by the test `{test}`");
            continue;
        }
        let unreachable = UNREACHABLE.iter().find(|(name, _)| *name == fault.name());
        if let Some((_, why)) = unreachable {
            if hits.is_empty() {
                eprintln!("(b) {fault}: not reachable black-box ({why})");
            } else {
                problems.push(format!(
                    "(b) fault {fault} is listed as unreachable but is caught ({}): remove it from UNREACHABLE",
                    hits.join("; ")
                ));
            }
        } else if hits.is_empty() {
            problems.push(format!(
                "(b) fault {fault} ({}) is caught by no case citing its requirements at their level",
                fault.requirements().join(", ")
            ));
        } else {
            eprintln!("(b) {fault}: {}", hits.join("; "));
        }
        let want = expected_exit(&outcome.result);
        if outcome.exit != want {
            problems.push(format!(
                "(b) fault {fault}: exit {} but worst verdict {} under --fail-on warn wants {want}",
                outcome.exit,
                worst(&outcome.result)
            ));
        }
    }

    // (c) every case that passes on a conformant baseline is caught by some fault.
    for id in &passing {
        if !caught_by.contains_key(id) {
            problems.push(format!("(c) case {id} is caught by no fault"));
        }
    }

    // The suites' `# breaks with:` comments are documentation readers rely on: each named
    // fault must really break that case.
    for (id, info) in &cases {
        let caught: BTreeSet<&str> = caught_by.get(id).into_iter().flatten().copied().collect();
        if info.named_faults.is_empty() {
            problems.push(format!(
                "case {id}: its `# breaks with:` comment names no known fault"
            ));
        }
        let elsewhere = |f: &&str| CAUGHT_ELSEWHERE.iter().any(|(n, _)| n == f);
        for f in info
            .named_faults
            .difference(&caught)
            .filter(|f| !elsewhere(f))
        {
            problems.push(format!(
                "case {id}: comment says it breaks with {f}, but that run did not catch it (caught by: {})",
                caught.iter().copied().collect::<Vec<_>>().join(", ")
            ));
        }
    }
    let map: BTreeMap<&String, &Vec<&str>> = caught_by.iter().collect();
    std::fs::write(
        out_dir.join("caught_by.json"),
        serde_json::to_string_pretty(&map).unwrap(),
    )
    .unwrap();

    assert!(
        problems.is_empty(),
        "mutation matrix:\n  {}",
        problems.join("\n  ")
    );
}

/// The same fault is graded by the profile: a replayed grant is a MAY-level observation in
/// ic-17 and a failure under ena-1.0 (single-use grants); an unmapped subject is a failure
/// in ic-17 and a warning in ic-01 (SHOULD deny until -11); scope escalation at AS-A is info
/// in ic-17 and a warning in ic-14. `--fail-on warn` gates accordingly.
#[test]
fn profiles_set_the_grade() {
    let table: &[(&str, Fault, &str, &str, Verdict, i32)] = &[
        (
            "replay-ic17",
            Fault::AllowReplay,
            "ic-17",
            "replay/same-grant-twice",
            Verdict::Info,
            0,
        ),
        (
            "replay-ena",
            Fault::AllowReplay,
            "ena-1.0",
            "replay/same-grant-twice",
            Verdict::Fail,
            1,
        ),
        (
            "unmapped-ic17",
            Fault::AcceptUnmappedSubject,
            "ic-17",
            "subject-mapping/unmapped-subject-denied",
            Verdict::Fail,
            1,
        ),
        (
            "unmapped-ic01",
            Fault::AcceptUnmappedSubject,
            "ic-01",
            "subject-mapping/unmapped-subject-denied",
            Verdict::Warn,
            1,
        ),
        (
            "scope-ic17",
            Fault::ScopeEscalation,
            "ic-17",
            "token-exchange/scope-not-escalated",
            Verdict::Info,
            0,
        ),
        (
            "scope-ic14",
            Fault::ScopeEscalation,
            "ic-14",
            "token-exchange/scope-not-escalated",
            Verdict::Warn,
            1,
        ),
        (
            "refresh-ic17",
            Fault::ExchangeRefreshToken,
            "ic-17",
            "refresh-tokens/as-a-issues-no-refresh-token-with-grant",
            Verdict::Info,
            0,
        ),
        (
            "refresh-ena",
            Fault::ExchangeRefreshToken,
            "ena-1.0",
            "refresh-tokens/as-a-issues-no-refresh-token-with-grant",
            Verdict::Fail,
            1,
        ),
    ];
    let runs = table
        .iter()
        .map(|(label, fault, profile, case, _, _)| Run {
            label: (*label).to_owned(),
            fault: Some(*fault),
            cases: vec![(*case).to_owned()],
            profile: Some(profile),
        })
        .collect();
    let out_dir: PathBuf = tempfile::tempdir().unwrap().keep();
    let outcomes = execute_all(runs, &out_dir);
    let mut problems = Vec::new();
    for (label, _, profile, case, want, want_exit) in table {
        let o = &outcomes[*label];
        assert_eq!(
            o.result.profile, *profile,
            "{label}: report names the profile"
        );
        let got = by_id(&o.result).get(*case).map(|c| c.verdict);
        if got != Some(*want) || o.exit != *want_exit {
            problems.push(format!(
                "{label}: {case} under {profile} is {got:?} with exit {} (want {want} and exit {want_exit})",
                o.exit
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// `token-exchange/expired-subject-token` against the reference pair driven as a *live* target
/// through a target file (the embedded mock's seconds-long lifetimes do not apply there): with
/// four-second user tokens the case passes against the conformant pair and fails under
/// `accept-expired-subject-token`.
#[test]
fn expired_subject_token_against_short_lived_mock() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let dir = tempfile::tempdir().unwrap();
    for (label, faults, want, want_exit) in [
        ("conformant", vec![], Verdict::Pass, 0),
        (
            "faulty",
            vec![Fault::AcceptExpiredSubjectToken],
            Verdict::Fail,
            1,
        ),
    ] {
        let mut config = mock_as::MockConfig::default();
        config.as_a.access_token_lifetime_secs = 4;
        let pair = rt
            .block_on(mock_as::MockPair::start(mock_as::MockOptions {
                config,
                faults,
                ..mock_as::MockOptions::default()
            }))
            .unwrap();
        let f = pair.facts().clone();
        let target = LiveTarget::new(&f)
            .via_env("as_a.client.secret", "CP_TEST_A_SECRET")
            .set("as_a.client.auth", "basic")
            .via_env("as_a.subject_token.password", "CP_TEST_PASSWORD")
            .scopes()
            .set("limits.max_wait_secs", 30)
            .set("limits.clock_leeway_secs", 1)
            .write(dir.path(), &format!("{label}.toml"));
        let json = dir.path().join(format!("{label}.json"));
        let output = assert_cmd::Command::cargo_bin("chainproof")
            .unwrap()
            .args(["run", "--progress", "none", "--fail-on", "warn"])
            .arg("--target")
            .arg(&target)
            .args(["--case", "token-exchange/expired-subject-token"])
            .arg("--out")
            .arg(dir.path().join(label))
            .arg("--json")
            .arg(&json)
            .env("CP_TEST_A_SECRET", &f.client_secret)
            .env("CP_TEST_PASSWORD", &f.user.1)
            .timeout(std::time::Duration::from_secs(60))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        let text = std::fs::read_to_string(&json)
            .unwrap_or_else(|e| panic!("{label}: no report ({e}); stderr:\n{stderr}"));
        let result: RunResult = serde_json::from_str(&text).unwrap();
        let case = by_id(&result)
            .get("token-exchange/expired-subject-token")
            .map(|c| (c.verdict, c.message.clone()));
        assert_eq!(
            case.as_ref().map(|c| c.0),
            Some(want),
            "{label}: {case:?}; stderr:\n{stderr}"
        );
        assert_eq!(output.status.code(), Some(want_exit), "{label}: exit code");
        drop(pair);
    }
}

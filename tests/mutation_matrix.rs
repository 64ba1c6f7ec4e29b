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
//! Runs go three at a time. Cases that wait for a grant to expire (a `wait_until_expired`
//! step) run only in the baseline and in the runs of faults that break one of their
//! requirements, so the matrix stays around two minutes on two cores.

use chainproof::run_result::{CaseResult, RunResult};
use chainproof::verdict::Verdict;
use mock_as::Fault;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Processes run at the same time (the CI machine has two cores; runs mostly wait on I/O).
const PARALLEL_RUNS: usize = 3;

/// A case as the suite files describe it: `suite/case`, cited IDs, and whether it waits.
struct CaseInfo {
    requirements: Vec<String>,
    slow: bool,
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
        let doc: toml::Value = toml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let suite = doc["suite"]["id"].as_str().unwrap();
        for case in doc["case"].as_array().unwrap() {
            let id = format!("{suite}/{}", case["id"].as_str().unwrap());
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
            out.insert(id, CaseInfo { requirements, slow });
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

/// The exit code `--fail-on warn` must produce for this result.
fn expected_exit(result: &RunResult) -> Vec<i32> {
    let trips = result
        .cases
        .iter()
        .any(|c| c.verdict.trips(chainproof::verdict::FailOn::Warn));
    let errors = result.cases.iter().any(|c| c.verdict == Verdict::Error);
    match (trips, errors) {
        (true, false) => vec![chainproof::exit::CONFORMANCE],
        (false, false) => vec![chainproof::exit::OK],
        // A harness error in the same run may take precedence over the conformance code.
        (true, true) => vec![chainproof::exit::CONFORMANCE, chainproof::exit::RUNTIME],
        (false, true) => vec![chainproof::exit::RUNTIME],
    }
}

#[test]
fn mutation_matrix() {
    let cases = suite_cases();
    let fast: Vec<String> = cases
        .iter()
        .filter(|(_, c)| !c.slow)
        .map(|(id, _)| id.clone())
        .collect();
    let slow_reqs: BTreeSet<&str> = cases
        .values()
        .filter(|c| c.slow)
        .flat_map(|c| c.requirements.iter().map(String::as_str))
        .collect();

    let mut runs = vec![Run {
        label: "conformant".into(),
        fault: None,
        cases: vec![],
    }];
    let (mut slow_runs, mut fast_runs): (Vec<Run>, Vec<Run>) = Fault::ALL
        .iter()
        .map(|&f| {
            let needs_slow = f.requirements().iter().any(|r| slow_reqs.contains(r));
            Run {
                label: f.name().to_owned(),
                fault: Some(f),
                cases: if needs_slow { vec![] } else { fast.clone() },
            }
        })
        .partition(|r| r.cases.is_empty());
    runs.append(&mut slow_runs);
    runs.append(&mut fast_runs);

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

    // (a) the conformant pair passes everything (skips need a reason).
    let base = &outcomes["conformant"];
    let base_cases = by_id(&base.result);
    for id in cases.keys() {
        match base_cases.get(id) {
            None => problems.push(format!("(a) case {id} missing from the conformant run")),
            Some(c) if c.verdict == Verdict::Pass => {}
            Some(c) if c.verdict == Verdict::Skip && !c.message.trim().is_empty() => {
                eprintln!("(a) skip {id}: {}", c.message)
            }
            Some(c) => problems.push(format!(
                "(a) conformant mock: {id} is {} — {}",
                c.verdict, c.message
            )),
        }
    }
    if base.exit != chainproof::exit::OK {
        problems.push(format!(
            "(a) conformant run exits {} (want 0); stderr: {}",
            base.exit, base.stderr
        ));
    }

    // (b) each fault is caught by a case citing its requirements, at the profile's level.
    let mut caught_by: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for &fault in Fault::ALL {
        let outcome = &outcomes[fault.name()];
        let reqs: BTreeSet<&str> = fault.requirements().iter().copied().collect();
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
            let graded = c.checks.iter().any(|k| {
                reqs.contains(k.requirement.as_str())
                    && k.verdict != Verdict::Pass
                    && k.verdict == k.level.failure_verdict()
            });
            if graded && c.requirements.iter().any(|r| reqs.contains(r.as_str())) {
                hits.push(format!("{id} → {}", c.verdict));
            }
        }
        if hits.is_empty() {
            problems.push(format!(
                "(b) fault {fault} ({}) is caught by no case citing its requirements at their level",
                fault.requirements().join(", ")
            ));
        } else {
            eprintln!("(b) {fault}: {}", hits.join("; "));
        }
        let want = expected_exit(&outcome.result);
        if !want.contains(&outcome.exit) {
            problems.push(format!(
                "(b) fault {fault}: exit {} but worst verdict {} under --fail-on warn wants {want:?}",
                outcome.exit,
                worst(&outcome.result)
            ));
        }
    }

    // (c) every case that passes on the conformant pair is caught by some fault.
    for (id, c) in &base_cases {
        if c.verdict == Verdict::Pass && !caught_by.contains_key(id) {
            problems.push(format!("(c) case {id} is caught by no fault"));
        }
    }

    assert!(
        problems.is_empty(),
        "mutation matrix:\n  {}",
        problems.join("\n  ")
    );
}

//! Variant matrix: the harness gives servers that behave as the specifications allow the
//! verdicts they deserve (issue "Verdicts that hold against servers we did not write").
//!
//! Every legal variant of the reference mock (`mock_as::Variant::ALL`) alone, and a handful of
//! combinations, run every suite through the real `chainproof` binary against the embedded
//! mock pair under ic-17 (those it allows); every variant a profile allows runs alone under
//! ena-1.0, rfc8693 and id-jag against the mock in that profile's mode (`run --profile P`); and
//! every variant only an overlay allows (MCP's IdP requiring `resource`) runs under that
//! overlay (id-jag-mcp). Each run must end with 0 fail and 0 error, a `warn` only on a case the variant's
//! `expected_warns` names (a SHOULD or a preference a spec text states), and every `skip` with
//! a reason. The mirror of `tests/mutation_matrix.rs`, which shows that faults are caught.
//!
//! The embedded mock's tokens live seconds, so the runs go three at a time (as the mutation
//! matrix's do): more at once on two cores can delay a step past a token's expiry.

use chainproof::run_result::RunResult;
use chainproof::verdict::Verdict;
use mock_as::{MockProfile, Variant};
use std::collections::VecDeque;
use std::path::Path;
use std::sync::{Arc, Mutex};

const PARALLEL_RUNS: usize = 3;

/// Combinations: servers that differ from the mock in several allowed ways at once.
const COMBINATIONS: &[&[Variant]] = &[
    // A minimal deployment: no optional feature at all.
    &[
        Variant::NoDpop,
        Variant::AsBNoClientAuth,
        Variant::NoRsMetadata,
        Variant::NoReplayCache,
        Variant::NoChainingTypesMetadata,
    ],
    // A grant shaped differently in every allowed way.
    &[
        Variant::GrantAudArray,
        Variant::GrantTypJwt,
        Variant::ExtraGrantClaims,
        Variant::KeyRotation,
    ],
    // A strict, terse AS-B.
    &[
        Variant::AsBRequiresClientAuth,
        Variant::NoErrorDescription,
        Variant::InvalidClient400WithoutHeader,
        Variant::Leeway60,
    ],
    // Different subject, scope and key choices.
    &[
        Variant::SubjectPassthrough,
        Variant::ScopeOmittedWhenEqual,
        Variant::SeveralKeys,
        Variant::RsaAndEcKeys,
        Variant::GrantAudTokenEndpoint,
    ],
];

/// Profile modes besides identity chaining whose legal variants run under the mode's grading
/// profile (`chainproof run --profile P` starts the embedded mock in P's mode): every profile
/// has its own variant runs (issue 10 item 4). A variant a profile forbids is left out with the
/// reason `Variant::illegal_in` cites (e.g. typ JWT under ID-JAG, whose grants MUST be typed
/// oauth-id-jag+jwt); the test prints those reasons.
const OTHER_MODES: &[MockProfile] = &[MockProfile::Ena, MockProfile::Rfc8693, MockProfile::IdJag];

/// Overlay grading profiles and the mode that serves them: their extra legal variants run
/// under them (`Variant::illegal_under`).
const OVERLAYS: &[(&str, MockProfile)] = &[("id-jag-mcp", MockProfile::IdJag)];

/// Wrong verdicts the matrix has found and that are not fixed yet: (run label, case, why). Each
/// is reported on every run; the test fails when one is fixed (remove it) or a new one appears.
const KNOWN_WRONG: &[(&str, &str, &str)] = &[];

struct Run {
    label: String,
    variants: Vec<Variant>,
    /// `--profile` (none: the default, ic-17).
    profile: Option<&'static str>,
}

fn execute(run: &Run, out_dir: &Path) -> Result<RunResult, String> {
    let json = out_dir.join(format!("{}.json", run.label));
    let mut cmd = assert_cmd::Command::cargo_bin("chainproof").unwrap();
    cmd.args(["run", "--progress", "none", "--deadline", "5m"])
        .arg("--out")
        .arg(out_dir.join(&run.label))
        .arg("--json")
        .arg(&json);
    for v in &run.variants {
        cmd.args(["--mock-variant", v.name()]);
    }
    if let Some(p) = run.profile {
        cmd.args(["--profile", p]);
    }
    cmd.timeout(std::time::Duration::from_secs(400));
    let output = cmd.output().map_err(|e| e.to_string())?;
    let text = std::fs::read_to_string(&json).map_err(|e| {
        format!(
            "no JSON report ({e}); exit {:?}; stderr:\n{}",
            output.status.code(),
            String::from_utf8_lossy(&output.stderr)
        )
    })?;
    serde_json::from_str(&text).map_err(|e| format!("JSON report does not parse: {e}"))
}

fn execute_all(runs: Vec<Run>, out_dir: &Path) -> Vec<(Run, Result<RunResult, String>)> {
    let queue = Arc::new(Mutex::new(runs.into_iter().collect::<VecDeque<_>>()));
    let results = Arc::new(Mutex::new(Vec::new()));
    std::thread::scope(|scope| {
        for _ in 0..PARALLEL_RUNS {
            let (queue, results) = (Arc::clone(&queue), Arc::clone(&results));
            scope.spawn(move || {
                loop {
                    // Take the lock only to pop: the guard must not live across the run.
                    let next = queue.lock().unwrap().pop_front();
                    let Some(run) = next else { break };
                    let outcome = execute(&run, out_dir);
                    results.lock().unwrap().push((run, outcome));
                }
            });
        }
    });
    let mut out = Arc::try_unwrap(results).ok().unwrap().into_inner().unwrap();
    out.sort_by(|a, b| a.0.label.cmp(&b.0.label));
    out
}

#[test]
fn variant_matrix() {
    let mut runs: Vec<Run> = Variant::ALL
        .iter()
        .filter(|v| v.legal_in(MockProfile::IdentityChaining))
        .map(|&v| Run {
            label: v.name().to_owned(),
            variants: vec![v],
            profile: None,
        })
        .collect();
    for combo in COMBINATIONS {
        runs.push(Run {
            label: combo.iter().map(|v| v.name()).collect::<Vec<_>>().join("+"),
            variants: combo.to_vec(),
            profile: None,
        });
    }
    // Each other mode: every variant legal there, alone, under that mode's grading profile.
    for &mode in OTHER_MODES {
        for &v in Variant::ALL {
            if let Some(why) = v.illegal_in(mode) {
                eprintln!("{}: {} not run: {why}", mode.grading_profile(), v.name());
                continue;
            }
            runs.push(Run {
                label: format!("{}.{}", mode.grading_profile(), v.name()),
                variants: vec![v],
                profile: Some(mode.grading_profile()),
            });
        }
    }
    // Overlay profiles: each variant an overlay allows but its mode's own profile forbids
    // (MCP's `id-jag-mcp` lets the IdP require `resource`), under the overlay.
    for (overlay, mode) in OVERLAYS {
        for &v in Variant::ALL {
            if v.illegal_under(overlay).is_none() && !v.legal_in(*mode) {
                runs.push(Run {
                    label: format!("{overlay}.{}", v.name()),
                    variants: vec![v],
                    profile: Some(overlay),
                });
            }
        }
    }
    // Runs with 60 s of leeway wait a minute longer for every expiry case: start them first so
    // their waits overlap the short runs (about 4 s each) instead of ending the matrix.
    runs.sort_by_key(|r| !r.variants.contains(&Variant::Leeway60));
    let out_dir = tempfile::tempdir().unwrap().keep();
    let started = std::time::Instant::now();
    let outcomes = execute_all(runs, &out_dir);
    eprintln!(
        "variant matrix: {} runs in {:.0?} (reports in {})",
        outcomes.len(),
        started.elapsed(),
        out_dir.display()
    );
    for profile in ["ic-17", "ena-1.0", "rfc8693", "id-jag", "id-jag-mcp"] {
        let n = outcomes
            .iter()
            .filter(|(r, _)| r.profile.unwrap_or("ic-17") == profile)
            .count();
        eprintln!("variant matrix: {profile}: {n} runs");
    }

    let mut problems = Vec::new();
    for (run, outcome) in &outcomes {
        let result = match outcome {
            Ok(r) => r,
            Err(e) => {
                problems.push(format!("{}: {e}", run.label));
                continue;
            }
        };
        let allowed_warns: Vec<&str> = run
            .variants
            .iter()
            .flat_map(|v| v.expected_warns().iter().copied())
            .collect();
        for c in &result.cases {
            let id = c.full_id();
            let bad = match c.verdict {
                Verdict::Pass | Verdict::Info => None,
                Verdict::Warn if allowed_warns.contains(&id.as_str()) => None,
                Verdict::Skip if !c.message.trim().is_empty() => None,
                v => Some(v),
            };
            let known = KNOWN_WRONG
                .iter()
                .find(|(label, case, _)| *label == run.label && *case == id);
            if let Some((_, _, why)) = known {
                if bad.is_some() {
                    eprintln!("known wrong verdict: {}: {id}: {why}", run.label);
                } else {
                    problems.push(format!(
                        "{}: {id} is right now: remove it from KNOWN_WRONG",
                        run.label
                    ));
                }
                continue;
            }
            if let Some(v) = bad {
                let failed: Vec<String> = c
                    .checks
                    .iter()
                    .filter(|k| k.verdict != Verdict::Pass)
                    .map(|k| format!("[{}] {}: {}", k.requirement, k.description, k.actual))
                    .collect();
                problems.push(format!(
                    "{}: {id} is {v} — {} {}",
                    run.label,
                    c.message,
                    failed.join("; ")
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} verdicts wrong on conformant variants:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// `chainproof mock --list-variants`: one line per variant, `name\tIDs\tdescription`.
#[test]
fn list_variants_format() {
    let out = assert_cmd::Command::cargo_bin("chainproof")
        .unwrap()
        .args(["mock", "--list-variants"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), Variant::ALL.len());
    for (line, v) in lines.iter().zip(Variant::ALL) {
        let fields: Vec<&str> = line.split('\t').collect();
        assert_eq!(fields.len(), 3, "{line}");
        assert_eq!(fields[0], v.name());
        assert_eq!(fields[1], v.requirements().join(","));
        assert!(
            fields[2].contains("RFC") || fields[2].contains("IC-17"),
            "{line}"
        );
    }
}

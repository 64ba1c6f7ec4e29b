//! Attribution test (issue 8): a fault of one party is charged to that party only.
//!
//! - An AS-A fault that corrupts grants fails AS-A cases only: every AS-B and RS-B case passes
//!   (on a harness-minted grant, saying so) or is `blocked` naming a root-cause case that does
//!   fail.
//! - Without harness-issuer mode the same faults leave 0 AS-B and RS-B failures.
//! - The other way round: an AS-B fault fails no RS-B case; a blocked RS-B case names AS-B.
//!
//! Runs the embedded mock pair through the library (no process per run); cases that wait for
//! a grant to expire are left out to keep each run at a few seconds.

use chainproof::environment::Env;
use chainproof::party::Party;
use chainproof::run::{execute, plan, select};
use chainproof::run_result::CaseResult;
use chainproof::suite::load::Library;
use chainproof::verdict::Verdict;
use std::collections::BTreeMap;
use std::sync::Arc;

async fn run(fault: &str, harness: bool) -> Vec<CaseResult> {
    let lib = Library::load(None).unwrap();
    let profile = "ic-17";
    let mut env = Env::build(None, vec![fault.parse().unwrap()], Vec::new())
        .await
        .unwrap();
    if !harness {
        env.harness = None;
    }
    let env = Arc::new(env);
    let selected: Vec<_> = select(&lib.suites, &[], &[])
        .unwrap()
        .into_iter()
        .filter(|(_, c)| !c.is_slow())
        .collect();
    let planned = plan(&lib, &selected, profile, &env);
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let (cases, interrupted) = execute(&lib, profile, env, planned, 4, None, tx).await;
    assert!(!interrupted);
    cases
}

/// Checks the run's attribution for a fault of `culprit`; returns (blocked, harness grants).
fn assert_charged_to(fault: &str, culprit: Party, cases: &[CaseResult]) -> (usize, usize) {
    let by_id: BTreeMap<String, &CaseResult> = cases.iter().map(|c| (c.full_id(), c)).collect();
    assert!(
        cases.iter().any(|c| c.party == culprit
            && matches!(c.verdict, Verdict::Fail | Verdict::Warn | Verdict::Info)),
        "{fault}: no {culprit} case caught the fault"
    );
    let mut blocked = 0;
    let mut harness_grants = 0;
    for c in cases {
        let downstream = match culprit {
            Party::AsA => matches!(c.party, Party::AsB | Party::Rs),
            _ => c.party == Party::Rs,
        };
        if !downstream {
            continue;
        }
        let id = c.full_id();
        match c.verdict {
            Verdict::Pass | Verdict::Skip => {}
            Verdict::Blocked => {
                blocked += 1;
                assert_eq!(c.blocked_by, Some(culprit), "{fault}: {id}: {}", c.message);
                let (_, graded) = c
                    .message
                    .split_once("graded by ")
                    .unwrap_or_else(|| panic!("{fault}: {id} names no root cause: {}", c.message));
                let roots: Vec<&str> = graded.split(", ").map(str::trim).collect();
                assert!(
                    roots
                        .iter()
                        .any(|r| by_id.get(*r).is_some_and(|rc| rc.party == culprit
                            && matches!(
                                rc.verdict,
                                Verdict::Fail | Verdict::Warn | Verdict::Info
                            ))),
                    "{fault}: {id} names {roots:?}, none of which caught the fault: {}",
                    c.message
                );
            }
            v => panic!(
                "{fault}: {id} ({}) is {v}, charged to the wrong party: {}",
                c.party, c.message
            ),
        }
        if c.message.contains("harness-minted grant") {
            harness_grants += 1;
        }
    }
    (blocked, harness_grants)
}

/// AS-A faults that make its grants unusable at AS-B.
const GRANT_FAULTS: &[&str] = &["grant-aud-wrong", "grant-missing-exp", "grant-iss-mismatch"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn as_a_grant_faults_are_charged_to_as_a_with_harness_grants() {
    for fault in GRANT_FAULTS {
        let cases = run(fault, true).await;
        let (_, harness_grants) = assert_charged_to(fault, Party::AsA, &cases);
        assert!(
            harness_grants > 0,
            "{fault}: no AS-B case used a harness grant"
        );
        // A harness grant is shown in the transcript too.
        assert!(
            cases
                .iter()
                .any(|c| c.transcript.iter().any(|e| e.request.method == "HARNESS"))
        );
    }
}

/// A grant without `sub` cannot be repaired (whose subject it is is AS-A's answer): the AS-B
/// cases that need it are blocked even with a harness issuer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_grant_without_sub_blocks_even_with_a_harness_issuer() {
    let cases = run("grant-missing-sub", true).await;
    let (blocked, harness_grants) = assert_charged_to("grant-missing-sub", Party::AsA, &cases);
    assert!(blocked > 0);
    assert_eq!(harness_grants, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_harness_issuer_as_b_is_blocked_never_failed() {
    for fault in GRANT_FAULTS.iter().chain(&["grant-missing-sub"]) {
        let cases = run(fault, false).await;
        let (blocked, harness_grants) = assert_charged_to(fault, Party::AsA, &cases);
        assert_eq!(harness_grants, 0);
        assert!(blocked > 0, "{fault}: nothing was blocked");
        let fails = cases
            .iter()
            .filter(|c| c.party == Party::AsB && c.verdict == Verdict::Fail)
            .count();
        assert_eq!(fails, 0, "{fault}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn as_b_faults_are_charged_to_as_b_not_rs_b() {
    for fault in ["drop-cnf", "dpop-token-type-bearer"] {
        let cases = run(fault, true).await;
        let (blocked, _) = assert_charged_to(fault, Party::AsB, &cases);
        assert!(blocked > 0, "{fault}: no RS-B case was blocked");
    }
}

//! Verdict grading end to end against the embedded mock, with private requirement IDs
//! (tests/fixtures/verdicts): MUST → fail, SHOULD → warn, MAY → info, non-preferred member →
//! warn, no applicable check → error, unresolved harness `${...}` → error, a value missing
//! from a server response → graded; and profiles change levels.

use assert_cmd::cargo::CommandCargoExt;
use serde_json::Value;
use std::collections::BTreeMap;
use std::process::Command;

mod common;

fn run(profile: &str) -> (Option<i32>, BTreeMap<String, Value>, Value) {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::cargo_bin("chainproof")
        .unwrap()
        .args([
            "run",
            "--progress",
            "none",
            "--suite",
            "verdicts",
            "--profile",
            profile,
            "--suites",
        ])
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/verdicts"
        ))
        .arg("--out")
        .arg(dir.path())
        .output()
        .unwrap();
    let report = common::read_report(&dir.path().join("report.json"), &out.stderr);
    let cases = common::cases(&report)
        .iter()
        .map(|c| (c["case"].as_str().unwrap().to_string(), c.clone()))
        .collect();
    (out.status.code(), cases, report)
}

#[test]
fn verdicts_follow_levels_and_profiles() {
    let (code, cases, report) = run("ic-17");
    let verdict = |id: &str| cases[id]["verdict"].as_str().unwrap().to_string();
    assert_eq!(
        verdict("pass-dpop-chain"),
        "pass",
        "{}",
        cases["pass-dpop-chain"]
    );
    assert_eq!(verdict("must-fails"), "fail");
    assert_eq!(verdict("should-warns"), "warn");
    assert_eq!(verdict("may-informs"), "info");
    assert_eq!(
        verdict("dispreferred-warns"),
        "warn",
        "{}",
        cases["dispreferred-warns"]
    );
    assert_eq!(verdict("no-applicable-check"), "error");
    assert!(
        cases["no-applicable-check"]["message"]
            .as_str()
            .unwrap()
            .contains("no applicable check")
    );
    assert_eq!(verdict("unresolved-interpolation"), "error");
    assert!(
        cases["unresolved-interpolation"]["message"]
            .as_str()
            .unwrap()
            .contains("unresolved ${f.claims.no_such_member}")
    );
    // The server's response lacked what the flow needs: a conformance verdict at the case's
    // level, the checks on steps that ran still graded, the step that never ran not graded.
    let omitted = &cases["server-omits-needed-value"];
    assert_eq!(verdict("server-omits-needed-value"), "fail", "{omitted}");
    assert!(
        omitted["message"]
            .as_str()
            .unwrap()
            .contains("could not run")
    );
    let checks = omitted["checks"].as_array().unwrap();
    assert_eq!(checks.len(), 2, "{omitted}");
    assert_eq!(checks[0]["verdict"], "pass");
    assert_eq!(checks[1]["verdict"], "fail");
    assert_eq!(
        verdict("replays-are-refused"),
        "pass",
        "{}",
        cases["replays-are-refused"]
    );
    let fail = &cases["must-fails"]["checks"][0];
    assert_eq!(fail["actual"], 200);
    assert_eq!(fail["expected"], "== 599");
    assert_eq!(fail["level"], "MUST");
    assert_eq!(code, Some(1), "a fail gates with exit 1");
    // Requirement rows carry the profile's level and the worst verdict of their cases.
    let rows = report["requirements"].as_array().unwrap();
    let must = rows.iter().find(|r| r["id"] == "RUNNER-MUST").unwrap();
    assert_eq!(must["level"], "MUST");
    assert_eq!(must["verdict"], "error");

    // ic-01 lowers RUNNER-MUST to SHOULD (its own level), the rest falls back to ic-17.
    let (code, cases, _) = run("ic-01");
    assert_eq!(cases["must-fails"]["verdict"], "warn");
    assert_eq!(cases["may-informs"]["verdict"], "info");
    assert_eq!(code, Some(2), "no fail left, but errors remain: exit 2");
}

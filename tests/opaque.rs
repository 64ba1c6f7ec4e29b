//! Opaque access tokens: the mock AS-B in `opaque_access_tokens` mode issues handles, not JWTs,
//! and offers RFC 7662 introspection; the subject-mapping and `cnf` cases still reach their
//! verdicts through the claims the harness introspects.

use assert_cmd::cargo::CommandCargoExt;
use mock_as::{MockOptions, MockPair};
use serde_json::Value;
use std::process::Command;

mod common;
use common::LiveTarget;

const CASES: [&str; 5] = [
    "subject-mapping/mapped-subject-reaches-as-b",
    "subject-mapping/access-token-audience-is-resource",
    "subject-mapping/mapped-subject-reaches-rs-b",
    "requested-cnf/as-b-binds-access-token",
    "requested-cnf/rs-enforces-binding",
];

/// Run the cases against the pair; `introspect` gives the harness AS-B client credentials.
fn run(pair: &MockPair, introspect: bool) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let mut target = LiveTarget::new(pair.facts()).set("as_b.dpop", true).rs();
    if introspect {
        target = target.client_at_b();
    }
    let target = target.write(dir.path(), "target.toml");
    let mut cmd = Command::cargo_bin("chainproof").unwrap();
    cmd.args(["run", "--progress", "none", "--target"])
        .arg(target)
        .arg("--out")
        .arg(dir.path().join("out"));
    for c in CASES {
        cmd.args(["--case", c]);
    }
    let out = cmd.output().unwrap();
    common::read_report(&dir.path().join("out/report.json"), &out.stderr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subject_mapping_and_cnf_reach_verdicts_through_introspection() {
    let mut options = MockOptions::default();
    options.config.as_b.opaque_access_tokens = true;
    let pair = MockPair::start(options).await.unwrap();
    let report = tokio::task::block_in_place(|| run(&pair, true));
    let cases = common::cases(&report);
    assert_eq!(cases.len(), CASES.len(), "{report}");
    for c in cases {
        assert_eq!(c["verdict"], "pass", "{c}");
    }
    let check = |case: &str, what: &str| -> Value {
        common::find_case(&report, case)
            .and_then(|c| {
                c["checks"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|k| k["description"].as_str().unwrap().contains(what))
                    .cloned()
            })
            .unwrap_or_else(|| panic!("{case}: no check `{what}` was graded: {report}"))
    };
    // The claims came from introspection: the token itself is opaque.
    let sub = check("mapped-subject-reaches-as-b", "names the mapped subject");
    assert_eq!(sub["verdict"], "pass", "{sub}");
    let cnf = check("as-b-binds-access-token", "carries cnf.jkt");
    assert_eq!(cnf["verdict"], "pass", "{cnf}");
    // The opaque token's audience is judged too, from the introspected `aud`.
    let aud = check("access-token-audience-is-resource", "audience-restricted");
    assert_eq!(aud["verdict"], "pass", "{aud}");
    let case = cases
        .iter()
        .find(|c| c["case"] == "mapped-subject-reaches-as-b")
        .unwrap();
    let transcript = case["transcript"].as_array().unwrap();
    assert!(
        transcript
            .iter()
            .any(|e| e["step"].as_str().unwrap().ends_with(".introspect")
                && e["response"]["status"] == 200),
        "{case}"
    );
    let token = transcript
        .iter()
        .find(|e| e["step"] == "y")
        .map(|e| e["response"]["body"].as_str().unwrap().to_string())
        .unwrap();
    // The opaque handle is the whole credential: the report removes it (a JWT would keep its
    // claims and lose only its signature), here and wherever it was sent again.
    assert!(
        token.contains(r#""access_token":"[REDACTED]""#),
        "AS-B's opaque token is redacted: {token}"
    );
    let text = report.to_string();
    let leaked = text.match_indices("opaque.").any(|(i, m)| {
        let rest = &text[i + m.len()..];
        rest.len() >= 32 && rest[..32].bytes().all(|b| b.is_ascii_hexdigit())
    });
    assert!(!leaked, "an opaque access token appears in report.json");

    // Without credentials for introspection the claims cannot be seen: the cases that need
    // them are skipped, saying why, never passed or failed.
    let report = tokio::task::block_in_place(|| run(&pair, false));
    let case = common::case(&report, "mapped-subject-reaches-as-b").clone();
    common::assert_verdict(&case, "skip", "AS-B's access token is opaque");
    // An unseen audience is a skip, not a pass on the status alone.
    let case = common::case(&report, "access-token-audience-is-resource").clone();
    common::assert_verdict(&case, "skip", "shows no aud");
}

/// The embedded mock in its opaque mode, from the command line (`--mock-variant
/// opaque-access-tokens`): the subject-mapping and `cnf` cases reach verdicts through
/// introspection, and the checks of scope and binding read the introspected claims.
#[test]
fn the_embedded_opaque_mode_reaches_verdicts_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::cargo_bin("chainproof")
        .unwrap()
        .args([
            "run",
            "--progress",
            "none",
            "--mock-variant",
            "opaque-access-tokens",
            "--case",
            "subject-mapping/mapped-*",
            "--case",
            "requested-cnf/*binds*",
            "--case",
            "requested-cnf/rs-enforces-binding",
            "--case",
            "grant-validation/valid-grant-redeemed",
            "--out",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let report = common::read_report(&dir.path().join("report.json"), &out.stderr);
    assert_eq!(
        report["targets"]["as_b"]["variants"][0],
        "opaque-access-tokens"
    );
    let case = |id: &str| common::case(&report, id);
    for id in [
        "subject-mapping/mapped-subject-reaches-as-b",
        "subject-mapping/mapped-subject-reaches-rs-b",
        "requested-cnf/as-b-binds-access-token",
        "requested-cnf/rs-enforces-binding",
        "grant-validation/valid-grant-redeemed",
    ] {
        let c = case(id);
        assert_eq!(c["verdict"], "pass", "{id}: {c}");
    }
    // The claims came from introspection: AS-B's token is a handle.
    let graded = |id: &str, what: &str| {
        case(id)["checks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["description"].as_str().unwrap().contains(what))
            .cloned()
            .unwrap_or_else(|| panic!("{id}: no check `{what}`"))
    };
    let sub = graded(
        "subject-mapping/mapped-subject-reaches-as-b",
        "names the mapped subject",
    );
    assert_eq!(sub["verdict"], "pass", "{sub}");
    assert!(sub["actual"].is_string(), "{sub}");
    let cnf = graded("requested-cnf/as-b-binds-access-token", "carries cnf.jkt");
    assert_eq!(cnf["verdict"], "pass", "{cnf}");
    assert!(cnf["actual"].is_string(), "{cnf}");
    assert!(
        case("subject-mapping/mapped-subject-reaches-as-b")["transcript"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["step"].as_str().unwrap().ends_with(".introspect")),
        "introspected"
    );
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}

/// Where the claims cannot be seen (opaque tokens, and AS-B registers no client the harness
/// could introspect as), only the checks reading them are skipped: a case with nothing else
/// wrong is `skip`, never `pass`, and a failure its other checks find still stands.
#[test]
fn unseen_claims_skip_their_checks_not_the_failures_of_others() {
    let run = |extra: &[&str]| -> Value {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::cargo_bin("chainproof")
            .unwrap()
            .args([
                "run",
                "--progress",
                "none",
                "--mock-variant",
                "opaque-access-tokens",
                "--mock-variant",
                "as-b-no-client-auth",
                "--case",
                "grant-validation/valid-grant-redeemed",
                "--out",
            ])
            .arg(dir.path())
            .args(extra)
            .output()
            .unwrap();
        let report = common::read_report(&dir.path().join("report.json"), &out.stderr);
        report["cases"][0].clone()
    };
    let case = run(&[]);
    assert_eq!(case["verdict"], "skip", "{case}");
    let message = case["message"].as_str().unwrap();
    assert!(message.contains("AS-B's access token is opaque"), "{case}");
    assert!(message.contains("other checks passed"), "{case}");
    let skipped: Vec<&Value> = case["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["verdict"] == "skip")
        .collect();
    assert_eq!(
        skipped.len(),
        1,
        "only the scope check reads the claims: {case}"
    );

    let case = run(&["--mock-fault", "no-cache-control"]);
    common::assert_verdict(&case, "fail", "no-store");
}

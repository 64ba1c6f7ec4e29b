//! End-to-end through the real binary: `chainproof fuzz --target FILE` against a mock pair
//! that plays two *live* servers (discovered through RFC 8414 metadata, secrets from the
//! environment), without harness-issuer mode.

use assert_cmd::Command;
use mock_as::{MockOptions, MockPair};

mod common;
use common::LiveTarget;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_target_file_is_fuzzed_through_discovery() {
    let pair = MockPair::start(MockOptions::default()).await.unwrap();
    let f = pair.facts().clone();
    let b_secret = f.as_b_client.clone().unwrap().1;
    let dir = tempfile::tempdir().unwrap();
    let target = LiveTarget::new(&f)
        .via_env("as_a.client.secret", "FUZZ_TEST_A_SECRET")
        .set("as_a.client.auth", "post")
        .via_env("as_a.subject_token.password", "FUZZ_TEST_PASSWORD")
        .remove("as_a.subject_token.scope")
        .client_at_b()
        .via_env("as_b.client.secret", "FUZZ_TEST_B_SECRET")
        .remove("fixtures.user_sub_at_b")
        .set("fixtures.scopes", f.user_scopes.join(" "))
        .write(dir.path(), "target.toml");
    let out = dir.path().join("out");
    let (secret, password) = (f.client_secret.clone(), f.user.1.clone());
    let (target2, out2) = (target.clone(), out.clone());
    let output = tokio::task::spawn_blocking(move || {
        Command::cargo_bin("chainproof")
            .unwrap()
            .args(["fuzz", "--cases", "300", "--seed", "5", "--target"])
            .arg(&target2)
            .arg("--out")
            .arg(&out2)
            .env("FUZZ_TEST_A_SECRET", secret)
            .env("FUZZ_TEST_PASSWORD", password)
            .env("FUZZ_TEST_B_SECRET", b_secret)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stdout.contains("seed 5"), "{stdout}");
    let report = common::read_report(&out.join("report.json"), &output.stderr);
    assert_eq!(report["targets"]["as_a"]["kind"], "live");
    assert_eq!(report["fuzz"]["findings"], 0);
    let pass = |id: &str| {
        report["cases"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["case"] == id && c["verdict"] == "pass")
    };
    // Exchanges ran for real (post auth, discovered endpoint); grants were mutated.
    assert!(pass("exchange-valid-rejected"), "{:#}", report["cases"]);
    assert!(pass("assertion-token-for-invalid"), "{:#}", report["cases"]);
    let text = std::fs::read_to_string(out.join("report.json")).unwrap();
    assert!(
        !text.contains(&f.client_secret),
        "client secret leaked into the report"
    );
    let log = std::fs::read_to_string(out.join("fuzz-requests.log")).unwrap();
    assert!(!log.contains(&f.client_secret) && !log.contains(&f.user.1));
}

//! End-to-end through the real binary: `chainproof fuzz --target FILE` against a mock pair
//! that plays two *live* servers (discovered through RFC 8414 metadata, secrets from the
//! environment), without harness-issuer mode.

use assert_cmd::Command;
use mock_as::{MockOptions, MockPair};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_target_file_is_fuzzed_through_discovery() {
    let pair = MockPair::start(MockOptions::default()).await.unwrap();
    let f = pair.facts().clone();
    let (b_id, b_secret) = f.as_b_client.clone().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("target.toml");
    std::fs::write(
        &target,
        format!(
            r#"
[as_a]
kind = "live"
issuer = "{a}"
[as_a.client]
id = "{cid}"
secret_env = "FUZZ_TEST_A_SECRET"
auth = "post"
[as_a.subject_token]
method = "password"
username = "{user}"
password_env = "FUZZ_TEST_PASSWORD"

[as_b]
kind = "live"
issuer = "{b}"
[as_b.client]
id = "{b_id}"
secret_env = "FUZZ_TEST_B_SECRET"

[fixtures]
user_sub = "{sub}"
scopes = "{scopes}"
"#,
            a = f.as_a_issuer,
            cid = f.client_id,
            user = f.user.0,
            b = f.as_b_issuer,
            sub = f.user_sub,
            scopes = f.user_scopes.join(" "),
        ),
    )
    .unwrap();
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
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
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

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
    let pass = |id: &str| common::find_case(&report, id).is_some_and(|c| c["verdict"] == "pass");
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

/// Subject tokens that end during a run are obtained again through the runner's token
/// sources: a grant source's is granted anew near its end; a kept source's (an authorization
/// code, then its refresh token) is fetched again by the source itself. Without that, every
/// exchange after the first token's end is refused, and the fuzzer reports its own valid
/// requests as `valid-rejected`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subject_tokens_are_obtained_again_when_they_expire() {
    let mut options = MockOptions::default();
    options.login_without_page();
    options.config.as_a.access_token_lifetime_secs = 2;
    let pair = MockPair::start(options).await.unwrap();
    let f = pair.facts().clone();
    for source in ["password", "authorization_code"] {
        let dir = tempfile::tempdir().unwrap();
        let mut target = LiveTarget::new(&f);
        if source == "authorization_code" {
            target = target
                .set("as_a.subject_token.method", source)
                .set("as_a.subject_token.mode", "unattended")
                .remove("as_a.subject_token.password");
        }
        let target = target.write(dir.path(), "target.toml");
        let out = dir.path().join("out");
        let out2 = out.clone();
        // About 4 s of exchanges at 60 requests/s: the first token ends after 2.
        let output = tokio::task::spawn_blocking(move || {
            Command::cargo_bin("chainproof")
                .unwrap()
                .args(["fuzz", "--endpoint", "exchange", "--cases", "240"])
                .args(["--seed", "2", "--rate", "60", "--target"])
                .arg(&target)
                .arg("--out")
                .arg(&out2)
                .output()
                .unwrap()
        })
        .await
        .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{source}: {stdout}{stderr}{}",
            std::fs::read_to_string(out.join("summary.md")).unwrap_or_default()
        );
        let report = common::read_report(&out.join("report.json"), &output.stderr);
        assert_eq!(report["fuzz"]["findings"], 0, "{source}: {stdout}");
        let valid = common::case(&report, "exchange-valid-rejected");
        assert_eq!(valid["verdict"], "pass", "{source}: {valid}");
        if source == "password" {
            let log = std::fs::read_to_string(out.join("fuzz-requests.log")).unwrap();
            let grants = log.matches("subject-token password grant").count();
            assert!(grants > 1, "one grant for a 4 s run of 2 s tokens:\n{log}");
        }
    }
}

//! Mixed pairs: the embedded mock plays one AS while a separate, differently configured mock
//! process (`fixtures/mock-alt.toml`, reached as a *live* server) plays the other. The live
//! side is configured the way a vendor would configure theirs: to trust, or to mint grants
//! for, the embedded mock at a fixed port (`port` in the target file).

use assert_cmd::cargo::CommandCargoExt;
use serde_json::Value;
use std::path::Path;
use std::process::Command;

mod common;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Start the alt deployment with `extra` appended to its config; returns its AS-A, AS-B, RS-B URLs.
fn start_alt(dir: &Path, base: &str, extra: &str) -> (common::MockProcess, [String; 3]) {
    let config = dir.join("mock.toml");
    std::fs::write(&config, format!("{base}\n{extra}")).unwrap();
    common::mock_process(&config)
}

fn run(dir: &Path, target: &str) -> (Option<i32>, Value, String) {
    let path = dir.join("target.toml");
    std::fs::write(&path, target).unwrap();
    let out = Command::cargo_bin("chainproof")
        .unwrap()
        .args(["run", "--progress", "plain", "--jobs", "8", "--target"])
        .arg(&path)
        .arg("--out")
        .arg(dir.join("reports"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let report = common::read_report(&dir.join("reports/report.json"), &out.stderr);
    (out.status.code(), report, stderr)
}

fn assert_clean(report: &Value, stderr: &str) {
    let s = &report["summary"];
    assert_eq!(s["fail"], 0, "{stderr}");
    assert_eq!(s["error"], 0, "{stderr}");
    assert!(s["pass"].as_u64().unwrap() >= 30, "{stderr}");
}

#[test]
fn mock_as_a_with_live_as_b() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    // The live AS-B trusts the embedded AS-A, maps its user and grants its scopes.
    let base = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/mock-alt.toml"
    ))
    .unwrap();
    let patched = base
        .replace(
            "\"user-7731\" = \"bob@beta.alt.example\"",
            "\"user-7731\" = \"bob@beta.alt.example\"\nalice = \"alice@beta.alt.example\"",
        )
        .replace(
            "id = \"alt-chainer\"\nsecret = \"alt-chainer-at-beta\"",
            "id = \"chain-client\"\nsecret = \"chain-client-at-beta\"",
        )
        .replace(
            "scopes = [\"profile\", \"orders\"]\nrequire_client_auth",
            "scopes = [\"profile\", \"orders\", \"read\", \"write\"]\nrequire_client_auth",
        );
    let extra = format!(
        "[[as_b.trusted_issuers]]\nissuer = \"http://127.0.0.1:{port}\"\njwks_uri = \"http://127.0.0.1:{port}/jwks\"\n"
    );
    let (_mock, [_, b, rs]) = start_alt(dir.path(), &patched, &extra);
    let target = format!(
        r#"
[as_a]
kind = "mock"
port = {port}
[as_b]
kind = "live"
issuer = "{b}"
dpop = true
[as_b.client]
id = "chain-client"
secret = "chain-client-at-beta"
[rs]
kind = "live"
resource = "{rs}"
[fixtures]
user_sub_at_b = "alice@beta.alt.example"
"#
    );
    let (code, report, stderr) = run(dir.path(), &target);
    assert_eq!(report["targets"]["as_a"]["kind"], "mock");
    assert_eq!(report["targets"]["as_b"]["kind"], "live");
    assert_clean(&report, &stderr);
    assert_eq!(code, Some(0), "{stderr}");
}

#[test]
fn live_as_a_with_mock_as_b() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    // The live AS-A mints grants for the embedded AS-B; the embedded AS-B trusts the live
    // AS-A through its jwks_uri and maps its user as the target's fixtures say.
    let base = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/mock-alt.toml"
    ))
    .unwrap();
    let patched = base.replace(
        "extra_partners = [\"https://gamma.alt.example/as\"]",
        &format!(
            "extra_partners = [\"https://gamma.alt.example/as\", \"http://127.0.0.1:{port}\"]"
        ),
    );
    assert_ne!(base, patched);
    std::fs::write(dir.path().join("alt.toml"), patched).unwrap();
    let (_mock, [a, ..]) = common::mock_process(&dir.path().join("alt.toml"));
    let target = format!(
        r#"
[as_a]
kind = "live"
issuer = "{a}"
[as_a.client]
id = "alt-chainer"
secret = "alt-chainer-s3cret"
[as_a.second_client]
id = "alt-intruder"
secret = "alt-intruder-s3cret"
[as_a.subject_token]
method = "password"
username = "bob"
password = "bob-pass-alt"
scope = "profile orders"
[as_a.unmapped_user]
method = "password"
username = "eve"
password = "eve-pass-alt"
[as_b]
kind = "mock"
port = {port}
[rs]
kind = "mock"
[fixtures]
user_sub = "user-7731"
user_sub_at_b = "bob@b.example"
scopes = "profile orders"
escalation_scope = "billing"
as_c = "https://gamma.alt.example/as"
"#
    );
    let (code, report, stderr) = run(dir.path(), &target);
    assert_eq!(report["targets"]["as_a"]["kind"], "live");
    assert_eq!(report["targets"]["as_b"]["kind"], "mock");
    assert_clean(&report, &stderr);
    // The embedded AS-B trusts the in-memory harness issuer: harness cases run.
    let harness_ran =
        common::find_case(&report, "harness-grant-control").is_some_and(|c| c["verdict"] == "pass");
    assert!(harness_ran, "{stderr}");
    assert_eq!(code, Some(0), "{stderr}");
}

//! A target whose servers cannot be reached still yields complete reports: every case is
//! `error` (not run) with the reason, and the run exits 2 (runtime error), never 0 or 1.

use assert_cmd::Command;

mod common;

#[test]
fn unreachable_target_writes_reports_and_exits_2() {
    // A listener bound then dropped: its port refuses connections.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("target.toml");
    std::fs::write(
        &target,
        format!(
            r#"
[as_a]
kind = "live"
issuer = "http://127.0.0.1:{port}"
[as_a.client]
id = "c"
secret_env = "CHAINPROOF_TEST_UNREACHABLE_SECRET"
[as_a.subject_token]
method = "client_credentials"
[as_b]
kind = "live"
issuer = "http://127.0.0.1:{port}/b"
"#
        ),
    )
    .unwrap();
    let out = dir.path().join("out");
    let run = Command::cargo_bin("chainproof")
        .unwrap()
        .env(
            "CHAINPROOF_TEST_UNREACHABLE_SECRET",
            "unreachable-secret-value",
        )
        .args(["run", "--progress", "none", "--target"])
        .arg(&target)
        .arg("--out")
        .arg(&out)
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    assert_eq!(
        run.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let json = common::read_report(&out.join("report.json"), &run.stderr);
    let cases = common::cases(&json);
    assert!(!cases.is_empty());
    assert_eq!(json["summary"]["error"], cases.len());
    for c in cases {
        assert_eq!(c["not_run"], true);
        assert!(
            c["message"]
                .as_str()
                .unwrap()
                .contains("could not be set up"),
            "{c}"
        );
    }
    for f in ["junit.xml", "report.html", "summary.md"] {
        let text = std::fs::read_to_string(out.join(f)).unwrap();
        assert!(
            !text.contains("unreachable-secret-value"),
            "{f} leaks the secret"
        );
    }
}

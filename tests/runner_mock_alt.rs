//! A second, differently configured mock deployment, started as a separate process
//! (`chainproof mock --config fixtures/mock-alt.toml`) and reached as *live* servers through
//! `fixtures/target-alt.toml`, runs every embedded suite with no fail and no error.

use assert_cmd::cargo::CommandCargoExt;
use std::path::Path;
use std::process::Command;

mod common;

/// Start the alt deployment on ephemeral ports; returns it and its AS-A, AS-B, RS-B URLs.
fn start_alt() -> (common::MockProcess, [String; 3]) {
    common::mock_process(Path::new("fixtures/mock-alt.toml"))
}

fn origin(url: &str) -> String {
    let u = url::Url::parse(url).unwrap();
    u.origin().ascii_serialization()
}

#[test]
fn alt_deployment_passes_through_its_target_file() {
    let (_mock, [a, b, rs]) = start_alt();
    assert!(a.ends_with("/realms/alpha"), "{a}");
    let template = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/target-alt.toml"
    ))
    .unwrap();
    let target = template
        .replace("http://127.0.0.1:9601", &origin(&a))
        .replace("http://127.0.0.1:9602", &origin(&b))
        .replace("http://127.0.0.1:9603", &origin(&rs));
    let dir = tempfile::tempdir().unwrap();
    let target_path = dir.path().join("target.toml");
    std::fs::write(&target_path, target).unwrap();
    let out_dir = dir.path().join("reports");
    let output = Command::cargo_bin("chainproof")
        .unwrap()
        .args(["run", "--progress", "plain", "--jobs", "8", "--target"])
        .arg(&target_path)
        .arg("--out")
        .arg(&out_dir)
        .env("CHAINPROOF_ALT_SECRET", "alt-chainer-s3cret")
        .env("CHAINPROOF_ALT_SECOND_SECRET", "alt-intruder-s3cret")
        .env("CHAINPROOF_ALT_B_SECRET", "alt-chainer-at-beta")
        .env("CHAINPROOF_ALT_BOB", "bob-pass-alt")
        .env("CHAINPROOF_ALT_EVE", "eve-pass-alt")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let report = common::read_report(&out_dir.join("report.json"), &output.stderr);
    let summary = &report["summary"];
    assert_eq!(summary["fail"], 0, "{stderr}");
    assert_eq!(summary["error"], 0, "{stderr}");
    assert!(summary["pass"].as_u64().unwrap() >= 40, "{stderr}");
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert_eq!(report["targets"]["as_a"]["kind"], "live");
    assert_eq!(report["targets"]["as_a"]["url"], a);
    // Skips name their reason; the alt AS-B does not trust a harness issuer, a case that
    // would wait beyond max_wait_secs for a token to expire says so, and the other profiles'
    // cases (Ena, RFC 8693, ID-JAG) have no level in ic-17.
    for c in common::cases(&report) {
        if c["verdict"] == "skip" {
            let msg = c["message"].as_str().unwrap();
            assert!(
                msg.starts_with("needs ")
                    || msg.starts_with("waiting for expiry would take")
                    || msg.starts_with("none of its requirements"),
                "{c}"
            );
        }
    }
    // No secret from the environment appears in the report.
    let text = std::fs::read_to_string(out_dir.join("report.json")).unwrap();
    for secret in ["alt-chainer-s3cret", "bob-pass-alt", "alt-chainer-at-beta"] {
        assert!(
            !text.contains(secret),
            "secret {secret} leaked into report.json"
        );
    }
}

//! The setup exchange form is data (issue 8 item 2): a target declaring `[as_a.exchange]`
//! `target = "audience"` makes every setup exchange name AS-B with `audience` instead of
//! `resource`, and a declared `requested_token_type` is sent; the cases still pass against the
//! embedded pair, which accepts both forms. A step that names its own target keeps it.

use assert_cmd::cargo::CommandCargoExt;
use serde_json::Value;
use std::path::Path;
use std::process::Command;

mod common;

fn run(dir: &Path, target: &str, cases: &[&str]) -> Value {
    let path = dir.join("target.toml");
    std::fs::write(&path, target).unwrap();
    let mut cmd = Command::cargo_bin("chainproof").unwrap();
    cmd.args(["run", "--progress", "plain", "--target"])
        .arg(&path);
    for c in cases {
        cmd.args(["--case", c]);
    }
    let out = cmd.arg("--out").arg(dir.join("reports")).output().unwrap();
    common::read_report(&dir.join("reports/report.json"), &out.stderr)
}

/// The form bodies of every exchange (`grant_type` token-exchange) request in the report.
fn exchange_bodies(report: &Value, case: &str) -> Vec<Vec<(String, String)>> {
    let case = common::case(report, case);
    assert_eq!(case["verdict"], "pass", "{case}");
    case["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["request"]["body"].as_str())
        .map(|b| {
            url::form_urlencoded::parse(b.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect::<Vec<_>>()
        })
        .filter(|f| {
            f.iter().any(|(k, v)| {
                k == "grant_type" && v == "urn:ietf:params:oauth:grant-type:token-exchange"
            })
        })
        .collect()
}

fn keys(form: &[(String, String)]) -> Vec<&str> {
    form.iter().map(|(k, _)| k.as_str()).collect()
}

const MOCK: &str = "[as_a]\nkind = \"mock\"\n[as_b]\nkind = \"mock\"\n[rs]\nkind = \"mock\"\n";

#[test]
fn a_target_declaring_audience_makes_setup_exchanges_send_audience() {
    let dir = tempfile::tempdir().unwrap();
    let target = format!(
        "{MOCK}[as_a.exchange]\ntarget = \"audience\"\nrequested_token_type = \"urn:ietf:params:oauth:token-type:jwt\"\n"
    );
    // A chain case whose exchange names no target, and one whose step names `resource`.
    let report = run(
        dir.path(),
        &target,
        &["mapped-subject-reaches-as-b", "resource-token-endpoint"],
    );
    let setup = exchange_bodies(&report, "mapped-subject-reaches-as-b");
    assert!(!setup.is_empty(), "{report}");
    for form in &setup {
        let k = keys(form);
        assert!(k.contains(&"audience"), "{form:?}");
        assert!(!k.contains(&"resource"), "{form:?}");
        assert!(
            form.contains(&(
                "requested_token_type".into(),
                "urn:ietf:params:oauth:token-type:jwt".into()
            )),
            "{form:?}"
        );
    }
    // The step's own `resource` wins: this case grades the `resource` form.
    let named = exchange_bodies(&report, "resource-token-endpoint");
    assert!(!named.is_empty(), "{report}");
    for form in named {
        let k = keys(&form);
        assert!(
            k.contains(&"resource") && !k.contains(&"audience"),
            "{form:?}"
        );
    }
}

#[test]
fn without_a_declaration_setup_exchanges_send_resource() {
    let dir = tempfile::tempdir().unwrap();
    let report = run(dir.path(), MOCK, &["mapped-subject-reaches-as-b"]);
    let setup = exchange_bodies(&report, "mapped-subject-reaches-as-b");
    assert!(!setup.is_empty(), "{report}");
    for form in &setup {
        let k = keys(form);
        assert!(
            k.contains(&"resource") && !k.contains(&"audience"),
            "{form:?}"
        );
        assert!(!k.contains(&"requested_token_type"), "{form:?}");
    }
}

#[test]
fn an_unknown_exchange_target_is_a_positioned_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("target.toml");
    std::fs::write(
        &path,
        format!("{MOCK}[as_a.exchange]\ntarget = \"scope\"\n"),
    )
    .unwrap();
    let out = Command::cargo_bin("chainproof")
        .unwrap()
        .args(["run", "--target"])
        .arg(&path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("target.toml") && stderr.contains("scope"),
        "{stderr}"
    );
}

//! A failed check names the suite file and line it is written at, in every output: the live
//! terminal lines, the gate summary, report.json (`source`), JUnit, HTML and Markdown. Runs
//! the real binary against the embedded mock with a fault that breaks one case.

use assert_cmd::cargo::CommandCargoExt;
use std::process::Command;

mod common;

/// The `[[case.check]]` line of the first check of `grant-validation/alg-none`.
fn alg_none_check_line() -> usize {
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("suites/grant-validation.toml"),
    )
    .unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let case = lines
        .iter()
        .position(|l| *l == "id = \"alg-none\"")
        .unwrap();
    case + 1
        + lines[case..]
            .iter()
            .position(|l| *l == "[[case.check]]")
            .unwrap()
}

#[test]
fn a_failed_run_shows_the_check_file_and_line_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::cargo_bin("chainproof")
        .unwrap()
        .args([
            "run",
            "--mock-fault",
            "accept-alg-none",
            "--case",
            "grant-validation/alg-none",
            "--progress",
            "plain",
            "--out",
        ])
        .arg(dir.path())
        .env_remove("GITHUB_STEP_SUMMARY")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let at = format!("suites/grant-validation.toml:{}", alg_none_check_line());

    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("): {at}: no access token")),
        "{stderr}"
    );
    let shown = stderr.replace(&dir.path().display().to_string(), "[OUT]");
    insta::with_settings!({filters => vec![
        (r"\(\d+ ms\)", "([MS] ms)"),
        (r#""eyJ[^"\s]*"#, "\"[TOKEN]"),
    ]}, {
        insta::assert_snapshot!("failed_run_terminal", shown);
    });

    let json = common::report_in(dir.path());
    let checks = json["cases"][0]["checks"].as_array().unwrap();
    assert!(!checks.is_empty());
    for k in checks {
        let s = &k["source"];
        assert_eq!(s["file"], "suites/grant-validation.toml", "{k}");
        assert!(s["line"].as_u64().unwrap() >= alg_none_check_line() as u64);
        assert_eq!(s["column"], 1);
    }
    assert_eq!(checks[0]["source"]["line"], alg_none_check_line());

    for (file, shows) in [
        ("junit.xml", format!("message=\"{at}: no access token")),
        ("summary.md", format!("| {at}: no access token")),
        ("report.html", at.replace('/', "&#x2f;")),
    ] {
        let text = std::fs::read_to_string(dir.path().join(file)).unwrap();
        assert!(text.contains(&shows), "{file} lacks `{shows}`");
    }
}

#[test]
fn an_overridden_suite_is_located_in_the_users_file() {
    let dir = tempfile::tempdir().unwrap();
    let suites = dir.path().join("my-suites");
    std::fs::create_dir(&suites).unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::copy(
        root.join("suites/grant-validation.toml"),
        suites.join("grant-validation.toml"),
    )
    .unwrap();
    let out = Command::cargo_bin("chainproof")
        .unwrap()
        .args([
            "run",
            "--mock-fault",
            "accept-alg-none",
            "--case",
            "grant-validation/alg-none",
            "--progress",
            "none",
            "--suites",
        ])
        .arg(&suites)
        .arg("--out")
        .arg(dir.path())
        .env_remove("GITHUB_STEP_SUMMARY")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let json = common::report_in(dir.path());
    let user_file = suites.join("grant-validation.toml").display().to_string();
    assert_eq!(
        json["cases"][0]["checks"][0]["source"]["file"],
        user_file.as_str()
    );
}

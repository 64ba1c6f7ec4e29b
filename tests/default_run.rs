//! The main job, end to end: `chainproof run` with no target runs every embedded suite against
//! the embedded mock pair, passes every case, and writes reports that independent consumers
//! accept (Python junitparser for JUnit, headless Chromium for HTML) with the JSON's counts.

mod report_common;

use assert_cmd::Command;
use report_common::*;

mod common;

#[test]
fn default_run_passes_and_every_report_agrees() {
    let out = tempfile::tempdir().unwrap();
    let assert = Command::cargo_bin("chainproof")
        .unwrap()
        .args(["run", "--progress", "plain", "--out"])
        .arg(out.path())
        .timeout(std::time::Duration::from_secs(600))
        .assert();
    let output = assert.get_output().clone();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(0),
        "default run failed:\n{stderr}"
    );

    let json = common::read_report(&out.path().join("report.json"), &output.stderr);
    let cases = common::cases(&json);
    let summary = &json["summary"];
    assert!(
        cases.len() >= 50,
        "expected every suite to run, got {} cases",
        cases.len()
    );
    assert_eq!(summary["total"], cases.len());
    for v in ["fail", "warn", "info", "error"] {
        assert_eq!(summary[v], 0, "{v} against the conformant mock:\n{stderr}");
    }
    for c in cases {
        let verdict = c["verdict"].as_str().unwrap();
        assert!(
            matches!(verdict, "pass" | "skip"),
            "{}: {verdict}",
            c["case"]
        );
        if verdict == "skip" {
            assert!(
                !c["message"].as_str().unwrap().is_empty(),
                "skip without reason"
            );
        } else {
            assert!(
                !c["checks"].as_array().unwrap().is_empty(),
                "{} asserts nothing",
                c["case"]
            );
        }
    }
    // The figures the closing note reports: wall time and the longest single case (the
    // unavoidable wait for a grant to expire).
    let longest = cases
        .iter()
        .map(|c| c["duration_ms"].as_u64().unwrap())
        .max()
        .unwrap();
    eprintln!(
        "default run: {} cases, wall {} ms, longest case {} ms",
        cases.len(),
        json["duration_ms"],
        longest
    );

    // JUnit, read by an independent consumer: the counts equal the JSON's.
    if let Some(parsed) = junitparser(&out.path().join("junit.xml")) {
        assert_eq!(parsed["tests"], summary["total"]);
        assert_eq!(parsed["failures"], summary["fail"]);
        assert_eq!(parsed["errors"], summary["error"]);
        assert_eq!(parsed["skipped"], summary["skip"]);
        assert_eq!(
            parsed["cases"].as_object().unwrap().len(),
            cases.len(),
            "suite/case pairs are unique"
        );
    }

    // HTML in a real browser: the summary counts equal the JSON's, and the fail filter hides
    // every passing case.
    if let Some(chromium) = chromium() {
        let url = file_url(&out.path().join("report.html"));
        let dom = String::from_utf8(headless(&chromium, &["--dump-dom"], &url).stdout).unwrap();
        assert_counts_equal_json(&dom, &json);
        let dom = String::from_utf8(
            headless(&chromium, &["--dump-dom"], &format!("{url}#filter=fail")).stdout,
        )
        .unwrap();
        let rows = rows(&dom);
        assert_eq!(rows.len(), cases.len());
        assert!(rows.iter().all(|(v, hidden)| *hidden == (v != "fail")));
    }
}

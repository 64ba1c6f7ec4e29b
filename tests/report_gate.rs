//! The CI gate: exit codes from `--fail-on`, `--expect` and `--baseline` / `--gate`, and the
//! findings the reports show.

mod report_common;

use chainproof::report::{self, GateMode, GateOptions, ReportOptions};
use chainproof::run_result::{RunResult, Summary};
use chainproof::verdict::{FailOn, Verdict};
use report_common::*;
use rstest::rstest;
use std::path::Path;

mod common;

/// The sample run without errors and not interrupted: 1 fail, 1 warn, 1 info.
fn clean_run() -> RunResult {
    let mut run = sample_run();
    run.cases.retain(|c| c.verdict != Verdict::Error);
    run.interrupted = false;
    run.summary = Summary::of(run.cases.iter().map(|c| &c.verdict));
    run
}

const FAIL_CASE: &str = "jwt-bearer/foreign-aud-rejected";
const WARN_CASE: &str = "aud-restrictions/grant-aud-single";
const INFO_CASE: &str = "jwt-bearer/jti-replay-rejected";
const PASS_CASE: &str = "token-exchange/no-store";

fn expect_file(dir: &Path, entries: &[(&str, Option<&str>)]) -> std::path::PathBuf {
    let mut text = String::new();
    for (case, verdict) in entries {
        text.push_str(&format!(
            "[[expect]]\ncase = \"{case}\"\nreason = \"vendor ticket for {case}\"\n"
        ));
        if let Some(v) = verdict {
            text.push_str(&format!("verdict = \"{v}\"\n"));
        }
    }
    let path = dir.join("known.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[rstest]
#[case::fail_gates(false, FailOn::Fail, &[], 1)]
#[case::expected_fail(false, FailOn::Fail, &[(FAIL_CASE, None)], 0)]
#[case::warn_threshold(false, FailOn::Warn, &[(FAIL_CASE, None)], 1)]
#[case::warn_threshold_expected(false, FailOn::Warn, &[(FAIL_CASE, None), (WARN_CASE, None)], 0)]
#[case::info_threshold(false, FailOn::Info, &[(FAIL_CASE, None), (WARN_CASE, None)], 1)]
#[case::expectation_too_mild(false, FailOn::Fail, &[(FAIL_CASE, Some("warn"))], 1)]
#[case::errors_are_runtime(true, FailOn::Fail, &[(FAIL_CASE, None)], 2)]
#[case::failure_beats_error(true, FailOn::Fail, &[], 1)]
#[case::errors_expected(true, FailOn::Fail, &[(FAIL_CASE, None), ("discovery/subject-token-obtained", Some("error")), ("discovery/rs-metadata", Some("error"))], 2)]
fn exit_codes(
    #[case] with_errors: bool,
    #[case] fail_on: FailOn,
    #[case] expected: &[(&str, Option<&str>)],
    #[case] code: i32,
) {
    let dir = tempfile::tempdir().unwrap();
    let run = if with_errors {
        sample_run()
    } else {
        clean_run()
    };
    let gate = GateOptions {
        fail_on,
        expect: Some(expect_file(dir.path(), expected)),
        ..GateOptions::default()
    };
    let g = report::gate(&run, &gate, &args_in(dir.path()), &secrets()).unwrap();
    assert_eq!(g.exit_code, code, "{}", g.summary);
    assert!(g.summary.contains(&format!("exit {code}")));
}

#[test]
fn interrupted_run_with_every_error_expected_is_still_runtime_error() {
    let dir = tempfile::tempdir().unwrap();
    let expected = [
        (FAIL_CASE, None),
        ("discovery/subject-token-obtained", Some("error")),
        ("discovery/rs-metadata", Some("error")),
    ];
    let gate = GateOptions {
        expect: Some(expect_file(dir.path(), &expected)),
        ..GateOptions::default()
    };
    let g = report::gate(&sample_run(), &gate, &args_in(dir.path()), &secrets()).unwrap();
    assert!(g.errors.is_empty() && g.interrupted);
    assert_eq!(g.exit_code, 2);
}

#[test]
fn stale_and_unknown_expectations_are_reported_not_gating() {
    let dir = tempfile::tempdir().unwrap();
    let expected = [
        (FAIL_CASE, None),
        (PASS_CASE, None),
        ("gone/away", None),
        (INFO_CASE, None),
    ];
    let gate = GateOptions {
        expect: Some(expect_file(dir.path(), &expected)),
        ..GateOptions::default()
    };
    let args = args_in(dir.path());
    let g = report::gate(&clean_run(), &gate, &args, &secrets()).unwrap();
    assert_eq!(g.exit_code, 0, "{}", g.summary);
    assert_eq!(
        g.stale.iter().map(|c| c.case.as_str()).collect::<Vec<_>>(),
        [PASS_CASE]
    );
    assert_eq!(g.not_in_run, ["gone/away"]);
    assert_eq!(
        g.expected
            .iter()
            .map(|c| c.case.as_str())
            .collect::<Vec<_>>(),
        [FAIL_CASE]
    );
    assert!(g.summary.contains("stale expectations"), "{}", g.summary);
    // The reports carry the findings.
    report::write_reports(&clean_run(), &args, &secrets(), Some(&g)).unwrap();
    let md = std::fs::read_to_string(dir.path().join("summary.md")).unwrap();
    assert!(
        md.contains("### Stale expectations") && md.contains("token-exchange/no-store now pass"),
        "{md}"
    );
    assert!(
        md.contains("(expected: vendor ticket for jwt-bearer/foreign-aud-rejected)"),
        "{md}"
    );
    let json = common::report_in(dir.path());
    assert_eq!(json["gate"]["stale"][0]["case"], PASS_CASE);
    assert_eq!(json["gate"]["exit_code"], 0);
}

/// Writes `run` as a JSON report to use as a baseline.
fn baseline_of(run: &RunResult, dir: &Path) -> std::path::PathBuf {
    let out = dir.join("old");
    report::write_all(run, &args_in(&out), &secrets()).unwrap();
    out.join("report.json")
}

#[test]
fn baseline_names_exactly_the_changed_case() {
    let dir = tempfile::tempdir().unwrap();
    let old = clean_run();
    let old_path = baseline_of(&old, dir.path());
    let mut new = clean_run();
    let changed = new
        .cases
        .iter_mut()
        .find(|c| c.full_id() == PASS_CASE)
        .unwrap();
    changed.verdict = Verdict::Fail;
    changed.message = "Cache-Control: expected no-store, got max-age=60".into();
    new.summary = Summary::of(new.cases.iter().map(|c| &c.verdict));

    let args = args_in(&dir.path().join("new"));
    let all = GateOptions {
        baseline: Some(old_path.clone()),
        ..GateOptions::default()
    };
    let g = report::gate(&new, &all, &args, &secrets()).unwrap();
    let diff = g.baseline.as_ref().unwrap();
    assert_eq!(diff.changes.len(), 1, "{:?}", diff.changes);
    assert_eq!(diff.changes[0].case, PASS_CASE);
    assert_eq!(
        (diff.changes[0].before, diff.changes[0].after),
        (Some(Verdict::Pass), Some(Verdict::Fail))
    );
    assert_eq!(
        g.exit_code, 1,
        "--gate all: the old failure and the new one gate"
    );
    assert_eq!(g.failing.len(), 2);

    // Only regressions: the new failure gates, the known one does not.
    let regressions = GateOptions {
        mode: GateMode::Regressions,
        ..all.clone()
    };
    let g = report::gate(&new, &regressions, &args, &secrets()).unwrap();
    assert_eq!(
        g.failing
            .iter()
            .map(|c| c.case.as_str())
            .collect::<Vec<_>>(),
        [PASS_CASE]
    );
    assert_eq!(
        g.known_in_baseline
            .iter()
            .map(|c| c.case.as_str())
            .collect::<Vec<_>>(),
        [FAIL_CASE]
    );
    assert_eq!(g.exit_code, 1);

    // ... and an expectation for the regression clears the gate.
    let expect = expect_file(dir.path(), &[(PASS_CASE, None)]);
    let with_expect = GateOptions {
        expect: Some(expect),
        ..regressions.clone()
    };
    let g = report::gate(&new, &with_expect, &args, &secrets()).unwrap();
    assert_eq!(g.exit_code, 0, "{}", g.summary);

    // The threshold decides what a regression is: a warn → fail change under --fail-on warn.
    let mut worse = clean_run();
    worse
        .cases
        .iter_mut()
        .find(|c| c.full_id() == WARN_CASE)
        .unwrap()
        .verdict = Verdict::Fail;
    let regressions_at_warn = GateOptions {
        fail_on: FailOn::Warn,
        ..regressions.clone()
    };
    let g = report::gate(&worse, &regressions_at_warn, &args, &secrets()).unwrap();
    assert_eq!(
        g.failing
            .iter()
            .map(|c| c.case.as_str())
            .collect::<Vec<_>>(),
        [WARN_CASE]
    );
    assert_eq!(g.exit_code, 1);
    let g = report::gate(&clean_run(), &regressions_at_warn, &args, &secrets()).unwrap();
    assert_eq!(
        g.exit_code, 0,
        "unchanged run, only known failures: {}",
        g.summary
    );

    // Every report names the change.
    let g = report::gate(&new, &all, &args, &secrets()).unwrap();
    report::write_reports(&new, &args, &secrets(), Some(&g)).unwrap();
    let out = dir.path().join("new");
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(
        md.contains(&format!(
            "| new failure | {} | pass | fail |",
            PASS_CASE.replace('_', "\\_")
        )),
        "{md}"
    );
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert_eq!(html.matches("data-change=").count(), 1);
    assert!(html.contains("data-change=\"new failure\""));
    assert!(
        g.summary
            .contains(&format!("new_failure {PASS_CASE} pass -> fail")),
        "{}",
        g.summary
    );
}

#[rstest]
#[case::baseline_not_json(
    true,
    "{\n  \"schema_version\": 1,\n  \"cases\": [,]\n}",
    "old.json:3:13: not JSON"
)]
#[case::baseline_wrong_version(
    true,
    "{\"schema_version\": 7}",
    "old.json:1:2: report schema_version 7 is newer"
)]
#[case::expect_bad_id(
    false,
    "[[expect]]\ncase = \"just-a-case\"\nreason = \"r\"\n",
    "known.toml:2:8: `case` must be `suite/case`"
)]
#[case::expect_unknown_key(
    false,
    "[[expect]]\ncase = \"s/c\"\nreasons = \"r\"\n",
    "known.toml:3:1: unknown field `reasons`"
)]
fn invalid_inputs_exit_3_with_a_position(
    #[case] is_baseline: bool,
    #[case] text: &str,
    #[case] message: &str,
) {
    let dir = tempfile::tempdir().unwrap();
    let name = if is_baseline {
        "old.json"
    } else {
        "known.toml"
    };
    std::fs::write(dir.path().join(name), text).unwrap();
    let mut gate = GateOptions::default();
    let rel = dir.path().join(name);
    if is_baseline {
        gate.baseline = Some(rel);
    } else {
        gate.expect = Some(rel);
    }
    let err = report::gate(&clean_run(), &gate, &args_in(dir.path()), &secrets()).unwrap_err();
    assert_eq!(err.exit_code(), 3);
    let shown = err
        .to_string()
        .replace(&format!("{}/", dir.path().display()), "");
    // The one positioned-message shape: `error: MESSAGE`, then `--> file:line:col`.
    let (at, message) = message.split_once(": ").unwrap();
    assert!(shown.starts_with(&format!("error: {message}")), "{shown}");
    assert!(shown.contains(&format!("--> {at}\n")), "{shown}");
    assert!(shown.contains("\n  |\n"), "source line shown: {shown}");
}

#[test]
fn missing_files_and_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let args = args_in(dir.path());
    let gate = GateOptions {
        expect: Some(dir.path().join("nope.toml")),
        ..GateOptions::default()
    };
    let err = report::gate(&clean_run(), &gate, &args, &secrets()).unwrap_err();
    assert_eq!(err.exit_code(), 3);
    let shown = err.to_string();
    assert!(
        shown.starts_with("error: cannot read expectation file") && shown.ends_with("nope.toml"),
        "{shown}"
    );
    let gate = GateOptions {
        mode: GateMode::Regressions,
        ..GateOptions::default()
    };
    let err = report::gate(&clean_run(), &gate, &args, &secrets()).unwrap_err();
    assert_eq!(err.exit_code(), 64);
}

#[test]
fn step_summary_is_appended() {
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("step_summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap();
    let args = ReportOptions {
        step_summary: Some(summary.clone()),
        ..args_in(dir.path())
    };
    report::write_all(&sample_run(), &args, &secrets()).unwrap();
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(
        text.starts_with("earlier step\n## chainproof: ic-17 (11 cases)"),
        "{text}"
    );
    assert!(text.contains(&format!("| fail | AS-B | {} |", FAIL_CASE)));
    assert!(
        text.contains("| AS-B | 0 | 1 | 0 | 1 | 1 (1 by AS-A) | 1 | 0 |"),
        "{text}"
    );
}

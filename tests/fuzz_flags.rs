//! Every report, gate and profile flag `chainproof fuzz` accepts has its effect (issue 9):
//! each test runs the real binary against the embedded mock pair and shows what the flag
//! changes. The fuzzer finishes as `run` does, so these are the same flags with the same
//! meaning.

use assert_cmd::Command;
use std::path::Path;

mod common;

/// What one `chainproof fuzz` run left behind.
struct Fuzzed {
    code: i32,
    stdout: String,
    stderr: String,
}

/// `chainproof fuzz` on the exchange endpoint with a fixed seed, writing reports into `out`.
fn fuzz(out: &Path, cases: u32, extra: &[&str]) -> Fuzzed {
    let cases = cases.to_string();
    let o = Command::cargo_bin("chainproof")
        .unwrap()
        .args(["fuzz", "--endpoint", "exchange", "--seed", "1", "--cases"])
        .arg(&cases)
        .arg("--out")
        .arg(out)
        .args(extra)
        .env_remove("GITHUB_STEP_SUMMARY")
        .output()
        .unwrap();
    Fuzzed {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// A legal variant the fuzzer (like the suites) warns about: exchange-token-pragma is `warn`.
const WARN_VARIANT: &str = "no-pragma";
const FAIL_FAULT: &str = "no-cache-control"; // exchange-token-cache-control: fail
const FAIL_CASE: &str = "exchange-token-cache-control";

#[test]
fn fail_on_changes_the_exit_code() {
    let d = tempfile::tempdir().unwrap();
    let warn = fuzz(d.path(), 100, &["--mock-variant", WARN_VARIANT]);
    assert_eq!(warn.code, 0, "{}{}", warn.stdout, warn.stderr);
    assert_eq!(
        common::case(&common::report_in(d.path()), "exchange-token-pragma")["verdict"],
        "warn"
    );
    let gated = fuzz(
        d.path(),
        100,
        &["--mock-variant", WARN_VARIANT, "--fail-on", "warn"],
    );
    assert_eq!(gated.code, 1, "{}{}", gated.stdout, gated.stderr);
}

#[test]
fn expect_keeps_a_known_failure_from_gating() {
    let d = tempfile::tempdir().unwrap();
    let failing = fuzz(d.path(), 100, &["--mock-fault", FAIL_FAULT]);
    assert_eq!(failing.code, 1, "{}{}", failing.stdout, failing.stderr);
    let known = d.path().join("known.toml");
    std::fs::write(
        &known,
        format!("[[expect]]\ncase = \"fuzz/{FAIL_CASE}\"\nreason = \"known: tracked elsewhere\"\n"),
    )
    .unwrap();
    let expected = fuzz(
        d.path(),
        100,
        &[
            "--mock-fault",
            FAIL_FAULT,
            "--expect",
            known.to_str().unwrap(),
        ],
    );
    assert_eq!(expected.code, 0, "{}{}", expected.stdout, expected.stderr);
    assert!(expected.stderr.contains(FAIL_CASE), "{}", expected.stderr);
}

#[test]
fn baseline_names_the_changed_finding_and_gate_regressions_uses_it() {
    let d = tempfile::tempdir().unwrap();
    let base = d.path().join("base.json");
    let clean = fuzz(d.path(), 100, &["--json", base.to_str().unwrap()]);
    assert_eq!(clean.code, 0, "{}{}", clean.stdout, clean.stderr);
    let broken = d.path().join("broken.json");
    // A new failure against a clean baseline: named, and it gates in either mode.
    let run = fuzz(
        d.path(),
        100,
        &[
            "--mock-fault",
            FAIL_FAULT,
            "--baseline",
            base.to_str().unwrap(),
            "--gate",
            "regressions",
            "--json",
            broken.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("new_failure") && run.stderr.contains(FAIL_CASE),
        "{}",
        run.stderr
    );
    // The same failure against a baseline that already had it: no regression, so
    // `--gate regressions` passes where `--gate all` fails.
    let old = [
        "--mock-fault",
        FAIL_FAULT,
        "--baseline",
        broken.to_str().unwrap(),
    ];
    let all = fuzz(d.path(), 100, &old);
    assert_eq!(all.code, 1, "{}{}", all.stdout, all.stderr);
    let regressions = fuzz(
        d.path(),
        100,
        &[&old[..], &["--gate", "regressions"]].concat(),
    );
    assert_eq!(
        regressions.code, 0,
        "{}{}",
        regressions.stdout, regressions.stderr
    );
}

#[test]
fn profile_changes_the_level_of_a_finding() {
    // IC-TE-09 (no scope beyond the subject's) is MAY in ic-17 and SHOULD in ic-14.
    let d = tempfile::tempdir().unwrap();
    let args = ["--mock-fault", "scope-escalation"];
    let ic17 = fuzz(d.path(), 300, &args);
    let r = common::report_in(d.path());
    assert_eq!(r["profile"], "ic-17", "{}", ic17.stderr);
    assert_eq!(
        common::case(&r, "exchange-scope-escalation")["verdict"],
        "info"
    );
    let ic14 = fuzz(
        d.path(),
        300,
        &[&args[..], &["--profile", "ic-14"]].concat(),
    );
    let r = common::report_in(d.path());
    assert_eq!(r["profile"], "ic-14", "{}", ic14.stderr);
    let c = common::case(&r, "exchange-scope-escalation");
    assert_eq!(
        (&c["level"], &c["verdict"]),
        (&"SHOULD".into(), &"warn".into())
    );
    let unknown = fuzz(d.path(), 10, &["--profile", "no-such-profile"]);
    assert_eq!(unknown.code, 64);
    assert!(
        unknown.stderr.contains("known: ic-17"),
        "{}",
        unknown.stderr
    );
}

#[test]
fn report_paths_are_written_where_named() {
    let d = tempfile::tempdir().unwrap();
    let p = |f: &str| d.path().join(f);
    let summary = p("step-summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap();
    let run = fuzz(
        &p("out"),
        50,
        &[
            "--json",
            p("a.json").to_str().unwrap(),
            "--junit",
            p("b.xml").to_str().unwrap(),
            "--html",
            p("c.html").to_str().unwrap(),
            "--markdown",
            p("d.md").to_str().unwrap(),
            "--step-summary",
            summary.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(common::read_report(&p("a.json"), b"")["fuzz"]["seed"], 1);
    assert!(
        std::fs::read_to_string(p("b.xml"))
            .unwrap()
            .contains("<testsuite")
    );
    assert!(
        std::fs::read_to_string(p("c.html"))
            .unwrap()
            .contains("<html")
    );
    assert!(
        std::fs::read_to_string(p("d.md"))
            .unwrap()
            .contains("gate passed")
    );
    let appended = std::fs::read_to_string(&summary).unwrap();
    assert!(appended.starts_with("earlier step\n") && appended.len() > 20);
    // Named paths replace the defaults; the request log still goes to --out.
    assert!(!p("out/report.json").exists() && p("out/fuzz-requests.log").exists());
}

#[test]
fn out_holds_every_default_report() {
    let d = tempfile::tempdir().unwrap();
    let run = fuzz(d.path(), 50, &[]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    for f in ["report.json", "junit.xml", "report.html", "summary.md"] {
        assert!(d.path().join(f).exists(), "{f} missing");
        assert!(run.stderr.contains(f), "{}", run.stderr);
    }
}

#[test]
fn junit_warn_as_failure_turns_a_warning_into_a_failure() {
    let d = tempfile::tempdir().unwrap();
    let junit = |extra: &[&str]| {
        let j = d.path().join("j.xml");
        let args = [
            &[
                "--mock-variant",
                WARN_VARIANT,
                "--junit",
                j.to_str().unwrap(),
            ],
            extra,
        ]
        .concat();
        fuzz(d.path(), 100, &args);
        std::fs::read_to_string(j).unwrap()
    };
    let pass = junit(&[]);
    let failure = junit(&["--junit-warn-as", "failure"]);
    let count = |x: &str| x.matches("<failure").count();
    assert_eq!(count(&failure), count(&pass) + 1, "{failure}");
}

#[test]
fn reveal_tokens_keeps_jwt_signatures() {
    // The finding's transcript holds the token response (a JWT grant).
    let d = tempfile::tempdir().unwrap();
    let grant = |extra: &[&str]| {
        fuzz(
            d.path(),
            100,
            &[&["--mock-fault", FAIL_FAULT], extra].concat(),
        );
        let r = common::report_in(d.path());
        let body = common::case(&r, FAIL_CASE)["transcript"][0]["response"]["body"]
            .as_str()
            .unwrap()
            .to_string();
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        v["access_token"].as_str().unwrap().to_string()
    };
    assert!(grant(&[]).ends_with("[sig-redacted]"));
    let revealed = grant(&["--reveal-tokens"]);
    assert!(
        !revealed.contains("redacted") && revealed.split('.').count() == 3,
        "{revealed}"
    );
}

#[test]
fn mock_variant_and_record_reach_the_run() {
    let d = tempfile::tempdir().unwrap();
    let variant = mock_as::Variant::ALL[0].name();
    let record = d.path().join("requests.jsonl");
    let run = fuzz(
        d.path(),
        50,
        &[
            "--mock-variant",
            variant,
            "--record",
            record.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let r = common::report_in(d.path());
    assert_eq!(
        r["targets"]["as_a"]["variants"][0], variant,
        "{:#}",
        r["targets"]
    );
    assert!(
        run.stdout.contains(&format!("--mock-variant {variant}")),
        "{}",
        run.stdout
    );
    // Every request sent (the setup grant, the cases), each with its real URL.
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&record)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(lines.len() as u64 >= r["fuzz"]["requests"].as_u64().unwrap());
    assert!(
        lines[0]["url"]
            .as_str()
            .unwrap()
            .starts_with("http://127.0.0.1:")
    );
}

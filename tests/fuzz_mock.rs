//! End-to-end: the fuzzer against the embedded mock pair (real sockets), through the library
//! API the CLI calls.

use chainproof::exit;
use chainproof::fuzz::replay::ReplayFile;
use chainproof::fuzz::{self, FuzzOptions};
use chainproof::report::ReportOptions;
use mock_as::Fault;
use std::path::{Path, PathBuf};

mod common;

fn args(out: &Path, cases: u64, seed: u64, faults: &[Fault]) -> FuzzOptions {
    FuzzOptions {
        cases,
        seed: Some(seed),
        mock_faults: faults.to_vec(),
        report: ReportOptions {
            out: out.to_path_buf(),
            ..ReportOptions::default()
        },
        ..FuzzOptions::default()
    }
}

fn replay_files(out: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("fuzz-finding-")
        })
        .collect();
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conformant_mock_has_no_findings() {
    let dir = tempfile::tempdir().unwrap();
    let code = fuzz::run(args(dir.path(), 500, 1, &[])).await;
    let r = conformant(dir.path(), code);
    assert_eq!(r["fuzz"]["findings"], 0);
    assert_eq!(r["fuzz"]["seed"], 1);
    assert_eq!(r["fuzz"]["cases"], 500);
    // Replay files only for observations (MAY-level, `info`), never for a finding.
    let observations: Vec<String> = common::cases(&r)
        .iter()
        .filter(|c| c["verdict"] == "info")
        .map(|c| format!("fuzz-finding-{}.json", c["case"].as_str().unwrap()))
        .collect();
    let replays: Vec<String> = replay_files(dir.path())
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(replays, observations);
    // The oracles really ran: valid requests succeeded, invalid ones were judged.
    for id in [
        "exchange-valid-rejected",
        "assertion-valid-rejected",
        "exchange-token-for-invalid",
        "assertion-token-for-invalid",
    ] {
        let case = common::case(&r, id);
        assert_eq!(case["verdict"], "pass", "{id}: {case}");
    }
}

/// The fuzzer sets up and judges exchanges in the graded profile's form, as `run` does (target,
/// then profile, then built-in): under id-jag AS-B is named with `audience`, the ID token is the
/// subject token, `requested_token_type` is id-jag, and harness grants are typed
/// `oauth-id-jag+jwt`. With the built-in form the conformant id-jag mock refused every valid
/// request (two false `valid-rejected` findings).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_graded_profiles_exchange_form_is_applied() {
    for profile in ["ena-1.0", "id-jag", "rfc8693"] {
        let dir = tempfile::tempdir().unwrap();
        let options = FuzzOptions {
            profile: Some(profile.into()),
            ..args(dir.path(), 300, 1, &[])
        };
        let code = fuzz::run(options).await;
        let r = conformant(dir.path(), code);
        for c in common::cases(&r) {
            if c["case"].as_str().unwrap().ends_with("-valid-rejected") {
                assert_eq!(c["verdict"], "pass", "{profile}: {c}");
            }
        }
        if profile == "id-jag" {
            let log = std::fs::read_to_string(dir.path().join("fuzz-requests.log")).unwrap();
            let setup = log.lines().find(|l| l.contains(" setup exchange "));
            let setup = setup.unwrap();
            assert!(
                setup.contains("&audience={as_b_issuer}")
                    && setup.contains("&requested_token_type={requested_token_type}")
                    && !setup.contains("resource="),
                "{setup}"
            );
        }
    }
}

/// The report of a run that found nothing (at most observations), and exited 0.
fn conformant(out: &Path, code: i32) -> serde_json::Value {
    let r = common::report_in(out);
    let failing: Vec<_> = common::cases(&r)
        .iter()
        .filter(|c| !matches!(c["verdict"].as_str(), Some("pass" | "skip" | "info")))
        .map(|c| format!("{} {} {}", c["case"], c["verdict"], c["message"]))
        .collect();
    assert!(failing.is_empty(), "{}: {failing:#?}", r["profile"]);
    assert_eq!(code, exit::OK);
    r
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_error_fault_is_found_shrunk_and_replayable() {
    let dir = tempfile::tempdir().unwrap();
    let faulty = [Fault::ServerErrorOnMalformed];
    let code = fuzz::run(args(dir.path(), 300, 1, &faulty)).await;
    assert_eq!(code, exit::CONFORMANCE);
    let r = common::report_in(dir.path());
    let case = common::case(&r, "exchange-server-error").clone();
    assert_eq!(case["verdict"], "fail");
    assert_eq!(case["requirements"][0], "GEN-04");
    assert_eq!(case["transcript"][0]["response"]["status"], 500);
    let file = dir.path().join("fuzz-finding-exchange-server-error.json");
    let replay = ReplayFile::load(&file).unwrap();
    assert!(
        replay.request.param_count() <= 2,
        "not shrunk: {} parameters: {}",
        replay.request.param_count(),
        replay.preview
    );
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        !text.contains("chain-client-secret") && !text.contains("127.0.0.1"),
        "{text}"
    );

    let replay_args = |faults: &[Fault]| FuzzOptions {
        replay: Some(file.clone()),
        ..args(dir.path(), 1, 1, faults)
    };
    assert_eq!(
        fuzz::run(replay_args(&faulty)).await,
        exit::CONFORMANCE,
        "replay against the faulty mock"
    );
    assert_eq!(
        fuzz::run(replay_args(&[])).await,
        exit::OK,
        "replay against the conformant mock"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_seed_sends_the_same_requests() {
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    assert_eq!(fuzz::run(args(a.path(), 200, 42, &[])).await, exit::OK);
    assert_eq!(fuzz::run(args(b.path(), 200, 42, &[])).await, exit::OK);
    assert_eq!(fuzz::run(args(c.path(), 200, 43, &[])).await, exit::OK);
    let log = |d: &Path| std::fs::read(d.join("fuzz-requests.log")).unwrap();
    let (la, lb, lc) = (log(a.path()), log(b.path()), log(c.path()));
    assert!(String::from_utf8_lossy(&la).lines().count() > 200);
    assert!(la == lb, "same seed, different request logs");
    assert!(la != lc, "different seeds, same request log");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_target_file_is_invalid_input() {
    let dir = tempfile::tempdir().unwrap();
    let a = FuzzOptions {
        target: Some(dir.path().join("t.toml")),
        ..args(dir.path(), 1, 1, &[])
    };
    assert_eq!(fuzz::run(a).await, exit::INVALID_INPUT);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn endpoint_choice_limits_what_is_fuzzed() {
    let dir = tempfile::tempdir().unwrap();
    let a = FuzzOptions {
        endpoint: fuzz::EndpointChoice::Assertion,
        ..args(dir.path(), 100, 9, &[])
    };
    assert_eq!(fuzz::run(a).await, exit::OK);
    let log = std::fs::read_to_string(dir.path().join("fuzz-requests.log")).unwrap();
    let cases: Vec<&str> = log.lines().filter(|l| l.contains(" case=")).collect();
    assert_eq!(cases.len(), 100);
    assert!(cases.iter().all(|l| l.contains(" assertion ")), "{log}");
    let r = common::report_in(dir.path());
    assert!(
        r["cases"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["case"].as_str().unwrap().starts_with("assertion-"))
    );
}

/// Issue 12 item 5: the HTML and Markdown reports show each finding's seed, shrunk request
/// and replay command as fields of their own, the replay command with the flags that
/// reproduce it (fault, profile). Run-specific text is redacted: the output folder, the seed
/// and the case index and shrink steps that follow it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn findings_are_readable_in_html_and_markdown() {
    let dir = tempfile::tempdir().unwrap();
    fuzz::run(args(dir.path(), 300, 1, &[Fault::AcceptExpired])).await;
    let out = dir.path().display().to_string();
    let redact = |text: &str| {
        let text = text
            .replace(&out, "[out]")
            .replace(&out.replace('/', "&#x2f;"), "[out]");
        let seed = regex::Regex::new(r"(seed: `|<dt>seed</dt><dd><code>)\d+").unwrap();
        let text = seed.replace_all(&text, "${1}[seed]");
        let steps = regex::Regex::new(r"\(case \d+, shrunk in \d+ steps\)").unwrap();
        steps
            .replace_all(&text, "(case [n], shrunk in [n] steps)")
            .into_owned()
    };
    let md = std::fs::read_to_string(dir.path().join("summary.md")).unwrap();
    let section = md
        .split("### Fuzz findings")
        .nth(1)
        .expect("a Fuzz findings section")
        .split("\n### ")
        .next()
        .unwrap();
    insta::assert_snapshot!("fuzz_findings_markdown", redact(section.trim()));
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    let fields: Vec<&str> = html
        .split("<dl class=\"fuzz\">")
        .skip(1)
        .map(|rest| rest.split("</dl>").next().unwrap())
        .collect();
    assert!(!fields.is_empty(), "no fuzz fields in the HTML report");
    insta::assert_snapshot!("fuzz_findings_html", redact(&fields.join("\n")));
}

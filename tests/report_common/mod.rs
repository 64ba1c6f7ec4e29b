//! Shared fixtures for the report tests: a realistic, fixed run (every verdict, checks with
//! actual/expected, transcripts carrying JWTs and credentials, requirement rows), the secrets
//! it contains, and helpers to find external tools.
#![allow(dead_code)]

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chainproof::diagnostic::Location;
use chainproof::party::Party;
use chainproof::report::{ReportOptions, Secrets};
use chainproof::run_result::*;
use chainproof::transcript::*;
use chainproof::verdict::{Level, Verdict};
use regex::Regex;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Command;

pub const CLIENT_SECRET: &str = "cs-Xq7!zz-SECRET-9f";
pub const USER_PASSWORD: &str = "pw-Hunter2-SECRET";
pub const BASIC_CREDENTIALS: &str = "Y2xpZW50LWE6Y3MtWHE3IXp6LVNFQ1JFVC05Zg==";
/// Signatures in the fixture: the first three may be revealed with `--reveal-tokens`.
pub const GRANT_SIG: &str = "GRANTsig0123456789abcdefGRANT";
pub const SUBJECT_SIG: &str = "SUBJECTsig0123456789abcSUBJECT";
pub const ACCESS_SIG: &str = "ACCESSsig0123456789abcdeACCESS";
/// Never shown, even with `--reveal-tokens`.
pub const ASSERTION_SIG: &str = "ASSERTIONsig0123456789ASSERTION";
pub const DPOP_SIG: &str = "DPOPsig0123456789abcdefghDPOP";
pub const COOKIE_VALUE: &str = "sessCOOKIEvalue42";
pub const PRIVATE_D: &str = "PRIVATEdMemberOfTheHarnessKey";
pub const PEM_BODY: &str = "MHcCAQEEIPEMbodyPRIVATEkeyMATERIAL";

/// Strings that must never appear in any report.
pub fn forbidden() -> Vec<&'static str> {
    vec![
        CLIENT_SECRET,
        USER_PASSWORD,
        BASIC_CREDENTIALS,
        ASSERTION_SIG,
        DPOP_SIG,
        COOKIE_VALUE,
        PRIVATE_D,
        PEM_BODY,
        "cs-Xq7%21zz-SECRET-9f",
    ]
}

pub fn secrets() -> Secrets {
    Secrets {
        values: vec![CLIENT_SECRET.into(), USER_PASSWORD.into()],
    }
}

pub fn jws(header: serde_json::Value, claims: serde_json::Value, sig: &str) -> String {
    format!(
        "{}.{}.{sig}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    )
}

pub fn subject_token() -> String {
    jws(
        json!({"alg":"ES256","kid":"as-a-1","typ":"at+jwt"}),
        json!({"iss":"https://as-a.example","sub":"alice","aud":"https://as-a.example","exp":1800000000,"scope":"read"}),
        SUBJECT_SIG,
    )
}

pub fn grant() -> String {
    jws(
        json!({"alg":"ES256","kid":"as-a-1"}),
        json!({"iss":"https://as-a.example","sub":"alice","aud":["https://as-b.example","https://as-c.example"],"exp":1800000300,"jti":"g-1"}),
        GRANT_SIG,
    )
}

pub fn assertion() -> String {
    jws(
        json!({"alg":"ES256","typ":"client-authentication+jwt"}),
        json!({"iss":"client-b","sub":"client-b","aud":"https://as-b.example/token","jti":"a-1","exp":1800000060}),
        ASSERTION_SIG,
    )
}

pub fn dpop_proof() -> String {
    jws(
        json!({"alg":"ES256","typ":"dpop+jwt","jwk":{"kty":"EC","crv":"P-256","x":"xx","y":"yy"}}),
        json!({"htm":"POST","htu":"https://as-b.example/token","iat":1800000000,"jti":"d-1"}),
        DPOP_SIG,
    )
}

fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn token(location: &str, raw: &str) -> DecodedToken {
    let parts: Vec<&str> = raw.split('.').collect();
    let dec = |s: &str| serde_json::from_slice(&URL_SAFE_NO_PAD.decode(s).unwrap()).ok();
    DecodedToken {
        location: location.into(),
        raw: raw.into(),
        header: dec(parts[0]),
        claims: dec(parts[1]),
    }
}

/// The token exchange at AS-A (client_secret_basic), answered with the grant.
pub fn exchange_at_as_a() -> Exchange {
    let st = subject_token();
    let g = grant();
    Exchange {
        step: "x".into(),
        request: RecordedRequest {
            method: "POST".into(),
            url: "https://as-a.example/token".into(),
            headers: h(&[
                ("content-type", "application/x-www-form-urlencoded"),
                ("authorization", &format!("Basic {BASIC_CREDENTIALS}")),
                ("cookie", &format!("sid={COOKIE_VALUE}")),
            ]),
            body: Some(format!(
                "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange&subject_token={st}&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aaccess_token&resource=https%3A%2F%2Fas-b.example"
            )),
        },
        response: Some(RecordedResponse {
            status: 200,
            headers: h(&[
                ("content-type", "application/json"),
                ("cache-control", "no-store"),
                ("set-cookie", &format!("sid={COOKIE_VALUE}; Path=/; HttpOnly")),
            ]),
            body: json!({"access_token": g, "issued_token_type":"urn:ietf:params:oauth:token-type:jwt","token_type":"N_A","expires_in":300}).to_string(),
            truncated: false,
        }),
        error: None,
        duration_ms: 42,
        tokens: vec![token("request.subject_token", &st), token("response.access_token", &g)],
    }
}

/// The jwt-bearer request at AS-B (private_key_jwt + DPoP), answered with an access token.
pub fn bearer_at_as_b() -> Exchange {
    let g = grant();
    let a = assertion();
    let p = dpop_proof();
    let at = jws(
        json!({"alg":"ES256","typ":"at+jwt"}),
        json!({"iss":"https://as-b.example","sub":"alice@b"}),
        ACCESS_SIG,
    );
    Exchange {
        step: "b".into(),
        request: RecordedRequest {
            method: "POST".into(),
            url: "https://as-b.example/token".into(),
            headers: h(&[("content-type", "application/x-www-form-urlencoded"), ("dpop", &p)]),
            body: Some(format!(
                "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion={g}&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion={a}"
            )),
        },
        response: Some(RecordedResponse {
            status: 200,
            headers: h(&[("content-type", "application/json"), ("cache-control", "no-store")]),
            body: json!({"access_token": at, "token_type":"DPoP","expires_in":3600,"refresh_token":"rt-opaque-1"}).to_string(),
            truncated: false,
        }),
        error: None,
        duration_ms: 37,
        tokens: vec![
            token("request.assertion", &g),
            token("request.client_assertion", &a),
            token("request.header.dpop", &p),
            token("response.access_token", &at),
        ],
    }
}

/// A password-grant subject token request that timed out.
pub fn password_grant_timeout() -> Exchange {
    Exchange {
        step: "st".into(),
        request: RecordedRequest {
            method: "POST".into(),
            url: "https://as-a.example/token".into(),
            headers: h(&[("content-type", "application/x-www-form-urlencoded")]),
            body: Some(format!(
                "grant_type=password&username=alice&password={USER_PASSWORD}&client_id=client-a&client_secret={}",
                url::form_urlencoded::byte_serialize(CLIENT_SECRET.as_bytes()).collect::<String>()
            )),
        },
        response: None,
        error: Some("timeout after 10 s waiting for response headers".into()),
        duration_ms: 10_000,
        tokens: vec![],
    }
}

fn check(
    desc: &str,
    req: &str,
    level: Level,
    verdict: Verdict,
    actual: serde_json::Value,
    expected: &str,
) -> CheckResult {
    CheckResult {
        description: desc.into(),
        requirement: req.into(),
        level,
        verdict,
        actual,
        expected: expected.into(),
        message: String::new(),
        // A stable, made-up position: each description gets its own line.
        source: Some(Location {
            file: "suites/fixture.toml".into(),
            line: 100 + desc.len(),
            column: 1,
        }),
    }
}

#[allow(clippy::too_many_arguments)]
fn case(
    suite: &str,
    id: &str,
    title: &str,
    reqs: &[&str],
    level: Level,
    verdict: Verdict,
    message: &str,
    checks: Vec<CheckResult>,
    transcript: Vec<Exchange>,
) -> CaseResult {
    CaseResult {
        suite: suite.into(),
        case: id.into(),
        title: title.into(),
        party: match suite {
            "token-exchange" | "aud-restrictions" => Party::AsA,
            "jwt-bearer" => Party::AsB,
            _ => Party::Chain,
        },
        blocked_by: None,
        requirements: reqs.iter().map(|s| s.to_string()).collect(),
        level,
        verdict,
        message: message.into(),
        duration_ms: 100 + transcript.iter().map(|e| e.duration_ms).sum::<u64>(),
        not_run: false,
        checks,
        transcript,
    }
}

/// A fixed run: 4 suites, 11 cases, every verdict (one blocked by AS-A), one case not run.
pub fn sample_run() -> RunResult {
    let cases = vec![
        case(
            "token-exchange",
            "issued-token-type-jwt",
            "The grant is issued as a JWT",
            &["IC-TE-12"],
            Level::Must,
            Verdict::Pass,
            "",
            vec![
                check(
                    "status is 200",
                    "IC-TE-12",
                    Level::Must,
                    Verdict::Pass,
                    json!(200),
                    "== 200",
                ),
                check(
                    "issued_token_type is jwt",
                    "IC-TE-12",
                    Level::Must,
                    Verdict::Pass,
                    json!("urn:ietf:params:oauth:token-type:jwt"),
                    "== \"urn:ietf:params:oauth:token-type:jwt\"",
                ),
                check(
                    "token_type is N_A",
                    "IC-TE-12",
                    Level::Must,
                    Verdict::Pass,
                    json!("N_A"),
                    "== \"N_A\"",
                ),
            ],
            vec![exchange_at_as_a()],
        ),
        case(
            "token-exchange",
            "no-store",
            "Token exchange responses are not cached",
            &["RFC6749-5.1-NOSTORE"],
            Level::Must,
            Verdict::Pass,
            "",
            vec![check(
                "Cache-Control is no-store",
                "RFC6749-5.1-NOSTORE",
                Level::Must,
                Verdict::Pass,
                json!("no-store"),
                "contains \"no-store\"",
            )],
            vec![exchange_at_as_a()],
        ),
        case(
            "aud-restrictions",
            "grant-aud-is-as-b",
            "The grant's aud identifies the requested AS-B",
            &["IC-TE-17", "IC-JG-03"],
            Level::Must,
            Verdict::Pass,
            "",
            vec![check(
                "grant aud identifies AS-B",
                "IC-TE-17",
                Level::Must,
                Verdict::Pass,
                json!(["https://as-b.example", "https://as-c.example"]),
                "includes any of [\"https://as-b.example\", \"https://as-b.example/token\"]",
            )],
            vec![exchange_at_as_a()],
        ),
        case(
            "aud-restrictions",
            "grant-aud-single",
            "The grant's aud is single-valued",
            &["IC-JG-04"],
            Level::Should,
            Verdict::Warn,
            "grant aud has 2 values (RECOMMENDED: one)",
            vec![check(
                "grant aud is a single value",
                "IC-JG-04",
                Level::Should,
                Verdict::Warn,
                json!(["https://as-b.example", "https://as-c.example"]),
                "a string or a one-element array",
            )],
            vec![exchange_at_as_a()],
        ),
        case(
            "jwt-bearer",
            "foreign-aud-rejected",
            "AS-B rejects a grant minted for another AS",
            &["IC-JB-AUD", "7523-3-AUD"],
            Level::Must,
            Verdict::Fail,
            "status: expected == 400, got 200",
            vec![
                check(
                    "status is 400",
                    "IC-JB-AUD",
                    Level::Must,
                    Verdict::Fail,
                    json!(200),
                    "== 400",
                ),
                check(
                    "error is invalid_grant",
                    "7523-3-AUD",
                    Level::Must,
                    Verdict::Fail,
                    json!(null),
                    "== \"invalid_grant\"",
                ),
                check(
                    "no refresh_token",
                    "IC-AT-05",
                    Level::Should,
                    Verdict::Warn,
                    json!("rt-opaque-1"),
                    "absent",
                ),
            ],
            vec![bearer_at_as_b()],
        ),
        case(
            "jwt-bearer",
            "jti-replay-rejected",
            "A grant presented twice is rejected the second time",
            &["IC-SEC-REPLAY"],
            Level::May,
            Verdict::Info,
            "second presentation accepted (replay protection is optional)",
            vec![check(
                "second use rejected",
                "IC-SEC-REPLAY",
                Level::May,
                Verdict::Info,
                json!(200),
                "== 400",
            )],
            vec![bearer_at_as_b(), bearer_at_as_b()],
        ),
        case(
            "jwt-bearer",
            "harness-issuer-missing-sub",
            "A grant without sub is rejected",
            &["7523-3-SUB"],
            Level::Must,
            Verdict::Skip,
            "needs capability `harness_issuer` (AS-B must trust the harness issuer)",
            vec![],
            vec![],
        ),
        CaseResult {
            blocked_by: Some(Party::AsA),
            ..case(
                "jwt-bearer",
                "valid-grant-redeemed",
                "AS-B redeems a valid grant",
                &["IC-JB-01"],
                Level::Must,
                Verdict::Blocked,
                "blocked by AS-A: precondition \"AS-A's grant has an aud identifying AS-B\" failed (aud is \"https://as-a.example/client\"); graded by aud-restrictions/grant-aud-is-as-b",
                vec![],
                vec![],
            )
        },
        case(
            "discovery",
            "subject-token-obtained",
            "A subject token is obtained for the primary user",
            &["IC-DISC-01"],
            Level::Must,
            Verdict::Error,
            "step `st`: timeout after 10 s waiting for response headers",
            vec![],
            vec![password_grant_timeout()],
        ),
        case(
            "discovery",
            "metadata-issuer-matches",
            "RFC 8414 issuer equals the configured issuer",
            &["8414-3.3-ISS"],
            Level::Must,
            Verdict::Pass,
            "",
            vec![check(
                "issuer matches",
                "8414-3.3-ISS",
                Level::Must,
                Verdict::Pass,
                json!({"issuer":"https://as-a.example","jwks":{"keys":[{"kty":"EC","crv":"P-256","x":"xx","y":"yy","d":PRIVATE_D}]}}),
                "issuer == \"https://as-a.example\"",
            )],
            vec![],
        ),
        CaseResult {
            not_run: true,
            ..case(
                "discovery",
                "rs-metadata",
                "RFC 9728 metadata names AS-B",
                &["9728-AS"],
                Level::May,
                Verdict::Error,
                "not run: interrupted",
                vec![],
                vec![],
            )
        },
    ];
    let mut requirements = Vec::new();
    let levels = [
        (
            "IC-TE-12",
            Level::Must,
            "IC §2.3.2",
            "issued_token_type is the JWT type",
        ),
        (
            "RFC6749-5.1-NOSTORE",
            Level::Must,
            "6749 §5.1",
            "token responses carry Cache-Control: no-store",
        ),
        (
            "IC-TE-17",
            Level::Must,
            "IC §2.3.3",
            "grant aud identifies AS-B",
        ),
        (
            "IC-JG-03",
            Level::Must,
            "IC §2.3.3; 7523 §3 item 3",
            "grant has aud",
        ),
        ("IC-JG-04", Level::Should, "IC §2.3.3", "aud single-valued"),
        (
            "IC-JB-AUD",
            Level::Must,
            "IC §2.4.2",
            "AS-B accepts only grants whose aud is itself",
        ),
        (
            "7523-3-AUD",
            Level::Must,
            "7523 §3 item 3",
            "aud mismatch is invalid_grant",
        ),
        ("IC-AT-05", Level::Should, "IC §5.4", "no refresh token"),
        ("IC-SEC-REPLAY", Level::May, "IC §5.5", "replay of grants"),
        ("7523-3-SUB", Level::Must, "7523 §3 item 2", "grant has sub"),
        (
            "IC-DISC-01",
            Level::Must,
            "IC §2.1",
            "subject token for the user",
        ),
        ("8414-3.3-ISS", Level::Must, "8414 §3.3", "issuer matches"),
        (
            "9728-AS",
            Level::May,
            "9728 §2",
            "RS metadata lists authorization servers",
        ),
    ];
    for (id, level, source, summary) in levels {
        let cited: Vec<&CaseResult> = cases
            .iter()
            .filter(|c| {
                c.requirements.iter().any(|r| r == id)
                    || c.checks.iter().any(|k| k.requirement == id)
            })
            .collect();
        requirements.push(RequirementRow {
            id: id.into(),
            source: source.into(),
            level,
            summary: summary.into(),
            cases: cited.iter().map(|c| c.full_id()).collect(),
            verdict: cited.iter().map(|c| c.verdict).reduce(Verdict::worst),
        });
    }
    RunResult {
        schema_version: SCHEMA_VERSION,
        tool: ToolInfo {
            name: "chainproof".into(),
            version: "0.0.0-test".into(),
        },
        profile: "ic-17".into(),
        started_at: "2026-11-25T12:00:00Z".into(),
        finished_at: "2026-11-25T12:00:11Z".into(),
        duration_ms: 11_000,
        targets: Targets {
            as_a: RoleInfo {
                kind: "live".into(),
                url: "https://as-a.example".into(),
                faults: vec![],
                variants: vec![],
            },
            as_b: RoleInfo {
                kind: "mock".into(),
                url: "https://as-b.example".into(),
                faults: vec!["refresh-token".into()],
                variants: vec![],
            },
            rs: None,
            harness_issuer: None,
            file: Some("targets/example.toml".into()),
            insecure: false,
        },
        summary: Summary::of(cases.iter().map(|c| &c.verdict)),
        parties: PartySummary::of(&cases),
        interrupted: true,
        requirements,
        cases,
        partition: None,
        fuzz: None,
    }
}

/// Report arguments writing every format into `dir`.
pub fn args_in(dir: &Path) -> ReportOptions {
    ReportOptions {
        out: dir.to_path_buf(),
        ..ReportOptions::default()
    }
}

/// Whether external tools must be present (CI) or may be missing (a developer machine).
pub fn tool_missing(what: &str) {
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
    if ci {
        panic!("{what} is required under CI=true: run `bash .ci/install-test-tools`");
    }
    eprintln!("NOTICE: skipping: {what} is not installed (run `bash .ci/install-test-tools`)");
}

// ---- independent consumers: Python junitparser and headless Chromium ----

pub const JUNITPARSER: &str = r#"
import json, sys
from junitparser import JUnitXml, Failure, Error, Skipped
xml = JUnitXml.fromfile(sys.argv[1])
out = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0, "suites": 0, "cases": {}}
for suite in xml:
    out["suites"] += 1
    for case in suite:
        out["tests"] += 1
        kinds = [type(r).__name__ for r in case.result]
        kind = kinds[0].lower() if kinds else "passed"
        if "Failure" in kinds: out["failures"] += 1
        if "Error" in kinds: out["errors"] += 1
        if "Skipped" in kinds: out["skipped"] += 1
        out["cases"][case.classname + "/" + case.name] = kind
print(json.dumps(out))
"#;

/// Runs junitparser over `path`; `None` when it is not installed (and not under CI).
pub fn junitparser(path: &std::path::Path) -> Option<serde_json::Value> {
    let probe = Command::new("python3")
        .args(["-c", "import junitparser"])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        tool_missing("python3 with junitparser");
        return None;
    }
    let out = Command::new("python3")
        .arg("-c")
        .arg(JUNITPARSER)
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "junitparser rejected the file: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).unwrap())
}

pub fn chromium() -> Option<PathBuf> {
    let found = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists());
    if found.is_none() {
        tool_missing("chromium");
    }
    found
}

pub fn headless(chromium: &Path, extra: &[&str], url: &str) -> std::process::Output {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

pub fn file_url(path: &Path) -> String {
    url::Url::from_file_path(path).unwrap().to_string()
}

/// `id="count-<verdict>">N<` values in an HTML text.
pub fn counts(html: &str) -> Vec<(String, u64)> {
    let re = Regex::new(r#"id="count-([a-z-]+)">(\d+)<"#).unwrap();
    re.captures_iter(html)
        .map(|c| (c[1].to_string(), c[2].parse().unwrap()))
        .collect()
}

pub fn assert_counts_equal_json(html: &str, json: &serde_json::Value) {
    let counts = counts(html);
    for v in ["total", "pass", "fail", "warn", "info", "skip", "error"] {
        let n = counts
            .iter()
            .find(|(k, _)| k == v)
            .unwrap_or_else(|| panic!("#count-{v} missing"))
            .1;
        assert_eq!(json["summary"][v], n, "#count-{v}");
    }
}

/// Case rows in a dumped DOM: (verdict, hidden).
pub fn rows(dom: &str) -> Vec<(String, bool)> {
    let re = Regex::new(r#"<details class="case"[^>]*>"#).unwrap();
    let verdict = Regex::new(r#"data-verdict="([a-z]+)""#).unwrap();
    re.find_iter(dom)
        .map(|m| {
            let tag = m.as_str();
            (
                verdict.captures(tag).unwrap()[1].to_string(),
                Regex::new(r"\shidden(=|\s|>)").unwrap().is_match(tag),
            )
        })
        .collect()
}

//! Secrets never reach a report: every format (JSON, JUnit, HTML, Markdown, step summary) and
//! the gate's printed summary are searched for the known secret values of a run that carries
//! them in headers, form bodies, JSON bodies, JWK private members, PEM keys, check values,
//! messages, and (appended) every other string field.

mod report_common;

use chainproof::report::{self, GateOptions, ReportOptions};
use chainproof::run_result::RunResult;
use report_common::*;
use std::path::Path;

mod common;

/// The sample run with secrets appended to every free-text string (header lists excepted), a PEM private key in a
/// response body, and secrets inside check values.
fn leaky_run() -> RunResult {
    fn walk(v: &mut serde_json::Value, key: Option<&str>, n: &mut usize) {
        match v {
            // Header names stay real names (the fixture carries real credential headers).
            serde_json::Value::String(s)
                if !matches!(
                    key,
                    Some("verdict" | "level" | "party" | "blocked_by" | "headers")
                ) =>
            {
                *n += 1;
                let extra = match *n % 3 {
                    0 => format!(" {CLIENT_SECRET}"),
                    1 => format!(" password={USER_PASSWORD}&x=1"),
                    _ => format!(
                        " {}",
                        url::form_urlencoded::byte_serialize(CLIENT_SECRET.as_bytes())
                            .collect::<String>()
                    ),
                };
                s.push_str(&extra);
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(|x| walk(x, key, n)),
            serde_json::Value::Object(m) => m.iter_mut().for_each(|(k, x)| walk(x, Some(k), n)),
            _ => {}
        }
    }
    let mut run = sample_run();
    let body = &mut run.cases[0].transcript[0].response.as_mut().unwrap().body;
    *body = format!(
        "{{\"key\":\"-----BEGIN PRIVATE KEY-----\\n{PEM_BODY}\\n-----END PRIVATE KEY-----\",\"client_secret\":\"{CLIENT_SECRET}\",\"echo\":\"{}\"}}",
        CLIENT_SECRET.replace('!', "\\u0021")
    );
    run.cases[4].checks[0].actual =
        serde_json::json!({"password": "other", "nested": [CLIENT_SECRET]});
    run.cases[4].transcript[0].request.url = format!(
        "https://as-b.example/token?echo={}",
        CLIENT_SECRET.replace('-', "%2D")
    );
    let mut v = serde_json::to_value(run).unwrap();
    let mut n = 0;
    walk(&mut v, None, &mut n);
    serde_json::from_value(v).unwrap()
}

fn written_texts(dir: &Path, summary: &Path) -> Vec<(String, String)> {
    ["report.json", "junit.xml", "report.html", "summary.md"]
        .iter()
        .map(|f| dir.join(f))
        .chain([summary.to_path_buf()])
        .map(|p| {
            (
                p.display().to_string(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect()
}

/// Also looks for the secrets as they would appear after HTML escaping or XML escaping.
fn leaks(text: &str, needles: &[&str]) -> Vec<String> {
    let decoded = text
        .replace("\\\\u0021", "!")
        .replace("\\u0021", "!")
        .replace("%2D", "-")
        .replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
        .replace("&#33;", "!");
    needles
        .iter()
        .filter(|n| text.contains(**n) || decoded.contains(**n))
        .map(|n| n.to_string())
        .collect()
}

#[test]
fn no_secret_in_any_report_format() {
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("step-summary.md");
    let args = ReportOptions {
        step_summary: Some(summary.clone()),
        ..args_in(dir.path())
    };
    let run = leaky_run();
    // The fixture really does carry every secret before redaction.
    let raw = serde_json::to_string(&run).unwrap();
    for s in forbidden() {
        if s != PRIVATE_D {
            assert!(
                raw.contains(s) || raw.contains(&s.replace('!', "\\u0021")),
                "fixture lacks {s}"
            );
        }
    }
    assert!(raw.contains(PRIVATE_D));
    let gate = report::gate(&run, &GateOptions::default(), &args, &secrets()).unwrap();
    report::write_reports(&run, &args, &secrets(), Some(&gate)).unwrap();
    let mut texts = written_texts(dir.path(), &summary);
    texts.push(("gate summary".into(), gate.summary.clone()));
    let mut needles = forbidden();
    needles.extend([GRANT_SIG, SUBJECT_SIG, ACCESS_SIG]);
    for (name, text) in &texts {
        assert!(text.len() > 500, "{name} is too short to prove anything");
        let found = leaks(text, &needles);
        assert!(found.is_empty(), "{name} leaks {found:?}");
        assert!(
            text.contains("[REDACTED]") || text.contains("\\[REDACTED\\]"),
            "{name} shows where redaction happened"
        );
    }
    // The JSON report stays a valid report after redaction.
    let json: serde_json::Value = serde_json::from_str(&texts[0].1).unwrap();
    assert_eq!(json["summary"]["total"], 11);
}

#[test]
fn reveal_tokens_keeps_token_signatures_but_never_assertions_or_proofs() {
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("step-summary.md");
    let args = ReportOptions {
        step_summary: Some(summary.clone()),
        reveal_tokens: true,
        ..args_in(dir.path())
    };
    report::write_all(&sample_run(), &args, &secrets()).unwrap();
    for (name, text) in written_texts(dir.path(), &summary) {
        let found = leaks(&text, &forbidden());
        assert!(found.is_empty(), "{name} leaks {found:?}");
    }
    let json = std::fs::read_to_string(dir.path().join("report.json")).unwrap();
    assert!(json.contains(GRANT_SIG) && json.contains(SUBJECT_SIG) && json.contains(ACCESS_SIG));
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(html.contains(GRANT_SIG));
}

#[test]
fn redacted_headers_keep_their_scheme() {
    let dir = tempfile::tempdir().unwrap();
    report::write_all(&sample_run(), &args_in(dir.path()), &secrets()).unwrap();
    let json = common::report_in(dir.path());
    let headers = &json["cases"][0]["transcript"][0]["request"]["headers"];
    assert_eq!(
        headers[1],
        serde_json::json!(["authorization", "Basic [REDACTED]"])
    );
    assert_eq!(headers[2], serde_json::json!(["cookie", "sid=[REDACTED]"]));
    let tokens = &json["cases"][4]["transcript"][0]["tokens"];
    assert!(
        tokens[0]["raw"]
            .as_str()
            .unwrap()
            .ends_with(".[sig-redacted]")
    );
    assert_eq!(
        tokens[0]["claims"]["jti"], "g-1",
        "decoded claims stay readable"
    );
}

proptest::proptest! {
    /// A secret is removed wherever it sits in arbitrary text.
    #[test]
    fn secret_removed_from_arbitrary_text(prefix in "\\PC{0,40}", suffix in "\\PC{0,40}", reveal: bool) {
        let r = chainproof::report::redact::Redactor::new(&secrets(), reveal);
        for s in [CLIENT_SECRET, USER_PASSWORD] {
            let out = r.text(&format!("{prefix}{s}{suffix}"));
            proptest::prop_assert!(!out.contains(s), "{}", out);
        }
    }
}

//! JUnit XML: structure, hostile server text in every field, and acceptance by an independent
//! consumer (Python junitparser, installed by `.ci/install-test-tools`).

mod report_common;

use chainproof::report::{self, WarnAs, junit};
use chainproof::run_result::RunResult;
use report_common::*;

mod common;

/// Characters and sequences that break naive XML writers or terminals.
const HOSTILE: &str = "]]> <x a=\"1\">&amp;</x> <![CDATA[c]]> \u{0}\u{1}\u{8}\u{b}\u{c}\u{1b}[31mred\u{1b}[0m \u{7f} \u{fffe}\u{ffff} \r\n' 🦀";

/// The sample run with hostile text appended to every free-text string.
fn hostile_run() -> RunResult {
    fn walk(v: &mut serde_json::Value, key: Option<&str>) {
        match v {
            serde_json::Value::String(s)
                if !matches!(key, Some("verdict" | "level" | "party" | "blocked_by")) =>
            {
                s.push_str(HOSTILE)
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(|x| walk(x, key)),
            serde_json::Value::Object(m) => m.iter_mut().for_each(|(k, x)| walk(x, Some(k))),
            _ => {}
        }
    }
    let mut v = serde_json::to_value(sample_run()).unwrap();
    walk(&mut v, None);
    serde_json::from_value(v).unwrap()
}

fn parse(xml: &str) -> roxmltree::Document<'_> {
    roxmltree::Document::parse(xml)
        .unwrap_or_else(|e| panic!("JUnit XML does not parse: {e}\n{xml}"))
}

#[test]
fn structure_matches_the_run() {
    let run = sample_run();
    let xml = junit::render(&run, WarnAs::Pass).unwrap();
    let doc = parse(&xml);
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "testsuites");
    let suites: Vec<_> = root
        .children()
        .filter(|n| n.has_tag_name("testsuite"))
        .collect();
    assert_eq!(
        suites
            .iter()
            .map(|s| s.attribute("name").unwrap())
            .collect::<Vec<_>>(),
        [
            "token-exchange",
            "aud-restrictions",
            "jwt-bearer",
            "discovery"
        ]
    );
    let cases: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .collect();
    assert_eq!(cases.len(), run.cases.len());
    let mut pairs = std::collections::HashSet::new();
    for (tc, c) in cases.iter().zip(&run.cases) {
        assert_eq!(tc.attribute("classname"), Some(c.suite.as_str()));
        assert_eq!(tc.attribute("name"), Some(c.case.as_str()));
        assert!(
            pairs.insert((c.suite.clone(), c.case.clone())),
            "duplicate pair"
        );
        let secs: f64 = tc.attribute("time").unwrap().parse().unwrap();
        assert!((secs - c.duration_ms as f64 / 1000.0).abs() < 1e-6);
        let child = |name: &str| tc.children().find(|n| n.has_tag_name(name));
        let props: Vec<(&str, &str)> = tc
            .descendants()
            .filter(|n| n.has_tag_name("property"))
            .map(|p| (p.attribute("name").unwrap(), p.attribute("value").unwrap()))
            .collect();
        for r in &c.requirements {
            assert!(props.contains(&("requirement", r.as_str())), "{props:?}");
        }
        assert!(props.contains(&("profile", "ic-17")));
        let verdict = if c.not_run {
            "not_run"
        } else {
            c.verdict.as_str()
        };
        assert!(props.contains(&("verdict", verdict)));
        match verdict {
            "fail" => assert_eq!(
                child("failure").unwrap().attribute("message"),
                Some(c.located_message().as_str())
            ),
            "error" => assert_eq!(
                child("error").unwrap().attribute("message"),
                Some(c.message.as_str())
            ),
            "not_run" => assert_eq!(child("error").unwrap().attribute("type"), Some("not-run")),
            "skip" | "blocked" => {
                let skipped = child("skipped").unwrap();
                assert_eq!(skipped.attribute("message"), Some(c.message.as_str()));
                assert_eq!(skipped.attribute("type"), Some(c.verdict.as_str()));
            }
            "warn" | "info" => {
                assert!(child("failure").is_none() && child("error").is_none());
                assert!(
                    props.contains(&("message", c.message.as_str())),
                    "warning visible: {props:?}"
                );
            }
            _ => assert!(tc.children().all(|n| !n.is_element()
                || n.has_tag_name("properties")
                || n.has_tag_name("system-out"))),
        }
        if !c.transcript.is_empty() {
            let out = child("system-out").unwrap().text().unwrap();
            assert!(
                out.contains(&format!(
                    "> {} {}",
                    c.transcript[0].request.method, c.transcript[0].request.url
                )),
                "{out}"
            );
        }
    }
}

#[test]
fn warn_as_failure_for_strict_gates() {
    let xml = junit::render(&sample_run(), WarnAs::Failure).unwrap();
    let doc = parse(&xml);
    let tc = doc
        .descendants()
        .find(|n| n.attribute("name") == Some("grant-aud-single"))
        .unwrap();
    let f = tc.children().find(|n| n.has_tag_name("failure")).unwrap();
    assert_eq!(f.attribute("type"), Some("warn"));
}

#[test]
fn hostile_text_in_every_field_stays_parseable_and_visible() {
    let run = hostile_run();
    let xml = junit::render(&run, WarnAs::Pass).unwrap();
    let doc = parse(&xml);
    // Nothing was silently lost: the markup arrives as text, controls as visible escapes.
    let shown = junit::xml_safe(HOSTILE).replace("\r\n", "\n");
    assert!(
        shown.contains("\\u{1b}[31mred") && shown.contains("\\u{0}") && shown.contains("\\u{fffe}")
    );
    let mut texts = 0;
    for n in doc.descendants() {
        for a in n.attributes() {
            if a.value().contains("]]>") {
                assert!(
                    a.value()
                        .contains(&shown.replace('\n', " ").replace("\r", " ")[..20])
                );
                texts += 1;
            }
        }
        if let Some(t) = n.text()
            && t.contains(&shown[..40])
        {
            texts += 1;
        }
    }
    assert!(
        texts > 20,
        "hostile text should appear in many fields, saw {texts}"
    );
    let failure = doc
        .descendants()
        .find(|n| n.has_tag_name("failure"))
        .unwrap();
    assert!(
        failure
            .attribute("message")
            .unwrap()
            .contains("]]> <x a=\"1\">&amp;</x>")
    );
    assert!(
        failure
            .attribute("message")
            .unwrap()
            .contains("\\u{1}\\u{8}")
    );
    let suite = doc
        .descendants()
        .find(|n| n.has_tag_name("testsuite"))
        .unwrap();
    assert!(
        suite
            .attribute("name")
            .unwrap()
            .starts_with("token-exchange]]>")
    );
}

#[test]
fn junitparser_counts_equal_the_json_summary() {
    let dir = tempfile::tempdir().unwrap();
    report::write_all(&sample_run(), &args_in(dir.path()), &secrets()).unwrap();
    let Some(parsed) = junitparser(&dir.path().join("junit.xml")) else {
        return;
    };
    let json = common::report_in(dir.path());
    let s = &json["summary"];
    assert_eq!(parsed["tests"], s["total"]);
    assert_eq!(parsed["failures"], s["fail"], "warnings pass by default");
    assert_eq!(parsed["errors"], s["error"]);
    // JUnit has no `blocked`: a blocked case is written as skipped, with its message.
    assert_eq!(
        parsed["skipped"].as_u64(),
        Some(s["skip"].as_u64().unwrap() + s["blocked"].as_u64().unwrap())
    );
    assert_eq!(parsed["suites"], 4);
    for c in common::cases(&json) {
        let id = common::case_id(c);
        let want = match c["verdict"].as_str().unwrap() {
            "fail" => "failure",
            "error" => "error",
            "skip" | "blocked" => "skipped",
            _ => "passed",
        };
        assert_eq!(parsed["cases"][&id], want, "{id}");
    }
}

#[test]
fn junitparser_accepts_hostile_text() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("hostile.xml");
    let run = hostile_run();
    std::fs::write(&path, junit::render(&run, WarnAs::Pass).unwrap()).unwrap();
    let Some(parsed) = junitparser(&path) else {
        return;
    };
    assert_eq!(parsed["tests"].as_u64(), Some(run.cases.len() as u64));
    assert_eq!(parsed["failures"], 1);
}

/// Evidence for sanitizing before quick-junit: on its own it drops C0 controls silently (the
/// reader never learns the server sent them) and lets U+FFFE through, which XML 1.0 forbids.
#[test]
fn quick_junit_alone_is_not_enough() {
    use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
    let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
    status.set_message("a\u{1}b \u{fffe}");
    let mut suite = TestSuite::new("s");
    suite.add_test_case(TestCase::new("c", status));
    let mut report = Report::new("r");
    report.add_test_suite(suite);
    let xml = report.to_string().unwrap();
    assert!(
        xml.contains("message=\"ab "),
        "C0 control dropped silently: {xml}"
    );
    assert!(
        roxmltree::Document::parse(&xml).is_err(),
        "U+FFFE makes the document invalid"
    );
}

proptest::proptest! {
    /// Whatever a server sends, the JUnit file parses and carries the text.
    #[test]
    fn any_message_yields_parseable_junit(message in "\\PC*|[\\x00-\\x1f\\u{fffe}\\u{ffff}\\]>&<]*") {
        let mut run = sample_run();
        run.cases[4].message = message.clone();
        run.cases[4].suite = message.clone();
        let xml = junit::render(&run, WarnAs::Pass).unwrap();
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let failure = doc.descendants().find(|n| n.has_tag_name("failure")).unwrap();
        // The deciding check's `file:line` comes first, then the message.
        let shown = junit::xml_safe(&run.cases[4].located_message());
        proptest::prop_assert!(shown.starts_with("suites/fixture.toml:"));
        // Attribute values are whitespace-normalized by XML parsers.
        let norm = |s: &str| s.replace(['\t', '\n', '\r'], " ");
        proptest::prop_assert_eq!(norm(failure.attribute("message").unwrap()), norm(&shown));
    }
}

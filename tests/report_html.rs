//! The HTML report: self-contained, escaped, and working in a real browser (headless Chromium:
//! a screenshot, summary counts equal to the JSON's, and the verdict filter hiding passing cases).

mod report_common;

use chainproof::report;
use regex::Regex;
use report_common::*;
use std::path::Path;

mod common;

fn write_reports(dir: &Path) -> (String, serde_json::Value) {
    report::write_all(&sample_run(), &args_in(dir), &secrets()).unwrap();
    // Attribute values read as the browser reads them.
    let html = std::fs::read_to_string(dir.join("report.html"))
        .unwrap()
        .replace("&#x27;", "'");
    let json = common::report_in(dir);
    (html, json)
}

#[test]
fn self_contained_no_external_resources() {
    let dir = tempfile::tempdir().unwrap();
    let (html, json) = write_reports(dir.path());
    assert_counts_equal_json(&html, &json);
    let lower = html.to_ascii_lowercase();
    for bad in [
        "<link", "src=", "@import", "url(", "<iframe", "<img", "<object", "<embed",
    ] {
        assert!(
            !lower.contains(bad),
            "external resource marker `{bad}` in the HTML"
        );
    }
    // Links are in-page anchors only.
    for href in Regex::new(r#"href="([^"]*)""#)
        .unwrap()
        .captures_iter(&html)
    {
        assert!(href[1].starts_with('#'), "non-local link {}", &href[1]);
    }
    assert!(html.contains("Content-Security-Policy") && html.contains("default-src 'none'"));
    assert!(
        html.contains("<body>"),
        "data-active-filter is set by the script only"
    );
    assert_eq!(html.matches("<script>").count(), 1);
    // Every case row carries its verdict and every verdict has a filter button.
    assert_eq!(html.matches("class=\"case\"").count(), 11);
    for v in ["pass", "fail", "warn", "info", "skip", "blocked", "error"] {
        assert!(html.contains(&format!("data-filter=\"{v}\"")));
    }
    assert!(html.contains("data-not-run=\"true\""));
    assert!(html.contains(">not run</span>"));
}

#[test]
fn csp_hashes_match_the_inline_code() {
    use base64::Engine as _;
    use sha2::Digest as _;
    let dir = tempfile::tempdir().unwrap();
    let (html, _) = write_reports(dir.path());
    for (open, close, directive) in [
        ("<style>", "</style>", "style-src"),
        ("<script>", "</script>", "script-src"),
    ] {
        let start = html.find(open).unwrap() + open.len();
        let end = start + html[start..].find(close).unwrap();
        let hash = base64::engine::general_purpose::STANDARD
            .encode(sha2::Sha256::digest(&html.as_bytes()[start..end]));
        assert!(
            html.contains(&format!("{directive} 'sha256-{hash}'")),
            "{directive} hash"
        );
    }
}

#[test]
fn hostile_text_is_escaped() {
    let mut run = sample_run();
    run.cases[4].message = "</script><script>alert(1)</script><img src=x onerror=alert(2)>".into();
    run.cases[4].checks[0].actual = serde_json::json!("<b>bold</b>");
    run.cases[4].transcript[0].response.as_mut().unwrap().body =
        "<html><script src=https://evil.example/x.js></script>".into();
    let dir = tempfile::tempdir().unwrap();
    report::write_all(&run, &args_in(dir.path()), &secrets()).unwrap();
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert_eq!(
        html.matches("<script").count(),
        1,
        "only our own script element"
    );
    assert!(!html.contains("<img") && !html.contains("<b>bold"));
    assert!(
        html.contains("&lt;&#x2f;script&gt;&lt;script&gt;alert(1)")
            || html.contains("&lt;/script&gt;&lt;script&gt;alert(1)")
    );
}

#[test]
fn jwts_are_shown_decoded_beside_the_raw_token() {
    let dir = tempfile::tempdir().unwrap();
    let (html, _) = write_reports(dir.path());
    assert!(html.contains("JWT at response.access_token"));
    assert!(html.contains("class=\"jwt-claims\""));
    // Claims of the grant, decoded (HTML-escaped quotes).
    assert!(html.contains("&quot;jti&quot;: &quot;g-1&quot;"));
}

#[test]
fn chromium_renders_a_screenshot() {
    let Some(chromium) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    write_reports(dir.path());
    let shot = dir.path().join("report.png");
    let arg = format!("--screenshot={}", shot.display());
    headless(
        &chromium,
        &[&arg, "--window-size=1280,2000"],
        &file_url(&dir.path().join("report.html")),
    );
    let png = std::fs::read(&shot).expect("screenshot written");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert!(
        png.len() > 20_000,
        "a blank page would be tiny: {} bytes",
        png.len()
    );
}

#[test]
fn chromium_filter_hides_passing_cases_and_counts_match_json() {
    let Some(chromium) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (_, json) = write_reports(dir.path());
    let url = file_url(&dir.path().join("report.html"));

    // As loaded: every row visible, counts as in the JSON.
    let dom = String::from_utf8(headless(&chromium, &["--dump-dom"], &url).stdout).unwrap();
    assert_counts_equal_json(&dom, &json);
    assert!(dom.contains("data-active-filter=\"all\""), "the script ran");
    let all = rows(&dom);
    assert_eq!(all.len(), 11);
    assert!(all.iter().all(|(_, hidden)| !hidden));

    // `#filter=fail` clicks the `fail` button: passing (and all other) cases are hidden.
    let dom = String::from_utf8(
        headless(&chromium, &["--dump-dom"], &format!("{url}#filter=fail")).stdout,
    )
    .unwrap();
    assert!(
        dom.contains("data-active-filter=\"fail\""),
        "filter applied"
    );
    assert!(dom.contains(r#"data-filter="fail" aria-pressed="true""#));
    let filtered = rows(&dom);
    assert_eq!(filtered.len(), 11);
    for (verdict, hidden) in &filtered {
        assert_eq!(*hidden, verdict != "fail", "{verdict} row hidden={hidden}");
    }
    assert!(dom.contains("<span id=\"shown-count\">1</span>"));

    // Text search: only the cases whose transcript mentions a refresh token (its opaque value
    // is redacted; the member name is not).
    let dom = String::from_utf8(
        headless(
            &chromium,
            &["--dump-dom"],
            &format!("{url}#q=refresh_token"),
        )
        .stdout,
    )
    .unwrap();
    let shown: Vec<_> = rows(&dom)
        .into_iter()
        .filter(|(_, h)| !h)
        .map(|(v, _)| v)
        .collect();
    assert_eq!(shown, ["fail", "info"]);
}

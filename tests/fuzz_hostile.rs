//! End-to-end: the fuzzer against servers that misbehave at the transport level. It must stop
//! with a precise `error` verdict (circuit breaker), never hang or panic.

use chainproof::exit;
use chainproof::fuzz::{self, FuzzOptions};
use chainproof::report::ReportOptions;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

mod common;

/// A target file naming one hostile server as AS-A and AS-B (pinned endpoints: it publishes
/// no metadata), with a static subject token, so the fuzzer's first request is a case.
fn target(dir: &Path, base: &str) -> PathBuf {
    let path = dir.join("hostile-target.toml");
    std::fs::write(
        &path,
        format!(
            r#"
[as_a]
kind = "live"
issuer = "{base}"
token_endpoint = "{base}/token"
[as_a.client]
id = "c"
secret = "hostile-client-secret"
[as_a.subject_token]
method = "static"
token = "opaque-subject-token"

[as_b]
kind = "live"
issuer = "{base}"
token_endpoint = "{base}/token"

[limits]
request_timeout_secs = 1
"#
        ),
    )
    .unwrap();
    path
}

fn args(out: &Path, base: &str) -> FuzzOptions {
    FuzzOptions {
        target: Some(target(out, base)),
        cases: 200,
        seed: Some(1),
        timeout: Some(Duration::from_millis(300)),
        breaker: 5,
        concurrency: 4,
        report: ReportOptions {
            out: out.to_path_buf(),
            ..ReportOptions::default()
        },
        ..FuzzOptions::default()
    }
}

fn breaker_case(out: &Path) -> serde_json::Value {
    let r = common::report_in(out);
    assert_eq!(r["interrupted"], true);
    common::case(&r, "circuit-breaker").clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_connections_trip_the_breaker() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dir = tempfile::tempdir().unwrap();
    let code = fuzz::run(args(dir.path(), &format!("http://127.0.0.1:{port}"))).await;
    assert_eq!(code, exit::RUNTIME);
    let case = breaker_case(dir.path());
    common::assert_verdict(&case, "error", "5 consecutive");
    // It stopped early instead of sending all 200 cases.
    let log = std::fs::read_to_string(dir.path().join("fuzz-requests.log")).unwrap();
    assert!(
        log.lines().count() <= 12,
        "{} requests logged",
        log.lines().count()
    );
}

/// Requests that get no answer but do not trip the breaker are not judged by any oracle; the
/// report says how many instead of letting the counts look complete.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unanswered_requests_below_the_breaker_are_counted() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dir = tempfile::tempdir().unwrap();
    let mut options = args(dir.path(), &format!("http://127.0.0.1:{port}"));
    options.cases = 6;
    options.breaker = 1000;
    let code = fuzz::run(options).await;
    assert_eq!(code, exit::OK, "no finding, no breaker");
    let r = common::report_in(dir.path());
    assert_eq!(
        r["fuzz"]["unanswered"], r["fuzz"]["requests"],
        "{}",
        r["fuzz"]
    );
    assert!(
        r["fuzz"]["unanswered"].as_u64().unwrap() >= 6,
        "{}",
        r["fuzz"]
    );
    let md = std::fs::read_to_string(dir.path().join("summary.md")).unwrap();
    assert!(
        md.contains("got no response; no oracle judged them"),
        "{md}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_never_answers_times_out_and_trips_the_breaker() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            held.push(sock); // accept, read nothing, answer nothing
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let start = Instant::now();
    let code = fuzz::run(args(dir.path(), &format!("http://127.0.0.1:{port}"))).await;
    assert_eq!(code, exit::RUNTIME);
    assert!(
        start.elapsed() < Duration::from_secs(20),
        "took {:?}",
        start.elapsed()
    );
    let case = breaker_case(dir.path());
    assert!(
        case["message"].as_str().unwrap().contains("timeout"),
        "{case}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_huge_non_json_answer_is_a_finding_not_a_crash() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65536];
                let _ = sock.read(&mut buf).await;
                let head =
                    "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: 4000000\r\n\r\n";
                if sock.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = vec![b'x'; 64 * 1024];
                for _ in 0..62 {
                    if sock.write_all(&chunk).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let a = FuzzOptions {
        cases: 10,
        timeout: Some(Duration::from_secs(5)),
        ..args(dir.path(), &format!("http://127.0.0.1:{port}"))
    };
    let code = fuzz::run(a).await;
    assert_eq!(code, exit::CONFORMANCE);
    let r = common::report_in(dir.path());
    let case = common::case(&r, "exchange-token-response");
    assert_eq!(case["verdict"], "fail");
    assert_eq!(case["transcript"][0]["response"]["truncated"], true);
}

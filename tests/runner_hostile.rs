//! A hostile server (slow, silent, huge, very huge, redirecting, resetting, cut mid-body, an
//! HTML error page under 200, malformed JSON) yields a precise verdict through the real binary:
//! never a panic, never a hang, memory bounded by the body cap, and every report written.

use assert_cmd::cargo::CommandCargoExt;
use serde_json::Value;
use std::process::Command;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

mod common;

/// Read one HTTP request (headers and a Content-Length body); returns the request line.
async fn read_request(s: &mut TcpStream) -> String {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = s.read(&mut chunk).await.unwrap_or(0);
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_string();
            let len = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                })
                .unwrap_or(0);
            while buf.len() < end + 4 + len {
                let n = s.read(&mut chunk).await.unwrap_or(0);
                if n == 0 {
                    break;
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            return head.lines().next().unwrap_or_default().to_string();
        }
    }
    String::new()
}

async fn respond(s: &mut TcpStream, status: &str, headers: &str, body: &[u8]) {
    let head = format!(
        "HTTP/1.1 {status}\r\n{headers}content-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    let _ = s.write_all(head.as_bytes()).await;
    let _ = s.write_all(body).await;
    let _ = s.shutdown().await;
}

const MIB: usize = 1024 * 1024;

/// Keeps an accepted connection open without reading or writing, for longer than any timeout.
async fn hold(s: TcpStream) {
    tokio::time::sleep(Duration::from_secs(120)).await;
    drop(s);
}

/// Accepts every connection and then neither reads nor answers: the `silent` token endpoint.
async fn serve_silent(listener: TcpListener) {
    while let Ok((s, _)) = listener.accept().await {
        tokio::spawn(hold(s));
    }
}

/// Serves metadata for issuer `http://ADDR/BEHAVIOUR` and misbehaves on its token endpoint
/// (for `silent`, the token endpoint is the silent listener at `silent`).
async fn serve(listener: TcpListener, silent: std::net::SocketAddr) {
    let addr = listener.local_addr().unwrap();
    loop {
        let Ok((mut s, _)) = listener.accept().await else {
            return;
        };
        tokio::spawn(async move {
            let line = read_request(&mut s).await;
            let path = line
                .split_whitespace()
                .nth(1)
                .unwrap_or_default()
                .to_string();
            if let Some(b) = path.strip_prefix("/.well-known/oauth-authorization-server/") {
                let token_endpoint = if b == "silent" {
                    format!("http://{silent}/token")
                } else {
                    format!("http://{addr}/{b}/token")
                };
                let meta = serde_json::json!({
                    "issuer": format!("http://{addr}/{b}"),
                    "token_endpoint": token_endpoint,
                    "jwks_uri": format!("http://{addr}/{b}/jwks"),
                });
                return respond(
                    &mut s,
                    "200 OK",
                    "content-type: application/json\r\n",
                    meta.to_string().as_bytes(),
                )
                .await;
            }
            if path.ends_with("/jwks") {
                return respond(
                    &mut s,
                    "200 OK",
                    "content-type: application/json\r\n",
                    br#"{"keys":[]}"#,
                )
                .await;
            }
            match path
                .trim_start_matches('/')
                .split('/')
                .next()
                .unwrap_or_default()
            {
                "slow" => tokio::time::sleep(Duration::from_secs(60)).await,
                "huge" => {
                    let body = vec![b'a'; 10 * 1024 * 1024];
                    respond(
                        &mut s,
                        "200 OK",
                        "content-type: application/json\r\n",
                        &body,
                    )
                    .await;
                }
                "huge50" => {
                    // Streamed in 1 MiB pieces: 50 MiB announced and sent unless the client hangs up.
                    let head = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                        50 * MIB
                    );
                    if s.write_all(head.as_bytes()).await.is_err() {
                        return;
                    }
                    let piece = vec![b'a'; MIB];
                    for _ in 0..50 {
                        if s.write_all(&piece).await.is_err() {
                            return;
                        }
                    }
                }
                "html" => {
                    respond(
                        &mut s,
                        "200 OK",
                        "content-type: text/html; charset=utf-8\r\n",
                        b"<!DOCTYPE html><html><head><title>Error</title></head>\
                          <body><h1>Something went wrong</h1></body></html>",
                    )
                    .await
                }
                "cut" => {
                    // Announces 1000 bytes of JSON, sends 40, then closes the connection.
                    let _ = s
                        .write_all(
                            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                              content-length: 1000\r\n\r\n{\"access_token\": \"abc\", \"token_ty",
                        )
                        .await;
                    let _ = s.flush().await;
                    let _ = s.shutdown().await;
                }
                "redirect" => {
                    respond(
                        &mut s,
                        "302 Found",
                        &format!("location: http://{addr}/elsewhere\r\n"),
                        b"",
                    )
                    .await
                }
                "reset" => {
                    // Linger 0 makes the close a TCP RST; it cannot block with a zero timeout.
                    #[allow(deprecated)]
                    let _ = s.set_linger(Some(Duration::ZERO));
                    drop(s);
                }
                _ => {
                    respond(
                        &mut s,
                        "200 OK",
                        "content-type: application/json\r\n",
                        br#"{"access_token": "abc", "#,
                    )
                    .await
                }
            }
        });
    }
}

const TARGET: &str = r#"
[as_a]
kind = "live"
issuer = "ISSUER"
[as_a.client]
id = "c"
secret = "s3cr3t-client"
[as_a.subject_token]
method = "static"
token_env = "HOSTILE_SUBJECT_TOKEN"
[as_b]
kind = "live"
issuer = "ISSUER"
[limits]
request_timeout_secs = 2
case_timeout_secs = 20
max_response_bytes = 65536
"#;

/// Run the hostile suite against one behaviour; returns exit code, elapsed time and the case.
fn run(addr: std::net::SocketAddr, behaviour: &str) -> (Option<i32>, Duration, Value) {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("target.toml");
    std::fs::write(
        &target,
        TARGET.replace("ISSUER", &format!("http://{addr}/{behaviour}")),
    )
    .unwrap();
    let started = Instant::now();
    let out = Command::cargo_bin("chainproof")
        .unwrap()
        .args([
            "run",
            "--progress",
            "none",
            "--suite",
            "hostile",
            "--suites",
        ])
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/hostile"
        ))
        .arg("--target")
        .arg(&target)
        .arg("--out")
        .arg(dir.path().join("reports"))
        .env("HOSTILE_SUBJECT_TOKEN", "static-subject-token")
        .output()
        .unwrap();
    let elapsed = started.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!stderr.contains("panicked"), "{behaviour}: {stderr}");
    for file in ["report.json", "junit.xml", "report.html", "summary.md"] {
        assert!(
            dir.path().join("reports").join(file).is_file(),
            "{behaviour}: {file} not written\n{stderr}"
        );
    }
    let report = common::read_report(
        &dir.path().join("reports/report.json"),
        format!("{behaviour}\n{stderr}").as_bytes(),
    );
    (out.status.code(), elapsed, report["cases"][0].clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_servers_get_precise_verdicts() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let silent = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let silent_addr = silent.local_addr().unwrap();
    tokio::spawn(serve_silent(silent));
    tokio::spawn(serve(listener, silent_addr));
    let run = move |b: &'static str| tokio::task::spawn_blocking(move || run(addr, b));

    let (code, elapsed, case) = run("slow").await.unwrap();
    common::assert_verdict(
        &case,
        "error",
        "no complete response within 2 s (request timeout)",
    );
    assert!(
        elapsed < Duration::from_secs(15),
        "slow server made the run hang: {elapsed:?}"
    );
    assert_eq!(code, Some(2));

    let (code, _, case) = run("huge").await.unwrap();
    common::assert_verdict(&case, "error", "larger than the 65536-byte cap");
    let resp = &case["transcript"][0]["response"];
    assert_eq!(resp["truncated"], true, "{case}");
    assert_eq!(resp["body"].as_str().unwrap().len(), 65536);
    assert_eq!(code, Some(2));

    let (code, _, case) = run("redirect").await.unwrap();
    assert_eq!(case["verdict"], "fail", "{case}");
    assert_eq!(
        case["checks"][0]["actual"], 302,
        "the 3xx is what checks see: {case}"
    );
    let transcript = case["transcript"].as_array().unwrap();
    assert_eq!(transcript.len(), 1, "redirect must not be followed: {case}");
    assert_eq!(transcript[0]["response"]["status"], 302);
    assert_eq!(code, Some(1));

    let (code, _, case) = run("reset").await.unwrap();
    assert_eq!(case["verdict"], "error", "{case}");
    let msg = case["message"].as_str().unwrap();
    assert!(
        msg.contains("reset") || msg.contains("closed") || msg.contains("connection"),
        "{case}"
    );
    assert_eq!(code, Some(2));

    let (code, _, case) = run("malformed").await.unwrap();
    assert_eq!(case["verdict"], "fail", "{case}");
    assert_eq!(case["checks"][1]["actual"], Value::Null, "{case}");
    assert!(
        case["checks"][1]["message"]
            .as_str()
            .unwrap()
            .contains("(the response body is not JSON: application/json, 24 bytes)"),
        "{case}"
    );
    assert_eq!(code, Some(1));

    let (code, elapsed, case) = run("silent").await.unwrap();
    common::assert_verdict(
        &case,
        "error",
        "no complete response within 2 s (request timeout)",
    );
    assert!(
        elapsed < Duration::from_secs(15),
        "silent server made the run hang: {elapsed:?}"
    );
    assert_eq!(code, Some(2));

    let (code, _, case) = run("html").await.unwrap();
    assert_eq!(case["verdict"], "fail", "{case}");
    assert_eq!(case["checks"][0]["actual"], 200, "{case}");
    assert_eq!(case["checks"][1]["actual"], Value::Null, "{case}");
    assert!(
        case["checks"][1]["message"]
            .as_str()
            .unwrap()
            .contains("(the response body is not JSON: text/html, "),
        "{case}"
    );
    let resp = &case["transcript"][0]["response"];
    assert_eq!(resp["status"], 200, "{case}");
    assert!(
        resp["body"].as_str().unwrap().contains("<html>"),
        "the HTML page is in the transcript: {case}"
    );
    assert_eq!(code, Some(1));

    let (code, _, case) = run("cut").await.unwrap();
    assert_eq!(case["verdict"], "error", "{case}");
    let msg = case["message"].as_str().unwrap();
    assert!(
        msg.contains("status 200 received, then the body failed"),
        "{case}"
    );
    assert_eq!(code, Some(2));

    let (code, elapsed, case) = run("huge50").await.unwrap();
    common::assert_verdict(&case, "error", "larger than the 65536-byte cap");
    let resp = &case["transcript"][0]["response"];
    assert_eq!(resp["truncated"], true, "{case}");
    assert_eq!(resp["body"].as_str().unwrap().len(), 65536);
    assert!(elapsed < Duration::from_secs(15), "{elapsed:?}");
    assert_eq!(code, Some(2));

    // Every child so far (the 10 MB and 50 MB bodies included) stayed far below the bodies'
    // size: the cap bounds memory because the body is read in chunks and reading stops at it.
    let peak_kib = nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN)
        .unwrap()
        .max_rss();
    assert!(
        peak_kib < 40 * 1024,
        "peak resident memory of a run was {peak_kib} KiB"
    );
}

//! A hostile server (slow, huge, redirecting, resetting, malformed) yields a precise verdict
//! through the real binary: never a panic, never a hang.

use assert_cmd::cargo::CommandCargoExt;
use serde_json::Value;
use std::process::Command;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

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

/// Serves metadata for issuer `http://ADDR/BEHAVIOUR` and misbehaves on its token endpoint.
async fn serve(listener: TcpListener) {
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
                let meta = serde_json::json!({
                    "issuer": format!("http://{addr}/{b}"),
                    "token_endpoint": format!("http://{addr}/{b}/token"),
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
    let report: Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("reports/report.json"))
            .unwrap_or_else(|e| panic!("{behaviour}: {e}\n{stderr}")),
    )
    .unwrap();
    (out.status.code(), elapsed, report["cases"][0].clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_servers_get_precise_verdicts() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve(listener));
    let run = move |b: &'static str| tokio::task::spawn_blocking(move || run(addr, b));

    let (code, elapsed, case) = run("slow").await.unwrap();
    assert_eq!(case["verdict"], "error", "{case}");
    assert!(
        case["message"]
            .as_str()
            .unwrap()
            .contains("no complete response within 2 s (request timeout)"),
        "{case}"
    );
    assert!(
        elapsed < Duration::from_secs(15),
        "slow server made the run hang: {elapsed:?}"
    );
    assert_eq!(code, Some(2));

    let (code, _, case) = run("huge").await.unwrap();
    assert_eq!(case["verdict"], "error", "{case}");
    assert!(
        case["message"]
            .as_str()
            .unwrap()
            .contains("larger than the 65536-byte cap"),
        "{case}"
    );
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
    assert_eq!(code, Some(1));
}

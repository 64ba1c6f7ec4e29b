//! End-to-end: the fuzzer against servers that misbehave at the transport level. It must stop
//! with a precise `error` verdict (circuit breaker), never hang or panic.

use chainproof::exit;
use chainproof::fuzz::target::{Credentials, FuzzEndpoints, SubjectSource};
use chainproof::fuzz::{self, FuzzOptions};
use chainproof::report::ReportOptions;
use std::path::Path;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

fn endpoints(base: &str) -> FuzzEndpoints {
    FuzzEndpoints {
        kind: "live".into(),
        as_a_issuer: base.into(),
        as_a_token_endpoint: format!("{base}/token"),
        as_b_issuer: base.into(),
        as_b_token_endpoint: format!("{base}/token"),
        as_b_audience: None,
        rs_resource: None,
        client_a: Credentials {
            id: "c".into(),
            secret: "hostile-client-secret".into(),
        },
        client_a_basic: true,
        client_a_post: true,
        client_b: None,
        as_b_client_auth_optional: None,
        targets: None,
        extra_secrets: Vec::new(),
        subject: SubjectSource::Static {
            token: "opaque-subject-token".into(),
        },
        subject_token_type: "urn:ietf:params:oauth:token-type:access_token".into(),
        held_scope: None,
        escalation_scope: None,
        harness: None,
        faults: Vec::new(),
    }
}

fn args(out: &Path) -> FuzzOptions {
    FuzzOptions {
        cases: 200,
        seed: Some(1),
        timeout: Duration::from_millis(300),
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
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(r["interrupted"], true);
    r["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["case"] == "circuit-breaker")
        .cloned()
        .expect("breaker case")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_connections_trip_the_breaker() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dir = tempfile::tempdir().unwrap();
    let code = fuzz::run_against(
        args(dir.path()),
        endpoints(&format!("http://127.0.0.1:{port}")),
    )
    .await;
    assert_eq!(code, exit::RUNTIME);
    let case = breaker_case(dir.path());
    assert_eq!(case["verdict"], "error");
    assert!(
        case["message"].as_str().unwrap().contains("5 consecutive"),
        "{case}"
    );
    // It stopped early instead of sending all 200 cases.
    let log = std::fs::read_to_string(dir.path().join("fuzz-requests.log")).unwrap();
    assert!(
        log.lines().count() <= 12,
        "{} requests logged",
        log.lines().count()
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
    let code = fuzz::run_against(
        args(dir.path()),
        endpoints(&format!("http://127.0.0.1:{port}")),
    )
    .await;
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
        timeout: Duration::from_secs(5),
        ..args(dir.path())
    };
    let code = fuzz::run_against(a, endpoints(&format!("http://127.0.0.1:{port}"))).await;
    assert_eq!(code, exit::CONFORMANCE);
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("report.json")).unwrap())
            .unwrap();
    let case = r["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["case"] == "exchange-token-response")
        .unwrap();
    assert_eq!(case["verdict"], "fail");
    assert_eq!(case["transcript"][0]["response"]["truncated"], true);
}

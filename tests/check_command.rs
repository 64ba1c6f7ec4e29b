//! `chainproof check --target FILE` against the mock pair (as live servers) set up so that each
//! problem happens: a wrong client secret, a wrong issuer, an unreachable host, an untrusted
//! certificate (a private CA made here with rcgen) and a failing token command. Each is named
//! in one line, with exit 2 and no report written (no case ran); an unset secret variable is
//! invalid input (exit 3); the ready target's table is snapshotted (ports redacted).

use assert_cmd::cargo::CommandCargoExt;
use mock_as::{MockOptions, MockPair, MockTls};
use std::path::Path;
use std::process::Command;

mod common;
use common::LiveTarget;

/// The target naming the pair's servers as live ones; each test changes what it provokes.
fn target(pair: &MockPair) -> LiveTarget {
    LiveTarget::new(pair.facts())
        .second_client()
        .set("as_b.dpop", true)
        .client_at_b()
        .rs()
        .set("limits.request_timeout_secs", 5)
}

struct Checked {
    code: Option<i32>,
    stdout: String,
    /// The `error:` lines of stderr.
    errors: Vec<String>,
    stderr: String,
}

/// `chainproof check` on `text`, from the target's folder.
fn check(text: &str, extra: &[&str]) -> Checked {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("target.toml"), text).unwrap();
    check_in(dir.path(), extra)
}

/// `chainproof check --target target.toml` in `dir` (no report may appear there).
fn check_in(dir: &Path, extra: &[&str]) -> Checked {
    let out = Command::cargo_bin("chainproof")
        .unwrap()
        .current_dir(dir)
        .args(["check", "--target", "target.toml"])
        .args(extra)
        .output()
        .unwrap();
    assert!(
        !dir.join("reports").exists(),
        "check runs no case and writes no report"
    );
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    Checked {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        errors: stderr
            .lines()
            .filter(|l| l.starts_with("error:"))
            .map(String::from)
            .collect(),
        stderr,
    }
}

/// Exactly one problem line, of `kind`, containing every one of `words`; exit 2.
fn one_problem(c: &Checked, kind: &str, words: &[&str]) {
    assert_eq!(c.code, Some(2), "{}", c.stderr);
    assert_eq!(c.errors.len(), 1, "one line per problem: {}", c.stderr);
    let line = &c.errors[0];
    assert!(line.starts_with(&format!("error: {kind}: ")), "{line}");
    for w in words {
        assert!(line.contains(w), "`{w}` missing from: {line}");
    }
}

async fn pair() -> MockPair {
    MockPair::start(MockOptions::default()).await.unwrap()
}

fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::block_in_place(f)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ready_target_gets_its_plan_and_exit_0() {
    let pair = pair().await;
    let text = target(&pair).text();
    let c = blocking(move || {
        check(
            &text,
            &["--suite", "subject-mapping", "--suite", "requested-cnf"],
        )
    });
    assert_eq!(c.code, Some(0), "{}", c.stderr);
    assert!(c.errors.is_empty(), "{}", c.stderr);
    assert!(c.stderr.contains("check: ready to run"), "{}", c.stderr);
    insta::with_settings!({filters => vec![(r"127\.0\.0\.1:\d+", "127.0.0.1:[PORT]")]}, {
        insta::assert_snapshot!("check_ready", c.stdout);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_client_secret_is_named() {
    let pair = pair().await;
    let f = pair.facts().clone();
    let text = target(&pair)
        .set("as_a.client.secret", "not-the-secret")
        .text();
    let c = blocking(move || check(&text, &[]));
    one_problem(
        &c,
        "wrong secret",
        &[
            "AS-A",
            "wrong client secret",
            &format!("`{}`", f.client_id),
            "invalid_client",
        ],
    );
    // The role whose grant needs that client is not tried again (one line per problem).
    assert!(c.stdout.contains("not tried: client"), "{}", c.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_issuer_is_named() {
    let pair = pair().await;
    let issuer = pair.facts().as_a_issuer.clone();
    // A trailing slash: the same metadata URL (RFC 8414 §3.1), but not the same issuer.
    let text = target(&pair)
        .set("as_a.issuer", format!("{issuer}/"))
        .text();
    let c = blocking(move || check(&text, &[]));
    one_problem(
        &c,
        "wrong issuer",
        &["AS-A", &format!("`{issuer}`"), &format!("`{issuer}/`")],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_host_is_named() {
    let pair = pair().await;
    // A port nothing listens on: bind one, then free it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let text = target(&pair)
        .set("as_b.issuer", format!("http://127.0.0.1:{port}/as-b"))
        .text();
    let c = blocking(move || check(&text, &[]));
    one_problem(
        &c,
        "unreachable host",
        &["AS-B", &format!("127.0.0.1:{port}"), "connection failed"],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_certificate_is_named() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "chainproof check test CA");
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let server_key = KeyPair::generate().unwrap();
    let server = CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&server_key, &issuer)
        .unwrap();
    let pair = MockPair::start(MockOptions {
        tls: Some(MockTls {
            cert_chain_pem: server.pem(),
            key_pem: server_key.serialize_pem(),
            client_ca_pem: None,
            ca_pem: Some(ca_cert.pem()),
        }),
        ..MockOptions::default()
    })
    .await
    .unwrap();
    let text = target(&pair).text();
    let c = blocking(move || check(&text, &[]));
    assert_eq!(c.code, Some(2), "{}", c.stderr);
    // AS-A and AS-B both serve the CA's certificate: one line each.
    assert!(
        c.errors.iter().all(
            |l| l.starts_with("error: untrusted certificate: ") && l.contains("unknown issuer")
        ),
        "{}",
        c.stderr
    );
    assert!(c.errors.iter().any(|l| l.contains("AS-A")), "{}", c.stderr);

    // With the bundle, the same target is ready.
    let text = target(&pair)
        .set("as_a.ca_file", "ca.pem")
        .set("as_b.ca_file", "ca.pem")
        .set("rs.ca_file", "ca.pem")
        .text();
    let ca_pem = ca_cert.pem();
    let c = blocking(move || {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ca.pem"), ca_pem).unwrap();
        std::fs::write(dir.path().join("target.toml"), text).unwrap();
        check_in(dir.path(), &[])
    });
    assert_eq!(c.code, Some(0), "{}", c.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_token_command_is_named() {
    let pair = pair().await;
    let command = [
        "sh",
        "-c",
        "echo 'session expired: run the login again' >&2; exit 7",
    ];
    let text = target(&pair)
        .remove("as_a.subject_token")
        .set("as_a.subject_token.method", "command")
        .set("as_a.subject_token.command", command.to_vec())
        .text();
    let c = blocking(move || check(&text, &[]));
    one_problem(
        &c,
        "token source failed",
        &["role primary", "command", "session expired"],
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unset_secret_variable_is_invalid_input() {
    let pair = pair().await;
    let text = target(&pair)
        .via_env("as_a.client.secret", "CHAINPROOF_CHECK_TEST_UNSET")
        .text();
    let c = blocking(move || check(&text, &[]));
    assert_eq!(c.code, Some(3), "{}", c.stderr);
    assert_eq!(c.errors.len(), 1, "{}", c.stderr);
    assert!(
        c.errors[0].contains("CHAINPROOF_CHECK_TEST_UNSET"),
        "{}",
        c.stderr
    );
}

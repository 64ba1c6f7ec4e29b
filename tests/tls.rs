//! TLS end to end: the mock pair over HTTPS with a private CA (certificates generated here with
//! rcgen), each client-authentication method required in turn (client_secret_basic,
//! client_secret_post, private_key_jwt, RFC 8705 tls_client_auth and
//! self_signed_tls_client_auth), the CA bundle per role, `--insecure` shown in every report,
//! and a failed handshake named in one line.

use assert_cmd::cargo::CommandCargoExt;
use mock_as::BClientConfig;
use mock_as::{MockOptions, MockPair, MockTls};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};
use serde_json::Value;
use std::path::Path;
use std::process::Command;

mod common;
use common::{LiveTarget, verdicts};

/// A private CA, a server certificate for 127.0.0.1 it signs, and a client certificate
/// (CN=chainproof-client, O=chainproof tests) it signs too.
struct Pki {
    ca_pem: String,
    server_pem: String,
    server_key: String,
    client_pem: String,
    client_key: String,
    self_signed_pem: String,
    self_signed_key: String,
}

fn pki() -> Pki {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    ca.distinguished_name
        .push(DnType::CommonName, "chainproof test CA");
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);

    let server_key = KeyPair::generate().unwrap();
    let server = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()])
        .unwrap()
        .signed_by(&server_key, &issuer)
        .unwrap();

    let client_key = KeyPair::generate().unwrap();
    let mut client = CertificateParams::new(Vec::<String>::new()).unwrap();
    client
        .distinguished_name
        .push(DnType::OrganizationName, "chainproof tests");
    client
        .distinguished_name
        .push(DnType::CommonName, "chainproof-client");
    let client = client.signed_by(&client_key, &issuer).unwrap();

    let ss_key = KeyPair::generate().unwrap();
    let ss = CertificateParams::new(vec!["client.example".to_string()])
        .unwrap()
        .self_signed(&ss_key)
        .unwrap();
    Pki {
        ca_pem: ca_cert.pem(),
        server_pem: server.pem(),
        server_key: server_key.serialize_pem(),
        client_pem: client.pem(),
        client_key: client_key.serialize_pem(),
        self_signed_pem: ss.pem(),
        self_signed_key: ss_key.serialize_pem(),
    }
}

const CLIENT: &str = "tls-test-client";
const SECRET: &str = "tls-test-secret";

/// The mock pair over HTTPS, AS-A and AS-B both requiring client authentication, with
/// `CLIENT` allowed exactly `method`.
async fn start(pki: &Pki, method: &str, jwk: Option<Value>) -> MockPair {
    let mut options = MockOptions {
        tls: Some(MockTls {
            cert_chain_pem: pki.server_pem.clone(),
            key_pem: pki.server_key.clone(),
            client_ca_pem: Some(pki.ca_pem.clone()),
            ca_pem: Some(pki.ca_pem.clone()),
        }),
        ..MockOptions::default()
    };
    let cfg = &mut options.config;
    cfg.as_b.require_client_auth = true;
    let mut client = cfg.as_a.clients[0].clone();
    client.id = CLIENT.into();
    client.secret = Some(SECRET.into());
    client.auth_methods = vec![method.into()];
    client.jwk = jwk.clone();
    match method {
        "tls_client_auth" => {
            client.tls_client_auth_subject_dn =
                Some("CN=chainproof-client,O=chainproof tests".into())
        }
        "self_signed_tls_client_auth" => {
            client.tls_client_certificate = Some(pki.self_signed_pem.clone())
        }
        _ => {}
    }
    let mut b = BClientConfig::with_secret(CLIENT, SECRET);
    b.auth_methods = vec![method.into()];
    b.jwk = jwk;
    b.tls_client_auth_subject_dn = client.tls_client_auth_subject_dn.clone();
    b.tls_client_certificate = client.tls_client_certificate.clone();
    cfg.as_a.clients.push(client);
    cfg.as_b.clients.push(b);
    MockPair::start(options).await.unwrap()
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

/// A target naming the pair as live servers, with the test client (authenticating by
/// `method`) at both ASes; `ca` adds the private CA to both AS roles.
fn target(pair: &MockPair, method: &str, ca: bool) -> LiveTarget {
    let cert = match method {
        "tls_client_auth" => Some(("client.pem", "client.key")),
        "self_signed_tls_client_auth" => Some(("self-signed.pem", "self-signed.key")),
        _ => None,
    };
    let mut t = LiveTarget::new(pair.facts())
        .second_client()
        .set("limits.request_timeout_secs", 5);
    for role in ["as_a", "as_b"] {
        t = t
            .set(&format!("{role}.client.id"), CLIENT)
            .set(&format!("{role}.client.auth"), method)
            .set(&format!("{role}.client.secret"), SECRET);
        if method == "private_key_jwt" {
            t = t.set(&format!("{role}.client.key_file"), "jwt.pem");
        }
        if let Some((cert, key)) = cert {
            t = client_cert(t, role, cert, key);
        }
        if ca {
            t = t.set(&format!("{role}.ca_file"), "ca.pem");
        }
    }
    t
}

/// `role`'s client presents this certificate and key.
fn client_cert(t: LiveTarget, role: &str, cert: &str, key: &str) -> LiveTarget {
    t.set(&format!("{role}.client.tls_cert_file"), cert)
        .set(&format!("{role}.client.tls_key_file"), key)
}

/// The cases run per method: exchanges at AS-A (with and without client authentication and
/// with a wrong secret) and presentations at AS-B.
const CASES: [&str; 5] = [
    "token-exchange/success-response-shape",
    "client-binding/exchange-requires-client-auth",
    "client-binding/exchange-wrong-client-secret",
    "grant-validation/valid-grant-redeemed",
    "replay/same-grant-twice",
];

struct Run {
    code: Option<i32>,
    stderr: String,
    report: Option<Value>,
    out: tempfile::TempDir,
}

fn chainproof(dir: &Path, extra: &[&str]) -> Run {
    let mut args = vec!["run", "--progress", "none"];
    for c in CASES {
        args.extend(["--case", c]);
    }
    command(dir, &args, extra)
}

/// `chainproof fuzz` against the same target: its client authenticates through the runner's
/// client authentication, whatever its method.
fn fuzz(dir: &Path, extra: &[&str]) -> Run {
    command(dir, &["fuzz", "--cases", "300", "--seed", "1"], extra)
}

fn command(dir: &Path, args: &[&str], extra: &[&str]) -> Run {
    let out = tempfile::tempdir().unwrap();
    let o = Command::cargo_bin("chainproof")
        .unwrap()
        .args(args)
        .arg("--target")
        .arg(dir.join("target.toml"))
        .arg("--out")
        .arg(out.path())
        .args(extra)
        .output()
        .unwrap();
    let report = out
        .path()
        .join("report.json")
        .exists()
        .then(|| common::report_in(out.path()));
    Run {
        code: o.status.code(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        report,
        out,
    }
}

fn files(dir: &Path, pki: &Pki) {
    write(dir, "ca.pem", &pki.ca_pem);
    write(dir, "client.pem", &pki.client_pem);
    write(dir, "client.key", &pki.client_key);
    write(dir, "self-signed.pem", &pki.self_signed_pem);
    write(dir, "self-signed.key", &pki.self_signed_key);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_client_authentication_method_over_https_with_a_private_ca() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let pki = pki();
    for method in [
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
        "tls_client_auth",
        "self_signed_tls_client_auth",
    ] {
        let dir = tempfile::tempdir().unwrap();
        files(dir.path(), &pki);
        let jwk = (method == "private_key_jwt").then(|| {
            use p256::pkcs8::EncodePrivateKey;
            let key = p256::ecdsa::SigningKey::random(&mut rand::rngs::OsRng);
            write(
                dir.path(),
                "jwt.pem",
                &key.to_pkcs8_pem(p256::pkcs8::LineEnding::LF).unwrap(),
            );
            serde_json::from_str::<Value>(
                &p256::PublicKey::from(key.verifying_key()).to_jwk_string(),
            )
            .unwrap()
        });
        let pair = start(&pki, method, jwk).await;
        let auth = match method {
            "client_secret_basic" => "basic",
            "client_secret_post" => "post",
            m => m,
        };
        write(dir.path(), "target.toml", &target(&pair, auth, true).text());
        let path = dir.path().to_path_buf();
        let run = tokio::task::spawn_blocking(move || chainproof(&path, &[]))
            .await
            .unwrap();
        let report = run
            .report
            .unwrap_or_else(|| panic!("{method}: no report\n{}", run.stderr));
        let v = verdicts(&report);
        assert_eq!(v.len(), CASES.len(), "{method}: {v:?}\n{}", run.stderr);
        assert!(
            v.iter().all(|(_, verdict)| verdict == "pass"),
            "{method}: {v:?}\n{:#?}",
            common::cases(&report)
                .iter()
                .filter(|c| c["verdict"] != "pass")
                .map(|c| (
                    c["message"].to_string(),
                    c["transcript"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|e| e["response"]["body"].to_string())
                        .collect::<Vec<_>>()
                ))
                .collect::<Vec<_>>()
        );
        assert_eq!(run.code, Some(0), "{method}: {}", run.stderr);
        assert!(
            report["targets"].get("insecure").is_none(),
            "a verified run is not marked insecure"
        );

        // The fuzzer with the same client, without a secret where its method needs none:
        // valid exchanges carry the client's own credentials (assertion, certificate).
        let secretless = match auth {
            "basic" | "post" => target(&pair, auth, true),
            _ => target(&pair, auth, true)
                .remove("as_a.client.secret")
                .remove("as_b.client.secret"),
        };
        secretless.write(dir.path(), "target.toml");
        let path = dir.path().to_path_buf();
        let run = tokio::task::spawn_blocking(move || fuzz(&path, &[]))
            .await
            .unwrap();
        let report = run
            .report
            .unwrap_or_else(|| panic!("{method}: no fuzz report\n{}", run.stderr));
        assert_eq!(run.code, Some(0), "{method}: {}", run.stderr);
        assert_eq!(report["fuzz"]["findings"], 0, "{method}");
        let valid = common::case(&report, "exchange-valid-rejected");
        assert_eq!(valid["verdict"], "pass", "{method}: {valid}");

        if method.ends_with("tls_client_auth") {
            // The other method's certificate is refused: a CA-issued certificate is not the
            // registered self-signed one, and a self-signed one does not chain to the CA.
            let (cert, key) = if method == "tls_client_auth" {
                ("self-signed.pem", "self-signed.key")
            } else {
                ("client.pem", "client.key")
            };
            let mut swapped = target(&pair, auth, true);
            for role in ["as_a", "as_b"] {
                swapped = client_cert(swapped, role, cert, key);
            }
            write(dir.path(), "target.toml", &swapped.text());
            let path = dir.path().to_path_buf();
            let run = tokio::task::spawn_blocking(move || chainproof(&path, &[]))
                .await
                .unwrap();
            let report = run.report.unwrap();
            let shape = common::case(&report, "success-response-shape");
            assert_ne!(
                shape["verdict"], "pass",
                "{method}: wrong certificate accepted"
            );
            assert!(
                shape.to_string().contains("invalid_client"),
                "{method}: {shape}"
            );
        }

        if method == "tls_client_auth" {
            // Private CA: without the bundle the server's certificate is refused, and the
            // one-line reason names the problem; --insecure is an explicit way past it,
            // written into every report.
            write(
                dir.path(),
                "target.toml",
                &target(&pair, auth, false).text(),
            );
            let path = dir.path().to_path_buf();
            let run = tokio::task::spawn_blocking(move || chainproof(&path, &[]))
                .await
                .unwrap();
            assert_eq!(run.code, Some(2), "{}", run.stderr);
            let line = run
                .stderr
                .lines()
                .find(|l| l.contains("TLS handshake failed"))
                .unwrap_or_else(|| panic!("no handshake line: {}", run.stderr));
            assert!(line.contains("unknown issuer"), "{line}");

            let path = dir.path().to_path_buf();
            let run = tokio::task::spawn_blocking(move || chainproof(&path, &["--insecure"]))
                .await
                .unwrap();
            let report = run.report.unwrap();
            assert!(
                verdicts(&report).iter().all(|(_, v)| v == "pass"),
                "{}",
                run.stderr
            );
            assert_eq!(report["targets"]["insecure"], true);
            let read = |f: &str| std::fs::read_to_string(run.out.path().join(f)).unwrap();
            assert!(read("report.html").contains("server certificates were not verified"));
            assert!(read("summary.md").contains("Insecure run (`--insecure`)"));
            assert!(read("junit.xml").contains(r#"name="tls.insecure" value="true""#));
            assert!(run.stderr.contains("warning: --insecure"), "{}", run.stderr);

            // The fuzzer takes `--insecure` as `run` does, and its reports say so too.
            let path = dir.path().to_path_buf();
            let run = tokio::task::spawn_blocking(move || fuzz(&path, &[]))
                .await
                .unwrap();
            assert_eq!(run.code, Some(2), "{}", run.stderr);
            assert!(run.stderr.contains("unknown issuer"), "{}", run.stderr);
            let path = dir.path().to_path_buf();
            let run = tokio::task::spawn_blocking(move || fuzz(&path, &["--insecure"]))
                .await
                .unwrap();
            assert_eq!(run.code, Some(0), "{}", run.stderr);
            assert_eq!(run.report.unwrap()["targets"]["insecure"], true);
            assert!(run.stderr.contains("warning: --insecure"), "{}", run.stderr);
        }
        drop(pair);
    }
}

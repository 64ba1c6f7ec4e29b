//! Per-role subject tokens: a target giving a static token for every role (primary user,
//! second client, private_key_jwt client, unmapped user) runs each role's cases with that
//! role's token. Proven by behaviour against the mock pair reached as live servers: with the
//! right tokens every such case passes; with the primary token put in the other roles' places
//! the same cases no longer pass. The tokens never appear in the reports.

use assert_cmd::cargo::CommandCargoExt;
use serde_json::Value;
use std::collections::BTreeMap;
use std::process::Command;

mod common;
use common::LiveTarget;

const ROLE_CASES: [&str; 4] = [
    "client-binding/grant-for-other-client",
    "client-binding/client-assertion-signature-verified",
    "client-binding/client-assertion-replay",
    "subject-mapping/unmapped-subject-denied",
];

struct Tokens {
    primary: String,
    second: String,
    jwt: String,
    unmapped: String,
}

async fn password_grant(
    f: &mock_as::MockFacts,
    form: &[(&str, &str)],
    basic: Option<(&str, &str)>,
) -> String {
    let mut req = reqwest::Client::new()
        .post(&f.as_a_token_endpoint)
        .form(form);
    if let Some((id, secret)) = basic {
        req = req.basic_auth(id, Some(secret));
    }
    let v: Value = req.send().await.unwrap().json().await.unwrap();
    v["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("{v}"))
        .to_string()
}

async fn tokens(f: &mock_as::MockFacts) -> Tokens {
    use p256::pkcs8::DecodePrivateKey;
    let (user, pass) = (&f.user.0, &f.user.1);
    let pw = [
        ("grant_type", "password"),
        ("username", user.as_str()),
        ("password", pass.as_str()),
        ("scope", "read write"),
    ];
    let primary = password_grant(f, &pw, Some((&f.client_id, &f.client_secret))).await;
    let second = password_grant(f, &pw, Some((&f.second_client_id, &f.second_client_secret))).await;
    let jwt_id = f.jwt_client_id.clone().unwrap();
    let key = p256::ecdsa::SigningKey::from_pkcs8_pem(mock_as::JWT_CLIENT_KEY_PEM).unwrap();
    let assertion = chainproof::executor::client_assertion(&key, &jwt_id, &f.as_a_issuer);
    let mut jwt_form = pw.to_vec();
    jwt_form.retain(|(k, _)| *k != "scope");
    jwt_form.extend([
        ("client_id", jwt_id.as_str()),
        (
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        ),
        ("client_assertion", assertion.as_str()),
    ]);
    let jwt = password_grant(f, &jwt_form, None).await;
    let unmapped = password_grant(
        f,
        &[
            ("grant_type", "password"),
            ("username", f.unmapped_user.0.as_str()),
            ("password", f.unmapped_user.1.as_str()),
        ],
        Some((&f.client_id, &f.client_secret)),
    )
    .await;
    Tokens {
        primary,
        second,
        jwt,
        unmapped,
    }
}

/// The pair as a live target whose every role takes its token from the environment (static
/// or env sources) and whose secrets are read from the environment too.
fn target(f: &mock_as::MockFacts, key_file: &str) -> LiveTarget {
    let token = |t: LiveTarget, role: &str, method: &str, var: &str| {
        t.set(&format!("as_a.{role}.method"), method)
            .set(&format!("as_a.{role}.token_env"), var)
    };
    let t = LiveTarget::new(f)
        .via_env("as_a.client.secret", "T_CLIENT_SECRET")
        .second_client()
        .via_env("as_a.second_client.secret", "T_SECOND_SECRET")
        .set("as_a.jwt_client.id", f.jwt_client_id.clone().unwrap())
        .set("as_a.jwt_client.auth", "private_key_jwt")
        .set("as_a.jwt_client.key_file", key_file)
        .remove("as_a.subject_token");
    let t = token(t, "subject_token", "static", "T_TOKEN_PRIMARY");
    let t = token(t, "second_client_token", "static", "T_TOKEN_SECOND");
    let t = token(t, "jwt_client_token", "env", "T_TOKEN_JWT");
    token(t, "unmapped_user", "static", "T_TOKEN_UNMAPPED")
        .set("as_b.dpop", true)
        .client_at_b()
        .via_env("as_b.client.secret", "T_B_SECRET")
        .scopes()
        .set("fixtures.scopes", "read write")
}

/// Run client-binding and subject-mapping with the given role tokens; verdict per case and the
/// report text.
fn run(
    f: &mock_as::MockFacts,
    dir: &std::path::Path,
    t: [&str; 4],
) -> (BTreeMap<String, String>, String) {
    let out = dir.join(format!("out-{}", uuid::Uuid::new_v4().simple()));
    let output = Command::cargo_bin("chainproof")
        .unwrap()
        .args([
            "run",
            "--progress",
            "plain",
            "--suite",
            "client-binding",
            "--suite",
            "subject-mapping",
            "--target",
        ])
        .arg(dir.join("target.toml"))
        .arg("--out")
        .arg(&out)
        .env("T_CLIENT_SECRET", &f.client_secret)
        .env("T_SECOND_SECRET", &f.second_client_secret)
        .env("T_B_SECRET", &f.as_b_client.as_ref().unwrap().1)
        .env("T_TOKEN_PRIMARY", t[0])
        .env("T_TOKEN_SECOND", t[1])
        .env("T_TOKEN_JWT", t[2])
        .env("T_TOKEN_UNMAPPED", t[3])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).to_string();
    let report = common::read_report(&out.join("report.json"), stderr.as_bytes());
    // The file's own text, for the leak check (not the value re-serialised).
    let text = std::fs::read_to_string(out.join("report.json")).unwrap();
    let verdicts = common::by_case(&report, |c| {
        format!(
            "{}: {}",
            c["verdict"].as_str().unwrap(),
            c["message"].as_str().unwrap_or("")
        )
    });
    (verdicts, text)
}

#[test]
fn each_role_runs_with_its_own_static_token() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let pair = rt
        .block_on(mock_as::MockPair::start(mock_as::MockOptions::default()))
        .unwrap();
    let f = pair.facts().clone();
    let t = rt.block_on(tokens(&f));
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("jwt-client.pem");
    std::fs::write(&key, mock_as::JWT_CLIENT_KEY_PEM).unwrap();
    target(&f, key.to_str().unwrap()).write(dir.path(), "target.toml");

    let (verdicts, text) = run(&f, dir.path(), [&t.primary, &t.second, &t.jwt, &t.unmapped]);
    for case in ROLE_CASES {
        let v = &verdicts[case];
        assert!(v.starts_with("pass"), "{case}: {v}");
    }
    for (case, v) in &verdicts {
        assert!(
            !v.starts_with("fail") && !v.starts_with("error"),
            "{case}: {v}"
        );
    }
    for tok in [&t.primary, &t.second, &t.jwt, &t.unmapped] {
        let sig = tok.rsplit('.').next().unwrap();
        assert!(
            !text.contains(sig),
            "a token's signature leaked into report.json"
        );
    }

    // The primary token in every role's place: the role cases no longer pass.
    let (swapped, _) = run(&f, dir.path(), [&t.primary; 4]);
    for case in ROLE_CASES {
        let v = &swapped[case];
        assert!(
            !v.starts_with("pass"),
            "{case} passed with the primary token: {v}"
        );
    }
    drop(pair);
}

#[test]
fn a_role_without_a_source_is_skipped_with_the_reason() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let pair = rt
        .block_on(mock_as::MockPair::start(mock_as::MockOptions::default()))
        .unwrap();
    let f = pair.facts().clone();
    let t = rt.block_on(tokens(&f));
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("jwt-client.pem");
    std::fs::write(&key, mock_as::JWT_CLIENT_KEY_PEM).unwrap();
    // Only the primary role has a source.
    target(&f, key.to_str().unwrap())
        .remove("as_a.second_client_token")
        .remove("as_a.jwt_client_token")
        .remove("as_a.unmapped_user")
        .write(dir.path(), "target.toml");
    let (verdicts, _) = run(&f, dir.path(), [&t.primary, "", "", ""]);
    let v = &verdicts["client-binding/grant-for-other-client"];
    assert!(
        v.starts_with("skip") && v.contains("[as_a.second_client_token]"),
        "{v}"
    );
    let v = &verdicts["client-binding/client-assertion-replay"];
    assert!(
        v.starts_with("skip") && v.contains("[as_a.jwt_client_token]"),
        "{v}"
    );
    let v = &verdicts["subject-mapping/unmapped-subject-denied"];
    assert!(v.starts_with("skip") && v.contains("unmapped_user"), "{v}");
    drop(pair);
}

//! Benchmark helper (`benches/fuzz_throughput.sh`): `cargo run --example fuzz -- serve-mock
//! DIR` starts the conformant mock pair alone, trusting a harness issuer, and writes
//! `DIR/target.toml` naming it as two live servers (with the harness key beside it), prints
//! `READY`, then serves until stdin closes. `chainproof fuzz --target DIR/target.toml --record
//! FILE` and a raw load tool replaying FILE then do the same work against the same servers.

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(mode), Some(dir)) = (args.next(), args.next()) else {
        eprintln!("usage: fuzz serve-mock DIR");
        std::process::exit(64);
    };
    assert_eq!(mode, "serve-mock", "usage: fuzz serve-mock DIR");
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    rt.block_on(serve_mock(std::path::Path::new(&dir)));
}

/// Start the mock pair (trusting a harness issuer whose key goes to `dir`), write
/// `dir/target.toml`, print `READY`, then serve until stdin closes.
async fn serve_mock(dir: &std::path::Path) {
    const HARNESS: &str = "https://harness.bench.invalid";
    let harness = chainproof::harness::HarnessIssuer::from_seed(HARNESS.into(), 1);
    let options = mock_as::MockOptions {
        extra_trusted_issuers: vec![mock_as::TrustedIssuer {
            issuer: HARNESS.into(),
            jwks: Some(harness.jwks()),
            jwks_uri: None,
        }],
        ..mock_as::MockOptions::default()
    };
    let pair = mock_as::MockPair::start(options)
        .await
        .expect("mock pair starts");
    let f = pair.facts().clone();
    std::fs::write(dir.join("harness-key.pem"), harness.private_pem()).expect("key file");
    let (b_id, b_secret) = f.as_b_client.clone().expect("mock AS-B client");
    let target = format!(
        r#"[as_a]
kind = "live"
issuer = "{a}"
[as_a.client]
id = "{cid}"
secret = "{csecret}"
[as_a.subject_token]
method = "password"
username = "{user}"
password = "{password}"

[as_b]
kind = "live"
issuer = "{b}"
trusts_harness = true
[as_b.client]
id = "{b_id}"
secret = "{b_secret}"

[harness]
enabled = true
issuer = "{HARNESS}"
key_file = "harness-key.pem"

[fixtures]
user_sub = "{sub}"
scopes = "{scopes}"
escalation_scope = "{escalation}"
"#,
        a = f.as_a_issuer,
        cid = f.client_id,
        csecret = f.client_secret,
        user = f.user.0,
        password = f.user.1,
        b = f.as_b_issuer,
        sub = f.user_sub,
        scopes = f.user_scopes.join(" "),
        escalation = f.escalation_scope,
    );
    std::fs::write(dir.join("target.toml"), target).expect("target file");
    println!("READY");
    use std::io::Read as _;
    let _ = tokio::task::spawn_blocking(|| {
        let mut sink = Vec::new();
        let _ = std::io::stdin().read_to_end(&mut sink);
    })
    .await;
}

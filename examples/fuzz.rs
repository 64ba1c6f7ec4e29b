//! Stand-alone driver for the fuzzer until the runner wires `chainproof fuzz`:
//! `cargo run --example fuzz -- --cases 500 --seed 1 [--mock-fault NAME] [--out DIR]`.
//!
//! `cargo run --example fuzz -- serve-mock` starts the conformant mock pair alone and prints
//! one valid token-exchange request for a raw HTTP load tool (benches/fuzz_throughput.sh).

use chainproof::cli::FuzzArgs;
use chainproof::fuzz;
use clap::Parser;

#[derive(Parser)]
#[command(name = "fuzz", about = "chainproof fuzz (example driver)")]
struct Cli {
    #[command(flatten)]
    args: FuzzArgs,
}

fn main() {
    let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
    if std::env::args().nth(1).as_deref() == Some("serve-mock") {
        rt.block_on(serve_mock());
        return;
    }
    let cli = Cli::parse();
    std::process::exit(rt.block_on(fuzz::run(cli.args.options())));
}

/// Print `URL`, `AUTHORIZATION` and `BODY` lines for a valid exchange whose subject token can
/// be reused, then serve until stdin closes.
async fn serve_mock() {
    let pair = mock_as::MockPair::start(mock_as::MockOptions::default())
        .await
        .expect("mock pair starts");
    let f = pair.facts().clone();
    let client = reqwest::Client::new();
    let token: serde_json::Value = client
        .post(&f.as_a_token_endpoint)
        .basic_auth(&f.client_id, Some(&f.client_secret))
        .form(&[
            ("grant_type", "password"),
            ("username", &f.user.0),
            ("password", &f.user.1),
        ])
        .send()
        .await
        .expect("password grant")
        .json()
        .await
        .expect("token JSON");
    let subject = token["access_token"].as_str().expect("access_token");
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair(
            "grant_type",
            "urn:ietf:params:oauth:grant-type:token-exchange",
        )
        .append_pair("subject_token", subject)
        .append_pair(
            "subject_token_type",
            "urn:ietf:params:oauth:token-type:access_token",
        )
        .append_pair("resource", &f.as_b_issuer)
        .finish();
    use base64::Engine as _;
    let basic = base64::engine::general_purpose::STANDARD
        .encode(format!("{}:{}", f.client_id, f.client_secret));
    println!("URL {}", f.as_a_token_endpoint);
    println!("AUTHORIZATION Basic {basic}");
    println!("BODY {body}");
    use std::io::Read as _;
    let _ = tokio::task::spawn_blocking(|| {
        let mut sink = Vec::new();
        let _ = std::io::stdin().read_to_end(&mut sink);
    })
    .await;
}

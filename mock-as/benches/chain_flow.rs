//! Chained flows per second against the in-process mock pair (token exchange at AS-A +
//! jwt-bearer at AS-B), printed beside raw ES256 sign+verify throughput measured in the same
//! run with the same crate the mock signs with (p256 via `mock_as::keys`).
//!
//! Run: `cargo bench -p mock-as --bench chain_flow` (env CHAIN_FLOW_SECS, CHAIN_FLOW_CONCURRENCY).

use mock_as::keys::{EsKey, verify_es256};
use mock_as::{MockOptions, MockPair};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const TE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const JB: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const TT_AT: &str = "urn:ietf:params:oauth:token-type:access_token";

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// ES256 sign+verify pairs per second on one thread, over a grant-sized signing input.
fn es256_pairs_per_sec(secs: f64) -> f64 {
    let key = EsKey::generate();
    let vk = key.verifying_key();
    let input = "eyJhbGciOiJFUzI1NiIsImtpZCI6IngifQ.".to_owned()
        + &"eyJpc3MiOiJodHRwOi8vMTI3LjAuMC4xIn0".repeat(8);
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed().as_secs_f64() < secs {
        let sig = key.sign(input.as_bytes());
        assert!(verify_es256(&vk, input.as_bytes(), &sig));
        n += 1;
    }
    n as f64 / start.elapsed().as_secs_f64()
}

async fn post(
    http: &reqwest::Client,
    url: &str,
    auth: (&str, &str),
    form: &[(&str, &str)],
) -> Option<String> {
    let r = http
        .post(url)
        .basic_auth(auth.0, Some(auth.1))
        .form(form)
        .send()
        .await
        .ok()?;
    if !r.status().is_success() {
        return None;
    }
    let v: serde_json::Value = r.json().await.ok()?;
    v["access_token"].as_str().map(str::to_owned)
}

fn main() {
    let secs = env_u64("CHAIN_FLOW_SECS", 5);
    let concurrency = env_u64("CHAIN_FLOW_CONCURRENCY", 16) as usize;
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();

    let (flows, errors, elapsed) = rt.block_on(async {
        let pair = MockPair::start(MockOptions::default())
            .await
            .expect("pair starts");
        let f = pair.facts().clone();
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(concurrency * 2)
            .build()
            .unwrap();
        let client = (f.client_id.clone(), f.client_secret.clone());
        let b_client = f.as_b_client.clone().expect("AS-B client");
        // Pool of pre-obtained subject tokens (the flow measured is exchange + jwt-bearer).
        let mut pool = Vec::new();
        for _ in 0..64 {
            let t = post(
                &http,
                &f.as_a_token_endpoint,
                (&client.0, &client.1),
                &[
                    ("grant_type", "password"),
                    ("username", &f.user.0),
                    ("password", &f.user.1),
                ],
            )
            .await;
            pool.push(t.expect("subject token"));
        }
        let pool = Arc::new(pool);
        let flows = Arc::new(AtomicU64::new(0));
        let errors = Arc::new(AtomicU64::new(0));
        let deadline = Instant::now() + Duration::from_secs(secs);
        let start = Instant::now();
        let mut tasks = Vec::new();
        for worker in 0..concurrency {
            let (http, f, pool, flows, errors) = (
                http.clone(),
                f.clone(),
                pool.clone(),
                flows.clone(),
                errors.clone(),
            );
            let (client, b_client) = (client.clone(), b_client.clone());
            tasks.push(tokio::spawn(async move {
                let mut i = worker;
                while Instant::now() < deadline {
                    let st = &pool[i % pool.len()];
                    i += concurrency;
                    let grant = post(
                        &http,
                        &f.as_a_token_endpoint,
                        (&client.0, &client.1),
                        &[
                            ("grant_type", TE),
                            ("subject_token", st),
                            ("subject_token_type", TT_AT),
                            ("resource", &f.as_b_issuer),
                        ],
                    )
                    .await;
                    let at = match grant {
                        Some(g) => {
                            post(
                                &http,
                                &f.as_b_token_endpoint,
                                (&b_client.0, &b_client.1),
                                &[("grant_type", JB), ("assertion", &g)],
                            )
                            .await
                        }
                        None => None,
                    };
                    if at.is_some() {
                        flows.fetch_add(1, Ordering::Relaxed);
                    } else {
                        errors.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let elapsed = start.elapsed().as_secs_f64();
        pair.shutdown().await;
        (
            flows.load(Ordering::Relaxed),
            errors.load(Ordering::Relaxed),
            elapsed,
        )
    });

    let sv = es256_pairs_per_sec(2.0);
    let fps = flows as f64 / elapsed;
    // Each flow costs 2 signatures + 2 verifications on the servers (subject token verify,
    // grant sign at AS-A; grant verify, access token sign at AS-B) = 2 sign+verify pairs.
    let ceiling = sv * cores as f64 / 2.0;
    println!(
        "chain_flow: {flows} complete flows (exchange + jwt-bearer) in {elapsed:.2} s, concurrency {concurrency}, errors {errors}"
    );
    println!("  chained flows/s:                 {fps:>10.1}");
    println!(
        "  raw ES256 sign+verify/s (1 thr): {sv:>10.1}   (p256 0.13 via mock_as::keys, same run)"
    );
    println!("  flows/s ÷ sign+verify/s:         {:>10.3}", fps / sv);
    println!(
        "  crypto-only ceiling ({cores} cores, 2 sign+verify per flow): {ceiling:.1} flows/s -> achieved {:.1}%",
        100.0 * fps / ceiling
    );
    println!(
        "  reproduce: cargo bench -p mock-as --bench chain_flow   (CHAIN_FLOW_SECS={secs} CHAIN_FLOW_CONCURRENCY={concurrency})"
    );
    assert_eq!(errors, 0, "flows failed during the benchmark");
}

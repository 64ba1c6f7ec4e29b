//! Chained flows per second against the in-process mock pair (token exchange at AS-A +
//! jwt-bearer at AS-B), printed beside the ceiling that the machine's optimised ECDSA allows,
//! measured in the same run: aws-lc-rs's raw sign and verify (the library the mock now signs
//! with, called directly, not through the mock), and `openssl speed ecdsap256` when openssl is
//! installed.
//!
//! Each flow costs 2 ES256 signatures and 2 verifications on the servers: AS-A verifies the
//! subject token and signs the grant; AS-B verifies the grant and signs the access token
//! (client authentication is Basic: no crypto). The ceiling is the flows/s that this crypto
//! alone allows on every core: measured by running exactly those 4 operations per flow on
//! `cores` threads at once, and computed from openssl's one-core rates as
//! `cores / (2 / sign_per_s + 2 / verify_per_s)`. The headline compares against the higher.
//!
//! Run: `cargo bench -p mock-as --bench chain_flow` (env CHAIN_FLOW_SECS, CHAIN_FLOW_CONCURRENCY).

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair,
    ParsedPublicKey,
};
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

/// A grant-sized JWS signing input.
fn signing_input() -> Vec<u8> {
    ("eyJhbGciOiJFUzI1NiIsImtpZCI6IngifQ.".to_owned()
        + &"eyJpc3MiOiJodHRwOi8vMTI3LjAuMC4xIn0".repeat(8))
        .into_bytes()
}

fn key_pair() -> (EcdsaKeyPair, ParsedPublicKey) {
    let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
    let public =
        ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, pair.public_key().as_ref()).unwrap();
    (pair, public)
}

/// Raw aws-lc-rs ES256 on one thread: (signs/s, verifies/s).
fn aws_lc_rates(secs: f64) -> (f64, f64) {
    let (pair, public) = key_pair();
    let (input, rng) = (signing_input(), SystemRandom::new());
    let sig = pair.sign(&rng, &input).unwrap();
    let rate = |op: &mut dyn FnMut()| {
        let start = Instant::now();
        let mut n = 0u64;
        while start.elapsed().as_secs_f64() < secs {
            op();
            n += 1;
        }
        n as f64 / start.elapsed().as_secs_f64()
    };
    let signs = rate(&mut || {
        pair.sign(&rng, &input).unwrap();
    });
    let verifies = rate(&mut || public.verify_sig(&input, sig.as_ref()).unwrap());
    (signs, verifies)
}

/// The flow's crypto alone (2 signs + 2 verifies) on `threads` threads at once, raw aws-lc-rs:
/// flows/s this machine's optimised ECDSA allows.
fn aws_lc_flow_crypto_per_sec(threads: usize, secs: f64) -> f64 {
    let start = Instant::now();
    let total: u64 = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let (pair, public) = key_pair();
                    let (input, rng) = (signing_input(), SystemRandom::new());
                    let mut n = 0u64;
                    while start.elapsed().as_secs_f64() < secs {
                        for _ in 0..2 {
                            let sig = pair.sign(&rng, &input).unwrap();
                            public.verify_sig(&input, sig.as_ref()).unwrap();
                        }
                        n += 1;
                    }
                    n
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    total as f64 / start.elapsed().as_secs_f64()
}

/// `openssl speed ecdsap256` on one core: (signs/s, verifies/s), when openssl is installed.
fn openssl_rates() -> Option<(f64, f64)> {
    let out = std::process::Command::new("openssl")
        .args(["speed", "-seconds", "2", "ecdsap256"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    // " 256 bits ecdsa (nistp256)   0.0000s   0.0000s  71000.0  24000.0"
    let line = text.lines().find(|l| l.contains("(nistp256)"))?;
    let nums: Vec<f64> = line
        .split_whitespace()
        .rev()
        .take(2)
        .filter_map(|t| t.parse().ok())
        .collect();
    match nums[..] {
        [verify, sign] => Some((sign, verify)),
        _ => None,
    }
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

    // The ceiling, measured in the same run after the flows.
    let (signs, verifies) = aws_lc_rates(1.0);
    let measured_ceiling = aws_lc_flow_crypto_per_sec(cores, 2.0);
    let per_flow = |s: f64, v: f64| cores as f64 / (2.0 / s + 2.0 / v);
    let openssl = openssl_rates();
    let ceiling = openssl.map_or(measured_ceiling, |(s, v)| {
        measured_ceiling.max(per_flow(s, v))
    });
    let fps = flows as f64 / elapsed;
    println!(
        "chain_flow: {flows} complete flows (exchange + jwt-bearer) in {elapsed:.2} s, concurrency {concurrency}, errors {errors}"
    );
    println!("  chained flows/s (mock, in-process client):      {fps:>10.1}");
    println!(
        "  aws-lc-rs ES256, 1 thread:  {signs:>8.0} sign/s  {verifies:>8.0} verify/s  -> {:.1} flows/s on {cores} cores (2 sign + 2 verify each)",
        per_flow(signs, verifies)
    );
    println!(
        "  aws-lc-rs flow crypto on {cores} threads at once (measured): {measured_ceiling:>10.1} flows/s"
    );
    match openssl {
        Some((s, v)) => println!(
            "  openssl speed ecdsap256, 1 core: {s:>8.0} sign/s  {v:>8.0} verify/s  -> {:.1} flows/s on {cores} cores",
            per_flow(s, v)
        ),
        None => println!("  openssl speed ecdsap256: openssl not found"),
    }
    println!(
        "  crypto ceiling (higher of the above): {ceiling:.1} flows/s -> mock achieves {:.1}% (goal >= 50%)",
        100.0 * fps / ceiling
    );
    println!(
        "  reproduce: cargo bench -p mock-as --bench chain_flow   (CHAIN_FLOW_SECS={secs} CHAIN_FLOW_CONCURRENCY={concurrency})"
    );
    assert_eq!(errors, 0, "flows failed during the benchmark");
}

//! Chained flows per second against the in-process mock pair (token exchange at AS-A +
//! jwt-bearer at AS-B), printed beside the ceiling that the machine's optimised ECDSA allows,
//! measured in the same run: aws-lc-rs's raw sign and verify (the library the mock signs with,
//! called directly, not through the mock), and `openssl speed ecdsap256` when openssl is
//! installed.
//!
//! Each flow costs 2 ES256 signatures and 2 verifications on the servers: AS-A verifies the
//! subject token and signs the grant; AS-B verifies the grant and signs the access token
//! (client authentication is Basic: no crypto). The ceiling is the flows/s that this crypto
//! alone allows on every core: exactly those 4 operations per flow on `cores` threads at once.
//!
//! Like with like, on a machine others share:
//! - The flows and the ceiling alternate in rounds (flows, then raw crypto, `ROUNDS` times),
//!   so a change of load between the two halves cannot decide the ratio.
//! - Both are wall-clock rates. `openssl speed` divides by CPU time unless told `-elapsed`;
//!   without it, its figure on a loaded machine is an idle machine's, not this run's. It runs
//!   as `-multi cores -elapsed` (the same shape as the measured ceiling) and, being a separate
//!   process at another moment, only raises the ceiling, never lowers it.
//! - Besides the wall-clock ratio, the CPU time of each half gives flows per CPU-second against
//!   crypto flows per CPU-second: what share of its CPU the mock spends on the crypto it
//!   cannot avoid, which no load changes. The in-process client's CPU is counted against the
//!   mock in both ratios.
//!
//! Run: `cargo bench -p mock-as --bench chain_flow` (env CHAIN_FLOW_SECS, total seconds of
//! flows; CHAIN_FLOW_ROUNDS; CHAIN_FLOW_CONCURRENCY).

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair,
    ParsedPublicKey,
};
use base64::Engine as _;
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

/// CPU seconds this process has used (user + system), from `/proc/self/stat`; `None` where
/// there is no procfs.
fn process_cpu_secs() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    static HZ: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    let hz = *HZ.get_or_init(|| {
        std::process::Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| {
                String::from_utf8_lossy(&o.stdout)
                    .trim()
                    .parse::<f64>()
                    .ok()
            })
            .unwrap_or(100.0)
    });
    Some(ticks / hz)
}

/// Wall-clock and CPU seconds spent in one kind of work, summed over rounds.
struct Spent {
    count: u64,
    wall: f64,
    cpu: Option<f64>,
}

impl Spent {
    fn new() -> Spent {
        Spent {
            count: 0,
            wall: 0.0,
            cpu: Some(0.0),
        }
    }
    fn add(&mut self, count: u64, wall: f64, cpu: Option<f64>) {
        self.count += count;
        self.wall += wall;
        self.cpu = self.cpu.zip(cpu).map(|(a, b)| a + b);
    }
    fn per_wall_sec(&self) -> f64 {
        self.count as f64 / self.wall
    }
    fn per_cpu_sec(&self) -> Option<f64> {
        self.cpu.filter(|c| *c > 0.0).map(|c| self.count as f64 / c)
    }
}

/// Run `work` and return (its result, wall seconds, CPU seconds of the whole process).
fn timed<T>(work: impl FnOnce() -> T) -> (T, f64, Option<f64>) {
    let (cpu0, start) = (process_cpu_secs(), Instant::now());
    let out = work();
    let wall = start.elapsed().as_secs_f64();
    let cpu = process_cpu_secs().zip(cpu0).map(|(b, a)| b - a);
    (out, wall, cpu)
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

/// The flow's crypto alone (2 signs + 2 verifies) on `threads` threads at once, raw aws-lc-rs,
/// for `secs`: how many flows' worth of crypto was done.
fn aws_lc_flow_crypto(threads: usize, secs: f64) -> u64 {
    let start = Instant::now();
    std::thread::scope(|scope| {
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
    })
}

/// `openssl speed -elapsed -multi cores ecdsap256`: (signs/s, verifies/s) on every core at once,
/// in wall-clock time, when openssl is installed.
fn openssl_rates(cores: usize) -> Option<(f64, f64)> {
    let out = std::process::Command::new("openssl")
        .args(["speed", "-elapsed", "-seconds", "2", "-multi"])
        .arg(cores.to_string())
        .arg("ecdsap256")
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

/// One token request prepared once (parsed URL, Basic header, form prefix) so that the
/// in-process client costs as little as it can: its CPU competes with the mock's.
struct Call {
    url: reqwest::Url,
    authorization: String,
    /// The encoded form up to the last value, which the caller appends encoded.
    prefix: String,
}

impl Call {
    fn new(url: &str, auth: (&str, &str), form: &[(&str, &str)], last: &str) -> Call {
        let basic = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            encode(auth.0),
            encode(auth.1)
        ));
        let mut prefix = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        prefix.push_str(&format!("&{last}="));
        Call {
            url: reqwest::Url::parse(url).expect("token endpoint URL"),
            authorization: format!("Basic {basic}"),
            prefix,
        }
    }

    fn body(&self, last_value: &str) -> String {
        let mut body = self.prefix.clone();
        body.extend(url::form_urlencoded::byte_serialize(last_value.as_bytes()));
        body
    }
}

/// RFC 6749 §2.3.1: client id and secret are form-encoded before Basic encoding.
fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[derive(serde::Deserialize)]
struct TokenResponse {
    access_token: Option<String>,
}

/// POST `body` to a prepared call; the `access_token` of a 2xx answer.
async fn post(http: &reqwest::Client, call: &Call, body: String) -> Option<String> {
    let r = http
        .post(call.url.clone())
        .header(reqwest::header::AUTHORIZATION, &call.authorization)
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .body(body)
        .send()
        .await
        .ok()?;
    if !r.status().is_success() {
        return None;
    }
    let bytes = r.bytes().await.ok()?;
    serde_json::from_slice::<TokenResponse>(&bytes)
        .ok()?
        .access_token
}

/// The prepared calls of one flow, and the pre-obtained subject tokens it exchanges.
struct Flow {
    exchange: Call,
    bearer: Call,
    subject_tokens: Vec<String>,
}

/// Run `concurrency` workers doing whole flows until `secs` have passed: (flows, errors).
async fn flows_for(
    http: &reqwest::Client,
    flow: &Arc<Flow>,
    concurrency: usize,
    secs: f64,
) -> (u64, u64) {
    let flows = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let (http, flow, flows, errors) =
            (http.clone(), flow.clone(), flows.clone(), errors.clone());
        tasks.push(tokio::spawn(async move {
            let mut i = worker;
            while Instant::now() < deadline {
                let st = &flow.subject_tokens[i % flow.subject_tokens.len()];
                i += concurrency;
                let grant = post(&http, &flow.exchange, flow.exchange.body(st)).await;
                let at = match grant {
                    Some(g) => post(&http, &flow.bearer, flow.bearer.body(&g)).await,
                    None => None,
                };
                let counter = if at.is_some() { &flows } else { &errors };
                counter.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    (
        flows.load(Ordering::Relaxed),
        errors.load(Ordering::Relaxed),
    )
}

fn main() {
    let secs = env_u64("CHAIN_FLOW_SECS", 6) as f64;
    let rounds = env_u64("CHAIN_FLOW_ROUNDS", 3).max(1);
    let concurrency = env_u64("CHAIN_FLOW_CONCURRENCY", 16) as usize;
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();

    let (pair, http, flow) = rt.block_on(async {
        let pair = MockPair::start(MockOptions::default())
            .await
            .expect("pair starts");
        let f = pair.facts().clone();
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(concurrency * 2)
            .build()
            .unwrap();
        let client = (f.client_id.as_str(), f.client_secret.as_str());
        let b_client = f.as_b_client.clone().expect("AS-B client");
        // Pool of pre-obtained subject tokens (the flow measured is exchange + jwt-bearer).
        let password = Call::new(
            &f.as_a_token_endpoint,
            client,
            &[("grant_type", "password"), ("username", &f.user.0)],
            "password",
        );
        let mut subject_tokens = Vec::new();
        for _ in 0..64 {
            let t = post(&http, &password, password.body(&f.user.1)).await;
            subject_tokens.push(t.expect("subject token"));
        }
        let flow = Flow {
            exchange: Call::new(
                &f.as_a_token_endpoint,
                client,
                &[
                    ("grant_type", TE),
                    ("subject_token_type", TT_AT),
                    ("resource", &f.as_b_issuer),
                ],
                "subject_token",
            ),
            bearer: Call::new(
                &f.as_b_token_endpoint,
                (&b_client.0, &b_client.1),
                &[("grant_type", JB)],
                "assertion",
            ),
            subject_tokens,
        };
        (pair, http, Arc::new(flow))
    });

    // Alternate: flows for secs/rounds, then the raw crypto for half as long.
    let (mut mock, mut ceiling, mut errors) = (Spent::new(), Spent::new(), 0);
    let slice = secs / rounds as f64;
    for _ in 0..rounds {
        let ((n, e), wall, cpu) =
            timed(|| rt.block_on(flows_for(&http, &flow, concurrency, slice)));
        mock.add(n, wall, cpu);
        errors += e;
        let (n, wall, cpu) = timed(|| aws_lc_flow_crypto(cores, slice / 2.0));
        ceiling.add(n, wall, cpu);
    }
    rt.block_on(pair.shutdown());

    let (signs, verifies) = aws_lc_rates(1.0);
    let per_flow = |s: f64, v: f64| 1.0 / (2.0 / s + 2.0 / v);
    let openssl = openssl_rates(cores);
    let measured = ceiling.per_wall_sec();
    let headline = openssl.map_or(measured, |(s, v)| measured.max(per_flow(s, v)));
    let fps = mock.per_wall_sec();
    println!(
        "chain_flow: {} complete flows (exchange + jwt-bearer) in {:.2} s over {rounds} rounds, concurrency {concurrency}, errors {errors}",
        mock.count, mock.wall
    );
    println!("  chained flows/s (mock, in-process client):      {fps:>10.1}");
    println!(
        "  aws-lc-rs flow crypto (2 sign + 2 verify) on {cores} threads, between the rounds: {measured:>10.1} flows/s"
    );
    println!(
        "  aws-lc-rs ES256, 1 thread, after the rounds:  {signs:>8.0} sign/s  {verifies:>8.0} verify/s  -> {:.1} flows/s per core",
        per_flow(signs, verifies)
    );
    match openssl {
        Some((s, v)) => println!(
            "  openssl speed -elapsed -multi {cores} ecdsap256: {s:>8.0} sign/s  {v:>8.0} verify/s  -> {:.1} flows/s",
            per_flow(s, v)
        ),
        None => println!("  openssl speed ecdsap256: openssl not found"),
    }
    println!(
        "  crypto ceiling (higher of the above on {cores} cores): {headline:.1} flows/s -> mock achieves {:.1}% (goal >= 50%)",
        100.0 * fps / headline
    );
    if let (Some(m), Some(c)) = (mock.per_cpu_sec(), ceiling.per_cpu_sec()) {
        println!(
            "  per CPU-second: mock {m:.1} flows, raw crypto {c:.1} flows -> {:.1}% of the mock's CPU is the crypto it must do",
            100.0 * m / c
        );
    }
    println!(
        "  load average at the end: {}",
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
    println!(
        "  reproduce: cargo bench -p mock-as --bench chain_flow   (CHAIN_FLOW_SECS={secs} CHAIN_FLOW_ROUNDS={rounds} CHAIN_FLOW_CONCURRENCY={concurrency})"
    );
    assert_eq!(errors, 0, "flows failed during the benchmark");
}

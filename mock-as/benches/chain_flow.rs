//! Chained flows per second against the in-process mock pair, printed beside the ceiling that
//! the machine's optimised ECDSA allows, measured in the same run: aws-lc-rs's raw sign and
//! verify (the library the mock signs with, called directly, not through the mock), and
//! `openssl speed ecdsap256` when openssl is installed.
//!
//! A flow is the whole chain: token exchange at AS-A, jwt-bearer at AS-B, and the call to
//! RS-B with the access token. It costs 2 ES256 signatures and 3 verifications on the
//! servers: AS-A verifies the subject token and signs the grant; AS-B verifies the grant and
//! signs the access token; RS-B verifies the access token (client authentication is Basic: no
//! crypto). The ceiling is the flows/s that this crypto alone allows on every core: exactly
//! those 5 operations per flow on `cores` threads at once.
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
//! - The client is as lean as a client can be, so that little of that CPU is its own: each
//!   worker keeps one HTTP/1.1 keep-alive connection per server (hyper's connection API: no
//!   pool, redirect policy or timers), with its requests' headers and form prefixes prepared
//!   once.
//! - No allocator crate. mimalloc was weighed as this process's global allocator: in
//!   alternating runs at load 18-20 it gave 45.5% and 53.8% of the ceiling against 50.7% and
//!   38.1% with the system allocator (47.0% and 49.7% per CPU-second against 47.7% and 52.4%).
//!   That is no gain beyond the noise, and the allocator is only 5-6% of the servers' CPU
//!   (perf), so it is not worth a dependency.
//!
//! Run: `cargo bench -p mock-as --bench chain_flow` (env CHAIN_FLOW_SECS, total seconds of
//! flows; CHAIN_FLOW_ROUNDS; CHAIN_FLOW_CONCURRENCY).

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair,
    ParsedPublicKey,
};
use base64::Engine as _;
use http_body_util::{BodyExt as _, Full};
use hyper::Request;
use hyper::body::Bytes;
use hyper::client::conn::http1::SendRequest;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST, HeaderValue};
use hyper_util::rt::TokioIo;
use mock_as::{MockOptions, MockPair};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const TE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const JB: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const TT_AT: &str = "urn:ietf:params:oauth:token-type:access_token";

/// The 1-, 5- and 15-minute load averages (empty where there is no procfs).
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

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

/// The flow's crypto alone (2 signs + 3 verifies) on `threads` threads at once, raw aws-lc-rs,
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
                        // RS-B's verification of the access token.
                        let sig = pair.sign(&rng, &input).unwrap();
                        public.verify_sig(&input, sig.as_ref()).unwrap();
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

/// One request prepared once (server address, path, Host and Authorization headers, the form
/// up to its last value), so that the in-process client costs as little as it can: its CPU
/// competes with the mock's.
struct Call {
    /// `host:port`, to connect to.
    addr: String,
    path: hyper::Uri,
    host: HeaderValue,
    authorization: HeaderValue,
    /// The encoded form up to the last value, which the caller appends encoded.
    prefix: String,
}

impl Call {
    /// A form POST authenticated with client_secret_basic.
    fn post(url: &str, auth: (&str, &str), form: &[(&str, &str)], last: &str) -> Call {
        let basic = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            encode(auth.0),
            encode(auth.1)
        ));
        let mut prefix = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        prefix.push_str(&format!("&{last}="));
        Call::new(url, &format!("Basic {basic}"), prefix)
    }

    /// A GET with no Authorization of its own (the caller sends the access token).
    fn get(url: &str) -> Call {
        Call::new(url, "", String::new())
    }

    fn new(url: &str, authorization: &str, prefix: String) -> Call {
        let url = url::Url::parse(url).expect("endpoint URL");
        let addr = format!(
            "{}:{}",
            url.host_str().expect("host"),
            url.port_or_known_default().expect("port")
        );
        Call {
            host: HeaderValue::from_str(&addr).expect("host header"),
            path: url[url::Position::BeforePath..]
                .parse()
                .expect("origin-form path"),
            addr,
            authorization: HeaderValue::from_str(authorization).expect("header value"),
            prefix,
        }
    }

    /// The form POST with `last_value` as its last parameter's value.
    fn form(&self, last_value: &str) -> Request<Full<Bytes>> {
        let mut body = self.prefix.clone();
        body.extend(url::form_urlencoded::byte_serialize(last_value.as_bytes()));
        Request::post(self.path.clone())
            .header(HOST, self.host.clone())
            .header(AUTHORIZATION, self.authorization.clone())
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Full::new(Bytes::from(body)))
            .expect("request")
    }

    /// The GET with `access_token` as a Bearer token (RFC 6750 §2.1).
    fn bearer_get(&self, access_token: &str) -> Request<Full<Bytes>> {
        Request::get(self.path.clone())
            .header(HOST, self.host.clone())
            .header(AUTHORIZATION, format!("Bearer {access_token}"))
            .body(Full::new(Bytes::new()))
            .expect("request")
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

/// One HTTP/1.1 keep-alive connection to one server, opened again if it fails.
struct Conn {
    addr: String,
    send: Option<SendRequest<Full<Bytes>>>,
}

impl Conn {
    fn to(call: &Call) -> Conn {
        Conn {
            addr: call.addr.clone(),
            send: None,
        }
    }

    /// The body of a 2xx answer to `req`; `None` for any other answer or a failed connection
    /// (which is then dropped, to be opened again by the next request).
    async fn send(&mut self, req: Request<Full<Bytes>>) -> Option<Bytes> {
        if self.send.as_ref().is_none_or(|s| s.is_closed()) {
            let stream = tokio::net::TcpStream::connect(&self.addr).await.ok()?;
            stream.set_nodelay(true).ok()?;
            let (send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .ok()?;
            tokio::spawn(conn);
            self.send = Some(send);
        }
        let send = self.send.as_mut()?;
        let answer = async {
            send.ready().await.ok()?;
            let r = send.send_request(req).await.ok()?;
            let ok = r.status().is_success();
            let body = r.into_body().collect().await.ok()?.to_bytes();
            Some((ok, body))
        };
        match answer.await {
            Some((ok, body)) => ok.then_some(body),
            None => {
                self.send = None;
                None
            }
        }
    }

    /// The `access_token` of a 2xx token response.
    async fn token(&mut self, req: Request<Full<Bytes>>) -> Option<String> {
        let body = self.send(req).await?;
        serde_json::from_slice::<TokenResponse>(&body)
            .ok()?
            .access_token
    }
}

/// The prepared calls of one flow, and the pre-obtained subject tokens it exchanges.
struct Flow {
    exchange: Call,
    bearer: Call,
    resource: Call,
    subject_tokens: Vec<String>,
}

/// Run `concurrency` workers doing whole flows until `secs` have passed: (flows, errors).
async fn flows_for(flow: &Arc<Flow>, concurrency: usize, secs: f64) -> (u64, u64) {
    let flows = Arc::new(AtomicU64::new(0));
    let errors = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs_f64(secs);
    let mut tasks = Vec::new();
    for worker in 0..concurrency {
        let (flow, flows, errors) = (flow.clone(), flows.clone(), errors.clone());
        tasks.push(tokio::spawn(async move {
            let mut as_a = Conn::to(&flow.exchange);
            let mut as_b = Conn::to(&flow.bearer);
            let mut rs_b = Conn::to(&flow.resource);
            let mut i = worker;
            while Instant::now() < deadline {
                let st = &flow.subject_tokens[i % flow.subject_tokens.len()];
                i += concurrency;
                let grant = as_a.token(flow.exchange.form(st)).await;
                let at = match grant {
                    Some(g) => as_b.token(flow.bearer.form(&g)).await,
                    None => None,
                };
                let served = match at {
                    Some(at) => rs_b.send(flow.resource.bearer_get(&at)).await,
                    None => None,
                };
                let counter = if served.is_some() { &flows } else { &errors };
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

    let load_at_start = load_average();
    let (pair, flow) = rt.block_on(async {
        let pair = MockPair::start(MockOptions::default())
            .await
            .expect("pair starts");
        let f = pair.facts().clone();
        let client = (f.client_id.as_str(), f.client_secret.as_str());
        let b_client = f.as_b_client.clone().expect("AS-B client");
        // Pool of pre-obtained subject tokens (the flow measured starts at the exchange).
        let password = Call::post(
            &f.as_a_token_endpoint,
            client,
            &[("grant_type", "password"), ("username", &f.user.0)],
            "password",
        );
        let mut conn = Conn::to(&password);
        let mut subject_tokens = Vec::new();
        for _ in 0..64 {
            let t = conn.token(password.form(&f.user.1)).await;
            subject_tokens.push(t.expect("subject token"));
        }
        let flow = Flow {
            exchange: Call::post(
                &f.as_a_token_endpoint,
                client,
                &[
                    ("grant_type", TE),
                    ("subject_token_type", TT_AT),
                    ("resource", &f.as_b_issuer),
                ],
                "subject_token",
            ),
            bearer: Call::post(
                &f.as_b_token_endpoint,
                (&b_client.0, &b_client.1),
                &[("grant_type", JB)],
                "assertion",
            ),
            resource: Call::get(&f.rs_url),
            subject_tokens,
        };
        (pair, Arc::new(flow))
    });

    // Alternate: flows for secs/rounds, then the raw crypto for half as long.
    let (mut mock, mut ceiling, mut errors) = (Spent::new(), Spent::new(), 0);
    let slice = secs / rounds as f64;
    for _ in 0..rounds {
        let ((n, e), wall, cpu) = timed(|| rt.block_on(flows_for(&flow, concurrency, slice)));
        mock.add(n, wall, cpu);
        errors += e;
        let (n, wall, cpu) = timed(|| aws_lc_flow_crypto(cores, slice / 2.0));
        ceiling.add(n, wall, cpu);
    }
    rt.block_on(pair.shutdown());

    let (signs, verifies) = aws_lc_rates(1.0);
    let per_flow = |s: f64, v: f64| 1.0 / (2.0 / s + 3.0 / v);
    let openssl = openssl_rates(cores);
    let measured = ceiling.per_wall_sec();
    let headline = openssl.map_or(measured, |(s, v)| measured.max(per_flow(s, v)));
    let fps = mock.per_wall_sec();
    println!(
        "chain_flow: {} complete flows (exchange + jwt-bearer + RS-B call) in {:.2} s over {rounds} rounds, concurrency {concurrency}, errors {errors}",
        mock.count, mock.wall
    );
    println!("  chained flows/s (mock, in-process client):      {fps:>10.1}");
    println!(
        "  aws-lc-rs flow crypto (2 sign + 3 verify) on {cores} threads, between the rounds: {measured:>10.1} flows/s"
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
        "  load average at the start: {load_at_start}; at the end: {}",
        load_average()
    );
    println!(
        "  reproduce: cargo bench -p mock-as --bench chain_flow   (CHAIN_FLOW_SECS={secs} CHAIN_FLOW_ROUNDS={rounds} CHAIN_FLOW_CONCURRENCY={concurrency})"
    );
    assert_eq!(errors, 0, "flows failed during the benchmark");
}

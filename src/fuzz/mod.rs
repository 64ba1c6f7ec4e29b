//! `chainproof fuzz`: property-based fuzzing of the token-exchange request at AS-A (RFC 8693
//! §2.1) and the jwt-bearer request at AS-B (RFC 7523 §2.1), with oracles from RFC 6749 §5,
//! shrinking, replay files and seed-reproducible request sequences.
//!
//! Flow: target → [`engine::Session`] (subject token, real grant) → [`engine::run`]
//! (proptest generation, concurrent sending, in-order judging, shrinking) → replay files,
//! request log, [`crate::run_result::RunResult`] → [`crate::report::write_all`].
//!
//! What a run writes into `--out`:
//! - `fuzz-requests.log`: one line per request sent (`SEQ PHASE ENDPOINT METHOD ct= enc= auth=
//!   BODY`), secrets and run-specific values (ports, tokens, grants) as `{placeholders}`, no
//!   timestamps: two runs with the same seed and case count against servers that answer the
//!   same way produce byte-identical logs. (Only the latency oracle depends on timing; a
//!   latency finding adds shrink requests.)
//! - `fuzz-finding-<id>.json` per finding and observation ([`replay::ReplayFile`]);
//!   `chainproof fuzz --replay FILE [--target T | --mock-fault F]` re-sends it.
//! - the usual reports: suite `fuzz`, one case per finding (`<endpoint>-<oracle>`, for
//!   `token-for-invalid` and `error-code` also the broken requirement and, below MUST, the
//!   level), one per observation (`info`), one `pass`/`skip` per oracle, `error` when the
//!   circuit breaker stopped the run.
//!
//! Findings are graded by the catalogue level of their requirement in `--profile`, capped by
//! the model's confidence; MAY-level results are observations and never count as findings.
//! Exit codes: 0 nothing at or above `--fail-on`, 1 findings, 2 the run could not complete
//! (breaker, setup), 3 invalid target or replay file, 64 usage.

pub mod assertion;
pub mod breaker;
pub mod engine;
pub mod levels;
pub mod model;
pub mod oracle;
pub mod render;
pub mod replay;
pub mod request;
pub mod result;
pub mod send;
pub mod strategy;
pub mod target;

use crate::exit;
use crate::report::{ReportOptions, Secrets};
use crate::verdict::FailOn;
use engine::{EngineConfig, Session};
use mock_as::{Fault, MockOptions, MockPair, MockProfile, TrustedIssuer, Variant};
use replay::ReplayFile;
use request::Endpoint;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};
use target::{FuzzEndpoints, MOCK_HARNESS_ISSUER};

/// Which token request to fuzz.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EndpointChoice {
    /// Token exchange at AS-A.
    Exchange,
    /// jwt-bearer at AS-B.
    Assertion,
    /// Both, alternating case by case.
    #[default]
    Both,
}

impl EndpointChoice {
    pub fn endpoints(self) -> Vec<Endpoint> {
        match self {
            EndpointChoice::Exchange => vec![Endpoint::Exchange],
            EndpointChoice::Assertion => vec![Endpoint::Assertion],
            EndpointChoice::Both => vec![Endpoint::Exchange, Endpoint::Assertion],
        }
    }
}

/// `chainproof fuzz` options (the command line's `FuzzArgs`, or a caller's own choice).
#[derive(Debug, Clone)]
pub struct FuzzOptions {
    /// Target file naming AS-A and AS-B (default: the embedded mock pair).
    pub target: Option<PathBuf>,
    /// Which token request to fuzz.
    pub endpoint: EndpointChoice,
    /// Number of generated requests (cases), shrinking not included.
    pub cases: u64,
    /// Seed of the request sequence; the same seed and case count send the same requests.
    /// Random (and printed) when absent.
    pub seed: Option<u64>,
    /// Stop generating new cases after this long (e.g. `90s`, `5m`).
    pub time_limit: Option<Duration>,
    /// At most R requests per second (be gentle with live servers).
    pub rate: Option<f64>,
    /// Mock fault to switch on (repeatable; embedded mock only).
    pub mock_faults: Vec<Fault>,
    /// Legal variants of the embedded mock (repeatable; embedded mock only).
    pub mock_variants: Vec<Variant>,
    /// Requests in flight at once (results are judged in generation order).
    pub concurrency: usize,
    /// Response-time bound of the latency oracle.
    pub max_latency: Duration,
    /// Per-request timeout (a timeout counts toward the circuit breaker).
    pub timeout: Duration,
    /// Stop after this many consecutive connection errors or timeouts.
    pub breaker: u32,
    /// Most requests spent shrinking one finding.
    pub max_shrink: u32,
    /// Re-send the request saved in a replay file and re-check its oracle (exit 1 if it
    /// still fails).
    pub replay: Option<PathBuf>,
    /// Profile whose requirement levels grade the findings (default: the target's, else the
    /// catalogue's default, as for `run`).
    pub profile: Option<String>,
    /// Lowest verdict that makes the run exit 1.
    pub fail_on: FailOn,
    pub report: ReportOptions,
}

impl Default for FuzzOptions {
    fn default() -> Self {
        FuzzOptions {
            target: None,
            endpoint: EndpointChoice::Both,
            cases: 1000,
            seed: None,
            time_limit: None,
            rate: None,
            mock_faults: Vec::new(),
            mock_variants: Vec::new(),
            concurrency: 8,
            max_latency: Duration::from_secs(5),
            timeout: Duration::from_secs(10),
            breaker: 5,
            max_shrink: 500,
            replay: None,
            fail_on: FailOn::Fail,
            profile: None,
            report: ReportOptions::default(),
        }
    }
}

/// The target under test, kept alive for the run.
struct Running {
    endpoints: FuzzEndpoints,
    _mock: Option<MockPair>,
    _env: Option<crate::environment::Env>,
}

async fn start_target(
    args: &FuzzOptions,
    target: Option<&crate::target::Target>,
    seed: u64,
    profile: &str,
) -> Result<Running, (i32, String)> {
    // The embedded mock follows the rules of the profile being graded, as for `run`.
    let mock_profile = MockProfile::for_grading_profile(profile).unwrap_or_default();
    if let (Some(path), Some(target)) = (&args.target, target) {
        // The runner's loader and environment (discovery, secrets from the environment,
        // harness issuer); mock roles in the file still take `--mock-fault`/`--mock-variant`.
        let modes = crate::environment::MockModes {
            faults: args.mock_faults.clone(),
            variants: args.mock_variants.clone(),
            profile: mock_profile,
        };
        let env = crate::environment::Env::build_with(Some(target), modes, false)
            .await
            .map_err(|e| match e {
                crate::environment::EnvError::Invalid(m) => (exit::INVALID_INPUT, m),
                crate::environment::EnvError::Runtime(m) => (exit::RUNTIME, m),
            })?;
        let mut endpoints = FuzzEndpoints::from_env(&env)
            .map_err(|m| (exit::INVALID_INPUT, format!("{}: {m}", path.display())))?;
        if let Some(t) = endpoints.targets.as_mut() {
            t.file = Some(path.display().to_string());
        }
        return Ok(Running {
            endpoints,
            _mock: None,
            _env: Some(env),
        });
    }
    let key = std::sync::Arc::new(crate::harness::HarnessIssuer::from_seed(
        MOCK_HARNESS_ISSUER.into(),
        seed,
    ));
    let options = MockOptions {
        faults: args.mock_faults.clone(),
        variants: args.mock_variants.clone(),
        profile: mock_profile,
        extra_trusted_issuers: vec![TrustedIssuer {
            issuer: MOCK_HARNESS_ISSUER.into(),
            jwks: Some(key.jwks()),
            jwks_uri: None,
        }],
        ..MockOptions::default()
    };
    let config = options.config.clone();
    let mock = MockPair::start(options)
        .await
        .map_err(|e| (exit::RUNTIME, format!("cannot start the mock pair: {e}")))?;
    let endpoints = FuzzEndpoints::from_mock(mock.facts(), &config, &args.mock_faults, Some(key));
    Ok(Running {
        endpoints,
        _mock: Some(mock),
        _env: None,
    })
}

/// Run `chainproof fuzz`; returns the process exit code (see [`crate::exit`]).
pub async fn run(args: FuzzOptions) -> i32 {
    on_dedicated_runtime(move || async move { report_errors(run_inner(&args, None).await) }).await
}

/// Fuzz servers described by `endpoints` instead of the embedded mock (the runner's target
/// loader and the tests use this).
pub async fn run_against(args: FuzzOptions, endpoints: FuzzEndpoints) -> i32 {
    on_dedicated_runtime(
        move || async move { report_errors(run_inner(&args, Some(endpoints)).await) },
    )
    .await
}

fn report_errors(r: Result<i32, (i32, String)>) -> i32 {
    match r {
        Ok(code) => code,
        // Positioned errors (target and replay files) carry their own `error:` header.
        Err((code, msg)) if msg.starts_with("error: ") => {
            eprintln!("{msg}");
            code
        }
        Err((code, msg)) => {
            eprintln!("error: {msg}");
            code
        }
    }
}

/// The fuzz loop holds proptest value trees (not `Send`) across awaits, so it runs on a
/// dedicated multi-thread runtime in its own thread; the returned future is `Send` and can be
/// awaited or spawned from any runtime.
async fn on_dedicated_runtime<F, Fut>(make: F) -> i32
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = i32>,
{
    let (tx, rx) = tokio::sync::oneshot::channel();
    let spawned = std::thread::Builder::new()
        .name("chainproof-fuzz".into())
        .spawn(move || {
            let code = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
            {
                Ok(rt) => rt.block_on(make()),
                Err(e) => {
                    eprintln!("error: cannot start the fuzz runtime: {e}");
                    exit::RUNTIME
                }
            };
            let _ = tx.send(code);
        });
    if let Err(e) = spawned {
        eprintln!("error: cannot start the fuzz thread: {e}");
        return exit::RUNTIME;
    }
    rx.await.unwrap_or(exit::RUNTIME)
}

async fn run_inner(
    args: &FuzzOptions,
    endpoints: Option<FuzzEndpoints>,
) -> Result<i32, (i32, String)> {
    if args.cases == 0 && args.replay.is_none() {
        return Err((exit::USAGE, "--cases must be at least 1".into()));
    }
    if args.rate.is_some_and(|r| !(r > 0.0 && r.is_finite())) {
        return Err((
            exit::USAGE,
            "--rate must be a positive number of requests per second".into(),
        ));
    }
    let replay = match &args.replay {
        Some(p) => Some(ReplayFile::load(p).map_err(|e| (exit::INVALID_INPUT, e.to_string()))?),
        None => None,
    };
    let seed = args
        .seed
        .or(replay.as_ref().map(|r| r.seed))
        .unwrap_or_else(random_seed);
    let target = match &args.target {
        Some(path) => Some(
            crate::target::Target::load(path).map_err(|d| (exit::INVALID_INPUT, d.to_string()))?,
        ),
        None => None,
    };
    let levels = levels::Levels::embedded(
        args.profile.as_deref(),
        target.as_ref().and_then(|t| t.spec.profile.as_deref()),
    )
    .map_err(|m| (exit::USAGE, m))?;
    let started = SystemTime::now();
    let running = match endpoints {
        Some(endpoints) => Running {
            endpoints,
            _mock: None,
            _env: None,
        },
        None => start_target(args, target.as_ref(), seed, &levels.profile).await?,
    };
    let sender =
        send::Sender::new(args.timeout, args.rate).map_err(|e| (exit::RUNTIME, e.to_string()))?;
    let mut session = Session::prepare(
        running.endpoints.clone(),
        sender,
        args.max_latency,
        levels.clone(),
    )
    .await
    .map_err(|e| (exit::RUNTIME, e.to_string()))?;
    if let Some(file) = replay {
        return Ok(replay_one(&mut session, &file).await);
    }
    let fuzzed = args.endpoint.endpoints();
    let cfg = EngineConfig {
        seed,
        cases: args.cases,
        endpoints: fuzzed.clone(),
        deadline: args.time_limit.map(|d| Instant::now() + d),
        concurrency: args.concurrency.max(1),
        latency_bound: args.max_latency,
        breaker_threshold: args.breaker,
        max_shrink_steps: args.max_shrink,
    };
    eprintln!(
        "chainproof fuzz: seed {seed}, {} cases, endpoints {:?}",
        args.cases, args.endpoint
    );
    let outcome = engine::run(&mut session, &cfg)
        .await
        .map_err(|e| (exit::RUNTIME, e.to_string()))?;

    let out_dir = &args.report.out;
    std::fs::create_dir_all(out_dir).map_err(|e| {
        (
            exit::RUNTIME,
            format!("cannot create {}: {e}", out_dir.display()),
        )
    })?;
    let log_path = out_dir.join("fuzz-requests.log");
    let mut log = outcome.log.join("\n");
    log.push('\n');
    std::fs::write(&log_path, log).map_err(|e| {
        (
            exit::RUNTIME,
            format!("cannot write {}: {e}", log_path.display()),
        )
    })?;
    let mut replay_files = BTreeMap::new();
    let mut shrunk_requests = BTreeMap::new();
    for f in outcome.findings.iter().chain(&outcome.observations) {
        let rendered = session_preview(&session, &f.request);
        shrunk_requests.insert(f.key.clone(), rendered.log.clone());
        let file = ReplayFile::from_finding(f, seed, rendered.log, rendered.template);
        let path = out_dir.join(file.file_name());
        file.save(&path)
            .map_err(|e| (exit::RUNTIME, e.to_string()))?;
        replay_files.insert(f.key.clone(), path.display().to_string());
    }
    let result = result::build(&result::ResultInput {
        outcome: &outcome,
        endpoints: &session.endpoints,
        fuzzed: &fuzzed,
        seed,
        started,
        replay_files: &replay_files,
        requests: &shrunk_requests,
        levels: &session.levels,
    });
    let mut secrets = session.endpoints.secrets();
    secrets.push(session.subject_token.clone());
    if let Some(g) = &session.real_grant {
        secrets.push(g.compact.clone());
    }

    let secs = outcome.elapsed.as_secs_f64().max(1e-9);
    println!(
        "fuzz: seed {seed}: {} cases, {} requests in {:.2} s ({:.0} requests/s), {} findings, {} observations",
        outcome.cases_run,
        outcome.requests,
        secs,
        outcome.requests as f64 / secs,
        outcome.findings.len(),
        outcome.observations.len()
    );
    for f in &outcome.findings {
        println!(
            "  {:<5} {} [{}] {} ({} parameters) -> {}",
            f.violation.verdict(),
            f.key,
            f.violation.requirements.join(", "),
            f.violation.message,
            f.request.param_count(),
            replay_files.get(&f.key).map(String::as_str).unwrap_or("-")
        );
    }
    for f in &outcome.observations {
        println!(
            "  info  {} [{}] {} -> {}",
            f.key,
            f.violation.requirements.join(", "),
            f.violation.message,
            replay_files.get(&f.key).map(String::as_str).unwrap_or("-")
        );
    }
    if let Some(msg) = &outcome.breaker {
        println!("  error circuit breaker: {msg}");
    }
    if outcome.time_limited {
        println!("  time limit reached after {} cases", outcome.cases_run);
    }
    println!("  request log: {}", log_path.display());
    println!(
        "  reproduce: chainproof fuzz --seed {seed} --cases {}{}",
        args.cases,
        fault_flags(args)
    );
    // The same finish as `run`: gate (--fail-on, --expect, --baseline, --gate), then every
    // report, then the exit code; a run the breaker stopped could not complete (exit 2).
    let finished = crate::run::finish_reports(
        &result,
        &args.report,
        args.fail_on,
        &Secrets { values: secrets },
    );
    match &finished.written {
        Ok(paths) => {
            for p in paths {
                println!("  report: {}", p.display());
            }
        }
        Err(e) => eprintln!("error: {e}"),
    }
    match &finished.gate {
        Ok(g) => eprint!("{}", g.summary),
        Err(e) => eprintln!("error: {e}"),
    }
    let code = finished.exit_code;
    Ok(if outcome.breaker.is_some() {
        code.max(exit::RUNTIME)
    } else {
        code
    })
}

fn fault_flags(args: &FuzzOptions) -> String {
    let mut s = String::new();
    if args.endpoint != EndpointChoice::Both {
        s.push_str(&format!(" --endpoint {:?}", args.endpoint).to_lowercase());
    }
    for f in &args.mock_faults {
        s.push_str(&format!(" --mock-fault {f}"));
    }
    for v in &args.mock_variants {
        s.push_str(&format!(" --mock-variant {v}"));
    }
    s
}

fn session_preview(session: &Session, req: &request::FuzzRequest) -> render::Rendered {
    let ctx = render::RenderContext {
        endpoints: &session.endpoints,
        subject_token: "",
        real_grant: None,
        now: 0,
    };
    ctx.render(req)
}

async fn replay_one(session: &mut Session, file: &ReplayFile) -> i32 {
    let (_, out) = session.send_one(&file.request, "replay").await;
    if let Some(e) = &out.transport_error {
        eprintln!("error: replay of {} got no response: {e}", file.id);
        return exit::RUNTIME;
    }
    let (exp, violations) = session.judge(&file.request, &out);
    let status = out.response.as_ref().map(|r| r.status).unwrap_or(0);
    match violations.iter().find(|v| v.key(file.endpoint) == file.id) {
        Some(v) => {
            println!(
                "replay {}: still fails ({} {}): {} [HTTP {status}, request {}]",
                file.id,
                v.verdict(),
                v.requirements.join(", "),
                v.message,
                exp.label()
            );
            exit::CONFORMANCE
        }
        None => {
            println!(
                "replay {}: no longer reproduces [HTTP {status}, request {}]",
                file.id,
                exp.label()
            );
            exit::OK
        }
    }
}

fn random_seed() -> u64 {
    rand::random::<u64>() % 1_000_000_000
}

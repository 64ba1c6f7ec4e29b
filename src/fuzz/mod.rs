//! `chainproof fuzz`: property-based fuzzing of the token-exchange request at AS-A (RFC 8693
//! §2.1) and the jwt-bearer request at AS-B (RFC 7523 §2.1), with oracles from RFC 6749 §5,
//! shrinking, replay files and seed-reproducible request sequences.
//!
//! Flow: target → the runner's [`Env`] (embedded mock or `--target` file, discovery, secrets,
//! subject-token roles) and [`crate::http::Http`] → [`engine::Session`] (subject token, real
//! grant) → [`engine::run`] (proptest generation, concurrent sending, in-order judging,
//! shrinking) → replay files, request log, [`crate::run_result::RunResult`] → the finish of
//! `run` ([`crate::run::finish_reports`]: gate, reports, exit code). Prints nothing: [`execute`]
//! returns what the command layer (`app.rs`) shows.
//!
//! What a run writes into `--out`:
//! - `fuzz-requests.log`: one line per request sent (`SEQ PHASE ENDPOINT METHOD ct= enc= auth=
//!   BODY`), secrets and run-specific values (ports, tokens, grants) as `{placeholders}`, no
//!   timestamps: two runs with the same seed and case count against servers that answer the
//!   same way produce byte-identical logs. (Only timing adds lines: a latency finding's shrink
//!   requests, and a grant source's subject token granted again near its expiry.)
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

use crate::environment::{Env, EnvError, MockModes};
use crate::exit;
use crate::report::{GateOptions, ReportOptions, Secrets};
use crate::run::Finished;
use crate::subject_token::Notice;
use crate::verdict::Verdict;
use engine::{EngineConfig, Session};
use mock_as::{Fault, MockProfile, Variant};
use replay::ReplayFile;
use request::Endpoint;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use target::FuzzEndpoints;

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
    /// Per-request timeout (a timeout counts toward the circuit breaker); default: the
    /// target's `limits.request_timeout_secs`.
    pub timeout: Option<Duration>,
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
    pub report: ReportOptions,
    /// How the finished run gates (`--fail-on`, `--expect`, `--baseline`, `--gate`), as for `run`.
    pub gate: GateOptions,
    /// Write every request sent, real values included, one JSON object per line (the fuzz
    /// benchmark replays them with a raw load tool; the file holds secrets).
    pub record: Option<PathBuf>,
    /// Do not verify server certificates (`--insecure`); every report says so.
    pub insecure: bool,
    /// Where lines for the person running chainproof go (the seed at the start, an
    /// interactive login's URL); the command layer prints them.
    pub notice: Notice,
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
            timeout: None,
            breaker: 5,
            max_shrink: 500,
            replay: None,
            profile: None,
            report: ReportOptions::default(),
            gate: GateOptions::default(),
            record: None,
            insecure: false,
            notice: Notice::default(),
        }
    }
}

/// A finding or observation as the terminal lists it.
#[derive(Debug, Clone)]
pub struct Shown {
    pub verdict: Verdict,
    pub key: String,
    pub requirements: Vec<String>,
    pub message: String,
    /// Parameters of the shrunk request.
    pub parameters: usize,
    /// Its replay file.
    pub replay: Option<String>,
}

/// A finished fuzz run: what it sent and found, and the shared finish (gate, reports).
#[derive(Debug)]
pub struct FuzzRun {
    pub seed: u64,
    pub cases_run: u64,
    pub requests: u64,
    pub elapsed: Duration,
    pub findings: Vec<Shown>,
    pub observations: Vec<Shown>,
    /// Why the circuit breaker stopped the run.
    pub breaker: Option<String>,
    pub time_limited: bool,
    /// Requests that got no response (judged by no oracle), and why the first did not.
    pub unanswered: u64,
    pub first_unanswered: Option<String>,
    pub log_path: PathBuf,
    /// The command line that sends the same requests again.
    pub reproduce: String,
    pub finished: Finished,
}

/// A re-sent replay file: whether its oracle still fails.
#[derive(Debug)]
pub struct ReplayChecked {
    pub id: String,
    /// Verdict, requirements and message of the violation, when it still reproduces.
    pub still: Option<(Verdict, Vec<String>, String)>,
    pub status: u16,
    /// The model's expectation for the request.
    pub expected: String,
}

/// What `chainproof fuzz` did, for the command layer to show.
#[derive(Debug)]
pub enum Fuzzed {
    Run(Box<FuzzRun>),
    Replay(ReplayChecked),
    /// It could not run. The message is the whole text to show (positioned errors about
    /// target and replay files carry their own `error:` header).
    Failed {
        code: i32,
        message: String,
    },
}

impl Fuzzed {
    /// The process exit code (see [`crate::exit`]): a run's is its finish's, as for `run` (an
    /// interrupted run without findings exits 2).
    pub fn exit_code(&self) -> i32 {
        match self {
            Fuzzed::Run(r) => r.finished.exit_code,
            Fuzzed::Replay(r) if r.still.is_some() => exit::CONFORMANCE,
            Fuzzed::Replay(_) => exit::OK,
            Fuzzed::Failed { code, .. } => *code,
        }
    }
}

/// Run `chainproof fuzz` and return its exit code, showing nothing (tests, callers that read
/// the reports).
pub async fn run(options: FuzzOptions) -> i32 {
    execute(options).await.exit_code()
}

/// Run `chainproof fuzz`; the command layer shows the result.
pub async fn execute(options: FuzzOptions) -> Fuzzed {
    on_dedicated_runtime(move || async move {
        run_inner(&options).await.unwrap_or_else(|(code, msg)| {
            let message = if msg.starts_with("error: ") {
                msg
            } else {
                format!("error: {msg}")
            };
            Fuzzed::Failed { code, message }
        })
    })
    .await
}

/// The fuzz loop holds proptest value trees (not `Send`) across awaits, so it runs on a
/// dedicated multi-thread runtime in its own thread; the returned future is `Send` and can be
/// awaited or spawned from any runtime.
async fn on_dedicated_runtime<F, Fut>(make: F) -> Fuzzed
where
    F: FnOnce() -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Fuzzed>,
{
    let failed = |message: String| Fuzzed::Failed {
        code: exit::RUNTIME,
        message,
    };
    let (tx, rx) = tokio::sync::oneshot::channel();
    let spawned = std::thread::Builder::new()
        .name("chainproof-fuzz".into())
        .spawn(move || {
            let done = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
            {
                Ok(rt) => rt.block_on(make()),
                Err(e) => failed(format!("error: cannot start the fuzz runtime: {e}")),
            };
            let _ = tx.send(done);
        });
    if let Err(e) = spawned {
        return failed(format!("error: cannot start the fuzz thread: {e}"));
    }
    rx.await
        .unwrap_or_else(|_| failed("error: the fuzz thread stopped".into()))
}

async fn run_inner(args: &FuzzOptions) -> Result<Fuzzed, (i32, String)> {
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
    // The runner's environment: the embedded mock follows the graded profile's rules (as for
    // `run`), and keeps its default lifetimes, since the fuzzer holds one subject token and
    // one grant for the whole run.
    let modes = MockModes {
        faults: args.mock_faults.clone(),
        variants: args.mock_variants.clone(),
        profile: MockProfile::for_grading_profile(&levels.profile).unwrap_or_default(),
        long_lived: true,
        exchange: levels.catalogue.exchange_form(&levels.profile),
    };
    let env = Env::build_with(target.as_ref(), modes, args.insecure)
        .await
        .map_err(|e| match e {
            EnvError::Invalid(m) => (exit::INVALID_INPUT, m),
            EnvError::Runtime(m) => (exit::RUNTIME, m),
        })?;
    let env = Arc::new(env);
    env.tokens.set_notice(args.notice.clone());
    let endpoints = FuzzEndpoints::from_env(&env);
    let mut http = env.http.clone();
    if let Some(t) = args.timeout {
        http.timeout = t;
    }
    let sender = send::Sender::new(http, args.rate, args.record.is_some());
    let mut session = Session::prepare(
        env.clone(),
        endpoints,
        sender,
        args.max_latency,
        levels.clone(),
    )
    .await
    .map_err(|e| (exit::RUNTIME, e.to_string()))?;
    if let Some(file) = replay {
        return replay_one(&mut session, &file).await.map(Fuzzed::Replay);
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
    args.notice.show(&format!(
        "chainproof fuzz: seed {seed}, {} cases, endpoints {:?}",
        args.cases, args.endpoint
    ));
    let outcome = engine::run(&mut session, &cfg)
        .await
        .map_err(|e| (exit::RUNTIME, e.to_string()))?;

    let write_err = |p: &std::path::Path, e: std::io::Error| {
        (exit::RUNTIME, format!("cannot write {}: {e}", p.display()))
    };
    if let Some(path) = &args.record {
        session
            .sender
            .write_record(path)
            .map_err(|e| write_err(path, e))?;
    }
    let out_dir = &args.report.out;
    std::fs::create_dir_all(out_dir).map_err(|e| write_err(out_dir, e))?;
    let log_path = out_dir.join("fuzz-requests.log");
    let mut log = outcome.log.join("\n");
    log.push('\n');
    std::fs::write(&log_path, log).map_err(|e| write_err(&log_path, e))?;
    let servers = servers(args, &levels.profile);
    let mut replay_files = BTreeMap::new();
    let (mut replays, mut shrunk_requests) = (BTreeMap::new(), BTreeMap::new());
    for f in outcome.findings.iter().chain(&outcome.observations) {
        let rendered = session_preview(&session, &f.request);
        shrunk_requests.insert(f.key.clone(), rendered.log.clone());
        let file = ReplayFile::from_finding(f, seed, rendered.log, rendered.template);
        let path = out_dir.join(file.file_name());
        file.save(&path).map_err(|e| (exit::RUNTIME, e))?;
        let path = path.display().to_string();
        replays.insert(
            f.key.clone(),
            format!("chainproof fuzz --replay {path}{servers}"),
        );
        replay_files.insert(f.key.clone(), path);
    }
    let result = result::build(&result::ResultInput {
        outcome: &outcome,
        targets: &session.env.targets,
        fuzzed: &fuzzed,
        seed,
        started,
        replays: &replays,
        requests: &shrunk_requests,
        levels: &session.levels,
    });
    let mut secrets = session.env.secrets_now();
    secrets.push(session.subject_token.clone());
    if let Some(g) = &session.real_grant {
        secrets.push(g.compact.clone());
    }
    // The same finish as `run`: gate (--fail-on, --expect, --baseline, --gate), then every
    // report, then the exit code.
    let finished = crate::run::finish_reports(
        &result,
        &args.report,
        &args.gate,
        &Secrets { values: secrets },
    );
    let shown = |f: &engine::Finding| Shown {
        verdict: f.violation.verdict(),
        key: f.key.clone(),
        requirements: f.violation.requirements.clone(),
        message: f.violation.message.clone(),
        parameters: f.request.param_count(),
        replay: replay_files.get(&f.key).cloned(),
    };
    Ok(Fuzzed::Run(Box::new(FuzzRun {
        seed,
        cases_run: outcome.cases_run,
        requests: outcome.requests,
        elapsed: outcome.elapsed,
        findings: outcome.findings.iter().map(shown).collect(),
        observations: outcome.observations.iter().map(shown).collect(),
        breaker: outcome.breaker.clone(),
        time_limited: outcome.time_limited,
        unanswered: outcome.unanswered,
        first_unanswered: outcome.first_unanswered.clone(),
        log_path,
        reproduce: format!(
            "chainproof fuzz --seed {seed} --cases {}{}{servers}",
            args.cases,
            match args.endpoint {
                EndpointChoice::Both => String::new(),
                e => format!(" --endpoint {e:?}").to_lowercase(),
            }
        ),
        finished,
    })))
}

/// The flags that choose the servers and the grading profile: the target file, or the
/// embedded mock's faults and variants. The reproduce line and every replay command carry
/// them (a bare `--replay` would meet a conformant mock and report that nothing reproduces).
fn servers(args: &FuzzOptions, profile: &str) -> String {
    let mut s = String::new();
    if let Some(t) = &args.target {
        s.push_str(&format!(" --target {}", t.display()));
    }
    for f in &args.mock_faults {
        s.push_str(&format!(" --mock-fault {f}"));
    }
    for v in &args.mock_variants {
        s.push_str(&format!(" --mock-variant {v}"));
    }
    s + " --profile " + profile
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

async fn replay_one(
    session: &mut Session,
    file: &ReplayFile,
) -> Result<ReplayChecked, (i32, String)> {
    let (_, out) = session.send_one(&file.request, "replay").await;
    if let Some(e) = &out.transport_error {
        return Err((
            exit::RUNTIME,
            format!("replay of {} got no response: {e}", file.id),
        ));
    }
    let (exp, violations) = session.judge(&file.request, &out);
    Ok(ReplayChecked {
        id: file.id.clone(),
        still: violations
            .iter()
            .find(|v| v.key(file.endpoint) == file.id)
            .map(|v| (v.verdict(), v.requirements.clone(), v.message.clone())),
        status: out.response.as_ref().map(|r| r.status).unwrap_or(0),
        expected: exp.label().to_string(),
    })
}

fn random_seed() -> u64 {
    rand::random::<u64>() % 1_000_000_000
}

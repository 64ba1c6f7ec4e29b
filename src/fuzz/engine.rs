//! The fuzz loop: generate requests in seed order with proptest, send them with bounded
//! concurrency, judge them in order, and shrink every new finding to the smallest request that
//! still breaks the same oracle.
//!
//! Determinism: requests come from a ChaCha `TestRng` seeded from `--seed`; generation never
//! depends on responses, and evaluation and shrinking happen in generation order. So the same
//! seed and case count send the same sequence of requests to a server that answers the same way.

use crate::environment::Env;
use crate::fuzz::assertion::RealGrant;
use crate::fuzz::breaker::Breaker;
use crate::fuzz::levels::Levels;
use crate::fuzz::model::{self, Expectation};
use crate::fuzz::oracle::{self, Observed, Oracle, Violation};
use crate::fuzz::render::{RenderContext, Rendered};
use crate::fuzz::request::{Endpoint, FuzzRequest, TargetValue, Value};
use crate::fuzz::send::{Outcome, Sender};
use crate::fuzz::strategy::{self, StrategyOptions};
use crate::fuzz::target::FuzzEndpoints;
use crate::http::unix_now;
use crate::subject_token::{Got, REFETCH_MARGIN_SECS, TokenRole, jwt_exp};
use crate::transcript::Exchange;
use futures::StreamExt as _;
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use sha2::{Digest, Sha256};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::task::Poll;
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct EngineConfig {
    pub seed: u64,
    pub cases: u64,
    pub endpoints: Vec<Endpoint>,
    /// Stop generating new cases after this instant (`--time-limit`).
    pub deadline: Option<Instant>,
    pub concurrency: usize,
    pub latency_bound: Duration,
    pub breaker_threshold: u32,
    /// Upper bound on requests spent shrinking one finding.
    pub max_shrink_steps: u32,
}

/// One deduplicated oracle violation with the smallest request found that shows it.
#[derive(Debug, Clone)]
pub struct Finding {
    pub key: String,
    pub endpoint: Endpoint,
    pub violation: Violation,
    pub request: FuzzRequest,
    pub expectation: String,
    pub exchange: Exchange,
    pub case_index: u64,
    pub shrink_steps: u32,
    pub shrunk: bool,
}

#[derive(Debug, Default)]
pub struct EngineOutcome {
    pub findings: Vec<Finding>,
    pub observations: Vec<Finding>,
    pub cases_run: u64,
    pub requests: u64,
    /// Why the run stopped early: the circuit breaker, or a subject token that could not be
    /// obtained again.
    pub breaker: Option<String>,
    pub time_limited: bool,
    /// Requests that got no response (timeout, reset, refused) without tripping the breaker:
    /// no oracle could judge them, so the report says how many and why the first failed.
    pub unanswered: u64,
    pub first_unanswered: Option<String>,
    /// How many responses each (endpoint, oracle) judged.
    pub applicable: BTreeMap<(Endpoint, Oracle), u64>,
    /// One line per request sent, deterministic.
    pub log: Vec<String>,
    pub elapsed: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("cannot obtain a subject token from AS-A at {url}: {detail}")]
    SubjectToken { url: String, detail: String },
    #[error("cannot generate a request: {0}")]
    Generate(String),
}

/// A prepared session: target, tokens, sender.
pub struct Session {
    /// The runner's environment (it keeps the embedded servers alive).
    pub env: std::sync::Arc<Env>,
    pub endpoints: FuzzEndpoints,
    pub subject_token: String,
    /// When to ask for the subject token again: a second later for a kept source's (the
    /// runner's token source answers from its cache and fetches it again well before its
    /// expiry), near its end for a grant source's, never for one without a known expiry.
    refresh_at: Option<i64>,
    pub real_grant: Option<RealGrant>,
    pub sender: Sender,
    pub latency_bound: Duration,
    /// Catalogue levels for the active profile.
    pub levels: Levels,
    /// One line per request sent, numbered: written while requests are in flight.
    log: Mutex<Vec<String>>,
}

/// 32 seed bytes for ChaCha from the user's `--seed`.
pub fn seed_bytes(seed: u64) -> [u8; 32] {
    Sha256::new()
        .chain_update(b"chainproof fuzz seed")
        .chain_update(seed.to_be_bytes())
        .finalize()
        .into()
}

impl Session {
    /// Obtain the subject token (and, best effort, one real grant from AS-A).
    pub async fn prepare(
        env: std::sync::Arc<Env>,
        endpoints: FuzzEndpoints,
        sender: Sender,
        latency_bound: Duration,
        levels: Levels,
    ) -> Result<Session, SetupError> {
        let mut s = Session {
            env,
            subject_token: String::new(),
            refresh_at: None,
            real_grant: None,
            sender,
            latency_bound,
            levels,
            log: Mutex::default(),
            endpoints,
        };
        s.obtain_subject_token().await?;
        // One real grant as a mutation base for the assertion strategies.
        let mut baseline = s
            .endpoints
            .facts
            .form
            .apply(FuzzRequest::baseline(Endpoint::Exchange));
        if !s.endpoints.facts.as_a_basic && s.endpoints.facts.as_a_post {
            baseline.client_auth = crate::fuzz::request::ClientAuth::Post;
        }
        let (_, outcome) = s.send_one(&baseline, "setup").await;
        s.real_grant = outcome
            .response
            .as_ref()
            .filter(|r| r.status == 200)
            .and_then(|r| serde_json::from_str::<serde_json::Value>(&r.body).ok())
            .and_then(|v| {
                v.get("access_token")
                    .and_then(|t| t.as_str())
                    .map(str::to_string)
            })
            .map(|compact| RealGrant { compact });
        Ok(s)
    }

    /// The primary role's subject token, from whatever source the target declares (the
    /// runner's one subject-token path: grants, static, env, refresh token, command,
    /// authorization code).
    async fn obtain_subject_token(&mut self) -> Result<(), SetupError> {
        let env = self.env.clone();
        let err = |detail: String| SetupError::SubjectToken {
            url: env.as_a.token_endpoint.clone(),
            detail,
        };
        let role = TokenRole::Primary;
        let source = env
            .tokens
            .get(role)
            .ok_or_else(|| err(env.tokens.gap(role).unwrap_or_default()))?;
        if source.source.repeatable_by_other_clients() {
            self.push_log(
                "setup",
                &format!("subject-token {} grant", source.source.method()),
            );
        }
        let (_, got) = env.tokens.obtain(role, self.sender.http(), "setup").await;
        let got = got.map_err(|e| err(e.to_string()))?;
        let field = &env.exchange.subject_token_field;
        let token = got
            .token_from(field)
            .ok_or_else(|| err(format!("the token response has no {field}")))?;
        self.refresh_at = match &got {
            Got::Kept(_) => Some(unix_now() + 1),
            Got::Response(r) => serde_json::from_str::<serde_json::Value>(&r.body)
                .ok()
                .and_then(|v| v["expires_in"].as_i64())
                .map(|s| r.received_at + s)
                .or_else(|| jwt_exp(&token))
                .map(|exp| exp - REFETCH_MARGIN_SECS),
        };
        self.subject_token = token;
        Ok(())
    }

    /// Keep the subject token valid through a long run (see `refresh_at`).
    pub async fn refresh_subject_token(&mut self) -> Result<(), SetupError> {
        if self.subject_token_due() {
            self.obtain_subject_token().await
        } else {
            Ok(())
        }
    }

    /// Whether it is time to ask for the subject token again.
    fn subject_token_due(&self) -> bool {
        self.refresh_at.is_some_and(|at| unix_now() >= at)
    }

    fn push_log(&self, phase: &str, line: &str) {
        let mut log = self.log.lock().expect("log lock");
        let seq = log.len();
        log.push(format!("{seq:07} {phase} {line}"));
    }

    fn context(&self) -> RenderContext<'_> {
        RenderContext {
            endpoints: &self.endpoints,
            subject_token: &self.subject_token,
            real_grant: self.real_grant.as_ref(),
            now: unix_now() as u64,
        }
    }

    /// Render (at send time, so grants are fresh) and send one request.
    pub async fn send_one(&self, req: &FuzzRequest, phase: &str) -> (Rendered, Outcome) {
        let rendered = self.context().render(req);
        self.push_log(phase, &rendered.log);
        let out = self.sender.send(&rendered).await;
        (rendered, out)
    }

    /// Judge one outcome with every oracle.
    pub fn judge(&self, req: &FuzzRequest, out: &Outcome) -> (Expectation, Vec<Violation>) {
        let (exp, violations, _) = self.judge_counted(req, out);
        (exp, violations)
    }

    /// Judge one outcome with every oracle; also the oracles that examined it.
    pub fn judge_counted(
        &self,
        req: &FuzzRequest,
        out: &Outcome,
    ) -> (Expectation, Vec<Violation>, Vec<Oracle>) {
        let (exp, clean) = self.levels.judged(model::judge(req, &self.endpoints.facts));
        let grant_types: Vec<&Value> = req
            .values("grant_type")
            .into_iter()
            .filter(|v| !v.is_empty_value())
            .collect();
        let own_grant = grant_types
            .iter()
            .all(|v| matches!(v, Value::Text { text } if text == req.endpoint.grant_type()));
        // Only a token exchange proper is judged against the subject token's scope.
        let asked_escalation = req.values("scope").iter().any(|v| {
            matches!(
                v,
                Value::Target {
                    which: TargetValue::EscalationScope,
                    ..
                }
            )
        });
        let escalation_scope = self.endpoints.escalation_scope.as_deref().filter(|_| {
            req.endpoint == Endpoint::Exchange
                && own_grant
                && !grant_types.is_empty()
                && asked_escalation
        });
        let (v, applied) = match &out.response {
            Some(r) => {
                let observed = Observed {
                    endpoint: req.endpoint,
                    client_auth: req.client_auth,
                    own_grant,
                    expectation: &exp,
                    clean,
                    escalation_scope,
                    response: r,
                    latency: out.latency,
                    latency_bound: self.latency_bound,
                };
                (oracle::evaluate(&observed), oracle::applicable(&observed))
            }
            None => (Vec::new(), Vec::new()),
        };
        let v = v.into_iter().map(|v| self.levels.apply(v)).collect();
        (exp, v, applied)
    }

    pub fn take_log(&mut self) -> Vec<String> {
        std::mem::take(self.log.get_mut().expect("log lock"))
    }

    pub fn strategy_options(&self) -> StrategyOptions {
        StrategyOptions {
            harness: self.endpoints.harness.is_some(),
            real_grant: self.real_grant.is_some(),
            as_b_client: self.endpoints.client_b.is_some(),
            form: self.endpoints.facts.form,
        }
    }
}

/// proptest's boxed value trees are not `Send`; the engine runs on its own runtime thread.
type Tree = Box<dyn ValueTree<Value = FuzzRequest>>;

/// Marks a request the open circuit breaker kept from being sent.
const NOT_SENT: &str = "not sent: circuit breaker open";

/// One generated case on its way: its index, value tree and request, and once sent, the
/// request as rendered and what came back.
struct Sent {
    index: u64,
    tree: Tree,
    req: FuzzRequest,
    rendered: Rendered,
    out: Outcome,
}

/// Why the engine stopped taking new cases.
#[derive(Default)]
struct Stop {
    /// The breaker opened or generation failed: stop for good.
    halted: Cell<bool>,
    /// `--time-limit` was reached.
    time_limited: Cell<bool>,
}

/// Run the fuzz loop against a prepared session.
///
/// Cases flow through a steady window of `concurrency` requests in flight: while the oldest
/// one is judged (and a new finding shrunk), the next ones are already on the wire.
/// Generation happens in seed order as cases enter the window, and judging in the same order
/// as they leave it, so the sequence is the seed's whatever the timing. The window drains
/// only to obtain the subject token again (a session-wide change) and at the end.
pub async fn run(session: &mut Session, cfg: &EngineConfig) -> Result<EngineOutcome, SetupError> {
    let started = Instant::now();
    let mut outcome = EngineOutcome::default();
    let config = Config {
        cases: cfg.cases.min(u32::MAX as u64) as u32,
        rng_algorithm: RngAlgorithm::ChaCha,
        failure_persistence: None,
        ..Config::default()
    };
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes(cfg.seed));
    let mut runner = TestRunner::new_with_rng(config, rng);
    let opts = session.strategy_options();
    let strategies: Vec<_> = cfg
        .endpoints
        .iter()
        .map(|e| (*e, strategy::request(*e, opts)))
        .collect();
    let mut breaker = Breaker::new(cfg.breaker_threshold);
    let mut seen: BTreeMap<String, ()> = BTreeMap::new();
    // Violations found alongside another new one in the same response: kept unshrunk
    // unless a later case shows them again.
    let mut pending: BTreeMap<String, Finding> = BTreeMap::new();
    let window = cfg.concurrency.max(1);
    // Fewest cases between two checks of the subject token (when it is always due).
    let min_stretch = (window * 4) as u64;
    let threshold = cfg.breaker_threshold.max(1);
    let stop = Stop::default();
    let mut next = 0u64;
    while next < cfg.cases && !stop.halted.get() && !stop.time_limited.get() {
        if cfg.deadline.is_some_and(|d| Instant::now() >= d) {
            outcome.time_limited = true;
            break;
        }
        if let Err(e) = session.refresh_subject_token().await {
            outcome.breaker = Some(format!("stopped: {e}"));
            break;
        }
        let s: &Session = session;
        let first = next;
        let next = &mut next;
        let runner = &mut runner;
        let strategies = &strategies;
        let stop = &stop;
        // Consecutive transport failures in completion order: once the breaker threshold is
        // reached, cases already generated are not sent at all.
        let failing = AtomicU32::new(0);
        let failing = &failing;
        // Cases in seed order, each generated as it enters the window, until the run's end,
        // a stop, or a due subject token.
        let cases = futures::stream::poll_fn(move |_| {
            let i = *next;
            if i < cfg.cases && cfg.deadline.is_some_and(|d| Instant::now() >= d) {
                stop.time_limited.set(true);
            }
            let done = i >= cfg.cases
                || stop.halted.get()
                || stop.time_limited.get()
                || (i - first >= min_stretch && s.subject_token_due());
            if done {
                return Poll::Ready(None);
            }
            *next += 1;
            let strategy = &strategies[(i % strategies.len() as u64) as usize].1;
            Poll::Ready(Some(
                strategy
                    .new_tree(runner)
                    .map(|tree| (i, tree))
                    .map_err(|e| SetupError::Generate(e.to_string())),
            ))
        });
        // Each rendered right before it goes out (so grants are fresh); results in order.
        let sent = cases
            .map(|generated| async move {
                let (index, tree) = generated?;
                let req = tree.current();
                let rendered = s.context().render(&req);
                let out = if failing.load(Ordering::Relaxed) >= threshold {
                    Outcome {
                        transport_error: Some(NOT_SENT.into()),
                        ..Outcome::default()
                    }
                } else {
                    let out = s.sender.send(&rendered).await;
                    if out.transport_error.is_some() {
                        failing.fetch_add(1, Ordering::Relaxed);
                    } else {
                        failing.store(0, Ordering::Relaxed);
                    }
                    out
                };
                Ok(Sent {
                    index,
                    tree,
                    req,
                    rendered,
                    out,
                })
            })
            .buffered(window);
        let mut sent = std::pin::pin!(sent);
        while let Some(case) = sent.next().await {
            let Sent {
                index: i,
                mut tree,
                req,
                rendered,
                out,
            } = case?;
            let halt = |outcome: &mut EngineOutcome, breaker: &Breaker| {
                outcome.breaker = Some(breaker.message());
                stop.halted.set(true);
            };
            if out.transport_error.as_deref() == Some(NOT_SENT) {
                // Concurrent requests failed in a row (in completion order).
                breaker.force_open();
                halt(&mut outcome, &breaker);
                continue;
            }
            s.push_log(&format!("case={i}"), &rendered.log);
            outcome.requests += 1;
            if stop.halted.get() {
                // Sent before the breaker opened: logged and counted, not judged.
                continue;
            }
            outcome.cases_run += 1;
            if breaker.record(out.transport_error.as_deref()) {
                halt(&mut outcome, &breaker);
                continue;
            }
            if let Some(e) = &out.transport_error {
                outcome.unanswered += 1;
                outcome.first_unanswered.get_or_insert_with(|| e.clone());
            }
            let (exp, violations, applied) = s.judge_counted(&req, &out);
            for o in applied {
                *outcome.applicable.entry((req.endpoint, o)).or_default() += 1;
            }
            let mut shrunk_this_case = false;
            for v in violations {
                let key = v.key(req.endpoint);
                if seen.contains_key(&key) {
                    continue;
                }
                if shrunk_this_case {
                    pending.entry(key.clone()).or_insert_with(|| Finding {
                        key,
                        endpoint: req.endpoint,
                        violation: v,
                        request: req.clone(),
                        expectation: exp.label().into(),
                        exchange: s.sender.transcript("finding", &out),
                        case_index: i,
                        shrink_steps: 0,
                        shrunk: false,
                    });
                    continue;
                }
                shrunk_this_case = true;
                seen.insert(key.clone(), ());
                pending.remove(&key);
                let first = Finding {
                    key: key.clone(),
                    endpoint: req.endpoint,
                    violation: v,
                    request: req.clone(),
                    expectation: exp.label().into(),
                    exchange: s.sender.transcript(&key, &out),
                    case_index: i,
                    shrink_steps: 0,
                    shrunk: true,
                };
                let finding = shrink(
                    s,
                    &mut tree,
                    first,
                    cfg,
                    &mut breaker,
                    &mut outcome.requests,
                )
                .await;
                outcome.findings.push(finding);
                if breaker.tripped() {
                    // The rest of the window still drains (logged and counted).
                    halt(&mut outcome, &breaker);
                    break;
                }
            }
        }
    }
    outcome.time_limited |= stop.time_limited.get();
    outcome.findings.extend(pending.into_values());
    // Observations (MAY-level) are shrunk and replayable too, but never count as findings.
    let (observations, findings): (Vec<Finding>, Vec<Finding>) = outcome
        .findings
        .drain(..)
        .partition(|f| f.violation.is_observation());
    outcome.findings = findings;
    outcome.observations = observations;
    outcome.findings.sort_by(|a, b| a.key.cmp(&b.key));
    outcome.observations.sort_by(|a, b| a.key.cmp(&b.key));
    outcome.log = session.take_log();
    outcome.elapsed = started.elapsed();
    Ok(outcome)
}

/// proptest's shrinking loop, driven by "the same oracle still fails on this endpoint".
async fn shrink(
    session: &Session,
    tree: &mut Tree,
    mut best: Finding,
    cfg: &EngineConfig,
    breaker: &mut Breaker,
    requests: &mut u64,
) -> Finding {
    if !tree.simplify() {
        return best;
    }
    let mut steps = 0;
    loop {
        if steps >= cfg.max_shrink_steps || breaker.tripped() {
            break;
        }
        steps += 1;
        let cand = tree.current();
        let phase = format!("shrink={}#{steps}", best.key);
        let (_, out) = session.send_one(&cand, &phase).await;
        *requests += 1;
        breaker.record(out.transport_error.as_deref());
        let (exp, violations) = session.judge(&cand, &out);
        let still = violations
            .into_iter()
            .find(|v| v.key(cand.endpoint) == best.key);
        match still {
            Some(v) => {
                best = Finding {
                    violation: v,
                    request: cand,
                    expectation: exp.label().into(),
                    exchange: session.sender.transcript(&best.key, &out),
                    shrink_steps: steps,
                    ..best
                };
                if !tree.simplify() {
                    break;
                }
            }
            None => {
                if !tree.complicate() {
                    break;
                }
            }
        }
    }
    best.shrink_steps = steps;
    best
}

//! Runs one case: steps in order (every HTTP exchange recorded), then checks graded by the
//! profile's level. Never prints; a harness or network failure makes the case `error`.
//! Token requests: RFC 8693 §2.1 (exchange), RFC 7523 §2.1 (present), RFC 9449 (DPoP).

use crate::attribution::{self, Blocked, GrantExpectations, Precondition};
pub use crate::client_auth::{CLIENT_ASSERTION_TYPE, client_assertion};
use crate::client_auth::{Client, apply_client_auth, encode_form, tls_client};
use crate::environment::{Env, well_known};
use crate::http::{Http, Request, Response, unix_now};
use crate::jose::{self, Jws, SignWith};
use crate::party::Party;
use crate::predicate::{self, Outcome};
use crate::query::{self, Query, QueryEnv};
use crate::run_result::CheckResult;
use crate::subject_token::{Got, TokenError, TokenRole};
use crate::suite::*;
use crate::template::Ref;
use crate::transcript::Exchange;
use crate::verdict::{Level, Verdict};
use p256::ecdsa::SigningKey;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use crate::oauth::{JWT_BEARER, TOKEN_EXCHANGE};

/// How a case ended, before it is wrapped into a `CaseResult`.
#[derive(Debug, Clone)]
pub struct CaseOutcome {
    pub verdict: Verdict,
    /// For `blocked`: the party whose step failed.
    pub blocked_by: Option<Party>,
    pub message: String,
    pub checks: Vec<CheckResult>,
    pub transcript: Vec<Exchange>,
}

/// Why steps stopped early.
#[derive(Debug)]
enum Stop {
    /// The harness, the network or the target file failed: says nothing about conformance.
    Error(String),
    Skip(String),
    /// A step needs a value that an earlier response of the party under test should have
    /// carried (say `${y.token}` after a presentation answered 400). That is the party's
    /// doing, so the case is graded, not errored: see [`unmet_check`]. `path` is what was
    /// missing.
    Unmet {
        message: String,
        path: String,
    },
    /// Setup addressed to another party failed: the case cannot test its own party.
    Blocked(Blocked),
}

type StepResult<T> = Result<T, Stop>;

fn err<T>(msg: impl Into<String>) -> StepResult<T> {
    Err(Stop::Error(msg.into()))
}

/// One case's mutable state.
pub struct CaseRun {
    env: Arc<Env>,
    http: Http,
    ctx: Map<String, Value>,
    transcript: Vec<Exchange>,
    keys: HashMap<String, SigningKey>,
    step: String,
    /// Ids of steps whose output is a response of a server under test.
    server_steps: std::collections::HashSet<String>,
    /// The party the case judges.
    party: Party,
    /// Setup steps (addressed to another party than `party`) and what each had to provide.
    setup: HashMap<String, Precondition>,
    /// `resource`/`audience` values each exchange step sent (the grant's expected `aud`).
    requested: HashMap<String, Vec<String>>,
    /// Things the case's message must say (e.g. a harness grant replaced AS-A's).
    notes: Vec<String>,
    /// AS-A's JWKS as this case knows it: the run's copy, refetched when AS-A issues a token
    /// whose `kid` it lacks (a key rotated mid-run, RFC 7517 §5 / RFC 8725 §3.10).
    as_a_jwks: Option<Value>,
}

/// The party a step's request is addressed to (`None` for harness-side steps and fixtures).
pub fn step_party(action: &Action) -> Option<Party> {
    let of = |r: Role| match r {
        Role::AsA => Party::AsA,
        Role::AsB => Party::AsB,
        Role::Rs => Party::Rs,
    };
    match action {
        Action::Discover { role } => Some(of(*role)),
        Action::Request(r) => Some(of(r.role)),
        Action::Exchange(_) => Some(Party::AsA),
        Action::Present(_) => Some(Party::AsB),
        Action::CallResource { .. } => Some(Party::Rs),
        Action::Concurrent { step, .. } => step_party(&step.action),
        _ => None,
    }
}

/// Run `case`; `level_of` gives a requirement's level in the active profile; `graders`
/// names the cases judging `party` that cite a requirement (the root cause of a failed
/// precondition check).
pub async fn run_case(
    env: Arc<Env>,
    case: &Case,
    level_of: &(dyn Fn(&str) -> Option<Level> + Sync),
    graders: &(dyn Fn(&str, Party) -> Vec<String> + Sync),
) -> CaseOutcome {
    let limits = &env.limits;
    // The run's client: its TLS trust and client certificates come from the target.
    let http = env.http.clone();
    let mut deadline = case.timeout_secs.unwrap_or(limits.case_timeout_secs);
    if case.is_slow() {
        deadline += limits.max_wait_secs + limits.clock_leeway_secs;
    }
    let mut run = CaseRun {
        as_a_jwks: env.as_a_jwks.clone(),
        ctx: Map::from_iter([
            ("target".to_string(), env.target_json()),
            ("keys".to_string(), json!({})),
        ]),
        env,
        http,
        transcript: Vec::new(),
        keys: HashMap::new(),
        step: String::new(),
        server_steps: Default::default(),
        party: case.party,
        setup: HashMap::new(),
        requested: HashMap::new(),
        notes: Vec::new(),
    };
    let stopped =
        match tokio::time::timeout(Duration::from_secs(deadline), run.steps(&case.steps)).await {
            Ok(Ok(())) => None,
            Ok(Err(stop)) => Some(stop),
            Err(_) => Some(Stop::Error(format!(
                "case exceeded its {deadline} s deadline during step `{}`",
                run.step
            ))),
        };
    let transcript = std::mem::take(&mut run.transcript);
    let notes = std::mem::take(&mut run.notes);
    let noted = |m: String| {
        if notes.is_empty() {
            m
        } else {
            format!("{m} [{}]", notes.join("; "))
        }
    };
    match stopped {
        Some(Stop::Error(message)) => CaseOutcome {
            verdict: Verdict::Error,
            blocked_by: None,
            message,
            checks: Vec::new(),
            transcript,
        },
        Some(Stop::Skip(message)) => CaseOutcome {
            verdict: Verdict::Skip,
            blocked_by: None,
            message,
            checks: Vec::new(),
            transcript,
        },
        Some(Stop::Blocked(b)) => CaseOutcome {
            verdict: Verdict::Blocked,
            blocked_by: Some(b.by),
            message: noted(b.message()),
            checks: Vec::new(),
            transcript,
        },
        Some(Stop::Unmet { message, path }) => {
            // Grade what can be graded (checks on steps that ran), plus the broken flow itself.
            let graded = run.checks(case, level_of, graders, true);
            if graded.verdict == Verdict::Blocked {
                let mut o = CaseOutcome::from(graded);
                o.message = noted(o.message);
                o.transcript = transcript;
                return o;
            }
            let mut checks = graded.checks;
            checks.extend(unmet_check(case, level_of, &path, &message));
            let verdict = checks.iter().fold(Verdict::Pass, |v, c| v.worst(c.verdict));
            let message = checks
                .iter()
                .find(|c| c.verdict == verdict && verdict != Verdict::Pass)
                .map(|c| c.message.clone())
                .unwrap_or(message);
            CaseOutcome {
                verdict,
                blocked_by: None,
                message: noted(message),
                checks,
                transcript,
            }
        }
        None => {
            let mut o = CaseOutcome::from(run.checks(case, level_of, graders, false));
            o.message = noted(o.message);
            o.transcript = transcript;
            o
        }
    }
}

/// The check recording that the flow a case exercises broke at the party it judges: `path`
/// (missing from that party's own response) is graded by the requirement that covers it,
/// the one of the case's check reading the closest path of the same step (so a missing
/// `y.token` is graded like `y.json.access_token`), else the case's first requirement; never
/// by the case's highest level.
fn unmet_check(
    case: &Case,
    level_of: &(dyn Fn(&str) -> Option<Level> + Sync),
    path: &str,
    message: &str,
) -> Option<CheckResult> {
    let requirement = covering_requirement(case, path)?;
    let level = level_of(&requirement)?;
    Some(CheckResult {
        description: "the flow reaches every step".into(),
        requirement,
        level,
        verdict: level.failure_verdict(),
        actual: Value::Null,
        expected: "the value a later step needs".into(),
        message: message.to_string(),
        source: Some(case.source.clone()),
    })
}

/// The requirement graded by the check reading the path closest to `path` (same step, longest
/// common prefix of segments), else the case's first requirement.
fn covering_requirement(case: &Case, path: &str) -> Option<String> {
    let segs: Vec<&str> = path.split('.').collect();
    case.checks
        .iter()
        .filter(|c| Some(c.value.root()) == segs.first().copied())
        .map(|c| {
            let common = c
                .value
                .segments()
                .iter()
                .zip(&segs)
                .take_while(|(a, b)| a.as_str() == **b)
                .count();
            (common, c)
        })
        // The first of the best: `max_by_key` keeps the last, so compare reversed indices.
        .enumerate()
        .max_by_key(|(i, (common, _))| (*common, usize::MAX - i))
        .map(|(_, (_, c))| c.requirement.clone())
        .or_else(|| case.requirements.first().cloned())
}

/// The graded checks of a case.
struct Graded {
    verdict: Verdict,
    blocked_by: Option<Party>,
    message: String,
    checks: Vec<CheckResult>,
}

impl From<Graded> for CaseOutcome {
    fn from(g: Graded) -> CaseOutcome {
        CaseOutcome {
            verdict: g.verdict,
            blocked_by: g.blocked_by,
            message: g.message,
            checks: g.checks,
            transcript: Vec::new(),
        }
    }
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 120 {
        format!("{}…", s.chars().take(120).collect::<String>())
    } else {
        s
    }
}

impl CaseRun {
    fn qenv(&self) -> QueryEnv {
        QueryEnv {
            as_a_jwks: self.as_a_jwks.clone(),
            now: unix_now(),
        }
    }

    fn key(&mut self, name: &str) -> SigningKey {
        let key = self
            .keys
            .entry(name.to_string())
            .or_insert_with(|| SigningKey::random(&mut rand::rngs::OsRng))
            .clone();
        let jwk = jose::public_jwk(key.verifying_key());
        self.ctx["keys"][name] = json!({ "jkt": jose::thumbprint(&jwk), "jwk": jwk });
        key
    }

    /// The value a `${...}` reference names (`now±N` is Unix time).
    fn resolve(&mut self, r: &Ref) -> Option<Value> {
        match r {
            Ref::Now(n) => Some(json!(unix_now() + n)),
            Ref::Path(q) => self.resolve_query(q),
        }
    }

    /// The value a check's query names (`keys.NAME` mints the key on first use).
    fn resolve_query(&mut self, q: &Query) -> Option<Value> {
        if let ("keys", Some(name)) = (q.root(), q.segments().get(1)) {
            let name = name.clone();
            self.key(&name);
        }
        let ctx = Value::Object(std::mem::take(&mut self.ctx));
        let v = query::eval_query(&ctx, q, &self.qenv());
        let Value::Object(m) = ctx else {
            unreachable!()
        };
        self.ctx = m;
        v
    }

    fn interp(&mut self, t: &Template) -> StepResult<Value> {
        t.substitute(&mut |r| self.resolve(r)).map_err(|e| {
            let m = e.to_string();
            let Ref::Path(q) = &e.0 else {
                return Stop::Error(m);
            };
            let path = q.to_string();
            if let Some(pre) = self.setup.get(q.root()) {
                // Missing from another party's response: that party's defect blocks the case.
                Stop::Blocked(Blocked {
                    precondition: format!("the response of step `{}` carries `{path}`", q.root()),
                    ..Blocked::of(*pre, m)
                })
            } else if self.server_steps.contains(q.root()) {
                Stop::Unmet { message: m, path }
            } else {
                Stop::Error(m)
            }
        })
    }

    fn interp_str(&mut self, t: &Template, what: &str) -> StepResult<String> {
        match self.interp(t)? {
            Value::String(s) => Ok(s),
            Value::Number(n) => Ok(n.to_string()),
            Value::Bool(b) => Ok(b.to_string()),
            other => err(format!("`{what}` must be a string, got {}", short(&other))),
        }
    }

    /// Refetch AS-A's JWKS when `token` (from AS-A) names a `kid` the case's copy lacks.
    async fn refresh_as_a_jwks(&mut self, token: &str) {
        let Some(kid) = Jws::decode(token).and_then(|j| {
            j.header
                .get("kid")
                .and_then(Value::as_str)
                .map(str::to_owned)
        }) else {
            return;
        };
        let known = self.as_a_jwks.as_ref().is_some_and(|k| {
            k["keys"]
                .as_array()
                .is_some_and(|keys| keys.iter().any(|x| x["kid"].as_str() == Some(&kid)))
        });
        let Some(uri) = self.env.as_a.jwks_uri.clone().filter(|_| !known) else {
            return;
        };
        let req = Request {
            method: "GET".into(),
            url: uri,
            headers: vec![("accept".into(), "application/json".into())],
            body: None,
            client_cert: None,
        };
        let (_, res) = self.http.send("jwks-refresh", req).await;
        if let Some(jwks) = res
            .ok()
            .filter(|r| r.status == 200)
            .and_then(|r| serde_json::from_str::<Value>(&r.body).ok())
        {
            self.as_a_jwks = Some(jwks);
        }
    }

    async fn steps(&mut self, steps: &[Step]) -> StepResult<()> {
        for step in steps {
            self.step = step.id.clone();
            let out = self.run_step(step).await;
            if let (Ok(o), Action::Exchange(_) | Action::SubjectToken { .. }) = (&out, &step.action)
                && let Some(t) = o["token"].as_str()
            {
                let t = t.to_owned();
                self.refresh_as_a_jwks(&t).await;
            }
            let mut out = out.map_err(|s| match s {
                Stop::Error(m) => {
                    Stop::Error(format!("step `{}` ({}): {m}", step.id, step.action.name()))
                }
                Stop::Unmet { message, path } => Stop::Unmet {
                    message: format!(
                        "step `{}` ({}) could not run: {message} (an earlier response of the server lacked it)",
                        step.id,
                        step.action.name()
                    ),
                    path,
                },
                other => other,
            })?;
            if step.action.is_server_request() {
                self.server_steps.insert(step.id.clone());
            }
            let setup =
                step_party(&step.action).filter(|p| self.party != Party::Chain && *p != self.party);
            if let Some(party) = setup {
                self.check_setup(step, party, &mut out)?;
            }
            self.ctx.insert(step.id.clone(), out);
        }
        Ok(())
    }

    /// A setup step must have given what the case needs: a 2xx (with an access token, for
    /// token requests) and, for a grant an AS-B or RS-B case will present, a grant the
    /// harness's own validation accepts. Otherwise the case is blocked; an unusable grant is
    /// replaced by a harness-minted one when harness-issuer mode is available.
    fn check_setup(&mut self, step: &Step, party: Party, out: &mut Value) -> StepResult<()> {
        let pre = match &step.action {
            Action::Exchange(_) => Precondition::Exchange,
            Action::Present(_) => Precondition::Present,
            Action::CallResource { .. } => Precondition::ResourceCall,
            Action::Discover { .. } => Precondition::Metadata(party),
            Action::Request(_) => Precondition::Request(party),
            _ => return Ok(()),
        };
        self.setup.insert(step.id.clone(), pre);
        let status = out["status"].as_u64().unwrap_or(0);
        let error = out["json"]["error"]
            .as_str()
            .map_or(String::new(), |e| format!(", error {}", short(&json!(e))));
        if !(200..300).contains(&status) {
            return Err(Stop::Blocked(Blocked::of(
                pre,
                format!("step `{}` got HTTP {status}{error}", step.id),
            )));
        }
        if matches!(pre, Precondition::Exchange | Precondition::Present)
            && !out["token"].is_string()
        {
            return Err(Stop::Blocked(Blocked::of(
                pre,
                format!(
                    "step `{}` got HTTP {status} without an access_token",
                    step.id
                ),
            )));
        }
        if pre == Precondition::Exchange && matches!(self.party, Party::AsB | Party::Rs) {
            self.usable_grant(step, out)?;
        }
        Ok(())
    }

    /// Validate the grant a setup exchange returned (signature against AS-A's JWKS, `iss`,
    /// `aud` naming what was requested, `exp` in the future, `sub`); replace an unusable one
    /// by a harness grant with the same claims (iss and the flaw fixed), or block.
    fn usable_grant(&mut self, step: &Step, out: &mut Value) -> StepResult<()> {
        let env = self.env.clone();
        let token = out["token"].as_str().unwrap_or_default().to_string();
        // AS-B is identified by its issuer or its token endpoint only, however the exchange
        // named it (`resource`, or `audience` with the logical alias): see
        // `GrantExpectations::audiences` for why an alias in `aud` is not usable.
        let as_b = attribution::as_b_audiences(&env.as_b.issuer, &env.as_b.token_endpoint);
        let requested = self.requested.get(&step.id).cloned().unwrap_or_default();
        let names_as_b = |r: &String| as_b.contains(r) || env.as_b_audience.as_ref() == Some(r);
        let audiences = if requested.is_empty() || requested.iter().any(names_as_b) {
            if env.exchange.grant_typ.is_some() {
                // A typed-grant profile (ID-JAG §3.1) addresses grants to AS-B's issuer alone.
                vec![env.as_b.issuer.clone()]
            } else {
                as_b
            }
        } else {
            requested
        };
        let now = unix_now();
        // The case's copy of AS-A's JWKS: refetched when a token names a key the run's copy
        // lacks (a rotation mid-run is legal), so a rotated key is not mistaken for a bad grant.
        let jwks = self.as_a_jwks.clone();
        let want = GrantExpectations {
            as_a_issuer: &env.as_a.issuer,
            as_a_jwks: jwks.as_ref(),
            audiences: &audiences,
            now,
            leeway_secs: env.limits.clock_leeway_secs as i64,
            typ: env.exchange.grant_typ.as_deref(),
        };
        let Err((flaw, detail)) = attribution::check_grant(&token, &want) else {
            return Ok(());
        };
        let blocked = Blocked::of(
            Precondition::Grant(flaw),
            format!("step `{}`: {detail}", step.id),
        );
        // A harness grant keeps every claim AS-A chose; it can fix who signed (iss, key), the
        // audience the exchange asked for and the lifetime, but not a missing subject (whose
        // it is is what AS-A was asked to say) nor a token that is not a JWS at all.
        // Nor a missing `client_id` of a typed grant: which client AS-A bound it to is also
        // AS-A's to say.
        let unbound = flaw == attribution::GrantFlaw::Typed
            && !Jws::decode(&token)
                .is_some_and(|j| j.claims.get("client_id").is_some_and(Value::is_string));
        let fixable = !unbound
            && !matches!(
                flaw,
                attribution::GrantFlaw::Sub | attribution::GrantFlaw::NotJws
            );
        let Some(h) = env.harness.as_ref().filter(|_| fixable) else {
            return Err(Stop::Blocked(blocked));
        };
        let original = Jws::decode(&token);
        let mut claims = original
            .as_ref()
            .map_or_else(|| json!({}), |j| j.claims.clone());
        if !claims.is_object() {
            claims = json!({});
        }
        claims["iss"] = json!(h.issuer);
        if flaw == attribution::GrantFlaw::Aud || claims.get("aud").is_none() {
            claims["aud"] = json!(audiences.first());
        }
        if claims
            .get("exp")
            .and_then(Value::as_i64)
            .is_none_or(|e| e <= now)
        {
            claims["exp"] = json!(now + 60);
        }
        if claims.get("jti").is_none() {
            claims["jti"] = json!(uuid::Uuid::new_v4().to_string());
        }
        claims["iat"] = json!(now);
        let mut header = json!({ "alg": "ES256", "kid": h.kid });
        if let Some(typ) = original.as_ref().and_then(|j| j.header.get("typ")) {
            header["typ"] = typ.clone();
        }
        if let Some(typ) = &env.exchange.grant_typ {
            header["typ"] = json!(typ);
        }
        let grant = jose::sign(&header, &claims, SignWith::Es256(&h.key));
        let note = format!(
            "AS-A's grant from step `{}` was unusable ({}: {detail}; graded by {}); a harness-minted grant with the same claims was used instead",
            step.id,
            Precondition::Grant(flaw).describe(),
            blocked.root_causes.join(", ")
        );
        out["token"] = json!(grant);
        out["json"]["access_token"] = json!(grant);
        out["harness_grant"] = json!(true);
        self.transcript.push(Exchange {
            step: step.id.clone(),
            request: crate::transcript::RecordedRequest {
                method: "HARNESS".into(),
                url: h.issuer.clone(),
                headers: Vec::new(),
                body: Some(format!(
                    "{note}. Its header: {header}. Its claims: {claims}"
                )),
            },
            ..Default::default()
        });
        self.notes.push(note);
        Ok(())
    }

    async fn run_step(&mut self, step: &Step) -> StepResult<Value> {
        match &step.action {
            Action::SubjectToken { user, client } => {
                self.subject_token(&step.id, *user, *client).await
            }
            Action::Forge(f) => self.forge(f),
            Action::SkipUnless {
                condition,
                when,
                reason,
            } => {
                for cond in when {
                    if !self.holds(cond)? {
                        return Ok(json!({}));
                    }
                }
                if self.holds(condition)? {
                    Ok(json!({}))
                } else {
                    Err(Stop::Skip(self.interp_str(reason, "reason")?))
                }
            }
            Action::WaitUntilExpired { token, extra_secs } => {
                let token = self.interp_str(token, "token")?;
                let exp = Jws::decode(&token)
                    .and_then(|j| j.claims.get("exp").and_then(Value::as_i64))
                    .ok_or_else(|| {
                        Stop::Error("the token has no numeric `exp` to wait for".into())
                    })?;
                let limits = &self.env.limits;
                let until = exp + limits.clock_leeway_secs as i64 + *extra_secs as i64;
                let wait = until - unix_now();
                if wait > limits.max_wait_secs as i64 {
                    return Err(Stop::Skip(format!(
                        "waiting for expiry would take {wait} s, beyond the target's max_wait_secs ({})",
                        limits.max_wait_secs
                    )));
                }
                // Sleep to the instant `until`, not a whole number of seconds from now: a wait
                // counted from a truncated `now` overshoots by up to a second.
                let until = std::time::UNIX_EPOCH + Duration::from_secs(until.max(0) as u64);
                if let Ok(left) = until.duration_since(std::time::SystemTime::now()) {
                    tokio::time::sleep(left).await;
                }
                Ok(json!({ "waited_secs": wait.max(0) }))
            }
            Action::Concurrent { count, step: inner } => {
                let mut reqs = Vec::new();
                for _ in 0..*count {
                    reqs.push(self.prepare(inner).await?);
                }
                let http = self.http.clone();
                let sends = reqs.into_iter().map(|r| {
                    let http = http.clone();
                    let id = step.id.clone();
                    async move { http.send(&id, r).await }
                });
                let results = futures::future::join_all(sends).await;
                let mut responses = Vec::new();
                for (exchange, res) in results {
                    self.transcript.push(exchange);
                    match res {
                        Ok(r) => responses.push(output(&r)),
                        Err(e) => return err(e),
                    }
                }
                let statuses: Vec<Value> = responses.iter().map(|r| r["status"].clone()).collect();
                let successes = responses
                    .iter()
                    .filter(|r| {
                        r["status"]
                            .as_u64()
                            .is_some_and(|s| (200..300).contains(&s))
                            && r["json"].get("access_token").is_some()
                    })
                    .count();
                Ok(json!({ "responses": responses, "successes": successes, "statuses": statuses }))
            }
            _ => {
                let req = self.prepare(step).await?;
                let dpop = match &step.action {
                    Action::Exchange(t) | Action::Present(t) => t.dpop.clone(),
                    _ => None,
                };
                let sent = request_secrets(&req);
                if matches!(step.action, Action::Exchange(_)) {
                    let requested = req
                        .body
                        .as_deref()
                        .map(|b| {
                            url::form_urlencoded::parse(b.as_bytes())
                                .filter(|(k, _)| k == "resource" || k == "audience")
                                .map(|(_, v)| v.into_owned())
                                .collect()
                        })
                        .unwrap_or_default();
                    self.requested.insert(step.id.clone(), requested);
                }
                let resp = self.send(&step.id, req, dpop.as_deref()).await?;
                let mut out = output(&resp);
                out["dpop_proof"] = sent.0;
                out["client_assertion"] = sent.1;
                if matches!(step.action, Action::Present(_)) {
                    out["access_claims"] = self.access_claims(&step.id, &out).await;
                }
                Ok(out)
            }
        }
    }

    /// The claims of the access token AS-B issued: its payload when it is a JWT, else what
    /// RFC 7662 introspection at AS-B's `introspection_endpoint` (authenticated as the AS-B
    /// client) says of an active token; null when neither can be seen.
    async fn access_claims(&mut self, step: &str, out: &Value) -> Value {
        let Some(token) = out["json"]["access_token"].as_str() else {
            return Value::Null;
        };
        if jose::looks_like_jwt(token) {
            return Jws::decode(token).map_or(Value::Null, |j| j.claims);
        }
        let endpoint = self.env.as_b_introspection.as_deref();
        let (Some(endpoint), Some(client)) = (endpoint, self.env.as_b_client.clone()) else {
            return Value::Null;
        };
        let mut form = vec![("token".to_string(), token.to_string())];
        let mut headers = vec![
            (
                "Content-Type".to_string(),
                "application/x-www-form-urlencoded".to_string(),
            ),
            ("Accept".to_string(), "application/json".to_string()),
        ];
        let issuer = self.env.as_b.issuer.clone();
        apply_client_auth(&mut form, &mut headers, Some(&client), client.auth, &issuer);
        let req = Request {
            method: "POST".into(),
            url: endpoint.to_string(),
            headers,
            body: Some(encode_form(&form)),
            client_cert: tls_client(Some(&client), client.auth),
        };
        let (exchange, res) = self.http.send(&format!("{step}.introspect"), req).await;
        self.transcript.push(exchange);
        match res
            .ok()
            .and_then(|r| serde_json::from_str::<Value>(&r.body).ok())
        {
            Some(v) if v["active"] == json!(true) => v,
            _ => Value::Null,
        }
    }

    /// Send, record, and turn transport failures and truncation into errors. Retries once
    /// with a server nonce when a DPoP request gets `use_dpop_nonce` (RFC 9449 §8).
    async fn send(
        &mut self,
        step: &str,
        mut req: Request,
        dpop: Option<&str>,
    ) -> StepResult<Response> {
        let (exchange, res) = self.http.send(step, req.clone()).await;
        self.transcript.push(exchange);
        let resp = res.map_err(Stop::Error)?;
        if resp.truncated {
            return err(format!(
                "response body larger than the {}-byte cap (cut; see transcript)",
                self.http.max_bytes
            ));
        }
        let nonce = resp
            .headers
            .iter()
            .find(|(k, _)| k == "dpop-nonce")
            .map(|(_, v)| v.clone());
        if let (Some(key), Some(nonce)) = (dpop, nonce)
            && resp.body.contains("use_dpop_nonce")
        {
            let key = self.key(key);
            req.headers.retain(|(k, _)| !k.eq_ignore_ascii_case("dpop"));
            req.headers.push((
                "DPoP".into(),
                dpop_proof(&key, &req.method, &req.url, None, Some(&nonce)),
            ));
            let (exchange, res) = self.http.send(step, req).await;
            self.transcript.push(exchange);
            return res.map_err(Stop::Error);
        }
        Ok(resp)
    }

    /// The client a step authenticates as. `wrong_secret` is the client of the server the
    /// request goes to (`at_as_a`) with a secret that cannot be right.
    fn client_for(&self, sel: ClientSel, at_as_a: bool) -> StepResult<Option<Client>> {
        Ok(match sel {
            ClientSel::Primary => Some(self.env.client.clone()),
            ClientSel::Second => Some(
                self.env
                    .second_client
                    .clone()
                    .ok_or_else(|| Stop::Skip(Capability::SecondClient.missing_reason().into()))?,
            ),
            ClientSel::None => None,
            ClientSel::AsBOrNone => self.env.as_b_client.clone(),
            ClientSel::AsB => Some(
                self.env
                    .as_b_client
                    .clone()
                    .ok_or_else(|| Stop::Skip(Capability::AsBClient.missing_reason().into()))?,
            ),
            ClientSel::Jwt => Some(
                self.env
                    .jwt_client
                    .clone()
                    .ok_or_else(|| Stop::Skip(Capability::JwtClient.missing_reason().into()))?,
            ),
            ClientSel::WrongSecret => {
                let base = match &self.env.as_b_client {
                    Some(b) if !at_as_a => b.clone(),
                    _ => self.env.client.clone(),
                };
                // A client that authenticates by key or certificate sends its wrong secret with
                // client_secret_basic: credentials a client sends must still be validated.
                let auth = match base.auth {
                    AuthMethod::Post => AuthMethod::Post,
                    _ => AuthMethod::Basic,
                };
                Some(Client {
                    secret: Some(format!("wrong-{}", uuid::Uuid::new_v4().simple())),
                    auth,
                    key: None,
                    ..base
                })
            }
        })
    }

    /// The subject token of the role the step asks for; a role without a source skips the
    /// case (never another role's token).
    async fn subject_token(
        &mut self,
        id: &str,
        user: UserSel,
        client: ClientSel,
    ) -> StepResult<Value> {
        if user == UserSel::Unmapped && self.env.tokens.gap(TokenRole::UnmappedUser).is_some() {
            return Err(Stop::Skip(Capability::UnmappedUser.missing_reason().into()));
        }
        if user == UserSel::Second && self.env.tokens.gap(TokenRole::SecondUser).is_some() {
            return Err(Stop::Skip(Capability::SecondUser.missing_reason().into()));
        }
        // A missing second or jwt client skips for that reason first.
        self.client_for(client, true)?;
        let role = TokenRole::of(user, client).ok_or_else(|| {
            Stop::Skip(format!(
                "no subject-token role for the {user:?} user at the {client:?} client"
            ))
        })?;
        let (exchanges, res) = self.env.tokens.obtain(role, &self.http, id).await;
        self.transcript.extend(exchanges);
        match res {
            Ok(Got::Response(r)) => {
                let mut out = output(&r);
                // The subject token is the member the exchange form names (an ID-JAG IdP
                // exchanges the `id_token`); the access token otherwise.
                let field = &self.env.exchange.subject_token_field;
                if field != "access_token" {
                    out["token"] = out["json"][field.as_str()].clone();
                }
                Ok(out)
            }
            Ok(Got::Kept(t)) => Ok(json!({ "token": t })),
            Err(TokenError::NoSource(why)) => Err(Stop::Skip(why)),
            Err(TokenError::Failed(why)) => err(why),
        }
    }

    /// Build the HTTP request of an HTTP action.
    async fn prepare(&mut self, step: &Step) -> StepResult<Request> {
        match &step.action {
            Action::Discover { role } => self.discover_request(*role),
            Action::Exchange(t) => self.token_request(t, true),
            Action::Present(t) => self.token_request(t, false),
            Action::CallResource {
                token,
                scheme,
                dpop,
                dpop_proof,
            } => self.resource_request(token, *scheme, dpop.as_deref(), dpop_proof.as_ref()),
            Action::Request(r) => self.raw_request(r),
            other => err(format!("`{}` is not an HTTP action", other.name())),
        }
    }

    /// `discover`: GET the role's RFC 8414 (AS) or RFC 9728 (RS) metadata document.
    fn discover_request(&self, role: Role) -> StepResult<Request> {
        let url = match role {
            Role::AsA => well_known(&self.env.as_a.issuer, "oauth-authorization-server"),
            Role::AsB => well_known(&self.env.as_b.issuer, "oauth-authorization-server"),
            Role::Rs => {
                let (resource, _) = self
                    .env
                    .rs
                    .clone()
                    .ok_or_else(|| Stop::Skip(Capability::Rs.missing_reason().into()))?;
                well_known(&resource, "oauth-protected-resource")
            }
        };
        Ok(Request {
            method: "GET".into(),
            url,
            headers: vec![("Accept".into(), "application/json".into())],
            body: None,
            client_cert: None,
        })
    }

    /// `exchange` (RFC 8693 at AS-A) or `present` (RFC 7523 jwt-bearer at AS-B): the form,
    /// the client authentication and the optional DPoP proof.
    fn token_request(&mut self, t: &TokenRequest, exchange: bool) -> StepResult<Request> {
        let mut form = self.token_form(t, exchange)?;
        let default_client = if exchange {
            ClientSel::Primary
        } else if self.env.as_b_client.is_some() {
            ClientSel::AsB
        } else {
            ClientSel::None
        };
        let client = self.client_for(t.client.unwrap_or(default_client), exchange)?;
        let method = t
            .auth
            .or(client.as_ref().map(|c| c.auth))
            .unwrap_or(AuthMethod::Basic);
        let mut headers = form_headers();
        let aud = if exchange {
            &self.env.as_a.issuer
        } else {
            &self.env.as_b.issuer
        };
        apply_client_auth(&mut form, &mut headers, client.as_ref(), method, aud);
        // `params` override anything above (client auth included); `omit` removes.
        for (k, v) in &t.extra {
            form.retain(|(x, _)| x != k);
            match self.interp(v)? {
                Value::Array(items) => {
                    for i in items {
                        form.push((k.clone(), value_text(&i)));
                    }
                }
                other => form.push((k.clone(), value_text(&other))),
            }
        }
        form.retain(|(k, _)| !t.omit.contains(k));
        let url = if exchange {
            self.env.as_a.token_endpoint.clone()
        } else {
            self.env.as_b.token_endpoint.clone()
        };
        if let Some(p) = &t.dpop_proof {
            headers.push(("DPoP".into(), self.interp_str(p, "dpop_proof")?));
        } else if let Some(k) = &t.dpop {
            let key = self.key(k);
            headers.push(("DPoP".into(), dpop_proof(&key, "POST", &url, None, None)));
        }
        Ok(Request {
            method: "POST".into(),
            url,
            headers,
            body: Some(encode_form(&form)),
            client_cert: tls_client(client.as_ref(), method),
        })
    }

    /// The grant type, the run's exchange defaults and the step's typed parameters of a token
    /// request, before client authentication.
    fn token_form(
        &mut self,
        t: &TokenRequest,
        exchange: bool,
    ) -> StepResult<Vec<(String, String)>> {
        let mut form: Vec<(String, String)> = Vec::new();
        if exchange {
            form.push(("grant_type".into(), TOKEN_EXCHANGE.into()));
            // The run's form (target > profile > built-in) fills in what the step
            // leaves unnamed; the step's params and `omit` win.
            let sets = |n: &str| {
                t.params.iter().any(|(k, _)| k == n) || t.extra.iter().any(|(k, _)| k == n)
            };
            let omits = |n: &str| t.omit.iter().any(|k| k == n);
            let to = crate::exchange_form::Targets {
                as_b_issuer: &self.env.as_b.issuer,
                as_b_audience: self.env.as_b_audience.as_deref(),
                protected_resource: self.env.rs.as_ref().map(|(r, _)| r.as_str()),
            };
            form.extend(self.env.exchange.defaults(&to, sets, omits));
        } else {
            form.push(("grant_type".into(), JWT_BEARER.into()));
        }
        for (k, v) in &t.params {
            let v = self.interp_str(v, k)?;
            form.retain(|(x, _)| x != k);
            form.push((k.clone(), v));
        }
        Ok(form)
    }

    /// `call_resource`: GET RS-B's resource with the token as Bearer or DPoP (RFC 9449 §7.1),
    /// with a minted or a verbatim proof.
    fn resource_request(
        &mut self,
        token: &Template,
        scheme: Option<Scheme>,
        dpop: Option<&str>,
        fixed_proof: Option<&Template>,
    ) -> StepResult<Request> {
        let (_, url) = self
            .env
            .rs
            .clone()
            .ok_or_else(|| Stop::Skip(Capability::Rs.missing_reason().into()))?;
        let token = self.interp_str(token, "token")?;
        let scheme = scheme.unwrap_or(if dpop.is_some() {
            Scheme::DPoP
        } else {
            Scheme::Bearer
        });
        let scheme = if scheme == Scheme::DPoP {
            "DPoP"
        } else {
            "Bearer"
        };
        let mut headers = vec![("Authorization".to_string(), format!("{scheme} {token}"))];
        if let Some(p) = fixed_proof {
            headers.push(("DPoP".into(), self.interp_str(p, "dpop_proof")?));
        } else if let Some(k) = dpop {
            let key = self.key(k);
            headers.push((
                "DPoP".into(),
                dpop_proof(&key, "GET", &url, Some(&token), None),
            ));
        }
        Ok(Request {
            method: "GET".into(),
            url,
            headers,
            body: None,
            client_cert: None,
        })
    }

    /// `request`: a free-form request to a role's endpoint, with its form (as the query of a
    /// GET), body, content type, headers and client authentication.
    fn raw_request(&mut self, r: &RawRequest) -> StepResult<Request> {
        let url = self.endpoint_url(r.role, r.endpoint)?;
        let mut headers: Vec<(String, String)> = Vec::new();
        let mut form: Vec<(String, String)> = Vec::new();
        for (k, v) in &r.form {
            match self.interp(v)? {
                Value::Array(items) => items
                    .iter()
                    .for_each(|i| form.push((k.clone(), value_text(i)))),
                other => form.push((k.clone(), value_text(&other))),
            }
        }
        let client = self.client_for(r.client, matches!(r.role, Role::AsA))?;
        let method = r
            .auth
            .or(client.as_ref().map(|c| c.auth))
            .unwrap_or(AuthMethod::Basic);
        let aud = match r.role {
            Role::AsA => self.env.as_a.issuer.clone(),
            Role::AsB => self.env.as_b.issuer.clone(),
            Role::Rs => self.rs_urls()?.0,
        };
        apply_client_auth(&mut form, &mut headers, client.as_ref(), method, &aud);
        // A GET carries its form as the URL query (RFC 6749 §3.2: token requests must
        // not be accepted that way; the hygiene suite checks exactly that).
        let mut url = url;
        if r.method.eq_ignore_ascii_case("GET") && r.body.is_none() && !form.is_empty() {
            let sep = if url.contains('?') { '&' } else { '?' };
            url = format!("{url}{sep}{}", encode_form(&form));
            form.clear();
        }
        let body = match &r.body {
            Some(b) => Some(self.interp_str(b, "body")?),
            None if !form.is_empty() || r.method == "POST" => Some(encode_form(&form)),
            None => None,
        };
        let content_type = match &r.content_type {
            Some(c) => Some(self.interp_str(c, "content_type")?),
            None if r.body.is_none() && body.is_some() => {
                Some("application/x-www-form-urlencoded".into())
            }
            None => None,
        };
        if let Some(ct) = content_type {
            headers.push(("Content-Type".into(), ct));
        }
        for (k, v) in &r.headers {
            let v = self.interp_str(v, k)?;
            headers.retain(|(x, _)| !x.eq_ignore_ascii_case(k));
            headers.push((k.clone(), v));
        }
        Ok(Request {
            method: r.method.clone(),
            url,
            headers,
            body,
            client_cert: tls_client(client.as_ref(), method),
        })
    }

    /// The URL of `endpoint` at `role` for a free-form request.
    fn endpoint_url(&self, role: Role, endpoint: Endpoint) -> StepResult<String> {
        let as_info = match role {
            Role::AsA => Some(&self.env.as_a),
            Role::AsB => Some(&self.env.as_b),
            Role::Rs => None,
        };
        Ok(match (endpoint, as_info) {
            (Endpoint::Token, Some(a)) => a.token_endpoint.clone(),
            (Endpoint::Metadata, Some(a)) => well_known(&a.issuer, "oauth-authorization-server"),
            (Endpoint::Jwks, Some(a)) => a
                .jwks_uri
                .clone()
                // jwks_uri is OPTIONAL in RFC 8414 §2 (an AS issuing only opaque tokens needs
                // none): a case reading the key set cannot run, which is a skip, not an error.
                // Whether an AS that signs grants publishes one is metadata/*'s to grade.
                .ok_or_else(|| {
                    Stop::Skip("the AS publishes no jwks_uri (RFC 8414 §2: OPTIONAL)".into())
                })?,
            (Endpoint::Metadata, None) => {
                well_known(&self.rs_urls()?.0, "oauth-protected-resource")
            }
            (Endpoint::Resource, _) => self.rs_urls()?.1,
            (e, _) => return err(format!("endpoint {e:?} does not exist for this role")),
        })
    }

    /// RS-B's (resource identifier, resource URL); a run without RS-B skips the case.
    fn rs_urls(&self) -> StepResult<(String, String)> {
        self.env
            .rs
            .clone()
            .ok_or_else(|| Stop::Skip(Capability::Rs.missing_reason().into()))
    }

    fn forge(&mut self, f: &Forge) -> StepResult<Value> {
        let env = self.env.clone();
        let now = unix_now();
        let source = match &f.from {
            Some(t) => Some(self.interp_str(t, "from")?),
            None => None,
        };
        let decoded = source.as_deref().and_then(Jws::decode);
        if source.is_some()
            && decoded.is_none()
            && !matches!(
                f.mode,
                Some(ForgeMode::TamperPayload | ForgeMode::TamperSignature) | None
            )
        {
            return err("`from` is not a compact JWS with JSON header and claims");
        }
        let jwt_client = match f.mode {
            Some(ForgeMode::JwtClient) => Some(
                env.jwt_client
                    .clone()
                    .filter(|c| c.key.is_some())
                    .ok_or_else(|| Stop::Skip(Capability::JwtClient.missing_reason().into()))?,
            ),
            _ => None,
        };
        let (header, mut claims) = match &decoded {
            Some(j) => (j.header.clone(), j.claims.clone()),
            None => fresh_token(&env, jwt_client.as_ref(), now),
        };
        for (k, v) in &f.set_claims {
            claims[k] = self.interp(v)?;
        }
        for k in &f.remove_claims {
            claims.as_object_mut().map(|m| m.remove(k));
        }
        let set_header = f
            .set_header
            .iter()
            .map(|(k, v)| Ok((k.clone(), self.interp(v)?)))
            .collect::<StepResult<_>>()?;
        let forging = Forging {
            source: source.as_deref(),
            header,
            claims,
            edited: !(f.set_claims.is_empty()
                && f.remove_claims.is_empty()
                && f.set_header.is_empty()
                && f.remove_header.is_empty()),
            set_header,
            remove_header: &f.remove_header,
        };
        let token = match f.mode {
            None => String::new(),
            Some(mode) => forging.sign(mode, &env, jwt_client.as_ref())?,
        };
        let token = match &f.raw {
            Some(r) => self.interp_str(r, "raw")?,
            None => token,
        };
        let view = Jws::decode(&token);
        Ok(json!({
            "token": token,
            "header": view.as_ref().map(|j| j.header.clone()),
            "claims": view.map(|j| j.claims),
            "received_at": now,
        }))
    }

    /// Why a query into `STEP.access_claims` cannot be answered: AS-B issued a token that is
    /// not a JWT and introspection did not give its claims.
    fn unseen_claims(&self, q: &Query) -> Option<String> {
        if q.segments().get(1).map(String::as_str) != Some("access_claims") {
            return None;
        }
        let out = self.ctx.get(q.root())?;
        let opaque = out["json"]["access_token"]
            .as_str()
            .is_some_and(|t| !jose::looks_like_jwt(t));
        (opaque && out["access_claims"].is_null()).then(|| {
            "AS-B's access token is opaque and its claims could not be seen: set AS-B's RFC 7662 \
             introspection_endpoint (target or metadata) and an [as_b.client] to read them"
                .to_string()
        })
    }

    /// For a query into a step's JSON body when that body is not JSON (an HTML error page
    /// under 200, say): a note naming what came instead, so a `null` is not mistaken for an
    /// absent member.
    fn not_json_note(&self, q: &Query) -> String {
        let (Some(step), Some("json")) = (
            q.segments().first().map(String::as_str),
            q.segments().get(1).map(String::as_str),
        ) else {
            return String::new();
        };
        let Some(out) = self.ctx.get(step) else {
            return String::new();
        };
        let body = out["body"].as_str().unwrap_or_default();
        if !out["json"].is_null() || body.trim().is_empty() {
            return String::new();
        }
        let kind = out["content_type"].as_str().unwrap_or("no content-type");
        format!(
            " (the response body is not JSON: {kind}, {} bytes)",
            body.len()
        )
    }

    /// Grade every applicable check. With `ran_only`, checks that read a step which never ran
    /// (the case stopped before it) are left out rather than graded on a missing value.
    ///
    /// A check reading a setup step's output is a precondition: when it does not hold, the
    /// case is `blocked` (by that step's party, naming the cases of that party citing the
    /// check's requirement), never failed; only the preconditions are then reported.
    fn checks(
        &mut self,
        case: &Case,
        level_of: &(dyn Fn(&str) -> Option<Level> + Sync),
        graders: &(dyn Fn(&str, Party) -> Vec<String> + Sync),
        ran_only: bool,
    ) -> Graded {
        let (verdict, message, checks, blocked) = self.grade(case, level_of, graders, ran_only);
        match blocked {
            Some(b) => Graded {
                verdict: Verdict::Blocked,
                blocked_by: Some(b.by),
                message: b.message(),
                checks: checks
                    .into_iter()
                    .filter_map(|(c, precondition)| precondition.then_some(c))
                    .collect(),
            },
            None => Graded {
                verdict,
                blocked_by: None,
                message,
                checks: checks.into_iter().map(|(c, _)| c).collect(),
            },
        }
    }

    fn grade(
        &mut self,
        case: &Case,
        level_of: &(dyn Fn(&str) -> Option<Level> + Sync),
        graders: &(dyn Fn(&str, Party) -> Vec<String> + Sync),
        ran_only: bool,
    ) -> (Verdict, String, Vec<(CheckResult, bool)>, Option<Blocked>) {
        let mut results: Vec<(CheckResult, bool)> = Vec::new();
        let mut blocked: Option<Blocked> = None;
        for check in &case.checks {
            let Some(level) = level_of(&check.requirement) else {
                continue;
            };
            if ran_only {
                let ran = |q: &Query| {
                    let root = q.root();
                    !case.steps.iter().any(|s| s.id == root) || self.ctx.contains_key(root)
                };
                if !ran(&check.value) || check.when.iter().any(|w| !ran(&w.value)) {
                    continue;
                }
            }
            match self.grade_check(check, level, graders, &mut blocked) {
                Ok(Some(result)) => results.push(result),
                Ok(None) => {}
                Err(message) => return (Verdict::Error, message, results, None),
            }
        }
        let (verdict, message) = case_verdict(&results);
        (verdict, message, results, blocked)
    }

    /// One check's result (and whether its value came from a setup step), or `None` when it
    /// does not apply or a setup failure blocks it (recorded in `blocked`, first one kept).
    /// `Err` is a harness error that makes the whole case `error`.
    fn grade_check(
        &mut self,
        check: &Check,
        level: Level,
        graders: &(dyn Fn(&str, Party) -> Vec<String> + Sync),
        blocked: &mut Option<Blocked>,
    ) -> Result<Option<(CheckResult, bool)>, String> {
        let result =
            |verdict: Verdict, actual: Value, expected: String, message: String| CheckResult {
                description: check.what.clone(),
                requirement: check.requirement.clone(),
                level,
                verdict,
                actual,
                expected,
                message,
                source: Some(check.source.clone()),
            };
        // A claim of AS-B's access token that cannot be seen (opaque, not introspected):
        // this check cannot be judged, once its guard says it applies; the others still
        // are (a failure they find is real), and the case passes only if nothing it
        // applied was left unseen.
        let unseen = |why: String| {
            let message = format!("check `{}`: {why}", check.what);
            Some((
                result(Verdict::Skip, Value::Null, String::new(), message),
                false,
            ))
        };
        // Guards in order: one that does not hold ends the check before a later guard's
        // unseen claims could make it `skip` (a refused request has no claims to see).
        for cond in &check.when {
            if let Some(why) = self.unseen_claims(&cond.value) {
                return Ok(unseen(why));
            }
            match self.holds(cond) {
                Ok(true) => {}
                // The guard names a value the response lacks: the check does not apply.
                Ok(false) | Err(Stop::Unmet { .. } | Stop::Blocked(_)) => return Ok(None),
                Err(stop) => {
                    return Err(format!(
                        "{}: check `{}` (when): {}",
                        check.source,
                        check.what,
                        stop_text(stop)
                    ));
                }
            }
        }
        if let Some(why) = self.unseen_claims(&check.value) {
            return Ok(unseen(why));
        }
        let actual = self.resolve_query(&check.value);
        let predicate = match predicate::interpolated(&check.predicate, |t| self.interp(t)) {
            Ok(e) => e,
            // The expected value comes from a response that lacks it: a failure of the
            // party that sent it, graded by this check's own requirement (or a blocked
            // precondition when that party is not the one judged).
            Err(Stop::Unmet { message, .. }) => {
                let actual = actual.unwrap_or(Value::Null);
                let text = format!(
                    "{}: cannot be evaluated: {message} (got {})",
                    check.what,
                    short(&actual)
                );
                return Ok(Some((
                    result(level.failure_verdict(), actual, message, text),
                    false,
                )));
            }
            Err(Stop::Blocked(b)) => {
                blocked.get_or_insert(b);
                return Ok(None);
            }
            Err(stop) => {
                return Err(format!(
                    "{}: check `{}`: {}",
                    check.source,
                    check.what,
                    stop_text(stop)
                ));
            }
        };
        let (outcome, text) = predicate::evaluate(&predicate, actual.as_ref());
        let setup = self.setup.get(check.value.root()).copied();
        let verdict = match (outcome, setup) {
            (Outcome::Fails, Some(_)) => Verdict::Blocked,
            // Another party's allowed-but-not-preferred answer is that party's business.
            (Outcome::Holds | Outcome::Dispreferred, Some(_)) => Verdict::Pass,
            (Outcome::Holds, None) => Verdict::Pass,
            (Outcome::Fails, None) => level.failure_verdict(),
            (Outcome::Dispreferred, None) if level == Level::May => Verdict::Info,
            (Outcome::Dispreferred, None) => Verdict::Warn,
        };
        let actual = actual.unwrap_or(Value::Null);
        let message = match outcome {
            Outcome::Holds => String::new(),
            Outcome::Fails => format!(
                "{}: expected {text}, got {}{}",
                check.what,
                short(&actual),
                self.not_json_note(&check.value)
            ),
            Outcome::Dispreferred => format!(
                "{}: {} is allowed but not preferred ({text})",
                check.what,
                short(&actual)
            ),
        };
        if let (Verdict::Blocked, Some(pre), None) = (verdict, setup, &blocked) {
            let by = pre.party();
            let mut root_causes = graders(&check.requirement, by);
            if root_causes.is_empty() {
                root_causes = pre.root_causes().iter().map(|s| s.to_string()).collect();
            }
            *blocked = Some(Blocked {
                by,
                precondition: check.what.clone(),
                detail: format!("expected {text}, got {}", short(&actual)),
                root_causes,
            });
        }
        Ok(Some((
            result(verdict, actual, text, message),
            setup.is_some(),
        )))
    }

    /// Whether a condition (a `when` guard or a `skip_unless`) holds now; a value its
    /// operands name but the context lacks stops as interpolation does.
    fn holds(&mut self, cond: &Condition) -> StepResult<bool> {
        let actual = self.resolve_query(&cond.value);
        let predicate = predicate::interpolated(&cond.predicate, |t| self.interp(t))?;
        Ok(predicate::evaluate(&predicate, actual.as_ref()).0 == Outcome::Holds)
    }
}

/// The case's verdict and message from its checks' results: the worst verdict, except that a
/// case where nothing failed but something could not be seen is `skip`, not `pass`.
fn case_verdict(results: &[(CheckResult, bool)]) -> (Verdict, String) {
    if results.is_empty() {
        return (
            Verdict::Error,
            "no applicable check: every check was guarded out by `when` or its requirement has no level in this profile".into(),
        );
    }
    let verdict = results
        .iter()
        .filter(|(c, _)| c.verdict != Verdict::Skip)
        .fold(Verdict::Pass, |v, (c, _)| v.worst(c.verdict));
    let unseen = results.iter().find(|(c, _)| c.verdict == Verdict::Skip);
    let passed = results
        .iter()
        .filter(|(c, _)| c.verdict == Verdict::Pass)
        .count();
    match (verdict, unseen) {
        // Nothing wrong was found, but not everything could be seen: not a pass.
        (Verdict::Pass, Some((skipped, _))) => (
            Verdict::Skip,
            if passed == 0 {
                skipped.message.clone()
            } else {
                format!("{}; {passed} other checks passed", skipped.message)
            },
        ),
        (v, _) => (
            v,
            results
                .iter()
                .find(|(c, _)| c.verdict == v && v != Verdict::Pass)
                .map(|(c, _)| c.message.clone())
                .unwrap_or_else(|| format!("{} checks passed", results.len())),
        ),
    }
}

/// Header and claims of a fresh token for a forge step without `from`: a client assertion of
/// the private_key_jwt client, else a grant of the harness issuer for AS-B.
fn fresh_token(env: &Env, jwt_client: Option<&Client>, now: i64) -> (Value, Value) {
    match jwt_client {
        // RFC 7523 §3 client assertion for AS-A, typed as draft-ietf-oauth-rfc7523bis asks.
        Some(c) => (
            json!({ "alg": "ES256", "typ": "client-authentication+jwt" }),
            json!({
                "iss": c.id,
                "sub": c.id,
                "aud": env.as_a.issuer,
                "iat": now,
                "exp": now + 60,
                "jti": uuid::Uuid::new_v4().to_string(),
            }),
        ),
        None => (
            // A profile that types its grants (ID-JAG §3.1) gives them its typ.
            match &env.exchange.grant_typ {
                Some(typ) => json!({ "alg": "ES256", "typ": typ }),
                None => json!({ "alg": "ES256" }),
            },
            json!({
                "iss": env.harness.as_ref().map(|h| h.issuer.clone()),
                "sub": env.user_sub,
                "aud": env.as_b.issuer,
                "iat": now,
                "exp": now + 60,
                "jti": uuid::Uuid::new_v4().to_string(),
                // The client that redeems it (RFC 7523 leaves client_id optional; the Ena
                // profile requires it, ENA-P §5.4.2).
                "client_id": env.as_b_client.as_ref().unwrap_or(&env.client).id,
            }),
        ),
    }
}

/// A token being forged: its (edited) header and claims, the token it came from, and the
/// header edits each signing mode applies after setting its own `alg`/`kid`.
struct Forging<'a> {
    source: Option<&'a str>,
    header: Value,
    claims: Value,
    /// Whether the step edits claims or header (tampering modes then re-encode them).
    edited: bool,
    set_header: Vec<(String, Value)>,
    remove_header: &'a [String],
}

impl Forging<'_> {
    /// AS-A's public key the forged token claims to be signed with: the JWK its `kid` names,
    /// else the first.
    fn issuer_jwk(&self, env: &Env) -> StepResult<Value> {
        let jwks = env
            .as_a_jwks
            .as_ref()
            .ok_or_else(|| Stop::Error("AS-A's JWKS could not be fetched".into()))?;
        let kid = self.header.get("kid").cloned();
        let keys = jwks["keys"].as_array().cloned().unwrap_or_default();
        keys.iter()
            .find(|k| kid.is_none() || k.get("kid") == kid.as_ref())
            .or(keys.first())
            .cloned()
            .ok_or_else(|| Stop::Error("AS-A's JWKS has no keys".into()))
    }

    fn apply_header(&mut self) {
        for (k, v) in &self.set_header {
            self.header[k] = v.clone();
        }
        for k in self.remove_header {
            self.header.as_object_mut().map(|m| m.remove(k));
        }
    }

    /// The compact token `mode` makes.
    fn sign(
        mut self,
        mode: ForgeMode,
        env: &Env,
        jwt_client: Option<&Client>,
    ) -> StepResult<String> {
        Ok(match mode {
            ForgeMode::TamperPayload => {
                // The payload stays well-formed JSON with every original claim (plus one
                // unknown member, which RFC 7519 §4 says to ignore), under the original
                // signature: only a signature check can tell. Flipping a base64url character
                // instead usually breaks the JSON and tests the parser, not the signature.
                let src = self.source.unwrap_or_default();
                let mut segments = src.split('.');
                let header_segment = segments.next().unwrap_or_default().to_string();
                let sig = segments.nth(1).unwrap_or_default().to_string();
                let header_segment = if self.edited {
                    self.apply_header();
                    jose::b64(self.header.to_string().as_bytes())
                } else {
                    header_segment
                };
                if let Some(obj) = self.claims.as_object_mut() {
                    obj.insert("chainproof_tampered".into(), json!(true));
                }
                format!(
                    "{header_segment}.{}.{sig}",
                    jose::b64(self.claims.to_string().as_bytes())
                )
            }
            ForgeMode::TamperSignature => {
                let src = self.source.unwrap_or_default().to_string();
                let base = if self.edited {
                    self.apply_header();
                    let sig = src.split('.').nth(2).unwrap_or_default();
                    format!(
                        "{}.{}.{sig}",
                        jose::b64(self.header.to_string().as_bytes()),
                        jose::b64(self.claims.to_string().as_bytes())
                    )
                } else {
                    src
                };
                jose::tamper(&base, 2)
            }
            ForgeMode::MalleateSignature => {
                if self.edited {
                    return err("mode malleate_signature keeps the token as signed: no edits");
                }
                if self.header.get("alg").and_then(Value::as_str) != Some("ES256") {
                    return Err(Stop::Skip(
                        "the token to re-encode is not ES256: only an ECDSA signature has a second valid encoding (r, n - s)".into(),
                    ));
                }
                jose::malleate_es256(self.source.unwrap_or_default()).ok_or_else(|| {
                    Stop::Skip("the token's signature is not a 64-byte ES256 signature".into())
                })?
            }
            ForgeMode::AlgNone => {
                self.header["alg"] = json!("none");
                self.apply_header();
                jose::sign(&self.header, &self.claims, SignWith::None)
            }
            ForgeMode::HmacWithIssuerKey => {
                let jwk = self.issuer_jwk(env)?;
                self.header["alg"] = json!("HS256");
                self.apply_header();
                jose::sign(
                    &self.header,
                    &self.claims,
                    SignWith::Hs256(jwk.to_string().as_bytes()),
                )
            }
            ForgeMode::HmacWithIssuerPem => {
                let jwk = self.issuer_jwk(env)?;
                let pem = jose::public_key_pem(&jwk).ok_or_else(|| {
                    Stop::Skip(
                        "AS-A's signing key is neither a P-256 nor an RSA key: no SPKI PEM form to key HS256 with".into(),
                    )
                })?;
                self.header["alg"] = json!("HS256");
                self.apply_header();
                jose::sign(&self.header, &self.claims, SignWith::Hs256(pem.as_bytes()))
            }
            ForgeMode::ZeroSignature => {
                let src = self.source.unwrap_or_default();
                let parts: Vec<&str> = src.split('.').collect();
                // As long as the source's signature (64 bytes for ES256), never empty: an empty
                // signature is the unsigned token the alg_none mode makes.
                let len = parts
                    .get(2)
                    .and_then(|s| jose::unb64(s))
                    .map_or(64, |s| if s.is_empty() { 64 } else { s.len() });
                let input = if self.edited {
                    self.apply_header();
                    format!(
                        "{}.{}",
                        jose::b64(self.header.to_string().as_bytes()),
                        jose::b64(self.claims.to_string().as_bytes())
                    )
                } else {
                    parts[..2].join(".")
                };
                format!("{input}.{}", jose::b64(&vec![0u8; len]))
            }
            ForgeMode::JsonSerialization => {
                if self.edited {
                    return err("mode json_serialization keeps the token as signed: no edits");
                }
                let src = self.source.unwrap_or_default();
                let [protected, payload, signature] = src.split('.').collect::<Vec<_>>()[..] else {
                    return err("`from` is not a compact JWS of three segments");
                };
                json!({ "protected": protected, "payload": payload, "signature": signature })
                    .to_string()
            }
            ForgeMode::Stranger => {
                let h = env
                    .harness
                    .as_ref()
                    .ok_or_else(|| Stop::Skip(Capability::HarnessIssuer.missing_reason().into()))?;
                self.claims["iss"] = json!(h.stranger_issuer());
                self.header["alg"] = json!("ES256");
                self.header["kid"] = json!(h.stranger_kid());
                self.apply_header();
                jose::sign(&self.header, &self.claims, SignWith::Es256(&h.stranger_key))
            }
            ForgeMode::ResignUntrusted => {
                let key = SigningKey::random(&mut rand::rngs::OsRng);
                self.header["alg"] = json!("ES256");
                self.header["kid"] = json!(uuid::Uuid::new_v4().to_string());
                self.apply_header();
                jose::sign(&self.header, &self.claims, SignWith::Es256(&key))
            }
            ForgeMode::JwtClient => {
                let c = jwt_client.expect("checked by the forge step");
                let key = c.key.as_ref().expect("checked by the forge step");
                self.header["alg"] = json!("ES256");
                self.header["kid"] =
                    json!(jose::thumbprint(&jose::public_jwk(key.verifying_key())));
                self.apply_header();
                jose::sign(&self.header, &self.claims, SignWith::Es256(key))
            }
            ForgeMode::Harness => {
                let h = env
                    .harness
                    .as_ref()
                    .ok_or_else(|| Stop::Skip(Capability::HarnessIssuer.missing_reason().into()))?;
                self.header["alg"] = json!("ES256");
                self.header["kid"] = json!(h.kid);
                self.apply_header();
                jose::sign(&self.header, &self.claims, SignWith::Es256(&h.key))
            }
        })
    }
}

fn stop_text(stop: Stop) -> String {
    match stop {
        Stop::Error(m) | Stop::Skip(m) | Stop::Unmet { message: m, .. } => m,
        Stop::Blocked(b) => b.message(),
    }
}

/// The DPoP proof and client assertion a request carried (null when none), so that a later
/// step can replay them.
fn request_secrets(req: &Request) -> (Value, Value) {
    let proof = req
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("dpop"))
        .map_or(Value::Null, |(_, v)| json!(v));
    let assertion = req
        .body
        .as_deref()
        .and_then(|b| {
            url::form_urlencoded::parse(b.as_bytes())
                .find(|(k, _)| k == "client_assertion")
                .map(|(_, v)| json!(v))
        })
        .unwrap_or(Value::Null);
    (proof, assertion)
}

/// The headers of a form-encoded token request that wants JSON back.
fn form_headers() -> Vec<(String, String)> {
    vec![
        (
            "Content-Type".to_string(),
            "application/x-www-form-urlencoded".to_string(),
        ),
        ("Accept".to_string(), "application/json".to_string()),
    ]
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// An RFC 9449 §4.2 proof: `typ` dpop+jwt, ES256, public `jwk`, `jti`, `htm`, `htu` (no query
/// or fragment), `iat`, and `ath` when presenting an access token.
pub fn dpop_proof(
    key: &SigningKey,
    method: &str,
    url: &str,
    access_token: Option<&str>,
    nonce: Option<&str>,
) -> String {
    let htu = url::Url::parse(url)
        .map(|mut u| {
            u.set_query(None);
            u.set_fragment(None);
            u.to_string()
        })
        .unwrap_or_else(|_| url.to_string());
    let header =
        json!({ "typ": "dpop+jwt", "alg": "ES256", "jwk": jose::public_jwk(key.verifying_key()) });
    let mut claims = json!({ "jti": uuid::Uuid::new_v4().to_string(), "htm": method, "htu": htu, "iat": unix_now() });
    if let Some(t) = access_token {
        claims["ath"] = json!(jose::b64(&Sha256::digest(t.as_bytes())));
    }
    if let Some(n) = nonce {
        claims["nonce"] = json!(n);
    }
    jose::sign(&header, &claims, SignWith::Es256(key))
}

/// A step's output object (suites/README.md "Output of a step that made an HTTP request").
pub fn output(r: &Response) -> Value {
    let headers: Map<String, Value> = r
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), json!(v)))
        .collect();
    let json_body: Value = serde_json::from_str(&r.body).unwrap_or(Value::Null);
    let content_type = r
        .headers
        .iter()
        .find(|(k, _)| k == "content-type")
        .map(|(_, v)| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        });
    let token = json_body
        .get("access_token")
        .cloned()
        .unwrap_or(Value::Null);
    json!({
        "status": r.status,
        "headers": headers,
        "json": json_body,
        "body": r.body,
        "content_type": content_type,
        "token": token,
        "elapsed_ms": r.elapsed_ms,
        "received_at": r.received_at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn embedded_case(id: &str) -> Case {
        let lib = crate::suite::load::Library::load(None).unwrap();
        let (suite, case) = id.split_once('/').unwrap();
        lib.suites
            .iter()
            .find(|s| s.id == suite)
            .and_then(|s| s.cases.iter().find(|c| c.id == case))
            .cloned()
            .unwrap()
    }

    #[test]
    fn a_missing_value_is_graded_by_the_check_covering_it() {
        let case = embedded_case("requested-cnf/as-b-binds-access-token");
        // The check reading that very path grades it, not the case's highest level.
        let unique = case
            .checks
            .iter()
            .find(|k| case.checks.iter().filter(|o| o.value == k.value).count() == 1)
            .unwrap();
        assert_eq!(
            covering_requirement(&case, &format!("{}.deeper", unique.value)).as_deref(),
            Some(unique.requirement.as_str())
        );
        // No check reads the step: the case's first requirement.
        assert_eq!(
            covering_requirement(&case, "zz.token").as_deref(),
            Some(case.requirements[0].as_str())
        );
    }

    #[test]
    fn steps_are_addressed_to_parties() {
        let case = embedded_case("subject-mapping/mapped-subject-reaches-rs-b");
        let parties: Vec<Option<Party>> =
            case.steps.iter().map(|s| step_party(&s.action)).collect();
        assert_eq!(
            parties,
            [
                None,
                Some(Party::AsA),
                Some(Party::AsB),
                Some(Party::Rs),
                Some(Party::Rs)
            ]
        );
        assert_eq!(case.party, Party::Rs);
    }

    #[test]
    fn dpop_proof_has_required_members() {
        let key = SigningKey::random(&mut rand::rngs::OsRng);
        let p = dpop_proof(
            &key,
            "GET",
            "https://rs.example/api?x=1#f",
            Some("tok"),
            None,
        );
        let j = Jws::decode(&p).unwrap();
        assert_eq!(j.header["typ"], "dpop+jwt");
        assert_eq!(j.header["alg"], "ES256");
        assert!(j.header["jwk"].get("d").is_none());
        assert_eq!(j.claims["htm"], "GET");
        assert_eq!(j.claims["htu"], "https://rs.example/api");
        assert_eq!(j.claims["ath"], jose::b64(&Sha256::digest(b"tok")));
        assert!(j.claims["jti"].as_str().unwrap().len() >= 16);
        let jwks = json!({"keys": [j.header["jwk"].clone()]});
        assert!(jose::verifies_with_jwks(&p, &jwks));
    }

    #[test]
    fn basic_auth_form_encodes_credentials() {
        let mut form = Vec::new();
        let mut headers = Vec::new();
        let c = Client {
            id: "a b".into(),
            secret: Some("s:x".into()),
            auth: AuthMethod::Basic,
            key: None,
        };
        apply_client_auth(
            &mut form,
            &mut headers,
            Some(&c),
            AuthMethod::Basic,
            "https://as",
        );
        use base64::Engine;
        let want = base64::engine::general_purpose::STANDARD.encode("a+b:s%3Ax");
        assert_eq!(headers[0].1, format!("Basic {want}"));
        apply_client_auth(
            &mut form,
            &mut headers,
            Some(&c),
            AuthMethod::Post,
            "https://as",
        );
        assert_eq!(form.len(), 2);
    }
}

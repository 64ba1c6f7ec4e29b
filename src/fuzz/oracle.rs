//! Oracles that must hold for every fuzzed request: no 5xx, no token for a certainly invalid
//! request, RFC 6749 §5.2 error responses, RFC 6749 §5.1 token responses with
//! `Cache-Control: no-store`, valid requests succeed, bounded response time.
//!
//! Each oracle cites catalogue requirement IDs and grades a violation by their level, so a
//! SHOULD-level oddity is a warning. `Cache-Control` on *error* responses is not required by
//! RFC 6749, so its absence there is an observation (`info`), never a finding.

use crate::fuzz::model::Expectation;
use crate::fuzz::request::{ClientAuth, Endpoint};
use crate::fuzz::send::Response;
use crate::run_result::CheckResult;
use crate::verdict::{Level, Verdict};
use serde::{Deserialize, Serialize};
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Oracle {
    /// No 5xx for any input.
    ServerError,
    /// No token for a request the model knows is invalid.
    TokenForInvalid,
    /// 400/401 answers are RFC 6749 §5.2 JSON with a registered error code.
    ErrorFormat,
    /// Token errors use 400 (or 401 for `invalid_client`), not another status.
    ErrorStatus,
    /// A certainly invalid request is refused with an error code that names its problem.
    ErrorCode,
    /// Token responses are RFC 6749 §5.1 JSON.
    TokenResponse,
    /// Token responses carry `Cache-Control: no-store`.
    TokenCacheControl,
    /// Token responses carry `Pragma: no-cache` (RFC 6749 §5.1; legacy, so a warning).
    TokenPragma,
    /// A request the model expects to succeed is refused.
    ValidRejected,
    /// A token carries a scope the subject token does not hold.
    ScopeEscalation,
    /// The answer took longer than the bound.
    Latency,
    /// Observation: an error response without `Cache-Control: no-store`.
    ErrorCacheControl,
}

/// One row per oracle, in declaration order: the oracle, its name, its title, and why it
/// never applied in a run where it judged nothing.
const TABLE: [(Oracle, &str, &str, &str); 12] = [
    (
        Oracle::ServerError,
        "server-error",
        "no 5xx for any input",
        "no response was received",
    ),
    (
        Oracle::TokenForInvalid,
        "token-for-invalid",
        "no token for an invalid request",
        "no request the model judges certainly invalid was answered",
    ),
    (
        Oracle::ErrorFormat,
        "error-format",
        "error responses are RFC 6749 §5.2 JSON with a registered code",
        "no 400 or 401 response was seen",
    ),
    (
        Oracle::ErrorStatus,
        "error-status",
        "token errors use HTTP 400 (401 for invalid_client)",
        "no refusal (a non-2xx answer below 500) was seen",
    ),
    (
        Oracle::ErrorCode,
        "error-code",
        "invalid requests get the error code that names the problem",
        "no 400/401 answered a clean invalid request whose reasons name error codes",
    ),
    (
        Oracle::TokenResponse,
        "token-response",
        "token responses are RFC 6749 §5.1 JSON",
        "no 2xx response was seen",
    ),
    (
        Oracle::TokenCacheControl,
        "token-cache-control",
        "token responses carry Cache-Control: no-store",
        "no token was issued",
    ),
    (
        Oracle::TokenPragma,
        "token-pragma",
        "token responses carry Pragma: no-cache",
        "no token was issued",
    ),
    (
        Oracle::ValidRejected,
        "valid-rejected",
        "valid requests succeed",
        "no request the model judges certainly valid was answered",
    ),
    (
        Oracle::ScopeEscalation,
        "scope-escalation",
        "no scope beyond what the subject token holds",
        "no request asked for a scope the subject does not hold (the target names no \
         escalation scope, or only other endpoints were fuzzed)",
    ),
    (
        Oracle::Latency,
        "latency",
        "response time under the bound",
        "no response was received",
    ),
    (
        Oracle::ErrorCacheControl,
        "error-cache-control",
        "error responses carry Cache-Control: no-store (observation)",
        "no error response was seen",
    ),
];

impl Oracle {
    /// Every oracle, in report order.
    pub fn all() -> impl Iterator<Item = Oracle> {
        TABLE.iter().map(|row| row.0)
    }

    fn row(self) -> &'static (Oracle, &'static str, &'static str, &'static str) {
        &TABLE[self as usize]
    }

    /// The name reports, finding keys and replay files use.
    pub fn name(self) -> &'static str {
        self.row().1
    }

    pub fn title(self) -> &'static str {
        self.row().2
    }

    /// Why the oracle never applied in a run where it saw no response it judges.
    pub fn never_applied(self) -> &'static str {
        self.row().3
    }

    /// A preference rather than a rule: the suites check it with `prefer`, so a miss is at
    /// most a warning whatever its requirement's level (RFC 9111 deprecates `Pragma`).
    pub fn is_preference(self) -> bool {
        self == Oracle::TokenPragma
    }

    /// The verdict a violation graded at `level` gets: the level's failure verdict, except
    /// that a preference is only "allowed but not preferred", as the suites' `prefer` grades
    /// it (executor: a dispreferred answer warns, or is info under a MAY row); the level
    /// itself stays the requirement's, as the suites report it.
    pub fn verdict_at(self, level: Level) -> Verdict {
        match (self.is_preference(), level) {
            (true, Level::Must) => Verdict::Warn,
            _ => level.failure_verdict(),
        }
    }

    /// Whether the oracle judges answers of `endpoint` at all: scope escalation is judged at
    /// the token exchange only (the scope of a jwt-bearer answer is AS-B's policy).
    pub fn judges(self, endpoint: Endpoint) -> bool {
        !(self == Oracle::ScopeEscalation && endpoint == Endpoint::Assertion)
    }

    /// Requirement IDs and level, per endpoint. `TokenForInvalid` takes them from the
    /// request's own reason instead.
    pub fn requirements(self, endpoint: Endpoint) -> (Vec<&'static str>, Level) {
        use Endpoint::{Assertion, Exchange};
        match (self, endpoint) {
            (Oracle::ServerError, Exchange) => (vec!["GEN-04"], Level::Must),
            (Oracle::ServerError, Assertion) => (vec!["GEN-04", "IC-JB-06"], Level::Must),
            (Oracle::TokenForInvalid, _) => (vec![], Level::Must),
            (Oracle::ErrorFormat, Exchange) => (vec!["GEN-04"], Level::Must),
            (Oracle::ErrorFormat, Assertion) => (vec!["GEN-04", "IC-JB-06"], Level::Must),
            (Oracle::ErrorStatus, _) => (vec!["GEN-04"], Level::Should),
            // Only codes RFC 6749 §5.2 / RFC 8693 §2.2.2 / RFC 7523 §3.1 name for the reason
            // are allowed; graded like the suites' `equals` check: the requirement's level.
            (Oracle::ErrorCode, _) => (vec![], Level::Must),
            (Oracle::TokenResponse, Exchange) => (vec!["GEN-03", "IC-TE-11"], Level::Must),
            (Oracle::TokenResponse, Assertion) => (vec!["GEN-03", "IC-JB-11"], Level::Must),
            // AS-A's token response is IC-TE-21's, as the suites charge it.
            (Oracle::TokenCacheControl, Exchange) => (vec!["IC-TE-21", "GEN-03"], Level::Must),
            (Oracle::TokenCacheControl, Assertion) => (vec!["GEN-03", "IC-JB-11"], Level::Must),
            // RFC 9111 deprecates Pragma: the requirement's level, but a preference, so its
            // absence warns at most ([`Oracle::verdict_at`]).
            (Oracle::TokenPragma, Exchange) => (vec!["IC-TE-21", "GEN-03"], Level::Must),
            (Oracle::TokenPragma, Assertion) => (vec!["GEN-03", "IC-JB-11"], Level::Must),
            (Oracle::ValidRejected, Exchange) => (vec!["IC-TE-02", "GEN-02"], Level::Must),
            (Oracle::ValidRejected, Assertion) => (vec!["IC-JB-01", "GEN-02"], Level::Must),
            // IC §2.5 "need to" (SHOULD up to -14): a warning, as the catalogue grades it.
            (Oracle::ScopeEscalation, _) => (vec!["IC-TE-09"], Level::Should),
            (Oracle::Latency, _) => (vec![], Level::Should),
            (Oracle::ErrorCacheControl, _) => (vec![], Level::May),
        }
    }
}

/// One oracle that did not hold for one response.
#[derive(Debug, Clone, PartialEq)]
pub struct Violation {
    pub oracle: Oracle,
    pub level: Level,
    pub requirements: Vec<String>,
    pub message: String,
    pub checks: Vec<CheckResult>,
}

impl Violation {
    /// Findings are deduplicated by this key: endpoint, oracle and (for tokens issued to
    /// invalid requests) the requirement the request broke, so that a SHOULD-level case
    /// never hides a MUST-level one.
    pub fn key(&self, endpoint: Endpoint) -> String {
        match self.oracle {
            Oracle::TokenForInvalid | Oracle::ErrorCode => format!(
                "{}-{}-{}{}",
                endpoint,
                self.oracle.name(),
                self.requirements
                    .first()
                    .map(|r| r.to_ascii_lowercase())
                    .unwrap_or_default(),
                match self.level {
                    Level::Must => "",
                    Level::Should => "-should",
                    Level::May => "-may",
                }
            ),
            _ => format!("{}-{}", endpoint, self.oracle.name()),
        }
    }

    pub fn verdict(&self) -> Verdict {
        self.oracle.verdict_at(self.level)
    }

    /// An observation is reported but never counted as a finding.
    pub fn is_observation(&self) -> bool {
        self.level == Level::May
    }
}

/// RFC 6749 §5.2 and the OAuth Extensions Error registry (codes a token endpoint may use).
pub const REGISTERED_ERRORS: &[&str] = &[
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
    "invalid_target",
    "invalid_dpop_proof",
    "use_dpop_nonce",
    "insufficient_user_authentication",
    "invalid_authorization_details",
    "authorization_pending",
    "slow_down",
    "access_denied",
    "expired_token",
];

/// HTTP-layer refusals that need no OAuth error body (method, length, size, media type, rate).
const HTTP_LAYER: &[u16] = &[405, 411, 413, 414, 415, 429, 431];

/// Inputs to the oracles for one exchange.
pub struct Observed<'a> {
    pub endpoint: Endpoint,
    pub client_auth: ClientAuth,
    /// The request's only `grant_type` is the endpoint's own grant (so e.g. an exchange
    /// answer must carry `issued_token_type`); false for other grants sent there.
    pub own_grant: bool,
    pub expectation: &'a Expectation,
    /// Nothing about the request was ambiguous (see [`crate::fuzz::model::judge`]).
    pub clean: bool,
    /// A scope the subject does not hold, when the request asked for it.
    pub escalation_scope: Option<&'a str>,
    pub response: &'a Response,
    pub latency: Duration,
    pub latency_bound: Duration,
}

fn violation(
    o: Oracle,
    endpoint: Endpoint,
    message: String,
    actual: serde_json::Value,
    expected: &str,
) -> Violation {
    let (reqs, level) = o.requirements(endpoint);
    let requirement = reqs.first().copied().unwrap_or("");
    let graded = (level, o.verdict_at(level));
    let check = CheckResult::unsourced(
        o.title().into(),
        requirement.into(),
        graded,
        actual,
        expected.into(),
    );
    Violation {
        oracle: o,
        level,
        requirements: reqs.iter().map(|s| s.to_string()).collect(),
        checks: vec![check],
        message,
    }
}

/// `no-store` among the Cache-Control directives.
pub fn has_no_store(r: &Response) -> bool {
    has_directive(r, "cache-control", "no-store")
}

fn has_directive(r: &Response, header: &str, want: &str) -> bool {
    r.headers_all(header)
        .any(|v| crate::predicate::has_directive(v, want))
}

/// The body's media type, when it is not JSON (`application/json` or `application/*+json`).
fn not_json(r: &Response) -> Option<String> {
    let ct = r.header("content-type");
    let essence = ct
        .and_then(|ct| ct.split(';').next())
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let json = essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"));
    (!json).then(|| format!("Content-Type {:?}", ct.unwrap_or("(none)")))
}

fn body_json(r: &Response) -> Option<serde_json::Map<String, serde_json::Value>> {
    match serde_json::from_str(&r.body) {
        Ok(serde_json::Value::Object(m)) => Some(m),
        _ => None,
    }
}

fn snippet(r: &Response) -> serde_json::Value {
    let cut: String = r.body.chars().take(200).collect();
    serde_json::Value::String(cut)
}

/// RFC 6749 §5.2 character sets.
fn desc_ok(s: &str) -> bool {
    s.chars()
        .all(|c| matches!(c, '\u{20}'..='\u{21}' | '\u{23}'..='\u{5B}' | '\u{5D}'..='\u{7E}'))
}
fn uri_ok(s: &str) -> bool {
    s.chars()
        .all(|c| matches!(c, '\u{21}' | '\u{23}'..='\u{5B}' | '\u{5D}'..='\u{7E}'))
}

/// For a clean, certainly invalid request: is `code` one its reasons allow?
fn error_code(o: &Observed<'_>, code: &str) -> Option<Violation> {
    let Expectation::Invalid(reasons) = o.expectation else {
        return None;
    };
    if !error_code_applies(o) {
        return None;
    }
    let mut allowed: Vec<&str> = reasons
        .iter()
        .flat_map(|r| r.error_codes().iter().copied())
        .collect();
    allowed.sort_unstable();
    allowed.dedup();
    if allowed.contains(&code) {
        return None;
    }
    let primary = o.expectation.primary()?;
    let expected = format!("one of [{}]", allowed.join(", "));
    Some(Violation {
        oracle: Oracle::ErrorCode,
        level: Level::Must,
        requirements: vec![primary.requirement.to_string()],
        message: format!(
            "error {code:?} for a request where {}; expected {expected}",
            primary.why
        ),
        checks: vec![CheckResult::unsourced(
            Oracle::ErrorCode.title().into(),
            primary.requirement.into(),
            (Level::Must, Level::Must.failure_verdict()),
            serde_json::json!(code),
            expected,
        )],
    })
}

/// The oracles that examine this response: the same conditions [`evaluate`] tests before it
/// judges, so a `pass` count says how often each one really looked.
pub fn applicable(o: &Observed<'_>) -> Vec<Oracle> {
    let r = o.response;
    let carries_token = body_json(r)
        .is_some_and(|m| m.contains_key("access_token") || m.contains_key("refresh_token"));
    let refusal = matches!(r.status, 400 | 401);
    let mut out = vec![Oracle::ServerError, Oracle::Latency];
    let mut add = |cond: bool, oracle: Oracle| {
        if cond {
            out.push(oracle)
        }
    };
    add(o.expectation.primary().is_some(), Oracle::TokenForInvalid);
    add((200..300).contains(&r.status), Oracle::TokenResponse);
    add(carries_token, Oracle::TokenPragma);
    add(carries_token, Oracle::TokenCacheControl);
    add(refusal, Oracle::ErrorFormat);
    add(
        r.status < 500 && !(200..300).contains(&r.status),
        Oracle::ErrorStatus,
    );
    add(refusal && error_code_applies(o), Oracle::ErrorCode);
    add(o.escalation_scope.is_some(), Oracle::ScopeEscalation);
    add(
        *o.expectation == Expectation::Valid && r.status < 500,
        Oracle::ValidRejected,
    );
    add(
        !carries_token && r.status < 500 && r.status != 200,
        Oracle::ErrorCacheControl,
    );
    out
}

/// A clean, certainly invalid request whose every reason names the codes it allows.
fn error_code_applies(o: &Observed<'_>) -> bool {
    match o.expectation {
        Expectation::Invalid(reasons) => {
            o.clean && !reasons.iter().any(|r| r.error_codes().is_empty())
        }
        _ => false,
    }
}

/// Every oracle over one response.
pub fn evaluate(o: &Observed<'_>) -> Vec<Violation> {
    let mut out = Vec::new();
    let r = o.response;
    let e = o.endpoint;
    let json = body_json(r);
    let carries_token = json
        .as_ref()
        .is_some_and(|m| m.contains_key("access_token") || m.contains_key("refresh_token"));

    if r.status >= 500 {
        out.push(violation(
            Oracle::ServerError,
            e,
            format!("HTTP {} answering a token request", r.status),
            serde_json::json!(r.status),
            "< 500",
        ));
    }
    if o.latency > o.latency_bound {
        out.push(violation(
            Oracle::Latency,
            e,
            format!(
                "answered in {} ms (bound {} ms)",
                o.latency.as_millis(),
                o.latency_bound.as_millis()
            ),
            serde_json::json!(o.latency.as_millis() as u64),
            &format!("<= {} ms", o.latency_bound.as_millis()),
        ));
    }

    // No token for a certainly invalid request, graded by the reason's level.
    if carries_token && let Some(reason) = o.expectation.primary() {
        let mut reqs: Vec<String> = vec![reason.requirement.to_string()];
        if let Expectation::Invalid(all) = o.expectation {
            for x in all {
                if x.level == reason.level && !reqs.iter().any(|r| r == x.requirement) {
                    reqs.push(x.requirement.to_string());
                }
            }
        }
        let checks = vec![CheckResult::unsourced(
            format!("no token for an invalid request: {}", reason.why),
            reason.requirement.into(),
            (reason.level, reason.level.failure_verdict()),
            serde_json::json!({"status": r.status, "token": "issued"}),
            "an error response, no token".into(),
        )];
        out.push(Violation {
            oracle: Oracle::TokenForInvalid,
            level: reason.level,
            requirements: reqs,
            message: format!("token issued although {}", reason.why),
            checks,
        });
    }

    if (200..300).contains(&r.status) {
        // RFC 6749 §5.1: JSON object with access_token and token_type; expires_in a number.
        let mut problems: Vec<String> = not_json(r).into_iter().collect();
        match &json {
            None => problems.push("body is not a JSON object".into()),
            Some(m) => {
                if !m.get("access_token").is_some_and(|v| v.is_string()) {
                    problems.push("access_token missing or not a string".into());
                }
                if !m.get("token_type").is_some_and(|v| v.is_string()) {
                    problems.push("token_type missing or not a string".into());
                }
                if m.get("expires_in").is_some_and(|v| !v.is_number()) {
                    problems.push("expires_in is not a JSON number".into());
                }
                if e == Endpoint::Exchange
                    && o.own_grant
                    && !m.get("issued_token_type").is_some_and(|v| v.is_string())
                {
                    problems.push("issued_token_type missing".into());
                }
            }
        }
        if !problems.is_empty() {
            out.push(violation(
                Oracle::TokenResponse,
                e,
                format!("malformed success response: {}", problems.join("; ")),
                snippet(r),
                "JSON object with access_token, token_type (RFC 6749 §5.1)",
            ));
        }
    }
    if carries_token && !has_directive(r, "pragma", "no-cache") {
        out.push(violation(
            Oracle::TokenPragma,
            e,
            "token response without Pragma: no-cache".into(),
            serde_json::json!(r.headers_all("pragma").collect::<Vec<_>>()),
            "no-cache",
        ));
    }
    if carries_token && !has_no_store(r) {
        out.push(violation(
            Oracle::TokenCacheControl,
            e,
            "token response without Cache-Control: no-store".into(),
            serde_json::json!(r.headers_all("cache-control").collect::<Vec<_>>()),
            "directive no-store",
        ));
    }

    if matches!(r.status, 400 | 401) {
        let mut problems: Vec<String> = not_json(r).into_iter().collect();
        match &json {
            None => problems.push("body is not a JSON object".into()),
            Some(m) => match m.get("error") {
                Some(serde_json::Value::String(code)) => {
                    if let Some(v) = error_code(o, code) {
                        out.push(v);
                    }
                    if !REGISTERED_ERRORS.contains(&code.as_str()) {
                        problems.push(format!("error code {code:?} is not registered"));
                    }
                    if r.status == 401 && code != "invalid_client" {
                        problems.push(format!(
                            "401 with error {code:?} (only invalid_client may use 401)"
                        ));
                    }
                    match m.get("error_description") {
                        Some(serde_json::Value::String(d)) if !desc_ok(d) => problems
                            .push("error_description has characters outside RFC 6749 §5.2".into()),
                        Some(v) if !v.is_string() => {
                            problems.push("error_description is not a string".into())
                        }
                        _ => {}
                    }
                    match m.get("error_uri") {
                        Some(serde_json::Value::String(u)) if !uri_ok(u) => {
                            problems.push("error_uri has characters outside RFC 6749 §5.2".into())
                        }
                        Some(v) if !v.is_string() => {
                            problems.push("error_uri is not a string".into())
                        }
                        _ => {}
                    }
                }
                Some(_) => problems.push("error is not a string".into()),
                None => problems.push("no error member".into()),
            },
        }
        let basic = matches!(
            o.client_auth,
            ClientAuth::Basic
                | ClientAuth::BasicWrongSecret
                | ClientAuth::BasicMalformed
                | ClientAuth::BasicAndPost
        );
        if r.status == 401 && basic && r.header("www-authenticate").is_none() {
            problems
                .push("401 to Authorization-header credentials without WWW-Authenticate".into());
        }
        if !problems.is_empty() {
            out.push(violation(
                Oracle::ErrorFormat,
                e,
                format!("malformed error response: {}", problems.join("; ")),
                snippet(r),
                "application/json {\"error\": <registered code>} (RFC 6749 §5.2)",
            ));
        }
    } else if (300..500).contains(&r.status) && !HTTP_LAYER.contains(&r.status) {
        out.push(violation(
            Oracle::ErrorStatus,
            e,
            format!("token request refused with HTTP {}", r.status),
            serde_json::json!(r.status),
            "400, or 401 for invalid_client (RFC 6749 §5.2)",
        ));
    }

    if !carries_token && r.status < 500 && !has_no_store(r) && r.status != 200 {
        out.push(violation(
            Oracle::ErrorCacheControl,
            e,
            "error response without Cache-Control: no-store (RFC 6749 requires it only with tokens)".into(),
            serde_json::json!(r.headers_all("cache-control").collect::<Vec<_>>()),
            "directive no-store (not required)",
        ));
    }

    if carries_token && let (Some(esc), Some(m)) = (o.escalation_scope, &json) {
        let in_scope = |s: Option<&str>| s.is_some_and(|s| s.split(' ').any(|x| x == esc));
        let granted = in_scope(m.get("scope").and_then(|v| v.as_str()));
        let in_token = m
            .get("access_token")
            .and_then(|v| v.as_str())
            .and_then(|t| crate::jose::segment_json(t.split('.').nth(1)?))
            .is_some_and(|c| in_scope(c.get("scope").and_then(|v| v.as_str())));
        if granted || in_token {
            out.push(violation(
                Oracle::ScopeEscalation,
                e,
                format!("issued scope includes {esc:?}, which the subject token does not hold"),
                serde_json::json!({"response_scope": m.get("scope"), "in_token": in_token}),
                "invalid_scope, or a narrower scope",
            ));
        }
    }

    if *o.expectation == Expectation::Valid && !carries_token && r.status < 500 {
        out.push(violation(
            Oracle::ValidRejected,
            e,
            format!("valid request refused with HTTP {}", r.status),
            snippet(r),
            "200 with a token",
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzz::model::Reason;

    fn resp(status: u16, headers: &[(&str, &str)], body: &str) -> Response {
        Response {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: body.to_string(),
            truncated: false,
            elapsed_ms: 0,
            received_at: 0,
        }
    }

    /// Every oracle over `r` answering a Basic-authenticated exchange the model judged `exp`.
    fn observe(
        exp: &Expectation,
        r: &Response,
        edit: impl FnOnce(&mut Observed),
    ) -> Vec<Violation> {
        let mut o = Observed {
            endpoint: Endpoint::Exchange,
            client_auth: ClientAuth::Basic,
            own_grant: true,
            clean: true,
            escalation_scope: None,
            expectation: exp,
            response: r,
            latency: Duration::from_millis(5),
            latency_bound: Duration::from_secs(5),
        };
        edit(&mut o);
        evaluate(&o)
    }

    fn run(exp: &Expectation, r: &Response) -> Vec<Oracle> {
        observe(exp, r, |_| {})
            .into_iter()
            .map(|v| v.oracle)
            .collect()
    }

    const TOKEN: &str = r#"{"access_token":"x","token_type":"N_A","issued_token_type":"urn:ietf:params:oauth:token-type:jwt","expires_in":60}"#;
    const JSON_NS: &[(&str, &str)] = &[
        ("content-type", "application/json"),
        ("cache-control", "no-cache, no-store"),
        ("pragma", "no-cache"),
    ];

    fn invalid(level: Level) -> Expectation {
        Expectation::Invalid(vec![Reason {
            requirement: "IC-TE-07",
            level,
            why: "missing".into(),
        }])
    }

    const NO_CC: &[(&str, &str)] = &[("content-type", "application/json"), ("pragma", "no-cache")];
    const NO_PRAGMA: &[(&str, &str)] = &[
        ("content-type", "application/json"),
        ("cache-control", "no-store"),
    ];
    const WWW: &[(&str, &str)] = &[
        ("content-type", "application/json"),
        ("cache-control", "no-store"),
        ("www-authenticate", "Basic"),
    ];
    const INVALID_REQUEST: &str =
        r#"{"error":"invalid_request","error_description":"missing subject_token"}"#;
    const VALID: Expectation = Expectation::Valid;
    const AMBIGUOUS: Expectation = Expectation::Ambiguous(vec![]);

    /// The oracles that fire, in order, for one answer to a Basic-authenticated exchange.
    #[rstest::rstest]
    #[case::token(VALID, 200, JSON_NS, TOKEN, &[])]
    #[case::refusal(invalid(Level::Must), 400, JSON_NS, INVALID_REQUEST, &[])]
    #[case::ambiguous_refused(AMBIGUOUS, 400, JSON_NS, INVALID_REQUEST, &[])]
    #[case::http_layer(AMBIGUOUS, 413, &[("cache-control", "no-store")], "", &[])]
    #[case::server_error(AMBIGUOUS, 500, &[], "oops", &[Oracle::ServerError])]
    #[case::token_without_no_store(VALID, 200, NO_CC, TOKEN, &[Oracle::TokenCacheControl])]
    #[case::token_without_pragma(VALID, 200, NO_PRAGMA, TOKEN, &[Oracle::TokenPragma])]
    #[case::wrong_error_code(invalid(Level::Must), 400, JSON_NS, r#"{"error":"invalid_grant"}"#, &[Oracle::ErrorCode])]
    #[case::unregistered_code(invalid(Level::Must), 400, JSON_NS, r#"{"error":"something_else"}"#, &[Oracle::ErrorCode, Oracle::ErrorFormat])]
    #[case::html_error(invalid(Level::Must), 400, &[("content-type", "text/html")], "<h1>bad</h1>", &[Oracle::ErrorFormat, Oracle::ErrorCacheControl])]
    #[case::bad_description(invalid(Level::Must), 400, JSON_NS, r#"{"error":"invalid_request","error_description":"quote \" here"}"#, &[Oracle::ErrorFormat])]
    #[case::basic_401_without_www_authenticate(invalid(Level::Must), 401, JSON_NS, r#"{"error":"invalid_client"}"#, &[Oracle::ErrorCode, Oracle::ErrorFormat])]
    #[case::non_client_error_with_401(invalid(Level::Must), 401, JSON_NS, r#"{"error":"invalid_grant"}"#, &[Oracle::ErrorCode, Oracle::ErrorFormat])]
    // A well-formed 401 (the error code is another oracle's business).
    #[case::well_formed_401(invalid(Level::Must), 401, WWW, r#"{"error":"invalid_client"}"#, &[Oracle::ErrorCode])]
    #[case::valid_refused_with_403(VALID, 403, JSON_NS, INVALID_REQUEST, &[Oracle::ErrorStatus, Oracle::ValidRejected])]
    fn oracles_that_fire(
        #[case] exp: Expectation,
        #[case] status: u16,
        #[case] headers: &[(&str, &str)],
        #[case] body: &str,
        #[case] want: &[Oracle],
    ) {
        assert_eq!(run(&exp, &resp(status, headers, body)), want);
    }

    #[test]
    fn grading_of_a_token_for_an_invalid_request_and_of_observations() {
        let v = observe(&invalid(Level::Should), &resp(200, JSON_NS, TOKEN), |o| {
            o.client_auth = ClientAuth::None
        });
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].verdict(), Verdict::Warn);
        assert_eq!(
            v[0].key(Endpoint::Exchange),
            "exchange-token-for-invalid-ic-te-07-should"
        );
        // Cache-Control on an error response is not required: an observation.
        let err = resp(400, NO_CC, r#"{"error":"invalid_request"}"#);
        let all = observe(&invalid(Level::Must), &err, |_| {});
        assert_eq!(all.len(), 1);
        assert!(all[0].is_observation());
        assert_eq!(all[0].verdict(), Verdict::Info);
    }

    #[test]
    fn one_table_row_per_oracle_named_as_serialized() {
        for (i, o) in Oracle::all().enumerate() {
            assert_eq!(o as usize, i);
            assert_eq!(serde_json::to_value(o).unwrap(), o.name());
        }
    }

    #[test]
    fn scope_escalation_in_response_or_token() {
        let judge = |body: &str| {
            let exp = Expectation::Ambiguous(vec![]);
            observe(&exp, &resp(200, JSON_NS, body), |o| {
                o.escalation_scope = Some("admin")
            })
            .into_iter()
            .map(|v| v.oracle)
            .collect::<Vec<_>>()
        };
        let ok = r#"{"access_token":"a.eyJzY29wZSI6InJlYWQifQ.c","token_type":"N_A","issued_token_type":"x","scope":"read"}"#;
        assert!(judge(ok).is_empty());
        // {"scope":"read admin"} in the grant, nothing in the response.
        let in_grant = r#"{"access_token":"a.eyJzY29wZSI6InJlYWQgYWRtaW4ifQ.c","token_type":"N_A","issued_token_type":"x"}"#;
        assert_eq!(judge(in_grant), vec![Oracle::ScopeEscalation]);
        let in_response =
            r#"{"access_token":"x","token_type":"N_A","issued_token_type":"x","scope":"admin"}"#;
        assert_eq!(judge(in_response), vec![Oracle::ScopeEscalation]);
    }
}

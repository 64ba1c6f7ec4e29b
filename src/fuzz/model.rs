//! What the specs say a generated request deserves: certainly invalid (and which requirement
//! makes it so, at which level), certainly valid, or ambiguous (the server may accept or refuse).
//!
//! Built from RFC 6749 §2.3, §3.1, §3.2; RFC 8693 §2.1; RFC 7523 §2.1, §3; RFC 8707 §2 and
//! draft-ietf-oauth-identity-chaining-17 §2.3.1, never from one server's behaviour. When in
//! doubt a request is ambiguous: a false "invalid" would accuse a conformant server.

use crate::fuzz::assertion::GrantBase;
use crate::fuzz::request::{
    ClientAuth, Endpoint, Form, FuzzRequest, KNOWN_PARAMS, Method, REGISTERED_TOKEN_TYPES, TT_JWT,
    TargetValue, Value,
};
use crate::verdict::Level;

/// Grant types registered for the token endpoint (RFC 6749 §4, RFC 7522, RFC 7523,
/// RFC 8628, RFC 8693).
pub const REGISTERED_GRANT_TYPES: &[&str] = &[
    "authorization_code",
    "password",
    "client_credentials",
    "refresh_token",
    crate::oauth::JWT_BEARER,
    "urn:ietf:params:oauth:grant-type:saml2-bearer",
    crate::oauth::TOKEN_EXCHANGE,
    "urn:ietf:params:oauth:grant-type:device_code",
];

/// One reason a request is invalid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason {
    pub requirement: &'static str,
    pub level: Level,
    pub why: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expectation {
    /// Every rule satisfied: the server is expected to issue a token.
    Valid,
    /// Legal variations whose outcome the specs leave open (reasons listed).
    Ambiguous(Vec<String>),
    /// Certainly invalid: no token may be issued.
    Invalid(Vec<Reason>),
}

impl Reason {
    /// The RFC 6749 §5.2 / RFC 8693 §2.2.2 / RFC 7523 §3.1 error codes a server may answer
    /// for this reason (empty: any).
    pub fn error_codes(&self) -> &'static [&'static str] {
        match self.requirement {
            "GEN-05" => &["unsupported_grant_type"],
            "GEN-02" | "IC-TE-02" | "IC-TE-06" | "IC-TE-07" | "IC-JB-01" | "IC-JB-10" => {
                &["invalid_request"]
            }
            "IC-TE-03" | "IC-TE-05" | "IC-TE-08" | "GEN-06" | "IC-JB-02" => {
                &["invalid_request", "invalid_target"]
            }
            // invalid_request covers "more than one authentication mechanism" (RFC 6749 §5.2).
            // RFC 6749 §5.2: a failed client authentication is invalid_client.
            "IC-TE-23" => &["invalid_client"],
            "IC-TE-22" | "IC-SC-01" | "IC-JB-08" | "IC-JB-09" => {
                &["invalid_client", "invalid_request"]
            }
            "IC-JB-03m" => &["invalid_grant", "invalid_request"],
            r if r.starts_with("IC-JB-03") || r == "IC-JB-05" => &["invalid_grant"],
            _ => &[],
        }
    }
}

impl Expectation {
    /// The reason that grades a token issued anyway: the highest level, then catalogue order.
    pub fn primary(&self) -> Option<&Reason> {
        match self {
            Expectation::Invalid(reasons) => reasons.iter().max_by(|a, b| {
                a.level
                    .cmp(&b.level)
                    .then_with(|| b.requirement.cmp(a.requirement))
            }),
            _ => None,
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            Expectation::Valid => "valid",
            Expectation::Ambiguous(_) => "ambiguous",
            Expectation::Invalid(_) => "invalid",
        }
    }
}

/// What the model knows about the target (from the target file or the mock's facts).
#[derive(Debug, Clone)]
pub struct ModelFacts {
    /// Client authentication methods the AS-A client is registered for.
    pub as_a_basic: bool,
    pub as_a_post: bool,
    /// Client authentication methods the AS-B client (if any) is registered for.
    pub as_b_basic: bool,
    pub as_b_post: bool,
    /// `Some(true)`: AS-B issues without client authentication; `Some(false)`: it requires
    /// it; `None`: unknown policy (IC-JB-09).
    pub as_b_client_auth_optional: Option<bool>,
    /// Whether `resource` (RFC 8707) values for RS-B are known to be accepted at AS-B.
    pub rs_resource_known: bool,
    /// The subject token's type URI.
    pub subject_token_type: String,
    /// The graded profile's exchange form, and the `requested_token_type` it sends.
    pub form: Form,
    pub requested_token_type: Option<String>,
    /// Target values this target does not have (no scope named, no audience alias...): they
    /// are sent empty.
    pub absent: Vec<TargetValue>,
}

impl ModelFacts {
    /// A target that accepts both secret methods at both servers and issues at AS-B without
    /// client authentication (unit tests).
    #[cfg(test)]
    pub fn lenient() -> ModelFacts {
        ModelFacts {
            as_a_basic: true,
            as_a_post: true,
            as_b_basic: true,
            as_b_post: true,
            as_b_client_auth_optional: Some(true),
            rs_resource_known: true,
            subject_token_type: crate::fuzz::request::TT_ACCESS_TOKEN.into(),
            form: Form::default(),
            requested_token_type: None,
            absent: Vec::new(),
        }
    }
}

/// What makes a request invalid, and what leaves its outcome open, as they are found.
#[derive(Debug, Default)]
pub struct Judge {
    reasons: Vec<Reason>,
    ambiguities: Vec<String>,
}

impl Judge {
    pub fn invalid(&mut self, requirement: &'static str, level: Level, why: impl Into<String>) {
        self.reasons.push(Reason {
            requirement,
            level,
            why: why.into(),
        });
    }

    pub fn ambiguous(&mut self, why: impl Into<String>) {
        self.ambiguities.push(why.into());
    }

    /// Invalid if any rule was broken, else ambiguous if anything was, else valid.
    pub fn expectation(self) -> Expectation {
        if !self.reasons.is_empty() {
            Expectation::Invalid(self.reasons)
        } else if !self.ambiguities.is_empty() {
            Expectation::Ambiguous(self.ambiguities)
        } else {
            Expectation::Valid
        }
    }
}

/// Classify `req`.
pub fn expect(req: &FuzzRequest, facts: &ModelFacts) -> Expectation {
    judge(req, facts).0
}

/// Classify `req`; also says whether nothing about it was ambiguous (then an error response
/// must name one of the reasons' error codes).
pub fn judge(req: &FuzzRequest, facts: &ModelFacts) -> (Expectation, bool) {
    // A value the target lacks is sent empty, which RFC 6749 §3.1 treats as omitted.
    let lacks = |v: &Value| matches!(v, Value::Target { which, suffix } if suffix.is_empty() && facts.absent.contains(which));
    let resolved;
    let req = if req.params.iter().any(|p| lacks(&p.value)) {
        let mut r = req.clone();
        for p in r.params.iter_mut().filter(|p| lacks(&p.value)) {
            p.value = Value::Empty;
        }
        resolved = r;
        &resolved
    } else {
        req
    };
    let mut j = Judge::default();
    if req.method != Method::Post {
        j.invalid(
            "GEN-01",
            Level::Must,
            "token requests use POST (RFC 6749 §3.2)",
        );
    }
    if !req.content_type.is_form() {
        j.ambiguous(format!("body sent as {:?}", req.content_type));
    }
    match req.endpoint {
        Endpoint::Exchange => exchange(req, facts, &mut j),
        Endpoint::Assertion => assertion(req, facts, &mut j),
    }
    unknown_params(req, &mut j);
    if req
        .params
        .iter()
        .any(|p| matches!(p.value, Value::Raw { .. }))
    {
        // Undecodable text may be refused as a malformed body (invalid_request) first.
        j.ambiguous("raw text in the body");
    }
    let clean = j.ambiguities.is_empty();
    (j.expectation(), clean)
}

/// Values of `name` after RFC 6749 §3.1 ("sent without a value MUST be treated as if
/// omitted"); `raw` counts every occurrence.
struct Occurrences<'a> {
    /// Non-empty values, in order.
    present: Vec<&'a Value>,
    /// Every occurrence, empty ones included.
    raw: usize,
    /// Present values that are not raw (raw text such as `&` may decode to nothing).
    certain: usize,
}

fn occurrences<'a>(req: &'a FuzzRequest, name: &str) -> Occurrences<'a> {
    let all = req.values(name);
    let raw = all.len();
    let present: Vec<&Value> = all.into_iter().filter(|v| !v.is_empty_value()).collect();
    let certain = present
        .iter()
        .filter(|v| !matches!(v, Value::Raw { .. }))
        .count();
    Occurrences {
        present,
        raw,
        certain,
    }
}

/// A parameter that must appear exactly once; returns its value when it does.
fn single<'a>(
    req: &'a FuzzRequest,
    name: &str,
    missing: (&'static str, Level),
    j: &mut Judge,
) -> Option<&'a Value> {
    let occ = occurrences(req, name);
    match (occ.present.len(), occ.certain) {
        (0, _) => {
            j.invalid(missing.0, missing.1, format!("`{name}` missing or empty"));
            None
        }
        (1, _) => {
            if occ.raw > 1 {
                j.ambiguous(format!(
                    "`{name}` also sent empty (RFC 6749 §3.1 treats that as omitted)"
                ));
            }
            Some(occ.present[0])
        }
        (_, 0 | 1) => {
            j.ambiguous(format!(
                "`{name}` repeated with raw text that may decode to nothing"
            ));
            None
        }
        _ => {
            j.invalid(
                "GEN-02",
                Level::Must,
                format!("`{name}` repeated (RFC 6749 §3.2)"),
            );
            None
        }
    }
}

/// An optional parameter that must not repeat; returns its value when present once.
fn optional<'a>(req: &'a FuzzRequest, name: &str, j: &mut Judge) -> Option<&'a Value> {
    let occ = occurrences(req, name);
    match (occ.present.len(), occ.certain) {
        (0, _) => None,
        (_, c) if c < occ.present.len() => {
            // Raw text may be garbage or nothing at all: either outcome is legal.
            j.ambiguous(format!("`{name}` carries raw text"));
            None
        }
        (1, _) => {
            if occ.raw > 1 {
                j.ambiguous(format!("`{name}` also sent empty"));
            }
            Some(occ.present[0])
        }
        _ => {
            j.invalid(
                "GEN-02",
                Level::Must,
                format!("`{name}` repeated (RFC 6749 §3.2)"),
            );
            None
        }
    }
}

/// Judge `grant_type`; true when it names another registered grant, whose parameters the
/// model does not judge.
fn grant_type(req: &FuzzRequest, j: &mut Judge, missing_req: &'static str) -> bool {
    if let Some(v) = single(req, "grant_type", (missing_req, Level::Must), j) {
        match v {
            Value::Text { text } if text == req.endpoint.grant_type() => {}
            // Another real grant (e.g. client_credentials) makes this a different, possibly
            // valid request: the other parameters are then unknown and ignored.
            Value::Text { text } if REGISTERED_GRANT_TYPES.contains(&text.as_str()) => {
                j.ambiguous(format!("grant_type {text} is another grant"));
                return true;
            }
            _ => j.invalid(
                "GEN-05",
                Level::Must,
                "grant_type is not a registered grant type",
            ),
        }
    }
    false
}

fn client_auth_a(req: &FuzzRequest, facts: &ModelFacts, j: &mut Judge) {
    match req.client_auth {
        ClientAuth::Basic if facts.as_a_basic => {}
        ClientAuth::Post if facts.as_a_post => {}
        ClientAuth::Basic | ClientAuth::Post => {
            j.ambiguous("client auth method not registered for the client")
        }
        ClientAuth::None | ClientAuth::PostIdOnly => j.invalid(
            "IC-SC-01",
            Level::Should,
            "confidential client did not authenticate (IC §5.1, RFC 6749 §3.2.1)",
        ),
        // Credentials that were sent and fail are IC-TE-23 (MUST), as the suite case
        // `client-binding/exchange-wrong-client-secret` grades them; IC-TE-22 is the policy row.
        ClientAuth::BasicWrongSecret | ClientAuth::PostWrongSecret => j.invalid(
            "IC-TE-23",
            Level::Must,
            "wrong client secret (RFC 6749 §3.2.1)",
        ),
        ClientAuth::UnknownClient => {
            j.invalid("IC-TE-23", Level::Must, "unknown client (RFC 6749 §3.2.1)")
        }
        ClientAuth::BasicAndPost => j.invalid(
            "IC-TE-22",
            Level::Must,
            "more than one client authentication method (RFC 6749 §2.3)",
        ),
        ClientAuth::BasicMalformed => j.invalid(
            "IC-TE-22",
            Level::Must,
            "malformed Basic credentials (RFC 6749 §2.3.1)",
        ),
    }
}

fn client_auth_b(req: &FuzzRequest, facts: &ModelFacts, j: &mut Judge) {
    match req.client_auth {
        ClientAuth::Basic if facts.as_b_basic => {}
        ClientAuth::Post if facts.as_b_post => {}
        ClientAuth::None if facts.as_b_client_auth_optional == Some(true) => {}
        ClientAuth::None if facts.as_b_client_auth_optional == Some(false) => j.invalid(
            "IC-JB-09",
            Level::Must,
            "AS-B requires client authentication and none was sent",
        ),
        ClientAuth::None => j.ambiguous("client authentication policy at AS-B unknown (IC-JB-09)"),
        ClientAuth::PostIdOnly => j.ambiguous("client_id without credentials"),
        ClientAuth::Basic | ClientAuth::Post => {
            j.ambiguous("AS-B client not configured, or not registered for the method")
        }
        ClientAuth::BasicWrongSecret
        | ClientAuth::PostWrongSecret
        | ClientAuth::UnknownClient
        | ClientAuth::BasicMalformed => j.invalid(
            "IC-JB-08",
            Level::Must,
            "client credentials sent but not valid (RFC 7523 §3.1)",
        ),
        ClientAuth::BasicAndPost => j.invalid(
            "IC-JB-08",
            Level::Must,
            "more than one client authentication method (RFC 6749 §2.3)",
        ),
    }
}

/// RFC 8707 §2: absolute URI, no fragment.
enum UriClass {
    Good,
    Ambiguous,
    Unknown,
    Malformed,
    /// Raw text: malformed, or nothing at all once decoded.
    Raw,
}

fn classify_target(v: &Value, good: &[TargetValue], maybe: &[TargetValue]) -> UriClass {
    match v {
        Value::Target { which, suffix } => {
            if suffix.contains('#') {
                UriClass::Malformed
            } else if !suffix.is_empty() {
                UriClass::Ambiguous
            } else if good.contains(which) {
                UriClass::Good
            } else if maybe.contains(which) {
                UriClass::Ambiguous
            } else {
                UriClass::Unknown
            }
        }
        Value::Text { text } => classify_uri_text(text),
        Value::Repeat { prefix, unit, .. } => classify_uri_text(&format!("{prefix}{unit}")),
        // Raw text has no defined decoding: never an identifier of AS-B.
        Value::Raw { .. } => UriClass::Raw,
        Value::Assertion { .. } => UriClass::Malformed,
        Value::Empty => UriClass::Unknown,
    }
}

fn classify_uri_text(text: &str) -> UriClass {
    match url::Url::parse(text) {
        Ok(u) if u.fragment().is_some() => UriClass::Malformed,
        Ok(u) if u.cannot_be_a_base() && !text.starts_with("urn:") => UriClass::Unknown,
        Ok(_) => UriClass::Unknown,
        Err(_) => UriClass::Malformed,
    }
}

fn exchange(req: &FuzzRequest, facts: &ModelFacts, j: &mut Judge) {
    client_auth_a(req, facts, j);
    if grant_type(req, j, "IC-TE-02") {
        return;
    }
    if let Some(v) = single(req, "subject_token", ("IC-TE-07", Level::Must), j)
        && *v != Value::target(TargetValue::SubjectToken)
    {
        let why = if *v == Value::target(TargetValue::ForgedSubjectToken) {
            "subject_token's signature altered"
        } else {
            "subject_token is not a token AS-A issued"
        };
        j.invalid("IC-TE-06", Level::Must, why);
    }
    if let Some(v) = single(req, "subject_token_type", ("IC-TE-07", Level::Must), j) {
        token_type_value(v, facts, j, "subject_token_type");
    }
    // actor_token_type is REQUIRED with actor_token and MUST NOT appear without it.
    let raw_in = |name: &str| {
        req.values(name)
            .iter()
            .any(|v| matches!(v, Value::Raw { .. }))
    };
    if raw_in("actor_token") || raw_in("actor_token_type") {
        j.ambiguous("actor parameters carry raw text");
    } else {
        let actor = optional(req, "actor_token", j);
        let actor_type = optional(req, "actor_token_type", j);
        match (actor, actor_type) {
            (Some(_), None) => j.invalid(
                "IC-TE-07",
                Level::Must,
                "actor_token without actor_token_type",
            ),
            (None, Some(_)) => j.invalid(
                "IC-TE-07",
                Level::Must,
                "actor_token_type without actor_token",
            ),
            (Some(_), Some(_)) => j.ambiguous("delegation with an actor token is policy"),
            (None, None) => {}
        }
    }
    let requested = optional(req, "requested_token_type", j);
    if facts.form.requested_type && requested.is_none() {
        j.ambiguous("no requested_token_type where the profile's form sends one");
    }
    if let Some(v) = requested {
        match v {
            Value::Target {
                which: TargetValue::RequestedTokenType,
                suffix,
            } if suffix.is_empty() && facts.form.requested_type => {}
            Value::Text { text } if facts.requested_token_type.as_ref() == Some(text) => {}
            Value::Text { text } if text == TT_JWT && !facts.form.requested_type => {}
            Value::Text { text } if text == TT_JWT => {
                j.ambiguous("requested_token_type other than the profile's form")
            }
            Value::Text { text } if REGISTERED_TOKEN_TYPES.contains(&text.as_str()) => {
                j.ambiguous("another registered requested_token_type")
            }
            Value::Target {
                which: TargetValue::SubjectTokenType,
                suffix,
            } if suffix.is_empty() => {
                j.ambiguous("requested_token_type equal to the subject token's type")
            }
            _ => j.invalid(
                "IC-TE-08",
                Level::Must,
                "requested_token_type is not a type AS-A can issue",
            ),
        }
    }
    if let Some(v) = optional(req, "scope", j)
        && *v != Value::target(TargetValue::HeldScope)
    {
        j.ambiguous(
            "scope other than one the subject holds (IC-TE-09 allows narrowing or invalid_scope)",
        );
    }
    // resource / audience: RFC 8693 allows several of each; IC §2.3.1: one of them REQUIRED.
    let mut classes = Vec::new();
    for name in ["resource", "audience"] {
        let occ = occurrences(req, name);
        if occ.raw > occ.present.len() {
            j.ambiguous(format!("empty `{name}` alongside"));
        }
        if occ.present.len() > 1 {
            j.ambiguous(format!(
                "several `{name}` values (RFC 8693 §2.1 allows them)"
            ));
        }
        for v in occ.present {
            let c = if name == "resource" && facts.form.audience {
                // The form names AS-B with `audience`; `resource` names a protected resource
                // (ID-JAG §4.3), which AS-B's identifiers may or may not be.
                classify_target(
                    v,
                    &[],
                    &[TargetValue::AsBIssuer, TargetValue::AsBTokenEndpoint],
                )
            } else if name == "resource" {
                classify_target(
                    v,
                    &[TargetValue::AsBIssuer],
                    &[TargetValue::AsBTokenEndpoint],
                )
            } else if facts.form.audience {
                // The form names AS-B by its issuer or its alias (exchange_form).
                classify_target(
                    v,
                    &[TargetValue::AsBAudience, TargetValue::AsBIssuer],
                    &[TargetValue::AsBTokenEndpoint],
                )
            } else {
                classify_target(
                    v,
                    &[TargetValue::AsBAudience],
                    &[TargetValue::AsBIssuer, TargetValue::AsBTokenEndpoint],
                )
            };
            if name == "audience" && matches!(c, UriClass::Malformed) {
                // `audience` is any logical name, not necessarily a URI.
                classes.push(UriClass::Unknown);
            } else {
                classes.push(c);
            }
        }
    }
    if facts.form.audience && occurrences(req, "audience").present.is_empty() {
        j.ambiguous("no audience where the profile's form names AS-B with it");
    }
    if classes.is_empty() {
        j.invalid(
            "IC-TE-03",
            Level::Must,
            "neither resource nor audience names AS-B",
        );
    } else if classes.iter().any(|c| matches!(c, UriClass::Malformed)) {
        j.invalid(
            "IC-TE-05",
            Level::Must,
            "resource is not an absolute URI without fragment (RFC 8707 §2)",
        );
    } else if classes
        .iter()
        .all(|c| matches!(c, UriClass::Unknown | UriClass::Raw))
    {
        j.invalid(
            "IC-TE-05",
            Level::Must,
            "resource/audience names no AS that AS-A knows",
        );
    } else if classes.iter().any(|c| !matches!(c, UriClass::Good)) {
        j.ambiguous("a target besides AS-B, or AS-B named another way");
    }
}

fn token_type_value(v: &Value, facts: &ModelFacts, j: &mut Judge, name: &str) {
    match v {
        Value::Target {
            which: TargetValue::SubjectTokenType,
            suffix,
        } if suffix.is_empty() => {}
        Value::Text { text } if *text == facts.subject_token_type => {}
        // A JWT access token is also a JWT: `jwt` may be accepted.
        Value::Text { text } if text == TT_JWT => {
            j.ambiguous(format!("{name} is the generic JWT type"))
        }
        _ => j.invalid(
            "IC-TE-06",
            Level::Must,
            format!("{name} does not describe the subject token"),
        ),
    }
}

fn assertion(req: &FuzzRequest, facts: &ModelFacts, j: &mut Judge) {
    client_auth_b(req, facts, j);
    if grant_type(req, j, "IC-JB-01") {
        return;
    }
    if let Some(v) = single(req, "assertion", ("IC-JB-10", Level::Must), j) {
        match v {
            Value::Assertion { grant } => {
                grant.judge(j);
                if grant.base == GrantBase::Real {
                    j.ambiguous("grant from AS-A");
                }
            }
            _ => j.invalid("IC-JB-03m", Level::Must, "assertion is not a JWT"),
        }
    }
    if optional(req, "scope", j).is_some() {
        j.ambiguous("scope at AS-B is narrowed or refused by policy (IC-JB-15)");
    }
    let occ = occurrences(req, "resource");
    if occ.present.len() > 1 || occ.raw > occ.present.len() {
        j.ambiguous("several or empty `resource` values");
    }
    for v in occ.present {
        match classify_target(v, &[TargetValue::RsResource], &[]) {
            UriClass::Good if facts.rs_resource_known => {}
            UriClass::Good | UriClass::Ambiguous => {
                j.ambiguous("resource not known to be served by AS-B")
            }
            UriClass::Raw => j.ambiguous("resource is raw text"),
            UriClass::Malformed => j.invalid(
                "GEN-06",
                Level::Must,
                "resource is not an absolute URI without fragment (RFC 8707 §2)",
            ),
            UriClass::Unknown => j.invalid("IC-JB-02", Level::Should, "resource unknown to AS-B"),
        }
    }
}

/// Unknown parameters MUST be ignored (RFC 6749 §3.2), so they never make a request invalid;
/// only the unusual ones make it ambiguous.
fn unknown_params(req: &FuzzRequest, j: &mut Judge) {
    let known_here: &[&str] = match req.endpoint {
        Endpoint::Exchange => &[
            "grant_type",
            "subject_token",
            "subject_token_type",
            "actor_token",
            "actor_token_type",
            "requested_token_type",
            "scope",
            "resource",
            "audience",
        ],
        Endpoint::Assertion => &["grant_type", "assertion", "scope", "resource"],
    };
    let mut seen = Vec::new();
    for p in &req.params {
        if known_here.contains(&p.name.as_str()) {
            continue;
        }
        if KNOWN_PARAMS.contains(&p.name.as_str()) {
            j.ambiguous(format!("parameter `{}` defined for other grants", p.name));
        } else if KNOWN_PARAMS.iter().any(|k| k.eq_ignore_ascii_case(&p.name)) {
            j.ambiguous(format!(
                "`{}` differs from a defined parameter only in case",
                p.name
            ));
        } else if seen.contains(&&p.name) {
            j.ambiguous(format!("unknown parameter `{}` repeated", p.name));
        }
        if matches!(p.value, Value::Raw { .. }) || p.value.approx_len() > 4096 || p.name.len() > 256
        {
            j.ambiguous(format!(
                "unknown parameter `{}` with an unusual value",
                p.name
            ));
        }
        if !p.name.is_ascii()
            || p.name
                .chars()
                .any(|c| c.is_control() || c == '%' || c == '+')
        {
            j.ambiguous("unknown parameter with an unusual name");
        }
        seen.push(&p.name);
    }
    if req.params.iter().any(|p| p.value.approx_len() > 16 * 1024) {
        j.ambiguous("oversized body (servers may answer 413)");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzz::assertion::{AssertionSpec, ClaimsMutation};
    use crate::fuzz::request::{ContentType, Param, TT_ACCESS_TOKEN};
    use rstest::rstest;

    fn remove(req: &mut FuzzRequest, name: &str) {
        req.params.retain(|p| p.name != name);
    }

    fn dup(req: &mut FuzzRequest, name: &str) {
        let p = req.params.iter().find(|p| p.name == name).unwrap().clone();
        req.params.push(p);
    }

    /// `name`'s first value replaced by `v`.
    fn set(req: &mut FuzzRequest, name: &str, v: Value) {
        req.params
            .iter_mut()
            .find(|p| p.name == name)
            .unwrap()
            .value = v;
    }

    /// The expectation in short: `valid`, `ambiguous`, or the primary reason's `ID Level`.
    fn judged(req: &FuzzRequest, facts: &ModelFacts) -> String {
        match expect(req, facts) {
            Expectation::Valid => "valid".into(),
            Expectation::Ambiguous(_) => "ambiguous".into(),
            e => e
                .primary()
                .map(|r| format!("{} {:?}", r.requirement, r.level))
                .unwrap(),
        }
    }

    type Edit = fn(&mut FuzzRequest);

    /// The baseline of `endpoint`, edited, against a target accepting both secret methods.
    #[rstest]
    #[case::exchange_baseline(Endpoint::Exchange, |_: &mut FuzzRequest| {}, "valid")]
    #[case::assertion_baseline(Endpoint::Assertion, |_: &mut FuzzRequest| {}, "valid")]
    #[case::body_credentials(Endpoint::Exchange, |r: &mut FuzzRequest| r.client_auth = ClientAuth::Post, "valid")]
    #[case::missing_subject_token(Endpoint::Exchange, |r: &mut FuzzRequest| remove(r, "subject_token"), "IC-TE-07 Must")]
    #[case::missing_subject_token_type(Endpoint::Exchange, |r: &mut FuzzRequest| remove(r, "subject_token_type"), "IC-TE-07 Must")]
    #[case::missing_grant_type(Endpoint::Exchange, |r: &mut FuzzRequest| remove(r, "grant_type"), "IC-TE-02 Must")]
    #[case::missing_target(Endpoint::Exchange, |r: &mut FuzzRequest| remove(r, "resource"), "IC-TE-03 Must")]
    #[case::repeated_grant_type(Endpoint::Exchange, |r: &mut FuzzRequest| dup(r, "grant_type"), "GEN-02 Must")]
    #[case::repeated_assertion(Endpoint::Assertion, |r: &mut FuzzRequest| dup(r, "assertion"), "GEN-02 Must")]
    #[case::repeated_resource(Endpoint::Exchange, |r: &mut FuzzRequest| dup(r, "resource"), "ambiguous")]
    #[case::empty_is_absent(Endpoint::Exchange, |r: &mut FuzzRequest| set(r, "subject_token", Value::Empty), "IC-TE-07 Must")]
    // A good value plus an empty duplicate is not clearly a repetition.
    #[case::empty_duplicate(Endpoint::Exchange, |r: &mut FuzzRequest| r.params.push(Param::new("grant_type", Value::Empty)), "ambiguous")]
    #[case::unknown_parameter(Endpoint::Exchange, |r: &mut FuzzRequest| r.params.push(Param::new("x_foo", Value::text("bar"))), "valid")]
    #[case::unknown_unicode_parameter(Endpoint::Assertion, |r: &mut FuzzRequest| r.params.push(Param::new("chainproof", Value::text("é😀"))), "valid")]
    #[case::relative_resource(Endpoint::Exchange, |r: &mut FuzzRequest| set(r, "resource", Value::text("/as-b")), "IC-TE-05 Must")]
    #[case::resource_not_a_uri(Endpoint::Exchange, |r: &mut FuzzRequest| set(r, "resource", Value::text("not a uri")), "IC-TE-05 Must")]
    #[case::resource_with_fragment(Endpoint::Exchange, |r: &mut FuzzRequest| set(r, "resource", Value::text("https://as-b.example/#frag")), "IC-TE-05 Must")]
    #[case::unknown_resource(Endpoint::Exchange, |r: &mut FuzzRequest| set(r, "resource", Value::text("https://unknown.invalid/")), "IC-TE-05 Must")]
    #[case::unknown_resource_beside_a_good_audience(Endpoint::Exchange, |r: &mut FuzzRequest| {
        set(r, "resource", Value::text("https://x.invalid"));
        r.params.push(Param::new("audience", Value::target(TargetValue::AsBAudience)));
    }, "ambiguous")]
    #[case::no_client_auth(Endpoint::Exchange, |r: &mut FuzzRequest| r.client_auth = ClientAuth::None, "IC-SC-01 Should")]
    #[case::wrong_secret(Endpoint::Exchange, |r: &mut FuzzRequest| r.client_auth = ClientAuth::BasicWrongSecret, "IC-TE-23 Must")]
    #[case::optional_at_b(Endpoint::Assertion, |r: &mut FuzzRequest| r.client_auth = ClientAuth::None, "valid")]
    #[case::unknown_client_at_b(Endpoint::Assertion, |r: &mut FuzzRequest| r.client_auth = ClientAuth::UnknownClient, "IC-JB-08 Must")]
    #[case::get(Endpoint::Exchange, |r: &mut FuzzRequest| r.method = Method::Get, "GEN-01 Must")]
    #[case::mixed_case_form(Endpoint::Exchange, |r: &mut FuzzRequest| r.content_type = ContentType::FormMixedCase, "valid")]
    #[case::json(Endpoint::Exchange, |r: &mut FuzzRequest| r.content_type = ContentType::Json, "ambiguous")]
    #[case::expired_grant(Endpoint::Assertion, |r: &mut FuzzRequest| r.params[1].value = Value::Assertion {
        grant: AssertionSpec { claims: ClaimsMutation::ExpPast, ..AssertionSpec::valid() },
    }, "IC-JB-03i Must")]
    #[case::assertion_not_a_jwt(Endpoint::Assertion, |r: &mut FuzzRequest| r.params[1].value = Value::text("not-a-jwt"), "IC-JB-03m Must")]
    #[case::access_token_type(Endpoint::Exchange, |r: &mut FuzzRequest| r.params[2].value = Value::text(TT_ACCESS_TOKEN), "valid")]
    #[case::generic_jwt_type(Endpoint::Exchange, |r: &mut FuzzRequest| r.params[2].value = Value::text(TT_JWT), "ambiguous")]
    #[case::unknown_token_type(Endpoint::Exchange, |r: &mut FuzzRequest| r.params[2].value = Value::text("urn:example:nope"), "IC-TE-06 Must")]
    fn judged_by_the_specs(#[case] endpoint: Endpoint, #[case] edit: Edit, #[case] want: &str) {
        let mut req = FuzzRequest::baseline(endpoint);
        edit(&mut req);
        assert_eq!(judged(&req, &ModelFacts::lenient()), want);
    }

    /// The graded profile's exchange form (ID-JAG §4.3: AS-B named by `audience`, a
    /// `requested_token_type`): the baseline in that form is valid, other forms are ambiguous.
    #[rstest]
    #[case::in_the_form(|_: &mut FuzzRequest| {}, "valid")]
    #[case::resource_instead(|r: &mut FuzzRequest| {
        remove(r, "audience");
        r.params.push(Param::new("resource", Value::target(TargetValue::AsBIssuer)));
    }, "ambiguous")]
    #[case::no_requested_type(|r: &mut FuzzRequest| remove(r, "requested_token_type"), "ambiguous")]
    #[case::the_forms_type_as_text(|r: &mut FuzzRequest| set(r, "requested_token_type", Value::text("urn:x:id-jag")), "valid")]
    #[case::generic_jwt(|r: &mut FuzzRequest| set(r, "requested_token_type", Value::text(TT_JWT)), "ambiguous")]
    fn judged_in_the_profiles_form(#[case] edit: Edit, #[case] want: &str) {
        let form = Form {
            audience: true,
            requested_type: true,
        };
        let facts = ModelFacts {
            form,
            requested_token_type: Some("urn:x:id-jag".into()),
            ..ModelFacts::lenient()
        };
        let mut req = form.apply(FuzzRequest::baseline(Endpoint::Exchange));
        edit(&mut req);
        assert_eq!(judged(&req, &facts), want);
    }

    #[test]
    fn values_the_target_lacks_are_sent_empty() {
        let mut req = FuzzRequest::baseline(Endpoint::Exchange);
        let held = Param::new("scope", Value::target(TargetValue::HeldScope));
        req.params.extend([held.clone(), held]);
        let facts = ModelFacts {
            absent: vec![TargetValue::HeldScope],
            ..ModelFacts::lenient()
        };
        assert_eq!(judged(&req, &facts), "valid");
        assert_eq!(judged(&req, &ModelFacts::lenient()), "GEN-02 Must");
    }
}

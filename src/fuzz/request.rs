//! The fuzzer's request model: one token request (RFC 6749 §3.2, RFC 8693 §2.1, RFC 7523 §2.1)
//! described symbolically, so that it can be shrunk, logged without secrets, saved to a replay
//! file and rendered into bytes against any target.
//!
//! Values that depend on the target (subject token, AS-B identifier, credentials, a signed grant)
//! are placeholders here; [`crate::fuzz::render`] resolves them when a request is sent.

use crate::fuzz::assertion::AssertionSpec;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Which token request is fuzzed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Endpoint {
    /// RFC 8693 token exchange at AS-A's token endpoint.
    Exchange,
    /// RFC 7523 jwt-bearer grant at AS-B's token endpoint.
    Assertion,
}

impl Endpoint {
    /// The party whose endpoint this is: findings there are charged to it.
    pub fn party(self) -> crate::party::Party {
        match self {
            Endpoint::Exchange => crate::party::Party::AsA,
            Endpoint::Assertion => crate::party::Party::AsB,
        }
    }
}

impl Endpoint {
    pub fn as_str(self) -> &'static str {
        match self {
            Endpoint::Exchange => "exchange",
            Endpoint::Assertion => "assertion",
        }
    }

    /// The `grant_type` a valid request carries.
    pub fn grant_type(self) -> &'static str {
        match self {
            Endpoint::Exchange => TOKEN_EXCHANGE,
            Endpoint::Assertion => JWT_BEARER,
        }
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

pub use crate::oauth::{JWT_BEARER, TOKEN_EXCHANGE, TT_ACCESS_TOKEN, TT_JWT};
/// RFC 8693 §3 token-type identifiers.
pub const REGISTERED_TOKEN_TYPES: &[&str] = &[
    "urn:ietf:params:oauth:token-type:access_token",
    "urn:ietf:params:oauth:token-type:refresh_token",
    "urn:ietf:params:oauth:token-type:id_token",
    "urn:ietf:params:oauth:token-type:saml1",
    "urn:ietf:params:oauth:token-type:saml2",
    "urn:ietf:params:oauth:token-type:jwt",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    Post,
    Get,
}

/// The `Content-Type` header and how the parameters are put into the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ContentType {
    /// `application/x-www-form-urlencoded` (RFC 6749 §3.2).
    Form,
    /// `application/x-www-form-urlencoded; charset=UTF-8`: equivalent.
    FormUtf8,
    /// `Application/X-WWW-Form-URLEncoded`: media types are case-insensitive, so equivalent.
    FormMixedCase,
    /// A form body without any `Content-Type` header.
    Missing,
    /// A form body labelled `text/plain`.
    TextPlain,
    /// The parameters as a JSON object, labelled `application/json`.
    Json,
    /// A form body labelled with a non-UTF-8 charset.
    FormLatin1,
}

impl ContentType {
    pub fn header(self) -> Option<&'static str> {
        match self {
            ContentType::Form => Some("application/x-www-form-urlencoded"),
            ContentType::FormUtf8 => Some("application/x-www-form-urlencoded; charset=UTF-8"),
            ContentType::FormMixedCase => Some("Application/X-WWW-Form-URLEncoded"),
            ContentType::Missing => None,
            ContentType::TextPlain => Some("text/plain"),
            ContentType::Json => Some("application/json"),
            ContentType::FormLatin1 => {
                Some("application/x-www-form-urlencoded; charset=ISO-8859-1")
            }
        }
    }

    /// Whether a server must read this body as the form RFC 6749 §3.2 prescribes.
    pub fn is_form(self) -> bool {
        matches!(
            self,
            ContentType::Form | ContentType::FormUtf8 | ContentType::FormMixedCase
        )
    }
}

/// How the form body percent-encodes values (all variants decode to the same parameters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BodyEncoding {
    /// WHATWG `application/x-www-form-urlencoded` serializer (`+` for space).
    Standard,
    /// Every byte as `%XX` (upper-case hex).
    PercentAll,
    /// Every byte as `%xx` (lower-case hex).
    PercentAllLower,
}

/// How the client authenticates (RFC 6749 §2.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClientAuth {
    None,
    Basic,
    Post,
    /// `client_id` in the body, no secret (a public-client request).
    PostIdOnly,
    BasicWrongSecret,
    PostWrongSecret,
    /// A client id the server does not know, with a secret.
    UnknownClient,
    /// Both HTTP Basic and body credentials (RFC 6749 §2.3: MUST NOT use more than one method).
    BasicAndPost,
    /// `Authorization: Basic` whose value is not base64 of `id:secret`.
    BasicMalformed,
}

/// A value the target supplies, resolved at send time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TargetValue {
    SubjectToken,
    /// The subject token with one character of its signature changed (the middle of the
    /// last segment of a JWS, where every base64url character carries six bits; the middle
    /// of an opaque token): a token AS-A never issued, which only a verifier notices.
    ForgedSubjectToken,
    SubjectTokenType,
    AsBIssuer,
    AsBTokenEndpoint,
    AsBAudience,
    RsResource,
    HeldScope,
    EscalationScope,
    /// The `requested_token_type` of the graded profile's exchange form (ID-JAG §4.3: id-jag).
    RequestedTokenType,
}

/// One parameter value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Value {
    /// `name=` (RFC 6749 §3.1: treated as if omitted).
    Empty,
    /// A literal, encoded by the body encoding.
    Text { text: String },
    /// A target value followed by a literal suffix (e.g. `#frag`).
    Target {
        which: TargetValue,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        suffix: String,
    },
    /// `prefix` followed by `unit` repeated `count` times (oversized values).
    Repeat {
        prefix: String,
        unit: String,
        count: usize,
    },
    /// Inserted into the body verbatim, without encoding (percent-encoding edge cases).
    Raw { raw: String },
    /// A JWT built from a recipe (the `assertion` parameter).
    Assertion { grant: AssertionSpec },
}

impl Value {
    pub fn text(s: impl Into<String>) -> Value {
        Value::Text { text: s.into() }
    }
    pub fn target(which: TargetValue) -> Value {
        Value::Target {
            which,
            suffix: String::new(),
        }
    }
    pub fn is_empty_value(&self) -> bool {
        match self {
            Value::Empty => true,
            Value::Text { text } => text.is_empty(),
            Value::Raw { raw } => raw.is_empty(),
            _ => false,
        }
    }
    /// Approximate size in bytes once rendered.
    pub fn approx_len(&self) -> usize {
        match self {
            Value::Empty => 0,
            Value::Text { text } => text.len(),
            Value::Target { suffix, .. } => 64 + suffix.len(),
            Value::Repeat {
                prefix,
                unit,
                count,
            } => prefix.len() + unit.len() * count,
            Value::Raw { raw } => raw.len(),
            Value::Assertion { grant } => grant.approx_len(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Param {
    pub name: String,
    pub value: Value,
}

impl Param {
    pub fn new(name: impl Into<String>, value: Value) -> Param {
        Param {
            name: name.into(),
            value,
        }
    }
}

/// A whole generated token request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FuzzRequest {
    pub endpoint: Endpoint,
    pub method: Method,
    pub content_type: ContentType,
    pub encoding: BodyEncoding,
    pub client_auth: ClientAuth,
    /// In sending order; a name may repeat.
    pub params: Vec<Param>,
}

impl FuzzRequest {
    /// All values carried under `name`, in order.
    pub fn values(&self, name: &str) -> Vec<&Value> {
        self.params
            .iter()
            .filter(|p| p.name == name)
            .map(|p| &p.value)
            .collect()
    }

    /// Number of form parameters, counting client credentials sent in the body.
    pub fn param_count(&self) -> usize {
        let auth = match self.client_auth {
            ClientAuth::Post | ClientAuth::PostWrongSecret | ClientAuth::UnknownClient => 2,
            ClientAuth::BasicAndPost => 2,
            ClientAuth::PostIdOnly => 1,
            _ => 0,
        };
        self.params.len() + auth
    }

    /// The baseline valid request for `endpoint` (what every mutation departs from).
    pub fn baseline(endpoint: Endpoint) -> FuzzRequest {
        let params = match endpoint {
            Endpoint::Exchange => vec![
                Param::new("grant_type", Value::text(TOKEN_EXCHANGE)),
                Param::new("subject_token", Value::target(TargetValue::SubjectToken)),
                Param::new(
                    "subject_token_type",
                    Value::target(TargetValue::SubjectTokenType),
                ),
                Param::new("resource", Value::target(TargetValue::AsBIssuer)),
            ],
            Endpoint::Assertion => vec![
                Param::new("grant_type", Value::text(JWT_BEARER)),
                Param::new(
                    "assertion",
                    Value::Assertion {
                        grant: AssertionSpec::valid(),
                    },
                ),
            ],
        };
        FuzzRequest {
            endpoint,
            method: Method::Post,
            content_type: ContentType::Form,
            encoding: BodyEncoding::Standard,
            client_auth: ClientAuth::Basic,
            params,
        }
    }
}

/// What the graded profile's setup exchange form (IC §2.3.1, [`crate::exchange_form`]) asks
/// of an exchange beyond the built-in form: AS-B named with `audience`, a
/// `requested_token_type`. The baseline, the strategies and the model follow it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Form {
    pub audience: bool,
    pub requested_type: bool,
}

impl Form {
    pub fn of(form: &crate::exchange_form::ExchangeForm) -> Form {
        Form {
            audience: form.target == crate::exchange_form::TargetParam::Audience,
            requested_type: form.requested_token_type.is_some(),
        }
    }

    /// `req` (a baseline) in this form: AS-B named by `audience`, the form's
    /// `requested_token_type` added.
    pub fn apply(self, mut req: FuzzRequest) -> FuzzRequest {
        if req.endpoint == Endpoint::Exchange {
            if self.audience {
                req.params
                    .iter_mut()
                    .filter(|p| p.name == "resource")
                    .for_each(|p| p.name = "audience".into());
            }
            if self.requested_type {
                let t = Value::target(TargetValue::RequestedTokenType);
                req.params.push(Param::new("requested_token_type", t));
            }
        }
        req
    }
}

/// Parameter names the token endpoint defines (RFC 6749, 7521, 7523, 8693, 8707, 9449...).
/// Generated "unknown" parameters never use these.
pub const KNOWN_PARAMS: &[&str] = &[
    "grant_type",
    "code",
    "redirect_uri",
    "client_id",
    "client_secret",
    "client_assertion",
    "client_assertion_type",
    "refresh_token",
    "username",
    "password",
    "scope",
    "code_verifier",
    "assertion",
    "subject_token",
    "subject_token_type",
    "actor_token",
    "actor_token_type",
    "requested_token_type",
    "resource",
    "audience",
    "authorization_details",
    "device_code",
    "auth_req_id",
    "dpop_jkt",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn baseline_round_trips_through_json() {
        for e in [Endpoint::Exchange, Endpoint::Assertion] {
            let req = FuzzRequest::baseline(e);
            let text = serde_json::to_string(&req).unwrap();
            let back: FuzzRequest = serde_json::from_str(&text).unwrap();
            assert_eq!(req, back);
        }
    }

    #[test]
    fn param_count_includes_body_credentials() {
        let mut req = FuzzRequest::baseline(Endpoint::Exchange);
        assert_eq!(req.param_count(), 4);
        req.client_auth = ClientAuth::Post;
        assert_eq!(req.param_count(), 6);
    }
}

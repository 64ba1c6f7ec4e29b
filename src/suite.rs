//! The suite model (suites/README.md): suites, cases, steps (actions) and checks
//! (query + predicate). Every user-written item keeps its source line for reports.

pub mod load;
pub mod parse;

use crate::diagnostic::{Location, SourceFile};
pub use crate::party::Party;
use crate::query::Query;
pub use crate::template::Template;
use serde_json::Value;
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone)]
pub struct Suite {
    pub id: String,
    pub title: String,
    pub description: String,
    pub file: SourceFile,
    pub cases: Vec<Case>,
}

#[derive(Debug, Clone)]
pub struct Case {
    pub id: String,
    pub title: String,
    /// The party this case judges (`party` on the case, else on `[suite]`); steps addressed
    /// to other parties are setup, and their failure blocks the case instead of failing it.
    pub party: Party,
    pub requirements: Vec<String>,
    pub needs: Vec<Capability>,
    pub timeout_secs: Option<u64>,
    pub steps: Vec<Step>,
    pub checks: Vec<Check>,
    /// Where the case's `id` is written.
    pub source: Location,
}

impl Case {
    /// Whether this case waits for a token to expire (scheduled first).
    pub fn is_slow(&self) -> bool {
        self.steps
            .iter()
            .any(|s| matches!(s.action, Action::WaitUntilExpired { .. }))
    }
}

#[derive(Debug, Clone)]
pub struct Step {
    /// Name under which the output is saved (default: the action name).
    pub id: String,
    pub action: Action,
    pub line: usize,
}

/// A server role a request is addressed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    AsA,
    AsB,
    Rs,
}

/// Which client credentials a request carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientSel {
    /// The primary client at AS-A.
    Primary,
    /// The second client at AS-A (lateral-move fixtures).
    Second,
    /// No client authentication at all.
    None,
    /// The client's credentials at AS-B.
    AsB,
    /// The AS-B client id with a wrong secret.
    WrongSecret,
    /// The client's credentials at AS-B when the target gives any, else none (for requests
    /// that need no client but must get past an AS-B that requires authentication).
    AsBOrNone,
    /// The AS-A client that authenticates with private_key_jwt (capability `jwt_client`).
    Jwt,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserSel {
    Primary,
    Unmapped,
    /// A second user AS-B maps (role `second_user`).
    Second,
    /// The acting party of RFC 8693 delegation (role `actor`): its token is an `actor_token`.
    Actor,
}

/// Client authentication method (RFC 6749 §2.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    Basic,
    Post,
    /// RFC 7523 §2.2 client assertion signed with the client's key.
    PrivateKeyJwt,
    /// RFC 8705 §2.1: PKI mutual TLS (the client's certificate, `client_id` in the body).
    TlsClientAuth,
    /// RFC 8705 §2.2: self-signed certificate mutual TLS.
    SelfSignedTlsClientAuth,
}

impl AuthMethod {
    /// Authenticates through the TLS client certificate (RFC 8705 §2).
    pub fn is_mutual_tls(self) -> bool {
        matches!(
            self,
            AuthMethod::TlsClientAuth | AuthMethod::SelfSignedTlsClientAuth
        )
    }
}

/// An RFC 8693 exchange or RFC 7523 presentation.
#[derive(Debug, Clone, Default)]
pub struct TokenRequest {
    /// Named parameters given in the step (e.g. `subject_token`, `assertion`).
    pub params: Vec<(String, Template)>,
    pub client: Option<ClientSel>,
    pub auth: Option<AuthMethod>,
    pub omit: Vec<String>,
    /// Extra or overriding form parameters; an array value repeats the parameter.
    pub extra: Vec<(String, Template)>,
    /// DPoP key name.
    pub dpop: Option<String>,
    /// A DPoP proof to send verbatim instead of minting one (e.g. a replayed proof).
    pub dpop_proof: Option<Template>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForgeMode {
    TamperPayload,
    TamperSignature,
    AlgNone,
    HmacWithIssuerKey,
    ResignUntrusted,
    Harness,
    /// A client assertion of the private_key_jwt client (capability `jwt_client`), signed with
    /// its key: without `from`, a valid RFC 7523 §3 assertion for AS-A with a fresh `jti`.
    JwtClient,
    /// The source ES256 token with its ECDSA signature's `s` negated (`jose::malleate_es256`):
    /// a different string for the same signed content; a non-ES256 source skips the case.
    MalleateSignature,
    /// The source token's header and claims under a signature of zero bytes, as long as the
    /// source's (64 for ES256): the ECDSA (r, s) = (0, 0) that a broken verifier accepts for
    /// any message (CVE-2022-21449).
    ZeroSignature,
    /// HS256 keyed with the SPKI PEM text of AS-A's public key (RFC 7468, LF line ends): the
    /// classic algorithm-confusion secret (RFC 8725 §2.1).
    HmacWithIssuerPem,
    /// The source token, unchanged, in the flattened JWS JSON serialization (RFC 7515 §7.2.2):
    /// validly signed, but not a JWT (RFC 7519 §1: JWTs use the compact serialization).
    JsonSerialization,
    /// Signed by the harness's stranger issuer: an issuer the harness serves (RFC 8414
    /// metadata and a JWKS, under the harness issuer's path) but that no AS-B was told to
    /// trust; `iss` is always that issuer.
    Stranger,
}

impl ForgeMode {
    pub const NAMES: &'static [&'static str] = &[
        "tamper_payload",
        "tamper_signature",
        "alg_none",
        "hmac_with_issuer_key",
        "resign_untrusted",
        "harness",
        "jwt_client",
        "malleate_signature",
        "zero_signature",
        "hmac_with_issuer_pem",
        "json_serialization",
        "stranger",
    ];
}

#[derive(Debug, Clone)]
pub struct Forge {
    pub from: Option<Template>,
    pub mode: Option<ForgeMode>,
    pub set_claims: Vec<(String, Template)>,
    pub remove_claims: Vec<String>,
    pub set_header: Vec<(String, Template)>,
    pub remove_header: Vec<String>,
    pub raw: Option<Template>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Token,
    Metadata,
    Jwks,
    Resource,
}

#[derive(Debug, Clone)]
pub struct RawRequest {
    pub role: Role,
    pub endpoint: Endpoint,
    pub method: String,
    pub form: Vec<(String, Template)>,
    pub body: Option<Template>,
    pub content_type: Option<Template>,
    pub headers: Vec<(String, Template)>,
    pub client: ClientSel,
    pub auth: Option<AuthMethod>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Bearer,
    DPoP,
}

#[derive(Debug, Clone)]
pub enum Action {
    Discover {
        role: Role,
    },
    SubjectToken {
        user: UserSel,
        client: ClientSel,
    },
    Exchange(TokenRequest),
    Present(TokenRequest),
    Forge(Forge),
    CallResource {
        token: Template,
        scheme: Option<Scheme>,
        dpop: Option<String>,
        /// A DPoP proof to send verbatim instead of minting one.
        dpop_proof: Option<Template>,
    },
    WaitUntilExpired {
        token: Template,
        extra_secs: u64,
    },
    Concurrent {
        count: u32,
        step: Box<Step>,
    },
    Request(RawRequest),
    /// A precondition on what earlier steps saw: when `condition` does not hold, the case is
    /// `skip` with `reason` (e.g. an optional feature the server does not offer). With `when`,
    /// only while every `when` condition holds: so a skip for an unseen detail of a response
    /// never hides that the response itself failed (its checks still grade it).
    SkipUnless {
        condition: Condition,
        when: Vec<Condition>,
        reason: Template,
    },
}

impl Action {
    /// Whether the step's output is a response of a server under test (not of the harness
    /// or of a subject-token fixture).
    pub fn is_server_request(&self) -> bool {
        matches!(
            self,
            Action::Discover { .. }
                | Action::Exchange(_)
                | Action::Present(_)
                | Action::CallResource { .. }
                | Action::Concurrent { .. }
                | Action::Request(_)
        )
    }
}

impl Action {
    pub const NAMES: &'static [&'static str] = &[
        "discover",
        "subject_token",
        "exchange",
        "present",
        "forge",
        "call_resource",
        "wait_until_expired",
        "concurrent",
        "request",
        "skip_unless",
    ];

    pub fn name(&self) -> &'static str {
        match self {
            Action::Discover { .. } => "discover",
            Action::SubjectToken { .. } => "subject_token",
            Action::Exchange(_) => "exchange",
            Action::Present(_) => "present",
            Action::Forge(_) => "forge",
            Action::CallResource { .. } => "call_resource",
            Action::WaitUntilExpired { .. } => "wait_until_expired",
            Action::Concurrent { .. } => "concurrent",
            Action::Request(_) => "request",
            Action::SkipUnless { .. } => "skip_unless",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Check {
    pub what: String,
    /// Query (suites/README.md "Queries"), parsed when the suite loads.
    pub value: Query,
    /// Requirement graded by this check (defaults to the case's first).
    pub requirement: String,
    /// Guards, all of which must hold for the check to apply (empty: it always applies).
    /// Several guards judge one rule that depends on more than one observation, e.g. "a 200
    /// whose body has no `scope` grants the requested scope" (RFC 6749 §5.1).
    pub when: Vec<Condition>,
    pub predicate: Predicate,
    /// Where the `[[case.check]]` table is written; reports show it beside a failed check.
    pub source: Location,
}

/// One `when` guard (or a `skip_unless` condition): a query and a predicate that must hold.
#[derive(Debug, Clone)]
pub struct Condition {
    pub value: Query,
    pub predicate: Predicate,
}

/// A check's predicate. Its operands are [`Template`]s as loaded; the executor substitutes
/// them into plain values (`Predicate<Value>`, see `predicate::interpolated`) just before
/// evaluating, with no round trip through JSON text.
#[derive(Debug, Clone)]
pub enum Predicate<T = Template> {
    Equals(T),
    NotEquals(T),
    EqualsCi(T),
    OneOf {
        allowed: T,
        prefer: Option<T>,
    },
    Exists(bool),
    Includes(T),
    IncludesAny(T),
    Excludes(T),
    Substring(T),
    Matches(regex::Regex),
    AtMost(T),
    AtLeast(T),
    IsType(JsonType),
    HasDirective(T),
    IsAbsoluteUri(bool),
    SingleValued(bool),
    /// Every member of the actual value is a member of the expected one; each side is an
    /// array or a space-delimited string (RFC 6749 §3.3 scope syntax).
    SubsetOf(T),
}

impl Predicate {
    pub const NAMES: &'static [&'static str] = &[
        "equals",
        "not_equals",
        "equals_ci",
        "one_of",
        "exists",
        "includes",
        "includes_any",
        "excludes",
        "substring",
        "matches",
        "at_most",
        "at_least",
        "is_type",
        "has_directive",
        "is_absolute_uri",
        "single_valued",
        "subset_of",
    ];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonType {
    String,
    Number,
    Integer,
    Boolean,
    Array,
    Object,
    Null,
}

impl JsonType {
    pub const NAMES: &'static [&'static str] = &[
        "string", "number", "integer", "boolean", "array", "object", "null",
    ];

    pub fn from_name(s: &str) -> Option<JsonType> {
        Some(match s {
            "string" => JsonType::String,
            "number" => JsonType::Number,
            "integer" => JsonType::Integer,
            "boolean" => JsonType::Boolean,
            "array" => JsonType::Array,
            "object" => JsonType::Object,
            "null" => JsonType::Null,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    pub fn matches(self, v: &Value) -> bool {
        match self {
            JsonType::String => v.is_string(),
            JsonType::Number => v.is_number(),
            JsonType::Integer => v.is_i64() || v.is_u64(),
            JsonType::Boolean => v.is_boolean(),
            JsonType::Array => v.is_array(),
            JsonType::Object => v.is_object(),
            JsonType::Null => v.is_null(),
        }
    }
}

/// What a target can provide; a case needing one the target lacks is skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Capability {
    HarnessIssuer,
    Rs,
    AsC,
    SecondClient,
    UnmappedUser,
    SecondUser,
    AsBClient,
    Dpop,
    AudienceAlias,
    JwtClient,
    SameDomainResource,
    ResourceIndicators,
    ResourceOwner,
}

impl Capability {
    pub const ALL: &'static [Capability] = &[
        Capability::HarnessIssuer,
        Capability::Rs,
        Capability::AsC,
        Capability::SecondClient,
        Capability::UnmappedUser,
        Capability::SecondUser,
        Capability::AsBClient,
        Capability::Dpop,
        Capability::AudienceAlias,
        Capability::JwtClient,
        Capability::SameDomainResource,
        Capability::ResourceIndicators,
        Capability::ResourceOwner,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Capability::HarnessIssuer => "harness_issuer",
            Capability::Rs => "rs",
            Capability::AsC => "as_c",
            Capability::SecondClient => "second_client",
            Capability::UnmappedUser => "unmapped_user",
            Capability::SecondUser => "second_user",
            Capability::AsBClient => "as_b_client",
            Capability::Dpop => "dpop",
            Capability::AudienceAlias => "audience_alias",
            Capability::JwtClient => "jwt_client",
            Capability::SameDomainResource => "same_domain_resource",
            Capability::ResourceIndicators => "resource_indicators",
            Capability::ResourceOwner => "resource_owner",
        }
    }

    /// Why a case needing this is skipped when the target lacks it.
    pub fn missing_reason(self) -> &'static str {
        match self {
            Capability::HarnessIssuer => {
                "needs harness_issuer: the target configures no harness issuer trusted by AS-B"
            }
            Capability::Rs => "needs rs: the target names no RS-B",
            Capability::AsC => "needs as_c: the target names no AS-C identifier",
            Capability::SecondClient => {
                "needs second_client: the target gives no second client at AS-A"
            }
            Capability::UnmappedUser => {
                "needs unmapped_user: the target gives no user AS-B cannot map"
            }
            Capability::SecondUser => {
                "needs second_user: the target gives no second user AS-B maps"
            }
            Capability::AsBClient => {
                "needs as_b_client: the target gives no client credentials at AS-B"
            }
            Capability::Dpop => "needs dpop: the target does not declare DPoP support",
            Capability::JwtClient => {
                "needs jwt_client: the target gives no AS-A client authenticating with private_key_jwt"
            }
            Capability::SameDomainResource => {
                "needs same_domain_resource: the target names no second protected resource of AS-A's domain"
            }
            Capability::AudienceAlias => {
                "needs audience_alias: the target gives no logical audience name for AS-B"
            }
            Capability::ResourceOwner => {
                "needs resource_owner: the target does not say its user is the resource owner (`[fixtures] user_is_resource_owner`); otherwise Ena chaining §4.3 lets an exchange add scopes"
            }
            Capability::ResourceIndicators => {
                "needs resource_indicators: the target does not declare RFC 8707 resource indicators at AS-B (optional; without them AS-B ignores `resource`, RFC 6749 §3.2)"
            }
        }
    }
}

impl fmt::Display for Capability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Capability {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Capability::ALL
            .iter()
            .copied()
            .find(|c| c.name() == s)
            .ok_or_else(|| format!("unknown capability `{s}`"))
    }
}

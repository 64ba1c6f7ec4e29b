//! What the fuzzer needs to know about the servers under test (endpoints, credentials, a way
//! to get a subject token, harness-issuer mode), filled from the mock's facts or a target file.

use crate::fuzz::harness::HarnessKey;
use crate::fuzz::model::ModelFacts;
use crate::fuzz::request::TT_ACCESS_TOKEN;
use mock_as::{MockConfig, MockFacts};

/// Client credentials for `client_secret_basic` / `client_secret_post` (RFC 6749 §2.3.1).
#[derive(Clone, PartialEq)]
pub struct Credentials {
    pub id: String,
    pub secret: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credentials {{ id: {:?}, secret: (redacted) }}", self.id)
    }
}

/// How the fuzzer obtains the subject token it exchanges at AS-A.
#[derive(Clone)]
pub enum SubjectSource {
    /// Resource-owner password grant at AS-A with the AS-A client (test users only).
    Password { username: String, password: String },
    /// `client_credentials` at AS-A: the client's own token is the subject.
    ClientCredentials,
    /// A token given by the user (e.g. from an environment variable).
    Static { token: String },
}

/// Harness-issuer mode: an issuer AS-B trusts whose key the harness holds.
#[derive(Debug, Clone)]
pub struct HarnessIssuer {
    pub issuer: String,
    pub key: HarnessKey,
    /// The `sub` AS-B maps (a domain-A subject known to AS-B).
    pub subject: String,
}

/// The endpoints and credentials under test.
#[derive(Clone)]
pub struct FuzzEndpoints {
    /// `mock` or `live`.
    pub kind: String,
    pub as_a_issuer: String,
    pub as_a_token_endpoint: String,
    pub as_b_issuer: String,
    pub as_b_token_endpoint: String,
    /// Logical name AS-A accepts as `audience` for AS-B (IC §2.3.1), if any.
    pub as_b_audience: Option<String>,
    /// RS-B resource identifier (RFC 8707 `resource` at AS-B), if known.
    pub rs_resource: Option<String>,
    pub client_a: Credentials,
    pub client_a_basic: bool,
    pub client_a_post: bool,
    pub client_b: Option<Credentials>,
    /// Whether AS-B issues tokens without client authentication (IC-JB-09 policy).
    pub as_b_client_auth_optional: bool,
    pub subject: SubjectSource,
    pub subject_token_type: String,
    /// A scope the subject holds, and one it does not (IC-TE-09).
    pub held_scope: Option<String>,
    pub escalation_scope: Option<String>,
    pub harness: Option<HarnessIssuer>,
    pub faults: Vec<String>,
}

/// Issuer identifier of the harness in mock mode (never resolved: AS-B gets the JWKS by value).
pub const MOCK_HARNESS_ISSUER: &str = "https://harness.chainproof.invalid";

impl FuzzEndpoints {
    /// Fill from a running mock pair started with `harness` as an extra trusted issuer.
    pub fn from_mock(
        facts: &MockFacts,
        config: &MockConfig,
        faults: &[mock_as::Fault],
        harness: Option<HarnessKey>,
    ) -> Self {
        FuzzEndpoints {
            kind: "mock".into(),
            as_a_issuer: facts.as_a_issuer.clone(),
            as_a_token_endpoint: facts.as_a_token_endpoint.clone(),
            as_b_issuer: facts.as_b_issuer.clone(),
            as_b_token_endpoint: facts.as_b_token_endpoint.clone(),
            as_b_audience: Some(facts.as_b_audience_alias.clone()),
            rs_resource: Some(facts.rs_resource.clone()),
            client_a: Credentials {
                id: facts.client_id.clone(),
                secret: facts.client_secret.clone(),
            },
            client_a_basic: true,
            client_a_post: true,
            client_b: facts
                .as_b_client
                .clone()
                .map(|(id, secret)| Credentials { id, secret }),
            as_b_client_auth_optional: !config.as_b.require_client_auth,
            subject: SubjectSource::Password {
                username: facts.user.0.clone(),
                password: facts.user.1.clone(),
            },
            subject_token_type: TT_ACCESS_TOKEN.into(),
            held_scope: facts.user_scopes.first().cloned(),
            escalation_scope: Some(facts.escalation_scope.clone()),
            harness: harness.map(|key| HarnessIssuer {
                issuer: MOCK_HARNESS_ISSUER.into(),
                key,
                subject: facts.user_sub.clone(),
            }),
            faults: faults.iter().map(|f| f.name().to_string()).collect(),
        }
    }

    // ADAPTER POINT (runner): `FuzzEndpoints::from_target(&crate::target::Target)` belongs
    // here once the runner's target loader exists: map its AS-A/AS-B roles, client
    // registrations, subject-token source and harness-issuer settings onto these fields.

    /// The request model's view of this target.
    pub fn model_facts(&self) -> ModelFacts {
        ModelFacts {
            as_a_basic: self.client_a_basic,
            as_a_post: self.client_a_post,
            as_b_client: self.client_b.is_some(),
            as_b_client_auth_optional: self.as_b_client_auth_optional,
            rs_resource_known: self.rs_resource.is_some(),
            subject_token_type: self.subject_token_type.clone(),
        }
    }

    /// Secret values to redact from reports.
    pub fn secrets(&self) -> Vec<String> {
        let mut v = vec![self.client_a.secret.clone()];
        if let Some(b) = &self.client_b {
            v.push(b.secret.clone());
        }
        match &self.subject {
            SubjectSource::Password { password, .. } => v.push(password.clone()),
            SubjectSource::Static { token } => v.push(token.clone()),
            SubjectSource::ClientCredentials => {}
        }
        v
    }
}

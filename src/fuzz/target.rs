//! What the fuzzer needs to know about the servers under test (endpoints, credentials, a way
//! to get a subject token, harness-issuer mode), filled from the mock's facts or a target file.

use crate::fuzz::model::ModelFacts;
use crate::fuzz::request::TT_ACCESS_TOKEN;
use crate::harness::HarnessIssuer;
use mock_as::{MockConfig, MockFacts};
use std::sync::Arc;

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

/// Harness-issuer mode: the runner's harness issuer (AS-B trusts it), and a subject to sign for.
#[derive(Debug, Clone)]
pub struct HarnessGrants {
    pub issuer: Arc<HarnessIssuer>,
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
    /// Whether AS-B issues tokens without client authentication (IC-JB-09 policy;
    /// `None`: unknown, so requests without credentials are ambiguous).
    pub as_b_client_auth_optional: Option<bool>,
    pub subject: SubjectSource,
    pub subject_token_type: String,
    /// A scope the subject holds, and one it does not (IC-TE-09).
    pub held_scope: Option<String>,
    pub escalation_scope: Option<String>,
    pub harness: Option<HarnessGrants>,
    pub faults: Vec<String>,
    /// Roles as the runner resolved them (report `targets`), when it did.
    pub targets: Option<crate::run_result::Targets>,
    /// Further secret values to redact (from the runner's environment).
    pub extra_secrets: Vec<String>,
}

/// Issuer identifier of the harness in mock mode (never resolved: AS-B gets the JWKS by value).
pub const MOCK_HARNESS_ISSUER: &str = "https://harness.chainproof.invalid";

impl FuzzEndpoints {
    /// Fill from a running mock pair started with `harness` as an extra trusted issuer.
    pub fn from_mock(
        facts: &MockFacts,
        config: &MockConfig,
        faults: &[mock_as::Fault],
        harness: Option<Arc<HarnessIssuer>>,
    ) -> Self {
        // The pair applied its legal variants to its configuration when it started (e.g.
        // `as-b-requires-client-auth`): the model must know the policy the pair really runs.
        let mut config = config.clone();
        for v in &facts.variants {
            v.apply(&mut config);
        }
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
            as_b_client_auth_optional: Some(!config.as_b.require_client_auth),
            subject: SubjectSource::Password {
                username: facts.user.0.clone(),
                password: facts.user.1.clone(),
            },
            subject_token_type: TT_ACCESS_TOKEN.into(),
            held_scope: facts.user_scopes.first().cloned(),
            escalation_scope: Some(facts.escalation_scope.clone()),
            harness: harness.map(|issuer| HarnessGrants {
                issuer,
                subject: facts.user_sub.clone(),
            }),
            faults: faults.iter().map(|f| f.name().to_string()).collect(),
            targets: None,
            extra_secrets: Vec::new(),
        }
    }

    /// ADAPTER (runner): fill from the runner's resolved environment (a `--target` file:
    /// live roles discovered through RFC 8414, mock roles from `MockFacts`).
    pub fn from_env(env: &crate::environment::Env) -> Result<FuzzEndpoints, String> {
        use crate::subject_token::Source as EnvSubject;
        use crate::suite::AuthMethod;
        let creds = |c: &crate::environment::Client, role: &str| -> Result<Credentials, String> {
            let secret = c.secret.clone().ok_or_else(|| {
                format!(
                    "fuzzing needs a client secret for the {role} client `{}`",
                    c.id
                )
            })?;
            Ok(Credentials {
                id: c.id.clone(),
                secret,
            })
        };
        let client_a = creds(&env.client, "AS-A")?;
        let client_b = env
            .as_b_client
            .as_ref()
            .map(|c| creds(c, "AS-B"))
            .transpose()?;
        let mock_b = env.targets.as_b.kind == "mock";
        Ok(FuzzEndpoints {
            kind: if env.targets.as_a.kind == env.targets.as_b.kind {
                env.targets.as_a.kind.clone()
            } else {
                "mixed".into()
            },
            as_a_issuer: env.as_a.issuer.clone(),
            as_a_token_endpoint: env.as_a.token_endpoint.clone(),
            as_b_issuer: env.as_b.issuer.clone(),
            as_b_token_endpoint: env.as_b.token_endpoint.clone(),
            as_b_audience: env.as_b_audience.clone(),
            rs_resource: env.rs.as_ref().map(|(resource, _)| resource.clone()),
            client_a_basic: env.client.auth == AuthMethod::Basic,
            client_a_post: env.client.auth == AuthMethod::Post,
            client_a,
            client_b,
            // The embedded mock's default policy is known; a live AS-B's is not.
            as_b_client_auth_optional: mock_b.then_some(true),
            subject: match env
                .tokens
                .get(crate::subject_token::TokenRole::Primary)
                .map(|r| &r.source)
            {
                Some(EnvSubject::Password {
                    username, password, ..
                }) => SubjectSource::Password {
                    username: username.clone(),
                    password: password.clone(),
                },
                Some(EnvSubject::ClientCredentials { .. }) => SubjectSource::ClientCredentials,
                Some(EnvSubject::Static(token)) => SubjectSource::Static {
                    token: token.clone(),
                },
                Some(other) => {
                    return Err(format!(
                        "fuzzing takes a password, client_credentials or static subject token; the target's primary source is `{}`",
                        other.method()
                    ));
                }
                None => return Err("the target gives no primary subject token".into()),
            },
            subject_token_type: TT_ACCESS_TOKEN.into(),
            held_scope: env
                .scopes
                .as_deref()
                .and_then(|s| s.split(' ').find(|x| !x.is_empty()))
                .map(str::to_string),
            escalation_scope: env.escalation_scope.clone(),
            // Harness grants need a subject AS-B maps; without one they could not be valid.
            harness: match (&env.harness, &env.user_sub) {
                (Some(h), Some(sub)) => Some(HarnessGrants {
                    issuer: h.clone(),
                    subject: sub.clone(),
                }),
                _ => None,
            },
            faults: env.targets.as_a.faults.clone(),
            targets: Some(env.targets.clone()),
            extra_secrets: env.secrets.clone(),
        })
    }

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
        let mut v = self.extra_secrets.clone();
        v.push(self.client_a.secret.clone());
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

//! What the fuzzer reads from the runner's environment ([`Env`]): the two token endpoints and
//! their clients, the values its requests carry, harness-issuer mode. A view of `Env`, not a
//! second target model: [`FuzzEndpoints::from_env`] is its only source, so the fuzzer and the
//! suites run against the same resolved target (discovery, secrets, roles, mock modes).

use crate::environment::{Client, Env};
use crate::fuzz::model::ModelFacts;
use crate::fuzz::request::TT_ACCESS_TOKEN;
use crate::harness::HarnessIssuer;
use crate::suite::AuthMethod;
use std::sync::Arc;

/// Harness-issuer mode: the runner's harness issuer (AS-B trusts it), and a subject to sign for.
#[derive(Debug, Clone)]
pub struct HarnessGrants {
    pub issuer: Arc<HarnessIssuer>,
    /// The `sub` AS-B maps (a domain-A subject known to AS-B).
    pub subject: String,
}

/// The endpoints, clients and values under test.
#[derive(Clone)]
pub struct FuzzEndpoints {
    pub as_a_token_endpoint: String,
    pub as_b_issuer: String,
    pub as_b_token_endpoint: String,
    /// Logical name AS-A accepts as `audience` for AS-B (IC §2.3.1), if any.
    pub as_b_audience: Option<String>,
    /// RS-B resource identifier (RFC 8707 `resource` at AS-B), if known.
    pub rs_resource: Option<String>,
    /// The AS-A client (it has a secret: the fuzzer varies secret-based authentication).
    pub client_a: Client,
    pub client_a_basic: bool,
    pub client_a_post: bool,
    pub client_b: Option<Client>,
    /// Whether AS-B issues tokens without client authentication (IC-JB-09 policy;
    /// `None`: unknown, so requests without credentials are ambiguous).
    pub as_b_client_auth_optional: Option<bool>,
    pub subject_token_type: String,
    /// A scope the subject holds, and one it does not (IC-TE-09).
    pub held_scope: Option<String>,
    pub escalation_scope: Option<String>,
    pub harness: Option<HarnessGrants>,
}

impl FuzzEndpoints {
    /// The fuzzer's view of the runner's resolved environment (embedded mock pair, or a
    /// `--target` file: live roles discovered through RFC 8414, mock roles from `MockFacts`).
    pub fn from_env(env: &Env) -> Result<FuzzEndpoints, String> {
        let with_secret = |c: &Client, role: &str| -> Result<Client, String> {
            match c.secret {
                Some(_) => Ok(c.clone()),
                None => Err(format!(
                    "fuzzing needs a client secret for the {role} client `{}`",
                    c.id
                )),
            }
        };
        let client_a = with_secret(&env.client, "AS-A")?;
        let client_b = env
            .as_b_client
            .as_ref()
            .map(|c| with_secret(c, "AS-B"))
            .transpose()?;
        // A mock role's policies are known (it accepts both secret methods; its AS-B requires
        // client authentication or not, as its variants say); a live server's are not.
        let mock_a = env.targets.as_a.kind == "mock";
        let facts = env.mock_facts();
        let as_b_client_auth_optional = (env.targets.as_b.kind == "mock")
            .then(|| facts.map(|f| !f.as_b_requires_client_auth))
            .flatten();
        Ok(FuzzEndpoints {
            as_a_token_endpoint: env.as_a.token_endpoint.clone(),
            as_b_issuer: env.as_b.issuer.clone(),
            as_b_token_endpoint: env.as_b.token_endpoint.clone(),
            as_b_audience: env.as_b_audience.clone(),
            rs_resource: env.rs.as_ref().map(|(resource, _)| resource.clone()),
            client_a_basic: mock_a || client_a.auth == AuthMethod::Basic,
            client_a_post: mock_a || client_a.auth == AuthMethod::Post,
            client_a,
            client_b,
            as_b_client_auth_optional,
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
}

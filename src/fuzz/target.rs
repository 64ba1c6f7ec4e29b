//! What the fuzzer reads from the runner's environment ([`Env`]): the two token endpoints and
//! their clients, the values its requests carry, harness-issuer mode. A view of `Env`, not a
//! second target model: [`FuzzEndpoints::from_env`] is its only source, so the fuzzer and the
//! suites run against the same resolved target (discovery, secrets, roles, mock modes).

use crate::environment::{Client, Env};
use crate::fuzz::model::ModelFacts;
use crate::fuzz::render::secret_based;
use crate::fuzz::request::{Form, TargetValue};
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
    pub as_a_issuer: String,
    pub as_a_token_endpoint: String,
    pub as_b_issuer: String,
    pub as_b_token_endpoint: String,
    /// Logical name AS-A accepts as `audience` for AS-B (IC §2.3.1), if any.
    pub as_b_audience: Option<String>,
    /// RS-B resource identifier (RFC 8707 `resource` at AS-B), if known.
    pub rs_resource: Option<String>,
    /// The clients: the fuzzer varies secret-based authentication; a client registered for
    /// another method authenticates as registered ([`secret_based`]).
    pub client_a: Client,
    pub client_b: Option<Client>,
    /// A scope the subject holds, and one it does not (IC-TE-09).
    pub held_scope: Option<String>,
    pub escalation_scope: Option<String>,
    pub harness: Option<HarnessGrants>,
    /// The `typ` of the profile's grants (its exchange form's `grant_typ`).
    pub grant_typ: Option<String>,
    /// What the request model knows about these servers.
    pub facts: ModelFacts,
}

/// Which secret-based methods (Basic, body) a client's requests may use: a mock accepts both,
/// a live server the registered one; a client without a secret-based method authenticates as
/// registered whichever the request asks for.
fn methods(c: &Client, mock: bool) -> (bool, bool) {
    let ok = |m: AuthMethod| mock || c.auth == m || !secret_based(c);
    (ok(AuthMethod::Basic), ok(AuthMethod::Post))
}

impl FuzzEndpoints {
    /// The fuzzer's view of the runner's resolved environment (embedded mock pair, or a
    /// `--target` file: live roles discovered through RFC 8414, mock roles from `MockFacts`).
    pub fn from_env(env: &Env) -> FuzzEndpoints {
        // A mock role's policies are known (its AS-B requires client authentication or not,
        // as its variants say); a live server's are not.
        let mock_b = env.targets.as_b.kind == "mock";
        let (as_a_basic, as_a_post) = methods(&env.client, env.targets.as_a.kind == "mock");
        let (as_b_basic, as_b_post) = env
            .as_b_client
            .as_ref()
            .map_or((false, false), |c| methods(c, mock_b));
        let rs_resource = env.rs.as_ref().map(|(resource, _)| resource.clone());
        let held_scope = env
            .scopes
            .as_deref()
            .and_then(|s| s.split(' ').find(|x| !x.is_empty()))
            .map(str::to_string);
        let absent = [
            (TargetValue::AsBAudience, env.as_b_audience.is_none()),
            (TargetValue::RsResource, rs_resource.is_none()),
            (TargetValue::HeldScope, held_scope.is_none()),
            (TargetValue::EscalationScope, env.escalation_scope.is_none()),
        ];
        FuzzEndpoints {
            as_a_issuer: env.as_a.issuer.clone(),
            as_a_token_endpoint: env.as_a.token_endpoint.clone(),
            as_b_issuer: env.as_b.issuer.clone(),
            as_b_token_endpoint: env.as_b.token_endpoint.clone(),
            as_b_audience: env.as_b_audience.clone(),
            facts: ModelFacts {
                as_a_basic,
                as_a_post,
                as_b_basic,
                as_b_post,
                as_b_client_auth_optional: mock_b
                    .then(|| env.mock_facts().map(|f| !f.as_b_requires_client_auth))
                    .flatten(),
                rs_resource_known: rs_resource.is_some(),
                subject_token_type: env.exchange.subject_token_type.clone(),
                form: Form::of(&env.exchange),
                requested_token_type: env.exchange.requested_token_type.clone(),
                absent: absent.iter().filter(|(_, a)| *a).map(|(v, _)| *v).collect(),
            },
            rs_resource,
            client_a: env.client.clone(),
            client_b: env.as_b_client.clone(),
            held_scope,
            escalation_scope: env.escalation_scope.clone(),
            grant_typ: env.exchange.grant_typ.clone(),
            // Harness grants need a subject AS-B maps; without one they could not be valid.
            harness: match (&env.harness, &env.user_sub) {
                (Some(h), Some(sub)) => Some(HarnessGrants {
                    issuer: h.clone(),
                    subject: sub.clone(),
                }),
                _ => None,
            },
        }
    }
}

//! A target resolved for one run: concrete URLs (discovery for live roles, `MockPair` facts
//! for mock roles), credentials with their secrets, a subject-token source per role, fixtures,
//! limits, the harness issuer, and the capabilities that follow from all of that.
//!
//! [`Env::build`] is a sequence of named pieces: the harness issuer, discovery of live
//! servers, the mock plan (what the embedded servers must trust, map and register to pair
//! with live ones), role resolution (clients and subject-token sources per side), and secret
//! collection.

use crate::discovery::{self, fetch_json};
use crate::exchange_form::ExchangeForm;
use crate::harness::{self, HarnessIssuer};
use crate::http::Http;
use crate::run_result::{RoleInfo, Targets};
use crate::subject_token::{
    AsAEndpoints, AuthCode, RoleSource, Source, SubjectTokens, TokenCommand, TokenRole,
};
use crate::suite::{Action, AuthMethod, Capability, Case};
use crate::target::{
    self, Auth, ClientTarget, Fixtures, Kind, Limits, SubjectMethod, SubjectTokenTarget, Target,
};
use mock_as::{Fault, MockFacts, MockOptions, MockPair, MockProfile, TrustedIssuer, Variant};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

pub use crate::client_auth::Client;
pub use crate::discovery::{AsInfo, well_known};

/// Everything the executor needs about the servers under test.
pub struct Env {
    /// Server certificates are not verified (`--insecure`); every report says so.
    pub insecure: bool,
    /// The run's HTTP client: its TLS trust and client certificates come from the target.
    pub http: Http,
    /// RFC 7662 introspection at AS-B, for access tokens that are not JWTs.
    pub as_b_introspection: Option<String>,
    pub as_a: AsInfo,
    pub as_a_jwks: Option<Value>,
    pub as_b: AsInfo,
    pub as_b_audience: Option<String>,
    pub as_c: Option<String>,
    /// A second protected resource of AS-A's domain (same-domain exchange, Ena §2).
    pub same_domain_resource: Option<String>,
    /// RS-B resource identifier and protected URL.
    pub rs: Option<(String, String)>,
    pub client: Client,
    pub second_client: Option<Client>,
    /// A client at AS-A authenticating with private_key_jwt.
    pub jwt_client: Option<Client>,
    pub as_b_client: Option<Client>,
    /// A subject-token source per role.
    pub tokens: SubjectTokens,
    pub user_sub: Option<String>,
    pub user_sub_at_b: Option<String>,
    /// The subject AS-B maps the second user (role `second_user`) to.
    pub second_user_sub_at_b: Option<String>,
    pub scopes: Option<String>,
    pub escalation_scope: Option<String>,
    pub harness: Option<Arc<HarnessIssuer>>,
    pub dpop: bool,
    /// AS-B supports RFC 8707 resource indicators (capability `resource_indicators`).
    pub resource_indicators: bool,
    /// The target says the user is the resource owner (Ena chaining profile §4.3).
    pub resource_owner: bool,
    pub limits: Limits,
    pub targets: Targets,
    /// Every secret value known when the run starts (redacted from reports); see
    /// [`Env::secrets_now`] for those obtained since.
    pub secrets: Vec<String>,
    pub profile: Option<String>,
    /// The form of setup exchanges: the target's `[as_a.exchange]` over the built-in form;
    /// `run` layers the grading profile's form beneath the target's.
    pub exchange: ExchangeForm,
    _mock: Option<MockPair>,
    harness_server: Option<tokio::task::JoinHandle<()>>,
}

impl Drop for Env {
    fn drop(&mut self) {
        if let Some(h) = &self.harness_server {
            h.abort();
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EnvError {
    /// The target file is wrong (exit 3).
    #[error("{0}")]
    Invalid(String),
    /// A server could not be reached or started (exit 2).
    #[error("{0}")]
    Runtime(String),
}

fn auth(a: Auth) -> AuthMethod {
    match a {
        Auth::Basic => AuthMethod::Basic,
        Auth::Post => AuthMethod::Post,
        Auth::PrivateKeyJwt => AuthMethod::PrivateKeyJwt,
        Auth::TlsClientAuth => AuthMethod::TlsClientAuth,
        Auth::SelfSignedTlsClientAuth => AuthMethod::SelfSignedTlsClientAuth,
    }
}

/// Which roles are live and which are embedded mocks.
#[derive(Debug, Clone, Copy)]
struct Kinds {
    a: Kind,
    b: Kind,
    rs: Option<Kind>,
}

impl Kinds {
    fn of(target: Option<&Target>) -> Kinds {
        Kinds {
            a: target.map_or(Kind::Mock, |t| t.spec.as_a.kind),
            b: target.map_or(Kind::Mock, |t| t.spec.as_b.kind),
            rs: match target {
                None => Some(Kind::Mock),
                Some(t) => t.spec.rs.as_ref().map(|r| r.kind),
            },
        }
    }

    fn any_mock(self) -> bool {
        self.a == Kind::Mock || self.b == Kind::Mock || self.rs == Some(Kind::Mock)
    }
}

fn invalid(d: crate::diagnostic::Diagnostic) -> EnvError {
    EnvError::Invalid(d.to_string())
}

fn secret(t: &Target, c: &ClientTarget) -> Result<Option<String>, EnvError> {
    match (&c.secret_env, &c.secret) {
        (Some(var), _) => target::secret_from_env(&t.file, var)
            .map(Some)
            .map_err(invalid),
        (None, s) => Ok(s.clone()),
    }
}

fn client(t: &Target, c: &ClientTarget) -> Result<Client, EnvError> {
    let key = match &c.key_file {
        Some(p) => {
            use p256::pkcs8::DecodePrivateKey;
            let path = if p.is_absolute() {
                p.clone()
            } else {
                t.base_dir.join(p)
            };
            let pem = std::fs::read_to_string(&path).map_err(|e| {
                EnvError::Invalid(format!(
                    "{}: cannot read key_file {}: {e}",
                    t.file.name,
                    path.display()
                ))
            })?;
            Some(p256::ecdsa::SigningKey::from_pkcs8_pem(&pem).map_err(|e| {
                EnvError::Invalid(format!(
                    "{}: key_file {} is not a PKCS#8 P-256 key: {e}",
                    t.file.name,
                    path.display()
                ))
            })?)
        }
        None if c.auth == Auth::PrivateKeyJwt => {
            return Err(EnvError::Invalid(format!(
                "{}: client `{}` uses private_key_jwt but has no key_file",
                t.file.name, c.id
            )));
        }
        None => None,
    };
    Ok(Client {
        id: c.id.clone(),
        secret: secret(t, c)?,
        auth: auth(c.auth),
        key,
    })
}

/// The source a `[as_a.*]` subject-token table describes, its secrets read.
fn source(t: &Target, s: &SubjectTokenTarget) -> Result<Source, EnvError> {
    let env = |v: &toml::Spanned<String>| target::secret_from_env(&t.file, v).map_err(invalid);
    Ok(match s.method.get_ref() {
        SubjectMethod::Password => Source::Password {
            username: s.username.clone().unwrap_or_default(),
            password: match (&s.password_env, &s.password) {
                (Some(v), _) => env(v)?,
                (None, p) => p.clone().unwrap_or_default(),
            },
            scope: s.scope.clone(),
        },
        SubjectMethod::ClientCredentials => Source::ClientCredentials {
            scope: s.scope.clone(),
        },
        SubjectMethod::Static | SubjectMethod::Env => Source::Static(match &s.token_env {
            Some(v) => env(v)?,
            None => s.token.clone().unwrap_or_default(),
        }),
        SubjectMethod::RefreshToken => Source::RefreshToken {
            refresh_token: env(s.refresh_token_env.as_ref().expect("validated"))?,
            scope: s.scope.clone(),
        },
        SubjectMethod::Command => Source::Command(TokenCommand {
            argv: s.command.as_ref().expect("validated").get_ref().clone(),
            timeout: Duration::from_secs(s.timeout_secs.unwrap_or(30)),
            dir: t.base_dir.clone(),
        }),
        SubjectMethod::AuthorizationCode => Source::AuthorizationCode(AuthCode {
            mode: s.mode,
            scope: s.scope.clone(),
            login_hint: s.username.clone(),
            redirect_port: s.redirect_port.unwrap_or(0),
            redirect_path: s
                .redirect_path
                .clone()
                .unwrap_or_else(|| "/callback".into()),
            timeout: Duration::from_secs(s.timeout_secs.unwrap_or(match s.mode {
                target::LoginMode::Interactive => 300,
                target::LoginMode::Unattended => 30,
            })),
        }),
    })
}

/// Read every credential the target names (client secrets from their variables, key files,
/// subject-token source secrets) without contacting anyone; one message per credential that
/// cannot be read. `chainproof check` reports them all at once, where a run stops at the first.
pub fn resolve_credentials(t: &Target) -> Vec<String> {
    let mut problems = Vec::new();
    let (a, b) = (&t.spec.as_a, &t.spec.as_b);
    if a.kind == Kind::Live {
        for c in [&a.client, &a.second_client, &a.jwt_client]
            .into_iter()
            .flatten()
        {
            if let Err(e) = client(t, c) {
                problems.push(e.to_string());
            }
        }
        for s in [
            &a.subject_token,
            &a.second_client_token,
            &a.jwt_client_token,
            &a.unmapped_user,
            &a.second_user,
        ]
        .into_iter()
        .flatten()
        {
            if let Err(e) = source(t, s) {
                problems.push(e.to_string());
            }
        }
    }
    if b.kind == Kind::Live
        && let Some(c) = &b.client
        && let Err(e) = client(t, c)
    {
        problems.push(e.to_string());
    }
    problems
}

/// The AS-A side: its server, clients, subject-token sources and what it suggests as fixtures.
struct SideA {
    info: AsInfo,
    client: Client,
    second: Option<Client>,
    jwt: Option<Client>,
    tokens: SubjectTokens,
    defaults: Fixtures,
    audience_alias: Option<String>,
}

/// The role table: a source per role, derived roles, and the reason for each missing one.
fn role_sources(
    endpoints: AsAEndpoints,
    primary: (Source, &Client),
    second: (Option<Source>, Option<&Client>),
    jwt: (Option<Source>, Option<&Client>),
    unmapped: Option<Source>,
    second_user: Option<Source>,
    actor: Option<(Source, &Client)>,
) -> SubjectTokens {
    let mut tokens = SubjectTokens::new(endpoints);
    let (primary_source, primary_client) = primary;
    for (role, (explicit, client)) in [
        (TokenRole::SecondClient, second),
        (TokenRole::JwtClient, jwt),
    ] {
        match (explicit, client) {
            (Some(s), Some(c)) => tokens.set(role, RoleSource::new(s, c.clone(), false)),
            (None, Some(c)) if primary_source.repeatable_by_other_clients() => tokens.set(
                role,
                RoleSource::new(primary_source.clone(), c.clone(), true),
            ),
            (None, Some(_)) => tokens.set_gap(
                role,
                format!(
                    "no subject token for role {}: the target has no {}, and the primary `{}` token was issued to the primary client",
                    role.name(),
                    role.table(),
                    primary_source.method()
                ),
            ),
            (_, None) => {}
        }
    }
    if let Some((source, client)) = actor {
        tokens.set(
            TokenRole::Actor,
            RoleSource::new(source, client.clone(), false),
        );
    }
    for (role, source) in [
        (TokenRole::UnmappedUser, unmapped),
        (TokenRole::SecondUser, second_user),
    ] {
        if let Some(u) = source {
            tokens.set(role, RoleSource::new(u, primary_client.clone(), false));
        }
    }
    tokens.set(
        TokenRole::Primary,
        RoleSource::new(primary_source, primary_client.clone(), false),
    );
    tokens
}

/// A live AS-A: everything from the target file.
fn live_side_a(t: &Target, info: AsInfo) -> Result<SideA, EnvError> {
    let a = &t.spec.as_a;
    let client_a = client(t, a.client.as_ref().expect("validated"))?;
    let second = a.second_client.as_ref().map(|c| client(t, c)).transpose()?;
    let jwt = a.jwt_client.as_ref().map(|c| client(t, c)).transpose()?;
    for (table, given, client, needs) in [
        (
            "[as_a.second_client_token]",
            &a.second_client_token,
            &second,
            "[as_a.second_client]",
        ),
        (
            "[as_a.jwt_client_token]",
            &a.jwt_client_token,
            &jwt,
            "[as_a.jwt_client]",
        ),
    ] {
        if given.is_some() && client.is_none() {
            return Err(EnvError::Invalid(format!(
                "{}: {table} needs {needs}: the token is for that client",
                t.file.name
            )));
        }
    }
    let opt_source = |s: &Option<SubjectTokenTarget>| s.as_ref().map(|s| source(t, s)).transpose();
    let tokens = role_sources(
        AsAEndpoints {
            issuer: info.issuer.clone(),
            token_endpoint: info.token_endpoint.clone(),
            authorization_endpoint: info.authorization_endpoint.clone(),
        },
        (
            source(t, a.subject_token.as_ref().expect("validated"))?,
            &client_a,
        ),
        (opt_source(&a.second_client_token)?, second.as_ref()),
        (opt_source(&a.jwt_client_token)?, jwt.as_ref()),
        opt_source(&a.unmapped_user)?,
        opt_source(&a.second_user)?,
        opt_source(&a.actor_token)?.map(|s| (s, second.as_ref().unwrap_or(&client_a))),
    );
    Ok(SideA {
        info,
        client: client_a,
        second,
        jwt,
        tokens,
        defaults: Fixtures::default(),
        audience_alias: None,
    })
}

/// The embedded AS-A: its default configuration's clients, users and fixtures.
fn mock_side_a(f: &MockFacts, kinds: Kinds) -> SideA {
    let info = AsInfo {
        issuer: f.as_a_issuer.clone(),
        token_endpoint: f.as_a_token_endpoint.clone(),
        jwks_uri: Some(f.as_a_jwks_uri.clone()),
        ..AsInfo::default()
    };
    // The embedded mock runs its default configuration, whose private_key_jwt client's key
    // ships with the mock.
    let jwt = f
        .jwt_client_id
        .as_ref()
        .and_then(|id| shipped_key_client(id));
    let client_a = mock_client(f, &f.client_id, &f.client_secret);
    let second = Some(mock_client(f, &f.second_client_id, &f.second_client_secret));
    let scope = Some(f.user_scopes.join(" "));
    let tokens = role_sources(
        AsAEndpoints {
            issuer: info.issuer.clone(),
            token_endpoint: info.token_endpoint.clone(),
            authorization_endpoint: None,
        },
        (
            Source::Password {
                username: f.user.0.clone(),
                password: f.user.1.clone(),
                scope: scope.clone(),
            },
            &client_a,
        ),
        (None, second.as_ref()),
        (None, jwt.as_ref()),
        Some(Source::Password {
            username: f.unmapped_user.0.clone(),
            password: f.unmapped_user.1.clone(),
            scope: None,
        }),
        f.second_user
            .as_ref()
            .map(|(username, password)| Source::Password {
                username: username.clone(),
                password: password.clone(),
                scope: None,
            }),
        // The actor: the second client's own client-credentials token (RFC 6749 §4.4).
        second
            .as_ref()
            .map(|c| (Source::ClientCredentials { scope: None }, c)),
    );
    SideA {
        info,
        client: client_a,
        second,
        jwt,
        tokens,
        defaults: Fixtures {
            user_sub: Some(f.user_sub.clone()),
            user_sub_at_b: None,
            second_user_sub: None,
            second_user_sub_at_b: None,
            scopes: scope,
            escalation_scope: Some(f.escalation_scope.clone()),
            as_c: f.as_c.clone(),
            same_domain_resource: Some(f.same_domain_resource.clone()),
            // The mock's users own what their scopes protect: a password login is their consent.
            user_is_resource_owner: Some(true),
        },
        audience_alias: (kinds.b == Kind::Mock).then(|| f.as_b_audience_alias.clone()),
    }
}

/// A client of the embedded servers authenticating with private_key_jwt and the key that ships
/// with the mock (RFC 7523 §2.2).
fn shipped_key_client(id: &str) -> Option<Client> {
    use p256::pkcs8::DecodePrivateKey;
    let key = p256::ecdsa::SigningKey::from_pkcs8_pem(mock_as::JWT_CLIENT_KEY_PEM).ok()?;
    Some(Client {
        id: id.to_string(),
        secret: None,
        auth: AuthMethod::PrivateKeyJwt,
        key: Some(key),
    })
}

/// An embedded server's client: client_secret_basic, except in the Ena mode, where every
/// client authenticates with private_key_jwt (Ena OAuth profile §8.3; the mock registers the
/// shipped key for it).
fn mock_client(f: &MockFacts, id: &str, secret: &str) -> Client {
    if f.profile == MockProfile::Ena
        && let Some(c) = shipped_key_client(id)
    {
        return c;
    }
    Client::basic(id, secret)
}

/// The AS-B side: its server, the client's credentials there, and its mapped subject.
struct SideB {
    info: AsInfo,
    client: Option<Client>,
    user_sub_at_b: Option<String>,
    second_user_sub_at_b: Option<String>,
}

fn live_side_b(t: &Target, info: AsInfo) -> Result<SideB, EnvError> {
    Ok(SideB {
        info,
        client: t
            .spec
            .as_b
            .client
            .as_ref()
            .map(|c| client(t, c))
            .transpose()?,
        user_sub_at_b: None,
        second_user_sub_at_b: None,
    })
}

fn mock_side_b(f: &MockFacts, registered: Option<Client>) -> SideB {
    SideB {
        info: AsInfo {
            issuer: f.as_b_issuer.clone(),
            token_endpoint: f.as_b_token_endpoint.clone(),
            jwks_uri: Some(f.as_b_jwks_uri.clone()),
            ..AsInfo::default()
        },
        client: registered.or_else(|| f.as_b_client.as_ref().map(|(id, s)| mock_client(f, id, s))),
        user_sub_at_b: Some(f.user_sub_at_b.clone()),
        second_user_sub_at_b: f.second_user_sub_at_b.clone(),
    }
}

/// How the embedded mock servers behave: its faults, its legal variants and its profile mode
/// (the run's grading profile picks the mode, so `run --profile id-jag` passes against it).
#[derive(Debug, Clone, Default)]
pub struct MockModes {
    pub faults: Vec<Fault>,
    pub variants: Vec<Variant>,
    pub profile: MockProfile,
    /// Keep the mock's default token lifetimes instead of the embedded run's few seconds (the
    /// fuzzer holds one subject token and one grant for its whole run).
    pub long_lived: bool,
    /// The graded profile's setup exchange form (`[profile.exchange]`); the target's
    /// `[as_a.exchange]` goes over it, and it over the built-in form.
    pub exchange: Option<crate::exchange_form::FormSpec>,
}

/// What the embedded servers must do to pair with the live ones, and the credentials the
/// harness gets out of it.
struct MockPlan {
    options: MockOptions,
    /// The live AS-A's client, registered at the mock AS-B.
    registered_b_client: Option<Client>,
}

fn mock_plan(
    target: Option<&Target>,
    modes: MockModes,
    harness: Option<&HarnessIssuer>,
    live_a: Option<&AsInfo>,
    live_b: Option<&AsInfo>,
) -> MockPlan {
    let mut options = MockOptions::with_faults(modes.faults);
    options.variants = modes.variants;
    options.profile = modes.profile;
    if target.is_none() && !modes.long_lived {
        options
            .config
            .shorten_lifetimes(EMBEDDED_TOKEN_SECS, EMBEDDED_LEEWAY_SECS);
    } else {
        // A mock role in a target file issues user tokens that live no longer than its
        // grants, so the case that presents an expired subject token waits inside the run's
        // one unavoidable wait (grant expiry) and runs instead of being skipped.
        options.user_tokens_expire_with_grants();
    }
    let mut registered_b_client = None;
    if let Some(t) = target {
        options.port_a = t.spec.as_a.port.unwrap_or(0);
        options.port_b = t.spec.as_b.port.unwrap_or(0);
        options.port_rs = t.spec.rs.as_ref().and_then(|r| r.port).unwrap_or(0);
    }
    if let Some(h) = harness {
        options.trust_issuer(TrustedIssuer {
            issuer: h.issuer.clone(),
            jwks: Some(h.jwks()),
            jwks_uri: None,
        });
    }
    if let (Some(a), Some(t)) = (live_a, target) {
        // Mock AS-B must trust the live AS-A (its keys via jwks_uri) and know its client, as a
        // deployment registers every domain-A client that calls domain B.
        options.trust_issuer(TrustedIssuer {
            issuer: a.issuer.clone(),
            jwks: None,
            jwks_uri: a.jwks_uri.clone(),
        });
        if let Some(c) = &t.spec.as_a.client {
            let secret = format!("as-b-{}", uuid::Uuid::new_v4().simple());
            options.register_client_at_as_b(&c.id, &secret);
            registered_b_client = Some(Client::basic(&c.id, &secret));
        }
        let fx = &t.spec.fixtures;
        for (sub, sub_b) in [
            (&fx.user_sub, &fx.user_sub_at_b),
            (&fx.second_user_sub, &fx.second_user_sub_at_b),
        ] {
            if let (Some(sub), Some(sub_b)) = (sub, sub_b) {
                options.map_subject(sub, sub_b);
            }
        }
    }
    if let Some(b) = live_b {
        // Mock AS-A must mint grants for the live AS-B.
        options.add_partner(&b.issuer);
    }
    MockPlan {
        options,
        registered_b_client,
    }
}

/// Harness issuer: from the target, or an in-memory one when AS-B is the embedded mock.
async fn harness_issuer(
    target: Option<&Target>,
    kinds: Kinds,
) -> Result<
    (
        Option<Arc<HarnessIssuer>>,
        Option<tokio::task::JoinHandle<()>>,
    ),
    EnvError,
> {
    let from_file = match target {
        Some(t) => harness::from_target(t)
            .map_err(EnvError::Invalid)?
            .map(Arc::new),
        None => None,
    };
    match (from_file, target) {
        (Some(h), Some(t)) => {
            let mut server = None;
            if let Some(listen) = &t.spec.harness.listen {
                let l = tokio::net::TcpListener::bind(listen).await.map_err(|e| {
                    EnvError::Runtime(format!("harness issuer cannot listen on {listen}: {e}"))
                })?;
                server = Some(harness::spawn(h.clone(), l));
            }
            Ok((Some(h), server))
        }
        // An embedded mock AS-B can always trust an in-memory harness issuer.
        (None, _) if kinds.b == Kind::Mock => {
            let l = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .map_err(|e| EnvError::Runtime(format!("harness issuer: {e}")))?;
            let addr = l
                .local_addr()
                .map_err(|e| EnvError::Runtime(e.to_string()))?;
            let h = Arc::new(HarnessIssuer::new(
                format!("http://{addr}/harness"),
                p256::ecdsa::SigningKey::random(&mut rand::rngs::OsRng),
            ));
            let server = harness::spawn(h.clone(), l);
            Ok((Some(h), Some(server)))
        }
        _ => Ok((None, None)),
    }
}

/// Discover the live roles (`None` for mock ones).
async fn discover_live(
    http: &Http,
    target: Option<&Target>,
    kinds: Kinds,
) -> Result<(Option<AsInfo>, Option<AsInfo>), EnvError> {
    let Some(t) = target else {
        return Ok((None, None));
    };
    let run = |role: &'static str, issuer: &Option<toml::Spanned<String>>, pinned| {
        let issuer = issuer.as_ref().expect("validated").get_ref().clone();
        async move {
            discovery::discover(http, role, &issuer, &pinned)
                .await
                .map_err(|e| EnvError::Runtime(e.to_string()))
        }
    };
    let a = match kinds.a {
        Kind::Live => Some(run("AS-A", &t.spec.as_a.issuer, t.spec.as_a.endpoints()).await?),
        Kind::Mock => None,
    };
    let b = match kinds.b {
        Kind::Live => Some(run("AS-B", &t.spec.as_b.issuer, t.spec.as_b.endpoints()).await?),
        Kind::Mock => None,
    };
    Ok((a, b))
}

/// Every secret the run knows at its start: client secrets and keys, subject-token source
/// secrets, the harness key.
fn collect_secrets(
    clients: &[Option<&Client>],
    tokens: &SubjectTokens,
    harness: Option<&HarnessIssuer>,
) -> Vec<String> {
    let mut secrets = Vec::new();
    for c in clients.iter().flatten() {
        if let Some(pem) = c.key.as_ref().and_then(|k| {
            use p256::pkcs8::EncodePrivateKey;
            k.to_pkcs8_pem(p256::pkcs8::LineEnding::LF).ok()
        }) {
            secrets.push(pem.to_string());
        }
        secrets.extend(c.secret.clone());
    }
    secrets.extend(tokens.configured_secrets());
    if let Some(h) = harness {
        secrets.push(h.private_pem());
    }
    secrets
}

/// Lifetime of the embedded mock's user tokens and grants (no target file: the default run and
/// `--mock-fault` runs). The embedded pair is ours and lives for one run, so its tokens can live
/// seconds: the two cases that wait for a token to expire (`expired-grant-by-waiting`,
/// `expired-subject-token`) wait 3 to 4 seconds instead of a minute, on their real path.
///
/// No case races these lifetimes. A case uses a token only in the steps right after it got it
/// (loopback requests of milliseconds); the only pause inside a case is `wait_until_expired`,
/// which waits for the very token it then presents expecting refusal. The mock compares whole
/// seconds, so the tightest margin, a user token at AS-A (`exp > now`, no leeway), is valid for
/// at least `EMBEDDED_TOKEN_SECS - 1` s after issue; a grant at AS-B for at least
/// `EMBEDDED_TOKEN_SECS + EMBEDDED_LEEWAY_SECS` s. Two seconds of margin survive seven runs at
/// once on two busy cores (tests/partition_merge.rs); one second did not.
pub const EMBEDDED_TOKEN_SECS: u64 = 3;
/// AS-B's clock leeway on grants in the embedded mock: none, since the harness and the mock
/// share one clock. The harness waits with the same leeway, plus the step's `extra_secs`
/// margin, which covers the mock's whole-second comparisons.
pub const EMBEDDED_LEEWAY_SECS: u64 = 0;

/// The names of the mock's faults and variants, shown on the roles the mock plays.
struct MockNames {
    faults: Vec<String>,
    variants: Vec<String>,
}

impl MockNames {
    fn of(modes: &MockModes) -> MockNames {
        MockNames {
            faults: modes.faults.iter().map(|f| f.name().to_string()).collect(),
            variants: modes
                .variants
                .iter()
                .map(|v| v.name().to_string())
                .collect(),
        }
    }

    /// What the reports say of a role: its kind, URL, and the mock's modes when it is the mock.
    fn role(&self, kind: Kind, url: &str) -> RoleInfo {
        let mock = kind == Kind::Mock;
        RoleInfo {
            kind: if mock { "mock" } else { "live" }.into(),
            url: url.to_string(),
            faults: if mock {
                self.faults.clone()
            } else {
                Vec::new()
            },
            variants: if mock {
                self.variants.clone()
            } else {
                Vec::new()
            },
        }
    }
}

/// RS-B's resource identifier and the URL of its protected endpoint, when there is an RS-B.
fn rs_endpoint(
    target: Option<&Target>,
    kinds: Kinds,
    facts: Option<&MockFacts>,
) -> Option<(String, String)> {
    match (kinds.rs, target.and_then(|t| t.spec.rs.as_ref()), facts) {
        (Some(Kind::Live), Some(r), _) => {
            let resource = r.resource.as_ref().expect("validated").get_ref().clone();
            let url = r
                .url
                .as_ref()
                .map_or(resource.clone(), |u| u.get_ref().clone());
            Some((resource, url))
        }
        (Some(Kind::Mock), _, Some(f)) => Some((f.rs_resource.clone(), f.rs_url.clone())),
        _ => None,
    }
}

/// Mock roles: their metadata is discovered like a live server's, so that
/// `target.as_x.metadata.*` means the same thing for both.
async fn discover_mock_metadata(http: &Http, roles: [&mut AsInfo; 2]) {
    for info in roles {
        if info.metadata.is_null() && info.metadata_url.is_none() {
            let url = well_known(&info.issuer, "oauth-authorization-server");
            if let Ok(m) = fetch_json(http, &url).await {
                info.metadata = m;
            }
        }
    }
}

/// Whether AS-B supports DPoP. The embedded mock declares what a target file would; a live
/// AS-B the target says nothing about supports it when its metadata advertises it (RFC 9449
/// §5.1: `dpop_signing_alg_values_supported`).
fn supports_dpop(
    target: Option<&Target>,
    kinds: Kinds,
    facts: Option<&MockFacts>,
    as_b_metadata: &Value,
) -> bool {
    let mock_dpop = facts.is_none_or(|f| f.dpop);
    let advertised = as_b_metadata["dpop_signing_alg_values_supported"]
        .as_array()
        .is_some_and(|a| !a.is_empty());
    match target {
        None => mock_dpop,
        Some(t) => t.spec.as_b.dpop.unwrap_or(if kinds.b == Kind::Mock {
            mock_dpop
        } else {
            advertised
        }),
    }
}

/// Limits against the embedded mock: the harness's clock leeway is the mock's.
fn embedded_limits() -> Limits {
    Limits {
        clock_leeway_secs: EMBEDDED_LEEWAY_SECS,
        ..Limits::default()
    }
}

impl Env {
    /// Resolve a target (or, with none, the embedded mock pair with a trusted harness issuer).
    pub async fn build(
        target: Option<&Target>,
        faults: Vec<Fault>,
        variants: Vec<Variant>,
    ) -> Result<Env, EnvError> {
        let modes = MockModes {
            faults,
            variants,
            ..MockModes::default()
        };
        Env::build_with(target, modes, false).await
    }

    /// [`Env::build`], with the mock's profile mode chosen and server certificates left
    /// unverified when `insecure`.
    pub async fn build_with(
        target: Option<&Target>,
        modes: MockModes,
        insecure: bool,
    ) -> Result<Env, EnvError> {
        let mut limits = target.map_or_else(embedded_limits, |t| t.spec.limits.clone());
        let (tls, tls_secrets) =
            crate::tls::options(target, insecure).map_err(EnvError::Invalid)?;
        let http = Http::with_tls(
            Duration::from_secs(limits.request_timeout_secs),
            limits.max_response_bytes,
            &tls,
        )
        .map_err(EnvError::Invalid)?;
        let kinds = Kinds::of(target);
        let (harness, harness_server) = harness_issuer(target, kinds).await?;
        let (live_a, live_b) = discover_live(&http, target, kinds).await?;

        let mock_names = MockNames::of(&modes);
        let modes_exchange = modes.exchange.clone();
        let (mock, registered_b_client) = if kinds.any_mock() {
            let plan = mock_plan(
                target,
                modes,
                harness.as_deref(),
                live_a.as_ref(),
                live_b.as_ref(),
            );
            let pair = MockPair::start(plan.options)
                .await
                .map_err(|e| EnvError::Runtime(format!("cannot start the mock pair: {e}")))?;
            (Some(pair), plan.registered_b_client)
        } else {
            (None, None)
        };
        let facts = mock.as_ref().map(|m| m.facts());

        let side_a = match (target, live_a, facts) {
            (Some(t), Some(info), _) => live_side_a(t, info)?,
            (_, None, Some(f)) => mock_side_a(f, kinds),
            _ => unreachable!("AS-A is live or mock"),
        };
        let side_b = match (target, live_b, facts) {
            (Some(t), Some(info), _) => live_side_b(t, info)?,
            (_, None, Some(f)) => mock_side_b(f, registered_b_client),
            _ => unreachable!("AS-B is live or mock"),
        };
        let rs = rs_endpoint(target, kinds, facts);

        // A role's CA bundle also covers its endpoints on other hosts than its issuer.
        for (role, info) in [("as_a", &side_a.info), ("as_b", &side_b.info)] {
            for url in [Some(&info.token_endpoint), info.jwks_uri.as_ref()]
                .into_iter()
                .flatten()
            {
                http.trust_for_role(role, url, &tls);
            }
        }
        let (mut as_a, mut as_b) = (side_a.info.clone(), side_b.info);
        discover_mock_metadata(&http, [&mut as_a, &mut as_b]).await;
        let as_a_jwks = match &as_a.jwks_uri {
            Some(u) => fetch_json(&http, u).await.ok(),
            None => None,
        };

        let mut secrets = tls_secrets;
        secrets.extend(collect_secrets(
            &[
                Some(&side_a.client),
                side_a.second.as_ref(),
                side_b.client.as_ref(),
                side_a.jwt.as_ref(),
            ],
            &side_a.tokens,
            harness.as_deref(),
        ));
        let targets = Targets {
            as_a: mock_names.role(kinds.a, &as_a.issuer),
            as_b: mock_names.role(kinds.b, &as_b.issuer),
            rs: rs
                .as_ref()
                .map(|(r, _)| mock_names.role(kinds.rs.unwrap_or(Kind::Mock), r)),
            harness_issuer: harness.as_ref().map(|h| h.issuer.clone()),
            file: target.map(|t| t.file.name.clone()),
            insecure,
        };
        let dpop = supports_dpop(target, kinds, facts, &as_b.metadata);
        // The mock's AS-B implements RFC 8707; a live one only when the target says so.
        let resource_indicators = target.is_none_or(|t| {
            t.spec
                .as_b
                .resource_indicators
                .unwrap_or(kinds.b == Kind::Mock)
        });
        if let (Kind::Mock, Some(f)) = (kinds.b, facts) {
            limits.clock_leeway_secs = limits.clock_leeway_secs.max(f.leeway_secs);
        }
        let trusts_harness =
            target.is_none_or(|t| t.spec.as_b.trusts_harness || kinds.b == Kind::Mock);
        let as_b_introspection = target
            .and_then(|t| t.spec.as_b.introspection_endpoint.as_ref())
            .map(|u| u.get_ref().clone())
            .or_else(|| {
                as_b.metadata["introspection_endpoint"]
                    .as_str()
                    .map(String::from)
            });
        // Setup exchanges: step > target `[as_a.exchange]` > profile > built-in.
        let exchange = ExchangeForm::resolve(
            target.and_then(|t| t.spec.as_a.exchange.as_ref()),
            modes_exchange.as_ref(),
        );
        let mut tokens = side_a.tokens;
        tokens.set_token_field(&exchange.subject_token_field);
        // Target fixtures override what the mock facts suggest.
        let fixtures = target.map(|t| t.spec.fixtures.clone()).unwrap_or_default();
        let d = &side_a.defaults;
        Ok(Env {
            as_b_introspection,
            insecure,
            http,
            as_a,
            as_a_jwks,
            as_b,
            as_b_audience: target
                .and_then(|t| t.spec.as_b.audience.clone())
                .or(side_a.audience_alias),
            as_c: fixtures.as_c.or(d.as_c.clone()),
            same_domain_resource: fixtures
                .same_domain_resource
                .or(d.same_domain_resource.clone()),
            rs,
            client: side_a.client,
            second_client: side_a.second,
            jwt_client: side_a.jwt,
            as_b_client: side_b.client,
            user_sub: fixtures.user_sub.or(d.user_sub.clone()),
            user_sub_at_b: fixtures.user_sub_at_b.or(side_b.user_sub_at_b),
            second_user_sub_at_b: fixtures
                .second_user_sub_at_b
                .or(side_b.second_user_sub_at_b),
            scopes: fixtures.scopes.or(d.scopes.clone()),
            escalation_scope: fixtures.escalation_scope.or(d.escalation_scope.clone()),
            tokens,
            harness: if trusts_harness { harness } else { None },
            dpop,
            resource_indicators,
            resource_owner: fixtures
                .user_is_resource_owner
                .or(d.user_is_resource_owner)
                .unwrap_or(false),
            limits,
            targets,
            secrets,
            profile: target.and_then(|t| t.spec.profile.clone()),
            exchange,
            _mock: mock,
            harness_server,
        })
    }

    /// The embedded servers' facts, when any role is the mock.
    pub fn mock_facts(&self) -> Option<&mock_as::MockFacts> {
        self._mock.as_ref().map(|m| m.facts())
    }

    /// Every secret known so far: those of the start, and tokens obtained during the run.
    pub fn secrets_now(&self) -> Vec<String> {
        let mut s = self.secrets.clone();
        s.extend(self.tokens.obtained_secrets());
        s
    }

    /// Why `case` cannot run here for want of a subject-token role (`None`: every role its
    /// steps ask for has a source, or is skipped by a missing capability anyway).
    pub fn token_gap(&self, case: &Case) -> Option<String> {
        case.steps.iter().find_map(|s| match &s.action {
            Action::SubjectToken { user, client } => match TokenRole::of(*user, *client) {
                Some(role) => {
                    let client_missing = match role {
                        TokenRole::SecondClient => self.second_client.is_none(),
                        TokenRole::JwtClient => self.jwt_client.is_none(),
                        _ => false,
                    };
                    if client_missing {
                        None
                    } else {
                        self.tokens.gap(role)
                    }
                }
                None => Some(format!(
                    "no subject-token role for the {user:?} user at the {client:?} client"
                )),
            },
            _ => None,
        })
    }

    /// What this environment can provide.
    pub fn capabilities(&self) -> Vec<Capability> {
        let mut caps = Vec::new();
        let mut add = |c, ok: bool| {
            if ok {
                caps.push(c)
            }
        };
        add(Capability::HarnessIssuer, self.harness.is_some());
        add(Capability::Rs, self.rs.is_some());
        add(Capability::AsC, self.as_c.is_some());
        add(
            Capability::SameDomainResource,
            self.same_domain_resource.is_some(),
        );
        add(Capability::SecondClient, self.second_client.is_some());
        add(
            Capability::UnmappedUser,
            self.tokens.has(TokenRole::UnmappedUser),
        );
        add(
            Capability::SecondUser,
            self.tokens.has(TokenRole::SecondUser),
        );
        add(Capability::AsBClient, self.as_b_client.is_some());
        add(Capability::Dpop, self.dpop);
        add(Capability::AudienceAlias, self.as_b_audience.is_some());
        add(Capability::JwtClient, self.jwt_client.is_some());
        add(Capability::ResourceIndicators, self.resource_indicators);
        add(Capability::ResourceOwner, self.resource_owner);
        caps
    }

    /// The `target` object of the case context.
    pub fn target_json(&self) -> Value {
        let as_info = |a: &AsInfo| json!({ "issuer": a.issuer, "token_endpoint": a.token_endpoint, "jwks_uri": a.jwks_uri, "metadata": a.metadata });
        let mut as_b = as_info(&self.as_b);
        let mut as_a = as_info(&self.as_a);
        as_a["same_domain_resource"] = json!(self.same_domain_resource);
        // The primary client's id at AS-A (the client as known in domain A, Ena §3.3.4).
        as_a["client_id"] = json!(self.client.id);
        as_b["audience"] = json!(self.as_b_audience);
        json!({
            "as_a": as_a,
            "as_b": as_b,
            "as_c": self.as_c,
            "rs": self.rs.as_ref().map(|(r, u)| json!({"resource": r, "url": u})),
            "user": { "sub": self.user_sub, "sub_at_b": self.user_sub_at_b },
            "second_user": { "sub_at_b": self.second_user_sub_at_b },
            "scopes": self.scopes,
            "escalation_scope": self.escalation_scope,
            "harness": self.harness.as_ref().map(|h| json!({"issuer": h.issuer, "jwks_uri": h.jwks_uri(), "jwk": h.jwk(), "x5c": h.x5c(), "x5u": h.x5u()})),
        })
    }
}

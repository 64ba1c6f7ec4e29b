//! A target resolved for one run: concrete URLs (RFC 8414 / RFC 9728 discovery for live
//! roles, `MockPair` facts for mock roles), credentials with their secrets, fixtures,
//! limits, the harness issuer, and the capabilities that follow from all of that.

use crate::harness::{self, HarnessIssuer};
use crate::http::{Http, Request};
use crate::run_result::{RoleInfo, Targets};
use crate::suite::{AuthMethod, Capability};
use crate::target::{
    self, Auth, ClientTarget, Kind, Limits, SubjectMethod, SubjectTokenTarget, Target,
};
use mock_as::{Fault, MockFacts, MockOptions, MockPair, TrustedIssuer, Variant};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Client {
    pub id: String,
    pub secret: Option<String>,
    pub auth: AuthMethod,
    /// Signing key for private_key_jwt.
    pub key: Option<p256::ecdsa::SigningKey>,
}

#[derive(Debug, Clone)]
pub enum SubjectSource {
    Password {
        username: String,
        password: String,
        scope: Option<String>,
    },
    ClientCredentials {
        scope: Option<String>,
    },
    Token(String),
}

#[derive(Debug, Clone, Default)]
pub struct AsInfo {
    pub issuer: String,
    pub token_endpoint: String,
    pub jwks_uri: Option<String>,
    pub metadata: Value,
}

/// Everything the executor needs about the servers under test.
pub struct Env {
    pub as_a: AsInfo,
    pub as_a_jwks: Option<Value>,
    pub as_b: AsInfo,
    pub as_b_audience: Option<String>,
    pub as_c: Option<String>,
    /// RS-B resource identifier and protected URL.
    pub rs: Option<(String, String)>,
    pub client: Client,
    pub second_client: Option<Client>,
    /// A client at AS-A authenticating with private_key_jwt.
    pub jwt_client: Option<Client>,
    pub as_b_client: Option<Client>,
    pub subject: SubjectSource,
    pub unmapped: Option<SubjectSource>,
    pub user_sub: Option<String>,
    pub user_sub_at_b: Option<String>,
    pub scopes: Option<String>,
    pub escalation_scope: Option<String>,
    pub harness: Option<Arc<HarnessIssuer>>,
    pub dpop: bool,
    pub limits: Limits,
    pub targets: Targets,
    /// Every secret value known to the run (redacted from reports).
    pub secrets: Vec<String>,
    pub profile: Option<String>,
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
    }
}

/// RFC 8414 §3: insert the well-known segment between host and path of the issuer.
pub fn well_known(issuer: &str, suffix: &str) -> String {
    match url::Url::parse(issuer) {
        Ok(u) => {
            let path = u.path().trim_end_matches('/');
            let mut origin = u.origin().ascii_serialization();
            origin.push_str(&format!("/.well-known/{suffix}{path}"));
            origin
        }
        Err(_) => format!("{}/.well-known/{suffix}", issuer.trim_end_matches('/')),
    }
}

async fn fetch_json(http: &Http, url: &str) -> Result<Value, EnvError> {
    let req = Request {
        method: "GET".into(),
        url: url.into(),
        headers: vec![("accept".into(), "application/json".into())],
        body: None,
    };
    let (_, res) = http.send("setup", req).await;
    let resp = res.map_err(|e| EnvError::Runtime(format!("GET {url}: {e}")))?;
    if resp.status != 200 {
        return Err(EnvError::Runtime(format!(
            "GET {url}: status {}",
            resp.status
        )));
    }
    serde_json::from_str(&resp.body)
        .map_err(|e| EnvError::Runtime(format!("GET {url}: body is not JSON: {e}")))
}

async fn discover(http: &Http, issuer: &str) -> Result<AsInfo, EnvError> {
    let metadata = fetch_json(http, &well_known(issuer, "oauth-authorization-server")).await?;
    let token_endpoint = metadata
        .get("token_endpoint")
        .and_then(Value::as_str)
        .ok_or_else(|| EnvError::Runtime(format!("metadata of {issuer} has no token_endpoint")))?
        .to_string();
    Ok(AsInfo {
        issuer: issuer.to_string(),
        token_endpoint,
        jwks_uri: metadata
            .get("jwks_uri")
            .and_then(Value::as_str)
            .map(String::from),
        metadata,
    })
}

fn secret(t: &Target, c: &ClientTarget) -> Result<Option<String>, EnvError> {
    match (&c.secret_env, &c.secret) {
        (Some(var), _) => target::secret_from_env(&t.file, var)
            .map(Some)
            .map_err(|d| EnvError::Invalid(d.to_string())),
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

fn subject(t: &Target, s: &SubjectTokenTarget) -> Result<SubjectSource, EnvError> {
    let env = |v: &toml::Spanned<String>| {
        target::secret_from_env(&t.file, v).map_err(|d| EnvError::Invalid(d.to_string()))
    };
    Ok(match s.method.get_ref() {
        SubjectMethod::Password => SubjectSource::Password {
            username: s.username.clone().unwrap_or_default(),
            password: match (&s.password_env, &s.password) {
                (Some(v), _) => env(v)?,
                (None, p) => p.clone().unwrap_or_default(),
            },
            scope: s.scope.clone(),
        },
        SubjectMethod::ClientCredentials => SubjectSource::ClientCredentials {
            scope: s.scope.clone(),
        },
        SubjectMethod::Static | SubjectMethod::Env => SubjectSource::Token(env(s
            .token_env
            .as_ref()
            .expect("validated: token_env present"))?),
    })
}

fn mock_as_a(f: &MockFacts) -> AsInfo {
    AsInfo {
        issuer: f.as_a_issuer.clone(),
        token_endpoint: f.as_a_token_endpoint.clone(),
        jwks_uri: Some(f.as_a_jwks_uri.clone()),
        metadata: Value::Null,
    }
}

fn mock_as_b(f: &MockFacts) -> AsInfo {
    AsInfo {
        issuer: f.as_b_issuer.clone(),
        token_endpoint: f.as_b_token_endpoint.clone(),
        jwks_uri: Some(f.as_b_jwks_uri.clone()),
        metadata: Value::Null,
    }
}

/// Lifetime of the embedded mock's user tokens and grants (no target file: the default run and
/// `--mock-fault` runs). The embedded pair is ours and lives for one run, so its tokens can live
/// seconds: the two cases that wait for a token to expire (`expired-grant-by-waiting`,
/// `expired-subject-token`) wait about four seconds instead of a minute, on their real path.
///
/// No case races these lifetimes. A case uses a token only in the steps right after it got it
/// (loopback requests of milliseconds); the only pause inside a case is `wait_until_expired`,
/// which waits for the very token it then presents expecting refusal. The mock compares whole
/// seconds, so the tightest margin, a user token at AS-A (`exp > now`, no leeway), is valid for
/// at least `EMBEDDED_TOKEN_SECS - 1` s after issue; a grant at AS-B for at least
/// `EMBEDDED_TOKEN_SECS + EMBEDDED_LEEWAY_SECS` s.
pub const EMBEDDED_TOKEN_SECS: u64 = 2;
/// AS-B's clock leeway on grants in the embedded mock: none, since the harness and the mock
/// share one clock. The harness waits with the same leeway, plus the step's `extra_secs`
/// margin (2 s by default), which covers the mock's whole-second comparisons.
pub const EMBEDDED_LEEWAY_SECS: u64 = 0;

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
        let mut limits = target.map_or_else(embedded_limits, |t| t.spec.limits.clone());
        let http = Http::new(
            Duration::from_secs(limits.request_timeout_secs),
            limits.max_response_bytes,
        );
        let kind_a = target.map_or(Kind::Mock, |t| t.spec.as_a.kind);
        let kind_b = target.map_or(Kind::Mock, |t| t.spec.as_b.kind);
        let kind_rs = match target {
            None => Some(Kind::Mock),
            Some(t) => t.spec.rs.as_ref().map(|r| r.kind),
        };

        // Harness issuer: from the target, or an in-memory one for the embedded mock.
        let mut harness_server = None;
        let from_file = match target {
            Some(t) => harness::from_target(t)
                .map_err(EnvError::Invalid)?
                .map(Arc::new),
            None => None,
        };
        let harness: Option<Arc<HarnessIssuer>> = match (from_file, target) {
            (Some(h), Some(t)) => {
                if let Some(listen) = &t.spec.harness.listen {
                    let l = tokio::net::TcpListener::bind(listen).await.map_err(|e| {
                        EnvError::Runtime(format!("harness issuer cannot listen on {listen}: {e}"))
                    })?;
                    harness_server = Some(harness::spawn(h.clone(), l));
                }
                Some(h)
            }
            // An embedded mock AS-B can always trust an in-memory harness issuer.
            (None, _) if kind_b == Kind::Mock => {
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
                harness_server = Some(harness::spawn(h.clone(), l));
                Some(h)
            }
            _ => None,
        };

        let live_a = match (kind_a, target) {
            (Kind::Live, Some(t)) => Some(
                discover(
                    &http,
                    t.spec.as_a.issuer.as_ref().expect("validated").get_ref(),
                )
                .await?,
            ),
            _ => None,
        };
        let live_b = match (kind_b, target) {
            (Kind::Live, Some(t)) => Some(
                discover(
                    &http,
                    t.spec.as_b.issuer.as_ref().expect("validated").get_ref(),
                )
                .await?,
            ),
            _ => None,
        };
        let fixtures = target.map(|t| t.spec.fixtures.clone()).unwrap_or_default();

        let mut registered_b_client: Option<Client> = None;
        let any_mock = kind_a == Kind::Mock || kind_b == Kind::Mock || kind_rs == Some(Kind::Mock);
        let mock = if any_mock {
            let mut options = MockOptions {
                faults: faults.clone(),
                variants: variants.clone(),
                ..MockOptions::default()
            };
            if target.is_none() {
                options
                    .config
                    .shorten_lifetimes(EMBEDDED_TOKEN_SECS, EMBEDDED_LEEWAY_SECS);
            } else {
                // A mock role in a target file issues user tokens that live no longer than its
                // grants, so the case that presents an expired subject token waits inside the
                // run's one unavoidable wait (grant expiry) and runs instead of being skipped.
                let a = &mut options.config.as_a;
                a.access_token_lifetime_secs =
                    a.access_token_lifetime_secs.min(a.grant_lifetime_secs);
            }
            if let Some(t) = target {
                options.port_a = t.spec.as_a.port.unwrap_or(0);
                options.port_b = t.spec.as_b.port.unwrap_or(0);
                options.port_rs = t.spec.rs.as_ref().and_then(|r| r.port).unwrap_or(0);
            }
            if let Some(h) = &harness {
                options.extra_trusted_issuers.push(TrustedIssuer {
                    issuer: h.issuer.clone(),
                    jwks: Some(h.jwks()),
                    jwks_uri: None,
                });
            }
            if let (Some(_), Some(c)) = (&live_a, target.and_then(|t| t.spec.as_a.client.as_ref()))
            {
                // Register the live AS-A's client at the mock AS-B, as a deployment registers
                // every domain-A client that calls domain B.
                let secret = format!("as-b-{}", uuid::Uuid::new_v4().simple());
                options.config.as_b.clients.retain(|x| x.id != c.id);
                options
                    .config
                    .as_b
                    .clients
                    .push(mock_as::config::BClientConfig {
                        id: c.id.clone(),
                        secret: secret.clone(),
                    });
                registered_b_client = Some(Client {
                    id: c.id.clone(),
                    secret: Some(secret),
                    auth: AuthMethod::Basic,
                    key: None,
                });
            }
            if let Some(a) = &live_a {
                // Mock AS-B must trust the live AS-A (its keys via jwks_uri).
                options.extra_trusted_issuers.push(TrustedIssuer {
                    issuer: a.issuer.clone(),
                    jwks: None,
                    jwks_uri: a.jwks_uri.clone(),
                });
                if let (Some(sub), Some(sub_b)) = (&fixtures.user_sub, &fixtures.user_sub_at_b) {
                    options
                        .config
                        .as_b
                        .subject_map
                        .insert(sub.clone(), sub_b.clone());
                }
            }
            if let Some(b) = &live_b {
                // Mock AS-A must mint grants for the live AS-B.
                options.config.as_a.extra_partners.push(b.issuer.clone());
            }
            Some(
                MockPair::start(options)
                    .await
                    .map_err(|e| EnvError::Runtime(format!("cannot start the mock pair: {e}")))?,
            )
        } else {
            None
        };
        let facts = mock.as_ref().map(|m| m.facts().clone());
        let mut secrets = Vec::new();

        // AS-A role.
        let jwt_client: Option<Client>;
        let (
            as_a,
            client_a,
            second,
            subj,
            unmapped,
            mut user_sub,
            mut scopes,
            mut escalation,
            mut as_c,
            mut alias,
        );
        match (&live_a, &facts) {
            (Some(a), _) => {
                let t = target.expect("live implies target");
                as_a = a.clone();
                client_a = client(t, t.spec.as_a.client.as_ref().expect("validated"))?;
                second = t
                    .spec
                    .as_a
                    .second_client
                    .as_ref()
                    .map(|c| client(t, c))
                    .transpose()?;
                subj = subject(t, t.spec.as_a.subject_token.as_ref().expect("validated"))?;
                unmapped = t
                    .spec
                    .as_a
                    .unmapped_user
                    .as_ref()
                    .map(|s| subject(t, s))
                    .transpose()?;
                (user_sub, scopes, escalation, as_c, alias) = (None, None, None, None, None);
                jwt_client = t
                    .spec
                    .as_a
                    .jwt_client
                    .as_ref()
                    .map(|c| client(t, c))
                    .transpose()?;
            }
            (None, Some(f)) => {
                as_a = mock_as_a(f);
                // The embedded mock runs its default configuration, whose private_key_jwt
                // client's key ships with the mock.
                jwt_client = f.jwt_client_id.as_ref().and_then(|id| {
                    use p256::pkcs8::DecodePrivateKey;
                    let key = p256::ecdsa::SigningKey::from_pkcs8_pem(
                        mock_as::fixtures::JWT_CLIENT_KEY_PEM,
                    )
                    .ok()?;
                    Some(Client {
                        id: id.clone(),
                        secret: None,
                        auth: AuthMethod::PrivateKeyJwt,
                        key: Some(key),
                    })
                });
                client_a = Client {
                    id: f.client_id.clone(),
                    secret: Some(f.client_secret.clone()),
                    auth: AuthMethod::Basic,
                    key: None,
                };
                second = Some(Client {
                    id: f.second_client_id.clone(),
                    secret: Some(f.second_client_secret.clone()),
                    auth: AuthMethod::Basic,
                    key: None,
                });
                let scope = Some(f.user_scopes.join(" "));
                subj = SubjectSource::Password {
                    username: f.user.0.clone(),
                    password: f.user.1.clone(),
                    scope: scope.clone(),
                };
                unmapped = Some(SubjectSource::Password {
                    username: f.unmapped_user.0.clone(),
                    password: f.unmapped_user.1.clone(),
                    scope: None,
                });
                user_sub = Some(f.user_sub.clone());
                scopes = scope;
                escalation = Some(f.escalation_scope.clone());
                as_c = f.as_c.clone();
                alias = if kind_b == Kind::Mock {
                    Some(f.as_b_audience_alias.clone())
                } else {
                    None
                };
            }
            (None, None) => unreachable!("AS-A is live or mock"),
        }
        let (as_b, as_b_client, mut user_sub_at_b) = match (&live_b, &facts) {
            (Some(b), _) => {
                let t = target.expect("live implies target");
                (
                    b.clone(),
                    t.spec
                        .as_b
                        .client
                        .as_ref()
                        .map(|c| client(t, c))
                        .transpose()?,
                    None,
                )
            }
            (None, Some(f)) => (
                mock_as_b(f),
                registered_b_client.clone().or_else(|| {
                    f.as_b_client.as_ref().map(|(id, s)| Client {
                        id: id.clone(),
                        secret: Some(s.clone()),
                        auth: AuthMethod::Basic,
                        key: None,
                    })
                }),
                Some(f.user_sub_at_b.clone()),
            ),
            (None, None) => unreachable!("AS-B is live or mock"),
        };
        // Target fixtures override what the mock facts suggest.
        if let Some(a) = target.and_then(|t| t.spec.as_b.audience.clone()) {
            alias = Some(a);
        }
        user_sub = fixtures.user_sub.clone().or(user_sub);
        user_sub_at_b = fixtures.user_sub_at_b.clone().or(user_sub_at_b);
        scopes = fixtures.scopes.clone().or(scopes);
        escalation = fixtures.escalation_scope.clone().or(escalation);
        as_c = fixtures.as_c.clone().or(as_c);

        let rs = match (kind_rs, target.and_then(|t| t.spec.rs.as_ref()), &facts) {
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
        };

        // Mock roles: their metadata is discovered like a live server's, so that
        // `target.as_x.metadata.*` means the same thing for both.
        let (mut as_a, mut as_b) = (as_a, as_b);
        for info in [&mut as_a, &mut as_b] {
            if info.metadata.is_null()
                && let Ok(m) = fetch_json(
                    &http,
                    &well_known(&info.issuer, "oauth-authorization-server"),
                )
                .await
            {
                info.metadata = m;
            }
        }
        let as_a_jwks = match &as_a.jwks_uri {
            Some(u) => fetch_json(&http, u).await.ok(),
            None => None,
        };

        for c in [
            Some(&client_a),
            second.as_ref(),
            as_b_client.as_ref(),
            jwt_client.as_ref(),
        ]
        .into_iter()
        .flatten()
        {
            if let Some(pem) = c.key.as_ref().and_then(|k| {
                use p256::pkcs8::EncodePrivateKey;
                k.to_pkcs8_pem(p256::pkcs8::LineEnding::LF).ok()
            }) {
                secrets.push(pem.to_string());
            }
        }
        for c in [Some(&client_a), second.as_ref(), as_b_client.as_ref()]
            .into_iter()
            .flatten()
        {
            secrets.extend(c.secret.clone());
        }
        for s in [Some(&subj), unmapped.as_ref()].into_iter().flatten() {
            match s {
                SubjectSource::Password { password, .. } => secrets.push(password.clone()),
                SubjectSource::Token(t) => secrets.push(t.clone()),
                SubjectSource::ClientCredentials { .. } => {}
            }
        }
        if let Some(h) = &harness {
            secrets.push(h.private_pem());
        }

        let fault_names: Vec<String> = faults.iter().map(|f| f.name().to_string()).collect();
        let variant_names: Vec<String> = variants.iter().map(|v| v.name().to_string()).collect();
        let role = |kind: Kind, url: &str| RoleInfo {
            kind: if kind == Kind::Mock {
                "mock".into()
            } else {
                "live".into()
            },
            url: url.to_string(),
            faults: if kind == Kind::Mock {
                fault_names.clone()
            } else {
                Vec::new()
            },
            variants: if kind == Kind::Mock {
                variant_names.clone()
            } else {
                Vec::new()
            },
        };
        let targets = Targets {
            as_a: role(kind_a, &as_a.issuer),
            as_b: role(kind_b, &as_b.issuer),
            rs: rs
                .as_ref()
                .map(|(r, _)| role(kind_rs.unwrap_or(Kind::Mock), r)),
            harness_issuer: harness.as_ref().map(|h| h.issuer.clone()),
            file: target.map(|t| t.file.name.clone()),
        };
        // The embedded mock declares what a target file would: DPoP support and its leeway.
        let mock_dpop = facts.as_ref().is_none_or(|f| f.dpop);
        let dpop = match target {
            None => mock_dpop,
            Some(t) => t
                .spec
                .as_b
                .dpop
                .unwrap_or(kind_b == Kind::Mock && mock_dpop),
        };
        if let (Kind::Mock, Some(f)) = (kind_b, &facts) {
            limits.clock_leeway_secs = limits.clock_leeway_secs.max(f.leeway_secs);
        }
        let trusts_harness =
            target.is_none_or(|t| t.spec.as_b.trusts_harness || kind_b == Kind::Mock);
        Ok(Env {
            as_a,
            as_a_jwks,
            as_b,
            as_b_audience: alias,
            as_c,
            rs,
            client: client_a,
            second_client: second,
            jwt_client,
            as_b_client,
            subject: subj,
            unmapped,
            user_sub,
            user_sub_at_b,
            scopes,
            escalation_scope: escalation,
            harness: if trusts_harness { harness } else { None },
            dpop,
            limits,
            targets,
            secrets,
            profile: target.and_then(|t| t.spec.profile.clone()),
            _mock: mock,
            harness_server,
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
        add(Capability::SecondClient, self.second_client.is_some());
        add(Capability::UnmappedUser, self.unmapped.is_some());
        add(Capability::AsBClient, self.as_b_client.is_some());
        add(Capability::Dpop, self.dpop);
        add(Capability::AudienceAlias, self.as_b_audience.is_some());
        add(Capability::JwtClient, self.jwt_client.is_some());
        caps
    }

    /// The `target` object of the case context.
    pub fn target_json(&self) -> Value {
        let as_info = |a: &AsInfo| json!({ "issuer": a.issuer, "token_endpoint": a.token_endpoint, "jwks_uri": a.jwks_uri, "metadata": a.metadata });
        let mut as_b = as_info(&self.as_b);
        as_b["audience"] = json!(self.as_b_audience);
        json!({
            "as_a": as_info(&self.as_a),
            "as_b": as_b,
            "as_c": self.as_c,
            "rs": self.rs.as_ref().map(|(r, u)| json!({"resource": r, "url": u})),
            "user": { "sub": self.user_sub, "sub_at_b": self.user_sub_at_b },
            "scopes": self.scopes,
            "escalation_scope": self.escalation_scope,
            "harness": self.harness.as_ref().map(|h| json!({"issuer": h.issuer, "jwks_uri": h.jwks_uri()})),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_inserts_before_the_issuer_path() {
        assert_eq!(
            well_known("https://a.example/realms/x", "oauth-authorization-server"),
            "https://a.example/.well-known/oauth-authorization-server/realms/x"
        );
        assert_eq!(
            well_known("https://a.example", "oauth-authorization-server"),
            "https://a.example/.well-known/oauth-authorization-server"
        );
        assert_eq!(
            well_known("https://rs.example/api/", "oauth-protected-resource"),
            "https://rs.example/.well-known/oauth-protected-resource/api"
        );
    }
}

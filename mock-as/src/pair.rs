//! Starting and stopping the AS-A / AS-B / RS-B servers (in-process, ephemeral ports).

use crate::as_a::{self, AsA};
use crate::as_b::{self, AsB};
use crate::config::ClientConfig;
use crate::fault::FaultSet;
use crate::keys::EsKey;
use crate::mtls::MockTls;
use crate::replay::JtiCache;
use crate::rs::{self, Rs};
use crate::trust::TrustStore;
use crate::urls::{AsUrls, RsUrls};
use crate::{Fault, MockConfig, Variant};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

/// An extra issuer AS-B trusts as a "domain A" peer (harness-issuer mode).
#[derive(Debug, Clone, PartialEq)]
pub struct TrustedIssuer {
    pub issuer: String,
    /// A JWKS document given by value...
    pub jwks: Option<serde_json::Value>,
    /// ...or fetched from this URL.
    pub jwks_uri: Option<String>,
}

#[derive(Debug, Clone)]
pub struct MockOptions {
    pub config: MockConfig,
    pub faults: Vec<Fault>,
    /// Legal behaviours switched on (see `Variant`).
    pub variants: Vec<Variant>,
    /// The profile mode: which document's extra rules the pair follows (default identity
    /// chaining).
    pub profile: crate::MockProfile,
    pub bind: IpAddr,
    /// 0 = ephemeral.
    pub port_a: u16,
    pub port_b: u16,
    pub port_rs: u16,
    pub extra_trusted_issuers: Vec<TrustedIssuer>,
    /// Serve HTTPS (and accept RFC 8705 client certificates) instead of plain HTTP.
    pub tls: Option<MockTls>,
}

impl Default for MockOptions {
    fn default() -> Self {
        MockOptions {
            config: MockConfig::default(),
            faults: Vec::new(),
            variants: Vec::new(),
            profile: crate::MockProfile::default(),
            bind: IpAddr::from([127, 0, 0, 1]),
            port_a: 0,
            port_b: 0,
            port_rs: 0,
            extra_trusted_issuers: Vec::new(),
            tls: None,
        }
    }
}

impl MockOptions {
    /// The default configuration running `faults`.
    pub fn with_faults(faults: Vec<Fault>) -> MockOptions {
        MockOptions {
            faults,
            ..MockOptions::default()
        }
    }

    /// AS-B trusts `issuer` as one more domain-A authorization server (harness-issuer mode, or
    /// a live AS-A paired with the mock AS-B).
    pub fn trust_issuer(&mut self, issuer: TrustedIssuer) -> &mut Self {
        self.extra_trusted_issuers.push(issuer);
        self
    }

    /// AS-B maps the domain-A subject `sub_at_a` to its local subject `sub_at_b`.
    pub fn map_subject(&mut self, sub_at_a: &str, sub_at_b: &str) -> &mut Self {
        self.config
            .as_b
            .subject_map
            .insert(sub_at_a.to_string(), sub_at_b.to_string());
        self
    }

    /// Registers a client at AS-B (replacing one with the same id), as a deployment registers
    /// every domain-A client that calls domain B.
    pub fn register_client_at_as_b(&mut self, id: &str, secret: &str) -> &mut Self {
        let clients = &mut self.config.as_b.clients;
        clients.retain(|c| c.id != id);
        clients.push(crate::config::BClientConfig::with_secret(id, secret));
        self
    }

    /// AS-A also mints grants addressed to `audience` (a live AS-B paired with the mock AS-A).
    pub fn add_partner(&mut self, audience: &str) -> &mut Self {
        self.config.as_a.extra_partners.push(audience.to_string());
        self
    }

    /// AS-A gets an authorization endpoint that logs test users in by `login_hint`, with the
    /// authorization-code and refresh-token grants (see [`crate::login`]).
    pub fn login_without_page(&mut self) -> &mut Self {
        self.config.as_a.login_without_page = true;
        self
    }

    /// AS-A's user access tokens live no longer than its grants.
    pub fn user_tokens_expire_with_grants(&mut self) -> &mut Self {
        let a = &mut self.config.as_a;
        a.access_token_lifetime_secs = a.access_token_lifetime_secs.min(a.grant_lifetime_secs);
        self
    }
}

/// Everything a harness needs to drive the running pair: URLs, credentials, fixtures.
#[derive(Debug, Clone, PartialEq)]
pub struct MockFacts {
    pub as_a_issuer: String,
    pub as_a_token_endpoint: String,
    pub as_a_jwks_uri: String,
    pub as_b_issuer: String,
    pub as_b_token_endpoint: String,
    pub as_b_jwks_uri: String,
    /// Logical name accepted as `audience` for AS-B.
    pub as_b_audience_alias: String,
    /// An AS that AS-A mints grants for but AS-B is not (fixture "AS-C").
    pub as_c: Option<String>,
    /// RS-B resource identifier (RFC 9728) and the URL of its protected endpoint.
    pub rs_resource: String,
    pub rs_url: String,
    /// Primary client at AS-A (client_secret_basic/post).
    pub client_id: String,
    pub client_secret: String,
    /// A second client at AS-A, for lateral-move tests.
    pub second_client_id: String,
    pub second_client_secret: String,
    /// Client credentials at AS-B, if AS-B knows the client.
    pub as_b_client: Option<(String, String)>,
    /// A user AS-B can map: username, password, `sub` at AS-A, expected subject at AS-B.
    pub user: (String, String),
    pub user_sub: String,
    pub user_sub_at_b: String,
    /// A user known at AS-A that AS-B cannot map.
    pub unmapped_user: (String, String),
    /// A second user AS-B maps (username, password) and its subject at AS-B, when the
    /// configuration maps two users.
    pub second_user: Option<(String, String)>,
    pub second_user_sub_at_b: Option<String>,
    /// Scopes the primary user holds, and one they do not.
    pub user_scopes: Vec<String>,
    pub escalation_scope: String,
    /// RFC 8414 / RFC 9728 metadata URLs (well-known path inserted before the issuer path).
    pub as_a_metadata_url: String,
    pub as_b_metadata_url: String,
    pub rs_metadata_url: String,
    /// A second protected resource of domain A, target of same-domain exchange in the Ena mode
    /// (Ena chaining profile §2).
    pub same_domain_resource: String,
    /// A client at AS-A that authenticates with private_key_jwt (its key:
    /// `fixtures/keys/jwt-client.pem` for the default configuration).
    pub jwt_client_id: Option<String>,
    /// The faults this pair runs with.
    pub faults: Vec<Fault>,
    /// The legal variants this pair runs with.
    pub variants: Vec<Variant>,
    /// The profile mode the pair runs in.
    pub profile: crate::MockProfile,
    /// Whether the servers support DPoP (what a target file would declare).
    pub dpop: bool,
    /// AS-B's clock leeway for grant times, in seconds (what a target file would declare).
    pub leeway_secs: u64,
    /// AS-B refuses jwt-bearer requests without client authentication (its policy, after
    /// the variants).
    pub as_b_requires_client_auth: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum MockError {
    #[error("cannot bind {role} on {addr}: {source}")]
    Bind {
        role: &'static str,
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid mock configuration: {0}")]
    Config(String),
}

/// A running pair; the servers stop when this is dropped.
pub struct MockPair {
    facts: MockFacts,
    stop: tokio::sync::watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

async fn bind(ip: IpAddr, port: u16, role: &'static str) -> Result<TcpListener, MockError> {
    let addr = SocketAddr::new(ip, port);
    TcpListener::bind(addr)
        .await
        .map_err(|source| MockError::Bind {
            role,
            addr: addr.to_string(),
            source,
        })
}

fn origin(listener: &TcpListener, role: &'static str, tls: bool) -> Result<String, MockError> {
    let addr = listener.local_addr().map_err(|source| MockError::Bind {
        role,
        addr: "?".into(),
        source,
    })?;
    Ok(format!("{}://{addr}", if tls { "https" } else { "http" }))
}

fn secret_clients(cfg: &MockConfig) -> Vec<&ClientConfig> {
    cfg.as_a
        .clients
        .iter()
        .filter(|c| {
            c.secret.is_some()
                && c.auth_methods
                    .iter()
                    .any(|m| m == "client_secret_basic" || m == "client_secret_post")
        })
        .collect()
}

/// Ena OAuth profile §8.3 and §3.1.1.6: clients authenticate with private_key_jwt (or mutual
/// TLS), never with a secret. In the Ena mode every client registered with a secret method
/// authenticates with the shipped private_key_jwt key instead ([`crate::JWT_CLIENT_KEY_PEM`],
/// which the harness holds); under `ena-client-secret-methods` (AS-A) and
/// `ena-as-b-client-secret-methods` (AS-B) that server keeps the secret methods beside it.
/// Called after the facts are built: they still name the clients and their secrets.
fn ena_key_clients(cfg: &mut MockConfig, faults: &[Fault]) {
    let Ok(key) = EsKey::from_pkcs8_pem(crate::JWT_CLIENT_KEY_PEM) else {
        return;
    };
    let jwk = key.public_jwk_minimal();
    let secret = |m: &String| m == "client_secret_basic" || m == "client_secret_post";
    let by_key = |methods: &mut Vec<String>, keep_secrets: bool| {
        if !keep_secrets {
            methods.retain(|m| !secret(m));
        }
        methods.push("private_key_jwt".into());
    };
    let keep_a = faults.contains(&Fault::EnaClientSecretMethods);
    for c in &mut cfg.as_a.clients {
        if c.auth_methods.iter().any(secret) {
            by_key(&mut c.auth_methods, keep_a);
            c.jwk = Some(jwk.clone());
        }
    }
    // Only AS-B's registrations of the pair's own clients: a client registered for a live AS-A
    // keeps the credentials the harness has for it.
    let own: Vec<String> = cfg.as_a.clients.iter().map(|c| c.id.clone()).collect();
    let keep_b = faults.contains(&Fault::EnaAsBClientSecretMethods);
    for c in cfg.as_b.clients.iter_mut().filter(|c| own.contains(&c.id)) {
        let mut methods = c.as_client().auth_methods;
        if methods.iter().any(secret) {
            by_key(&mut methods, keep_b);
            c.auth_methods = methods;
            c.jwk = Some(jwk.clone());
        }
    }
}

fn build_facts(
    cfg: &MockConfig,
    a: &AsUrls,
    b: &AsUrls,
    r: &RsUrls,
    faults: &[Fault],
    variants: &[Variant],
    profile: crate::MockProfile,
) -> Result<MockFacts, MockError> {
    let missing = |what: &str| MockError::Config(format!("the configuration needs {what}"));
    let clients = secret_clients(cfg);
    let (primary, second) = match clients.as_slice() {
        [p, s, ..] => (*p, *s),
        _ => {
            return Err(missing(
                "two AS-A clients with a secret (client_secret_basic or client_secret_post)",
            ));
        }
    };
    let at_b = |u: &crate::config::UserConfig| {
        let sub = cfg.as_a.transcribe_subjects.get(&u.sub).unwrap_or(&u.sub);
        cfg.as_b.subject_map.get(sub).cloned()
    };
    let user = cfg
        .as_a
        .users
        .iter()
        .find(|u| at_b(u).is_some())
        .ok_or_else(|| missing("a user AS-B can map (as_b.subject_map)"))?;
    // A second user AS-B maps (optional: a configuration may map one user only).
    let second_user = cfg.as_a.users.iter().filter(|u| at_b(u).is_some()).nth(1);
    let unmapped = cfg
        .as_a
        .users
        .iter()
        .find(|u| at_b(u).is_none())
        .ok_or_else(|| missing("a user AS-B cannot map"))?;
    let user_scopes: Vec<String> = user
        .scopes
        .iter()
        .filter(|s| primary.scopes.contains(s))
        .cloned()
        .collect();
    let escalation_scope = primary
        .scopes
        .iter()
        .find(|s| !user.scopes.contains(s))
        .cloned()
        .unwrap_or_else(|| "chainproof-escalation".into());
    Ok(MockFacts {
        as_a_issuer: a.issuer.clone(),
        as_a_token_endpoint: a.token_endpoint.clone(),
        as_a_jwks_uri: a.jwks_uri.clone(),
        as_b_issuer: b.issuer.clone(),
        as_b_token_endpoint: b.token_endpoint.clone(),
        as_b_jwks_uri: b.jwks_uri.clone(),
        as_b_audience_alias: cfg.as_a.as_b_audience_alias.clone(),
        as_c: cfg.as_a.extra_partners.first().cloned(),
        rs_resource: r.resource.clone(),
        rs_url: r.resource.clone(),
        client_id: primary.id.clone(),
        client_secret: primary.secret.clone().unwrap_or_default(),
        second_client_id: second.id.clone(),
        second_client_secret: second.secret.clone().unwrap_or_default(),
        as_b_client: cfg
            .as_b
            .clients
            .iter()
            .find(|c| c.id == primary.id)
            .map(|c| (c.id.clone(), c.secret.clone())),
        user: (user.username.clone(), user.password.clone()),
        user_sub: user.sub.clone(),
        user_sub_at_b: at_b(user).unwrap_or_default(),
        unmapped_user: (unmapped.username.clone(), unmapped.password.clone()),
        second_user: second_user.map(|u| (u.username.clone(), u.password.clone())),
        second_user_sub_at_b: second_user.and_then(at_b),
        user_scopes,
        escalation_scope,
        as_a_metadata_url: a.metadata_url.clone(),
        as_b_metadata_url: b.metadata_url.clone(),
        rs_metadata_url: r.metadata_url.clone(),
        same_domain_resource: crate::as_a::second_api_audience(
            &a.issuer,
            &cfg.as_a.api_audience_path,
        ),
        jwt_client_id: cfg
            .as_a
            .clients
            .iter()
            .find(|c| c.jwk.is_some() && c.auth_methods.iter().any(|m| m == "private_key_jwt"))
            .map(|c| c.id.clone()),
        faults: faults.to_vec(),
        variants: variants.to_vec(),
        profile,
        dpop: !variants.contains(&Variant::NoDpop),
        leeway_secs: cfg.as_b.leeway_secs,
        // Ena chaining profile §3.4.2 (1): in Ena mode the client always authenticates at AS-B.
        as_b_requires_client_auth: cfg.as_b.require_client_auth
            || (profile == crate::MockProfile::Ena
                && !faults.contains(&Fault::EnaAsBAnonymousClient)),
    })
}

/// The configuration a pair runs: the legal variants applied to it, validated, and the faults.
struct Settled {
    cfg: MockConfig,
    /// Sorted and deduplicated.
    variants: Vec<Variant>,
    /// Sorted and deduplicated.
    faults_sorted: Vec<Fault>,
    faults: FaultSet,
}

/// Apply the variants to the configuration (each variant is a configuration a conformant
/// server may have), validate it, and build the fault set for the profile mode.
fn settle(
    mut cfg: MockConfig,
    variants: &[Variant],
    faults: &[Fault],
    profile: crate::MockProfile,
) -> Result<Settled, MockError> {
    let mut variants = variants.to_vec();
    variants.sort();
    variants.dedup();
    for v in &variants {
        v.apply(&mut cfg);
    }
    cfg.validate().map_err(MockError::Config)?;
    let mut faults_sorted = faults.to_vec();
    faults_sorted.sort();
    faults_sorted.dedup();
    let faults = FaultSet::with_profile(&faults_sorted, &variants, profile);
    Ok(Settled {
        cfg,
        variants,
        faults_sorted,
        faults,
    })
}

/// The three servers' URLs.
struct PairUrls {
    a: AsUrls,
    b: AsUrls,
    rs: RsUrls,
}

/// The three bound listeners (AS-A, AS-B, RS-B) and the URLs they serve.
struct Bound {
    a: TcpListener,
    b: TcpListener,
    rs: TcpListener,
    urls: PairUrls,
}

/// Bind AS-A, AS-B and RS-B (in that order) and derive their URLs from the bound addresses.
async fn bind_all(
    options: &MockOptions,
    cfg: &MockConfig,
    https: bool,
) -> Result<Bound, MockError> {
    let a = bind(options.bind, options.port_a, "AS-A").await?;
    let b = bind(options.bind, options.port_b, "AS-B").await?;
    let rs = bind(options.bind, options.port_rs, "RS-B").await?;
    let urls = PairUrls {
        a: AsUrls::new(
            &origin(&a, "AS-A", https)?,
            &cfg.as_a.issuer_path,
            &cfg.as_a.token_path,
            &cfg.as_a.jwks_path,
        ),
        b: AsUrls::new(
            &origin(&b, "AS-B", https)?,
            &cfg.as_b.issuer_path,
            &cfg.as_b.token_path,
            &cfg.as_b.jwks_path,
        ),
        rs: RsUrls::new(&origin(&rs, "RS-B", https)?, &cfg.rs.resource_path),
    };
    Ok(Bound { a, b, rs, urls })
}

/// A trusted issuer's keys: its issuer, a JWKS given by value, or the URL to fetch it from.
type KeySource = (String, Option<serde_json::Value>, Option<String>);

/// The domain-A issuers AS-B trusts: the pair's AS-A (keys fetched from its `jwks_uri`), the
/// configured ones and the extra ones of the options; each names exactly one key source.
fn trusted_sources(
    cfg: &MockConfig,
    as_a: &AsUrls,
    extra: &[TrustedIssuer],
) -> Result<Vec<KeySource>, MockError> {
    let mut sources = vec![(as_a.issuer.clone(), None, Some(as_a.jwks_uri.clone()))];
    sources.extend(
        cfg.as_b
            .trusted_issuers
            .iter()
            .map(|t| (t.issuer.clone(), t.jwks.clone(), t.jwks_uri.clone())),
    );
    sources.extend(
        extra
            .iter()
            .map(|t| (t.issuer.clone(), t.jwks.clone(), t.jwks_uri.clone())),
    );
    if let Some(bad) = sources
        .iter()
        .find(|(_, jwks, uri)| jwks.is_none() == uri.is_none())
    {
        return Err(MockError::Config(format!(
            "trusted issuer `{}` needs exactly one of jwks and jwks_uri",
            bad.0
        )));
    }
    Ok(sources)
}

/// What the three servers share: their keys, the opaque-token store, the faults and, when
/// serving HTTPS, the client-certificate rules.
struct Shared {
    a_key: EsKey,
    b_key: EsKey,
    opaque: Arc<crate::opaque::OpaqueTokens>,
    faults: FaultSet,
    client_certs: Option<crate::mtls::ClientCerts>,
}

/// RS-B's run-time state: it verifies AS-B's tokens and refuses AS-A's.
fn rs_state(sh: &Shared, urls: &PairUrls) -> Rs {
    Rs {
        opaque: sh.opaque.clone(),
        urls: urls.rs.clone(),
        as_b_issuer: urls.b.issuer.clone(),
        as_b_key: sh.b_key.verifying_key(),
        as_a_key: sh.a_key.verifying_key(),
        as_a_issuer: urls.a.issuer.clone(),
        faults: sh.faults.clone(),
        dpop_replay: JtiCache::default(),
    }
}

/// AS-B's run-time state: its clients, the issuers it trusts, its replay caches.
fn as_b_state(cfg: &MockConfig, sh: &Shared, urls: &PairUrls, trust: TrustStore) -> AsB {
    AsB {
        cfg: cfg.as_b.clone(),
        urls: urls.b.clone(),
        key: sh.b_key.clone(),
        faults: sh.faults.clone(),
        trust,
        rs: urls.rs.clone(),
        clients: cfg.as_b.clients.iter().map(|c| c.as_client()).collect(),
        client_certs: sh.client_certs.clone(),
        opaque: sh.opaque.clone(),
        assertion_replay: JtiCache::default(),
        dpop_replay: JtiCache::default(),
        grant_replay: JtiCache::default(),
        last_proof: std::sync::Mutex::default(),
    }
}

/// AS-A's run-time state: its keys (the variants' extra EC keys and RSA key too), its partner
/// AS-B and what it knows of domain B (RS-B's resource, AS-B's subject map).
fn as_a_state(cfg: &MockConfig, sh: Shared, urls: PairUrls, variants: &[Variant]) -> AsA {
    AsA {
        cfg: cfg.as_a.clone(),
        urls: urls.a,
        key: sh.a_key,
        faults: sh.faults,
        as_b: urls.b,
        rs_resource: urls.rs.resource.clone(),
        assertion_replay: JtiCache::default(),
        dpop_replay: JtiCache::default(),
        fixed_jti: uuid::Uuid::new_v4().to_string(),
        extra_keys: if variants
            .iter()
            .any(|v| matches!(v, Variant::SeveralKeys | Variant::KeyRotation))
        {
            vec![EsKey::generate(), EsKey::generate()]
        } else {
            Vec::new()
        },
        rotated: std::sync::atomic::AtomicBool::new(false),
        rsa_key: variants
            .iter()
            .any(|v| matches!(v, Variant::RsaKeys | Variant::RsaAndEcKeys))
            .then(crate::keys::RsKey::generate),
        login: Default::default(),
        client_certs: sh.client_certs,
        peer_subjects: cfg.as_b.subject_map.clone(),
        rs_resources: vec![urls.rs.resource],
    }
}

/// Serve `router` on `listener` (HTTPS with `tls`) until `watch` turns true; HTTPS connections
/// get at most 5 s to finish after that.
fn serve(
    listener: TcpListener,
    router: axum::Router,
    mut watch: tokio::sync::watch::Receiver<bool>,
    tls: Option<axum_server::tls_rustls::RustlsConfig>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let stopped = async move {
            let _ = watch.wait_for(|s| *s).await;
        };
        // A serve error means the listener failed; the pair's users see connection errors.
        match tls {
            None => {
                let _ = axum::serve(listener, router)
                    .with_graceful_shutdown(stopped)
                    .await;
            }
            Some(config) => {
                let handle = axum_server::Handle::new();
                let stopper = handle.clone();
                tokio::spawn(async move {
                    stopped.await;
                    stopper.graceful_shutdown(Some(Duration::from_secs(5)));
                });
                let Ok(listener) = listener.into_std() else {
                    return;
                };
                if let Ok(server) = axum_server::from_tcp_rustls(listener, config) {
                    let _ = server
                        .handle(handle)
                        .serve(router.into_make_service())
                        .await;
                }
            }
        }
    })
}

impl MockPair {
    /// Bind the three listeners, start serving, and return at once with the facts filled.
    ///
    /// In order: the configuration with its variants ([`settle`]), TLS, the listeners and
    /// their URLs ([`bind_all`]), the facts a harness drives the pair with ([`build_facts`]),
    /// the trusted issuers ([`trusted_sources`]), each server's state ([`rs_state`],
    /// [`as_b_state`], [`as_a_state`]), and a serving task per server ([`serve`]).
    pub async fn start(options: MockOptions) -> Result<MockPair, MockError> {
        let Settled {
            mut cfg,
            variants,
            faults_sorted,
            faults,
        } = settle(
            options.config.clone(),
            &options.variants,
            &options.faults,
            options.profile,
        )?;
        let tls = match &options.tls {
            Some(t) => Some(t.server_config().map_err(MockError::Config)?),
            None => None,
        };
        let fetch_roots = match &options.tls {
            Some(t) => t.fetch_roots().map_err(MockError::Config)?,
            None => Vec::new(),
        };
        let Bound { a, b, rs, urls } = bind_all(&options, &cfg, tls.is_some()).await?;
        let facts = build_facts(
            &cfg,
            &urls.a,
            &urls.b,
            &urls.rs,
            &faults_sorted,
            &variants,
            options.profile,
        )?;
        if options.profile == crate::MockProfile::Ena {
            ena_key_clients(&mut cfg, &faults_sorted);
        }

        let shared = Shared {
            a_key: EsKey::generate(),
            b_key: EsKey::generate(),
            opaque: Arc::new(crate::opaque::OpaqueTokens::default()),
            faults,
            client_certs: tls.as_ref().map(|(_, c)| c.clone()),
        };
        let sources = trusted_sources(&cfg, &urls.a, &options.extra_trusted_issuers)?;
        let trust = TrustStore::with_roots(sources, fetch_roots);
        let rs_server = Arc::new(rs_state(&shared, &urls));
        let as_b = Arc::new(as_b_state(&cfg, &shared, &urls, trust));
        let as_a = Arc::new(as_a_state(&cfg, shared, urls, &variants));

        let (stop, watch) = tokio::sync::watch::channel(false);
        let rustls_config = tls.map(|(config, _)| {
            axum_server::tls_rustls::RustlsConfig::from_config(Arc::new(config))
        });
        let tasks = vec![
            serve(a, as_a::router(as_a), watch.clone(), rustls_config.clone()),
            serve(b, as_b::router(as_b), watch.clone(), rustls_config.clone()),
            serve(rs, rs::router(rs_server), watch, rustls_config),
        ];
        Ok(MockPair { facts, stop, tasks })
    }

    pub fn facts(&self) -> &MockFacts {
        &self.facts
    }

    /// Stop accepting, let in-flight requests finish (at most 5 s), then stop.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        for task in std::mem::take(&mut self.tasks) {
            let abort = task.abort_handle();
            if tokio::time::timeout(Duration::from_secs(5), task)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
    }
}

impl Drop for MockPair {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        for task in &self.tasks {
            task.abort();
        }
    }
}

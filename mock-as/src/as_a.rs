//! AS-A, the domain-A authorization server: RFC 8414 metadata, JWKS, RFC 9068 access tokens for
//! test users and clients, and RFC 8693 token exchange minting JWT authorization grants
//! (draft-ietf-oauth-identity-chaining-17 §2.3).

use crate::client_auth::{Authenticator, ClientIdentity};
use crate::config::AsAConfig;
use crate::dpop;
use crate::endpoint::{
    self, TOKEN_EXCHANGE, TT_ACCESS_TOKEN, TT_JWT, error_style, scopes, token_response,
};
use crate::error::OAuthError;
use crate::fault::{Fault, FaultSet};
use crate::form::Form;
use crate::id_jag;
use crate::jose::{self, Jws};
use crate::keys::{self, EsKey, JwsKey};
use crate::replay::{JtiCache, now};
use crate::urls::AsUrls;
use crate::variant::Variant;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use serde_json::{Map, Value, json};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Everything AS-A needs at run time.
pub struct AsA {
    pub cfg: AsAConfig,
    pub urls: AsUrls,
    pub key: EsKey,
    pub faults: FaultSet,
    /// The sibling AS-B, the only partner AS-B-bound `resource`/`audience` values resolve to.
    pub as_b: AsUrls,
    /// RS-B's resource identifier (only the `grant-aud-resource` fault uses it).
    pub rs_resource: String,
    pub assertion_replay: JtiCache,
    pub dpop_replay: JtiCache,
    /// The one `jti` used under the `grant-duplicate-jti` fault.
    pub fixed_jti: String,
    /// Authorization codes and refresh tokens (`login_without_page` only).
    pub login: crate::login::LoginState,
    /// RFC 8705 client-certificate rules when serving HTTPS.
    pub client_certs: Option<crate::mtls::ClientCerts>,
    /// Further keys: decoys in the JWKS (`several-keys`) or the successor key (`key-rotation`).
    pub extra_keys: Vec<EsKey>,
    /// Under `key-rotation`: set once the first grant is minted; then `extra_keys[0]` signs.
    pub rotated: AtomicBool,
    /// The RS256 key under `rsa-keys` (signs everything) and `rsa-and-ec-keys` (signs grants).
    pub rsa_key: Option<keys::RsKey>,
    /// AS-B's identifiers for domain-A subjects (its subject map): what the ID-JAG mode's IdP
    /// knows as `aud_sub` (ID-JAG §3.1, OpenID Connect Enterprise Extensions).
    pub peer_subjects: std::collections::BTreeMap<String, String>,
    /// The protected resources (RS-B's RFC 8707 identifier) the ID-JAG mode's IdP grants
    /// access to when a request names them with `resource` beside `audience` (ID-JAG §4.3).
    pub rs_resources: Vec<String>,
}

impl AsA {
    /// The key that signs grants and access tokens now.
    fn signing_key(&self) -> &EsKey {
        if self.faults.variant(Variant::KeyRotation) && self.rotated.load(Ordering::SeqCst) {
            &self.extra_keys[0]
        } else {
            &self.key
        }
    }

    /// The key that signs grants: the RSA key under `rsa-keys` and `rsa-and-ec-keys`.
    fn grant_key(&self) -> &dyn JwsKey {
        match &self.rsa_key {
            Some(k) => k,
            None => self.signing_key(),
        }
    }

    /// The key that signs AS-A's own access tokens: the RSA key only under `rsa-keys`.
    fn access_token_key(&self) -> &dyn JwsKey {
        match &self.rsa_key {
            Some(k) if self.faults.variant(Variant::RsaKeys) => k,
            _ => self.signing_key(),
        }
    }

    /// The keys the JWKS publishes now, in order.
    fn published_keys(&self) -> Vec<&EsKey> {
        let f = &self.faults;
        if f.variant(Variant::SeveralKeys) {
            vec![&self.extra_keys[0], &self.key, &self.extra_keys[1]]
        } else if f.variant(Variant::KeyRotation) && self.rotated.load(Ordering::SeqCst) {
            vec![&self.key, &self.extra_keys[0]]
        } else {
            vec![&self.key]
        }
    }
}

impl AsA {
    /// AS-A's client authentication at its token endpoint.
    fn authenticator<'a>(&'a self, now: i64, peer_cert: Option<&'a [u8]>) -> Authenticator<'a> {
        Authenticator {
            clients: &self.cfg.clients,
            issuer: &self.urls.issuer,
            token_endpoint: &self.urls.token_endpoint,
            realm: "as-a",
            assertion_replay: &self.assertion_replay,
            faults: &self.faults,
            now,
            client_certs: self.client_certs.as_ref(),
            peer_cert,
        }
    }
}

pub fn router(state: Arc<AsA>) -> Router {
    let mut r = Router::new()
        .route(&state.urls.metadata_route, get(metadata))
        .route(&state.urls.jwks_route, get(jwks))
        .route(&state.urls.token_route, any(token));
    if state.cfg.login_without_page {
        r = r.route(&authorize_route(&state), get(authorize));
    }
    r.with_state(state)
}

fn authorize_route(s: &AsA) -> String {
    format!("{}/authorize", s.cfg.issuer_path)
}

/// The grants the token endpoint takes.
fn grant_types(s: &AsA) -> Vec<&'static str> {
    let mut g = vec![TOKEN_EXCHANGE, "password", "client_credentials"];
    if s.cfg.login_without_page {
        g.extend(["authorization_code", "refresh_token"]);
    }
    if id_jag::on(&s.faults) && s.faults.has(Fault::IdJagIdpRedeemsOwnIdJag) {
        g.push(endpoint::JWT_BEARER);
    }
    g
}

/// The test-user authorization endpoint (see [`crate::login`]).
async fn authorize(
    State(s): State<Arc<AsA>>,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Response {
    let client_exists = |id: &str| s.cfg.clients.iter().any(|c| c.id == id);
    let user = |hint: &str, client_id: &str| {
        let u = s.cfg.users.iter().find(|u| u.username == hint)?;
        let allowed: BTreeSet<String> = u
            .scopes
            .iter()
            .filter(|sc| client_scopes(&s, client_id).contains(*sc))
            .cloned()
            .collect();
        Some((u.sub.clone(), allowed))
    };
    s.login.authorize(
        &q,
        &crate::login::AuthorizeContext {
            issuer: &s.urls.issuer,
            client_exists: &client_exists,
            user: &user,
            now: now(),
        },
    )
}

async fn metadata(State(s): State<Arc<AsA>>) -> Response {
    let f = &s.faults;
    let issuer = if f.has(Fault::MetadataIssuerMismatch) {
        format!("{}/", s.urls.issuer)
    } else {
        s.urls.issuer.clone()
    };
    let mut grants = grant_types(&s);
    if f.has(Fault::MetadataNoTokenExchange) {
        grants.retain(|g| *g != TOKEN_EXCHANGE);
    }
    let auth_algs = if f.has(Fault::MetadataAlgNone) {
        json!(["ES256", "none"])
    } else {
        json!(["ES256"])
    };
    let dpop_algs = if f.variant(Variant::NoDpop) {
        Value::Null
    } else if f.has(Fault::MetadataDpopAlgNone) {
        json!(["ES256", "none", "HS256"])
    } else {
        json!(["ES256"])
    };
    let mut types = vec![if id_jag::on(f) {
        id_jag::TT_ID_JAG
    } else {
        TT_JWT
    }];
    if f.has(Fault::AdvertisedTypeNotIssuable) && !id_jag::on(f) {
        types.push(id_jag::TT_ID_JAG);
    }
    let chaining = if f.has(Fault::MetadataChainingTypesNotArray) {
        json!(TT_JWT)
    } else if f.has(Fault::MetadataChainingTypesEmpty) {
        json!([])
    } else {
        json!(types)
    };
    // Ena OAuth profile §3.1.1.6: private_key_jwt and the TLS methods only (see
    // `pair::ena_key_clients`: the Ena mode's clients authenticate by key).
    let auth_methods: &[&str] = if ena(&s) && f.has(Fault::EnaMetadataExtraAuthMethod) {
        &["private_key_jwt", "attest_jwt_client_auth"]
    } else if ena(&s) && !f.has(Fault::EnaClientSecretMethods) {
        &["private_key_jwt"]
    } else {
        &[
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt",
        ]
    };
    let scopes: BTreeSet<&str> = s
        .cfg
        .clients
        .iter()
        .flat_map(|c| c.scopes.iter().map(String::as_str))
        .collect();
    let mut doc = json!({
        "issuer": issuer,
        "token_endpoint": s.urls.token_endpoint,
        "jwks_uri": s.urls.jwks_uri,
        "grant_types_supported": grants,
        "token_endpoint_auth_methods_supported": crate::mtls::auth_methods(auth_methods, s.client_certs.is_some()),
        "token_endpoint_auth_signing_alg_values_supported": auth_algs,
        "dpop_signing_alg_values_supported": dpop_algs,
        "identity_chaining_requested_token_types_supported": chaining,
        "scopes_supported": scopes,
    });
    let obj = doc.as_object_mut().expect("object");
    if f.has(Fault::MetadataNoJwksUri) {
        obj.remove("jwks_uri");
    }
    if f.variant(Variant::NoChainingTypesMetadata) || f.has(Fault::IdJagTypeNotAdvertised) {
        obj.remove("identity_chaining_requested_token_types_supported");
    }
    if f.has(Fault::EnaMetadataNoScopesSupported) {
        obj.remove("scopes_supported");
    }
    obj.retain(|_, v| !v.is_null());
    if s.cfg.login_without_page {
        let origin = s
            .urls
            .issuer
            .strip_suffix(s.cfg.issuer_path.as_str())
            .unwrap_or(&s.urls.issuer);
        doc["authorization_endpoint"] = json!(format!("{origin}{}", authorize_route(&s)));
        doc["code_challenge_methods_supported"] = json!(["S256"]);
        doc["response_types_supported"] = json!(["code"]);
    }
    axum::Json(doc).into_response()
}

async fn jwks(State(s): State<Arc<AsA>>) -> Response {
    let ec_keys = if s.faults.variant(Variant::RsaKeys) {
        Vec::new()
    } else {
        s.published_keys()
    };
    let keys: Vec<Value> = ec_keys
        .into_iter()
        .map(|key| {
            let mut jwk = key.public_jwk();
            if s.faults.has(Fault::JwksLeaksPrivateKey) {
                jwk["d"] = json!(key.private_d());
            }
            if s.faults.has(Fault::JwksNoKid) {
                jwk.as_object_mut().expect("object").remove("kid");
            }
            jwk
        })
        .chain(s.rsa_key.as_ref().map(keys::RsKey::public_jwk))
        .chain(
            s.faults
                .has(Fault::EnaJwksWeakRsaKey)
                .then(keys::weak_rsa_public_jwk),
        )
        .collect();
    axum::Json(json!({ "keys": keys })).into_response()
}

async fn token(State(s): State<Arc<AsA>>, req: Request) -> Response {
    match handle(&s, req).await {
        Ok(r) => r,
        Err(e) => e.render(error_style(&s.faults)),
    }
}

async fn handle(s: &AsA, req: Request) -> Result<Response, OAuthError> {
    let peer_cert = crate::mtls::peer_certificate(&req);
    let json_body = s.faults.has(Fault::ExchangeAcceptsJsonBody);
    let (headers, form) = endpoint::intake(req, &s.faults, json_body).await?;
    let supported = grant_types(s);
    let gt = match endpoint::grant_type(&form, &supported, &s.faults) {
        // The fall-through default of `unknown-grant-type-as-exchange`.
        Err(e)
            if e.code == "unsupported_grant_type"
                && s.faults.has(Fault::UnknownGrantTypeAsExchange) =>
        {
            TOKEN_EXCHANGE
        }
        r => r?,
    };
    let now = now();
    let client = s
        .authenticator(now, peer_cert.as_deref())
        .authenticate(&headers, &form);
    let client = match client {
        Ok(c) => c,
        Err(e)
            if e.code == "invalid_client"
                && gt == TOKEN_EXCHANGE
                && s.faults.has(Fault::IgnoreClientSecretAtAsA) =>
        {
            match claimed_client_id(&headers, &form) {
                Some(client_id) => ClientIdentity::Authenticated {
                    client_id,
                    method: "client_secret_basic",
                },
                None => return Err(e),
            }
        }
        Err(e) => return Err(e),
    };
    match gt {
        TOKEN_EXCHANGE => exchange(s, &headers, &form, &client, now),
        "password" => password(s, &form, &client, now),
        "authorization_code" => {
            let client_id = require_client(&client)?;
            let g = s.login.redeem_code(&form, client_id, now)?;
            Ok(login_token_response(s, g, now))
        }
        "refresh_token" => {
            let client_id = require_client(&client)?;
            let g = s.login.redeem_refresh(&form, client_id)?;
            Ok(login_token_response(s, g, now))
        }
        endpoint::JWT_BEARER => own_id_jag(s, &form, &client, now),
        _ => client_credentials(s, &form, &client, now),
    }
}

/// The client id a request claims (Basic user name or `client_id`), unverified: only the
/// `ignore-client-secret-at-as-a` fault trusts it.
fn claimed_client_id(headers: &HeaderMap, form: &Form) -> Option<String> {
    use base64::Engine as _;
    let basic = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .and_then(|raw| String::from_utf8(raw).ok())
        .and_then(|pair| pair.split(':').next().map(String::from));
    basic
        .or_else(|| form.get("client_id").map(String::from))
        .and_then(|id| percent_decode(&id))
}

fn percent_decode(s: &str) -> Option<String> {
    url::form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
}

/// Reached only under `id-jag-idp-redeems-own-id-jag` (the one fault that lists jwt-bearer
/// among this IdP's grants): the IdP takes an ID-JAG it issued as a jwt-bearer grant and
/// issues an access token, which ID-JAG §8.3 forbids.
fn own_id_jag(
    s: &AsA,
    form: &Form,
    client: &ClientIdentity,
    now: i64,
) -> Result<Response, OAuthError> {
    let client_id = require_client(client)?;
    access_token_for_own_id_jag(s, form.require("assertion")?, client_id, now, None)
}

/// An access token for an ID-JAG this IdP issued (the `own_id_jag` faults); `issued_type` is
/// the RFC 8693 `issued_token_type` when it answers a token exchange.
fn access_token_for_own_id_jag(
    s: &AsA,
    id_jag: &str,
    client_id: &str,
    now: i64,
    issued_type: Option<&str>,
) -> Result<Response, OAuthError> {
    let jws =
        jose::parse(id_jag).map_err(|_| OAuthError::invalid_grant("assertion is not a JWT"))?;
    if jws.claim_str("iss") != Some(s.urls.issuer.as_str()) {
        return Err(OAuthError::invalid_grant("not an ID-JAG of this IdP"));
    }
    let sub = jws.claim_str("sub").unwrap_or_default();
    let scope = scopes(jws.claim_str("scope").unwrap_or(""));
    let aud = json!(s.urls.issuer);
    let at = mint_access_token_for(s, sub, client_id, &scope, now, aud, None);
    let mut body = json!({"access_token": at, "token_type": "Bearer",
        "expires_in": s.cfg.access_token_lifetime_secs});
    if let Some(t) = issued_type {
        body["issued_token_type"] = json!(t);
    }
    Ok(token_response(body, &s.faults))
}

fn require_client(client: &ClientIdentity) -> Result<&str, OAuthError> {
    client
        .client_id()
        .ok_or_else(|| OAuthError::invalid_client("client authentication required", None))
}

/// Scopes to grant: the requested set if it is within `allowed`, else `invalid_scope`.
fn pick_scope(form: &Form, allowed: &BTreeSet<String>) -> Result<BTreeSet<String>, OAuthError> {
    match form.get("scope") {
        None => Ok(allowed.clone()),
        Some(req) => {
            let req = scopes(req);
            if req.is_subset(allowed) {
                Ok(req)
            } else {
                Err(OAuthError::invalid_scope(
                    "requested scope exceeds what may be granted",
                ))
            }
        }
    }
}

fn password(
    s: &AsA,
    form: &Form,
    client: &ClientIdentity,
    now: i64,
) -> Result<Response, OAuthError> {
    let client_id = require_client(client)?;
    let username = form.require("username")?;
    let password = form.require("password")?;
    let user = s
        .cfg
        .users
        .iter()
        .find(|u| u.username == username && u.password == password)
        .ok_or_else(|| OAuthError::invalid_grant("resource owner credentials are invalid"))?;
    let allowed: BTreeSet<String> = user
        .scopes
        .iter()
        .filter(|sc| client_scopes(s, client_id).contains(*sc))
        .cloned()
        .collect();
    let granted = pick_scope(form, &allowed)?;
    if id_jag::on(&s.faults) {
        // The IdP's sign-in answer carries the ID token the client exchanges (ID-JAG §4.2).
        let at = mint_access_token(s, &user.sub, client_id, &granted, now);
        let life = s.cfg.access_token_lifetime_secs;
        let idt = id_jag::id_token(
            s.signing_key(),
            &s.urls.issuer,
            &user.sub,
            client_id,
            now,
            life,
        );
        return Ok(token_response(
            json!({"access_token": at, "token_type": "Bearer", "expires_in": life,
                   "scope": endpoint::join(&granted), "id_token": idt}),
            &s.faults,
        ));
    }
    Ok(access_token_response(
        s, &user.sub, client_id, &granted, now,
    ))
}

fn client_credentials(
    s: &AsA,
    form: &Form,
    client: &ClientIdentity,
    now: i64,
) -> Result<Response, OAuthError> {
    let client_id = require_client(client)?;
    let granted = pick_scope(form, &client_scopes(s, client_id))?;
    let f = &s.faults;
    if f.has(Fault::EnaClientCredentialsNoExpiresIn)
        || f.has(Fault::EnaClientCredentialsRefreshToken)
    {
        let at = mint_access_token(s, client_id, client_id, &granted, now);
        let mut body = json!({"access_token": at, "token_type": "Bearer",
            "expires_in": s.cfg.access_token_lifetime_secs, "scope": endpoint::join(&granted)});
        if f.has(Fault::EnaClientCredentialsNoExpiresIn) {
            body.as_object_mut().expect("object").remove("expires_in");
        }
        if f.has(Fault::EnaClientCredentialsRefreshToken) {
            body["refresh_token"] = json!(uuid::Uuid::new_v4().to_string());
        }
        return Ok(token_response(body, f));
    }
    Ok(access_token_response(
        s, client_id, client_id, &granted, now,
    ))
}

fn client_scopes(s: &AsA, client_id: &str) -> BTreeSet<String> {
    s.cfg
        .clients
        .iter()
        .filter(|c| c.id == client_id)
        .flat_map(|c| c.scopes.iter().cloned())
        .collect()
}

/// The audience of AS-A's own access tokens (its API).
pub(crate) fn api_audience(s: &AsA) -> String {
    format!("{}{}", s.urls.issuer, s.cfg.api_audience_path)
}

/// A second protected resource of domain A ("API B" of the Ena chaining profile §2): the target
/// of same-domain token exchange, `{api audience}2`.
pub fn second_api_audience(issuer: &str, api_audience_path: &str) -> String {
    format!("{issuer}{api_audience_path}2")
}

/// Whether the pair follows the Ena profiles (mode `ena-1.0`).
fn ena(s: &AsA) -> bool {
    s.faults.profile() == crate::MockProfile::Ena
}

/// The same-domain protected resources AS-A issues access tokens for (Ena mode).
fn same_domain_apis(s: &AsA) -> [String; 2] {
    [
        api_audience(s),
        second_api_audience(&s.urls.issuer, &s.cfg.api_audience_path),
    ]
}

/// An RFC 9068 access token for AS-A's own API.
pub fn mint_access_token(
    s: &AsA,
    sub: &str,
    client_id: &str,
    scope: &BTreeSet<String>,
    now: i64,
) -> String {
    // In the rfc8693 mode a user's own tokens carry the configured `may_act` (RFC 8693 §4.4).
    let may_act = crate::delegation::may_act_claim(s, sub).map(|m| ("may_act", m));
    mint_access_token_for(
        s,
        sub,
        client_id,
        scope,
        now,
        json!(api_audience(s)),
        may_act,
    )
}

/// An RFC 9068 access token with a given `aud` and one extra claim: `may_act` for a user's
/// own token, `act` for one from a delegation exchange (RFC 8693 §4.1).
pub(crate) fn mint_access_token_for(
    s: &AsA,
    sub: &str,
    client_id: &str,
    scope: &BTreeSet<String>,
    now: i64,
    aud: Value,
    extra: Option<(&str, Value)>,
) -> String {
    let key = s.access_token_key();
    let mut claims = json!({
        "iss": s.urls.issuer, "sub": sub, "client_id": client_id, "scope": endpoint::join(scope),
        "aud": aud, "iat": now, "exp": now + s.cfg.access_token_lifetime_secs as i64,
        "jti": uuid::Uuid::new_v4().to_string(),
    });
    if let Some((name, value)) = extra {
        claims[name] = value;
    }
    if ena(s) {
        // Ena chaining profile §4.2.1: a token meant for later exchange lists the issuer among
        // its audiences; the user's authentication context travels with it (§2.4, §3.3.4).
        claims["aud"] = if s.faults.has(Fault::EnaUserTokenAudWithoutIssuer) {
            json!([api_audience(s)])
        } else if s.faults.has(Fault::EnaUserTokenAudTokenEndpoint) {
            json!([api_audience(s), s.urls.token_endpoint])
        } else {
            json!([api_audience(s), s.urls.issuer])
        };
        if sub != client_id {
            claims["acr"] = json!(ENA_ACR);
            claims["auth_time"] = json!(now);
        }
    }
    jose::sign(
        key,
        &json!({"alg": key.alg(), "kid": key.key_id(), "typ": "at+jwt"}),
        &claims,
    )
}

/// The authentication context class of the mock's password logins (Ena mode).
const ENA_ACR: &str = "urn:chainproof:mock:acr:password";

fn access_token_response(
    s: &AsA,
    sub: &str,
    client_id: &str,
    scope: &BTreeSet<String>,
    now: i64,
) -> Response {
    let at = mint_access_token(s, sub, client_id, scope, now);
    token_response(
        json!({"access_token": at, "token_type": "Bearer", "expires_in": s.cfg.access_token_lifetime_secs,
               "scope": endpoint::join(scope)}),
        &s.faults,
    )
}

/// A user access token with a (rotated) refresh token, for the authorization-code and
/// refresh-token grants.
fn login_token_response(s: &AsA, g: crate::login::Granted, now: i64) -> Response {
    let at = mint_access_token(s, &g.sub, &g.client_id, &g.scope, now);
    let scope = endpoint::join(&g.scope);
    let refresh = s.login.issue_refresh(g);
    token_response(
        json!({"access_token": at, "token_type": "Bearer", "expires_in": s.cfg.access_token_lifetime_secs,
               "scope": scope, "refresh_token": refresh}),
        &s.faults,
    )
}

/// Error for an unacceptable subject or actor token (RFC 8693 §2.2.2: `invalid_request`).
fn bad_token(s: &AsA, what: &str, why: &str) -> OAuthError {
    let d = format!("{what}: {why}");
    if s.faults.has(Fault::SubjectTokenErrorInvalidGrant) {
        OAuthError::invalid_grant(d)
    } else {
        OAuthError::invalid_request(d)
    }
}

/// Validate a token AS-A issued itself (an RFC 9068 access token for a user; with
/// `allow_clients`, also a client's own client-credentials token, an actor in the rfc8693
/// mode). `skip_signature` is the `actor-token-unverified` fault.
pub(crate) fn validate_own_token(
    s: &AsA,
    token: &str,
    now: i64,
    allow_clients: bool,
    skip_signature: bool,
) -> Result<Jws, &'static str> {
    let jws = jose::parse(token).map_err(|_| "not a compact JWS")?;
    if s.faults.has(Fault::EnaAcceptForeignIssuerSubject)
        && jws.claim_str("iss").is_some_and(|i| i != s.urls.issuer)
    {
        return Ok(jws);
    }
    let own = std::iter::once(&s.key)
        .chain(&s.extra_keys)
        .find(|k| jws.kid() == Some(k.kid()))
        .map(EsKey::verifying_key)
        .or_else(|| {
            s.rsa_key
                .as_ref()
                .filter(|k| jws.kid() == Some(k.kid()))
                .map(keys::RsKey::verifying_key)
        });
    let Some(own) = own.filter(|k| jws.alg() == Some(k.alg()) && !jws.header.contains_key("crit"))
    else {
        return Err("not signed by this server");
    };
    let signed = own.verify(own.alg(), jws.signing_input.as_bytes(), &jws.signature);
    if !signed && !s.faults.has(Fault::AcceptForgedSubjectToken) && !skip_signature {
        return Err("signature invalid");
    }
    if jws.typ() != Some("at+jwt") || jws.claim_str("iss") != Some(&s.urls.issuer) {
        return Err("not an access token issued by this server");
    }
    let auds = jws.audiences().unwrap_or_default();
    let domain_apis = same_domain_apis(s);
    // Under the `ena-user-token-aud-*` faults this server no longer lists itself, so (§4.2.2)
    // it no longer requires itself either.
    let lists_itself = !s.faults.has(Fault::EnaUserTokenAudWithoutIssuer)
        && !s.faults.has(Fault::EnaUserTokenAudTokenEndpoint);
    let for_domain = if ena(s) {
        // Ena chaining profile §4.2.2: this server lists itself among the audiences of tokens
        // meant for exchange, so one without it is refused.
        (auds.contains(&s.urls.issuer.as_str()) || !lists_itself)
            && auds.iter().any(|a| domain_apis.iter().any(|d| d == a))
    } else {
        auds.contains(&domain_apis[0].as_str())
    };
    if !for_domain {
        return Err("not an access token for this domain");
    }
    match jws.claim_time("exp") {
        Some(Ok(exp)) if exp > now || s.faults.has(Fault::AcceptExpiredSubjectToken) => {}
        _ => return Err("expired"),
    }
    let sub = jws.claim_str("sub").unwrap_or("");
    let is_client = allow_clients && s.cfg.clients.iter().any(|c| c.id == sub);
    if !s.cfg.users.iter().any(|u| u.sub == sub)
        && !is_client
        && !s.faults.has(Fault::AcceptClientCredentialsSubject)
    {
        return Err("does not represent a user");
    }
    Ok(jws)
}

/// Resolve every `resource`/`audience` value to the single authorization server the grant is
/// for; values naming different servers are refused (IC §2.3.3: one AS per grant).
fn resolve_target(s: &AsA, form: &Form, resources_name_as_b: bool) -> Result<String, OAuthError> {
    let resources = if resources_name_as_b {
        form.get_all("resource")
    } else {
        Vec::new()
    };
    let audiences = form.get_all("audience");
    if resources.is_empty() && audiences.is_empty() {
        if s.faults.has(Fault::MissingTargetAccepted) {
            return Ok(s.as_b.issuer.clone());
        }
        if s.faults.has(Fault::EmptyTargetDefaults)
            && (form.sent_empty("audience") || form.sent_empty("resource"))
        {
            // The parameter was sent, so the fault takes its (empty) value as "the default AS".
            return Ok(s.as_b.issuer.clone());
        }
        return Err(OAuthError::invalid_request(
            "one of resource or audience is required",
        ));
    }
    let mut targets = Vec::new();
    let several = resources.len() > 1;
    for r in resources {
        match resolve_resource(s, r) {
            Ok(t) => targets.push(t),
            // Beside a partner, an absolute URI AS-A has no trust with is let through.
            Err(_) if several && s.faults.has(Fault::GrantAudUntrustedAs) => {}
            Err(e) => return Err(e),
        }
    }
    if targets.is_empty() && audiences.is_empty() {
        return Err(OAuthError::invalid_target(
            "resource is not a partner authorization server",
        ));
    }
    for a in audiences {
        let t = resolve_name(s, a, true).ok_or_else(|| {
            OAuthError::invalid_target("audience is not a partner authorization server")
        })?;
        targets.push(t);
    }
    if targets.iter().any(|t| *t != targets[0])
        && !s.faults.has(Fault::GrantAudUnrequestedAs)
        && !s.faults.has(Fault::GrantAudUntrustedAs)
    {
        return Err(OAuthError::invalid_target(
            "resource and audience values name different authorization servers",
        ));
    }
    Ok(targets.swap_remove(0))
}

fn resolve_name(s: &AsA, name: &str, is_audience: bool) -> Option<String> {
    let alias = is_audience && name == s.cfg.as_b_audience_alias;
    if alias && s.faults.has(Fault::AudienceAliasRefused) {
        return None;
    }
    let issuer_refused =
        is_audience && id_jag::on(&s.faults) && s.faults.has(Fault::IdJagAudienceIssuerRefused);
    if (name == s.as_b.issuer && !issuer_refused)
        || (!is_audience && name == s.as_b.token_endpoint)
        || alias
    {
        Some(s.as_b.issuer.clone())
    } else if s.cfg.extra_partners.iter().any(|p| p == name)
        || s.faults.has(Fault::AcceptUnknownAudience)
    {
        Some(name.to_owned())
    } else {
        None
    }
}

fn resolve_resource(s: &AsA, r: &str) -> Result<String, OAuthError> {
    let mut r = r.to_owned();
    if s.faults.has(Fault::AcceptBadTargetUri) {
        r.truncate(r.find('#').unwrap_or(r.len()));
        if url::Url::parse(&r).is_err()
            && let Some(joined) = url::Url::parse(&s.as_b.issuer)
                .ok()
                .and_then(|b| b.join(&r).ok())
        {
            r = joined.to_string();
        }
    }
    let url = url::Url::parse(&r)
        .map_err(|_| OAuthError::invalid_target("resource must be an absolute URI"))?;
    if url.fragment().is_some() {
        return Err(OAuthError::invalid_target(
            "resource must not contain a fragment",
        ));
    }
    resolve_name(s, &r, false)
        .ok_or_else(|| OAuthError::invalid_target("resource is not a partner authorization server"))
}

/// RFC 8693 token exchange at AS-A (identity-chaining-17 §2.3), step by step in the order this
/// server processes a request: the client ([`exchange_client`]), the request's parameters
/// ([`ExchangeParams::read`]), the target ([`exchange_target`]), the subject token
/// ([`exchange_subject`]), the actor token ([`exchange_actor`]), the scope
/// ([`exchange_scope`]) and the DPoP proof ([`exchange_proof`]). Then it mints what the use
/// case asks for: a same-domain access token (Ena mode, [`same_domain_exchange`]), a delegated
/// access token (rfc8693 mode, [`delegated_access_token`]) or a JWT authorization grant
/// ([`mint_grant`], answered by [`grant_response`]).
///
/// The order of the steps decides which error a request with several defects gets; keep it.
fn exchange(
    s: &AsA,
    headers: &HeaderMap,
    form: &Form,
    client: &ClientIdentity,
    now: i64,
) -> Result<Response, OAuthError> {
    let client_id = exchange_client(s, client)?;
    // Only under `id-jag-idp-exchanges-own-id-jag`: its own ID-JAG as the subject token,
    // whatever type is requested.
    if id_jag::on(&s.faults)
        && s.faults.has(Fault::IdJagIdpExchangesOwnIdJag)
        && form.get("subject_token_type") == Some(id_jag::TT_ID_JAG)
        && let Some(token) = form.get("subject_token")
    {
        let id = client_id.unwrap_or_default();
        return access_token_for_own_id_jag(s, token, id, now, Some(TT_ACCESS_TOKEN));
    }
    let params = ExchangeParams::read(s, form)?;
    let target = exchange_target(s, form, &params)?;
    let (subject, id_token) = exchange_subject(s, form, &params, client_id, now)?;
    let act = exchange_actor(s, &params, &subject, client_id, now)?;
    let granted = exchange_scope(s, form, &params, &subject, id_token, client_id)?;
    let proof = exchange_proof(s, headers, now)?;
    if params.same_domain {
        return same_domain_exchange(
            s,
            form,
            client_id,
            &subject,
            SameDomain { granted, proof },
            now,
        );
    }
    let x = Exchanged {
        params,
        client_id,
        target,
        subject,
        act,
        granted,
        proof,
        now,
    };
    if delegates_access_token(s, &x) {
        return Ok(delegated_access_token(s, form, &x));
    }
    let grant = mint_grant(s, form, &x)?;
    Ok(grant_response(s, form, &x, &grant))
}

/// What the checks of a cross-domain exchange established, for the token it mints.
struct Exchanged<'a> {
    params: ExchangeParams<'a>,
    /// The authenticated client (`None` only under `exchange-no-client-auth`).
    client_id: Option<&'a str>,
    target: ExchangeTarget,
    subject: Jws,
    /// The `act` claim the actor token gives (RFC 8693 §4.1).
    act: Option<Value>,
    granted: BTreeSet<String>,
    /// The DPoP proof's key, which the grant asks AS-B to bind.
    proof: Option<dpop::ProofKey>,
    now: i64,
}

/// The client of an exchange: `handle` authenticated it already (RFC 8693 §2.1, RFC 6749
/// §2.3); an exchange without client authentication is refused with `invalid_client`, except
/// under `exchange-no-client-auth`.
fn exchange_client<'c>(s: &AsA, client: &'c ClientIdentity) -> Result<Option<&'c str>, OAuthError> {
    match client.client_id() {
        Some(id) => Ok(Some(id)),
        None if s.faults.has(Fault::ExchangeNoClientAuth) => Ok(None),
        None => Err(OAuthError::invalid_client(
            "client authentication required",
            None,
        )),
    }
}

/// The token-exchange parameters (RFC 8693 §2.1), read and checked for presence and type.
struct ExchangeParams<'f> {
    subject_token: &'f str,
    subject_token_type: &'f str,
    /// `actor_token`, when sent (with its type, or without under `actor-token-type-unchecked`).
    actor_token: Option<&'f str>,
    requested_type: Option<&'f str>,
    /// The rfc8693 mode's delegation rules apply (RFC 8693 §1.1, §4).
    rfc8693: bool,
    /// Ena same-domain exchange (Ena chaining profile §2) instead of a cross-domain grant.
    same_domain: bool,
}

impl<'f> ExchangeParams<'f> {
    /// RFC 8693 §2.1: `subject_token` and `subject_token_type` are required, `actor_token` and
    /// `actor_token_type` come together, and `requested_token_type` must be one this server
    /// issues.
    fn read(s: &AsA, form: &'f Form) -> Result<Self, OAuthError> {
        let f = &s.faults;
        // RFC 6749 §5.2: a missing required parameter is invalid_request (empty = missing).
        let required = |name: &str| {
            form.require(name).map_err(|e| {
                if f.has(Fault::MissingSubjectParamInvalidGrant) {
                    OAuthError::invalid_grant(format!("missing parameter {name}"))
                } else {
                    e
                }
            })
        };
        let subject_token = required("subject_token")?;
        let subject_token_type = required("subject_token_type")?;
        let rfc8693 = crate::delegation::active(s);
        let actor_token = actor_token_param(s, form, rfc8693)?;
        let requested_type = form.get("requested_token_type");
        check_requested_type(s, requested_type, rfc8693)?;
        Ok(ExchangeParams {
            subject_token,
            subject_token_type,
            actor_token,
            requested_type,
            rfc8693,
            same_domain: ena(s) && same_domain_requested(s, form),
        })
    }
}

/// RFC 8693 §2.1: `actor_token_type` is required with `actor_token` and only with it; in the
/// rfc8693 mode a type this server cannot take is `unsupported_token_type`-style refused
/// (see [`crate::delegation::unsupported_type`]).
fn actor_token_param<'f>(
    s: &AsA,
    form: &'f Form,
    rfc8693: bool,
) -> Result<Option<&'f str>, OAuthError> {
    let f = &s.faults;
    match (form.get("actor_token"), form.get("actor_token_type")) {
        (Some(_), Some(tt))
            if rfc8693
                && !crate::delegation::supported_input_type(tt)
                && !f.has(Fault::UnknownActorTypeAccepted) =>
        {
            Err(crate::delegation::unsupported_type(s, "actor_token_type"))
        }
        (Some(t), Some(_)) => Ok(Some(t)),
        (None, None) => Ok(None),
        (t, _) if f.has(Fault::ActorTokenTypeUnchecked) => Ok(t),
        (Some(_), None) => Err(OAuthError::invalid_request(
            "actor_token_type is required with actor_token",
        )),
        (None, Some(_)) => Err(OAuthError::invalid_request(
            "actor_token_type without actor_token",
        )),
    }
}

/// `requested_token_type` (RFC 8693 §2.1): a JWT (identity-chaining-17 §2.3.3), an ID-JAG in
/// the id-jag mode (ID-JAG §4.3), an access token for same-domain exchange (Ena mode) or any
/// type the rfc8693 mode issues; anything else is `invalid_request`.
fn check_requested_type(s: &AsA, requested: Option<&str>, rfc8693: bool) -> Result<(), OAuthError> {
    let f = &s.faults;
    if id_jag::on(f) {
        id_jag::check_requested_type(f, requested)?;
    } else if requested == Some(TT_JWT) && f.has(Fault::AdvertisedTypeRefusedWhenNamed) {
        return Err(OAuthError::invalid_request(
            "requested_token_type not supported",
        ));
    } else if let Some(rtt) = requested
        && rtt != TT_JWT
        && !(ena(s) && rtt == TT_ACCESS_TOKEN)
        && !(rfc8693 && crate::delegation::issuable(rtt))
        && !f.has(Fault::AcceptUnsupportedTokenType)
        && !(f.has(Fault::UnissuableTypeFallsBack) && rtt.starts_with(TT_PREFIX))
    {
        return Err(OAuthError::invalid_request(
            "requested_token_type not supported; this server issues urn:ietf:params:oauth:token-type:jwt",
        ));
    }
    if ena(s) && requested.is_none() && f.has(Fault::EnaNoRequestedTypeInvalidTarget) {
        return Err(OAuthError::invalid_target(
            "requested_token_type is required to choose the token to issue",
        ));
    }
    Ok(())
}

/// Where the exchanged token is for.
struct ExchangeTarget {
    /// Every target: several only in the rfc8693 mode (RFC 8693 §2.1), `[""]` for same domain.
    all: Vec<String>,
    /// The authorization server the grant is for (the first target).
    first: String,
    /// The ID-JAG `resource` claim (ID-JAG §4.3), when `audience` names the resource AS.
    resource_claim: Option<Value>,
}

/// The target (identity-chaining-17 §2.3.1: one of `resource` or `audience` is required;
/// §2.3.2: unknown or unacceptable values are refused as RFC 8693 §2.2.2 says).
fn exchange_target(s: &AsA, form: &Form, p: &ExchangeParams) -> Result<ExchangeTarget, OAuthError> {
    let f = &s.faults;
    // rfc8693 mode: every resource/audience value is a target (RFC 8693 §2.1).
    let all = if p.same_domain {
        vec![String::new()]
    } else if p.rfc8693 {
        crate::delegation::targets(s, form)?
    } else {
        // ID-JAG §4.3: beside `audience` (the resource AS), `resource` names the protected
        // resource (RFC 8707); without `audience` the identity-chaining reading stays.
        let resources_name_as_b = !(id_jag::on(f) && form.get("audience").is_some());
        vec![resolve_target(s, form, resources_name_as_b).map_err(|e| target_error(s, e))?]
    };
    let first = all[0].clone();
    // MCP enterprise-managed authorization: `resource` REQUIRED beside `audience`.
    if id_jag::on(f)
        && f.variant(Variant::IdpRequiresResource)
        && form.get_all("resource").is_empty()
    {
        return Err(OAuthError::invalid_request(
            "resource is required (the protected resource the ID-JAG is for)",
        ));
    }
    let resource_claim = if id_jag::on(f) && form.get("audience").is_some() {
        id_jag::resource_claim(f, &form.get_all("resource"), &s.rs_resources, &first)?
    } else {
        None
    };
    Ok(ExchangeTarget {
        all,
        first,
        resource_claim,
    })
}

/// The subject token (RFC 8693 §2.1, §2.2.2 `invalid_request`): a type this server takes, a
/// valid token it issued itself (ID-JAG §4.3: or an ID token of this IdP), issued to the client
/// presenting it (identity-chaining-17 §5.3). Returns the token and whether it is an ID token.
fn exchange_subject(
    s: &AsA,
    form: &Form,
    p: &ExchangeParams,
    client_id: Option<&str>,
    now: i64,
) -> Result<(Jws, bool), OAuthError> {
    let f = &s.faults;
    // ID-JAG §4.3: the IdP exchanges identity assertions (its ID tokens).
    let id_token = id_jag::on(f) && p.subject_token_type == id_jag::TT_ID_TOKEN;
    if p.subject_token_type != TT_ACCESS_TOKEN
        && p.subject_token_type != TT_JWT
        && !id_token
        && !f.has(Fault::IgnoreSubjectTokenType)
    {
        if p.rfc8693 {
            return Err(crate::delegation::unsupported_type(s, "subject_token_type"));
        }
        return Err(bad_token(s, "subject_token_type", "unsupported token type"));
    }
    let subject = if id_token {
        let keys = std::iter::once(&s.key).chain(&s.extra_keys);
        id_jag::validate_id_token(f, keys, &s.urls.issuer, p.subject_token, client_id, now)
    } else {
        validate_own_token(s, p.subject_token, now, false, false)
    }
    .map_err(|why| bad_token(s, "subject_token", why))?;
    // Under `subject-binding-form-client-id` the client the body names stands in for the one
    // that authenticated.
    let presenter = if f.has(Fault::SubjectBindingFormClientId) {
        form.get("client_id").or(client_id)
    } else {
        client_id
    };
    if let Some(id) = presenter
        && !id_token
        && subject.claim_str("client_id") != Some(id)
        && !f.has(Fault::AcceptForeignSubjectToken)
    {
        return Err(bad_token(
            s,
            "subject_token",
            "was issued to another client",
        ));
    }
    Ok((subject, id_token))
}

/// The actor token, when sent: in the rfc8693 mode the delegation rules give the `act` claim
/// (RFC 8693 §4.1, with `may_act` §4.4); otherwise a valid token of this server, whose subject
/// is the actor.
fn exchange_actor(
    s: &AsA,
    p: &ExchangeParams,
    subject: &Jws,
    client_id: Option<&str>,
    now: i64,
) -> Result<Option<Value>, OAuthError> {
    match p.actor_token {
        Some(t) if p.rfc8693 => crate::delegation::act(s, t, subject, client_id, now),
        Some(t) => {
            let a = validate_own_token(s, t, now, false, false)
                .map_err(|why| bad_token(s, "actor_token", why))?;
            Ok(Some(json!({"sub": a.claim_str("sub")})))
        }
        None => Ok(None),
    }
}

/// The scope to grant (RFC 8693 §2.1 `scope`; identity-chaining-17 §2.3.1, §2.5): what the
/// subject holds when none is requested, else the requested scope, which must be within it
/// (`invalid_scope`, RFC 6749 §5.2).
fn exchange_scope(
    s: &AsA,
    form: &Form,
    p: &ExchangeParams,
    subject: &Jws,
    id_token: bool,
    client_id: Option<&str>,
) -> Result<BTreeSet<String>, OAuthError> {
    let f = &s.faults;
    let held = held_scope(s, subject, id_token, client_id);
    let same_domain = p.same_domain;
    Ok(match form.get("scope") {
        // The client's registrations instead of what the subject token holds.
        None if f.has(Fault::ExchangeGrantsClientScopes) => held
            .union(&client_scopes(s, client_id.unwrap_or_default()))
            .cloned()
            .collect(),
        None => held.clone(),
        Some(req) if f.has(Fault::ScopeEscalation) => scopes(req),
        Some(req) if same_domain && f.has(Fault::EnaSameDomainScopeEscalation) => scopes(req),
        Some(req) if !same_domain && f.has(Fault::EnaGrantScopeEscalation) => scopes(req),
        Some(req) => {
            let req = scopes(req);
            if !req.is_subset(&held) {
                return Err(OAuthError::invalid_scope(
                    "requested scope exceeds the subject token's scope",
                ));
            }
            if f.has(Fault::ExchangeScopeNarrowedSilently) && req.len() > 1 {
                // Policy keeps the first value only (and the response will not say so).
                req.into_iter().take(1).collect()
            } else {
                req
            }
        }
    })
}

/// The scope the subject holds: an access token's `scope`; for an ID token, which holds none,
/// what the user may grant this client.
fn held_scope(s: &AsA, subject: &Jws, id_token: bool, client_id: Option<&str>) -> BTreeSet<String> {
    if id_token {
        let user_scopes: BTreeSet<String> = s
            .cfg
            .users
            .iter()
            .filter(|u| Some(u.sub.as_str()) == subject.claim_str("sub"))
            .flat_map(|u| u.scopes.iter().cloned())
            .collect();
        let client = client_scopes(s, client_id.unwrap_or_default());
        user_scopes.intersection(&client).cloned().collect()
    } else {
        scopes(subject.claim_str("scope").unwrap_or(""))
    }
}

/// An optional DPoP proof at the token endpoint (RFC 9449 §4.3, §5): its key is the one the
/// grant asks AS-B to bind (identity-chaining-17 Appendix B.3; ID-JAG §8.6.1).
fn exchange_proof(
    s: &AsA,
    headers: &HeaderMap,
    now: i64,
) -> Result<Option<dpop::ProofKey>, OAuthError> {
    let f = &s.faults;
    let no_headers = HeaderMap::new();
    match dpop::check(
        endpoint::dpop_headers(f, headers, &no_headers),
        &dpop::Expect {
            htm: "POST",
            htu: &s.urls.token_endpoint,
            ath: None,
            now,
            check_replay: true,
        },
        &s.dpop_replay,
    ) {
        Ok(p) => Ok(p),
        Err(_) if f.has(Fault::AsAIgnoreInvalidDpop) => Ok(None),
        Err(e) => Err(OAuthError::invalid_dpop_proof(e)),
    }
}

/// The user the minted token is about: the subject token's `sub`, or the client under
/// `impersonation-sub-is-client` (rfc8693 mode, no actor).
fn exchanged_user<'x>(s: &AsA, x: &'x Exchanged) -> &'x str {
    let user_sub = x.subject.claim_str("sub").unwrap_or_default();
    match x.client_id {
        Some(id)
            if x.params.rfc8693
                && x.params.actor_token.is_none()
                && s.faults.has(Fault::ImpersonationSubIsClient) =>
        {
            id
        }
        _ => user_sub,
    }
}

/// Whether the rfc8693 mode issues an access token instead of a grant (an access token was
/// requested; RFC 8693 §2.1).
fn delegates_access_token(s: &AsA, x: &Exchanged) -> bool {
    x.params.rfc8693
        && x.params.requested_type == Some(TT_ACCESS_TOKEN)
        && !s.faults.has(Fault::IssuedTypeNotRequested)
}

/// RFC 8693 §2.1: the requested type is issued; §2.2.1: an access token is answered as one,
/// for every target, with `act` naming the actor (§4.1).
fn delegated_access_token(s: &AsA, form: &Form, x: &Exchanged) -> Response {
    let f = &s.faults;
    let granted = &x.granted;
    let at = mint_access_token_for(
        s,
        exchanged_user(s, x),
        x.client_id.unwrap_or_default(),
        granted,
        x.now,
        crate::delegation::aud(&x.target.all),
        x.act.clone().map(|a| ("act", a)),
    );
    let label = if f.has(Fault::IssuedTypeMislabelled) {
        TT_JWT
    } else {
        TT_ACCESS_TOKEN
    };
    let mut body = json!({"access_token": at, "issued_token_type": label,
        "token_type": "Bearer", "expires_in": s.cfg.access_token_lifetime_secs});
    if form.get("scope").map(scopes).as_ref() != Some(granted) && !granted.is_empty() {
        body["scope"] = json!(endpoint::join(granted));
    }
    token_response(body, f)
}

/// A signed JWT authorization grant and the lifetime its `exp` gives it.
struct MintedGrant {
    jwt: String,
    lifetime: i64,
}

/// The JWT authorization grant (identity-chaining-17 §2.3.3, RFC 7523 §3): its claims
/// ([`grant_claims`]), header ([`grant_header`]) and signature ([`sign_grant`]).
fn mint_grant(s: &AsA, form: &Form, x: &Exchanged) -> Result<MintedGrant, OAuthError> {
    let f = &s.faults;
    let lifetime = if f.has(Fault::LongLivedGrant) {
        86_400
    } else {
        s.cfg.grant_lifetime_secs as i64
    };
    let user_sub = exchanged_user(s, x);
    // identity-chaining-17 §2.5: AS-A may transcribe the subject for domain B.
    let sub = s
        .cfg
        .transcribe_subjects
        .get(user_sub)
        .map(String::as_str)
        .unwrap_or(user_sub);
    let aud = grant_aud(s, form, x)?;
    let mut claims = grant_claims(s, x, sub, aud, lifetime);
    if f.has(Fault::GrantIncludesPii) {
        claims.insert("email".into(), json!(format!("{user_sub}@a.example")));
        claims.insert("name".into(), json!("Test User"));
    }
    let key = s.grant_key();
    let mut header = grant_header(key, f);
    if id_jag::on(f) {
        shape_id_jag(s, form, x, sub, &mut header, &mut claims);
    }
    let jwt = sign_grant(s, key, &header, &Value::Object(claims));
    if f.variant(Variant::KeyRotation) {
        s.rotated.store(true, Ordering::SeqCst);
    }
    Ok(MintedGrant { jwt, lifetime })
}

/// The grant's `aud`: the requested authorization server (identity-chaining-17 §2.3.3, one
/// value RECOMMENDED), or what a fault or legal variant writes instead.
fn grant_aud(s: &AsA, form: &Form, x: &Exchanged) -> Result<Value, OAuthError> {
    let f = &s.faults;
    let target = &x.target.first;
    Ok(if f.has(Fault::GrantAudWrong) {
        json!(s.urls.issuer)
    } else if f.has(Fault::GrantAudUnrequestedAs) && form.get_all("resource").len() > 1 {
        // Every requested AS, and one more nobody asked for.
        let mut auds: Vec<String> = Vec::new();
        for r in form.get_all("resource") {
            let t = resolve_resource(s, r)?;
            if !auds.contains(&t) {
                auds.push(t);
            }
        }
        auds.push(UNREQUESTED_AS.to_owned());
        json!(auds)
    } else if f.has(Fault::GrantAudOtherAs) {
        let other = s.cfg.extra_partners.iter().find(|p| *p != target);
        json!(other.cloned().unwrap_or_else(|| format!("{target}/other")))
    } else if f.has(Fault::GrantAudResource) {
        json!(s.rs_resource)
    } else if f.has(Fault::GrantAudUntrustedAs) && form.get_all("resource").len() > 1 {
        // Every requested target, trusted or not.
        let mut auds: Vec<String> = vec![target.clone()];
        for r in form.get_all("resource") {
            if resolve_resource(s, r).is_err() && !auds.iter().any(|a| a == r) {
                auds.push(r.to_owned());
            }
        }
        json!(auds)
    } else if f.has(Fault::GrantAudApiAudience) {
        json!([target, api_audience(s)])
    } else if f.has(Fault::GrantAudAsATokenEndpoint) {
        json!([target, s.urls.token_endpoint])
    } else if f.has(Fault::GrantAudDuplicated) {
        json!([target, format!("{target}/")])
    } else if f.has(Fault::AudienceAudIsAlias)
        && form.get("audience") == Some(s.cfg.as_b_audience_alias.as_str())
    {
        json!(s.cfg.as_b_audience_alias)
    } else if f.has(Fault::GrantMultiAud) {
        let other = s
            .cfg
            .extra_partners
            .iter()
            .find(|p| *p != target)
            .cloned()
            .unwrap_or_else(|| s.urls.issuer.clone());
        json!([target, other])
    } else if x.params.rfc8693 {
        crate::delegation::grant_aud(s, &x.target.all)
    } else if f.variant(Variant::GrantAudTokenEndpoint) && *target == s.as_b.issuer {
        json!(s.as_b.token_endpoint)
    } else if f.variant(Variant::GrantAudArray) {
        json!([target])
    } else {
        json!(target)
    })
}

/// The grant's claims, in the order they are written: the RFC 7523 §3 claims
/// ([`grant_registered_claims`]), `client_id` and `scope` ([`grant_client_and_scope`]), the
/// actors and the user's authentication context ([`grant_actor_claims`]), the key binding
/// ([`grant_key_binding`]) and a legal variant's extra claims.
fn grant_claims(
    s: &AsA,
    x: &Exchanged,
    sub: &str,
    aud: Value,
    lifetime: i64,
) -> Map<String, Value> {
    let mut claims = Map::new();
    grant_registered_claims(s, &mut claims, sub, aud, lifetime, x.now);
    grant_client_and_scope(s, &mut claims, x.client_id, &x.granted);
    grant_actor_claims(s, &mut claims, x);
    if let Some(p) = &x.proof {
        grant_key_binding(s, &mut claims, p);
    }
    if s.faults.variant(Variant::ExtraGrantClaims) {
        // Claims the grant already carries (the Ena mode copies the subject's) are kept.
        claims
            .entry("acr")
            .or_insert(json!("urn:chainproof:acr:password"));
        claims.entry("auth_time").or_insert(json!(x.now - 30));
        claims.insert("https://a.example/tenant".into(), json!("tenant-1"));
    }
    claims
}

/// `iss`, `sub`, `aud`, `exp`, `nbf`, `iat` and `jti` (RFC 7523 §3, RFC 7519 §4.1).
fn grant_registered_claims(
    s: &AsA,
    claims: &mut Map<String, Value>,
    sub: &str,
    aud: Value,
    lifetime: i64,
    now: i64,
) {
    let f = &s.faults;
    let iss = if f.has(Fault::GrantIssMismatch) {
        format!("{}/", s.urls.issuer)
    } else if f.has(Fault::GrantIssTokenEndpoint) {
        s.urls.token_endpoint.clone()
    } else {
        s.urls.issuer.clone()
    };
    claims.insert("iss".into(), json!(iss));
    if f.has(Fault::GrantSubEmpty) {
        claims.insert("sub".into(), json!(""));
    } else if !f.has(Fault::GrantMissingSub) {
        claims.insert("sub".into(), json!(sub));
    }
    claims.insert("aud".into(), aud);
    if f.has(Fault::GrantAlreadyExpired) {
        claims.insert("exp".into(), json!(now - 600));
    } else if f.has(Fault::GrantExpMilliseconds) {
        claims.insert("exp".into(), json!((now + lifetime) * 1000));
    } else if !f.has(Fault::GrantMissingExp) {
        claims.insert("exp".into(), json!(now + lifetime));
    }
    if f.has(Fault::GrantNbfFuture) {
        claims.insert("nbf".into(), json!(now + 3600));
    }
    let iat = if f.has(Fault::GrantIatAfterExp) {
        now + lifetime + 10
    } else {
        now
    };
    claims.insert("iat".into(), json!(iat));
    if f.has(Fault::GrantDuplicateJti) {
        claims.insert("jti".into(), json!(s.fixed_jti));
    } else if !f.has(Fault::GrantNoJti) && !f.has(Fault::EnaGrantNoJti) {
        claims.insert("jti".into(), json!(uuid::Uuid::new_v4().to_string()));
    }
}

/// `client_id` (RFC 8693 §4.3; required by Ena and ID-JAG) and the granted `scope`
/// (identity-chaining-17 §2.5).
fn grant_client_and_scope(
    s: &AsA,
    claims: &mut Map<String, Value>,
    client_id: Option<&str>,
    granted: &BTreeSet<String>,
) {
    let f = &s.faults;
    if let Some(id) = client_id.filter(|_| !f.has(Fault::EnaGrantNoClientId)) {
        claims.insert("client_id".into(), json!(id));
    }
    if f.has(Fault::GrantClientIdNotString) {
        claims.insert("client_id".into(), json!(42));
    }
    if f.has(Fault::GrantScopeArray) {
        claims.insert("scope".into(), json!(granted.iter().collect::<Vec<_>>()));
    } else if f.has(Fault::EnaGrantScopeEmpty) {
        claims.insert("scope".into(), json!(""));
    } else if !granted.is_empty() && !f.has(Fault::EnaGrantNoScope) {
        claims.insert("scope".into(), json!(endpoint::join(granted)));
    }
}

/// `act` (RFC 8693 §4.1: from the actor token; Ena chaining profile §3.3.4: the client, earlier
/// actors nested below it), the user's authentication context in the Ena mode (§2.4, §3.3.4),
/// and the faults that write `act` or `may_act` (§4.4) in the wrong shape.
fn grant_actor_claims(s: &AsA, claims: &mut Map<String, Value>, x: &Exchanged) {
    let f = &s.faults;
    if let Some(act) = &x.act {
        claims.insert("act".into(), act.clone());
    } else if ena(s)
        && let Some(id) = x.client_id
        && !f.has(Fault::EnaGrantNoAct)
    {
        // Ena chaining profile §3.3.4: act names the client as known in domain A, earlier
        // actors nested below it.
        let actor = if f.has(Fault::EnaGrantActSubIsUser) {
            x.subject.claim_str("sub").unwrap_or_default()
        } else {
            id
        };
        claims.insert("act".into(), actor_chain(actor, &x.subject, true));
    }
    if ena(s) && !f.has(Fault::EnaDropAuthContext) {
        copy_auth_context(&x.subject, claims);
        if f.has(Fault::EnaDropAuthTime) {
            claims.remove("auth_time");
        }
    }
    if f.has(Fault::GrantActNotObject) {
        claims.insert("act".into(), json!("an-actor"));
    }
    if f.has(Fault::GrantMayActNotObject) {
        claims.insert("may_act".into(), json!(x.client_id.unwrap_or("a-client")));
    }
}

/// The DPoP key the grant binds: ID-JAG §8.6.1 binds the ID-JAG itself (`cnf`); identity
/// chaining conveys the key the grant asks AS-B to bind as `requested_cnf` (IC Appendix B.3).
fn grant_key_binding(s: &AsA, claims: &mut Map<String, Value>, proof: &dpop::ProofKey) {
    let f = &s.faults;
    let claim = if id_jag::on(f) {
        id_jag::key_binding_claim(f)
    } else {
        (!f.has(Fault::DropRequestedCnf)).then_some("requested_cnf")
    };
    let jkt = if f.has(Fault::RequestedCnfWrongJkt) {
        // The RFC 7638 digest hex-encoded instead of base64url (RFC 9449 §6.1).
        use base64::Engine as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(&proof.jkt)
            .unwrap_or_default()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    } else {
        proof.jkt.clone()
    };
    if let Some(claim) = claim {
        claims.insert(claim.into(), json!({ "jkt": jkt }));
    }
}

/// The -17 example grant header: alg and kid, no typ (`typ` `JWT` under a legal variant).
fn grant_header(key: &dyn JwsKey, f: &FaultSet) -> Value {
    let mut header = json!({"alg": key.alg(), "kid": key.key_id()});
    if f.variant(Variant::GrantTypJwt) {
        header["typ"] = json!("JWT");
    }
    header
}

/// The ID-JAG shape of the grant (ID-JAG §3.1: `typ`, `aud_sub`, single `aud`; §4.3:
/// `resource`).
fn shape_id_jag(
    s: &AsA,
    form: &Form,
    x: &Exchanged,
    sub: &str,
    header: &mut Value,
    claims: &mut Map<String, Value>,
) {
    let f = &s.faults;
    let aud_sub = s.peer_subjects.get(sub).map(String::as_str);
    id_jag::shape_grant(f, &s.as_b, aud_sub, header, claims);
    if let Some(resource) = &x.target.resource_claim {
        claims.insert("resource".into(), resource.clone());
    }
    if f.has(Fault::IdJagAliasInAud)
        && form.get("audience") == Some(s.cfg.as_b_audience_alias.as_str())
    {
        claims.insert("aud".into(), json!(s.cfg.as_b_audience_alias));
    }
    if f.has(Fault::IdJagScopeClaimNarrowed) && form.get("scope").is_none() && x.granted.len() > 1 {
        // The response reports every granted scope; the ID-JAG keeps the first.
        claims.insert("scope".into(), json!(x.granted.iter().next()));
    }
}

/// The grant as a compact JWS signed with AS-A's key (RFC 7515 §7.1), or broken the way a
/// signing fault says (unsigned, HS256 with a guessable key, an extra segment, padding).
fn sign_grant(s: &AsA, key: &dyn JwsKey, header: &Value, claims: &Value) -> String {
    let f = &s.faults;
    if f.has(Fault::GrantUnsigned) {
        jose::assemble(&json!({"alg": "none"}), claims, b"")
    } else if f.has(Fault::GrantHs256) {
        use hmac::Mac as _;
        let header = json!({"alg": "HS256"});
        let unsigned = jose::assemble(&header, claims, b"");
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(s.fixed_jti.as_bytes())
            .expect("any key length");
        mac.update(unsigned.trim_end_matches('.').as_bytes());
        jose::assemble(&header, claims, &mac.finalize().into_bytes())
    } else if f.has(Fault::GrantExtraSegment) {
        format!("{}.e30", jose::sign(key, header, claims))
    } else if f.has(Fault::GrantPaddedBase64) {
        sign_padded(key, header, claims)
    } else {
        jose::sign(key, header, claims)
    }
}

/// The token-exchange response carrying the grant (identity-chaining-17 §2.3.3, RFC 8693
/// §2.2.1): `issued_token_type` JWT (ID-JAG in the id-jag mode), `token_type` `N_A`,
/// `expires_in`, and `scope` when it differs from the request (RFC 6749 §5.1).
fn grant_response(s: &AsA, form: &Form, x: &Exchanged, grant: &MintedGrant) -> Response {
    let f = &s.faults;
    let granted = &x.granted;
    let mut body = Map::new();
    body.insert("access_token".into(), json!(grant.jwt));
    let itt = if id_jag::on(f) {
        id_jag::issued_token_type(f)
    } else if f.has(Fault::WrongIssuedTokenType)
        || (f.has(Fault::EnaGrantIssuedTypeAccessToken) && x.params.requested_type == Some(TT_JWT))
    {
        TT_ACCESS_TOKEN
    } else if f.has(Fault::IssuedTypeIdJagForJwt) && x.params.requested_type == Some(TT_JWT) {
        id_jag::TT_ID_JAG
    } else {
        TT_JWT
    };
    if !f.has(Fault::ExchangeNoIssuedTokenType) {
        body.insert("issued_token_type".into(), json!(itt));
    }
    if !f.has(Fault::ExchangeNoTokenType) {
        let bearer = f.has(Fault::TokenTypeBearer)
            || f.has(Fault::IdJagTokenTypeBearer)
            || (f.has(Fault::EnaGrantTokenTypeBearer) && x.params.requested_type == Some(TT_JWT));
        body.insert(
            "token_type".into(),
            json!(if bearer { "Bearer" } else { "N_A" }),
        );
    }
    if f.has(Fault::ExpiresInDisagrees) {
        // An hour, whatever the grant's exp says.
        body.insert("expires_in".into(), json!(3600));
    } else if !f.has(Fault::ExchangeNoExpiresIn) {
        body.insert("expires_in".into(), json!(grant.lifetime));
    }
    let requested = form.get("scope").map(scopes);
    let report_scope = match &requested {
        None => !f.has(Fault::ExchangeScopeNotReported),
        Some(_) if f.variant(Variant::ScopeAlwaysReported) => true,
        Some(_) if f.has(Fault::ExchangeScopeNarrowedSilently) => false,
        Some(r) => r != granted,
    };
    if report_scope && !granted.is_empty() {
        body.insert("scope".into(), json!(endpoint::join(granted)));
    }
    if f.has(Fault::ExchangeRefreshToken) {
        body.insert(
            "refresh_token".into(),
            json!(uuid::Uuid::new_v4().to_string()),
        );
    }
    let mut resp = token_response(Value::Object(body), f);
    if f.has(Fault::ExchangeCacheNoCache) {
        resp.headers_mut().insert(
            axum::http::header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("no-cache, private"),
        );
    }
    if f.has(Fault::ExchangeResponseTextPlain) {
        resp.headers_mut().insert(
            axum::http::header::CONTENT_TYPE,
            axum::http::HeaderValue::from_static("text/plain"),
        );
    }
    resp
}

/// The AS the `grant-aud-unrequested-as` fault adds to a grant's aud.
const UNREQUESTED_AS: &str = "https://as-d.example";

/// The prefix of the token type URIs RFC 8693 §3 registers.
const TT_PREFIX: &str = "urn:ietf:params:oauth:token-type:";

/// Under `invalid-request-for-unknown-target`, an unacceptable target is `invalid_request`.
pub(crate) fn target_error(s: &AsA, e: OAuthError) -> OAuthError {
    if e.code == "invalid_target" && s.faults.variant(Variant::InvalidRequestForUnknownTarget) {
        OAuthError::invalid_request(e.description)
    } else {
        e
    }
}

/// A JWS whose segments keep base64 `=` padding (only the `grant-padded-base64` fault).
fn sign_padded(key: &dyn JwsKey, header: &Value, claims: &Value) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE;
    let input = format!(
        "{}.{}",
        b64.encode(serde_json::to_vec(header).expect("json")),
        b64.encode(serde_json::to_vec(claims).expect("json"))
    );
    let sig = key.sign_input(input.as_bytes());
    format!("{input}.{}", b64.encode(sig))
}

/// Ena chaining profile §2.3.1 / §3.3.3: `requested_token_type` picks the use case (access
/// token: same domain; JWT: cross domain); without it the target decides (MAY infer: a
/// protected resource of this domain means same domain). The
/// `ena-requested-token-type-ignored` fault always lets the target decide.
fn same_domain_requested(s: &AsA, form: &Form) -> bool {
    let by_target = || {
        let apis = same_domain_apis(s);
        form.get_all("resource")
            .into_iter()
            .chain(form.get_all("audience"))
            .next()
            .is_some_and(|t| apis.iter().any(|a| a == t))
    };
    match form.get("requested_token_type") {
        _ if s.faults.has(Fault::EnaRequestedTokenTypeIgnored) => by_target(),
        Some(TT_JWT) if s.faults.has(Fault::EnaJwtRequestForApiIssuesAccessToken) => by_target(),
        Some(t) => t == TT_ACCESS_TOKEN,
        None if s.faults.has(Fault::EnaInferSameDomainForAs) => true,
        None => by_target(),
    }
}

/// `act` for a token AS-A issues to `requester` (RFC 8693 §4.1; Ena chaining profile §2.4.1):
/// the requester as current actor, earlier actors nested below it in order back to the
/// original client (the subject token's own `act`, else its client when that is not the
/// requester). With `nested` false (the `ena-act-not-nested` fault) only the requester.
fn actor_chain(requester: &str, subject: &Jws, nested: bool) -> Value {
    let earlier = subject.claims.get("act").cloned().or_else(|| {
        subject
            .claim_str("client_id")
            .filter(|c| *c != requester)
            .map(|c| json!({ "sub": c }))
    });
    match earlier {
        Some(e) if nested => json!({ "sub": requester, "act": e }),
        _ => json!({ "sub": requester }),
    }
}

/// Ena chaining profile §2.4, §3.3.4: the user's authentication context (`acr`, `amr`,
/// `auth_time`) is carried over from the subject token.
fn copy_auth_context(subject: &Jws, claims: &mut Map<String, Value>) {
    for name in ["acr", "amr", "auth_time"] {
        if let Some(v) = subject.claims.get(name) {
            claims.insert(name.into(), v.clone());
        }
    }
}

/// What the shared part of the exchange decided for a same-domain request.
struct SameDomain {
    granted: BTreeSet<String>,
    proof: Option<dpop::ProofKey>,
}

/// Ena chaining profile §2: a protected resource acting as client exchanges the access token it
/// received for an access token to another protected resource of this domain (RFC 9068 shape,
/// Ena OAuth profile §6.1).
fn same_domain_exchange(
    s: &AsA,
    form: &Form,
    client_id: Option<&str>,
    subject: &Jws,
    d: SameDomain,
    now: i64,
) -> Result<Response, OAuthError> {
    let f = &s.faults;
    let mut targets: Vec<&str> = form
        .get_all("resource")
        .into_iter()
        .chain(form.get_all("audience"))
        .collect();
    // §2.3.1: a request without a target indicator is invalid_request (this server deduces no
    // target from scope); every target must be a registered protected resource.
    let apis = same_domain_apis(s);
    if targets.is_empty() && f.has(Fault::EnaSameDomainDefaultTarget) {
        targets.push(&apis[0]);
    }
    if targets.is_empty() {
        let why = "one of resource or audience is required";
        return Err(if f.has(Fault::EnaSameDomainNoTargetInvalidTarget) {
            OAuthError::invalid_target(why)
        } else {
            OAuthError::invalid_request(why)
        });
    }
    let registered = |t: &&str| apis.iter().any(|a| a == t);
    if f.has(Fault::EnaSameDomainDropsUnknownResource) && targets.iter().any(registered) {
        targets.retain(registered);
    }
    // `ena-infer-same-domain-for-as` takes any target of a request without
    // requested_token_type as one of its APIs.
    let inferred =
        f.has(Fault::EnaInferSameDomainForAs) && form.get("requested_token_type").is_none();
    let resources = form.get_all("resource");
    let unchecked =
        |t: &&str| f.has(Fault::EnaSameDomainResourceUnchecked) && resources.contains(t);
    if !f.has(Fault::EnaSameDomainUnregisteredTarget)
        && !inferred
        && targets
            .iter()
            .any(|t| !unchecked(t) && !apis.iter().any(|a| a == t))
    {
        return Err(OAuthError::invalid_target(
            "target is not a protected resource registered at this server",
        ));
    }
    let requester = client_id.unwrap_or_default();
    let mut aud: Vec<Value> = if f.has(Fault::EnaSameDomainWrongAud) {
        vec![json!(api_audience(s))]
    } else {
        targets.iter().map(|t| json!(t)).collect()
    };
    // §4.2.1: the token may be exchanged again (a further hop), so the issuer is an audience.
    aud.push(json!(s.urls.issuer));
    let lifetime = s.cfg.access_token_lifetime_secs as i64;
    let mut claims = Map::new();
    let iss = if f.has(Fault::EnaSameDomainIssTokenEndpoint) {
        &s.urls.token_endpoint
    } else {
        &s.urls.issuer
    };
    claims.insert("iss".into(), json!(iss));
    let sub = if f.has(Fault::EnaSameDomainWrongSub) {
        requester
    } else {
        subject.claim_str("sub").unwrap_or_default()
    };
    claims.insert("sub".into(), json!(sub));
    claims.insert("aud".into(), Value::Array(aud));
    claims.insert("client_id".into(), json!(requester));
    claims.insert("scope".into(), json!(endpoint::join(&d.granted)));
    claims.insert("iat".into(), json!(now));
    claims.insert("exp".into(), json!(now + lifetime));
    claims.insert("jti".into(), json!(uuid::Uuid::new_v4().to_string()));
    if !f.has(Fault::EnaDropAuthContext) {
        copy_auth_context(subject, &mut claims);
    }
    if f.has(Fault::EnaDropAuthTime) {
        claims.remove("auth_time");
    }
    let act = if f.has(Fault::EnaActSubNotRequester) {
        json!({ "sub": subject.claim_str("sub") })
    } else {
        actor_chain(requester, subject, !f.has(Fault::EnaActNotNested))
    };
    claims.insert("act".into(), act);
    let bound = d
        .proof
        .as_ref()
        .filter(|_| !f.has(Fault::EnaSameDomainIgnoresDpop));
    if let Some(p) = bound {
        claims.insert("cnf".into(), json!({ "jkt": p.jkt }));
    }
    let key = s.signing_key();
    let typ = if f.has(Fault::EnaSameDomainTypJwt) {
        "JWT"
    } else {
        "at+jwt"
    };
    let at = jose::sign(
        key,
        &json!({"alg": "ES256", "kid": key.kid(), "typ": typ}),
        &Value::Object(claims),
    );
    // §2.4: token_type Bearer; a DPoP-bound token is announced as DPoP (RFC 9449 §5; the
    // catalogue's §13 item 6 reads the profile's "Bearer" as the unbound case).
    let mut body = json!({
        "access_token": at,
        "issued_token_type": if f.has(Fault::EnaSameDomainIssuedTypeJwt) { TT_JWT } else { TT_ACCESS_TOKEN },
        "token_type": if bound.is_some() && !f.has(Fault::EnaSameDomainDpopTokenTypeBearer) { "DPoP" } else { "Bearer" },
        "expires_in": lifetime,
        "scope": endpoint::join(&d.granted),
    });
    // An exchanged token carries act: the subject of a second hop.
    let second_hop = subject.claims.contains_key("act");
    if f.has(Fault::EnaSameDomainRefreshToken)
        || (second_hop && f.has(Fault::EnaSecondHopRefreshToken))
    {
        body["refresh_token"] = json!(uuid::Uuid::new_v4().to_string());
    }
    if f.has(Fault::EnaSameDomainNoExpiresIn) {
        body.as_object_mut().expect("object").remove("expires_in");
    }
    Ok(token_response(body, f))
}

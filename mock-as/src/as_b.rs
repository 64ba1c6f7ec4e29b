//! AS-B, the domain-B authorization server: RFC 8414 metadata, JWKS and the RFC 7523
//! jwt-bearer grant (identity-chaining-17 §2.4; RFC 7523 §3, §3.1; RFC 7521 §4.1), with DPoP
//! and `requested_cnf` binding (RFC 9449 §5, §6.1; identity-chaining-17 Appendix B.3).

use crate::client_auth::{Authenticator, ClientIdentity};
use crate::config::{AsBConfig, ClientConfig};
use crate::dpop;
use crate::endpoint::{self, JWT_BEARER, error_style, scopes, token_response};
use crate::error::OAuthError;
use crate::fault::{Fault, FaultSet};
use crate::jose::{self, Jws};
use crate::keys::{self, EsKey};
use crate::replay::{JtiCache, now};
use crate::trust::{KeyLookup, TrustStore};
use crate::urls::{AsUrls, RsUrls};
use crate::variant::Variant;
use axum::Router;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use hmac::{Hmac, Mac};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use std::collections::BTreeSet;
use std::sync::Arc;

/// Everything AS-B needs at run time.
pub struct AsB {
    pub cfg: AsBConfig,
    pub urls: AsUrls,
    pub key: EsKey,
    pub faults: FaultSet,
    pub trust: TrustStore,
    pub rs: RsUrls,
    /// `as_b.clients` as client records (client_secret_basic / client_secret_post).
    pub clients: Vec<ClientConfig>,
    pub assertion_replay: JtiCache,
    pub dpop_replay: JtiCache,
    pub grant_replay: JtiCache,
    /// The key of the last DPoP proof accepted (read only under `bind-to-stale-proof-key`).
    pub last_proof: std::sync::Mutex<Option<dpop::ProofKey>>,
    /// RFC 8705 client-certificate rules when serving HTTPS.
    pub client_certs: Option<crate::mtls::ClientCerts>,
    /// Opaque tokens issued (shared with RS-B), in `opaque_access_tokens` mode.
    pub opaque: Arc<crate::opaque::OpaqueTokens>,
}

impl AsB {
    /// AS-B's client authentication, for its token and introspection endpoints alike.
    fn authenticator<'a>(&'a self, now: i64, peer_cert: Option<&'a [u8]>) -> Authenticator<'a> {
        Authenticator {
            clients: &self.clients,
            issuer: &self.urls.issuer,
            token_endpoint: &self.urls.token_endpoint,
            realm: "as-b",
            assertion_replay: &self.assertion_replay,
            faults: &self.faults,
            now,
            client_certs: self.client_certs.as_ref(),
            peer_cert,
        }
    }
}

pub fn router(state: Arc<AsB>) -> Router {
    Router::new()
        .route(&state.urls.metadata_route, get(metadata))
        .route(&state.urls.jwks_route, get(jwks))
        .route(&state.urls.token_route, any(token))
        .route(
            &format!("{}/introspect", issuer_path(&state.urls)),
            axum::routing::post(introspect),
        )
        .with_state(state)
}

async fn metadata(State(s): State<Arc<AsB>>) -> Response {
    // Ena OAuth profile §3.1.1.6: private_key_jwt and the TLS methods only (the Ena mode's
    // clients authenticate by key, `pair::ena_key_clients`); §3.1.1.7: the signing algorithms
    // for them are listed.
    let ena = s.faults.profile() == crate::MockProfile::Ena;
    let mut doc = json!({
        "issuer": if s.faults.has(Fault::AsBMetadataIssuerMismatch) { format!("{}/", s.urls.issuer) } else { s.urls.issuer.clone() },
        "token_endpoint": s.urls.token_endpoint,
        "jwks_uri": s.urls.jwks_uri,
        "grant_types_supported": if s.faults.has(Fault::AsBMetadataNoJwtBearer) || s.faults.has(Fault::IdJagProfileWithoutJwtBearer) { json!(["client_credentials"]) } else { json!([JWT_BEARER]) },
        "token_endpoint_auth_methods_supported": crate::mtls::auth_methods(
            if ena && !s.faults.has(Fault::EnaAsBClientSecretMethods) { &["private_key_jwt"] }
            else if s.clients.iter().any(|c| c.jwk.is_some()) { &["client_secret_basic", "client_secret_post", "private_key_jwt"] } else { &["client_secret_basic", "client_secret_post"] },
            s.client_certs.is_some(),
        ),
        "scopes_supported": s.cfg.scopes,
        "token_endpoint_auth_signing_alg_values_supported": s.faults.has(Fault::AsBMetadataAlgNone).then(|| json!(["ES256", "none"])),
        "introspection_endpoint": s.cfg.opaque_access_tokens.then(|| format!("{}/introspect", s.urls.issuer)),
    });
    if !s.faults.variant(Variant::NoDpop) {
        doc["dpop_signing_alg_values_supported"] = if s.faults.has(Fault::AsBMetadataDpopAlgHs256) {
            json!(["ES256", "HS256"])
        } else {
            json!(["ES256"])
        };
    }
    if let Some(obj) = doc.as_object_mut() {
        obj.retain(|_, v| !v.is_null());
    }
    if ena {
        doc["token_endpoint_auth_signing_alg_values_supported"] = json!(["ES256"]);
    }
    if crate::id_jag::on(&s.faults) {
        crate::id_jag::resource_as_metadata(&s.faults, &mut doc);
    }
    axum::Json(doc).into_response()
}

/// The issuer's path (the part of the issuer after its origin).
fn issuer_path(urls: &crate::urls::AsUrls) -> String {
    urls.token_route
        .strip_suffix(
            urls.token_endpoint
                .strip_prefix(&urls.issuer)
                .unwrap_or_default(),
        )
        .unwrap_or_default()
        .to_string()
}

/// RFC 7662 §2: an authenticated AS-B client asks whether a token is active.
async fn introspect(State(s): State<Arc<AsB>>, req: Request) -> Response {
    let peer_cert = crate::mtls::peer_certificate(&req);
    let run = async {
        let (headers, form) = endpoint::intake(req, &s.faults).await?;
        let client = s
            .authenticator(now(), peer_cert.as_deref())
            .authenticate(&headers, &form)?;
        if client == ClientIdentity::Anonymous {
            return Err(OAuthError::invalid_client(
                "introspection requires client authentication",
                None,
            ));
        }
        let token = form
            .get("token")
            .ok_or_else(|| OAuthError::invalid_request("token missing"))?;
        Ok(axum::Json(s.opaque.introspection(token, now())).into_response())
    };
    match run.await {
        Ok(r) => r,
        Err(e) => e.render(error_style(&s.faults)),
    }
}

async fn jwks(State(s): State<Arc<AsB>>) -> Response {
    let mut keys = vec![s.key.public_jwk()];
    if s.faults.has(Fault::EnaAsBJwksWeakRsaKey) {
        keys.push(crate::keys::weak_rsa_public_jwk());
    }
    axum::Json(json!({ "keys": keys })).into_response()
}

async fn token(State(s): State<Arc<AsB>>, req: Request) -> Response {
    match handle(&s, req).await {
        Ok(r) => r,
        Err(e) => e.render(error_style(&s.faults)),
    }
}

/// The parameters AS-B understands (only the `refuse-unknown-params` fault consults it).
const KNOWN_PARAMS: &[&str] = &[
    "grant_type",
    "assertion",
    "scope",
    "resource",
    "client_id",
    "client_secret",
    "client_assertion",
    "client_assertion_type",
];

/// A grant that passed validation.
struct Grant {
    jws: Jws,
    /// The local subject (after `subject_map`), `None` only under `accept-missing-sub`.
    subject: Option<String>,
    exp: i64,
    replay_key: String,
}

fn bad_grant(s: &AsB, why: impl Into<String>) -> OAuthError {
    let why = format!("grant rejected: {}", why.into());
    if s.faults.has(Fault::BadGrantInvalidRequest) {
        OAuthError::invalid_request(why)
    } else if s.faults.has(Fault::InvalidGrantStatus401) {
        OAuthError {
            status: axum::http::StatusCode::UNAUTHORIZED,
            ..OAuthError::invalid_grant(why)
        }
    } else {
        OAuthError::invalid_grant(why)
    }
}

/// SHA-256 over the EC members in the wrong order `kty, crv, x, y` (RFC 7638 §3.2 requires
/// lexicographic order). Only the `cnf-wrong-thumbprint` fault uses this.
fn misordered_thumbprint(jwk: &Value) -> String {
    let text = format!(
        r#"{{"kty":"{}","crv":"{}","x":"{}","y":"{}"}}"#,
        jwk["kty"].as_str().unwrap_or(""),
        jwk["crv"].as_str().unwrap_or(""),
        jwk["x"].as_str().unwrap_or(""),
        jwk["y"].as_str().unwrap_or("")
    );
    jose::b64url(&Sha256::digest(text.as_bytes()))
}

/// The RFC 7638 digest written as hex instead of base64url (RFC 9449 §6.1). Only the
/// `cnf-thumbprint-hex` fault uses this.
fn hex_thumbprint(jwk: &Value) -> String {
    use base64::Engine as _;
    let digest = keys::thumbprint(jwk)
        .ok()
        .and_then(|t| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(t)
                .ok()
        })
        .unwrap_or_default();
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Secrets an alg-confusion attacker might use: the issuer's public key in common encodings.
/// Only the `accept-hmac-confusion` fault uses this.
fn confusion_secrets(jwk: &Value) -> Vec<Vec<u8>> {
    let mut out = vec![serde_json::to_vec(jwk).unwrap_or_default()];
    if let Ok(vk) = keys::verifying_key_from_jwk(jwk) {
        out.push(vk.sec1().to_vec());
        if let Some(pem) = vk.to_public_key_pem() {
            out.push(pem.into_bytes());
        }
        let bare = json!({"crv": jwk["crv"], "kty": jwk["kty"], "x": jwk["x"], "y": jwk["y"]});
        out.push(serde_json::to_vec(&bare).unwrap_or_default());
    }
    out
}

/// The issuer's public key as SPKI PEM text, the one secret the `accept-hmac-confusion-pem`
/// fault tries.
fn pem_secret(jwk: &Value) -> Option<Vec<u8>> {
    let pem = keys::verifying_key_from_jwk(jwk)
        .ok()?
        .to_public_key_pem()?;
    Some(pem.into_bytes())
}

/// The compact form of a flattened JWS JSON serialization (RFC 7515 §7.2.2); only the
/// `accept-jws-json-serialization` fault reads one.
fn flattened_to_compact(assertion: &str) -> Option<String> {
    let doc: Value = serde_json::from_str(assertion).ok()?;
    let part = |name: &str| doc.get(name).and_then(Value::as_str);
    Some(format!(
        "{}.{}.{}",
        part("protected")?,
        part("payload")?,
        part("signature")?
    ))
}

/// A key the grant carries (`jwk`, `x5c`) or points to (`x5u`) in its own header, taken only
/// under the faults that trust one (RFC 8725 §3.10 forbids it; RFC 7515 §4.1.3-§4.1.6).
async fn header_key(s: &AsB, jws: &Jws) -> Option<Result<keys::PublicKey, String>> {
    let f = &s.faults;
    if f.has(Fault::TrustEmbeddedJwk)
        && let Some(jwk) = jws.header.get("jwk")
    {
        return Some(keys::public_key_from_jwk(jwk).map_err(|e| e.to_string()));
    }
    if f.has(Fault::TrustX5c)
        && let Some(first) = jws
            .header
            .get("x5c")
            .and_then(Value::as_array)
            .and_then(|chain| chain.first())
            .and_then(Value::as_str)
    {
        use base64::Engine as _;
        // x5c holds standard base64 DER, not base64url (RFC 7515 §4.1.6).
        return Some(
            base64::engine::general_purpose::STANDARD
                .decode(first)
                .map_err(|_| "x5c is not base64".to_string())
                .and_then(|der| keys::public_key_from_certificate(&der).map_err(|e| e.to_string())),
        );
    }
    if f.has(Fault::FollowX5u)
        && let Some(url) = jws.header.get("x5u").and_then(Value::as_str)
    {
        return Some(s.trust.key_from_x5u(url).await);
    }
    None
}

/// `any_issuer`: the grant names no issuer and a fault lets it through, so its key is looked
/// up by `kid` among every trusted issuer's keys.
async fn check_signature(s: &AsB, jws: &Jws, iss: &str, any_issuer: bool) -> Result<(), String> {
    let f = &s.faults;
    match jws.alg() {
        // The key decides the algorithm (RFC 8725 §3.1): `PublicKey::verify` refuses an alg
        // other than the found key's own.
        Some(alg @ ("ES256" | "RS256")) => {
            if f.has(Fault::SkipSignature) {
                return Ok(());
            }
            if f.has(Fault::AcceptZeroSignature)
                && alg == "ES256"
                && !jws.signature.is_empty()
                && jws.signature.iter().all(|b| *b == 0)
            {
                return Ok(());
            }
            if let Some(key) = header_key(s, jws).await {
                return if key?.verify(alg, jws.signing_input.as_bytes(), &jws.signature) {
                    Ok(())
                } else {
                    Err("signature invalid".into())
                };
            }
            if f.has(Fault::FollowJku)
                && let Some(jku) = jws.header.get("jku").and_then(Value::as_str)
            {
                let vk = s
                    .trust
                    .key_from_url(jku, jws.kid())
                    .await
                    .ok_or("jku keys unusable")?;
                let ok = vk.verify(alg, jws.signing_input.as_bytes(), &jws.signature);
                return if ok {
                    Ok(())
                } else {
                    Err("signature invalid".into())
                };
            }
            let key = if f.has(Fault::IgnoreIssuerKeyBinding) || any_issuer {
                s.trust
                    .key_from_any_issuer(jws.kid())
                    .await
                    .map(KeyLookup::Found)
                    .unwrap_or(KeyLookup::UnknownKid)
            } else if f.has(Fault::TrustDiscoveredIssuer) && !s.trust.is_trusted(iss) {
                s.trust.key_by_discovery(iss, jws.kid()).await
            } else {
                s.trust.key_for(iss, jws.kid()).await
            };
            match key {
                KeyLookup::Found(vk)
                    if vk.verify(alg, jws.signing_input.as_bytes(), &jws.signature) =>
                {
                    Ok(())
                }
                KeyLookup::Found(_) => Err("signature invalid".into()),
                KeyLookup::UnknownKid if f.has(Fault::AcceptUntrustedKey) => Ok(()),
                KeyLookup::UnknownKid => {
                    Err("signing key is not among the issuer's published keys".into())
                }
                KeyLookup::UntrustedIssuer => Err("issuer not trusted".into()),
                KeyLookup::Unavailable(e) => Err(format!("issuer keys unavailable ({e})")),
            }
        }
        Some("none") if f.has(Fault::AcceptAlgNone) => Ok(()),
        Some(alg) if f.has(Fault::AcceptAlgNoneOtherCase) && alg.eq_ignore_ascii_case("none") => {
            Ok(())
        }
        Some("HS256")
            if f.has(Fault::AcceptHmacConfusion) || f.has(Fault::AcceptHmacConfusionPem) =>
        {
            let jwks = s.trust.jwks(iss).await.unwrap_or_default();
            let secrets: Vec<Vec<u8>> = if f.has(Fault::AcceptHmacConfusion) {
                jwks.iter().flat_map(confusion_secrets).collect()
            } else {
                jwks.iter().filter_map(pem_secret).collect()
            };
            let ok = secrets.iter().any(|secret| {
                let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("any key length");
                mac.update(jws.signing_input.as_bytes());
                mac.verify_slice(&jws.signature).is_ok()
            });
            if ok {
                Ok(())
            } else {
                Err("signature invalid".into())
            }
        }
        Some(alg) => Err(format!(
            "algorithm {} not accepted (ES256 and RS256 only)",
            alg.chars().take(20).collect::<String>()
        )),
        None => Err("alg missing".into()),
    }
}

/// RFC 7523 §3 validation of the assertion, in the order the RFC lists the claims.
async fn validate_grant(s: &AsB, assertion: &str, now: i64) -> Result<Grant, String> {
    let f = &s.faults;
    let leeway = s.cfg.leeway_secs as i64;
    let compact = f
        .has(Fault::AcceptJwsJsonSerialization)
        .then(|| flattened_to_compact(assertion))
        .flatten();
    let assertion = compact.as_deref().unwrap_or(assertion);
    let jws = if f.has(Fault::FirstOfJoinedJwts) {
        let first: Vec<&str> = assertion.split('.').take(3).collect();
        jose::parse(&first.join("."))
    } else {
        jose::parse(assertion)
    }
    .map_err(|e| e.to_string())?;
    if let Some(crit) = jws.header.get("crit") {
        // Under `crit-absent-name-ignored` only the names the header also carries are checked.
        let only_absent = crit.as_array().is_some_and(|names| {
            names
                .iter()
                .all(|n| n.as_str().is_some_and(|n| !jws.header.contains_key(n)))
        });
        let ignored =
            f.has(Fault::AcceptUnknownCrit) || (only_absent && f.has(Fault::CritAbsentNameIgnored));
        if !ignored {
            return Err("unsupported crit header parameter".into());
        }
    }
    let (iss, any_issuer) = match jws.claim_str("iss") {
        Some("") if f.has(Fault::AcceptEmptyIss) => (String::new(), true),
        None if f.has(Fault::AcceptMissingIss) && !jws.claims.contains_key("iss") => {
            (String::new(), true)
        }
        Some(iss) => (iss.to_owned(), false),
        None => return Err("iss missing".into()),
    };
    if !any_issuer
        && !s.trust.is_trusted(&iss)
        && !f.has(Fault::IgnoreIssuerKeyBinding)
        && !f.has(Fault::TrustDiscoveredIssuer)
    {
        return Err("issuer not trusted".into());
    }
    check_signature(s, &jws, &iss, any_issuer).await?;
    let aud_absent_ok = f.has(Fault::AcceptMissingAud) && !jws.claims.contains_key("aud");
    let auds = match jws.audiences() {
        Some(auds) => auds,
        None if aud_absent_ok => Vec::new(),
        None => return Err("aud missing or malformed".into()),
    };
    let ena = f.profile() == crate::MockProfile::Ena;
    if ena {
        ena_grant_rules(s, &jws, &auds)?;
    }
    let aud_ok = auds
        .iter()
        .any(|a| *a == s.urls.issuer || *a == s.urls.token_endpoint)
        || aud_absent_ok
        || f.has(Fault::AcceptWrongAud)
        || (f.has(Fault::AcceptAccessTokenAsGrant) && jws.typ() == Some("at+jwt"))
        || (f.has(Fault::AudPrefixMatch) && auds.iter().any(|a| a.starts_with(&s.urls.issuer)));
    if !aud_ok {
        return Err("aud does not identify this authorization server".into());
    }
    if crate::id_jag::on(f) {
        crate::id_jag::check_grant(f, &s.urls, &jws)?;
    }
    let exp = match jws.claim_time("exp") {
        Some(Ok(exp)) => exp,
        Some(Err(())) => return Err("exp is not a NumericDate".into()),
        None if f.has(Fault::AcceptMissingExp) => now + 60,
        None => return Err("exp missing".into()),
    };
    if exp + leeway < now && !f.has(Fault::AcceptExpired) {
        return Err("grant expired".into());
    }
    match jws.claim_time("nbf") {
        Some(Ok(nbf)) if nbf > now + leeway && !f.has(Fault::AcceptFutureNbf) => {
            return Err("grant not yet valid (nbf)".into());
        }
        Some(Err(())) if f.has(Fault::IgnoreStringNbf) && jws.claims["nbf"].is_string() => {}
        Some(Err(())) => return Err("nbf is not a NumericDate".into()),
        _ => {}
    }
    match jws.claim_time("iat") {
        Some(Ok(iat)) if iat > now + leeway => return Err("iat is in the future".into()),
        Some(Err(())) => return Err("iat is not a NumericDate".into()),
        _ => {}
    }
    let subject = match jws.claim_str("sub").filter(|s| !s.is_empty()) {
        Some(sub) => match s.cfg.subject_map.get(sub) {
            Some(_) if f.has(Fault::SubjectNotMapped) => Some(sub.to_owned()),
            Some(local) if f.has(Fault::SubjectMapCollapsed) => {
                Some(s.cfg.subject_map.values().next().unwrap_or(local).clone())
            }
            Some(local) => Some(local.clone()),
            None if f.has(Fault::AcceptUnmappedSubject) => Some(sub.to_owned()),
            None => return Err("subject cannot be mapped to a local account".into()),
        },
        None if f.has(Fault::AcceptMissingSub) => None,
        None if f.has(Fault::AcceptEmptySub) && jws.claim_str("sub") == Some("") => None,
        None => return Err("sub missing".into()),
    };
    let id = match jws.claim_str("jti") {
        Some(jti) if !f.has(Fault::ReplayKeyedOnAssertion) => format!("jti:{jti}"),
        _ => format!(
            "sha256:{}",
            jose::b64url(&Sha256::digest(assertion.as_bytes()))
        ),
    };
    let replay_key = format!("{iss}\n{id}");
    Ok(Grant {
        jws,
        subject,
        exp,
        replay_key,
    })
}

/// The Ena rules for a JWT authorization grant, on top of RFC 7523 §3.
///
/// `aud`: the Ena chaining profile (§3.4.2) requires AS-B's issuer among the values and lets
/// AS-A add the token endpoint URL as a second one (§3.3.4), while the Ena OAuth profile
/// (§5.4.2) wants the issuer as the only value. The catalogue (§13 item 3) notes the conflict;
/// this mock follows both where they agree: the issuer must be there, a value naming anyone but
/// this server (issuer or token endpoint) is refused, and `[issuer, token endpoint]` passes.
/// `jti` and `client_id` are mandatory (Ena OAuth profile §5.4.2).
fn ena_grant_rules(s: &AsB, jws: &Jws, auds: &[&str]) -> Result<(), String> {
    let f = &s.faults;
    let ours = |a: &&str| *a == s.urls.issuer || *a == s.urls.token_endpoint;
    if !auds.contains(&s.urls.issuer.as_str())
        && auds.iter().any(ours)
        && !f.has(Fault::EnaAcceptTokenEndpointAud)
    {
        return Err("aud must contain this server's issuer identifier (Ena)".into());
    }
    if auds.iter().any(ours) && !auds.iter().all(ours) && !f.has(Fault::EnaAcceptGrantExtraAud) {
        return Err("aud names a server besides this one (Ena)".into());
    }
    if jws.claim_str("jti").is_none() && !f.has(Fault::EnaAcceptGrantWithoutJti) {
        return Err("jti missing (Ena)".into());
    }
    if jws.claim_str("client_id").is_none() && !f.has(Fault::EnaAcceptGrantWithoutClientId) {
        return Err("client_id missing (Ena)".into());
    }
    Ok(())
}

async fn handle(s: &AsB, req: Request) -> Result<Response, OAuthError> {
    let f = &s.faults;
    let peer_cert = crate::mtls::peer_certificate(&req);
    let (headers, form) = endpoint::intake(req, f).await?;
    if f.has(Fault::AsBGrantTypeMisnamed) {
        endpoint::grant_type(&form, &["urn:ietf:params:oauth:grant-type:jwt_bearer"], f)?;
    } else if !f.has(Fault::AsBGrantTypeIgnored) {
        endpoint::grant_type(&form, &[JWT_BEARER], f)?;
    }
    if f.has(Fault::RefuseUnknownParams)
        && let Some(unknown) = form.names().find(|n| !KNOWN_PARAMS.contains(n))
    {
        let shown: String = unknown.chars().take(40).collect();
        return Err(OAuthError::invalid_request(format!(
            "unknown parameter {shown}"
        )));
    }
    let now = now();
    let client = s
        .authenticator(now, peer_cert.as_deref())
        .authenticate(&headers, &form);
    let client = match client {
        Ok(c) => c,
        Err(e) if e.code == "invalid_client" && f.has(Fault::IgnoreInvalidClientCredentials) => {
            ClientIdentity::Anonymous
        }
        Err(e) => return Err(e),
    };
    // Ena chaining profile §3.4.2 (1): the client always authenticates at AS-B.
    let ena_auth = f.profile() == crate::MockProfile::Ena && !f.has(Fault::EnaAsBAnonymousClient);
    if client == ClientIdentity::Anonymous && (s.cfg.require_client_auth || ena_auth) {
        return Err(OAuthError::invalid_client(
            "client authentication required",
            None,
        ));
    }
    let assertion_param = if f.has(Fault::AsBAssertionParamRenamed) {
        "jwt"
    } else {
        "assertion"
    };
    let Some(assertion) = form.get(assertion_param) else {
        let empty = form.sent_empty(assertion_param);
        return Err(
            if f.has(Fault::MissingAssertionInvalidGrant)
                || (empty && f.has(Fault::EmptyAssertionInvalidGrant))
            {
                OAuthError::invalid_grant("missing parameter assertion")
            } else {
                OAuthError::invalid_request("missing parameter assertion")
            },
        );
    };
    let grant = validate_grant(s, assertion, now)
        .await
        .map_err(|why| bad_grant(s, why))?;
    let grant_client = grant.jws.claim_str("client_id");
    let caller = if f.has(Fault::GrantBindingFormClientId) {
        form.get("client_id").or(client.client_id())
    } else {
        client.client_id()
    };
    if let (Some(bound), Some(authn)) = (grant_client, caller)
        && bound != authn
        && !f.has(Fault::AcceptGrantForOtherClient)
        && !f.has(Fault::IdJagClientIdMismatchAccepted)
    {
        return Err(bad_grant(s, "grant was issued for another client"));
    }

    let ours: BTreeSet<String> = s.cfg.scopes.iter().cloned().collect();
    let available: BTreeSet<String> = match grant.jws.claim_str("scope") {
        Some(g) => scopes(g).intersection(&ours).cloned().collect(),
        None => ours.clone(),
    };
    let requested = form.get("scope").map(scopes);
    let granted = match &requested {
        // RFC 6749 §3.3: with no scope requested, the default scope; this variant's is empty.
        None if f.variant(Variant::ScopeOmittedWhenEqual) => BTreeSet::new(),
        None => available.clone(),
        Some(r) if f.has(Fault::AsBScopeEscalation) => r.clone(),
        Some(r) if r.is_subset(&available) => r.clone(),
        Some(_) => {
            return Err(OAuthError::invalid_scope(
                "requested scope exceeds what the grant allows",
            ));
        }
    };

    let mut resources = form.get_all("resource");
    if f.has(Fault::EnaAsBDropsUnknownResource) && resources.contains(&s.rs.resource.as_str()) {
        resources.retain(|r| *r == s.rs.resource);
    }
    if f.has(Fault::AsBIgnoresResource) {
        resources.clear();
    }
    let unknown = resources.iter().any(|r| *r != s.rs.resource);
    if unknown && !f.has(Fault::AcceptUnknownResource) {
        return Err(if f.variant(Variant::InvalidRequestForUnknownTarget) {
            OAuthError::invalid_request("unknown resource")
        } else {
            OAuthError::invalid_target("unknown resource")
        });
    }
    let audience = match resources.as_slice() {
        [] => json!(s.rs.resource),
        [one] => json!(one),
        many => json!(many),
    };

    let expect = dpop::Expect {
        htm: "POST",
        htu: &s.urls.token_endpoint,
        ath: None,
        now,
        check_replay: !f.has(Fault::DpopProofReplayAccepted)
            && !f.has(Fault::DpopReplayKeyedOnProof),
    };
    let no_headers = axum::http::HeaderMap::new();
    let dpop_headers = endpoint::dpop_headers(f, &headers, &no_headers);
    let checked = dpop::check(dpop_headers, &expect, &s.dpop_replay);
    if let (Ok(Some(_)), true) = (&checked, f.has(Fault::DpopReplayKeyedOnProof)) {
        // Remembers the proof's exact text, not its jti: a re-encoded proof looks new.
        let text = dpop_headers
            .get("dpop")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let key = format!("proof:{}", jose::b64url(&Sha256::digest(text.as_bytes())));
        if !s.dpop_replay.first_use(&key, now + 600, now) {
            return Err(OAuthError::invalid_dpop_proof("DPoP proof replayed"));
        }
    }
    let proof = match checked {
        Ok(p) => p,
        Err(_) if f.has(Fault::AsBIgnoreInvalidDpop) => None,
        Err(e) => return Err(OAuthError::invalid_dpop_proof(e)),
    };
    // ID-JAG §8.6.1: an ID-JAG is bound by its own `cnf`; an identity-chaining grant asks for
    // a binding with `requested_cnf` (IC Appendix B.3).
    let id_jag = crate::id_jag::on(f);
    let requested_cnf = grant
        .jws
        .claims
        .get(if id_jag { "cnf" } else { "requested_cnf" })
        .and_then(|c| c.get("jkt"))
        .and_then(Value::as_str);
    let bind = match (requested_cnf, proof) {
        (Some(want), Some(p)) if want == p.jkt => (!f.has(Fault::DropCnf)).then_some(p),
        (Some(_), Some(p))
            if f.has(Fault::AcceptRequestedCnfMismatch)
                || f.has(Fault::IdJagCnfMismatchAccepted) =>
        {
            Some(p)
        }
        (Some(_), Some(_)) => {
            return Err(bad_grant(
                s,
                "DPoP proof key differs from the grant's requested_cnf",
            ));
        }
        (Some(_), None)
            if f.has(Fault::IgnoreRequestedCnf) || f.has(Fault::IdJagCnfWithoutProofAccepted) =>
        {
            None
        }
        (Some(_), None) => {
            return Err(bad_grant(
                s,
                "grant has requested_cnf but no DPoP proof was sent",
            ));
        }
        (None, Some(p)) => Some(p),
        (None, None) => None,
    };
    // Under `bind-to-stale-proof-key` a request without a proof gets the cnf of the last
    // proof AS-B accepted, while announcing the token as unbound (Bearer).
    let stale = match &bind {
        Some(p) => {
            if f.has(Fault::BindToStaleProofKey) {
                *s.last_proof.lock().expect("last proof lock") = Some(p.clone());
            }
            None
        }
        None if f.has(Fault::BindToStaleProofKey) => {
            s.last_proof.lock().expect("last proof lock").clone()
        }
        None => None,
    };

    let replay_key = if f.has(Fault::ReplayCachePerClient) {
        format!(
            "{}\n{}",
            client.client_id().unwrap_or("-"),
            grant.replay_key
        )
    } else {
        grant.replay_key.clone()
    };
    if f.has(Fault::ReplayCheckRacy) {
        // Look, then work, then record: requests that arrive together all find it unused.
        if s.grant_replay.seen(&replay_key, now) {
            return Err(bad_grant(s, "grant already used"));
        }
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    }
    if !s
        .grant_replay
        .first_use(&replay_key, grant.exp + s.cfg.leeway_secs as i64, now)
        && !f.has(Fault::AllowReplay)
        && !f.has(Fault::ReplayCheckRacy)
        && !f.variant(Variant::NoReplayCache)
    {
        return Err(bad_grant(s, "grant already used"));
    }

    let remaining = (grant.exp - now + 60).max(1);
    let lifetime = if f.has(Fault::LongLivedAccessToken) {
        remaining + 86_400
    } else {
        (s.cfg.access_token_lifetime_secs as i64).min(remaining)
    };
    let mut claims = Map::new();
    claims.insert("iss".into(), json!(s.urls.issuer));
    if let Some(sub) = &grant.subject {
        claims.insert("sub".into(), json!(sub));
    }
    if f.has(Fault::AtAudNotResource) {
        claims.insert("aud".into(), json!(s.urls.issuer));
    } else if f.has(Fault::AtAudOtherResource) {
        claims.insert("aud".into(), json!("urn:chainproof:mock:default-api"));
    } else {
        claims.insert("aud".into(), audience);
    }
    if let Some(id) = client.client_id().or(grant_client)
        && !f.has(Fault::AtMissingJtiClientId)
    {
        claims.insert("client_id".into(), json!(id));
    }
    if !granted.is_empty() || !f.variant(Variant::ScopeOmittedWhenEqual) {
        claims.insert("scope".into(), json!(endpoint::join(&granted)));
    }
    claims.insert("iat".into(), json!(now));
    if !f.has(Fault::AtNoExp) {
        claims.insert("exp".into(), json!(now + lifetime));
    }
    if !f.has(Fault::AtMissingJtiClientId) {
        claims.insert("jti".into(), json!(uuid::Uuid::new_v4().to_string()));
    }
    if f.profile() == crate::MockProfile::Ena
        && let Some(act) = grant.jws.claims.get("act")
    {
        // Ena chaining profile §3.4.3: an act AS-B includes (MAY) preserves every actor of the
        // grant; this server copies it unchanged.
        let act = if f.has(Fault::EnaAsBActTruncated) {
            json!({ "sub": act.get("sub") })
        } else if f.has(Fault::EnaAsBActReplaced) {
            json!({ "sub": client.client_id().or(grant_client) })
        } else {
            act.clone()
        };
        claims.insert("act".into(), act);
    }
    if let Some(p) = bind.as_ref().or(stale.as_ref()) {
        let jkt = if f.has(Fault::CnfWrongThumbprint) {
            misordered_thumbprint(&p.jwk)
        } else if f.has(Fault::CnfThumbprintHex) {
            hex_thumbprint(&p.jwk)
        } else {
            p.jkt.clone()
        };
        claims.insert("cnf".into(), json!({"jkt": jkt}));
    }
    let mut header = json!({"alg": "ES256", "kid": s.key.kid(), "typ": "at+jwt"});
    if f.has(Fault::AtMissingTyp) {
        header.as_object_mut().expect("object").remove("typ");
    }
    let at = if s.cfg.opaque_access_tokens {
        s.opaque.issue(claims)
    } else {
        jose::sign(&s.key, &header, &Value::Object(claims))
    };

    let token_type = if f.has(Fault::AsBTokenTypeNA) {
        "N_A"
    } else if bind.is_some() && !f.has(Fault::DpopTokenTypeBearer) {
        "DPoP"
    } else {
        "Bearer"
    };
    let mut body = Map::new();
    body.insert(
        "access_token".into(),
        if f.has(Fault::AccessTokenObject) {
            json!({ "token": at, "token_type": token_type })
        } else {
            json!(at)
        },
    );
    if !f.has(Fault::AsBNoTokenType) {
        body.insert("token_type".into(), json!(token_type));
    }
    if !f.has(Fault::EnaAsBNoExpiresIn) {
        body.insert(
            "expires_in".into(),
            if f.has(Fault::ExpiresInString) {
                json!(lifetime.to_string())
            } else {
                json!(lifetime)
            },
        );
    }
    let report_scope = match &requested {
        None if f.variant(Variant::ScopeOmittedWhenEqual) => !granted.is_empty(),
        None => !f.has(Fault::AsBScopeNotReported),
        Some(_) if f.variant(Variant::ScopeAlwaysReported) => true,
        Some(r) => *r != granted,
    };
    if report_scope {
        body.insert("scope".into(), json!(endpoint::join(&granted)));
    }
    if f.has(Fault::IssueRefreshToken) || f.has(Fault::IdJagRefreshToken) {
        body.insert(
            "refresh_token".into(),
            json!(uuid::Uuid::new_v4().to_string()),
        );
    }
    Ok(token_response(Value::Object(body), f))
}

//! AS-B, the domain-B authorization server: RFC 8414 metadata, JWKS and the RFC 7523
//! jwt-bearer grant (identity-chaining-17 §2.4; RFC 7523 §3, §3.1; RFC 7521 §4.1), with DPoP
//! and `requested_cnf` binding (RFC 9449 §5, §6.1; identity-chaining-17 Appendix B.3).

use crate::client_auth::{Authenticator, ClientIdentity};
use crate::config::{AsBConfig, ClientConfig};
use crate::dpop;
use crate::endpoint::{self, JWT_BEARER, error_style, scopes, token_response};
use crate::error::OAuthError;
use crate::fault::{Fault, FaultSet};
use crate::form::Form;
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
        let (headers, form) = endpoint::intake(req, &s.faults, false).await?;
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

/// RFC 7523 §3 validation of the assertion (identity-chaining-17 §2.4.2), in the order the RFC
/// lists the claims: parse it strictly (RFC 7515 §5.2), a trusted `iss` (item 1) and its
/// signature ([`check_signature`], item 9), `aud` ([`check_grant_aud`], item 3), the times
/// ([`check_grant_times`], items 4-6), the subject ([`local_subject`], item 2;
/// identity-chaining-17 §2.4.2: deny what cannot be mapped), and the key its single use is
/// remembered by ([`grant_replay_key`], item 7).
async fn validate_grant(s: &AsB, assertion: &str, now: i64) -> Result<Grant, String> {
    let f = &s.faults;
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
    check_grant_aud(s, &jws)?;
    let exp = check_grant_times(s, &jws, now)?;
    let subject = local_subject(s, &jws)?;
    let replay_key = grant_replay_key(s, &jws, &iss, assertion);
    Ok(Grant {
        jws,
        subject,
        exp,
        replay_key,
    })
}

/// RFC 7523 §3 item 3 (identity-chaining-17 §2.4.2): `aud` names this server by its issuer or
/// token endpoint; the Ena and ID-JAG modes add their own rules.
fn check_grant_aud(s: &AsB, jws: &Jws) -> Result<(), String> {
    let f = &s.faults;
    // Under `accept-missing-aud` a grant without aud skips the check.
    let aud_absent_ok = f.has(Fault::AcceptMissingAud) && !jws.claims.contains_key("aud");
    let auds = match jws.audiences() {
        Some(auds) => auds,
        None if aud_absent_ok => Vec::new(),
        None => return Err("aud missing or malformed".into()),
    };
    let ena = f.profile() == crate::MockProfile::Ena;
    if ena {
        ena_grant_rules(s, jws, &auds)?;
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
        crate::id_jag::check_grant(f, &s.urls, jws)?;
    }
    Ok(())
}

/// RFC 7523 §3 items 4-6: `exp` present and not past, `nbf` and `iat` not in the future, each
/// within the configured leeway. Returns `exp`.
fn check_grant_times(s: &AsB, jws: &Jws, now: i64) -> Result<i64, String> {
    let f = &s.faults;
    let leeway = s.cfg.leeway_secs as i64;
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
    Ok(exp)
}

/// RFC 7523 §3 item 2 and identity-chaining-17 §2.4.2: `sub` is required and mapped to a local
/// account through the subject map; one that cannot be mapped is refused. `None` only under
/// `accept-missing-sub`.
fn local_subject(s: &AsB, jws: &Jws) -> Result<Option<String>, String> {
    let f = &s.faults;
    Ok(match jws.claim_str("sub").filter(|s| !s.is_empty()) {
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
    })
}

/// What the replay cache remembers a grant by (RFC 7523 §3 item 7): its issuer and `jti`, or
/// the assertion's digest when it has none.
fn grant_replay_key(s: &AsB, jws: &Jws, iss: &str, assertion: &str) -> String {
    let id = match jws.claim_str("jti") {
        Some(jti) if !s.faults.has(Fault::ReplayKeyedOnAssertion) => format!("jti:{jti}"),
        _ => format!(
            "sha256:{}",
            jose::b64url(&Sha256::digest(assertion.as_bytes()))
        ),
    };
    format!("{iss}\n{id}")
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

/// The RFC 7523 jwt-bearer grant at AS-B (identity-chaining-17 §2.4), step by step in the order
/// this server processes a request: the request ([`check_request`]), the client
/// ([`authenticate_client`]), the assertion ([`assertion_param`]), its signature and claims
/// ([`validate_grant`]), the client it was issued to ([`check_grant_client`]), the scope
/// ([`grant_scope`]) and resource ([`token_audience`]), the DPoP key binding ([`key_binding`]),
/// the replay check ([`check_replay`]), then the access token ([`mint_access_token`]) and the
/// response ([`access_token_response`]).
///
/// The order of the steps decides which error a request with several defects gets; keep it.
async fn handle(s: &AsB, req: Request) -> Result<Response, OAuthError> {
    let peer_cert = crate::mtls::peer_certificate(&req);
    let (headers, form) = endpoint::intake(req, &s.faults, false).await?;
    check_request(s, &form)?;
    let now = now();
    let client = authenticate_client(s, &headers, &form, peer_cert.as_deref(), now)?;
    let assertion = assertion_param(s, &form)?;
    let grant = validate_grant(s, assertion, now)
        .await
        .map_err(|why| bad_grant(s, why))?;
    check_grant_client(s, &form, &client, &grant)?;
    let scope = grant_scope(s, &form, &grant)?;
    let audience = token_audience(s, &form)?;
    let binding = key_binding(s, &headers, &grant, now)?;
    check_replay(s, &client, &grant, now).await?;
    let token = mint_access_token(s, &client, &grant, audience, &scope, &binding, now);
    Ok(access_token_response(s, token, &scope, &binding))
}

/// RFC 7523 §2.1: `grant_type` is jwt-bearer; only the `refuse-unknown-params` fault refuses
/// parameters it does not know (RFC 6749 §3.2 says to ignore them).
fn check_request(s: &AsB, form: &Form) -> Result<(), OAuthError> {
    let f = &s.faults;
    if f.has(Fault::AsBGrantTypeMisnamed) {
        endpoint::grant_type(form, &["urn:ietf:params:oauth:grant-type:jwt_bearer"], f)?;
    } else if !f.has(Fault::AsBGrantTypeIgnored) {
        endpoint::grant_type(form, &[JWT_BEARER], f)?;
    }
    if f.has(Fault::RefuseUnknownParams)
        && let Some(unknown) = form.names().find(|n| !KNOWN_PARAMS.contains(n))
    {
        let shown: String = unknown.chars().take(40).collect();
        return Err(OAuthError::invalid_request(format!(
            "unknown parameter {shown}"
        )));
    }
    Ok(())
}

/// Client authentication at AS-B (RFC 7523 §3.1 leaves it optional; RFC 6749 §2.3): credentials
/// sent must be valid, and a policy (or the Ena chaining profile §3.4.2 (1)) may require them.
fn authenticate_client(
    s: &AsB,
    headers: &axum::http::HeaderMap,
    form: &Form,
    peer_cert: Option<&[u8]>,
    now: i64,
) -> Result<ClientIdentity, OAuthError> {
    let f = &s.faults;
    let client = match s.authenticator(now, peer_cert).authenticate(headers, form) {
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
    Ok(client)
}

/// The `assertion` parameter (RFC 7523 §2.1); missing, it is `invalid_request` (RFC 6749 §5.2).
fn assertion_param<'f>(s: &AsB, form: &'f Form) -> Result<&'f str, OAuthError> {
    let f = &s.faults;
    let name = if f.has(Fault::AsBAssertionParamRenamed) {
        "jwt"
    } else {
        "assertion"
    };
    form.get(name).ok_or_else(|| {
        let empty = form.sent_empty(name);
        if f.has(Fault::MissingAssertionInvalidGrant)
            || (empty && f.has(Fault::EmptyAssertionInvalidGrant))
        {
            OAuthError::invalid_grant("missing parameter assertion")
        } else {
            OAuthError::invalid_request("missing parameter assertion")
        }
    })
}

/// A grant carrying `client_id` is for that client only (ID-JAG §4.4.1: `invalid_grant`; RFC
/// 8693 §4.3 for identity-chaining grants).
fn check_grant_client(
    s: &AsB,
    form: &Form,
    client: &ClientIdentity,
    grant: &Grant,
) -> Result<(), OAuthError> {
    let f = &s.faults;
    let caller = if f.has(Fault::GrantBindingFormClientId) {
        form.get("client_id").or(client.client_id())
    } else {
        client.client_id()
    };
    if let (Some(bound), Some(authn)) = (grant.jws.claim_str("client_id"), caller)
        && bound != authn
        && !f.has(Fault::AcceptGrantForOtherClient)
        && !f.has(Fault::IdJagClientIdMismatchAccepted)
    {
        return Err(bad_grant(s, "grant was issued for another client"));
    }
    Ok(())
}

/// The scope requested (if any) and the scope granted.
struct Scope {
    requested: Option<BTreeSet<String>>,
    granted: BTreeSet<String>,
}

/// The scope to grant (RFC 6749 §3.3; identity-chaining-17 §2.4.1): within what the grant's
/// `scope` allows and this server knows; the default when none is requested.
fn grant_scope(s: &AsB, form: &Form, grant: &Grant) -> Result<Scope, OAuthError> {
    let f = &s.faults;
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
        // Scopes AS-B does not define pass through, as if they were the grant's.
        Some(r)
            if f.has(Fault::AsBGrantsUnknownScope)
                && r.iter().all(|x| available.contains(x) || !ours.contains(x)) =>
        {
            r.clone()
        }
        Some(r)
            if f.has(Fault::AsBScopeNarrowedSilently) && r.len() > 1 && r.is_subset(&available) =>
        {
            r.iter().take(1).cloned().collect()
        }
        Some(r) if r.is_subset(&available) => r.clone(),
        Some(_) => {
            return Err(OAuthError::invalid_scope(
                "requested scope exceeds what the grant allows",
            ));
        }
    };
    Ok(Scope { requested, granted })
}

/// The access token's `aud`: the RFC 8707 `resource` values, which must name RS-B
/// (`invalid_target`, RFC 8707 §2); RS-B without one.
fn token_audience(s: &AsB, form: &Form) -> Result<Value, OAuthError> {
    let f = &s.faults;
    let mut resources = form.get_all("resource");
    if f.has(Fault::EnaAsBDropsUnknownResource) && resources.contains(&s.rs.resource.as_str()) {
        resources.retain(|r| *r == s.rs.resource);
    }
    if f.has(Fault::AsBIgnoresResource) {
        resources.clear();
    }
    if f.has(Fault::AsBRelativeResourceIgnored) {
        resources.retain(|r| url::Url::parse(r).is_ok());
    }
    let unknown = resources.iter().any(|r| *r != s.rs.resource);
    if unknown && !f.has(Fault::AcceptUnknownResource) {
        return Err(if f.variant(Variant::InvalidRequestForUnknownTarget) {
            OAuthError::invalid_request("unknown resource")
        } else {
            OAuthError::invalid_target("unknown resource")
        });
    }
    Ok(match resources.as_slice() {
        [] => json!(s.rs.resource),
        [one] => json!(one),
        many => json!(many),
    })
}

/// The key the access token is bound to.
struct Binding {
    /// The request's DPoP proof key, when the token is bound to it.
    bind: Option<dpop::ProofKey>,
    /// Under `bind-to-stale-proof-key`: the last accepted proof's key, for a request without one.
    stale: Option<dpop::ProofKey>,
}

/// The DPoP proof (RFC 9449 §4.3) and the binding it gives (RFC 9449 §5): the key the grant
/// names must be the proof's (ID-JAG §8.6.1 `cnf`; identity-chaining-17 Appendix B.3
/// `requested_cnf`), and a grant naming one needs a proof.
fn key_binding(
    s: &AsB,
    headers: &axum::http::HeaderMap,
    grant: &Grant,
    now: i64,
) -> Result<Binding, OAuthError> {
    let f = &s.faults;
    let proof = dpop_proof(s, headers, now)?;
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
    Ok(Binding { bind, stale })
}

/// An optional DPoP proof at the token endpoint (RFC 9449 §4.3), single use (§11.1).
fn dpop_proof(
    s: &AsB,
    headers: &axum::http::HeaderMap,
    now: i64,
) -> Result<Option<dpop::ProofKey>, OAuthError> {
    let f = &s.faults;
    let expect = dpop::Expect {
        htm: "POST",
        htu: &s.urls.token_endpoint,
        ath: None,
        now,
        check_replay: !f.has(Fault::DpopProofReplayAccepted)
            && !f.has(Fault::DpopReplayKeyedOnProof),
    };
    let no_headers = axum::http::HeaderMap::new();
    let dpop_headers = endpoint::dpop_headers(f, headers, &no_headers);
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
    match checked {
        Ok(p) => Ok(p),
        Err(_) if f.has(Fault::AsBIgnoreInvalidDpop) => Ok(None),
        Err(e) => Err(OAuthError::invalid_dpop_proof(e)),
    }
}

/// A grant is used once (identity-chaining-17 §5.5; RFC 7523 §3 item 7 lets `jti` key it): the
/// replay cache remembers it until it expires.
async fn check_replay(
    s: &AsB,
    client: &ClientIdentity,
    grant: &Grant,
    now: i64,
) -> Result<(), OAuthError> {
    let f = &s.faults;
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
    Ok(())
}

/// An access token issued by AS-B and the lifetime it was given.
struct IssuedToken {
    token: String,
    lifetime: i64,
}

/// The access token for RS-B (RFC 9068 §2.2: `iss`, `sub`, `aud`, `client_id`, `iat`, `exp`,
/// `jti`, `scope`; `cnf` for a DPoP-bound token, RFC 9449 §6.1), living no longer than the grant
/// (a minute's leeway) unless a fault says so; opaque in `opaque_access_tokens` mode.
fn mint_access_token(
    s: &AsB,
    client: &ClientIdentity,
    grant: &Grant,
    audience: Value,
    scope: &Scope,
    binding: &Binding,
    now: i64,
) -> IssuedToken {
    let f = &s.faults;
    let grant_client = grant.jws.claim_str("client_id");
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
    if !scope.granted.is_empty() || !f.variant(Variant::ScopeOmittedWhenEqual) {
        claims.insert("scope".into(), json!(endpoint::join(&scope.granted)));
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
        claims.insert(
            "act".into(),
            ena_act(f, act, client.client_id().or(grant_client)),
        );
    }
    if let Some(p) = binding.bind.as_ref().or(binding.stale.as_ref()) {
        claims.insert("cnf".into(), json!({"jkt": cnf_thumbprint(f, p)}));
    }
    let mut header = json!({"alg": "ES256", "kid": s.key.kid(), "typ": "at+jwt"});
    if f.has(Fault::AtMissingTyp) {
        header.as_object_mut().expect("object").remove("typ");
    }
    let token = if s.cfg.opaque_access_tokens {
        s.opaque.issue(claims)
    } else {
        jose::sign(&s.key, &header, &Value::Object(claims))
    };
    IssuedToken { token, lifetime }
}

/// Ena chaining profile §3.4.3: an act AS-B includes (MAY) preserves every actor of the grant;
/// this server copies it unchanged (`requester` is who a fault names instead).
fn ena_act(f: &FaultSet, act: &Value, requester: Option<&str>) -> Value {
    if f.has(Fault::EnaAsBActTruncated) {
        json!({ "sub": act.get("sub") })
    } else if f.has(Fault::EnaAsBActReplaced) {
        json!({ "sub": requester })
    } else {
        act.clone()
    }
}

/// The `cnf` `jkt` of a DPoP-bound token: the proof key's RFC 7638 thumbprint (RFC 9449 §6.1),
/// or a wrong one under the thumbprint faults.
fn cnf_thumbprint(f: &FaultSet, p: &dpop::ProofKey) -> String {
    if f.has(Fault::CnfWrongThumbprint) {
        misordered_thumbprint(&p.jwk)
    } else if f.has(Fault::CnfThumbprintHex) {
        hex_thumbprint(&p.jwk)
    } else {
        p.jkt.clone()
    }
}

/// The access token response (RFC 6749 §5.1; identity-chaining-17 §2.4.3): `token_type` DPoP
/// for a bound token (RFC 9449 §5), `expires_in`, `scope` when it differs from the request.
fn access_token_response(
    s: &AsB,
    token: IssuedToken,
    scope: &Scope,
    binding: &Binding,
) -> Response {
    let f = &s.faults;
    let granted = &scope.granted;
    let token_type = if f.has(Fault::AsBTokenTypeNA) {
        "N_A"
    } else if binding.bind.is_some() && !f.has(Fault::DpopTokenTypeBearer) {
        "DPoP"
    } else {
        "Bearer"
    };
    let mut body = Map::new();
    body.insert(
        "access_token".into(),
        if f.has(Fault::AccessTokenObject) {
            json!({ "token": token.token, "token_type": token_type })
        } else {
            json!(token.token)
        },
    );
    if !f.has(Fault::AsBNoTokenType) {
        body.insert("token_type".into(), json!(token_type));
    }
    if !f.has(Fault::EnaAsBNoExpiresIn) {
        body.insert(
            "expires_in".into(),
            if f.has(Fault::ExpiresInString) {
                json!(token.lifetime.to_string())
            } else {
                json!(token.lifetime)
            },
        );
    }
    let report_scope = match &scope.requested {
        None if f.variant(Variant::ScopeOmittedWhenEqual) => !granted.is_empty(),
        None => !f.has(Fault::AsBScopeNotReported),
        Some(_) if f.variant(Variant::ScopeAlwaysReported) => true,
        Some(_) if f.has(Fault::AsBScopeNarrowedSilently) => false,
        Some(r) => r != granted,
    };
    if report_scope {
        body.insert("scope".into(), json!(endpoint::join(granted)));
    }
    if f.has(Fault::IssueRefreshToken) || f.has(Fault::IdJagRefreshToken) {
        body.insert(
            "refresh_token".into(),
            json!(uuid::Uuid::new_v4().to_string()),
        );
    }
    token_response(Value::Object(body), f)
}

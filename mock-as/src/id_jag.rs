//! ID-JAG mode of the mock pair (draft-ietf-oauth-identity-assertion-authz-grant, profile
//! `id-jag`): AS-A is the user's IdP, issues ID tokens (OpenID Connect Core §2) with its user
//! tokens, exchanges an ID token for an Identity Assertion JWT Authorization Grant (§4.3), and
//! AS-B is the resource authorization server that checks the ID-JAG rules (§4.4.1) and
//! publishes `authorization_grant_profiles_supported` (§7.2). The handlers in `as_a` and `as_b`
//! call in here only when `FaultSet::profile()` is [`MockProfile::IdJag`].

use crate::error::OAuthError;
use crate::fault::{Fault, FaultSet};
use crate::jose::{self, Jws};
use crate::keys::{self, EsKey};
use crate::profile::MockProfile;
use crate::urls::AsUrls;
use serde_json::{Map, Value, json};

/// ID-JAG §9.2: the token type of an ID-JAG.
pub const TT_ID_JAG: &str = "urn:ietf:params:oauth:token-type:id-jag";
/// RFC 8693 §3: the token type of an OpenID Connect ID token.
pub const TT_ID_TOKEN: &str = "urn:ietf:params:oauth:token-type:id_token";
/// ID-JAG §3.1: the JOSE `typ` of an ID-JAG.
pub const TYP: &str = "oauth-id-jag+jwt";
/// ID-JAG §7.2: the grant profile the resource AS lists in its metadata.
pub const GRANT_PROFILE: &str = "urn:ietf:params:oauth:grant-profile:id-jag";

/// Whether the pair runs in ID-JAG mode.
pub fn on(f: &FaultSet) -> bool {
    f.profile() == MockProfile::IdJag
}

/// An ID token the IdP issues to `client_id` for the user `sub` (OIDC Core §2: `aud` is the
/// client the token was issued to).
pub fn id_token(
    key: &EsKey,
    issuer: &str,
    sub: &str,
    client_id: &str,
    now: i64,
    life: u64,
) -> String {
    jose::sign(
        key,
        &json!({"alg": "ES256", "kid": key.kid(), "typ": "JWT"}),
        &json!({"iss": issuer, "sub": sub, "aud": client_id, "iat": now, "exp": now + life as i64,
                "auth_time": now}),
    )
}

/// Validate an ID token this IdP issued, for the exchange by `client_id` (§4.3.3: the
/// assertion's audience must be the authenticated client).
pub fn validate_id_token<'a>(
    f: &FaultSet,
    keys: impl IntoIterator<Item = &'a EsKey>,
    issuer: &str,
    token: &str,
    client_id: Option<&str>,
    now: i64,
) -> Result<Jws, &'static str> {
    let jws = jose::parse(token).map_err(|_| "not a compact JWS")?;
    if !f.has(Fault::IdJagIdTokenSignatureUnchecked) {
        let key = keys
            .into_iter()
            .find(|k| jws.kid() == Some(k.kid()))
            .filter(|_| jws.alg() == Some("ES256") && !jws.header.contains_key("crit"))
            .ok_or("not signed by this server")?;
        if !keys::verify_es256(
            &key.verifying_key(),
            jws.signing_input.as_bytes(),
            &jws.signature,
        ) {
            return Err("signature invalid");
        }
    }
    if jws.claim_str("iss") != Some(issuer) || jws.typ() == Some("at+jwt") {
        return Err("not an ID token issued by this server");
    }
    match jws.claim_time("exp") {
        Some(Ok(exp)) if exp > now => {}
        _ => return Err("expired"),
    }
    if jws.claim_str("sub").is_none_or(str::is_empty) {
        return Err("no subject");
    }
    let for_client = match client_id {
        Some(id) => jws.audiences().is_some_and(|a| a.contains(&id)),
        None => true,
    };
    if !for_client && !f.has(Fault::IdJagIdTokenAudUnchecked) {
        return Err("the ID token was issued to another client (its aud)");
    }
    Ok(jws)
}

/// §4.3: `requested_token_type` id-jag is REQUIRED.
pub fn check_requested_type(f: &FaultSet, requested: Option<&str>) -> Result<(), OAuthError> {
    match requested {
        Some(TT_ID_JAG) if f.has(Fault::IdJagTypeRefused) => Err(OAuthError::invalid_request(
            "requested_token_type not supported; this server issues urn:ietf:params:oauth:token-type:jwt",
        )),
        Some(TT_ID_JAG) => Ok(()),
        Some(_) => Err(OAuthError::invalid_request(
            "requested_token_type not supported; this IdP issues urn:ietf:params:oauth:token-type:id-jag",
        )),
        None => Err(OAuthError::invalid_request(
            "requested_token_type urn:ietf:params:oauth:token-type:id-jag is required",
        )),
    }
}

/// Shape a grant as an ID-JAG (§3.1): `typ`, `aud` the resource AS's issuer, `client_id`, and
/// `aud_sub` (the resource AS's identifier for the user, when the IdP knows it): §3.1 makes an
/// `email` and/or `aud_sub` claim RECOMMENDED for subject resolution, and `aud_sub` discloses
/// less than an e-mail address (the identity-chaining data-minimisation rows, IC-JG-12).
pub fn shape_grant(
    f: &FaultSet,
    as_b: &AsUrls,
    aud_sub: Option<&str>,
    header: &mut Value,
    claims: &mut Map<String, Value>,
) {
    if f.has(Fault::IdJagTypJwt) {
        header["typ"] = json!("JWT");
    } else if !f.has(Fault::IdJagTypMissing) {
        header["typ"] = json!(TYP);
    }
    if let Some(aud_sub) = aud_sub
        && !f.has(Fault::IdJagNoSubjectResolutionClaim)
    {
        claims.insert("aud_sub".into(), json!(aud_sub));
    }
    if f.has(Fault::IdJagNoClientId) {
        claims.remove("client_id");
    }
    if f.has(Fault::IdJagAudTokenEndpoint) && claims.get("aud") == Some(&json!(as_b.issuer)) {
        claims.insert("aud".into(), json!(as_b.token_endpoint));
    }
}

/// The claim that binds an ID-JAG to the key of the exchange's DPoP proof (§8.6.1: `cnf` with
/// the proof key's `jkt`), or none under `id-jag-cnf-dropped`.
pub fn key_binding_claim(f: &FaultSet) -> Option<&'static str> {
    if f.has(Fault::IdJagCnfDropped) {
        None
    } else if f.has(Fault::IdJagCnfAsRequestedCnf) {
        Some("requested_cnf")
    } else {
        Some("cnf")
    }
}

/// §4.3, §4.3.3: beside `audience` (the resource AS), each `resource` names a protected resource
/// (RFC 8707 §2: an absolute URI without a fragment) this IdP grants access to (`known`); the
/// granted values go into the ID-JAG's `resource` claim, one string or an array. `None` when
/// the request names no resource. MCP's enterprise-managed authorization requires the claim.
pub fn resource_claim(
    f: &FaultSet,
    requested: &[&str],
    known: &[String],
    audience: &str,
) -> Result<Option<Value>, OAuthError> {
    if requested.is_empty() {
        return Ok(None);
    }
    for r in requested {
        let url = url::Url::parse(r)
            .map_err(|_| OAuthError::invalid_target("resource must be an absolute URI"))?;
        if url.fragment().is_some() {
            return Err(OAuthError::invalid_target(
                "resource must not contain a fragment",
            ));
        }
        if !known.iter().any(|k| k == r) || f.has(Fault::IdJagResourceRefused) {
            return Err(OAuthError::invalid_target(
                "resource is not a protected resource this IdP grants access to",
            ));
        }
    }
    Ok(if f.has(Fault::IdJagResourceClaimDropped) {
        None
    } else if f.has(Fault::IdJagResourceIsAudience) {
        Some(json!(audience))
    } else if let [one] = requested {
        Some(json!(one))
    } else {
        Some(json!(requested))
    })
}

/// The `issued_token_type` of an ID-JAG exchange response (§4.3.4).
pub fn issued_token_type(f: &FaultSet) -> &'static str {
    if f.has(Fault::IdJagIssuedTypeJwt) {
        "urn:ietf:params:oauth:token-type:jwt"
    } else {
        TT_ID_JAG
    }
}

/// The resource AS's ID-JAG checks beyond RFC 7521 §5.2 (§4.4.1): `typ`, `aud` its issuer as
/// a string or a one-element array, `client_id`, `jti` and `iat` present. The match of
/// `client_id` with the authenticated client is the caller's (as in identity chaining).
pub fn check_grant(f: &FaultSet, urls: &AsUrls, jws: &Jws) -> Result<(), String> {
    let typ_ok = jws.typ().is_some_and(|t| {
        let t = t.to_ascii_lowercase();
        t == TYP || t == format!("application/{TYP}")
    });
    if !typ_ok && !f.has(Fault::IdJagTypUnchecked) {
        return Err(format!("typ must be {TYP}"));
    }
    let aud_ok = match jws.claims.get("aud") {
        Some(Value::String(a)) => *a == urls.issuer,
        Some(Value::Array(items)) => {
            (items.len() == 1 || f.has(Fault::IdJagAudMultiAccepted))
                && items.contains(&json!(urls.issuer))
        }
        _ => false,
    };
    let endpoint_aud = jws
        .audiences()
        .is_some_and(|a| a == [urls.token_endpoint.as_str()]);
    let tolerated = endpoint_aud && f.has(Fault::IdJagAudTokenEndpointAccepted);
    if !(aud_ok || tolerated) {
        return Err("aud must be this authorization server's issuer, as its only value".into());
    }
    if jws.claim_str("client_id").is_none() && !f.has(Fault::IdJagClientIdOptional) {
        return Err("client_id claim missing".into());
    }
    for claim in ["jti", "iat"] {
        if jws.claims.get(claim).is_none() {
            return Err(format!("{claim} missing"));
        }
    }
    Ok(())
}

/// The resource AS's metadata additions (§7.2).
pub fn resource_as_metadata(f: &FaultSet, doc: &mut Value) {
    if !f.has(Fault::IdJagNoGrantProfileMetadata) {
        doc["authorization_grant_profiles_supported"] = json!([GRANT_PROFILE]);
    }
    if f.has(Fault::IdJagProfileWithoutGrantTypes)
        && let Some(obj) = doc.as_object_mut()
    {
        obj.remove("grant_types_supported");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls() -> AsUrls {
        AsUrls {
            issuer: "https://b.example".into(),
            token_endpoint: "https://b.example/token".into(),
            jwks_uri: "https://b.example/jwks".into(),
            metadata_url: String::new(),
            token_route: String::new(),
            jwks_route: String::new(),
            metadata_route: String::new(),
        }
    }

    fn grant(header: Value, claims: Value) -> Jws {
        let key = EsKey::generate();
        jose::parse(&jose::sign(&key, &header, &claims)).unwrap()
    }

    fn set(faults: &[Fault]) -> FaultSet {
        FaultSet::with_profile(faults, &[], MockProfile::IdJag)
    }

    fn claims() -> Value {
        json!({"iss": "https://a.example", "sub": "u", "aud": "https://b.example", "client_id": "c",
               "jti": "j", "iat": 1, "exp": 2})
    }

    #[test]
    fn the_resource_as_checks_typ_aud_and_client_id() {
        let h = json!({"alg": "ES256", "typ": TYP});
        assert!(check_grant(&set(&[]), &urls(), &grant(h.clone(), claims())).is_ok());
        let mut array = claims();
        array["aud"] = json!(["https://b.example"]);
        assert!(check_grant(&set(&[]), &urls(), &grant(h.clone(), array)).is_ok());
        let bad_typ = grant(json!({"alg": "ES256", "typ": "JWT"}), claims());
        assert!(check_grant(&set(&[]), &urls(), &bad_typ).is_err());
        assert!(check_grant(&set(&[Fault::IdJagTypUnchecked]), &urls(), &bad_typ).is_ok());
        let mut two = claims();
        two["aud"] = json!(["https://b.example", "https://c.example"]);
        let two = grant(h.clone(), two);
        assert!(check_grant(&set(&[]), &urls(), &two).is_err());
        assert!(check_grant(&set(&[Fault::IdJagAudMultiAccepted]), &urls(), &two).is_ok());
        let mut endpoint = claims();
        endpoint["aud"] = json!("https://b.example/token");
        let endpoint = grant(h.clone(), endpoint);
        assert!(check_grant(&set(&[]), &urls(), &endpoint).is_err());
        assert!(
            check_grant(
                &set(&[Fault::IdJagAudTokenEndpointAccepted]),
                &urls(),
                &endpoint
            )
            .is_ok()
        );
        let mut anonymous = claims();
        anonymous.as_object_mut().unwrap().remove("client_id");
        let anonymous = grant(h, anonymous);
        assert!(check_grant(&set(&[]), &urls(), &anonymous).is_err());
        assert!(check_grant(&set(&[Fault::IdJagClientIdOptional]), &urls(), &anonymous).is_ok());
    }

    #[test]
    fn the_idp_checks_the_id_token_audience() {
        let key = EsKey::generate();
        let t = id_token(&key, "https://a.example", "alice", "c1", 100, 60);
        let ok = validate_id_token(&set(&[]), [&key], "https://a.example", &t, Some("c1"), 120);
        assert!(ok.is_ok());
        let other = validate_id_token(&set(&[]), [&key], "https://a.example", &t, Some("c2"), 120);
        assert!(other.is_err());
        let f = set(&[Fault::IdJagIdTokenAudUnchecked]);
        assert!(validate_id_token(&f, [&key], "https://a.example", &t, Some("c2"), 120).is_ok());
        assert!(
            validate_id_token(&set(&[]), [&key], "https://a.example", &t, Some("c1"), 200).is_err()
        );
        let stranger = id_token(
            &EsKey::generate(),
            "https://a.example",
            "alice",
            "c1",
            100,
            60,
        );
        let v = |f| {
            validate_id_token(
                &set(f),
                [&key],
                "https://a.example",
                &stranger,
                Some("c1"),
                120,
            )
        };
        assert!(v(&[]).is_err());
        assert!(v(&[Fault::IdJagIdTokenSignatureUnchecked]).is_ok());
    }

    #[test]
    fn the_idp_shapes_id_jags_and_requires_the_type() {
        let mut header = json!({"alg": "ES256"});
        let mut c = claims().as_object().unwrap().clone();
        shape_grant(&set(&[]), &urls(), Some("bob"), &mut header, &mut c);
        assert_eq!(header["typ"], TYP);
        assert_eq!(c["aud_sub"], "bob");
        shape_grant(
            &set(&[Fault::IdJagNoClientId, Fault::IdJagAudTokenEndpoint]),
            &urls(),
            None,
            &mut header,
            &mut c,
        );
        assert!(!c.contains_key("client_id"));
        assert_eq!(c["aud"], "https://b.example/token");
        let mut h2 = json!({"alg": "ES256"});
        shape_grant(
            &set(&[Fault::IdJagTypMissing]),
            &urls(),
            None,
            &mut h2,
            &mut c,
        );
        assert!(h2.get("typ").is_none());
        shape_grant(&set(&[Fault::IdJagTypJwt]), &urls(), None, &mut h2, &mut c);
        assert_eq!(h2["typ"], "JWT");
        let mut c2 = claims().as_object().unwrap().clone();
        let f = set(&[Fault::IdJagNoSubjectResolutionClaim]);
        shape_grant(&f, &urls(), Some("bob"), &mut h2, &mut c2);
        assert!(!c2.contains_key("aud_sub"));
        assert!(check_requested_type(&set(&[]), Some(TT_ID_JAG)).is_ok());
        assert!(check_requested_type(&set(&[Fault::IdJagTypeRefused]), Some(TT_ID_JAG)).is_err());
        assert!(check_requested_type(&set(&[]), None).is_err());
        let jwt = Some("urn:ietf:params:oauth:token-type:jwt");
        assert!(check_requested_type(&set(&[]), jwt).is_err());
        assert_eq!(key_binding_claim(&set(&[])), Some("cnf"));
        let known = vec!["https://rs.example/api".to_string()];
        let rc = |f: &[Fault], r: &[&str]| resource_claim(&set(f), r, &known, "https://b.example");
        assert_eq!(rc(&[], &[]).unwrap(), None);
        assert_eq!(
            rc(&[], &["https://rs.example/api"]).unwrap(),
            Some(json!("https://rs.example/api"))
        );
        assert!(rc(&[], &["https://other.example/"]).is_err());
        assert!(rc(&[], &["https://rs.example/api#x"]).is_err());
        assert!(rc(&[Fault::IdJagResourceRefused], &["https://rs.example/api"]).is_err());
        assert_eq!(
            rc(
                &[Fault::IdJagResourceClaimDropped],
                &["https://rs.example/api"]
            )
            .unwrap(),
            None
        );
        assert_eq!(
            rc(
                &[Fault::IdJagResourceIsAudience],
                &["https://rs.example/api"]
            )
            .unwrap(),
            Some(json!("https://b.example"))
        );
        assert_eq!(key_binding_claim(&set(&[Fault::IdJagCnfDropped])), None);
        assert_eq!(
            issued_token_type(&set(&[Fault::IdJagIssuedTypeJwt])),
            "urn:ietf:params:oauth:token-type:jwt"
        );
        let mut doc = json!({});
        resource_as_metadata(&set(&[]), &mut doc);
        assert_eq!(
            doc["authorization_grant_profiles_supported"][0],
            GRANT_PROFILE
        );
        let mut none = json!({});
        resource_as_metadata(&set(&[Fault::IdJagNoGrantProfileMetadata]), &mut none);
        assert!(none.get("authorization_grant_profiles_supported").is_none());
    }
}

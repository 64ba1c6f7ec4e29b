//! RS-B, the domain-B resource server: RFC 9728 protected-resource metadata and a protected
//! endpoint accepting AS-B's RFC 9068 access tokens, Bearer (RFC 6750) or DPoP-bound (RFC 9449 §7).

use crate::dpop;
use crate::fault::{Fault, FaultSet};
use crate::jose::{self, Jws};
use crate::keys;
use crate::keys::PublicKey;
use crate::replay::{JtiCache, now};
use crate::urls::RsUrls;
use crate::variant::Variant;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use serde_json::json;
use std::sync::Arc;

pub struct Rs {
    pub urls: RsUrls,
    pub as_b_issuer: String,
    pub as_b_key: PublicKey,
    /// AS-A's key: RS-B must refuse what it signs (only `rs-accepts-grant` uses it).
    pub as_a_key: PublicKey,
    /// AS-A's issuer (only `rs-metadata-no-as-b` uses it).
    pub as_a_issuer: String,
    pub faults: FaultSet,
    pub dpop_replay: JtiCache,
    /// AS-B's opaque tokens (`as_b.opaque_access_tokens`), looked up instead of verified.
    pub opaque: std::sync::Arc<crate::opaque::OpaqueTokens>,
}

pub fn router(state: Arc<Rs>) -> Router {
    Router::new()
        .route(&state.urls.metadata_route, get(metadata))
        .route(&state.urls.resource_route, any(protected))
        .with_state(state)
}

async fn metadata(State(s): State<Arc<Rs>>) -> Response {
    if s.faults.variant(Variant::NoRsMetadata) {
        return (StatusCode::NOT_FOUND, "no metadata").into_response();
    }
    let resource = if s.faults.has(Fault::RsMetadataWrongResource) {
        format!("{}/other", s.urls.resource)
    } else {
        s.urls.resource.clone()
    };
    let mut doc = json!({
        "resource": resource,
        "authorization_servers": [if s.faults.has(Fault::RsMetadataNoAsB) { &s.as_a_issuer } else { &s.as_b_issuer }],
        "bearer_methods_supported": ["header"],
    });
    if !s.faults.variant(Variant::NoDpop) {
        doc["dpop_signing_alg_values_supported"] = json!(["ES256"]);
    }
    axum::Json(doc).into_response()
}

/// A 401 with an RFC 6750 §3 / RFC 9449 §7.1 challenge carrying RFC 9728 `resource_metadata`.
fn unauthorized(s: &Rs, scheme: &str, error: Option<(&str, &str)>) -> Response {
    let mut params = Vec::new();
    if let Some((code, desc)) = error {
        params.push(format!("error=\"{code}\""));
        params.push(format!("error_description=\"{desc}\""));
    }
    if scheme == "DPoP" && !s.faults.variant(Variant::NoDpop) {
        params.push("algs=\"ES256\"".into());
    }
    if !s.faults.has(Fault::RsNoResourceMetadataChallenge)
        && !s.faults.variant(Variant::NoRsMetadata)
    {
        params.push(format!("resource_metadata=\"{}\"", s.urls.metadata_url));
    }
    let challenge = if params.is_empty() {
        scheme.to_owned()
    } else {
        format!("{scheme} {}", params.join(", "))
    };
    let body = match error {
        Some((code, desc)) => json!({"error": code, "error_description": desc}),
        None => json!({"error": "invalid_request", "error_description": "no access token"}),
    };
    let mut resp = (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&challenge) {
        resp.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    resp
}

/// Validate an access token: AS-B's signature, `typ` at+jwt, `iss`, `aud` ∋ this resource, `exp`.
fn validate(s: &Rs, token: &str, now: i64) -> Result<Jws, &'static str> {
    let jws = jose::parse(token).map_err(|_| "malformed token")?;
    if jws.alg() != Some("ES256") || jws.header.contains_key("crit") {
        return Err("unacceptable token algorithm");
    }
    let input = jws.signing_input.as_bytes();
    let unverified = s.faults.has(Fault::RsSkipsSignature)
        && jws.typ() == Some("at+jwt")
        && jws.claim_str("iss") == Some(&s.as_b_issuer);
    if unverified || keys::verify_es256(&s.as_b_key, input, &jws.signature) {
        if jws.typ() != Some("at+jwt") || jws.claim_str("iss") != Some(&s.as_b_issuer) {
            return Err("not an access token from this resource's authorization server");
        }
        if !jws
            .audiences()
            .is_some_and(|a| a.contains(&s.urls.resource.as_str()))
        {
            return Err("token audience does not include this resource");
        }
    } else if !(s.faults.has(Fault::RsAcceptsGrant)
        && keys::verify_es256(&s.as_a_key, input, &jws.signature))
    {
        return Err("token signature invalid");
    }
    match jws.claim_time("exp") {
        Some(Ok(exp)) if exp > now => Ok(jws),
        _ => Err("token expired"),
    }
}

async fn protected(State(s): State<Arc<Rs>>, req: Request) -> Response {
    let now = now();
    let (parts, _body) = req.into_parts();
    let authz: Vec<_> = parts
        .headers
        .get_all(header::AUTHORIZATION)
        .iter()
        .collect();
    let query_token = || {
        crate::form::parse_query(parts.uri.query())
            .ok()
            .and_then(|f| f.get("access_token").map(str::to_owned))
    };
    let (scheme, token) = match authz.as_slice() {
        [] => match query_token().filter(|_| s.faults.has(Fault::RsAcceptsQueryToken)) {
            Some(t) => ("Bearer".to_owned(), t),
            None => return unauthorized(&s, "Bearer", None),
        },
        [one] => {
            let text = one.to_str().unwrap_or("");
            match text.split_once(' ') {
                Some((sch, _))
                    if sch != "Bearer"
                        && sch.eq_ignore_ascii_case("bearer")
                        && s.faults.has(Fault::RsBearerSchemeCaseSensitive) =>
                {
                    return unauthorized(
                        &s,
                        "Bearer",
                        Some(("invalid_request", "unsupported Authorization header")),
                    );
                }
                Some((sch, tok)) if sch.eq_ignore_ascii_case("bearer") => {
                    ("Bearer".to_owned(), tok.trim().to_owned())
                }
                Some((sch, tok)) if sch.eq_ignore_ascii_case("dpop") => {
                    ("DPoP".to_owned(), tok.trim().to_owned())
                }
                _ => {
                    return unauthorized(
                        &s,
                        "Bearer",
                        Some(("invalid_request", "unsupported Authorization header")),
                    );
                }
            }
        }
        _ => {
            return unauthorized(
                &s,
                "Bearer",
                Some(("invalid_request", "more than one Authorization header")),
            );
        }
    };
    let claims = match s.opaque.active(&token, now) {
        Some(c) => {
            let aud_ok = match c.get("aud") {
                Some(serde_json::Value::String(a)) => *a == s.urls.resource,
                Some(serde_json::Value::Array(a)) => a.iter().any(|x| *x == *s.urls.resource),
                _ => false,
            };
            if !aud_ok {
                return unauthorized(
                    &s,
                    &scheme,
                    Some((
                        "invalid_token",
                        "token audience does not include this resource",
                    )),
                );
            }
            c
        }
        None => match validate(&s, &token, now) {
            Ok(j) => j.claims,
            Err(why) => return unauthorized(&s, &scheme, Some(("invalid_token", why))),
        },
    };
    let bound = claims
        .get("cnf")
        .and_then(|c| c.get("jkt"))
        .and_then(|v| v.as_str());
    match (bound, scheme.as_str()) {
        (Some(_), "Bearer") if s.faults.has(Fault::RsAcceptsBoundTokenAsBearer) => {}
        (Some(_), "Bearer") => {
            return unauthorized(
                &s,
                "DPoP",
                Some(("invalid_token", "DPoP-bound token presented as Bearer")),
            );
        }
        (Some(jkt), _) => {
            let ath = dpop::ath(&token);
            let htu = s.urls.resource.clone();
            let expect = dpop::Expect {
                htm: parts.method.as_str(),
                htu: &htu,
                ath: (!s.faults.has(Fault::RsSkipsAth)).then_some(ath.as_str()),
                now,
                check_replay: true,
            };
            match dpop::check(&parts.headers, &expect, &s.dpop_replay) {
                Ok(Some(p)) if p.jkt == jkt => {}
                Ok(Some(_)) => {
                    return unauthorized(
                        &s,
                        "DPoP",
                        Some(("invalid_token", "DPoP proof key does not match the token")),
                    );
                }
                Ok(None) => {
                    return unauthorized(&s, "DPoP", Some(("invalid_token", "DPoP proof missing")));
                }
                Err(e) => {
                    return unauthorized(
                        &s,
                        "DPoP",
                        Some((
                            "invalid_dpop_proof",
                            &crate::error::sanitize_description(&e),
                        )),
                    );
                }
            }
        }
        (None, "DPoP") => {
            return unauthorized(
                &s,
                "DPoP",
                Some(("invalid_token", "token is not DPoP-bound")),
            );
        }
        (None, _) => {}
    }
    axum::Json(json!({
        "sub": claims.get("sub"),
        "scope": claims.get("scope"),
        "client_id": claims.get("client_id"),
    }))
    .into_response()
}

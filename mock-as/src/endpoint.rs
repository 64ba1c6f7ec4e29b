//! What both token endpoints share: request intake (RFC 6749 §3.2), success responses
//! (RFC 6749 §5.1) and scope arithmetic (RFC 6749 §3.3).

use crate::error::{ErrorStyle, OAuthError};
use crate::fault::{Fault, FaultSet};
use crate::form::{self, Form};
use crate::variant::Variant;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use std::collections::BTreeSet;

/// How errors are rendered under the active faults.
pub fn error_style(faults: &FaultSet) -> ErrorStyle {
    ErrorStyle {
        server_error_on_malformed: faults.has(Fault::ServerErrorOnMalformed),
        bad_description_chars: faults.has(Fault::ErrorDescriptionBadChars),
        no_www_authenticate: faults.has(Fault::InvalidClientNoChallenge),
        invalid_client_400_after_basic: faults.has(Fault::InvalidClient400AfterBasic),
        no_description: faults.variant(Variant::NoErrorDescription),
        invalid_client_400_without_header: faults.variant(Variant::InvalidClient400WithoutHeader),
    }
}

/// The headers DPoP checks see: none when the server does not support DPoP (variant
/// `no-dpop`: a `DPoP` header is then an unknown header, ignored). `empty` is an empty map.
pub fn dpop_headers<'h>(
    faults: &FaultSet,
    headers: &'h HeaderMap,
    empty: &'h HeaderMap,
) -> &'h HeaderMap {
    if faults.variant(Variant::NoDpop) {
        empty
    } else {
        headers
    }
}

/// Method, size, media type and form checks. Returns the headers and the parameters.
/// `json_body` (only AS-A's `exchange-accepts-json-body` fault) also takes a JSON object body.
pub async fn intake(
    req: Request,
    faults: &FaultSet,
    json_body: bool,
) -> Result<(HeaderMap, Form), OAuthError> {
    let (parts, body) = req.into_parts();
    if parts.method == Method::GET && faults.has(Fault::TokenEndpointAcceptsGet) {
        return Ok((parts.headers, form::parse_query(parts.uri.query())?));
    }
    if parts.method != Method::POST && !faults.has(Fault::TokenEndpointIgnoresMethod) {
        return Err(OAuthError::method_not_allowed());
    }
    let bytes = form::read_body(body).await?;
    if json_body && form::is_json(&parts.headers) {
        return Ok((parts.headers, form::from_json(&bytes)?));
    }
    form::check_content_type(&parts.headers)?;
    let form = form::parse(&bytes, faults.has(Fault::AcceptDuplicateParams))?;
    Ok((parts.headers, form))
}

/// A 200 token response with the RFC 6749 §5.1 cache headers (unless a fault drops them).
pub fn token_response(body: Value, faults: &FaultSet) -> Response {
    let mut resp = axum::Json(body).into_response();
    let h = resp.headers_mut();
    if faults.has(Fault::TokenResponseTextPlain) {
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    }
    if !faults.has(Fault::NoCacheControl) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if !faults.variant(Variant::NoPragma) {
        h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    }
    resp
}

/// A space-delimited scope string as a set (RFC 6749 §3.3).
pub fn scopes(text: &str) -> BTreeSet<String> {
    text.split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

pub fn join(set: &BTreeSet<String>) -> String {
    set.iter().cloned().collect::<Vec<_>>().join(" ")
}

/// Grant type URIs.
pub const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
pub const TT_JWT: &str = "urn:ietf:params:oauth:token-type:jwt";
pub const TT_ACCESS_TOKEN: &str = "urn:ietf:params:oauth:token-type:access_token";

/// The grant type, or the right error when it is absent or unknown.
pub fn grant_type<'f>(
    form: &'f Form,
    supported: &[&str],
    faults: &FaultSet,
) -> Result<&'f str, OAuthError> {
    let gt = form.require("grant_type")?;
    if supported.contains(&gt) {
        Ok(gt)
    } else if faults.has(Fault::UnknownGrantTypeInvalidRequest) {
        Err(OAuthError::invalid_request("grant type not supported"))
    } else {
        Err(OAuthError::unsupported_grant_type(
            "grant type not supported here",
        ))
    }
}

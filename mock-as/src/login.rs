//! AS-A's authorization endpoint for test users, on only with `login_without_page`: RFC 6749
//! §4.1 authorization codes with PKCE (RFC 7636, `S256` required) to loopback redirect URIs
//! (RFC 8252 §7.3, any port), the user chosen by OpenID Connect `login_hint` instead of a login
//! page; and the refresh tokens (RFC 6749 §6, rotated on use) issued with the codes' tokens.
//! It lets a harness test its authorization-code and refresh-token subject-token sources.

use crate::error::OAuthError;
use crate::form::Form;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use sha2::{Digest, Sha256};
use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

/// How long a code may wait for redemption (RFC 6749 §4.1.2: short, 10 minutes at most).
pub const CODE_LIFETIME_SECS: i64 = 60;

/// A code or refresh token's grant: who, for which client, with what scope.
#[derive(Debug, Clone)]
pub struct Granted {
    pub client_id: String,
    pub sub: String,
    pub scope: BTreeSet<String>,
}

#[derive(Debug)]
struct Pending {
    granted: Granted,
    redirect_uri: String,
    challenge: String,
    exp: i64,
}

/// Codes and refresh tokens AS-A has issued and not yet seen redeemed.
#[derive(Debug, Default)]
pub struct LoginState {
    codes: Mutex<HashMap<String, Pending>>,
    refresh: Mutex<HashMap<String, Granted>>,
}

/// A loopback redirect URI (RFC 8252 §7.3): http, a loopback host, any port.
pub fn is_loopback_redirect(uri: &str) -> bool {
    url::Url::parse(uri).is_ok_and(|u| {
        u.scheme() == "http"
            && matches!(
                u.host_str(),
                Some("127.0.0.1") | Some("[::1]") | Some("localhost")
            )
            && u.fragment().is_none()
    })
}

fn random() -> String {
    use rand::RngCore;
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// RFC 7636 §4.6: BASE64URL(SHA256(verifier)) == challenge.
pub fn s256_matches(verifier: &str, challenge: &str) -> bool {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
        == challenge
}

fn redirect(to: &url::Url) -> Response {
    let mut r = StatusCode::FOUND.into_response();
    if let Ok(v) = HeaderValue::from_str(to.as_str()) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

fn bad_request(text: &str) -> Response {
    (StatusCode::BAD_REQUEST, text.to_string()).into_response()
}

/// (login_hint, client_id) → the user's `sub` and the scopes they may grant that client.
pub type UserLookup<'a> = dyn Fn(&str, &str) -> Option<(String, BTreeSet<String>)> + 'a;

/// What the authorization endpoint needs to decide.
pub struct AuthorizeContext<'a> {
    pub issuer: &'a str,
    /// Known client ids.
    pub client_exists: &'a dyn Fn(&str) -> bool,
    /// The user named by `login_hint`, and the scopes that user may grant this client.
    pub user: &'a UserLookup<'a>,
    pub now: i64,
}

impl LoginState {
    /// GET /authorize: answer with a redirect carrying a code (or an RFC 6749 §4.1.2.1 error),
    /// or with a 400 page when the redirect URI itself cannot be trusted.
    pub fn authorize(&self, q: &HashMap<String, String>, cx: &AuthorizeContext<'_>) -> Response {
        let get = |k: &str| q.get(k).map(String::as_str);
        let Some(client_id) = get("client_id").filter(|c| (cx.client_exists)(c)) else {
            return bad_request("unknown client_id");
        };
        let Some(redirect_uri) = get("redirect_uri").filter(|u| is_loopback_redirect(u)) else {
            return bad_request("redirect_uri must be a loopback http URI (RFC 8252 §7.3)");
        };
        let mut to = url::Url::parse(redirect_uri).expect("checked");
        let error = |to: &mut url::Url, code: &str, desc: &str| {
            {
                let mut p = to.query_pairs_mut();
                p.append_pair("error", code)
                    .append_pair("error_description", desc);
                if let Some(s) = get("state") {
                    p.append_pair("state", s);
                }
            }
            redirect(to)
        };
        if get("response_type") != Some("code") {
            return error(&mut to, "unsupported_response_type", "only code");
        }
        let challenge = match (get("code_challenge"), get("code_challenge_method")) {
            (Some(c), Some("S256")) if c.len() >= 43 => c.to_string(),
            _ => {
                return error(
                    &mut to,
                    "invalid_request",
                    "PKCE with code_challenge_method S256 is required",
                );
            }
        };
        let Some((sub, allowed)) = get("login_hint").and_then(|h| (cx.user)(h, client_id)) else {
            return error(
                &mut to,
                "login_required",
                "this server logs in only a test user named by login_hint",
            );
        };
        let scope: BTreeSet<String> = match get("scope") {
            None => allowed,
            Some(s) => {
                let asked = crate::endpoint::scopes(s);
                if !asked.is_subset(&allowed) {
                    return error(&mut to, "invalid_scope", "scope exceeds the user's");
                }
                asked
            }
        };
        let code = random();
        self.codes.lock().expect("codes lock").insert(
            code.clone(),
            Pending {
                granted: Granted {
                    client_id: client_id.to_string(),
                    sub,
                    scope,
                },
                redirect_uri: redirect_uri.to_string(),
                challenge,
                exp: cx.now + CODE_LIFETIME_SECS,
            },
        );
        {
            let mut p = to.query_pairs_mut();
            p.append_pair("code", &code);
            if let Some(s) = get("state") {
                p.append_pair("state", s);
            }
            // RFC 9207 §2: the issuer of the response.
            p.append_pair("iss", cx.issuer);
        }
        redirect(&to)
    }

    /// `grant_type=authorization_code`: single use, same client and redirect URI, PKCE.
    pub fn redeem_code(
        &self,
        form: &Form,
        client_id: &str,
        now: i64,
    ) -> Result<Granted, OAuthError> {
        let code = form.require("code")?;
        let pending = self
            .codes
            .lock()
            .expect("codes lock")
            .remove(code)
            .ok_or_else(|| OAuthError::invalid_grant("unknown or used authorization code"))?;
        if pending.exp < now {
            return Err(OAuthError::invalid_grant("authorization code expired"));
        }
        if pending.granted.client_id != client_id {
            return Err(OAuthError::invalid_grant(
                "authorization code issued to another client",
            ));
        }
        if form.get("redirect_uri") != Some(pending.redirect_uri.as_str()) {
            return Err(OAuthError::invalid_grant("redirect_uri differs"));
        }
        let verifier = form.require("code_verifier")?;
        if !s256_matches(verifier, &pending.challenge) {
            return Err(OAuthError::invalid_grant("PKCE verification failed"));
        }
        Ok(pending.granted)
    }

    /// A new refresh token for `granted`.
    pub fn issue_refresh(&self, granted: Granted) -> String {
        let t = random();
        self.refresh
            .lock()
            .expect("refresh lock")
            .insert(t.clone(), granted);
        t
    }

    /// `grant_type=refresh_token`: the token is consumed (rotation); scope may only narrow.
    pub fn redeem_refresh(&self, form: &Form, client_id: &str) -> Result<Granted, OAuthError> {
        let token = form.require("refresh_token")?;
        let mut map = self.refresh.lock().expect("refresh lock");
        match map.get(token) {
            Some(g) if g.client_id == client_id => {}
            Some(_) => {
                return Err(OAuthError::invalid_grant(
                    "refresh token issued to another client",
                ));
            }
            None => return Err(OAuthError::invalid_grant("unknown or used refresh token")),
        }
        let mut g = map.remove(token).expect("present");
        if let Some(s) = form.get("scope") {
            let asked = crate::endpoint::scopes(s);
            if !asked.is_subset(&g.scope) {
                return Err(OAuthError::invalid_scope(
                    "scope exceeds the original grant",
                ));
            }
            g.scope = asked;
        }
        Ok(g)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_redirects_only() {
        assert!(is_loopback_redirect("http://127.0.0.1:51234/callback"));
        assert!(is_loopback_redirect("http://[::1]:8080/cb"));
        assert!(!is_loopback_redirect("https://127.0.0.1/cb"));
        assert!(!is_loopback_redirect("http://evil.example/cb"));
    }
}

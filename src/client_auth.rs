//! A client's credentials at an authorization server, and how a token request carries them:
//! RFC 6749 §2.3.1 (client_secret_basic with form-urlencoded id and secret, client_secret_post)
//! and RFC 7523 §2.2 client assertions (private_key_jwt).

use crate::http::unix_now;
use crate::jose::{self, SignWith};
use crate::suite::AuthMethod;
use p256::ecdsa::SigningKey;
use serde_json::json;

#[derive(Debug, Clone)]
pub struct Client {
    pub id: String,
    pub secret: Option<String>,
    pub auth: AuthMethod,
    /// Signing key for private_key_jwt.
    pub key: Option<SigningKey>,
}

impl Client {
    /// A client authenticating with client_secret_basic.
    pub fn basic(id: &str, secret: &str) -> Client {
        Client {
            id: id.to_string(),
            secret: Some(secret.to_string()),
            auth: AuthMethod::Basic,
            key: None,
        }
    }
}

pub fn encode_form(form: &[(String, String)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form.iter())
        .finish()
}

/// RFC 6749 §2.3.1: Basic with form-urlencoded id and secret, or both in the body; or an
/// RFC 7523 §2.2 client assertion (`aud` = the AS issuer, as draft-ietf-oauth-rfc7523bis asks).
pub fn apply_client_auth(
    form: &mut Vec<(String, String)>,
    headers: &mut Vec<(String, String)>,
    client: Option<&Client>,
    method: AuthMethod,
    aud: &str,
) {
    let Some(c) = client else { return };
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    match (&c.secret, &c.key, method) {
        (_, Some(key), AuthMethod::PrivateKeyJwt) => {
            form.push(("client_id".into(), c.id.clone()));
            form.push(("client_assertion_type".into(), CLIENT_ASSERTION_TYPE.into()));
            form.push(("client_assertion".into(), client_assertion(key, &c.id, aud)));
        }
        (Some(secret), _, AuthMethod::Basic) => {
            use base64::Engine;
            let cred = base64::engine::general_purpose::STANDARD.encode(format!(
                "{}:{}",
                enc(&c.id),
                enc(secret)
            ));
            headers.push(("Authorization".into(), format!("Basic {cred}")));
        }
        (Some(secret), _, AuthMethod::Post) => {
            form.push(("client_id".into(), c.id.clone()));
            form.push(("client_secret".into(), secret.clone()));
        }
        _ => form.push(("client_id".into(), c.id.clone())),
    }
}

pub const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// An RFC 7523 §3 client-authentication JWT, typed `client-authentication+jwt` (7523bis).
pub fn client_assertion(key: &SigningKey, client_id: &str, aud: &str) -> String {
    let now = unix_now();
    let jwk = jose::public_jwk(key.verifying_key());
    let header = json!({ "alg": "ES256", "typ": "client-authentication+jwt", "kid": jose::thumbprint(&jwk) });
    let claims = json!({
        "iss": client_id,
        "sub": client_id,
        "aud": aud,
        "jti": uuid::Uuid::new_v4().to_string(),
        "iat": now,
        "exp": now + 60,
    });
    jose::sign(&header, &claims, SignWith::Es256(key))
}

//! OAuth 2.0 wire vocabulary shared by the runner and the fuzzer: grant-type and token-type
//! URNs (RFC 8693 §3, RFC 7523 §2.1) and `client_secret_basic` encoding (RFC 6749 §2.3.1).
//! One copy, so the two request builders cannot drift apart.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// RFC 8693 §2.1 grant type.
pub const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
/// RFC 7523 §2.1 grant type.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// RFC 7523 §2.2 client assertion type.
pub const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// RFC 8693 §3 token types.
pub const TT_ACCESS_TOKEN: &str = "urn:ietf:params:oauth:token-type:access_token";
pub const TT_JWT: &str = "urn:ietf:params:oauth:token-type:jwt";

/// The `Authorization` header value for `client_secret_basic`: id and secret each
/// form-urlencoded, then joined by `:` and base64-encoded (RFC 6749 §2.3.1).
pub fn basic_authorization(id: &str, secret: &str) -> String {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!(
        "Basic {}",
        STANDARD.encode(format!("{}:{}", enc(id), enc(secret)))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_encodes_id_and_secret_before_base64() {
        // "a b:c" / "p&q" → "a+b%3Ac:p%26q"
        assert_eq!(
            basic_authorization("a b:c", "p&q"),
            format!("Basic {}", STANDARD.encode("a+b%3Ac:p%26q"))
        );
    }
}

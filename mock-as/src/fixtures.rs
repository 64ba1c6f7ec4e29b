//! Test fixtures shipped with the mock: the private key of the `private_key_jwt` client
//! (RFC 7523 §2.2) whose public JWK is in the embedded `mock.toml`.

/// PKCS#8 PEM of the default `jwt-client` key (`fixtures/keys/jwt-client.pem`). A test key:
/// never trust it anywhere but the mock.
pub const JWT_CLIENT_KEY_PEM: &str = include_str!("../../fixtures/keys/jwt-client.pem");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_matches_the_configured_jwk() {
        let key = crate::keys::EsKey::from_pkcs8_pem(JWT_CLIENT_KEY_PEM).unwrap();
        let cfg = crate::MockConfig::default();
        let client = cfg
            .as_a
            .clients
            .iter()
            .find(|c| c.id == "jwt-client")
            .unwrap();
        let jwk = client.jwk.as_ref().unwrap();
        assert_eq!(crate::keys::thumbprint(jwk).unwrap(), key.thumbprint());
    }
}

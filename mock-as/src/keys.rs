//! ES256 (P-256) keys as JWKs and RFC 7638 thumbprints (RFC 7518 §3.4, RFC 7517 §4, RFC 7638 §3).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// Why a JWK or key file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("JWK is not a JSON object")]
    NotObject,
    #[error("JWK member `{0}` is missing or not a string")]
    Member(&'static str),
    #[error("JWK is not an EC P-256 key (kty `{kty}`, crv `{crv}`)")]
    NotP256 { kty: String, crv: String },
    #[error("JWK coordinate `{0}` is not 32 bytes of base64url without padding")]
    Coordinate(&'static str),
    #[error("JWK coordinates are not a point on P-256")]
    NotOnCurve,
    #[error("PKCS#8 PEM private key could not be read: {0}")]
    Pem(String),
}

/// A P-256 signing key with its key ID. The `kid` is the RFC 7638 thumbprint of the public key,
/// so it is stable for a key and distinct across keys.
#[derive(Clone)]
pub struct EsKey {
    signing: SigningKey,
    kid: String,
}

impl std::fmt::Debug for EsKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the private scalar.
        f.debug_struct("EsKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl EsKey {
    /// A fresh random key (OS randomness).
    pub fn generate() -> EsKey {
        EsKey::from_signing(SigningKey::random(&mut rand::rngs::OsRng))
    }

    /// Load a PKCS#8 PEM private key (e.g. `fixtures/keys/jwt-client.pem`).
    pub fn from_pkcs8_pem(pem: &str) -> Result<EsKey, KeyError> {
        use p256::pkcs8::DecodePrivateKey;
        let secret =
            p256::SecretKey::from_pkcs8_pem(pem).map_err(|e| KeyError::Pem(e.to_string()))?;
        Ok(EsKey::from_signing(SigningKey::from(secret)))
    }

    fn from_signing(signing: SigningKey) -> EsKey {
        let mut key = EsKey {
            signing,
            kid: String::new(),
        };
        key.kid = thumbprint(&key.public_jwk_bare()).expect("own key is a valid JWK");
        key
    }

    /// Replace the key ID (tests use this to make a key look like another issuer's).
    pub fn with_kid(mut self, kid: impl Into<String>) -> EsKey {
        self.kid = kid.into();
        self
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn verifying_key(&self) -> VerifyingKey {
        *self.signing.verifying_key()
    }

    /// `{kty, crv, x, y}` only: the members RFC 7638 hashes.
    fn public_jwk_bare(&self) -> Value {
        let point = self.signing.verifying_key().to_encoded_point(false);
        json!({
            "kty": "EC",
            "crv": "P-256",
            "x": B64.encode(point.x().expect("uncompressed point")),
            "y": B64.encode(point.y().expect("uncompressed point")),
        })
    }

    /// The public JWK as published in a JWKS: public members, `kid`, `alg`, `use`.
    pub fn public_jwk(&self) -> Value {
        let mut jwk = self.public_jwk_bare();
        let obj = jwk.as_object_mut().expect("object");
        obj.insert("kid".into(), json!(self.kid));
        obj.insert("alg".into(), json!("ES256"));
        obj.insert("use".into(), json!("sig"));
        jwk
    }

    /// The JWK without `kid`/`alg`/`use`, as embedded in a DPoP proof header.
    pub fn public_jwk_minimal(&self) -> Value {
        self.public_jwk_bare()
    }

    /// The private scalar `d`, base64url. Only the `jwks-leaks-private-key` fault uses this.
    pub fn private_d(&self) -> String {
        B64.encode(self.signing.to_bytes())
    }

    /// RFC 7638 thumbprint of the public key.
    pub fn thumbprint(&self) -> String {
        thumbprint(&self.public_jwk_bare()).expect("own key is a valid JWK")
    }

    /// ES256 signature (raw `r || s`, 64 bytes, RFC 7518 §3.4) over `input`.
    pub fn sign(&self, input: &[u8]) -> Vec<u8> {
        let sig: Signature = self.signing.sign(input);
        sig.to_bytes().to_vec()
    }
}

/// Verify a raw 64-byte ES256 signature.
pub fn verify_es256(key: &VerifyingKey, input: &[u8], signature: &[u8]) -> bool {
    match Signature::from_slice(signature) {
        Ok(sig) => key.verify(input, &sig).is_ok(),
        Err(_) => false,
    }
}

fn str_member<'a>(
    obj: &'a serde_json::Map<String, Value>,
    name: &'static str,
) -> Result<&'a str, KeyError> {
    obj.get(name)
        .and_then(Value::as_str)
        .ok_or(KeyError::Member(name))
}

fn coordinate(
    obj: &serde_json::Map<String, Value>,
    name: &'static str,
) -> Result<[u8; 32], KeyError> {
    let text = str_member(obj, name)?;
    let bytes = B64.decode(text).map_err(|_| KeyError::Coordinate(name))?;
    bytes.try_into().map_err(|_| KeyError::Coordinate(name))
}

/// The P-256 public key a JWK describes (private members are ignored here; callers that must
/// refuse them check for `d` themselves).
pub fn verifying_key_from_jwk(jwk: &Value) -> Result<VerifyingKey, KeyError> {
    let obj = jwk.as_object().ok_or(KeyError::NotObject)?;
    let kty = str_member(obj, "kty")?;
    let crv = str_member(obj, "crv")?;
    if kty != "EC" || crv != "P-256" {
        return Err(KeyError::NotP256 {
            kty: kty.into(),
            crv: crv.into(),
        });
    }
    let x = coordinate(obj, "x")?;
    let y = coordinate(obj, "y")?;
    let point = p256::EncodedPoint::from_affine_coordinates(&x.into(), &y.into(), false);
    VerifyingKey::from_encoded_point(&point).map_err(|_| KeyError::NotOnCurve)
}

/// RFC 7638 §3 thumbprint of an EC JWK: SHA-256 over `{"crv","kty","x","y"}` in lexicographic
/// order without whitespace, base64url without padding.
pub fn thumbprint(jwk: &Value) -> Result<String, KeyError> {
    verifying_key_from_jwk(jwk)?;
    let obj = jwk.as_object().ok_or(KeyError::NotObject)?;
    let canonical = format!(
        r#"{{"crv":"{}","kty":"{}","x":"{}","y":"{}"}}"#,
        str_member(obj, "crv")?,
        str_member(obj, "kty")?,
        str_member(obj, "x")?,
        str_member(obj, "y")?
    );
    Ok(B64.encode(Sha256::digest(canonical.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc9449_example_thumbprint() {
        // Catalogue §12 vector 3.
        let jwk = json!({"kty":"EC","crv":"P-256",
            "x":"l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs",
            "y":"9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA"});
        assert_eq!(
            thumbprint(&jwk).unwrap(),
            "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
        );
    }

    #[test]
    fn sign_verify_roundtrip_and_jwk_has_no_private_part() {
        let key = EsKey::generate();
        let sig = key.sign(b"abc");
        let vk = verifying_key_from_jwk(&key.public_jwk()).unwrap();
        assert!(verify_es256(&vk, b"abc", &sig));
        assert!(!verify_es256(&vk, b"abd", &sig));
        assert!(key.public_jwk().get("d").is_none());
        assert!(!format!("{key:?}").contains(&key.private_d()));
    }

    #[test]
    fn rejects_non_p256() {
        assert!(
            verifying_key_from_jwk(&json!({"kty":"RSA","crv":"P-256","x":"a","y":"b"})).is_err()
        );
        assert!(
            verifying_key_from_jwk(&json!({"kty":"EC","crv":"P-256","x":"AA","y":"AA"})).is_err()
        );
    }
}

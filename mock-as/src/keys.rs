//! ES256 (P-256) keys as JWKs and RFC 7638 thumbprints (RFC 7518 §3.4, RFC 7517 §4, RFC 7638 §3),
//! and every signature and verification the mock makes.
//!
//! Signing and verifying go through aws-lc-rs, the optimised library rustls already brings in:
//! the pure-Rust p256 crate did 3.3k sign+verify pairs per second per core here, a fraction of
//! what the machine's ECDSA does, and the mock's throughput is bound by it. p256 stays for what
//! aws-lc-rs does not offer directly: PKCS#8 PEM import and SPKI PEM export, and the JWK
//! coordinates of a generated key.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair,
    ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use p256::ecdsa::SigningKey;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::sync::Arc;

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
    /// The private scalar, for PEM import and the JWK's coordinates.
    signing: SigningKey,
    /// The same key in aws-lc-rs, which makes every signature.
    pair: Arc<EcdsaKeyPair>,
    public: PublicKey,
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
        let point = signing.verifying_key().to_encoded_point(false);
        let pair = EcdsaKeyPair::from_private_key_and_public_key(
            &ECDSA_P256_SHA256_FIXED_SIGNING,
            &signing.to_bytes(),
            point.as_bytes(),
        )
        .expect("a p256 key is a valid P-256 key pair");
        let public = PublicKey::p256(pair.public_key().as_ref()).expect("own public key");
        let mut key = EsKey {
            signing,
            pair: Arc::new(pair),
            public,
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

    pub fn verifying_key(&self) -> PublicKey {
        self.public.clone()
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
        self.pair
            .sign(&SystemRandom::new(), input)
            .expect("ECDSA signing does not fail with a valid key")
            .as_ref()
            .to_vec()
    }
}

/// What the mock's token signing needs from a key: the JWS `alg` it signs with, its `kid`, and
/// a signature over the signing input. P-256 (ES256) and RSA (RS256) keys implement it.
pub trait JwsKey {
    fn alg(&self) -> &'static str;
    fn key_id(&self) -> &str;
    fn sign_input(&self, input: &[u8]) -> Vec<u8>;
}

impl JwsKey for EsKey {
    fn alg(&self) -> &'static str {
        "ES256"
    }
    fn key_id(&self) -> &str {
        self.kid()
    }
    fn sign_input(&self, input: &[u8]) -> Vec<u8> {
        self.sign(input)
    }
}

/// An RSA 2048 signing key for RS256 (RFC 7518 §3.3: RSASSA-PKCS1-v1_5 with SHA-256, keys of
/// 2048 bits or more), in aws-lc-rs like the P-256 keys. Its `kid` is the RFC 7638 thumbprint.
#[derive(Clone)]
pub struct RsKey {
    pair: Arc<aws_lc_rs::signature::RsaKeyPair>,
    n: Vec<u8>,
    e: Vec<u8>,
    kid: String,
}

impl std::fmt::Debug for RsKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RsKey")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl RsKey {
    /// A fresh RSA 2048 key (aws-lc-rs key generation, a few hundred milliseconds).
    pub fn generate() -> RsKey {
        let pair = aws_lc_rs::signature::RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
            .expect("RSA 2048 key generation");
        let (n, e) =
            pkcs1_public_components(pair.public_key().as_ref()).expect("own PKCS#1 public key");
        let canonical = format!(
            r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
            B64.encode(&e),
            B64.encode(&n)
        );
        let kid = B64.encode(Sha256::digest(canonical.as_bytes()));
        RsKey {
            pair: Arc::new(pair),
            n,
            e,
            kid,
        }
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public JWK as published in a JWKS: `kty`, `n`, `e`, `kid`, `alg`, `use`.
    pub fn public_jwk(&self) -> Value {
        json!({
            "kty": "RSA",
            "n": B64.encode(&self.n),
            "e": B64.encode(&self.e),
            "kid": self.kid,
            "alg": "RS256",
            "use": "sig",
        })
    }

    pub fn verifying_key(&self) -> PublicKey {
        public_key_from_jwk(&self.public_jwk()).expect("own RSA key")
    }
}

impl JwsKey for RsKey {
    fn alg(&self) -> &'static str {
        "RS256"
    }
    fn key_id(&self) -> &str {
        &self.kid
    }
    fn sign_input(&self, input: &[u8]) -> Vec<u8> {
        let mut sig = vec![0; self.pair.public_modulus_len()];
        self.pair
            .sign(
                &aws_lc_rs::signature::RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                input,
                &mut sig,
            )
            .expect("RSA signing does not fail with a valid key");
        sig
    }
}

/// `n` and `e` of a DER RSAPublicKey (RFC 8017 §A.1.1: SEQUENCE of two INTEGERs), leading
/// zero bytes removed. aws-lc-rs exposes them directly only behind its `ring-io` feature.
fn pkcs1_public_components(der: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    fn tlv(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
        let (&t, rest) = input.split_first()?;
        if t != tag {
            return None;
        }
        let (&first, rest) = rest.split_first()?;
        let (len, rest) = if first < 0x80 {
            (first as usize, rest)
        } else {
            let n = (first & 0x7f) as usize;
            if n == 0 || n > 4 || rest.len() < n {
                return None;
            }
            let len = rest[..n].iter().fold(0usize, |a, b| (a << 8) | *b as usize);
            (len, &rest[n..])
        };
        (rest.len() >= len).then(|| rest.split_at(len))
    }
    let strip = |b: &[u8]| {
        b.iter()
            .skip_while(|x| **x == 0)
            .copied()
            .collect::<Vec<u8>>()
    };
    let (seq, _) = tlv(der, 0x30)?;
    let (n, rest) = tlv(seq, 0x02)?;
    let (e, _) = tlv(rest, 0x02)?;
    Some((strip(n), strip(e)))
}

/// A public key parsed once, ready to verify many signatures: P-256 (ES256) or RSA (RS256).
#[derive(Clone)]
pub struct PublicKey {
    parsed: Arc<ParsedPublicKey>,
    alg: &'static str,
    /// P-256: the uncompressed SEC1 point; RSA: empty.
    sec1: Arc<[u8]>,
}

impl std::fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PublicKey").field("alg", &self.alg).finish()
    }
}

impl PublicKey {
    /// A P-256 key from its uncompressed SEC1 point (`04 || x || y`); refused off the curve.
    fn p256(sec1: &[u8]) -> Result<PublicKey, KeyError> {
        let parsed = ParsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, sec1)
            .map_err(|_| KeyError::NotOnCurve)?;
        Ok(PublicKey {
            parsed: Arc::new(parsed),
            alg: "ES256",
            sec1: sec1.into(),
        })
    }

    /// The JWS `alg` this key verifies (`ES256` or `RS256`).
    pub fn alg(&self) -> &'static str {
        self.alg
    }

    /// The uncompressed SEC1 point of a P-256 key (empty for RSA).
    pub fn sec1(&self) -> &[u8] {
        &self.sec1
    }

    /// SPKI PEM of a P-256 key (the `accept-hmac-confusion` fault tries it as an HMAC secret).
    pub fn to_public_key_pem(&self) -> Option<String> {
        use p256::pkcs8::EncodePublicKey;
        p256::PublicKey::from_sec1_bytes(&self.sec1)
            .ok()?
            .to_public_key_pem(p256::pkcs8::LineEnding::LF)
            .ok()
    }

    /// Whether `signature` over `input` verifies under `alg` with this key. An `alg` other than
    /// the key's own is refused (RFC 8725 §3.1: the key decides the algorithm).
    pub fn verify(&self, alg: &str, input: &[u8], signature: &[u8]) -> bool {
        alg == self.alg && self.parsed.verify_sig(input, signature).is_ok()
    }
}

/// Verify a raw 64-byte ES256 signature.
pub fn verify_es256(key: &PublicKey, input: &[u8], signature: &[u8]) -> bool {
    key.verify("ES256", input, signature)
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
pub fn verifying_key_from_jwk(jwk: &Value) -> Result<PublicKey, KeyError> {
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
    let mut sec1 = Vec::with_capacity(65);
    sec1.push(4);
    sec1.extend_from_slice(&x);
    sec1.extend_from_slice(&y);
    PublicKey::p256(&sec1)
}

/// The public key of an EC P-256 or RSA JWK, for RS256 as well as ES256 signatures. RSA
/// moduli of 2048 to 8192 bits are accepted (RFC 7518 §3.3: at least 2048).
pub fn public_key_from_jwk(jwk: &Value) -> Result<PublicKey, KeyError> {
    let obj = jwk.as_object().ok_or(KeyError::NotObject)?;
    if str_member(obj, "kty")? != "RSA" {
        return verifying_key_from_jwk(jwk);
    }
    let part = |name: &'static str| {
        B64.decode(str_member(obj, name)?)
            .map_err(|_| KeyError::Coordinate(name))
    };
    let (n, e) = (part("n")?, part("e")?);
    let parsed = RsaPublicKeyComponents { n: &n, e: &e }
        .to_parsed_public_key(&RSA_PKCS1_2048_8192_SHA256)
        .map_err(|_| KeyError::Coordinate("n"))?;
    Ok(PublicKey {
        parsed: Arc::new(parsed),
        alg: "RS256",
        sec1: Arc::from(&[][..]),
    })
}

/// The P-256 public key of a DER X.509 certificate (its SubjectPublicKeyInfo), with no check
/// of the certificate itself: only the `trust-x5c` and `follow-x5u` faults use this.
pub fn public_key_from_certificate(der: &[u8]) -> Result<PublicKey, KeyError> {
    use x509_cert::der::Decode;
    let cert = x509_cert::Certificate::from_der(der).map_err(|e| KeyError::Pem(e.to_string()))?;
    let point = cert
        .tbs_certificate
        .subject_public_key_info
        .subject_public_key
        .raw_bytes();
    PublicKey::p256(point)
}

/// The DER bytes of the first `CERTIFICATE` block of a PEM text (RFC 7468 §5).
pub fn first_pem_certificate(pem: &str) -> Option<Vec<u8>> {
    let start = pem.find("-----BEGIN CERTIFICATE-----")? + "-----BEGIN CERTIFICATE-----".len();
    let end = start + pem[start..].find("-----END CERTIFICATE-----")?;
    let b64: String = pem[start..end].split_whitespace().collect();
    base64::engine::general_purpose::STANDARD.decode(b64).ok()
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

/// The public JWK of a 1024-bit RSA key, for the `ena-*-jwks-weak-rsa-key` faults: published as
/// a legacy key beside the real ones and never used to sign, so a random odd modulus with its
/// top bit set is as good as a real one to anyone who reads the JWKS.
pub fn weak_rsa_public_jwk() -> Value {
    use rand::RngCore as _;
    let mut n = [0u8; 128];
    rand::rngs::OsRng.fill_bytes(&mut n);
    n[0] |= 0x80;
    n[127] |= 1;
    json!({"kty": "RSA", "kid": "legacy-rsa-1024", "use": "sig", "alg": "RS256",
           "n": B64.encode(n), "e": "AQAB"})
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
    fn rsa_jwk_verifies_rs256_only() {
        let v: Value =
            serde_json::from_str(include_str!("../../fixtures/keys/rs256-example.json")).unwrap();
        let jws = crate::jose::parse(v["token"].as_str().unwrap()).unwrap();
        let key = public_key_from_jwk(&v["jwk"]).unwrap();
        assert_eq!(key.alg(), "RS256");
        let input = jws.signing_input.as_bytes();
        assert!(key.verify("RS256", input, &jws.signature));
        assert!(!key.verify("ES256", input, &jws.signature));
        assert!(!key.verify("RS256", b"other", &jws.signature));
        assert!(
            verifying_key_from_jwk(&v["jwk"]).is_err(),
            "ES256 callers get P-256 only"
        );
    }

    #[test]
    fn rsa_key_signs_rs256_its_jwk_verifies() {
        let key = RsKey::generate();
        let jwk = key.public_jwk();
        assert_eq!(jwk["kty"], "RSA");
        assert_eq!(B64.decode(jwk["n"].as_str().unwrap()).unwrap().len(), 256);
        assert_eq!(jwk["e"], "AQAB");
        let sig = key.sign_input(b"abc");
        let public = public_key_from_jwk(&jwk).unwrap();
        assert!(public.verify("RS256", b"abc", &sig));
        assert!(!public.verify("RS256", b"abd", &sig));
        assert!(jwk.get("d").is_none() && !format!("{key:?}").contains("AQAB"));
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

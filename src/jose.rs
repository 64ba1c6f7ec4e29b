//! Small hand-written JOSE (RFC 7515 compact JWS): decoding without trust, building tokens
//! on purpose — including malformed ones that jsonwebtoken refuses to make — ES256 (P-256)
//! and HS256 signing, `alg: none`, ES256 and RS256 verification against a JWKS, and RFC 7638
//! thumbprints.
//!
//! Every real signature and verification goes through aws-lc-rs (the optimised library rustls
//! already brings in); p256 remains the harness's key type, for PEM files and JWK coordinates.
//! Assembling tokens stays by hand, since forging invalid ones is the point.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair,
    RSA_PKCS1_2048_8192_SHA256, RsaPublicKeyComponents, UnparsedPublicKey,
};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use p256::ecdsa::{SigningKey, VerifyingKey};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn unb64(s: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(s.trim_end_matches('=')).ok()
}

/// One base64url segment (padding tolerated) decoded as JSON: the only JWT segment decoder
/// of the crate (mock-as keeps its own strict one on purpose).
pub fn segment_json(segment: &str) -> Option<Value> {
    serde_json::from_slice(&unb64(segment)?).ok()
}

/// A compact JWS split into parts and decoded (nothing verified).
#[derive(Debug, Clone, PartialEq)]
pub struct Jws {
    pub header: Value,
    pub claims: Value,
    /// Raw parts as received.
    pub parts: Vec<String>,
}

impl Jws {
    /// Decode a compact JWS; `None` unless it has three parts whose first two are base64url JSON objects.
    pub fn decode(token: &str) -> Option<Jws> {
        let parts: Vec<&str> = token.split('.').collect();
        if parts.len() != 3 {
            return None;
        }
        let header = segment_json(parts[0])?;
        let claims = segment_json(parts[1])?;
        if !header.is_object() || !claims.is_object() {
            return None;
        }
        Some(Jws {
            header,
            claims,
            parts: parts.into_iter().map(String::from).collect(),
        })
    }

    pub fn signing_input(&self) -> String {
        format!("{}.{}", self.parts[0], self.parts[1])
    }
}

/// Whether a string looks like a compact JWS worth decoding in transcripts.
pub fn looks_like_jwt(s: &str) -> bool {
    decode_jwt_like(s).is_some()
}

/// The decoded JWS when a string looks like one worth decoding in transcripts (the test of
/// [`looks_like_jwt`], decoding once).
pub fn decode_jwt_like(s: &str) -> Option<Jws> {
    (s.len() > 20 && s.starts_with("eyJ") && s.matches('.').count() == 2)
        .then(|| Jws::decode(s))
        .flatten()
}

/// How to sign a token being built.
pub enum SignWith<'a> {
    Es256(&'a SigningKey),
    Hs256(&'a [u8]),
    /// Empty signature.
    None,
}

/// Assemble `header.claims.signature`; `alg` in the header is left as the caller set it.
pub fn sign(header: &Value, claims: &Value, key: SignWith<'_>) -> String {
    let input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let sig = match key {
        SignWith::Es256(k) => es256(k, &input),
        SignWith::Hs256(secret) => {
            let mut mac =
                Hmac::<Sha256>::new_from_slice(secret).expect("hmac accepts any key length");
            mac.update(input.as_bytes());
            b64(&mac.finalize().into_bytes())
        }
        SignWith::None => String::new(),
    };
    format!("{input}.{sig}")
}

/// Base64url ES256 signature (raw `r || s`, RFC 7518 §3.4) over a signing input as given,
/// so callers can sign header and claims text they wrote byte by byte.
pub fn es256(key: &SigningKey, input: &str) -> String {
    b64(&es256_bytes(key, input.as_bytes()))
}

/// ES256 signature by aws-lc-rs. p256 stays the harness's key type (PEM and JWK handling in
/// one place); the aws-lc-rs key pair built from it is kept per thread for the last few keys,
/// because building one validates the key with a fixed-base multiplication, as costly as the
/// signature itself, and the fuzzer signs a grant for many of its requests with one key.
fn es256_bytes(key: &SigningKey, input: &[u8]) -> Vec<u8> {
    use std::cell::RefCell;
    use std::rc::Rc;
    /// How many key pairs each thread keeps (a run signs with a handful of keys).
    const KEPT: usize = 8;
    thread_local! {
        static PAIRS: RefCell<Vec<(p256::FieldBytes, Rc<EcdsaKeyPair>)>> =
            const { RefCell::new(Vec::new()) };
    }
    let scalar = key.to_bytes();
    let kept = PAIRS.with_borrow(|pairs| {
        pairs
            .iter()
            .find(|(d, _)| *d == scalar)
            .map(|(_, pair)| pair.clone())
    });
    let pair = kept.unwrap_or_else(|| {
        let point = key.verifying_key().to_encoded_point(false);
        let pair = Rc::new(
            EcdsaKeyPair::from_private_key_and_public_key(
                &ECDSA_P256_SHA256_FIXED_SIGNING,
                &scalar,
                point.as_bytes(),
            )
            .expect("a p256 key is a valid P-256 key pair"),
        );
        PAIRS.with_borrow_mut(|pairs| {
            if pairs.len() == KEPT {
                pairs.remove(0);
            }
            pairs.push((scalar, pair.clone()));
        });
        pair
    });
    pair.sign(&SystemRandom::new(), input)
        .expect("ECDSA signing does not fail with a valid key")
        .as_ref()
        .to_vec()
}

/// Flip one base64url character of a part (payload = 1, signature = 2), keeping the rest.
/// The flipped character stays in the alphabet, so the token still parses structurally.
pub fn tamper(token: &str, part: usize) -> String {
    let mut parts: Vec<String> = token.split('.').map(String::from).collect();
    if let Some(p) = parts.get_mut(part) {
        *p = flip_middle(p);
    }
    parts.join(".")
}

/// `s` with its middle byte changed (`A` ↔ `B`, so base64url stays base64url): every bit of a
/// middle character is decoded, unlike the last one's (padding slack). Empty stays empty.
pub fn flip_middle(s: &str) -> String {
    let mut bytes = s.as_bytes().to_vec();
    if let Some(b) = bytes.get_mut(s.len() / 2) {
        *b = if *b == b'A' { b'B' } else { b'A' };
    }
    String::from_utf8(bytes).unwrap_or_default()
}

/// The same ES256 JWS with its signature's `s` replaced by `n - s` (the curve order minus `s`):
/// ECDSA accepts both (r, s) and (r, n - s) for one message, so this is a second, differently
/// encoded token carrying the same header, claims and `jti`, that still verifies wherever high-S
/// signatures are accepted (RFC 7518 §3.4 does not require low S). `None` when the last part
/// is not a 64-byte P-256 signature.
pub fn malleate_es256(token: &str) -> Option<String> {
    let mut parts: Vec<String> = token.split('.').map(String::from).collect();
    if parts.len() != 3 {
        return None;
    }
    let sig = p256::ecdsa::Signature::from_slice(&unb64(&parts[2])?).ok()?;
    let (r, s) = sig.split_scalars();
    let flipped = p256::ecdsa::Signature::from_scalars(r, -s).ok()?;
    parts[2] = b64(&flipped.to_bytes());
    Some(parts.join("."))
}

/// The public JWK (RFC 7517) of a P-256 key.
pub fn public_jwk(key: &VerifyingKey) -> Value {
    let point = key.to_encoded_point(false);
    json!({
        "kty": "EC",
        "crv": "P-256",
        "x": b64(point.x().expect("uncompressed point has x")),
        "y": b64(point.y().expect("uncompressed point has y")),
    })
}

/// RFC 7638 SHA-256 thumbprint of a JWK (EC, RSA, OKP, oct).
pub fn thumbprint(jwk: &Value) -> Option<String> {
    let get = |k: &str| jwk.get(k).and_then(Value::as_str);
    let members: &[&str] = match get("kty")? {
        "EC" => &["crv", "kty", "x", "y"],
        "RSA" => &["e", "kty", "n"],
        "OKP" => &["crv", "kty", "x"],
        "oct" => &["k", "kty"],
        _ => return None,
    };
    let mut canonical = Map::new();
    for m in members {
        canonical.insert((*m).to_string(), Value::String(get(m)?.to_string()));
    }
    // serde_json's Map is ordered by key (no preserve_order), giving lexicographic order.
    let text = Value::Object(canonical).to_string();
    Some(b64(&Sha256::digest(text.as_bytes())))
}

/// The SPKI PEM text (RFC 7468 §13, LF line ends, a final line end) of a P-256 or RSA public
/// JWK: the bytes of a public-key file, as an algorithm-confusion forger keys HS256 with them
/// (RFC 8725 §2.1). P-256 through `p256`; RSA's SubjectPublicKeyInfo is written here (three
/// DER structures) rather than pulling in the `rsa` crate for one encoding.
pub fn public_key_pem(jwk: &Value) -> Option<String> {
    use p256::pkcs8::{EncodePublicKey, LineEnding};
    let der = match jwk.get("kty")?.as_str()? {
        "EC" => {
            return p256::PublicKey::from(verifying_key(jwk)?)
                .to_public_key_pem(LineEnding::LF)
                .ok();
        }
        "RSA" => {
            let n = unb64(jwk.get("n")?.as_str()?)?;
            let e = unb64(jwk.get("e")?.as_str()?)?;
            let key = der_tlv(0x30, &[der_uint(&n), der_uint(&e)].concat());
            // AlgorithmIdentifier: rsaEncryption (1.2.840.113549.1.1.1), NULL parameters.
            let alg = der_tlv(
                0x30,
                &[
                    &[
                        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01,
                    ][..],
                    &[0x05, 0x00],
                ]
                .concat(),
            );
            der_tlv(
                0x30,
                &[alg, der_tlv(0x03, &[&[0u8][..], &key].concat())].concat(),
            )
        }
        _ => return None,
    };
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect();
    Some(format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        lines.join("\n")
    ))
}

/// One DER tag-length-value (definite length, X.690 §8.1.3).
fn der_tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

/// A DER INTEGER for an unsigned big-endian magnitude (leading zeros dropped, one added when
/// the top bit is set so the value stays positive).
fn der_uint(magnitude: &[u8]) -> Vec<u8> {
    let trimmed: Vec<u8> = magnitude.iter().copied().skip_while(|b| *b == 0).collect();
    let mut content = if trimmed.first().is_none_or(|b| *b >= 0x80) {
        vec![0u8]
    } else {
        Vec::new()
    };
    content.extend(trimmed);
    der_tlv(0x02, &content)
}

/// P-256 public key from a JWK.
pub fn verifying_key(jwk: &Value) -> Option<VerifyingKey> {
    if jwk.get("kty")?.as_str()? != "EC" || jwk.get("crv")?.as_str()? != "P-256" {
        return None;
    }
    let x = unb64(jwk.get("x")?.as_str()?)?;
    let y = unb64(jwk.get("y")?.as_str()?)?;
    if x.len() != 32 || y.len() != 32 {
        return None;
    }
    let mut sec1 = vec![4u8];
    sec1.extend(x);
    sec1.extend(y);
    VerifyingKey::from_sec1_bytes(&sec1).ok()
}

/// Whether `token` verifies with a key of `jwks` whose `kid` (when the token names one) and
/// `alg` (when the key names one) match. Supports ES256 (P-256 keys) and RS256 (RSA keys of
/// 2048 bits or more), the algs chaining deployments use; any other alg yields `false`
/// (reported as not verified, never as a pass).
pub fn verifies_with_jwks(token: &str, jwks: &Value) -> bool {
    let Some(jws) = Jws::decode(token) else {
        return false;
    };
    let Some(alg) = jws.header.get("alg").and_then(Value::as_str) else {
        return false;
    };
    let kid = jws.header.get("kid").and_then(Value::as_str);
    let Some(sig) = unb64(&jws.parts[2]) else {
        return false;
    };
    let input = jws.signing_input();
    let Some(keys) = jwks.get("keys").and_then(Value::as_array) else {
        return false;
    };
    keys.iter()
        .filter(|k| kid.is_none() || k.get("kid").and_then(Value::as_str) == kid)
        .filter(|k| {
            k.get("alg")
                .and_then(Value::as_str)
                .is_none_or(|a| a == alg)
        })
        .any(|k| verify_with_jwk(alg, k, input.as_bytes(), &sig))
}

/// One signature against one JWK whose type suits `alg`.
fn verify_with_jwk(alg: &str, jwk: &Value, input: &[u8], sig: &[u8]) -> bool {
    let member = |name: &str| jwk.get(name).and_then(Value::as_str).and_then(unb64);
    match (alg, jwk.get("kty").and_then(Value::as_str)) {
        ("ES256", Some("EC")) => {
            let (Some(x), Some(y)) = (member("x"), member("y")) else {
                return false;
            };
            if jwk.get("crv").and_then(Value::as_str) != Some("P-256")
                || x.len() != 32
                || y.len() != 32
            {
                return false;
            }
            let point = [&[4u8][..], &x, &y].concat();
            UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, point)
                .verify(input, sig)
                .is_ok()
        }
        ("RS256", Some("RSA")) => {
            let (Some(n), Some(e)) = (member("n"), member("e")) else {
                return false;
            };
            RsaPublicKeyComponents { n, e }
                .verify(&RSA_PKCS1_2048_8192_SHA256, input, sig)
                .is_ok()
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_key_pem_matches_openssl_for_rsa_and_round_trips_for_p256() {
        // `openssl rsa -pubout` of a 2048-bit key, and the same key as a JWK (n without the
        // leading zero octet).
        let jwk = json!({"kty": "RSA", "e": "AQAB", "n": "okiGglrPCaxKZS_RE4gdpnS7-EFlJnkO1MvePGxd94G15TxEhf5UzV1HQMY6fVz474y3Ga5usFlF8VGxHsyjWUNtrkqpPV3aWdsjeYVrk3NKOdjVA40zP7FDg02o8lGPnaqdk9OoWYGUdp9KiRvW_g-dD5zhib3PBZIfqFW8kj6-OHg7w5cplniLRTXn2DP63PJguwgKNCNqQuJP3edYmK1mhyQSYaWdpVzGw-S4lw1n1YHs2dz0PHcvfWRbdkf0UTgqOOgTkZj5HOgQQmlu8vbIph9RA9Dyr2iL0bAYwa1cC83D4UbC9kfIhCGbDTDZUAXDAKkvOcLsrtq2v1J0WQ"});
        let openssl = "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAokiGglrPCaxKZS/RE4gd\npnS7+EFlJnkO1MvePGxd94G15TxEhf5UzV1HQMY6fVz474y3Ga5usFlF8VGxHsyj\nWUNtrkqpPV3aWdsjeYVrk3NKOdjVA40zP7FDg02o8lGPnaqdk9OoWYGUdp9KiRvW\n/g+dD5zhib3PBZIfqFW8kj6+OHg7w5cplniLRTXn2DP63PJguwgKNCNqQuJP3edY\nmK1mhyQSYaWdpVzGw+S4lw1n1YHs2dz0PHcvfWRbdkf0UTgqOOgTkZj5HOgQQmlu\n8vbIph9RA9Dyr2iL0bAYwa1cC83D4UbC9kfIhCGbDTDZUAXDAKkvOcLsrtq2v1J0\nWQIDAQAB\n-----END PUBLIC KEY-----\n";
        assert_eq!(public_key_pem(&jwk).as_deref(), Some(openssl));

        use p256::pkcs8::DecodePublicKey;
        let key = SigningKey::random(&mut rand::rngs::OsRng);
        let pem = public_key_pem(&public_jwk(key.verifying_key())).unwrap();
        assert!(pem.ends_with("-----END PUBLIC KEY-----\n"));
        let back = p256::PublicKey::from_public_key_pem(&pem).unwrap();
        assert_eq!(VerifyingKey::from(back), *key.verifying_key());
        assert_eq!(
            public_key_pem(&json!({"kty": "OKP", "crv": "Ed25519", "x": "AA"})),
            None
        );
    }

    #[test]
    fn malleated_es256_signature_still_verifies_and_differs() {
        let key = SigningKey::random(&mut rand::rngs::OsRng);
        let header = json!({"alg": "ES256"});
        let token = sign(&header, &json!({"jti": "j1"}), SignWith::Es256(&key));
        let other = malleate_es256(&token).expect("ES256 token");
        assert_ne!(token, other);
        assert_eq!(
            token.rsplit_once('.').unwrap().0,
            other.rsplit_once('.').unwrap().0
        );
        let jwks = json!({"keys": [public_jwk(key.verifying_key())]});
        assert!(verifies_with_jwks(&other, &jwks));
        assert_eq!(malleate_es256(&other).as_deref(), Some(token.as_str()));
        assert_eq!(malleate_es256("a.b.c"), None);
    }

    #[test]
    fn rfc7638_and_rfc9449_thumbprint_vectors() {
        let ec = json!({"kty":"EC","crv":"P-256","x":"l8tFrhx-34tV3hRICRDY9zCkDlpBhF42UQUfWVAWBFs","y":"9VE4jf_Ok_o64zbTTlcuNJajHmt6v9TDVrU0CdvGRDA"});
        assert_eq!(
            thumbprint(&ec).unwrap(),
            "0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"
        );
        let rsa = json!({"kty":"RSA","e":"AQAB","alg":"RS256","kid":"2011-04-29","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"});
        assert_eq!(
            thumbprint(&rsa).unwrap(),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    #[test]
    fn ic17_example_grant_verifies() {
        let jwk = json!({"kty":"EC","crv":"P-256","kid":"2813308004","x":"MXfMrj_tgPJHxkfmDAx0m74E-T-DuLYCNdmuqtpfP_E","y":"YX82bI52OPBED1h_1HpsxAyWzrQ7DChAAVX9Q9E8uYQ"});
        assert!(verifying_key(&jwk).is_some());
    }

    #[test]
    fn es256_round_trip_and_tamper() {
        let key = SigningKey::random(&mut rand::rngs::OsRng);
        let mut jwk = public_jwk(key.verifying_key());
        jwk["kid"] = json!("k1");
        let jwks = json!({"keys": [jwk]});
        let t = sign(
            &json!({"alg":"ES256","kid":"k1"}),
            &json!({"sub":"a"}),
            SignWith::Es256(&key),
        );
        assert!(verifies_with_jwks(&t, &jwks));
        assert_eq!(Jws::decode(&t).unwrap().claims["sub"], "a");
        let bad = tamper(&t, 2);
        assert_ne!(bad, t);
        assert!(!verifies_with_jwks(&bad, &jwks));
        assert!(!verifies_with_jwks(&tamper(&t, 1), &jwks));
        let other_kid = sign(
            &json!({"alg":"ES256","kid":"k2"}),
            &json!({"sub":"a"}),
            SignWith::Es256(&key),
        );
        assert!(!verifies_with_jwks(&other_kid, &jwks));
    }

    #[test]
    fn rs256_verifies_against_an_rsa_jwk_only() {
        let v: Value =
            serde_json::from_str(include_str!("../fixtures/keys/rs256-example.json")).unwrap();
        let token = v["token"].as_str().unwrap();
        let mut jwk = v["jwk"].clone();
        assert!(verifies_with_jwks(token, &json!({"keys": [jwk]})));
        let jwks = json!({"keys": [jwk]});
        assert!(!verifies_with_jwks(&tamper(token, 2), &jwks));
        assert!(!verifies_with_jwks(&tamper(token, 1), &jwks));
        jwk["alg"] = json!("ES256");
        assert!(
            !verifies_with_jwks(token, &json!({"keys": [jwk]})),
            "a key's alg must match"
        );
    }

    #[test]
    fn alg_none_and_hs256_shapes() {
        let none = sign(&json!({"alg":"none"}), &json!({"a":1}), SignWith::None);
        assert!(none.ends_with('.'));
        assert_eq!(Jws::decode(&none).unwrap().header["alg"], "none");
        let hs = sign(
            &json!({"alg":"HS256"}),
            &json!({"a":1}),
            SignWith::Hs256(b"secret"),
        );
        assert_eq!(unb64(hs.split('.').nth(2).unwrap()).unwrap().len(), 32);
        assert!(Jws::decode("a.b").is_none());
    }

    proptest::proptest! {
        /// Decoding arbitrary text (including near-JWTs) never panics.
        #[test]
        fn decode_never_panics(s in "[A-Za-z0-9_\\-.=]{0,120}") {
            let _ = Jws::decode(&s);
            let _ = looks_like_jwt(&s);
            let _ = tamper(&s, 1);
        }
    }
}

//! Strict compact-JWS parsing and ES256 signing (RFC 7515 §7.1, RFC 7519 §7.2, RFC 8725 §3).
//!
//! Written by hand rather than with a JWT library so that the mock decides every rule itself
//! (algorithm allow-list, `crit`, duplicate members) and so that faults can relax exactly one.
//!
//! Kept apart from the harness's `chainproof::jose` on purpose: that one decodes leniently to
//! *show* and *forge* tokens, this one is the server under test and must refuse what a strict
//! authorization server refuses. Sharing a parser would let a harness convenience weaken the
//! mock's verdicts.

use crate::keys::JwsKey;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::{Map, Value};

/// Why a compact JWS was refused before any signature check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JoseError {
    #[error("not a compact JWS: expected 3 dot-separated segments, found {0}")]
    Segments(usize),
    #[error("JWS {0} is not base64url without padding")]
    Base64(&'static str),
    #[error("JWS {0} is not a JSON object without duplicate members")]
    Json(&'static str),
}

/// A parsed (not yet verified) compact JWS.
#[derive(Debug, Clone)]
pub struct Jws {
    pub header: Map<String, Value>,
    pub claims: Map<String, Value>,
    /// `BASE64URL(header) || '.' || BASE64URL(payload)`: what the signature covers.
    pub signing_input: String,
    pub signature: Vec<u8>,
}

impl Jws {
    pub fn alg(&self) -> Option<&str> {
        self.header.get("alg").and_then(Value::as_str)
    }
    pub fn kid(&self) -> Option<&str> {
        self.header.get("kid").and_then(Value::as_str)
    }
    pub fn typ(&self) -> Option<&str> {
        self.header.get("typ").and_then(Value::as_str)
    }
    pub fn claim_str(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str)
    }
    /// A NumericDate claim: `Some(Ok(secs))`, `Some(Err(()))` when present but not a number or
    /// beyond ±10^12 s (so that time arithmetic on it can never overflow).
    pub fn claim_time(&self, name: &str) -> Option<Result<i64, ()>> {
        self.claims.get(name).map(|v| {
            v.as_f64()
                .filter(|f| f.is_finite() && f.abs() < 1e12)
                .map(|f| f.floor() as i64)
                .ok_or(())
        })
    }
    /// `aud` as a list (a string is a one-element list); `None` when absent or malformed.
    pub fn audiences(&self) -> Option<Vec<&str>> {
        match self.claims.get("aud")? {
            Value::String(s) => Some(vec![s.as_str()]),
            Value::Array(items) => items.iter().map(Value::as_str).collect(),
            _ => None,
        }
    }
}

/// JSON object that refuses duplicate member names (RFC 7515 §5.2 step 4, RFC 7519 §7.2 step 10).
struct UniqueObject(Map<String, Value>);

impl<'de> Deserialize<'de> for UniqueObject {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = UniqueObject;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<UniqueObject, A::Error> {
                let mut out = Map::new();
                while let Some((k, v)) = map.next_entry::<String, Value>()? {
                    if out.insert(k.clone(), v).is_some() {
                        return Err(serde::de::Error::custom(format!("duplicate member `{k}`")));
                    }
                }
                Ok(UniqueObject(out))
            }
        }
        deserializer.deserialize_map(V)
    }
}

fn object(bytes: &[u8], what: &'static str) -> Result<Map<String, Value>, JoseError> {
    serde_json::from_slice::<UniqueObject>(bytes)
        .map(|o| o.0)
        .map_err(|_| JoseError::Json(what))
}

/// Parse a compact JWS strictly: exactly three segments, base64url without padding, header and
/// payload JSON objects without duplicate members. The signature may be empty (`alg: none`);
/// refusing that is the verifier's job.
pub fn parse(token: &str) -> Result<Jws, JoseError> {
    let parts: Vec<&str> = token.split('.').collect();
    if parts.len() != 3 {
        return Err(JoseError::Segments(parts.len()));
    }
    let header = B64
        .decode(parts[0])
        .map_err(|_| JoseError::Base64("header"))?;
    let payload = B64
        .decode(parts[1])
        .map_err(|_| JoseError::Base64("payload"))?;
    let signature = B64
        .decode(parts[2])
        .map_err(|_| JoseError::Base64("signature"))?;
    Ok(Jws {
        header: object(&header, "header")?,
        claims: object(&payload, "payload")?,
        signing_input: format!("{}.{}", parts[0], parts[1]),
        signature,
    })
}

/// Sign `claims` under `header` (which should carry the key's `alg`, ES256 or RS256; `kid`/`typ`
/// as the caller wants).
pub fn sign(key: &dyn JwsKey, header: &Value, claims: &Value) -> String {
    let input = format!(
        "{}.{}",
        B64.encode(serde_json::to_vec(header).expect("json")),
        B64.encode(serde_json::to_vec(claims).expect("json"))
    );
    let sig = key.sign_input(input.as_bytes());
    format!("{input}.{}", B64.encode(sig))
}

/// Assemble a JWS with an arbitrary signature (for forged tokens in tests and faults).
pub fn assemble(header: &Value, claims: &Value, signature: &[u8]) -> String {
    format!(
        "{}.{}.{}",
        B64.encode(serde_json::to_vec(header).expect("json")),
        B64.encode(serde_json::to_vec(claims).expect("json")),
        B64.encode(signature)
    )
}

/// base64url without padding, for callers that build their own tokens.
pub fn b64url(bytes: &[u8]) -> String {
    B64.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::EsKey;
    use serde_json::json;

    #[test]
    fn roundtrip() {
        let key = EsKey::generate();
        let t = sign(
            &key,
            &json!({"alg":"ES256","kid":key.kid()}),
            &json!({"sub":"a","exp":5}),
        );
        let jws = parse(&t).unwrap();
        assert_eq!(jws.alg(), Some("ES256"));
        assert_eq!(jws.claim_str("sub"), Some("a"));
        assert_eq!(jws.claim_time("exp"), Some(Ok(5)));
        assert!(crate::keys::verify_es256(
            &key.verifying_key(),
            jws.signing_input.as_bytes(),
            &jws.signature
        ));
    }

    #[test]
    fn numeric_dates_are_bounded() {
        let key = EsKey::generate();
        let t = sign(
            &key,
            &json!({"alg":"ES256"}),
            &json!({"a": 1e300, "b": -1e13, "c": "5", "d": 5.7}),
        );
        let jws = parse(&t).unwrap();
        assert_eq!(jws.claim_time("a"), Some(Err(())));
        assert_eq!(jws.claim_time("b"), Some(Err(())));
        assert_eq!(jws.claim_time("c"), Some(Err(())));
        assert_eq!(jws.claim_time("d"), Some(Ok(5)));
        assert_eq!(jws.claim_time("e"), None);
    }

    #[test]
    fn strictness() {
        assert_eq!(parse("a.b").unwrap_err(), JoseError::Segments(2));
        assert_eq!(parse("a.b.c.d").unwrap_err(), JoseError::Segments(4));
        let h = b64url(br#"{"alg":"ES256"}"#);
        let p = b64url(br#"{"a":1}"#);
        assert!(parse(&format!("{h}=.{p}.")).is_err(), "padding refused");
        assert!(
            parse(&format!("{h}.{}.", b64url(b"[1]"))).is_err(),
            "payload must be an object"
        );
        assert!(
            parse(&format!("{h}.{}.", b64url(br#"{"a":1,"a":2}"#))).is_err(),
            "duplicates refused"
        );
        assert!(parse(&format!("{h}.{p}.")).is_ok());
    }
}

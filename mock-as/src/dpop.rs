//! DPoP proof checks at token endpoints and at RS-B (RFC 9449 §4.2, §4.3, §7.1).

use crate::jose;
use crate::keys::{self, EsKey};
use crate::replay::JtiCache;
use axum::http::HeaderMap;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// How far in the past (seconds) a proof's `iat` may lie; future skew allowed is 60 s.
pub const MAX_AGE_SECS: i64 = 300;
const FUTURE_SKEW_SECS: i64 = 60;

/// A proof that passed every check: its key's RFC 7638 thumbprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProofKey {
    pub jkt: String,
    /// The proof's public JWK.
    pub jwk: Value,
}

/// What a proof is checked against.
pub struct Expect<'a> {
    pub htm: &'a str,
    pub htu: &'a str,
    /// base64url SHA-256 of the access token, at a resource server.
    pub ath: Option<&'a str>,
    pub now: i64,
    /// Refuse a `jti` seen before (off only under the `dpop-proof-replay-accepted` fault).
    pub check_replay: bool,
}

/// The `ath` value for an access token (RFC 9449 §4.2).
pub fn ath(access_token: &str) -> String {
    jose::b64url(&Sha256::digest(access_token.as_bytes()))
}

/// `htu` comparison ignores query and fragment (RFC 9449 §4.3 item 9).
fn strip_query(u: &str) -> &str {
    u.split(['?', '#']).next().unwrap_or(u)
}

/// Check the `DPoP` header of a request. `Ok(None)` when no proof was sent.
pub fn check(
    headers: &HeaderMap,
    expect: &Expect,
    replay: &JtiCache,
) -> Result<Option<ProofKey>, String> {
    let values: Vec<_> = headers.get_all("dpop").iter().collect();
    match values.len() {
        0 => return Ok(None),
        1 => {}
        _ => return Err("more than one DPoP header".into()),
    }
    let token = values[0]
        .to_str()
        .map_err(|_| "DPoP header is not ASCII".to_string())?;
    let jws = jose::parse(token).map_err(|e| format!("DPoP proof: {e}"))?;
    if jws.typ() != Some("dpop+jwt") {
        return Err("DPoP proof typ must be dpop+jwt".into());
    }
    if jws.alg() != Some("ES256") {
        return Err("DPoP proof alg must be ES256".into());
    }
    if jws.header.contains_key("crit") {
        return Err("DPoP proof has an unsupported crit".into());
    }
    let jwk = jws.header.get("jwk").ok_or("DPoP proof has no jwk")?;
    if jwk.get("d").is_some() {
        return Err("DPoP proof jwk contains a private key".into());
    }
    let vk = keys::verifying_key_from_jwk(jwk).map_err(|e| format!("DPoP proof jwk: {e}"))?;
    if !keys::verify_es256(&vk, jws.signing_input.as_bytes(), &jws.signature) {
        return Err("DPoP proof signature invalid".into());
    }
    let jti = jws
        .claim_str("jti")
        .filter(|j| !j.is_empty())
        .ok_or("DPoP proof jti missing")?;
    if jws.claim_str("htm") != Some(expect.htm) {
        return Err("DPoP proof htm does not match the request method".into());
    }
    if jws.claim_str("htu").map(strip_query) != Some(strip_query(expect.htu)) {
        return Err("DPoP proof htu does not match the request URL".into());
    }
    let iat = match jws.claim_time("iat") {
        Some(Ok(i)) => i,
        _ => return Err("DPoP proof iat missing".into()),
    };
    if iat < expect.now - MAX_AGE_SECS || iat > expect.now + FUTURE_SKEW_SECS {
        return Err("DPoP proof iat is not fresh".into());
    }
    if let Some(want) = expect.ath
        && jws.claim_str("ath") != Some(want)
    {
        return Err("DPoP proof ath does not match the access token".into());
    }
    let jkt = keys::thumbprint(jwk).map_err(|e| e.to_string())?;
    let until = iat + MAX_AGE_SECS + FUTURE_SKEW_SECS;
    if !replay.first_use(&format!("{jkt}\n{jti}"), until, expect.now) && expect.check_replay {
        return Err("DPoP proof jti replayed".into());
    }
    Ok(Some(ProofKey {
        jkt,
        jwk: jwk.clone(),
    }))
}

/// Build a DPoP proof (for tests, the bench and harness code).
pub fn make_proof(
    key: &EsKey,
    htm: &str,
    htu: &str,
    access_token: Option<&str>,
    now: i64,
) -> String {
    let mut claims =
        json!({"jti": uuid::Uuid::new_v4().to_string(), "htm": htm, "htu": htu, "iat": now});
    if let Some(at) = access_token {
        claims["ath"] = Value::String(ath(at));
    }
    jose::sign(
        key,
        &json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": key.public_jwk_minimal()}),
        &claims,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(proof: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("dpop", HeaderValue::from_str(proof).unwrap());
        h
    }

    #[test]
    fn valid_then_replayed() {
        let key = EsKey::generate();
        let now = crate::replay::now();
        let p = make_proof(&key, "POST", "http://x/token", None, now);
        let e = Expect {
            htm: "POST",
            htu: "http://x/token",
            ath: None,
            now,
            check_replay: true,
        };
        let cache = JtiCache::default();
        assert_eq!(
            check(&headers(&p), &e, &cache).unwrap().unwrap().jkt,
            key.thumbprint()
        );
        assert!(
            check(&headers(&p), &e, &cache)
                .unwrap_err()
                .contains("replayed")
        );
    }

    #[test]
    fn wrong_htm_htu_iat_ath() {
        let key = EsKey::generate();
        let now = crate::replay::now();
        let cache = JtiCache::default();
        let e = Expect {
            htm: "POST",
            htu: "http://x/token",
            ath: None,
            now,
            check_replay: true,
        };
        for p in [
            make_proof(&key, "GET", "http://x/token", None, now),
            make_proof(&key, "POST", "http://y/token", None, now),
            make_proof(&key, "POST", "http://x/token", None, now - 3600),
        ] {
            assert!(check(&headers(&p), &e, &cache).is_err());
        }
        let want = ath("tok");
        let e = Expect {
            htm: "GET",
            htu: "http://x/r",
            ath: Some(&want),
            now,
            check_replay: true,
        };
        let p = make_proof(&key, "GET", "http://x/r", Some("other"), now);
        assert!(check(&headers(&p), &e, &cache).unwrap_err().contains("ath"));
    }
}

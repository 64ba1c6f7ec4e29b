//! Finding and decoding compact JWS serializations in arbitrary text (RFC 7515 §7.1), for
//! redaction and for showing header and claims beside a raw token. Nothing is verified here.

use regex::Regex;
use std::ops::Range;
use std::sync::LazyLock;

/// Three (or five, for JWE) dot-separated base64url runs.
static COMPACT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)?",
    )
    .expect("valid regex")
});

/// A compact JWS found in text: byte ranges of its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundJws {
    pub whole: Range<usize>,
    pub signature: Range<usize>,
}

use crate::jose::segment_json as decode_segment;

/// Every compact JWS in `text` whose header decodes to a JSON object. JWE (five parts, `enc`
/// in the header) and dotted names (`a.b.c`) are not JWS and are left out.
pub fn find_jws(text: &str) -> Vec<FoundJws> {
    COMPACT
        .find_iter(text)
        .filter_map(|m| {
            let parts: Vec<&str> = m.as_str().split('.').collect();
            let header = match decode_segment(parts[0]) {
                Some(serde_json::Value::Object(h)) => h,
                _ => return None,
            };
            // Five parts with `enc` is a JWE; five parts without is a JWS followed by dots,
            // whose signature still has to be found.
            if parts.len() == 5 && header.contains_key("enc") {
                return None;
            }
            let end = m.start() + parts[0].len() + parts[1].len() + parts[2].len() + 2;
            Some(FoundJws {
                whole: m.start()..end,
                signature: end - parts[2].len()..end,
            })
        })
        .collect()
}

/// Header and claims of a compact JWS (claims `None` when the payload is not JSON).
pub fn decode(token: &str) -> Option<(serde_json::Value, Option<serde_json::Value>)> {
    let mut parts = token.split('.');
    let header = decode_segment(parts.next()?)?;
    let claims = parts.next().and_then(decode_segment);
    Some((header, claims))
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn b64(s: &str) -> String {
        URL_SAFE_NO_PAD.encode(s)
    }

    #[test]
    fn finds_jws_in_text_and_ignores_dotted_names() {
        let jws = format!(
            "{}.{}.c2lnbmF0dXJl",
            b64(r#"{"alg":"ES256"}"#),
            b64(r#"{"sub":"u"}"#)
        );
        let text = format!("assertion={jws}&host=as.example.com");
        let found = find_jws(&text);
        assert_eq!(found.len(), 1);
        assert_eq!(&text[found[0].whole.clone()], jws);
        assert_eq!(&text[found[0].signature.clone()], "c2lnbmF0dXJl");
        let (h, c) = decode(&jws).unwrap();
        assert_eq!(h["alg"], "ES256");
        assert_eq!(c.unwrap()["sub"], "u");
    }

    #[test]
    fn unsigned_and_jwe_tokens() {
        let none = format!("{}.{}.", b64(r#"{"alg":"none"}"#), b64("{}"));
        assert_eq!(find_jws(&none)[0].signature.len(), 0);
        let jwe = format!("{}.a.b.c.d", b64(r#"{"alg":"RSA-OAEP","enc":"A256GCM"}"#));
        assert!(find_jws(&jwe).is_empty());
        let trailing = format!("{}.p.sig.x.y", b64(r#"{"alg":"ES256"}"#));
        let found = find_jws(&trailing);
        assert_eq!(&trailing[found[0].signature.clone()], "sig");
    }
}

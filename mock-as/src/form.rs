//! Strict `application/x-www-form-urlencoded` token-request bodies (RFC 6749 §3.2, Appendix B).
//!
//! Empty values count as absent, every parameter may appear at most once, bodies are capped,
//! and percent-decoding must yield UTF-8. Every refusal is an `invalid_request` error value.

use crate::error::OAuthError;
use axum::body::Body;
use axum::http::{HeaderMap, header};
use std::collections::BTreeMap;

/// Largest accepted request body (and so the largest parameter value).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Parameters that RFC 8693 §2.1 and RFC 8707 §2 allow more than once.
pub const MULTI_VALUED: &[&str] = &["resource", "audience"];

/// The parameters of one token request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Form {
    params: BTreeMap<String, String>,
    /// Every value of the [`MULTI_VALUED`] parameters, in order.
    multi: BTreeMap<String, Vec<String>>,
    /// Names that were sent only with empty values (treated as absent; only the
    /// `empty-target-defaults` and `empty-assertion-invalid-grant` faults look at them).
    empty: std::collections::BTreeSet<String>,
}

impl Form {
    /// The value of a parameter, `None` when absent (or sent empty).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }
    /// All values of a parameter (several only for [`MULTI_VALUED`] names).
    pub fn get_all(&self, name: &str) -> Vec<&str> {
        match self.multi.get(name) {
            Some(v) => v.iter().map(String::as_str).collect(),
            None => self.get(name).into_iter().collect(),
        }
    }
    /// Whether `name` was sent with an empty value (and so counts as absent).
    pub fn sent_empty(&self, name: &str) -> bool {
        self.empty.contains(name)
    }
    /// The names of the parameters sent with a value.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.params.keys().map(String::as_str)
    }
    /// The value of a required parameter.
    pub fn require(&self, name: &str) -> Result<&str, OAuthError> {
        self.get(name)
            .ok_or_else(|| OAuthError::invalid_request(format!("missing parameter {name}")))
    }
}

/// Read the body of a request with a cap; an oversized body is an `invalid_request`.
pub async fn read_body(body: Body) -> Result<Vec<u8>, OAuthError> {
    axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map(|b| b.to_vec())
        .map_err(|_| {
            OAuthError::malformed(format!(
                "request body larger than {MAX_BODY_BYTES} bytes or unreadable"
            ))
        })
}

/// Check the media type is `application/x-www-form-urlencoded` (parameters such as `charset`
/// are allowed).
pub fn check_content_type(headers: &HeaderMap) -> Result<(), OAuthError> {
    let values: Vec<_> = headers.get_all(header::CONTENT_TYPE).iter().collect();
    if values.len() != 1 {
        return Err(OAuthError::malformed(
            "Content-Type must be application/x-www-form-urlencoded",
        ));
    }
    let media = values[0]
        .to_str()
        .unwrap_or("")
        .split(';')
        .next()
        .unwrap_or("")
        .trim();
    if media.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
        Ok(())
    } else {
        Err(OAuthError::malformed(
            "Content-Type must be application/x-www-form-urlencoded",
        ))
    }
}

fn percent_decode(text: &str, what: &str) -> Result<String, OAuthError> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes
                    .get(i + 1..i + 3)
                    .and_then(|h| std::str::from_utf8(h).ok());
                let byte = hex.and_then(|h| u8::from_str_radix(h, 16).ok());
                match byte {
                    Some(b) if hex.is_some_and(|h| h.bytes().all(|c| c.is_ascii_hexdigit())) => {
                        out.push(b)
                    }
                    _ => {
                        return Err(OAuthError::malformed(format!(
                            "bad percent-encoding in {what}"
                        )));
                    }
                }
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out)
        .map_err(|_| OAuthError::malformed(format!("{what} is not UTF-8 after percent-decoding")))
}

/// Whether the request's media type is `application/json` (only the
/// `exchange-accepts-json-body` fault asks).
pub fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
}

/// The parameters of a JSON object body whose members are strings, as if they had been a
/// form (the `exchange-accepts-json-body` fault: RFC 8693 §2.1 requires a form body).
pub fn from_json(body: &[u8]) -> Result<Form, OAuthError> {
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|_| OAuthError::malformed("request body is not a JSON object"))?;
    let object = value
        .as_object()
        .ok_or_else(|| OAuthError::malformed("request body is not a JSON object"))?;
    let params: BTreeMap<String, String> = object
        .iter()
        .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_owned())))
        .collect();
    let multi = params
        .iter()
        .filter(|(k, _)| MULTI_VALUED.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), vec![v.clone()]))
        .collect();
    Ok(Form {
        params,
        multi,
        empty: Default::default(),
    })
}

/// Parse a form body. With `allow_duplicates` (a fault), a repeated parameter keeps its last
/// value instead of being refused.
pub fn parse(body: &[u8], allow_duplicates: bool) -> Result<Form, OAuthError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| OAuthError::malformed("request body is not UTF-8"))?;
    let mut params = BTreeMap::new();
    let mut multi: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut empty = std::collections::BTreeSet::new();
    for pair in text.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let name = percent_decode(k, "a parameter name")?;
        let value = percent_decode(v, "a parameter value")?;
        if value.is_empty() || name.is_empty() {
            empty.insert(name);
            continue; // RFC 6749 §3.1: parameters sent without a value are treated as omitted.
        }
        if MULTI_VALUED.contains(&name.as_str()) {
            multi.entry(name.clone()).or_default().push(value.clone());
            params.entry(name).or_insert(value);
            continue;
        }
        if params.contains_key(&name) && !allow_duplicates {
            let shown: String = name.chars().take(40).collect();
            return Err(OAuthError::malformed(format!(
                "parameter {shown} is repeated"
            )));
        }
        params.insert(name, value);
    }
    empty.retain(|n| !params.contains_key(n));
    Ok(Form {
        params,
        multi,
        empty,
    })
}

/// Parse a URL query string with the same rules (only the `get-token-endpoint` fault uses it).
pub fn parse_query(query: Option<&str>) -> Result<Form, OAuthError> {
    parse(query.unwrap_or("").as_bytes(), false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(b"a=1&b=x+y%21", Some(("b", "x y!")))]
    #[case(b"a=1&b=&c", None)]
    #[case(b"&&a=1&", None)]
    fn parses(#[case] body: &[u8], #[case] probe: Option<(&str, &str)>) {
        let form = parse(body, false).unwrap();
        assert_eq!(form.get("a"), Some("1"));
        assert_eq!(form.get("c"), None);
        if let Some((k, v)) = probe {
            assert_eq!(form.get(k), Some(v));
        } else {
            assert_eq!(form.get("b"), None, "empty value is absent");
        }
    }

    #[rstest]
    #[case(b"a=1&a=2")]
    #[case(b"a=%zz")]
    #[case(b"a=%4")]
    #[case(b"a=%ff")]
    #[case(b"a=\xff")]
    fn refuses(#[case] body: &[u8]) {
        let err = parse(body, false).unwrap_err();
        assert_eq!(err.code, "invalid_request");
    }

    #[test]
    fn duplicates_allowed_by_fault_keep_last() {
        assert_eq!(parse(b"a=1&a=2", true).unwrap().get("a"), Some("2"));
    }

    #[test]
    fn resource_and_audience_may_repeat() {
        let f = parse(b"resource=a&resource=b&audience=c", false).unwrap();
        assert_eq!(f.get_all("resource"), vec!["a", "b"]);
        assert_eq!(f.get_all("audience"), vec!["c"]);
        assert_eq!(f.get_all("scope"), Vec::<&str>::new());
    }

    #[test]
    fn empty_duplicate_is_not_a_duplicate() {
        assert_eq!(parse(b"a=1&a=", false).unwrap().get("a"), Some("1"));
    }
}

//! Query paths over a case's context (suites/README.md "Context" and "Queries"): step
//! outputs, `target.*`, `keys.*`, plus the derived segments `jwt.*`, `count`, `len` and
//! `key_bits`.

use crate::jose::{self, Jws};
use serde_json::{Value, json};
use std::fmt;
use std::str::FromStr;

/// A check's query, parsed once when the suite loads: its dot-separated segments. Derived
/// segments (`jwt`, `count`, `len`) stay names here; what they mean depends on the value they
/// meet, so [`eval_query`] decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    segments: Vec<String>,
}

/// Why a text is not a query path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("a query is a plain path, not a template")]
    Template,
    #[error("malformed query path `{0}`")]
    Malformed(String),
}

impl FromStr for Query {
    type Err = QueryError;
    fn from_str(path: &str) -> Result<Query, QueryError> {
        if path.contains("${") {
            return Err(QueryError::Template);
        }
        if path.is_empty() || path.split('.').any(str::is_empty) {
            return Err(QueryError::Malformed(path.to_string()));
        }
        Ok(Query {
            segments: path.split('.').map(str::to_string).collect(),
        })
    }
}

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.segments.join("."))
    }
}

impl Query {
    /// The first segment: a step id or a context root (`target`, `keys`).
    pub fn root(&self) -> &str {
        &self.segments[0]
    }

    pub fn segments(&self) -> &[String] {
        &self.segments
    }
}

/// Evaluate a parsed query against `ctx`; `None` when it names nothing.
pub fn eval_query(ctx: &Value, query: &Query, env: &QueryEnv) -> Option<Value> {
    eval_segments(ctx, query.segments(), env)
}

/// What derived segments need besides the context.
#[derive(Debug, Clone, Default)]
pub struct QueryEnv {
    /// AS-A's JWKS, for `jwt.signed_by_as_a`.
    pub as_a_jwks: Option<Value>,
    /// Unix time used when a value carries no receipt time.
    pub now: i64,
}

fn eval_segments<S: AsRef<str>>(ctx: &Value, segs: &[S], env: &QueryEnv) -> Option<Value> {
    use std::borrow::Cow;
    let mut cur: Cow<'_, Value> = Cow::Borrowed(ctx);
    let mut received_at = env.now;
    let mut prev = "";
    for (i, seg) in segs.iter().map(AsRef::as_ref).enumerate() {
        // `.count` of an absent value is 0.
        let absent = || {
            if segs.len() == i + 2 && segs[i + 1].as_ref() == "count" {
                Some(json!(0))
            } else {
                None
            }
        };
        if let Some(t) = cur.get("received_at").and_then(Value::as_i64) {
            received_at = t;
        }
        let next: Cow<'_, Value> = match (seg, cur.as_ref()) {
            ("count", v) if v.get("count").is_none() => Cow::Owned(json!(match v {
                Value::Null => 0,
                Value::Array(a) => a.len(),
                _ => 1,
            })),
            ("len", Value::String(s)) => Cow::Owned(json!(s.chars().count())),
            ("len", Value::Array(a)) => Cow::Owned(json!(a.len())),
            ("jwt", Value::String(s)) => Cow::Owned(jwt_view(s, received_at, env)),
            ("key_bits", Value::Array(keys)) => Cow::Owned(key_bits(keys)),
            (_, Value::Object(m)) => {
                let key = if prev == "headers" {
                    seg.to_ascii_lowercase()
                } else {
                    seg.to_string()
                };
                match (&cur, m.get(&key)) {
                    (Cow::Borrowed(b), Some(_)) => Cow::Borrowed(&b[key.as_str()]),
                    (Cow::Owned(_), Some(v)) => Cow::Owned(v.clone()),
                    (_, None) => return absent(),
                }
            }
            (_, Value::Array(a)) => match seg.parse::<usize>().ok().filter(|i| *i < a.len()) {
                Some(i) => match &cur {
                    Cow::Borrowed(b) => Cow::Borrowed(&b[i]),
                    Cow::Owned(_) => Cow::Owned(a[i].clone()),
                },
                None => return absent(),
            },
            _ => return absent(),
        };
        cur = next;
        prev = seg;
    }
    Some(cur.into_owned())
}

/// The `key_bits` view of a JWK array (a JWK Set's `keys`): for each key type, the size in bits
/// of its weakest key, so one check bounds every key of a type (Ena OAuth profile §8.2: RSA at
/// least 2048 bits, EC at least 256). RSA: the modulus length; EC and OKP: the curve's size
/// (RFC 7518 §6.2.1.1, RFC 8037 §2, RFC 8812 §3.1); oct: the key length. Keys whose size
/// cannot be read (an unregistered curve, a malformed `n`) are left out, never guessed.
fn key_bits(keys: &[Value]) -> Value {
    let mut min: serde_json::Map<String, Value> = serde_json::Map::new();
    for key in keys {
        let member = |m: &str| key.get(m).and_then(Value::as_str);
        let Some(kty) = member("kty") else { continue };
        let bits = match kty {
            "RSA" => member("n").and_then(jose::unb64).map(|n| {
                let lead = n.iter().take_while(|b| **b == 0).count();
                n.get(lead).map_or(0, |b| {
                    (n.len() - lead - 1) * 8 + (8 - b.leading_zeros() as usize)
                })
            }),
            "EC" | "OKP" => match member("crv") {
                Some("P-256" | "secp256k1" | "Ed25519" | "X25519") => Some(256),
                Some("P-384") => Some(384),
                Some("P-521") => Some(521),
                Some("Ed448" | "X448") => Some(448),
                _ => None,
            },
            "oct" => member("k").and_then(jose::unb64).map(|k| k.len() * 8),
            _ => None,
        };
        if let Some(bits) = bits {
            let entry = min.entry(kty.to_string()).or_insert(json!(bits));
            if entry.as_u64().is_some_and(|b| (bits as u64) < b) {
                *entry = json!(bits);
            }
        }
    }
    Value::Object(min)
}

/// The `jwt` view of a string: header, claims, lifetime, ttl, signed_by_as_a, segments.
fn jwt_view(token: &str, received_at: i64, env: &QueryEnv) -> Value {
    let segments = token.split('.').count();
    let Some(jws) = Jws::decode(token) else {
        return json!({ "segments": segments });
    };
    let exp = jws.claims.get("exp").and_then(Value::as_i64);
    let iat = jws.claims.get("iat").and_then(Value::as_i64);
    let mut v = json!({
        "header": jws.header,
        "claims": jws.claims,
        "segments": segments,
        "signed_by_as_a": env.as_a_jwks.as_ref().is_some_and(|k| jose::verifies_with_jwks(token, k)),
    });
    if let (Some(e), Some(i)) = (exp, iat) {
        v["lifetime"] = json!(e - i);
    }
    if let Some(e) = exp {
        v["ttl"] = json!(e - received_at);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::{SignWith, sign};

    fn eval(ctx: &Value, path: &str, env: &QueryEnv) -> Option<Value> {
        eval_query(ctx, &path.parse().unwrap(), env)
    }

    #[test]
    fn walks_objects_arrays_and_derived_segments() {
        let token = sign(
            &json!({"alg":"none"}),
            &json!({"aud":["b"],"iat":100,"exp":160}),
            SignWith::None,
        );
        let ctx = json!({
            "x": {"status": 200, "headers": {"cache-control": "no-store"}, "token": token, "received_at": 110,
                  "json": {"scope": "a b", "list": [1, 2]}},
        });
        let env = QueryEnv::default();
        assert_eq!(eval(&ctx, "x.status", &env), Some(json!(200)));
        assert_eq!(
            eval(&ctx, "x.headers.Cache-Control", &env),
            Some(json!("no-store"))
        );
        assert_eq!(eval(&ctx, "x.json.list.1", &env), Some(json!(2)));
        assert_eq!(eval(&ctx, "x.json.list.count", &env), Some(json!(2)));
        assert_eq!(eval(&ctx, "x.json.scope.len", &env), Some(json!(3)));
        assert_eq!(eval(&ctx, "x.json.nothing", &env), None);
        assert_eq!(eval(&ctx, "x.json.nothing.count", &env), Some(json!(0)));
        assert_eq!(
            eval(&ctx, "x.token.jwt.claims.aud", &env),
            Some(json!(["b"]))
        );
        assert_eq!(eval(&ctx, "x.token.jwt.lifetime", &env), Some(json!(60)));
        assert_eq!(eval(&ctx, "x.token.jwt.ttl", &env), Some(json!(50)));
        assert_eq!(eval(&ctx, "x.token.jwt.segments", &env), Some(json!(3)));
        assert_eq!(
            eval(&ctx, "x.token.jwt.signed_by_as_a", &env),
            Some(json!(false))
        );
        assert_eq!(
            eval(&ctx, "x.json.scope.jwt.segments", &env),
            Some(json!(1))
        );
        let q: Query = "x.json.list.count".parse().unwrap();
        assert_eq!(eval_query(&ctx, &q, &env), Some(json!(2)));
        assert_eq!(q.root(), "x");
        assert_eq!(q.to_string(), "x.json.list.count");
    }

    #[test]
    fn key_bits_is_the_weakest_key_of_each_type() {
        use base64::Engine as _;
        let b64 = |bytes: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
        let mut n2048 = vec![0xC5u8; 256];
        n2048[0] = 0x80;
        let mut n1023 = [0xC5u8; 128];
        n1023[0] = 0x7F;
        let ctx = json!({"j": {"json": {"keys": [
            {"kty": "RSA", "n": b64(&n2048), "e": "AQAB"},
            {"kty": "RSA", "n": b64(&[&[0u8][..], &n1023[..]].concat()), "e": "AQAB"},
            {"kty": "EC", "crv": "P-384"},
            {"kty": "EC", "crv": "P-256"},
            {"kty": "EC", "crv": "brainpoolP160r1"},
            {"kty": "oct", "k": b64(&[1u8; 16])},
            {"n": "no kty"},
        ]}}});
        let env = QueryEnv::default();
        assert_eq!(
            eval(&ctx, "j.json.keys.key_bits", &env),
            Some(json!({"RSA": 1023, "EC": 256, "oct": 128}))
        );
        assert_eq!(eval(&ctx, "j.json.keys.key_bits.OKP", &env), None);
    }

    #[test]
    fn malformed_paths_are_refused_when_parsed() {
        for bad in ["", "x..y", ".x", "x."] {
            assert_eq!(bad.parse::<Query>(), Err(QueryError::Malformed(bad.into())));
        }
        assert_eq!("${x.y}".parse::<Query>(), Err(QueryError::Template));
    }
}

//! Removal of secrets from a run result at the moment a report is written (chainproof's
//! "secrets never in reports" rule; RFC 6749 §10.3 and §2.3.1 on credentials and tokens).
//!
//! Executors record raw traffic; this module is the one place that decides what a reader may
//! see. It works on a copy of the [`RunResult`]: headers are handled by name, then every string
//! of the result (JSON keys too) goes through [`Redactor::text`], so a field added later is
//! covered without anyone remembering to list it.

use super::Secrets;
use super::jwt;
use crate::run_result::RunResult;
use crate::transcript::Exchange;
use regex::{Captures, Regex};
use serde_json::Value;
use std::sync::LazyLock;

/// What replaces a secret.
pub const MASK: &str = "[REDACTED]";
/// What replaces a JWS signature (not base64url, so the result is visibly not a token).
pub const SIG_MASK: &str = "[sig-redacted]";

/// Form and query parameters whose values are secrets.
const SECRET_PARAMS: &str = "client_secret|password|private_key|code_verifier";
/// JWK members that hold private key material (RFC 7518 §6.2.2, §6.3.2, §6.4.1).
const PRIVATE_JWK_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "k", "oth"];

static PEM_PRIVATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?s)-----BEGIN ([A-Z0-9 ]*)PRIVATE KEY-----(?:.*?-----END [A-Z0-9 ]*PRIVATE KEY-----|.*)",
    )
    .expect("valid regex")
});
static FORM_SECRET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(r"(?i)(^|[?&\s;,])({SECRET_PARAMS})=([^&\s]*)")).expect("valid regex")
});
static FORM_ASSERTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(^|[?&\s;,])(client_assertion)=([^&\s]*)").expect("valid regex")
});
static JSON_SECRET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r#"(?i)"({SECRET_PARAMS}|authorization|proxy-authorization|cookie|set-cookie)"(\s*:\s*)"(?:[^"\\]|\\.)*""#
    ))
    .expect("valid regex")
});
static JSON_JWK_PRIVATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#""(d|p|q|dp|dq|qi|k)"(\s*:\s*)"(?:[^"\\]|\\.)*""#).expect("valid regex")
});
static HEADER_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?im)^(\s*(?:authorization|proxy-authorization|cookie|set-cookie|dpop)\s*:\s*)(.+)$",
    )
    .expect("valid regex")
});

/// Shortest secret value that is removed wherever it appears as a substring.
pub const MIN_LITERAL_LEN: usize = 4;

/// Redacts run results for one report-writing pass.
#[derive(Debug, Clone)]
pub struct Redactor {
    /// Literal values to remove, longest first, in every encoding they may appear in.
    literals: Vec<String>,
    reveal_tokens: bool,
}

impl Redactor {
    pub fn new(secrets: &Secrets, reveal_tokens: bool) -> Redactor {
        let mut r = Redactor {
            literals: Vec::new(),
            reveal_tokens,
        };
        for s in &secrets.values {
            r.add_literal(s);
        }
        r
    }

    /// Adds a value to remove wherever it appears: as is, form-encoded, and JSON-escaped.
    ///
    /// Values shorter than [`MIN_LITERAL_LEN`] are not replaced as substrings: a one-letter
    /// "secret" would shred every word of a report while protecting nothing. They are still
    /// removed where they structurally belong (secret form fields, `Authorization` headers).
    fn add_literal(&mut self, value: &str) {
        if value.chars().count() < MIN_LITERAL_LEN {
            return;
        }
        let form: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
        let json = serde_json::to_string(value).unwrap_or_default();
        let json = json.trim_matches('"').to_string();
        for v in [value.to_string(), form, json] {
            if !v.is_empty() && !self.literals.contains(&v) {
                self.literals.push(v);
            }
        }
        self.literals.sort_by_key(|v| std::cmp::Reverse(v.len()));
    }

    /// A redacted copy of `result`.
    pub fn run_result(&self, result: &RunResult) -> RunResult {
        let mut this = self.clone();
        let mut copy = result.clone();
        // Signatures that must never appear, even with --reveal-tokens: DPoP proofs and client
        // assertions prove possession of a private key and could be replayed.
        for case in &mut copy.cases {
            for ex in &mut case.transcript {
                for sig in always_secret_signatures(ex) {
                    this.add_literal(&sig);
                }
                if !self.reveal_tokens {
                    for token in opaque_tokens(ex) {
                        this.add_literal(&token);
                    }
                }
                redact_headers(&mut ex.request.headers);
                if let Some(resp) = &mut ex.response {
                    redact_headers(&mut resp.headers);
                }
            }
        }
        let mut value = serde_json::to_value(&copy).expect("run result serializes");
        this.structure(&mut value, None);
        match serde_json::from_value(value) {
            Ok(r) => r,
            // Cannot happen: field names and enum values are left alone, strings stay strings.
            // Never hand back unredacted data if it does.
            Err(e) => panic!("redacted run result no longer deserializes: {e}"),
        }
    }

    /// Walks the serialized run result: field names and enum-valued fields (`verdict`,
    /// `level`) are schema, not data, and stay as they are (a secret that happens to equal
    /// `pass` must not break the report); free-form JSON (`actual`, token `header` and
    /// `claims`) is redacted keys and all.
    fn structure(&self, v: &mut Value, key: Option<&str>) {
        match v {
            Value::Object(map) => {
                for (k, v) in map.iter_mut() {
                    match k.as_str() {
                        "verdict" | "level" => {}
                        "actual" | "header" | "claims" => self.value(v, Some(k)),
                        _ => self.structure(v, Some(k)),
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|i| self.structure(i, key)),
            Value::String(_) => self.value(v, key),
            _ => {}
        }
    }

    /// Redacts every string in a JSON value; `key` is the member name holding it.
    pub fn value(&self, v: &mut Value, key: Option<&str>) {
        match v {
            Value::String(s) => {
                *s = match key.map(|k| k.to_ascii_lowercase()) {
                    Some(k) if is_secret_member(&k) => MASK.to_string(),
                    Some(k) if k == "client_assertion" || k == "dpop" => {
                        mask_signatures(&self.text(s), true)
                    }
                    _ => self.text(s),
                };
            }
            Value::Array(items) => items.iter_mut().for_each(|i| self.value(i, None)),
            Value::Object(map) => {
                let is_jwk = map.contains_key("kty");
                let old = std::mem::take(map);
                for (k, mut v) in old {
                    if is_jwk && PRIVATE_JWK_MEMBERS.contains(&k.as_str()) {
                        v = Value::String(MASK.into());
                    } else {
                        self.value(&mut v, Some(&k));
                    }
                    map.insert(self.text(&k), v);
                }
            }
            _ => {}
        }
    }

    /// Redacts one piece of free text (a body, a message, a URL, a header value).
    pub fn text(&self, s: &str) -> String {
        let out = self.text_once(s);
        if self.literals.is_empty() {
            return out;
        }
        // A secret may hide behind an encoding the literal forms do not cover: JSON `\u`
        // escapes, or percent-encoding of characters that need none. Decode and look again.
        if out.contains("\\u") {
            let decoded = unescape_u(&out);
            if self.literals.iter().any(|l| decoded.contains(l.as_str())) {
                return self.text_once(&decoded);
            }
        }
        if out.contains('%') {
            let decoded = percent_decode(&out);
            if self.literals.iter().any(|l| decoded.contains(l.as_str())) {
                return self.text_once(&decoded);
            }
        }
        out
    }

    fn text_once(&self, s: &str) -> String {
        let mut out = s.to_string();
        for lit in &self.literals {
            if out.contains(lit.as_str()) {
                out = out.replace(lit.as_str(), MASK);
            }
        }
        let out = PEM_PRIVATE.replace_all(&out, |c: &Captures| {
            format!("-----BEGIN {}PRIVATE KEY-----{MASK}", &c[1])
        });
        let out =
            FORM_SECRET.replace_all(&out, |c: &Captures| format!("{}{}={MASK}", &c[1], &c[2]));
        let out = FORM_ASSERTION.replace_all(&out, |c: &Captures| {
            format!("{}{}={}", &c[1], &c[2], mask_signatures(&c[3], true))
        });
        let out = JSON_SECRET.replace_all(&out, |c: &Captures| {
            format!(r#""{}"{}"{MASK}""#, &c[1], &c[2])
        });
        let out = if out.contains("\"kty\"") {
            JSON_JWK_PRIVATE.replace_all(&out, |c: &Captures| {
                format!(r#""{}"{}"{MASK}""#, &c[1], &c[2])
            })
        } else {
            out
        };
        let out = HEADER_LINE.replace_all(&out, |c: &Captures| {
            format!("{}{}", &c[1], header_mask(&c[2]))
        });
        mask_signatures(&out, !self.reveal_tokens)
    }
}

/// `\uXXXX` escapes (JSON, JavaScript) decoded; invalid ones kept.
fn unescape_u(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("\\u") {
        out.push_str(&rest[..i]);
        let hex = rest
            .get(i + 2..i + 6)
            .filter(|h| h.bytes().all(|b| b.is_ascii_hexdigit()));
        match hex
            .and_then(|h| u32::from_str_radix(h, 16).ok())
            .and_then(char::from_u32)
        {
            Some(c) => {
                out.push(c);
                rest = &rest[i + 6..];
            }
            None => {
                out.push_str("\\u");
                rest = &rest[i + 2..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// `%XX` sequences decoded (invalid ones kept), as lossy UTF-8.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn is_secret_member(lower: &str) -> bool {
    matches!(
        lower,
        "client_secret"
            | "password"
            | "private_key"
            | "code_verifier"
            | "authorization"
            | "proxy-authorization"
            | "cookie"
            | "set-cookie"
    )
}

/// Replaces the signature of every compact JWS in `s` when `mask` is set.
fn mask_signatures(s: &str, mask: bool) -> String {
    if !mask {
        return s.to_string();
    }
    let found = jwt::find_jws(s);
    if found.is_empty() {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    for f in found {
        if f.signature.is_empty() {
            continue;
        }
        out.push_str(&s[last..f.signature.start]);
        out.push_str(SIG_MASK);
        last = f.signature.end;
    }
    out.push_str(&s[last..]);
    out
}

/// Keeps an authentication scheme readable (`Bearer`, `DPoP`, `Basic`) and hides the rest.
fn header_mask(value: &str) -> String {
    match value.trim().split_once(' ') {
        Some((scheme, _)) if !scheme.is_empty() && scheme.len() < 20 && !scheme.contains('=') => {
            format!("{scheme} {MASK}")
        }
        _ => MASK.to_string(),
    }
}

/// Cookie names stay visible (they explain behaviour); values do not.
fn cookie_mask(value: &str, is_set_cookie: bool) -> String {
    let mut parts = Vec::new();
    for (i, part) in value.split(';').enumerate() {
        let masked = match part.split_once('=') {
            Some((name, _)) if i == 0 || !is_set_cookie => format!("{name}={MASK}"),
            _ => part.to_string(),
        };
        parts.push(masked);
    }
    parts.join(";")
}

fn redact_headers(headers: &mut [(String, String)]) {
    for (name, value) in headers.iter_mut() {
        match name.to_ascii_lowercase().as_str() {
            "authorization" | "proxy-authorization" => *value = header_mask(value),
            "cookie" => *value = cookie_mask(value, false),
            "set-cookie" => *value = cookie_mask(value, true),
            "dpop" => *value = mask_signatures(value, true),
            _ => {}
        }
    }
}

/// Signatures of DPoP proofs and client assertions in one exchange.
fn always_secret_signatures(ex: &Exchange) -> Vec<String> {
    let mut out = Vec::new();
    let mut take = |text: &str| {
        for f in jwt::find_jws(text) {
            if !f.signature.is_empty() {
                out.push(text[f.signature].to_string());
            }
        }
    };
    for (name, value) in &ex.request.headers {
        if name.eq_ignore_ascii_case("dpop") {
            take(value);
        }
    }
    if let Some(body) = &ex.request.body {
        for (k, v) in url::form_urlencoded::parse(body.as_bytes()) {
            if k == "client_assertion" {
                take(&v);
            }
        }
    }
    for t in &ex.tokens {
        let loc = t.location.to_ascii_lowercase();
        if loc.contains("client_assertion") || loc.contains("dpop") {
            take(&t.raw);
        }
    }
    out
}

/// Access and refresh tokens a response issued that are not JWSs (RFC 7662 handles, RFC 6749
/// refresh tokens). A JWT keeps its readable header and claims and loses its signature; an
/// opaque token has nothing readable and all of it is the credential, so it is removed
/// wherever it appears later (a `Bearer` header, an introspection request's `token=`).
fn opaque_tokens(ex: &Exchange) -> Vec<String> {
    let Some(body) = ex.response.as_ref().map(|r| r.body.as_str()) else {
        return Vec::new();
    };
    let Ok(Value::Object(doc)) = serde_json::from_str::<Value>(body) else {
        return Vec::new();
    };
    ["access_token", "refresh_token"]
        .iter()
        .filter_map(|k| doc.get(*k)?.as_str())
        .filter(|t| jwt::find_jws(t).is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn jws(sig: &str) -> String {
        format!(
            "{}.{}.{sig}",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"ES256","typ":"JWT"}"#),
            URL_SAFE_NO_PAD.encode(r#"{"sub":"alice","aud":"https://as-b"}"#)
        )
    }

    #[test]
    fn opaque_tokens_are_removed_everywhere_jwts_keep_their_claims() {
        let jwt = jws("c2lnbmF0dXJl");
        let body = format!(
            r#"{{"access_token":"h4ndle-0paque-xyz","refresh_token":"rt-0paque-abc","id":"{jwt}"}}"#
        );
        let ex = Exchange {
            response: Some(crate::transcript::RecordedResponse {
                status: 200,
                body,
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(opaque_tokens(&ex), ["h4ndle-0paque-xyz", "rt-0paque-abc"]);
        let jwt_body = format!(r#"{{"access_token":"{jwt}"}}"#);
        let ex = Exchange {
            response: Some(crate::transcript::RecordedResponse {
                body: jwt_body,
                ..Default::default()
            }),
            ..Default::default()
        };
        assert!(opaque_tokens(&ex).is_empty());
    }

    #[test]
    fn very_short_secrets_do_not_shred_text_but_long_ones_go() {
        let r = Redactor::new(
            &Secrets {
                values: vec!["s".into(), "longsecret".into()],
            },
            false,
        );
        let out = r.text("status: pass; key=longsecret");
        assert!(out.contains("status: pass"), "{out}");
        assert!(!out.contains("longsecret"), "{out}");
    }

    fn redactor(reveal: bool) -> Redactor {
        Redactor::new(
            &Secrets {
                values: vec!["s3cr3t!&x".into()],
            },
            reveal,
        )
    }

    #[test]
    fn secret_values_in_every_encoding() {
        let r = redactor(false);
        let text = r#"a s3cr3t!&x b s3cr3t%21%26x c "s3cr3t!&x""#;
        let out = r.text(text);
        assert!(!out.contains("s3cr3t"), "{out}");
    }

    #[test]
    fn secrets_behind_unusual_encodings() {
        let r = redactor(false);
        let out = r.text(r#"{"echo":"s3cr3t\u0021&x"}"#);
        assert_eq!(out, r#"{"echo":"[REDACTED]"}"#);
        let out = r.text("https://x/cb?e=s3cr3t%21%26%78");
        assert_eq!(out, "https://x/cb?e=[REDACTED]");
        assert_eq!(percent_decode("a%zz%4"), "a%zz%4");
        let out = r.text(r#"not json: s3cr3t\u0021\u0026x \uZZ"#);
        assert_eq!(out, r#"not json: [REDACTED] \uZZ"#);
    }

    #[test]
    fn form_and_json_fields() {
        let r = redactor(false);
        let out = r.text("grant_type=password&username=u&password=hunter2&client_secret=abc");
        assert_eq!(
            out,
            "grant_type=password&username=u&password=[REDACTED]&client_secret=[REDACTED]"
        );
        let out = r.text(r#"{"client_secret" : "abc\"def", "password":"pw"}"#);
        assert_eq!(
            out,
            r#"{"client_secret" : "[REDACTED]", "password":"[REDACTED]"}"#
        );
    }

    #[test]
    fn token_signatures_unless_revealed_but_assertions_always() {
        let t = jws("SIGNATURE1");
        let a = jws("ASSERTIONSIG");
        let body = format!("subject_token={t}&client_assertion={a}");
        let hidden = redactor(false).text(&body);
        assert!(
            !hidden.contains("SIGNATURE1") && !hidden.contains("ASSERTIONSIG"),
            "{hidden}"
        );
        assert!(
            hidden.contains(&t[..t.len() - 10]),
            "header and claims stay readable"
        );
        let shown = redactor(true).text(&body);
        assert!(
            shown.contains("SIGNATURE1") && !shown.contains("ASSERTIONSIG"),
            "{shown}"
        );
    }

    #[test]
    fn secrets_equal_to_schema_words_do_not_break_the_result() {
        use crate::run_result::*;
        use crate::verdict::{Level, Verdict};
        let words = ["pass", "MUST", "verdict", "level", "cases", "error"];
        let r = Redactor::new(
            &Secrets {
                values: words.map(String::from).to_vec(),
            },
            false,
        );
        let case = CaseResult {
            suite: "s".into(),
            case: "c".into(),
            title: "an error case that must pass".into(),
            party: crate::party::Party::Chain,
            blocked_by: None,
            requirements: vec![],
            level: Level::Must,
            verdict: Verdict::Pass,
            message: "verdict pass".into(),
            duration_ms: 1,
            not_run: false,
            checks: vec![CheckResult {
                description: "d".into(),
                requirement: "R".into(),
                level: Level::Must,
                verdict: Verdict::Pass,
                actual: serde_json::json!({"pass": "pass"}),
                expected: "== pass".into(),
                message: String::new(),
                source: None,
            }],
            transcript: vec![],
        };
        let run = RunResult {
            schema_version: 1,
            tool: ToolInfo::default(),
            profile: "p".into(),
            started_at: String::new(),
            finished_at: String::new(),
            duration_ms: 0,
            targets: Targets::default(),
            summary: Summary::of([&Verdict::Pass]),
            parties: vec![],
            interrupted: false,
            requirements: vec![],
            cases: vec![case],
            partition: None,
            fuzz: None,
        };
        let out = r.run_result(&run);
        assert_eq!(out.cases[0].verdict, Verdict::Pass);
        assert_eq!(out.cases[0].message, "[REDACTED] [REDACTED]");
        assert_eq!(
            out.cases[0].checks[0].actual,
            serde_json::json!({"[REDACTED]": "[REDACTED]"})
        );
    }

    #[test]
    fn headers_keep_scheme_and_cookie_names() {
        let mut h = vec![
            (
                "authorization".to_string(),
                "Basic Y2xpZW50OnNlY3JldA==".to_string(),
            ),
            ("cookie".to_string(), "sid=abc; theme=dark".to_string()),
            (
                "set-cookie".to_string(),
                "sid=abc; Path=/; HttpOnly".to_string(),
            ),
            ("dpop".to_string(), jws("PROOFSIG")),
        ];
        redact_headers(&mut h);
        assert_eq!(h[0].1, "Basic [REDACTED]");
        assert_eq!(h[1].1, "sid=[REDACTED]; theme=[REDACTED]");
        assert_eq!(h[2].1, "sid=[REDACTED]; Path=/; HttpOnly");
        assert!(!h[3].1.contains("PROOFSIG"));
    }

    #[test]
    fn private_keys_pem_and_jwk() {
        let r = redactor(true);
        let pem = "x -----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY----- y";
        assert_eq!(r.text(pem), "x -----BEGIN EC PRIVATE KEY-----[REDACTED] y");
        let jwk = r#"{"kty":"EC","crv":"P-256","x":"X1","y":"Y1","d":"PRIVATE"}"#;
        assert!(!r.text(jwk).contains("PRIVATE"));
        let mut v: Value = serde_json::from_str(jwk).unwrap();
        r.value(&mut v, None);
        assert_eq!(v["d"], MASK);
        assert_eq!(v["x"], "X1");
    }

    #[test]
    fn header_lines_in_free_text() {
        let out = redactor(true).text("GET / HTTP/1.1\nAuthorization: Bearer abc.def\nHost: x");
        assert_eq!(
            out,
            "GET / HTTP/1.1\nAuthorization: Bearer [REDACTED]\nHost: x"
        );
    }
}

//! Turning a [`FuzzRequest`] into HTTP bytes for one target (RFC 6749 §2.3.1, §3.2;
//! WHATWG form encoding), together with a log line that is identical across runs: target
//! values and secrets appear as `{placeholders}`, never as their run-specific values.

use crate::client_auth::{Client, apply_client_auth, tls_client};
use crate::fuzz::assertion::{GrantContext, RealGrant, json_str};
use crate::fuzz::request::{
    BodyEncoding, ClientAuth, ContentType, Endpoint, FuzzRequest, Method, TargetValue, Value,
};
use crate::fuzz::target::FuzzEndpoints;
use crate::suite::AuthMethod;

/// Signs grant mutations when no harness issuer is trusted (so they are forgeries).
static UNTRUSTED_KEY: std::sync::LazyLock<crate::harness::HarnessIssuer> =
    std::sync::LazyLock::new(|| {
        crate::harness::HarnessIssuer::from_seed(UNTRUSTED_ISSUER.into(), u64::MAX)
    });
const UNTRUSTED_ISSUER: &str = "https://untrusted.chainproof.invalid";

/// `token` with one character of its signature changed: the middle character of a JWS's
/// signature segment (never the last, whose low bits base64url decoders may ignore), else of
/// the whole (opaque) token.
fn forge_signature(token: &str) -> String {
    match token.rsplit_once('.') {
        Some((_, sig)) if sig.len() >= 8 && token.matches('.').count() == 2 => {
            crate::jose::tamper(token, 2)
        }
        _ => crate::jose::flip_middle(token),
    }
}

/// Whether the fuzzer can vary the client's credentials: a secret sent by a secret-based
/// method (RFC 6749 §2.3.1).
pub fn secret_based(c: &Client) -> bool {
    c.secret.is_some() && matches!(c.auth, AuthMethod::Basic | AuthMethod::Post)
}

/// A request ready to send.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
    /// The client whose certificate the TLS handshake presents (RFC 8705 mutual TLS).
    pub client_cert: Option<String>,
    /// Deterministic one-line description (no secrets, no run-specific values).
    pub log: String,
    /// The same request with `{placeholders}`, for replay files.
    pub template: Template,
}

/// A request with target values and secrets as `{placeholders}` (what replay files show).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Template {
    pub method: String,
    /// `{as_a_token_endpoint}` or `{as_b_token_endpoint}`, plus the query of a GET.
    pub url: String,
    pub headers: Vec<(String, String)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

/// Run-time values a rendering needs.
pub struct RenderContext<'a> {
    pub endpoints: &'a FuzzEndpoints,
    pub subject_token: &'a str,
    pub real_grant: Option<&'a RealGrant>,
    pub now: u64,
}

/// One piece of a value: literal text (encoded), a placeholder with its actual text
/// (encoded), or raw text (inserted verbatim).
enum Piece {
    Lit(String),
    Placeholder(String, String),
    Raw(String),
}

fn encode(s: &str, enc: BodyEncoding) -> String {
    match enc {
        BodyEncoding::Standard => url::form_urlencoded::byte_serialize(s.as_bytes()).collect(),
        BodyEncoding::PercentAll => s.bytes().map(|b| format!("%{b:02X}")).collect(),
        BodyEncoding::PercentAllLower => s.bytes().map(|b| format!("%{b:02x}")).collect(),
    }
}

/// Log text for literals: encoded, but capped so that a log line stays readable.
fn log_lit(s: &str, enc: BodyEncoding) -> String {
    let e = encode(s, enc);
    if e.len() > 200 {
        format!(
            "{{{} bytes:{}}}",
            s.len(),
            &encode(&s.chars().take(16).collect::<String>(), enc)
        )
    } else {
        e
    }
}

impl RenderContext<'_> {
    fn target(&self, which: TargetValue) -> (String, &'static str) {
        let e = self.endpoints;
        match which {
            TargetValue::SubjectToken => (self.subject_token.to_string(), "subject_token"),
            TargetValue::ForgedSubjectToken => {
                (forge_signature(self.subject_token), "forged_subject_token")
            }
            TargetValue::SubjectTokenType => {
                (e.facts.subject_token_type.clone(), "subject_token_type")
            }
            TargetValue::AsBIssuer => (e.as_b_issuer.clone(), "as_b_issuer"),
            TargetValue::AsBTokenEndpoint => (e.as_b_token_endpoint.clone(), "as_b_token_endpoint"),
            TargetValue::AsBAudience => {
                (e.as_b_audience.clone().unwrap_or_default(), "as_b_audience")
            }
            TargetValue::RsResource => (e.rs_resource.clone().unwrap_or_default(), "rs_resource"),
            TargetValue::HeldScope => (e.held_scope.clone().unwrap_or_default(), "held_scope"),
            TargetValue::EscalationScope => (
                e.escalation_scope.clone().unwrap_or_default(),
                "escalation_scope",
            ),
            TargetValue::RequestedTokenType => (
                e.facts.requested_token_type.clone().unwrap_or_default(),
                "requested_token_type",
            ),
        }
    }

    fn pieces(&self, v: &Value) -> Vec<Piece> {
        match v {
            Value::Empty => vec![],
            Value::Text { text } => vec![Piece::Lit(text.clone())],
            Value::Target { which, suffix } => {
                let (actual, name) = self.target(*which);
                vec![
                    Piece::Placeholder(format!("{{{name}}}"), actual),
                    Piece::Lit(suffix.clone()),
                ]
            }
            Value::Repeat {
                prefix,
                unit,
                count,
            } => vec![
                Piece::Lit(prefix.clone()),
                Piece::Placeholder(format!("{{{unit}*{count}}}"), unit.repeat(*count)),
            ],
            Value::Raw { raw } => vec![Piece::Raw(raw.clone())],
            Value::Assertion { grant } => {
                // Without harness-issuer mode, "signed" mutations use a key nobody trusts.
                let (key, issuer, subject) = match &self.endpoints.harness {
                    Some(h) => (&*h.issuer, h.issuer.issuer.as_str(), h.subject.as_str()),
                    None => (&*UNTRUSTED_KEY, UNTRUSTED_ISSUER, ""),
                };
                let jws = grant.render(&GrantContext {
                    key,
                    foreign: &UNTRUSTED_KEY,
                    harness_issuer: issuer,
                    subject,
                    as_b_issuer: &self.endpoints.as_b_issuer,
                    as_b_token_endpoint: &self.endpoints.as_b_token_endpoint,
                    real: self.real_grant,
                    typ: self.endpoints.grant_typ.as_deref(),
                    client_id: Some(
                        &self
                            .endpoints
                            .client_b
                            .as_ref()
                            .unwrap_or(&self.endpoints.client_a)
                            .id,
                    ),
                    now: self.now,
                    jti: uuid::Uuid::new_v4().to_string(),
                });
                vec![Piece::Placeholder(
                    format!("{{assertion:{}}}", grant.describe()),
                    jws,
                )]
            }
        }
    }

    /// Value as sent (encoded for a form) and as logged.
    fn form_value(&self, v: &Value, enc: BodyEncoding) -> (String, String) {
        let (mut actual, mut log) = (String::new(), String::new());
        for p in self.pieces(v) {
            match p {
                Piece::Lit(s) => {
                    actual.push_str(&encode(&s, enc));
                    log.push_str(&log_lit(&s, enc));
                }
                Piece::Placeholder(name, s) => {
                    actual.push_str(&encode(&s, enc));
                    log.push_str(&name);
                }
                Piece::Raw(s) => {
                    actual.push_str(&s);
                    log.push_str(&s);
                }
            }
        }
        (actual, log)
    }

    /// Value as a plain string (JSON bodies) and as logged.
    fn plain_value(&self, v: &Value) -> (String, String) {
        let (mut actual, mut log) = (String::new(), String::new());
        for p in self.pieces(v) {
            match p {
                Piece::Lit(s) | Piece::Raw(s) => {
                    log.push_str(&log_lit(&s, BodyEncoding::Standard));
                    actual.push_str(&s);
                }
                Piece::Placeholder(name, s) => {
                    actual.push_str(&s);
                    log.push_str(&name);
                }
            }
        }
        (actual, log)
    }

    pub fn render(&self, req: &FuzzRequest) -> Rendered {
        let e = self.endpoints;
        let (url, creds, who, issuer) = match req.endpoint {
            Endpoint::Exchange => (
                &e.as_a_token_endpoint,
                Some(&e.client_a),
                "client_a",
                &e.as_a_issuer,
            ),
            Endpoint::Assertion => (
                &e.as_b_token_endpoint,
                e.client_b.as_ref(),
                "client_b",
                &e.as_b_issuer,
            ),
        };
        let (id, secret) = creds
            .map(|c| (c.id.clone(), c.secret.clone().unwrap_or_default()))
            .unwrap_or_default();
        let mut headers = Vec::new();
        let mut log_headers = Vec::new();
        let mut fields: Vec<(String, String, String)> = Vec::new(); // name, actual, log (unencoded for JSON)
        let mut client_cert = None;
        let mut auth_label = format!("{:?}", req.client_auth);
        // A client the fuzzer holds no secret-based method for (private_key_jwt, mutual TLS)
        // authenticates as registered, through the runner's client authentication, where a
        // request carries the client's own credentials; the other variants (wrong, missing,
        // malformed, doubled credentials) stay as they are, and authenticate nobody.
        let registered = creds
            .filter(|c| !secret_based(c))
            .filter(|_| matches!(req.client_auth, ClientAuth::Basic | ClientAuth::Post));
        if let Some(c) = registered {
            let mut form = Vec::new();
            apply_client_auth(&mut form, &mut headers, Some(c), c.auth, issuer);
            for (name, actual) in form {
                let log = match name.as_str() {
                    "client_id" => format!("{{{who}_id}}"),
                    "client_assertion" => format!("{{{who}_assertion}}"),
                    _ => actual.clone(),
                };
                fields.push((name, actual, log));
            }
            log_headers.extend(headers.iter().map(|(k, _)| format!("{k}={{{who}}}")));
            client_cert = tls_client(Some(c), c.auth);
            auth_label = format!("{:?}", c.auth);
        }
        let basic = crate::oauth::basic_authorization;
        let body_creds =
            |fields: &mut Vec<(String, String, String)>, secret: &str, secret_log: &str| {
                fields.push(("client_id".into(), id.clone(), format!("{{{who}_id}}")));
                fields.push((
                    "client_secret".into(),
                    secret.to_string(),
                    secret_log.to_string(),
                ));
            };
        match req.client_auth {
            _ if registered.is_some() => {}
            ClientAuth::None => {}
            ClientAuth::Basic => {
                headers.push(("authorization".into(), basic(&id, &secret)));
                log_headers.push(format!("authorization=Basic({{{who}}})"));
            }
            ClientAuth::BasicWrongSecret => {
                headers.push((
                    "authorization".into(),
                    basic(&id, "chainproof-wrong-secret"),
                ));
                log_headers.push(format!("authorization=Basic({{{who}_id}}:wrong)"));
            }
            ClientAuth::BasicMalformed => {
                headers.push(("authorization".into(), "Basic !!not-base64!!".into()));
                log_headers.push("authorization=Basic(!!not-base64!!)".into());
            }
            ClientAuth::Post => body_creds(&mut fields, &secret, &format!("{{{who}_secret}}")),
            ClientAuth::PostWrongSecret => {
                body_creds(&mut fields, "chainproof-wrong-secret", "wrong")
            }
            ClientAuth::PostIdOnly => {
                fields.push(("client_id".into(), id.clone(), format!("{{{who}_id}}")))
            }
            ClientAuth::UnknownClient => {
                fields.push((
                    "client_id".into(),
                    "chainproof-unknown-client".into(),
                    "unknown-client".into(),
                ));
                fields.push((
                    "client_secret".into(),
                    "chainproof-wrong-secret".into(),
                    "wrong".into(),
                ));
            }
            ClientAuth::BasicAndPost => {
                headers.push(("authorization".into(), basic(&id, &secret)));
                log_headers.push(format!("authorization=Basic({{{who}}})"));
                body_creds(&mut fields, &secret, &format!("{{{who}_secret}}"));
            }
        }
        let json = req.content_type == ContentType::Json && req.method == Method::Post;
        // Body credentials go first, then the generated parameters in order.
        let mut form_actual = Vec::new();
        let mut form_log = Vec::new();
        let mut json_actual = Vec::new();
        let mut json_log = Vec::new();
        for (name, actual, log) in &fields {
            form_actual.push(format!(
                "{}={}",
                encode(name, req.encoding),
                encode(actual, req.encoding)
            ));
            form_log.push(format!("{}={}", encode(name, req.encoding), log));
            json_actual.push(format!("{}:{}", json_str(name), json_str(actual)));
            json_log.push(format!("{}:{}", json_str(name), json_str(log)));
        }
        for p in &req.params {
            if json {
                let (actual, log) = self.plain_value(&p.value);
                json_actual.push(format!("{}:{}", json_str(&p.name), json_str(&actual)));
                json_log.push(format!("{}:{}", json_str(&p.name), json_str(&log)));
            } else {
                let (actual, log) = self.form_value(&p.value, req.encoding);
                form_actual.push(format!("{}={}", encode(&p.name, req.encoding), actual));
                form_log.push(format!("{}={}", log_lit(&p.name, req.encoding), log));
            }
        }
        let (body_actual, body_log) = if json {
            (
                format!("{{{}}}", json_actual.join(",")),
                format!("{{{}}}", json_log.join(",")),
            )
        } else {
            (form_actual.join("&"), form_log.join("&"))
        };
        let url_name = match req.endpoint {
            Endpoint::Exchange => "{as_a_token_endpoint}",
            Endpoint::Assertion => "{as_b_token_endpoint}",
        };
        let mut template = Template {
            method: String::new(),
            url: url_name.into(),
            headers: log_headers
                .iter()
                .filter_map(|h| h.split_once('='))
                .map(|(k, v)| {
                    (
                        k.to_string(),
                        v.replacen('(', " ", 1).trim_end_matches(')').to_string(),
                    )
                })
                .collect(),
            body: None,
        };
        let (url, body) = match req.method {
            Method::Post => {
                if let Some(ct) = req.content_type.header() {
                    headers.push(("content-type".into(), ct.into()));
                    template.headers.push(("content-type".into(), ct.into()));
                }
                template.body = Some(body_log.clone());
                (url.clone(), Some(body_actual.into_bytes()))
            }
            Method::Get => {
                let sep = if url.contains('?') { '&' } else { '?' };
                template.url = format!("{url_name}?{body_log}");
                (format!("{url}{sep}{body_actual}"), None)
            }
        };
        let method = match req.method {
            Method::Post => "POST",
            Method::Get => "GET",
        };
        template.method = method.into();
        let ct = if req.method == Method::Post {
            format!("{:?}", req.content_type)
        } else {
            "-".into()
        };
        let log = format!(
            "{} {} ct={} enc={:?} auth={auth_label}{}{} {}",
            req.endpoint,
            method,
            ct,
            req.encoding,
            if log_headers.is_empty() { "" } else { " " },
            log_headers.join(" "),
            body_log
        );
        Rendered {
            method: req.method,
            url,
            headers,
            body,
            client_cert,
            log: log.replace(['\n', '\r'], " "),
            template,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzz::request::Param;
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;

    fn endpoints() -> FuzzEndpoints {
        FuzzEndpoints {
            as_a_issuer: "http://127.0.0.1:1".into(),
            as_a_token_endpoint: "http://127.0.0.1:1/token".into(),
            as_b_issuer: "http://127.0.0.1:2".into(),
            as_b_token_endpoint: "http://127.0.0.1:2/token".into(),
            as_b_audience: Some("urn:b".into()),
            rs_resource: None,
            client_a: Client::basic("c", "s3cret"),
            client_b: None,
            held_scope: Some("read".into()),
            escalation_scope: None,
            harness: None,
            grant_typ: None,
            facts: crate::fuzz::model::ModelFacts::lenient(),
        }
    }

    fn context<'a>(endpoints: &'a FuzzEndpoints, subject_token: &'a str) -> RenderContext<'a> {
        RenderContext {
            endpoints,
            subject_token,
            real_grant: None,
            now: 0,
        }
    }

    #[test]
    fn baseline_exchange_renders_form_with_basic_auth() {
        let e = endpoints();
        let ctx = context(&e, "SUBJ");
        let r = ctx.render(&FuzzRequest::baseline(Endpoint::Exchange));
        let body = String::from_utf8(r.body.unwrap()).unwrap();
        assert_eq!(
            body,
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange&subject_token=SUBJ\
             &subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Aaccess_token&resource=http%3A%2F%2F127.0.0.1%3A2"
        );
        assert!(r.headers.contains(&(
            "authorization".into(),
            format!("Basic {}", STANDARD.encode("c:s3cret"))
        )));
        assert!(
            !r.log.contains("SUBJ") && !r.log.contains("s3cret") && !r.log.contains("127.0.0.1"),
            "{}",
            r.log
        );
        assert!(r.log.contains("subject_token={subject_token}"), "{}", r.log);
        let t = &r.template;
        assert_eq!(t.method, "POST");
        assert_eq!(t.url, "{as_a_token_endpoint}");
        assert!(
            t.headers
                .contains(&("authorization".into(), "Basic {client_a}".into())),
            "{t:?}"
        );
        assert!(
            t.body
                .as_deref()
                .unwrap()
                .contains("subject_token={subject_token}"),
            "{t:?}"
        );
    }

    #[test]
    fn percent_all_and_raw_values() {
        let e = endpoints();
        let ctx = context(&e, "S");
        let mut req = FuzzRequest::baseline(Endpoint::Exchange);
        req.encoding = BodyEncoding::PercentAll;
        req.client_auth = ClientAuth::Post;
        req.params = vec![
            Param::new("a", Value::text("b c")),
            Param::new("x", Value::Raw { raw: "%zz".into() }),
        ];
        let body = String::from_utf8(ctx.render(&req).body.unwrap()).unwrap();
        assert!(body.ends_with("&%61=%62%20%63&%78=%zz"), "{body}");
        assert!(
            body.starts_with("%63%6C%69%65%6E%74%5F%69%64=%63&"),
            "{body}"
        );
    }

    #[test]
    fn get_puts_parameters_in_the_query() {
        let e = endpoints();
        let ctx = context(&e, "S");
        let mut req = FuzzRequest::baseline(Endpoint::Exchange);
        req.method = Method::Get;
        let r = ctx.render(&req);
        assert!(r.body.is_none());
        assert!(r.url.starts_with("http://127.0.0.1:1/token?grant_type="));
    }

    #[test]
    fn forged_subject_token_changes_a_signature_character() {
        let jws = format!("aGVhZA.Ym9keQ.{}", "Q".repeat(86));
        let forged = forge_signature(&jws);
        assert_ne!(forged, jws);
        assert_eq!(forged.len(), jws.len());
        let (signed, sig) = forged.rsplit_once('.').unwrap();
        assert_eq!(signed, "aGVhZA.Ym9keQ");
        // Neither end of the segment: every bit of the changed character is decoded.
        assert_eq!(sig.find('A'), Some(43));
        let opaque = forge_signature("opaque-token-value");
        assert_ne!(opaque, "opaque-token-value");
        assert_eq!(opaque.len(), "opaque-token-value".len());
    }
}

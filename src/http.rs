//! The harness's HTTP client: no redirects followed (a 3xx is what checks see), a per-request
//! timeout, response bodies read chunk by chunk up to a cap, and every exchange recorded
//! (`transcript::Exchange`) with the JWTs it carried decoded.

use crate::jose::{Jws, decode_jwt_like};
use crate::tls::{TlsOptions, origin};
use crate::transcript::{DecodedToken, Exchange, RecordedRequest, RecordedResponse};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// (index into `TlsOptions::roots`, client id): which TLS client serves a request.
type TlsKey = (Option<usize>, Option<String>);

#[derive(Debug, Clone)]
pub struct Http {
    client: reqwest::Client,
    /// Clients for a role's CA bundle and/or a client certificate, keyed by
    /// (index into `TlsOptions::roots`, client id). Connections are pooled per client, so a
    /// certificate presented on one request never carries over to another client's.
    tls_clients: Arc<HashMap<TlsKey, reqwest::Client>>,
    /// Origin → index of the role whose CA bundle verifies it.
    role_origins: Arc<RwLock<HashMap<String, usize>>>,
    pub timeout: Duration,
    pub max_bytes: usize,
    /// Server certificates are not verified (`--insecure`).
    pub insecure: bool,
}

/// A request to send.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
    /// Present this client's certificate in the TLS handshake (RFC 8705 mutual TLS).
    pub client_cert: Option<String>,
}

/// A received response (the body possibly cut at the cap).
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub truncated: bool,
    pub elapsed_ms: u64,
    /// Unix seconds when the response arrived.
    pub received_at: i64,
}

impl Response {
    /// The value of header `name` (lower case; repeated headers arrive joined by `, `).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of header `name` (lower case).
    pub fn headers_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

impl Http {
    pub fn new(timeout: Duration, max_bytes: usize) -> Http {
        Http::with_tls(timeout, max_bytes, &TlsOptions::default())
            .expect("reqwest client builds with rustls")
    }

    /// A client verifying servers as `tls` says, able to present each configured client
    /// certificate. The error names the role or client whose TLS material was refused.
    pub fn with_tls(timeout: Duration, max_bytes: usize, tls: &TlsOptions) -> Result<Http, String> {
        let build = |roots: Option<usize>, cert: Option<&crate::tls::ClientCert>| {
            let mut b = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .connect_timeout(timeout)
                .timeout(timeout)
                .user_agent(concat!("chainproof/", env!("CARGO_PKG_VERSION")))
                .tls_danger_accept_invalid_certs(tls.insecure);
            if let Some(i) = roots {
                b = b.tls_certs_merge(tls.roots[i].certs.clone());
            }
            if let Some(c) = cert {
                b = b.identity(c.identity.clone());
            }
            b.build().map_err(|e| {
                let what = match (roots, cert) {
                    (_, Some(c)) => format!("client `{}` certificate", c.client_id),
                    (Some(i), None) => {
                        format!("[{}] ca_file {}", tls.roots[i].role, tls.roots[i].file)
                    }
                    (None, None) => "default TLS settings".into(),
                };
                format!("cannot use {what}: {}", error_chain(&e))
            })
        };
        let client = build(None, None)?;
        let mut tls_clients = HashMap::new();
        let mut role_origins = HashMap::new();
        for (i, r) in tls.roots.iter().enumerate() {
            tls_clients.insert((Some(i), None), build(Some(i), None)?);
            for o in &r.origins {
                role_origins.insert(o.clone(), i);
            }
        }
        for c in &tls.identities {
            tls_clients.insert((None, Some(c.client_id.clone())), build(None, Some(c))?);
            for i in 0..tls.roots.len() {
                tls_clients.insert(
                    (Some(i), Some(c.client_id.clone())),
                    build(Some(i), Some(c))?,
                );
            }
        }
        Ok(Http {
            client,
            tls_clients: Arc::new(tls_clients),
            role_origins: Arc::new(RwLock::new(role_origins)),
            timeout,
            max_bytes,
            insecure: tls.insecure,
        })
    }

    /// `url` is served by the role whose CA bundle is `TlsOptions::roots[..]` named `role`
    /// (a discovered endpoint on another host than the issuer).
    pub fn trust_for_role(&self, role: &str, url: &str, tls: &TlsOptions) {
        let (Some(i), Some(o)) = (tls.roots.iter().position(|r| r.role == role), origin(url))
        else {
            return;
        };
        if let Ok(mut map) = self.role_origins.write() {
            map.entry(o).or_insert(i);
        }
    }

    /// The client for a URL and an optional client certificate.
    fn client_for(&self, url: &str, cert: Option<&str>) -> Result<&reqwest::Client, String> {
        let role = origin(url).and_then(|o| {
            self.role_origins
                .read()
                .ok()
                .and_then(|m| m.get(&o).copied())
        });
        if role.is_none() && cert.is_none() {
            return Ok(&self.client);
        }
        self.tls_clients
            .get(&(role, cert.map(str::to_string)))
            .ok_or_else(|| {
                format!(
                    "client `{}` has no TLS client certificate (tls_cert_file, tls_key_file)",
                    cert.unwrap_or_default()
                )
            })
    }

    /// Send and record. The `Err` is a precise reason no (complete) response was obtained.
    pub async fn send(&self, step: &str, req: Request) -> (Exchange, Result<Response, String>) {
        let started = Instant::now();
        let result = self.fetch(&req).await;
        let duration_ms = started.elapsed().as_millis() as u64;
        let exchange = self.record(step, &req, result.as_ref(), duration_ms);
        (exchange, result)
    }

    /// Send without recording: the fuzzer's hot path, which builds a transcript
    /// ([`Http::record`]) only for the few requests a report shows. `elapsed_ms` is set.
    pub async fn fetch(&self, req: &Request) -> Result<Response, String> {
        let started = Instant::now();
        let result =
            match tokio::time::timeout(self.timeout + Duration::from_secs(1), self.send_inner(req))
                .await
            {
                Ok(r) => r,
                Err(_) => Err(format!(
                    "no complete response within {} s (request timeout)",
                    self.timeout.as_secs()
                )),
            };
        result.map(|mut r| {
            r.elapsed_ms = started.elapsed().as_millis() as u64;
            r
        })
    }

    /// The transcript entry for `req` sent under `step` and what came of it, with the JWTs
    /// it carried decoded (redaction happens at report time).
    pub fn record(
        &self,
        step: &str,
        req: &Request,
        result: Result<&Response, &String>,
        duration_ms: u64,
    ) -> Exchange {
        let mut exchange = Exchange {
            step: step.to_string(),
            request: RecordedRequest {
                method: req.method.clone(),
                url: req.url.clone(),
                headers: req
                    .headers
                    .iter()
                    .map(|(k, v)| (k.to_ascii_lowercase(), v.clone()))
                    .collect(),
                body: req.body.clone(),
            },
            duration_ms,
            tokens: request_tokens(req),
            ..Exchange::default()
        };
        match result {
            Ok(resp) => {
                exchange.response = Some(RecordedResponse {
                    status: resp.status,
                    headers: resp.headers.clone(),
                    body: resp.body.clone(),
                    truncated: resp.truncated,
                });
                exchange.tokens.extend(response_tokens(&resp.body));
                if resp.truncated {
                    exchange.error = Some(format!(
                        "response body exceeded the {}-byte cap and was cut",
                        self.max_bytes
                    ));
                }
            }
            Err(e) => exchange.error = Some(e.clone()),
        }
        exchange
    }

    async fn send_inner(&self, req: &Request) -> Result<Response, String> {
        let method = reqwest::Method::from_bytes(req.method.as_bytes())
            .map_err(|e| format!("invalid method {:?}: {e}", req.method))?;
        let client = self.client_for(&req.url, req.client_cert.as_deref())?;
        // Per request, so a copy of this client with another `timeout` (fuzz `--timeout`)
        // keeps its pooled connections and TLS settings.
        let mut builder = client.request(method, &req.url).timeout(self.timeout);
        for (k, v) in &req.headers {
            builder = builder.header(k, v);
        }
        if let Some(b) = &req.body {
            builder = builder.body(b.clone());
        }
        let mut resp = builder
            .send()
            .await
            .map_err(|e| describe(&e, self.timeout))?;
        let status = resp.status().as_u16();
        let mut headers: Vec<(String, String)> = Vec::new();
        for (k, v) in resp.headers() {
            let value = String::from_utf8_lossy(v.as_bytes()).into_owned();
            match headers.iter_mut().find(|(n, _)| n == k.as_str()) {
                Some((_, existing)) => {
                    existing.push_str(", ");
                    existing.push_str(&value);
                }
                None => headers.push((k.as_str().to_string(), value)),
            }
        }
        let mut body = Vec::new();
        let mut truncated = false;
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    let room = self.max_bytes.saturating_sub(body.len());
                    if chunk.len() > room {
                        body.extend_from_slice(&chunk[..room]);
                        truncated = true;
                        break;
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(e) => {
                    return Err(format!(
                        "status {status} received, then the body failed: {}",
                        describe(&e, self.timeout)
                    ));
                }
            }
        }
        Ok(Response {
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
            truncated,
            elapsed_ms: 0,
            received_at: unix_now(),
        })
    }
}

fn error_chain(e: &reqwest::Error) -> String {
    let mut chain = Vec::new();
    let mut src: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(s) = src {
        chain.push(s.to_string());
        src = s.source();
    }
    if chain.is_empty() {
        e.to_string()
    } else {
        chain.join(": ")
    }
}

/// A precise, one-line reason for a transport failure.
fn describe(e: &reqwest::Error, timeout: Duration) -> String {
    let detail = error_chain(e);
    if let Some(problem) = crate::tls::certificate_problem(e) {
        format!("{problem} ({detail})")
    } else if e.is_timeout() {
        format!(
            "no complete response within {} s (request timeout)",
            timeout.as_secs()
        )
    } else if e.is_connect() {
        format!("connection failed: {detail}")
    } else if detail.to_ascii_lowercase().contains("reset") {
        format!("connection reset by the server: {detail}")
    } else if e.is_body() || e.is_decode() {
        format!("malformed response body: {detail}")
    } else {
        format!("HTTP exchange failed: {detail}")
    }
}

fn decoded(location: String, raw: &str, jws: Jws) -> DecodedToken {
    DecodedToken {
        location,
        raw: raw.to_string(),
        header: Some(jws.header),
        claims: Some(jws.claims),
    }
}

fn request_tokens(req: &Request) -> Vec<DecodedToken> {
    let mut out = Vec::new();
    for (k, v) in &req.headers {
        let value = v.split_whitespace().last().unwrap_or_default();
        if let Some(jws) = decode_jwt_like(value) {
            out.push(decoded(
                format!("request.header.{}", k.to_ascii_lowercase()),
                value,
                jws,
            ));
        }
    }
    if let Some(body) = &req.body {
        for (k, v) in url::form_urlencoded::parse(body.as_bytes()) {
            if let Some(jws) = decode_jwt_like(&v) {
                out.push(decoded(format!("request.{k}"), &v, jws));
            }
        }
    }
    out
}

fn response_tokens(body: &str) -> Vec<DecodedToken> {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(body) else {
        return Vec::new();
    };
    map.iter()
        .filter_map(|(k, v)| {
            let s = v.as_str()?;
            decode_jwt_like(s).map(|jws| decoded(format!("response.{k}"), s, jws))
        })
        .collect()
}

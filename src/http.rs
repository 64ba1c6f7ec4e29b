//! The harness's HTTP client: no redirects followed (a 3xx is what checks see), a per-request
//! timeout, response bodies read chunk by chunk up to a cap, and every exchange recorded
//! (`transcript::Exchange`) with the JWTs it carried decoded.

use crate::jose::{Jws, looks_like_jwt};
use crate::transcript::{DecodedToken, Exchange, RecordedRequest, RecordedResponse};
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
pub struct Http {
    client: reqwest::Client,
    pub timeout: Duration,
    pub max_bytes: usize,
}

/// A request to send.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
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

pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

impl Http {
    pub fn new(timeout: Duration, max_bytes: usize) -> Http {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(timeout)
            .timeout(timeout)
            .user_agent(concat!("chainproof/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("reqwest client builds with rustls");
        Http {
            client,
            timeout,
            max_bytes,
        }
    }

    /// Send and record. The `Err` is a precise reason no (complete) response was obtained.
    pub async fn send(&self, step: &str, req: Request) -> (Exchange, Result<Response, String>) {
        let started = Instant::now();
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
            ..Exchange::default()
        };
        exchange.tokens = request_tokens(&req);
        let result = match tokio::time::timeout(
            self.timeout + Duration::from_secs(1),
            self.send_inner(&req),
        )
        .await
        {
            Ok(r) => r,
            Err(_) => Err(format!(
                "no complete response within {} s (request timeout)",
                self.timeout.as_secs()
            )),
        };
        exchange.duration_ms = started.elapsed().as_millis() as u64;
        match &result {
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
        (
            exchange,
            result.map(|mut r| {
                r.elapsed_ms = started.elapsed().as_millis() as u64;
                r
            }),
        )
    }

    async fn send_inner(&self, req: &Request) -> Result<Response, String> {
        let method = reqwest::Method::from_bytes(req.method.as_bytes())
            .map_err(|e| format!("invalid method {:?}: {e}", req.method))?;
        let mut builder = self.client.request(method, &req.url);
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

/// A precise, one-line reason for a transport failure.
fn describe(e: &reqwest::Error, timeout: Duration) -> String {
    let mut chain = Vec::new();
    let mut src: Option<&dyn std::error::Error> = std::error::Error::source(e);
    while let Some(s) = src {
        chain.push(s.to_string());
        src = s.source();
    }
    let detail = if chain.is_empty() {
        e.to_string()
    } else {
        chain.join(": ")
    };
    if e.is_timeout() {
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

fn decoded(location: String, raw: &str) -> DecodedToken {
    let jws = Jws::decode(raw);
    DecodedToken {
        location,
        raw: raw.to_string(),
        header: jws.as_ref().map(|j| j.header.clone()),
        claims: jws.map(|j| j.claims),
    }
}

fn request_tokens(req: &Request) -> Vec<DecodedToken> {
    let mut out = Vec::new();
    for (k, v) in &req.headers {
        let value = v.split_whitespace().last().unwrap_or_default();
        if looks_like_jwt(value) {
            out.push(decoded(
                format!("request.header.{}", k.to_ascii_lowercase()),
                value,
            ));
        }
    }
    if let Some(body) = &req.body {
        for (k, v) in url::form_urlencoded::parse(body.as_bytes()) {
            if looks_like_jwt(&v) {
                out.push(decoded(format!("request.{k}"), &v));
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
            v.as_str()
                .filter(|s| looks_like_jwt(s))
                .map(|s| decoded(format!("response.{k}"), s))
        })
        .collect()
}

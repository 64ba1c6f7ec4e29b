//! Sending rendered requests: a reqwest client that never follows redirects, caps response
//! bodies, times out, and paces requests to `--rate` per second.

use crate::fuzz::render::Rendered;
use crate::fuzz::request::Method;
use crate::transcript::{Exchange, RecordedRequest, RecordedResponse};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

/// Largest response body kept (bytes); the rest is discarded and marked truncated.
pub const BODY_CAP: usize = 256 * 1024;

/// A response as the oracles see it.
#[derive(Debug, Clone, Default)]
pub struct Response {
    pub status: u16,
    /// Lower-case names.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    pub truncated: bool,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
    pub fn headers_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What happened to one request.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub response: Option<Response>,
    /// Connection error, timeout, reset... (no response).
    pub transport_error: Option<String>,
    pub latency: Duration,
}

/// Spaces requests at least `1/rate` seconds apart, across concurrent senders.
#[derive(Debug)]
pub struct RateLimiter {
    interval: Duration,
    next: Mutex<Instant>,
}

impl RateLimiter {
    pub fn new(per_second: f64) -> Option<RateLimiter> {
        (per_second > 0.0 && per_second.is_finite()).then(|| RateLimiter {
            interval: Duration::from_secs_f64(1.0 / per_second),
            next: Mutex::new(Instant::now()),
        })
    }

    pub async fn acquire(&self) {
        let slot = {
            let mut next = self.next.lock().await;
            let now = Instant::now();
            let slot = (*next).max(now);
            *next = slot + self.interval;
            slot
        };
        tokio::time::sleep_until(slot.into()).await;
    }
}

pub struct Sender {
    client: reqwest::Client,
    limiter: Option<RateLimiter>,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot build the HTTP client: {0}")]
pub struct ClientError(#[from] reqwest::Error);

impl Sender {
    pub fn new(timeout: Duration, rate: Option<f64>) -> Result<Sender, ClientError> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .pool_max_idle_per_host(64)
            .build()?;
        Ok(Sender {
            client,
            limiter: rate.and_then(RateLimiter::new),
        })
    }

    pub async fn send(&self, r: &Rendered) -> Outcome {
        if let Some(l) = &self.limiter {
            l.acquire().await;
        }
        let start = Instant::now();
        let method = match r.method {
            Method::Post => reqwest::Method::POST,
            Method::Get => reqwest::Method::GET,
        };
        let mut rb = self.client.request(method, &r.url);
        for (k, v) in &r.headers {
            rb = rb.header(k, v);
        }
        if let Some(b) = &r.body {
            rb = rb.body(b.clone());
        }
        let result = async {
            let mut resp = rb.send().await?;
            let status = resp.status().as_u16();
            let headers = resp
                .headers()
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().to_ascii_lowercase(),
                        String::from_utf8_lossy(v.as_bytes()).into_owned(),
                    )
                })
                .collect();
            let mut body = Vec::new();
            let mut truncated = false;
            while let Some(chunk) = resp.chunk().await? {
                let room = BODY_CAP.saturating_sub(body.len());
                if chunk.len() > room {
                    body.extend_from_slice(&chunk[..room]);
                    truncated = true;
                    break;
                }
                body.extend_from_slice(&chunk);
            }
            Ok::<_, reqwest::Error>(Response {
                status,
                headers,
                body,
                truncated,
            })
        }
        .await;
        let latency = start.elapsed();
        match result {
            Ok(response) => Outcome {
                response: Some(response),
                transport_error: None,
                latency,
            },
            Err(e) => Outcome {
                response: None,
                transport_error: Some(describe(&e)),
                latency,
            },
        }
    }
}

fn describe(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connection error"
    } else if e.is_body() || e.is_decode() {
        "response body error"
    } else {
        "request error"
    };
    let mut msg = kind.to_string();
    let mut src = std::error::Error::source(e);
    while let Some(s) = src {
        msg = format!("{msg}: {s}");
        src = s.source();
    }
    msg
}

/// The transcript entry for one request and its outcome.
pub fn transcript(step: &str, r: &Rendered, o: &Outcome) -> Exchange {
    Exchange {
        step: step.to_string(),
        request: RecordedRequest {
            method: match r.method {
                Method::Post => "POST".into(),
                Method::Get => "GET".into(),
            },
            url: r.url.clone(),
            headers: r.headers.clone(),
            body: r
                .body
                .as_ref()
                .map(|b| String::from_utf8_lossy(b).into_owned()),
        },
        response: o.response.as_ref().map(|resp| RecordedResponse {
            status: resp.status,
            headers: resp.headers.clone(),
            body: String::from_utf8_lossy(&resp.body).into_owned(),
            truncated: resp.truncated,
        }),
        error: o.transport_error.clone(),
        duration_ms: o.latency.as_millis() as u64,
        tokens: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn rate_limiter_spaces_requests() {
        let l = RateLimiter::new(50.0).unwrap();
        let start = Instant::now();
        for _ in 0..6 {
            l.acquire().await;
        }
        // 6 slots at 20 ms spacing: the last starts at >= 100 ms.
        assert!(
            start.elapsed() >= Duration::from_millis(95),
            "{:?}",
            start.elapsed()
        );
        assert!(RateLimiter::new(0.0).is_none());
    }
}

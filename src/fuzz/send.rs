//! Sending rendered requests through the runner's [`Http`] client (its timeout, its
//! `limits.max_response_bytes` cap, its TLS settings, no redirects), paced to `--rate`.

use crate::fuzz::render::Rendered;
use crate::fuzz::request::Method;
use crate::http::{Http, Request};
use crate::transcript::Exchange;
use std::path::Path;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

pub use crate::http::Response;

/// What happened to one request.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub response: Option<Response>,
    /// Connection error, timeout, reset... (no response).
    pub transport_error: Option<String>,
    pub latency: Duration,
    /// The request as sent: its transcript ([`Sender::transcript`]) is built only for the
    /// requests a report shows, not for every request of a run.
    pub request: Request,
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

/// One line of `--record`, serialised from borrowed parts (no copy of the request): members
/// in the order a `serde_json` object would sort them.
#[derive(serde::Serialize)]
struct RecordLine<'a> {
    body: Option<&'a str>,
    headers: &'a [(String, String)],
    method: &'a str,
    url: &'a str,
}

/// The runner's HTTP client, a rate limit, and (for the benchmark) a record of every request.
pub struct Sender {
    http: Http,
    limiter: Option<RateLimiter>,
    record: Option<std::sync::Mutex<Vec<String>>>,
}

impl Sender {
    pub fn new(http: Http, rate: Option<f64>, record: bool) -> Sender {
        Sender {
            http,
            limiter: rate.and_then(RateLimiter::new),
            record: record.then(Default::default),
        }
    }

    pub fn http(&self) -> &Http {
        &self.http
    }

    pub async fn send(&self, r: &Rendered) -> Outcome {
        if let Some(l) = &self.limiter {
            l.acquire().await;
        }
        let req = Request {
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
            client_cert: r.client_cert.clone(),
        };
        if let Some(rec) = &self.record {
            let line = RecordLine {
                body: req.body.as_deref(),
                headers: &req.headers,
                method: &req.method,
                url: &req.url,
            };
            let line = serde_json::to_string(&line).expect("a recorded request serialises");
            rec.lock().expect("record lock").push(line);
        }
        let start = Instant::now();
        let result = self.http.fetch(&req).await;
        let latency = start.elapsed();
        let (response, transport_error) = match result {
            Ok(resp) => (Some(resp), None),
            Err(e) => (None, Some(e)),
        };
        Outcome {
            response,
            transport_error,
            latency,
            request: req,
        }
    }

    /// The transcript entry for one request and its outcome, under `step` (the runner's
    /// [`Http::record`]: JWTs decoded, redacted at report time).
    pub fn transcript(&self, step: &str, o: &Outcome) -> Exchange {
        static NO_ERROR: String = String::new();
        let result = match (&o.response, &o.transport_error) {
            (Some(r), _) => Ok(r),
            (None, e) => Err(e.as_ref().unwrap_or(&NO_ERROR)),
        };
        self.http
            .record(step, &o.request, result, o.latency.as_millis() as u64)
    }

    /// Write the recorded requests, one JSON object per line, real values included (a
    /// benchmark's input: it holds secrets, so it is never a report).
    pub fn write_record(&self, path: &Path) -> std::io::Result<()> {
        let Some(rec) = &self.record else {
            return Ok(());
        };
        let mut text = rec.lock().expect("record lock").join("\n");
        text.push('\n');
        std::fs::write(path, text)
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

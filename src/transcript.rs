//! The record of every HTTP exchange a case made, as reports show it.
//!
//! Recorded raw by the HTTP client; secrets are removed later, when a report is written
//! (see `report::redact`), so that the executor never needs to know what is secret.

use serde::{Deserialize, Serialize};

/// One request and, when one arrived, its response.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Exchange {
    /// The step that made the request (its `id` or action name).
    pub step: String,
    pub request: RecordedRequest,
    pub response: Option<RecordedResponse>,
    /// Why no (complete) response was recorded: timeout, reset, body too large, redirect refused...
    pub error: Option<String>,
    pub duration_ms: u64,
    /// JWTs seen in the request or response, decoded for reading (never verified here).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tokens: Vec<DecodedToken>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RecordedRequest {
    pub method: String,
    pub url: String,
    /// Header names in lower case, in sending order.
    pub headers: Vec<(String, String)>,
    /// The body as text (form bodies stay form-encoded).
    pub body: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RecordedResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// The body as (lossy UTF-8) text, cut at the size cap.
    pub body: String,
    /// True when the body exceeded the cap and was cut.
    #[serde(default)]
    pub truncated: bool,
}

/// A compact JWS found in a transcript, split and decoded.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DecodedToken {
    /// Where it was found, e.g. `response.access_token` or `request.assertion`.
    pub location: String,
    /// The compact serialization (signature part redacted at report time unless revealed).
    pub raw: String,
    pub header: Option<serde_json::Value>,
    pub claims: Option<serde_json::Value>,
}

//! AS-B's trusted "domain A" issuers and their keys (identity-chaining-17 §2.1 steps 3 and 5,
//! RFC 8725 §3.10): each issuer's JWKS is given by value or fetched from its `jwks_uri`,
//! cached, and refetched when a grant names an unknown `kid`.

use crate::keys;
use crate::keys::PublicKey;
use serde_json::Value;
use std::time::Duration;

/// Largest JWKS document accepted from a `jwks_uri`.
const MAX_JWKS_BYTES: usize = 1024 * 1024;

/// Outcome of a key lookup for a grant.
#[derive(Debug)]
pub enum KeyLookup {
    Found(PublicKey),
    UnknownKid,
    UntrustedIssuer,
    Unavailable(String),
}

struct Source {
    issuer: String,
    jwks_uri: Option<String>,
    keys: tokio::sync::Mutex<Option<KeySet>>,
}

/// An issuer's JWKs with each one's public key parsed once: a grant's verification then
/// costs the signature check alone, not a JWK decoding and a point validation as well.
#[derive(Clone)]
struct KeySet {
    jwks: Vec<Value>,
    /// `keys::public_key_from_jwk` of each JWK, in order (`None` when unusable).
    parsed: Vec<Option<PublicKey>>,
}

impl KeySet {
    fn new(jwks: Vec<Value>) -> KeySet {
        let parsed = jwks
            .iter()
            .map(|k| keys::public_key_from_jwk(k).ok())
            .collect();
        KeySet { jwks, parsed }
    }

    /// The key named `kid`; a key without `kid` may be used when it is the issuer's only key
    /// (RFC 7517 §4.5: kid is optional).
    fn select(&self, kid: Option<&str>) -> Option<PublicKey> {
        let keys = &self.jwks;
        let by_kid = keys
            .iter()
            .position(|k| kid.is_some() && k.get("kid").and_then(Value::as_str) == kid);
        let chosen =
            by_kid.or_else(|| (keys.len() == 1 && keys[0].get("kid").is_none()).then_some(0))?;
        self.parsed[chosen].clone()
    }
}

/// The issuers AS-B accepts grants from.
pub struct TrustStore {
    sources: Vec<Source>,
    http: reqwest::Client,
}

fn keys_of(jwks: &Value) -> Vec<Value> {
    jwks.get("keys")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

impl TrustStore {
    /// `sources`: (issuer, inline JWKS, jwks_uri), exactly one of the last two set. `roots` are
    /// trusted (besides the platform's) when fetching a JWKS over HTTPS: the pair's own CA when
    /// it serves HTTPS.
    pub fn with_roots(
        sources: Vec<(String, Option<Value>, Option<String>)>,
        roots: Vec<reqwest::Certificate>,
    ) -> TrustStore {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(5))
            .tls_certs_merge(roots)
            .build()
            .expect("reqwest client");
        TrustStore {
            sources: sources
                .into_iter()
                .map(|(issuer, jwks, jwks_uri)| Source {
                    issuer,
                    keys: tokio::sync::Mutex::new(jwks.as_ref().map(|j| KeySet::new(keys_of(j)))),
                    jwks_uri,
                })
                .collect(),
            http,
        }
    }

    pub fn is_trusted(&self, iss: &str) -> bool {
        self.sources.iter().any(|s| s.issuer == iss)
    }

    pub fn issuers(&self) -> Vec<String> {
        self.sources.iter().map(|s| s.issuer.clone()).collect()
    }

    /// The body of a GET of `uri` (`what` names the document in errors), at most 1 MiB.
    async fn fetch_bytes(&self, uri: &str, what: &str) -> Result<Vec<u8>, String> {
        let mut resp = self
            .http
            .get(uri)
            .send()
            .await
            .map_err(|e| format!("fetching {what}: {e}"))?;
        if !resp.status().is_success() {
            return Err(format!("{what} answered HTTP {}", resp.status()));
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| format!("reading {what}: {e}"))?
        {
            body.extend_from_slice(&chunk);
            if body.len() > MAX_JWKS_BYTES {
                return Err(format!("{what} too large"));
            }
        }
        Ok(body)
    }

    async fn fetch(&self, uri: &str) -> Result<KeySet, String> {
        let body = self.fetch_bytes(uri, "JWKS").await?;
        let doc: Value =
            serde_json::from_slice(&body).map_err(|_| "JWKS is not JSON".to_string())?;
        Ok(KeySet::new(keys_of(&doc)))
    }

    /// The key of the first PEM certificate at an arbitrary URL (only the `follow-x5u` fault
    /// uses this: RFC 8725 §3.10 forbids trusting `x5u` without an allow-list).
    pub async fn key_from_x5u(&self, url: &str) -> Result<PublicKey, String> {
        let body = self.fetch_bytes(url, "x5u certificate").await?;
        let pem = String::from_utf8(body).map_err(|_| "x5u is not PEM text".to_string())?;
        let der = keys::first_pem_certificate(&pem).ok_or("x5u holds no PEM certificate")?;
        keys::public_key_from_certificate(&der).map_err(|e| e.to_string())
    }

    /// The public JWKs currently known for `iss` (fetching them once if needed).
    pub async fn jwks(&self, iss: &str) -> Result<Vec<Value>, String> {
        let source = self
            .sources
            .iter()
            .find(|s| s.issuer == iss)
            .ok_or("issuer not trusted")?;
        let mut cached = source.keys.lock().await;
        if cached.is_none()
            && let Some(uri) = &source.jwks_uri
        {
            *cached = Some(self.fetch(uri).await?);
        }
        Ok(cached.as_ref().map(|k| k.jwks.clone()).unwrap_or_default())
    }

    /// The key of issuer `iss` named `kid`; refetches a `jwks_uri` once when the kid is unknown.
    pub async fn key_for(&self, iss: &str, kid: Option<&str>) -> KeyLookup {
        let Some(source) = self.sources.iter().find(|s| s.issuer == iss) else {
            return KeyLookup::UntrustedIssuer;
        };
        let mut cached = source.keys.lock().await;
        if let Some(keys) = cached.as_ref()
            && let Some(k) = keys.select(kid)
        {
            return KeyLookup::Found(k);
        }
        let Some(uri) = &source.jwks_uri else {
            return KeyLookup::UnknownKid;
        };
        match self.fetch(uri).await {
            Ok(keys) => {
                let found = keys.select(kid);
                *cached = Some(keys);
                found.map(KeyLookup::Found).unwrap_or(KeyLookup::UnknownKid)
            }
            Err(e) => KeyLookup::Unavailable(e),
        }
    }

    /// A key named `kid` from an arbitrary JWKS URL (only the `follow-jku` fault uses this:
    /// RFC 8725 §3.10 forbids trusting `jku` without an allow-list).
    pub async fn key_from_url(&self, url: &str, kid: Option<&str>) -> Option<PublicKey> {
        self.fetch(url).await.ok()?.select(kid)
    }

    /// The key named `kid` of an issuer found by discovery alone: its RFC 8414 metadata (the
    /// well-known path inserted before the issuer's path, §3.1), then its `jwks_uri`. Only the
    /// `trust-discovered-issuer` fault uses this: discovery says where an issuer's keys are,
    /// never that AS-B trusts it (IC §2.4.2).
    pub async fn key_by_discovery(&self, iss: &str, kid: Option<&str>) -> KeyLookup {
        let Ok(url) = url::Url::parse(iss) else {
            return KeyLookup::UntrustedIssuer;
        };
        let path = url.path().trim_end_matches('/');
        let metadata = format!(
            "{}/.well-known/oauth-authorization-server{path}",
            url.origin().ascii_serialization()
        );
        let doc = match self.fetch_bytes(&metadata, "issuer metadata").await {
            Ok(body) => serde_json::from_slice::<Value>(&body).unwrap_or_default(),
            Err(e) => return KeyLookup::Unavailable(e),
        };
        let Some(jwks_uri) = doc.get("jwks_uri").and_then(Value::as_str) else {
            return KeyLookup::Unavailable("issuer metadata names no jwks_uri".into());
        };
        match self.fetch(jwks_uri).await {
            Ok(keys) => keys
                .select(kid)
                .map(KeyLookup::Found)
                .unwrap_or(KeyLookup::UnknownKid),
            Err(e) => KeyLookup::Unavailable(e),
        }
    }

    /// Any trusted issuer's key named `kid` (only the `ignore-issuer-key-binding` fault uses this).
    pub async fn key_from_any_issuer(&self, kid: Option<&str>) -> Option<PublicKey> {
        for iss in self.issuers() {
            if let KeyLookup::Found(k) = self.key_for(&iss, kid).await {
                return Some(k);
            }
        }
        None
    }
}

//! Harness-issuer mode: chainproof's own issuer (RFC 8414 metadata + JWKS, served with axum)
//! that AS-B is configured to trust as an extra domain A, so cases can mint validly signed
//! grants with one chosen defect. The ES256 key lives in a file and is reused across runs.

use crate::jose::{self, SignWith};
use crate::target::Target;
use axum::{Json, Router, routing::get};
use p256::ecdsa::SigningKey;
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use serde_json::{Value, json};
use std::path::Path;
use std::sync::Arc;

/// The harness issuer: identifier and signing key.
#[derive(Clone)]
pub struct HarnessIssuer {
    pub issuer: String,
    pub key: SigningKey,
    /// RFC 7638 thumbprint of the public key: stable for a stable key.
    pub kid: String,
}

impl std::fmt::Debug for HarnessIssuer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HarnessIssuer")
            .field("issuer", &self.issuer)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl HarnessIssuer {
    pub fn new(issuer: String, key: SigningKey) -> HarnessIssuer {
        let kid = jose::thumbprint(&jose::public_jwk(key.verifying_key()))
            .expect("EC JWK has a thumbprint");
        HarnessIssuer { issuer, key, kid }
    }

    pub fn jwks(&self) -> Value {
        let mut jwk = jose::public_jwk(self.key.verifying_key());
        jwk["kid"] = json!(self.kid);
        jwk["alg"] = json!("ES256");
        jwk["use"] = json!("sig");
        json!({ "keys": [jwk] })
    }

    pub fn jwks_uri(&self) -> String {
        format!("{}/jwks", self.issuer.trim_end_matches('/'))
    }

    pub fn metadata(&self) -> Value {
        json!({ "issuer": self.issuer, "jwks_uri": self.jwks_uri() })
    }

    /// Sign claims with the harness key (header gets `alg`, `kid` unless already set).
    pub fn sign(&self, mut header: Value, claims: &Value) -> String {
        if header.get("alg").is_none() {
            header["alg"] = json!("ES256");
        }
        if header.get("kid").is_none() {
            header["kid"] = json!(self.kid);
        }
        jose::sign(&header, claims, SignWith::Es256(&self.key))
    }

    /// PEM of the private key (a secret: redacted from reports).
    pub fn private_pem(&self) -> String {
        self.key
            .to_pkcs8_pem(LineEnding::LF)
            .map(|p| p.to_string())
            .unwrap_or_default()
    }

    /// Router serving the metadata (RFC 8414 well-known path for the issuer's path) and JWKS.
    pub fn router(self: Arc<Self>) -> Router {
        let path = url::Url::parse(&self.issuer)
            .map(|u| u.path().trim_end_matches('/').to_string())
            .unwrap_or_default();
        let meta = self.metadata();
        let jwks = self.jwks();
        let m2 = meta.clone();
        Router::new()
            .route(
                &format!("/.well-known/oauth-authorization-server{path}"),
                get(move || async move { Json(meta) }),
            )
            .route(
                &format!("{path}/.well-known/openid-configuration"),
                get(move || async move { Json(m2) }),
            )
            .route(
                &format!("{path}/jwks"),
                get(move || async move { Json(jwks) }),
            )
    }
}

/// Load the ES256 key from `path`, or generate it there (mode 0600) on first use.
pub fn load_or_create_key(path: &Path) -> Result<SigningKey, String> {
    if path.exists() {
        let pem = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read harness key {}: {e}", path.display()))?;
        return SigningKey::from_pkcs8_pem(&pem).map_err(|e| {
            format!(
                "harness key {} is not a PKCS#8 P-256 PEM: {e}",
                path.display()
            )
        });
    }
    let key = SigningKey::random(&mut rand::rngs::OsRng);
    let pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|e| format!("cannot encode key: {e}"))?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    std::fs::write(path, pem.as_bytes())
        .map_err(|e| format!("cannot write harness key {}: {e}", path.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
    }
    Ok(key)
}

/// The harness issuer a target configures (`None` when `[harness] enabled` is false).
pub fn from_target(target: &Target) -> Result<Option<HarnessIssuer>, String> {
    let h = &target.spec.harness;
    if !h.enabled {
        return Ok(None);
    }
    let issuer = h.issuer.clone().ok_or("[harness] needs `issuer`")?;
    Ok(Some(HarnessIssuer::new(
        issuer,
        load_or_create_key(&target.key_path())?,
    )))
}

/// Serve on `listener` until the returned handle is aborted.
pub fn spawn(
    h: Arc<HarnessIssuer>,
    listener: tokio::net::TcpListener,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let _ = axum::serve(listener, h.router()).await;
    })
}

/// Where `chainproof issuer` finds its identity: the target's `[harness]` table, else the
/// defaults the template documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerSettings {
    pub issuer: String,
    pub key_path: std::path::PathBuf,
    pub listen: String,
}

impl IssuerSettings {
    pub fn of(target: Option<&Target>) -> IssuerSettings {
        const ISSUER: &str = "http://127.0.0.1:9400";
        const LISTEN: &str = "127.0.0.1:9400";
        match target {
            Some(t) => IssuerSettings {
                issuer: t
                    .spec
                    .harness
                    .issuer
                    .clone()
                    .unwrap_or_else(|| ISSUER.into()),
                key_path: t.key_path(),
                listen: t
                    .spec
                    .harness
                    .listen
                    .clone()
                    .unwrap_or_else(|| LISTEN.into()),
            },
            None => IssuerSettings {
                issuer: ISSUER.into(),
                key_path: ".chainproof/harness-key.pem".into(),
                listen: LISTEN.into(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_created_once_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k/harness.pem");
        let a = load_or_create_key(&path).unwrap();
        let b = load_or_create_key(&path).unwrap();
        assert_eq!(a.verifying_key(), b.verifying_key());
        let h = HarnessIssuer::new("http://127.0.0.1:1".into(), a);
        let t = h.sign(json!({}), &json!({"sub": "x"}));
        assert!(jose::verifies_with_jwks(&t, &h.jwks()));
        assert!(h.jwks()["keys"][0].get("d").is_none());
    }
}

#[cfg(test)]
mod serve_tests {
    use super::*;

    #[tokio::test]
    async fn serves_metadata_at_the_rfc8414_path_and_the_jwks() {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = l.local_addr().unwrap();
        let key = SigningKey::random(&mut rand::rngs::OsRng);
        let h = Arc::new(HarnessIssuer::new(format!("http://{addr}/harness"), key));
        let server = spawn(h.clone(), l);
        let client = reqwest::Client::new();
        let meta: Value = client
            .get(format!(
                "http://{addr}/.well-known/oauth-authorization-server/harness"
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(meta["issuer"], h.issuer);
        let jwks: Value = client
            .get(meta["jwks_uri"].as_str().unwrap())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(jwks, h.jwks());
        server.abort();
    }
}

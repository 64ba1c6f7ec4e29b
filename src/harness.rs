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
    /// A self-signed X.509 certificate for the key (DER), which grants may carry in `x5c` or
    /// point to with `x5u` to show that AS-B trusts no key a token brings along (RFC 8725
    /// §3.10). No CA signs it: a server that trusts it trusts anything.
    pub cert_der: Vec<u8>,
    /// The key of the stranger issuer ([`HarnessIssuer::stranger_issuer`]): served like the
    /// harness issuer but trusted by nobody, so a grant it signs is refused by every AS-B
    /// that keeps a list of trusted issuers (RFC 7523 §3.1, IC-JB-03e). Fresh each run.
    pub stranger_key: SigningKey,
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
        let cert_der = self_signed_certificate(&key);
        HarnessIssuer {
            issuer,
            key,
            kid,
            cert_der,
            stranger_key: SigningKey::random(&mut rand::rngs::OsRng),
        }
    }

    /// A key derived from `seed` (the fuzzer's: the same seed signs with the same key, and
    /// ECDSA signatures are deterministic per RFC 6979).
    pub fn from_seed(issuer: String, seed: u64) -> HarnessIssuer {
        use sha2::Digest as _;
        let mut counter = 0u32;
        loop {
            let digest = sha2::Sha256::new()
                .chain_update(b"chainproof harness key")
                .chain_update(seed.to_be_bytes())
                .chain_update(counter.to_be_bytes())
                .finalize();
            if let Ok(key) = SigningKey::from_slice(&digest) {
                return HarnessIssuer::new(issuer, key);
            }
            counter += 1;
        }
    }

    /// ES256 signature over signing-input text as given (grants forged byte by byte).
    pub fn sign_input(&self, input: &str) -> String {
        jose::es256(&self.key, input)
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

    /// The public key as a bare JWK (RFC 7517), as a token's `jwk` header would embed it.
    pub fn jwk(&self) -> Value {
        jose::public_jwk(self.key.verifying_key())
    }

    /// `x5c` header value: the certificate chain as standard base64 DER (RFC 7515 §4.1.6).
    pub fn x5c(&self) -> Value {
        use base64::Engine as _;
        json!([base64::engine::general_purpose::STANDARD.encode(&self.cert_der)])
    }

    /// URL of the certificate in PEM (RFC 7515 §4.1.5), served by [`HarnessIssuer::router`].
    pub fn x5u(&self) -> String {
        format!("{}/x5u", self.issuer.trim_end_matches('/'))
    }

    fn cert_pem(&self) -> String {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD.encode(&self.cert_der);
        let lines: Vec<&str> = b64
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap_or_default())
            .collect();
        format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            lines.join("\n")
        )
    }

    pub fn metadata(&self) -> Value {
        json!({ "issuer": self.issuer, "jwks_uri": self.jwks_uri() })
    }

    /// The stranger issuer's identifier: a path below the harness issuer's, served by the
    /// same router with its own RFC 8414 metadata and JWKS.
    pub fn stranger_issuer(&self) -> String {
        format!("{}/stranger", self.issuer.trim_end_matches('/'))
    }

    pub fn stranger_kid(&self) -> String {
        jose::thumbprint(&jose::public_jwk(self.stranger_key.verifying_key()))
            .expect("EC JWK has a thumbprint")
    }

    fn stranger_jwks(&self) -> Value {
        let mut jwk = jose::public_jwk(self.stranger_key.verifying_key());
        jwk["kid"] = json!(self.stranger_kid());
        jwk["alg"] = json!("ES256");
        jwk["use"] = json!("sig");
        json!({ "keys": [jwk] })
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
        let pem = self.cert_pem();
        let stranger_meta = json!({
            "issuer": self.stranger_issuer(),
            "jwks_uri": format!("{}/jwks", self.stranger_issuer()),
        });
        let router = issuer_routes(Router::new(), &path, meta, jwks);
        // The stranger issuer: trusted by no AS-B, so only a server that trusts whatever
        // it can discover accepts its grants.
        issuer_routes(
            router,
            &format!("{path}/stranger"),
            stranger_meta,
            self.stranger_jwks(),
        )
        .route(
            &format!("{path}/x5u"),
            get(move || async move {
                (
                    [(
                        axum::http::header::CONTENT_TYPE,
                        "application/pem-certificate-chain",
                    )],
                    pem,
                )
            }),
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

/// A self-signed certificate for `key` (rcgen: hand-writing DER would be the only
/// alternative, and rcgen already builds the test CAs). Empty if rcgen refuses the key, which
/// only the `x5c`/`x5u` cases notice (their header then carries no usable certificate).
fn self_signed_certificate(key: &SigningKey) -> Vec<u8> {
    let Ok(der) = key.to_pkcs8_der() else {
        return Vec::new();
    };
    let pair = rcgen::KeyPair::try_from(der.as_bytes()).ok();
    pair.and_then(|pair| {
        rcgen::CertificateParams::new(vec!["chainproof-harness.invalid".to_string()])
            .ok()?
            .self_signed(&pair)
            .ok()
    })
    .map(|cert| cert.der().to_vec())
    .unwrap_or_default()
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

/// One issuer's documents at `path`: its RFC 8414 metadata (at the well-known path with the
/// issuer's path appended), the same at the OpenID discovery path, and its JWKS.
fn issuer_routes(router: Router, path: &str, meta: Value, jwks: Value) -> Router {
    let m2 = meta.clone();
    router
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

//! TLS for the harness's own connections: server certificates verified by default (the
//! platform's roots, plus a CA bundle per role from the target file), `--insecure` only as an
//! explicit choice, RFC 8705 client certificates per client, and one-line names for the
//! certificate problem behind a failed handshake.

use crate::target::{Auth, Target};
use std::path::Path;

/// How the harness verifies servers and which client certificates it can present.
#[derive(Debug, Clone, Default)]
pub struct TlsOptions {
    /// Accept any server certificate (`--insecure`). Every report says so.
    pub insecure: bool,
    /// Extra trust anchors per role (`ca_file` in the role's table).
    pub roots: Vec<RoleRoots>,
    /// Client certificates for RFC 8705 mutual TLS, by client id.
    pub identities: Vec<ClientCert>,
}

/// A role's CA bundle, trusted (with the platform roots) for that role's servers only.
#[derive(Debug, Clone)]
pub struct RoleRoots {
    /// `as_a`, `as_b` or `rs`.
    pub role: &'static str,
    /// PEM file the certificates came from (for messages).
    pub file: String,
    pub certs: Vec<reqwest::Certificate>,
    /// Origins (`scheme://host:port`) served by the role, known from the target file; the
    /// role's discovered endpoints are added as they become known.
    pub origins: Vec<String>,
}

/// A client's certificate and key (RFC 8705 `tls_client_auth` / `self_signed_tls_client_auth`).
#[derive(Clone)]
pub struct ClientCert {
    pub client_id: String,
    pub identity: reqwest::Identity,
}

impl std::fmt::Debug for ClientCert {
    // The identity holds the private key: never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCert")
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// `scheme://host:port` of a URL (the port made explicit), the key a role's trust is chosen by.
pub fn origin(url: &str) -> Option<String> {
    let u = url::Url::parse(url).ok()?;
    Some(format!(
        "{}://{}:{}",
        u.scheme(),
        u.host_str()?,
        u.port_or_known_default()?
    ))
}

fn resolve(t: &Target, p: &Path) -> std::path::PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        t.base_dir.join(p)
    }
}

fn read(t: &Target, p: &Path, key: &str) -> Result<(String, Vec<u8>), String> {
    let path = resolve(t, p);
    let bytes = std::fs::read(&path)
        .map_err(|e| format!("{}: cannot read {key} {}: {e}", t.file.name, path.display()))?;
    Ok((path.display().to_string(), bytes))
}

/// A role's CA bundle from its `ca_file`, for the origins `urls` name.
pub fn role_roots(
    t: &Target,
    role: &'static str,
    ca_file: Option<&Path>,
    urls: &[Option<&str>],
) -> Result<Option<RoleRoots>, String> {
    let Some(p) = ca_file else { return Ok(None) };
    let (file, pem) = read(t, p, "ca_file")?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem)
        .map_err(|e| format!("{}: [{role}] ca_file {file}: {e}", t.file.name))?;
    if certs.is_empty() {
        return Err(format!(
            "{}: [{role}] ca_file {file} holds no PEM certificate",
            t.file.name
        ));
    }
    Ok(Some(RoleRoots {
        role,
        file,
        certs,
        origins: urls.iter().flatten().filter_map(|u| origin(u)).collect(),
    }))
}

/// A client's certificate and key from `tls_cert_file` and `tls_key_file` (PEM).
pub fn client_cert(
    t: &Target,
    client_id: &str,
    cert_file: &Path,
    key_file: &Path,
) -> Result<(ClientCert, String), String> {
    let (cert_name, cert) = read(t, cert_file, "tls_cert_file")?;
    let (key_name, key) = read(t, key_file, "tls_key_file")?;
    // rustls reads the key and the certificate chain from one PEM buffer.
    let mut both = key.clone();
    both.push(b'\n');
    both.extend_from_slice(&cert);
    let identity = reqwest::Identity::from_pem(&both).map_err(|e| {
        format!(
            "{}: client `{client_id}`: tls_cert_file {cert_name} and tls_key_file {key_name} \
                 are not a PEM certificate and its private key: {e}",
            t.file.name
        )
    })?;
    Ok((
        ClientCert {
            client_id: client_id.to_string(),
            identity,
        },
        String::from_utf8_lossy(&key).into_owned(),
    ))
}

/// The TLS options a target file asks for: each role's `ca_file` (trusted for the role's
/// issuer or URL origin) and each client's certificate. Returns the private keys read too,
/// for redaction.
pub fn options(t: Option<&Target>, insecure: bool) -> Result<(TlsOptions, Vec<String>), String> {
    let mut out = TlsOptions {
        insecure,
        ..TlsOptions::default()
    };
    let mut secrets = Vec::new();
    let Some(t) = t else {
        return Ok((out, secrets));
    };
    let s = &t.spec;
    let issuer = |i: &Option<toml::Spanned<String>>| i.as_ref().map(|v| v.get_ref().clone());
    let (a_issuer, b_issuer) = (issuer(&s.as_a.issuer), issuer(&s.as_b.issuer));
    let roles = [
        role_roots(t, "as_a", s.as_a.ca_file.as_deref(), &[a_issuer.as_deref()])?,
        role_roots(t, "as_b", s.as_b.ca_file.as_deref(), &[b_issuer.as_deref()])?,
        match &s.rs {
            Some(r) => role_roots(
                t,
                "rs",
                r.ca_file.as_deref(),
                &[
                    r.resource.as_ref().map(|v| v.get_ref().as_str()),
                    r.url.as_ref().map(|v| v.get_ref().as_str()),
                ],
            )?,
            None => None,
        },
    ];
    out.roots = roles.into_iter().flatten().collect();
    let clients = [
        &s.as_a.client,
        &s.as_a.second_client,
        &s.as_a.jwt_client,
        &s.as_b.client,
    ];
    for c in clients.into_iter().flatten() {
        let mutual = matches!(c.auth, Auth::TlsClientAuth | Auth::SelfSignedTlsClientAuth);
        match (&c.tls_cert_file, &c.tls_key_file) {
            (Some(cert), Some(key)) => {
                if out.identities.iter().any(|i| i.client_id == c.id) {
                    continue;
                }
                let (identity, key_pem) = client_cert(t, &c.id, cert, key)?;
                out.identities.push(identity);
                secrets.push(key_pem);
            }
            (None, None) if !mutual => {}
            _ => {
                return Err(format!(
                    "{}: client `{}` needs both tls_cert_file and tls_key_file{}",
                    t.file.name,
                    c.id,
                    if mutual {
                        " for RFC 8705 mutual TLS"
                    } else {
                        ""
                    }
                ));
            }
        }
    }
    Ok((out, secrets))
}

/// The certificate problem behind a failed TLS handshake, in words, if the error chain holds
/// one (rustls reports it as `InvalidCertificate`; the io and hyper layers wrap it).
pub fn certificate_problem(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(r) = err.downcast_ref::<rustls::Error>() {
            return Some(rustls_problem(r));
        }
        if let Some(r) = err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
        {
            return Some(rustls_problem(r));
        }
        cur = err.source();
    }
    // Some layers re-box the io error so the rustls value cannot be reached by type; rustls
    // prints the variant name (`invalid peer certificate: UnknownIssuer`).
    let mut text = String::new();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        text.push_str(&err.to_string());
        text.push('\n');
        cur = err.source();
    }
    let rest = text.split("invalid peer certificate: ").nth(1)?;
    let variant: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    use rustls::CertificateError as C;
    let known = match variant.as_str() {
        "UnknownIssuer" => C::UnknownIssuer,
        "Expired" | "ExpiredContext" => C::Expired,
        "NotValidYet" | "NotValidYetContext" => C::NotValidYet,
        "NotValidForName" | "NotValidForNameContext" => C::NotValidForName,
        "Revoked" => C::Revoked,
        "BadSignature" => C::BadSignature,
        "BadEncoding" => C::BadEncoding,
        "InvalidPurpose" | "InvalidPurposeContext" => C::InvalidPurpose,
        _ => {
            return Some(format!(
                "TLS handshake failed: the server's certificate was refused ({variant})"
            ));
        }
    };
    Some(rustls_problem(&rustls::Error::InvalidCertificate(known)))
}

fn rustls_problem(e: &rustls::Error) -> String {
    use rustls::CertificateError as C;
    match e {
        rustls::Error::InvalidCertificate(c) => {
            let what = match c {
                C::UnknownIssuer => {
                    "unknown issuer: the server's certificate does not chain to a trusted CA \
                     (set `ca_file` in the role's table, or --insecure)"
                        .to_string()
                }
                C::Expired | C::ExpiredContext { .. } => {
                    "the server's certificate has expired".to_string()
                }
                C::NotValidYet | C::NotValidYetContext { .. } => {
                    "the server's certificate is not valid yet".to_string()
                }
                C::NotValidForName | C::NotValidForNameContext { .. } => {
                    "name mismatch: the server's certificate is not valid for this host".to_string()
                }
                C::Revoked => "the server's certificate is revoked".to_string(),
                C::BadSignature => "the server's certificate has a bad signature".to_string(),
                C::BadEncoding => "the server's certificate is malformed".to_string(),
                C::InvalidPurpose | C::InvalidPurposeContext { .. } => {
                    "the server's certificate is not for TLS server authentication".to_string()
                }
                other => format!("the server's certificate was refused: {other}"),
            };
            format!("TLS handshake failed: {what}")
        }
        rustls::Error::AlertReceived(alert) => format!(
            "TLS handshake failed: the server sent alert {alert:?} (a client certificate it \
             refused or required?)"
        ),
        other => format!("TLS handshake failed: {other}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_makes_the_port_explicit() {
        assert_eq!(
            origin("https://as.example/realms/a").as_deref(),
            Some("https://as.example:443")
        );
        assert_eq!(
            origin("https://127.0.0.1:8443/x").as_deref(),
            Some("https://127.0.0.1:8443")
        );
        assert_eq!(origin("not a url"), None);
    }

    #[test]
    fn certificate_problems_are_named() {
        let e = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let io = std::io::Error::new(std::io::ErrorKind::InvalidData, e);
        let text = certificate_problem(&io).unwrap();
        assert!(
            text.starts_with("TLS handshake failed: unknown issuer"),
            "{text}"
        );
        let e = rustls::Error::InvalidCertificate(rustls::CertificateError::Expired);
        assert!(certificate_problem(&e).unwrap().contains("expired"));
    }
}

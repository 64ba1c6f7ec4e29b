//! HTTPS for the mock servers and RFC 8705 §2 mutual-TLS client authentication:
//! `tls_client_auth` (§2.1: a certificate chaining to a trusted CA whose subject DN or SAN DNS
//! name is the one registered) and `self_signed_tls_client_auth` (§2.2: exactly the registered
//! self-signed certificate).
//!
//! The TLS layer asks for a client certificate but accepts any (checking only the handshake
//! signature), because which rule applies depends on the client the request names: the token
//! endpoints decide, with [`ClientCerts::authenticate`]. A server that verified chains in the
//! handshake could not accept self-signed client certificates at the same port.

use crate::config::ClientConfig;
use rustls::DistinguishedName;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime, pem::PemObject};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::{ParsedCertificate, WebPkiClientVerifier};
use std::sync::Arc;
use x509_cert::der::Decode;

/// Serve the three mock servers over HTTPS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MockTls {
    /// PEM: the server certificate (then any intermediates). Its names must cover the bind
    /// address the harness connects to.
    pub cert_chain_pem: String,
    /// PEM: the server certificate's private key (PKCS#8, SEC1 or PKCS#1).
    pub key_pem: String,
    /// PEM: the CAs that `tls_client_auth` client certificates must chain to (RFC 8705 §2.1).
    pub client_ca_pem: Option<String>,
    /// PEM: CAs the mock trusts (besides the platform's) for its own HTTPS fetches, such as
    /// AS-B fetching AS-A's JWKS; normally the CA that signed `cert_chain_pem`.
    pub ca_pem: Option<String>,
}

impl MockTls {
    /// The roots of [`MockTls::ca_pem`].
    pub fn fetch_roots(&self) -> Result<Vec<reqwest::Certificate>, String> {
        match &self.ca_pem {
            Some(pem) => reqwest::Certificate::from_pem_bundle(pem.as_bytes())
                .map_err(|e| format!("tls ca_pem: {e}")),
            None => Ok(Vec::new()),
        }
    }
}

/// What the token endpoints need to judge a client certificate.
#[derive(Debug, Clone)]
pub struct ClientCerts {
    /// A verifier for `tls_client_auth` chains (None: no client CA configured).
    pki: Option<Arc<dyn ClientCertVerifier>>,
}

fn provider() -> Arc<CryptoProvider> {
    CryptoProvider::get_default()
        .cloned()
        .unwrap_or_else(|| Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
}

impl MockTls {
    /// The rustls server configuration (HTTP/1.1 and h2 over ALPN) and the client-certificate
    /// judge for the token endpoints.
    pub fn server_config(&self) -> Result<(rustls::ServerConfig, ClientCerts), String> {
        let chain = CertificateDer::pem_slice_iter(self.cert_chain_pem.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("tls cert_chain_pem: {e}"))?;
        if chain.is_empty() {
            return Err("tls cert_chain_pem holds no certificate".into());
        }
        let key = PrivateKeyDer::from_pem_slice(self.key_pem.as_bytes())
            .map_err(|e| format!("tls key_pem: {e}"))?;
        let provider = provider();
        let pki = match &self.client_ca_pem {
            Some(pem) => {
                let mut roots = rustls::RootCertStore::empty();
                for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
                    let cert = cert.map_err(|e| format!("tls client_ca_pem: {e}"))?;
                    roots
                        .add(cert)
                        .map_err(|e| format!("tls client_ca_pem: {e}"))?;
                }
                Some(
                    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
                        .build()
                        .map_err(|e| format!("tls client_ca_pem: {e}"))?,
                )
            }
            None => None,
        };
        let verifier = Arc::new(AnyClientCert {
            algs: provider.signature_verification_algorithms,
        });
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_client_cert_verifier(verifier)
            .with_single_cert(chain, key)
            .map_err(|e| format!("tls certificate and key: {e}"))?;
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok((config, ClientCerts { pki }))
    }
}

/// Requests a client certificate, makes it optional, and accepts any whose handshake signature
/// verifies; the token endpoint applies RFC 8705's rules afterwards.
#[derive(Debug)]
struct AnyClientCert {
    algs: WebPkiSupportedAlgorithms,
}

impl ClientCertVerifier for AnyClientCert {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algs)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algs)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.algs.supported_schemes()
    }
}

/// RFC 8414 `token_endpoint_auth_methods_supported`: `base`, plus the RFC 8705 §2 methods
/// when the server runs HTTPS.
pub fn auth_methods(base: &[&str], https: bool) -> Vec<String> {
    let mut out: Vec<String> = base.iter().map(|m| m.to_string()).collect();
    if https {
        out.push("tls_client_auth".into());
        out.push("self_signed_tls_client_auth".into());
    }
    out
}

/// The DER certificate the client presented on this request's connection, if any.
pub fn peer_certificate(req: &axum::extract::Request) -> Option<Vec<u8>> {
    req.extensions()
        .get::<Arc<axum_server::tls::TlsInfo>>()
        .and_then(|info| info.peer_certificates.first().cloned())
}

/// A registered RFC 4514 DN in the form x509-cert prints a certificate's subject: RFC 4514
/// §2.1 writes the last RDN first, x509-cert parses and prints in encoding order, so the
/// parsed sequence is reversed. Comparing printed forms ignores the string types (Printable,
/// UTF-8) a CA chose.
fn registered_dn(dn: &str) -> Option<String> {
    use std::str::FromStr;
    let mut name = x509_cert::name::RdnSequence::from_str(dn).ok()?;
    name.0.reverse();
    Some(name.to_string())
}

impl ClientCerts {
    /// RFC 8705 §2: does the presented certificate (`peer`, DER; None when the client sent
    /// none) authenticate client `c` with `method`? The error says why not.
    pub fn authenticate(
        &self,
        c: &ClientConfig,
        method: &str,
        peer: Option<&[u8]>,
    ) -> Result<(), &'static str> {
        let der = peer.ok_or("no client certificate presented in the TLS handshake")?;
        let cert = CertificateDer::from(der);
        match method {
            "self_signed_tls_client_auth" => {
                let registered = c
                    .tls_client_certificate
                    .as_deref()
                    .and_then(|pem| CertificateDer::from_pem_slice(pem.as_bytes()).ok())
                    .ok_or("no self-signed certificate registered for the client")?;
                if registered.as_ref() == der {
                    Ok(())
                } else {
                    Err("client certificate is not the registered one")
                }
            }
            _ => {
                let pki = self
                    .pki
                    .as_ref()
                    .ok_or("no CA configured for tls_client_auth")?;
                pki.verify_client_cert(&cert, &[], UnixTime::now())
                    .map_err(|_| "client certificate does not chain to a trusted CA")?;
                if let Some(dn) = &c.tls_client_auth_subject_dn {
                    let subject = x509_cert::Certificate::from_der(der)
                        .ok()
                        .map(|x| x.tbs_certificate.subject.to_string());
                    if subject.is_some() && subject == registered_dn(dn) {
                        return Ok(());
                    }
                    return Err("client certificate subject DN is not the registered one");
                }
                if let Some(name) = &c.tls_client_auth_san_dns {
                    let parsed = ParsedCertificate::try_from(&cert)
                        .map_err(|_| "client certificate cannot be parsed")?;
                    let name = ServerName::try_from(name.as_str())
                        .map_err(|_| "registered SAN DNS name is invalid")?;
                    return rustls::client::verify_server_name(&parsed, &name)
                        .map_err(|_| "client certificate lacks the registered SAN DNS name");
                }
                Err("no subject DN or SAN registered for tls_client_auth")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dn_strings_compare_by_meaning() {
        assert!(registered_dn("CN=a,O=b").is_some());
        assert_eq!(registered_dn("cn=a,o=b"), registered_dn("CN=a,O=b"));
        assert_ne!(registered_dn("CN=a,O=b"), registered_dn("CN=a,O=c"));
    }
}

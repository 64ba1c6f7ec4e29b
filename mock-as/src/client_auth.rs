//! Client authentication at the token endpoints: client_secret_basic, client_secret_post
//! (RFC 6749 §2.3.1) and private_key_jwt (RFC 7523 §2.2, §3 as used by OIDC Core §9).

use crate::config::ClientConfig;
use crate::error::OAuthError;
use crate::fault::{Fault, FaultSet};
use crate::form::Form;
use crate::jose;
use crate::keys;
use crate::replay::JtiCache;
use axum::http::{HeaderMap, header};
use base64::Engine;
use sha2::{Digest, Sha256};

pub const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Where the client authenticated: the list of clients and this server's identifiers.
pub struct Authenticator<'a> {
    pub clients: &'a [ClientConfig],
    pub issuer: &'a str,
    pub token_endpoint: &'a str,
    pub realm: &'a str,
    pub assertion_replay: &'a JtiCache,
    pub faults: &'a FaultSet,
    pub now: i64,
    /// RFC 8705 rules, when the server runs HTTPS.
    pub client_certs: Option<&'a crate::mtls::ClientCerts>,
    /// The certificate the client presented in the TLS handshake (DER).
    pub peer_cert: Option<&'a [u8]>,
}

/// Result of client authentication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientIdentity {
    /// No credentials and no `client_id` were sent.
    Anonymous,
    /// Authenticated with the named method.
    Authenticated {
        client_id: String,
        method: &'static str,
    },
}

impl ClientIdentity {
    pub fn client_id(&self) -> Option<&str> {
        match self {
            ClientIdentity::Anonymous => None,
            ClientIdentity::Authenticated { client_id, .. } => Some(client_id),
        }
    }
}

fn same_secret(a: &str, b: &str) -> bool {
    // Compare digests so the comparison time does not depend on where the strings differ.
    Sha256::digest(a.as_bytes()) == Sha256::digest(b.as_bytes())
}

impl Authenticator<'_> {
    fn challenge(&self) -> String {
        format!("Basic realm=\"{}\"", self.realm)
    }

    fn client(&self, id: &str) -> Option<&ClientConfig> {
        self.clients.iter().find(|c| c.id == id)
    }

    fn allowed(&self, c: &ClientConfig, method: &str) -> bool {
        c.auth_methods.iter().any(|m| m == method)
    }

    /// Authenticate the client of a token request. Credentials that are sent must be valid;
    /// a `client_id` alone, for a client that has credentials, is refused (it must authenticate).
    pub fn authenticate(
        &self,
        headers: &HeaderMap,
        form: &Form,
    ) -> Result<ClientIdentity, OAuthError> {
        let authz: Vec<_> = headers.get_all(header::AUTHORIZATION).iter().collect();
        let has_basic = !authz.is_empty();
        let has_post = form.get("client_secret").is_some();
        let has_jwt =
            form.get("client_assertion").is_some() || form.get("client_assertion_type").is_some();
        if [has_basic, has_post, has_jwt]
            .iter()
            .filter(|b| **b)
            .count()
            > 1
        {
            return Err(OAuthError::invalid_request(
                "more than one client authentication method used",
            ));
        }
        if has_basic {
            return self.basic(&authz, form);
        }
        if has_post {
            let id = form.get("client_id").ok_or_else(|| {
                OAuthError::invalid_client("client_secret without client_id", None)
            })?;
            let Some(c) = self.client(id) else {
                if self.realm == "as-b" && self.faults.has(Fault::IgnoreUnknownClientPost) {
                    return Ok(ClientIdentity::Anonymous);
                }
                return Err(OAuthError::invalid_client("unknown client", None));
            };
            let ok = c
                .secret
                .as_deref()
                .is_some_and(|s| same_secret(s, form.get("client_secret").unwrap_or("")));
            if !ok || !self.allowed(c, "client_secret_post") {
                return Err(OAuthError::invalid_client(
                    "client authentication failed",
                    None,
                ));
            }
            return Ok(ClientIdentity::Authenticated {
                client_id: c.id.clone(),
                method: "client_secret_post",
            });
        }
        if has_jwt {
            return self.private_key_jwt(form);
        }
        match form.get("client_id") {
            None => Ok(ClientIdentity::Anonymous),
            Some(id) => self.mutual_tls(id),
        }
    }

    /// RFC 8705 §2: a `client_id` with no other credentials authenticates through the TLS
    /// client certificate, when the client is registered for a certificate method.
    fn mutual_tls(&self, id: &str) -> Result<ClientIdentity, OAuthError> {
        let fail = |d: &str| OAuthError::invalid_client(d, None);
        let c = self.client(id).ok_or_else(|| fail("unknown client"))?;
        let method = ["tls_client_auth", "self_signed_tls_client_auth"]
            .into_iter()
            .find(|m| self.allowed(c, m))
            .ok_or_else(|| fail("client authentication required"))?;
        let certs = self
            .client_certs
            .ok_or_else(|| fail("mutual TLS needs HTTPS; this server runs plain HTTP"))?;
        certs
            .authenticate(c, method, self.peer_cert)
            .map_err(fail)?;
        Ok(ClientIdentity::Authenticated {
            client_id: c.id.clone(),
            method,
        })
    }

    fn basic(
        &self,
        authz: &[&axum::http::HeaderValue],
        form: &Form,
    ) -> Result<ClientIdentity, OAuthError> {
        let fail = |d: &str| OAuthError::invalid_client(d, Some(&self.challenge()));
        if authz.len() != 1 {
            return Err(OAuthError::invalid_request(
                "more than one Authorization header",
            ));
        }
        let value = authz[0]
            .to_str()
            .map_err(|_| fail("malformed Authorization header"))?;
        let (scheme, rest) = value
            .split_once(' ')
            .ok_or_else(|| fail("malformed Authorization header"))?;
        if !scheme.eq_ignore_ascii_case("basic") {
            return Err(fail(
                "unsupported Authorization scheme at the token endpoint",
            ));
        }
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(rest.trim())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| fail("malformed Basic credentials"))?;
        let (id, secret) = decoded
            .split_once(':')
            .ok_or_else(|| fail("malformed Basic credentials"))?;
        // RFC 6749 §2.3.1: both parts are form-urlencoded before base64.
        let id = crate::form::parse(format!("x={id}").as_bytes(), false)
            .ok()
            .and_then(|f| f.get("x").map(str::to_owned))
            .ok_or_else(|| fail("malformed Basic credentials"))?;
        let secret = crate::form::parse(format!("x={secret}").as_bytes(), false)
            .ok()
            .and_then(|f| f.get("x").map(str::to_owned))
            .unwrap_or_default();
        let c = self.client(&id).ok_or_else(|| fail("unknown client"))?;
        let ok = c.secret.as_deref().is_some_and(|s| same_secret(s, &secret));
        if !ok || !self.allowed(c, "client_secret_basic") {
            return Err(fail("client authentication failed"));
        }
        if form.get("client_id").is_some_and(|body_id| body_id != c.id)
            && !(self.realm == "as-b" && self.faults.has(Fault::GrantBindingFormClientId))
            && !(self.realm == "as-a" && self.faults.has(Fault::SubjectBindingFormClientId))
        {
            return Err(OAuthError::invalid_request(
                "client_id differs from the authenticated client",
            ));
        }
        Ok(ClientIdentity::Authenticated {
            client_id: c.id.clone(),
            method: "client_secret_basic",
        })
    }

    fn private_key_jwt(&self, form: &Form) -> Result<ClientIdentity, OAuthError> {
        let fail = |d: &str| OAuthError::invalid_client(d, None);
        if form.get("client_assertion_type") != Some(CLIENT_ASSERTION_TYPE) {
            return Err(fail(
                "client_assertion_type must be the jwt-bearer client assertion type",
            ));
        }
        let token = form
            .get("client_assertion")
            .ok_or_else(|| fail("client_assertion missing"))?;
        let jws = jose::parse(token).map_err(|e| fail(&format!("client_assertion: {e}")))?;
        let unsigned_accepted =
            self.faults.has(Fault::ClientAssertionAlgNone) && jws.alg() == Some("none");
        if (jws.alg() != Some("ES256") && !unsigned_accepted) || jws.header.contains_key("crit") {
            return Err(fail("client_assertion must be ES256 without crit"));
        }
        let ena = self.faults.profile() == crate::MockProfile::Ena;
        // Ena OAuth profile §8.3.1: explicitly typed, so no other JWT the client signed passes.
        if ena
            && jws.typ() != Some("client-authentication+jwt")
            && !self.faults.has(Fault::EnaAcceptUntypedClientAssertion)
        {
            return Err(fail(
                "client_assertion typ must be client-authentication+jwt",
            ));
        }
        let iss = jws
            .claim_str("iss")
            .ok_or_else(|| fail("client_assertion iss missing"))?;
        // Under `ena-client-id-param-trusted` the client_id parameter names the client whose key
        // verifies the assertion, and iss and sub are never compared with it.
        let trusted_param = form
            .get("client_id")
            .filter(|_| self.faults.has(Fault::EnaClientIdParamTrusted));
        // RFC 7523 §3 item 2 (client authentication): sub is the client id, so equal to iss.
        if jws.claim_str("sub") != Some(iss)
            && trusted_param.is_none()
            && !self.faults.has(Fault::EnaClientAssertionSubUnchecked)
        {
            return Err(fail("client_assertion sub must equal iss"));
        }
        // Ena OAuth profile §3.3.2.1: client_id is a parameter of every token request, and the
        // assertion's iss and sub must equal it.
        if ena && form.get("client_id").is_none() && !self.faults.has(Fault::EnaClientIdOptional) {
            return Err(OAuthError::invalid_request(
                "client_id is required with private_key_jwt",
            ));
        }
        if form.get("client_id").is_some_and(|id| id != iss) && trusted_param.is_none() {
            return Err(fail("client_id differs from the client_assertion issuer"));
        }
        let c = self
            .client(trusted_param.unwrap_or(iss))
            .ok_or_else(|| fail("unknown client"))?;
        let jwk = c
            .jwk
            .as_ref()
            .filter(|_| self.allowed(c, "private_key_jwt"));
        let key = jwk
            .and_then(|j| keys::verifying_key_from_jwk(j).ok())
            .ok_or_else(|| fail("client may not use private_key_jwt"))?;
        if !self.faults.has(Fault::ClientAssertionUnverified)
            && !unsigned_accepted
            && !keys::verify_es256(&key, jws.signing_input.as_bytes(), &jws.signature)
        {
            return Err(fail("client_assertion signature invalid"));
        }
        // Ena OAuth profile §8.3.1: the issuer as the only audience value, multi-aud rejected;
        // otherwise (RFC 7523 §3 item 3) the issuer or the token endpoint among the values.
        let ena_aud = ena && !self.faults.has(Fault::EnaAcceptMultiAudClientAssertion);
        let aud_ok = jws.audiences().is_some_and(|a| {
            if ena_aud {
                a == [self.issuer]
            } else {
                a.iter()
                    .any(|x| *x == self.issuer || *x == self.token_endpoint)
            }
        });
        if !aud_ok {
            return Err(fail("client_assertion aud must name this server"));
        }
        let exp = match jws.claim_time("exp") {
            Some(Ok(e)) => e,
            _ => return Err(fail("client_assertion exp missing")),
        };
        if exp < self.now - 5 || exp > self.now + 3600 {
            return Err(fail("client_assertion expired or too long-lived"));
        }
        let jti = jws
            .claim_str("jti")
            .ok_or_else(|| fail("client_assertion jti missing"))?;
        // Under `ena-client-assertion-replay-by-text` the cache remembers the assertion's text,
        // so the same jti in a freshly signed assertion passes.
        let seen = if self.faults.has(Fault::EnaClientAssertionReplayByText) {
            token.to_owned()
        } else {
            format!("{iss}\n{jti}")
        };
        if !self.assertion_replay.first_use(&seen, exp + 5, self.now)
            && !self.faults.has(Fault::ClientAssertionReplay)
        {
            return Err(fail("client_assertion jti replayed"));
        }
        Ok(ClientIdentity::Authenticated {
            client_id: c.id.clone(),
            method: "private_key_jwt",
        })
    }
}

/// Build a client assertion (for tests, the bench and harness code).
pub fn make_client_assertion(key: &keys::EsKey, client_id: &str, aud: &str, now: i64) -> String {
    jose::sign(
        key,
        &serde_json::json!({"alg": "ES256", "kid": key.kid(), "typ": "client-authentication+jwt"}),
        &serde_json::json!({
            "iss": client_id, "sub": client_id, "aud": aud,
            "iat": now, "exp": now + 60, "jti": uuid::Uuid::new_v4().to_string(),
        }),
    )
}

//! The `authorization_code` subject-token source: RFC 6749 §4.1 with PKCE (RFC 7636, S256)
//! and a loopback redirect listener (RFC 8252 §7.3, `http://127.0.0.1:PORT/path`).
//!
//! Interactive: the URL goes to the person running chainproof, who logs in with a browser;
//! the listener waits for the redirect. Unattended: chainproof follows the authorization
//! endpoint's redirects itself, for IdPs that log a test user in without a page.

use crate::target::LoginMode;
use axum::extract::Query;
use axum::routing::get;
use base64::Engine;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::Notice;

/// Most redirects followed in unattended mode.
const MAX_REDIRECTS: usize = 10;

#[derive(Debug, Clone)]
pub struct AuthCode {
    pub mode: LoginMode,
    pub scope: Option<String>,
    /// Sent as OpenID Connect `login_hint` (the `username` key).
    pub login_hint: Option<String>,
    /// 0 = ephemeral.
    pub redirect_port: u16,
    pub redirect_path: String,
    /// Longest wait for the redirect.
    pub timeout: Duration,
}

/// A code, with what redeeming it needs.
#[derive(Debug)]
pub struct Code {
    pub code: String,
    pub redirect_uri: String,
    pub verifier: String,
}

/// RFC 7636 §4.1: 32 random octets, base64url (43 characters of the unreserved set).
pub fn code_verifier() -> String {
    use rand::RngCore;
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

/// RFC 7636 §4.2: `S256` challenge.
pub fn s256(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

type Delivered = HashMap<String, String>;

impl AuthCode {
    /// Run the front-channel part and return the code.
    pub async fn authorize(
        &self,
        endpoint: &str,
        client_id: &str,
        http_timeout: Duration,
        notice: Notice,
    ) -> Result<Code, String> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", self.redirect_port))
            .await
            .map_err(|e| {
                format!(
                    "cannot listen for the redirect on 127.0.0.1:{}: {e}",
                    self.redirect_port
                )
            })?;
        let port = listener.local_addr().map_err(|e| e.to_string())?.port();
        let redirect_uri = format!("http://127.0.0.1:{port}{}", self.redirect_path);
        let verifier = code_verifier();
        let state = code_verifier();
        let mut url = url::Url::parse(endpoint)
            .map_err(|e| format!("authorization endpoint `{endpoint}` is not a URL: {e}"))?;
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("response_type", "code")
                .append_pair("client_id", client_id)
                .append_pair("redirect_uri", &redirect_uri)
                .append_pair("code_challenge", &s256(&verifier))
                .append_pair("code_challenge_method", "S256")
                .append_pair("state", &state);
            if let Some(s) = &self.scope {
                q.append_pair("scope", s);
            }
            if let Some(h) = &self.login_hint {
                q.append_pair("login_hint", h);
            }
        }

        let (tx, rx) = tokio::sync::oneshot::channel::<Delivered>();
        let tx = Arc::new(Mutex::new(Some(tx)));
        let app = axum::Router::new().route(
            &self.redirect_path,
            get(move |Query(q): Query<Delivered>| {
                let tx = tx.clone();
                async move {
                    if let Some(tx) = tx.lock().expect("redirect lock").take() {
                        let _ = tx.send(q);
                    }
                    "chainproof received the authorization response; you can close this window."
                }
            }),
        );
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        let _stop = AbortOnDrop(server);

        let delivered = match self.mode {
            LoginMode::Interactive => {
                notice.show(&format!(
                    "Log in to AS-A to give chainproof a subject token; open:\n  {url}\nWaiting for the redirect to {redirect_uri} (up to {} s)…",
                    self.timeout.as_secs()
                ));
                tokio::time::timeout(self.timeout, rx).await.map_err(|_| {
                    format!(
                        "no authorization response reached {redirect_uri} within {} s",
                        self.timeout.as_secs()
                    )
                })?
            }
            LoginMode::Unattended => {
                let client = reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::limited(MAX_REDIRECTS))
                    .timeout(http_timeout)
                    .build()
                    .map_err(|e| e.to_string())?;
                let resp = client
                    .get(url.as_str())
                    .send()
                    .await
                    .map_err(|e| format!("following the authorization endpoint's redirects: {e}"))?;
                let landed = resp.url().clone();
                let status = resp.status();
                tokio::time::timeout(Duration::from_millis(500), rx)
                    .await
                    .map_err(|_| {
                        format!(
                            "the authorization endpoint did not redirect to {redirect_uri} without a login page (ended at {} with status {}); use mode = \"interactive\"",
                            strip_query(&landed),
                            status.as_u16()
                        )
                    })?
            }
        }
        .map_err(|_| "the redirect listener stopped".to_string())?;

        if let Some(err) = delivered.get("error") {
            let desc = delivered
                .get("error_description")
                .map(|d| format!(" ({d})"))
                .unwrap_or_default();
            return Err(format!(
                "the authorization endpoint answered error={err}{desc}"
            ));
        }
        if delivered.get("state") != Some(&state) {
            return Err(
                "the authorization response's state does not match the request's (RFC 6749 §10.12)"
                    .into(),
            );
        }
        let code = delivered
            .get("code")
            .cloned()
            .ok_or("the authorization response has no code")?;
        Ok(Code {
            code,
            redirect_uri,
            verifier,
        })
    }
}

fn strip_query(u: &url::Url) -> String {
    let mut u = u.clone();
    u.set_query(None);
    u.to_string()
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_matches_rfc7636_appendix_b() {
        assert_eq!(
            s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        let v = code_verifier();
        assert_eq!(v.len(), 43);
        assert_ne!(v, code_verifier());
    }
}

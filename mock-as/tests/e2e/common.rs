//! Shared drivers: start a pair, obtain tokens, mint harness-issuer grants, assert errors.

#![allow(dead_code)]

use mock_as::testkit::EsKey;
use mock_as::testkit::jose;
use mock_as::testkit::make_proof;
use mock_as::testkit::now;
use mock_as::{Fault, MockFacts, MockOptions, MockPair, TrustedIssuer};
use serde_json::{Value, json};

pub const TE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
pub const JB: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
pub const TT_AT: &str = "urn:ietf:params:oauth:token-type:access_token";
pub const TT_JWT: &str = "urn:ietf:params:oauth:token-type:jwt";
/// The extra "domain A" issuer the tests control (harness-issuer mode).
pub const HARNESS_ISS: &str = "https://harness.chainproof.test";

pub struct Env {
    pub pair: MockPair,
    pub f: MockFacts,
    pub http: reqwest::Client,
    /// Key of the harness issuer AS-B trusts (by value).
    pub harness: EsKey,
}

#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
    pub json: Value,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    pub fn token(&self) -> &str {
        self.json["access_token"]
            .as_str()
            .unwrap_or_else(|| panic!("no access_token in {} {}", self.status, self.text))
    }
    pub fn error(&self) -> &str {
        self.json["error"].as_str().unwrap_or("")
    }
}

/// Assert an RFC 6749 §5.2 error: status, code, JSON shape, charset, no token, no-store.
#[track_caller]
pub fn assert_error(r: &Resp, status: u16, code: &str) {
    assert_eq!((r.status, r.error()), (status, code), "body: {}", r.text);
    assert!(
        r.json.get("access_token").is_none(),
        "error carries a token: {}",
        r.text
    );
    if let Some(d) = r.json.get("error_description") {
        let d = d.as_str().expect("description is a string");
        assert!(
            d.chars()
                .all(|c| (' '..='~').contains(&c) && c != '"' && c != '\\'),
            "bad charset: {d}"
        );
    }
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert!(
        r.header("content-type")
            .unwrap_or("")
            .starts_with("application/json")
    );
}

pub async fn start(opts: MockOptions) -> Env {
    let harness = EsKey::generate();
    let mut opts = opts;
    opts.extra_trusted_issuers.push(TrustedIssuer {
        issuer: HARNESS_ISS.into(),
        jwks: Some(json!({"keys": [harness.public_jwk()]})),
        jwks_uri: None,
    });
    let pair = MockPair::start(opts).await.expect("pair starts");
    let f = pair.facts().clone();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    Env {
        pair,
        f,
        http,
        harness,
    }
}

pub async fn env() -> Env {
    start(MockOptions::default()).await
}

pub async fn env_with(faults: &[Fault]) -> Env {
    start(MockOptions {
        faults: faults.to_vec(),
        ..MockOptions::default()
    })
    .await
}

pub async fn read(resp: reqwest::Response) -> Resp {
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap_or_default();
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    Resp {
        status,
        headers,
        text,
        json,
    }
}

/// Client credentials for a request.
#[derive(Clone, Copy)]
pub enum Auth<'a> {
    None,
    Basic(&'a str, &'a str),
    Post(&'a str, &'a str),
    /// private_key_jwt with the shipped key, `aud` the issuer of the server posted to.
    Jwt(&'a str),
}

impl Env {
    pub async fn post(
        &self,
        url: &str,
        params: &[(&str, &str)],
        auth: Auth<'_>,
        dpop: Option<String>,
    ) -> Resp {
        let mut params: Vec<(&str, &str)> = params.to_vec();
        let mut req = self.http.post(url);
        let assertion;
        match auth {
            Auth::None => {}
            Auth::Jwt(id) => {
                let key = EsKey::from_pkcs8_pem(mock_as::JWT_CLIENT_KEY_PEM).expect("shipped key");
                let aud = if url == self.f.as_b_token_endpoint {
                    &self.f.as_b_issuer
                } else {
                    &self.f.as_a_issuer
                };
                assertion = mock_as::testkit::make_client_assertion(&key, id, aud, now());
                params.push(("client_id", id));
                params.push((
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ));
                params.push(("client_assertion", &assertion));
            }
            Auth::Basic(id, secret) => req = req.basic_auth(id, Some(secret)),
            Auth::Post(id, secret) => {
                params.push(("client_id", id));
                params.push(("client_secret", secret));
            }
        }
        if let Some(p) = dpop {
            req = req.header("DPoP", p);
        }
        read(req.form(&params).send().await.expect("request")).await
    }

    /// Whether the pair's clients authenticate by key (the Ena mode: no client secrets).
    fn by_key(&self) -> bool {
        self.f.profile == mock_as::MockProfile::Ena
    }
    pub fn client(&self) -> Auth<'_> {
        if self.by_key() {
            return Auth::Jwt(&self.f.client_id);
        }
        Auth::Basic(&self.f.client_id, &self.f.client_secret)
    }
    pub fn second_client(&self) -> Auth<'_> {
        if self.by_key() {
            return Auth::Jwt(&self.f.second_client_id);
        }
        Auth::Basic(&self.f.second_client_id, &self.f.second_client_secret)
    }
    pub fn b_client(&self) -> Auth<'_> {
        let (id, secret) = self.f.as_b_client.as_ref().expect("AS-B client");
        if self.by_key() {
            return Auth::Jwt(id);
        }
        Auth::Basic(id, secret)
    }

    pub async fn get_json(&self, url: &str) -> Resp {
        read(self.http.get(url).send().await.expect("request")).await
    }

    /// Password-grant user token for the primary user and client.
    pub async fn user_token(&self) -> String {
        let (u, p) = self.f.user.clone();
        self.password_token(&u, &p, self.client()).await
    }

    pub async fn password_token(&self, user: &str, password: &str, auth: Auth<'_>) -> String {
        let r = self
            .post(
                &self.f.as_a_token_endpoint,
                &[
                    ("grant_type", "password"),
                    ("username", user),
                    ("password", password),
                ],
                auth,
                None,
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.token().to_owned()
    }

    /// Token exchange with a given subject token and extra parameters (primary client).
    pub async fn exchange_with(
        &self,
        subject_token: &str,
        extra: &[(&str, &str)],
        dpop: Option<String>,
    ) -> Resp {
        let mut p = vec![
            ("grant_type", TE),
            ("subject_token", subject_token),
            ("subject_token_type", TT_AT),
        ];
        p.extend_from_slice(extra);
        self.post(&self.f.as_a_token_endpoint, &p, self.client(), dpop)
            .await
    }

    /// Token exchange targeting AS-B by its issuer.
    pub async fn exchange(&self, extra: &[(&str, &str)]) -> Resp {
        let st = self.user_token().await;
        let mut p = vec![("resource", self.f.as_b_issuer.as_str())];
        p.extend_from_slice(extra);
        self.exchange_with(&st, &p, None).await
    }

    /// A fresh grant for AS-B.
    pub async fn grant(&self) -> String {
        let r = self.exchange(&[]).await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.token().to_owned()
    }

    /// jwt-bearer at AS-B with the AS-B client credentials.
    pub async fn redeem(
        &self,
        assertion: &str,
        extra: &[(&str, &str)],
        dpop: Option<String>,
    ) -> Resp {
        let mut p = vec![("grant_type", JB), ("assertion", assertion)];
        p.extend_from_slice(extra);
        self.post(&self.f.as_b_token_endpoint, &p, self.b_client(), dpop)
            .await
    }

    /// jwt-bearer at AS-B authenticated as `auth`.
    pub async fn redeem_as(&self, assertion: &str, auth: Auth<'_>) -> Resp {
        let p = [("grant_type", JB), ("assertion", assertion)];
        self.post(&self.f.as_b_token_endpoint, &p, auth, None).await
    }

    /// A grant signed by the harness issuer: default claims with `overrides` merged in
    /// (a `null` override removes the claim).
    pub fn harness_grant(&self, overrides: Value) -> String {
        self.harness_grant_with_header(
            json!({"alg": "ES256", "kid": self.harness.kid()}),
            overrides,
        )
    }

    pub fn harness_grant_with_header(&self, header: Value, overrides: Value) -> String {
        let now = now();
        let mut claims = json!({
            "iss": HARNESS_ISS, "sub": self.f.user_sub, "aud": self.f.as_b_issuer,
            "exp": now + 60, "iat": now, "jti": uuid::Uuid::new_v4().to_string(),
            "client_id": self.f.client_id, "scope": "read write",
        });
        for (k, v) in overrides.as_object().cloned().unwrap_or_default() {
            if v.is_null() {
                claims.as_object_mut().unwrap().remove(&k);
            } else {
                claims[k] = v;
            }
        }
        jose::sign(&self.harness, &header, &claims)
    }

    pub fn token_proof(&self, key: &EsKey, url: &str) -> String {
        make_proof(key, "POST", url, None, now())
    }

    pub async fn rs_get(&self, scheme: &str, token: &str, dpop: Option<String>) -> Resp {
        let mut req = self
            .http
            .get(&self.f.rs_url)
            .header("Authorization", format!("{scheme} {token}"));
        if let Some(p) = dpop {
            req = req.header("DPoP", p);
        }
        read(req.send().await.expect("request")).await
    }

    /// Full Bearer chain: grant → AS-B access token.
    pub async fn b_token(&self) -> String {
        let g = self.grant().await;
        let r = self.redeem(&g, &[], None).await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.token().to_owned()
    }
}

/// Decode a JWT's header and claims (no verification).
pub fn decode(
    token: &str,
) -> (
    serde_json::Map<String, Value>,
    serde_json::Map<String, Value>,
) {
    let j = jose::parse(token).expect("compact JWS");
    (j.header, j.claims)
}

/// Replace the claims of a signed JWT keeping header and signature (a forgery).
pub fn tamper(token: &str, edit: impl FnOnce(&mut Value)) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    let (header, claims) = decode(token);
    let mut claims = Value::Object(claims);
    edit(&mut claims);
    let sig = base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, parts[2])
        .unwrap();
    jose::assemble(&Value::Object(header), &claims, &sig)
}

/// A JWKS server whose key set the test changes (key rotation, IC-SC-10).
pub async fn jwks_server(doc: std::sync::Arc<std::sync::RwLock<Value>>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/jwks", listener.local_addr().unwrap());
    let app = axum::Router::new().route(
        "/jwks",
        axum::routing::get(move || {
            let doc = doc.clone();
            async move { axum::Json(doc.read().unwrap().clone()) }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

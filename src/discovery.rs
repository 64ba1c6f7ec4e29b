//! Finding a live authorization server's endpoints: RFC 8414 metadata at the well-known URL
//! with the path-insertion rule (§3.1), OpenID Connect Discovery 1.0 §4 as a fallback, the
//! issuer match (RFC 8414 §3.3), and endpoints pinned in the target file for servers that
//! publish no metadata.

use crate::http::{Http, Request};
use crate::target::PinnedEndpoints;
use serde_json::Value;

/// What the harness knows about one authorization server.
#[derive(Debug, Clone, Default)]
pub struct AsInfo {
    pub issuer: String,
    pub token_endpoint: String,
    pub jwks_uri: Option<String>,
    pub authorization_endpoint: Option<String>,
    /// The metadata document as served (`Null` when none was found).
    pub metadata: Value,
    /// Where the metadata came from (`None`: none found; endpoints pinned).
    pub metadata_url: Option<String>,
}

/// One precise line per problem.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DiscoveryError {
    #[error("{role}: cannot reach {url}: {reason}")]
    Unreachable {
        role: String,
        url: String,
        reason: String,
    },
    #[error(
        "{role}: no metadata at {tried}; pin `token_endpoint` (and `jwks_uri`) in the target for a server without metadata"
    )]
    NoMetadata { role: String, tried: String },
    #[error("{role}: metadata at {url} is not a JSON object: {reason}")]
    NotJson {
        role: String,
        url: String,
        reason: String,
    },
    #[error(
        "{role}: wrong issuer: metadata at {url} names issuer `{found}`, the target says `{expected}` (RFC 8414 §3.3: the metadata must not be used)"
    )]
    IssuerMismatch {
        role: String,
        url: String,
        found: String,
        expected: String,
    },
    #[error("{role}: metadata at {url} has no token_endpoint; pin one in the target")]
    NoTokenEndpoint { role: String, url: String },
}

/// RFC 8414 §3.1: insert the well-known segment between host and path of the issuer.
pub fn well_known(issuer: &str, suffix: &str) -> String {
    match url::Url::parse(issuer) {
        Ok(u) => {
            let path = u.path().trim_end_matches('/');
            let mut origin = u.origin().ascii_serialization();
            origin.push_str(&format!("/.well-known/{suffix}{path}"));
            origin
        }
        Err(_) => format!("{}/.well-known/{suffix}", issuer.trim_end_matches('/')),
    }
}

/// OpenID Connect Discovery 1.0 §4.1: the well-known segment appended to the issuer.
pub fn openid_configuration(issuer: &str) -> String {
    format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    )
}

/// How a metadata GET ended.
enum Fetched {
    Json(Value),
    Status(u16),
    Transport(String),
    NotJson(String),
}

async fn get_json(http: &Http, url: &str) -> Fetched {
    let req = Request {
        method: "GET".into(),
        url: url.into(),
        headers: vec![("accept".into(), "application/json".into())],
        body: None,
        client_cert: None,
    };
    let (_, res) = http.send("setup", req).await;
    match res {
        Err(e) => Fetched::Transport(e),
        Ok(r) if r.status != 200 => Fetched::Status(r.status),
        Ok(r) => match serde_json::from_str::<Value>(&r.body) {
            Ok(v) if v.is_object() => Fetched::Json(v),
            Ok(_) => Fetched::NotJson("not an object".into()),
            Err(e) => Fetched::NotJson(e.to_string()),
        },
    }
}

/// GET a JSON document (JWKS, mock metadata); the error is one line naming the URL.
pub async fn fetch_json(http: &Http, url: &str) -> Result<Value, String> {
    match get_json(http, url).await {
        Fetched::Json(v) => Ok(v),
        Fetched::Status(s) => Err(format!("GET {url}: status {s}")),
        Fetched::Transport(e) => Err(format!("GET {url}: {e}")),
        Fetched::NotJson(e) => Err(format!("GET {url}: body is not a JSON object: {e}")),
    }
}

/// Discover `issuer` (for `role`, e.g. "AS-A"): RFC 8414 first, then OpenID Connect; a
/// served document must name the same issuer. Pinned endpoints win over discovered ones, and
/// make metadata optional when `token_endpoint` is among them.
pub async fn discover(
    http: &Http,
    role: &str,
    issuer: &str,
    pinned: &PinnedEndpoints,
) -> Result<AsInfo, DiscoveryError> {
    let role = role.to_string();
    let mut tried = Vec::new();
    let mut found = None;
    for url in [
        well_known(issuer, "oauth-authorization-server"),
        openid_configuration(issuer),
    ] {
        match get_json(http, &url).await {
            Fetched::Json(v) => {
                found = Some((url, v));
                break;
            }
            Fetched::Status(s) => tried.push(format!("{url} (status {s})")),
            Fetched::Transport(reason) => {
                // An unreachable host fails both URLs alike: say so once, unless pinned.
                if pinned.token_endpoint.is_some() {
                    tried.push(format!("{url} ({reason})"));
                    break;
                }
                return Err(DiscoveryError::Unreachable { role, url, reason });
            }
            Fetched::NotJson(reason) => {
                if pinned.token_endpoint.is_none() {
                    return Err(DiscoveryError::NotJson { role, url, reason });
                }
                tried.push(format!("{url} (not JSON)"));
            }
        }
    }
    let Some((url, metadata)) = found else {
        return match &pinned.token_endpoint {
            Some(t) => Ok(AsInfo {
                issuer: issuer.to_string(),
                token_endpoint: t.clone(),
                jwks_uri: pinned.jwks_uri.clone(),
                authorization_endpoint: pinned.authorization_endpoint.clone(),
                metadata: Value::Null,
                metadata_url: None,
            }),
            None => Err(DiscoveryError::NoMetadata {
                role,
                tried: tried.join(", "),
            }),
        };
    };
    let named = metadata.get("issuer").and_then(Value::as_str).unwrap_or("");
    if named != issuer {
        return Err(DiscoveryError::IssuerMismatch {
            role,
            url,
            found: named.to_string(),
            expected: issuer.to_string(),
        });
    }
    let field = |k: &str| metadata.get(k).and_then(Value::as_str).map(String::from);
    let token_endpoint = pinned
        .token_endpoint
        .clone()
        .or_else(|| field("token_endpoint"))
        .ok_or_else(|| DiscoveryError::NoTokenEndpoint {
            role: role.clone(),
            url: url.clone(),
        })?;
    Ok(AsInfo {
        issuer: issuer.to_string(),
        token_endpoint,
        jwks_uri: pinned.jwks_uri.clone().or_else(|| field("jwks_uri")),
        authorization_endpoint: pinned
            .authorization_endpoint
            .clone()
            .or_else(|| field("authorization_endpoint")),
        metadata,
        metadata_url: Some(url),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    fn http() -> Http {
        Http::new(std::time::Duration::from_secs(2), 1 << 20)
    }

    #[test]
    fn well_known_inserts_before_the_issuer_path() {
        assert_eq!(
            well_known("https://a.example/realms/x", "oauth-authorization-server"),
            "https://a.example/.well-known/oauth-authorization-server/realms/x"
        );
        assert_eq!(
            well_known("https://a.example", "oauth-authorization-server"),
            "https://a.example/.well-known/oauth-authorization-server"
        );
        assert_eq!(
            well_known("https://rs.example/api/", "oauth-protected-resource"),
            "https://rs.example/.well-known/oauth-protected-resource/api"
        );
        assert_eq!(
            openid_configuration("https://a.example/realms/x"),
            "https://a.example/realms/x/.well-known/openid-configuration"
        );
    }

    #[tokio::test]
    async fn rfc8414_path_insertion_then_openid_fallback_then_pinned() {
        let s = MockServer::start().await;
        let issuer = format!("{}/tenant/a", s.uri());
        // Only the OpenID Connect location serves metadata.
        Mock::given(method("GET"))
            .and(path("/tenant/a/.well-known/openid-configuration"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "issuer": issuer, "token_endpoint": format!("{issuer}/token"),
                "authorization_endpoint": format!("{issuer}/auth"),
            })))
            .mount(&s)
            .await;
        let info = discover(&http(), "AS-A", &issuer, &PinnedEndpoints::default())
            .await
            .unwrap();
        assert_eq!(info.token_endpoint, format!("{issuer}/token"));
        assert_eq!(
            info.metadata_url.as_deref(),
            Some(format!("{issuer}/.well-known/openid-configuration").as_str())
        );
        // RFC 8414 wins where both exist, and pinned endpoints win over metadata.
        Mock::given(method("GET"))
            .and(path("/.well-known/oauth-authorization-server/tenant/a"))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "issuer": issuer, "token_endpoint": format!("{issuer}/oauth/token"),
                "jwks_uri": format!("{issuer}/keys"),
            })))
            .mount(&s)
            .await;
        let pinned = PinnedEndpoints {
            jwks_uri: Some("https://pinned.example/jwks".into()),
            ..Default::default()
        };
        let info = discover(&http(), "AS-A", &issuer, &pinned).await.unwrap();
        assert_eq!(info.token_endpoint, format!("{issuer}/oauth/token"));
        assert_eq!(
            info.jwks_uri.as_deref(),
            Some("https://pinned.example/jwks")
        );
    }

    #[tokio::test]
    async fn issuer_mismatch_and_missing_metadata_are_precise() {
        let s = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/.well-known/oauth-authorization-server"))
            .respond_with(ResponseTemplate::new(200).set_body_json(
                json!({"issuer": "https://elsewhere.example", "token_endpoint": "https://x/t"}),
            ))
            .mount(&s)
            .await;
        let e = discover(&http(), "AS-B", &s.uri(), &PinnedEndpoints::default())
            .await
            .unwrap_err();
        assert!(
            matches!(&e, DiscoveryError::IssuerMismatch { found, .. } if found == "https://elsewhere.example"),
            "{e}"
        );
        assert!(e.to_string().starts_with("AS-B: wrong issuer"), "{e}");

        let empty = MockServer::start().await;
        let e = discover(&http(), "AS-A", &empty.uri(), &PinnedEndpoints::default())
            .await
            .unwrap_err();
        assert!(
            e.to_string().contains("status 404") && e.to_string().contains("pin"),
            "{e}"
        );
        let pinned = PinnedEndpoints {
            token_endpoint: Some(format!("{}/token", empty.uri())),
            ..Default::default()
        };
        let info = discover(&http(), "AS-A", &empty.uri(), &pinned)
            .await
            .unwrap();
        assert!(info.metadata.is_null() && info.metadata_url.is_none());
    }

    #[tokio::test]
    async fn an_unreachable_host_is_named() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        drop(l);
        let e = discover(
            &http(),
            "AS-A",
            &format!("http://{addr}"),
            &PinnedEndpoints::default(),
        )
        .await
        .unwrap_err();
        assert!(matches!(e, DiscoveryError::Unreachable { .. }), "{e}");
        assert!(e.to_string().starts_with("AS-A: cannot reach"), "{e}");
    }
}

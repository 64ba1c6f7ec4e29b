//! OAuth error responses (RFC 6749 §5.2, RFC 8693 §2.2.2, RFC 7523 §3.1, RFC 9449 §7.1).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// One error answer. `code` is a registered error code; the description is sanitised to the
/// RFC 6749 §5.2 character set (printable ASCII without `"` and `\`) when rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthError {
    pub status: StatusCode,
    pub code: &'static str,
    pub description: String,
    /// `WWW-Authenticate` value (401 answers).
    pub www_authenticate: Option<String>,
    /// Produced by the request-syntax layer (body, content type, form): the
    /// `server-error-on-malformed` fault turns exactly these into 500s.
    pub malformed: bool,
}

impl OAuthError {
    fn new(status: StatusCode, code: &'static str, description: impl Into<String>) -> OAuthError {
        OAuthError {
            status,
            code,
            description: description.into(),
            www_authenticate: None,
            malformed: false,
        }
    }
    pub fn invalid_request(d: impl Into<String>) -> OAuthError {
        OAuthError::new(StatusCode::BAD_REQUEST, "invalid_request", d)
    }
    pub fn malformed(d: impl Into<String>) -> OAuthError {
        OAuthError {
            malformed: true,
            ..OAuthError::invalid_request(d)
        }
    }
    pub fn invalid_grant(d: impl Into<String>) -> OAuthError {
        OAuthError::new(StatusCode::BAD_REQUEST, "invalid_grant", d)
    }
    pub fn invalid_scope(d: impl Into<String>) -> OAuthError {
        OAuthError::new(StatusCode::BAD_REQUEST, "invalid_scope", d)
    }
    pub fn invalid_target(d: impl Into<String>) -> OAuthError {
        OAuthError::new(StatusCode::BAD_REQUEST, "invalid_target", d)
    }
    pub fn unsupported_grant_type(d: impl Into<String>) -> OAuthError {
        OAuthError::new(StatusCode::BAD_REQUEST, "unsupported_grant_type", d)
    }
    /// RFC 7009 §2.2.1's revocation-endpoint code. RFC 8693 §2.2.2 wants `invalid_request` for
    /// an unusable subject or actor token, so only the `unsupported-token-type-code` fault
    /// answers this at the token endpoint.
    pub fn unsupported_token_type(d: impl Into<String>) -> OAuthError {
        OAuthError::new(StatusCode::BAD_REQUEST, "unsupported_token_type", d)
    }
    /// HTTP 500 `server_error` (only the `unknown-target-server-error` fault).
    pub fn server_error(d: impl Into<String>) -> OAuthError {
        OAuthError::new(StatusCode::INTERNAL_SERVER_ERROR, "server_error", d)
    }
    pub fn invalid_dpop_proof(d: impl Into<String>) -> OAuthError {
        OAuthError::new(StatusCode::BAD_REQUEST, "invalid_dpop_proof", d)
    }
    /// 401 `invalid_client`; with `challenge` when the client used the Authorization header
    /// (RFC 6749 §5.2 requires `WWW-Authenticate` then).
    pub fn invalid_client(d: impl Into<String>, challenge: Option<&str>) -> OAuthError {
        OAuthError {
            www_authenticate: challenge.map(str::to_owned),
            ..OAuthError::new(StatusCode::UNAUTHORIZED, "invalid_client", d)
        }
    }
    pub fn method_not_allowed() -> OAuthError {
        OAuthError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "invalid_request",
            "the token endpoint accepts POST only",
        )
    }
}

/// Printable ASCII except `"` and `\` (RFC 6749 §5.2 `error_description` grammar), at most
/// 200 characters (descriptions may quote request input).
pub fn sanitize_description(text: &str) -> String {
    text.chars()
        .take(200)
        .map(|c| {
            if (' '..='~').contains(&c) && c != '"' && c != '\\' {
                c
            } else {
                '\''
            }
        })
        .collect()
}

/// How faults change error rendering.
#[derive(Debug, Clone, Copy, Default)]
pub struct ErrorStyle {
    pub server_error_on_malformed: bool,
    pub bad_description_chars: bool,
    pub no_www_authenticate: bool,
    /// Variant `no-error-description`.
    pub no_description: bool,
    /// Variant `invalid-client-400-without-header`.
    pub invalid_client_400_without_header: bool,
    /// Fault `invalid-client-400-after-basic`.
    pub invalid_client_400_after_basic: bool,
}

impl OAuthError {
    pub fn render(&self, style: ErrorStyle) -> Response {
        if self.malformed && style.server_error_on_malformed {
            return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response();
        }
        let mut description = sanitize_description(&self.description);
        if style.bad_description_chars {
            description = format!("\"{description}\" \\ \u{7f}");
        }
        let body = if style.no_description {
            json!({ "error": self.code })
        } else {
            json!({ "error": self.code, "error_description": description })
        };
        let after_basic = self.code == "invalid_client" && self.www_authenticate.is_some();
        let status = if (style.invalid_client_400_without_header
            && self.code == "invalid_client"
            && self.www_authenticate.is_none())
            || (style.invalid_client_400_after_basic && after_basic)
        {
            StatusCode::BAD_REQUEST
        } else {
            self.status
        };
        let mut resp = (status, axum::Json(body)).into_response();
        let h = resp.headers_mut();
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
        if self.status == StatusCode::METHOD_NOT_ALLOWED {
            h.insert(header::ALLOW, HeaderValue::from_static("POST"));
        }
        if let Some(challenge) = &self.www_authenticate
            && !style.no_www_authenticate
            && !style.invalid_client_400_after_basic
            && let Ok(v) = HeaderValue::from_str(challenge)
        {
            h.insert(header::WWW_AUTHENTICATE, v);
        }
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn description_charset() {
        assert_eq!(sanitize_description("a\"b\\c\u{e9}\n"), "a'b'c''");
    }
}

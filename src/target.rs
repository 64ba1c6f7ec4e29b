//! Target files: which server plays AS-A, AS-B and RS-B (`mock` or `live`), client
//! credentials (secrets from environment variables), subject-token source, negative-case
//! fixtures, limits and harness-issuer settings. `chainproof init` prints the template.

use crate::diagnostic::{Diagnostic, SourceFile};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// The fully commented template (`chainproof init`).
pub const TEMPLATE: &str = include_str!("../fixtures/target.example.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetFile {
    #[serde(default)]
    pub profile: Option<String>,
    pub as_a: AsATarget,
    pub as_b: AsBTarget,
    #[serde(default)]
    pub rs: Option<RsTarget>,
    #[serde(default)]
    pub fixtures: Fixtures,
    #[serde(default)]
    pub limits: Limits,
    #[serde(default)]
    pub harness: HarnessSettings,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Mock,
    Live,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Auth {
    #[default]
    Basic,
    Post,
    /// RFC 7523 §2.2 client assertion signed with `key_file`.
    #[serde(rename = "private_key_jwt")]
    PrivateKeyJwt,
    /// RFC 8705 §2.1 PKI mutual TLS with `tls_cert_file` / `tls_key_file`.
    #[serde(rename = "tls_client_auth")]
    TlsClientAuth,
    /// RFC 8705 §2.2 self-signed certificate mutual TLS with `tls_cert_file` / `tls_key_file`.
    #[serde(rename = "self_signed_tls_client_auth")]
    SelfSignedTlsClientAuth,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AsATarget {
    pub kind: Kind,
    /// For `kind = "mock"`: the port the embedded server listens on (default: ephemeral).
    #[serde(default)]
    pub port: Option<u16>,
    #[serde(default)]
    pub issuer: Option<Spanned<String>>,
    #[serde(default)]
    pub client: Option<ClientTarget>,
    #[serde(default)]
    pub second_client: Option<ClientTarget>,
    /// A client authenticating with private_key_jwt (capability `jwt_client`).
    #[serde(default)]
    pub jwt_client: Option<ClientTarget>,
    /// Subject token of the primary user, for the primary client (role `primary`).
    #[serde(default)]
    pub subject_token: Option<SubjectTokenTarget>,
    /// Subject token of the primary user issued to the second client (role `second_client`).
    /// Without it, a `password` or `client_credentials` primary source is repeated by the
    /// second client; any other source belongs to the primary client alone.
    #[serde(default)]
    pub second_client_token: Option<SubjectTokenTarget>,
    /// Subject token of the primary user issued to the private_key_jwt client (role
    /// `jwt_client`); derived like `second_client_token` when absent.
    #[serde(default)]
    pub jwt_client_token: Option<SubjectTokenTarget>,
    /// Subject token of a user AS-B cannot map (role `unmapped_user`).
    #[serde(default)]
    pub unmapped_user: Option<SubjectTokenTarget>,
    /// Subject token of a second user AS-B maps, to `[fixtures] second_user_sub_at_b` (role
    /// `second_user`).
    #[serde(default)]
    pub second_user: Option<SubjectTokenTarget>,
    /// Token of the acting party for RFC 8693 delegation (role `actor`, sent as `actor_token`):
    /// obtained by the second client when `[as_a.second_client]` is given (e.g. its own
    /// `client_credentials` token), else by the primary client.
    #[serde(default)]
    pub actor_token: Option<SubjectTokenTarget>,
    /// PEM bundle of CAs trusted (besides the platform's) for this role's HTTPS servers.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Pinned endpoints: used instead of (or where there is no) RFC 8414 metadata; each one
    /// given wins over the discovered value.
    #[serde(default)]
    pub token_endpoint: Option<Spanned<String>>,
    #[serde(default)]
    pub jwks_uri: Option<Spanned<String>>,
    /// RFC 6749 §3.1 authorization endpoint (the `authorization_code` subject-token source).
    #[serde(default)]
    pub authorization_endpoint: Option<Spanned<String>>,
    /// The request form AS-A accepts for setup exchanges (`[as_a.exchange]`); it overrides the
    /// profile's form field by field (see `exchange_form`).
    #[serde(default)]
    pub exchange: Option<crate::exchange_form::FormSpec>,
}

/// Endpoints a target file pins for one authorization server.
#[derive(Debug, Clone, Default)]
pub struct PinnedEndpoints {
    pub token_endpoint: Option<String>,
    pub jwks_uri: Option<String>,
    pub authorization_endpoint: Option<String>,
}

fn pinned(v: &Option<Spanned<String>>) -> Option<String> {
    v.as_ref().map(|s| s.get_ref().clone())
}

impl AsATarget {
    pub fn endpoints(&self) -> PinnedEndpoints {
        PinnedEndpoints {
            token_endpoint: pinned(&self.token_endpoint),
            jwks_uri: pinned(&self.jwks_uri),
            authorization_endpoint: pinned(&self.authorization_endpoint),
        }
    }
}

impl AsBTarget {
    pub fn endpoints(&self) -> PinnedEndpoints {
        PinnedEndpoints {
            token_endpoint: pinned(&self.token_endpoint),
            jwks_uri: pinned(&self.jwks_uri),
            authorization_endpoint: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AsBTarget {
    pub kind: Kind,
    /// For `kind = "mock"`: the port the embedded server listens on (default: ephemeral).
    #[serde(default)]
    pub port: Option<u16>,
    #[serde(default)]
    pub issuer: Option<Spanned<String>>,
    #[serde(default)]
    pub audience: Option<String>,
    #[serde(default)]
    pub trusts_harness: bool,
    /// Whether these servers support DPoP (capability `dpop`). Unset: the embedded mock's
    /// own setting, or for a live AS-B whether its metadata advertises
    /// `dpop_signing_alg_values_supported` (RFC 9449 §5.1).
    #[serde(default)]
    pub dpop: Option<bool>,
    /// Whether AS-B supports RFC 8707 resource indicators at its token endpoint (capability
    /// `resource_indicators`). RFC 8707 is optional and RFC 8414 metadata has no member for
    /// it, so a live AS-B is taken not to support it unless the target says so.
    #[serde(default)]
    pub resource_indicators: Option<bool>,
    #[serde(default)]
    pub client: Option<ClientTarget>,
    /// PEM bundle of CAs trusted (besides the platform's) for this role's HTTPS servers.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Pinned endpoints: used instead of (or where there is no) RFC 8414 metadata; each one
    /// given wins over the discovered value.
    #[serde(default)]
    pub token_endpoint: Option<Spanned<String>>,
    #[serde(default)]
    pub jwks_uri: Option<Spanned<String>>,
    /// RFC 7662 introspection endpoint for AS-B's opaque access tokens (default: the
    /// metadata's `introspection_endpoint`); the harness authenticates as `[as_b.client]`.
    #[serde(default)]
    pub introspection_endpoint: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RsTarget {
    pub kind: Kind,
    /// For `kind = "mock"`: the port the embedded server listens on (default: ephemeral).
    #[serde(default)]
    pub port: Option<u16>,
    #[serde(default)]
    pub resource: Option<Spanned<String>>,
    #[serde(default)]
    pub url: Option<Spanned<String>>,
    /// PEM bundle of CAs trusted (besides the platform's) for this role's HTTPS servers.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientTarget {
    pub id: String,
    /// Environment variable holding the secret.
    #[serde(default)]
    pub secret_env: Option<Spanned<String>>,
    /// Inline secret (discouraged; allowed for throwaway test deployments).
    #[serde(default)]
    pub secret: Option<String>,
    #[serde(default)]
    pub auth: Auth,
    /// PKCS#8 PEM of the client's P-256 key, for `auth = "private_key_jwt"` (a secret: keep
    /// it out of the repository).
    #[serde(default)]
    pub key_file: Option<PathBuf>,
    /// PEM certificate (chain) the client presents for RFC 8705 mutual TLS.
    #[serde(default)]
    pub tls_cert_file: Option<PathBuf>,
    /// PEM private key of `tls_cert_file` (a secret: keep it out of the repository).
    #[serde(default)]
    pub tls_key_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubjectMethod {
    Password,
    ClientCredentials,
    Static,
    Env,
    /// RFC 6749 §4.1 with PKCE (RFC 7636, S256) and a loopback redirect (RFC 8252 §7.3).
    AuthorizationCode,
    /// RFC 6749 §6: a refresh token from an environment variable, redeemed when needed.
    RefreshToken,
    /// A credential-helper command printing the token on stdout.
    Command,
}

impl SubjectMethod {
    pub fn name(self) -> &'static str {
        match self {
            SubjectMethod::Password => "password",
            SubjectMethod::ClientCredentials => "client_credentials",
            SubjectMethod::Static => "static",
            SubjectMethod::Env => "env",
            SubjectMethod::AuthorizationCode => "authorization_code",
            SubjectMethod::RefreshToken => "refresh_token",
            SubjectMethod::Command => "command",
        }
    }
}

/// How the `authorization_code` source reaches the user's consent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum LoginMode {
    /// Print the authorization URL and wait for the browser to reach the loopback redirect.
    #[default]
    Interactive,
    /// Follow the authorization endpoint's redirects without a browser (an IdP that logs the
    /// user in without a page, e.g. by `login_hint` or a pre-established session).
    Unattended,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubjectTokenTarget {
    pub method: Spanned<SubjectMethod>,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password_env: Option<Spanned<String>>,
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub token_env: Option<Spanned<String>>,
    /// Inline token for `static` (discouraged; for throwaway deployments and tests).
    #[serde(default)]
    pub token: Option<String>,
    #[serde(default)]
    pub scope: Option<String>,
    /// `refresh_token`: the variable holding the refresh token.
    #[serde(default)]
    pub refresh_token_env: Option<Spanned<String>>,
    /// `command`: program and arguments (no shell); the token is its stdout.
    #[serde(default)]
    pub command: Option<Spanned<Vec<String>>>,
    /// `command`: longest it may run (default 30 s); `authorization_code`: longest to wait
    /// for the redirect (default 300 s interactive, 30 s unattended).
    #[serde(default)]
    pub timeout_secs: Option<u64>,
    /// `authorization_code`: interactive (default) or unattended.
    #[serde(default)]
    pub mode: LoginMode,
    /// `authorization_code`: loopback port of the redirect listener (default: ephemeral;
    /// RFC 8252 §7.3 has the AS accept any port).
    #[serde(default)]
    pub redirect_port: Option<u16>,
    /// `authorization_code`: path of the redirect URI (default `/callback`).
    #[serde(default)]
    pub redirect_path: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixtures {
    pub user_sub: Option<String>,
    pub user_sub_at_b: Option<String>,
    /// The second user's `sub` at AS-A and the subject AS-B maps it to (role `second_user`).
    pub second_user_sub: Option<String>,
    pub second_user_sub_at_b: Option<String>,
    pub scopes: Option<String>,
    pub escalation_scope: Option<String>,
    pub as_c: Option<String>,
    /// A second protected resource of AS-A's own domain, target of same-domain token exchange
    /// (Ena chaining profile §2; capability `same_domain_resource`).
    pub same_domain_resource: Option<String>,
    /// The deployment treats the user as the resource owner (Ena chaining profile §4.3): no
    /// exchange may add a scope the subject token does not hold (capability `resource_owner`).
    /// Where the user is not the owner, extra scopes MAY be issued, so the cases need it said.
    pub user_is_resource_owner: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    pub request_timeout_secs: u64,
    pub case_timeout_secs: u64,
    pub max_response_bytes: usize,
    pub jobs: Option<u16>,
    pub max_wait_secs: u64,
    pub clock_leeway_secs: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            request_timeout_secs: 10,
            case_timeout_secs: 120,
            max_response_bytes: 1024 * 1024,
            jobs: None,
            max_wait_secs: 180,
            clock_leeway_secs: 5,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HarnessSettings {
    pub enabled: bool,
    pub issuer: Option<String>,
    pub listen: Option<String>,
    pub key_file: PathBuf,
}

impl Default for HarnessSettings {
    fn default() -> Self {
        HarnessSettings {
            enabled: false,
            issuer: None,
            listen: None,
            key_file: PathBuf::from(".chainproof/harness-key.pem"),
        }
    }
}

/// A target file as read, with its source for later positioned errors.
#[derive(Debug, Clone)]
pub struct Target {
    pub file: SourceFile,
    pub spec: TargetFile,
    /// Folder relative paths (key file) are resolved against.
    pub base_dir: PathBuf,
}

impl Target {
    pub fn load(path: &Path) -> Result<Target, Diagnostic> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Diagnostic::file_level(
                path.display().to_string(),
                format!("cannot read target file: {e}"),
            )
        })?;
        let mut t = Target::parse(SourceFile::new(path.display().to_string(), text))?;
        t.base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Ok(t)
    }

    pub fn parse(file: SourceFile) -> Result<Target, Diagnostic> {
        let spec: TargetFile =
            toml::from_str(&file.text).map_err(|e| Diagnostic::from_toml(&file, &e))?;
        let t = Target {
            file,
            spec,
            base_dir: PathBuf::new(),
        };
        t.validate()?;
        Ok(t)
    }

    fn validate(&self) -> Result<(), Diagnostic> {
        let f = &self.file;
        let need_url = |kind: Kind,
                        v: &Option<Spanned<String>>,
                        table: &str,
                        key: &str|
         -> Result<(), Diagnostic> {
            match (kind, v) {
                (Kind::Live, None) => Err(Diagnostic::file_level(
                    f.name.clone(),
                    format!("[{table}] kind = \"live\" needs `{key}`"),
                )),
                (_, Some(u)) => match url::Url::parse(u.get_ref()) {
                    Ok(parsed)
                        if matches!(parsed.scheme(), "http" | "https")
                            && parsed.fragment().is_none() =>
                    {
                        Ok(())
                    }
                    Ok(_) => Err(f.error(
                        u.span(),
                        format!("`{key}` must be an http(s) URL without fragment"),
                        "fix the URL",
                    )),
                    Err(e) => Err(f.error(
                        u.span(),
                        format!("invalid URL in `{key}`: {e}"),
                        "expected an absolute URL",
                    )),
                },
                _ => Ok(()),
            }
        };
        need_url(
            self.spec.as_a.kind,
            &self.spec.as_a.issuer,
            "as_a",
            "issuer",
        )?;
        need_url(
            self.spec.as_b.kind,
            &self.spec.as_b.issuer,
            "as_b",
            "issuer",
        )?;
        if let Some(rs) = &self.spec.rs {
            need_url(rs.kind, &rs.resource, "rs", "resource")?;
            need_url(Kind::Mock, &rs.url, "rs", "url")?;
        }
        if self.spec.as_a.kind == Kind::Live {
            if self.spec.as_a.client.is_none() {
                return Err(Diagnostic::file_level(
                    f.name.clone(),
                    "[as_a] kind = \"live\" needs [as_a.client]",
                ));
            }
            if self.spec.as_a.subject_token.is_none() {
                return Err(Diagnostic::file_level(
                    f.name.clone(),
                    "[as_a] kind = \"live\" needs [as_a.subject_token]",
                ));
            }
        }
        let a = &self.spec.as_a;
        for st in [
            &a.subject_token,
            &a.second_client_token,
            &a.jwt_client_token,
            &a.unmapped_user,
            &a.second_user,
            &a.actor_token,
        ]
        .into_iter()
        .flatten()
        {
            st.validate(f)?;
        }
        let b = &self.spec.as_b;
        for (table, key, v) in [
            ("as_a", "token_endpoint", &a.token_endpoint),
            ("as_a", "jwks_uri", &a.jwks_uri),
            ("as_a", "authorization_endpoint", &a.authorization_endpoint),
            ("as_b", "token_endpoint", &b.token_endpoint),
            ("as_b", "jwks_uri", &b.jwks_uri),
        ] {
            need_url(Kind::Mock, v, table, key)?;
        }
        if self.spec.harness.enabled && self.spec.harness.issuer.is_none() {
            return Err(Diagnostic::file_level(
                f.name.clone(),
                "[harness] enabled = true needs `issuer` (and usually `listen`)",
            ));
        }
        Ok(())
    }

    /// The harness key file, resolved against the target file's folder.
    pub fn key_path(&self) -> PathBuf {
        let p = &self.spec.harness.key_file;
        if p.is_absolute() {
            p.clone()
        } else {
            self.base_dir.join(p)
        }
    }
}

impl SubjectTokenTarget {
    /// The keys each method needs, reported at the `method` value.
    fn validate(&self, f: &SourceFile) -> Result<(), Diagnostic> {
        let m = *self.method.get_ref();
        let missing = match m {
            SubjectMethod::Password => (self.username.is_none()
                || (self.password_env.is_none() && self.password.is_none()))
            .then_some("`username` and `password_env`"),
            SubjectMethod::ClientCredentials | SubjectMethod::AuthorizationCode => None,
            SubjectMethod::Static => (self.token_env.is_none() && self.token.is_none())
                .then_some("`token_env` (or an inline `token`)"),
            SubjectMethod::Env => self.token_env.is_none().then_some("`token_env`"),
            SubjectMethod::RefreshToken => self
                .refresh_token_env
                .is_none()
                .then_some("`refresh_token_env`"),
            SubjectMethod::Command => self.command.is_none().then_some("`command`"),
        };
        if let Some(need) = missing {
            return Err(f.error(
                self.method.span(),
                format!("subject-token method `{}` needs {need}", m.name()),
                "add the missing keys",
            ));
        }
        if let Some(c) = &self.command
            && c.get_ref().first().is_none_or(|p| p.is_empty())
        {
            return Err(f.error(
                c.span(),
                "`command` needs a program: [\"program\", \"arg\", ...]",
                "name the program to run",
            ));
        }
        if let Some(p) = &self.redirect_path
            && !p.starts_with('/')
        {
            return Err(f.error(
                self.method.span(),
                format!("`redirect_path` `{p}` must start with `/`"),
                "e.g. redirect_path = \"/callback\"",
            ));
        }
        Ok(())
    }
}

/// Read a secret from the environment variable a target names; the error names the key.
pub fn secret_from_env(file: &SourceFile, var: &Spanned<String>) -> Result<String, Diagnostic> {
    std::env::var(var.get_ref()).map_err(|_| {
        file.error(
            var.span(),
            format!("environment variable `{}` is not set", var.get_ref()),
            "export it before running",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_parses() {
        let t = Target::parse(SourceFile::new("fixtures/target.example.toml", TEMPLATE))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t.spec.as_a.kind, Kind::Live);
        assert_eq!(t.spec.limits.max_response_bytes, 1024 * 1024);
    }

    #[test]
    fn unknown_key_and_bad_value_are_positioned() {
        let bad = TEMPLATE.replace("trusts_harness = false", "trusts_harnes = false");
        let e = Target::parse(SourceFile::new("t.toml", bad)).unwrap_err();
        assert!(e.message.contains("trusts_harnes"), "{e}");
        assert!(e.position().is_some());
        let bad = TEMPLATE.replace(
            "kind = \"live\"\nissuer = \"https://as-a",
            "kind = \"remote\"\nissuer = \"https://as-a",
        );
        let e = Target::parse(SourceFile::new("t.toml", bad)).unwrap_err();
        assert!(e.message.contains("remote"), "{e}");
    }

    #[test]
    fn minimal_mock_target() {
        let t = Target::parse(SourceFile::new(
            "t.toml",
            "[as_a]\nkind = \"mock\"\n[as_b]\nkind = \"mock\"\n",
        ))
        .unwrap();
        assert!(t.spec.rs.is_none());
    }
}

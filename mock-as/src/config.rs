//! Mock configuration: one commented TOML (`mock.toml`), embedded and printable.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The embedded default configuration, with comments (what `chainproof mock --print-config` shows).
pub const DEFAULT_CONFIG_TOML: &str = include_str!("../mock.toml");

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MockConfig {
    #[serde(default = "defaults::as_a")]
    pub as_a: AsAConfig,
    #[serde(default = "defaults::as_b")]
    pub as_b: AsBConfig,
    #[serde(default = "defaults::rs")]
    pub rs: RsConfig,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AsAConfig {
    #[serde(default = "defaults::as_a_issuer_path")]
    pub issuer_path: String,
    #[serde(default = "defaults::as_a_token_path")]
    pub token_path: String,
    #[serde(default = "defaults::as_a_jwks_path")]
    pub jwks_path: String,
    #[serde(default = "defaults::as_a_api_audience_path")]
    pub api_audience_path: String,
    #[serde(default = "defaults::as_a_access_token_lifetime_secs")]
    pub access_token_lifetime_secs: u64,
    #[serde(default = "defaults::as_a_grant_lifetime_secs")]
    pub grant_lifetime_secs: u64,
    #[serde(default = "defaults::as_a_as_b_audience_alias")]
    pub as_b_audience_alias: String,
    #[serde(default = "defaults::as_a_extra_partners")]
    pub extra_partners: Vec<String>,
    #[serde(default = "defaults::as_a_transcribe_subjects")]
    pub transcribe_subjects: BTreeMap<String, String>,
    #[serde(default = "defaults::as_a_clients")]
    pub clients: Vec<ClientConfig>,
    #[serde(default = "defaults::as_a_users")]
    pub users: Vec<UserConfig>,
    /// An authorization endpoint (`{issuer}/authorize`) that logs in the test user named by
    /// `login_hint` without a page, plus the authorization-code and refresh-token grants.
    #[serde(default)]
    pub login_without_page: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    pub id: String,
    #[serde(default)]
    pub secret: Option<String>,
    #[serde(default)]
    pub auth_methods: Vec<String>,
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Public key for private_key_jwt.
    #[serde(default)]
    pub jwk: Option<serde_json::Value>,
    /// RFC 8705 §2.1.2 `tls_client_auth_subject_dn` (RFC 4514 string) for `tls_client_auth`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_client_auth_subject_dn: Option<String>,
    /// RFC 8705 §2.1.2 `tls_client_auth_san_dns` for `tls_client_auth`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_client_auth_san_dns: Option<String>,
    /// PEM of the registered certificate for `self_signed_tls_client_auth` (RFC 8705 §2.2
    /// registers it through the client's JWKS `x5c`; the certificate itself is what counts).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_client_certificate: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserConfig {
    pub username: String,
    pub password: String,
    pub sub: String,
    #[serde(default)]
    pub scopes: Vec<String>,
    /// RFC 8693 §4.4: in the rfc8693 mode, this user's access tokens carry
    /// `may_act = { sub = … }` naming the one party that may act for the user, and AS-A
    /// refuses any other actor for them (the identity-chaining modes ignore it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub may_act: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AsBConfig {
    #[serde(default = "defaults::as_b_issuer_path")]
    pub issuer_path: String,
    #[serde(default = "defaults::as_b_token_path")]
    pub token_path: String,
    #[serde(default = "defaults::as_b_jwks_path")]
    pub jwks_path: String,
    #[serde(default = "defaults::as_b_leeway_secs")]
    pub leeway_secs: u64,
    #[serde(default = "defaults::as_b_access_token_lifetime_secs")]
    pub access_token_lifetime_secs: u64,
    #[serde(default = "defaults::as_b_scopes")]
    pub scopes: Vec<String>,
    #[serde(default = "defaults::as_b_require_client_auth")]
    pub require_client_auth: bool,
    #[serde(default = "defaults::as_b_subject_map")]
    pub subject_map: BTreeMap<String, String>,
    #[serde(default = "defaults::as_b_clients")]
    pub clients: Vec<BClientConfig>,
    #[serde(default)]
    pub trusted_issuers: Vec<TrustedIssuerConfig>,
    /// Issue opaque access tokens (not JWTs) and offer RFC 7662 introspection at
    /// `{issuer}/introspect` for AS-B's clients.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub opaque_access_tokens: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BClientConfig {
    pub id: String,
    pub secret: String,
    /// Methods this client may use at AS-B (default: client_secret_basic and _post).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub auth_methods: Vec<String>,
    /// Public key for private_key_jwt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jwk: Option<serde_json::Value>,
    /// RFC 8705 registration, as for AS-A clients.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_client_auth_subject_dn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_client_auth_san_dns: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_client_certificate: Option<String>,
}

impl BClientConfig {
    /// A client_secret_basic / client_secret_post client.
    pub fn with_secret(id: &str, secret: &str) -> BClientConfig {
        BClientConfig {
            id: id.into(),
            secret: secret.into(),
            auth_methods: Vec::new(),
            jwk: None,
            tls_client_auth_subject_dn: None,
            tls_client_auth_san_dns: None,
            tls_client_certificate: None,
        }
    }

    /// The same client as AS-B's authenticator sees it.
    pub fn as_client(&self) -> ClientConfig {
        ClientConfig {
            id: self.id.clone(),
            secret: Some(self.secret.clone()),
            auth_methods: if self.auth_methods.is_empty() {
                vec!["client_secret_basic".into(), "client_secret_post".into()]
            } else {
                self.auth_methods.clone()
            },
            scopes: Vec::new(),
            jwk: self.jwk.clone(),
            tls_client_auth_subject_dn: self.tls_client_auth_subject_dn.clone(),
            tls_client_auth_san_dns: self.tls_client_auth_san_dns.clone(),
            tls_client_certificate: self.tls_client_certificate.clone(),
        }
    }
}

/// Client authentication methods the mock implements (RFC 6749 §2.3.1, RFC 7523 §2.2,
/// RFC 8705 §2).
pub const AUTH_METHODS: [&str; 5] = [
    "client_secret_basic",
    "client_secret_post",
    "private_key_jwt",
    "tls_client_auth",
    "self_signed_tls_client_auth",
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustedIssuerConfig {
    pub issuer: String,
    #[serde(default)]
    pub jwks_uri: Option<String>,
    #[serde(default)]
    pub jwks: Option<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RsConfig {
    #[serde(default = "defaults::rs_resource_path")]
    pub resource_path: String,
}

impl Default for MockConfig {
    fn default() -> Self {
        toml::from_str(DEFAULT_CONFIG_TOML).expect("embedded mock.toml is valid")
    }
}

impl MockConfig {
    /// Shorten the lifetimes for a mock that lives as long as one harness run: AS-A's user
    /// tokens and grants live `token_secs`, and AS-B allows `leeway_secs` of clock leeway on
    /// grants. A case that waits for one of these to expire then waits seconds, on the same
    /// code path a conformant server takes after minutes. AS-B's access tokens keep their
    /// lifetime (already bounded by the grant's remaining validity + 60 s).
    pub fn shorten_lifetimes(&mut self, token_secs: u64, leeway_secs: u64) {
        self.as_a.access_token_lifetime_secs = token_secs;
        self.as_a.grant_lifetime_secs = token_secs;
        self.as_b.leeway_secs = leeway_secs;
    }

    /// Parse a user file over the embedded defaults: every key the file omits keeps its default
    /// (tables merge key by key; an array such as `[[as_a.clients]]` replaces the default list as
    /// a whole). Unknown keys and bad values are errors whose `Display` names line and column.
    pub fn from_toml_str(text: &str) -> Result<MockConfig, toml::de::Error> {
        toml::from_str(text)
    }

    /// Semantic checks that TOML types cannot express (paths, lifetimes, fixtures).
    pub fn validate(&self) -> Result<(), String> {
        fn issuer_path(role: &str, p: &str) -> Result<(), String> {
            if p.is_empty() || (p.starts_with('/') && !p.ends_with('/') && !p.contains(['?', '#']))
            {
                Ok(())
            } else {
                Err(format!(
                    "{role}.issuer_path `{p}` must be empty or start with `/`, not end with `/`, and have no `?` or `#`"
                ))
            }
        }
        fn path(key: &str, p: &str) -> Result<(), String> {
            if p.starts_with('/') && p.len() > 1 && !p.contains(['?', '#', ' ']) {
                Ok(())
            } else {
                Err(format!(
                    "{key} `{p}` must start with `/` and have no `?`, `#` or spaces"
                ))
            }
        }
        issuer_path("as_a", &self.as_a.issuer_path)?;
        issuer_path("as_b", &self.as_b.issuer_path)?;
        path("as_a.token_path", &self.as_a.token_path)?;
        path("as_a.jwks_path", &self.as_a.jwks_path)?;
        path("as_a.api_audience_path", &self.as_a.api_audience_path)?;
        path("as_b.token_path", &self.as_b.token_path)?;
        path("as_b.jwks_path", &self.as_b.jwks_path)?;
        path("rs.resource_path", &self.rs.resource_path)?;
        if self.as_a.token_path == self.as_a.jwks_path
            || self.as_b.token_path == self.as_b.jwks_path
        {
            return Err("token_path and jwks_path must differ".into());
        }
        if self.as_a.grant_lifetime_secs == 0 || self.as_a.access_token_lifetime_secs == 0 {
            return Err("as_a lifetimes must be at least 1 second".into());
        }
        if self.as_b.access_token_lifetime_secs == 0 {
            return Err("as_b.access_token_lifetime_secs must be at least 1 second".into());
        }
        for c in &self.as_a.clients {
            if c.jwk.is_some()
                && crate::keys::verifying_key_from_jwk(c.jwk.as_ref().unwrap()).is_err()
            {
                return Err(format!(
                    "as_a.clients `{}`: jwk is not a P-256 public key",
                    c.id
                ));
            }
            for m in &c.auth_methods {
                if !AUTH_METHODS.contains(&m.as_str()) {
                    return Err(format!(
                        "as_a.clients `{}`: unsupported auth method `{m}`",
                        c.id
                    ));
                }
            }
        }
        for c in &self.as_b.clients {
            if let Some(m) = c
                .auth_methods
                .iter()
                .find(|m| !AUTH_METHODS.contains(&m.as_str()))
            {
                return Err(format!(
                    "as_b.clients `{}`: unsupported auth method `{m}`",
                    c.id
                ));
            }
        }
        for t in &self.as_b.trusted_issuers {
            if t.jwks.is_none() == t.jwks_uri.is_none() {
                return Err(format!(
                    "as_b.trusted_issuers `{}`: give exactly one of jwks and jwks_uri",
                    t.issuer
                ));
            }
        }
        Ok(())
    }
}

/// Field defaults taken from the embedded `mock.toml`, so a partial user file deep-merges.
/// Every key with a default here must be present in `mock.toml` (a unit test checks it parses).
mod defaults {
    use super::*;
    use std::sync::LazyLock;

    static DEFAULTS: LazyLock<MockConfig> =
        LazyLock::new(|| toml::from_str(DEFAULT_CONFIG_TOML).expect("embedded mock.toml is valid"));

    macro_rules! defaults {
        ($($name:ident : $ty:ty = $($path:ident).+;)+) => {
            $( pub fn $name() -> $ty { DEFAULTS.$($path).+.clone() } )+
        };
    }

    defaults! {
        as_a: AsAConfig = as_a;
        as_b: AsBConfig = as_b;
        rs: RsConfig = rs;
        as_a_issuer_path: String = as_a.issuer_path;
        as_a_token_path: String = as_a.token_path;
        as_a_jwks_path: String = as_a.jwks_path;
        as_a_api_audience_path: String = as_a.api_audience_path;
        as_a_access_token_lifetime_secs: u64 = as_a.access_token_lifetime_secs;
        as_a_grant_lifetime_secs: u64 = as_a.grant_lifetime_secs;
        as_a_as_b_audience_alias: String = as_a.as_b_audience_alias;
        as_a_extra_partners: Vec<String> = as_a.extra_partners;
        as_a_transcribe_subjects: BTreeMap<String, String> = as_a.transcribe_subjects;
        as_a_clients: Vec<ClientConfig> = as_a.clients;
        as_a_users: Vec<UserConfig> = as_a.users;
        as_b_issuer_path: String = as_b.issuer_path;
        as_b_token_path: String = as_b.token_path;
        as_b_jwks_path: String = as_b.jwks_path;
        as_b_leeway_secs: u64 = as_b.leeway_secs;
        as_b_access_token_lifetime_secs: u64 = as_b.access_token_lifetime_secs;
        as_b_scopes: Vec<String> = as_b.scopes;
        as_b_require_client_auth: bool = as_b.require_client_auth;
        as_b_subject_map: BTreeMap<String, String> = as_b.subject_map;
        as_b_clients: Vec<BClientConfig> = as_b.clients;
        rs_resource_path: String = rs.resource_path;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_default_is_valid() {
        let c = MockConfig::default();
        c.validate().unwrap();
        assert_eq!(c.as_a.clients.len(), 3);
        assert_eq!(
            c.as_b.subject_map.get("alice").map(String::as_str),
            Some("alice@b.example")
        );
    }

    #[test]
    fn partial_file_deep_merges() {
        let c = MockConfig::from_toml_str(
            "[as_a]\nissuer_path = \"/realms/a\"\n[as_b.subject_map]\nbob = \"b\"\n",
        )
        .unwrap();
        let d = MockConfig::default();
        assert_eq!(c.as_a.issuer_path, "/realms/a");
        assert_eq!(c.as_a.token_path, d.as_a.token_path);
        assert_eq!(c.as_a.clients, d.as_a.clients);
        assert_eq!(c.as_b.token_path, d.as_b.token_path);
        assert_eq!(
            c.as_b.subject_map.len(),
            1,
            "a given table replaces the map"
        );
        assert_eq!(c.rs, d.rs);
        assert_eq!(MockConfig::from_toml_str("").unwrap(), d);
    }

    #[test]
    fn unknown_key_names_line_and_column() {
        let err =
            MockConfig::from_toml_str("[as_a]\ntoken_path = \"/t\"\nbogus = 1\n").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("line 3"), "{text}");
        assert!(text.contains("bogus"), "{text}");
    }

    #[test]
    fn validate_refuses_bad_paths() {
        let c = MockConfig::from_toml_str("[as_a]\ntoken_path = \"token\"\n").unwrap();
        assert!(c.validate().unwrap_err().contains("as_a.token_path"));
    }
}

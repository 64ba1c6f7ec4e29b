//! Mock configuration: one commented TOML (`mock.toml`), embedded and printable.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The embedded default configuration, with comments (what `chainproof mock --print-config` shows).
pub const DEFAULT_CONFIG_TOML: &str = include_str!("../mock.toml");

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MockConfig {
    pub as_a: AsAConfig,
    pub as_b: AsBConfig,
    pub rs: RsConfig,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AsAConfig {
    pub issuer_path: String,
    pub token_path: String,
    pub jwks_path: String,
    pub api_audience_path: String,
    pub access_token_lifetime_secs: u64,
    pub grant_lifetime_secs: u64,
    pub as_b_audience_alias: String,
    #[serde(default)]
    pub extra_partners: Vec<String>,
    #[serde(default)]
    pub transcribe_subjects: BTreeMap<String, String>,
    pub clients: Vec<ClientConfig>,
    pub users: Vec<UserConfig>,
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
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserConfig {
    pub username: String,
    pub password: String,
    pub sub: String,
    #[serde(default)]
    pub scopes: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AsBConfig {
    pub issuer_path: String,
    pub token_path: String,
    pub jwks_path: String,
    pub leeway_secs: u64,
    pub access_token_lifetime_secs: u64,
    pub scopes: Vec<String>,
    #[serde(default)]
    pub require_client_auth: bool,
    #[serde(default)]
    pub subject_map: BTreeMap<String, String>,
    #[serde(default)]
    pub clients: Vec<BClientConfig>,
    #[serde(default)]
    pub trusted_issuers: Vec<TrustedIssuerConfig>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BClientConfig {
    pub id: String,
    pub secret: String,
}

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
    pub resource_path: String,
}

impl Default for MockConfig {
    fn default() -> Self {
        toml::from_str(DEFAULT_CONFIG_TOML).expect("embedded mock.toml is valid")
    }
}

impl MockConfig {
    /// Parse a user file; keys it omits keep their default values (TODO(helper): deep merge).
    pub fn from_toml_str(text: &str) -> Result<MockConfig, toml::de::Error> {
        toml::from_str(text)
    }
}

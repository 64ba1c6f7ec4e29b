//! Starting and stopping the AS-A / AS-B / RS-B servers (in-process, ephemeral ports).

use crate::{Fault, MockConfig};
use std::net::IpAddr;

/// An extra issuer AS-B trusts as a "domain A" peer (harness-issuer mode).
#[derive(Debug, Clone, PartialEq)]
pub struct TrustedIssuer {
    pub issuer: String,
    /// A JWKS document given by value...
    pub jwks: Option<serde_json::Value>,
    /// ...or fetched from this URL.
    pub jwks_uri: Option<String>,
}

#[derive(Debug, Clone)]
pub struct MockOptions {
    pub config: MockConfig,
    pub faults: Vec<Fault>,
    pub bind: IpAddr,
    /// 0 = ephemeral.
    pub port_a: u16,
    pub port_b: u16,
    pub port_rs: u16,
    pub extra_trusted_issuers: Vec<TrustedIssuer>,
}

impl Default for MockOptions {
    fn default() -> Self {
        MockOptions {
            config: MockConfig::default(),
            faults: Vec::new(),
            bind: IpAddr::from([127, 0, 0, 1]),
            port_a: 0,
            port_b: 0,
            port_rs: 0,
            extra_trusted_issuers: Vec::new(),
        }
    }
}

/// Everything a harness needs to drive the running pair: URLs, credentials, fixtures.
#[derive(Debug, Clone, PartialEq)]
pub struct MockFacts {
    pub as_a_issuer: String,
    pub as_a_token_endpoint: String,
    pub as_a_jwks_uri: String,
    pub as_b_issuer: String,
    pub as_b_token_endpoint: String,
    pub as_b_jwks_uri: String,
    /// Logical name accepted as `audience` for AS-B.
    pub as_b_audience_alias: String,
    /// An AS that AS-A mints grants for but AS-B is not (fixture "AS-C").
    pub as_c: Option<String>,
    /// RS-B resource identifier (RFC 9728) and the URL of its protected endpoint.
    pub rs_resource: String,
    pub rs_url: String,
    /// Primary client at AS-A (client_secret_basic/post).
    pub client_id: String,
    pub client_secret: String,
    /// A second client at AS-A, for lateral-move tests.
    pub second_client_id: String,
    pub second_client_secret: String,
    /// Client credentials at AS-B, if AS-B knows the client.
    pub as_b_client: Option<(String, String)>,
    /// A user AS-B can map: username, password, `sub` at AS-A, expected subject at AS-B.
    pub user: (String, String),
    pub user_sub: String,
    pub user_sub_at_b: String,
    /// A user known at AS-A that AS-B cannot map.
    pub unmapped_user: (String, String),
    /// Scopes the primary user holds, and one they do not.
    pub user_scopes: Vec<String>,
    pub escalation_scope: String,
}

#[derive(Debug, thiserror::Error)]
pub enum MockError {
    #[error("cannot bind {role} on {addr}: {source}")]
    Bind {
        role: &'static str,
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid mock configuration: {0}")]
    Config(String),
}

/// A running pair; the servers stop when this is dropped.
pub struct MockPair {
    facts: MockFacts,
}

impl MockPair {
    pub async fn start(_options: MockOptions) -> Result<MockPair, MockError> {
        Err(MockError::Config("not implemented yet".into()))
    }

    pub fn facts(&self) -> &MockFacts {
        &self.facts
    }
}

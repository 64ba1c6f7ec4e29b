//! Reference mock authorization-server pair for OAuth Identity and Authorization Chaining
//! (draft-ietf-oauth-identity-chaining-17): AS-A (RFC 8693 token exchange issuing JWT
//! authorization grants), AS-B (RFC 7523 jwt-bearer) and RS-B (RFC 9728 + DPoP-aware resource).
//!
//! Conformant by default; each [`Fault`] breaks exactly one behaviour so that a harness can
//! prove its test cases are able to fail.

pub mod as_a;
pub mod as_b;
pub mod cli;
pub mod client_auth;
pub mod config;
pub mod delegation;
pub mod dpop;
pub mod endpoint;
pub mod error;
pub mod fault;
pub mod fixtures;
pub mod form;
pub mod jose;
pub mod keys;
pub mod login;
pub mod mtls;
pub mod opaque;
pub mod pair;
pub mod profile;
pub mod replay;
pub mod rs;
pub mod trust;
pub mod urls;
pub mod variant;

pub use config::{DEFAULT_CONFIG_TOML, MockConfig};
pub use fault::Fault;
pub use mtls::MockTls;
pub use pair::{MockError, MockFacts, MockOptions, MockPair, TrustedIssuer};
pub use profile::MockProfile;
pub use variant::Variant;

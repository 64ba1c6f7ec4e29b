//! Reference mock authorization-server pair for OAuth Identity and Authorization Chaining
//! (draft-ietf-oauth-identity-chaining-17): AS-A (RFC 8693 token exchange issuing JWT
//! authorization grants), AS-B (RFC 7523 jwt-bearer) and RS-B (RFC 9728 + DPoP-aware resource).
//!
//! Conformant by default; each [`Fault`] breaks exactly one behaviour so that a harness can
//! prove its test cases are able to fail.

pub mod config;
pub mod fault;
pub mod pair;

pub use config::{DEFAULT_CONFIG_TOML, MockConfig};
pub use fault::Fault;
pub use pair::{MockError, MockFacts, MockOptions, MockPair, TrustedIssuer};

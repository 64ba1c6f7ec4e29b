//! Reference mock authorization-server pair for OAuth Identity and Authorization Chaining
//! (draft-ietf-oauth-identity-chaining-17): AS-A (RFC 8693 token exchange issuing JWT
//! authorization grants), AS-B (RFC 7523 jwt-bearer) and RS-B (RFC 9728 + DPoP-aware resource).
//!
//! Conformant by default; each [`Fault`] breaks exactly one behaviour so that a harness can
//! prove its test cases are able to fail, and each [`Variant`] is a legal choice a conformant
//! server may make differently.
//!
//! # Public surface
//! Only what callers use is exported; the handlers, the token stores and the parsers stay
//! private so that they can change without breaking the harness.
//! - Starting a pair: [`MockPair`], [`MockOptions`], [`MockConfig`] (with [`BClientConfig`] and
//!   [`TrustedIssuer`]), [`MockTls`], [`MockProfile`], [`Fault`], [`Variant`]; what a started
//!   pair tells its clients: [`MockFacts`]; why it would not start: [`MockError`].
//! - The command line: [`cli`] (`chainproof mock` and the mock's own tests), [`list_faults`].
//! - The shipped test client key, [`JWT_CLIENT_KEY_PEM`], and the embedded
//!   [`DEFAULT_CONFIG_TOML`].
//! - [`testkit`]: for tests that speak to the mock as a client (keys, JWS signing, DPoP proofs,
//!   client assertions).
//!
//! # Why the mock keeps its own JOSE parser
//! The root crate has one JOSE module for decoding, showing and forging tokens; the mock does
//! not use it. The mock is the *server under test*: its `jose` module is a strict parser
//! (algorithm allow-list, `crit`, duplicate members refused, RFC 7515 §7.1, RFC 8725 §3) that
//! refuses what a strict authorization server refuses, and each fault relaxes exactly one of
//! its rules. The harness's module is lenient on purpose, to read and forge malformed tokens.
//! Sharing one parser would let a harness convenience weaken the mock's verdicts, so the
//! duplication is deliberate. The same holds for the mock's other copies of what the root crate
//! also has: its grant and token-type URNs (`endpoint`), its JWK building and reading (`keys`)
//! and its Basic-credential parser (`client_auth`) are the server's side of each, written
//! from the RFCs, so that a harness bug is not mirrored by the server it tests.

mod as_a;
mod as_b;
pub mod cli;
mod client_auth;
mod config;
mod delegation;
mod dpop;
mod endpoint;
mod error;
mod fault;
mod fixtures;
mod form;
mod id_jag;
mod jose;
mod keys;
mod login;
mod mtls;
mod opaque;
mod pair;
mod profile;
mod replay;
mod rs;
pub mod testkit;
mod trust;
mod urls;
mod variant;

pub use config::{BClientConfig, DEFAULT_CONFIG_TOML, MockConfig};
pub use fault::{Fault, list_faults};
pub use fixtures::JWT_CLIENT_KEY_PEM;
pub use mtls::MockTls;
pub use pair::{MockError, MockFacts, MockOptions, MockPair, TrustedIssuer};
pub use profile::MockProfile;
pub use variant::Variant;

//! For tests that speak to the mock as a client: the keys, JWS signing, DPoP proofs
//! (RFC 9449 §4.2) and client assertions (RFC 7523 §2.2) a client needs to send the mock valid
//! (or deliberately broken) requests, and the clock the mock judges them by.
//!
//! These are the mock's own implementations, re-exported so that its end-to-end tests need no
//! second copy; the harness does not use them (it has its own JOSE module, see the crate docs).

pub use crate::client_auth::make_client_assertion;
pub use crate::dpop::make_proof;
pub use crate::keys::{
    EsKey, PublicKey, public_key_from_jwk, verify_es256, verifying_key_from_jwk,
};
pub use crate::replay::now;

/// Compact JWS: the mock's strict parser and its ES256 signing.
pub mod jose {
    pub use crate::jose::{JoseError, Jws, assemble, b64url, parse, sign};
}

//! The harness issuer's ES256 key (harness-issuer mode, DESIGN "Targets"): AS-B is configured
//! to trust it, so the fuzzer can sign grants with chosen defects (RFC 7515, RFC 7518 §3.4).

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use sha2::{Digest, Sha256};

/// An ES256 signing key with its `kid`.
#[derive(Clone)]
pub struct HarnessKey {
    key: SigningKey,
    pub kid: String,
}

impl std::fmt::Debug for HarnessKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HarnessKey {{ kid: {:?}, key: (redacted) }}", self.kid)
    }
}

impl HarnessKey {
    /// Derive a key from the run seed, so that the same seed signs with the same key
    /// (ECDSA signatures are deterministic per RFC 6979 in `p256`).
    pub fn from_seed(seed: u64) -> HarnessKey {
        let mut counter = 0u32;
        loop {
            let digest = Sha256::new()
                .chain_update(b"chainproof fuzz harness key")
                .chain_update(seed.to_be_bytes())
                .chain_update(counter.to_be_bytes())
                .finalize();
            if let Ok(key) = SigningKey::from_slice(&digest) {
                let kid = format!("chainproof-fuzz-{}", &hex(&digest)[..8]);
                return HarnessKey { key, kid };
            }
            counter += 1;
        }
    }

    /// Use an existing key (the runner's harness issuer, `kid` as it publishes it).
    pub fn from_parts(key: SigningKey, kid: String) -> HarnessKey {
        HarnessKey { key, kid }
    }

    /// Base64url ES256 signature (raw `r || s`) over `input`.
    pub fn sign(&self, input: &str) -> String {
        let sig: Signature = self.key.sign(input.as_bytes());
        URL_SAFE_NO_PAD.encode(sig.to_bytes())
    }

    pub fn verify(&self, input: &str, sig_b64: &str) -> bool {
        let Ok(bytes) = URL_SAFE_NO_PAD.decode(sig_b64) else {
            return false;
        };
        let Ok(sig) = Signature::from_slice(&bytes) else {
            return false;
        };
        VerifyingKey::from(&self.key)
            .verify(input.as_bytes(), &sig)
            .is_ok()
    }

    /// The public JWKS (RFC 7517) AS-B needs to trust this key.
    pub fn jwks(&self) -> serde_json::Value {
        let point = VerifyingKey::from(&self.key).to_encoded_point(false);
        let x = URL_SAFE_NO_PAD.encode(point.x().expect("uncompressed point has x"));
        let y = URL_SAFE_NO_PAD.encode(point.y().expect("uncompressed point has y"));
        serde_json::json!({ "keys": [{
            "kty": "EC", "crv": "P-256", "x": x, "y": y,
            "kid": self.kid, "alg": "ES256", "use": "sig"
        }]})
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_key_and_deterministic_signatures() {
        let a = HarnessKey::from_seed(7);
        let b = HarnessKey::from_seed(7);
        assert_eq!(a.jwks(), b.jwks());
        assert_eq!(a.sign("x.y"), b.sign("x.y"));
        assert!(a.verify("x.y", &b.sign("x.y")));
        assert!(!a.verify("x.z", &b.sign("x.y")));
        assert_ne!(a.jwks(), HarnessKey::from_seed(8).jwks());
        assert!(!format!("{a:?}").contains("SigningKey"));
    }
}

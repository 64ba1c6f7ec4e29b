//! Profile modes of the mock pair: which source document's rules the three servers follow.
//!
//! The default mode is identity chaining (draft-ietf-oauth-identity-chaining, every draft
//! profile `ic-*`). The other modes switch on the extra rules of the Ena chaining profile,
//! RFC 8693 delegation and impersonation, and the Identity Assertion JWT Authorization Grant
//! (ID-JAG), so that each profile's suites pass in full against the embedded pair. A mode is
//! not a fault: in every mode the pair is conformant to that mode's profile.

use std::fmt;
use std::str::FromStr;

/// The rules the mock pair follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub enum MockProfile {
    /// draft-ietf-oauth-identity-chaining (profiles `ic-01`, `ic-14`, `ic-17`).
    #[default]
    IdentityChaining,
    /// Ena token-exchange profile for chaining v1.0 (profile `ena-1.0`): AS-A also serves
    /// same-domain exchange (`requested_token_type` access_token, or no type and a target that
    /// is one of its APIs: `{issuer}/api`, `{issuer}/api2`) with RFC 9068 tokens carrying `act`,
    /// the subject's `acr`/`auth_time` and `cnf` under DPoP; its user tokens list the issuer in
    /// `aud` and it refuses subject tokens that do not; grants carry `act`; private_key_jwt
    /// assertions must be typed `client-authentication+jwt`, name the issuer as the only `aud`
    /// and come with `client_id`. AS-B requires client authentication, `jti` and `client_id` in
    /// grants, AS-B's issuer in `aud` and no other server there, and copies a grant's `act` into
    /// its access token. Clients authenticate with private_key_jwt only (the shipped key; Ena
    /// OAuth profile §8.3), and both servers' metadata list no client-secret method.
    Ena,
    /// RFC 8693 delegation and impersonation (profile `rfc8693`).
    Rfc8693,
    /// Identity Assertion JWT Authorization Grant (profiles `id-jag`, `id-jag-mcp`).
    IdJag,
}

impl MockProfile {
    pub const ALL: &'static [MockProfile] = &[
        MockProfile::IdentityChaining,
        MockProfile::Ena,
        MockProfile::Rfc8693,
        MockProfile::IdJag,
    ];

    /// The stable name used on the command line (`chainproof mock --profile NAME`).
    pub fn name(self) -> &'static str {
        match self {
            MockProfile::IdentityChaining => "ic",
            MockProfile::Ena => "ena-1.0",
            MockProfile::Rfc8693 => "rfc8693",
            MockProfile::IdJag => "id-jag",
        }
    }

    /// The grading profile (a `suites/profiles.toml` id) this mode is built to pass: the
    /// profile the mutation matrix grades a fault of this mode with.
    pub fn grading_profile(self) -> &'static str {
        match self {
            MockProfile::IdentityChaining => "ic-17",
            MockProfile::Ena => "ena-1.0",
            MockProfile::Rfc8693 => "rfc8693",
            MockProfile::IdJag => "id-jag",
        }
    }

    /// The mode that passes the grading profile `id` (a `suites/profiles.toml` id) in full.
    /// `None` for an id no mode serves.
    pub fn for_grading_profile(id: &str) -> Option<MockProfile> {
        match id {
            "ic-01" | "ic-14" | "ic-17" | "ic" => Some(MockProfile::IdentityChaining),
            "ena-1.0" => Some(MockProfile::Ena),
            "rfc8693" => Some(MockProfile::Rfc8693),
            "id-jag" | "id-jag-mcp" => Some(MockProfile::IdJag),
            _ => None,
        }
    }
}

impl fmt::Display for MockProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for MockProfile {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        MockProfile::for_grading_profile(s).ok_or_else(|| {
            let names: Vec<&str> = MockProfile::ALL.iter().map(|p| p.name()).collect();
            format!(
                "unknown mock profile `{s}`; valid: {} (or a grading profile id such as ic-17)",
                names.join(", ")
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for p in MockProfile::ALL {
            assert_eq!(p.name().parse::<MockProfile>(), Ok(*p));
        }
        assert_eq!("ic-17".parse(), Ok(MockProfile::IdentityChaining));
        for p in MockProfile::ALL {
            assert_eq!(
                MockProfile::for_grading_profile(p.grading_profile()),
                Some(*p)
            );
        }
        assert_eq!("id-jag-mcp".parse(), Ok(MockProfile::IdJag));
        assert!(
            "nope"
                .parse::<MockProfile>()
                .unwrap_err()
                .contains("id-jag")
        );
    }
}

//! Named legal variants: switches that each turn on a behaviour the specifications allow but
//! the mock does not show by default (the mirror of `fault`). A conformant harness must give
//! every variant 0 fail and 0 error; `tests/variant_matrix.rs` proves it.

use crate::config::MockConfig;
use std::fmt;
use std::str::FromStr;

macro_rules! variants {
    ($(
        $(#[doc = $doc:literal])+
        $variant:ident = $name:literal, [$($req:literal),+], warns [$($warn:literal),*], $desc:literal;
    )+) => {
        /// A legal behaviour of a conformant server that the default mock does not show. Each
        /// names the requirement IDs whose checks it exercises and, in its description, the
        /// text that allows it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Variant { $( $(#[doc = $doc])+ $variant, )+ }

        impl Variant {
    /// Why the variant is not conformant under the grading profile `profile` (a
    /// suites/profiles.toml id): its mode's reason (`illegal_in`), except where an overlay
    /// profile allows what its mode's own profile forbids (MCP's `id-jag-mcp` requires the
    /// `resource` that ID-JAG leaves optional). `None` for a profile no mode serves.
    pub fn illegal_under(self, profile: &str) -> Option<&'static str> {
        if self == Variant::IdpRequiresResource && profile == "id-jag-mcp" {
            return None;
        }
        crate::MockProfile::for_grading_profile(profile).and_then(|m| self.illegal_in(m))
    }

    /// Whether the variant is conformant in the profile mode `profile` (see `illegal_in`).
    pub fn legal_in(self, profile: crate::MockProfile) -> bool {
        self.illegal_in(profile).is_none()
    }

    /// Why the variant is not conformant in the profile mode `profile`, citing the text that
    /// forbids it; `None` where the profile allows it. The identity-chaining drafts allow every
    /// variant but the one MCP's overlay adds (that is what makes it a variant). RFC 8693 judges only AS-A's exchange and
    /// says nothing about the grant's shape or AS-B, so it allows them all too. The Ena and
    /// ID-JAG profiles narrow some identity-chaining liberties.
    pub fn illegal_in(self, profile: crate::MockProfile) -> Option<&'static str> {
        use crate::MockProfile::{Ena, IdJag};
        match (profile, self) {
            (Ena, Variant::AsBNoClientAuth) => Some(
                "Ena chaining profile §3.4.2: AS-B authenticates the client presenting the grant",
            ),
            (Ena, Variant::GrantAudTokenEndpoint) => Some(
                "Ena chaining profile §3.3.4: the grant's aud is AS-B's issuer identifier",
            ),
            (Ena, Variant::NoReplayCache) => {
                Some("Ena chaining profile §3.3: grants are single use (jti tracked)")
            }
            (Ena, Variant::GrantLifetime600) => Some(
                "Ena chaining profile §3.3: grants are short-lived (its example: five minutes)",
            ),
            (Ena, Variant::InvalidRequestForUnknownTarget) => Some(
                "Ena OAuth profile §7.1: for a resource the server cannot map the error \"is set to invalid_target\"",
            ),
            (IdJag, Variant::GrantTypJwt) => Some(
                "ID-JAG \"ID-JAG Claims\": the typ header MUST be oauth-id-jag+jwt, so typ JWT is a defect there",
            ),
            (IdJag, Variant::GrantAudTokenEndpoint) => Some(
                "ID-JAG \"Processing Rules\": aud MUST contain the resource AS's RFC 8414 issuer identifier (one value), not its token endpoint",
            ),
            (IdJag, Variant::IdpRequiresResource) => Some(
                "ID-JAG \"Token Exchange\": resource is OPTIONAL beside audience; only MCP's enterprise-managed authorization (profile id-jag-mcp) requires it",
            ),
            (_, Variant::IdpRequiresResource) => Some(
                "only the ID-JAG mode's IdP has it, and RFC 8693 §2.1 makes resource OPTIONAL (audience alone may name the target)",
            ),
            (IdJag, Variant::AsBNoClientAuth) => Some(
                "ID-JAG \"Processing Rules\": the resource AS MUST check that the ID-JAG's client_id matches the authenticated client, so it must authenticate clients",
            ),
            _ => None,
        }
    }

            pub const ALL: &'static [Variant] = &[ $( Variant::$variant, )+ ];

            /// The stable, kebab-case name used on the command line.
            pub fn name(self) -> &'static str {
                match self { $( Variant::$variant => $name, )+ }
            }

            /// Catalogue requirement IDs whose checks this variant exercises.
            pub fn requirements(self) -> &'static [&'static str] {
                match self { $( Variant::$variant => &[$($req),+], )+ }
            }

            /// The behaviour and the spec text that allows it.
            pub fn description(self) -> &'static str {
                match self { $( Variant::$variant => $desc, )+ }
            }

            /// `suite/case` IDs that may `warn` under this variant, because a spec text prefers
            /// the default behaviour (SHOULD, or a stated preference) without requiring it.
            pub fn expected_warns(self) -> &'static [&'static str] {
                match self { $( Variant::$variant => &[$($warn),*], )+ }
            }
        }
    };
}

variants! {
    /// RFC 9728 §3: a protected resource *may* publish metadata; nothing obliges it to.
    NoRsMetadata = "no-rs-metadata", ["IC-MD-08", "IC-MD-09"], warns [],
        "RS-B publishes no RFC 9728 metadata and its challenges carry no resource_metadata (RFC 9728 §3, §5.1: metadata is optional)";
    /// RFC 7521 §4.2 / RFC 7523 §3.1: client authentication is optional with an assertion grant.
    AsBNoClientAuth = "as-b-no-client-auth", ["IC-JB-08", "IC-SC-07"], warns [],
        "AS-B registers no clients and authenticates none (RFC 7523 §3.1 and RFC 7521 §4.2: client authentication is optional for the jwt-bearer grant)";
    /// identity-chaining-17 §5.5 advises authenticating clients; RFC 6749 §3.2.1 lets a server require it.
    AsBRequiresClientAuth = "as-b-requires-client-auth", ["IC-JB-08", "IC-SC-07"], warns [],
        "AS-B refuses jwt-bearer requests from unauthenticated clients (RFC 6749 §3.2.1: confidential clients MUST authenticate; IC-17 §5.5 recommends it)";
    /// RFC 7519 §4.1.3: `aud` is a string or an array of strings.
    GrantAudArray = "grant-aud-array", ["IC-TE-17", "IC-TE-18", "IC-JG-03"], warns [],
        "AS-A's grant aud is a one-element array (RFC 7519 §4.1.3: aud may be an array; one element is still one audience)";
    /// RFC 7523 §3 item 3: the token endpoint URL may be used as an `aud` value.
    GrantAudTokenEndpoint = "grant-aud-token-endpoint", ["IC-TE-17", "IC-JG-03", "IC-JB-04"], warns [],
        "AS-A's grant aud is AS-B's token endpoint URL (RFC 7523 §3 item 3: the token endpoint URL MAY be used as aud)";
    /// RFC 6749 §5.1: `scope` is OPTIONAL when identical to the requested scope, so sending it is fine.
    ScopeAlwaysReported = "scope-always-reported", ["IC-TE-15", "IC-AT-06"], warns [],
        "both ASes send scope even when it equals the requested scope (RFC 6749 §5.1: OPTIONAL if identical)";
    /// RFC 6749 §5.1: `scope` is OPTIONAL when identical to the requested scope.
    ScopeOmittedWhenEqual = "scope-omitted-when-equal", ["IC-TE-15", "IC-AT-06"], warns [],
        "AS-B omits scope whenever the granted scope equals what the grant carries and the client asked for no other (RFC 6749 §5.1: OPTIONAL if identical to the requested scope)";
    /// RFC 8693 §2.2.2 says invalid_target "SHOULD" be used for an unacceptable target; a
    /// server that answers invalid_request earns the SHOULD-level warn only.
    InvalidRequestForUnknownTarget = "invalid-request-for-unknown-target", ["IC-TE-05", "IC-JB-02"], warns ["grant-validation/unknown-resource-at-as-b", "grant-validation/relative-resource-at-as-b", "unknown-audience/unknown-resource", "unknown-audience/unknown-audience", "unknown-audience/relative-resource", "unknown-audience/resource-with-fragment", "rfc8693-errors/unknown-audience-code"],
        "both ASes answer invalid_request instead of invalid_target for an unknown target (RFC 8693 §2.2.2 and RFC 8707 §2: invalid_target SHOULD be used; only that SHOULD-level warn is expected)";
    /// RFC 6749 §5.2: 401 is required only when the client used the Authorization header;
    /// without it 400 and 401 are equally conformant, so no case may even warn.
    InvalidClient400WithoutHeader = "invalid-client-400-without-header", ["GEN-04", "IC-JB-08", "IC-TE-23"], warns [],
        "invalid_client is answered with 400 when the client did not use the Authorization header (RFC 6749 §5.2: 401 MAY be returned; it MUST only when the Authorization header was used)";
    /// RFC 9449 is an optional extension; a server without it ignores the DPoP header.
    NoDpop = "no-dpop", ["DPOP-02", "IC-JG-14", "IC-AT-07", "IC-AT-08", "IC-SC-11"], warns [],
        "no server supports DPoP: no dpop_signing_alg_values_supported, DPoP headers are ignored, tokens are Bearer, grants carry no requested_cnf (RFC 9449 is optional; IC-17 Appendix B.3: requested_cnf MAY)";
    /// IC-17 §2.4.2 / RFC 7523 §3 item 7: AS-B *may* keep a replay cache of `jti` values.
    NoReplayCache = "no-replay-cache", ["IC-JB-13", "IC-JB-14"], warns [],
        "AS-B keeps no jti replay cache and redeems a grant until it expires (RFC 7523 §3 item 7: the server MAY ensure JWTs are not replayed; IC-17 §2.4.2)";
    /// RFC 7519 §5.1: `typ` is OPTIONAL; `JWT` is the registered value for JWTs.
    GrantTypJwt = "grant-typ-jwt", ["IC-JG-08", "IC-JB-03b"], warns [],
        "AS-A's grant header carries typ JWT (RFC 7519 §5.1: typ is OPTIONAL and JWT is its registered value)";
    /// RFC 7519 §4.1.4: implementers MAY provide for some small leeway.
    Leeway60 = "leeway-60", ["IC-JB-03i", "IC-JB-03j"], warns [],
        "AS-B allows 60 s of clock skew on exp, nbf and iat (RFC 7519 §4.1.4, §4.1.5: a small leeway, usually no more than a few minutes)";
    /// IC-17 §5.5 asks for short-lived grants without fixing a bound; 10 minutes is short.
    GrantLifetime600 = "grant-lifetime-600", ["IC-JG-05", "IC-JB-03i"], warns [],
        "AS-A's grants live 600 s (IC-17 §5.5: grants should be short-lived; no bound is stated)";
    /// RFC 7517 §5: a JWK Set holds any number of keys; a verifier selects one by `kid`.
    SeveralKeys = "several-keys", ["IC-MD-10", "IC-JB-03d"], warns [],
        "AS-A's JWKS publishes three EC keys and signs with the second (RFC 7517 §5: a JWK Set; RFC 7515 §4.1.4: kid selects the key)";
    /// RFC 7517 §5 and IC-17 §2.4.2: keys rotate; the JWKS publishes old and new keys.
    KeyRotation = "key-rotation", ["IC-MD-10", "IC-JB-03d"], warns [],
        "AS-A rotates its signing key after its first grant: later grants carry a new kid, and the JWKS publishes both keys (RFC 7517 §5; RFC 8725 §3.10 kid selection)";
    /// RFC 7518 §3.1: RS256 is Recommended; IC-17 §2.3.3 fixes no algorithm for the grant.
    RsaKeys = "rsa-keys", ["IC-JG-08", "IC-JB-03a", "IC-JB-03d", "IC-MD-10"], warns [],
        "AS-A signs grants and its access tokens with RS256 under an RSA 2048 key, the only key in its JWKS (RFC 7518 §3.1: RS256 Recommended, §3.3: keys of 2048 bits or more; IC-17 §2.3.3 names no algorithm)";
    /// RFC 7517 §5: a JWK Set may hold keys of different types; `kid` selects one.
    RsaAndEcKeys = "rsa-and-ec-keys", ["IC-JG-08", "IC-JB-03d", "IC-MD-10"], warns [],
        "AS-A's JWKS publishes an EC P-256 key and an RSA 2048 key; grants are signed RS256 with the RSA key, access tokens ES256 with the EC key (RFC 7517 §5: a JWK Set of any key types; RFC 7515 §4.1.4: kid selects the key)";
    /// IC-17 §4.1: the metadata member is OPTIONAL.
    /// Under id-jag the IdP SHOULD list the id-jag type there (ID-JAG §7.1): that warn only.
    NoChainingTypesMetadata = "no-chaining-types-metadata", ["IC-MD-01", "IC-MD-02", "IC-MD-03"], warns ["id-jag-idp/id-jag-type-advertised"],
        "AS-A's metadata has no identity_chaining_requested_token_types_supported (IC-17 §4.1: the member is OPTIONAL; ID-JAG §7.1 SHOULD list the id-jag type, so only that warn is expected)";
    /// A legal variant, not a fault (there is no `no-pragma` fault): RFC 6749 §5.1 asks for
    /// `Pragma: no-cache` beside `Cache-Control: no-store`, but Pragma is an HTTP/1.0 header
    /// that RFC 9111 §5.4 deprecates and HTTP/1.1 caches ignore in favour of Cache-Control, and
    /// the OAuth 2.1 draft drops it. A server without it stores nothing it should not, so the
    /// suites only warn (the preference RFC 6749 §5.1 states) and no fault may claim it as a
    /// failure; a Pragma that is sent must still be `no-cache`.
    NoPragma = "no-pragma", ["IC-TE-21", "GEN-03"], warns ["token-exchange/success-response-shape"],
        "token responses carry Cache-Control: no-store but no Pragma (RFC 9111 §5.4 deprecates Pragma; RFC 6749 §5.1's Pragma is kept only as a warned preference)";
    /// RFC 6749 §5.2: `error_description` is OPTIONAL.
    NoErrorDescription = "no-error-description", ["GEN-04"], warns [],
        "error responses carry no error_description (RFC 6749 §5.2: OPTIONAL)";
    /// RFC 7519 §4 and IC-17 §2.3.3: the grant may carry further claims; unknown ones are ignored.
    ExtraGrantClaims = "extra-grant-claims", ["IC-JG-12", "IC-JB-03"], warns [],
        "AS-A's grants carry extra non-personal claims (acr, auth_time, a private tenant claim) (IC-17 §2.3.3: additional claims MAY be included; RFC 7519 §4: claims not understood are ignored)";
    /// IC-17 §2.4.2: AS-B decides how to map the subject; identity is one mapping.
    SubjectPassthrough = "subject-passthrough", ["IC-JB-05", "IC-AT-03"], warns [],
        "AS-B uses the grant's sub unchanged as its own subject for users it knows (IC-17 §2.4.2: the mapping is AS-B's policy)";
    /// RFC 6749 §1.4: an access token's format is between AS and RS; RFC 9068 JWTs are optional.
    OpaqueAccessTokens = "opaque-access-tokens", ["IC-AT-03", "IC-AT-05", "IC-AT-06", "IC-AT-07", "DPOP-03"], warns [],
        "AS-B issues opaque access tokens (handles, not JWTs) and offers RFC 7662 introspection to its clients (RFC 6749 §1.4: the token is usually opaque to the client; the RFC 9068 JWT profile is optional); the harness reads the claims by introspection";
    /// MCP enterprise-managed authorization (modelcontextprotocol/ext-auth, over ID-JAG §4.3):
    /// the client MUST send `resource` (the MCP server) beside `audience`, so an MCP IdP may
    /// refuse an exchange without it. Legal under `id-jag-mcp` only (`illegal_under`).
    IdpRequiresResource = "idp-requires-resource", ["IDJAG-22"], warns [],
        "the ID-JAG IdP refuses (invalid_request) an ID-JAG exchange that names no resource (MCP enterprise-managed authorization: resource REQUIRED beside audience, RFC 8707 §2 resource indicators); legal under id-jag-mcp only";
}

impl Variant {
    /// Configuration changes the variant implies (applied before the pair starts).
    pub fn apply(self, cfg: &mut MockConfig) {
        match self {
            Variant::AsBNoClientAuth => {
                cfg.as_b.clients.clear();
                cfg.as_b.require_client_auth = false;
            }
            Variant::AsBRequiresClientAuth => cfg.as_b.require_client_auth = true,
            Variant::Leeway60 => cfg.as_b.leeway_secs = 60,
            Variant::GrantLifetime600 => cfg.as_a.grant_lifetime_secs = 600,
            Variant::OpaqueAccessTokens => cfg.as_b.opaque_access_tokens = true,
            Variant::SubjectPassthrough => {
                let users: Vec<(String, String)> = cfg
                    .as_b
                    .subject_map
                    .keys()
                    .map(|k| (k.clone(), k.clone()))
                    .collect();
                cfg.as_b.subject_map = users.into_iter().collect();
            }
            _ => {}
        }
    }
}

impl fmt::Display for Variant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Variant {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Variant::ALL
            .iter()
            .copied()
            .find(|v| v.name() == s)
            .ok_or_else(|| {
                format!("unknown variant `{s}`; `chainproof mock --list-variants` lists them")
            })
    }
}

/// The active variants of a running pair.
#[derive(Debug, Clone, Default)]
pub struct VariantSet(std::sync::Arc<std::collections::HashSet<Variant>>);

impl VariantSet {
    pub fn new(variants: &[Variant]) -> VariantSet {
        VariantSet(std::sync::Arc::new(variants.iter().copied().collect()))
    }
    /// Whether `variant` is switched on.
    pub fn has(&self, variant: Variant) -> bool {
        self.0.contains(&variant)
    }
}

/// One line per variant: name, tab, requirement IDs joined by commas, tab, description.
pub fn list_variants() -> String {
    Variant::ALL
        .iter()
        .map(|v| {
            format!(
                "{}\t{}\t{}\n",
                v.name(),
                v.requirements().join(","),
                v.description()
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_unique_parse_back_and_differ_from_faults() {
        let mut seen = std::collections::HashSet::new();
        for v in Variant::ALL {
            assert!(seen.insert(v.name()), "duplicate {}", v.name());
            assert_eq!(v.name().parse::<Variant>().unwrap(), *v);
            assert!(!v.requirements().is_empty());
            assert!(
                v.description().contains("RFC") || v.description().contains("IC-17"),
                "{} cites no text",
                v.name()
            );
        }
        assert!(Variant::ALL.len() >= 15);
        assert!("nope".parse::<Variant>().is_err());
        assert_eq!(list_variants().lines().count(), Variant::ALL.len());
    }

    #[test]
    fn idp_requires_resource_is_legal_under_id_jag_mcp_only() {
        let v = Variant::IdpRequiresResource;
        assert_eq!(v.illegal_under("id-jag-mcp"), None);
        for p in ["ic-17", "ena-1.0", "rfc8693", "id-jag"] {
            assert!(v.illegal_under(p).is_some(), "{p}");
        }
        assert_eq!(
            Variant::NoPragma.illegal_under("id-jag-mcp"),
            Variant::NoPragma.illegal_in(crate::MockProfile::IdJag)
        );
        assert_eq!(
            Variant::GrantTypJwt.illegal_under("id-jag-mcp"),
            Variant::GrantTypJwt.illegal_in(crate::MockProfile::IdJag)
        );
    }

    #[test]
    fn config_variants_validate() {
        for v in Variant::ALL {
            let mut c = MockConfig::default();
            v.apply(&mut c);
            c.validate().unwrap();
        }
    }
}

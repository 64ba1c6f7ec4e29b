//! Named faults: switches that each break one requirement of the catalogue.

use std::fmt;
use std::str::FromStr;

macro_rules! faults {
    ($( $variant:ident = $name:literal, [$($req:literal),+], $desc:literal; )+) => {
        /// A deliberate defect of the mock pair. Each names the requirement IDs it breaks.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Fault { $( $variant, )+ }

        impl Fault {
            pub const ALL: &'static [Fault] = &[ $( Fault::$variant, )+ ];

            /// The stable, kebab-case name used on the command line.
            pub fn name(self) -> &'static str {
                match self { $( Fault::$variant => $name, )+ }
            }

            /// Catalogue requirement IDs this fault violates.
            pub fn requirements(self) -> &'static [&'static str] {
                match self { $( Fault::$variant => &[$($req),+], )+ }
            }

            pub fn description(self) -> &'static str {
                match self { $( Fault::$variant => $desc, )+ }
            }
        }
    };
}

faults! {
    AcceptUnknownAudience = "accept-unknown-audience", ["IC-TE-05"], "AS-A issues a grant for an unknown resource/audience instead of invalid_target";
    GrantAudWrong = "grant-aud-wrong", ["IC-TE-17", "IC-JG-03"], "AS-A puts its own issuer in the grant's aud instead of AS-B";
    GrantMultiAud = "grant-multi-aud", ["IC-TE-18"], "AS-A puts AS-B and another AS into the grant's aud";
    LongLivedGrant = "long-lived-grant", ["IC-JG-05"], "AS-A issues grants valid for a day";
    ExchangeNoClientAuth = "exchange-no-client-auth", ["IC-SC-01"], "AS-A performs token exchange without authenticating the client";
    AcceptForeignSubjectToken = "accept-foreign-subject-token", ["IC-SC-03"], "AS-A accepts a subject token issued to another client";
    ScopeEscalation = "scope-escalation", ["IC-TE-09"], "AS-A grants scopes the subject token does not hold";
    WrongIssuedTokenType = "wrong-issued-token-type", ["IC-TE-13"], "AS-A answers issued_token_type access_token for a JWT grant";
    DropRequestedCnf = "drop-requested-cnf", ["IC-JG-14", "IC-SC-11"], "AS-A ignores the DPoP proof and omits requested_cnf";
    AcceptWrongAud = "accept-wrong-aud", ["IC-JB-03h", "IC-JB-04", "IC-JB-07"], "AS-B accepts grants whose aud does not identify it";
    AcceptExpired = "accept-expired", ["IC-JB-03i"], "AS-B accepts expired grants";
    AcceptAlgNone = "accept-alg-none", ["IC-JB-03b", "GEN-10"], "AS-B accepts unsigned (alg none) grants";
    SkipSignature = "skip-signature", ["IC-JB-03a", "IC-JB-03d"], "AS-B does not verify grant signatures";
    IssueRefreshToken = "issue-refresh-token", ["IC-SC-04"], "AS-B issues a refresh token for a jwt-bearer grant";
    AllowReplay = "allow-replay", ["IC-JB-13", "IC-JB-14"], "AS-B accepts the same grant (jti) more than once";
    AcceptUnmappedSubject = "accept-unmapped-subject", ["IC-JB-05"], "AS-B issues tokens for subjects it cannot map";
    DropCnf = "drop-cnf", ["IC-AT-07", "IC-AT-08"], "AS-B issues a Bearer token without cnf despite requested_cnf and a DPoP proof";
    NoCacheControl = "no-cache-control", ["IC-TE-21", "GEN-03"], "token responses lack Cache-Control: no-store";
    ServerErrorOnMalformed = "server-error-on-malformed", ["GEN-04"], "both ASes answer 500 to malformed input";
    // --- AS-A: token exchange request processing
    MissingTargetAccepted = "missing-target-accepted", ["IC-TE-03"], "AS-A mints a grant for AS-B when neither resource nor audience is sent";
    AcceptBadTargetUri = "accept-bad-target-uri", ["IC-TE-05", "GEN-06"], "AS-A strips a resource fragment and resolves a relative resource instead of invalid_target";
    IgnoreSubjectTokenType = "ignore-subject-token-type", ["IC-TE-06"], "AS-A accepts any subject_token_type value";
    AcceptExpiredSubjectToken = "accept-expired-subject-token", ["IC-TE-06"], "AS-A exchanges expired subject tokens";
    AcceptForgedSubjectToken = "accept-forged-subject-token", ["IC-TE-06"], "AS-A does not verify the subject token's signature";
    SubjectTokenErrorInvalidGrant = "subject-token-error-invalid-grant", ["IC-TE-06"], "AS-A answers invalid_grant instead of invalid_request for a bad subject token";
    ActorTokenTypeUnchecked = "actor-token-type-unchecked", ["IC-TE-07"], "AS-A accepts actor_token without actor_token_type and actor_token_type alone";
    MissingSubjectParamInvalidGrant = "missing-subject-param-invalid-grant", ["IC-TE-07"], "AS-A answers invalid_grant instead of invalid_request when subject_token or subject_token_type is missing or empty";
    AcceptUnsupportedTokenType = "accept-unsupported-requested-token-type", ["IC-TE-08"], "AS-A issues a JWT grant whatever requested_token_type names";
    ExchangeScopeNotReported = "exchange-scope-not-reported", ["IC-TE-15"], "AS-A omits the response scope when the client sent none";
    AsAIgnoreInvalidDpop = "as-a-ignore-invalid-dpop", ["DPOP-02"], "AS-A ignores an invalid DPoP proof instead of answering invalid_dpop_proof";
    // --- AS-A: token exchange response and grant
    TokenTypeBearer = "token-type-bearer", ["IC-TE-12"], "AS-A answers token_type Bearer for the grant instead of N_A";
    ExchangeNoExpiresIn = "exchange-no-expires-in", ["IC-TE-14"], "AS-A omits expires_in from the token-exchange response";
    ExchangeRefreshToken = "exchange-refresh-token", ["IC-TE-16"], "AS-A returns a refresh token beside the grant";
    GrantIssMismatch = "grant-iss-mismatch", ["IC-JG-01"], "AS-A's grant iss differs from its metadata issuer (trailing slash)";
    GrantMissingSub = "grant-missing-sub", ["IC-JG-02"], "AS-A's grant has no sub";
    GrantMissingExp = "grant-missing-exp", ["IC-JG-04"], "AS-A's grant has no exp";
    GrantNoJti = "grant-no-jti", ["IC-JG-07"], "AS-A's grant has no jti";
    GrantDuplicateJti = "grant-duplicate-jti", ["IC-JG-07"], "AS-A puts the same jti into every grant";
    // --- AS-A: metadata and keys
    JwksLeaksPrivateKey = "jwks-leaks-private-key", ["IC-MD-10"], "AS-A's JWKS includes the private key member d";
    JwksNoKid = "jwks-no-kid", ["IC-MD-10"], "AS-A's JWKS keys lack kid";
    MetadataIssuerMismatch = "metadata-issuer-mismatch", ["IC-MD-05"], "AS-A's metadata issuer differs from the issuer its URL was built from";
    MetadataNoJwksUri = "metadata-no-jwks-uri", ["IC-MD-06"], "AS-A's metadata lacks jwks_uri";
    MetadataNoTokenExchange = "metadata-no-token-exchange", ["IC-MD-06"], "AS-A's grant_types_supported lacks token-exchange";
    MetadataAlgNone = "metadata-alg-none", ["IC-MD-07"], "AS-A lists none in token_endpoint_auth_signing_alg_values_supported";
    MetadataChainingTypesNotArray = "metadata-chaining-types-not-array", ["IC-MD-01"], "AS-A's identity_chaining_requested_token_types_supported is a string, not an array";
    MetadataDpopAlgNone = "metadata-dpop-alg-none", ["IC-MD-11"], "AS-A lists none and HS256 in dpop_signing_alg_values_supported";
    // --- AS-B: grant validation
    AcceptUntrustedKey = "accept-untrusted-key", ["IC-JB-03d", "IC-SC-10"], "AS-B accepts grants whose kid is not in the issuer's JWKS without verifying them";
    AcceptHmacConfusion = "accept-hmac-confusion", ["IC-JB-03c", "GEN-10"], "AS-B accepts HS256 grants keyed with the issuer's public key";
    IgnoreIssuerKeyBinding = "ignore-issuer-key-binding", ["IC-JB-03e", "GEN-11"], "AS-B verifies with any trusted issuer's key whatever iss says";
    AcceptMissingSub = "accept-missing-sub", ["IC-JB-03g"], "AS-B accepts grants without sub";
    AcceptMissingExp = "accept-missing-exp", ["IC-JB-03i"], "AS-B accepts grants without exp";
    AcceptFutureNbf = "accept-future-nbf", ["IC-JB-03j"], "AS-B accepts grants before their nbf";
    AcceptUnknownCrit = "accept-unknown-crit", ["IC-JB-03l"], "AS-B ignores unknown crit header parameters";
    AcceptAccessTokenAsGrant = "accept-access-token-as-grant", ["IC-JB-07", "GEN-12"], "AS-B skips the aud check for tokens typed at+jwt, so AS-A access tokens pass as grants";
    AudPrefixMatch = "aud-prefix-match", ["IC-JB-04"], "AS-B accepts any aud that starts with its issuer instead of an exact match";
    AcceptGrantForOtherClient = "accept-grant-for-other-client", ["IC-SC-07"], "AS-B ignores a grant client_id that differs from the authenticated client";
    IgnoreClientSecretAtAsA = "ignore-client-secret-at-as-a", ["IC-TE-23"], "AS-A exchanges tokens for a client whose secret is wrong, trusting the client_id alone";
    IgnoreInvalidClientCredentials = "ignore-invalid-client-credentials", ["IC-JB-08"], "AS-B ignores wrong or unknown client credentials on jwt-bearer requests";
    MissingAssertionInvalidGrant = "missing-assertion-invalid-grant", ["IC-JB-10"], "AS-B answers invalid_grant instead of invalid_request when assertion is missing";
    BadGrantInvalidRequest = "bad-grant-invalid-request", ["IC-JB-06"], "AS-B answers invalid_request instead of invalid_grant for invalid grants";
    AcceptUnknownResource = "accept-unknown-resource", ["IC-JB-02"], "AS-B issues tokens for an unknown resource instead of invalid_target";
    AsBScopeEscalation = "as-b-scope-escalation", ["IC-JB-15"], "AS-B grants scopes the grant does not carry";
    AsBIgnoreInvalidDpop = "as-b-ignore-invalid-dpop", ["DPOP-02"], "AS-B ignores an invalid DPoP proof instead of answering invalid_dpop_proof";
    IgnoreRequestedCnf = "ignore-requested-cnf", ["IC-AT-08"], "AS-B issues a Bearer token for a grant with requested_cnf when no DPoP proof is sent";
    AcceptRequestedCnfMismatch = "accept-requested-cnf-mismatch", ["IC-AT-08"], "AS-B binds to the proof key even when it differs from requested_cnf";
    // --- AS-B: access token and response
    LongLivedAccessToken = "long-lived-access-token", ["IC-JB-12"], "AS-B access tokens outlive the grant by a day";
    AtMissingTyp = "at-missing-typ", ["IC-AT-05"], "AS-B access tokens lack the at+jwt typ header";
    AsBScopeNotReported = "as-b-scope-not-reported", ["IC-AT-06"], "AS-B omits the response scope when the client sent none";
    DpopTokenTypeBearer = "dpop-token-type-bearer", ["IC-AT-07"], "AS-B answers token_type Bearer for a DPoP-bound access token";
    ExpiresInString = "expires-in-string", ["GEN-03"], "AS-B sends expires_in as a JSON string";
    // --- RS-B
    RsAcceptsGrant = "rs-accepts-grant", ["IC-AT-02"], "RS-B accepts AS-A's grants and tokens as access tokens";
    RsAcceptsBoundTokenAsBearer = "rs-accepts-bound-token-as-bearer", ["IC-AT-08", "DPOP-02"], "RS-B accepts a DPoP-bound token without a proof";
    RsAcceptsQueryToken = "rs-accepts-query-token", ["ENA-P-13"], "RS-B accepts access tokens in the URL query";
    RsMetadataWrongResource = "rs-metadata-wrong-resource", ["IC-MD-08"], "RS-B metadata resource differs from its identifier";
    RsNoResourceMetadataChallenge = "rs-no-resource-metadata-challenge", ["IC-MD-09"], "RS-B 401 answers lack resource_metadata in WWW-Authenticate";
    // --- Both token endpoints: generic OAuth hygiene
    NoPragma = "no-pragma", ["IC-TE-21", "GEN-03"], "token responses lack Pragma: no-cache";
    ErrorDescriptionBadChars = "error-description-bad-chars", ["GEN-04"], "error_description contains quote, backslash and DEL";
    InvalidClientNoChallenge = "invalid-client-no-www-authenticate", ["GEN-04"], "401 invalid_client after Basic authentication lacks WWW-Authenticate";
    AcceptDuplicateParams = "accept-duplicate-params", ["GEN-02"], "repeated parameters are accepted (last wins)";
    TokenEndpointAcceptsGet = "token-endpoint-accepts-get", ["GEN-01"], "token endpoints process GET requests with query parameters";
    UnknownGrantTypeInvalidRequest = "unknown-grant-type-invalid-request", ["GEN-05"], "unknown grant types get invalid_request instead of unsupported_grant_type";
    TokenResponseTextPlain = "token-response-text-plain", ["GEN-03"], "token responses are labelled text/plain instead of application/json";
    // --- more single-requirement breaks (second batch)
    ExchangeNoIssuedTokenType = "exchange-no-issued-token-type", ["IC-TE-11"], "AS-A omits issued_token_type from the token-exchange response";
    AcceptClientCredentialsSubject = "accept-client-credentials-subject", ["IC-TE-06", "ENA-GEN-04"], "AS-A exchanges subject tokens that represent no user (client credentials)";
    GrantIatAfterExp = "grant-iat-after-exp", ["IC-JG-06"], "AS-A's grant has iat later than exp";
    GrantUnsigned = "grant-unsigned", ["IC-JG-08"], "AS-A mints unsigned (alg none) grants";
    GrantPaddedBase64 = "grant-padded-base64", ["IC-JG-09"], "AS-A's grant segments carry base64 padding";
    GrantIncludesPii = "grant-includes-pii", ["IC-JG-12", "IC-SC-09"], "AS-A copies email and name into the grant";
    AdvertisedTypeNotIssuable = "advertised-type-not-issuable", ["IC-MD-03"], "AS-A advertises the id-jag token type but refuses to issue it";
    AsBMetadataIssuerMismatch = "as-b-metadata-issuer-mismatch", ["IC-MD-05"], "AS-B's metadata issuer differs from the issuer its URL was built from";
    AsBMetadataNoJwtBearer = "as-b-metadata-no-jwt-bearer", ["IC-MD-06"], "AS-B's grant_types_supported lacks jwt-bearer";
    FollowJku = "follow-jku", ["GEN-11", "IC-JB-03d"], "AS-B fetches the jku header URL and trusts the keys found there";
    DpopProofReplayAccepted = "dpop-proof-replay-accepted", ["DPOP-02"], "AS-B accepts a DPoP proof jti it has already seen";
    AsBNoTokenType = "as-b-no-token-type", ["IC-JB-11", "IC-AT-01"], "AS-B omits token_type from the jwt-bearer response";
    InvalidGrantStatus401 = "invalid-grant-status-401", ["IC-JB-06", "GEN-04"], "AS-B answers invalid_grant with HTTP 401 instead of 400";
    AtAudNotResource = "at-aud-not-resource", ["IC-AT-04"], "AS-B access tokens name AS-B, not the resource, in aud";
    AtMissingJtiClientId = "at-missing-jti-client-id", ["IC-AT-05"], "AS-B access tokens lack jti and client_id";
    CnfWrongThumbprint = "cnf-wrong-thumbprint", ["IC-AT-07", "DPOP-04"], "AS-B computes cnf.jkt over JWK members in the wrong order";
    RsMetadataNoAsB = "rs-metadata-no-as-b", ["IC-MD-08"], "RS-B metadata lists AS-A instead of AS-B in authorization_servers";
    RsSkipsAth = "rs-skips-ath", ["DPOP-02"], "RS-B does not check the proof's ath against the access token";
    ClientAssertionUnverified = "client-assertion-unverified", ["IC-SC-01", "GEN-10"], "AS-A accepts private_key_jwt client assertions without checking their signature";
    ClientAssertionReplay = "client-assertion-replay", ["IC-SC-01", "ENA-P-02"], "AS-A accepts a private_key_jwt client assertion jti more than once";
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Fault {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Fault::ALL
            .iter()
            .copied()
            .find(|f| f.name() == s)
            .ok_or_else(|| {
                format!("unknown fault `{s}`; `chainproof mock --list-faults` lists them")
            })
    }
}

/// The behaviour switches of a running pair: its faults and its legal variants (one value, so
/// every handler that consults faults sees the variants too).
#[derive(Debug, Clone, Default)]
pub struct FaultSet(
    std::sync::Arc<std::collections::HashSet<Fault>>,
    crate::variant::VariantSet,
);

impl FaultSet {
    pub fn new(faults: &[Fault]) -> FaultSet {
        FaultSet::with_variants(faults, &[])
    }
    pub fn with_variants(faults: &[Fault], variants: &[crate::Variant]) -> FaultSet {
        FaultSet(
            std::sync::Arc::new(faults.iter().copied().collect()),
            crate::variant::VariantSet::new(variants),
        )
    }
    /// Whether `fault` is switched on.
    pub fn has(&self, fault: Fault) -> bool {
        self.0.contains(&fault)
    }
    /// Whether the legal variant `variant` is switched on.
    pub fn variant(&self, variant: crate::Variant) -> bool {
        self.1.has(variant)
    }
    /// No fault is switched on (variants are conformant, so they do not count).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// One line per fault: name, tab, requirement IDs joined by commas, tab, description.
pub fn list_faults() -> String {
    Fault::ALL
        .iter()
        .map(|f| {
            format!(
                "{}\t{}\t{}\n",
                f.name(),
                f.requirements().join(","),
                f.description()
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_unique_and_parse_back() {
        let mut seen = std::collections::HashSet::new();
        for f in Fault::ALL {
            assert!(seen.insert(f.name()), "duplicate {}", f.name());
            assert_eq!(f.name().parse::<Fault>().unwrap(), *f);
            assert!(!f.requirements().is_empty());
        }
        assert!("nope".parse::<Fault>().is_err());
        assert_eq!(list_faults().lines().count(), Fault::ALL.len());
    }
}

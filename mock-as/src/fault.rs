//! Named faults: switches that each break one requirement of the catalogue.
//!
//! Each fault's doc also says whether `chainproof fuzz` can reach it: `fuzz: reachable by`
//! the fuzz case-id prefixes that must report it, or `fuzz: unreachable:` and why. The root
//! crate's `tests/fuzz_matrix.rs` fails on a fault without that line and fuzzes every
//! reachable one.

use std::fmt;
use std::str::FromStr;

macro_rules! faults {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal, [$($req:literal),+], $desc:literal; )+) => {
        /// A deliberate defect of the mock pair. Each names the requirement IDs it breaks.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Fault { $( $(#[$doc])* $variant, )+ }

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
    /// fuzz: reachable by exchange-token-for-invalid
    AcceptUnknownAudience = "accept-unknown-audience", ["IC-TE-05"], "AS-A issues a grant for an unknown resource/audience instead of invalid_target";
    /// fuzz: unreachable: a grant claim AS-A chooses; the oracles judge token responses, not the contents of the grant issued
    GrantAudWrong = "grant-aud-wrong", ["IC-TE-17", "IC-JG-03"], "AS-A puts its own issuer in the grant's aud instead of AS-B";
    /// fuzz: unreachable: a grant claim AS-A chooses; the oracles judge token responses, not the contents of the grant issued
    GrantMultiAud = "grant-multi-aud", ["IC-TE-18"], "AS-A puts AS-B and another AS into the grant's aud";
    /// fuzz: unreachable: a grant claim AS-A chooses; the oracles judge token responses, not the contents of the grant issued
    LongLivedGrant = "long-lived-grant", ["IC-JG-05"], "AS-A issues grants valid for a day";
    /// fuzz: reachable by exchange-token-for-invalid
    ExchangeNoClientAuth = "exchange-no-client-auth", ["IC-SC-01"], "AS-A performs token exchange without authenticating the client";
    /// fuzz: unreachable: needs a second client; the fuzzer holds one client per AS
    AcceptForeignSubjectToken = "accept-foreign-subject-token", ["IC-SC-03"], "AS-A accepts a subject token issued to another client";
    /// fuzz: reachable by exchange-scope-escalation
    ScopeEscalation = "scope-escalation", ["IC-TE-09"], "AS-A grants scopes the subject token does not hold";
    /// fuzz: unreachable: a member value the suites check; the token-response oracle checks RFC 6749 §5.1 shape only
    WrongIssuedTokenType = "wrong-issued-token-type", ["IC-TE-13"], "AS-A answers issued_token_type access_token for a JWT grant";
    /// fuzz: unreachable: DPoP; the fuzzer sends no DPoP proofs
    DropRequestedCnf = "drop-requested-cnf", ["IC-JG-14", "IC-SC-11"], "AS-A ignores the DPoP proof and omits requested_cnf";
    /// fuzz: reachable by assertion-token-for-invalid
    AcceptWrongAud = "accept-wrong-aud", ["IC-JB-03h", "IC-JB-04", "IC-JB-07"], "AS-B accepts grants whose aud does not identify it";
    /// fuzz: reachable by assertion-token-for-invalid
    AcceptExpired = "accept-expired", ["IC-JB-03i"], "AS-B accepts expired grants";
    /// fuzz: reachable by assertion-token-for-invalid
    AcceptAlgNone = "accept-alg-none", ["IC-JB-03b", "GEN-10"], "AS-B accepts unsigned (alg none) grants";
    /// fuzz: reachable by assertion-token-for-invalid
    SkipSignature = "skip-signature", ["IC-JB-03a", "IC-JB-03d"], "AS-B does not verify grant signatures";
    /// fuzz: unreachable: RFC 6749 §5.1 allows refresh_token in a token response; the refusal is a suite check
    IssueRefreshToken = "issue-refresh-token", ["IC-SC-04"], "AS-B issues a refresh token for a jwt-bearer grant";
    /// fuzz: unreachable: needs the same grant redeemed twice and state across requests; the oracles judge each response alone
    AllowReplay = "allow-replay", ["IC-JB-13", "IC-JB-14"], "AS-B accepts the same grant (jti) more than once";
    /// fuzz: reachable by assertion-token-for-invalid
    AcceptUnmappedSubject = "accept-unmapped-subject", ["IC-JB-05"], "AS-B issues tokens for subjects it cannot map";
    /// fuzz: unreachable: the subject AS-B writes into its access token is a claim it chooses; the oracles judge token responses, not the subject mapping
    SubjectNotMapped = "subject-not-mapped", ["IC-JB-05"], "AS-B names the grant's domain-A subject in its access token instead of the mapped local account";
    /// fuzz: unreachable: DPoP; the fuzzer sends no DPoP proofs
    DropCnf = "drop-cnf", ["IC-AT-07", "IC-AT-08"], "AS-B issues a Bearer token without cnf despite requested_cnf and a DPoP proof";
    /// fuzz: reachable by exchange-token-cache-control, assertion-token-cache-control
    NoCacheControl = "no-cache-control", ["IC-TE-21", "GEN-03"], "token responses lack Cache-Control: no-store";
    /// fuzz: reachable by exchange-server-error, assertion-server-error
    ServerErrorOnMalformed = "server-error-on-malformed", ["GEN-04"], "both ASes answer 500 to malformed input";
    // --- AS-A: token exchange request processing
    /// fuzz: reachable by exchange-token-for-invalid
    MissingTargetAccepted = "missing-target-accepted", ["IC-TE-03"], "AS-A mints a grant for AS-B when neither resource nor audience is sent";
    /// fuzz: reachable by exchange-token-for-invalid
    AcceptBadTargetUri = "accept-bad-target-uri", ["IC-TE-05", "GEN-06"], "AS-A strips a resource fragment and resolves a relative resource instead of invalid_target";
    /// fuzz: reachable by exchange-token-for-invalid
    IgnoreSubjectTokenType = "ignore-subject-token-type", ["IC-TE-06"], "AS-A accepts any subject_token_type value";
    /// fuzz: unreachable: needs an expired subject token; the fuzzer holds one fresh subject token
    AcceptExpiredSubjectToken = "accept-expired-subject-token", ["IC-TE-06"], "AS-A exchanges expired subject tokens";
    /// fuzz: reachable by exchange-token-for-invalid
    AcceptForgedSubjectToken = "accept-forged-subject-token", ["IC-TE-06"], "AS-A does not verify the subject token's signature";
    /// fuzz: reachable by exchange-error-code
    SubjectTokenErrorInvalidGrant = "subject-token-error-invalid-grant", ["IC-TE-06"], "AS-A answers invalid_grant instead of invalid_request for a bad subject token";
    /// fuzz: reachable by exchange-token-for-invalid
    ActorTokenTypeUnchecked = "actor-token-type-unchecked", ["IC-TE-07"], "AS-A accepts actor_token without actor_token_type and actor_token_type alone";
    /// fuzz: reachable by exchange-error-code
    MissingSubjectParamInvalidGrant = "missing-subject-param-invalid-grant", ["IC-TE-07"], "AS-A answers invalid_grant instead of invalid_request when subject_token or subject_token_type is missing or empty";
    /// fuzz: reachable by exchange-token-for-invalid
    AcceptUnsupportedTokenType = "accept-unsupported-requested-token-type", ["IC-TE-08"], "AS-A issues a JWT grant whatever requested_token_type names";
    /// fuzz: unreachable: the response-scope rule depends on the request; it is a suite check
    ExchangeScopeNotReported = "exchange-scope-not-reported", ["IC-TE-15"], "AS-A omits the response scope when the client sent none";
    /// fuzz: unreachable: DPoP; the fuzzer sends no DPoP proofs
    AsAIgnoreInvalidDpop = "as-a-ignore-invalid-dpop", ["DPOP-02"], "AS-A ignores an invalid DPoP proof instead of answering invalid_dpop_proof";
    // --- AS-A: token exchange response and grant
    /// fuzz: unreachable: a member value the suites check; the token-response oracle checks RFC 6749 §5.1 shape only
    TokenTypeBearer = "token-type-bearer", ["IC-TE-12"], "AS-A answers token_type Bearer for the grant instead of N_A";
    /// fuzz: unreachable: expires_in is RECOMMENDED in RFC 6749 §5.1; the identity-chaining rule is a suite check
    ExchangeNoExpiresIn = "exchange-no-expires-in", ["IC-TE-14"], "AS-A omits expires_in from the token-exchange response";
    /// fuzz: unreachable: RFC 6749 §5.1 allows refresh_token in a token response; the refusal is a suite check
    ExchangeRefreshToken = "exchange-refresh-token", ["IC-TE-16"], "AS-A returns a refresh token beside the grant";
    /// fuzz: unreachable: a grant claim AS-A chooses; the oracles judge token responses, not the contents of the grant issued
    GrantIssMismatch = "grant-iss-mismatch", ["IC-JG-01"], "AS-A's grant iss differs from its metadata issuer (trailing slash)";
    /// fuzz: unreachable: a grant claim AS-A chooses; the oracles judge token responses, not the contents of the grant issued
    GrantMissingSub = "grant-missing-sub", ["IC-JG-02"], "AS-A's grant has no sub";
    /// fuzz: unreachable: a grant claim AS-A chooses; the oracles judge token responses, not the contents of the grant issued
    GrantMissingExp = "grant-missing-exp", ["IC-JG-04"], "AS-A's grant has no exp";
    /// fuzz: unreachable: a grant claim AS-A chooses; the oracles judge token responses, not the contents of the grant issued
    GrantNoJti = "grant-no-jti", ["IC-JG-07"], "AS-A's grant has no jti";
    /// fuzz: unreachable: a grant claim AS-A chooses; the oracles judge token responses, not the contents of the grant issued
    GrantDuplicateJti = "grant-duplicate-jti", ["IC-JG-07"], "AS-A puts the same jti into every grant";
    // --- AS-A: metadata and keys
    /// fuzz: unreachable: metadata or JWKS contents; the fuzzer sends token requests only
    JwksLeaksPrivateKey = "jwks-leaks-private-key", ["IC-MD-10"], "AS-A's JWKS includes the private key member d";
    /// fuzz: unreachable: metadata or JWKS contents; the fuzzer sends token requests only
    JwksNoKid = "jwks-no-kid", ["IC-MD-10"], "AS-A's JWKS keys lack kid";
    /// fuzz: unreachable: metadata or JWKS contents; the fuzzer sends token requests only
    MetadataIssuerMismatch = "metadata-issuer-mismatch", ["IC-MD-05"], "AS-A's metadata issuer differs from the issuer its URL was built from";
    /// fuzz: unreachable: metadata or JWKS contents; the fuzzer sends token requests only
    MetadataNoJwksUri = "metadata-no-jwks-uri", ["IC-MD-06"], "AS-A's metadata lacks jwks_uri";
    /// fuzz: unreachable: metadata or JWKS contents; the fuzzer sends token requests only
    MetadataNoTokenExchange = "metadata-no-token-exchange", ["IC-MD-06"], "AS-A's grant_types_supported lacks token-exchange";
    /// fuzz: unreachable: metadata or JWKS contents; the fuzzer sends token requests only
    MetadataAlgNone = "metadata-alg-none", ["IC-MD-07"], "AS-A lists none in token_endpoint_auth_signing_alg_values_supported";
    /// fuzz: unreachable: metadata or JWKS contents; the fuzzer sends token requests only
    MetadataChainingTypesNotArray = "metadata-chaining-types-not-array", ["IC-MD-01"], "AS-A's identity_chaining_requested_token_types_supported is a string, not an array";
    /// fuzz: unreachable: metadata or JWKS contents; the fuzzer sends token requests only
    MetadataDpopAlgNone = "metadata-dpop-alg-none", ["IC-MD-11"], "AS-A lists none and HS256 in dpop_signing_alg_values_supported";
    // --- AS-B: grant validation
    /// fuzz: reachable by assertion-token-for-invalid
    AcceptUntrustedKey = "accept-untrusted-key", ["IC-JB-03d", "IC-SC-10"], "AS-B accepts grants whose kid is not in the issuer's JWKS without verifying them";
    /// fuzz: unreachable: needs HS256 keyed with AS-A's public key; the fuzzer signs with its own keys
    AcceptHmacConfusion = "accept-hmac-confusion", ["IC-JB-03c", "GEN-10"], "AS-B accepts HS256 grants keyed with the issuer's public key";
    /// fuzz: reachable by assertion-token-for-invalid
    IgnoreIssuerKeyBinding = "ignore-issuer-key-binding", ["IC-JB-03e", "GEN-11"], "AS-B verifies with any trusted issuer's key whatever iss says";
    /// fuzz: reachable by assertion-token-for-invalid
    AcceptMissingSub = "accept-missing-sub", ["IC-JB-03g"], "AS-B accepts grants without sub";
    /// fuzz: reachable by assertion-token-for-invalid
    AcceptMissingExp = "accept-missing-exp", ["IC-JB-03i"], "AS-B accepts grants without exp";
    /// fuzz: reachable by assertion-token-for-invalid
    AcceptFutureNbf = "accept-future-nbf", ["IC-JB-03j"], "AS-B accepts grants before their nbf";
    /// fuzz: reachable by assertion-token-for-invalid
    AcceptUnknownCrit = "accept-unknown-crit", ["IC-JB-03l"], "AS-B ignores unknown crit header parameters";
    // Second ways for AS-B's grant validation and token response (issue 8 item 5,
    // tests/two_ways.rs): each breaks an RFC 7523 §3 rule another fault breaks, by another route.
    /// AS-B refuses `alg` `none` by its exact name but treats the other-case spellings (`None`,
    /// `NONE`) as unsigned: JOSE names are case-sensitive (RFC 7515 §4.1.1), so `None` is an
    /// unknown algorithm and the grant is unsigned either way (RFC 7523 §3 item 9).
    /// fuzz: unreachable: the fuzzer's alg-none grant spells none in lower case
    AcceptAlgNoneOtherCase = "accept-alg-none-other-case", ["IC-JB-03b", "GEN-10"], "AS-B accepts unsigned grants whose alg is None in another case";
    /// AS-B treats `iss` as optional: a grant without one is verified with whichever trusted
    /// issuer's key its `kid` names (RFC 7523 §3 item 1: the JWT MUST contain `iss`).
    /// fuzz: reachable by assertion-token-for-invalid
    AcceptMissingIss = "accept-missing-iss", ["IC-JB-03f"], "AS-B accepts grants without iss, verified with any trusted issuer's key";
    /// AS-B tests `iss` for truth, not presence: an empty string skips the trust check and
    /// the key is taken by `kid` from any trusted issuer (RFC 7523 §3 item 1: a unique
    /// identifier of the issuer; the empty string names none).
    /// fuzz: unreachable: the fuzzer's grant mutations remove iss, they do not empty it
    AcceptEmptyIss = "accept-empty-iss", ["IC-JB-03f"], "AS-B accepts grants whose iss is an empty string";
    /// AS-B takes an empty `sub` as a grant for no user and issues a token without a subject
    /// (RFC 7523 §3 item 2: sub identifies the principal; the empty string names none).
    /// fuzz: unreachable: the fuzzer's grant mutations remove sub, they do not empty it
    AcceptEmptySub = "accept-empty-sub", ["IC-JB-03g"], "AS-B accepts grants whose sub is an empty string, issuing a token for no user";
    /// AS-B checks `aud` only when the grant has one: a grant without `aud` passes (RFC 7523
    /// §3 item 3: the JWT MUST contain an aud identifying the authorization server).
    /// fuzz: reachable by assertion-token-for-invalid
    AcceptMissingAud = "accept-missing-aud", ["IC-JB-03h"], "AS-B accepts grants without aud";
    /// AS-B enforces `nbf` only when it is a JSON number: an `nbf` given as a string is
    /// ignored, so a grant that says it is not valid yet is used (RFC 7519 §4.1.5: a
    /// NumericDate; RFC 7523 §3 items 5 and 10).
    /// fuzz: unreachable: the fuzzer's nbf mutations are numbers
    IgnoreStringNbf = "ignore-string-nbf", ["IC-JB-03j"], "AS-B ignores an nbf given as a string instead of a NumericDate";
    /// AS-B checks only the `crit` names that also appear in the header: a critical extension
    /// the header names in `crit` but does not carry escapes the check, though the recipient
    /// does not understand it (RFC 7515 §4.1.11: then the JWS is invalid).
    /// fuzz: unreachable: the fuzzer's crit mutation carries the parameter it names
    CritAbsentNameIgnored = "crit-absent-name-ignored", ["IC-JB-03l"], "AS-B ignores crit names the header lacks, though it does not understand them";
    /// AS-B splits the assertion on dots and reads the first three segments: two JWTs joined
    /// into one assertion pass as the first (RFC 7523 §2.1: a single JWT; RFC 7515 §7.1:
    /// exactly three segments).
    /// fuzz: unreachable: the fuzzer's malformed assertions are not valid JWTs joined together
    FirstOfJoinedJwts = "first-of-joined-jwts", ["IC-JB-03m"], "AS-B takes the first JWT of an assertion that joins two";
    /// AS-B returns its access token as a JSON object (claims and token side by side) instead
    /// of a string (RFC 6749 §5.1: access_token is a string).
    /// fuzz: reachable by assertion-token-response
    AccessTokenObject = "access-token-object", ["IC-JB-11"], "AS-B sends access_token as a JSON object instead of a string";
    /// AS-B's JWT access tokens carry no `exp`: whatever `expires_in` says, a resource server
    /// that validates the token locally accepts it for ever, far past the grant (RFC 7521
    /// §4.1; RFC 9068 §2.2: exp REQUIRED).
    /// fuzz: unreachable: a claim of the access token AS-B issues; the oracles judge token responses, not token contents
    AtNoExp = "at-no-exp", ["IC-JB-12"], "AS-B access tokens have no exp";
    /// AS-B's ECDSA verifier accepts the signature (r, s) = (0, 0) for any message, the
    /// "psychic signature" defect of CVE-2022-21449 (FIPS 186-4 §6.4.2: r and s must lie in
    /// [1, n-1]; RFC 7523 §3 item 9).
    /// fuzz: unreachable: the fuzzer's signature mutations flip or drop bytes; none is all zeros
    AcceptZeroSignature = "accept-zero-signature", ["IC-JB-03a"], "AS-B accepts ES256 grants whose signature is all zero bytes";
    /// AS-B verifies an HS256 grant with the issuer's public key file (its SPKI PEM text) as the
    /// MAC secret, the classic confusion only: other encodings of the key are refused
    /// (RFC 8725 §2.1, §3.1).
    /// fuzz: unreachable: needs HS256 keyed with AS-A's public key; the fuzzer signs with its own keys
    AcceptHmacConfusionPem = "accept-hmac-confusion-pem", ["IC-JB-03c", "GEN-10"], "AS-B accepts HS256 grants keyed with the PEM text of the issuer's public key";
    /// AS-B accepts a grant in the flattened JWS JSON serialization and validates it like a
    /// compact one: a signed object, but not a JWT (RFC 7519 §1: compact serialization; RFC
    /// 7523 §2.1: the assertion is a single JWT).
    /// fuzz: unreachable: the fuzzer's structural mutations stay in the compact serialization
    AcceptJwsJsonSerialization = "accept-jws-json-serialization", ["IC-JB-03m"], "AS-B accepts a grant in the JWS JSON serialization";
    /// AS-B trusts any issuer whose RFC 8414 metadata it can fetch: for an `iss` it has no
    /// trust relationship with, it discovers the issuer's jwks_uri and verifies with those keys
    /// (IC §2.4.2: AS-B accepts grants from trusted issuers only; RFC 7523 §3.1).
    /// fuzz: unreachable: the fuzzer's unknown issuers serve no metadata
    TrustDiscoveredIssuer = "trust-discovered-issuer", ["IC-JB-03e"], "AS-B trusts any issuer whose metadata and keys it can fetch";
    /// fuzz: unreachable: needs an at+jwt access token as the assertion; the fuzzer's grants are AS-A's grant or its own
    AcceptAccessTokenAsGrant = "accept-access-token-as-grant", ["IC-JB-07", "GEN-12"], "AS-B skips the aud check for tokens typed at+jwt, so AS-A access tokens pass as grants";
    /// fuzz: unreachable: an aud extended past the issuer is graded IC-JB-03h by the fuzzer (the aud rule), not IC-JB-04
    AudPrefixMatch = "aud-prefix-match", ["IC-JB-04"], "AS-B accepts any aud that starts with its issuer instead of an exact match";
    /// fuzz: unreachable: needs a second client; the fuzzer holds one client per AS
    AcceptGrantForOtherClient = "accept-grant-for-other-client", ["IC-SC-07"], "AS-B ignores a grant client_id that differs from the authenticated client";
    /// fuzz: reachable by exchange-token-for-invalid
    IgnoreClientSecretAtAsA = "ignore-client-secret-at-as-a", ["IC-TE-23"], "AS-A exchanges tokens for a client whose secret is wrong, trusting the client_id alone";
    /// fuzz: reachable by assertion-token-for-invalid
    IgnoreInvalidClientCredentials = "ignore-invalid-client-credentials", ["IC-JB-08"], "AS-B ignores wrong or unknown client credentials on jwt-bearer requests";
    /// fuzz: reachable by assertion-error-code
    MissingAssertionInvalidGrant = "missing-assertion-invalid-grant", ["IC-JB-10"], "AS-B answers invalid_grant instead of invalid_request when assertion is missing";
    /// fuzz: unreachable: a wrong code for a bad grant is graded by the grant rule it broke (IC-JB-03*), not IC-JB-06
    BadGrantInvalidRequest = "bad-grant-invalid-request", ["IC-JB-06"], "AS-B answers invalid_request instead of invalid_grant for invalid grants";
    /// fuzz: reachable by assertion-token-for-invalid
    AcceptUnknownResource = "accept-unknown-resource", ["IC-JB-02"], "AS-B issues tokens for an unknown resource instead of invalid_target";
    /// fuzz: unreachable: the scope-escalation oracle judges token exchanges only
    AsBScopeEscalation = "as-b-scope-escalation", ["IC-JB-15"], "AS-B grants scopes the grant does not carry";
    /// fuzz: unreachable: DPoP; the fuzzer sends no DPoP proofs
    AsBIgnoreInvalidDpop = "as-b-ignore-invalid-dpop", ["DPOP-02"], "AS-B ignores an invalid DPoP proof instead of answering invalid_dpop_proof";
    /// fuzz: unreachable: DPoP; the fuzzer sends no DPoP proofs
    IgnoreRequestedCnf = "ignore-requested-cnf", ["IC-AT-08"], "AS-B issues a Bearer token for a grant with requested_cnf when no DPoP proof is sent";
    /// fuzz: unreachable: DPoP; the fuzzer sends no DPoP proofs
    AcceptRequestedCnfMismatch = "accept-requested-cnf-mismatch", ["IC-AT-08"], "AS-B binds to the proof key even when it differs from requested_cnf";
    // --- AS-B: access token and response
    /// fuzz: unreachable: a claim of the access token AS-B issues; the oracles judge token responses, not token contents
    LongLivedAccessToken = "long-lived-access-token", ["IC-JB-12"], "AS-B access tokens outlive the grant by a day";
    /// fuzz: unreachable: a claim of the access token AS-B issues; the oracles judge token responses, not token contents
    AtMissingTyp = "at-missing-typ", ["IC-AT-05"], "AS-B access tokens lack the at+jwt typ header";
    /// fuzz: unreachable: the response-scope rule depends on the request; it is a suite check
    AsBScopeNotReported = "as-b-scope-not-reported", ["IC-AT-06"], "AS-B omits the response scope when the client sent none";
    /// fuzz: unreachable: DPoP; the fuzzer sends no DPoP proofs
    DpopTokenTypeBearer = "dpop-token-type-bearer", ["IC-AT-07"], "AS-B answers token_type Bearer for a DPoP-bound access token";
    /// fuzz: reachable by assertion-token-response
    ExpiresInString = "expires-in-string", ["GEN-03"], "AS-B sends expires_in as a JSON string";
    // --- RS-B
    /// fuzz: unreachable: RS-B behaviour; the fuzzer sends token requests only
    RsAcceptsGrant = "rs-accepts-grant", ["IC-AT-02"], "RS-B accepts AS-A's grants and tokens as access tokens";
    /// fuzz: unreachable: RS-B behaviour; the fuzzer sends token requests only
    RsAcceptsBoundTokenAsBearer = "rs-accepts-bound-token-as-bearer", ["IC-AT-08", "DPOP-02"], "RS-B accepts a DPoP-bound token without a proof";
    /// fuzz: unreachable: RS-B behaviour; the fuzzer sends token requests only
    RsAcceptsQueryToken = "rs-accepts-query-token", ["ENA-P-13"], "RS-B accepts access tokens in the URL query";
    /// fuzz: unreachable: RS-B behaviour; the fuzzer sends token requests only
    RsMetadataWrongResource = "rs-metadata-wrong-resource", ["IC-MD-08"], "RS-B metadata resource differs from its identifier";
    /// fuzz: unreachable: RS-B behaviour; the fuzzer sends token requests only
    RsNoResourceMetadataChallenge = "rs-no-resource-metadata-challenge", ["IC-MD-09"], "RS-B 401 answers lack resource_metadata in WWW-Authenticate";
    // --- Both token endpoints: generic OAuth hygiene
    /// fuzz: reachable by exchange-error-format, assertion-error-format
    ErrorDescriptionBadChars = "error-description-bad-chars", ["GEN-04"], "error_description contains quote, backslash and DEL";
    /// fuzz: reachable by exchange-error-format, assertion-error-format
    InvalidClientNoChallenge = "invalid-client-no-www-authenticate", ["GEN-04"], "401 invalid_client after Basic authentication lacks WWW-Authenticate";
    /// Both ASes answer `invalid_client` after Basic authentication with 400 and no
    /// `WWW-Authenticate`, though RFC 6749 §5.2 requires 401 and the challenge when the client
    /// used the Authorization header (the mirror of the legal variant
    /// `invalid-client-400-without-header`).
    /// fuzz: unreachable: the error-status oracle accepts 400 or 401 for invalid_client; the 401 rule after Basic authentication is a suite check
    InvalidClient400AfterBasic = "invalid-client-400-after-basic", ["GEN-04"], "invalid_client after Basic authentication is answered with 400 and no WWW-Authenticate instead of 401";
    /// fuzz: reachable by exchange-token-for-invalid, assertion-token-for-invalid
    AcceptDuplicateParams = "accept-duplicate-params", ["GEN-02"], "repeated parameters are accepted (last wins)";
    /// fuzz: reachable by exchange-token-for-invalid, assertion-token-for-invalid
    TokenEndpointAcceptsGet = "token-endpoint-accepts-get", ["GEN-01"], "token endpoints process GET requests with query parameters";
    /// fuzz: reachable by exchange-error-code, assertion-error-code
    UnknownGrantTypeInvalidRequest = "unknown-grant-type-invalid-request", ["GEN-05", "IC-JB-16"], "unknown grant types get invalid_request instead of unsupported_grant_type";
    /// fuzz: reachable by exchange-token-response, assertion-token-response
    TokenResponseTextPlain = "token-response-text-plain", ["GEN-03"], "token responses are labelled text/plain instead of application/json";
    // --- more single-requirement breaks (second batch)
    /// fuzz: reachable by exchange-token-response
    ExchangeNoIssuedTokenType = "exchange-no-issued-token-type", ["IC-TE-11"], "AS-A omits issued_token_type from the token-exchange response";
    /// fuzz: unreachable: needs a client-credentials subject token; the embedded target gets a user token
    AcceptClientCredentialsSubject = "accept-client-credentials-subject", ["ENA-GEN-04"], "AS-A exchanges subject tokens that represent no user (client credentials)";
    /// fuzz: unreachable: a grant claim AS-A chooses; the oracles judge token responses, not the contents of the grant issued
    GrantIatAfterExp = "grant-iat-after-exp", ["IC-JG-06"], "AS-A's grant has iat later than exp";
    /// fuzz: unreachable: a grant claim AS-A chooses; the oracles judge token responses, not the contents of the grant issued
    GrantUnsigned = "grant-unsigned", ["IC-JG-08"], "AS-A mints unsigned (alg none) grants";
    /// fuzz: unreachable: a grant claim AS-A chooses; the oracles judge token responses, not the contents of the grant issued
    GrantPaddedBase64 = "grant-padded-base64", ["IC-JG-09"], "AS-A's grant segments carry base64 padding";
    /// fuzz: unreachable: a grant claim AS-A chooses; the oracles judge token responses, not the contents of the grant issued
    GrantIncludesPii = "grant-includes-pii", ["IC-JG-12", "IC-SC-09"], "AS-A copies email and name into the grant";
    /// fuzz: unreachable: metadata or JWKS contents; the fuzzer sends token requests only
    AdvertisedTypeNotIssuable = "advertised-type-not-issuable", ["IC-MD-03"], "AS-A advertises the id-jag token type but refuses to issue it";
    /// fuzz: unreachable: metadata or JWKS contents; the fuzzer sends token requests only
    AsBMetadataIssuerMismatch = "as-b-metadata-issuer-mismatch", ["IC-MD-05"], "AS-B's metadata issuer differs from the issuer its URL was built from";
    /// fuzz: unreachable: metadata or JWKS contents; the fuzzer sends token requests only
    AsBMetadataNoJwtBearer = "as-b-metadata-no-jwt-bearer", ["IC-MD-06"], "AS-B's grant_types_supported lacks jwt-bearer";
    /// fuzz: unreachable: needs a jku URL serving keys; the fuzzer serves none
    FollowJku = "follow-jku", ["GEN-11", "IC-JB-03d"], "AS-B fetches the jku header URL and trusts the keys found there";
    /// fuzz: unreachable: DPoP; the fuzzer sends no DPoP proofs
    DpopProofReplayAccepted = "dpop-proof-replay-accepted", ["DPOP-06"], "AS-B accepts a DPoP proof jti it has already seen";
    /// fuzz: reachable by assertion-token-response
    AsBNoTokenType = "as-b-no-token-type", ["IC-JB-11", "IC-AT-01"], "AS-B omits token_type from the jwt-bearer response";
    /// fuzz: reachable by assertion-error-format
    InvalidGrantStatus401 = "invalid-grant-status-401", ["IC-JB-06", "GEN-04"], "AS-B answers invalid_grant with HTTP 401 instead of 400";
    /// fuzz: unreachable: a claim of the access token AS-B issues; the oracles judge token responses, not token contents
    AtAudNotResource = "at-aud-not-resource", ["IC-AT-04"], "AS-B access tokens name AS-B, not the resource, in aud";
    /// fuzz: unreachable: a claim of the access token AS-B issues; the oracles judge token responses, not token contents
    AtMissingJtiClientId = "at-missing-jti-client-id", ["IC-AT-05"], "AS-B access tokens lack jti and client_id";
    /// fuzz: unreachable: a claim of the access token AS-B issues; the oracles judge token responses, not token contents
    CnfWrongThumbprint = "cnf-wrong-thumbprint", ["IC-AT-07", "DPOP-04"], "AS-B computes cnf.jkt over JWK members in the wrong order";
    /// fuzz: unreachable: RS-B behaviour; the fuzzer sends token requests only
    RsMetadataNoAsB = "rs-metadata-no-as-b", ["IC-MD-08"], "RS-B metadata lists AS-A instead of AS-B in authorization_servers";
    /// fuzz: unreachable: RS-B behaviour; the fuzzer sends token requests only
    RsSkipsAth = "rs-skips-ath", ["DPOP-02"], "RS-B does not check the proof's ath against the access token";
    /// fuzz: unreachable: private_key_jwt is not among the client authentication methods the fuzzer varies
    ClientAssertionUnverified = "client-assertion-unverified", ["IC-TE-23", "IC-SC-01", "GEN-10"], "AS-A accepts private_key_jwt client assertions without checking their signature";
    /// AS-A accepts a private_key_jwt client assertion whose header says alg `none` and whose
    /// signature is empty (RFC 8725 §3.1-3.2: `none` only where explicitly expected; RFC 7523
    /// §3 item 9: the assertion MUST be signed).
    /// fuzz: unreachable: private_key_jwt is not among the client authentication methods the fuzzer varies
    ClientAssertionAlgNone = "client-assertion-alg-none", ["GEN-10"], "AS-A accepts unsigned (alg none) private_key_jwt client assertions";
    /// fuzz: unreachable: private_key_jwt is not among the client authentication methods the fuzzer varies
    ClientAssertionReplay = "client-assertion-replay", ["IC-SC-01", "ENA-P-02"], "AS-A accepts a private_key_jwt client assertion jti more than once";
    // --- Ena profile (mode `ena-1.0`): each breaks one rule the Ena chaining and OAuth profiles add
    /// fuzz: unreachable: same-domain exchange happens only in the Ena mode; the fuzzer drives the identity-chaining mode
    EnaSameDomainWrongAud = "ena-same-domain-wrong-aud", ["ENA-TX-08"], "AS-A's same-domain access token names the subject token's API, not the requested one, in aud";
    /// fuzz: unreachable: same-domain exchange happens only in the Ena mode; the fuzzer drives the identity-chaining mode
    EnaSameDomainRefreshToken = "ena-same-domain-refresh-token", ["ENA-TX-15"], "AS-A returns a refresh token beside a same-domain access token";
    /// fuzz: unreachable: same-domain exchange happens only in the Ena mode; the fuzzer drives the identity-chaining mode
    EnaSameDomainUnregisteredTarget = "ena-same-domain-unregistered-target", ["ENA-TX-05"], "AS-A issues a same-domain access token for any audience, registered or not";
    /// fuzz: unreachable: same-domain exchange happens only in the Ena mode; the fuzzer drives the identity-chaining mode
    EnaSameDomainIgnoresDpop = "ena-same-domain-ignores-dpop", ["ENA-TX-13"], "AS-A issues an unbound same-domain access token despite a valid DPoP proof";
    /// fuzz: unreachable: same-domain exchange happens only in the Ena mode; the fuzzer drives the identity-chaining mode
    EnaRequestedTokenTypeIgnored = "ena-requested-token-type-ignored", ["ENA-TX-07"], "AS-A picks the use case from the target alone, ignoring requested_token_type";
    /// fuzz: unreachable: a claim AS-A chooses; the oracles judge token responses, not the tokens issued
    EnaActNotNested = "ena-act-not-nested", ["ENA-TX-11"], "AS-A's exchanged access token names only the current actor in act, dropping earlier actors";
    /// fuzz: unreachable: a claim AS-A chooses; the oracles judge token responses, not the tokens issued
    EnaDropAuthContext = "ena-drop-auth-context", ["ENA-TX-10", "ENA-XD-12"], "AS-A does not carry acr and auth_time from the subject token into the tokens and grants it issues";
    /// fuzz: unreachable: a grant claim AS-A chooses; the oracles judge token responses, not the contents of the grant issued
    EnaGrantNoAct = "ena-grant-no-act", ["ENA-XD-11"], "AS-A's cross-domain grant has no act naming the requesting client";
    /// fuzz: unreachable: private_key_jwt is not among the client authentication methods the fuzzer varies
    EnaAcceptUntypedClientAssertion = "ena-accept-untyped-client-assertion", ["ENA-P-15"], "AS-A accepts a client assertion without typ client-authentication+jwt";
    /// fuzz: unreachable: private_key_jwt is not among the client authentication methods the fuzzer varies
    EnaAcceptMultiAudClientAssertion = "ena-accept-multi-aud-client-assertion", ["ENA-P-15"], "AS-A accepts a client assertion whose aud holds more than its issuer";
    /// fuzz: unreachable: private_key_jwt is not among the client authentication methods the fuzzer varies
    EnaClientIdOptional = "ena-client-id-optional", ["ENA-P-01"], "AS-A accepts a private_key_jwt token request without the client_id parameter";
    /// fuzz: unreachable: needs a harness grant without jti; the fuzzer's mutations target the identity-chaining mode
    EnaAcceptGrantWithoutJti = "ena-accept-grant-without-jti", ["ENA-P-05"], "AS-B accepts grants without jti";
    /// fuzz: unreachable: needs a harness grant without client_id; the fuzzer's mutations target the identity-chaining mode
    EnaAcceptGrantWithoutClientId = "ena-accept-grant-without-client-id", ["ENA-P-05"], "AS-B accepts grants without a client_id claim";
    /// fuzz: unreachable: needs a harness grant with a second aud value; the fuzzer's mutations target the identity-chaining mode
    EnaAcceptGrantExtraAud = "ena-accept-grant-extra-aud", ["ENA-P-05"], "AS-B accepts grants whose aud names another server besides it";
    /// fuzz: unreachable: a token-endpoint aud is legal in the identity-chaining mode the fuzzer drives
    EnaAcceptTokenEndpointAud = "ena-accept-token-endpoint-aud", ["ENA-XD-16"], "AS-B accepts grants whose aud is its token endpoint without its issuer";
    /// fuzz: unreachable: unauthenticated redemption is legal in the identity-chaining mode the fuzzer drives
    EnaAsBAnonymousClient = "ena-as-b-anonymous-client", ["ENA-XD-16"], "AS-B redeems grants for clients that do not authenticate";
    /// Ena OAuth profile §3.3.2.2: `expires_in` is REQUIRED in every token response.
    /// fuzz: unreachable: expires_in is RECOMMENDED in RFC 6749 §5.1 (the oracles' rule); Ena's REQUIRED is a suite check
    EnaAsBNoExpiresIn = "ena-as-b-no-expires-in", ["ENA-P-03"], "AS-B omits expires_in from its access-token response";
    /// Ena OAuth profile §3.3.2.2, at AS-A's own client-credentials grant.
    /// fuzz: unreachable: the fuzzer sends token exchanges, not client-credentials requests
    EnaClientCredentialsNoExpiresIn = "ena-client-credentials-no-expires-in", ["ENA-P-03"], "AS-A omits expires_in from its client-credentials response";
    /// Ena OAuth profile §6.2: no refresh token when no end user is involved.
    /// fuzz: unreachable: the fuzzer sends token exchanges, not client-credentials requests
    EnaClientCredentialsRefreshToken = "ena-client-credentials-refresh-token", ["ENA-P-12"], "AS-A issues a refresh token for the client-credentials grant";
    /// Ena OAuth profile §7.1: an unmappable `resource` is refused even beside mappable ones.
    /// fuzz: unreachable: the fuzzer's jwt-bearer requests name one resource at a time
    EnaAsBDropsUnknownResource = "ena-as-b-drops-unknown-resource", ["ENA-P-07"], "AS-B issues a token for the known resource and silently drops an unknown one named beside it";
    /// Ena OAuth profile §7.1 at AS-A's same-domain exchange.
    /// fuzz: unreachable: same-domain exchange happens only in the Ena mode; the fuzzer drives the identity-chaining mode
    EnaSameDomainDropsUnknownResource = "ena-same-domain-drops-unknown-resource", ["ENA-P-07"], "AS-A's same-domain exchange issues a token for the registered resource and drops an unregistered one named beside it";
    /// Ena chaining profile §2.4: only scopes permitted for the requester.
    /// fuzz: unreachable: same-domain exchange happens only in the Ena mode; the fuzzer drives the identity-chaining mode
    EnaSameDomainScopeEscalation = "ena-same-domain-scope-escalation", ["ENA-TX-12", "ENA-GEN-05"], "AS-A's same-domain access token carries requested scopes the subject token does not hold";
    /// Ena chaining profile §3.3.4: the grant SHOULD carry `scope` when scopes are involved.
    /// fuzz: unreachable: a grant claim AS-A chooses; the oracles judge token responses, not the contents of the grant issued
    EnaGrantNoScope = "ena-grant-no-scope", ["ENA-XD-13"], "AS-A's cross-domain grant has no scope claim although the request and the subject token carry scopes";
    /// Ena chaining profile §3.3.4: a second way, a `scope` claim that names nothing.
    /// fuzz: unreachable: a grant claim AS-A chooses; the oracles judge token responses, not the contents of the grant issued
    EnaGrantScopeEmpty = "ena-grant-scope-empty", ["ENA-XD-13"], "AS-A's cross-domain grant carries scope as an empty string";
    /// Ena chaining profile §4.2.1: tokens meant for exchange list the issuer among `aud`. The
    /// fault also stops requiring it of subject tokens (§4.2.2 requires it only of an AS that
    /// normally adds it), so exchanges still work.
    /// fuzz: unreachable: the subject token's claims are AS-A's choice; the oracles judge token-exchange responses
    EnaUserTokenAudWithoutIssuer = "ena-user-token-aud-without-issuer", ["ENA-GEN-03"], "AS-A's user access tokens list only its API in aud, not its own issuer";
    /// Ena chaining profile §4.2.1, a second way: the token endpoint URL instead of the issuer.
    /// fuzz: unreachable: the subject token's claims are AS-A's choice; the oracles judge token-exchange responses
    EnaUserTokenAudTokenEndpoint = "ena-user-token-aud-token-endpoint", ["ENA-GEN-03"], "AS-A's user access tokens name its token endpoint URL instead of its issuer in aud";
    /// Ena chaining profile §3.3.1 (RFC 7523 §3 item 2): the assertion's sub is the client id.
    /// fuzz: unreachable: private_key_jwt is not among the client authentication methods the fuzzer varies
    EnaClientAssertionSubUnchecked = "ena-client-assertion-sub-unchecked", ["ENA-XD-04"], "AS-A accepts a client assertion whose sub differs from its iss and the client id";
    /// Ena OAuth profile §3.3.2.1 / chaining profile §3.3.1: the client named by `client_id` is
    /// authenticated with its key whatever the assertion's iss and sub say.
    /// fuzz: unreachable: private_key_jwt is not among the client authentication methods the fuzzer varies
    EnaClientIdParamTrusted = "ena-client-id-param-trusted", ["ENA-P-01", "ENA-XD-04"], "AS-A authenticates the client the client_id parameter names, ignoring an assertion iss and sub that name another";
    /// Ena chaining profile §3.4.2 (6), §3.4.3: an `act` AS-B includes preserves every actor.
    /// fuzz: unreachable: a claim of AS-B's access token; the oracles judge token responses, not the tokens issued
    EnaAsBActTruncated = "ena-as-b-act-truncated", ["ENA-XD-18"], "AS-B's access token keeps only the grant's current actor in act, dropping the nested earlier actors";
    /// Ena chaining profile §3.4.3, a second way: the grant's actors replaced by AS-B's own.
    /// fuzz: unreachable: a claim of AS-B's access token; the oracles judge token responses, not the tokens issued
    EnaAsBActReplaced = "ena-as-b-act-replaced", ["ENA-XD-18"], "AS-B's access token names only the client registered at AS-B in act, replacing the grant's actors";
    /// Ena chaining profile §4.3: where the user is the resource owner, no grant carries a scope
    /// the subject token does not hold.
    /// fuzz: unreachable: a grant claim AS-A chooses; the scope-escalation oracle runs in the identity-chaining mode
    EnaGrantScopeEscalation = "ena-grant-scope-escalation", ["ENA-GEN-05"], "AS-A's cross-domain grant carries requested scopes the subject token does not hold";
    /// Ena OAuth profile §8.2: RSA public keys are at least 2048 bits (AS-A's JWKS).
    /// fuzz: unreachable: metadata or JWKS contents; the fuzzer sends token requests only
    EnaJwksWeakRsaKey = "ena-jwks-weak-rsa-key", ["ENA-P-10"], "AS-A's JWKS also publishes a 1024-bit RSA key";
    /// Ena OAuth profile §8.2, a second way: at the other server (AS-B's JWKS).
    /// fuzz: unreachable: metadata or JWKS contents; the fuzzer sends token requests only
    EnaAsBJwksWeakRsaKey = "ena-as-b-jwks-weak-rsa-key", ["ENA-P-10"], "AS-B's JWKS also publishes a 1024-bit RSA key";
    /// Ena OAuth profile §3.1.1.6, §8.3: private_key_jwt (or mutual TLS) only, no secrets.
    /// fuzz: unreachable: metadata or JWKS contents; the fuzzer sends token requests only
    EnaClientSecretMethods = "ena-client-secret-methods", ["ENA-P-08"], "AS-A keeps accepting client_secret_basic and client_secret_post and lists them in its metadata";
    /// Ena OAuth profile §3.1.1.4: scopes_supported is REQUIRED.
    /// fuzz: unreachable: metadata or JWKS contents; the fuzzer sends token requests only
    EnaMetadataNoScopesSupported = "ena-metadata-no-scopes-supported", ["ENA-P-08"], "AS-A's metadata omits scopes_supported";
    /// Ena OAuth profile §3.1.1.6 at the other server.
    /// fuzz: unreachable: metadata or JWKS contents; the fuzzer sends token requests only
    EnaAsBClientSecretMethods = "ena-as-b-client-secret-methods", ["ENA-P-08"], "AS-B keeps accepting client_secret_basic and client_secret_post and lists them in its metadata";
    // Second ways for Ena rows (issue 8 item 5).
    /// Ena chaining profile §2.4, §3.3.4: acr kept, auth_time dropped.
    /// fuzz: unreachable: a claim AS-A chooses; the oracles judge token responses, not the tokens issued
    EnaDropAuthTime = "ena-drop-auth-time", ["ENA-TX-10", "ENA-XD-12"], "AS-A keeps acr but drops auth_time from the tokens and grants it issues";
    /// Ena chaining profile §2.4: the same sub as the inbound token.
    /// fuzz: unreachable: same-domain exchange happens only in the Ena mode; the fuzzer drives the identity-chaining mode
    EnaSameDomainWrongSub = "ena-same-domain-wrong-sub", ["ENA-TX-08"], "AS-A's same-domain access token names the requesting client, not the user, in sub";
    /// Ena chaining profile §2.4: expires_in is part of the response.
    /// fuzz: unreachable: same-domain exchange happens only in the Ena mode; the fuzzer drives the identity-chaining mode
    EnaSameDomainNoExpiresIn = "ena-same-domain-no-expires-in", ["ENA-TX-14"], "AS-A omits expires_in from a same-domain token-exchange response";
    /// Ena chaining profile §2.4 with RFC 9449 §5: a bound token is announced as DPoP.
    /// fuzz: unreachable: DPoP; the fuzzer sends no DPoP proofs
    EnaSameDomainDpopTokenTypeBearer = "ena-same-domain-dpop-token-type-bearer", ["ENA-TX-13"], "AS-A binds the same-domain token to the proof key but answers token_type Bearer";
    /// Ena chaining profile §2.4.1: act.sub is the requesting entity.
    /// fuzz: unreachable: a claim AS-A chooses; the oracles judge token responses, not the tokens issued
    EnaActSubNotRequester = "ena-act-sub-not-requester", ["ENA-TX-11"], "AS-A's same-domain access token names the user, not the requesting client, in act.sub";
    // Second ways for Ena rows, continued (issue 8 item 5, issue 10 item 1).
    /// Ena OAuth profile §6.1 (RFC 9068 §2.1): a JWT access token is typed `at+jwt`.
    /// fuzz: unreachable: same-domain exchange happens only in the Ena mode; the fuzzer drives the identity-chaining mode
    EnaSameDomainTypJwt = "ena-same-domain-typ-jwt", ["ENA-P-06"], "AS-A's same-domain access token is typed JWT instead of at+jwt";
    /// Ena OAuth profile §6.1 (RFC 9068 §2.2): `iss` is the AS's entity identifier.
    /// fuzz: unreachable: same-domain exchange happens only in the Ena mode; the fuzzer drives the identity-chaining mode
    EnaSameDomainIssTokenEndpoint = "ena-same-domain-iss-token-endpoint", ["ENA-P-06"], "AS-A's same-domain access token names its token endpoint URL, not its issuer, in iss";
    /// Ena chaining profile §2.4: `issued_token_type` MUST be access_token.
    /// fuzz: unreachable: same-domain exchange happens only in the Ena mode; the fuzzer drives the identity-chaining mode
    EnaSameDomainIssuedTypeJwt = "ena-same-domain-issued-type-jwt", ["ENA-TX-14"], "AS-A labels a same-domain access token issued_token_type jwt";
    /// Ena chaining profile §3.3.4: a grant is announced as issued_token_type jwt.
    /// fuzz: unreachable: the fuzzer drives the identity-chaining mode; there wrong-issued-token-type is the same defect
    EnaGrantIssuedTypeAccessToken = "ena-grant-issued-type-access-token", ["ENA-XD-09"], "AS-A answers issued_token_type access_token for a grant requested as a JWT";
    /// Ena chaining profile §3.3.4: a grant is announced as token_type N_A.
    /// fuzz: unreachable: the fuzzer drives the identity-chaining mode; there token-type-bearer is the same defect
    EnaGrantTokenTypeBearer = "ena-grant-token-type-bearer", ["ENA-XD-09"], "AS-A answers token_type Bearer for a grant requested as a JWT";
    /// Ena chaining profile §3.3.4: the grant carries the requester's `client_id`.
    /// fuzz: unreachable: a grant claim AS-A chooses; the oracles judge token responses, not the contents of the grant issued
    EnaGrantNoClientId = "ena-grant-no-client-id", ["ENA-XD-10"], "AS-A's cross-domain grant has no client_id claim";
    /// Ena chaining profile §3.3.4: the grant carries a unique `jti`.
    /// fuzz: unreachable: a grant claim AS-A chooses; the oracles judge token responses, not the contents of the grant issued
    EnaGrantNoJti = "ena-grant-no-jti", ["ENA-XD-10"], "AS-A's cross-domain grant has no jti claim";
    /// Ena chaining profile §2.3.1: no target indicator (and no scope to deduce one from) MUST be
    /// refused; this fault issues a token for AS-A's own API instead.
    /// fuzz: unreachable: same-domain exchange happens only in the Ena mode; the fuzzer drives the identity-chaining mode
    EnaSameDomainDefaultTarget = "ena-same-domain-default-target", ["ENA-TX-06"], "AS-A issues a same-domain access token for its own API when the request names no target";
    /// Ena chaining profile §2.3.1: the refusal of a request naming no target is invalid_request.
    /// fuzz: unreachable: same-domain exchange happens only in the Ena mode; the fuzzer drives the identity-chaining mode
    EnaSameDomainNoTargetInvalidTarget = "ena-same-domain-no-target-invalid-target", ["ENA-TX-06"], "AS-A answers invalid_target instead of invalid_request to a same-domain request naming no target";
    /// Ena chaining profile §2.3.1: requested_token_type jwt MUST be processed under §3 (a grant);
    /// this fault lets a target that is one of AS-A's APIs win over it.
    /// fuzz: unreachable: same-domain exchange happens only in the Ena mode; the fuzzer drives the identity-chaining mode
    EnaJwtRequestForApiIssuesAccessToken = "ena-jwt-request-for-api-issues-access-token", ["ENA-TX-07"], "AS-A issues a same-domain access token when requested_token_type asks for a JWT but the target is one of its APIs";
    /// Ena chaining profile §3.3.3: without requested_token_type an AS target means a grant
    /// (MAY infer) or invalid_request; this fault defaults to the same-domain profile.
    /// fuzz: unreachable: same-domain exchange happens only in the Ena mode; the fuzzer drives the identity-chaining mode
    EnaInferSameDomainForAs = "ena-infer-same-domain-for-as", ["ENA-XD-08"], "without requested_token_type AS-A issues a same-domain access token for AS-B as audience instead of a grant";
    /// Ena chaining profile §3.3.3 (§2.3.1): a request it cannot place is invalid_request.
    /// fuzz: unreachable: Ena mode only; in the identity-chaining mode the fuzzer drives, requested_token_type is optional
    EnaNoRequestedTypeInvalidTarget = "ena-no-requested-type-invalid-target", ["ENA-XD-08"], "AS-A refuses an exchange without requested_token_type with invalid_target instead of inferring a grant or answering invalid_request";
    /// Ena chaining profile §2.4: no refresh token from a chaining exchange, the second hop too.
    /// fuzz: unreachable: same-domain exchange happens only in the Ena mode; the fuzzer drives the identity-chaining mode
    EnaSecondHopRefreshToken = "ena-second-hop-refresh-token", ["ENA-TX-15"], "AS-A returns a refresh token beside a same-domain access token when the subject token was itself exchanged";
    /// Ena chaining profile §3.3.4: the first-level act.sub SHOULD identify the client as known in
    /// domain A.
    /// fuzz: unreachable: a grant claim AS-A chooses; the oracles judge token responses, not the contents of the grant issued
    EnaGrantActSubIsUser = "ena-grant-act-sub-is-user", ["ENA-XD-11"], "AS-A's cross-domain grant names the user, not the requesting client, in act.sub";
    /// Ena OAuth profile §3.1.1.6, §8.3: private_key_jwt and the two TLS methods only; any other
    /// method listed breaks it (here OAuth attestation-based client authentication).
    /// fuzz: unreachable: metadata or JWKS contents; the fuzzer sends token requests only
    EnaMetadataExtraAuthMethod = "ena-metadata-extra-auth-method", ["ENA-P-08"], "AS-A's metadata lists attest_jwt_client_auth beside private_key_jwt";
    /// Ena OAuth profile §8.3.1: the AS caches used `jti` values of client assertions; this
    /// fault caches the assertion's text, so a re-signed assertion with a used jti passes.
    /// fuzz: unreachable: private_key_jwt is not among the client authentication methods the fuzzer varies
    EnaClientAssertionReplayByText = "ena-client-assertion-replay-by-text", ["ENA-P-02"], "AS-A's client-assertion replay cache is keyed on the assertion's text, so a used jti in a freshly signed assertion authenticates again";
    /// Ena chaining profile §4.2.2: a subject token issued by another AS is rejected; this
    /// fault verifies only the tokens that name AS-A as issuer and takes any other at its word.
    /// fuzz: unreachable: needs a token of another AS; the fuzzer holds AS-A's own subject token
    EnaAcceptForeignIssuerSubject = "ena-accept-foreign-issuer-subject", ["ENA-GEN-04"], "AS-A exchanges a subject token issued by another AS (AS-B's access token), checking only tokens that name it as issuer";
    /// Ena chaining profile §2.3.1: every target must be a registered protected resource; this
    /// fault checks `audience` values but takes any `resource` value.
    /// fuzz: unreachable: same-domain exchange happens only in the Ena mode; the fuzzer drives the identity-chaining mode
    EnaSameDomainResourceUnchecked = "ena-same-domain-resource-unchecked", ["ENA-TX-05"], "AS-A's same-domain exchange checks audience values against its registered resources but issues a token for any resource value";
    // --- RFC 8693 delegation and impersonation (mode rfc8693: `Fault::mode()` is Rfc8693)
    /// fuzz: unreachable: rfc8693 mode only; the fuzzer runs the identity-chaining mode and sends no actor tokens
    ActorTokenUnverified = "actor-token-unverified", ["TX8693-01"], "rfc8693 mode: AS-A does not verify the actor token's signature";
    /// fuzz: unreachable: rfc8693 mode only; the fuzzer runs the identity-chaining mode
    UnsupportedTokenTypeCode = "unsupported-token-type-code", ["TX8693-02"], "rfc8693 mode: AS-A answers unsupported_token_type (RFC 7009's revocation code) instead of invalid_request for an unknown subject or actor token type";
    /// fuzz: unreachable: rfc8693 mode only; the fuzzer runs the identity-chaining mode and sends no actor tokens
    NoActOnDelegation = "no-act-on-delegation", ["TX8693-03"], "rfc8693 mode: AS-A issues no act claim for a delegation exchange";
    /// fuzz: unreachable: rfc8693 mode only; a claim of the issued token, which the oracles do not judge
    ActNamesClient = "act-names-client", ["TX8693-04"], "rfc8693 mode: AS-A names the requesting client in act instead of the actor token's subject";
    /// fuzz: unreachable: rfc8693 mode only; a claim of the issued token, which the oracles do not judge
    ActChainInverted = "act-chain-inverted", ["TX8693-05"], "rfc8693 mode: AS-A puts the prior actor outermost and the current actor nested in act";
    /// fuzz: unreachable: rfc8693 mode only; a claim of the issued token, which the oracles do not judge
    ActChainDropped = "act-chain-dropped", ["TX8693-06"], "rfc8693 mode: AS-A drops the prior actors of a subject token that carries act";
    /// fuzz: unreachable: rfc8693 mode only; the fuzzer sends no actor tokens
    IgnoreMayAct = "ignore-may-act", ["TX8693-07"], "rfc8693 mode: AS-A accepts an actor the subject token's may_act does not name";
    /// fuzz: unreachable: rfc8693 mode only; the fuzzer runs the identity-chaining mode
    IssuedTypeNotRequested = "issued-type-not-requested", ["TX8693-08"], "rfc8693 mode: AS-A issues its JWT grant when an access token is requested";
    /// fuzz: unreachable: rfc8693 mode only; the fuzzer runs the identity-chaining mode
    FirstTargetOnly = "first-target-only", ["TX8693-09"], "rfc8693 mode: AS-A issues a token for the first resource/audience value only, silently dropping the others";
    /// fuzz: unreachable: rfc8693 mode only; the fuzzer runs the identity-chaining mode
    UnknownTargetInvalidGrant = "unknown-target-invalid-grant", ["TX8693-10"], "rfc8693 mode: AS-A answers invalid_grant instead of invalid_target for a target it will not serve";
    /// fuzz: unreachable: rfc8693 mode only; a claim of the issued token, which the oracles do not judge
    ImpersonationSubIsClient = "impersonation-sub-is-client", ["TX8693-11"], "rfc8693 mode: without an actor token AS-A makes the requesting client the issued token's subject";
    // second ways to break the RFC 8693 rules (tests/two_ways.rs)
    /// fuzz: unreachable: rfc8693 mode only; the fuzzer sends no actor tokens
    MayActRefusalInvalidGrant = "may-act-refusal-invalid-grant", ["TX8693-01"], "rfc8693 mode: AS-A refuses an actor outside may_act with invalid_grant instead of invalid_request";
    /// fuzz: unreachable: rfc8693 mode only; the fuzzer sends no actor tokens
    UnknownActorTypeAccepted = "unknown-actor-type-accepted", ["TX8693-02"], "rfc8693 mode: AS-A accepts any actor_token_type value";
    /// fuzz: unreachable: rfc8693 mode only; a claim of the issued token, which the oracles do not judge
    ActNotObject = "act-not-object", ["TX8693-04"], "rfc8693 mode: AS-A writes act as the actor's subject string instead of a JSON object";
    /// fuzz: unreachable: rfc8693 mode only; a claim of the issued token, which the oracles do not judge
    ActPriorIsSubject = "act-prior-is-subject", ["TX8693-05"], "rfc8693 mode: AS-A nests the user (the subject) as the prior actor instead of the subject token's act";
    /// fuzz: unreachable: rfc8693 mode only; the fuzzer runs the identity-chaining mode
    IssuedTypeMislabelled = "issued-type-mislabelled", ["TX8693-08"], "rfc8693 mode: AS-A issues the requested access token but labels it issued_token_type jwt";
    /// fuzz: unreachable: rfc8693 mode only; the fuzzer runs the identity-chaining mode
    SeveralTargetsInvalidRequest = "several-targets-invalid-request", ["TX8693-09"], "rfc8693 mode: AS-A refuses several resource/audience values with invalid_request instead of invalid_target";
    /// fuzz: unreachable: rfc8693 mode only; the fuzzer runs the identity-chaining mode
    UnknownTargetServerError = "unknown-target-server-error", ["TX8693-10"], "rfc8693 mode: AS-A answers HTTP 500 server_error for a target it will not serve";
    /// fuzz: unreachable: rfc8693 mode only; the fuzzer sends no actor tokens
    MayActMatchesClient = "may-act-matches-client", ["TX8693-07"], "rfc8693 mode: AS-A compares may_act with the requesting client instead of the actor token's subject";
    // --- Second ways to break a rule (issue 8 item 5: every graded requirement has two
    // distinct faults; `tests/two_ways.rs` counts them). Key selection through the JOSE
    // headers that carry or point to a key (RFC 7515 §4.1.3-§4.1.6, RFC 8725 §3.10).
    /// AS-B verifies a grant with the public key its own `jwk` header carries (RFC 7515
    /// §4.1.3): anyone can sign a grant for any subject with a key they made.
    /// fuzz: unreachable: needs a grant re-signed by a key it embeds; the fuzzer signs with its own keys and embeds none
    TrustEmbeddedJwk = "trust-embedded-jwk", ["IC-JB-03d", "IC-SC-10"], "AS-B verifies a grant with the key in its own jwk header";
    /// AS-B verifies a grant with the key of the first certificate in its own `x5c` header
    /// (RFC 7515 §4.1.6) without checking that certificate against any trust anchor.
    /// fuzz: unreachable: needs a certificate for the signing key; the fuzzer builds no certificates
    TrustX5c = "trust-x5c", ["IC-JB-03d", "IC-SC-10"], "AS-B verifies a grant with the key of the self-signed certificate in its x5c header";
    /// AS-B fetches the `x5u` header URL (RFC 7515 §4.1.5) and verifies with the key of the
    /// certificate found there: the mirror of `follow-jku` for certificate URLs.
    /// fuzz: unreachable: needs an x5u URL serving a certificate; the fuzzer serves none
    FollowX5u = "follow-x5u", ["GEN-11", "IC-JB-03d"], "AS-B fetches the x5u header URL and trusts the certificate key found there";
    /// AS-B maps every subject it knows onto one local account (the first of its subject
    /// map): each user it maps gets a token, but the second user acts as the first.
    /// fuzz: unreachable: the subject AS-B writes into its access token is a claim it chooses; the oracles judge token responses, not the subject mapping
    SubjectMapCollapsed = "subject-map-collapsed", ["IC-JB-05"], "AS-B maps every known subject onto the first local account of its subject map";
    // Second ways for the grant's claims (IC-17 §2.3.3; RFC 7519 §4.1), seen by
    // grant-contents/grant-claims.
    /// AS-A names its token endpoint, not its RFC 8414 issuer, as the grant's iss.
    /// fuzz: unreachable: a grant claim AS-A chooses; the oracles judge token responses, not the contents of the grant issued
    GrantIssTokenEndpoint = "grant-iss-token-endpoint", ["IC-JG-01"], "AS-A's grant iss is its token endpoint URL instead of its issuer";
    /// AS-A's grant carries sub as an empty string (present, names nobody).
    /// fuzz: unreachable: a grant claim AS-A chooses; the oracles judge token responses, not the contents of the grant issued
    GrantSubEmpty = "grant-sub-empty", ["IC-JG-02"], "AS-A's grant sub is an empty string";
    /// AS-A mints grants whose exp has already passed (a clock or unit error).
    /// fuzz: unreachable: a grant claim AS-A chooses; the oracles judge token responses, not the contents of the grant issued
    GrantAlreadyExpired = "grant-already-expired", ["IC-JG-04"], "AS-A's grant exp lies in the past when it is issued";
    /// AS-A's grant carries an nbf an hour in the future, so it cannot be used when issued.
    /// fuzz: unreachable: a grant claim AS-A chooses; the oracles judge token responses, not the contents of the grant issued
    GrantNbfFuture = "grant-nbf-future", ["IC-JG-06"], "AS-A's grant nbf lies an hour in the future";
    /// AS-A signs grants with HS256 under a secret of its own: no key AS-B can associate
    /// with AS-A verifies them (RFC 7518 §3.2 symmetric).
    /// fuzz: unreachable: a grant claim AS-A chooses; the oracles judge token responses, not the contents of the grant issued
    GrantHs256 = "grant-hs256", ["IC-JG-08"], "AS-A signs grants with HS256 under a shared secret instead of a published key";
    /// AS-A's grant has a fourth dot-separated segment: not a compact JWS (RFC 7515 §7.1).
    /// fuzz: unreachable: a grant claim AS-A chooses; the oracles judge token responses, not the contents of the grant issued
    GrantExtraSegment = "grant-extra-segment", ["IC-JG-09"], "AS-A appends a fourth segment to its grants";
    /// AS-A's grant carries act as a string instead of a JSON object (RFC 8693 §4.1).
    /// fuzz: unreachable: a grant claim AS-A chooses; the oracles judge token responses, not the contents of the grant issued
    GrantActNotObject = "grant-act-not-object", ["IC-JG-13"], "AS-A's grant act is a string, not an object naming the actor";
    /// AS-A's grant carries client_id as a number (RFC 8693 §4.3: a string).
    /// fuzz: unreachable: a grant claim AS-A chooses; the oracles judge token responses, not the contents of the grant issued
    GrantClientIdNotString = "grant-client-id-not-string", ["IC-JG-13"], "AS-A's grant client_id is a JSON number";
    /// AS-A's grant carries scope as a JSON array (RFC 8693 §4.2: space-delimited string).
    /// fuzz: unreachable: a grant claim AS-A chooses; the oracles judge token responses, not the contents of the grant issued
    GrantScopeArray = "grant-scope-array", ["GEN-09"], "AS-A's grant scope is a JSON array instead of a space-delimited string";
    /// AS-B answers token_type N_A for its access token (the value belongs to the grant
    /// exchange, RFC 8693 §2.2.1), not Bearer or DPoP.
    /// fuzz: unreachable: a member value the suites check; the token-response oracle checks RFC 6749 §5.1 shape only
    AsBTokenTypeNA = "as-b-token-type-n-a", ["IC-AT-01"], "AS-B answers token_type N_A for its access token";
    // Second ways for the token-exchange response and the grant's audience (issue 8 item 5,
    // tests/two_ways.rs): each breaks a rule another fault already breaks, by another route.
    /// AS-A labels the grant issued_token_type id-jag when the client asked for the JWT type
    /// (RFC 8693 §2.2.1: the issued type is the one requested, here jwt).
    /// fuzz: unreachable: the fuzzer never sends requested_token_type jwt and judges issued_token_type by shape only
    IssuedTypeIdJagForJwt = "issued-type-id-jag-for-jwt", ["IC-TE-13"], "AS-A answers issued_token_type id-jag when requested_token_type asked for the JWT type";
    /// AS-A addresses the grant to another partner AS (AS-C) than the AS-B requested.
    /// fuzz: unreachable: a grant claim AS-A chooses; the oracles judge token responses, not the contents of the grant issued
    GrantAudOtherAs = "grant-aud-other-as", ["IC-TE-17", "IC-JG-03"], "AS-A's grant aud names another partner AS (AS-C) when AS-B was requested";
    /// AS-A addresses the grant to the domain-B protected resource (RS-B) instead of AS-B.
    /// fuzz: unreachable: a grant claim AS-A chooses; the oracles judge token responses, not the contents of the grant issued
    GrantAudResource = "grant-aud-resource", ["IC-JG-03", "IC-TE-17"], "AS-A's grant aud names the domain-B resource (RS-B) instead of AS-B";
    /// AS-A lists AS-B twice in the grant's aud, once with a trailing slash: two audience
    /// values, the second of which names no AS it was asked for.
    /// fuzz: unreachable: a grant claim AS-A chooses; the oracles judge token responses, not the contents of the grant issued
    GrantAudDuplicated = "grant-aud-duplicated", ["IC-TE-18"], "AS-A's grant aud lists AS-B's issuer twice, once with a trailing slash";
    /// AS-A's token-exchange responses say `Cache-Control: no-cache, private`: revalidate and
    /// no shared cache, but a private cache may still store the grant (RFC 9111 §5.2.2).
    /// fuzz: reachable by exchange-token-cache-control
    ExchangeCacheNoCache = "exchange-cache-no-cache", ["IC-TE-21"], "AS-A's token-exchange responses carry Cache-Control: no-cache, private instead of no-store";
    /// AS-A's requested_cnf.jkt is the RFC 7638 SHA-256 digest hex-encoded, not base64url
    /// (RFC 9449 §6.1), so it names no key the client holds.
    /// fuzz: unreachable: DPoP; the fuzzer sends no DPoP proofs
    RequestedCnfWrongJkt = "requested-cnf-wrong-jkt", ["IC-JG-14"], "AS-A's grant requested_cnf.jkt is the proof key's thumbprint digest hex-encoded instead of base64url";
    /// AS-A's grant carries may_act as the client id string (RFC 8693 §4.4: a JSON object).
    /// fuzz: unreachable: a grant claim AS-A chooses; the oracles judge token responses, not the contents of the grant issued
    GrantMayActNotObject = "grant-may-act-not-object", ["GEN-09"], "AS-A's grant may_act is a string, not an object naming the permitted actor";
    /// AS-A handles any grant_type it does not know as a token exchange (a fall-through
    /// default) instead of answering unsupported_grant_type.
    /// fuzz: reachable by exchange-token-for-invalid, exchange-error-code
    UnknownGrantTypeAsExchange = "unknown-grant-type-as-exchange", ["GEN-05"], "AS-A processes a request with an unknown grant_type as a token exchange";
    /// AS-A takes an `audience` or `resource` sent with an empty value as a request for its
    /// default AS-B (RFC 6749 §3.1: an empty parameter is an omitted one, so no target).
    /// fuzz: unreachable: no fuzzed request has an empty value as its only target (1500 cases, seed 1: no finding)
    EmptyTargetDefaults = "empty-target-defaults", ["IC-TE-03"], "AS-A mints a grant for AS-B when audience (or resource) is sent with an empty value";
    /// AS-A refuses AS-B's logical name in `audience` (invalid_target) and accepts only a URI
    /// in `resource`.
    /// fuzz: unreachable: the fuzzer sends the target in resource only
    AudienceAliasRefused = "audience-alias-refused", ["IC-TE-04"], "AS-A refuses AS-B's logical name in audience, accepting only resource";
    /// AS-A copies the `audience` alias verbatim into the grant's aud, so the audience form
    /// yields a grant AS-B does not recognise while the resource form works.
    /// fuzz: unreachable: a grant claim AS-A chooses; the oracles judge token responses, not the contents of the grant issued
    AudienceAudIsAlias = "audience-aud-is-alias", ["IC-TE-04", "IC-TE-17"], "AS-A puts the audience alias itself, not AS-B's issuer, in the grant's aud";
    /// AS-A answers a registered token type it cannot issue (SAML 2.0) with its JWT grant,
    /// while still refusing unregistered type URIs.
    /// fuzz: unreachable: the fuzzer does not send registered token types AS-A cannot issue
    UnissuableTypeFallsBack = "unissuable-type-falls-back", ["IC-TE-08"], "AS-A issues its JWT grant when a registered token type it cannot issue (SAML 2.0) is requested";
    /// AS-A's expires_in says an hour while the grant it issued lives a minute.
    /// fuzz: unreachable: the oracles check expires_in's type, not its agreement with the grant's exp
    ExpiresInDisagrees = "exchange-expires-in-disagrees", ["IC-TE-14"], "AS-A's expires_in (an hour) disagrees with the grant's exp";
    /// AS-A writes the grant's exp in milliseconds (a JavaScript-style clock), so the grant
    /// seems valid for millennia: a number in the future, but no short lifetime.
    /// fuzz: unreachable: a grant claim AS-A chooses; the oracles judge token responses, not the contents of the grant issued
    GrantExpMilliseconds = "grant-exp-milliseconds", ["IC-JG-05"], "AS-A's grant exp counts milliseconds, not seconds, so the grant never expires in practice";
    /// The token endpoints read the form body whatever the method, so a PUT (or a GET with
    /// a body) is handled as a POST (RFC 6749 §3.2: POST).
    /// fuzz: unreachable: the fuzzer sends POST requests only
    TokenEndpointIgnoresMethod = "token-endpoint-ignores-method", ["GEN-01"], "token endpoints handle a PUT with a form body as if it were a POST";
    /// AS-B refuses a jwt-bearer request with a parameter it does not know (RFC 6749 §3.2:
    /// the server MUST ignore unrecognized parameters).
    /// fuzz: reachable by assertion-valid-rejected
    RefuseUnknownParams = "refuse-unknown-params", ["GEN-02"], "AS-B refuses a jwt-bearer request carrying an unknown parameter with invalid_request";
    /// With no scope requested, AS-A grants every scope the client is registered for, not
    /// the subject token's (IC §2.5: downscoping only).
    /// fuzz: unreachable: the scope-escalation oracle judges a requested scope, and this fault needs none requested
    ExchangeGrantsClientScopes = "exchange-grants-client-scopes", ["IC-TE-09"], "AS-A grants the client's registered scopes instead of the subject token's when no scope is requested";
    /// AS-A narrows a requested scope of several values to the first and omits scope from
    /// the response (RFC 8693 §2.2.1: scope is required when it differs from the request).
    /// fuzz: unreachable: the response-scope rule depends on the grant's scope claim, which the oracles do not read
    ExchangeScopeNarrowedSilently = "exchange-scope-narrowed-silently", ["IC-TE-15"], "AS-A narrows a requested scope without reporting the granted scope";
    /// Asked for two partner ASes (resource twice), AS-A mints one grant whose aud names both
    /// and a third AS nobody requested (IC §2.3.3: several ASes only where each is trusted
    /// and, for this grant, asked for).
    /// fuzz: unreachable: the fuzzer sends one target and does not read the grant's aud
    GrantAudUnrequestedAs = "grant-aud-unrequested-as", ["IC-TE-19"], "AS-A's grant for two requested ASes also names an AS that was not requested in aud";
    // --- Second ways (issue 8 item 5): a distinct violation of a rule one fault already breaks.
    /// AS-A's token-exchange response has no token_type (RFC 8693 §2.2.1: REQUIRED, N_A for
    /// a grant); issued_token_type and the grant are as usual.
    /// fuzz: unreachable: the token-response oracle checks the RFC 6749 §5.1 members it judges for AS-B; token-exchange responses are judged by the suites
    ExchangeNoTokenType = "exchange-no-token-type", ["IC-TE-11"], "AS-A omits token_type from the token-exchange response";
    /// Asked at the jwt-bearer grant for several scopes the grant carries, AS-B grants only the
    /// first and leaves scope out of its response (RFC 6749 §5.1: scope is REQUIRED when the
    /// granted scope differs from the requested one).
    /// fuzz: unreachable: the response-scope rule depends on the request; it is a suite check
    AsBScopeNarrowedSilently = "as-b-scope-narrowed-silently", ["IC-AT-06"], "AS-B narrows a requested scope of several values to one without reporting scope";
    /// AS-B grants a requested scope it does not define (so no grant can carry it), as if the
    /// grant had carried it, and reports nothing because it granted what was asked (IC
    /// §2.4.2, RFC 6749 §5.2 invalid_scope).
    /// fuzz: unreachable: the scope-escalation oracle judges token exchanges only
    AsBGrantsUnknownScope = "as-b-grants-unknown-scope", ["IC-JB-15"], "AS-B grants a requested scope it does not define";
    /// AS-A takes a token-exchange request whose body is a JSON object (Content-Type
    /// application/json) as if it were the form RFC 8693 §2.1 requires.
    /// fuzz: unreachable: the fuzzer sends form bodies only
    ExchangeAcceptsJsonBody = "exchange-accepts-json-body", ["IC-TE-02"], "AS-A accepts a token-exchange request with a JSON body instead of a form";
    /// AS-A's successful token-exchange response is labelled text/plain though its body is
    /// JSON (RFC 8693 §2.2.1 and RFC 6749 §5.1: application/json).
    /// fuzz: unreachable: the token-response oracle judges the content type of AS-B's answers; token-exchange responses are judged by the suites
    ExchangeResponseTextPlain = "exchange-response-text-plain", ["IC-TE-02"], "AS-A labels its token-exchange response text/plain";
    /// AS-A's grant names AS-B and also AS-A's own API audience (the audience of its access
    /// tokens), so domain A's API would take the grant as an access token (IC §2.3.3
    /// rationale). Only a second aud value can do this without also naming another AS than
    /// AS-B (IC-TE-17), so the grant is multi-valued too (IC-TE-18, SHOULD).
    /// fuzz: unreachable: a grant claim AS-A chooses; the oracles judge token responses, not the contents of the grant issued
    GrantAudApiAudience = "grant-aud-api-audience", ["IC-TE-20"], "AS-A's grant aud names AS-B and AS-A's own API audience";
    /// AS-A's grant names AS-B and also AS-A's own token endpoint, so AS-A would take its own
    /// grant as an assertion addressed to it (IC §2.3.3 rationale; RFC 7523 §3 item 3).
    /// fuzz: unreachable: a grant claim AS-A chooses; the oracles judge token responses, not the contents of the grant issued
    GrantAudAsATokenEndpoint = "grant-aud-as-a-token-endpoint", ["IC-TE-20"], "AS-A's grant aud names AS-B and AS-A's own token endpoint";
    /// Asked for AS-B and a second AS it has no trust relationship with (a `.invalid` host,
    /// RFC 6761 §6.4), AS-A mints one grant whose aud names both, instead of refusing
    /// (invalid_target) or leaving the untrusted AS out (IC §2.3.3: several ASes only where
    /// trust exists with each).
    /// fuzz: unreachable: the fuzzer sends one target and does not read the grant's aud
    GrantAudUntrustedAs = "grant-aud-untrusted-as", ["IC-TE-19"], "AS-A's grant for AS-B and an AS it does not trust names both in aud";
    /// AS-B drops a resource parameter that is not an absolute URI and issues a token for its
    /// default resource, instead of invalid_target (RFC 8707 §2: the value MUST be an
    /// absolute URI).
    /// fuzz: unreachable: the fuzzer sends no resource parameter at AS-B
    AsBRelativeResourceIgnored = "as-b-relative-resource-ignored", ["GEN-06"], "AS-B ignores a relative resource and issues a token for its default resource";
    /// RS-B takes the Authorization scheme `Bearer` only with that exact case and refuses a
    /// valid token sent as `bearer` (RFC 9110 §11.1: the scheme is case-insensitive; Ena
    /// OAuth profile §4.1: RS-B MUST accept header bearer tokens).
    /// fuzz: unreachable: RS-B behaviour; the fuzzer sends token requests only
    RsBearerSchemeCaseSensitive = "rs-bearer-scheme-case-sensitive", ["ENA-P-13"], "RS-B refuses a valid access token sent with the scheme written bearer";
    // ID-JAG mode (MockProfile::IdJag): the IdP and resource-AS rules of the ID-JAG profile.
    /// fuzz: unreachable: a rule of the ID-JAG mode; the fuzz matrix runs faults against the default (identity-chaining) servers, and the oracles judge token responses, not the grant's header
    IdJagTypMissing = "id-jag-typ-missing", ["IDJAG-07"], "The IdP (AS-A, ID-JAG mode) mints ID-JAGs without the typ oauth-id-jag+jwt header";
    /// fuzz: unreachable: a rule of the ID-JAG mode; the fuzz matrix runs faults against the default (identity-chaining) servers, and the oracles judge token responses, not the grant's claims
    IdJagNoClientId = "id-jag-no-client-id", ["IDJAG-08"], "The IdP (ID-JAG mode) leaves the required client_id claim out of ID-JAGs";
    /// fuzz: unreachable: a rule of the ID-JAG mode; the fuzz matrix runs faults against the default (identity-chaining) servers, and the oracles judge token responses, not the grant's claims
    IdJagAudTokenEndpoint = "id-jag-aud-token-endpoint", ["IDJAG-08"], "The IdP (ID-JAG mode) puts AS-B's token endpoint, not its issuer, in the ID-JAG's aud";
    /// fuzz: unreachable: a rule of the ID-JAG mode; the fuzz matrix runs faults against the default (identity-chaining) servers, and a member value the suites check; the token-response oracle checks RFC 6749 §5.1 shape only
    IdJagIssuedTypeJwt = "id-jag-issued-type-jwt", ["IDJAG-06"], "The IdP (ID-JAG mode) answers issued_token_type jwt for an ID-JAG";
    /// fuzz: unreachable: a rule of the ID-JAG mode; the fuzz matrix runs faults against the default (identity-chaining) servers, and it needs a second client; the fuzzer holds one client per AS
    IdJagIdTokenAudUnchecked = "id-jag-id-token-aud-unchecked", ["IDJAG-04"], "The IdP (ID-JAG mode) exchanges an ID token issued to another client";
    /// fuzz: unreachable: a rule of the ID-JAG mode; the fuzz matrix runs faults against the default (identity-chaining) servers, and it needs harness-minted grants with chosen headers
    IdJagTypUnchecked = "id-jag-typ-unchecked", ["IDJAG-10"], "The resource AS (AS-B, ID-JAG mode) redeems ID-JAGs whatever their typ header";
    /// fuzz: unreachable: a rule of the ID-JAG mode; the fuzz matrix runs faults against the default (identity-chaining) servers, and it needs harness-minted grants with chosen claims
    IdJagClientIdOptional = "id-jag-client-id-optional", ["IDJAG-10"], "The resource AS (ID-JAG mode) redeems an ID-JAG that has no client_id claim";
    /// fuzz: unreachable: a rule of the ID-JAG mode; the fuzz matrix runs faults against the default (identity-chaining) servers, and it needs harness-minted grants with chosen claims
    IdJagAudTokenEndpointAccepted = "id-jag-aud-token-endpoint-accepted", ["IDJAG-10"], "The resource AS (ID-JAG mode) accepts its token endpoint URL as the ID-JAG's aud";
    /// fuzz: unreachable: a rule of the ID-JAG mode; the fuzz matrix runs faults against the default (identity-chaining) servers, and metadata contents; the fuzzer sends token requests only
    IdJagNoGrantProfileMetadata = "id-jag-no-grant-profile-metadata", ["IDJAG-15"], "The resource AS (ID-JAG mode) publishes no authorization_grant_profiles_supported";
    /// fuzz: unreachable: a rule of the ID-JAG mode; the fuzz matrix runs faults against the default (identity-chaining) servers, and it needs harness-minted grants with chosen claims
    IdJagAudMultiAccepted = "id-jag-aud-multi-accepted", ["IDJAG-10"], "The resource AS (ID-JAG mode) accepts an ID-JAG whose aud array names it and another server";
    /// fuzz: unreachable: a rule of the ID-JAG mode; the fuzz matrix runs faults against the default (identity-chaining) servers, and it needs harness-minted grants with chosen claims
    IdJagClientIdMismatchAccepted = "id-jag-client-id-mismatch-accepted", ["IDJAG-10"], "The resource AS (ID-JAG mode) redeems an ID-JAG whose client_id names another client";
    /// fuzz: unreachable: a rule of the ID-JAG mode; the fuzz matrix runs faults against the default (identity-chaining) servers, and a member the suites check; the token-response oracle checks RFC 6749 §5.1 shape only
    IdJagRefreshToken = "id-jag-refresh-token", ["IDJAG-12"], "The resource AS (ID-JAG mode) issues a refresh token for an ID-JAG";
    /// fuzz: unreachable: a rule of the ID-JAG mode; the fuzz matrix runs faults against the default (identity-chaining) servers, and the oracles judge token responses, not the grant's header
    IdJagTypJwt = "id-jag-typ-jwt", ["IDJAG-07"], "The IdP (ID-JAG mode) types its ID-JAGs JWT instead of oauth-id-jag+jwt";
    /// fuzz: unreachable: a rule of the ID-JAG mode; the fuzz matrix runs faults against the default (identity-chaining) servers, and a member value the suites check; the token-response oracle checks RFC 6749 §5.1 shape only
    IdJagTokenTypeBearer = "id-jag-token-type-bearer", ["IDJAG-06"], "The IdP (ID-JAG mode) answers token_type Bearer beside an ID-JAG instead of N_A";
    /// fuzz: unreachable: a rule of the ID-JAG mode; the fuzz matrix runs faults against the default (identity-chaining) servers, and metadata contents; the fuzzer sends token requests only
    IdJagProfileWithoutJwtBearer = "id-jag-profile-without-jwt-bearer", ["IDJAG-23"], "The resource AS (ID-JAG mode) lists the id-jag grant profile but leaves jwt-bearer out of grant_types_supported";
    /// fuzz: unreachable: a rule of the ID-JAG mode; the fuzz matrix runs faults against the default (identity-chaining) servers, and the oracles judge token responses, not the grant's claims
    IdJagNoSubjectResolutionClaim = "id-jag-no-subject-resolution-claim", ["IDJAG-09"], "The IdP (ID-JAG mode) puts neither email nor aud_sub into its ID-JAGs";
    /// fuzz: unreachable: a rule of the ID-JAG mode; the fuzz matrix runs faults against the default (identity-chaining) servers, and a member value the suites check; the token-response oracle checks RFC 6749 §5.1 shape only
    IdJagTypeRefused = "id-jag-type-refused", ["IDJAG-01"], "The IdP (ID-JAG mode) refuses requested_token_type id-jag with invalid_request";
    /// fuzz: unreachable: a rule of the ID-JAG mode; the fuzz matrix runs faults against the default (identity-chaining) servers, and it needs an ID token re-signed by another key; the fuzzer sends the subject tokens it is given
    IdJagIdTokenSignatureUnchecked = "id-jag-id-token-signature-unchecked", ["IDJAG-04"], "The IdP (ID-JAG mode) exchanges an ID token without verifying its signature";
    /// fuzz: unreachable: a rule of the ID-JAG mode; the fuzz matrix runs faults against the default (identity-chaining) servers, and it needs an ID-JAG presented back at the IdP; the fuzzer sends jwt-bearer requests to AS-B only
    IdJagIdpRedeemsOwnIdJag = "id-jag-idp-redeems-own-id-jag", ["IDJAG-13"], "The IdP (ID-JAG mode) issues an access token for its own ID-JAG presented with jwt-bearer at its token endpoint";
    /// fuzz: unreachable: a rule of the ID-JAG mode; the fuzz matrix runs faults against the default (identity-chaining) servers, and DPoP; the fuzzer sends no DPoP proofs
    IdJagCnfDropped = "id-jag-cnf-dropped", ["IDJAG-17"], "The IdP (ID-JAG mode) accepts a DPoP proof but binds no key into the ID-JAG (no cnf)";
    /// fuzz: unreachable: a rule of the ID-JAG mode; the fuzz matrix runs faults against the default (identity-chaining) servers, and DPoP; the fuzzer sends no DPoP proofs
    IdJagCnfAsRequestedCnf = "id-jag-cnf-as-requested-cnf", ["IDJAG-17"], "The IdP (ID-JAG mode) conveys the proof key as identity chaining's requested_cnf instead of the ID-JAG's cnf";
    /// fuzz: unreachable: a rule of the ID-JAG mode; the fuzz matrix runs faults against the default (identity-chaining) servers, and DPoP; the fuzzer sends no DPoP proofs
    IdJagCnfWithoutProofAccepted = "id-jag-cnf-without-proof-accepted", ["IDJAG-18"], "The resource AS (ID-JAG mode) redeems a key-bound ID-JAG (cnf) presented without a DPoP proof";
    /// fuzz: unreachable: a rule of the ID-JAG mode; the fuzz matrix runs faults against the default (identity-chaining) servers, and DPoP; the fuzzer sends no DPoP proofs
    /// fuzz: unreachable: a rule of the ID-JAG mode; the fuzz matrix runs faults against the default (identity-chaining) servers, and the oracles judge token responses, not the grant's claims
    IdJagResourceClaimDropped = "id-jag-resource-claim-dropped", ["IDJAG-22"], "The IdP (ID-JAG mode) accepts resource but leaves the resource claim out of the ID-JAG";
    /// fuzz: unreachable: a rule of the ID-JAG mode; the fuzz matrix runs faults against the default (identity-chaining) servers, and the fuzzer names AS-B with resource or audience, never a protected resource beside audience
    IdJagResourceRefused = "id-jag-resource-refused", ["IDJAG-22"], "The IdP (ID-JAG mode) answers invalid_target to any resource named beside audience";
    /// fuzz: unreachable: a rule of the ID-JAG mode; the fuzz matrix runs faults against the default (identity-chaining) servers, and the oracles judge token responses, not the grant's claims
    IdJagResourceIsAudience = "id-jag-resource-is-audience", ["IDJAG-05"], "The IdP (ID-JAG mode) writes the resource AS (the audience) into the ID-JAG's resource claim instead of the granted resource";
    /// fuzz: unreachable: a rule of the ID-JAG mode; the fuzz matrix runs faults against the default (identity-chaining) servers, and the fuzzer names AS-B with resource, never with audience set to its issuer
    IdJagAudienceIssuerRefused = "id-jag-audience-issuer-refused", ["IDJAG-02"], "The IdP (ID-JAG mode) knows the resource AS only by its alias: audience set to its issuer is invalid_target";
    /// fuzz: unreachable: a rule of the ID-JAG mode; the fuzz matrix runs faults against the default (identity-chaining) servers, and the oracles judge token responses, not the grant's claims
    IdJagAliasInAud = "id-jag-alias-in-aud", ["IDJAG-02"], "The IdP (ID-JAG mode) puts the audience alias it was sent into the ID-JAG's aud instead of the resource AS's issuer";
    /// The resource AS lists the id-jag profile but publishes no grant_types_supported, whose
    /// RFC 8414 §2 default (authorization_code, implicit) lacks jwt-bearer: the second way to
    /// break ID-JAG §7.2's conditional MUST.
    /// fuzz: unreachable: a rule of the ID-JAG mode; the fuzz matrix runs faults against the default (identity-chaining) servers, and metadata contents; the fuzzer sends token requests only
    IdJagProfileWithoutGrantTypes = "id-jag-profile-without-grant-types", ["IDJAG-23"], "The resource AS (ID-JAG mode) lists the id-jag grant profile but publishes no grant_types_supported (RFC 8414's default lacks jwt-bearer)";
    /// ID-JAG §4.3.3: the granted scope goes into the ID-JAG; here the response reports every
    /// granted scope (asked for none) but the ID-JAG carries only the first.
    /// fuzz: unreachable: a rule of the ID-JAG mode; the fuzz matrix runs faults against the default (identity-chaining) servers, and the oracles judge token responses, not the grant's claims
    IdJagScopeClaimNarrowed = "id-jag-scope-claim-narrowed", ["IDJAG-05"], "The IdP (ID-JAG mode) reports the granted scope in the exchange response but writes only part of it into the ID-JAG's scope claim";
    /// ID-JAG §8.3: the IdP MUST NOT issue access tokens for an ID-JAG it issued itself; here it
    /// takes its own ID-JAG as a token-exchange subject token (subject_token_type id-jag).
    /// fuzz: unreachable: a rule of the ID-JAG mode; the fuzz matrix runs faults against the default (identity-chaining) servers, and the fuzzer holds no ID-JAG to send as a subject token
    IdJagIdpExchangesOwnIdJag = "id-jag-idp-exchanges-own-id-jag", ["IDJAG-13"], "The IdP (ID-JAG mode) takes an ID-JAG it issued as a token-exchange subject token and issues an access token";
    /// ID-JAG §7.1: the IdP SHOULD list the id-jag token type in
    /// identity_chaining_requested_token_types_supported; here its metadata has no such member.
    /// fuzz: unreachable: a rule of the ID-JAG mode; the fuzz matrix runs faults against the default (identity-chaining) servers, and metadata contents; the fuzzer sends token requests only
    IdJagTypeNotAdvertised = "id-jag-type-not-advertised", ["IDJAG-15"], "The IdP (ID-JAG mode) issues ID-JAGs but its metadata lists no identity_chaining_requested_token_types_supported";
    /// fuzz: unreachable: a rule of the ID-JAG mode; the fuzz matrix runs faults against the default (identity-chaining) servers, and DPoP; the fuzzer sends no DPoP proofs
    IdJagCnfMismatchAccepted = "id-jag-cnf-mismatch-accepted", ["IDJAG-18"], "The resource AS (ID-JAG mode) redeems a key-bound ID-JAG with a DPoP proof by another key";
    // Second ways for AS-B, RS-B, metadata and DPoP rules (issue 8 item 5, tests/two_ways.rs).
    /// AS-A publishes the chaining token-type list as `[]`: IC-17 §4.1 names token types
    /// "that may be used", and RFC 8414 §2 omits a member with no values instead.
    /// fuzz: unreachable: metadata or JWKS contents; the fuzzer sends token requests only
    MetadataChainingTypesEmpty = "metadata-chaining-types-empty", ["IC-MD-01"], "AS-A publishes identity_chaining_requested_token_types_supported as an empty array";
    /// AS-A advertises the jwt token type (the one it issues) but refuses an exchange that
    /// names it in requested_token_type, issuing it only when no type is requested.
    /// fuzz: unreachable: needs the metadata compared with an exchange naming the advertised type; the oracles judge each response alone
    AdvertisedTypeRefusedWhenNamed = "advertised-type-refused-when-named", ["IC-MD-03"], "AS-A advertises the jwt token type but answers invalid_request when requested_token_type names it";
    /// AS-B (not AS-A) lists none among its token-endpoint authentication algorithms.
    /// fuzz: unreachable: metadata or JWKS contents; the fuzzer sends token requests only
    AsBMetadataAlgNone = "as-b-metadata-alg-none", ["IC-MD-07"], "AS-B lists none in token_endpoint_auth_signing_alg_values_supported";
    /// AS-B (not AS-A) lists a MAC algorithm for DPoP proofs, which are signed with the
    /// client's public key (RFC 9449 §5.1: asymmetric algorithms only).
    /// fuzz: unreachable: metadata or JWKS contents; the fuzzer sends token requests only
    AsBMetadataDpopAlgHs256 = "as-b-metadata-dpop-alg-hs256", ["IC-MD-11"], "AS-B lists HS256 in dpop_signing_alg_values_supported";
    /// AS-B reads the grant from a `jwt` parameter: RFC 7523 §2.1 names it `assertion`, so a
    /// standard request is refused as lacking one.
    /// fuzz: unreachable: a refused valid grant; the oracles judge answers to invalid requests
    AsBAssertionParamRenamed = "as-b-assertion-param-renamed", ["IC-JB-01"], "AS-B reads the grant from a jwt parameter instead of assertion";
    /// AS-B registers the grant type under a misspelt URN (`jwt_bearer`), so the RFC 7523
    /// §2.1 value is refused as unsupported.
    /// fuzz: unreachable: a refused valid grant; the oracles judge answers to invalid requests
    AsBGrantTypeMisnamed = "as-b-grant-type-misnamed", ["IC-JB-01"], "AS-B accepts only grant_type urn:ietf:params:oauth:grant-type:jwt_bearer, refusing RFC 7523's jwt-bearer";
    /// AS-B never looks at grant_type: every request is processed as jwt-bearer.
    /// fuzz: unreachable: the fuzzer charges what AS-B answers to an unknown grant type to GEN-05 (the generic rule), not to IC-JB-16, the AS-B row this fault cites
    AsBGrantTypeIgnored = "as-b-grant-type-ignored", ["IC-JB-16"], "AS-B processes a request of any grant_type as a jwt-bearer request";
    /// AS-B, although it supports RFC 8707, ignores `resource` and issues its usual token
    /// for whatever resource is named (RFC 8707 §2: invalid_target for one it does not know).
    /// fuzz: reachable by assertion-token-for-invalid
    AsBIgnoresResource = "as-b-ignores-resource", ["IC-JB-02"], "AS-B ignores the resource parameter and issues its default-audience token for any resource";
    /// AS-B stamps a configured default audience on its access tokens instead of the resource
    /// the client requested (RFC 8707 §2).
    /// fuzz: unreachable: a claim of the access token AS-B issues; the oracles judge token responses, not token contents
    AtAudOtherResource = "at-aud-other-resource", ["IC-AT-04"], "AS-B's access tokens name a default API, not the requested resource, in aud";
    /// AS-B writes cnf.jkt as the hex SHA-256 digest of the RFC 7638 input instead of its
    /// base64url encoding (RFC 9449 §6.1).
    /// fuzz: unreachable: DPoP; the fuzzer sends no DPoP proofs
    CnfThumbprintHex = "cnf-thumbprint-hex", ["IC-AT-07", "DPOP-04"], "AS-B writes cnf.jkt as a hex digest instead of the base64url thumbprint";
    /// AS-B validates client_secret_post credentials only for clients it knows: an unknown
    /// client_id with any secret is treated as an unauthenticated request (RFC 6749 §5.2:
    /// invalid_client).
    /// fuzz: unreachable: client credentials in the form body are not among the client authentication methods the fuzzer varies
    IgnoreUnknownClientPost = "ignore-unknown-client-post", ["IC-JB-08"], "AS-B treats client_secret_post credentials of an unknown client_id as no credentials";
    /// AS-B answers an `assertion` sent without a value as an invalid grant: RFC 6749 §3.2
    /// treats it as omitted, so the request lacks a required parameter (invalid_request).
    /// fuzz: unreachable: an empty assertion is graded by the suites' preference (invalid_request preferred, invalid_grant tolerated)
    EmptyAssertionInvalidGrant = "empty-assertion-invalid-grant", ["IC-JB-10"], "AS-B answers invalid_grant instead of invalid_request for an assertion sent empty";
    /// RS-B reads AS-B's access tokens (typ, iss, aud, exp) without verifying their signature.
    /// fuzz: unreachable: RS-B behaviour; the fuzzer sends token requests only
    RsSkipsSignature = "rs-skips-signature", ["IC-AT-02"], "RS-B accepts an AS-B access token whose payload was altered (signature not verified)";
    /// AS-B compares the grant's client_id with the client_id the request body claims, not
    /// with the client that authenticated, so a client names another to redeem its grant.
    /// fuzz: unreachable: needs a second client; the fuzzer holds one client per AS
    GrantBindingFormClientId = "grant-binding-form-client-id", ["IC-SC-07"], "AS-B checks the grant's client_id against the body's client_id instead of the authenticated client";
    /// AS-B keeps the key of the last DPoP proof it saw and binds a later token requested
    /// without any proof to it (announced as Bearer): a key this request never proved.
    /// fuzz: unreachable: DPoP; the fuzzer sends no DPoP proofs
    BindToStaleProofKey = "bind-to-stale-proof-key", ["DPOP-03"], "AS-B binds a token requested without a DPoP proof to the key of an earlier request's proof";
    /// AS-B's replay cache is keyed per caller (client id, or none): a grant redeemed by an
    /// authenticated client is redeemed again by an unauthenticated request.
    /// fuzz: unreachable: needs the same grant redeemed twice and state across requests; the oracles judge each response alone
    ReplayCachePerClient = "replay-cache-per-client", ["IC-JB-13"], "AS-B remembers a redeemed grant per caller, so another caller redeems it again";
    /// AS-A compares the subject token's client_id with the client_id the request body names,
    /// not with the client that authenticated: a client names the token's client and passes.
    /// fuzz: unreachable: needs a second client; the fuzzer holds one client per AS
    SubjectBindingFormClientId = "subject-binding-form-client-id", ["IC-SC-03"], "AS-A checks the subject token's client_id against the body's client_id instead of the authenticated client";
    /// AS-B remembers redeemed grants by a digest of the assertion's text, not by iss and jti:
    /// the same grant with its ECDSA signature re-encoded ((r, s) → (r, n − s), still valid)
    /// is a new text, so it is redeemed again.
    /// fuzz: unreachable: needs the same grant redeemed twice and state across requests; the oracles judge each response alone
    ReplayKeyedOnAssertion = "replay-keyed-on-assertion", ["IC-JB-13"], "AS-B's replay cache keys on the assertion's text, so a re-encoded copy of a used grant is redeemed";
    /// AS-B remembers DPoP proofs by their text, not their jti (RFC 9449 §11.1): the same
    /// proof with its signature re-encoded passes as new.
    /// fuzz: unreachable: DPoP; the fuzzer sends no DPoP proofs
    DpopReplayKeyedOnProof = "dpop-replay-keyed-on-proof", ["DPOP-06"], "AS-B's DPoP replay check keys on the proof's text, so a re-encoded copy of a used proof passes";
    /// AS-B looks the grant up in its replay cache, then does slow work, and records it only
    /// after: presentations that arrive together all pass the check.
    /// fuzz: unreachable: needs the same grant redeemed concurrently; the oracles judge each response alone
    ReplayCheckRacy = "replay-check-racy", ["IC-JB-14"], "AS-B's replay check races: a grant presented several times at once is redeemed each time";
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Fault {
    /// The profile mode a fault is tested in: the mode whose rule it breaks. A fault of an
    /// identity-chaining rule is tested against the default servers; a fault of a rule only
    /// the Ena, RFC 8693 or ID-JAG profile states, against the mock in that profile's mode
    /// (the mutation matrix runs it with that mode's grading profile).
    pub fn mode(self) -> crate::MockProfile {
        match self {
            Fault::IdJagTypMissing
            | Fault::IdJagNoClientId
            | Fault::IdJagAudTokenEndpoint
            | Fault::IdJagIssuedTypeJwt
            | Fault::IdJagIdTokenAudUnchecked
            | Fault::IdJagTypUnchecked
            | Fault::IdJagClientIdOptional
            | Fault::IdJagAudTokenEndpointAccepted
            | Fault::IdJagNoGrantProfileMetadata
            | Fault::IdJagAudMultiAccepted
            | Fault::IdJagClientIdMismatchAccepted
            | Fault::IdJagRefreshToken
            | Fault::IdJagTypJwt
            | Fault::IdJagTokenTypeBearer
            | Fault::IdJagProfileWithoutJwtBearer
            | Fault::IdJagNoSubjectResolutionClaim
            | Fault::IdJagTypeRefused
            | Fault::IdJagIdTokenSignatureUnchecked
            | Fault::IdJagIdpRedeemsOwnIdJag
            | Fault::IdJagCnfDropped
            | Fault::IdJagCnfAsRequestedCnf
            | Fault::IdJagCnfWithoutProofAccepted
            | Fault::IdJagCnfMismatchAccepted
            | Fault::IdJagResourceClaimDropped
            | Fault::IdJagResourceRefused
            | Fault::IdJagResourceIsAudience
            | Fault::IdJagAudienceIssuerRefused
            | Fault::IdJagAliasInAud
            | Fault::IdJagProfileWithoutGrantTypes
            | Fault::IdJagScopeClaimNarrowed
            | Fault::IdJagIdpExchangesOwnIdJag
            | Fault::IdJagTypeNotAdvertised => crate::MockProfile::IdJag,
            Fault::EnaSameDomainWrongAud
            | Fault::EnaSameDomainRefreshToken
            | Fault::EnaSameDomainUnregisteredTarget
            | Fault::EnaSameDomainIgnoresDpop
            | Fault::EnaRequestedTokenTypeIgnored
            | Fault::EnaActNotNested
            | Fault::EnaDropAuthContext
            | Fault::EnaGrantNoAct
            | Fault::EnaAcceptUntypedClientAssertion
            | Fault::EnaAcceptMultiAudClientAssertion
            | Fault::EnaClientIdOptional
            | Fault::EnaAcceptGrantWithoutJti
            | Fault::EnaAcceptGrantWithoutClientId
            | Fault::EnaAcceptGrantExtraAud
            | Fault::EnaAcceptTokenEndpointAud
            | Fault::EnaAsBAnonymousClient
            | Fault::EnaAsBNoExpiresIn
            | Fault::EnaClientCredentialsNoExpiresIn
            | Fault::EnaClientCredentialsRefreshToken
            | Fault::EnaAsBDropsUnknownResource
            | Fault::EnaSameDomainDropsUnknownResource
            | Fault::EnaSameDomainScopeEscalation
            | Fault::EnaGrantNoScope
            | Fault::EnaGrantScopeEmpty
            | Fault::EnaUserTokenAudWithoutIssuer
            | Fault::EnaUserTokenAudTokenEndpoint
            | Fault::EnaClientAssertionSubUnchecked
            | Fault::EnaClientIdParamTrusted
            | Fault::EnaAsBActTruncated
            | Fault::EnaAsBActReplaced
            | Fault::EnaGrantScopeEscalation
            | Fault::EnaJwksWeakRsaKey
            | Fault::EnaAsBJwksWeakRsaKey
            | Fault::EnaClientSecretMethods
            | Fault::EnaMetadataNoScopesSupported
            | Fault::EnaAsBClientSecretMethods
            | Fault::EnaDropAuthTime
            | Fault::EnaSameDomainWrongSub
            | Fault::EnaSameDomainNoExpiresIn
            | Fault::EnaSameDomainDpopTokenTypeBearer
            | Fault::EnaActSubNotRequester
            | Fault::EnaSameDomainTypJwt
            | Fault::EnaSameDomainIssTokenEndpoint
            | Fault::EnaSameDomainIssuedTypeJwt
            | Fault::EnaGrantIssuedTypeAccessToken
            | Fault::EnaGrantTokenTypeBearer
            | Fault::EnaGrantNoClientId
            | Fault::EnaGrantNoJti
            | Fault::EnaSameDomainDefaultTarget
            | Fault::EnaSameDomainNoTargetInvalidTarget
            | Fault::EnaJwtRequestForApiIssuesAccessToken
            | Fault::EnaInferSameDomainForAs
            | Fault::EnaNoRequestedTypeInvalidTarget
            | Fault::EnaSecondHopRefreshToken
            | Fault::EnaGrantActSubIsUser
            | Fault::EnaMetadataExtraAuthMethod
            | Fault::EnaClientAssertionReplayByText
            | Fault::EnaAcceptForeignIssuerSubject
            | Fault::EnaSameDomainResourceUnchecked => crate::MockProfile::Ena,
            Fault::ActorTokenUnverified
            | Fault::UnsupportedTokenTypeCode
            | Fault::NoActOnDelegation
            | Fault::ActNamesClient
            | Fault::ActChainInverted
            | Fault::ActChainDropped
            | Fault::IgnoreMayAct
            | Fault::IssuedTypeNotRequested
            | Fault::FirstTargetOnly
            | Fault::UnknownTargetInvalidGrant
            | Fault::ImpersonationSubIsClient
            | Fault::MayActRefusalInvalidGrant
            | Fault::UnknownActorTypeAccepted
            | Fault::ActNotObject
            | Fault::ActPriorIsSubject
            | Fault::IssuedTypeMislabelled
            | Fault::SeveralTargetsInvalidRequest
            | Fault::UnknownTargetServerError
            | Fault::MayActMatchesClient => crate::MockProfile::Rfc8693,
            _ => crate::MockProfile::IdentityChaining,
        }
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

/// The behaviour switches of a running pair: its faults, its legal variants and its profile
/// mode (one value, so every handler that consults faults sees the variants and the mode too).
#[derive(Debug, Clone, Default)]
pub struct FaultSet(
    std::sync::Arc<std::collections::HashSet<Fault>>,
    crate::variant::VariantSet,
    crate::profile::MockProfile,
);

impl FaultSet {
    pub fn with_profile(
        faults: &[Fault],
        variants: &[crate::Variant],
        profile: crate::MockProfile,
    ) -> FaultSet {
        FaultSet(
            std::sync::Arc::new(faults.iter().copied().collect()),
            crate::variant::VariantSet::new(variants),
            profile,
        )
    }
    /// The profile mode the pair runs in.
    pub fn profile(&self) -> crate::MockProfile {
        self.2
    }
    /// Whether `fault` is switched on.
    pub fn has(&self, fault: Fault) -> bool {
        self.0.contains(&fault)
    }
    /// Whether the legal variant `variant` is switched on.
    pub fn variant(&self, variant: crate::Variant) -> bool {
        self.1.has(variant)
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

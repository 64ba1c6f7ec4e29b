#!/usr/bin/env python3
"""Regenerate suites/requirements.toml from the catalogue (shared/requirements.md).

The catalogue is the source of the rows (ID, source, binds, how tested, paraphrase); every
*level decision* lives in the tables below, each with the reason, so that a reviewer can audit
why a requirement is MUST/SHOULD/MAY in a profile and a catalogue update is one re-run away:

    python3 suites/tools/gen_requirements.py /work/shared/requirements.md > suites/requirements.toml

Rules (see suites/profiles.toml for the profile list):
* Levels are MUST / SHOULD / MAY. The level is that of the behaviour the suites assert:
  uppercase MUST/REQUIRED/SHALL (incl. NOT) -> MUST; SHOULD/RECOMMENDED -> SHOULD;
  MAY/OPTIONAL, lowercase keywords, informative text, definitions -> MAY.
* The three draft profiles (ic-17, ic-14, ic-01) carry an explicit level on every row, judged from
  the text of that draft (identity-chaining-17.txt; seeds 002_... = -14, 000_... = -01).
  Overlay profiles (ena-1.0) carry only the rows where they differ from their base (ic-17).
* ID-JAG rows are MAY in the IC drafts (not requirements of the chaining draft).
* Ena rows have no level in the IC drafts: they are not requirements of the chaining draft, and
  a case citing only Ena rows is skipped under an IC profile (src/run.rs `plan`), so the Ena
  suites never change an identity-chaining verdict. The exceptions (ENA_IN_DRAFTS) are rows an
  identity-chaining suite reports as MAY (info) beside its own rows.
* The rfc8693 profile (RFC 8693 alone, no base) carries a level only on the rows RFC 8693 sources
  (RFC8693 below, and every TX8693-* row); the TX8693 rows have no level in any other profile, so
  their cases skip there, and chaining-only rows have none in rfc8693, so those cases skip there.
"""
import re
import sys

KEYWORD = [
    (re.compile(r"\b(MUST|REQUIRED|SHALL)\b"), "MUST"),
    (re.compile(r"\b(SHOULD|RECOMMENDED)\b"), "SHOULD"),
    (re.compile(r"\b(MAY|OPTIONAL)\b"), "MAY"),
]

# ic-17 levels where the first uppercase keyword of the Level column is not the level of the
# behaviour the suites assert. Reason on each line.
IC17 = {
    "IC-TE-08": "MAY",     # OPTIONAL parameter; refusing an unissuable type is reported, not required
    "IC-TE-09": "MAY",     # "need to" since -15 (non-normative)
    "IC-TE-15": "MUST",    # scope MUST be returned when it differs from the request
    "IC-TE-16": "MAY",     # "typically not issued": informative in RFC 8693; Ena upgrades
    "IC-JG-05": "MAY",     # lowercase "should" in IC §5.5; Ena upgrades
    "IC-JG-07": "MAY",     # jti optional in RFC 7523 / IC; Ena, ID-JAG require it
    "IC-JB-02": "SHOULD",  # AS audience-restricts the AT to the named resource (RFC 8707)
    "IC-JB-03e": "MUST",   # grants from an issuer without trust MUST be rejected (7523 §3.1)
    "IC-JB-13": "MAY",     # informative: reuse allowed unless a profile makes grants single use
    "IC-AT-02": "MUST",    # the grant must not work as an access token at RS-B (IC §2.3.3 rationale)
    "IC-AT-05": "MAY",     # RFC 9068 shape: profile-only (Ena MUST)
    "IC-MD-01": "MUST",    # OPTIONAL member, but when present its JSON type is defined
    "IC-MD-03": "SHOULD",  # implied consistency; the catalogue grades a mismatch WARN
    "IC-MD-08": "MUST",    # RFC 9728 document validity (resource identical) is a MUST
    "IC-MD-11": "MUST",    # RFC 9449: proof algs are asymmetric; none/HS* never acceptable
    "IC-SC-01": "MAY",     # lowercase "should" since -09
    "IC-SC-02": "MAY",     # lowercase "should" since -09
    "IC-SC-03": "MAY",     # lowercase "recommended"; Ena upgrades
    "IC-SC-07": "MAY",     # "can" in IC; Ena, ID-JAG upgrade
    "IC-SC-10": "MUST",    # unknown keys must not be admitted (7523 §3 item 9)
    "DPOP-05": "MAY",      # servers MAY use nonces
    "GEN-14": "MAY",       # 7523bis client-assertion aud rule: reported, not graded, in IC
}

# -14 (seed 002_..., expires 4 Dec 2026, history tops at -14) differs from -17 only here.
IC14 = {
    "IC-TE-09": "SHOULD",  # "Authorization Servers SHOULD verify ... requested scopes" (until -14)
}

# -01 (seed 000_..., 8 Feb 2024, expires 11 Aug 2024, history tops at -01).
IC01 = {
    "IC-TE-09": "SHOULD",  # §2.6 "Authorization Servers SHOULD verify that requested scopes ..."
    "IC-JB-05": "SHOULD",  # §2.5.2 "SHOULD deny the request if it is not able to identify the subject"
    "IC-SC-01": "SHOULD",  # §4.1 "Authorization Servers SHOULD follow the ... BCP ... client authentication"
    "IC-SC-04": "MAY",     # no refresh-token section in -01 (added later); RFC 7521 only discourages
    "IC-MD-01": "MAY",     # identity_chaining_requested_token_types_supported not defined in -01
    "IC-MD-03": "MAY",     # idem
    # IC-SC-02 / IC-SC-03 (sender constraining, authorized subject-token use) do not exist in -01
    # (its security section is client authentication only): MAY, as in -17.
}

# ena-1.0 overlay (ENA-TX = chaining profile v1.0 draft 01, ENA-P = base profile v1.0 draft 01).
ENA = {
    "IC-TE-16": "MUST",    # ENA-TX §2.4 / §3.3.4: no refresh token from chaining exchanges
    "IC-SC-04": "MUST",    # ENA-TX §3.4.3: no refresh token unless target-domain policy
    "IC-JG-05": "MUST",    # ENA-TX §3.3: grants MUST be short-lived
    "IC-JG-07": "MUST",    # ENA-TX §3.3.4, ENA-P §5.4.2: jti mandatory
    "IC-JB-13": "MUST",    # ENA-TX §3.3: one-time use
    "IC-JB-14": "MUST",    # ENA-TX §3.4.2: jti replay check
    "IC-JB-09": "MUST",    # ENA-TX §3.4.1: client authenticates at AS-B
    "IC-SC-01": "MUST",    # ENA-P §3.3.2.1: AS refuses unauthenticated token requests
    "IC-SC-03": "MUST",    # ENA-TX §3.3.3 / §4.2.2: subject token must be issued to the requester
    "IC-SC-07": "MUST",    # ENA-P §5.4.2: grant client_id must match the authenticated client
    "IC-AT-05": "MUST",    # ENA-P §6.1: RFC 9068 access tokens
}

# Ena rows graded MAY in the IC drafts: an identity-chaining case reports them (info) there.
ENA_IN_DRAFTS = {
    "ENA-GEN-04": "token-exchange/client-credentials-subject-token (a valid user-less token)",
    "ENA-P-02": "client-binding/client-assertion-replay (RFC 7523 §3 item 7 lets the AS reject)",
    "ENA-P-13": "resource-server/query-string-token-refused (RFC 6750 §2.3 discourages)",
}

# Level of Ena rows in the ena-1.0 profile where the first keyword is not the tested behaviour.
ENA_ROWS = {
    "ENA-TX-11": "SHOULD", # act SHOULD be present; structure rules apply only if present
    "ENA-XD-11": "SHOULD",
    "ENA-XD-13": "SHOULD",
    "ENA-GEN-03": "SHOULD",
}

# id-jag profile (draft-ietf-oauth-identity-assertion-authz-grant; rows read from the -03 text,
# with the later changes below). ID-JAG profiles identity chaining, so it judges the IC rows at
# their ic-17 level except where it replaces or changes them; its own IDJAG-* rows are judged
# only here (no level in the ic-* drafts, whose cases therefore skip them). Explicit on every row
# it judges, like the draft profiles, because a base could not leave the replaced rows out.
IDJAG_REPLACES = {
    "IC-TE-08": "IDJAG-01: requested_token_type id-jag is REQUIRED, not optional",
    "IC-TE-13": "IDJAG-06: issued_token_type is the id-jag type, not the JWT type",
    "IC-JG-10": "IDJAG-07: typ oauth-id-jag+jwt is required",
    "IC-JB-04": "IDJAG-10: aud must be AS-B's issuer; the token-endpoint URL is not accepted",
    "IC-JG-14": "IDJAG-17: a key-bound ID-JAG carries cnf.jkt itself (§8.6.1), not requested_cnf",
}
IDJAG_IC = {
    "IC-JG-07": "MUST",    # IDJAG-08: jti REQUIRED
    "IC-SC-07": "MUST",    # IDJAG-10: client_id claim must match the authenticated client
    "IC-TE-16": "SHOULD",  # IDJAG-06: refresh_token SHOULD NOT be returned by the IdP
    "IC-SC-04": "SHOULD",  # IDJAG-12: the resource AS SHOULD NOT issue a refresh token
    "IC-JB-13": "MAY",     # -04+: a client MAY re-submit an unexpired ID-JAG; reuse is policy
    "IC-JB-14": "MAY",     # idem: single-use jti is one implementation choice, never required
}
# Level of IDJAG rows in id-jag where the first keyword is not the tested behaviour.
IDJAG_ROWS = {
    "IDJAG-09": "SHOULD",  # the graded rule: email and/or aud_sub RECOMMENDED (the claims are OPTIONAL)
    "IDJAG-12": "SHOULD",  # SHOULD NOT issue a refresh token (re-submission is MAY, see note)
    "IDJAG-17": "MUST",    # a valid proof MUST put cnf.jkt into the ID-JAG (cases gate on advertised DPoP)
    "IDJAG-18": "MUST",    # cnf without proof, or another key: MUST fail with invalid_grant
}
# id-jag-mcp (MCP enterprise-managed authorization, base id-jag): the rows whose level differs.
IDJAG_MCP = {
    "IDJAG-22": "MUST",    # MCP EMA: resource REQUIRED in the exchange and in the ID-JAG
}

# Rules a version after -03 changed (-04 .. -06 of 2026-10-31). The -04..-06 texts were not
# retrievable here: the WG repository snapshot (github:oauth-wg/oauth-identity-assertion-authz-grant)
# ends at main of 2026-04-23 (-03 plus editorial metadata headings) and gh-pages of 2026-05-03
# (no -04 text, only an empty -04 branch preview); the stored pages and code hold -00..-03 and
# the -06 bibliographic record (title, date, abstract) only. Each change is taken from the
# maintainers' summary in issue 10 and appended to the row's summary.
IDJAG_LATER = {
    "IDJAG-12": "Since -04 a client MAY re-submit an unexpired ID-JAG; resource ASes differ (reuse accepted, or single-use jti), so accepting a replay is at most info.",
}

# rfc8693 profile (RFC 8693, January 2020, alone): the rows that RFC 8693 (or the RFC 6749
# token-endpoint text it builds on) sources, at RFC 8693's levels. Rows sourced by the chaining
# draft (IC-TE-03/-04/-05 deny unknown targets, -12/-13 the N_A JWT grant, -17..-20 grant aud,
# every IC-JG/IC-JB/IC-AT row but IC-JG-13) have no level here.
RFC8693 = {
    "IC-TE-06": "MUST",    # §2.2.2: invalid subject token -> invalid_request (MUST)
    "IC-TE-07": "MUST",    # §2.1: subject_token(_type) REQUIRED; actor_token_type iff actor_token
    "IC-TE-08": "MAY",     # §2.1: requested_token_type OPTIONAL; honouring it is TX8693-08
    "IC-TE-11": "MUST",    # §2.2.1: access_token, issued_token_type, token_type REQUIRED
    "IC-TE-14": "SHOULD",  # §2.2.1: expires_in RECOMMENDED
    "IC-TE-15": "MUST",    # §2.2.1: scope REQUIRED when it differs from the request
    "IC-TE-16": "MAY",     # §2.2.1: refresh_token OPTIONAL ("typically not issued")
    "IC-TE-21": "MUST",    # §2.2.1 -> RFC 6749 §5.1: Cache-Control: no-store
    "IC-TE-23": "MUST",    # §2.1: client authentication as in RFC 6749 (§2.3.1, §5.2)
    "IC-JG-13": "MUST",    # §4.1, §4.3: act is an object identifying the actor; client_id a string
    "GEN-02": "MUST",      # RFC 6749 §3.2 parameter rules of the token endpoint (§2.1 is a token request)
    "GEN-08": "MUST",      # §4.1: consumers decide on top-level claims and the current actor only
}

# Level of the TX8693 rows where the first keyword is not the tested behaviour (none today:
# each row's Level column starts with the keyword the cases grade).
TX8693_ROWS: dict = {}

# One-line paraphrases written for this catalogue (the markdown's own paraphrase is used for the
# profile-only ENA-* and IDJAG-* rows, cut to its first sentence).
SUMMARY = {
 "IDJAG-15": "The IdP SHOULD list the id-jag token type in identity_chaining_requested_token_types_supported and the resource AS the id-jag grant profile in authorization_grant_profiles_supported (the MUST to list jwt-bearer then is IDJAG-23); the metadata MUST NOT reveal issuer allow-lists.",
 "IDJAG-22": "The IdP takes resource (RFC 8707) beside audience and writes the granted resource into the ID-JAG's resource claim: OPTIONAL in ID-JAG, REQUIRED by MCP enterprise-managed authorization.",
 "IC-TE-01": "AS-B redeems a JWT grant only through the RFC 7523 jwt-bearer request, however the client got the grant.",
 "IC-TE-02": "The exchange is a form-encoded POST to AS-A's token endpoint with the token-exchange grant type, subject_token and subject_token_type.",
 "IC-TE-03": "The client names AS-B with resource or audience; a request with neither has no target.",
 "IC-TE-04": "resource holds a URI of AS-B, audience its logical name; both forms reach the same AS-B.",
 "IC-TE-05": "AS-A denies an invalid request or an unknown or unacceptable target with an RFC 8693 error, preferably invalid_target.",
 "IC-TE-06": "AS-A validates the subject token for its declared type and answers invalid_request when it is unusable.",
 "IC-TE-07": "subject_token and subject_token_type are mandatory; actor_token_type goes with actor_token and never alone.",
 "IC-TE-08": "requested_token_type is optional; a type AS-A cannot issue must not produce a token.",
 "IC-TE-09": "A requested scope must not exceed what the subject token holds (downscoping only).",
 "IC-TE-10": "AS-A may add, drop or rewrite claims when it mints the grant.",
 "IC-TE-11": "A successful exchange returns access_token (the grant), issued_token_type and token_type.",
 "IC-TE-12": "token_type is N_A: the grant is not an access token.",
 "IC-TE-13": "issued_token_type is the JWT token type (or the type a profile asks for) and matches requested_token_type.",
 "IC-TE-14": "expires_in states the grant's lifetime in seconds.",
 "IC-TE-15": "The response carries scope whenever the granted scope differs from the request.",
 "IC-TE-16": "No refresh token accompanies the short-lived cross-domain grant.",
 "IC-TE-17": "The grant's aud identifies the AS-B that was requested.",
 "IC-TE-18": "The grant's aud names a single authorization server, so AS-B cannot replay it to AS-C.",
 "IC-TE-19": "Several authorization servers may share one aud only where trust exists with each of them.",
 "IC-TE-20": "The grant is addressed to AS-B, never to AS-A or a domain-A resource, so it cannot pass as an access token.",
 "IC-TE-21": "Token responses carry Cache-Control: no-store (and Pragma: no-cache).",
 "IC-TE-22": "Client authentication for the exchange follows RFC 6749; allowing unauthenticated clients is policy.",
 "IC-JG-01": "The grant's iss identifies AS-A (its RFC 8414 issuer).",
 "IC-JG-02": "The grant's sub names the principal the access is for, possibly transcribed.",
 "IC-JG-03": "The grant's aud identifies AS-B.",
 "IC-JG-04": "The grant's exp bounds its use.",
 "IC-JG-05": "Grants are short-lived.",
 "IC-JG-06": "nbf and iat are optional; when present they agree with exp and the clock.",
 "IC-JG-07": "jti is optional in the base draft; when present it is unique, which enables replay tracking.",
 "IC-JG-08": "The grant is signed with a key AS-B associates with AS-A; never alg none.",
 "IC-JG-09": "The grant is a well-formed compact JWS with a JSON claims set.",
 "IC-JG-10": "The base draft requires no typ header; only profiles define one.",
 "IC-JG-11": "Subject identifiers may be mapped between domains and claims dropped for minimisation.",
 "IC-JG-12": "Grants carry only the user data the target domain needs.",
 "IC-JG-13": "act, when present, identifies the actor by sub; client_id, when present, is a string.",
 "IC-JG-14": "A grant may carry requested_cnf with the client's confirmation key (delegated key binding).",
 "IC-JB-01": "The client presents the grant with the jwt-bearer grant type and the assertion parameter.",
 "IC-JB-02": "The client may name the target resource (scope or RFC 8707 resource); AS-B restricts the token to it and refuses unknown resources.",
 "IC-JB-03": "AS-B validates the grant as RFC 7523 §3 and §3.1 require (the rows below).",
 "IC-JB-03a": "A grant whose signature does not verify is refused.",
 "IC-JB-03b": "An unsigned (alg none) grant is refused.",
 "IC-JB-03c": "An HMAC grant keyed with AS-A's public key (algorithm confusion) is refused.",
 "IC-JB-03d": "Only keys bound to the trusted AS-A are accepted; a grant re-signed by another key is refused.",
 "IC-JB-03e": "A grant from an issuer AS-B has no trust relationship with is refused.",
 "IC-JB-03f": "A grant without iss is refused.",
 "IC-JB-03g": "A grant without sub is refused.",
 "IC-JB-03h": "A grant whose aud is missing or names someone else is refused.",
 "IC-JB-03i": "A grant without exp, or past its exp beyond clock skew, is refused.",
 "IC-JB-03j": "A grant presented before its nbf is refused.",
 "IC-JB-03k": "AS-B may refuse an exp unreasonably far ahead or an iat unreasonably old.",
 "IC-JB-03l": "A grant with an unknown critical header parameter is refused.",
 "IC-JB-03m": "An assertion that is not exactly one well-formed JWT is refused.",
 "IC-JB-04": "AS-B accepts its own issuer identifier or token endpoint URL in aud, compared exactly.",
 "IC-JB-05": "AS-B denies a grant whose subject it cannot identify.",
 "IC-JB-06": "Grant denials are HTTP 400 JSON errors with invalid_grant.",
 "IC-JB-07": "AS-B refuses tokens not minted for it: AS-A access tokens, ID tokens, grants for another AS.",
 "IC-JB-08": "Client credentials sent with a grant are validated, even where client authentication is optional.",
 "IC-JB-09": "Whether a client must authenticate to redeem a grant is AS-B policy.",
 "IC-JB-10": "The request carries exactly one assertion; a missing assertion is invalid_request.",
 "IC-JB-11": "A validated grant yields a standard RFC 6749 §5.1 token response.",
 "IC-JB-12": "The access token should not outlive the grant's remaining validity by much.",
 "IC-JB-13": "Re-presenting a grant works only where AS-B allows reuse.",
 "IC-JB-14": "AS-B may track jti values to stop replays.",
 "IC-JB-15": "A scope the grant does not support is refused with invalid_scope or narrowed and reported.",
 "IC-JB-16": "An unsupported grant type is answered with unsupported_grant_type.",
 "IC-AT-01": "token_type is Bearer, or DPoP for a token bound to a DPoP key.",
 "IC-AT-02": "AS-B's access token works at RS-B; the grant itself does not.",
 "IC-AT-03": "AS-B may carry or transcribe grant claims into the access token.",
 "IC-AT-04": "The access token is audience-restricted to the requested resource.",
 "IC-AT-05": "A JWT access token follows RFC 9068 (at+jwt, iss, exp, aud, sub, client_id, iat, jti).",
 "IC-AT-06": "The response carries scope whenever the granted scope differs from the request.",
 "IC-AT-07": "A DPoP-bound token is announced as token_type DPoP and carries cnf.jkt of the proof key.",
 "IC-AT-08": "With requested_cnf in the grant, AS-B binds the token to that key and the client proves it at RS-B.",
 "IC-MD-01": "identity_chaining_requested_token_types_supported, when published, is a non-empty array of token-type URIs.",
 "IC-MD-02": "The advertised token-type list may leave supported types out.",
 "IC-MD-03": "Advertised token types can actually be requested.",
 "IC-MD-04": "The metadata parameter is registered with IANA.",
 "IC-MD-05": "Metadata is served at the RFC 8414 well-known URL and its issuer equals the issuer used to build it.",
 "IC-MD-06": "Metadata has an https issuer without query or fragment, a token_endpoint, AS-A's jwks_uri, and coherent grant_types_supported.",
 "IC-MD-07": "none never appears among token-endpoint authentication signing algorithms.",
 "IC-MD-08": "RS-B's RFC 9728 metadata names its own identifier and AS-B among its authorization servers.",
 "IC-MD-09": "RS-B's 401 challenge may point at its resource metadata.",
 "IC-MD-10": "The published JWKS holds public key material only, each key with a kid.",
 "IC-MD-11": "dpop_signing_alg_values_supported lists only asymmetric algorithms.",
 "IC-SC-01": "Authorization servers authenticate clients where feasible, preferably with asymmetric methods.",
 "IC-SC-02": "Tokens are sender-constrained (DPoP or mTLS) where possible.",
 "IC-SC-03": "AS-A checks that the client may present the subject token, stopping lateral moves with stolen tokens.",
 "IC-SC-04": "AS-B does not issue refresh tokens for a jwt-bearer grant.",
 "IC-SC-05": "The refresh-token advice does not cover tokens AS-A issues to its own clients.",
 "IC-SC-06": "The grant is a bearer artefact; deployments choose replay mitigations (short life, single use, client authentication).",
 "IC-SC-07": "A grant bound to one client cannot be redeemed by another.",
 "IC-SC-08": "Profiles may add their own mitigations.",
 "IC-SC-09": "Tokens carry minimal user data; privacy practice stays aligned across domains.",
 "IC-SC-10": "AS-B trusts only AS-A's known keys; key rotation never admits unknown keys.",
 "IC-SC-11": "Delegated key binding end to end: proof at AS-A, requested_cnf in the grant, cnf in the token, proof at RS-B.",
 "IC-SC-12": "A resource or authorization server acting as client must find AS-B and authenticate to it where required.",
 "DPOP-01": "A DPoP proof is a dpop+jwt signed asymmetrically by its public jwk, with jti, htm, htu, iat (and ath, nonce when needed).",
 "DPOP-02": "Servers check every part of a DPoP proof and, at the resource, its binding to the token; invalid proofs are refused.",
 "DPOP-03": "A bound token is announced as token_type DPoP; proofs also apply to extension grants such as jwt-bearer.",
 "DPOP-04": "cnf.jkt is the RFC 7638 SHA-256 thumbprint of the proof key.",
 "DPOP-05": "Servers may demand a nonce (use_dpop_nonce with a DPoP-Nonce header); clients retry with it.",
 "GEN-01": "Token requests are POSTs over TLS; a token endpoint does not issue tokens over GET.",
 "GEN-02": "Empty parameters count as absent, unknown ones are ignored, none may repeat.",
 "GEN-03": "Token responses are 200 JSON with typed members and are not cacheable.",
 "GEN-04": "Errors are JSON with a registered error code, an optional printable-ASCII description, status 400 (401 for client authentication).",
 "GEN-05": "An unknown grant type is answered with unsupported_grant_type.",
 "GEN-06": "resource is an absolute URI without fragment; an unusable one is invalid_target.",
 "GEN-07": "Token-type identifiers are the RFC 8693 §3 URNs.",
 "GEN-08": "Only top-level claims and the current actor drive access decisions; act carries identity claims only.",
 "GEN-09": "scope is a space-delimited string; client_id names the client; may_act names permitted actors.",
 "GEN-10": "Verifiers pin algorithms and resist none and algorithm confusion.",
 "GEN-11": "Verifiers bind keys to issuers and never trust kid, jku or x5u blindly.",
 "GEN-12": "Profiles type their JWTs explicitly so one kind cannot pass for another.",
 "GEN-13": "JWK thumbprints follow RFC 7638 (required members, sorted, no whitespace, SHA-256).",
 "GEN-14": "Client-authentication JWTs use the AS issuer as sole aud and are typed client-authentication+jwt.",
 "TX8693-01": "An actor_token is validated for its actor_token_type; an invalid or policy-unacceptable one is refused with invalid_request.",
 "TX8693-02": "An unsupported subject_token_type or actor_token_type is answered invalid_request (unsupported_token_type is RFC 7009's revocation code).",
 "TX8693-03": "Given an actor_token the AS may issue a composite (delegation) token naming the actor in act.",
 "TX8693-04": "act, when present, is an object identifying the current actor: the actor_token's subject.",
 "TX8693-05": "In a chain of actors the outermost act is the current actor; prior actors are nested, the least recent deepest.",
 "TX8693-06": "Exchanging a subject token that carries act can keep the prior actors nested beneath the new current actor.",
 "TX8693-07": "may_act in a subject token names who may act for its subject; the AS can refuse other actors (invalid_request).",
 "TX8693-08": "A success for a request naming requested_token_type issues that type (issued_token_type equal to it).",
 "TX8693-09": "Several resource/audience values ask for one token usable at each target: issued for all (aud naming each) or refused with invalid_target.",
 "TX8693-10": "A target the AS will not issue for is refused with invalid_target (SHOULD).",
 "TX8693-11": "Without an actor_token (impersonation) the issued token's subject is typically the subject token's subject.",
}

TESTING = {"BB", "BB+F", "HI", "MK", "INFO", "N"}


def first_of(level: str) -> str:
    best = None
    for rx, lvl in KEYWORD:
        m = rx.search(level)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), lvl)
    return best[1] if best else "MAY"


def clean(text: str) -> str:
    text = text.replace("*(k)*", "(from knowledge of the RFC)").replace("`", "")
    text = re.sub(r"\*+", "", text)
    return re.sub(r"\s+", " ", text).strip()


def summary(paraphrase: str) -> str:
    """The catalogue's paraphrase on one line, cut near 220 characters at a sentence end
    (outside parentheses) or else a word boundary."""
    s = clean(paraphrase)
    if len(s) <= 220:
        return s
    depth, cut = 0, None
    for i, ch in enumerate(s[:220]):
        depth += ch == "("
        depth -= ch == ")"
        if ch in ".;" and depth == 0 and (i + 1 == len(s) or s[i + 1] == " ") and not s[max(0, i - 3):i + 1].endswith(("e.g.", "i.e.")):
            cut = i
    if cut is not None and cut > 80:
        return s[:cut].rstrip(";") + "."
    return s[:220].rsplit(" ", 1)[0] + " …"


def testing(col: str) -> str:
    """The catalogue's BB? column: one class, or alternatives joined by " / " (e.g. "HI / BB+F":
    harness-issuer mode, or black-box with a fixture); "-" where the row has no test of its own."""
    col = col.strip()
    if col in ("—", "-", ""):
        return "-"
    parts = [p.strip() for p in col.split("/")]
    assert all(p in TESTING for p in parts), col
    return " / ".join(parts)


def q(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


# Requirements the catalogue misses, found while building chainproof. Each is inserted after
# the catalogue row named first; same columns as a catalogue row.
PROJECT_ROWS = [
    (
        "ENA-P-14",
        (
            "ENA-P-15",
            "ENA-P §8.3.1 (chainproof split of ENA-P-02)",
            "MUST",
            "AS",
            "A client assertion must be typed client-authentication+jwt and name the AS issuer as "
            "its only aud: an untyped or multi-aud assertion is rejected (invalid_client). Split "
            "from ENA-P-02 because the drafts grade the two parts differently: the replay part is "
            "a MAY of RFC 7523 §3 that identity-chaining cases report, while rejecting untyped "
            "assertions is NOT RECOMMENDED by draft-ietf-oauth-rfc7523bis, so only Ena grades it.",
            "BB",
        ),
    ),
    (
        "IC-TE-22",
        (
            "IC-TE-23",
            "6749 §2.3.1, §3.2.1, §5.2 (chainproof addition)",
            "MUST",
            "AS-A",
            "Client credentials sent with a token exchange are validated: failed authentication "
            "(e.g. a wrong secret) gets invalid_client and no grant, whatever the policy on "
            "unauthenticated clients.",
            "BB",
        ),
    ),
    (
        "IDJAG-21",
        (
            "IDJAG-22",
            "IDJAG §4.3, §4.3.3; MCP enterprise-managed authorization (ext-auth) Token Exchange and ID-JAG claims (chainproof addition)",
            "OPTIONAL / REQUIRED",
            "IdP",
            "The IdP takes resource (the protected resource, RFC 8707) beside audience and writes "
            "it into the ID-JAG's resource claim: OPTIONAL in ID-JAG (the granted resource, if "
            "any), REQUIRED for both the request parameter and the claim by MCP's "
            "enterprise-managed authorization profile.",
            "BB",
        ),
    ),
    (
        # IDJAG-15 mixes levels (its row is SHOULD, read at its first keyword): the conditional
        # MUST of §7.2 gets a row of its own so it is graded at MUST.
        "IDJAG-22",
        (
            "IDJAG-23",
            "IDJAG §7.2 (chainproof addition, split from IDJAG-15)",
            "MUST",
            "AS-B",
            "A resource AS that lists urn:ietf:params:oauth:grant-profile:id-jag in "
            "authorization_grant_profiles_supported MUST also list "
            "urn:ietf:params:oauth:grant-type:jwt-bearer in grant_types_supported.",
            "BB",
        ),
    ),
    (
        "DPOP-05",
        (
            "DPOP-06",
            "9449 §11.1 (chainproof addition)",
            "MAY",
            "AS-B (and AS-A)",
            "Servers may remember DPoP proof jti values and decline a proof seen before "
            "(RFC 9449 §11.1: 'can'; §4.3 requires only a recent iat or nonce).",
            "BB",
        ),
    ),
]


# The RFC 8693 rows (TX8693-*) the rfc8693 profile added in an earlier session: the shared
# catalogue this session reads (/work/shared/requirements.md, read-only) does not hold them, so
# they live here, as the rows were generated then (source, RFC 8693 level, party, summary,
# testing), each inserted after the row named first. A catalogue that gains them wins.
CATALOGUE_TX8693_ROWS = [
    (
        'GEN-14',
        (
            'TX8693-01',
            '8693 §2.1, §2.2.2',
            'MUST',
            'AS-A',
            'An actor_token is validated for its actor_token_type; an invalid or policy-unacceptable one is refused with invalid_request.',
            'BB+F',
        ),
    ),
    (
        'TX8693-01',
        (
            'TX8693-02',
            '8693 §2.1, §2.2.2, §3; 7009 §2.2.1',
            'MUST',
            'AS-A',
            "An unsupported subject_token_type or actor_token_type is answered invalid_request (unsupported_token_type is RFC 7009's revocation code).",
            'BB',
        ),
    ),
    (
        'TX8693-02',
        (
            'TX8693-03',
            '8693 §1.1, §4.1, App. A.2',
            'MAY',
            'AS-A',
            'Given an actor_token the AS may issue a composite (delegation) token naming the actor in act.',
            'BB+F',
        ),
    ),
    (
        'TX8693-03',
        (
            'TX8693-04',
            '8693 §4.1',
            'MUST',
            'AS-A',
            "act, when present, is an object identifying the current actor: the actor_token's subject.",
            'BB+F',
        ),
    ),
    (
        'TX8693-04',
        (
            'TX8693-05',
            '8693 §4.1',
            'MUST',
            'AS-A',
            'In a chain of actors the outermost act is the current actor; prior actors are nested, the least recent deepest.',
            'BB+F',
        ),
    ),
    (
        'TX8693-05',
        (
            'TX8693-06',
            '8693 §4.1',
            'MAY',
            'AS-A',
            'Exchanging a subject token that carries act can keep the prior actors nested beneath the new current actor.',
            'BB+F',
        ),
    ),
    (
        'TX8693-06',
        (
            'TX8693-07',
            '8693 §4.4, §2.2.2',
            'MAY',
            'AS-A',
            'may_act in a subject token names who may act for its subject; the AS can refuse other actors (invalid_request).',
            'BB+F',
        ),
    ),
    (
        'TX8693-07',
        (
            'TX8693-08',
            '8693 §2.1 (requested_token_type), §2.2.1',
            'SHOULD',
            'AS-A',
            'A success for a request naming requested_token_type issues that type (issued_token_type equal to it).',
            'BB',
        ),
    ),
    (
        'TX8693-08',
        (
            'TX8693-09',
            '8693 §2.1, §2.1.1',
            'SHOULD',
            'AS-A',
            'Several resource/audience values ask for one token usable at each target: issued for all (aud naming each) or refused with invalid_target.',
            'BB+F',
        ),
    ),
    (
        'TX8693-09',
        (
            'TX8693-10',
            '8693 §2.2.2',
            'SHOULD',
            'AS-A',
            'A target the AS will not issue for is refused with invalid_target (SHOULD).',
            'BB',
        ),
    ),
    (
        'TX8693-10',
        (
            'TX8693-11',
            '8693 §1.1, §2.1 (subject_token), App. A.1',
            'MAY',
            'AS-A',
            "Without an actor_token (impersonation) the issued token's subject is typically the subject token's subject.",
            'BB',
        ),
    ),
]

def main(path: str) -> None:
    rows = []
    for line in open(path, encoding="utf-8"):
        if not re.match(r"^\| (IC|ENA|IDJAG|GEN|DPOP|TX8693)-", line):
            continue
        cols = [c.strip() for c in line.strip().strip("|").split(" | ")]
        rid, source, level, binds, para, _test, how = cols[0], cols[1], cols[2], cols[3], cols[4], cols[5], cols[-1]
        rows.append((rid, source, level, binds, para, how))

    for after, row in PROJECT_ROWS + CATALOGUE_TX8693_ROWS:
        # A project row the catalogue has since gained (IC-TE-23) is the catalogue's.
        if row[0] in [r[0] for r in rows]:
            continue
        rows.insert([r[0] for r in rows].index(after) + 1, row)

    ids = [r[0] for r in rows]
    assert len(ids) == len(set(ids)), "duplicate IDs"
    for table in (IC17, IC14, IC01, ENA, ENA_ROWS, ENA_IN_DRAFTS, RFC8693, TX8693_ROWS, IDJAG_REPLACES, IDJAG_IC, IDJAG_ROWS, IDJAG_LATER, IDJAG_MCP):
        for k in table:
            assert k in ids, f"level table names unknown ID {k}"

    out = [
        "# Requirement catalogue as data: generated by suites/tools/gen_requirements.py from",
        "# shared/requirements.md (see that script for every level decision and its reason).",
        "# levels: ic-17, ic-14, ic-01 are explicit on every row but the Ena rows (no level in the",
        "# drafts unless an identity-chaining case reports them); ena-1.0 only where it differs",
        "# from its base ic-17 (suites/profiles.toml); rfc8693 (no base) only on the rows RFC 8693",
        "# sources (TX8693-* rows have no level in the chaining profiles); id-jag (no base) explicit",
        "# on every row it judges (IDJAG-* rows have a level in id-jag only).",
        "",
    ]
    for rid, source, level, binds, para, how in rows:
        own = first_of(level)
        if rid.startswith("TX8693-"):
            levels = [("rfc8693", TX8693_ROWS.get(rid, own))]
            out.append("[[requirement]]")
            out.append(f"id = {q(rid)}")
            out.append(f"source = {q(clean(source))}")
            out.append(f"party = {q(clean(binds))}")
            out.append(f"testing = {q(testing(how))}")
            out.append(f"summary = {q(SUMMARY.get(rid) or summary(para))}")
            out.append("levels = { " + ", ".join(f"{q(p)} = {q(l)}" for p, l in levels) + " }")
            out.append("")
            continue
        is_profile_row = rid.startswith(("ENA-", "IDJAG-"))
        if is_profile_row:
            l17 = l14 = l01 = "MAY"
        else:
            l17 = IC17.get(rid, own)
            l14 = IC14.get(rid, l17)
            l01 = IC01.get(rid, l17)
        levels = [("ic-17", l17), ("ic-14", l14), ("ic-01", l01)]
        if rid.startswith("IDJAG-"):
            levels = [("id-jag", IDJAG_ROWS.get(rid, own))]
            if rid in IDJAG_MCP:
                levels.append(("id-jag-mcp", IDJAG_MCP[rid]))
        elif rid.startswith("ENA-"):
            if rid not in ENA_IN_DRAFTS:
                levels = []
        elif rid not in IDJAG_REPLACES:
            levels.append(("id-jag", IDJAG_IC.get(rid, l17)))
        if rid.startswith("ENA-"):
            levels.append(("ena-1.0", ENA_ROWS.get(rid, own)))
        elif rid in ENA:
            levels.append(("ena-1.0", ENA[rid]))
        if rid in RFC8693:
            levels.append(("rfc8693", RFC8693[rid]))
        out.append("[[requirement]]")
        out.append(f"id = {q(rid)}")
        out.append(f"source = {q(clean(source))}")
        out.append(f"party = {q(clean(binds))}")
        out.append(f"testing = {q(testing(how))}")
        text = SUMMARY.get(rid) or summary(para)
        if rid in IDJAG_LATER:
            text += " " + IDJAG_LATER[rid]
        out.append(f"summary = {q(text)}")
        out.append("levels = { " + ", ".join(f"{q(p)} = {q(l)}" for p, l in levels) + " }")
        out.append("")
    sys.stdout.write("\n".join(out))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/requirements.md")

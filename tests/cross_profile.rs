//! One server, every profile (issue 10): the mock pair in a fixed mode (identity chaining) with
//! two faults that the profiles grade differently, reached as a live target, is run under
//! ic-01, ic-14, ic-17, ena-1.0 and id-jag (and rfc8693 when it exists). Every case's verdict
//! must equal its ic-17 verdict except where the table below names a difference, each with
//! the reason a source document gives; and every difference in the table must occur.
//!
//! The target declares the setup exchange form the server accepts (`[as_a.exchange]`: the
//! `resource` form, an access-token subject, no typed grants), so under id-jag the setup is the
//! same as under the drafts and only the grading differs (issue 8 item 2).

use assert_cmd::cargo::CommandCargoExt;
use mock_as::{Fault, MockOptions, MockPair};
use std::collections::BTreeMap;
use std::process::Command;

mod common;
use common::LiveTarget;

/// Faults graded differently by the profiles: a day-long grant (IC-JG-05: lowercase "should"
/// in IC §5.5, MAY; MUST in Ena) and a grant without `jti` (IC-JG-07: optional in IC, REQUIRED
/// by Ena and ID-JAG).
const FAULTS: [Fault; 2] = [Fault::LongLivedGrant, Fault::GrantNoJti];

/// Overlay profiles run here and the profile whose expectations they inherit: a case not listed
/// for the overlay expects what its base expects.
const OVERLAYS: &[(&str, &str)] = &[("id-jag-mcp", "id-jag")];

/// (case, profile, verdict, reason): where a profile's verdict differs from ic-17's.
const DIFFERENCES: &[(&str, &str, &str, &str)] = &[
    // The faults.
    (
        "replay/grant-lifetime-short",
        "ena-1.0",
        "fail",
        "ENA-TX §3.3: grants MUST be short-lived (IC-JG-05 MUST)",
    ),
    (
        "replay/jti-unique-across-exchanges",
        "ena-1.0",
        "fail",
        "ENA-TX §3.3.4, ENA-P §5.4.2: jti mandatory (IC-JG-07 MUST; info under the drafts, where jti is optional)",
    ),
    (
        "replay/jti-unique-across-exchanges",
        "id-jag",
        "fail",
        "ID-JAG §3.1: jti REQUIRED (IC-JG-07 MUST; info under the drafts)",
    ),
    (
        "replay/same-grant-re-encoded",
        "ena-1.0",
        "fail",
        "ENA-TX §3.3.4: a grant is single use (IC-JB-13 MUST; MAY under the drafts, so info there); \
         the jti-less grant leaves AS-B keying its replay check on the assertion's bytes, which a \
         re-encoded signature changes",
    ),
    // ID-JAG replaces four IC rules: cases citing only those are not judged.
    (
        "token-exchange/requested-token-type-jwt",
        "id-jag",
        "skip",
        "ID-JAG §4.3 requires requested_token_type id-jag (IC-TE-08, IC-TE-13 replaced)",
    ),
    (
        "aud-restrictions/harness-grant-aud-near-miss",
        "id-jag",
        "skip",
        "ID-JAG §4.4.1: aud is the issuer alone (IC-JB-04 replaced)",
    ),
    // The server is no ID-JAG IdP / resource AS: the id-jag suites find it (only id-jag judges them).
    (
        "id-jag-idp/id-jag-issued",
        "id-jag",
        "fail",
        "ID-JAG §4.3: the IdP refuses requested_token_type id-jag (IDJAG-01)",
    ),
    (
        "id-jag-idp/id-jag-header-and-claims",
        "id-jag",
        "fail",
        "ID-JAG §3.1: the grant has no typ oauth-id-jag+jwt (IDJAG-07)",
    ),
    (
        "id-jag-idp/id-jag-subject-resolution-claims",
        "id-jag",
        "warn",
        "ID-JAG §3.1: email and/or aud_sub RECOMMENDED; the identity-chaining grant has neither (IDJAG-09, SHOULD)",
    ),
    (
        "id-jag-idp/id-token-signed-by-another-key-refused",
        "id-jag",
        "pass",
        "IDJAG-04: the server refuses a subject token signed by a key it never published",
    ),
    (
        "id-jag-idp/idp-refuses-its-own-id-jag",
        "id-jag",
        "pass",
        "IDJAG-13: the server offers no jwt-bearer grant at AS-A, so its own grant gets no access token",
    ),
    (
        "id-jag-idp/dpop-bound-id-jag",
        "id-jag",
        "fail",
        "ID-JAG §8.6.1: the identity-chaining server binds the proof key as requested_cnf, not the ID-JAG's cnf (IDJAG-17)",
    ),
    (
        "id-jag-idp/resource-in-id-jag",
        "id-jag",
        "skip",
        "ID-JAG §4.3: the server refuses requested_token_type id-jag with or without resource; that refusal is \
         IDJAG-01's and IDJAG-02's (id-jag-issued, audience-is-resource-as-issuer), so IDJAG-22 is not judged \
         (under id-jag-mcp too)",
    ),
    (
        "id-jag-idp/id-jag-type-advertised",
        "id-jag",
        "warn",
        "ID-JAG §7.1: the identity-chaining server lists the JWT type, not id-jag, among its chaining token types (IDJAG-15, SHOULD)",
    ),
    (
        "id-jag-idp/idp-refuses-its-own-id-jag-as-subject-token",
        "id-jag",
        "pass",
        "IDJAG-13: the server refuses its own grant as a subject token of type id-jag",
    ),
    (
        "id-jag-idp/scope-claim-is-granted-scope",
        "id-jag",
        "pass",
        "IDJAG-05: the server's grant carries the scope its exchange response reports",
    ),
    (
        "id-jag-idp/audience-is-resource-as-issuer",
        "id-jag",
        "fail",
        "ID-JAG §4.3: the server refuses requested_token_type id-jag (IDJAG-02: audience = the resource AS's issuer must work)",
    ),
    (
        "id-jag-idp/id-token-for-another-client-refused",
        "id-jag",
        "pass",
        "IDJAG-04: the server refuses a subject token issued to another client",
    ),
    (
        "id-jag-resource-as/grant-profile-metadata",
        "id-jag",
        "warn",
        "ID-JAG §7.2: no authorization_grant_profiles_supported (IDJAG-15, SHOULD)",
    ),
    (
        "id-jag-resource-as/id-jag-redeemed-without-refresh-token",
        "id-jag",
        "pass",
        "IDJAG-12: no refresh token from AS-B",
    ),
    (
        "rfc8693-errors/requested-access-token",
        "rfc8693",
        "pass",
        "judged only by rfc8693 (TX8693 rows, no level in the drafts); the identity-chaining server meets RFC 8693 here",
    ),
    (
        "rfc8693-errors/unknown-audience-code",
        "rfc8693",
        "pass",
        "judged only by rfc8693 (TX8693 rows, no level in the drafts); the identity-chaining server meets RFC 8693 here",
    ),
    (
        "rfc8693-errors/unknown-subject-token-type",
        "rfc8693",
        "pass",
        "judged only by rfc8693 (TX8693 rows, no level in the drafts); the identity-chaining server meets RFC 8693 here",
    ),
    (
        "rfc8693-impersonation/impersonation-keeps-subject",
        "rfc8693",
        "pass",
        "judged only by rfc8693 (TX8693 rows, no level in the drafts); the identity-chaining server meets RFC 8693 here",
    ),
    (
        "ena-cross-domain/grant-profile",
        "ena-1.0",
        "fail",
        "Ena-only case: ENA-TX §3.3 grant rules (jti, short life) broken by both faults",
    ),
    (
        "ena-cross-domain/client-must-authenticate",
        "ena-1.0",
        "fail",
        "Ena-only case: ENA-TX §3.4.1 client authentication at AS-B, optional on this IC server",
    ),
    (
        "ena-cross-domain/grant-scope-claim",
        "ena-1.0",
        "pass",
        "Ena-only case: ENA-TX §3.3.4 scope claim in a grant requested with scopes; this IC server writes it",
    ),
    (
        "ena-cross-domain/as-b-token-response-shape",
        "ena-1.0",
        "pass",
        "Ena-only case: ENA-P §3.3.2.2 token_type and expires_in at AS-B; this IC server sends both",
    ),
    (
        "ena-oauth-profile/client-credentials-response",
        "ena-1.0",
        "pass",
        "Ena-only case: ENA-P §6.2, §3.3.2.2 (no refresh token, expires_in) for client credentials; this IC server meets both",
    ),
    (
        "ena-oauth-profile/user-token-aud-lists-issuer",
        "ena-1.0",
        "warn",
        "Ena-only case: ENA-TX §4.2.1 SHOULD list the issuer in the aud of tokens meant for exchange; this IC server names only its API",
    ),
    (
        "ena-oauth-profile/as-a-jwks-key-sizes",
        "ena-1.0",
        "pass",
        "Ena-only case: ENA-P §8.2 key sizes; this IC server publishes P-256 keys",
    ),
    (
        "ena-oauth-profile/as-b-jwks-key-sizes",
        "ena-1.0",
        "pass",
        "Ena-only case: ENA-P §8.2 key sizes; this IC server publishes P-256 keys",
    ),
    (
        "ena-oauth-profile/as-a-metadata-ena-lint",
        "ena-1.0",
        "fail",
        "Ena-only case: ENA-P §3.1.1.6 forbids client-secret methods, which this IC server lists",
    ),
    (
        "ena-oauth-profile/as-b-metadata-ena-lint",
        "ena-1.0",
        "fail",
        "Ena-only case: ENA-P §3.1.1.6 forbids client-secret methods, which this IC server lists",
    ),
    // An Ena-only rule (ENA-GEN-04, MAY in the drafts) that ID-JAG does not adopt.
    (
        "token-exchange/client-credentials-subject-token",
        "id-jag",
        "skip",
        "ENA-GEN-04 is an Ena row; id-jag judges no ENA rows",
    ),
];

fn target(f: &mock_as::MockFacts) -> LiveTarget {
    LiveTarget::new(f)
        .set("as_a.exchange.target", "resource")
        .set("as_a.exchange.requested_token_type", "")
        .set(
            "as_a.exchange.subject_token_type",
            "urn:ietf:params:oauth:token-type:access_token",
        )
        .set("as_a.exchange.subject_token_field", "access_token")
        .set("as_a.exchange.grant_typ", "")
        .second_client()
        .set("as_a.subject_token.scope", "read write")
        .unmapped_user()
        .set("as_b.dpop", true)
        .client_at_b()
        .rs()
        .set("rs.url", f.rs_url.as_str())
        .scopes()
        .set("fixtures.scopes", "read write")
}

/// `suite/case` → verdict under `profile`.
fn verdicts(dir: &std::path::Path, profile: &str) -> BTreeMap<String, String> {
    let out = dir.join(format!("out-{profile}"));
    let output = Command::cargo_bin("chainproof")
        .unwrap()
        .args([
            "run",
            "--progress",
            "plain",
            "--jobs",
            "8",
            "--profile",
            profile,
            "--target",
        ])
        .arg(dir.join("target.toml"))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    common::verdicts(&common::read_report(
        &out.join("report.json"),
        &output.stderr,
    ))
}

#[test]
fn one_server_under_every_profile_differs_only_where_the_documents_do() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let pair = rt
        .block_on(MockPair::start(MockOptions {
            faults: FAULTS.to_vec(),
            ..MockOptions::default()
        }))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    target(pair.facts()).write(dir.path(), "target.toml");
    let lib = chainproof::suite::load::Library::load(None).unwrap();
    let mut profiles = vec!["ic-17", "ic-01", "ic-14", "ena-1.0", "id-jag"];
    if lib.catalogue.profile("rfc8693").is_some() {
        profiles.push("rfc8693");
    }
    if lib.catalogue.profile("id-jag-mcp").is_some() {
        profiles.push("id-jag-mcp");
    }
    let requirements: BTreeMap<String, Vec<String>> = lib
        .suites
        .iter()
        .flat_map(|s| {
            s.cases
                .iter()
                .map(move |c| (format!("{}/{}", s.id, c.id), c.requirements.clone()))
        })
        .collect();
    let base = verdicts(dir.path(), "ic-17");
    let mut problems = Vec::new();
    for profile in &profiles[1..] {
        let got = verdicts(dir.path(), profile);
        for (case, verdict) in &got {
            // A profile whose document sources none of a case's rows does not judge it (the
            // plan skips it with that reason); otherwise the table, otherwise ic-17's verdict.
            let judged = requirements[case]
                .iter()
                .any(|r| lib.catalogue.level(r, profile).is_some());
            let listed = |p: &str| {
                DIFFERENCES
                    .iter()
                    .find(|(c, q, _, _)| c == case && *q == p)
                    .map(|(_, _, v, _)| v.to_string())
            };
            let overlay_of = OVERLAYS.iter().find(|(o, _)| o == profile).map(|(_, b)| *b);
            let expected = listed(profile)
                .or_else(|| overlay_of.and_then(listed))
                .or_else(|| (!judged).then(|| "skip".to_string()))
                .or_else(|| base.get(case).cloned())
                .unwrap_or_else(|| "skip".into());
            if *verdict != expected {
                problems.push(format!(
                    "{profile}: {case} is {verdict}, expected {expected} (ic-17: {:?})",
                    base.get(case)
                ));
            }
        }
        for (case, p, v, why) in DIFFERENCES.iter().filter(|d| d.1 == *profile) {
            assert!(got.contains_key(*case), "{p}: {case} missing ({v}: {why})");
        }
    }
    drop(pair);
    assert!(
        problems.is_empty(),
        "{} verdicts differ unexpectedly:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

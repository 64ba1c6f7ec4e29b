//! ID-JAG mode (`MockProfile::IdJag`): the IdP issues ID tokens and exchanges them for
//! ID-JAGs, the resource AS enforces the ID-JAG rules; each ID-JAG fault is observable in that
//! mode (called from `faults::observe`).

use crate::common::*;
use mock_as::testkit::EsKey;
use mock_as::{Fault, MockOptions, MockProfile};
use serde_json::{Value, json};

const TT_ID_TOKEN: &str = "urn:ietf:params:oauth:token-type:id_token";
const TT_ID_JAG: &str = "urn:ietf:params:oauth:token-type:id-jag";

pub async fn id_jag_env(faults: &[Fault]) -> Env {
    start(MockOptions {
        faults: faults.to_vec(),
        profile: MockProfile::IdJag,
        ..MockOptions::default()
    })
    .await
}

/// The ID token the IdP issues with the user's token to the client `auth`.
async fn id_token(e: &Env, auth: Auth<'_>) -> String {
    let (u, p) = e.f.user.clone();
    let r = e
        .post(
            &e.f.as_a_token_endpoint,
            &[
                ("grant_type", "password"),
                ("username", &u),
                ("password", &p),
            ],
            auth,
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json["id_token"].as_str().expect("id_token").to_owned()
}

/// ID-JAG token exchange of `subject` by the primary client.
async fn exchange(e: &Env, subject: &str) -> Resp {
    let p = [
        (
            "grant_type",
            "urn:ietf:params:oauth:grant-type:token-exchange",
        ),
        ("subject_token", subject),
        ("subject_token_type", TT_ID_TOKEN),
        ("requested_token_type", TT_ID_JAG),
        ("audience", e.f.as_b_issuer.as_str()),
    ];
    e.post(&e.f.as_a_token_endpoint, &p, e.client(), None).await
}

/// ID-JAG token exchange of a fresh ID token with `extra` parameters, a DPoP proof optional.
async fn exchange_extra(e: &Env, extra: &[(&str, &str)], dpop: Option<String>) -> Resp {
    let st = id_token(e, e.client()).await;
    let mut p = vec![
        (
            "grant_type",
            "urn:ietf:params:oauth:grant-type:token-exchange",
        ),
        ("subject_token", st.as_str()),
        ("subject_token_type", TT_ID_TOKEN),
        ("requested_token_type", TT_ID_JAG),
    ];
    p.extend_from_slice(extra);
    e.post(&e.f.as_a_token_endpoint, &p, e.client(), dpop).await
}

async fn id_jag(e: &Env) -> Resp {
    let st = id_token(e, e.client()).await;
    exchange(e, &st).await
}

/// A harness ID-JAG: typed, for the primary client, with `overrides` (null removes).
fn harness_id_jag(e: &Env, overrides: Value) -> String {
    e.harness_grant_with_header(
        json!({"alg": "ES256", "kid": e.harness.kid(), "typ": "oauth-id-jag+jwt"}),
        overrides,
    )
}

pub async fn observe(f: Fault, faults: &[Fault]) -> bool {
    use Fault::*;
    let e = id_jag_env(faults).await;
    match f {
        IdJagTypMissing => {
            decode(id_jag(&e).await.token()).0.get("typ") != Some(&json!("oauth-id-jag+jwt"))
        }
        IdJagNoClientId => !decode(id_jag(&e).await.token()).1.contains_key("client_id"),
        IdJagAudTokenEndpoint => {
            decode(id_jag(&e).await.token()).1["aud"] != json!(e.f.as_b_issuer)
        }
        IdJagIssuedTypeJwt => id_jag(&e).await.json["issued_token_type"] != TT_ID_JAG,
        IdJagIdTokenAudUnchecked => {
            let foreign = id_token(&e, e.second_client()).await;
            exchange(&e, &foreign).await.status == 200
        }
        IdJagTypUnchecked => {
            let g = e.harness_grant_with_header(
                json!({"alg": "ES256", "kid": e.harness.kid(), "typ": "JWT"}),
                json!({}),
            );
            e.redeem(&g, &[], None).await.status == 200
        }
        IdJagClientIdOptional => {
            e.redeem(&harness_id_jag(&e, json!({"client_id": null})), &[], None)
                .await
                .status
                == 200
        }
        IdJagAudTokenEndpointAccepted => {
            let g = harness_id_jag(&e, json!({"aud": e.f.as_b_token_endpoint}));
            e.redeem(&g, &[], None).await.status == 200
        }
        IdJagNoGrantProfileMetadata => {
            e.get_json(&e.f.as_b_metadata_url).await.json["authorization_grant_profiles_supported"]
                .is_null()
        }
        IdJagAudMultiAccepted => {
            let g = harness_id_jag(
                &e,
                json!({"aud": [e.f.as_b_issuer, "https://other.example"]}),
            );
            e.redeem(&g, &[], None).await.status == 200
        }
        IdJagClientIdMismatchAccepted => {
            let g = harness_id_jag(&e, json!({"client_id": "someone-else"}));
            e.redeem(&g, &[], None).await.status == 200
        }
        IdJagRefreshToken => {
            let g = id_jag(&e).await;
            e.redeem(g.token(), &[], None)
                .await
                .json
                .get("refresh_token")
                .is_some()
        }
        IdJagTypJwt => decode(id_jag(&e).await.token()).0.get("typ") == Some(&json!("JWT")),
        IdJagTokenTypeBearer => id_jag(&e).await.json["token_type"] != "N_A",
        IdJagProfileWithoutJwtBearer => {
            let m = e.get_json(&e.f.as_b_metadata_url).await.json;
            !m["grant_types_supported"]
                .as_array()
                .is_some_and(|g| g.iter().any(|t| t == JB))
        }
        IdJagNoSubjectResolutionClaim => {
            let c = decode(id_jag(&e).await.token()).1;
            !c.contains_key("email") && !c.contains_key("aud_sub")
        }
        IdJagTypeRefused | IdJagAudienceIssuerRefused => id_jag(&e).await.status != 200,
        IdJagIdTokenSignatureUnchecked => {
            let st = id_token(&e, e.client()).await;
            let forged = tamper(&st, |c| c["nonce"] = json!("forged"));
            exchange(&e, &forged).await.status == 200
        }
        IdJagIdpRedeemsOwnIdJag => {
            let g = id_jag(&e).await;
            let p = [("grant_type", JB), ("assertion", g.token())];
            e.post(&e.f.as_a_token_endpoint, &p, e.client(), None)
                .await
                .json
                .get("access_token")
                .is_some()
        }
        IdJagCnfDropped | IdJagCnfAsRequestedCnf => {
            let key = EsKey::generate();
            let proof = e.token_proof(&key, &e.f.as_a_token_endpoint);
            let aud = e.f.as_b_issuer.clone();
            let x = exchange_extra(&e, &[("audience", &aud)], Some(proof)).await;
            let c = decode(x.token()).1;
            if f == IdJagCnfDropped {
                !c.contains_key("cnf")
            } else {
                c.contains_key("requested_cnf")
            }
        }
        IdJagCnfWithoutProofAccepted => {
            let jkt = EsKey::generate().thumbprint();
            let g = harness_id_jag(&e, json!({"cnf": {"jkt": jkt}}));
            e.redeem(&g, &[], None).await.status == 200
        }
        IdJagCnfMismatchAccepted => {
            let jkt = EsKey::generate().thumbprint();
            let g = harness_id_jag(&e, json!({"cnf": {"jkt": jkt}}));
            let proof = e.token_proof(&EsKey::generate(), &e.f.as_b_token_endpoint);
            e.redeem(&g, &[], Some(proof)).await.status == 200
        }
        IdJagResourceClaimDropped | IdJagResourceRefused | IdJagResourceIsAudience => {
            let (aud, res) = (e.f.as_b_issuer.clone(), e.f.rs_resource.clone());
            let x = exchange_extra(&e, &[("audience", &aud), ("resource", &res)], None).await;
            match f {
                IdJagResourceRefused => x.status != 200,
                IdJagResourceClaimDropped => !decode(x.token()).1.contains_key("resource"),
                _ => decode(x.token()).1.get("resource") == Some(&json!(aud)),
            }
        }
        IdJagAliasInAud => {
            let alias = e.f.as_b_audience_alias.clone();
            let x = exchange_extra(&e, &[("audience", &alias)], None).await;
            decode(x.token()).1["aud"] != json!(e.f.as_b_issuer)
        }
        IdJagProfileWithoutGrantTypes => e.get_json(&e.f.as_b_metadata_url).await.json
            ["grant_types_supported"]
            .is_null(),
        IdJagTypeNotAdvertised => !e.get_json(&e.f.as_a_metadata_url).await.json
            ["identity_chaining_requested_token_types_supported"]
            .as_array()
            .is_some_and(|t| t.iter().any(|t| t == TT_ID_JAG)),
        IdJagScopeClaimNarrowed => {
            let x = id_jag(&e).await;
            let claim = decode(x.token()).1["scope"].clone();
            x.json["scope"].is_string() && claim != x.json["scope"]
        }
        IdJagIdpExchangesOwnIdJag => {
            let g = id_jag(&e).await;
            let p = [
                (
                    "grant_type",
                    "urn:ietf:params:oauth:grant-type:token-exchange",
                ),
                ("subject_token", g.token()),
                ("subject_token_type", TT_ID_JAG),
                (
                    "requested_token_type",
                    "urn:ietf:params:oauth:token-type:access_token",
                ),
            ];
            let r = e.post(&e.f.as_a_token_endpoint, &p, e.client(), None).await;
            r.status == 200 && r.json["token_type"] != "N_A"
        }
        other => unreachable!("{other} is not an ID-JAG fault"),
    }
}

#[tokio::test]
async fn the_id_jag_chain_works_and_follows_the_profile() {
    let e = id_jag_env(&[]).await;
    let x = id_jag(&e).await;
    assert_eq!(x.status, 200, "{}", x.text);
    assert_eq!(x.json["issued_token_type"], TT_ID_JAG);
    assert_eq!(x.json["token_type"], "N_A");
    let (header, claims) = decode(x.token());
    assert_eq!(header["typ"], "oauth-id-jag+jwt");
    assert_eq!(claims["aud"], json!(e.f.as_b_issuer));
    for c in ["client_id", "jti", "exp", "iat", "sub", "iss"] {
        assert!(claims.contains_key(c), "{c}");
    }
    let r = e.redeem(x.token(), &[], None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.json.get("refresh_token").is_none());
    let at = r.token().to_owned();
    assert_eq!(e.rs_get("Bearer", &at, None).await.status, 200);
    let meta = e.get_json(&e.f.as_b_metadata_url).await.json;
    assert_eq!(
        meta["authorization_grant_profiles_supported"],
        json!(["urn:ietf:params:oauth:grant-profile:id-jag"])
    );
    // requested_token_type id-jag is required.
    let st = id_token(&e, e.client()).await;
    let p = [
        (
            "grant_type",
            "urn:ietf:params:oauth:grant-type:token-exchange",
        ),
        ("subject_token", st.as_str()),
        ("subject_token_type", TT_ID_TOKEN),
        ("audience", e.f.as_b_issuer.as_str()),
    ];
    assert_error(
        &e.post(&e.f.as_a_token_endpoint, &p, e.client(), None).await,
        400,
        "invalid_request",
    );
}

/// The `idp-requires-resource` variant (MCP enterprise-managed authorization): an ID-JAG
/// exchange without `resource` is refused, one naming the protected resource beside
/// `audience` succeeds and carries it.
#[tokio::test]
async fn the_idp_requires_resource_variant_refuses_an_exchange_without_it() {
    let e = start(MockOptions {
        profile: MockProfile::IdJag,
        variants: vec![mock_as::Variant::IdpRequiresResource],
        ..MockOptions::default()
    })
    .await;
    let aud = e.f.as_b_issuer.clone();
    let without = exchange_extra(&e, &[("audience", &aud)], None).await;
    assert_error(&without, 400, "invalid_request");
    let res = e.f.rs_resource.clone();
    let with = exchange_extra(&e, &[("audience", &aud), ("resource", &res)], None).await;
    assert_eq!(with.status, 200, "{}", with.text);
    assert_eq!(decode(with.token()).1["resource"], json!(res));
}

//! The Ena mode (`MockProfile::Ena`): the conformant pair follows the Ena chaining profile's
//! same-domain and cross-domain rules, and every Ena fault breaks exactly the rule it names.

use crate::common::*;
use mock_as::testkit::{EsKey, jose, now};
use mock_as::{Fault, MockOptions, MockProfile};
use rstest::rstest;
use serde_json::{Value, json};

async fn ena_env(faults: &[Fault]) -> Env {
    start(MockOptions {
        faults: faults.to_vec(),
        profile: MockProfile::Ena,
        ..MockOptions::default()
    })
    .await
}

/// Same-domain exchange of the primary user's token for the second API.
async fn same_domain(e: &Env, subject: &str, extra: &[(&str, &str)], dpop: Option<String>) -> Resp {
    let mut p = vec![
        ("requested_token_type", TT_AT),
        ("audience", e.f.same_domain_resource.as_str()),
    ];
    p.extend_from_slice(extra);
    e.exchange_with(subject, &p, dpop).await
}

/// A token request at AS-A authenticated by the private_key_jwt client with `assertion`.
async fn jwt_client_request(e: &Env, assertion: &str, with_client_id: bool) -> Resp {
    let id = e.f.jwt_client_id.clone().unwrap();
    let mut p = vec![
        ("grant_type", "client_credentials"),
        (
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        ),
        ("client_assertion", assertion),
    ];
    if with_client_id {
        p.push(("client_id", &id));
    }
    e.post(&e.f.as_a_token_endpoint, &p, Auth::None, None).await
}

/// A client assertion signed by the private_key_jwt client's key with `header` and `claims`
/// merged over a valid Ena assertion.
fn client_assertion(e: &Env, header: Value, claims: Value) -> String {
    let key = EsKey::from_pkcs8_pem(mock_as::JWT_CLIENT_KEY_PEM).unwrap();
    let id = e.f.jwt_client_id.clone().unwrap();
    let t = now();
    let mut h = json!({"alg": "ES256", "kid": key.kid(), "typ": "client-authentication+jwt"});
    let mut c = json!({"iss": id, "sub": id, "aud": e.f.as_a_issuer, "iat": t, "exp": t + 60,
                       "jti": uuid::Uuid::new_v4().to_string()});
    for (target, over) in [(&mut h, header), (&mut c, claims)] {
        for (k, v) in over.as_object().cloned().unwrap_or_default() {
            if v.is_null() {
                target.as_object_mut().unwrap().remove(&k);
            } else {
                target[k] = v;
            }
        }
    }
    jose::sign(&key, &h, &c)
}

/// Whether the behaviour `f` breaks shows on a pair in the Ena mode with `faults`.
async fn observe(f: Fault, faults: &[Fault]) -> bool {
    use Fault::*;
    let e = ena_env(faults).await;
    let f_ = &e.f;
    match f {
        EnaSameDomainWrongAud => {
            let st = e.user_token().await;
            let r = same_domain(&e, &st, &[], None).await;
            !decode(r.token()).1["aud"]
                .as_array()
                .unwrap()
                .contains(&json!(f_.same_domain_resource))
        }
        EnaSameDomainRefreshToken => {
            let st = e.user_token().await;
            same_domain(&e, &st, &[], None)
                .await
                .json
                .get("refresh_token")
                .is_some()
        }
        EnaSameDomainUnregisteredTarget => {
            let st = e.user_token().await;
            let p = [
                ("requested_token_type", TT_AT),
                ("audience", "https://unregistered.example/api"),
            ];
            e.exchange_with(&st, &p, None).await.status == 200
        }
        EnaSameDomainIgnoresDpop => {
            let st = e.user_token().await;
            let key = EsKey::generate();
            let r = same_domain(
                &e,
                &st,
                &[],
                Some(e.token_proof(&key, &f_.as_a_token_endpoint)),
            )
            .await;
            decode(r.token()).1.get("cnf").is_none()
        }
        EnaRequestedTokenTypeIgnored => {
            let st = e.user_token().await;
            let p = [
                ("requested_token_type", TT_AT),
                ("audience", f_.as_b_issuer.as_str()),
            ];
            e.exchange_with(&st, &p, None).await.json["issued_token_type"] == json!(TT_JWT)
        }
        EnaActNotNested => {
            let st = e.user_token().await;
            let t1 = same_domain(&e, &st, &[], None).await.token().to_owned();
            let t2 = e
                .exchange_with(
                    &t1,
                    &[
                        ("requested_token_type", TT_AT),
                        ("audience", &format!("{}/api", f_.as_a_issuer)),
                    ],
                    None,
                )
                .await;
            decode(t2.token()).1["act"].get("act").is_none()
        }
        EnaDropAuthContext => {
            let st = e.user_token().await;
            let r = same_domain(&e, &st, &[], None).await;
            let g = e.exchange(&[]).await;
            decode(r.token()).1.get("acr").is_none()
                || decode(g.token()).1.get("auth_time").is_none()
        }
        EnaGrantNoAct => decode(e.exchange(&[]).await.token()).1.get("act").is_none(),
        EnaAcceptUntypedClientAssertion => {
            let ca = client_assertion(&e, json!({"typ": null}), json!({}));
            jwt_client_request(&e, &ca, true).await.status == 200
        }
        EnaAcceptMultiAudClientAssertion => {
            let ca = client_assertion(
                &e,
                json!({}),
                json!({"aud": [f_.as_a_issuer, f_.as_a_token_endpoint]}),
            );
            jwt_client_request(&e, &ca, true).await.status == 200
        }
        EnaClientIdOptional => {
            let ca = client_assertion(&e, json!({}), json!({}));
            jwt_client_request(&e, &ca, false).await.status == 200
        }
        EnaAcceptGrantWithoutJti => {
            e.redeem(&e.harness_grant(json!({"jti": null})), &[], None)
                .await
                .status
                == 200
        }
        EnaAcceptGrantWithoutClientId => {
            e.redeem(&e.harness_grant(json!({"client_id": null})), &[], None)
                .await
                .status
                == 200
        }
        EnaAcceptGrantExtraAud => {
            let g = e.harness_grant(json!({"aud": [f_.as_b_issuer, "https://as-c.example"]}));
            e.redeem(&g, &[], None).await.status == 200
        }
        EnaAcceptTokenEndpointAud => {
            let g = e.harness_grant(json!({"aud": f_.as_b_token_endpoint}));
            e.redeem(&g, &[], None).await.status == 200
        }
        EnaAsBAnonymousClient => {
            let g = e.grant().await;
            let p = [("grant_type", JB), ("assertion", g.as_str())];
            e.post(&f_.as_b_token_endpoint, &p, Auth::None, None)
                .await
                .status
                == 200
        }
        EnaAsBNoExpiresIn => {
            let at = e.redeem(&e.grant().await, &[], None).await;
            at.status == 200 && at.json.get("expires_in").is_none()
        }
        EnaClientCredentialsNoExpiresIn => client_credentials(&e)
            .await
            .json
            .get("expires_in")
            .is_none(),
        EnaClientCredentialsRefreshToken => client_credentials(&e)
            .await
            .json
            .get("refresh_token")
            .is_some(),
        EnaAsBDropsUnknownResource => {
            let g = e.grant().await;
            let p = [("resource", f_.rs_resource.as_str()), ("resource", UNKNOWN)];
            e.redeem(&g, &p, None).await.status == 200
        }
        EnaSameDomainDropsUnknownResource => {
            let st = e.user_token().await;
            let p = [
                ("requested_token_type", TT_AT),
                ("resource", f_.same_domain_resource.as_str()),
                ("resource", UNKNOWN),
            ];
            e.exchange_with(&st, &p, None).await.status == 200
        }
        EnaSameDomainScopeEscalation => {
            let st = e.user_token().await;
            let p = [("scope", f_.escalation_scope.as_str())];
            same_domain(&e, &st, &p, None).await.status == 200
        }
        EnaGrantScopeEscalation => {
            let p = [("scope", f_.escalation_scope.as_str())];
            e.exchange(&p).await.status == 200
        }
        EnaGrantNoScope => decode(&e.grant().await).1.get("scope").is_none(),
        EnaGrantScopeEmpty => decode(&e.grant().await).1["scope"] == json!(""),
        EnaUserTokenAudWithoutIssuer | EnaUserTokenAudTokenEndpoint => {
            let aud = decode(&e.user_token().await).1["aud"].clone();
            !aud.as_array().unwrap().contains(&json!(f_.as_a_issuer))
        }
        EnaClientAssertionSubUnchecked => {
            let ca = client_assertion(&e, json!({}), json!({"sub": "someone-else"}));
            jwt_client_request(&e, &ca, true).await.status == 200
        }
        EnaClientIdParamTrusted => {
            let other = json!({"iss": "other-client", "sub": "other-client"});
            let ca = client_assertion(&e, json!({}), other);
            jwt_client_request(&e, &ca, true).await.status == 200
        }
        EnaAsBActTruncated | EnaAsBActReplaced => {
            let act = json!({"sub": "actor-1", "act": {"sub": "actor-0"}});
            let g = e.harness_grant(json!({ "act": act }));
            let at = e.redeem(&g, &[], None).await;
            decode(at.token()).1["act"] != act
        }
        EnaJwksWeakRsaKey | EnaAsBJwksWeakRsaKey => {
            let url = if f == EnaJwksWeakRsaKey {
                &f_.as_a_jwks_uri
            } else {
                &f_.as_b_jwks_uri
            };
            let keys = e.get_json(url).await.json["keys"].clone();
            keys.as_array()
                .unwrap()
                .iter()
                .any(|k| k["kty"] == json!("RSA"))
        }
        EnaClientSecretMethods | EnaAsBClientSecretMethods => {
            let url = if f == EnaClientSecretMethods {
                &f_.as_a_metadata_url
            } else {
                &f_.as_b_metadata_url
            };
            let m = e.get_json(url).await.json;
            m["token_endpoint_auth_methods_supported"]
                .as_array()
                .unwrap()
                .contains(&json!("client_secret_basic"))
        }
        EnaMetadataNoScopesSupported => {
            let m = e.get_json(&f_.as_a_metadata_url).await.json;
            m.get("scopes_supported").is_none()
        }
        EnaDropAuthTime => {
            let st = e.user_token().await;
            let c = decode(same_domain(&e, &st, &[], None).await.token()).1;
            c.get("acr").is_some() && c.get("auth_time").is_none()
        }
        EnaSameDomainWrongSub => {
            let st = e.user_token().await;
            let c = decode(same_domain(&e, &st, &[], None).await.token()).1;
            c["sub"] != json!(f_.user_sub)
        }
        EnaSameDomainNoExpiresIn => {
            let st = e.user_token().await;
            let r = same_domain(&e, &st, &[], None).await;
            r.status == 200 && r.json.get("expires_in").is_none()
        }
        EnaSameDomainDpopTokenTypeBearer => {
            let st = e.user_token().await;
            let key = EsKey::generate();
            let proof = e.token_proof(&key, &f_.as_a_token_endpoint);
            let r = same_domain(&e, &st, &[], Some(proof)).await;
            r.json["token_type"] == json!("Bearer")
        }
        EnaActSubNotRequester => {
            let st = e.user_token().await;
            let c = decode(same_domain(&e, &st, &[], None).await.token()).1;
            c["act"]["sub"] != c["client_id"]
        }
        EnaSameDomainTypJwt => {
            let st = e.user_token().await;
            decode(same_domain(&e, &st, &[], None).await.token()).0["typ"] != json!("at+jwt")
        }
        EnaSameDomainIssTokenEndpoint => {
            let st = e.user_token().await;
            decode(same_domain(&e, &st, &[], None).await.token()).1["iss"] != json!(f_.as_a_issuer)
        }
        EnaSameDomainIssuedTypeJwt => {
            let st = e.user_token().await;
            same_domain(&e, &st, &[], None).await.json["issued_token_type"] != json!(TT_AT)
        }
        EnaGrantIssuedTypeAccessToken | EnaGrantTokenTypeBearer => {
            let r = e.exchange(&[("requested_token_type", TT_JWT)]).await;
            r.json["issued_token_type"] != json!(TT_JWT) || r.json["token_type"] != json!("N_A")
        }
        EnaGrantNoClientId | EnaGrantNoJti => {
            let r = e.exchange(&[("requested_token_type", TT_JWT)]).await;
            let c = decode(r.token()).1;
            c.get("client_id").is_none() || c.get("jti").is_none()
        }
        EnaSameDomainDefaultTarget | EnaSameDomainNoTargetInvalidTarget => {
            let st = e.user_token().await;
            let r = e
                .exchange_with(&st, &[("requested_token_type", TT_AT)], None)
                .await;
            r.json["error"] != json!("invalid_request")
        }
        EnaJwtRequestForApiIssuesAccessToken => {
            let st = e.user_token().await;
            let p = [
                ("requested_token_type", TT_JWT),
                ("audience", f_.same_domain_resource.as_str()),
            ];
            e.exchange_with(&st, &p, None).await.json["issued_token_type"] == json!(TT_AT)
        }
        EnaInferSameDomainForAs | EnaNoRequestedTypeInvalidTarget => {
            let st = e.user_token().await;
            let p = [("audience", f_.as_b_issuer.as_str())];
            let r = e.exchange_with(&st, &p, None).await;
            if r.status == 200 {
                r.json["issued_token_type"] != json!(TT_JWT)
            } else {
                r.json["error"] != json!("invalid_request")
            }
        }
        EnaSecondHopRefreshToken => {
            let st = e.user_token().await;
            let t1 = same_domain(&e, &st, &[], None).await;
            let t2 = same_domain(&e, t1.token(), &[], None).await;
            t1.json.get("refresh_token").is_none() && t2.json.get("refresh_token").is_some()
        }
        EnaGrantActSubIsUser => {
            let c = decode(&e.grant().await).1;
            c["act"]["sub"] != json!(f_.client_id)
        }
        EnaMetadataExtraAuthMethod => {
            let m = e.get_json(&f_.as_a_metadata_url).await.json;
            let allowed = [
                "private_key_jwt",
                "tls_client_auth",
                "self_signed_tls_client_auth",
            ];
            m["token_endpoint_auth_methods_supported"]
                .as_array()
                .unwrap()
                .iter()
                .any(|v| !allowed.iter().any(|a| v == a))
        }
        EnaClientAssertionReplayByText => {
            let jti = uuid::Uuid::new_v4().to_string();
            let first = client_assertion(&e, json!({}), json!({ "jti": jti }));
            let t = now();
            let again = client_assertion(&e, json!({}), json!({ "jti": jti, "exp": t + 90 }));
            jwt_client_request(&e, &first, true).await.status == 200
                && jwt_client_request(&e, &again, true).await.status == 200
        }
        EnaAcceptForeignIssuerSubject => {
            let at = e.redeem(&e.grant().await, &[], None).await;
            let p = [
                ("resource", f_.as_b_issuer.as_str()),
                ("requested_token_type", TT_JWT),
            ];
            e.exchange_with(at.token(), &p, None).await.status == 200
        }
        EnaSameDomainResourceUnchecked => {
            let st = e.user_token().await;
            let p = [("requested_token_type", TT_AT), ("resource", UNKNOWN)];
            e.exchange_with(&st, &p, None).await.status == 200
        }
        other => panic!("{other} is not an Ena-mode fault"),
    }
}

/// A resource no server here can map.
const UNKNOWN: &str = "https://unknown.chainproof.invalid/api";

/// The primary client's client-credentials token response at AS-A.
async fn client_credentials(e: &Env) -> Resp {
    let p = [("grant_type", "client_credentials")];
    e.post(&e.f.as_a_token_endpoint, &p, e.client(), None).await
}

#[rstest]
#[case(Fault::EnaSameDomainWrongAud)]
#[case(Fault::EnaSameDomainRefreshToken)]
#[case(Fault::EnaSameDomainUnregisteredTarget)]
#[case(Fault::EnaSameDomainIgnoresDpop)]
#[case(Fault::EnaRequestedTokenTypeIgnored)]
#[case(Fault::EnaActNotNested)]
#[case(Fault::EnaDropAuthContext)]
#[case(Fault::EnaGrantNoAct)]
#[case(Fault::EnaAcceptUntypedClientAssertion)]
#[case(Fault::EnaAcceptMultiAudClientAssertion)]
#[case(Fault::EnaClientIdOptional)]
#[case(Fault::EnaAcceptGrantWithoutJti)]
#[case(Fault::EnaAcceptGrantWithoutClientId)]
#[case(Fault::EnaAcceptGrantExtraAud)]
#[case(Fault::EnaAcceptTokenEndpointAud)]
#[case(Fault::EnaAsBAnonymousClient)]
#[case(Fault::EnaDropAuthTime)]
#[case(Fault::EnaSameDomainWrongSub)]
#[case(Fault::EnaSameDomainNoExpiresIn)]
#[case(Fault::EnaSameDomainDpopTokenTypeBearer)]
#[case(Fault::EnaActSubNotRequester)]
#[case(Fault::EnaAsBNoExpiresIn)]
#[case(Fault::EnaClientCredentialsNoExpiresIn)]
#[case(Fault::EnaClientCredentialsRefreshToken)]
#[case(Fault::EnaAsBDropsUnknownResource)]
#[case(Fault::EnaSameDomainDropsUnknownResource)]
#[case(Fault::EnaSameDomainScopeEscalation)]
#[case(Fault::EnaGrantScopeEscalation)]
#[case(Fault::EnaGrantNoScope)]
#[case(Fault::EnaGrantScopeEmpty)]
#[case(Fault::EnaUserTokenAudWithoutIssuer)]
#[case(Fault::EnaUserTokenAudTokenEndpoint)]
#[case(Fault::EnaClientAssertionSubUnchecked)]
#[case(Fault::EnaClientIdParamTrusted)]
#[case(Fault::EnaAsBActTruncated)]
#[case(Fault::EnaAsBActReplaced)]
#[case(Fault::EnaJwksWeakRsaKey)]
#[case(Fault::EnaAsBJwksWeakRsaKey)]
#[case(Fault::EnaClientSecretMethods)]
#[case(Fault::EnaAsBClientSecretMethods)]
#[case(Fault::EnaMetadataNoScopesSupported)]
#[case(Fault::EnaSameDomainTypJwt)]
#[case(Fault::EnaSameDomainIssTokenEndpoint)]
#[case(Fault::EnaSameDomainIssuedTypeJwt)]
#[case(Fault::EnaGrantIssuedTypeAccessToken)]
#[case(Fault::EnaGrantTokenTypeBearer)]
#[case(Fault::EnaGrantNoClientId)]
#[case(Fault::EnaGrantNoJti)]
#[case(Fault::EnaSameDomainDefaultTarget)]
#[case(Fault::EnaSameDomainNoTargetInvalidTarget)]
#[case(Fault::EnaJwtRequestForApiIssuesAccessToken)]
#[case(Fault::EnaInferSameDomainForAs)]
#[case(Fault::EnaNoRequestedTypeInvalidTarget)]
#[case(Fault::EnaSecondHopRefreshToken)]
#[case(Fault::EnaGrantActSubIsUser)]
#[case(Fault::EnaMetadataExtraAuthMethod)]
#[case(Fault::EnaClientAssertionReplayByText)]
#[case(Fault::EnaAcceptForeignIssuerSubject)]
#[case(Fault::EnaSameDomainResourceUnchecked)]
#[tokio::test]
async fn ena_fault_is_observable(#[case] fault: Fault) {
    assert_eq!(fault.mode(), MockProfile::Ena);
    assert!(
        !observe(fault, &[]).await,
        "conformant Ena pair already shows the behaviour {fault} breaks"
    );
    assert!(
        observe(fault, &[fault]).await,
        "fault {fault} did not change the behaviour it names"
    );
}

#[tokio::test]
async fn ena_same_domain_token_and_chain() {
    let e = ena_env(&[]).await;
    let st = e.user_token().await;
    let r = same_domain(&e, &st, &[], None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["issued_token_type"], json!(TT_AT));
    assert_eq!(r.json["token_type"], json!("Bearer"));
    let (h, c) = decode(r.token());
    assert_eq!(h["typ"], json!("at+jwt"));
    assert_eq!(c["client_id"], json!(e.f.client_id));
    assert_eq!(c["act"], json!({"sub": e.f.client_id}));
    assert_eq!(c["sub"], json!(e.f.user_sub));
    // The cross-domain chain still works in the Ena mode, and a grant carries act and jti.
    let g = e.grant().await;
    let gc = decode(&g).1;
    assert_eq!(gc["act"], json!({"sub": e.f.client_id}));
    assert!(gc.get("jti").is_some() && gc.get("acr").is_some());
    let at = e.redeem(&g, &[], None).await;
    assert_eq!(at.status, 200, "{}", at.text);
    // The conflict of the two Ena documents over aud: [issuer, token endpoint] is accepted.
    let both = e.harness_grant(json!({"aud": [e.f.as_b_issuer, e.f.as_b_token_endpoint]}));
    assert_eq!(e.redeem(&both, &[], None).await.status, 200);
    // A typed single-aud client assertion with client_id authenticates.
    let ca = client_assertion(&e, json!({}), json!({}));
    assert_eq!(jwt_client_request(&e, &ca, true).await.status, 200);
    // Ena OAuth profile §8.3: no client secrets; the right one no longer authenticates, at
    // either server, and neither lists a secret method.
    let cc = [("grant_type", "client_credentials")];
    let basic = Auth::Basic(&e.f.client_id, &e.f.client_secret);
    assert_eq!(
        e.post(&e.f.as_a_token_endpoint, &cc, basic, None)
            .await
            .status,
        401
    );
    let (b_id, b_secret) = e.f.as_b_client.clone().unwrap();
    let r = e
        .redeem_as(&e.grant().await, Auth::Post(&b_id, &b_secret))
        .await;
    assert_eq!(r.json["error"], json!("invalid_client"), "{}", r.text);
    for url in [&e.f.as_a_metadata_url, &e.f.as_b_metadata_url] {
        let m = e.get_json(url).await.json;
        assert_eq!(
            m["token_endpoint_auth_methods_supported"],
            json!(["private_key_jwt"])
        );
    }
}

//! The conformant chain end to end: user token → exchange → jwt-bearer → RS-B.

use crate::common::*;
use mock_as::testkit::now;
use mock_as::testkit::{EsKey, public_key_from_jwk};
use mock_as::testkit::{jose, make_proof};
use mock_as::{MockConfig, MockOptions};
use serde_json::{Value, json};

async fn verify_with_jwks(env: &Env, jwks_uri: &str, token: &str) -> bool {
    let jwks = env.get_json(jwks_uri).await.json;
    let j = jose::parse(token).unwrap();
    jwks["keys"].as_array().unwrap().iter().any(|k| {
        k["kid"].as_str() == j.kid()
            && public_key_from_jwk(k).unwrap().verify(
                j.alg().unwrap_or_default(),
                j.signing_input.as_bytes(),
                &j.signature,
            )
    })
}

#[tokio::test]
async fn metadata_documents() {
    let env = env().await;
    let a = env.get_json(&env.f.as_a_metadata_url).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.json["issuer"], json!(env.f.as_a_issuer));
    assert_eq!(a.json["token_endpoint"], json!(env.f.as_a_token_endpoint));
    assert_eq!(a.json["jwks_uri"], json!(env.f.as_a_jwks_uri));
    for g in [TE, "password", "client_credentials"] {
        assert!(
            a.json["grant_types_supported"]
                .as_array()
                .unwrap()
                .contains(&json!(g))
        );
    }
    assert_eq!(
        a.json["identity_chaining_requested_token_types_supported"],
        json!([TT_JWT])
    );
    assert_eq!(
        a.json["token_endpoint_auth_signing_alg_values_supported"],
        json!(["ES256"])
    );
    assert_eq!(
        a.json["dpop_signing_alg_values_supported"],
        json!(["ES256"])
    );
    let b = env.get_json(&env.f.as_b_metadata_url).await;
    assert_eq!(b.json["issuer"], json!(env.f.as_b_issuer));
    assert_eq!(b.json["grant_types_supported"], json!([JB]));
    let rs = env.get_json(&env.f.rs_metadata_url).await;
    assert_eq!(rs.json["resource"], json!(env.f.rs_resource));
    assert_eq!(rs.json["authorization_servers"], json!([env.f.as_b_issuer]));
    for uri in [&env.f.as_a_jwks_uri, &env.f.as_b_jwks_uri] {
        let jwks = env.get_json(uri).await.json;
        let k = &jwks["keys"][0];
        assert_eq!(
            (k["kty"].as_str(), k["crv"].as_str()),
            (Some("EC"), Some("P-256"))
        );
        assert!(k["kid"].is_string());
        assert!(k.get("d").is_none());
    }
}

#[tokio::test]
async fn bearer_chain() {
    let env = env().await;
    let st = env.user_token().await;
    let (h, c) = decode(&st);
    assert_eq!(h["typ"], "at+jwt");
    assert_eq!(c["sub"], json!(env.f.user_sub));
    assert_eq!(c["aud"], json!(format!("{}/api", env.f.as_a_issuer)));

    let x = env
        .exchange_with(&st, &[("resource", &env.f.as_b_issuer)], None)
        .await;
    assert_eq!(x.status, 200, "{}", x.text);
    assert_eq!(x.json["issued_token_type"], TT_JWT);
    assert_eq!(x.json["token_type"], "N_A");
    assert_eq!(x.json["expires_in"], 60);
    assert!(x.json.get("refresh_token").is_none());
    assert_eq!(x.header("cache-control"), Some("no-store"));
    assert_eq!(x.header("pragma"), Some("no-cache"));
    let grant = x.token();
    let (h, c) = decode(grant);
    assert_eq!(
        Value::Object(h.clone()),
        json!({"alg": "ES256", "kid": h["kid"]}),
        "no typ, like the -17 example"
    );
    assert_eq!(c["iss"], json!(env.f.as_a_issuer));
    assert_eq!(c["sub"], json!(env.f.user_sub));
    assert_eq!(c["aud"], json!(env.f.as_b_issuer));
    assert_eq!(c["client_id"], json!(env.f.client_id));
    assert_eq!(c["scope"], "read write");
    assert_eq!(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(), 60);
    assert!(c["jti"].is_string());
    assert!(verify_with_jwks(&env, &env.f.as_a_jwks_uri, grant).await);

    let r = env.redeem(grant, &[], None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["token_type"], "Bearer");
    assert!(r.json.get("refresh_token").is_none());
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let expires_in = r.json["expires_in"].as_i64().unwrap();
    assert!(
        expires_in <= 120 && expires_in > 0,
        "expires_in {expires_in} within grant validity + 60"
    );
    let at = r.token();
    let (h, c) = decode(at);
    assert_eq!(h["typ"], "at+jwt");
    assert_eq!(c["iss"], json!(env.f.as_b_issuer));
    assert_eq!(c["sub"], json!(env.f.user_sub_at_b));
    assert_eq!(c["aud"], json!(env.f.rs_resource));
    assert_eq!(c["client_id"], json!(env.f.client_id));
    for claim in ["iat", "exp", "jti", "scope"] {
        assert!(c.contains_key(claim), "{claim}");
    }
    assert!(verify_with_jwks(&env, &env.f.as_b_jwks_uri, at).await);

    let rs = env.rs_get("Bearer", at, None).await;
    assert_eq!(rs.status, 200, "{}", rs.text);
    assert_eq!(
        rs.json,
        json!({"sub": env.f.user_sub_at_b, "scope": "read write", "client_id": env.f.client_id})
    );
}

#[tokio::test]
async fn dpop_chain_requested_cnf_to_cnf() {
    let env = env().await;
    let key = EsKey::generate();
    let st = env.user_token().await;
    let proof = env.token_proof(&key, &env.f.as_a_token_endpoint);
    let x = env
        .exchange_with(&st, &[("resource", &env.f.as_b_issuer)], Some(proof))
        .await;
    assert_eq!(x.status, 200, "{}", x.text);
    let (_, c) = decode(x.token());
    assert_eq!(c["requested_cnf"], json!({"jkt": key.thumbprint()}));

    let r = env
        .redeem(
            x.token(),
            &[],
            Some(env.token_proof(&key, &env.f.as_b_token_endpoint)),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["token_type"], "DPoP");
    let at = r.token().to_owned();
    assert_eq!(decode(&at).1["cnf"], json!({"jkt": key.thumbprint()}));

    let ok = env
        .rs_get(
            "DPoP",
            &at,
            Some(make_proof(&key, "GET", &env.f.rs_url, Some(&at), now())),
        )
        .await;
    assert_eq!(ok.status, 200, "{}", ok.text);
    let bearer = env.rs_get("Bearer", &at, None).await;
    assert_eq!(bearer.status, 401);
    let other = EsKey::generate();
    let wrong = env
        .rs_get(
            "DPoP",
            &at,
            Some(make_proof(&other, "GET", &env.f.rs_url, Some(&at), now())),
        )
        .await;
    assert_eq!(wrong.status, 401);
    let no_ath = env
        .rs_get(
            "DPoP",
            &at,
            Some(make_proof(&key, "GET", &env.f.rs_url, None, now())),
        )
        .await;
    assert_eq!(no_ath.status, 401);
}

#[tokio::test]
async fn proof_without_requested_cnf_binds_to_proof_key() {
    let env = env().await;
    let key = EsKey::generate();
    let g = env.grant().await;
    let r = env
        .redeem(
            &g,
            &[],
            Some(env.token_proof(&key, &env.f.as_b_token_endpoint)),
        )
        .await;
    assert_eq!(r.json["token_type"], "DPoP", "{}", r.text);
    assert_eq!(decode(r.token()).1["cnf"]["jkt"], json!(key.thumbprint()));
}

#[tokio::test]
async fn target_forms_all_name_as_b() {
    let env = env().await;
    let f = env.f.clone();
    for params in [
        vec![("resource", f.as_b_issuer.as_str())],
        vec![("resource", f.as_b_token_endpoint.as_str())],
        vec![("audience", f.as_b_issuer.as_str())],
        vec![("audience", f.as_b_audience_alias.as_str())],
        vec![
            ("audience", f.as_b_audience_alias.as_str()),
            ("resource", f.as_b_issuer.as_str()),
        ],
        vec![
            ("resource", f.as_b_issuer.as_str()),
            ("requested_token_type", TT_JWT),
        ],
    ] {
        let st = env.user_token().await;
        let x = env.exchange_with(&st, &params, None).await;
        assert_eq!(x.status, 200, "{params:?}: {}", x.text);
        assert_eq!(
            decode(x.token()).1["aud"],
            json!(f.as_b_issuer),
            "{params:?}"
        );
    }
}

#[tokio::test]
async fn as_c_grant_is_minted_but_refused_at_as_b() {
    let env = env().await;
    let as_c = env.f.as_c.clone().unwrap();
    let st = env.user_token().await;
    let x = env.exchange_with(&st, &[("audience", &as_c)], None).await;
    assert_eq!(x.status, 200, "{}", x.text);
    assert_eq!(decode(x.token()).1["aud"], json!(as_c));
    assert_error(
        &env.redeem(x.token(), &[], None).await,
        400,
        "invalid_grant",
    );
}

#[tokio::test]
async fn client_auth_methods() {
    let env = env().await;
    let (u, p) = env.f.user.clone();
    // client_secret_post
    let t = env
        .password_token(&u, &p, Auth::Post(&env.f.client_id, &env.f.client_secret))
        .await;
    assert!(!t.is_empty());
    // private_key_jwt with the fixture key, aud = issuer and aud = token endpoint
    let key = EsKey::from_pkcs8_pem(mock_as::JWT_CLIENT_KEY_PEM).unwrap();
    let id = env.f.jwt_client_id.clone().unwrap();
    for aud in [&env.f.as_a_issuer, &env.f.as_a_token_endpoint] {
        let ca = mock_as::testkit::make_client_assertion(&key, &id, aud, now());
        let r = env
            .post(
                &env.f.as_a_token_endpoint,
                &[
                    ("grant_type", "client_credentials"),
                    (
                        "client_assertion_type",
                        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                    ),
                    ("client_assertion", &ca),
                ],
                Auth::None,
                None,
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(decode(r.token()).1["client_id"], json!(id));
        // replayed client assertion
        let again = env
            .post(
                &env.f.as_a_token_endpoint,
                &[
                    ("grant_type", "client_credentials"),
                    (
                        "client_assertion_type",
                        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                    ),
                    ("client_assertion", &ca),
                ],
                Auth::None,
                None,
            )
            .await;
        assert_error(&again, 401, "invalid_client");
    }
    // client_credentials token cannot be a subject token (no user)
    let cc = env
        .post(
            &env.f.as_a_token_endpoint,
            &[("grant_type", "client_credentials")],
            env.client(),
            None,
        )
        .await;
    assert_eq!(cc.status, 200);
    let x = env
        .exchange_with(cc.token(), &[("resource", &env.f.as_b_issuer)], None)
        .await;
    assert_error(&x, 400, "invalid_request");
}

#[tokio::test]
async fn harness_issuer_grant_accepted() {
    let env = env().await;
    let g = env.harness_grant(json!({}));
    let r = env.redeem(&g, &[], None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(decode(r.token()).1["sub"], json!(env.f.user_sub_at_b));
    // aud as the token endpoint and as an array are accepted too
    for aud in [json!(env.f.as_b_token_endpoint), json!([env.f.as_b_issuer])] {
        let r = env
            .redeem(&env.harness_grant(json!({ "aud": aud })), &[], None)
            .await;
        assert_eq!(r.status, 200, "{aud}: {}", r.text);
    }
}

#[tokio::test]
async fn trusted_issuer_by_jwks_uri_is_fetched() {
    // Another pair's AS-A (minting for any target) plays a jwks_uri-trusted domain A.
    let other = env_with(&[mock_as::Fault::AcceptUnknownAudience]).await;
    let env = start(MockOptions {
        extra_trusted_issuers: vec![mock_as::TrustedIssuer {
            issuer: other.f.as_a_issuer.clone(),
            jwks: None,
            jwks_uri: Some(other.f.as_a_jwks_uri.clone()),
        }],
        ..MockOptions::default()
    })
    .await;
    let st = other.user_token().await;
    let x = other
        .exchange_with(&st, &[("resource", &env.f.as_b_issuer)], None)
        .await;
    assert_eq!(x.status, 200, "{}", x.text);
    let r = env.redeem(x.token(), &[], None).await;
    assert_eq!(r.status, 200, "{}", r.text);
}

#[tokio::test]
async fn unknown_kid_refetches_jwks_uri() {
    let k1 = EsKey::generate();
    let k2 = EsKey::generate();
    let doc = std::sync::Arc::new(std::sync::RwLock::new(json!({"keys": [k1.public_jwk()]})));
    let uri = jwks_server(doc.clone()).await;
    let iss = "https://rotating.example";
    let env = start(MockOptions {
        extra_trusted_issuers: vec![mock_as::TrustedIssuer {
            issuer: iss.into(),
            jwks: None,
            jwks_uri: Some(uri),
        }],
        ..MockOptions::default()
    })
    .await;
    let grant = |k: &EsKey| {
        let now = now();
        jose::sign(
            k,
            &json!({"alg": "ES256", "kid": k.kid()}),
            &json!({"iss": iss, "sub": env.f.user_sub, "aud": env.f.as_b_issuer, "exp": now + 60, "iat": now,
                    "jti": uuid::Uuid::new_v4().to_string()}),
        )
    };
    assert_eq!(env.redeem(&grant(&k1), &[], None).await.status, 200);
    assert_error(
        &env.redeem(&grant(&k2), &[], None).await,
        400,
        "invalid_grant",
    );
    *doc.write().unwrap() = json!({"keys": [k1.public_jwk(), k2.public_jwk()]});
    let r = env.redeem(&grant(&k2), &[], None).await;
    assert_eq!(r.status, 200, "after publishing the new key: {}", r.text);
}

#[tokio::test]
async fn differently_configured_deployment() {
    let cfg = MockConfig::from_toml_str(
        r#"
[as_a]
issuer_path = "/realms/a"
token_path = "/oauth/token"
as_b_audience_alias = "urn:example:b"
[as_b]
issuer_path = "/b"
token_path = "/t"
[as_b.subject_map]
alice = "a-at-b"
[rs]
resource_path = "/api/data"
"#,
    )
    .unwrap();
    let env = start(MockOptions {
        config: cfg,
        ..MockOptions::default()
    })
    .await;
    assert!(env.f.as_a_issuer.ends_with("/realms/a"));
    assert!(env.f.as_a_token_endpoint.ends_with("/realms/a/oauth/token"));
    assert!(
        env.f
            .as_a_metadata_url
            .ends_with("/.well-known/oauth-authorization-server/realms/a")
    );
    assert!(
        env.f
            .rs_metadata_url
            .ends_with("/.well-known/oauth-protected-resource/api/data")
    );
    assert_eq!(env.f.user_sub_at_b, "a-at-b");
    let a = env.get_json(&env.f.as_a_metadata_url).await;
    assert_eq!(a.json["issuer"], json!(env.f.as_a_issuer));
    let st = env.user_token().await;
    let x = env
        .exchange_with(&st, &[("audience", "urn:example:b")], None)
        .await;
    assert_eq!(x.status, 200, "{}", x.text);
    let r = env.redeem(x.token(), &[], None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let rs = env.rs_get("Bearer", r.token(), None).await;
    assert_eq!(rs.json["sub"], "a-at-b");
}

#[tokio::test]
async fn shutdown_stops_servers() {
    let env = env().await;
    let url = env.f.as_a_metadata_url.clone();
    assert_eq!(env.get_json(&url).await.status, 200);
    let http = env.http.clone();
    env.pair.shutdown().await;
    assert!(http.get(&url).send().await.is_err());
}

#[tokio::test]
async fn claims_transcription_maps_subject_into_the_grant() {
    let cfg = MockConfig::from_toml_str(
        "[as_a.transcribe_subjects]\nalice = \"alice@a.example\"\n[as_b.subject_map]\n\"alice@a.example\" = \"alice@b.example\"\n",
    )
    .unwrap();
    let env = start(MockOptions {
        config: cfg,
        ..MockOptions::default()
    })
    .await;
    let g = env.grant().await;
    assert_eq!(decode(&g).1["sub"], "alice@a.example");
    let r = env.redeem(&g, &[], None).await;
    assert_eq!(decode(r.token()).1["sub"], "alice@b.example");
}

#[tokio::test]
async fn drop_stops_servers() {
    let pair = mock_as::MockPair::start(MockOptions::default())
        .await
        .unwrap();
    let url = pair.facts().as_b_metadata_url.clone();
    let http = reqwest::Client::new();
    assert_eq!(http.get(&url).send().await.unwrap().status(), 200);
    drop(pair);
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert!(
        http.get(&url).send().await.is_err(),
        "even a kept-alive connection is closed"
    );
}

/// `rsa-keys` and `rsa-and-ec-keys`: AS-A signs grants RS256 with an RSA 2048 key its JWKS
/// publishes (alone, or beside the EC key), and AS-B redeems them.
#[rstest::rstest]
#[case(mock_as::Variant::RsaKeys, &["RSA"])]
#[case(mock_as::Variant::RsaAndEcKeys, &["EC", "RSA"])]
#[tokio::test]
async fn rsa_variants_sign_rs256_grants_that_as_b_redeems(
    #[case] variant: mock_as::Variant,
    #[case] key_types: &[&str],
) {
    let e = start(MockOptions {
        variants: vec![variant],
        ..MockOptions::default()
    })
    .await;
    let jwks = e.get_json(&e.f.as_a_jwks_uri).await.json;
    let types: Vec<&str> = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kty"].as_str().unwrap())
        .collect();
    assert_eq!(types, key_types);
    let grant = e.grant().await;
    assert_eq!(decode(&grant).0["alg"], "RS256");
    assert!(verify_with_jwks(&e, &e.f.as_a_jwks_uri, &grant).await);
    let r = e.redeem(&grant, &[], None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let tampered = tamper(&grant, |c| c["sub"] = json!("someone-else"));
    assert_eq!(e.redeem(&tampered, &[], None).await.status, 400);
}

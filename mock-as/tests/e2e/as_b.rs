//! AS-B denials (catalogue IC-JB-*, IC-SC-07, IC-AT-08): every refusal is an RFC 6749 §5.2 error
//! with the code RFC 7523 §3.1 asks for.

use crate::common::*;
use mock_as::testkit::EsKey;
use mock_as::testkit::now;
use mock_as::testkit::{jose, make_proof};
use mock_as::{MockConfig, MockOptions};
use rstest::rstest;
use serde_json::{Value, json};

fn hs256(header: Value, claims: Value, secret: &[u8]) -> String {
    use hmac::Mac;
    let input = format!(
        "{}.{}",
        jose::b64url(&serde_json::to_vec(&header).unwrap()),
        jose::b64url(&serde_json::to_vec(&claims).unwrap())
    );
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret).unwrap();
    mac.update(input.as_bytes());
    format!("{input}.{}", jose::b64url(&mac.finalize().into_bytes()))
}

#[rstest]
#[case::garbage(|_: &Env| "abc".to_owned(), "invalid_grant")]
#[case::two_jwts(|e: &Env| format!("{}.{}", e.harness_grant(json!({})), e.harness_grant(json!({}))), "invalid_grant")]
#[case::padded_base64(|e: &Env| { let g = e.harness_grant(json!({})); let (h, rest) = g.split_once('.').unwrap(); format!("{h}=.{rest}") }, "invalid_grant")]
#[case::bad_signature(|e: &Env| tamper(&e.harness_grant(json!({})), |c| c["scope"] = json!("read write admin")), "invalid_grant")]
#[case::alg_none(|e: &Env| jose::assemble(&json!({"alg": "none"}), &serde_json::Value::Object(decode(&e.harness_grant(json!({}))).1), b""), "invalid_grant")]
#[case::hs256_with_public_jwk(|e: &Env| hs256(json!({"alg": "HS256", "kid": e.harness.kid()}), serde_json::Value::Object(decode(&e.harness_grant(json!({}))).1), &serde_json::to_vec(&e.harness.public_jwk()).unwrap()), "invalid_grant")]
#[case::untrusted_key_same_iss(|e: &Env| { let k = EsKey::generate(); jose::sign(&k, &json!({"alg": "ES256", "kid": k.kid()}), &serde_json::Value::Object(decode(&e.harness_grant(json!({}))).1)) }, "invalid_grant")]
#[case::untrusted_issuer(|e: &Env| e.harness_grant(json!({"iss": "https://evil.example"})), "invalid_grant")]
#[case::missing_iss(|e: &Env| e.harness_grant(json!({"iss": null})), "invalid_grant")]
#[case::missing_sub(|e: &Env| e.harness_grant(json!({"sub": null})), "invalid_grant")]
#[case::empty_sub(|e: &Env| e.harness_grant(json!({"sub": ""})), "invalid_grant")]
#[case::missing_aud(|e: &Env| e.harness_grant(json!({"aud": null})), "invalid_grant")]
#[case::aud_as_a(|e: &Env| e.harness_grant(json!({"aud": e.f.as_a_issuer})), "invalid_grant")]
#[case::aud_rs(|e: &Env| e.harness_grant(json!({"aud": e.f.rs_resource})), "invalid_grant")]
#[case::aud_as_c(|e: &Env| e.harness_grant(json!({"aud": e.f.as_c})), "invalid_grant")]
#[case::aud_trailing_slash(|e: &Env| e.harness_grant(json!({"aud": format!("{}/", e.f.as_b_issuer)})), "invalid_grant")]
#[case::aud_upper_case(|e: &Env| e.harness_grant(json!({"aud": e.f.as_b_issuer.to_uppercase()})), "invalid_grant")]
#[case::aud_number(|e: &Env| e.harness_grant(json!({"aud": 5})), "invalid_grant")]
#[case::missing_exp(|e: &Env| e.harness_grant(json!({"exp": null})), "invalid_grant")]
#[case::expired(|e: &Env| e.harness_grant(json!({"exp": now() - 600})), "invalid_grant")]
#[case::exp_string(|e: &Env| e.harness_grant(json!({"exp": (now() + 60).to_string()})), "invalid_grant")]
#[case::exp_huge(|e: &Env| e.harness_grant(json!({"exp": 1e300})), "invalid_grant")]
#[case::exp_min(|e: &Env| e.harness_grant(json!({"exp": i64::MIN})), "invalid_grant")]
#[case::future_nbf(|e: &Env| e.harness_grant(json!({"nbf": now() + 600})), "invalid_grant")]
#[case::future_iat(|e: &Env| e.harness_grant(json!({"iat": now() + 600})), "invalid_grant")]
#[case::unknown_crit(|e: &Env| e.harness_grant_with_header(json!({"alg": "ES256", "kid": e.harness.kid(), "crit": ["urn:example:x"], "urn:example:x": 1}), json!({})), "invalid_grant")]
#[case::unmapped_subject(|e: &Env| e.harness_grant(json!({"sub": format!("unknown-{}", uuid::Uuid::new_v4())})), "invalid_grant")]
#[case::grant_for_other_client(|e: &Env| e.harness_grant(json!({"client_id": e.f.second_client_id})), "invalid_grant")]
#[case::requested_cnf_without_proof(|e: &Env| e.harness_grant(json!({"requested_cnf": {"jkt": EsKey::generate().thumbprint()}})), "invalid_grant")]
#[tokio::test]
async fn grant_denials(#[case] make: fn(&Env) -> String, #[case] code: &str) {
    let env = env().await;
    let r = env.redeem(&make(&env), &[], None).await;
    assert_error(&r, 400, code);
}

#[tokio::test]
async fn access_token_of_as_a_is_not_a_grant() {
    let env = env().await;
    let at = env.user_token().await;
    assert_error(&env.redeem(&at, &[], None).await, 400, "invalid_grant");
}

#[tokio::test]
async fn replay_is_refused() {
    let env = env().await;
    let g = env.grant().await;
    assert_eq!(env.redeem(&g, &[], None).await.status, 200);
    assert_error(&env.redeem(&g, &[], None).await, 400, "invalid_grant");
    // grants without jti are single-use too (keyed by their hash)
    let g = env.harness_grant(json!({"jti": null}));
    assert_eq!(env.redeem(&g, &[], None).await.status, 200);
    assert_error(&env.redeem(&g, &[], None).await, 400, "invalid_grant");
}

#[rstest]
#[case::missing_assertion(&[("grant_type", JB)], 400, "invalid_request")]
#[case::unknown_grant_type(&[("grant_type", "urn:example:nope")], 400, "unsupported_grant_type")]
#[case::token_exchange_at_as_b(&[("grant_type", TE), ("subject_token", "x"), ("subject_token_type", TT_AT)], 400, "unsupported_grant_type")]
#[tokio::test]
async fn request_denials(#[case] params: &[(&str, &str)], #[case] status: u16, #[case] code: &str) {
    let env = env().await;
    assert_error(
        &env.post(&env.f.as_b_token_endpoint, params, env.b_client(), None)
            .await,
        status,
        code,
    );
}

#[rstest]
#[case::scope_beyond_grant(&[("scope", "admin")], "invalid_scope")]
#[case::unknown_resource(&[("resource", "https://unknown.invalid/api")], "invalid_target")]
#[case::relative_resource(&[("resource", "/resource")], "invalid_target")]
#[tokio::test]
async fn parameter_denials(#[case] extra: &[(&str, &str)], #[case] code: &str) {
    let env = env().await;
    let g = env.harness_grant(json!({}));
    assert_error(&env.redeem(&g, extra, None).await, 400, code);
}

#[tokio::test]
async fn scope_narrowing_and_resource() {
    let env = env().await;
    let g = env.harness_grant(json!({"scope": "read write admin"}));
    let r = env
        .redeem(&g, &[("resource", &env.f.rs_resource)], None)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(
        r.json["scope"], "read write",
        "grant scope ∩ AS-B scopes, reported"
    );
    assert_eq!(decode(r.token()).1["aud"], json!(env.f.rs_resource));
    let r = env
        .redeem(&env.harness_grant(json!({})), &[("scope", "read")], None)
        .await;
    assert_eq!(decode(r.token()).1["scope"], "read");
    let rs = env.f.rs_resource.clone();
    let r = env
        .redeem(
            &env.harness_grant(json!({})),
            &[("resource", &rs), ("resource", &rs)],
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let two = [
        ("resource", rs.as_str()),
        ("resource", "https://unknown.invalid/"),
    ];
    assert_error(
        &env.redeem(&env.harness_grant(json!({})), &two, None).await,
        400,
        "invalid_target",
    );
}

#[rstest]
#[case::wrong_secret(Auth::Basic("chain-client", "wrong"), true)]
#[case::unknown_client(Auth::Basic("nobody", "x"), true)]
#[case::wrong_post_secret(Auth::Post("chain-client", "wrong"), false)]
#[tokio::test]
async fn sent_client_credentials_must_be_valid(
    #[case] auth: Auth<'static>,
    #[case] challenge: bool,
) {
    let env = env().await;
    let g = env.harness_grant(json!({}));
    let r = env
        .post(
            &env.f.as_b_token_endpoint,
            &[("grant_type", JB), ("assertion", &g)],
            auth,
            None,
        )
        .await;
    assert_error(&r, 401, "invalid_client");
    assert_eq!(r.header("www-authenticate").is_some(), challenge);
}

#[tokio::test]
async fn client_auth_policy() {
    let env = env().await;
    let g = env.harness_grant(json!({}));
    let r = env
        .post(
            &env.f.as_b_token_endpoint,
            &[("grant_type", JB), ("assertion", &g)],
            Auth::None,
            None,
        )
        .await;
    assert_eq!(
        r.status, 200,
        "default policy: unauthenticated redemption allowed: {}",
        r.text
    );
    let mut cfg = MockConfig::default();
    cfg.as_b.require_client_auth = true;
    let env = start(MockOptions {
        config: cfg,
        ..MockOptions::default()
    })
    .await;
    let g = env.harness_grant(json!({}));
    let r = env
        .post(
            &env.f.as_b_token_endpoint,
            &[("grant_type", JB), ("assertion", &g)],
            Auth::None,
            None,
        )
        .await;
    assert_error(&r, 401, "invalid_client");
    assert_eq!(env.redeem(&g, &[], None).await.status, 200);
}

#[tokio::test]
async fn dpop_denials() {
    let env = env().await;
    let key = EsKey::generate();
    let other = EsKey::generate();
    let g = env.harness_grant(json!({"requested_cnf": {"jkt": key.thumbprint()}}));
    let r = env
        .redeem(
            &g,
            &[],
            Some(env.token_proof(&other, &env.f.as_b_token_endpoint)),
        )
        .await;
    assert_error(&r, 400, "invalid_grant");
    let g = env.harness_grant(json!({}));
    let bad = make_proof(&key, "POST", &env.f.as_a_token_endpoint, None, now());
    assert_error(
        &env.redeem(&g, &[], Some(bad)).await,
        400,
        "invalid_dpop_proof",
    );
}

#[tokio::test]
async fn access_token_lifetime_bounded_by_grant() {
    let env = env().await;
    let g = env.harness_grant(json!({"exp": now() + 10}));
    let r = env.redeem(&g, &[], None).await;
    let e = r.json["expires_in"].as_i64().unwrap();
    assert!(e <= 70, "expires_in {e} ≤ remaining grant validity + 60");
}

/// RFC 9449 §4.3 checks at AS-B's token endpoint (catalogue DPOP-02).
#[rstest]
#[case::typ_jwt(|k: &EsKey, u: &str| jose::sign(k, &json!({"typ": "JWT", "alg": "ES256", "jwk": k.public_jwk_minimal()}), &json!({"jti": "1", "htm": "POST", "htu": u, "iat": now()})))]
#[case::alg_none(|k: &EsKey, u: &str| jose::assemble(&json!({"typ": "dpop+jwt", "alg": "none", "jwk": k.public_jwk_minimal()}), &json!({"jti": "1", "htm": "POST", "htu": u, "iat": now()}), b""))]
#[case::hs256(|k: &EsKey, u: &str| hs256(json!({"typ": "dpop+jwt", "alg": "HS256", "jwk": k.public_jwk_minimal()}), json!({"jti": "1", "htm": "POST", "htu": u, "iat": now()}), b"secret"))]
#[case::private_jwk(|k: &EsKey, u: &str| { let mut jwk = k.public_jwk_minimal(); jwk["d"] = json!(k.private_d()); jose::sign(k, &json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": jwk}), &json!({"jti": "1", "htm": "POST", "htu": u, "iat": now()})) })]
#[case::no_jwk(|k: &EsKey, u: &str| jose::sign(k, &json!({"typ": "dpop+jwt", "alg": "ES256"}), &json!({"jti": "1", "htm": "POST", "htu": u, "iat": now()})))]
#[case::jwk_of_other_key(|k: &EsKey, u: &str| jose::sign(k, &json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": EsKey::generate().public_jwk_minimal()}), &json!({"jti": "1", "htm": "POST", "htu": u, "iat": now()})))]
#[case::htm_get(|k: &EsKey, u: &str| make_proof(k, "GET", u, None, now()))]
#[case::htu_other(|k: &EsKey, _u: &str| make_proof(k, "POST", "https://other.example/token", None, now()))]
#[case::iat_old(|k: &EsKey, u: &str| make_proof(k, "POST", u, None, now() - 3600))]
#[case::iat_future(|k: &EsKey, u: &str| make_proof(k, "POST", u, None, now() + 3600))]
#[case::no_jti(|k: &EsKey, u: &str| jose::sign(k, &json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": k.public_jwk_minimal()}), &json!({"htm": "POST", "htu": u, "iat": now()})))]
#[case::garbage(|_k: &EsKey, _u: &str| "garbage".to_owned())]
#[tokio::test]
async fn invalid_dpop_proofs(#[case] make: fn(&EsKey, &str) -> String) {
    let env = env().await;
    let proof = make(&EsKey::generate(), &env.f.as_b_token_endpoint);
    let r = env
        .redeem(&env.harness_grant(json!({})), &[], Some(proof))
        .await;
    assert_error(&r, 400, "invalid_dpop_proof");
}

#[tokio::test]
async fn two_dpop_headers_refused() {
    let env = env().await;
    let k = EsKey::generate();
    let u = env.f.as_b_token_endpoint.clone();
    let g = env.harness_grant(json!({}));
    let r = env
        .http
        .post(&u)
        .header("DPoP", make_proof(&k, "POST", &u, None, now()))
        .header("DPoP", make_proof(&k, "POST", &u, None, now()))
        .form(&[("grant_type", JB), ("assertion", g.as_str())])
        .send()
        .await
        .unwrap();
    assert_error(&read(r).await, 400, "invalid_dpop_proof");
}

#[tokio::test]
async fn trusted_issuer_from_config_file() {
    let k = EsKey::generate();
    let jwks = serde_json::to_string(&json!({"keys": [k.public_jwk()]})).unwrap();
    let text = format!(
        "[[as_b.trusted_issuers]]\nissuer = \"https://cfg.example\"\njwks = {}\n",
        toml_inline(&jwks)
    );
    let cfg = MockConfig::from_toml_str(&text).unwrap();
    let env = start(MockOptions {
        config: cfg,
        ..MockOptions::default()
    })
    .await;
    let n = now();
    let g = jose::sign(
        &k,
        &json!({"alg": "ES256", "kid": k.kid()}),
        &json!({"iss": "https://cfg.example", "sub": env.f.user_sub, "aud": env.f.as_b_issuer, "exp": n + 60}),
    );
    assert_eq!(env.redeem(&g, &[], None).await.status, 200);
}

/// A JSON object as a TOML inline table (keys and string values only, enough for a JWKS).
fn toml_inline(json_text: &str) -> String {
    let v: Value = serde_json::from_str(json_text).unwrap();
    toml::Value::try_from(v).unwrap().to_string()
}

//! RS-B (RFC 9728 metadata, RFC 6750 / RFC 9449 §7 token checks).

use crate::common::*;
use mock_as::testkit::EsKey;
use mock_as::testkit::make_proof;
use mock_as::testkit::now;

#[tokio::test]
async fn no_token_gets_challenge_with_resource_metadata() {
    let env = env().await;
    let r = read(env.http.get(&env.f.rs_url).send().await.unwrap()).await;
    assert_eq!(r.status, 401);
    let c = r.header("www-authenticate").unwrap();
    assert!(c.starts_with("Bearer"), "{c}");
    assert!(
        c.contains(&format!("resource_metadata=\"{}\"", env.f.rs_metadata_url)),
        "{c}"
    );
}

#[tokio::test]
async fn refuses_grants_as_a_tokens_and_garbage() {
    let env = env().await;
    let grant = env.grant().await;
    let at_a = env.user_token().await;
    for t in [grant.as_str(), at_a.as_str(), "garbage", ""] {
        let r = env.rs_get("Bearer", t, None).await;
        assert_eq!(r.status, 401, "{t}");
        assert!(
            r.header("www-authenticate")
                .unwrap()
                .contains("resource_metadata=")
        );
    }
}

#[tokio::test]
async fn refuses_tampered_and_query_tokens() {
    let env = env().await;
    let at = env.b_token().await;
    let forged = tamper(&at, |c| c["sub"] = serde_json::json!("root"));
    assert_eq!(env.rs_get("Bearer", &forged, None).await.status, 401);
    let r = env
        .http
        .get(format!("{}?access_token={at}", env.f.rs_url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn unbound_token_with_dpop_scheme_is_refused_and_proof_replay_refused() {
    let env = env().await;
    let at = env.b_token().await;
    let key = EsKey::generate();
    let p = make_proof(&key, "GET", &env.f.rs_url, Some(&at), now());
    assert_eq!(env.rs_get("DPoP", &at, Some(p)).await.status, 401);

    let g = env.grant().await;
    let r = env
        .redeem(
            &g,
            &[],
            Some(env.token_proof(&key, &env.f.as_b_token_endpoint)),
        )
        .await;
    let bound = r.token().to_owned();
    let p = make_proof(&key, "GET", &env.f.rs_url, Some(&bound), now());
    assert_eq!(
        env.rs_get("DPoP", &bound, Some(p.clone())).await.status,
        200
    );
    assert_eq!(
        env.rs_get("DPoP", &bound, Some(p)).await.status,
        401,
        "proof jti replay"
    );
}

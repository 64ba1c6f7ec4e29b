//! AS-A denials (catalogue IC-TE-*, IC-SC-01, IC-SC-03, GEN-*): status and error code each.

use crate::common::*;
use mock_as::testkit::EsKey;
use mock_as::testkit::now;
use mock_as::testkit::{jose, make_proof};
use mock_as::{MockConfig, MockOptions};
use rstest::rstest;
use serde_json::json;

/// Replace placeholders: $ST subject token, $B AS-B issuer, $C AS-C, $ESC escalation scope,
/// $G a grant, $FST forged subject token, $HST subject token signed by a foreign issuer.
async fn fill(env: &Env, params: &[(&str, &str)]) -> Vec<(String, String)> {
    let st = env.user_token().await;
    let mut out = Vec::new();
    for (k, v) in params {
        let v = match *v {
            "$ST" => st.clone(),
            "$B" => env.f.as_b_issuer.clone(),
            "$B#frag" => format!("{}#frag", env.f.as_b_issuer),
            "$C" => env.f.as_c.clone().unwrap(),
            "$ESC" => env.f.escalation_scope.clone(),
            "$G" => env.grant().await,
            "$FST" => tamper(&st, |c| c["scope"] = json!("read write admin")),
            "$HST" => {
                let (h, c) = decode(&st);
                let k = EsKey::generate();
                jose::sign(
                    &k,
                    &serde_json::Value::Object(h),
                    &serde_json::Value::Object(c),
                )
            }
            other => other.to_owned(),
        };
        out.push((k.to_string(), v));
    }
    out
}

#[rstest]
#[case::missing_subject_token(&[("subject_token_type", TT_AT), ("resource", "$B")], "invalid_request")]
#[case::missing_subject_token_type(&[("subject_token", "$ST"), ("resource", "$B")], "invalid_request")]
#[case::actor_token_type_alone(&[("subject_token", "$ST"), ("subject_token_type", TT_AT), ("resource", "$B"), ("actor_token_type", TT_AT)], "invalid_request")]
#[case::actor_token_without_type(&[("subject_token", "$ST"), ("subject_token_type", TT_AT), ("resource", "$B"), ("actor_token", "$ST")], "invalid_request")]
#[case::no_resource_no_audience(&[("subject_token", "$ST"), ("subject_token_type", TT_AT)], "invalid_request")]
#[case::unknown_resource(&[("subject_token", "$ST"), ("subject_token_type", TT_AT), ("resource", "https://unknown-as.invalid")], "invalid_target")]
#[case::unknown_audience(&[("subject_token", "$ST"), ("subject_token_type", TT_AT), ("audience", "urn:example:unknown")], "invalid_target")]
#[case::relative_resource(&[("subject_token", "$ST"), ("subject_token_type", TT_AT), ("resource", "/token")], "invalid_target")]
#[case::resource_with_fragment(&[("subject_token", "$ST"), ("subject_token_type", TT_AT), ("resource", "$B#frag")], "invalid_target")]
#[case::two_different_targets(&[("subject_token", "$ST"), ("subject_token_type", TT_AT), ("resource", "$B"), ("audience", "$C")], "invalid_target")]
#[case::two_resources_two_servers(&[("subject_token", "$ST"), ("subject_token_type", TT_AT), ("resource", "$B"), ("resource", "$C")], "invalid_target")]
#[case::resource_ok_audience_unknown(&[("subject_token", "$ST"), ("subject_token_type", TT_AT), ("resource", "$B"), ("audience", "urn:example:unknown")], "invalid_target")]
#[case::garbage_subject_token(&[("subject_token", "abc"), ("subject_token_type", TT_AT), ("resource", "$B")], "invalid_request")]
#[case::forged_subject_token(&[("subject_token", "$FST"), ("subject_token_type", TT_AT), ("resource", "$B")], "invalid_request")]
#[case::foreign_issuer_subject_token(&[("subject_token", "$HST"), ("subject_token_type", TT_AT), ("resource", "$B")], "invalid_request")]
#[case::grant_as_subject_token(&[("subject_token", "$G"), ("subject_token_type", TT_JWT), ("resource", "$B")], "invalid_request")]
#[case::wrong_subject_token_type(&[("subject_token", "$ST"), ("subject_token_type", "urn:ietf:params:oauth:token-type:id_token"), ("resource", "$B")], "invalid_request")]
#[case::unsupported_requested_token_type(&[("subject_token", "$ST"), ("subject_token_type", TT_AT), ("resource", "$B"), ("requested_token_type", "urn:example:unsupported")], "invalid_request")]
#[case::scope_escalation(&[("subject_token", "$ST"), ("subject_token_type", TT_AT), ("resource", "$B"), ("scope", "$ESC")], "invalid_scope")]
#[tokio::test]
async fn exchange_denials(#[case] params: &[(&str, &str)], #[case] code: &str) {
    let env = env().await;
    let mut p = fill(&env, params).await;
    p.insert(0, ("grant_type".into(), TE.into()));
    let p: Vec<(&str, &str)> = p.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = env
        .post(&env.f.as_a_token_endpoint, &p, env.client(), None)
        .await;
    assert_error(&r, 400, code);
}

#[tokio::test]
async fn subject_token_of_another_client_is_refused() {
    let env = env().await;
    let st = env.user_token().await;
    let p = [
        ("grant_type", TE),
        ("subject_token", &st),
        ("subject_token_type", TT_AT),
        ("resource", &env.f.as_b_issuer),
    ];
    let r = env
        .post(&env.f.as_a_token_endpoint, &p, env.second_client(), None)
        .await;
    assert_error(&r, 400, "invalid_request");
}

#[tokio::test]
async fn expired_subject_token_is_refused() {
    let mut cfg = MockConfig::default();
    cfg.as_a.access_token_lifetime_secs = 1;
    let env = start(MockOptions {
        config: cfg,
        ..MockOptions::default()
    })
    .await;
    let st = env.user_token().await;
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let r = env
        .exchange_with(&st, &[("resource", &env.f.as_b_issuer)], None)
        .await;
    assert_error(&r, 400, "invalid_request");
}

#[rstest]
#[case::no_credentials(Auth::None, false)]
#[case::wrong_basic_secret(Auth::Basic("chain-client", "wrong"), true)]
#[case::unknown_basic_client(Auth::Basic("nobody", "x"), true)]
#[case::wrong_post_secret(Auth::Post("chain-client", "wrong"), false)]
#[tokio::test]
async fn exchange_needs_client_authentication(
    #[case] auth: Auth<'static>,
    #[case] challenge: bool,
) {
    let env = env().await;
    let st = env.user_token().await;
    let p = [
        ("grant_type", TE),
        ("subject_token", &st),
        ("subject_token_type", TT_AT),
        ("resource", &env.f.as_b_issuer),
    ];
    let r = env.post(&env.f.as_a_token_endpoint, &p, auth, None).await;
    assert_error(&r, 401, "invalid_client");
    assert_eq!(
        r.header("www-authenticate").is_some(),
        challenge,
        "WWW-Authenticate iff Basic was used"
    );
}

#[tokio::test]
async fn client_id_alone_is_not_authentication() {
    let env = env().await;
    let st = env.user_token().await;
    let p = [
        ("grant_type", TE),
        ("subject_token", &st),
        ("subject_token_type", TT_AT),
        ("resource", &env.f.as_b_issuer),
        ("client_id", &env.f.client_id),
    ];
    assert_error(
        &env.post(&env.f.as_a_token_endpoint, &p, Auth::None, None)
            .await,
        401,
        "invalid_client",
    );
}

#[tokio::test]
async fn invalid_dpop_proof_on_exchange() {
    let env = env().await;
    let key = EsKey::generate();
    let st = env.user_token().await;
    for proof in [
        make_proof(&key, "GET", &env.f.as_a_token_endpoint, None, now()),
        make_proof(&key, "POST", "https://elsewhere.example/token", None, now()),
        make_proof(&key, "POST", &env.f.as_a_token_endpoint, None, now() - 3600),
        "not.a.jwt".to_owned(),
    ] {
        let r = env
            .exchange_with(&st, &[("resource", &env.f.as_b_issuer)], Some(proof))
            .await;
        assert_error(&r, 400, "invalid_dpop_proof");
    }
}

#[tokio::test]
async fn actor_token_becomes_act() {
    let env = env().await;
    let st = env.user_token().await;
    let actor = env.user_token().await;
    let r = env
        .exchange_with(
            &st,
            &[
                ("resource", &env.f.as_b_issuer),
                ("actor_token", &actor),
                ("actor_token_type", TT_AT),
            ],
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(decode(r.token()).1["act"], json!({"sub": env.f.user_sub}));
}

#[tokio::test]
async fn downscoping_is_reported() {
    let env = env().await;
    let r = env.exchange(&[("scope", "read")]).await;
    assert_eq!(r.status, 200);
    assert_eq!(decode(r.token()).1["scope"], "read");
    assert!(
        r.json.get("scope").is_none(),
        "same as requested: may be omitted"
    );
    let r = env.exchange(&[]).await;
    assert_eq!(
        r.json["scope"], "read write",
        "no scope requested: granted scope reported"
    );
}

#[rstest]
#[case::wrong_password(&[("grant_type", "password"), ("username", "alice"), ("password", "nope")], "invalid_grant")]
#[case::missing_password(&[("grant_type", "password"), ("username", "alice")], "invalid_request")]
#[case::password_scope_escalation(&[("grant_type", "password"), ("username", "alice"), ("password", "alice-password"), ("scope", "admin")], "invalid_scope")]
#[case::unknown_grant_type(&[("grant_type", "urn:example:nope")], "unsupported_grant_type")]
#[case::authorization_code(&[("grant_type", "authorization_code"), ("code", "x")], "unsupported_grant_type")]
#[case::jwt_bearer_at_as_a(&[("grant_type", JB), ("assertion", "a.b.c")], "unsupported_grant_type")]
#[case::missing_grant_type(&[("username", "alice")], "invalid_request")]
#[tokio::test]
async fn other_grant_denials(#[case] params: &[(&str, &str)], #[case] code: &str) {
    let env = env().await;
    assert_error(
        &env.post(&env.f.as_a_token_endpoint, params, env.client(), None)
            .await,
        400,
        code,
    );
}

//! Malformed requests at both token endpoints (RFC 6749 §3.2, §5.2; catalogue GEN-01..05):
//! always a JSON error, never a token, never a 5xx.

use crate::common::*;
use rstest::rstest;

#[derive(Clone, Copy, Debug)]
enum Endpoint {
    A,
    B,
}

fn url(env: &Env, ep: Endpoint) -> String {
    match ep {
        Endpoint::A => env.f.as_a_token_endpoint.clone(),
        Endpoint::B => env.f.as_b_token_endpoint.clone(),
    }
}

async fn send(
    env: &Env,
    ep: Endpoint,
    method: reqwest::Method,
    content_type: Option<&str>,
    body: Vec<u8>,
) -> Resp {
    let mut req = env
        .http
        .request(method, url(env, ep))
        .basic_auth(&env.f.client_id, Some(&env.f.client_secret));
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    read(req.body(body).send().await.unwrap()).await
}

const FORM: Option<&str> = Some("application/x-www-form-urlencoded");

#[rstest]
#[tokio::test]
async fn non_post_is_405_json(
    #[values(Endpoint::A, Endpoint::B)] ep: Endpoint,
    #[values("GET", "PUT", "DELETE")] m: &str,
) {
    let env = env().await;
    let r = send(&env, ep, m.parse().unwrap(), None, Vec::new()).await;
    assert_error(&r, 405, "invalid_request");
    assert_eq!(r.header("allow"), Some("POST"));
}

#[rstest]
#[case::no_content_type(None, b"grant_type=password".to_vec())]
#[case::json_body(Some("application/json"), br#"{"grant_type":"password"}"#.to_vec())]
#[case::bad_percent(FORM, b"grant_type=%zz".to_vec())]
#[case::not_utf8(FORM, b"grant_type=\xff\xfe".to_vec())]
#[case::percent_not_utf8(FORM, b"grant_type=%ff".to_vec())]
#[case::duplicate_grant_type(FORM, b"grant_type=password&grant_type=password".to_vec())]
#[case::empty_grant_type(FORM, b"grant_type=".to_vec())]
#[case::oversized_body(FORM, format!("grant_type=password&x={}", "a".repeat(100 * 1024)).into_bytes())]
#[case::oversized_value(FORM, format!("grant_type={}", "a".repeat(70 * 1024)).into_bytes())]
#[case::huge_body(FORM, vec![b'a'; 3 * 1024 * 1024])]
#[tokio::test]
async fn malformed_bodies(
    #[values(Endpoint::A, Endpoint::B)] ep: Endpoint,
    #[case] ct: Option<&str>,
    #[case] body: Vec<u8>,
) {
    let env = env().await;
    let r = send(&env, ep, reqwest::Method::POST, ct, body).await;
    assert_error(&r, 400, "invalid_request");
}

#[tokio::test]
async fn empty_subject_token_is_absent_and_duplicates_refused() {
    let env = env().await;
    let st = env.user_token().await;
    let b = env.f.as_b_issuer.clone();
    for body in [
        format!("grant_type={TE}&subject_token=&subject_token_type={TT_AT}&resource={b}"),
        format!(
            "grant_type={TE}&subject_token={st}&subject_token_type={TT_AT}&resource={b}&scope=read&scope=read"
        ),
        format!(
            "grant_type={TE}&subject_token={st}&subject_token={st}&subject_token_type={TT_AT}&resource={b}"
        ),
    ] {
        let r = send(
            &env,
            Endpoint::A,
            reqwest::Method::POST,
            FORM,
            body.into_bytes(),
        )
        .await;
        assert_error(&r, 400, "invalid_request");
    }
    // RFC 8693 §2.1: resource may repeat; the same target twice is fine
    let r = env.exchange(&[("resource", &b)]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    // unknown parameters are ignored
    let r = env.exchange(&[("foo", "bar")]).await;
    assert_eq!(r.status, 200, "{}", r.text);
}

#[tokio::test]
async fn charset_parameter_is_accepted() {
    let env = env().await;
    let (u, p) = env.f.user.clone();
    let body = format!("grant_type=password&username={u}&password={p}");
    let r = send(
        &env,
        Endpoint::A,
        reqwest::Method::POST,
        Some("application/x-www-form-urlencoded; charset=UTF-8"),
        body.into_bytes(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
}

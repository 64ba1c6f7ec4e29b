//! Property: arbitrary form bodies to both token endpoints of the conformant pair never give a
//! 5xx and never a token (none of the generated requests carries valid credentials or tokens),
//! and every answer is an RFC 6749 §5.2 error with Cache-Control: no-store.

use crate::common::*;
use proptest::prelude::*;

const CODES: &[&str] = &[
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
    "invalid_target",
    "invalid_dpop_proof",
];

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "grant_type",
            "subject_token",
            "subject_token_type",
            "actor_token",
            "actor_token_type",
            "resource",
            "audience",
            "scope",
            "requested_token_type",
            "assertion",
            "client_id",
            "client_secret",
            "client_assertion",
            "client_assertion_type",
            "username",
            "password",
        ])
        .prop_map(str::to_owned),
        "[a-z_%+=&]{0,12}",
    ]
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            TE,
            JB,
            "password",
            "client_credentials",
            TT_AT,
            TT_JWT,
            "alice",
            "chain-client",
            "read write admin",
            "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9.",
            "a.b.c",
            "http://127.0.0.1:1/",
            "urn:chainproof:mock:as-b",
            "%",
            "%zz",
            "%ff",
            "",
            "\u{0}",
            "\u{1F600}",
        ])
        .prop_map(str::to_owned),
        ".{0,40}",
        "[A-Za-z0-9_-]{1,60}\\.[A-Za-z0-9_-]{1,60}\\.[A-Za-z0-9_-]{0,60}",
    ]
}

fn body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec((key(), value()), 0..8).prop_map(|pairs| {
            pairs
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("&")
                .into_bytes()
        }),
        prop::collection::vec(any::<u8>(), 0..256),
    ]
}

static COUNT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

#[test]
fn arbitrary_form_bodies_never_5xx_never_token() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let env = rt.block_on(env());
    let endpoints = [
        env.f.as_a_token_endpoint.clone(),
        env.f.as_b_token_endpoint.clone(),
    ];
    let config = ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(body in body(), which in 0usize..2, basic in any::<bool>())| {
        let r = rt.block_on(async {
            let mut req = env.http.post(&endpoints[which]).header("content-type", "application/x-www-form-urlencoded");
            if basic {
                req = req.basic_auth("chain-client", Some("not-the-secret"));
            }
            read(req.body(body.clone()).send().await.unwrap()).await
        });
        prop_assert!(r.status < 500, "5xx for {:?}: {}", String::from_utf8_lossy(&body), r.text);
        prop_assert!(r.json.get("access_token").is_none(), "token for {:?}", String::from_utf8_lossy(&body));
        prop_assert!(r.status == 400 || r.status == 401, "status {}", r.status);
        prop_assert!(CODES.contains(&r.error()), "unregistered error {:?}", r.text);
        prop_assert_eq!(r.header("cache-control"), Some("no-store"));
        COUNT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    });
    // The property really ran over HTTP for every case.
    assert_eq!(COUNT.load(std::sync::atomic::Ordering::SeqCst), 256);
}

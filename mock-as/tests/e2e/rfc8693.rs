//! The rfc8693 mode (RFC 8693 delegation and impersonation) and its faults: each fault's
//! behaviour differs between the conformant pair in that mode and the pair with the fault.

use crate::common::*;
use mock_as::{Fault, MockOptions, MockProfile};
use rstest::rstest;
use serde_json::{Value, json};

async fn env8693(faults: &[Fault]) -> Env {
    start(MockOptions {
        faults: faults.to_vec(),
        profile: MockProfile::Rfc8693,
        ..MockOptions::default()
    })
    .await
}

impl Env {
    /// The second client's client-credentials token: the actor of these tests.
    async fn actor_token(&self, auth: Auth<'_>) -> String {
        let r = self
            .post(
                &self.f.as_a_token_endpoint,
                &[("grant_type", "client_credentials")],
                auth,
                None,
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.token().to_owned()
    }

    async fn delegate(&self, subject: &str, actor: &str, extra: &[(&str, &str)]) -> Resp {
        let mut p = vec![("actor_token", actor), ("actor_token_type", TT_AT)];
        p.extend_from_slice(extra);
        self.exchange_with(subject, &p, None).await
    }
}

/// An exchange whose subject token is labelled with `subject_token_type`.
async fn exchange_typed(e: &Env, subject: &str, subject_token_type: &str) -> Resp {
    let p = [
        ("grant_type", TE),
        ("subject_token", subject),
        ("subject_token_type", subject_token_type),
        ("resource", e.f.as_b_issuer.as_str()),
    ];
    e.post(&e.f.as_a_token_endpoint, &p, e.client(), None).await
}

fn claims(r: &Resp) -> serde_json::Map<String, Value> {
    decode(r.token()).1
}

/// Two hops: the second client acts for the user (an access token for AS-A itself), then the
/// primary client acts on that token; the final grant's `act`.
async fn chained_act(e: &Env) -> Value {
    let st = e.user_token().await;
    let a1 = e.actor_token(e.second_client()).await;
    let x1 = e
        .delegate(
            &st,
            &a1,
            &[
                ("requested_token_type", TT_AT),
                ("resource", &e.f.as_a_issuer),
            ],
        )
        .await;
    assert_eq!(x1.status, 200, "{}", x1.text);
    let a2 = e.actor_token(e.client()).await;
    let x2 = e
        .delegate(x1.token(), &a2, &[("resource", &e.f.as_b_issuer)])
        .await;
    assert_eq!(x2.status, 200, "{}", x2.text);
    claims(&x2)["act"].clone()
}

#[tokio::test]
async fn delegation_names_the_actor_and_nests_prior_actors() {
    let e = env8693(&[]).await;
    let st = e.user_token().await;
    assert_eq!(
        decode(&st).1["may_act"],
        json!({"sub": e.f.second_client_id})
    );
    let a = e.actor_token(e.second_client()).await;
    let x = e.delegate(&st, &a, &[("resource", &e.f.as_b_issuer)]).await;
    assert_eq!(claims(&x)["act"], json!({"sub": e.f.second_client_id}));
    assert_eq!(
        chained_act(&e).await,
        json!({"sub": e.f.client_id, "act": {"sub": e.f.second_client_id}})
    );
}

#[tokio::test]
async fn access_tokens_several_targets_and_errors() {
    let e = env8693(&[]).await;
    let st = e.user_token().await;
    let x = e
        .exchange_with(&st, &[("requested_token_type", TT_AT)], None)
        .await;
    assert_eq!(x.json["issued_token_type"], TT_AT, "{}", x.text);
    assert_eq!(x.json["token_type"], "Bearer");
    let as_c = e.f.as_c.clone().expect("AS-C fixture");
    let x = e
        .exchange_with(
            &st,
            &[("resource", &e.f.as_b_issuer), ("audience", &as_c)],
            None,
        )
        .await;
    assert_eq!(claims(&x)["aud"], json!([e.f.as_b_issuer, as_c]));
    let x = e
        .exchange_with(&st, &[("audience", "urn:example:unknown")], None)
        .await;
    assert_error(&x, 400, "invalid_target");
    let x = exchange_typed(&e, &st, "urn:example:unknown").await;
    assert_error(&x, 400, "invalid_request");
    let a = e.actor_token(e.second_client()).await;
    let p = [
        ("actor_token", a.as_str()),
        ("actor_token_type", "urn:example:unknown"),
    ];
    assert_error(
        &e.exchange_with(&st, &p, None).await,
        400,
        "invalid_request",
    );
    // The identity-chaining mode keeps one AS per grant and issues no access tokens.
    let ic = env().await;
    let st = ic.user_token().await;
    let x = ic
        .exchange_with(&st, &[("requested_token_type", TT_AT)], None)
        .await;
    assert_error(&x, 400, "invalid_request");
    assert!(decode(&st).1.get("may_act").is_none());
}

/// Whether the behaviour `f` breaks shows on a pair in the rfc8693 mode with `faults`.
async fn observe(f: Fault, faults: &[Fault]) -> bool {
    use Fault::*;
    let e = env8693(faults).await;
    let st = e.user_token().await;
    let actor = e.actor_token(e.second_client()).await;
    let b = e.f.as_b_issuer.clone();
    match f {
        ActorTokenUnverified => {
            let forged = tamper_signature(&actor);
            e.delegate(&st, &forged, &[("resource", &b)]).await.status == 200
        }
        UnsupportedTokenTypeCode => {
            exchange_typed(&e, &st, "urn:example:unknown").await.error() == "unsupported_token_type"
        }
        NoActOnDelegation => {
            let x = e.delegate(&st, &actor, &[("resource", &b)]).await;
            claims(&x).get("act").is_none()
        }
        ActNamesClient => {
            let x = e.delegate(&st, &actor, &[("resource", &b)]).await;
            claims(&x)["act"]["sub"] == json!(e.f.client_id)
        }
        ActChainInverted => chained_act(&e).await["sub"] == json!(e.f.second_client_id),
        ActChainDropped => chained_act(&e).await.get("act").is_none(),
        MayActMatchesClient => {
            // The party may_act names requests, presenting another party's token as actor.
            let (u, pw) = e.f.user.clone();
            let st2 = e.password_token(&u, &pw, e.second_client()).await;
            let other = e.actor_token(e.client()).await;
            let p = [
                ("grant_type", TE),
                ("subject_token", st2.as_str()),
                ("subject_token_type", TT_AT),
                ("actor_token", other.as_str()),
                ("actor_token_type", TT_AT),
                ("resource", b.as_str()),
            ];
            e.post(&e.f.as_a_token_endpoint, &p, e.second_client(), None)
                .await
                .status
                == 200
        }
        IgnoreMayAct => {
            let other = e.actor_token(e.client()).await;
            e.delegate(&st, &other, &[("resource", &b)]).await.status == 200
        }
        IssuedTypeNotRequested => {
            let x = e
                .exchange_with(&st, &[("requested_token_type", TT_AT)], None)
                .await;
            x.json["issued_token_type"] != TT_AT
        }
        FirstTargetOnly => {
            let c = e.f.as_c.clone().expect("AS-C fixture");
            let x = e
                .exchange_with(&st, &[("resource", &b), ("resource", &c)], None)
                .await;
            claims(&x)["aud"] == json!(b)
        }
        UnknownTargetInvalidGrant => {
            let x = e
                .exchange_with(&st, &[("audience", "urn:example:unknown")], None)
                .await;
            x.error() == "invalid_grant"
        }
        ImpersonationSubIsClient => {
            let x = e.exchange_with(&st, &[("resource", &b)], None).await;
            claims(&x)["sub"] == json!(e.f.client_id)
        }
        MayActRefusalInvalidGrant => {
            let other = e.actor_token(e.client()).await;
            e.delegate(&st, &other, &[("resource", &b)]).await.error() == "invalid_grant"
        }
        UnknownActorTypeAccepted => {
            let p = [
                ("actor_token", actor.as_str()),
                ("actor_token_type", "urn:example:x"),
            ];
            e.exchange_with(&st, &p, None).await.status == 200
        }
        ActNotObject => {
            let x = e.delegate(&st, &actor, &[("resource", &b)]).await;
            claims(&x)["act"].is_string()
        }
        ActPriorIsSubject => chained_act(&e).await["act"]["sub"] == json!(e.f.user_sub),
        IssuedTypeMislabelled => {
            let x = e
                .exchange_with(&st, &[("requested_token_type", TT_AT)], None)
                .await;
            x.json["issued_token_type"] == TT_JWT && decode(x.token()).0["typ"] == "at+jwt"
        }
        SeveralTargetsInvalidRequest => {
            let c = e.f.as_c.clone().expect("AS-C fixture");
            let x = e
                .exchange_with(&st, &[("resource", &b), ("resource", &c)], None)
                .await;
            x.error() == "invalid_request"
        }
        UnknownTargetServerError => {
            let x = e
                .exchange_with(&st, &[("audience", "urn:example:unknown")], None)
                .await;
            x.status == 500
        }
        other => panic!("{other} is not an rfc8693-mode fault"),
    }
}

/// A compact JWS with its last signature byte changed.
fn tamper_signature(token: &str) -> String {
    let (head, sig) = token.rsplit_once('.').expect("JWS");
    let mut sig: Vec<char> = sig.chars().collect();
    let last = sig.len() - 2;
    sig[last] = if sig[last] == 'A' { 'B' } else { 'A' };
    format!("{head}.{}", sig.into_iter().collect::<String>())
}

#[rstest]
#[case(Fault::ActorTokenUnverified)]
#[case(Fault::UnsupportedTokenTypeCode)]
#[case(Fault::NoActOnDelegation)]
#[case(Fault::ActNamesClient)]
#[case(Fault::ActChainInverted)]
#[case(Fault::ActChainDropped)]
#[case(Fault::IgnoreMayAct)]
#[case(Fault::MayActMatchesClient)]
#[case(Fault::IssuedTypeNotRequested)]
#[case(Fault::FirstTargetOnly)]
#[case(Fault::UnknownTargetInvalidGrant)]
#[case(Fault::ImpersonationSubIsClient)]
#[case(Fault::MayActRefusalInvalidGrant)]
#[case(Fault::UnknownActorTypeAccepted)]
#[case(Fault::ActNotObject)]
#[case(Fault::ActPriorIsSubject)]
#[case(Fault::IssuedTypeMislabelled)]
#[case(Fault::SeveralTargetsInvalidRequest)]
#[case(Fault::UnknownTargetServerError)]
#[tokio::test]
async fn rfc8693_fault_is_observable(#[case] fault: Fault) {
    assert!(
        !observe(fault, &[]).await,
        "conformant rfc8693 pair already shows the behaviour {fault} breaks"
    );
    assert!(
        observe(fault, &[fault]).await,
        "fault {fault} did not change the behaviour it names"
    );
}

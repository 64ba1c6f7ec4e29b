//! Every fault is observable: the behaviour it names differs between the conformant pair and
//! the pair with only that fault, and (unless the fault breaks the chain by design) the plain
//! Bearer chain still works under it, so the fault breaks that one behaviour and nothing else.

use crate::common::*;
use mock_as::testkit::EsKey;
use mock_as::testkit::now;
use mock_as::testkit::{jose, make_proof};
use mock_as::{Fault, MockConfig, MockOptions};
use rstest::rstest;
use serde_json::{Value, json};

/// Faults whose broken behaviour makes the default chain fail by design.
/// (`at-missing-typ`, `at-aud-not-resource`: RS-B must refuse them, RFC 9068 §4.)
const BREAKS_CHAIN: &[Fault] = &[
    Fault::GrantAudWrong,
    Fault::GrantIssMismatch,
    Fault::GrantMissingSub,
    Fault::GrantMissingExp,
    Fault::GrantIatAfterExp,
    Fault::GrantUnsigned,
    Fault::GrantPaddedBase64,
    Fault::AtMissingTyp,
    Fault::AtAudNotResource,
    Fault::GrantIssTokenEndpoint,
    Fault::GrantSubEmpty,
    Fault::GrantAlreadyExpired,
    Fault::GrantNbfFuture,
    Fault::GrantHs256,
    Fault::GrantExtraSegment,
    Fault::GrantAudOtherAs,
    Fault::GrantAudResource,
    Fault::GrantExpMilliseconds,
    Fault::AsBAssertionParamRenamed,
    Fault::AsBGrantTypeMisnamed,
    Fault::AtAudOtherResource,
    Fault::AccessTokenObject,
    Fault::AtNoExp,
];

/// Bearer chain without panicking: user token → exchange → jwt-bearer → RS-B 200.
async fn chain_works(e: &Env) -> bool {
    let st = e.user_token().await;
    let x = e
        .exchange_with(&st, &[("resource", &e.f.as_b_issuer)], None)
        .await;
    let Some(grant) = x.json["access_token"].as_str() else {
        return false;
    };
    let r = e.redeem(grant, &[], None).await;
    let Some(at) = r.json["access_token"].as_str() else {
        return false;
    };
    e.rs_get("Bearer", at, None).await.status == 200
}

async fn grant_claims(e: &Env) -> serde_json::Map<String, Value> {
    let r = e.exchange(&[]).await;
    decode(r.token()).1
}

async fn exchange_status(e: &Env, extra: &[(&str, &str)]) -> u16 {
    e.exchange(extra).await.status
}

async fn raw_post(e: &Env, url: &str, body: String) -> Resp {
    let req = e
        .http
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body);
    let (id, secret) = (e.f.client_id.clone(), e.f.client_secret.clone());
    read(req.basic_auth(id, Some(secret)).send().await.unwrap()).await
}

fn hs256_with_public_jwk(e: &Env) -> String {
    hs256_with_secret(e, &serde_json::to_vec(&e.harness.public_jwk()).unwrap())
}

/// A harness grant's claims under HS256 keyed with `secret`.
fn hs256_with_secret(e: &Env, secret: &[u8]) -> String {
    use hmac::Mac;
    let claims = Value::Object(decode(&e.harness_grant(json!({}))).1);
    let header = json!({"alg": "HS256", "kid": e.harness.kid()});
    let input = format!(
        "{}.{}",
        jose::b64url(&serde_json::to_vec(&header).unwrap()),
        jose::b64url(&serde_json::to_vec(&claims).unwrap())
    );
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret).unwrap();
    mac.update(input.as_bytes());
    format!("{input}.{}", jose::b64url(&mac.finalize().into_bytes()))
}

/// client_credentials at AS-A authenticated by a private_key_jwt assertion.
async fn client_assertion_status(e: &Env, assertion: &str) -> u16 {
    let p = [
        ("grant_type", "client_credentials"),
        (
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        ),
        ("client_assertion", assertion),
    ];
    e.post(&e.f.as_a_token_endpoint, &p, Auth::None, None)
        .await
        .status
}

/// The same ES256 JWS with its signature's s negated (n - s): still valid, a different string.
fn malleate(token: &str) -> String {
    let (input, sig) = token.rsplit_once('.').unwrap();
    let bytes =
        base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, sig).unwrap();
    let sig = p256::ecdsa::Signature::from_slice(&bytes).unwrap();
    let (r, s) = sig.split_scalars();
    let flipped = p256::ecdsa::Signature::from_scalars(r, -s).unwrap();
    format!("{input}.{}", jose::b64url(&flipped.to_bytes()))
}

/// Start a pair with `faults` and report whether the behaviour `f` breaks is observed.
async fn observe(f: Fault, faults: &[Fault]) -> bool {
    use Fault::*;
    if f.mode() == mock_as::MockProfile::IdJag {
        return crate::id_jag::observe(f, faults).await;
    }
    // A few faults need a special configuration to be observable.
    let e = if f == AcceptExpiredSubjectToken {
        let mut cfg = MockConfig::default();
        cfg.as_a.access_token_lifetime_secs = 1;
        start(MockOptions {
            config: cfg,
            faults: faults.to_vec(),
            ..MockOptions::default()
        })
        .await
    } else {
        env_with(faults).await
    };
    let f_ = &e.f;
    match f {
        AcceptUnknownAudience => {
            let st = e.user_token().await;
            e.exchange_with(&st, &[("audience", "urn:example:unknown")], None).await.status == 200
        }
        GrantAudWrong => grant_claims(&e).await["aud"] == json!(f_.as_a_issuer),
        GrantMultiAud => grant_claims(&e).await["aud"].is_array(),
        LongLivedGrant => {
            let c = grant_claims(&e).await;
            c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap() > 300
        }
        ExchangeNoClientAuth => {
            let st = e.user_token().await;
            let p = [("grant_type", TE), ("subject_token", &st), ("subject_token_type", TT_AT), ("resource", &f_.as_b_issuer)];
            e.post(&f_.as_a_token_endpoint, &p, Auth::None, None).await.status == 200
        }
        IgnoreClientSecretAtAsA => {
            let st = e.user_token().await;
            let p = [("grant_type", TE), ("subject_token", &st), ("subject_token_type", TT_AT), ("resource", &f_.as_b_issuer)];
            e.post(&f_.as_a_token_endpoint, &p, Auth::Basic(&f_.client_id, "wrong"), None).await.status == 200
        }
        AcceptForeignSubjectToken => {
            let st = e.user_token().await;
            let p = [("grant_type", TE), ("subject_token", &st), ("subject_token_type", TT_AT), ("resource", &f_.as_b_issuer)];
            e.post(&f_.as_a_token_endpoint, &p, e.second_client(), None).await.status == 200
        }
        ScopeEscalation => exchange_status(&e, &[("scope", &f_.escalation_scope)]).await == 200,
        WrongIssuedTokenType => e.exchange(&[]).await.json["issued_token_type"] != TT_JWT,
        DropRequestedCnf => {
            let key = EsKey::generate();
            let st = e.user_token().await;
            let x = e.exchange_with(&st, &[("resource", &f_.as_b_issuer)], Some(e.token_proof(&key, &f_.as_a_token_endpoint))).await;
            decode(x.token()).1.get("requested_cnf").is_none()
        }
        AcceptWrongAud => e.redeem(&e.harness_grant(json!({"aud": f_.as_a_issuer})), &[], None).await.status == 200,
        AcceptExpired => e.redeem(&e.harness_grant(json!({"exp": now() - 600})), &[], None).await.status == 200,
        AcceptAlgNone => {
            let g = jose::assemble(&json!({"alg": "none"}), &Value::Object(decode(&e.harness_grant(json!({}))).1), b"");
            e.redeem(&g, &[], None).await.status == 200
        }
        SkipSignature => {
            let g = tamper(&e.harness_grant(json!({})), |c| c["scope"] = json!("read"));
            e.redeem(&g, &[], None).await.status == 200
        }
        IssueRefreshToken => e.redeem(&e.grant().await, &[], None).await.json.get("refresh_token").is_some(),
        AllowReplay => {
            let g = e.grant().await;
            e.redeem(&g, &[], None).await;
            e.redeem(&g, &[], None).await.status == 200
        }
        AcceptUnmappedSubject => e.redeem(&e.harness_grant(json!({"sub": "unknown-x"})), &[], None).await.status == 200,
        SubjectNotMapped => {
            let r = e.redeem(&e.harness_grant(json!({})), &[], None).await;
            r.status == 200 && decode(r.token()).1["sub"] == json!(f_.user_sub)
        }
        DropCnf => {
            let key = EsKey::generate();
            let g = e.harness_grant(json!({"requested_cnf": {"jkt": key.thumbprint()}}));
            let r = e.redeem(&g, &[], Some(e.token_proof(&key, &f_.as_b_token_endpoint))).await;
            r.status == 200 && decode(r.token()).1.get("cnf").is_none()
        }
        NoCacheControl => e.exchange(&[]).await.header("cache-control") != Some("no-store"),
        ServerErrorOnMalformed => {
            let r = read(e.http.post(&f_.as_a_token_endpoint).header("content-type", "text/plain").body("x").send().await.unwrap()).await;
            r.status == 500
        }
        MissingTargetAccepted => {
            let st = e.user_token().await;
            e.exchange_with(&st, &[], None).await.status == 200
        }
        AcceptBadTargetUri => exchange_status(&e, &[]).await == 200 && {
            let st = e.user_token().await;
            e.exchange_with(&st, &[("resource", &format!("{}#frag", f_.as_b_issuer))], None).await.status == 200
        },
        IgnoreSubjectTokenType => {
            let st = e.user_token().await;
            let p = [("grant_type", TE), ("subject_token", &st), ("resource", &f_.as_b_issuer),
                     ("subject_token_type", "urn:ietf:params:oauth:token-type:id_token")];
            e.post(&f_.as_a_token_endpoint, &p, e.client(), None).await.status == 200
        }
        AcceptExpiredSubjectToken => {
            let st = e.user_token().await;
            tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
            e.exchange_with(&st, &[("resource", &f_.as_b_issuer)], None).await.status == 200
        }
        AcceptForgedSubjectToken => {
            let st = tamper(&e.user_token().await, |c| c["scope"] = json!("read"));
            e.exchange_with(&st, &[("resource", &f_.as_b_issuer)], None).await.status == 200
        }
        SubjectTokenErrorInvalidGrant => {
            e.exchange_with("garbage", &[("resource", &f_.as_b_issuer)], None).await.error() == "invalid_grant"
        }
        MissingSubjectParamInvalidGrant => {
            let p = [("grant_type", TE), ("subject_token_type", TT_AT), ("resource", &f_.as_b_issuer)];
            e.post(&f_.as_a_token_endpoint, &p, e.client(), None).await.error() == "invalid_grant"
        }
        ActorTokenTypeUnchecked => {
            let actor = e.user_token().await;
            exchange_status(&e, &[("actor_token", &actor)]).await == 200
        }
        AcceptUnsupportedTokenType => exchange_status(&e, &[("requested_token_type", "urn:example:unsupported")]).await == 200,
        ExchangeScopeNotReported => e.exchange(&[]).await.json.get("scope").is_none(),
        AsAIgnoreInvalidDpop => {
            let proof = make_proof(&EsKey::generate(), "GET", &f_.as_a_token_endpoint, None, now());
            let st = e.user_token().await;
            e.exchange_with(&st, &[("resource", &f_.as_b_issuer)], Some(proof)).await.status == 200
        }
        TokenTypeBearer => e.exchange(&[]).await.json["token_type"] == "Bearer",
        ExchangeNoExpiresIn => e.exchange(&[]).await.json.get("expires_in").is_none(),
        ExchangeRefreshToken => e.exchange(&[]).await.json.get("refresh_token").is_some(),
        GrantIssMismatch => grant_claims(&e).await["iss"] != json!(f_.as_a_issuer),
        GrantMissingSub => !grant_claims(&e).await.contains_key("sub"),
        GrantMissingExp => !grant_claims(&e).await.contains_key("exp"),
        GrantNoJti => !grant_claims(&e).await.contains_key("jti"),
        GrantDuplicateJti => grant_claims(&e).await["jti"] == grant_claims(&e).await["jti"],
        JwksLeaksPrivateKey => e.get_json(&f_.as_a_jwks_uri).await.json["keys"][0].get("d").is_some(),
        JwksNoKid => e.get_json(&f_.as_a_jwks_uri).await.json["keys"][0].get("kid").is_none(),
        MetadataIssuerMismatch => e.get_json(&f_.as_a_metadata_url).await.json["issuer"] != json!(f_.as_a_issuer),
        MetadataNoJwksUri => e.get_json(&f_.as_a_metadata_url).await.json.get("jwks_uri").is_none(),
        MetadataNoTokenExchange => {
            !e.get_json(&f_.as_a_metadata_url).await.json["grant_types_supported"].as_array().unwrap().contains(&json!(TE))
        }
        MetadataAlgNone => e.get_json(&f_.as_a_metadata_url).await.json["token_endpoint_auth_signing_alg_values_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("none")),
        MetadataChainingTypesNotArray => {
            !e.get_json(&f_.as_a_metadata_url).await.json["identity_chaining_requested_token_types_supported"].is_array()
        }
        MetadataDpopAlgNone => e.get_json(&f_.as_a_metadata_url).await.json["dpop_signing_alg_values_supported"]
            .as_array()
            .unwrap()
            .contains(&json!("none")),
        AcceptUntrustedKey => {
            let k = EsKey::generate();
            let g = jose::sign(&k, &json!({"alg": "ES256", "kid": k.kid()}), &Value::Object(decode(&e.harness_grant(json!({}))).1));
            e.redeem(&g, &[], None).await.status == 200
        }
        AcceptHmacConfusion => e.redeem(&hs256_with_public_jwk(&e), &[], None).await.status == 200,
        IgnoreIssuerKeyBinding => e.redeem(&e.harness_grant(json!({"iss": "https://evil.example"})), &[], None).await.status == 200,
        AcceptMissingSub => e.redeem(&e.harness_grant(json!({"sub": null})), &[], None).await.status == 200,
        AcceptMissingExp => e.redeem(&e.harness_grant(json!({"exp": null})), &[], None).await.status == 200,
        AcceptFutureNbf => e.redeem(&e.harness_grant(json!({"nbf": now() + 600})), &[], None).await.status == 200,
        AcceptUnknownCrit => {
            let h = json!({"alg": "ES256", "kid": e.harness.kid(), "crit": ["urn:example:x"], "urn:example:x": 1});
            e.redeem(&e.harness_grant_with_header(h, json!({})), &[], None).await.status == 200
        }
        AcceptAccessTokenAsGrant => e.redeem(&e.user_token().await, &[], None).await.status == 200,
        AcceptAlgNoneOtherCase => {
            let g = jose::assemble(&json!({"alg": "None"}), &Value::Object(decode(&e.harness_grant(json!({}))).1), b"");
            e.redeem(&g, &[], None).await.status == 200
        }
        AcceptMissingIss => e.redeem(&e.harness_grant(json!({"iss": null})), &[], None).await.status == 200,
        AcceptEmptyIss => e.redeem(&e.harness_grant(json!({"iss": ""})), &[], None).await.status == 200,
        AcceptEmptySub => e.redeem(&e.harness_grant(json!({"sub": ""})), &[], None).await.status == 200,
        AcceptMissingAud => e.redeem(&e.harness_grant(json!({"aud": null})), &[], None).await.status == 200,
        IgnoreStringNbf => e.redeem(&e.harness_grant(json!({"nbf": "4102444800"})), &[], None).await.status == 200,
        CritAbsentNameIgnored => {
            let h = json!({"alg": "ES256", "kid": e.harness.kid(), "crit": ["urn:example:absent"]});
            e.redeem(&e.harness_grant_with_header(h, json!({})), &[], None).await.status == 200
        }
        FirstOfJoinedJwts => {
            let g = e.harness_grant(json!({}));
            e.redeem(&format!("{g}.{g}"), &[], None).await.status == 200
        }
        AccessTokenObject => e.redeem(&e.grant().await, &[], None).await.json["access_token"].is_object(),
        AcceptZeroSignature => {
            let g = e.harness_grant(json!({}));
            let input = g.rsplit_once('.').unwrap().0;
            e.redeem(&format!("{input}.{}", jose::b64url(&[0u8; 64])), &[], None).await.status == 200
        }
        AcceptHmacConfusionPem => {
            let pem = mock_as::testkit::verifying_key_from_jwk(&e.harness.public_jwk()).unwrap().to_public_key_pem().unwrap();
            e.redeem(&hs256_with_secret(&e, pem.as_bytes()), &[], None).await.status == 200
        }
        AcceptJwsJsonSerialization => {
            let g = e.harness_grant(json!({}));
            let p: Vec<&str> = g.split('.').collect();
            let flat = json!({"protected": p[0], "payload": p[1], "signature": p[2]}).to_string();
            e.redeem(&flat, &[], None).await.status == 200
        }
        TrustDiscoveredIssuer => {
            let key = EsKey::generate();
            let iss = stranger_issuer(&key).await;
            let claims = decode(&e.harness_grant(json!({"iss": iss}))).1;
            let g = jose::sign(&key, &json!({"alg": "ES256", "kid": key.kid()}), &Value::Object(claims));
            e.redeem(&g, &[], None).await.status == 200
        }
        AtNoExp => {
            let r = e.redeem(&e.grant().await, &[], None).await;
            r.status == 200 && !decode(r.token()).1.contains_key("exp")
        }
        AudPrefixMatch => {
            let g = e.harness_grant(json!({"aud": format!("{}/other", f_.as_b_issuer)}));
            e.redeem(&g, &[], None).await.status == 200
        }
        AcceptGrantForOtherClient => {
            e.redeem(&e.harness_grant(json!({"client_id": f_.second_client_id})), &[], None).await.status == 200
        }
        IgnoreInvalidClientCredentials => {
            let g = e.harness_grant(json!({}));
            let auth = Auth::Basic(&f_.client_id, "wrong");
            e.post(&f_.as_b_token_endpoint, &[("grant_type", JB), ("assertion", &g)], auth, None).await.status == 200
        }
        MissingAssertionInvalidGrant => {
            e.post(&f_.as_b_token_endpoint, &[("grant_type", JB)], e.b_client(), None).await.error() == "invalid_grant"
        }
        BadGrantInvalidRequest => {
            e.redeem(&e.harness_grant(json!({"exp": now() - 600})), &[], None).await.error() == "invalid_request"
        }
        AcceptUnknownResource => {
            e.redeem(&e.harness_grant(json!({})), &[("resource", "https://unknown.invalid/")], None).await.status == 200
        }
        AsBScopeEscalation => e.redeem(&e.harness_grant(json!({})), &[("scope", "admin")], None).await.status == 200,
        AsBIgnoreInvalidDpop => {
            let proof = make_proof(&EsKey::generate(), "GET", &f_.as_b_token_endpoint, None, now());
            e.redeem(&e.harness_grant(json!({})), &[], Some(proof)).await.status == 200
        }
        IgnoreRequestedCnf => {
            let g = e.harness_grant(json!({"requested_cnf": {"jkt": EsKey::generate().thumbprint()}}));
            e.redeem(&g, &[], None).await.status == 200
        }
        AcceptRequestedCnfMismatch => {
            let g = e.harness_grant(json!({"requested_cnf": {"jkt": EsKey::generate().thumbprint()}}));
            let proof = e.token_proof(&EsKey::generate(), &f_.as_b_token_endpoint);
            e.redeem(&g, &[], Some(proof)).await.status == 200
        }
        LongLivedAccessToken => e.redeem(&e.grant().await, &[], None).await.json["expires_in"].as_i64().unwrap_or(0) > 3600,
        AtMissingTyp => decode(e.redeem(&e.grant().await, &[], None).await.token()).0.get("typ").is_none(),
        AsBScopeNotReported => e.redeem(&e.grant().await, &[], None).await.json.get("scope").is_none(),
        DpopTokenTypeBearer => {
            let key = EsKey::generate();
            let r = e.redeem(&e.grant().await, &[], Some(e.token_proof(&key, &f_.as_b_token_endpoint))).await;
            decode(r.token()).1.contains_key("cnf") && r.json["token_type"] == "Bearer"
        }
        ExpiresInString => e.redeem(&e.grant().await, &[], None).await.json["expires_in"].is_string(),
        RsAcceptsGrant => e.rs_get("Bearer", &e.grant().await, None).await.status == 200,
        RsAcceptsBoundTokenAsBearer => {
            let key = EsKey::generate();
            let r = e.redeem(&e.grant().await, &[], Some(e.token_proof(&key, &f_.as_b_token_endpoint))).await;
            e.rs_get("Bearer", r.token(), None).await.status == 200
        }
        RsAcceptsQueryToken => {
            let at = e.b_token().await;
            e.http.get(format!("{}?access_token={at}", f_.rs_url)).send().await.unwrap().status() == 200
        }
        RsMetadataWrongResource => e.get_json(&f_.rs_metadata_url).await.json["resource"] != json!(f_.rs_resource),
        RsNoResourceMetadataChallenge => {
            let r = e.rs_get("Bearer", "garbage", None).await;
            !r.header("www-authenticate").unwrap_or("").contains("resource_metadata=")
        }
        ErrorDescriptionBadChars => {
            let r = e.exchange_with("garbage", &[("resource", &f_.as_b_issuer)], None).await;
            r.json["error_description"].as_str().unwrap_or("").contains('"')
        }
        InvalidClient400AfterBasic => {
            let r = e.post(&f_.as_a_token_endpoint, &[("grant_type", "client_credentials")], Auth::Basic(&f_.client_id, "wrong"), None).await;
            r.status == 400 && r.json["error"] == "invalid_client" && r.header("www-authenticate").is_none()
        }
        InvalidClientNoChallenge => {
            let r = e.post(&f_.as_a_token_endpoint, &[("grant_type", "client_credentials")], Auth::Basic(&f_.client_id, "wrong"), None).await;
            r.status == 401 && r.header("www-authenticate").is_none()
        }
        AcceptDuplicateParams => {
            let st = e.user_token().await;
            let b = &f_.as_b_issuer;
            let body = format!("grant_type={TE}&subject_token={st}&subject_token_type={TT_AT}&subject_token_type={TT_AT}&resource={b}");
            raw_post(&e, &f_.as_a_token_endpoint, body).await.status == 200
        }
        TokenEndpointAcceptsGet => {
            let (u, p) = f_.user.clone();
            let url = format!("{}?grant_type=password&username={u}&password={p}", f_.as_a_token_endpoint);
            let r = read(e.http.get(url).basic_auth(&f_.client_id, Some(&f_.client_secret)).send().await.unwrap()).await;
            r.status == 200
        }
        TokenResponseTextPlain => e.exchange(&[]).await.header("content-type").unwrap_or("").starts_with("text/plain"),
        ExchangeNoIssuedTokenType => e.exchange(&[]).await.json.get("issued_token_type").is_none(),
        AcceptClientCredentialsSubject => {
            let cc = e.post(&f_.as_a_token_endpoint, &[("grant_type", "client_credentials")], e.client(), None).await;
            e.exchange_with(cc.token(), &[("resource", &f_.as_b_issuer)], None).await.status == 200
        }
        GrantIatAfterExp => {
            let c = grant_claims(&e).await;
            c["iat"].as_i64().unwrap() > c["exp"].as_i64().unwrap()
        }
        GrantUnsigned => decode(e.exchange(&[]).await.token()).0["alg"] == "none",
        GrantPaddedBase64 => e.exchange(&[]).await.token().contains('='),
        GrantIncludesPii => grant_claims(&e).await.contains_key("email"),
        AdvertisedTypeNotIssuable => {
            let md = e.get_json(&f_.as_a_metadata_url).await.json;
            let mut refused = false;
            for t in md["identity_chaining_requested_token_types_supported"].as_array().unwrap() {
                refused |= exchange_status(&e, &[("requested_token_type", t.as_str().unwrap())]).await != 200;
            }
            refused
        }
        AsBMetadataIssuerMismatch => e.get_json(&f_.as_b_metadata_url).await.json["issuer"] != json!(f_.as_b_issuer),
        AsBMetadataNoJwtBearer => {
            !e.get_json(&f_.as_b_metadata_url).await.json["grant_types_supported"].as_array().unwrap().contains(&json!(JB))
        }
        FollowJku => {
            let attacker = EsKey::generate();
            let doc = std::sync::Arc::new(std::sync::RwLock::new(json!({"keys": [attacker.public_jwk()]})));
            let jku = jwks_server(doc).await;
            let claims = Value::Object(decode(&e.harness_grant(json!({}))).1);
            let g = jose::sign(&attacker, &json!({"alg": "ES256", "kid": attacker.kid(), "jku": jku}), &claims);
            e.redeem(&g, &[], None).await.status == 200
        }
        TrustEmbeddedJwk => {
            let attacker = EsKey::generate();
            let claims = Value::Object(decode(&e.harness_grant(json!({}))).1);
            let header = json!({"alg": "ES256", "jwk": attacker.public_jwk_minimal()});
            e.redeem(&jose::sign(&attacker, &header, &claims), &[], None).await.status == 200
        }
        TrustX5c => {
            use base64::Engine as _;
            let (attacker, cert) = self_signed();
            let x5c = base64::engine::general_purpose::STANDARD.encode(cert.der());
            let claims = Value::Object(decode(&e.harness_grant(json!({}))).1);
            let header = json!({"alg": "ES256", "x5c": [x5c]});
            e.redeem(&jose::sign(&attacker, &header, &claims), &[], None).await.status == 200
        }
        FollowX5u => {
            let (attacker, cert) = self_signed();
            let x5u = pem_server(cert.pem()).await;
            let claims = Value::Object(decode(&e.harness_grant(json!({}))).1);
            let header = json!({"alg": "ES256", "x5u": x5u});
            e.redeem(&jose::sign(&attacker, &header, &claims), &[], None).await.status == 200
        }
        SubjectMapCollapsed => {
            let r = e.redeem(&e.harness_grant(json!({"sub": "bob"})), &[], None).await;
            decode(r.token()).1["sub"] != json!("bob@b.example")
        }
        GrantIssTokenEndpoint => grant_claims(&e).await["iss"] != json!(f_.as_a_issuer),
        GrantSubEmpty => grant_claims(&e).await["sub"] == json!(""),
        GrantAlreadyExpired => grant_claims(&e).await["exp"].as_i64().unwrap() < now(),
        GrantNbfFuture => grant_claims(&e).await.get("nbf").and_then(Value::as_i64).is_some_and(|n| n > now() + 60),
        GrantHs256 => decode(e.exchange(&[]).await.token()).0["alg"] == json!("HS256"),
        GrantExtraSegment => e.exchange(&[]).await.token().split('.').count() == 4,
        GrantActNotObject => grant_claims(&e).await.get("act").is_some_and(|a| !a.is_object()),
        GrantClientIdNotString => grant_claims(&e).await.get("client_id").is_some_and(|c| !c.is_string()),
        GrantScopeArray => grant_claims(&e).await.get("scope").is_some_and(Value::is_array),
        AsBTokenTypeNA => e.redeem(&e.grant().await, &[], None).await.json["token_type"] == json!("N_A"),
        DpopProofReplayAccepted => {
            let key = EsKey::generate();
            let proof = e.token_proof(&key, &f_.as_b_token_endpoint);
            e.redeem(&e.harness_grant(json!({})), &[], Some(proof.clone())).await;
            e.redeem(&e.harness_grant(json!({})), &[], Some(proof)).await.status == 200
        }
        AsBNoTokenType => e.redeem(&e.grant().await, &[], None).await.json.get("token_type").is_none(),
        InvalidGrantStatus401 => e.redeem(&e.harness_grant(json!({"exp": now() - 600})), &[], None).await.status == 401,
        AtAudNotResource => decode(e.redeem(&e.grant().await, &[], None).await.token()).1["aud"] != json!(f_.rs_resource),
        AtMissingJtiClientId => !decode(e.redeem(&e.grant().await, &[], None).await.token()).1.contains_key("jti"),
        CnfWrongThumbprint => {
            let key = EsKey::generate();
            let r = e.redeem(&e.grant().await, &[], Some(e.token_proof(&key, &f_.as_b_token_endpoint))).await;
            decode(r.token()).1["cnf"]["jkt"] != json!(key.thumbprint())
        }
        RsMetadataNoAsB => {
            !e.get_json(&f_.rs_metadata_url).await.json["authorization_servers"].as_array().unwrap().contains(&json!(f_.as_b_issuer))
        }
        RsSkipsAth => {
            let key = EsKey::generate();
            let r = e.redeem(&e.grant().await, &[], Some(e.token_proof(&key, &f_.as_b_token_endpoint))).await;
            let at = r.token().to_owned();
            let proof = make_proof(&key, "GET", &f_.rs_url, Some("some-other-token"), now());
            e.rs_get("DPoP", &at, Some(proof)).await.status == 200
        }
        ClientAssertionUnverified => {
            let id = f_.jwt_client_id.clone().unwrap();
            let ca = mock_as::testkit::make_client_assertion(&EsKey::generate(), &id, &f_.as_a_issuer, now());
            client_assertion_status(&e, &ca).await == 200
        }
        ClientAssertionAlgNone => {
            let id = f_.jwt_client_id.clone().unwrap();
            let key = EsKey::from_pkcs8_pem(mock_as::JWT_CLIENT_KEY_PEM).unwrap();
            let ca = mock_as::testkit::make_client_assertion(&key, &id, &f_.as_a_issuer, now());
            let (mut header, claims) = decode(&ca);
            header.insert("alg".into(), json!("none"));
            let unsigned = jose::assemble(&Value::Object(header), &Value::Object(claims), b"");
            client_assertion_status(&e, &unsigned).await == 200
        }
        ClientAssertionReplay => {
            let key = EsKey::from_pkcs8_pem(mock_as::JWT_CLIENT_KEY_PEM).unwrap();
            let id = f_.jwt_client_id.clone().unwrap();
            let ca = mock_as::testkit::make_client_assertion(&key, &id, &f_.as_a_issuer, now());
            client_assertion_status(&e, &ca).await;
            client_assertion_status(&e, &ca).await == 200
        }
        IdJagTypMissing | IdJagNoClientId | IdJagAudTokenEndpoint | IdJagIssuedTypeJwt | IdJagIdTokenAudUnchecked | IdJagTypUnchecked | IdJagClientIdOptional | IdJagAudTokenEndpointAccepted | IdJagNoGrantProfileMetadata | IdJagAudMultiAccepted | IdJagClientIdMismatchAccepted | IdJagRefreshToken => unreachable!("observed in id_jag.rs"),
        UnknownGrantTypeInvalidRequest => {
            e.post(&f_.as_a_token_endpoint, &[("grant_type", "urn:example:nope")], e.client(), None).await.error() == "invalid_request"
        }
        MetadataChainingTypesEmpty => {
            e.get_json(&f_.as_a_metadata_url).await.json["identity_chaining_requested_token_types_supported"] == json!([])
        }
        AdvertisedTypeRefusedWhenNamed => {
            let md = e.get_json(&f_.as_a_metadata_url).await.json;
            md["identity_chaining_requested_token_types_supported"].as_array().unwrap().contains(&json!(TT_JWT))
                && exchange_status(&e, &[("requested_token_type", TT_JWT)]).await != 200
        }
        AsBMetadataAlgNone => e.get_json(&f_.as_b_metadata_url).await.json["token_endpoint_auth_signing_alg_values_supported"]
            .as_array()
            .is_some_and(|a| a.contains(&json!("none"))),
        AsBMetadataDpopAlgHs256 => e.get_json(&f_.as_b_metadata_url).await.json["dpop_signing_alg_values_supported"]
            .as_array()
            .is_some_and(|a| a.contains(&json!("HS256"))),
        AsBAssertionParamRenamed | AsBGrantTypeMisnamed => e.redeem(&e.grant().await, &[], None).await.status != 200,
        AsBGrantTypeIgnored => {
            let g = e.grant().await;
            let p = [("grant_type", "urn:example:nope"), ("assertion", g.as_str())];
            e.post(&f_.as_b_token_endpoint, &p, e.b_client(), None).await.error() != "unsupported_grant_type"
        }
        AsBIgnoresResource => {
            e.redeem(&e.harness_grant(json!({})), &[("resource", "https://unknown.invalid/")], None).await.status == 200
        }
        AtAudOtherResource => decode(e.redeem(&e.grant().await, &[], None).await.token()).1["aud"] != json!(f_.rs_resource),
        CnfThumbprintHex => {
            let key = EsKey::generate();
            let r = e.redeem(&e.grant().await, &[], Some(e.token_proof(&key, &f_.as_b_token_endpoint))).await;
            decode(r.token()).1["cnf"]["jkt"] != json!(key.thumbprint())
        }
        ReplayCheckRacy => {
            let g = e.grant().await;
            let (a, b) = tokio::join!(e.redeem(&g, &[], None), e.redeem(&g, &[], None));
            a.status == 200 && b.status == 200
        }
        IgnoreUnknownClientPost => {
            let g = e.grant().await;
            let p = [("grant_type", JB), ("assertion", g.as_str())];
            e.post(&f_.as_b_token_endpoint, &p, Auth::Post("no-such-client", "x"), None).await.status == 200
        }
        EmptyAssertionInvalidGrant => {
            let p = [("grant_type", JB), ("assertion", "")];
            e.post(&f_.as_b_token_endpoint, &p, e.b_client(), None).await.error() == "invalid_grant"
        }
        RsSkipsSignature => {
            let at = e.b_token().await;
            let mut parts: Vec<String> = at.split('.').map(str::to_owned).collect();
            let mut claims = decode(&at).1;
            claims.insert("altered".into(), json!(true));
            parts[1] = jose::b64url(&serde_json::to_vec(&claims).unwrap());
            e.rs_get("Bearer", &parts.join("."), None).await.status == 200
        }
        GrantBindingFormClientId => {
            let g = e.harness_grant(json!({"client_id": f_.second_client_id}));
            e.redeem(&g, &[("client_id", f_.second_client_id.as_str())], None).await.status == 200
        }
        BindToStaleProofKey => {
            let key = EsKey::generate();
            e.redeem(&e.grant().await, &[], Some(e.token_proof(&key, &f_.as_b_token_endpoint))).await;
            decode(e.redeem(&e.grant().await, &[], None).await.token()).1.contains_key("cnf")
        }
        ReplayCachePerClient => {
            let g = e.grant().await;
            e.redeem(&g, &[], None).await;
            let p = [("grant_type", JB), ("assertion", g.as_str())];
            e.post(&f_.as_b_token_endpoint, &p, Auth::None, None).await.status == 200
        }
        SubjectBindingFormClientId => {
            let st = e.user_token().await;
            let p = [
                ("grant_type", TE),
                ("subject_token", st.as_str()),
                ("subject_token_type", TT_AT),
                ("resource", f_.as_b_issuer.as_str()),
                ("client_id", f_.client_id.as_str()),
            ];
            e.post(&f_.as_a_token_endpoint, &p, e.second_client(), None).await.status == 200
        }
        ReplayKeyedOnAssertion => {
            let g = e.grant().await;
            e.redeem(&g, &[], None).await;
            e.redeem(&malleate(&g), &[], None).await.status == 200
        }
        DpopReplayKeyedOnProof => {
            let key = EsKey::generate();
            let proof = e.token_proof(&key, &f_.as_b_token_endpoint);
            e.redeem(&e.grant().await, &[], Some(proof.clone())).await;
            e.redeem(&e.grant().await, &[], Some(malleate(&proof))).await.status == 200
        }
        ActorTokenUnverified | UnsupportedTokenTypeCode | NoActOnDelegation | ActNamesClient
        | ActChainInverted | ActChainDropped | IgnoreMayAct | IssuedTypeNotRequested
        | FirstTargetOnly | UnknownTargetInvalidGrant | ImpersonationSubIsClient
        | MayActRefusalInvalidGrant | UnknownActorTypeAccepted | ActNotObject
        | ActPriorIsSubject | IssuedTypeMislabelled | SeveralTargetsInvalidRequest
        | UnknownTargetServerError | MayActMatchesClient => {
            unreachable!("{f} is observed in the rfc8693 mode (rfc8693.rs)")
        }
        IssuedTypeIdJagForJwt => {
            let tt_jwt = "urn:ietf:params:oauth:token-type:jwt";
            e.exchange(&[("requested_token_type", tt_jwt)]).await.json["issued_token_type"] != tt_jwt
        }
        GrantAudOtherAs => {
            let aud = &grant_claims(&e).await["aud"];
            *aud != json!(f_.as_b_issuer) && *aud == json!(f_.as_c.clone().unwrap())
        }
        GrantAudResource => grant_claims(&e).await["aud"] == json!(f_.rs_resource),
        GrantAudDuplicated => grant_claims(&e).await["aud"].as_array().is_some_and(|a| a.len() == 2),
        ExchangeCacheNoCache => e.exchange(&[]).await.header("cache-control") == Some("no-cache, private"),
        RequestedCnfWrongJkt => {
            let key = EsKey::generate();
            let st = e.user_token().await;
            let x = e.exchange_with(&st, &[("resource", &f_.as_b_issuer)], Some(e.token_proof(&key, &f_.as_a_token_endpoint))).await;
            decode(x.token()).1["requested_cnf"]["jkt"] != json!(key.thumbprint())
        }
        GrantMayActNotObject => grant_claims(&e).await.get("may_act").is_some_and(|m| !m.is_object()),
        EmptyTargetDefaults => {
            let st = e.user_token().await;
            e.exchange_with(&st, &[("audience", "")], None).await.status == 200
        }
        AudienceAliasRefused => {
            let st = e.user_token().await;
            e.exchange_with(&st, &[("audience", &f_.as_b_audience_alias)], None).await.status != 200
        }
        AudienceAudIsAlias => {
            let st = e.user_token().await;
            let x = e.exchange_with(&st, &[("audience", &f_.as_b_audience_alias)], None).await;
            decode(x.token()).1["aud"] == json!(f_.as_b_audience_alias)
        }
        UnissuableTypeFallsBack => {
            let saml = "urn:ietf:params:oauth:token-type:saml2";
            e.exchange(&[("requested_token_type", saml)]).await.status == 200
                && e.exchange(&[("requested_token_type", "urn:example:nope")]).await.status == 400
        }
        ExpiresInDisagrees => {
            let x = e.exchange(&[]).await;
            let c = decode(x.token()).1;
            x.json["expires_in"].as_i64() != Some(c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap())
        }
        GrantExpMilliseconds => {
            let c = grant_claims(&e).await;
            c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap() > 300
        }
        TokenEndpointIgnoresMethod => {
            let (u, p) = f_.user.clone();
            let r = e.http.put(&f_.as_a_token_endpoint).basic_auth(&f_.client_id, Some(&f_.client_secret))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!("grant_type=password&username={u}&password={p}")).send().await.unwrap();
            read(r).await.status == 200
        }
        RefuseUnknownParams => e.redeem(&e.grant().await, &[("chainproof_unrecognized", "x")], None).await.status != 200,
        ExchangeGrantsClientScopes => grant_claims(&e).await["scope"].as_str().is_some_and(|sc| sc.split(' ').any(|w| w == f_.escalation_scope)),
        ExchangeScopeNarrowedSilently => {
            let x = e.exchange(&[("scope", "read write")]).await;
            x.json.get("scope").is_none() && decode(x.token()).1["scope"] != json!("read write")
        }
        GrantAudUnrequestedAs => {
            let st = e.user_token().await;
            let c = f_.as_c.clone().unwrap();
            let x = e.exchange_with(&st, &[("resource", &f_.as_b_issuer), ("resource", &c)], None).await;
            x.status == 200 && decode(x.token()).1["aud"].as_array().is_some_and(|a| a.len() == 3)
        }
        ExchangeNoTokenType => {
            let x = e.exchange(&[]).await;
            x.status == 200 && x.json.get("token_type").is_none() && x.json.get("issued_token_type").is_some()
        }
        AsBScopeNarrowedSilently => {
            let y = e.redeem(&e.grant().await, &[("scope", "read write")], None).await;
            y.status == 200 && y.json.get("scope").is_none() && decode(y.token()).1["scope"] == json!("read")
        }
        AsBGrantsUnknownScope => {
            let y = e.redeem(&e.grant().await, &[("scope", "chainproof-unknown-scope")], None).await;
            y.status == 200 && decode(y.token()).1["scope"] == json!("chainproof-unknown-scope")
        }
        ExchangeAcceptsJsonBody => {
            let st = e.user_token().await;
            let body = json!({"grant_type": TE, "subject_token": st, "subject_token_type": TT_AT, "resource": f_.as_b_issuer});
            let req = e.http.post(&f_.as_a_token_endpoint).header("content-type", "application/json").body(body.to_string());
            let (id, secret) = (f_.client_id.clone(), f_.client_secret.clone());
            let r = read(req.basic_auth(id, Some(secret)).send().await.unwrap()).await;
            r.status == 200 && r.json.get("access_token").is_some()
        }
        ExchangeResponseTextPlain => {
            let x = e.exchange(&[]).await;
            x.status == 200 && x.header("content-type") == Some("text/plain")
        }
        GrantAudApiAudience => {
            let aud = &grant_claims(&e).await["aud"];
            aud.as_array().is_some_and(|a| a.contains(&json!(f_.as_b_issuer)) && a.len() == 2 && a[1] != json!(f_.as_a_token_endpoint))
        }
        GrantAudAsATokenEndpoint => grant_claims(&e).await["aud"] == json!([f_.as_b_issuer, f_.as_a_token_endpoint]),
        GrantAudUntrustedAs => {
            let st = e.user_token().await;
            let untrusted = "https://untrusted-as.invalid/chainproof";
            let x = e.exchange_with(&st, &[("resource", &f_.as_b_issuer), ("resource", untrusted)], None).await;
            x.status == 200 && decode(x.token()).1["aud"] == json!([f_.as_b_issuer, untrusted])
        }
        AsBRelativeResourceIgnored => {
            e.redeem(&e.grant().await, &[("resource", "/chainproof-relative")], None).await.status == 200
        }
        RsBearerSchemeCaseSensitive => {
            let t = e.b_token().await;
            e.rs_get("Bearer", &t, None).await.status == 200 && e.rs_get("bearer", &t, None).await.status == 401
        }
        UnknownGrantTypeAsExchange => {
            let st = e.user_token().await;
            let p = [("grant_type", "urn:example:nope"), ("subject_token", st.as_str()), ("subject_token_type", TT_AT), ("resource", f_.as_b_issuer.as_str())];
            e.post(&f_.as_a_token_endpoint, &p, e.client(), None).await.status == 200
        }
        // Ena-mode faults are observed on an Ena-mode pair (ena.rs).
        other => panic!("{other} is observed in ena.rs"),
    }
}

#[rstest]
#[case(Fault::AcceptUnknownAudience)]
#[case(Fault::GrantAudWrong)]
#[case(Fault::GrantMultiAud)]
#[case(Fault::LongLivedGrant)]
#[case(Fault::ExchangeNoClientAuth)]
#[case(Fault::AcceptForeignSubjectToken)]
#[case(Fault::ScopeEscalation)]
#[case(Fault::WrongIssuedTokenType)]
#[case(Fault::DropRequestedCnf)]
#[case(Fault::AcceptWrongAud)]
#[case(Fault::AcceptExpired)]
#[case(Fault::AcceptAlgNone)]
#[case(Fault::SkipSignature)]
#[case(Fault::IssueRefreshToken)]
#[case(Fault::AllowReplay)]
#[case(Fault::AcceptUnmappedSubject)]
#[case(Fault::SubjectNotMapped)]
#[case(Fault::DropCnf)]
#[case(Fault::NoCacheControl)]
#[case(Fault::ServerErrorOnMalformed)]
#[case(Fault::MissingTargetAccepted)]
#[case(Fault::AcceptBadTargetUri)]
#[case(Fault::IgnoreSubjectTokenType)]
#[case(Fault::AcceptExpiredSubjectToken)]
#[case(Fault::AcceptForgedSubjectToken)]
#[case(Fault::SubjectTokenErrorInvalidGrant)]
#[case(Fault::ActorTokenTypeUnchecked)]
#[case(Fault::MissingSubjectParamInvalidGrant)]
#[case(Fault::AcceptUnsupportedTokenType)]
#[case(Fault::ExchangeScopeNotReported)]
#[case(Fault::AsAIgnoreInvalidDpop)]
#[case(Fault::TokenTypeBearer)]
#[case(Fault::ExchangeNoExpiresIn)]
#[case(Fault::ExchangeRefreshToken)]
#[case(Fault::GrantIssMismatch)]
#[case(Fault::GrantMissingSub)]
#[case(Fault::GrantMissingExp)]
#[case(Fault::GrantNoJti)]
#[case(Fault::GrantDuplicateJti)]
#[case(Fault::JwksLeaksPrivateKey)]
#[case(Fault::JwksNoKid)]
#[case(Fault::MetadataIssuerMismatch)]
#[case(Fault::MetadataNoJwksUri)]
#[case(Fault::MetadataNoTokenExchange)]
#[case(Fault::MetadataAlgNone)]
#[case(Fault::MetadataChainingTypesNotArray)]
#[case(Fault::MetadataDpopAlgNone)]
#[case(Fault::AcceptUntrustedKey)]
#[case(Fault::AcceptHmacConfusion)]
#[case(Fault::IgnoreIssuerKeyBinding)]
#[case(Fault::AcceptMissingSub)]
#[case(Fault::AcceptMissingExp)]
#[case(Fault::AcceptFutureNbf)]
#[case(Fault::AcceptUnknownCrit)]
#[case(Fault::AcceptAlgNoneOtherCase)]
#[case(Fault::AcceptMissingIss)]
#[case(Fault::AcceptEmptyIss)]
#[case(Fault::AcceptEmptySub)]
#[case(Fault::AcceptMissingAud)]
#[case(Fault::IgnoreStringNbf)]
#[case(Fault::CritAbsentNameIgnored)]
#[case(Fault::FirstOfJoinedJwts)]
#[case(Fault::AccessTokenObject)]
#[case(Fault::AtNoExp)]
#[case(Fault::AcceptZeroSignature)]
#[case(Fault::AcceptHmacConfusionPem)]
#[case(Fault::AcceptJwsJsonSerialization)]
#[case(Fault::TrustDiscoveredIssuer)]
#[case(Fault::AcceptAccessTokenAsGrant)]
#[case(Fault::AudPrefixMatch)]
#[case(Fault::AcceptGrantForOtherClient)]
#[case(Fault::IgnoreInvalidClientCredentials)]
#[case(Fault::IgnoreClientSecretAtAsA)]
#[case(Fault::MissingAssertionInvalidGrant)]
#[case(Fault::BadGrantInvalidRequest)]
#[case(Fault::AcceptUnknownResource)]
#[case(Fault::AsBScopeEscalation)]
#[case(Fault::AsBIgnoreInvalidDpop)]
#[case(Fault::IgnoreRequestedCnf)]
#[case(Fault::AcceptRequestedCnfMismatch)]
#[case(Fault::LongLivedAccessToken)]
#[case(Fault::AtMissingTyp)]
#[case(Fault::AsBScopeNotReported)]
#[case(Fault::DpopTokenTypeBearer)]
#[case(Fault::ExpiresInString)]
#[case(Fault::RsAcceptsGrant)]
#[case(Fault::RsAcceptsBoundTokenAsBearer)]
#[case(Fault::RsAcceptsQueryToken)]
#[case(Fault::RsMetadataWrongResource)]
#[case(Fault::RsNoResourceMetadataChallenge)]
#[case(Fault::ErrorDescriptionBadChars)]
#[case(Fault::InvalidClientNoChallenge)]
#[case(Fault::InvalidClient400AfterBasic)]
#[case(Fault::AcceptDuplicateParams)]
#[case(Fault::TokenEndpointAcceptsGet)]
#[case(Fault::UnknownGrantTypeInvalidRequest)]
#[case(Fault::TokenResponseTextPlain)]
#[case(Fault::ExchangeNoIssuedTokenType)]
#[case(Fault::AcceptClientCredentialsSubject)]
#[case(Fault::GrantIatAfterExp)]
#[case(Fault::GrantUnsigned)]
#[case(Fault::GrantPaddedBase64)]
#[case(Fault::GrantIncludesPii)]
#[case(Fault::AdvertisedTypeNotIssuable)]
#[case(Fault::AsBMetadataIssuerMismatch)]
#[case(Fault::AsBMetadataNoJwtBearer)]
#[case(Fault::FollowJku)]
#[case(Fault::TrustEmbeddedJwk)]
#[case(Fault::TrustX5c)]
#[case(Fault::FollowX5u)]
#[case(Fault::SubjectMapCollapsed)]
#[case(Fault::GrantIssTokenEndpoint)]
#[case(Fault::GrantSubEmpty)]
#[case(Fault::GrantAlreadyExpired)]
#[case(Fault::GrantNbfFuture)]
#[case(Fault::GrantHs256)]
#[case(Fault::GrantExtraSegment)]
#[case(Fault::GrantActNotObject)]
#[case(Fault::GrantClientIdNotString)]
#[case(Fault::GrantScopeArray)]
#[case(Fault::AsBTokenTypeNA)]
#[case(Fault::DpopProofReplayAccepted)]
#[case(Fault::AsBNoTokenType)]
#[case(Fault::InvalidGrantStatus401)]
#[case(Fault::AtAudNotResource)]
#[case(Fault::AtMissingJtiClientId)]
#[case(Fault::CnfWrongThumbprint)]
#[case(Fault::RsMetadataNoAsB)]
#[case(Fault::RsSkipsAth)]
#[case(Fault::ClientAssertionUnverified)]
#[case(Fault::ClientAssertionAlgNone)]
#[case(Fault::ClientAssertionReplay)]
#[case(Fault::IssuedTypeIdJagForJwt)]
#[case(Fault::GrantAudOtherAs)]
#[case(Fault::GrantAudResource)]
#[case(Fault::GrantAudDuplicated)]
#[case(Fault::ExchangeCacheNoCache)]
#[case(Fault::RequestedCnfWrongJkt)]
#[case(Fault::GrantMayActNotObject)]
#[case(Fault::UnknownGrantTypeAsExchange)]
#[case(Fault::EmptyTargetDefaults)]
#[case(Fault::AudienceAliasRefused)]
#[case(Fault::AudienceAudIsAlias)]
#[case(Fault::UnissuableTypeFallsBack)]
#[case(Fault::ExpiresInDisagrees)]
#[case(Fault::GrantExpMilliseconds)]
#[case(Fault::TokenEndpointIgnoresMethod)]
#[case(Fault::RefuseUnknownParams)]
#[case(Fault::GrantAudUnrequestedAs)]
#[case(Fault::ExchangeNoTokenType)]
#[case(Fault::AsBScopeNarrowedSilently)]
#[case(Fault::AsBGrantsUnknownScope)]
#[case(Fault::ExchangeAcceptsJsonBody)]
#[case(Fault::ExchangeResponseTextPlain)]
#[case(Fault::GrantAudApiAudience)]
#[case(Fault::GrantAudAsATokenEndpoint)]
#[case(Fault::GrantAudUntrustedAs)]
#[case(Fault::AsBRelativeResourceIgnored)]
#[case(Fault::RsBearerSchemeCaseSensitive)]
#[case(Fault::ExchangeGrantsClientScopes)]
#[case(Fault::ExchangeScopeNarrowedSilently)]
#[case(Fault::MetadataChainingTypesEmpty)]
#[case(Fault::AdvertisedTypeRefusedWhenNamed)]
#[case(Fault::AsBMetadataAlgNone)]
#[case(Fault::AsBMetadataDpopAlgHs256)]
#[case(Fault::AsBAssertionParamRenamed)]
#[case(Fault::AsBGrantTypeMisnamed)]
#[case(Fault::AsBGrantTypeIgnored)]
#[case(Fault::AsBIgnoresResource)]
#[case(Fault::AtAudOtherResource)]
#[case(Fault::CnfThumbprintHex)]
#[case(Fault::ReplayCheckRacy)]
#[case(Fault::IgnoreUnknownClientPost)]
#[case(Fault::EmptyAssertionInvalidGrant)]
#[case(Fault::RsSkipsSignature)]
#[case(Fault::GrantBindingFormClientId)]
#[case(Fault::BindToStaleProofKey)]
#[case(Fault::ReplayCachePerClient)]
#[case(Fault::SubjectBindingFormClientId)]
#[case(Fault::ReplayKeyedOnAssertion)]
#[case(Fault::DpopReplayKeyedOnProof)]
#[case(Fault::IdJagTypMissing)]
#[case(Fault::IdJagNoClientId)]
#[case(Fault::IdJagAudTokenEndpoint)]
#[case(Fault::IdJagIssuedTypeJwt)]
#[case(Fault::IdJagIdTokenAudUnchecked)]
#[case(Fault::IdJagTypUnchecked)]
#[case(Fault::IdJagClientIdOptional)]
#[case(Fault::IdJagAudTokenEndpointAccepted)]
#[case(Fault::IdJagNoGrantProfileMetadata)]
#[case(Fault::IdJagAudMultiAccepted)]
#[case(Fault::IdJagClientIdMismatchAccepted)]
#[case(Fault::IdJagRefreshToken)]
#[case(Fault::IdJagTypJwt)]
#[case(Fault::IdJagTokenTypeBearer)]
#[case(Fault::IdJagProfileWithoutJwtBearer)]
#[case(Fault::IdJagNoSubjectResolutionClaim)]
#[case(Fault::IdJagTypeRefused)]
#[case(Fault::IdJagIdTokenSignatureUnchecked)]
#[case(Fault::IdJagIdpRedeemsOwnIdJag)]
#[case(Fault::IdJagCnfDropped)]
#[case(Fault::IdJagCnfAsRequestedCnf)]
#[case(Fault::IdJagCnfWithoutProofAccepted)]
#[case(Fault::IdJagCnfMismatchAccepted)]
#[case(Fault::IdJagResourceClaimDropped)]
#[case(Fault::IdJagResourceRefused)]
#[case(Fault::IdJagResourceIsAudience)]
#[case(Fault::IdJagAudienceIssuerRefused)]
#[case(Fault::IdJagAliasInAud)]
#[case(Fault::IdJagProfileWithoutGrantTypes)]
#[case(Fault::IdJagScopeClaimNarrowed)]
#[case(Fault::IdJagIdpExchangesOwnIdJag)]
#[case(Fault::IdJagTypeNotAdvertised)]
#[tokio::test]
async fn fault_is_observable(#[case] fault: Fault) {
    assert!(
        !observe(fault, &[]).await,
        "conformant pair already shows the behaviour {fault} breaks"
    );
    assert!(
        observe(fault, &[fault]).await,
        "fault {fault} did not change the behaviour it names"
    );
    let e = env_with(&[fault]).await;
    assert_eq!(
        chain_works(&e).await,
        !BREAKS_CHAIN.contains(&fault),
        "{fault}: Bearer chain under the fault"
    );
}

/// A fresh P-256 key and a self-signed certificate for it (an attacker's: no CA vouches for it).
fn self_signed() -> (EsKey, rcgen::Certificate) {
    let pair = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["attacker.example".to_string()])
        .unwrap()
        .self_signed(&pair)
        .unwrap();
    (EsKey::from_pkcs8_pem(&pair.serialize_pem()).unwrap(), cert)
}

/// An issuer no AS-B trusts, serving RFC 8414 metadata and a JWKS with `key` on loopback;
/// returns its identifier.
async fn stranger_issuer(key: &EsKey) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let iss = format!("http://{}/stranger", listener.local_addr().unwrap());
    let meta = json!({"issuer": iss, "jwks_uri": format!("{iss}/jwks")});
    let mut jwk = key.public_jwk();
    jwk["kid"] = json!(key.kid());
    let jwks = json!({"keys": [jwk]});
    let app = axum::Router::new()
        .route(
            "/.well-known/oauth-authorization-server/stranger",
            axum::routing::get(move || async move { axum::Json(meta) }),
        )
        .route(
            "/stranger/jwks",
            axum::routing::get(move || async move { axum::Json(jwks) }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    iss
}

/// Serves `pem` on loopback; returns its URL.
async fn pem_server(pem: String) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/cert.pem", listener.local_addr().unwrap());
    let app = axum::Router::new().route(
        "/cert.pem",
        axum::routing::get(move || {
            let pem = pem.clone();
            async move { pem }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

#[test]
fn every_fault_has_a_case() {
    // The rfc8693-mode and Ena-mode faults are observed in their modes (rfc8693.rs, ena.rs).
    let src = [
        include_str!("faults.rs"),
        include_str!("rfc8693.rs"),
        include_str!("ena.rs"),
    ]
    .concat();
    for f in Fault::ALL {
        assert!(
            src.contains(&format!("#[case(Fault::{f:?})]")),
            "no observability case for {f}"
        );
    }
}

#[tokio::test]
async fn conformant_chain_works() {
    assert!(chain_works(&env().await).await);
}

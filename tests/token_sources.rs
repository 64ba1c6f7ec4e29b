//! Subject-token sources against the mock AS-A with its page-less authorization endpoint:
//! authorization code with PKCE (unattended, and interactive with a simulated browser), a
//! refresh token redeemed (and rotated) for fresh access tokens, a credential-helper command,
//! and fetching again when the kept token is about to expire.

use chainproof::environment::{Client, Env};
use chainproof::http::Http;
use chainproof::jose::Jws;
use chainproof::subject_token::{
    AsAEndpoints, AuthCode, Notice, RoleSource, Source, SubjectTokens, TokenCommand, TokenRole,
};
use chainproof::target::LoginMode;
use mock_as::{MockFacts, MockOptions, MockPair};
use std::time::Duration;

async fn pair(token_secs: u64) -> MockPair {
    let mut o = MockOptions::default();
    o.login_without_page();
    o.config.as_a.access_token_lifetime_secs = token_secs;
    MockPair::start(o).await.unwrap()
}

fn http() -> Http {
    Http::new(Duration::from_secs(5), 1 << 20)
}

fn endpoints(f: &MockFacts) -> AsAEndpoints {
    AsAEndpoints {
        issuer: f.as_a_issuer.clone(),
        token_endpoint: f.as_a_token_endpoint.clone(),
        authorization_endpoint: Some(format!("{}/authorize", f.as_a_issuer)),
    }
}

fn primary(f: &MockFacts) -> Client {
    Client::basic(&f.client_id, &f.client_secret)
}

fn auth_code(mode: LoginMode, user: &str) -> AuthCode {
    AuthCode {
        mode,
        scope: Some("read".into()),
        login_hint: Some(user.into()),
        redirect_port: 0,
        redirect_path: "/callback".into(),
        timeout: Duration::from_secs(10),
    }
}

fn sub_of(token: &str) -> String {
    Jws::decode(token).unwrap().claims["sub"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn token(t: &SubjectTokens, role: TokenRole) -> String {
    let (_, got) = t.obtain(role, &http(), "st").await;
    got.unwrap_or_else(|e| panic!("{e}")).token().unwrap()
}

#[tokio::test]
async fn authorization_code_unattended_then_refreshed_on_expiry() {
    // Tokens live 20 s: under the 30 s re-fetch margin, so every request fetches again.
    let p = pair(20).await;
    let f = p.facts();
    let mut t = SubjectTokens::new(endpoints(f));
    t.set(
        TokenRole::Primary,
        RoleSource::new(
            Source::AuthorizationCode(auth_code(LoginMode::Unattended, &f.user.0)),
            primary(f),
            false,
        ),
    );
    let a = token(&t, TokenRole::Primary).await;
    assert_eq!(sub_of(&a), f.user_sub);
    // The second fetch redeems the refresh token from the code's response (no new login).
    let b = token(&t, TokenRole::Primary).await;
    assert_ne!(a, b);
    assert_eq!(sub_of(&b), f.user_sub);
    // Every token and rotated refresh token is known as a secret for redaction.
    let secrets = t.obtained_secrets();
    assert!(secrets.contains(&a) && secrets.contains(&b));
    assert!(secrets.len() >= 4, "{}", secrets.len());
}

#[tokio::test]
async fn authorization_code_interactive_waits_for_the_browser() {
    let p = pair(3600).await;
    let f = p.facts();
    let mut t = SubjectTokens::new(endpoints(f));
    t.set(
        TokenRole::UnmappedUser,
        RoleSource::new(
            Source::AuthorizationCode(auth_code(LoginMode::Interactive, &f.unmapped_user.0)),
            primary(f),
            false,
        ),
    );
    // The "person" follows the printed URL with a browser that obeys redirects.
    t.set_notice(Notice::new(|line: &str| {
        let url = line
            .lines()
            .find_map(|l| l.trim().strip_prefix("http").map(|r| format!("http{r}")))
            .expect("the notice shows the URL");
        assert!(url.contains("code_challenge_method=S256"), "{url}");
        tokio::spawn(async move {
            let _ = reqwest::get(url).await;
        });
    }));
    let a = token(&t, TokenRole::UnmappedUser).await;
    assert_eq!(sub_of(&a), "mallory");
    // Long-lived: kept, not fetched again.
    assert_eq!(a, token(&t, TokenRole::UnmappedUser).await);
}

#[tokio::test]
async fn a_refused_authorization_is_one_precise_line() {
    let p = pair(3600).await;
    let f = p.facts();
    let mut t = SubjectTokens::new(endpoints(f));
    t.set(
        TokenRole::Primary,
        RoleSource::new(
            Source::AuthorizationCode(auth_code(LoginMode::Unattended, "nobody")),
            primary(f),
            false,
        ),
    );
    let (_, got) = t.obtain(TokenRole::Primary, &http(), "st").await;
    let e = got.unwrap_err().to_string();
    assert!(
        e.contains("role primary (authorization_code)") && e.contains("error=login_required"),
        "{e}"
    );
}

/// A refresh token as a tester gets one once: through the code flow, by hand.
async fn refresh_token_for(f: &MockFacts) -> String {
    let verifier = chainproof::subject_token::code_verifier();
    let no_redirects = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let redirect_uri = "http://127.0.0.1:9/callback";
    let resp = no_redirects
        .get(format!("{}/authorize", f.as_a_issuer))
        .query(&[
            ("response_type", "code"),
            ("client_id", f.client_id.as_str()),
            ("redirect_uri", redirect_uri),
            (
                "code_challenge",
                chainproof::subject_token::s256(&verifier).as_str(),
            ),
            ("code_challenge_method", "S256"),
            ("login_hint", f.user.0.as_str()),
        ])
        .send()
        .await
        .unwrap();
    let location = url::Url::parse(resp.headers()["location"].to_str().unwrap()).unwrap();
    let code = location
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .to_string();
    let v: serde_json::Value = reqwest::Client::new()
        .post(&f.as_a_token_endpoint)
        .basic_auth(&f.client_id, Some(&f.client_secret))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", redirect_uri),
            ("code_verifier", verifier.as_str()),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["refresh_token"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn refresh_token_redeemed_rotated_and_fetched_again_on_expiry() {
    let p = pair(20).await;
    let f = p.facts();
    let r = refresh_token_for(f).await;
    let mut t = SubjectTokens::new(endpoints(f));
    t.set(
        TokenRole::Primary,
        RoleSource::new(
            Source::RefreshToken {
                refresh_token: r.clone(),
                scope: None,
            },
            primary(f),
            false,
        ),
    );
    let a = token(&t, TokenRole::Primary).await;
    // The mock rotates refresh tokens: the second fetch works only with the rotated one.
    let b = token(&t, TokenRole::Primary).await;
    let c = token(&t, TokenRole::Primary).await;
    assert!(a != b && b != c);
    assert_eq!(sub_of(&c), f.user_sub);

    // A refresh token the AS no longer knows: one line naming the grant and the error.
    let mut t = SubjectTokens::new(endpoints(f));
    t.set(
        TokenRole::Primary,
        RoleSource::new(
            Source::RefreshToken {
                refresh_token: r,
                scope: None,
            },
            primary(f),
            false,
        ),
    );
    let (_, got) = t.obtain(TokenRole::Primary, &http(), "st").await;
    let e = got.unwrap_err().to_string();
    assert!(
        e.contains("refresh_token grant refused") && e.contains("invalid_grant"),
        "{e}"
    );
}

#[tokio::test]
async fn command_tokens_are_kept_until_they_near_expiry() {
    let cmd = |script: &str| {
        Source::Command(TokenCommand {
            argv: vec!["sh".into(), "-c".into(), script.into()],
            timeout: Duration::from_secs(5),
            dir: Default::default(),
        })
    };
    let c = Client::basic("c", "s");
    let mut t = SubjectTokens::new(AsAEndpoints::default());
    // Opaque, no expiry known: kept for the run.
    t.set(
        TokenRole::Primary,
        RoleSource::new(cmd("echo \"tok-$(date +%s%N)\""), c.clone(), false),
    );
    // A JSON answer with expires_in under the margin: run again every time.
    t.set(
        TokenRole::SecondClient,
        RoleSource::new(
            cmd(r#"echo "{\"access_token\":\"tok-$(date +%s%N)\",\"expires_in\":5}""#),
            c,
            false,
        ),
    );
    let a = token(&t, TokenRole::Primary).await;
    assert_eq!(a, token(&t, TokenRole::Primary).await);
    let b = token(&t, TokenRole::SecondClient).await;
    assert_ne!(b, token(&t, TokenRole::SecondClient).await);
}

#[tokio::test]
async fn env_resolves_the_mock_roles_and_their_gaps() {
    let env = Env::build(None, Vec::new(), Vec::new()).await.unwrap();
    for role in TokenRole::ALL {
        assert!(env.tokens.has(role), "{role:?}");
    }
    let a = token(&env.tokens, TokenRole::Primary).await;
    let u = token(&env.tokens, TokenRole::UnmappedUser).await;
    assert_ne!(sub_of(&a), sub_of(&u));
}

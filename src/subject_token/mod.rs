//! Subject tokens per role: the token a client holds from AS-A before it asks for a grant
//! (draft-ietf-oauth-identity-chaining-17 §2.3, RFC 8693 §2.1 `subject_token`).
//!
//! Each role (primary user, the primary user at the second client, at the private_key_jwt
//! client, and a user AS-B cannot map) has its own source. A role without a source stays
//! without one: its cases are skipped with the reason, never run with another role's token.
//! Grant sources (`password`, `client_credentials`) mint a fresh token per step, as a client
//! would; the others (static, refresh token, command, authorization code) are obtained once,
//! kept, and fetched again when the kept token is about to expire.

mod auth_code;
mod command;

pub use auth_code::{AuthCode, code_verifier, s256};
pub use command::TokenCommand;

use crate::client_auth::{Client, apply_client_auth, encode_form};
use crate::http::{Http, Request, Response, unix_now};
use crate::jose::Jws;
use crate::suite::{ClientSel, UserSel};
use crate::transcript::Exchange;
use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// A kept token with less than this many seconds left is fetched again, so a case never
/// starts with a token about to expire.
pub const REFETCH_MARGIN_SECS: i64 = 30;

/// Who a subject token belongs to, and which client it was issued to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TokenRole {
    /// The primary user, for the primary client.
    Primary,
    /// The primary user, for the second client.
    SecondClient,
    /// The primary user, for the private_key_jwt client.
    JwtClient,
    /// A user AS-A knows and AS-B cannot map, for the primary client.
    UnmappedUser,
    /// A second user AS-B maps (to a subject other than the primary user's), for the primary
    /// client: shows a mapping that sends two users to one account.
    SecondUser,
    /// The acting party of RFC 8693 delegation (§2.1 `actor_token`): by default the second
    /// client's own client-credentials token.
    Actor,
}

impl TokenRole {
    pub const ALL: [TokenRole; 6] = [
        TokenRole::Primary,
        TokenRole::SecondClient,
        TokenRole::JwtClient,
        TokenRole::UnmappedUser,
        TokenRole::SecondUser,
        TokenRole::Actor,
    ];

    /// The role a `subject_token` step asks for (`None`: a combination no role covers).
    pub fn of(user: UserSel, client: ClientSel) -> Option<TokenRole> {
        match (user, client) {
            (UserSel::Primary, ClientSel::Primary) => Some(TokenRole::Primary),
            (UserSel::Primary, ClientSel::Second) => Some(TokenRole::SecondClient),
            (UserSel::Primary, ClientSel::Jwt) => Some(TokenRole::JwtClient),
            (UserSel::Unmapped, ClientSel::Primary) => Some(TokenRole::UnmappedUser),
            (UserSel::Second, ClientSel::Primary) => Some(TokenRole::SecondUser),
            (UserSel::Actor, ClientSel::Primary) => Some(TokenRole::Actor),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            TokenRole::Primary => "primary",
            TokenRole::SecondClient => "second_client",
            TokenRole::JwtClient => "jwt_client",
            TokenRole::UnmappedUser => "unmapped_user",
            TokenRole::SecondUser => "second_user",
            TokenRole::Actor => "actor",
        }
    }

    /// The target-file table that configures the role.
    pub fn table(self) -> &'static str {
        match self {
            TokenRole::Primary => "[as_a.subject_token]",
            TokenRole::SecondClient => "[as_a.second_client_token]",
            TokenRole::JwtClient => "[as_a.jwt_client_token]",
            TokenRole::UnmappedUser => "[as_a.unmapped_user]",
            TokenRole::SecondUser => "[as_a.second_user]",
            TokenRole::Actor => "[as_a.actor_token]",
        }
    }
}

/// Where a role's token comes from.
#[derive(Debug, Clone)]
pub enum Source {
    /// RFC 6749 §4.3, once per step.
    Password {
        username: String,
        password: String,
        scope: Option<String>,
    },
    /// RFC 6749 §4.4, once per step (the client's own token).
    ClientCredentials { scope: Option<String> },
    /// A ready token (`static`, `env`).
    Static(String),
    /// RFC 6749 §6: redeemed for access tokens; a rotated refresh token replaces it.
    RefreshToken {
        refresh_token: String,
        scope: Option<String>,
    },
    /// A credential helper printing the token.
    Command(TokenCommand),
    /// RFC 6749 §4.1 with PKCE; a refresh token in its response is used on expiry.
    AuthorizationCode(AuthCode),
}

impl Source {
    pub fn method(&self) -> &'static str {
        match self {
            Source::Password { .. } => "password",
            Source::ClientCredentials { .. } => "client_credentials",
            Source::Static(_) => "static",
            Source::RefreshToken { .. } => "refresh_token",
            Source::Command(_) => "command",
            Source::AuthorizationCode(_) => "authorization_code",
        }
    }

    /// A grant any client can perform for itself: another client's role may repeat it.
    pub fn repeatable_by_other_clients(&self) -> bool {
        matches!(
            self,
            Source::Password { .. } | Source::ClientCredentials { .. }
        )
    }

    /// Secret values this source holds (redacted from reports).
    pub fn secrets(&self) -> Vec<String> {
        match self {
            Source::Password { password, .. } => vec![password.clone()],
            Source::Static(t) => vec![t.clone()],
            Source::RefreshToken { refresh_token, .. } => vec![refresh_token.clone()],
            _ => Vec::new(),
        }
    }
}

/// A role's source, the client it acts as, and the token kept from it.
#[derive(Debug)]
pub struct RoleSource {
    pub source: Source,
    pub client: Client,
    /// Set when the role repeats the primary role's grant with its own client.
    pub derived: bool,
    kept: tokio::sync::Mutex<Kept>,
}

#[derive(Debug, Default)]
struct Kept {
    token: Option<String>,
    exp: Option<i64>,
    /// The refresh token to use next (rotated ones replace the configured one).
    refresh: Option<String>,
}

impl RoleSource {
    pub fn new(source: Source, client: Client, derived: bool) -> RoleSource {
        RoleSource {
            source,
            client,
            derived,
            kept: tokio::sync::Mutex::new(Kept::default()),
        }
    }
}

/// Where token requests go.
#[derive(Debug, Clone, Default)]
pub struct AsAEndpoints {
    pub issuer: String,
    pub token_endpoint: String,
    pub authorization_endpoint: Option<String>,
}

/// A token as obtained: the token endpoint's response for a grant made in the step, or a
/// kept token.
#[derive(Debug, Clone)]
pub enum Got {
    Response(Response),
    Kept(String),
}

impl Got {
    pub fn token(&self) -> Option<String> {
        self.token_from("access_token")
    }

    /// The kept token, or member `field` of the token response (the exchange form's
    /// `subject_token_field`: an ID-JAG IdP's subject token is the `id_token`).
    pub fn token_from(&self, field: &str) -> Option<String> {
        match self {
            Got::Kept(t) => Some(t.clone()),
            Got::Response(r) => serde_json::from_str::<Value>(&r.body)
                .ok()
                .and_then(|v| v[field].as_str().map(String::from)),
        }
    }
}

/// What obtaining a token produced, and the exchanges to record.
pub type Obtained = (Vec<Exchange>, Result<Got, TokenError>);

#[derive(Debug, Clone, thiserror::Error)]
pub enum TokenError {
    /// The role has no source (the case is skipped with this reason).
    #[error("{0}")]
    NoSource(String),
    /// The source failed (the case errors; `check` reports it).
    #[error("{0}")]
    Failed(String),
}

/// Shows a line to the person running chainproof (the interactive authorization URL). The
/// command layer supplies the printer; library code never prints. The default shows nothing.
#[derive(Clone, Default)]
pub struct Notice(Option<Arc<ShowLine>>);

type ShowLine = dyn Fn(&str) + Send + Sync;

impl Notice {
    pub fn new(f: impl Fn(&str) + Send + Sync + 'static) -> Notice {
        Notice(Some(Arc::new(f)))
    }

    pub fn show(&self, line: &str) {
        if let Some(f) = &self.0 {
            f(line);
        }
    }
}

impl std::fmt::Debug for Notice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Notice(set)"
        } else {
            "Notice(none)"
        })
    }
}

/// Every role's source, or the reason it has none.
pub struct SubjectTokens {
    roles: BTreeMap<TokenRole, RoleSource>,
    gaps: BTreeMap<TokenRole, String>,
    pub endpoints: AsAEndpoints,
    /// Tokens obtained from kept sources during the run (redacted from reports).
    obtained: Mutex<Vec<String>>,
    notice: Mutex<Notice>,
    /// The member of a token response kept as the subject token (`access_token`, or
    /// `id_token` for an ID-JAG IdP); see `exchange_form`.
    field: String,
}

impl std::fmt::Debug for SubjectTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SubjectTokens")
            .field("roles", &self.roles.keys().collect::<Vec<_>>())
            .field("gaps", &self.gaps)
            .finish_non_exhaustive()
    }
}

impl SubjectTokens {
    pub fn new(endpoints: AsAEndpoints) -> SubjectTokens {
        SubjectTokens {
            roles: BTreeMap::new(),
            gaps: BTreeMap::new(),
            endpoints,
            obtained: Mutex::new(Vec::new()),
            notice: Mutex::new(Notice::default()),
            field: "access_token".into(),
        }
    }

    /// Keep `field` of kept sources' token responses as the subject token.
    pub fn set_token_field(&mut self, field: &str) {
        self.field = field.to_string();
    }

    pub fn set(&mut self, role: TokenRole, source: RoleSource) {
        self.gaps.remove(&role);
        self.roles.insert(role, source);
    }

    pub fn set_gap(&mut self, role: TokenRole, why: impl Into<String>) {
        self.roles.remove(&role);
        self.gaps.insert(role, why.into());
    }

    pub fn get(&self, role: TokenRole) -> Option<&RoleSource> {
        self.roles.get(&role)
    }

    pub fn has(&self, role: TokenRole) -> bool {
        self.roles.contains_key(&role)
    }

    /// Why `role` has no source (`None` when it has one).
    pub fn gap(&self, role: TokenRole) -> Option<String> {
        if self.roles.contains_key(&role) {
            return None;
        }
        Some(self.gaps.get(&role).cloned().unwrap_or_else(|| {
            format!(
                "no subject token for role {}: the target has no {}",
                role.name(),
                role.table()
            )
        }))
    }

    /// Set where interactive prompts go.
    pub fn set_notice(&self, notice: Notice) {
        *self.notice.lock().expect("notice lock") = notice;
    }

    /// The roles that have a source, in order.
    pub fn roles(&self) -> impl Iterator<Item = (TokenRole, &RoleSource)> {
        self.roles.iter().map(|(r, s)| (*r, s))
    }

    /// Obtain every kept source's token once, before any case runs (an interactive login
    /// happens then, not in the middle of a case). Returns the roles that failed.
    pub async fn prefetch(&self, http: &Http) -> Vec<(TokenRole, String)> {
        let mut failed = Vec::new();
        for (role, rs) in &self.roles {
            if rs.source.repeatable_by_other_clients() {
                continue;
            }
            if let (_, Err(e)) = self.obtain(*role, http, "setup").await {
                failed.push((*role, e.to_string()));
            }
        }
        failed
    }

    /// Secrets the configured sources hold.
    pub fn configured_secrets(&self) -> Vec<String> {
        self.roles
            .values()
            .flat_map(|r| r.source.secrets())
            .collect()
    }

    /// Tokens obtained from kept sources so far (for redaction).
    pub fn obtained_secrets(&self) -> Vec<String> {
        self.obtained.lock().expect("obtained lock").clone()
    }

    /// A token for `role`: a fresh grant for grant sources, else the kept token while it has
    /// more than [`REFETCH_MARGIN_SECS`] left, else one fetched again from the source.
    pub async fn obtain(&self, role: TokenRole, http: &Http, step: &str) -> Obtained {
        let Some(rs) = self.roles.get(&role) else {
            return (
                Vec::new(),
                Err(TokenError::NoSource(self.gap(role).unwrap_or_default())),
            );
        };
        match &rs.source {
            Source::Password {
                username,
                password,
                scope,
            } => {
                let mut form = vec![
                    ("grant_type".to_string(), "password".to_string()),
                    ("username".into(), username.clone()),
                    ("password".into(), password.clone()),
                ];
                form.extend(scope.clone().map(|s| ("scope".into(), s)));
                self.grant(http, step, &rs.client, form).await
            }
            Source::ClientCredentials { scope } => {
                let mut form = vec![("grant_type".to_string(), "client_credentials".to_string())];
                form.extend(scope.clone().map(|s| ("scope".into(), s)));
                self.grant(http, step, &rs.client, form).await
            }
            _ => {
                let mut kept = rs.kept.lock().await;
                let now = unix_now();
                if let Some(t) = &kept.token
                    && kept.exp.is_none_or(|e| e - now > REFETCH_MARGIN_SECS)
                {
                    return (Vec::new(), Ok(Got::Kept(t.clone())));
                }
                let fetched = self.fetch(role, rs, &mut kept, http).await;
                match fetched {
                    Ok(()) => {
                        let t = kept.token.clone().unwrap_or_default();
                        self.obtained.lock().expect("obtained lock").push(t.clone());
                        (Vec::new(), Ok(Got::Kept(t)))
                    }
                    Err(e) => (Vec::new(), Err(TokenError::Failed(e))),
                }
            }
        }
    }

    /// A token request at AS-A's token endpoint, recorded in the case's transcript.
    async fn grant(
        &self,
        http: &Http,
        step: &str,
        client: &Client,
        mut form: Vec<(String, String)>,
    ) -> Obtained {
        let mut headers = form_headers();
        apply_client_auth(
            &mut form,
            &mut headers,
            Some(client),
            client.auth,
            &self.endpoints.issuer,
        );
        let req = Request {
            method: "POST".into(),
            url: self.endpoints.token_endpoint.clone(),
            headers,
            body: Some(encode_form(&form)),
            client_cert: crate::client_auth::tls_client(Some(client), client.auth),
        };
        let (exchange, res) = http.send(step, req).await;
        let result = match res {
            Err(e) => Err(TokenError::Failed(format!(
                "could not obtain a subject token at AS-A: {e}"
            ))),
            Ok(resp) => {
                let got = Got::Response(resp);
                match (&got, got.token()) {
                    (Got::Response(r), Some(_)) if r.status == 200 => Ok(got),
                    (Got::Response(r), _) => Err(TokenError::Failed(format!(
                        "could not obtain a subject token at AS-A (status {}, body {}); check the target's subject_token settings",
                        r.status,
                        short_body(&r.body)
                    ))),
                    (Got::Kept(_), _) => unreachable!("a grant's answer is a response"),
                }
            }
        };
        (vec![exchange], result)
    }

    /// Fetch a kept source's token again. Nothing recorded: these requests are setup shared
    /// by all cases, and carry long-lived credentials.
    async fn fetch(
        &self,
        role: TokenRole,
        rs: &RoleSource,
        kept: &mut Kept,
        http: &Http,
    ) -> Result<(), String> {
        let label = format!(
            "subject token for role {} ({})",
            role.name(),
            rs.source.method()
        );
        match &rs.source {
            Source::Static(t) => {
                let exp = jwt_exp(t);
                if let Some(e) = exp
                    && e <= unix_now()
                {
                    return Err(format!(
                        "{label}: the configured token expired {} s ago; put a fresh one in its variable",
                        unix_now() - e
                    ));
                }
                kept.token = Some(t.clone());
                // A static token cannot be fetched again: keep it to its end.
                kept.exp = None;
            }
            Source::Command(c) => {
                let got = c
                    .run(role.name())
                    .await
                    .map_err(|e| format!("{label}: {e}"))?;
                kept.exp = got
                    .expires_in
                    .map(|s| unix_now() + s)
                    .or(jwt_exp(&got.token));
                kept.token = Some(got.token);
            }
            Source::RefreshToken {
                refresh_token,
                scope,
            } => {
                let r = kept
                    .refresh
                    .clone()
                    .unwrap_or_else(|| refresh_token.clone());
                self.redeem_refresh(http, rs, kept, &r, scope.as_deref())
                    .await
                    .map_err(|e| format!("{label}: {e}"))?;
            }
            Source::AuthorizationCode(ac) => {
                if let Some(r) = kept.refresh.clone()
                    && self
                        .redeem_refresh(http, rs, kept, &r, ac.scope.as_deref())
                        .await
                        .is_ok()
                {
                    return Ok(());
                }
                let notice = self.notice.lock().expect("notice lock").clone();
                let endpoint = self.endpoints.authorization_endpoint.clone().ok_or_else(|| {
                    format!(
                        "{label}: AS-A publishes no authorization_endpoint; pin one in [as_a] authorization_endpoint"
                    )
                })?;
                let code = ac
                    .authorize(&endpoint, &rs.client.id, http.timeout, notice)
                    .await
                    .map_err(|e| format!("{label}: {e}"))?;
                let form = vec![
                    ("grant_type".to_string(), "authorization_code".to_string()),
                    ("code".into(), code.code),
                    ("redirect_uri".into(), code.redirect_uri),
                    ("code_verifier".into(), code.verifier),
                ];
                self.token_request(http, rs, kept, form)
                    .await
                    .map_err(|e| format!("{label}: {e}"))?;
            }
            Source::Password { .. } | Source::ClientCredentials { .. } => {
                unreachable!("grant sources are not kept")
            }
        }
        Ok(())
    }

    async fn redeem_refresh(
        &self,
        http: &Http,
        rs: &RoleSource,
        kept: &mut Kept,
        refresh_token: &str,
        scope: Option<&str>,
    ) -> Result<(), String> {
        let mut form = vec![
            ("grant_type".to_string(), "refresh_token".to_string()),
            ("refresh_token".into(), refresh_token.to_string()),
        ];
        form.extend(scope.map(|s| ("scope".into(), s.to_string())));
        self.token_request(http, rs, kept, form).await
    }

    /// POST to the token endpoint as the role's client; keep the access token, its expiry and
    /// any (rotated) refresh token.
    async fn token_request(
        &self,
        http: &Http,
        rs: &RoleSource,
        kept: &mut Kept,
        mut form: Vec<(String, String)>,
    ) -> Result<(), String> {
        let grant = form.first().map(|(_, v)| v.clone()).unwrap_or_default();
        let mut headers = form_headers();
        apply_client_auth(
            &mut form,
            &mut headers,
            Some(&rs.client),
            rs.client.auth,
            &self.endpoints.issuer,
        );
        let url = self.endpoints.token_endpoint.clone();
        let req = Request {
            method: "POST".into(),
            url: url.clone(),
            headers,
            body: Some(encode_form(&form)),
            client_cert: crate::client_auth::tls_client(Some(&rs.client), rs.client.auth),
        };
        let (_, res) = http.send("subject-token", req).await;
        let resp = res.map_err(|e| format!("{grant} grant at {url}: {e}"))?;
        let body: Value = serde_json::from_str(&resp.body).unwrap_or(Value::Null);
        if resp.status != 200 {
            let error = body["error"].as_str().unwrap_or("no OAuth error code");
            let desc = body["error_description"]
                .as_str()
                .map(|d| format!(" ({})", d.chars().take(120).collect::<String>()))
                .unwrap_or_default();
            return Err(format!(
                "{grant} grant refused at {url}: status {}, {error}{desc}",
                resp.status
            ));
        }
        let field = self.field.as_str();
        let token = body[field]
            .as_str()
            .ok_or_else(|| format!("{grant} grant at {url}: the response has no {field}"))?
            .to_string();
        kept.exp = body["expires_in"]
            .as_i64()
            .map(|s| unix_now() + s)
            .or(jwt_exp(&token));
        if let Some(r) = body["refresh_token"].as_str() {
            self.obtained
                .lock()
                .expect("obtained lock")
                .push(r.to_string());
            kept.refresh = Some(r.to_string());
        }
        kept.token = Some(token);
        Ok(())
    }
}

fn form_headers() -> Vec<(String, String)> {
    vec![
        (
            "Content-Type".to_string(),
            "application/x-www-form-urlencoded".to_string(),
        ),
        ("Accept".into(), "application/json".into()),
    ]
}

fn short_body(body: &str) -> String {
    let s: String = body.chars().take(200).collect();
    Value::String(s).to_string()
}

/// The `exp` of a JWT (`None` for an opaque token or one without `exp`).
pub fn jwt_exp(token: &str) -> Option<i64> {
    Jws::decode(token).and_then(|j| j.claims.get("exp").and_then(Value::as_i64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::suite::AuthMethod;
    use serde_json::json;

    fn client(id: &str) -> Client {
        Client {
            id: id.into(),
            secret: Some("s".into()),
            auth: AuthMethod::Basic,
            key: None,
        }
    }

    fn http() -> Http {
        Http::new(std::time::Duration::from_secs(2), 1 << 20)
    }

    #[tokio::test]
    async fn each_role_gets_its_own_static_token_and_a_missing_role_is_a_gap() {
        let mut t = SubjectTokens::new(AsAEndpoints::default());
        for (role, tok) in [
            (TokenRole::Primary, "tok-primary"),
            (TokenRole::SecondClient, "tok-second"),
            (TokenRole::UnmappedUser, "tok-unmapped"),
        ] {
            t.set(
                role,
                RoleSource::new(Source::Static(tok.into()), client("c"), false),
            );
        }
        let http = http();
        for (role, tok) in [
            (TokenRole::Primary, "tok-primary"),
            (TokenRole::SecondClient, "tok-second"),
            (TokenRole::UnmappedUser, "tok-unmapped"),
        ] {
            let (_, got) = t.obtain(role, &http, "st").await;
            assert_eq!(got.unwrap().token().as_deref(), Some(tok), "{role:?}");
        }
        let (_, got) = t.obtain(TokenRole::JwtClient, &http, "st").await;
        match got {
            Err(TokenError::NoSource(why)) => {
                assert!(why.contains("[as_a.jwt_client_token]"), "{why}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn an_expired_static_jwt_is_a_precise_failure() {
        use base64::Engine;
        let b64 = |v: &Value| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string().as_bytes())
        };
        let tok = format!(
            "{}.{}.sig",
            b64(&json!({"alg": "ES256"})),
            b64(&json!({"exp": unix_now() - 100}))
        );
        let mut t = SubjectTokens::new(AsAEndpoints::default());
        t.set(
            TokenRole::Primary,
            RoleSource::new(Source::Static(tok), client("c"), false),
        );
        let (_, got) = t.obtain(TokenRole::Primary, &http(), "st").await;
        let e = got.unwrap_err().to_string();
        assert!(
            e.contains("role primary (static)") && e.contains("expired"),
            "{e}"
        );
    }

    #[test]
    fn roles_follow_user_and_client() {
        assert_eq!(
            TokenRole::of(UserSel::Primary, ClientSel::Second),
            Some(TokenRole::SecondClient)
        );
        assert_eq!(
            TokenRole::of(UserSel::Unmapped, ClientSel::Primary),
            Some(TokenRole::UnmappedUser)
        );
        assert_eq!(TokenRole::of(UserSel::Unmapped, ClientSel::Second), None);
    }
}

//! `chainproof check --target FILE`: everything a run needs, tried before any case runs. It
//! parses the target and reads every credential, fetches each live server's metadata (RFC 8414
//! §3, issuer match §3.3) and JWKS, asks each client's token endpoint to authenticate it,
//! obtains one subject token per role, and plans the run with `run`'s own planning code
//! ([`crate::run::plan`]). Each problem is one line naming what is wrong. Prints nothing: the
//! command layer shows [`Checked`].

use crate::client_auth::{Client, apply_client_auth, encode_form, tls_client};
use crate::discovery::{self, DiscoveryError};
use crate::environment::Env;
use crate::exit;
use crate::http::{Http, Request};
use crate::oauth::{JWT_BEARER, TOKEN_EXCHANGE, TT_ACCESS_TOKEN};
use crate::run::{Planned, Prepared, RunError, RunOptions};
use crate::subject_token::{TokenError, TokenRole};
use crate::suite::AuthMethod;
use crate::target::{Kind, Target};
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

/// `chainproof check` options (the command line's `CheckArgs`).
#[derive(Debug, Clone, Default)]
pub struct CheckOptions {
    pub target: PathBuf,
    /// Folder of extra suite files (as for `run`).
    pub suites: Option<PathBuf>,
    /// Plan only these suites (empty: all).
    pub suite: Vec<String>,
    /// Plan only cases matching one of these globs (empty: all).
    pub case: Vec<String>,
    pub profile: Option<String>,
    /// Do not verify server certificates (as `run --insecure`).
    pub insecure: bool,
}

/// What kind of problem a line reports; it decides the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ProblemKind {
    /// The target (or a suite, or a file it names) is invalid, or a secret cannot be read.
    InvalidInput,
    /// A flag names nothing known.
    Usage,
    /// A token endpoint refused a client's credentials (`invalid_client`).
    WrongSecret,
    /// Metadata names another issuer than the target (RFC 8414 §3.3).
    WrongIssuer,
    /// No connection to a server.
    Unreachable,
    /// The TLS handshake failed on the server's certificate.
    UntrustedCertificate,
    /// Metadata or JWKS missing or unusable.
    Metadata,
    /// A subject-token source did not give a token.
    TokenSource,
}

impl ProblemKind {
    pub fn label(self) -> &'static str {
        match self {
            ProblemKind::InvalidInput => "invalid input",
            ProblemKind::Usage => "usage",
            ProblemKind::WrongSecret => "wrong secret",
            ProblemKind::WrongIssuer => "wrong issuer",
            ProblemKind::Unreachable => "unreachable host",
            ProblemKind::UntrustedCertificate => "untrusted certificate",
            ProblemKind::Metadata => "metadata",
            ProblemKind::TokenSource => "token source failed",
        }
    }
}

/// One problem, shown as one line (a positioned diagnostic about an input file keeps its
/// source excerpt below the line).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub kind: ProblemKind,
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let m = self
            .message
            .strip_prefix("error: ")
            .unwrap_or(&self.message);
        write!(f, "error: {}: {m}", self.kind.label())
    }
}

/// The outcome of `check`: the table (what was tried, what will run and what will be
/// skipped) and the problems found.
#[derive(Debug, Default)]
pub struct Checked {
    pub table: String,
    pub problems: Vec<Problem>,
}

impl Checked {
    /// 0 when ready; 3 for invalid input; 64 for a usage error; 2 for any other problem.
    pub fn exit_code(&self) -> i32 {
        let has = |k| self.problems.iter().any(|p| p.kind == k);
        if has(ProblemKind::InvalidInput) {
            exit::INVALID_INPUT
        } else if has(ProblemKind::Usage) {
            exit::USAGE
        } else if self.problems.is_empty() {
            exit::OK
        } else {
            exit::RUNTIME
        }
    }

    fn problem(&mut self, kind: ProblemKind, message: impl Into<String>) {
        self.problems.push(Problem {
            kind,
            message: message.into(),
        });
    }

    fn row(&mut self, cols: &[&str]) {
        let widths = [20, 28];
        let mut line = String::from("  ");
        for (i, c) in cols.iter().enumerate() {
            if i + 1 < cols.len() {
                let w = widths.get(i).copied().unwrap_or(0);
                let _ = write!(line, "{c:<w$}  ");
            } else {
                line.push_str(c);
            }
        }
        self.table.push_str(line.trim_end());
        self.table.push('\n');
    }

    fn heading(&mut self, title: &str) {
        if !self.table.is_empty() {
            self.table.push('\n');
        }
        self.table.push_str(title);
        self.table.push('\n');
    }
}

/// Check a target; never sends a case's request.
pub async fn check(options: CheckOptions) -> Checked {
    let mut out = Checked::default();
    let run_options = RunOptions {
        target: Some(options.target.clone()),
        suites: options.suites.clone(),
        suite: options.suite.clone(),
        case: options.case.clone(),
        profile: options.profile.clone(),
        insecure: options.insecure,
        ..RunOptions::default()
    };
    let prepared = match crate::run::prepare(run_options) {
        Ok(p) => p,
        Err(e) => {
            let kind = match e {
                RunError::Usage(_) => ProblemKind::Usage,
                RunError::Invalid(_) => ProblemKind::InvalidInput,
                RunError::Runtime(_) => ProblemKind::Unreachable,
            };
            out.problem(kind, e.to_string());
            return out;
        }
    };
    let t = prepared.target().expect("check always has a target");
    out.heading(&format!(
        "target {} (profile {})",
        t.file.name,
        prepared.profile()
    ));
    let credentials = crate::environment::resolve_credentials(t);
    let tls = crate::tls::options(Some(t), options.insecure);
    out.row(&[
        "credentials",
        if credentials.is_empty() && tls.is_ok() {
            "ok"
        } else {
            "UNREADABLE"
        },
        "client secrets, keys, certificates, subject-token secrets",
    ]);
    for c in credentials {
        out.problem(ProblemKind::InvalidInput, c);
    }
    let tls = match tls {
        Ok((tls, _)) => tls,
        Err(e) => {
            out.problem(ProblemKind::InvalidInput, e);
            return out;
        }
    };
    if !out.problems.is_empty() {
        return out;
    }
    let limits = &t.spec.limits;
    let http = match Http::with_tls(
        Duration::from_secs(limits.request_timeout_secs),
        limits.max_response_bytes,
        &tls,
    ) {
        Ok(h) => h,
        Err(e) => {
            out.problem(ProblemKind::InvalidInput, e);
            return out;
        }
    };
    servers(&mut out, &http, t).await;
    if !out.problems.is_empty() {
        return out;
    }
    let env = match crate::run::build_env(&prepared).await {
        Ok(e) => e,
        Err(crate::environment::EnvError::Invalid(m)) => {
            out.problem(ProblemKind::InvalidInput, m);
            return out;
        }
        Err(crate::environment::EnvError::Runtime(m)) => {
            out.problem(ProblemKind::Unreachable, m);
            return out;
        }
    };
    let refused = clients(&mut out, &env).await;
    tokens(&mut out, &env, &refused).await;
    plan(&mut out, &prepared, &env);
    out
}

/// The role's table in the target file, for hints.
fn table_of(role: &str) -> &'static str {
    match role {
        "AS-A" => "[as_a]",
        "AS-B" => "[as_b]",
        _ => "[rs]",
    }
}

/// A transport failure as the problem it is: the server's certificate, or no connection.
fn transport_problem(role: &str, url: &str, reason: &str) -> Problem {
    if reason.contains("TLS handshake failed") {
        Problem {
            kind: ProblemKind::UntrustedCertificate,
            message: format!("{role}: {url}: {reason}"),
        }
    } else {
        let host = url::Url::parse(url)
            .ok()
            .and_then(|u| {
                Some(format!(
                    "{}:{}",
                    u.host_str()?,
                    u.port_or_known_default().unwrap_or(0)
                ))
            })
            .unwrap_or_else(|| url.to_string());
        Problem {
            kind: ProblemKind::Unreachable,
            message: format!("{role}: cannot reach {host} ({url}): {reason}"),
        }
    }
}

/// Discover each live authorization server and fetch its JWKS; reach a live RS-B.
async fn servers(out: &mut Checked, http: &Http, t: &Target) {
    out.heading("servers");
    let s = &t.spec;
    for (role, kind, issuer, pinned) in [
        ("AS-A", s.as_a.kind, &s.as_a.issuer, s.as_a.endpoints()),
        ("AS-B", s.as_b.kind, &s.as_b.issuer, s.as_b.endpoints()),
    ] {
        if kind == Kind::Mock {
            out.row(&[role, "embedded mock", "started with the run"]);
            continue;
        }
        let issuer = issuer.as_ref().expect("validated").get_ref();
        let info = match discovery::discover(http, role, issuer, &pinned).await {
            Ok(info) => info,
            Err(e) => {
                out.row(&[role, "FAILED", issuer]);
                let p = match e {
                    DiscoveryError::Unreachable { role, url, reason } => {
                        transport_problem(&role, &url, &reason)
                    }
                    DiscoveryError::IssuerMismatch {
                        role,
                        url,
                        found,
                        expected,
                    } => Problem {
                        kind: ProblemKind::WrongIssuer,
                        message: format!(
                            "{role}: metadata at {url} names issuer `{found}`, the target says `{expected}` (RFC 8414 §3.3: they must be identical; fix `issuer` in {})",
                            table_of(&role)
                        ),
                    },
                    other => Problem {
                        kind: ProblemKind::Metadata,
                        message: other.to_string(),
                    },
                };
                out.problems.push(p);
                continue;
            }
        };
        let metadata = info
            .metadata_url
            .clone()
            .unwrap_or_else(|| "endpoints pinned, no metadata".into());
        out.row(&[role, "ok", &format!("{issuer}  metadata: {metadata}")]);
        if let Some(jwks) = &info.jwks_uri {
            match discovery::fetch_json(http, jwks).await {
                Ok(v) if v["keys"].is_array() => out.row(&["", "ok", &format!("JWKS {jwks}")]),
                Ok(_) => {
                    out.row(&["", "FAILED", &format!("JWKS {jwks}")]);
                    out.problem(
                        ProblemKind::Metadata,
                        format!("{role}: JWKS at {jwks} has no `keys` array (RFC 7517 §5)"),
                    );
                }
                Err(e) => {
                    out.row(&["", "FAILED", &format!("JWKS {jwks}")]);
                    out.problem(ProblemKind::Metadata, format!("{role}: JWKS: {e}"));
                }
            }
        }
    }
    match &s.rs {
        Some(r) if r.kind == Kind::Live => {
            let resource = r.resource.as_ref().expect("validated").get_ref();
            let url = r.url.as_ref().map_or(resource, |u| u.get_ref());
            let req = Request {
                method: "GET".into(),
                url: url.clone(),
                headers: Vec::new(),
                body: None,
                client_cert: None,
            };
            // Any HTTP answer (401 without a token, most likely) shows it is there.
            match http.send("check", req).await.1 {
                Ok(resp) => out.row(&[
                    "RS-B",
                    "ok",
                    &format!("{url}  answered {} without a token", resp.status),
                ]),
                Err(e) => {
                    out.row(&["RS-B", "FAILED", url]);
                    out.problems.push(transport_problem("RS-B", url, &e));
                }
            }
        }
        Some(_) => out.row(&["RS-B", "embedded mock", "started with the run"]),
        None => out.row(&["RS-B", "none", "the target has no [rs]"]),
    }
}

fn method_name(m: AuthMethod) -> &'static str {
    match m {
        AuthMethod::Basic => "client_secret_basic",
        AuthMethod::Post => "client_secret_post",
        AuthMethod::PrivateKeyJwt => "private_key_jwt",
        AuthMethod::TlsClientAuth => "tls_client_auth",
        AuthMethod::SelfSignedTlsClientAuth => "self_signed_tls_client_auth",
    }
}

/// What a refused credential most likely is, by authentication method.
fn credential(m: AuthMethod) -> &'static str {
    match m {
        AuthMethod::Basic | AuthMethod::Post => "wrong client secret",
        AuthMethod::PrivateKeyJwt => {
            "client assertion refused (wrong key_file or key not registered)"
        }
        AuthMethod::TlsClientAuth | AuthMethod::SelfSignedTlsClientAuth => {
            "client certificate refused (tls_cert_file not the one registered)"
        }
    }
}

/// RFC 6749 §5.2: `invalid_client` (or a bare 401) says client authentication failed.
fn refused(status: u16, body: &str) -> bool {
    let error = serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v["error"].as_str().map(String::from));
    error.as_deref() == Some("invalid_client") || (status == 401 && error.is_none())
}

/// A client-authentication probe: the server's role, the client, the server, the form.
type Probe<'a> = (
    &'a str,
    &'a Client,
    &'a crate::discovery::AsInfo,
    &'a [(&'a str, &'a str)],
);

/// Ask each token endpoint to authenticate each client, with a grant it must refuse anyway
/// (a token exchange of a subject token that is no token; a jwt-bearer grant whose assertion
/// is no JWT). A server that authenticates the client first answers `invalid_client` to wrong
/// credentials; one that judges the grant first answers `invalid_grant` or `invalid_request`
/// either way, and nothing is concluded. Returns the ids of the refused clients.
async fn clients(out: &mut Checked, env: &Env) -> Vec<String> {
    out.heading("clients (authenticated with a request the server must refuse)");
    let mut refused_ids = Vec::new();
    let exchange = [
        ("grant_type", TOKEN_EXCHANGE),
        ("subject_token", "chainproof-check-not-a-token"),
        ("subject_token_type", TT_ACCESS_TOKEN),
    ];
    let bearer = [
        ("grant_type", JWT_BEARER),
        ("assertion", "chainproof-check-not-a-jwt"),
    ];
    let probes: Vec<Probe> = [
        ("AS-A", Some(&env.client), &env.as_a, &exchange[..]),
        ("AS-A", env.second_client.as_ref(), &env.as_a, &exchange[..]),
        ("AS-A", env.jwt_client.as_ref(), &env.as_a, &exchange[..]),
        ("AS-B", env.as_b_client.as_ref(), &env.as_b, &bearer[..]),
    ]
    .into_iter()
    .filter_map(|(r, c, i, f)| Some((r, c?, i, f)))
    .collect();
    for (role, client, info, form) in probes {
        let mut form: Vec<(String, String)> = form
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let mut headers = vec![
            (
                "Content-Type".to_string(),
                "application/x-www-form-urlencoded".to_string(),
            ),
            ("Accept".into(), "application/json".into()),
        ];
        apply_client_auth(
            &mut form,
            &mut headers,
            Some(client),
            client.auth,
            &info.issuer,
        );
        let req = Request {
            method: "POST".into(),
            url: info.token_endpoint.clone(),
            headers,
            body: Some(encode_form(&form)),
            client_cert: tls_client(Some(client), client.auth),
        };
        let name = format!("{role} `{}`", client.id);
        let method = method_name(client.auth);
        match env.http.send("check", req).await.1 {
            Ok(r) if refused(r.status, &r.body) => {
                out.row(&[&name, method, "REFUSED"]);
                out.problem(
                    ProblemKind::WrongSecret,
                    format!(
                        "{role}: {} for client `{}` ({method}): {} answered {} invalid_client",
                        credential(client.auth),
                        client.id,
                        info.token_endpoint,
                        r.status
                    ),
                );
                refused_ids.push(client.id.clone());
            }
            Ok(r) => out.row(&[
                &name,
                method,
                &format!("ok (status {}, not invalid_client)", r.status),
            ]),
            Err(e) => {
                out.row(&[&name, method, "FAILED"]);
                out.problems
                    .push(transport_problem(role, &info.token_endpoint, &e));
            }
        }
    }
    refused_ids
}

/// Obtain one subject token per role that has a source.
async fn tokens(out: &mut Checked, env: &Env, refused_clients: &[String]) {
    out.heading("subject tokens (one per role)");
    for role in TokenRole::ALL {
        let no_client = match role {
            TokenRole::SecondClient => env
                .second_client
                .is_none()
                .then_some("[as_a.second_client]"),
            TokenRole::JwtClient => env.jwt_client.is_none().then_some("[as_a.jwt_client]"),
            _ => None,
        };
        if let Some(table) = no_client {
            out.row(&[
                role.name(),
                "-",
                &format!("no client: the target has no {table}"),
            ]);
            continue;
        }
        let Some(rs) = env.tokens.get(role) else {
            let gap = env.tokens.gap(role).unwrap_or_default();
            out.row(&[role.name(), "-", &format!("no source: {gap}")]);
            continue;
        };
        let method = if rs.derived {
            format!("{} (derived)", rs.source.method())
        } else {
            rs.source.method().to_string()
        };
        if refused_clients.contains(&rs.client.id) {
            out.row(&[
                role.name(),
                &method,
                &format!("not tried: client `{}` was refused", rs.client.id),
            ]);
            continue;
        }
        let (exchanges, got) = env.tokens.obtain(role, &env.http, "check").await;
        match got {
            Ok(g) if g.token().is_some() => out.row(&[role.name(), &method, "ok"]),
            Ok(_) => {
                out.row(&[role.name(), &method, "FAILED"]);
                out.problem(
                    ProblemKind::TokenSource,
                    format!(
                        "subject token for role {}: no token in the answer",
                        role.name()
                    ),
                );
            }
            Err(TokenError::NoSource(m)) => out.row(&[role.name(), &method, &m]),
            Err(TokenError::Failed(m)) => {
                out.row(&[role.name(), &method, "FAILED"]);
                let client_refused = exchanges.iter().any(|x| {
                    x.response
                        .as_ref()
                        .is_some_and(|r| refused(r.status, &r.body))
                }) || m.contains("invalid_client");
                let kind = if client_refused {
                    ProblemKind::WrongSecret
                } else {
                    ProblemKind::TokenSource
                };
                out.problem(kind, format!("role {}: {m}", role.name()));
            }
        }
    }
}

/// The run's plan: per suite how many cases run and how many are skipped, then each skipped
/// case with its reason.
fn plan(out: &mut Checked, prepared: &Prepared, env: &Env) {
    let planned = crate::run::plan(
        prepared.lib(),
        &prepared.selection(),
        prepared.profile(),
        env,
    );
    let ran = planned.iter().filter(|p| p.skip.is_none()).count();
    out.heading(&format!(
        "plan: {ran} of {} cases will run, {} will be skipped",
        planned.len(),
        planned.len() - ran
    ));
    let mut by_suite: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for p in &planned {
        let e = by_suite.entry(p.suite.as_str()).or_default();
        if p.skip.is_none() {
            e.0 += 1;
        } else {
            e.1 += 1;
        }
    }
    out.row(&["suite", "run  skip"]);
    for (suite, (run, skip)) in &by_suite {
        out.row(&[suite, &format!("{run:>3}  {skip:>4}")]);
    }
    let mut skipped: Vec<&Planned> = planned.iter().filter(|p| p.skip.is_some()).collect();
    if skipped.is_empty() {
        return;
    }
    skipped.sort_by(|a, b| (&a.suite, &a.case.id).cmp(&(&b.suite, &b.case.id)));
    out.heading("skipped");
    for p in skipped {
        let _ = writeln!(
            out.table,
            "  {}/{}: {}",
            p.suite,
            p.case.id,
            p.skip.as_deref().unwrap_or_default()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_the_worst_problem_kind() {
        let mut c = Checked::default();
        assert_eq!(c.exit_code(), exit::OK);
        c.problem(ProblemKind::WrongIssuer, "x");
        assert_eq!(c.exit_code(), exit::RUNTIME);
        c.problem(ProblemKind::InvalidInput, "y");
        assert_eq!(c.exit_code(), exit::INVALID_INPUT);
    }

    #[test]
    fn client_refusal_is_invalid_client_or_a_bare_401() {
        assert!(refused(401, r#"{"error":"invalid_client"}"#));
        assert!(refused(400, r#"{"error":"invalid_client"}"#));
        assert!(refused(401, "Unauthorized"));
        assert!(!refused(400, r#"{"error":"invalid_grant"}"#));
        assert!(!refused(401, r#"{"error":"invalid_grant"}"#));
    }

    #[test]
    fn a_problem_is_one_labelled_line() {
        let p = transport_problem(
            "AS-B",
            "http://127.0.0.1:1/.well-known/x",
            "connection failed: refused",
        );
        assert_eq!(p.kind, ProblemKind::Unreachable);
        assert_eq!(
            p.to_string(),
            "error: unreachable host: AS-B: cannot reach 127.0.0.1:1 (http://127.0.0.1:1/.well-known/x): connection failed: refused"
        );
        let p = transport_problem("AS-A", "https://a/", "TLS handshake failed: unknown issuer");
        assert_eq!(p.kind, ProblemKind::UntrustedCertificate);
    }
}

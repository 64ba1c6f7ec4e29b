//! RFC 8693 delegation and impersonation at AS-A, the rules of the `rfc8693` mode
//! ([`crate::MockProfile::Rfc8693`]): actor tokens (§2.1), the `act` claim and its nesting for
//! chains of actors (§4.1), `may_act` (§4.4), `requested_token_type` for access tokens (§2.1),
//! several `resource`/`audience` values (§2.1, §2.1.1) and the §2.2.2 error codes.
//!
//! The identity-chaining modes keep their own rules in [`crate::as_a`] (one authorization
//! server per grant, user tokens only as actors); the handler asks [`active`] and calls in here.

use crate::as_a::{AsA, api_audience, validate_own_token};
use crate::endpoint::{TT_ACCESS_TOKEN, TT_JWT};
use crate::error::OAuthError;
use crate::fault::Fault;
use crate::form::Form;
use crate::jose::Jws;
use crate::profile::MockProfile;
use crate::variant::Variant;
use serde_json::{Value, json};

/// Whether the pair follows RFC 8693's delegation rules (the `rfc8693` mode).
pub fn active(s: &AsA) -> bool {
    s.faults.profile() == MockProfile::Rfc8693
}

/// Token types this AS-A accepts as subject or actor tokens (its own JWT access tokens).
pub fn supported_input_type(t: &str) -> bool {
    t == TT_ACCESS_TOKEN || t == TT_JWT
}

/// Token types it issues: its JWT grant, or (this mode) an RFC 9068 access token.
pub fn issuable(t: &str) -> bool {
    t == TT_JWT || t == TT_ACCESS_TOKEN
}

/// An unsupported subject or actor token type: `invalid_request` (RFC 8693 §2.2.2: the token
/// is unusable), or RFC 7009's code under the `unsupported-token-type-code` fault.
pub fn unsupported_type(s: &AsA, param: &str) -> OAuthError {
    let d = format!("{param}: unsupported token type");
    if s.faults.has(Fault::UnsupportedTokenTypeCode) {
        OAuthError::unsupported_token_type(d)
    } else {
        OAuthError::invalid_request(d)
    }
}

/// Every `resource` and `audience` value (RFC 8693 §2.1: several of each, mixed), each
/// resolved to the audience the issued token names: AS-B, a configured partner, or AS-A's own
/// API (a token AS-A accepts again as a subject token, for chains of actors). Refused with
/// `invalid_target` when any is unknown (§2.2.2 SHOULD).
pub fn targets(s: &AsA, form: &Form) -> Result<Vec<String>, OAuthError> {
    let mut out: Vec<String> = Vec::new();
    let values = form
        .get_all("resource")
        .into_iter()
        .map(|v| (v, false))
        .chain(form.get_all("audience").into_iter().map(|v| (v, true)));
    for (value, is_audience) in values {
        let t = resolve(s, value, is_audience)?;
        if !out.contains(&t) {
            out.push(t);
        }
    }
    if out.len() > 1 && s.faults.has(Fault::SeveralTargetsInvalidRequest) {
        return Err(OAuthError::invalid_request("one target per request"));
    }
    if out.is_empty() {
        // RFC 8693 makes both parameters optional; with neither, the token is for AS-B.
        out.push(s.as_b.issuer.clone());
    }
    if s.faults.has(Fault::FirstTargetOnly) {
        out.truncate(1);
    }
    Ok(out)
}

fn resolve(s: &AsA, value: &str, is_audience: bool) -> Result<String, OAuthError> {
    let refuse = |why: &str| {
        if s.faults.has(Fault::UnknownTargetInvalidGrant) {
            OAuthError::invalid_grant(why.to_owned())
        } else if s.faults.has(Fault::UnknownTargetServerError) {
            OAuthError::server_error(why.to_owned())
        } else {
            crate::as_a::target_error(s, OAuthError::invalid_target(why.to_owned()))
        }
    };
    if !is_audience {
        let url = url::Url::parse(value).map_err(|_| refuse("resource must be an absolute URI"))?;
        if url.fragment().is_some() {
            return Err(refuse("resource must not contain a fragment"));
        }
    }
    if value == s.urls.issuer || value == api_audience(s) {
        return Ok(api_audience(s));
    }
    let as_b = value == s.as_b.issuer
        || (!is_audience && value == s.as_b.token_endpoint)
        || (is_audience && value == s.cfg.as_b_audience_alias);
    if as_b {
        Ok(s.as_b.issuer.clone())
    } else if s.cfg.extra_partners.iter().any(|p| p == value) {
        Ok(value.to_owned())
    } else {
        Err(refuse(if is_audience {
            "audience is not a target this server issues tokens for"
        } else {
            "resource is not a target this server issues tokens for"
        }))
    }
}

/// `aud` for the issued token: one value, or every target.
pub fn aud(targets: &[String]) -> Value {
    match targets {
        [one] => json!(one),
        many => json!(many),
    }
}

/// `aud` of a JWT grant: every target, under the legal `aud` variants (AS-B named by its token
/// endpoint, a one-element array) as in the identity-chaining mode.
pub fn grant_aud(s: &AsA, targets: &[String]) -> Value {
    let named: Vec<String> = targets
        .iter()
        .map(|t| {
            if s.faults.variant(Variant::GrantAudTokenEndpoint) && *t == s.as_b.issuer {
                s.as_b.token_endpoint.clone()
            } else {
                t.clone()
            }
        })
        .collect();
    if s.faults.variant(Variant::GrantAudArray) {
        json!(named)
    } else {
        aud(&named)
    }
}

/// `may_act` for the access tokens AS-A issues to user `sub` (RFC 8693 §4.4): the party the
/// configuration allows to act for that user.
pub fn may_act_claim(s: &AsA, sub: &str) -> Option<Value> {
    if !active(s) {
        return None;
    }
    let user = s.cfg.users.iter().find(|u| u.sub == sub)?;
    user.may_act.as_ref().map(|actor| json!({ "sub": actor }))
}

/// Validate the actor token (RFC 8693 §2.1: "MUST perform the appropriate validation
/// procedures" for it too) and build the issued token's `act` (§4.1): the actor token's
/// subject as the current actor, the subject token's own `act` (prior actors) nested beneath.
/// A subject token whose `may_act` names another party refuses the actor (§4.4, §2.2.2:
/// unacceptable by policy, `invalid_request`).
pub fn act(
    s: &AsA,
    actor_token: &str,
    subject: &Jws,
    client_id: Option<&str>,
    now: i64,
) -> Result<Option<Value>, OAuthError> {
    let f = &s.faults;
    let actor = validate_own_token(
        s,
        actor_token,
        now,
        true,
        f.has(Fault::ActorTokenUnverified),
    )
    .map_err(|why| OAuthError::invalid_request(format!("actor_token: {why}")))?;
    let actor_sub = actor.claim_str("sub").unwrap_or_default().to_owned();
    // Under `may-act-matches-client` the requesting client is compared, not the actor.
    let acting = if f.has(Fault::MayActMatchesClient) {
        client_id.unwrap_or_default()
    } else {
        actor_sub.as_str()
    };
    if let Some(allowed) = subject.claims.get("may_act")
        && allowed.get("sub").and_then(Value::as_str) != Some(acting)
        && !f.has(Fault::IgnoreMayAct)
    {
        let d = "actor_token: the subject token's may_act does not name this actor";
        return Err(if f.has(Fault::MayActRefusalInvalidGrant) {
            OAuthError::invalid_grant(d)
        } else {
            OAuthError::invalid_request(d)
        });
    }
    if f.has(Fault::NoActOnDelegation) {
        return Ok(None);
    }
    let current = if f.has(Fault::ActNamesClient) {
        client_id.unwrap_or_default().to_owned()
    } else {
        actor_sub
    };
    let subject_as_prior = json!({ "sub": subject.claim_str("sub") });
    let prior = subject
        .claims
        .get("act")
        .filter(|p| p.is_object() && !f.has(Fault::ActChainDropped))
        .map(|p| {
            if f.has(Fault::ActPriorIsSubject) {
                &subject_as_prior
            } else {
                p
            }
        });
    if f.has(Fault::ActNotObject) {
        return Ok(Some(json!(current)));
    }
    Ok(Some(match prior {
        Some(p) if f.has(Fault::ActChainInverted) => {
            // The prior actor outermost, the current one beneath: the order §4.1 forbids.
            let mut top = p.clone();
            top["act"] = json!({ "sub": current });
            top
        }
        Some(p) => json!({ "sub": current, "act": p }),
        None => json!({ "sub": current }),
    }))
}

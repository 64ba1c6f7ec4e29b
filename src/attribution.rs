//! Attribution (issue 8): which precondition a case's setup broke, which case grades that
//! root cause, and whether an AS-A grant is usable before a case presents it at AS-B
//! (IC §2.3.3 grant contents, §2.4.2 / RFC 7523 §3 validation, catalogue §13 `aud` forms).
//!
//! A step addressed to another party than the one a case judges is *setup*. When setup fails,
//! the case is `blocked`: its message names the precondition and the case(s) below that grade
//! it, so the failure is charged once, to the party and requirement that own it.

use crate::jose::{self, Jws};
use crate::party::Party;
use serde_json::Value;

/// What a case's setup needed from another party, and did not get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precondition {
    /// AS-A answers a token exchange with 2xx and an `access_token` (the grant).
    Exchange,
    /// AS-B answers a jwt-bearer request for a valid grant with 2xx and an access token.
    Present,
    /// RS-B serves a request carrying a valid access token.
    ResourceCall,
    /// The party's discovery metadata is served.
    Metadata(Party),
    /// A raw request to the party is answered with 2xx.
    Request(Party),
    /// AS-A's grant fails the harness's own validation.
    Grant(GrantFlaw),
}

/// Why an AS-A grant is unusable at AS-B.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantFlaw {
    NotJws,
    Signature,
    Iss,
    Aud,
    Exp,
    Sub,
}

impl Precondition {
    /// Every precondition, for validating [`Precondition::root_causes`] against the suites.
    pub const ALL: &'static [Precondition] = &[
        Precondition::Exchange,
        Precondition::Present,
        Precondition::ResourceCall,
        Precondition::Metadata(Party::AsA),
        Precondition::Metadata(Party::AsB),
        Precondition::Metadata(Party::Rs),
        Precondition::Request(Party::AsA),
        Precondition::Request(Party::AsB),
        Precondition::Request(Party::Rs),
        Precondition::Grant(GrantFlaw::NotJws),
        Precondition::Grant(GrantFlaw::Signature),
        Precondition::Grant(GrantFlaw::Iss),
        Precondition::Grant(GrantFlaw::Aud),
        Precondition::Grant(GrantFlaw::Exp),
        Precondition::Grant(GrantFlaw::Sub),
    ];

    /// The party whose behaviour the precondition is about.
    pub fn party(self) -> Party {
        match self {
            Precondition::Exchange | Precondition::Grant(_) => Party::AsA,
            Precondition::Present => Party::AsB,
            Precondition::ResourceCall => Party::Rs,
            Precondition::Metadata(p) | Precondition::Request(p) => p,
        }
    }

    /// In words, for the blocked case's message.
    pub fn describe(self) -> &'static str {
        match self {
            Precondition::Exchange => {
                "AS-A issues a grant (the token exchange answers 2xx with an access_token)"
            }
            Precondition::Present => "AS-B redeems a valid grant (2xx with an access_token)",
            Precondition::ResourceCall => "RS-B serves a valid access token",
            Precondition::Metadata(Party::AsA) => "AS-A serves its RFC 8414 metadata",
            Precondition::Metadata(Party::AsB) => "AS-B serves its RFC 8414 metadata",
            Precondition::Metadata(_) => "RS-B serves its RFC 9728 metadata",
            Precondition::Request(Party::AsA) => "AS-A answers the request with 2xx",
            Precondition::Request(Party::AsB) => "AS-B answers the request with 2xx",
            Precondition::Request(_) => "RS-B answers the request with 2xx",
            Precondition::Grant(GrantFlaw::NotJws) => "AS-A's grant is a compact JWS",
            Precondition::Grant(GrantFlaw::Signature) => {
                "AS-A's grant verifies with a key from AS-A's JWKS"
            }
            Precondition::Grant(GrantFlaw::Iss) => "AS-A's grant has iss = AS-A's issuer",
            Precondition::Grant(GrantFlaw::Aud) => {
                "AS-A's grant has an aud identifying the requested AS"
            }
            Precondition::Grant(GrantFlaw::Exp) => "AS-A's grant has an exp in the future",
            Precondition::Grant(GrantFlaw::Sub) => "AS-A's grant has a sub",
        }
    }

    /// The case(s) that grade this root cause (`suite/case`). The one place this mapping is
    /// kept; `every_root_cause_case_exists_and_judges_its_party` checks it against the
    /// embedded suites.
    pub fn root_causes(self) -> &'static [&'static str] {
        match self {
            Precondition::Exchange | Precondition::Request(Party::AsA) => {
                &["token-exchange/success-response-shape"]
            }
            Precondition::Present | Precondition::Request(Party::AsB) => {
                &["grant-validation/valid-grant-redeemed"]
            }
            Precondition::ResourceCall | Precondition::Request(_) => {
                &["subject-mapping/mapped-subject-reaches-rs-b"]
            }
            Precondition::Metadata(Party::AsA) => &["metadata/as-a-metadata"],
            Precondition::Metadata(Party::AsB) => &["metadata/as-b-metadata"],
            Precondition::Metadata(_) => &["metadata/rs-metadata"],
            Precondition::Grant(GrantFlaw::Aud) => &["aud-restrictions/grant-aud-is-as-b"],
            Precondition::Grant(GrantFlaw::Exp) => {
                &["grant-contents/grant-claims", "replay/grant-lifetime-short"]
            }
            Precondition::Grant(_) => &["grant-contents/grant-claims"],
        }
    }
}

/// Why a case is `blocked`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blocked {
    /// The party whose step failed.
    pub by: Party,
    /// The precondition, in words.
    pub precondition: String,
    /// What was seen instead.
    pub detail: String,
    /// `suite/case` ids grading the root cause.
    pub root_causes: Vec<String>,
}

impl Blocked {
    pub fn of(p: Precondition, detail: impl Into<String>) -> Blocked {
        Blocked {
            by: p.party(),
            precondition: p.describe().to_string(),
            detail: detail.into(),
            root_causes: p.root_causes().iter().map(|s| s.to_string()).collect(),
        }
    }

    /// `blocked by AS-A: precondition "…" failed (…); graded by suite/case`.
    pub fn message(&self) -> String {
        let graded = if self.root_causes.is_empty() {
            String::new()
        } else {
            format!("; graded by {}", self.root_causes.join(", "))
        };
        format!(
            "blocked by {}: precondition \"{}\" failed ({}){graded}",
            self.by, self.precondition, self.detail
        )
    }
}

/// What the harness checks of an AS-A grant before presenting it.
pub struct GrantExpectations<'a> {
    pub as_a_issuer: &'a str,
    /// AS-A's JWKS; without it the signature is left to AS-B.
    pub as_a_jwks: Option<&'a Value>,
    /// Values any of which `aud` may carry to identify the requested AS. A string or an array
    /// containing one of them is accepted. For AS-B these are [`as_b_audiences`]: its issuer
    /// identifier and its token endpoint URL, never the target's logical `audience` alias.
    ///
    /// Why not the alias: IC-17 §2.4.2 bullet 1 says AS-B identifies itself in `aud` "using
    /// either the token endpoint as described [in] Section 3 of [RFC7523] or the issuer
    /// identifier as defined in Section 2 of [RFC8414]". RFC 7523 §3 item 3 alone would let a
    /// deployment agree on other identifiers, but IC narrows it to those two, so a conformant
    /// AS-B may refuse a grant whose only audience is a logical name (IC §2.3.1 defines that
    /// name as a way to *request* AS-B, not as an `aud` value). Presenting such a grant would
    /// charge AS-B with AS-A's choice; `aud-restrictions/grant-aud-is-as-b` and
    /// `token-exchange/audience-names-as-b` grade that choice at AS-A instead.
    pub audiences: &'a [String],
    pub now: i64,
    pub leeway_secs: i64,
}

/// The values that identify AS-B in a grant's `aud` (IC-17 §2.4.2 bullet 1): its issuer
/// identifier (RFC 8414 §2) and its token endpoint URL (RFC 7523 §3 item 3).
pub fn as_b_audiences(issuer: &str, token_endpoint: &str) -> Vec<String> {
    vec![issuer.to_string(), token_endpoint.to_string()]
}

/// The first reason the grant is unusable, with what was seen; `Ok` when usable.
pub fn check_grant(token: &str, want: &GrantExpectations<'_>) -> Result<(), (GrantFlaw, String)> {
    let jws = Jws::decode(token).ok_or((
        GrantFlaw::NotJws,
        "not a compact JWS with a JSON header and claims".to_string(),
    ))?;
    if let Some(jwks) = want.as_a_jwks
        && !jose::verifies_with_jwks(token, jwks)
    {
        return Err((
            GrantFlaw::Signature,
            "the signature verifies with no key of AS-A's JWKS".into(),
        ));
    }
    let c = &jws.claims;
    if c.get("iss").and_then(Value::as_str) != Some(want.as_a_issuer) {
        return Err((GrantFlaw::Iss, format!("iss is {}", shown(c.get("iss")))));
    }
    let aud = c.get("aud");
    let names = |v: &Value| {
        want.audiences
            .iter()
            .any(|a| v.as_str() == Some(a.as_str()))
    };
    let aud_ok = match aud {
        Some(Value::Array(items)) => items.iter().any(names),
        Some(v) => names(v),
        None => false,
    };
    if !aud_ok {
        return Err((GrantFlaw::Aud, format!("aud is {}", shown(aud))));
    }
    match c.get("exp").and_then(Value::as_i64) {
        Some(exp) if exp + want.leeway_secs > want.now => {}
        _ => return Err((GrantFlaw::Exp, format!("exp is {}", shown(c.get("exp"))))),
    }
    if c.get("sub")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        return Err((GrantFlaw::Sub, format!("sub is {}", shown(c.get("sub")))));
    }
    Ok(())
}

fn shown(v: Option<&Value>) -> String {
    v.map_or("absent".into(), |v| {
        let s = v.to_string();
        if s.chars().count() > 80 {
            format!("{}…", s.chars().take(80).collect::<String>())
        } else {
            s
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::SignWith;
    use p256::ecdsa::SigningKey;
    use serde_json::json;

    fn grant(claims: Value) -> (String, Value) {
        let key = SigningKey::random(&mut rand::rngs::OsRng);
        let jwk = jose::public_jwk(key.verifying_key());
        let token = jose::sign(&json!({"alg": "ES256"}), &claims, SignWith::Es256(&key));
        (token, json!({ "keys": [jwk] }))
    }

    fn check(claims: Value) -> Result<(), GrantFlaw> {
        let (token, jwks) = grant(claims);
        let audiences = as_b_audiences("https://as-b.example", "https://as-b.example/token");
        check_grant(
            &token,
            &GrantExpectations {
                as_a_issuer: "https://as-a.example",
                as_a_jwks: Some(&jwks),
                audiences: &audiences,
                now: 1000,
                leeway_secs: 0,
            },
        )
        .map_err(|e| e.0)
    }

    #[test]
    fn a_usable_grant_passes_in_every_legal_aud_form() {
        for aud in [
            json!("https://as-b.example"),
            json!(["https://as-b.example"]),
            json!("https://as-b.example/token"),
            json!(["https://other.example", "https://as-b.example/token"]),
        ] {
            let c = json!({"iss": "https://as-a.example", "aud": aud, "exp": 2000, "sub": "u"});
            assert_eq!(check(c), Ok(()), "{aud}");
        }
    }

    #[test]
    fn each_flaw_is_named() {
        let ok = json!({"iss": "https://as-a.example", "aud": "https://as-b.example", "exp": 2000, "sub": "u"});
        let with = |k: &str, v: Value| {
            let mut c = ok.clone();
            c[k] = v;
            c
        };
        let without = |k: &str| {
            let mut c = ok.clone();
            c.as_object_mut().unwrap().remove(k);
            c
        };
        assert_eq!(
            check(with("aud", json!("https://as-a.example"))),
            Err(GrantFlaw::Aud)
        );
        assert_eq!(check(without("aud")), Err(GrantFlaw::Aud));
        // A logical alias is how a client may name AS-B in the request (IC §2.3.1), not an
        // `aud` value AS-B must accept (IC §2.4.2 bullet 1).
        assert_eq!(
            check(with("aud", json!("urn:example:as-b"))),
            Err(GrantFlaw::Aud)
        );
        assert_eq!(check(without("exp")), Err(GrantFlaw::Exp));
        assert_eq!(check(with("exp", json!(999))), Err(GrantFlaw::Exp));
        assert_eq!(check(without("sub")), Err(GrantFlaw::Sub));
        assert_eq!(check(with("iss", json!("https://x"))), Err(GrantFlaw::Iss));
        let (token, _) = grant(ok.clone());
        let (_, other_jwks) = grant(ok);
        let aud = vec!["https://as-b.example".to_string()];
        let want = GrantExpectations {
            as_a_issuer: "https://as-a.example",
            as_a_jwks: Some(&other_jwks),
            audiences: &aud,
            now: 1000,
            leeway_secs: 0,
        };
        assert_eq!(
            check_grant(&token, &want).unwrap_err().0,
            GrantFlaw::Signature
        );
        assert_eq!(check_grant("abc", &want).unwrap_err().0, GrantFlaw::NotJws);
    }

    #[test]
    fn blocked_message_names_precondition_and_root_cause() {
        let b = Blocked::of(Precondition::Grant(GrantFlaw::Aud), "aud is \"x\"");
        assert_eq!(b.by, Party::AsA);
        assert_eq!(
            b.message(),
            "blocked by AS-A: precondition \"AS-A's grant has an aud identifying the requested AS\" failed (aud is \"x\"); graded by aud-restrictions/grant-aud-is-as-b"
        );
    }

    #[test]
    fn every_root_cause_case_exists_and_judges_its_party() {
        let lib = crate::suite::load::Library::load(None).unwrap();
        for p in Precondition::ALL {
            assert!(!p.root_causes().is_empty(), "{p:?}");
            for id in p.root_causes() {
                let (suite, case) = id.split_once('/').unwrap();
                let c = lib
                    .suites
                    .iter()
                    .find(|s| s.id == suite)
                    .and_then(|s| s.cases.iter().find(|c| c.id == case))
                    .unwrap_or_else(|| panic!("{p:?}: root-cause case {id} not in the suites"));
                assert_eq!(c.party, p.party(), "{p:?}: {id} judges another party");
            }
        }
    }
}

//! Recipes for the `assertion` of a jwt-bearer request (RFC 7523 §2.1, §3; RFC 7515/7519):
//! a valid grant plus at most one header, claims, structure and signature mutation each.
//!
//! Header and claims are kept as ordered lists of raw JSON members, so that a recipe can
//! express what a JSON library cannot: duplicate member names, wrong types, non-object text.

use crate::fuzz::model::Judge;
use crate::harness::HarnessIssuer;
use crate::jose::b64;
use serde::{Deserialize, Serialize};

/// Where the unmutated grant comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GrantBase {
    /// Minted by the harness issuer that AS-B trusts (harness-issuer mode): fresh `jti`,
    /// `iat`, `exp` for every request, so an unmutated one is valid.
    Harness,
    /// A real grant obtained once from AS-A; re-presenting it unmutated is a replay.
    Real,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum HeaderMutation {
    None,
    AlgNone,
    AlgHs256,
    AlgRs256,
    AlgUnknown,
    /// `alg` given twice; `last_valid` says whether the lexically last one is ES256.
    DuplicateAlg {
        last_valid: bool,
    },
    KidUnknown,
    KidAbsent,
    KidNumber,
    Typ {
        typ: String,
    },
    TypNumber,
    CritUnknown,
    CritEmpty,
    NotObject,
    NotJson,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Claim {
    Iss,
    Sub,
    Aud,
    Exp,
    Iat,
    Jti,
}

impl Claim {
    pub fn name(self) -> &'static str {
        match self {
            Claim::Iss => "iss",
            Claim::Sub => "sub",
            Claim::Aud => "aud",
            Claim::Exp => "exp",
            Claim::Iat => "iat",
            Claim::Jti => "jti",
        }
    }
}

/// JSON kinds a claim can be turned into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JsonKind {
    String,
    Number,
    Bool,
    Null,
    Array,
    Object,
}

impl JsonKind {
    fn sample(self) -> &'static str {
        match self {
            JsonKind::String => "\"1700000000\"",
            JsonKind::Number => "42",
            JsonKind::Bool => "true",
            JsonKind::Null => "null",
            JsonKind::Array => "[]",
            JsonKind::Object => "{}",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ClaimsMutation {
    None,
    Drop {
        claim: Claim,
    },
    Retype {
        claim: Claim,
        to: JsonKind,
    },
    /// The claim twice: a bogus value and the right one; `last_valid` puts the right one last.
    Duplicate {
        claim: Claim,
        last_valid: bool,
    },
    ExpPast,
    ExpFarFuture,
    ExpFractional,
    NbfFuture,
    AudForeign,
    AudArrayWithOther,
    AudTokenEndpoint,
    SubUnmapped,
    IssUnknown,
    /// An extra claim of `size` bytes.
    Huge {
        size: usize,
    },
    /// The claims set is valid JSON but not an object, e.g. `[]`.
    NotObject {
        text: String,
    },
    NotJson,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Structure {
    Compact,
    TwoSegments,
    FourSegments,
    FiveSegments,
    TrailingDot,
    /// Two JWTs joined by a dot.
    Concatenated,
    /// `=` padding appended to one segment.
    Padding {
        segment: u8,
    },
    /// A character outside the base64url alphabet inserted into one segment.
    BadChar {
        segment: u8,
        ch: char,
    },
    /// Leading and trailing whitespace.
    Whitespace,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Signature {
    /// Signed over the bytes actually sent, with the harness key (a valid signature when
    /// the base is the harness issuer).
    Sign,
    /// The signature of the unmutated grant, kept (valid only when nothing was mutated).
    Keep,
    /// Empty signature segment.
    Strip,
    /// One character of the signature changed.
    Flip,
    /// Signed with a key no trusted issuer publishes, naming that key's own `kid` (unless
    /// the header mutation sets `kid`): what a forger who holds no issuer key can do.
    ForeignKey,
}

/// A recipe for one `assertion` value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AssertionSpec {
    pub base: GrantBase,
    pub header: HeaderMutation,
    pub claims: ClaimsMutation,
    pub structure: Structure,
    pub signature: Signature,
}

impl AssertionSpec {
    pub fn valid() -> AssertionSpec {
        AssertionSpec {
            base: GrantBase::Harness,
            header: HeaderMutation::None,
            claims: ClaimsMutation::None,
            structure: Structure::Compact,
            signature: Signature::Sign,
        }
    }

    pub fn approx_len(&self) -> usize {
        600 + match &self.claims {
            ClaimsMutation::Huge { size } => *size,
            _ => 0,
        }
    }

    fn is_unmutated(&self) -> bool {
        self.header == HeaderMutation::None
            && self.claims == ClaimsMutation::None
            && self.structure == Structure::Compact
    }

    /// Short deterministic description used in logs and placeholders.
    pub fn describe(&self) -> String {
        let mut parts = vec![match self.base {
            GrantBase::Harness => "harness".to_string(),
            GrantBase::Real => "real".to_string(),
        }];
        if self.header != HeaderMutation::None {
            parts.push(format!("hdr={}", compact_json(&self.header)));
        }
        if self.claims != ClaimsMutation::None {
            parts.push(format!("claims={}", compact_json(&self.claims)));
        }
        if self.structure != Structure::Compact {
            parts.push(format!("jws={}", compact_json(&self.structure)));
        }
        parts.push(format!("sig={}", compact_json(&self.signature)));
        parts.join(";")
    }
}

fn compact_json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v)
        .unwrap_or_default()
        .replace('"', "")
}

impl AssertionSpec {
    /// Judge the recipe against RFC 7523 §3 and RFC 7515/7519, assuming the harness issuer is
    /// trusted by AS-B and the harness subject maps: what makes it certainly invalid (the
    /// requirement it breaks, at which level), or acceptable either way.
    pub fn judge(&self, j: &mut Judge) {
        use crate::verdict::Level::{May, Must, Should};
        // Signature first: with a real grant, anything but the untouched original is forged.
        match (self.base, self.signature) {
            (_, Signature::Strip) => j.invalid("IC-JB-03b", Must, "signature removed"),
            (_, Signature::Flip) => j.invalid("IC-JB-03a", Must, "signature altered"),
            // RFC 7523 §3 item 9 and IC §2.1: only the issuer's keys can sign its grants; no
            // JWKS of a trusted issuer holds this key, whatever the server does with `kid`.
            (_, Signature::ForeignKey) => j.invalid(
                "IC-JB-03d",
                Must,
                "signed with a key the issuer does not publish",
            ),
            (GrantBase::Real, Signature::Sign) => j.invalid(
                "IC-JB-03d",
                Must,
                "AS-A's grant re-signed with a key not bound to AS-A",
            ),
            (_, Signature::Keep) if !self.is_unmutated() => {
                j.invalid("IC-JB-03a", Must, "grant altered after signing")
            }
            (GrantBase::Real, Signature::Keep) => {
                j.ambiguous("re-presents an already issued grant (replay policy, IC-JB-13)")
            }
            _ => {}
        }
        match &self.header {
            HeaderMutation::None => {}
            HeaderMutation::AlgNone => j.invalid("IC-JB-03b", Must, "alg none"),
            HeaderMutation::AlgHs256 | HeaderMutation::AlgRs256 | HeaderMutation::AlgUnknown => {
                j.invalid("IC-JB-03a", Must, "alg does not match the signature")
            }
            HeaderMutation::DuplicateAlg { last_valid: false } => j.invalid(
                "IC-JB-03m",
                Must,
                "duplicate alg whose last value is none (RFC 7515 §4)",
            ),
            HeaderMutation::DuplicateAlg { last_valid: true } => {
                j.ambiguous("duplicate header member, last one valid")
            }
            HeaderMutation::KidUnknown | HeaderMutation::KidAbsent => {
                j.ambiguous("kid unknown or absent; the key may still be found")
            }
            HeaderMutation::KidNumber => {
                j.invalid("IC-JB-03m", Should, "kid is not a string (RFC 7515 §4.1.4)")
            }
            // A server that never reads `typ` may not notice its type: observation only.
            HeaderMutation::TypNumber => {
                j.invalid("IC-JB-03m", May, "typ is not a string (RFC 7515 §4.1.9)")
            }
            HeaderMutation::Typ { .. } => j.ambiguous("typ is not profiled in the base draft"),
            HeaderMutation::CritUnknown => {
                j.invalid("IC-JB-03l", Must, "crit names an unknown extension")
            }
            HeaderMutation::CritEmpty => j.ambiguous("crit is an empty list"),
            HeaderMutation::NotObject | HeaderMutation::NotJson => {
                j.invalid("IC-JB-03m", Must, "JOSE header is not a JSON object")
            }
        }
        match &self.claims {
            ClaimsMutation::None => {}
            ClaimsMutation::Drop { claim } => match claim {
                Claim::Iss => j.invalid("IC-JB-03f", Must, "no iss"),
                Claim::Sub => j.invalid("IC-JB-03g", Must, "no sub"),
                Claim::Aud => j.invalid("IC-JB-03h", Must, "no aud"),
                Claim::Exp => j.invalid("IC-JB-03i", Must, "no exp"),
                Claim::Iat | Claim::Jti => j.ambiguous("optional claim dropped"),
            },
            ClaimsMutation::Retype { claim, to } => match (claim, to) {
                (Claim::Iss | Claim::Sub, JsonKind::String) => {
                    j.ambiguous("string claim replaced by another string")
                }
                (Claim::Aud, JsonKind::String) => {
                    j.invalid("IC-JB-03h", Must, "aud does not identify AS-B")
                }
                (Claim::Aud, JsonKind::Array) => {
                    j.invalid("IC-JB-03h", Must, "aud is an empty array")
                }
                (Claim::Iss, _) => j.invalid("IC-JB-03f", Must, "iss is not a string"),
                (Claim::Sub, _) => j.invalid("IC-JB-03g", Must, "sub is not a string"),
                (Claim::Aud, _) => j.invalid("IC-JB-03h", Must, "aud is neither string nor array"),
                (Claim::Exp, JsonKind::Number) => {
                    j.invalid("IC-JB-03i", Must, "exp in the past (42)")
                }
                (Claim::Exp, _) => j.invalid("IC-JB-03i", Must, "exp is not a NumericDate"),
                (Claim::Iat, JsonKind::Number) => j.ambiguous("iat far in the past"),
                // RFC 7519 §4.1.6/§4.1.7 type rules for claims a server may not use at all:
                // accepting them is an observation, not a finding.
                (Claim::Iat | Claim::Jti, _) => j.invalid(
                    "IC-JB-03m",
                    May,
                    "optional claim of the wrong JSON type (RFC 7519 §4.1)",
                ),
            },
            ClaimsMutation::Duplicate {
                claim,
                last_valid: true,
            } => {
                let _ = claim;
                j.ambiguous("duplicate claim, last one valid (RFC 7519 §4)")
            }
            ClaimsMutation::Duplicate {
                claim,
                last_valid: false,
            } => match claim {
                Claim::Iss => j.invalid("IC-JB-03e", Must, "last iss is not trusted"),
                Claim::Sub => j.invalid("IC-JB-05", Must, "last sub cannot be mapped"),
                Claim::Aud => j.invalid("IC-JB-03h", Must, "last aud is foreign"),
                Claim::Exp => j.invalid("IC-JB-03i", Must, "last exp is in the past"),
                Claim::Iat | Claim::Jti => j.ambiguous("duplicate optional claim"),
            },
            ClaimsMutation::ExpPast => j.invalid("IC-JB-03i", Must, "expired"),
            ClaimsMutation::ExpFarFuture => j.ambiguous("exp 30 days ahead (IC-JB-03k)"),
            ClaimsMutation::ExpFractional => j.ambiguous("fractional NumericDate"),
            ClaimsMutation::NbfFuture => j.invalid("IC-JB-03j", Must, "nbf in the future"),
            ClaimsMutation::AudForeign => j.invalid("IC-JB-03h", Must, "aud is another AS"),
            ClaimsMutation::AudArrayWithOther => j.ambiguous("aud lists AS-B and another AS"),
            ClaimsMutation::AudTokenEndpoint => j.ambiguous("aud is AS-B's token endpoint"),
            ClaimsMutation::SubUnmapped => j.invalid("IC-JB-05", Must, "subject cannot be mapped"),
            ClaimsMutation::IssUnknown => j.invalid("IC-JB-03e", Must, "issuer not trusted"),
            ClaimsMutation::Huge { .. } => j.ambiguous("very large claim"),
            ClaimsMutation::NotObject { .. } | ClaimsMutation::NotJson => {
                j.invalid("IC-JB-03m", Must, "claims set is not a JSON object")
            }
        }
        match &self.structure {
            Structure::Compact => {}
            Structure::Padding { .. } => j.ambiguous("base64url padding"),
            Structure::Whitespace => j.invalid(
                "IC-JB-03m",
                Should,
                "whitespace around the compact serialization",
            ),
            _ => j.invalid("IC-JB-03m", Must, "not a compact JWS"),
        }
    }
}

/// Claims of the real grant (base [`GrantBase::Real`]), as obtained from AS-A.
#[derive(Debug, Clone)]
pub struct RealGrant {
    pub compact: String,
}

/// Everything needed to turn a recipe into a compact JWS.
pub struct GrantContext<'a> {
    pub key: &'a HarnessIssuer,
    /// A key nobody trusts ([`Signature::ForeignKey`]).
    pub foreign: &'a HarnessIssuer,
    pub harness_issuer: &'a str,
    pub subject: &'a str,
    pub as_b_issuer: &'a str,
    pub as_b_token_endpoint: &'a str,
    pub real: Option<&'a RealGrant>,
    /// The profile's grant `typ` (ID-JAG §3.1 `oauth-id-jag+jwt`) and the `client_id` claim
    /// naming the redeeming client (RFC 7523 leaves it optional; Ena and ID-JAG require it),
    /// as the runner's harness grants carry them.
    pub typ: Option<&'a str>,
    pub client_id: Option<&'a str>,
    pub now: u64,
    /// Unique per rendering (the `jti`).
    pub jti: String,
}

/// `s` as a JSON string literal.
pub(crate) fn json_str(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

fn members_to_json(members: &[(String, String)]) -> String {
    let inner: Vec<String> = members
        .iter()
        .map(|(k, v)| format!("{}:{}", json_str(k), v))
        .collect();
    format!("{{{}}}", inner.join(","))
}

/// Ordered JSON object members as (name, raw JSON text) pairs.
type Members = Vec<(String, String)>;

/// Split a real compact JWS into raw header/claims members and its signature (best effort; a
/// grant that does not parse is used as an opaque string).
fn real_members(compact: &str) -> Option<(Members, Members, String)> {
    let mut it = compact.split('.');
    let (h, p, s) = (it.next()?, it.next()?, it.next()?);
    let parse = |seg: &str| -> Option<Members> {
        match crate::jose::segment_json(seg)? {
            serde_json::Value::Object(v) => {
                Some(v.into_iter().map(|(k, v)| (k, v.to_string())).collect())
            }
            _ => None,
        }
    };
    Some((parse(h)?, parse(p)?, s.to_string()))
}

impl AssertionSpec {
    /// Build the compact serialization this recipe describes.
    pub fn render(&self, ctx: &GrantContext<'_>) -> String {
        let (mut header, mut claims, real_sig) = match (self.base, ctx.real) {
            (GrantBase::Real, Some(real)) => match real_members(&real.compact) {
                Some(parts) => parts,
                None => return real.compact.clone(),
            },
            _ => (
                vec![
                    ("alg".to_string(), json_str("ES256")),
                    ("kid".to_string(), json_str(&ctx.key.kid)),
                ],
                vec![
                    ("iss".to_string(), json_str(ctx.harness_issuer)),
                    ("sub".to_string(), json_str(ctx.subject)),
                    ("aud".to_string(), json_str(ctx.as_b_issuer)),
                    ("exp".to_string(), (ctx.now + 60).to_string()),
                    ("iat".to_string(), ctx.now.to_string()),
                    ("jti".to_string(), json_str(&ctx.jti)),
                ],
                String::new(),
            ),
        };
        if self.base == GrantBase::Harness || ctx.real.is_none() {
            if let Some(typ) = ctx.typ {
                header.push(("typ".into(), json_str(typ)));
            }
            if let Some(id) = ctx.client_id {
                claims.push(("client_id".into(), json_str(id)));
            }
        }
        let original_input = format!(
            "{}.{}",
            b64(members_to_json(&header).as_bytes()),
            b64(members_to_json(&claims).as_bytes())
        );
        let original_sig = if self.base == GrantBase::Real && !real_sig.is_empty() {
            real_sig
        } else {
            ctx.key.sign_input(&original_input)
        };
        let set = |members: &mut Vec<(String, String)>, k: &str, v: String| match members
            .iter_mut()
            .find(|(name, _)| name == k)
        {
            Some(m) => m.1 = v,
            None => members.push((k.to_string(), v)),
        };
        let remove = |members: &mut Vec<(String, String)>, k: &str| members.retain(|(n, _)| n != k);
        let mut header_text = None;
        match &self.header {
            HeaderMutation::None => {}
            HeaderMutation::AlgNone => set(&mut header, "alg", json_str("none")),
            HeaderMutation::AlgHs256 => set(&mut header, "alg", json_str("HS256")),
            HeaderMutation::AlgRs256 => set(&mut header, "alg", json_str("RS256")),
            HeaderMutation::AlgUnknown => set(&mut header, "alg", json_str("XX999")),
            HeaderMutation::DuplicateAlg { last_valid } => {
                let alg = header.iter().find(|(k, _)| k == "alg").map(|m| m.1.clone());
                let alg = alg.unwrap_or_else(|| json_str("ES256"));
                remove(&mut header, "alg");
                if *last_valid {
                    header.insert(0, ("alg".into(), json_str("none")));
                    header.push(("alg".into(), alg));
                } else {
                    header.insert(0, ("alg".into(), alg));
                    header.push(("alg".into(), json_str("none")));
                }
            }
            HeaderMutation::KidUnknown => {
                set(&mut header, "kid", json_str("chainproof-unknown-kid"))
            }
            HeaderMutation::KidAbsent => remove(&mut header, "kid"),
            HeaderMutation::KidNumber => set(&mut header, "kid", "12345".into()),
            HeaderMutation::Typ { typ } => set(&mut header, "typ", json_str(typ)),
            HeaderMutation::TypNumber => set(&mut header, "typ", "1".into()),
            HeaderMutation::CritUnknown => {
                set(&mut header, "crit", "[\"urn:chainproof:fuzz\"]".into());
                set(&mut header, "urn:chainproof:fuzz", "true".into());
            }
            HeaderMutation::CritEmpty => set(&mut header, "crit", "[]".into()),
            HeaderMutation::NotObject => header_text = Some("[\"ES256\"]".to_string()),
            HeaderMutation::NotJson => header_text = Some("alg=ES256".to_string()),
        }
        let mut claims_text = None;
        match &self.claims {
            ClaimsMutation::None => {}
            ClaimsMutation::Drop { claim } => remove(&mut claims, claim.name()),
            ClaimsMutation::Retype { claim, to } => {
                set(&mut claims, claim.name(), to.sample().into())
            }
            ClaimsMutation::Duplicate { claim, last_valid } => {
                let good = claims
                    .iter()
                    .find(|(k, _)| k == claim.name())
                    .map(|m| m.1.clone());
                let good = good.unwrap_or_else(|| "null".into());
                let bad = match claim {
                    Claim::Iss => json_str("https://untrusted.chainproof.invalid"),
                    Claim::Sub => json_str("chainproof-unmapped-subject"),
                    Claim::Aud => json_str("https://as-c.chainproof.invalid"),
                    Claim::Exp => (ctx.now.saturating_sub(3600)).to_string(),
                    Claim::Iat => "0".into(),
                    Claim::Jti => json_str("duplicate"),
                };
                remove(&mut claims, claim.name());
                let (first, last) = if *last_valid {
                    (bad, good)
                } else {
                    (good, bad)
                };
                claims.insert(0, (claim.name().into(), first));
                claims.push((claim.name().into(), last));
            }
            ClaimsMutation::ExpPast => {
                set(&mut claims, "exp", ctx.now.saturating_sub(3600).to_string())
            }
            ClaimsMutation::ExpFarFuture => {
                set(&mut claims, "exp", (ctx.now + 30 * 86400).to_string())
            }
            ClaimsMutation::ExpFractional => set(&mut claims, "exp", format!("{}.5", ctx.now + 60)),
            ClaimsMutation::NbfFuture => set(&mut claims, "nbf", (ctx.now + 3600).to_string()),
            ClaimsMutation::AudForeign => set(
                &mut claims,
                "aud",
                json_str("https://as-c.chainproof.invalid"),
            ),
            ClaimsMutation::AudArrayWithOther => {
                let aud = format!(
                    "[{},{}]",
                    json_str(ctx.as_b_issuer),
                    json_str("https://as-c.chainproof.invalid")
                );
                set(&mut claims, "aud", aud)
            }
            ClaimsMutation::AudTokenEndpoint => {
                set(&mut claims, "aud", json_str(ctx.as_b_token_endpoint))
            }
            ClaimsMutation::SubUnmapped => {
                set(&mut claims, "sub", json_str("chainproof-unmapped-subject"))
            }
            ClaimsMutation::IssUnknown => set(
                &mut claims,
                "iss",
                json_str("https://untrusted.chainproof.invalid"),
            ),
            ClaimsMutation::Huge { size } => {
                set(&mut claims, "chainproof_pad", json_str(&"A".repeat(*size)))
            }
            ClaimsMutation::NotObject { text } => claims_text = Some(text.clone()),
            ClaimsMutation::NotJson => claims_text = Some("sub=alice;aud=b".to_string()),
        }
        let kid_mutated = matches!(
            self.header,
            HeaderMutation::KidUnknown | HeaderMutation::KidAbsent | HeaderMutation::KidNumber
        );
        if self.signature == Signature::ForeignKey && !kid_mutated {
            set(&mut header, "kid", json_str(&ctx.foreign.kid));
        }
        let header_json = header_text.unwrap_or_else(|| members_to_json(&header));
        let claims_json = claims_text.unwrap_or_else(|| members_to_json(&claims));
        let mut segs = vec![b64(header_json.as_bytes()), b64(claims_json.as_bytes())];
        let input = format!("{}.{}", segs[0], segs[1]);
        let sig = match self.signature {
            Signature::Sign => ctx.key.sign_input(&input),
            // Valid only if `input` is still `original_input`.
            Signature::Keep => original_sig,
            Signature::Strip => String::new(),
            Signature::Flip if original_sig.is_empty() => "AAAA".into(),
            Signature::Flip => crate::jose::flip_middle(&original_sig),
            Signature::ForeignKey => ctx.foreign.sign_input(&input),
        };
        segs.push(sig);
        match &self.structure {
            Structure::Compact => segs.join("."),
            Structure::TwoSegments => format!("{}.{}", segs[0], segs[1]),
            Structure::FourSegments => format!("{}.{}", segs.join("."), segs[2]),
            Structure::FiveSegments => format!("{}.{}.{}", segs.join("."), segs[1], segs[2]),
            Structure::TrailingDot => format!("{}.", segs.join(".")),
            Structure::Concatenated => format!("{0}.{0}", segs.join(".")),
            Structure::Padding { segment } => {
                let i = (*segment as usize).min(2);
                segs[i].push_str("==");
                segs.join(".")
            }
            Structure::BadChar { segment, ch } => {
                let i = (*segment as usize).min(2);
                let mid = segs[i].len() / 2;
                let mut s = segs[i].clone();
                let mid = (0..=mid)
                    .rev()
                    .find(|m| s.is_char_boundary(*m))
                    .unwrap_or(0);
                s.insert(mid, *ch);
                segs[i] = s;
                segs.join(".")
            }
            Structure::Whitespace => format!(" {} ", segs.join(".")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzz::model::{Expectation, Reason};
    use crate::verdict::Level;

    /// What the model makes of a recipe, and its primary reason when invalid.
    fn judged(spec: &AssertionSpec) -> (Expectation, Option<(&'static str, Level)>) {
        let mut j = Judge::default();
        spec.judge(&mut j);
        let e = j.expectation();
        let primary = e.primary().map(|r| (r.requirement, r.level));
        (e, primary)
    }

    static FOREIGN: std::sync::LazyLock<HarnessIssuer> =
        std::sync::LazyLock::new(|| HarnessIssuer::from_seed("https://foreign.example".into(), 2));
    static KEY: std::sync::LazyLock<HarnessIssuer> =
        std::sync::LazyLock::new(|| HarnessIssuer::from_seed("https://harness.example".into(), 1));

    fn ctx() -> GrantContext<'static> {
        GrantContext {
            key: &KEY,
            foreign: &FOREIGN,
            harness_issuer: "https://harness.example",
            subject: "alice",
            as_b_issuer: "https://as-b.example",
            as_b_token_endpoint: "https://as-b.example/token",
            real: None,
            typ: None,
            client_id: None,
            now: 1_700_000_000,
            jti: "j1".into(),
        }
    }

    fn decode(seg: &str) -> String {
        String::from_utf8(crate::jose::unb64(seg).unwrap()).unwrap()
    }

    #[test]
    fn valid_recipe_is_a_verifiable_es256_jws() {
        let jws = AssertionSpec::valid().render(&ctx());
        let parts: Vec<&str> = jws.split('.').collect();
        assert_eq!(parts.len(), 3);
        assert!(decode(parts[0]).contains("\"alg\":\"ES256\""));
        assert!(decode(parts[1]).contains("\"aud\":\"https://as-b.example\""));
        assert!(crate::jose::verifies_with_jwks(&jws, &KEY.jwks()));
        assert_eq!(judged(&AssertionSpec::valid()).0, Expectation::Valid);
    }

    #[test]
    fn duplicate_claims_keep_both_members_in_order() {
        let spec = AssertionSpec {
            claims: ClaimsMutation::Duplicate {
                claim: Claim::Aud,
                last_valid: false,
            },
            ..AssertionSpec::valid()
        };
        let jws = spec.render(&ctx());
        let claims = decode(jws.split('.').nth(1).unwrap());
        let first = claims.find("\"aud\":\"https://as-b.example\"").unwrap();
        let second = claims
            .find("\"aud\":\"https://as-c.chainproof.invalid\"")
            .unwrap();
        assert!(first < second, "{claims}");
        assert_eq!(judged(&spec).1, Some(("IC-JB-03h", Level::Must)));
    }

    #[test]
    fn keep_signature_breaks_when_mutated() {
        let spec = AssertionSpec {
            claims: ClaimsMutation::SubUnmapped,
            signature: Signature::Keep,
            ..AssertionSpec::valid()
        };
        let jws = spec.render(&ctx());
        assert!(!crate::jose::verifies_with_jwks(&jws, &KEY.jwks()));
        assert_eq!(judged(&spec).1, Some(("IC-JB-03a", Level::Must)));
    }

    #[test]
    fn foreign_key_signs_with_its_own_kid_and_is_invalid() {
        let spec = AssertionSpec {
            signature: Signature::ForeignKey,
            ..AssertionSpec::valid()
        };
        let jws = spec.render(&ctx());
        let header = decode(jws.split('.').next().unwrap());
        assert!(
            header.contains(&format!("\"kid\":\"{}\"", FOREIGN.kid)),
            "{header}"
        );
        assert!(!crate::jose::verifies_with_jwks(&jws, &KEY.jwks()));
        assert!(crate::jose::verifies_with_jwks(&jws, &FOREIGN.jwks()));
        let only = Reason {
            requirement: "IC-JB-03d",
            level: Level::Must,
            why: "signed with a key the issuer does not publish".into(),
        };
        assert_eq!(judged(&spec).0, Expectation::Invalid(vec![only]));
        // A kid mutation stays: the harness's kid names a key that does not verify.
        let unknown = AssertionSpec {
            header: HeaderMutation::KidUnknown,
            ..spec
        };
        let header = decode(unknown.render(&ctx()).split('.').next().unwrap());
        assert!(header.contains("chainproof-unknown-kid"), "{header}");
    }

    #[test]
    fn structure_variants_change_segment_count() {
        let with = |structure| {
            AssertionSpec {
                structure,
                ..AssertionSpec::valid()
            }
            .render(&ctx())
        };
        assert_eq!(with(Structure::TwoSegments).split('.').count(), 2);
        assert_eq!(with(Structure::FourSegments).split('.').count(), 4);
        assert_eq!(with(Structure::FiveSegments).split('.').count(), 5);
        assert!(with(Structure::Padding { segment: 2 }).ends_with("=="));
    }

    #[test]
    fn real_grant_unmutated_is_ambiguous_replay() {
        let spec = AssertionSpec {
            base: GrantBase::Real,
            signature: Signature::Keep,
            ..AssertionSpec::valid()
        };
        assert!(matches!(judged(&spec).0, Expectation::Ambiguous(_)));
        let resigned = AssertionSpec {
            base: GrantBase::Real,
            ..AssertionSpec::valid()
        };
        assert_eq!(judged(&resigned).1, Some(("IC-JB-03d", Level::Must)));
    }
}

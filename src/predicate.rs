//! Predicates of checks (suites/README.md "Checks"): each compares a query's actual value
//! with an expected one and says, in words, what was expected. An outcome is a value.

use crate::suite::{JsonType, Predicate, Template};
use serde_json::Value;

/// Result of one predicate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Holds,
    Fails,
    /// Holds with a member of `one_of` outside `prefer`.
    Dispreferred,
}

/// `pred` with each operand's `${...}` interpolated by `f`, one call per operand (`one_of`'s
/// `allowed` and `prefer` separately), ready for [`evaluate`].
pub fn interpolated<E>(
    pred: &Predicate,
    mut f: impl FnMut(&Template) -> Result<Value, E>,
) -> Result<Predicate<Value>, E> {
    use Predicate::*;
    Ok(match pred {
        Equals(v) => Equals(f(v)?),
        NotEquals(v) => NotEquals(f(v)?),
        EqualsCi(v) => EqualsCi(f(v)?),
        Includes(v) => Includes(f(v)?),
        IncludesAny(v) => IncludesAny(f(v)?),
        Excludes(v) => Excludes(f(v)?),
        Substring(v) => Substring(f(v)?),
        AtMost(v) => AtMost(f(v)?),
        AtLeast(v) => AtLeast(f(v)?),
        HasDirective(v) => HasDirective(f(v)?),
        SubsetOf(v) => SubsetOf(f(v)?),
        OneOf { allowed, prefer } => OneOf {
            allowed: f(allowed)?,
            prefer: prefer.as_ref().map(&mut f).transpose()?,
        },
        Exists(b) => Exists(*b),
        Matches(re) => Matches(re.clone()),
        IsType(t) => IsType(*t),
        IsAbsoluteUri(b) => IsAbsoluteUri(*b),
        SingleValued(b) => SingleValued(*b),
    })
}

/// Evaluate a predicate whose operands are interpolated ([`interpolated`]).
pub fn evaluate(pred: &Predicate<Value>, actual: Option<&Value>) -> (Outcome, String) {
    use Outcome::*;
    let holds = |b: bool| if b { Holds } else { Fails };
    let a = actual.filter(|v| !v.is_null());
    match pred {
        Predicate::Equals(expected) => (holds(a == Some(expected)), format!("== {expected}")),
        Predicate::NotEquals(expected) => (holds(a != Some(expected)), format!("!= {expected}")),
        Predicate::EqualsCi(expected) => {
            let ok = matches!((a.and_then(Value::as_str), expected.as_str()), (Some(x), Some(y)) if x.eq_ignore_ascii_case(y));
            (holds(ok), format!("== {expected} (ASCII case-insensitive)"))
        }
        Predicate::OneOf { allowed, prefer } => {
            let allowed = allowed.as_array().cloned().unwrap_or_default();
            let prefer = prefer.as_ref().and_then(Value::as_array).cloned();
            let text = allowed
                .iter()
                .map(|m| {
                    let star = if prefer.as_ref().is_some_and(|p| p.contains(m)) {
                        "*"
                    } else {
                        ""
                    };
                    format!("{}{star}", display(m))
                })
                .collect::<Vec<_>>()
                .join(", ");
            let text = format!(
                "one of [{text}]{}",
                if prefer.is_some() {
                    " (* preferred)"
                } else {
                    ""
                }
            );
            match a {
                Some(v) if allowed.contains(v) => match &prefer {
                    Some(p) if !p.contains(v) => (Dispreferred, text),
                    _ => (Holds, text),
                },
                _ => (Fails, text),
            }
        }
        Predicate::Exists(want) => (
            holds(a.is_some() == *want),
            if *want {
                "present".into()
            } else {
                "absent".into()
            },
        ),
        Predicate::Includes(expected) => {
            (holds(includes(a, expected)), format!("includes {expected}"))
        }
        Predicate::IncludesAny(expected) => {
            let any = expected
                .as_array()
                .is_some_and(|l| l.iter().any(|e| includes(a, e)));
            (holds(any), format!("includes any of {expected}"))
        }
        // An array operand (a `${...}` naming an array, e.g. another token's aud) excludes each
        // of its members: `excludes = ["x"]` must not hold of an actual ["x"].
        Predicate::Excludes(expected) => {
            let excluded = match expected {
                Value::Array(items) => !items.iter().any(|e| includes(a, e)),
                one => !includes(a, one),
            };
            (holds(excluded), format!("excludes {expected}"))
        }
        Predicate::Substring(expected) => {
            let ok = matches!((a.and_then(Value::as_str), expected.as_str()), (Some(x), Some(y)) if x.contains(y));
            (holds(ok), format!("contains {expected}"))
        }
        Predicate::Matches(re) => (
            holds(a.and_then(Value::as_str).is_some_and(|s| re.is_match(s))),
            format!("matches /{}/", re.as_str()),
        ),
        Predicate::AtMost(expected) | Predicate::AtLeast(expected) => {
            let most = matches!(pred, Predicate::AtMost(_));
            let op = if most { "<=" } else { ">=" };
            let ok = match (a.and_then(Value::as_f64), expected.as_f64()) {
                (Some(x), Some(y)) => {
                    if most {
                        x <= y
                    } else {
                        x >= y
                    }
                }
                _ => false,
            };
            (holds(ok), format!("{op} {expected}"))
        }
        Predicate::IsType(t) => {
            let ok = match a {
                Some(v) => t.matches(v),
                None => *t == JsonType::Null && actual.is_some(),
            };
            (holds(ok), format!("of JSON type {}", t.name()))
        }
        Predicate::HasDirective(expected) => {
            let want = expected.as_str().unwrap_or_default();
            let ok = a
                .and_then(Value::as_str)
                .is_some_and(|h| has_directive(h, want));
            (holds(ok), format!("has directive {want}"))
        }
        Predicate::IsAbsoluteUri(want) => {
            let ok = a
                .and_then(Value::as_str)
                .is_some_and(|s| url::Url::parse(s).is_ok_and(|u| u.fragment().is_none()));
            (
                holds(ok == *want),
                if *want {
                    "an absolute URI without fragment".into()
                } else {
                    "not an absolute URI".into()
                },
            )
        }
        Predicate::SubsetOf(expected) => {
            let allowed = members(Some(expected)).unwrap_or_default();
            let ok = members(a).is_some_and(|m| m.iter().all(|x| allowed.contains(x)));
            (holds(ok), format!("a subset of {expected}"))
        }
        Predicate::SingleValued(want) => {
            let ok = match a {
                Some(Value::String(_)) => true,
                Some(Value::Array(l)) => l.len() == 1,
                _ => false,
            };
            (
                holds(ok == *want),
                if *want {
                    "a string or a one-element array".into()
                } else {
                    "multi-valued".into()
                },
            )
        }
    }
}

/// Whether a comma-separated header value (`Cache-Control`, `Pragma`) carries directive `want`:
/// a list, not a string compare (case-insensitive, arguments ignored; RFC 9111 §5.2).
pub fn has_directive(header: &str, want: &str) -> bool {
    header.split(',').any(|d| {
        d.trim()
            .split('=')
            .next()
            .unwrap_or_default()
            .trim()
            .eq_ignore_ascii_case(want)
    })
}

fn display(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The members of a set-valued value: an array's elements, or the words of a space-delimited
/// string (RFC 6749 §3.3); another scalar is a set of one; absent is no set at all.
fn members(v: Option<&Value>) -> Option<Vec<String>> {
    Some(match v? {
        Value::Array(items) => items.iter().map(display).collect(),
        Value::String(s) => s
            .split(' ')
            .filter(|w| !w.is_empty())
            .map(String::from)
            .collect(),
        other => vec![display(other)],
    })
}

/// Array contains V, or scalar equals V.
fn includes(actual: Option<&Value>, v: &Value) -> bool {
    match actual {
        Some(Value::Array(items)) => items.contains(v),
        Some(x) => x == v,
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use serde_json::json;

    fn ev(p: Predicate<Value>, actual: Option<Value>) -> Outcome {
        evaluate(&p, actual.as_ref()).0
    }

    #[rstest]
    #[case(Predicate::Equals(json!(400)), Some(json!(400)), Outcome::Holds)]
    #[case(Predicate::Equals(json!("400")), Some(json!(400)), Outcome::Fails)]
    #[case(Predicate::NotEquals(json!(200)), None, Outcome::Holds)]
    #[case(Predicate::EqualsCi(json!("n_a")), Some(json!("N_A")), Outcome::Holds)]
    #[case(Predicate::Exists(true), Some(Value::Null), Outcome::Fails)]
    #[case(Predicate::Exists(false), None, Outcome::Holds)]
    #[case(Predicate::Includes(json!("b")), Some(json!(["a", "b"])), Outcome::Holds)]
    #[case(Predicate::Includes(json!("b")), Some(json!("b")), Outcome::Holds)]
    #[case(Predicate::IncludesAny(json!(["x", "a"])), Some(json!(["a"])), Outcome::Holds)]
    #[case(Predicate::Excludes(json!("admin")), Some(json!(["read"])), Outcome::Holds)]
    #[case(Predicate::Excludes(json!(["api-a"])), Some(json!(["api-a"])), Outcome::Fails)]
    #[case(Predicate::Excludes(json!(["api-a", "x"])), Some(json!("api-a")), Outcome::Fails)]
    #[case(Predicate::Excludes(json!(["api-a"])), Some(json!(["https://b"])), Outcome::Holds)]
    #[case(Predicate::SubsetOf(json!("read write")), Some(json!("write read")), Outcome::Holds)]
    #[case(Predicate::SubsetOf(json!("read write")), Some(json!("read")), Outcome::Holds)]
    #[case(Predicate::SubsetOf(json!("read write")), Some(json!("read admin")), Outcome::Fails)]
    #[case(Predicate::SubsetOf(json!(["https://b", "https://c"])), Some(json!("https://b")), Outcome::Holds)]
    #[case(Predicate::SubsetOf(json!(["https://b"])), Some(json!(["https://b", "https://d"])), Outcome::Fails)]
    #[case(Predicate::SubsetOf(json!("read")), None, Outcome::Fails)]
    #[case(Predicate::Substring(json!("store")), Some(json!("no-store")), Outcome::Holds)]
    #[case(Predicate::Matches(regex::Regex::new("^ey").unwrap()), Some(json!("eyJ")), Outcome::Holds)]
    #[case(Predicate::AtMost(json!(300)), Some(json!(60)), Outcome::Holds)]
    #[case(Predicate::AtLeast(json!(300)), Some(json!(60)), Outcome::Fails)]
    #[case(Predicate::AtMost(json!(300)), Some(json!("60")), Outcome::Fails)]
    #[case(Predicate::IsType(JsonType::Integer), Some(json!(3.5)), Outcome::Fails)]
    #[case(Predicate::IsType(JsonType::Number), Some(json!(3.5)), Outcome::Holds)]
    #[case(Predicate::HasDirective(json!("no-store")), Some(json!("no-cache, No-Store")), Outcome::Holds)]
    #[case(Predicate::HasDirective(json!("no-store")), Some(json!("no-stored")), Outcome::Fails)]
    #[case(Predicate::IsAbsoluteUri(true), Some(json!("https://a/b#f")), Outcome::Fails)]
    #[case(Predicate::IsAbsoluteUri(true), Some(json!("https://a/b")), Outcome::Holds)]
    #[case(Predicate::SingleValued(true), Some(json!(["a", "b"])), Outcome::Fails)]
    #[case(Predicate::SingleValued(true), Some(json!(["a"])), Outcome::Holds)]
    fn predicates(
        #[case] p: Predicate<Value>,
        #[case] actual: Option<Value>,
        #[case] want: Outcome,
    ) {
        assert_eq!(ev(p, actual), want);
    }

    #[test]
    fn one_of_with_prefer_warns_on_other_member() {
        let p = Predicate::OneOf {
            allowed: json!(["invalid_target", "invalid_request"]),
            prefer: Some(json!(["invalid_target"])),
        };
        assert_eq!(ev(p.clone(), Some(json!("invalid_target"))), Outcome::Holds);
        assert_eq!(
            ev(p.clone(), Some(json!("invalid_request"))),
            Outcome::Dispreferred
        );
        assert_eq!(ev(p.clone(), Some(json!("invalid_grant"))), Outcome::Fails);
        let (_, text) = evaluate(&p, None);
        assert_eq!(
            text,
            "one of [invalid_target*, invalid_request] (* preferred)"
        );
    }

    #[test]
    fn operands_are_interpolated_one_by_one() {
        let t = |v: Value| Template::parse(&v).unwrap();
        let p = Predicate::OneOf {
            allowed: t(json!(["${x}", "b"])),
            prefer: Some(t(json!(["${x}"]))),
        };
        let mut calls = 0;
        let q = interpolated(&p, |t| {
            calls += 1;
            t.substitute(&mut |_| Some(json!("a")))
        })
        .unwrap();
        assert_eq!(calls, 2);
        let Predicate::OneOf { allowed, prefer } = q else {
            panic!()
        };
        // Substituted as values: no JSON text in between.
        assert_eq!(allowed, json!(["a", "b"]));
        assert_eq!(prefer, Some(json!(["a"])));
        assert!(interpolated(&Predicate::Exists(true), |_| Err(())).is_ok());
    }
}

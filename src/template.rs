//! `${...}` interpolation in suite values (suites/README.md "Interpolation"), parsed once when
//! the suite loads into a typed [`Template`]: literal parts and typed references ([`Ref`]: a
//! [`Query`] or `now±N`). A string that is exactly one `${ref}` keeps the JSON type of what it
//! names; `${now±N}` is Unix time. Evaluation only substitutes ([`Template::substitute`]).

use crate::query::Query;
use serde_json::Value;
use std::fmt;

/// What a `${...}` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ref {
    /// `${now}`, `${now+N}`, `${now-N}`: Unix time plus N seconds.
    Now(i64),
    /// A query path over the case's context (a step output, `target.*`, `keys.*`).
    Path(Query),
}

impl fmt::Display for Ref {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Ref::Now(0) => f.write_str("now"),
            Ref::Now(n) if *n > 0 => write!(f, "now+{n}"),
            Ref::Now(n) => write!(f, "now{n}"),
            Ref::Path(q) => q.fmt(f),
        }
    }
}

/// A piece of a string that mixes text and references.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    Lit(String),
    Ref(Ref),
}

/// A suite value whose strings may hold `${...}`, parsed when the suite loads.
#[derive(Debug, Clone, PartialEq)]
pub enum Template {
    /// A value with no reference anywhere in it: substituted as it is.
    Value(Value),
    /// A string that is exactly one `${ref}`: the named value, of whatever JSON type.
    Ref(Ref),
    /// A string of text and references: always a string.
    Text(Vec<Piece>),
    /// An array with a reference somewhere inside.
    Array(Vec<Template>),
    /// A table with a reference somewhere inside (entries in their written order).
    Object(Vec<(String, Template)>),
}

/// Why a string is not a valid template; the suite parser positions it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("unclosed `${{` in {0:?}")]
    Unclosed(String),
    #[error("empty `${{}}`")]
    Empty,
    #[error("invalid character {0:?} in `${{{1}}}`")]
    BadChar(char, String),
    #[error("`${{{0}}}` has an empty path segment")]
    EmptySegment(String),
}

impl TemplateError {
    /// What to write instead (the diagnostic's label).
    pub fn hint(&self) -> &'static str {
        match self {
            TemplateError::Unclosed(_) => "close the reference with `}`: `${step.path}`",
            TemplateError::Empty => "name a value: `${step.path}`",
            TemplateError::BadChar(..) => {
                "a path holds letters, digits and `_-.+#`, e.g. `${step.json.member}`"
            }
            TemplateError::EmptySegment(_) => {
                "separate names by single dots, e.g. `${step.token.jwt.claims.sub}`"
            }
        }
    }
}

/// A reference that named nothing (or `null`) when substituted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unresolved ${{{0}}}")]
pub struct Unresolved(pub Ref);

impl Template {
    /// Parse one string: literal text and `${...}` references.
    pub fn parse_str(s: &str) -> Result<Template, TemplateError> {
        let mut pieces = Vec::new();
        let mut rest = s;
        while let Some(start) = rest.find("${") {
            if start > 0 {
                pieces.push(Piece::Lit(rest[..start].to_string()));
            }
            let after = &rest[start + 2..];
            let end = after
                .find('}')
                .ok_or_else(|| TemplateError::Unclosed(s.to_string()))?;
            pieces.push(Piece::Ref(parse_ref(after[..end].trim())?));
            rest = &after[end + 1..];
        }
        if !rest.is_empty() {
            pieces.push(Piece::Lit(rest.to_string()));
        }
        Ok(match pieces.as_slice() {
            [] => Template::Value(Value::String(String::new())),
            [Piece::Lit(_)] => Template::Value(Value::String(s.to_string())),
            [Piece::Ref(_)] => match pieces.pop() {
                Some(Piece::Ref(r)) => Template::Ref(r),
                _ => unreachable!("matched one reference"),
            },
            _ => Template::Text(pieces),
        })
    }

    /// Parse every string inside a JSON value (unpositioned; the suite parser walks its own
    /// tree to position errors, see `suite::parse`).
    pub fn parse(value: &Value) -> Result<Template, TemplateError> {
        Ok(match value {
            Value::String(s) => Template::parse_str(s)?,
            Value::Array(items) => Template::array(
                items
                    .iter()
                    .map(Template::parse)
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(map) => Template::object(
                map.iter()
                    .map(|(k, v)| Ok((k.clone(), Template::parse(v)?)))
                    .collect::<Result<_, TemplateError>>()?,
            ),
            other => Template::Value(other.clone()),
        })
    }

    /// An array of parsed members: a plain value when none holds a reference.
    pub fn array(items: Vec<Template>) -> Template {
        if items.iter().all(|t| matches!(t, Template::Value(_))) {
            Template::Value(Value::Array(
                items.into_iter().map(Template::into_literal).collect(),
            ))
        } else {
            Template::Array(items)
        }
    }

    /// A table of parsed entries: a plain value when none holds a reference.
    pub fn object(entries: Vec<(String, Template)>) -> Template {
        if entries.iter().all(|(_, t)| matches!(t, Template::Value(_))) {
            Template::Value(Value::Object(
                entries
                    .into_iter()
                    .map(|(k, t)| (k, t.into_literal()))
                    .collect(),
            ))
        } else {
            Template::Object(entries)
        }
    }

    fn into_literal(self) -> Value {
        match self {
            Template::Value(v) => v,
            _ => unreachable!("only called on literals"),
        }
    }

    /// Every reference inside, in written order.
    pub fn refs(&self) -> Vec<&Ref> {
        let mut out = Vec::new();
        self.collect_refs(&mut out);
        out
    }

    fn collect_refs<'a>(&'a self, out: &mut Vec<&'a Ref>) {
        match self {
            Template::Value(_) => {}
            Template::Ref(r) => out.push(r),
            Template::Text(pieces) => out.extend(pieces.iter().filter_map(|p| match p {
                Piece::Ref(r) => Some(r),
                Piece::Lit(_) => None,
            })),
            Template::Array(items) => items.iter().for_each(|t| t.collect_refs(out)),
            Template::Object(entries) => entries.iter().for_each(|(_, t)| t.collect_refs(out)),
        }
    }

    /// The value as written in the suite file (references back in `${...}`).
    pub fn to_json(&self) -> Value {
        match self {
            Template::Value(v) => v.clone(),
            Template::Ref(r) => Value::String(format!("${{{r}}}")),
            Template::Text(pieces) => Value::String(
                pieces
                    .iter()
                    .map(|p| match p {
                        Piece::Lit(t) => t.clone(),
                        Piece::Ref(r) => format!("${{{r}}}"),
                    })
                    .collect(),
            ),
            Template::Array(items) => Value::Array(items.iter().map(Template::to_json).collect()),
            Template::Object(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, t)| (k.clone(), t.to_json()))
                    .collect(),
            ),
        }
    }

    /// The value with every reference replaced by what `resolve` gives for it. A reference
    /// that resolves to nothing or `null` makes the whole substitution fail.
    pub fn substitute(
        &self,
        resolve: &mut dyn FnMut(&Ref) -> Option<Value>,
    ) -> Result<Value, Unresolved> {
        let mut get = |r: &Ref| match resolve(r) {
            Some(Value::Null) | None => Err(Unresolved(r.clone())),
            Some(v) => Ok(v),
        };
        self.substitute_with(&mut get)
    }

    fn substitute_with(
        &self,
        get: &mut dyn FnMut(&Ref) -> Result<Value, Unresolved>,
    ) -> Result<Value, Unresolved> {
        Ok(match self {
            Template::Value(v) => v.clone(),
            Template::Ref(r) => get(r)?,
            Template::Text(pieces) => {
                let mut out = String::new();
                for p in pieces {
                    match p {
                        Piece::Lit(t) => out.push_str(t),
                        Piece::Ref(r) => match get(r)? {
                            Value::String(v) => out.push_str(&v),
                            other => out.push_str(&other.to_string()),
                        },
                    }
                }
                Value::String(out)
            }
            Template::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|t| t.substitute_with(get))
                    .collect::<Result<_, _>>()?,
            ),
            Template::Object(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, t)| Ok((k.clone(), t.substitute_with(get)?)))
                    .collect::<Result<_, Unresolved>>()?,
            ),
        })
    }
}

/// The text between `${` and `}`: `now±N` or a query path.
fn parse_ref(path: &str) -> Result<Ref, TemplateError> {
    if path.is_empty() {
        return Err(TemplateError::Empty);
    }
    if let Some(c) = path
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "_-.+#".contains(*c)))
    {
        return Err(TemplateError::BadChar(c, path.to_string()));
    }
    if let Some(n) = now_offset(path) {
        return Ok(Ref::Now(n));
    }
    // The characters above leave no way to write a template inside a path, so only an empty
    // segment makes it malformed.
    path.parse::<Query>()
        .map(Ref::Path)
        .map_err(|_| TemplateError::EmptySegment(path.to_string()))
}

/// `now`, `now+N`, `now-N` → the offset N in seconds.
fn now_offset(path: &str) -> Option<i64> {
    let rest = path.strip_prefix("now")?;
    if rest.is_empty() {
        return Some(0);
    }
    let (sign, digits) = match rest.as_bytes()[0] {
        b'+' => (1, &rest[1..]),
        b'-' => (-1, &rest[1..]),
        _ => return None,
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<i64>().ok().map(|n| sign * n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use serde_json::json;

    fn resolver(r: &Ref) -> Option<Value> {
        match r {
            Ref::Now(n) => Some(json!(1000 + n)),
            Ref::Path(q) => match q.to_string().as_str() {
                "x.status" => Some(json!(400)),
                "t.aud" => Some(json!(["a", "b"])),
                "s" => Some(json!("str")),
                "n" => Some(Value::Null),
                _ => None,
            },
        }
    }

    fn sub(v: Value) -> Result<Value, Unresolved> {
        Template::parse(&v).unwrap().substitute(&mut resolver)
    }

    fn path(p: &str) -> Ref {
        Ref::Path(p.parse().unwrap())
    }

    #[rstest]
    #[case("${x.status}", json!(400))]
    #[case("${t.aud}", json!(["a", "b"]))]
    #[case("${now+600}", json!(1600))]
    #[case("${now-5}", json!(995))]
    #[case("${ now }", json!(1000))]
    fn whole_string_keeps_type(#[case] text: &str, #[case] want: Value) {
        assert_eq!(sub(json!(text)).unwrap(), want);
    }

    #[test]
    fn embedded_refs_become_text() {
        assert_eq!(
            sub(json!("a ${s} ${x.status}/")).unwrap(),
            json!("a str 400/")
        );
        assert_eq!(sub(json!({"k": ["${s}"]})).unwrap(), json!({"k": ["str"]}));
    }

    #[test]
    fn parsed_once_into_typed_parts() {
        assert_eq!(
            Template::parse_str("a ${s.token} ${now-5}").unwrap(),
            Template::Text(vec![
                Piece::Lit("a ".into()),
                Piece::Ref(path("s.token")),
                Piece::Lit(" ".into()),
                Piece::Ref(Ref::Now(-5)),
            ])
        );
        assert_eq!(
            Template::parse_str("${keys.k.jkt}").unwrap(),
            Template::Ref(path("keys.k.jkt"))
        );
        // A value without references stays a plain value, however deep.
        let plain = json!({"a": [1, "x", {"b": true}]});
        assert_eq!(Template::parse(&plain).unwrap(), Template::Value(plain));
        let mixed = Template::parse(&json!({"a": 1, "b": ["${s}"]})).unwrap();
        assert_eq!(mixed.refs(), vec![&path("s")]);
        // `nowhere` is a path, not a time.
        assert_eq!(
            Template::parse_str("${nowhere}").unwrap(),
            Template::Ref(path("nowhere"))
        );
    }

    #[rstest]
    #[case("${open", TemplateError::Unclosed("${open".into()))]
    #[case("x ${}", TemplateError::Empty)]
    #[case("${a b}", TemplateError::BadChar(' ', "a b".into()))]
    #[case("${a..b}", TemplateError::EmptySegment("a..b".into()))]
    #[case("${.a}", TemplateError::EmptySegment(".a".into()))]
    fn bad_templates_fail_to_parse(#[case] text: &str, #[case] want: TemplateError) {
        assert_eq!(Template::parse_str(text).unwrap_err(), want);
    }

    #[test]
    fn unresolved_is_an_error_not_empty() {
        assert_eq!(
            sub(json!("x${nope}")).unwrap_err().to_string(),
            "unresolved ${nope}"
        );
        assert_eq!(sub(json!("${n}")).unwrap_err(), Unresolved(path("n")));
        assert_eq!(Unresolved(Ref::Now(-5)).to_string(), "unresolved ${now-5}");
    }

    proptest::proptest! {
        /// Text without `${` is returned unchanged; any text never panics; whatever parses
        /// prints back to text that parses to the same template.
        #[test]
        fn literal_text_is_identity(s in "[^$]{0,80}", any in "\\PC{0,80}") {
            proptest::prop_assert_eq!(sub(json!(s.clone())).unwrap(), json!(s));
            if let Ok(t) = Template::parse_str(&any) {
                let _ = t.substitute(&mut resolver);
                proptest::prop_assert_eq!(Template::parse(&t.to_json()).unwrap(), t);
            }
        }
    }
}

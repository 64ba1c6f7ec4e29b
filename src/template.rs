//! `${path}` interpolation in suite values (suites/README.md "Interpolation"): a string that
//! is exactly one `${path}` keeps the JSON type of what it names; `${now±N}` is Unix time.

use serde_json::Value;

/// A piece of a template string.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece<'a> {
    Lit(&'a str),
    Ref(&'a str),
}

/// Split a string into literal text and `${...}` references.
pub fn pieces(s: &str) -> Result<Vec<Piece<'_>>, String> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(start) = rest.find("${") {
        if start > 0 {
            out.push(Piece::Lit(&rest[..start]));
        }
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| format!("unclosed `${{` in {s:?}"))?;
        let path = after[..end].trim();
        if path.is_empty() {
            return Err("empty `${}`".into());
        }
        if let Some(c) = path
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || "_-.+#".contains(*c)))
        {
            return Err(format!("invalid character {c:?} in `${{{path}}}`"));
        }
        out.push(Piece::Ref(path));
        rest = &after[end + 1..];
    }
    if !rest.is_empty() {
        out.push(Piece::Lit(rest));
    }
    Ok(out)
}

/// The references in a string.
pub fn refs(s: &str) -> Result<Vec<&str>, String> {
    Ok(pieces(s)?
        .into_iter()
        .filter_map(|p| if let Piece::Ref(r) = p { Some(r) } else { None })
        .collect())
}

/// `now`, `now+N`, `now-N` → the offset N in seconds.
pub fn now_offset(path: &str) -> Option<i64> {
    let rest = path.strip_prefix("now")?;
    if rest.is_empty() {
        return Some(0);
    }
    let (sign, digits) = match rest.as_bytes()[0] {
        b'+' => (1, &rest[1..]),
        b'-' => (-1, &rest[1..]),
        _ => return None,
    };
    digits.parse::<i64>().ok().map(|n| sign * n)
}

/// Replace every `${...}` in `value` (recursively through arrays and objects).
/// `resolve` returns the value a path names; `None` makes the whole interpolation fail with
/// `unresolved ${path}`.
pub fn interpolate(
    value: &Value,
    resolve: &mut dyn FnMut(&str) -> Option<Value>,
) -> Result<Value, String> {
    Ok(match value {
        Value::String(s) => interpolate_str(s, resolve)?,
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| interpolate(v, resolve))
                .collect::<Result<_, _>>()?,
        ),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), interpolate(v, resolve)?)))
                .collect::<Result<_, String>>()?,
        ),
        other => other.clone(),
    })
}

fn interpolate_str(
    s: &str,
    resolve: &mut dyn FnMut(&str) -> Option<Value>,
) -> Result<Value, String> {
    let pieces = pieces(s)?;
    let mut get = |path: &str| -> Result<Value, String> {
        match resolve(path) {
            Some(Value::Null) | None => Err(format!("unresolved ${{{path}}}")),
            Some(v) => Ok(v),
        }
    };
    if let [Piece::Ref(path)] = pieces.as_slice() {
        return get(path);
    }
    let mut out = String::new();
    for p in pieces {
        match p {
            Piece::Lit(t) => out.push_str(t),
            Piece::Ref(path) => match get(path)? {
                Value::String(v) => out.push_str(&v),
                other => out.push_str(&other.to_string()),
            },
        }
    }
    Ok(Value::String(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn resolver(path: &str) -> Option<Value> {
        match path {
            "x.status" => Some(json!(400)),
            "t.aud" => Some(json!(["a", "b"])),
            "s" => Some(json!("str")),
            p => now_offset(p).map(|n| json!(1000 + n)),
        }
    }

    #[test]
    fn whole_string_keeps_type() {
        assert_eq!(
            interpolate(&json!("${x.status}"), &mut resolver).unwrap(),
            json!(400)
        );
        assert_eq!(
            interpolate(&json!("${t.aud}"), &mut resolver).unwrap(),
            json!(["a", "b"])
        );
        assert_eq!(
            interpolate(&json!("${now+600}"), &mut resolver).unwrap(),
            json!(1600)
        );
        assert_eq!(
            interpolate(&json!("${now-5}"), &mut resolver).unwrap(),
            json!(995)
        );
    }

    #[test]
    fn embedded_refs_become_text() {
        assert_eq!(
            interpolate(&json!("a ${s} ${x.status}/"), &mut resolver).unwrap(),
            json!("a str 400/")
        );
        assert_eq!(
            interpolate(&json!({"k": ["${s}"]}), &mut resolver).unwrap(),
            json!({"k": ["str"]})
        );
    }

    #[test]
    fn unresolved_is_an_error_not_empty() {
        assert_eq!(
            interpolate(&json!("x${nope}"), &mut resolver).unwrap_err(),
            "unresolved ${nope}"
        );
        assert!(pieces("${open").is_err());
        assert!(pieces("${a b}").is_err());
        assert_eq!(now_offset("nowhere"), None);
    }

    proptest::proptest! {
        /// Text without `${` is returned unchanged; any text never panics.
        #[test]
        fn literal_text_is_identity(s in "[^$]{0,80}", any in "\\PC{0,80}") {
            proptest::prop_assert_eq!(interpolate(&json!(s.clone()), &mut resolver).unwrap(), json!(s));
            let _ = interpolate(&json!(any), &mut resolver);
        }
    }
}

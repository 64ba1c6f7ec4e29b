//! An owned TOML tree where every key and value keeps its byte span, and a reader that
//! takes known keys one by one and reports the rest as unknown (with a "did you mean").
//!
//! Suite files are read through this instead of serde because actions choose which keys
//! are valid, and every error must point at the exact key or value.

use crate::diagnostic::{Diagnostic, SourceFile, closest};
use std::ops::Range;
use toml::de::{DeTable, DeValue};

/// A key with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    pub name: String,
    pub span: Range<usize>,
}

/// A TOML value with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub span: Range<usize>,
    pub value: NodeValue,
}

#[derive(Debug, Clone, PartialEq)]
pub enum NodeValue {
    Str(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Datetime(String),
    Array(Vec<Node>),
    Table(Vec<(Key, Node)>),
}

impl Node {
    /// Parse a whole document; syntax errors come back positioned.
    pub fn parse_document(file: &SourceFile) -> Result<Node, Diagnostic> {
        let doc = DeTable::parse(&file.text).map_err(|e| Diagnostic::from_toml(file, &e))?;
        let span = doc.span();
        Ok(Node {
            span,
            value: NodeValue::Table(convert_table(doc.get_ref())),
        })
    }

    pub fn type_name(&self) -> &'static str {
        match self.value {
            NodeValue::Str(_) => "string",
            NodeValue::Int(_) => "integer",
            NodeValue::Float(_) => "float",
            NodeValue::Bool(_) => "boolean",
            NodeValue::Datetime(_) => "datetime",
            NodeValue::Array(_) => "array",
            NodeValue::Table(_) => "table",
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            NodeValue::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The value as JSON (strings unchanged, so `${...}` stays for later interpolation).
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match &self.value {
            NodeValue::Str(s) => Value::String(s.clone()),
            NodeValue::Int(i) => Value::from(*i),
            NodeValue::Float(f) => {
                serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number)
            }
            NodeValue::Bool(b) => Value::Bool(*b),
            NodeValue::Datetime(d) => Value::String(d.clone()),
            NodeValue::Array(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            NodeValue::Table(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.name.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

fn convert_table(table: &DeTable<'_>) -> Vec<(Key, Node)> {
    table
        .iter()
        .map(|(k, v)| {
            (
                Key {
                    name: k.get_ref().to_string(),
                    span: k.span(),
                },
                convert(v),
            )
        })
        .collect()
}

fn convert(v: &toml::Spanned<DeValue<'_>>) -> Node {
    let span = v.span();
    let value = match v.get_ref() {
        DeValue::String(s) => NodeValue::Str(s.to_string()),
        DeValue::Integer(i) => match i64::from_str_radix(&i.as_str().replace('_', ""), i.radix()) {
            Ok(n) => NodeValue::Int(n),
            Err(_) => NodeValue::Str(i.as_str().to_string()),
        },
        DeValue::Float(f) => {
            NodeValue::Float(f.as_str().replace('_', "").parse().unwrap_or(f64::NAN))
        }
        DeValue::Boolean(b) => NodeValue::Bool(*b),
        DeValue::Datetime(d) => NodeValue::Datetime(d.to_string()),
        DeValue::Array(a) => NodeValue::Array(a.iter().map(convert).collect()),
        DeValue::Table(t) => NodeValue::Table(convert_table(t)),
    };
    Node { span, value }
}

/// Reads the keys of one table: each `take`/typed getter marks a key as known; `finish`
/// reports the first key nobody asked for.
pub struct Fields<'a> {
    pub file: &'a SourceFile,
    pub span: Range<usize>,
    entries: &'a [(Key, Node)],
    used: Vec<bool>,
    known: Vec<&'static str>,
    /// What this table is, for messages: "step `x` (action `exchange`)".
    pub what: String,
}

type R<T> = Result<T, Diagnostic>;
/// A string value with its span.
pub type SpannedStr = (String, Range<usize>);

impl<'a> Fields<'a> {
    /// A reader over `node`, which must be a table.
    pub fn new(file: &'a SourceFile, node: &'a Node, what: impl Into<String>) -> R<Fields<'a>> {
        let what = what.into();
        match &node.value {
            NodeValue::Table(entries) => Ok(Fields {
                file,
                span: node.span.clone(),
                entries,
                used: vec![false; entries.len()],
                known: Vec::new(),
                what,
            }),
            _ => Err(file.error(
                node.span.clone(),
                format!("{what} must be a table, found {}", node.type_name()),
                "expected a table",
            )),
        }
    }

    /// Mark a key as valid here and return its value if present.
    pub fn take(&mut self, name: &'static str) -> Option<&'a Node> {
        if !self.known.contains(&name) {
            self.known.push(name);
        }
        let entries = self.entries;
        let i = entries.iter().position(|(k, _)| k.name == name)?;
        self.used[i] = true;
        Some(&entries[i].1)
    }

    /// Span of a key (for errors about the key itself).
    pub fn key_span(&self, name: &str) -> Option<Range<usize>> {
        self.entries
            .iter()
            .find(|(k, _)| k.name == name)
            .map(|(k, _)| k.span.clone())
    }

    /// Whether a key is present (does not mark it as known).
    pub fn has(&self, name: &str) -> bool {
        self.entries.iter().any(|(k, _)| k.name == name)
    }

    pub fn type_error(&self, name: &str, node: &Node, expected: &str) -> Diagnostic {
        self.file.error(
            node.span.clone(),
            format!(
                "`{name}` in {} must be {expected}, found {}",
                self.what,
                node.type_name()
            ),
            format!("expected {expected}"),
        )
    }

    pub fn missing(&self, name: &str) -> Diagnostic {
        self.file.error(
            self.span.clone(),
            format!("{} is missing the required key `{name}`", self.what),
            format!("add `{name} = ...`"),
        )
    }

    pub fn str(&mut self, name: &'static str) -> R<Option<(String, Range<usize>)>> {
        match self.take(name) {
            None => Ok(None),
            Some(n) => match &n.value {
                NodeValue::Str(s) => Ok(Some((s.clone(), n.span.clone()))),
                _ => Err(self.type_error(name, n, "a string")),
            },
        }
    }

    pub fn req_str(&mut self, name: &'static str) -> R<(String, Range<usize>)> {
        self.str(name)?.ok_or_else(|| self.missing(name))
    }

    pub fn bool(&mut self, name: &'static str) -> R<Option<bool>> {
        match self.take(name) {
            None => Ok(None),
            Some(n) => match n.value {
                NodeValue::Bool(b) => Ok(Some(b)),
                _ => Err(self.type_error(name, n, "a boolean")),
            },
        }
    }

    /// A non-negative integer within `max`.
    pub fn uint(&mut self, name: &'static str, max: u64) -> R<Option<u64>> {
        match self.take(name) {
            None => Ok(None),
            Some(n) => match n.value {
                NodeValue::Int(i) if i >= 0 && (i as u64) <= max => Ok(Some(i as u64)),
                NodeValue::Int(_) => Err(self.file.error(
                    n.span.clone(),
                    format!("`{name}` in {} is out of range", self.what),
                    format!("expected 0..={max}"),
                )),
                _ => Err(self.type_error(name, n, "an integer")),
            },
        }
    }

    /// One of a fixed set of strings.
    pub fn choice(
        &mut self,
        name: &'static str,
        allowed: &[&'static str],
    ) -> R<Option<(&'static str, Range<usize>)>> {
        let Some((s, span)) = self.str(name)? else {
            return Ok(None);
        };
        match allowed.iter().find(|a| **a == s) {
            Some(a) => Ok(Some((a, span))),
            None => {
                let hint = closest(&s, allowed.iter().copied())
                    .map(|c| format!("did you mean `{c}`? "))
                    .unwrap_or_default();
                Err(self.file.error(
                    span,
                    format!("invalid `{name}` `{s}` in {}", self.what),
                    format!("{hint}expected one of: {}", allowed.join(", ")),
                ))
            }
        }
    }

    /// An array of strings.
    pub fn str_list(&mut self, name: &'static str) -> R<Option<Vec<SpannedStr>>> {
        let Some(n) = self.take(name) else {
            return Ok(None);
        };
        let NodeValue::Array(items) = &n.value else {
            return Err(self.type_error(name, n, "an array of strings"));
        };
        items
            .iter()
            .map(|i| match &i.value {
                NodeValue::Str(s) => Ok((s.clone(), i.span.clone())),
                _ => Err(self.type_error(name, i, "a string (array element)")),
            })
            .collect::<R<Vec<_>>>()
            .map(Some)
    }

    /// A table (returned as its node).
    pub fn table(&mut self, name: &'static str) -> R<Option<&'a Node>> {
        match self.take(name) {
            None => Ok(None),
            Some(n) if matches!(n.value, NodeValue::Table(_)) => Ok(Some(n)),
            Some(n) => Err(self.type_error(name, n, "a table")),
        }
    }

    /// A table, or a non-empty array of tables (`name = [{ .. }, { .. }]`): one or several
    /// of a thing, written the short way when there is one.
    pub fn table_or_tables(&mut self, name: &'static str) -> R<Vec<&'a Node>> {
        let expected = "a table or an array of tables";
        match self.take(name) {
            None => Ok(Vec::new()),
            Some(n) => match &n.value {
                NodeValue::Table(_) => Ok(vec![n]),
                NodeValue::Array(items) if items.is_empty() => Err(self.type_error(
                    name,
                    n,
                    "a table or a non-empty array of tables (leave it out for none)",
                )),
                NodeValue::Array(items) => items
                    .iter()
                    .map(|i| match i.value {
                        NodeValue::Table(_) => Ok(i),
                        _ => Err(self.type_error(name, i, expected)),
                    })
                    .collect(),
                _ => Err(self.type_error(name, n, expected)),
            },
        }
    }

    /// An array of tables (`[[name]]`).
    pub fn tables(&mut self, name: &'static str) -> R<Vec<&'a Node>> {
        match self.take(name) {
            None => Ok(Vec::new()),
            Some(n) => match &n.value {
                NodeValue::Array(items) => items
                    .iter()
                    .map(|i| match i.value {
                        NodeValue::Table(_) => Ok(i),
                        _ => Err(self.type_error(name, i, "a table (write `[[...]]`)")),
                    })
                    .collect(),
                _ => Err(self.type_error(name, n, "an array of tables (write `[[...]]`)")),
            },
        }
    }

    /// Keys of this table that nobody has asked for yet, in source order.
    pub fn unknown_keys(&self) -> Vec<&'a Key> {
        let entries = self.entries;
        entries
            .iter()
            .zip(&self.used)
            .filter(|(_, used)| !**used)
            .map(|((k, _), _)| k)
            .collect()
    }

    /// Fail on the first unknown key, naming the valid ones.
    pub fn finish(self) -> R<()> {
        if let Some(key) = self.unknown_keys().first() {
            let hint = closest(&key.name, self.known.iter().copied())
                .map(|c| format!("did you mean `{c}`? "))
                .unwrap_or_default();
            let mut known = self.known.clone();
            known.sort_unstable();
            return Err(self.file.error(
                key.span.clone(),
                format!("unknown key `{}` in {}", key.name, self.what),
                format!("{hint}expected one of: {}", known.join(", ")),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(text: &str) -> (SourceFile, Node) {
        let f = SourceFile::new("t.toml", text);
        let n = Node::parse_document(&f).unwrap();
        (f, n)
    }

    #[test]
    fn spans_point_at_keys_and_values() {
        let (f, n) = doc("a = 1\nb = \"x\"\n");
        let mut fields = Fields::new(&f, &n, "table").unwrap();
        let (s, span) = fields.req_str("b").unwrap();
        assert_eq!(s, "x");
        assert_eq!(f.line_col(span.start), (2, 5));
        let err = fields.finish().unwrap_err();
        assert_eq!(err.position(), Some((1, 1)));
        assert!(err.message.contains("unknown key `a`"));
    }

    #[test]
    fn wrong_type_names_the_key() {
        let (f, n) = doc("n = \"three\"\n");
        let mut fields = Fields::new(&f, &n, "case `c`").unwrap();
        let err = fields.uint("n", 10).unwrap_err();
        assert!(
            err.message
                .contains("`n` in case `c` must be an integer, found string"),
            "{err}"
        );
    }

    #[test]
    fn syntax_errors_are_positioned() {
        let f = SourceFile::new("t.toml", "a = \n");
        let err = Node::parse_document(&f).unwrap_err();
        assert!(err.position().is_some(), "{err}");
    }
}

//! Expected (known) failures: a TOML list, given with `--expect FILE`, of cases whose failure
//! is acknowledged and must not fail the gate; a listed case that no longer fails is stale.
//!
//! ```toml
//! [[expect]]
//! case = "aud-restrictions/grant-aud-single"   # suite/case
//! reason = "vendor ticket 1234: aud is an array until release 5.2"
//! verdict = "warn"                              # optional: the worst verdict accepted
//! ```

use super::input_error::InputError;
use crate::verdict::Verdict;
use serde::{Deserialize, Serialize};
use std::path::Path;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectFile {
    #[serde(default)]
    expect: Vec<RawExpectation>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExpectation {
    case: Spanned<String>,
    reason: Spanned<String>,
    #[serde(default)]
    verdict: Option<Spanned<String>>,
}

/// One acknowledged failure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Expectation {
    /// `suite/case`.
    pub case: String,
    pub reason: String,
    /// The worst verdict this expectation accepts; `None` accepts `fail`, `warn` and `info`
    /// (never `error`: a harness failure is not a known server defect unless said so).
    pub verdict: Option<Verdict>,
    /// Line in the file, for messages.
    pub line: usize,
}

impl Expectation {
    /// Whether a case with verdict `v` is covered (does not gate).
    pub fn covers(&self, v: Verdict) -> bool {
        match self.verdict {
            None => matches!(v, Verdict::Fail | Verdict::Warn | Verdict::Info),
            Some(max) => {
                !matches!(v, Verdict::Pass | Verdict::Skip) && v.severity() <= max.severity()
            }
        }
    }
}

/// Parses an expectation file's text; `path` is only used in messages.
pub fn parse(path: &Path, text: &str) -> Result<Vec<Expectation>, InputError> {
    let file: ExpectFile = toml::from_str(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        InputError::at_offset(path, text, offset, e.message().trim().to_string())
    })?;
    let at = |span: std::ops::Range<usize>, msg: String| {
        InputError::at_offset(path, text, span.start, msg)
    };
    let mut out: Vec<Expectation> = Vec::new();
    for raw in file.expect {
        let case = raw.case.get_ref().trim();
        let valid = case
            .split_once('/')
            .is_some_and(|(s, c)| !s.is_empty() && !c.is_empty() && !c.contains('/'));
        if !valid {
            return Err(at(
                raw.case.span(),
                format!("`case` must be `suite/case`, got `{case}`"),
            ));
        }
        if raw.reason.get_ref().trim().is_empty() {
            return Err(at(
                raw.reason.span(),
                "`reason` must say why the failure is accepted".into(),
            ));
        }
        let verdict = match &raw.verdict {
            None => None,
            Some(v) => match v.get_ref().parse::<Verdict>() {
                Ok(Verdict::Pass | Verdict::Skip | Verdict::Blocked) | Err(_) => {
                    return Err(at(
                        v.span(),
                        format!(
                            "`verdict` must be one of fail, warn, info, error; got `{}`",
                            v.get_ref()
                        ),
                    ));
                }
                Ok(v) => Some(v),
            },
        };
        let line = text[..raw.case.span().start].matches('\n').count() + 1;
        if let Some(prev) = out.iter().find(|e| e.case == case) {
            return Err(at(
                raw.case.span(),
                format!("`{case}` is already listed on line {}", prev.line),
            ));
        }
        out.push(Expectation {
            case: case.to_string(),
            reason: raw.reason.into_inner(),
            verdict,
            line,
        });
    }
    Ok(out)
}

/// Reads and parses an expectation file.
pub fn load(path: &Path) -> Result<Vec<Expectation>, InputError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| InputError::whole(path, format!("cannot read expectation file: {e}")))?;
    parse(path, &text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn p(text: &str) -> Result<Vec<Expectation>, InputError> {
        parse(Path::new("known.toml"), text)
    }

    #[test]
    fn parses_entries() {
        let e = p("[[expect]]\ncase = \"s/c\"\nreason = \"bug 1\"\n\n[[expect]]\ncase = \"s/d\"\nreason = \"r\"\nverdict = \"warn\"\n").unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!(e[1].verdict, Some(Verdict::Warn));
        assert_eq!(e[1].line, 6);
        assert!(
            e[0].covers(Verdict::Fail)
                && !e[0].covers(Verdict::Error)
                && !e[0].covers(Verdict::Pass)
        );
        assert!(e[1].covers(Verdict::Info) && !e[1].covers(Verdict::Fail));
    }

    #[test]
    fn empty_file_is_no_expectations() {
        assert!(p("").unwrap().is_empty());
    }

    #[rstest]
    #[case::bad_id(
        "[[expect]]\ncase = \"nocase\"\nreason = \"r\"\n",
        2,
        8,
        "`case` must be `suite/case`"
    )]
    #[case::empty_reason(
        "[[expect]]\ncase = \"s/c\"\nreason = \" \"\n",
        3,
        10,
        "`reason` must say"
    )]
    #[case::bad_verdict(
        "[[expect]]\ncase = \"s/c\"\nreason = \"r\"\nverdict = \"pass\"\n",
        4,
        11,
        "`verdict` must be one of"
    )]
    #[case::unknown_key(
        "[[expect]]\ncase = \"s/c\"\nreason = \"r\"\ncolor = 1\n",
        4,
        1,
        "unknown field `color`"
    )]
    #[case::missing_reason("[[expect]]\ncase = \"s/c\"\n", 1, 1, "missing field `reason`")]
    #[case::duplicate(
        "[[expect]]\ncase = \"s/c\"\nreason = \"r\"\n[[expect]]\ncase = \"s/c\"\nreason = \"r\"\n",
        5,
        8,
        "already listed on line 2"
    )]
    #[case::syntax("[[expect]\n", 1, 10, "expected `]`")]
    fn positioned_errors(
        #[case] text: &str,
        #[case] line: usize,
        #[case] col: usize,
        #[case] msg: &str,
    ) {
        let e = p(text).unwrap_err();
        assert_eq!((e.line, e.column), (line, col), "{e}");
        assert!(e.message.contains(msg), "{e}");
        assert!(
            e.to_string()
                .starts_with(&format!("known.toml:{line}:{col}: ")),
            "{e}"
        );
    }
}

//! Comparison with an earlier run's JSON report (`--baseline OLD.json`): new failures, fixes
//! and every other verdict change, matched by `suite/case`.

use super::input_error::InputError;
use crate::run_result::{CaseResult, RunResult, SCHEMA_VERSION};
use crate::verdict::{FailOn, Verdict};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

/// How one case moved between the baseline and this run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// Now at or above the gate threshold, and either new, below it before, or worse than before.
    NewFailure,
    /// At or above the threshold before; now `pass`, or a verdict below the threshold.
    Fix,
    /// Any other verdict change (e.g. `pass` → `skip`, `fail` → `error`).
    Changed,
    /// In this run only, not failing.
    Added,
    /// In the baseline only.
    Removed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerdictChange {
    /// `suite/case`.
    pub case: String,
    pub kind: ChangeKind,
    pub before: Option<Verdict>,
    pub after: Option<Verdict>,
}

/// The differences between a baseline run and this one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BaselineDiff {
    /// The baseline file as given.
    pub path: String,
    /// When the baseline run started.
    pub started_at: String,
    /// Changed cases, in this run's case order, then removed cases.
    pub changes: Vec<VerdictChange>,
}

impl BaselineDiff {
    pub fn of_kind(&self, kind: ChangeKind) -> impl Iterator<Item = &VerdictChange> {
        self.changes.iter().filter(move |c| c.kind == kind)
    }

    pub fn kind_of(&self, case: &str) -> Option<ChangeKind> {
        self.changes.iter().find(|c| c.case == case).map(|c| c.kind)
    }
}

/// Reads a JSON report written by an earlier run.
pub fn load(path: &Path) -> Result<RunResult, InputError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| InputError::whole(path, format!("cannot read baseline report: {e}")))?;
    parse(path, &text)
}

/// Parses a baseline report; `path` is only used in messages.
pub fn parse(path: &Path, text: &str) -> Result<RunResult, InputError> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        InputError::at_line(path, text, e.line(), e.column(), format!("not JSON: {e}"))
    })?;
    let version_at = text.find("\"schema_version\"").unwrap_or(0);
    match value
        .get("schema_version")
        .and_then(serde_json::Value::as_u64)
    {
        None => {
            return Err(InputError::at_offset(
                path,
                text,
                version_at,
                "not a chainproof JSON report: no numeric `schema_version`",
            ));
        }
        Some(v) if v > u64::from(SCHEMA_VERSION) => {
            return Err(InputError::at_offset(
                path,
                text,
                version_at,
                format!(
                    "report schema_version {v} is newer than this chainproof reads ({SCHEMA_VERSION})"
                ),
            ));
        }
        Some(_) => {}
    }
    let run: RunResult = serde_json::from_str(text).map_err(|e| {
        InputError::at_line(
            path,
            text,
            e.line(),
            e.column(),
            format!("invalid report: {e}"),
        )
    })?;
    let mut seen = HashMap::new();
    for c in &run.cases {
        let id = c.full_id();
        if seen.insert(id.clone(), ()).is_some() {
            let at = text.find(&format!("\"{}\"", c.case)).unwrap_or(0);
            return Err(InputError::at_offset(
                path,
                text,
                at,
                format!("case `{id}` appears twice"),
            ));
        }
    }
    Ok(run)
}

/// Compares `current` with `baseline`, grading changes against the gate threshold.
pub fn diff(
    path: &str,
    baseline: &RunResult,
    current: &RunResult,
    fail_on: FailOn,
) -> BaselineDiff {
    let before: HashMap<String, &CaseResult> =
        baseline.cases.iter().map(|c| (c.full_id(), c)).collect();
    let mut changes = Vec::new();
    let mut present = BTreeMap::new();
    for case in &current.cases {
        let id = case.full_id();
        present.insert(id.clone(), ());
        let after = effective(case);
        let prev = before.get(&id).map(|c| effective(c));
        if prev == Some(after) {
            continue;
        }
        let kind = classify(prev, after, fail_on);
        changes.push(VerdictChange {
            case: id,
            kind,
            before: prev,
            after: Some(after),
        });
    }
    for case in &baseline.cases {
        let id = case.full_id();
        if !present.contains_key(&id) {
            changes.push(VerdictChange {
                case: id,
                kind: ChangeKind::Removed,
                before: Some(effective(case)),
                after: None,
            });
        }
    }
    BaselineDiff {
        path: path.to_string(),
        started_at: baseline.started_at.clone(),
        changes,
    }
}

/// The verdict as compared: a case that did not run counts as `error` whatever it says.
fn effective(c: &CaseResult) -> Verdict {
    if c.not_run { Verdict::Error } else { c.verdict }
}

fn classify(before: Option<Verdict>, after: Verdict, fail_on: FailOn) -> ChangeKind {
    let trips_now = after.trips(fail_on);
    match before {
        None if trips_now => ChangeKind::NewFailure,
        None => ChangeKind::Added,
        Some(b) if trips_now && (!b.trips(fail_on) || after.severity() > b.severity()) => {
            ChangeKind::NewFailure
        }
        Some(b)
            if b.trips(fail_on)
                && matches!(after, Verdict::Pass | Verdict::Info | Verdict::Warn)
                && !trips_now =>
        {
            ChangeKind::Fix
        }
        Some(_) => ChangeKind::Changed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case(None, Verdict::Fail, FailOn::Fail, ChangeKind::NewFailure)]
    #[case(None, Verdict::Pass, FailOn::Fail, ChangeKind::Added)]
    #[case(
        Some(Verdict::Pass),
        Verdict::Fail,
        FailOn::Fail,
        ChangeKind::NewFailure
    )]
    #[case(
        Some(Verdict::Warn),
        Verdict::Fail,
        FailOn::Warn,
        ChangeKind::NewFailure
    )]
    #[case(
        Some(Verdict::Warn),
        Verdict::Fail,
        FailOn::Fail,
        ChangeKind::NewFailure
    )]
    #[case(Some(Verdict::Fail), Verdict::Warn, FailOn::Warn, ChangeKind::Changed)]
    #[case(Some(Verdict::Fail), Verdict::Pass, FailOn::Fail, ChangeKind::Fix)]
    #[case(Some(Verdict::Fail), Verdict::Warn, FailOn::Fail, ChangeKind::Fix)]
    #[case(Some(Verdict::Fail), Verdict::Error, FailOn::Fail, ChangeKind::Changed)]
    #[case(Some(Verdict::Pass), Verdict::Skip, FailOn::Fail, ChangeKind::Changed)]
    #[case(Some(Verdict::Pass), Verdict::Warn, FailOn::Fail, ChangeKind::Changed)]
    fn classifies(
        #[case] before: Option<Verdict>,
        #[case] after: Verdict,
        #[case] on: FailOn,
        #[case] kind: ChangeKind,
    ) {
        assert_eq!(classify(before, after, on), kind);
    }

    #[rstest]
    #[case::not_json("{\n  \"schema_version\": 1,\n  oops\n}", 3, 3, "not JSON")]
    #[case::no_version("{\"cases\": []}", 1, 1, "no numeric `schema_version`")]
    #[case::newer("{\n\"schema_version\": 9}", 2, 1, "newer than")]
    #[case::shape("{\n\"schema_version\": 1,\n\"profile\": 3}", 3, 12, "invalid report")]
    fn positioned_errors(
        #[case] text: &str,
        #[case] line: usize,
        #[case] col: usize,
        #[case] msg: &str,
    ) {
        let e = parse(Path::new("old.json"), text).unwrap_err();
        assert!(e.message.contains(msg), "{e}");
        assert_eq!((e.line, e.column), (line, col), "{e}");
    }
}

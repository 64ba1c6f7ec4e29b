//! The JSON report: the (redacted) [`RunResult`] as-is, plus the gate's findings under `gate`.
//! Field names are a public schema documented in `reports/README.md` (`schema_version`).

use super::gate::GateOutcome;
use crate::run_result::RunResult;
use serde::Serialize;

#[derive(Serialize)]
struct JsonReport<'a> {
    #[serde(flatten)]
    run: &'a RunResult,
    #[serde(skip_serializing_if = "Option::is_none")]
    gate: Option<&'a GateOutcome>,
}

/// Pretty JSON with a final newline.
pub fn render(run: &RunResult, gate: Option<&GateOutcome>) -> String {
    let mut s = serde_json::to_string_pretty(&JsonReport { run, gate }).expect("report serializes");
    s.push('\n');
    s
}

//! stub
use super::ReportError;
use super::gate::GateOutcome;
use crate::run_result::RunResult;
pub fn render(_run: &RunResult, _gate: Option<&GateOutcome>) -> Result<String, ReportError> {
    Ok(String::new())
}

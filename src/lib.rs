//! chainproof: conformance and interoperability harness for OAuth Identity and Authorization
//! Chaining Across Domains (draft-ietf-oauth-identity-chaining-17).
//!
//! Data flows one way: suite files → plan → executor → run result → reports.

pub mod exit;
pub mod fuzz;
pub mod report;
pub mod run_result;
pub mod transcript;
pub mod verdict;

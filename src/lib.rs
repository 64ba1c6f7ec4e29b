//! chainproof: conformance and interoperability harness for OAuth Identity and Authorization
//! Chaining Across Domains (draft-ietf-oauth-identity-chaining-17).
//!
//! Data flows one way: suite files → plan → executor → run result → reports.

pub mod app;
pub mod catalogue;
pub mod cli;
pub mod diagnostic;
pub mod environment;
pub mod executor;
pub mod exit;
pub mod fuzz;
pub mod harness;
pub mod http;
pub mod jose;
pub mod merge;
pub mod partition;
pub mod predicate;
pub mod progress;
pub mod query;
pub mod report;
pub mod run;
pub mod run_result;
pub mod suite;
pub mod target;
pub mod template;
pub mod toml_tree;
pub mod transcript;
pub mod verdict;

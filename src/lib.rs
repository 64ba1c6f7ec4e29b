//! chainproof: conformance and interoperability harness for OAuth Identity and Authorization
//! Chaining Across Domains (draft-ietf-oauth-identity-chaining-17).
//!
//! Data flows one way: suite files → plan → executor → run result → reports.
//!
//! # Layers
//! Lowest first. Each module uses only modules of its own layer or an earlier one, and the
//! module graph has no cycle (`tests/layering.rs` checks both, reading this list):
//! - values: `exit`, `verdict`, `party`, `diagnostic`, `toml_tree`, `query`, `template`,
//!   `transcript`, `jose`, `oauth`, `exchange_form`, `partition`
//! - inputs and results: `catalogue`, `suite`, `predicate`, `target`, `tls`, `http`, `harness`,
//!   `run_result`, `client_auth`, `discovery`, `attribution`
//! - engine: `subject_token`, `environment`, `executor`
//! - outputs: `report`, `progress`
//! - commands: `run`, `check`, `fuzz`, `merge`
//! - edge: `cli`, `app`
//!
//! The edge is the only place that knows clap: `cli` parses the command line into `*Args` and
//! converts them into each command's plain options (`RunOptions`, `ReportOptions`,
//! `GateOptions`, `FuzzOptions`, `CheckOptions`, `ProgressMode`); `app` builds the async
//! runtimes and prints. Below the edge only `progress` (the live terminal listener) writes to
//! the terminal.

pub mod app;
pub mod attribution;
pub mod catalogue;
pub mod check;
pub mod cli;
pub mod client_auth;
pub mod diagnostic;
pub mod discovery;
pub mod environment;
pub mod exchange_form;
pub mod executor;
pub mod exit;
pub mod fuzz;
pub mod harness;
pub mod http;
pub mod jose;
pub mod merge;
pub mod oauth;
pub mod partition;
pub mod party;
pub mod predicate;
pub mod progress;
pub mod query;
pub mod report;
pub mod run;
pub mod run_result;
pub mod subject_token;
pub mod suite;
pub mod target;
pub mod template;
pub mod tls;
pub mod toml_tree;
pub mod transcript;
pub mod verdict;

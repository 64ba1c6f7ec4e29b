//! Process exit codes, documented in one place (README "Exit codes").

/// Nothing at or above `--fail-on`.
pub const OK: i32 = 0;
/// At least one case verdict at or above `--fail-on` (conformance failure).
pub const CONFORMANCE: i32 = 1;
/// The run could not complete: a harness or network error, an interrupted run, an I/O failure.
pub const RUNTIME: i32 = 2;
/// A suite, target, expectation or baseline file is invalid.
pub const INVALID_INPUT: i32 = 3;
/// The command line was wrong.
pub const USAGE: i32 = 64;

//! `chainproof run`: load suites and target, plan, execute, write reports, pick the exit code.

use crate::cli::RunArgs;

pub fn command(_args: RunArgs) -> i32 {
    crate::exit::RUNTIME
}

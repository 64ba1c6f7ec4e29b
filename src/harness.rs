//! Harness-issuer mode.

use crate::cli::IssuerArgs;

pub fn command(_args: IssuerArgs) -> i32 {
    crate::exit::RUNTIME
}

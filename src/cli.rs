//! The command line (clap derive): `run`, `list`, `init`, `issuer`, `mock`, `fuzz`, `merge`.
//! Parsing only; each command's work lives in its own module.

use crate::partition::Partition;
use crate::report::ReportArgs;
use crate::verdict::FailOn;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// Conformance and interoperability harness for OAuth Identity and Authorization Chaining
/// Across Domains (draft-ietf-oauth-identity-chaining-17).
///
/// Exit codes: 0 nothing at or above --fail-on; 1 conformance failure; 2 runtime error or
/// interrupted run; 3 invalid suite or target file; 64 usage error.
#[derive(Debug, Parser)]
#[command(
    name = "chainproof",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run test suites against a target (default: every suite against the embedded mock pair).
    #[command(after_help = "Examples:
  chainproof run                                   every suite, embedded mock pair
  chainproof run --target target.toml --fail-on warn
  chainproof run --suite grant-validation --case '*alg*'
  chainproof run --mock-fault accept-alg-none      prove a case catches a broken AS-B
  chainproof run --profile ic-01 --deadline 10m")]
    Run(RunArgs),
    /// List suites and cases, or the requirement catalogue with the cases covering each ID.
    List(ListArgs),
    /// Print a fully commented target-file template.
    Init,
    /// Harness-issuer mode: print the harness issuer's JWKS or serve its metadata and JWKS.
    Issuer(IssuerArgs),
    /// Start the reference mock pair (AS-A, AS-B, RS-B).
    Mock(mock_as::cli::MockArgs),
    /// Property-based fuzzing of the token endpoints.
    Fuzz(crate::fuzz::FuzzArgs),
    /// Join the JSON reports of partial runs (`run --partition`) into one set of reports.
    #[command(after_help = "Examples:
  chainproof run --partition hash:1/3 --json parts/1.json   (likewise 2/3 and 3/3)
  chainproof merge parts/*.json --out reports --fail-on warn")]
    Merge(MergeArgs),
}

#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Target file naming AS-A, AS-B and RS-B (see `chainproof init`); default: embedded mock pair.
    #[arg(long, value_name = "FILE")]
    pub target: Option<PathBuf>,
    /// Folder of extra suite files; a suite with the same `suite.id` replaces the embedded one.
    #[arg(long, value_name = "DIR")]
    pub suites: Option<PathBuf>,
    /// Run only this suite (repeatable).
    #[arg(long = "suite", value_name = "ID")]
    pub suite: Vec<String>,
    /// Run only cases whose `suite/case` id (or case id) matches this glob (repeatable).
    #[arg(long = "case", value_name = "GLOB")]
    pub case: Vec<String>,
    /// Profile setting requirement levels (ic-17, ic-14, ic-01, ...); default: the catalogue's default.
    #[arg(long, value_name = "ID")]
    pub profile: Option<String>,
    /// Cases run at the same time [default: the target's `limits.jobs`, else 4].
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub jobs: Option<u16>,
    /// Lowest case verdict that makes the run exit with code 1.
    #[arg(long, value_enum, default_value_t = FailOn::Fail)]
    pub fail_on: FailOn,
    /// Start the embedded mock with this fault (repeatable; `chainproof mock --list-faults`).
    #[arg(long = "mock-fault", value_name = "NAME")]
    pub mock_fault: Vec<String>,
    /// Stop the whole run after this long (e.g. `10m`); unfinished cases are reported as not run.
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub deadline: Option<std::time::Duration>,
    /// Live progress: a bar on a terminal, plain lines otherwise, or nothing.
    #[arg(long, value_enum, default_value_t = ProgressMode::Auto)]
    pub progress: ProgressMode,
    /// Run only part I of N of the selected cases: `count:I/N` deals them out in turn,
    /// `hash:I/N` by a hash of their id (bare `I/N` = count). Join the parts' JSON reports with
    /// `chainproof merge`.
    #[arg(long, value_name = "SCHEME:I/N")]
    pub partition: Option<Partition>,
    #[command(flatten)]
    pub report: ReportArgs,
}

#[derive(Debug, Clone, Args)]
pub struct MergeArgs {
    /// JSON reports of the partial runs (`report.json` or `--json` files), each part once.
    #[arg(required = true, value_name = "REPORT.json")]
    pub inputs: Vec<PathBuf>,
    /// Folder of extra suite files the partial runs used (for the merged case order).
    #[arg(long, value_name = "DIR")]
    pub suites: Option<PathBuf>,
    /// Lowest case verdict that makes the merge exit with code 1.
    #[arg(long, value_enum, default_value_t = FailOn::Fail)]
    pub fail_on: FailOn,
    #[command(flatten)]
    pub report: ReportArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProgressMode {
    Auto,
    Bar,
    Plain,
    None,
}

#[derive(Debug, Clone, Args)]
pub struct ListArgs {
    /// One line per catalogue requirement: ID, a tab, covering `suite/case` ids joined by commas.
    #[arg(long)]
    pub requirements: bool,
    /// Folder of extra suite files (as for `run`).
    #[arg(long, value_name = "DIR")]
    pub suites: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
#[command(group(clap::ArgGroup::new("mode").required(true).args(["jwks", "serve"])))]
pub struct IssuerArgs {
    /// Print the harness issuer's public JWKS (to configure AS-B's trust).
    #[arg(long)]
    pub jwks: bool,
    /// Serve the issuer metadata (RFC 8414) and JWKS until Ctrl-C.
    #[arg(long)]
    pub serve: bool,
    /// Target file whose `[harness]` table sets issuer URL, key file and listen address.
    #[arg(long, value_name = "FILE")]
    pub target: Option<PathBuf>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn run_defaults() {
        let cli = Cli::try_parse_from(["chainproof", "run"]).unwrap();
        let Command::Run(r) = cli.command else {
            panic!()
        };
        assert_eq!(r.jobs, None);
        assert_eq!(r.fail_on, FailOn::Fail);
        assert!(r.target.is_none());
        assert!(r.partition.is_none());
    }

    #[test]
    fn partition_and_merge_parse() {
        let cli = Cli::try_parse_from(["chainproof", "run", "--partition", "hash:2/3"]).unwrap();
        let Command::Run(r) = cli.command else {
            panic!()
        };
        assert_eq!(r.partition.unwrap().to_string(), "hash:2/3");
        let e = Cli::try_parse_from(["chainproof", "run", "--partition", "4/3"]).unwrap_err();
        assert!(e.to_string().contains("need 1 <= I <= N"), "{e}");
        let cli =
            Cli::try_parse_from(["chainproof", "merge", "a.json", "b.json", "--out", "o"]).unwrap();
        let Command::Merge(m) = cli.command else {
            panic!()
        };
        assert_eq!(m.inputs.len(), 2);
        assert!(Cli::try_parse_from(["chainproof", "merge"]).is_err());
    }
}

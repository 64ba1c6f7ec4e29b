//! The command line (clap derive): `run`, `check`, `list`, `init`, `issuer`, `mock`, `fuzz`, `merge`.
//! Parsing only. clap types live here (and in `app.rs`) and nowhere else: each `*Args`
//! converts into the plain options struct of the module that does the work
//! ([`crate::run::RunOptions`], [`crate::report::ReportOptions`],
//! [`crate::report::GateOptions`], [`crate::fuzz::FuzzOptions`],
//! [`crate::progress::ProgressMode`] ...), so the library never sees clap.

use crate::check::CheckOptions;
use crate::fuzz::{EndpointChoice, FuzzOptions};
use crate::partition::Partition;
use crate::progress::ProgressMode;
use crate::report::{GateMode, GateOptions, ReportOptions, WarnAs};
use crate::run::RunOptions;
use crate::verdict::FailOn;
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::time::Duration;

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
    /// Check a target file before a run: credentials, metadata, client authentication, one
    /// subject token per role, and the plan (what will run, what will be skipped and why).
    #[command(
        after_help = "Nothing is judged and no case runs. Each problem is one line on stderr, naming
what is wrong: wrong secret, wrong issuer, unreachable host, untrusted certificate, failing
token source. The table (stdout) shows every step tried and the run's plan.

Exit codes: 0 ready to run; 2 a server, credential or token source problem; 3 an invalid
target file or an unreadable secret (variable unset, key file missing); 64 usage error.

Examples:
  chainproof check --target target.toml
  chainproof check --target target.toml --profile ic-01      plan under another profile
  chainproof check --target target.toml --suite replay       plan one suite only
  AS_A_SECRET=... chainproof check --target target.toml && chainproof run --target target.toml"
    )]
    Check(CheckArgs),
    /// List suites and cases, or the requirement catalogue with the cases covering each ID.
    List(ListArgs),
    /// Print a fully commented target-file template.
    Init,
    /// Harness-issuer mode: print the harness issuer's JWKS or serve its metadata and JWKS.
    Issuer(IssuerArgs),
    /// Start the reference mock pair (AS-A, AS-B, RS-B).
    Mock(mock_as::cli::MockArgs),
    /// Property-based fuzzing of the token endpoints.
    Fuzz(FuzzArgs),
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
    #[command(flatten)]
    pub selection: SelectionArgs,
    /// Cases run at the same time [default: the target's `limits.jobs`, else 4].
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub jobs: Option<u16>,
    /// Start the embedded mock with this fault (repeatable; `chainproof mock --list-faults`).
    #[arg(long = "mock-fault", value_name = "NAME")]
    pub mock_fault: Vec<String>,
    /// Start the embedded mock with this legal variant (repeatable; `chainproof mock --list-variants`).
    #[arg(long = "mock-variant", value_name = "NAME")]
    pub mock_variant: Vec<String>,
    /// Stop the whole run after this long (e.g. `10m`); unfinished cases are reported as not run.
    #[arg(long, value_name = "DURATION", value_parser = humantime::parse_duration)]
    pub deadline: Option<std::time::Duration>,
    /// Live progress: a bar on a terminal, plain lines otherwise, or nothing.
    #[arg(long, value_enum, default_value_t = ProgressArg::Auto)]
    pub progress: ProgressArg,
    /// Do not verify server certificates. Every report says the run was insecure.
    #[arg(long)]
    pub insecure: bool,
    /// Run only part I of N of the selected cases: `count:I/N` deals them out in turn,
    /// `hash:I/N` by a hash of their id (bare `I/N` = count). Join the parts' JSON reports with
    /// `chainproof merge`.
    #[arg(long, value_name = "SCHEME:I/N")]
    pub partition: Option<Partition>,
    #[command(flatten)]
    pub gate: GateArgs,
    #[command(flatten)]
    pub report: ReportArgs,
}

/// `chainproof check`: the target to check and the selection to plan.
#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// Target file naming AS-A, AS-B and RS-B (see `chainproof init`).
    #[arg(long, value_name = "FILE")]
    pub target: PathBuf,
    #[command(flatten)]
    pub selection: SelectionArgs,
    /// Do not verify server certificates (as for `run`).
    #[arg(long)]
    pub insecure: bool,
}

/// Which suites and cases `run` runs and `check` plans, and the profile grading them: one
/// set of flags, so the two commands select alike.
#[derive(Debug, Clone, Args)]
pub struct SelectionArgs {
    /// Folder of extra suite files; a suite with the same `suite.id` replaces the embedded one.
    #[arg(long, value_name = "DIR")]
    pub suites: Option<PathBuf>,
    /// Select only this suite (repeatable).
    #[arg(long = "suite", value_name = "ID")]
    pub suite: Vec<String>,
    /// Select only cases whose `suite/case` id (or case id) matches this glob (repeatable).
    #[arg(long = "case", value_name = "GLOB")]
    pub case: Vec<String>,
    /// Profile setting requirement levels (`chainproof list --profiles`); default: the
    /// catalogue's default (ic-17).
    #[arg(long, value_name = "ID")]
    pub profile: Option<String>,
}

impl CheckArgs {
    pub fn options(self) -> CheckOptions {
        CheckOptions {
            target: self.target,
            suites: self.selection.suites,
            suite: self.selection.suite,
            case: self.selection.case,
            profile: self.selection.profile,
            insecure: self.insecure,
        }
    }
}

/// `chainproof merge`: the partial runs' JSON reports and where to write the joined reports.
#[derive(Debug, Clone, Args)]
pub struct MergeArgs {
    /// JSON reports of the partial runs (`report.json` or `--json` files), each part once.
    #[arg(required = true, value_name = "REPORT.json")]
    pub inputs: Vec<PathBuf>,
    /// Folder of extra suite files the partial runs used (for the merged case order).
    #[arg(long, value_name = "DIR")]
    pub suites: Option<PathBuf>,
    #[command(flatten)]
    pub gate: GateArgs,
    #[command(flatten)]
    pub report: ReportArgs,
}

impl RunArgs {
    pub fn options(self) -> RunOptions {
        RunOptions {
            target: self.target,
            suites: self.selection.suites,
            suite: self.selection.suite,
            case: self.selection.case,
            profile: self.selection.profile,
            jobs: self.jobs,
            mock_faults: self.mock_fault,
            mock_variants: self.mock_variant,
            deadline: self.deadline,
            progress: self.progress.into(),
            partition: self.partition,
            report: self.report.options(),
            gate: self.gate.options(),
            notice: Default::default(),
            insecure: self.insecure,
        }
    }
}

/// `--progress`: the clap face of [`ProgressMode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProgressArg {
    Auto,
    Bar,
    Plain,
    None,
}

impl From<ProgressArg> for ProgressMode {
    fn from(a: ProgressArg) -> Self {
        match a {
            ProgressArg::Auto => ProgressMode::Auto,
            ProgressArg::Bar => ProgressMode::Bar,
            ProgressArg::Plain => ProgressMode::Plain,
            ProgressArg::None => ProgressMode::None,
        }
    }
}

/// `--fail-on`: the clap face of [`FailOn`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOnArg {
    Fail,
    Warn,
    Info,
}

impl From<FailOnArg> for FailOn {
    fn from(a: FailOnArg) -> Self {
        match a {
            FailOnArg::Fail => FailOn::Fail,
            FailOnArg::Warn => FailOn::Warn,
            FailOnArg::Info => FailOn::Info,
        }
    }
}

/// `--junit-warn-as`: the clap face of [`WarnAs`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WarnAsArg {
    /// A passing testcase with `verdict=warn` and the message as properties.
    Pass,
    /// A `failure` element, for gates that treat SHOULD-level deviations as failures.
    Failure,
}

impl From<WarnAsArg> for WarnAs {
    fn from(a: WarnAsArg) -> Self {
        match a {
            WarnAsArg::Pass => WarnAs::Pass,
            WarnAsArg::Failure => WarnAs::Failure,
        }
    }
}

/// `--gate`: the clap face of [`GateMode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GateArg {
    /// Every case at or above `--fail-on` gates (baseline changes are reported only).
    All,
    /// Only new failures relative to `--baseline` gate (needs `--baseline`).
    Regressions,
}

impl From<GateArg> for GateMode {
    fn from(a: GateArg) -> Self {
        match a {
            GateArg::All => GateMode::All,
            GateArg::Regressions => GateMode::Regressions,
        }
    }
}

/// How a finished run gates its exit code (shared by `run`, `fuzz` and `merge`).
#[derive(Debug, Clone, Args)]
pub struct GateArgs {
    /// Lowest case verdict that makes the command exit with code 1.
    #[arg(long, value_enum, default_value_t = FailOnArg::Fail)]
    pub fail_on: FailOnArg,
    /// An earlier JSON report: report new failures, fixes and verdict changes.
    #[arg(long, value_name = "OLD.json")]
    pub baseline: Option<PathBuf>,
    /// Known failures (TOML, `[[expect]] case = "suite/case" reason = "..."`) that do not gate.
    #[arg(long, value_name = "FILE")]
    pub expect: Option<PathBuf>,
    /// Gate on every failure, or only on regressions relative to `--baseline`.
    #[arg(long, value_enum, default_value_t = GateArg::All, value_name = "WHICH")]
    pub gate: GateArg,
}

impl GateArgs {
    pub fn options(self) -> GateOptions {
        GateOptions {
            fail_on: self.fail_on.into(),
            expect: self.expect,
            baseline: self.baseline,
            mode: self.gate.into(),
        }
    }
}

/// Where and how to write reports (shared by `run`, `fuzz` and `merge`).
#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    /// Folder for reports written by default (report.json, junit.xml, report.html, summary.md).
    #[arg(long, default_value = "reports", value_name = "DIR")]
    pub out: PathBuf,
    /// JSON report path (default: OUT/report.json).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// JUnit XML report path (default: OUT/junit.xml).
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Self-contained HTML report path (default: OUT/report.html).
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Markdown summary path (default: OUT/summary.md).
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
    /// File the Markdown summary is appended to (GitHub Actions job summary).
    #[arg(
        long,
        env = "GITHUB_STEP_SUMMARY",
        value_name = "FILE",
        hide_env_values = true
    )]
    pub step_summary: Option<PathBuf>,
    /// How `warn` cases appear in JUnit: a passing testcase with properties, or a failure.
    #[arg(long, value_enum, default_value_t = WarnAsArg::Pass, value_name = "AS")]
    pub junit_warn_as: WarnAsArg,
    /// Keep JWT signatures in reports (client assertion and DPoP proof signatures stay hidden).
    #[arg(long)]
    pub reveal_tokens: bool,
}

impl ReportArgs {
    pub fn options(self) -> ReportOptions {
        ReportOptions {
            out: self.out,
            json: self.json,
            junit: self.junit,
            html: self.html,
            markdown: self.markdown,
            step_summary: self.step_summary,
            junit_warn_as: self.junit_warn_as.into(),
            reveal_tokens: self.reveal_tokens,
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct ListArgs {
    /// One line per catalogue requirement: ID, a tab, covering `suite/case` ids joined by commas.
    #[arg(long, conflicts_with = "profiles")]
    pub requirements: bool,
    /// One line per profile: id, a tab, its source document and version, a tab, how many
    /// requirements it judges at each level.
    #[arg(long)]
    pub profiles: bool,
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

/// `--endpoint`: the clap face of [`EndpointChoice`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EndpointArg {
    /// Token exchange at AS-A.
    Exchange,
    /// jwt-bearer at AS-B.
    Assertion,
    /// Both, alternating case by case.
    Both,
}

impl From<EndpointArg> for EndpointChoice {
    fn from(a: EndpointArg) -> Self {
        match a {
            EndpointArg::Exchange => EndpointChoice::Exchange,
            EndpointArg::Assertion => EndpointChoice::Assertion,
            EndpointArg::Both => EndpointChoice::Both,
        }
    }
}

/// `chainproof fuzz` options.
#[derive(Debug, Clone, Args)]
pub struct FuzzArgs {
    /// Target file naming AS-A and AS-B (default: the embedded mock pair).
    #[arg(long, value_name = "FILE")]
    pub target: Option<PathBuf>,
    /// Which token request to fuzz.
    #[arg(long, value_enum, default_value_t = EndpointArg::Both)]
    pub endpoint: EndpointArg,
    /// Number of generated requests (cases), shrinking not included.
    #[arg(long, default_value_t = 1000, value_name = "N")]
    pub cases: u64,
    /// Seed of the request sequence; the same seed and case count send the same requests.
    /// Random (and printed) when absent.
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    /// Stop generating new cases after this long (e.g. `90s`, `5m`).
    #[arg(long, value_name = "D", value_parser = humantime::parse_duration)]
    pub time_limit: Option<Duration>,
    /// At most R requests per second (be gentle with live servers).
    #[arg(long, value_name = "R")]
    pub rate: Option<f64>,
    /// Mock fault to switch on (repeatable; embedded mock only).
    #[arg(long = "mock-fault", value_name = "NAME")]
    pub mock_faults: Vec<mock_as::Fault>,
    /// Legal variant of the embedded mock to switch on (repeatable; `chainproof mock
    /// --list-variants`).
    #[arg(long = "mock-variant", value_name = "NAME")]
    pub mock_variants: Vec<mock_as::Variant>,
    /// Requests in flight at once (results are judged in generation order).
    #[arg(long, default_value_t = 8, value_name = "N")]
    pub concurrency: usize,
    /// Response-time bound of the latency oracle.
    #[arg(long, default_value = "5s", value_name = "D", value_parser = humantime::parse_duration)]
    pub max_latency: Duration,
    /// Per-request timeout (a timeout counts toward the circuit breaker) [default: the
    /// target's `limits.request_timeout_secs`, 10 s for the embedded mock].
    #[arg(long, value_name = "D", value_parser = humantime::parse_duration)]
    pub timeout: Option<Duration>,
    /// Stop after this many consecutive connection errors or timeouts.
    #[arg(long, default_value_t = 5, value_name = "N")]
    pub breaker: u32,
    /// Most requests spent shrinking one finding.
    #[arg(long, default_value_t = 500, value_name = "N")]
    pub max_shrink: u32,
    /// Re-send the request saved in a replay file and re-check its oracle (exit 1 if it
    /// still fails).
    #[arg(long, value_name = "FILE")]
    pub replay: Option<PathBuf>,
    /// Profile whose requirement levels grade the findings (default: the target's, else the
    /// catalogue's default, as for `run`).
    #[arg(long, value_name = "ID")]
    pub profile: Option<String>,
    #[command(flatten)]
    pub gate: GateArgs,
    #[command(flatten)]
    pub report: ReportArgs,
    /// Do not verify server certificates (as for `run`). Every report says the run was
    /// insecure.
    #[arg(long)]
    pub insecure: bool,
    /// Benchmark input: write every request sent, real values and secrets included, one JSON
    /// object per line (`benches/fuzz_throughput.sh` replays them with a raw load tool).
    #[arg(long, value_name = "FILE", hide = true)]
    pub record: Option<PathBuf>,
}

impl FuzzArgs {
    pub fn options(self) -> FuzzOptions {
        FuzzOptions {
            target: self.target,
            endpoint: self.endpoint.into(),
            cases: self.cases,
            seed: self.seed,
            time_limit: self.time_limit,
            rate: self.rate,
            mock_faults: self.mock_faults,
            mock_variants: self.mock_variants,
            concurrency: self.concurrency,
            max_latency: self.max_latency,
            timeout: self.timeout,
            breaker: self.breaker,
            max_shrink: self.max_shrink,
            replay: self.replay,
            profile: self.profile,
            gate: self.gate.options(),
            report: self.report.options(),
            record: self.record,
            insecure: self.insecure,
            notice: Default::default(),
        }
    }
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
        let o = r.options();
        assert_eq!(o.jobs, None);
        assert_eq!(o.gate.fail_on, FailOn::Fail);
        assert!(o.target.is_none());
        assert_eq!(o.report.out, PathBuf::from("reports"));
        assert!(o.partition.is_none());
    }

    #[test]
    fn partition_and_merge_parse() {
        let cli = Cli::try_parse_from(["chainproof", "run", "--partition", "hash:2/3"]).unwrap();
        let Command::Run(r) = cli.command else {
            panic!()
        };
        assert_eq!(r.options().partition.unwrap().to_string(), "hash:2/3");
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

    #[test]
    fn report_and_gate_flags_convert() {
        #[derive(Parser)]
        struct Flags {
            #[command(flatten)]
            gate: GateArgs,
            #[command(flatten)]
            report: ReportArgs,
        }
        Flags::command().debug_assert();
        let f = Flags::try_parse_from([
            "chainproof",
            "--out",
            "o",
            "--junit",
            "j.xml",
            "--junit-warn-as",
            "failure",
            "--baseline",
            "old.json",
            "--expect",
            "known.toml",
            "--gate",
            "regressions",
            "--fail-on",
            "warn",
            "--reveal-tokens",
        ])
        .unwrap();
        let (r, g) = (f.report.options(), f.gate.options());
        assert_eq!(r.junit_path(), PathBuf::from("j.xml"));
        assert_eq!(r.html_path(), PathBuf::from("o/report.html"));
        assert_eq!((r.junit_warn_as, r.reveal_tokens), (WarnAs::Failure, true));
        assert_eq!((g.fail_on, g.mode), (FailOn::Warn, GateMode::Regressions));
        assert_eq!(
            (g.baseline, g.expect),
            (Some("old.json".into()), Some("known.toml".into()))
        );
        assert!(Flags::try_parse_from(["chainproof", "--gate", "some"]).is_err());
    }

    #[test]
    fn fuzz_defaults_match_the_options_defaults() {
        let cli = Cli::try_parse_from(["chainproof", "fuzz"]).unwrap();
        let Command::Fuzz(f) = cli.command else {
            panic!()
        };
        let (o, d) = (f.options(), FuzzOptions::default());
        assert_eq!(
            (o.cases, o.concurrency, o.breaker, o.max_shrink, o.profile),
            (d.cases, d.concurrency, d.breaker, d.max_shrink, d.profile)
        );
        assert_eq!((o.max_latency, o.timeout), (d.max_latency, d.timeout));
        assert_eq!(o.report.out, d.report.out);
    }

    #[test]
    fn fuzz_takes_mock_variants_like_run() {
        let (v0, v1) = (
            mock_as::Variant::ALL[0].name(),
            mock_as::Variant::ALL[1].name(),
        );
        let argv = [
            "chainproof",
            "fuzz",
            "--mock-variant",
            v0,
            "--mock-variant",
            v1,
        ];
        let Command::Fuzz(f) = Cli::try_parse_from(argv).unwrap().command else {
            panic!()
        };
        let names: Vec<&str> = f.options().mock_variants.iter().map(|v| v.name()).collect();
        assert_eq!(names, [v0, v1]);
        let e = Cli::try_parse_from(["chainproof", "fuzz", "--mock-variant", "no-such"]);
        assert!(e.unwrap_err().to_string().contains("--list-variants"));
    }
}

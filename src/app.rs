//! The command layer: what each subcommand does, returning the process exit code (`exit.rs`).
//! It turns clap's `*Args` into the library's options, builds the async runtimes, and prints
//! everything the user sees on stdout/stderr (live progress aside, which `progress.rs` draws).

use crate::cli::{Cli, Command, IssuerArgs, ListArgs, MergeArgs};
use crate::exit;
use crate::fuzz::{FuzzOptions, FuzzRun, Fuzzed, Shown};
use crate::harness::{HarnessIssuer, IssuerSettings};
use crate::report::ReportError;
use crate::run::{Finished, RunOptions};
use crate::suite::load::Library;
use crate::target::Target;
use std::sync::Arc;

/// Run a parsed command line; returns the exit code.
pub fn execute(cli: Cli) -> i32 {
    match cli.command {
        Command::Check(args) => check(args.options()),
        Command::List(args) => list(&args),
        Command::Run(args) => run(args.options()),
        Command::Init => {
            print!("{}", crate::target::TEMPLATE);
            exit::OK
        }
        Command::Issuer(args) => issuer(&args),
        Command::Mock(args) => match runtime() {
            Ok(rt) => rt.block_on(mock_as::cli::run(args)),
            Err(code) => code,
        },
        Command::Fuzz(args) => fuzz(args.options()),
        Command::Merge(args) => merge(args),
    }
}

/// Printed before and after an `--insecure` run, as every report also says.
const INSECURE_WARNING: &str =
    "warning: --insecure: server certificates were NOT verified; this run proves nothing about TLS";

fn runtime() -> Result<tokio::runtime::Runtime, i32> {
    tokio::runtime::Runtime::new().map_err(|e| {
        eprintln!("error: cannot start the async runtime: {e}");
        exit::RUNTIME
    })
}

/// `chainproof run`: prepare, run, then print what happened after the live progress.
pub fn run(mut options: RunOptions) -> i32 {
    options.notice = crate::subject_token::Notice::new(|line| eprintln!("{line}"));
    let insecure = options.insecure;
    if insecure {
        eprintln!("{INSECURE_WARNING}");
    }
    let prepared = match crate::run::prepare(options) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            return e.exit_code();
        }
    };
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    match rt.block_on(crate::run::run(prepared)) {
        Ok(finished) => {
            let code = show_finished(&finished);
            if insecure {
                eprintln!("{INSECURE_WARNING}");
            }
            code
        }
        Err(e) => {
            eprintln!("{e}");
            e.exit_code()
        }
    }
}

/// `chainproof fuzz`: run (or replay), then print the findings and the finish.
fn fuzz(mut options: FuzzOptions) -> i32 {
    options.notice = crate::subject_token::Notice::new(|line| eprintln!("{line}"));
    let insecure = options.insecure;
    if insecure {
        eprintln!("{INSECURE_WARNING}");
    }
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let fuzzed = rt.block_on(crate::fuzz::execute(options));
    match &fuzzed {
        Fuzzed::Failed { message, .. } => eprintln!("{message}"),
        Fuzzed::Replay(r) => match &r.still {
            Some((verdict, reqs, message)) => println!(
                "replay {}: still fails ({verdict} {}): {message} [HTTP {}, request {}]",
                r.id,
                reqs.join(", "),
                r.status,
                r.expected
            ),
            None => println!(
                "replay {}: no longer reproduces [HTTP {}, request {}]",
                r.id, r.status, r.expected
            ),
        },
        Fuzzed::Run(r) => show_fuzz_run(r),
    }
    if insecure {
        eprintln!("{INSECURE_WARNING}");
    }
    fuzzed.exit_code()
}

fn show_fuzz_run(r: &FuzzRun) {
    let secs = r.elapsed.as_secs_f64().max(1e-9);
    println!(
        "fuzz: seed {}: {} cases, {} requests in {secs:.2} s ({:.0} requests/s), {} findings, {} observations",
        r.seed,
        r.cases_run,
        r.requests,
        r.requests as f64 / secs,
        r.findings.len(),
        r.observations.len()
    );
    let replay = |s: &Shown| s.replay.clone().unwrap_or_else(|| "-".into());
    for f in &r.findings {
        println!(
            "  {:<5} {} [{}] {} ({} parameters) -> {}",
            f.verdict,
            f.key,
            f.requirements.join(", "),
            f.message,
            f.parameters,
            replay(f)
        );
    }
    for f in &r.observations {
        println!(
            "  info  {} [{}] {} -> {}",
            f.key,
            f.requirements.join(", "),
            f.message,
            replay(f)
        );
    }
    if let Some(msg) = &r.breaker {
        println!("  error circuit breaker: {msg}");
    }
    if r.time_limited {
        println!("  time limit reached after {} cases", r.cases_run);
    }
    if r.unanswered > 0 {
        println!(
            "  note  {} requests got no response and were judged by no oracle (first: {})",
            r.unanswered,
            r.first_unanswered.as_deref().unwrap_or("-")
        );
    }
    println!("  request log: {}", r.log_path.display());
    println!("  reproduce: {}", r.reproduce);
    show_finished(&r.finished);
}

/// `chainproof check`: the table on stdout, one line per problem on stderr.
fn check(options: crate::check::CheckOptions) -> i32 {
    let insecure = options.insecure;
    if insecure {
        eprintln!("{INSECURE_WARNING}");
    }
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let checked = rt.block_on(crate::check::check(options));
    print!("{}", checked.table);
    for p in &checked.problems {
        eprintln!("{p}");
    }
    match checked.problems.len() {
        0 => eprintln!("check: ready to run"),
        n => eprintln!(
            "check: {n} problem{} found before any case ran",
            if n == 1 { "" } else { "s" }
        ),
    }
    checked.exit_code()
}

/// `chainproof merge`: one set of reports and one gate from partial runs' JSON reports. The
/// inputs were redacted when written, so no secrets are known here.
fn merge(args: MergeArgs) -> i32 {
    let lib = match load_library(args.suites.as_deref()) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let merged =
        crate::merge::read(&args.inputs).and_then(|inputs| crate::merge::merge(&lib, inputs));
    match merged {
        Ok(result) => show_finished(&crate::run::finish_reports(
            &result,
            &args.report.options(),
            &args.gate.options(),
            &crate::report::Secrets::default(),
        )),
        Err(e) => {
            eprintln!("error: {e}");
            exit::INVALID_INPUT
        }
    }
}

fn show_finished(f: &Finished) -> i32 {
    if let Some(m) = &f.setup_error {
        eprintln!("error: {m}");
    }
    match &f.gate {
        // A positioned error about an input file carries its own `error:` header.
        Err(e @ ReportError::Invalid(_)) => eprintln!("{e}"),
        Err(e) => eprintln!("error: {e}"),
        Ok(_) => {}
    }
    match &f.written {
        Ok(paths) => {
            for p in paths {
                eprintln!("wrote {}", p.display());
            }
        }
        Err(e) => eprintln!("error: {e}"),
    }
    if let Ok(g) = &f.gate {
        eprint!("{}", g.summary);
    }
    f.exit_code
}

/// `chainproof issuer --jwks | --serve [--target FILE]`.
fn issuer(args: &IssuerArgs) -> i32 {
    let target = match &args.target {
        Some(p) => match Target::load(p) {
            Ok(t) => Some(t),
            Err(e) => {
                eprintln!("{e}");
                return exit::INVALID_INPUT;
            }
        },
        None => None,
    };
    let settings = IssuerSettings::of(target.as_ref());
    let key = match crate::harness::load_or_create_key(&settings.key_path) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::RUNTIME;
        }
    };
    let h = Arc::new(HarnessIssuer::new(settings.issuer, key));
    if args.jwks {
        println!("{}", serde_json::to_string_pretty(&h.jwks()).expect("json"));
        return exit::OK;
    }
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(code) => return code,
    };
    let listen = settings.listen;
    rt.block_on(async move {
        let listener = match tokio::net::TcpListener::bind(&listen).await {
            Ok(l) => l,
            Err(e) => {
                eprintln!("error: cannot listen on {listen}: {e}");
                return exit::RUNTIME;
            }
        };
        let bound = listener
            .local_addr()
            .map_or(listen.clone(), |a| a.to_string());
        eprintln!(
            "harness issuer {} serving metadata and JWKS on {bound}; Ctrl-C stops",
            h.issuer
        );
        let server = crate::harness::spawn(h, listener);
        let _ = tokio::signal::ctrl_c().await;
        server.abort();
        exit::OK
    })
}

fn load_library(dir: Option<&std::path::Path>) -> Result<Library, i32> {
    Library::load(dir).map_err(|e| {
        eprintln!("{e}");
        exit::INVALID_INPUT
    })
}

fn list(args: &ListArgs) -> i32 {
    let lib = match load_library(args.suites.as_deref()) {
        Ok(l) => l,
        Err(code) => return code,
    };
    print!(
        "{}",
        if args.requirements {
            requirements_listing(&lib)
        } else if args.profiles {
            profiles_listing(&lib)
        } else {
            suites_listing(&lib)
        }
    );
    exit::OK
}

/// One line per profile: `id\ttitle\tMUST n, SHOULD n, MAY n` (the default marked), so a
/// vendor sees which document and version each profile grades against and how strictly.
pub fn profiles_listing(lib: &Library) -> String {
    let default = lib.catalogue.default_profile().map(|p| p.id.clone());
    let mut out = String::new();
    for p in &lib.catalogue.profiles {
        let (must, should, may) = lib.catalogue.level_counts(&p.id);
        let mark = if default.as_deref() == Some(p.id.as_str()) {
            " (default)"
        } else {
            ""
        };
        out.push_str(&format!(
            "{}{mark}\t{}\tMUST {must}, SHOULD {should}, MAY {may}\n",
            p.id, p.title
        ));
    }
    out
}

/// One line per catalogue requirement: `ID\tsuite/case,suite/case`.
pub fn requirements_listing(lib: &Library) -> String {
    let mut out = String::new();
    for r in &lib.catalogue.requirements {
        let cases: Vec<String> = lib
            .suites
            .iter()
            .flat_map(|s| s.cases.iter().map(move |c| (s, c)))
            .filter(|(_, c)| {
                c.requirements.contains(&r.id) || c.checks.iter().any(|k| k.requirement == r.id)
            })
            .map(|(s, c)| format!("{}/{}", s.id, c.id))
            .collect();
        out.push_str(&format!("{}\t{}\n", r.id, cases.join(",")));
    }
    out
}

/// Suites, then their cases with requirement IDs and needed capabilities.
pub fn suites_listing(lib: &Library) -> String {
    let mut out = String::new();
    for s in &lib.suites {
        out.push_str(&format!(
            "{}  {}  ({} cases, {})\n",
            s.id,
            s.title,
            s.cases.len(),
            s.file.name
        ));
        for c in &s.cases {
            let needs: Vec<&str> = c.needs.iter().map(|n| n.name()).collect();
            let needs = if needs.is_empty() {
                String::new()
            } else {
                format!("  needs: {}", needs.join(", "))
            };
            out.push_str(&format!(
                "  {}/{}  {}  [{}]{needs}\n",
                s.id,
                c.id,
                c.title,
                c.requirements.join(", ")
            ));
        }
    }
    out
}

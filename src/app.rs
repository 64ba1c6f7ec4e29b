//! What each subcommand does, returning the process exit code (`exit.rs`). Everything the
//! user sees on stdout/stderr outside live progress is printed here.

use crate::cli::{Cli, Command, ListArgs, MergeArgs};
use crate::exit;
use crate::suite::load::Library;

/// Run a parsed command line; returns the exit code.
pub fn execute(cli: Cli) -> i32 {
    match cli.command {
        Command::List(args) => list(&args),
        Command::Run(args) => crate::run::command(args),
        Command::Init => {
            print!("{}", crate::target::TEMPLATE);
            exit::OK
        }
        Command::Issuer(args) => crate::harness::command(args),
        Command::Mock(args) => match tokio::runtime::Runtime::new() {
            Ok(rt) => rt.block_on(mock_as::cli::run(args)),
            Err(e) => {
                eprintln!("error: cannot start the async runtime: {e}");
                exit::RUNTIME
            }
        },
        Command::Fuzz(args) => match tokio::runtime::Runtime::new() {
            Ok(rt) => rt.block_on(crate::fuzz::run(args)),
            Err(e) => {
                eprintln!("error: cannot start the async runtime: {e}");
                exit::RUNTIME
            }
        },
        Command::Merge(args) => merge(&args),
    }
}

/// `chainproof merge`: one set of reports and one gate from partial runs' JSON reports. The
/// inputs were redacted when written, so no secrets are known here.
fn merge(args: &MergeArgs) -> i32 {
    let lib = match load_library(args.suites.as_deref()) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let merged =
        crate::merge::read(&args.inputs).and_then(|inputs| crate::merge::merge(&lib, inputs));
    match merged {
        Ok(result) => crate::run::finish(
            &result,
            &args.report,
            args.fail_on,
            &crate::report::Secrets::default(),
        ),
        Err(e) => {
            eprintln!("error: {e}");
            exit::INVALID_INPUT
        }
    }
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
        } else {
            suites_listing(&lib)
        }
    );
    exit::OK
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

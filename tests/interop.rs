//! The interop lab (`interop/README.md`): against a pair nobody here wrote (idpyoidc as AS-A,
//! Authlib as AS-B), chainproof's verdicts equal the ones `interop/expected.toml` says each case
//! deserves, reasoned from the specifications.
//!
//! Opt-in, because it installs packages from PyPI and starts servers:
//! `CHAINPROOF_INTEROP=1 cargo test --test interop -- --nocapture`. Without the variable it
//! prints a skip notice and passes. It prints the agreement figure and every disagreement; it
//! fails on a disagreement that `expected.toml` does not record as chainproof's known current
//! verdict (`today`), so a new false verdict is caught while known ones are being fixed. It also
//! fails on a case `expected.toml` does not judge (and on a judgement of a case chainproof no
//! longer has): every case must be reasoned about against the lab before the lab vouches for it.
//! The always-on well-formedness test only lists them, so adding a case never needs the lab.

use std::collections::BTreeMap;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;

mod common;

#[derive(serde::Deserialize)]
struct Expected {
    profile: String,
    case: BTreeMap<String, Deserved>,
}

#[derive(serde::Deserialize)]
struct Deserved {
    verdict: String,
    #[serde(default)]
    accept: Vec<String>,
    #[serde(default)]
    cite: Option<String>,
    #[serde(default)]
    why: Option<String>,
    /// What chainproof gives today where that differs (a known disagreement being fixed).
    #[serde(default)]
    today: Option<String>,
}

impl Deserved {
    fn agrees(&self, got: &str) -> bool {
        got == self.verdict || self.accept.iter().any(|a| a == got)
    }
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn load_expected() -> Expected {
    let path = root().join("interop/expected.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn script(name: &str, envs: &[(&str, &Path)], args: &[&str]) -> std::process::Output {
    Command::new("bash")
        .arg(root().join("interop").join(name))
        .args(args)
        .envs(envs.iter().map(|(k, v)| (*k, v.as_os_str())))
        .output()
        .unwrap_or_else(|e| panic!("interop/{name}: {e}"))
}

/// Every judgement in expected.toml is well formed, whether or not the lab runs. Cases nobody
/// has judged yet (new suites) and judgements of cases that no longer exist are listed as
/// notices, not failures: adding a case must not need the lab.
#[test]
fn expected_toml_is_well_formed() {
    let expected = load_expected();
    assert_eq!(expected.profile, "ic-17");
    let verdicts = ["pass", "fail", "warn", "info", "skip", "error", "blocked"];
    for (id, d) in &expected.case {
        for v in std::iter::once(&d.verdict).chain(&d.accept).chain(&d.today) {
            assert!(verdicts.contains(&v.as_str()), "{id}: unknown verdict {v}");
        }
        if ["fail", "warn", "info"].contains(&d.verdict.as_str()) {
            assert!(
                d.cite.is_some() && d.why.is_some(),
                "{id}: a {} needs cite and why",
                d.verdict
            );
        }
        if let Some(t) = &d.today {
            assert!(!d.agrees(t), "{id}: `today` {t} is not a disagreement");
        }
    }
    let out = Command::new(env!("CARGO_BIN_EXE_chainproof"))
        .arg("list")
        .output()
        .unwrap();
    let listed: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.starts_with("  ") && l.contains('/'))
        .filter_map(|l| l.split_whitespace().next().map(String::from))
        .collect();
    assert!(!listed.is_empty(), "chainproof list printed no cases");
    for id in listed.iter().filter(|id| !expected.case.contains_key(*id)) {
        eprintln!("notice: interop/expected.toml has no verdict for {id}");
    }
    for id in expected.case.keys().filter(|id| !listed.contains(id)) {
        eprintln!("notice: interop/expected.toml judges {id}, which chainproof no longer has");
    }
}

#[test]
fn chainproof_verdicts_equal_the_deserved_ones() {
    if std::env::var("CHAINPROOF_INTEROP").as_deref() != Ok("1") {
        eprintln!(
            "SKIP interop lab: set CHAINPROOF_INTEROP=1 to install idpyoidc and Authlib from PyPI \
             (interop/install.sh), start them and grade chainproof against interop/expected.toml"
        );
        return;
    }
    let expected = load_expected();
    let was_running = TcpStream::connect("127.0.0.1:9611").is_ok();
    for name in ["install.sh", "start.sh"] {
        let out = script(name, &[], &[]);
        assert!(
            out.status.success(),
            "interop/{name} failed:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_chainproof"));
    let out_dir = dir.path().to_str().unwrap();
    let run = script("run.sh", &[("CHAINPROOF", &bin)], &["--out", out_dir]);
    if !was_running {
        script("stop.sh", &[], &[]);
    }
    let report = common::read_report(
        &dir.path().join("report.json"),
        &[run.stdout.as_slice(), run.stderr.as_slice()].concat(),
    );
    let cases = common::by_case(&report, |c| {
        (
            c["verdict"].as_str().unwrap().to_string(),
            c["message"].as_str().unwrap_or("").to_string(),
        )
    });
    let mut agree = 0;
    let mut known = Vec::new();
    let mut new = Vec::new();
    let mut unjudged = Vec::new();
    for (id, (got, message)) in &cases {
        let got = got.as_str();
        let Some(d) = expected.case.get(id) else {
            unjudged.push(format!("{id}: {got}"));
            continue;
        };
        if d.agrees(got) {
            agree += 1;
            if let Some(t) = &d.today {
                eprintln!(
                    "FIXED {id}: now {got} (was {t}); drop `today` from interop/expected.toml"
                );
            }
            continue;
        }
        let line = format!(
            "{id}: chainproof {got}, deserved {}{} [{}] ({})",
            d.verdict,
            if d.accept.is_empty() {
                String::new()
            } else {
                format!(" or {}", d.accept.join("/"))
            },
            d.cite.as_deref().unwrap_or("-"),
            message
        );
        if d.today.as_deref() == Some(got) {
            known.push(line);
        } else {
            new.push(line);
        }
    }
    eprintln!(
        "interop agreement: {agree} of {} judged cases ({} not judged yet)",
        cases.len() - unjudged.len(),
        unjudged.len()
    );
    for l in &unjudged {
        eprintln!("  NOT JUDGED          {l}: add its deserved verdict to interop/expected.toml");
    }
    let stale: Vec<&String> = expected
        .case
        .keys()
        .filter(|id| !cases.contains_key(*id))
        .collect();
    for id in &stale {
        eprintln!(
            "  STALE               {id}: judged in interop/expected.toml, not run by chainproof"
        );
    }
    for l in &known {
        eprintln!("  known disagreement  {l}");
    }
    for l in &new {
        eprintln!("  NEW disagreement    {l}");
    }
    assert!(
        new.is_empty() && unjudged.is_empty() && stale.is_empty(),
        "interop/expected.toml: {} new disagreement(s), {} case(s) not judged, {} stale judgement(s)",
        new.len(),
        unjudged.len(),
        stale.len()
    );
}

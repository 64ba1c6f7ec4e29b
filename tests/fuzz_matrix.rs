//! The fuzz mutation matrix (issue 12): every mock fault says in its doc whether
//! `chainproof fuzz` can reach it (`/// fuzz: reachable by PREFIX, …`, the fuzz case ids that
//! must see it) or not (`/// fuzz: unreachable: REASON`). Each reachable fault is fuzzed with a
//! fixed seed and a bounded number of cases, and must yield a finding or observation citing
//! one of the fault's requirement IDs at the level the suites give it. A new fault without a
//! marker fails `every_fault_takes_a_side`.

use chainproof::fuzz::{self, FuzzOptions};
use chainproof::report::ReportOptions;
use chainproof::verdict::Level;
use mock_as::Fault;
use std::collections::BTreeMap;

const FAULT_SOURCE: &str = include_str!("../mock-as/src/fault.rs");

#[derive(Debug, Clone, PartialEq)]
enum Reach {
    /// Fuzz case-id prefixes (`exchange-token-for-invalid`, …) of which one must fire.
    Reachable(Vec<String>),
    Unreachable(String),
}

/// Each fault's `/// fuzz:` doc line, by fault name.
fn markers() -> BTreeMap<String, Reach> {
    let mut out = BTreeMap::new();
    let mut pending: Option<Reach> = None;
    for line in FAULT_SOURCE.lines() {
        let t = line.trim();
        if let Some(rest) = t.strip_prefix("/// fuzz: ") {
            pending = Some(if let Some(r) = rest.strip_prefix("reachable by ") {
                Reach::Reachable(r.split(',').map(|x| x.trim().to_string()).collect())
            } else if let Some(r) = rest.strip_prefix("unreachable: ") {
                Reach::Unreachable(r.trim().to_string())
            } else {
                panic!("malformed fuzz marker: {t}")
            });
            continue;
        }
        if t.starts_with("///") {
            continue;
        }
        // `Variant = "name", [...], "...";`
        if let Some((_, rest)) = t.split_once(" = \"")
            && let Some((name, _)) = rest.split_once('"')
            && let Some(reach) = pending.take()
        {
            out.insert(name.to_string(), reach);
        }
    }
    out
}

#[test]
fn every_fault_takes_a_side() {
    let m = markers();
    let missing: Vec<&str> = Fault::ALL
        .iter()
        .map(|f| f.name())
        .filter(|n| !m.contains_key(*n))
        .collect();
    assert!(
        missing.is_empty(),
        "faults without a `/// fuzz: reachable by …` or `/// fuzz: unreachable: …` doc line \
         in mock-as/src/fault.rs: {missing:?}"
    );
    for (name, reach) in &m {
        match reach {
            Reach::Reachable(p) => assert!(!p.is_empty(), "{name}: no oracle named"),
            Reach::Unreachable(why) => assert!(why.len() > 10, "{name}: give a reason"),
        }
    }
}

/// The suites' level for `id` in ic-17 (a `prefer` check, as for Pragma, warns at most).
fn suites_level(id: &str, case: &str) -> Level {
    let lib = chainproof::suite::load::Library::load(None).unwrap();
    let level = lib.catalogue.level(id, "ic-17").unwrap();
    if case.contains("token-pragma") {
        level.min(Level::Should)
    } else {
        level
    }
}

/// Cases per fault: enough for every reachable fault with seed 1, small enough that the whole
/// matrix stays a few minutes on two cores.
const CASES: u64 = 1500;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fuzz_finds_every_reachable_fault() {
    let m = markers();
    let mut missed = Vec::new();
    let mut caught = 0;
    for fault in Fault::ALL {
        let Some(Reach::Reachable(prefixes)) = m.get(fault.name()) else {
            continue;
        };
        let dir = tempfile::tempdir().unwrap();
        let args = FuzzOptions {
            cases: CASES,
            seed: Some(1),
            mock_faults: vec![*fault],
            report: ReportOptions {
                out: dir.path().to_path_buf(),
                ..ReportOptions::default()
            },
            ..FuzzOptions::default()
        };
        fuzz::run(args).await;
        let report: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(dir.path().join("report.json")).unwrap())
                .unwrap();
        let hit = report["cases"].as_array().unwrap().iter().any(|c| {
            let id = c["case"].as_str().unwrap_or("");
            let verdict = c["verdict"].as_str().unwrap_or("");
            prefixes.iter().any(|p| id.starts_with(p.as_str()))
                && !matches!(verdict, "pass" | "skip")
                && c["requirements"].as_array().unwrap().iter().any(|r| {
                    let r = r.as_str().unwrap();
                    fault.requirements().contains(&r)
                        && suites_level(r, id).failure_verdict().as_str() == verdict
                })
        });
        if hit {
            caught += 1;
        } else {
            let seen: Vec<String> = report["cases"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|c| !matches!(c["verdict"].as_str(), Some("pass" | "skip")))
                .map(|c| format!("{} {} {}", c["case"], c["verdict"], c["requirements"]))
                .collect();
            missed.push(format!("{fault} ({prefixes:?}): saw {seen:?}"));
        }
    }
    assert!(
        missed.is_empty(),
        "{} reachable faults caught, missed:\n{}",
        caught,
        missed.join("\n")
    );
    eprintln!("fuzz mutation matrix: {caught} reachable faults, all caught");
}

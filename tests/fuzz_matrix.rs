//! The fuzz mutation matrix (issue 12): every mock fault says in its doc whether
//! `chainproof fuzz` can reach it (`/// fuzz: reachable by PREFIX, …`, the fuzz case ids that
//! must see it) or not (`/// fuzz: unreachable: REASON`). Each reachable fault is fuzzed with a
//! fixed seed and a bounded number of cases, and must yield a finding or observation citing
//! one of the fault's requirement IDs at the level the suites give it. A new fault without a
//! marker fails `every_fault_takes_a_side`.

use chainproof::fuzz::{self, FuzzOptions};
use chainproof::report::ReportOptions;
use chainproof::verdict::Level;
use mock_as::{Fault, Variant};
use std::collections::{BTreeMap, VecDeque};
use std::path::Path;
use std::sync::Mutex;

mod common;

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
        let report = common::report_in(dir.path());
        let hit = common::cases(&report).iter().any(|c| {
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
            let seen: Vec<String> = common::cases(&report)
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

/// Fuzz runs going at once in the variant matrix (each is its own process with its own mock
/// pair; two cores, and the runs mostly wait on loopback I/O).
const PARALLEL_RUNS: usize = 3;

/// Servers that differ from the mock in several allowed ways the fuzzer sees at once: a
/// strict, terse AS-B with clock leeway, and invalid_request for unknown targets.
const VARIANT_COMBINATIONS: &[&[Variant]] = &[&[
    Variant::AsBRequiresClientAuth,
    Variant::NoErrorDescription,
    Variant::InvalidClient400WithoutHeader,
    Variant::Leeway60,
    Variant::InvalidRequestForUnknownTarget,
]];

/// One `chainproof fuzz` process against the embedded pair with `variants` on; its JSON
/// report and exit code.
fn fuzz_with_variants(
    variants: &[Variant],
    out: &Path,
) -> Result<(serde_json::Value, i32), String> {
    let json = out.join("report.json");
    let mut cmd = assert_cmd::Command::cargo_bin("chainproof").unwrap();
    cmd.args(["fuzz", "--seed", "1", "--cases", &CASES.to_string()])
        .arg("--out")
        .arg(out)
        .arg("--json")
        .arg(&json);
    for v in variants {
        cmd.args(["--mock-variant", v.name()]);
    }
    cmd.timeout(std::time::Duration::from_secs(300));
    let output = cmd.output().map_err(|e| e.to_string())?;
    let report = common::try_read_report(&json).map_err(|e| {
        format!(
            "{e}; exit {:?}; stderr:\n{}",
            output.status.code(),
            String::from_utf8_lossy(&output.stderr)
        )
    })?;
    Ok((report, output.status.code().unwrap_or(-1)))
}

/// What a fuzz run against a legal variant may not show: a `fail` or `error` case, or a
/// `warn` the suites do not give the same variant. A warn is accepted only where the variant
/// names suite cases that may warn (a spec text prefers the default behaviour, e.g. RFC 6749
/// §5.1's `Pragma`, which RFC 9111 §5.4 deprecates) and the fuzz case cites one of the
/// variant's requirement IDs: one behaviour, one grade.
fn variant_problems(variants: &[Variant], report: &serde_json::Value) -> Vec<String> {
    let warn_ids: Vec<&str> = variants
        .iter()
        .filter(|v| !v.expected_warns().is_empty())
        .flat_map(|v| v.requirements().iter().copied())
        .collect();
    let mut problems = Vec::new();
    for c in common::cases(report) {
        let verdict = c["verdict"].as_str().unwrap_or("");
        let cites_warned = c["requirements"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| warn_ids.contains(&r.as_str().unwrap_or("")));
        let ok = match verdict {
            "pass" | "info" => true,
            "skip" => !c["message"].as_str().unwrap_or("").trim().is_empty(),
            "warn" => cites_warned,
            _ => false,
        };
        if !ok {
            problems.push(format!(
                "{} is {verdict} [{}]: {}",
                c["case"].as_str().unwrap_or("?"),
                c["requirements"],
                c["message"].as_str().unwrap_or("")
            ));
        }
    }
    problems
}

/// The fuzz variant matrix (issue 12, item 4): under every legal variant of the mock alone,
/// and a combination, the same fuzz run as the mutation matrix's (seed 1, `CASES` cases)
/// finds nothing the suites would not also say. The fuzzer's oracles must accept what the
/// specs allow, as the suites must (`tests/variant_matrix.rs`).
#[test]
fn fuzz_variant_matrix() {
    // The fuzzer drives the identity-chaining mode: the variants that mode allows.
    let mut runs: Vec<Vec<Variant>> = Variant::ALL
        .iter()
        .filter(|v| v.legal_in(mock_as::MockProfile::IdentityChaining))
        .map(|v| vec![*v])
        .collect();
    runs.extend(VARIANT_COMBINATIONS.iter().map(|c| c.to_vec()));
    let root = tempfile::tempdir().unwrap();
    let queue = Mutex::new(runs.into_iter().collect::<VecDeque<_>>());
    let problems = Mutex::new(Vec::new());
    let started = std::time::Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..PARALLEL_RUNS {
            scope.spawn(|| {
                loop {
                    let next = queue.lock().unwrap().pop_front();
                    let Some(variants) = next else { break };
                    let label: Vec<&str> = variants.iter().map(|v| v.name()).collect();
                    let label = label.join("+");
                    let found = match fuzz_with_variants(&variants, &root.path().join(&label)) {
                        // Warnings alone never trip the default `--fail-on fail`.
                        Ok((report, code)) => {
                            let mut p = variant_problems(&variants, &report);
                            if code != 0 {
                                p.push(format!("exit code {code}"));
                            }
                            p
                        }
                        Err(e) => vec![e],
                    };
                    problems
                        .lock()
                        .unwrap()
                        .extend(found.into_iter().map(|p| format!("{label}: {p}")));
                }
            });
        }
    });
    let problems = problems.into_inner().unwrap();
    assert!(
        problems.is_empty(),
        "{} fuzz verdicts wrong on conformant variants:\n{}",
        problems.len(),
        problems.join("\n")
    );
    eprintln!(
        "fuzz variant matrix: {} variants and {} combination(s): 0 fail, 0 error, warnings \
         only where the suites warn too, in {:.0?}",
        Variant::ALL
            .iter()
            .filter(|v| v.legal_in(mock_as::MockProfile::IdentityChaining))
            .count(),
        VARIANT_COMBINATIONS.len(),
        started.elapsed()
    );
}

/// One behaviour seen by a suite case and by the fuzzer: the mock fault that shows it, the
/// suite case and the fuzz case that must both flag it, and the requirement both must cite.
struct Behaviour {
    fault: Fault,
    suite_case: &'static str,
    fuzz_case: &'static str,
    requirement: &'static str,
}

/// The accepted wrong client secret (the example), a wrong error code at AS-A, an
/// expired grant redeemed at AS-B, and a token response without `Cache-Control: no-store`.
/// (A missing `Pragma` is a legal variant, not a fault: `tests/fuzz_faults.rs` shows the
/// fuzzer warns on it as the suites do.)
const ONE_BEHAVIOUR: &[Behaviour] = &[
    Behaviour {
        fault: Fault::IgnoreClientSecretAtAsA,
        suite_case: "client-binding/exchange-wrong-client-secret",
        fuzz_case: "fuzz/exchange-token-for-invalid-ic-te-23",
        requirement: "IC-TE-23",
    },
    Behaviour {
        fault: Fault::SubjectTokenErrorInvalidGrant,
        suite_case: "token-exchange/garbage-subject-token",
        fuzz_case: "fuzz/exchange-error-code-ic-te-06",
        requirement: "IC-TE-06",
    },
    Behaviour {
        fault: Fault::AcceptExpired,
        suite_case: "replay/expired-grant-forged",
        fuzz_case: "fuzz/assertion-token-for-invalid-ic-jb-03i",
        requirement: "IC-JB-03i",
    },
    Behaviour {
        fault: Fault::NoCacheControl,
        suite_case: "token-exchange/success-response-shape",
        fuzz_case: "fuzz/exchange-token-cache-control",
        requirement: "IC-TE-21",
    },
];

/// `chainproof run|fuzz --mock-fault F --json …`: the JSON report.
fn report_under(command: &str, fault: Fault, out: &Path) -> serde_json::Value {
    let json = out.join("report.json");
    let mut cmd = assert_cmd::Command::cargo_bin("chainproof").unwrap();
    cmd.arg(command);
    if command == "fuzz" {
        cmd.args(["--seed", "1", "--cases", &CASES.to_string()]);
    } else {
        cmd.args(["--progress", "none"]);
    }
    cmd.args(["--mock-fault", fault.name()])
        .arg("--out")
        .arg(out)
        .arg("--json")
        .arg(&json)
        .timeout(std::time::Duration::from_secs(300));
    let output = cmd.output().unwrap();
    common::read_report(
        &json,
        format!(
            "chainproof {command} --mock-fault {fault}: {}",
            String::from_utf8_lossy(&output.stderr)
        )
        .as_bytes(),
    )
}

/// (party, level, verdict) of every non-passing check of `report` citing `requirement`, by
/// `suite/case`.
fn grades(report: &serde_json::Value, requirement: &str) -> BTreeMap<String, Vec<[String; 3]>> {
    let s = |v: &serde_json::Value| v.as_str().unwrap_or("").to_string();
    let mut out: BTreeMap<String, Vec<[String; 3]>> = BTreeMap::new();
    for c in common::cases(report) {
        for k in c["checks"].as_array().unwrap() {
            if k["requirement"] == requirement && !matches!(k["verdict"].as_str(), Some("pass")) {
                out.entry(format!("{}/{}", s(&c["suite"]), s(&c["case"])))
                    .or_default()
                    .push([s(&c["party"]), s(&k["level"]), s(&k["verdict"])]);
            }
        }
    }
    out
}

/// What the issue asks of one set of levels: one behaviour gets the same requirement, party,
/// level and verdict from the suites (`chainproof run`) and from the fuzzer (`chainproof
/// fuzz`), both reading the catalogue's levels for the active profile. Beyond the named
/// pair, no requirement the fault breaks gets another grade from the fuzzer than from any
/// suite check that flags it.
#[test]
fn suites_and_fuzzer_grade_one_behaviour_alike() {
    let root = tempfile::tempdir().unwrap();
    let jobs: Vec<(usize, &str)> = (0..ONE_BEHAVIOUR.len())
        .flat_map(|i| [(i, "run"), (i, "fuzz")])
        .collect();
    let queue = Mutex::new(jobs.into_iter().collect::<VecDeque<_>>());
    let reports = Mutex::new(BTreeMap::new());
    std::thread::scope(|scope| {
        for _ in 0..PARALLEL_RUNS {
            scope.spawn(|| {
                loop {
                    let next = queue.lock().unwrap().pop_front();
                    let Some((i, command)) = next else { break };
                    let fault = ONE_BEHAVIOUR[i].fault;
                    let out = root.path().join(format!("{command}-{fault}"));
                    let report = report_under(command, fault, &out);
                    reports.lock().unwrap().insert((i, command), report);
                }
            });
        }
    });
    let reports = reports.into_inner().unwrap();
    let mut problems = Vec::new();
    for (i, b) in ONE_BEHAVIOUR.iter().enumerate() {
        let suites = grades(&reports[&(i, "run")], b.requirement);
        let fuzz = grades(&reports[&(i, "fuzz")], b.requirement);
        let named = |side: &BTreeMap<String, Vec<[String; 3]>>, case: &str| {
            side.get(case).and_then(|g| g.first()).cloned()
        };
        match (named(&suites, b.suite_case), named(&fuzz, b.fuzz_case)) {
            (Some(s), Some(f)) if s == f => {}
            (s, f) => problems.push(format!(
                "{}: {} gives {s:?}, {} gives {f:?} for {}",
                b.fault, b.suite_case, b.fuzz_case, b.requirement
            )),
        }
        for fault_req in b.fault.requirements() {
            let suites = grades(&reports[&(i, "run")], fault_req);
            let fuzz = grades(&reports[&(i, "fuzz")], fault_req);
            if suites.is_empty() {
                continue;
            }
            let suite_grades: Vec<&[String; 3]> = suites.values().flatten().collect();
            for (case, g) in &fuzz {
                for grade in g {
                    if !suite_grades.contains(&grade) {
                        problems.push(format!(
                            "{}: {case} grades {fault_req} {grade:?}; the suites: {suites:?}",
                            b.fault
                        ));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

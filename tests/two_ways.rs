//! Two ways to break every rule (issue 8 item 5): for each requirement the ic-17 suites grade
//! (a BB, BB+F or HI row cited by a case or a check), count the mock faults that cite it. A
//! requirement with fewer than two must be listed here: in `NO_SECOND_WAY` with the reason a
//! second, distinct violation does not exist, or in `SECOND_WAY_NOT_BUILT` naming the second
//! way a fault still has to show (a ratchet: entries leave as faults arrive, never join
//! silently). The mutation matrix then proves every fault is caught at its requirement.

use mock_as::Fault;
use std::collections::{BTreeMap, BTreeSet};

/// Requirements for which one fault is all there is, and why.
const NO_SECOND_WAY: &[(&str, &str)] = &[
    (
        "TX8693-03",
        "a MAY (RFC 8693 §1.1): the one observable is a delegation token without act, reported as info",
    ),
    (
        "TX8693-06",
        "a MAY (RFC 8693 §4.1 \"can\"): the one observable is a chain whose prior actors were dropped",
    ),
    (
        "TX8693-11",
        "one comparison (issued sub against the subject token's sub): any other sub is the same observation",
    ),
    (
        "IC-TE-16",
        "the only violation is a refresh_token member beside the grant; there is no other way to issue one",
    ),
    (
        "IC-SC-04",
        "the only violation is a refresh_token member in AS-B's jwt-bearer response",
    ),
    (
        "IC-TE-12",
        "any token_type other than N_A is the same defect; an absent token_type is IC-TE-11's",
    ),
    (
        "IDJAG-12",
        "the only violation is a refresh_token member in the resource AS's answer to an ID-JAG",
    ),
    (
        "ENA-P-12",
        "the only violation is a refresh_token member in the answer to a grant without a user; client credentials is the one such grant a target offers the harness",
    ),
    (
        "IDJAG-09",
        "a RECOMMENDED presence (email and/or aud_sub): the one observable is an ID-JAG with neither",
    ),
    (
        "IDJAG-01",
        "the one server-side breach is refusing requested_token_type id-jag; what an IdP issues for another or no requested type is RFC 8693's latitude (the catalogue reports it, INFO)",
    ),
];

/// Requirements with one fault (or none) although a distinct second violation exists: the
/// second way each still needs as a fault (and, where no case sees it, a case).
const SECOND_WAY_NOT_BUILT: &[(&str, &str)] = &[
    (
        "DPOP-03",
        "bind-to-stale-proof-key binds without a proof. The suggested second way (AS-B announces Bearer for a bound token) is the very observation dpop-token-type-bearer makes and IC-AT-07 grades; citing it at DPOP-03 too would charge one failure twice. The distinct DPOP-03 rule left (a client registered with dpop_bound_access_tokens = true is refused without a proof, RFC 9449 §5) needs such a client, a fixture the target format does not have yet",
    ),
    (
        "IC-MD-09",
        "RS-B's resource_metadata points at a URL that serves no metadata. Still to build in the harness: a query segment reading an auth-param of a WWW-Authenticate challenge (RFC 9110 §11.2) and a request step to an absolute URL taken from an earlier response, graded only where RS-B advertises resource_metadata (RFC 9728 §5.1 is a MAY)",
    ),
    (
        "ENA-TX-12",
        "AS-A issues a same-domain token with a scope the requester holds but that belongs to another API (not relevant to the target); needs a per-API scope fixture",
    ),
];

/// The requirements the default-profile suites grade: cited by a case or named by a check,
/// and black-box, black-box-with-fixtures or harness-issuer testable in the catalogue.
fn graded() -> BTreeSet<String> {
    let lib = chainproof::suite::load::Library::load(None).expect("suites load");
    let mut cited = BTreeSet::new();
    for suite in &lib.suites {
        for case in &suite.cases {
            cited.extend(case.requirements.iter().cloned());
            cited.extend(case.checks.iter().map(|c| c.requirement.clone()));
        }
    }
    cited
        .into_iter()
        .filter(|id| {
            lib.catalogue.requirement(id).is_some_and(|r| {
                r.testing
                    .split('/')
                    .any(|t| matches!(t.trim(), "BB" | "BB+F" | "HI"))
            })
        })
        .collect()
}

fn faults_by_requirement() -> BTreeMap<&'static str, Vec<&'static str>> {
    let mut out: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for f in Fault::ALL {
        for r in f.requirements() {
            out.entry(*r).or_default().push(f.name());
        }
    }
    out
}

#[test]
fn every_graded_requirement_has_two_faults_or_a_reason() {
    let graded = graded();
    let faults = faults_by_requirement();
    let listed = |list: &[(&str, &str)], id: &str| list.iter().any(|(r, _)| *r == id);
    let mut problems = Vec::new();
    let mut two = 0;
    for id in &graded {
        let n = faults.get(id.as_str()).map_or(0, Vec::len);
        eprintln!(
            "{id:10} {n}  {}",
            faults
                .get(id.as_str())
                .map(|v| v.join(" "))
                .unwrap_or_default()
        );
        if n >= 2 {
            two += 1;
            // A stale entry is only reported: others add faults in parallel, and a second
            // fault arriving must not turn main red.
            if listed(NO_SECOND_WAY, id) || listed(SECOND_WAY_NOT_BUILT, id) {
                eprintln!("note: {id} has {n} faults now; remove it from its list");
            }
        } else if !listed(NO_SECOND_WAY, id) && !listed(SECOND_WAY_NOT_BUILT, id) {
            problems.push(format!(
                "{id} has {n} fault(s): add a second distinct fault, or list it with the reason"
            ));
        }
    }
    for (id, why) in NO_SECOND_WAY.iter().chain(SECOND_WAY_NOT_BUILT) {
        if !graded.contains(*id) {
            problems.push(format!("{id} is listed but no suite grades it"));
        }
        if why.trim().len() < 10 {
            problems.push(format!("{id}: say why in a sentence"));
        }
    }
    eprintln!(
        "two ways: {two} of {} graded requirements have two or more faults; {} have one by nature; {} await a second",
        graded.len(),
        NO_SECOND_WAY.len(),
        SECOND_WAY_NOT_BUILT.len()
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

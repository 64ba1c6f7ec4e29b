//! The command line through the real binary: usage errors exit 64, `init` prints the
//! example target, `list --requirements` covers the catalogue, the harness key is stable,
//! and an interrupted run still writes a report with the unfinished cases marked.

use assert_cmd::cargo::CommandCargoExt;
use serde_json::Value;
use std::process::{Command, Output};

mod common;

fn chainproof(args: &[&str]) -> Output {
    Command::cargo_bin("chainproof")
        .unwrap()
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn usage_errors_exit_64() {
    for args in [
        &["bogus"][..],
        &["run", "--jobs", "0"],
        &["run", "--fail-on", "sometimes"],
        &["issuer"],
        &[],
    ] {
        let out = chainproof(args);
        assert_eq!(
            out.status.code(),
            Some(64),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    for cmd in ["run", "fuzz"] {
        let out = chainproof(&[cmd, "--profile", "ic-99"]);
        assert_eq!(out.status.code(), Some(64), "{cmd}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("unknown profile `ic-99`"), "{cmd}: {err}");
        // The error lists the valid names.
        for known in ["ic-17", "ic-14", "ic-01", "id-jag"] {
            assert!(err.contains(known), "{cmd}: {err}");
        }
    }
    let out = chainproof(&["run", "--mock-fault", "no-such-fault"]);
    assert_eq!(out.status.code(), Some(64));
    assert_eq!(chainproof(&["--help"]).status.code(), Some(0));
}

#[test]
fn init_prints_the_example_target() {
    let out = chainproof(&["init"]);
    assert_eq!(out.status.code(), Some(0));
    let example = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/target.example.toml"
    ))
    .unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), example);
}

#[test]
fn list_requirements_has_one_line_per_catalogue_id() {
    let out = chainproof(&["list", "--requirements"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    let lib = chainproof::suite::load::Library::load(None).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), lib.catalogue.requirements.len());
    for (line, req) in lines.iter().zip(&lib.catalogue.requirements) {
        let (id, cases) = line.split_once('\t').expect("ID, tab, cases");
        assert_eq!(id, req.id);
        for c in cases.split(',').filter(|c| !c.is_empty()) {
            let (suite, case) = c.split_once('/').unwrap();
            assert!(
                lib.suite(suite).unwrap().cases.iter().any(|x| x.id == case),
                "{c}"
            );
        }
    }
}

#[test]
fn issuer_jwks_is_stable_across_runs_and_public_only() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("t.toml");
    std::fs::write(
        &target,
        "[as_a]\nkind = \"mock\"\n[as_b]\nkind = \"mock\"\n[harness]\nenabled = true\nissuer = \"http://127.0.0.1:9400\"\nkey_file = \"keys/h.pem\"\n",
    )
    .unwrap();
    let t = target.to_str().unwrap();
    let a = chainproof(&["issuer", "--jwks", "--target", t]);
    let b = chainproof(&["issuer", "--jwks", "--target", t]);
    assert_eq!(
        a.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&a.stderr)
    );
    assert_eq!(a.stdout, b.stdout);
    assert!(
        dir.path().join("keys/h.pem").exists(),
        "key file is created beside the target"
    );
    let jwks: Value = serde_json::from_slice(&a.stdout).unwrap();
    let key = &jwks["keys"][0];
    assert_eq!(key["crv"], "P-256");
    assert!(key.get("d").is_none());
}

#[test]
fn deadline_interrupts_and_still_reports() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("r");
    let out = Command::cargo_bin("chainproof")
        .unwrap()
        .args([
            "run",
            "--progress",
            "plain",
            "--suite",
            "replay",
            "--deadline",
            "2s",
            "--out",
        ])
        .arg(&out_dir)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let report = common::read_report(&out_dir.join("report.json"), &out.stderr);
    assert_eq!(report["interrupted"], true);
    let cases = common::cases(&report);
    let waiting = common::case(&report, "expired-grant-by-waiting");
    assert_eq!(waiting["verdict"], "error");
    assert_eq!(waiting["not_run"], true);
    assert!(waiting["message"].as_str().unwrap().contains("interrupted"));
    assert!(
        cases.iter().any(|c| c["verdict"] == "pass"),
        "fast cases finished while the slow one waited"
    );
}

#[test]
fn list_profiles_shows_source_version_and_level_counts() {
    let out = chainproof(&["list", "--profiles"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    let line = |id: &str| {
        text.lines()
            .find(|l| {
                l.split('\t')
                    .next()
                    .is_some_and(|f| f.split(' ').next() == Some(id))
            })
            .unwrap_or_else(|| panic!("no line for {id}: {text}"))
            .to_string()
    };
    assert!(line("ic-17").starts_with("ic-17 (default)\t"), "{text}");
    let jag = line("id-jag");
    let fields: Vec<&str> = jag.split('\t').collect();
    assert_eq!(fields.len(), 3, "{jag}");
    // The title names the draft version its rows were read from (-03; -06 was not available).
    assert!(
        fields[1].contains("identity-assertion-authz-grant-03"),
        "{jag}"
    );
    let counts: Vec<usize> = fields[2]
        .split(", ")
        .map(|c| c.rsplit(' ').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(counts.len(), 3, "{jag}");
    assert!(counts.iter().all(|&n| n > 0), "{jag}");
    // The counts are the catalogue's: id-jag judges fewer rows than ic-17 plus its own.
    let lib = chainproof::suite::load::Library::load(None).unwrap();
    let (must, should, may) = lib.catalogue.level_counts("id-jag");
    assert_eq!(counts, vec![must, should, may]);
    assert!(lib.catalogue.level("IC-TE-13", "id-jag").is_none());
    assert!(lib.catalogue.level("IDJAG-07", "ic-17").is_none());
}

//! `run --partition` and `merge` end to end against the embedded mock: parts 1/3, 2/3 and 3/3
//! (count and hash schemes) cover every case of a whole run exactly once, and merging the three
//! JSON reports gives the whole run's summary, every report format, and the gate's exit code.

use assert_cmd::Command;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

mod common;

fn run(dir: &Path, label: &str, partition: Option<&str>) -> Value {
    let json = dir.join(format!("{label}.json"));
    let mut cmd = Command::cargo_bin("chainproof").unwrap();
    cmd.args(["run", "--progress", "none", "--out"])
        .arg(dir.join(label))
        .arg("--json")
        .arg(&json);
    if let Some(p) = partition {
        cmd.args(["--partition", p]);
    }
    let out = cmd
        .timeout(std::time::Duration::from_secs(300))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{label}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    common::read_report(&json, &out.stderr)
}

fn ids(report: &Value) -> Vec<String> {
    common::cases(report).iter().map(common::case_id).collect()
}

#[test]
fn partitions_cover_every_case_once_and_merge_to_the_whole_run() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Every run at once: each waits a few seconds for the expiry cases.
    let mut labels = vec![("whole".to_string(), None)];
    for scheme in ["count", "hash"] {
        for i in 1..=3 {
            labels.push((format!("{scheme}-{i}"), Some(format!("{scheme}:{i}/3"))));
        }
    }
    let reports: BTreeMap<String, Value> = std::thread::scope(|s| {
        let handles: Vec<_> = labels
            .iter()
            .map(|(label, p)| s.spawn(move || (label.clone(), run(d, label, p.as_deref()))))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let whole = &reports["whole"];
    let mut all = ids(whole);
    all.sort();
    assert!(all.len() >= 50);

    for scheme in ["count", "hash"] {
        let mut seen: BTreeMap<String, usize> = BTreeMap::new();
        for i in 1..=3 {
            let part = &reports[&format!("{scheme}-{i}")];
            assert_eq!(part["partition"], format!("{scheme}:{i}/3"));
            for id in ids(part) {
                *seen.entry(id).or_default() += 1;
            }
        }
        assert_eq!(seen.keys().cloned().collect::<Vec<_>>(), all, "{scheme}");
        assert!(seen.values().all(|&n| n == 1), "{scheme}: {seen:?}");

        let out = d.join(format!("merged-{scheme}"));
        let merged = Command::cargo_bin("chainproof")
            .unwrap()
            .arg("merge")
            .args((1..=3).map(|i| d.join(format!("{scheme}-{i}.json"))))
            .arg("--out")
            .arg(&out)
            .output()
            .unwrap();
        assert_eq!(
            merged.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&merged.stderr)
        );
        for f in ["report.json", "junit.xml", "report.html", "summary.md"] {
            assert!(out.join(f).is_file(), "merge wrote no {f}");
        }
        let m = common::read_report(&out.join("report.json"), &merged.stderr);
        assert_eq!(m["summary"], whole["summary"], "{scheme}");
        assert_eq!(m["parties"], whole["parties"], "{scheme}");
        assert_eq!(ids(&m), ids(whole), "{scheme}: the whole run's case order");
        assert_eq!(
            m["requirements"].as_array().unwrap().len(),
            whole["requirements"].as_array().unwrap().len()
        );
        assert!(m.get("partition").is_none());
    }

    // Two of three parts: refused, naming the missing one (exit 3).
    let gap = Command::cargo_bin("chainproof")
        .unwrap()
        .arg("merge")
        .arg(d.join("hash-1.json"))
        .arg(d.join("hash-3.json"))
        .arg("--out")
        .arg(d.join("gap"))
        .output()
        .unwrap();
    assert_eq!(gap.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&gap.stderr).contains("missing hash:2/3"));
}

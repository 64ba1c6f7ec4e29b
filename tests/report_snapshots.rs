//! Snapshots of every report format for the fixed sample run, gated with an expectation file
//! and a baseline (the fixture's dates and durations are fixed; temporary paths are filtered).

mod report_common;

use chainproof::report::{self, GateOptions};
use chainproof::run_result::Summary;
use chainproof::verdict::{FailOn, Verdict};
use report_common::*;

struct Written {
    dir: tempfile::TempDir,
    gate_summary: String,
}

fn write() -> Written {
    let dir = tempfile::tempdir().unwrap();
    let mut old = sample_run();
    old.interrupted = false;
    for c in &mut old.cases {
        if c.full_id() == "jwt-bearer/foreign-aud-rejected" {
            c.verdict = Verdict::Pass;
        }
        c.not_run = false;
    }
    old.summary = Summary::of(old.cases.iter().map(|c| &c.verdict));
    report::write_all(&old, &args_in(&dir.path().join("old")), &secrets()).unwrap();
    let expect = dir.path().join("known.toml");
    std::fs::write(
        &expect,
        "[[expect]]\ncase = \"aud-restrictions/grant-aud-single\"\nreason = \"vendor ticket 1234: aud is an array until 5.2\"\n\n[[expect]]\ncase = \"token-exchange/no-store\"\nreason = \"fixed in 5.1\"\n",
    )
    .unwrap();
    let args = args_in(&dir.path().join("new"));
    let options = GateOptions {
        fail_on: FailOn::Warn,
        baseline: Some(dir.path().join("old/report.json")),
        expect: Some(expect),
        ..GateOptions::default()
    };
    let gate = report::gate(&sample_run(), &options, &args, &secrets()).unwrap();
    report::write_reports(&sample_run(), &args, &secrets(), Some(&gate)).unwrap();
    Written {
        dir,
        gate_summary: gate.summary,
    }
}

fn read(w: &Written, name: &str) -> String {
    std::fs::read_to_string(w.dir.path().join("new").join(name)).unwrap()
}

macro_rules! snapshot {
    ($w:expr, $name:expr, $text:expr) => {{
        let tmp = $w.dir.path().display().to_string();
        insta::with_settings!({
            filters => vec![
                (regex::escape(&tmp).leak() as &str, "[TMP]"),
                (r"(?:&#x2f;|/)[^ ,<>]*\.tmp[A-Za-z0-9]+", "[TMP]"),
                (r"(?s)<style>.*?</style>", "<style>[report.css]</style>"),
                (r"(?s)<script>.*?</script>", "<script>[report.js]</script>"),
                (r"'sha256-[A-Za-z0-9+/=]+'", "'sha256-[hash]'"),
            ],
            prepend_module_to_snapshot => false,
        }, {
            insta::assert_snapshot!($name, $text);
        });
    }};
}

#[test]
fn every_format() {
    let w = write();
    snapshot!(w, "report_json", read(&w, "report.json"));
    snapshot!(w, "report_junit", read(&w, "junit.xml"));
    snapshot!(w, "report_markdown", read(&w, "summary.md"));
    snapshot!(w, "report_html", read(&w, "report.html"));
    snapshot!(w, "report_gate_summary", w.gate_summary.clone());
}

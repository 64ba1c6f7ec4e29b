//! The README's GitHub Actions workflow works as written: its `run:` lines are extracted and run
//! locally with bash, the `part` job once per matrix value, then the `merge` job. The actions
//! are played by the shell: checkout is this folder, upload/download-artifact is one shared
//! `parts/` folder, and `cargo install --path .` is the freshly built binary first on PATH
//! (installing would rebuild in release; the embedding it relies on is shown by running the
//! binary from a folder without `suites/`).

use std::path::Path;
use std::process::Command;

mod common;

/// The `run:` lines of each job, in order.
fn jobs(yaml: &str) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for line in yaml.lines() {
        let indent = line.len() - line.trim_start().len();
        let t = line.trim();
        if indent == 2 && t.ends_with(':') {
            out.push((t.trim_end_matches(':').to_string(), Vec::new()));
        } else if let Some(cmd) = t.strip_prefix("- run: ") {
            out.last_mut().expect("a job").1.push(cmd.to_string());
        }
    }
    out
}

fn bash(dir: &Path, script: &str) {
    let path = common::path_with_chainproof();
    let out = Command::new("bash")
        .args(["-euo", "pipefail", "-c", script])
        .current_dir(dir)
        .env("PATH", path)
        .env_remove("GITHUB_STEP_SUMMARY")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "`{script}` failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn readme_ci_workflow_runs_as_written() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme
        .find("<!-- ci-workflow -->\n```yaml\n")
        .expect("README shows the CI workflow");
    let body = &readme[start + "<!-- ci-workflow -->\n```yaml\n".len()..];
    let yaml = &body[..body.find("```").expect("the block is closed")];
    let jobs = jobs(yaml);
    let names: Vec<&str> = jobs.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["part", "merge"]);
    let parts: Vec<String> = yaml
        .lines()
        .find_map(|l| l.trim().strip_prefix("part: ["))
        .expect("a matrix of parts")
        .trim_end_matches(']')
        .split(',')
        .map(|p| p.trim().to_string())
        .collect();
    assert!(parts.len() >= 2);

    // An empty folder: no suites/ or templates to read from disk.
    let dir = tempfile::tempdir().unwrap();
    let skip = |cmd: &str| cmd.starts_with("cargo install");
    for (job, commands) in &jobs {
        let values: Vec<Option<&String>> = if job == "part" {
            parts.iter().map(Some).collect()
        } else {
            vec![None]
        };
        for v in values {
            for cmd in commands.iter().filter(|c| !skip(c)) {
                let cmd = match v {
                    Some(p) => cmd.replace("${{ matrix.part }}", p),
                    None => cmd.clone(),
                };
                assert!(!cmd.contains("${{"), "unhandled expression in `{cmd}`");
                bash(dir.path(), &cmd);
            }
        }
    }
    let merged = common::read_report(&dir.path().join("reports/report.json"), b"");
    let total = merged["summary"]["total"].as_u64().unwrap();
    assert!(total >= 50, "the merged report has every case ({total})");
    assert_eq!(
        merged["summary"]["pass"].as_u64().unwrap() + merged["summary"]["skip"].as_u64().unwrap(),
        total
    );
    for f in ["junit.xml", "report.html", "summary.md"] {
        assert!(
            dir.path().join("reports").join(f).is_file(),
            "no merged {f}"
        );
    }
}

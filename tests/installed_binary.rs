//! `cargo install --path .` gives a binary that needs no file beside it: the suites are
//! embedded by build.rs, the report templates and the target template by `include_str!`. The
//! binary, run from an empty folder with no source tree in sight, lists every suite file of
//! the checkout, prints the target template and writes every report; and no library source
//! looks for files through the build-time manifest folder or the executable's own path.

use assert_cmd::cargo::CommandCargoExt;
use std::path::Path;
use std::process::Command;

fn chainproof(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("chainproof").unwrap();
    cmd.current_dir(dir).env_remove("CARGO_MANIFEST_DIR");
    cmd
}

#[test]
fn the_binary_needs_no_files_beside_it() {
    let dir = tempfile::tempdir().unwrap();
    let listed = chainproof(dir.path()).arg("list").output().unwrap();
    assert!(listed.status.success());
    let listed = String::from_utf8(listed.stdout).unwrap();
    let suites = Path::new(env!("CARGO_MANIFEST_DIR")).join("suites");
    for e in std::fs::read_dir(&suites).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(suites.join(&name)).unwrap_or_default();
        if name.ends_with(".toml") && text.contains("[[case]]") {
            assert!(
                listed.contains(&format!("suites/{name}")),
                "{name} not embedded"
            );
        }
    }

    let init = chainproof(dir.path()).arg("init").output().unwrap();
    assert!(String::from_utf8_lossy(&init.stdout).contains("[as_a]"));

    let run = chainproof(dir.path())
        .args(["run", "--progress", "none", "--case", "metadata/*"])
        .output()
        .unwrap();
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    for f in ["report.json", "junit.xml", "report.html", "summary.md"] {
        let text = std::fs::read_to_string(dir.path().join("reports").join(f)).unwrap();
        assert!(text.len() > 200, "{f} is empty");
    }
    let html = std::fs::read_to_string(dir.path().join("reports/report.html")).unwrap();
    assert!(html.contains("<style>"), "the HTML report embeds its style");
}

#[test]
fn no_library_source_looks_for_files_beside_the_build() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut stack = vec![src];
    let mut wrong = Vec::new();
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let text = std::fs::read_to_string(&p).unwrap_or_default();
            // Unit tests may read the checkout; the shipped code may not.
            let shipped = text.split("#[cfg(test)]").next().unwrap_or_default();
            for needle in ["CARGO_MANIFEST_DIR", "current_exe"] {
                if shipped.contains(needle) {
                    wrong.push(format!("{}: {needle}", p.display()));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{wrong:?}");
}

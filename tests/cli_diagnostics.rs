//! Golden tests: each bad suite or target file beside its exact rendered error
//! (`file:line:col`, the source line, carets, a label), as the terminal shows it.

use chainproof::diagnostic::SourceFile;
use chainproof::suite::load::Library;
use chainproof::target::Target;
use rstest::rstest;
use std::path::Path;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/diagnostics");

fn file(rel: &str) -> SourceFile {
    let text = std::fs::read_to_string(Path::new(DIR).join(rel)).unwrap();
    SourceFile::new(format!("tests/fixtures/diagnostics/{rel}"), text)
}

#[rstest]
#[case("unknown-key")]
#[case("bad-value-type")]
#[case("unknown-requirement")]
#[case("unknown-action")]
#[case("unresolved-path")]
#[case("bad-template")]
#[case("two-predicates")]
#[case("toml-syntax")]
fn bad_suite(#[case] name: &str) {
    let files = vec![
        file("profiles.toml"),
        file("requirements.toml"),
        file(&format!("suites/{name}.toml")),
    ];
    let err = Library::from_files(files, 0).expect_err("the suite is invalid");
    assert_eq!(err.0.len(), 1);
    assert!(err.0[0].position().is_some(), "positioned: {err}");
    insta::assert_snapshot!(format!("suite-{name}"), err.to_string());
}

#[rstest]
#[case("unknown-key")]
#[case("bad-kind")]
#[case("bad-value-type")]
#[case("bad-url")]
fn bad_target(#[case] name: &str) {
    let err =
        Target::parse(file(&format!("targets/{name}.toml"))).expect_err("the target is invalid");
    assert!(err.position().is_some(), "positioned: {err}");
    insta::assert_snapshot!(format!("target-{name}"), err.to_string());
}

#[test]
fn bad_suite_through_the_binary_exits_3_with_the_rendered_error() {
    use assert_cmd::cargo::CommandCargoExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        Path::new(DIR).join("suites/unknown-action.toml"),
        dir.path().join("bad.toml"),
    )
    .unwrap();
    let out = std::process::Command::cargo_bin("chainproof")
        .unwrap()
        .args(["list", "--suites"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error: unknown action `exchnage`"),
        "{stderr}"
    );
    assert!(stderr.contains("bad.toml:12:10"), "{stderr}");
    assert!(
        stderr.contains("^^^^^^^^^^ did you mean `exchange`?"),
        "{stderr}"
    );
}

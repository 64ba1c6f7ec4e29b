//! The README's hand-driven chain (mock → user token → exchange → jwt-bearer → RS-B) works
//! exactly as written: the block is extracted from README.md and run with bash, with the
//! freshly built `chainproof` first on PATH.

use std::process::Command;

mod common;

#[test]
fn readme_curl_happy_path_works_as_written() {
    for tool in ["bash", "curl", "python3"] {
        if Command::new(tool).arg("--version").output().is_err() {
            panic!("{tool} is needed to run the README's happy path");
        }
    }
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme
        .find("chainproof mock --port-a 9401")
        .expect("README shows the happy path starting the mock on fixed ports");
    let end = start + readme[start..].find("```").expect("the block is closed");
    let script = &readme[start..end];
    let expected = script
        .lines()
        .find_map(|l| l.strip_prefix("# {"))
        .map(|rest| format!("{{{rest}"))
        .expect("the README shows RS-B's answer");

    let path = common::path_with_chainproof();
    let out = Command::new("bash")
        .args(["-euo", "pipefail", "-c", script])
        .env("PATH", path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "README happy path failed:\nstdout: {stdout}\nstderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answer = stdout.lines().last().unwrap_or_default();
    let got: serde_json::Value = serde_json::from_str(answer).unwrap();
    let want: serde_json::Value = serde_json::from_str(&expected).unwrap();
    assert_eq!(got, want, "RS-B's answer differs from the README");
}

//! Scaffolding shared by end-to-end tests (each includes it with `mod common;`): the mock pair
//! written out as a target file of live servers, and running the binary on it.
#![allow(dead_code)] // each test binary uses its own part

use assert_cmd::cargo::CommandCargoExt;
use mock_as::MockFacts;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use toml::{Table, Value};

/// The mock pair as a target file of *live* servers (`kind = "live"`), so that a test drives
/// the binary through discovery and real HTTP as it would a vendor's deployment.
///
/// [`LiveTarget::new`] writes what every such test needs: AS-A (issuer, the primary client and
/// its secret, the primary user's password grant with its scopes), AS-B (issuer) and the
/// fixtures naming the user's subject at both. The other methods add the pair's other parts or
/// change any key by its dotted path, so each test states only where its target differs.
#[derive(Debug, Clone)]
pub struct LiveTarget {
    facts: MockFacts,
    doc: Table,
}

impl LiveTarget {
    pub fn new(f: &MockFacts) -> Self {
        LiveTarget {
            facts: f.clone(),
            doc: Table::new(),
        }
        .set("as_a.kind", "live")
        .set("as_a.issuer", f.as_a_issuer.as_str())
        .set("as_a.client.id", f.client_id.as_str())
        .set("as_a.client.secret", f.client_secret.as_str())
        .set("as_a.subject_token.method", "password")
        .set("as_a.subject_token.username", f.user.0.as_str())
        .set("as_a.subject_token.password", f.user.1.as_str())
        .set("as_a.subject_token.scope", f.user_scopes.join(" "))
        .set("as_b.kind", "live")
        .set("as_b.issuer", f.as_b_issuer.as_str())
        .set("fixtures.user_sub", f.user_sub.as_str())
        .set("fixtures.user_sub_at_b", f.user_sub_at_b.as_str())
    }

    /// `[as_a.second_client]`: the pair's second client at AS-A.
    pub fn second_client(self) -> Self {
        let (id, secret) = (
            self.facts.second_client_id.clone(),
            self.facts.second_client_secret.clone(),
        );
        self.set("as_a.second_client.id", id)
            .set("as_a.second_client.secret", secret)
    }

    /// `[as_b.client]`: the client AS-B knows (the mock registers one).
    pub fn client_at_b(self) -> Self {
        let (id, secret) = self
            .facts
            .as_b_client
            .clone()
            .expect("the mock registers a client at AS-B");
        self.set("as_b.client.id", id)
            .set("as_b.client.secret", secret)
    }

    /// `[rs]`: RS-B by its resource identifier (found through RFC 9728 metadata).
    pub fn rs(self) -> Self {
        let resource = self.facts.rs_resource.clone();
        self.set("rs.kind", "live").set("rs.resource", resource)
    }

    /// `[as_a.unmapped_user]`: the user AS-B cannot map, by password.
    pub fn unmapped_user(self) -> Self {
        let (user, password) = self.facts.unmapped_user.clone();
        self.set("as_a.unmapped_user.method", "password")
            .set("as_a.unmapped_user.username", user)
            .set("as_a.unmapped_user.password", password)
    }

    /// `fixtures.scopes` and `fixtures.escalation_scope` from the pair.
    pub fn scopes(self) -> Self {
        let (scopes, escalation) = (
            self.facts.user_scopes.join(" "),
            self.facts.escalation_scope.clone(),
        );
        self.set("fixtures.scopes", scopes)
            .set("fixtures.escalation_scope", escalation)
    }

    /// The secret at `table.key` read from the environment variable `var` instead
    /// (`key_env = "VAR"`, e.g. `secret_env`, `password_env`).
    pub fn via_env(self, path: &str, var: &str) -> Self {
        self.remove(path).set(&format!("{path}_env"), var)
    }

    /// Set the key at a dotted path (`"as_a.client.auth"`), creating tables on the way.
    pub fn set(mut self, path: &str, value: impl Into<Value>) -> Self {
        let (tables, key) = split(path);
        let mut t = &mut self.doc;
        for name in tables {
            t = t
                .entry(name.to_string())
                .or_insert_with(|| Value::Table(Table::new()))
                .as_table_mut()
                .unwrap_or_else(|| panic!("`{name}` in `{path}` is not a table"));
        }
        t.insert(key.to_string(), value.into());
        self
    }

    /// Remove the key or table at a dotted path (it must be there).
    pub fn remove(mut self, path: &str) -> Self {
        let (tables, key) = split(path);
        let mut t = &mut self.doc;
        for name in tables {
            t = t
                .get_mut(name)
                .and_then(Value::as_table_mut)
                .unwrap_or_else(|| panic!("no table `{name}` in `{path}`"));
        }
        t.remove(key)
            .unwrap_or_else(|| panic!("no key `{path}` to remove"));
        self
    }

    /// The target file's text.
    pub fn text(&self) -> String {
        toml::to_string(&self.doc).expect("a table serializes")
    }

    /// Write the target file as `dir/name` and return its path.
    pub fn write(&self, dir: &Path, name: &str) -> std::path::PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, self.text()).unwrap();
        path
    }
}

fn split(path: &str) -> (Vec<&str>, &str) {
    let mut parts: Vec<&str> = path.split('.').collect();
    let key = parts.pop().expect("a non-empty path");
    (parts, key)
}

/// The cases of a JSON report, in report order.
pub fn cases(report: &serde_json::Value) -> &Vec<serde_json::Value> {
    report["cases"]
        .as_array()
        .expect("a report lists its cases")
}

/// `suite/case` of one case of a JSON report.
pub fn case_id(c: &serde_json::Value) -> String {
    format!(
        "{}/{}",
        c["suite"].as_str().unwrap(),
        c["case"].as_str().unwrap()
    )
}

/// The first case of a JSON report whose `suite/case` id, or whose bare case name, is `id`.
pub fn find_case<'a>(report: &'a serde_json::Value, id: &str) -> Option<&'a serde_json::Value> {
    cases(report)
        .iter()
        .find(|c| c["case"] == id || case_id(c) == id)
}

/// As [`find_case`]; when there is no such case, the panic lists every case and its verdict.
pub fn case<'a>(report: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    find_case(report, id).unwrap_or_else(|| {
        let seen: Vec<String> = cases(report)
            .iter()
            .map(|c| format!("{} {}", case_id(c), c["verdict"]))
            .collect();
        panic!("no case {id} in the report; it has {seen:#?}")
    })
}

/// `suite/case` → `f(case)` for every case of a JSON report.
pub fn by_case<T>(
    report: &serde_json::Value,
    f: impl Fn(&serde_json::Value) -> T,
) -> BTreeMap<String, T> {
    cases(report).iter().map(|c| (case_id(c), f(c))).collect()
}

/// `suite/case` → verdict, for every case of a JSON report.
pub fn verdicts(report: &serde_json::Value) -> BTreeMap<String, String> {
    by_case(report, |c| c["verdict"].as_str().unwrap().to_string())
}

/// The JSON report at `path`, or why there is none (for tests that collect problems rather
/// than stop at the first).
pub fn try_read_report(path: &Path) -> Result<serde_json::Value, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("no report at {} ({e})", path.display()))?;
    serde_json::from_str(&text)
        .map_err(|e| format!("{}: the report is not JSON ({e})", path.display()))
}

/// The JSON report at `path`; when there is none, the panic shows the run's `stderr`.
pub fn read_report(path: &Path, stderr: &[u8]) -> serde_json::Value {
    try_read_report(path).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(stderr)))
}

/// `report.json` in the run's output directory `dir`.
pub fn report_in(dir: &Path) -> serde_json::Value {
    read_report(&dir.join("report.json"), b"")
}

/// A `chainproof mock` process, killed when dropped.
pub struct MockProcess(Child);

impl Drop for MockProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `chainproof mock --config config` (a path relative to the crate root, or absolute);
/// returns the process and the AS-A, AS-B and RS-B URLs of its banner.
pub fn mock_process(config: &Path) -> (MockProcess, [String; 3]) {
    let mut child = Command::cargo_bin("chainproof")
        .unwrap()
        .args(["mock", "--config"])
        .arg(config)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut urls: [String; 3] = Default::default();
    for (i, role) in ["AS-A ", "AS-B ", "RS-B "].iter().enumerate() {
        let line = lines.next().expect("mock banner").unwrap();
        urls[i] = line
            .strip_prefix(role)
            .unwrap_or_else(|| panic!("banner line {line:?}"))
            .to_string();
    }
    (MockProcess(child), urls)
}

/// `PATH` with the freshly built `chainproof` first, for scripts that call it by name.
pub fn path_with_chainproof() -> String {
    let bin = std::path::PathBuf::from(env!("CARGO_BIN_EXE_chainproof"));
    format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// Asserts a JSON report case's verdict and that its message contains `message`; a failure
/// shows the whole case.
pub fn assert_verdict(case: &serde_json::Value, verdict: &str, message: &str) {
    assert_eq!(case["verdict"], verdict, "{case}");
    assert!(
        case["message"].as_str().unwrap().contains(message),
        "{case}"
    );
}

//! Scaffolding shared by end-to-end tests (each includes it with `mod common;`): the mock pair
//! written out as a target file of live servers, and running the binary on it.
#![allow(dead_code)] // each test binary uses its own part

use mock_as::MockFacts;
use std::collections::BTreeMap;
use std::path::Path;
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

/// `suite/case` → `f(case)` for every case of a JSON report.
pub fn by_case<T>(
    report: &serde_json::Value,
    f: impl Fn(&serde_json::Value) -> T,
) -> BTreeMap<String, T> {
    report["cases"]
        .as_array()
        .expect("a report lists its cases")
        .iter()
        .map(|c| {
            let id = format!(
                "{}/{}",
                c["suite"].as_str().unwrap(),
                c["case"].as_str().unwrap()
            );
            (id, f(c))
        })
        .collect()
}

/// `suite/case` → verdict, for every case of a JSON report.
pub fn verdicts(report: &serde_json::Value) -> BTreeMap<String, String> {
    by_case(report, |c| c["verdict"].as_str().unwrap().to_string())
}

/// The JSON report at `path`; when there is none, the panic shows the run's `stderr`.
pub fn read_report(path: &Path, stderr: &[u8]) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| {
        panic!(
            "no report at {} ({e}): {}",
            path.display(),
            String::from_utf8_lossy(stderr)
        )
    });
    serde_json::from_str(&text).expect("the report is JSON")
}

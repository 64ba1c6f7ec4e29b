//! The module layering stated in `src/lib.rs` holds: each module refers (`crate::NAME`) only to
//! modules of its own or a lower layer, the module graph has no cycle, clap stays at the edge,
//! and below the edge only the live progress listener prints.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Layers from the `# Layers` list in lib.rs, lowest first: module name → layer index.
fn layers() -> BTreeMap<String, usize> {
    let lib = std::fs::read_to_string(src().join("lib.rs")).unwrap();
    let mut out = BTreeMap::new();
    let mut layer = None;
    for line in lib.lines().map(|l| l.trim_start_matches("//!").trim()) {
        if line == "# Layers" {
            layer = Some(0);
            continue;
        }
        let Some(n) = layer.as_mut() else { continue };
        if line.is_empty() && !out.is_empty() {
            break;
        }
        if line.starts_with("- ") {
            *n += 1;
        }
        if *n == 0 {
            continue;
        }
        for name in line.split('`').skip(1).step_by(2) {
            out.insert(name.to_string(), *n);
        }
    }
    out
}

/// The top-level module a source file belongs to (`src/report/json.rs` → `report`).
fn module_of(path: &Path) -> String {
    let rel = path.strip_prefix(src()).unwrap();
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy();
    first.trim_end_matches(".rs").to_string()
}

fn sources() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![src()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Code lines only (comments and doc comments do not create dependencies).
fn code(text: &str) -> impl Iterator<Item = &str> {
    text.lines().filter(|l| !l.trim_start().starts_with("//"))
}

/// `module → modules it refers to`, from `crate::NAME` in code.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for path in sources() {
        let m = module_of(&path);
        if m == "lib" || m == "main" {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let deps = g.entry(m.clone()).or_default();
        for line in code(&text) {
            for (i, _) in line.match_indices("crate::") {
                let name: String = line[i + 7..]
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() && name != m {
                    deps.insert(name);
                }
            }
        }
    }
    g
}

#[test]
fn every_module_uses_only_its_own_or_lower_layers() {
    let layers = layers();
    assert!(layers.len() > 10, "lib.rs lists the layers: {layers:?}");
    let mut wrong = Vec::new();
    for (m, deps) in graph() {
        // A module not yet placed in the list is held to the cycle check only (engineers add
        // modules in parallel; whoever next edits lib.rs places it).
        let Some(&lm) = layers.get(&m) else {
            eprintln!("note: module `{m}` has no layer in src/lib.rs yet");
            continue;
        };
        for d in deps {
            if let Some(&ld) = layers.get(&d).filter(|&&ld| ld > lm) {
                wrong.push(format!(
                    "`{m}` (layer {lm}) uses `{d}` from a higher layer ({ld})"
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_module_graph_has_no_cycle() {
    let g = graph();
    // Depth-first search with colours; report the first cycle found.
    fn visit(
        m: &str,
        g: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match state.get(m) {
            Some(2) => return None,
            Some(1) => {
                let start = path.iter().position(|p| p == m).unwrap();
                let mut cycle = path[start..].to_vec();
                cycle.push(m.to_string());
                return Some(cycle);
            }
            _ => {}
        }
        state.insert(m.to_string(), 1);
        path.push(m.to_string());
        for d in g.get(m).into_iter().flatten() {
            if let Some(c) = visit(d, g, state, path) {
                return Some(c);
            }
        }
        path.pop();
        state.insert(m.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for m in g.keys() {
        if let Some(cycle) = visit(m, &g, &mut state, &mut Vec::new()) {
            panic!("import cycle: {}", cycle.join(" → "));
        }
    }
}

#[test]
fn clap_stays_at_the_edge() {
    let edge = ["cli", "app", "main"];
    for path in sources() {
        if edge.contains(&module_of(&path).as_str()) {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        for line in code(&text) {
            assert!(
                !line.contains("clap"),
                "{} uses clap: {line}",
                path.display()
            );
        }
    }
}

#[test]
fn only_the_command_layer_prints() {
    // `progress` is the live terminal listener.
    let allowed = ["app", "main", "progress"];
    for path in sources() {
        if allowed.contains(&module_of(&path).as_str()) {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let mut in_tests = false;
        for line in text.lines() {
            if line.trim_start().starts_with("#[cfg(test)]") {
                in_tests = true;
            }
            let prints = ["println!", "eprintln!", "print!(", "eprint!("]
                .iter()
                .any(|p| line.contains(p));
            assert!(
                in_tests || !prints || line.trim_start().starts_with("//"),
                "{} prints: {line}",
                path.display()
            );
        }
    }
}

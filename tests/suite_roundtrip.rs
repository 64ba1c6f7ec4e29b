//! Round trip of the suite grammar: generate a valid suite model, print it as TOML, parse it,
//! and compare what the parser built with what was generated. Unlike a "never panics" property
//! on random text, every generated file is valid, so the property reaches the parser's own
//! mapping of keys to the model (cases, steps, checks, `when`, all sixteen predicates, typed
//! queries, positions) rather than stopping in the TOML layer.

use chainproof::catalogue::Catalogue;
use chainproof::diagnostic::SourceFile;
use chainproof::suite::load::Library;
use chainproof::suite::parse::parse_suite;
use chainproof::suite::{Action, Predicate, Suite, Template};
use proptest::prelude::*;
use serde_json::{Value as Json, json};
use std::sync::OnceLock;
use toml::{Table, Value};

fn catalogue() -> &'static Catalogue {
    static CAT: OnceLock<Catalogue> = OnceLock::new();
    CAT.get_or_init(|| Library::load(None).unwrap().catalogue)
}

fn requirement_ids() -> Vec<String> {
    catalogue()
        .requirements
        .iter()
        .map(|r| r.id.clone())
        .collect()
}

/// A predicate as generated: its TOML key and value(s), and the model it should parse to.
#[derive(Debug, Clone)]
enum GPred {
    Equals(Json),
    NotEquals(Json),
    EqualsCi(String),
    OneOf(Vec<String>, Option<Vec<String>>),
    Exists(bool),
    Includes(Json),
    IncludesAny(Vec<String>),
    Excludes(Json),
    Substring(String),
    Matches(String),
    AtMost(i64),
    AtLeast(i64),
    IsType(&'static str),
    HasDirective(String),
    IsAbsoluteUri(bool),
    SingleValued(bool),
}

#[derive(Debug, Clone)]
struct GCheck {
    what: String,
    value: String,
    requirement: usize,
    pred: GPred,
    /// No guard, one (written as a table) or several (an array of tables).
    when: Vec<(String, GPred)>,
}

#[derive(Debug, Clone)]
enum GStep {
    SubjectToken,
    Exchange,
    Present,
}

#[derive(Debug, Clone)]
struct GCase {
    id: String,
    title: String,
    reqs: Vec<String>,
    steps: Vec<GStep>,
    checks: Vec<GCheck>,
}

#[derive(Debug, Clone)]
struct GSuite {
    id: String,
    title: String,
    party: &'static str,
    cases: Vec<GCase>,
}

fn text() -> impl Strategy<Value = String> {
    "[A-Za-z0-9][A-Za-z0-9 ,.'\"()é\\\\-]{0,24}"
}

fn word() -> impl Strategy<Value = String> {
    "[a-z][a-z0-9_]{0,8}"
}

fn scalar() -> impl Strategy<Value = Json> {
    prop_oneof![
        any::<i32>().prop_map(|n| json!(n)),
        any::<bool>().prop_map(|b| json!(b)),
        "[ -~]{0,12}"
            .prop_filter("no template", |s| !s.contains("${"))
            .prop_map(|s| json!(s)),
    ]
}

fn pred() -> impl Strategy<Value = GPred> {
    let words = || prop::collection::vec(word(), 1..4);
    prop_oneof![
        scalar().prop_map(GPred::Equals),
        scalar().prop_map(GPred::NotEquals),
        word().prop_map(GPred::EqualsCi),
        (words(), any::<bool>()).prop_map(|(w, p)| {
            let prefer = p.then(|| vec![w[0].clone()]);
            GPred::OneOf(w, prefer)
        }),
        any::<bool>().prop_map(GPred::Exists),
        scalar().prop_map(GPred::Includes),
        words().prop_map(GPred::IncludesAny),
        scalar().prop_map(GPred::Excludes),
        word().prop_map(GPred::Substring),
        prop::sample::select(vec!["^ey", "^[a-z]+$", "(?i)bearer", "a.b"])
            .prop_map(|r| GPred::Matches(r.into())),
        any::<i32>().prop_map(|n| GPred::AtMost(n.into())),
        any::<i32>().prop_map(|n| GPred::AtLeast(n.into())),
        prop::sample::select(vec![
            "string", "number", "integer", "boolean", "array", "object", "null"
        ])
        .prop_map(GPred::IsType),
        word().prop_map(GPred::HasDirective),
        any::<bool>().prop_map(GPred::IsAbsoluteUri),
        any::<bool>().prop_map(GPred::SingleValued),
    ]
}

/// A query rooted at one of `steps` (ids `s0`, `s1`, ...).
fn query(steps: usize) -> impl Strategy<Value = String> {
    (
        0..steps,
        prop::sample::select(vec![
            "status",
            "json.error",
            "json.access_token",
            "headers.cache-control",
            "token.jwt.claims.aud",
            "json.scope.len",
            "json.aud.count",
        ]),
    )
        .prop_map(|(i, tail)| format!("s{i}.{tail}"))
}

fn case(n_reqs: usize) -> impl Strategy<Value = GCase> {
    (
        "[a-z][a-z0-9]{0,6}(-[a-z0-9]{1,4}){0,2}",
        text(),
        prop::sample::subsequence(requirement_ids(), 1..=n_reqs.min(3)),
        prop::collection::vec(
            prop_oneof![Just(GStep::Exchange), Just(GStep::Present)],
            0..3,
        ),
    )
        .prop_flat_map(|(id, title, reqs, more)| {
            let mut steps = vec![GStep::SubjectToken];
            steps.extend(more);
            let n = steps.len();
            let r = reqs.len();
            let check = (
                text(),
                query(n),
                0..r,
                pred(),
                prop::collection::vec((query(n), pred()), 0..3),
            )
                .prop_map(|(what, value, requirement, pred, when)| GCheck {
                    what,
                    value,
                    requirement,
                    pred,
                    when,
                });
            prop::collection::vec(check, 1..4).prop_map(move |checks| GCase {
                id: id.clone(),
                title: title.clone(),
                reqs: reqs.clone(),
                steps: steps.clone(),
                checks,
            })
        })
}

fn suite() -> impl Strategy<Value = GSuite> {
    (
        "[a-z][a-z0-9]{0,8}",
        text(),
        prop::sample::select(vec!["as_a", "as_b", "rs", "chain"]),
        prop::collection::vec(case(requirement_ids().len()), 1..4),
    )
        .prop_map(|(id, title, party, mut cases)| {
            // Case ids are unique within a suite.
            for (i, c) in cases.iter_mut().enumerate() {
                c.id = format!("{}-{i}", c.id);
            }
            GSuite {
                id,
                title,
                party,
                cases,
            }
        })
}

fn json_to_toml(v: &Json) -> Value {
    match v {
        Json::Bool(b) => Value::Boolean(*b),
        Json::Number(n) => Value::Integer(n.as_i64().unwrap()),
        Json::String(s) => Value::String(s.clone()),
        Json::Array(a) => Value::Array(a.iter().map(json_to_toml).collect()),
        other => panic!("not generated: {other}"),
    }
}

fn strings(v: &[String]) -> Value {
    Value::Array(v.iter().cloned().map(Value::String).collect())
}

fn put_pred(t: &mut Table, p: &GPred) {
    let (k, v) = match p {
        GPred::Equals(v) => ("equals", json_to_toml(v)),
        GPred::NotEquals(v) => ("not_equals", json_to_toml(v)),
        GPred::EqualsCi(s) => ("equals_ci", Value::String(s.clone())),
        GPred::OneOf(a, prefer) => {
            if let Some(p) = prefer {
                t.insert("prefer".into(), strings(p));
            }
            ("one_of", strings(a))
        }
        GPred::Exists(b) => ("exists", Value::Boolean(*b)),
        GPred::Includes(v) => ("includes", json_to_toml(v)),
        GPred::IncludesAny(a) => ("includes_any", strings(a)),
        GPred::Excludes(v) => ("excludes", json_to_toml(v)),
        GPred::Substring(s) => ("substring", Value::String(s.clone())),
        GPred::Matches(s) => ("matches", Value::String(s.clone())),
        GPred::AtMost(n) => ("at_most", Value::Integer(*n)),
        GPred::AtLeast(n) => ("at_least", Value::Integer(*n)),
        GPred::IsType(s) => ("is_type", Value::String((*s).into())),
        GPred::HasDirective(s) => ("has_directive", Value::String(s.clone())),
        GPred::IsAbsoluteUri(b) => ("is_absolute_uri", Value::Boolean(*b)),
        GPred::SingleValued(b) => ("single_valued", Value::Boolean(*b)),
    };
    t.insert(k.into(), v);
}

/// The generated suite as a suite file.
fn print(s: &GSuite) -> String {
    let mut suite = Table::new();
    suite.insert("id".into(), Value::String(s.id.clone()));
    suite.insert("title".into(), Value::String(s.title.clone()));
    suite.insert("party".into(), Value::String(s.party.into()));
    let mut cases = Vec::new();
    for c in &s.cases {
        let mut t = Table::new();
        t.insert("id".into(), Value::String(c.id.clone()));
        t.insert("title".into(), Value::String(c.title.clone()));
        t.insert("requirements".into(), strings(&c.reqs));
        let steps: Vec<Value> = c
            .steps
            .iter()
            .enumerate()
            .map(|(i, st)| {
                let mut t = Table::new();
                t.insert("id".into(), Value::String(format!("s{i}")));
                match st {
                    GStep::SubjectToken => {
                        t.insert("action".into(), Value::String("subject_token".into()));
                    }
                    GStep::Exchange => {
                        t.insert("action".into(), Value::String("exchange".into()));
                        t.insert("subject_token".into(), Value::String("${s0.token}".into()));
                    }
                    GStep::Present => {
                        t.insert("action".into(), Value::String("present".into()));
                        t.insert(
                            "assertion".into(),
                            Value::String(format!("${{s{}.token}}", i - 1)),
                        );
                    }
                }
                Value::Table(t)
            })
            .collect();
        t.insert("step".into(), Value::Array(steps));
        let checks: Vec<Value> = c
            .checks
            .iter()
            .map(|k| {
                let mut t = Table::new();
                t.insert("what".into(), Value::String(k.what.clone()));
                t.insert("value".into(), Value::String(k.value.clone()));
                t.insert(
                    "requirement".into(),
                    Value::String(c.reqs[k.requirement].clone()),
                );
                let mut guards: Vec<Value> = k
                    .when
                    .iter()
                    .map(|(q, p)| {
                        let mut w = Table::new();
                        w.insert("value".into(), Value::String(q.clone()));
                        put_pred(&mut w, p);
                        Value::Table(w)
                    })
                    .collect();
                match guards.len() {
                    0 => {}
                    1 => {
                        t.insert("when".into(), guards.remove(0));
                    }
                    _ => {
                        t.insert("when".into(), Value::Array(guards));
                    }
                }
                put_pred(&mut t, &k.pred);
                Value::Table(t)
            })
            .collect();
        t.insert("check".into(), Value::Array(checks));
        cases.push(Value::Table(t));
    }
    let mut root = Table::new();
    root.insert("suite".into(), Value::Table(suite));
    root.insert("case".into(), Value::Array(cases));
    toml::to_string(&root).unwrap()
}

fn same_pred(got: &Predicate, want: &GPred) -> bool {
    let strs = |a: &[String]| json!(a);
    match (got, want) {
        (Predicate::Equals(g), GPred::Equals(w))
        | (Predicate::NotEquals(g), GPred::NotEquals(w))
        | (Predicate::Includes(g), GPred::Includes(w))
        | (Predicate::Excludes(g), GPred::Excludes(w)) => g.to_json() == *w,
        (Predicate::EqualsCi(g), GPred::EqualsCi(w))
        | (Predicate::Substring(g), GPred::Substring(w))
        | (Predicate::HasDirective(g), GPred::HasDirective(w)) => g.to_json() == json!(w),
        (Predicate::OneOf { allowed, prefer }, GPred::OneOf(a, p)) => {
            allowed.to_json() == strs(a)
                && prefer.as_ref().map(|p| p.to_json()) == p.as_deref().map(strs)
        }
        (Predicate::IncludesAny(g), GPred::IncludesAny(w)) => g.to_json() == strs(w),
        (Predicate::Exists(g), GPred::Exists(w))
        | (Predicate::IsAbsoluteUri(g), GPred::IsAbsoluteUri(w))
        | (Predicate::SingleValued(g), GPred::SingleValued(w)) => g == w,
        (Predicate::Matches(g), GPred::Matches(w)) => g.as_str() == w,
        (Predicate::AtMost(g), GPred::AtMost(w)) | (Predicate::AtLeast(g), GPred::AtLeast(w)) => {
            g.to_json() == json!(w)
        }
        (Predicate::IsType(g), GPred::IsType(w)) => g.name() == *w,
        _ => false,
    }
}

/// Parsed templates as written, to compare with what was generated.
fn source(params: &[(String, Template)]) -> Vec<(String, Json)> {
    params
        .iter()
        .map(|(k, t)| (k.clone(), t.to_json()))
        .collect()
}

/// What the parser built, held against what was generated.
fn compare(got: &Suite, want: &GSuite, text: &str) -> Result<(), TestCaseError> {
    prop_assert_eq!(&got.id, &want.id);
    prop_assert_eq!(&got.title, &want.title);
    prop_assert_eq!(got.cases.len(), want.cases.len());
    let lines: Vec<&str> = text.lines().collect();
    for (g, w) in got.cases.iter().zip(&want.cases) {
        prop_assert_eq!(&g.id, &w.id);
        prop_assert_eq!(&g.title, &w.title);
        prop_assert_eq!(&g.requirements, &w.reqs);
        prop_assert_eq!(
            g.party,
            want.party.parse::<chainproof::party::Party>().unwrap()
        );
        prop_assert_eq!(g.steps.len(), w.steps.len());
        for (i, (gs, ws)) in g.steps.iter().zip(&w.steps).enumerate() {
            prop_assert_eq!(&gs.id, &format!("s{i}"));
            match (&gs.action, ws) {
                (Action::SubjectToken { .. }, GStep::SubjectToken) => {}
                (Action::Exchange(r), GStep::Exchange) => {
                    prop_assert_eq!(
                        source(&r.params),
                        vec![("subject_token".to_string(), json!("${s0.token}"))]
                    );
                }
                (Action::Present(r), GStep::Present) => {
                    prop_assert_eq!(
                        source(&r.params),
                        vec![(
                            "assertion".to_string(),
                            json!(format!("${{s{}.token}}", i - 1))
                        )]
                    );
                }
                (a, s) => prop_assert!(false, "step {i}: parsed {a:?}, generated {s:?}"),
            }
        }
        prop_assert_eq!(g.checks.len(), w.checks.len());
        for (gk, wk) in g.checks.iter().zip(&w.checks) {
            prop_assert_eq!(&gk.what, &wk.what);
            prop_assert_eq!(gk.value.to_string(), wk.value.clone());
            prop_assert_eq!(&gk.requirement, &w.reqs[wk.requirement]);
            prop_assert!(
                same_pred(&gk.predicate, &wk.pred),
                "{:?} vs {:?}",
                gk.predicate,
                wk.pred
            );
            prop_assert_eq!(gk.when.len(), wk.when.len(), "when: {:?}", gk.when);
            for (gw, (q, p)) in gk.when.iter().zip(&wk.when) {
                prop_assert_eq!(gw.value.to_string(), q.clone());
                prop_assert!(same_pred(&gw.predicate, p));
            }
            // The position points at the check's table in the printed file.
            prop_assert_eq!(&gk.source.file, "suites/generated.toml");
            let line = lines[gk.source.line - 1];
            prop_assert!(
                line.trim_start().starts_with("[[case.check]]"),
                "line {}: {line}",
                gk.source.line
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]
    #[test]
    fn printed_suites_parse_back_to_the_same_model(s in suite()) {
        let text = print(&s);
        let file = SourceFile::new("suites/generated.toml", text.clone());
        let parsed = parse_suite(file, catalogue())
            .map_err(|e| TestCaseError::fail(format!("{e}\n--- file:\n{text}")))?;
        compare(&parsed, &s, &text)?;
    }
}

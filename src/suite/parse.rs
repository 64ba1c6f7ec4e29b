//! Suite files → [`Suite`]: every key checked, every `${...}` and query root resolved against
//! earlier steps and known context roots, every requirement ID looked up in the catalogue.
//! Errors name file, line and column (suites/README.md).

use super::*;
use crate::catalogue::Catalogue;
use crate::diagnostic::{Diagnostic, SourceFile, closest};
use crate::query::QueryError;
use crate::template::Ref;
use crate::toml_tree::{Fields, Node, NodeValue};
use std::ops::Range;

type R<T> = Result<T, Diagnostic>;

/// Context roots every path may start with, besides step ids.
pub const ROOTS: &[&str] = &["target", "keys"];
/// Members of `target.`.
pub const TARGET_MEMBERS: &[&str] = &[
    "as_a",
    "as_b",
    "as_c",
    "rs",
    "user",
    "second_user",
    "scopes",
    "escalation_scope",
    "harness",
];

/// Parse and validate one suite file.
pub fn parse_suite(file: SourceFile, catalogue: &Catalogue) -> R<Suite> {
    let root = Node::parse_document(&file)?;
    let mut top = Fields::new(&file, &root, "the suite file")?;
    let suite_node = top.table("suite")?.ok_or_else(|| top.missing("suite"))?;
    let case_nodes = top.tables("case")?;
    top.finish()?;

    let mut sf = Fields::new(&file, suite_node, "[suite]")?;
    let (id, id_span) = sf.req_str("id")?;
    check_kebab(&file, &id, id_span, "suite id")?;
    let (title, _) = sf.req_str("title")?;
    let description = sf.str("description")?.map(|d| d.0).unwrap_or_default();
    let suite_party = party(&file, &mut sf)?;
    let suite_span = sf.key_span("id").unwrap_or(0..0);
    sf.finish()?;

    let mut cases: Vec<Case> = Vec::new();
    let mut case_spans: Vec<Range<usize>> = Vec::new();
    let mut case_parties: Vec<Option<Party>> = Vec::new();
    for node in case_nodes {
        let (case, case_party, span) = parse_case(&file, node, catalogue)?;
        case_parties.push(case_party);
        if let Some(i) = cases.iter().position(|c| c.id == case.id) {
            return Err(file.error(
                span,
                format!("duplicate case id `{}` in suite `{id}`", case.id),
                format!(
                    "first used on line {}",
                    file.line_col(case_spans[i].start).0
                ),
            ));
        }
        cases.push(case);
        case_spans.push(span);
    }
    // Checked after everything else, so a file's other mistakes are reported first.
    for ((case, span), case_party) in cases.iter_mut().zip(&case_spans).zip(case_parties) {
        if let Some(p) = case_party.or(suite_party) {
            case.party = p;
        } else {
            return Err(file.error(
                span.clone(),
                format!("case `{}` names no party", case.id),
                format!(
                    "set `party` (one of {}) on the case or as the default on [suite] (line {})",
                    PARTY_NAMES.join(", "),
                    file.line_col(suite_span.start).0
                ),
            ));
        }
    }
    Ok(Suite {
        id,
        title,
        description,
        file,
        cases,
    })
}

const PARTY_NAMES: [&str; 4] = ["as_a", "as_b", "rs", "chain"];

/// An optional `party` key: one of [`PARTY_NAMES`].
fn party(file: &SourceFile, f: &mut Fields) -> R<Option<Party>> {
    let Some((p, span)) = f.str("party")? else {
        return Ok(None);
    };
    p.parse::<Party>().map(Some).map_err(|e| {
        let hint = closest(&p, PARTY_NAMES.iter().copied())
            .map(|c| format!("did you mean `{c}`? "))
            .unwrap_or_default();
        file.error(
            span,
            e,
            format!(
                "{hint}the party a case judges: as_a (AS-A), as_b (AS-B), rs (RS-B) or chain (end to end)"
            ),
        )
    })
}

fn check_kebab(file: &SourceFile, s: &str, span: Range<usize>, what: &str) -> R<()> {
    let ok = !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.starts_with('-')
        && !s.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(file.error(
            span,
            format!("{what} `{s}` is not kebab-case"),
            "use lower-case letters, digits and `-`",
        ))
    }
}

/// A case, the `party` it names itself (the suite's default applies otherwise), its id span.
fn parse_case(
    file: &SourceFile,
    node: &Node,
    catalogue: &Catalogue,
) -> R<(Case, Option<Party>, Range<usize>)> {
    let mut f = Fields::new(file, node, "[[case]]")?;
    let (id, id_span) = f.req_str("id")?;
    check_kebab(file, &id, id_span.clone(), "case id")?;
    f.what = format!("case `{id}`");
    let (title, _) = f.req_str("title")?;
    let reqs = f
        .str_list("requirements")?
        .ok_or_else(|| f.missing("requirements"))?;
    if reqs.is_empty() {
        let span = f.key_span("requirements").unwrap_or(id_span.clone());
        return Err(file.error(
            span,
            format!("case `{id}` cites no requirement"),
            "list at least one catalogue ID",
        ));
    }
    for (r, span) in &reqs {
        check_requirement(file, catalogue, r, span.clone())?;
    }
    let mut needs = Vec::new();
    for (n, span) in f.str_list("needs")?.unwrap_or_default() {
        match n.parse::<Capability>() {
            Ok(c) => needs.push(c),
            Err(e) => {
                let names: Vec<&str> = Capability::ALL.iter().map(|c| c.name()).collect();
                let hint = closest(&n, names.iter().copied())
                    .map(|c| format!("did you mean `{c}`? "))
                    .unwrap_or_default();
                return Err(file.error(
                    span,
                    e,
                    format!("{hint}expected one of: {}", names.join(", ")),
                ));
            }
        }
    }
    let timeout_secs = f.uint("timeout_secs", 3600)?;
    let case_party = party(file, &mut f)?;
    let step_nodes = f.tables("step")?;
    let check_nodes = f.tables("check")?;
    f.finish()?;

    let mut steps: Vec<Step> = Vec::new();
    let mut step_ids: Vec<String> = Vec::new();
    for node in step_nodes {
        let (step, id_span) = parse_step(file, node, &step_ids, &id)?;
        if step_ids.contains(&step.id) {
            return Err(file.error(
                id_span,
                format!("duplicate step id `{}` in case `{id}`", step.id),
                "step ids must be unique within a case (the default id is the action name: give each step an `id`)",
            ));
        }
        step_ids.push(step.id.clone());
        steps.push(step);
    }
    let requirement_ids: Vec<String> = reqs.into_iter().map(|r| r.0).collect();
    let mut checks = Vec::new();
    for node in check_nodes {
        checks.push(parse_check(
            file,
            node,
            &step_ids,
            &requirement_ids,
            catalogue,
        )?);
    }
    let source = file.location(id_span.start);
    Ok((
        Case {
            id,
            title,
            // Replaced by the case's or the suite's party in `parse_suite`.
            party: Party::Chain,
            requirements: requirement_ids,
            needs,
            timeout_secs,
            steps,
            checks,
            source,
        },
        case_party,
        id_span,
    ))
}

fn check_requirement(
    file: &SourceFile,
    catalogue: &Catalogue,
    id: &str,
    span: Range<usize>,
) -> R<()> {
    if catalogue.requirement(id).is_some() {
        return Ok(());
    }
    let hint = closest(id, catalogue.requirements.iter().map(|r| r.id.as_str()))
        .map(|c| format!("did you mean `{c}`?"))
        .unwrap_or_else(|| "not in suites/requirements.toml".into());
    Err(file.error(span, format!("unknown requirement ID `{id}`"), hint))
}

/// `node` as a [`Template`]: every string's `${...}` parsed into typed references, each
/// reference's root resolved against earlier steps and the context roots. Errors point at the
/// string that holds the bad reference.
fn template(file: &SourceFile, node: &Node, steps: &[String]) -> R<Template> {
    Ok(match &node.value {
        NodeValue::Str(s) => {
            let t = Template::parse_str(s).map_err(|e| {
                file.error(
                    node.span.clone(),
                    format!("bad interpolation: {e}"),
                    e.hint(),
                )
            })?;
            for r in t.refs() {
                if let Ref::Path(q) = r {
                    check_path_root(file, &q.to_string(), node.span.clone(), steps).map_err(
                        |mut d| {
                            d.message = format!("`${{{q}}}`: {}", d.message);
                            d
                        },
                    )?;
                }
            }
            t
        }
        NodeValue::Array(items) => Template::array(
            items
                .iter()
                .map(|n| template(file, n, steps))
                .collect::<R<_>>()?,
        ),
        NodeValue::Table(entries) => Template::object(
            entries
                .iter()
                .map(|(k, n)| Ok((k.name.clone(), template(file, n, steps)?)))
                .collect::<R<_>>()?,
        ),
        _ => Template::Value(node.to_json()),
    })
}

/// A path's first segment must be an earlier step or a context root.
fn check_path_root(file: &SourceFile, path: &str, span: Range<usize>, steps: &[String]) -> R<()> {
    let mut segs = path.split('.');
    let root = segs.next().unwrap_or_default();
    if root == "target" {
        let member = segs.next().unwrap_or_default();
        if !TARGET_MEMBERS.contains(&member) {
            let hint = closest(member, TARGET_MEMBERS.iter().copied())
                .map(|c| format!("did you mean `target.{c}`? "))
                .unwrap_or_default();
            return Err(file.error(
                span,
                format!("unknown context path `target.{member}`"),
                format!("{hint}known: target.{}", TARGET_MEMBERS.join(", target.")),
            ));
        }
        return Ok(());
    }
    if root == "keys" {
        if segs.next().is_none() {
            return Err(file.error(
                span,
                "`keys` needs a key name: `keys.NAME.jkt`",
                "name a DPoP key",
            ));
        }
        return Ok(());
    }
    if steps.iter().any(|s| s == root) {
        return Ok(());
    }
    let candidates: Vec<&str> = steps
        .iter()
        .map(String::as_str)
        .chain(ROOTS.iter().copied())
        .collect();
    let hint = closest(root, candidates.iter().copied())
        .map(|c| format!("did you mean `{c}`? "))
        .unwrap_or_default();
    let earlier = if steps.is_empty() {
        "no earlier steps".to_string()
    } else {
        format!("earlier steps: {}", steps.join(", "))
    };
    Err(file.error(
        span,
        format!("`{root}` is neither an earlier step nor a context root (target, keys, now)"),
        format!("{hint}{earlier}"),
    ))
}

fn tmpl(f: &mut Fields, name: &'static str, steps: &[String]) -> R<Option<Template>> {
    f.take(name).map(|n| template(f.file, n, steps)).transpose()
}

fn tmpl_str(f: &mut Fields, name: &'static str, steps: &[String]) -> R<Option<Template>> {
    if let Some(n) = f.take(name)
        && !matches!(n.value, NodeValue::Str(_))
    {
        return Err(f.type_error(name, n, "a string"));
    }
    tmpl(f, name, steps)
}

fn tmpl_table(f: &mut Fields, name: &'static str, steps: &[String]) -> R<Vec<(String, Template)>> {
    let Some(n) = f.table(name)? else {
        return Ok(Vec::new());
    };
    let NodeValue::Table(entries) = &n.value else {
        unreachable!("table() checked")
    };
    entries
        .iter()
        .map(|(k, v)| Ok((k.name.clone(), template(f.file, v, steps)?)))
        .collect()
}

fn names(f: &mut Fields, name: &'static str) -> R<Vec<String>> {
    Ok(f.str_list(name)?
        .unwrap_or_default()
        .into_iter()
        .map(|x| x.0)
        .collect())
}

fn role(f: &mut Fields, name: &'static str) -> R<Option<Role>> {
    Ok(f.choice(name, &["as_a", "as_b", "rs"])?
        .map(|(r, _)| match r {
            "as_a" => Role::AsA,
            "as_b" => Role::AsB,
            _ => Role::Rs,
        }))
}

fn client(f: &mut Fields, allowed: &[&'static str]) -> R<Option<ClientSel>> {
    Ok(f.choice("client", allowed)?.map(|(c, _)| match c {
        "primary" => ClientSel::Primary,
        "second" => ClientSel::Second,
        "none" => ClientSel::None,
        "as_b" => ClientSel::AsB,
        "jwt" => ClientSel::Jwt,
        "as_b_or_none" => ClientSel::AsBOrNone,
        _ => ClientSel::WrongSecret,
    }))
}

fn auth(f: &mut Fields) -> R<Option<AuthMethod>> {
    Ok(f.choice("auth", &["basic", "post", "private_key_jwt"])?
        .map(|(a, _)| match a {
            "basic" => AuthMethod::Basic,
            "post" => AuthMethod::Post,
            _ => AuthMethod::PrivateKeyJwt,
        }))
}

fn dpop_key(f: &mut Fields) -> R<Option<String>> {
    Ok(f.str("dpop")?.map(|d| d.0))
}

/// Parse one step; returns it and the span to blame for a duplicate id.
fn parse_step(
    file: &SourceFile,
    node: &Node,
    steps: &[String],
    case: &str,
) -> R<(Step, Range<usize>)> {
    let mut f = Fields::new(file, node, format!("a step of case `{case}`"))?;
    let (action, action_span) = f.req_str("action")?;
    if !Action::NAMES.contains(&action.as_str()) {
        let hint = closest(&action, Action::NAMES.iter().copied())
            .map(|c| format!("did you mean `{c}`? "))
            .unwrap_or_default();
        return Err(file.error(
            action_span,
            format!("unknown action `{action}`"),
            format!("{hint}expected one of: {}", Action::NAMES.join(", ")),
        ));
    }
    let (id, id_span) = f
        .str("id")?
        .unwrap_or((action.clone(), action_span.clone()));
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        || ROOTS.contains(&id.as_str())
        || id.starts_with("now")
    {
        return Err(file.error(
            id_span,
            format!("invalid step id `{id}`"),
            "use letters, digits, `_` or `-`; not `target`, `keys` or `now…`",
        ));
    }
    f.what = format!("step `{id}` (action `{action}`)");
    let line = file.line_col(action_span.start).0;
    let action = parse_action(&mut f, &action, steps, case)?;
    f.finish()?;
    Ok((Step { id, action, line }, id_span))
}

const EXCHANGE_PARAMS: &[&str] = &[
    "subject_token",
    "subject_token_type",
    "resource",
    "audience",
    "scope",
    "requested_token_type",
    "actor_token",
    "actor_token_type",
];
const PRESENT_PARAMS: &[&str] = &["assertion", "scope", "resource"];

fn token_request(
    f: &mut Fields,
    params: &[&'static str],
    clients: &[&'static str],
    steps: &[String],
) -> R<TokenRequest> {
    let mut req = TokenRequest::default();
    for p in params {
        if let Some(v) = tmpl_str(f, p, steps)? {
            req.params.push((p.to_string(), v));
        }
    }
    req.client = client(f, clients)?;
    req.auth = auth(f)?;
    req.omit = names(f, "omit")?;
    req.extra = tmpl_table(f, "params", steps)?;
    req.dpop = dpop_key(f)?;
    req.dpop_proof = tmpl_str(f, "dpop_proof", steps)?;
    Ok(req)
}

fn parse_action(f: &mut Fields, action: &str, steps: &[String], case: &str) -> R<Action> {
    Ok(match action {
        "discover" => Action::Discover {
            role: role(f, "role")?.ok_or_else(|| f.missing("role"))?,
        },
        "subject_token" => Action::SubjectToken {
            user: match f.choice("user", &["primary", "unmapped", "second", "actor"])? {
                Some(("unmapped", _)) => UserSel::Unmapped,
                Some(("second", _)) => UserSel::Second,
                Some(("actor", _)) => UserSel::Actor,
                _ => UserSel::Primary,
            },
            client: client(f, &["primary", "second", "jwt"])?.unwrap_or(ClientSel::Primary),
        },
        "exchange" => Action::Exchange(token_request(
            f,
            EXCHANGE_PARAMS,
            &["primary", "second", "none", "jwt", "wrong_secret"],
            steps,
        )?),
        "present" => {
            if !f.has("assertion") {
                return Err(f.missing("assertion"));
            }
            Action::Present(token_request(
                f,
                PRESENT_PARAMS,
                &["as_b", "none", "wrong_secret"],
                steps,
            )?)
        }
        "forge" => Action::Forge(forge(f, steps)?),
        "call_resource" => Action::CallResource {
            token: tmpl_str(f, "token", steps)?.ok_or_else(|| f.missing("token"))?,
            scheme: f.choice("scheme", &["Bearer", "DPoP"])?.map(|(s, _)| {
                if s == "Bearer" {
                    Scheme::Bearer
                } else {
                    Scheme::DPoP
                }
            }),
            dpop: dpop_key(f)?,
            dpop_proof: tmpl_str(f, "dpop_proof", steps)?,
        },
        "wait_until_expired" => Action::WaitUntilExpired {
            token: tmpl_str(f, "token", steps)?.ok_or_else(|| f.missing("token"))?,
            extra_secs: f.uint("extra_secs", 3600)?.unwrap_or(2),
        },
        "concurrent" => concurrent(f, steps, case)?,
        "request" => Action::Request(raw_request(f, steps)?),
        "skip_unless" => {
            let condition = condition(f, steps)?;
            let reason = tmpl_str(f, "reason", steps)?.ok_or_else(|| f.missing("reason"))?;
            let when = when(f, steps, "the `when` of a skip_unless step")?;
            Action::SkipUnless {
                condition,
                when,
                reason,
            }
        }
        other => unreachable!("action {other} validated above"),
    })
}

/// A `forge` step: the token to start from, the signing mode and the edits.
fn forge(f: &mut Fields, steps: &[String]) -> R<Forge> {
    let from = tmpl_str(f, "from", steps)?;
    let mode = f.choice("mode", ForgeMode::NAMES)?.map(|(m, _)| match m {
        "tamper_payload" => ForgeMode::TamperPayload,
        "tamper_signature" => ForgeMode::TamperSignature,
        "alg_none" => ForgeMode::AlgNone,
        "hmac_with_issuer_key" => ForgeMode::HmacWithIssuerKey,
        "resign_untrusted" => ForgeMode::ResignUntrusted,
        "jwt_client" => ForgeMode::JwtClient,
        "malleate_signature" => ForgeMode::MalleateSignature,
        "zero_signature" => ForgeMode::ZeroSignature,
        "hmac_with_issuer_pem" => ForgeMode::HmacWithIssuerPem,
        "json_serialization" => ForgeMode::JsonSerialization,
        "stranger" => ForgeMode::Stranger,
        _ => ForgeMode::Harness,
    });
    let raw = tmpl_str(f, "raw", steps)?;
    if mode.is_none() && raw.is_none() {
        return Err(f.missing("mode"));
    }
    if from.is_none()
        && mode.is_some()
        && !matches!(
            mode,
            Some(ForgeMode::Harness | ForgeMode::JwtClient | ForgeMode::Stranger)
        )
    {
        return Err(f.missing("from"));
    }
    Ok(Forge {
        from,
        mode,
        set_claims: tmpl_table(f, "set_claims", steps)?,
        remove_claims: names(f, "remove_claims")?,
        set_header: tmpl_table(f, "set_header", steps)?,
        remove_header: names(f, "remove_header")?,
        raw,
    })
}

/// A `concurrent` step: an HTTP step repeated `count` times at once.
fn concurrent(f: &mut Fields, steps: &[String], case: &str) -> R<Action> {
    let count = f.uint("count", 64)?.ok_or_else(|| f.missing("count"))?;
    if count == 0 {
        return Err(f.missing("count (at least 1)"));
    }
    let inner = f.table("step")?.ok_or_else(|| f.missing("step"))?;
    let (step, _) = parse_step(f.file, inner, steps, case)?;
    if !matches!(
        step.action,
        Action::Exchange(_)
            | Action::Present(_)
            | Action::CallResource { .. }
            | Action::Request(_)
            | Action::Discover { .. }
    ) {
        return Err(f.file.error(
            inner.span.clone(),
            format!("`concurrent` cannot repeat a `{}` step", step.action.name()),
            "use an HTTP action: exchange, present, call_resource, request, discover",
        ));
    }
    Ok(Action::Concurrent {
        count: count as u32,
        step: Box::new(step),
    })
}

/// A `request` step: a raw HTTP request to a role's endpoint.
fn raw_request(f: &mut Fields, steps: &[String]) -> R<RawRequest> {
    let role = role(f, "role")?.ok_or_else(|| f.missing("role"))?;
    let (endpoint, span) = match f.choice("endpoint", &["token", "metadata", "jwks", "resource"])? {
        Some(("token", s)) => (Endpoint::Token, s),
        Some(("metadata", s)) => (Endpoint::Metadata, s),
        Some(("jwks", s)) => (Endpoint::Jwks, s),
        Some((_, s)) => (Endpoint::Resource, s),
        None => return Err(f.missing("endpoint")),
    };
    let fits = match role {
        Role::Rs => matches!(endpoint, Endpoint::Metadata | Endpoint::Resource),
        Role::AsA | Role::AsB => endpoint != Endpoint::Resource,
    };
    if !fits {
        return Err(f.file.error(
            span,
            format!("{} has no such endpoint for this role", f.what),
            "AS roles: token, metadata, jwks; rs: metadata, resource",
        ));
    }
    let method = f
        .str("method")?
        .map(|m| m.0.to_ascii_uppercase())
        .unwrap_or_else(|| "POST".into());
    let form = tmpl_table(f, "form", steps)?;
    let body = tmpl_str(f, "body", steps)?;
    if body.is_some() && !form.is_empty() {
        let span = f.key_span("body").unwrap_or(f.span.clone());
        return Err(f
            .file
            .error(span, "`body` and `form` are exclusive", "use one of them"));
    }
    Ok(RawRequest {
        role,
        endpoint,
        method,
        form,
        body,
        content_type: tmpl_str(f, "content_type", steps)?,
        headers: tmpl_table(f, "headers", steps)?,
        client: client(
            f,
            &[
                "primary",
                "second",
                "none",
                "as_b",
                "wrong_secret",
                "jwt",
                "as_b_or_none",
            ],
        )?
        .unwrap_or(ClientSel::None),
        auth: auth(f)?,
    })
}

/// A condition: `value` (a query) and one predicate.
fn condition(f: &mut Fields, steps: &[String]) -> R<Condition> {
    let (value, span) = f.req_str("value")?;
    let value = check_query(f.file, &value, span, steps)?;
    let predicate = parse_predicate(f, steps)?;
    Ok(Condition { value, predicate })
}

/// An optional `when`: one condition table, or an array of them that must all hold, for its
/// check or step to apply.
fn when(f: &mut Fields, steps: &[String], what: impl Into<String>) -> R<Vec<Condition>> {
    let what = what.into();
    f.table_or_tables("when")?
        .into_iter()
        .map(|n| {
            let mut wf = Fields::new(f.file, n, what.clone())?;
            let c = condition(&mut wf, steps)?;
            wf.finish()?;
            Ok(c)
        })
        .collect()
}

fn parse_check(
    file: &SourceFile,
    node: &Node,
    steps: &[String],
    reqs: &[String],
    catalogue: &Catalogue,
) -> R<Check> {
    let source = file.location(node.span.start);
    let mut f = Fields::new(file, node, "a check")?;
    let (what, _) = f.req_str("what")?;
    f.what = format!("check `{what}`");
    let (value, value_span) = f.req_str("value")?;
    let value = check_query(file, &value, value_span, steps)?;
    let requirement = match f.str("requirement")? {
        Some((r, span)) => {
            check_requirement(file, catalogue, &r, span)?;
            r
        }
        None => reqs[0].clone(),
    };
    let when = when(&mut f, steps, format!("the `when` of check `{what}`"))?;
    let predicate = parse_predicate(&mut f, steps)?;
    f.finish()?;
    Ok(Check {
        what,
        value,
        requirement,
        when,
        predicate,
        source,
    })
}

fn check_query(file: &SourceFile, path: &str, span: Range<usize>, steps: &[String]) -> R<Query> {
    let query: Query = path.parse().map_err(|e: QueryError| {
        let label = match e {
            QueryError::Template => "write e.g. `x.json.error`",
            QueryError::Malformed(_) => "segments are separated by single dots",
        };
        file.error(span.clone(), e.to_string(), label)
    })?;
    check_path_root(file, path, span, steps)?;
    Ok(query)
}

/// `one_of`'s optional `prefer`: a subset of the allowed members.
fn prefer(f: &mut Fields, allowed: &Template, steps: &[String]) -> R<Option<Template>> {
    let Some(p) = f.take("prefer") else {
        return Ok(None);
    };
    let prefer = template(f.file, p, steps)?;
    if !matches!(p.value, NodeValue::Array(_)) {
        return Err(f.type_error("prefer", p, "an array"));
    }
    // Compared as written: a `${ref}` member must be written in both.
    if let (Value::Array(a), Value::Array(pl)) = (allowed.to_json(), prefer.to_json())
        && let Some(bad) = pl.iter().find(|x| !a.contains(x))
    {
        return Err(f.file.error(
            p.span.clone(),
            format!("`prefer` member {bad} is not in `one_of`"),
            "prefer a subset of the allowed set",
        ));
    }
    Ok(Some(prefer))
}

fn parse_predicate(f: &mut Fields, steps: &[String]) -> R<Predicate> {
    let present: Vec<&'static str> = Predicate::NAMES
        .iter()
        .copied()
        .filter(|p| f.has(p))
        .collect();
    match present.as_slice() {
        [] if f.has("prefer") => {
            let span = f.key_span("prefer").unwrap_or(f.span.clone());
            return Err(f.file.error(
                span,
                "`prefer` only goes with `one_of`",
                "add `one_of = [...]` or remove `prefer`",
            ));
        }
        [] => {
            // Mark predicates as known so an unknown key gets a helpful list.
            Predicate::NAMES.iter().for_each(|p| {
                f.take(p);
            });
            f.take("prefer");
            let unknown = f.unknown_keys();
            let span = unknown.first().map_or(f.span.clone(), |k| k.span.clone());
            let hint = unknown
                .first()
                .and_then(|k| closest(&k.name, Predicate::NAMES.iter().copied()))
                .map(|c| format!("did you mean `{c}`? "))
                .unwrap_or_default();
            return Err(f.file.error(
                span,
                format!("{} has no predicate", f.what),
                format!("{hint}add exactly one of: {}", Predicate::NAMES.join(", ")),
            ));
        }
        [_, second, ..] => {
            let span = f.key_span(second).unwrap_or(f.span.clone());
            return Err(f.file.error(
                span,
                format!(
                    "{} has more than one predicate ({})",
                    f.what,
                    present.join(", ")
                ),
                "a check has exactly one predicate: split it into two checks",
            ));
        }
        [_] => {}
    }
    let name = present[0];
    if name != "one_of" && f.has("prefer") {
        let span = f.key_span("prefer").unwrap_or(f.span.clone());
        return Err(f.file.error(
            span,
            "`prefer` only goes with `one_of`",
            "remove it or use `one_of`",
        ));
    }
    let node = f.take(name).expect("present");
    let operand = template(f.file, node, steps)?;
    let want_bool = |f: &Fields| match node.value {
        NodeValue::Bool(b) => Ok(b),
        _ => Err(f.type_error(name, node, "a boolean")),
    };
    let want_str = |f: &Fields| match node.value {
        NodeValue::Str(_) => Ok(operand.clone()),
        _ => Err(f.type_error(name, node, "a string")),
    };
    // A list, or one `${ref}` that names a list.
    let want_list = |f: &Fields| match (&node.value, &operand) {
        (NodeValue::Array(_), _) | (NodeValue::Str(_), Template::Ref(_)) => Ok(operand.clone()),
        _ => Err(f.type_error(name, node, "an array")),
    };
    Ok(match name {
        "equals" => Predicate::Equals(operand),
        "not_equals" => Predicate::NotEquals(operand),
        "equals_ci" => Predicate::EqualsCi(want_str(f)?),
        "one_of" => {
            let allowed = want_list(f)?;
            let prefer = prefer(f, &allowed, steps)?;
            Predicate::OneOf { allowed, prefer }
        }
        "exists" => Predicate::Exists(want_bool(f)?),
        "includes" => Predicate::Includes(operand),
        "includes_any" => Predicate::IncludesAny(want_list(f)?),
        "excludes" => Predicate::Excludes(operand),
        "substring" => Predicate::Substring(want_str(f)?),
        "matches" => {
            let NodeValue::Str(s) = &node.value else {
                return Err(f.type_error(name, node, "a string (regex)"));
            };
            match regex::Regex::new(s) {
                Ok(re) => Predicate::Matches(re),
                Err(e) => {
                    return Err(f.file.error(
                        node.span.clone(),
                        format!("invalid regex in check: {e}"),
                        "fix the regular expression",
                    ));
                }
            }
        }
        "at_most" | "at_least" => {
            if !matches!(
                node.value,
                NodeValue::Int(_) | NodeValue::Float(_) | NodeValue::Str(_)
            ) {
                return Err(f.type_error(name, node, "a number"));
            }
            if name == "at_most" {
                Predicate::AtMost(operand)
            } else {
                Predicate::AtLeast(operand)
            }
        }
        "is_type" => {
            let NodeValue::Str(s) = &node.value else {
                return Err(f.type_error(name, node, "a string"));
            };
            match JsonType::from_name(s) {
                Some(t) => Predicate::IsType(t),
                None => {
                    return Err(f.file.error(
                        node.span.clone(),
                        format!("unknown JSON type `{s}`"),
                        format!("expected one of: {}", JsonType::NAMES.join(", ")),
                    ));
                }
            }
        }
        "has_directive" => Predicate::HasDirective(want_str(f)?),
        "is_absolute_uri" => Predicate::IsAbsoluteUri(want_bool(f)?),
        "single_valued" => Predicate::SingleValued(want_bool(f)?),
        "subset_of" => Predicate::SubsetOf(operand),
        other => unreachable!("predicate {other}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn catalogue() -> Catalogue {
        let mut c = Catalogue::default();
        c.add_profiles(&SourceFile::new(
            "profiles.toml",
            "[[profile]]\nid = \"ic-17\"\ntitle = \"t\"\ndefault = true\n",
        ))
        .unwrap();
        let mut reqs = String::new();
        for id in ["IC-TE-17", "IC-JG-03", "IC-TE-05"] {
            reqs.push_str(&format!("[[requirement]]\nid = \"{id}\"\nsource = \"s\"\nparty = \"AS-A\"\ntesting = \"BB\"\nsummary = \"x\"\nlevels = {{ \"ic-17\" = \"MUST\" }}\n"));
        }
        c.add_requirements(&SourceFile::new("requirements.toml", reqs))
            .unwrap();
        c
    }

    const GOOD: &str = r#"
[suite]
id = "aud"
title = "Audience"
party = "as_a"

[[case]]
id = "grant-aud"
title = "aud"
requirements = ["IC-TE-17", "IC-JG-03"]

[[case.step]]
id = "st"
action = "subject_token"

[[case.step]]
id = "x"
action = "exchange"
subject_token = "${st.token}"
resource = "${target.as_b.issuer}"
params = { extra = ["a", "b"] }

[[case.check]]
what = "aud"
value = "x.token.jwt.claims.aud"
includes_any = ["${target.as_b.issuer}"]

[[case.check]]
what = "err"
value = "x.json.error"
one_of = ["invalid_target", "invalid_request"]
prefer = ["invalid_target"]
requirement = "IC-TE-05"
when = { value = "x.status", not_equals = 200 }
"#;

    fn parse(text: &str) -> R<Suite> {
        parse_suite(
            SourceFile::new("suites/t.toml", text.to_string()),
            &catalogue(),
        )
    }

    #[test]
    fn case_party_overrides_the_suite_default() {
        let s = parse(GOOD).unwrap();
        assert_eq!(s.cases[0].party, Party::AsA);
        let s = parse(&GOOD.replace("title = \"aud\"\n", "title = \"aud\"\nparty = \"chain\"\n"))
            .unwrap();
        assert_eq!(s.cases[0].party, Party::Chain);
        let no_default = GOOD.replace("party = \"as_a\"\n", "");
        let e = err(&no_default);
        let text = e.to_string();
        assert!(text.contains("t.toml:7:"), "points at the case id: {text}");
        let ok = no_default.replace("title = \"aud\"\n", "title = \"aud\"\nparty = \"rs\"\n");
        assert_eq!(parse(&ok).unwrap().cases[0].party, Party::Rs);
    }

    #[test]
    fn parses_a_good_suite() {
        let s = parse(GOOD).unwrap();
        assert_eq!(s.cases.len(), 1);
        let c = &s.cases[0];
        assert_eq!(c.steps.len(), 2);
        assert_eq!(c.checks[0].requirement, "IC-TE-17");
        assert_eq!(c.checks[1].requirement, "IC-TE-05");
        assert_eq!(c.checks[1].when.len(), 1);
        assert!(c.checks[0].when.is_empty());
        let Action::Exchange(x) = &c.steps[1].action else {
            panic!()
        };
        assert_eq!(x.params.len(), 2);
        assert_eq!(x.extra[0].0, "extra");
    }

    fn err(text: &str) -> Diagnostic {
        parse(text).unwrap_err()
    }

    #[test]
    fn skip_unless_takes_an_optional_when() {
        let step = "[[case.step]]\naction = \"skip_unless\"\nvalue = \"x.json.error\"\nexists = true\nreason = \"r\"\n";
        let with = |extra: &str| {
            GOOD.replace(
                "\n[[case.check]]\nwhat = \"aud\"",
                &format!("\n{step}{extra}\n[[case.check]]\nwhat = \"aud\""),
            )
        };
        let s = parse(&with("")).unwrap();
        let Action::SkipUnless { when, .. } = &s.cases[0].steps[2].action else {
            panic!("{:?}", s.cases[0].steps[2].action)
        };
        assert!(when.is_empty());
        let s = parse(&with("when = { value = \"x.status\", equals = 200 }\n")).unwrap();
        let Action::SkipUnless { when, .. } = &s.cases[0].steps[2].action else {
            panic!()
        };
        assert_eq!(when.len(), 1);
        let e = err(&with("when = { value = \"nope.status\", equals = 200 }\n"));
        assert!(e.to_string().contains("nope"), "{e}");
    }

    #[test]
    fn when_takes_one_guard_or_several() {
        let with = |when: &str| {
            GOOD.replace(
                "when = { value = \"x.status\", not_equals = 200 }",
                &format!("when = {when}"),
            )
        };
        let two = with(
            "[{ value = \"x.status\", equals = 200 }, { value = \"x.json.scope\", exists = false }]",
        );
        let s = parse(&two).unwrap();
        let when = &s.cases[0].checks[1].when;
        assert_eq!(when.len(), 2);
        assert_eq!(when[1].value.to_string(), "x.json.scope");
        // Each guard is checked like a single one: its query's root, its predicate.
        let e = err(&with(
            "[{ value = \"x.status\", equals = 200 }, { value = \"nope.status\", equals = 1 }]",
        ));
        assert!(e.to_string().contains("nope"), "{e}");
        let e = err(&with("[{ value = \"x.status\" }]"));
        assert!(e.to_string().contains("t.toml:"), "{e}");
        let e = err(&with("[]"));
        assert!(e.to_string().contains("non-empty"), "{e}");
        let e = err(&with("[\"x.status\"]"));
        assert!(
            e.to_string().contains("a table or an array of tables"),
            "{e}"
        );
    }

    #[test]
    fn rejects_bad_inputs_with_positions() {
        let cases = [
            (
                GOOD.replace("resource = \"${", "rsource = \"${"),
                "unknown key `rsource`",
            ),
            (
                GOOD.replace("\"subject_token\"\n", "\"subject_tokn\"\n"),
                "unknown action `subject_tokn`",
            ),
            (
                GOOD.replace("\"IC-JG-03\"", "\"IC-JG-99\""),
                "unknown requirement ID `IC-JG-99`",
            ),
            (
                GOOD.replace("${st.token}", "${sx.token}"),
                "`sx` is neither an earlier step",
            ),
            (
                GOOD.replace("${st.token}", "${x.token}"),
                "`x` is neither an earlier step",
            ),
            (
                GOOD.replace("id = \"x\"", "id = \"st\""),
                "duplicate step id `st`",
            ),
            (
                GOOD.replace("prefer = [\"invalid_target\"]", "equals = 1"),
                "more than one predicate",
            ),
            (
                GOOD.replace("one_of = [\"invalid_target\", \"invalid_request\"]\n", ""),
                "`prefer` only goes with `one_of`",
            ),
            (
                GOOD.replace("title = \"aud\"", "title = 3"),
                "must be a string, found integer",
            ),
            (
                GOOD.replace(
                    "requirements = [",
                    "needs = [\"time_travel\"]\nrequirements = [",
                ),
                "unknown capability `time_travel`",
            ),
            (
                GOOD.replace("${target.as_b.issuer}\"]", "${target.as_z.issuer}\"]"),
                "unknown context path `target.as_z`",
            ),
            (
                GOOD.replace("party = \"as_a\"", "party = \"as-b\""),
                "unknown party `as-b`",
            ),
            (
                GOOD.replace("party = \"as_a\"\n", ""),
                "case `grant-aud` names no party",
            ),
        ];
        for (text, want) in cases {
            let e = err(&text);
            assert!(e.message.contains(want), "want {want:?}, got:\n{e}");
            assert!(e.position().is_some(), "{e}");
        }
    }

    #[test]
    fn request_endpoint_must_fit_the_role() {
        let text = GOOD.replace(
            "id = \"x\"\naction = \"exchange\"",
            "id = \"x\"\naction = \"request\"\nrole = \"rs\"\nendpoint = \"token\"",
        );
        let text = text
            .replace("subject_token = \"${st.token}\"\n", "")
            .replace("resource = \"${target.as_b.issuer}\"\n", "")
            .replace("params = { extra = [\"a\", \"b\"] }\n", "");
        let e = err(&text);
        assert!(
            e.message.contains("has no such endpoint for this role"),
            "{e}"
        );
    }

    #[test]
    fn check_without_predicate_is_an_error() {
        let text = GOOD.replace(
            "includes_any = [\"${target.as_b.issuer}\"]\n",
            "includes_anything = 1\n",
        );
        let e = err(&text);
        assert!(e.message.contains("has no predicate"), "{e}");
        assert!(e.label.contains("did you mean `includes_any`"), "{e}");
    }
}

#[cfg(test)]
mod proptests {
    use super::tests::catalogue;
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

        /// Arbitrary text never panics the parser: it is a suite or a positioned error.
        #[test]
        fn parser_never_panics(text in "\\PC{0,400}") {
            let _ = parse_suite(SourceFile::new("p.toml", text), &catalogue());
        }

        /// Mutating one byte of a valid suite yields a suite or an error inside the file.
        #[test]
        fn mutated_suite_errors_point_inside_the_file(i in 0usize..600, c in proptest::char::range(' ', '~')) {
            let text = include_str!("../../tests/fixtures/verdicts/verdicts.toml");
            let mut chars: Vec<char> = text.chars().collect();
            let i = i % chars.len();
            chars[i] = c;
            let text: String = chars.into_iter().collect();
            let mut cat = catalogue();
            cat.add_requirements(&SourceFile::new("r.toml", include_str!("../../tests/fixtures/verdicts/requirements.toml"))).unwrap();
            if let Err(e) = parse_suite(SourceFile::new("p.toml", text.clone()), &cat) {
                if let Some(span) = &e.span {
                    prop_assert!(span.start <= text.len(), "{e}");
                }
                let _ = e.to_string();
            }
        }
    }
}

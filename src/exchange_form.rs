//! The request form of setup token exchanges (IC §2.3.1, RFC 8693 §2.1): which parameter names
//! AS-B (`resource`, or the `audience` alias), which `subject_token_type` and
//! `requested_token_type` are sent, whether `resource` names the protected resource beside an
//! `audience` target (ID-JAG §4.3; REQUIRED by MCP's enterprise-managed authorization), and
//! which member of the subject-token response is the subject token (an ID-JAG IdP exchanges the
//! `id_token`, ID-JAG §4.3).
//!
//! Servers differ in the forms they accept, and a case's setup exchange should use the form the
//! server under test declares works; each form is still graded by the cases that name it (issue
//! 8 item 2). The defaults are data, layered from the highest to the lowest precedence:
//! a step's own parameters and `omit` (applied by the executor) > the target file's
//! `[as_a.exchange]` > the profile's `[profile.exchange]` in suites/profiles.toml (inherited
//! through `base`) > the built-in form (`resource` = AS-B's issuer, access-token subject, no
//! `requested_token_type`).

use crate::oauth::TT_ACCESS_TOKEN as ACCESS_TOKEN_TYPE;
use serde::Deserialize;

/// Which RFC 8693 §2.1 parameter identifies AS-B in a setup exchange.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TargetParam {
    /// `resource` = AS-B's issuer (IC §2.3.1 names the `resource` parameter first).
    #[default]
    Resource,
    /// `audience` = the target's `[as_b] audience` alias when set, else AS-B's issuer.
    Audience,
}

impl TargetParam {
    pub fn name(self) -> &'static str {
        match self {
            TargetParam::Resource => "resource",
            TargetParam::Audience => "audience",
        }
    }
}

/// One layer of the form as a file declares it (`[profile.exchange]`, `[as_a.exchange]`);
/// every field is optional and a missing one falls through to the layer below.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormSpec {
    #[serde(default)]
    pub target: Option<TargetParam>,
    /// Sent as `requested_token_type`; the empty string means "send none" (so a target can
    /// undo a profile's choice).
    #[serde(default)]
    pub requested_token_type: Option<String>,
    #[serde(default)]
    pub subject_token_type: Option<String>,
    /// The member of the role's token response that is the subject token (`access_token`
    /// unless set, e.g. `id_token`).
    #[serde(default)]
    pub subject_token_field: Option<String>,
    /// The JOSE `typ` of this profile's grants (ID-JAG §3.1 `oauth-id-jag+jwt`): grants the
    /// harness mints from scratch carry it, and a `client_id` claim naming the AS-B client.
    #[serde(default)]
    pub grant_typ: Option<String>,
    /// Also send `resource` = RS-B's resource identifier (the protected resource, RFC 8707)
    /// beside an `audience` target: ID-JAG §4.3 lets the client name the protected resource
    /// this way, and MCP's enterprise-managed authorization requires it, so an MCP IdP may
    /// refuse a setup exchange without it. Not sent with `target = "resource"` (there
    /// `resource` names AS-B), nor when the target declares no protected resource.
    #[serde(default)]
    pub send_resource: Option<bool>,
    /// Add `audience` (AS-B) also to a step that sets `resource` without naming `audience`:
    /// ID-JAG §4.3 makes `audience` REQUIRED and `resource` names a protected resource, not the
    /// AS, so an ID-JAG IdP refuses a request naming only `resource` for want of `audience`
    /// (Okta's does) before it judges the resource a case is about. A step that omits
    /// `audience` still sends none.
    #[serde(default)]
    pub audience_always: Option<bool>,
}

impl FormSpec {
    /// This layer over `lower`: each field set here wins.
    pub fn over(&self, lower: &FormSpec) -> FormSpec {
        FormSpec {
            target: self.target.or(lower.target),
            requested_token_type: self
                .requested_token_type
                .clone()
                .or_else(|| lower.requested_token_type.clone()),
            subject_token_type: self
                .subject_token_type
                .clone()
                .or_else(|| lower.subject_token_type.clone()),
            subject_token_field: self
                .subject_token_field
                .clone()
                .or_else(|| lower.subject_token_field.clone()),
            grant_typ: self.grant_typ.clone().or_else(|| lower.grant_typ.clone()),
            send_resource: self.send_resource.or(lower.send_resource),
            audience_always: self.audience_always.or(lower.audience_always),
        }
    }
}

/// What a setup exchange can name: AS-B (its issuer, or the target's `audience` alias) and
/// the protected resource (RS-B's resource identifier, when the target has one).
#[derive(Debug, Clone, Copy, Default)]
pub struct Targets<'a> {
    pub as_b_issuer: &'a str,
    pub as_b_audience: Option<&'a str>,
    pub protected_resource: Option<&'a str>,
}

/// The resolved form every setup exchange of a run uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExchangeForm {
    pub target: TargetParam,
    pub requested_token_type: Option<String>,
    pub subject_token_type: String,
    pub subject_token_field: String,
    pub grant_typ: Option<String>,
    /// `resource` = the protected resource beside an `audience` target (see `FormSpec`).
    pub send_resource: bool,
    /// `audience` also beside a step's own `resource` (see `FormSpec`).
    pub audience_always: bool,
}

impl Default for ExchangeForm {
    /// The built-in form: `resource` = AS-B's issuer, an access-token subject, no
    /// `requested_token_type` (RFC 8693 §2.1 makes it optional).
    fn default() -> ExchangeForm {
        ExchangeForm {
            target: TargetParam::Resource,
            requested_token_type: None,
            subject_token_type: ACCESS_TOKEN_TYPE.into(),
            subject_token_field: "access_token".into(),
            grant_typ: None,
            send_resource: false,
            audience_always: false,
        }
    }
}

impl ExchangeForm {
    /// Resolve the target's layer over the profile's over the built-in form.
    pub fn resolve(target: Option<&FormSpec>, profile: Option<&FormSpec>) -> ExchangeForm {
        let none = FormSpec::default();
        let spec = target.unwrap_or(&none).over(profile.unwrap_or(&none));
        let builtin = ExchangeForm::default();
        ExchangeForm {
            target: spec.target.unwrap_or(builtin.target),
            requested_token_type: match spec.requested_token_type {
                Some(t) if t.is_empty() => None,
                Some(t) => Some(t),
                None => builtin.requested_token_type,
            },
            subject_token_type: spec
                .subject_token_type
                .filter(|t| !t.is_empty())
                .unwrap_or(builtin.subject_token_type),
            subject_token_field: spec
                .subject_token_field
                .filter(|f| !f.is_empty())
                .unwrap_or(builtin.subject_token_field),
            grant_typ: spec.grant_typ.filter(|t| !t.is_empty()),
            send_resource: spec.send_resource.unwrap_or(builtin.send_resource),
            audience_always: spec.audience_always.unwrap_or(builtin.audience_always),
        }
    }

    /// The parameters this form adds to an exchange request, leaving out every one the step
    /// names itself (`sets` is true for a parameter the step sets, `omits` for one it leaves
    /// out on purpose). A step naming either `resource` or `audience` chooses its own target,
    /// so neither is added as the target, except that under `audience_always` a step setting
    /// only `resource` still gets `audience`. Under `send_resource` the protected resource is
    /// added beside an `audience` (the form's or the step's) unless the step names `resource`
    /// itself, so a case grading an `audience` rule is not refused for the missing `resource`
    /// by an IdP that requires it.
    pub fn defaults(
        &self,
        to: &Targets<'_>,
        sets: impl Fn(&str) -> bool,
        omits: impl Fn(&str) -> bool,
    ) -> Vec<(String, String)> {
        let named = |n: &str| sets(n) || omits(n);
        let mut form = Vec::new();
        if !named("subject_token_type") {
            form.push(("subject_token_type".into(), self.subject_token_type.clone()));
        }
        let mut audience = sets("audience");
        let only_resource = sets("resource") && !named("audience");
        if (!named("resource") && !named("audience")) || (self.audience_always && only_resource) {
            let target = if only_resource {
                TargetParam::Audience
            } else {
                self.target
            };
            let value = match target {
                TargetParam::Resource => to.as_b_issuer,
                TargetParam::Audience => to.as_b_audience.unwrap_or(to.as_b_issuer),
            };
            form.push((target.name().into(), value.into()));
            audience = target == TargetParam::Audience;
        }
        if let Some(r) = to.protected_resource
            && self.send_resource
            && audience
            && !named("resource")
        {
            form.push(("resource".into(), r.into()));
        }
        if let Some(t) = &self.requested_token_type
            && !named("requested_token_type")
        {
            form.push(("requested_token_type".into(), t.clone()));
        }
        form
    }

    /// A one-line description for reports and `check` (`resource`, access_token subject …).
    pub fn describe(&self) -> String {
        let mut s = format!(
            "{} = AS-B, subject_token_type {}",
            self.target.name(),
            self.subject_token_type
        );
        if let Some(t) = &self.requested_token_type {
            s.push_str(&format!(", requested_token_type {t}"));
        }
        if self.send_resource {
            s.push_str(", resource = the protected resource");
        }
        if self.audience_always {
            s.push_str(", audience also beside a step's resource");
        }
        if self.subject_token_field != "access_token" {
            s.push_str(&format!(
                ", subject token from `{}`",
                self.subject_token_field
            ));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(toml_text: &str) -> FormSpec {
        toml::from_str(toml_text).unwrap()
    }

    fn keys(form: &[(String, String)]) -> Vec<&str> {
        form.iter().map(|(k, _)| k.as_str()).collect()
    }

    fn to<'a>(issuer: &'a str, alias: Option<&'a str>) -> Targets<'a> {
        Targets {
            as_b_issuer: issuer,
            as_b_audience: alias,
            protected_resource: Some("https://rs.example/api"),
        }
    }

    #[test]
    fn builtin_form_sends_resource_and_access_token_type() {
        let f = ExchangeForm::resolve(None, None);
        assert_eq!(f, ExchangeForm::default());
        let form = f.defaults(&to("https://b", Some("urn:b")), |_| false, |_| false);
        assert_eq!(
            form,
            vec![
                (
                    "subject_token_type".to_string(),
                    ACCESS_TOKEN_TYPE.to_string()
                ),
                ("resource".to_string(), "https://b".to_string()),
            ]
        );
    }

    #[test]
    fn target_over_profile_over_builtin() {
        let profile = spec(
            r#"target = "resource"
requested_token_type = "urn:ietf:params:oauth:token-type:id-jag"
subject_token_type = "urn:ietf:params:oauth:token-type:id_token"
subject_token_field = "id_token""#,
        );
        let target = spec(r#"target = "audience""#);
        let f = ExchangeForm::resolve(Some(&target), Some(&profile));
        assert_eq!(f.target, TargetParam::Audience);
        assert_eq!(
            f.requested_token_type.as_deref(),
            Some("urn:ietf:params:oauth:token-type:id-jag")
        );
        assert_eq!(
            f.subject_token_type,
            "urn:ietf:params:oauth:token-type:id_token"
        );
        assert_eq!(f.subject_token_field, "id_token");
        // The profile alone.
        let p = ExchangeForm::resolve(None, Some(&profile));
        assert_eq!(p.target, TargetParam::Resource);
    }

    #[test]
    fn empty_requested_token_type_in_the_target_sends_none() {
        let profile = spec(r#"requested_token_type = "urn:ietf:params:oauth:token-type:jwt""#);
        let target = spec(r#"requested_token_type = """#);
        let f = ExchangeForm::resolve(Some(&target), Some(&profile));
        assert_eq!(f.requested_token_type, None);
        assert!(
            !keys(&f.defaults(&to("https://b", None), |_| false, |_| false))
                .contains(&"requested_token_type")
        );
    }

    #[test]
    fn audience_uses_the_alias_else_the_issuer() {
        let f = ExchangeForm::resolve(Some(&spec(r#"target = "audience""#)), None);
        let with_alias = f.defaults(&to("https://b", Some("urn:b")), |_| false, |_| false);
        assert!(with_alias.contains(&("audience".into(), "urn:b".into())));
        let without = f.defaults(&to("https://b", None), |_| false, |_| false);
        assert!(without.contains(&("audience".into(), "https://b".into())));
        assert!(!keys(&without).contains(&"resource"));
    }

    #[test]
    fn a_step_naming_a_parameter_keeps_it() {
        let f = ExchangeForm::resolve(
            Some(&spec(
                r#"target = "audience"
requested_token_type = "urn:x""#,
            )),
            None,
        );
        // Naming `resource` (set or omitted) suppresses the target parameter altogether.
        let form = f.defaults(&to("https://b", None), |n| n == "resource", |_| false);
        assert_eq!(
            keys(&form),
            vec!["subject_token_type", "requested_token_type"]
        );
        let form = f.defaults(
            &to("https://b", None),
            |n| n == "requested_token_type" || n == "subject_token_type",
            |_| false,
        );
        assert_eq!(keys(&form), vec!["audience"]);
    }

    #[test]
    fn send_resource_adds_the_protected_resource_beside_audience() {
        let profile = spec(
            r#"target = "audience"
send_resource = true"#,
        );
        let f = ExchangeForm::resolve(None, Some(&profile));
        let t = to("https://b", None);
        let form = f.defaults(&t, |_| false, |_| false);
        assert!(form.contains(&("audience".into(), "https://b".into())));
        assert!(form.contains(&("resource".into(), "https://rs.example/api".into())));
        // A step naming its own audience still gets the protected resource ...
        let form = f.defaults(&t, |n| n == "audience", |_| false);
        assert_eq!(keys(&form), vec!["subject_token_type", "resource"]);
        // ... but not one naming (or omitting) resource, nor one naming neither under
        // `target = "resource"`, nor a run without a protected resource.
        assert!(!keys(&f.defaults(&t, |n| n == "resource", |_| false)).contains(&"resource"));
        assert!(!keys(&f.defaults(&t, |_| false, |n| n == "resource")).contains(&"resource"));
        let r = ExchangeForm::resolve(Some(&spec(r#"target = "resource""#)), Some(&profile));
        assert_eq!(
            r.defaults(&t, |_| false, |_| false)
                .iter()
                .filter(|(k, _)| k == "resource")
                .count(),
            1
        );
        let none = Targets {
            protected_resource: None,
            ..t
        };
        assert!(!keys(&f.defaults(&none, |_| false, |_| false)).contains(&"resource"));
        // A target can switch it off.
        let off = ExchangeForm::resolve(Some(&spec("send_resource = false")), Some(&profile));
        assert!(!off.send_resource);
        assert!(f.describe().contains("resource = the protected resource"));
    }

    #[test]
    fn audience_always_adds_audience_beside_a_steps_own_resource() {
        let profile = spec(
            r#"target = "audience"
audience_always = true"#,
        );
        let f = ExchangeForm::resolve(None, Some(&profile));
        let t = to("https://b", Some("urn:b"));
        // A step setting only resource gets audience (the alias) beside it.
        let form = f.defaults(&t, |n| n == "resource", |_| false);
        assert!(form.contains(&("audience".into(), "urn:b".into())));
        assert!(!keys(&form).contains(&"resource"));
        // Not when the step omits audience, names it, or only omits resource (no target).
        let omitted = f.defaults(&t, |n| n == "resource", |n| n == "audience");
        assert!(!keys(&omitted).contains(&"audience"));
        let own = f.defaults(&t, |n| n == "resource" || n == "audience", |_| false);
        assert!(!keys(&own).contains(&"audience"));
        let none = f.defaults(&t, |_| false, |n| n == "resource");
        assert!(!keys(&none).contains(&"audience"));
        // Without the switch a step's resource stands alone, as before.
        let plain = ExchangeForm::resolve(None, Some(&spec(r#"target = "audience""#)));
        assert!(!keys(&plain.defaults(&t, |n| n == "resource", |_| false)).contains(&"audience"));
    }

    #[test]
    fn unknown_keys_and_values_are_rejected() {
        assert!(toml::from_str::<FormSpec>(r#"target = "scope""#).is_err());
        assert!(toml::from_str::<FormSpec>(r#"targets = "resource""#).is_err());
    }

    #[test]
    fn describe_names_the_choices() {
        let f = ExchangeForm::resolve(
            Some(&spec(
                r#"target = "audience"
subject_token_field = "id_token""#,
            )),
            None,
        );
        let d = f.describe();
        assert!(d.starts_with("audience = AS-B"), "{d}");
        assert!(d.contains("`id_token`"), "{d}");
    }
}

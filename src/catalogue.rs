//! The requirement catalogue (`suites/requirements.toml`, `../shared/requirements.md` as data)
//! and the profiles (`suites/profiles.toml`) that set each requirement's level (BCP 14).

use crate::diagnostic::{Diagnostic, Diagnostics, SourceFile};
use crate::exchange_form::FormSpec;
use crate::verdict::Level;
use serde::Deserialize;
use std::collections::BTreeMap;
use toml::Spanned;

/// One catalogue row.
#[derive(Debug, Clone, PartialEq)]
pub struct Requirement {
    pub id: String,
    pub source: String,
    pub party: String,
    /// How it can be tested: BB, BB+F, HI, MK, INFO, N.
    pub testing: String,
    pub summary: String,
    /// Profile id → level.
    pub levels: BTreeMap<String, Level>,
}

/// One profile: a source document that sets levels.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub id: String,
    pub title: String,
    pub default: bool,
    /// Levels missing here fall back to this profile.
    pub base: Option<String>,
    /// The setup exchange form this profile uses (`[profile.exchange]`); fields missing here
    /// fall back to the base profile's.
    pub exchange: Option<FormSpec>,
}

/// Requirements (in file order) and profiles.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Catalogue {
    pub requirements: Vec<Requirement>,
    pub profiles: Vec<Profile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RequirementsFile {
    #[serde(default)]
    requirement: Vec<RawRequirement>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRequirement {
    id: Spanned<String>,
    source: String,
    party: String,
    testing: Spanned<String>,
    summary: String,
    #[serde(default)]
    levels: BTreeMap<String, Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfilesFile {
    #[serde(default)]
    profile: Vec<RawProfile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    id: Spanned<String>,
    title: String,
    #[serde(default)]
    default: bool,
    #[serde(default)]
    base: Option<Spanned<String>>,
    #[serde(default)]
    exchange: Option<FormSpec>,
}

const TESTING: &[&str] = &[
    "BB",
    "BB+F",
    "HI",
    "MK",
    "INFO",
    "N",
    "HI / MK",
    "HI / BB+F",
    "BB / BB+F",
    "HI / BB",
    "MK / BB",
    "BB / N",
];

impl Catalogue {
    /// Add (or replace by id) the requirements of one `requirements.toml`.
    pub fn add_requirements(&mut self, file: &SourceFile) -> Result<(), Diagnostic> {
        let raw: RequirementsFile =
            toml::from_str(&file.text).map_err(|e| Diagnostic::from_toml(file, &e))?;
        let mut seen = BTreeMap::new();
        for r in raw.requirement {
            if let Some(first) = seen.insert(r.id.get_ref().clone(), r.id.span()) {
                let (l, _) = file.line_col(first.start);
                return Err(file.error(
                    r.id.span(),
                    format!("duplicate requirement id `{}`", r.id.get_ref()),
                    format!("first defined on line {l}"),
                ));
            }
            let testing = r.testing.get_ref().trim();
            let known = testing
                .split('/')
                .all(|t| ["BB", "BB+F", "HI", "MK", "INFO", "N", "-"].contains(&t.trim()));
            if !known && !TESTING.contains(&testing) {
                return Err(file.error(
                    r.testing.span(),
                    format!("unknown testing class `{testing}`"),
                    "expected BB, BB+F, HI, MK, INFO or N",
                ));
            }
            let mut levels = BTreeMap::new();
            for (profile, level) in r.levels {
                let parsed: Level = level.get_ref().parse().map_err(|e: String| {
                    file.error(level.span(), e, "expected MUST, SHOULD or MAY")
                })?;
                levels.insert(profile, parsed);
            }
            let req = Requirement {
                id: r.id.into_inner(),
                source: r.source,
                party: r.party,
                testing: testing.to_string(),
                summary: r.summary,
                levels,
            };
            match self.requirements.iter_mut().find(|x| x.id == req.id) {
                Some(existing) => *existing = req,
                None => self.requirements.push(req),
            }
        }
        Ok(())
    }

    /// Add (or replace by id) the profiles of one `profiles.toml`.
    pub fn add_profiles(&mut self, file: &SourceFile) -> Result<(), Diagnostic> {
        let raw: ProfilesFile =
            toml::from_str(&file.text).map_err(|e| Diagnostic::from_toml(file, &e))?;
        let ids: Vec<String> = raw.profile.iter().map(|p| p.id.get_ref().clone()).collect();
        for p in raw.profile {
            if let Some(base) = &p.base {
                let b = base.get_ref();
                if !ids.contains(b) && !self.profiles.iter().any(|x| &x.id == b) {
                    return Err(file.error(
                        base.span(),
                        format!("unknown base profile `{b}`"),
                        format!("known: {}", ids.join(", ")),
                    ));
                }
                if b == p.id.get_ref() {
                    return Err(file.error(base.span(), "a profile cannot be its own base", ""));
                }
            }
            let profile = Profile {
                id: p.id.into_inner(),
                title: p.title,
                default: p.default,
                base: p.base.map(Spanned::into_inner),
                exchange: p.exchange,
            };
            match self.profiles.iter_mut().find(|x| x.id == profile.id) {
                Some(existing) => *existing = profile,
                None => self.profiles.push(profile),
            }
        }
        Ok(())
    }

    /// Check cross-file consistency: every `levels` key names a profile.
    pub fn validate(&self) -> Result<(), Diagnostics> {
        let mut errs = Vec::new();
        for r in &self.requirements {
            for p in r.levels.keys() {
                if self.profile(p).is_none() {
                    errs.push(Diagnostic::file_level(
                        "suites/requirements.toml",
                        format!(
                            "requirement `{}` sets a level for unknown profile `{p}`",
                            r.id
                        ),
                    ));
                }
            }
        }
        if errs.is_empty() {
            Ok(())
        } else {
            Err(Diagnostics(errs))
        }
    }

    pub fn requirement(&self, id: &str) -> Option<&Requirement> {
        self.requirements.iter().find(|r| r.id == id)
    }

    pub fn profile(&self, id: &str) -> Option<&Profile> {
        self.profiles.iter().find(|p| p.id == id)
    }

    /// The profile marked `default = true` (or the first one).
    pub fn default_profile(&self) -> Option<&Profile> {
        self.profiles
            .iter()
            .find(|p| p.default)
            .or_else(|| self.profiles.first())
    }

    /// The profile a run grades by: `flag`, else the target file's, else the default. It must
    /// be a known profile; the error lists the known ones. (`run` and `fuzz` choose alike.)
    pub fn choose_profile(
        &self,
        flag: Option<&str>,
        target: Option<&str>,
    ) -> Result<String, String> {
        let profile = flag
            .or(target)
            .map(str::to_string)
            .or_else(|| self.default_profile().map(|p| p.id.clone()))
            .unwrap_or_else(|| "ic-17".into());
        if self.profile(&profile).is_none() {
            let known: Vec<&str> = self.profiles.iter().map(|p| p.id.as_str()).collect();
            return Err(format!(
                "unknown profile `{profile}` (known: {})",
                known.join(", ")
            ));
        }
        Ok(profile)
    }

    /// The setup exchange form `profile` declares, each field following `base` links; `None`
    /// when neither the profile nor its bases declare one.
    pub fn exchange_form(&self, profile: &str) -> Option<FormSpec> {
        let mut out: Option<FormSpec> = None;
        let mut current = self.profile(profile);
        let mut hops = 0;
        while let Some(p) = current {
            if let Some(spec) = &p.exchange {
                out = Some(out.map_or_else(|| spec.clone(), |o| o.over(spec)));
            }
            hops += 1;
            if hops > 16 {
                break;
            }
            current = p.base.as_deref().and_then(|b| self.profile(b));
        }
        out
    }

    /// How many requirements `profile` judges at each level: (MUST, SHOULD, MAY).
    pub fn level_counts(&self, profile: &str) -> (usize, usize, usize) {
        let mut counts = (0, 0, 0);
        for r in &self.requirements {
            match self.level(&r.id, profile) {
                Some(Level::Must) => counts.0 += 1,
                Some(Level::Should) => counts.1 += 1,
                Some(Level::May) => counts.2 += 1,
                None => {}
            }
        }
        counts
    }

    /// The level of `requirement` in `profile`, following `base` links. `None` when neither
    /// the profile nor its bases give one (the requirement does not apply in that profile).
    pub fn level(&self, requirement: &str, profile: &str) -> Option<Level> {
        let req = self.requirement(requirement)?;
        let mut current = Some(profile);
        let mut hops = 0;
        while let Some(p) = current {
            if let Some(level) = req.levels.get(p) {
                return Some(*level);
            }
            hops += 1;
            if hops > 16 {
                return None;
            }
            current = self.profile(p).and_then(|p| p.base.as_deref());
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REQS: &str = r#"
[[requirement]]
id = "IC-TE-17"
source = "IC §2.3.3 bullet 1"
party = "AS-A"
testing = "BB"
summary = "Grant aud identifies AS-B."
levels = { "ic-17" = "MUST" }

[[requirement]]
id = "IC-JB-05"
source = "IC §2.4.2"
party = "AS-B"
testing = "HI / BB+F"
summary = "Deny unmappable subjects."
levels = { "ic-17" = "MUST", "ic-01" = "SHOULD" }
"#;

    const PROFILES: &str = r#"
[[profile]]
id = "ic-17"
title = "draft -17"
default = true

[[profile]]
id = "ic-01"
title = "draft -01"
base = "ic-17"
"#;

    fn catalogue() -> Catalogue {
        let mut c = Catalogue::default();
        c.add_profiles(&SourceFile::new("profiles.toml", PROFILES))
            .unwrap();
        c.add_requirements(&SourceFile::new("requirements.toml", REQS))
            .unwrap();
        c.validate().unwrap();
        c
    }

    #[test]
    fn levels_fall_back_to_base_profile() {
        let c = catalogue();
        assert_eq!(c.level("IC-JB-05", "ic-01"), Some(Level::Should));
        assert_eq!(c.level("IC-TE-17", "ic-01"), Some(Level::Must));
        assert_eq!(c.level("IC-TE-17", "nope"), None);
        assert_eq!(c.default_profile().unwrap().id, "ic-17");
        // ic-01 inherits IC-TE-17 (MUST) and sets IC-JB-05 to SHOULD.
        assert_eq!(c.level_counts("ic-01"), (1, 1, 0));
        assert_eq!(c.level_counts("ic-17"), (2, 0, 0));
        assert_eq!(c.level_counts("nope"), (0, 0, 0));
    }

    #[test]
    fn exchange_form_follows_base_profiles() {
        let mut c = catalogue();
        let more = r#"
[[profile]]
id = "jag"
title = "jag"
base = "ic-17"
[profile.exchange]
requested_token_type = "urn:ietf:params:oauth:token-type:id-jag"
subject_token_field = "id_token"

[[profile]]
id = "jag-mcp"
title = "jag mcp"
base = "jag"
[profile.exchange]
target = "audience"
"#;
        c.add_profiles(&SourceFile::new("more.toml", more)).unwrap();
        assert_eq!(c.exchange_form("ic-17"), None);
        let f = c.exchange_form("jag-mcp").unwrap();
        assert_eq!(f.target, Some(crate::exchange_form::TargetParam::Audience));
        assert_eq!(f.subject_token_field.as_deref(), Some("id_token"));
        let bad =
            "[[profile]]\nid = \"x\"\ntitle = \"x\"\n[profile.exchange]\ntarget = \"scope\"\n";
        assert!(c.add_profiles(&SourceFile::new("bad.toml", bad)).is_err());
    }

    #[test]
    fn bad_level_is_positioned() {
        let mut c = catalogue();
        let bad = REQS.replace("\"SHOULD\"", "\"SOMETIMES\"");
        let err = c
            .add_requirements(&SourceFile::new("requirements.toml", bad))
            .unwrap_err();
        assert_eq!(err.position().map(|p| p.0), Some(16));
    }

    #[test]
    fn unknown_key_is_an_error() {
        let mut c = Catalogue::default();
        let bad = REQS.replace("party =", "partie =");
        let err = c
            .add_requirements(&SourceFile::new("requirements.toml", bad))
            .unwrap_err();
        assert!(err.message.contains("partie"), "{err}");
    }
}

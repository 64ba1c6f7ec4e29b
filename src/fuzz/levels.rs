//! Requirement levels from the catalogue (`suites/requirements.toml`) for the active profile:
//! a violation is graded by the level its requirement has there (catalogue §1), capped by the
//! model's own confidence (a lenient reading the model marks SHOULD never becomes MUST).

use crate::catalogue::Catalogue;
use crate::fuzz::oracle::Violation;
use crate::run_result::RequirementRow;
use crate::verdict::Level;
use std::sync::Arc;

/// The catalogue and the profile whose levels apply.
#[derive(Debug, Clone)]
pub struct Levels {
    catalogue: Option<Arc<Catalogue>>,
    pub profile: String,
}

impl Levels {
    /// The embedded catalogue (always valid: the suites' own tests check it).
    pub fn embedded(profile: &str) -> Levels {
        let catalogue = crate::suite::load::Library::load(None)
            .ok()
            .map(|l| Arc::new(l.catalogue));
        Levels {
            catalogue,
            profile: profile.to_string(),
        }
    }

    /// No catalogue: the model's levels stand (unit tests).
    pub fn model_only() -> Levels {
        Levels {
            catalogue: None,
            profile: "ic-17".into(),
        }
    }

    pub fn knows_profile(&self) -> bool {
        self.catalogue
            .as_ref()
            .is_none_or(|c| c.profile(&self.profile).is_some())
    }

    /// The level of `id` in the profile, if the catalogue gives one.
    pub fn level(&self, id: &str) -> Option<Level> {
        self.catalogue.as_ref()?.level(id, &self.profile)
    }

    /// Grade `v` by its primary requirement's catalogue level (never above the model's).
    pub fn apply(&self, mut v: Violation) -> Violation {
        let Some(primary) = v.requirements.first() else {
            return v;
        };
        let Some(cat) = self.level(primary) else {
            return v;
        };
        if cat < v.level {
            v.level = cat;
            for c in &mut v.checks {
                c.level = c.level.min(cat);
                c.verdict = c.level.failure_verdict();
            }
        }
        v
    }

    /// The report row for `id` (source, summary and level from the catalogue).
    pub fn row(&self, id: &str, fallback: Level) -> RequirementRow {
        let req = self.catalogue.as_ref().and_then(|c| c.requirement(id));
        RequirementRow {
            id: id.to_string(),
            source: req.map(|r| r.source.clone()).unwrap_or_default(),
            level: self.level(id).unwrap_or(fallback),
            summary: req.map(|r| r.summary.clone()).unwrap_or_default(),
            cases: Vec::new(),
            verdict: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzz::model::{Expectation, ModelFacts, expect};
    use crate::fuzz::oracle::Oracle;
    use crate::fuzz::request::{Endpoint, TT_ACCESS_TOKEN};
    use crate::fuzz::strategy::{self, StrategyOptions};
    use proptest::strategy::{Strategy, ValueTree};
    use proptest::test_runner::TestRunner;
    use std::collections::BTreeSet;

    #[test]
    fn every_cited_requirement_is_in_the_catalogue() {
        let levels = Levels::embedded("ic-17");
        assert!(levels.knows_profile());
        let facts = ModelFacts {
            as_a_basic: true,
            as_a_post: true,
            as_b_client: true,
            as_b_client_auth_optional: Some(false),
            rs_resource_known: true,
            subject_token_type: TT_ACCESS_TOKEN.into(),
        };
        let opts = StrategyOptions {
            harness: true,
            real_grant: true,
            as_b_client: true,
        };
        let mut ids = BTreeSet::new();
        let mut runner = TestRunner::deterministic();
        for e in [Endpoint::Exchange, Endpoint::Assertion] {
            let s = strategy::request(e, opts);
            for _ in 0..5000 {
                if let Expectation::Invalid(reasons) =
                    expect(&s.new_tree(&mut runner).unwrap().current(), &facts)
                {
                    ids.extend(reasons.iter().map(|r| r.requirement.to_string()));
                }
            }
            for o in Oracle::ALL {
                ids.extend(o.requirements(e).0.iter().map(|s| s.to_string()));
            }
        }
        assert!(ids.len() > 20, "{ids:?}");
        let missing: Vec<_> = ids.iter().filter(|id| levels.level(id).is_none()).collect();
        assert!(
            missing.is_empty(),
            "not in the catalogue for ic-17: {missing:?}"
        );
    }

    #[test]
    fn catalogue_caps_the_level() {
        let levels = Levels::embedded("ic-17");
        // IC-SC-01 is lowercase "should" in -17: a MAY row in the catalogue.
        assert_eq!(levels.level("IC-SC-01"), Some(Level::May));
        assert_eq!(levels.level("GEN-04"), Some(Level::Must));
        let v = Violation {
            oracle: Oracle::TokenForInvalid,
            level: Level::Should,
            requirements: vec!["IC-SC-01".into()],
            message: String::new(),
            checks: vec![],
        };
        assert_eq!(levels.apply(v).level, Level::May);
    }
}

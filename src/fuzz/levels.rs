//! Requirement levels from the catalogue (`suites/requirements.toml`) for the active profile:
//! a violation is graded by the level its requirement has there (catalogue §1), capped by the
//! model's own confidence (a lenient reading the model marks SHOULD never becomes MUST).

use crate::catalogue::Catalogue;
use crate::fuzz::model::Expectation;
use crate::fuzz::oracle::Violation;
use crate::verdict::Level;
use std::sync::Arc;

/// The catalogue and the profile whose levels apply.
#[derive(Debug, Clone)]
pub struct Levels {
    pub catalogue: Arc<Catalogue>,
    pub profile: String,
}

impl Levels {
    /// The embedded catalogue and the profile to grade by, chosen as `chainproof run` chooses
    /// ([`Catalogue::choose_profile`]).
    pub fn embedded(profile: Option<&str>, target_profile: Option<&str>) -> Result<Levels, String> {
        let catalogue = crate::suite::load::Library::load(None)
            .map_err(|e| format!("cannot load the embedded catalogue: {e}"))?
            .catalogue;
        let profile = catalogue.choose_profile(profile, target_profile)?;
        Ok(Levels {
            catalogue: Arc::new(catalogue),
            profile,
        })
    }

    /// The model's judgement `(expectation, clean)` under this profile: a reason whose
    /// requirement the catalogue has but the profile does not judge (RFC 8693 names no target
    /// rule like IC-TE-03) makes a request at most ambiguous, as `run` skips a case none of
    /// whose requirements has a level in the profile. A request left invalid by other reasons
    /// is no longer clean: a server may answer for the dropped one.
    pub fn judged(&self, (e, clean): (Expectation, bool)) -> (Expectation, bool) {
        let Expectation::Invalid(reasons) = e else {
            return (e, clean);
        };
        let (judged, not): (Vec<_>, Vec<_>) = reasons.into_iter().partition(|r| {
            self.level(r.requirement).is_some()
                || self.catalogue.requirement(r.requirement).is_none()
        });
        match (judged.is_empty(), not.is_empty()) {
            (_, true) => (Expectation::Invalid(judged), clean),
            (false, false) => (Expectation::Invalid(judged), false),
            (true, false) => {
                let why = not.into_iter().map(|r| {
                    format!(
                        "{} ({} is not judged in {})",
                        r.why, r.requirement, self.profile
                    )
                });
                (Expectation::Ambiguous(why.collect()), false)
            }
        }
    }

    /// The level of `id` in the profile, if the catalogue gives one.
    pub fn level(&self, id: &str) -> Option<Level> {
        self.catalogue.level(id, &self.profile)
    }

    /// Grade `v` as the suites grade a check: each check by its own requirement's level in
    /// the profile, the violation by its primary requirement's, capped by the model's own
    /// confidence. A preference (a legacy header the suites check with `prefer`) keeps its
    /// requirement's level but is at most a warning, as `prefer` makes it
    /// ([`crate::fuzz::oracle::Oracle::verdict_at`]). Without a catalogue level the model's stands.
    pub fn apply(&self, mut v: Violation) -> Violation {
        let oracle = v.oracle;
        if let Some(primary) = v.requirements.first() {
            v.level = self.grade(v.level, primary);
        }
        for c in &mut v.checks {
            c.level = self.grade(c.level, &c.requirement);
            c.verdict = oracle.verdict_at(c.level);
        }
        v
    }

    /// The level requirement `id` is graded at (see [`Levels::apply`]).
    pub fn grade(&self, model: Level, id: &str) -> Level {
        // The model may only lower a level, where it is less sure than a suite check is (a
        // server that never reads `typ` need not notice its type): never raise it.
        self.level(id).map_or(model, |c| c.min(model))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzz::model::{Expectation, ModelFacts, expect};
    use crate::fuzz::oracle::Oracle;
    use crate::fuzz::request::Endpoint;
    use crate::fuzz::strategy::{self, StrategyOptions};
    use crate::verdict::Verdict;
    use proptest::strategy::{Strategy, ValueTree};
    use proptest::test_runner::TestRunner;
    use std::collections::BTreeSet;

    #[test]
    fn every_cited_requirement_is_in_the_catalogue() {
        let levels = Levels::embedded(Some("ic-17"), None).unwrap();
        let facts = ModelFacts {
            as_b_client_auth_optional: Some(false),
            ..ModelFacts::lenient()
        };
        let opts = StrategyOptions {
            harness: true,
            real_grant: true,
            as_b_client: true,
            form: Default::default(),
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
            for o in Oracle::all() {
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
    fn reasons_the_profile_does_not_judge_leave_a_request_ambiguous() {
        use crate::fuzz::model::Reason;
        let reason = |requirement| Reason {
            requirement,
            level: Level::Must,
            why: "x".into(),
        };
        let no_target = Expectation::Invalid(vec![reason("IC-TE-03")]);
        let ic17 = Levels::embedded(Some("ic-17"), None).unwrap();
        let rfc8693 = Levels::embedded(Some("rfc8693"), None).unwrap();
        assert_eq!(
            ic17.judged((no_target.clone(), true)),
            (no_target.clone(), true)
        );
        assert!(matches!(
            rfc8693.judged((no_target, true)),
            (Expectation::Ambiguous(_), false)
        ));
        let both = Expectation::Invalid(vec![reason("IC-TE-03"), reason("IC-TE-07")]);
        let kept = Expectation::Invalid(vec![reason("IC-TE-07")]);
        assert_eq!(rfc8693.judged((both, true)), (kept, false));
    }

    #[test]
    fn profile_defaults_like_run_and_unknown_ones_are_refused() {
        let lib = crate::suite::load::Library::load(None).unwrap();
        let default = lib.catalogue.default_profile().unwrap().id.clone();
        assert_eq!(Levels::embedded(None, None).unwrap().profile, default);
        assert_eq!(
            Levels::embedded(None, Some("ic-14")).unwrap().profile,
            "ic-14"
        );
        assert_eq!(
            Levels::embedded(Some("ic-01"), Some("ic-14"))
                .unwrap()
                .profile,
            "ic-01"
        );
        let err = Levels::embedded(Some("nope"), None).unwrap_err();
        assert!(
            err.contains("unknown profile `nope` (known: ") && err.contains("ic-17"),
            "{err}"
        );
    }

    #[test]
    fn catalogue_gives_the_level_as_for_suites() {
        let levels = Levels::embedded(Some("ic-17"), None).unwrap();
        // IC-SC-01 is lowercase "should" in -17: a MAY row in the catalogue.
        assert_eq!(levels.level("IC-SC-01"), Some(Level::May));
        assert_eq!(levels.level("GEN-04"), Some(Level::Must));
        let v = |oracle, level, id: &str| Violation {
            oracle,
            level,
            requirements: vec![id.into()],
            message: String::new(),
            checks: vec![],
        };
        let apply = |x| levels.apply(x).level;
        assert_eq!(
            apply(v(Oracle::TokenForInvalid, Level::Should, "IC-SC-01")),
            Level::May
        );
        // A wrong error code is graded like the suites' `equals` check: the requirement's level.
        assert_eq!(
            apply(v(Oracle::ErrorCode, Level::Must, "IC-TE-06")),
            Level::Must
        );
        // The model's doubt lowers a level (a `typ` that is not a string), never raises it.
        assert_eq!(
            apply(v(Oracle::TokenForInvalid, Level::May, "IC-JB-03m")),
            Level::May
        );
        // A missing Pragma is a `prefer` in the suites: the MUST row's level, but a warning.
        let pragma = levels.apply(v(Oracle::TokenPragma, Level::Must, "IC-TE-21"));
        assert_eq!(
            (pragma.level, pragma.verdict()),
            (Level::Must, Verdict::Warn)
        );
        // Without a catalogue level the model's stands.
        assert_eq!(
            apply(v(Oracle::Latency, Level::Should, "NOPE-1")),
            Level::Should
        );
    }
}

//! Requirement levels (BCP 14 keywords) and case verdicts, and how one maps to the other.
//!
//! A failed check is graded by the level its requirement has in the active profile:
//! MUST → `fail`, SHOULD/RECOMMENDED → `warn`, MAY/informative → `info` (catalogue §1).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The normative strength of a requirement in one profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Level {
    /// MAY, OPTIONAL, informative or lowercase prose: never fails a server.
    May,
    /// SHOULD, SHOULD NOT, RECOMMENDED: a deviation is a warning.
    Should,
    /// MUST, MUST NOT, REQUIRED: a deviation is a failure.
    Must,
}

impl Level {
    /// The verdict a failed check of this level produces.
    pub fn failure_verdict(self) -> Verdict {
        match self {
            Level::Must => Verdict::Fail,
            Level::Should => Verdict::Warn,
            Level::May => Verdict::Info,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Must => "MUST",
            Level::Should => "SHOULD",
            Level::May => "MAY",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Level {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_uppercase().as_str() {
            "MUST" | "MUST NOT" | "REQUIRED" | "SHALL" | "SHALL NOT" => Ok(Level::Must),
            "SHOULD" | "SHOULD NOT" | "RECOMMENDED" | "NOT RECOMMENDED" => Ok(Level::Should),
            "MAY" | "OPTIONAL" | "INFO" | "INFORMATIVE" => Ok(Level::May),
            other => Err(format!(
                "unknown level `{other}` (expected MUST, SHOULD or MAY)"
            )),
        }
    }
}

/// The outcome of one case (or one check).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    /// A MAY-level observation: reported, never gating.
    Info,
    /// A SHOULD-level deviation.
    Warn,
    /// A MUST-level deviation: the server is not conformant.
    Fail,
    /// The case could not apply (missing capability or fixture); always carries a reason.
    Skip,
    /// The harness or the network failed; says nothing about conformance.
    Error,
    /// Setup addressed to another party than the one the case judges failed (or produced an
    /// artefact the harness's own validation refused): the case could not test its party.
    /// Says nothing about the judged party; the message names the failed precondition and
    /// the case(s) grading the root cause. Never gating.
    Blocked,
}

impl Verdict {
    pub const ALL: [Verdict; 7] = [
        Verdict::Pass,
        Verdict::Fail,
        Verdict::Warn,
        Verdict::Info,
        Verdict::Skip,
        Verdict::Blocked,
        Verdict::Error,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Info => "info",
            Verdict::Warn => "warn",
            Verdict::Fail => "fail",
            Verdict::Skip => "skip",
            Verdict::Error => "error",
            Verdict::Blocked => "blocked",
        }
    }

    /// Severity used to combine check outcomes into a case verdict: the worst wins.
    /// `error` outranks everything because a case that errored proved nothing; `blocked`
    /// ranks below every graded outcome, since it says nothing about the party judged.
    pub fn severity(self) -> u8 {
        match self {
            Verdict::Pass => 0,
            Verdict::Skip => 1,
            Verdict::Blocked => 2,
            Verdict::Info => 3,
            Verdict::Warn => 4,
            Verdict::Fail => 5,
            Verdict::Error => 6,
        }
    }

    /// The worse of two verdicts.
    pub fn worst(self, other: Verdict) -> Verdict {
        if other.severity() > self.severity() {
            other
        } else {
            self
        }
    }

    /// Whether this verdict trips a gate set at `threshold`.
    pub fn trips(self, threshold: FailOn) -> bool {
        match threshold {
            FailOn::Fail => self == Verdict::Fail,
            FailOn::Warn => matches!(self, Verdict::Fail | Verdict::Warn),
            FailOn::Info => matches!(self, Verdict::Fail | Verdict::Warn | Verdict::Info),
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Verdict {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Verdict::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| format!("unknown verdict `{s}`"))
    }
}

/// The lowest verdict that makes the run exit with code 1 (`--fail-on`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FailOn {
    #[default]
    Fail,
    Warn,
    Info,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_map_to_verdicts() {
        assert_eq!(Level::Must.failure_verdict(), Verdict::Fail);
        assert_eq!(Level::Should.failure_verdict(), Verdict::Warn);
        assert_eq!(Level::May.failure_verdict(), Verdict::Info);
        assert_eq!("RECOMMENDED".parse::<Level>().unwrap(), Level::Should);
        assert!("sometimes".parse::<Level>().is_err());
    }

    #[test]
    fn worst_wins_and_gates() {
        assert_eq!(Verdict::Pass.worst(Verdict::Warn), Verdict::Warn);
        assert_eq!(Verdict::Fail.worst(Verdict::Warn), Verdict::Fail);
        assert!(Verdict::Warn.trips(FailOn::Warn));
        assert!(!Verdict::Warn.trips(FailOn::Fail));
        assert!(!Verdict::Skip.trips(FailOn::Info));
        for t in [FailOn::Fail, FailOn::Warn, FailOn::Info] {
            assert!(!Verdict::Blocked.trips(t));
        }
        assert_eq!(Verdict::Blocked.worst(Verdict::Info), Verdict::Info);
        assert_eq!("blocked".parse::<Verdict>().unwrap(), Verdict::Blocked);
    }
}

//! The party a case judges (issue 8 "Attribution"): AS-A (RFC 8693 token exchange, IC §2.3),
//! AS-B (RFC 7523 grant presentation, IC §2.4), RS-B (the resource, IC §2.5) or the chain end
//! to end. A failure is charged to the case's party only; what another party's defect keeps a
//! case from testing is `blocked`, naming that party.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    AsA,
    AsB,
    Rs,
    /// The flow end to end: every party's steps are judged, none is setup.
    Chain,
}

impl Party {
    pub const ALL: [Party; 4] = [Party::AsA, Party::AsB, Party::Rs, Party::Chain];

    /// The name used in suite files and `report.json`.
    pub fn as_str(self) -> &'static str {
        match self {
            Party::AsA => "as_a",
            Party::AsB => "as_b",
            Party::Rs => "rs",
            Party::Chain => "chain",
        }
    }

    /// The name shown to people: `AS-A`, `AS-B`, `RS-B`, `chain`.
    pub fn label(self) -> &'static str {
        match self {
            Party::AsA => "AS-A",
            Party::AsB => "AS-B",
            Party::Rs => "RS-B",
            Party::Chain => "chain",
        }
    }
}

impl fmt::Display for Party {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl FromStr for Party {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Party::ALL
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| format!("unknown party `{s}` (expected as_a, as_b, rs or chain)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for p in Party::ALL {
            assert_eq!(p.as_str().parse::<Party>().unwrap(), p);
            assert_eq!(serde_json::to_value(p).unwrap(), p.as_str());
        }
        assert!("AS-A".parse::<Party>().is_err());
    }
}

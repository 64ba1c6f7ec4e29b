//! `--partition`: split the selected cases into `n` disjoint parts so that CI can run them on
//! `n` machines and `chainproof merge` can join the reports (the scheme of cargo-nextest's
//! `--partition count:i/n` and `hash:i/n`).
//!
//! Both are deterministic for a given selection, so partition `i/n` names the same cases on
//! every machine that runs the same suites with the same filters.
//! - `count:i/n` deals the selected cases out in selection order (suite file order, then case
//!   order): the k-th case (from 0) goes to part `k mod n + 1`. Parts differ by at most one
//!   case; adding a case can move others to a different part.
//! - `hash:i/n` puts a case in part `h mod n + 1`, where `h` is a hash of its `suite/case` id:
//!   a case stays in its part whatever else is added, at the price of uneven parts.

use sha2::{Digest, Sha256};
use std::fmt;
use std::str::FromStr;

/// Which part of the selection to run: `index` (from 1) of `total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Partition {
    Count { index: u32, total: u32 },
    Hash { index: u32, total: u32 },
}

/// Why a `--partition` value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PartitionError {
    #[error(
        "`{0}` is not a partition: expected `count:I/N`, `hash:I/N` or `I/N` (e.g. `hash:1/3`)"
    )]
    Syntax(String),
    #[error("partition `{0}`: need 1 <= I <= N")]
    Range(String),
}

impl FromStr for Partition {
    type Err = PartitionError;

    fn from_str(s: &str) -> Result<Partition, PartitionError> {
        let (kind, rest) = match s.split_once(':') {
            Some((k, r)) => (k, r),
            None => ("count", s),
        };
        let syntax = || PartitionError::Syntax(s.to_string());
        let (i, n) = rest.split_once('/').ok_or_else(syntax)?;
        let number = |t: &str| {
            // `u32::from_str` accepts a leading `+`; a partition is plain digits.
            if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
                return Err(syntax());
            }
            t.parse::<u32>().map_err(|_| syntax())
        };
        let (index, total) = (number(i)?, number(n)?);
        if index == 0 || index > total {
            return Err(PartitionError::Range(s.to_string()));
        }
        match kind {
            "count" => Ok(Partition::Count { index, total }),
            "hash" => Ok(Partition::Hash { index, total }),
            _ => Err(syntax()),
        }
    }
}

impl fmt::Display for Partition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Partition::Count { index, total } => write!(f, "count:{index}/{total}"),
            Partition::Hash { index, total } => write!(f, "hash:{index}/{total}"),
        }
    }
}

impl Partition {
    /// `(index, total)`.
    pub fn part(&self) -> (u32, u32) {
        match *self {
            Partition::Count { index, total } | Partition::Hash { index, total } => (index, total),
        }
    }

    /// Whether the case at `ordinal` (from 0, in selection order) with id `suite/case` is in
    /// this part.
    pub fn includes(&self, ordinal: usize, id: &str) -> bool {
        let (index, total) = self.part();
        let slot = match self {
            Partition::Count { .. } => (ordinal as u64) % u64::from(total),
            Partition::Hash { .. } => stable_hash(id) % u64::from(total),
        };
        slot + 1 == u64::from(index)
    }

    /// Keep the items of `selected` (in selection order) that fall in this part.
    pub fn filter<T>(&self, selected: Vec<T>, id: impl Fn(&T) -> String) -> Vec<T> {
        selected
            .into_iter()
            .enumerate()
            .filter(|(k, t)| self.includes(*k, &id(t)))
            .map(|(_, t)| t)
            .collect()
    }
}

/// The first 8 bytes of SHA-256 of `id`: the same on every platform and Rust version (std's
/// hashers promise neither).
fn stable_hash(id: &str) -> u64 {
    let digest = Sha256::digest(id.as_bytes());
    u64::from_be_bytes(digest[..8].try_into().expect("8 bytes"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    #[rstest]
    #[case("1/3", Partition::Count { index: 1, total: 3 })]
    #[case("count:3/3", Partition::Count { index: 3, total: 3 })]
    #[case("hash:2/5", Partition::Hash { index: 2, total: 5 })]
    #[case("1/1", Partition::Count { index: 1, total: 1 })]
    fn parses(#[case] text: &str, #[case] want: Partition) {
        assert_eq!(text.parse::<Partition>().unwrap(), want);
    }

    #[rstest]
    #[case("0/3", "need 1 <= I <= N")]
    #[case("4/3", "need 1 <= I <= N")]
    #[case("hash:1/0", "need 1 <= I <= N")]
    #[case("1-3", "expected `count:I/N`")]
    #[case("slice:1/3", "expected `count:I/N`")]
    #[case("+1/3", "expected `count:I/N`")]
    #[case("1/", "expected `count:I/N`")]
    #[case("", "expected `count:I/N`")]
    fn refuses(#[case] text: &str, #[case] want: &str) {
        let e = text.parse::<Partition>().unwrap_err().to_string();
        assert!(e.contains(want), "{text}: {e}");
    }

    #[test]
    fn display_round_trips() {
        for p in ["count:2/7", "hash:7/7"] {
            assert_eq!(p.parse::<Partition>().unwrap().to_string(), p);
        }
    }

    #[test]
    fn count_deals_in_turn() {
        let ids: Vec<String> = (0..7).map(|k| format!("s/c{k}")).collect();
        let part = |i| Partition::Count { index: i, total: 3 }.filter(ids.clone(), |s| s.clone());
        assert_eq!(part(1), ["s/c0", "s/c3", "s/c6"]);
        assert_eq!(part(2), ["s/c1", "s/c4"]);
        assert_eq!(part(3), ["s/c2", "s/c5"]);
    }

    proptest! {
        /// Every case lands in exactly one part, in both schemes, for any selection and `n`.
        #[test]
        fn parts_are_disjoint_and_cover(ids in proptest::collection::vec("[a-z]{1,8}/[a-z-]{1,12}", 0..40), n in 1u32..8) {
            for scheme in ["count", "hash"] {
                let mut seen = vec![0usize; ids.len()];
                for i in 1..=n {
                    let p: Partition = format!("{scheme}:{i}/{n}").parse().unwrap();
                    for (k, id) in ids.iter().enumerate() {
                        if p.includes(k, id) {
                            seen[k] += 1;
                        }
                    }
                }
                prop_assert!(seen.iter().all(|&c| c == 1), "{scheme}: {seen:?}");
            }
        }
    }
}

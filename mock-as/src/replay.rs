//! Single-use caches for `jti` values (RFC 7523 §3 item 7, RFC 9449 §11.1) and the clock.

use std::collections::HashMap;
use std::sync::Mutex;

/// Current Unix time in seconds.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Remembers identifiers until they expire; `first_use` says whether one is new.
#[derive(Debug, Default)]
pub struct JtiCache {
    seen: Mutex<Seen>,
}

#[derive(Debug, Default)]
struct Seen {
    until: HashMap<String, i64>,
    /// Size at which expired entries are dropped next. It doubles with what survives, so a
    /// full cache of live entries is not scanned again on every request (amortised O(1)).
    prune_at: usize,
}

/// The smallest size at which expired entries are dropped.
const PRUNE_FROM: usize = 10_000;

impl JtiCache {
    /// Whether `key` is recorded and not yet expired (records nothing).
    pub fn seen(&self, key: &str, now: i64) -> bool {
        let seen = self.seen.lock().expect("jti cache lock");
        seen.until.get(key).is_some_and(|exp| *exp >= now)
    }

    /// Record `key` as used until `until`; `false` when it was already used and not yet expired.
    /// Expired entries count as unused whether or not they were dropped yet.
    pub fn first_use(&self, key: &str, until: i64, now: i64) -> bool {
        let mut seen = self.seen.lock().expect("jti cache lock");
        if seen.until.len() > seen.prune_at.max(PRUNE_FROM) {
            seen.until.retain(|_, exp| *exp >= now);
            seen.prune_at = 2 * seen.until.len();
        }
        match seen.until.get(key) {
            Some(exp) if *exp >= now => false,
            _ => {
                seen.until.insert(key.to_owned(), until);
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_use_until_expiry() {
        let c = JtiCache::default();
        assert!(c.first_use("a", 100, 10));
        assert!(!c.first_use("a", 100, 50));
        assert!(c.first_use("a", 200, 101), "expired entries may be reused");
    }

    #[test]
    fn live_entries_survive_pruning_and_expired_ones_go() {
        let c = JtiCache::default();
        for i in 0..=PRUNE_FROM {
            assert!(c.first_use(&format!("old{i}"), 5, 0));
        }
        for i in 0..=PRUNE_FROM {
            assert!(c.first_use(&format!("live{i}"), 100, 10));
        }
        assert!(!c.first_use("live0", 100, 10), "a live jti stays used");
        assert!(c.first_use("old0", 100, 10), "an expired jti may be reused");
        let size = c.seen.lock().unwrap().until.len();
        assert!(
            size <= 2 * PRUNE_FROM + 2,
            "expired entries were dropped: {size}"
        );
    }
}

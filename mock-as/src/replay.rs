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
    seen: Mutex<HashMap<String, i64>>,
}

impl JtiCache {
    /// Whether `key` is recorded and not yet expired (records nothing).
    pub fn seen(&self, key: &str, now: i64) -> bool {
        let seen = self.seen.lock().expect("jti cache lock");
        seen.get(key).is_some_and(|exp| *exp >= now)
    }

    /// Record `key` as used until `until`; `false` when it was already used and not yet expired.
    pub fn first_use(&self, key: &str, until: i64, now: i64) -> bool {
        let mut seen = self.seen.lock().expect("jti cache lock");
        if seen.len() > 10_000 {
            seen.retain(|_, exp| *exp >= now);
        }
        match seen.get(key) {
            Some(exp) if *exp >= now => false,
            _ => {
                seen.insert(key.to_owned(), until);
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
}

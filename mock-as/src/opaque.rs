//! Opaque access tokens (`as_b.opaque_access_tokens`): AS-B hands out random handles instead of
//! JWTs (RFC 6749 §1.4 leaves the format to the server), keeps their claims here, and answers
//! RFC 7662 introspection; RS-B looks the handles up in the same store.

use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::sync::Mutex;

/// Claims of the opaque tokens AS-B issued, by token.
#[derive(Debug, Default)]
pub struct OpaqueTokens(Mutex<HashMap<String, Map<String, Value>>>);

impl OpaqueTokens {
    /// A new handle carrying `claims`.
    pub fn issue(&self, claims: Map<String, Value>) -> String {
        let token = format!("opaque.{}", uuid::Uuid::new_v4().simple());
        if let Ok(mut m) = self.0.lock() {
            m.insert(token.clone(), claims);
        }
        token
    }

    /// The claims of an unexpired token this server issued.
    pub fn active(&self, token: &str, now: i64) -> Option<Map<String, Value>> {
        let claims = self.0.lock().ok()?.get(token).cloned()?;
        claims
            .get("exp")
            .and_then(Value::as_i64)
            .is_some_and(|exp| exp > now)
            .then_some(claims)
    }

    /// RFC 7662 §2.2 response: `active` and, when active, the token's claims.
    pub fn introspection(&self, token: &str, now: i64) -> Value {
        match self.active(token, now) {
            Some(mut claims) => {
                claims.insert("active".into(), json!(true));
                claims.insert("token_type".into(), json!("Bearer"));
                Value::Object(claims)
            }
            None => json!({ "active": false }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issued_tokens_introspect_until_they_expire() {
        let store = OpaqueTokens::default();
        let mut claims = Map::new();
        claims.insert("sub".into(), json!("alice@b"));
        claims.insert("exp".into(), json!(100));
        let t = store.issue(claims);
        assert_eq!(store.introspection(&t, 50)["sub"], "alice@b");
        assert_eq!(store.introspection(&t, 50)["active"], true);
        assert_eq!(store.introspection(&t, 100), json!({"active": false}));
        assert_eq!(store.introspection("other", 50), json!({"active": false}));
    }
}

//! Where each server lives: issuer identifiers, endpoint URLs and router paths (RFC 8414 §3.1,
//! RFC 9728 §3.1 well-known URL construction).

/// An authorization server's identifiers and the paths its router serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AsUrls {
    pub issuer: String,
    pub token_endpoint: String,
    pub jwks_uri: String,
    pub metadata_url: String,
    pub token_route: String,
    pub jwks_route: String,
    pub metadata_route: String,
}

impl AsUrls {
    /// `origin` is `http://host:port`; paths come from the configuration.
    pub fn new(origin: &str, issuer_path: &str, token_path: &str, jwks_path: &str) -> AsUrls {
        let metadata_route = format!("/.well-known/oauth-authorization-server{issuer_path}");
        AsUrls {
            issuer: format!("{origin}{issuer_path}"),
            token_endpoint: format!("{origin}{issuer_path}{token_path}"),
            jwks_uri: format!("{origin}{issuer_path}{jwks_path}"),
            metadata_url: format!("{origin}{metadata_route}"),
            token_route: format!("{issuer_path}{token_path}"),
            jwks_route: format!("{issuer_path}{jwks_path}"),
            metadata_route,
        }
    }
}

/// RS-B's resource identifier and the routes it serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RsUrls {
    /// The RFC 9728 resource identifier, also the protected URL.
    pub resource: String,
    pub metadata_url: String,
    pub resource_route: String,
    pub metadata_route: String,
}

impl RsUrls {
    pub fn new(origin: &str, resource_path: &str) -> RsUrls {
        let metadata_route = format!("/.well-known/oauth-protected-resource{resource_path}");
        RsUrls {
            resource: format!("{origin}{resource_path}"),
            metadata_url: format!("{origin}{metadata_route}"),
            resource_route: resource_path.to_owned(),
            metadata_route,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn well_known_inserted_before_issuer_path() {
        let u = AsUrls::new("http://127.0.0.1:1", "/realms/a", "/token", "/jwks");
        assert_eq!(u.issuer, "http://127.0.0.1:1/realms/a");
        assert_eq!(
            u.metadata_url,
            "http://127.0.0.1:1/.well-known/oauth-authorization-server/realms/a"
        );
        assert_eq!(u.token_endpoint, "http://127.0.0.1:1/realms/a/token");
        let r = RsUrls::new("http://127.0.0.1:2", "/resource");
        assert_eq!(
            r.metadata_url,
            "http://127.0.0.1:2/.well-known/oauth-protected-resource/resource"
        );
    }
}

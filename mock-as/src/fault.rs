//! Named faults: switches that each break one requirement of the catalogue.

use std::fmt;
use std::str::FromStr;

macro_rules! faults {
    ($( $variant:ident = $name:literal, [$($req:literal),+], $desc:literal; )+) => {
        /// A deliberate defect of the mock pair. Each names the requirement IDs it breaks.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Fault { $( $variant, )+ }

        impl Fault {
            pub const ALL: &'static [Fault] = &[ $( Fault::$variant, )+ ];

            /// The stable, kebab-case name used on the command line.
            pub fn name(self) -> &'static str {
                match self { $( Fault::$variant => $name, )+ }
            }

            /// Catalogue requirement IDs this fault violates.
            pub fn requirements(self) -> &'static [&'static str] {
                match self { $( Fault::$variant => &[$($req),+], )+ }
            }

            pub fn description(self) -> &'static str {
                match self { $( Fault::$variant => $desc, )+ }
            }
        }
    };
}

faults! {
    AcceptUnknownAudience = "accept-unknown-audience", ["IC-TE-05"], "AS-A issues a grant for an unknown resource/audience instead of invalid_target";
    GrantAudWrong = "grant-aud-wrong", ["IC-TE-17", "IC-JG-03"], "AS-A puts its own issuer in the grant's aud instead of AS-B";
    GrantMultiAud = "grant-multi-aud", ["IC-TE-18"], "AS-A puts AS-B and another AS into the grant's aud";
    LongLivedGrant = "long-lived-grant", ["IC-JG-05"], "AS-A issues grants valid for a day";
    ExchangeNoClientAuth = "exchange-no-client-auth", ["IC-SC-01"], "AS-A performs token exchange without authenticating the client";
    AcceptForeignSubjectToken = "accept-foreign-subject-token", ["IC-SC-03"], "AS-A accepts a subject token issued to another client";
    ScopeEscalation = "scope-escalation", ["IC-TE-09"], "AS-A grants scopes the subject token does not hold";
    WrongIssuedTokenType = "wrong-issued-token-type", ["IC-TE-13"], "AS-A answers issued_token_type access_token for a JWT grant";
    DropRequestedCnf = "drop-requested-cnf", ["IC-JG-14", "IC-SC-11"], "AS-A ignores the DPoP proof and omits requested_cnf";
    AcceptWrongAud = "accept-wrong-aud", ["IC-JB-03h", "IC-JB-04", "IC-JB-07"], "AS-B accepts grants whose aud does not identify it";
    AcceptExpired = "accept-expired", ["IC-JB-03i"], "AS-B accepts expired grants";
    AcceptAlgNone = "accept-alg-none", ["IC-JB-03b", "GEN-10"], "AS-B accepts unsigned (alg none) grants";
    SkipSignature = "skip-signature", ["IC-JB-03a", "IC-JB-03d"], "AS-B does not verify grant signatures";
    IssueRefreshToken = "issue-refresh-token", ["IC-SC-04"], "AS-B issues a refresh token for a jwt-bearer grant";
    AllowReplay = "allow-replay", ["IC-JB-13", "IC-JB-14"], "AS-B accepts the same grant (jti) more than once";
    AcceptUnmappedSubject = "accept-unmapped-subject", ["IC-JB-05"], "AS-B issues tokens for subjects it cannot map";
    DropCnf = "drop-cnf", ["IC-AT-07", "IC-AT-08"], "AS-B issues a Bearer token without cnf despite requested_cnf and a DPoP proof";
    NoCacheControl = "no-cache-control", ["IC-TE-21", "GEN-03"], "token responses lack Cache-Control: no-store";
    ServerErrorOnMalformed = "server-error-on-malformed", ["GEN-04"], "both ASes answer 500 to malformed input";
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Fault {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Fault::ALL
            .iter()
            .copied()
            .find(|f| f.name() == s)
            .ok_or_else(|| {
                format!("unknown fault `{s}`; `chainproof mock --list-faults` lists them")
            })
    }
}

/// One line per fault: name, tab, requirement IDs joined by commas, tab, description.
pub fn list_faults() -> String {
    Fault::ALL
        .iter()
        .map(|f| {
            format!(
                "{}\t{}\t{}\n",
                f.name(),
                f.requirements().join(","),
                f.description()
            )
        })
        .collect()
}

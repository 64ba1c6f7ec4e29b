//! proptest strategies over both token requests: each parameter present, absent, empty,
//! duplicated or replaced by an edge-case value; content type, body encoding, client
//! authentication; and structural mutations of the jwt-bearer `assertion` (RFC 7523 §2.1).
//!
//! Every choice lists its simplest alternative first (absent, the baseline value, no mutation),
//! because proptest shrinks a `prop_oneof!` toward earlier alternatives: a shrunk finding is
//! the request with the fewest parameters and mutations that still breaks the same oracle.

use crate::fuzz::assertion::{
    AssertionSpec, Claim, ClaimsMutation, GrantBase, HeaderMutation, JsonKind, Signature, Structure,
};
use crate::fuzz::request::{
    BodyEncoding, ClientAuth, ContentType, Endpoint, Form, FuzzRequest, JWT_BEARER, Method, Param,
    REGISTERED_TOKEN_TYPES, TOKEN_EXCHANGE, TT_JWT, TargetValue, Value,
};
use proptest::prelude::*;
use proptest::strategy::SBoxedStrategy;

/// What the target makes possible.
#[derive(Debug, Clone, Copy)]
pub struct StrategyOptions {
    /// Harness-issuer mode: AS-B trusts the harness key, so valid grants can be minted.
    pub harness: bool,
    /// A real grant from AS-A is available as a mutation base.
    pub real_grant: bool,
    /// AS-B knows a client (credentials can be sent).
    pub as_b_client: bool,
    /// The graded profile's exchange form.
    pub form: Form,
}

/// The strategy for one endpoint's requests.
pub fn request(endpoint: Endpoint, opts: StrategyOptions) -> SBoxedStrategy<FuzzRequest> {
    let params = match endpoint {
        Endpoint::Exchange => exchange_params(opts.form),
        Endpoint::Assertion => assertion_params(opts),
    };
    let auth = match endpoint {
        Endpoint::Exchange => client_auth_a(),
        Endpoint::Assertion => client_auth_b(opts.as_b_client),
    };
    (method(), content_type(), encoding(), auth, params)
        .prop_map(
            move |(method, content_type, encoding, client_auth, params)| FuzzRequest {
                endpoint,
                method,
                content_type,
                encoding,
                client_auth,
                params,
            },
        )
        .sboxed()
}

fn method() -> impl Strategy<Value = Method> {
    prop_oneof![40 => Just(Method::Post), 1 => Just(Method::Get)]
}

fn content_type() -> impl Strategy<Value = ContentType> {
    prop_oneof![
        40 => Just(ContentType::Form),
        2 => Just(ContentType::FormUtf8),
        1 => Just(ContentType::FormMixedCase),
        1 => Just(ContentType::Missing),
        1 => Just(ContentType::TextPlain),
        1 => Just(ContentType::Json),
        1 => Just(ContentType::FormLatin1),
    ]
}

fn encoding() -> impl Strategy<Value = BodyEncoding> {
    prop_oneof![
        30 => Just(BodyEncoding::Standard),
        1 => Just(BodyEncoding::PercentAll),
        1 => Just(BodyEncoding::PercentAllLower),
    ]
}

fn client_auth_a() -> SBoxedStrategy<ClientAuth> {
    prop_oneof![
        1 => Just(ClientAuth::None),
        24 => Just(ClientAuth::Basic),
        8 => Just(ClientAuth::Post),
        1 => Just(ClientAuth::PostIdOnly),
        1 => Just(ClientAuth::BasicWrongSecret),
        1 => Just(ClientAuth::PostWrongSecret),
        1 => Just(ClientAuth::UnknownClient),
        1 => Just(ClientAuth::BasicAndPost),
        1 => Just(ClientAuth::BasicMalformed),
    ]
    .sboxed()
}

fn client_auth_b(known_client: bool) -> SBoxedStrategy<ClientAuth> {
    if known_client {
        prop_oneof![
            8 => Just(ClientAuth::None),
            16 => Just(ClientAuth::Basic),
            8 => Just(ClientAuth::Post),
            1 => Just(ClientAuth::PostIdOnly),
            1 => Just(ClientAuth::BasicWrongSecret),
            1 => Just(ClientAuth::PostWrongSecret),
            1 => Just(ClientAuth::UnknownClient),
            1 => Just(ClientAuth::BasicAndPost),
            1 => Just(ClientAuth::BasicMalformed),
        ]
        .sboxed()
    } else {
        prop_oneof![20 => Just(ClientAuth::None), 1 => Just(ClientAuth::UnknownClient)].sboxed()
    }
}

/// A required parameter: mostly its good value.
fn required(
    name: &'static str,
    good: SBoxedStrategy<Value>,
    bad: SBoxedStrategy<Value>,
) -> SBoxedStrategy<Vec<Param>> {
    let p = move |v: Value| Param::new(name, v);
    prop_oneof![
        1 => Just(Vec::new()),
        40 => good.clone().prop_map(move |v| vec![p(v)]),
        1 => Just(vec![p(Value::Empty)]),
        4 => bad.clone().prop_map(move |v| vec![p(v)]),
        1 => good.clone().prop_map(move |v| vec![p(v.clone()), p(v)]),
        1 => (good.clone(), bad).prop_map(move |(g, b)| vec![p(g), p(b)]),
        1 => good.prop_map(move |g| vec![p(g), p(Value::Empty)]),
    ]
    .sboxed()
}

/// An optional parameter: mostly absent.
fn optional(
    name: &'static str,
    good: SBoxedStrategy<Value>,
    bad: SBoxedStrategy<Value>,
) -> SBoxedStrategy<Vec<Param>> {
    let p = move |v: Value| Param::new(name, v);
    prop_oneof![
        24 => Just(Vec::new()),
        4 => good.clone().prop_map(move |v| vec![p(v)]),
        1 => Just(vec![p(Value::Empty)]),
        3 => bad.clone().prop_map(move |v| vec![p(v)]),
        1 => good.prop_map(move |v| vec![p(v.clone()), p(v)]),
        1 => (bad.clone(), bad).prop_map(move |(a, b)| vec![p(a), p(b)]),
    ]
    .sboxed()
}

/// A weighted choice between boxed strategies (`prop_oneof!` boxes non-`Send` past 10 arms).
/// Earlier arms are simpler: shrinking moves toward them.
fn weighted<T: std::fmt::Debug + Clone + 'static>(
    arms: Vec<(u32, SBoxedStrategy<T>)>,
) -> SBoxedStrategy<T> {
    proptest::strategy::Union::new_weighted(arms).sboxed()
}

/// One weighted arm of [`weighted`].
fn arm<T: std::fmt::Debug + Clone + 'static>(
    weight: u32,
    s: impl Strategy<Value = T> + Send + Sync + 'static,
) -> (u32, SBoxedStrategy<T>) {
    (weight, s.sboxed())
}

/// A string strategy compiled once (a `&str` strategy recompiles its regex for every value).
fn regex(pattern: &str) -> SBoxedStrategy<String> {
    proptest::string::string_regex(pattern)
        .expect("valid regex")
        .sboxed()
}

fn konst(v: Value) -> SBoxedStrategy<Value> {
    Just(v).sboxed()
}

fn texts(list: &'static [&'static str]) -> SBoxedStrategy<Value> {
    proptest::sample::select(list)
        .prop_map(Value::text)
        .sboxed()
}

/// Edge-case strings: Unicode, control characters, JSON-looking and numeric text, percent
/// sequences that do not decode, oversized values.
fn junk() -> SBoxedStrategy<Value> {
    const EDGE: &[&str] = &[
        " ",
        "\t",
        "\r\n",
        "\u{0}",
        "null",
        "[]",
        "{}",
        "0",
        "-1",
        "true",
        "1e309",
        "\"quoted\"",
        "'",
        "<x>",
        "ñ",
        "😀",
        "\u{202e}evil",
        "e\u{301}",
        "\u{feff}bom",
        "\u{fffd}",
        "a\u{0}b",
        "%",
        "..",
        "/",
        "\\",
    ];
    const RAW: &[&str] = &[
        "%", "%zz", "%0", "%00", "%C0%AF", "%FF%FE", "%E2%80", "a%2", "%%", "&", "=", "a=b=c",
    ];
    prop_oneof![
        3 => proptest::sample::select(EDGE).prop_map(Value::text),
        2 => proptest::sample::select(RAW).prop_map(|r| Value::Raw { raw: r.to_string() }),
        3 => regex("[ -~]{1,24}").prop_map(Value::text),
        2 => regex("\\PC{1,8}").prop_map(Value::text),
        1 => prop_oneof![Just(1024usize), Just(8192), Just(65536)].prop_map(|count| Value::Repeat {
            prefix: String::new(),
            unit: "A".into(),
            count,
        }),
    ]
    .sboxed()
}

fn token_type_junk() -> SBoxedStrategy<Value> {
    prop_oneof![
        3 => proptest::sample::select(REGISTERED_TOKEN_TYPES).prop_map(Value::text),
        2 => texts(&[
            "urn:ietf:params:oauth:token-type:unknown",
            "urn:example:token-type",
            "access_token",
            "URN:IETF:PARAMS:OAUTH:TOKEN-TYPE:ACCESS_TOKEN",
            "urn:ietf:params:oauth:token-type:access_token ",
            "urn:ietf:params:oauth:token-type:id-jag",
        ]),
        1 => junk(),
    ]
    .sboxed()
}

fn uri_junk(base: TargetValue) -> SBoxedStrategy<Value> {
    prop_oneof![
        2 => texts(&[
            "/as-b",
            "as-b.example",
            "https://",
            "https://unknown.chainproof.invalid",
            "https://unknown.chainproof.invalid/#frag",
            "http://127.0.0.1:1/",
            "urn:chainproof:unknown",
            "//as-b.example/path",
            "https://as-b.example:99999/",
        ]),
        2 => Just(Value::Target { which: base, suffix: "#frag".into() }),
        2 => prop_oneof![Just("/"), Just("?x=1"), Just("x"), Just("/../")]
            .prop_map(move |s| Value::Target { which: base, suffix: s.to_string() }),
        1 => prop_oneof![Just(2048usize), Just(16384)].prop_map(|count| Value::Repeat {
            prefix: "https://unknown.chainproof.invalid/".into(),
            unit: "a".into(),
            count,
        }),
        1 => junk(),
    ]
    .sboxed()
}

fn exchange_params(form: Form) -> SBoxedStrategy<Vec<Param>> {
    let grant_type = required(
        "grant_type",
        konst(Value::text(TOKEN_EXCHANGE)),
        prop_oneof![
            2 => texts(&[
                JWT_BEARER,
                "client_credentials",
                "password",
                "urn:ietf:params:oauth:grant-type:token-exchange ",
                "URN:IETF:PARAMS:OAUTH:GRANT-TYPE:TOKEN-EXCHANGE",
                "urn:ietf:params:oauth:grant-type:unknown",
            ]),
            1 => junk(),
        ]
        .sboxed(),
    );
    let subject_token = required(
        "subject_token",
        konst(Value::target(TargetValue::SubjectToken)),
        prop_oneof![
            1 => Just(Value::Target { which: TargetValue::SubjectToken, suffix: "x".into() }),
            2 => Just(Value::target(TargetValue::ForgedSubjectToken)),
            3 => junk(),
        ]
        .sboxed(),
    );
    let subject_token_type = required(
        "subject_token_type",
        konst(Value::target(TargetValue::SubjectTokenType)),
        token_type_junk(),
    );
    // The form's target parameter is required, the other optional.
    let (resource, audience): (fn(_, _, _) -> _, fn(_, _, _) -> _) = match form.audience {
        false => (required, optional),
        true => (optional, required),
    };
    let resource = resource(
        "resource",
        konst(Value::target(TargetValue::AsBIssuer)),
        uri_junk(TargetValue::AsBIssuer),
    );
    let audience_bad = prop_oneof![
        1 => Just(Value::target(if form.audience { TargetValue::AsBAudience } else { TargetValue::AsBIssuer })),
        2 => texts(&["urn:chainproof:unknown-audience", "as-c"]),
        1 => junk(),
    ];
    let audience = audience(
        "audience",
        konst(Value::target(if form.audience {
            TargetValue::AsBIssuer
        } else {
            TargetValue::AsBAudience
        })),
        audience_bad.sboxed(),
    );
    let scope = optional(
        "scope",
        konst(Value::target(TargetValue::HeldScope)),
        prop_oneof![
            2 => Just(Value::target(TargetValue::EscalationScope)),
            1 => texts(&["read read", "openid", " read", "read\u{0}", "\"read\"", "read\twrite"]),
            1 => junk(),
        ]
        .sboxed(),
    );
    let requested = match form.requested_type {
        false => optional(
            "requested_token_type",
            konst(Value::text(TT_JWT)),
            token_type_junk(),
        ),
        true => required(
            "requested_token_type",
            konst(Value::target(TargetValue::RequestedTokenType)),
            token_type_junk(),
        ),
    };
    let actor = optional(
        "actor_token",
        konst(Value::target(TargetValue::SubjectToken)),
        junk(),
    );
    let actor_type = optional(
        "actor_token_type",
        konst(Value::target(TargetValue::SubjectTokenType)),
        token_type_junk(),
    );
    (
        grant_type,
        subject_token,
        subject_token_type,
        resource,
        audience,
        scope,
        requested,
        actor,
        actor_type,
        extras(),
    )
        .prop_map(|(a, b, c, d, e, f, g, h, i, x)| [a, b, c, d, e, f, g, h, i, x].concat())
        .sboxed()
}

fn assertion_params(opts: StrategyOptions) -> SBoxedStrategy<Vec<Param>> {
    let grant_type = required(
        "grant_type",
        konst(Value::text(JWT_BEARER)),
        prop_oneof![
            2 => texts(&[
                TOKEN_EXCHANGE,
                "urn:ietf:params:oauth:grant-type:saml2-bearer",
                "urn:ietf:params:oauth:grant-type:jwt-dpop",
                "jwt-bearer",
                "urn:ietf:params:oauth:grant-type:jwt-bearer\u{0}",
            ]),
            1 => junk(),
        ]
        .sboxed(),
    );
    let spec = assertion_spec(opts);
    let assertion = required(
        "assertion",
        spec.clone()
            .prop_map(|grant| Value::Assertion { grant })
            .sboxed(),
        prop_oneof![
            1 => texts(&["eyJhbGciOiJub25lIn0", "eyJ.eyJ.", "a.b.c", "....", "e30.e30.e30"]),
            1 => junk(),
        ]
        .sboxed(),
    );
    let scope = optional("scope", konst(Value::text("read")), junk());
    let resource = optional(
        "resource",
        konst(Value::target(TargetValue::RsResource)),
        uri_junk(TargetValue::RsResource),
    );
    (grant_type, assertion, scope, resource, extras())
        .prop_map(|(a, b, c, d, x)| [a, b, c, d, x].concat())
        .sboxed()
}

/// Grant recipes: the unmutated valid grant is the simplest.
pub fn assertion_spec(opts: StrategyOptions) -> SBoxedStrategy<AssertionSpec> {
    let base = match (opts.harness, opts.real_grant) {
        (true, true) => {
            prop_oneof![12 => Just(GrantBase::Harness), 1 => Just(GrantBase::Real)].sboxed()
        }
        (true, false) => Just(GrantBase::Harness).sboxed(),
        (false, _) => Just(GrantBase::Real).sboxed(),
    };
    let header = weighted(vec![
        arm(40, Just(HeaderMutation::None)),
        arm(2, Just(HeaderMutation::AlgNone)),
        arm(1, Just(HeaderMutation::AlgHs256)),
        arm(1, Just(HeaderMutation::AlgRs256)),
        arm(1, Just(HeaderMutation::AlgUnknown)),
        arm(
            1,
            any::<bool>().prop_map(|last_valid| HeaderMutation::DuplicateAlg { last_valid }),
        ),
        arm(1, Just(HeaderMutation::KidUnknown)),
        arm(1, Just(HeaderMutation::KidAbsent)),
        arm(1, Just(HeaderMutation::KidNumber)),
        arm(
            1,
            proptest::sample::select(
                &["JWT", "at+jwt", "oauth-id-jag+jwt", "", "application/jwt"][..],
            )
            .prop_map(|t| HeaderMutation::Typ { typ: t.to_string() }),
        ),
        arm(1, Just(HeaderMutation::TypNumber)),
        arm(2, Just(HeaderMutation::CritUnknown)),
        arm(1, Just(HeaderMutation::CritEmpty)),
        arm(1, Just(HeaderMutation::NotObject)),
        arm(1, Just(HeaderMutation::NotJson)),
    ]);
    let claim = proptest::sample::select(
        &[
            Claim::Iss,
            Claim::Sub,
            Claim::Aud,
            Claim::Exp,
            Claim::Iat,
            Claim::Jti,
        ][..],
    );
    let kind = proptest::sample::select(
        &[
            JsonKind::String,
            JsonKind::Number,
            JsonKind::Bool,
            JsonKind::Null,
            JsonKind::Array,
            JsonKind::Object,
        ][..],
    );
    // Only a request without other defects shows that a server ignores one: the arms that
    // break one rule each (a dropped or retyped claim picks one of six) weigh more, so that
    // each reaches a server a few times in a thousand-odd assertions.
    let claims = weighted(vec![
        arm(30, Just(ClaimsMutation::None)),
        arm(
            8,
            claim
                .clone()
                .prop_map(|claim| ClaimsMutation::Drop { claim }),
        ),
        arm(
            5,
            (claim.clone(), kind).prop_map(|(claim, to)| ClaimsMutation::Retype { claim, to }),
        ),
        arm(
            2,
            (claim, any::<bool>())
                .prop_map(|(claim, last_valid)| ClaimsMutation::Duplicate { claim, last_valid }),
        ),
        arm(3, Just(ClaimsMutation::ExpPast)),
        arm(1, Just(ClaimsMutation::ExpFarFuture)),
        arm(1, Just(ClaimsMutation::ExpFractional)),
        arm(3, Just(ClaimsMutation::NbfFuture)),
        arm(3, Just(ClaimsMutation::AudForeign)),
        arm(1, Just(ClaimsMutation::AudArrayWithOther)),
        arm(1, Just(ClaimsMutation::AudTokenEndpoint)),
        arm(3, Just(ClaimsMutation::SubUnmapped)),
        arm(3, Just(ClaimsMutation::IssUnknown)),
        arm(
            1,
            prop_oneof![Just(4096usize), Just(65536)]
                .prop_map(|size| ClaimsMutation::Huge { size }),
        ),
        arm(
            1,
            proptest::sample::select(&["[]", "\"claims\"", "42", "null", "true"][..]).prop_map(
                |t| ClaimsMutation::NotObject {
                    text: t.to_string(),
                },
            ),
        ),
        arm(1, Just(ClaimsMutation::NotJson)),
    ]);
    let segment = 0u8..3;
    let structure = prop_oneof![
        40 => Just(Structure::Compact),
        1 => Just(Structure::TwoSegments),
        1 => Just(Structure::FourSegments),
        1 => Just(Structure::FiveSegments),
        1 => Just(Structure::TrailingDot),
        1 => Just(Structure::Concatenated),
        1 => segment.clone().prop_map(|segment| Structure::Padding { segment }),
        1 => (segment, proptest::sample::select(&['+', '/', '!', '*', ' ', '=', 'é', '.'][..]))
            .prop_map(|(segment, ch)| Structure::BadChar { segment, ch }),
        1 => Just(Structure::Whitespace),
    ];
    let signature = prop_oneof![
        40 => Just(Signature::Sign),
        3 => Just(Signature::Keep),
        1 => Just(Signature::Strip),
        1 => Just(Signature::Flip),
        1 => Just(Signature::ForeignKey),
    ];
    (base, header, claims, structure, signature)
        .prop_map(
            |(base, header, claims, structure, signature)| AssertionSpec {
                base,
                header,
                claims,
                structure,
                signature,
            },
        )
        .sboxed()
}

/// Extra parameters the endpoint does not define (RFC 6749 §3.2: MUST be ignored).
fn extras() -> SBoxedStrategy<Vec<Param>> {
    let name = prop_oneof![
        3 => regex("x_[a-z0-9_]{1,12}"),
        1 => proptest::sample::select(
            &["chainproof", "foo", "nonce", "state", "Grant_Type", "SCOPE", "ñame", "a[b]", "x y", "x%y", "x+y"][..]
        )
        .prop_map(str::to_string),
    ];
    let value = prop_oneof![
        3 => regex("[a-zA-Z0-9 ._~-]{0,16}").prop_map(Value::text),
        1 => Just(Value::Empty),
        1 => junk(),
    ];
    prop_oneof![
        6 => Just(Vec::new()),
        1 => proptest::collection::vec((name, value).prop_map(|(n, v)| Param::new(n, v)), 1..4),
    ]
    .sboxed()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fuzz::model::{Expectation, ModelFacts, expect};
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

    fn runner(seed: u8) -> TestRunner {
        let config = Config {
            rng_algorithm: RngAlgorithm::ChaCha,
            ..Config::default()
        };
        TestRunner::new_with_rng(
            config,
            TestRng::from_seed(RngAlgorithm::ChaCha, &[seed; 32]),
        )
    }

    const OPTS: StrategyOptions = StrategyOptions {
        harness: true,
        real_grant: true,
        as_b_client: true,
        form: Form {
            audience: false,
            requested_type: false,
        },
    };

    #[test]
    fn same_seed_same_sequence() {
        for endpoint in [Endpoint::Exchange, Endpoint::Assertion] {
            let s = request(endpoint, OPTS);
            let (mut a, mut b) = (runner(3), runner(3));
            for _ in 0..200 {
                assert_eq!(
                    s.new_tree(&mut a).unwrap().current(),
                    s.new_tree(&mut b).unwrap().current()
                );
            }
        }
    }

    #[test]
    fn mix_of_valid_invalid_and_ambiguous() {
        for endpoint in [Endpoint::Exchange, Endpoint::Assertion] {
            let s = request(endpoint, OPTS);
            let mut r = runner(1);
            let (mut valid, mut invalid, mut ambiguous) = (0, 0, 0);
            for _ in 0..1000 {
                match expect(
                    &s.new_tree(&mut r).unwrap().current(),
                    &ModelFacts::lenient(),
                ) {
                    Expectation::Valid => valid += 1,
                    Expectation::Invalid(_) => invalid += 1,
                    Expectation::Ambiguous(_) => ambiguous += 1,
                }
            }
            // A grant carries four mutation dimensions, so fewer assertions come out valid
            // (about one in sixteen): still dozens per thousand for `valid-rejected`.
            assert!(valid > 50, "{endpoint}: {valid} valid");
            assert!(invalid > 300, "{endpoint}: {invalid} invalid");
            assert!(ambiguous > 50, "{endpoint}: {ambiguous} ambiguous");
        }
    }

    #[test]
    fn shrinking_reaches_fewer_parameters() {
        let s = request(Endpoint::Exchange, OPTS);
        let mut r = runner(9);
        let mut tree = s.new_tree(&mut r).unwrap();
        // Property "always fails": shrinking must go all the way to the simplest request.
        while tree.simplify() {}
        let simplest = tree.current();
        assert!(simplest.params.is_empty(), "{simplest:?}");
        assert_eq!(simplest.method, Method::Post);
        assert_eq!(simplest.client_auth, ClientAuth::None);
    }
}

//! Configuration and CLI surface: deep merge, errors with positions, fault listing, banner.

use clap::Parser;
use mock_as::cli::{MockArgs, banner};
use mock_as::{Fault, MockConfig, MockError, MockOptions, MockPair};

#[derive(Parser)]
struct Wrapper {
    #[command(flatten)]
    args: MockArgs,
}

#[test]
fn cli_args_parse() {
    let w = Wrapper::try_parse_from([
        "x",
        "--fault",
        "accept-expired",
        "--fault",
        "allow-replay",
        "--port-a",
        "9000",
    ])
    .unwrap();
    assert_eq!(
        w.args.faults,
        vec![Fault::AcceptExpired, Fault::AllowReplay]
    );
    assert_eq!(w.args.port_a, 9000);
    assert_eq!(w.args.port_b, 0);
    assert_eq!(w.args.bind.to_string(), "127.0.0.1");
    let err = Wrapper::try_parse_from(["x", "--fault", "nope"])
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("--list-faults"), "{err}");
}

#[tokio::test]
async fn list_and_print_exit_zero() {
    let w = Wrapper::try_parse_from(["x", "--list-faults"]).unwrap();
    assert_eq!(mock_as::cli::run(w.args).await, 0);
    let w = Wrapper::try_parse_from(["x", "--print-config"]).unwrap();
    assert_eq!(mock_as::cli::run(w.args).await, 0);
    let w = Wrapper::try_parse_from(["x", "--config", "/nonexistent/mock.toml"]).unwrap();
    assert_eq!(mock_as::cli::run(w.args).await, 3);
}

#[test]
fn list_faults_format() {
    let list = mock_as::list_faults();
    for line in list.lines() {
        let cols: Vec<&str> = line.split('\t').collect();
        assert_eq!(cols.len(), 3, "{line}");
        assert!(cols[0].parse::<Fault>().is_ok());
        assert!(cols[1].split(',').all(|id| id.contains('-')), "{line}");
    }
}

#[test]
fn printed_config_round_trips() {
    assert_eq!(
        MockConfig::from_toml_str(mock_as::DEFAULT_CONFIG_TOML).unwrap(),
        MockConfig::default()
    );
}

#[test]
fn bad_value_names_position() {
    let err = MockConfig::from_toml_str("[as_b]\nleeway_secs = \"five\"\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("line 2"), "{err}");
}

#[tokio::test]
async fn invalid_config_is_refused_at_start() {
    let cfg = MockConfig::from_toml_str("[rs]\nresource_path = \"no-slash\"\n").unwrap();
    let err = MockPair::start(MockOptions {
        config: cfg,
        ..MockOptions::default()
    })
    .await
    .err()
    .unwrap();
    assert!(
        matches!(err, MockError::Config(ref m) if m.contains("rs.resource_path")),
        "{err}"
    );
    let cfg = MockConfig::from_toml_str("[as_b.subject_map]\n").unwrap();
    let err = MockPair::start(MockOptions {
        config: cfg,
        ..MockOptions::default()
    })
    .await
    .err()
    .unwrap();
    assert!(err.to_string().contains("map"), "{err}");
}

#[tokio::test]
async fn banner_lists_roles_and_faults() {
    let pair = MockPair::start(MockOptions {
        faults: vec![Fault::AllowReplay],
        ..MockOptions::default()
    })
    .await
    .unwrap();
    let b = banner(pair.facts());
    let lines: Vec<&str> = b.lines().collect();
    assert!(lines[0].starts_with("AS-A http://127.0.0.1:"));
    assert!(lines[1].starts_with("AS-B http://127.0.0.1:"));
    assert!(lines[2].starts_with("RS-B http://127.0.0.1:"));
    assert_eq!(lines[3], "faults: allow-replay");
}

/// The fault catalogue is product output (`chainproof mock --list-faults`): a change must be
/// deliberate and reviewed.
#[test]
fn fault_list_snapshot() {
    insta::assert_snapshot!(mock_as::list_faults());
}

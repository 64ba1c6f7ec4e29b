//! `chainproof mock`: run the reference pair in the foreground until Ctrl-C.

use crate::{DEFAULT_CONFIG_TOML, Fault, MockConfig, MockOptions, MockPair, Variant};
use std::net::IpAddr;
use std::path::PathBuf;

/// Command-line arguments of `chainproof mock`.
#[derive(Debug, Clone, clap::Args)]
pub struct MockArgs {
    /// Address all three servers listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: IpAddr,
    /// AS-A port (0 = ephemeral).
    #[arg(long, default_value_t = 0)]
    pub port_a: u16,
    /// AS-B port (0 = ephemeral).
    #[arg(long, default_value_t = 0)]
    pub port_b: u16,
    /// RS-B port (0 = ephemeral).
    #[arg(long, default_value_t = 0)]
    pub port_rs: u16,
    /// A TOML file over the embedded defaults (see --print-config).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Switch on a named fault (repeatable; see --list-faults).
    #[arg(long = "fault", value_name = "NAME")]
    pub faults: Vec<Fault>,
    /// Print the faults (name, requirement IDs, description) and exit.
    #[arg(long)]
    pub list_faults: bool,
    /// Switch on a legal variant (repeatable; see --list-variants).
    #[arg(long = "variant", value_name = "NAME")]
    pub variants: Vec<Variant>,
    /// Follow a profile's rules: ic (default), ena-1.0, rfc8693 or id-jag (a grading
    /// profile id such as ic-17 or id-jag-mcp is accepted and mapped to its mode).
    #[arg(long, value_name = "NAME", default_value = "ic")]
    pub profile: crate::MockProfile,
    /// Print the legal variants (name, requirement IDs, description citing the allowing text) and exit.
    #[arg(long)]
    pub list_variants: bool,
    /// Print the commented default configuration and exit.
    #[arg(long)]
    pub print_config: bool,
}

/// Run the pair until Ctrl-C; the return value is the process exit code
/// (0 ok, 2 runtime error, 3 invalid configuration).
pub async fn run(args: MockArgs) -> i32 {
    if args.list_faults {
        print!("{}", crate::fault::list_faults());
        return 0;
    }
    if args.list_variants {
        print!("{}", crate::variant::list_variants());
        return 0;
    }
    if args.print_config {
        print!("{DEFAULT_CONFIG_TOML}");
        return 0;
    }
    let config = match &args.config {
        None => MockConfig::default(),
        Some(path) => {
            let text = match std::fs::read_to_string(path) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("error: cannot read {}: {e}", path.display());
                    return 3;
                }
            };
            match MockConfig::from_toml_str(&text) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("error: {}: {e}", path.display());
                    return 3;
                }
            }
        }
    };
    let options = MockOptions {
        config,
        faults: args.faults.clone(),
        variants: args.variants.clone(),
        profile: args.profile,
        bind: args.bind,
        port_a: args.port_a,
        port_b: args.port_b,
        port_rs: args.port_rs,
        extra_trusted_issuers: Vec::new(),
        tls: None,
    };
    let pair = match MockPair::start(options).await {
        Ok(p) => p,
        Err(e @ crate::MockError::Config(_)) => {
            eprintln!("error: {e}");
            return 3;
        }
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    print!("{}", banner(pair.facts()));
    if tokio::signal::ctrl_c().await.is_err() {
        eprintln!("error: cannot wait for Ctrl-C");
        pair.shutdown().await;
        return 2;
    }
    pair.shutdown().await;
    0
}

/// What `run` prints once the servers listen: one `ROLE URL` line each, then the faults.
pub fn banner(f: &crate::MockFacts) -> String {
    let mut out = format!(
        "AS-A {}\nAS-B {}\nRS-B {}\n",
        f.as_a_issuer, f.as_b_issuer, f.rs_url
    );
    if f.faults.is_empty() {
        out.push_str("faults: none (conformant)\n");
    } else {
        let names: Vec<&str> = f.faults.iter().map(|x| x.name()).collect();
        out.push_str(&format!("faults: {}\n", names.join(", ")));
    }
    if f.profile != crate::MockProfile::default() {
        out.push_str(&format!("profile: {}\n", f.profile));
    }
    if !f.variants.is_empty() {
        let names: Vec<&str> = f.variants.iter().map(|x| x.name()).collect();
        out.push_str(&format!("variants: {}\n", names.join(", ")));
    }
    out
}

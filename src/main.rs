//! `chainproof` binary: parse the command line, run the command, exit with its code.

use clap::Parser;
use clap::error::ErrorKind;

fn main() {
    let cli = match chainproof::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            let code = match e.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => chainproof::exit::OK,
                ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => chainproof::exit::USAGE,
                _ => chainproof::exit::USAGE,
            };
            std::process::exit(code);
        }
    };
    std::process::exit(chainproof::app::execute(cli));
}

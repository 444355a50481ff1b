//! The `archport` binary: parse arguments, run, choose the exit status.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = archport::cli::Cli::parse();
    match archport::cli::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("archport: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

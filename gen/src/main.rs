//! The `archport` binary: parse arguments, run, choose the exit status.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // Output piped into `head` or `less` that closes early ends archport
    // quietly, as it ends any Unix filter, instead of a panic in println!.
    // SAFETY: restoring the default disposition of SIGPIPE before any
    // thread starts has no other effect.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    // An empty ARCHPORT_CACHE means unset, as for XDG_CACHE_HOME; clap's
    // `env` would read it as an empty --cache. No thread runs yet.
    if std::env::var_os("ARCHPORT_CACHE").is_some_and(|v| v.is_empty()) {
        std::env::remove_var("ARCHPORT_CACHE");
    }
    let cli = archport::cli::Cli::parse();
    match archport::cli::run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("archport: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

//! The `--help` of every command, pinned as a snapshot (insta): the
//! command line is the interface users learn, so a change to it shows up
//! in review. Accept a deliberate change with `cargo insta review`.

use clap::CommandFactory;

use super::Cli;

/// The help as users see it, with the values of environment variables
/// (which differ from machine to machine) left out.
fn help(cmd: &mut clap::Command) -> String {
    let env_value = regex::Regex::new(r"\[env: (\w+)=[^\]]*\]").expect("a valid pattern");
    env_value.replace_all(&cmd.render_long_help().to_string(), "[env: $1]").into_owned()
}

#[test]
fn every_command_help_is_pinned() {
    let mut cli = Cli::command().term_width(100);
    cli.build();
    insta::assert_snapshot!("archport", help(&mut cli));
    for sub in cli.get_subcommands_mut() {
        let name = format!("archport-{}", sub.get_name());
        insta::assert_snapshot!(name, help(sub));
    }
}

//! The syncbit command: parse, run, map errors to exit codes.

use clap::Parser;
use std::process::ExitCode;

use syncbit::cli::{Cli, Command};
use syncbit::error::Exit;

fn run(cli: &Cli) -> Result<(), Exit> {
    match &cli.command {
        Command::Sync => syncbit::cmd::sync::run(&cli.global),
        Command::SyncIntraday => syncbit::cmd::sync_intraday::run(&cli.global),
        Command::Backfill(a) => syncbit::cmd::backfill::run(&cli.global, a),
        Command::State(c) => syncbit::cmd::state::run(&cli.global, c),
        Command::Auth(c) => syncbit::cmd::auth::run(&cli.global, c),
        Command::Import(a) => syncbit::cmd::import::run(&cli.global, a),
        Command::Profile(c) => syncbit::cmd::profile::run(&cli.global, c),
    }
}

/// The command line, with the profile of `--profile`/`SYNCBIT_PROFILE` loaded into the
/// environment first: the flags that read variables are parsed again after it, so a profile's
/// file acts as if its variables had been exported (those already set win).
///
/// Errors: exit 2 for an unknown profile or a label it shares (see `config::profile`).
fn with_profile(cli: Cli) -> Result<Cli, Exit> {
    let Some(name) = cli.global.profile.clone().filter(|p| !p.trim().is_empty()) else {
        return Ok(cli);
    };
    // `profile add|list|remove` name their profiles themselves.
    if matches!(cli.command, Command::Profile(_)) {
        return Ok(cli);
    }
    let writes = matches!(
        cli.command,
        Command::Sync | Command::SyncIntraday | Command::Backfill(_) | Command::Import(_)
    );
    let vars = syncbit::config::profile::environment(name.trim(), &cli.global, writes)?;
    for (k, v) in vars {
        // SAFETY: still single-threaded: nothing has started a thread or read the environment
        // concurrently yet.
        unsafe { std::env::set_var(k, v) };
    }
    Ok(Cli::parse())
}

fn main() -> ExitCode {
    // `syncbit state show | head` ends quietly, as other command-line tools do, instead of
    // failing on the closed pipe. (Sockets are written with MSG_NOSIGNAL by std, so a closed
    // connection is still an error, not a signal.)
    // SAFETY: called first, before any thread exists; SIG_DFL is a valid disposition.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let first = Cli::parse();
    syncbit::log::init(syncbit::config::log_level(
        first.global.verbose,
        first.global.quiet,
    ));
    let result = with_profile(first).and_then(|cli| {
        // The profile may set LOG_LEVEL.
        syncbit::log::init(syncbit::config::log_level(
            cli.global.verbose,
            cli.global.quiet,
        ));
        run(&cli)
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // Try-again-later is a warning; everything else needs a person.
            let level = if [
                syncbit::error::TEMPFAIL,
                syncbit::interrupt::INTERRUPTED,
                syncbit::interrupt::TERMINATED,
            ]
            .contains(&e.code)
            {
                syncbit::log::Level::Warn
            } else {
                syncbit::log::Level::Error
            };
            // Configuration problems come one per line, all at once.
            for line in e.message.lines() {
                syncbit::log::write(level, format_args!("{line}"));
            }
            ExitCode::from(e.code)
        }
    }
}

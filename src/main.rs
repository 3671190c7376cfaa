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
    }
}

fn main() -> ExitCode {
    // `syncbit state show | head` ends quietly, as other command-line tools do, instead of
    // failing on the closed pipe. (Sockets are written with MSG_NOSIGNAL by std, so a closed
    // connection is still an error, not a signal.)
    // SAFETY: called first, before any thread exists; SIG_DFL is a valid disposition.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    syncbit::log::init(syncbit::config::log_level(
        cli.global.verbose,
        cli.global.quiet,
    ));
    match run(&cli) {
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

//! One file per subcommand; each plans its gaps and hands them to the engine. This module is
//! the one place that turns the configuration into the chosen source and sink.

pub mod auth;
pub mod backfill;
pub mod import;
pub mod profile;
pub mod state;
pub mod sync;
pub mod sync_intraday;

use crate::config::{Config, SourceSettings};
use crate::engine::Engine;
use crate::error::Exit;
use crate::sink::{Sink, Stdout, victoria::Victoria};
use crate::source::fitbit::FitbitSource;
use crate::source::google::GoogleSource;
use crate::source::{Source, http};

/// The configured source. `reserve`: calls of a quota window to leave to the timers
/// (`None`: the source's default).
pub fn open_source(cfg: &Config, reserve: Option<u64>) -> Box<dyn Source> {
    match &cfg.source {
        SourceSettings::FitbitWebApi(s) => Box::new(FitbitSource::new(s, http::agent(), reserve)),
        // No reserve: the quota is per minute, so nothing is left over for the timers to use.
        SourceSettings::GoogleHealth(s) => Box::new(GoogleSource::new(s, http::agent())),
    }
}

/// The configured sink: stdout with `--dry-run`, else VictoriaMetrics.
///
/// Errors: exit 2 without `VICTORIA_ENDPOINT`.
pub fn open_sink(cfg: &Config) -> Result<Box<dyn Sink>, Exit> {
    match (&cfg.sink, cfg.run.dry_run) {
        (_, true) => Ok(Box::new(Stdout)),
        (Some(s), false) => Ok(Box::new(Victoria::new(s, http::agent()))),
        (None, false) => Err(Exit::usage("VICTORIA_ENDPOINT is not set")),
    }
}

/// An engine over the configured source and sink; from now on SIGINT and SIGTERM stop the run
/// at the next request.
///
/// Errors: see [`Engine::open`].
pub fn open(cfg: &Config, reserve: Option<u64>) -> Result<Engine, Exit> {
    crate::interrupt::install();
    Engine::open(cfg.run.clone(), open_source(cfg, reserve), open_sink(cfg)?)
}
